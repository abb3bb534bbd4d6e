"""Repeated passages: paragraphs, normalisation, repeats inside a text, copies across posts."""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import pytest

from search.ingest.drafts import MAX_DRAFT_CHARS, DraftTooLarge
from search.editorial.duplicates import (
    blog_duplicates,
    duplicates_in_draft,
    duplicates_in_post,
    repeats_within,
)
from search import build_index
from search.text.passages import normalize, paragraphs, passage_terms, sentences
from search import Searcher
from search.editorial.related import PostNotFound

from tests.support import REPO  # noqa: E402
sys.path.insert(0, str(REPO / "bench"))
from corpus import SHARED  # noqa: E402

SEED = SHARED / "fixtures" / "seed-post.md"
SEED_SLUG = "amazon-ai-chip"
CHANGE = "この変革の波は、私たちの働き方、学び方、そして生き方そのものに深く影響を与え始めます。"
COPIED = (
    CHANGE + "AIは、私たちの思考を拡張し、創造性を刺激し、これまで解決不可能と思われていた社会課題に"
    "新たな光を当てる可能性を秘めています。しかし、同時に、その進化は倫理的な問いや、新たな社会構造"
    "への適応という課題も突きつけます。だからこそ、私たちはこの変化を単なる傍観者としてではなく、"
    "積極的に関与し、その方向性を共に考えていく必要があるのです。"
)
COPY_POST = f"""---
title: 変革について
tags: [AI]
---
この記事は別の記事から段落を借りています。

{COPIED}

最後は自分の言葉で締めくくります。
"""


# --- paragraphs and normalisation ---------------------------------------------

@pytest.mark.parametrize("text", [
    "一つ目。\n\n二つ目。",
    "\n\n  前に空白\n\n\n\n後ろに空白  \n\n",
    "一行目\n二行目\n\n　全角空白で始まる\n  \n空白だけの行の後",
    "段落\n\n\n\n\n\n段落",
    "",
    "  \n \n",
])
def test_paragraph_offsets_slice_the_text(text: str) -> None:
    found = paragraphs(text)
    assert [text[p.start : p.end] for p in found] == [
        b.strip() for b in _blocks(text) if b.strip()
    ]
    assert [p.index for p in found] == list(range(len(found)))


def _blocks(text: str) -> list[str]:
    """Blocks between blank (or white-space-only) lines, the obvious slow way."""
    blocks, current = [], []
    for line in text.split("\n"):
        if line.strip(" \t\u3000"):
            current.append(line)
        elif current:
            blocks.append("\n".join(current))
            current = []
    if current:
        blocks.append("\n".join(current))
    return blocks


@pytest.mark.parametrize(("a", "b"), [
    ("**技術者の皆さん**、AIチップ", "技術者の皆さん、AIチップ"),
    ("ＡＷＳ　Ｔｒａｉｎｉｕｍ２", "aws trainium2"),
    ("「さあ、行こう。」", "さあ行こう"),
    ("ｻｰﾊﾞｰ", "サーバー"),
])
def test_normalisation_ignores_marks_width_case_and_spaces(a: str, b: str) -> None:
    assert normalize(a) == normalize(b)


def test_normalisation_drops_exactly_punctuation_symbols_separators_and_controls() -> None:
    """Code points one by one (the BMP and the assigned planes beyond it):
    kept or dropped by Unicode category (a character class does the BMP, a
    lookup by category the rest)."""
    import itertools
    import unicodedata

    for code in itertools.chain(range(0x32000), range(0xE0000, 0xE0200)):
        char = chr(code)
        folded = unicodedata.normalize("NFKC", char).casefold()
        expected = "".join(c for c in folded if not unicodedata.category(c).startswith(("P", "S", "Z", "C")))
        assert normalize(char) == expected, hex(code)
    assert normalize("「サーバー」😀の設定、𠮷野家\u200bで。") == "サーバーの設定𠮷野家で"


def test_sentences() -> None:
    text = "「行こう。」と言った。本当に？はい!\n次の行\n"
    assert [text[s:e] for s, e in sentences(text)] == [
        "「行こう。」", "と言った。", "本当に？", "はい!", "次の行\n"]


def test_passage_terms_cover_long_paragraphs_and_their_sentences() -> None:
    terms = passage_terms(f"短い。\n\n{COPIED}")
    assert sum(t.startswith("p") for t in terms) == 1  # the short paragraph is not indexed
    assert sum(t.startswith("s") for t in terms) >= 2
    assert set(passage_terms(f"**{COPIED}**")) == set(passage_terms(COPIED)) <= set(terms)


# --- repeats inside a text ----------------------------------------------------

A = "量子コンピューターは重ね合わせと干渉を使って特定の問題を高速に解く計算機である。"
B = "実用化には誤り訂正が欠かせず、必要な物理量子ビットの数は論理量子ビットの千倍にもなる。"
C = "古典コンピューターの置き換えではなく、特定の計算を受け持つアクセラレータとして使われるだろう。"
D = "今日は天気が良いので、午後から近所の公園まで散歩に出かけることにした。"


def kinds(text: str) -> list[tuple[str, int, int]]:
    return [(r.kind, r.first.paragraph, r.second.paragraph)
            for r in repeats_within(text, paragraphs(text))]


@pytest.mark.parametrize(("paras", "expected"), [
    ([A + B, D, A + B], [("exact", 0, 2)]),
    ([A + B, D, "**" + A + "**" + B], [("exact", 0, 2)]),  # same once normalised
    ([A + B + C, D, A + B + C.replace("アクセラレータ", "補助装置")], [("near", 0, 2)]),
    ([A + B + C, D, B], [("contained", 0, 2)]),  # a sentence repeated on its own
    ([A + B, D, C], []),
    ([A + B, A + B, A + B], [("exact", 0, 1), ("exact", 0, 2)]),  # each against the first
    (["短い段落。", "短い段落。"], []),  # headings and markers are too short
])
def test_repeats_within(paras: list[str], expected: list) -> None:
    assert kinds("\n\n".join(paras)) == expected


def test_repeats_point_at_both_places() -> None:
    text = "\n\n".join([A + B, D, A + B])
    (r,) = repeats_within(text, paragraphs(text))
    assert text[r.first.start : r.first.end] == text[r.second.start : r.second.end] == A + B
    assert r.chars == len(A + B) and r.similarity == 1.0


def test_many_paragraphs_stay_fast() -> None:
    lines = [f"{i}番目の段落には、ほかの段落と少しずつ違う文章が書かれている。番号は{i * 7919}。"
             for i in range(3000)]
    started = time.perf_counter()
    repeats_within("\n\n".join(lines), paragraphs("\n\n".join(lines)))
    assert time.perf_counter() - started < 5


# --- the seed post ------------------------------------------------------------

@pytest.fixture(scope="module")
def seed_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not SEED.exists():
        pytest.skip("../shared/fixtures is absent")
    root = tmp_path_factory.mktemp("seed-site")
    posts = root / "_posts"
    posts.mkdir()
    shutil.copy(SEED, posts / f"2026-01-17-{SEED_SLUG}.md")
    (posts / "2026-02-01-copied-post.md").write_text(COPY_POST, encoding="utf-8")
    index_dir = root / "index"
    assert build_index(root, index_dir, procs=1).total == 2
    return index_dir


@pytest.fixture(scope="module")
def seed(seed_index: Path):
    with Searcher(seed_index) as s:
        yield s, duplicates_in_post(s, SEED_SLUG)


def test_seed_post_repeats_are_found_where_they_are(seed) -> None:
    searcher, report = seed
    body = _body(searcher, SEED_SLUG)
    found = {(r.first.paragraph, r.second.paragraph): r for r in report.repeated}
    expected = {
        (44, 51): ("exact", "この呼びかけに、あなたはどんな気持ちを抱きましたか？"),
        (44, 87): ("exact", "この呼びかけに、あなたはどんな気持ちを抱きましたか？"),
        (45, 52): ("exact", "AmazonのAIチップ高速化というニュースは、単なる技術的な一歩"),
        (43, 50): ("exact", "「さあ、あなたも私と一緒に"),
        (61, 65): ("exact", "私たちが今、目の当たりにしているのは"),
        (62, 84): ("exact", "この変革の波は、"),
        (63, 85): ("near", "AmazonのAIチップ高速化というニュースは、その壮大な物語の一幕"),
        (14, 15): ("contained", "あなたも、この壮大な物語の次なる章を"),
        (58, 61): ("contained", "私たちが今、目の当たりにしているのは"),
    }
    for (first, second), (kind, start) in expected.items():
        r = found[first, second]
        assert r.kind == kind, (first, second)
        assert body[r.second.start : r.second.end].startswith(start)
        assert r.first.slug == r.second.slug == SEED_SLUG
        a, b = body[r.first.start : r.first.end], body[r.second.start : r.second.end]
        if kind == "exact":
            assert normalize(a) == normalize(b)
        else:
            assert a != b
    assert (found[44, 51].first.start, found[44, 51].second.start) == (7776, 8754)
    assert report.repeated_chars == sum(r.chars for r in report.repeated) > 2000
    assert len({r.second.paragraph for r in report.repeated}) == len(report.repeated)


def _body(searcher: Searcher, slug: str) -> str:
    ws = searcher.snapshot.searcher  # noqa: SLF001
    return ws.stored_fields(ws.document_number(slug=slug))["body"]


def test_seed_post_shares_the_copied_paragraph(seed) -> None:
    searcher, report = seed
    body, other = _body(searcher, SEED_SLUG), _body(searcher, "copied-post")
    shared = {r.second.paragraph: r for r in report.shared}
    assert set(shared) >= {62, 84}
    for r in (shared[62], shared[84]):
        assert (r.kind, r.first.slug, r.first.paragraph, r.posts) == ("exact", "copied-post", 1, 1)
        assert other[r.first.start : r.first.end] == COPIED
        assert body[r.second.start : r.second.end] == COPIED
    reverse = duplicates_in_post(searcher, "copied-post")
    assert [(r.second.paragraph, r.first.slug) for r in reverse.shared][:1] == [(1, SEED_SLUG)]
    assert reverse.repeated == []


def test_seed_post_leads_the_blog_wide_list(seed) -> None:
    searcher, _ = seed
    result = blog_duplicates(searcher, limit=5)
    assert (result.posts, result.with_repeats, result.with_shared) == (2, 1, 2)
    assert [line.slug for line in result.worst] == [SEED_SLUG, "copied-post"]
    assert result.worst[0].repeated >= 15 and result.worst[1].shared == 1
    assert json.loads(json.dumps(result.to_dict()))["worst"][0]["slug"] == SEED_SLUG


def test_draft_check_finds_both_kinds(seed) -> None:
    searcher, _ = seed
    draft = f"前置きの段落です。\n\n{COPIED}\n\n{A + B}\n\n{A + B}"
    report = duplicates_in_draft(searcher, draft, "下書き")
    assert [(r.kind, r.first.paragraph, r.second.paragraph) for r in report.repeated] == [("exact", 2, 3)]
    assert report.repeated[0].first.slug == ""
    (shared,) = [r for r in report.shared if r.first.slug == "copied-post"]
    assert draft[shared.second.start : shared.second.end] == COPIED
    assert {r.first.slug for r in report.shared} == {"copied-post", SEED_SLUG}


def test_json_of_a_post_report(seed) -> None:
    _, report = seed
    data = json.loads(json.dumps(report.to_dict(), ensure_ascii=False))
    assert data["slug"] == SEED_SLUG and data["paragraphs"] == 90
    assert set(data["repeated"][0]) >= {"kind", "similarity", "first", "second", "chars", "excerpt"}
    assert set(data["repeated"][0]["first"]) == {"slug", "paragraph", "start", "end"}
    assert data["repeated_chars"] == report.repeated_chars


# --- the sample posts ---------------------------------------------------------

def test_sample_posts_have_no_repeats(index_dir: Path) -> None:
    with Searcher(index_dir) as s:
        result = blog_duplicates(s)
        assert (result.posts, result.with_repeats, result.worst) == (15, 0, [])
        assert duplicates_in_post(s, "rust-speedup").repeated == []
        with pytest.raises(PostNotFound):
            duplicates_in_post(s, "no-such-post")


def test_draft_without_an_index_and_size_limit() -> None:
    report = duplicates_in_draft(None, f"{A + B}\n\n{D}\n\n{A + B}")
    assert [r.kind for r in report.repeated] == ["exact"] and report.shared == []
    with pytest.raises(DraftTooLarge):
        duplicates_in_draft(None, "あ" * (MAX_DRAFT_CHARS + 1))


# --- command line -------------------------------------------------------------

def test_cli_duplicates(seed_index: Path, tmp_path: Path, capsys) -> None:
    from search.cli import main

    assert main(["duplicates", "--index", str(seed_index)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "2 posts checked: 1 repeats paragraphs of its own, 2 share paragraphs with other posts"
    assert out[4].split()[2] == SEED_SLUG
    assert main(["duplicates", SEED_SLUG, "--index", str(seed_index), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["paragraphs"] == 90
    assert main(["duplicates", SEED_SLUG, "--index", str(seed_index)]) == 0
    out = capsys.readouterr().out  # numbered from 1, as on the editor page (issue 16)
    assert "17 repeated paragraphs (2,312 characters)" in out and "(exact, 1 post)" in out
    assert "¶52 (characters 8755–8915) repeats ¶45 (characters 7777–7937) (exact, 1.00)" in out
    draft = tmp_path / "draft.md"
    draft.write_text(f"{COPIED}\n\n{A + B}\n\n{A + B}\n", encoding="utf-8")
    assert main(["duplicates", "--draft", str(draft), "--index", str(seed_index), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["repeated"]) == 1
    assert {r["first"]["slug"] for r in data["shared"]} == {"copied-post", SEED_SLUG}
