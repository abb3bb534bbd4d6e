"""A new index generation's tables derived from the previous one's
(`Snapshot.earlier`): after a commit of one post changed, added or deleted,
every table `old.successor()` builds in `warm()` and `warm_editor` equals
the table a fresh Searcher builds from the whole index — completions,
readings, the speller, paraphrases, related posts' statistics — and the
work done for it is that of the commit (counted, not timed)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
import pytest

from search import Searcher, build_index
from search.editorial.related import _stats, related_posts
from search.editorial.warm import warm_editor
from search.query.spelling import speller
from search.query.suggest import Completions
from search.query.vocabulary import vocabulary

CHANGED_POST = "2025-06-15-linux-file-permissions.md"
DELETED_POST = "2025-03-20-nvidia-h100-gpu-shortage.md"
ADDED_POST = "2025-09-01-penguin-parade.md"
ADDED_TEXT = """---
title: ペンギンの大行進を観察するサーバー
tags: [観察, Linux]
categories: [動物]
---
南極のペンギンが列を作って行進する。観察用のサーバーでファイルのアクセス権を設定し、
カメラの画像を非同期処理で保存した。ペンギンパレードの記録は毎日更新する。
"""
CHANGE = "\n追記：ペンギンの行進をサーバーで観察した。パーミッションの変更も記録する。\n"

# what readers type: kana, romaji, kanji, katakana, ASCII, mistyped
TYPED = ["ぱいそ", "Pyth", "こうそ", "kous", "非同", "ファイ", "サーバー", "がぞうのかいて", "ぺん",
         "ペンギ", "かんさ", "ふぁいるの", "あくせ", "ディスク", "aws", "kube", "でぃれ", "ｐｙ", "の"]
MISTYPED = ["ペンギソ", "ソッケト", "chmdo", "パーミッシヨン", "インストル", "サーバ設低", "非同期処理の入門",
            "ディスク仕様量", "ファイルのアクセス件"]


def commit(posts: Path, index: Path, change: str) -> None:
    if change == "changed":
        path = posts / CHANGED_POST
        path.write_text(path.read_text(encoding="utf-8") + CHANGE, encoding="utf-8")
    elif change == "added":
        (posts / ADDED_POST).write_text(ADDED_TEXT, encoding="utf-8")
    else:
        (posts / DELETED_POST).unlink()
    build_index(posts, index, procs=1)


@pytest.fixture(params=["changed", "added", "deleted"])
def generations(request: pytest.FixtureRequest, posts_copy: Path, tmp_path: Path
                ) -> Iterator[tuple[Searcher, Searcher, Searcher]]:
    """(old, its successor, a fresh Searcher on the successor's generation),
    all three warmed for searches and the editor, as a server does."""
    index = tmp_path / "index"
    build_index(posts_copy, index, procs=1)
    old = Searcher(index)
    old.warm()
    warm_editor(old)
    commit(posts_copy, index, request.param)
    new = old.successor()
    new.warm()
    warm_editor(new)
    fresh = Searcher(index)  # tables of its own: nothing to derive from
    fresh.warm()
    warm_editor(fresh)
    assert new.version == fresh.version != old.version
    yield old, new, fresh
    for s in (old, new, fresh):
        s.close()


def prefixes(searcher: Searcher) -> list[str]:
    """Typed text, and the starts of every title and tag and of many words."""
    snapshot = searcher.snapshot
    titles = [snapshot.stored(d).title for d in np.flatnonzero(snapshot.live)]
    tags = [tag for tag, _ in snapshot.facet_counts("tags", snapshot.live)]
    words = sorted(vocabulary(snapshot).terms)[::7]
    starts = {text[:n] for text in titles + tags + words for n in (1, 2, 3, 5)}
    return sorted(starts) + TYPED + MISTYPED


def test_completions_equal_a_fresh_build_and_are_derived(
        generations: tuple[Searcher, Searcher, Searcher]) -> None:
    old, new, fresh = generations
    typed = sorted(set(prefixes(new) + prefixes(old)))
    assert len(typed) > 200
    for text in typed:
        assert new.suggest(text, 20) == fresh.suggest(text, 20), text
    derived, built = new.completions(), fresh.completions()
    assert derived._words == built._words
    assert np.array_equal(derived._word_freqs, built._word_freqs)
    assert [derived._title(r) for r in range(len(derived._title_ids))] == \
        [built._title(r) for r in range(len(built._title_ids))]
    assert derived._surface == built._surface
    # derived: the registries of titles and phrases are the old generation's,
    # and only the titles that changed were counted in or out
    assert derived._title_registry is old.completions()._title_registry
    assert derived._phrase_state.registry is old.completions()._phrase_state.registry
    assert derived._phrase_state.titles_counted <= 2
    assert built._phrase_state.titles_counted == len(built._title_ids)


def test_readings_and_speller_equal_a_fresh_build_and_are_derived(
        generations: tuple[Searcher, Searcher, Searcher]) -> None:
    old, new, fresh = generations
    derived, built = new.reading_table(), fresh.reading_table()
    assert (derived.keys, derived.terms, derived._by_key) == (built.keys, built.terms, built._by_key)
    assert np.array_equal(derived.freqs, built.freqs)
    changed = vocabulary(new.snapshot).changed
    assert vocabulary(new.snapshot).base is vocabulary(old.snapshot)
    # (a deletion changes no frequency: deleted posts count until their segment is merged)
    assert derived.terms_read == len(changed) < built.terms_read / 3
    assert vocabulary(new.snapshot).terms == vocabulary(fresh.snapshot).terms
    assert vocabulary(new.snapshot).per_field == vocabulary(fresh.snapshot).per_field

    spell_new = speller(new.snapshot, derived)
    spell_fresh = speller(fresh.snapshot, built)
    words = [t for t in vocabulary(fresh.snapshot).terms if len(t) >= 3]
    typos = {w[:i] + w[i + 1 :] for w in words[::3] for i in (1, len(w) - 1)}
    for typo in sorted(typos) + MISTYPED:
        assert spell_new._one_edit(typo) == spell_fresh._one_edit(typo), typo
        assert spell_new.correct(typo) == spell_fresh.correct(typo), typo
    for text in MISTYPED:
        assert new.search(text).did_you_mean == fresh.search(text).did_you_mean, text
    # only the words new to the vocabulary were filed by their deletions
    assert spell_new.terms_indexed < spell_fresh.terms_indexed / 3


def test_paraphrases_and_related_posts_equal_a_fresh_build(
        generations: tuple[Searcher, Searcher, Searcher]) -> None:
    old, new, fresh = generations
    a, b = new.paraphrases(), fresh.paraphrases()
    assert a.by_kanji == b.by_kanji
    assert a.synonyms.members == b.synonyms.members and a.synonyms.order == b.synonyms.order
    assert a.terms_read == len(vocabulary(new.snapshot).changed) < b.terms_read / 3  # derived
    assert np.array_equal(_stats(new.snapshot).title_information(new.snapshot),
                          _stats(fresh.snapshot).title_information(fresh.snapshot))
    slugs = [new.snapshot.stored(d).slug for d in np.flatnonzero(new.snapshot.live)]
    for slug in slugs:
        assert related_posts(new, slug, limit=8) == related_posts(fresh, slug, limit=8), slug
    for query in ["ペンギン", "ファイルのアクセス権", "非同期処理", "変える", "フォルダを消す"]:
        assert new.search(query).to_dict() == fresh.search(query).to_dict(), query
    assert vocabulary(new.snapshot).base is vocabulary(old.snapshot)


def test_a_chain_of_commits_derives_each_generation_from_the_last(
        posts_copy: Path, tmp_path: Path) -> None:
    """Three commits in a row, each successor derived from the one before
    (the old generations closed, as a server does): the last one's
    completions and speller still equal a fresh build's."""
    index = tmp_path / "index"
    build_index(posts_copy, index, procs=1)
    current = Searcher(index)
    current.warm()
    for change in ("changed", "added", "deleted"):
        commit(posts_copy, index, change)
        successor = current.successor()
        successor.warm()
        assert successor.completions()._title_registry is current.completions()._title_registry
        current.close()
        current = successor
    with Searcher(index) as fresh:
        fresh.warm()
        for text in sorted(set(prefixes(fresh))):
            assert current.suggest(text, 20) == fresh.suggest(text, 20), text
        for text in MISTYPED:
            assert current.search(text).did_you_mean == fresh.search(text).did_you_mean, text
    current.close()


def test_a_table_without_an_earlier_generation_is_built_from_scratch(index_dir: Path) -> None:
    with Searcher(index_dir) as searcher:
        table = searcher.completions()
        assert isinstance(table, Completions)
        assert table._phrase_state.titles_counted == len(table._title_ids) > 0
        assert vocabulary(searcher.snapshot).base is None
