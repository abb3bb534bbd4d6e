"""Synonyms from Sudachi's synonym groups (search.text.synonyms), searched
for a query's words through the public Searcher on a small index."""

from __future__ import annotations

import json

import pytest

from search import Searcher, build_index
from search.ingest.posts import SiteConfig
from search.query.rank import Ranking
from search.text.synonyms import SynonymTable, groups_of

POSTS = {
    "rmdir": ("空のディレクトリを削除する", "rmdir は中身のないディレクトリを削除するコマンドです。"),
    "mkdir": ("ディレクトリを作成する", "mkdir で新しいディレクトリを作ります。"),
    "cd": ("カレントディレクトリを移動する", "cd で作業ディレクトリを変えます。"),
    "ls": ("ディレクトリの内容を表示する", "ls はディレクトリにあるファイルを一覧にします。"),
    "home": ("ホームディレクトリのバックアップ", "ホームディレクトリを外付けディスクに保存します。"),
    "folders": ("デスクトップのフォルダ整理術", "仕事のフォルダを色で分けて整理すると探しやすくなります。"),
    "cats": ("猫の写真の撮り方", "窓辺で眠る猫を自然光で撮ります。"),
}


@pytest.fixture(scope="module")
def searcher(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("synonyms")
    posts = root / "_posts"
    posts.mkdir()
    for i, (slug, (title, body)) in enumerate(POSTS.items(), 1):
        (posts / f"2026-01-{i:02d}-{slug}.md").write_text(
            f'---\ntitle: "{title}"\ndate: 2026-01-{i:02d} 09:00:00 +0900\n---\n\n{body}\n', encoding="utf-8")
    index = root / "index"
    report = build_index(posts, index, SiteConfig(), procs=1)
    assert not report.errors, report.errors
    with Searcher(index) as s:
        yield s


@pytest.mark.parametrize("word,synonym", [
    ("フォルダ", "ディレクトリ"), ("消す", "削除"), ("作る", "作成"), ("サーバ", "サーバー"),
])
def test_words_sharing_a_sudachi_group_are_synonyms(word: str, synonym: str) -> None:
    # サーバ is the index term of サーバー (the trailing long vowel dropped)
    assert set(groups_of(word)) & set(groups_of(synonym))


def test_a_katakana_term_without_its_long_vowel_is_looked_up_with_it() -> None:
    # the index writes カラー as カラ; Sudachi knows only カラー (and カラ as 空)
    assert groups_of("カラ") == groups_of("カラー")
    assert set(groups_of("カラ")) & set(groups_of("色"))


def test_the_table_does_not_depend_on_the_vocabularys_order() -> None:
    words = {"ディレクトリ": 40, "フォルダー": 40, "削除": 60, "消去": 60, "デリート": 2, "猫": 9}
    a, b = SynonymTable(words), SynonymTable(dict(reversed(list(words.items()))))
    assert a.members == b.members
    assert a.candidates("消す") == b.candidates("消す") == ["削除", "消去", "デリート"]


@pytest.mark.parametrize("word", ["内容", "猫じゃらしパンチ", "aws", "~化", ""])
def test_words_without_groups_have_none(word: str) -> None:
    assert groups_of(word) == ()


def test_the_table_gives_the_indexs_words_of_the_same_groups_most_frequent_first() -> None:
    table = SynonymTable({"ディレクトリ": 40, "フォルダー": 3, "削除": 60, "消去": 80, "猫": 9})
    assert table.candidates("フォルダ") == ["ディレクトリ", "フォルダー"]
    assert table.candidates("消す") == ["消去", "削除"]
    assert table.candidates("猫") == []


def test_a_reader_writing_folder_and_erase_finds_the_post_about_deleting_a_directory(searcher) -> None:
    slugs = [h.slug for h in searcher.search("空のフォルダを消したい").hits]
    assert slugs[:1] == ["rmdir"]
    without = [h.slug for h in searcher.search("空のフォルダを消したい", ranking=Ranking(synonyms=False)).hits]
    assert "rmdir" not in without


def test_the_word_typed_outranks_its_synonym(searcher) -> None:
    result = searcher.search("フォルダ")
    slugs = [h.slug for h in result.hits]
    assert slugs[0] == "folders" and "ls" in slugs
    scores = {h.slug: h.score for h in result.hits}
    assert scores["folders"] > max(s for slug, s in scores.items() if slug != "folders")


def test_a_synonym_is_highlighted_where_it_matched(searcher) -> None:
    hit = next(h for h in searcher.search("空のフォルダを消したい").hits if h.slug == "rmdir")
    assert "<mark>ディレクトリ</mark>" in hit.title_html and "<mark>削除</mark>" in hit.title_html


def test_tokenize_shows_the_synonyms_searched(searcher, capsys) -> None:
    from search.cli import main

    index = str(searcher.index_dir)
    assert main(["tokenize", "空のフォルダを消したい", "--index", index]) == 0
    out = capsys.readouterr().out
    assert "+ ディレクトリ" in out and "synonym" in out
    assert main(["tokenize", "空のフォルダを消したい", "--index", index, "--json"]) == 0
    words = {w["term"]: w for w in json.loads(capsys.readouterr().out)["search"]["words"]}
    synonym = next(e for e in words["フォルダ"]["paraphrases"] if e["term"] == "ディレクトリ")
    assert synonym["kind"] == "synonym" and synonym["weight"] < words["フォルダ"]["weight"]
