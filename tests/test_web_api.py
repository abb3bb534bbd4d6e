"""The JSON API on the sample posts: every search parameter, facets, tags,
posts, and the OpenAPI description kept true against routes and answers."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from search import Searcher
from web.openapi import SPEC


def search(client: FlaskClient, **params: Any) -> dict[str, Any]:
    response = client.get("/api/search", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type == "application/json"
    return response.get_json()


def slugs(data: dict[str, Any]) -> list[str]:
    return [hit["slug"] for hit in data["hits"]]


def all_hits(client: FlaskClient, **params: Any) -> list[dict[str, Any]]:
    data = search(client, per_page=50, **params)
    assert data["total"] == len(data["hits"])  # the sample is small enough for one page
    return data["hits"]


# --- q ------------------------------------------------------------------------


def test_query_finds_the_post_and_marks_the_word(client: FlaskClient) -> None:
    data = search(client, q="Kubernetes")
    assert data["query"] == "Kubernetes"
    assert data["total"] == 2
    assert slugs(data)[0] == "kubernetes-deploy"
    top = data["hits"][0]
    assert top["title_html"].startswith("<mark>Kubernetes</mark>へのデプロイ入門")
    assert "<mark>Kubernetes</mark>" in top["snippet_html"]
    assert top["date"] == "2025-04-10T23:45:00+09:00"
    assert top["url"] == "/special/kubernetes-guide/"
    assert top["tags"] == ["Kubernetes", "クラウド", "コンテナ", "CI/CD"]
    assert top["author"] == "山本 拓也"


@pytest.mark.parametrize("params", [
    {"q": "バックアップ"},
    {"q": "AIチップ", "per_page": 3, "page": 2},
    {"q": "", "tag": ["AI", "チップ"]},
    {"q": "データベース", "sort": "date"},
    {"q": "Python", "category": "技術解説"},
], ids=str)
def test_answer_is_exactly_the_library_result(
    client: FlaskClient, index_dir: Path, params: dict[str, Any]
) -> None:
    tags = params.get("tag", [])
    kwargs = {k: v for k, v in params.items() if k not in ("q", "tag")}
    with Searcher(index_dir) as searcher:
        expected = searcher.search(params["q"], tags=tags, **kwargs).to_dict()
    assert search(client, **params) == expected


def test_json_is_utf8_not_escaped(client: FlaskClient) -> None:
    body = client.get("/api/search", query_string={"q": "クラウド"}).get_data()
    assert "クラウド".encode() in body
    assert b"\\u30af" not in body


# --- filters --------------------------------------------------------------------


def test_one_tag_keeps_only_posts_with_it(client: FlaskClient) -> None:
    hits = all_hits(client, tag="PostgreSQL")
    assert {h["slug"] for h in hits} == {"postgresql-index-design", "postgresql-backup"}


def test_two_tags_must_both_match(client: FlaskClient) -> None:
    assert len(all_hits(client, tag="AI")) == 5
    hits = all_hits(client, tag=["AI", "チップ"])
    assert {h["slug"] for h in hits} == {"aws-trainium2", "microsoft-maia-100"}
    assert all({"AI", "チップ"} <= set(h["tags"]) for h in hits)


def test_tags_with_a_query(client: FlaskClient) -> None:
    everything = all_hits(client, q="データベース")
    only = all_hits(client, q="データベース", tag="PostgreSQL")
    assert 0 < len(only) < len(everything)
    assert all("PostgreSQL" in h["tags"] for h in only)


def test_category(client: FlaskClient) -> None:
    hits = all_hits(client, category="ニュース")
    assert {h["slug"] for h in hits} == {"nvidia-h100-gpu-shortage", "generative-ai-copyright"}


def test_author(client: FlaskClient) -> None:
    hits = all_hits(client, author="山本 拓也")
    assert {h["slug"] for h in hits} == {
        "kubernetes-deploy", "postgresql-index-design", "linux-file-permissions", "rust-speedup"}


def test_author_with_query(client: FlaskClient) -> None:
    hits = all_hits(client, q="Python", author="山本 拓也")
    assert [h["slug"] for h in hits] == ["rust-speedup"]


@pytest.mark.parametrize("day,slug", [
    # 07:30 in Tokyo is still the previous day in UTC: days are the blog's days
    ("2025-03-02", "aws-trainium2"),
    # 23:45: `to` includes the whole day
    ("2025-04-10", "kubernetes-deploy"),
    ("2025-06-01", "python-asyncio"),  # exactly 00:00 UTC
])
def test_from_to_one_day(client: FlaskClient, day: str, slug: str) -> None:
    assert [h["slug"] for h in all_hits(client, **{"from": day, "to": day})] == [slug]


def test_from_and_to_bound_a_range(client: FlaskClient) -> None:
    hits = all_hits(client, q="AI", **{"from": "2025-07-01", "to": "2025-10-31"})
    assert hits
    for hit in hits:
        assert "2025-07-01" <= hit["date"][:10] <= "2025-10-31"
    later = all_hits(client, tag="運用", **{"from": "2025-11-01"})
    assert [h["slug"] for h in later] == ["server-operations-guide"]
    earlier = all_hits(client, tag="AI", to="2025-03-19")
    assert [h["slug"] for h in earlier] == ["aws-trainium2"]


def test_far_dates_mean_no_bound(client: FlaskClient) -> None:
    assert len(all_hits(client, tag="AI", **{"from": "0001-01-01", "to": "9999-12-31"})) == 5


# --- sorting and paging -------------------------------------------------------


def dates(hits: list[dict[str, Any]]) -> list[datetime]:
    return [datetime.fromisoformat(h["date"]) for h in hits]


def test_sort_by_date_is_newest_first(client: FlaskClient) -> None:
    relevance = all_hits(client, q="データベース")
    by_date = all_hits(client, q="データベース", sort="date")
    assert sorted(h["slug"] for h in relevance) == sorted(h["slug"] for h in by_date)
    assert dates(by_date) == sorted(dates(by_date), reverse=True)
    assert [h["slug"] for h in relevance] != [h["slug"] for h in by_date]


def test_empty_query_with_tag_lists_posts_by_date(client: FlaskClient) -> None:
    hits = all_hits(client, tag="AI")
    assert dates(hits) == sorted(dates(hits), reverse=True)
    assert hits[0]["slug"] == "microsoft-maia-100"


def test_nothing_asked_is_an_empty_result(client: FlaskClient) -> None:
    data = search(client)
    assert (data["total"], data["hits"], data["page"], data["per_page"]) == (0, [], 1, 10)
    # the schema requires both facets (the answer was "facets": {})
    assert data["facets"] == {"tags": [], "categories": []}


@pytest.mark.parametrize("name", ["q", "tag", "category", "author", "from", "to", "sort", "page", "per_page"])
def test_an_empty_parameter_is_the_same_as_none(client: FlaskClient, name: str) -> None:
    """As an HTML form sends an empty field (`to=`); the OpenAPI description
    says so with allowEmptyValue, on every optional query parameter."""
    given = client.get(f"/api/search?tag=AI&{name}=" if name != "tag" else "/api/search?tag=AI&tag=")
    assert given.status_code == 200
    assert given.get_json() == search(client, tag="AI")
    param = {p["name"]: p for p in SPEC["paths"]["/api/search"]["get"]["parameters"]}[name]
    schema = param["schema"]
    if schema["type"] == "array":
        schema = schema["items"]
    free_text = schema["type"] == "string" and not {"format", "enum"} & set(schema)
    assert free_text or param["allowEmptyValue"] is True  # "" is valid either way
    assert free_text != ("allowEmptyValue" in param)


def test_pages_partition_the_results(client: FlaskClient) -> None:
    pages = [search(client, tag="AI", per_page=2, page=n) for n in (1, 2, 3, 4)]
    assert [len(p["hits"]) for p in pages] == [2, 2, 1, 0]
    assert {p["total"] for p in pages} == {5}
    seen = [s for p in pages for s in slugs(p)]
    assert sorted(seen) == sorted(h["slug"] for h in all_hits(client, tag="AI"))
    assert [p["page"] for p in pages] == [1, 2, 3, 4]


@pytest.mark.parametrize("per_page,status", [(1, 200), (10, 200), (50, 200), (0, 400), (51, 400)])
def test_per_page_bounds(client: FlaskClient, per_page: int, status: int) -> None:
    response = client.get("/api/search", query_string={"q": "AI", "per_page": per_page})
    assert response.status_code == status
    if status == 200:
        data = response.get_json()
        assert data["per_page"] == per_page
        assert len(data["hits"]) == min(per_page, data["total"])
    else:
        assert response.get_json()["error"]["code"] == "invalid_per_page"


def test_last_page_of_the_window_is_allowed(client: FlaskClient) -> None:
    assert search(client, q="AI", page=20, per_page=50)["hits"] == []
    response = client.get("/api/search?q=AI&page=21&per_page=50")
    assert response.status_code == 400
    assert "1000" in response.get_json()["error"]["message"]


# --- facets --------------------------------------------------------------------


@pytest.mark.parametrize("params", [
    {"q": "AI"}, {"q": "Kubernetes"}, {"tag": "クラウド"}, {"q": "データベース", "category": "技術解説"},
], ids=str)
def test_facets_count_the_whole_result_set(client: FlaskClient, params: dict[str, Any]) -> None:
    hits = all_hits(client, **params)
    one = search(client, per_page=1, **params)
    assert len(one["hits"]) == 1
    tags = Counter(t for h in hits for t in h["tags"])
    categories = Counter(c for h in hits for c in h["categories"])
    assert {f["value"]: f["count"] for f in one["facets"]["tags"]} == tags
    assert {f["value"]: f["count"] for f in one["facets"]["categories"]} == categories
    counts = [f["count"] for f in one["facets"]["tags"]]
    assert counts == sorted(counts, reverse=True)


def test_kubernetes_facets(client: FlaskClient) -> None:
    facets = search(client, q="Kubernetes", per_page=1)["facets"]
    assert facets["tags"][0] == {"value": "Kubernetes", "count": 2}
    assert {"value": "運用ノウハウ", "count": 1} in facets["categories"]


# --- tags and posts -----------------------------------------------------------


def test_tags_lists_every_tag_and_category(client: FlaskClient, index_dir: Path) -> None:
    response = client.get("/api/tags")
    assert response.status_code == 200
    data = response.get_json()
    with Searcher(index_dir) as searcher:
        assert data == searcher.tags()
    assert data["tags"][0] == {"value": "AI", "count": 5}
    assert {"value": "CI/CD", "count": 1} in data["tags"]
    assert {"value": "技術解説", "count": 7} in data["categories"]
    assert "投資" not in {t["value"] for t in data["tags"]}  # only on the unpublished draft


def test_post_by_slug(client: FlaskClient) -> None:
    response = client.get("/api/posts/python-asyncio")
    assert response.status_code == 200
    post = response.get_json()
    assert post["title"] == "Pythonの非同期処理入門：asyncioでI/O待ちを減らす"
    assert post["date"] == "2025-06-01T09:00:00+09:00"
    assert post["categories"] == ["技術解説"]
    assert "body" not in post


@pytest.mark.parametrize("slug", ["no-such-post", "semiconductor-investment-outlook", "ペンギン"])
def test_unknown_or_unpublished_post_is_404(client: FlaskClient, slug: str) -> None:
    response = client.get(f"/api/posts/{slug}")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "post_not_found"


# --- the OpenAPI description ---------------------------------------------------


def _api_routes(app: Flask) -> dict[str, set[str]]:
    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/api/", "/healthz", "/readyz")):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            routes.setdefault(path, set()).update(m.lower() for m in rule.methods - {"HEAD", "OPTIONS"})
    return routes


def test_openapi_is_served(client: FlaskClient) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.get_json()["openapi"].startswith("3.")
    assert response.get_json()["paths"] == SPEC["paths"]


def test_every_api_route_is_documented_and_every_documented_path_exists(app: Flask) -> None:
    documented = {path: set(ops) for path, ops in SPEC["paths"].items()}
    assert _api_routes(app) == documented


def _schema(name: str) -> dict[str, Any]:
    return SPEC["components"]["schemas"][name]


def test_documented_fields_are_the_answered_fields(client: FlaskClient) -> None:
    data = search(client, q="Kubernetes")
    assert set(data) == set(_schema("SearchResult")["properties"]) == set(_schema("SearchResult")["required"])
    assert set(data["hits"][0]) == set(_schema("Hit")["properties"]) == set(_schema("Hit")["required"])
    assert set(data["facets"]) == set(_schema("Facets")["properties"])
    assert set(data["facets"]["tags"][0]) == set(_schema("FacetValue")["properties"])
    post = client.get("/api/posts/kubernetes-deploy").get_json()
    assert set(post) == set(_schema("Post")["properties"]) == set(_schema("Post")["required"])
    error = client.get("/api/posts/nope").get_json()
    assert set(error) == {"error"} and set(error["error"]) == {"code", "message"}
    ready = client.get("/readyz").get_json()
    assert set(ready) == set(_schema("Ready")["properties"])


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, ops in SPEC["paths"].items() for method, op in ops.items()]


def _documented_codes(response: dict[str, Any]) -> list[str]:
    schema = response["content"]["application/json"]["schema"]
    return schema["properties"]["error"]["properties"]["code"]["enum"]


@pytest.mark.parametrize("path,method,op", _operations(), ids=[f"{m} {p}" for p, m, _ in _operations()])
def test_every_error_an_operation_gives_is_documented(client: FlaskClient, path: str, method: str,
                                                      op: dict[str, Any]) -> None:
    """URL errors every route can give (invalid_character was undocumented),
    a wrong method, a body where none is read, a long URL: each status is
    in the operation's responses and each code in that status's enum."""
    url = path.replace("{slug}", "kubernetes-deploy")
    other = "delete"
    cases = [(method, url + "?q=%01", 400, "invalid_character"), (method, url + "?q=%ff", 400, "invalid_encoding"),
             (other, url, 405, "method_not_allowed"), (method, url + "?x=" + "a" * 5000, 414, "uri_too_long")]
    if method == "get":
        cases.append(("get", url, 413, "payload_too_large"))
    for verb, target, status, code in cases:
        kwargs = {"data": "x" * 5000} if status == 413 else {}
        response = client.open(target, method=verb.upper(), **kwargs)
        assert response.status_code == status, (verb, target[:60], response.get_data(as_text=True)[:200])
        assert response.get_json()["error"]["code"] == code
        assert code in _documented_codes(op["responses"][str(status)]), (path, status, code)


def test_documented_search_parameters_are_the_accepted_ones(client: FlaskClient) -> None:
    params = SPEC["paths"]["/api/search"]["get"]["parameters"]
    names = {p["name"] for p in params}
    assert names == {"q", "tag", "category", "author", "from", "to", "sort", "page", "per_page"}
    # every documented bound is enforced
    by_name = {p["name"]: p["schema"] for p in params}
    too_long = "あ" * (by_name["q"]["maxLength"] + 1)
    assert client.get("/api/search", query_string={"q": too_long}).status_code == 400
    over = by_name["per_page"]["maximum"] + 1
    assert client.get("/api/search", query_string={"per_page": over}).status_code == 400
    assert client.get("/api/search", query_string={"sort": "score"}).status_code == 400
