"""HTTP caching of answers: an ETag derived from the index version and the
request URL, `Cache-Control`, and `304 Not Modified` for a matching
`If-None-Match` (answered before any search runs).
"""

from __future__ import annotations

import functools
import hashlib
from typing import Any, Callable

from flask import current_app, g, make_response, request
from flask.typing import ResponseReturnValue

from web.data import shared_searcher

CACHE_CONTROL = "public, max-age=60"


def etag_for(version: str) -> str:
    """The ETag of the current request's answer on index `version`."""
    key = "\0".join((
        current_app.config["APP_VERSION"], version, request.path,
        request.environ.get("QUERY_STRING", ""),
    ))
    return hashlib.blake2b(key.encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()


def cacheable(view: Callable[..., ResponseReturnValue]) -> Callable[..., Any]:
    """Decorate a view whose answer depends only on the URL and the index."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        etag = etag_for(shared_searcher().state().version)
        if request.if_none_match.contains_weak(etag):
            response = current_app.response_class(status=304)
        else:
            response = make_response(view(*args, **kwargs))
            state = g.get("index_state")
            if state is not None:  # the version the answer was computed on
                etag = etag_for(state.version)
        response.set_etag(etag)
        response.headers["Cache-Control"] = CACHE_CONTROL
        return response

    return wrapper


def no_store(response: Any) -> Any:
    response = make_response(response)
    response.headers["Cache-Control"] = "no-store"
    return response
