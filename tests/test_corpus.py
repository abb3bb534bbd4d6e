"""Large-scale checks on the real ja-docs corpus and the seed post (skipped without ../shared)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from search.indexer import build_index
from search.posts import load_posts
from search.query import Searcher

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
from corpus import SHARED, unpacked_corpus  # noqa: E402

SEED = SHARED / "fixtures" / "seed-post.md"
pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def sample_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = unpacked_corpus("ja-docs-sample")
    if site is None:
        pytest.skip("../shared/corpus is absent")
    index_dir = tmp_path_factory.mktemp("ja-docs-sample-index")
    report = build_index(site, index_dir, procs=2)
    assert report.errors == [] and report.total == 200
    return index_dir


def test_sample_corpus_indexes_and_every_post_finds_itself(sample_index: Path) -> None:
    site = unpacked_corpus("ja-docs-sample")
    posts = load_posts(site).posts
    found = 0
    with Searcher(sample_index) as s:
        for post in posts[::10]:
            found += post.slug in [h.slug for h in s.search(post.title).hits[:3]]
            hit = s.search(post.title, per_page=1).hits[0]
            assert hit.snippet_html and len(hit.snippet_html) < 1200
    assert found >= 0.9 * len(posts[::10])


def test_snippets_land_on_the_query_word_in_long_posts(sample_index: Path) -> None:
    with Searcher(sample_index) as s:
        for query in ["ファイル", "オプション", "パッケージ", "関数"]:
            for hit in s.search(query).hits:
                assert "<mark>" in hit.snippet_html + hit.title_html, (query, hit.slug)


@pytest.fixture
def seed_folder(tmp_path: Path) -> Path:
    if not SEED.exists():
        pytest.skip("../shared/fixtures is absent")
    folder = tmp_path / "_posts"
    folder.mkdir()
    shutil.copy(SEED, folder / "2026-01-17-amazon-ai-chip.md")
    return tmp_path


def test_seed_post_quirks(seed_folder: Path, tmp_path: Path) -> None:
    post = load_posts(seed_folder).posts[0]
    assert post.title == "「Amazonの可能性とは？"
    assert post.tags == ["AI", "最新ニュース", "技術動向", "Amazon", "投資", "チップ"]
    assert post.date.isoformat() == "2026-01-17T16:38:30+00:00"
    assert "**" not in post.body and "---END---" in post.body
    report = build_index(seed_folder, tmp_path / "ix", procs=1)
    assert report.total == 1
    with Searcher(tmp_path / "ix") as s:
        for query in ["ＡＷＳのＡＩチップ", "Trainium2", "Maia 100", "2.5倍", "H100", "高速化する"]:
            hits = s.search(query).hits
            assert [h.slug for h in hits] == ["amazon-ai-chip"], query
            assert "<mark>" in hits[0].snippet_html, query
