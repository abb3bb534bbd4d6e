"""Turning what a reader typed into ranked, highlighted results.

A thin façade over one index generation: `search.query.plan` builds the
query, `search.query.rank` scores it, `search.query.hits` makes the page.
Ranking: BM25F over an OR of every content word of the
query (title × 2, tags × 2, body × 1), plus a low-weight character-bigram
clause per kanji/katakana run for recall; then a coverage bonus rewards
posts that contain more of the query's words (weighted by rarity). A post
lacking one of the words can still rank first. Nothing a reader types
raises: odd input yields an empty result.

Chunks typed in kana or romaji (こうそくか, kousokuka) also search the
words their reading splits into (高速, ~化; see `search.text.reading`), as one
more query word scored at READING_WEIGHT, so posts with the kana as typed
come first. Completions (`Searcher.suggest`) live in `search.query.suggest`.
"""

from __future__ import annotations

import os
import weakref
from datetime import datetime
from typing import Any, Sequence

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher as WhooshSearcher

from search.errors import IndexUnreadableError, QueryError, SearchError
from search.index.schema import build_id, date_value, index_version, open_index
from search.query.hits import FACET_FIELDS, SearchResult, facets, make_hits
from search.query.paraphrase import ParaphraseTable, may_expand
from search.query.plan import QueryPlan, clean_text, plan_query, reading_chunks, with_paraphrases
from search.query.rank import CURRENT, FIELD_BOOSTS, Ranking, docs_with, score_plan
from search.query.snapshot import Snapshot
from search.query.segments import SegmentTables
from search.query.spelling import did_you_mean, speller, written_nowhere
from search.query.suggest import MAX_SUGGESTIONS, Completions, SuggestResult, reading_table
from search.query.vocabulary import Vocabulary, changed_terms, vocabulary
from search.text.reading import ReadingTable

MAX_PER_PAGE = 50
MAX_RESULT_WINDOW = 1000  # page * per_page may not go past this


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
            snapshot = Snapshot(searcher, self.tables)
        except BaseException:
            searcher.close()
            raise
        self._searcher: WhooshSearcher = searcher
        # a Searcher dropped without close() still closes its files (quietly,
        # not through the file objects' ResourceWarning when collected)
        self._finalizer = weakref.finalize(self, searcher.close)
        self._snapshot = snapshot
        self.version = version  # changes with every commit and every rebuild

    def close(self) -> None:
        """Release the index files now; a closed Searcher cannot search again.

        Each open segment file holds a file descriptor and, once a commit or
        rebuild has deleted the file, its disk space. So every object of this
        version is dropped here, not whenever this Searcher happens to be
        collected.
        """
        searcher = vars(self).pop("_searcher", None)  # None: closed already
        vars(self).pop("_snapshot", None)
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
        self.tables.keep(self._snapshot.segment_ids)
        return True

    def warm(self) -> None:
        """Build up front every table a search or a completion would build
        on first need: field lengths, facet tables, readings, completions,
        paraphrases and the speller (a query without results asks it). After
        this, no search or suggest request builds a table of this generation
        (tests/test_warm_up.py); the editor's tables are
        `search.editorial.warm.warm_editor`'s."""
        if self.doc_count == 0:
            return  # nothing to load (and Whoosh has no columns to read)
        sc = self._snapshot
        for fieldname in ("title", "body", "tags_text", "title_ngram", "body_ngram"):
            sc.lengths(fieldname)
        for fieldname in FACET_FIELDS:
            sc.keyword_pairs(fieldname)
        sc.dates()
        self.completions()  # and with it the reading table
        self.paraphrases()
        speller(sc, self.reading_table())

    def reading_table(self) -> ReadingTable:
        """Readings of this generation's words (built once, on first need)."""
        return self._snapshot.table("readings", reading_table)

    def completions(self) -> Completions:
        """Completion tables of this generation (built once, on first need)."""
        def build(snapshot: Snapshot) -> Completions:
            earlier = snapshot.earlier("completions")  # another generation's: derived from it
            return Completions(snapshot, self.reading_table(),
                               earlier if isinstance(earlier, Completions) else None)

        return self._snapshot.table("completions", build)

    def suggest(self, text: str, limit: int = 8) -> SuggestResult:
        """Titles, tags and words completing what a reader is typing, most
        frequent first. Never raises on `text`."""
        if not 1 <= limit <= MAX_SUGGESTIONS:
            raise QueryError(f"limit must be between 1 and {MAX_SUGGESTIONS}")
        text = clean_text(text)
        return SuggestResult(text, self.completions().suggest(text, limit))

    def paraphrases(self) -> ParaphraseTable:
        """Paraphrases of verbs in this generation's vocabulary (built once, on first need)."""
        def build(snapshot: Snapshot) -> ParaphraseTable:
            words = vocabulary(snapshot)
            earlier = snapshot.earlier("paraphrases")  # another generation's: derived from it
            if isinstance(earlier, ParaphraseTable) and isinstance(getattr(earlier, "source", None), Vocabulary):
                table = ParaphraseTable(words.terms, earlier, changed_terms(earlier.source, words))
            else:
                table = ParaphraseTable(words.terms)
            table.source = words
            return table

        return self._snapshot.table("paraphrases", build)

    def plan(self, text: str, ranking: Ranking = CURRENT) -> QueryPlan:
        """`plan_query` with this index's readings when the query needs them
        (a kana chunk, or romaji the index does not have as typed, so ``AI``
        or ``data`` never build the reading table), and the paraphrases of
        its verbs (`search.query.paraphrase`)."""
        reader = self._searcher.reader()
        plan = None
        for chunk in reading_chunks(clean_text(text)):
            word = chunk.lower()
            if not (chunk.isascii() and any((f, word) in reader for f in FIELD_BOOSTS)):
                plan = plan_query(text, self.reading_table())
                break
        plan = plan_query(text) if plan is None else plan
        if ranking.paraphrases and any(may_expand(t.text, t.pos) for t in plan.terms):
            plan = with_paraphrases(plan, self.paraphrases(), lambda term: docs_with(self._snapshot, term))
        return plan

    def __enter__(self) -> "Searcher":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def generation(self) -> int:
        return int(self.version.rsplit(".", 1)[1])

    @property
    def snapshot(self) -> Snapshot:
        """Postings and statistics of the current version (changes on refresh)."""
        return self._snapshot

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
        ranking: Ranking = CURRENT,
    ) -> SearchResult:
        """Ranked results for a reader's query. Never raises on `text`.
        `ranking` selects an older ranking (for benchmarks)."""
        if sort not in ("relevance", "date"):
            raise QueryError(f"sort must be 'relevance' or 'date', not {sort!r}")
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise QueryError(f"per_page must be between 1 and {MAX_PER_PAGE}")
        if page < 1 or page * per_page > MAX_RESULT_WINDOW:
            raise QueryError(
                f"page must be at least 1 and page × per_page at most {MAX_RESULT_WINDOW}"
            )
        plan = self.plan(text, ranking)
        flt = filter_query(tags, category, author)
        result = SearchResult(plan.text, 0, page, per_page)
        if plan.empty and flt is None and date_from is None and date_to is None:
            return result  # nothing asked
        allowed = self._allowed(flt, date_from, date_to)
        if plan.empty:
            scores = allowed.astype(np.float32)
        else:
            scores = score_plan(self._snapshot, plan, ranking)
            scores[~allowed] = 0.0
        matches = np.flatnonzero(scores > 0)
        result.total = len(matches)
        result.facets = facets(self._snapshot, scores > 0)
        if sort == "date" or plan.empty:
            order = matches[np.argsort(-self._snapshot.dates()[matches], kind="stable")]
        else:
            order = matches[np.argsort(-scores[matches], kind="stable")]
        page_docs = order[(page - 1) * per_page : page * per_page]
        result.hits = make_hits(self._snapshot, [int(d) for d in page_docs], scores, plan)
        # nothing found, or only posts matching part of a query written as no post writes it
        if not plan.empty and (result.total == 0 or written_nowhere(self._snapshot, plan.text)):
            result.did_you_mean = did_you_mean(self._snapshot, self.reading_table(), plan.text)
        return result

    def tags(self) -> dict[str, list[dict[str, Any]]]:
        """Every tag and category with the number of posts that have it."""
        return facets(self._snapshot, self._snapshot.live, limit=None)

    def post(self, slug: str) -> dict[str, Any] | None:
        """One post's metadata (no body), or None if the slug is not indexed."""
        docnum = self._snapshot.docnum(slug)
        if docnum is None:
            return None
        # lists copied: the stored post is shared (Snapshot.stored)
        return {k: list(v) if isinstance(v, list) else v
                for k, v in self._snapshot.stored(docnum).summary().items()}

    def _allowed(
        self, flt: wq.Query | None, date_from: datetime | None = None, date_to: datetime | None = None
    ) -> np.ndarray:
        """The live documents that pass the filters (dates inclusive; naive means UTC)."""
        allowed = self._snapshot.live.copy()
        if flt is not None:
            # the posts of each required term, from the generation's postings
            # arrays (Whoosh's docs_for_query yields them one by one in Python)
            for term in (flt.subqueries if isinstance(flt, wq.And) else [flt]):
                matching = np.zeros_like(allowed)
                matching[self._snapshot.postings(term.fieldname, term.text)[0]] = True
                allowed &= matching
        if date_from is not None:
            allowed &= self._snapshot.dates() >= date_value(date_from)
        if date_to is not None:
            allowed &= self._snapshot.dates() <= date_value(date_to)
        return allowed
