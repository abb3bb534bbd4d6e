"""Hostile and broken requests: each gets the expected status, never a 500;
JSON errors under /api, an HTML page elsewhere; and a missing or
incompatible index answers 503 while /healthz stays up."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from search import build_index
from search.index.schema import META_FILE
from web import create_app

TEN_KB = "a" * 10 * 1024

# (query string, status, error code or None for a normal answer)
HOSTILE = [
    ('q="', 200, None),
    ("q=(", 200, None),
    ("q=title:", 200, None),
    ("q=field:value", 200, None),
    ("q=*", 200, None),
    ("q=~", 200, None),
    ("q=a*", 200, None),
    ("q=AND OR NOT", 200, None),
    ("q=%E3%82%AF%E3%83%A9%E3%82%A6%E3%83%89~2", 200, None),
    ("q=%3Cscript%3E", 200, None),
    ("q=" + TEN_KB, 414, "uri_too_long"),
    ("q=" + "%E3%81%82" * 257, 400, "query_too_long"),
    ("q=%00", 400, "invalid_character"),
    ("q=abc%00def", 400, "invalid_character"),
    ("q=%1b%5b31m", 400, "invalid_character"),
    ("q=%ff%fe", 400, "invalid_encoding"),
    ("q=%ED%A0%80", 400, "invalid_encoding"),  # a lone surrogate in UTF-8
    ("q=%C0%AF", 400, "invalid_encoding"),  # overlong encoding of '/'
    ("q=%zz", 400, "invalid_encoding"),
    ("q=100%", 400, "invalid_encoding"),
    ("tag=%ff", 400, "invalid_encoding"),
    ("page=0", 400, "invalid_page"),
    ("page=-1", 400, "invalid_page"),
    ("page=abc", 400, "invalid_page"),
    ("page=1.5", 400, "invalid_page"),
    ("page=%EF%BC%92", 400, "invalid_page"),  # full-width ２
    ("page=99999999999999999999", 400, "invalid_page"),
    ("page=999999", 400, "page_out_of_range"),
    ("page=101", 400, "page_out_of_range"),
    ("per_page=51", 400, "invalid_per_page"),
    ("per_page=0", 400, "invalid_per_page"),
    ("per_page=-5", 400, "invalid_per_page"),
    ("sort=foo", 400, "invalid_sort"),
    ("sort=date&q=AI", 200, None),
    ("from=notadate", 400, "invalid_date"),
    ("from=2025-02-30", 400, "invalid_date"),
    ("to=20250101", 400, "invalid_date"),
    ("from=2025-05-01&to=2025-04-01", 400, "invalid_date_range"),
    ("category=" + "x" * 101, 400, "value_too_long"),
    ("&".join(f"tag=t{i}" for i in range(11)), 400, "too_many_tags"),
    ("q=AI&unknown=1&utm_source=x", 200, None),
    ("q=AI&q=Python", 200, None),
    ("q=+++", 200, None),
]


def _id(case: tuple[str, int, str | None]) -> str:
    return case[0][:40]


@pytest.mark.parametrize("query_string,status,code", HOSTILE, ids=[_id(c) for c in HOSTILE])
def test_api_search_hostile_input(client: FlaskClient, query_string: str, status: int, code: str | None) -> None:
    response = client.get("/api/search?" + query_string)
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.content_type == "application/json"
    body = response.get_json()
    if code is None:
        assert {"query", "total", "hits", "facets"} <= set(body)
    else:
        assert body == {"error": {"code": code, "message": body["error"]["message"]}}
        assert body["error"]["message"]
        assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("query_string,status,code", HOSTILE, ids=[_id(c) for c in HOSTILE])
def test_search_page_hostile_input(client: FlaskClient, query_string: str, status: int, code: str | None) -> None:
    response = client.get("/search?" + query_string)
    assert response.status_code == status
    assert response.content_type == "text/html; charset=utf-8"
    page = response.get_data(as_text=True)
    assert '<html lang="ja">' in page
    if code:
        assert f'data-code="{code}"' in page


def test_page_out_of_range_names_the_window(client: FlaskClient) -> None:
    message = client.get("/api/search?q=AI&page=999999").get_json()["error"]["message"]
    assert "1000" in message and "per_page" in message


def test_error_page_escapes_what_was_sent(client: FlaskClient) -> None:
    page = client.get("/search?page=%3Cscript%3E").get_data(as_text=True)
    assert "<script>" not in page and "<script" not in page.replace('<script src="/static/page.js" defer>', "")
    assert "ページ番号が正しくありません。" in page  # the page speaks Japanese, not the API's English


@pytest.mark.parametrize("path,status,kind", [
    ("/api/nope", 404, "json"),
    ("/api/search/extra", 404, "json"),
    ("/api/posts/", 404, "json"),
    ("/nope", 404, "html"),
    ("/tags/", 404, "html"),
    ("/tags/%E5%AD%98%E5%9C%A8%E3%81%97%E3%81%AA%E3%81%84%E3%82%BF%E3%82%B0", 404, "html"),
    ("/api/posts/%00", 400, "json"),
])
def test_unknown_routes(client: FlaskClient, path: str, status: int, kind: str) -> None:
    response = client.get(path)
    assert response.status_code == status
    if kind == "json":
        assert set(response.get_json()["error"]) == {"code", "message"}
    else:
        assert response.content_type.startswith("text/html")


@pytest.mark.parametrize("path,script_name,location", [
    ("/api//tags", "", "/api/tags"),
    ("/api//search?q=AI", "", "/api/search?q=AI"),
    ("/static//style.css", "", "/static/style.css"),
    ("/tags//AI", "", "/tags/AI"),
    ("/api//tags", "/find", "/find/api/tags"),
])
@pytest.mark.parametrize("host", ["evil.test", "evil.test:8443", "localhost"])
def test_redirects_stay_on_the_site_whatever_the_host_header(client: FlaskClient, path: str, script_name: str,
                                                             location: str, host: str) -> None:
    """Werkzeug merges slashes with a 308 to an absolute URL built from the
    client's Host header (`Location: http://evil.test/api/tags`), which a
    shared cache would hand to every client; the app answers a path."""
    response = client.get(path, headers={"Host": host}, environ_overrides={"SCRIPT_NAME": script_name})
    assert response.status_code == 308
    assert response.headers["Location"] == location
    page = response.get_data(as_text=True)
    assert host not in page and f'href="{location.replace("&", "&amp;")}"' in page
    with client.get(location.removeprefix(script_name), headers={"Host": host},
                    environ_overrides={"SCRIPT_NAME": script_name}) as followed:
        assert followed.status_code == 200


@pytest.mark.parametrize("raw_path,kind", [("/tags/\xff", "html"), ("/api/posts/\xed\xa0\x80", "json")])
def test_path_that_is_not_utf8_is_400(client: FlaskClient, raw_path: str, kind: str) -> None:
    # as gunicorn passes it: the raw bytes, one latin-1 character each (PEP 3333)
    response = client.get("/", environ_overrides={"PATH_INFO": raw_path})
    assert response.status_code == 400
    if kind == "json":
        assert response.get_json()["error"]["code"] == "invalid_encoding"
    else:
        assert 'data-code="invalid_encoding"' in response.get_data(as_text=True)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("path,kind", [("/api/search", "json"), ("/api/tags", "json"),
                                        ("/search", "html"), ("/", "html")])
def test_other_methods_are_405(client: FlaskClient, method: str, path: str, kind: str) -> None:
    response = client.open(path, method=method)
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    if kind == "json":
        assert response.get_json()["error"]["code"] == "method_not_allowed"
    else:
        assert "この方法ではアクセスできません" in response.get_data(as_text=True)


def test_head_works(client: FlaskClient) -> None:
    response = client.head("/api/search?q=AI")
    assert response.status_code == 200
    assert response.get_data() == b""


def test_request_body_too_large_is_413(client: FlaskClient) -> None:
    response = client.get("/api/search?q=AI", data="x" * 10_000)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"
    response = client.post("/api/search", data="x" * 10_000)
    assert response.status_code == 413


def test_random_input_never_fails(client: FlaskClient) -> None:
    rng = random.Random(20250410)
    alphabet = "AIチップ検索の　 \"'()[]{}:*~?!^+-&|\\/<>@#%$、。ｶﾞ🍣\u200d\u3000\t\nạ"
    for _ in range(300):
        q = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
        for path in ("/api/search", "/search"):
            response = client.get(path, query_string={"q": q, "tag": q[:10]})
            assert response.status_code == 200, (q, response.get_data(as_text=True)[:200])


def test_no_cookies_anywhere_and_no_sniffing(client: FlaskClient) -> None:
    for url in ["/", "/search?q=AI", "/tags/AI", "/api/search?q=AI", "/api/tags",
                "/api/posts/nope", "/api/search?page=0", "/healthz", "/readyz", "/nope",
                "/static/style.css", "/api/search?q=%ff"]:
        response = client.get(url)
        assert "Set-Cookie" not in response.headers, url
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
        response.close()


# --- the index is missing or unusable ------------------------------------------


def _assert_unavailable(client: FlaskClient, fragment: str) -> None:
    for url in ["/api/search?q=AI", "/api/tags", "/api/posts/python-asyncio", "/readyz"]:
        response = client.get(url)
        assert response.status_code == 503, url
        error = response.get_json()["error"]
        assert error["code"] == "index_unavailable"
        assert fragment in error["message"]
        assert response.headers["Retry-After"]
    page = client.get("/search?q=AI")
    assert page.status_code == 503
    assert "検索は一時的に利用できません" in page.get_data(as_text=True)
    assert client.get("/healthz").status_code == 200


def test_missing_index_is_503_until_it_is_built(tmp_path: Path) -> None:
    index = tmp_path / "index"
    client = create_app({"INDEX": str(index)}).test_client()
    _assert_unavailable(client, "blogsearch index --posts")
    build_index(Path(__file__).resolve().parents[1] / "data" / "posts", index, procs=1)
    response = client.get("/api/search?q=AI")  # no restart needed
    assert response.status_code == 200
    assert response.get_json()["total"] > 0
    assert client.get("/readyz").get_json()["posts"] == 15


def test_index_of_another_schema_version_is_503(index_dir: Path, tmp_path: Path) -> None:
    import shutil

    index = tmp_path / "old-index"
    shutil.copytree(index_dir, index)
    (index / META_FILE).write_text(json.dumps({"schema_version": 999}), encoding="utf-8")
    client = create_app({"INDEX": str(index)}).test_client()
    _assert_unavailable(client, "--rebuild")


def test_index_of_another_schema_version_is_refused_before_its_pickle_is_read(
        index_dir: Path, tmp_path: Path) -> None:
    """An index built by a blogsearch whose modules no longer exist (its
    table of contents pickles `search.index.analyzerz`): blogsearch.json's schema
    version is checked first, so the answer is the rebuild message, never
    the ModuleNotFoundError of unpickling it (a 500)."""
    import gc
    import shutil
    import warnings

    from whoosh import index as whoosh_index

    from search.errors import SchemaVersionError
    from search.index.schema import open_index

    index = tmp_path / "old-index"
    shutil.copytree(index_dir, index)
    (toc,) = index.glob("_MAIN_*.toc")
    pickled = toc.read_bytes()
    assert pickled.count(b"search.index.analyzers") > 0
    toc.write_bytes(pickled.replace(b"search.index.analyzers", b"search.index.analyzerz"))  # same length
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)  # Whoosh leaves the TOC open on errors
        with pytest.raises(ModuleNotFoundError, match="search.index.analyzerz"):
            whoosh_index.open_dir(str(index))  # what reading the pickle first gives
        gc.collect()
    (index / META_FILE).write_text(json.dumps({"schema_version": 2}), encoding="utf-8")
    for readonly in (False, True):
        with pytest.raises(SchemaVersionError, match="schema version 2.*--rebuild"):
            open_index(index, readonly=readonly)
    client = create_app({"INDEX": str(index)}).test_client()
    _assert_unavailable(client, "--rebuild")


def test_empty_index_is_not_ready(tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    posts.mkdir()
    build_index(posts, tmp_path / "index", procs=1)
    client = create_app({"INDEX": str(tmp_path / "index")}).test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "index_empty"
    assert client.get("/api/search?q=AI").get_json()["total"] == 0


def test_unexpected_exception_is_a_json_500_without_details(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from search import Searcher

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ZeroDivisionError("secret detail")

    monkeypatch.setattr(Searcher, "search", broken)
    app.logger.disabled = True
    response = app.test_client().get("/api/search?q=AI")
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_error"
    assert "secret" not in response.get_data(as_text=True)


# --- the library's error categories decide the status, in web.errors only ------

def _every_search_error() -> list[type[Any]]:
    """Every exception class the library defines (imported so each registers)."""
    import search.cli, search.ingest.drafts, search.editorial.duplicates, search.index.storage, search.editorial.querylog  # noqa: F401, E401
    from search.errors import SearchError

    found, todo = [], [SearchError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_every_library_exception_sits_in_one_category() -> None:
    from search.errors import Invalid, NotFound, SearchError, TooLarge, Unavailable

    categories = (NotFound, TooLarge, Invalid, Unavailable)
    for cls in _every_search_error():
        if cls is SearchError or cls in categories:
            continue
        assert sum(issubclass(cls, c) for c in categories) == 1, cls


def test_describe_maps_each_category_to_its_status() -> None:
    from search.ingest.drafts import DraftTooLarge
    from search.errors import (IndexNotFoundError, Invalid, NotFound, PostError, QueryError,
                               SchemaVersionError, TooLarge, Unavailable)
    from search.index.storage import IndexBusyError
    from search.editorial.querylog import PeriodError
    from search.editorial.related import PostNotFound
    from web.errors import describe

    cases = [
        (NotFound("記事が見つかりません"), 404, "not_found"),
        (PostNotFound("no post with slug '存在しない記事' is indexed"), 404, "post_not_found"),
        (TooLarge("本文が長すぎます"), 413, "too_large"),
        (DraftTooLarge(250_000), 413, "draft_too_large"),
        (Invalid("検索条件が不正です"), 400, "invalid_request"),
        (QueryError("per_page must be between 1 and 50"), 400, "invalid_query"),
        (PeriodError("since 0001-01-01 is out of range"), 400, "invalid_date"),
        (PostError("記事.md", "no date"), 400, "invalid_post"),
        (Unavailable("索引を読めません"), 503, "search_unavailable"),
        (IndexBusyError("another run holds the lock"), 503, "search_unavailable"),
        (IndexNotFoundError("索引がありません"), 503, "index_unavailable"),
        (SchemaVersionError("rebuild the index"), 503, "index_unavailable"),
    ]
    for exc, status, code in cases:
        assert describe(exc) == (status, code, str(exc)), exc


def test_a_route_that_does_not_catch_post_not_found_answers_404(app: Any) -> None:
    from search.editorial.related import PostNotFound

    @app.get("/api/test-uncaught/<slug>")
    def uncaught(slug: str) -> Any:
        raise PostNotFound(f"no post with slug {slug!r} is indexed")

    client = app.test_client()
    response = client.get("/api/test-uncaught/存在しない記事")
    assert response.status_code == 404
    assert response.get_json()["error"] == {
        "code": "post_not_found", "message": "no post with slug '存在しない記事' is indexed"}
    # the editor routes no longer catch it by hand either
    for path in ("/api/related/存在しない記事", "/api/duplicates/存在しない記事"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.get_json()["error"] == {
            "code": "post_not_found", "message": "no post with slug '存在しない記事' is indexed"}, path
