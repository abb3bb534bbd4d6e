"""Packaging facts the README promises."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from tests.support import REPO  # noqa: E402


def test_whoosh_imports_without_warnings() -> None:
    code = ("import whoosh, whoosh.index, whoosh.fields, whoosh.query, whoosh.qparser, "
            "whoosh.highlight, whoosh.multiproc, whoosh.codec.whoosh3; import search.query")
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
