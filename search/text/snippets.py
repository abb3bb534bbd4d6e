"""Highlighted snippets: the text around the best matches, as safe HTML.

Input is plain text and the character spans of matched terms (read from the
index's postings, so nothing is re-analysed). Output is HTML-escaped text in
which only `<mark>` is markup, cut at Japanese sentence boundaries.
"""

from __future__ import annotations

import html
import math
import re
from typing import Hashable, NamedTuple, Sequence

import numpy as np

TARGET_CHARS = 140  # snippets are about 120-160 characters
MAX_CHARS = 160
LOOKBACK = 50  # how far back to look for the start of a sentence
ELLIPSIS = "…"
MANY_SPANS = 48  # best_window takes NumPy's path from this many spans

_SENTENCE_END = re.compile(r"[。！？!?\n]")
_SPACES = re.compile(r"\s+")
_TO_ESCAPE = re.compile(r"[\s&<>\"']")  # what _display changes

Span = tuple[int, int, Hashable]  # start, end, the term it matched


def _merge(spans: Sequence[Span], lo: int, hi: int) -> list[tuple[int, int]]:
    """Sorted, non-overlapping (start, end) spans that lie inside [lo, hi)."""
    merged: list[tuple[int, int]] = []
    for start, end, _ in sorted(spans):
        if start < lo or end > hi:
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


def mark_html(text: str, spans: Sequence[Span], lo: int = 0, hi: int | None = None) -> str:
    """`text[lo:hi]` escaped, with the spans wrapped in `<mark>`."""
    hi = len(text) if hi is None else hi
    out: list[str] = []
    pos = lo
    for start, end in _merge(spans, lo, hi):
        out.append(_display(text[pos:start]))
        out.append("<mark>" + _display(text[start:end]) + "</mark>")
        pos = end
    out.append(_display(text[pos:hi]))
    return "".join(out)


def best_window(spans: Sequence[Span], weights: dict[Hashable, float], width: int) -> int:
    """Start of the `width`-character window covering the most valuable
    matches: the weights of its distinct terms, plus 0.1 per match; the
    first of equal windows. One pass, counting the terms in the window as it
    slides (a post with hundreds of matches no longer rebuilds the set of
    each window)."""
    ordered = sorted(spans)
    if len(ordered) >= MANY_SPANS:
        many = _best_window_of_many(ordered, weights, width)
        if many is not None:
            return many
    best_start, best_score = ordered[0][0], -1.0
    counts: dict[Hashable, int] = {}  # terms in the window ordered[i : j]
    j = 0
    term_sum, changed = 0.0, True  # the weights of the terms in `counts`; whether they changed
    for i, (start, _, key) in enumerate(ordered):
        if j <= i:  # the window restarts at i
            counts.clear()
            counts[key] = 1
            j = i + 1
            changed = True
        while j < len(ordered) and ordered[j][1] <= start + width:
            k = ordered[j][2]
            if k in counts:
                counts[k] += 1
            else:
                counts[k] = 1
                changed = True
            j += 1
        # summed exactly whatever the window's history: equal windows tie
        # exactly (the first wins); fsum is exact, so the same terms sum to
        # the same in any order, and are summed again only when they change
        if changed:
            term_sum = math.fsum([weights.get(k, 1.0) for k in counts])
            changed = False
        score = term_sum + 0.1 * (j - i)
        if score > best_score:
            best_start, best_score = start, score
        if counts[key] == 1:  # ordered[i] leaves the window
            del counts[key]
            changed = True
        else:
            counts[key] -= 1
    return best_start


def _best_window_of_many(ordered: list[Span], weights: dict[Hashable, float], width: int) -> int | None:
    """`best_window` for many spans, with NumPy (None where it does not apply).

    The window at span i reaches to the first later span ending past
    `start_i + width`; when no span is longer than `width`, every span
    before i ends by then, so that is the first j > i whose running maximum
    of ends passes it (a searchsorted). A window's terms are a bit mask
    (from per-term running counts); each distinct mask is summed with fsum
    once, so scores and ties are exactly the loop's."""
    keys = list(dict.fromkeys(key for _, _, key in ordered))
    if len(keys) > 62:
        return None
    starts = np.fromiter((a for a, _, _ in ordered), np.int64, len(ordered))
    ends = np.fromiter((b for _, b, _ in ordered), np.int64, len(ordered))
    if int((ends - starts).max()) > width:
        return None
    n = len(ordered)
    reach = np.maximum.accumulate(ends)
    j = np.maximum(np.arange(1, n + 1), np.searchsorted(reach, starts + width, side="right"))
    index = {key: k for k, key in enumerate(keys)}
    which = np.fromiter((index[key] for _, _, key in ordered), np.int64, n)
    masks = np.zeros(n, np.int64)
    for k in range(len(keys)):
        running = np.concatenate(([0], np.cumsum(which == k)))
        masks |= (running[j] > running[:n]).astype(np.int64) << k
    distinct, slot = np.unique(masks, return_inverse=True)
    sums = np.array([math.fsum([weights.get(keys[k], 1.0) for k in range(len(keys)) if int(m) >> k & 1])
                     for m in distinct])
    scores = sums[slot] + 0.1 * (j - np.arange(n))
    return int(starts[int(np.argmax(scores))])


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
    spans: Sequence[Span],
    weights: dict[Hashable, float] | None = None,
) -> Window:
    """The part of `text` a snippet shows: the window with the best matches,
    opened at a sentence start (see module doc)."""
    if not spans:
        return Window(*_bounds(text, 0), None)
    weights = weights or {}
    first = best_window(spans, weights, TARGET_CHARS - 20)
    window = [s for s in spans if first <= s[0] < first + TARGET_CHARS - 20]
    best = max(window, key=lambda s: (weights.get(s[2], 1.0), -s[0]))
    start, end = _bounds(text, _opening(text, first) if len(text) > MAX_CHARS else 0)
    if not start <= best[0] < best[1] <= end:
        # the sentence start pushed the window's most valuable match out of
        # the snippet (曲 shown, 拍子 cut off): open at that match instead
        start, end = _bounds(text, _opening(text, best[0]))
    return Window(start, end, best[0])


def render(text: str, spans: Sequence[Span], window: Window) -> str:
    """The HTML snippet of `text` for a chosen window."""
    if not text:
        return ""
    start, end = window.start, window.end
    prefix = "" if start == 0 or text[start - 1] in "。！？!?\n" else ELLIPSIS
    suffix = "" if end >= len(text) or text[end - 1] in "。！？!?\n" else ELLIPSIS
    return prefix + mark_html(text, spans, start, end).strip() + suffix


def make_snippet(
    text: str,
    spans: Sequence[Span],
    weights: dict[Hashable, float] | None = None,
) -> str:
    """An HTML snippet of `text` around the best matches (see module doc)."""
    return render(text, spans, choose_window(text, spans, weights)) if text else ""
