"""The package's structure: imports run one way, the public API resolves,
and the command line loads only what a command needs."""

from __future__ import annotations

import ast
import subprocess
import sys

import search
from tests.support import REPO, clean_env

LAYERS = ("text", "ingest", "index", "query", "editorial")


def _imports(path) -> set[str]:  # noqa: ANN001
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_the_library_never_imports_the_web_package() -> None:
    offenders = {str(p.relative_to(REPO)): sorted(m for m in _imports(p) if m.split(".")[0] == "web")
                 for p in (REPO / "search").rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_write_side_does_not_import_the_read_side() -> None:
    """text, ingest and index never import query or editorial (the index is
    built without the searcher); query never imports editorial."""
    allowed_below = {"text": {"text"}, "ingest": {"text", "ingest"},
                     "index": {"text", "ingest", "index"},
                     "query": {"text", "ingest", "index", "query"}}
    wrong = []
    for layer, allowed in allowed_below.items():
        for path in (REPO / "search" / layer).rglob("*.py"):
            for module in _imports(path):
                parts = module.split(".")
                if parts[0] == "search" and len(parts) > 1 and parts[1] in LAYERS \
                        and parts[1] not in allowed:
                    wrong.append(f"{path.relative_to(REPO)} imports {module}")
    assert wrong == []


def test_every_public_name_resolves_to_its_owner() -> None:
    for name in search.__all__:
        value = getattr(search, name)
        assert getattr(value, "__name__", name) == name
        assert value.__module__.startswith("search.")


def test_tokenize_loads_neither_whoosh_nor_numpy_nor_flask() -> None:
    code = ("import sys\nfrom web.cli import main\nmain(['tokenize', 'ファイルを削除する'])\n"
            "print(sorted(m for m in ('flask', 'whoosh', 'numpy', 'gunicorn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=clean_env(),
                         capture_output=True, text=True, timeout=60, check=True).stdout
    assert "削除" in out
    assert out.strip().splitlines()[-1] == "[]"
