"""The index schema, its version, and opening an index safely."""

from __future__ import annotations

import json
import os
from pathlib import Path

from whoosh import index
from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema
from whoosh.index import Index

from search.analysis import CjkBigramAnalyzer, JapaneseAnalyzer
from search.errors import IndexNotFoundError, SchemaVersionError

# Bump whenever the schema or the analysis changes what is stored in the index.
SCHEMA_VERSION = 1
META_FILE = "blogsearch.json"


def make_schema() -> Schema:
    ja = JapaneseAnalyzer()
    bigram = CjkBigramAnalyzer()
    return Schema(
        slug=ID(stored=True, unique=True, sortable=True),
        url=STORED(),
        path=STORED(),
        hash=ID(stored=True, sortable=True),
        title=TEXT(analyzer=ja, stored=True, chars=True),
        title_ngram=TEXT(analyzer=bigram, phrase=False),
        body=TEXT(analyzer=ja, stored=True, chars=True),
        body_ngram=TEXT(analyzer=bigram, phrase=False),
        tags_text=TEXT(analyzer=ja, phrase=False),
        tags=KEYWORD(stored=True, commas=True, scorable=False, sortable=True),
        categories=KEYWORD(stored=True, commas=True, scorable=False, sortable=True),
        author=ID(stored=True, sortable=True),
        date=DATETIME(sortable=True),  # naive UTC: Whoosh ignores time zones
        published=STORED(),  # the post's date in ISO 8601 with its offset
        excerpt=STORED(),
    )


def create_index(index_dir: str | os.PathLike[str]) -> Index:
    """Create an empty index (replacing any index in `index_dir`)."""
    path = Path(index_dir)
    path.mkdir(parents=True, exist_ok=True)
    ix = index.create_in(str(path), make_schema())
    (path / META_FILE).write_text(
        json.dumps({"schema_version": SCHEMA_VERSION}) + "\n", encoding="utf-8"
    )
    return ix


def index_exists(index_dir: str | os.PathLike[str]) -> bool:
    return Path(index_dir).is_dir() and index.exists_in(str(index_dir))


def open_index(index_dir: str | os.PathLike[str]) -> Index:
    """Open an existing index, checking that this blogsearch can read it."""
    path = Path(index_dir)
    if not index_exists(path):
        raise IndexNotFoundError(
            f"no index in {path}: build one with `blogsearch index --posts DIR --index {path}`"
        )
    try:
        meta = json.loads((path / META_FILE).read_text(encoding="utf-8"))
        version = meta.get("schema_version")
    except (OSError, ValueError, AttributeError):
        version = None
    if version != SCHEMA_VERSION:
        raise SchemaVersionError(
            f"the index in {path} was built with schema version {version}, "
            f"this blogsearch needs version {SCHEMA_VERSION}: rebuild it with "
            f"`blogsearch index --posts DIR --index {path} --rebuild`"
        )
    return index.open_dir(str(path))
