"""Ranking: BM25F over a Snapshot's postings, term-at-a-time with NumPy.

`score_plan` scores every document for a query plan: BM25F over an OR of
its words (title × 2, tags × 2, body × 1), a low-weight bigram clause per
kanji/katakana run for recall, then a coverage bonus for posts containing
more of the query's words (weighted by rarity).
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

import numpy as np

from search.query.plan import READING_WEIGHT, QueryPlan, QueryTerm, ReadingGroup
from search.query.snapshot import EMPTY, Snapshot


K1 = 1.2
B = {"title": 0.5, "tags_text": 0.3, "body": 0.75, "title_ngram": 0.5, "body_ngram": 0.75}

# How a plan is scored: BM25F over an OR of its words, field boosts, the
# bigram runs for recall below any word match, and a bonus for posts that
# contain more of the query's words (weighted by rarity).
FIELD_BOOSTS = {"title": 2.0, "tags_text": 2.0, "body": 1.0}
NGRAM_FIELDS = {"title_ngram": 2.0, "body_ngram": 1.0}
NGRAM_BOOST = 0.3  # bigram recall scores below any word match
COVERAGE_WEIGHT = 2.0


def bm25_idf(n: int, df: int) -> float:
    """BM25's idf of a word in `df` of `n` documents (positive even for df > n/2)."""
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


def idf(snapshot: Snapshot, fieldname: str, text: str) -> float:
    return bm25_idf(max(snapshot.doc_count, 1), len(snapshot.postings(fieldname, text)[0]))


def bm25(snapshot: Snapshot, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """(docnums, BM25 scores) of one term in one field."""
    docs, tf = snapshot.postings(fieldname, text)
    if not len(docs):
        return docs, tf
    lengths, avg = snapshot.lengths(fieldname)
    b = B.get(fieldname, 0.75)
    norm = K1 * ((1.0 - b) + b * lengths[docs] / avg)
    return docs, idf(snapshot, fieldname, text) * tf * (K1 + 1.0) / (tf + norm)


def all_of(snapshot: Snapshot, fieldname: str, texts: Iterable[str]) -> tuple[np.ndarray, np.ndarray]:
    """Documents containing every text in the field, with summed BM25."""
    docs: np.ndarray | None = None
    total = np.zeros(snapshot.doc_count_all, np.float32)
    for text in texts:
        d, s = bm25(snapshot, fieldname, text)
        docs = d if docs is None else np.intersect1d(docs, d, assume_unique=True)
        total[d] += s
        if not len(docs):
            break
    if docs is None:
        return EMPTY
    return docs, total[docs]


# --- scoring a query plan ------------------------------------------------------


def score_plan(snapshot: Snapshot, plan: QueryPlan) -> np.ndarray:
    """The score of every document for a plan (0 where nothing matched)."""
    scores = np.zeros(snapshot.doc_count_all, np.float32)
    coverage = np.zeros(snapshot.doc_count_all, np.float32)
    total_idf = 0.0
    for term in plan.terms:
        docs = _add_word(snapshot, (term,), scores)
        word_idf = _idf(snapshot, len(docs))
        coverage[docs] += word_idf * term.weight
        total_idf += word_idf * term.weight
    _add_runs(snapshot, plan.ngram_runs, scores)
    for group in plan.readings:  # each counts as one more word of the query
        group_scores = _reading_scores(snapshot, group)
        docs = np.flatnonzero(group_scores)
        scores += group_scores
        word_idf = _idf(snapshot, len(docs))
        coverage[docs] += word_idf
        total_idf += word_idf
    if total_idf:
        scores *= 1.0 + COVERAGE_WEIGHT * coverage / total_idf
    return scores

def _add_word(snapshot: Snapshot, alternatives: Sequence[QueryTerm], scores: np.ndarray) -> np.ndarray:
    """Add the BM25F scores of one query word (or its alternatives) to
    `scores`; return the documents that contain it."""
    matched: list[np.ndarray] = []
    for term in alternatives:
        for fieldname, boost in FIELD_BOOSTS.items():
            docs, s = bm25(snapshot, fieldname, term.text)
            scores[docs] += boost * term.weight * s
            matched.append(docs)
    return np.unique(np.concatenate(matched)) if matched else np.zeros(0, np.int32)

def _add_runs(snapshot: Snapshot, runs: Sequence[Sequence[str]], scores: np.ndarray) -> None:
    """Add the low-weight scores of the bigram view for kanji/katakana runs."""
    for run in runs:
        for fieldname, boost in NGRAM_FIELDS.items():
            docs, s = all_of(snapshot, fieldname, run)
            scores[docs] += boost * NGRAM_BOOST * s / max(len(run), 1)

def _idf(snapshot: Snapshot, df: int) -> float:
    return bm25_idf(snapshot.doc_count, df)

def _reading_scores(snapshot: Snapshot, group: ReadingGroup) -> np.ndarray:
    """Scores of the words a chunk is read as: an OR of every candidate,
    scaled down by the share of the reading's segments a post lacks,
    then by READING_WEIGHT."""
    scores = np.zeros(snapshot.doc_count_all, np.float32)
    coverage = np.zeros(snapshot.doc_count_all, np.float32)
    total_idf = 0.0
    for segment in group.segments:
        docs = _add_word(snapshot, segment, scores)
        word_idf = _idf(snapshot, len(docs))
        coverage[docs] += word_idf
        total_idf += word_idf
    _add_runs(snapshot, group.runs, scores)
    if total_idf:
        scores *= (1.0 + COVERAGE_WEIGHT * coverage / total_idf) / (1.0 + COVERAGE_WEIGHT)
    return READING_WEIGHT * scores
