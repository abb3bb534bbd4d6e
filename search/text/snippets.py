"""Highlighted snippets: the text around the best matches, as safe HTML.

Input is plain text and the character spans of matched terms (read from the
index's postings, so nothing is re-analysed). Output is HTML-escaped text in
which only `<mark>` is markup, cut at Japanese sentence boundaries.

The spans are kept as NumPy arrays sorted once (`Matches`), and the window
of best matches is searched for the spans of a whole result page at once
(`find_windows`): a snippet, its marking and a section's snippet then read
slices, and Python tuples are built only for the spans a snippet shows.
"""

from __future__ import annotations

import bisect
import html
import itertools
import math
import re
from typing import Hashable, NamedTuple, Sequence

import numpy as np

TARGET_CHARS = 140  # snippets are about 120-160 characters
MAX_CHARS = 160
WINDOW_CHARS = TARGET_CHARS - 20  # the width of the window of best matches
LOOKBACK = 50  # how far back to look for the start of a sentence
ELLIPSIS = "…"
MAX_MASK_TERMS = 62  # more terms than this: the window search loops in Python
SMALL_PAGE = 100  # fewer spans than this on a page: the window search loops in Python

_SENTENCE_END = re.compile(r"[。！？!?\n]")
_SPACES = re.compile(r"\s+")
_TO_ESCAPE = re.compile(r"[\s&<>\"']")  # what _display changes
_PIECE = "\x00"  # joins the pieces of a snippet: neither space nor escaped, so _display keeps it

Span = tuple[int, int, Hashable]  # start, end, the term it matched
Pieces = Sequence[tuple[Hashable, Sequence[tuple[int, int]]]]  # (term, [(start, end), ...]), ...


class Windows(NamedTuple):
    """The window that starts at each span of a `Matches` (`find_windows`)."""

    scores: Sequence[float]  # the weights of its distinct terms, plus 0.1 per match
    reach: Sequence[int]  # the span it reaches to (exclusive); never decreasing
    term_weights: list[float]  # of each term of `Matches.names`


class Matches:
    """A text's matched spans, sorted by (start, end, term), as columns.

    `keys` index `names` (sorted where they sort, so equal spans order by
    term as tuples do); `places` is each span's place in the caller's list
    (the first of equally good matches is a snippet's focus), None when the
    sorted order is the caller's. `wins` is set by `find_windows`. A
    snippet, its marking and a section read slices found by bisection."""

    __slots__ = ("starts", "ends", "keys", "places", "names", "wins")

    def __init__(self, starts: Sequence[int], ends: Sequence[int], keys: Sequence[int],
                 names: tuple[Hashable, ...], places: Sequence[int] | None = None) -> None:
        self.starts, self.ends, self.keys = starts, ends, keys
        self.names, self.places = names, places
        self.wins: Windows | None = None

    @classmethod
    def of(cls, spans: Sequence[Span]) -> Matches:
        """The matches of (start, end, term) spans, in the order given."""
        return matches_of([[(key, [(start, end)]) for start, end, key in spans]])[0]

    def __len__(self) -> int:
        return len(self.starts)

    def span_range(self, lo: int, hi: int) -> tuple[int, int]:
        """(a, b): the spans a..b-1 are those that start in [lo, hi)."""
        return bisect.bisect_left(self.starts, lo), bisect.bisect_left(self.starts, hi)

    def rows(self, a: int, b: int) -> list[tuple[int, int, int, int]]:
        """(start, end, term, place) of the spans a..b-1."""
        places = range(a, b) if self.places is None else self.places[a:b]
        return list(zip(self.starts[a:b], self.ends[a:b], self.keys[a:b], places))

    def part(self, lo: int, hi: int) -> Matches:
        """The spans that start in [lo, hi), with offsets from `lo`, placed
        in text order (a section's own snippet)."""
        a, b = self.span_range(lo, hi)
        return Matches([s - lo for s in self.starts[a:b]], [e - lo for e in self.ends[a:b]],
                       self.keys[a:b], self.names)

    def weights(self, weights: dict[Hashable, float]) -> list[float]:
        """The weight of each term (1.0 for a term without one)."""
        return [weights.get(name, 1.0) for name in self.names]


def matches_of(texts: Sequence[Pieces]) -> list[Matches]:
    """The `Matches` of each text's (term, [(start, end), ...]) pieces (the
    spans taken in that order); they share one tuple of names."""
    present = list(dict.fromkeys(key for pieces in texts for key, pairs in pieces if pairs))
    try:
        names = tuple(sorted(present))
    except TypeError:
        names = tuple(present)
    index = {key: k for k, key in enumerate(names)}
    found = []
    for pieces in texts:
        rows: list[tuple[int, int, int, int]] = []
        for key, pairs in pieces:
            if pairs:
                k = index[key]
                rows.extend([(start, end, k, place) for place, (start, end) in enumerate(pairs, len(rows))])
        rows.sort()  # places differ: equal spans keep the caller's order
        starts, ends, keys, places = zip(*rows) if rows else ((), (), (), ())
        found.append(Matches(starts, ends, keys, names, places))
    return found


def _as_matches(spans: Sequence[Span] | Matches) -> Matches:
    return spans if isinstance(spans, Matches) else Matches.of(spans)


def find_windows(texts: Sequence[Matches], weights: dict[Hashable, float], width: int) -> None:
    """Set `wins` of each of `texts` (sharing names): the `width`-character
    window that starts at each match, its score (the weights of its distinct
    terms, plus 0.1 per match) and its reach.

    The window at span i reaches to the first later span ending past
    `start_i + width`, whatever the windows before it (so a section's
    windows are the post's, cut at its end: `best_between`). When no span
    is longer than `width`, every span before i ends by then, so that is
    the first j > i whose running maximum of ends passes it: one
    searchsorted over the spans of all texts, laid end to end far enough
    apart. A window's terms are a bit mask (`_window_masks`); each distinct
    mask is summed with fsum once, so equal
    windows score exactly alike (the first wins) whatever their order. Up
    to SMALL_PAGE spans in all, a Python loop per text is quicker."""
    with_spans = [m for m in texts if len(m)]
    if not with_spans:
        return
    names = with_spans[0].names
    term_weights = [weights.get(name, 1.0) for name in names]
    counts = [len(m) for m in with_spans]
    n, terms = sum(counts), len(names)
    starts = np.fromiter(itertools.chain.from_iterable(m.starts for m in with_spans), np.int64, n)
    ends = np.fromiter(itertools.chain.from_iterable(m.ends for m in with_spans), np.int64, n)
    if n < SMALL_PAGE or terms > MAX_MASK_TERMS or int((ends - starts).max()) > width:
        for m in with_spans:
            m.wins = _windows_by_loop(m, term_weights, width)
        return
    bases = np.repeat(np.cumsum([0] + counts[:-1]), counts)
    stride = int(ends.max()) + width + 1
    shift = np.repeat(np.arange(len(with_spans), dtype=np.int64) * stride, counts)
    starts, ends = starts + shift, ends + shift
    keys = np.fromiter(itertools.chain.from_iterable(m.keys for m in with_spans), np.int64, n)
    j = np.maximum.accumulate(ends).searchsorted(starts + width, "right")
    np.maximum(j, np.arange(1, n + 1), out=j)
    masks = _window_masks(np.int64(1) << keys, j)
    distinct, slot = np.unique(masks, return_inverse=True)
    sums = np.array([math.fsum([term_weights[k] for k in range(terms) if m >> k & 1])
                     for m in distinct.tolist()])
    scores = (sums[slot.reshape(-1)] + 0.1 * (j - np.arange(n))).tolist()
    reach = (j - bases).tolist()
    base = 0
    for m, count in zip(with_spans, counts):
        m.wins = Windows(scores[base : base + count], reach[base : base + count], term_weights)
        base += count


def _window_masks(bits: np.ndarray, reach: np.ndarray) -> np.ndarray:
    """The OR of bits[i : reach[i]] for each i (reach[i] > i): a sparse table
    (`table[L][i]`: the OR of 2**L bits from i) answers each window with
    two overlapping powers of two, in a few passes whatever the number of terms."""
    n = len(bits)
    lengths = reach - np.arange(n)
    table = [bits]
    for level in range(1, int(lengths.max()).bit_length()):
        half = 1 << (level - 1)
        wider = table[-1].copy()
        wider[:-half] |= table[-1][half:]
        table.append(wider)
    level = np.frexp(lengths)[1] - 1  # floor(log2(length))
    stacked = np.stack(table).reshape(-1)
    return stacked[level * n + np.arange(n)] | stacked[level * n + reach - (1 << level)]


def _windows_by_loop(matches: Matches, term_weights: list[float], width: int) -> Windows:
    """`find_windows` for one text in Python: the window slides, counting its terms."""
    starts, ends, keys = matches.starts, matches.ends, matches.keys
    scores: list[float] = []
    reach: list[int] = []
    counts: dict[int, int] = {}  # terms in the window i..j-1
    j = 0
    term_sum, changed = 0.0, True  # the weights of the terms in `counts`; whether they changed
    for i, start in enumerate(starts):
        if j <= i:  # the window restarts at i
            counts.clear()
            counts[keys[i]] = 1
            j = i + 1
            changed = True
        while j < len(starts) and ends[j] <= start + width:
            k = keys[j]
            if k in counts:
                counts[k] += 1
            else:
                counts[k] = 1
                changed = True
            j += 1
        if changed:  # fsum is exact: the same terms sum alike in any order
            term_sum = math.fsum([term_weights[k] for k in counts])
            changed = False
        scores.append(term_sum + 0.1 * (j - i))
        reach.append(j)
        if counts[keys[i]] == 1:  # span i leaves the window
            del counts[keys[i]]
            changed = True
        else:
            counts[keys[i]] -= 1
    return Windows(scores, reach, term_weights)


def best_between(matches: Matches, a: int, b: int) -> int:
    """The span (index) whose window is the best among spans a..b-1 when
    the spans from b on are not there (a section's own spans): the first of
    equal windows. Windows reaching past b are scored again, cut at b (the
    last few: the post's windows are not searched again)."""
    wins = matches.wins
    assert wins is not None, "find_windows first"
    scores = wins.scores
    best, best_score = a, -1.0
    cut = bisect.bisect_right(wins.reach, b, a, b)  # the windows from `cut` on reach past b
    if cut > a:
        i = max(range(a, cut), key=scores.__getitem__)  # the first of the best
        if scores[i] > best_score:
            best, best_score = i, scores[i]
    if cut < b:
        capped = [0.0] * (b - cut)
        seen: set[int] = set()
        term_sum = 0.0
        for i in range(b - 1, cut - 1, -1):  # the window from span i to b gains span i
            if matches.keys[i] not in seen:
                seen.add(matches.keys[i])
                term_sum = math.fsum([wins.term_weights[k] for k in seen])
            capped[i - cut] = term_sum + 0.1 * (b - i)
        for i in range(cut, b):
            if capped[i - cut] > best_score:
                best, best_score = i, capped[i - cut]
    return best


def best_window(spans: Sequence[Span] | Matches, weights: dict[Hashable, float], width: int) -> int:
    """Start of the `width`-character window covering the most valuable
    matches: the weights of its distinct terms, plus 0.1 per match; the
    first of equal windows."""
    matches = _as_matches(spans)
    find_windows([matches], weights, width)
    return matches.starts[best_between(matches, 0, len(matches))]


def _merge(spans: Matches, lo: int, hi: int) -> list[tuple[int, int]]:
    """Sorted, non-overlapping (start, end) spans that lie inside [lo, hi)."""
    a, b = spans.span_range(lo, hi)
    merged: list[tuple[int, int]] = []
    for start, end in zip(spans.starts[a:b], spans.ends[a:b]):
        if end > hi:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _display(text: str) -> str:
    if _TO_ESCAPE.search(text) is None:  # most Japanese text: nothing to fold or escape
        return text
    return html.escape(_SPACES.sub(" ", text), quote=True)


def mark_html(text: str, spans: Sequence[Span] | Matches, lo: int = 0, hi: int | None = None) -> str:
    """`text[lo:hi]` escaped, with the spans wrapped in `<mark>`."""
    hi = len(text) if hi is None else hi
    pieces: list[str] = []  # outside, marked, outside, ..., outside
    pos = lo
    for start, end in _merge(_as_matches(spans), lo, hi):
        pieces.append(text[pos:start])
        pieces.append(text[start:end])
        pos = end
    pieces.append(text[pos:hi])
    joined = _PIECE.join(pieces)
    if joined.count(_PIECE) == len(pieces) - 1:  # displayed at once, cut again where the pieces met
        pieces = _display(joined).split(_PIECE)
    else:
        pieces = [_display(piece) for piece in pieces]
    out = [pieces[0]]
    for i in range(1, len(pieces), 2):
        out.append("<mark>" + pieces[i] + "</mark>" + pieces[i + 1])
    return "".join(out)


def _opening(text: str, first: int) -> int:
    """Where a snippet whose first match is at `first` starts."""
    sentence = _sentence_start(text, first)
    return sentence if sentence is not None else max(0, first - 20)


def _bounds(text: str, start: int) -> tuple[int, int]:
    """A snippet's start (moved back near the end of the text) and end."""
    if len(text) - start < TARGET_CHARS:  # near the end: fill the snippet from before
        start = max(0, len(text) - TARGET_CHARS)
        boundary = _SENTENCE_END.search(text, start, start + LOOKBACK)
        start = boundary.end() if boundary and start > 0 else start
    while start < len(text) and text[start].isspace():
        start += 1
    return start, _sentence_end(text, start)


def _sentence_start(text: str, pos: int) -> int | None:
    """Index just after the last sentence end within LOOKBACK before pos."""
    lo = max(0, pos - LOOKBACK)
    if lo == 0 and pos <= LOOKBACK:
        cut = None
        for m in _SENTENCE_END.finditer(text, 0, pos):
            cut = m.end()
        return cut if cut is not None else 0
    cut = None
    for m in _SENTENCE_END.finditer(text, lo, pos):
        cut = m.end()
    return cut


def _sentence_end(text: str, start: int) -> int:
    """End of the snippet: a sentence end between TARGET and MAX characters if any."""
    if len(text) - start <= MAX_CHARS:
        return len(text)
    m = None
    for m in _SENTENCE_END.finditer(text, start + TARGET_CHARS - 40, start + MAX_CHARS):
        pass
    return m.end() if m else start + TARGET_CHARS


class Window(NamedTuple):
    """Where a snippet is cut from its text, and its most valuable match."""

    start: int
    end: int
    focus: int | None  # offset of the best match shown (None without matches)


def choose_window(
    text: str,
    spans: Sequence[Span] | Matches,
    weights: dict[Hashable, float] | None = None,
    first: int | None = None,
) -> Window:
    """The part of `text` a snippet shows: the window with the best matches,
    opened at a sentence start (see module doc). `first`: where that window
    starts, when the caller has found it (`best_between`)."""
    matches = _as_matches(spans)
    if not len(matches):
        return Window(*_bounds(text, 0), None)
    weights = weights or {}
    if first is None:
        first = best_window(matches, weights, WINDOW_CHARS)
    best = _best_match(matches, matches.weights(weights), first, first + WINDOW_CHARS)
    start, end = _bounds(text, _opening(text, first) if len(text) > MAX_CHARS else 0)
    if not start <= best[0] < best[1] <= end:
        # the sentence start pushed the window's most valuable match out of
        # the snippet (曲 shown, 拍子 cut off): open at that match instead
        start, end = _bounds(text, _opening(text, best[0]))
    return Window(start, end, best[0])


def _best_match(matches: Matches, term_weights: list[float], lo: int, hi: int) -> tuple[int, int]:
    """(start, end) of the most valuable match starting in [lo, hi): the
    heaviest term, then the first in the text, then the first in the
    caller's order."""
    best = max(matches.rows(*matches.span_range(lo, hi)), key=lambda s: (term_weights[s[2]], -s[0], -s[3]))
    return best[0], best[1]


def render(text: str, spans: Sequence[Span] | Matches, window: Window) -> str:
    """The HTML snippet of `text` for a chosen window."""
    if not text:
        return ""
    start, end = window.start, window.end
    prefix = "" if start == 0 or text[start - 1] in "。！？!?\n" else ELLIPSIS
    suffix = "" if end >= len(text) or text[end - 1] in "。！？!?\n" else ELLIPSIS
    return prefix + mark_html(text, spans, start, end).strip() + suffix


def make_snippet(
    text: str,
    spans: Sequence[Span] | Matches,
    weights: dict[Hashable, float] | None = None,
    first: int | None = None,
) -> str:
    """An HTML snippet of `text` around the best matches (see module doc);
    `first` as for `choose_window`."""
    return render(text, spans, choose_window(text, spans, weights, first)) if text else ""
