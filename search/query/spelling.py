"""“Did you mean”: a correction for a query that finds nothing, from the
index's own vocabulary.

A query is *unattested* when no live post has all of its words, or when
one of its kanji/katakana runs (ディスク仕様量) has a bigram no post has
together with the run's other bigrams: nothing in the blog is written that
way. Only then, and only inside such a run or at a word the index has
never seen, pieces of the query (one morpheme or a few adjacent ones) are
replaced by words of the vocabulary that are

* read the same (仕様 → 使用, 表紙 → 拍子: the usual slip of kana-kanji
  conversion), over the readings of `ReadingTable`, or
* one edit away in writing (ソッケト → ソケット, chmdo → chmod, 行例 → 行列),
  found through a table of each word with one character deleted.

Each replacement is kept only if the corrected query is attested; the one
that finds the most posts wins. The tables are built on first need, once per
index generation (`Snapshot.table`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from search.index.analyzers import bigram_runs
from search.query.plan import clean_text
from search.query.rank import all_of
from search.query.snapshot import Snapshot
from search.text.morph import SUFFIX_MARK, Morpheme, analyze, normalize_term
from search.text.reading import ReadingTable, reading_key

TERM_FIELDS = ("title", "tags_text", "body")
NGRAM_FIELDS = ("body_ngram", "title_ngram")
MAX_SPAN = 3  # morphemes replaced together at most
MAX_ALTERNATIVES = 12  # per span, most frequent first
MIN_EDIT_CHARS = 2  # words shorter than this are never respelt
MAX_QUERY_MORPHEMES = 16  # longer queries are not corrected
MIN_GAIN = 5  # a correction finds at least this many times more posts than the query
# a derived speller's table of added words grows; past 1/REBUILD_AFTER of
# the words of its shared table, it is built from scratch
REBUILD_AFTER = 8
_KATAKANA_RUN = re.compile(r"[\u30a1-\u30fa\u30fc]{3,}")
_HIRAGANA = re.compile(r"[\u3041-\u309f\u30fc]+")
_KANJI = re.compile(r"[\u3005\u4e00-\u9fff]")
_TYPED_BY_KEY = re.compile(r"[\u30a1-\u30fa\u30fc]+|[a-z0-9_.+-]+")
_WORD_RUN = re.compile(r"[\u30a1-\u30fa\u30fc]{3,}|[A-Za-z][A-Za-z0-9_]{2,}")


@dataclass(frozen=True)
class Correction:
    text: str  # the corrected query
    count: int  # live posts that have every word of it (`Speller.attested`)


class Speller:
    """Spelling tables of one index generation; see the module doc."""

    def __init__(self, snapshot: Snapshot, readings: ReadingTable, earlier: "Speller | None" = None) -> None:
        self.snapshot = snapshot
        self.readings = readings
        self.vocabulary = readings.vocabulary
        # words by each way of deleting one of their characters: a table of
        # the words of some generation (`_deletes`, shared), and of the words
        # added since (`_added`); a word looked up must be in `vocabulary`
        if earlier is not None and len(earlier._added_words) * REBUILD_AFTER < earlier._base_words:
            self._deletes, self._base_words = earlier._deletes, earlier._base_words
            self._added = {key: list(terms) for key, terms in earlier._added.items()}
            self._added_words = set(earlier._added_words)
            new = sorted(t for t in self.vocabulary.keys() - earlier.vocabulary.keys()
                         if _typed_by_key(t) and t not in self._added_words and not _filed(t, self._deletes))
            self._added_words.update(new)
            self.terms_indexed = _index(new, self._added)
        else:
            self._deletes, self._base_words = {}, len(self.vocabulary)
            self._added, self._added_words = {}, set()
            self.terms_indexed = _index(self.vocabulary, self._deletes)  # (for tests and benchmarks)
        self._docs: dict[str, np.ndarray] = {}

    # --- attestation ---------------------------------------------------------

    def docs(self, term: str) -> np.ndarray:
        """Live posts with `term` in title, tags or body."""
        found = self._docs.get(term)
        if found is None:
            found = np.unique(np.concatenate([self.snapshot.postings(f, term)[0] for f in TERM_FIELDS]))
            found = found[self.snapshot.live[found]]
            if len(self._docs) > 50_000:
                self._docs.clear()
            self._docs[term] = found
        return found

    def attested(self, text: str) -> int:
        """Live posts that have every word of `text` and every one of its
        kanji/katakana runs' bigrams (0: nothing is written that way)."""
        terms = {m.term for m in analyze(text) if m.kept}
        if not terms:
            return 0
        docs: np.ndarray | None = None
        for term in terms:
            found = self.docs(term)
            docs = found if docs is None else np.intersect1d(docs, found, assume_unique=True)
            if not len(docs):
                return 0
        for run in bigram_runs(text):
            if not run:
                continue
            in_run = np.unique(np.concatenate([all_of(self.snapshot, f, run)[0] for f in NGRAM_FIELDS]))
            docs = np.intersect1d(docs, in_run, assume_unique=True)
            if not len(docs):
                return 0
        return 0 if docs is None else len(docs)

    # --- correcting ----------------------------------------------------------

    def correct(self, text: str) -> Correction | None:
        """The best respelling of a query with a suspicious piece (see
        `_suspicious`) that finds many more posts, or None.

        Candidates read the same as the piece come first, then those one edit
        away whose reading is one edit away too, then any one edit away; among
        equals, the one finding the most posts."""
        text = " ".join(text.split())
        morphemes = analyze(text)
        if not morphemes or len(morphemes) > MAX_QUERY_MORPHEMES:
            return None
        suspicious = suspicious_spans(self.snapshot, text, morphemes)
        if not suspicious:
            return None
        found = self.attested(text)
        best: tuple[int, int, str] | None = None  # (tier, -count, text)
        tried: set[str] = {text}
        for i in range(len(morphemes)):
            for j in range(i + 1, min(i + MAX_SPAN, len(morphemes)) + 1):
                span = morphemes[i:j]
                start, end = span[0].start, span[-1].end
                if not any(start < e and s < end for s, e in suspicious):
                    continue
                piece = text[start:end]
                if _particle(span[0]) or _particle(span[-1]) or " " in piece or _HIRAGANA.fullmatch(piece):
                    continue  # kana typed as kana is read by the search (ぱっけーじ), not respelt
                kanji = _KANJI.search(piece) is not None
                for word, tier in self._alternatives(piece, span):
                    if kanji and tier > 1:
                        continue  # kanji are mistyped by reading (変換ミス), not by key: 名言 is not 名前
                    candidate = text[:start] + word + text[end:]
                    if candidate in tried:
                        continue
                    tried.add(candidate)
                    count = self.attested(candidate)
                    if count >= max(1, MIN_GAIN * found) and (best is None or (tier, -count) < best[:2]):
                        best = (tier, -count, candidate)
        return None if best is None else Correction(best[2], -best[1])

    def _alternatives(self, surface: str, span: list[Morpheme]) -> list[tuple[str, int]]:
        """(word, tier) for words read like `surface` (tier 0) or one edit
        from it (tier 1 when their reading is one edit from its reading too,
        else 2), most frequent first; for a long word of the index followed
        or preceded by a misspelt one (スクリーンショト), that one respelt."""
        tiers: dict[str, int] = {}
        reading = "".join(m.reading for m in span)
        if reading and all(m.reading for m in span):
            for term in self.readings.words(reading_key(reading)):
                tiers.setdefault(term, 0 if len(surface) > 1 else 1)  # one kanji: many homophones
        word = normalize_term(surface)
        for term in self._one_edit(word):
            if term not in tiers:
                their = "".join(m.reading for m in analyze(term.lstrip(SUFFIX_MARK)))
                tiers[term] = 1 if reading and their and _edit_distance(reading, their) <= 1 else 2
        words = [t for t in tiers if t != word]
        words.sort(key=lambda t: (tiers[t], -self.vocabulary.get(t, 0)))
        out = [(_display(surface, t), tiers[t]) for t in words[:MAX_ALTERNATIVES]]
        if len(span) == 1 and _KATAKANA_RUN.fullmatch(word) and len(word) >= 5:
            for cut in range(2, len(word) - 1):
                left, right = word[:cut], word[cut:]
                if left in self.vocabulary:
                    out += [(left + t, 2) for t in self._one_edit(right)[:3]]
                if right in self.vocabulary:
                    out += [(t + right, 2) for t in self._one_edit(left)[:3]]
        return out

    def _one_edit(self, word: str) -> list[str]:
        """Words of the index one edit from `word`, most frequent first."""
        if len(word) < MIN_EDIT_CHARS:
            return []
        vocabulary = self.vocabulary
        found = {term for key in _deletions(word) | {word}
                 for table in (self._deletes, self._added) for term in table.get(key, ())
                 if term != word and term in vocabulary and _edit_distance(word, term) <= 1}
        return sorted(found, key=lambda t: (-vocabulary[t], t))


def _particle(m: Morpheme) -> bool:
    """A particle or other hiragana stop word (never respelt, never the end of a piece)."""
    return not m.kept and _HIRAGANA.fullmatch(m.surface) is not None


def _display(surface: str, term: str) -> str:
    """`term` written the way the reader wrote the rest: a long vowel the
    index folds away (サーバー → サーバ) is kept when the reader typed it."""
    term = term.lstrip(SUFFIX_MARK)
    if surface.isascii() and surface[:1].isupper():
        return term.upper() if surface.isupper() else term[:1].upper() + term[1:]
    if surface.endswith("ー") and not term.endswith("ー") and normalize_term(term + "ー") == term:
        return term + "ー"
    return term


def _index(terms: Iterable[str], table: dict[str, list[str]]) -> int:
    """Files the words mistyped by key (katakana and ASCII: kanji are
    mistyped by reading) in `table` under each of their `_deletions`;
    returns how many words it looked at."""
    n = 0
    for term in terms:
        n += 1
        if _typed_by_key(term):
            for key in _deletions(term):
                table.setdefault(key, []).append(term)
    return n


def _typed_by_key(term: str) -> bool:
    return len(term) >= MIN_EDIT_CHARS + 1 and _TYPED_BY_KEY.fullmatch(term) is not None


def _filed(term: str, table: dict[str, list[str]]) -> bool:
    """Whether `_index` filed `term` in `table` (under its first character deleted, among others)."""
    return term in table.get(term[1:], ())


def _deletions(word: str) -> set[str]:
    """`word` with one character deleted, every way."""
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _edit_distance(a: str, b: str) -> int:
    """Levenshtein distance with adjacent transpositions (optimal string alignment)."""
    if abs(len(a) - len(b)) > 1:
        return 2
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]



def suspicious_spans(snapshot: Snapshot, text: str, morphemes: list[Morpheme]) -> list[tuple[int, int]]:
    """Character spans of a query worth respelling, from postings alone:
    words no post has, katakana and ASCII words the index lacks as one word
    (インストル, ソッケト, chmdo; デバッカ, which the analyser splits into words
    it has), kanji/katakana runs no post has all the bigrams of (所有件,
    ディスク仕様量)."""
    def unseen(term: str) -> bool:
        return not any(len(snapshot.postings(f, term)[0]) for f in TERM_FIELDS)

    spans = [(m.start, m.end) for m in morphemes
             if m.kept and len(m.surface) >= MIN_EDIT_CHARS - 1 and unseen(m.term)]
    spans += [m.span() for m in _WORD_RUN.finditer(text) if unseen(normalize_term(m.group()))]
    pos = 0
    for run in bigram_runs(text):
        if not run:
            continue
        chars = run[0] + "".join(b[1] for b in run)
        start = text.find(chars, pos)  # runs come in order; folded text may differ
        if not any(len(all_of(snapshot, f, run)[0]) for f in NGRAM_FIELDS):
            spans.append((max(start, 0), max(start, 0) + len(chars)) if start >= 0 else (0, len(text)))
        if start >= 0:
            pos = start + len(chars)
    return spans


def written_nowhere(snapshot: Snapshot, text: str) -> bool:
    """Whether a query has a piece worth respelling (`suspicious_spans`):
    the cheap test of whether to ask the speller, whose tables are built on
    first need."""
    return bool(suspicious_spans(snapshot, text, analyze(text)))


def speller(snapshot: Snapshot, readings: ReadingTable) -> Speller:
    """The `Speller` of an index generation (built once, on first need;
    from another generation's, `Snapshot.earlier`, when there is one)."""
    def build(s: Snapshot) -> Speller:
        earlier = s.earlier("speller")
        return Speller(s, readings, earlier if isinstance(earlier, Speller) else None)

    return snapshot.table("speller", build)


def did_you_mean(snapshot: Snapshot, readings: ReadingTable, text: str) -> str | None:
    """The corrected query to offer for `text`, or None. Never raises on `text`."""
    found = speller(snapshot, readings).correct(clean_text(text))
    return found.text if found else None
