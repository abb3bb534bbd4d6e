"""Settings of the web service: explicit values first, then `BLOGSEARCH_*`
environment variables, then defaults (`search.settings.resolve`).

Each setting `NAME` is the Flask config key `NAME` and the environment
variable `BLOGSEARCH_NAME`. The rows the library shares (INDEX, BASE_URL,
TIMEZONE, QUERY_LOG) are `search.settings`'; `ALL_SETTINGS` is the one
table of every setting.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from search.settings import (
    LIBRARY,
    LIBRARY_SETTINGS,
    Setting,
    SettingsError,
    check_base_url,
    optional_path,
    resolve,
)

# Setting, SettingsError and resolve are the web layer's names for search.settings'
__all__ = ["ALL_SETTINGS", "APP_SETTINGS", "SERVER_SETTINGS", "Setting", "SettingsError",
           "parse_origin", "resolve"]

DEFAULT_PORTS = {"http": 80, "https": 443}


def _int(value: Any, minimum: int, maximum: int | None = None) -> int:
    text = str(value).strip()
    if not text.lstrip("-").isdigit():
        raise ValueError("must be a whole number")
    number = int(text)
    if number < minimum or (maximum is not None and number > maximum):
        raise ValueError(f"must be between {minimum} and {maximum}" if maximum is not None
                         else f"must be {minimum} or more")
    return number


def _non_negative_int(value: Any) -> int:
    return _int(value, 0)


def _positive_int(value: Any) -> int:
    return _int(value, 1)


def _positive_seconds(value: Any) -> float:
    number = float(value)
    if not 0 < number <= 3600:
        raise ValueError("must be a number of seconds between 0 and 3600")
    return number


def _port(value: Any) -> int:
    return _int(value, 0, 65535)


def parse_origin(value: str) -> str:
    """`value` as a browser serialises an origin: `scheme://host[:port]`,
    lower case, default port left out. Raises ValueError for anything that
    is not an http(s) origin (a path, `*`, `null`, credentials...)."""
    text = value.strip()
    if text in ("*", "null"):
        raise ValueError(f"{text!r} is not allowed: list each site's origin, e.g. https://blog.example.com")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as e:
        raise ValueError(f"{value!r} is not an origin: {e}") from None
    if (parts.scheme.lower() not in DEFAULT_PORTS or not parts.hostname or parts.username is not None
            or parts.password is not None or parts.path not in ("", "/") or parts.query or parts.fragment):
        raise ValueError(f"{value!r} is not an origin like https://blog.example.com[:port]")
    scheme = parts.scheme.lower()
    try:
        host = parts.hostname.encode("idna").decode("ascii")  # as browsers send international names
    except UnicodeError:
        raise ValueError(f"{value!r} has an invalid host name") from None
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    if port is not None and port != DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    return f"{scheme}://{host}"


def _origins(value: Any) -> tuple[str, ...]:
    """Comma-separated origins (or a list), each in the browser's form (`parse_origin`)."""
    items = value.split(",") if isinstance(value, str) else value
    return tuple(dict.fromkeys(parse_origin(str(o)) for o in items if o and str(o).strip()))


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("", "0", "false", "no", "off"):
        return False
    raise ValueError("must be true or false (1/0, yes/no, on/off)")


def _base_url(value: Any) -> str:
    return check_base_url(value)


def _host(value: Any) -> str:
    host = str(value).strip()
    if not host or any(c.isspace() or c in "/[]" for c in host):
        raise ValueError("must be a host name or an IP address, e.g. 127.0.0.1")
    return host


def _lang(value: Any) -> str:
    from web.strings import parse_lang

    return parse_lang(value)


def _strings_file(value: Any) -> str | None:
    """A JSON file of UI string overrides (checked now, so a typo fails at start-up)."""
    from web.strings import load_overrides

    path = optional_path(value)
    load_overrides(path)
    return path


def _folder(value: Any) -> str | None:
    path = optional_path(value)
    if path is not None and not os.path.isdir(path):
        raise ValueError(f"{path} is not a folder")
    return path


def _stylesheet_url(value: Any) -> str:
    url = str(value or "").strip()
    if url and not (url.startswith("/") and not url.startswith("//")) and urlsplit(url).scheme not in ("http", "https"):
        raise ValueError("must be an http(s) URL or a path starting with /")
    return url


def _basic_auth(value: Any) -> str:
    text = str(value or "").strip()
    if text and (":" not in text or not text.split(":", 1)[0] or not text.split(":", 1)[1]):
        raise ValueError("must be user:password")
    return text


# Settings of the Flask application (create_app).
APP_SETTINGS = (
    LIBRARY["INDEX"],
    Setting("CACHE_SIZE", 1024, _non_negative_int,
            "search results kept per worker process (LRU entries); 0 disables the cache"),
    Setting("CORS_ORIGINS", (), _origins,
            "comma-separated origins (scheme://host[:port]) whose pages may call the API from a browser"),
    LIBRARY["BASE_URL"],
    LIBRARY["TIMEZONE"],
    Setting("READ_ONLY", False, _flag,
            "refuse to start unless the index folder, its files and every folder on the way to it "
            "are read-only for the server's user, and the index is readable (production: "
            "`blogsearch index` runs as another user)"),
    LIBRARY["QUERY_LOG"],
    Setting("SITE_TITLE", "", str,
            "the blog's name, shown in the search pages' header (empty: the `title` of the _config.yml "
            "the index was built with, else the catalogue's 「ブログ内検索」)"),
    Setting("SITE_URL", "", _base_url,
            "the blog's home page, linked from the search pages' header (empty: BASE_URL)"),
    Setting("LANG", "ja", _lang, "language of the pages and the search box: ja or en (unset: the "
            "`lang` of the _config.yml the index was built with, if ja or en)"),
    Setting("STRINGS", None, _strings_file,
            "a JSON file {\"key\": \"text\"} overriding texts of the pages and the search box "
            "(keys in web/strings.py)"),
    Setting("TEMPLATES", None, _folder,
            "a folder of Jinja templates used before the built-in ones (same names as web/templates, "
            "e.g. base.html)"),
    Setting("STYLESHEET_URL", "", _stylesheet_url,
            "a stylesheet the search pages load after their own (http(s) URL or /path)"),
    Setting("REPORT_AUTH", "", _basic_auth,
            "user:password: /editor/report asks for them (HTTP basic auth; use HTTPS); empty: open"),
    Setting("EDITOR_CONCURRENCY", 1, _non_negative_int,
            "expensive editor requests (drafts, duplicates, editor pages) computed at once per "
            "worker process; as many more wait up to 2 s, others get 503 `busy`; 0 = no limit"),
)

# Settings of the server process (blogsearch serve).
SERVER_SETTINGS = (
    Setting("HOST", "127.0.0.1", _host, "address to listen on"),
    Setting("PORT", 8000, _port, "port to listen on"),
    Setting("WORKERS", 2, _positive_int, "gunicorn worker processes (one per core)"),
    Setting("THREADS", 4, _positive_int, "threads per worker (keep-alive connections served at once)"),
    Setting("CLIENT_TIMEOUT", 10.0, _positive_seconds,
            "seconds a client has to send a request's head, and then its body; slower clients "
            "get 408 and are disconnected"),
)


# The one table: every setting of blogsearch, each declared once.
ALL_SETTINGS = LIBRARY_SETTINGS + tuple(s for s in APP_SETTINGS + SERVER_SETTINGS
                                        if s.name not in LIBRARY)
