"""The server-rendered pages on the sample posts: search box, results,
facet links that narrow, sort switch, pagination, the no-results page, tag
pages; and what the pages must never contain (inline CSS/JS, unescaped input)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient

WEB = Path(__file__).resolve().parents[1] / "web"


class Page(HTMLParser):
    """Links, their text, and a few landmarks of an HTML page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.html = html
        self.links: list[tuple[str, str, dict[str, str | None]]] = []  # (href, text, attrs)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._open: list[tuple[str, dict[str, str | None], list[str]]] = []
        self._context: list[str] = []
        self.link_context: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag in ("aside", "nav", "section", "article"):
            self._context.append(f"{tag}|{a.get('class') or ''}|{a.get('aria-label') or ''}")
        if tag == "a":
            self._open.append((a.get("href") or "", a, []))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("aside", "nav", "section", "article") and self._context:
            self._context.pop()
        if tag == "a" and self._open:
            href, attrs, text = self._open.pop()
            self.links.append((href, "".join(text).strip(), attrs))
            self.link_context.append("/".join(self._context))

    def handle_data(self, data: str) -> None:
        for _, _, text in self._open:
            text.append(data)

    def links_in(self, context: str) -> list[tuple[str, str]]:
        return [(href, text) for (href, text, _), ctx in zip(self.links, self.link_context)
                if context in ctx]

    def link(self, text: str) -> str:
        hrefs = [href for href, t, _ in self.links if t == text]
        assert hrefs, f"no link {text!r} in {[t for _, t, _ in self.links]}"
        return hrefs[0]


def get(client: FlaskClient, url: str, status: int = 200) -> Page:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.content_type == "text/html; charset=utf-8"
    return Page(response.get_data(as_text=True))


def params(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


def hit_titles(page: Page) -> list[str]:
    return re.findall(r'<h2 class="hit-title"><a [^>]*>(.*?)</a>', page.html)


def total(page: Page) -> int:
    match = re.search(r'<strong class="total">(\d+)</strong>件', page.html)
    assert match, page.html
    return int(match.group(1))


# --- the search box -------------------------------------------------------------


def test_home_has_an_accessible_search_box(client: FlaskClient) -> None:
    page = get(client, "/")
    assert '<html lang="ja">' in page.html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page.html
    assert '<label for="q">キーワード</label>' in page.html
    assert ('input', {"type": "search", "id": "q", "name": "q", "value": "", "maxlength": "256",
                      "autocomplete": "off", "enterkeyhint": "search", "aria-keyshortcuts": "/", "autofocus": None}) in page.tags
    assert ("form", {"class": "search-form", "role": "search", "action": "/search", "method": "get"}) in page.tags
    assert '<a class="skip-link" href="#main">' in page.html
    assert page.link("#AI 5") == "/tags/AI"
    assert page.link("#CI/CD 1") == "/tags/CI/CD"


def test_stylesheet_is_served_with_focus_styles(client: FlaskClient) -> None:
    page = get(client, "/")
    assert ("link", {"rel": "stylesheet", "href": "/static/style.css"}) in page.tags
    response = client.get("/static/style.css")
    assert response.status_code == 200
    css = response.get_data(as_text=True)
    assert ":focus-visible" in css and "mark" in css
    response.close()


def test_search_without_words_asks_for_them(client: FlaskClient) -> None:
    page = get(client, "/search")
    assert "キーワードを入力して検索してください。" in page.html


# --- results --------------------------------------------------------------------


def test_results_show_count_hits_and_highlights(client: FlaskClient) -> None:
    page = get(client, "/search?q=Kubernetes")
    assert "「Kubernetes」の検索結果" in page.html
    assert total(page) == 2
    assert "（1〜2件目）" in page.html
    assert '<title>「Kubernetes」の検索結果 - ブログ内検索</title>' in page.html
    assert ('<a href="/special/kubernetes-guide/" data-slug="kubernetes-deploy" data-rank="1">'
            '<mark>Kubernetes</mark>へのデプロイ入門：Deploymentとローリングアップデート</a>') in page.html
    assert '<time datetime="2025-04-10T23:45:00+09:00">2025年4月10日</time>' in page.html
    assert "次は<mark>Kubernetes</mark>のクラスタに載せる番です。" in page.html
    assert ('input', {"type": "search", "id": "q", "name": "q", "value": "Kubernetes", "maxlength": "256",
                      "autocomplete": "off", "enterkeyhint": "search", "aria-keyshortcuts": "/"}) in page.tags


def test_query_is_echoed_escaped(client: FlaskClient) -> None:
    page = get(client, "/search?q=%3Cb%3E%E5%A4%AA%E5%AD%97%3C%2Fb%3E%22%27")
    assert "<b>太字" not in page.html
    assert "&lt;b&gt;太字&lt;/b&gt;&#34;&#39;" in page.html


def test_facet_links_narrow_the_search(client: FlaskClient) -> None:
    page = get(client, "/search?q=AI")
    before = total(page)
    facets = dict((text.rsplit(" ", 1)[0], href) for href, text in page.links_in("facets"))
    href = facets["クラウド"]
    assert params(href) == {"q": ["AI"], "tag": ["クラウド"]}
    narrowed = get(client, href)
    assert 0 < total(narrowed) < before
    # an active tag is shown with a link that removes it, and is no longer a facet
    assert "タグ: クラウド" in narrowed.html
    remove = [h for h, t, a in narrowed.links if a.get("aria-label") == "タグ「クラウド」を外す"]
    assert [params(h) for h in remove] == [{"q": ["AI"]}]
    assert "クラウド" not in [t.rsplit(" ", 1)[0] for _, t in narrowed.links_in("facets")]
    # a second tag adds to the first (both must match)
    second = dict((t.rsplit(" ", 1)[0], h) for h, t in narrowed.links_in("facets"))["AWS"]
    assert params(second) == {"q": ["AI"], "tag": ["クラウド", "AWS"]}
    assert total(get(client, second)) == 1
    # categories narrow too
    category = dict((t.rsplit(" ", 1)[0], h) for h, t in page.links_in("facets"))["ニュース"]
    assert params(category) == {"q": ["AI"], "category": ["ニュース"]}
    assert total(get(client, category)) == 2


def test_hidden_inputs_keep_filters_for_a_new_query(client: FlaskClient) -> None:
    page = get(client, "/search?q=AI&tag=%E3%82%AF%E3%83%A9%E3%82%A6%E3%83%89&sort=date")
    assert ("input", {"type": "hidden", "name": "tag", "value": "クラウド"}) in page.tags
    assert ("input", {"type": "hidden", "name": "sort", "value": "date"}) in page.tags


def test_sort_switch(client: FlaskClient) -> None:
    page = get(client, "/search?q=%E3%83%87%E3%83%BC%E3%82%BF%E3%83%99%E3%83%BC%E3%82%B9")  # データベース
    sort_links = page.links_in("並び順")
    assert [t for _, t in sort_links] == ["関連度順", "新しい順"]
    current = [t for h, t, a in page.links if a.get("aria-current") == "true"]
    assert current == ["関連度順"]
    by_date = get(client, page.link("新しい順"))
    assert [t for h, t, a in by_date.links if a.get("aria-current") == "true"] == ["新しい順"]
    dates = re.findall(r'<time datetime="([^"]+)"', by_date.html)
    assert dates == sorted(dates, reverse=True)
    assert hit_titles(by_date) != hit_titles(page)
    assert params(by_date.link("関連度順")) == {"q": ["データベース"]}


def test_pagination(client: FlaskClient) -> None:
    first = get(client, "/search?tag=AI&per_page=2")
    assert total(first) == 5
    nav = first.links_in("ページ送り")
    assert [t for _, t in nav] == ["1", "2", "3", "次へ"]
    assert [a.get("aria-current") for h, t, a in first.links if t == "1"] == ["page"]
    second = get(client, first.link("次へ"))
    assert params(first.link("次へ")) == {"tag": ["AI"], "page": ["2"], "per_page": ["2"]}
    assert "（3〜4件目）" in second.html
    assert [t for _, t in second.links_in("ページ送り")] == ["前へ", "1", "2", "3", "次へ"]
    third = get(client, second.link("次へ"))
    assert [t for _, t in third.links_in("ページ送り")] == ["前へ", "1", "2", "3"]
    seen = hit_titles(first) + hit_titles(second) + hit_titles(third)
    assert len(seen) == len(set(seen)) == 5


def test_a_page_past_the_end(client: FlaskClient) -> None:
    page = get(client, "/search?tag=AI&page=9")
    assert "このページに結果はありません。" in page.html
    assert params(page.link("最初のページへ")) == {"tag": ["AI"]}


# --- no results -------------------------------------------------------------------


def test_no_results_suggests_removing_each_filter(client: FlaskClient) -> None:
    url = "/search?q=Kubernetes&category=%E3%83%8B%E3%83%A5%E3%83%BC%E3%82%B9&tag=AI"
    page = get(client, url)
    assert "見つかりませんでした" in page.html
    assert "「Kubernetes」に条件付きで一致する記事は見つかりませんでした。" in page.html
    without_tag = page.link("タグ「AI」を外して検索")
    without_category = page.link("カテゴリー「ニュース」を外して検索")
    without_all = page.link("すべての条件を外して「Kubernetes」で検索")
    assert params(without_tag) == {"q": ["Kubernetes"], "category": ["ニュース"]}
    assert params(without_category) == {"q": ["Kubernetes"], "tag": ["AI"]}
    assert params(without_all) == {"q": ["Kubernetes"]}
    assert total(get(client, without_all)) == 2


def test_no_results_without_filters(client: FlaskClient) -> None:
    page = get(client, "/search?q=%E3%83%9A%E3%83%B3%E3%82%AE%E3%83%B3")
    assert "見つかりませんでした" in page.html
    assert "「ペンギン」に一致する記事は見つかりませんでした。" in page.html
    assert "を外して検索" not in page.html


# --- tag pages ----------------------------------------------------------------------


def test_tag_page_lists_newest_first(client: FlaskClient) -> None:
    page = get(client, "/tags/AI")
    assert "<h1>タグ「AI」の記事</h1>" in page.html
    assert total(page) == 5
    dates = re.findall(r'<time datetime="([^"]+)"', page.html)
    assert len(dates) == 5 and dates == sorted(dates, reverse=True)
    assert page.link("#チップ") == "/tags/%E3%83%81%E3%83%83%E3%83%97"


def test_tag_with_a_slash(client: FlaskClient) -> None:
    page = get(client, "/tags/CI/CD")
    assert total(page) == 1
    assert "Kubernetesへのデプロイ入門" in page.html


def test_tag_page_is_paginated(client: FlaskClient) -> None:
    page = get(client, "/tags/AI?per_page=2")
    assert [t for _, t in page.links_in("ページ送り")] == ["1", "2", "3", "次へ"]
    assert page.link("次へ") == "/tags/AI?page=2&per_page=2"
    second = get(client, page.link("次へ"))
    assert len(re.findall(r'<li class="hit">', second.html)) == 2


def test_unknown_tag_is_404(client: FlaskClient) -> None:
    page = get(client, "/tags/%E5%AD%98%E5%9C%A8%E3%81%97%E3%81%AA%E3%81%84", status=404)
    assert "ページが見つかりません" in page.html


# --- what pages must not contain ---------------------------------------------------


@pytest.mark.parametrize("url", ["/", "/search", "/search?q=AI", "/search?q=Kubernetes&tag=AI",
                                 "/tags/AI", "/nope", "/search?page=0"])
def test_no_inline_styles_or_scripts(client: FlaskClient, url: str) -> None:
    page = client.get(url).get_data(as_text=True)
    # one external script (the "/" shortcut, opened results); the pages work without it
    assert re.findall(r"<script[^>]*>[^<]*", page) == ['<script src="/static/page.js" defer>']
    assert "<style" not in page
    assert not re.search(r"\sstyle=|\son[a-z]+=", page)
    assert "javascript:" not in page


def test_only_library_html_is_marked_safe() -> None:
    uses = []
    for path in sorted((WEB / "templates").glob("*.html")):
        uses += re.findall(r"\{\{\s*([^}]*?)\|\s*safe\b", path.read_text(encoding="utf-8"))
    assert sorted(set(uses)) == ["hit.snippet_html", "hit.title_html", "s.snippet_html"]  # s: a section of a hit
    for path in WEB.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "Markup(" not in text and "autoescape" not in text, path


def test_base_url_makes_post_links_absolute(index_dir: Path) -> None:
    from web import create_app

    app = create_app({"INDEX": str(index_dir), "BASE_URL": "https://blog.example.com/"})
    page = get(app.test_client(), "/search?q=Kubernetes")
    hrefs = re.findall(r'<h2 class="hit-title"><a href="([^"]+)"', page.html)
    assert hrefs[0] == "https://blog.example.com/special/kubernetes-guide/"
    assert all(h.startswith("https://blog.example.com/") for h in hrefs)
    assert page.link("新しい順").startswith("/search?")  # the service's own links stay relative


def test_mounted_under_a_path_with_script_name(client: FlaskClient) -> None:
    # gunicorn sets SCRIPT_NAME from the environment variable of that name
    response = client.get("/search?q=AI", environ_overrides={"SCRIPT_NAME": "/find"})
    page = Page(response.get_data(as_text=True))
    assert ("form", {"class": "search-form", "role": "search", "action": "/find/search",
                     "method": "get"}) in page.tags
    assert ("link", {"rel": "stylesheet", "href": "/find/static/style.css"}) in page.tags
