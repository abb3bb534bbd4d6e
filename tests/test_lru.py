"""What a searcher keeps of its terms is bounded in bytes, not only in
entries (`search.query.lru`), and answers the same whatever it keeps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from search import Searcher
from search.query import snapshot as snapshot_module
from search.query.lru import ENTRY_BYTES, LRU, nbytes
from search.query.segments import SegmentTables

QUERIES = ["ファイルのアクセス権を変更する", "GPU不足", "Kubernetesにデプロイする方法",
           "バックアップを取りたい", "チップ", "クラウド 料金", "\"分散学習\"", "AIチップ -NVIDIA"]


def _postings(n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.arange(n, dtype=np.int32), np.ones(n, np.float32)


def test_the_oldest_go_when_the_bytes_are_spent() -> None:
    each = nbytes(_postings(1000))
    assert each == ENTRY_BYTES + 8000
    lru: LRU[str, tuple[np.ndarray, np.ndarray]] = LRU(max_items=100, max_bytes=3 * each)
    for word in ["ペンギン", "行進", "観察"]:
        lru.put(word, _postings(1000))
    assert lru.get("ペンギン") is not None  # used: now the newest
    lru.put("日記", _postings(1000))
    assert lru.get("行進") is None  # the least recently used went
    assert sorted(lru) == sorted(["ペンギン", "観察", "日記"])
    assert lru.nbytes == 3 * each
    huge = _postings(10_000)
    assert lru.put("動物園", huge) is huge  # given back, not kept: alone over the bound
    assert lru.get("動物園") is None and lru.nbytes == 3 * each
    lru.drop(lambda word: word != "日記")
    assert list(lru) == ["日記"] and lru.nbytes == each


def test_entries_are_bounded_too() -> None:
    lru: LRU[str, int] = LRU(max_items=2, max_bytes=2**20)
    for n, word in enumerate(["東京", "大阪", "札幌"]):
        lru.put(word, n)
    assert list(lru) == ["大阪", "札幌"] and lru.nbytes == 2 * ENTRY_BYTES


def _answers(searcher: Searcher) -> list[tuple[int, list[tuple[str, float, str]]]]:
    out = []
    for query in QUERIES:
        result = searcher.search(query)
        out.append((result.total, [(h.slug, h.score, h.snippet_html) for h in result.hits]))
    return out


def test_small_bounds_give_the_same_answers(index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Searcher(index_dir) as roomy:
        expected = _answers(roomy)
    assert any(total > 1 for total, _ in expected)
    budget = 16 * 1024
    monkeypatch.setattr(snapshot_module, "CACHE_BYTES", budget)
    tables = SegmentTables(max_postings_bytes=budget)
    with Searcher(index_dir, tables=tables) as tight:
        assert _answers(tight) == expected
        snap = tight.snapshot
        for cache in (snap._postings, snap._term_arrays, tables._postings):
            assert 0 < cache.nbytes <= budget
        read = sum(tables.reads.values())
        assert _answers(tight) == expected
        assert sum(tables.reads.values()) > read  # some postings went, and were read again
