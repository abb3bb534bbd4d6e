"""Loading Jekyll posts: files, front matter, dates, slugs and URLs.

`load_posts(folder)` never raises for a bad file: each problem becomes a
`PostError` naming the file and the reason, and every other post loads.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import unicodedata
import urllib.parse
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any, Iterator
from zoneinfo import ZoneInfo

from search.errors import PostError
from search.ingest.frontmatter import read_front_matter, text_value, word_list
from search.ingest.headings import sections_of
from search.ingest.markup import render_liquid
from search.ingest.layout import (
    EntryFilter,
    deep_merge,
    document_path,
    front_matter_defaults,
    is_site,
    path_categories,
    site_post_paths,
)
from search.ingest.plaintext import markdown_to_text

# Jekyll's markdown extensions (`markdown_ext`), and .mdown; a site's
# `_posts` may also hold HTML posts.
POST_SUFFIXES = (".md", ".markdown", ".mkdown", ".mkdn", ".mkd", ".mdown")
SITE_POST_SUFFIXES = (*POST_SUFFIXES, ".html")
MAX_POST_BYTES = 4 * 1024 * 1024
EXCERPT_CHARS = 120
DEFAULT_TIMEZONE = "Asia/Tokyo"
DEFAULT_PERMALINK = "date"
# Jekyll's built-in permalink styles.
PERMALINK_STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}

# The placeholders `post_url` fills, and the other placeholders of Jekyll's
# post URLs (Jekyll::Drops::UrlDrop), which it does not.
PERMALINK_PLACEHOLDERS = (
    "year", "month", "day", "hour", "minute", "second", "i_month", "i_day", "short_year",
    "y_day", "week", "short_day", "title", "slug", "categories", "output_ext",
)
JEKYLL_ONLY_PLACEHOLDERS = (
    "name", "path", "collection", "slugified_categories", "short_month", "long_month",
    "long_day", "w_year", "w_day",
)
_PLACEHOLDER = re.compile(r":([a-z_]+)")  # as Jekyll reads a template (Jekyll::URL)

_FILENAME = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})-(.+)$")
_TZ_SUFFIX = re.compile(r"\s*(Z|[+-]\d{2}:?\d{2})$")
_SENTENCE_END = re.compile(r"(?<=[。！？!?])")


@dataclass(frozen=True)
class SiteConfig:
    """How posts become URLs and dates, and which files are posts. Read at
    the edges (options, `_config.yml`), passed in."""

    base_url: str = ""
    permalink: str = DEFAULT_PERMALINK
    timezone: str = DEFAULT_TIMEZONE
    future: bool = False  # index posts dated after the run, as `jekyll build --future`
    exclude: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    defaults: str = ""  # Jekyll's `defaults` list as JSON (hashable; see layout.front_matter_defaults)
    collections_dir: str = ""
    title: str = ""  # the site's title and language, for the search page (no effect on posts)
    lang: str = ""

    def __post_init__(self) -> None:
        check_permalink(self.permalink)

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON values (stored in the index's blogsearch.json)."""
        return {f.name: list(v) if isinstance(v, tuple) else v
                for f in dataclasses.fields(self) for v in [getattr(self, f.name)]}

    @classmethod
    def from_dict(cls, data: Any) -> SiteConfig:
        """Settings from `to_dict`'s form; unknown keys are ignored. Raises
        ValueError for values of the wrong kind."""
        if not isinstance(data, dict):
            raise ValueError("site settings are not a mapping")
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name not in data:
                continue
            value, default = data[f.name], f.default
            if isinstance(default, tuple):
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise ValueError(f"{f.name}: not a list of strings")
                value = tuple(value)
            elif not isinstance(value, type(default)):
                raise ValueError(f"{f.name}: not a {type(default).__name__}")
            values[f.name] = value
        return cls(**values)

    def changes_from(self, old: SiteConfig) -> list[str]:
        """What differs from `old` in what posts depend on, one item each
        (`permalink date → pretty`); empty when the posts' URLs, dates and
        texts are the same under both."""
        out = []
        for f in dataclasses.fields(self):
            if f.name in ("title", "lang"):
                continue
            before, after = getattr(old, f.name), getattr(self, f.name)
            if before != after:
                out.append(f"{f.name} {_shown(before)} → {_shown(after)}")
        return out

    def fingerprint(self) -> str:
        """What a post's indexed form depends on: part of every file's hash.
        The settings added later join it only when set, so that the hashes
        of an index built without them stay valid."""
        parts = [self.base_url, self.permalink, self.timezone]
        extra = {"future": self.future, "defaults": self.defaults, "collections_dir": self.collections_dir}
        if any(extra.values()):
            parts.append(json.dumps(extra, sort_keys=True))
        return "\x1f".join(parts)

    def default_sets(self) -> list[Any]:
        return json.loads(self.defaults) if self.defaults else []


def _shown(value: Any) -> str:
    if value in ("", (), None):
        return "(none)"
    if isinstance(value, tuple):
        return ",".join(value)
    return str(value) if len(str(value)) <= 60 else str(value)[:57] + "…"


@dataclass(frozen=True)
class Skipped:
    """A file that is a post but is kept out of the index: `unpublished`
    (published: false), `hidden` (search: false or search_exclude: true) or
    `future` (dated after now, without `future: true`).
    False in a boolean test, like the None it replaces."""

    reason: str

    def __bool__(self) -> bool:
        return False


@dataclass
class Post:
    slug: str
    path: str  # relative to the posts folder
    title: str
    date: datetime  # timezone-aware
    url: str
    body: str  # plain text
    excerpt: str
    tags: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    author: str = ""
    hash: str = ""  # changes when the file or the site configuration changes
    # (offset in body, level, HTML id, heading text) of each heading found in the body
    sections: list[tuple[int, int, str, str]] = field(default_factory=list)


@dataclass
class LoadResult:
    posts: list[Post]
    errors: list[PostError]
    skipped: list[str]  # unpublished and future posts (relative paths)


def posts_root(folder: str | os.PathLike[str]) -> Path:
    """The folder to read posts from: a Jekyll site (see
    `search.ingest.layout`) or a plain folder of posts."""
    root = Path(folder)
    if not root.is_dir():
        raise PostError(str(root), "not a folder")
    return root


def find_post_files(root: Path, config: SiteConfig | None = None) -> Iterator[Path]:
    """Post files under `root`, sorted. In a Jekyll site, the files of its
    `_posts` folders as Jekyll finds them; in a plain folder, every Markdown
    file (hidden folders and `_site` skipped)."""
    return map(Path, find_post_paths(root, config))


def find_post_paths(root: Path, config: SiteConfig | None = None) -> Iterator[str]:
    """`find_post_files` as strings (`os.path.join` of `str(root)` and the
    names under it): for a walk that reads few of the files it finds."""
    config = config or SiteConfig()
    if is_site(root, config.collections_dir):
        keep = EntryFilter(config.exclude, config.include)
        for path in site_post_paths(root, config.collections_dir, keep):
            if path.endswith(SITE_POST_SUFFIXES):
                yield path
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "_site")
        for name in sorted(filenames):
            if name.endswith(POST_SUFFIXES) and not name.startswith("."):
                yield os.path.join(dirpath, name)


@dataclass
class PostFile:
    """A candidate post file as the walk found it: its bytes and hash, or
    why it cannot be read."""

    path: Path | str  # a str only for a file the indexer found unchanged without reading it
    relpath: str  # relative to the posts root, with forward slashes
    slug: str
    data: bytes | None = None  # None when it cannot be read
    hash: str = ""  # file_hash of data
    error: PostError | None = None


def walk_post_files(root: Path, config: SiteConfig) -> Iterator[PostFile]:
    """Every candidate post file under `root` in walk order, read: the one
    walk of the posts folder that the loader, the indexer and `check` share.
    Which file of a slug is the post is decided with SlugOwners."""
    for path in find_post_files(root, config):
        relpath = path.relative_to(root).as_posix()
        slug = slug_of(path)[0]
        try:
            data = read_post_bytes(path, root)
        except PostError as e:
            yield PostFile(path, relpath, slug, error=e)
            continue
        except OSError as e:
            yield PostFile(path, relpath, slug, error=PostError(str(path), e.strerror or str(e)))
            continue
        yield PostFile(path, relpath, slug, data, file_hash(data, relpath, config))


class SlugOwners:
    """Which file of a slug is its post, decided the same way everywhere.

    Give `claim` the files in walk order, once each one's state is known,
    except unpublished files: those claim nothing, so a published file of
    the same slug after them is the post. The first file to claim a slug
    owns it (a published post, or a file that cannot be read or parsed: an
    indexed older version of it stays); every later one is a duplicate."""

    def __init__(self) -> None:
        self._owners: dict[str, str] = {}

    def claim(self, file: PostFile) -> PostError | None:
        """None if `file` owns its slug, else the duplicate-slug error."""
        path = os.fspath(file.path)
        owner = self._owners.setdefault(file.slug, path)
        if owner == path:
            return None
        return PostError(str(file.path), f"slug {file.slug!r} is already used by {owner}")

    def __contains__(self, slug: object) -> bool:
        return slug in self._owners


def file_hash(data: bytes, relpath: str, config: SiteConfig) -> str:
    h = hashlib.sha1(data)
    h.update(f"\x00{relpath}\x00{config.fingerprint()}".encode())
    return h.hexdigest()


def slug_of(path: Path) -> tuple[str, date | None]:
    """Jekyll's slug (filename without date and extension) and the filename date."""
    return slug_of_name(path.name)


def slug_of_name(name: str) -> tuple[str, date | None]:
    """`slug_of` a file name (`Path.stem`'s rule: up to the last dot, unless
    the name starts or ends with it)."""
    dot = name.rfind(".")
    stem = name[:dot] if 0 < dot < len(name) - 1 else name
    m = _FILENAME.match(stem)
    if not m:
        return stem, None
    try:
        return m.group(4), date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return stem, None


def read_post_bytes(path: Path, root: Path) -> bytes:
    """The raw bytes of a post file, refusing links out of the folder and huge files."""
    if path.is_symlink():
        target = path.resolve()
        if not target.is_relative_to(root.resolve()):
            raise PostError(str(path), f"symbolic link to {target}, outside the posts folder")
    size = path.stat().st_size
    if size > MAX_POST_BYTES:
        raise PostError(
            str(path), f"file is {size:,} bytes, over the limit of {MAX_POST_BYTES:,} bytes"
        )
    with open(path, "rb") as f:
        return f.read()


def parse_post(data: bytes, path: Path, relpath: str, config: SiteConfig,
               now: datetime | None = None) -> Post | Skipped:
    """A post from a file's bytes, or why it is kept out of the index
    (dated after `now`, default the current time). Raises PostError."""
    where = str(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise PostError(where, f"not valid UTF-8 (byte {e.start})") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    own, content = read_front_matter(text, where)
    defaults = front_matter_defaults(config.default_sets(), relpath, config.collections_dir)
    meta = deep_merge(defaults, own)
    if meta.get("published") is False:
        return Skipped("unpublished")
    if meta.get("search") is False or meta.get("search_exclude") is True:
        return Skipped("hidden")  # on the blog, kept out of its search
    slug, file_date = slug_of(path)
    tz = ZoneInfo(config.timezone)
    when = _post_date(meta.get("date"), file_date, tz, where)
    if not config.future and when > (now or current_time()):
        return Skipped("future")
    categories = jekyll_categories(path_categories(document_path(relpath, config.collections_dir)),
                                   defaults, own)
    tags = word_list(meta.get("tags", meta.get("tag")))
    title = text_value(meta.get("title")) or slug.replace("-", " ")
    body = markdown_to_text(content)
    excerpt = text_value(meta.get("excerpt")) or derive_excerpt(body)
    url_slug = text_value(meta.get("slug")) or slug.rstrip(".")
    url = post_url(meta.get("permalink"), config, url_slug, when.astimezone(tz), categories)
    return Post(
        slug=slug,
        path=relpath,
        title=title,
        date=when,
        url=url,
        body=body,
        excerpt=excerpt,
        tags=tags,
        categories=categories,
        author=text_value(meta.get("author")),
        hash=file_hash(data, relpath, config),
        sections=sections_of(render_liquid(content), body),  # Liquid first, as Jekyll
    )


def current_time() -> datetime:
    """Now, to tell future posts (Jekyll's `site.time`)."""
    return datetime.now(timezone.utc)


def jekyll_categories(from_path: list[str], *front_matters: dict[str, Any]) -> list[str]:
    """A post's categories as Jekyll 4 gathers them: the folders above
    `_posts`, then each front matter's (defaults, then the post's own)
    `categories` added (a string splits at spaces), then `category` (whole,
    not split) or else `categories` once more; duplicates dropped."""
    merged: list[Any] = list(from_path)
    data: dict[str, Any] = {}
    for front_matter in front_matters:
        value = front_matter.get("categories")
        if value is not None:
            items = value.split() if isinstance(value, str) else value if isinstance(value, list) else [value]
            merged += [c for c in items if c not in merged]
        data.update(front_matter)
    if data.get("category") is not None:
        extra = data["category"] if isinstance(data["category"], list) else [data["category"]]
    else:
        value = data.get("categories")
        extra = value.split() if isinstance(value, str) else [c for c in value if c is not None] \
            if isinstance(value, list) else []
    out: list[str] = []
    for item in merged + extra:
        word = text_value(item)
        if word and word not in out:
            out.append(word)
    return out


def _post_date(value: Any, file_date: date | None, tz: ZoneInfo, where: str) -> datetime:
    if value is None or value == "":
        if file_date is None:
            raise PostError(where, "no date: give `date:` in the front matter or name the file YYYY-MM-DD-slug.md")
        return datetime.combine(file_date, time(), tz)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    if isinstance(value, date):
        return datetime.combine(value, time(), tz)
    text = str(value).strip()
    m = _TZ_SUFFIX.search(text)
    if m and m.group(1) != "Z" and ":" not in m.group(1):
        text = text[: m.start()] + m.group(1)[:3] + ":" + m.group(1)[3:]
    elif m:
        text = text[: m.start()] + m.group(1)
    try:
        parsed = datetime.fromisoformat(text.replace("/", "-"))
    except ValueError:
        raise PostError(where, f"unreadable date {value!r} (use YYYY-MM-DD HH:MM:SS +0900)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def derive_excerpt(body: str, limit: int = EXCERPT_CHARS) -> str:
    """The first paragraph, cut after a sentence end near `limit` characters."""
    for paragraph in body.split("\n\n"):
        paragraph = " ".join(paragraph.split())
        if not paragraph:
            continue
        if len(paragraph) <= limit:
            return paragraph
        cut = 0
        for m in _SENTENCE_END.finditer(paragraph, 0, limit + 1):
            cut = m.start()
        return paragraph[:cut] if cut >= limit // 3 else paragraph[:limit] + "…"
    return ""


def check_permalink(value: Any) -> str:
    """The site's permalink setting: one of Jekyll's styles, or a pattern
    whose placeholders `post_url` fills (with at least one, or every post
    would get the same URL). Raises ValueError naming what is wrong."""
    pattern = str(value).strip()
    if pattern in PERMALINK_STYLES:
        return pattern
    styles = ", ".join(PERMALINK_STYLES)
    known = " ".join(f":{p}" for p in PERMALINK_PLACEHOLDERS)
    names = _PLACEHOLDER.findall(pattern)
    if not names:
        raise ValueError(f"{pattern!r} is neither a permalink style ({styles}) nor a pattern with "
                         f"placeholders such as /:categories/:year/:month/:day/:title/ "
                         f"(known placeholders: {known})")
    for name in names:
        # as Jekyll: in `/:month_:day` the key may end before the underscore
        if name in PERMALINK_PLACEHOLDERS or (name.endswith("_") and name[:-1] in PERMALINK_PLACEHOLDERS):
            continue
        what = ("a Jekyll placeholder blogsearch does not support" if name.rstrip("_") in JEKYLL_ONLY_PLACEHOLDERS
                else "an unknown placeholder")
        raise ValueError(f"{pattern!r}: :{name} is {what}; known placeholders: {known}")
    return pattern


def post_url(
    permalink: Any,
    config: SiteConfig,
    slug: str,
    when: datetime,
    categories: list[str],
) -> str:
    """The post's URL: front matter `permalink`, else the site's pattern."""
    pattern = text_value(permalink) or config.permalink
    pattern = PERMALINK_STYLES.get(pattern, pattern)
    quote = lambda s: urllib.parse.quote(s, safe="!$&'()*+,;=@~")  # noqa: E731
    values = {
        "year": f"{when.year:04d}",
        "short_year": f"{when.year % 100:02d}",
        "month": f"{when.month:02d}",
        "i_month": str(when.month),
        "day": f"{when.day:02d}",
        "i_day": str(when.day),
        "y_day": f"{when.timetuple().tm_yday:03d}",
        "week": f"{when.isocalendar().week:02d}",
        "short_day": when.strftime("%a"),
        "hour": f"{when.hour:02d}",
        "minute": f"{when.minute:02d}",
        "second": f"{when.second:02d}",
        "title": quote(slugify(slug, pretty=True, cased=True)),
        "slug": quote(slugify(slug)),
        "categories": "/".join(quote(c.lower()) for c in categories),
        "output_ext": ".html",
    }
    path = re.sub(
        r":(output_ext|short_year|i_month|i_day|y_day|short_day|categories|year|month|day|week|hour|minute|second|title|slug)",
        lambda m: values[m.group(1)],
        pattern,
    )
    # Percent-encode what is not a URL path character, as Jekyll does: a
    # backslash, tab or new line would make browsers read `/\\host/x` as
    # another site's `//host/x`.
    path = urllib.parse.quote(path, safe="/:@!$&'()*+,;=-._~%")
    path = "/" + re.sub(r"/{2,}", "/", path).lstrip("/")
    return config.base_url.rstrip("/") + path


# Characters Jekyll's slugify keeps besides letters, marks and digits (`pretty` mode)
_SLUG_PRETTY = frozenset("._~!$&'()+,;=@")


def slugify(text: str, pretty: bool = False, cased: bool = False) -> str:
    """Jekyll::Utils.slugify in `default` or `pretty` mode: every run of other
    characters becomes one hyphen, hyphens at the ends go; lower case unless
    `cased`. `:title` in a permalink is the pretty, cased slug."""
    out: list[str] = []
    for ch in text:
        kind = unicodedata.category(ch)
        if kind[0] in "LM" or kind == "Nd" or (pretty and ch in _SLUG_PRETTY):
            out.append(ch)
        elif not out or out[-1] != "-":
            out.append("-")
    slug = "".join(out)
    slug = slug[1:] if slug.startswith("-") else slug
    slug = slug[:-1] if slug.endswith("-") else slug
    return slug if cased else slug.lower()


def load_posts(folder: str | os.PathLike[str], config: SiteConfig | None = None) -> LoadResult:
    """Every post under `folder`; bad files become errors, never exceptions."""
    config = config or SiteConfig()
    root = posts_root(folder)
    result = LoadResult([], [], [])
    owners = SlugOwners()
    for file in walk_post_files(root, config):
        try:
            if file.error:
                raise file.error
            assert file.data is not None
            post = parse_post(file.data, file.path, file.relpath, config)
        except PostError as e:
            result.errors.append(e)
            owners.claim(file)
            continue
        if not post:
            result.skipped.append(file.relpath)
            continue
        duplicate = owners.claim(file)
        if duplicate:
            result.errors.append(duplicate)
            continue
        result.posts.append(post)
    return result
