"""A build whose posting pool fills up writes several segments (issue 17:
at ten times ja-docs, spilling the pool to disk and merging the runs in
Python was most of the build), and they answer exactly as one segment does;
an update of one post writes that post alone and leaves the build's
segments as they are (Whoosh's merge policy rewrote them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from search import Searcher, build_index
from search.editorial.related import related_posts
from search.index import build as indexer
from search.index.schema import open_index
from search.index.whoosh import writers

from tests.support import REPO

POSTS = REPO / "data" / "posts"
PUBLISHED = 15
TINY_POOL_MB = 0.25  # a few sample posts per segment
QUERIES = ["サーバー運用", "ＡＷＳのＡＩチップ", "PostgreSQL バックアップ", "量子", "データベース",
           "くーばねてす", "GPU不足", "非同期処理を書く方法", "インデックスを設計する"]


def answers(index: Path) -> dict:
    """What readers and editors see: ranked hits with scores and snippets,
    facets, tags, suggestions and related posts."""
    with Searcher(index) as searcher:
        searcher.warm()
        found = {q: searcher.search(q, per_page=20) for q in QUERIES}
        return {
            "search": {q: [(h.slug, round(h.score, 6), h.snippet_html) for h in r.hits]
                       for q, r in found.items()},
            "total": {q: r.total for q, r in found.items()},
            "facets": {q: r.facets for q, r in found.items()},
            "tags": searcher.tags(),
            "suggest": {p: [s.to_dict() for s in searcher.suggest(p).suggestions]
                        for p in ["サー", "でーた", "Post", "量"]},
            "related": {h[0]: related_posts(searcher, h[0]).to_dict()
                        for h in [(h.slug,) for h in found["データベース"].hits[:4]]},
        }


def segment_sizes(index: Path) -> list[int]:
    return [s.doc_count_all() for s in open_index(index)._segments()]


@pytest.fixture(scope="module")
def one_segment(tmp_path_factory: pytest.TempPathFactory) -> dict:
    index = tmp_path_factory.mktemp("one") / "index"
    build_index(POSTS, index, procs=1)
    assert segment_sizes(index) == [PUBLISHED]
    return answers(index)


@pytest.mark.parametrize("procs", [1, 2])
def test_a_full_pool_starts_a_new_segment_with_the_same_answers(
        one_segment: dict, tmp_path: Path, procs: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(indexer, "PARALLEL_MIN_POSTS", 2)  # procs=2: the writer processes
    index = tmp_path / "index"
    report = build_index(POSTS, index, procs=procs, pool_mb=TINY_POOL_MB)
    assert (report.indexed, report.total, report.errors) == (PUBLISHED, PUBLISHED, [])
    sizes = segment_sizes(index)
    assert len(sizes) >= 4 and sum(sizes) == PUBLISHED, sizes
    assert answers(index) == one_segment


def test_updating_one_post_writes_that_post_alone(
        posts_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the sample's build segments of 2 to 4 posts stand for a big blog's
    monkeypatch.setattr(writers, "SMALL_SEGMENT_DOCS", 2)
    index = tmp_path / "index"
    build_index(posts_copy, index, procs=1, pool_mb=TINY_POOL_MB)
    built = {s.segment_id(): s.doc_count_all() for s in open_index(index)._segments()}
    files = {p.name: p.read_bytes() for p in index.iterdir() if p.suffix == ".seg"}
    assert len(built) >= 4 and files

    post = next(posts_copy.glob("*-postgresql-backup.md"))
    post.write_text(post.read_text(encoding="utf-8") + "\n\n追記：ペンギン観測所のバックアップ手順。\n",
                    encoding="utf-8")
    report = build_index(posts_copy, index, procs=1, pool_mb=TINY_POOL_MB)
    assert (report.indexed, report.unchanged, report.total) == (1, PUBLISHED - 1, PUBLISHED)

    after = {s.segment_id(): s for s in open_index(index)._segments()}
    kept = {segid: seg.doc_count_all() for segid, seg in after.items() if segid in built}
    assert kept == built  # no segment of the build was merged or rewritten
    (new,) = [seg for segid, seg in after.items() if segid not in built]
    assert new.doc_count_all() == 1
    assert sum(seg.deleted_count() for seg in after.values()) == 1  # the old version
    assert {name: (index / name).read_bytes() for name in files} == files
    with Searcher(index) as searcher:
        hits = searcher.search("ペンギン観測所").hits
        assert [h.slug for h in hits] == ["postgresql-backup"]


def test_updates_merge_their_own_small_segments(
        posts_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each update adds a segment of the posts it wrote; Whoosh's tiered
    merge folds those together once there are five, the build's stay."""
    monkeypatch.setattr(writers, "SMALL_SEGMENT_DOCS", 2)
    index = tmp_path / "index"
    build_index(posts_copy, index, procs=1, pool_mb=TINY_POOL_MB)
    built = {s.segment_id() for s in open_index(index)._segments()}
    posts = sorted(posts_copy.glob("*.md"))
    for round_ in range(7):
        post = posts[round_]
        post.write_text(post.read_text(encoding="utf-8") + f"\n\n追記{round_}：ペンギン観測所の記録。\n",
                        encoding="utf-8")
        build_index(posts_copy, index, procs=1)
        segments = open_index(index)._segments()
        assert built <= {s.segment_id() for s in segments}
        assert len(segments) - len(built) <= 5
    assert len(segments) - len(built) < 7  # the updates' segments were merged
    with Searcher(index) as searcher:
        assert searcher.search("ペンギン観測所").total == 7


def test_a_pool_limit_is_a_positive_size(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="pool"):
        build_index(POSTS, tmp_path / "index", procs=1, pool_mb=0)


def test_an_update_reads_only_the_files_that_changed(
        posts_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file stats recorded with each post's hash spare an update
    reading every post (most of a one-post update of a big blog)."""
    index = tmp_path / "index"
    build_index(posts_copy, index, procs=1)
    reads: list[str] = []
    real = indexer.read_post_bytes

    def counted(path: Path, root: Path) -> bytes:
        reads.append(path.name)
        return real(path, root)

    monkeypatch.setattr(indexer, "read_post_bytes", counted)
    unpublished = [p.name for p in posts_copy.glob("*.md") if "published: false" in p.read_text(encoding="utf-8")]
    assert len(unpublished) == 1  # kept out of the index: read each run
    report = build_index(posts_copy, index, procs=1)
    assert (report.indexed, report.unchanged) == (0, PUBLISHED)
    assert reads == unpublished

    reads.clear()
    post = next(posts_copy.glob("*-rust-speedup.md"))
    post.write_text(post.read_text(encoding="utf-8") + "\n\n追記：ペンギン観測所の速度。\n", encoding="utf-8")
    report = build_index(posts_copy, index, procs=1)
    assert (report.indexed, report.unchanged) == (1, PUBLISHED - 1)
    assert sorted(reads) == sorted([post.name, *unpublished])
    with Searcher(index) as searcher:
        assert [h.slug for h in searcher.search("ペンギン観測所").hits] == ["rust-speedup"]


def test_file_stats_of_other_site_settings_are_not_trusted(posts_copy: Path, tmp_path: Path) -> None:
    from search.index.filestats import STATS_FILE, FileStats
    from search.ingest.posts import SiteConfig

    index = tmp_path / "index"
    build_index(posts_copy, index, procs=1)
    assert FileStats.load(index, SiteConfig()).known  # recorded by the build
    assert not FileStats.load(index, SiteConfig(base_url="/blog")).known
    (index / STATS_FILE).write_text("{not json", encoding="utf-8")
    assert not FileStats.load(index, SiteConfig()).known
    report = build_index(posts_copy, index, procs=1)  # reads every file again
    assert (report.indexed, report.unchanged) == (0, PUBLISHED)
