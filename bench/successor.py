"""What warming a new index generation costs after a small commit.

    python bench/successor.py [--scale 10] [--change one|add|delete] [--baseline DIR] [--profile] [--answers DIR]

A server answering from one generation opens the next one after a commit
and warms it in the background (`web.searching`: `Searcher.successor()`,
`warm()`, then `warm_editor` on the editor lane's searcher), on the same
cores that answer requests. This bench measures that warm-up in CPU
seconds of the process (not wall: the machine is shared), after one
commit of `--change` (one post changed, one added, one deleted), on a copy
of the scale's index (.cache/ja-docs-index at 1×, .cache/ja-docs-xN-index
at N×, with the site bench/scale.py synthesizes) and a copy of its posts.

Each checkout (`--baseline DIR` first, then this one) runs in its own
process on its own copy of the index: open and warm both lanes, commit
(this checkout's `blogsearch index`, so both see the same commit), then
the successor's warm-up is timed, and a fresh warm-up of the same
generation (a new Searcher with no tables kept; module-level memos of text
functions stay, as in a worker that has run a while) for comparison.
With `--answers DIR`, each successor's answers (completions of the starts
of titles, tags and words; corrections of words with a letter left out;
related posts) are written to DIR and compared: a derived table must
answer as one built from scratch. Prints a Markdown table and the load
average.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

_BENCH = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if p != _BENCH]  # bench/profile.py is not the stdlib's profile
import cProfile  # noqa: E402
import pstats  # noqa: E402

sys.path.insert(0, _BENCH)

from corpus import CACHE, REPO, unpacked_corpus  # noqa: E402
from scale import load_average, synthesized  # noqa: E402

CHANGE = "\n追記：コミット直後の測定です。\n"
NEW_POST = """---
title: コミット直後のウォームアップを測る
tags: [測定]
---
新しい世代のインデックスを温める費用を測定します。ペンギンの行進のように少しずつ。
"""


def site_and_index(scale: int) -> tuple[Path, Path]:
    if scale == 1:
        site = unpacked_corpus()
        if site is None:
            sys.exit("bench/successor.py: the ja-docs corpus is missing (see bench/corpus.py)")
        return site, CACHE / "ja-docs-index"
    return synthesized(scale), CACHE / f"ja-docs-x{scale}-index"


def commit(site: Path, index: Path, change: str) -> None:
    """One commit of `change` to a copy of the posts (this checkout's CLI)."""
    posts = sorted((site / "_posts").rglob("*.md"))
    if change == "one":
        posts[1].write_bytes(posts[1].read_bytes() + CHANGE.encode())
    elif change == "add":
        (site / "_posts" / "2026-12-08-successor-bench.md").write_text(NEW_POST, encoding="utf-8")
    else:
        posts[1].unlink()
    subprocess.run([sys.executable, "-m", "search.cli", "index", "--posts", str(site), "--index", str(index)],
                   cwd=REPO, check=True, stdout=subprocess.DEVNULL)


def worker(code: Path, index: Path, site: Path, change: str, profile: bool, answers: str = "") -> dict[str, float]:
    """Runs in a subprocess with `code` first on sys.path."""
    sys.path.insert(0, str(code))
    from search.editorial.warm import warm_editor
    from search.query.searcher import Searcher

    current = Searcher(index)
    current.warm()
    editor = Searcher(index, current.tables)
    warm_editor(editor)
    commit(site, index, change)

    profiler = None
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
    cpu, wall = time.process_time(), time.perf_counter()
    successor = current.successor()  # as web.searching's switch does
    successor.warm()
    next_editor = successor.successor()
    warm_editor(next_editor)
    figures = {"successor_cpu": time.process_time() - cpu, "successor_wall": time.perf_counter() - wall}
    if profiler is not None:
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(30)
    if answers:
        Path(answers).write_text(json.dumps(answers_of(successor, next_editor), ensure_ascii=False, indent=0),
                                 encoding="utf-8")
    cpu = time.process_time()
    fresh = Searcher(index)
    fresh.warm()
    warm_editor(Searcher(index, fresh.tables))
    figures["fresh_cpu"] = time.process_time() - cpu
    figures["posts"] = successor.doc_count
    return figures


def answers_of(searcher: Any, editor: Any) -> dict[str, Any]:
    """The successor's completions for the starts of titles, tags and words,
    corrections of words with a character left out, and related posts."""
    from search.editorial.related import related_posts
    from search.query.suggest import read_vocabulary

    snapshot = searcher.snapshot
    live = [int(d) for d in np.flatnonzero(snapshot.live)]
    titles = [snapshot.stored(d).title for d in live[:: max(1, len(live) // 300)]]
    tags = [tag for tag, _ in snapshot.facet_counts("tags", snapshot.live)][:300]
    words = sorted(read_vocabulary(snapshot))
    sample = words[:: max(1, len(words) // 600)]
    typed = sorted({t[:n] for t in titles + tags + sample for n in (1, 2, 3)})
    typos = sorted({w[:i] + w[i + 1:] for w in sample if len(w) >= 4 for i in (1, len(w) - 2)})
    slugs = [snapshot.stored(d).slug for d in live[:: max(1, len(live) // 40)]]
    return {
        "suggest": {t: searcher.suggest(t, 10).to_dict() for t in typed},
        "did_you_mean": {t: searcher.search(t).did_you_mean for t in typos},
        "related": {s: related_posts(editor, s).to_dict() for s in slugs},
    }


def measure(code: Path, index: Path, site: Path, change: str, profile: bool, answers: str = "") -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="successor-") as tmp:
        index_copy, site_copy = Path(tmp) / "index", Path(tmp) / "site"
        shutil.copytree(index, index_copy)
        shutil.copytree(site, site_copy)
        out = subprocess.run([sys.executable, __file__, "--worker", str(code), str(index_copy), str(site_copy),
                              change, answers] + (["--profile"] if profile else []),
                             cwd=REPO, check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(out.stdout.splitlines()[-1])


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        code, index, site, change, answers = sys.argv[2:7]
        figures = worker(Path(code), Path(index), Path(site), change, "--profile" in sys.argv, answers)
        print(json.dumps(figures))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=int, default=10, help="multiple of ja-docs (1: ja-docs itself)")
    ap.add_argument("--change", choices=("one", "add", "delete"), default="one",
                    help="the commit: one post changed (default), one added, one deleted")
    ap.add_argument("--baseline", metavar="DIR", type=Path, help="a checkout whose code is measured first")
    ap.add_argument("--profile", action="store_true", help="cProfile of the successor's warm-up, to stderr")
    ap.add_argument("--answers", metavar="DIR", type=Path,
                    help="write each checkout's successor's answers (completions, corrections, related"
                         " posts) to DIR/<code>.json and say whether they are equal (run with PYTHONHASHSEED=0)")
    args = ap.parse_args()
    site, index = site_and_index(args.scale)
    if not index.exists():
        sys.exit(f"bench/successor.py: no index at {index} (bench/scale.py --steps build makes it)")
    load = load_average()
    rows = []
    for name, code in ([("baseline", args.baseline.resolve())] if args.baseline else []) + [("this", REPO)]:
        print(f"measuring {name} ({code}) ...", file=sys.stderr)
        out = str(args.answers.resolve() / f"{name}.json") if args.answers else ""
        rows.append((name, measure(code, index, site, args.change, args.profile, out)))
    print(f"\nwarm-up after a commit ({args.change}) at {args.scale}× "
          f"({int(rows[0][1]['posts'])} posts), CPU seconds; load average before: {load}, after: {load_average()}\n")
    print("| code | successor warm-up CPU s | wall s | fresh warm-up CPU s | successor / fresh |")
    print("|---|---|---|---|---|")
    for name, f in rows:
        print(f"| {name} | {f['successor_cpu']:.2f} | {f['successor_wall']:.2f} | {f['fresh_cpu']:.2f} "
              f"| {f['successor_cpu'] / f['fresh_cpu']:.2f} |")
    if args.answers and len(rows) == 2:
        same = (args.answers / "baseline.json").read_bytes() == (args.answers / "this.json").read_bytes()
        print(f"\nsuccessor's answers (completions, corrections, related): {'equal' if same else 'DIFFERENT'}")
    if len(rows) == 2:
        print(f"\nthis / baseline (successor warm-up CPU): {rows[1][1]['successor_cpu'] / rows[0][1]['successor_cpu']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
