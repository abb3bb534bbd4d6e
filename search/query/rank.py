"""Ranking: BM25F over a Snapshot's postings, term-at-a-time with NumPy.

`score_plan` scores every document for a query plan: BM25F over an OR of
its words (title × 2, tags × 2, body × 1), a low-weight bigram clause per
kanji/katakana run for recall, then a coverage bonus for posts containing
more of the query's words (weighted by rarity).

Then a minimum-should-match (`Ranking.min_match`, `enough_matched`): a
post is a result only if it contains more than MIN_COVERAGE of the query's
informative weight (each word weighted by its capped idf × its weight in the
plan, verbs and adjectives at half, a word no post has at ABSENT_FACTOR
times; a kana or romaji chunk counts as one word, matched through its own
words or its reading, and is said by a post only where its words of two
characters or more cover more than half of the chunk's kana; a paraphrase
matches for its word) or half of its nouns of two characters or more
(numbers not counted), and at least one
word of two characters or more when the query has one (a noun, or
one-character words written together as in the query — 連符 of 3連符 — when
it has one). A one-character word, a reading fragment or a bigram run alone
never makes a post a result; bigrams only add to the score of posts that
are results. Then the query syntax: every "phrase" must occur, no -excluded
word may.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from search.index.analyzers import bigram_runs
from search.index.schema import StoredPost
from search.query.plan import READING_WEIGHT, SYNONYM, Phrase, QueryPlan, QueryTerm, ReadingGroup
from search.query.snapshot import EMPTY, Snapshot
from search.text.morph import SUFFIX_MARK


K1 = 1.2
B = {"title": 0.5, "tags_text": 0.3, "body": 0.75, "title_ngram": 0.5, "body_ngram": 0.75}

# How a plan is scored: BM25F over an OR of its words, field boosts, the
# bigram runs for recall below any word match, and a bonus for posts that
# contain more of the query's words (weighted by rarity).
FIELD_BOOSTS = {"title": 2.0, "tags_text": 2.0, "body": 1.0}
NGRAM_FIELDS = {"title_ngram": 2.0, "body_ngram": 1.0}
NGRAM_BOOST = 0.3  # bigram recall scores below any word match
COVERAGE_WEIGHT = 2.0
# a result contains more than this share of the query's informative weight
# (each word's idf, capped so that a word the blog lacks weighs as a rare one)
MIN_COVERAGE = 0.5
MAX_WORD_IDF = 5.0
# ... or at least half of its nouns of two characters or more (and two of them)
MIN_WORD_SHARE = 0.5
# verbs and adjectives say less about the topic than nouns: half weight, not counted
PREDICATE_POS = ("動詞", "形容詞")
PREDICATE_SHARE = 0.5
# a word this long also matches where all its bigrams occur (ディスクリプタ in
# ディスクリプター); shorter ones would match inside other words (ローン in クローン)
SPELLED_OUT_CHARS = 4
_HALF_WIDTH_KANA = re.compile("[\uff66-\uff9f]")
MAX_SPELLED_OUT = 12  # posts checked for a word spelled out (each read from the index)
ONE_CHAR_SHARE = 0.1  # a one-character word's share of its weight in choosing a snippet
MIN_GROUP_SHARE = 0.5  # share of a kana chunk's reading a post must contain to match it
# a word no post has (野球 of プロ野球の順位表 on a blog that never mentions
# baseball) weighs this many times a rare word: the posts sharing the query's
# other words are about something else
ABSENT_FACTOR = 3.0

Piece = tuple[tuple[int, int], np.ndarray]  # a span of a chunk's reading, the documents with a word for it


@dataclass(frozen=True)
class Ranking:
    """Which parts of the ranking are on (older rankings stay selectable
    for `bench/quality.py`'s comparisons in one run)."""

    min_match: bool = True  # drop posts matching too little of the query (noise)
    paraphrases: bool = True  # search the index's paraphrases of the query's verbs too
    synonyms: bool = True  # and the Sudachi synonyms of its words (with paraphrases only)


CURRENT = Ranking()
LEGACY = Ranking(min_match=False, paraphrases=False)  # the ranking before issue 14


def bm25_idf(n: int, df: int) -> float:
    """BM25's idf of a word in `df` of `n` documents (positive even for df > n/2)."""
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


def idf(snapshot: Snapshot, fieldname: str, text: str) -> float:
    return bm25_idf(max(snapshot.doc_count, 1), len(snapshot.postings(fieldname, text)[0]))


def bm25(snapshot: Snapshot, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """(docnums, BM25 scores) of one term in one field (computed once per
    generation: `Snapshot.per_term`; not to be changed)."""
    return snapshot.per_term(("bm25", fieldname, text), lambda: _bm25(snapshot, fieldname, text))


def _bm25(snapshot: Snapshot, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    docs, tf = snapshot.postings(fieldname, text)
    if not len(docs):
        return docs, tf
    lengths, avg = snapshot.lengths(fieldname)
    b = B.get(fieldname, 0.75)
    norm = K1 * ((1.0 - b) + b * lengths[docs] / avg)
    return docs, idf(snapshot, fieldname, text) * tf * (K1 + 1.0) / (tf + norm)


def all_of(snapshot: Snapshot, fieldname: str, texts: Iterable[str]) -> tuple[np.ndarray, np.ndarray]:
    """Documents containing every text in the field, with summed BM25
    (once per generation, as `bm25`; not to be changed)."""
    texts = tuple(texts)
    return snapshot.per_term(("all_of", fieldname, texts), lambda: _all_of(snapshot, fieldname, texts))


def _all_of(snapshot: Snapshot, fieldname: str, texts: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
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


def score_plan(snapshot: Snapshot, plan: QueryPlan, ranking: Ranking = CURRENT) -> np.ndarray:
    """The score of every document for a plan (0 where it is not a result)."""
    n = snapshot.doc_count_all
    scores = np.zeros(n, np.float32)
    coverage = np.zeros(n, np.float32)
    total_idf = 0.0
    matched: dict[str, np.ndarray] = {}  # term -> documents containing it
    for term in plan.terms:
        docs = matched[term.text] = _add_word(snapshot, (term,) + _expansions(plan, term, ranking), scores)
        word_idf = _idf(snapshot, len(docs))
        coverage[docs] += word_idf * term.weight
        total_idf += word_idf * term.weight
    _add_runs(snapshot, plan.ngram_runs, scores)
    group_shares = []
    for group in plan.readings:  # each counts as one more word of the query
        group_scores, share, pieces = _reading_scores(snapshot, group)
        group_shares.append((share, pieces))
        docs = np.flatnonzero(group_scores)
        scores += group_scores
        word_idf = _idf(snapshot, len(docs))
        coverage[docs] += word_idf
        total_idf += word_idf
    if total_idf:
        scores *= 1.0 + COVERAGE_WEIGHT * coverage / total_idf
    if ranking.min_match:
        scores[~enough_matched(snapshot, plan, matched, group_shares)] = 0.0
    for phrase in plan.phrases:
        scores[~_mask(snapshot, phrase_docs(snapshot, phrase))] = 0.0
    for phrase in plan.excluded:
        scores[phrase_docs(snapshot, phrase)] = 0.0
    return scores


def _expansions(plan: QueryPlan, term: QueryTerm, ranking: Ranking) -> tuple[QueryTerm, ...]:
    return tuple(e for e in plan.expansions_of(term.text) if ranking.synonyms or e.kind != SYNONYM)


def phrase_docs(snapshot: Snapshot, phrase: Phrase) -> np.ndarray:
    """The documents whose title or body has the phrase's words next to
    each other, in order (as many characters between them as in the query);
    once per generation (`Snapshot.per_term`; not to be changed)."""
    return snapshot.per_term(("phrase", phrase.terms, phrase.gaps), lambda: _phrase_docs(snapshot, phrase))


def _phrase_docs(snapshot: Snapshot, phrase: Phrase) -> np.ndarray:
    found: list[int] = []
    for fieldname in ("title", "body"):
        docs: np.ndarray | None = None
        for term in phrase.terms:
            d = snapshot.postings(fieldname, term)[0]
            docs = d if docs is None else np.intersect1d(docs, d, assume_unique=True)
        if docs is None or not len(docs):
            continue
        if len(phrase.terms) == 1:
            found.extend(int(d) for d in docs)
            continue
        spans = [snapshot.char_spans(fieldname, term, docs) for term in phrase.terms]
        found.extend(int(d) for d in docs if in_sequence([s.get(int(d), []) for s in spans], phrase.gaps))
    return np.unique(np.asarray(found, np.int64)).astype(np.int32)


def in_sequence(spans: list[list[tuple[int, int]]], gaps: tuple[int, ...]) -> list[tuple[int, int]]:
    """Where one span of each list follows the previous one at its gap: the
    (start of the first, end of the last) of every such sequence, in order."""
    starts = {end: start for start, end in spans[0]}  # end of a partial sequence -> its start
    for following, gap in zip(spans[1:], gaps):
        starts = {end: starts[start - gap] for start, end in following if start - gap in starts}
        if not starts:
            return []
    return sorted((start, end) for end, start in starts.items())


def _mask(snapshot: Snapshot, docs: np.ndarray) -> np.ndarray:
    mask = np.zeros(snapshot.doc_count_all, bool)
    mask[docs] = True
    return mask


def is_strong(text: str) -> bool:
    """Whether a word may make a post a result on its own (two characters or more)."""
    return len(text.lstrip(SUFFIX_MARK)) >= 2


def enough_matched(snapshot: Snapshot, plan: QueryPlan, matched: dict[str, np.ndarray],
                   group_shares: list[tuple[np.ndarray, list[Piece]]]) -> np.ndarray:
    """The documents containing enough of the plan's informative words
    (the minimum-should-match; see the module's docstring)."""
    n = snapshot.doc_count_all
    weight = np.zeros(n, np.float32)
    strong = np.zeros(n, bool)
    count = np.zeros(n, np.int32)  # strong words matched
    words = 0
    total = 0.0
    any_strong = False
    chunk_terms = {t.text for g in plan.readings for t in plan.terms if _in_chunk(t.surface, g.chunk)}
    found = {}  # term -> the documents counted as containing it
    unsure = {}  # term -> documents with all its bigrams, not checked for the word (weight, not strength)
    nouns_strong = any(is_strong(t.text) and t.weight >= 1.0 and not t.pos.startswith(PREDICATE_POS)
                       for t in plan.terms)
    for term in plan.terms:
        docs = matched[term.text]
        if len(term.text) >= SPELLED_OUT_CHARS:  # or spelled out (ディスクリプタ in ディスクリプター)
            spelled, unsure[term.text] = _spelled_out(snapshot, term.text, docs)
            docs = snapshot.union([docs, spelled])
        found[term.text] = docs
    absent = {text for text, docs in found.items() if not len(docs)}
    for compound in plan.compounds:
        if not len(found[compound[-1]]):  # プロ of プロ野球 is not about baseball
            for text in compound[:-1]:
                found[text] = EMPTY[0]
    for phrase in one_char_compounds(plan):
        # 連符 of 3連符: a word of two characters where 連 and 符 are written together
        any_strong = nouns_strong = True
        strong[phrase_docs(snapshot, phrase)] = True
    for term in plan.terms:
        if term.text in chunk_terms:
            continue  # counted with its chunk's reading below
        docs = found[term.text]
        verb = term.pos.startswith(PREDICATE_POS)
        w = min(_idf(snapshot, len(matched[term.text])), MAX_WORD_IDF) * term.weight
        w *= PREDICATE_SHARE if verb else 1.0
        if term.text in absent:
            w *= ABSENT_FACTOR
        weight[docs] += w
        weight[unsure.get(term.text, EMPTY[0])] += w
        total += w
        # a verb makes a post a result only if the query names no thing (書く of 3連符を書くには)
        if is_strong(term.text) and term.weight >= 1.0 and not (verb and nouns_strong):
            any_strong = True
            strong[docs] = True
            # the count is of the things the query is about (not 100 of ゴルフ 100切り)
            if not verb and not term.text.isdigit():
                count[docs] += 1
                words += 1
    for group, (share, pieces) in zip(plan.readings, group_shares):
        own = [t for t in plan.terms if t.text in chunk_terms and _in_chunk(t.surface, group.chunk)]
        group_strong = _mask(snapshot, snapshot.union([docs for _, docs in pieces]))
        pieces = pieces + [(_span_in(group, t.surface), matched[t.text]) for t in own
                           if is_strong(t.text) and t.weight >= 1.0]
        own_share = np.zeros(n, np.float32)
        own_total = sum(_idf(snapshot, len(matched[t.text])) for t in own)
        for t in own:
            own_share[matched[t.text]] += _idf(snapshot, len(matched[t.text])) / max(own_total, 1e-9)
        hit = (own_share >= MIN_GROUP_SHARE) | ((share >= MIN_GROUP_SHARE) & group_strong)
        w = max([_idf(snapshot, len(matched[t.text])) for t in own] + [_idf(snapshot, int(hit.sum()))])
        weight[hit] += w
        total += w
        count[hit] += 1
        words += 1
        any_strong = True
        strong |= hit & _said(snapshot, group, pieces)
    if not total:
        return np.ones(n, bool)
    ok = weight > MIN_COVERAGE * total + 1e-6  # more than half: both of two words
    # or most of the words, whatever their rarity (GPU 不足 of GPU不足はいつ解消する)
    ok |= (count >= 2) & (count >= MIN_WORD_SHARE * words)
    return ok & strong if any_strong else ok


def one_char_compounds(plan: QueryPlan) -> list[Phrase]:
    """The query's compounds made of one-character words, as phrases
    (without a number before or after them: 連符 of 3連符)."""
    phrases = []
    for compound in plan.compounds:
        words = list(compound)
        while words and words[0].isdigit():
            words.pop(0)
        while words and words[-1].isdigit():
            words.pop()
        if len(words) > 1 and all(len(text.lstrip(SUFFIX_MARK)) == 1 for text in words):
            phrases.append(Phrase("".join(words), tuple(words), (0,) * (len(words) - 1)))
    return phrases


def _spelled_out(snapshot: Snapshot, text: str, known: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Documents other than `known` whose title or body spells out a
    kanji/katakana word inside a longer one (ディスクリプタ in ディスクリプター):
    the ones with all its bigrams, checked against the stored text, as the
    bigram view has no positions (フラ, ラッ, ッシ, シュ of フラグ and スラッシュ
    are not フラッシュ). Past MAX_SPELLED_OUT of them (common bigrams) they are
    returned second, unchecked."""
    runs = bigram_runs(text)[:1]
    if not runs or not runs[0] or "".join(r[0] for r in runs[0]) + runs[0][-1][-1] != text:
        return EMPTY[0], EMPTY[0]
    found = [all_of(snapshot, fieldname, runs[0])[0] for fieldname in NGRAM_FIELDS]
    candidates = np.setdiff1d(snapshot.union(found), known, assume_unique=True)
    if len(candidates) > MAX_SPELLED_OUT:
        return EMPTY[0], candidates
    spelled = [d for d in candidates.tolist() if _spells(snapshot.stored(d), text)]
    return np.asarray(spelled, np.int32), EMPTY[0]


def _spells(post: StoredPost | None, text: str) -> bool:
    """Whether a post's title or body has `text` (kanji/katakana; folded only
    where the post has half-width katakana, as NFKC of a whole body is slow)."""
    return post is not None and any(
        text in f or (_HALF_WIDTH_KANA.search(f) is not None and text in unicodedata.normalize("NFKC", f))
        for f in (post.title, post.body))


def _in_chunk(surface: str, chunk: str) -> bool:
    return bool(surface) and unicodedata.normalize("NFKC", surface).lower() in chunk.lower()


def _add_word(snapshot: Snapshot, alternatives: Sequence[QueryTerm], scores: np.ndarray) -> np.ndarray:
    """Add the BM25F scores of one query word (or its alternatives) to
    `scores`; return the documents that contain it."""
    matched: list[np.ndarray] = []
    for term in alternatives:
        for fieldname, boost in FIELD_BOOSTS.items():
            docs, s = bm25(snapshot, fieldname, term.text)
            scores[docs] += boost * term.weight * s
            matched.append(docs)
    return snapshot.union(matched)

def docs_with(snapshot: Snapshot, text: str) -> np.ndarray:
    """The documents containing a word in any searched field."""
    return snapshot.union([snapshot.postings(f, text)[0] for f in FIELD_BOOSTS])

def _add_runs(snapshot: Snapshot, runs: Sequence[Sequence[str]], scores: np.ndarray) -> None:
    """Add the low-weight scores of the bigram view for kanji/katakana runs."""
    for run in runs:
        for fieldname, boost in NGRAM_FIELDS.items():
            docs, s = all_of(snapshot, fieldname, run)
            scores[docs] += boost * NGRAM_BOOST * s / max(len(run), 1)

def _idf(snapshot: Snapshot, df: int) -> float:
    return bm25_idf(snapshot.doc_count, df)

def _reading_scores(snapshot: Snapshot, group: ReadingGroup) -> tuple[np.ndarray, np.ndarray, list[Piece]]:
    """Scores of the words a chunk is read as: an OR of every candidate,
    scaled down by the share of the reading's segments a post lacks,
    then by READING_WEIGHT; with that share (by idf) per document, and
    where each segment's candidates of two characters or more occur."""
    n = snapshot.doc_count_all
    scores = np.zeros(n, np.float32)
    coverage = np.zeros(n, np.float32)
    pieces: list[Piece] = []
    total_idf = 0.0
    for segment, span in zip(group.segments, group.spans):
        docs = _add_word(snapshot, segment, scores)
        strong = [docs_with(snapshot, term.text) for term in segment if is_strong(term.text)]
        if strong:
            pieces.append((span, snapshot.union(strong)))
        word_idf = _idf(snapshot, len(docs))
        coverage[docs] += word_idf
        total_idf += word_idf
    _add_runs(snapshot, group.runs, scores)
    share = coverage / total_idf if total_idf else coverage
    if total_idf:
        scores *= (1.0 + COVERAGE_WEIGHT * share) / (1.0 + COVERAGE_WEIGHT)
    return READING_WEIGHT * scores, share, pieces


def _span_in(group: ReadingGroup, surface: str) -> tuple[int, int]:
    """Where one of the chunk's own words lies in its reading."""
    chunk = group.chunk.lower()
    word = unicodedata.normalize("NFKC", surface).lower()
    start = chunk.find(word)
    if start < 0:
        return 0, 0
    end = start + len(word)
    if len(chunk) == group.length:
        return start, end
    return start * group.length // len(chunk), -(-end * group.length // len(chunk))  # romaji


def _said(snapshot: Snapshot, group: ReadingGroup, pieces: list[Piece]) -> np.ndarray:
    """The documents whose words of two characters or more cover more than
    half of the chunk's reading, particles aside: コロ covers ころころ of
    おにぎりころころ but not the chunk; セキ of せきぶん is half of it."""
    covered = np.zeros(snapshot.doc_count_all, np.int32)
    for i in group.content:
        docs = [d for (start, end), d in pieces if start <= i < end]
        if docs:
            covered[snapshot.union(docs)] += 1
    return covered * 2 > len(group.content)
