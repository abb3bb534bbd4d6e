"""What the browser tests run against: the real `blogsearch serve` (gunicorn)
on a free port, a blog's pages served from another port with a strict
Content-Security-Policy, and Debian's Chromium driven by Playwright.

Browser tests skip when Chromium or Playwright is missing, except in CI
(`CI` set), where they fail: CI must never pass without running them.
"""

from __future__ import annotations

import http.client
import os
import shutil
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

import pytest

from tests.support import REPO, blogsearch_serve, free_port  # noqa: F401 (free_port: the browser tests import it from here)

PAGES = Path(__file__).resolve().parent
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync",
                 "--disable-dev-shm-usage"]

HOSTILE_POST = """---
title: '<script>alert(1)</script> と <img src=x onerror=alert(2)> の危険な記事'
date: 2025-01-15 10:00:00 +0900
tags: ['"><svg onload=alert(3)>', "安全"]
permalink: "javascript:alert(4)"
---

本文に危険な文字列があります。<script>alert(5)</script> そして <img src=x onerror=alert(6)> も書いてあります。
"""


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def chromium_path() -> str:
    """Debian's Chromium; skips the test (fails it in CI) when it or Playwright is missing."""
    path = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problem = "the playwright package is not installed (pip install -e '.[test]')"
    else:
        problem = None if path else "Chromium is not installed (apt-get install chromium fonts-noto-cjk)"
    if problem:
        if in_ci():
            pytest.fail(f"browser tests cannot run in CI: {problem}", pytrace=False)
        pytest.skip(problem)
    assert path is not None
    return path


def http_get(port: int, path: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


@contextmanager
def blogsearch_server(index: Path, log: Path, port: int, *args: str) -> Iterator[int]:
    """`blogsearch serve` on `port` of 127.0.0.1 until the block ends."""
    with blogsearch_serve(index, log, "--query-log", "", "--workers", "1", "--threads", "4", *args,
                          port=port, check_exit=False) as (port, _proc):
        yield port


def host_csp(blogsearch: str) -> str:
    """A blog that allows scripts, fetches and styles from blogsearch, and nothing inline."""
    return (f"default-src 'none'; script-src {blogsearch}; connect-src {blogsearch}; "
            f"style-src 'self' {blogsearch}; img-src 'self'; base-uri 'none'; form-action 'none'")


class HostPages(ThreadingHTTPServer):
    """The blog: tests/browser/*.html with `{{blogsearch}}` and `{{theme}}`
    filled in, under a strict CSP; any other path is a plain 404 page (where
    links to posts land)."""

    daemon_threads = True

    def __init__(self, blogsearch: str) -> None:
        self.blogsearch = blogsearch
        super().__init__(("127.0.0.1", 0), HostHandler)


class HostHandler(BaseHTTPRequestHandler):
    server: HostPages

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        name = url.path.lstrip("/")
        if name.endswith(".html") and "/" not in name and (PAGES / name).is_file():
            theme = "dark" if "theme=dark" in url.query else "light"
            text = (PAGES / name).read_text(encoding="utf-8")
            text = text.replace("{{blogsearch}}", self.server.blogsearch).replace("{{theme}}", theme)
            self._send(200, "text/html; charset=utf-8", text.encode())
        elif name == "host.css":
            self._send(200, "text/css; charset=utf-8", (PAGES / name).read_bytes())
        else:
            self._send(404, "text/html; charset=utf-8", "<!doctype html><title>記事</title><p>記事のページ".encode())

    def _send(self, status: int, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Security-Policy", host_csp(self.server.blogsearch))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def host_pages(blogsearch: str) -> Iterator[int]:
    server = HostPages(blogsearch)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
