"""Module paths are part of the index format: Whoosh pickles the schema's
analyzers and fields and each segment's codec by module path. An index
written by an earlier release is refused with the rebuild message (its
schema version is read before its pickle), never a ModuleNotFoundError or
a 500; a new index pickles exactly the modules listed as the format's."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from search import Searcher, build_index
from search.errors import SchemaVersionError
from search.index.schema import FORMAT_MODULES, SCHEMA_VERSION
from tests.support import REPO
from web import create_app

OLD_INDEX = REPO / "tests" / "fixtures" / "index-schema3"


def test_an_index_of_the_release_before_the_module_moves_gets_the_rebuild_message(tmp_path: Path) -> None:
    index = tmp_path / "index"
    shutil.copytree(OLD_INDEX, index)
    toc = next(index.glob("_MAIN_*.toc")).read_bytes()
    assert b"search.analysis" in toc and b"search.codec" in toc  # modules that no longer exist
    with pytest.raises(SchemaVersionError, match=f"schema version 3.*needs version {SCHEMA_VERSION}.*--rebuild"):
        Searcher(index)
    client = create_app({"INDEX": str(index)}).test_client()
    response = client.get("/api/search?q=デプロイ")
    assert response.status_code == 503
    assert "--rebuild" in response.get_json()["error"]["message"]
    assert client.get("/search?q=デプロイ").status_code == 503


def test_a_new_index_pickles_only_the_modules_of_the_format(tmp_path: Path) -> None:
    """Moving or renaming one of FORMAT_MODULES breaks every index built
    before: this fails first, so the move comes with a version bump."""
    build_index(REPO / "data" / "posts", tmp_path / "index", procs=1)
    toc = next((tmp_path / "index").glob("_MAIN_*.toc")).read_bytes()
    # protocol 2's GLOBAL (`c` module \n name \n) or protocol 4's length-prefixed strings
    pickled = {m.decode() for m in re.findall(rb"(?<![A-Za-z0-9_.])c?(search(?:\.[A-Za-z_]\w*)+)", toc)}
    assert pickled == set(FORMAT_MODULES)
