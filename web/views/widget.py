"""The embeddable search box: `/widget.js` and `/widget.css`, public static
files any site may load (see web/static/widget.js).

widget.css is put into widget.js as a string when first served, so the box
needs one request and styles its Shadow DOM with a constructed stylesheet,
which a host page's Content-Security-Policy does not block. Both files are
served with `Cross-Origin-Resource-Policy: cross-origin` and
`Access-Control-Allow-Origin: *` (public, no credentials: also loadable with
`crossorigin` or Subresource Integrity), gzip-compressed when the client
accepts it (gunicorn does not compress), with an ETag.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Response, current_app, request
from flask.typing import ResponseReturnValue

bp = Blueprint("widget", __name__)

STATIC = Path(__file__).resolve().parents[1] / "static"
CSS_MARKER = '/*@css*/""'
STRINGS_MARKER = "/*@strings*/{}"
CACHE_CONTROL = "public, max-age=3600"


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes
    mimetype: str
    etag: str


def _asset(body: bytes, mimetype: str) -> Asset:
    return Asset(body, gzip.compress(body, 9, mtime=0), mimetype,
                 hashlib.blake2b(body, digest_size=12).hexdigest())


def widget_js_source(strings_json: str = "{}") -> str:
    """widget.js with widget.css and the catalogue's strings (web.strings) in it
    (JSON is JavaScript; `<` escaped so no text can close a script element)."""
    js = (STATIC / "widget.js").read_text(encoding="utf-8")
    for marker in (CSS_MARKER, STRINGS_MARKER):
        if js.count(marker) != 1:
            raise RuntimeError(f"widget.js must contain {marker} exactly once")
    css = (STATIC / "widget.css").read_text(encoding="utf-8")
    return js.replace(CSS_MARKER, json.dumps(css)).replace(STRINGS_MARKER, strings_json.replace("<", "\\u003c"))


@functools.cache
def assets(strings_json: str = "{}") -> dict[str, Asset]:
    css = (STATIC / "widget.css").read_bytes()
    return {"widget.js": _asset(widget_js_source(strings_json).encode("utf-8"), "text/javascript"),
            "widget.css": _asset(css, "text/css")}


def _serve(name: str) -> Response:
    strings = current_app.extensions["blogsearch_strings"].widget()
    asset = assets(json.dumps(strings, ensure_ascii=False, sort_keys=True))[name]
    compressed = "gzip" in request.accept_encodings
    response = Response(asset.gzipped if compressed else asset.body, mimetype=asset.mimetype)
    if compressed:
        response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    response.set_etag(asset.etag + ("-gz" if compressed else ""))
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response.make_conditional(request)


@bp.get("/widget.js")
def widget_js() -> ResponseReturnValue:
    return _serve("widget.js")


@bp.get("/widget.css")
def widget_css() -> ResponseReturnValue:
    return _serve("widget.css")
