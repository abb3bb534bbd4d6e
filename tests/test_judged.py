"""The judged query sets of bench/judged/ and the rules bench/quality.py scores them by."""

from __future__ import annotations

import json
import sys
import unicodedata
from collections import Counter

import numpy as np
import pytest

from search.query.hits import Hit

from tests.support import REPO  # noqa: E402
sys.path.insert(0, str(REPO / "bench"))
import quality  # noqa: E402
from corpus import corpus_tarball, unpacked_corpus  # noqa: E402

RELEVANCE = quality.read_tsv("relevance.tsv")
OFFTOPIC = quality.read_tsv("offtopic.tsv")
COMPLETION = quality.read_tsv("completion.tsv")


def test_sets_are_as_large_as_the_issue_asks() -> None:
    assert len(RELEVANCE) >= 240 and len(OFFTOPIC) >= 40 and len(COMPLETION) >= 160
    assert len({r["query"] for r in RELEVANCE}) == len(RELEVANCE)
    assert len({r["query"] for r in OFFTOPIC}) == len(OFFTOPIC)
    assert len({(c["prefix"], c["target"]) for c in COMPLETION}) == len(COMPLETION)
    assert not {r["query"] for r in RELEVANCE} & {r["query"] for r in OFFTOPIC}


@pytest.mark.parametrize(("rows", "key", "classes", "least"), [
    (RELEVANCE, "class", quality.CLASSES, 30),
    (COMPLETION, "class", quality.COMPLETION_CLASSES, 30),
    (OFFTOPIC, "kind", ("everyday", "mixed", "kana_nonsense"), 10),
])
def test_every_class_is_large_and_split_evenly(rows: list[dict[str, str]], key: str,
                                                classes: tuple[str, ...], least: int) -> None:
    counts = Counter((r[key], r["split"]) for r in rows)
    assert {r[key] for r in rows} == set(classes)
    assert {r["split"] for r in rows} == {"tune", "heldout"}
    for cls in classes:
        assert counts[cls, "tune"] + counts[cls, "heldout"] >= least
        assert abs(counts[cls, "tune"] - counts[cls, "heldout"]) <= 1


def test_a_completion_prefix_is_what_was_typed_before_the_target_or_its_kana() -> None:
    for c in COMPLETION:
        prefix, target = c["prefix"], c["target"]
        assert prefix != target
        if c["class"] != "kana":
            assert target.startswith(prefix), c


@pytest.mark.corpus
def test_every_judged_post_exists_and_parts_name_the_primary_posts_category() -> None:
    site = unpacked_corpus()
    if site is None:
        pytest.skip("../shared/corpus is absent")
    docs = {d["id"]: d for d in map(json.loads, (site / "corpus.jsonl").read_text(encoding="utf-8").splitlines())}
    by_category: dict[str, set[str]] = {}
    for r in RELEVANCE:
        slugs = r["relevant"].split(",")
        assert len(slugs) == len(set(slugs)) and all(s in docs for s in slugs), r["query"]
        by_category.setdefault(docs[slugs[0]]["categories"][0], set()).add(r["part"])
    assert all(len(parts) == 1 for parts in by_category.values()), by_category
    text = "\n".join(unicodedata.normalize("NFKC", d["title"] + d["body"]) for d in docs.values())
    for query in ("結婚記念日", "プロ野球", "肉じゃが", "ふるさと納税", "ぺんぎん", "家計簿", "月謝"):
        assert query not in text  # off-topic topics really are absent
    assert corpus_tarball().exists()


@pytest.mark.parametrize(("suggestion", "target", "expected"), [
    ("画像の拡大", "画像の拡大", True),
    ("６．２１．　画像の拡大・縮小...", "画像の拡大", True),  # section number, width, "..."
    ("mkdir(1) - ディレクトリを作成する", "mkdir", True),
    ("csvWrite - CSVファイルを書き込む", "csvwrite", True),
    ("メモリー", "メモリ", True),
    ("第9章 パッケージをアップロードする", "パッケージをアップロード", True),
    ("サーバ", "サーバー", False),  # the index form, not what readers write
    ("7.5. レイヤーの複製", "レイヤー", False),  # a narrower query, after a particle
    ("removedir - ディレクトリを削除", "ディレクトリ", False),
    ("パッケージをインストラクション", "パッケージをインストール", False),
    ("ファイルのアクセス", "ファイルのアクセス権", False),
])
def test_completes(suggestion: str, target: str, expected: bool) -> None:
    assert quality.completes(suggestion, target) is expected


def hit(title_html: str, snippet_html: str) -> Hit:
    return Hit(slug="s", url="/s", title="t", title_html=title_html, date="", tags=[], categories=[],
               author="", excerpt="", score=1.0, snippet_html=snippet_html)


@pytest.mark.parametrize(("title_html", "snippet_html", "expected"), [
    ("troff のための<mark>表</mark>フォーマッタ", "…<mark>表</mark>を整形する…", True),
    ("順位<mark>表</mark>", "<mark>プロ</mark>グラム", False),
    ("tbl(1)", "表を整形する", False),  # nothing highlighted: not counted here
    ("<mark>&amp;</mark>", "", True),  # one character once unescaped
])
def test_one_character_only_hits(title_html: str, snippet_html: str, expected: bool) -> None:
    assert quality.one_char_only(hit(title_html, snippet_html)) is expected


def test_reciprocal_rank_counts_any_relevant_post_in_the_top_ten() -> None:
    ranked = [f"p{i}" for i in range(1, 13)]
    assert quality.reciprocal_rank(ranked, {"p3", "p5"}) == pytest.approx(1 / 3)
    assert quality.reciprocal_rank(ranked, {"p11"}) == 0.0


def test_bootstrap_interval_is_fixed_by_its_seed_and_brackets_the_mean() -> None:
    diffs = np.array([0.0, 0.5, 1.0, -0.5, 0.25, 0.0, 1.0, 0.0])
    lo, hi = quality.bootstrap(diffs)
    assert (lo, hi) == quality.bootstrap(diffs)
    assert lo < diffs.mean() < hi
    assert quality.bootstrap(np.zeros(20)) == (0.0, 0.0)
