"""The one place where errors become responses: JSON `{"error": {"code",
"message"}}` under /api (and the health checks), an HTML page elsewhere.

Views and guards raise; nothing else builds an error response. HTTP status
codes for the library's exceptions are decided here.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from search.errors import Invalid, NotFound, SearchError, TooLarge, Unavailable

JSON_PREFIXES = ("/api/", "/healthz", "/readyz")

# Friendlier codes than Werkzeug's names for a few statuses.
HTTP_CODES = {413: "payload_too_large", 414: "uri_too_long"}

class ApiError(Exception):
    """An error to show the client: HTTP status, a stable code, a message."""

    def __init__(self, status: int, code: str, message: str, text: str | None = None,
                 **values: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message  # English, for the JSON API
        self.text = text or code  # key of the page's text in web.strings (`error.<text>`)
        self.values = values  # filled into that text


def describe(exc: BaseException) -> tuple[int, str, str]:
    """(status, code, message) for any exception."""
    if isinstance(exc, ApiError):
        return exc.status, exc.code, exc.message
    if isinstance(exc, SearchError):
        # the library's category decides the status, the class its code
        return _status(exc), exc.code, str(exc)
    if isinstance(exc, HTTPException) and exc.code:
        code = HTTP_CODES.get(exc.code) or (exc.name or "error").lower().replace(" ", "_")
        return exc.code, code, exc.description or exc.name
    return 500, "internal_error", "the server failed to answer this request"


# HTTP status of each category of search.errors; a SearchError outside them is 503.
CATEGORY_STATUS: tuple[tuple[type[SearchError], int], ...] = (
    (NotFound, 404),
    (TooLarge, 413),
    (Invalid, 400),
    (Unavailable, 503),
)


def _status(exc: SearchError) -> int:
    for category, status in CATEGORY_STATUS:
        if isinstance(exc, category):
            return status
    return 503


def wants_json() -> bool:
    return request.path.startswith(JSON_PREFIXES)


def handle_exception(exc: Exception) -> Response:
    status, code, message = describe(exc)
    if status >= 500 and status != 503:
        current_app.logger.exception("unhandled error on %s", request.path, exc_info=exc)
    if wants_json():
        response = jsonify(error={"code": code, "message": message})
    else:
        title, text = page_texts(exc, status, code)
        page = render_template("error.html", status=status, code=code, title=title, message=text)
        response = current_app.response_class(page, mimetype="text/html")
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    if status == 503:
        response.headers["Retry-After"] = "5"
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="blogsearch editors", charset="UTF-8"'
    return response


def page_texts(exc: BaseException, status: int, code: str) -> tuple[str, str]:
    """The error page's headline and message in the site's language (web.strings):
    the library's and the API's messages are English and are never shown on a page."""
    strings = current_app.extensions["blogsearch_strings"]
    title = strings.get(f"error.title.{status}") or strings["error.title"]
    key = f"error.{getattr(exc, 'text', code)}"
    if key not in strings:
        key = f"error.{code}"
    text = strings.fill(key, **getattr(exc, "values", {})) if key in strings else None
    if text is None:  # e.g. the library's "post_not_found", without the slug to name
        text = strings.fill(f"error.{code}") or ""
    return title, text


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(Exception, handle_exception)

