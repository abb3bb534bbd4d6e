"""The relevance regression suite: reader queries over data/posts and the post they must find."""

from __future__ import annotations

from pathlib import Path

import pytest

from search import build_index
from search import Searcher
from tests.golden_queries import GOLDEN, NOT_LISTED, VARIANTS

POSTS = Path(__file__).resolve().parents[1] / "data" / "posts"


@pytest.fixture(scope="module")
def searcher(tmp_path_factory: pytest.TempPathFactory):
    index_dir = tmp_path_factory.mktemp("golden-index")
    report = build_index(POSTS, index_dir, procs=1)
    assert not report.errors
    with Searcher(index_dir) as s:
        yield s


@pytest.mark.parametrize("query,slug", GOLDEN, ids=[q for q, _ in GOLDEN])
def test_expected_post_ranks_first(searcher: Searcher, query: str, slug: str) -> None:
    hits = searcher.search(query).hits
    assert [h.slug for h in hits[:1]] == [slug], [h.slug for h in hits[:5]]


@pytest.mark.parametrize("query,slug", VARIANTS, ids=[q for q, _ in VARIANTS])
def test_variant_spelling_finds_post_in_top_three(searcher: Searcher, query: str, slug: str) -> None:
    hits = searcher.search(query).hits
    assert slug in [h.slug for h in hits[:3]], [h.slug for h in hits[:5]]


@pytest.mark.parametrize("query,slug", GOLDEN[:12], ids=[q for q, _ in GOLDEN[:12]])
def test_snippet_marks_a_query_word(searcher: Searcher, query: str, slug: str) -> None:
    hit = next(h for h in searcher.search(query).hits if h.slug == slug)
    assert "<mark>" in hit.snippet_html + hit.title_html
    assert 40 <= len(hit.snippet_html.replace("<mark>", "").replace("</mark>", "")) <= 400


@pytest.mark.parametrize("query,slug", NOT_LISTED, ids=[q for q, _ in NOT_LISTED])
def test_post_matching_only_noise_is_not_listed(searcher: Searcher, query: str, slug: str) -> None:
    assert slug not in [h.slug for h in searcher.search(query, per_page=50).hits]
