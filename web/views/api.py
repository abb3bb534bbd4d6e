"""The JSON API under /api (described in `web.openapi`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from search.query.suggest import DEFAULT_SUGGESTIONS, MAX_SUGGESTIONS
from web.data import post_data, search_data, shared_searcher, tags_data
from web.querylog import record_search
from web.errors import ApiError
from web.http_cache import cacheable
from web.openapi import openapi_spec
from web.params import MAX_QUERY_CHARS, int_param, parse_search_params

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/search")
@cacheable
def search() -> ResponseReturnValue:
    params = parse_search_params(request.args)
    result = search_data(params)
    record_search(params, result)  # never fails the search
    return jsonify(result)


@bp.get("/suggest")
@cacheable
def suggest() -> ResponseReturnValue:
    q, limit = parse_suggest_params(request.args)
    return jsonify(suggest_data(q, limit))


def parse_suggest_params(args: MultiDict[str, str]) -> tuple[str, int]:
    """The checked `q` and `limit` of a suggest request; raises ApiError (400)."""
    q = " ".join(args.get("q", "").split())
    if len(q) > MAX_QUERY_CHARS:
        raise ApiError(400, "query_too_long",
                       f"the query is {len(q)} characters long; at most {MAX_QUERY_CHARS} are allowed")
    return q, int_param(args, "limit", DEFAULT_SUGGESTIONS, high=MAX_SUGGESTIONS)


def suggest_data(q: str, limit: int) -> dict[str, Any]:
    """`Searcher.suggest(...).to_dict()`; not kept in the result cache (each
    keystroke would push out search results), cheap enough to recompute."""
    state, data = shared_searcher().run(lambda searcher: searcher.suggest(q, limit).to_dict())
    g.index_state = state
    return data


@bp.get("/tags")
@cacheable
def tags() -> ResponseReturnValue:
    return jsonify(tags_data())


@bp.get("/posts/<slug>")
@cacheable
def post(slug: str) -> ResponseReturnValue:
    data = post_data(slug)
    if data is None:
        raise ApiError(404, "post_not_found", f"no post with slug {slug!r} is indexed")
    return jsonify(data)


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    response = jsonify(openapi_spec())
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
