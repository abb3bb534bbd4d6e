"""The systemd units of deploy/systemd: `systemd-analyze verify` accepts
them, and their command lines are ones `blogsearch` accepts (issue 15)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from web.cli import build_parser
from tests.support import REPO

UNITS = REPO / "deploy" / "systemd"
INSTALLED = "/opt/blogsearch/bin/blogsearch"


def exec_start(unit: Path) -> list[str]:
    """The ExecStart command of a unit, continuation lines joined."""
    text = unit.read_text(encoding="utf-8").replace("\\\n", " ")
    (line,) = [l for l in text.splitlines() if l.startswith("ExecStart=")]
    return shlex.split(line.removeprefix("ExecStart="))


def test_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        if os.environ.get("CI"):
            pytest.fail("systemd-analyze is missing (scripts/install-ci-deps.sh installs it)")
        pytest.skip("systemd-analyze is absent")
    blogsearch = Path(sys.executable).with_name("blogsearch")
    assert blogsearch.exists(), "blogsearch is not installed in this Python's environment"
    for unit in UNITS.iterdir():
        # the units name the documented install path; verify checks that it is executable
        (tmp_path / unit.name).write_text(unit.read_text(encoding="utf-8").replace(INSTALLED, str(blogsearch)),
                                          encoding="utf-8")
    units = sorted(str(p) for p in tmp_path.iterdir())
    assert len(units) == 4
    done = subprocess.run([analyze, "verify", *units], capture_output=True, text=True)
    assert (done.returncode, done.stderr.strip()) == (0, ""), done.stderr
    # and verify does fail on a unit it cannot run
    broken = tmp_path / "broken.service"
    broken.write_text((tmp_path / "blogsearch.service").read_text(encoding="utf-8")
                      .replace(str(blogsearch), "/nonexistent/blogsearch"), encoding="utf-8")
    assert subprocess.run([analyze, "verify", str(broken)], capture_output=True).returncode != 0


@pytest.mark.parametrize("unit", ["blogsearch.service", "blogsearch-index.service"])
def test_unit_commands_are_ones_blogsearch_accepts(unit: str) -> None:
    command = exec_start(UNITS / unit)
    assert command[0] == INSTALLED
    args = build_parser().parse_args(command[1:])  # exits 2 on an unknown option
    assert args.command == ("serve" if unit == "blogsearch.service" else "index")
    if args.command == "serve":
        assert args.read_only and args.host == "127.0.0.1"


def test_path_and_timer_start_the_index_run() -> None:
    for name in ("blogsearch-index.path", "blogsearch-index.timer"):
        text = (UNITS / name).read_text(encoding="utf-8")
        assert "Unit=blogsearch-index.service" in text, name
