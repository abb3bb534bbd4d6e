"""Building and updating the index from a folder of posts.

A full build writes every post with both cores (Whoosh's multiprocessing
writer, one segment per process). An incremental update compares each
file's hash with the one stored in the index and re-indexes only changed
posts, deleting posts whose files are gone.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import time
from dataclasses import dataclass, field
from datetime import timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from whoosh.index import Index

from search.errors import PostError
from search.posts import (
    Post,
    SiteConfig,
    file_hash,
    find_post_files,
    parse_post,
    posts_root,
    read_post_bytes,
    slug_of,
)
from search.schema import create_index, index_exists, open_index

# Below this many posts to write, a single-process writer is faster.
PARALLEL_MIN_POSTS = 200


@dataclass
class IndexReport:
    indexed: int = 0  # posts written (new or changed)
    unchanged: int = 0
    deleted: int = 0
    skipped: int = 0  # unpublished
    errors: list[PostError] = field(default_factory=list)
    seconds: float = 0.0
    total: int = 0  # posts in the index afterwards

    def summary(self) -> str:
        return (
            f"{self.indexed} posts indexed, {self.unchanged} unchanged, "
            f"{self.deleted} deleted, {self.skipped} skipped, "
            f"{len(self.errors)} errors, {self.total} in index, {self.seconds:.1f} s"
        )


def to_document(post: Post) -> dict[str, Any]:
    """The Whoosh document for a post."""
    naive_utc = post.date.astimezone(timezone.utc).replace(tzinfo=None)
    return {
        "slug": post.slug,
        "url": post.url,
        "path": post.path,
        "hash": post.hash,
        "title": post.title,
        "title_ngram": post.title,
        "body": post.body,
        "body_ngram": post.body,
        "tags_text": " ".join(post.tags),
        "tags": ",".join(post.tags),
        "categories": ",".join(post.categories),
        "author": post.author,
        "date": naive_utc,
        "published": post.date.isoformat(),
        "excerpt": post.excerpt,
    }


def indexed_hashes(ix: Index) -> dict[str, str]:
    """slug -> file hash of every post in the index."""
    with ix.reader() as reader:
        slugs = reader.column_reader("slug")
        hashes = reader.column_reader("hash")
        return {slugs[d]: hashes[d] for d in reader.all_doc_ids()}


@dataclass
class _Job:
    path: Path
    relpath: str
    data: bytes


def _parse_job(job: _Job, config: SiteConfig) -> Post | PostError | None:
    try:
        return parse_post(job.data, job.path, job.relpath, config)
    except PostError as e:
        return e


def build_index(
    posts_dir: str | os.PathLike[str],
    index_dir: str | os.PathLike[str],
    config: SiteConfig | None = None,
    rebuild: bool = False,
    procs: int | None = None,
    progress: Callable[[Iterable[Any], int], Iterable[Any]] | None = None,
) -> IndexReport:
    """Index the posts in `posts_dir` into `index_dir`; see the module doc."""
    started = time.perf_counter()
    config = config or SiteConfig()
    procs = procs or os.cpu_count() or 1
    report = IndexReport()
    root = posts_root(posts_dir)
    fresh = rebuild or not index_exists(index_dir)
    ix = create_index(index_dir) if fresh else open_index(index_dir)
    known = {} if fresh else indexed_hashes(ix)
    jobs, present = _changed_files(root, known, config, report)

    parallel = procs > 1 and len(jobs) >= PARALLEL_MIN_POSTS
    pool = multiprocessing.Pool(procs) if parallel else None
    try:
        parse = functools.partial(_parse_job, config=config)
        parsed = pool.imap(parse, jobs, chunksize=8) if pool else map(parse, jobs)
        if progress:
            parsed = progress(parsed, len(jobs))
        posts = _accept(parsed, jobs, report, present)
        # `present` is final only once every post is parsed (unpublished
        # posts leave it), so deletions are decided after the additions
        def gone_slugs() -> list[str]:
            return [slug for slug in known if slug not in present]

        gone = _write(ix, posts, gone_slugs, fresh, procs if parallel else 1)
    finally:
        if pool:
            pool.terminate()
    report.deleted = len(gone)
    with ix.searcher() as s:
        report.total = s.doc_count()
    report.seconds = time.perf_counter() - started
    return report


def _changed_files(
    root: Path, known: dict[str, str], config: SiteConfig, report: IndexReport
) -> tuple[list[_Job], set[str]]:
    """Files whose content or configuration changed, and every slug with a file."""
    jobs: list[_Job] = []
    present: set[str] = set()
    owners: dict[str, Path] = {}
    for path in find_post_files(root):
        relpath = path.relative_to(root).as_posix()
        slug = slug_of(path)[0]
        if slug in owners:
            report.errors.append(
                PostError(str(path), f"slug {slug!r} is already used by {owners[slug]}")
            )
            continue
        owners[slug] = path
        present.add(slug)
        try:
            data = read_post_bytes(path, root)
        except PostError as e:
            report.errors.append(e)  # an indexed older version stays searchable
            continue
        except OSError as e:
            report.errors.append(PostError(str(path), e.strerror or str(e)))
            continue
        if known.get(slug) == file_hash(data, relpath, config):
            report.unchanged += 1
        else:
            jobs.append(_Job(path, relpath, data))
    return jobs, present


def _accept(
    parsed: Iterable[Post | PostError | None],
    jobs: list[_Job],
    report: IndexReport,
    present: set[str],
) -> Iterator[Post]:
    """Posts to write; errors and unpublished posts are counted on the way."""
    for job, result in zip(jobs, parsed):
        if isinstance(result, PostError):
            report.errors.append(result)
        elif result is None:
            report.skipped += 1
            present.discard(slug_of(job.path)[0])
        else:
            report.indexed += 1
            yield result


def _write(
    ix: Index,
    posts: Iterable[Post],
    gone: Callable[[], list[str]],
    fresh: bool,
    procs: int,
) -> list[str]:
    """Write `posts`, then delete the slugs `gone()` names; returns those.

    The writer (and its lock) is taken only once there is something to
    write, so a run that changes nothing leaves the index generation alone.
    """
    writer = None
    try:
        for post in posts:
            if writer is None:
                writer = _open_writer(ix, procs)
            if fresh:
                writer.add_document(**to_document(post))
            else:
                writer.update_document(**to_document(post))
        deleted = gone()
        if deleted and writer is None:
            writer = _open_writer(ix, 1)
        for slug in deleted:
            writer.delete_by_term("slug", slug)
    except BaseException:
        if writer is not None:
            writer.cancel()
        raise
    if writer is not None:
        writer.commit()
    return deleted


def _open_writer(ix: Index, procs: int):  # noqa: ANN202 (Whoosh writer classes)
    if procs > 1:
        return ix.writer(procs=procs, multisegment=True, limitmb=512)
    return ix.writer(limitmb=512)
