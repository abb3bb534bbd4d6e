"""The index schema, its version, and opening an index safely.

Module paths are part of the index format. Whoosh pickles the schema into
the index's table of contents (`_MAIN_<generation>.toc`), and the pickle
names the module of every class in it: `search.index.analyzers` (the analyzers),
`search.index.schema` (the postings formats below) and, through the codec,
`search.index.whoosh.codec`. Moving or renaming one of those modules, or a class in
them, makes every existing index fail to unpickle (ModuleNotFoundError).
Either keep an importable alias at the old path, or bump SCHEMA_VERSION:
`open_index` reads blogsearch.json's schema version before Whoosh reads the
table of contents, so an index of another version is refused with the
rebuild message instead.
"""

from __future__ import annotations

import json
import os
import re
import stat
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

from whoosh import index
from whoosh.columns import NumericColumn, VarBytesColumn
from whoosh.formats import Characters, Frequency
from whoosh.fields import COLUMN, ID, KEYWORD, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.index import Index
from whoosh.system import pack_uint
from whoosh.util.times import datetime_to_long

from search.errors import IndexNotFoundError, IndexUnreadableError, SchemaVersionError
from search.index.analyzers import CjkBigramAnalyzer, JapaneseAnalyzer
from search.ingest.posts import Post, SiteConfig
from search.text.passages import passage_terms

# Bump whenever the schema or the analysis changes what is stored in the index.
# 2: passages (repeated passages across posts); 3: date and passages as columns;
# 4: sections (the headings of each post, with their ids)
SCHEMA_VERSION = 4
META_FILE = "blogsearch.json"

# Module paths are part of the index format. Whoosh's table of contents
# pickles the schema (its field types and analyzers) and each segment's
# codec by module path, so these modules may not move or be renamed without
# a SCHEMA_VERSION bump (the version is checked before the pickle is read:
# an older index gets the rebuild message, never a ModuleNotFoundError), or
# aliases at the old paths in sys.modules for indexes of the same version.
FORMAT_MODULES = ("search.index.analyzers", "search.index.schema", "search.index.whoosh.codec")


class MorphCharacters(Characters):
    """Whoosh's `Characters` postings (positions and character spans) of a
    JapaneseAnalyzer field, made from `JapaneseAnalyzer.spans` instead of a
    Token per word. Same bytes, a third of the time of the generic path."""

    def word_values(self, value, analyzer, **kwargs):  # noqa: ANN001, ANN003, ANN201 (Whoosh's signature)
        if not isinstance(analyzer, JapaneseAnalyzer) or not isinstance(value, str):
            yield from super().word_values(value, analyzer, **kwargs)
            return
        boost = self.field_boost
        encode = self.encode
        for term, spans in analyzer.spans(value).items():
            yield term, len(spans), len(spans) * boost, encode(spans)


class BigramFrequency(Frequency):
    """Whoosh's `Frequency` postings of a CjkBigramAnalyzer field, made from
    `CjkBigramAnalyzer.counts` instead of a Token per bigram. Same bytes."""

    def word_values(self, value, analyzer, **kwargs):  # noqa: ANN001, ANN003, ANN201 (Whoosh's signature)
        if not isinstance(analyzer, CjkBigramAnalyzer) or not isinstance(value, str):
            yield from super().word_values(value, analyzer, **kwargs)
            return
        boost = self.field_boost
        for bigram, freq in analyzer.counts(value).items():
            yield bigram, freq, freq * boost, pack_uint(freq)


def _bigram_text(analyzer: CjkBigramAnalyzer) -> TEXT:
    field = TEXT(analyzer=analyzer, phrase=False)
    field.format = BigramFrequency(field_boost=field.format.field_boost)
    return field


def _japanese_text(analyzer: JapaneseAnalyzer) -> TEXT:
    field = TEXT(analyzer=analyzer, stored=True, chars=True)
    field.format = MorphCharacters(field_boost=field.format.field_boost)
    return field


def make_schema() -> Schema:
    ja = JapaneseAnalyzer()
    bigram = CjkBigramAnalyzer()
    return Schema(
        slug=ID(stored=True, unique=True, sortable=True),
        url=STORED(),
        path=STORED(),
        hash=ID(stored=True, sortable=True),
        title=_japanese_text(ja),
        title_ngram=_bigram_text(bigram),
        body=_japanese_text(ja),
        body_ngram=_bigram_text(bigram),
        tags_text=TEXT(analyzer=ja, phrase=False),
        tags=KEYWORD(stored=True, commas=True, scorable=False, sortable=True),
        categories=KEYWORD(stored=True, commas=True, scorable=False, sortable=True),
        author=ID(stored=True, sortable=True),
        # Columns only, not indexed terms (a term per post and per precision
        # step would cost more to write than the columns cost to scan):
        date=COLUMN(NumericColumn("q")),  # search.index.schema.date_value: sorting and date filters
        published=STORED(),  # the post's date in ISO 8601 with its offset
        excerpt=STORED(),
        sections=STORED(),  # Post.sections: (offset in body, level, id, heading text) per heading
        passages=COLUMN(VarBytesColumn()),  # search.text.passages: hashes of long paragraphs and sentences
    )


def date_value(when: datetime) -> int:
    """The `date` column's value of a time: microseconds since 0001-01-01 UTC."""
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc).replace(tzinfo=None)
    return datetime_to_long(when)


def to_document(post: Post) -> dict[str, Any]:
    """The Whoosh document for a post."""
    return {
        "slug": post.slug,
        "url": post.url,
        "path": post.path,
        "hash": post.hash,
        "title": post.title,
        "title_ngram": post.title,
        "body": post.body,
        "body_ngram": post.body,
        "tags_text": " ".join(post.tags),
        "tags": ",".join(post.tags),
        "categories": ",".join(post.categories),
        "author": post.author,
        "date": date_value(post.date),
        "published": post.date.isoformat(),
        "excerpt": post.excerpt,
        "sections": post.sections,
        "passages": " ".join(passage_terms(post.body)).encode("ascii"),
    }


@dataclass
class StoredPost:
    """A post as the index stores it; the one reader of its stored fields."""

    slug: str
    url: str
    title: str
    date: str  # ISO 8601, the post's time zone
    tags: list[str]
    categories: list[str]
    author: str
    excerpt: str
    body: str  # plain text
    sections: list[tuple[int, int, str, str]]  # (offset in body, level, id, heading text)

    @classmethod
    def from_fields(cls, stored: Mapping[str, Any]) -> "StoredPost":
        return cls(
            slug=stored["slug"],
            url=stored.get("url", ""),
            title=stored.get("title", ""),
            date=stored.get("published", ""),
            tags=_split(stored.get("tags")),
            categories=_split(stored.get("categories")),
            author=stored.get("author", ""),
            excerpt=stored.get("excerpt", ""),
            body=stored.get("body", ""),
            sections=[tuple(s) for s in stored.get("sections") or ()],
        )

    def summary(self) -> dict[str, Any]:
        """The post's metadata (no body)."""
        return {"slug": self.slug, "url": self.url, "title": self.title, "date": self.date,
                "tags": self.tags, "categories": self.categories, "author": self.author,
                "excerpt": self.excerpt}


def _split(value: str | None) -> list[str]:
    return [v for v in (value or "").split(",") if v]


def create_index(index_dir: str | os.PathLike[str]) -> Index:
    """Create an empty index (replacing any index in `index_dir`).

    Each index gets a random build id, so that readers can tell a rebuilt
    index from the one they have open even when generation numbers repeat.
    """
    path = Path(index_dir)
    path.mkdir(parents=True, exist_ok=True)
    ix = index.create_in(str(path), make_schema())
    meta = {"schema_version": SCHEMA_VERSION, "build": uuid.uuid4().hex}
    (path / META_FILE).write_text(json.dumps(meta) + "\n", encoding="utf-8")
    return ix


def _read_meta(path: Path) -> dict:
    try:
        meta = json.loads((path / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def _write_meta(path: Path, meta: dict) -> None:
    """Replace blogsearch.json atomically (a reader sees the old or the new
    file), keeping its mode."""
    target = path / META_FILE
    temporary = path / f".{META_FILE}.{os.getpid()}.tmp"
    try:
        temporary.write_text(json.dumps(meta, ensure_ascii=False) + "\n", encoding="utf-8")
        try:
            os.chmod(temporary, stat.S_IMODE(os.stat(target).st_mode))
        except FileNotFoundError:
            pass
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


# --- the site settings an index was built with ("site" in blogsearch.json) ----------


def stored_site_config(index_dir: str | os.PathLike[str]) -> SiteConfig | None:
    """The site settings the index in `index_dir` was built with (URLs,
    dates, which files are posts, the site's title and language); None for
    no index, an index built before they were stored, or unreadable ones."""
    data = _read_meta(Path(index_dir)).get("site")
    if data is None:
        return None
    try:
        return SiteConfig.from_dict(data)
    except (TypeError, ValueError):
        return None


def store_site_config(index_dir: str | os.PathLike[str], config: SiteConfig) -> None:
    """Record `config` as the settings of the index in `index_dir` (the
    file is rewritten only when they differ)."""
    path = Path(index_dir)
    meta = _read_meta(path)
    if meta.get("site") == config.to_dict():
        return
    meta["site"] = config.to_dict()
    _write_meta(path, meta)


@dataclass(frozen=True)
class SiteInfo:
    """What the search page shows of the site: its `title` and `lang` from
    `_config.yml` (empty when the index does not know them)."""

    title: str = ""
    lang: str = ""


def site_info(index_dir: str | os.PathLike[str]) -> SiteInfo:
    """The site's title and language, as the index was last built with them.
    Never raises: an index without them (or no index) gives empty ones."""
    config = stored_site_config(index_dir)
    return SiteInfo() if config is None else SiteInfo(config.title, config.lang)


# Whoosh's table of contents of the default index, one file per generation.
_TOC_NAME = re.compile(r"_MAIN_([0-9]+)\.toc")


def _toc_generations(path: Path) -> list[int]:
    """The generations whose table of contents `path` holds, from the file
    names alone (Whoosh's `FileIndex` and `exists_in` unpickle the newest)."""
    try:
        return [int(m.group(1)) for name in os.listdir(path) if (m := _TOC_NAME.fullmatch(name))]
    except OSError:
        return []


def build_id(index_dir: str | os.PathLike[str]) -> str:
    """The random id of this build of the index (new with every rebuild)."""
    return str(_read_meta(Path(index_dir)).get("build", ""))


def index_version(index_dir: str | os.PathLike[str]) -> str:
    """Changes with every commit and every rebuild: `<build id>.<generation>`.

    A listing of the folder (every worker asks on every request): the
    newest generation is the highest-numbered table of contents, as Whoosh
    finds it, without unpickling the table as `FileIndex` would (0.8 ms,
    10 % of an uncached search)."""
    path = Path(index_dir)
    generations = _toc_generations(path)
    if not generations:
        check_readable(path)  # a folder it cannot list looks empty
        raise IndexNotFoundError(f"no index in {path}")
    return f"{build_id(path)}.{max(generations)}"


def _can(path: Path, mode: int) -> bool:
    if os.access in os.supports_effective_ids:
        return os.access(path, mode, effective_ids=True)
    return os.access(path, mode)


def unreadable_paths(index_dir: str | os.PathLike[str]) -> list[Path]:
    """What keeps this process from reading the index in `index_dir`: a
    folder above it that it cannot enter, the index folder if it cannot
    list or enter it, or the files in it that it cannot read. Empty when
    everything is readable, or when there is no index folder at all."""
    path = Path(os.path.abspath(index_dir))
    for folder in reversed(path.parents):
        if not _can(folder, os.X_OK):
            return [folder]
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError:
        return [path]
    if not stat.S_ISDIR(mode):
        return []
    if not _can(path, os.R_OK | os.X_OK):
        return [path]
    try:
        files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.endswith("_WRITELOCK"))
    except OSError:
        return [path]
    return [p for p in files if not _can(p, os.R_OK)]


def named_paths(paths: list[Path]) -> str:
    """The first three of `paths` for a message, and how many more."""
    return ", ".join(str(p) for p in paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")


def process_user() -> str:
    """Who this process is, for a message about permissions."""
    return "root" if os.geteuid() == 0 else f"uid {os.geteuid()}"


def check_readable(index_dir: str | os.PathLike[str]) -> None:
    """Raise IndexUnreadableError naming what this process cannot read."""
    denied = unreadable_paths(index_dir)
    if not denied:
        return
    raise IndexUnreadableError(
        f"the index in {index_dir} cannot be read by this process ({process_user()}): permission denied on "
        f"{named_paths(denied)}; the search service's user needs to read the index folder and its files and to "
        f"enter every folder above it (build it with umask 022, or `chmod -R a+rX` it)"
    )


def index_exists(index_dir: str | os.PathLike[str]) -> bool:
    return Path(index_dir).is_dir() and index.exists_in(str(index_dir))


def open_index(index_dir: str | os.PathLike[str], readonly: bool = False) -> Index:
    """Open an existing index, checking that this blogsearch can read it.

    `readonly` opens it through a storage that refuses every write."""
    path = Path(index_dir)
    check_readable(path)
    # the version first: Whoosh's table of contents is a pickle naming this
    # blogsearch's modules, which another version may not have
    if not _toc_generations(path):
        raise IndexNotFoundError(
            f"no index in {path}: build one with `blogsearch index --posts DIR --index {path}`"
        )
    version = _read_meta(path).get("schema_version")
    if version != SCHEMA_VERSION:
        raise SchemaVersionError(
            f"the index in {path} was built with schema version {version}, "
            f"this blogsearch needs version {SCHEMA_VERSION}: rebuild it with "
            f"`blogsearch index --posts DIR --index {path} --rebuild`"
        )
    if readonly:
        # Searching reads segment files through the file (the OS page cache),
        # not through Whoosh's memory maps: Whoosh copies each mapped segment
        # file it opens into a private buffer (BytesIO), about 40 MB of each
        # searcher's own memory for ja-docs, at the same query speed.
        storage = FileStorage(str(path), readonly=True, supports_mmap=False)
        return storage.open_index(schema=None)
    return index.open_dir(str(path), readonly=readonly)
