"""The index codec: short posting lists inlined into their term's entry read
back exactly as Whoosh's own W3 codec writes them, for every field and term
of the sample posts."""

from __future__ import annotations

from pathlib import Path

import pytest
from whoosh import index
from whoosh.codec.whoosh3 import W3Codec

from search.index.whoosh.codec import INLINE_LIMIT, BlogsearchCodec
from search.index.schema import to_document
from search.ingest.posts import load_posts
from search.index.schema import make_schema

from tests.support import REPO  # noqa: E402


def write(path: Path, codec: W3Codec) -> index.Index:
    path.mkdir()
    ix = index.create_in(str(path), make_schema())
    with ix.writer(codec=codec) as writer:
        for post in load_posts(REPO / "data" / "posts").posts:
            writer.add_document(**to_document(post))
    return ix


def postings(ix: index.Index) -> dict[tuple[str, bytes], list[tuple]]:
    out = {}
    with ix.reader() as reader:
        for fieldname, text in reader.all_terms():
            m = reader.postings(fieldname, text)
            info = reader.term_info(fieldname, text)
            stats = (info.weight(), info.doc_frequency(), info.min_length(), info.max_length(),
                     info.max_weight(), info.min_id(), info.max_id())
            items: list[tuple] = [stats]
            while m.is_active():
                items.append((m.id(), m.weight(), m.value() or None))  # valueless formats: None or ''
                m.next()
            out[fieldname, text] = items
    return out


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[index.Index, index.Index]:
    root = tmp_path_factory.mktemp("codec")
    return write(root / "w3", W3Codec()), write(root / "ours", BlogsearchCodec())


def test_every_posting_reads_back_as_with_w3(both: tuple[index.Index, index.Index]) -> None:
    w3, ours = (postings(ix) for ix in both)
    assert w3.keys() == ours.keys()
    assert len(w3) > 3000
    different = [key for key in w3 if w3[key] != ours[key]]
    assert different == []


def test_short_lists_are_inlined_long_ones_are_blocks(both: tuple[index.Index, index.Index]) -> None:
    _, ours = both
    with ours.reader() as reader:
        inlined = {(f, t): reader.term_info(f, t).is_inlined() for f, t in reader.all_terms()}
        frequencies = {(f, t): reader.doc_frequency(f, t) for f, t in reader.all_terms()}
    assert all(inlined[k] == (frequencies[k] < INLINE_LIMIT) for k in inlined)
    assert 0 < sum(inlined.values()) < len(inlined)
    assert frequencies["body", "サーバ".encode()] < INLINE_LIMIT and inlined["body", "サーバ".encode()]
    assert frequencies["body", "使う".encode()] >= INLINE_LIMIT and not inlined["body", "使う".encode()]


def test_search_reads_inlined_terms(both: tuple[index.Index, index.Index]) -> None:
    from whoosh.query import Term

    _, ours = both
    with ours.searcher() as searcher:
        hits = searcher.search(Term("body", "h100"), limit=None)
        assert len(hits) >= 1
        assert all("H100" in hit["body"] or "Ｈ１００" in hit["body"] for hit in hits)


def test_incremental_updates_merge_segments_with_inlined_postings(posts_copy: Path, tmp_path: Path) -> None:
    """Whoosh merges small segments on commit by reading their postings back,
    inlined ones included (valueless ID fields too)."""
    from search.index.check import check_index
    from search import build_index

    index_dir = tmp_path / "index"
    build_index(posts_copy, index_dir, procs=1)
    post = sorted(posts_copy.glob("*.md"))[0]
    original = post.read_text(encoding="utf-8")
    segments = []
    for i in range(12):
        post.write_text(original + f"\n\n追記その{i}：マージの検証です。\n", encoding="utf-8")
        report = build_index(posts_copy, index_dir, procs=1)
        assert report.indexed == 1 and not report.errors
        segments.append(len(index.open_dir(str(index_dir)).reader().leaf_readers()))
    assert min(segments[3:]) < max(segments), segments  # merges happened
    assert check_index(posts_copy, index_dir).clean
    ix = index.open_dir(str(index_dir))
    with ix.searcher() as searcher:
        for slug in {p.stem[11:] for p in posts_copy.glob("*.md")}:
            assert len(list(searcher.documents(slug=slug))) <= 1  # the live copy only
        assert "追記その11" in next(iter(searcher.documents(slug=post.stem[11:])))["body"]
