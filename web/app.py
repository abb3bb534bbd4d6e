"""`create_app(config)`: the Flask application, its settings checked, its
views, guards and error handlers registered, one shared searcher per worker.
"""

from __future__ import annotations

import os
from importlib import metadata
from pathlib import Path
from typing import Any, Mapping

from flask import Flask
from jinja2 import ChoiceLoader, FileSystemLoader

from search import site_info
from search.index.storage import require_read_only
from web.views import api, health, pages, widget
from web.cors import register_cors
from web.views.editor import register_editor
from web.errors import register_error_handlers
from web.guards import register_guards
from web.params import MAX_QUERY_CHARS
from web.searching import SharedSearcher
from web.security import register_security
from web.settings import APP_SETTINGS, resolve
from web.strings import Strings, load_overrides, parse_lang


def _app_version() -> str:
    try:
        return metadata.version("blogsearch")
    except metadata.PackageNotFoundError:
        return "dev"


def _site_from_index(app: Flask, given: Mapping[str, Any]) -> None:
    """The blog's `title` and `lang` from the `_config.yml` the index was built
    with, where SITE_TITLE and LANG are not set (read when the app starts)."""
    info = site_info(app.config["INDEX"])
    if not app.config["SITE_TITLE"] and info.title:
        app.config["SITE_TITLE"] = info.title
    lang_set = "LANG" in given or any(s.env in os.environ for s in APP_SETTINGS if s.name == "LANG")
    if not lang_set and info.lang:
        try:
            app.config["LANG"] = parse_lang(info.lang)
        except ValueError:
            pass  # a language without a catalogue (fr): the default stays


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The Flask application. Settings missing from `config` come from
    `BLOGSEARCH_*` environment variables, then defaults (see web.settings);
    other keys (TESTING, ...) go to Flask's config as given."""
    config = dict(config or {})
    app = Flask(__name__)
    app.config.update(config)
    app.config.update(resolve(APP_SETTINGS, config))
    _site_from_index(app, config)
    app.config.setdefault("APP_VERSION", _app_version())
    if app.config["READ_ONLY"]:
        require_read_only(app.config["INDEX"])  # before anything opens the index
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True
    if app.config["TEMPLATES"]:  # the site's templates first, the built-in ones for the rest
        app.jinja_loader = ChoiceLoader([FileSystemLoader(app.config["TEMPLATES"]),
                                         FileSystemLoader(str(Path(app.root_path) / "templates"))])
    strings = Strings(app.config["LANG"], load_overrides(app.config["STRINGS"]))
    app.extensions["blogsearch_strings"] = strings
    app.extensions["blogsearch"] = SharedSearcher(app.config["INDEX"], app.config["CACHE_SIZE"])

    register_guards(app)
    register_error_handlers(app)
    register_cors(app)
    register_security(app)
    register_editor(app)  # after register_guards: draft routes get a larger body limit
    app.register_blueprint(api.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(widget.bp)

    site = {"title": app.config["SITE_TITLE"], "url": app.config["SITE_URL"] or app.config["BASE_URL"],
            "lang": app.config["LANG"], "stylesheet": app.config["STYLESHEET_URL"]}

    @app.context_processor
    def page_globals() -> dict[str, Any]:
        return {"max_query_chars": MAX_QUERY_CHARS, "t": strings, "site": site}

    return app
