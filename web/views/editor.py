"""Tools for the blog's editors (issue 4): related posts, suggested tags and
repeated passages for a post or a draft, and a report of what readers search.

JSON API (described in `web.openapi`):

* `GET  /api/related/<slug>?limit=5`  — `related_posts(...).to_dict()`
* `POST /api/related?limit=5`         — a draft as JSON `{"title", "body", "tags"?}`
  or as a Markdown file (`Content-Type: text/markdown`, front matter optional):
  `related_to_draft(...).to_dict()` (with `suggested_tags`) plus `duplicates`,
  the draft's `duplicates_in_draft(...).to_dict()`, so an editor needs one call;
* `GET  /api/duplicates/<slug>`       — `duplicates_in_post(...).to_dict()`.

Pages (server-rendered, no JavaScript needed):

* `GET /editor`, `GET /editor?slug=…` — the draft form, or the report for a post;
* `POST /editor` — the report for a pasted draft (an ordinary form POST: the
  app sets no cookies and stores nothing, so there is no session to forge and
  no CSRF token is needed);
* `GET /editor/report?since=&until=` — top queries and top zero-result
  queries from the search log.

Draft bodies may be up to DRAFT_MAX_BYTES; every other route keeps the
app's 4096-byte limit (per-endpoint limits in `web.guards`). The search log
is written by `web.querylog.record_search`, called from the search views.
"""

from __future__ import annotations

import hmac
import re
from typing import Any, Iterable

from flask import Blueprint, Flask, current_app, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from search.ingest.drafts import parse_draft
from search.editorial.duplicates import duplicates_in_draft, duplicates_in_post
from search.errors import PostError
from search import Searcher
from search.editorial.querylog import (FIRST_DAY, LAST_DAY, UNOPENED_MIN_SEARCHES, DayCount, PeriodError,
                                      QueryLogError, check_day, report)
from web.chart import daily_chart
from search.editorial.related import PostNotFound, related_posts, related_to_draft
from web.data import post_data, shared_searcher
from web.errors import ApiError
from web.http_cache import cacheable, no_store
from web.limits import expensive
from web.params import date_param, int_param
from web.querylog import query_log, register_query_log

DRAFT_MAX_BYTES = 256 * 1024  # request bodies of the draft routes
DEFAULT_LIMIT = 5
MAX_LIMIT = 20
REPORT_LIMIT = 20
MAX_TAGS = 20
MARKDOWN_TYPES = ("text/markdown", "text/x-markdown")

api_bp = Blueprint("editor_api", __name__, url_prefix="/api")
pages_bp = Blueprint("editor", __name__)

# Endpoints that read a draft from the request body.
DRAFT_ENDPOINTS = frozenset({"editor_api.related_draft", "editor.editor_draft"})

_TAG_SEPARATORS = re.compile(r"[,，、\n]+")


# --- setup -------------------------------------------------------------------


def register_editor(app: Flask) -> None:
    """Blueprints, the draft routes' body limit and the search log (call after
    `register_guards`, which enforces body limits per endpoint)."""
    app.config["BODY_LIMITS"].update(dict.fromkeys(DRAFT_ENDPOINTS, DRAFT_MAX_BYTES))
    register_query_log(app)
    app.register_blueprint(api_bp)
    app.register_blueprint(pages_bp)
    app.add_template_filter(mark_terms)
    app.add_template_filter(report_time)
    app.before_request(check_report_auth)


# --- reading requests ----------------------------------------------------------


def parse_limit(args: MultiDict[str, str]) -> int:
    return int_param(args, "limit", DEFAULT_LIMIT, high=MAX_LIMIT)


def split_tags(text: str) -> list[str]:
    """Tags typed in a form field: separated by commas, 、 or new lines."""
    return [t.strip() for t in _TAG_SEPARATORS.split(text or "") if t.strip()][:MAX_TAGS]


def _draft_from_json() -> tuple[str, str, list[str], list[str]]:
    data = request.get_json()  # 400 invalid_json if unreadable (web.guards.BlogsearchRequest)
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "the request body must be a JSON object "
                       '{"title": ..., "body": ..., "tags": [...]}')
    title, body, tags = data.get("title", ""), data.get("body"), data.get("tags", [])
    if title is None:
        title = ""
    if not isinstance(title, str):
        raise ApiError(400, "invalid_title", "title must be a string")
    if not isinstance(body, str) or not body.strip():
        raise ApiError(400, "missing_body", "body must be a non-empty string")
    if isinstance(tags, str):
        tags = split_tags(tags)
    if tags is None:
        tags = []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags) or len(tags) > MAX_TAGS:
        raise ApiError(400, "invalid_tags", f"tags must be a list of at most {MAX_TAGS} strings")
    return title, body, tags, []


def _draft_from_markdown() -> tuple[str, str, list[str], list[str]]:
    try:
        markdown = request.get_data(cache=False).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_encoding", "the Markdown draft is not valid UTF-8") from None
    if not markdown.strip():
        raise ApiError(400, "missing_body", "the request body is empty: send the draft's Markdown")
    try:
        draft = parse_draft(markdown)  # DraftTooLarge: 413 (web.errors)
    except PostError as e:
        raise ApiError(400, "invalid_draft", e.reason) from None
    if not draft.body.strip() and not draft.title.strip():
        raise ApiError(400, "missing_body", "the draft has neither a title nor any text")
    return draft.title, draft.body, list(draft.tags), list(draft.categories)


# --- the work (on the worker's editor searcher, under its own lock) -----------


def _post_reports(slug: str, limit: int, duplicates: bool = True) -> dict[str, Any]:
    def work(searcher: Searcher) -> dict[str, Any]:
        out = {"related": related_posts(searcher, slug, limit).to_dict()}
        if duplicates:
            out["duplicates"] = duplicates_in_post(searcher, slug).to_dict()
        return out

    # PostNotFound answers 404 post_not_found (web.errors)
    return shared_searcher().cached(("editor-post", slug, limit, duplicates), work, lane="editor")[1]


def _draft_reports(title: str, body: str, tags: list[str], categories: list[str],
                   limit: int) -> dict[str, Any]:
    def work(searcher: Searcher) -> dict[str, Any]:
        data = related_to_draft(searcher, title, body, tags, limit, categories=categories).to_dict()
        data["duplicates"] = duplicates_in_draft(searcher, body, title).to_dict()
        return data

    # DraftTooLarge answers 413 draft_too_large (web.errors)
    return shared_searcher().run(work, lane="editor")[1]


# --- JSON API --------------------------------------------------------------------


@api_bp.get("/related/<slug>")
@cacheable
def related_post(slug: str) -> ResponseReturnValue:
    limit = parse_limit(request.args)
    return jsonify(_post_reports(slug, limit, duplicates=False)["related"])


@api_bp.post("/related")
@expensive
def related_draft() -> ResponseReturnValue:
    limit = parse_limit(request.args)
    if request.mimetype in MARKDOWN_TYPES:
        draft = _draft_from_markdown()
    elif request.is_json:
        draft = _draft_from_json()
    elif not request.content_length:
        raise ApiError(400, "missing_body", "send the draft as JSON or as text/markdown")
    else:
        raise ApiError(415, "unsupported_media_type",
                       "send the draft as application/json or text/markdown")
    return no_store(jsonify(_draft_reports(*draft, limit)))


@api_bp.get("/duplicates/<slug>")
@cacheable
@expensive
def duplicates(slug: str) -> ResponseReturnValue:
    def work(searcher: Searcher) -> dict[str, Any]:
        return duplicates_in_post(searcher, slug).to_dict()

    return jsonify(shared_searcher().cached(("duplicates", slug), work, lane="editor")[1])


# --- pages -------------------------------------------------------------------------


def mark_terms(text: str, terms: Iterable[str]) -> list[tuple[str, bool]]:
    """`text` cut into (piece, is_a_term) pairs: each occurrence of `terms`
    (case-insensitive, longest first) is its own piece. The `marked` macro of
    editor.html puts term pieces in `<mark>`; Jinja escapes every piece, so
    nothing the user sent is ever marked safe."""
    text = text or ""
    words = sorted({t for t in terms if t and t.strip()}, key=len, reverse=True)
    if not words:
        return [(text, False)] if text else []
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    parts: list[tuple[str, bool]] = []
    pos = 0
    for m in pattern.finditer(text):
        if m.start() > pos:
            parts.append((text[pos:m.start()], False))
        parts.append((m.group(), True))
        pos = m.end()
    if pos < len(text):
        parts.append((text[pos:], False))
    return parts


def _with_posts(related: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Related posts with their excerpt and date (from the cached post data)."""
    out = []
    for r in related:
        post = post_data(r["slug"]) or {}
        out.append({**r, "excerpt": post.get("excerpt", ""), "date": post.get("date", "")})
    return out


@pages_bp.get("/editor")
@cacheable
@expensive
def editor() -> ResponseReturnValue:
    slug = " ".join(request.args.get("slug", "").split())
    limit = parse_limit(request.args)
    if not slug:
        return render_template("editor.html", form={}, result=None)
    try:
        data = _post_reports(slug, limit)
    except PostNotFound:
        raise ApiError(404, "not_found", f"no post with slug {slug!r} is indexed",
                       text="post_not_found", slug=slug) from None
    related = data["related"]
    return render_template(
        "editor.html", form={"slug": slug}, source={"kind": "post", "slug": slug, "title": related["title"]},
        result={"key_terms": related["key_terms"], "related": _with_posts(related["related"]),
                "suggested_tags": None, "duplicates": data["duplicates"]},
    )


@pages_bp.post("/editor")
@expensive
def editor_draft() -> ResponseReturnValue:
    limit = parse_limit(request.args)
    form = {"title": request.form.get("title", ""), "body": request.form.get("body", ""),
            "tags": request.form.get("tags", "")}
    if not form["body"].strip():
        page = render_template("editor.html", form=form, result=None,
                               message=current_app.extensions["blogsearch_strings"]("editor.body_required"))
        return no_store((page, 400))
    title, body, tags, categories = _pasted_front_matter(form["title"].strip(), form["body"],
                                                         split_tags(form["tags"]))
    data = _draft_reports(title, body, tags, categories, limit)
    return no_store(render_template(
        "editor.html", form=form, source={"kind": "draft", "title": data["title"]},
        result={**data, "related": _with_posts(data["related"])},
    ))


def _pasted_front_matter(title: str, body: str, tags: list[str]
                         ) -> tuple[str, str, list[str], list[str]]:
    """A whole Markdown file pasted into the body: its front matter gives the title
    (unless the form has one), tags and categories, as `POST /api/related` reads it."""
    if not re.match(r"\ufeff?---[ \t]*\r?\n", body):
        return title, body, tags, []
    try:
        draft = parse_draft(body)  # DraftTooLarge: 413 (web.errors)
    except PostError:
        return title, body, tags, []  # not front matter after all: the text as it is
    merged = list(dict.fromkeys([*tags, *draft.tags]))[:MAX_TAGS]
    return title or draft.title, draft.body, merged, list(draft.categories)


@pages_bp.get("/editor/report")
@expensive
def editor_report() -> ResponseReturnValue:
    since, until = date_param(request.args, "since"), date_param(request.args, "until")
    try:
        check_day("since", since)
        check_day("until", until)
    except PeriodError as e:
        raise ApiError(400, "invalid_date", str(e), text="day_out_of_range",
                       first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat()) from None
    if since and until and since > until:
        raise ApiError(400, "invalid_date_range", "since must not be after until")
    log = query_log()
    result = None
    if log.enabled:
        assert log.log_dir is not None
        try:
            result = report(log.log_dir, since, until, REPORT_LIMIT,
                            current_app.config["TIMEZONE"]).to_dict()
        except QueryLogError:
            result = None
    chart = None
    if result is not None:
        chart = daily_chart([DayCount(**d) for d in result["days"]])
    page = render_template("editor_report.html", enabled=log.enabled, report=result, chart=chart,
                           since=since.isoformat() if since else "",
                           until=until.isoformat() if until else "",
                           min_searches=UNOPENED_MIN_SEARCHES,
                           search_url=lambda q: url_for("pages.search", q=q))
    return no_store(page)


def report_time(value: str) -> str:
    """'2026-12-02T20:36:02+09:00' → '2026-12-02 20:36' (the report's time zone is named once)."""
    return value[:16].replace("T", " ") if value else ""


def check_report_auth() -> None:
    """HTTP basic auth on /editor/report when REPORT_AUTH (user:password) is set."""
    expected = current_app.config.get("REPORT_AUTH")
    if not expected or request.endpoint != "editor.editor_report":
        return
    auth = request.authorization
    given = f"{auth.username}:{auth.password}" if auth and auth.type == "basic" else ""
    if not hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode("utf-8")):
        raise ApiError(401, "unauthorized", "this page needs the editors' user name and password")
