"""Search-as-you-type completions: post titles, tags, words and title
phrases that complete what the reader has typed, in kanji, kana or romaji.

`Completions` holds the tables of one index generation, built from the
index's own lexicons and stored titles (a few hundred milliseconds on a
few thousand posts; readings of words are remembered across generations):

* words: every term of title, tags and body, sorted, with its document
  frequency, and a `ReadingTable` of their readings (so 「こうそ」 and
  ``kouso`` complete to 高速);
* tags with their number of posts, by text and by reading;
* titles by the start of each of their words, by text and by reading
  (「非同」 finds 「Pythonの非同期処理入門…」);
* phrases of the titles — a word and up to two more joined by particles
  (パッケージをインストール, ファイルのアクセス権) — by text and by reading, and
  the form titles write each word in (サーバー where the index has サーバ).

The last word typed is completed as typed, after what came before it; after
a particle, phrases continue the query (the particle is never read as a
word). Hiragana is read as the index's words, the kana before the last word
too (がぞうのかいて → 画像の回転); katakana and romaji only when nothing
starts with them as typed. Candidates are ranked by the lexicon's counts,
then the likeliest are counted exactly — live posts that have every word of
the completed query — and ranked by that count; none with 0 is offered.
A look-up is a few binary searches and a few intersections of cached
posting lists: fast enough for every keystroke.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
import threading
import unicodedata
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

from search.text.morph import SUFFIX_MARK, Morpheme, analyze, normalize_term
from search.text.reading import ReadingTable, Segment, is_kana, kata_to_hira, reading_key, to_katakana
from search.query.prefixes import PrefixIndex, Registry, stable_order
from search.query.snapshot import Snapshot
from search.query.vocabulary import TERM_FIELDS, Vocabulary, changed_terms
from search.query.vocabulary import vocabulary as _vocabulary

NGRAM_FIELDS = ("body_ngram", "title_ngram")
MAX_SUGGESTIONS = 20
DEFAULT_SUGGESTIONS = 8
MAX_KEY_CHARS = 32  # title keys are cut to this many characters
MAX_SORT_CHARS = 50_000_000  # _sorted_strings: NumPy's fixed-width copy at most 200 MB
KINDS = ("tag", "title", "term")  # order among suggestions of equal count
CANDIDATES = 4  # words counted exactly beyond the number of suggestions asked
MAX_COUNTS = 100_000
MAX_TRIES = 6  # last words of an unspaced query tried for completion

_PARTICLE_CHARS = frozenset("のをにがでとへはやも")
PARTICLES = frozenset("の を に が で と へ は や も から まで より".split())
MAX_PHRASE_WORDS = 3  # words (joined by particles) of a title phrase
_ASCII_WORD = re.compile(r"[a-z]+")
_KATAKANA = re.compile(r"[\u30a1-\u30fa\u30fc]+")
_KANJI = re.compile(r"[\u3005\u4e00-\u9fff]")


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


def read_vocabulary(snapshot: Snapshot) -> dict[str, int]:
    """Every term of TERM_FIELDS with its document frequency (the largest
    over the fields; deleted posts not yet merged away are still counted).
    Shared (`search.query.vocabulary`): not to be changed."""
    return _vocabulary(snapshot).terms


def reading_table(snapshot: Snapshot, vocabulary: dict[str, int] | None = None) -> ReadingTable:
    """The readings of an index generation's words: derived from another
    generation's table (`Snapshot.earlier`) and the words whose frequency
    changed, when there is one."""
    reader = snapshot.searcher.reader()

    def joins(bigram: str) -> bool:
        return any((fieldname, bigram) in reader for fieldname in NGRAM_FIELDS)

    if vocabulary is not None:
        return ReadingTable(vocabulary, joins)
    words = _vocabulary(snapshot)
    earlier = snapshot.earlier("readings")
    if isinstance(earlier, ReadingTable) and isinstance(getattr(earlier, "source", None), Vocabulary):
        table = ReadingTable.derived(earlier, words.terms, changed_terms(earlier.source, words), joins)
    else:
        table = ReadingTable(words.terms, joins)
    table.source = words
    return table


def _sorted_strings(strings: list[str]) -> list[str]:
    """`sorted(strings)`, by NumPy (see `stable_order`) unless one is so long that
    NumPy's fixed-width copy would be large."""
    if not strings or max(map(len, strings)) * len(strings) > MAX_SORT_CHARS:
        return sorted(strings)
    values = np.array(strings, dtype=np.str_)
    return values[stable_order(values)].tolist()


@functools.lru_cache(maxsize=100_000)
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
    """Completion tables of one index generation; see the module doc.

    Derived from `earlier` (another generation's tables, left as they are)
    when given: the words whose frequency changed are moved in the sorted
    word list, titles and phrases keep their registries (`search.query.prefixes`)
    and only the titles that became live or stopped being live are read
    again; the tables equal those built from scratch."""

    def __init__(self, snapshot: Snapshot, readings: ReadingTable | None = None,
                 earlier: "Completions | None" = None) -> None:
        self.snapshot = snapshot
        self.readings = readings or reading_table(snapshot)
        vocabulary = self.readings.vocabulary
        changed = _changed_words(earlier, self.readings) if earlier is not None else None
        if changed is None:
            words = _sorted_strings([t for t in vocabulary if _suggestible(t)])
            self._words = words
            self._word_freqs = np.array([vocabulary[t] for t in words], np.int64)
        else:
            assert earlier is not None
            self._words, self._word_freqs = _moved_words(earlier._words, earlier._word_freqs, vocabulary, changed)
        self._term_docs: dict[str, np.ndarray] = {}  # live posts of words looked at
        self._query_counts: dict[str, int] = {}  # live posts of completed queries
        self._estimates: dict[str, int] = {}  # lexicon counts of the rarest word of candidates
        self._pos: dict[str, str] = {}  # part of speech of words looked at
        self._converted: dict[str, str | None] = {}  # kana typed before a word, converted
        self._load_tags()
        self._load_titles(earlier)
        self._load_phrases(earlier)

    # --- building ----------------------------------------------------------

    def _load_tags(self) -> None:
        counts = self.snapshot.facet_counts("tags", self.snapshot.live)
        self._tags = [value for value, _ in counts]
        self._tag_counts = [count for _, count in counts]
        self._tag_counts_by_text = dict(counts)
        pairs = [(fold_key(v), i) for i, v in enumerate(self._tags)]
        pairs += [(r, i) for i, v in enumerate(self._tags) if (r := _reading_of(v))]
        self._tag_index = PrefixIndex(pairs)

    def _load_titles(self, earlier: "Completions | None") -> None:
        """The live titles, ranked: most posts first, then the newest, then
        the first in the index; each with its newest post."""
        registry = earlier._title_registry if earlier is not None else None
        fresh = registry is None or registry.worn()
        if fresh:
            registry = Registry(_title_key_list)
        assert registry is not None
        segments = {} if fresh or earlier is None else earlier._title_segments
        self._title_segments: dict[str, tuple[np.ndarray, np.ndarray, list[Any]]] = {}
        docs, ids, rows_at = [], [], []
        self._title_rows: list[list[Any]] = []
        for (rows, offset), segid in zip(self.snapshot.per_segment("titles", _segment_titles),
                                         self.snapshot.segment_ids):
            found = segments.get(segid)
            if found is None or found[2] is not rows:
                found = (np.array([d for d, *_ in rows], np.int64),
                         np.array([registry.add(title) for _, title, *_ in rows], np.int64), rows)
            self._title_segments[segid] = found
            docs.append(found[0] + offset)
            ids.append(found[1])
            rows_at.append(np.stack([np.full(len(rows), len(self._title_rows)), np.arange(len(rows))]))
            self._title_rows.append(rows)
        if fresh:
            registry.build()
        self._title_registry = registry
        self._title_view = registry.view()
        doc = np.concatenate(docs) if docs else np.zeros(0, np.int64)
        tid = np.concatenate(ids) if ids else np.zeros(0, np.int64)
        at = np.concatenate(rows_at, axis=1) if rows_at else np.zeros((2, 0), np.int64)
        live = self.snapshot.live[doc]
        doc, tid, at = doc[live], tid[live], at[:, live]
        dates = self.snapshot.dates()[doc]
        order = np.lexsort((doc, -dates, tid))  # by title; the newest post first, then the first
        first = np.flatnonzero(np.r_[True, tid[order][1:] != tid[order][:-1]]) if len(order) else order
        newest = order[first]
        counts = np.diff(np.r_[first, len(order)])
        earliest = np.minimum.reduceat(doc[order], first) if len(first) else first
        ranked = np.lexsort((earliest, -dates[newest], -counts))
        self._title_ids = tid[newest][ranked]  # by rank
        self._title_counts = counts[ranked]
        self._title_at = at[:, newest[ranked]]  # (segment, row) of the newest post
        self._title_rank = np.full(self._title_view.size, len(ranked), np.int64)
        self._title_rank[self._title_ids] = np.arange(len(ranked))

    def _title(self, rank: int) -> Suggestion:
        segment, row = self._title_at[:, rank]
        _, title, slug, url = self._title_rows[int(segment)][int(row)]
        return Suggestion(title, "title", int(self._title_counts[rank]), slug, url)

    def _live_titles(self) -> Iterable[str]:
        items = self._title_registry.items
        return (items[int(i)] for i in self._title_ids)

    def _load_phrases(self, earlier: "Completions | None") -> None:
        """Phrases of the titles: a word and up to MAX_PHRASE_WORDS - 1 more
        joined by particles (パッケージをインストール, ファイルのアクセス権), with the
        number of titles having each, by text and by the reading most of
        those titles give it; and the form titles write each word in (サーバー where the
        index has サーバ). From `earlier`'s, the titles that became live or
        stopped being live are counted in or out."""
        titles = set(self._live_titles())
        state = earlier._phrase_state if earlier is not None else None
        if state is None or state.registry.worn():
            state = _PhraseState(Registry(_phrase_key_list))
            for title in titles:
                state.count(title, 1)
            state.registry.build()
        else:
            before = set(earlier._live_titles()) if earlier is not None else set()
            state = state.derived()
            for title in sorted(before - titles):
                state.count(title, -1)
            for title in sorted(titles - before):
                state.count(title, 1)
        self._phrase_view = state.registry.view()
        state.finish(self._phrase_view.size)
        self._phrase_state = state
        self._phrase_chosen = state.chosen
        self._pair_phrase = np.array(state.pair_phrase[: self._phrase_view.size], np.int64)
        self._phrases = state.phrase_texts
        self._phrase_titles = state.phrase_counts
        self._phrase_lengths = state.phrase_lengths
        self._surface = state.surface

    # --- looking up --------------------------------------------------------

    def suggest(self, text: str, limit: int = 8) -> list[Suggestion]:
        """Completions of `text` (a cleaned query): titles, then tags, words
        and title phrases completing its last word, each ranked by how many
        posts the completed query finds (none is offered that finds none)."""
        text = " ".join(text.split())
        if not text or limit < 1:
            return []
        found: dict[str, Suggestion] = {}  # by title, or by the completed query folded
        for s in self._titles_for(text, limit):
            found.setdefault(s.text, s)
        typed = fold_key(text)
        as_typed: Suggestion | None = None
        for completed, kind, count in self._completions_for(text, limit):
            s = Suggestion(completed, kind, count)
            if fold_key(completed) == typed:
                as_typed = s  # offered only when nothing longer finds more posts
            else:
                found.setdefault("\0" + fold_key(completed), s)
        ranked = sorted(found.values(), key=lambda s: (-s.count, KINDS.index(s.kind), len(s.text), s.text))
        if as_typed is not None and (not ranked or as_typed.count >= ranked[0].count):
            ranked.insert(0, as_typed)
        return ranked[:limit]

    def _titles_for(self, text: str, limit: int) -> list[Suggestion]:
        key = fold_key(text)
        ranks = self._title_ranks(key)
        for kata in self._reading_keys(key.replace(" ", ""), found_as_typed=len(ranks) > 0):
            ranks = np.concatenate([ranks, self._title_ranks(kata)])
        return [self._title(int(r)) for r in np.unique(ranks)[:limit]]

    def _title_ranks(self, key: str) -> np.ndarray:
        """Ranks of the live titles with a key starting with `key`."""
        ranks = self._title_rank[self._title_view.find(key)]
        return ranks[ranks < len(self._title_ids)]

    def _completions_for(self, text: str, limit: int) -> list[tuple[str, str, int]]:
        """(completed query, kind, posts it finds) completing the last word
        typed (or continuing after a particle), after what came before."""
        head, _, last = text.rpartition(" ")
        before = head + " " if head else ""
        morphemes = analyze(last)
        starts = [0] + sorted({m.start for m in morphemes if m.start})[-MAX_TRIES:]
        hiragana = is_kana(last) and not _KATAKANA.fullmatch(last)
        # (MeCab's parts of speech of a hiragana chunk being typed mean little: かくりつ)
        ends_with_particle = bool(morphemes) and morphemes[-1].pos.startswith("助詞") and not hiragana
        n = limit + CANDIDATES
        splits: Iterable[tuple[str, str]] = [(last[:start], last[start:]) for start in starts]
        if hiragana:  # がぞうのかいて: 画像の + かいて, the earlier words converted by reading
            splits = itertools.chain([("", last)], ((c, last[k:]) for k in range(1, len(last))
                                                    if (c := self._convert_kana(last[:k])) is not None))
        for typed, word in splits:
            prefix = before + typed
            # after の or directly after a word (a compound) only nouns: not
            # ユーザーの追う, 高速書く; after a kanji only what is written next to it
            nouns_only = bool(typed) and (typed.endswith("の") or typed[-1:] not in _PARTICLE_CHARS)
            after_kanji = bool(typed) and _KANJI.match(typed[-1]) is not None
            candidates = [(p, "term") for p in self._phrases_starting(word, n)]
            if not ends_with_particle and word not in PARTICLES:  # の is not 除く: continue after it
                candidates += self._words_starting(word, n, nouns_only, after_kanji and typed)
            # counted exactly (postings read) only for the likeliest by the lexicon's counts
            candidates = sorted(candidates, key=lambda c: -self._estimate(*c))[:n]
            counted = []
            for completed, kind in ((prefix + text, kind) for text, kind in candidates):
                count = self._finds(completed) if kind == "term" else self._tag_count(completed[len(prefix):])
                if kind == "tag" and prefix.strip():
                    count = min(count, self._finds(completed))
                if count:
                    counted.append((completed, kind, count))
            if counted:
                return counted
        return []

    def _phrases_starting(self, word: str, n: int) -> list[str]:
        """Title phrases starting with `word` (by text or by reading), shown
        as typed where they start with it; the most frequent in titles first."""
        key = fold_key(word)
        ids = self._phrase_ids(key)
        for kata in self._reading_keys(key, found_as_typed=len(ids) > 0):
            if len(kata) >= 2:
                ids = np.concatenate([ids, self._phrase_ids(kata)])
        ids = np.unique(ids)
        # the most titles first, then shorter, then by text: the first n
        primary = -self._phrase_titles[ids] * (1 << 32) + self._phrase_lengths[ids]
        if len(ids) > n:
            kept = primary <= np.partition(primary, n - 1)[n - 1]  # ties at the n-th kept
            ids, primary = ids[kept], primary[kept]
        phrases = self._phrases
        best = sorted(zip(primary.tolist(), ids.tolist()), key=lambda pi: (pi[0], phrases[pi[1]]))[:n]
        return [_as_typed(word, phrases[i]) for _, i in best]

    def _phrase_ids(self, key: str) -> np.ndarray:
        """Ids of the phrases of live titles with a key starting with `key`."""
        pairs = self._phrase_view.find(key)
        phrases = self._pair_phrase[pairs]
        return phrases[self._phrase_chosen[phrases] == pairs]

    def _convert_kana(self, kana: str) -> str | None:
        """Kana typed before the word being completed, in the words of the
        index it reads as (がぞうの → 画像の), particles as typed; None unless
        all of it reads as words or particles."""
        if kana in self._converted:
            return self._converted[kana]
        if len(self._converted) > MAX_COUNTS:
            self._converted.clear()
        converted = self._converted[kana] = self._convert(kana)
        return converted

    def _convert(self, kana: str) -> str | None:
        kata = to_katakana(kana)
        if not kata:
            return None
        skippable = {(m.start, m.end) for m in analyze(kata_to_hira(kata)) if not m.kept}
        out: list[str] = []
        pos = 0
        for segment in self.readings.segment(kata, skippable) + [Segment(len(kata), len(kata), "", ("",))]:
            if kata.startswith("ー", pos) and pos < segment.start:
                pos += 1  # the long vowel of the word before (ユーザ + ー)
            gap = kata[pos : segment.start]
            if gap and (pos, segment.start) not in skippable and kata_to_hira(gap) not in PARTICLES:
                return None
            out.append(kana[pos : segment.start])
            term = segment.terms[0]
            out.append(self._surface.get(term, term.lstrip(SUFFIX_MARK)))
            pos = segment.end
        return "".join(out) if pos == len(kata) and len(out) > 2 else None

    def _words_starting(self, word: str, n: int, nouns_only: bool = False,
                        after_kanji: str = "") -> list[tuple[str, str]]:
        """(text, kind) of tags and words starting with `word`: as typed, or
        for a kana chunk (romaji where nothing ASCII matches) by reading."""
        key = fold_key(word)
        prefix = normalize_term(word)
        tag_ids = list(self._tag_index.find(key))
        words = self._words_with_prefix(prefix, n)
        if word.endswith("ー") and prefix != key:  # サーバー: not サーバント
            words = [w for w in words if w == prefix or w.startswith(key)]
        for kata in self._reading_keys(key, found_as_typed=bool(tag_ids or words)):
            tag_ids += list(self._tag_index.find(kata))
            words += self.readings.with_prefix(kata, n)
        found: dict[str, tuple[str, str]] = {}
        for i in dict.fromkeys(tag_ids):
            tag = self._tags[int(i)]
            found[normalize_term(tag)] = (tag, "tag")
        vocabulary = self.readings.vocabulary
        words = [w for w in dict.fromkeys(words)
                 if _suggestible(w) or (after_kanji and w.startswith(SUFFIX_MARK) and len(w) > 1)]
        words = sorted(words, key=lambda w: -vocabulary.get(w, 0))[:n]
        for term in words:
            if nouns_only and not self._is_noun(term):
                continue  # ユーザーの追う
            if after_kanji and not term.isascii() and not self.readings.joins(after_kanji[-1], term):
                continue  # こうそくか: 高速 + 化 (速化 is written), not 高速 + 可能
            shown = self._surface.get(term, term.lstrip(SUFFIX_MARK))  # 高速 + ~化: 高速化
            found.setdefault(term, (_as_typed(word, shown), "term"))
        return list(found.values())

    def _is_noun(self, term: str) -> bool:
        pos = self._pos.get(term)
        if pos is None:
            morphemes = analyze(term)
            pos = self._pos[term] = morphemes[-1].pos if morphemes else ""
        return not pos.startswith(("動詞", "形容詞", "副詞", "助動詞"))

    def _estimate(self, text: str, kind: str) -> int:
        """At least as many posts as `text` (a tag, or words) finds: the
        lexicon's count of its rarest word."""
        if kind == "tag":
            return self._tag_count(text)
        estimate = self._estimates.get(text)
        if estimate is None:
            vocabulary = self.readings.vocabulary
            estimate = min((vocabulary.get(m.term, 0) for m in analyze(text) if m.kept), default=0)
            if len(self._estimates) > MAX_COUNTS:
                self._estimates.clear()
            self._estimates[text] = estimate
        return estimate

    def _tag_count(self, tag: str) -> int:
        return self._tag_counts_by_text.get(tag, 0)

    def _finds(self, text: str) -> int:
        """Live posts having every word of `text` in title, tags or body."""
        count = self._query_counts.get(text)
        if count is None:
            terms = {m.term for m in analyze(text) if m.kept}
            docs: np.ndarray | None = None
            for term in terms:
                found = self._docs(term)
                docs = found if docs is None else np.intersect1d(docs, found, assume_unique=True)
                if not len(docs):
                    break
            count = 0 if docs is None else len(docs)
            if len(self._query_counts) > MAX_COUNTS:
                self._query_counts.clear()
            self._query_counts[text] = count
        return count

    @staticmethod
    def _reading_keys(key: str, found_as_typed: bool) -> list[str]:
        """The reading keys to look up: for hiragana; for katakana and romaji
        only when nothing starts with them as typed (アク is アクセス, not
        空く; ``kube`` is not くべ). Romaji cut inside a kana is read with
        each vowel after it (``kous``: コウサ, コウシ … コウソ)."""
        if is_kana(key):
            if found_as_typed and _KATAKANA.fullmatch(key):
                return []
            return [reading_key(to_katakana(key) or "")]
        if not _ASCII_WORD.fullmatch(key) or found_as_typed:
            return []
        whole = to_katakana(key)
        if whole and to_katakana(key, partial=True) == whole:
            return [reading_key(whole)]
        readings = [whole] + [to_katakana(key + vowel) for vowel in "aiueo"]
        return list(dict.fromkeys(reading_key(k) for k in readings if k))

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

    def _docs(self, term: str) -> np.ndarray:
        """Live posts having the word in title, tags or body."""
        docs = self._term_docs.get(term)
        if docs is None:
            docs = np.unique(np.concatenate([self.snapshot.postings(f, term)[0] for f in TERM_FIELDS]))
            docs = self._term_docs[term] = docs[self.snapshot.live[docs]]
            if len(self._term_docs) > MAX_COUNTS:
                self._term_docs.clear()
        return docs


def _as_typed(word: str, text: str) -> str:
    """`text` starting with `word` as the reader typed it, when it starts
    with it (ignoring case; a long vowel the index folds away is kept)."""
    if unicodedata.normalize("NFKC", word) != word:
        return text  # full width typed: show the index's form
    if fold_key(text[: len(word)]) == fold_key(word):
        return word + text[len(word) :]
    if word.endswith("ー") and text == normalize_term(word):
        return word
    return text


_TITLE_PHRASES: dict[str, tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]] = {}


def _title_phrases(title: str) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    """(phrase, its reading) for each phrase of a title: from each word, one
    to MAX_PHRASE_WORDS compounds joined by particles (ファイル, ファイルのアクセス権,
    ファイルのアクセス権をチェック); and (word, as the title writes it) for each
    word whose index form differs only in width, case or long vowel.
    Remembered across generations."""
    cached = _TITLE_PHRASES.get(title)
    if cached is None:
        if len(_TITLE_PHRASES) >= _TITLE_KEYS_MAX:
            _TITLE_PHRASES.clear()
        cached = _TITLE_PHRASES[title] = _read_title_phrases(title)
    return cached


class _PhraseState:
    """Counts of the phrases of a set of titles, kept along generations:
    titles per (phrase, reading) pair (`pair_counts`, by the pair's id in
    `registry`, which holds their keys) and per phrase (`phrase_counts`, by
    the phrase's id in `phrase_ids`), and per word the forms titles write it
    in (`forms`, the most frequent in `surface`)."""

    def __init__(self, registry: Registry[tuple[str, str]]) -> None:
        self.registry = registry
        self.pair_counts = np.zeros(0, np.int64)
        self.phrase_counts = np.zeros(0, np.int64)
        self.phrase_lengths = np.zeros(0, np.int64)
        self.chosen = np.zeros(0, np.int64)  # by phrase id: the pair of its reading (-1: none)
        self.forms: dict[str, dict[str, int]] = {}
        self.surface: dict[str, str] = {}
        # phrase ids, shared along generations (only ever appended to)
        self.phrase_ids: dict[str, int] = {}
        self.phrase_texts: list[str] = []
        self.pair_phrase: list[int] = []  # phrase id of each pair id
        self.phrase_pairs: dict[int, list[int]] = {}  # pair ids of each phrase id
        self._pair_delta: dict[int, int] = {}
        self._phrase_delta: dict[int, int] = {}
        self.titles_counted = 0  # (for tests and benchmarks)

    def derived(self) -> "_PhraseState":
        state = _PhraseState(self.registry)
        state.pair_counts, state.phrase_counts = self.pair_counts, self.phrase_counts
        state.phrase_lengths, state.chosen = self.phrase_lengths, self.chosen
        state.phrase_pairs = self.phrase_pairs
        state.forms, state.surface = dict(self.forms), dict(self.surface)  # inner dicts: replaced when changed
        state.phrase_ids, state.phrase_texts, state.pair_phrase = self.phrase_ids, self.phrase_texts, self.pair_phrase
        return state

    def count(self, title: str, sign: int) -> None:
        """Counts a title's phrases in (sign 1) or out (-1); `finish` applies the counts."""
        self.titles_counted += 1
        phrases, forms = _title_phrases(title)
        for pair in phrases:
            with _PHRASE_IDS_LOCK:
                phrase_id = self.phrase_ids.get(pair[0])
                if phrase_id is None:
                    phrase_id = self.phrase_ids[pair[0]] = len(self.phrase_texts)
                    self.phrase_texts.append(pair[0])
                pair_id = self.registry.add(pair)
                while len(self.pair_phrase) <= pair_id:
                    self.pair_phrase.append(-1)
                if self.pair_phrase[pair_id] < 0:
                    self.pair_phrase[pair_id] = phrase_id
                    self.phrase_pairs.setdefault(phrase_id, []).append(pair_id)
            self._pair_delta[pair_id] = self._pair_delta.get(pair_id, 0) + sign
            self._phrase_delta[phrase_id] = self._phrase_delta.get(phrase_id, 0) + sign
        for term, surface in forms:
            counts = dict(self.forms.get(term, {}))
            _bump(counts, surface, sign)
            if counts:
                self.forms[term] = counts
                self.surface[term] = max(counts, key=lambda f: (counts[f], f))
            else:
                self.forms.pop(term, None)
                self.surface.pop(term, None)

    def finish(self, pairs: int) -> None:
        """Applies the counts (to copies of the arrays) for `pairs` pair ids."""
        phrases = len(self.phrase_texts)
        self.pair_counts = _grown(self.pair_counts, pairs)
        self.phrase_counts = _grown(self.phrase_counts, phrases)
        if len(self.phrase_lengths) < phrases:
            self.phrase_lengths = np.concatenate([self.phrase_lengths, np.array(
                [len(t) for t in self.phrase_texts[len(self.phrase_lengths) : phrases]], np.int64)])
        for counts, delta in ((self.pair_counts, self._pair_delta), (self.phrase_counts, self._phrase_delta)):
            if delta:
                np.add.at(counts, np.fromiter(delta.keys(), np.int64, len(delta)),
                          np.fromiter(delta.values(), np.int64, len(delta)))
        # a phrase is found by the reading most of its titles give it (ties: the first in code point order)
        self.chosen = np.concatenate([self.chosen, np.full(phrases - len(self.chosen), -1, np.int64)])
        items = self.registry.items
        for phrase_id in self._phrase_delta:
            live = [(-int(self.pair_counts[p]), items[p][1], p) for p in self.phrase_pairs[phrase_id]
                    if self.pair_counts[p] > 0]
            self.chosen[phrase_id] = min(live)[2] if live else -1
        self._pair_delta, self._phrase_delta = {}, {}


def _grown(values: np.ndarray, size: int) -> np.ndarray:
    """A copy of `values` with zeros up to `size`."""
    out = np.zeros(max(size, len(values)), values.dtype)
    out[: len(values)] = values
    return out


_PHRASE_IDS_LOCK = threading.Lock()


def _bump(counts: dict[Any, int], key: Any, by: int) -> None:
    value = counts.get(key, 0) + by
    if value:
        counts[key] = value
    else:
        counts.pop(key, None)


def _title_key_list(title: str) -> list[str]:
    folded, readings = _title_keys(title)
    return list(folded) + list(readings)


def _phrase_key_list(pair: tuple[str, str]) -> list[str]:
    phrase, reading = pair
    key = reading_key(reading)
    return [fold_key(phrase), key] if key else [fold_key(phrase)]


def _changed_words(earlier: "Completions", readings: ReadingTable) -> set[str] | None:
    """The words whose frequency differs between `earlier`'s vocabulary and
    this one's, when both come from generations' vocabularies; else None."""
    old, new = getattr(earlier.readings, "source", None), getattr(readings, "source", None)
    if not (isinstance(old, Vocabulary) and isinstance(new, Vocabulary)):
        return None
    return changed_terms(old, new)


def _moved_words(words: list[str], freqs: np.ndarray, vocabulary: dict[str, int] | Any,
                 changed: set[str]) -> tuple[list[str], np.ndarray]:
    """The sorted suggestible words and their frequencies, from another
    generation's and the words whose frequency changed."""
    words = list(words)
    wanted = {t for t in changed if t in vocabulary and _suggestible(t)}
    gone = []
    for t in sorted(changed - wanted):
        i = bisect.bisect_left(words, t)
        if i < len(words) and words[i] == t:
            gone.append(i)
    for i in reversed(gone):
        del words[i]
    freqs = np.delete(freqs, gone)
    new = [t for t in sorted(wanted) if not _has(words, t)]
    at = [bisect.bisect_left(words, t) for t in new]
    freqs = np.insert(freqs, at, [vocabulary[t] for t in new]) if new else freqs.copy()
    for i, t in reversed(list(zip(at, new))):
        words.insert(i, t)
    for t in wanted:
        freqs[bisect.bisect_left(words, t)] = vocabulary[t]
    return words, freqs


def _has(words: list[str], t: str) -> bool:
    i = bisect.bisect_left(words, t)
    return i < len(words) and words[i] == t


def _read_title_phrases(title: str) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    morphemes = analyze(title)
    out: list[tuple[str, str]] = []
    forms = tuple((m.term, m.surface) for m in morphemes
                  if m.kept and m.surface != m.term and normalize_term(m.surface) == m.term)
    for i, first in enumerate(morphemes):
        if not first.kept or first.term.startswith(SUFFIX_MARK) or is_kana(first.surface) and not _KATAKANA.fullmatch(first.surface):
            continue  # not from a suffix or a hiragana word (…についての: つい)
        j = i
        for _ in range(MAX_PHRASE_WORDS):
            k = j  # the compound: adjacent words kept
            while k + 1 < len(morphemes) and morphemes[k + 1].kept and morphemes[k + 1].start == morphemes[k].end:
                k += 1
            phrase = title[first.start : morphemes[k].end]
            if len(phrase) > MAX_KEY_CHARS:
                break
            if not _cut(morphemes[k]):  # not サーバを使っ (of サーバを使って)
                reading = "".join(x.reading or fold_key(x.surface) for x in morphemes[i : k + 1])
                out.append((phrase, reading))
            p = k + 1  # particles joining the next compound
            while p < len(morphemes) and morphemes[p].pos.startswith("助詞") and morphemes[p].start == morphemes[p - 1].end:
                p += 1
            if p == k + 1 or p >= len(morphemes) or not morphemes[p].kept or morphemes[p].start != morphemes[p - 1].end:
                break
            j = p
    return tuple(out), forms


def _cut(m: Morpheme) -> bool:
    """A verb or adjective written in an inflected form that does not end
    a phrase (使っ, 見つけ, 軽く): no reader types it as the end of a query."""
    return m.pos.startswith(("動詞", "形容詞")) and m.surface[-1:] != m.lemma[-1:]


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
