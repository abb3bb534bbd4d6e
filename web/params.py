"""Reading and checking search parameters, and the limits the service enforces.

Checking is done here, before the library is called, so that every
mistake a client can make gets a 400 with a precise code and message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from werkzeug.datastructures import MultiDict

from search.query import plan, searcher
from web.errors import ApiError

MAX_QUERY_CHARS = plan.MAX_QUERY_CHARS  # 256; longer queries are refused
MAX_PER_PAGE = searcher.MAX_PER_PAGE  # 50
MAX_RESULT_WINDOW = searcher.MAX_RESULT_WINDOW  # page × per_page ≤ 1000
DEFAULT_PER_PAGE = 10
MAX_TAGS = 10
MAX_VALUE_CHARS = 100  # a tag, category or author
SORTS = ("relevance", "date")
EARLIEST = date(1900, 1, 1)  # dates outside these bounds mean "no bound"
LATEST = date(2999, 12, 31)

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NUMBER = re.compile(r"[0-9]{1,9}")


@dataclass(frozen=True)
class SearchParams:
    """A checked, normalised search request (hashable: used as a cache key)."""

    q: str = ""
    tags: tuple[str, ...] = ()
    category: str | None = None
    author: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    @property
    def empty(self) -> bool:
        """Nothing asked: no words and no filter."""
        return not self.q and not self.filters()

    def filters(self) -> list[tuple[str, str]]:
        """The active filters as (parameter, value) pairs, in URL order."""
        pairs = [("tag", t) for t in self.tags]
        if self.category:
            pairs.append(("category", self.category))
        if self.author:
            pairs.append(("author", self.author))
        if self.date_from:
            pairs.append(("from", self.date_from.isoformat()))
        if self.date_to:
            pairs.append(("to", self.date_to.isoformat()))
        return pairs

    def cache_key(self) -> tuple[Any, ...]:
        """Requests with equal keys have equal results (tag order does not matter)."""
        return (self.q, tuple(sorted(self.tags)), self.category, self.author,
                self.date_from, self.date_to, self.sort, self.page, self.per_page)

    def library_kwargs(self, timezone: str) -> dict[str, Any]:
        """Keyword arguments for `Searcher.search` (dates as whole days in `timezone`)."""
        tz = ZoneInfo(timezone)
        start = end = None
        if self.date_from and self.date_from > EARLIEST:
            start = datetime.combine(self.date_from, time.min, tz)
        if self.date_to and self.date_to < LATEST:
            end = datetime.combine(self.date_to + timedelta(days=1), time.min, tz)
            end -= timedelta(microseconds=1)  # `to` includes the whole day
        return {"tags": list(self.tags), "category": self.category, "author": self.author,
                "date_from": start, "date_to": end, "sort": self.sort,
                "page": self.page, "per_page": self.per_page}

    def to_args(self, **changes: Any) -> dict[str, Any]:
        """Query-string arguments for these parameters with `changes` applied;
        defaults are left out. Changing anything but `page` goes back to page 1."""
        params = replace(self, **changes)
        if "page" not in changes and changes:
            params = replace(params, page=1)
        args: dict[str, Any] = {}
        if params.q:
            args["q"] = params.q
        for name, value in params.filters():
            if name == "tag":
                args.setdefault("tag", []).append(value)
            else:
                args[name] = value
        if params.sort != "relevance":
            args["sort"] = params.sort
        if params.page != 1:
            args["page"] = params.page
        if params.per_page != DEFAULT_PER_PAGE:
            args["per_page"] = params.per_page
        return args

    def without(self, name: str, value: str) -> dict[str, Any]:
        """Arguments with one filter removed (for「条件を外す」links)."""
        if name == "tag":
            return self.to_args(tags=tuple(t for t in self.tags if t != value))
        field = {"category": "category", "author": "author",
                 "from": "date_from", "to": "date_to"}[name]
        return self.to_args(**{field: None})


def _first(args: MultiDict[str, str], name: str) -> str:
    return " ".join(args.get(name, "").split())


def _bad(code: str, message: str) -> ApiError:
    return ApiError(400, code, message)


def int_param(args: MultiDict[str, str], name: str, default: int, high: int | None = None) -> int:
    """An optional whole-number parameter (up to 9 ASCII digits): `default`
    when absent, else 400 `invalid_<name>` unless it is a number (between 1
    and `high` when `high` is given). The one integer parser of the web layer."""
    raw = args.get(name, "").strip()
    if not raw:
        return default
    if high is None:
        if not _NUMBER.fullmatch(raw):
            raise _bad(f"invalid_{name}", f"{name} must be a whole number, not {raw[:20]!r}")
    elif not _NUMBER.fullmatch(raw) or not 1 <= int(raw) <= high:
        raise _bad(f"invalid_{name}",
                   f"{name} must be a whole number between 1 and {high}, not {raw[:20]!r}")
    return int(raw)


def date_param(args: MultiDict[str, str], name: str) -> date | None:
    """An optional YYYY-MM-DD parameter; 400 invalid_date otherwise."""
    raw = args.get(name, "").strip()
    if not raw:
        return None
    try:
        if not _DATE.fullmatch(raw):
            raise ValueError
        return date.fromisoformat(raw)
    except ValueError:
        raise _bad("invalid_date", f"{name} must be a date as YYYY-MM-DD, not {raw[:20]!r}") from None


def _value(args: MultiDict[str, str], name: str) -> str | None:
    value = _first(args, name)
    if len(value) > MAX_VALUE_CHARS:
        raise _bad("value_too_long", f"{name} may be at most {MAX_VALUE_CHARS} characters")
    return value or None


def parse_search_params(args: MultiDict[str, str] | Mapping[str, str]) -> SearchParams:
    """The checked parameters of a search request; raises ApiError (400)."""
    if not isinstance(args, MultiDict):
        args = MultiDict(args)
    q = _first(args, "q")
    if len(q) > MAX_QUERY_CHARS:
        raise _bad("query_too_long",
                   f"the query is {len(q)} characters long; at most {MAX_QUERY_CHARS} are allowed")
    tags: list[str] = []
    for raw in args.getlist("tag"):
        tag = " ".join(raw.split())
        if len(tag) > MAX_VALUE_CHARS:
            raise _bad("value_too_long", f"tag may be at most {MAX_VALUE_CHARS} characters")
        if tag and tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise _bad("too_many_tags", f"at most {MAX_TAGS} tags may be given")
    date_from, date_to = date_param(args, "from"), date_param(args, "to")
    if date_from and date_to and date_from > date_to:
        raise _bad("invalid_date_range", "from must not be after to")
    sort = args.get("sort", "").strip() or "relevance"
    if sort not in SORTS:
        raise _bad("invalid_sort", f"sort must be 'relevance' or 'date', not {sort[:20]!r}")
    per_page = int_param(args, "per_page", DEFAULT_PER_PAGE)
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise _bad("invalid_per_page", f"per_page must be between 1 and {MAX_PER_PAGE}")
    page = int_param(args, "page", 1)
    if page < 1:
        raise _bad("invalid_page", "page must be 1 or more")
    if page * per_page > MAX_RESULT_WINDOW:
        raise _bad("page_out_of_range",
                   f"page × per_page may be at most {MAX_RESULT_WINDOW} (the result window); "
                   "narrow the search with words or filters instead")
    return SearchParams(q, tuple(tags), _value(args, "category"), _value(args, "author"),
                        date_from, date_to, sort, page, per_page)
