"""Completion and reading-search benchmark.

    python bench/suggest.py [--index DIR] [--passes 2]

On the ja-docs corpus (indexed into DIR, by default
.cache/ja-docs-suggest-index, built when missing or outdated):

* latency of `Searcher.suggest` for every keystroke of kana, romaji, kanji
  and ASCII words, in a fresh process (pass 1: each word's posting lists are
  read for the first time on this index generation) and again (pass 2),
  next to two baselines measured in the same run on the same keystrokes: a
  bare `bisect` over the sorted vocabulary (the floor), and
  `Searcher.search(..., per_page=8)` (what the widget asks for alongside);
* the cost of building the tables once per index generation;
* latency of ordinary queries (bench/relevance_queries.tsv) with reading
  expansion wired in and without, and of kana / romaji queries;
* MRR and top-1 of the kana / romaji query table of tests/test_reading.py
  over data/posts, with readings and without.

Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import bisect
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import CACHE, REPO, unpacked_corpus  # noqa: E402

sys.path.insert(0, str(REPO))

from search.errors import SearchError  # noqa: E402
from search import build_index  # noqa: E402
from search.query.plan import plan_query  # noqa: E402
from search import Searcher  # noqa: E402
from search.index.schema import open_index  # noqa: E402
from tests.test_reading import READING_QUERIES  # noqa: E402

# words a reader types, keystroke by keystroke, by how they are typed
WORDS = {
    "kana": ["せってい", "いんすとーる", "ぱっけーじ", "がぞう", "いんさつ", "かんり", "ふぁいる",
             "あっしゅく", "きどう", "がくふ", "ねっとわーく", "あんごう"],
    "romaji": ["settei", "gazou", "insatsu", "kanri", "asshuku", "kidou", "gakufu", "angou"],
    "kanji": ["設定ファイル", "画像", "印刷", "管理", "圧縮", "起動", "楽譜", "暗号化"],
    "ASCII": ["debian", "apt-get", "gimp", "lilypond", "systemd", "kernel", "xterm", "mkdir"],
}
KANA_QUERIES = ["せってい", "がぞう", "かんり", "いんさつ", "あっしゅく", "あんごう", "ねっとわーくのせってい",
                "settei", "gazou", "kanri", "insatsu", "angou"]


def keystrokes(words: list[str]) -> list[str]:
    return [w[:i] for w in words for i in range(1, len(w) + 1)]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p * len(ordered)) - 1))]


def timed(fn: Callable[[str], object], inputs: list[str]) -> list[float]:
    out = []
    for text in inputs:
        started = time.perf_counter()
        fn(text)
        out.append((time.perf_counter() - started) * 1000)
    return out


def ensure_index(index_dir: Path) -> Path:
    try:
        open_index(index_dir).close()
        return index_dir
    except SearchError:
        pass
    site = unpacked_corpus()
    if site is None:
        sys.exit("ja-docs corpus not found (../shared/corpus/ja-docs)")
    print(f"indexing ja-docs into {index_dir} ...", file=sys.stderr)
    report = build_index(site, index_dir, rebuild=True)
    assert not report.errors, report.errors[:3]
    return index_dir


def row(name: str, ms: list[float]) -> str:
    return f"| {name} | {len(ms)} | {statistics.median(ms):.2f} | {percentile(ms, 0.95):.2f} | {max(ms):.1f} |"


def suggest_latency(index_dir: Path, passes: int) -> None:
    started = time.perf_counter()
    searcher = Searcher(index_dir)
    searcher.warm()
    first_build = time.perf_counter() - started
    table = searcher.reading_table()
    started = time.perf_counter()
    again = Searcher(index_dir)  # a new generation: word readings are remembered
    again.warm()
    next_build = time.perf_counter() - started
    again.close()
    vocabulary = sorted(table.vocabulary)

    def floor(text: str) -> object:
        i = bisect.bisect_left(vocabulary, text)
        return vocabulary[i : i + 8]

    print(f"\nja-docs: {searcher.doc_count} posts, {len(vocabulary):,} words, {len(table):,} readings. "
          f"Open + warm (tables built once per generation): {first_build:.2f} s in a fresh process, "
          f"{next_build:.2f} s for the next generation.\n")
    print("| suggest, per keystroke | calls | median ms | p95 ms | max ms |")
    print("|---|---|---|---|---|")
    everything: dict[int, list[float]] = {}
    for p in range(1, passes + 1):
        for kind, words in WORDS.items():
            ms = timed(lambda t: searcher.suggest(t, 8), keystrokes(words))
            everything.setdefault(p, []).extend(ms)
            print(row(f"{kind} (pass {p})", ms))
    for p, ms in everything.items():
        print(row(f"**all (pass {p})**", ms))
    inputs = keystrokes([w for words in WORDS.values() for w in words])
    print(row("baseline: bisect over the sorted vocabulary", timed(floor, inputs)))
    print(row("baseline: `Searcher.search(q, per_page=8)`, same keystrokes (pass 1)",
              timed(lambda t: searcher.search(t, per_page=8), inputs)))
    print(row("baseline: `Searcher.search(q, per_page=8)`, same keystrokes (pass 2)",
              timed(lambda t: searcher.search(t, per_page=8), inputs)))

    queries = [line.split("\t")[0] for line in
               (REPO / "bench" / "relevance_queries.tsv").read_text(encoding="utf-8").splitlines()[1:] if line]
    print("\n| search | queries × passes | median ms | p95 ms | max ms |")
    print("|---|---|---|---|---|")
    plain = Searcher(index_dir)
    plain.warm()
    plain.plan = plan_query  # type: ignore[method-assign]  # reading expansion off
    for _ in range(2):  # warm the posting caches of both
        timed(searcher.search, queries)
        timed(plain.search, queries)
    with_readings = timed(searcher.search, queries * 3)
    without = timed(plain.search, queries * 3)
    print(row("relevance_queries.tsv, readings wired in", with_readings))
    print(row("relevance_queries.tsv, readings off (baseline)", without))
    timed(searcher.search, KANA_QUERIES)
    print(row("kana / romaji queries, expanded by reading", timed(searcher.search, KANA_QUERIES * 3)))
    print(row("same queries, readings off (baseline)", timed(plain.search, KANA_QUERIES * 3)))
    plain.close()
    searcher.close()


def reading_quality() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        assert not build_index(REPO / "data" / "posts", tmp, procs=1).errors
        with Searcher(tmp) as searcher:
            searcher.warm()
            results = {}
            for name, plan in (("readings", searcher.plan), ("readings off (baseline)", plan_query)):
                searcher.plan = plan  # type: ignore[method-assign]
                rr = []
                for query, slugs in READING_QUERIES:
                    ranked = [h.slug for h in searcher.search(query).hits]
                    rank = next((i + 1 for i, s in enumerate(ranked) if s in slugs), None)
                    rr.append(1.0 / rank if rank else 0.0)
                results[name] = rr
    print(f"\n| kana / romaji queries over data/posts ({len(READING_QUERIES)}) | MRR@10 | top-1 |")
    print("|---|---|---|")
    for name, rr in results.items():
        print(f"| {name} | {statistics.mean(rr):.3f} | {sum(r == 1.0 for r in rr)}/{len(rr)} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=CACHE / "ja-docs-suggest-index")
    parser.add_argument("--passes", type=int, default=2)
    args = parser.parse_args()
    suggest_latency(ensure_index(args.index), args.passes)
    reading_quality()
    return 0


if __name__ == "__main__":
    sys.exit(main())
