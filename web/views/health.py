"""Health checks for process supervisors and load balancers."""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

from search.index.schema import check_readable
from web.data import shared_searcher
from web.errors import ApiError
from web.http_cache import no_store

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """The process is alive (says nothing about the index)."""
    return no_store({"status": "ok"})


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    """The index opens and has posts: this worker can answer searches."""
    searcher = shared_searcher()
    check_readable(searcher.index_dir)  # 503: what a new worker could not open, this one may still have open
    state = searcher.state()  # 503 via the error handler if it cannot open
    if state.posts == 0:
        raise ApiError(503, "index_empty", "the index has no posts yet")
    return no_store({"status": "ready", "generation": state.generation, "posts": state.posts})
