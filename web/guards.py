"""Checks every request passes before routing: URL length, body size, and a
query string that is valid percent-encoded UTF-8 without control characters;
JSON bodies that cannot be read as a 400 `invalid_json`; and the headers
every response carries, with redirects that stay on the site.

Werkzeug would silently replace undecodable bytes with U+FFFD; refusing
them instead tells a client its URL is broken.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit, urlunsplit

from flask import Flask, Request, Response, current_app, request
from werkzeug.utils import redirect

from web.errors import ApiError

MAX_URL_BYTES = 4096  # path + query string; gunicorn's own limit is 8190
MAX_CONTENT_LENGTH = 4096  # no endpoint reads a body

_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _wsgi_bytes(name: str) -> bytes:
    # PEP 3333: environ strings carry the raw bytes as latin-1
    return request.environ.get(name, "").encode("latin-1", "replace")


def check_request() -> None:
    path, query_string = _wsgi_bytes("PATH_INFO"), _wsgi_bytes("QUERY_STRING")
    if len(path) + len(query_string) + 1 > MAX_URL_BYTES:
        raise ApiError(414, "uri_too_long", f"the URL may be at most {MAX_URL_BYTES} bytes long")
    limit = current_app.config["BODY_LIMITS"].get(request.endpoint, current_app.config["MAX_CONTENT_LENGTH"])
    request.max_content_length = limit  # also bounds bodies sent without Content-Length
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, "payload_too_large", f"request bodies may be at most {limit} bytes")
    raw = query_string.decode("latin-1")
    if _BAD_PERCENT.search(raw):
        raise ApiError(400, "invalid_encoding", "the query string has an invalid percent-escape")
    try:
        text = path.decode("utf-8") + unquote_to_bytes(raw.replace("+", " ")).decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_encoding", "the URL is not valid UTF-8") from None
    if _CONTROL.search(text):
        raise ApiError(400, "invalid_character", "the URL contains control characters")


class BlogsearchRequest(Request):
    """Flask's request, where a JSON body that cannot be read is a 400
    `invalid_json` naming the reason. JSON nested deeper than the parser's
    recursion limit (about 1,000 levels) is invalid like any other:
    Werkzeug's `get_json` catches only ValueError, so its RecursionError
    escaped even `get_json(silent=True)` as a 500."""

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        try:
            return super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError:
            if silent:
                return None
            return self.on_json_loading_failed(ValueError("it is nested too deeply"))

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if e is None:
            raise ApiError(415, "unsupported_media_type", "send the body as application/json")
        reason = " ".join(str(e).split())
        raise ApiError(400, "invalid_json", f"the request body is not valid JSON: {reason}")


def relative_redirects(response: Response) -> Response:
    """Redirects the app answers (Werkzeug's slash merging: `/api//tags` →
    `/api/tags`) point to a path on this site, never to a host: Werkzeug
    builds an absolute URL from the client's `Host` header, so
    `Host: evil.test` got `Location: http://evil.test/api/tags`, which a
    shared cache may keep and hand to everyone."""
    location = response.headers.get("Location")
    if location is None:
        return response
    parts = urlsplit(location)
    if not (parts.scheme or parts.netloc or location.startswith(("//", "/\\", "\\"))):
        return response  # a path already (browsers read a backslash as a slash)
    path = "/" + urlunsplit(("", "", parts.path, parts.query, parts.fragment)).lstrip("/\\")
    response.headers["Location"] = path
    if 300 <= response.status_code < 400 and response.mimetype == "text/html":
        response.set_data(redirect(path, response.status_code).get_data())  # its link too
    return response


def common_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    return response


def register_guards(app: Flask) -> None:
    app.request_class = BlogsearchRequest
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = MAX_CONTENT_LENGTH
    app.config.setdefault("BODY_LIMITS", {})  # endpoint -> bytes, for routes that read bodies
    app.before_request(check_request)
    app.after_request(common_headers)
    app.after_request(relative_redirects)
