"""blogsearch's settings: the `Setting` type, how a value is found (given,
else its `BLOGSEARCH_*` variable, else the default: `resolve`), the checks
of their values, and the library's rows of the one table of settings.

The library's commands (`search.cli`) read the rows below; the web
service's own rows (server and app) are in `web.settings`, whose
`ALL_SETTINGS` is the whole table: every `BLOGSEARCH_*` variable is
declared once (tests/test_settings_table.py checks it against the code and
the README).

Each check returns the value to use or raises ValueError with one line that
says what is wrong and what would do.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from search.ingest.posts import DEFAULT_TIMEZONE, check_permalink

__all__ = ["ENV_PREFIX", "LIBRARY", "LIBRARY_SETTINGS", "Setting", "SettingsError", "check_base_url",
           "check_permalink", "check_seconds", "check_timezone", "env", "optional_path", "resolve"]

ENV_PREFIX = "BLOGSEARCH_"


class SettingsError(ValueError):
    """A setting with a value blogsearch cannot use; names the setting."""


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    parse: Callable[[Any], Any]
    help: str

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name


def resolve(
    settings: tuple[Setting, ...],
    given: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Each setting's value: `given[name]`, else the environment, else the default."""
    given = given or {}
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for s in settings:
        if s.name in given:
            raw, source = given[s.name], s.name
        elif s.env in environ:
            raw, source = environ[s.env], s.env
        else:
            values[s.name] = s.default
            continue
        try:
            values[s.name] = s.parse(raw)
        except (TypeError, ValueError) as e:
            raise SettingsError(f"{source}={raw!r}: {e}") from None
    return values


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


def optional_path(value: Any) -> str | None:
    """A folder, or None (off) for an empty value."""
    if value is None:
        return None
    return str(value).strip() or None


def _text(value: Any) -> str:
    return str(value).strip()


# The library's rows: what `blogsearch index`, `check`, `query` and `report`
# read (their options' defaults come from these variables); `serve` reads
# INDEX, BASE_URL, TIMEZONE and QUERY_LOG too. A command may have its own
# default (`index --timezone` defaults to _config.yml's zone).
LIBRARY_SETTINGS = (
    Setting("INDEX", "index", _text, "index folder built by `blogsearch index`"),
    Setting("POSTS", None, _text, "the Jekyll site folder (posts in _posts/) or a folder of posts"),
    Setting("CONFIG", None, _text,
            "Jekyll configuration files, comma-separated (default: the site's _config.yml)"),
    Setting("BASE_URL", "", check_base_url,
            "the blog's URL, e.g. https://blog.example.com, or a path such as /blog: the prefix of "
            "post URLs in the index, and of relative post links on the search pages"),
    Setting("PERMALINK", None, check_permalink, "Jekyll permalink style or pattern of post URLs"),
    Setting("TIMEZONE", DEFAULT_TIMEZONE, check_timezone,
            "the blog's time zone: dates without an offset, and the days of `from`/`to` and reports"),
    Setting("INDEX_WAIT", 30.0, check_seconds,
            "seconds `blogsearch index` waits for another indexer on the same index"),
    Setting("QUERY_LOG", "querylog", optional_path,
            "folder of the search log (queries, result counts and filters; never addresses or "
            "cookies) read by `blogsearch report` and /editor/report; empty disables logging"),
)
LIBRARY = {s.name: s for s in LIBRARY_SETTINGS}


def env(name: str, default: str | None = None) -> str | None:
    """The raw value of a library setting's variable (KeyError for a name the
    table does not declare: every variable is in the one table)."""
    return os.environ.get(LIBRARY[name].env, default)
