"""blogsearch's library: search a Jekyll blog's posts in Japanese.

The public API, used by `web`, `bench` and the tests:

    from search import Searcher, build_index
    build_index("site", "index")            # posts → index (full or incremental)
    with Searcher("index") as searcher:
        result = searcher.search("ファイルのグループを変更する")

Names are imported on first use, so `import search.errors` (or the command
line's `tokenize`) does not load Whoosh or NumPy. The layout and the data
flow are in the README's Architecture section.
"""

from __future__ import annotations

import importlib
from typing import Any

_API = {
    "Searcher": "search.query.searcher",
    "SearchResult": "search.query.hits",
    "Hit": "search.query.hits",
    "plan_query": "search.query.plan",
    "build_index": "search.index.build",
    "IndexReport": "search.index.build",
    "check_index": "search.index.check",
    "open_index": "search.index.schema",
    "site_info": "search.index.schema",
    "SiteInfo": "search.index.schema",
    "analyze": "search.text.morph",
    "SiteConfig": "search.ingest.posts",
    "load_posts": "search.ingest.posts",
    "read_config": "search.ingest.jekyll",
    "parse_draft": "search.ingest.drafts",
    "related_posts": "search.editorial.related",
    "related_to_draft": "search.editorial.related",
    "duplicates_in_post": "search.editorial.duplicates",
    "duplicates_in_draft": "search.editorial.duplicates",
    "blog_duplicates": "search.editorial.duplicates",
    "QueryLog": "search.editorial.querylog",
    "SearchError": "search.errors",
    "NotFound": "search.errors",
    "TooLarge": "search.errors",
    "Invalid": "search.errors",
    "Unavailable": "search.errors",
}
__all__ = sorted(_API)


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'search' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))
