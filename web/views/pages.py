"""The server-rendered search pages (work without JavaScript)."""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any, Callable
from urllib.parse import urlsplit

from flask import Blueprint, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue

from web.data import search_data, tags_data
from web.querylog import record_search
from web.errors import ApiError
from web.http_cache import cacheable
from web.params import MAX_RESULT_WINDOW, SearchParams, parse_search_params

bp = Blueprint("pages", __name__)

FILTER_NAMES = ("tag", "category", "author", "from", "to")
HOME_TAGS = 30
# The pages' icon (a magnifier), served at /favicon.ico, where browsers look for it.
FAVICON_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
               '<circle cx="13" cy="13" r="8.5" fill="none" stroke="#0550ae" stroke-width="4"/>'
               '<path d="M19.5 19.5 28 28" stroke="#0550ae" stroke-width="4.5" stroke-linecap="round"/>'
               '</svg>')
SUBMITTED = "s"  # set by the search form: the searches the reader typed (logged), not page turns


def filter_labels() -> dict[str, str]:
    strings = current_app.extensions["blogsearch_strings"]
    return {name: strings(f"filter.{name}") for name in FILTER_NAMES}


@bp.app_template_filter("ja_date")
def ja_date(value: str) -> str:
    """'2025-04-10T23:45:00+09:00' → '2025年4月10日'."""
    try:
        when = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return value or ""
    return f"{when.year}年{when.month}月{when.day}日"


@bp.app_template_filter("local_date")
def local_date(value: str) -> str:
    """A post's date as the site's language writes it: 2025年4月10日 or 2025-04-10."""
    if current_app.config["LANG"] == "ja":
        return ja_date(value)
    try:
        return datetime.fromisoformat(value).date().isoformat()
    except (TypeError, ValueError):
        return value or ""


def safe_href(url: str, base_url: str = "") -> str:
    """A post's URL for a link: a path is put under the blog's `base_url`;
    anything but http(s) and paths becomes '#'. Browsers drop tabs and new
    lines from a URL and read a backslash as a slash, so `/\\host/x` and
    `/<tab>/host/x` are another host's address, not paths."""
    url = (url or "").strip()
    parts = urlsplit(url)
    path = re.sub(r"[\t\n\r]", "", url).replace("\\", "/")
    if not parts.scheme and path.startswith("/") and not path.startswith("//"):
        return base_url.rstrip("/") + url
    if parts.scheme in ("http", "https") and parts.netloc:
        return url
    return "#"


@bp.app_template_filter("post_href")
def post_href(url: str) -> str:
    return safe_href(url, current_app.config["BASE_URL"])


def page_numbers(page: int, pages: int, around: int = 2) -> list[int | None]:
    """Page links to show: first, last and `around` each side of the current
    page, with None where pages are skipped."""
    shown = sorted({1, pages, *range(max(1, page - around), min(pages, page + around) + 1)})
    out: list[int | None] = []
    for n in shown:
        if out and n - (out[-1] or 0) > 1:
            out.append(None)
        out.append(n)
    return out


def pagination(result: dict[str, Any], page_url: Callable[[int], str]) -> dict[str, Any]:
    per_page = result["per_page"]
    pages = min(math.ceil(result["total"] / per_page), MAX_RESULT_WINDOW // per_page)
    page = result["page"]
    first = (page - 1) * per_page + 1
    return {"page": page, "pages": pages, "numbers": page_numbers(page, max(pages, 1)),
            "url": page_url, "first": first, "last": first + len(result["hits"]) - 1}


@bp.get("/")
@cacheable
def home() -> ResponseReturnValue:
    tags = tags_data()["tags"][:HOME_TAGS]
    return render_template("home.html", params=SearchParams(), tags=tags)


@bp.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    """Browsers ask for /favicon.ico whatever the page links: the same icon, not a 404."""
    response = current_app.response_class(FAVICON_SVG, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.get("/search")
@cacheable
def search() -> ResponseReturnValue:
    params = parse_search_params(request.args)
    result = None if params.empty else search_data(params)
    if request.args.get(SUBMITTED):  # the form's submit; page turns, sorting, filters are not new searches
        record_search(params, result)  # never fails the search

    def page_url(n: int) -> str:
        return url_for("pages.search", **params.to_args(page=n))

    def tag_url(tag: str) -> str:  # narrows the search
        tags = params.tags if tag in params.tags else params.tags + (tag,)
        return url_for("pages.search", **params.to_args(tags=tags))

    return render_template(
        "search.html", params=params, result=result, labels=filter_labels(), tag_url=tag_url,
        pager=pagination(result, page_url) if result else None,
    )


@bp.get("/tags/<path:tag>")
@cacheable
def tag(tag: str) -> ResponseReturnValue:
    args = {k: v for k, v in request.args.items() if k in ("page", "per_page")}
    params = parse_search_params({**args, "tag": tag, "sort": "date"})
    if not params.tags:
        raise ApiError(404, "not_found", "no tag given")
    result = search_data(params)
    if result["total"] == 0:
        raise ApiError(404, "not_found", f"no posts are tagged {tag!r}", text="tag_not_found", tag=tag)

    def page_url(n: int) -> str:
        return url_for("pages.tag", tag=tag, **({"page": n} if n > 1 else {}),
                       **({"per_page": params.per_page} if "per_page" in args else {}))

    return render_template("tag.html", tag=params.tags[0], params=params, result=result,
                           pager=pagination(result, page_url),
                           tag_url=lambda t: url_for("pages.tag", tag=t))
