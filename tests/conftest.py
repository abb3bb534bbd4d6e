"""Shared fixtures: an index of the sample posts (built once per session),
the Flask app on it, and its test client."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from search.indexer import build_index
from search.posts import SiteConfig

REPO = Path(__file__).resolve().parents[1]
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
