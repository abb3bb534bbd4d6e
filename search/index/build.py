"""Building and updating the index from a folder of posts.

A full build writes every post with both cores (Whoosh's multiprocessing
writer, one segment per process). An incremental update compares each
file's hash with the one stored in the index and re-indexes only changed
posts, deleting posts whose files are gone. Locking, staging folders and the
atomic swap of a fresh build live in `search.index.storage`.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import functools
import gc
import itertools
import os
import shutil
import signal
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from whoosh.index import Index

from search.index.children import die_with_parent, forking, take_interrupts
from search.errors import IndexWorkerError, PostError, SchemaVersionError
from search.ingest.posts import (
    PostFile,
    SiteConfig,
    Skipped,
    SlugOwners,
    file_hash,
    find_post_paths,
    parse_post,
    posts_root,
    read_post_bytes,
    slug_of_name,
)
from search.index.storage import (
    DEFAULT_WAIT,
    IndexLock,
    check_replaceable,
    has_index,
    recover_swap,
    settle_modes,
    staging_dir,
    swap_in,
    sync_tree,
)
from search.index.filestats import FileStats
from search.index.schema import create_index, open_index, store_site_config, stored_site_config, to_document
from search.index.whoosh.columns import live_columns, live_count
from search.index.whoosh.writers import LIMIT_MB, abandon, merge_small, open_writer

# Below this many posts to write, a single-process writer is faster.
PARALLEL_MIN_POSTS = 200
# Posts sent to a post-reading process at a time.
PARSE_CHUNK = 8
# Chunks of posts being read or waiting to be written, at most.
PARSE_AHEAD = 32
# Python's cycle collector runs after every 700 net allocations by default.
# Indexing allocates millions of small objects (tokens, postings) that live
# until a segment is written, so the collector mostly re-scans live objects:
# collecting every 100,000 allocations makes a build about 8 % faster.
BUILD_GC_THRESHOLD = (100_000, 50, 100)


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """Collect cycles less often in this process and the processes it
    forks meanwhile (they inherit the setting)."""
    old = gc.get_threshold()
    gc.set_threshold(*BUILD_GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*old)


@dataclass
class IndexReport:
    indexed: int = 0  # posts written (new or changed)
    unchanged: int = 0
    deleted: int = 0
    skipped: int = 0  # unpublished or future
    future: int = 0  # of those, dated after this run: a later run indexes them once due
    hidden: int = 0  # of those, kept out of search by their front matter
    # (path relative to the posts folder, Skipped.reason) of each skipped file
    skipped_files: list[tuple[str, str]] = field(default_factory=list)
    errors: list[PostError] = field(default_factory=list)
    seconds: float = 0.0
    total: int = 0  # posts in the index afterwards
    recovered: str = ""  # why an unreadable index was rebuilt, if it was
    settings_changed: list[str] = field(default_factory=list)  # since the index was built: rebuilt

    def summary(self) -> str:
        note = f"rebuilt an unreadable index ({self.recovered}); " if self.recovered else ""
        if self.settings_changed:
            note += (f"site settings changed ({'; '.join(self.settings_changed)}): "
                     "rebuilt every post with them; ")
        return note + (
            f"{self.indexed} posts indexed, {self.unchanged} unchanged, "
            f"{self.deleted} deleted, {self.skipped} skipped{self._future_note()}, "
            f"{len(self.errors)} errors, {self.total} in index, {self.seconds:.1f} s"
        )


    def _future_note(self) -> str:
        notes = [f"{self.future} dated in the future: indexed by a later run once due"] if self.future else []
        notes += [f"{self.hidden} with search: false"] if self.hidden else []
        return f" ({'; '.join(notes)})" if notes else ""


def indexed_hashes(ix: Index) -> dict[str, str]:
    """slug -> file hash of every post in the index."""
    return {slug: digest for _, (slug, digest) in live_columns(ix, ("slug", "hash"))}


def indexed_docnums(ix: Index) -> tuple[dict[str, str], dict[str, list[int]]]:
    """slug -> file hash, and slug -> document numbers, of every post in the
    index (read from the stored columns alone: see `live_columns`)."""
    hashes: dict[str, str] = {}
    docnums: dict[str, list[int]] = {}
    for docnum, (slug, digest) in live_columns(ix, ("slug", "hash")):
        hashes[slug] = digest
        docnums.setdefault(slug, []).append(docnum)
    return hashes, docnums


@dataclass
class _Job:
    path: Path
    relpath: str
    data: bytes | None  # None: read it in the post-reading process (a fresh build)
    root: Path | None = None  # the posts folder, when data is None


def _parse_job(job: _Job, config: SiteConfig) -> dict[str, Any] | PostError | Skipped:
    """The Whoosh document of a post file (made in the pool's processes)."""
    try:
        data = job.data if job.data is not None else _read_job(job)
        post = parse_post(data, job.path, job.relpath, config)
    except PostError as e:
        return e
    return post if isinstance(post, Skipped) else to_document(post)


def build_index(
    posts_dir: str | os.PathLike[str],
    index_dir: str | os.PathLike[str],
    config: SiteConfig | None = None,
    rebuild: bool = False,
    procs: int | None = None,
    progress: Callable[[Iterable[Any], int], Iterable[Any]] | None = None,
    wait: float = DEFAULT_WAIT,
    pool_mb: float = LIMIT_MB,
) -> IndexReport:
    """Index the posts in `posts_dir` into `index_dir`; see the module doc.

    One run at a time per index: a second run waits up to `wait` seconds
    for the first, then raises IndexBusyError. Each writing process starts
    a new segment whenever its postings take about `pool_mb` MB of memory.
    """
    if not pool_mb > 0:
        raise ValueError(f"the posting pool's size must be above 0 MB, not {pool_mb!r}")
    with IndexLock(index_dir, wait), _fewer_collections():
        recover_swap(index_dir)
        return _build_locked(posts_dir, index_dir, config, rebuild, procs, progress, pool_mb)


def _build_locked(
    posts_dir: str | os.PathLike[str],
    index_dir: str | os.PathLike[str],
    config: SiteConfig | None,
    rebuild: bool,
    procs: int | None,
    progress: Callable[[Iterable[Any], int], Iterable[Any]] | None,
    pool_mb: float = LIMIT_MB,
) -> IndexReport:
    started = time.perf_counter()
    config = config or SiteConfig()
    procs = procs or os.cpu_count() or 1
    report = IndexReport()
    root = posts_root(posts_dir)
    ix = None
    fresh = rebuild or not has_index(index_dir)
    if not fresh:
        try:
            ix = open_index(index_dir)
            known, docnums = indexed_docnums(ix)
        except SchemaVersionError:
            raise
        except Exception as e:  # noqa: BLE001 (any failure to read is corruption)
            # An index that cannot be read is rebuilt beside it and swapped in.
            report.recovered = f"{type(e).__name__}: {e}"[:200]
            fresh, ix = True, None
    if not fresh:
        stored = stored_site_config(index_dir)
        report.settings_changed = config.changes_from(stored) if stored else []
        if report.settings_changed:
            # every URL is rewritten in one new index: none of the old ones
            # stays beside the new (a post that fails to parse now included)
            fresh, ix = True, None
    if fresh:
        # A new index is built beside the target and swapped in whole:
        # readers of the old index keep it until the new one is complete.
        check_replaceable(index_dir)
        build_dir = staging_dir(index_dir)
    else:
        build_dir = Path(index_dir)
    pool = None
    try:
        if fresh:
            ix = create_index(build_dir)
            known, docnums = {}, {}
        assert ix is not None
        stats = FileStats.load(Path(index_dir), config) if not fresh else FileStats(config)
        files, jobs = _changed_files(root, known, config, stats)
        present: set[str] = set()
        parallel = procs > 1 and len(jobs) >= PARALLEL_MIN_POSTS
        pool = ProcessPoolExecutor(procs, initializer=_reader_start,
                                   initargs=(os.getpid(),)) if parallel else None
        parse = functools.partial(_parse_job, config=config)
        parsed = _pool_results(pool, parse, jobs) if pool else map(parse, jobs)
        if progress:
            parsed = progress(parsed, len(jobs))
        documents = _accept(parsed, files, known, report, present, stats)

        # `present` is final only once every post is parsed (a slug joins
        # it when a file owns it), so deletions are decided after the additions
        def gone_slugs() -> list[str]:
            return [slug for slug in known if slug not in present]

        report.deleted = len(_write(ix, documents, gone_slugs, docnums, procs if parallel else 1, pool_mb))
        report.total = live_count(ix)
        store_site_config(build_dir, config)
        stats.save(build_dir)
        if fresh:
            settle_modes(build_dir)
            sync_tree(build_dir)
            swap_in(build_dir, index_dir)
        if pool:
            pool.shutdown(wait=True)
    except BaseException as e:
        if pool:
            _stop_pool(pool, e)
        if fresh:
            shutil.rmtree(build_dir, ignore_errors=True)
        raise
    report.seconds = time.perf_counter() - started
    return report


def _reader_start(parent: int) -> None:
    """In a post-reading process: die with the build; ignore Ctrl-C (the
    build stops the pool when it is interrupted: a reader killed while it
    sends its results would leave the pool's result pipe half-written and
    the pool waiting on it forever)."""
    die_with_parent(parent)
    take_interrupts(signal.SIG_IGN)


def _stop_pool(pool: ProcessPoolExecutor, error: BaseException) -> None:
    """Stop a failed build's readers: the posts not yet read are dropped
    and each reader ends after its current chunk. A pool broken by a dead
    reader is not cancelled: Python 3.11's pool raises `InvalidStateError`
    in its manager thread when a future it fails was cancelled, and then
    never closes its pipes (which holds the interpreter's exit forever)."""
    broken = isinstance(error.__cause__, BrokenProcessPool)
    pool.shutdown(wait=True, cancel_futures=not broken)


def _read_job(job: _Job) -> bytes:
    assert job.root is not None
    try:
        return read_post_bytes(job.path, job.root)
    except OSError as e:
        raise PostError(str(job.path), e.strerror or str(e)) from None


def _parse_chunk(parse: Callable[[_Job], Any], jobs: list[_Job]) -> list[Any]:
    return [parse(job) for job in jobs]


def _pool_results(pool: ProcessPoolExecutor, parse: Callable[[_Job], Any], jobs: list[_Job]
                  ) -> Iterator[Any]:
    """`parse` of each job in the pool's processes, in order. A process that
    dies (out of memory, killed) fails the build: `multiprocessing.Pool`
    would replace it and wait forever for the posts it had. The futures are
    never cancelled here (see `_stop_pool`)."""
    starts = iter(range(0, len(jobs), PARSE_CHUNK))
    chunks: collections.deque = collections.deque()

    def submit(count: int) -> None:
        with forking():
            for i in itertools.islice(starts, count):
                chunks.append(pool.submit(_parse_chunk, parse, jobs[i:i + PARSE_CHUNK]))

    # A bounded number of chunks in flight: the writer is slower than the
    # readers, and the parsed posts of a big blog would otherwise pile up
    # in this process (at ten times ja-docs, most of its memory).
    submit(PARSE_AHEAD)
    try:
        while chunks:
            result = chunks.popleft().result()
            submit(1)
            yield from result
    except BrokenProcessPool as e:
        raise IndexWorkerError(
            "a post-reading process exited unexpectedly (out of memory or killed?); "
            "nothing was committed"
        ) from e


def _changed_files(
    root: Path, known: dict[str, str], config: SiteConfig, stats: FileStats
) -> tuple[list[PostFile], list[_Job]]:
    """Every candidate file in walk order (without the bytes of unchanged
    ones), and the files whose content or configuration changed, to parse.

    The walk of `walk_post_files`, but a file whose size, modification time
    and inode are those `stats` recorded with its hash is not read again:
    reading and hashing every post was most of a one-post update of a big
    blog. In a fresh build (nothing `known`) no file is read here: the
    post-reading processes read them."""
    files: list[PostFile] = []
    jobs: list[_Job] = []
    prefix = os.path.join(str(root), "")
    for name in find_post_paths(root, config):
        # strings, not Paths, for the files not read (a third of the walk at 28,610 posts)
        relpath = name[len(prefix):].replace(os.sep, "/") if name.startswith(prefix) \
            else Path(name).relative_to(root).as_posix()
        slug = slug_of_name(os.path.basename(name))[0]
        digest = stats.hash_of(name, relpath)
        if digest is not None and known.get(slug) == digest:
            files.append(PostFile(name, relpath, slug, None, digest))
        elif not known:
            path = Path(name)
            files.append(PostFile(path, relpath, slug))
            jobs.append(_Job(path, relpath, None, root))
        else:
            file = _read(Path(name), relpath, slug, root, config)
            if file.error is None and known.get(file.slug) != file.hash:
                assert file.data is not None
                jobs.append(_Job(file.path, file.relpath, file.data))
            else:
                file = dataclasses.replace(file, data=None)
            files.append(file)
    return files, jobs


def _read(path: Path, relpath: str, slug: str, root: Path, config: SiteConfig) -> PostFile:
    """A file as `walk_post_files` gives it: read and hashed, or its error."""
    try:
        data = read_post_bytes(path, root)
    except PostError as e:
        return PostFile(path, relpath, slug, error=e)
    except OSError as e:
        return PostFile(path, relpath, slug, error=PostError(str(path), e.strerror or str(e)))
    return PostFile(path, relpath, slug, data, file_hash(data, relpath, config))


def _accept(
    parsed: Iterable[dict[str, Any] | PostError | Skipped],
    files: list[PostFile],
    known: dict[str, str],
    report: IndexReport,
    present: set[str],
    stats: FileStats,
) -> Iterator[dict[str, Any]]:
    """Documents to write; errors, unchanged and unpublished posts are
    counted on the way, and `present` gets every slug a file owns (final
    once this is exhausted). `parsed` holds the changed files' results, in
    walk order: slug owners are decided in walk order as posts.load_posts
    and check.check_index do."""
    results = iter(parsed)
    owners = SlugOwners()
    for file in files:
        if file.error:
            report.errors.append(file.error)  # an indexed older version stays searchable
            if owners.claim(file) is None:
                present.add(file.slug)
            continue
        if known.get(file.slug) == file.hash:  # indexed as it is: published
            duplicate = owners.claim(file)
            if duplicate:
                report.errors.append(duplicate)
            else:
                report.unchanged += 1
                present.add(file.slug)
                stats.record(file.path, file.relpath, file.hash)
            continue
        result = next(results)
        if isinstance(result, Skipped):
            report.skipped += 1
            report.future += result.reason == "future"
            report.hidden += result.reason == "hidden"
            report.skipped_files.append((file.relpath, result.reason))
            continue
        duplicate = owners.claim(file)
        if isinstance(result, PostError):
            report.errors.append(result)
            if duplicate is None:
                present.add(file.slug)
        elif duplicate:
            report.errors.append(duplicate)
        else:
            present.add(file.slug)
            report.indexed += 1
            stats.record(file.path, file.relpath, result["hash"])
            yield result


def _write(
    ix: Index,
    documents: Iterable[dict[str, Any]],
    gone: Callable[[], list[str]],
    docnums: dict[str, list[int]],
    procs: int,
    pool_mb: float = LIMIT_MB,
) -> list[str]:
    """Write `documents`, then delete the slugs `gone()` names; returns those.

    The writer (and its lock) is taken only once there is something to
    write, so a run that changes nothing leaves the index generation alone.
    A post's older version is deleted by the document numbers in `docnums`
    (slug -> numbers in the index the writer opens): Whoosh's
    `update_document` and `delete_by_term` would open a full reader of
    every segment to look the slug up.
    """
    writer = None
    try:
        for document in documents:
            if writer is None:
                writer = open_writer(ix, procs, pool_mb)
            for docnum in docnums.get(document["slug"], ()):
                writer.delete_document(docnum)
            writer.add_document(**document)
        deleted = gone()
        if deleted and writer is None:
            writer = open_writer(ix, 1, pool_mb)
        for slug in deleted:
            for docnum in docnums[slug]:
                writer.delete_document(docnum)
        if writer is not None:
            writer.commit(mergetype=merge_small)
    except BaseException:
        if writer is not None:
            abandon(writer)
        raise
    return deleted
