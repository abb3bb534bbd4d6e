"""BM25F scoring over cached postings, with NumPy.

Whoosh's own query execution walks a tree of Python matchers per posting;
for OR queries of a dozen clauses that costs tens of milliseconds. Here each
(field, term) postings list is read once per index generation into arrays
and a query is scored term-at-a-time with vector arithmetic. Whoosh remains
the storage: postings, field lengths, deletions and stored fields come from
its reader.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Iterable

import numpy as np
from whoosh.searching import Searcher as WhooshSearcher

K1 = 1.2
B = {"title": 0.5, "tags_text": 0.3, "body": 0.75, "title_ngram": 0.5, "body_ngram": 0.75}
CACHE_TERMS = 20_000
CACHE_SPANS = 50_000  # (field, term, docnum) -> character spans, for repeated queries

Postings = tuple[np.ndarray, np.ndarray]  # docnums (int32), term frequencies (float32)
_EMPTY: Postings = (np.zeros(0, np.int32), np.zeros(0, np.float32))


def _read_matcher(m: object, offset: int, ids: list, tfs: list) -> None:
    if hasattr(m, "_read_ids") and hasattr(m, "_next_block"):
        # Whoosh's leaf matcher decodes a block of postings at a time.
        while m.is_active():
            m._read_ids()
            m._read_weights()
            ids.append(np.asarray(m._ids, np.int32) + offset)
            tfs.append(np.asarray(m._weights, np.float32))
            m._next_block()
        return
    block_ids, block_tfs = [], []
    while m.is_active():
        block_ids.append(m.id() + offset)
        block_tfs.append(m.weight())
        m.next()
    ids.append(np.asarray(block_ids, np.int32))
    tfs.append(np.asarray(block_tfs, np.float32))


def bm25_idf(n: int, df: int) -> float:
    """BM25's idf of a word in `df` of `n` documents (positive even for df > n/2)."""
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


class Scorer:
    """Scoring state for one Whoosh searcher (one index generation)."""

    def __init__(self, searcher: WhooshSearcher) -> None:
        self.searcher = searcher
        reader = searcher.reader()
        self.doc_count_all = reader.doc_count_all()
        self.live = np.zeros(self.doc_count_all, bool)
        self.live[list(reader.all_doc_ids())] = True
        self.doc_count = int(self.live.sum())
        self._leaves = list(reader.leaf_readers())
        self._lengths: dict[str, tuple[np.ndarray, float]] = {}
        self._postings: OrderedDict[tuple[str, str], Postings] = OrderedDict()
        self._dates: np.ndarray | None = None
        self._spans: dict[tuple[str, str, int], list[tuple[int, int]]] = {}
        self._keywords: dict[str, tuple[list[str], np.ndarray, np.ndarray]] = {}
        self._column_terms: dict[str, dict[str, np.ndarray]] = {}

    def postings(self, fieldname: str, text: str) -> Postings:
        key = (fieldname, text)
        cached = self._postings.get(key)
        if cached is not None:
            self._postings.move_to_end(key)
            return cached
        ids: list[np.ndarray] = []
        tfs: list[np.ndarray] = []
        for leaf, offset in self._leaves:
            if (fieldname, text) in leaf:
                _read_matcher(leaf.postings(fieldname, text), offset, ids, tfs)
        if ids:
            docs, freqs = np.concatenate(ids), np.concatenate(tfs)
            keep = self.live[docs]
            result: Postings = (docs[keep], freqs[keep])
        else:
            result = _EMPTY
        self._postings[key] = result
        if len(self._postings) > CACHE_TERMS:
            self._postings.popitem(last=False)
        return result

    def lengths(self, fieldname: str) -> tuple[np.ndarray, float]:
        """Per-document field lengths and their average."""
        cached = self._lengths.get(fieldname)
        if cached is None:
            lengths = np.zeros(self.doc_count_all, np.float32)
            for leaf, offset in self._leaves:
                for d in range(leaf.doc_count_all()):
                    lengths[offset + d] = leaf.doc_field_length(d, fieldname, 0) or 0
            live_lengths = lengths[self.live]
            avg = float(live_lengths.mean()) if live_lengths.size else 1.0
            avg = avg if math.isfinite(avg) else 1.0
            cached = self._lengths[fieldname] = (lengths, max(avg, 1.0))
        return cached

    def idf(self, fieldname: str, text: str) -> float:
        return bm25_idf(max(self.doc_count, 1), len(self.postings(fieldname, text)[0]))

    def bm25(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(docnums, BM25 scores) of one term in one field."""
        docs, tf = self.postings(fieldname, text)
        if not len(docs):
            return docs, tf
        lengths, avg = self.lengths(fieldname)
        b = B.get(fieldname, 0.75)
        norm = K1 * ((1.0 - b) + b * lengths[docs] / avg)
        return docs, self.idf(fieldname, text) * tf * (K1 + 1.0) / (tf + norm)

    def all_of(self, fieldname: str, texts: Iterable[str]) -> tuple[np.ndarray, np.ndarray]:
        """Documents containing every text in the field, with summed BM25."""
        docs: np.ndarray | None = None
        total = np.zeros(self.doc_count_all, np.float32)
        for text in texts:
            d, s = self.bm25(fieldname, text)
            docs = d if docs is None else np.intersect1d(docs, d, assume_unique=True)
            total[d] += s
            if not len(docs):
                break
        if docs is None:
            return _EMPTY
        return docs, total[docs]

    def char_spans(
        self, fieldname: str, text: str, docnums: Iterable[int]
    ) -> dict[int, list[tuple[int, int]]]:
        """(start, end) character offsets of a term in some documents."""
        docs = self.postings(fieldname, text)[0]
        candidates = [int(d) for d in docnums]
        present = np.isin(candidates, docs)
        found: dict[int, list[tuple[int, int]]] = {}
        wanted = []
        for d, here in zip(candidates, present):
            if not here:
                continue
            cached = self._spans.get((fieldname, text, d))
            if cached is None:
                wanted.append(d)
            else:
                found[d] = cached
        wanted.sort()
        for leaf, offset in self._leaves:
            mine = [d for d in wanted if offset <= d < offset + leaf.doc_count_all()]
            if not mine or (fieldname, text) not in leaf:
                continue
            m = leaf.postings(fieldname, text)
            for d in mine:
                m.skip_to(d - offset)
                if m.is_active() and m.id() == d - offset:
                    found[d] = [(a, b) for _, a, b in m.value_as("characters")]
                    self._spans[fieldname, text, d] = found[d]
        if len(self._spans) > CACHE_SPANS:
            self._spans.clear()
        return found

    def keyword_pairs(self, fieldname: str) -> tuple[list[str], np.ndarray, np.ndarray]:
        """A keyword field as (values, value index per pair, docnum per pair)."""
        cached = self._keywords.get(fieldname)
        if cached is None:
            reader = self.searcher.reader()
            values: list[str] = []
            value_idx: list[np.ndarray] = []
            docs: list[np.ndarray] = []
            for btext in reader.lexicon(fieldname):
                text = btext.decode("utf-8")
                d = self.postings(fieldname, text)[0]
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

    def facet_counts(self, fieldname: str, mask: np.ndarray) -> list[tuple[str, int]]:
        """(value, number of documents in `mask` having it), most frequent first."""
        values, value_idx, docs = self.keyword_pairs(fieldname)
        if not values:
            return []
        counts = np.bincount(value_idx[mask[docs]], minlength=len(values))
        # values come in lexicon (sorted) order, so a stable sort by count
        # gives most frequent first, then alphabetical
        order = np.argsort(-counts, kind="stable")
        order = order[: np.count_nonzero(counts)]
        return [(values[i], int(counts[i])) for i in order]

    def dates(self) -> np.ndarray:
        """The `date` column of each document (search.schema.date_value; 0 if none)."""
        if self._dates is None:
            values = np.zeros(self.doc_count_all, np.int64)
            for leaf, offset in self._leaves:
                if leaf.has_column("date"):
                    column = leaf.column_reader("date", translate=False)
                    values[offset : offset + leaf.doc_count_all()] = list(column)
            self._dates = values
        return self._dates

    def column_terms(self, fieldname: str) -> dict[str, np.ndarray]:
        """term -> live docnums, for a column of space-separated ASCII terms
        (an inverted list kept in memory instead of in the index)."""
        cached = self._column_terms.get(fieldname)
        if cached is None:
            lists: dict[str, list[int]] = {}
            for leaf, offset in self._leaves:
                if not leaf.has_column(fieldname):
                    continue
                column = leaf.column_reader(fieldname, translate=False)
                for d, value in enumerate(column):
                    if value and self.live[offset + d]:
                        for term in value.decode("ascii").split():
                            lists.setdefault(term, []).append(offset + d)
            cached = self._column_terms[fieldname] = {
                t: np.asarray(docs, np.int32) for t, docs in lists.items()
            }
        return cached
