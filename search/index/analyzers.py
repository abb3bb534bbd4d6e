"""Whoosh analyzers for Japanese text.

Two views of the same text:

* `JapaneseAnalyzer`: morphological terms from `search.text.morph` (lemmas,
  width-folded, stop words removed) with exact character offsets, used for
  ranking and highlighting;
* `CjkBigramAnalyzer`: character bigrams of kanji/katakana runs, a recall
  view for words the dictionary splits differently in a post and in a query
  (coinages, compounds, product names). It needs no MeCab pass.

Both honour Whoosh's tokenizer contract (one reused `Token`, `positions`,
`chars`, `start_pos`, `start_char`, `removestops`, `mode`) and pickle without
a tagger, since the schema is pickled into the index.
"""

from __future__ import annotations

import operator
import re
from collections import Counter
from typing import Iterator

from whoosh.analysis import Token, Tokenizer

from search.text.morph import analyze, fold, normalize_term, original_span, term_spans

# Runs of two characters are almost always one dictionary word, which the
# morphological view already indexes; bigrams help inside longer runs.
_CJK_RUN = re.compile(r"[\u30a1-\u30fa\u30fc\u4e00-\u9fff\u3005]{3,}")


class _StatelessTokenizer(Tokenizer):
    """A tokenizer without settings: equal to every instance of its class."""

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))


class JapaneseAnalyzer(_StatelessTokenizer):
    """Morphological tokens; positions count kept tokens only."""

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: object,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            t.original = t.text = normalize_term(value)
            t.boost = 1.0
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar, t.endchar = start_char, start_char + len(value)
            yield t
            return
        pos = start_pos - 1
        last_start = -1
        for m in analyze(value):
            if not m.kept and removestops:
                continue
            if m.start != last_start:
                pos += 1  # pieces of one word (trainium2, trainium) share a position
            last_start = m.start
            t.text = m.term
            t.stopped = not m.kept
            t.boost = 1.0
            if keeporiginal:
                t.original = m.surface
            if positions:
                t.pos = pos
            if chars:
                t.startchar = start_char + m.start
                t.endchar = start_char + m.end
            yield t


    def spans(self, value: str) -> dict[str, list[tuple[int, int, int]]]:
        """term -> [(position, startchar, endchar)] of the kept tokens of
        `value`, as `__call__(value, positions=True, chars=True)` would give
        them, without a Token per word: the indexing fast path
        (`search.index.schema.MorphCharacters`)."""
        return term_spans(value)


class CjkBigramAnalyzer(_StatelessTokenizer):
    """Overlapping character bigrams of kanji/katakana runs."""

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: object,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        folded, origin = fold(value)
        pos = start_pos
        for run in _CJK_RUN.finditer(folded):
            text = run.group()
            for i in range(len(text) - 1):
                t.text = text[i : i + 2]
                t.boost = 1.0
                if keeporiginal:
                    t.original = t.text
                if positions:
                    t.pos = pos
                    pos += 1
                if chars:
                    s, e = original_span(origin, run.start() + i, run.start() + i + 2)
                    t.startchar, t.endchar = start_char + s, start_char + e
                yield t

    def counts(self, value: str) -> Counter[str]:
        """bigram -> occurrences in `value`, as `__call__` would give them,
        without a Token per bigram: the indexing fast path
        (`search.index.schema.BigramFrequency`)."""
        found: Counter[str] = Counter()
        for run in _CJK_RUN.findall(fold(value)[0]):
            found.update(map(operator.add, run, run[1:]))  # adjacent characters
        return found


def bigram_runs(text: str) -> list[list[str]]:
    """The bigrams of each kanji/katakana run of a query, run by run."""
    folded, _ = fold(text)
    return [
        [run[i : i + 2] for i in range(len(run) - 1)]
        for run in _CJK_RUN.findall(folded)
    ]
