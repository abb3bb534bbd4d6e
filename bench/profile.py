"""Where an uncached search request spends its time: py-spy on the real server.

    python bench/profile.py [--duration 20] [--rate 100] [--cache-size 0] [--raw DIR]

Starts the real server (bench/load.py's: gunicorn, 2 workers × 4 threads,
result cache off by default) on the ja-docs index, drives it with
load.py's 16 clients and search mix, and samples both workers with py-spy
(`pip install py-spy`; attaching needs ptrace rights: root, or
`kernel.yama.ptrace_scope=0`) in `--gil` mode: only the thread holding the
GIL is sampled, so the shares are of the CPU time spent in Python
(threads waiting for the search lock, a socket or the GIL are left out).

Prints a Markdown table: each sample is put in the first part of the
request path (from the innermost frame outwards) that it is inside, so the
shares add up to 100 %; then the same parts inclusive.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import Server, ensure_index, read_queries, run_clients, search_paths  # noqa: E402

# (part of the request path, pattern of a frame "function (file:line)"); the
# innermost frame that matches one of these decides a sample's part
PARTS = [
    ("snippets: best window, marking", r"\((search/text/snippets\.py)"),
    ("snippets: match positions (char_spans)", r"^(Snapshot\.char_spans|_pieces) "),
    ("stored fields (title, body, ... of each hit)", r"stored_fields \("),
    ("facet counts", r"^(facets|Snapshot\.facet_counts)"),
    ("filters: tags, category, dates (_allowed)", r"^Searcher\._allowed "),
    ("ranking: postings, BM25F (score_plan)", r"^score_plan "),
    ("query analysis (plan: MeCab, readings)", r"^Searcher\.plan "),
    ("hits: sections, links (rest of make_hits)", r"\((search/query/hits\.py)"),
    ("filters, sorting (rest of Searcher.search)", r"^Searcher\.search "),
    ("generation check (index_version)", r"^(Searcher\.is_current|index_version) "),
    ("result cache, search lock (SharedSearcher)", r"\(web/searching\.py"),
    ("JSON encoding", r"^(jsonify|dumps|JSONEncoder|DefaultJSONProvider)"),
    ("search log (record_search)", r"^record_search "),
    ("ETag, Cache-Control (cacheable)", r"^(etag_for|cacheable)"),
    ("parameters (parse_search_params)", r"^parse_search_params "),
    ("Flask, Werkzeug: routing, request, response", r"\((flask|werkzeug)/"),
    ("gunicorn: parsing, writing, threads", r"\((gunicorn|web/server\.py|selectors\.py|socket\.py)"),
]


def part_of(frames: list[str]) -> str:
    for frame in reversed(frames):
        for name, pattern in PARTS:
            if re.search(pattern, frame):
                return name
    return "other (interpreter, thread pool)"


def parts_inclusive(frames: list[str]) -> set[str]:
    return {name for frame in frames for name, pattern in PARTS if re.search(pattern, frame)}


def read_raw(paths: list[Path]) -> tuple[Counter[str], Counter[str], int]:
    exclusive: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for path in paths:
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            frames = stack.split(";")
            n = int(count)
            total += n
            exclusive[part_of(frames)] += n
            for name in parts_inclusive(frames):
                inclusive[name] += n
    return exclusive, inclusive, total


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=20.0, help="seconds sampled")
    ap.add_argument("--rate", type=int, default=100, help="py-spy samples per second")
    ap.add_argument("--cache-size", type=int, default=0, help="the server's result cache (0 = off)")
    ap.add_argument("--raw", type=Path, help="keep py-spy's collapsed stacks in this folder")
    args = ap.parse_args()
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(py_spy).exists():
        print("bench/profile.py: py-spy is missing (pip install py-spy)", file=sys.stderr)
        return 2

    raw_dir = args.raw or Path(tempfile.mkdtemp(prefix="blogsearch-profile-"))
    raw_dir.mkdir(parents=True, exist_ok=True)
    server = Server(ensure_index(), 2, 4, args.cache_size)
    try:
        paths = search_paths(server.port, read_queries())
        run_clients("warm-up", server.port, paths, 16, 3.0)
        workers = Path(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children").read_text().split()
        spies = [subprocess.Popen([py_spy, "record", "--gil", "--nonblocking", "-p", pid,
                                   "-d", str(int(args.duration)), "-r", str(args.rate), "--format", "raw",
                                   "-o", str(raw_dir / f"worker-{pid}.txt")],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for pid in workers]
        time.sleep(1.0)  # py-spy attaches
        searches = run_clients("search", server.port, paths, 16, args.duration - 1.0)[0]
        for spy in spies:
            spy.wait()
    finally:
        server.stop()
    exclusive, inclusive, total = read_raw(sorted(raw_dir.glob("worker-*.txt")))
    if not total:
        print("bench/profile.py: py-spy recorded nothing (can it attach? see the doc)", file=sys.stderr)
        return 1
    print(f"\n{len(paths)} distinct search URLs, 16 clients, 2 workers × 4 threads, result cache "
          f"{args.cache_size or 'off'}: {searches.rate:.0f} searches/s, p50 {searches.percentile(0.5):.0f} ms, "
          f"p99 {searches.percentile(0.99):.0f} ms; {total:,} py-spy samples (--gil, {args.rate}/s per worker)\n")
    print("| part of the request path | share of CPU samples (self) | inclusive |")
    print("|---|---:|---:|")
    for name, n in exclusive.most_common():
        print(f"| {name} | {100 * n / total:.1f} % | {100 * inclusive.get(name, n) / total:.1f} % |")
    print(f"\ncollapsed stacks: {raw_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
