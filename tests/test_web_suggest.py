"""GET /api/suggest on the sample posts: the answer the widget expects,
parameter checks with JSON errors (never a 500), caching headers, and the
OpenAPI description kept true."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from search import Searcher
from search.query.suggest import DEFAULT_SUGGESTIONS, MAX_SUGGESTIONS
from web.openapi import SPEC


def suggest(client: FlaskClient, query_string: str | dict[str, Any]) -> dict[str, Any]:
    response = client.get("/api/suggest", query_string=query_string)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type == "application/json"
    return response.get_json()


def test_answer_has_the_widget_shape(client: FlaskClient) -> None:
    data = suggest(client, {"q": "こうそ", "limit": 8})
    assert data["query"] == "こうそ"
    assert 1 <= len(data["suggestions"]) <= 8
    for s in data["suggestions"]:
        assert isinstance(s["text"], str) and s["text"]
        assert s["kind"] in ("title", "tag", "term")
        assert isinstance(s["count"], int) and s["count"] >= 1
    assert any("高速" in s["text"] for s in data["suggestions"])


def test_answer_is_exactly_the_library_result(client: FlaskClient, index_dir) -> None:
    with Searcher(index_dir) as searcher:
        expected = searcher.suggest("非同", 5).to_dict()
    assert suggest(client, {"q": "非同", "limit": 5}) == expected


def test_titles_carry_slug_and_url(client: FlaskClient) -> None:
    titles = [s for s in suggest(client, {"q": "非同"})["suggestions"] if s["kind"] == "title"]
    assert titles and titles[0]["slug"] == "python-asyncio" and titles[0]["url"]


@pytest.mark.parametrize("query_string,count", [
    ("q=a", DEFAULT_SUGGESTIONS),
    ("q=a&limit=1", 1),
    ("q=a&limit=3", 3),
    (f"q=a&limit={MAX_SUGGESTIONS}", MAX_SUGGESTIONS),
    ("q=a&limit=+2+", 2),
    ("q=a&limit=", DEFAULT_SUGGESTIONS),
])
def test_limit(client: FlaskClient, query_string: str, count: int) -> None:
    assert len(suggest(client, query_string)["suggestions"]) <= count
    assert len(suggest(client, "q=a&limit=20")["suggestions"]) > DEFAULT_SUGGESTIONS  # the sample has enough


@pytest.mark.parametrize("query_string", [
    "", "q=", "q=+++", "q=*", "q=%F0%9F%98%80", "q=%E3%83%BC", "q=(((", "q=a*", "q=%3Cscript%3E",
    "q=" + "%E3%81%82" * 256, "q=title:", "q=n'", "q=%E3%80%80",
])
def test_odd_queries_are_answered(client: FlaskClient, query_string: str) -> None:
    data = suggest(client, query_string)
    assert set(data) == {"query", "suggestions"}


# (query string, status, error code)
ERRORS = [
    ("q=" + "%E3%81%82" * 257, 400, "query_too_long"),
    ("q=" + "a" * 257, 400, "query_too_long"),
    ("q=" + "a" * 10 * 1024, 414, "uri_too_long"),
    ("q=a&limit=0", 400, "invalid_limit"),
    ("q=a&limit=-1", 400, "invalid_limit"),
    (f"q=a&limit={MAX_SUGGESTIONS + 1}", 400, "invalid_limit"),
    ("q=a&limit=abc", 400, "invalid_limit"),
    ("q=a&limit=1.5", 400, "invalid_limit"),
    ("q=a&limit=99999999999999999999", 400, "invalid_limit"),
    ("q=a&limit=%EF%BC%92", 400, "invalid_limit"),  # full-width ２
    ("q=%00", 400, "invalid_character"),
    ("q=%ff", 400, "invalid_encoding"),
    ("q=%ED%A0%80", 400, "invalid_encoding"),  # a lone surrogate in UTF-8
]


@pytest.mark.parametrize("query_string,status,code", ERRORS, ids=[e[0][:40] for e in ERRORS])
def test_bad_requests_get_json_errors(client: FlaskClient, query_string: str, status: int, code: str) -> None:
    response = client.get("/api/suggest?" + query_string)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code
    assert response.get_json()["error"]["message"]


def test_only_get(client: FlaskClient) -> None:
    response = client.post("/api/suggest?q=a")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"


def test_etag_and_304(client: FlaskClient) -> None:
    first = client.get("/api/suggest?q=kube")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, max-age=60"
    assert client.get("/api/suggest?q=kube", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/api/suggest?q=kub", headers={"If-None-Match": etag}).status_code == 200


def test_suggestions_do_not_fill_the_result_cache(app: Flask, client: FlaskClient) -> None:
    cache = app.extensions["blogsearch"].cache
    before = len(cache)
    for q in ("k", "ku", "kub", "kube"):
        suggest(client, {"q": q})
    assert len(cache) == before


# --- the OpenAPI description -----------------------------------------------------


def test_suggest_is_documented(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").get_json()
    operation = spec["paths"]["/api/suggest"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"q", "limit"}
    assert "400" in operation["responses"] and "200" in operation["responses"]


def test_documented_bounds_are_enforced(client: FlaskClient) -> None:
    params = {p["name"]: p["schema"] for p in SPEC["paths"]["/api/suggest"]["get"]["parameters"]}
    too_long = "あ" * (params["q"]["maxLength"] + 1)
    assert client.get("/api/suggest", query_string={"q": too_long}).status_code == 400
    assert client.get("/api/suggest", query_string={"q": too_long[1:]}).status_code == 200
    for limit in (params["limit"]["minimum"] - 1, params["limit"]["maximum"] + 1):
        assert client.get("/api/suggest", query_string={"q": "a", "limit": limit}).status_code == 400
    for limit in (params["limit"]["minimum"], params["limit"]["maximum"]):
        assert client.get("/api/suggest", query_string={"q": "a", "limit": limit}).status_code == 200
    assert params["limit"]["default"] == DEFAULT_SUGGESTIONS


def test_documented_fields_are_the_answered_fields(client: FlaskClient) -> None:
    schemas = SPEC["components"]["schemas"]
    data = suggest(client, {"q": "非同", "limit": 20})
    assert set(data) == set(schemas["SuggestResult"]["properties"]) == set(schemas["SuggestResult"]["required"])
    properties = set(schemas["Suggestion"]["properties"])
    required = set(schemas["Suggestion"]["required"])
    kinds = set()
    for s in data["suggestions"]:
        assert required <= set(s) <= properties
        kinds.add(s["kind"])
    assert kinds <= set(schemas["Suggestion"]["properties"]["kind"]["enum"])
    assert "title" in kinds


def test_a_search_that_finds_nothing_says_did_you_mean(client: FlaskClient) -> None:
    data = client.get("/api/search", query_string={"q": "pyhton"}).get_json()
    assert data["total"] == 0 and data["did_you_mean"] == "python"
    page = client.get("/search", query_string={"q": "pyhton", "tag": "Python"}).get_data(as_text=True)
    assert "もしかして" in page and 'href="/search?q=python&amp;tag=Python"' in page
    found = client.get("/api/search", query_string={"q": "python"}).get_json()
    assert found["total"] >= 1 and found["did_you_mean"] is None
