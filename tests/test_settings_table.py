"""One table of settings: every BLOGSEARCH_* variable is declared once
(search.settings for the library's rows, web.settings for the service's),
read through the table, and documented in the README's settings table."""

from __future__ import annotations

import re
from collections import Counter

from search.cli import build_parser
from search.settings import LIBRARY
from tests.support import REPO
from web.settings import ALL_SETTINGS, APP_SETTINGS


def test_every_setting_is_declared_once() -> None:
    names = Counter(s.name for s in ALL_SETTINGS)
    assert [n for n, count in names.items() if count > 1] == []
    # the rows the service shares with the library are the library's, not copies
    assert all(s is LIBRARY[s.name] for s in APP_SETTINGS if s.name in LIBRARY)
    assert {"INDEX", "BASE_URL", "TIMEZONE", "QUERY_LOG"} <= {s.name for s in APP_SETTINGS}


def test_the_readme_documents_exactly_the_table() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Settings", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `(BLOGSEARCH_[A-Z_]+)`", table, re.M))
    assert documented == {s.env for s in ALL_SETTINGS}


def test_no_module_reads_a_blogsearch_variable_but_through_the_table() -> None:
    offenders = []
    for path in [*(REPO / "search").rglob("*.py"), *(REPO / "web").rglob("*.py")]:
        if path.name == "settings.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"(environ|getenv)\b.*BLOGSEARCH_|BLOGSEARCH_.*(environ|getenv)\b", line):
                offenders.append(f"{path.relative_to(REPO)}:{number}")
    assert offenders == []


def test_the_command_lines_options_take_their_variables_from_the_table(monkeypatch) -> None:  # noqa: ANN001
    """build_parser reads each option's default through the table (an
    undeclared name would raise KeyError here)."""
    monkeypatch.setenv(LIBRARY["INDEX_WAIT"].env, "7")
    monkeypatch.setenv(LIBRARY["POSTS"].env, "/srv/blog")
    args = build_parser().parse_args(["index", "--index", "ix"])
    assert args.posts == "/srv/blog" and args.wait == 7.0
