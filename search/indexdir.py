"""The index folder on disk: one writer at a time, fresh builds beside it,
and an atomic swap into place.

A new index is built in a staging folder beside the target and swapped in
whole, so readers keep the old index until the new one is complete and a
crash at any moment leaves one or the other. Every run that writes an index
holds `IndexLock`, an flock(2) beside the folder.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import shutil
import tempfile
import time
from pathlib import Path

from search.children import forget_in_children, remember
from search.errors import SearchError
from search.schema import META_FILE, index_exists

# How long an indexer waits for another indexer of the same index.
DEFAULT_WAIT = 30.0


class IndexBusyError(SearchError):
    """Another blogsearch index run holds the index's lock."""


class IndexWritableError(SearchError):
    """A process that must only read the index could change it."""


def writable_paths(index_dir: str | os.PathLike[str]) -> list[Path]:
    """What of the index this process could change: the folder, its files,
    and the parent folder (where a rebuild's folder is swapped in).

    Whoever can write any of them can replace the table of contents, a
    pickle that Whoosh loads, and so run code in every process that opens
    the index. Judged with the effective user and group ids, as the kernel
    would; root can write everything on a writable file system.
    """
    target = Path(index_dir).absolute()
    candidates = [target.parent, target]
    if target.is_dir():
        candidates += sorted(p for p in target.iterdir())
    return [p for p in candidates if _can_write(p)]


def _can_write(path: Path) -> bool:
    if os.access in os.supports_effective_ids:
        return os.access(path, os.W_OK, effective_ids=True)
    return os.access(path, os.W_OK)


def require_read_only(index_dir: str | os.PathLike[str]) -> None:
    """Raise IndexWritableError naming what this process could write."""
    writable = writable_paths(index_dir)
    if not writable:
        return
    shown = ", ".join(str(p) for p in writable[:3]) + (f" and {len(writable) - 3} more" if len(writable) > 3 else "")
    who = "root" if os.geteuid() == 0 else f"uid {os.geteuid()}"
    raise IndexWritableError(
        f"the index must be read-only for the search service, but this process ({who}) can write "
        f"{shown}; run `blogsearch index` as another user that owns the index folder and its "
        f"parent, and serve as a user that can only read them (or mount them read-only)"
    )


def has_index(index_dir: str | os.PathLike[str]) -> bool:
    """Whether `index_dir` holds an index, readable or not."""
    path = Path(index_dir)
    if not path.is_dir():
        return False
    try:
        return index_exists(path)
    except Exception:  # noqa: BLE001 (a corrupt TOC: still an index, to be rebuilt)
        return _looks_like_index(path)


def _looks_like_index(path: Path) -> bool:
    return (path / META_FILE).exists() or any(path.glob("_MAIN_*.toc"))


class IndexLock:
    """An exclusive lock for the runs that write one index.

    It is an flock(2) on `.<name>.lock` beside the index folder (the folder
    itself is replaced by rebuilds). The kernel drops the lock when its
    process dies, however it dies, so a lock is never stale; the file is
    removed on release, and a waiter that locked a removed file tries again.
    """

    def __init__(self, index_dir: str | os.PathLike[str], wait: float = DEFAULT_WAIT) -> None:
        target = Path(index_dir).absolute()
        self.index_dir = target
        self.path = target.parent / f".{target.name}.lock"
        self.wait = wait
        self.fd: int | None = None

    def __enter__(self) -> "IndexLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + max(0.0, self.wait)
        while True:
            fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                if time.monotonic() >= deadline:
                    raise IndexBusyError(
                        f"another blogsearch index is running on {self.index_dir}"
                        f"{self._holder()}; waited {self.wait:g} s (see --wait)"
                    ) from None
                time.sleep(0.05)
                continue
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)  # locked a file its holder has just removed
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self.fd = fd
        forget_in_children(fd)  # a build's forked children must not hold the lock
        return self

    def _holder(self) -> str:
        try:
            pid = self.path.read_text().strip()
        except OSError:
            return ""
        return f" (pid {pid})" if pid else ""

    def __exit__(self, *exc: object) -> None:
        if self.fd is None:
            return
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        remember(self.fd)
        os.close(self.fd)  # closing drops the flock
        self.fd = None


def recover_swap(index_dir: str | os.PathLike[str]) -> None:
    """Clean up after a run killed during a fresh build or a swap.

    Call only while holding the IndexLock. A run killed between the two
    renames of a non-atomic swap leaves no index at the target and the old
    one in `.<name>.old-*/index`: it is put back. Staging folders of killed
    builds are removed.
    """
    target = Path(index_dir).absolute()
    if not target.parent.is_dir():
        return
    for old in sorted(target.parent.glob(f".{target.name}.old-*")):
        if not target.exists() and (old / "index").is_dir():
            os.rename(old / "index", target)
        shutil.rmtree(old, ignore_errors=True)
    for building in target.parent.glob(f".{target.name}.building-*"):
        shutil.rmtree(building, ignore_errors=True)


def sync_tree(path: Path) -> None:
    """fsync a freshly built index folder before it is swapped in."""
    for child in path.iterdir():
        if child.is_file():
            fd = os.open(child, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    _fsync_dir(path)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def staging_dir(index_dir: str | os.PathLike[str]) -> Path:
    """A fresh folder beside `index_dir` to build a new index in."""
    path = Path(index_dir).absolute()
    path.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{path.name}.building-", dir=path.parent))


def check_replaceable(index_dir: str | os.PathLike[str]) -> None:
    """Refuse to replace a folder that holds something other than an index."""
    path = Path(index_dir)
    if path.exists() and not has_index(path) and any(path.iterdir()):
        raise SearchError(f"refusing to build an index in {path}: it holds other files")


_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with renameat2(RENAME_EXCHANGE), if available."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    AT_FDCWD = -100
    rc = renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False  # kernel or file system without exchange: two renames
    raise OSError(err, os.strerror(err), str(b))


def swap_in(new: Path, target: str | os.PathLike[str]) -> None:
    """Put the index in `new` at `target`, replacing any index there.

    On Linux the two folders are exchanged in one atomic rename; elsewhere
    two renames leave a short window without an index at `target`, which
    `recover_swap` repairs if the run dies inside it.
    """
    target = Path(target).absolute()
    new = Path(new).absolute()
    if not target.exists():
        os.rename(new, target)
        _fsync_dir(target.parent)
        return
    if _exchange(new, target):
        _fsync_dir(target.parent)
        shutil.rmtree(new, ignore_errors=True)  # now holds the old index
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    os.rename(target, old / "index")
    os.rename(new, target)
    _fsync_dir(target.parent)
    shutil.rmtree(old, ignore_errors=True)
