"""Locating and unpacking the shared ja-docs corpus for benchmarks and tests."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("BLOGSEARCH_SHARED", REPO.parent / "shared"))
CACHE = Path(os.environ.get("BLOGSEARCH_CACHE", REPO / ".cache"))


def corpus_tarball(name: str = "ja-docs") -> Path:
    return SHARED / "corpus" / "ja-docs" / f"{name}.tar.gz"


def unpacked_corpus(name: str = "ja-docs") -> Path | None:
    """The unpacked corpus folder (a Jekyll site with _posts/), or None if absent."""
    tarball = corpus_tarball(name)
    if not tarball.exists():
        return None
    target = CACHE / name
    marker = target / ".unpacked"
    if not marker.exists() or marker.read_text() != str(tarball.stat().st_mtime):
        CACHE.mkdir(parents=True, exist_ok=True)
        with tarfile.open(tarball) as tar:
            tar.extractall(CACHE, filter="data")
        marker.write_text(str(tarball.stat().st_mtime))
    return target
