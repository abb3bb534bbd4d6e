"""Reading a Jekyll site's _config.yml (search.ingest.jekyll, issue 15): a first
run without options gives the links the blog has, checked against real
Jekyll; options override the file; `check` agrees with `index`."""

from __future__ import annotations

import fnmatch
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest
from hypothesis import given, settings, strategies as st

from search.ingest import layout
from search.ingest.jekyll import JekyllConfigError, config_files, read_config
from search import Searcher
from tests.support import REPO, jekyll


POSTS = {
    "2026-01-18-amazon-ai-chip.md": (
        "---\ntitle: AmazonのAIチップ戦略\ncategories: [投資分析]\ntags: [AI, チップ]\n---\n"
        "AmazonはTrainium2という独自のAIチップを発表した。推論の費用を下げるのが狙いだ。\n"),
    "2026-02-03-penguin-march.md": (
        "---\ntitle: ペンギンの行進を観察する\ndate: 2026-02-03 23:30:00 +0000\ntags: [動物]\n---\n"
        "南極のペンギンは群れで長い距離を歩いて移動する。その行進を一日中観察した。\n"),
}
QUERIES = {"Trainium2": "amazon-ai-chip", "ペンギンの行進": "penguin-march"}


def make_site(root: Path, config: str) -> Path:
    site = root / "site"
    (site / "_posts").mkdir(parents=True)
    (site / "_config.yml").write_text(config, encoding="utf-8")
    for name, text in POSTS.items():
        (site / "_posts" / name).write_text(text, encoding="utf-8")
    return site


def blogsearch(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "web.cli", *args], cwd=REPO, capture_output=True, text=True,
                          env=os.environ.copy())


def urls(index: Path) -> dict[str, str]:
    with Searcher(index) as searcher:
        return {slug: searcher.search(query).hits[0].url for query, slug in QUERIES.items()}


# --- reading the file -------------------------------------------------------------


def test_url_and_baseurl_permalink_and_timezone_are_read(tmp_path: Path) -> None:
    site = make_site(tmp_path, "url: https://example.jp/\nbaseurl: /blog\npermalink: pretty\n"
                               "timezone: America/New_York\ntitle: 技術ブログ\n")
    config = read_config(config_files(site, None))
    assert (config.base_url, config.permalink, config.timezone) == \
        ("https://example.jp/blog", "pretty", "America/New_York")
    assert str(site / "_config.yml") in config.describe()


def test_config_files_merge_left_to_right(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text("url: https://example.jp\npermalink: pretty\n", encoding="utf-8")
    (tmp_path / "b.yml").write_text("permalink: /:year/:title/\n", encoding="utf-8")
    files = config_files(tmp_path, f"{tmp_path / 'a.yml'}, {tmp_path / 'b.yml'}")
    config = read_config(files)
    assert (config.base_url, config.permalink) == ("https://example.jp", "/:year/:title/")


@pytest.mark.parametrize("text, message", [
    ("url: [unclosed\n", "is not valid YAML"),
    ("- a list\n", "is not a Jekyll configuration"),
    ("timezone: Mars/Phobos\n", "timezone: unknown time zone 'Mars/Phobos'"),
    ("permalink: /:long_month/:title/\n", "permalink: "),
    ("url: example.jp\n", "url/baseurl: "),
    ("exclude: old\n", "exclude: not a list of paths"),
    ("defaults: {scope: {path: news}}\n", "defaults: not a list of scopes and values"),
])
def test_a_bad_config_is_one_line_naming_the_file(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "_config.yml").write_text(text, encoding="utf-8")
    with pytest.raises(JekyllConfigError) as caught:
        read_config(config_files(tmp_path, None))
    assert message in str(caught.value) and str(tmp_path / "_config.yml") in str(caught.value)
    assert "\n" not in str(caught.value)
    done = blogsearch("index", "--posts", str(tmp_path), "--index", str(tmp_path / "ix"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and message in done.stderr


# --- the command line --------------------------------------------------------------


def test_first_run_uses_the_config_and_check_agrees(tmp_path: Path) -> None:
    site = make_site(tmp_path, "url: https://example.jp\nbaseurl: /blog\n"
                               "permalink: /:categories/:year/:month/:day/:title/\ntimezone: Asia/Tokyo\n")
    index = tmp_path / "index"
    done = blogsearch("index", "--posts", str(site), "--index", str(index))
    assert done.returncode == 0, done.stderr
    assert f"site configuration: {site / '_config.yml'}" in done.stderr
    assert urls(index)["amazon-ai-chip"] == "https://example.jp/blog/%E6%8A%95%E8%B3%87%E5%88%86%E6%9E%90/2026/01/18/amazon-ai-chip/"
    # check reads the same file: nothing is stale (it called every post stale before)
    done = blogsearch("check", "--posts", str(site), "--index", str(index))
    assert done.returncode == 0, done.stdout + done.stderr
    # options override the file
    done = blogsearch("index", "--posts", str(site), "--index", str(index), "--base-url", "/b",
                      "--permalink", "pretty")
    assert done.returncode == 0, done.stderr
    assert urls(index)["amazon-ai-chip"] == "/b/%E6%8A%95%E8%B3%87%E5%88%86%E6%9E%90/2026/01/18/amazon-ai-chip/"


def test_a_site_without_config_keeps_the_defaults(tmp_path: Path) -> None:
    site = make_site(tmp_path, "")
    (site / "_config.yml").unlink()
    done = blogsearch("index", "--posts", str(site), "--index", str(tmp_path / "index"))
    assert done.returncode == 0 and "site configuration" not in done.stderr
    assert urls(tmp_path / "index")["amazon-ai-chip"] == "/%E6%8A%95%E8%B3%87%E5%88%86%E6%9E%90/2026/01/18/amazon-ai-chip.html"


# --- Jekyll as the referee ------------------------------------------------------------


@pytest.mark.parametrize("config, tz", [
    ("permalink: date\n", "UTC"),
    ("permalink: date\n", "Asia/Tokyo"),  # no zone in the file: the machine's (the 23:30 UTC post moves a day)
    ("url: https://example.jp\nbaseurl: /blog\npermalink: pretty\ntimezone: Asia/Tokyo\n", "UTC"),
    ("baseurl: /blog\npermalink: /:categories/:year/:month/:day/:title/\ntimezone: America/New_York\n",
     "Asia/Tokyo"),
], ids=["default-utc-machine", "default-tokyo-machine", "pretty-baseurl-tokyo", "categories-newyork"])
def test_urls_are_the_pages_jekyll_writes(tmp_path: Path, config: str, tz: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    site = make_site(tmp_path, config)
    monkeypatch.setenv("TZ", tz)  # the building machine's zone, for Jekyll and blogsearch alike
    built = subprocess.run([jekyll(), "build", "--source", str(site), "--destination", str(tmp_path / "_site")],
                           capture_output=True, text=True, timeout=300, env={**os.environ, "LANG": "C.UTF-8"})
    assert built.returncode == 0, built.stdout + built.stderr
    written = {"/" + p.relative_to(tmp_path / "_site").as_posix() for p in (tmp_path / "_site").rglob("*.html")}
    done = blogsearch("index", "--posts", str(site), "--index", str(tmp_path / "index"))
    assert done.returncode == 0, done.stderr
    prefix = read_config(config_files(site, None)).base_url or ""
    for slug, url in urls(tmp_path / "index").items():
        assert url.startswith(prefix), (slug, url)
        path = unquote(url.removeprefix(prefix).split("://", 1)[-1])
        page = path + "index.html" if path.endswith("/") else path
        assert page in written, (slug, url, sorted(written))


# --- the settings the index was built with (blogsearch.json) ----------------------------


def url_of(index: Path, slug: str) -> str:
    with Searcher(index) as searcher:
        return searcher.post(slug)["url"]  # by slug: a search for both posts' words finds neither now


def test_later_runs_without_options_reuse_the_settings_the_index_was_built_with(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from search.cli import main

    site = make_site(tmp_path, "")
    (site / "_config.yml").unlink()  # a folder of posts: the settings come from options only
    index = tmp_path / "index"
    assert main(["index", "--posts", str(site), "--index", str(index), "--procs", "1",
                 "--base-url", "https://example.jp/blog", "--permalink", "pretty"]) == 0
    capsys.readouterr()
    # check and an incremental run without the options: nothing stale, nothing rewritten
    assert main(["check", "--posts", str(site), "--index", str(index)]) == 0
    out = capsys.readouterr()
    assert f"site settings: as the index in {index} was built" in out.err and "clean" in out.out
    assert main(["index", "--posts", str(site), "--index", str(index), "--procs", "1"]) == 0
    assert "0 posts indexed, 2 unchanged" in capsys.readouterr().out
    assert url_of(index, "penguin-march") == "https://example.jp/blog/2026/02/04/penguin-march/"
    # one option changed: the others are kept; check names the change, index rebuilds every URL
    assert main(["check", "--posts", str(site), "--index", str(index), "--permalink", "date"]) == 1
    assert "permalink pretty → date" in capsys.readouterr().out
    assert main(["index", "--posts", str(site), "--index", str(index), "--procs", "1",
                 "--permalink", "date"]) == 0
    out = capsys.readouterr()
    assert "site settings changed since the index was built: permalink pretty → date" in out.err
    assert "2 posts indexed, 0 unchanged" in out.out
    assert url_of(index, "penguin-march") == "https://example.jp/blog/2026/02/04/penguin-march.html"
    assert main(["check", "--posts", str(site), "--index", str(index)]) == 0


def test_a_settings_change_rebuilds_rather_than_keeping_an_old_url(tmp_path: Path) -> None:
    """A post that fails to parse after the change keeps no old URL beside the new ones."""
    from search import build_index
    from search.ingest.posts import SiteConfig

    site = make_site(tmp_path, "")
    index = tmp_path / "index"
    build_index(site, index, SiteConfig(permalink="pretty"), procs=1)
    (site / "_posts" / "2026-02-03-penguin-march.md").write_text("---\ntitle: [broken\n---\n", encoding="utf-8")
    same = build_index(site, index, SiteConfig(permalink="pretty"), procs=1)
    assert same.total == 2 and not same.settings_changed  # the older version stays searchable
    changed = build_index(site, index, SiteConfig(permalink="date"), procs=1)
    assert changed.settings_changed == ["permalink pretty → date"] and changed.total == 1
    assert "site settings changed (permalink pretty → date): rebuilt every post" in changed.summary()
    assert url_of(index, "amazon-ai-chip").endswith("amazon-ai-chip.html")


def test_the_sites_title_and_lang_are_kept_for_the_search_page(tmp_path: Path) -> None:
    from search import site_info

    site = make_site(tmp_path, "title: ペンギン観察日記\nlang: ja\ntimezone: Asia/Tokyo\n")
    index = tmp_path / "index"
    assert site_info(index).title == ""  # no index: empty, never an error
    done = blogsearch("index", "--posts", str(site), "--index", str(index))
    assert done.returncode == 0, done.stderr
    info = site_info(index)
    assert (info.title, info.lang) == ("ペンギン観察日記", "ja")
    # a title change alone rewrites no post
    (site / "_config.yml").write_text("title: 南極日記\nlang: ja\ntimezone: Asia/Tokyo\n", encoding="utf-8")
    done = blogsearch("index", "--posts", str(site), "--index", str(index))
    assert done.returncode == 0 and "0 posts indexed, 2 unchanged" in done.stdout, done.stdout + done.stderr
    assert site_info(index).title == "南極日記"


def test_future_option_as_jekyll_build_future(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from search.cli import main

    site = make_site(tmp_path, "timezone: Asia/Tokyo\n")
    (site / "_posts" / "2099-05-01-penguin-future.md").write_text(
        "---\ntitle: 未来のペンギン\n---\n皇帝ペンギンの子育てを観察する予定。\n", encoding="utf-8")
    index = tmp_path / "index"
    assert main(["index", "--posts", str(site), "--index", str(index), "--procs", "1"]) == 0
    assert "1 dated in the future" in capsys.readouterr().out
    assert main(["index", "--posts", str(site), "--index", str(index), "--procs", "1", "--future"]) == 0
    out = capsys.readouterr()
    assert "future False → True" in out.err and "3 posts indexed" in out.out


def _globbed_one_by_one(patterns, entry, is_dir):
    """Jekyll's EntryFilter#glob_include? as first written here: fnmatch per pattern (the reference)."""
    entry = entry.lstrip("/")
    for pattern in patterns:
        pattern = pattern.lstrip("/")
        if fnmatch.fnmatchcase(entry, pattern) or entry.startswith(pattern) or (is_dir and pattern == entry + "/"):
            return True
    return False


_GLOB_PARTS = st.sampled_from(["_posts", "drafts", "*", "?", "**", "[ab]", "[!a]", "記事", ".md", "/", "a", "b.", "ノート"])


@settings(derandomize=True, max_examples=400, deadline=None)
@given(st.lists(st.lists(_GLOB_PARTS, min_size=1, max_size=4).map("".join), max_size=5),
       st.lists(_GLOB_PARTS, min_size=1, max_size=5).map("".join), st.booleans())
def test_exclude_patterns_match_as_fnmatch_one_by_one(patterns, entry, is_dir) -> None:
    # the walk matches every file against all patterns with one compiled regex
    assert layout._globs(tuple(patterns)).match(entry, is_dir) == _globbed_one_by_one(patterns, entry, is_dir)
