"""A worker gives the memory its warm-ups and requests freed back to the
system (`web.memory`): glibc's malloc keeps freed chunks in the middle of
its heaps resident until `malloc_trim` is called."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from search import build_index
from web import create_app, memory
from web.searching import SharedSearcher

from tests.support import REPO

CHANGED_POST = "2025-06-15-linux-file-permissions.md"

# In a fresh interpreter: 60,000 blocks of 2 KB (malloc's heap, not Python's
# small-object arenas), every 32nd and the last kept, the rest freed. Freed
# chunks under a kept one stay resident; `release` hands their pages back.
FRAGMENTED_HEAP = """
import sys
sys.path.insert(0, {repo!r})
from web import memory

def anon_kb():
    for line in open("/proc/self/status"):
        if line.startswith("RssAnon:"):
            return int(line.split()[1])

blocks = [bytes(2048) + str(i).encode() for i in range(60_000)]
kept = blocks[::32] + blocks[-1:]
del blocks
before = anon_kb()
released = memory.release()
print(released, before, anon_kb())
"""


@pytest.mark.skipif(memory._TRIM is None, reason="no glibc malloc_trim here")
def test_release_gives_freed_heap_pages_back() -> None:
    out = subprocess.run([sys.executable, "-c", FRAGMENTED_HEAP.format(repo=str(REPO))],
                         capture_output=True, text=True, check=True).stdout.split()
    released, before, after = out[0], int(out[1]), int(out[2])
    assert released == "True"
    assert before - after >= 60 * 1024, (before, after)  # of about 115 MB freed


def test_a_worker_releases_after_its_warm_up_and_after_a_switch(
        posts_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import web.searching

    calls: list[int | None] = []
    monkeypatch.setattr(web.searching.memory, "release", lambda: calls.append(
        shared._searcher.generation if shared._searcher else None) or True)
    index = tmp_path / "index"
    build_index(posts_copy, index, procs=1)
    app = create_app({"INDEX": str(index)})
    shared: SharedSearcher = app.extensions["blogsearch"]
    client = app.test_client()
    assert client.get("/api/search", query_string={"q": "パーミッション"}).status_code == 200
    first = shared.state().generation
    assert calls == [first]  # after the first warm-up
    path = posts_copy / CHANGED_POST
    path.write_text(path.read_text(encoding="utf-8") + "\n所有者とグループ\n", encoding="utf-8")
    assert build_index(posts_copy, index, procs=1).indexed == 1
    client.get("/readyz")
    shared.wait_for_switch(30)
    second = shared.state().generation
    assert second != first
    assert calls == [first, second]  # after the switch, on the new generation
    if memory._TRIM is not None:
        assert any(t.name == "blogsearch-malloc-trim" and t.daemon for t in threading.enumerate())
