"""Running the app under gunicorn, programmatically.

gunicorn rather than Flask's development server: a pre-fork server with one
process per core (searching is CPU-bound Python, so threads alone would share
one core under the GIL), worker restarts if one dies or hangs, graceful
shutdown, and request-line and header limits in front of the app.
"""

from __future__ import annotations

import logging
from typing import Any, Mapping

from gunicorn.app.base import BaseApplication

from web import create_app

LIMIT_REQUEST_LINE = 8190  # gunicorn's maximum; the app itself refuses URLs over 4096 bytes


def gunicorn_options(
    host: str, port: int, workers: int, threads: int = 1, access_log: bool = False
) -> dict[str, Any]:
    """gunicorn settings for `blogsearch serve`."""
    return {
        "bind": [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"],
        "workers": workers,
        # gthread keeps connections alive; sync closes each after one request
        "worker_class": "gthread" if threads > 1 else "sync",
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


class BlogsearchServer(BaseApplication):  # type: ignore[misc]
    """gunicorn running `create_app(app_config)` in every worker."""

    def __init__(self, app_config: Mapping[str, Any], options: Mapping[str, Any]) -> None:
        self.app_config = dict(app_config)
        self.options = dict(options)
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
        return create_app(self.app_config)


def serve(app_config: Mapping[str, Any], options: Mapping[str, Any]) -> None:
    """Run until stopped (SIGINT/SIGTERM)."""
    BlogsearchServer(app_config, options).run()
