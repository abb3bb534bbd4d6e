"""Cross-origin access to the JSON API, for the search widget on a blog's pages.

One after-request hook for `/api/` answers: an `Origin` header that is
exactly one of the configured origins (`CORS_ORIGINS`) gets
`Access-Control-Allow-Origin: <that origin>`; every API answer carries
`Vary: Origin`, so a shared cache never hands one origin's answer to another;
credentials are never allowed (the API sets no cookies). A preflight
(`OPTIONS` with `Access-Control-Request-Method`) from an allowed origin is
answered 204 with the allowed methods (GET, HEAD); from any other origin it
gets no CORS headers, so the browser refuses the request.

Matching is exact and case-sensitive on what the browser sends: browsers
serialise an origin as lower-case scheme and host with no default port, and
configured origins are brought to that form once, when the setting is read
(`web.settings.parse_origin`: a bad origin stops `blogsearch serve` before it
starts), so `https://Blog.example.com:443/` in the settings matches the
browser's `https://blog.example.com`. Look-alikes, other schemes and ports, and the
opaque origin `null` never match.

flask-cors (6.0) was considered: it matches origins case-insensitively,
treats configured origins containing `[`, `]`, `?`... (IPv6 hosts) as regular
expressions, sends `Vary: Origin` only in some cases, and answers preflights
200, so it would need as much code around it as this module has.
"""

from __future__ import annotations

from typing import Iterable

from flask import Flask, Response, current_app, request

from web.settings import SettingsError, parse_origin

API_PREFIX = "/api/"
ALLOWED_METHODS = "GET, HEAD"
PREFLIGHT_MAX_AGE = 600  # seconds a browser may reuse a preflight answer
EXTENSION = "blogsearch.cors_origins"


def parse_origins(values: Iterable[str]) -> frozenset[str]:
    """The configured origins, normalised; SettingsError names the setting."""
    try:
        return frozenset(parse_origin(v) for v in values)
    except ValueError as e:
        raise SettingsError(f"CORS_ORIGINS: {e}") from None


def allowed_origin(origin: str | None, allowed: frozenset[str]) -> str | None:
    """`origin` if it is exactly one of `allowed`, else None."""
    return origin if origin is not None and origin in allowed else None


def add_cors_headers(response: Response) -> Response:
    """After every request: CORS headers on API answers (errors included)."""
    if not request.path.startswith(API_PREFIX):
        return response
    response.vary.add("Origin")
    origin = allowed_origin(request.headers.get("Origin"), current_app.extensions[EXTENSION])
    if origin is None:
        return response
    response.headers["Access-Control-Allow-Origin"] = origin
    preflight = request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers
    if preflight and response.status_code == 200:  # Flask's answer to OPTIONS on a route
        response.status_code = 204
        response.set_data(b"")
        response.headers.pop("Content-Type", None)
        response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    return response


def register_cors(app: Flask) -> None:
    app.extensions[EXTENSION] = parse_origins(app.config["CORS_ORIGINS"])
    app.after_request(add_cors_headers)
