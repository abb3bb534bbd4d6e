"""The first requests after a commit, at any scale: bench/scale.py's
after-commit step with a server whose two workers are both warm first.

    python bench/after_commit.py [--scale 10] [--duration 15]

bench/scale.py's server (bench/load.py's `Server`) waits 60 s for
`/readyz`, less than a 10× searcher takes to open and warm on a loaded
machine; here the server is started the same way (2 workers × 4 threads,
result cache off) and both workers are asked until both have opened the
index. Then: 3 s of warm-up searches, `--duration` s of searches (rate,
p50, p99), and `scale.after_commit` (one post changed and indexed while 16
clients search: p99 of the 5 s after the commit appeared against the 5 s
before the index run). The corpus and index are scale.py's, under .cache/.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

import scale  # noqa: E402
from corpus import CACHE, REPO  # noqa: E402
from load import HOST, fetch, free_port, read_queries, run_clients, search_paths  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=int, default=10, help="multiple of ja-docs (default 10)")
    ap.add_argument("--duration", type=float, default=15.0, help="seconds of steady searches")
    args = ap.parse_args()
    if args.scale < 1:
        ap.error("--scale must be at least 1")
    site, index = scale.synthesized(args.scale), CACHE / f"ja-docs-x{args.scale}-index"
    if not index.exists():
        scale.run_measured(scale.cli("index", "--posts", str(site), "--index", str(index)))
    log_path = CACHE / "bench-after-commit-server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BLOGSEARCH_")}
    port = free_port()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "web.cli", "serve", "--query-log", tempfile.mkdtemp(), "--index", str(index),
             "--host", HOST, "--port", str(port), "--workers", "2", "--threads", "4", "--cache-size", "0"],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    started = time.monotonic()
    try:
        def opened() -> int:  # each worker logs "index …: generation N, M posts" when it has opened it
            return log_path.read_text(errors="replace").count(" posts\n")

        def ask() -> None:
            while opened() < 2 and proc.poll() is None:
                try:
                    conn = http.client.HTTPConnection(HOST, port, timeout=900)
                    fetch(conn, "/readyz")
                    conn.close()
                except OSError:
                    time.sleep(0.5)

        askers = [threading.Thread(target=ask) for _ in range(8)]
        for t in askers:
            t.start()
        for t in askers:
            t.join()
        if proc.poll() is not None:
            sys.exit(f"bench/after_commit.py: the server exited; see {log_path}")
        print(f"both workers opened the index after {time.monotonic() - started:.0f} s, "
              f"load average {scale.load_average()}", file=sys.stderr)
        paths = search_paths(port, read_queries())
        run_clients("warm-up", port, paths, 16, 3.0)
        searches = run_clients("search", port, paths, 16, args.duration)[0]
        figures = {"http_searches_per_s": searches.rate, "http_p50_ms": searches.percentile(0.5),
                   "http_p99_ms": searches.percentile(0.99)}
        figures |= scale.after_commit(site, index, port, paths)
        figures["load_average"] = scale.load_average()
    finally:
        proc.terminate()
        proc.wait(30)
    scale.run_measured(scale.cli("index", "--posts", str(site), "--index", str(index)))  # back to the corpus
    print(json.dumps(figures, indent=1))
    ratio = figures["after_commit_p99_ms"] / figures["steady_p99_ms"]
    print(f"p99 after a commit / steady p99: {ratio:.2f}× (target ≤ 2×)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
