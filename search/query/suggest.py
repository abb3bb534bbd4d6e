"""Search-as-you-type completions: post titles, tags and frequent words that
start with what the reader has typed, in kanji, kana or romaji.

`Completions` holds the tables of one index generation, built from the
index's own lexicons and stored titles (a few hundred milliseconds on a
few thousand posts; readings of words are remembered across generations):

* words: every term of title, tags and body, sorted, with its document
  frequency, and a `ReadingTable` of their readings (so 「こうそ」 and
  ``kouso`` complete to 高速);
* tags with their number of posts, by text and by reading;
* titles by the start of each of their words, by text and by reading
  (「非同」 finds 「Pythonの非同期処理入門…」).

A look-up is a few binary searches, then exact post counts for the
handful of candidates: fast enough for every keystroke.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

from search.text.morph import SUFFIX_MARK, analyze, normalize_term
from search.text.reading import ReadingTable, is_kana, reading_key, to_katakana
from search.query.snapshot import Snapshot

TERM_FIELDS = ("title", "tags_text", "body")
NGRAM_FIELDS = ("body_ngram", "title_ngram")
MAX_SUGGESTIONS = 20
DEFAULT_SUGGESTIONS = 8
MAX_KEY_CHARS = 32  # title keys are cut to this many characters
KINDS = ("tag", "title", "term")  # order among suggestions of equal count
CANDIDATES = 4  # words counted exactly beyond the number of suggestions asked
MAX_COUNTS = 100_000
MAX_TRIES = 6  # last words of an unspaced query tried for completion

_ASCII_WORD = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class Suggestion:
    text: str  # what the search box should contain when this is chosen
    kind: str  # "title", "tag" or "term"
    count: int  # posts with this title, tag or word
    slug: str | None = None  # titles only: the (newest) post with this title
    url: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"text": self.text, "kind": self.kind, "count": self.count}
        if self.kind == "title":
            data["slug"] = self.slug
            data["url"] = self.url
        return data


@dataclass
class SuggestResult:
    query: str  # the text completed (cleaned)
    suggestions: list[Suggestion]

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "suggestions": [s.to_dict() for s in self.suggestions]}


def fold_key(text: str) -> str:
    """How typed text and index text are compared: NFKC, lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def read_vocabulary(snapshot: Snapshot, fields: Iterable[str] = TERM_FIELDS) -> dict[str, int]:
    """Every term of `fields` with its document frequency (the largest over
    the fields; deleted posts not yet merged away are still counted)."""
    vocabulary: dict[str, int] = {}
    for fieldname in fields:
        per_field: dict[str, int] = {}
        for local, _ in snapshot.per_segment(("vocabulary", fieldname),
                                           lambda leaf: _segment_vocabulary(leaf, fieldname)):
            if not per_field:
                per_field = dict(local)
                continue
            for text, df in local.items():
                per_field[text] = per_field.get(text, 0) + df
        for text, df in per_field.items():
            if df > vocabulary.get(text, 0):
                vocabulary[text] = df
    return vocabulary


def _segment_vocabulary(leaf: Any, fieldname: str) -> dict[str, int]:
    """term -> document frequency in one segment's field."""
    if fieldname not in leaf.schema:
        return {}
    return {btext.decode("utf-8"): info.doc_frequency() for btext, info in leaf.iter_field(fieldname)}


def reading_table(snapshot: Snapshot, vocabulary: dict[str, int] | None = None) -> ReadingTable:
    """The readings of an index generation's words."""
    reader = snapshot.searcher.reader()

    def joins(bigram: str) -> bool:
        return any((fieldname, bigram) in reader for fieldname in NGRAM_FIELDS)

    return ReadingTable(read_vocabulary(snapshot) if vocabulary is None else vocabulary, joins)


class _PrefixIndex:
    """Sorted (key, item) pairs; items whose key starts with a prefix."""

    def __init__(self, pairs: Iterable[tuple[str, int]]) -> None:
        rows = sorted(set(pairs))
        self.keys = [k for k, _ in rows]
        self.items = np.array([i for _, i in rows], np.int64)

    def find(self, prefix: str) -> np.ndarray:
        if not prefix:
            return self.items[:0]
        lo = bisect.bisect_left(self.keys, prefix)
        hi = bisect.bisect_left(self.keys, prefix + "\U0010ffff")
        return self.items[lo:hi]


def _reading_of(text: str) -> str:
    """Katakana reading of a text (folded surface where MeCab has none)."""
    return "".join(m.reading or fold_key(m.surface) for m in analyze(text))


_TITLE_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}  # kept across generations
_TITLE_KEYS_MAX = 200_000


def _title_keys(title: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Keys of a title from the start of each of its words: by text and by reading."""
    cached = _TITLE_KEYS.get(title)
    if cached is not None:
        return cached
    morphemes = analyze(title)
    folded: list[str] = []
    readings: list[str] = []
    for i, m in enumerate(morphemes):
        if not m.kept and i:
            continue
        folded.append(fold_key(title[m.start :])[:MAX_KEY_CHARS])
        rest = "".join(x.reading or fold_key(x.surface) for x in morphemes[i : i + 12])
        readings.append(rest[:MAX_KEY_CHARS])
    if len(_TITLE_KEYS) >= _TITLE_KEYS_MAX:
        _TITLE_KEYS.clear()
    cached = _TITLE_KEYS[title] = (tuple(folded), tuple(readings))
    return cached


class Completions:
    """Completion tables of one index generation; see the module doc."""

    def __init__(self, snapshot: Snapshot, readings: ReadingTable | None = None) -> None:
        self.snapshot = snapshot
        self.readings = readings or reading_table(snapshot)
        vocabulary = self.readings.vocabulary
        words = sorted(t for t in vocabulary if _suggestible(t))
        self._words = words
        self._word_freqs = np.array([vocabulary[t] for t in words], np.int64)
        self._counts: dict[str, int] = {}  # exact post counts of words looked at
        self._load_tags()
        self._load_titles()

    # --- building ----------------------------------------------------------

    def _load_tags(self) -> None:
        counts = self.snapshot.facet_counts("tags", self.snapshot.live)
        self._tags = [value for value, _ in counts]
        self._tag_counts = [count for _, count in counts]
        pairs = [(fold_key(v), i) for i, v in enumerate(self._tags)]
        pairs += [(r, i) for i, v in enumerate(self._tags) if (r := _reading_of(v))]
        self._tag_index = _PrefixIndex(pairs)

    def _load_titles(self) -> None:
        live = self.snapshot.live
        dates = self.snapshot.dates()
        by_title: dict[str, list[int]] = {}
        links: dict[int, tuple[str, str]] = {}
        for local, offset in self.snapshot.per_segment("titles", _segment_titles):
            for d, title, slug, url in local:
                docnum = offset + d
                if live[docnum]:
                    by_title.setdefault(title, []).append(docnum)
                    links[docnum] = (slug, url)
        # ids in ranking order: most posts first, then the newest
        ranked = sorted(by_title.items(), key=lambda kv: (-len(kv[1]), -max(dates[d] for d in kv[1])))
        self._titles: list[Suggestion] = []
        pairs: list[tuple[str, int]] = []
        for i, (title, docs) in enumerate(ranked):
            slug, url = links[max(docs, key=lambda d: dates[d])]  # the newest post
            self._titles.append(Suggestion(title, "title", len(docs), slug, url))
            folded, readings = _title_keys(title)
            pairs += [(k, i) for k in folded] + [(k, i) for k in readings]
        self._title_index = _PrefixIndex(pairs)

    # --- looking up --------------------------------------------------------

    def suggest(self, text: str, limit: int = 8) -> list[Suggestion]:
        """Completions of `text` (a cleaned query), most frequent first."""
        text = " ".join(text.split())
        if not text or limit < 1:
            return []
        found: dict[tuple[str, str], Suggestion] = {}
        for s in self._titles_for(text, limit) + self._words_for(text, limit):
            found.setdefault((s.kind, s.text), s)
        ranked = sorted(found.values(), key=lambda s: (-s.count, KINDS.index(s.kind), len(s.text), s.text))
        return ranked[:limit]

    def _titles_for(self, text: str, limit: int) -> list[Suggestion]:
        key = fold_key(text)
        ids = self._title_index.find(key)
        kata = self._kana_reading(key.replace(" ", ""), found_as_typed=len(ids) > 0)
        if kata:
            ids = np.concatenate([ids, self._title_index.find(kata)])
        return [self._titles[int(i)] for i in np.unique(ids)[:limit]]

    def _words_for(self, text: str, limit: int) -> list[Suggestion]:
        """Tags and words completing the last word typed, after what came before."""
        head, _, last = text.rpartition(" ")
        before = head + " " if head else ""
        found = self._complete(last, limit)
        if not found:
            # 「サーバーの監」: complete 監 after サーバーの
            for start in sorted({m.start for m in analyze(last) if m.start})[-MAX_TRIES:]:
                found = self._complete(last[start:], limit)
                if found:
                    before += last[:start]
                    break
        return [Suggestion(before + t, kind, count) for t, kind, count in found]

    def _complete(self, word: str, limit: int) -> list[tuple[str, str, int]]:
        """(text, kind, count) of tags and words starting with `word`."""
        key = fold_key(word)
        prefix = normalize_term(word)
        tag_ids = list(self._tag_index.find(key))
        n = limit + CANDIDATES
        words = self._words_with_prefix(prefix, n)
        kata = self._kana_reading(key, found_as_typed=bool(tag_ids or words))
        if kata:
            tag_ids += list(self._tag_index.find(kata))
            words += self.readings.with_prefix(kata, n)
        found: dict[str, tuple[str, str, int]] = {}
        for i in dict.fromkeys(tag_ids):
            tag = self._tags[int(i)]
            found[normalize_term(tag)] = (tag, "tag", self._tag_counts[int(i)])
        # the most frequent words by the lexicon's counts, then counted exactly
        vocabulary = self.readings.vocabulary
        words = [w for w in dict.fromkeys(words) if _suggestible(w)]
        words = sorted(words, key=lambda w: -vocabulary.get(w, 0))[:n]
        for term in words:
            count = self._count(term)
            # a word that is also a tag is offered once, as what more posts have
            if count and (term not in found or count > found[term][2]):
                found[term] = (term, "term", count)
        return sorted(found.values(), key=lambda f: (-f[2], KINDS.index(f[1]), len(f[0])))[:limit]

    @staticmethod
    def _kana_reading(key: str, found_as_typed: bool) -> str | None:
        """The reading key to look up for kana, or for romaji when nothing
        written in ASCII starts with it (``kube`` is not くべ)."""
        if is_kana(key):
            return reading_key(to_katakana(key) or "")
        if _ASCII_WORD.fullmatch(key) and not found_as_typed:
            kata = to_katakana(key, partial=True)
            return reading_key(kata) if kata else None
        return None

    def _words_with_prefix(self, prefix: str, n: int) -> list[str]:
        if not prefix:
            return []
        lo = bisect.bisect_left(self._words, prefix)
        hi = bisect.bisect_left(self._words, prefix + "\U0010ffff")
        if hi - lo > n:
            top = np.argpartition(-self._word_freqs[lo:hi], n)[:n]
        else:
            top = np.arange(hi - lo)
        top = top[np.argsort(-self._word_freqs[lo:hi][top], kind="stable")]
        return [self._words[lo + int(i)] for i in top]

    def _count(self, term: str) -> int:
        """Live posts having the word in title, tags or body."""
        count = self._counts.get(term)
        if count is None:
            docs = [self.snapshot.postings(f, term)[0] for f in TERM_FIELDS]
            count = self._counts[term] = len(np.unique(np.concatenate(docs)))
            if len(self._counts) > MAX_COUNTS:
                self._counts.clear()
        return count


def _suggestible(term: str) -> bool:
    """Words worth offering: not suffixes (~化), not a single kana."""
    if term.startswith(SUFFIX_MARK) or not term.strip():
        return False
    return not (len(term) == 1 and is_kana(term))


def _segment_titles(leaf: Any) -> list[tuple[int, str, str, str]]:
    """(docnum in the segment, title, slug, url) of each titled document of
    one segment, deleted ones included."""
    rows = []
    for d in range(leaf.doc_count_all()):
        stored = leaf.stored_fields(d)
        if stored.get("title"):
            rows.append((d, stored["title"], stored.get("slug", ""), stored.get("url", "")))
    return rows
