"""Giving a worker's freed memory back to the system.

A worker's threads allocate through glibc's malloc, which keeps one arena
per thread that needs one and returns to the system only the free memory at
the top of each heap. What a warm-up builds and drops (the sorts and lists
behind the completion tables, the previous generation's tables after a
switch) and what requests of many sizes leave freed in the middle of the
arenas stays in the worker's resident size. `malloc_trim(0)` hands every
arena's free pages back (`madvise`), which glibc does not do by itself.

`release()` is called after a searcher is warmed and after a switch, and a
daemon thread of each worker process calls it every `INTERVAL` seconds
(`start`): about 2 ms for a gigabyte of heap, outside the GIL (ctypes
releases it). Elsewhere than glibc (musl, macOS) there is nothing to call
and `release` returns False.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import threading
import time

__all__ = ["INTERVAL", "release", "start"]

INTERVAL = 30.0  # seconds between two trims in a worker
log = logging.getLogger(__name__)


def _malloc_trim() -> "ctypes._CFuncPtr | None":
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


_TRIM = _malloc_trim()
_started_in = 0  # the process whose trimming thread runs
_start_lock = threading.Lock()


def release() -> bool:
    """Return free heap pages to the system; False where there is no
    `malloc_trim`."""
    if _TRIM is None:
        return False
    _TRIM(0)
    return True


def start(interval: float = INTERVAL) -> bool:
    """Start this process's trimming thread unless it runs already (a fork's
    child starts its own: threads do not survive a fork). False where there
    is nothing to trim."""
    global _started_in
    if _TRIM is None:
        return False
    with _start_lock:
        if _started_in == os.getpid():
            return True
        _started_in = os.getpid()
    threading.Thread(target=_every, args=(interval,), name="blogsearch-malloc-trim", daemon=True).start()
    return True


def _every(interval: float) -> None:
    while True:  # a daemon thread: it ends with its process
        time.sleep(interval)
        try:
            release()
        except Exception:  # noqa: BLE001 (memory is then just not given back)
            log.debug("malloc_trim failed", exc_info=True)
