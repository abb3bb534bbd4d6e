"""The data behind each view, computed once and rendered as JSON or HTML.

Every function reads through the process's `SharedSearcher` (cached per
index version) and records the index state it answered from on `g`, where
`web.http_cache` finds it for the ETag.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g

from web.params import SearchParams
from web.searching import SharedSearcher


def shared_searcher() -> SharedSearcher:
    return current_app.extensions["blogsearch"]


def search_data(params: SearchParams) -> dict[str, Any]:
    """`Searcher.search(...).to_dict()` for checked parameters."""
    kwargs = params.library_kwargs(current_app.config["TIMEZONE"])
    state, data = shared_searcher().cached(
        ("search", params.cache_key()),
        lambda searcher: searcher.search(params.q, **kwargs).to_dict(),
    )
    g.index_state = state
    return data


def tags_data() -> dict[str, Any]:
    """Every tag and category with its number of posts."""
    state, data = shared_searcher().cached(("tags",), lambda searcher: searcher.tags())
    g.index_state = state
    return data


def post_data(slug: str) -> dict[str, Any] | None:
    """One post's metadata, or None."""
    state, data = shared_searcher().cached(("post", slug), lambda searcher: searcher.post(slug))
    g.index_state = state
    return data
