"""What the indexer knows of each post file without reading it again.

`post-files.json` in the index folder records, for each post file indexed
or found unchanged, its size, modification time and inode with its file
hash (`search.ingest.posts.file_hash`). A later run takes the hash of a
file whose three are the same instead of reading and hashing the file, as
`make` and `rsync` trust a file's size and time: a one-post update of ten
times ja-docs read 236 MB of posts for one changed file. A file changed
within a second of being recorded is not recorded (its next change could
keep the same time), nor are any when the site settings (part of every
hash) differ. `blogsearch check` and `index --rebuild` still read every file.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from search.ingest.posts import SiteConfig

STATS_FILE = "post-files.json"
RACY_NS = 1_000_000_000  # files modified this recently are not recorded

_Key = tuple[int, int, int]  # (size, mtime_ns, inode)


def _key(path: str | Path) -> _Key | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns, st.st_ino


class FileStats:
    def __init__(self, config: SiteConfig, known: dict[str, list] | None = None) -> None:
        self.fingerprint = config.fingerprint()
        self.known = known or {}  # relpath -> [size, mtime_ns, inode, hash]
        self.recorded: dict[str, list] = {}
        self.trusted: set[str] = set()  # relpaths whose recorded entry `hash_of` found current
        self.source: Path | None = None  # the index folder `known` was loaded from
        self.started = time.time_ns()

    @classmethod
    def load(cls, index_dir: Path, config: SiteConfig) -> "FileStats":
        """The stats of the last run (none if missing, unreadable or of other settings)."""
        try:
            data = json.loads((index_dir / STATS_FILE).read_text(encoding="utf-8"))
            if data.get("fingerprint") == config.fingerprint() and isinstance(data.get("files"), dict):
                stats = cls(config, data["files"])
                stats.source = index_dir
                return stats
        except (OSError, ValueError, AttributeError):
            pass
        return cls(config)

    def hash_of(self, path: str | Path, relpath: str) -> str | None:
        """The recorded hash of the file if it looks unchanged, else None."""
        entry = self.known.get(relpath)
        if not isinstance(entry, list) or len(entry) != 4:
            return None
        key = _key(path)
        if key is None or key[0] != entry[0] or key[1] != entry[1] or key[2] != entry[2]:
            return None  # (field by field: no lists made for each of a big blog's files)
        self.trusted.add(relpath)
        return entry[3]

    def record(self, path: str | Path, relpath: str, digest: str) -> None:
        """Record a file's hash with its stat as it is now (the stat taken
        after the file was read: a change in between shows as a new time).
        A file `hash_of` found unchanged keeps its entry without a second
        `stat` (half of the stats of a one-post update)."""
        entry = self.known.get(relpath)
        if relpath in self.trusted and entry[3] == digest:
            self.recorded[relpath] = entry
            return
        key = _key(path)
        if key is not None and key[1] < self.started - RACY_NS:
            self.recorded[relpath] = [*key, digest]

    def save(self, index_dir: Path) -> None:
        """Write what this run recorded (atomically) into `index_dir`, unless
        it is what was loaded from there (a run that found nothing changed)."""
        if self.source == index_dir and self.recorded == self.known:
            return
        target = index_dir / STATS_FILE
        temp = target.with_name(f".{STATS_FILE}.{os.getpid()}")
        temp.write_text(json.dumps({"fingerprint": self.fingerprint, "files": self.recorded}),
                        encoding="utf-8")
        os.replace(temp, target)
