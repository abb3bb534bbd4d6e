"""The search box in real headless Chromium: the real `blogsearch serve` on
one port, a blog page on another port embedding /widget.js under a strict
Content-Security-Policy (scripts, fetches and styles only from blogsearch,
nothing inline).

/api/suggest is answered 404 by a route in every tab unless a test fakes
it, so these tests hold whether or not the server has it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterator
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from search import build_index
from tests.browser.harness import (
    ARTIFACTS,
    HOSTILE_POST,
    REPO,
    blogsearch_server,
    free_port,
    host_pages,
    http_get,
)

SERVER_POST = "server-operations-guide"
ERROR_TEXT = "検索できませんでした。しばらくしてからもう一度お試しください。"


@dataclass(frozen=True)
class Site:
    blogsearch: str  # http://127.0.0.1:<port>, the search service
    blogsearch_port: int
    host: str  # http://127.0.0.1:<port>, the blog (an allowed origin)
    host_port: int


@pytest.fixture(scope="module")
def site(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("widget")
    posts = root / "posts"
    shutil.copytree(REPO / "data" / "posts", posts)
    (posts / "2025-01-15-hostile.md").write_text(HOSTILE_POST, encoding="utf-8")
    report = build_index(posts, root / "index", procs=1)
    assert not report.errors, report.errors
    port = free_port()
    blogsearch = f"http://127.0.0.1:{port}"
    with host_pages(blogsearch) as host_port:
        host = f"http://127.0.0.1:{host_port}"
        with blogsearch_server(root / "index", root / "server.log", port, "--cors-origins", host):
            yield Site(blogsearch, port, host, host_port)


RECORD_CSP_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__violations.push(e.violatedDirective + " " + e.blockedURI));
"""


class Tab:
    """A browser tab on the blog, recording what the page asks blogsearch."""

    def __init__(self, browser: Any, site: Site, color_scheme: str,
                 viewport: dict[str, int] | None = None) -> None:
        self.site = site
        self.context = browser.new_context(locale="ja-JP", color_scheme=color_scheme,
                                           viewport=viewport or {"width": 960, "height": 600})
        self.context.set_default_timeout(10_000)
        self.page = page = self.context.new_page()
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("request", self._request)
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.add_init_script(RECORD_CSP_VIOLATIONS)
        self.suggest(lambda q: None)

    def _request(self, request: Any) -> None:
        if request.url.startswith(self.site.blogsearch + "/api/"):
            self.requests.append(request.url)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def suggest(self, answer: Callable[[str], list[dict[str, str]] | None]) -> None:
        """Answer /api/suggest with `answer(q)`, or 404 when it returns None."""
        def fulfill(route: Any) -> None:
            q = parse_qs(urlsplit(route.request.url).query).get("q", [""])[0]
            suggestions = answer(q)
            headers = {"Access-Control-Allow-Origin": self.site.host, "Vary": "Origin"}
            if suggestions is None:
                body = {"error": {"code": "not_found", "message": "no such endpoint"}}
                route.fulfill(status=404, json=body, headers=headers)
            else:
                route.fulfill(status=200, json={"query": q, "suggestions": suggestions}, headers=headers)

        self.page.unroute(self._is_suggest)
        self.page.route(self._is_suggest, fulfill)

    @staticmethod
    def _is_suggest(url: str) -> bool:
        return urlsplit(url).path == "/api/suggest"

    def open(self, page: str = "host.html", origin: str | None = None) -> None:
        self.page.goto(f"{origin or self.site.host}/{page}")
        self.input.wait_for()

    def type(self, text: str) -> None:
        """Text arriving as an IME commit does: one insertion. (Keystrokes
        typed one by one in real time could straddle the debounce on a
        loaded machine and make a test's count of requests flaky; the
        debounce itself is tested on the page's clock.)"""
        self.input.click()
        self.page.keyboard.insert_text(text)

    def asked(self, endpoint: str = "search") -> list[str]:
        """The `q` of every request to /api/<endpoint> so far."""
        return [parse_qs(urlsplit(url).query).get("q", [""])[0] for url in self.requests
                if urlsplit(url).path == f"/api/{endpoint}"]

    def shadow(self, script: str) -> Any:
        """Evaluate `script` (a function of the shadow root) in the page."""
        return self.page.locator("blogsearch-box").evaluate(f"(host) => ({script})(host.shadowRoot)")

    def style(self, locator: Any, prop: str) -> str:
        return locator.evaluate(f"(e) => getComputedStyle(e).{prop}")

    @property
    def input(self) -> Any:
        return self.page.locator("blogsearch-box input")

    @property
    def panel(self) -> Any:
        return self.page.locator("blogsearch-box .panel")

    @property
    def options(self) -> Any:
        return self.page.locator("blogsearch-box [role=listbox] [role=option]")

    @property
    def hits(self) -> Any:
        return self.page.locator("blogsearch-box [role=option].hit")

    @property
    def message(self) -> Any:
        return self.page.locator("blogsearch-box .message")

    @property
    def all_results(self) -> Any:
        return self.page.locator("blogsearch-box [role=option].all")

    def check_clean(self) -> None:
        assert self.errors == [], "uncaught errors in the page"
        assert self.dialogs == [], "a dialog was opened"
        if urlsplit(self.page.url).port == self.site.host_port:
            assert self.page.evaluate("window.__violations || []") == [], "CSP violations"


@pytest.fixture
def tabs(browser: Any, site: Site) -> Iterator[Callable[..., Tab]]:
    opened: list[Tab] = []

    def new_tab(color_scheme: str = "light", viewport: dict[str, int] | None = None) -> Tab:
        opened.append(Tab(browser, site, color_scheme, viewport))
        return opened[-1]

    yield new_tab
    try:
        for tab in opened:
            tab.check_clean()
    finally:
        for tab in opened:
            tab.context.close()


@pytest.fixture
def tab(tabs: Callable[..., Tab]) -> Tab:
    return tabs()


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def search_page(site: Site, q: str) -> str:
    return f"{site.blogsearch}/search?q={quote(q)}"


# --- searching ------------------------------------------------------------------


def test_typing_shows_highlighted_results_from_one_debounced_request(tab: Tab, site: Site) -> None:
    # the page's clock is the test's: keystrokes 60 ms apart on it, however
    # slowly a loaded machine types them (before, a slow run sent サ alone).
    # An installed clock still runs with real time until it is paused.
    tab.page.clock.install(time=datetime(2026, 1, 1, 9, 0, tzinfo=timezone.utc))
    tab.open()
    tab.page.clock.pause_at(datetime(2026, 1, 1, 10, 0, tzinfo=timezone.utc))
    tab.input.click()
    for key in "サーバー":
        tab.page.keyboard.type(key)
        tab.page.clock.run_for(60)
    tab.page.clock.run_for(1_000)
    first = tab.hits.first
    expect(first.locator(".title")).to_have_text("サーバー運用の完全ガイド：監視・バックアップ・障害対応・自動化まで")
    expect(first.locator(".title mark")).to_have_text("サーバー")
    assert first.get_attribute("href") == f"{site.host}/%E9%81%8B%E7%94%A8%E3%83%8E%E3%82%A6%E3%83%8F%E3%82%A6/2025/11/15/{SERVER_POST}.html"
    expect(first.locator(".date")).to_have_text("2025年11月15日")
    expect(first.locator(".date")).to_have_attribute("datetime", "2025-11-15T10:00:00+09:00")
    expect(first.locator(".tag")).to_have_text(["サーバー", "運用", "Kubernetes"])
    expect(first.locator(".snippet mark").first).to_have_text("サーバー")
    expect(tab.all_results).to_have_text("すべての結果を見る（4件）")
    expect(tab.all_results).to_have_attribute("href", search_page(site, "サーバー"))
    expect(tab.hits).to_have_count(4)
    # one request for four keystrokes, with credentials left out
    assert tab.asked() == ["サーバー"]
    # the combobox pattern
    expect(tab.input).to_have_attribute("role", "combobox")
    expect(tab.input).to_have_attribute("aria-expanded", "true")
    listbox_id = tab.input.get_attribute("aria-controls")
    assert tab.shadow(f"(root) => root.getElementById('{listbox_id}').getAttribute('role')") == "listbox"
    expect(tab.options).to_have_count(4 + 2 + 1)  # the hits, two sections of the long guide, "all results"
    assert tab.input.get_attribute("aria-activedescendant") is None


def test_the_box_is_styled_by_its_own_sheet_under_the_strict_csp(tab: Tab) -> None:
    tab.open()
    tab.type("サーバー")
    expect(tab.hits.first).to_be_visible()
    # the widget's styles apply (a constructed stylesheet; no CSP violation, see check_clean)...
    assert tab.style(tab.panel, "position") == "absolute"
    assert tab.style(tab.panel, "backgroundColor") == "rgb(255, 255, 255)"
    assert tab.style(tab.hits.first.locator(".title mark"), "backgroundColor") == "rgb(255, 236, 138)"
    assert tab.style(tab.hits.first.locator(".tag").first, "borderTopLeftRadius") == "999px"
    # ...and the blog's do not get in (input { background: #f0f !important }, letter-spacing, link colour)
    assert tab.style(tab.input, "backgroundColor") == "rgb(255, 255, 255)"
    assert tab.style(tab.hits.first.locator(".title"), "letterSpacing") == "normal"
    assert tab.style(tab.hits.first, "color") == "rgb(31, 35, 40)"
    # the panel lies over the article below the box
    box = tab.panel.bounding_box()
    article = tab.page.locator("article").bounding_box()
    assert box and article and box["y"] + box["height"] > article["y"]
    hit = tab.hits.first.bounding_box()
    assert hit and tab.page.evaluate(f"document.elementFromPoint({hit['x'] + 20}, {hit['y'] + 10}).tagName") \
        == "BLOGSEARCH-BOX"


def test_without_constructable_stylesheets_the_box_links_widget_css(tab: Tab) -> None:
    """Older browsers: a <link> to /widget.css, allowed by the blog's style-src."""
    tab.page.add_init_script("delete Document.prototype.adoptedStyleSheets;")
    tab.open()
    href = tab.shadow("(root) => root.querySelector('link[rel=stylesheet]')?.href")
    assert href == f"{tab.site.blogsearch}/widget.css"
    expect(tab.page.locator("blogsearch-box .box")).to_be_visible()  # shown once the sheet loaded
    tab.type("サーバー")
    expect(tab.hits.first).to_be_visible()
    assert tab.style(tab.panel, "position") == "absolute"
    assert tab.style(tab.hits.first.locator(".title mark"), "backgroundColor") == "rgb(255, 236, 138)"


def test_no_request_and_no_navigation_while_composing(tab: Tab, site: Site) -> None:
    tab.open()
    tab.input.focus()
    tab.input.evaluate("""(input) => {
        input.dispatchEvent(new CompositionEvent("compositionstart", {data: ""}));
        for (const text of ["さ", "さー", "さーば", "さーばー"]) {
            input.value = text;
            input.dispatchEvent(new InputEvent("input", {bubbles: true, composed: true, isComposing: true,
                                                          inputType: "insertCompositionText", data: text}));
        }
    }""")
    tab.page.wait_for_timeout(500)  # three debounce periods
    assert tab.requests == []
    # Enter commits the IME's candidate; it must not search or navigate
    tab.input.evaluate("""(input) => input.dispatchEvent(new KeyboardEvent("keydown",
        {key: "Enter", keyCode: 229, isComposing: true, bubbles: true, cancelable: true}))""")
    tab.page.keyboard.press("Enter")  # a trusted Enter before compositionend
    tab.page.wait_for_timeout(400)
    assert tab.page.url == f"{site.host}/host.html"
    assert tab.requests == []
    tab.input.evaluate("""(input) => {
        input.value = "サーバー";
        input.dispatchEvent(new CompositionEvent("compositionend", {data: "サーバー"}));
    }""")
    expect(tab.hits.first).to_contain_text("サーバー運用の完全ガイド")
    assert tab.asked() == ["サーバー"]


def test_a_real_ime_composition(tab: Tab, site: Site) -> None:
    """Chromium's own IME path (compositionstart/update, input with
    isComposing, keydown Enter with isComposing, compositionend)."""
    tab.open()
    tab.input.focus()
    cdp = tab.context.new_cdp_session(tab.page)
    for text in ["さ", "さー", "さーば", "さーばー"]:
        cdp.send("Input.imeSetComposition", {"text": text, "selectionStart": len(text), "selectionEnd": len(text)})
    tab.page.wait_for_timeout(400)
    assert tab.requests == []
    tab.page.keyboard.press("Enter")
    tab.page.wait_for_timeout(400)
    assert tab.page.url == f"{site.host}/host.html"
    assert tab.requests == []
    cdp.send("Input.insertText", {"text": "サーバー"})  # the committed text
    expect(tab.hits.first).to_contain_text("サーバー運用の完全ガイド")
    assert tab.asked() == ["サーバー"]
    cdp.detach()


def test_a_stale_answer_is_dropped(tab: Tab) -> None:
    held: list[Any] = []

    def hold_server_query(route: Any) -> None:
        if parse_qs(urlsplit(route.request.url).query).get("q") == ["サーバー"]:
            held.append(route)  # answered only after the next query
        else:
            route.continue_()

    tab.page.route(lambda url: urlsplit(url).path == "/api/search", hold_server_query)
    failed: list[str] = []
    tab.page.on("requestfailed", lambda request: failed.append(request.url))
    tab.open()
    tab.type("サーバー")
    for _ in range(100):
        if held:
            break
        tab.page.wait_for_timeout(50)
    assert held, "the first search was not sent"
    tab.input.fill("Kubernetes")
    expect(tab.hits.first).to_contain_text("Kubernetesへのデプロイ入門")
    stale = {"query": "サーバー", "total": 1, "page": 1, "per_page": 5, "facets": {},
             "hits": [{"slug": "stale", "url": "/stale/", "title": "古い答え", "title_html": "古い答え",
                       "date": "2020-01-01T00:00:00+09:00", "tags": [], "snippet_html": "古い"}]}
    from playwright.sync_api import Error as PlaywrightError

    try:
        held[0].fulfill(json=stale, headers={"Access-Control-Allow-Origin": tab.site.host})
    except PlaywrightError:
        pass  # the page aborted it: nothing left to answer
    tab.page.wait_for_timeout(300)
    assert any("q=%E3%82%B5" in url for url in failed), "the stale request was not aborted"
    expect(tab.hits).to_have_count(2)
    assert "古い答え" not in tab.panel.inner_text()
    assert tab.asked() == ["サーバー", "Kubernetes"]


# --- keys ---------------------------------------------------------------------------


def test_arrow_keys_and_enter_open_the_chosen_post(tab: Tab, site: Site) -> None:
    tab.open()
    tab.type("Kubernetes")
    expect(tab.hits).to_have_count(2)
    first, second = tab.options.nth(0), tab.options.nth(1)
    tab.page.keyboard.press("ArrowDown")
    expect(first).to_have_attribute("aria-selected", "true")
    assert tab.input.get_attribute("aria-activedescendant") == first.get_attribute("id")
    tab.page.keyboard.press("ArrowDown")
    expect(second).to_have_attribute("aria-selected", "true")
    expect(first).to_have_attribute("aria-selected", "false")
    assert tab.input.get_attribute("aria-activedescendant") == second.get_attribute("id")
    tab.page.keyboard.press("ArrowUp")
    expect(first).to_have_attribute("aria-selected", "true")
    expect(first).to_contain_text("Kubernetesへのデプロイ入門")
    with tab.page.expect_navigation():
        tab.page.keyboard.press("Enter")
    assert tab.page.url == f"{site.host}/special/kubernetes-guide/"


def test_a_long_posts_matching_sections_are_rows_under_it(tab: Tab, site: Site) -> None:
    tab.open()
    tab.type("監視")
    guide = tab.hits.filter(has_text="サーバー運用の完全ガイド")
    expect(guide).to_have_count(1)
    sections = tab.page.locator("blogsearch-box [role=option].section")
    expect(sections).to_have_count(2)  # the API gives three; two fit under the post
    expect(sections.locator(".title")).to_have_text(["5. 監視", "何を監視するか"])
    expect(sections.first.locator(".snippet mark").first).to_have_text("監視")
    following = guide.evaluate("(o) => [o.nextElementSibling, o.nextElementSibling.nextElementSibling]"
                               ".map((n) => n.className)")
    assert following == ["option section"] * 2
    href = sections.first.get_attribute("href")
    assert urlsplit(href).fragment and href.startswith(f"{site.host}/")
    while tab.input.get_attribute("aria-activedescendant") != sections.first.get_attribute("id"):
        tab.page.keyboard.press("ArrowDown")
    with tab.page.expect_navigation():
        tab.page.keyboard.press("Enter")
    assert tab.page.url == href


def test_enter_with_nothing_chosen_opens_the_full_search_page(tab: Tab, site: Site) -> None:
    tab.open()
    tab.type("量子ビット")
    expect(tab.hits.first).to_contain_text("量子")
    tab.page.keyboard.press("ArrowUp")  # wraps to the last option: see all results
    expect(tab.all_results).to_have_attribute("aria-selected", "true")
    tab.page.keyboard.press("ArrowDown")  # and back to the first
    tab.page.keyboard.press("ArrowUp")
    tab.page.keyboard.press("Escape")
    with tab.page.expect_navigation():
        tab.page.keyboard.press("Enter")
    assert tab.page.url == search_page(site, "量子ビット")
    expect(tab.page.locator("main")).to_contain_text("量子コンピュータ")


def test_escape_closes_then_clears_and_a_click_outside_closes(tab: Tab) -> None:
    tab.open()
    tab.type("サーバー")
    expect(tab.panel).to_be_visible()
    tab.page.keyboard.press("Escape")
    expect(tab.panel).to_be_hidden()
    expect(tab.input).to_have_attribute("aria-expanded", "false")
    assert tab.input.input_value() == "サーバー"
    tab.page.keyboard.press("ArrowDown")  # opens again, first option chosen
    expect(tab.panel).to_be_visible()
    expect(tab.options.first).to_have_attribute("aria-selected", "true")
    tab.page.keyboard.press("Escape")
    tab.page.keyboard.press("Escape")
    assert tab.input.input_value() == ""
    expect(tab.panel).to_be_hidden()
    tab.type("サーバー")
    expect(tab.panel).to_be_visible()
    tab.page.locator("article h1").click()
    expect(tab.panel).to_be_hidden()
    assert tab.asked() == ["サーバー", "サーバー"]  # closing and opening again asked nothing


# --- safety and failure ----------------------------------------------------------


def test_markup_in_a_post_is_shown_as_text(tab: Tab) -> None:
    tab.open()
    tab.type("危険")
    hostile = tab.hits.filter(has_text="危険な記事")
    expect(hostile).to_have_count(1)
    expect(hostile.locator(".title")).to_have_text("<script>alert(1)</script> と <img src=x onerror=alert(2)> の危険な記事")
    expect(hostile.locator(".title mark")).to_have_text("危険")
    expect(hostile.locator(".tag").first).to_have_text('"><svg onload=alert(3)>')
    assert tab.shadow("(root) => root.querySelectorAll('img, script, svg, iframe, object, embed').length") == 0
    # the library made permalink "javascript:alert(4)" a path on the blog
    assert hostile.get_attribute("href") == f"{tab.site.host}/javascript:alert(4)"
    assert tab.dialogs == []


def test_only_mark_is_markup_even_in_a_hostile_answer(tab: Tab) -> None:
    """A server (or a proxy) answering raw markup and script URLs: the box
    makes <mark> elements and text, and links only to http(s)."""
    hits = [
        {"url": "javascript:alert(1)", "title_html": "<img src=x onerror=alert(1)><mark>一</mark>",
         "snippet_html": "<script>alert(2)</script>&lt;b&gt;&amp;amp;&#x3C;&#60;&quot;&#39;&bogus;"},
        {"url": "  JaVa\tScRiPt:alert(3)", "title_html": "<mark><mark>二</mark></mark></mark>",
         "snippet_html": "<mark onclick=alert(4)>x</mark>"},
        {"url": "data:text/html,<script>alert(5)</script>", "title_html": "三", "snippet_html": ""},
        {"url": "https://blog.example.com/ok/", "title_html": "<a href=javascript:alert(6)>四</a>",
         "date": "<img src=x>", "tags": ["<img src=x onerror=alert(7)>"], "snippet_html": "",
         "sections": [{"url": "javascript:alert(9)", "title": "節一", "snippet_html": "<img src=x>"},
                      {"url": "https://blog.example.com/ok/#s2", "title": "<b>節二</b>",
                       "snippet_html": "<mark>節</mark><svg onload=alert(10)>"}]},
        {"url": "/relative/", "title_html": "五", "snippet_html": "<svg onload=alert(8)>"},
    ]
    answer = {"query": "x", "total": 5, "page": 1, "per_page": 5, "facets": {}, "hits": hits}
    tab.page.route(lambda url: urlsplit(url).path == "/api/search",
                   lambda route: route.fulfill(json=answer, headers={"Access-Control-Allow-Origin": tab.site.host}))
    tab.open()
    tab.type("x")
    expect(tab.hits).to_have_count(5)
    assert tab.shadow("(root) => [...root.querySelectorAll('.list *')].map((e) => e.localName)"
                      ".filter((n) => !['a', 'div', 'span', 'mark'].includes(n))") == []
    assert tab.shadow("(root) => [...root.querySelectorAll('.list *')].flatMap((e) => [...e.attributes])"
                      ".map((a) => a.name).filter((n) => !['class', 'part', 'id', 'role', "
                      "'aria-selected', 'tabindex', 'href'].includes(n))") == []
    expect(tab.hits.nth(0).locator(".title")).to_have_text("<img src=x onerror=alert(1)>一")
    expect(tab.hits.nth(0).locator(".title mark")).to_have_text("一")
    expect(tab.hits.nth(0).locator(".snippet")).to_have_text("<script>alert(2)</script><b>&amp;<<\"'&bogus;")
    expect(tab.hits.nth(1).locator(".title mark")).to_have_text("二")
    expect(tab.hits.nth(1).locator(".snippet")).to_have_text("<mark onclick=alert(4)>x")
    expect(tab.hits.nth(3).locator(".title")).to_have_text("<a href=javascript:alert(6)>四</a>")
    expect(tab.hits.nth(3).locator(".tag")).to_have_text("<img src=x onerror=alert(7)>")
    expect(tab.hits.nth(3).locator(".date")).to_have_count(0)
    hrefs = [hit.get_attribute("href") for hit in tab.hits.all()]
    assert hrefs == [None, None, None, "https://blog.example.com/ok/", f"{tab.site.host}/relative/"]
    section = tab.page.locator("blogsearch-box [role=option].section")  # a section only as a safe link
    expect(section).to_have_count(1)
    assert section.get_attribute("href") == "https://blog.example.com/ok/#s2"
    expect(section.locator(".title")).to_have_text("<b>節二</b>")
    expect(section.locator(".snippet mark")).to_have_text("節")
    tab.page.keyboard.press("ArrowDown")  # choosing a hit without a link does nothing
    tab.page.keyboard.press("Enter")
    tab.page.wait_for_timeout(200)
    assert tab.page.url.endswith("/host.html")


def test_an_origin_not_allowed_gets_no_cors_headers_and_a_calm_error(tab: Tab, site: Site) -> None:
    stranger = f"http://localhost:{site.host_port}"  # the same blog under another name: another origin
    response = http_get(site.blogsearch_port, "/api/search?q=x", {"Origin": stranger})
    assert response.status == 200
    assert response.getheader("Access-Control-Allow-Origin") is None
    assert "Origin" in response.getheader("Vary", "")
    response = http_get(site.blogsearch_port, "/api/search?q=x", {"Origin": site.host})
    assert response.getheader("Access-Control-Allow-Origin") == site.host
    assert response.getheader("Access-Control-Allow-Credentials") is None

    tab.open(origin=stranger)
    tab.type("サーバー")
    expect(tab.message).to_have_text(ERROR_TEXT)
    expect(tab.all_results).to_have_text("検索ページで探す")
    expect(tab.all_results).to_have_attribute("href", search_page(site, "サーバー"))
    expect(tab.hits).to_have_count(0)
    assert tab.asked() == ["サーバー"]
    tab.type("運用")  # still alive
    expect(tab.all_results).to_have_attribute("href", search_page(site, "サーバー運用"))
    expect(tab.message).to_have_text(ERROR_TEXT)
    assert tab.asked() == ["サーバー", "サーバー運用"]


# --- suggestions (when the server has /api/suggest) ------------------------------


def test_suggestions_are_shown_and_chosen_when_the_server_has_them(tab: Tab) -> None:
    tab.suggest(lambda q: [{"text": q + "運用", "kind": "term"}, {"text": "<b>サーバー</b>", "kind": "tag"}])
    tab.open()
    tab.type("サーバー")
    suggestions = tab.page.locator("blogsearch-box [role=option].suggestion")
    expect(suggestions).to_have_count(2)
    expect(suggestions.locator(".text")).to_have_text(["サーバー運用", "<b>サーバー</b>"])
    expect(suggestions.locator(".kind")).to_have_text(["語", "タグ"])
    expect(tab.hits.first).to_contain_text("サーバー運用の完全ガイド")
    assert tab.shadow("(root) => root.querySelectorAll('b').length") == 0
    tab.page.keyboard.press("ArrowDown")
    tab.page.keyboard.press("Enter")
    expect(tab.input).to_have_value("サーバー運用")
    expect(suggestions.first.locator(".text")).to_have_text("サーバー運用運用")
    assert tab.asked() == ["サーバー", "サーバー運用"]
    assert tab.asked("suggest") == ["サーバー", "サーバー運用"]


def test_without_suggest_the_box_asks_once_and_does_without(tab: Tab) -> None:
    tab.open()
    tab.type("サーバー")
    expect(tab.hits.first).to_be_visible()
    tab.type("運用")
    expect(tab.all_results).to_have_attribute("href", search_page(tab.site, "サーバー運用"))
    assert tab.asked() == ["サーバー", "サーバー運用"]
    assert tab.asked("suggest") == ["サーバー"]
    expect(tab.page.locator("blogsearch-box .suggestion")).to_have_count(0)


def test_a_misspelt_query_offers_the_correction_first(tab: Tab) -> None:
    tab.open()
    tab.type("pyhton")  # finds nothing; the server proposes python (search.query.spelling)
    expect(tab.message).to_have_text("「pyhton」に一致する記事は見つかりませんでした")
    correction = tab.page.locator("blogsearch-box [role=option].correction")
    expect(correction.locator(".text")).to_have_text("python")
    expect(correction.locator(".kind")).to_have_text("もしかして")
    tab.page.keyboard.press("ArrowDown")
    tab.page.keyboard.press("Enter")
    expect(tab.input).to_have_value("python")
    expect(tab.hits.first).to_be_visible()
    expect(correction).to_have_count(0)


# --- embedding ----------------------------------------------------------------------


def test_custom_element_with_attributes_and_custom_properties(tab: Tab) -> None:
    tab.open("element.html")
    expect(tab.input).to_have_attribute("placeholder", "キーワードを入力")
    expect(tab.input).to_have_attribute("aria-label", "サイト内検索")
    tab.type("データベース")
    expect(tab.hits.first).to_be_visible()
    searches = [url for url in tab.requests if urlsplit(url).path == "/api/search"]
    assert [parse_qs(urlsplit(url).query)["per_page"] for url in searches] == [["3"]]
    assert tab.hits.count() <= 3
    assert tab.style(tab.input, "borderTopColor") == "rgb(0, 128, 96)"  # focused: the accent
    assert tab.style(tab.page.locator("blogsearch-box mark").first, "backgroundColor") == "rgb(255, 200, 220)"
    assert "Noto Sans CJK JP" in tab.style(tab.input, "fontFamily")
    tab.page.keyboard.press("ArrowDown")
    assert tab.style(tab.options.first, "boxShadow").startswith("rgb(0, 128, 96)")


@pytest.mark.parametrize("scheme,panel_bg", [("light", "rgb(255, 255, 255)"), ("dark", "rgb(29, 32, 37)")])
def test_screenshot_on_a_light_and_a_dark_blog(tabs: Callable[..., Tab], scheme: str, panel_bg: str) -> None:
    tab = tabs(scheme)
    tab.open(f"host.html?theme={scheme}")
    tab.type("サーバー")
    expect(tab.hits).to_have_count(4)
    tab.page.keyboard.press("ArrowDown")
    expect(tab.options.first).to_have_attribute("aria-selected", "true")
    assert tab.style(tab.panel, "backgroundColor") == panel_bg
    ARTIFACTS.mkdir(exist_ok=True)
    tab.page.screenshot(path=str(ARTIFACTS / f"widget-{scheme}.png"))


def test_two_boxes_on_one_page_work_apart(tab: Tab) -> None:
    tab.open()
    tab.page.locator("main").evaluate("(main) => main.prepend(document.createElement('blogsearch-box'))")
    boxes = tab.page.locator("blogsearch-box")
    expect(boxes).to_have_count(2)
    ids = [box.evaluate("(h) => h.shadowRoot.querySelector('[role=listbox]').id") for box in boxes.all()]
    assert len(set(ids)) == 2
    boxes.nth(1).locator("input").click()
    tab.page.keyboard.type("Rust")
    expect(boxes.nth(1).locator(".hit").first).to_contain_text("Rust")
    expect(boxes.nth(0).locator(".panel")).to_be_hidden()


# --- issue 16: width, clamp, tag chips, logging what the reader settled on -------------


def _rect(locator: Any) -> dict[str, float]:
    box = locator.bounding_box()
    assert box is not None
    return box


def test_the_panel_is_wider_than_a_narrow_input_and_stays_in_view(tab: Tab) -> None:
    tab.open()  # the box sits at the right end of the blog's header
    tab.type("サーバー")
    expect(tab.hits).to_have_count(4)
    panel, box = _rect(tab.panel), _rect(tab.input)
    assert panel["width"] >= 448 > box["width"]
    assert panel["x"] >= 8 - 0.5 and panel["x"] + panel["width"] <= 960 - 8 + 0.5  # within the viewport
    assert panel["y"] >= box["y"] + box["height"]


def test_on_a_phone_the_panel_is_a_full_width_sheet(tabs: Callable[..., Tab]) -> None:
    tab = tabs(viewport={"width": 375, "height": 700})
    tab.open()
    tab.type("サーバー")
    expect(tab.hits).to_have_count(4)
    width = tab.page.evaluate("document.documentElement.clientWidth")
    panel, box = _rect(tab.panel), _rect(tab.input)
    assert (round(panel["x"]), round(panel["width"])) == (0, width)
    assert abs(panel["y"] - (box["y"] + box["height"] + 4)) <= 1  # right under the input
    assert tab.style(tab.panel, "position") == "fixed"


def test_a_cut_snippet_ends_in_its_own_plain_ellipsis(tab: Tab) -> None:
    tab.open()
    tab.type("サーバー")
    expect(tab.hits).to_have_count(4)
    snippets = tab.page.locator("blogsearch-box .snippet")
    cut = tab.page.locator("blogsearch-box .snippet.cut")
    assert cut.count() >= 1  # the long snippets are cut at three lines
    for i in range(snippets.count()):
        s = snippets.nth(i)
        clamp = s.evaluate("(e) => getComputedStyle(e).webkitLineClamp")
        assert clamp in ("none", ""), clamp  # no line-clamp: its "…" took the style of a cut <mark>
        overflows = s.evaluate("(e) => e.scrollHeight > e.clientHeight + 1")
        assert overflows == ("cut" in (s.get_attribute("class") or ""))
    after = cut.first.evaluate("(e) => { const s = getComputedStyle(e, '::after'); "
                               "return [s.content, s.color, s.backgroundImage]; }")
    mark_bg = tab.style(tab.page.locator("blogsearch-box .snippet mark").first, "backgroundColor")
    assert after[0] == '"…"' and mark_bg not in after[2] and after[1] != mark_bg
    lines = cut.first.evaluate("(e) => Math.round(e.clientHeight / parseFloat(getComputedStyle(e).lineHeight))")
    assert lines == 3


def test_tag_chips_narrow_the_results(tab: Tab, site: Site) -> None:
    tab.open()
    tab.type("サーバー")
    expect(tab.hits).to_have_count(4)
    chips = tab.page.locator("blogsearch-box .chips button")
    expect(chips.first).to_be_visible()
    chip = tab.page.locator("blogsearch-box .chips button", has_text="#運用")
    chip.click()
    expect(tab.hits).to_have_count(2)
    expect(tab.page.locator("blogsearch-box .chips button[aria-pressed=true]")).to_have_text("#運用")
    last = [u for u in tab.requests if urlsplit(u).path == "/api/search"][-1]
    assert parse_qs(urlsplit(last).query)["tag"] == ["運用"]
    expect(tab.all_results).to_have_attribute("href", search_page(site, "サーバー") + "&tag=" + quote("運用"))
    chip.click()  # and off again
    expect(tab.hits).to_have_count(4)


def test_a_search_is_logged_once_when_the_reader_pauses_not_per_keystroke(tab: Tab) -> None:
    tab.open()
    tab.input.click()
    for ch in "ファイル":  # slower than the debounce: a request per keystroke...
        tab.page.keyboard.type(ch)
        tab.page.wait_for_timeout(300)
    expect(tab.hits.first).to_be_visible()
    assert len(tab.asked("search")) >= 2
    assert tab.asked("searched") == []  # ...but not yet a search in the log
    tab.page.wait_for_timeout(1900)  # the reader pauses
    assert tab.asked("searched") == ["ファイル"]
    tab.page.wait_for_timeout(1900)
    assert tab.asked("searched") == ["ファイル"]  # once


def test_enter_and_a_click_log_the_search_and_the_opened_result(tab: Tab, site: Site) -> None:
    tab.open()
    tab.type("サーバー")
    expect(tab.hits).to_have_count(4)
    with tab.page.expect_request(lambda r: urlsplit(r.url).path == "/api/opened") as opened:
        with tab.page.expect_navigation():
            tab.hits.first.click()
    assert tab.asked("searched") == ["サーバー"]  # at once, without waiting for the pause
    query = parse_qs(urlsplit(opened.value.url).query)
    assert query == {"q": ["サーバー"], "slug": [SERVER_POST], "rank": ["1"]}


def test_enter_before_the_results_came_still_logs_the_search(tab: Tab, site: Site) -> None:
    tab.open()
    tab.input.click()
    with tab.page.expect_request(lambda r: urlsplit(r.url).path == "/api/searched") as logged:
        with tab.page.expect_navigation():
            tab.page.keyboard.type("量子ビット")
            tab.page.keyboard.press("Enter")  # within the debounce: nothing shown yet
    assert parse_qs(urlsplit(logged.value.url).query)["q"] == ["量子ビット"]
    assert tab.page.url == search_page(site, "量子ビット")  # the page itself logs nothing (no s=1)
