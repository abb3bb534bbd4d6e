"""Tests for search.text.morph and search.index.analyzers: offsets, positions, normalisation,
pickling, thread safety, long input and the CJK bigram view.

Invariants are checked over real text (the seed post, every sample post) and a
table of tricky strings; normalisation is checked against tables of equivalent
spellings.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import unicodedata
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import pytest

from search.index.analyzers import CjkBigramAnalyzer, JapaneseAnalyzer, bigram_runs
from search.text.morph import analyze, term_spans
from search.ingest.plaintext import markdown_to_text

from tests.support import REPO  # noqa: E402
POSTS_DIR = REPO / "data" / "posts"
SEED_POST = REPO.parent / "shared" / "fixtures" / "seed-post.md"


# --- helpers -----------------------------------------------------------------


class Tok(NamedTuple):
    """A copy of Whoosh's reused Token, taken while iterating."""

    text: str
    pos: int
    startchar: int
    endchar: int
    stopped: bool


def run(analyzer, text: str, **kwargs) -> list[Tok]:
    return [
        Tok(t.text, t.pos, t.startchar, t.endchar, t.stopped)
        for t in analyzer(text, positions=True, chars=True, **kwargs)
    ]


def terms(text: str) -> list[str]:
    """Index terms of `text` (stop words removed)."""
    return [t.text for t in JapaneseAnalyzer()(text)]


def post_body(path: Path) -> str:
    """Plain-text body of a Markdown post (what gets indexed)."""
    raw = path.read_text(encoding="utf-8")
    _, _, content = raw.split("---\n", 2)
    return markdown_to_text(content)


def text_of(source: str | Path) -> str:
    return post_body(source) if isinstance(source, Path) else source


def visible_chars_outside_tokens(text: str) -> list[int]:
    """Characters no morpheme covers, except whitespace, controls and ASCII dots
    (morph joins H + 100 and 2 . 5 and emits no morpheme for a stray dot)."""
    covered: set[int] = set()
    for m in analyze(text):
        covered.update(range(m.start, m.end))
    return [
        i
        for i, c in enumerate(text)
        if i not in covered
        and not c.isspace()
        and c != "."
        and unicodedata.category(c) != "Cc"
    ]


# --- tables ------------------------------------------------------------------

SAMPLE = "ＡＷＳのAIチップTrainium2は、前世代と比べて学習が2.5倍に高速化した。"

TRICKY_TEXTS = {
    "fullwidth-ascii": "ＡＷＳのＨ１００は２．５倍速い。ＮＶＩＤＩＡのＧＰＵ",
    "halfwidth-katakana": "ｻｰﾊﾞｰのﾊﾟｿｺﾝを再起動した",
    "square-ligature": "㍿ブログ検索は㍿と書く。距離は５㌔㍍",
    "emoji": "今日はいい天気😀です👍🏽👨‍👩‍👧",
    "crlf": "一行目です。\r\n二行目です。\r\n",
    "ideographic-space": "東京\u3000大阪\u3000名古屋",
    "nul": "前半の文です。\x00後半の文です。",
    "ascii-run-5000": "x" * 5000,
    "ascii-run-in-japanese": "ハッシュ値は" + "0123456789abcdef" * 200 + "です。",
    "mixed-product-names": "Trainium2やInferentia2を比較する",
    "repeated-words": "サーバーとサーバーとサーバー",
    "combining-mark": "café と cafe\u0301 の違い",
    "control-chars": "タブ\tと改ページ\x0cとベル\x07",
    # morph's MeCab output separates records and fields with \x1e and \x1f
    "record-separators": "前半\x1eの文\x1fです。\x1e\x1f",
    "unknown-words": "Zygnomaticとぴよぴよﾌﾟﾘﾝﾀｰ、ゞゝ〻の記号",
    # lone surrogates (a JSON draft's "\ud800", undecodable command-line bytes)
    # have no UTF-8 form: MeCab could not be given them
    "lone-surrogates": "テスト\udc00テスト\ud800とＡＷＳ\udfffのｻｰﾊﾞｰ\udcff",
    "empty": "",
    "only-whitespace": "  \n\t \n",
    "trailing-whitespace": "末尾に空白があります。   \n\n",
}

ALL_TEXTS = (
    [pytest.param(text, id=name) for name, text in TRICKY_TEXTS.items()]
    + [pytest.param(path, id=path.stem) for path in sorted(POSTS_DIR.glob("*.md"))]
    + [
        pytest.param(
            SEED_POST,
            id="seed-post",
            marks=pytest.mark.skipif(not SEED_POST.exists(), reason="../shared is missing"),
        )
    ]
)

LONG_JAPANESE_PARAGRAPH = "サーバーの監視を自動化する。" * 150  # 2,100 characters, no whitespace

# (text, the terms it must give, in order)
EXACT_TERMS = [
    ("ＡＷＳ", ["aws"]),
    ("Ｈ１００", ["h100"]),
    ("H100", ["h100"]),
    ("２．５", ["2.5"]),
    ("２．５倍", ["2.5", "倍"]),
    ("Maia 100", ["maia", "100"]),
    ("ｻｰﾊﾞｰ", ["サーバ"]),
    ("行なった", ["行う"]),
]

# (text, terms it must include)
INCLUDED_TERMS = [
    ("Trainium2", {"trainium2", "trainium"}),
    ("Ｔｒａｉｎｉｕｍ２", {"trainium2", "trainium"}),
    ("Trainium2やInferentia2", {"trainium2", "trainium", "inferentia2", "inferentia"}),
    ("MicrosoftのMaia 100", {"microsoft", "maia", "100"}),
]

# spellings that must give the same, non-empty terms
EQUIVALENT_SPELLINGS = [
    ("高速化した", "高速化する", "高速化される"),
    ("行う", "行なう", "行なった"),
    ("サーバー", "サーバ", "ｻｰﾊﾞｰ"),
    ("インターフェース", "インタフェース"),
    ("コンピューター", "コンピュータ"),
    ("ユーザー", "ユーザ"),
    ("ＡＷＳ", "AWS", "aws"),
    ("Ｈ１００", "H100", "h100"),
]

# (text, surfaces that must be indexed, surfaces that must be dropped)
STOP_WORDS = [
    ("私はサーバーを運用しました。", {"サーバー", "運用"}, {"は", "を", "まし", "た", "。"}),
    ("これはペンです。", {"ペン"}, {"は", "です", "。"}),
    ("ＧＰＵが不足している", {"ＧＰＵ", "不足"}, {"が", "て", "いる"}),
    ("データを、バックアップする！", {"データ", "バックアップ"}, {"を", "、", "する", "！"}),
    ("「Kubernetes」（コンテナ）の運用です", {"Kubernetes", "コンテナ", "運用"}, {"「", "」", "（", "）", "の", "です"}),
]

# (text, expected [(bigram, startchar, endchar)])
BIGRAMS = [
    ("半導体市場", [("半導", 0, 2), ("導体", 1, 3), ("体市", 2, 4), ("市場", 3, 5)]),
    ("ＡＩ半導体", [("半導", 2, 4), ("導体", 3, 5)]),
    (
        "ｻｰﾊﾞｰ運用",  # half-width: ﾊﾞ is two characters that fold to one
        [("サー", 0, 2), ("ーバ", 1, 4), ("バー", 2, 5), ("ー運", 4, 6), ("運用", 5, 7)],
    ),
    ("佐々木さん", [("佐々", 0, 2), ("々木", 1, 3)]),
    ("東京とAIの話", []),  # runs of two characters are left to the morphological view
    ("量子 と 技術", []),
    pytest.param(
        "㍿の設立",
        [("株式", 0, 1), ("式会", 0, 1), ("会社", 0, 1)],
        id="square-ligature",
    ),
]

# (text, repeated term, offsets of each occurrence)
REPEATED_WORDS = [
    ("サーバーとサーバーとサーバー", "サーバ", [(0, 4), (5, 9), (10, 14)]),
    ("AWSとAWSとAWS", "aws", [(0, 3), (4, 7), (8, 11)]),
    ("ＡＷＳとAWS", "aws", [(0, 3), (4, 7)]),
    ("運用の運用の運用", "運用", [(0, 2), (3, 5), (6, 8)]),
]

LONG_PARAGRAPH = (
    "AmazonがAWS向けに開発しているAIチップが、"
    "なんと2.5倍も高速化する見込みだという報道。"
    "この手の「〇倍高速化」という話は、"
    "AI業界を20年間見てきた私にとっては、もはや日常茶飯事です。"
    "でもね、その「またか」の裏には、"
    "実はとんでもない深謀遠慮が隠されているんじゃないか、そう感じたんですよ。"
)

LONG_INPUT_SCRIPT = r"""
import json, sys
from search.text.morph import analyze
paragraph, separator = sys.argv[1], sys.argv[2]
copies = 3 * 1024 * 1024 // len((paragraph + separator).encode()) + 1
text = separator.join([paragraph] * copies)
morphemes = analyze(text)
bad = [m for m in morphemes if text[m.start:m.end] != m.surface or not 0 <= m.start < m.end <= len(text)]
starts = [m.start for m in morphemes]
print(json.dumps({
    "bytes": len(text.encode()),
    "chars": len(text),
    "bad": len(bad),
    "sorted": starts == sorted(starts),
    "tail": [[m.start, m.end, m.surface] for m in morphemes[-3:]],
}))
"""


# --- offsets and positions ---------------------------------------------------


@pytest.mark.parametrize("source", ALL_TEXTS)
def test_token_offsets_are_the_morpheme_surfaces(source):
    text = text_of(source)
    morphemes = analyze(text)
    tokens = run(JapaneseAnalyzer(), text, removestops=False)

    assert [(t.text, t.startchar, t.endchar) for t in tokens] == [
        (m.term, m.start, m.end) for m in morphemes
    ]
    for m in morphemes:
        assert 0 <= m.start < m.end <= len(text), m
        assert text[m.start : m.end] == m.surface, m
    starts = [m.start for m in morphemes]
    assert starts == sorted(starts)


@pytest.mark.parametrize("source", ALL_TEXTS)
def test_positions_are_consecutive(source):
    text = text_of(source)
    tokens = run(JapaneseAnalyzer(), text)

    positions = [t.pos for t in tokens]
    assert positions[:1] in ([], [0])
    assert all(b - a in (0, 1) for a, b in zip(positions, positions[1:])), positions
    for a, b in zip(tokens, tokens[1:]):
        if a.pos == b.pos:  # only pieces of one word (trainium2 / trainium) share a position
            assert (a.startchar, a.endchar) == (b.startchar, b.endchar)
        assert a.startchar <= b.startchar


@pytest.mark.parametrize(
    "source",
    ALL_TEXTS + [pytest.param(LONG_JAPANESE_PARAGRAPH, id="long-japanese-paragraph")],
)
def test_every_visible_character_is_analysed(source):
    text = text_of(source)
    assert visible_chars_outside_tokens(text) == []


def test_long_unbroken_paragraph_keeps_every_word():
    sentence = "サーバーの監視を自動化する。"
    expected = Counter({term: count * 150 for term, count in Counter(terms(sentence)).items()})
    assert Counter(terms(sentence * 150)) == expected


@pytest.mark.parametrize("text, term, offsets", REPEATED_WORDS)
def test_repeated_words_get_distinct_offsets(text, term, offsets):
    found = [(t.startchar, t.endchar) for t in run(JapaneseAnalyzer(), text) if t.text == term]
    assert found == offsets


def test_start_pos_and_start_char_shift_tokens():
    plain = run(JapaneseAnalyzer(), SAMPLE)
    shifted = run(JapaneseAnalyzer(), SAMPLE, start_pos=10, start_char=100)
    assert [(t.text, t.pos + 10, t.startchar + 100, t.endchar + 100) for t in plain] == [
        (t.text, t.pos, t.startchar, t.endchar) for t in shifted
    ]


# --- normalisation -----------------------------------------------------------


@pytest.mark.parametrize("text, expected", EXACT_TERMS)
def test_terms_are_normalised(text, expected):
    assert terms(text) == expected


@pytest.mark.parametrize("text, expected", INCLUDED_TERMS)
def test_terms_include(text, expected):
    assert expected <= set(terms(text))


# (text with lone surrogates, its kept (term, start, end)): each surrogate is
# analysed as U+FFFD (a symbol, dropped), the words around it keep their offsets
LONE_SURROGATES = [
    ("\ud800", []),
    ("テスト\udc00テスト", [("テスト", 0, 3), ("テスト", 4, 7)]),
    ("ＡＷＳ\udfffのｻｰﾊﾞｰ", [("aws", 0, 3), ("サーバ", 5, 10)]),
    ("サーバー\udcff\udcfeを高速化", [("サーバ", 0, 4), ("高速", 7, 9), ("~化", 9, 10)]),
]


@pytest.mark.parametrize("text, expected", LONE_SURROGATES,
                         ids=["alone", "between-words", "width-folded", "two-in-a-row"])
def test_lone_surrogates_are_analysed_as_replacement_characters(text, expected):
    assert [(m.term, m.start, m.end) for m in analyze(text, kept_only=True)] == expected
    spans = sorted((start, end, term) for term, found in term_spans(text).items() for _, start, end in found)
    assert spans == sorted((start, end, term) for term, start, end in expected)
    surrogates = [m for m in analyze(text) if "\ud800" <= m.surface[0] <= "\udfff"]
    assert surrogates and all(m.term == "\ufffd" * len(m.surface) and not m.kept for m in surrogates)


@pytest.mark.parametrize("spellings", EQUIVALENT_SPELLINGS, ids=lambda s: "=".join(s))
def test_equivalent_spellings_give_equal_terms(spellings):
    results = {spelling: terms(spelling) for spelling in spellings}
    first = results[spellings[0]]
    assert first, results
    assert all(r == first for r in results.values()), results


@pytest.mark.parametrize("text, kept, dropped", STOP_WORDS)
def test_stop_words_are_dropped_and_content_words_kept(text, kept, dropped):
    surfaces = {text[t.startchar : t.endchar] for t in run(JapaneseAnalyzer(), text)}
    assert kept <= surfaces
    assert not dropped & surfaces


def test_stop_words_are_marked_when_not_removed():
    tokens = run(JapaneseAnalyzer(), "私はサーバーを運用しました。", removestops=False)
    stopped = {t.text for t in tokens if t.stopped}
    assert {"は", "を", "。"} <= stopped
    assert {"サーバ", "運用"}.isdisjoint(stopped)


# --- pickling and threads ----------------------------------------------------


@pytest.mark.parametrize("cls", [JapaneseAnalyzer, CjkBigramAnalyzer])
def test_analyzer_pickles_and_works_in_a_fresh_thread(cls):
    analyzer = cls()
    expected = run(analyzer, SAMPLE)  # the tagger now exists in this thread
    assert expected

    data = pickle.dumps(analyzer)
    assert b"search.index.analyzers" in data
    assert b"Tagger" not in data and b"fugashi" not in data
    clone = pickle.loads(data)
    assert clone == analyzer and type(clone) is cls

    with ThreadPoolExecutor(max_workers=1) as pool:
        got = pool.submit(lambda: run(pickle.loads(data), SAMPLE)).result()
    assert got == expected


def fifty_texts() -> list[str]:
    paragraphs = sorted(
        {
            paragraph
            for path in sorted(POSTS_DIR.glob("*.md"))
            for paragraph in post_body(path).split("\n\n")
            if len(paragraph) >= 60
        }
    )
    assert len(paragraphs) >= 50
    return paragraphs[:50]


def test_tokenizer_is_thread_safe():
    texts = fifty_texts()
    analyzer = JapaneseAnalyzer()
    serial = [run(analyzer, text) for text in texts]

    jobs = texts * 4  # several rounds so that threads interleave
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(lambda text: run(analyzer, text), jobs))

    assert parallel == serial * 4


def test_threads_share_one_mapping_of_the_dictionary():
    """One tagger per process: four threads analysing map MeCab's
    dictionary once, not once each (a server worker's resident size counted
    the same 260 MB once per thread). In a fresh interpreter, so that no
    other test's tagger is counted."""
    script = (
        "import threading\n"
        "from search.text.morph import analyze\n"
        "threads = [threading.Thread(target=analyze, args=('サーバーの設定を変更する',)) for _ in range(4)]\n"
        "[t.start() for t in threads]; [t.join() for t in threads]\n"
        "analyze('権限を確認した')\n"
        "maps = open('/proc/self/maps').read().splitlines()\n"
        "print(len({line.split()[0] for line in maps if line.endswith('/sys.dic')}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True)
    assert proc.stdout.split() == ["1"]


# --- long input --------------------------------------------------------------


@pytest.mark.parametrize("separator", ["\n", ""], ids=["lines", "one-line"])
def test_three_megabytes_of_japanese_analyse_with_exact_offsets(separator):
    # A subprocess, so that a MeCab crash fails this test instead of the run.
    proc = subprocess.run(
        [sys.executable, "-c", LONG_INPUT_SCRIPT, LONG_PARAGRAPH, separator],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout)
    assert result["bytes"] >= 3 * 1024 * 1024
    assert result["bad"] == 0
    assert result["sorted"]
    assert result["tail"][-1] == [result["chars"] - 1, result["chars"], "。"]
    assert [surface for _, _, surface in result["tail"]] == ["です", "よ", "。"]


# --- CJK bigrams -------------------------------------------------------------


@pytest.mark.parametrize("text, expected", BIGRAMS)
def test_cjk_bigrams(text, expected):
    tokens = run(CjkBigramAnalyzer(), text)
    assert [(t.text, t.startchar, t.endchar) for t in tokens] == expected
    assert [t.pos for t in tokens] == list(range(len(tokens)))


@pytest.mark.parametrize(
    "source",
    ALL_TEXTS,
)
def test_cjk_bigram_offsets_point_at_their_characters(source):
    text = text_of(source)
    for t in run(CjkBigramAnalyzer(), text):
        assert len(t.text) == 2
        assert 0 <= t.startchar < t.endchar <= len(text), t
        assert t.text in unicodedata.normalize("NFKC", text[t.startchar : t.endchar]), t


def test_bigram_runs_are_width_folded_and_grouped_by_run():
    assert bigram_runs("量子コンピューター と ｻｰﾊﾞｰ と AI") == [
        ["量子", "子コ", "コン", "ンピ", "ピュ", "ュー", "ータ", "ター"],
        ["サー", "ーバ", "バー"],
    ]


def test_indexing_fast_path_gives_whooshs_postings() -> None:
    """MorphCharacters (spans without Tokens) writes exactly the postings of
    Whoosh's generic Characters path, for every post's title and body."""
    from whoosh.formats import Characters

    from search.ingest.posts import load_posts
    from search.index.schema import MorphCharacters, make_schema

    field = make_schema()["body"]
    assert isinstance(field.format, MorphCharacters)
    generic = Characters()
    posts = load_posts(POSTS_DIR).posts
    texts = [t for p in posts for t in (p.title, p.body)] + ["ＡＷＳのTrainium2とH100、2.5倍に高速化した"]
    for text in texts:
        fast = sorted(field.format.word_values(text, field.analyzer, mode="index"))
        assert fast == sorted(generic.word_values(text, field.analyzer, mode="index"))
        assert fast


def test_bigram_fast_path_gives_whooshs_postings() -> None:
    """BigramFrequency (counts without Tokens) writes exactly the postings of
    Whoosh's generic Frequency path, for every post's title and body."""
    from whoosh.formats import Frequency

    from search.ingest.posts import load_posts
    from search.index.schema import BigramFrequency, make_schema

    generic = Frequency()
    posts = load_posts(POSTS_DIR).posts
    texts = [t for p in posts for t in (p.title, p.body)] + ["😀漢字😀", "ｻｰﾊﾞｰの量子コンピューター、量子コンピュータ"]
    for name in ("title_ngram", "body_ngram"):
        field = make_schema()[name]
        assert isinstance(field.format, BigramFrequency)
        for text in texts:
            fast = sorted(field.format.word_values(text, field.analyzer, mode="index"))
            assert fast == sorted(generic.word_values(text, field.analyzer, mode="index"))
        assert ("量子", 2, 2.0, b"\x00\x00\x00\x02") in fast
