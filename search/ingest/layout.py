"""Which files of a Jekyll site are posts, as Jekyll 4 finds them.

A site folder (one with `_posts/` or `_config.yml`) is read as Jekyll's
reader reads it: every `_posts` folder in the site, also under other
folders (`news/_posts/…`, whose folders become the post's categories),
under `collections_dir` when the configuration names one; files named
`YYYY-MM-DD-slug.ext` only; entries starting with `.`, `_`, `#` or `~`,
backups (`~`) and `exclude`d paths skipped unless `include`d.

`defaults` (front-matter scopes by path and type) are merged as Jekyll's
FrontmatterDefaults merges them: the longer scope path wins, a scope with
`type` over one without.
"""

from __future__ import annotations

import fnmatch
import functools
import os
import re
from pathlib import Path
from typing import Any, Iterator

POSTS_DIR = "_posts"
# Jekyll::Document::DATE_FILENAME_MATCHER
DATE_FILENAME = re.compile(r"^(?:.+/)*?(\d{2,4}-\d{1,2}-\d{1,2})-([^/]*)(\.[^./]+)$")
# Jekyll's exclude list is the site's plus these (Configuration::DEFAULT_EXCLUDES)
DEFAULT_EXCLUDES = (".sass-cache", ".jekyll-cache", "gemfiles", "Gemfile", "Gemfile.lock",
                    "node_modules", "vendor/bundle/", "vendor/cache/", "vendor/gems/", "vendor/ruby/")
_SPECIAL = (".", "_", "#", "~")


def is_site(root: Path, collections_dir: str = "") -> bool:
    """Whether `root` is a Jekyll site (else a plain folder of posts)."""
    return ((root / POSTS_DIR).is_dir() or (root / "_config.yml").is_file()
            or bool(collections_dir) and (root / collections_dir / POSTS_DIR).is_dir())


class EntryFilter:
    """Jekyll::EntryFilter: what the reader skips."""

    def __init__(self, exclude: tuple[str, ...], include: tuple[str, ...]) -> None:
        self.include = _globs(tuple(include))
        self.exclude = _globs(tuple(p for p in (*exclude, *DEFAULT_EXCLUDES) if p not in include))

    def keep(self, name: str, relpath: str, is_dir: bool) -> bool:
        """`name` as listed (a name, or a path under `_posts`); `relpath`
        relative to the site folder."""
        if name.endswith("."):
            return False
        base = name.rsplit("/", 1)[-1]
        included = self.include.regex is not None and (
            self.include.match(name, is_dir) or self.include.match(base, is_dir))
        if not included and self.exclude.match(relpath, is_dir):
            return False
        if included:
            return True
        return not (name.startswith(_SPECIAL) or base.startswith(_SPECIAL) or name.endswith("~"))


class _Globs:
    """A list of EntryFilter patterns, compiled: one regex matching what
    `fnmatch.fnmatchcase` matches for any of them (called for every file of
    the site: one fnmatch call per pattern was half of walking 28,610 posts)."""

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self.stripped = tuple(p.lstrip("/") for p in patterns)  # without a leading `/`
        self.regex = re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in self.stripped)) \
            if patterns else None

    def match(self, entry: str, is_dir: bool) -> bool:
        """EntryFilter#glob_include?: a glob match, a prefix, or the folder itself."""
        if self.regex is None:
            return False
        entry = entry.lstrip("/")
        return bool(self.regex.match(entry)) or entry.startswith(self.stripped) \
            or (is_dir and entry + "/" in self.stripped)


@functools.lru_cache(maxsize=64)
def _globs(patterns: tuple[str, ...]) -> _Globs:
    return _Globs(patterns)


def site_post_paths(root: Path, collections_dir: str, keep: EntryFilter) -> Iterator[str]:
    """The post files of the site in `root`, in a stable order, as strings
    (`os.path.join` of the walk): an update that only looks at most files'
    stats need not make a `Path` of each (a third of walking 28,610 posts)."""
    start = root / collections_dir if collections_dir else root
    if not start.is_dir():
        return
    folders = [start]
    while folders:
        folder = folders.pop(0)
        rel = folder.relative_to(root).as_posix()
        rel = "" if rel == "." else rel + "/"
        posts = folder / POSTS_DIR
        if posts.is_dir():
            yield from _posts_in(posts.relative_to(root).as_posix(), str(posts), keep)
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        folders[:0] = [folder / name for name in names
                       if (folder / name).is_dir() and not (folder / name).is_symlink()
                       and keep.keep(name, rel + name, True)]


def _posts_in(base: str, posts: str, keep: EntryFilter) -> Iterator[str]:
    """Files under one `_posts` folder (`posts`; `base` relative to the
    site) whose names carry a date (Jekyll's `Dir["**/*"]` there, filtered)."""
    for dirpath, dirnames, filenames in os.walk(posts):
        inner = dirpath[len(posts) + 1:].replace(os.sep, "/")
        inner = inner + "/" if inner else ""
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")
                             and keep.keep(inner + d, f"{base}/{inner}{d}", True))
        folder = os.path.join(dirpath, "")  # os.path.join of each name, once
        for name in sorted(filenames):
            entry = inner + name
            if not name.startswith(".") and keep.keep(entry, f"{base}/{entry}", False) \
                    and DATE_FILENAME.match(entry):
                yield folder + name


def document_path(relpath: str, collections_dir: str) -> str:
    """Jekyll's `relative_path` of a post: relative to the collections folder."""
    prefix = collections_dir.strip("/") + "/" if collections_dir else ""
    return relpath[len(prefix):] if prefix and relpath.startswith(prefix) else relpath


def path_categories(doc_path: str) -> list[str]:
    """Categories from the folders above `_posts` (Document#categories_from_path):
    `news/_posts/x.md` → ["news"]; a plain folder of posts gives none."""
    if f"/{POSTS_DIR}/" not in "/" + doc_path or doc_path.startswith(POSTS_DIR):
        return []
    above = re.sub(f"{POSTS_DIR}.*", "", doc_path, count=1)
    basename = doc_path.rsplit("/", 1)[-1]
    return [c for c in above.split("/") if c and c not in (POSTS_DIR, basename)]


def front_matter_defaults(sets: list[Any], relpath: str, collections_dir: str) -> dict[str, Any]:
    """The `defaults` values that apply to the post at `relpath` (relative to
    the site folder), merged as FrontmatterDefaults#all merges them."""
    doc_path = document_path(relpath, collections_dir)
    merged: dict[str, Any] = {}
    old_scope: dict[str, Any] | None = None
    for default in sets:
        if not isinstance(default, dict) or not isinstance(default.get("values"), dict):
            continue
        scope = default.get("scope") if isinstance(default.get("scope"), dict) else {}
        if not (_applies_type(scope) and _applies_path(scope, doc_path, relpath, collections_dir)):
            continue
        if _has_precedence(old_scope, scope):
            merged = deep_merge(merged, default["values"])
            old_scope = scope
        else:
            merged = deep_merge(default["values"], merged)
    return merged


def _applies_type(scope: dict[str, Any]) -> bool:
    return "type" not in scope or str(scope["type"]) in ("posts", "post")


def _sanitize(path: Any) -> str:
    return "" if not isinstance(path, str) or not path else path.removeprefix("/")


def _applies_path(scope: dict[str, Any], doc_path: str, relpath: str, collections_dir: str) -> bool:
    path = scope.get("path")
    if not isinstance(path, str) or not path:
        return True
    if "*" in path:
        # Jekyll globs the scope in the site folder and asks whether the post
        # lies under a match: some leading part of its path matches the glob
        pattern = _glob_regex(path.removeprefix("/"))
        parts = relpath.split("/")
        return any(pattern.fullmatch("/".join(parts[:i])) for i in range(1, len(parts) + 1))
    return doc_path.startswith(document_path(_sanitize(path), collections_dir))


def _glob_regex(glob: str) -> re.Pattern[str]:
    """A shell glob as Ruby's Dir.glob reads it: `*` and `?` stay within a folder."""
    out = []
    for part in re.split(r"(\*\*/|\*|\?)", glob):
        out.append({"**/": "(?:.*/)?", "*": "[^/]*", "?": "[^/]"}.get(part, re.escape(part)))
    return re.compile("".join(out))


def _has_precedence(old: dict[str, Any] | None, new: dict[str, Any]) -> bool:
    if old is None:
        return True
    new_path, old_path = _sanitize(new.get("path")), _sanitize(old.get("path"))
    if len(new_path) != len(old_path):
        return len(new_path) >= len(old_path)
    return True if "type" in new else "type" not in old


def deep_merge(master: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """Jekyll::Utils.deep_merge_hashes: `other` wins, nested mappings merge."""
    merged = dict(master)
    for key, value in other.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
