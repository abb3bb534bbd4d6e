"""An update of one changed post (issue 17: under a second at ten times
ja-docs) gives an index that answers exactly as a full rebuild of the same
posts does — ranked hits with scores, snippets, totals, facets, tags,
completions — and does the work of that one post only (counted, not
timed): one post read, parsed, analysed and written, one `stat` of each
other post file, no full reader of the index opened, the build's segment
files left byte for byte.

Related posts differ: `search.editorial.related` takes a word's document
frequency from the segments' term files, which count the deleted older
version of the changed post until its segment is merged (a build's never
is), so the changed post's own words count as shared with "another" post.
That test is marked xfail until related.py counts live posts only."""

from __future__ import annotations

import shutil
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from search import Searcher, build_index
from search.editorial.related import related_posts
from search.index import build as indexer
from search.index import filestats
from search.index.filestats import FileStats
from search.index.schema import open_index
from search.index.whoosh.segmentwriter import GroupedSegmentWriter
from search.ingest.posts import SiteConfig, read_post_bytes
from whoosh.reading import SegmentReader

from tests.support import REPO

sys.path.insert(0, str(REPO / "bench"))
from corpus import unpacked_corpus  # noqa: E402

SAMPLE_QUERIES = ["サーバー運用", "PostgreSQL バックアップ", "データベース", "くーばねてす", "GPU不足",
                  "非同期処理を書く方法", "ペンギン観測所", "パッケージをインストールする方法",
                  "ネットワークの設定", "ファイル 権限"]
PREFIXES = ["サー", "でーた", "Post", "ペン", "パッケ", "ネット"]
ADDED = "\n\n## ペンギン観測所\n\nペンギン観測所のデータベースを毎晩バックアップする手順を追記しました。\n"


def answers(index: Path, queries: list[str], related_of: list[str]) -> dict[str, Any]:
    """What readers and editors see, from a warmed searcher."""
    with Searcher(index) as searcher:
        searcher.warm()
        found = {q: searcher.search(q, per_page=10) for q in queries}
        return {
            "top10": {q: [(h.slug, round(h.score, 6)) for h in r.hits] for q, r in found.items()},
            "snippets": {q: [h.snippet_html for h in r.hits] for q, r in found.items()},
            "total": {q: r.total for q, r in found.items()},
            "facets": {q: r.facets for q, r in found.items()},
            "tags": searcher.tags(),
            "suggest": {p: [s.to_dict() for s in searcher.suggest(p).suggestions] for p in PREFIXES},
        } | ({"related": {slug: related_posts(searcher, slug).to_dict() for slug in related_of}}
             if related_of else {})


class Work:
    """What an index run does, post by post: posts parsed, documents
    written, post files read and stat-ed; full segment readers opened."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.parsed: list[str] = []
        self.written: list[str] = []
        self.read: list[str] = []
        self.stats: Counter[str] = Counter()
        self.readers = 0
        parse, add, read = indexer.parse_post, GroupedSegmentWriter.add_document, read_post_bytes
        key, open_reader = filestats._key, SegmentReader.__init__

        def stat(path: Path) -> Any:  # noqa: ANN401
            self.stats[Path(path).name] += 1
            return key(path)

        def segment_reader(reader: SegmentReader, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401
            self.readers += 1
            open_reader(reader, *args, **kwargs)

        def parse_post(data: bytes, path: Path, relpath: str, *args: Any) -> Any:  # noqa: ANN401
            self.parsed.append(Path(relpath).name)
            return parse(data, path, relpath, *args)

        def add_document(writer: GroupedSegmentWriter, **fields: Any) -> None:  # noqa: ANN401
            self.written.append(fields["slug"])
            add(writer, **fields)

        def read_post(path: Path, root: Path) -> bytes:
            self.read.append(Path(path).name)
            return read(path, root)

        monkeypatch.setattr(indexer, "parse_post", parse_post)
        monkeypatch.setattr(GroupedSegmentWriter, "add_document", add_document)
        monkeypatch.setattr(indexer, "read_post_bytes", read_post)
        monkeypatch.setattr(filestats, "_key", stat)
        monkeypatch.setattr(SegmentReader, "__init__", segment_reader)

    def clear(self) -> None:
        self.parsed.clear()
        self.written.clear()
        self.read.clear()


def segment_files(index: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in index.iterdir() if p.suffix == ".seg"}


def update_and_rebuild(site: Path, post: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                       procs: int) -> tuple[Path, Path, Work]:
    """An index built, then updated after `post` changed; a rebuild of the
    changed posts beside it; the update's work."""
    updated = tmp_path / "updated"
    build_index(site, updated, procs=procs)
    built = segment_files(updated)
    built_files = [Path(relpath).name for relpath in FileStats.load(updated, SiteConfig()).known]
    work = Work(monkeypatch)
    post.write_text(post.read_text(encoding="utf-8") + ADDED, encoding="utf-8")
    report = build_index(site, updated, procs=procs)
    assert (report.indexed, report.deleted, report.errors) == (1, 0, [])
    assert work.readers == 0  # the update reads columns and the TOC, no term file
    # one stat of each indexed post's file, and one more of the changed post
    # once read (a file kept out of the index has no stats to compare: read)
    assert work.stats == Counter({name: 1 for name in built_files} | {post.name: 2})
    assert report.total == open_index(updated).doc_count()  # counted from the TOC: the same
    # the build's segment files are all still there, byte for byte; one new one
    after = segment_files(updated)
    assert {name: after[name] for name in built} == built
    assert len(after) == len(built) + 1
    rebuilt = tmp_path / "rebuilt"
    monkeypatch.undo()
    build_index(site, rebuilt, rebuild=True, procs=procs)
    return updated, rebuilt, work


def test_an_updated_post_answers_as_a_rebuild_on_the_sample_posts(
        posts_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    post = next(posts_copy.glob("*-postgresql-backup.md"))
    unpublished = [p.name for p in posts_copy.glob("*.md") if "published: false" in p.read_text(encoding="utf-8")]
    updated, rebuilt, work = update_and_rebuild(posts_copy, post, tmp_path, monkeypatch, procs=1)
    # the changed post alone was read, parsed, analysed and written (the
    # unpublished post is read and parsed on every run: it is not in the index)
    assert sorted(work.read) == sorted([post.name, *unpublished])
    assert sorted(work.parsed) == sorted([post.name, *unpublished])
    assert work.written == ["postgresql-backup"]
    queries = SAMPLE_QUERIES + ["量子", "ＡＷＳのＡＩチップ"]
    assert answers(updated, queries, []) == answers(rebuilt, queries, [])
    with Searcher(updated) as searcher:
        assert [h.slug for h in searcher.search("ペンギン観測所").hits] == ["postgresql-backup"]


@pytest.mark.xfail(strict=True, reason="related.py's document frequencies count the deleted older "
                   "version of an updated post (see the module doc)")
def test_related_posts_after_an_update_are_a_rebuilds(
        posts_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    post = next(posts_copy.glob("*-postgresql-backup.md"))
    updated, rebuilt, _ = update_and_rebuild(posts_copy, post, tmp_path, monkeypatch, procs=1)
    slugs = ["postgresql-backup", "postgresql-index-design", "rust-speedup"]
    assert answers(updated, [], slugs)["related"] == answers(rebuilt, [], slugs)["related"]


def test_an_updated_post_answers_as_a_rebuild_on_ja_docs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """200 real posts (the ja-docs sample), written by two processes as a
    big blog's build is: the update writes one post, in one process."""
    sample = unpacked_corpus("ja-docs-sample")
    if sample is None:
        pytest.skip("../shared/corpus is absent")
    site = tmp_path / "site"
    shutil.copytree(sample, site)
    posts = sorted((site / "_posts").glob("*.md"))
    post = posts[len(posts) // 2]
    monkeypatch.setattr(indexer, "PARALLEL_MIN_POSTS", 2)  # as a big blog's build
    updated, rebuilt, work = update_and_rebuild(site, post, tmp_path, monkeypatch, procs=2)
    assert (work.read, work.parsed, len(work.written)) == ([post.name], [post.name], 1)
    assert len(open_index(rebuilt)._segments()) >= 2  # two writing processes
    assert answers(updated, SAMPLE_QUERIES, []) == answers(rebuilt, SAMPLE_QUERIES, [])


def test_a_run_that_finds_nothing_changed_writes_nothing(
        posts_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The hourly run of a blog that did not change: no post analysed, no
    reader opened, and no file of the index folder written (post-files.json
    was rewritten whole on every run: 3.7 MB at ten times ja-docs)."""
    index = tmp_path / "index"
    build_index(posts_copy, index, procs=1)
    before = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in index.iterdir()}
    work = Work(monkeypatch)
    report = build_index(posts_copy, index, procs=1)
    assert (report.indexed, report.unchanged, report.deleted) == (0, 15, 0)
    assert (work.written, work.readers) == ([], 0)
    after = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in index.iterdir()}
    assert after == before
