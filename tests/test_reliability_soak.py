"""Soak: the production server under steady search load while an indexer
commits a change every few seconds (issue #6).

`blogsearch serve` (gunicorn, 2 workers × 4 threads, search log on) runs on
a free port over an index of data/posts plus generated posts. 16 keep-alive
clients search (/api/search, /search, /api/suggest, conditional requests and
a few deliberately bad ones). Each round `blogsearch index` commits a unique
marker word written into one post (replacing the post's previous one); every
4th round also adds a post, every 4th (offset) deletes one, every 10th is a
`--rebuild` (atomic swap). After each commit, probes on fresh connections —
each attributed to the worker that accepted it, through /proc/net/tcp and
the workers' socket fds — run until every worker has answered with the
change. The next round starts COMMIT_EVERY seconds after this one started,
or at once if the CLI and the probes took longer (they do on a loaded 2-core
machine). Open descriptors, index files held open or mapped, and RSS of the
master and every worker are sampled throughout. A Markdown summary is
printed (run with -s) and written to soak-summary.md in the test's tmp_path.

Default length 40 s (regular CI); the full run:

    BLOGSEARCH_SOAK_SECONDS=300 .venv/bin/python -m pytest -p no:cacheprovider -s \\
        -m reliability tests/test_reliability_soak.py
"""

from __future__ import annotations

import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
import unidic_lite

from search.text.morph import analyze
from tests.test_web_server import get
from web.server import gunicorn_options

pytestmark = pytest.mark.reliability

from tests.support import REPO, blogsearch_serve, clean_env  # noqa: E402
SECONDS = float(os.environ.get("BLOGSEARCH_SOAK_SECONDS", "40"))
CLIENTS = 16
WORKERS = 2
THREADS = 4
EXTRA_POSTS = 48  # generated beside the 16 sample posts
COMMIT_EVERY = 2.5  # seconds from one index run's start to the next
VISIBLE_WITHIN = 5.0  # a commit must be answered by every worker this soon
PROBE_LIMIT = 15.0  # keep probing this long, to measure a miss
WARMUP = min(60.0, max(10.0, SECONDS / 5))  # resource baselines come from this stretch
SAMPLE_EVERY = 2.0
# Bounds, per process, on descriptors: segment files by the index's segments,
# files a request opens and closes by the threads (see check_resources);
# sockets by the connections the soak opens; the rest (pipes, the server
# log, gunicorn's heartbeat file) may not grow beyond the warm-up maximum
# but for this margin.
OTHER_FD_MARGIN = 2
MAX_SOCKETS = CLIENTS + 8  # the clients, a probe, the listener, a few closing
# Memory. VmRSS includes MeCab's dictionary (unidic-lite, 259 MB of files
# mapped read-only and shared by every process), whose pages become resident
# as new words are analysed: +95 MB in a worker's first 40 s, a cache rather
# than a leak. So the bounds are on VmRSS without the dictionary's pages and
# on RssAnon (the heap), over their warm-up maximum. In the 5-minute run
# (63 posts, 57 commits) workers peaked 3 MB above the warm-up (72 → 75 MB
# without the dictionary, 58 → 61 MB anon): 20 and 10 MB leave room for
# noise and still catch a leak of ~0.2 MB per commit in the full run.
RSS_GROWTH_MB = 20.0
ANON_GROWTH_MB = 10.0
DICTIONARY = unidic_lite.DICDIR

QUERIES = ["ファイル 権限", "Kubernetes デプロイ", "量子ビット", "バックアップ", "生成AI 著作権",
           "ゼロトラスト", "非同期処理", "半導体 投資", "リモートワーク", "インデックス設計",
           "ディスク使用量", "Rust 高速化", "GPU 不足", "こうそくか", "kousokuka", "サーバー 運用",
           "chmod", "PostgreSQL", "AIチップ", "セキュリティ"]
PREFIXES = ["ファ", "くば", "量子", "Py", "セキュ", "さーば", "バック", "ku"]


# --- the server's processes, seen through /proc -------------------------------------------


def children(pid: int) -> list[int]:
    pids: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                pids += [int(p) for p in f.read().split()]
    except (FileNotFoundError, ProcessLookupError):
        pass
    return sorted(set(pids))


@dataclass
class Sample:
    t: float
    sockets: int
    index_fds: int  # descriptors of files in the index folder (one per segment in use)
    request_fds: int  # other files beside the index: its TOC and metadata, the search log
    other_fds: int  # every other descriptor: pipes, the server log, /dev/null, gunicorn's heartbeat
    deleted: int  # index files open or mapped that a commit or rebuild has deleted
    rss_mb: float  # VmRSS
    dictionary_mb: float  # ... of which pages of MeCab's dictionary (a shared read-only map)
    anon_mb: float  # RssAnon: the process's own heap
    segments: int  # segment files in the index folder at the time


def sample(pid: int, t: float, index: Path) -> Sample | None:
    where = str(index.parent)  # rebuilds move old index files to a staging folder beside it
    try:
        sockets = index_fds = request_fds = other_fds = 0
        deleted = set()
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except FileNotFoundError:  # closed meanwhile
                continue
            if target.startswith("socket:"):
                sockets += 1
            elif target.startswith(where) and ".seg" in target:
                index_fds += 1
                if target.endswith(" (deleted)"):
                    deleted.add(target)
            elif target.startswith(where):  # opened and closed by a request
                request_fds += 1
            else:
                other_fds += 1
        with open(f"/proc/{pid}/status") as f:
            status = {k: v.split() for k, _, v in (line.partition(":") for line in f)}
        dictionary_kb, mapped = 0, ""
        with open(f"/proc/{pid}/smaps") as f:
            for line in f:
                if line.startswith("Rss:"):
                    dictionary_kb += int(line.split()[1]) if mapped.startswith(DICTIONARY) else 0
                elif not line.split(maxsplit=1)[0].endswith(":"):  # a mapping's first line
                    mapped = line.split(maxsplit=5)[5].strip() if len(line.split()) > 5 else ""
                    if mapped.startswith(where) and mapped.endswith(" (deleted)"):
                        deleted.add(mapped)
        segments = sum(1 for name in os.listdir(index) if name.endswith(".seg"))
    except (FileNotFoundError, ProcessLookupError):
        return None  # the process ended
    return Sample(t, sockets, index_fds, request_fds, other_fds, len(deleted), int(status["VmRSS"][0]) / 1024,
                  dictionary_kb / 1024, int(status["RssAnon"][0]) / 1024, segments)


def worker_of(server_port: int, client_port: int, workers: list[int]) -> int | None:
    """The worker holding the server end of our connection from `client_port`."""
    inode = None
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                local, remote = fields[1], fields[2]
                if (int(local.rsplit(":", 1)[1], 16) == server_port
                        and int(remote.rsplit(":", 1)[1], 16) == client_port):
                    inode = fields[9]
    if inode is None:
        return None
    link = f"socket:[{inode}]"
    for pid in workers:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    if os.readlink(f"/proc/{pid}/fd/{fd}") == link:
                        return pid
                except FileNotFoundError:
                    continue
        except FileNotFoundError:
            continue
    return None


class Sampler(threading.Thread):
    """Samples the master and every worker every SAMPLE_EVERY seconds."""

    def __init__(self, master: int, index: Path, started: float) -> None:
        super().__init__(daemon=True)
        self.master, self.index, self.started = master, index, started
        self.samples: dict[int, list[Sample]] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        while True:
            self.take()
            if self.stop.wait(SAMPLE_EVERY):
                self.take()
                return

    def take(self) -> None:
        t = time.monotonic() - self.started
        for pid in [self.master, *children(self.master)]:
            s = sample(pid, t, self.index)
            if s is not None:
                self.samples.setdefault(pid, []).append(s)


# --- clients ------------------------------------------------------------------------------


@dataclass
class Request:
    path: str
    expected: frozenset[int]
    headers: dict[str, str] = field(default_factory=dict)


OK = frozenset({200})


class Client(threading.Thread):
    """One reader: keep-alive requests until stopped; records every outcome."""

    def __init__(self, port: int, n: int) -> None:
        super().__init__(daemon=True)
        self.port, self.rng = port, random.Random(n)
        self.statuses: Counter[int] = Counter()
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.etags: dict[str, str] = {}
        self.stop = threading.Event()

    def next_request(self) -> Request:
        r, q = self.rng.random(), quote(self.rng.choice(QUERIES))
        if r < 0.5:
            page, per_page = self.rng.choice([(1, 10), (1, 5), (2, 5), (1, 20)])
            return Request(f"/api/search?q={q}&page={page}&per_page={per_page}", OK)
        if r < 0.7:
            return Request(f"/search?q={q}", OK)
        if r < 0.88:
            return Request(f"/api/suggest?q={quote(self.rng.choice(PREFIXES))}", OK)
        if r < 0.96 and self.etags:  # a revalidation: 304 unless the index changed
            path = self.rng.choice(sorted(self.etags))
            return Request(path, frozenset({200, 304}), {"If-None-Match": self.etags[path]})
        if r < 0.98:
            return Request(f"/api/search?q={q}&per_page=999", frozenset({400}))
        return Request("/api/posts/no-such-post", frozenset({404}))

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            while not self.stop.is_set():
                req = self.next_request()
                started = time.perf_counter()
                try:
                    conn.request("GET", req.path, headers=req.headers)
                    response = conn.getresponse()
                    body = response.read()
                except (OSError, http.client.HTTPException) as e:
                    self.errors.append(f"{req.path}: {e!r}")
                    conn.close()  # the next request opens a new connection
                    self.stop.wait(0.1)
                    continue
                self.latencies.append(time.perf_counter() - started)
                self.statuses[response.status] += 1
                if response.status not in req.expected:
                    self.errors.append(f"{req.path}: HTTP {response.status} {body[:300]!r}")
                elif response.status == 200 and response.getheader("ETag"):
                    self.etags[req.path] = response.getheader("ETag", "")
        finally:
            conn.close()


# --- posts and the indexer ------------------------------------------------------------------


def marker(n: int) -> str:
    """A made-up word, unique per round, that the analyzer keeps as one term."""
    letters = "".join("abcdefghijklmnopqrstuvwxyz"[(n // 26 ** i) % 26] for i in (2, 1, 0))
    return f"soakzq{letters}"


def generate_posts(posts: Path, count: int) -> None:
    """`count` more posts mixing paragraphs of the samples (same seed every run)."""
    rng = random.Random(6)
    samples = sorted(posts.glob("*.md"))
    paragraphs = [p for path in samples
                  for p in path.read_text(encoding="utf-8").split("---", 2)[2].split("\n\n") if p.strip()]
    for i in range(count):
        body = "\n\n".join(rng.sample(paragraphs, 12))
        tags = " ".join(rng.sample(["Linux", "AI", "セキュリティ", "データベース", "クラウド", "運用"], 2))
        (posts / f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}-generated-{i}.md").write_text(
            f'---\ntitle: "生成された記事 {i}"\n'
            f"date: 2024-{1 + i % 12:02d}-{1 + i % 28:02d} 09:00:00 +0900\n"
            f"tags: {tags}\n---\n\n{body}\n", encoding="utf-8")


Check = tuple[str, list[str]]  # a marker word and the slugs it must find


@dataclass
class Commit:
    round: int
    kind: str
    index_seconds: float
    checks: list[Check]
    visible: dict[int, float] = field(default_factory=dict)  # worker -> seconds after the commit
    probes: int = 0

    @property
    def seconds(self) -> float:
        return max(self.visible.values()) if self.visible else float("inf")


class Indexer:
    """Changes the posts and runs `blogsearch index` once per round."""

    def __init__(self, posts: Path, index: Path) -> None:
        self.posts, self.index = posts, index
        self.originals = {p: p.read_text(encoding="utf-8") for p in sorted(posts.glob("2025-*.md"))
                          if "published: false" not in p.read_text(encoding="utf-8")}
        self.markers: dict[Path, str] = {}  # sample post -> its current marker
        self.added: list[tuple[Path, str]] = []  # posts this soak added, oldest first

    def change(self, n: int) -> tuple[str, list[Check]]:
        word = marker(n)
        path = list(self.originals)[n % len(self.originals)]
        path.write_text(self.originals[path] + f"\n\n追記：{word} の検証メモ。\n", encoding="utf-8")
        checks: list[Check] = [(word, [slug(path)])]
        if path in self.markers:
            checks.append((self.markers[path], []))
        self.markers[path] = word
        kind = "modify"
        if n % 4 == 1:
            word = marker(n + 10_000)
            added = self.posts / f"2026-02-{1 + n % 28:02d}-soak-{word}.md"
            added.write_text(f'---\ntitle: "ソーク試験の追加記事 {n}"\ndate: 2026-02-01 12:00:00 +0900\n'
                             f"tags: ソーク\n---\n\n追加された記事です。{word} を含みます。\n", encoding="utf-8")
            self.added.append((added, word))
            checks.append((word, [slug(added)]))
            kind = "modify+add"
        elif n % 4 == 3 and self.added:
            gone, word = self.added.pop(0)
            gone.unlink()
            checks.append((word, []))
            kind = "modify+delete"
        return kind, checks

    def run(self, rebuild: bool = False) -> float:
        command = [sys.executable, "-m", "web.cli", "index", "--posts", str(self.posts),
                   "--index", str(self.index), *(["--rebuild"] if rebuild else [])]
        started = time.monotonic()
        done = subprocess.run(command, check=False, cwd=REPO, env=clean_env(), capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        return time.monotonic() - started


def slug(path: Path) -> str:
    return path.stem[11:]  # Jekyll: the file name without its date


# --- probing ----------------------------------------------------------------------------------


def probe(port: int, checks: list[Check], workers: list[int]) -> tuple[int | None, bool]:
    """One fresh connection: which worker answered, and whether every check held."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.connect()
        assert conn.sock is not None
        client_port = conn.sock.getsockname()[1]
        ok, pid = True, None
        for word, slugs in checks:
            conn.request("GET", f"/api/search?q={word}&per_page=50")
            response = conn.getresponse()
            body = response.read()
            assert response.status == 200, (word, response.status, body[:300])
            if pid is None:  # the connection is accepted by now, and still open
                pid = worker_of(port, client_port, workers)
            ok = ok and sorted(h["slug"] for h in json.loads(body)["hits"]) == slugs
        return pid, ok
    finally:
        conn.close()


def await_visibility(port: int, master: int, commit: Commit, committed: float) -> list[str]:
    """Probe until every worker answered `commit.checks`; returns problems seen."""
    problems = []
    while time.monotonic() - committed < PROBE_LIMIT:
        workers = children(master)
        if workers and set(workers) <= commit.visible.keys():
            break
        pid, ok = probe(port, commit.checks, workers)
        commit.probes += 1
        if pid is None:
            continue
        if ok:
            commit.visible.setdefault(pid, time.monotonic() - committed)
        elif pid in commit.visible:
            problems.append(f"round {commit.round}: worker {pid} answered from an older index "
                            f"after answering from the new one")
    return problems


# --- the server --------------------------------------------------------------------------------


@contextmanager
def production_server(index: Path, query_log: Path, log: Path) -> Iterator[tuple[int, int]]:
    """`blogsearch serve` with production settings, once every worker has
    answered /readyz; yields (port, master pid)."""
    ready: set[int | None] = set()

    def every_worker_ready(port: int, proc: subprocess.Popen[bytes]) -> bool:
        workers = children(proc.pid)
        if len(workers) >= WORKERS and set(workers) <= ready:
            return True
        ready.add(ready_worker(port, workers))
        return False

    with blogsearch_serve(index, log, "--workers", str(WORKERS), "--threads", str(THREADS),
                          "--query-log", str(query_log), ready=every_worker_ready, poll=0.05) as (port, proc):
        try:
            yield port, proc.pid
        except BaseException:
            print("server log (end):\n" + log.read_text(errors="replace")[-3000:])
            raise


def ready_worker(port: int, workers: list[int]) -> int | None:
    """The worker that answered /readyz with 200 on a fresh connection, if one did."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.connect()
        assert conn.sock is not None
        conn.request("GET", "/readyz")
        response = conn.getresponse()
        response.read()
        return worker_of(port, conn.sock.getsockname()[1], workers) if response.status == 200 else None
    except OSError:
        return None
    finally:
        conn.close()


# --- the soak ----------------------------------------------------------------------------------


def test_soak(tmp_path: Path) -> None:
    assert [m.term for m in analyze(f"追記：{marker(1234)} の検証メモ。") if m.kept] == \
        ["追記", marker(1234), "検証", "メモ"]
    # the index and the search log in a folder of their own, where `sample` looks
    posts, index, query_log = tmp_path / "posts", tmp_path / "site" / "index", tmp_path / "site" / "querylog"
    shutil.copytree(REPO / "data" / "posts", posts)
    generate_posts(posts, EXTRA_POSTS)
    indexer = Indexer(posts, index)
    indexer.run()

    commits: list[Commit] = []
    problems: list[str] = []
    with production_server(index, query_log, tmp_path / "server.log") as (port, master):
        started = time.monotonic()
        sampler = Sampler(master, index, started)
        sampler.start()
        clients = [Client(port, n) for n in range(CLIENTS)]
        for c in clients:
            c.start()
        try:
            n = 0
            while time.monotonic() - started < SECONDS:
                round_started = time.monotonic()
                kind, checks = indexer.change(n)
                rebuild = n % 10 == 4
                seconds = indexer.run(rebuild)
                committed = time.monotonic()  # when the CLI exited
                commit = Commit(n, kind + (" (rebuild)" if rebuild else ""), seconds, checks)
                problems += await_visibility(port, master, commit, committed)
                commits.append(commit)
                n += 1
                time.sleep(max(0.0, round_started + COMMIT_EVERY - time.monotonic()))
        finally:
            for c in clients:
                c.stop.set()
            for c in clients:
                c.join(timeout=60)
            sampler.stop.set()
            sampler.join(timeout=30)
        elapsed = time.monotonic() - started
        final_workers = children(master)
        final = {pid: sample(pid, elapsed, index) for pid in [master, *final_workers]}
        ready = get(port, "/readyz")

    report = summarize(clients, commits, sampler.samples, master, elapsed)
    print("\n" + report)
    (tmp_path / "soak-summary.md").write_text(report, encoding="utf-8")

    errors = [e for c in clients for e in c.errors]
    assert errors == [], errors[:20]
    assert problems == [], problems[:20]
    published = len(indexer.originals) + EXTRA_POSTS + len(indexer.added)
    assert ready[0] == 200 and ready[1]["posts"] == published, ready
    assert len(commits) >= max(3, SECONDS / 15), "the indexer fell far behind"
    late = [(c.round, c.kind, round(c.seconds, 2), c.visible) for c in commits
            if c.seconds > VISIBLE_WITHIN or len(c.visible) < WORKERS]
    assert late == [], late
    restarts = len([p for p in sampler.samples if p != master]) - WORKERS
    if not gunicorn_options("127.0.0.1", port, WORKERS, THREADS).get("max_requests"):
        assert restarts == 0, "a worker died and was replaced (no recycling is configured)"
    # the master never searches: an index file it holds is inherited by every worker, forever
    assert [(s.index_fds, s.deleted) for s in sampler.samples[master] if s.index_fds or s.deleted] == []
    for pid, samples in sampler.samples.items():
        check_resources(pid, samples)
    # every worker has answered from the newest index: it holds that version's segments, no other
    assert {pid: (s.index_fds, s.deleted) for pid, s in final.items() if s} == \
        {pid: (0 if pid == master else s.segments, 0) for pid, s in final.items() if s}


def check_resources(pid: int, samples: list[Sample]) -> None:
    born = samples[0].t
    warm = [s for s in samples if s.t - born <= WARMUP]
    after = [s for s in samples if s.t - born > WARMUP]
    segments = max(s.segments for s in samples)
    # a worker holds its version's segments until its next request, and both versions while it swaps
    assert max(s.index_fds for s in samples) <= 2 * segments, (pid, [s.index_fds for s in samples])
    assert max(s.deleted for s in samples) <= segments, (pid, [s.deleted for s in samples])
    assert max(s.sockets for s in samples) <= MAX_SOCKETS, (pid, [s.sockets for s in samples])
    if not after:
        return  # a worker that started late: too few samples to judge growth
    # each thread may hold the search log and one index file at once
    assert max(s.request_fds for s in samples) <= 2 * THREADS, (pid, [s.request_fds for s in samples])
    other = max(s.other_fds for s in warm) + OTHER_FD_MARGIN
    assert max(s.other_fds for s in after) <= other, (pid, [s.other_fds for s in samples])
    own = max(s.rss_mb - s.dictionary_mb for s in warm) + RSS_GROWTH_MB
    assert max(s.rss_mb - s.dictionary_mb for s in after) <= own, \
        (pid, [round(s.rss_mb - s.dictionary_mb) for s in samples])
    anon = max(s.anon_mb for s in warm) + ANON_GROWTH_MB
    assert max(s.anon_mb for s in after) <= anon, (pid, [round(s.anon_mb) for s in samples])


def summarize(clients: list[Client], commits: list[Commit], samples: dict[int, list[Sample]],
              master: int, elapsed: float) -> str:
    statuses = sum((c.statuses for c in clients), Counter())
    requests = sum(statuses.values())
    latencies = sorted(t for c in clients for t in c.latencies)
    errors = sum(len(c.errors) for c in clients)
    visible = sorted(c.seconds for c in commits)
    kinds = Counter(c.kind.split(" ")[0] for c in commits)
    rebuilds = sum("rebuild" in c.kind for c in commits)
    runs = [c.index_seconds for c in commits] or [float("nan")]
    after_rebuild = max((c.seconds for c in commits if "rebuild" in c.kind), default=float("nan"))

    def pct(values: list[float], p: float) -> float:
        return values[min(len(values) - 1, int(p * len(values)))] if values else float("nan")

    by_status = ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items()))
    by_kind = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
    probes = statistics.median(c.probes for c in commits) if commits else 0
    rows = [
        ("requests", (f"{requests} ({requests / elapsed:.0f}/s); latency p50 {pct(latencies, .5) * 1000:.0f} ms, "
                      f"p99 {pct(latencies, .99) * 1000:.0f} ms, max {pct(latencies, 1) * 1000:.0f} ms")),
        ("by status", f"{by_status} (400/404 deliberate, 304 revalidations)"),
        ("errors", str(errors)),
        ("commits", (f"{len(commits)}: {by_kind}, of which {rebuilds} `--rebuild`; `blogsearch index` "
                     f"run median {statistics.median(runs):.2f} s, max {max(runs):.2f} s")),
        ("visible in every worker after the CLI exits",
         (f"median {pct(visible, .5):.2f} s, p95 {pct(visible, .95):.2f} s, max {pct(visible, 1):.2f} s, "
          f"max after a rebuild {after_rebuild:.2f} s (bound {VISIBLE_WITHIN:.0f} s); fresh-connection probes per commit median {probes:.0f}")),
    ]
    lines = [(f"Soak: {elapsed:.0f} s, {CLIENTS} clients, {WORKERS} workers × {THREADS} threads, "
              f"{len(commits)} commits (one per {elapsed / max(1, len(commits)):.1f} s)"),
             "", "| measure | value |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    lines += ["", ("| process | other fds min–max | request-time files max | sockets max | index fds max (segments max) "
                   "| deleted index files held max / end | VmRSS MB start / end (dictionary pages at end) "
                   f"| VmRSS without dictionary MB start / warm ({WARMUP:.0f} s) / end / max "
                   "| RssAnon MB start / warm / end / max |"),
              "|---|---|---|---|---|---|---|---|---|"]
    for pid, ss in samples.items():
        warm = [s for s in ss if s.t - ss[0].t <= WARMUP][-1]
        own = [s.rss_mb - s.dictionary_mb for s in ss]
        lines.append(
            f"| {'master' if pid == master else 'worker'} {pid} | {min(s.other_fds for s in ss)}–"
            f"{max(s.other_fds for s in ss)} | {max(s.request_fds for s in ss)} | {max(s.sockets for s in ss)} | {max(s.index_fds for s in ss)} "
            f"({max(s.segments for s in ss)}) | {max(s.deleted for s in ss)} / {ss[-1].deleted} "
            f"| {ss[0].rss_mb:.0f} / {ss[-1].rss_mb:.0f} ({ss[-1].dictionary_mb:.0f}) "
            f"| {own[0]:.0f} / {warm.rss_mb - warm.dictionary_mb:.0f} / {own[-1]:.0f} / {max(own):.0f} "
            f"| {ss[0].anon_mb:.0f} / {warm.anon_mb:.0f} / {ss[-1].anon_mb:.0f} / {max(s.anon_mb for s in ss):.0f} |")
    return "\n".join(lines) + "\n"
