"""Reading search: kana and romaji find words written in kanji, exact kana
matches still come first, and ordinary queries are left alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from search import build_index
from search.query.plan import plan_query, reading_chunks
from search import Searcher
from search.text.reading import (
    ReadingTable,
    is_kana,
    reading_key,
    romaji_to_kana,
    term_readings,
    to_katakana,
)

# what a reader types -> the posts any of which must rank first (over data/posts;
# 【下書き】 半導体 post is a draft, so 半導体 leads to the H100 post tagged 半導体)
READING_QUERIES: list[tuple[str, tuple[str, ...]]] = [
    ("こうそくか", ("aws-trainium2", "rust-speedup")),
    ("コウソクカ", ("aws-trainium2", "rust-speedup")),
    ("kousokuka", ("aws-trainium2", "rust-speedup")),
    ("ちょさくけん", ("generative-ai-copyright",)),
    ("chosakuken", ("generative-ai-copyright",)),
    ("はんどうたい", ("nvidia-h100-gpu-shortage",)),
    ("handoutai", ("nvidia-h100-gpu-shortage",)),
    ("りょうしこんぴゅーた", ("quantum-computer-basics",)),
    ("ryoushikonpyu-ta", ("quantum-computer-basics",)),
    ("ryoushi", ("quantum-computer-basics",)),
    ("りょうしびっと", ("quantum-computer-basics",)),
    ("かんし", ("server-operations-guide",)),
    ("kanshi", ("server-operations-guide",)),
    ("ひどうき", ("python-asyncio",)),
    ("hidoukishori", ("python-asyncio",)),
    ("けんげん", ("linux-file-permissions",)),
    ("kengen", ("linux-file-permissions",)),
    ("ようりょう", ("disk-usage-du-df",)),
    ("youryou", ("disk-usage-du-df",)),
    ("せいせい", ("generative-ai-copyright",)),
    ("seisei", ("generative-ai-copyright",)),
    ("しょうがい", ("server-operations-guide",)),
    ("shougai", ("server-operations-guide",)),
    ("ぜろとらすと", ("zero-trust-security",)),
    ("zerotorasuto", ("zero-trust-security",)),
    ("ふくごういんでっくす", ("postgresql-index-design",)),
    ("きょうかいぼうぎょ", ("zero-trust-security",)),
    ("kyoukaibougyo", ("zero-trust-security",)),
    ("ぼとるねっく", ("rust-speedup",)),
    ("にんしょう", ("zero-trust-security",)),
    ("ちょさくけん しんがい", ("generative-ai-copyright",)),
    ("ﾁｮｻｸｹﾝ", ("generative-ai-copyright",)),
]


@pytest.fixture(scope="module")
def searcher(index_dir: Path):
    with Searcher(index_dir) as s:
        yield s


# --- conversion ----------------------------------------------------------------


@pytest.mark.parametrize("romaji,kana", [
    ("kousokuka", "こうそくか"),
    ("ryoushikonpyu-ta", "りょうしこんぴゅーた"),
    ("chosakuken", "ちょさくけん"),
    ("KANSHI", "かんし"),
    ("kan'i", "かんい"),
    ("shinbun", "しんぶん"),
    ("kitte", "きって"),
    ("python", None),  # letters jaconv cannot read become っ: not romaji
    ("aws", None),
    ("kubernetes", None),
    ("sql", None),
    ("x", None),
    ("", None),
    ("ひらがな", None),
])
def test_romaji_to_kana(romaji: str, kana: str | None) -> None:
    assert romaji_to_kana(romaji) == kana


@pytest.mark.parametrize("typed,kana", [
    ("kous", "こう"),  # s is the start of the next kana
    ("kouso", "こうそ"),
    ("kon", "こ"),  # n may still become な…
    ("konn", "こん"),
    ("ryoushiky", "りょうし"),
    ("aws", None),
])
def test_partial_romaji_drops_the_kana_being_typed(typed: str, kana: str | None) -> None:
    assert romaji_to_kana(typed, partial=True) == kana


@pytest.mark.parametrize("chunk,kata", [
    ("こうそくか", "コウソクカ"),
    ("コウソクカ", "コウソクカ"),
    ("ｺｳｿｸｶ", "コウソクカ"),  # half-width
    ("kousokuka", "コウソクカ"),
    ("高速化", None),
    ("python", None),
])
def test_to_katakana(chunk: str, kata: str | None) -> None:
    assert to_katakana(chunk) == kata


def test_is_kana_and_reading_key() -> None:
    assert is_kana("ぜろとらすと") and is_kana("サーバー") and not is_kana("サーバー運用")
    assert reading_key("サーバー") == "サーバ" == reading_key("サーバ")
    assert reading_key("ー") == "ー"


def test_term_readings_come_from_unidic() -> None:
    readings = term_readings(["高速", "~化", "著作", "量子", "コンピュータ", "python", "2025"])
    assert readings["高速"] == ("コウソク",)
    assert readings["~化"] == ("カ",)  # a suffix, read in a carrier word
    assert readings["量子"] == ("リョウシ",)
    assert "コンピュータ" in readings["コンピュータ"]  # its own spelling is a key too
    assert "python" not in readings and "2025" not in readings


def test_a_terms_reading_does_not_depend_on_the_terms_listed_with_it() -> None:
    # the index lists its words in an order that differs between two builds of
    # the same posts (segments); read in one MeCab pass, 世 had no reading
    # after 横 and ヨ alone, so ぴよぴよ found a post in one build only
    from search.text import reading

    words = ["横", "世", "比", "世の中", "高速", "~化", "ひよこ", "散歩", "尾", "三"]
    reading._READINGS.clear()
    alone = {w: term_readings([w]).get(w) for w in words}
    for order in (words, words[::-1], sorted(words)):
        reading._READINGS.clear()
        together = term_readings(order)
        assert {w: together.get(w) for w in words} == alone
    assert alone["世"] == ("ヨ",)


# --- segmentation --------------------------------------------------------------

VOCABULARY = {"高速": 5, "拘束": 1, "~化": 9, "課": 3, "著作": 2, "~権": 2, "件": 8, "量子": 3,
              "コンピュータ": 4, "監視": 6, "サーバ": 7}


@pytest.fixture(scope="module")
def table() -> ReadingTable:
    written_together = {"速化", "作権", "子コ"}
    return ReadingTable(VOCABULARY, lambda bigram: bigram in written_together)


@pytest.mark.parametrize("reading,words", [
    ("コウソクカ", [("高速", "拘束"), ("~化", "課")]),  # 速化 is written: 化 before 課
    ("チョサクケン", [("著作",), ("~権", "件")]),  # 作権 is written: 権 before the more frequent 件
    ("リョウシコンピューター", [("量子",), ("コンピュータ",)]),  # a long-vowel mark is free
    ("サーバノカンシ", [("サーバ",), ("監視",)]),  # ノ is skipped
])
def test_segment_splits_a_reading_into_known_words(
    table: ReadingTable, reading: str, words: list[tuple[str, ...]]
) -> None:
    assert [s.terms for s in table.segment(reading)] == words


def test_segments_cover_their_reading(table: ReadingTable) -> None:
    reading = "コウソクカ"
    segments = table.segment(reading)
    assert [reading_key(reading[s.start : s.end]) for s in segments] == [s.key for s in segments]
    assert segments[0].start == 0 and segments[-1].end == len(reading)


@pytest.mark.parametrize("reading", ["", "カ", "ン", "ヲヲヲ", "ア" * 100])
def test_nothing_useful_gives_no_segments(table: ReadingTable, reading: str) -> None:
    assert table.segment(reading) == []


def test_prefix_lookup_is_by_frequency(table: ReadingTable) -> None:
    assert table.with_prefix("コウ", 5) == ["高速", "拘束"]
    assert table.with_prefix("コウ", 1) == ["高速"]
    assert table.with_prefix("ン", 5) == [] and table.with_prefix("", 5) == []


# --- searching -----------------------------------------------------------------


@pytest.mark.parametrize("query,slugs", READING_QUERIES, ids=[q for q, _ in READING_QUERIES])
def test_kana_and_romaji_find_the_post(searcher: Searcher, query: str, slugs: tuple[str, ...]) -> None:
    hits = searcher.search(query).hits
    assert hits and hits[0].slug in slugs, [h.slug for h in hits[:5]]


def test_reading_matches_are_highlighted(searcher: Searcher) -> None:
    hit = searcher.search("ちょさくけん").hits[0]
    assert "<mark>著作権</mark>" in hit.title_html
    assert "<mark>" in hit.snippet_html


@pytest.mark.parametrize("query", [
    "Kubernetes", "AI", "python", "aws", "サーバー運用", "ゼロトラストとは", "チップレット",
    "高速化", "kubectl get pods", "生成AIの著作権", "Maia 100",
])
def test_ordinary_queries_get_no_readings(searcher: Searcher, query: str) -> None:
    # words the index has as typed, kanji, and katakana read as themselves
    assert searcher.plan(query).readings == ()
    assert searcher.plan(query) == plan_query(query)


@pytest.mark.parametrize("query,chunks", [
    ("こうそくか", ["こうそくか"]),
    ("kousokuka python", ["kousokuka"]),
    ("高速化", []),
    ("AI", ["AI"]),  # clean romaji, but the index has "ai": not read (see above)
    ("H100", []),
    ("か", []),
    ("ｺｳｿｸｶ ｋｏｕｓｏｋｕｋａ", ["コウソクカ", "kousokuka"]),  # half and full width
])
def test_reading_chunks(query: str, chunks: list[str]) -> None:
    assert reading_chunks(query) == chunks


def test_romaji_mixed_with_a_word_finds_both(searcher: Searcher) -> None:
    hits = searcher.search("python hidouki").hits
    assert hits[0].slug == "python-asyncio"


# --- exact kana first ----------------------------------------------------------

POSTS = {
    "2025-01-01-fisher.md": ("漁の話", "りょうしが海に出る朝は早い。りょうしの暮らしについて書きます。"),
    "2025-01-02-quantum.md": ("計算の話", "量子の重ね合わせについて書きます。量子は不思議です。"),
    "2025-01-03-other.md": ("ほかの話", "まったく関係のない記事です。"),
}


@pytest.fixture(scope="module")
def small_searcher(tmp_path_factory: pytest.TempPathFactory):
    posts = tmp_path_factory.mktemp("reading-posts")
    for name, (title, body) in POSTS.items():
        (posts / name).write_text(f"---\ntitle: {title}\n---\n\n{body}\n", encoding="utf-8")
    index = tmp_path_factory.mktemp("reading-index")
    assert not build_index(posts, index, procs=1).errors
    with Searcher(index) as s:
        yield s


def test_posts_with_the_kana_as_typed_rank_above_reading_matches(small_searcher: Searcher) -> None:
    result = small_searcher.search("りょうし")
    assert [h.slug for h in result.hits] == ["fisher", "quantum"]


def test_reading_table_is_built_once_per_generation(small_searcher: Searcher) -> None:
    table = small_searcher.reading_table()
    small_searcher.search("りょうし")
    assert small_searcher.reading_table() is table
    assert table.words("リョウシ")[:1] in (("量子",), ("漁師",))


def test_words_the_index_has_never_build_the_table(index_dir: Path) -> None:
    with Searcher(index_dir) as fresh:
        fresh.search("AI")
        fresh.search("Kubernetes 高速化")
        assert not fresh.snapshot.built("readings")
        fresh.search("kousokuka")
        assert fresh.snapshot.built("readings")
