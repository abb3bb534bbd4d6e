"""The web face of blogsearch: JSON API, search pages, health checks.

`create_app(config)` (web.app) builds the Flask application; `blogsearch
serve` (web.cli, web.server) runs it under gunicorn. Importing `web` loads
no Flask: the command line's other commands do not need it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from web.app import create_app

        return create_app
    raise AttributeError(f"module 'web' has no attribute {name!r}")
