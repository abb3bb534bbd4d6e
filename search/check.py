"""`blogsearch check`: does the index hold exactly the posts in the folder?

Missing: a published post file that is not in the index. Extra: an indexed
post with no file (or whose file is now unpublished). Stale: the indexed
hash differs from the file's (the file or the site configuration changed).
Unreadable files are reported as errors.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field

from search.errors import PostError
from search.indexer import indexed_hashes
from search.posts import SiteConfig, file_hash, find_post_files, parse_post, posts_root, read_post_bytes, slug_of
from search.schema import open_index


@dataclass
class CheckReport:
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    indexed: int = 0
    files: int = 0

    @property
    def clean(self) -> bool:
        return not (self.missing or self.extra or self.stale or self.errors)

    def to_dict(self) -> dict:
        return {**asdict(self), "clean": self.clean}


def check_index(
    posts_dir: str | os.PathLike[str], index_dir: str | os.PathLike[str], config: SiteConfig | None = None
) -> CheckReport:
    config = config or SiteConfig()
    known = indexed_hashes(open_index(index_dir))
    report = CheckReport(indexed=len(known))
    root = posts_root(posts_dir)
    seen: set[str] = set()
    for path in find_post_files(root):
        relpath = path.relative_to(root).as_posix()
        slug = slug_of(path)[0]
        if slug in seen:
            report.errors.append(f"{path}: slug {slug!r} is used by another file")
            continue
        seen.add(slug)
        try:
            data = read_post_bytes(path, root)
        except (PostError, OSError) as e:
            report.errors.append(str(e))
            continue
        digest = file_hash(data, relpath, config)
        if slug in known and known[slug] == digest:
            report.files += 1
            continue
        try:  # only parse posts that differ: is the file published at all?
            post = parse_post(data, path, relpath, config)
        except PostError as e:
            report.errors.append(str(e))
            continue
        if post is None:
            seen.discard(slug)  # unpublished: must not be in the index
            continue
        report.files += 1
        if slug not in known:
            report.missing.append(slug)
        else:
            report.stale.append(slug)
    report.extra = sorted(slug for slug in known if slug not in seen)
    report.missing.sort()
    report.stale.sort()
    return report
