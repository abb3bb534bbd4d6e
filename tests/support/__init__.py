"""What several test files share: where the repository is, and starting a
real `blogsearch serve` on a free port and stopping it."""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env() -> dict[str, str]:
    """This process's environment without blogsearch's own settings."""
    return {k: v for k, v in os.environ.items() if not k.startswith("BLOGSEARCH_")}


def answers(port: int, path: str = "/readyz") -> bool:
    """Whether `path` on the server answers 200 (False while it cannot be reached)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status == 200
    except OSError:
        return False
    finally:
        conn.close()


@contextmanager
def blogsearch_serve(index: Path, log: Path, *args: str, port: int | None = None,
                     env: dict[str, str] | None = None,
                     ready: Callable[[int, subprocess.Popen[bytes]], bool] | None = None,
                     poll: float = 0.1, check_exit: bool = True,
                     ) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """`blogsearch serve --index INDEX` on 127.0.0.1 (a free port unless
    `port`), `args` added, its output in `log`, `env` added to a clean
    environment. Yields (port, process) once `ready(port, process)` (default:
    /readyz answers 200), within 30 s; then terminates it and, with
    `check_exit`, asserts it exited 0."""
    port = port or free_port()
    is_ready = ready or (lambda p, _proc: answers(p))
    command = [sys.executable, "-m", "web.cli", "serve", "--index", str(index), "--host", "127.0.0.1",
               "--port", str(port), *args]
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, cwd=REPO, env={**clean_env(), **(env or {})}, stdout=out,
                                stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while True:
                assert proc.poll() is None, log.read_text(errors="replace")
                if is_ready(port, proc):
                    break
                assert time.monotonic() < deadline, "server did not become ready:\n" + log.read_text()
                time.sleep(poll)
            yield port, proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                raise
    if check_exit:
        assert proc.returncode == 0, log.read_text(errors="replace")


def jekyll() -> str:
    """The path of Debian's `jekyll`, the referee for a Jekyll site's posts and
    URLs; the test skips where it is absent, and fails in CI (which installs it)."""
    import pytest

    found = shutil.which("jekyll")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("jekyll is missing (scripts/install-ci-deps.sh installs it)")
        pytest.skip("jekyll is absent")
    return found
