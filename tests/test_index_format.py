"""Module paths are part of the index format: Whoosh pickles the schema's
analyzers and fields and each segment's codec by module path, so an index
written by an earlier release must still open after modules move."""

from __future__ import annotations

import shutil
from pathlib import Path

from search import Searcher
from tests.support import REPO

OLD_INDEX = REPO / "tests" / "fixtures" / "index-schema3"


def test_index_written_before_the_module_moves_opens_and_answers(tmp_path: Path) -> None:
    index = tmp_path / "index"
    shutil.copytree(OLD_INDEX, index)
    toc = next(index.glob("_MAIN_*.toc")).read_bytes()
    assert b"search.analysis" in toc and b"search.codec" in toc  # the old paths, really
    with Searcher(index) as searcher:
        result = searcher.search("デプロイ")
        assert [hit.slug for hit in result.hits] == ["kubernetes-deploy"]
        assert "<mark>デプロイ</mark>" in result.hits[0].snippet_html
