"""Result pages: the hits of a page with highlighted titles and snippets,
the section each hit's best match is in, and the result's facet counts.

A hit links to the heading of the section its snippet comes from
(`url#id`, with the ids Jekyll gives headings: `search.ingest.headings`);
a long post also lists up to MAX_SUB_RESULTS of its best-matching
sections, each with a snippet, as Pagefind and DocSearch do.
"""

from __future__ import annotations

import bisect
import functools
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import numpy as np

from search.query.plan import QueryPlan
from search.query.rank import ONE_CHAR_SHARE, idf, in_sequence, is_strong, one_char_compounds
from search.query.snapshot import Snapshot
from search.index.schema import StoredPost
from search.text.snippets import (WINDOW_CHARS, Matches, best_between, choose_window, find_windows, make_snippet,
                                  mark_html, matches_of, render)

FACET_FIELDS = ("tags", "categories")
MAX_FACET_VALUES = 30
LONG_POST_CHARS = 3_000  # a post this long lists its best-matching sections
MAX_SUB_RESULTS = 3


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
    # {"title", "url"} of the section the snippet is from (None before the first heading)
    section: dict[str, str] | None = None
    # a long post's best-matching sections: {"title", "url", "snippet_html"}
    sections: list[dict[str, str]] = field(default_factory=list)

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
    # a respelt query, when this one finds nothing or is written as no post writes it
    # (ディスク仕様量, 66 posts with ディスク or 仕様 → ディスク使用量, 146 posts with it)
    did_you_mean: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
            "hits": [hit.to_dict() for hit in self.hits],
            "facets": self.facets,
            "did_you_mean": self.did_you_mean,
        }


def facets(snapshot: Snapshot, mask: np.ndarray, limit: int | None = MAX_FACET_VALUES
           ) -> dict[str, list[dict[str, Any]]]:
    """Tag and category counts over the documents of `mask`, most frequent first."""
    return {
        name: [{"value": v, "count": c} for v, c in snapshot.facet_counts(name, mask, limit)]
        for name in FACET_FIELDS
    }


def make_hits(snapshot: Snapshot, docnums: list[int], scores: np.ndarray,
              plan: QueryPlan) -> list[Hit]:
    """The hits for `docnums` (in that order), the plan's words marked."""
    title_spans = _pieces(snapshot, "title", docnums, plan)
    body_spans = _pieces(snapshot, "body", docnums, plan)
    # the snippet shows the passage with the query's informative words, not
    # one where only a one-character word of it occurs
    weights = {t.text: idf(snapshot, "body", t.text) * t.weight * (1.0 if is_strong(t.text) else ONE_CHAR_SHARE)
               for t in plan.all_terms}
    # ... but one-character words written together as in the query (連符 of 3連符) are a word
    for phrase in one_char_compounds(plan):
        weights[phrase.text] = sum(idf(snapshot, "body", text) for text in phrase.terms)
        for spans in (title_spans, body_spans):
            for d in docnums:
                spans[d].append((phrase.text, _together(spans[d], phrase.terms)))
    titles = matches_of([title_spans[d] for d in docnums])
    bodies = matches_of([body_spans[d] for d in docnums])
    # the windows of best matches of the whole page, searched once for the snippets and sections
    find_windows(bodies, weights, WINDOW_CHARS)
    hits = []
    for d, title, matches in zip(docnums, titles, bodies):
        post = snapshot.stored(d)
        first = matches.starts[best_between(matches, 0, len(matches))] if len(matches) else None
        window = choose_window(post.body, matches, weights, first)
        section, sections = _sections(post, matches, weights, window.focus)
        hits.append(Hit(
            slug=post.slug,
            url=post.url,
            title=post.title,
            title_html=mark_html(post.title, title),
            date=post.date,
            tags=list(post.tags),  # the stored post is shared (Snapshot.stored)
            categories=list(post.categories),
            author=post.author,
            excerpt=post.excerpt,
            score=round(float(scores[d]), 4),
            snippet_html=render(post.body, matches, window),
            section=section,
            sections=sections,
        ))
    return hits


def _sections(post: StoredPost, matches: Matches, weights: dict[str, float], focus: int | None
              ) -> tuple[dict[str, str] | None, list[dict[str, str]]]:
    """The section of the snippet's best match (at offset `focus`), and a
    long post's best sections."""
    if not post.sections or focus is None:
        return None, []
    starts = [offset for offset, _, _, _ in post.sections]
    at = bisect.bisect_right(starts, focus) - 1
    section = _link(post, at) if at >= 0 else None
    if len(post.body) < LONG_POST_CHARS:
        return section, []
    bounds = starts + [len(post.body)]
    scored = [(-score, i) for i, score in _section_scores(matches, bounds, weights)]
    if len(scored) < 2:
        return section, []
    sections = []
    for _, i in sorted(scored)[:MAX_SUB_RESULTS]:
        start, end = bounds[i], bounds[i + 1]
        a, b = matches.span_range(start, end)
        first = matches.starts[best_between(matches, a, b)] - start
        sections.append({**_link(post, i), "snippet_html": make_snippet(
            post.body[start:end], matches.part(start, end), weights, first)})
    return section, sections


def _section_scores(matches: Matches, bounds: list[int], weights: dict[str, float]
                    ) -> list[tuple[int, float]]:
    """(i, score) of each section [bounds[i], bounds[i + 1]) where a match
    starts: the weights of its distinct terms."""
    names, keys = matches.names, matches.keys
    edges = [bisect.bisect_left(matches.starts, bound) for bound in bounds]
    # summed in the order of the set of them, as the terms come in the text
    return [(i, sum(weights.get(key, 1.0) for key in {names[k] for k in keys[a:b]}))
            for i, (a, b) in enumerate(zip(edges, edges[1:])) if a < b]


def _together(pieces: list[tuple[str, list[tuple[int, int]]]], words: tuple[str, ...]
              ) -> list[tuple[int, int]]:
    """Spans of `words` written one right after the other, as one span."""
    lists = [[pair for key, pairs in pieces if key == word for pair in pairs] for word in words]
    return in_sequence(lists, (0,) * (len(words) - 1))


def _link(post: StoredPost, i: int) -> dict[str, str]:
    _, _, anchor, title = post.sections[i]
    return {"title": title, "url": f"{post.url}#{_quoted(anchor)}"}


@functools.lru_cache(maxsize=4096)
def _quoted(anchor: str) -> str:
    """A heading id in a URL (quoting is slow, and the same headings come back)."""
    return quote(anchor)


def _pieces(snapshot: Snapshot, fieldname: str, docnums: list[int], plan: QueryPlan
            ) -> dict[int, list[tuple[str, list[tuple[int, int]]]]]:
    """Character spans of the plan's terms in a stored field, per document:
    (term, [(start, end), ...]) in the plan's order, as `Matches.of_pieces` takes them."""
    pieces: dict[int, list[tuple[str, list[tuple[int, int]]]]] = {d: [] for d in docnums}
    for term in plan.all_terms:
        for d, chars in snapshot.char_spans(fieldname, term.text, docnums).items():
            pieces[d].append((term.text, chars))
    return pieces
