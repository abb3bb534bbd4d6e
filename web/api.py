"""The JSON API under /api (described in `web.openapi`)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from web.data import post_data, search_data, tags_data
from web.errors import ApiError
from web.http_cache import cacheable
from web.openapi import openapi_spec
from web.params import parse_search_params

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/search")
@cacheable
def search() -> ResponseReturnValue:
    return jsonify(search_data(parse_search_params(request.args)))


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
