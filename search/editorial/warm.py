"""Building up front what the editor's requests would build on first need.

`Searcher.warm` builds what searches and completions need; related posts
and repeated passages need more of an index generation: the statistics of
`search.editorial.related` (tags' idf, the information of each title) and
the posts of each passage hash (`passages` column). A server builds them
for a new generation before it answers from it (`web.searching`), so the
first editor request after a commit does not wait for them.
"""

from __future__ import annotations

from search.editorial.related import TEXT_FIELDS, warm_related
from search.query.searcher import Searcher


def warm_editor(searcher: Searcher) -> None:
    """Build the tables of related posts and of repeated passages."""
    if searcher.doc_count == 0:
        return
    snapshot = searcher.snapshot
    for fieldname in TEXT_FIELDS:
        snapshot.lengths(fieldname)
    warm_related(snapshot)
    snapshot.column_terms("passages")
