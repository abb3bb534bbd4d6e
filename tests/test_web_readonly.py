"""Read-only serving: with READ_ONLY the search service refuses to start when
it could change the index (whose table of contents is a pickle), and serves
normally as a user that can only read it — the deployment README describes:
`blogsearch index` as one user, `blogsearch serve --read-only` as another."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Iterator

import pytest

from search.index.storage import IndexWritableError, writable_paths
from search import build_index
from tests.test_web_server import clean_env, free_port, get
import web.server
from web import create_app
from web.cli import main

from tests.support import REPO  # noqa: E402


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


# --- the README's layout with real users: modes, unreadable indexes, every folder above ---

@pytest.mark.parametrize("umask, folder_mode, file_mode", [(0o022, 0o755, 0o644), (0o077, 0o700, 0o600)])
def test_index_folder_and_files_follow_the_umask(tmp_path: Path, umask: int, folder_mode: int,
                                                  file_mode: int) -> None:
    index = tmp_path / "site" / "index"
    old = os.umask(umask)
    try:
        for rebuild in (False, True):  # a first build, then `--rebuild` (a staging folder swapped in)
            build_index(REPO / "data" / "posts", index, rebuild=rebuild, procs=1)
            assert oct(index.stat().st_mode & 0o777) == oct(folder_mode), rebuild
            files = {p.name: oct(p.stat().st_mode & 0o777) for p in index.iterdir()}
            assert any(name.endswith(".toc") for name in files) and "MAIN_WRITELOCK" in files
            assert set(files.values()) == {oct(file_mode)}, (rebuild, files)
    finally:
        os.umask(old)


NOBODY = 65534


def nobody_python() -> tuple[str, dict[str, str]] | None:
    """A Python the user nobody can run with this checkout's packages, and
    its environment: ours, or else the system's of the same version on our
    site-packages (a pyenv Python under /root is out of nobody's reach)."""
    env = clean_env() | {"PYTHONDONTWRITEBYTECODE": "1", "HOME": "/nonexistent"}
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    candidates = [(sys.executable, env), (f"/usr/bin/python{version}",
                                          env | {"PYTHONPATH": sysconfig.get_paths()["purelib"]})]
    for exe, exe_env in candidates:
        try:
            probe = subprocess.run([exe, "-c", "import fugashi, flask, whoosh, search.query.searcher, web"],
                                   cwd=REPO, env=exe_env, user=NOBODY, group=NOBODY, extra_groups=[],
                                   capture_output=True)
        except OSError:
            continue
        if probe.returncode == 0:
            return exe, exe_env
    return None


def as_nobody(script: str, *args: str, stdin: int | None = None) -> subprocess.Popen[str]:
    """`python -c script args…` as the user nobody (the README's web user)."""
    found = nobody_python()
    assert found is not None
    exe, env = found
    return subprocess.Popen([exe, "-c", script, *args], cwd=REPO, env=env, user=NOBODY, group=NOBODY,
                            extra_groups=[], stdin=stdin, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def run_as_nobody(script: str, *args: str) -> tuple[int, str, str]:
    process = as_nobody(script, *args)
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


@pytest.fixture
def shared(tmp_path: Path) -> Iterator[Path]:
    """A root-owned folder, mode 0755, that nobody can reach (pytest's own
    temporary folders are 0700)."""
    if os.geteuid() != 0:
        pytest.skip("needs root to run a process as another user")
    if nobody_python() is None:
        pytest.skip("the user nobody cannot run a Python with this checkout's packages")
    path = Path(tempfile.mkdtemp(prefix="blogsearch-ro-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


SEARCH_AND_CHECK = """
import json, sys
from search.index.storage import writable_paths
from search import Searcher
with Searcher(sys.argv[1]) as searcher:
    result = searcher.search("サーバーの監視")
    print(json.dumps({"total": result.total, "slugs": [hit.slug for hit in result.hits],
                      "writable": [str(p) for p in writable_paths(sys.argv[1])]}))
"""


def test_readme_layout_another_user_searches_an_index_built_by_root(shared: Path) -> None:
    index = shared / "srv" / "index"
    old = os.umask(0o022)
    try:
        for rebuild in (False, True):
            build_index(REPO / "data" / "posts", index, rebuild=rebuild, procs=1)
            rc, out, err = run_as_nobody(SEARCH_AND_CHECK, str(index))
            assert rc == 0, err
            found = json.loads(out)
            assert found["total"] > 0 and "server-operations-guide" in found["slugs"]
            assert found["writable"] == []
    finally:
        os.umask(old)


ROUTES = ["/readyz", "/api/search?q=サーバー", "/search?q=サーバー", "/api/suggest?q=サー"]

APP_ROUTES = """
import json, sys
from web import create_app
app = create_app({"INDEX": sys.argv[1], "READ_ONLY": True, "QUERY_LOG": ""})
client = app.test_client()
def answers():
    out = {}
    for route in sys.argv[2:]:
        response = client.get(route)
        body = response.get_json(silent=True) or {}
        out[route] = [response.status_code, body.get("error", {}).get("code"),
                      body.get("error", {}).get("message"), response.get_data(as_text=True)[:3000]]
    return out
if sys.stdin.isatty() is False and sys.stdin.readable():
    print(json.dumps(answers()), flush=True)
    sys.stdin.readline()  # the parent changes the index
print(json.dumps(answers()), flush=True)
"""


def assert_unavailable(answers: dict[str, list], routes: list[str]) -> None:
    for route in routes:
        status, code, message, text = answers[route]
        assert status == 503, (route, status, text[:300])
        if route.startswith("/search"):
            # the page speaks Japanese (the API's English message stays in the JSON)
            assert "検索は一時的に利用できません" in text and 'data-code="index_unavailable"' in text
        else:
            assert code == "index_unavailable" and "cannot be read" in message and "\n" not in message


@pytest.mark.parametrize("unreadable", ["folder", "file"])
def test_an_index_the_server_cannot_read_is_503_never_500(shared: Path, unreadable: str) -> None:
    index = shared / "index"
    old = os.umask(0o077 if unreadable == "folder" else 0o022)
    try:
        build_index(REPO / "data" / "posts", index, procs=1)
    finally:
        os.umask(old)
    if unreadable == "file":
        next(index.glob("_MAIN_*.toc")).chmod(0o600)
    process = as_nobody(APP_ROUTES, str(index), *ROUTES, stdin=subprocess.DEVNULL)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert_unavailable(json.loads(out.splitlines()[-1]), ROUTES)


def test_a_rebuild_the_running_server_cannot_read_is_503_never_500(shared: Path) -> None:
    index = shared / "index"
    old = os.umask(0o022)
    try:
        build_index(REPO / "data" / "posts", index, procs=1)
        process = as_nobody(APP_ROUTES, str(index), *ROUTES, stdin=subprocess.PIPE)
        assert process.stdout is not None and process.stdin is not None
        before = json.loads(process.stdout.readline())
        assert all(answer[0] == 200 for answer in before.values()), before
        os.umask(0o077)  # an indexer with a private umask swaps in a folder of mode 0700
        build_index(REPO / "data" / "posts", index, rebuild=True, procs=1)
    finally:
        os.umask(old)
    out, err = process.communicate("go\n", timeout=120)
    assert process.returncode == 0, err
    after = json.loads(out.splitlines()[-1])
    # the worker does not answer from the version it has open: a new worker could not either
    assert_unavailable(after, ROUTES)


def test_serve_read_only_on_an_index_it_cannot_read_exits_2_in_one_line(shared: Path) -> None:
    index = shared / "index"
    old = os.umask(0o077)  # a first build as the README says, but with a private umask: 0700
    try:
        build_index(REPO / "data" / "posts", index, procs=1)
    finally:
        os.umask(old)
    serve = "import sys; from web.cli import main; sys.exit(main(sys.argv[1:]))"
    rc, out, err = run_as_nobody(serve, "serve", "--read-only", "--index", str(index), "--port", "0")
    assert rc == 2
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "cannot be read" in err and str(index) in err and "serving" not in err


WRITABLE = """
import json, sys
from search.index.storage import writable_paths
print(json.dumps({path: [str(p) for p in writable_paths(path)] for path in sys.argv[1:]}))
"""


def test_read_only_check_walks_every_folder_up_to_the_root(shared: Path) -> None:
    """As nobody: each index below is root's (0755, files 0644); only the
    folders above it differ."""
    old = os.umask(0o022)
    try:
        build_index(REPO / "data" / "posts", shared / "built" / "index", procs=1)
    finally:
        os.umask(old)

    def index_in(folder: Path, mode: int = 0o755, owner: int = 0) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copytree(shared / "built" / "index", folder / "index")
        os.chown(folder, owner, owner)
        folder.chmod(mode)
        return folder / "index"

    good = index_in(shared / "good" / "srv")
    writable_grandparent = index_in(shared / "open" / "srv")
    (shared / "open").chmod(0o777)
    index_in(shared / "drop" / "srv")  # the symlink below points at it
    (shared / "drop").chmod(0o777)  # the link's target's parent's parent: nobody can rename srv
    (shared / "link").mkdir()
    os.symlink("../drop/srv/index", shared / "link" / "index")
    target_parent = index_in(shared / "drop2")
    (shared / "drop2").chmod(0o777)  # the target's parent itself
    (shared / "link2").mkdir()
    os.symlink(target_parent, shared / "link2" / "index")
    (shared / "tmp").mkdir(mode=0o1777)
    (shared / "tmp").chmod(0o1777)
    sticky_root_child = index_in(shared / "tmp" / "srv")
    sticky_own_child = index_in(shared / "tmp" / "mine", owner=NOBODY)
    owned_parent = index_in(shared / "owned", mode=0o555, owner=NOBODY)  # nobody can chmod it

    paths = [good, writable_grandparent, shared / "link" / "index", shared / "link2" / "index",
             sticky_root_child, sticky_own_child, owned_parent]
    rc, out, err = run_as_nobody(WRITABLE, *map(str, paths))
    assert rc == 0, err
    found = json.loads(out)
    assert found[str(good)] == []
    assert found[str(writable_grandparent)] == [str(shared / "open")]
    assert found[str(shared / "link" / "index")] == [str(shared / "drop")]
    assert found[str(shared / "link2" / "index")] == [str(shared / "drop2")]
    assert found[str(sticky_root_child)] == []
    assert found[str(sticky_own_child)] == [str(shared / "tmp" / "mine"), str(shared / "tmp")]
    assert found[str(owned_parent)] == [str(shared / "owned")]
