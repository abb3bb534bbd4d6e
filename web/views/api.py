"""The JSON API under /api (described in `web.openapi`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from search.query.suggest import DEFAULT_SUGGESTIONS, MAX_SUGGESTIONS
from web.data import post_data, search_data, shared_searcher, tags_data
from web.querylog import record_open, record_search
from web.errors import ApiError
from web.http_cache import cacheable
from web.openapi import openapi_spec
from web.params import MAX_QUERY_CHARS, int_param, parse_search_params

bp = Blueprint("api", __name__, url_prefix="/api")
MAX_SLUG_CHARS = 200
MAX_RANK = 1000  # the result window


@bp.get("/search")
@cacheable
def search() -> ResponseReturnValue:
    params = parse_search_params(request.args)
    return jsonify(search_data(params))  # not logged: the search box sends each keystroke


@bp.post("/searched")
def searched() -> ResponseReturnValue:
    """The search box's reader settled on a search (a pause, Enter or a click): log it once.
    Parameters as for /api/search, in the query string; the result count is the server's own."""
    params = parse_search_params(request.args)
    if not params.empty:
        record_search(params, search_data(params))  # from the result cache: the box just asked
    return "", 204


@bp.post("/opened")
def opened() -> ResponseReturnValue:
    """A reader opened result `slug` (at `rank`) of search `q`: logged for the click-through rate.
    Nothing about the reader is recorded; a slug that is not indexed is ignored."""
    params = parse_search_params({"q": request.args.get("q", "")})
    slug = " ".join(request.args.get("slug", "").split())
    if len(slug) > MAX_SLUG_CHARS:
        raise ApiError(400, "value_too_long", f"slug may be at most {MAX_SLUG_CHARS} characters")
    rank = int_param(request.args, "rank", 0, high=MAX_RANK)
    if params.q and slug and post_data(slug) is not None:
        record_open(params.q, slug, rank or None)
    return "", 204


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
        raise ApiError(404, "post_not_found", f"no post with slug {slug!r} is indexed", slug=slug)
    return jsonify(data)


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    response = jsonify(openapi_spec())
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
