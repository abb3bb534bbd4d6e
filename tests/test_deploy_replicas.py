"""Past one machine (issue 17, docs/scale.md): the index is built on one
machine and published to read-only replicas by copying a finished
generation with `rsync -a --delete-after`; each replica runs
`blogsearch serve --read-only`, nginx balances between them.

Two servers over two copies give the same answers (bodies and ETags),
keep answering while a new generation is copied in under them, and both
pick it up — after an ordinary commit and after a `--rebuild`. Needs root
with mount namespaces (as tests/test_web_readonly.py: the replicas are made
read-only for the servers), rsync and nginx; skips without them."""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import quote

import pytest

import tests.test_deploy_nginx as nginx_tests
from search import build_index
from tests.support import REPO
from tests.test_web_cache import CHANGED_POST, PENGUIN
from tests.test_web_readonly import serve_read_only, stop, wait_ready

QUERIES = ["サーバー", "ファイルの権限を変更する", "量子ビット", "Kubernetesのデプロイ", "ペンギン"]


def publish(index: Path, replica: Path) -> None:
    """The publish step of docs/scale.md: a finished generation to a replica."""
    replica.mkdir(parents=True, exist_ok=True)
    subprocess.run(["rsync", "-a", "--delete-after", f"{index}/", f"{replica}/"], check=True)


def fetch(port: int, path: str) -> tuple[int, str, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        return response.status, response.getheader("ETag", ""), json.loads(body)
    finally:
        conn.close()


def answers(port: int) -> list[tuple[str, Any]]:
    """(ETag, JSON) of each query's search on a server."""
    out = []
    for q in QUERIES:
        status, etag, body = fetch(port, "/api/search?q=" + quote(q))
        assert status == 200, body
        out.append((etag, body))
    return out


def agree(ports: list[int], times: int = 4) -> bool:
    """Whether every port answers every query alike, asked `times` times
    (new connections: gunicorn's workers take turns)."""
    seen = {json.dumps(answers(port), sort_keys=True) for port in ports for _ in range(times)}
    return len(seen) == 1


def penguin_found(port: int) -> bool:
    status, _, body = fetch(port, "/api/search?q=" + quote(PENGUIN))
    hits = body["hits"] if status == 200 else []
    return bool(hits) and hits[0]["slug"] == "linux-file-permissions" and f"<mark>{PENGUIN}</mark>" in hits[0]["snippet_html"]


def wait_until(check: Any, seconds: float = 30, say: Any = None) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"not within {seconds} s: {say() if say else ''}"
        time.sleep(0.1)


class Traffic(threading.Thread):
    """Searches on every port without pause, counting the answers' statuses."""

    def __init__(self, ports: list[int]) -> None:
        super().__init__(daemon=True)
        self.ports, self.statuses, self.done = ports, Counter[int](), threading.Event()

    def run(self) -> None:
        n = 0
        while not self.done.is_set():
            port, q = self.ports[n % len(self.ports)], QUERIES[n % len(QUERIES)]
            try:
                self.statuses[fetch(port, "/api/search?q=" + quote(q))[0]] += 1
            except (OSError, http.client.HTTPException, ValueError):
                self.statuses[0] += 1
            n += 1

    def stop(self) -> Counter[int]:
        self.done.set()
        self.join(30)
        return self.statuses


@pytest.fixture
def cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Path, list[Path], list[int], int]]:
    """(posts, index on the writer, replica index folders, replica ports, nginx port)."""
    if not shutil.which("rsync"):
        pytest.skip("rsync is not installed")
    if not nginx_tests.NGINX.exists():
        pytest.skip(f"{nginx_tests.NGINX} is not installed")
    posts, index = tmp_path / "writer" / "posts", tmp_path / "writer" / "index"
    shutil.copytree(REPO / "data" / "posts", posts)
    build_index(posts, index, procs=1)
    sites = [tmp_path / f"replica{n}" for n in (1, 2)]
    for site in sites:
        publish(index, site / "index")
    servers = []
    try:
        for site in sites:
            servers.append(serve_read_only(site))  # skips without mount namespaces
        for process, port in servers:
            wait_ready(process, port)
        ports = [port for _, port in servers]
        upstreams = "".join(f"server 127.0.0.1:{p};" for p in ports)
        one_upstream = nginx_tests.site_config  # deploy/nginx.conf, its one `server` line made two
        monkeypatch.setattr(nginx_tests, "site_config", lambda listen, _: one_upstream(
            listen, ports[0]).replace(f"server 127.0.0.1:{ports[0]};", upstreams))
        with nginx_tests.running_nginx(ports[0], tmp_path / "nginx") as front:
            yield posts, index, [site / "index" for site in sites], ports, front
    finally:
        for process, _ in servers:
            stop(process)
        for path in (tmp_path, *tmp_path.rglob("*")):
            path.chmod(path.stat().st_mode | 0o200)  # let pytest clean up


def test_two_replicas_answer_alike_and_follow_each_published_generation(cluster: Any) -> None:
    posts, index, replicas, ports, front = cluster
    assert agree(ports + [front])  # same bodies, same ETags
    first = answers(ports[0])
    assert first[0][1]["total"] > 0 and not penguin_found(ports[0])

    for rebuild in (False, True):
        traffic = Traffic(ports + [front])
        traffic.start()
        try:
            post = posts / CHANGED_POST
            post.write_text(post.read_text(encoding="utf-8") + f"\n\n{PENGUIN}\n", encoding="utf-8")
            build_index(posts, index, rebuild=rebuild, procs=1)
            for replica in replicas:  # copied in while both replicas serve
                publish(index, replica)
            for port in ports:
                wait_until(lambda port=port: penguin_found(port), say=lambda port=port: (
                    rebuild, sorted(p.name for p in replicas[0].iterdir()),
                    fetch(port, "/api/search?q=" + quote(PENGUIN))))
        finally:
            statuses = traffic.stop()
        assert set(statuses) == {200} and statuses[200] > 0, (rebuild, statuses)
        # a worker that had not been asked since the copy answers its first
        # request from the version it has and switches behind it: within
        # seconds every worker of both replicas gives the same answers
        wait_until(lambda: agree(ports + [front]), say=lambda: [answers(p)[1][0] for p in ports])
        now = answers(ports[0])
        assert now[0][0] != first[0][0]  # a new generation: new ETags
        first = now
        post.write_text(post.read_text(encoding="utf-8").replace(f"\n\n{PENGUIN}\n", ""), encoding="utf-8")
        build_index(posts, index, procs=1)
        for replica in replicas:
            publish(index, replica)
        for port in ports:
            wait_until(lambda port=port: not penguin_found(port))
