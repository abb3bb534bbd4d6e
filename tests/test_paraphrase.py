"""Paraphrases of a reader's verbs from the index's vocabulary (search.query.paraphrase)."""

from __future__ import annotations

import numpy as np
import pytest

from search.query.paraphrase import ParaphraseTable

VOCABULARY = {"変更": 40, "変数": 90, "変換": 30, "作成": 50, "消去": 5, "削除": 60, "変える": 8}


@pytest.mark.parametrize("word,pos,expected", [
    ("変える", "動詞-一般", ["変更", "変換"]),  # 変数 is no sa-verb noun
    ("作る", "動詞-一般", ["作成"]),
    ("消す", "動詞-一般", ["消去"]),  # 削除 shares no kanji: not found this way
    ("変更", "名詞-普通名詞-サ変可能", []),  # only verbs and adjectives are expanded
    ("かえる", "動詞-一般", []),
])
def test_candidates_share_the_verbs_kanji(word: str, pos: str, expected: list[str]) -> None:
    assert ParaphraseTable(VOCABULARY).candidates(word, pos) == expected


def test_the_candidate_used_with_the_other_query_words_comes_first() -> None:
    posts = {"変更": [1, 2], "変換": [3, 4, 5], "ファイル": [4, 5]}

    def docs(term: str) -> np.ndarray:
        return np.asarray(posts.get(term, []), np.int32)

    table = ParaphraseTable(VOCABULARY)
    assert table.expand("変える", "動詞-一般", ["ファイル"], docs)[:1] == ["変換"]
    assert table.expand("変える", "動詞-一般", [], docs) == ["変更", "変換"]
