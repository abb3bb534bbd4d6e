"""The search pages in real headless Chromium (issue 16), against the real
`blogsearch serve`: at 375 px the filters sit above the results in a closed
panel, at 1280 px beside them; dark mode follows the system; the home page
focuses the box and `/` does elsewhere; no console errors and no 404 (the
favicon); opening a result is logged once, page turns are not. Screenshots
of the page and of the report go to test-artifacts/ (the README's come from
here: `BLOGSEARCH_SCREENSHOTS=docs`)."""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest

from search import build_index
from search.editorial.querylog import QueryLog
from tests.browser.harness import ARTIFACTS, REPO
from tests.support import blogsearch_serve

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


@dataclass(frozen=True)
class Server:
    url: str
    log_dir: Path


@pytest.fixture(scope="module")
def server(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("pages")
    posts = root / "posts"
    shutil.copytree(REPO / "data" / "posts", posts)
    report = build_index(posts, root / "index", procs=1)
    assert not report.errors, report.errors
    log_dir = root / "querylog"
    _sample_log(log_dir)
    with blogsearch_serve(root / "index", root / "server.log", "--query-log", str(log_dir),
                          "--workers", "1", "--threads", "4", "--timezone", "Asia/Tokyo",
                          "--site-title", "ぺんぎん技術ブログ", "--base-url", "https://blog.example.jp",
                          check_exit=False) as (port, _proc):
        yield Server(f"http://127.0.0.1:{port}", log_dir)


def _sample_log(log_dir: Path) -> None:
    """Two weeks of searches, for the report's screenshot."""
    from datetime import datetime, timedelta, timezone

    log = QueryLog(log_dir)
    start = datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc)
    words = [("サーバー", 4), ("Kubernetes", 2), ("バックアップ", 3), ("ぺんぎん", 0), ("監視", 1),
             ("PostgreSQL", 2), ("ディスク容量", 0)]
    for day in range(14):
        for i in range((day * 7) % 9 + 3):
            query, results = words[(day + i) % len(words)]
            log.record(query, results, when=start + timedelta(days=day, minutes=37 * i))
            if results and i % 3 == 0 and query != "監視":
                log.record_open(query, "server-operations-guide", 1,
                                when=start + timedelta(days=day, minutes=37 * i + 1))


class Tab:
    def __init__(self, browser: Any, viewport: dict[str, int], color_scheme: str = "light") -> None:
        self.context = browser.new_context(locale="ja-JP", viewport=viewport, color_scheme=color_scheme)
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        self.console: list[str] = []
        self.failed: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.console.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.console.append(str(e)))
        self.page.on("response", lambda r: self.failed.append(r.url) if r.status >= 400 else None)
        self.page.on("request", lambda r: self.requests.append(r.url))

    def box(self, selector: str) -> dict[str, float]:
        box = self.page.locator(selector).first.bounding_box()
        assert box is not None, selector
        return box

    def check_clean(self) -> None:
        assert self.console == [], self.console
        assert self.failed == [], self.failed


@pytest.fixture
def tabs(browser: Any) -> Iterator[Any]:
    opened: list[Tab] = []

    def new(viewport: dict[str, int], color_scheme: str = "light") -> Tab:
        opened.append(Tab(browser, viewport, color_scheme))
        return opened[-1]

    yield new
    try:
        for tab in opened:
            tab.check_clean()
    finally:
        for tab in opened:
            tab.context.close()


def screenshot(page: Any, name: str) -> None:
    folder = os.environ.get("BLOGSEARCH_SCREENSHOTS")
    target = (REPO / folder) if folder else ARTIFACTS
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / name), full_page=False)


def test_on_a_phone_the_filters_are_above_the_results_and_collapsed(tabs: Any, server: Server) -> None:
    tab = tabs(PHONE)
    tab.page.goto(f"{server.url}/search?q=AI")
    facets, first_hit = tab.page.locator("details.facets"), tab.page.locator(".hit").first
    assert facets.evaluate("(d) => d.open") is False
    assert tab.box("details.facets > summary")["y"] < tab.box(".hit")["y"]
    assert tab.box(".hit")["y"] < 740  # the first result is on the first screen
    tab.page.locator("details.facets > summary").click()
    tag_link = tab.page.locator(".facets-nav a").first
    assert tag_link.is_visible()
    assert tab.box(".facets-nav a")["y"] < tab.box(".hit")["y"]
    assert first_hit.is_visible()
    assert tab.page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scrolling
    screenshot(tab.page, "search-phone.png")


def test_on_a_desktop_the_filters_are_beside_the_results(tabs: Any, server: Server) -> None:
    tab = tabs(DESKTOP)
    tab.page.goto(f"{server.url}/search?q=%E3%82%B5%E3%83%BC%E3%83%90%E3%83%BC")
    assert tab.page.locator("details.facets").evaluate("(d) => d.open") is True
    assert tab.page.locator("details.facets > summary").is_hidden()
    facets, results = tab.box(".facets-nav"), tab.box(".results")
    assert facets["x"] > results["x"] + results["width"] - 1
    header = tab.page.locator(".site-header")
    assert "ぺんぎん技術ブログ" in header.inner_text() and "ブログに戻る" in header.inner_text()
    screenshot(tab.page, "search-page.png")


def test_dark_mode_follows_the_system(tabs: Any, server: Server) -> None:
    light, dark = tabs(DESKTOP), tabs(DESKTOP, "dark")
    for tab in (light, dark):
        tab.page.goto(f"{server.url}/search?q=Kubernetes")
    background = "getComputedStyle(document.documentElement).backgroundColor"
    assert light.page.evaluate(background) == "rgb(255, 255, 255)"
    assert dark.page.evaluate(background) == "rgb(22, 24, 28)"
    assert dark.page.evaluate("getComputedStyle(document.querySelector('.hit-title a')).color") \
        == "rgb(122, 180, 255)"
    screenshot(dark.page, "search-dark.png")


def test_home_focuses_the_box_and_slash_focuses_it_elsewhere(tabs: Any, server: Server) -> None:
    tab = tabs(DESKTOP)
    tab.page.goto(server.url + "/")
    assert tab.page.evaluate("document.activeElement.id") == "q"
    tab.page.goto(f"{server.url}/search?q=Kubernetes")
    tab.page.locator("h2.hit-title a").first.focus()
    tab.page.keyboard.press("/")
    assert tab.page.evaluate("document.activeElement.id") == "q"
    assert tab.page.input_value("#q") == "Kubernetes"  # the "/" was not typed into it
    tab.page.keyboard.type("/x")  # in the box, "/" is just a character
    assert tab.page.input_value("#q") == "/x"
    assert not any(url.endswith("/favicon.ico") and url in tab.failed for url in tab.requests)


def test_a_search_is_logged_once_and_the_opened_result_with_it(tabs: Any, server: Server) -> None:
    tab = tabs(DESKTOP)
    before = _lines(server.log_dir)
    tab.page.goto(server.url + "/")
    tab.page.fill("#q", "運用")
    tab.page.keyboard.press("Enter")
    tab.page.wait_for_url("**/search?**")
    tab.page.locator("nav.sort a", has_text="新しい順").click()  # a sort is not a new search
    tab.page.wait_for_load_state()
    tab.page.route("https://blog.example.jp/**", lambda route: route.fulfill(body="記事", content_type="text/html"))
    tab.page.locator("h2.hit-title a").first.click()
    tab.page.wait_for_url("https://blog.example.jp/**")
    deadline = time.monotonic() + 5
    while len(_lines(server.log_dir)) < len(before) + 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    new = _lines(server.log_dir)[len(before):]
    assert [(e["query"], "opened" in e) for e in new] == [("運用", False), ("運用", True)]
    assert new[1]["rank"] == 1 and new[1]["opened"]


def _lines(log_dir: Path) -> list[dict[str, Any]]:
    path = log_dir / "queries.jsonl"
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()] if path.exists() else []


def test_the_report_draws_its_chart_without_script(tabs: Any, server: Server) -> None:
    tab = tabs({"width": 1100, "height": 1000})
    tab.context.set_extra_http_headers({})
    tab.page.goto(f"{server.url}/editor/report?since=2026-11-20&until=2026-12-03")
    assert tab.page.locator("svg.chart rect.bar").count() == 14
    assert tab.page.locator("table.zero-results a", has_text="ぺんぎん").count() == 1
    assert tab.page.locator("p.timezone").inner_text() == "（時刻は Asia/Tokyo）"
    screenshot(tab.page, "report.png")
