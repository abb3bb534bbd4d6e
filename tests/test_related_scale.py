"""What related posts do to stay fast on a big blog gives the answers of the
plain computation: the union of posting lists, the per-term scores without a
scan of every post, the best posts without sorting every candidate, and
document frequencies from the segments' vocabularies."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from search import Searcher
from search.editorial.related import (
    K1,
    MENTION_FIELDS,
    TEXT_FIELDS,
    _best,
    _stats,
    key_terms,
    select_terms,
    text_scores,
)
from search.query.rank import bm25, idf


@pytest.fixture(scope="module")
def searcher(index_dir: Path):
    with Searcher(index_dir) as s:
        yield s


def test_union_is_the_sorted_set_of_the_parts(searcher: Searcher) -> None:
    snapshot = searcher.snapshot
    rng = np.random.default_rng(17)
    n = snapshot.doc_count_all
    cases = [[], [np.zeros(0, np.int32)], [np.array([3, 1], np.int32)]]
    cases += [[np.sort(rng.choice(n, size=k, replace=False)).astype(np.int32) for k in sizes]
              for sizes in ([1], [n], [2, 5], [n // 2, n // 3, 1])]
    for parts in cases:
        union = snapshot.union(parts)
        expected = np.unique(np.concatenate(parts)) if parts else np.zeros(0)
        assert union.dtype == np.int32 and union.tolist() == expected.tolist()


def test_best_posts_equal_a_stable_sort_of_every_candidate() -> None:
    rng = np.random.default_rng(5)
    for _ in range(50):
        score = rng.integers(0, 6, size=200).astype(np.float32) / 4  # many ties and zeros
        candidates = np.flatnonzero(score > 0)
        for limit in (1, 5, 10, 300):
            expected = candidates[np.argsort(-score[candidates], kind="stable")[:limit]]
            assert _best(score, limit).tolist() == expected.tolist()


def scanned_text_scores(snapshot, selected):
    """text_scores as it was: a dense array per term, scanned for its posts."""
    total = np.zeros(snapshot.doc_count_all, np.float32)
    ideal, found = 0.0, []
    for k, weight in selected:
        per_term = np.zeros(snapshot.doc_count_all, np.float32)
        for fieldname, boost in TEXT_FIELDS.items():
            docs, s = bm25(snapshot, fieldname, k.term)
            if len(docs):
                per_term[docs] += boost * weight * s
                ideal += boost * weight * idf(snapshot, fieldname, k.term) * (K1 + 1.0)
        docs = np.flatnonzero(per_term)
        total[docs] += per_term[docs]
        found.append((k, docs, per_term[docs]))
    return total / ideal, [(k, docs, s / ideal) for k, docs, s in found]


@pytest.mark.parametrize("slug", ["python-asyncio", "postgresql-index-design", "aws-trainium2"])
def test_text_scores_and_frequencies_equal_the_plain_computation(searcher: Searcher, slug: str) -> None:
    snapshot = searcher.snapshot
    post = snapshot.stored(snapshot.docnum(slug))
    terms = key_terms(post.title, post.body)
    reader = snapshot.searcher.reader()
    for k in terms:
        for fields in (tuple(TEXT_FIELDS), MENTION_FIELDS):
            whoosh = next((n for n in (reader.doc_frequency(f, k.term) for f in fields) if n), 0)
            assert _stats(snapshot).doc_frequency(snapshot, fields, k.term) == whoosh, k.term
    selected = select_terms(snapshot, terms, own=True)
    assert selected
    total, contributions = text_scores(snapshot, selected)
    expected_total, expected = scanned_text_scores(snapshot, selected)
    assert total.tobytes() == expected_total.tobytes()
    assert [(k, d.tolist(), s.tobytes()) for k, d, s in contributions] == \
        [(k, d.tolist(), s.tobytes()) for k, d, s in expected]
