"""Editor tools on the web (issue 4): related posts, suggested tags and repeated
passages over the API and on /editor, and the search log with /editor/report."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from search.ingest.drafts import MAX_DRAFT_CHARS
from search import build_index
from search.ingest.posts import SiteConfig
from search import Searcher
from search.editorial.related import related_posts
from web import create_app
from web.views.editor import DRAFT_MAX_BYTES, mark_terms
from web.openapi import SPEC

POSTGRES = ("postgresql-backup", "postgresql-index-design")
DRAFT_TITLE = "PostgreSQLのレプリケーションとバックアップ"
DRAFT_BODY = (
    "PostgreSQLのデータベースを運用するとき、バックアップとリストアの手順は欠かせません。"
    "pg_dumpで論理バックアップを取り、pg_basebackupとWALアーカイブでポイントインタイムリカバリに備えます。\n\n"
    "インデックスの設計も見直し、クエリの実行計画をEXPLAINで確認しました。"
)
REPEATED = (
    "同じ段落を二度書いてしまうと、読者は記事の質を疑います。公開する前に、編集者は繰り返しを"
    "必ず確認しておきたいものです。"
)


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    return tmp_path / "querylog"


@pytest.fixture
def app(index_dir: Path, log_dir: Path) -> Flask:
    """The shared index, with the search log in a temporary folder."""
    return create_app({"TESTING": True, "INDEX": str(index_dir), "TIMEZONE": "Asia/Tokyo",
                       "QUERY_LOG": str(log_dir)})


def _log_entries(log_dir: Path) -> list[dict]:
    path = log_dir / "queries.jsonl"
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()] if path.exists() else []


# --- related posts -----------------------------------------------------------


def test_related_for_a_post_is_the_library_answer(client: FlaskClient, index_dir: Path) -> None:
    response = client.get("/api/related/postgresql-backup")
    assert response.status_code == 200 and response.headers["ETag"]
    data = response.get_json()
    assert data["slug"] == "postgresql-backup"
    top2 = {r["slug"]: r for r in data["related"][:2]}  # as in tests/test_related.py
    assert "PostgreSQL" in top2["postgresql-index-design"]["shared_terms"]
    with Searcher(index_dir) as searcher:
        assert data == json.loads(json.dumps(related_posts(searcher, "postgresql-backup", 5).to_dict()))
    data = client.get("/api/related/postgresql-index-design?limit=2").get_json()
    assert "postgresql-backup" in [r["slug"] for r in data["related"]] and len(data["related"]) == 2


@pytest.mark.parametrize("limit", ["0", "21", "x", "-1", "1.5"])
def test_bad_limit_is_400(client: FlaskClient, limit: str) -> None:
    response = client.get(f"/api/related/postgresql-backup?limit={limit}")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_limit"


@pytest.mark.parametrize("path", ["/api/related/no-such-post", "/api/duplicates/no-such-post"])
def test_unknown_slug_is_404_json(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "post_not_found"


def test_draft_as_json_gets_related_posts_tags_and_duplicates(client: FlaskClient) -> None:
    body = f"{DRAFT_BODY}\n\n{REPEATED}\n\n{REPEATED}"
    response = client.post("/api/related", json={"title": DRAFT_TITLE, "body": body,
                                                  "tags": ["PostgreSQL"]})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    data = response.get_json()
    assert {r["slug"] for r in data["related"][:2]} == set(POSTGRES)
    tags = [t["tag"] for t in data["suggested_tags"]]
    assert "データベース" in tags and "PostgreSQL" not in tags  # given tags are not suggested
    (repeat,) = data["duplicates"]["repeated"]
    assert repeat["kind"] == "exact" and repeat["first"]["slug"] == ""
    assert body[repeat["second"]["start"]:repeat["second"]["end"]] == REPEATED
    assert body[repeat["first"]["start"]:repeat["first"]["end"]] == REPEATED


def test_draft_as_json_with_crlf_lines_finds_repeated_paragraphs(client: FlaskClient) -> None:
    """A JSON draft with CRLF line ends: paragraphs are found; offsets count
    the body with LF line ends."""
    body = f"{DRAFT_BODY}\n\n{REPEATED}\n\n{REPEATED}"
    data = client.post("/api/related", json={"title": DRAFT_TITLE, "body": body.replace("\n", "\r\n")}).get_json()
    (repeat,) = data["duplicates"]["repeated"]
    assert repeat["kind"] == "exact"
    assert body[repeat["second"]["start"]:repeat["second"]["end"]] == REPEATED


def test_draft_as_markdown_reads_front_matter(client: FlaskClient) -> None:
    markdown = f"---\ntitle: {DRAFT_TITLE}\ntags: [バックアップ]\n---\n\n# 見出し\n\n{DRAFT_BODY}\n"
    response = client.post("/api/related?limit=3", data=markdown.encode("utf-8"),
                           content_type="text/markdown; charset=utf-8")
    assert response.status_code == 200
    data = response.get_json()
    assert data["title"] == DRAFT_TITLE and len(data["related"]) == 3
    assert data["related"][0]["slug"] in POSTGRES
    assert data["related"][0]["shared_tags"] == ["バックアップ"]
    tags = [t["tag"] for t in data["suggested_tags"]]
    assert "PostgreSQL" in tags and "バックアップ" not in tags
    assert data["duplicates"]["repeated"] == []


@pytest.mark.parametrize("kwargs,code", [
    ({"data": "{not json", "content_type": "application/json"}, "invalid_json"),
    ({"json": ["a list"]}, "invalid_json"),
    ({"json": {"title": "題"}}, "missing_body"),
    ({"json": {"title": "題", "body": "   "}}, "missing_body"),
    ({"json": {"body": "本文", "tags": [1, 2]}}, "invalid_tags"),
    ({"json": {"body": "本文", "title": 3}}, "invalid_title"),
    ({}, "missing_body"),
    ({"data": b"", "content_type": "text/markdown"}, "missing_body"),
    ({"data": "\xff\xfe".encode("latin-1"), "content_type": "text/markdown"}, "invalid_encoding"),
    ({"data": "---\ntitle: [\n---\n本文", "content_type": "text/markdown"}, "invalid_draft"),
])
def test_bad_drafts_are_400(client: FlaskClient, kwargs: dict, code: str) -> None:
    response = client.post("/api/related", **kwargs)
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"]["code"] == code


@pytest.mark.parametrize("data", [
    "[" * 1000 + "]" * 1000,  # RecursionError in the JSON parser was a 500
    '{"title": "題", "body": ' + "[" * 990 + "]" * 990 + "}",
    '{"a":' * 20_000 + "1" + "}" * 20_000,
])
def test_json_nested_too_deeply_is_invalid_json(client: FlaskClient, data: str) -> None:
    response = client.post("/api/related", data=data, content_type="application/json")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_json"
    assert error["message"] == "the request body is not valid JSON: it is nested too deeply"


def test_json_that_is_not_json_says_why(client: FlaskClient) -> None:
    error = client.post("/api/related", data='{"body": "本文"', content_type="application/json").get_json()["error"]
    assert error["code"] == "invalid_json" and "\n" not in error["message"]
    assert error["message"].startswith("the request body is not valid JSON: Expecting ',' delimiter")


def test_draft_with_lone_surrogates_is_answered(client: FlaskClient) -> None:
    """JSON strings may hold lone surrogates ("\\ud800"), which have no UTF-8
    form: MeCab raised UnicodeEncodeError (a 500). Each is read as U+FFFD."""
    body = "\ud800" + DRAFT_BODY.replace("バックアップ", "バックアップ\udc00", 1)
    draft = {"title": "PostgreSQL\udfffのバックアップ", "body": body, "tags": ["タグ\ud800"]}
    response = client.post("/api/related", data=json.dumps(draft), content_type="application/json")
    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    assert data["title"] == "PostgreSQL\ufffdのバックアップ"
    assert {"バックアップ", "PostgreSQL"} <= set(data["key_terms"])
    assert {r["slug"] for r in data["related"][:2]} == set(POSTGRES)
    for only in ({"body": "\ud800"}, {"body": "テスト\udc00テスト"}):
        assert client.post("/api/related", data=json.dumps(only), content_type="application/json").status_code == 200


def test_other_content_types_are_415(client: FlaskClient) -> None:
    response = client.post("/api/related", data="本文", content_type="text/plain")
    assert response.status_code == 415
    assert response.get_json()["error"]["code"] == "unsupported_media_type"


def test_drafts_over_the_limits_are_413(client: FlaskClient) -> None:
    # over the draft route's body limit: refused before anything is read
    response = client.post("/api/related", data=b"a" * (DRAFT_MAX_BYTES + 1), content_type="text/markdown")
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"
    assert str(DRAFT_MAX_BYTES) in response.get_json()["error"]["message"]
    # within the byte limit but over the library's character limit
    body = "a" * (MAX_DRAFT_CHARS + 1)
    for kwargs in ({"json": {"title": "t", "body": body}},
                   {"data": body, "content_type": "text/markdown"}):
        response = client.post("/api/related", **kwargs)
        assert response.status_code == 413
        assert response.get_json()["error"]["code"] == "draft_too_large"


def test_the_larger_limit_is_for_draft_routes_only(client: FlaskClient) -> None:
    body = "x" * 10_000
    assert client.post("/api/related", json={"body": "本文" + body}).status_code == 200
    response = client.get("/api/search?q=AI", data=body)
    assert response.status_code == 413
    assert "4096" in response.get_json()["error"]["message"]
    assert client.get("/editor", data=body).status_code == 413


def test_related_draft_accepts_only_post(client: FlaskClient) -> None:
    response = client.get("/api/related")
    assert response.status_code == 405 and "POST" in response.headers["Allow"]


# --- repeated passages -------------------------------------------------------


@pytest.fixture
def dup_app(posts_copy: Path, tmp_path: Path) -> Flask:
    """data/posts plus a post with a repeated paragraph and one copying a paragraph."""
    (posts_copy / "2026-01-10-repeated-post.md").write_text(
        f"---\ntitle: 繰り返しのある記事\ntags: [編集]\n---\n\n前置きです。\n\n{REPEATED}\n\n"
        f"間に別の段落があります。\n\n{REPEATED}\n", encoding="utf-8")
    (posts_copy / "2026-01-11-copying-post.md").write_text(
        f"---\ntitle: 写した記事\ntags: [編集]\n---\n\n書き出しです。\n\n{REPEATED}\n", encoding="utf-8")
    index = tmp_path / "dup-index"
    report = build_index(posts_copy, index, SiteConfig(), procs=1)
    assert not report.errors, report.errors
    return create_app({"TESTING": True, "INDEX": str(index), "QUERY_LOG": ""})


def test_duplicates_of_a_post(dup_app: Flask) -> None:
    client = dup_app.test_client()
    response = client.get("/api/duplicates/repeated-post")
    assert response.status_code == 200 and response.headers["ETag"]
    data = response.get_json()
    assert data["slug"] == "repeated-post" and data["title"] == "繰り返しのある記事"
    (repeat,) = data["repeated"]
    assert (repeat["kind"], repeat["first"]["paragraph"], repeat["second"]["paragraph"]) == ("exact", 1, 3)
    assert repeat["excerpt"] and REPEATED.startswith(repeat["excerpt"].rstrip("…"))
    assert {r["first"]["slug"] for r in data["shared"]} == {"copying-post"}
    assert data["repeated_chars"] == repeat["chars"]
    assert client.get("/api/duplicates/postgresql-backup").get_json()["repeated"] == []


def test_editor_page_shows_both_locations(dup_app: Flask) -> None:
    page = dup_app.test_client().get("/editor?slug=repeated-post").get_data(as_text=True)
    assert "重複している文章" in page
    assert "第4段落" in page and "第2段落" in page  # both places, 1-based
    assert REPEATED[:20] in page
    assert 'href="/editor?slug=copying-post"' in page


# --- the editor page -----------------------------------------------------------


def test_editor_form_renders_without_a_source(client: FlaskClient) -> None:
    response = client.get("/editor")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'method="post"' in page and 'name="body"' in page and 'name="slug"' in page
    assert re.findall(r"<script[^>]*>[^<]*", page) == ['<script src="/static/page.js" defer>']
    assert "style=" not in page
    assert response.headers.get("Set-Cookie") is None


def test_editor_page_for_a_slug(client: FlaskClient) -> None:
    response = client.get("/editor?slug=postgresql-backup")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "PostgreSQLのバックアップ戦略" in page
    assert "PostgreSQLのインデックス設計" in page or "postgresql-index-design" in page
    assert "<mark>PostgreSQL</mark>" in page  # a shared term, highlighted
    assert 'href="/editor?slug=postgresql-index-design"' in page


def test_editor_page_for_an_unknown_slug_is_404_html(client: FlaskClient) -> None:
    response = client.get("/editor?slug=no-such-post")
    assert response.status_code == 404
    assert "ページが見つかりません" in response.get_data(as_text=True)


def test_editor_form_post_shows_related_posts_and_suggested_tags(client: FlaskClient) -> None:
    response = client.post("/editor", data={"title": DRAFT_TITLE, "body": DRAFT_BODY,
                                            "tags": "PostgreSQL、運用"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers.get("Set-Cookie") is None
    page = response.get_data(as_text=True)
    assert "おすすめのタグ" in page and "#データベース" in page
    assert "<mark>PostgreSQL</mark>" in page
    assert 'href="/editor?slug=postgresql-index-design"' in page
    assert DRAFT_TITLE in page  # the form keeps what was typed


def test_editor_form_post_with_crlf_lines_finds_repeated_paragraphs(client: FlaskClient) -> None:
    """Browsers post a textarea's lines with CRLF: paragraphs are still paragraphs."""
    body = f"{DRAFT_BODY}\n\n{REPEATED}\n\n{REPEATED}".replace("\n", "\r\n")
    page = client.post("/editor", data={"title": DRAFT_TITLE, "body": body}).get_data(as_text=True)
    assert "第4段落" in page and "第3段落" in page  # the repeat and where it was first
    assert REPEATED[:20] in page


def test_editor_form_post_without_body_is_400_with_the_form(client: FlaskClient) -> None:
    response = client.post("/editor", data={"title": "題だけ", "body": ""})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "本文を入力してください" in page and 'value="題だけ"' in page


def test_editor_escapes_a_draft_with_script(client: FlaskClient) -> None:
    evil = '<script>alert("x")</script>'
    body = f"{DRAFT_BODY}\n\n{evil}PostgreSQLの話です。{REPEATED}\n\n{evil}PostgreSQLの話です。{REPEATED}"
    response = client.post("/editor", data={"title": evil, "body": body, "tags": evil})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<script>" not in page and "<script" not in page.replace('<script src="/static/page.js" defer>', "")
    assert "&lt;script&gt;" in page
    assert "<mark>PostgreSQL</mark>" in page  # markup is still there


def test_mark_terms_cuts_text_at_the_terms() -> None:
    out = mark_terms('<b>PostgreSQL</b> と postgresql', ["PostgreSQL", "<b>", "SQL"])
    assert out == [("<b>", True), ("PostgreSQL", True), ("</b> と ", False), ("postgresql", True)]
    assert mark_terms("<i>", []) == [("<i>", False)]


def test_marked_terms_are_escaped_in_the_page(app: Flask) -> None:
    with app.test_request_context():
        macro = app.jinja_env.get_template("editor_macros.html").module.marked  # type: ignore[attr-defined]
        html = str(macro('<b>PostgreSQL</b> & "x"', ["PostgreSQL", "<b>"]))
    assert html == '<mark>&lt;b&gt;</mark><mark>PostgreSQL</mark>&lt;/b&gt; &amp; &#34;x&#34;'


# --- the search log and its report -------------------------------------------------


def test_searches_are_logged_and_reported(client: FlaskClient, log_dir: Path) -> None:
    assert client.post("/api/searched", query_string={"q": "ＰｏｓｔｇｒｅＳＱＬ  バックアップ"}).status_code == 204
    assert client.get("/search", query_string={"q": "PostgreSQL バックアップ", "tag": "データベース",
                                               "s": "1"}).status_code == 200
    zero = client.get("/api/search", query_string={"q": "xyzzyplugh"}).get_json()
    assert zero["total"] == 0
    client.post("/api/searched", query_string={"q": "xyzzyplugh"})
    client.get("/")  # not a search
    client.get("/search?s=1")  # nothing asked
    entries = _log_entries(log_dir)
    assert len(entries) == 3
    assert all(set(e) == {"time", "query", "filters", "results"} for e in entries)
    assert entries[0]["results"] > 0 and entries[2] == {**entries[2], "query": "xyzzyplugh", "results": 0}
    assert entries[1]["filters"]["tags"] == ["データベース"]

    response = client.get("/editor/report")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert "よく検索された語" in page and "結果がなかった検索語" in page
    assert "<strong>3</strong>回" in page
    zero_table = page.split('class="report-table zero-results"')[1].split("</table>")[0]
    assert '<a href="/search?q=xyzzyplugh">xyzzyplugh</a>' in zero_table and "バックアップ" not in zero_table
    top = page.split("結果がなかった検索語")[0]
    # full-width and half-width forms are one query, searched twice
    assert "バックアップ</a></td><td>2</td><td>0</td><td>0%</td>" in top


def test_report_period(client: FlaskClient, log_dir: Path) -> None:
    client.post("/api/searched?q=Kubernetes")
    page = client.get("/editor/report?since=2000-01-01&until=2000-01-02").get_data(as_text=True)
    assert "<strong>0</strong>回" in page and "Kubernetes" not in page
    assert client.get("/editor/report?since=2000-02-01&until=2000-01-01").status_code == 400
    assert client.get("/editor/report?since=yesterday").status_code == 400


@pytest.mark.parametrize("query,message", [
    ("since=0001-01-01", "since 0001-01-01 is out of range"),
    ("until=9999-12-31", "until 9999-12-31 is out of range"),
    ("since=0001-01-01&until=9999-12-31", "since 0001-01-01 is out of range"),
])
def test_report_days_out_of_range_are_400(client: FlaskClient, query: str, message: str) -> None:
    client.post("/api/searched?q=Kubernetes")  # the log has an entry to count
    response = client.get(f"/editor/report?{query}")
    assert response.status_code == 400  # was an OverflowError: HTML 500
    page = response.get_data(as_text=True)
    assert "日付は 0001-01-02 から 9999-12-30 までで指定してください。" in page
    widest = client.get("/editor/report?since=0001-01-02&until=9999-12-30")
    assert widest.status_code == 200 and "<strong>1</strong>回" in widest.get_data(as_text=True)


def test_logging_failures_never_fail_a_search(client: FlaskClient, log_dir: Path) -> None:
    shutil.rmtree(log_dir)
    log_dir.write_text("a file where the folder was")
    assert client.get("/api/search?q=Kubernetes").status_code == 200
    assert client.get("/search?q=Kubernetes").status_code == 200


def test_empty_setting_disables_logging(index_dir: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BLOGSEARCH_QUERY_LOG", "")
    app = create_app({"TESTING": True, "INDEX": str(index_dir)})
    client = app.test_client()
    assert client.get("/api/search?q=Kubernetes").status_code == 200
    assert list(tmp_path.iterdir()) == []  # no ./querylog, nothing written
    page = client.get("/editor/report").get_data(as_text=True)
    assert "検索ログは無効です" in page


def test_query_log_setting_comes_from_the_environment(index_dir: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BLOGSEARCH_QUERY_LOG", str(tmp_path / "env-log"))
    client = create_app({"TESTING": True, "INDEX": str(index_dir)}).test_client()
    client.post("/api/searched?q=Rust")
    assert [e["query"] for e in _log_entries(tmp_path / "env-log")] == ["Rust"]


def test_serve_has_a_query_log_option() -> None:
    from web.cli import build_parser

    args = build_parser().parse_args(["serve", "--index", "i", "--query-log", ""])
    assert args.query_log is None
    args = build_parser().parse_args(["serve", "--index", "i", "--query-log", "/var/log/bs"])
    assert args.query_log == "/var/log/bs"


# --- the OpenAPI description ---------------------------------------------------------


def test_openapi_documents_the_editor_routes(client: FlaskClient) -> None:
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert set(paths["/api/related/{slug}"]) == {"get"}
    assert set(paths["/api/related"]) == {"post"}
    assert set(paths["/api/duplicates/{slug}"]) == {"get"}
    content = paths["/api/related"]["post"]["requestBody"]["content"]
    assert set(content) == {"application/json", "text/markdown"}
    schemas = SPEC["components"]["schemas"]
    data = client.post("/api/related", json={"title": DRAFT_TITLE, "body": DRAFT_BODY}).get_json()
    assert set(data) == set(schemas["DraftResult"]["properties"])
    assert set(data["related"][0]) == set(schemas["RelatedPost"]["properties"])
    assert set(data["duplicates"]) == set(schemas["DuplicateReport"]["properties"])
    related = client.get("/api/related/postgresql-backup").get_json()
    assert set(related) == set(schemas["RelatedResult"]["properties"])


# --- issue 16: a search is logged once, when the reader settles; opened results; the report ----


def test_page_turns_sorting_filters_and_keystrokes_are_not_new_searches(client: FlaskClient,
                                                                         log_dir: Path) -> None:
    """One reader's 「サーバー」: typed in the box, submitted, then paged, sorted and filtered."""
    for typed in ("サ", "サー", "サーバ", "サーバー"):  # the box asks the API at each pause
        client.get("/api/search", query_string={"q": typed, "per_page": 5})
    client.post("/api/searched", query_string={"q": "サーバー"})  # the box: the reader settled
    page = client.get("/search", query_string={"q": "サーバー", "s": "1"})  # the form's submit
    html = page.get_data(as_text=True)
    links = re.findall(r'href="(/search\?[^"]+)"', html)
    assert links and not any("s=1" in link for link in links)  # the page's own links carry no s=1
    for link in links:  # page turns, the date sort, tag and category filters
        client.get(link.replace("&amp;", "&"))
    assert [e["query"] for e in _log_entries(log_dir)] == ["サーバー", "サーバー"]


def test_an_opened_result_is_recorded_without_the_reader(client: FlaskClient, log_dir: Path) -> None:
    client.get("/search", query_string={"q": "PostgreSQL", "s": "1"})
    headers = {"User-Agent": "Mozilla/5.0 secret-agent", "Cookie": "id=42", "X-Forwarded-For": "203.0.113.9"}
    assert client.post("/api/opened", query_string={"q": "PostgreSQL", "slug": "postgresql-backup",
                                                    "rank": "1"}, headers=headers).status_code == 204
    client.post("/api/opened", query_string={"q": "PostgreSQL", "slug": "存在しない記事"})  # ignored
    client.post("/api/opened", query_string={"slug": "postgresql-backup"})  # no query: ignored
    assert client.post("/api/opened", query_string={"q": "x" * 300}).status_code == 400
    entries = _log_entries(log_dir)
    assert entries[1:] == [{**entries[1], "query": "PostgreSQL", "opened": "postgresql-backup", "rank": 1}]
    assert set(entries[1]) == {"time", "query", "opened", "rank"}
    raw = (log_dir / "queries.jsonl").read_text("utf-8")
    assert "secret-agent" not in raw and "203.0.113.9" not in raw and "id=42" not in raw
    page = client.get("/editor/report").get_data(as_text=True)
    assert "開かれた結果 1件" in page and "PostgreSQL</a></td><td>1</td><td>0</td><td>100%</td>" in page


def test_report_shows_the_blogs_time_zone_a_chart_and_unopened_queries(client: FlaskClient,
                                                                        log_dir: Path) -> None:
    from datetime import datetime, timezone

    from search.editorial.querylog import QueryLog

    log = QueryLog(log_dir)
    utc = timezone.utc
    log.record("ペンギン", 0, when=datetime(2026, 12, 1, 16, 0, tzinfo=utc))  # 12月2日 01:00 in Tokyo
    log.record("バックアップ", 3, when=datetime(2026, 12, 2, 11, 36, 2, tzinfo=utc))
    log.record("バックアップ", 3, when=datetime(2026, 12, 3, 0, 0, tzinfo=utc))
    log.record("監視", 2, when=datetime(2026, 12, 3, 1, 0, tzinfo=utc))
    log.record("監視", 2, when=datetime(2026, 12, 3, 2, 0, tzinfo=utc))
    log.record_open("監視", "server-operations-guide", 1, when=datetime(2026, 12, 3, 2, 0, 5, tzinfo=utc))
    page = client.get("/editor/report").get_data(as_text=True)
    assert "（時刻は Asia/Tokyo）" in page
    assert '<time datetime="2026-12-02T01:00:00+09:00">2026-12-02 01:00</time>' in page  # not 12-01T16:00Z
    assert "2026-12-01" not in page and "T16:00" not in page
    chart = page.split('<svg class="chart"')[1].split("</svg>")[0]
    assert chart.count('<rect class="bar"') == 2  # 12月2日 and 12月3日 in Tokyo
    assert "2026-12-02: 検索 2回、結果なし 50%" in chart and "2026-12-03: 検索 3回、結果なし 0%" in chart
    unopened = page.split('class="report-table unopened"')[1].split("</table>")[0]
    assert ">バックアップ</a>" in unopened and "監視" not in unopened


def test_report_access_needs_the_editors_password_when_set(index_dir: Path, log_dir: Path) -> None:
    import base64

    client = create_app({"TESTING": True, "INDEX": str(index_dir), "QUERY_LOG": str(log_dir),
                         "REPORT_AUTH": "editor:秘密のパス"}).test_client()
    refused = client.get("/editor/report")
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Basic ")
    assert "ログインが必要です" in refused.get_data(as_text=True)
    wrong = base64.b64encode("editor:違う".encode()).decode()
    assert client.get("/editor/report", headers={"Authorization": f"Basic {wrong}"}).status_code == 401
    right = base64.b64encode("editor:秘密のパス".encode()).decode()
    assert client.get("/editor/report", headers={"Authorization": f"Basic {right}"}).status_code == 200
    assert client.get("/editor").status_code == 200  # only the report holds what readers searched
    assert client.get("/search?q=AI").status_code == 200


def test_front_matter_pasted_into_the_body_is_read(client: FlaskClient) -> None:
    markdown = ("---\ntitle: PostgreSQLのバックアップを自動化する\ntags: [データベース, 運用]\n"
                "categories: 技術解説\n---\n\n" + DRAFT_BODY)
    page = client.post("/editor", data={"title": "", "body": markdown, "tags": ""}).get_data(as_text=True)
    assert "下書き「PostgreSQLのバックアップを自動化する」の関連記事" in page
    assert "（無題）" not in page
    terms = page.split('class="key-terms"')[1].split("</p>")[0]
    assert "title" not in terms and "tags" not in terms and "categories" not in terms
    # a title typed in the form wins over the pasted one
    page = client.post("/editor", data={"title": "手で付けた題", "body": markdown}).get_data(as_text=True)
    assert "下書き「手で付けた題」の関連記事" in page
