"""The `blogsearch` command: the library's commands (index, query, tokenize)
plus `serve`, which runs the web service under gunicorn.

    python -m web.cli serve --index DIR [--host 127.0.0.1] [--port 8000] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from typing import Sequence

from search import cli as search_cli
from web.settings import APP_SETTINGS, SERVER_SETTINGS, Setting, SettingsError, resolve

READ_ONLY = next(s for s in APP_SETTINGS if s.name == "READ_ONLY")


def _option(p: argparse.ArgumentParser, flag: str, setting: Setting, **kwargs: object) -> None:
    """An option for `setting`, its environment variable as the default;
    both are checked by the setting's parser before anything starts."""
    value = os.environ.get(setting.env)
    default = setting.default if value is None else search_cli.EnvValue(value, setting.env)
    shown = ",".join(setting.default) if isinstance(setting.default, tuple) else setting.default
    p.add_argument(flag, default=default, type=search_cli.checked(setting.parse),
                   help=f"{setting.help} (env {setting.env}, default {shown!r})", **kwargs)


def _subcommands(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    raise RuntimeError("search.cli.build_parser() has no subcommands")


def build_parser() -> argparse.ArgumentParser:
    parser = search_cli.build_parser()
    p = _subcommands(parser).add_parser(
        "serve", help="run the search service (JSON API and search pages) with gunicorn"
    )
    search_cli.add_index_option(p)
    app, server = {s.name: s for s in APP_SETTINGS}, {s.name: s for s in SERVER_SETTINGS}
    _option(p, "--host", server["HOST"])
    _option(p, "--port", server["PORT"])
    _option(p, "--workers", server["WORKERS"])
    _option(p, "--threads", server["THREADS"])
    _option(p, "--client-timeout", server["CLIENT_TIMEOUT"])
    _option(p, "--cache-size", app["CACHE_SIZE"])
    _option(p, "--base-url", app["BASE_URL"])
    _option(p, "--cors-origins", app["CORS_ORIGINS"])
    _option(p, "--timezone", app["TIMEZONE"])
    _option(p, "--query-log", app["QUERY_LOG"])
    _option(p, "--editor-concurrency", app["EDITOR_CONCURRENCY"])
    _option(p, "--site-title", app["SITE_TITLE"])
    _option(p, "--site-url", app["SITE_URL"])
    _option(p, "--lang", app["LANG"])
    _option(p, "--strings", app["STRINGS"])
    _option(p, "--templates", app["TEMPLATES"])
    _option(p, "--stylesheet-url", app["STYLESHEET_URL"])
    p.add_argument("--read-only", action="store_true", default=None,
                   help=f"{READ_ONLY.help} (env {READ_ONLY.env}=1)")
    p.add_argument("--access-log", action="store_true", help="log every request to stderr")
    p.set_defaults(func=cmd_serve)
    return parser


def cmd_serve(args: argparse.Namespace) -> int:
    from search.errors import SearchError
    from search.index.schema import check_readable
    from search.index.storage import require_read_only
    from search import Searcher
    from web.server import gunicorn_options, is_loopback, serve

    try:  # every setting the workers' create_app reads, checked here: one line, not a traceback per worker
        read_only = resolve((READ_ONLY,), {"READ_ONLY": True} if args.read_only else {})["READ_ONLY"]
        app_config = {"INDEX": args.index, "CACHE_SIZE": args.cache_size, "BASE_URL": args.base_url,
                      "CORS_ORIGINS": args.cors_origins, "TIMEZONE": args.timezone,
                      "QUERY_LOG": args.query_log, "READ_ONLY": read_only,
                      "EDITOR_CONCURRENCY": args.editor_concurrency, "SITE_TITLE": args.site_title,
                      "SITE_URL": args.site_url, "LANG": args.lang, "STRINGS": args.strings,
                      "TEMPLATES": args.templates, "STYLESHEET_URL": args.stylesheet_url}
        resolve(APP_SETTINGS, app_config)
        _check_listen_address(args.host, args.port)
    except SettingsError as e:
        print(f"blogsearch serve: {e}", file=sys.stderr)
        return 2
    if read_only:  # exit 2 with the reason, before gunicorn starts:
        require_read_only(args.index)  # IndexWritableError
        check_readable(args.index)  # IndexUnreadableError: what the check could not see, it cannot vouch for
    try:
        with Searcher(args.index) as searcher:
            print(f"index {args.index}: {searcher.doc_count} posts, generation {searcher.generation}",
                  file=sys.stderr)
    except SearchError as e:  # serve anyway: /readyz says 503 until the index is there
        print(f"blogsearch: warning: {e}", file=sys.stderr)
    options = gunicorn_options(args.host, args.port, args.workers, args.threads, args.access_log)
    print(f"serving http://{args.host}:{args.port}/ with {args.workers} workers", file=sys.stderr)
    if not is_loopback(args.host) and "FORWARDED_ALLOW_IPS" not in os.environ:
        print(f"blogsearch: warning: serving on {args.host} with no proxy in front: slow clients "
              "can tie up its threads; put it behind a buffering proxy such as nginx "
              "(deploy/nginx.conf; README, Deployment) and set FORWARDED_ALLOW_IPS to the proxy's "
              "address", file=sys.stderr)
    serve(app_config, options, args.client_timeout)
    return 0


def _check_listen_address(host: str, port: int) -> None:
    """SettingsError unless `host` is an address this machine can listen on
    (gunicorn retries a bad one five times, then exits with status 1)."""
    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (OSError, UnicodeError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise SettingsError(f"--host {host!r}: cannot listen there: {reason}") from None


def main(argv: Sequence[str] | None = None) -> int:
    return search_cli.main(argv, build_parser())


if __name__ == "__main__":
    sys.exit(main())
