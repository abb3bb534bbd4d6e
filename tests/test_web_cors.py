"""Cross-origin access: the API answers CORS only for exactly the configured
origins, always with `Vary: Origin` and never with credentials; /widget.js
and /widget.css are public to every origin and small."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from web import create_app
from web.settings import APP_SETTINGS, SettingsError, parse_origin, resolve
from web.strings import Strings
from web.views.widget import widget_js_source

BLOG = "https://blog.example.com"
DEV = "http://localhost:4000"
ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"
WIDGET_GZIP_BUDGET = 15 * 1024


@pytest.fixture(scope="module")
def app(index_dir: Path) -> Flask:
    # spelled as an admin might: upper case, default port, trailing slash
    return create_app({"TESTING": True, "INDEX": str(index_dir),
                       "CORS_ORIGINS": "https://Blog.Example.com:443/, http://localhost:4000"})


@pytest.fixture(scope="module")
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def vary(response: object) -> set[str]:
    return {v.strip() for v in response.headers.get("Vary", "").split(",") if v.strip()}  # type: ignore[attr-defined]


def no_cors(response: object) -> bool:
    return not any(k.lower().startswith("access-control-") for k, _ in response.headers.items())  # type: ignore[attr-defined]


# --- the origin matrix ---------------------------------------------------------------

ORIGINS = [
    (BLOG, BLOG),
    (DEV, DEV),
    ("https://evil.example.com", None),
    ("null", None),  # sandboxed iframes, file: pages, some redirects
    ("https://blog.example.com.evil.test", None),  # allowed origin as a prefix
    ("https://evil-blog.example.com", None),  # allowed host as a suffix
    ("https://evilblog.example.com", None),
    ("https://sub.blog.example.com", None),
    ("https://example.com", None),
    ("http://blog.example.com", None),  # http instead of https
    ("https://blog.example.com:8443", None),  # another port
    ("https://blog.example.com:443", None),  # browsers never send the default port
    ("http://localhost:4001", None),
    ("http://localhost", None),
    ("http://127.0.0.1:4000", None),  # the same machine under another name
    ("https://BLOG.example.com", None),  # browsers send lower case; anything else is not a browser
    ("HTTPS://blog.example.com", None),
    ("https://blog.example.com/", None),
    ("https://blog.example.com/search", None),
    (f"{BLOG} {DEV}", None),
    (f"{BLOG}, {DEV}", None),
    ("*", None),
    ("", None),
]


@pytest.mark.parametrize("origin,allowed", ORIGINS, ids=[o or "empty" for o, _ in ORIGINS])
def test_search_answers_cors_only_for_an_exact_origin(client: FlaskClient, origin: str, allowed: str | None) -> None:
    response = client.get("/api/search", query_string={"q": "サーバー"}, headers={"Origin": origin})
    assert response.status_code == 200
    assert response.headers.get(ACAO) == allowed
    assert "Origin" in vary(response)
    assert ACAC not in response.headers
    if allowed is None:
        assert no_cors(response)


@pytest.mark.parametrize("origin,allowed", ORIGINS, ids=[o or "empty" for o, _ in ORIGINS])
def test_preflight_is_answered_only_for_an_exact_origin(client: FlaskClient, origin: str, allowed: str | None) -> None:
    response = client.options("/api/search?q=x", headers={
        "Origin": origin, "Access-Control-Request-Method": "GET"})
    assert "Origin" in vary(response)
    assert ACAC not in response.headers
    if allowed:
        assert response.status_code == 204
        assert response.get_data() == b""
        assert response.headers[ACAO] == allowed
        assert response.headers["Access-Control-Allow-Methods"] == "GET, HEAD"
        assert response.headers["Access-Control-Max-Age"] == "600"
        assert "Access-Control-Allow-Headers" not in response.headers  # only CORS-safelisted headers
    else:
        assert no_cors(response)


def test_no_origin_header_no_cors_headers(client: FlaskClient) -> None:
    response = client.get("/api/search", query_string={"q": "サーバー"})
    assert no_cors(response)
    assert "Origin" in vary(response)


@pytest.mark.parametrize("path,status", [
    ("/api/search?page=0", 400),
    ("/api/search?q=" + "あ" * 300, 400),
    ("/api/posts/no-such-post", 404),
    ("/api/suggest?q=x", None),  # 404 until it exists: the widget reads the status either way
    ("/api/nothing-here", 404),
    ("/api/tags", 200),
    ("/api/posts/kubernetes-deploy", 200),
    ("/api/openapi.json", 200),
])
def test_every_api_answer_carries_cors_errors_included(client: FlaskClient, path: str, status: int | None) -> None:
    response = client.get(path, headers={"Origin": BLOG})
    if status is not None:
        assert response.status_code == status
    assert response.headers[ACAO] == BLOG
    assert "Origin" in vary(response)
    assert ACAC not in response.headers
    assert no_cors(client.get(path, headers={"Origin": "https://evil.example.com"}))


def test_not_modified_carries_cors(client: FlaskClient) -> None:
    first = client.get("/api/search?q=Kubernetes", headers={"Origin": BLOG})
    again = client.get("/api/search?q=Kubernetes", headers={"Origin": BLOG, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.headers[ACAO] == BLOG and "Origin" in vary(again)


def test_other_methods_are_not_opened(client: FlaskClient) -> None:
    response = client.post("/api/search", headers={"Origin": BLOG})
    assert response.status_code == 405  # readable by the page, still refused
    preflight = client.options("/api/search", headers={"Origin": BLOG, "Access-Control-Request-Method": "DELETE"})
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET, HEAD"  # the browser refuses DELETE


def test_preflight_for_a_missing_route_is_not_a_success(client: FlaskClient) -> None:
    response = client.options("/api/nothing-here", headers={"Origin": BLOG, "Access-Control-Request-Method": "GET"})
    assert response.status_code == 404


@pytest.mark.parametrize("path", ["/", "/search?q=x", "/healthz", "/readyz", "/tags/Kubernetes"])
def test_pages_and_health_checks_are_not_cross_origin(client: FlaskClient, path: str) -> None:
    response = client.get(path, headers={"Origin": BLOG})
    assert ACAO not in response.headers
    assert "Origin" not in vary(response)


def test_nothing_configured_nothing_allowed(index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BLOGSEARCH_CORS_ORIGINS", raising=False)
    client = create_app({"TESTING": True, "INDEX": str(index_dir)}).test_client()
    response = client.get("/api/search?q=x", headers={"Origin": BLOG})
    assert no_cors(response) and "Origin" in vary(response)


def test_origins_from_the_environment(index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BLOGSEARCH_CORS_ORIGINS", "https://a.example,https://b.example:8443")
    client = create_app({"TESTING": True, "INDEX": str(index_dir)}).test_client()
    for origin in ("https://a.example", "https://b.example:8443"):
        assert client.get("/api/tags", headers={"Origin": origin}).headers[ACAO] == origin
    assert no_cors(client.get("/api/tags", headers={"Origin": "https://b.example"}))


# --- configured origins ----------------------------------------------------------------


@pytest.mark.parametrize("value,origin", [
    ("https://blog.example.com", "https://blog.example.com"),
    ("https://Blog.Example.COM", "https://blog.example.com"),
    ("HTTPS://blog.example.com:443/", "https://blog.example.com"),
    ("http://blog.example.com:80", "http://blog.example.com"),
    ("http://localhost:4000", "http://localhost:4000"),
    ("https://blog.example.com:8443", "https://blog.example.com:8443"),
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ("http://[::1]:8080", "http://[::1]:8080"),
    ("https://ブログ.example", "https://xn--qckyd1c.example"),
    (" https://blog.example.com ", "https://blog.example.com"),
])
def test_configured_origins_take_the_browsers_form(value: str, origin: str) -> None:
    assert parse_origin(value) == origin


@pytest.mark.parametrize("value", [
    "*", "null", "blog.example.com", "//blog.example.com", "ftp://blog.example.com", "file:///tmp",
    "https://blog.example.com/search", "https://blog.example.com?q=1", "https://blog.example.com#top",
    "https://user@blog.example.com", "https://blog.example.com:99999", "https://", "javascript:alert(1)",
])
def test_things_that_are_not_origins_are_refused(value: str) -> None:
    with pytest.raises(ValueError):
        parse_origin(value)


def test_a_bad_origin_setting_names_itself(index_dir: Path) -> None:
    with pytest.raises(SettingsError, match=r"^CORS_ORIGINS='https://blog.example.com, \*': '\*' is not allowed"):
        create_app({"INDEX": str(index_dir), "CORS_ORIGINS": "https://blog.example.com, *"})
    with pytest.raises(SettingsError, match="^CORS_ORIGINS=.*: 'https://blog.example.com/search' is not an origin"):
        create_app({"INDEX": str(index_dir), "CORS_ORIGINS": "https://blog.example.com/search"})
    with pytest.raises(SettingsError, match="^BLOGSEARCH_CORS_ORIGINS='null': 'null' is not allowed"):
        resolve(APP_SETTINGS, {}, {"BLOGSEARCH_CORS_ORIGINS": "null"})


# --- the widget files: public, cross-origin, small -------------------------------------


@pytest.mark.parametrize("path,kind", [("/widget.js", "text/javascript"), ("/widget.css", "text/css")])
def test_widget_files_are_public_to_every_origin(client: FlaskClient, path: str, kind: str) -> None:
    for origin in (None, BLOG, "https://evil.example.com", "null"):
        response = client.get(path, headers={"Origin": origin} if origin else {})
        assert response.status_code == 200
        assert response.mimetype == kind and response.mimetype_params["charset"] == "utf-8"
        assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
        assert response.headers[ACAO] == "*"
        assert ACAC not in response.headers
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "public, max-age=3600"


def test_widget_js_is_gzipped_when_accepted_and_revalidates(client: FlaskClient) -> None:
    plain = client.get("/widget.js")
    zipped = client.get("/widget.js", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.get_data()) == plain.get_data()
    assert "Accept-Encoding" in vary(plain) and "Accept-Encoding" in vary(zipped)
    assert plain.headers["ETag"] != zipped.headers["ETag"]
    again = client.get("/widget.js", headers={"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""


def test_widget_js_carries_its_css_and_stays_small(client: FlaskClient) -> None:
    body = client.get("/widget.js").get_data(as_text=True)
    assert body == widget_js_source(json.dumps(Strings("ja").widget(), ensure_ascii=False, sort_keys=True))
    css = client.get("/widget.css").get_data(as_text=True)
    assert '/*@css*/""' not in body
    assert "--blogsearch-accent" in body and ":host" in body and css.startswith("/*")
    size = len(gzip.compress(body.encode("utf-8"), 9))
    assert size < WIDGET_GZIP_BUDGET, f"widget.js is {size} bytes gzipped; the budget is {WIDGET_GZIP_BUDGET}"


def test_widget_js_never_parses_server_text_as_html() -> None:
    source = (Path(__file__).resolve().parents[1] / "web" / "static" / "widget.js").read_text(encoding="utf-8")
    for risky in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "DOMParser",
                  "createContextualFragment", "eval(", "new Function", ".style.", "setAttribute(\"style"):
        assert risky not in source, risky
