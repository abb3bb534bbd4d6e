"""Whoosh's private API as blogsearch uses it (search/index/whoosh/INTERNALS.md).

Run this file first when upgrading Whoosh: it checks that every private
member we call, override, read or write still exists with the parameters
our code passes, that the inventory below and the table of INTERNALS.md
list the same members, and that the fast postings path (W3LeafMatcher's
decoded blocks) reads exactly what Whoosh's public matcher API reads.
"""

from __future__ import annotations

import inspect
import io
import re
from contextlib import ExitStack
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pytest
from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter, W3LeafMatcher, W3PostingsWriter, W3TermInfo
from whoosh.filedb.filestore import RamStorage
from whoosh.filedb.structfile import StructFile
from whoosh.formats import Frequency
from whoosh.matching import ListMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.writing import PostingPool, SegmentWriter

from search.index.schema import _toc_generations, create_index, make_schema, open_index
from search.index.whoosh import codec as our_codec
from search.index.whoosh import postings
from search.index.whoosh.postings import read_blocks, read_one_by_one, read_postings
from search.index.whoosh.segmentwriter import GroupedPool, GroupedSegmentWriter
from search.index.whoosh.writers import _MpWriter, _SubWriterTask, open_writer

from tests.support import REPO

INTERNALS_MD = REPO / "search" / "index" / "whoosh" / "INTERNALS.md"

CLASSES: dict[str, type] = {
    "W3Codec": W3Codec,
    "W3PostingsWriter": W3PostingsWriter,
    "W3FieldWriter": W3FieldWriter,
    "W3LeafMatcher": W3LeafMatcher,
    "FilterMatcher": FilterMatcher,
    "PostingPool": PostingPool,
    "SegmentWriter": SegmentWriter,
    "SubWriterTask": SubWriterTask,
    "MpWriter": MpWriter,
}

CALL = "method we call"
OVERRIDE = "method we override"
RELIED = "method that calls our code"
READ = "attribute we read"
WRITE = "attribute we write"
READ_WRITE = "attribute we read and write"
KWARG = "keyword argument we pass"
METHOD_KINDS = {CALL, OVERRIDE, RELIED}
ATTR_KINDS = {READ, WRITE, READ_WRITE}


class Use(NamedTuple):
    cls: str
    member: str
    kind: str
    used_in: str
    why: str
    params: tuple[str, ...] | None = None  # a method's parameter names, self included


CODEC = "search/index/whoosh/codec.py"
POSTINGS = "search/index/whoosh/postings.py"
SEGW = "search/index/whoosh/segmentwriter.py"
WRITERS = "search/index/whoosh/writers.py"

# Mirrors the table of INTERNALS.md (test_table_matches_inventory keeps them equal).
INVENTORY: list[Use] = [
    # --- codec.py: W3 with inlined short posting lists --------------------------------
    Use("W3Codec", "_blocklimit", READ, f"{CODEC}: BlogsearchCodec.postings_writer",
        "passed on to our postings writer, as W3Codec.postings_writer does"),
    Use("W3Codec", "_compression", READ, f"{CODEC}: BlogsearchCodec.postings_writer",
        "passed on to our postings writer"),
    Use("W3Codec", "_inlinelimit", READ, f"{CODEC}: BlogsearchCodec.postings_writer",
        "passed on to our postings writer (INLINE_LIMIT)"),
    Use("W3FieldWriter", "_postwriter", READ, f"{CODEC}: _FieldWriter.add_postings, _FieldWriter.add_grouped",
        "the field's postings writer, to call our add_sorted / add_many on it"),
    Use("W3PostingsWriter", "_write_block", CALL, f"{CODEC}: _PostingsWriter.add_sorted, _PostingsWriter.add_many",
        "flushes a full block, as add_posting does", ("self", "last")),
    Use("W3PostingsWriter", "_blocklimit", READ, f"{CODEC}: _PostingsWriter.add_sorted, _PostingsWriter.add_many",
        "postings per block"),
    Use("W3PostingsWriter", "_inlinelimit", READ, f"{CODEC}: _PostingsWriter.finish_postings",
        "whether a posting list is short enough to inline"),
    Use("W3PostingsWriter", "_terminfo", READ_WRITE, f"{CODEC}: _PostingsWriter.finish_postings",
        "the term being written; cleared to None after the term, as W3 does"),
    Use("W3PostingsWriter", "_ids", READ_WRITE,
        f"{CODEC}: _PostingsWriter.add_sorted, _PostingsWriter.add_many, _PostingsWriter.finish_postings",
        "the block's docnums: appended without add_posting's assertions; inlined"),
    Use("W3PostingsWriter", "_weights", READ_WRITE,
        f"{CODEC}: _PostingsWriter.add_sorted, _PostingsWriter.add_many, _PostingsWriter.finish_postings",
        "the block's weights (W3TermInfo.add_block also reads them); inlined"),
    Use("W3PostingsWriter", "_values", READ_WRITE,
        f"{CODEC}: _PostingsWriter.add_sorted, _PostingsWriter.add_many, _PostingsWriter.finish_postings",
        "the block's value bytes; inlined"),
    Use("W3PostingsWriter", "_maxweight", READ_WRITE, f"{CODEC}: _PostingsWriter.add_sorted, _PostingsWriter.add_many",
        "block statistics, kept as add_posting keeps them"),
    Use("W3PostingsWriter", "_minlength", READ_WRITE, f"{CODEC}: _PostingsWriter.add_sorted, _PostingsWriter.add_many",
        "block statistics, kept as add_posting keeps them"),
    Use("W3PostingsWriter", "_maxlength", READ_WRITE, f"{CODEC}: _PostingsWriter.add_sorted, _PostingsWriter.add_many",
        "block statistics, kept as add_posting keeps them"),
    # --- postings.py: reading decoded blocks ---------------------------------------------
    Use("W3LeafMatcher", "_read_ids", CALL, f"{POSTINGS}: read_blocks",
        "decodes the current block's docnums at once", ("self",)),
    Use("W3LeafMatcher", "_read_weights", CALL, f"{POSTINGS}: read_blocks",
        "decodes the current block's weights at once", ("self",)),
    Use("W3LeafMatcher", "_next_block", CALL, f"{POSTINGS}: read_blocks",
        "moves to the next block (is_active() turns False after the last)", ("self",)),
    Use("W3LeafMatcher", "_ids", READ, f"{POSTINGS}: read_blocks",
        "the decoded docnums of the block"),
    Use("W3LeafMatcher", "_weights", READ, f"{POSTINGS}: read_blocks",
        "the decoded weights of the block"),
    Use("FilterMatcher", "child", READ, f"{POSTINGS}: read_postings",
        "the leaf matcher under the filter of a segment's deleted documents, read by blocks"),
    # --- segmentwriter.py: the grouped posting pool ---------------------------------------
    Use("PostingPool", "fieldnames", READ, f"{SEGW}: GroupedPool._field; {WRITERS}: _SubWriterTask.run",
        "fields with postings, kept as PostingPool.add keeps them; the sub-writer's result"),
    Use("PostingPool", "currentsize", READ_WRITE, f"{SEGW}: GroupedPool.add_terms, GroupedPool.save",
        "bytes in memory, against limit"),
    Use("PostingPool", "limit", READ, f"{SEGW}: GroupedPool.add_terms, GroupedPool.full",
        "limitmb in bytes: beyond it the pool spills a run to disk, or the writer starts a new segment"),
    Use("PostingPool", "runs", READ_WRITE, f"{SEGW}: GroupedPool.grouped, GroupedPool.items",
        "run files on disk (SortingPool): none means the fast grouped path"),
    Use("PostingPool", "_new_run", CALL, f"{SEGW}: GroupedPool.save",
        "a new run file in the temporary storage", ("self",)),
    Use("PostingPool", "_write_run", CALL, f"{SEGW}: GroupedPool.save",
        "writes sorted postings to the run (SortingPool)", ("self", "f", "items")),
    Use("PostingPool", "_add_run", CALL, f"{SEGW}: GroupedPool.save",
        "records the run (SortingPool)", ("self", "filename")),
    Use("PostingPool", "_merge_runs", CALL, f"{SEGW}: GroupedPool.items",
        "merges the runs into sorted postings (SortingPool)", ("self", "paths")),
    # --- segmentwriter.py: GroupedSegmentWriter -------------------------------------------
    Use("SegmentWriter", "_tempstorage", READ, f"{SEGW}: GroupedSegmentWriter.__init__, ._next_segment",
        "where our pool writes its runs, as Whoosh's pool does"),
    Use("SegmentWriter", "newsegment", READ_WRITE, f"{SEGW}: GroupedSegmentWriter.__init__, ._next_segment",
        "the segment being written, for our pool; a new one when the pool is full"),
    Use("SegmentWriter", "pool", READ_WRITE,
        f"{SEGW}: GroupedSegmentWriter.__init__, .add_document, ._flush_segment, ._next_segment",
        "replaced by a GroupedPool"),
    Use("SegmentWriter", "perdocwriter", READ_WRITE,
        f"{SEGW}: GroupedSegmentWriter.add_document, ._flush_segment, ._next_segment",
        "stored fields, lengths, vectors, columns of each document; a new one per segment"),
    Use("SegmentWriter", "fieldwriter", READ_WRITE, f"{SEGW}: GroupedSegmentWriter._flush_segment, ._next_segment",
        "the codec's field writer (our _FieldWriter.add_grouped); a new one per segment"),
    Use("SegmentWriter", "codec", READ, f"{SEGW}: GroupedSegmentWriter._flush_segment, ._next_segment",
        "length_stats, as Whoosh's _flush_segment reads it; makes each new segment's writers"),
    Use("SegmentWriter", "storage", READ, f"{SEGW}: GroupedSegmentWriter._next_segment",
        "where a new segment is written, as SegmentWriter.__init__ does"),
    Use("SegmentWriter", "indexname", READ, f"{SEGW}: GroupedSegmentWriter._next_segment",
        "names a new segment, as SegmentWriter.__init__ does"),
    Use("SegmentWriter", "compound", READ_WRITE, f"{SEGW}: GroupedSegmentWriter._next_segment",
        "whether segments are assembled into one file, set again for a new segment"),
    Use("SegmentWriter", "docbase", WRITE, f"{SEGW}: GroupedSegmentWriter._next_segment",
        "a new segment's documents are numbered from 0"),
    Use("SegmentWriter", "schema", READ, f"{SEGW}: GroupedSegmentWriter.add_document, ._flush_segment",
        "the index's schema (from the TOC)"),
    Use("SegmentWriter", "docnum", READ_WRITE, f"{SEGW}: GroupedSegmentWriter.add_document, ._next_segment",
        "the next document's number (in its segment)"),
    Use("SegmentWriter", "_added", READ_WRITE,
        f"{SEGW}: GroupedSegmentWriter.add_document, ._next_segment, .finished_segments",
        "marks the segment as having documents (commit writes it)"),
    Use("SegmentWriter", "_check_state", CALL, f"{SEGW}: GroupedSegmentWriter.add_document, .commit",
        "refuses a closed writer, as add_document and commit do", ("self",)),
    Use("SegmentWriter", "_doc_boost", CALL, f"{SEGW}: GroupedSegmentWriter.add_document",
        "the document's _boost", ("self", "fields", "default")),
    Use("SegmentWriter", "_field_boost", CALL, f"{SEGW}: GroupedSegmentWriter.add_document",
        "a field's _<name>_boost", ("self", "fields", "fieldname", "default")),
    Use("SegmentWriter", "_flush_segment", OVERRIDE, f"{SEGW}: GroupedSegmentWriter._flush_segment",
        "hands grouped posting lists to the codec instead of sorted tuples", ("self",)),
    Use("SegmentWriter", "_finalize_segment", CALL,
        f"{SEGW}: GroupedSegmentWriter._next_segment, .finished_segments",
        "writes a segment (calls our _flush_segment)", ("self",)),
    Use("SegmentWriter", "_close_segment", CALL, f"{SEGW}: GroupedSegmentWriter.finished_segments",
        "closes a segment without documents, as commit does", ("self",)),
    Use("SegmentWriter", "_merge_segments", CALL, f"{SEGW}: GroupedSegmentWriter.commit",
        "applies the merge policy, as commit does", ("self", "mergetype", "optimize", "merge")),
    Use("SegmentWriter", "_commit_toc", CALL, f"{SEGW}: GroupedSegmentWriter.commit",
        "writes the table of contents with every segment made, as commit does", ("self", "segments")),
    Use("SegmentWriter", "_finish", CALL, f"{SEGW}: GroupedSegmentWriter.commit",
        "releases the lock and temporary files, as commit does", ("self",)),
    Use("SegmentWriter", "_lk", KWARG, f"{WRITERS}: open_writer, _SubWriterTask.run",
        "no lock of its own: open_writer takes the lock itself, sub-writers never lock"),
    Use("SegmentWriter", "writelock", READ_WRITE, f"{WRITERS}: open_writer, abandon",
        "our lock, released by Whoosh's commit or cancel; released by abandon on failure"),
    # --- writers.py: the multiprocessing writer -------------------------------------------
    Use("SubWriterTask", "storage", READ, f"{WRITERS}: _SubWriterTask.run", "opens the index in the process"),
    Use("SubWriterTask", "indexname", READ, f"{WRITERS}: _SubWriterTask.run", "opens the index in the process"),
    Use("SubWriterTask", "kwargs", READ, f"{WRITERS}: _SubWriterTask.run",
        "the writer's options (MpWriter's subargs)"),
    Use("SubWriterTask", "running", READ, f"{WRITERS}: _SubWriterTask.run", "False once cancelled"),
    Use("SubWriterTask", "jobqueue", READ, f"{WRITERS}: _SubWriterTask.run", "job files to index"),
    Use("SubWriterTask", "resultqueue", READ, f"{WRITERS}: _SubWriterTask.run",
        "where the segments go back (one _Segments in the place of Whoosh's one segment)"),
    Use("SubWriterTask", "writer", WRITE, f"{WRITERS}: _SubWriterTask.run",
        "our GroupedSegmentWriter, which _process_file reads"),
    Use("SubWriterTask", "_process_file", CALL, f"{WRITERS}: _SubWriterTask.run",
        "indexes one job file of pickled documents", ("self", "filename", "doc_count")),
    Use("MpWriter", "multisegment", READ, f"{WRITERS}: _MpWriter.__init__, _MpWriter._new_task",
        "we support segments of their own per process only"),
    Use("MpWriter", "jobqueue", READ_WRITE, f"{WRITERS}: _MpWriter.__init__, ._new_task, .cancel",
        "wrapped in _LiveQueue, which gives up when a process died"),
    Use("MpWriter", "resultqueue", READ, f"{WRITERS}: _MpWriter._new_task", "passed to each task"),
    Use("MpWriter", "tasks", READ, f"{WRITERS}: _MpWriter.__init__, ._new_task, .cancel, ._commit_toc",
        "the processes, checked for a dead one, terminated on cancel"),
    Use("MpWriter", "subargs", READ, f"{WRITERS}: _MpWriter._new_task", "the sub-writers' options"),
    Use("MpWriter", "storage", READ, f"{WRITERS}: _MpWriter._new_task", "passed to each task"),
    Use("MpWriter", "indexname", READ, f"{WRITERS}: _MpWriter._new_task", "passed to each task"),
    Use("MpWriter", "_new_task", OVERRIDE, f"{WRITERS}: _MpWriter._new_task",
        "starts our _SubWriterTask instead of Whoosh's", ("self",)),
    Use("MpWriter", "_commit_toc", OVERRIDE, f"{WRITERS}: _MpWriter._commit_toc",
        "refuses to commit when a process died, unpacks each process's _Segments, then calls Whoosh's (super)",
        ("self", "segments")),
    Use("MpWriter", "_enqueue", RELIED, f"{WRITERS}: _MpWriter (jobqueue, _new_task)",
        "starts tasks through _new_task and puts jobs on our jobqueue", ("self",)),
    Use("MpWriter", "_commit", RELIED, f"{WRITERS}: _MpWriter (jobqueue, _commit_toc)",
        "ends the tasks through our jobqueue, then calls our _commit_toc with each task's result as it came",
        ("self", "mergetype", "optimize", "merge")),
]

# What a Whoosh method must still do for our override or replacement to take effect.
SOURCE_NEEDS: dict[tuple[str, str], list[str]] = {
    ("MpWriter", "_enqueue"): ["self._new_task()", "self.jobqueue.put("],
    ("MpWriter", "_commit"): ["self.jobqueue.put(None)", "self._commit_toc(",
                              "finalsegments += [s for _, _, s in results]"],
    ("SegmentWriter", "_finalize_segment"): ["self._flush_segment()"],
    ("SubWriterTask", "_process_file"): ["self.writer"],
}
# Instance attributes set outside __init__: the Whoosh method that uses them.
ATTR_BY_SOURCE: dict[tuple[str, str], tuple[str, str]] = {
    ("SubWriterTask", "writer"): ("_process_file", "self.writer"),
}
# Our overrides of private Whoosh methods, which must keep Whoosh's parameters.
OVERRIDDEN_BY: dict[tuple[str, str], type] = {
    ("SegmentWriter", "_flush_segment"): GroupedSegmentWriter,
    ("MpWriter", "_new_task"): _MpWriter,
    ("MpWriter", "_commit_toc"): _MpWriter,
}


def _whoosh_instance(name: str, stack: ExitStack) -> Any:
    """A real instance of a Whoosh class, as our code meets it."""
    schema = make_schema()
    if name == "W3Codec":
        return W3Codec()
    if name == "W3PostingsWriter":
        writer = W3PostingsWriter(StructFile(io.BytesIO()), blocklimit=128)
        writer.start_postings(Frequency(), W3TermInfo())
        return writer
    if name == "W3FieldWriter":
        storage = RamStorage()
        codec = our_codec.BlogsearchCodec()
        writer = W3FieldWriter(codec, storage, codec.new_segment(storage, "MAIN"))
        stack.callback(writer.close)
        writer.start_field("body", schema["body"])
        stack.callback(writer.finish_field)
        return writer
    if name == "W3LeafMatcher":
        ix = RamStorage().create_index(schema)
        with ix.writer() as w:  # plain W3 (inlinelimit 1): every list in the postings file
            w.add_document(slug="a", body="東京の天気は晴れです。")
            w.add_document(slug="b", body="大阪の天気は雨です。")
        reader = ix.reader()
        stack.callback(reader.close)
        return reader.postings("body", "天気")
    if name == "FilterMatcher":
        ix = RamStorage().create_index(schema)
        with ix.writer() as w:
            w.add_document(slug="a", body="東京の天気は晴れです。")
            w.add_document(slug="b", body="大阪の天気は雨です。")
        with ix.writer() as w:
            w.delete_by_term("slug", "a")
        reader = ix.reader()
        stack.callback(reader.close)
        return reader.postings("body", "天気")
    if name == "PostingPool":
        return PostingPool(RamStorage(), None)
    if name in ("SegmentWriter", "MpWriter"):
        ix = RamStorage().create_index(schema)
        if name == "SegmentWriter":
            writer = SegmentWriter(ix, _lk=False)
        else:
            writer = MpWriter(ix, procs=2, multisegment=True, _lk=False)
            stack.callback(writer.resultqueue.close)
            stack.callback(writer.jobqueue.close)
        stack.callback(writer.cancel)
        return writer
    if name == "SubWriterTask":
        return SubWriterTask(RamStorage(), "MAIN", None, None, {}, True)
    raise AssertionError(name)


@pytest.mark.parametrize("use", INVENTORY, ids=lambda u: f"{u.cls}.{u.member}")
def test_private_member_still_there(use: Use) -> None:
    cls = CLASSES[use.cls]
    if use.kind in METHOD_KINDS:
        method = getattr(cls, use.member, None)
        assert callable(method), f"{use.cls}.{use.member} is gone (used in {use.used_in})"
        assert tuple(inspect.signature(method).parameters) == use.params, (
            f"{use.cls}.{use.member}{inspect.signature(method)} changed (used in {use.used_in})")
        ours = OVERRIDDEN_BY.get((use.cls, use.member))
        if use.kind == OVERRIDE:
            assert ours is not None and use.member in vars(ours), use
            assert tuple(inspect.signature(getattr(ours, use.member)).parameters) == use.params
        for needed in SOURCE_NEEDS.get((use.cls, use.member), []):
            assert needed in inspect.getsource(method), f"{use.cls}.{use.member} no longer does {needed}"
    elif use.kind == KWARG:
        assert use.member in inspect.signature(cls.__init__).parameters, f"{use.cls}({use.member}=) is gone"
    elif use.kind in ATTR_KINDS:
        by_source = ATTR_BY_SOURCE.get((use.cls, use.member))
        if by_source is not None:
            method, needed = by_source
            assert needed in inspect.getsource(getattr(cls, method)), (
                f"{use.cls}.{method} no longer uses {use.member}")
            return
        with ExitStack() as stack:
            instance = _whoosh_instance(use.cls, stack)
            assert isinstance(instance, cls)
            assert hasattr(instance, use.member), (
                f"a {use.cls} has no attribute {use.member} any more (used in {use.used_in})")
    else:
        raise AssertionError(f"unknown kind {use.kind!r}")


def test_inventory_is_consistent() -> None:
    pairs = [(u.cls, u.member) for u in INVENTORY]
    assert len(pairs) == len(set(pairs)), "a (class, member) listed twice"
    for u in INVENTORY:
        assert (u.params is not None) == (u.kind in METHOD_KINDS), u
    assert set(SOURCE_NEEDS) | set(ATTR_BY_SOURCE) | set(OVERRIDDEN_BY) <= set(pairs)
    assert {p for p in pairs if dict(zip(pairs, INVENTORY))[p].kind == OVERRIDE} == set(OVERRIDDEN_BY)


def _table_rows(text: str) -> list[tuple[str, str, str]]:
    """(class, member, kind) of each row of the table under '## Inventory'."""
    section = text.split("\n## Inventory", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip().strip("`").strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 5 or cells[0] in ("Whoosh class", "") or set(cells[0]) <= set("-: "):
            continue
        rows.append((cells[0], cells[1], cells[2]))
    return rows


def test_table_matches_inventory() -> None:
    rows = _table_rows(INTERNALS_MD.read_text(encoding="utf-8"))
    assert len(rows) == len(set(rows))
    listed = {(u.cls, u.member, u.kind) for u in INVENTORY}
    assert sorted(set(rows) - listed) == [], "in INTERNALS.md only"
    assert sorted(listed - set(rows)) == [], "in the test's INVENTORY only"


def test_internals_md_states_the_installed_whoosh() -> None:
    import importlib.metadata

    text = INTERNALS_MD.read_text(encoding="utf-8")
    version = importlib.metadata.version("whoosh-reloaded")
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert f'"whoosh-reloaded=={version}"' in pyproject
    assert f"whoosh-reloaded=={version}" in text


# Names our subclasses add (not Whoosh's): they must not shadow a Whoosh member.
OWN_NAMES: dict[type, tuple[str, list[str]]] = {
    our_codec._PostingsWriter: ("W3PostingsWriter", ["add_sorted", "add_many"]),
    our_codec._FieldWriter: ("W3FieldWriter", ["add_grouped"]),
    our_codec.BlogsearchCodec: ("W3Codec", []),
    GroupedPool: ("PostingPool", ["groups", "_lastdoc", "_ordered", "_field", "add_terms",
                                  "_sorted_groups", "_flat", "grouped", "full"]),
    GroupedSegmentWriter: ("SegmentWriter", ["limitmb", "written", "_next_segment", "finished_segments"]),
    _SubWriterTask: ("SubWriterTask", ["parent"]),
    _MpWriter: ("MpWriter", []),
}


@pytest.mark.parametrize("ours", list(OWN_NAMES), ids=lambda c: c.__name__)
def test_our_subclasses_shadow_nothing_unlisted(ours: type) -> None:
    base_name, own = OWN_NAMES[ours]
    base = CLASSES[base_name]
    assert issubclass(ours, base)
    with ExitStack() as stack:
        instance = _whoosh_instance(base_name, stack)
        for name in own:
            assert not hasattr(base, name) and not hasattr(instance, name), (
                f"Whoosh's {base_name} now has {name}, which {ours.__name__} also defines")
    private_overrides = {(u.cls, u.member) for u in INVENTORY if u.kind == OVERRIDE}
    for name in vars(ours):
        if name.startswith("__"):
            continue
        if name.startswith("_") and hasattr(base, name):
            assert (base_name, name) in private_overrides, f"{ours.__name__}.{name}: not in INVENTORY"
        elif not hasattr(base, name):
            assert name in own, f"{ours.__name__}.{name}: neither Whoosh's nor in OWN_NAMES"


# --- the fast postings path reads what the public API reads ------------------------------


def _compare_leaf(leaf: Any, fieldnames: tuple[str, ...]) -> tuple[int, int, int, int]:
    """Compares every term's postings read both ways; (fast, inline, blocks > 1,
    filtered by deletions) counts."""
    fast = inline = multi = filtered = 0
    for fieldname in fieldnames:
        for btext in leaf.lexicon(fieldname):
            text = btext.decode("utf-8")
            slow_ids, slow_tfs = read_one_by_one(leaf.postings(fieldname, text))
            assert np.all(np.diff(slow_ids) > 0), (fieldname, text)
            if not leaf.has_deletions():  # (Whoosh's statistics count deleted documents)
                assert len(slow_ids) == leaf.doc_frequency(fieldname, text) > 0, (fieldname, text)
                assert float(slow_tfs.sum()) == pytest.approx(leaf.frequency(fieldname, text))
            matcher = leaf.postings(fieldname, text)
            if isinstance(matcher, FilterMatcher):  # a segment with deleted posts
                assert leaf.has_deletions()
                filtered += isinstance(matcher.child, W3LeafMatcher)
            elif isinstance(matcher, W3LeafMatcher):
                fast += 1
                ids, tfs = read_blocks(matcher)
                assert ids.dtype == slow_ids.dtype and tfs.dtype == slow_tfs.dtype
                assert np.array_equal(ids, slow_ids), (fieldname, text)
                assert np.array_equal(tfs, slow_tfs), (fieldname, text)
                multi += len(ids) > 128
            else:
                assert isinstance(matcher, ListMatcher), type(matcher)
                inline += 1
            ids, tfs = read_postings(leaf, fieldname, text)
            assert np.array_equal(ids, slow_ids) and np.array_equal(tfs, slow_tfs), (fieldname, text)
            assert ids.dtype == slow_ids.dtype and tfs.dtype == slow_tfs.dtype
    return fast, inline, multi, filtered


def test_fast_and_slow_postings_agree_on_the_sample_posts(index_dir: Path) -> None:
    ix = open_index(index_dir)
    fast = inline = 0
    with ix.reader() as reader:
        leaves = [leaf for leaf, _ in reader.leaf_readers()]
        assert leaves
        for leaf in leaves:
            f, i, _, _ = _compare_leaf(leaf, ("body", "title"))
            fast, inline = fast + f, inline + i
        # 使う (lemma of 使い, 使って...) is in most posts: a list in the postings file
        tsukau = [read_postings(leaf, "body", "使う")[0] for leaf in leaves]
        assert sum(map(len, tsukau)) == reader.doc_frequency("body", "使う") >= our_codec.INLINE_LIMIT
        assert any(isinstance(leaf.postings("body", "使う"), W3LeafMatcher) for leaf in leaves)
    assert fast > 10 and inline > 100, (fast, inline)


def _places_index(path: Path) -> Any:  # noqa: ANN401
    """A word in 300 posts: three blocks of W3's 128 postings."""
    ix = create_index(path)
    writer = open_writer(ix, procs=1)
    places = ["東京", "大阪", "札幌", "福岡", "那覇"]
    for n in range(300):
        place = places[n % len(places)]
        writer.add_document(slug=f"p{n}", title=f"{place}の記事{n}",
                            body=f"{place}で検索エンジンを試しました。" + "天気は晴れです。" * (n % 3 + 1))
    writer.commit()
    return open_index(path)


def test_fast_path_reads_several_blocks(tmp_path: Path) -> None:
    ix = _places_index(tmp_path / "index")
    with ix.reader() as reader:
        (leaf, _), = reader.leaf_readers()
        fast, inline, multi, _ = _compare_leaf(leaf, ("body", "title"))
        assert len(read_postings(leaf, "body", "検索")[0]) == 300
        tfs = read_postings(leaf, "body", "天気")[1]
        assert tfs.tolist() == [float(n % 3 + 1) for n in range(300)]
    assert fast > 0 and inline > 0 and multi > 0, (fast, inline, multi)


def test_fast_path_drops_a_segments_deleted_posts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Posts deleted from a segment (an update) in every block: the blocks are
    read as they are, and the deleted posts dropped, as Whoosh's filter does."""
    ix = _places_index(tmp_path / "index")
    writer = open_writer(ix, procs=1)
    for n in range(0, 300, 7):  # 43 posts, in each of the three blocks
        writer.delete_by_term("slug", f"p{n}")
    writer.commit()
    ix = open_index(tmp_path / "index")
    with ix.reader() as reader:
        (leaf, _), = reader.leaf_readers()
        assert leaf.has_deletions()
        _, _, _, filtered = _compare_leaf(leaf, ("body", "title"))
        slow: list[object] = []
        monkeypatch.setattr(postings, "read_one_by_one", lambda m: slow.append(m) or read_one_by_one(m))
        ids, tfs = read_postings(leaf, "body", "天気")
        assert slow == []  # by blocks, not one call per posting through the filter
        assert ids.tolist() == [n for n in range(300) if n % 7]
        assert tfs.tolist() == [float(n % 3 + 1) for n in range(300) if n % 7]
    assert filtered > 0, filtered


def test_toc_names_are_whooshs(tmp_path: Path) -> None:
    """search/index/schema.py finds generations by Whoosh's TOC file names
    (_MAIN_<generation>.toc) and skips Whoosh's lock files (*_WRITELOCK)."""
    ix = create_index(tmp_path)
    for n in range(2):
        writer = open_writer(ix, procs=1)
        writer.add_document(slug=f"s{n}", title="東京", body="東京の天気")
        writer.commit()
    assert max(_toc_generations(tmp_path)) == open_index(tmp_path).latest_generation() == 2
    lock = ix.lock("WRITELOCK")
    assert lock.acquire()
    try:
        assert any(re.fullmatch(r".+_WRITELOCK", p.name) for p in tmp_path.iterdir())
    finally:
        lock.release()


def test_a_term_is_looked_up_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`read_postings` looks a term up once in the segment's on-disk hash
    table (asking `(field, text) in leaf` first made it twice: a quarter of
    the lookups of a cold pass at ten times ja-docs); a term the segment
    lacks, or a field it lacks, reads as no postings."""
    from whoosh.filedb import filetables

    ix = _places_index(tmp_path / "index")
    lookups: list[bytes] = []
    original = filetables.HashReader.ranges_for_key
    monkeypatch.setattr(filetables.HashReader, "ranges_for_key",
                        lambda self, key: lookups.append(key) or original(self, key))
    with ix.reader() as reader:
        (leaf, _), = reader.leaf_readers()
        lookups.clear()
        assert len(read_postings(leaf, "body", "検索")[0]) == 300
        assert len(lookups) == 1, lookups
        ids, tfs = read_postings(leaf, "body", "名古屋")
        assert len(ids) == len(tfs) == 0 and len(lookups) == 2
        assert len(read_postings(leaf, "no_such_field", "検索")[0]) == 0
