"""The grouped segment writer writes the same segment files as Whoosh's
own writer, byte for byte, whether its pool stays in memory or spills to
disk, and whatever order postings come in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from whoosh import index
from whoosh.query import Term
from whoosh.writing import SegmentWriter

from search.index.whoosh.codec import BlogsearchCodec
from search.index.schema import to_document
from search.ingest.posts import load_posts
from search.index.schema import make_schema
from search.index.whoosh.segmentwriter import GroupedSegmentWriter

from tests.support import REPO  # noqa: E402


@pytest.fixture(scope="module")
def documents() -> list[dict[str, Any]]:
    return [to_document(post) for post in load_posts(REPO / "data" / "posts").posts]


def new_index(path: Path) -> index.Index:
    path.mkdir()
    return index.create_in(str(path), make_schema())


def write(ix: index.Index, writer_class: type, documents: list[dict[str, Any]],
          pool_limit: int | None = None, blocklimit: int = 128) -> Any:
    writer = writer_class(ix, codec=BlogsearchCodec(blocklimit=blocklimit))
    if pool_limit is not None:
        writer.pool.limit = pool_limit
    for document in documents:
        writer.add_document(**document)
    return writer


def segment_files(ix: index.Index) -> dict[str, bytes]:
    """Each file of the index's one segment, by extension (the names hold
    the segment's random id)."""
    (segment,) = ix._segments()
    files = segment.open_compound_file(ix.storage)
    return {name.split(".", 1)[1]: files.open_file(name).read() for name in files.list()}


def postings(ix: index.Index) -> dict[tuple[str, bytes], list[tuple]]:
    out = {}
    with ix.reader() as reader:
        stored = {d: reader.stored_fields(d)["slug"] for d in reader.all_doc_ids()}
        for fieldname, text in reader.all_terms():
            m = reader.postings(fieldname, text)
            found = []
            while m.is_active():
                found.append((stored[m.id()], m.weight(), m.value() or None))
                m.next()
            out[fieldname, text] = sorted(found)
    return out


@pytest.fixture(scope="module")
def whooshs_segment(documents: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
                    ) -> dict[str, bytes]:
    ix = new_index(tmp_path_factory.mktemp("whoosh") / "index")
    write(ix, SegmentWriter, documents).commit()
    return segment_files(ix)


# 3: posting lists of more than three postings take several blocks
@pytest.mark.parametrize("blocklimit", [128, 3])
def test_segment_is_byte_identical_to_whooshs(documents: list[dict[str, Any]], tmp_path: Path,
                                              blocklimit: int) -> None:
    whoosh = new_index(tmp_path / "whoosh")
    write(whoosh, SegmentWriter, documents, blocklimit=blocklimit).commit()
    ix = new_index(tmp_path / "index")
    write(ix, GroupedSegmentWriter, documents, blocklimit=blocklimit).commit()
    ours = segment_files(ix)
    assert {"trm", "pst", "_stored.col"} <= ours.keys()
    assert len(ours["pst"]) > 2_000
    assert ours == segment_files(whoosh)
    with ix.searcher() as searcher:
        hits = searcher.search(Term("body", "サーバ"), limit=None)
        assert len(hits) >= 3 and all("サーバ" in hit["body"] for hit in hits)


def test_pool_over_its_memory_limit_spills_to_disk_and_writes_the_same(
        documents: list[dict[str, Any]], tmp_path: Path,
        whooshs_segment: dict[str, bytes]) -> None:
    """Postings Whoosh adds itself (a merge's `add_reader`) spill to sorted
    runs beyond the limit; the writer's own documents start a new segment
    instead (tests/test_build_segments.py)."""
    source = new_index(tmp_path / "source")
    write(source, GroupedSegmentWriter, documents).commit()
    ix = new_index(tmp_path / "index")
    writer = write(ix, GroupedSegmentWriter, [], pool_limit=200_000)
    with source.reader() as reader:
        writer.add_reader(reader)
    assert len(writer.pool.runs) >= 3  # written to sorted runs on disk
    assert writer.pool.grouped() is None  # so the segment comes from the runs' merge
    writer.commit()
    ours = segment_files(ix)
    # stored fields copied by Whoosh's `write_per_doc` pickle their dicts in
    # another key order: the postings, lengths and columns are identical
    assert {k: v for k, v in ours.items() if k != "_stored.col"} == \
        {k: v for k, v in whooshs_segment.items() if k != "_stored.col"}
    assert postings(ix) == postings(source)


def test_postings_out_of_document_order_are_sorted(tmp_path: Path) -> None:
    ix = new_index(tmp_path / "index")
    writer = GroupedSegmentWriter(ix, codec=BlogsearchCodec())
    pool = writer.pool
    for docnum in (5, 2, 9, 0):
        pool.add(("body", "量子".encode(), docnum, 1.0, b"v%d" % docnum))
    pool.add(("author", b"suzuki", 3, 1.0, None))
    assert list(pool.items()) == [
        ("author", b"suzuki", 3, 1.0, None),
        ("body", "量子".encode(), 0, 1.0, b"v0"),
        ("body", "量子".encode(), 2, 1.0, b"v2"),
        ("body", "量子".encode(), 5, 1.0, b"v5"),
        ("body", "量子".encode(), 9, 1.0, b"v9"),
    ]
    with pytest.raises(TypeError):
        pool.add(("body", "量子", 10, 1.0, b""))  # terms are bytes
    writer.cancel()


def test_merging_segments_gives_the_postings_of_one_writer(
        documents: list[dict[str, Any]], tmp_path: Path) -> None:
    """Merged segments come back through the pool's `add` (Whoosh's
    `add_reader`), after the writer's own documents."""
    one = new_index(tmp_path / "one")
    write(one, GroupedSegmentWriter, documents).commit()
    merged = new_index(tmp_path / "merged")
    thirds = [documents[i::3] for i in range(3)]
    for part in thirds[:2]:
        write(merged, GroupedSegmentWriter, part).commit(merge=False)
    assert len(merged._segments()) == 2
    write(merged, GroupedSegmentWriter, thirds[2]).commit(optimize=True)
    assert len(merged._segments()) == 1
    assert postings(merged) == postings(one)
