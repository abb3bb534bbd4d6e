"""Large-scale checks on the real ja-docs corpus and the seed post (skipped without ../shared)."""

from __future__ import annotations

import contextlib
import shutil
import sys
from pathlib import Path

import pytest

from search import build_index
from search.ingest.posts import load_posts
from search import Searcher

from tests.support import REPO  # noqa: E402
sys.path.insert(0, str(REPO / "bench"))
from corpus import SHARED, unpacked_corpus  # noqa: E402

SEED = SHARED / "fixtures" / "seed-post.md"
pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def sample_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = unpacked_corpus("ja-docs-sample")
    if site is None:
        pytest.skip("../shared/corpus is absent")
    index_dir = tmp_path_factory.mktemp("ja-docs-sample-index")
    report = build_index(site, index_dir, procs=2)
    assert report.errors == [] and report.total == 200
    return index_dir


def test_sample_corpus_indexes_and_every_post_finds_itself(sample_index: Path) -> None:
    site = unpacked_corpus("ja-docs-sample")
    posts = load_posts(site).posts
    found = 0
    with Searcher(sample_index) as s:
        for post in posts[::10]:
            found += post.slug in [h.slug for h in s.search(post.title).hits[:3]]
            hit = s.search(post.title, per_page=1).hits[0]
            assert hit.snippet_html and len(hit.snippet_html) < 1200
    assert found >= 0.9 * len(posts[::10])


def test_snippets_land_on_the_query_word_in_long_posts(sample_index: Path) -> None:
    with Searcher(sample_index) as s:
        for query in ["ファイル", "オプション", "パッケージ", "関数"]:
            for hit in s.search(query).hits:
                assert "<mark>" in hit.snippet_html + hit.title_html, (query, hit.slug)


@pytest.fixture
def seed_folder(tmp_path: Path) -> Path:
    if not SEED.exists():
        pytest.skip("../shared/fixtures is absent")
    folder = tmp_path / "_posts"
    folder.mkdir()
    shutil.copy(SEED, folder / "2026-01-17-amazon-ai-chip.md")
    return tmp_path


def test_seed_post_quirks(seed_folder: Path, tmp_path: Path) -> None:
    post = load_posts(seed_folder).posts[0]
    assert post.title == "「Amazonの可能性とは？"
    assert post.tags == ["AI", "最新ニュース", "技術動向", "Amazon", "投資", "チップ"]
    assert post.date.isoformat() == "2026-01-17T16:38:30+00:00"
    assert "**" not in post.body and "---END---" in post.body
    report = build_index(seed_folder, tmp_path / "ix", procs=1)
    assert report.total == 1
    with Searcher(tmp_path / "ix") as s:
        for query in ["ＡＷＳのＡＩチップ", "Trainium2", "Maia 100", "2.5倍", "H100", "高速化する"]:
            hits = s.search(query).hits
            assert [h.slug for h in hits] == ["amazon-ai-chip"], query
            assert "<mark>" in hits[0].snippet_html, query


def _group_members(pgid: int) -> int:
    """Live processes in a process group (from /proc)."""
    count = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, _, pgrp = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, ValueError):
            continue
        count += int(pgrp) == pgid and state != "Z"
    return count


def test_ctrl_c_stops_a_parallel_build_at_once_and_quietly(tmp_path: Path) -> None:
    """Ctrl-C reaches the whole process group: the reading and writing
    processes end without tracebacks of their own, the command exits 130
    and leaves nothing behind."""
    import os
    import signal
    import subprocess
    import time

    site = unpacked_corpus()
    if site is None or not Path("/proc/self/stat").exists():
        pytest.skip("needs ../shared/corpus and /proc")
    code = ("import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
            "from search.cli import main; sys.exit(main(sys.argv[1:]))")
    index_dir = tmp_path / "index"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "index", "--posts", str(site), "--index", str(index_dir)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while _group_members(proc.pid) < 5 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)  # until both readers and both writers run
        assert _group_members(proc.pid) >= 5, "the build did not start its processes"
        os.killpg(proc.pid, signal.SIGINT)
        started = time.monotonic()
        _, stderr = proc.communicate(timeout=30)
        assert time.monotonic() - started < 5
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()  # reaps it and closes its pipes
    assert proc.returncode == 130
    assert "Traceback" not in stderr, stderr[-2000:]
    time.sleep(0.5)
    assert _group_members(proc.pid) == 0
    assert list(tmp_path.iterdir()) == []  # no index, no staging folder


def test_killing_the_build_kills_its_children_and_frees_the_lock(tmp_path: Path) -> None:
    """`kill -9` of the build alone: its post readers and writer processes
    die with it at once, and none of them holds the index lock, so the next
    run starts instead of waiting for orphans (issue 12)."""
    import os
    import signal
    import subprocess
    import time

    from search.index.storage import IndexLock

    site = unpacked_corpus()
    if site is None or not Path("/proc/self/stat").exists():
        pytest.skip("needs ../shared/corpus and /proc")
    index_dir = tmp_path / "index"
    proc = subprocess.Popen(
        [sys.executable, "-m", "search.cli", "index", "--posts", str(site), "--index", str(index_dir),
         "--rebuild"],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while _group_members(proc.pid) < 5 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _group_members(proc.pid) >= 5, "the build did not start its processes"
        os.kill(proc.pid, signal.SIGKILL)  # the parent only
        proc.wait()
        deadline = time.monotonic() + 5
        while _group_members(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _group_members(proc.pid) == 0, "children outlived the build"
        with IndexLock(index_dir, wait=0):
            pass
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
