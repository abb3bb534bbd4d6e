"""Where a one-post update goes, phase by phase, at a scale of ja-docs.

    python bench/update_phases.py [--scale 10] [--rounds 5] [--baseline DIR]

Uses bench/scale.py's synthetic corpus and its index (.cache/ja-docs-xN and
.cache/ja-docs-xN-index, built here with `index --rebuild` if missing).
Each round appends a line to the first post, runs `blogsearch index` in a
fresh process (wall and CPU seconds of the process, peak RSS), then puts
the post back and runs the update again (not timed). With `--baseline
DIR`, the code of that checkout runs the same update right before this
checkout's in each round, on the same index (one-post updates do not
depend on which code built it).

Then, in one process of this checkout, the same update with each phase
timed (the functions of `search.index.build` wrapped with timers, the real
code run): imports, reading the index's slugs and hashes, loading the file
stats, walking and stat-ing the posts, reading and analysing the changed
post and writing it (commit included), saving the file stats, the rest.

Both checkouts are byte-compiled first, as an installed blogsearch is
(`scale.byte_compiled`). Prints Markdown tables (medians of the rounds)
and the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import CACHE, REPO  # noqa: E402
from scale import byte_compiled, cli, load_average, synthesized  # noqa: E402

CHANGE = "\n追記：更新の測定のための変更です。{}\n"


def run(cmd: list[str], code: Path) -> dict[str, float]:
    """Wall and CPU seconds and peak RSS (MB) of `cmd` run in `code`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BLOGSEARCH_")}
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=code, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status):
        sys.exit(f"bench/update_phases.py: {' '.join(cmd)} failed in {code}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss": usage.ru_maxrss / 1024}


def updated(post: Path, original: bytes, round_: int, fn: Callable[[], Any]) -> Any:  # noqa: ANN401
    """`fn()` with the post changed; the post is put back after."""
    post.write_bytes(original + CHANGE.format(round_).encode())
    try:
        return fn()
    finally:
        post.write_bytes(original)


def phases(site: Path, index: Path) -> dict[str, float]:
    """CPU and wall seconds of each phase of one update, in this process."""
    started = (time.perf_counter(), time.process_time())
    from search.index import build
    from search.index.filestats import FileStats
    from search.index.schema import stored_site_config

    took: dict[str, list[float]] = {"imports": [time.perf_counter() - started[0],
                                                time.process_time() - started[1]]}

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent = took.setdefault(name, [0.0, 0.0])
                spent[0] += time.perf_counter() - wall
                spent[1] += time.process_time() - cpu
        return wrapper

    build.indexed_docnums = timed("index: slugs and hashes", build.indexed_docnums)
    build.FileStats = type("TimedStats", (FileStats,), {
        "load": classmethod(lambda cls, *a: timed("file stats: load", FileStats.load.__func__)(cls, *a)),
        "save": lambda self, *a: timed("file stats: save", FileStats.save)(self, *a),
    })
    build._changed_files = timed("walk and stat the posts", build._changed_files)
    build._write = timed("read, analyse, write and commit the post", build._write)
    config = stored_site_config(index)  # as the CLI takes it for a site without _config.yml
    wall, cpu = time.perf_counter(), time.process_time()
    report = build.build_index(site, index, config, procs=1)
    total = [time.perf_counter() - wall, time.process_time() - cpu]
    assert report.indexed == 1, report.summary()
    took["rest (open, lock, total, site settings)"] = [
        total[i] - sum(v[i] for k, v in took.items() if k != "imports") for i in (0, 1)]
    return {f"{name}|{kind}": v[i] for name, v in took.items() for i, kind in enumerate(("wall", "cpu"))}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--baseline", metavar="DIR", type=Path, help="a checkout whose code runs the same update")
    ap.add_argument("--phases-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    site = synthesized(args.scale)
    index = CACHE / f"ja-docs-x{args.scale}-index"
    post = sorted((site / "_posts").glob("*.md"))[0]
    original = post.read_bytes()
    if args.phases_only:  # the child process of the phase table
        figures = updated(post, original, 0, lambda: phases(site, index))
        print(repr(figures))
        return 0
    if not (index / "blogsearch.json").exists():
        print(f"building {index} ...", file=sys.stderr)
        run(cli("index", "--posts", str(site), "--index", str(index), "--rebuild"), REPO)
    index_args = cli("index", "--posts", str(site), "--index", str(index))
    codes = [("this checkout", REPO)]
    if args.baseline:
        codes.insert(0, ("baseline", args.baseline.resolve()))
    for _, code in codes:
        byte_compiled(code)
    loads = [load_average()]
    runs: dict[str, list[dict[str, float]]] = {name: [] for name, _ in codes}
    for round_ in range(args.rounds):
        for name, code in codes:
            runs[name].append(updated(post, original, round_, lambda: run(index_args, code)))
            run(index_args, REPO)  # back to the corpus
    loads.append(load_average())
    parts: list[dict[str, float]] = []
    for _ in range(args.rounds):
        out = subprocess.run([sys.executable, __file__, "--scale", str(args.scale), "--phases-only"],
                             check=True, capture_output=True, text=True).stdout
        parts.append(eval(out.strip().splitlines()[-1]))  # noqa: S307 (our own child's repr)
        run(index_args, REPO)
    loads.append(load_average())
    print(f"\none-post update at {args.scale}× ja-docs, median of {args.rounds} rounds; "
          f"load average {' → '.join(loads)}\n")
    print("| code | wall s | CPU s | peak RSS MB |\n|---|---:|---:|---:|")
    for name, figures in runs.items():
        med = {k: statistics.median(f[k] for f in figures) for k in ("wall", "cpu", "rss")}
        print(f"| {name} | {med['wall']:.2f} | {med['cpu']:.2f} | {med['rss']:,.0f} |")
    print("\n| phase (this checkout, one process) | wall s | CPU s |\n|---|---:|---:|")
    names = list(dict.fromkeys(k.split("|")[0] for k in parts[0]))
    for name in names:
        wall = statistics.median(p[f"{name}|wall"] for p in parts)
        cpu = statistics.median(p[f"{name}|cpu"] for p in parts)
        print(f"| {name} | {wall:.3f} | {cpu:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
