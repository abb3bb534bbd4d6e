"""The processes a build forks: they die with it and hold nothing of its.

A build forks post readers (a process pool) and Whoosh's sub-writers. When
the build is killed (`kill -9`, an out-of-memory kill), Linux would let them
run on as orphans for minutes, and through the file descriptors they
inherited they would keep the index's flock, so every later run found the
index locked by a dead pid. Each child therefore asks the kernel to kill it
when its parent dies (prctl PR_SET_PDEATHSIG), and closes the lock
descriptors it inherited (`forget_in_children`).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
from typing import Iterator

_PR_SET_PDEATHSIG = 1
# descriptors a forked child must close at once (the index lock)
_parent_only: set[int] = set()


def forget_in_children(fd: int) -> None:
    """Close `fd` in every process forked while it is registered."""
    _parent_only.add(fd)


def remember(fd: int) -> None:
    """Stop closing `fd` in forked children (it is about to be closed)."""
    _parent_only.discard(fd)


def _close_parent_only() -> None:
    for fd in list(_parent_only):
        with contextlib.suppress(OSError):
            os.close(fd)
    _parent_only.clear()


os.register_at_fork(after_in_child=_close_parent_only)


def die_with_parent(parent: int) -> None:
    """In a child: be killed when `parent` exits, however it exits. A parent
    that died before the request took effect leaves the child adopted by
    another process: then the child ends itself."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


@contextlib.contextmanager
def forking() -> Iterator[None]:
    """Hold Ctrl-C while children are forked from the main thread.

    A child forked as Ctrl-C arrives would get it before installing its own
    handler and die with a traceback; so would this process inside the
    fork hooks of other modules, where the exception is swallowed and the
    interrupt lost. Blocking the signal covers the children (they inherit
    the mask and unblock it in `take_interrupts`); this process's other
    threads may still take the signal, so its handler only notes it here,
    and the interrupt is raised again when the block ends."""
    noted: list[int] = []
    main = threading.current_thread() is threading.main_thread()
    old_handler = signal.signal(signal.SIGINT, lambda signum, frame: noted.append(signum)) \
        if main else None
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        if main:
            signal.signal(signal.SIGINT, old_handler)
            if noted:
                signal.raise_signal(signal.SIGINT)


def take_interrupts(handler: signal.Handlers | object) -> None:
    """In a child started under `forking`: handle Ctrl-C with `handler`
    (a function or `signal.SIG_IGN`) from now on."""
    signal.signal(signal.SIGINT, handler)  # type: ignore[arg-type]
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
