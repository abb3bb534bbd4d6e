"""Tests for search.query.segments: a searcher of a new index version reuses what
its predecessor read from the segments they share, and answers exactly as a
searcher opened from scratch would (issue 12: commits stalled every worker)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from search import build_index
from search import Searcher
from search.editorial.related import related_posts, related_to_draft
from search.query.segments import SegmentTables

QUERIES = ["ペンギン", "データベース", "PostgreSQL", "インデックスを設計する", "くーばねてす",
           "GPU不足", "非同期", "バックアップ"]
PREFIXES = ["ペン", "でーた", "Post", "く", "非"]


def answers(searcher: Searcher) -> dict:
    """Everything a reader or editor sees from one searcher."""
    searcher.warm()
    slugs = sorted(p["slug"] for p in _all_posts(searcher))
    out = {
        "search": {q: [(h.slug, round(h.score, 4), h.snippet_html) for h in searcher.search(q).hits]
                   for q in QUERIES},
        "tags": searcher.tags(),
        "suggest": {p: [s.to_dict() for s in searcher.suggest(p).suggestions] for p in PREFIXES},
        "related": {slug: related_posts(searcher, slug).to_dict() for slug in slugs[:6]},
        "draft": related_to_draft(searcher, "ペンギンの観察", "ペンギンの行進とデータベースのバックアップ").to_dict(),
    }
    return out


def _all_posts(searcher: Searcher) -> list[dict]:
    stored = searcher.snapshot.searcher
    return [stored.stored_fields(int(d)) for d in range(searcher.snapshot.doc_count_all)
            if searcher.snapshot.live[d]]


@pytest.fixture
def site(tmp_path: Path) -> Path:
    posts = tmp_path / "posts"
    shutil.copytree(Path(__file__).resolve().parents[1] / "data" / "posts", posts)
    return posts


@pytest.mark.parametrize("change", ["edit", "delete", "add"])
def test_successor_answers_like_a_fresh_searcher_and_reads_only_new_segments(
        site: Path, tmp_path: Path, change: str) -> None:
    index = tmp_path / "index"
    build_index(site, index, procs=1)
    old = Searcher(index)
    before = answers(old)
    old_segments = set(old.snapshot.segment_ids)

    first = sorted(site.glob("*.md"))[3]
    if change == "edit":
        first.write_text(first.read_text(encoding="utf-8") + "\nペンギン大行進の追記。\n", encoding="utf-8")
    elif change == "delete":
        first.unlink()
    else:
        (site / "2026-01-02-penguin.md").write_text(
            "---\ntitle: ペンギンの観察日記\ntags: [動物, 観察]\n---\nペンギンが行進するのを観察した。\n",
            encoding="utf-8")
    build_index(site, index, procs=1)
    assert not old.is_current()

    reads = old.tables.reads.copy()
    successor = old.successor()
    after = answers(successor)
    fresh = Searcher(index)
    assert after == answers(fresh)  # reuse changes nothing a reader or editor sees
    assert after != before
    kept = old_segments & set(successor.snapshot.segment_ids)
    new_segments = set(successor.snapshot.segment_ids) - old_segments
    assert kept and len(new_segments) <= 1
    # the segments the versions share were not read again: their tables came
    # from memory (only the postings of words the old version never looked
    # up, like the new post's, are read from them)
    again = sum(successor.tables.reads[segid] - reads[segid] for segid in kept)
    from_scratch = sum(fresh.tables.reads[segid] for segid in kept)
    assert from_scratch > 500 and again <= from_scratch / 50, (again, from_scratch)
    old.close()
    fresh.close()
    successor.close()


def test_tables_keep_only_open_segments(site: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    build_index(site, index, procs=1)
    searcher = Searcher(index)
    answers(searcher)
    first_segments = set(searcher.snapshot.segment_ids)
    build_index(site, index, rebuild=True, procs=1)  # every segment replaced
    assert searcher.refresh()
    answers(searcher)
    assert searcher.tables.segments() == set(searcher.snapshot.segment_ids)
    assert not first_segments & searcher.tables.segments()
    searcher.close()


def test_postings_are_bounded() -> None:
    import numpy as np

    tables = SegmentTables(max_postings=3)
    empty = (np.zeros(0, np.int32), np.zeros(0, np.float32))
    for term in ["ペンギン", "行進", "観察", "日記"]:
        tables.postings("seg", "body", term, lambda: empty)
    assert tables.reads["seg"] == 4
    tables.postings("seg", "body", "日記", lambda: empty)  # kept
    assert tables.reads["seg"] == 4
    tables.postings("seg", "body", "ペンギン", lambda: empty)  # the oldest went
    assert tables.reads["seg"] == 5


def test_spans_are_bounded_by_their_number() -> None:
    """A common word's spans in long posts: the kept spans never pass the bound."""
    tables = SegmentTables(max_span_pairs=1000)

    def read(docnums: list[int]) -> dict[int, list[tuple[int, int]]]:
        return {d: [(i * 10, i * 10 + 2) for i in range(300)] for d in docnums}  # 300 matches of 東京 each

    assert tables.spans("seg", "body", "東京", [1, 2, 3], read)[3][:1] == [(0, 2)]
    assert tables._span_pairs == 900 and tables.reads["seg"] == 1
    tables.spans("seg", "body", "東京", [1, 2, 3], read)  # kept
    assert tables.reads["seg"] == 1
    tables.spans("seg", "body", "東京", [4], read)  # 1,200 > 1,000: the old ones go
    assert tables._span_pairs == 300 and len(tables._spans) == 1
    tables.spans("seg", "body", "東京", [1], read)
    assert tables.reads["seg"] == 3 and tables._span_pairs == 600
    many = tables.spans("seg", "body", "大阪", [5, 6, 7, 8], read)  # 1,200 alone: given back, not kept
    assert len(many) == 4 and tables._span_pairs == 0 and not tables._spans
    tables.keep(["other"])
    assert tables._span_pairs == 0


def test_live_posts_are_read_from_each_segments_deletions(site: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """After an update (the edited post's old version deleted in its
    segment) a generation's live mask is the reader's, taken from each
    segment's deletions, without asking every document (`all_doc_ids`:
    one call per post, at every opening)."""
    from whoosh.reading import MultiReader, SegmentReader

    index = tmp_path / "index"
    build_index(site, index, procs=1)
    post = sorted(site.glob("*.md"))[0]
    post.write_text(post.read_text(encoding="utf-8") + "\n追記：ペンギンの観察。\n", encoding="utf-8")
    assert build_index(site, index, procs=1).indexed == 1
    with Searcher(index) as searcher:
        reader = searcher.snapshot.searcher.reader()
        expected = set(reader.all_doc_ids())
        assert len(expected) < reader.doc_count_all()  # the old version is deleted, not yet merged away
    for cls in (MultiReader, SegmentReader):
        monkeypatch.setattr(cls, "all_doc_ids", lambda self: pytest.fail("asked every document"))
    with Searcher(index) as searcher:
        live = searcher.snapshot.live
        assert set(live.nonzero()[0].tolist()) == expected
        assert searcher.doc_count == len(expected)
        assert [h.slug for h in searcher.search("ペンギンの観察").hits][:1] == [post.stem[11:]]
