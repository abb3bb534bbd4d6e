"""A result page's snippet work: the windows of best matches are searched
once for the page, and a long post's sections reuse them."""

from __future__ import annotations

from pathlib import Path

import pytest

import search.query.hits as hits
import search.text.snippets as snippets
from search import Searcher, build_index

POST = """---
title: {title}
tags: [サーバー]
---
サーバーを設定したときの覚え書きです。

## ファイアウォールの設定

{firewall}

## ログの確認方法

{logs}

## ログの保存期間

{rotation}
"""


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hits-work")
    posts = root / "site" / "_posts"
    posts.mkdir(parents=True)
    for n, title in enumerate(["サーバーの設定メモ", "ログ管理の覚え書き", "ポートとログの話"]):
        text = POST.format(
            title=title,
            firewall="ufw でポートを開けます。" * (40 + 40 * n),
            logs="journalctl でログを確認します。エラーのログは優先度で絞り込みます。" * (30 + 10 * n),
            rotation="ログは logrotate で一週間保存します。古いログは圧縮されます。" * (30 + 5 * n),
        )
        (posts / f"2026-03-0{n + 1}-notes-{n}.md").write_text(text, encoding="utf-8")
    build_index(posts.parent, root / "index", procs=1)
    return root / "index"


def test_a_pages_windows_are_searched_once_and_its_sections_reuse_them(
        index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"find_windows": 0, "best_window": 0}

    def counted(name, fn):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return fn(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(hits, "find_windows", counted("find_windows", hits.find_windows))
    monkeypatch.setattr(snippets, "best_window", counted("best_window", snippets.best_window))
    with Searcher(index) as searcher:
        result = searcher.search("ログを確認する")
    assert len(result.hits) == 3
    long_hits = [hit for hit in result.hits if hit.sections]
    assert long_hits and all("<mark>" in s["snippet_html"] for hit in long_hits for s in hit.sections)
    assert all("<mark>" in hit.snippet_html for hit in result.hits)
    # one window search for the three posts and their sections' snippets, none per snippet
    assert calls == {"find_windows": 1, "best_window": 0}
