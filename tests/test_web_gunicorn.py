"""gunicorn-level behaviour of `blogsearch serve` (web.server.BlogsearchWorker),
on the real server over raw sockets: slow and idle clients do not take the
service down, a too slow head or body is 408, gunicorn's own refusals have the
app's error shape (JSON under /api), a malformed chunked body is 400, paths
outside SCRIPT_NAME are 404, and a draft refused as busy can read its 503."""

from __future__ import annotations

import http.client
import json
import select
import socket
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

import pytest

from tests.test_web_server import get, running_server

CLIENT_TIMEOUT = 2  # seconds, for the module's server (the default is 10)
SEARCH = "/api/search?q=" + quote("量子ビット")


@pytest.fixture(scope="module")
def port(index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    log = tmp_path_factory.mktemp("gunicorn") / "server.log"
    with running_server(index_dir, log, "--threads", "2", "--client-timeout", str(CLIENT_TIMEOUT)) as port:
        yield port


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        assert self.headers["content-type"].startswith("application/json"), self.headers
        return json.loads(self.body)


def read_answer(sock: socket.socket) -> Answer:
    response = http.client.HTTPResponse(sock)
    response.begin()
    body = response.read()
    return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, body)


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=20)


def exchange(port: int, data: bytes) -> Answer:
    with connect(port) as sock:
        sock.sendall(data)
        return read_answer(sock)


def trickle(port: int, head: bytes, line: bytes, gap: float = 0.3, seconds: float = 15) -> Answer:
    """Send `head`, then `line` every `gap` seconds until the server answers."""
    with connect(port) as sock:
        sock.sendall(head)
        deadline = time.monotonic() + seconds
        while not select.select([sock], [], [], gap)[0]:
            assert time.monotonic() < deadline, "no answer to a trickled request"
            sock.sendall(line)
        return read_answer(sock)


def assert_search_answers(port: int) -> None:
    status, data = get(port, SEARCH)  # 10 s socket timeout: a hang fails
    assert status == 200 and data["hits"][0]["slug"] == "quantum-computer-basics"
    assert get(port, "/healthz")[0] == 200


# --- slow clients ------------------------------------------------------------------------


def test_idle_and_partial_heads_do_not_take_the_service_down(port: int) -> None:
    # 2 workers × 2 threads: before, 4 such connections stopped every answer for good
    with ExitStack() as stack:
        for n in range(200):
            sock = stack.enter_context(connect(port))
            if n % 4:
                sock.sendall(b"GET / HTTP/1.1\r\n")  # a head that never ends
            if n % 4 == 1:
                sock.sendall(b"Host: blog.example.com\r\nX-Slow: ")
        for _ in range(20):
            assert_search_answers(port)


@pytest.mark.parametrize("path,json_error", [("/api/search?q=a", True), ("/search?q=a", False)])
def test_a_head_that_trickles_in_gets_408(port: int, path: str, json_error: bool) -> None:
    started = time.monotonic()
    answer = trickle(port, f"GET {path} HTTP/1.1\r\nHost: x\r\n".encode(), b"X-Slow: 1\r\n")
    assert time.monotonic() - started >= CLIENT_TIMEOUT
    assert answer.status == 408 and answer.headers["connection"] == "close"
    if json_error:
        assert answer.json()["error"]["code"] == "request_timeout"
    else:
        assert answer.headers["content-type"] == "text/html"


def test_a_head_in_pieces_within_the_timeout_is_served(port: int) -> None:
    with connect(port) as sock:
        for piece in (f"GET {SEARCH} HTTP/1.1\r\n".encode(), b"Host: x\r\n", b"Connection: close\r\n\r\n"):
            sock.sendall(piece)
            time.sleep(0.3)
        answer = read_answer(sock)
    assert answer.status == 200 and answer.json()["hits"][0]["slug"] == "quantum-computer-basics"


@pytest.mark.parametrize("framing", [b"Content-Length: 1000\r\n\r\n", b"Transfer-Encoding: chunked\r\n\r\n5\r\n"])
def test_a_body_that_does_not_arrive_gets_408(port: int, framing: bytes) -> None:
    head = b"POST /api/related HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + framing
    answer = exchange(port, head + '{"bo'.encode())
    assert answer.status == 408 and answer.headers["connection"] == "close"
    assert answer.json()["error"]["code"] == "request_timeout"


# --- gunicorn's own refusals in the app's shape -------------------------------------------------

REFUSALS = [  # (name, request line suffix and headers, status, code)
    ("request line over 8190 bytes", b"&q=" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri_too_long"),
    ("a header over 8190 bytes", b" HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n",
     431, "request_header_fields_too_large"),
    ("120 headers", b" HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(120)) + b"\r\n",
     431, "request_header_fields_too_large"),
    ("unknown HTTP version", b" HTTP/9.9\r\nHost: x\r\n\r\n", 400, "bad_request"),
    ("a header with a bare LF", b" HTTP/1.1\r\nHost: x\nX-A: 1\r\n\r\n", 400, "bad_request"),
]


@pytest.mark.parametrize("name,rest,status,code", REFUSALS, ids=[r[0] for r in REFUSALS])
@pytest.mark.parametrize("path", ["/api/search?x=1", "/readyz?x=1", "/search?x=1"])
def test_gunicorn_refusals_are_json_under_api(port: int, name: str, rest: bytes, status: int, code: str,
                                              path: str) -> None:
    answer = exchange(port, b"GET " + path.encode() + rest)
    assert answer.status == status and answer.headers["connection"] == "close"
    if path.startswith("/search"):
        assert answer.headers["content-type"] == "text/html"
    else:
        assert answer.json()["error"]["code"] == code
        assert answer.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("chunks", [b"zz\r\n{}\r\n0\r\n\r\n", b"2\r\n{}XX0\r\n\r\n"], ids=["size", "terminator"])
@pytest.mark.parametrize("path,kind", [("/api/related", "application/json"),
                                       ("/editor", "application/x-www-form-urlencoded")])
def test_a_malformed_chunked_body_is_400(port: int, chunks: bytes, path: str, kind: str) -> None:
    head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {kind}\r\nTransfer-Encoding: chunked\r\n\r\n"
    answer = exchange(port, head.encode() + chunks)
    assert answer.status == 400 and answer.headers["connection"] == "close"
    if path.startswith("/api/"):
        assert answer.json()["error"]["code"] == "bad_request"
    else:
        assert "リクエストを処理できませんでした" in answer.body.decode()


def test_a_well_formed_chunked_draft_is_answered(port: int) -> None:
    body = json.dumps({"title": "PostgreSQLのバックアップ",
                       "body": "pg_dumpで論理バックアップを取り、WALアーカイブに備えます。"}).encode()
    head = b"POST /api/related HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" \
           b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 50]), body[i:i + 50]) for i in range(0, len(body), 50))
    answer = exchange(port, head + chunked + b"0\r\n\r\n")
    assert answer.status == 200 and answer.json()["related"][0]["slug"] == "postgresql-backup"


# --- SCRIPT_NAME ------------------------------------------------------------------------------


def test_paths_outside_script_name_are_404(index_dir: Path, tmp_path: Path) -> None:
    with running_server(index_dir, tmp_path / "server.log", env={"SCRIPT_NAME": "/find"},
                        ready_path="/find/readyz") as port:
        status, data = get(port, "/find" + SEARCH)
        assert status == 200 and data["hits"][0]["slug"] == "quantum-computer-basics"
        status, page = get(port, "/find/search?q=" + quote("量子ビット"))
        assert status == 200 and b'href="/find/' in page
        for path in ("/api/search?q=a", "/readyz", "/api/tags"):
            status, data = get(port, path)
            assert status == 404 and data["error"]["code"] == "not_found", path
        answer = exchange(port, b"GET /search?q=a HTTP/1.1\r\nHost: x\r\n\r\n")
        assert answer.status == 404 and answer.headers["content-type"] == "text/html"


# --- a draft refused as busy reads its answer ------------------------------------------------------


def test_a_draft_refused_as_busy_reads_503_on_a_connection_it_can_reuse(index_dir: Path, tmp_path: Path) -> None:
    with running_server(index_dir, tmp_path / "server.log", "--workers", "1", "--threads", "4",
                        "--editor-concurrency", "1", "--client-timeout", "8") as port, ExitStack() as stack:
        # a draft whose body never comes holds the one turn until its client timeout
        holder = stack.enter_context(connect(port))
        holder.sendall(b"POST /api/related HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       b"Content-Length: 1000\r\n\r\n{")
        deadline = time.monotonic() + 6
        while get(port, "/editor/report")[0] != 503:  # a gated route: 503 once the turn is taken
            assert time.monotonic() < deadline
        draft = json.dumps({"title": "下書き", "body": "バックアップの手順を確認します。" * 4000},
                           ensure_ascii=False).encode()
        assert len(draft) > 64 * 1024  # more than gunicorn drains itself before closing
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        stack.callback(conn.close)
        conn.request("POST", "/api/related", body=draft, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        assert response.status == 503 and response.getheader("Retry-After")
        assert json.loads(response.read())["error"]["code"] == "busy"
        assert get(port, SEARCH, conn)[0] == 200  # the same connection, still open
        assert read_answer(holder).status == 408
