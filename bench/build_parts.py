"""Where a build's CPU time goes, part by part, against the bigram build.

    python bench/build_parts.py [--rounds 2]

Each part of building the ja-docs index is timed alone, in one process
(CPU-seconds, the fastest of `--rounds`), in the same run as the bigram
baseline's build of `bench/run.py` (Whoosh's NgramAnalyzer(2, 2) with the
same two-process writer). The parts marked "needed" are what any build of
this index on this stack does: read the posts, run MeCab over their text,
and let Whoosh write the postings, given them ready. Spread perfectly over
the machine's cores they give a lower bound of the build's wall time, to
hold against a third of the bigram build.

Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import unpacked_corpus  # noqa: E402
from run import build_bigram  # noqa: E402

from search.text import morph  # noqa: E402
from search.index.whoosh.codec import BlogsearchCodec  # noqa: E402
from search.index.build import BUILD_GC_THRESHOLD  # noqa: E402
from search.index.schema import to_document  # noqa: E402
from search.text.passages import passage_terms  # noqa: E402
from search.ingest.posts import SiteConfig, find_post_files, parse_post, posts_root  # noqa: E402
from search.index.schema import create_index  # noqa: E402
from search.index.whoosh.segmentwriter import GroupedSegmentWriter  # noqa: E402
from search.index.whoosh.writers import LIMIT_MB  # noqa: E402

MECAB_FIELDS = ("title", "body", "tags_text")


def cpu(fn: Callable[[], Any], rounds: int) -> tuple[float, Any]:
    """(fastest CPU-seconds of `rounds` calls, the last result)."""
    best, result = float("inf"), None
    for _ in range(rounds):
        started = time.process_time()
        result = fn()
        best = min(best, time.process_time() - started)
    return best, result


def mecab_pass(docs: list[dict[str, Any]], tagger: Any) -> None:  # noqa: ANN401 (a fugashi tagger)
    for doc in docs:
        for field in MECAB_FIELDS:
            for _, chunk in morph._chunks(doc[field]):
                tagger.parse(chunk)


def surfaces_only_tagger() -> Any:  # noqa: ANN401
    """MeCab writing surfaces only: its cost without reading any feature."""
    import shlex

    import fugashi
    import unidic_lite

    rc = shlex.quote(os.path.join(unidic_lite.DICDIR, "mecabrc"))
    return fugashi.GenericTagger(
        f"-r {rc} -d {shlex.quote(unidic_lite.DICDIR)} -O '' -F%m\\n -U%m\\n -E .")


def postings_of(docs: list[dict[str, Any]], schema: Any) -> dict[str, dict[Any, list]]:  # noqa: ANN401
    """Each indexed field's postings per value, as `field.index` gives them."""
    ready: dict[str, dict[Any, list]] = {}
    for doc in docs:
        for name, value in doc.items():
            if schema[name].indexed:
                ready.setdefault(name, {})[value] = list(schema[name].index(value))
    return ready


def write_ready(docs: list[dict[str, Any]], ready: dict[str, dict[Any, list]]) -> None:
    ix = create_index(tempfile.mkdtemp(prefix="blogsearch-parts-"))
    try:
        writer = GroupedSegmentWriter(ix, limitmb=LIMIT_MB, codec=BlogsearchCodec())  # as a build
        for name, table in ready.items():  # this writer's schema only: it is never committed
            writer.schema[name].index = lambda value, table=table, **_: table[value]
        for doc in docs:
            writer.add_document(**doc)
        writer._finalize_segment()
        writer._finish()
    finally:
        shutil.rmtree(ix.storage.folder, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=2, help="timed rounds of each part (the fastest counts)")
    ap.add_argument("--procs", type=int, default=2)
    args = ap.parse_args()
    site = unpacked_corpus()
    if site is None:
        print("ja-docs corpus not found (../shared/corpus/ja-docs)", file=sys.stderr)
        return 1
    root = posts_root(site)
    files = [(p, p.relative_to(root).as_posix(), p.read_bytes()) for p in find_post_files(root)]
    config = SiteConfig()
    gc.set_threshold(*BUILD_GC_THRESHOLD)

    rows: list[tuple[str, float, bool]] = []
    t, posts = cpu(lambda: [p for p in (parse_post(d, p, r, config) for p, r, d in files) if p], args.rounds)
    rows.append(("read posts: YAML, Markdown to text", t, True))
    t, _ = cpu(lambda: [passage_terms(p.body) for p in posts], args.rounds)
    rows.append(("passage hashes", t, False))
    docs = [to_document(p) for p in posts]
    t, _ = cpu(lambda: mecab_pass(docs, surfaces_only_tagger()), args.rounds)
    rows.append(("MeCab, surfaces only (no features)", t, False))
    t, _ = cpu(lambda: mecab_pass(docs, morph.tagger()), args.rounds)
    rows.append(("MeCab, the features we read", t, True))
    schema = create_index(tempfile.mkdtemp(prefix="blogsearch-parts-")).schema
    t, ready = cpu(lambda: postings_of(docs, schema), args.rounds)
    rows.append(("analysis to postings, every field (MeCab included)", t, False))
    t, _ = cpu(lambda: write_ready(docs, ready), args.rounds)
    rows.append(("Whoosh writer, postings given", t, True))

    work = Path(tempfile.mkdtemp(prefix="blogsearch-parts-"))
    try:
        bigram = min(build_bigram(posts, work, args.procs) for _ in range(args.rounds))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"\nja-docs: {len(posts)} posts; CPU-seconds in one process, fastest of {args.rounds}\n")
    print("| part | CPU s | needed |")
    print("|---|---|---|")
    for name, seconds, needed in rows:
        print(f"| {name} | {seconds:.2f} | {'yes' if needed else ''} |")
    needed = sum(seconds for _, seconds, is_needed in rows if is_needed)
    print(f"\n- needed parts: {needed:.1f} CPU-s; over {args.procs} cores at best "
          f"{needed / args.procs:.1f} s of wall time")
    print(f"- bigram build ({args.procs} processes, same run): {bigram:.1f} s; a third of it: {bigram / 3:.1f} s")
    print(f"- needed parts at best / (bigram build / 3): {needed / args.procs / (bigram / 3):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
