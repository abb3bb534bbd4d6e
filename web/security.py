"""Security headers on every response, set in one after_request hook.

HTML pages get a strict Content-Security-Policy (no 'unsafe-inline': the
templates use only /static/style.css and no scripts) and may not be framed;
every response gets `X-Content-Type-Options: nosniff` and a Referrer-Policy.
JSON and other non-HTML answers get a CSP that allows nothing, which is
harmless for data and scripts loaded by another page. The embeddable widget
(/widget.js, /widget.css) keeps its own `Cross-Origin-Resource-Policy:
cross-origin`; nothing here sets that header.
"""

from __future__ import annotations

from flask import Flask, Response

HTML_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"
)
NON_HTML_CSP = "default-src 'none'; frame-ancestors 'none'"

COMMON = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def security_headers(response: Response) -> Response:
    for name, value in COMMON.items():
        response.headers.setdefault(name, value)
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", HTML_CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
    else:
        response.headers.setdefault("Content-Security-Policy", NON_HTML_CSP)
    return response


def register_security(app: Flask) -> None:
    app.after_request(security_headers)
