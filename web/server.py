"""Running the app under gunicorn, programmatically.

gunicorn rather than Flask's development server: a pre-fork server with one
process per core (searching is CPU-bound Python, so threads alone would share
one core under the GIL), worker restarts if one dies or hangs, graceful
shutdown, and request-line and header limits in front of the app.

`BlogsearchWorker` is gunicorn's threaded worker with three changes:

* **Slow clients never hold a thread while it waits for them.** gunicorn reads
  a request's head in a worker thread with a blocking socket, so eight
  connections that sent `GET / HTTP/1.1\\r\\n` and nothing more held all
  2 × 4 threads forever. Here the head is read only from bytes that have
  arrived: when it is incomplete, the bytes read so far are put back and the
  connection waits in the worker's poller (gunicorn's own "pending" queue,
  closed after the keep-alive timeout without data) until more arrive. The
  whole head must arrive within `client_timeout` seconds of its first byte,
  and the body within `client_timeout` seconds after the head; slower clients
  get 408 and are disconnected.
* **gunicorn's own error answers have the app's shape.** A head that gunicorn
  refuses (request line over 8190 bytes: 414, header fields too large: 431,
  malformed: 400, too slow: 408) is answered as JSON
  `{"error": {"code", "message"}}` under /api and the health checks, as the
  app does; a path outside `SCRIPT_NAME` is 404, not gunicorn's 500.
* A malformed chunked body (`zz` as a chunk size) or a body that arrives too
  slowly is a 400 or 408 answered by the app (`checked_input`), not a 500.

A buffering proxy (nginx, deploy/nginx.conf) in front is still the
production answer: it absorbs slow clients before they reach gunicorn.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import socket
import time
from http import HTTPStatus
from typing import Any, Callable, Iterable, Iterator, Mapping
from urllib.parse import urlsplit

from gunicorn import util
from gunicorn.app.base import BaseApplication
from gunicorn.http.errors import (ConfigurationProblem, ExpectationFailed, LimitRequestHeaders,
                                  LimitRequestLine, ParseException, UnsupportedTransferCoding)
from gunicorn.http.message import Request
from gunicorn.http.parser import RequestParser
from gunicorn.http.unreader import SocketUnreader
from gunicorn.http2 import negotiation
from gunicorn.workers.gthread import _DEFER, ThreadWorker
from werkzeug.exceptions import BadRequest, RequestTimeout

from web.app import create_app
from web.errors import JSON_PREFIXES

LIMIT_REQUEST_LINE = 8190  # gunicorn's maximum; the app itself refuses URLs over 4096 bytes
DEFAULT_CLIENT_TIMEOUT = 10.0  # web.settings CLIENT_TIMEOUT
WORKER_CLASS = "web.server.BlogsearchWorker"


def gunicorn_options(
    host: str, port: int, workers: int, threads: int = 1, access_log: bool = False
) -> dict[str, Any]:
    """gunicorn settings for `blogsearch serve`."""
    return {
        "bind": [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"],
        "workers": workers,
        # gunicorn's gthread worker (keep-alive; see BlogsearchWorker), also with one thread:
        # the sync worker would let a single slow client stop a whole process
        "worker_class": WORKER_CLASS,
        "threads": threads,
        "keepalive": 5,
        "timeout": 30,
        "graceful_timeout": 10,
        "limit_request_line": LIMIT_REQUEST_LINE,
        "preload_app": False,  # each worker opens its own index searcher
        "control_socket_disable": True,  # no shared ~/.gunicorn socket between servers
        "proc_name": "blogsearch",
        "accesslog": "-" if access_log else None,
        "errorlog": "-",
    }


def is_loopback(host: str) -> bool:
    """Whether `host` (as given to --host) only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# --- reading a request: the head from arrived bytes only, both within a deadline ----


class HeadPending(BaseException):
    """The head of a request is incomplete and no more of it has arrived.

    A BaseException so that gunicorn's handler of request errors (which
    answers `Exception`s with an error page) lets it through to
    `BlogsearchWorker.handle`, which parks the connection in the poller."""


class HeadTimeout(ParseException):
    """The client did not send a request's head within the client timeout."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __str__(self) -> str:
        return f"the request's head did not arrive within {self.seconds:g} s"


class DeadlineUnreader(SocketUnreader):  # type: ignore[misc]
    """gunicorn's socket reader with a deadline for the request being read.

    While a head is read, a read takes only what has already arrived
    (BlockingIOError otherwise); a body read waits until the deadline at
    most (TimeoutError), and after it takes only what has already arrived."""

    def __init__(self, sock: socket.socket, timeout: float) -> None:
        super().__init__(sock)
        self.timeout = timeout
        self.deadline: float | None = None
        self.reading_head = False
        self.resuming = False  # the next head continues one put back by HeadPending

    def chunk(self, size_hint: int | None = None) -> bytes:
        if self.deadline is None:
            return super().chunk(size_hint)
        wait = 0.0 if self.reading_head else max(0.0, self.deadline - time.monotonic())
        prior = self.sock.gettimeout()
        self.sock.settimeout(wait if prior is None else min(wait, prior))
        try:
            return super().chunk(size_hint)
        except (BlockingIOError, TimeoutError):
            if self.reading_head:
                raise BlockingIOError from None
            raise TimeoutError(f"the request's body did not arrive within {self.timeout:g} s") from None
        finally:
            self.sock.settimeout(prior)


class BoundedRequest(Request):  # type: ignore[misc]
    """gunicorn's request, read by a `DeadlineUnreader`: an incomplete head
    raises HeadPending (its bytes put back for the next attempt), a late one
    HeadTimeout; the body's deadline starts when the head is complete.
    Parse errors carry the start of the head (`request_head`), from which
    `BlogsearchWorker.handle_error` tells an API request from a page."""

    def __init__(self, cfg: Any, unreader: DeadlineUnreader, peer_addr: Any, req_number: int = 1) -> None:
        self.head = bytearray()
        if not unreader.resuming:
            unreader.deadline = time.monotonic() + unreader.timeout
        unreader.resuming = False
        unreader.reading_head = True
        try:
            super().__init__(cfg, unreader, peer_addr, req_number)
        except ParseException as e:
            e.request_head = bytes(self.head[:1024])
            raise
        finally:
            unreader.reading_head = False
        unreader.deadline = time.monotonic() + unreader.timeout  # for the body

    def read_into(self, unreader: DeadlineUnreader, buf: bytearray, stop: bool = False) -> None:
        size = len(buf)
        try:
            super().read_into(unreader, buf, stop)
        except BlockingIOError:
            assert unreader.deadline is not None
            if time.monotonic() >= unreader.deadline:
                raise HeadTimeout(unreader.timeout) from None
            unreader.unread(bytes(self.head))
            unreader.resuming = True
            raise HeadPending() from None
        self.head += buf[size:]

    def should_close(self) -> bool:
        # after a body that failed to be read, where the next request starts is unknown:
        # gunicorn closes the connection, and the answer says so
        return getattr(self.body, "failed", False) is True or bool(super().should_close())


class BoundedParser(RequestParser):  # type: ignore[misc]
    mesg_class = BoundedRequest

    def __init__(self, cfg: Any, source: socket.socket, source_addr: Any, timeout: float) -> None:
        super().__init__(cfg, source, source_addr)
        self.unreader = DeadlineUnreader(source, timeout)


# --- the worker -------------------------------------------------------------------------

# gunicorn's refusals of a request, in the app's terms: exception -> (status, code)
CLIENT_ERRORS: tuple[tuple[type[Exception], int, str], ...] = (
    (LimitRequestLine, 414, "uri_too_long"),
    (LimitRequestHeaders, 431, "request_header_fields_too_large"),
    (HeadTimeout, 408, "request_timeout"),
    (UnsupportedTransferCoding, 501, "not_implemented"),
    (ExpectationFailed, 417, "expectation_failed"),
    # gunicorn raises it for one thing: a path that does not start with SCRIPT_NAME
    (ConfigurationProblem, 404, "not_found"),
    (ParseException, 400, "bad_request"),
)


def request_target(head: bytes) -> str:
    """The path of a request line (`GET /api/search?q=… HTTP/1.1`), as far as it was read."""
    line = head.lstrip(b"\r\n").split(b"\r\n", 1)[0].split(b" ")
    if len(line) < 2:
        return ""
    target = line[1].decode("latin-1")
    try:
        return urlsplit(target).path if "://" in target else target.split("?", 1)[0]
    except ValueError:
        return ""


def wants_json(path: str, script_name: str) -> bool:
    """As web.errors.wants_json, for a raw path that may start with SCRIPT_NAME."""
    if script_name and (path == script_name or path.startswith(script_name + "/")):
        path = path[len(script_name):]
    return path.startswith(JSON_PREFIXES)


def json_error(status: int, code: str, message: str) -> bytes:
    body = json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False,
                      separators=(",", ":")).encode() + b"\n"
    head = (f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
            "Connection: close\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Cache-Control: no-store\r\n"
            "X-Content-Type-Options: nosniff\r\n\r\n")
    return head.encode("latin-1") + body


class BlogsearchWorker(ThreadWorker):  # type: ignore[misc]
    """gunicorn's gthread worker that reads heads without waiting in a thread
    and answers gunicorn's own errors in the app's shape (see the module doc)."""

    @property
    def client_timeout(self) -> float:
        return float(getattr(self.app, "client_timeout", DEFAULT_CLIENT_TIMEOUT))

    def handle(self, conn: Any) -> Any:
        # a new connection with nothing to read yet waits in the poller, not in a thread
        # (gunicorn waits up to 5 s in the thread)
        if not conn.initialized and not conn.data_ready and not conn.wait_for_data(0):
            return _DEFER if self.alive else False
        if conn.parser is None and not self.cfg.is_ssl \
                and not negotiation.prior_knowledge_allowed(self.cfg, conn.client):
            conn.parser = BoundedParser(self.cfg, conn.sock, conn.client, self.client_timeout)
        try:
            return super().handle(conn)
        except HeadPending:
            return _DEFER if self.alive else False

    def handle_error(self, req: Any, client: socket.socket, addr: Any, exc: BaseException) -> None:
        status, code = next(((s, c) for kind, s, c in CLIENT_ERRORS if isinstance(exc, kind)), (0, ""))
        if not status:  # the server's own failure: gunicorn logs it and answers 500
            return super().handle_error(req, client, addr, exc)
        path = req.path if req is not None and req.path else request_target(getattr(exc, "request_head", b""))
        message = str(exc)
        if isinstance(exc, ConfigurationProblem):
            message = f"{path[:200]!r} is outside this service's path {os.environ.get('SCRIPT_NAME', '')!r}"
        self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)
        try:
            if wants_json(path, os.environ.get("SCRIPT_NAME", "")):
                util.write_nonblock(client, json_error(status, code, message))
            else:
                util.write_error(client, status, HTTPStatus(status).phrase, message)
        except Exception:
            self.log.debug("Failed to send error message.")


# --- the application -----------------------------------------------------------------------


class CheckedInput:
    """`wsgi.input` whose reading errors are HTTP errors the app answers:
    a malformed chunked body is 400 (gunicorn's parse error would be a 500),
    a body that does not arrive in time is 408."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def _call(self, read: Callable[..., Any], *args: Any) -> Any:
        try:
            return read(*args)
        except ParseException as e:
            raise BadRequest(f"the request body is malformed: {e}") from None
        except TimeoutError as e:
            raise RequestTimeout(str(e)) from None

    def read(self, size: int | None = None) -> bytes:
        return self._call(self._stream.read, size)

    def readline(self, size: int | None = None) -> bytes:
        return self._call(self._stream.readline, size)

    def readlines(self, hint: int | None = None) -> list[bytes]:
        return self._call(self._stream.readlines, hint)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")


def checked_input(app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    """WSGI middleware giving the app a `CheckedInput`."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ["wsgi.input"] = CheckedInput(environ["wsgi.input"])
        return app(environ, start_response)

    return wrapped


class BlogsearchServer(BaseApplication):  # type: ignore[misc]
    """gunicorn running `create_app(app_config)` in every worker."""

    def __init__(self, app_config: Mapping[str, Any], options: Mapping[str, Any],
                 client_timeout: float = DEFAULT_CLIENT_TIMEOUT) -> None:
        self.app_config = dict(app_config)
        self.options = dict(options)
        self.client_timeout = client_timeout  # read by BlogsearchWorker
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if value is not None:
                self.cfg.set(key, value)

    def load(self) -> Any:
        # the web package's log lines (index generations, reopens) go to gunicorn's error log
        web_log = logging.getLogger("web")
        web_log.handlers = logging.getLogger("gunicorn.error").handlers
        web_log.setLevel(logging.INFO)
        web_log.propagate = False
        app = create_app(self.app_config)
        app.wsgi_app = checked_input(app.wsgi_app)  # type: ignore[method-assign]
        return app


def serve(app_config: Mapping[str, Any], options: Mapping[str, Any],
          client_timeout: float = DEFAULT_CLIENT_TIMEOUT) -> None:
    """Run until stopped (SIGINT/SIGTERM)."""
    BlogsearchServer(app_config, options, client_timeout).run()
