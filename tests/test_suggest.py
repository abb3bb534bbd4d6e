"""Completions over the sample posts: what they offer, their order and
counts, partial kana and romaji, and input that must never raise."""

from __future__ import annotations

from pathlib import Path

import pytest

from search.errors import QueryError
from search import Searcher
from search.query.suggest import KINDS, MAX_SUGGESTIONS


@pytest.fixture(scope="module")
def searcher(index_dir: Path):
    with Searcher(index_dir) as s:
        s.warm()
        yield s


def texts(searcher: Searcher, q: str, limit: int = 8) -> list[str]:
    return [s.text for s in searcher.suggest(q, limit).suggestions]


@pytest.mark.parametrize("typed,expected", [
    ("こうそ", "高速"),  # partial reading of 高速化
    ("コウソ", "高速"),
    ("kouso", "高速"),  # partial romaji
    ("kous", "高速"),  # s: the next kana is being typed
    ("高速", "高速"),
    ("ちょさく", "著作権"),  # the tag
    ("ひどう", "非同期処理"),
    ("はんどう", "半導体"),
    ("りょうし", "量子"),
    ("ryoushi", "量子"),
    ("監", "監視"),
    ("せきゅ", "セキュリティ"),  # hiragana for a katakana word
    ("kube", "Kubernetes"),
    ("Kube", "Kubernetes"),
    ("ＫＵＢＥ", "Kubernetes"),  # full width
    ("pyth", "Python"),
    ("postg", "PostgreSQL"),
])
def test_partial_input_is_completed(searcher: Searcher, typed: str, expected: str) -> None:
    found = texts(searcher, typed)
    assert any(expected in text for text in found), found


def test_titles_are_found_by_any_of_their_words(searcher: Searcher) -> None:
    titles = [s for s in searcher.suggest("非同", 20).suggestions if s.kind == "title"]
    assert [s.slug for s in titles] == ["python-asyncio"]
    assert titles[0].text.startswith("Pythonの非同期処理入門")
    assert titles[0].url and titles[0].count == 1
    # and by reading
    assert "python-asyncio" in [s.slug for s in searcher.suggest("ひどう", 20).suggestions]


def test_earlier_words_are_kept(searcher: Searcher) -> None:
    assert "python 非同期処理" in texts(searcher, "python 非同")
    assert "サーバーの監視" in texts(searcher, "サーバーの監")  # no space: the last word is completed


@pytest.mark.parametrize("typed", ["a", "デ", "こ", "k", "s", "ai", "2", "サ", "の"])
@pytest.mark.parametrize("limit", [1, 3, 8, MAX_SUGGESTIONS])
def test_ranked_by_count_and_limit_respected(searcher: Searcher, typed: str, limit: int) -> None:
    found = searcher.suggest(typed, limit).suggestions
    assert len(found) <= limit
    keys = [(-s.count, KINDS.index(s.kind)) for s in found]
    assert keys == sorted(keys)
    assert len({(s.kind, s.text) for s in found}) == len(found)
    assert all(s.count >= 1 and s.kind in KINDS for s in found)


def test_more_asked_extends_fewer_asked(searcher: Searcher) -> None:
    assert texts(searcher, "デ", 20)[:5] == texts(searcher, "デ", 5)


def test_tag_counts_are_post_counts(searcher: Searcher) -> None:
    tags = {t["value"]: t["count"] for t in searcher.tags()["tags"]}
    for s in searcher.suggest("a", 20).suggestions + searcher.suggest("ク", 20).suggestions:
        if s.kind == "tag":
            assert s.count == tags[s.text]


@pytest.mark.parametrize("word", ["kubectl", "asyncio", "chmod", "trainium"])
def test_word_counts_are_post_counts(searcher: Searcher, word: str) -> None:
    found = {s.text: s for s in searcher.suggest(word[:4], 20).suggestions}
    result = searcher.search(word, per_page=50)
    assert found[word].count == result.total


def test_a_word_that_is_also_a_tag_is_offered_once(searcher: Searcher) -> None:
    found = searcher.suggest("kubernetes", 20).suggestions
    assert [s.text.lower() for s in found if s.text.lower() == "kubernetes"] == ["kubernetes"]


@pytest.mark.parametrize("typed", ["こうそ", "kouso", "デ", "サーバーの監", "python 非同", "ai", "監"])
def test_every_suggestion_finds_posts(searcher: Searcher, typed: str) -> None:
    for s in searcher.suggest(typed, 20).suggestions:
        assert searcher.search(s.text).total >= 1, s


HOSTILE = [
    "", " ", "\x00", "サーバー\x00運用", "\ud800", "\udfff高速", "a\ud83d", "*", "a*", "**", "~", "(" * 200,
    "😀", "🙂🚀", "あ" * 10_000, "x" * 10_000, "AI " * 4000, "\u202e", "ｰ", "ー", "っ", "ん", "'", "-", "n'",
    "<script>", "%", "\\", "title:", "\u3000",
]


@pytest.mark.parametrize("text", HOSTILE, ids=[repr(t[:12]) for t in HOSTILE])
def test_hostile_input_never_raises(searcher: Searcher, text: str) -> None:
    result = searcher.suggest(text, 8)
    assert len(result.suggestions) <= 8
    assert len(result.query) <= 256
    result.to_dict()


def test_nothing_typed_suggests_nothing(searcher: Searcher) -> None:
    assert searcher.suggest("   ").suggestions == []


@pytest.mark.parametrize("limit", [0, -1, MAX_SUGGESTIONS + 1])
def test_limit_out_of_range_is_refused(searcher: Searcher, limit: int) -> None:
    with pytest.raises(QueryError):
        searcher.suggest("a", limit)


def test_to_dict_shape(searcher: Searcher) -> None:
    data = searcher.suggest("非同", 20).to_dict()
    assert set(data) == {"query", "suggestions"} and data["query"] == "非同"
    for s in data["suggestions"]:
        keys = {"text", "kind", "count"} | ({"slug", "url"} if s["kind"] == "title" else set())
        assert set(s) == keys


# --- completions that predict (issue 14) ----------------------------------------


def finds_every_word(searcher: Searcher, text: str) -> bool:
    """Whether one live post has every word of `text` (title, tags or body)."""
    from search.query.plan import plan_query
    import numpy as np

    snapshot = searcher.snapshot
    docs = None
    for term in plan_query(text).terms:
        found = np.unique(np.concatenate([snapshot.postings(f, term.text)[0]
                                          for f in ("title", "tags_text", "body")]))
        docs = found if docs is None else np.intersect1d(docs, found)
    return docs is not None and bool(snapshot.live[docs].any())


@pytest.mark.parametrize("typed", ["サーバーの監", "ユーザーの追", "アク", "さーばーのかん", "こうそくか",
                                   "python 非同", "データ", "kube", "セキュ", "量子"])
def test_every_suggestion_has_all_its_words_in_one_post(searcher: Searcher, typed: str) -> None:
    for s in searcher.suggest(typed, 20).suggestions:
        assert finds_every_word(searcher, s.text), s


@pytest.mark.parametrize("typed", ["サーバーの監", "ユーザーの追", "さーばーのかん"])
def test_the_particle_is_kept_and_no_verb_follows_の(searcher: Searcher, typed: str) -> None:
    found = [s for s in searcher.suggest(typed, 20).suggestions if s.kind != "title"]
    assert found
    for s in found:
        assert s.text.startswith(("サーバーの", "ユーザーの")), s  # not サーバー除く
        assert not s.text.endswith(("う", "く", "す", "る")), s  # not ユーザーの追う


def test_katakana_typed_is_not_read_as_kanji_when_words_start_with_it(searcher: Searcher) -> None:
    found = texts(searcher, "アク", 20)
    assert "アクセス" in found and "アクセス権" in found
    assert not [t for t in found if not t.startswith(("アク", "Linux"))], found  # not 空く, 悪


@pytest.mark.parametrize("typed,expected", [
    ("さーばーのかん", "サーバーの監視"),  # kana before the word converted too
    ("こうそくか", "高速化"),  # 速化 is written: not 高速可能
    ("サーバー", "サーバー運用"),  # the form readers write, not the index's サーバ
])
def test_kana_is_converted_to_likely_words(searcher: Searcher, typed: str, expected: str) -> None:
    assert texts(searcher, typed, 5)[0] == expected



# --- phrases of titles end where a reader's query would ---------------------

CUT_TITLES = {
    "2025-02-01-send-files": "サーバを使ってファイルを送る",
    "2025-02-02-regex-search": "正規表現を使って行を探す",
    "2025-02-03-kernel-notes": "カーネルについてのメモ",
}


@pytest.fixture(scope="module")
def cut_searcher(tmp_path_factory: pytest.TempPathFactory):
    from search.index.build import build_index

    posts = tmp_path_factory.mktemp("cut") / "_posts"
    posts.mkdir()
    for name, title in CUT_TITLES.items():
        (posts / f"{name}.md").write_text(f"---\ntitle: {title}\n---\n{title}。本文です。\n", encoding="utf-8")
    index = posts.parent / "index"
    assert not build_index(posts, index, procs=1).errors
    with Searcher(index) as s:
        yield s


@pytest.mark.parametrize("typed", ["サーバを", "正規表現を", "カーネルに", "正規表現", "サーバ"])
def test_no_phrase_ends_in_a_cut_inflection(cut_searcher: Searcher, typed: str) -> None:
    # 使っ of 使って, つい of について: written in titles, typed by no reader as a query's end
    found = texts(cut_searcher, typed, 20)
    assert found
    assert not [t for t in found if t.endswith(("使っ", "つい"))], found
    assert "ファイルを送る" in texts(cut_searcher, "ファイルを", 20)  # a verb as written is kept
