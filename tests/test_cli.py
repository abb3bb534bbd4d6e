"""The command line: index, query, tokenize, and the README documenting each."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

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


# --- issue 16: query filters and sorts, skipped files named, the progress bar's phases ----------


def test_query_filters_and_sorts_like_the_api(index_dir: Path, capsys) -> None:
    def slugs(*args: str) -> list[str]:
        assert main(["query", *args, "--index", str(index_dir), "--json", "--limit", "50"]) == 0
        return [h["slug"] for h in json.loads(capsys.readouterr().out)["hits"]]

    everything = slugs("サーバー")
    assert len(everything) >= 3
    assert slugs("サーバー", "--category", "運用ノウハウ") == ["server-operations-guide", "disk-usage-du-df"]
    by_date = slugs("サーバー", "--sort", "date")
    assert sorted(by_date) == sorted(everything) and by_date != everything
    assert set(slugs("", "--author", "山本 拓也")) == {"rust-speedup", "linux-file-permissions",
                                                     "postgresql-index-design", "kubernetes-deploy"}
    # --from/--to are whole days in the blog's time zone: 2025-04-10T23:45+09:00 is on the 10th
    assert slugs("", "--from", "2025-04-10", "--to", "2025-04-10") == ["kubernetes-deploy"]
    assert slugs("", "--from", "2025-04-11", "--to", "2025-04-11") == []


def test_query_bad_filters_are_one_line_and_exit_2(index_dir: Path, capsys) -> None:
    assert main(["query", "AI", "--index", str(index_dir), "--from", "2025-02-01", "--to", "2025-01-01"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "blogsearch: query: --from 2025-02-01 is after --to 2025-01-01"
    proc = subprocess.run([sys.executable, "-m", "search.cli", "query", "AI", "--sort", "popular"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1 and "popular" in proc.stderr


def test_query_help_describes_every_option() -> None:
    out = subprocess.run([sys.executable, "-m", "search.cli", "query", "--help"], capture_output=True,
                         text=True, check=True).stdout
    text = " ".join(out.split())
    for option, help_text in [("--sort {relevance,date}", "relevance (default) or date"),
                              ("--category CATEGORY", "only posts in this category"),
                              ("--author AUTHOR", "only posts by this author"),
                              ("--from YYYY-MM-DD", "only posts on or after this day"),
                              ("--to YYYY-MM-DD", "only posts on or before this day"),
                              ("--page PAGE", "page of results to show")]:
        assert f"{option} {help_text}" in text, option


def test_skipped_files_are_named_with_the_reason(posts_copy: Path, tmp_path: Path, capsys) -> None:
    assert main(["index", "--posts", str(posts_copy), "--index", str(tmp_path / "ix"), "--procs", "1"]) == 0
    err = capsys.readouterr().err
    skipped = [l for l in err.splitlines() if l.startswith("skipped:")]
    assert len(skipped) == 1 and skipped[0].endswith(".md (published: false)")
    for i in range(7):
        (posts_copy / f"2025-02-0{i + 1}-draft-{i}.md").write_text(
            f"---\ntitle: 下書き{i}\npublished: false\n---\n\n未公開の下書きです。\n", encoding="utf-8")
    assert main(["index", "--posts", str(posts_copy), "--index", str(tmp_path / "ix2"), "--procs", "1"]) == 0
    err = capsys.readouterr().err
    assert len([l for l in err.splitlines() if l.endswith("(published: false)")]) == 5
    assert "skipped: 3 more posts (--verbose names them)" in err
    (posts_copy / "2099-01-01-someday.md").write_text(
        "---\ntitle: 未来の記事\n---\n\nまだ公開されていません。\n", encoding="utf-8")
    (posts_copy / "2025-03-01-hidden.md").write_text(
        "---\ntitle: 検索に出さない記事\nsearch: false\n---\n\n検索から外します。\n", encoding="utf-8")
    assert main(["index", "--posts", str(posts_copy), "--index", str(tmp_path / "ix3"), "--procs", "1",
                 "--verbose"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert len([l for l in err if l.endswith("(published: false)")]) == 8
    assert "skipped: 2099-01-01-someday.md (dated in the future)" in err
    assert "skipped: 2025-03-01-hidden.md (search: false)" in err


def test_progress_reaches_the_end_then_shows_the_writing_phase(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from search import cli
    from search.cli import _Progress

    monkeypatch.setattr(cli, "PROGRESS_MIN_POSTS", 1)  # a bar for three posts

    class Bar:  # records what tqdm would show
        def __init__(self) -> None:
            self.n, self.desc, self.shown = 0, "reading posts", []

        def update(self, k: int) -> None:
            self.n += k
            self.shown.append((self.n, self.desc))

        def set_description(self, desc: str) -> None:
            self.desc = desc
            self.shown.append((self.n, desc))

        def refresh(self) -> None:
            pass

        def close(self) -> None:
            self.shown.append((self.n, "closed"))

    progress = _Progress()
    items = progress(iter(["a", "b", None]), 3)  # the last file is an unpublished post
    progress.bar = bar = Bar()
    taken = [next(items) for _ in range(3)]  # the builder takes three and never asks again
    assert taken == ["a", "b", None]
    assert bar.shown[-1] == (3, "writing the index")  # 3/3, not stuck at 2/3
    progress.done()
    assert bar.shown[-2:] == [(3, "done"), (3, "closed")]
