"""Paragraphs and sentences of plain text, normalised for finding repeats.

A paragraph is a block of text between blank lines (how `search.ingest.plaintext`
separates blocks), located by its character offsets. Its *key* is the text
folded for comparison: NFKC, case-folded, without spaces, punctuation,
symbols or Markdown marks, so `**技術者の皆さん**、` and `技術者の皆さん、`
compare equal.

The indexer stores the hashes of each post's long paragraphs and sentences
(`passage_terms`) in the `passages` column; a searcher turns the column into
an in-memory map from hash to posts once per index version
(`Snapshot.column_terms`), so the posts sharing a passage are found with one
lookup.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import re
import unicodedata
import zlib
from dataclasses import dataclass

MIN_INDEXED_CHARS = 40  # normalised characters of a paragraph or sentence worth indexing
GRAM = 4  # characters per shingle
SAMPLE_MOD = 4  # about one shingle in SAMPLE_MOD is sampled ...
MIN_SAMPLES = 4  # ... and at least this many per text
PARAGRAPH_PREFIX = "p"
SENTENCE_PREFIX = "s"

_BLOCK = re.compile(r"[^\n]+(?:\n(?![ \t\u3000]*\n)[^\n]*)*")  # runs of non-blank lines
_SENTENCE = re.compile(r"[^。！？!?\n]+(?:[。！？!?]+[」』）)]*|\n|$)")
_DROP_CATEGORIES = ("P", "S", "Z", "C")  # punctuation, symbols, separators, control
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Paragraph:
    index: int  # 0-based among the text's non-empty paragraphs
    start: int  # offsets into the text: text[start:end] is the paragraph
    end: int
    key: str  # normalised text

    def grams(self) -> frozenset[str]:
        return shingles(self.key)


def _dropped(code: int) -> bool:
    return unicodedata.category(chr(code)).startswith(_DROP_CATEGORIES)


class _DropTable(dict):
    """A `str.translate` table deleting what comparison ignores, filled as characters come."""

    def __missing__(self, code: int) -> int | None:
        self[code] = None if _dropped(code) else code
        return self[code]


_DROP = _DropTable()


@functools.cache
def _drop_bmp() -> re.Pattern[str]:
    """What comparison ignores among U+0000-U+FFFF, as one character class:
    a regular expression deletes it in a fraction of the time `translate`
    takes to look up every character in a dict. (Built once per process,
    in an update too: the categories are looked up by `map`, and the runs
    found by `groupby`, 2.5x faster than a Python loop over the 65,536.)"""
    dropped = [category.startswith(_DROP_CATEGORIES)
               for category in map(unicodedata.category, map(chr, range(0x10000)))]
    ranges = []
    for is_dropped, run in itertools.groupby(range(0x10000), dropped.__getitem__):
        if is_dropped:
            codes = list(run)
            ranges.append(f"{re.escape(chr(codes[0]))}-{re.escape(chr(codes[-1]))}")
    return re.compile("[" + "".join(ranges) + "]+")


def normalize(text: str) -> str:
    """Text folded for comparison (see the module docstring)."""
    folded = _drop_bmp().sub("", unicodedata.normalize("NFKC", text).casefold())
    if _ASTRAL.search(folded):
        folded = folded.translate(_DROP)  # characters beyond the BMP (emoji)
    return folded


def paragraphs(text: str) -> list[Paragraph]:
    """The non-empty paragraphs of a text, without surrounding white space."""
    found = []
    for m in _BLOCK.finditer(text):
        block = m.group()
        stripped = block.strip()
        if not stripped:
            continue
        start = m.start() + (len(block) - len(block.lstrip()))
        end = start + len(stripped)
        found.append(Paragraph(len(found), start, end, normalize(stripped)))
    return found


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of a text (cut after 。！？!? and line ends)."""
    spans = []
    for m in _SENTENCE.finditer(text):
        if m.group().strip():
            spans.append((m.start(), m.end()))
    return spans


def shingles(key: str) -> frozenset[str]:
    """Overlapping character n-grams of a normalised text (the text itself if shorter)."""
    if len(key) <= GRAM:
        return frozenset((key,)) if key else frozenset()
    return frozenset(key[i : i + GRAM] for i in range(len(key) - GRAM + 1))


class _StableHash(dict):
    """shingle -> a hash that is the same in every process (unlike `hash`)."""

    def __missing__(self, gram: str) -> int:
        if len(self) > 1_000_000:
            self.clear()
        self[gram] = value = zlib.crc32(gram.encode("utf-8"))
        return value


_HASH = _StableHash()


def samples(grams: frozenset[str]) -> frozenset[str]:
    """A deterministic sample of shingles: equal texts get equal samples and
    similar texts mostly shared ones, so candidate pairs are found by sample."""
    hashes = [(_HASH[g], g) for g in grams]
    chosen = frozenset(g for h, g in hashes if h % SAMPLE_MOD == 0)
    if len(chosen) < MIN_SAMPLES:
        chosen = frozenset(g for _, g in sorted(hashes)[:MIN_SAMPLES])
    return chosen


def similarity(a: frozenset[str], b: frozenset[str]) -> tuple[float, float]:
    """(Jaccard, containment of the smaller in the larger) of two shingle sets."""
    if not a or not b:
        return 0.0, 0.0
    common = len(a & b)
    return common / (len(a) + len(b) - common), common / min(len(a), len(b))


def passage_hash(key: str) -> str:
    return hashlib.blake2b(key.encode("utf-8"), digest_size=8).hexdigest()


def sentence_keys(text: str, paragraph: Paragraph) -> list[str]:
    """Normalised sentences of a paragraph that are long enough to index."""
    piece = text[paragraph.start : paragraph.end]
    keys = [normalize(piece[s:e]) for s, e in sentences(piece)]
    return [k for k in keys if len(k) >= MIN_INDEXED_CHARS]


def passage_terms(text: str) -> list[str]:
    """Index terms for a text's long paragraphs (`p…`) and sentences (`s…`)."""
    terms: dict[str, None] = {}
    for p in paragraphs(text):
        if len(p.key) < MIN_INDEXED_CHARS:
            continue
        terms[PARAGRAPH_PREFIX + passage_hash(p.key)] = None
        keys = sentence_keys(text, p)
        if len(keys) > 1 or (keys and keys[0] != p.key):
            terms.update((SENTENCE_PREFIX + passage_hash(k), None) for k in keys)
    return list(terms)
