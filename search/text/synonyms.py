"""Synonyms of the index's words, from Sudachi's synonym groups.

SudachiDict's system dictionary (the `sudachidict_core` wheel, Apache-2.0)
carries, for each entry, the ids of the groups of the Sudachi synonym
dictionary it belongs to: フォルダ and ディレクトリ share group 501, 消す
and 削除 share 13968. Words sharing a group are synonyms. Sudachi is only
this lexicon here: fugashi + UniDic stays the analyser, and a word is looked
up by the index term UniDic gives (`search.text.morph`), as written; a
katakana term whose trailing long-vowel mark the index dropped (サーバ) is
looked up with it too when Sudachi lacks the short form.

`SynonymTable` maps the content words of an index's vocabulary to their
groups, once per index generation (about 0.3 s for the 10,000 non-ASCII
words of ja-docs); `SynonymTable.candidates` gives the index words sharing
a group with a query word. The dictionary is loaded once per process, on
first need (about 0.2 s; it is memory-mapped).
"""

from __future__ import annotations

import functools
import re
import threading
from typing import Any, Mapping

from search.text.morph import SUFFIX_MARK

SUDACHI_DICTIONARY = "core"  # the sudachidict_core package
# parts of speech (Sudachi pos1) whose synonyms are searched
CONTENT_POS = ("名詞", "動詞", "形容詞", "形状詞")
MIN_CHARS = 2  # a one-character synonym (分, 速) matches inside too many words
_KATAKANA_END = re.compile(r"[\u30a1-\u30fa]$")
_WORD = re.compile(r"[\u3041-\u30ff\u3400-\u9fff]")

_lock = threading.Lock()
_dictionary: Any = None


def dictionary() -> Any:
    """Sudachi's system dictionary (loaded once per process)."""
    global _dictionary
    if _dictionary is None:
        with _lock:
            if _dictionary is None:
                from sudachipy import Dictionary

                _dictionary = Dictionary(dict=SUDACHI_DICTIONARY)
    return _dictionary


@functools.lru_cache(maxsize=100_000)
def groups_of(word: str) -> tuple[int, ...]:
    """The synonym groups of a word's content-word entries (sorted; none for
    words Sudachi lacks or has no group for)."""
    if not _WORD.search(word) or word.startswith(SUFFIX_MARK):
        return ()
    found = _lookup(word)
    if not found and _KATAKANA_END.search(word):
        found = _lookup(word + "ー")  # the index's サーバ is Sudachi's サーバー
    return tuple(sorted(found))


def _lookup(word: str) -> set[int]:
    groups: set[int] = set()
    for m in dictionary().lookup(word):
        if m.part_of_speech()[0] in CONTENT_POS:
            groups.update(m.synonym_group_ids())
    return groups


class SynonymTable:
    """The words of an index by Sudachi synonym group (built from
    `vocabulary`: term -> document frequency)."""

    def __init__(self, vocabulary: Mapping[str, int]) -> None:
        self.members: dict[int, list[str]] = {}
        self.order: dict[str, int] = {}  # most frequent first
        for term in sorted(vocabulary, key=lambda t: (-vocabulary[t], t)):
            if len(term) >= MIN_CHARS:
                for group in groups_of(term):
                    self.members.setdefault(group, []).append(term)
                    self.order.setdefault(term, len(self.order))

    def candidates(self, word: str) -> list[str]:
        """The index's words sharing a synonym group with `word`, most
        frequent first (the word itself left out)."""
        found = {t for group in groups_of(word) for t in self.members.get(group, ()) if t != word}
        return sorted(found, key=self.order.__getitem__)
