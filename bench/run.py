"""Indexing, query and relevance benchmark on the ja-docs corpus.

    python bench/run.py [--builds 3] [--repeat 3] [--skip-bigram] [--skip-groonga]

Everything is measured in the same run against baselines, so the
ratios stay meaningful on a shared, noisy machine:

* a bare fugashi pass over the same files (the floor for indexing);
* Whoosh with its own NgramAnalyzer(2, 2) on title and body, queried with
  an OR parser (the usual Whoosh answer for Japanese);
* Groonga with TokenMecab (MeCab, as ours) and NormalizerAuto: the `groonga`
  command loads the posts' titles and plain-text bodies (prepared as JSON
  before the clock starts) and then builds one positional index over both
  columns (offline index construction, Groonga's fastest). It sits at the
  floor of a MeCab-based indexer. Install it from Debian with
  `apt-get install groonga-bin groonga-tokenizer-mecab`; without the
  `groonga` command the row is skipped (tests never need it).

The builds are timed in rounds (fugashi, ours, bigram, Groonga; `--builds`
rounds) and each keeps its fastest round, as `timeit` does: on a shared
machine the slow rounds measure the neighbours, not the code.

Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import REPO, unpacked_corpus  # noqa: E402

from search import build_index  # noqa: E402
from search.ingest.posts import find_post_files, load_posts, posts_root  # noqa: E402
from search import Searcher  # noqa: E402

QUERIES = REPO / "bench" / "relevance_queries.tsv"


def read_queries() -> list[tuple[str, str, str]]:
    lines = QUERIES.read_text(encoding="utf-8").splitlines()[1:]
    return [tuple(line.split("\t")) for line in lines if line.strip()]  # type: ignore[misc]


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(p * len(ordered)) - 1)]


def mrr(ranked: dict[str, list[str]], queries: list[tuple[str, str, str]]) -> float:
    total = 0.0
    for q, expected, _ in queries:
        slugs = ranked[q][:10]
        total += 1.0 / (slugs.index(expected) + 1) if expected in slugs else 0.0
    return total / len(queries)


def bare_fugashi(site: Path) -> float:
    import fugashi

    tagger = fugashi.Tagger()
    texts = [p.read_text(encoding="utf-8") for p in find_post_files(posts_root(site))]
    started = time.perf_counter()
    for text in texts:
        for i in range(0, len(text), 20_000):  # MeCab crashes on multi-MB input
            for node in tagger(text[i : i + 20_000]):
                node.surface
    return time.perf_counter() - started


def time_queries(run, queries, repeat: int) -> tuple[list[float], list[float], dict[str, list[str]]]:
    """(cold latencies, warm latencies, ranked slugs) in milliseconds."""
    cold, warm, ranked = [], [], {}
    for i in range(repeat):
        for q, _, _ in queries:
            started = time.perf_counter()
            slugs = run(q)
            (cold if i == 0 else warm).append((time.perf_counter() - started) * 1000)
            ranked[q] = slugs
    return cold, warm, ranked


def build_ours(site: Path, work: Path) -> float:
    started = time.perf_counter()
    report = build_index(site, work / "ours", rebuild=True)
    build = time.perf_counter() - started
    assert not report.errors, report.errors[:3]
    return build


def ours(site: Path, work: Path, queries, repeat: int) -> dict:
    """Queries and an incremental run on the index of `build_ours`."""
    index_dir = work / "ours"
    report = build_index(site, index_dir)  # no change: reports the total

    with Searcher(index_dir) as searcher:
        searcher.warm()  # what a server does once per index generation

        def run(q: str) -> list[str]:
            result = searcher.search(q, per_page=10)
            assert all(h.snippet_html for h in result.hits)
            return [h.slug for h in result.hits]

        cold, warm, ranked = time_queries(run, queries, repeat)

    # incremental: change one post, re-run
    post = next(find_post_files(posts_root(site)))
    original = post.read_bytes()
    try:
        post.write_bytes(original + "\n\n追記：ベンチマークのための変更です。\n".encode())
        started = time.perf_counter()
        inc = build_index(site, index_dir)
        incremental = time.perf_counter() - started
        assert inc.indexed == 1, inc.summary()
    finally:
        post.write_bytes(original)
    build_index(site, index_dir)  # restore
    return {
        "size": dir_size(index_dir), "posts": report.total,
        "cold": cold, "warm": warm, "mrr": mrr(ranked, queries), "incremental": incremental,
    }


def bigram_schema():  # noqa: ANN201
    from whoosh.analysis import NgramAnalyzer
    from whoosh.fields import ID, TEXT, Schema

    return Schema(
        slug=ID(stored=True, unique=True),
        title=TEXT(analyzer=NgramAnalyzer(2, 2), stored=True),
        body=TEXT(analyzer=NgramAnalyzer(2, 2), stored=True),
    )


def build_bigram(posts: list, work: Path, procs: int) -> float:
    from whoosh import index

    index_dir = work / "bigram"
    shutil.rmtree(index_dir, ignore_errors=True)
    index_dir.mkdir()
    started = time.perf_counter()
    ix = index.create_in(str(index_dir), bigram_schema())
    writer = ix.writer(procs=procs, multisegment=True, limitmb=128)
    for p in posts:
        writer.add_document(slug=p.slug, title=p.title, body=p.body)
    writer.commit()
    return time.perf_counter() - started


def bigram_baseline(work: Path, queries, repeat: int) -> dict:
    """Queries on the index of `build_bigram`."""
    from whoosh import index
    from whoosh.qparser import MultifieldParser, OrGroup

    index_dir = work / "bigram"
    ix = index.open_dir(str(index_dir))
    parser = MultifieldParser(["title", "body"], ix.schema, group=OrGroup)
    with ix.searcher() as searcher:
        def run(q: str) -> list[str]:
            return [hit["slug"] for hit in searcher.search(parser.parse(q), limit=10)]

        cold, warm, ranked = time_queries(run, queries, repeat)
    return {"size": dir_size(index_dir), "cold": cold, "warm": warm, "mrr": mrr(ranked, queries)}


GROONGA_SCHEMA = """plugin_register tokenizers/mecab
table_create Posts TABLE_HASH_KEY ShortText
column_create Posts title COLUMN_SCALAR ShortText
column_create Posts body COLUMN_SCALAR LongText
"""
GROONGA_INDEX = """table_create Terms TABLE_PAT_KEY ShortText --default_tokenizer TokenMecab --normalizer NormalizerAuto
column_create Terms posts COLUMN_INDEX|WITH_POSITION|WITH_SECTION Posts title,body
"""


def groonga_commands(posts: list, work: Path) -> Path:
    """The `groonga` command file of the Groonga build (written before it is timed)."""
    path = work / "groonga.grn"
    with path.open("w", encoding="utf-8") as out:
        out.write(GROONGA_SCHEMA + "load --table Posts\n[\n")
        out.write(",\n".join(json.dumps({"_key": p.slug, "title": p.title, "body": p.body}, ensure_ascii=False)
                              for p in posts))
        out.write("\n]\n" + GROONGA_INDEX)
    return path


def build_groonga(commands: Path, work: Path) -> float:
    db = work / "groonga"
    shutil.rmtree(db, ignore_errors=True)
    db.mkdir()
    started = time.perf_counter()
    with commands.open("rb") as stdin:
        run = subprocess.run(["groonga", "-n", str(db / "db")], stdin=stdin, capture_output=True)
    took = time.perf_counter() - started
    if run.returncode or b"[[-" in run.stdout:  # an error answer starts with a negative code
        raise SystemExit(f"bench/run.py: groonga failed: {run.stdout[-500:]!r} {run.stderr[-500:]!r}")
    return took


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--builds", type=int, default=3, help="timed rounds of the three builds (the fastest counts)")
    ap.add_argument("--repeat", type=int, default=3, help="passes over the query list")
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--skip-bigram", action="store_true", help="skip the slow bigram baseline")
    ap.add_argument("--skip-groonga", action="store_true", help="skip the Groonga baseline")
    args = ap.parse_args()
    groonga = not args.skip_groonga and shutil.which("groonga") is not None
    if not args.skip_groonga and not groonga:
        print("no groonga command: the Groonga row is skipped "
              "(apt-get install groonga-bin groonga-tokenizer-mecab)", file=sys.stderr)

    site = unpacked_corpus()
    if site is None:
        print("ja-docs corpus not found (../shared/corpus/ja-docs)", file=sys.stderr)
        return 1
    queries = read_queries()
    chars = sum(len(p.read_text(encoding="utf-8")) for p in find_post_files(posts_root(site)))
    work = Path(tempfile.mkdtemp(prefix="blogsearch-bench-"))
    loaded = load_posts(site).posts if groonga or not args.skip_bigram else []
    posts_for_bigram = None if args.skip_bigram else loaded
    commands = groonga_commands(loaded, work) if groonga else None
    rounds: dict[str, list[float]] = {"floor": [], "ours": [], "bigram": [], "groonga": []}
    try:
        for _ in range(args.builds):
            rounds["floor"].append(bare_fugashi(site))
            rounds["ours"].append(build_ours(site, work))
            if posts_for_bigram is not None:
                rounds["bigram"].append(build_bigram(posts_for_bigram, work, args.procs))
            if commands is not None:
                rounds["groonga"].append(build_groonga(commands, work))
        groonga_size = dir_size(work / "groonga") if commands is not None else 0
        floor = min(rounds["floor"])
        mine = ours(site, work, queries, args.repeat) | {"build": min(rounds["ours"])}
        base = None if args.skip_bigram else (
            bigram_baseline(work, queries, args.repeat) | {"build": min(rounds["bigram"])})
    finally:
        shutil.rmtree(work, ignore_errors=True)

    posts = mine["posts"]
    print(f"\nja-docs: {posts} posts, {chars:,} characters; builds: fastest of {args.builds} rounds; "
          f"{len(queries)} queries × {args.repeat} passes, top 10\n")
    for name, times in rounds.items():
        if times:
            print(f"- {name} build rounds, s: " + ", ".join(f"{t:.1f}" for t in times))
    print()
    print("| | index s | posts/s | index MB | query median ms | query p95 ms (cold) | query p95 ms (warm) | MRR@10 |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| bare fugashi pass | {floor:.1f} | {posts / floor:.0f} | – | – | – | – | – |")
    rows = [("blogsearch (with snippets)", mine)] + ([("Whoosh NgramAnalyzer(2,2), OR (no snippets)", base)] if base else [])
    for name, r in rows:
        every = r["cold"] + r["warm"]
        print(f"| {name} | {r['build']:.1f} | {posts / r['build']:.0f} | {r['size'] / 1e6:.1f} | "
              f"{statistics.median(every):.1f} | {percentile(r['cold'], 0.95):.1f} | "
              f"{percentile(r['warm'], 0.95) if r['warm'] else float('nan'):.1f} | {r['mrr']:.3f} |")
    if rounds["groonga"]:
        g = min(rounds["groonga"])
        print(f"| Groonga, TokenMecab (load + offline index) | {g:.1f} | {posts / g:.0f} | {groonga_size / 1e6:.1f} "
              f"| – | – | – | – |")
    print()
    if rounds["groonga"]:
        print(f"- index build / Groonga-MeCab build: {mine['build'] / min(rounds['groonga']):.2f}× (target ≤ 2×)")
    print(f"- index build / bare fugashi: {mine['build'] / floor:.2f}× (target ≤ 2.5×)")
    if base:
        print(f"- bigram build / index build: {base['build'] / mine['build']:.2f}× (target ≥ 3×)")
        print(f"- query median, blogsearch / bigram: "
              f"{statistics.median(mine['cold'] + mine['warm']) / statistics.median(base['cold'] + base['warm']):.2f}× (target < 1)")
    print(f"- query p95 with snippets (all passes): {percentile(mine['cold'] + mine['warm'], 0.95):.1f} ms (target ≤ 25 ms)")
    print(f"- incremental run after changing one post: {mine['incremental']:.2f} s (target < 2 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
