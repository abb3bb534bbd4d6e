"""`blogsearch serve` for real: gunicorn with 2 workers on a free port on
127.0.0.1 picks up a re-index without a restart and without a failed request
while clients keep searching; plus the serve command's settings."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import quote

import pytest
from gunicorn.workers.gthread import ThreadWorker

from search import build_index
from web import create_app
from web.cli import build_parser, main
from web.server import BlogsearchServer, gunicorn_options
from web.settings import APP_SETTINGS, SettingsError, resolve

from tests.support import REPO, answers, blogsearch_serve, clean_env, free_port  # noqa: F401 (other test files import them from here)

CHANGED_POST = "2025-06-15-linux-file-permissions.md"


def get(port: int, path: str, conn: http.client.HTTPConnection | None = None) -> tuple[int, Any]:
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        kind = response.getheader("Content-Type", "")
        return response.status, json.loads(body) if kind.startswith("application/json") else body
    finally:
        if own:
            conn.close()


@contextmanager
def running_server(index: Path, log: Path, *args: str, env: dict[str, str] | None = None,
                   ready_path: str = "/readyz") -> Iterator[int]:
    """`blogsearch serve` (2 workers, `args` added) on a free port; `env` added to its environment."""
    with blogsearch_serve(index, log, "--query-log", "", "--workers", "2", *args, env=env,
                          ready=lambda port, _proc: answers(port, ready_path)) as (port, _proc):
        yield port


class Hammer(threading.Thread):
    """Searches over one keep-alive connection until stopped; records every outcome."""

    QUERIES = ["ファイル", "chmod", "Kubernetes", "AIチップ", "バックアップ", "ペンギン", "権限",
               "データベース", "量子"]

    def __init__(self, port: int, offset: int) -> None:
        super().__init__(daemon=True)
        self.port, self.offset = port, offset
        self.statuses: list[int] = []
        self.errors: list[str] = []
        self.stop = threading.Event()

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        i = self.offset
        try:
            while not self.stop.is_set():
                q = self.QUERIES[i % len(self.QUERIES)]
                page = 1 + (i // len(self.QUERIES)) % 3
                try:
                    status, _ = get(self.port, f"/api/search?q={quote(q)}&page={page}&per_page=5", conn)
                    self.statuses.append(status)
                except (OSError, http.client.HTTPException) as e:
                    self.errors.append(repr(e))
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                i += 1
        finally:
            conn.close()


def reindex(posts: Path, index: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "web.cli", "index", "--posts", str(posts), "--index", str(index)],
        cwd=REPO, env=clean_env(), capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr


def wait_for(port: int, word: str, seconds: float = 5.0) -> list[str]:
    deadline = time.monotonic() + seconds
    while True:
        status, data = get(port, "/api/search?q=" + quote(word))
        assert status == 200
        slugs = [h["slug"] for h in data["hits"]]
        if slugs or time.monotonic() > deadline:
            return slugs
        time.sleep(0.05)


def test_reindex_is_picked_up_live_with_no_failed_request(posts_copy: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    build_index(posts_copy, index, procs=1)
    with running_server(index, tmp_path / "server.log") as port:
        status, data = get(port, "/api/search?q=" + quote("ペンギン"))
        assert (status, data["total"]) == (200, 0)
        hammers = [Hammer(port, n) for n in range(3)]
        for h in hammers:
            h.start()
        try:
            for word in ("ペンギン大行進", "カピバラ温泉"):
                path = posts_copy / CHANGED_POST
                path.write_text(path.read_text(encoding="utf-8") + f"\n最後に{word}の話。\n", encoding="utf-8")
                reindex(posts_copy, index)
                # both workers must see it, so ask several times
                for _ in range(6):
                    assert wait_for(port, word[:4]) == ["linux-file-permissions"], word
            time.sleep(0.5)
        finally:
            for h in hammers:
                h.stop.set()
            for h in hammers:
                h.join(timeout=15)
        statuses = [s for h in hammers for s in h.statuses]
        errors = [e for h in hammers for e in h.errors]
        assert errors == []
        assert len(statuses) > 50
        assert set(statuses) == {200}
        # the changed post is found once, not once per generation
        status, data = get(port, "/api/search?q=chmod")
        assert [h["slug"] for h in data["hits"]] == ["linux-file-permissions"]
        status, ready = get(port, "/readyz")
        assert status == 200 and ready["posts"] == 15


def test_limits_in_front_of_the_app(index_dir: Path, tmp_path: Path) -> None:
    with running_server(index_dir, tmp_path / "server.log", "--threads", "1") as port:
        status, data = get(port, "/api/search?q=" + "a" * 10 * 1024)
        assert status == 414  # gunicorn's own limit (8190 bytes)
        status, data = get(port, "/api/search?q=" + "a" * 5000)
        assert status == 414 and data["error"]["code"] == "uri_too_long"  # the app's (4096)
        status, data = get(port, "/api/posts/%ff")  # gunicorn passes the raw byte on
        assert status == 400 and data["error"]["code"] == "invalid_encoding"
        status, data = get(port, "/api/search?q=%ED%A0%80")
        assert status == 400 and data["error"]["code"] == "invalid_encoding"
        status, data = get(port, "/api/search?q=" + quote("量子ビット"))
        assert status == 200 and data["hits"][0]["slug"] == "quantum-computer-basics"
        status, page = get(port, "/search?q=" + quote("量子ビット"))
        assert status == 200 and b"quantum-computer-basics.html" in page


# --- the serve command and settings ------------------------------------------------


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for key in list(os.environ):
        if key.startswith("BLOGSEARCH_"):
            monkeypatch.delenv(key)
    return monkeypatch


def test_serve_defaults(no_env: pytest.MonkeyPatch) -> None:
    args = build_parser().parse_args(["serve"])
    assert (args.index, args.host, args.port, args.workers, args.threads) == ("index", "127.0.0.1", 8000, 2, 4)
    assert (args.cache_size, args.base_url, args.cors_origins, args.timezone) == (1024, "", (), "Asia/Tokyo")
    assert (args.client_timeout, args.editor_concurrency) == (10.0, 1)


def test_serve_settings_from_env_and_options(no_env: pytest.MonkeyPatch) -> None:
    no_env.setenv("BLOGSEARCH_INDEX", "/srv/index")
    no_env.setenv("BLOGSEARCH_HOST", "0.0.0.0")
    no_env.setenv("BLOGSEARCH_PORT", "9001")
    no_env.setenv("BLOGSEARCH_WORKERS", "3")
    no_env.setenv("BLOGSEARCH_CACHE_SIZE", "0")
    no_env.setenv("BLOGSEARCH_CORS_ORIGINS", "https://a.example, https://b.example/")
    args = build_parser().parse_args(["serve"])
    assert (args.index, args.host, args.port, args.workers, args.cache_size) == ("/srv/index", "0.0.0.0", 9001, 3, 0)
    assert args.cors_origins == ("https://a.example", "https://b.example")
    args = build_parser().parse_args(["serve", "--port", "9002", "--workers", "1", "--index", "ix"])
    assert (args.port, args.workers, args.index) == (9002, 1, "ix")


@pytest.mark.parametrize("name,value", [("BLOGSEARCH_PORT", "abc"), ("BLOGSEARCH_WORKERS", "0"),
                                        ("BLOGSEARCH_CACHE_SIZE", "-1"), ("BLOGSEARCH_CORS_ORIGINS", "*"),
                                        ("BLOGSEARCH_CLIENT_TIMEOUT", "0"), ("BLOGSEARCH_CLIENT_TIMEOUT", "nan"),
                                        ("BLOGSEARCH_EDITOR_CONCURRENCY", "-1")])
def test_bad_env_value_stops_serve_only(no_env: pytest.MonkeyPatch, name: str, value: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    no_env.setenv(name, value)
    with pytest.raises(SystemExit) as exit:
        build_parser().parse_args(["serve"])
    assert exit.value.code == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("blogsearch serve: argument --") and f"(from {name})" in line
    assert build_parser().parse_args(["index", "--posts", "p"]).command == "index"


def test_bad_timezone_in_the_environment_stops_every_command_that_uses_it(
        no_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    no_env.setenv("BLOGSEARCH_TIMEZONE", "Mars/Base")
    for argv in (["serve"], ["index", "--posts", "p"], ["check", "--posts", "p"], ["report", "--log", "l"]):
        with pytest.raises(SystemExit) as exit:
            build_parser().parse_args(argv)
        assert exit.value.code == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 4
    assert all("unknown time zone 'Mars/Base'" in line and "(from BLOGSEARCH_TIMEZONE)" in line for line in lines)
    assert build_parser().parse_args(["tokenize", "猫"]).command == "tokenize"


@pytest.mark.parametrize("host,proxy,warned", [
    ("0.0.0.0", None, True), ("192.0.2.10", None, True), ("::", None, True),
    ("127.0.0.1", None, False), ("localhost", None, False), ("::1", None, False),
    ("0.0.0.0", "10.0.0.2", False),  # FORWARDED_ALLOW_IPS names the proxy in front
])
def test_serve_warns_on_a_public_address_without_a_proxy(no_env: pytest.MonkeyPatch, index_dir: Path, host: str,
                                                         proxy: str | None, warned: bool,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    started: list[tuple[dict, dict, float]] = []
    no_env.setattr("web.server.serve", lambda *args: started.append(args))
    no_env.delenv("FORWARDED_ALLOW_IPS", raising=False)
    if proxy:
        no_env.setenv("FORWARDED_ALLOW_IPS", proxy)
    assert main(["serve", "--index", str(index_dir), "--host", host, "--client-timeout", "3.5",
                 "--editor-concurrency", "2"]) == 0
    err = capsys.readouterr().err
    assert ("buffering proxy such as nginx" in err and "README" in err) == warned, err
    app_config, options, client_timeout = started[0]
    assert (client_timeout, app_config["EDITOR_CONCURRENCY"]) == (3.5, 2)


def test_library_commands_still_work(index_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "Kubernetes", "--index", str(index_dir), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["hits"][0]["slug"] == "kubernetes-deploy"


def test_gunicorn_configuration(index_dir: Path) -> None:
    options = gunicorn_options("127.0.0.1", 8123, workers=2, threads=4)
    server = BlogsearchServer({"INDEX": str(index_dir)}, options)
    assert server.cfg.workers == 2
    assert server.cfg.worker_class_str == "web.server.BlogsearchWorker"
    assert issubclass(server.cfg.worker_class, ThreadWorker)  # gunicorn's gthread worker
    assert server.cfg.address == [("127.0.0.1", 8123)]
    assert server.cfg.limit_request_line == 8190
    assert server.cfg.preload_app is False
    app = server.load()
    assert app.test_client().get("/readyz").status_code == 200
    assert gunicorn_options("::1", 80, 1)["bind"] == ["[::1]:80"]
    # one thread is still the threaded worker: gunicorn's sync worker would let one slow client stop a process
    assert gunicorn_options("127.0.0.1", 80, 1, threads=1)["worker_class"] == "web.server.BlogsearchWorker"


def test_create_app_reads_env_only_for_missing_keys(no_env: pytest.MonkeyPatch, index_dir: Path) -> None:
    no_env.setenv("BLOGSEARCH_CACHE_SIZE", "5")
    no_env.setenv("BLOGSEARCH_CORS_ORIGINS", "https://blog.example")
    no_env.setenv("BLOGSEARCH_INDEX", str(index_dir))
    app = create_app()
    assert app.config["CACHE_SIZE"] == 5 and app.config["INDEX"] == str(index_dir)
    assert app.config["CORS_ORIGINS"] == ("https://blog.example",)
    assert app.test_client().get("/readyz").status_code == 200
    assert create_app({"CACHE_SIZE": 7, "INDEX": "x"}).config["CACHE_SIZE"] == 7


def test_bad_setting_names_itself() -> None:
    with pytest.raises(SettingsError, match="BLOGSEARCH_CACHE_SIZE='many'"):
        resolve(APP_SETTINGS, {}, {"BLOGSEARCH_CACHE_SIZE": "many"})
    with pytest.raises(SettingsError, match="CACHE_SIZE=-3"):
        resolve(APP_SETTINGS, {"CACHE_SIZE": -3}, {})
