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

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue

bp = Blueprint("widget", __name__)

STATIC = Path(__file__).resolve().parents[1] / "static"
CSS_MARKER = '/*@css*/""'
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


def widget_js_source() -> str:
    """widget.js with widget.css in it (a JSON string is a JavaScript string)."""
    js = (STATIC / "widget.js").read_text(encoding="utf-8")
    if js.count(CSS_MARKER) != 1:
        raise RuntimeError(f"widget.js must contain {CSS_MARKER} exactly once")
    css = (STATIC / "widget.css").read_text(encoding="utf-8")
    return js.replace(CSS_MARKER, json.dumps(css))


@functools.cache
def assets() -> dict[str, Asset]:
    css = (STATIC / "widget.css").read_bytes()
    return {"widget.js": _asset(widget_js_source().encode("utf-8"), "text/javascript"),
            "widget.css": _asset(css, "text/css")}


def _serve(name: str) -> Response:
    asset = assets()[name]
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
