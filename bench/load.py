"""Load benchmark of `blogsearch serve` on the ja-docs corpus.

    python bench/load.py [--duration 30] [--clients 16] [--workers 2] [--threads 4] [--cache-size 1024]

Builds (once) an index of ja-docs in .cache/ja-docs-index, starts the real
server (gunicorn) on a free port on 127.0.0.1, and runs `--clients`
keep-alive HTTP clients (threads, http.client) against it, in the same run:

* a baseline: a static file (/static/style.css) from the same server;
* searches: /api/search with the queries of bench/relevance_queries.tsv,
  each also on page 2 and narrowed by its most frequent tag, plus tag
  listings by date.

Prints a Markdown table (requests/s, latency percentiles, errors) and
whether the targets (0 errors, p99 < 100 ms, ≥ 200 searches/s) are met.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import CACHE, REPO, unpacked_corpus  # noqa: E402

QUERIES = REPO / "bench" / "relevance_queries.tsv"
INDEX = CACHE / "ja-docs-index"
HOST = "127.0.0.1"


def read_queries() -> list[str]:
    lines = QUERIES.read_text(encoding="utf-8").splitlines()[1:]
    return [line.split("\t")[0] for line in lines if line.strip()]


def ensure_index() -> Path:
    sys.path.insert(0, str(REPO))
    from search.errors import SearchError
    from search.indexer import build_index
    from search.schema import open_index

    site = unpacked_corpus()
    if site is None:
        sys.exit("bench/load.py: the ja-docs corpus is missing (see bench/corpus.py)")
    try:
        open_index(INDEX)  # exists and has this blogsearch's schema version
    except SearchError:
        pass
    else:
        return INDEX
    print(f"indexing {site} into {INDEX} ...", file=sys.stderr)
    report = build_index(site, INDEX, rebuild=True)
    print(report.summary(), file=sys.stderr)
    return INDEX


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def fetch(conn: http.client.HTTPConnection, path: str) -> tuple[int, bytes]:
    conn.request("GET", path)
    response = conn.getresponse()
    return response.status, response.read()


class Server:
    """`python -m web.cli serve` in a subprocess."""

    def __init__(self, index: Path, workers: int, threads: int, cache_size: int) -> None:
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("BLOGSEARCH_")}
        self.log = open(CACHE / "bench-server.log", "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "web.cli", "serve", "--query-log", tempfile.mkdtemp(prefix="blogsearch-querylog-"), "--index", str(index), "--host", HOST,
             "--port", str(self.port), "--workers", str(workers), "--threads", str(threads),
             "--cache-size", str(cache_size)],
            cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                sys.exit(f"server exited; see {self.log.name}")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=5)
                if fetch(conn, "/readyz")[0] == 200:
                    conn.close()
                    break
                conn.close()
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                sys.exit("server did not become ready in 60 s")
            time.sleep(0.1)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def search_paths(port: int, queries: list[str]) -> list[str]:
    """Each query, its page 2, and the query narrowed by its top tag; plus tag listings."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    paths: list[str] = []
    for q in queries:
        base = {"q": q}
        paths.append("/api/search?" + urlencode(base))
        paths.append("/api/search?" + urlencode({**base, "page": 2}))
        status, body = fetch(conn, paths[-2])
        facets = json.loads(body)["facets"]["tags"] if status == 200 else []
        if facets:
            paths.append("/api/search?" + urlencode({**base, "tag": facets[0]["value"]}))
    status, body = fetch(conn, "/api/tags")
    for tag in json.loads(body)["tags"][:10]:
        paths.append("/api/search?" + urlencode({"tag": tag["value"], "sort": "date"}))
    conn.close()
    return paths


@dataclass
class Result:
    name: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return math.nan
        return ordered[min(len(ordered) - 1, math.ceil(p * len(ordered)) - 1)] * 1000

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def row(self) -> str:
        return (f"| {self.name} | {len(self.latencies) + self.errors:,} | {self.rate:,.0f} | "
                f"{self.percentile(0.50):.1f} | {self.percentile(0.95):.1f} | "
                f"{self.percentile(0.99):.1f} | {self.percentile(1.0):.1f} | {self.errors} |")


def run_clients(name: str, port: int, paths: list[str], clients: int, duration: float) -> Result:
    """`clients` threads, each on its own keep-alive connection, cycling through
    `paths` from different offsets until `duration` seconds have passed."""
    result = Result(name)
    lock = threading.Lock()
    start_gate = threading.Barrier(clients + 1)
    deadline = [0.0]

    def client(offset: int) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        latencies: list[float] = []
        errors = 0
        i = offset
        start_gate.wait()
        while time.perf_counter() < deadline[0]:
            path = paths[i % len(paths)]
            i += 7  # a different walk per client
            t0 = time.perf_counter()
            try:
                status, _ = fetch(conn, path)
            except (OSError, http.client.HTTPException):
                errors += 1
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=30)
                continue
            elapsed = time.perf_counter() - t0
            if status == 200:
                latencies.append(elapsed)
            else:
                errors += 1
        conn.close()
        with lock:
            result.latencies.extend(latencies)
            result.errors += errors

    threads = [threading.Thread(target=client, args=(n * 13,)) for n in range(clients)]
    for t in threads:
        t.start()
    started = time.perf_counter()
    deadline[0] = started + duration
    start_gate.wait()
    for t in threads:
        t.join()
    result.seconds = time.perf_counter() - started
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per workload (default 30)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="per worker; 1 = sync worker")
    parser.add_argument("--cache-size", type=int, default=1024, help="result cache entries; 0 = off")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds before each workload")
    args = parser.parse_args()

    index = ensure_index()
    queries = read_queries()
    server = Server(index, args.workers, args.threads, args.cache_size)
    try:
        paths = search_paths(server.port, queries)
        static = ["/static/style.css"]
        results = []
        for name, workload in ((f"static file ({static[0]})", static),
                               (f"search (/api/search, {len(paths)} distinct URLs)", paths)):
            run_clients(name, server.port, workload, args.clients, args.warmup)
            results.append(run_clients(name, server.port, workload, args.clients, args.duration))
    finally:
        server.stop()

    print(f"\n{args.clients} keep-alive clients, {args.duration:.0f} s per workload after "
          f"{args.warmup:.0f} s warm-up; gunicorn {args.workers} workers × {args.threads} threads "
          f"({'gthread' if args.threads > 1 else 'sync'}), result cache {args.cache_size or 'off'}; "
          f"{os.cpu_count()} CPUs; {len(queries)} queries from {QUERIES.name}\n")
    print("| workload | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(r.row())
    search = results[-1]
    checks = [("0 errors", search.errors == 0 and results[0].errors == 0),
              ("p99 < 100 ms", search.percentile(0.99) < 100),
              ("≥ 200 searches/s", search.rate >= 200)]
    print("\n" + ", ".join(f"{name}: {'met' if ok else 'MISSED'}" for name, ok in checks))
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
