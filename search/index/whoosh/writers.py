"""Whoosh's index writers as blogsearch uses them: one process writing a
`GroupedSegmentWriter`, or Whoosh's multiprocessing writer (each process
writes its segments with one) made to notice a writer process that died and
to stop on Ctrl-C; and the merge policy of updates.

Subclasses Whoosh's `MpWriter` and `SubWriterTask` and calls their private
members; see INTERNALS.md.
"""

from __future__ import annotations

import os
import queue
import signal

from whoosh.index import Index, LockError
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.writing import MERGE_SMALL, SegmentWriter

from search.errors import IndexWorkerError
from search.index.children import die_with_parent, forking, take_interrupts
from search.index.whoosh.codec import BlogsearchCodec
from search.index.whoosh.segmentwriter import GroupedSegmentWriter

WRITER_BATCH = 100  # documents per job of a parallel writer's processes (Whoosh's default)
LIMIT_MB = 256  # memory of a writer's posting pool before it writes the segment and starts another
# Segments of at least this many documents (a build's) are never merged by an update.
SMALL_SEGMENT_DOCS = 500


def _writer_start(parent: int) -> None:
    """In a writer process: die with the build; Ctrl-C (sent to the whole
    process group) ends it at once, without a traceback of its own."""
    die_with_parent(parent)
    take_interrupts(lambda signum, frame: os._exit(128 + signum))


def abandon(writer) -> None:  # noqa: ANN001 (Whoosh writer classes)
    """Release a failed writer's lock now, not whenever the garbage
    collector finds the writer (the next run would find the index locked)."""
    try:
        writer.cancel()
    except Exception:  # noqa: BLE001 (a half-committed writer; its lock is what matters)
        lock = getattr(writer, "writelock", None)
        if lock is not None:
            lock.release()


def merge_small(writer, segments: list) -> list:  # noqa: ANN001 (a Whoosh writer, segments)
    """The merge policy of a commit: Whoosh's MERGE_SMALL (which merges the
    smallest segments once there are five or more, Fibonacci-tiered), over
    the segments of fewer than SMALL_SEGMENT_DOCS documents only. Whoosh's
    own would merge a build's segments too once it has about twenty of them
    (a big build has), rewriting most of the index, posting by posting, in
    the update of one post."""
    small = [s for s in segments if s.doc_count_all() < SMALL_SEGMENT_DOCS]
    big = [s for s in segments if s.doc_count_all() >= SMALL_SEGMENT_DOCS]
    return big + MERGE_SMALL(writer, small)


def open_writer(ix: Index, procs: int, limitmb: float = LIMIT_MB):  # noqa: ANN202 (Whoosh writer classes)
    """A writer holding Whoosh's write lock, which this function takes
    itself: a writer that fails while it is being made (a full disk) would
    hold the lock until the garbage collector finds it. Each writing process
    starts a new segment whenever its posting pool holds `limitmb`; commit
    the writer with `mergetype=merge_small`."""
    lock = ix.lock("WRITELOCK")
    if not lock.acquire():
        raise LockError("the index is locked by another writer")
    try:
        options = {"limitmb": limitmb, "codec": BlogsearchCodec()}
        if procs > 1:
            # the sub-writers get `subargs`; they never lock
            writer = _MpWriter(ix, procs=procs, batchsize=WRITER_BATCH, multisegment=True,
                               subargs=options, _lk=False, **options)
        else:
            writer = GroupedSegmentWriter(ix, _lk=False, **options)
    except BaseException:
        lock.release()
        raise
    writer.writelock = lock  # released by the writer's commit or cancel
    return writer


class _LiveQueue:
    """A parallel writer's job queue that gives up when a writer process
    has died, where Whoosh would wait for room in the queue forever."""

    def __init__(self, jobs, tasks: list) -> None:  # noqa: ANN001 (a multiprocessing queue)
        self._jobs = jobs
        self._tasks = tasks

    def put(self, item: object) -> None:
        while True:
            try:
                self._jobs.put(item, timeout=1.0)
                return
            except queue.Full:
                _check_tasks(self._tasks)

    def abandon(self) -> None:
        """Let the process exit without flushing what is still queued."""
        self._jobs.cancel_join_thread()

    def get(self, *args: object, **kwargs: object) -> object:  # the writer processes' side
        return self._jobs.get(*args, **kwargs)

    def __getstate__(self) -> dict:
        return {"_jobs": self._jobs, "_tasks": []}  # processes started by spawn get the queue only


def _check_tasks(tasks: list) -> None:
    for task in tasks:
        if task.exitcode == 128 + signal.SIGINT:  # Ctrl-C reached it first
            raise KeyboardInterrupt
        if task.exitcode not in (None, 0):
            raise IndexWorkerError(
                f"an indexing process exited with status {task.exitcode} "
                f"(out of memory or killed?); nothing was committed"
            )


class _SubWriterTask(SubWriterTask):
    """A writer process of `_MpWriter`: Whoosh's, writing its segment with
    a `GroupedSegmentWriter`."""

    def start(self) -> None:
        self.parent = os.getpid()
        with forking():
            super().start()

    def run(self) -> None:
        _writer_start(self.parent)
        ix = self.storage.open_index(self.indexname)
        writer = self.writer = GroupedSegmentWriter(ix, _lk=False, **self.kwargs)
        while self.running:
            jobinfo = self.jobqueue.get()
            if jobinfo is None:
                break
            self._process_file(*jobinfo)
        if not self.running:
            writer.cancel()
            return
        fieldnames = writer.pool.fieldnames
        segments = _Segments(writer.finished_segments())
        self.resultqueue.put((None, fieldnames, segments), timeout=5)


class _Segments(list):
    """The segments of one writer process, in the place of the one segment
    Whoosh's `MpWriter._commit` expects from each: `_MpWriter._commit_toc`
    unpacks them."""


class _MpWriter(MpWriter):
    """Whoosh's multiprocessing writer (one segment per process), made to
    notice a writer process that died. Whoosh commits without that
    process's documents (it waits one second for each result, then goes
    on), so a build would lose posts without a word."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if not self.multisegment:
            raise ValueError("_MpWriter writes one segment per process (multisegment=True)")
        self.jobqueue = _LiveQueue(self.jobqueue, self.tasks)

    def _new_task(self) -> _SubWriterTask:
        task = _SubWriterTask(self.storage, self.indexname, self.jobqueue,
                              self.resultqueue, self.subargs, self.multisegment)
        self.tasks.append(task)
        task.start()
        return task

    def cancel(self) -> None:
        """Stop the writer processes and drop the documents still queued for
        them. Whoosh's `cancel` only flags its own copy of each task, so the
        processes would wait for jobs forever, and the queue's feeder thread
        would hold the interpreter's exit while a dead process's pipe is full
        (a Ctrl-C hung the build that way)."""
        try:
            self.jobqueue.abandon()
            for task in self.tasks:
                if task.is_alive():
                    task.terminate()
            for task in self.tasks:
                task.join(timeout=5)
        finally:
            SegmentWriter.cancel(self)

    def _commit_toc(self, segments) -> None:  # noqa: ANN001 (Whoosh's segments)
        _check_tasks(self.tasks)  # all joined by now: a None exit code is not expected
        if any(task.exitcode is None for task in self.tasks):
            raise IndexWorkerError("an indexing process did not finish; nothing was committed")
        flat = []
        for segment in segments:
            flat += segment if isinstance(segment, _Segments) else [segment]
        super()._commit_toc(flat)
