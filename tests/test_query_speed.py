"""Tests for the per-search work kept per index generation (issue 17): a
repeated search reads no stored post and computes no BM25 again, and what
replaced slower code answers exactly as the code it replaced."""

from __future__ import annotations

import html
import math
import random
import re
from pathlib import Path

import pytest

import search.query.rank as rank
import search.query.snapshot as snapshot_module
from search import Searcher, build_index
from search.query.snapshot import union as _union
from search.query.plan import Phrase
from search.text import snippets
from search.text.snippets import best_window

QUERIES = ["データベース", "GPU不足はいつ解消する", "くーばねてす", "インデックスを設計する", "非同期 処理"]


def _page(searcher: Searcher, q: str) -> list[tuple]:
    result = searcher.search(q)
    return [(h.slug, h.score, h.title_html, h.snippet_html, h.section, h.sections) for h in result.hits] + [
        (result.total, repr(result.facets))]


def test_a_repeated_search_reads_no_stored_post_and_computes_no_bm25_again(
        index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"stored": 0, "bm25": 0, "all_of": 0}
    from_fields = snapshot_module.StoredPost.from_fields
    bm25, all_of = rank._bm25, rank._all_of

    def counted(name, fn):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return fn(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(snapshot_module.StoredPost, "from_fields", counted("stored", from_fields))
    monkeypatch.setattr(rank, "_bm25", counted("bm25", bm25))
    monkeypatch.setattr(rank, "_all_of", counted("all_of", all_of))
    with Searcher(index_dir) as searcher:
        first = {q: _page(searcher, q) for q in QUERIES}
        assert calls["stored"] and calls["bm25"] and calls["all_of"]
        calls.update(stored=0, bm25=0, all_of=0)
        assert {q: _page(searcher, q) for q in QUERIES} == first
        assert calls == {"stored": 0, "bm25": 0, "all_of": 0}
        # what is kept is shared: a hit's lists are its own
        hit = searcher.search("データベース").hits[0]
        hit.tags.append("変更")
        assert "変更" not in searcher.search("データベース").hits[0].tags
        post = searcher.post(hit.slug)
        post["tags"].append("変更")
        assert "変更" not in searcher.post(hit.slug)["tags"]


def _spans_one_by_one(searcher: Searcher, fieldname: str, text: str, docnums: list[int]) -> dict:
    """The spans of a term, read post by post through Whoosh's public matcher API."""
    found = {}
    for d in docnums:
        for leaf, offset in searcher.snapshot.searcher.reader().leaf_readers():
            if offset <= d < offset + leaf.doc_count_all() and (fieldname, text) in leaf:
                m = leaf.postings(fieldname, text)
                m.skip_to(d - offset)
                if m.is_active() and m.id() == d - offset:
                    found[d] = [(a, b) for _, a, b in m.value_as("characters")]
    return found


def test_spans_and_phrases_on_an_index_of_several_segments(posts_copy: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    build_index(posts_copy, index, procs=1)
    (posts_copy / "2026-01-02-penguin.md").write_text(
        "---\ntitle: データベースの観察日記\ntags: [動物, 観察]\n---\n"
        "ペンギンのデータベースを作った。データベースの索引を設計する。\n", encoding="utf-8")
    first = sorted(posts_copy.glob("*.md"))[2]
    first.write_text(first.read_text(encoding="utf-8") + "\nデータベースの追記。\n", encoding="utf-8")
    build_index(posts_copy, index, procs=1)
    with Searcher(index) as searcher:
        sc = searcher.snapshot
        assert len(sc.segment_ids) >= 2
        every = [int(d) for d in range(sc.doc_count_all) if sc.live[d]]
        segments = set()
        for fieldname, text in [("body", "データーベース"), ("title", "データーベース"), ("body", "設計")]:
            expected = _spans_one_by_one(searcher, fieldname, text, every)
            segments |= {d >= sc._offsets[-1] for d in expected}
            assert sc.char_spans(fieldname, text, every) == expected
            assert sc.char_spans(fieldname, text, reversed(every[::3])) == {
                d: s for d, s in expected.items() if d in every[::3]}
        assert segments == {True, False}  # posts of both segments
        phrase = Phrase("索引を設計", ("索引", "設計"), (1,))
        docs = rank.phrase_docs(sc, phrase)
        assert list(docs) == list(rank._phrase_docs(sc, phrase))
        assert sc.docnum("penguin") in docs
        assert rank.phrase_docs(sc, phrase) is docs  # kept for the generation


def _best_window_every_window(spans, weights, width: int) -> int:
    """best_window as it was: the weights of each window's terms summed anew."""
    ordered = sorted(spans)
    best_start, best_score = ordered[0][0], -1.0
    for i, (start, _, _) in enumerate(ordered):
        j = i
        while j < len(ordered) and (j == i or ordered[j][1] <= start + width):
            j += 1
        score = math.fsum([weights.get(k, 1.0) for k in {s[2] for s in ordered[i:j]}]) + 0.1 * (j - i)
        if score > best_score:
            best_start, best_score = start, score
    return best_start


@pytest.mark.parametrize("seed", range(40))
def test_best_window_is_the_window_with_the_most_valuable_terms(seed: int) -> None:
    rng = random.Random(seed)
    words = ["データ", "ベース", "索引", "設計", "の", "GPU"]
    weights = {w: rng.choice([0.1, 0.3, 1.7, 2.2, 3.0000001]) for w in words}
    spans = []
    for _ in range(rng.randrange(1, 60) if seed % 2 else rng.randrange(40, 400)):
        start = rng.randrange(0, 600)
        spans.append((start, start + rng.randrange(1, 6), rng.choice(words)))
    width = rng.choice([20, 120])
    assert best_window(spans, weights, width) == _best_window_every_window(spans, weights, width)


@pytest.mark.parametrize("text", ["データベースの索引", "GPU 不足\n\tは", "A&B <b>\"引用\"</b> 'x'",
                                  "全角\u3000空白", "", "改行\r\nのみ"])
def test_display_escapes_and_folds_spaces_as_before(text: str) -> None:
    assert snippets._display(text) == html.escape(re.sub(r"\s+", " ", text), quote=True)


def test_union_of_document_lists() -> None:
    import numpy as np

    rng = np.random.default_rng(7)
    parts = [np.sort(rng.choice(5000, size, replace=False)).astype(np.int32) for size in (0, 3, 900, 2500)]
    expected = np.unique(np.concatenate(parts))
    got = _union(parts)
    assert got.dtype == expected.dtype and list(got) == list(expected)
    assert len(_union([parts[0]])) == 0
