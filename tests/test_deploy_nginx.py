"""deploy/nginx.conf in front of the real `blogsearch serve`: Debian's nginx,
run unprivileged from a temporary folder (`nginx -c FILE -p DIR`, `daemon
off;`) with the site config as shipped (only its ports changed). 200
slow-loris connections to nginx leave searches answering through it; the same
connections straight to gunicorn do not take it down either. Caching headers
and conditional requests pass through, and the body limit matches the app's.

Skipped where nginx is not installed; fails instead in CI (CI set), where
scripts/install-ci-deps.sh installs it."""

from __future__ import annotations

import http.client
import json
import os
import pwd
import socket
import subprocess
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

import pytest

from tests.support import REPO, free_port
from tests.test_web_server import get, running_server

SITE_CONFIG = REPO / "deploy" / "nginx.conf"
NGINX = Path("/usr/sbin/nginx")
SEARCH = "/api/search?q=" + quote("量子ビット")
SLOW_CLIENTS = 200

MAIN_CONFIG = """\
{user}daemon off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    include {dir}/site.conf;
}}
"""


def site_config(listen_port: int, upstream_port: int) -> str:
    """deploy/nginx.conf with its ports on 127.0.0.1 (and no IPv6 listener)."""
    text = SITE_CONFIG.read_text(encoding="utf-8")
    for old, new in (("listen 80;", f"listen 127.0.0.1:{listen_port};"), ("listen [::]:80;", ""),
                     ("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream_port};")):
        assert text.count(old) == 1, f"deploy/nginx.conf should have exactly one {old!r}"
        text = text.replace(old, new)
    return text


@pytest.fixture(autouse=True)
def nginx_installed() -> None:
    if not NGINX.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{NGINX} is missing (scripts/install-ci-deps.sh installs it)")
        pytest.skip(f"{NGINX} is not installed")


@contextmanager
def running_nginx(upstream_port: int, folder: Path) -> Iterator[int]:
    port = free_port()
    folder.mkdir()
    (folder / "site.conf").write_text(site_config(port, upstream_port), encoding="utf-8")
    # as root, nginx's worker would switch to "nobody", who cannot use the temporary folders
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
    (folder / "nginx.conf").write_text(MAIN_CONFIG.format(user=user, dir=folder), encoding="utf-8")
    check = subprocess.run([NGINX, "-t", "-q", "-c", folder / "nginx.conf", "-p", folder],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    with open(folder / "nginx.out", "wb") as out:
        proc = subprocess.Popen([NGINX, "-c", folder / "nginx.conf", "-p", folder],
                                stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 10
            while True:
                assert proc.poll() is None, (folder / "nginx.out").read_text()
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    assert time.monotonic() < deadline, "nginx did not start listening"
                    time.sleep(0.05)
            yield port
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    errors = (folder / "error.log").read_text()
    assert "[emerg]" not in errors and "[alert]" not in errors, errors


def assert_searches_answer(port: int, times: int = 20) -> None:
    for _ in range(times):
        status, data = get(port, SEARCH)  # new connection each time, 10 s timeout
        assert status == 200 and data["hits"][0]["slug"] == "quantum-computer-basics"


def open_slow_clients(stack: ExitStack, port: int) -> None:
    """SLOW_CLIENTS connections that start a request head and never finish it."""
    for n in range(SLOW_CLIENTS):
        sock = stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=10))
        sock.sendall(b"GET / HTTP/1.1\r\n" + (b"Host: blog.example.com\r\n" if n % 2 else b""))


def test_slow_clients_through_nginx_and_straight_to_gunicorn(index_dir: Path, tmp_path: Path) -> None:
    with running_server(index_dir, tmp_path / "server.log") as upstream, \
            running_nginx(upstream, tmp_path / "nginx") as port:
        assert_searches_answer(port, 1)
        with ExitStack() as slow:
            open_slow_clients(slow, port)
            assert_searches_answer(port)
        with ExitStack() as slow:
            open_slow_clients(slow, upstream)
            assert_searches_answer(upstream)
            assert_searches_answer(port)


def test_caching_headers_and_limits_pass_through_nginx(index_dir: Path, tmp_path: Path) -> None:
    with running_server(index_dir, tmp_path / "server.log") as upstream, \
            running_nginx(upstream, tmp_path / "nginx") as port:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            for path in (SEARCH, "/widget.js"):
                direct = http.client.HTTPConnection("127.0.0.1", upstream, timeout=10)
                direct.request("GET", path)
                expected = direct.getresponse()
                expected.read()
                direct.close()
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                assert response.status == 200
                for header in ("Cache-Control", "ETag", "Vary", "Content-Security-Policy"):
                    assert response.getheader(header) == expected.getheader(header), (path, header)
                conn.request("GET", path, headers={"If-None-Match": response.getheader("ETag")})
                revalidated = conn.getresponse()
                revalidated.read()
                assert revalidated.status == 304
            draft = {"title": "PostgreSQLのバックアップ",
                     "body": "pg_dumpで論理バックアップを取り、WALアーカイブに備えます。\n\n" * 2500}
            body = json.dumps(draft, ensure_ascii=False).encode()
            assert 200 * 1024 < len(body) <= 256 * 1024
            conn.request("POST", "/api/related", body=body, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            assert response.status == 200
            assert json.loads(response.read())["related"][0]["slug"] == "postgresql-backup"
            conn.request("POST", "/api/related", body=b"a" * (256 * 1024 + 1),
                         headers={"Content-Type": "text/markdown"})
            response = conn.getresponse()
            response.read()
            assert response.status == 413  # nginx's own limit, the app's for drafts
            assert response.getheader("Server", "").startswith("nginx")
        finally:
            conn.close()
