"""Settings of the web service: explicit values first, then `BLOGSEARCH_*`
environment variables, then defaults. Read only here and in the CLI.

Each setting `NAME` is the Flask config key `NAME` and the environment
variable `BLOGSEARCH_NAME`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from search.posts import DEFAULT_TIMEZONE

ENV_PREFIX = "BLOGSEARCH_"


class SettingsError(ValueError):
    """A setting with a value blogsearch cannot use; names the setting."""


def _non_negative_int(value: Any) -> int:
    number = int(value)
    if number < 0:
        raise ValueError("must be 0 or more")
    return number


def _positive_int(value: Any) -> int:
    number = int(value)
    if number < 1:
        raise ValueError("must be 1 or more")
    return number


def _port(value: Any) -> int:
    number = int(value)
    if not 0 <= number <= 65535:
        raise ValueError("must be between 0 and 65535")
    return number


def _origins(value: Any) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else value
    return tuple(o.strip().rstrip("/") for o in items if o and o.strip())


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("", "0", "false", "no", "off"):
        return False
    raise ValueError("must be true or false (1/0, yes/no, on/off)")


def _timezone(value: Any) -> str:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ValueError(f"unknown time zone {value!r}") from e
    return str(value)


def _base_url(value: Any) -> str:
    return str(value).strip().rstrip("/")


def _optional_path(value: Any) -> str | None:
    """A folder, or None (off) for an empty value."""
    if value is None:
        return None
    return str(value).strip() or None


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    parse: Callable[[Any], Any]
    help: str

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name


# Settings of the Flask application (create_app).
APP_SETTINGS = (
    Setting("INDEX", "index", str, "index folder built by `blogsearch index`"),
    Setting("CACHE_SIZE", 1024, _non_negative_int,
            "search results kept per worker process (LRU entries); 0 disables the cache"),
    Setting("CORS_ORIGINS", (), _origins,
            "comma-separated origins allowed to call the API from a browser (stored; used by the widget issue)"),
    Setting("BASE_URL", "", _base_url,
            "the blog's URL, e.g. https://blog.example.com (as for `blogsearch index`): "
            "relative post links on the search pages are made absolute with it"),
    Setting("TIMEZONE", DEFAULT_TIMEZONE, _timezone,
            "time zone of the `from`/`to` dates (the blog's time zone)"),
    Setting("READ_ONLY", False, _flag,
            "refuse to start unless the index folder, its files and its parent are read-only "
            "for the server's user (production: `blogsearch index` runs as another user)"),
    Setting("QUERY_LOG", "querylog", _optional_path,
            "folder of the search log (queries, result counts and filters; never addresses or "
            "cookies) read by `blogsearch report` and /editor/report; empty disables logging"),
)

# Settings of the server process (blogsearch serve).
SERVER_SETTINGS = (
    Setting("HOST", "127.0.0.1", str, "address to listen on"),
    Setting("PORT", 8000, _port, "port to listen on"),
    Setting("WORKERS", 2, _positive_int, "gunicorn worker processes (one per core)"),
    Setting("THREADS", 4, _positive_int, "threads per worker (keep-alive connections served at once)"),
)


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
