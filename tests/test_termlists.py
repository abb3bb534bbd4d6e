"""The passage hashes of the posts, as kept in memory for repeated-passage
detection (`search.query.termlists`): the same lists as the index's column,
without the documents an update deleted."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from search import Searcher
from search.index.build import build_index
from search.index.schema import open_index
from search.ingest.posts import SiteConfig
from search.query.termlists import TermLists


def _column_reference(index: Path) -> dict[str, list[int]]:
    """term -> live docnums, read from the stored column one document at a time."""
    lists: dict[str, list[int]] = {}
    with open_index(index).searcher() as s:
        reader = s.reader()
        column = reader.column_reader("passages", translate=False)
        for docnum in reader.all_doc_ids():
            for term in (column[docnum] or b"").decode("ascii").split():
                lists.setdefault(term, []).append(docnum)
    return lists


def _column(index: Path) -> dict[str, list[int]]:
    with Searcher(index) as searcher:
        lists = searcher.snapshot.column_terms("passages")
        assert isinstance(lists, TermLists)
        return {term: docs.tolist() for term, docs in lists.items()}


COPIED = """---
title: "Trainium2の話をもう一度"
date: 2025-12-01 09:00:00 +0900
tags: ["AWS"]
---

前の記事から段落を引いておきます。

{paragraph}
"""


def _site_with_a_copied_paragraph(posts: Path) -> None:
    """data/posts, and a post repeating the longest paragraph of the first post."""
    text = sorted(posts.glob("*.md"))[0].read_text(encoding="utf-8").split("\n---\n", 1)[1]
    paragraph = max(text.split("\n\n"), key=len).strip()
    assert len(paragraph) > 80
    (posts / "2025-12-01-trainium2-again.md").write_text(COPIED.format(paragraph=paragraph), encoding="utf-8")


def test_the_lists_are_the_columns(posts_copy: Path, tmp_path: Path) -> None:
    _site_with_a_copied_paragraph(posts_copy)
    index = tmp_path / "index"
    build_index(posts_copy, index, SiteConfig(), procs=1)
    reference = _column_reference(index)
    assert sum(len(d) > 1 for d in reference.values()) > 0  # the copied paragraph, in two posts
    assert _column(index) == reference


def test_an_updated_post_keeps_only_its_new_passages(posts_copy: Path, tmp_path: Path) -> None:
    _site_with_a_copied_paragraph(posts_copy)
    index = tmp_path / "index"
    build_index(posts_copy, index, SiteConfig(), procs=1)
    post = sorted(posts_copy.glob("*.md"))[0]
    text = post.read_text(encoding="utf-8")
    post.write_text(text + "\n\n追記：この段落は更新で書き足したもので、ほかの記事には出てきません。\n", encoding="utf-8")
    build_index(posts_copy, index, SiteConfig(), procs=1)
    lists = _column(index)
    assert lists == _column_reference(index)
    # the copied paragraph: in the copy and in the new version of the post, not the old one
    assert {len(docs) for docs in lists.values() if len(docs) > 1} == {2}


def test_lookups() -> None:
    terms = np.array([b"p00ff", b"s0a0a", b"p00ff", b"s0a0a", b"p1234"])
    lists = TermLists.from_pairs(terms, np.array([3, 3, 5, 8, 9], np.int32))
    assert len(lists) == 3
    assert lists.get("p00ff").tolist() == [3, 5] and lists.get("s0a0a").tolist() == [3, 8]
    assert lists.get("p1234").tolist() == [9]
    assert lists.get("p0000").tolist() == [] and lists.get("段落", ()) == ()
    assert lists.sizes().tolist() == [2, 1, 2]
    empty = TermLists.from_pairs(np.zeros(0, "S1"), np.zeros(0, np.int32))
    assert len(empty) == 0 and empty.get("p00ff").tolist() == [] and list(empty.items()) == []


def test_each_segments_pairs_are_sorted_once(posts_copy: Path, tmp_path: Path) -> None:
    """A segment's (hash, post) pairs are kept sorted by hash, then post
    (`SegmentTables`, across generations), so that a new generation's lists
    merge sorted runs instead of sorting every pair again; with the update's
    new segment after the build's, the lists are still the column's."""
    _site_with_a_copied_paragraph(posts_copy)
    index = tmp_path / "index"
    build_index(posts_copy, index, SiteConfig(), procs=1)
    post = sorted(posts_copy.glob("*.md"))[1]
    post.write_text(post.read_text(encoding="utf-8") + "\n\n追記：別の段落をひとつ足しました。\n", encoding="utf-8")
    build_index(posts_copy, index, SiteConfig(), procs=1)
    with Searcher(index) as searcher:
        snapshot = searcher.snapshot
        lists = {term: docs.tolist() for term, docs in snapshot.column_terms("passages").items()}
        parts = snapshot.per_segment(("column_terms", "passages"), lambda leaf: None)
        assert len(parts) == 2  # the build's segment and the update's
        for (terms, docs), _ in parts:
            pairs = list(zip(terms.tolist(), docs.tolist()))
            assert len(pairs) > 0 and pairs == sorted(pairs)
    assert lists == _column_reference(index)
