"""The uncached request path (issue 17): what a search request does besides
searching must not wait for the searches in progress (bench/profile.py)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable

from flask import Flask

from search import build_index
from web import create_app
from web.searching import SharedSearcher

from tests.test_web_cache import PENGUIN, append, penguin_slugs

QUERY = "/api/search?q=Kubernetesのデプロイ"


def shared(app: Flask) -> SharedSearcher:
    return app.extensions["blogsearch"]


def within(seconds: float, fn: Callable[[], Any]) -> Any:
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(fn()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert out, f"no answer within {seconds} s"
    return out[0]


def test_a_revalidation_does_not_queue_behind_a_search(app: Flask) -> None:
    """A request answered 304 (If-None-Match) never touches the searcher:
    it is answered while another thread holds the search lock (a search in
    progress), instead of waiting for it."""
    client = app.test_client()
    first = client.get(QUERY)
    assert first.status_code == 200 and first.get_json()["total"] > 0
    etag = first.headers["ETag"].strip('"')
    with shared(app)._lock:  # a search in progress in another thread
        again = within(10, lambda: app.test_client().get(QUERY, headers={"If-None-Match": f'"{etag}"'}))
    assert again.status_code == 304


def test_the_lock_free_version_check_still_sees_a_commit(posts_copy: Path, tmp_path: Path) -> None:
    """The ETag of a request after a commit is the new version's, and the
    new post is found once the worker has switched."""
    index = tmp_path / "index"
    build_index(posts_copy, index, procs=1)
    app = create_app({"INDEX": str(index)})
    client = app.test_client()
    before = client.get(QUERY)
    assert penguin_slugs(client) == []
    append(posts_copy, PENGUIN)
    build_index(posts_copy, index, procs=1)
    client.get(QUERY)  # notices the commit, switches in the background
    shared(app).wait_for_switch(30)
    after = client.get(QUERY, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    assert penguin_slugs(client) == ["linux-file-permissions"]
