"""Warm-up before a new index generation answers: `Searcher.warm` and
`warm_editor` build every table a request would otherwise build on first
need, and a server warms a new generation (both lanes) before it swaps it
in, so the first requests after a commit never build one."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable, Hashable

import pytest
from flask.testing import FlaskClient

from search import Searcher, build_index, duplicates_in_post, related_posts
from search.editorial.related import _stats
from search.editorial.warm import warm_editor
from search.query.snapshot import Snapshot
from web import create_app
from web.searching import SharedSearcher

CHANGED_POST = "2025-06-15-linux-file-permissions.md"
PENGUIN = "ペンギン大行進"
NO_HITS = "ペンギン"  # no sample post has it: the speller is asked


class TableBuilds:
    """Records every generation table built (`Snapshot.table` on first need)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.built: list[Hashable] = []
        original = Snapshot.table

        def table(snapshot: Snapshot, name: Hashable, build: Callable[[Snapshot], Any]) -> Any:
            if not snapshot.built(name):
                self.built.append(name)
            return original(snapshot, name, build)

        monkeypatch.setattr(Snapshot, "table", table)


def editor_tables_ready(searcher: Searcher) -> bool:
    stats = searcher.snapshot.table("related statistics", lambda _: None)
    return (stats is not None and stats.tag_table is not None
            and stats._title_information is not None
            and "passages" in searcher.snapshot._column_terms)


def test_a_warm_searcher_builds_no_table_for_searches_or_completions(
        index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Searcher(index_dir) as searcher:
        searcher.warm()
        builds = TableBuilds(monkeypatch)
        assert searcher.search("非同期処理").total >= 1
        assert searcher.search(NO_HITS).total == 0  # did-you-mean: the speller
        assert searcher.search("こうそくか").total >= 0  # readings
        searcher.suggest("ぱいそ")
        searcher.suggest("Pyth")
        assert builds.built == []


def test_warm_editor_builds_what_related_and_duplicates_need(
        index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Searcher(index_dir) as searcher:
        warm_editor(searcher)
        assert editor_tables_ready(searcher)
        stats = _stats(searcher.snapshot)
        tag_table, titles = stats.tag_table, stats._title_information
        builds = TableBuilds(monkeypatch)
        assert related_posts(searcher, "python-asyncio").related
        duplicates_in_post(searcher, "python-asyncio")
        assert builds.built == []
        # the same tables, not rebuilt ones
        assert stats.tag_table is tag_table and stats._title_information is titles


def penguin_slugs(client: FlaskClient) -> list[str]:
    return [h["slug"] for h in client.get("/api/search", query_string={"q": "ペンギン"}).get_json()["hits"]]


def within(seconds: float, fn: Callable[[], Any]) -> Any:
    """`fn()` in a thread; fails (instead of hanging) when it takes longer."""
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(fn()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert out, f"no answer within {seconds} s"
    return out[0]


def test_after_a_commit_the_new_generation_is_warmed_for_both_lanes_before_the_swap(
        posts_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A commit while the server answers: warm-up (both lanes) runs before
    the swap, requests meanwhile are answered from the old generation on
    both lanes, and the requests after the swap come from the new one and
    build no table."""
    import web.searching

    index = tmp_path / "index"
    build_index(posts_copy, index, procs=1)
    app = create_app({"INDEX": str(index)})
    shared: SharedSearcher = app.extensions["blogsearch"]
    client = app.test_client()
    assert penguin_slugs(client) == []
    old = shared.state().version
    assert client.get("/api/related/python-asyncio").status_code == 200  # the editor lane is open
    path = posts_copy / CHANGED_POST
    path.write_text(path.read_text(encoding="utf-8") + f"\n{PENGUIN}\n", encoding="utf-8")
    assert build_index(posts_copy, index, procs=1).indexed == 1

    events: list[tuple[str, str]] = []
    release = threading.Event()
    warm, editor_warm, changed = Searcher.warm, web.searching.warm_editor, SharedSearcher._changed

    def held_warm(self: Searcher) -> None:
        events.append(("warm", self.version))
        assert release.wait(30)
        warm(self)

    def recorded_editor_warm(searcher: Searcher) -> None:
        editor_warm(searcher)
        events.append(("editor warm", searcher.version))

    def recorded_swap(self: SharedSearcher) -> None:
        assert self._searcher is not None
        events.append(("swap", self._searcher.version))
        changed(self)

    monkeypatch.setattr(Searcher, "warm", held_warm)
    monkeypatch.setattr(web.searching, "warm_editor", recorded_editor_warm)
    monkeypatch.setattr(SharedSearcher, "_changed", recorded_swap)
    try:
        assert within(10, lambda: penguin_slugs(client)) == []  # notices the commit
        for _ in range(3):  # warm-up held: both lanes answer at once, from the old version
            assert within(10, lambda: penguin_slugs(client)) == []
            assert within(10, lambda: shared.run(lambda s: s.version, lane="editor")[1]) == old
            assert within(10, lambda: client.get("/api/related/python-asyncio").status_code) == 200
        assert events and events[0][0] == "warm"
    finally:
        release.set()
    shared.wait_for_switch(30)
    new = shared.state().version
    assert new != old
    assert events == [("warm", new), ("editor warm", new), ("swap", new)]

    builds = TableBuilds(monkeypatch)
    assert penguin_slugs(client) == ["linux-file-permissions"]
    assert client.get("/api/search", query_string={"q": "ペンギソ"}).status_code == 200
    assert client.get("/api/suggest", query_string={"q": "ぺん"}).status_code == 200
    assert shared.run(lambda s: s.version, lane="editor")[1] == new
    related = client.get("/api/related/linux-file-permissions")
    assert related.status_code == 200 and related.get_json()["related"]
    assert client.get("/api/duplicates/linux-file-permissions").status_code == 200
    assert builds.built == []
    assert shared.switches == 1


def test_a_worker_that_never_used_the_editor_lane_warms_no_editor_searcher(
        posts_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import web.searching

    index = tmp_path / "index"
    build_index(posts_copy, index, procs=1)
    app = create_app({"INDEX": str(index)})
    shared: SharedSearcher = app.extensions["blogsearch"]
    client = app.test_client()
    assert penguin_slugs(client) == []
    warmed: list[str] = []
    editor_warm = web.searching.warm_editor
    monkeypatch.setattr(web.searching, "warm_editor",
                        lambda searcher: (warmed.append(searcher.version), editor_warm(searcher)))
    path = posts_copy / CHANGED_POST
    path.write_text(path.read_text(encoding="utf-8") + f"\n{PENGUIN}\n", encoding="utf-8")
    build_index(posts_copy, index, procs=1)
    client.get("/readyz")
    shared.wait_for_switch(30)
    assert penguin_slugs(client) == ["linux-file-permissions"] and warmed == []
    # its first editor request opens the editor lane's searcher on the search lane's version
    assert client.get("/api/related/linux-file-permissions").status_code == 200
    assert shared.run(lambda s: s.version, lane="editor")[1] == shared.state().version
