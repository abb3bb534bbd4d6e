"""`blogsearch check`: does the index hold exactly the posts in the folder?

Missing: a published post file that is not in the index. Extra: an indexed
post with no file (or whose file is now unpublished). Stale: the indexed
hash differs from the file's (the file or the site configuration changed).
Unreadable files are reported as errors, and site settings that differ from
the ones the index was built with are named.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field

from search.errors import PostError
from search.index.build import indexed_hashes
from search.ingest.posts import SiteConfig, SlugOwners, parse_post, posts_root, walk_post_files
from search.index.schema import open_index, stored_site_config


@dataclass
class CheckReport:
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    indexed: int = 0
    files: int = 0
    settings_changed: list[str] = field(default_factory=list)  # since the index was built

    @property
    def clean(self) -> bool:
        return not (self.missing or self.extra or self.stale or self.errors or self.settings_changed)

    def to_dict(self) -> dict:
        return {**asdict(self), "clean": self.clean}


def check_index(
    posts_dir: str | os.PathLike[str], index_dir: str | os.PathLike[str], config: SiteConfig | None = None
) -> CheckReport:
    config = config or SiteConfig()
    known = indexed_hashes(open_index(index_dir))
    report = CheckReport(indexed=len(known))
    stored = stored_site_config(index_dir)
    report.settings_changed = config.changes_from(stored) if stored else []
    root = posts_root(posts_dir)
    owners = SlugOwners()  # who owns a slug: as posts.load_posts and the indexer decide
    for file in walk_post_files(root, config):
        slug = file.slug
        if file.error:
            report.errors.append(str(file.error))
            owners.claim(file)
            continue
        if known.get(slug) == file.hash:  # indexed as it is: published
            post = None
        else:
            try:  # only parse posts that differ: is the file published at all?
                assert file.data is not None
                post = parse_post(file.data, file.path, file.relpath, config)
            except PostError as e:
                report.errors.append(str(e))
                owners.claim(file)
                continue
            if not post:
                continue  # unpublished or future: must not be in the index, claims no slug
        duplicate = owners.claim(file)
        if duplicate:
            report.errors.append(str(duplicate))
            continue
        report.files += 1
        if not post:
            continue
        if slug not in known:
            report.missing.append(slug)
        else:
            report.stale.append(slug)
    report.extra = sorted(slug for slug in known if slug not in owners)
    report.missing.sort()
    report.stale.sort()
    return report
