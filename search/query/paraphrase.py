"""Paraphrases of a reader's verbs, from the index's own vocabulary.

Readers write a native verb where the posts write a Sino-Japanese sa-verb
noun: 変える / 変更する, 作る / 作成する, 消す / 消去する, 調べる / 調査する.
The two usually share a kanji. So for a verb or adjective of the query
whose first character is a kanji, the candidates are the index's two-kanji
sa-verb nouns (UniDic 名詞-普通名詞-サ変可能) that contain that kanji, and
the ones kept are those the blog itself uses most with the query's other
words (co-occurrence in posts), then the most frequent. No dictionary, no
model: the table is built once per index generation from its vocabulary.

Synonyms: any content word of the query (フォルダ, 消す, 中身) also
searches the index's words that share a Sudachi synonym group with it
(ディレクトリ, 削除, コンテンツ; `search.text.synonyms`), the ones the blog
uses most with the query's other words first.

Expansions score below the word typed (EXPANSION_WEIGHT, SYNONYM_WEIGHT in
`search.query.plan`), so a post with the reader's own words comes first.
"""

from __future__ import annotations

import functools
import re
from typing import Callable, Iterable, Mapping

import numpy as np

from search.query.snapshot import union
from search.text.morph import analyze
from search.text.synonyms import MIN_CHARS as SYNONYM_MIN_CHARS
from search.text.synonyms import SynonymTable, groups_of

MAX_EXPANSIONS = 2  # kanji-sharing paraphrases per word of the query
MAX_SYNONYMS = 2  # synonyms per word of the query
# a synonym is searched only where the blog uses it in at least this many
# times as many posts as the word the reader typed (フォルダ 38 → ディレクトリ 549)
MIN_SYNONYM_RATIO = 5.0
_KANJI = re.compile(r"[\u3400-\u9fff]")
_TWO_KANJI = re.compile(r"[\u3400-\u9fff]{2}")
EXPANDED_POS = ("動詞", "形容詞")
SYNONYM_POS = ("名詞", "動詞", "形容詞", "形状詞")  # UniDic pos1 of words with synonyms


class ParaphraseTable:
    """Two-kanji sa-verb nouns of an index by kanji, and its words by
    synonym group (built from `vocabulary`: term -> document frequency)."""

    def __init__(self, vocabulary: Mapping[str, int], earlier: "ParaphraseTable | None" = None,
                 changed: Iterable[str] | None = None) -> None:
        """From `vocabulary`, or from `earlier` (another generation's table,
        left as it is) and the terms whose frequency differs between its
        vocabulary and this one (`changed`): only the lists those terms are
        in are sorted again. Either way the same table."""
        if earlier is not None and changed is not None:
            changed = sorted(changed)
            self.synonyms = _derived_synonyms(earlier.synonyms, vocabulary, changed)
            self.by_kanji = dict(earlier.by_kanji)
            nouns = [t for t in changed if _TWO_KANJI.fullmatch(t) and _is_sa_noun(t)]
            for kanji in sorted({k for t in nouns for k in t}):
                members = {t for t in earlier.by_kanji.get(kanji, ()) if t in vocabulary}
                members.update(t for t in nouns if kanji in t and t in vocabulary)
                if members:
                    self.by_kanji[kanji] = sorted(members, key=lambda t: (-vocabulary[t], t))
                else:
                    self.by_kanji.pop(kanji, None)
            self.terms_read = len(changed)  # (for tests and benchmarks)
            return
        self.synonyms = SynonymTable(vocabulary)
        self.by_kanji: dict[str, list[str]] = {}
        for term in sorted(vocabulary, key=lambda t: (-vocabulary[t], t)):
            if _TWO_KANJI.fullmatch(term) and _is_sa_noun(term):
                for kanji in dict.fromkeys(term):
                    self.by_kanji.setdefault(kanji, []).append(term)
        self.terms_read = len(vocabulary)

    def candidates(self, word: str, pos: str) -> list[str]:
        """Sa-verb nouns sharing the first kanji of a verb or adjective
        (most frequent first); none for other words."""
        if not (pos.startswith(EXPANDED_POS) and _KANJI.match(word)):
            return []
        return [t for t in self.by_kanji.get(word[0], ()) if t != word]

    def expand(self, word: str, pos: str, others: Iterable[str],
               docs: Callable[[str], np.ndarray]) -> list[str]:
        """The best MAX_EXPANSIONS kanji-sharing candidates for `word`."""
        return _best(self.candidates(word, pos), word, others, docs, MAX_EXPANSIONS)

    def synonyms_of(self, word: str, pos: str, others: Iterable[str],
                    docs: Callable[[str], np.ndarray]) -> list[str]:
        """The best MAX_SYNONYMS index words sharing a synonym group with
        `word` (a noun, verb or adjective)."""
        if not has_synonyms(word, pos):
            return []
        least = MIN_SYNONYM_RATIO * len(docs(word))
        candidates = [t for t in self.synonyms.candidates(word) if len(docs(t)) >= max(least, 1)]
        # the other words' own synonyms are context too (消す → 削除 beside フォルダ → ディレクトリ)
        others = [o for o in others if o != word]
        context = others + [c for o in others for c in self.synonyms.candidates(o)[:MAX_SYNONYMS]]
        return _best(candidates, word, context, docs, MAX_SYNONYMS)


def _best(candidates: list[str], word: str, others: Iterable[str],
          docs: Callable[[str], np.ndarray], limit: int) -> list[str]:
    """The first `limit` candidates by posts shared with the query's `others`
    words (`docs(term)`: the posts having a term), then by their order; with
    other words, only candidates sharing a post with them."""
    if not candidates:
        return []
    others = [o for o in others if o != word]
    context = union([docs(o) for o in others]) if others else None
    if context is not None and not len(context):
        context = None  # the other words are not in the index: nothing to prefer by
    ranked = []
    for i, term in enumerate(candidates):
        shared = len(np.intersect1d(docs(term), context, assume_unique=True)) if context is not None else 0
        ranked.append((-shared, i, term))
    ranked.sort()
    return [term for shared, _, term in ranked[:limit] if context is None or shared < 0]


def may_expand(word: str, pos: str) -> bool:
    """Whether a query word is one this table may have paraphrases or synonyms for."""
    return bool(pos.startswith(EXPANDED_POS) and _KANJI.match(word)) or has_synonyms(word, pos)


def has_synonyms(word: str, pos: str) -> bool:
    """Whether a query word has Sudachi synonym groups to search."""
    return pos.startswith(SYNONYM_POS) and bool(groups_of(word))


def _derived_synonyms(earlier: SynonymTable, vocabulary: Mapping[str, int], changed: list[str]) -> SynonymTable:
    """`SynonymTable(vocabulary)`, from another generation's and the terms
    whose frequency changed: the member lists of their groups are sorted
    again, and the ranks (`order`) of the words that have a group."""
    table = SynonymTable.__new__(SynonymTable)
    grouped = [t for t in changed if len(t) >= SYNONYM_MIN_CHARS and groups_of(t)]
    table.members = dict(earlier.members)
    for group in sorted({g for t in grouped for g in groups_of(t)}):
        members = {t for t in earlier.members.get(group, ()) if t in vocabulary}
        members.update(t for t in grouped if group in groups_of(t) and t in vocabulary)
        if members:
            table.members[group] = sorted(members, key=lambda t: (-vocabulary[t], t))
        else:
            table.members.pop(group, None)
    if grouped:
        words = {t for t in earlier.order if t in vocabulary} | {t for t in grouped if t in vocabulary}
        table.order = {t: i for i, t in enumerate(sorted(words, key=lambda t: (-vocabulary[t], t)))}
    else:
        table.order = earlier.order
    return table


@functools.lru_cache(maxsize=100_000)
def _is_sa_noun(term: str) -> bool:
    words = analyze(term)
    return len(words) == 1 and "サ変可能" in words[0].pos
