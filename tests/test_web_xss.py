"""Markup in posts is shown as text: a post whose title, body, tags, category,
author and permalink carry script and img injections is indexed and searched;
the pages contain no element from it, and the JSON's HTML fields contain no
markup but <mark>."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from search import build_index
from web import create_app
from web.views.pages import safe_href

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
SVG_TAG = '"><svg onload=alert(1)>'

HOSTILE_POST = f"""---
title: '{SCRIPT} と {IMG} の危険な記事'
date: 2025-01-15 10:00:00 +0900
categories: ["<b>カテゴリ</b>"]
tags: ['{SVG_TAG}', "安全"]
author: "<script>alert('author')</script>"
excerpt: "<img src=x onerror=alert(2)>"
permalink: "javascript:alert(3)"
---

本文に危険な文字列があります。{SCRIPT} そして {IMG} も書いてあります。

コードとして `{SCRIPT}` と `{IMG}` を書きました。危険な文字列は表示だけされるべきです。
"""

# every element our templates produce; anything else came from a post
OUR_ELEMENTS = {"html", "head", "meta", "title", "link", "body", "a", "header", "p", "main",
                "h1", "h2", "form", "label", "div", "input", "button", "section", "ul", "li",
                "strong", "nav", "ol", "article", "time", "span", "mark", "aside", "details", "summary",
                "script"}


class Elements(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__()
        self.names: set[str] = set()
        self.attrs: list[tuple[str, str | None]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.names.add(tag)
        self.attrs += attrs


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    root = tmp_path_factory.mktemp("xss")
    (root / "posts").mkdir()
    (root / "posts" / "2025-01-15-xss.md").write_text(HOSTILE_POST, encoding="utf-8")
    report = build_index(root / "posts", root / "index", procs=1)
    assert not report.errors and report.total == 1
    return create_app({"INDEX": str(root / "index")}).test_client()


def assert_inert(html: str) -> None:
    parsed = Elements(html)
    assert parsed.names <= OUR_ELEMENTS, parsed.names - OUR_ELEMENTS
    for name, value in parsed.attrs:
        assert not name.startswith("on"), name
        assert not (value or "").strip().lower().startswith("javascript:"), value
    html = html.replace('<script src="/static/page.js" defer></script>', "", 1)  # our one script
    for raw in ("<script", "<img", "<svg", "<b>"):
        assert raw not in html


@pytest.mark.parametrize("url", [
    "/search?q=" + quote("危険な文字列"),
    "/search?q=" + quote("script alert"),
    "/search?q=" + quote(SCRIPT),
    "/search?q=" + quote(IMG),
    "/search?tag=" + quote(SVG_TAG),
    "/search?q=" + quote("危険") + "&category=" + quote("<b>カテゴリ</b>"),
    "/search?q=" + quote("ペンギン") + "&tag=" + quote(SVG_TAG),  # no results: removal links
    "/tags/" + quote(SVG_TAG, safe=""),
    "/tags/" + quote(SVG_TAG, safe="") + "/x",  # unknown tag: error page echoes it
    "/",
])
def test_pages_show_markup_as_text(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code in (200, 404)
    assert_inert(response.get_data(as_text=True))


def test_the_post_is_found_and_its_markup_shown_escaped(client: FlaskClient) -> None:
    html = client.get("/search?q=" + quote("危険な文字列")).get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; と &#34;&gt;&lt;img src=x onerror=alert(1)&gt; の" \
        in html.replace("&quot;", "&#34;")
    assert "&lt;script&gt;alert(&#39;author&#39;)&lt;/script&gt;" in html
    assert "&lt;b&gt;カテゴリ&lt;/b&gt;" in html
    assert "&#34;&gt;&lt;svg onload=alert(1)&gt;" in html
    assert 'href="/javascript:alert(3)"' in html  # a relative path on the blog, not a script URL


def _only_mark(fragment: str) -> None:
    rest = re.sub(r"</?mark>", "", fragment)
    assert "<" not in rest and ">" not in rest, fragment


@pytest.mark.parametrize("q", ["危険な文字列", "script alert", SCRIPT, IMG, "onerror img src"])
def test_json_html_fields_have_only_mark(client: FlaskClient, q: str) -> None:
    data: dict[str, Any] = client.get("/api/search", query_string={"q": q}).get_json()
    assert data["total"] == 1
    hit = data["hits"][0]
    assert hit["title"].startswith(SCRIPT)  # the plain field is the original text
    _only_mark(hit["title_html"])
    _only_mark(hit["snippet_html"])
    assert "&lt;" in hit["title_html"]


@pytest.mark.parametrize("url,base,expected", [
    ("/2025/01/15/post.html", "", "/2025/01/15/post.html"),
    ("/2025/01/15/post.html", "https://blog.example.com/", "https://blog.example.com/2025/01/15/post.html"),
    ("https://blog.example.com/a", "https://other.example", "https://blog.example.com/a"),
    ("javascript:alert(1)", "", "#"),
    (" JavaScript:alert(1)", "https://blog.example.com", "#"),
    ("data:text/html,<script>", "", "#"),
    ("vbscript:x", "", "#"),
    ("//evil.example/x", "", "#"),
    ("https:///x", "", "#"),
    ("/\\evil.example/x", "", "#"),  # browsers read a backslash as a slash: //evil.example/x
    ("/\t/evil.example/x", "", "#"),  # and drop tabs and new lines
    ("/\n/evil.example/x", "https://blog.example.com", "#"),
    ("/2025/a\\b.html", "", "/2025/a\\b.html"),
    ("", "", "#"),
])
def test_safe_href(url: str, base: str, expected: str) -> None:
    assert safe_href(url, base) == expected
