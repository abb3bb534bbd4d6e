"""A Jekyll site's own configuration: `_config.yml`, as Jekyll reads it.

`blogsearch index --posts SITE` reads `SITE/_config.yml` (or the files of
`--config a.yml,b.yml`, merged left to right as `jekyll build --config`
merges them) for what decides a post's URL and date: `url` + `baseurl`,
`permalink` and `timezone`; for which files are posts: `exclude`,
`include`, `collections_dir`, `future`; `defaults` (front matter by path
and type); and the site's `title` and `lang` for the search page. Options on the command line and
`BLOGSEARCH_*` variables override it. So a site owner's first run gives
the links the blog really has, without repeating its settings.

Jekyll's defaults where the file says nothing: `permalink: date`; no
`baseurl`; without `timezone`, the zone of the machine that builds (`TZ`,
else /etc/localtime) — which is also what blogsearch then uses, so that a
post dated `2026-02-03 23:30:00 +0000` gets the day Jekyll's URL has. (A
folder of posts without any `_config.yml` keeps blogsearch's default zone,
Asia/Tokyo.)
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from search.errors import Invalid
from search.ingest.posts import DEFAULT_PERMALINK, DEFAULT_TIMEZONE, SiteConfig
from search.settings import check_base_url, check_permalink, check_timezone

CONFIG_FILE = "_config.yml"


class JekyllConfigError(Invalid):
    """A `_config.yml` that cannot be read or holds a value blogsearch cannot use."""

    code = "invalid_site_config"


@dataclass
class JekyllConfig:
    files: list[Path] = field(default_factory=list)  # what was read, in order
    base_url: str | None = None  # url + baseurl, checked
    permalink: str | None = None
    timezone: str | None = None
    zone_of_machine: bool = False  # the file names no zone: the machine's, as Jekyll
    future: bool = False
    exclude: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    defaults: str = ""  # the `defaults` list as JSON
    collections_dir: str = ""
    title: str = ""  # the site's, for the search page
    lang: str = ""

    def site_config(self, base_url: str | None = None, permalink: str | None = None,
                    timezone: str | None = None, stored: SiteConfig | None = None,
                    future: bool | None = None) -> SiteConfig:
        """The settings posts are read with: these values where given (the
        command line's), else the file's, else blogsearch's defaults. With
        no configuration file, the index's `stored` settings stand in for
        the file and the defaults: a later run without options reads the
        site as the index was built."""
        if not self.files and stored is not None:
            options = {"base_url": base_url, "permalink": permalink, "timezone": timezone, "future": future}
            return dataclasses.replace(stored, **{k: v for k, v in options.items() if v is not None})
        return SiteConfig(
            base_url=_first(base_url, self.base_url, ""),
            permalink=_first(permalink, self.permalink, DEFAULT_PERMALINK),
            timezone=_first(timezone, self.timezone, DEFAULT_TIMEZONE),
            future=self.future if future is None else future,
            exclude=self.exclude,
            include=self.include,
            defaults=self.defaults,
            collections_dir=self.collections_dir,
            title=self.title,
            lang=self.lang,
        )

    def describe(self) -> str:
        """One line: which files, and what blogsearch took from them."""
        if not self.files:
            return ""
        zone = f"{self.timezone} (this machine's, as Jekyll)" if self.zone_of_machine else self.timezone
        taken = [f"{name} {value}" for name, value in
                 (("url", self.base_url), ("permalink", self.permalink), ("timezone", zone),
                  ("collections_dir", self.collections_dir))
                 if value]
        taken += [name for name, value in (("future", self.future), ("exclude", self.exclude),
                                           ("include", self.include), ("defaults", self.defaults))
                  if value]
        return (f"site configuration: {', '.join(str(f) for f in self.files)}"
                + (f" ({'; '.join(taken)})" if taken else " (nothing blogsearch uses)"))


def config_files(posts_dir: str | os.PathLike[str], option: str | None) -> list[Path]:
    """The files to read: `--config`'s comma-separated list, else the site's
    `_config.yml` if there is one."""
    if option:
        return [Path(name.strip()) for name in option.split(",") if name.strip()]
    default = Path(posts_dir) / CONFIG_FILE
    return [default] if default.is_file() else []


def read_config(files: list[Path]) -> JekyllConfig:
    """The merged settings of `files` (later files win). Raises JekyllConfigError."""
    merged: dict[str, Any] = {}
    for path in files:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
        except OSError as e:
            raise JekyllConfigError(f"cannot read {path}: {e.strerror or e}") from None
        except (yaml.YAMLError, UnicodeDecodeError) as e:
            reason = " ".join(str(e).split())
            raise JekyllConfigError(f"{path} is not valid YAML: {reason}") from None
        if data is None:
            continue
        if not isinstance(data, dict):
            raise JekyllConfigError(f"{path} is not a Jekyll configuration (a YAML mapping)")
        merged.update(data)
    config = JekyllConfig(files=list(files))
    where = ", ".join(str(f) for f in files)
    url = _text(merged.get("url"))
    baseurl = _text(merged.get("baseurl"))
    if url or baseurl:
        joined = (url or "").rstrip("/") + ("/" + baseurl.strip("/") if baseurl and baseurl.strip("/") else "")
        config.base_url = _checked(check_base_url, joined or "/", "url/baseurl", where)
    if merged.get("permalink") not in (None, ""):
        config.permalink = _checked(check_permalink, _text(merged["permalink"]), "permalink", where)
    if merged.get("timezone") not in (None, ""):
        config.timezone = _checked(check_timezone, _text(merged["timezone"]), "timezone", where)
    elif files:
        config.timezone = machine_timezone()
        config.zone_of_machine = True
    config.future = merged.get("future") is True
    config.exclude = _paths(merged.get("exclude"), "exclude", where)
    config.include = _paths(merged.get("include"), "include", where)
    config.collections_dir = (_text(merged.get("collections_dir")) or "").strip("/")
    defaults = merged.get("defaults")
    if defaults not in (None, []):
        if not isinstance(defaults, list):
            raise JekyllConfigError(f"{where}: defaults: not a list of scopes and values")
        config.defaults = json.dumps(defaults, ensure_ascii=False, sort_keys=True, default=str)
    config.title = _text(merged.get("title")) or ""
    config.lang = _text(merged.get("lang")) or ""
    return config


def _paths(value: Any, key: str, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise JekyllConfigError(f"{where}: {key}: not a list of paths")
    return tuple(str(v) for v in value if v is not None)


def machine_timezone() -> str:
    """The IANA name of this machine's time zone, as Ruby (and so Jekyll)
    finds it: `TZ`, else the zone /etc/localtime links to; UTC if neither
    names one."""
    candidates = [os.environ.get("TZ", "").removeprefix(":")]
    try:
        target = os.path.realpath("/etc/localtime")
        if "/zoneinfo/" in target:
            candidates.append(target.split("/zoneinfo/", 1)[1])
    except OSError:
        pass
    for name in candidates:
        if name:
            try:
                return check_timezone(name)
            except ValueError:
                continue
    return "UTC"


def _first(*values: str | None) -> str:
    return next(v for v in values if v is not None)


def _text(value: Any) -> str | None:
    return None if value is None else str(value).strip()


def _checked(check: Any, value: str, key: str, where: str) -> str:
    try:
        return check(value)
    except ValueError as e:
        raise JekyllConfigError(f"{where}: {key}: {e}") from None
