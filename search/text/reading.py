"""Readings: finding words written in kanji from what a reader types in kana
or romaji.

Readers type 「こうそくか」, 「コウソクカ」 or ``kousokuka`` and mean 高速化.
The index holds the words as written, so the readings are built at query
time from the index's own vocabulary, once per index generation:

* `term_readings` gives each index term its katakana reading from UniDic
  (the reading of the lemma, as MeCab reports it in `Morpheme.reading`);
  results are kept across generations, so a new commit only analyses its
  new words;
* `ReadingTable` sorts (reading, term, document frequency) rows for prefix
  look-ups (completions) and splits a whole reading into known readings by
  dynamic programming (`ReadingTable.segment`), e.g.
  コウソクカ → コウソク (高速) + カ (~化).

Romaji becomes kana with jaconv (`alphabet2kana`), hiragana becomes katakana
with `jaconv.hira2kata`. Keys drop a final long-vowel mark, as index terms do
(サーバー and サーバ share the key サーバ).
"""

from __future__ import annotations

import bisect
import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

import jaconv
import numpy as np

from search.text.morph import SUFFIX_MARK, analyze

MAX_READING_CHARS = 32  # longer kana chunks are not segmented
MAX_KEY_CHARS = 16  # longest reading a segment may have
CANDIDATES_PER_SEGMENT = 3

_KANA = re.compile(r"[\u3041-\u3096\u309d\u309e\u30a1-\u30fa\u30fc-\u30fe]+")
_ROMAJI = re.compile(r"[a-z]+(?:['-][a-z]*)*")
_CONSONANTS_AT_END = re.compile(r"[^aeiou'\-]+$")
_KANA_STARTS = frozenset(
    {c + "y" for c in "kgsztdnhbpmrjcf"} | {"sh", "ch", "ts", "th", "dh", "wh", "xt", "lt", "xy", "ly"}
)
_HIRAGANA_OUT = re.compile(r"[\u3041-\u3096\u30fc]+")
# っ must come before a consonant that can be doubled; small ゃゅょ etc. after
# a kana they can follow. jaconv turns letters it cannot read into っ.
_BAD_SOKUON = re.compile(r"っ(?:$|[っあいうえおんなにぬねのまみむめもやゆよらりるれろわをゃゅょぁぃぅぇぉー])")
_JAPANESE = re.compile(r"[\u3041-\u3096\u30a1-\u30fa\u3005\u4e00-\u9fff]")
_CJK = re.compile(r"[\u30a1-\u30fa\u30fc\u3005\u4e00-\u9fff]")
_KANJI = re.compile(r"[\u3005\u4e00-\u9fff]")
_KANA_ONLY = re.compile(r"[\u3041-\u3096\u30a1-\u30fa\u30fc]+")
# Suffix terms (~化) are read inside a carrier word, since a suffix alone is
# read as a word of its own (化 → 化ける).
_SUFFIX_CARRIERS = ("標準", "自動", "三", "~")


def is_kana(text: str) -> bool:
    """Only hiragana and katakana (and the long-vowel mark)."""
    return bool(_KANA.fullmatch(text))


def romaji_to_kana(word: str, partial: bool = False) -> str | None:
    """Hiragana for romaji as typed with an IME (``kousokuka`` → こうそくか).

    None when the letters are not clean romaji (``python``, ``aws``). With
    `partial`, trailing letters that do not make a kana yet (``kous``) are
    dropped, for completing what is being typed.
    """
    word = word.lower()
    if not _ROMAJI.fullmatch(word):
        return None
    if partial:
        word = _complete_part(word)
        if not word:
            return None
    kana = jaconv.alphabet2kana(word.replace("n'", "nn").replace("'", ""))
    if not _HIRAGANA_OUT.fullmatch(kana) or _BAD_SOKUON.search(kana):
        return None
    return kana


def _complete_part(word: str) -> str:
    """`word` without the letters of a kana being typed (``kous`` → ``kou``,
    ``kon`` → ``ko``, ``kanr`` → ``kann``); "" when the ending cannot start a kana."""
    tail = _CONSONANTS_AT_END.search(word)
    if tail is None:
        return word
    letters, done = tail.group(), ""
    if len(letters) >= 2 and letters[0] == "n" and letters[1] != "y":
        # n before a consonant is ん (kanr → かん + r)
        done, letters = "nn", letters[2:] if letters[1] == "n" else letters[1:]
    if len(letters) <= 1 or letters in _KANA_STARTS or (len(letters) == 2 and letters[0] == letters[1]):
        return word[: tail.start()] + done
    return ""


def to_katakana(chunk: str, partial: bool = False) -> str | None:
    """The katakana reading of a kana or romaji chunk, else None."""
    chunk = unicodedata.normalize("NFKC", chunk)
    if is_kana(chunk):
        return jaconv.hira2kata(chunk)
    if chunk.isascii():
        kana = romaji_to_kana(chunk, partial)
        return jaconv.hira2kata(kana) if kana else None
    return None


def kata_to_hira(text: str) -> str:
    """Katakana as hiragana (same length), for MeCab to find particles in."""
    return jaconv.kata2hira(text)


def reading_key(reading: str) -> str:
    """The look-up key of a katakana reading (a final ー dropped)."""
    if len(reading) > 1 and reading[-1] == "ー":
        return reading[:-1]
    return reading


# --- readings of index terms --------------------------------------------------

_READINGS: dict[str, tuple[str, ...]] = {}  # term -> reading keys; kept across generations
_READINGS_MAX = 500_000


def term_readings(terms: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Reading keys of each Japanese term (terms without any are left out)."""
    terms = [t for t in terms if _JAPANESE.search(t)]
    todo = [t for t in terms if t not in _READINGS]
    if len(_READINGS) + len(todo) > _READINGS_MAX:
        _READINGS.clear()
        todo = terms
    plain = [t for t in todo if not t.startswith(SUFFIX_MARK)]
    suffixes = [t for t in todo if t.startswith(SUFFIX_MARK)]
    _read_plain(plain)
    _read_suffixes(suffixes)
    return {t: _READINGS[t] for t in terms if _READINGS.get(t)}


def _analysed_alone(words: list[str]) -> Iterable[tuple[str, list]]:
    """(word, its morphemes), each word analysed on its own: in one MeCab pass
    over all of them, one per line, a word's reading depended on the word
    before it (世 alone is ヨ; after 横 on the line above it had none), so
    the table depended on the order the index listed its words in, which
    differs between two builds of the same posts."""
    for word in words:
        yield word, list(analyze(word))


def _read_plain(terms: list[str]) -> None:
    for term, morphemes in _analysed_alone(terms):
        keys: list[str] = []
        kept = [m.term for m in morphemes if m.kept]
        if morphemes and kept == [term] and all(m.reading for m in morphemes):
            keys.append(reading_key("".join(m.reading for m in morphemes)))
        if _KANA_ONLY.fullmatch(term):
            keys.append(reading_key(jaconv.hira2kata(term)))
        _READINGS[term] = tuple(dict.fromkeys(keys))


def _read_suffixes(terms: list[str]) -> None:
    todo = set(terms)
    for carrier in _SUFFIX_CARRIERS:
        if not todo:
            break
        words = sorted(todo)
        for term, morphemes in _analysed_alone([carrier + t[len(SUFFIX_MARK):] for t in words]):
            found = [m.reading for m in morphemes if m.term.startswith(SUFFIX_MARK) and m.reading]
            wanted = SUFFIX_MARK + term[len(carrier):]
            if found and any(m.term == wanted for m in morphemes):
                _READINGS[wanted] = (reading_key(found[-1]),)
                todo.discard(wanted)
    for term in todo:
        _READINGS[term] = ()


# --- the table ----------------------------------------------------------------

_DERIVING: Mapping[str, int] = {}  # `ReadingTable.derived` fills the table itself


@dataclass(frozen=True)
class Segment:
    start: int  # offsets into the katakana reading
    end: int
    key: str
    terms: tuple[str, ...]  # candidate words with this reading, best first


class ReadingTable:
    """Sorted (reading key, term, document frequency) rows of one index generation.

    `joins(bigram)` says whether two characters ever follow each other in
    the index (its character-bigram view); it ranks candidates for short
    readings (カ after コウソク is 化, since 速化 occurs).
    """

    def __init__(
        self,
        vocabulary: Mapping[str, int],
        joins: Callable[[str], bool] | None = None,
    ) -> None:
        self.vocabulary = vocabulary  # term -> document frequency
        self._joins = joins or (lambda bigram: False)
        self._join_cache: dict[str, bool] = {}
        if vocabulary is _DERIVING:
            return
        rows = sorted(
            (key, -vocabulary[term], term)
            for term, keys in term_readings(vocabulary).items()
            for key in keys
        )
        self.keys = [key for key, _, _ in rows]
        self.terms = [term for _, _, term in rows]
        self.freqs = np.array([-f for _, f, _ in rows], np.int64)
        self._by_key: dict[str, tuple[str, ...]] = {}
        for key, _, term in rows:  # rows of one key come most frequent first
            self._by_key[key] = self._by_key.get(key, ()) + (term,)
        self.terms_read = len(vocabulary)  # terms whose rows were made (for tests and benchmarks)

    @classmethod
    def derived(cls, earlier: "ReadingTable", vocabulary: Mapping[str, int], changed: Iterable[str],
                joins: Callable[[str], bool] | None = None) -> "ReadingTable":
        """The table of `vocabulary`, from `earlier`'s (another generation's,
        left as it is) and the terms whose frequency differs between the two
        (`changed`, added and removed ones included): only the rows of their
        reading keys are made again. Equal to `ReadingTable(vocabulary, joins)`."""
        table = cls(_DERIVING, joins)
        table.vocabulary = vocabulary
        changed = sorted(changed)
        keys, terms = list(earlier.keys), list(earlier.terms)
        freqs = earlier.freqs.copy()
        by_key = dict(earlier._by_key)
        readings = term_readings(changed)
        affected = sorted({key for keys_of in readings.values() for key in keys_of})
        for key in affected:
            lo = bisect.bisect_left(keys, key)
            hi = bisect.bisect_right(keys, key, lo)
            members = {t for t in terms[lo:hi] if t in vocabulary}
            members.update(t for t in changed if t in vocabulary and key in readings.get(t, ()))
            block = sorted((-vocabulary[t], t) for t in members)
            if len(block) != hi - lo:  # a word added or gone: the rows after it move
                keys[lo:hi] = [key] * len(block)
                freqs = np.concatenate([freqs[:lo], np.array([-f for f, _ in block], np.int64), freqs[hi:]])
            else:
                freqs[lo:hi] = [-f for f, _ in block]
            terms[lo:hi] = [t for _, t in block]
            if block:
                by_key[key] = tuple(t for _, t in block)
            else:
                by_key.pop(key, None)
        table.keys, table.terms, table.freqs, table._by_key = keys, terms, freqs, by_key
        table.terms_read = len(changed)
        return table

    def __len__(self) -> int:
        return len(self.keys)

    def words(self, key: str) -> tuple[str, ...]:
        """Terms read exactly `key`, most frequent first."""
        return self._by_key.get(key, ())

    def prefix_range(self, prefix: str) -> tuple[int, int]:
        """Rows whose key starts with `prefix`, as a slice."""
        lo = bisect.bisect_left(self.keys, prefix)
        hi = bisect.bisect_left(self.keys, prefix + "\U0010ffff")
        return lo, hi

    def with_prefix(self, prefix: str, limit: int) -> list[str]:
        """Up to `limit` distinct terms whose reading starts with `prefix`, most frequent first."""
        if not prefix:
            return []
        lo, hi = self.prefix_range(prefix)
        if hi <= lo:
            return []
        order = np.argsort(-self.freqs[lo:hi], kind="stable")
        found: dict[str, None] = {}
        for i in order:
            found.setdefault(self.terms[lo + int(i)])
            if len(found) >= limit:
                break
        return list(found)

    def joins(self, left: str, right: str) -> bool:
        """Whether the words `left` and `right` are ever written together
        (judged by the bigram at the seam; only seams with a kanji count)."""
        a, b = left.lstrip(SUFFIX_MARK), right.lstrip(SUFFIX_MARK)
        if not (a and b and _CJK.match(a[-1]) and _CJK.match(b[0])):
            return False
        bigram = a[-1] + b[0]
        if not _KANJI.search(bigram) or "ー" in bigram:
            return False  # katakana runs join anything (ネットワークノード: クノ, サーバー設定: ー設)
        cached = self._join_cache.get(bigram)
        if cached is None:
            cached = self._join_cache[bigram] = bool(self._joins(bigram))
        return cached

    def segment(self, reading: str, skippable: Iterable[tuple[int, int]] = ()) -> list[Segment]:
        """Split a whole katakana reading into known readings (see `_Segmenter`).

        `skippable` spans (particles, auxiliaries found by MeCab) may be left
        out cheaply. Returns [] when no segment of two or more kana is found.
        """
        if not reading or len(reading) > MAX_READING_CHARS:
            return []
        return _Segmenter(self, reading, dict(skippable)).best()


class _Segmenter:
    """Cheapest split of a reading into known readings.

    Costs: a segment of two kana or more 1.0, of one kana 1.6 (too many
    words read カ or キ), less 0.7 when its best word is written next to the
    previous segment's somewhere in the index; leaving out a particle 1.2,
    any other kana 2.0; a long-vowel mark after a segment is free. Ties go
    to the split whose words are more frequent.
    """

    SEGMENT, SHORT, JOINED, SKIP_PARTICLE, SKIP_CHAR = 1.0, 1.6, 0.7, 1.2, 2.0

    def __init__(self, table: ReadingTable, reading: str, skippable: dict[int, int]) -> None:
        self.table = table
        self.reading = reading
        self.skippable = skippable

    def best(self) -> list[Segment]:
        n = len(self.reading)
        # state: (position, last segment or None) -> (cost, path)
        states: dict[tuple[int, Segment | None], tuple[float, tuple[Segment, ...]]] = {(0, None): (0.0, ())}
        final: tuple[float, tuple[Segment, ...]] | None = None
        for pos in range(n + 1):
            here = [(k, v) for k, v in states.items() if k[0] == pos]
            for (_, last), (cost, path) in sorted(here, key=lambda kv: kv[1][0]):
                if pos == n:
                    if final is None or cost < final[0]:
                        final = (cost, path)
                    continue
                for nxt, (c, p) in self._moves(pos, last, cost, path):
                    old = states.get(nxt)
                    if old is None or c < old[0]:
                        states[nxt] = (c, p)
        if final is None or not any(s.end - s.start >= 2 for s in final[1]):
            return []
        return self._order(list(final[1]))

    def _order(self, path: list[Segment]) -> list[Segment]:
        """Candidates written next to a neighbour's best word first (ハン
        before ドウタイ is 半, not the more frequent 版)."""
        out = []
        for i, seg in enumerate(path):
            before = path[i - 1].terms[0] if i and path[i - 1].end == seg.start else None
            after = path[i + 1].terms[0] if i + 1 < len(path) and path[i + 1].start == seg.end else None
            ranked = sorted(seg.terms, key=lambda word: -self._together(before, word, after))
            out.append(Segment(seg.start, seg.end, seg.key, tuple(ranked)))
        return out

    def _together(self, before: str | None, word: str, after: str | None) -> int:
        """How many of its neighbours `word` is written next to in the index."""
        joins = self.table.joins
        return int(before is not None and joins(before, word)) + int(after is not None and joins(word, after))

    def _moves(self, pos: int, last: Segment | None, cost: float, path: tuple[Segment, ...]):
        reading = self.reading
        if reading[pos] == "ー" and last is not None:
            yield (pos + 1, last), (cost, path)
        for end in range(pos + 1, min(len(reading), pos + MAX_KEY_CHARS) + 1):
            key = reading[pos:end]
            words = self.table.words(key)
            if not words:
                continue
            segment = self._segment(pos, end, key, words, last)
            step = self.SEGMENT if end - pos >= 2 else self.SHORT
            if last is not None and self.table.joins(last.terms[0], segment.terms[0]):
                step -= self.JOINED
            freq = self.table.vocabulary.get(segment.terms[0], 0)
            step -= 0.001 * math.log1p(freq)
            yield (end, segment), (cost + step, path + (segment,))
        skip_to = self.skippable.get(pos)
        if skip_to:
            yield (skip_to, None), (cost + self.SKIP_PARTICLE, path)
        yield (pos + 1, None), (cost + self.SKIP_CHAR, path)

    def _segment(self, start: int, end: int, key: str, words: tuple[str, ...], last: Segment | None) -> Segment:
        if last is not None and len(words) > 1:
            # words written next to the previous segment's first
            words = tuple(sorted(words, key=lambda w: not self.table.joins(last.terms[0], w)))
        return Segment(start, end, key, words[:CANDIDATES_PER_SEGMENT])
