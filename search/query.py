"""Turning what a reader typed into ranked, highlighted results.

Building a query (`plan_query`) is separate from running it
(`Searcher.search`). Ranking: BM25F over an OR of every content word of the
query (title × 2, tags × 2, body × 1), plus a low-weight character-bigram
clause per kanji/katakana run for recall; then a coverage bonus rewards
posts that contain more of the query's words (weighted by rarity). A post
lacking one of the words can still rank first. Nothing a reader types
raises: odd input yields an empty result.

Chunks typed in kana or romaji (こうそくか, kousokuka) also search the
words their reading splits into (高速, ~化; see `search.reading`), as one
more query word scored at READING_WEIGHT, so posts with the kana as typed
come first. Completions (`Searcher.suggest`) live in `search.suggest`.
"""

from __future__ import annotations

import os
import re
import unicodedata
import weakref
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Sequence

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher as WhooshSearcher

from search.analysis import bigram_runs
from search.errors import IndexUnreadableError, QueryError, SearchError
from search.morph import SUFFIX_MARK, analyze
from search.reading import MAX_READING_CHARS, ReadingTable, Segment, is_kana, kata_to_hira, to_katakana
from search.schema import build_id, date_value, index_version, open_index
from search.scoring import Scorer, bm25_idf
from search.segments import SegmentTables
from search.snippets import make_snippet, mark_html
from search.suggest import MAX_SUGGESTIONS, Completions, SuggestResult, reading_table

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
# Words found through the reading of a kana or romaji chunk (こうそくか → 高速,
# ~化) score at this share, so posts with the words as typed come first.
READING_WEIGHT = 0.5
READING_ALTERNATIVE = 0.5  # further candidates of one reading (after the best)
MAX_READING_CHUNKS = 4
_ROMAJI_CHUNK = re.compile(r"[A-Za-z][A-Za-z'-]+")


@dataclass(frozen=True)
class QueryTerm:
    text: str  # the normalised index term
    surface: str  # as the reader typed it
    weight: float  # 1.0, or less for generic words


@dataclass(frozen=True)
class ReadingGroup:
    """The words a kana or romaji chunk of the query may be read as, beyond
    the chunk's own words: one tuple of candidates per segment of its reading."""

    chunk: str
    segments: tuple[tuple[QueryTerm, ...], ...]
    runs: tuple[tuple[str, ...], ...]  # bigrams of the best reading written out

    @property
    def terms(self) -> tuple[QueryTerm, ...]:
        return tuple(t for segment in self.segments for t in segment)


@dataclass(frozen=True)
class QueryPlan:
    text: str
    terms: tuple[QueryTerm, ...]
    ngram_runs: tuple[tuple[str, ...], ...]
    readings: tuple[ReadingGroup, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.terms and not self.ngram_runs and not self.readings

    @property
    def all_terms(self) -> tuple[QueryTerm, ...]:
        """The query's words and the words found through readings (for highlighting)."""
        seen = {t.text for t in self.terms}
        extra = []
        for group in self.readings:
            for t in group.terms:
                if t.text not in seen:
                    seen.add(t.text)
                    extra.append(QueryTerm(t.text, t.surface, t.weight * READING_WEIGHT))
        return self.terms + tuple(extra)


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


def plan_query(text: str, readings: ReadingTable | None = None) -> QueryPlan:
    """The terms and n-gram runs to search for; never raises.

    With `readings` (the index's `ReadingTable`), chunks typed in kana or
    romaji also search the words they are read as (see `reading_groups`).
    """
    text = clean_text(text)
    terms: dict[str, QueryTerm] = {}
    for m in analyze(text):
        if m.kept and m.term not in terms and len(terms) < MAX_QUERY_TERMS:
            terms[m.term] = QueryTerm(m.term, m.surface, term_weight(m.lemma, m.term))
    if terms and all(t.weight < 1.0 for t in terms.values()):
        terms = {k: QueryTerm(t.text, t.surface, 1.0) for k, t in terms.items()}
    runs = tuple(tuple(r) for r in bigram_runs(text)[:8])
    groups = reading_groups(text, readings, set(terms)) if readings is not None else ()
    return QueryPlan(text, tuple(terms.values()), runs, groups)


def reading_chunks(text: str) -> list[str]:
    """The chunks of a cleaned query worth reading (NFKC-folded): all kana,
    or ASCII letters that are clean romaji. Cheap: no index needed."""
    chunks = []
    for chunk in text.split()[:MAX_QUERY_TERMS]:
        chunk = unicodedata.normalize("NFKC", chunk)  # ｺｳｿｸｶ, ｋｏｕｓｏｋｕｋａ
        if 2 <= len(chunk) <= MAX_READING_CHARS and (
            is_kana(chunk) or (_ROMAJI_CHUNK.fullmatch(chunk) and to_katakana(chunk))
        ):
            chunks.append(chunk)
    return chunks[:MAX_READING_CHUNKS]


def reading_groups(text: str, readings: ReadingTable, own: set[str]) -> tuple[ReadingGroup, ...]:
    """The words each kana or romaji chunk is read as, other than the query's
    `own` words; romaji only when the index lacks it as typed (``python``
    stays python, ``kousokuka`` is read こうそくか)."""
    groups = []
    for chunk in reading_chunks(text):
        if chunk.isascii() and chunk.lower() in readings.vocabulary:
            continue
        kata = to_katakana(chunk)
        if not kata:
            continue
        # particles and auxiliaries MeCab finds (in hiragana) may be left out
        skippable = [(m.start, m.end) for m in analyze(kata_to_hira(kata)) if not m.kept]
        segments = readings.segment(kata, skippable)
        group = _reading_group(chunk, kata, segments, own)
        if group is not None:
            groups.append(group)
    return tuple(groups)


def _reading_group(
    chunk: str, kata: str, segments: list[Segment], own: set[str]
) -> ReadingGroup | None:
    candidates = []
    for segment in segments:
        # the best reading at full weight, homophones less; the query's own words are scored already
        words = tuple(
            QueryTerm(w, chunk, 1.0 if i == 0 else READING_ALTERNATIVE)
            for i, w in enumerate(segment.terms) if w not in own
        )
        if words:
            candidates.append(words)
    if not candidates:
        return None  # the chunk's own words are all its reading gives
    # the best reading written out, block by block of adjacent segments (高速化)
    blocks: list[list[str]] = []
    end = -1
    for segment in segments:
        adjacent = segment.start == end or (segment.start == end + 1 and kata[end] == "ー")
        if not blocks or not adjacent:
            blocks.append([])
        blocks[-1].append(segment.terms[0].lstrip(SUFFIX_MARK))
        end = segment.end
    runs = tuple(tuple(r) for block in blocks for r in bigram_runs("".join(block)))
    return ReadingGroup(chunk, tuple(candidates), runs[:4])


def filter_query(
    tags: Sequence[str] = (),
    category: str | None = None,
    author: str | None = None,
) -> wq.Query | None:
    """Restrictions every result must satisfy (all tags must match); dates
    are filtered on the `date` column (`Searcher._allowed`)."""
    parts: list[wq.Query] = [wq.Term("tags", t) for t in tags if t]
    if category:
        parts.append(wq.Term("categories", category))
    if author:
        parts.append(wq.Term("author", author))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else wq.And(parts)


class Searcher:
    """Searches one index folder; `refresh()` moves to its newest version."""

    def __init__(self, index_dir: str | os.PathLike[str],
                 tables: SegmentTables | None = None) -> None:
        self.index_dir = index_dir
        # what was read from each segment, shared with this index's later
        # generations (`successor`): a commit re-reads only its new segments
        self.tables = tables if tables is not None else SegmentTables()
        self._open()

    def _open(self) -> None:
        build = build_id(self.index_dir)  # read first: a swap in between is seen later
        ix = open_index(self.index_dir, readonly=True)  # searching never writes
        searcher = ix.searcher()
        generation = searcher.reader().generation()
        version = f"{build}.{ix.latest_generation() if generation is None else generation}"
        try:
            scorer = Scorer(searcher, self.tables)
        except BaseException:
            searcher.close()
            raise
        self._searcher: WhooshSearcher = searcher
        # a Searcher dropped without close() still closes its files (quietly,
        # not through the file objects' ResourceWarning when collected)
        self._finalizer = weakref.finalize(self, searcher.close)
        self._scorer = scorer
        self._readings: ReadingTable | None = None  # built on first need, per generation
        self._completions: Completions | None = None
        self.version = version  # changes with every commit and every rebuild

    def close(self) -> None:
        """Release the index files now; a closed Searcher cannot search again.

        Each open segment file holds a file descriptor and, once a commit or
        rebuild has deleted the file, its disk space. So every object of this
        version is dropped here, not whenever this Searcher happens to be
        collected.
        """
        searcher = vars(self).pop("_searcher", None)  # None: closed already
        vars(self).pop("_scorer", None)
        self._readings = self._completions = None
        if searcher is not None:
            self._finalizer.detach()
            searcher.close()

    def is_current(self) -> bool:
        """Whether this is the newest commit or rebuild of the index (a
        directory listing: cheap enough for every request)."""
        try:
            return index_version(self.index_dir) == self.version
        except IndexUnreadableError:
            raise  # a new worker could not open it either: say so, not answer from an old version
        except (SearchError, OSError):
            return True  # nothing newer can be opened now

    def successor(self) -> "Searcher":
        """A new Searcher on the newest version of the index, sharing what
        this one read from the segments the two have in common. Raises
        SearchError or OSError when it cannot be opened."""
        return Searcher(self.index_dir, self.tables)

    def refresh(self) -> bool:
        """Switch to the newest commit or rebuild of the index; True if it changed.

        The new version is opened afresh (Whoosh's own refresh would keep
        segment readers with their old deletions). If it cannot be opened
        (a rebuild being swapped in), the current version keeps answering.
        """
        try:
            if index_version(self.index_dir) == self.version:
                return False
            old, old_finalizer = self._searcher, self._finalizer
            self._open()
        except (SearchError, OSError):
            return False
        old_finalizer.detach()
        old.close()
        self.tables.keep(self._scorer.segment_ids)
        return True

    def warm(self) -> None:
        """Load what every query needs (field lengths, facet tables) up front."""
        if self.doc_count == 0:
            return  # nothing to load (and Whoosh has no columns to read)
        sc = self._scorer
        for fieldname in ("title", "body", "tags_text", "title_ngram", "body_ngram"):
            sc.lengths(fieldname)
        for fieldname in FACET_FIELDS:
            sc.keyword_pairs(fieldname)
        self.completions()  # and with it the reading table

    def reading_table(self) -> ReadingTable:
        """Readings of this generation's words (built once, on first need)."""
        if self._readings is None:
            self._readings = reading_table(self._scorer)
        return self._readings

    def completions(self) -> Completions:
        """Completion tables of this generation (built once, on first need)."""
        if self._completions is None:
            self._completions = Completions(self._scorer, self.reading_table())
        return self._completions

    def suggest(self, text: str, limit: int = 8) -> SuggestResult:
        """Titles, tags and words completing what a reader is typing, most
        frequent first. Never raises on `text`."""
        if not 1 <= limit <= MAX_SUGGESTIONS:
            raise QueryError(f"limit must be between 1 and {MAX_SUGGESTIONS}")
        text = clean_text(text)
        return SuggestResult(text, self.completions().suggest(text, limit))

    def plan(self, text: str) -> QueryPlan:
        """`plan_query` with this index's readings when the query needs them:
        a kana chunk, or romaji the index does not have as typed (so ``AI``
        or ``data`` never build the reading table)."""
        reader = self._searcher.reader()
        for chunk in reading_chunks(clean_text(text)):
            word = chunk.lower()
            if not (chunk.isascii() and any((f, word) in reader for f in FIELD_BOOSTS)):
                return plan_query(text, self.reading_table())
        return plan_query(text)

    def __enter__(self) -> "Searcher":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def generation(self) -> int:
        return int(self.version.rsplit(".", 1)[1])

    @property
    def scorer(self) -> Scorer:
        """Postings and statistics of the current version (changes on refresh)."""
        return self._scorer

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
        plan = self.plan(text)
        flt = filter_query(tags, category, author)
        result = SearchResult(plan.text, 0, page, per_page)
        if plan.empty and flt is None and date_from is None and date_to is None:
            return result  # nothing asked
        allowed = self._allowed(flt, date_from, date_to)
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
            docs = self._add_word((term,), scores)
            idf = self._idf(len(docs))
            coverage[docs] += idf * term.weight
            total_idf += idf * term.weight
        self._add_runs(plan.ngram_runs, scores)
        for group in plan.readings:  # each counts as one more word of the query
            group_scores = self._reading_scores(group)
            docs = np.flatnonzero(group_scores)
            scores += group_scores
            idf = self._idf(len(docs))
            coverage[docs] += idf
            total_idf += idf
        if total_idf:
            scores *= 1.0 + COVERAGE_WEIGHT * coverage / total_idf
        return scores

    def _add_word(self, alternatives: Sequence[QueryTerm], scores: np.ndarray) -> np.ndarray:
        """Add the BM25F scores of one query word (or its alternatives) to
        `scores`; return the documents that contain it."""
        matched: list[np.ndarray] = []
        for term in alternatives:
            for fieldname, boost in FIELD_BOOSTS.items():
                docs, s = self._scorer.bm25(fieldname, term.text)
                scores[docs] += boost * term.weight * s
                matched.append(docs)
        return np.unique(np.concatenate(matched)) if matched else np.zeros(0, np.int32)

    def _add_runs(self, runs: Sequence[Sequence[str]], scores: np.ndarray) -> None:
        """Add the low-weight scores of the bigram view for kanji/katakana runs."""
        for run in runs:
            for fieldname, boost in NGRAM_FIELDS.items():
                docs, s = self._scorer.all_of(fieldname, run)
                scores[docs] += boost * NGRAM_BOOST * s / max(len(run), 1)

    def _idf(self, df: int) -> float:
        return bm25_idf(self._scorer.doc_count, df)

    def _reading_scores(self, group: ReadingGroup) -> np.ndarray:
        """Scores of the words a chunk is read as: an OR of every candidate,
        scaled down by the share of the reading's segments a post lacks,
        then by READING_WEIGHT."""
        sc = self._scorer
        scores = np.zeros(sc.doc_count_all, np.float32)
        coverage = np.zeros(sc.doc_count_all, np.float32)
        total_idf = 0.0
        for segment in group.segments:
            docs = self._add_word(segment, scores)
            idf = self._idf(len(docs))
            coverage[docs] += idf
            total_idf += idf
        self._add_runs(group.runs, scores)
        if total_idf:
            scores *= (1.0 + COVERAGE_WEIGHT * coverage / total_idf) / (1.0 + COVERAGE_WEIGHT)
        return READING_WEIGHT * scores

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

    def _allowed(
        self, flt: wq.Query | None, date_from: datetime | None = None, date_to: datetime | None = None
    ) -> np.ndarray:
        """The live documents that pass the filters (dates inclusive; naive means UTC)."""
        allowed = self._scorer.live.copy()
        if flt is not None:
            matching = np.zeros_like(allowed)
            matching[list(self._searcher.docs_for_query(flt))] = True
            allowed &= matching
        if date_from is not None:
            allowed &= self._scorer.dates() >= date_value(date_from)
        if date_to is not None:
            allowed &= self._scorer.dates() <= date_value(date_to)
        return allowed

    def _spans(
        self, fieldname: str, docnums: list[int], plan: QueryPlan
    ) -> dict[int, list[tuple[int, int, str]]]:
        """Character spans of the plan's terms in a stored field, per document."""
        spans: dict[int, list[tuple[int, int, str]]] = {d: [] for d in docnums}
        for term in plan.all_terms:
            for d, chars in self._scorer.char_spans(fieldname, term.text, docnums).items():
                spans[d].extend((a, b, term.text) for a, b in chars)
        return spans

    def _hits(self, docnums: list[int], scores: np.ndarray, plan: QueryPlan) -> list[Hit]:
        title_spans = self._spans("title", docnums, plan)
        body_spans = self._spans("body", docnums, plan)
        weights = {t.text: self._scorer.idf("body", t.text) * t.weight for t in plan.all_terms}
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
