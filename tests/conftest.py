"""Shared fixtures: an index of the sample posts (built once per session),
the Flask app on it, and its test client."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from search import build_index
from search.ingest.posts import SiteConfig

from tests.support import REPO  # noqa: E402
POSTS_DIR = REPO / "data" / "posts"


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of data/posts in a temporary folder (read-only by convention)."""
    path = tmp_path_factory.mktemp("index")
    report = build_index(POSTS_DIR, path, SiteConfig(), procs=1)
    assert not report.errors, report.errors
    return path


@pytest.fixture
def posts_copy(tmp_path: Path) -> Path:
    """A private, writable copy of data/posts."""
    target = tmp_path / "posts"
    shutil.copytree(POSTS_DIR, target)
    return target


@pytest.fixture
def app(index_dir: Path) -> Flask:
    from web import create_app

    return create_app({"TESTING": True, "INDEX": str(index_dir), "TIMEZONE": "Asia/Tokyo",
                       "QUERY_LOG": ""})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


# --- the browser tests' Chromium (tests/browser/harness.py) ------------------

@pytest.fixture(scope="module")
def chromium() -> str:
    """Debian's Chromium; skips the module (fails it in CI) when it is missing."""
    from tests.browser.harness import chromium_path

    return chromium_path()


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Any]:
    """One headless Chromium per test module."""
    from playwright.sync_api import sync_playwright

    from tests.browser.harness import CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
