"""Load benchmark of `blogsearch serve` on the ja-docs corpus.

    python bench/load.py [--duration 30] [--clients 16] [--workers 2] [--threads 4] [--cache-size 1024]
                         [--drafts 4] [--editor-concurrency 1] [--kills 0]

Builds (once) an index of ja-docs in .cache/ja-docs-index, starts the real
server (gunicorn) on a free port on 127.0.0.1, and runs `--clients`
keep-alive HTTP clients (threads, http.client) against it, in the same run:

* a baseline: a static file (/static/style.css) from the same server;
* searches: /api/search with the queries of bench/relevance_queries.tsv,
  each also on page 2 and narrowed by its most frequent tag, plus tag
  listings by date;
* searches beside drafts: the same searches while `--drafts` more clients
  post 250 KB Markdown drafts (real ja-docs text) to `POST /api/related`
  without pause, retrying at once when refused with 503 `busy` (the
  server's `--editor-concurrency` bound). The searches' p50/p99 are compared
  with the searches alone, measured just before in the same run;
* with `--kills N`, searches while a worker is SIGKILLed N times (gunicorn
  starts a new one each time): the requests that fail per kill, a known limit.

Prints a Markdown table (requests/s, latency percentiles, errors) and
whether the targets (0 errors, p99 < 100 ms, ≥ 200 searches/s; beside the
drafts, search p50 within 3× and p99 within 10× of the searches alone) are met.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
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
    from search import build_index
    from search.index.schema import open_index

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


DRAFT_BYTES = 250 * 1024
RECONNECT_EVERY = 50  # requests per keep-alive connection of a search client


def draft_bodies(site: Path, count: int = 8) -> list[bytes]:
    """`count` Markdown drafts of DRAFT_BYTES (UTF-8) each, made of consecutive ja-docs
    posts written mostly in Japanese (front matter dropped; so a draft stays under the
    library's 200,000 characters), each starting at a different post."""
    texts = []
    for path in sorted((site / "_posts").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        text = text.split("---", 2)[2] if text.startswith("---") else text
        if len(text.encode("utf-8")) >= 2 * len(text):
            texts.append(text)
    drafts = []
    for n in range(count):
        draft, i = "---\ntitle: 下書き\n---\n", n * len(texts) // count
        while len(draft.encode("utf-8")) < DRAFT_BYTES:
            draft += texts[i % len(texts)] + "\n"
            i += 1
        drafts.append(draft.encode("utf-8")[:DRAFT_BYTES].decode("utf-8", "ignore").encode("utf-8"))
    return drafts


def post(conn: http.client.HTTPConnection, path: str, body: bytes) -> tuple[int, bytes]:
    conn.request("POST", path, body=body, headers={"Content-Type": "text/markdown; charset=utf-8"})
    response = conn.getresponse()
    return response.status, response.read()


class Server:
    """`python -m web.cli serve` in a subprocess."""

    def __init__(self, index: Path, workers: int, threads: int, cache_size: int,
                 editor_concurrency: int = 1, ready_within: float = 60.0) -> None:
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("BLOGSEARCH_")}
        self.log = open(CACHE / "bench-server.log", "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "web.cli", "serve", "--query-log", tempfile.mkdtemp(prefix="blogsearch-querylog-"), "--index", str(index), "--host", HOST,
             "--port", str(self.port), "--workers", str(workers), "--threads", str(threads),
             "--cache-size", str(cache_size), "--editor-concurrency", str(editor_concurrency)],
            cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + ready_within
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
                sys.exit(f"server did not become ready in {ready_within:g} s")
            time.sleep(0.1)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


class WorkerKiller(threading.Thread):
    """SIGKILLs one of gunicorn's workers (children of `master`) `count` times,
    evenly spread over `duration` seconds."""

    def __init__(self, master: int, count: int, duration: float) -> None:
        super().__init__(daemon=True)
        self.master, self.count, self.duration = master, count, duration
        self.kills = 0

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.master}/task/{self.master}/children").read_text().split()
        return [int(pid) for pid in children]

    def run(self) -> None:
        for n in range(self.count):
            time.sleep(self.duration / (self.count + 1))
            workers = self.workers()
            if workers:
                os.kill(workers[n % len(workers)], signal.SIGKILL)
                self.kills += 1


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
    refused: int = 0  # 503 busy (drafts only; not errors)
    failures: Counter[str] = field(default_factory=Counter)  # error -> count

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return math.nan
        return ordered[min(len(ordered) - 1, math.ceil(p * len(ordered)) - 1)] * 1000

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def row(self) -> str:
        refused = f" ({self.refused:,} refused busy)" if self.refused else ""
        return (f"| {self.name} | {len(self.latencies) + self.errors + self.refused:,}{refused} | "
                f"{self.rate:,.1f} | {self.percentile(0.50):.1f} | {self.percentile(0.95):.1f} | "
                f"{self.percentile(0.99):.1f} | {self.percentile(1.0):.1f} | {self.errors} |")


def run_clients(name: str, port: int, paths: list[str], clients: int, duration: float,
                drafts: list[bytes] = (), draft_clients: int = 0) -> list[Result]:
    """`clients` threads, each on its own keep-alive connection (a new one every
    RECONNECT_EVERY answers: gunicorn hands a connection to one worker for good,
    and a draft holds up its whole worker), cycling through `paths` from
    different offsets until `duration` seconds have passed; beside
    them, `draft_clients` threads posting `drafts` to /api/related. One Result
    per kind of client."""
    searches, posted = Result(name), Result(f"drafts (POST /api/related, {DRAFT_BYTES // 1024} KB)")
    lock = threading.Lock()
    start_gate = threading.Barrier(clients + draft_clients + 1)
    deadline = [0.0]

    def client(offset: int, drafting: bool) -> None:
        result = posted if drafting else searches
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        latencies: list[float] = []
        errors = refused = 0
        failures: Counter[str] = Counter()
        i, sent = offset, 0
        start_gate.wait()
        while time.perf_counter() < deadline[0]:
            sent += 1
            if not drafting and sent % RECONNECT_EVERY == 0:
                conn.close()  # so that over a run, clients meet every worker
                conn = http.client.HTTPConnection(HOST, port, timeout=60)
            t0 = time.perf_counter()
            try:
                if drafting:
                    status, _ = post(conn, "/api/related", drafts[i % len(drafts)])
                    i += 1
                else:
                    status, _ = fetch(conn, paths[i % len(paths)])
                    i += 7  # a different walk per client
            except (OSError, http.client.HTTPException) as e:
                errors += 1
                failures[type(e).__name__] += 1
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=60)
                continue
            elapsed = time.perf_counter() - t0
            if status == 200:
                latencies.append(elapsed)
            elif status == 503 and drafting:
                refused += 1
            else:
                errors += 1
                failures[f"HTTP {status}"] += 1
        conn.close()
        with lock:
            result.latencies.extend(latencies)
            result.errors += errors
            result.refused += refused
            result.failures.update(failures)

    threads = [threading.Thread(target=client, args=(n * 13, False)) for n in range(clients)]
    threads += [threading.Thread(target=client, args=(n, True)) for n in range(draft_clients)]
    for t in threads:
        t.start()
    started = time.perf_counter()
    deadline[0] = started + duration
    start_gate.wait()
    for t in threads:
        t.join()
    searches.seconds = posted.seconds = time.perf_counter() - started
    return [searches, posted] if draft_clients else [searches]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per workload (default 30)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="per worker")
    parser.add_argument("--cache-size", type=int, default=1024, help="result cache entries; 0 = off")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds before each workload")
    parser.add_argument("--drafts", type=int, default=4,
                        help="clients posting 250 KB drafts beside the searches (0 = skip that workload)")
    parser.add_argument("--editor-concurrency", type=int, default=1,
                        help="the server's bound on drafts computed at once per worker (0 = no bound)")
    parser.add_argument("--kills", type=int, default=0,
                        help="SIGKILL a worker this many times during one more search workload, and "
                             "count the requests that fail (a known limit; RELIABILITY.md)")
    args = parser.parse_args()

    index = ensure_index()
    queries = read_queries()
    drafts = draft_bodies(unpacked_corpus()) if args.drafts else []
    server = Server(index, args.workers, args.threads, args.cache_size, args.editor_concurrency)
    try:
        paths = search_paths(server.port, queries)
        static = ["/static/style.css"]
        search_name = f"search (/api/search, {len(paths)} distinct URLs)"
        results = []
        for name, workload in ((f"static file ({static[0]})", static), (search_name, paths)):
            run_clients(name, server.port, workload, args.clients, args.warmup)
            results += run_clients(name, server.port, workload, args.clients, args.duration)
        if args.drafts:
            results += run_clients(f"search beside {args.drafts} draft clients", server.port, paths,
                                   args.clients, args.duration, drafts, args.drafts)
        if args.kills:
            killer = WorkerKiller(server.proc.pid, args.kills, args.duration)
            killer.start()
            killed = run_clients(f"search while {args.kills} workers are killed", server.port, paths,
                                 args.clients, args.duration)[0]
            killer.join()
    finally:
        server.stop()

    print(f"\n{args.clients} keep-alive clients, {args.duration:.0f} s per workload after "
          f"{args.warmup:.0f} s warm-up; gunicorn {args.workers} workers × {args.threads} threads, "
          f"result cache {args.cache_size or 'off'}, editor concurrency "
          f"{args.editor_concurrency or 'unbounded'} per worker; "
          f"{os.cpu_count()} CPUs; {len(queries)} queries from {QUERIES.name}\n")
    print("| workload | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(r.row())
    for r in results:
        if r.failures:
            print(f"\nerrors of {r.name}: " + ", ".join(f"{k} × {n}" for k, n in r.failures.most_common()))
    search = results[1]
    checks = [("0 errors", all(r.errors == 0 for r in results)),
              ("p99 < 100 ms", search.percentile(0.99) < 100),
              ("≥ 200 searches/s", search.rate >= 200)]
    if args.drafts:
        beside, posted = results[2], results[3]
        p50, p99 = (beside.percentile(p) / search.percentile(p) for p in (0.50, 0.99))
        print(f"\nsearches beside the drafts against searches alone: p50 {p50:.2f}×, p99 {p99:.2f}×, "
              f"throughput {beside.rate / search.rate:.2f}×; drafts answered {len(posted.latencies)}, "
              f"refused busy {posted.refused}")
        checks += [("search p50 beside drafts ≤ 3×", p50 <= 3), ("search p99 beside drafts ≤ 10×", p99 <= 10)]
    if args.kills:
        print(f"\n{killer.kills} workers SIGKILLed during {args.duration:.0f} s of searches: "
              f"{killed.errors} failed requests ({killed.errors / max(1, killer.kills):.1f} per kill: "
              f"{', '.join(f'{k} × {n}' for k, n in killed.failures.most_common()) or 'none'}), "
              f"{len(killed.latencies):,} answered, p99 {killed.percentile(0.99):.0f} ms")
    print("\n" + ", ".join(f"{name}: {'met' if ok else 'MISSED'}" for name, ok in checks))
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
