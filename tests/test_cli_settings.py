"""Settings that fail fast, through the real command line: a bad option or
`BLOGSEARCH_*` variable stops the command before anything starts (no index
written, no server started) with one line on stderr and exit status 2, never
a traceback. Before: `serve --cors-origins '*'` printed "serving", then every
gunicorn worker died with a SettingsError traceback (gunicorn exit 3);
`index --timezone Mars/Phobos` printed a 40-line ZoneInfoNotFoundError;
`--permalink blah` gave every post the URL /blah; `report --since 0001-01-01`
raised OverflowError."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from search.settings import check_base_url

from tests.support import REPO  # noqa: E402
POSTS = REPO / "data" / "posts"


def blogsearch(args: list[str | bytes], env: dict[str, str] | None = None,
               cwd: Path = REPO) -> subprocess.CompletedProcess[bytes]:
    """Run the command in a process group of its own; a server that did
    start after all (the regression) is stopped with its workers."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BLOGSEARCH_")}
    command = [sys.executable, "-m", "web.cli", *args]
    with subprocess.Popen(command, cwd=cwd, env={**clean, **(env or {})}, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, start_new_session=True) as proc:
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            pytest.fail(f"still running after 60 s: {args}\n{err.decode(errors='replace')[-2000:]}")
    return subprocess.CompletedProcess(command, proc.returncode, out, err)


def assert_refused(run: subprocess.CompletedProcess[bytes], *fragments: str) -> str:
    err = run.stderr.decode()
    assert run.returncode == 2, (run.returncode, err, run.stdout)
    assert "Traceback" not in err
    (line,) = err.splitlines()  # one line
    assert line.startswith("blogsearch"), line
    for fragment in fragments:
        assert fragment in line, line
    assert run.stdout == b""
    return line


SERVE = ["serve", "--query-log", "", "--port", "0"]

# (arguments, environment, what the one line must say)
REFUSED = [
    pytest.param(SERVE + ["--cors-origins", "*"], {}, ["--cors-origins", "'*' is not allowed"], id="serve-cors-star"),
    pytest.param(SERVE + ["--cors-origins", "null"], {}, ["'null' is not allowed"], id="serve-cors-null"),
    pytest.param(SERVE + ["--cors-origins", "https://blog.example.com,blog.example.com"], {},
                 ["'blog.example.com' is not an origin"], id="serve-cors-no-scheme"),
    pytest.param(SERVE, {"BLOGSEARCH_CORS_ORIGINS": "*"}, ["(from BLOGSEARCH_CORS_ORIGINS)"], id="serve-cors-env"),
    pytest.param(SERVE + ["--timezone", "Mars/Phobos"], {}, ["--timezone", "unknown time zone 'Mars/Phobos'"],
                 id="serve-timezone"),
    pytest.param(SERVE + ["--base-url", "blog.example.com"], {}, ["--base-url", "is not a base URL"],
                 id="serve-base-url"),
    pytest.param(SERVE + ["--host", "bad host"], {}, ["--host", "host name or an IP address"], id="serve-host"),
    pytest.param(["serve", "--query-log", ""], {"BLOGSEARCH_PORT": "80000"},
                 ["--port", "between 0 and 65535", "BLOGSEARCH_PORT"], id="serve-port-env"),
    pytest.param(SERVE, {"BLOGSEARCH_WORKERS": "0"}, ["--workers", "1 or more"], id="serve-workers-env"),
    pytest.param(SERVE, {"BLOGSEARCH_READ_ONLY": "maybe"}, ["BLOGSEARCH_READ_ONLY='maybe'"], id="serve-read-only-env"),
    pytest.param(["index", "--posts", str(POSTS), "--timezone", "Mars/Phobos"], {},
                 ["blogsearch index: argument --timezone: unknown time zone 'Mars/Phobos'"], id="index-timezone"),
    pytest.param(["index", "--posts", str(POSTS)], {"BLOGSEARCH_TIMEZONE": "Mars/Phobos"},
                 ["(from BLOGSEARCH_TIMEZONE)"], id="index-timezone-env"),
    pytest.param(["index", "--posts", str(POSTS), "--permalink", "blah"], {},
                 ["--permalink", "'blah' is neither a permalink style (date, pretty, ordinal, weekdate, none)",
                  ":title"], id="index-permalink-word"),
    pytest.param(["index", "--posts", str(POSTS), "--permalink", "/:foo/:title"], {},
                 [":foo is an unknown placeholder", ":categories"], id="index-permalink-unknown"),
    pytest.param(["index", "--posts", str(POSTS)], {"BLOGSEARCH_PERMALINK": "/:long_month/:title/"},
                 [":long_month is a Jekyll placeholder blogsearch does not support", "BLOGSEARCH_PERMALINK"],
                 id="index-permalink-jekyll-only-env"),
    pytest.param(["index", "--posts", str(POSTS), "--base-url", "https://blog.example.com?x=1"], {},
                 ["is not a base URL"], id="index-base-url"),
    pytest.param(["index", "--posts", str(POSTS)], {"BLOGSEARCH_INDEX_WAIT": "soon"},
                 ["--wait", "'soon' is not a number of seconds", "BLOGSEARCH_INDEX_WAIT"], id="index-wait-env"),
    pytest.param(["index", "--posts", str(POSTS), "--procs", "0"], {}, ["--procs"], id="index-procs"),
    pytest.param(["check", "--posts", str(POSTS), "--timezone", "Mars/Phobos"], {}, ["unknown time zone"],
                 id="check-timezone"),
    pytest.param(["report", "--log", "querylog", "--timezone", "Mars/Phobos"], {}, ["unknown time zone"],
                 id="report-timezone"),
    pytest.param(["report", "--log", "querylog", "--since", "0001-01-01"], {},
                 ["since 0001-01-01 is out of range: give a day from 0001-01-02 to 9999-12-30"], id="report-since"),
    pytest.param(["report", "--log", "querylog", "--until", "9999-12-31"], {},
                 ["until 9999-12-31 is out of range"], id="report-until"),
    pytest.param(["query", "AI", "--limit", "0"], {}, ["--limit"], id="query-limit"),
]


@pytest.mark.parametrize("args,env,fragments", REFUSED)
def test_bad_setting_stops_the_command_in_one_line(tmp_path: Path, args: list[str], env: dict[str, str],
                                                   fragments: list[str]) -> None:
    (tmp_path / "querylog").mkdir()
    args = [a if a != "querylog" else str(tmp_path / "querylog") for a in args]
    run = blogsearch([*args, "--index", str(tmp_path / "index")] if args[0] != "report" else args,
                     env, cwd=tmp_path)
    assert_refused(run, *fragments)
    assert not (tmp_path / "index").exists()  # nothing was written


def test_the_index_is_built_with_each_documented_permalink_style(tmp_path: Path) -> None:
    """The styles and placeholders the message offers are accepted."""
    for i, permalink in enumerate(["pretty", "/:categories/:year/:month_:day/:title:output_ext"]):
        run = blogsearch(["index", "--posts", str(POSTS), "--index", str(tmp_path / f"ix{i}"), "--procs", "1",
                          "--permalink", permalink])
        assert run.returncode == 0, run.stderr.decode()
    query = blogsearch(["query", "PostgreSQL バックアップ", "--index", str(tmp_path / "ix1"), "--json"])
    hit = json.loads(query.stdout)["hits"][0]
    assert hit["slug"] == "postgresql-backup"
    assert hit["url"] == f"/{quote('運用ノウハウ')}/2025/05_08/postgresql-backup.html"


def test_undecodable_command_line_text_is_analysed_as_replacement_characters() -> None:
    """`blogsearch tokenize $'\\xff'`: argv arrives with a surrogate escape,
    which MeCab could not be given (UnicodeEncodeError)."""
    run = blogsearch(["tokenize", "テスト".encode() + b"\xff" + "サーバー".encode(), "--json"])
    assert run.returncode == 0, run.stderr.decode()
    rows = json.loads(run.stdout)
    assert [(r["surface"], r["term"], r["kept"]) for r in rows] == [
        ("テスト", "テスト", True), ("\ufffd", "\ufffd", False), ("サーバー", "サーバ", True)]
    assert [(r["start"], r["end"]) for r in rows] == [(0, 3), (3, 4), (4, 8)]
    plain = blogsearch(["tokenize", b"\xff"])
    assert plain.returncode == 0 and "\ufffd" in plain.stdout.decode() and plain.stderr == b""


@pytest.mark.parametrize("value,expected", [
    ("", ""), ("https://blog.example.com/", "https://blog.example.com"),
    ("http://localhost:4000", "http://localhost:4000"), ("https://example.com/blog/", "https://example.com/blog"),
    ("/blog", "/blog"), (" https://ブログ.example ", "https://ブログ.example"),
])
def test_base_urls_that_make_links(value: str, expected: str) -> None:
    assert check_base_url(value) == expected


@pytest.mark.parametrize("value", [
    "blog.example.com", "ftp://blog.example.com", "https://blog.example.com?x=1", "https://blog.example.com#top",
    "//blog.example.com", "https://user@blog.example.com", "javascript:alert(1)", "/a b", "https://",
    "https://blog.example.com:99999", "/\\evil.example",
])
def test_base_urls_that_would_break_links_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match="base URL|not a URL"):
        check_base_url(value)
