"""Paraphrases of a reader's verbs, from the index's own vocabulary.

Readers write a native verb where the posts write a Sino-Japanese sa-verb
noun: 変える / 変更する, 作る / 作成する, 消す / 消去する, 調べる / 調査する.
The two usually share a kanji. So for a verb or adjective of the query
whose first character is a kanji, the candidates are the index's two-kanji
sa-verb nouns (UniDic 名詞-普通名詞-サ変可能) that contain that kanji, and
the ones kept are those the blog itself uses most with the query's other
words (co-occurrence in posts), then the most frequent. No dictionary, no
model: the table is built once per index generation from its vocabulary.

Expansions score at EXPANSION_WEIGHT of the word typed (`search.query.rank`),
so a post with the reader's own words comes first.
"""

from __future__ import annotations

import re
from typing import Callable, Iterable, Mapping

import numpy as np

from search.text.morph import analyze

MAX_EXPANSIONS = 2  # per word of the query
_KANJI = re.compile(r"[\u3400-\u9fff]")
_TWO_KANJI = re.compile(r"[\u3400-\u9fff]{2}")
EXPANDED_POS = ("動詞", "形容詞")


class ParaphraseTable:
    """Two-kanji sa-verb nouns of an index by kanji (built from `vocabulary`:
    term -> document frequency)."""

    def __init__(self, vocabulary: Mapping[str, int]) -> None:
        self.by_kanji: dict[str, list[str]] = {}
        for term in sorted(vocabulary, key=lambda t: (-vocabulary[t], t)):
            if _TWO_KANJI.fullmatch(term) and _is_sa_noun(term):
                for kanji in dict.fromkeys(term):
                    self.by_kanji.setdefault(kanji, []).append(term)

    def candidates(self, word: str, pos: str) -> list[str]:
        """Sa-verb nouns sharing the first kanji of a verb or adjective
        (most frequent first); none for other words."""
        if not may_expand(word, pos):
            return []
        return [t for t in self.by_kanji.get(word[0], ()) if t != word]

    def expand(self, word: str, pos: str, others: Iterable[str],
               docs: Callable[[str], np.ndarray]) -> list[str]:
        """The best MAX_EXPANSIONS candidates for `word`: most posts shared
        with the query's `others` words (`docs(term)`: the posts having a
        term), then most frequent."""
        candidates = self.candidates(word, pos)
        if not candidates:
            return []
        others = [o for o in others if o != word]
        context = np.unique(np.concatenate([docs(o) for o in others])) if others else None
        ranked = []
        for i, term in enumerate(candidates):
            shared = len(np.intersect1d(docs(term), context, assume_unique=True)) if context is not None else 0
            ranked.append((-shared, i, term))
        ranked.sort()
        return [term for shared, _, term in ranked[:MAX_EXPANSIONS] if context is None or shared < 0]


def may_expand(word: str, pos: str) -> bool:
    """Whether a query word is one this table may have paraphrases for."""
    return pos.startswith(EXPANDED_POS) and bool(_KANJI.match(word))


def _is_sa_noun(term: str) -> bool:
    words = analyze(term)
    return len(words) == 1 and "サ変可能" in words[0].pos
