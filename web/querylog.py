"""Recording readers' searches in the search log (`search.editorial.querylog`).

A search is logged once, when the reader settles on it: the search page
logs the searches its form submits (not page turns, sorting or filters),
the search box calls `POST /api/searched` after a pause, on Enter or on a
click (not each keystroke). `POST /api/opened` records which result was
opened. Neither ever fails a request. The editor's report
(`web.views.editor`) reads the same log.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app

from search.editorial.querylog import QueryLog, QueryLogError
from web.params import SearchParams

QUERY_LOG_EXTENSION = "blogsearch_querylog"


def register_query_log(app: Flask) -> None:
    app.extensions[QUERY_LOG_EXTENSION] = open_query_log(app)


def open_query_log(app: Flask) -> QueryLog:
    """The app's search log; switched off (with a warning) if its folder cannot be made."""
    try:
        return QueryLog(app.config["QUERY_LOG"])
    except QueryLogError as e:
        app.logger.warning("search log disabled: %s", e)
        return QueryLog(None)


def query_log() -> QueryLog:
    return current_app.extensions.get(QUERY_LOG_EXTENSION) or QueryLog(None)


def record_search(params: SearchParams, result: dict[str, Any] | None) -> None:
    """Append one search to the log: the query (cleaned by the library), the
    number of results and the filters — nothing about the reader. Never raises."""
    try:
        log = query_log()
        if not log.enabled or result is None or params.empty:
            return
        log.record(params.q, int(result.get("total", 0)), {
            "tags": list(params.tags), "category": params.category, "author": params.author,
            "date_from": params.date_from, "date_to": params.date_to,
            "sort": params.sort, "page": params.page,
        })
    except Exception:  # a full disk or a read-only folder must not fail a search
        current_app.logger.warning("could not record a search in the search log", exc_info=True)


def record_open(query: str, slug: str, rank: int | None) -> None:
    """Append that a result (`slug`, at `rank` in the results) of `query` was opened. Never raises."""
    try:
        log = query_log()
        if log.enabled and query:
            log.record_open(query, slug, rank)
    except Exception:
        current_app.logger.warning("could not record an opened result in the search log", exc_info=True)
