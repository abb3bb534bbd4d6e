"""Caching and freshness: ETag / 304, the LRU result cache keyed by index
version, picking up new index generations (and rebuilds) without a restart,
and reopening the index when a file vanished mid-request."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from search import build_index
from search import Searcher
from web import create_app
from web.params import SearchParams, parse_search_params
from web.views.pages import page_numbers
from web.searching import ResultCache, SharedSearcher

PENGUIN = "ペンギン大行進"
CHANGED_POST = "2025-06-15-linux-file-permissions.md"


def shared(app: Flask) -> SharedSearcher:
    return app.extensions["blogsearch"]


# --- ETag and Cache-Control ------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/search?q=AI", "/api/tags", "/api/posts/python-asyncio",
                                 "/search?q=AI", "/tags/AI", "/"])
def test_etag_and_304(client: FlaskClient, url: str) -> None:
    first = client.get(url)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, max-age=60"
    again = client.get(url)
    assert again.headers["ETag"] == etag
    cached = client.get(url, headers={"If-None-Match": etag})
    assert cached.status_code == 304
    assert cached.get_data() == b""
    assert cached.headers["ETag"] == etag
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.get(url, headers={"If-None-Match": f'"x", W/{etag}'}).status_code == 304


def test_etag_depends_on_the_url(client: FlaskClient) -> None:
    etags = {client.get(url).headers["ETag"] for url in
             ["/api/search?q=AI", "/api/search?q=AI&page=2", "/api/search?q=Python", "/search?q=AI"]}
    assert len(etags) == 4


def test_errors_are_not_cached(client: FlaskClient) -> None:
    response = client.get("/api/search?page=0")
    assert "ETag" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    assert client.get("/readyz").headers["Cache-Control"] == "no-store"


# --- the result cache --------------------------------------------------------------


def test_lru_cache_unit() -> None:
    cache = ResultCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # a is now the most recent
    cache.put("c", 3)
    assert cache.get("b") is None and cache.get("a") == 1 and cache.get("c") == 3
    assert len(cache) == 2
    off = ResultCache(0)
    off.put("a", 1)
    assert off.get("a") is None and len(off) == 0


def test_repeated_searches_are_answered_from_the_cache(index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app({"INDEX": str(index_dir), "CACHE_SIZE": 2})
    client = app.test_client()
    calls = []
    original = Searcher.search

    def counting(self: Searcher, *args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Searcher, "search", counting)
    first = client.get("/api/search?q=AI&tag=チップ&tag=AWS").get_json()
    assert client.get("/api/search?q=AI&tag=AWS&tag=チップ").get_json() == first  # tag order
    assert client.get("/api/search?q=%20AI%20&tag=AWS&tag=チップ&utm=1").get_json() == first
    assert client.get("/search?q=AI&tag=AWS&tag=チップ").status_code == 200  # same data, as HTML
    assert len(calls) == 1
    client.get("/api/search?q=Python")
    client.get("/api/search?q=Rust")
    client.get("/api/search?q=AI&tag=チップ&tag=AWS")  # evicted by the two above
    assert len(calls) == 4
    assert len(shared(app).cache) == 2


def test_cache_size_zero_disables_it(index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BLOGSEARCH_CACHE_SIZE", "0")
    app = create_app({"INDEX": str(index_dir)})
    client = app.test_client()
    for _ in range(3):
        client.get("/api/search?q=AI")
    assert shared(app).cache.size == 0 and len(shared(app).cache) == 0


def test_cache_key_normalises() -> None:
    a = parse_search_params({"q": "  AI   チップ ", "page": "1"})
    b = parse_search_params({"q": "AI チップ"})
    assert a == b and a.cache_key() == b.cache_key()


# --- new index generations ---------------------------------------------------------


def append(posts: Path, text: str) -> None:
    path = posts / CHANGED_POST
    path.write_text(path.read_text(encoding="utf-8") + f"\n{text}\n", encoding="utf-8")


def penguin_slugs(client: FlaskClient) -> list[str]:
    return [h["slug"] for h in client.get("/api/search", query_string={"q": "ペンギン"}).get_json()["hits"]]


def switched(app: Flask, client: FlaskClient) -> None:
    """After a commit: a request notices the new version (and is answered
    from the old one), then the worker's background switch is waited for."""
    client.get("/readyz")
    app.extensions["blogsearch"].wait_for_switch(30)


def test_new_generation_is_seen_without_restart(posts_copy: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    build_index(posts_copy, index, procs=1)
    app = create_app({"INDEX": str(index)})
    client = app.test_client()
    url = "/api/search?q=" + "ペンギン"
    before = client.get(url)
    assert before.get_json()["total"] == 0  # and now cached under this generation
    generation = client.get("/readyz").get_json()["generation"]

    append(posts_copy, f"この記事の最後に{PENGUIN}と書き足しました。")
    report = build_index(posts_copy, index, procs=1)
    assert report.indexed == 1

    # the request that notices the commit is answered at once, from the
    # version it was cached under; the new one is opened beside it
    stale = client.get(url)
    assert stale.headers["ETag"] == before.headers["ETag"] and stale.get_json()["total"] == 0
    app.extensions["blogsearch"].wait_for_switch(30)
    assert app.extensions["blogsearch"].switches == 1

    after = client.get(url)
    assert [h["slug"] for h in after.get_json()["hits"]] == ["linux-file-permissions"]
    assert "<mark>ペンギン</mark>" in after.get_json()["hits"][0]["snippet_html"]
    assert after.headers["ETag"] != before.headers["ETag"]
    # the old ETag no longer matches: a full answer, not 304
    assert client.get(url, headers={"If-None-Match": before.headers["ETag"]}).status_code == 200
    assert client.get("/readyz").get_json()["generation"] > generation
    page = client.get("/search?q=" + "ペンギン").get_data(as_text=True)
    assert "Linuxのファイルのアクセス権を理解する" in page


def test_changed_post_is_not_found_twice(posts_copy: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    build_index(posts_copy, index, procs=1)
    client = create_app({"INDEX": str(index)}).test_client()
    assert client.get("/api/search?q=chmod").get_json()["total"] == 1
    append(posts_copy, PENGUIN)
    build_index(posts_copy, index, procs=1)
    data = client.get("/api/search?q=chmod").get_json()
    assert [h["slug"] for h in data["hits"]] == ["linux-file-permissions"]
    assert client.get("/readyz").get_json()["posts"] == 15
    assert client.get("/api/tags").get_json()["tags"][0] == {"value": "AI", "count": 5}


def test_deleted_post_disappears(posts_copy: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    build_index(posts_copy, index, procs=1)
    app = create_app({"INDEX": str(index)})
    client = app.test_client()
    assert client.get("/api/posts/rust-speedup").status_code == 200
    (posts_copy / "2025-10-01-rust-speedup.md").unlink()
    build_index(posts_copy, index, procs=1)
    switched(app, client)
    assert client.get("/api/posts/rust-speedup").status_code == 404
    assert client.get("/readyz").get_json()["posts"] == 14


def test_rebuild_in_place_is_seen(posts_copy: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    build_index(posts_copy, index, procs=1)
    app = create_app({"INDEX": str(index)})
    client = app.test_client()
    assert penguin_slugs(client) == []
    generation = client.get("/readyz").get_json()["generation"]
    append(posts_copy, PENGUIN)
    build_index(posts_copy, index, rebuild=True, procs=1)
    switched(app, client)
    # a rebuild starts counting generations again: the same number, new content
    assert client.get("/readyz").get_json()["generation"] == generation
    assert penguin_slugs(client) == ["linux-file-permissions"]


def test_swapping_a_symlink_to_a_new_index_is_seen(posts_copy: Path, tmp_path: Path) -> None:
    import os

    build_index(posts_copy, tmp_path / "index-a", procs=1)
    append(posts_copy, PENGUIN)
    build_index(posts_copy, tmp_path / "index-b", procs=1)
    current = tmp_path / "current"
    current.symlink_to(tmp_path / "index-a")
    app = create_app({"INDEX": str(current)})
    client = app.test_client()
    assert penguin_slugs(client) == []
    (tmp_path / "next").symlink_to(tmp_path / "index-b")
    os.replace(tmp_path / "next", current)  # atomic swap
    switched(app, client)
    assert penguin_slugs(client) == ["linux-file-permissions"]


def test_a_vanished_file_reopens_the_index_and_retries(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    client = app.test_client()
    assert client.get("/api/search?q=AI").status_code == 200
    original, failures = Searcher.search, []

    def flaky(self: Searcher, *args: Any, **kwargs: Any) -> Any:
        if not failures:
            failures.append(self)
            raise FileNotFoundError(2, "No such file or directory", "MAIN_abc.seg")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Searcher, "search", flaky)
    response = client.get("/api/search?q=Python")
    assert response.status_code == 200
    assert response.get_json()["total"] > 0
    assert len(failures) == 1


def test_a_file_missing_twice_is_503(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: Searcher, *args: Any, **kwargs: Any) -> Any:
        raise FileNotFoundError(2, "No such file or directory", "MAIN_abc.seg")

    monkeypatch.setattr(Searcher, "search", broken)
    response = app.test_client().get("/api/search?q=Python")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "index_unavailable"
    monkeypatch.undo()
    assert app.test_client().get("/api/search?q=Python").status_code == 200


def test_searcher_is_reopened_after_fork(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    client = app.test_client()
    client.get("/api/search?q=AI")
    first = shared(app)._searcher
    monkeypatch.setattr(os, "getpid", lambda: -1)  # as in a forked worker
    client.get("/api/search?q=Python")
    assert shared(app)._searcher is not first


# --- helpers --------------------------------------------------------------------------


def test_to_args_and_without() -> None:
    p = SearchParams(q="AI", tags=("クラウド", "AWS"), category="ニュース", sort="date", page=3)
    assert p.to_args(page=4) == {"q": "AI", "tag": ["クラウド", "AWS"], "category": "ニュース",
                                 "sort": "date", "page": 4}
    assert p.to_args(sort="relevance") == {"q": "AI", "tag": ["クラウド", "AWS"], "category": "ニュース"}
    assert p.without("tag", "クラウド") == {"q": "AI", "tag": ["AWS"], "category": "ニュース", "sort": "date"}
    assert p.without("category", "ニュース") == {"q": "AI", "tag": ["クラウド", "AWS"], "sort": "date"}


@pytest.mark.parametrize("page,pages,expected", [
    (1, 1, [1]),
    (1, 3, [1, 2, 3]),
    (5, 10, [1, None, 3, 4, 5, 6, 7, None, 10]),
    (1, 100, [1, 2, 3, None, 100]),
    (100, 100, [1, None, 98, 99, 100]),
    (4, 7, [1, 2, 3, 4, 5, 6, 7]),
])
def test_page_numbers(page: int, pages: int, expected: list[int | None]) -> None:
    assert page_numbers(page, pages) == expected


def within(seconds: float, fn: Callable[[], Any]) -> Any:
    """`fn()` in a thread; fails (instead of hanging) when it takes longer."""
    import threading

    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(fn()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert out, f"no answer within {seconds} s"
    return out[0]


def test_a_commit_never_makes_a_request_wait_for_the_new_version(
        posts_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """While the new version is opened and warmed (held here until the test
    lets it go), every request is answered from the old one at once."""
    import threading

    index = tmp_path / "index"
    build_index(posts_copy, index, procs=1)
    app = create_app({"INDEX": str(index)})
    client = app.test_client()
    assert penguin_slugs(client) == []
    append(posts_copy, PENGUIN)
    build_index(posts_copy, index, procs=1)

    warming, release = threading.Event(), threading.Event()
    original = Searcher.warm

    def slow_warm(self: Searcher) -> None:
        warming.set()
        assert release.wait(30)
        original(self)

    monkeypatch.setattr(Searcher, "warm", slow_warm)
    try:
        # noticed the commit, answered from the old version
        assert within(10, lambda: penguin_slugs(client)) == []
        assert warming.wait(30)
        for _ in range(5):  # the new version is still warming: no request waits for it
            assert within(10, lambda: penguin_slugs(client)) == []
            assert within(10, lambda: client.get("/api/suggest?q=ペン").status_code) == 200
    finally:
        release.set()
    app.extensions["blogsearch"].wait_for_switch(30)
    assert penguin_slugs(client) == ["linux-file-permissions"]


def test_a_slow_editor_request_does_not_hold_up_searches(app: Flask, monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    """Drafts and duplicates run on the worker's editor searcher, under
    its own lock: a search is answered while one is being computed."""
    import threading

    from web.views import editor

    computing, release = threading.Event(), threading.Event()
    original = editor.related_to_draft

    def slow(*args: Any, **kwargs: Any) -> Any:
        computing.set()
        assert release.wait(30)
        return original(*args, **kwargs)

    monkeypatch.setattr(editor, "related_to_draft", slow)
    client = app.test_client()
    draft: dict[str, Any] = {}
    worker = threading.Thread(target=lambda: draft.update(response=app.test_client().post(
        "/api/related", json={"title": "下書き", "body": "PostgreSQLのインデックス設計について"})))
    worker.start()
    try:
        assert computing.wait(30)
        # before, the search waited for the lock the draft held
        response = within(10, lambda: client.get("/api/search?q=PostgreSQL"))
        assert response.status_code == 200 and response.get_json()["total"] >= 1
    finally:
        release.set()
        worker.join(30)
    assert draft["response"].status_code == 200
