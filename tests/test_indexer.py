"""Building and updating the index: counts, incremental runs, bad input, versions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from search.index import build as indexer
from search.errors import IndexNotFoundError, SchemaVersionError, SearchError
from search import build_index
from search import Searcher
from search.index.schema import META_FILE, open_index

PUBLISHED = 15  # data/posts holds 16 files, one with published: false


def slugs_for(index_dir: Path, query: str) -> list[str]:
    with Searcher(index_dir) as s:
        return [h.slug for h in s.search(query, per_page=50).hits]


def generation(index_dir: Path) -> int:
    return open_index(index_dir).latest_generation()


def post_file(posts: Path, slug: str) -> Path:
    return next(posts.glob(f"*-{slug}.md"))


def test_full_build_counts(posts_copy: Path, tmp_path: Path) -> None:
    report = build_index(posts_copy, tmp_path / "ix", procs=1)
    assert (report.indexed, report.skipped, report.deleted, report.errors) == (PUBLISHED, 1, 0, [])
    assert report.total == PUBLISHED
    assert "15 posts indexed" in report.summary() and "0 errors" in report.summary()


def test_unchanged_run_writes_nothing(posts_copy: Path, tmp_path: Path) -> None:
    ix = tmp_path / "ix"
    build_index(posts_copy, ix, procs=1)
    before = generation(ix)
    report = build_index(posts_copy, ix, procs=1)
    assert (report.indexed, report.unchanged, report.deleted) == (0, PUBLISHED, 0)
    assert generation(ix) == before


def test_changed_post_is_reindexed(posts_copy: Path, tmp_path: Path) -> None:
    ix = tmp_path / "ix"
    build_index(posts_copy, ix, procs=1)
    assert slugs_for(ix, "ペンギン") == []
    path = post_file(posts_copy, "rust-speedup")
    path.write_text(path.read_text(encoding="utf-8") + "\n\nペンギン大行進の話を追記しました。\n",
                    encoding="utf-8")
    report = build_index(posts_copy, ix, procs=1)
    assert (report.indexed, report.unchanged, report.total) == (1, PUBLISHED - 1, PUBLISHED)
    assert slugs_for(ix, "ペンギン大行進")[:1] == ["rust-speedup"]
    assert slugs_for(ix, "ペンギン") == ["rust-speedup"]


def test_deleted_and_unpublished_posts_leave_the_index(posts_copy: Path, tmp_path: Path) -> None:
    ix = tmp_path / "ix"
    build_index(posts_copy, ix, procs=1)
    post_file(posts_copy, "quantum-computer-basics").unlink()
    path = post_file(posts_copy, "zero-trust-security")
    path.write_text(path.read_text(encoding="utf-8").replace("---\n", "---\npublished: false\n", 1),
                    encoding="utf-8")
    report = build_index(posts_copy, ix, procs=1)
    assert report.deleted == 2 and report.total == PUBLISHED - 2
    assert "quantum-computer-basics" not in slugs_for(ix, "量子ビット")
    assert "zero-trust-security" not in slugs_for(ix, "ゼロトラスト")


def test_post_broken_after_indexing_keeps_its_old_version(posts_copy: Path, tmp_path: Path) -> None:
    ix = tmp_path / "ix"
    build_index(posts_copy, ix, procs=1)
    path = post_file(posts_copy, "python-asyncio")
    path.write_text("---\ntitle: [壊れた\n---\n本文\n", encoding="utf-8")
    report = build_index(posts_copy, ix, procs=1)
    assert [e.path for e in report.errors] == [str(path)]
    assert "YAML" in report.errors[0].reason
    assert "python-asyncio" in slugs_for(ix, "asyncio")


def test_bad_file_is_reported_and_the_rest_indexed(posts_copy: Path, tmp_path: Path) -> None:
    bad = posts_copy / "2025-01-01-broken.md"
    bad.write_bytes(b"---\ntitle: \xff\xfe\n---\n")
    report = build_index(posts_copy, tmp_path / "ix", procs=1)
    assert [(e.path, "UTF-8" in e.reason) for e in report.errors] == [(str(bad), True)]
    assert report.total == PUBLISHED


def test_duplicate_slug_names_both_files(posts_copy: Path, tmp_path: Path) -> None:
    original = post_file(posts_copy, "rust-speedup")
    twin = posts_copy / "2026-01-01-rust-speedup.md"
    twin.write_text(original.read_text(encoding="utf-8"), encoding="utf-8")
    report = build_index(posts_copy, tmp_path / "ix", procs=1)
    assert len(report.errors) == 1
    message = str(report.errors[0])
    assert original.name in message and twin.name in message


def test_rebuild_starts_from_scratch(posts_copy: Path, tmp_path: Path) -> None:
    ix = tmp_path / "ix"
    build_index(posts_copy, ix, procs=1)
    report = build_index(posts_copy, ix, rebuild=True, procs=1)
    assert (report.indexed, report.unchanged, report.total) == (PUBLISHED, 0, PUBLISHED)


def test_parallel_build_equals_serial_build(posts_copy: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(indexer, "PARALLEL_MIN_POSTS", 2)
    build_index(posts_copy, tmp_path / "serial", procs=1)
    report = build_index(posts_copy, tmp_path / "parallel", procs=2)
    assert report.total == PUBLISHED
    for query in ["サーバー運用", "ＡＷＳのＡＩチップ", "PostgreSQL バックアップ", "量子"]:
        assert slugs_for(tmp_path / "serial", query) == slugs_for(tmp_path / "parallel", query)


def test_parallel_update_equals_serial_update(posts_copy: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Every post changed: the writer processes write new segments, which
    Whoosh merges with the old ones on commit."""
    from search.index.check import check_index

    monkeypatch.setattr(indexer, "PARALLEL_MIN_POSTS", 2)
    for name in ("serial", "parallel"):
        build_index(posts_copy, tmp_path / name, procs=1)
    for path in posts_copy.glob("*.md"):
        path.write_text(path.read_text(encoding="utf-8") + "\n\n追記：量子アニーリングの検証。\n",
                        encoding="utf-8")
    assert build_index(posts_copy, tmp_path / "serial", procs=1).indexed == PUBLISHED
    report = build_index(posts_copy, tmp_path / "parallel", procs=2)
    assert (report.indexed, report.total) == (PUBLISHED, PUBLISHED)
    assert check_index(posts_copy, tmp_path / "parallel").clean
    assert len(slugs_for(tmp_path / "parallel", "量子アニーリング")) == PUBLISHED
    for query in ["サーバー運用", "ＡＷＳのＡＩチップ", "PostgreSQL バックアップ", "量子"]:
        assert slugs_for(tmp_path / "serial", query) == slugs_for(tmp_path / "parallel", query)


def test_missing_index_has_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError, match="blogsearch index --posts"):
        open_index(tmp_path / "nothing-here")


def test_other_schema_version_asks_for_a_rebuild(posts_copy: Path, tmp_path: Path) -> None:
    ix = tmp_path / "ix"
    build_index(posts_copy, ix, procs=1)
    (ix / META_FILE).write_text(json.dumps({"schema_version": 0}), encoding="utf-8")
    with pytest.raises(SchemaVersionError, match="--rebuild"):
        open_index(ix)
    with pytest.raises(SchemaVersionError):
        build_index(posts_copy, ix, procs=1)
    assert build_index(posts_copy, ix, rebuild=True, procs=1).total == PUBLISHED


def test_rebuild_is_swapped_in_whole(posts_copy: Path, tmp_path: Path) -> None:
    ix = tmp_path / "ix"
    build_index(posts_copy, ix, procs=1)
    reader = Searcher(ix)  # a reader of the old index while the rebuild runs
    report = build_index(posts_copy, ix, rebuild=True, procs=1)
    assert report.total == PUBLISHED
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no leftovers
    assert reader.search("Trainium2").hits[0].slug == "aws-trainium2"
    reader.close()


def test_failed_build_leaves_the_old_index(posts_copy: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    ix = tmp_path / "ix"
    build_index(posts_copy, ix, procs=1)

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(indexer, "to_document", broken)
    with pytest.raises(OSError):
        build_index(posts_copy, ix, rebuild=True, procs=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ix", "posts"]
    assert slugs_for(ix, "Trainium2")[:1] == ["aws-trainium2"]


def test_refuses_to_replace_a_folder_of_other_files(posts_copy: Path, tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "cat.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(SearchError, match="holds other files"):
        build_index(posts_copy, folder, procs=1)
    assert (folder / "cat.jpg").exists()


def test_build_collects_cycles_less_often_and_restores_the_setting(
    posts_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    seen = []
    real = indexer.to_document

    def spy(post):  # noqa: ANN001, ANN202
        seen.append(gc.get_threshold())
        return real(post)

    monkeypatch.setattr(indexer, "to_document", spy)
    before = gc.get_threshold()
    build_index(posts_copy, tmp_path / "ix", procs=1)
    assert set(seen) == {indexer.BUILD_GC_THRESHOLD} != {before}
    assert gc.get_threshold() == before

    def broken(post):  # noqa: ANN001, ANN202
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(indexer, "to_document", broken)
    with pytest.raises(OSError):
        build_index(posts_copy, tmp_path / "ix", rebuild=True, procs=1)
    assert gc.get_threshold() == before


def fails_and_keeps_the_index(posts_copy: Path, ix: Path, tmp_path: Path, error: str) -> None:
    """A parallel `--rebuild`, then a parallel update of every post: each
    raises IndexWorkerError matching `error` (a hang fails within 60 s) and
    leaves the index as it was, with no staging folder."""
    import signal

    from search.errors import IndexWorkerError

    def hung(signum: int, frame: object) -> None:
        raise TimeoutError("the build hung")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(60)
    try:
        for rebuild in (True, False):
            if not rebuild:
                for path in posts_copy.glob("*.md"):  # every post changed: a parallel update
                    path.write_text(path.read_text(encoding="utf-8") + "\n追記。\n", encoding="utf-8")
            with pytest.raises(IndexWorkerError, match=error):
                build_index(posts_copy, ix, procs=2, rebuild=rebuild, wait=0)
            assert slugs_for(ix, "Trainium2")[:1] == ["aws-trainium2"]
            assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("batch", [100, 1], ids=["commit", "full-queue"])
def test_dead_writer_process_fails_the_build_and_keeps_the_index(
    posts_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    """Whoosh's parallel writer commits without a process that died (and
    waits forever for room in its job queue); the build must fail instead."""
    import os

    from whoosh.multiproc import SubWriterTask

    from search.index.whoosh import writers

    ix = tmp_path / "ix"
    build_index(posts_copy, ix, procs=1)
    monkeypatch.setattr(indexer, "PARALLEL_MIN_POSTS", 2)
    monkeypatch.setattr(writers, "WRITER_BATCH", batch)  # 15 jobs for a queue of 8: it fills up
    monkeypatch.setattr(SubWriterTask, "_process_file", lambda self, *a: os._exit(9))  # "killed"
    fails_and_keeps_the_index(posts_copy, ix, tmp_path, "exited with status 9")
    monkeypatch.undo()
    report = build_index(posts_copy, ix, procs=1, wait=0)  # the lock is free, nothing was lost
    assert (report.indexed, report.total) == (PUBLISHED, PUBLISHED)


def _killed(job: object, config: object) -> None:
    """A post-reading process killed (the out-of-memory killer) mid-build."""
    import os

    os._exit(9)


def test_dead_reading_process_fails_the_build_and_keeps_the_index(
    posts_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`multiprocessing.Pool` replaces a dead process and waits forever for
    the posts it had; the build must fail instead, and release the index."""
    ix = tmp_path / "ix"
    build_index(posts_copy, ix, procs=1)
    monkeypatch.setattr(indexer, "PARALLEL_MIN_POSTS", 2)
    monkeypatch.setattr(indexer, "_parse_job", _killed)
    fails_and_keeps_the_index(posts_copy, ix, tmp_path, "exited unexpectedly")
    monkeypatch.undo()
    report = build_index(posts_copy, ix, procs=2, wait=0)
    assert (report.indexed, report.total) == (PUBLISHED, PUBLISHED)


def test_an_unpublished_file_leaves_its_slug_to_a_published_one(tmp_path: Path) -> None:
    """An unpublished file A and a published file B of the same slug: B is
    the post for the loader, the indexer and `check` alike (the indexer
    refused B as a duplicate of A, and `check` reported B missing forever)."""
    from search.index.check import check_index
    from search.ingest.posts import load_posts

    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / "2025-01-10-ryoushi.md").write_text(
        "---\ntitle: 量子コンピュータ入門（下書き）\npublished: false\n---\n書きかけの下書きです。\n",
        encoding="utf-8")
    (posts / "2025-03-01-ryoushi.md").write_text(
        "---\ntitle: 量子コンピュータ入門\ntags: [量子]\n---\n量子ビットの重ね合わせを図で説明します。\n",
        encoding="utf-8")
    index = tmp_path / "index"

    loaded = load_posts(posts)
    assert [(p.slug, p.title) for p in loaded.posts] == [("ryoushi", "量子コンピュータ入門")]
    assert (loaded.errors, loaded.skipped) == ([], ["2025-01-10-ryoushi.md"])

    report = build_index(posts, index, procs=1)
    assert report.errors == []
    assert (report.indexed, report.skipped, report.total) == (1, 1, 1)
    searcher = Searcher(index)
    try:
        hits = searcher.search("量子ビット").hits
        assert [(h.slug, h.title) for h in hits] == [("ryoushi", "量子コンピュータ入門")]
    finally:
        searcher.close()

    check = check_index(posts, index)
    assert check.clean, check
    assert (check.files, check.indexed) == (1, 1)

    again = build_index(posts, index, procs=1)  # nothing changed: nothing written or deleted
    assert (again.errors, again.indexed, again.unchanged, again.deleted, again.total) == ([], 0, 1, 0, 1)
    assert check_index(posts, index).clean


def test_a_future_post_waits_and_a_later_run_indexes_it_once_due(
        posts_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import datetime, timezone

    from search.ingest import posts as posts_module

    (posts_copy / "2030-04-01-penguin-parade.md").write_text(
        "---\ntitle: ペンギンの大行進\n---\n南極のペンギンが列を作って海へ向かう。\n", encoding="utf-8")
    ix = tmp_path / "ix"
    monkeypatch.setattr(posts_module, "current_time", lambda: datetime(2030, 3, 31, tzinfo=timezone.utc))
    report = build_index(posts_copy, ix, procs=1)
    assert (report.indexed, report.skipped, report.future) == (PUBLISHED, 2, 1)
    assert "1 dated in the future: indexed by a later run once due" in report.summary()
    assert "penguin-parade" not in slugs_for(ix, "ペンギンの大行進")
    monkeypatch.setattr(posts_module, "current_time", lambda: datetime(2030, 4, 2, tzinfo=timezone.utc))
    report = build_index(posts_copy, ix, procs=1)  # the file did not change: it is due now
    assert (report.indexed, report.future, report.total) == (1, 0, PUBLISHED + 1)
    assert slugs_for(ix, "ペンギンの大行進")[:1] == ["penguin-parade"]


@pytest.mark.parametrize("front", ["search: false", "search_exclude: true"])
def test_search_false_keeps_a_post_out_of_search(posts_copy: Path, tmp_path: Path, front: str) -> None:
    from search import check_index

    ix = tmp_path / "ix"
    build_index(posts_copy, ix, procs=1)
    assert slugs_for(ix, "Trainium2")[:1] == ["aws-trainium2"]
    path = post_file(posts_copy, "aws-trainium2")
    path.write_text(path.read_text(encoding="utf-8").replace("---\n", f"---\n{front}\n", 1), encoding="utf-8")
    report = build_index(posts_copy, ix, procs=1)
    assert (report.deleted, report.hidden, report.total) == (1, 1, PUBLISHED - 1)
    assert "1 with search: false" in report.summary()
    assert "aws-trainium2" not in slugs_for(ix, "Trainium2")
    assert check_index(posts_copy, ix).clean  # not "missing"


def test_search_false_from_defaults_scopes(tmp_path: Path) -> None:
    from search.ingest.posts import SiteConfig, load_posts

    site = tmp_path / "site"
    for folder in ("_posts", "private/_posts"):
        (site / folder).mkdir(parents=True)
        (site / folder / "2026-01-05-memo.md").write_text(
            "---\ntitle: 社内メモ\n---\n会議の議事録です。\n", encoding="utf-8")
    defaults = json.dumps([{"scope": {"path": "private"}, "values": {"search": False}}])
    result = load_posts(site, SiteConfig(defaults=defaults))
    assert [p.path for p in result.posts] == ["_posts/2026-01-05-memo.md"]
    assert result.skipped == ["private/_posts/2026-01-05-memo.md"]
