"""Completion, "did you mean" and reading-search benchmark.

    python bench/suggest.py [--index DIR] [--passes 2] [--baseline REV] [--quality-only]

On the ja-docs corpus (indexed into DIR, by default
.cache/ja-docs-suggest-index, built when missing or outdated):

* completion quality on bench/judged/completion.tsv (success@5 and MRR@5 per
  class and split, matched as bench/quality.py does) and suggestions that
  find no posts (no live post has every word of the suggestion), for this
  code and for search/query/suggest.py at REV (default: main), loaded from
  git and run on the same index in the same run;
* "did you mean" on bench/judged/spelling.tsv: the share of misspelt
  queries corrected to the judged text (top proposal), and of correctly
  spelt relevance queries (bench/judged/relevance.tsv) for which a
  correction is proposed although they find posts (false alarms);
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
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path
from typing import Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import CACHE, REPO, unpacked_corpus  # noqa: E402

sys.path.insert(0, str(REPO))

import quality  # noqa: E402
from search.errors import SearchError  # noqa: E402
from search import build_index  # noqa: E402
from search.query.plan import clean_text, plan_query  # noqa: E402
from search.query import spelling  # noqa: E402
from search.query.suggest import TERM_FIELDS  # noqa: E402
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
VERBOSE = False
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


def suggest_latency(index_dir: Path, passes: int, baseline: str) -> None:
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
    old = baseline_completions(baseline)
    if old is not None:
        for p in range(1, passes + 1):
            print(row(f"baseline: suggest.py at {baseline}, same keystrokes (pass {p})",
                      timed(lambda t: old(searcher, t, 8), inputs)))
    judged = [c["target"][:i] for c in quality.read_tsv("completion.tsv") for i in range(1, len(c["target"]) + 1)]
    # each on a fresh Searcher of its own (no posting read before), twice
    for name, fn in ([(f"suggest.py at {baseline}", old)] if old else []) + [
            ("this code", lambda s, t, n: s.suggest(t, n))]:
        with Searcher(index_dir) as fresh:
            fresh.warm()
            for p in (1, 2):
                print(row(f"every keystroke of completion.tsv's targets, {name}, fresh Searcher (pass {p})",
                          timed(lambda t: fn(fresh, t, 8), judged)))
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


def baseline_completions(rev: str) -> Callable[[Searcher, str, int], list[str]] | None:
    """`Completions(...).suggest` of search/query/suggest.py at git `rev`,
    on the searcher's own snapshot, or None when that file cannot be read."""
    try:
        source = subprocess.run(["git", "show", f"{rev}:search/query/suggest.py"], cwd=REPO,
                                capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    module = types.ModuleType(f"suggest_at_{rev}")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, f"{rev}:search/query/suggest.py", "exec"), module.__dict__)
    tables: dict[int, object] = {}

    def suggest(searcher: Searcher, text: str, limit: int) -> list[str]:
        key = id(searcher.snapshot)  # one table per snapshot, as the Searcher keeps its own
        if key not in tables:
            tables[key] = module.Completions(searcher.snapshot, searcher.reading_table())
        found = tables[key].suggest(clean_text(text), limit)  # type: ignore[attr-defined]
        return [s.text for s in found]

    return suggest


def finds_posts(searcher: Searcher, text: str) -> bool:
    """Whether a live post has every word of `text` (title, tags or body)."""
    snapshot = searcher.snapshot
    terms = [t.text for t in plan_query(text).terms]
    if not terms:
        return False
    docs = None
    for term in terms:
        found = np.unique(np.concatenate([snapshot.postings(f, term)[0] for f in TERM_FIELDS]))
        docs = found if docs is None else np.intersect1d(docs, found)
    return bool(docs is not None and snapshot.live[docs].any())


def completion_quality(index_dir: Path, baseline: str) -> None:
    cases = quality.read_tsv("completion.tsv")
    with Searcher(index_dir) as searcher:
        searcher.warm()
        rankings: dict[str, Callable[[Searcher, str, int], list[str]]] = {}
        old = baseline_completions(baseline)
        if old is not None:
            rankings[f"suggest.py at {baseline}"] = old
        rankings["this code"] = lambda s, text, n: [x.text for x in s.suggest(text, n).suggestions]
        results = {name: {(c["prefix"], c["target"]): fn(searcher, c["prefix"], 8)[:quality.SUGGESTIONS]
                          for c in cases} for name, fn in rankings.items()}
        empty = {name: sorted({t for texts in found.values() for t in texts if not finds_posts(searcher, t)})
                 for name, found in results.items()}
        shown = {name: len({t for texts in found.values() for t in texts}) for name, found in results.items()}
    names = list(rankings)
    print("\n| completion (bench/judged/completion.tsv) | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for split in ("heldout", "tune"):
        for cls in (None,) + quality.COMPLETION_CLASSES:
            keys = [(c["prefix"], c["target"]) for c in cases
                    if c["split"] == split and cls in (None, c["class"])]
            rr = {name: [next((1.0 / i for i, t in enumerate(results[name][k], 1)
                               if quality.completes(t, k[1])), 0.0) for k in keys] for name in names}
            print(f"| {split} success@5 {cls or '**overall**'} (n={len(keys)}) | "
                  + " | ".join(f"{np.mean([r > 0 for r in rr[n]]):.3f}" for n in names) + " |")
            if cls is None:
                print(f"| {split} MRR@5 | " + " | ".join(f"{np.mean(rr[n]):.3f}" for n in names) + " |")
    print("| suggestions (first five, all cases) finding no posts | "
          + " | ".join(f"{len(empty[n])}/{shown[n]}" for n in names) + " |")
    if VERBOSE:
        for name in names:
            misses = [f"{k[0]}→{k[1]}: {results[name][k]}" for k in results[name]
                      if not any(quality.completes(t, k[1]) for t in results[name][k])]
            print(f"\n{name}: misses\n  " + "\n  ".join(misses))
            print(f"{name}: finding no posts: {empty[name]}")


def spelling_quality(index_dir: Path) -> None:
    cases = quality.read_tsv("spelling.tsv")
    relevance = quality.read_tsv("relevance.tsv")
    with Searcher(index_dir) as searcher:
        searcher.warm()
        started = time.perf_counter()
        speller = spelling.speller(searcher.snapshot, searcher.reading_table())
        build_s = time.perf_counter() - started
        proposed, ms = {}, []
        for text in [c["query"] for c in cases] + [r["query"] for r in relevance]:
            started = time.perf_counter()
            found = speller.correct(text)
            ms.append((time.perf_counter() - started) * 1000)
            proposed[text] = found.text if found else None
    print(f"\n| did you mean (bench/judged/spelling.tsv; tables built in {build_s:.2f} s) | n | corrected as judged | any proposal |")
    print("|---|---|---|---|")
    for split in ("heldout", "tune"):
        for kind in (None, "homophone", "katakana", "ascii"):
            rows = [c for c in cases if c["split"] == split and kind in (None, c["kind"])]
            right = sum(quality.norm(proposed[c["query"]] or "") == quality.norm(c["correction"]) for c in rows)
            anyp = sum(proposed[c["query"]] is not None for c in rows)
            print(f"| {split} {kind or '**all**'} | {len(rows)} | {right}/{len(rows)} | {anyp}/{len(rows)} |")
        rows = [r for r in relevance if r["split"] == split]
        false = [r["query"] for r in rows if proposed[r["query"]] is not None]
        print(f"| {split}: correctly spelt relevance queries given a correction (false alarms) | {len(rows)} | | "
              f"{len(false)}/{len(rows)} |")
        if VERBOSE:
            for c in cases:
                if c["split"] == split and quality.norm(proposed[c["query"]] or "") != quality.norm(c["correction"]):
                    print(f"|  miss: {c['query']} → {proposed[c['query']]} (judged {c['correction']}) | | | |")
            for q in false:
                print(f"|  false alarm: {q} → {proposed[q]} | | | |")
    print(f"| `Speller.correct` p50 / p95 ms over all {len(ms)} queries | | "
          f"{statistics.median(ms):.1f} / {percentile(ms, 0.95):.1f} | |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=CACHE / "ja-docs-suggest-index")
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--baseline", default="main", help="git revision of search/query/suggest.py to compare with")
    parser.add_argument("--quality-only", action="store_true", help="only the judged-set tables")
    parser.add_argument("-v", "--verbose", action="store_true", help="list the misses")
    args = parser.parse_args()
    global VERBOSE
    VERBOSE = args.verbose
    index_dir = ensure_index(args.index)
    completion_quality(index_dir, args.baseline)
    spelling_quality(index_dir)
    if not args.quality_only:
        suggest_latency(index_dir, args.passes, args.baseline)
        reading_quality()
    return 0


if __name__ == "__main__":
    sys.exit(main())
