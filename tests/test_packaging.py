"""Packaging facts the README promises."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from tests.support import REPO  # noqa: E402


def test_whoosh_imports_without_warnings() -> None:
    code = ("import whoosh, whoosh.index, whoosh.fields, whoosh.query, whoosh.qparser, "
            "whoosh.highlight, whoosh.multiproc, whoosh.codec.whoosh3; import search.query.searcher")
    subprocess.run([sys.executable, "-W", "error", "-c", code], check=True)


def test_dependencies_are_pinned() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    deps = project["dependencies"] + project["optional-dependencies"]["test"]
    assert deps and all("==" in d for d in deps), [d for d in deps if "==" not in d]
    assert [d for d in deps if d.lower().startswith("whoosh")] == ["whoosh-reloaded==2.7.5"]


def test_readme_quick_start_is_two_commands() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["scripts/demo.sh", "scripts/test.sh"]
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "scripts/test.sh" in ci


def test_version_is_the_packages() -> None:
    version = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    done = subprocess.run([sys.executable, "-m", "web.cli", "--version"], cwd=REPO,
                          capture_output=True, text=True)
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, f"blogsearch {version}", "")


def test_wheel_builds_without_warnings_and_carries_templates_and_static(tmp_path: Path) -> None:
    """`pip install` used to print about 60 lines of setuptools warnings
    about web/static and web/templates (issue 15)."""
    import shutil
    import zipfile

    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    for package in ("search", "web"):
        shutil.copytree(REPO / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(tmp_path / "dist"),
                           str(source)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "warning" not in (done.stdout + done.stderr).lower(), done.stderr[-3000:]
    (wheel,) = (tmp_path / "dist").glob("blogsearch-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {p.relative_to(REPO).as_posix() for folder in ("web/static", "web/templates")
               for p in (REPO / folder).iterdir() if p.is_file()}
    assert shipped and shipped <= names, sorted(shipped - names)
