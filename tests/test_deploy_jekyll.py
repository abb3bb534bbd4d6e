"""deploy/jekyll/_plugins/blogsearch.rb under real Jekyll, and the GitHub
Actions example (issue 15). Jekyll is the referee for the URLs: every post's
URL in the index is a page `jekyll build` wrote."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml

from search import Searcher
from web.cli import build_parser
from tests.support import REPO, jekyll

PLUGIN = REPO / "deploy" / "jekyll" / "_plugins" / "blogsearch.rb"
WORKFLOW = REPO / "deploy" / "github" / "blogsearch.yml"

POSTS = {
    "2026-01-18-amazon-ai-chip.md": (
        "---\ntitle: AmazonのAIチップ戦略\ncategories: [投資分析]\ntags: [AI, チップ]\n---\n"
        "AmazonはTrainium2という独自のAIチップを発表した。推論の費用を下げるのが狙いだ。\n"),
    "2026-02-03-penguin-march.md": (
        "---\ntitle: ペンギンの行進を観察する\ntags: [動物]\n---\n"
        "南極のペンギンは群れで長い距離を歩いて移動する。その行進を一日中観察した。\n"),
}


def make_site(root: Path, config: str) -> Path:
    site = root / "site"
    (site / "_posts").mkdir(parents=True)
    (site / "_plugins").mkdir()
    shutil.copy(PLUGIN, site / "_plugins" / PLUGIN.name)
    (site / "_config.yml").write_text(config, encoding="utf-8")
    for name, text in POSTS.items():
        (site / "_posts" / name).write_text(text, encoding="utf-8")
    return site


def build(site: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "LANG": "C.UTF-8"}
    return subprocess.run([jekyll(), "build", "--source", str(site), "--destination", str(site / "_site")],
                          capture_output=True, text=True, env=env, timeout=300)


@pytest.mark.parametrize("permalink", ["date", "pretty", "/:categories/:year/:month/:day/:title/"])
def test_plugin_indexes_after_jekyll_build_with_jekyll_urls(tmp_path: Path, permalink: str) -> None:
    index = tmp_path / "index"
    site = make_site(tmp_path, (
        "url: https://example.jp\nbaseurl: /blog\n"
        f"permalink: {permalink}\ntimezone: Asia/Tokyo\n"
        f"blogsearch:\n  index: {index}\n"))
    done = build(site)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "blogsearch:" in done.stdout and "2 posts indexed" in done.stdout
    written = {"/" + p.relative_to(site / "_site").as_posix() for p in (site / "_site").rglob("*.html")}
    with Searcher(index) as searcher:
        for query, slug in [("Trainium2", "amazon-ai-chip"), ("ペンギンの行進", "penguin-march")]:
            (hit,) = searcher.search(query).hits
            assert hit.slug == slug
            assert hit.url.startswith("https://example.jp/blog/"), hit.url
            path = hit.url.removeprefix("https://example.jp/blog")
            path = unquote(path)
            page = path + "index.html" if path.endswith("/") else path
            assert page in written, (hit.url, sorted(written))


def test_a_failing_index_run_stops_the_build_with_its_message(tmp_path: Path) -> None:
    site = make_site(tmp_path, (
        "permalink: /:long_month/:title/\n"  # a placeholder blogsearch does not fill
        f"blogsearch:\n  index: {tmp_path / 'index'}\n"))
    done = build(site)
    assert done.returncode != 0
    assert "blogsearch index failed (exit 2)" in done.stdout + done.stderr
    assert ":long_month" in done.stdout + done.stderr


def test_jekyll_serve_is_skipped_by_default() -> None:
    text = PLUGIN.read_text(encoding="utf-8")
    assert 'options.fetch("skip_on_serve", true) && site.config["serving"]' in text


def test_github_workflow_is_valid_and_runs_a_command_blogsearch_accepts() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    steps = workflow["jobs"]["index"]["steps"]
    (index_step,) = [s for s in steps if s.get("name") == "Build the index"]
    command = shlex.split(index_step["run"])
    assert command[:2] == ["blogsearch", "index"]
    args = build_parser().parse_args(command[1:])
    assert args.command == "index" and args.posts == "."
    assert any("mv -T index.next index" in s.get("run", "") for s in steps)  # the atomic swap
