"""Result pages: the hits of a page with highlighted titles and snippets,
and the result's facet counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from search.query.plan import QueryPlan
from search.query.rank import ONE_CHAR_SHARE, idf, is_strong
from search.query.snapshot import Snapshot
from search.text.snippets import make_snippet, mark_html

FACET_FIELDS = ("tags", "categories")
MAX_FACET_VALUES = 30


@dataclass
class Hit:
    slug: str
    url: str
    title: str
    title_html: str
    date: str
    tags: list[str]
    categories: list[str]
    author: str
    excerpt: str
    score: float
    snippet_html: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class SearchResult:
    query: str
    total: int
    page: int
    per_page: int
    hits: list[Hit] = field(default_factory=list)
    # counts over the whole result set, not the page: {"tags": [{"value", "count"}], ...};
    # every facet field is there, empty when nothing was asked
    facets: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {f: [] for f in FACET_FIELDS})

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
            "hits": [hit.to_dict() for hit in self.hits],
            "facets": self.facets,
        }


def facets(snapshot: Snapshot, mask: np.ndarray, limit: int | None = MAX_FACET_VALUES
           ) -> dict[str, list[dict[str, Any]]]:
    """Tag and category counts over the documents of `mask`, most frequent first."""
    return {
        name: [{"value": v, "count": c} for v, c in snapshot.facet_counts(name, mask)[:limit]]
        for name in FACET_FIELDS
    }


def make_hits(snapshot: Snapshot, docnums: list[int], scores: np.ndarray,
              plan: QueryPlan) -> list[Hit]:
    """The hits for `docnums` (in that order), the plan's words marked."""
    title_spans = _spans(snapshot, "title", docnums, plan)
    body_spans = _spans(snapshot, "body", docnums, plan)
    # the snippet shows the passage with the query's informative words, not
    # one where only a one-character word of it occurs
    weights = {t.text: idf(snapshot, "body", t.text) * t.weight * (1.0 if is_strong(t.text) else ONE_CHAR_SHARE)
               for t in plan.all_terms}
    hits = []
    for d in docnums:
        post = snapshot.stored(d)
        hits.append(Hit(
            slug=post.slug,
            url=post.url,
            title=post.title,
            title_html=mark_html(post.title, title_spans[d]),
            date=post.date,
            tags=post.tags,
            categories=post.categories,
            author=post.author,
            excerpt=post.excerpt,
            score=round(float(scores[d]), 4),
            snippet_html=make_snippet(post.body, body_spans[d], weights),
        ))
    return hits


def _spans(snapshot: Snapshot, fieldname: str, docnums: list[int], plan: QueryPlan
           ) -> dict[int, list[tuple[int, int, str]]]:
    """Character spans of the plan's terms in a stored field, per document."""
    spans: dict[int, list[tuple[int, int, str]]] = {d: [] for d in docnums}
    for term in plan.all_terms:
        for d, chars in snapshot.char_spans(fieldname, term.text, docnums).items():
            spans[d].extend((a, b, term.text) for a, b in chars)
    return spans
