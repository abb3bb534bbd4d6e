"""Bounded concurrency for expensive requests, per worker process.

A 250 KB draft takes seconds of CPU (morphological analysis, related posts,
repeated passages); four clients posting drafts raised an ordinary search's
median from 7 ms to 3.3 s. Views decorated with `@expensive` (drafts, the
editor pages, duplicates) run at most `EDITOR_CONCURRENCY` at once per worker;
as many more wait up to `WAIT_SECONDS` for a turn, and any others — or a
waiter whose turn does not come — are refused at once with 503 `busy` and
`Retry-After`. So most of a worker's threads stay free for searches, and a
burst of drafts queues briefly instead of piling up.

The gate is taken before the view reads the request body, so slow uploads
count against it too. A refused request's body is read and dropped before the
503 is sent (within the server's client timeout): a client that sends its
whole draft before reading the answer would otherwise find the connection
reset instead of reading `busy`. `EDITOR_CONCURRENCY=0` turns the limit off.
"""

from __future__ import annotations

import functools
import threading
from typing import Any, Callable

from flask import current_app, request
from werkzeug.exceptions import HTTPException

from web.errors import ApiError

WAIT_SECONDS = 2.0
EXTENSION = "blogsearch_limits"
_setup_lock = threading.Lock()


class Busy(ApiError):
    def __init__(self) -> None:
        super().__init__(503, "busy", "the server is busy with other editor requests "
                         "(drafts, duplicates); try again in a few seconds")


class Gate:
    """At most `limit` requests inside at once; at most `limit` more wait for a
    turn, each up to `wait` seconds. `running` and `waiting` count them."""

    def __init__(self, limit: int, wait: float = WAIT_SECONDS) -> None:
        self.limit = limit
        self.wait = wait
        self.running = self.waiting = 0
        self._turns = threading.Condition()

    def acquire(self) -> None:
        """Take a turn, or raise Busy."""
        with self._turns:
            if self.running < self.limit and not self.waiting:
                self.running += 1
                return
            if self.waiting >= self.limit:
                raise Busy()
            self.waiting += 1
            try:
                if not self._turns.wait_for(lambda: self.running < self.limit, timeout=self.wait):
                    raise Busy()
                self.running += 1
            finally:
                self.waiting -= 1

    def release(self) -> None:
        with self._turns:
            self.running -= 1
            self._turns.notify()


def gate() -> Gate | None:
    """The app's gate (made on first use), or None when the limit is off."""
    extensions = current_app.extensions
    if EXTENSION not in extensions:
        with _setup_lock:
            if EXTENSION not in extensions:
                limit = int(current_app.config.get("EDITOR_CONCURRENCY", 1))
                extensions[EXTENSION] = Gate(limit) if limit > 0 else None
    return extensions[EXTENSION]


def expensive(view: Callable[..., Any]) -> Callable[..., Any]:
    """Run the view inside the app's gate (see the module doc)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        current = gate()
        if current is None:
            return view(*args, **kwargs)
        try:
            current.acquire()
        except Busy:
            discard_body()
            raise
        try:
            return view(*args, **kwargs)
        finally:
            current.release()

    return wrapper


def discard_body() -> None:
    """Read and drop the request's body (at most the endpoint's body limit)."""
    try:
        request.get_data(cache=False)
    except (HTTPException, OSError):  # too large, malformed or too slow: the connection closes
        pass
