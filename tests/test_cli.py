"""The command line: index, query, tokenize, and the README documenting each."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path


from search.cli import build_parser, main

from tests.support import REPO  # noqa: E402


def test_index_then_query_json(posts_copy: Path, tmp_path: Path, capsys) -> None:
    ix = str(tmp_path / "ix")
    assert main(["index", "--posts", str(posts_copy), "--index", ix, "--procs", "1"]) == 0
    summary = capsys.readouterr().out.strip().splitlines()[-1]
    assert re.match(r"15 posts indexed, 0 unchanged, 0 deleted, 1 skipped, 0 errors, 15 in index, [\d.]+ s$",
                    summary)
    assert main(["query", "ＡＷＳのＡＩチップ", "--index", ix, "--json", "--limit", "3"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= {"query", "total", "page", "per_page", "hits"}
    assert data["per_page"] == 3 and len(data["hits"]) <= 3
    assert data["hits"][0]["slug"] == "aws-trainium2"
    assert set(data["hits"][0]) >= {"slug", "url", "title", "date", "tags", "categories", "author",
                                    "excerpt", "score", "snippet_html"}


def test_query_text_with_spaces_and_tags(index_dir: Path, capsys) -> None:
    assert main(["query", "PostgreSQL バックアップ", "--index", str(index_dir),
                 "--tag", "データベース"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].endswith("'PostgreSQL バックアップ'")
    assert "1. PostgreSQL" in out and "【" in out  # matches marked in plain output


def test_index_exit_status_reports_bad_posts(posts_copy: Path, tmp_path: Path, capsys) -> None:
    (posts_copy / "2025-01-01-broken.md").write_text("no front matter", encoding="utf-8")
    assert main(["index", "--posts", str(posts_copy), "--index", str(tmp_path / "ix")]) == 1
    captured = capsys.readouterr()
    assert "2025-01-01-broken.md: no YAML front matter" in captured.err
    assert "15 posts indexed" in captured.out and "1 errors" in captured.out


def test_missing_index_is_a_clear_error(tmp_path: Path, capsys) -> None:
    assert main(["query", "AI", "--index", str(tmp_path / "none")]) == 2
    assert "no index in" in capsys.readouterr().err


def test_tokenize_shows_kept_and_dropped(capsys) -> None:
    assert main(["tokenize", "ＡＷＳのサーバーを高速化した"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["surface", "term", "lemma"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert rows["ＡＷＳ"].split()[1] == "aws" and rows["ＡＷＳ"].endswith("kept")
    assert rows["サーバー"].split()[1] == "サーバ"
    assert rows["を"].endswith("dropped")


def test_tokenize_json(capsys) -> None:
    assert main(["tokenize", "行なった", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["surface"] == "行なっ" and rows[0]["term"] == "行う" and rows[0]["kept"]


def test_environment_supplies_defaults(index_dir: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("BLOGSEARCH_INDEX", str(index_dir))
    assert main(["query", "量子ビット"]) == 0
    assert "量子コンピューター" in capsys.readouterr().out


def test_console_script_runs() -> None:
    out = subprocess.run([sys.executable, "-m", "search.cli", "--help"], capture_output=True,
                         text=True, check=True).stdout
    assert "index" in out and "query" in out and "tokenize" in out


def test_readme_documents_every_command() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    commands = build_parser()._subparsers._group_actions[0].choices  # noqa: SLF001
    for name in commands:
        assert f"blogsearch {name}" in readme, name
