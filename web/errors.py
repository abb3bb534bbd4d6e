"""The one place where errors become responses: JSON `{"error": {"code",
"message"}}` under /api (and the health checks), an HTML page elsewhere.

Views and guards raise; nothing else builds an error response. HTTP status
codes for the library's exceptions are decided here.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from search.errors import Invalid, NotFound, SearchError, TooLarge, Unavailable

JSON_PREFIXES = ("/api/", "/healthz", "/readyz")

# Friendlier codes than Werkzeug's names for a few statuses.
HTTP_CODES = {413: "payload_too_large", 414: "uri_too_long"}

# Japanese headlines and hints for the HTML error page.
TITLES_JA = {
    400: "リクエストを処理できませんでした",
    404: "ページが見つかりません",
    405: "この方法ではアクセスできません",
    413: "リクエストが大きすぎます",
    414: "URLが長すぎます",
    503: "検索は一時的に利用できません",
}
HINTS_JA = {
    "query_too_long": "検索語を短くしてもう一度お試しください。",
    "uri_too_long": "検索語や条件を減らしてもう一度お試しください。",
    "page_out_of_range": "検索語や条件を追加して結果を絞り込んでください。",
    "invalid_encoding": "URLの文字コードが正しくありません。検索欄から検索し直してください。",
    "invalid_character": "検索語に使えない文字が含まれています。",
    "index_unavailable": "しばらくしてからもう一度お試しください。",
    "busy": "ただいま混み合っています。数秒後にもう一度お試しください。",
    "not_found": "URLが正しいか確認するか、検索欄から探してください。",
}


class ApiError(Exception):
    """An error to show the client: HTTP status, a stable code, a message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


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
        page = render_template(
            "error.html", status=status, code=code, message=message,
            title=TITLES_JA.get(status, "エラーが発生しました"), hint=HINTS_JA.get(code, ""),
        )
        response = current_app.response_class(page, mimetype="text/html")
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    if status == 503:
        response.headers["Retry-After"] = "5"
    return response


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(Exception, handle_exception)

