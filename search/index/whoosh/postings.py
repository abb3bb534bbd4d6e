"""Reading one term's postings in one segment into NumPy arrays.

Whoosh's W3 leaf matcher decodes a block of up to 128 postings at a time;
reading its decoded block (`_read_ids`, `_read_weights`, `_ids`,
`_weights`, `_next_block`: private members, see INTERNALS.md) is several
times faster than one `id()`/`weight()`/`next()` call per posting. Short
lists stored inline in the term's entry (`search.index.whoosh.codec`) come
as Whoosh's `ListMatcher`, read through the public API. The type decides
the path, so a Whoosh that renamed the members fails loudly instead of
silently taking the slow path.
"""

from __future__ import annotations

import numpy as np
from whoosh.codec.whoosh3 import W3LeafMatcher

Postings = tuple[np.ndarray, np.ndarray]  # docnums within the segment (int32), frequencies (float32)
EMPTY: Postings = (np.zeros(0, np.int32), np.zeros(0, np.float32))


def read_postings(leaf: object, fieldname: str, text: str) -> Postings:
    """The postings of `text` in `fieldname` of one segment reader, with
    the segment's own document numbers."""
    if (fieldname, text) not in leaf:
        return EMPTY
    matcher = leaf.postings(fieldname, text)
    if isinstance(matcher, W3LeafMatcher):
        return read_blocks(matcher)
    return read_one_by_one(matcher)


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
