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
import stat
import tempfile
import time
from pathlib import Path

from search.index.children import forget_in_children, remember
from search.errors import Invalid, Unavailable
from search.index.schema import META_FILE, index_exists, named_paths, process_user

# How long an indexer waits for another indexer of the same index.
DEFAULT_WAIT = 30.0


class IndexBusyError(Unavailable):
    """Another blogsearch index run holds the index's lock."""


class IndexWritableError(Unavailable):
    """A process that must only read the index could change it."""


def writable_paths(index_dir: str | os.PathLike[str]) -> list[Path]:
    """What of the index this process could change: the index folder, every
    folder on the way to it whose entry it could replace (nearest first),
    and the files in the index folder.

    Whoever can write any of them can replace the table of contents, a
    pickle that Whoosh loads, and so run code in every process that opens
    the index. The way is the one the kernel walks to open the index: every
    folder from `/` down, through the folders holding symlinks and along
    their targets, to the real index folder. A folder lets its writer
    rename or replace the entry below it, unless it is sticky (like /tmp)
    and neither it nor that entry belongs to this process's user. A folder
    or file this user owns counts as writable (it could chmod it) unless it
    sits on a read-only mount. Judged with the effective user and group ids,
    as the kernel would; root can write everything on a writable file system.
    What this process cannot even see (a folder it cannot list) is skipped:
    reading it fails later with IndexUnreadableError.
    """
    given = Path(os.path.abspath(index_dir))
    real, lookups = _lookups(given)
    real_stat = _lstat(real)
    if real_stat is not None:  # and, to be sure, every folder above the real path
        lookups += [(p.parent, p.name) for p in (*reversed(real.parents[:-1]), real)]
    folder_found = real_stat is not None and stat.S_ISDIR(real_stat.st_mode)
    found = [real] if folder_found and _could_write(real) else []
    for folder, name in reversed(lookups):
        if folder not in found and _could_replace(folder, name):
            found.append(folder)
    if folder_found:
        try:
            files = sorted(real.iterdir())
        except OSError:
            files = []  # cannot list it: reading it fails later with IndexUnreadableError
        found += [p for p in files if not p.is_symlink() and _could_write(p)]
    return found


def _lookups(path: Path) -> tuple[Path, list[tuple[Path, str]]]:
    """The real path of absolute `path`, and (folder, name) for every entry
    the kernel looks up to reach it, symlinks followed as the kernel would."""
    todo = list(path.parts[1:])
    current = Path(path.anchor)
    lookups: list[tuple[Path, str]] = []
    links = 0
    while todo:
        name = todo.pop(0)
        if name in ("", "."):
            continue
        if name == "..":
            current = current.parent
            continue
        lookups.append((current, name))
        entry = current / name
        st = _lstat(entry)
        if st is None:  # missing (or hidden from us): whoever can write `current` can create it
            return Path(current, name, *todo), lookups
        if stat.S_ISLNK(st.st_mode) and links < 40:
            links += 1
            target = Path(os.readlink(entry))
            if target.is_absolute():
                current = Path(target.anchor)
            todo[:0] = list(target.parts[1:] if target.is_absolute() else target.parts)
        else:
            current = entry
    return current, lookups


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except OSError:
        return None


def _could_replace(folder: Path, name: str) -> bool:
    """Whether this process could rename, remove or create `name` in `folder`."""
    try:
        st = os.stat(folder)
    except OSError:
        return False
    if not _could_write(folder, st):
        return False
    if not st.st_mode & stat.S_ISVTX:
        return True
    entry = _lstat(folder / name)  # sticky: only its owner, the folder's owner (or root) may replace it
    return entry is None or os.geteuid() in (0, st.st_uid, entry.st_uid)


def _could_write(path: Path, st: os.stat_result | None = None) -> bool:
    """Whether this process can write `path`, or could make it writable
    (it owns it, on a mount that is not read-only)."""
    if os.access in os.supports_effective_ids:
        if os.access(path, os.W_OK, effective_ids=True):
            return True
    elif os.access(path, os.W_OK):
        return True
    try:
        st = st or os.stat(path)
        return st.st_uid == os.geteuid() and not os.statvfs(path).f_flag & os.ST_RDONLY
    except OSError:
        return False


def require_read_only(index_dir: str | os.PathLike[str]) -> None:
    """Raise IndexWritableError naming what this process could write."""
    writable = writable_paths(index_dir)
    if not writable:
        return
    raise IndexWritableError(
        f"the index must be read-only for the search service, but this process ({process_user()}) can write "
        f"or replace {named_paths(writable)}; run `blogsearch index` as another user that owns the index folder and "
        f"its parent, and serve as a user that can only read them and every folder above them "
        f"(or mount them read-only)"
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
    return _fresh_dir(path.parent, f".{path.name}.building-")


def _fresh_dir(parent: Path, prefix: str) -> Path:
    """`tempfile.mkdtemp`, but with the mode `mkdir` gives (0o777 & ~umask),
    not 0o700: the staging folder becomes the index folder, which the
    search service, another user, must be able to read."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    path.chmod(0o777 & ~current_umask())
    return path


def current_umask() -> int:
    """This process's umask, read without changing it where Linux allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere: set and restore (not thread-safe, but only the indexer calls it)
    os.umask(mask)
    return mask


def settle_modes(path: Path) -> None:
    """Give a freshly built index's files the mode `open(2)` gives them
    (0o666 & ~umask): Whoosh creates its lock file, and files it opens
    exclusively, with 0o777 & ~umask."""
    mode = 0o666 & ~current_umask()
    for child in path.iterdir():
        if not child.is_symlink() and child.is_file() and stat.S_IMODE(child.stat().st_mode) != mode:
            child.chmod(mode)


def check_replaceable(index_dir: str | os.PathLike[str]) -> None:
    """Refuse to replace a folder that holds something other than an index."""
    path = Path(index_dir)
    if path.exists() and not has_index(path) and any(path.iterdir()):
        raise Invalid(f"refusing to build an index in {path}: it holds other files")


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
    old = _fresh_dir(target.parent, f".{target.name}.old-")
    os.rename(target, old / "index")
    os.rename(new, target)
    _fsync_dir(target.parent)
    shutil.rmtree(old, ignore_errors=True)
