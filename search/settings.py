"""Checks of setting values, shared by the command line (`search.cli`,
`web.cli`) and the web service's settings (`web.settings`), so that a bad
value is refused before anything starts, with one line that says what is
wrong and what would do.

Each check returns the value to use or raises ValueError with that line.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from search.ingest.posts import check_permalink

__all__ = ["check_base_url", "check_permalink", "check_seconds", "check_timezone"]


def check_timezone(value: Any) -> str:
    """An IANA time zone name that this machine's time zone data knows."""
    name = str(value).strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}: give an IANA name such as Asia/Tokyo or UTC") from None
    return name


def check_base_url(value: Any) -> str:
    """The prefix of post URLs, without a trailing slash: empty, an http(s)
    URL (`https://blog.example.com`, `https://example.com/blog`), or a path
    on the blog's own site (`/blog`)."""
    text = str(value).strip()
    if not text:
        return ""
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (raises ValueError for a bad port)
    except ValueError as e:
        raise ValueError(f"{text!r} is not a URL: {e}") from None
    absolute = parts.scheme in ("http", "https") and bool(parts.hostname)
    path_only = not parts.scheme and not parts.netloc and text.startswith("/") and not text.startswith("//")
    if not (absolute or path_only) or parts.query or parts.fragment or parts.username or parts.password \
            or any(c.isspace() or c == "\\" for c in text):
        raise ValueError(f"{text!r} is not a base URL: give the blog's URL such as "
                         "https://blog.example.com, or a path such as /blog")
    return text.rstrip("/")


def check_seconds(value: Any) -> float:
    """A number of seconds, 0 or more."""
    try:
        seconds = float(str(value).strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a number of seconds") from None
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{value!r} is not a number of seconds, 0 or more")
    return seconds
