"""One index generation as the read side sees it (`Snapshot`).

Whoosh's own query execution walks a tree of Python matchers per posting;
for OR queries of a dozen clauses that costs tens of milliseconds. Here each
(field, term) postings list is read once per index generation into arrays
(`search.index.whoosh.postings`), and ranking (`search.query.rank`),
related articles and repeated passages are functions over a Snapshot.
Whoosh remains the storage: postings, field lengths, deletions and stored
fields come from its reader.
"""

from __future__ import annotations

import bisect
import math
import threading
import weakref
from typing import Any, Callable, Hashable, Iterable, Sequence, TypeVar

import numpy as np
from whoosh.reading import TermNotFound
from whoosh.searching import Searcher as WhooshSearcher

from search.index.schema import StoredPost
from search.index.whoosh.postings import read_postings
from search.query.lru import LRU
from search.query.segments import SegmentTables, segment_id
from search.query.termlists import TermLists

T = TypeVar("T")

CACHE_TERMS = 20_000  # (field, term) postings lists of this generation kept
CACHE_BYTES = 128 * 2**20  # ... and the bytes of their arrays; the same for per-term scores (search.query.lru)
FEW_DOCS = 64  # `char_spans` of up to this many documents groups them in Python
UNION_BY_SORT = 32  # `union` sorts parts of fewer than 1/32 of the documents, marks longer ones

Postings = tuple[np.ndarray, np.ndarray]  # docnums (int32), term frequencies (float32)
EMPTY: Postings = (np.zeros(0, np.int32), np.zeros(0, np.float32))


def union(parts: Sequence[np.ndarray], size: int | None = None) -> np.ndarray:
    """The document numbers in any of `parts`, ascending, once each (int32):
    `np.unique(np.concatenate(parts))`, by marking documents in an array of
    `size` (every document; by default up to the largest number) when the
    parts are long, instead of sorting them (slow on the long lists of
    common words in a big blog)."""
    total = sum(len(p) for p in parts)
    if total == 0:
        return EMPTY[0]
    joined = np.concatenate(parts)
    size = int(joined.max()) + 1 if size is None else size
    if total * UNION_BY_SORT < size:
        return np.unique(joined).astype(np.int32, copy=False)
    mask = np.zeros(size, bool)
    mask[joined] = True
    return np.flatnonzero(mask).astype(np.int32)


class Snapshot:
    """One index generation as the read side sees it.

    It owns the generation's Whoosh searcher, its live documents, postings
    arrays, field lengths, columns, keyword tables and stored posts, and
    every table built from them on first need (`table`: readings,
    completions, related articles' statistics); they all go with it.
    Whatever is read from a segment is kept in `tables` (shared by the
    successive generations of an index: `search.query.segments`) and
    combined here with this generation's document numbers and deletions.
    Thread-safe: a table may be built twice by two threads, never seen
    half-built. (Memos of pure text functions — morph's words, key-term
    weights, passage hashes, UniDic readings of a term, a title's keys —
    stay in their modules: they depend on the text, never on a generation.)
    """

    def __init__(self, searcher: WhooshSearcher, tables: SegmentTables | None = None) -> None:
        self.searcher = searcher
        self.tables = tables if tables is not None else SegmentTables()
        reader = searcher.reader()
        self.doc_count_all = reader.doc_count_all()
        self._leaves = list(reader.leaf_readers())
        self.live = _live(self._leaves, self.doc_count_all)
        self.doc_count = int(self.live.sum())
        self.segment_ids = [segment_id(leaf) for leaf, _ in self._leaves]
        self._offsets = [offset for _, offset in self._leaves]
        self._lengths: dict[str, tuple[np.ndarray, float]] = {}
        self._postings: LRU[tuple[str, str], Postings] = LRU(CACHE_TERMS, CACHE_BYTES)
        self._term_arrays: LRU[Hashable, Any] = LRU(CACHE_TERMS, CACHE_BYTES)
        self._dates: np.ndarray | None = None
        self._keywords: dict[str, tuple[list[str], np.ndarray, np.ndarray]] = {}
        self._column_terms: dict[str, TermLists] = {}
        self._tables: dict[Hashable, Any] = {}

    def table(self, name: Hashable, build: Callable[["Snapshot"], T]) -> T:
        """The table `name` of this generation, `build(self)` on first need."""
        try:
            return self._tables[name]
        except KeyError:
            value = self._tables[name] = build(self)
            _remember(self.tables, name, value)
            return value

    def earlier(self, name: Hashable) -> Any:
        """The table `name` built last by another Snapshot of this index in
        this process (the generation a server answers from while it warms
        this one, or another searcher of this one), while it is still in
        use; else None. A table of this generation may be derived from it
        and what changed (segments added or merged away, deletions), which
        after a small commit is far cheaper than building it from the
        whole index; derived or built, the table must be the same."""
        with _EARLIER_LOCK:
            ref = _EARLIER.get(self.tables, {}).get(name)
        found = ref() if ref is not None else None
        return None if found is None or found is self._tables.get(name) else found

    def segment_live(self) -> dict[str, np.ndarray]:
        """Each segment's live documents (a mask over its own docnums), by segment id."""
        bounds = self._offsets + [self.doc_count_all]
        return {segid: self.live[bounds[i] : bounds[i + 1]]
                for i, segid in enumerate(self.segment_ids)}

    def built(self, name: Hashable) -> bool:
        """Whether the table `name` has been built (for tests and benchmarks)."""
        return name in self._tables

    def docnum(self, slug: str) -> int | None:
        """The document number of a post, or None if it is not indexed."""
        return self.searcher.document_number(slug=slug)

    def stored(self, docnum: int) -> StoredPost:
        """A post's stored fields, kept per segment (`SegmentTables.stored`):
        shared, so not to be changed."""
        i = bisect.bisect_right(self._offsets, docnum) - 1
        if i < 0:
            raise IndexError(docnum)  # as Whoosh's reader would
        leaf, offset = self._leaves[i]
        return self.tables.stored(self.segment_ids[i], docnum - offset,
                                  lambda: StoredPost.from_fields(leaf.stored_fields(docnum - offset)))

    def postings(self, fieldname: str, text: str) -> Postings:
        key = (fieldname, text)
        cached = self._postings.get(key)
        if cached is not None:
            return cached
        ids: list[np.ndarray] = []
        tfs: list[np.ndarray] = []
        for (leaf, offset), segid in zip(self._leaves, self.segment_ids):
            local_ids, local_tfs = self.tables.postings(
                segid, fieldname, text, lambda leaf=leaf: read_postings(leaf, fieldname, text))
            if len(local_ids):
                ids.append(local_ids + offset)
                tfs.append(local_tfs)
        if ids:
            docs, freqs = np.concatenate(ids), np.concatenate(tfs)
            keep = self.live[docs]
            result: Postings = (docs[keep], freqs[keep])
        else:
            result = EMPTY
        return self._postings.put(key, result)

    def per_term(self, key: Hashable, build: Callable[[], T]) -> T:
        """What `build()` computes from one term's postings and this
        generation's statistics (a term's BM25 scores: `search.query.rank.bm25`),
        kept like the postings (the last CACHE_TERMS, CACHE_BYTES). Shared: not to be changed."""
        found = self._term_arrays.get(key)
        if found is not None:
            return found
        return self._term_arrays.put(key, build())

    def union(self, parts: Sequence[np.ndarray]) -> np.ndarray:
        """The document numbers in any of `parts`, ascending, once each
        (int32): `np.unique(np.concatenate(parts))`, by marking documents
        in an array of every document (linear) when the parts are long,
        instead of sorting them."""
        return union(parts, self.doc_count_all)

    def lengths(self, fieldname: str) -> tuple[np.ndarray, float]:
        """Per-document field lengths and their average."""
        cached = self._lengths.get(fieldname)
        if cached is None:
            lengths = np.zeros(self.doc_count_all, np.float32)
            for local, offset in self.per_segment(("lengths", fieldname),
                                                  lambda leaf: _field_lengths(leaf, fieldname)):
                lengths[offset : offset + len(local)] = local
            live_lengths = lengths[self.live]
            avg = float(live_lengths.mean()) if live_lengths.size else 1.0
            avg = avg if math.isfinite(avg) else 1.0
            cached = self._lengths[fieldname] = (lengths, max(avg, 1.0))
        return cached

    def per_segment(self, name: Hashable, build: Callable[[Any], T]) -> list[tuple[T, int]]:
        """(`build(segment reader)`, the segment's first docnum) for each
        segment, kept across generations under `name`."""
        return [(self.tables.table(segid, name, lambda leaf=leaf: build(leaf)), offset)
                for (leaf, offset), segid in zip(self._leaves, self.segment_ids)]

    def char_spans(
        self, fieldname: str, text: str, docnums: Iterable[int]
    ) -> dict[int, list[tuple[int, int]]]:
        """(start, end) character offsets of a term in some documents."""
        docs = self.postings(fieldname, text)[0]  # ascending
        candidates = np.sort(np.fromiter(docnums, np.int64))
        if not len(docs) or not len(candidates):
            return {}
        # a few hits looked up in a sorted posting list: np.isin would sort the whole list
        at = np.minimum(docs.searchsorted(candidates), len(docs) - 1)
        if len(candidates) <= FEW_DOCS:  # a result page: each document's segment by bisection
            per_segment: dict[int, list[int]] = {}
            for d, found_d in zip(candidates.tolist(), docs[at].tolist()):
                if found_d == d:
                    per_segment.setdefault(bisect.bisect_right(self._offsets, d) - 1, []).append(d)
            wanted = [(i, [d - self._offsets[i] for d in mine]) for i, mine in per_segment.items()]
        else:
            candidates = candidates[docs[at] == candidates]
            # each segment's share of them: a slice (a phrase may check thousands of posts)
            bounds = np.searchsorted(candidates, self._offsets + [self.doc_count_all])
            wanted = [(i, (candidates[bounds[i] : bounds[i + 1]] - self._offsets[i]).tolist())
                      for i in range(len(self._leaves))]
        found: dict[int, list[tuple[int, int]]] = {}
        for i, mine in wanted:
            if not mine:
                continue
            (leaf, offset), segid = self._leaves[i], self.segment_ids[i]
            spans = self.tables.spans(segid, fieldname, text, mine,
                                      lambda wanted, leaf=leaf: _read_spans(leaf, fieldname, text, wanted))
            for d, found_spans in spans.items():
                found[offset + d] = found_spans
        return found

    def keyword_pairs(self, fieldname: str) -> tuple[list[str], np.ndarray, np.ndarray]:
        """A keyword field as (values, value index per pair, docnum per pair)."""
        cached = self._keywords.get(fieldname)
        if cached is None:
            per_value: dict[str, list[np.ndarray]] = {}
            for local, offset in self.per_segment(("keywords", fieldname),
                                                  lambda leaf: _keyword_lists(leaf, fieldname)):
                for text, local_docs in local.items():
                    d = local_docs + offset
                    per_value.setdefault(text, []).append(d[self.live[d]])
            values: list[str] = []
            value_idx: list[np.ndarray] = []
            docs: list[np.ndarray] = []
            for text in sorted(per_value):
                d = np.concatenate(per_value[text])
                if len(d):
                    value_idx.append(np.full(len(d), len(values), np.int32))
                    docs.append(d)
                    values.append(text)
            if values:
                cached = (values, np.concatenate(value_idx), np.concatenate(docs))
            else:
                cached = ([], np.zeros(0, np.int32), np.zeros(0, np.int32))
            self._keywords[fieldname] = cached
        return cached

    def facet_counts(self, fieldname: str, mask: np.ndarray, limit: int | None = None
                     ) -> list[tuple[str, int]]:
        """(value, number of documents in `mask` having it), most frequent first
        (the first `limit` of them)."""
        values, value_idx, docs = self.keyword_pairs(fieldname)
        if not values:
            return []
        counts = np.bincount(value_idx[mask[docs]], minlength=len(values))
        # values come in lexicon (sorted) order, so a stable sort by count
        # gives most frequent first, then alphabetical
        order = np.argsort(-counts, kind="stable")
        nonzero = np.count_nonzero(counts)
        order = order[: nonzero if limit is None else min(nonzero, limit)]
        return [(values[i], int(counts[i])) for i in order]

    def dates(self) -> np.ndarray:
        """The `date` column of each document (search.index.schema.date_value; 0 if none)."""
        if self._dates is None:
            values = np.zeros(self.doc_count_all, np.int64)
            for local, offset in self.per_segment("dates", _dates):
                values[offset : offset + len(local)] = local
            self._dates = values
        return self._dates

    def column_terms(self, fieldname: str) -> TermLists:
        """term -> live docnums, for a column of space-separated ASCII terms
        (an inverted list kept in memory instead of in the index)."""
        cached = self._column_terms.get(fieldname)
        if cached is None:
            parts = self.per_segment(("column_terms", fieldname), lambda leaf: _column_pairs(leaf, fieldname))
            terms = [t for (t, _), _ in parts if len(t)]
            docs = [d + offset for (t, d), offset in parts if len(t)]
            if terms:
                joined_terms, joined_docs = np.concatenate(terms), np.concatenate(docs)
                live = self.live[joined_docs]
                cached = TermLists.from_pairs(joined_terms[live], joined_docs[live])
            else:
                cached = TermLists.from_pairs(np.zeros(0, "S1"), np.zeros(0, np.int32))
            self._column_terms[fieldname] = cached
        return cached


def _live(leaves: list[tuple[Any, int]], doc_count_all: int) -> np.ndarray:
    """Which documents of the generation are not deleted: each segment's
    deletions set to False (`reader.all_doc_ids()` asked every document
    whether it was deleted, one call each: 0.1 s at ten times ja-docs, at
    every opening)."""
    live = np.ones(doc_count_all, bool)
    for leaf, offset in leaves:
        if leaf.has_deletions():  # a segment of an updated index
            deleted = np.fromiter(leaf.deleted_docs_set, np.int64, len(leaf.deleted_docs_set))
            live[offset + deleted] = False
    return live


# the last table of each name built for an index (its SegmentTables), held
# weakly: a table goes with its generation (`Snapshot.earlier`)
_EARLIER: "weakref.WeakKeyDictionary[SegmentTables, dict[Hashable, weakref.ref[Any]]]" = \
    weakref.WeakKeyDictionary()
_EARLIER_LOCK = threading.Lock()


def _remember(tables: SegmentTables, name: Hashable, value: Any) -> None:
    try:
        ref = weakref.ref(value)
    except TypeError:
        return  # not a table a later generation derives from
    with _EARLIER_LOCK:
        _EARLIER.setdefault(tables, {})[name] = ref


# --- what is read from one segment (kept in SegmentTables) ----------------------


def _field_lengths(leaf: Any, fieldname: str) -> np.ndarray:
    return np.array([leaf.doc_field_length(d, fieldname, 0) or 0
                     for d in range(leaf.doc_count_all())], np.float32)


def _keyword_lists(leaf: Any, fieldname: str) -> dict[str, np.ndarray]:
    """value -> the segment's docnums having it (deleted ones included)."""
    if fieldname not in leaf.schema:
        return {}
    return {btext.decode("utf-8"): read_postings(leaf, fieldname, btext.decode("utf-8"))[0]
            for btext in leaf.lexicon(fieldname)}


def _dates(leaf: Any) -> np.ndarray:
    if not leaf.has_column("date"):
        return np.zeros(leaf.doc_count_all(), np.int64)
    return np.asarray(list(leaf.column_reader("date", translate=False)), np.int64)


def _column_pairs(leaf: Any, fieldname: str) -> tuple[np.ndarray, np.ndarray]:
    """(term, the segment's docnum) pairs sorted by term, then docnum
    (deleted documents included), for a column of space-separated ASCII
    terms. Sorted once per segment: a generation's `TermLists` then sorts
    its segments' runs laid end to end, which NumPy's stable sort (timsort)
    merges (0.65 → 0.08 s for 1.5 million hashes in 10 runs), instead of
    sorting every pair of the index again after each commit."""
    terms: list[bytes] = []
    docs: list[int] = []
    if leaf.has_column(fieldname):
        column = leaf.column_reader(fieldname, translate=False)
        for d, value in enumerate(column):
            if value:
                split = value.split()
                terms += split
                docs += [d] * len(split)
    if not terms:
        return np.zeros(0, "S1"), np.zeros(0, np.int32)
    joined = np.array(terms, dtype=bytes)
    order = np.argsort(joined, kind="stable")  # stable: each term's documents stay ascending
    return joined[order], np.array(docs, np.int32)[order]


def _read_spans(leaf: Any, fieldname: str, text: str, docnums: list[int]
                ) -> dict[int, list[tuple[int, int]]]:
    """(start, end) character offsets of a term in some documents of one
    segment (its own docnums, ascending, each having the term)."""
    found: dict[int, list[tuple[int, int]]] = {}
    try:
        m = leaf.postings(fieldname, text)
    except TermNotFound:  # one lookup of the term (search.index.whoosh.postings)
        return found
    for d in docnums:
        m.skip_to(d)
        if m.is_active() and m.id() == d:
            found[d] = [(a, b) for _, a, b in m.value_as("characters")]
    return found
