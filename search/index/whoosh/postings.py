"""Reading one term's postings in one segment into NumPy arrays.

Whoosh's W3 leaf matcher decodes a block of up to 128 postings at a time;
reading its decoded block (`_read_ids`, `_read_weights`, `_ids`,
`_weights`, `_next_block`: private members, see INTERNALS.md) is several
times faster than one `id()`/`weight()`/`next()` call per posting. Short
lists stored inline in the term's entry (`search.index.whoosh.codec`) come
as Whoosh's `ListMatcher`, read through the public API. In a segment with
deleted posts (an updated index) Whoosh wraps the leaf matcher in a
`FilterMatcher`; its blocks are read the same way and the deleted documents
dropped with NumPy (one call per posting through the filter took 1.25-1.4×
as long, in a 2,734-post segment of ten times ja-docs after an update).
The type decides the path, so a Whoosh that renamed the members fails
loudly instead of silently taking the slow path. A term the segment lacks
is known by `postings` raising TermNotFound: asking `(field, text) in
leaf` first looked the term up twice in Whoosh's on-disk hash table, about
50 µs a lookup at ten times ja-docs.
"""

from __future__ import annotations

import numpy as np
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound

Postings = tuple[np.ndarray, np.ndarray]  # docnums within the segment (int32), frequencies (float32)
EMPTY: Postings = (np.zeros(0, np.int32), np.zeros(0, np.float32))


def read_postings(leaf: object, fieldname: str, text: str) -> Postings:
    """The postings of `text` in `fieldname` of one segment reader, with
    the segment's own document numbers."""
    try:
        matcher = leaf.postings(fieldname, text)
    except TermNotFound:  # one lookup of the term, not a `(fieldname, text) in leaf` first
        return EMPTY
    if isinstance(matcher, W3LeafMatcher):
        return read_blocks(matcher)
    if isinstance(matcher, FilterMatcher) and isinstance(matcher.child, W3LeafMatcher):
        ids, tfs = read_blocks(matcher.child)  # the segment's postings, deleted posts included
        kept = ~np.isin(ids, _deleted(leaf))
        return ids[kept], tfs[kept]
    return read_one_by_one(matcher)


def _deleted(leaf: object) -> np.ndarray:
    """The segment's deleted document numbers (the set `leaf.postings` filters out)."""
    deleted = leaf.deleted_docs_set
    return np.fromiter(deleted, np.int32, len(deleted))


def read_blocks(m: W3LeafMatcher) -> Postings:
    ids: list[np.ndarray] = []
    tfs: list[np.ndarray] = []
    while m.is_active():
        m._read_ids()
        m._read_weights()
        ids.append(np.asarray(m._ids, np.int32))
        tfs.append(np.asarray(m._weights, np.float32))
        m._next_block()
    return _joined(ids, tfs)


def read_one_by_one(m: object) -> Postings:
    """Any Whoosh matcher, through its public API."""
    ids, tfs = [], []
    while m.is_active():
        ids.append(m.id())
        tfs.append(m.weight())
        m.next()
    return np.asarray(ids, np.int32), np.asarray(tfs, np.float32)


def _joined(ids: list[np.ndarray], tfs: list[np.ndarray]) -> Postings:
    if not ids:
        return EMPTY
    return np.concatenate(ids), np.concatenate(tfs)
