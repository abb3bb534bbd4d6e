"""Japanese morphological analysis: the only module that imports fugashi.

`analyze(text)` returns one `Morpheme` per token with exact offsets into the
original text and the normalised term used for indexing. Normalisation:

* NFKC width folding per character with an offset map (ＡＷＳ → aws,
  ｻｰﾊﾞｰ → サーバー), so offsets still point into the original text;
* lower case;
* UniDic lemma for inflections and spelling variants (行なった → 行う,
  インタフェース → インターフェース), gloss suffixes removed;
* a trailing katakana long-vowel mark dropped (サーバー → サーバ);
* adjacent ASCII pieces that MeCab splits re-joined (H + 100 → h100,
  2 . 5 → 2.5).

The MeCab tagger is not thread-safe and does not pickle: one tagger per
process, created lazily, parsing for one thread at a time (`parse`). fugashi
holds the GIL while MeCab parses, so a tagger per thread bought no
parallelism, and each mapped the 260 MB dictionary again: in a server
worker's resident size, the same pages counted once per thread that had
analysed a query (up to 1.36 GB of VmRSS in four threads at 10x ja-docs,
RssAnon 650 MB).
"""

from __future__ import annotations

import os
import re
import shlex
import threading
import unicodedata
from typing import Iterator, NamedTuple

import fugashi
import unidic_lite

# Inputs of a few MB crash MeCab and long runs of unknown-word characters
# (ASCII, digits, katakana, symbols) are quadratic, so text is analysed in
# chunks cut at line ends, and such runs are cut into pieces of MAX_RUN.
CHUNK_CHARS = 20_000
MAX_RUN = 1_000

# Parts of speech (UniDic pos1) that never carry meaning for search.
STOP_POS1 = frozenset(
    {"助詞", "助動詞", "補助記号", "記号", "空白", "代名詞", "接続詞", "感動詞", "フィラー"}
)
# Light verbs and adjectives (する, ある, いる, なる, できる, ない, よい ...).
STOP_POS2 = frozenset({"非自立可能"})
# Formal nouns that UniDic tags as ordinary nouns.
STOP_LEMMAS = frozenset({"事", "物", "為", "様", "所", "方", "内", "訳", "筈", "達"})

SUFFIX_MARK = "~"  # prefix of the terms of suffixes (~化, ~風, ~性)

_ASCII_WORD = re.compile(r"[0-9a-z]+(?:\.[0-9a-z]+)*")
_ALPHA_PART = re.compile(r"[a-z]{2,}")
_NEEDS_NFKC = re.compile(r"[^\x00-\x7f\u3001-\u30ff\u4e00-\u9fff]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_LONG_RUN = re.compile(r"[^\s\u3040-\u309f\u4e00-\u9fff]{%d,}" % (MAX_RUN + 1))
_KATAKANA = re.compile(r"[\u30a1-\u30fa\u30fc]+")
_GLOSS = re.compile(r"-[^-]+$")

_tagger: fugashi.GenericTagger | None = None
_tagger_pid = 0  # the process `_tagger` was made in
_make_lock = threading.Lock()
_parse_lock = threading.Lock()


class Morpheme(NamedTuple):
    start: int  # offset of the first character in the original text
    end: int  # offset after the last character in the original text
    surface: str  # the original text[start:end]
    term: str  # normalised form used as the index term
    pos: str  # UniDic part of speech, e.g. "名詞-普通名詞-一般"
    lemma: str  # UniDic lemma (or the folded surface for unknown words)
    reading: str  # katakana reading, "" when unknown
    kept: bool  # False for stop words (particles, symbols, light verbs ...)


# MeCab writes each token as one record of the fields below, so a chunk
# costs one call and one string instead of a Python object per token (half
# the time of fugashi's node list). Records and fields are separated by
# control characters that `_chunks` removes from the input. Unknown words
# have only six features: reading them past that crashes MeCab.
_FS, _RS = "\x1f", "\x1e"
_KNOWN_FORMAT = _FS.join(["%pS", "%m", "%f[0]", "%f[1]", "%f[2]", "%f[6]", "%f[7]"]) + _RS
_UNKNOWN_FORMAT = _FS.join(["%pS", "%m", "%f[0]", "%f[1]", "%f[2]", "", ""]) + _RS


def tagger() -> fugashi.GenericTagger:
    """The process's tagger, writing `_KNOWN_FORMAT` / `_UNKNOWN_FORMAT`
    records; "*" features come out empty. MeCab is not thread-safe: parse
    through `parse` (or hold `_parse_lock`)."""
    global _tagger, _tagger_pid
    made = _tagger
    if made is not None and _tagger_pid == os.getpid():
        return made
    with _make_lock:
        if _tagger is None or _tagger_pid != os.getpid():
            dicdir = shlex.quote(unidic_lite.DICDIR)
            rc = shlex.quote(os.path.join(unidic_lite.DICDIR, "mecabrc"))
            _tagger = fugashi.GenericTagger(
                f"-r {rc} -d {dicdir} -O '' -F{_KNOWN_FORMAT} -U{_UNKNOWN_FORMAT} -E ."
            )
            _tagger_pid = os.getpid()
        return _tagger


def parse(chunk: str) -> str:
    """MeCab's records of `chunk` (one thread at a time)."""
    mecab = tagger()
    with _parse_lock:
        return mecab.parse(chunk)


def _after_fork() -> None:
    # a thread of the parent may have held the lock while it forked
    global _parse_lock
    _parse_lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork)


def fold(text: str) -> tuple[str, list[int] | None]:
    """NFKC-fold `text` character by character.

    Returns the folded text and `origin`, where `origin[i]` is the index of
    the original character that folded character i came from, and
    `origin[len(folded)] == len(text)` (None when nothing changed).

    This is the text MeCab sees, so lone surrogates (which have no UTF-8
    form: JSON's "\\ud800", undecodable bytes of a command line) become
    U+FFFD here, one for one: offsets stay right, and surfaces are still
    cut from the original text.
    """
    original = text
    if _SURROGATE.search(text):
        text = _SURROGATE.sub("\ufffd", text)
    if unicodedata.is_normalized("NFKC", text):
        return text, (None if text is original else list(range(len(text) + 1)))
    out: list[str] = []
    origin: list[int] = []
    last = 0
    for m in _NEEDS_NFKC.finditer(text):
        if m.start() > last:
            out.append(text[last : m.start()])
            origin.extend(range(last, m.start()))
        run = m.group()
        whole = unicodedata.normalize("NFKC", run)
        if len(whole) == len(run):
            out.append(whole)
            origin.extend(range(m.start(), m.end()))
        else:
            _fold_chars(run, m.start(), out, origin)
        last = m.end()
    out.append(text[last:])
    origin.extend(range(last, len(text) + 1))
    return "".join(out), origin


def _fold_chars(run: str, base: int, out: list[str], origin: list[int]) -> None:
    for i, char in enumerate(run):
        folded = unicodedata.normalize("NFKC", char)
        if folded in ("\u3099", "\u309a") and out and out[-1]:
            # half-width voiced mark (ﾊﾞ): compose with the kana before it
            composed = unicodedata.normalize("NFC", out[-1][-1] + folded)
            if len(composed) == 1:
                out[-1] = out[-1][:-1] + composed
                continue
        out.append(folded)
        origin.extend([base + i] * len(folded))


def original_span(origin: list[int] | None, start: int, end: int) -> tuple[int, int]:
    """Map a span of folded text back to the original text (see `fold`)."""
    if origin is None:
        return start, end
    s, e = origin[start], origin[end]
    return s, e if e > origin[end - 1] else origin[end - 1] + 1


def normalize_term(word: str) -> str:
    """Fold a word the way index terms are folded (width, case, long vowel)."""
    word = unicodedata.normalize("NFKC", word).lower()
    if len(word) >= 3 and word[-1] == "ー" and _KATAKANA.fullmatch(word):
        word = word[:-1]
    return word


def _chunks(text: str) -> Iterator[tuple[int, str]]:
    """Cut text into pieces MeCab handles safely: (offset, piece)."""
    text = _CONTROL.sub(" ", text)  # NUL truncates MeCab's input; \x1e, \x1f separate its records
    cuts = [0]
    for m in _LONG_RUN.finditer(text):
        cuts.extend(range(m.start() + MAX_RUN, m.end(), MAX_RUN))
    cuts.append(len(text))
    for lo, hi in zip(cuts, cuts[1:]):
        start = lo
        while start < hi:
            end = min(start + CHUNK_CHARS, hi)
            if end < hi:
                cut = text.rfind("\n", start + CHUNK_CHARS // 2, end)
                end = cut + 1 if cut > 0 else end
            yield start, text[start:end]
            start = end


# record -> (whitespace characters before the token, its length, surface,
# joins: an ASCII piece that may join its neighbours (H + 100),
# (term, pos, lemma, reading, kept)). A plain tuple, unpacked once per token.
# The vocabulary is Zipfian, so most tokens are answered from here.
_Word = tuple[int, int, str, bool, tuple[str, str, str, str, bool]]
_words: dict[str, _Word] = {}
_WORDS_MAX = 300_000


def _describe(record: str) -> _Word:
    space, surface, pos1, pos2, pos3, reading, lemma = record.split(_FS)
    lemma = lemma or surface
    if "-" in lemma and not lemma.startswith("-"):
        lemma = _GLOSS.sub("", lemma)
    term = normalize_term(lemma)
    if pos1 == "接尾辞" and term:
        # 油絵風 (-style) is not 風 (wind): suffixes get their own terms
        term = SUFFIX_MARK + term
    kept = not (
        pos1 in STOP_POS1 or pos2 in STOP_POS2 or lemma in STOP_LEMMAS or not term.strip()
    )
    pos = "-".join(f for f in (pos1, pos2, pos3) if f)
    joins = surface.isascii() and (surface.isalnum() or surface == ".")
    word = (len(space), len(surface), surface, joins, (term, pos, lemma, reading, kept))
    if len(_words) >= _WORDS_MAX:
        _words.clear()
    _words[record] = word
    return word


_ascii: dict[str, list[tuple[int, int, str]]] = {}


def ascii_terms(pieces: str) -> list[tuple[int, int, str]]:
    """(start, end, term) of the words in adjacent ASCII pieces that MeCab
    split (H + 100 -> h100, 2 . 5 -> 2.5), lower-cased; a word with a
    letter prefix also gives the prefix (trainium2 -> trainium2, trainium)."""
    found = _ascii.get(pieces)
    if found is not None:
        return found
    word = pieces.lower()
    if len(word) < 16 and word.isalpha():  # the common case: one plain word
        found = [(0, len(word), word)]
    else:
        found = []
        for m in _ASCII_WORD.finditer(word):
            found.append((m.start(), m.end(), m.group()))
            alpha = _ALPHA_PART.match(m.group())
            if alpha and alpha.group() != m.group():
                found.append((m.start(), m.end(), alpha.group()))
    if len(_ascii) >= _WORDS_MAX:
        _ascii.clear()
    _ascii[pieces] = found
    return found


def _tokens(folded: str) -> Iterator[tuple[int, int, str, tuple[str, str, str, str, bool] | None]]:
    """(start, end, surface, (term, pos, lemma, reading, kept)) of each word
    MeCab finds in `folded`; adjacent ASCII pieces (H + 100) come joined,
    as (start, end, pieces, None)."""
    words = _words
    ascii_start = ascii_end = -1  # ASCII pieces waiting to be joined
    for base, chunk in _chunks(folded):
        pos = base
        records = parse(chunk).split(_RS)
        records.pop()  # the end-of-sentence mark
        for record in records:
            space, length, surface, joins, info = words.get(record) or _describe(record)
            start = pos + space
            pos = start + length
            if joins:
                if ascii_end != start:
                    if ascii_end >= 0:
                        yield ascii_start, ascii_end, folded[ascii_start:ascii_end], None
                    ascii_start = start
                ascii_end = pos
                continue
            if ascii_end >= 0:
                yield ascii_start, ascii_end, folded[ascii_start:ascii_end], None
                ascii_end = -1
            yield start, pos, surface, info
    if ascii_end >= 0:
        yield ascii_start, ascii_end, folded[ascii_start:ascii_end], None


def analyze(text: str, kept_only: bool = False) -> list[Morpheme]:
    """All morphemes of `text`, stop words included (see `Morpheme.kept`)
    unless `kept_only`."""
    folded, origin = fold(text)
    result: list[Morpheme] = []
    new = tuple.__new__
    for start, end, surface, info in _tokens(folded):
        if info is None:
            for a, b, term in ascii_terms(surface):
                s, e = original_span(origin, start + a, start + b)
                result.append(new(Morpheme, (s, e, text[s:e], term, "名詞-英字", term, "", True)))
        elif kept_only and not info[4]:
            continue
        elif origin is None:
            result.append(new(Morpheme, (start, end, surface) + info))
        else:
            s, e = original_span(origin, start, end)
            result.append(new(Morpheme, (s, e, text[s:e]) + info))
    return result


def term_spans(text: str) -> dict[str, list[tuple[int, int, int]]]:
    """term -> [(position, start, end)] of the kept morphemes of `text`:
    `analyze(text, kept_only=True)` grouped by term, positions counting
    words (pieces of one word, trainium2 / trainium, share one). The
    indexing fast path: no Morpheme per word."""
    folded, origin = fold(text)
    seen: dict[str, list[tuple[int, int, int]]] = {}
    n = -1  # position of the last word
    last_start = -1  # where it starts in `text`: pieces of one word share it

    def add(term: str, start: int, end: int) -> None:
        nonlocal n, last_start
        if origin is not None:  # width-folded text: offsets go through the origin map
            start, end = original_span(origin, start, end)
        if start != last_start:
            n += 1
            last_start = start
        found = seen.get(term)
        if found is None:
            seen[term] = [(n, start, end)]
        else:
            found.append((n, start, end))

    for start, end, surface, info in _tokens(folded):
        if info is None:
            for a, b, term in ascii_terms(surface):
                add(term, start + a, start + b)
        elif info[4]:
            add(info[0], start, end)
    return seen
