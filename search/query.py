"""Turning what a reader typed into ranked, highlighted results.

Building a query (`plan_query`) is separate from running it
(`Searcher.search`). Ranking: BM25F over an OR of every content word of the
query (title × 2, tags × 2, body × 1), plus a low-weight character-bigram
clause per kanji/katakana run for recall; then a coverage bonus rewards
posts that contain more of the query's words (weighted by rarity). A post
lacking one of the words can still rank first. Nothing a reader types
raises: odd input yields an empty result.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any, Sequence

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher as WhooshSearcher

from search.analysis import bigram_runs
from search.errors import QueryError
from search.morph import analyze
from search.schema import open_index
from search.scoring import Scorer
from search.snippets import make_snippet, mark_html

MAX_QUERY_CHARS = 256  # longer queries are cut (the web layer refuses them)
MAX_QUERY_TERMS = 32
MAX_PER_PAGE = 50
MAX_RESULT_WINDOW = 1000  # page * per_page may not go past this
MAX_FACET_VALUES = 30
FACET_FIELDS = ("tags", "categories")

FIELD_BOOSTS = {"title": 2.0, "tags_text": 2.0, "body": 1.0}
NGRAM_FIELDS = {"title_ngram": 2.0, "body_ngram": 1.0}
NGRAM_BOOST = 0.3  # bigram recall scores below any word match
COVERAGE_WEIGHT = 2.0
# Words readers add to questions that say little about the topic.
GENERIC_TERMS = frozenset(
    {"方法", "場合", "仕方", "やり方", "手順", "教える", "知る", "分かる", "思う", "欲しい",
     "良い", "必要", "可能", "出来る", "使う", "使用", "利用", "行う", "何", "どう", "どの",
     "見る", "時", "中", "上", "下", "前", "後", "ため", "もの", "よう", "について"}
)
GENERIC_WEIGHT = 0.2


@dataclass(frozen=True)
class QueryTerm:
    text: str  # the normalised index term
    surface: str  # as the reader typed it
    weight: float  # 1.0, or less for generic words


@dataclass(frozen=True)
class QueryPlan:
    text: str
    terms: tuple[QueryTerm, ...]
    ngram_runs: tuple[tuple[str, ...], ...]

    @property
    def empty(self) -> bool:
        return not self.terms and not self.ngram_runs


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


@dataclass
class SearchResult:
    query: str
    total: int
    page: int
    per_page: int
    hits: list[Hit] = field(default_factory=list)
    # counts over the whole result set, not the page: {"tags": [{"value", "count"}], ...}
    facets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def clean_text(text: str) -> str:
    """What is left of a reader's query after removing what cannot be searched."""
    text = "".join(ch for ch in text if ch.isprintable() or ch.isspace())
    text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates
    return " ".join(text.split())[:MAX_QUERY_CHARS]


def term_weight(lemma: str, term: str) -> float:
    """How much a query word says about the topic (generic words little)."""
    if lemma in GENERIC_TERMS or term in GENERIC_TERMS:
        return GENERIC_WEIGHT
    return 1.0


def plan_query(text: str) -> QueryPlan:
    """The terms and n-gram runs to search for; never raises."""
    text = clean_text(text)
    terms: dict[str, QueryTerm] = {}
    for m in analyze(text):
        if m.kept and m.term not in terms and len(terms) < MAX_QUERY_TERMS:
            terms[m.term] = QueryTerm(m.term, m.surface, term_weight(m.lemma, m.term))
    if terms and all(t.weight < 1.0 for t in terms.values()):
        terms = {k: QueryTerm(t.text, t.surface, 1.0) for k, t in terms.items()}
    runs = tuple(tuple(r) for r in bigram_runs(text)[:8])
    return QueryPlan(text, tuple(terms.values()), runs)


def filter_query(
    tags: Sequence[str] = (),
    category: str | None = None,
    author: str | None = None,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
) -> wq.Query | None:
    """Restrictions every result must satisfy (all tags must match)."""
    parts: list[wq.Query] = [wq.Term("tags", t) for t in tags if t]
    if category:
        parts.append(wq.Term("categories", category))
    if author:
        parts.append(wq.Term("author", author))
    if date_from or date_to:
        parts.append(wq.DateRange("date", _naive_utc(date_from), _naive_utc(date_to)))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else wq.And(parts)


def _naive_utc(when: datetime | None) -> datetime | None:
    if when is None or when.tzinfo is None:
        return when
    return when.astimezone(timezone.utc).replace(tzinfo=None)


class Searcher:
    """Searches one index; `refresh()` picks up new commits."""

    def __init__(self, index_dir: str | os.PathLike[str]) -> None:
        self.index_dir = index_dir
        self._ix = open_index(index_dir)
        self._searcher: WhooshSearcher = self._ix.searcher()
        self._scorer = Scorer(self._searcher)

    def close(self) -> None:
        self._searcher.close()

    def warm(self) -> None:
        """Load what every query needs (field lengths, facet tables) up front."""
        sc = self._scorer
        for fieldname in ("title", "body", "tags_text", "title_ngram", "body_ngram"):
            sc.lengths(fieldname)
        for fieldname in FACET_FIELDS:
            sc.keyword_pairs(fieldname)

    def __enter__(self) -> "Searcher":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def refresh(self) -> bool:
        """Switch to the newest index generation; True if it changed."""
        newer = self._searcher.refresh()
        if newer is self._searcher:
            return False
        self._searcher, self._scorer = newer, Scorer(newer)
        return True

    @property
    def generation(self) -> int:
        return self._searcher.reader().generation()

    @property
    def doc_count(self) -> int:
        return self._searcher.doc_count()

    def search(
        self,
        text: str,
        *,
        tags: Sequence[str] = (),
        category: str | None = None,
        author: str | None = None,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
        sort: str = "relevance",
        page: int = 1,
        per_page: int = 10,
    ) -> SearchResult:
        """Ranked results for a reader's query. Never raises on `text`."""
        if sort not in ("relevance", "date"):
            raise QueryError(f"sort must be 'relevance' or 'date', not {sort!r}")
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise QueryError(f"per_page must be between 1 and {MAX_PER_PAGE}")
        if page < 1 or page * per_page > MAX_RESULT_WINDOW:
            raise QueryError(
                f"page must be at least 1 and page × per_page at most {MAX_RESULT_WINDOW}"
            )
        plan = plan_query(text)
        flt = filter_query(tags, category, author, date_from, date_to)
        result = SearchResult(plan.text, 0, page, per_page)
        if plan.empty and flt is None:
            return result  # nothing asked
        allowed = self._allowed(flt)
        if plan.empty:
            scores = allowed.astype(np.float32)
        else:
            scores = self.scores(plan)
            scores[~allowed] = 0.0
        matches = np.flatnonzero(scores > 0)
        result.total = len(matches)
        result.facets = self._facets(scores > 0)
        if sort == "date" or plan.empty:
            order = matches[np.argsort(-self._scorer.dates()[matches], kind="stable")]
        else:
            order = matches[np.argsort(-scores[matches], kind="stable")]
        page_docs = order[(page - 1) * per_page : page * per_page]
        result.hits = self._hits([int(d) for d in page_docs], scores, plan)
        return result

    def scores(self, plan: QueryPlan) -> np.ndarray:
        """The score of every document for a plan (0 where nothing matched)."""
        sc = self._scorer
        scores = np.zeros(sc.doc_count_all, np.float32)
        coverage = np.zeros(sc.doc_count_all, np.float32)
        total_idf = 0.0
        for term in plan.terms:
            matched: list[np.ndarray] = []
            for fieldname, boost in FIELD_BOOSTS.items():
                docs, s = sc.bm25(fieldname, term.text)
                scores[docs] += boost * term.weight * s
                matched.append(docs)
            docs = np.unique(np.concatenate(matched))
            idf = math.log(1.0 + (sc.doc_count - len(docs) + 0.5) / (len(docs) + 0.5))
            coverage[docs] += idf * term.weight
            total_idf += idf * term.weight
        for run in plan.ngram_runs:
            for fieldname, boost in NGRAM_FIELDS.items():
                docs, s = sc.all_of(fieldname, run)
                scores[docs] += boost * NGRAM_BOOST * s / max(len(run), 1)
        if total_idf:
            scores *= 1.0 + COVERAGE_WEIGHT * coverage / total_idf
        return scores

    def _facets(self, mask: np.ndarray) -> dict[str, list[dict[str, Any]]]:
        return {
            name: [{"value": v, "count": c}
                   for v, c in self._scorer.facet_counts(name, mask)[:MAX_FACET_VALUES]]
            for name in FACET_FIELDS
        }

    def tags(self) -> dict[str, list[dict[str, Any]]]:
        """Every tag and category with the number of posts that have it."""
        live = self._scorer.live
        return {
            name: [{"value": v, "count": c} for v, c in self._scorer.facet_counts(name, live)]
            for name in FACET_FIELDS
        }

    def post(self, slug: str) -> dict[str, Any] | None:
        """One post's metadata (no body), or None if the slug is not indexed."""
        docnum = self._searcher.document_number(slug=slug)
        if docnum is None:
            return None
        stored = self._searcher.stored_fields(docnum)
        return {
            "slug": stored["slug"],
            "url": stored.get("url", ""),
            "title": stored.get("title", ""),
            "date": stored.get("published", ""),
            "tags": _split(stored.get("tags")),
            "categories": _split(stored.get("categories")),
            "author": stored.get("author", ""),
            "excerpt": stored.get("excerpt", ""),
        }

    def _allowed(self, flt: wq.Query | None) -> np.ndarray:
        live = self._scorer.live
        if flt is None:
            return live.copy()
        allowed = np.zeros_like(live)
        docs = list(self._searcher.docs_for_query(flt))
        allowed[docs] = True
        return allowed & live

    def _spans(
        self, fieldname: str, docnums: list[int], plan: QueryPlan
    ) -> dict[int, list[tuple[int, int, str]]]:
        """Character spans of the plan's terms in a stored field, per document."""
        spans: dict[int, list[tuple[int, int, str]]] = {d: [] for d in docnums}
        for term in plan.terms:
            for d, chars in self._scorer.char_spans(fieldname, term.text, docnums).items():
                spans[d].extend((a, b, term.text) for a, b in chars)
        return spans

    def _hits(self, docnums: list[int], scores: np.ndarray, plan: QueryPlan) -> list[Hit]:
        title_spans = self._spans("title", docnums, plan)
        body_spans = self._spans("body", docnums, plan)
        weights = {t.text: self._scorer.idf("body", t.text) * t.weight for t in plan.terms}
        hits = []
        for d in docnums:
            stored = self._searcher.stored_fields(d)
            title, body = stored.get("title", ""), stored.get("body", "")
            hits.append(Hit(
                slug=stored["slug"],
                url=stored.get("url", ""),
                title=title,
                title_html=mark_html(title, title_spans[d]),
                date=stored.get("published", ""),
                tags=_split(stored.get("tags")),
                categories=_split(stored.get("categories")),
                author=stored.get("author", ""),
                excerpt=stored.get("excerpt", ""),
                score=round(float(scores[d]), 4),
                snippet_html=make_snippet(body, body_spans[d], weights),
            ))
        return hits


def _split(value: str | None) -> list[str]:
    return [v for v in (value or "").split(",") if v]
