"""“Did you mean” over the sample posts: misspellings corrected from the
index's vocabulary, correct queries left alone, kana left to the reading
search, and input that must never raise."""

from __future__ import annotations

from pathlib import Path

import pytest

from search import Searcher
from search.query.spelling import did_you_mean, speller


@pytest.fixture(scope="module")
def searcher(index_dir: Path):
    with Searcher(index_dir) as s:
        yield s


def correct(searcher: Searcher, text: str) -> str | None:
    return did_you_mean(searcher.snapshot, searcher.reading_table(), text)


@pytest.mark.parametrize("typed,meant", [
    ("サーバーの監資", "サーバーの監視"),  # 監資 read カンシ, as 監視
    ("著作件", "著作権"),  # 件 read ケン, as 権
    ("非同期諸理", "非同期処理"),
    ("高速価", "高速化"),
    ("セキュリテイ", "セキュリティ"),  # one katakana off
    ("ｾｷｭﾘﾃｲ", "セキュリティ"),  # and half width
    ("pyhton", "python"),  # two letters swapped
    ("Kubernetis", "Kubernetes"),  # the reader's capital kept
])
def test_misspellings_are_corrected(searcher: Searcher, typed: str, meant: str) -> None:
    assert correct(searcher, typed) == meant
    assert searcher.search(meant).total >= 1


@pytest.mark.parametrize("typed", ["サーバーの監視", "python", "非同期処理", "量子コンピュータ", "著作権",
                                   "こうそくか", "さーばー", "kousokuka"])
def test_correct_queries_and_kana_are_left_alone(searcher: Searcher, typed: str) -> None:
    assert correct(searcher, typed) is None


def test_a_search_that_finds_nothing_proposes_the_correction(searcher: Searcher) -> None:
    result = searcher.search("pyhton")
    assert result.total == 0 and result.did_you_mean == "python"
    assert result.to_dict()["did_you_mean"] == "python"
    found = searcher.search("python")
    assert found.total >= 1 and found.did_you_mean is None


def test_a_search_that_finds_part_of_a_misspelt_query_proposes_the_correction(searcher: Searcher) -> None:
    # 著作件 is written nowhere: the posts found share only 生成AI (or 著作) with it
    result = searcher.search("生成AIの著作件")
    assert result.total >= 1 and result.did_you_mean == "生成AIの著作権"
    assert searcher.search("生成AIの著作権").did_you_mean is None


def test_the_tables_are_built_once_per_generation(searcher: Searcher) -> None:
    table = speller(searcher.snapshot, searcher.reading_table())
    assert speller(searcher.snapshot, searcher.reading_table()) is table


HOSTILE = ["", " ", "\x00", "サーバー\x00運用", "\ud800", "a\ud83d", "*", "(" * 200, "😀", "あ" * 300,
           "x" * 300, "AI " * 100, "\u202e", "ー", "っ", "'", "-", "<script>", "\u3000", "ｰｰｰ", "ン" * 50]


@pytest.mark.parametrize("text", HOSTILE, ids=[repr(t[:12]) for t in HOSTILE])
def test_hostile_input_never_raises(searcher: Searcher, text: str) -> None:
    found = correct(searcher, text)
    assert found is None or isinstance(found, str)
    searcher.search(text).to_dict()
