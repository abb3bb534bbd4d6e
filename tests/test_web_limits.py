"""Bounded concurrency of the expensive editor routes (web.limits): over the
bound a request waits a little, then gets 503 `busy` with Retry-After, as JSON
under /api and as the Japanese error page elsewhere; searches are never gated."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask

from web import create_app
from web.limits import EXTENSION, Busy, Gate, gate

DRAFT = {
    "title": "PostgreSQLのバックアップ",
    "body": "PostgreSQLのデータベースを運用するとき、バックアップとリストアの手順は欠かせません。"
            "pg_dumpで論理バックアップを取り、WALアーカイブでポイントインタイムリカバリに備えます。",
}
GATED = [  # (method, path, kwargs) of every expensive route
    ("post", "/api/related", {"json": DRAFT}),
    ("post", "/editor", {"data": DRAFT}),
    ("get", "/api/duplicates/postgresql-backup", {}),
    ("get", "/editor?slug=postgresql-backup", {}),
    ("get", "/editor/report", {}),
]


def wait_until(condition, seconds: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def test_gate_admits_limit_running_and_limit_waiting() -> None:
    g = Gate(1, wait=30)
    g.acquire()  # a draft being computed
    turns: list[str] = []
    waiter = threading.Thread(target=lambda: (g.acquire(), turns.append("waited")))
    waiter.start()
    wait_until(lambda: g.waiting == 1)
    with pytest.raises(Busy):  # the queue is full: refused at once, not after 30 s
        g.acquire()
    assert (g.running, g.waiting, turns) == (1, 1, [])
    g.release()
    waiter.join(timeout=10)
    assert turns == ["waited"] and (g.running, g.waiting) == (1, 0)
    g.release()
    assert (g.running, g.waiting) == (0, 0)


def test_gate_refuses_a_waiter_whose_turn_does_not_come() -> None:
    g = Gate(2, wait=0.05)
    g.acquire()
    g.acquire()
    with pytest.raises(Busy) as refused:
        g.acquire()
    assert (refused.value.status, refused.value.code) == (503, "busy")
    assert (g.running, g.waiting) == (2, 0)
    g.release()
    g.acquire()  # a freed turn is taken again
    assert g.running == 2


@pytest.fixture
def held_app(index_dir: Path) -> Flask:
    """The app with its gate full: one request computing, none allowed to wait long."""
    app = create_app({"TESTING": True, "INDEX": str(index_dir), "QUERY_LOG": "", "EDITOR_CONCURRENCY": 1})
    app.extensions[EXTENSION] = held = Gate(1, wait=0.05)
    held.acquire()
    return app


@pytest.mark.parametrize("method,path,kwargs", GATED)
def test_expensive_routes_are_busy_while_the_gate_is_full(held_app: Flask, method: str, path: str,
                                                         kwargs: dict) -> None:
    response = getattr(held_app.test_client(), method)(path, **kwargs)
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert response.headers["Cache-Control"] == "no-store"
    if path.startswith("/api/"):
        assert response.get_json()["error"]["code"] == "busy"
    else:
        page = response.get_data(as_text=True)
        assert response.mimetype == "text/html" and "混み合っています" in page
    # nothing was left holding a turn
    assert (held_app.extensions[EXTENSION].running, held_app.extensions[EXTENSION].waiting) == (1, 0)


def test_searches_are_not_gated_and_drafts_run_again_when_the_gate_frees(held_app: Flask) -> None:
    client = held_app.test_client()
    response = client.get("/api/search?q=" + quote("量子ビット"))
    assert response.status_code == 200
    assert response.get_json()["hits"][0]["slug"] == "quantum-computer-basics"
    assert client.get("/search?q=" + quote("量子ビット")).status_code == 200
    held_app.extensions[EXTENSION].release()
    response = client.post("/api/related", json=DRAFT)
    assert response.status_code == 200
    assert response.get_json()["related"][0]["slug"] == "postgresql-backup"
    assert held_app.extensions[EXTENSION].running == 0


def test_editor_concurrency_0_turns_the_gate_off(index_dir: Path) -> None:
    app = create_app({"TESTING": True, "INDEX": str(index_dir), "QUERY_LOG": "", "EDITOR_CONCURRENCY": 0})
    with app.app_context():
        assert gate() is None
    assert app.test_client().post("/api/related", json=DRAFT).status_code == 200
    with create_app({"TESTING": True, "INDEX": str(index_dir), "QUERY_LOG": ""}).app_context():
        default = gate()
        assert default is not None and default.limit == 1
