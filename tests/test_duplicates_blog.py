"""Blog-wide duplicates, kept per index generation: the kept answer equals
a computation from scratch (the plain per-post loop below), a new
generation gets a new answer, and a commit re-reads only its new segment."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from search import Searcher, build_index
from search.editorial.duplicates import (
    MIN_INDEXED_CHARS,
    TEMPLATE_POSTS,
    BlogDuplicates,
    PostDuplicates,
    blog_duplicates,
    repeats_within,
)
from search.text.passages import PARAGRAPH_PREFIX, SENTENCE_PREFIX, paragraphs, passage_hash, sentence_keys

from tests.conftest import POSTS_DIR
from tests.test_duplicates import COPIED, COPY_POST, SEED, SEED_SLUG


def from_scratch(searcher: Searcher, limit: int = 20) -> BlogDuplicates:
    """Every live post read and checked against the copied passages."""
    snapshot = searcher.snapshot
    copied = {t for t, docs in snapshot.column_terms("passages").items() if 2 <= len(docs) <= TEMPLATE_POSTS}
    result = BlogDuplicates(0, 0, 0)
    lines = []
    for docnum in map(int, snapshot.live.nonzero()[0]):
        post = snapshot.stored(docnum)
        paras = paragraphs(post.body)
        repeats = repeats_within(post.body, paras)
        line = PostDuplicates(post.slug, post.title, post.url, len(paras), len(repeats),
                              sum(r.chars for r in repeats), 0, 0)
        for p in paras:
            if len(p.key) < MIN_INDEXED_CHARS:
                continue
            terms = [PARAGRAPH_PREFIX + passage_hash(p.key)]
            terms += [SENTENCE_PREFIX + passage_hash(k) for k in sentence_keys(post.body, p)]
            if any(t in copied for t in terms):
                line.shared += 1
                line.shared_chars += p.end - p.start
        result.posts += 1
        result.with_repeats += line.repeated > 0
        result.with_shared += line.shared > 0
        if line.repeated or line.shared:
            lines.append(line)
    lines.sort(key=lambda x: (-(x.repeated_chars + x.shared_chars), x.slug))
    result.worst = lines[:limit]
    return result


@pytest.fixture
def site(tmp_path: Path) -> Path:
    if not SEED.exists():
        pytest.skip("../shared/fixtures is absent")
    posts = tmp_path / "site" / "_posts"
    shutil.copytree(POSTS_DIR, posts)
    shutil.copy(SEED, posts / f"2026-01-17-{SEED_SLUG}.md")
    (posts / "2026-02-01-copied-post.md").write_text(COPY_POST, encoding="utf-8")
    return tmp_path / "site"


def test_kept_answer_equals_a_computation_from_scratch_and_follows_new_generations(
        site: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    build_index(site, index, procs=1)
    with Searcher(index) as searcher:
        first = blog_duplicates(searcher)
        assert first == from_scratch(searcher)
        assert (first.posts, first.with_repeats, first.with_shared) == (17, 1, 2)
        assert [line.slug for line in first.worst] == [SEED_SLUG, "copied-post"]
        assert blog_duplicates(searcher, limit=1).worst == first.worst[:1]
        assert searcher.snapshot.built("blog duplicates")
        kept = searcher.snapshot.table("blog duplicates", lambda _: None)
        blog_duplicates(searcher)
        assert searcher.snapshot.table("blog duplicates", lambda _: None) is kept  # not recomputed

        # a commit: a third post copies the paragraph
        post = site / "_posts" / "2025-06-01-python-asyncio.md"
        post.write_text(post.read_text(encoding="utf-8") + f"\n\n{COPIED}\n", encoding="utf-8")
        assert build_index(site, index, procs=1).indexed == 1
        old_segments = set(searcher.snapshot.segment_ids)
        reads = dict(searcher.tables.reads)
        assert searcher.refresh()
        assert not searcher.snapshot.built("blog duplicates")
        second = blog_duplicates(searcher)
        assert second == from_scratch(searcher)
        assert second != first and second.with_shared == 3
        assert "python-asyncio" in [line.slug for line in second.worst]
        # the segments both generations share were not read again
        for segid in old_segments & set(searcher.snapshot.segment_ids):
            assert searcher.tables.reads[segid] == reads.get(segid, 0)


def test_a_deleted_post_leaves_the_list(site: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    build_index(site, index, procs=1)
    with Searcher(index) as searcher:
        blog_duplicates(searcher)
        (site / "_posts" / "2026-02-01-copied-post.md").unlink()
        build_index(site, index, procs=1)
        assert searcher.refresh()
        result = blog_duplicates(searcher)
        assert result == from_scratch(searcher)
        assert (result.posts, result.with_shared) == (16, 0)
        assert [line.slug for line in result.worst] == [SEED_SLUG]
