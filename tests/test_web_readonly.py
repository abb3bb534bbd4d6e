"""Read-only serving: with READ_ONLY the search service refuses to start when
it could change the index (whose table of contents is a pickle), and serves
normally as a user that can only read it — the deployment README describes:
`blogsearch index` as one user, `blogsearch serve --read-only` as another."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

from search.indexdir import IndexWritableError, writable_paths
from search.indexer import build_index
from tests.test_web_server import clean_env, free_port, get
import web.server
from web import create_app
from web.cli import main

REPO = Path(__file__).resolve().parents[1]


def test_app_refuses_an_index_it_can_write(index_dir: Path) -> None:
    # the test runs as the index's owner (or root): it can write the folder
    assert writable_paths(index_dir)
    with pytest.raises(IndexWritableError) as caught:
        create_app({"INDEX": str(index_dir), "READ_ONLY": True, "QUERY_LOG": ""})
    assert str(index_dir.parent) in str(caught.value)
    assert "read-only" in str(caught.value)


def test_app_without_read_only_serves_a_writable_index(index_dir: Path) -> None:
    app = create_app({"INDEX": str(index_dir), "QUERY_LOG": ""})
    assert app.test_client().get("/api/search?q=サーバー").status_code == 200


@pytest.fixture(autouse=True)
def no_gunicorn_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """If a check here fails to refuse, fail instead of serving forever."""
    def serve(*args: object) -> None:
        raise AssertionError("blogsearch serve started gunicorn")

    monkeypatch.setattr(web.server, "serve", serve)


def test_serve_refuses_before_starting_gunicorn(index_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--index", str(index_dir), "--read-only", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert "must be read-only" in err and str(index_dir) in err
    assert "serving" not in err


def test_serve_reads_the_setting_from_the_environment(
    index_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BLOGSEARCH_READ_ONLY", "yes")
    assert main(["serve", "--index", str(index_dir), "--port", "0"]) == 2
    assert "must be read-only" in capsys.readouterr().err
    monkeypatch.setenv("BLOGSEARCH_READ_ONLY", "maybe")
    assert main(["serve", "--index", str(index_dir), "--port", "0"]) == 2
    assert "BLOGSEARCH_READ_ONLY='maybe'" in capsys.readouterr().err


# The site folder and every mount above it read-only (root can rename any
# folder it can write, and so replace the index below it), but `$WRITABLE`.
MOUNT_READ_ONLY = """set -e
mount --bind "$SITE" "$SITE"
d="$SITE"
while :; do
    if mountpoint -q "$d"; then mount -o remount,bind,ro "$d"; fi
    if [ "$d" = / ]; then break; fi
    d=$(dirname "$d")
done
if [ -n "$WRITABLE" ]; then mount --bind "$WRITABLE" "$WRITABLE"; mount -o remount,bind,rw "$WRITABLE"; fi
exec "$@"
"""


def can_mount() -> bool:
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs none /mnt"], capture_output=True)
    return probe.returncode == 0


def serve_read_only(site: Path, writable: Path | None = None) -> tuple[subprocess.Popen[str], int]:
    """`blogsearch serve` with BLOGSEARCH_READ_ONLY=1 in a process that cannot
    write `site` (except `writable`) nor any folder above it: as root, in a
    private mount namespace where they are mounted read-only (gunicorn's
    temporary files go to /dev/shm). Skips otherwise: a user other than root
    owns pytest's temporary folders, so it could always replace them."""
    port = free_port()
    env = clean_env() | {"BLOGSEARCH_READ_ONLY": "1", "SITE": str(site), "WRITABLE": str(writable or ""),
                         "TMPDIR": "/dev/shm"}
    command = [sys.executable, "-m", "web.cli", "serve", "--index", str(site / "index"), "--query-log", "",
               "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
    if not can_mount():
        pytest.skip("needs root with mount namespaces to make the index and the folders above it read-only")
    command = ["unshare", "-m", "sh", "-c", MOUNT_READ_ONLY, "sh", *command]
    process = subprocess.Popen(command, cwd=REPO, env=env, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    return process, port


def stop(process: subprocess.Popen[str]) -> str:
    """Stop the server and its workers; its stderr."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        return process.communicate(timeout=30)[1]
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        return process.communicate()[1]


def wait_ready(process: subprocess.Popen[str], port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited {process.returncode}: {process.stderr.read()}")  # type: ignore[union-attr]
        try:
            if get(port, "/readyz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("server not ready")


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Path]:
    build_index(REPO / "data" / "posts", tmp_path / "site" / "index")
    yield tmp_path / "site"
    for path in (tmp_path / "site", *(tmp_path / "site").rglob("*")):
        path.chmod(path.stat().st_mode | 0o200)  # let pytest clean up


def test_read_only_server_serves_an_index_it_cannot_write(site: Path) -> None:
    process, port = serve_read_only(site)
    try:
        wait_ready(process, port)
        status, body = get(port, "/api/search?q=" + "%E3%82%B5%E3%83%BC%E3%83%90")  # サーバ
        assert status == 200
        assert body["total"] > 0
        assert any("サーバー" in hit["snippet_html"] for hit in body["hits"])
    finally:
        stop(process)


def test_read_only_server_refuses_one_writable_file(site: Path) -> None:
    toc = next((site / "index").glob("_MAIN_*.toc"))
    process, _ = serve_read_only(site, writable=toc)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        pass
    err = stop(process)
    assert process.returncode == 2
    assert "must be read-only" in err and toc.name in err
