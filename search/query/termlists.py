"""Many short document lists by term, in three arrays.

A column of space-separated terms (the passage hashes of repeated-passage
detection) has about as many postings as distinct terms: most hashes occur
in one post. Gathered as a dict of small arrays per segment and again per
generation, the passage hashes of ten times ja-docs took 221 MB of a
searcher's memory (RssAnon) and 6.9 CPU-seconds; as sorted byte strings
with their documents in one array (compressed sparse rows), 33 MB and
0.66 s.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

_NO_DOCS = np.zeros(0, np.int32)


class TermLists:
    """term -> ascending document numbers, read-only."""

    def __init__(self, terms: np.ndarray, starts: np.ndarray, docs: np.ndarray) -> None:
        self.terms = terms  # distinct terms, sorted (bytes)
        self.starts = starts  # term i's documents are docs[starts[i]:starts[i + 1]]
        self.docs = docs

    @classmethod
    def from_pairs(cls, terms: np.ndarray, docs: np.ndarray) -> "TermLists":
        """The lists of (term, document) pairs given with each term's
        documents in ascending order (in document order, or as runs sorted
        by term, one per segment, in segment order: the stable sort merges
        sorted runs in about linear time)."""
        if not len(terms):
            return cls(np.zeros(0, "S1"), np.zeros(1, np.int64), _NO_DOCS)
        order = np.argsort(terms, kind="stable")  # stable: each term's documents stay ascending
        terms, docs = terms[order], docs[order].astype(np.int32, copy=False)
        firsts = np.concatenate(([0], np.flatnonzero(terms[1:] != terms[:-1]) + 1))
        return cls(terms[firsts], np.append(firsts, len(terms)).astype(np.int64), docs)

    def __len__(self) -> int:
        return len(self.terms)

    def get(self, term: str, default: np.ndarray = _NO_DOCS) -> np.ndarray:
        try:
            key = term.encode("ascii")
        except UnicodeEncodeError:
            return default  # the terms are ASCII
        i = int(np.searchsorted(self.terms, key))
        if i < len(self.terms) and self.terms[i] == key:
            return self.docs[self.starts[i]:self.starts[i + 1]]
        return default

    def sizes(self) -> np.ndarray:
        """How many documents each term (in `terms` order) has."""
        return np.diff(self.starts)

    def items(self) -> Iterator[tuple[str, np.ndarray]]:
        for i, term in enumerate(self.terms.tolist()):
            yield term.decode("ascii"), self.docs[self.starts[i]:self.starts[i + 1]]
