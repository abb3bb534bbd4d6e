"""Related posts: for an indexed post or for a draft.

Like Lucene's MoreLikeThis, adapted to Japanese:

1. key terms: the content words of the title and the first ANALYSED_CHARS
   characters of the body (`search.text.keyterms`: nouns weigh most; particles,
   pronouns, numbers, generic words out), analysed per request — measured
   against storing key terms at index time, this gave the same precision at
   a few milliseconds more per request, where storing them made a full
   index build half as long again (bench/related.py, the report of issue 4);
2. selection: words in more than MAX_DF_RATIO of the posts (or, in a small
   blog, in more than MIN_DF_CAP other posts) and words no other post
   contains are dropped; the rest are ranked by
   (1 + log tf) · idf and the best MAX_QUERY_TERMS kept;
3. text similarity: BM25 of those words in every post's body and title
   (cached postings, `search.query.rank`), each word weighted by its
   selection score, divided by the score of an ideal post that had every
   word as often as BM25 can reward (0..1, comparable across sources);
4. mentions of titles, as when posts cross-link: the share of each post's
   title that the source's key terms mention (the idf of the title words
   mentioned over that of all of them), times MENTION_WEIGHT; and the share
   of the source's title that each post's body mentions, times
   MENTIONED_BY_WEIGHT;
5. text = (3) + (4), divided by the best candidate's;
6. tag similarity: idf-weighted Jaccard of tags and categories;
7. score = (text + TAG_WEIGHT · tags) / (1 + TAG_WEIGHT).

On ja-docs (bench/related.py, text only) the mentions raised precision@5
from 1.23 to 1.34 times that of Whoosh's more_like(), and from 1.17 to 1.23
times when the man pages' SEE ALSO sections are cut from the source. For
that, (3) must not depend on the best candidate (divided by it instead of
by the ideal post, the mentions gained half as much), and a title word's
idf is the bodies' (the titles' gave 1.32). BM25 saturation of the
source's term frequencies, more key terms, a higher title weight, a length
penalty and character bigrams for compounds the dictionary splits each
changed precision by less than 0.01 or lowered it.

Every result says why: the shared words (as the source writes them) and
the shared tags.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from search.ingest.drafts import make_draft
from search.errors import NotFound
from search.text.keyterms import KeyTerm, count_key_terms
from search.query.searcher import Searcher
from search.query.rank import K1, bm25, bm25_idf, idf
from search.query.snapshot import Snapshot
from search.query.vocabulary import vocabulary

ANALYSED_CHARS = 5_000  # of a body: key terms come from the title and this much text
MAX_KEY_TERMS = 150  # heaviest key terms looked up in the index (then MAX_QUERY_TERMS kept)
MAX_QUERY_TERMS = 30
MAX_DF_RATIO = 0.25  # words in more posts than this say little about a topic ...
MIN_DF_CAP = 3  # ... but a small blog may have three posts on one topic
TEXT_FIELDS = {"body": 1.0, "title": 1.0}
MENTION_WEIGHT = 0.15  # a post whose whole title the source mentions gains this much ...
MENTIONED_BY_WEIGHT = 0.1  # ... a post whose body mentions the source's whole title, this much
MENTION_FIELDS = ("body", "title")  # a title word's idf: the bodies' (the titles' if in no body)
TAG_WEIGHT = 0.5
CATEGORY_FACTOR = 0.5  # a shared category counts half as much as a shared tag of equal rarity
MAX_SHARED_TERMS = 8
MAX_LIMIT = 50
SUGGEST_FROM = 10  # suggested tags come from this many closest posts
MAX_SUGGESTIONS = 5
MIN_SUGGESTION = 0.1  # share of the closest posts' weight that must carry a tag


class PostNotFound(NotFound):
    """No indexed post has the given slug."""

    code = "post_not_found"


@dataclass
class RelatedPost:
    slug: str
    url: str
    title: str
    score: float  # 0..1
    shared_terms: list[str]  # the source's words that this post also uses, strongest first
    shared_tags: list[str]
    shared_categories: list[str]
    tags: list[str]  # all of this post's tags


@dataclass
class RelatedResult:
    slug: str
    title: str
    key_terms: list[str]  # the words the search used, strongest first
    related: list[RelatedPost] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SuggestedTag:
    tag: str
    score: float  # 0..1: share of the closest posts' similarity carrying the tag


@dataclass
class DraftResult:
    title: str
    key_terms: list[str]
    related: list[RelatedPost] = field(default_factory=list)
    suggested_tags: list[SuggestedTag] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Source:
    """What related posts are computed from."""

    terms: Sequence[KeyTerm]
    tags: Sequence[str] = ()
    categories: Sequence[str] = ()
    docnum: int | None = None  # the post itself, excluded from the results
    title_terms: Sequence[KeyTerm] = ()  # the content words of the source's title


def related_posts(
    searcher: Searcher, slug: str, limit: int = 5, use_tags: bool = True
) -> RelatedResult:
    """The posts most related to an indexed post. Raises PostNotFound."""
    snapshot = searcher.snapshot
    docnum = snapshot.docnum(slug)
    if docnum is None:
        raise PostNotFound(f"no post with slug {slug!r} is indexed")
    post = snapshot.stored(docnum)
    source = Source(key_terms(post.title, post.body), post.tags, post.categories, docnum,
                    count_key_terms(post.title, ""))
    ranked, selected = rank_related(snapshot, source, limit, use_tags)
    return RelatedResult(slug, post.title, _shown(selected), ranked)


def related_to_draft(
    searcher: Searcher,
    title: str,
    body: str,
    tags: Iterable[str] | None = None,
    limit: int = 5,
    *,
    categories: Iterable[str] | None = None,
    use_tags: bool = True,
) -> DraftResult:
    """Posts related to an unpublished text, and tags to give it. Raises DraftTooLarge."""
    draft = make_draft(title, body, tags, categories)
    snapshot = searcher.snapshot
    source = Source(key_terms(draft.title, draft.body), draft.tags, draft.categories,
                    title_terms=count_key_terms(draft.title, ""))
    ranked, selected = rank_related(snapshot, source, max(limit, SUGGEST_FROM), use_tags)
    return DraftResult(
        draft.title,
        _shown(selected),
        ranked[:limit],
        suggest_tags(ranked[:SUGGEST_FROM], draft.tags),
    )


def key_terms(title: str, body: str) -> list[KeyTerm]:
    """The heaviest content words of a title and the beginning of a body."""
    return count_key_terms(title, body[:ANALYSED_CHARS], MAX_KEY_TERMS)


def rank_related(
    snapshot: Snapshot,
    source: Source,
    limit: int,
    use_tags: bool = True,
    fields: Mapping[str, float] = TEXT_FIELDS,
    mentions: bool = True,
) -> tuple[list[RelatedPost], list[tuple[KeyTerm, float]]]:
    """The best `limit` related posts, and the weighted terms used.

    `fields`: the indexed fields compared, with their weights; `mentions`:
    whether titles mentioned in the other text count (step 4 above).
    """
    limit = max(1, min(limit, MAX_LIMIT))
    own = source.docnum is not None
    selected = select_terms(snapshot, source.terms, own, fields)
    text, contributions = text_scores(snapshot, selected, fields)
    if mentions:
        most = _max_df(snapshot, own)
        for signal in (title_mentions(snapshot, source.terms, most),
                       mentioned_by(snapshot, source.title_terms, most)):
            text += signal[0]
            contributions += signal[1]
    if own:
        text[source.docnum] = 0.0
    best = float(text.max()) if text.size else 0.0
    if best > 0:
        text /= best
    score = text
    if use_tags and (source.tags or source.categories):
        score = (text + TAG_WEIGHT * tag_scores(snapshot, source.tags, source.categories)) / (
            1.0 + TAG_WEIGHT
        )
    score[~snapshot.live] = 0.0
    if own:
        score[source.docnum] = 0.0
    top = _best(score, limit)
    shared = _shared_terms(contributions, top)
    return [_describe(snapshot, int(d), float(score[d]), source, words)
            for d, words in zip(top, shared)], selected


def _best(score: np.ndarray, limit: int) -> np.ndarray:
    """The `limit` posts of highest positive score, best first (equal scores:
    lower docnum first), without sorting every candidate."""
    candidates = np.flatnonzero(score > 0)
    values = score[candidates]
    if len(candidates) > limit:
        kth = np.partition(values, len(values) - limit)[len(values) - limit]
        keep = values >= kth  # every post that can be among the best, ties included
        candidates, values = candidates[keep], values[keep]
    return candidates[np.argsort(-values, kind="stable")[:limit]]


def select_terms(
    snapshot: Snapshot, terms: Sequence[KeyTerm], own: bool, fields: Iterable[str] = TEXT_FIELDS
) -> list[tuple[KeyTerm, float]]:
    """The key terms worth searching for, with their weights, best first.

    `own`: the source is itself indexed, so a word must be in two posts.
    """
    stats = _stats(snapshot)
    n = max(snapshot.doc_count, 1)
    least, most = (2 if own else 1), _max_df(snapshot, own)
    scored = []
    for k in terms:
        df = stats.doc_frequency(snapshot, tuple(fields), k.term)
        if df < least or df > most:
            continue
        scored.append((k, (1.0 + math.log(max(k.weight, 1.0))) * bm25_idf(n, df)))
    scored.sort(key=lambda kw: (-kw[1], kw[0].term))
    return scored[:MAX_QUERY_TERMS]


def _max_df(snapshot: Snapshot, own: bool) -> float:
    """Words in more posts than this are too common to relate two posts."""
    return max(MAX_DF_RATIO * max(snapshot.doc_count, 1), MIN_DF_CAP + (1 if own else 0))


Contribution = tuple[KeyTerm, np.ndarray, np.ndarray]  # term, docnums, scores


def text_scores(
    snapshot: Snapshot,
    selected: Sequence[tuple[KeyTerm, float]],
    fields: Mapping[str, float] = TEXT_FIELDS,
) -> tuple[np.ndarray, list[Contribution]]:
    """Weighted BM25 of the selected terms in every post, and each term's share.

    Scores are divided by an ideal post's (every term, in every field, as
    often as BM25 rewards), so they are 0..1 whatever the source.
    """
    total = np.zeros(snapshot.doc_count_all, np.float32)
    per_term = np.zeros(snapshot.doc_count_all, np.float32)  # zeroed again where written
    ideal = 0.0
    found = []
    for k, weight in selected:
        parts = []
        for fieldname, boost in fields.items():
            docs, s = bm25(snapshot, fieldname, k.term)
            if len(docs):
                per_term[docs] += boost * weight * s
                ideal += boost * weight * idf(snapshot, fieldname, k.term) * (K1 + 1.0)
                parts.append(docs)
        # the posts with the term (ascending): no scan of every post per term
        docs = parts[0] if len(parts) == 1 else snapshot.union(parts)
        values = per_term[docs]
        per_term[docs] = 0.0
        if not values.all():
            docs, values = docs[values != 0], values[values != 0]
        total[docs] += values
        found.append((k, docs, values))
    if ideal <= 0:
        return total, []
    return total / ideal, [(k, docs, s / ideal) for k, docs, s in found]


def title_mentions(
    snapshot: Snapshot, terms: Sequence[KeyTerm], most: float
) -> tuple[np.ndarray, list[Contribution]]:
    """MENTION_WEIGHT times the share of each post's title that these words mention.

    A title's share is the idf of its words that the text mentions over the
    idf of all its words: a text naming a post's subject (its whole title,
    or its rare words) is about that post, however briefly it mentions it.
    A word's idf is that of the bodies, which tell how common a word is
    better than the titles do. Words in more than `most` titles do not count.
    """
    stats = _stats(snapshot)
    information = stats.title_information(snapshot)
    n = max(snapshot.doc_count, 1)
    total = np.zeros(snapshot.doc_count_all, np.float32)
    contributions = []
    for k in terms:
        docs = snapshot.postings("title", k.term)[0]
        if not len(docs) or len(docs) > most:
            continue
        idf = bm25_idf(n, stats.doc_frequency(snapshot, MENTION_FIELDS, k.term))
        share = MENTION_WEIGHT * idf / information[docs]
        total[docs] += share
        contributions.append((k, docs, share))
    return total, contributions


def mentioned_by(
    snapshot: Snapshot, title_terms: Sequence[KeyTerm], most: float
) -> tuple[np.ndarray, list[Contribution]]:
    """MENTIONED_BY_WEIGHT times the share of the source's title each post's body mentions."""
    n = max(snapshot.doc_count, 1)
    weighted = []
    for k in title_terms:
        docs = snapshot.postings("body", k.term)[0]
        if len(docs):
            weighted.append((k, docs, bm25_idf(n, len(docs))))
    information = sum(word_idf for _, _, word_idf in weighted)
    total = np.zeros(snapshot.doc_count_all, np.float32)
    contributions = []
    for k, docs, word_idf in weighted:
        if len(docs) <= most:
            share = np.full(len(docs), MENTIONED_BY_WEIGHT * word_idf / information, np.float32)
            total[docs] += share
            contributions.append((k, docs, share))
    return total, contributions


def _shared_terms(contributions: Sequence[Contribution], top: np.ndarray) -> list[list[str]]:
    """For each post in `top`, the source's words it shares, by their share of its score."""
    shares: list[dict[str, float]] = [{} for _ in top]
    for k, docs, s in contributions:
        if not len(docs):
            continue
        at = np.minimum(np.searchsorted(docs, top), len(docs) - 1)
        for i in np.flatnonzero(docs[at] == top):
            # several terms can be written the same way (trainium2, trainium): one entry
            shares[i][k.surface] = shares[i].get(k.surface, 0.0) + float(s[at[i]])
    return [sorted(words, key=lambda w: -words[w])[:MAX_SHARED_TERMS] for words in shares]


def _describe(
    snapshot: Snapshot, docnum: int, score: float, source: Source, shared_terms: list[str]
) -> RelatedPost:
    post = snapshot.stored(docnum)
    return RelatedPost(
        slug=post.slug,
        url=post.url,
        title=post.title,
        score=round(score, 4),
        shared_terms=shared_terms,
        shared_tags=[t for t in source.tags if t in post.tags],
        shared_categories=[c for c in source.categories if c in post.categories],
        tags=post.tags,
    )


class _TagTable:
    """The idf of each tag and category, and each post's total of them."""

    def __init__(self, snapshot: Snapshot) -> None:
        n = max(snapshot.doc_count, 1)
        self.weights: dict[tuple[str, str], float] = {}
        self.totals = np.zeros(snapshot.doc_count_all, np.float32)
        for fieldname, factor in (("tags", 1.0), ("categories", CATEGORY_FACTOR)):
            values, value_idx, docs = snapshot.keyword_pairs(fieldname)
            if not values:
                continue
            df = np.bincount(value_idx, minlength=len(values))
            idf = factor * np.log(1.0 + (n - df + 0.5) / (df + 0.5))
            self.totals += np.bincount(docs, weights=idf[value_idx],
                                       minlength=snapshot.doc_count_all).astype(np.float32)
            self.weights.update(((fieldname, v), float(w)) for v, w in zip(values, idf))


class _Stats:
    """Collection statistics of one index generation, computed as they are needed."""

    DF_CACHE = 100_000

    def __init__(self) -> None:
        self.tag_table: _TagTable | None = None
        self._title_information: np.ndarray | None = None
        self._df: dict[tuple[tuple[str, ...], str], int] = {}

    def doc_frequency(self, snapshot: Snapshot, fields: tuple[str, ...], term: str) -> int:
        """Posts containing the term in the first of `fields` that has it
        (Whoosh's doc_frequency: the sum over the segments, deleted posts
        not yet merged away included), from the generation's vocabulary
        (`search.query.vocabulary`) instead of Whoosh's term files."""
        df = self._df.get((fields, term))
        if df is None:
            df = vocabulary(snapshot).doc_frequency(fields, term)
            if len(self._df) >= self.DF_CACHE:
                self._df.clear()
            self._df[fields, term] = df
        return df

    def tags(self, snapshot: Snapshot) -> _TagTable:
        if self.tag_table is None:
            self.tag_table = _TagTable(snapshot)
        return self.tag_table

    def title_information(self, snapshot: Snapshot) -> np.ndarray:
        """Each post's sum of the idf (MENTION_FIELDS) of its title's words
        (1 for a title without words).

        From each segment's (title word, post) pairs, kept across
        generations (`_title_pairs`), and the generation's vocabulary: a
        few NumPy operations over the pairs, no Python loop over the words
        or posts of the blog. The sums are added up in float32 word by word,
        in the order of the words' first appearance in the segments'
        lexicons, as a loop over the words would.
        """
        if self._title_information is None:
            self._title_information = _title_information(snapshot)
        return self._title_information


def _title_information(snapshot: Snapshot) -> np.ndarray:
    word_ids: dict[str, int] = {}  # in order of first appearance
    docs: list[np.ndarray] = []
    words: list[np.ndarray] = []
    for (local_words, local_docs, local_word_idx), offset in snapshot.per_segment("title pairs", _title_pairs):
        ids = np.array([word_ids.setdefault(w, len(word_ids)) for w in local_words], np.int64)
        docs.append(local_docs.astype(np.int64) + offset)
        words.append(ids[local_word_idx] if len(ids) else np.zeros(0, np.int64))
    total = np.zeros(snapshot.doc_count_all, np.float32)
    if not word_ids:
        return np.ones(snapshot.doc_count_all, np.float32)
    doc, word = np.concatenate(docs), np.concatenate(words)
    keep = snapshot.live[doc]
    doc, word = doc[keep], word[keep]
    n = max(snapshot.doc_count, 1)
    words = vocabulary(snapshot)
    idf = np.array([bm25_idf(n, words.doc_frequency(MENTION_FIELDS, w)) for w in word_ids],
                   np.float64).astype(np.float32)
    order = np.lexsort((word, doc))
    doc, word = doc[order], word[order]
    # each post's j-th word in round j: a post's sum grows word by word
    starts = np.flatnonzero(np.r_[True, doc[1:] != doc[:-1]])
    rank = np.arange(len(doc)) - np.repeat(starts, np.diff(np.r_[starts, len(doc)]))
    for j in range(int(rank.max()) + 1 if len(rank) else 0):
        at = rank == j
        total[doc[at]] += idf[word[at]]
    return np.where(total > 0, total, 1.0).astype(np.float32)


def _title_pairs(leaf: Any) -> tuple[list[str], np.ndarray, np.ndarray]:
    """One segment's title words (lexicon order) and its (post, word)
    pairs: the docnums, and the index of the word in that list."""
    words: list[str] = []
    docs: list[np.ndarray] = []
    word_idx: list[np.ndarray] = []
    for btext in leaf.lexicon("title"):
        ids = np.fromiter(leaf.postings("title", btext).all_ids(), np.int32)
        docs.append(ids)
        word_idx.append(np.full(len(ids), len(words), np.int32))
        words.append(btext.decode("utf-8"))
    if not words:
        return [], np.zeros(0, np.int32), np.zeros(0, np.int32)
    return words, np.concatenate(docs), np.concatenate(word_idx)


def _stats(snapshot: Snapshot) -> _Stats:
    """This generation's statistics (they go with its Snapshot)."""
    return snapshot.table("related statistics", lambda _: _Stats())


def warm_related(snapshot: Snapshot) -> None:
    """Compute this generation's statistics now rather than on first need."""
    stats = _stats(snapshot)
    stats.tags(snapshot)
    stats.title_information(snapshot)


def tag_scores(snapshot: Snapshot, tags: Sequence[str], categories: Sequence[str]) -> np.ndarray:
    """idf-weighted Jaccard similarity of every post's tags and categories to these."""
    table = _stats(snapshot).tags(snapshot)
    shared = np.zeros(snapshot.doc_count_all, np.float32)
    mine = 0.0
    for fieldname, values in (("tags", tags), ("categories", categories)):
        for value in dict.fromkeys(values):
            weight = table.weights.get((fieldname, value))
            if weight is None:  # a value no post has: it only widens the union
                weight = _unseen_weight(snapshot, fieldname)
            else:
                shared[snapshot.postings(fieldname, value)[0]] += weight
            mine += weight
    union = mine + table.totals - shared
    return np.divide(shared, union, out=np.zeros_like(shared), where=union > 0)


def _unseen_weight(snapshot: Snapshot, fieldname: str) -> float:
    n = max(snapshot.doc_count, 1)
    factor = 1.0 if fieldname == "tags" else CATEGORY_FACTOR
    return factor * bm25_idf(n, 0)


def suggest_tags(closest: Sequence[RelatedPost], given: Sequence[str]) -> list[SuggestedTag]:
    """Tags of the closest posts, weighted by their similarity; given tags excluded."""
    taken = {_fold(t) for t in given}
    total = sum(p.score for p in closest)
    weights: dict[str, float] = {}
    for post in closest:
        for tag in post.tags:
            if _fold(tag) not in taken:
                weights[tag] = weights.get(tag, 0.0) + post.score
    ranked = sorted(weights.items(), key=lambda tw: (-tw[1], tw[0]))
    return [SuggestedTag(tag, round(w / total, 4)) for tag, w in ranked[:MAX_SUGGESTIONS]
            if total and w / total >= MIN_SUGGESTION]


def _shown(selected: Sequence[tuple[KeyTerm, float]]) -> list[str]:
    return list(dict.fromkeys(k.surface for k, _ in selected))


def _fold(tag: str) -> str:
    return unicodedata.normalize("NFKC", tag).casefold()
