"""Tests for search.ingest.posts and search.ingest.plaintext: loading Jekyll posts, dates,
URLs, excerpts, Markdown to text, and every kind of bad input file.

Bad files are written to a temporary folder next to one good post: a bad file
becomes one error naming it and saying why, and the good post still loads.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest

from search.ingest.posts import (
    EXCERPT_CHARS,
    MAX_POST_BYTES,
    LoadResult,
    SiteConfig,
    check_permalink,
    derive_excerpt,
    load_posts,
    post_url,
)
from search.ingest.plaintext import markdown_to_text

from tests.support import REPO  # noqa: E402
POSTS_DIR = REPO / "data" / "posts"
UNPUBLISHED = "2025-12-05-semiconductor-investment-outlook.md"

TOKYO = ZoneInfo("Asia/Tokyo")
JST = timezone(timedelta(hours=9))


# --- helpers -----------------------------------------------------------------

GOOD_NAME = "2024-05-01-good.md"
BAD_NAME = "2024-02-02-bad.md"
GOOD_POST = """---
title: 正しく読み込まれる記事
date: 2024-05-01 10:00:00 +0900
tags: [テスト]
---

これは正しく読み込まれる記事です。
"""


def write(folder: Path, relpath: str, content: str | bytes) -> Path:
    path = folder / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def post_with(front_matter: str, body: str = "本文です。\n") -> str:
    return f"---\n{front_matter}\n---\n\n{body}"


def load(folder: Path, **config: str) -> LoadResult:
    return load_posts(folder, SiteConfig(**config))


def by_slug(result: LoadResult) -> dict:
    return {post.slug: post for post in result.posts}


def only_post(folder: Path, front_matter: str, **config: str):
    write(folder, "2024-01-15-only.md", post_with(front_matter))
    result = load(folder, **config)
    assert result.errors == []
    [post] = result.posts
    return post


@pytest.fixture(scope="module")
def sample() -> LoadResult:
    return load_posts(POSTS_DIR)


# --- bad input builders: each writes one bad file (BAD_NAME) into `folder` ----


def file_with(content: str | bytes):
    def build(folder: Path, outside: Path) -> None:
        write(folder, BAD_NAME, content)

    return build


def huge_body(folder: Path, outside: Path) -> None:
    write(folder, BAD_NAME, post_with("title: 巨大な記事", "あ" * (10 * 1024 * 1024 // 3)))


def symlink_outside(folder: Path, outside: Path) -> None:
    target = write(outside, "secret.md", post_with("title: 外部のファイル"))
    (folder / BAD_NAME).symlink_to(target)


def symlink_inside(folder: Path, outside: Path) -> None:
    write(folder, "assets/shared-post.txt", post_with("title: リンク先", "リンク先の本文です。\n"))
    (folder / BAD_NAME).symlink_to(Path("assets") / "shared-post.txt")


def python_tag(folder: Path, outside: Path) -> None:
    marker = outside / "executed"
    write(folder, BAD_NAME, post_with(f"title: !!python/object/apply:os.system ['touch {marker}']"))


def python_tag_top_level(folder: Path, outside: Path) -> None:
    marker = outside / "executed"
    write(folder, BAD_NAME, post_with(f"!!python/object/apply:os.system ['touch {marker}']"))


# (builder, fragment the error's reason must contain)
ERROR_CASES = [
    pytest.param(file_with(post_with("title: [閉じていない配列\ndate: 2024-02-02")), "broken YAML", id="broken-yaml"),
    pytest.param(file_with("前置きなしで本文が始まる記事です。\n"), "no YAML front matter", id="no-front-matter"),
    pytest.param(file_with("---\ntitle: 閉じていない\n\n本文です。\n"), "not closed", id="unterminated-front-matter"),
    pytest.param(file_with(b"---\ntitle: x\n---\n\n\xff\xfe\xe3\x81\n"), "UTF-8", id="invalid-utf8"),
    pytest.param(file_with(b""), "front matter", id="empty-file"),
    pytest.param(huge_body, f"limit of {MAX_POST_BYTES:,} bytes", id="10MB-body"),
    pytest.param(symlink_outside, "outside the posts folder", id="symlink-outside"),
    pytest.param(file_with(post_with("date: 昨日の夜")), "unreadable date", id="unreadable-date"),
    pytest.param(file_with(post_with("date: 2024-13-45")), "month", id="impossible-date"),
    pytest.param(
        file_with(post_with("- タイトル\n- 2024-02-02")),
        "mapping",
        id="front-matter-is-a-list",
    ),
    pytest.param(
        file_with(post_with("ただの文字列")),
        "mapping",
        id="front-matter-is-a-string",
    ),
    pytest.param(python_tag, "YAML", id="python-object-tag"),
    pytest.param(python_tag_top_level, "YAML", id="python-object-tag-top-level"),
]

# (builder, expected body of the bad-looking but valid file)
LOADS_FINE_CASES = [
    pytest.param(file_with("\ufeff" + post_with("title: BOM付き")), "本文です。", id="bom"),
    pytest.param(
        file_with(post_with("title: 改行", "一行目。\n二行目。\n").replace("\n", "\r\n")),
        "一行目。\n二行目。",
        id="crlf",
    ),
    pytest.param(
        file_with(post_with("title: 改行", "一段落目。\n\n二段落目。\n").replace("\n", "\r")),
        "一段落目。\n\n二段落目。",
        id="cr-only",
    ),
    pytest.param(symlink_inside, "リンク先の本文です。", id="symlink-inside"),
    pytest.param(file_with("---\n---\n\n前付けが空の記事。\n"), "前付けが空の記事。", id="empty-front-matter"),
]


# --- tables ------------------------------------------------------------------

# the same instant written in the forms Jekyll sites use
AWARE_DATES = [
    "2025-03-02 07:30:00 +0900",
    "2025-03-02 07:30:00 +09:00",
    "2025-03-02T07:30:00+09:00",
    "2025-03-02T07:30:00+0900",
    "2025-03-01 22:30:00 +0000",
    "2025-03-01T22:30:00Z",
    "2025-03-01 17:30:00 -0500",
]

# (front matter date, site time zone or None for the default, expected)
NAIVE_DATES = [
    ("2025-03-02 07:30:00", None, datetime(2025, 3, 2, 7, 30, tzinfo=TOKYO)),
    ("2025-03-02", None, datetime(2025, 3, 2, tzinfo=TOKYO)),
    ("2025/03/02 07:30", None, datetime(2025, 3, 2, 7, 30, tzinfo=TOKYO)),
    ("2025-03-02 07:30:00", "America/New_York", datetime(2025, 3, 2, 7, 30, tzinfo=ZoneInfo("America/New_York"))),
    ("2025-07-01 12:00:00", "Europe/Berlin", datetime(2025, 7, 1, 12, tzinfo=ZoneInfo("Europe/Berlin"))),
    ("2025-03-02", "UTC", datetime(2025, 3, 2, tzinfo=timezone.utc)),
]

# (tags front matter, expected list)
TAGS = [
    ("tags: Linux セキュリティ コマンド", ["Linux", "セキュリティ", "コマンド"]),
    ("tags: [AI, 生成AI]", ["AI", "生成AI"]),
    ("tags: AI, 機械学習", ["AI", "機械学習"]),
    ("tag: 単独タグ", ["単独タグ"]),
    ("tags:", []),
]

WHEN = datetime(2025, 3, 2, 7, 30, tzinfo=TOKYO)
CAT = quote("投資分析")

# (front matter permalink, site config, slug, categories, expected URL)
URLS = [
    (None, SiteConfig(), "aws-trainium2", ["投資分析"], f"/{CAT}/2025/03/02/aws-trainium2.html"),
    (None, SiteConfig(), "foo", [], "/2025/03/02/foo.html"),
    (None, SiteConfig(permalink="/:categories/:year/:month/:day/:title.html"), "foo", ["Tech", "AI"], "/tech/ai/2025/03/02/foo.html"),
    (None, SiteConfig(permalink="pretty"), "foo", [], "/2025/03/02/foo/"),
    (None, SiteConfig(permalink="pretty"), "aws-trainium2", ["投資分析"], f"/{CAT}/2025/03/02/aws-trainium2/"),
    (None, SiteConfig(permalink="none"), "foo", ["Tech"], "/tech/foo.html"),
    (None, SiteConfig(), "日本語のスラッグ", [], f"/2025/03/02/{quote('日本語のスラッグ')}.html"),
    ("/special/kubernetes-guide/", SiteConfig(permalink="pretty"), "foo", ["Tech"], "/special/kubernetes-guide/"),
    ("/blog/:year/:title/", SiteConfig(), "foo", [], "/blog/2025/foo/"),
    (None, SiteConfig(base_url="https://example.com"), "foo", [], "https://example.com/2025/03/02/foo.html"),
    (None, SiteConfig(base_url="https://example.com/blog/"), "foo", [], "https://example.com/blog/2025/03/02/foo.html"),
    (
        "/special/guide/",
        SiteConfig(base_url="https://example.com/blog/"),
        "foo",
        [],
        "https://example.com/blog/special/guide/",
    ),
]

LONG_SENTENCE = "生成AIの学習需要が爆発したことで、データセンター向けGPUは深刻な供給不足に陥っています。"  # 46 chars

# (body, expected excerpt)
EXCERPTS = [
    ("短い段落です。\n\n二段落目は含まれません。", "短い段落です。"),
    ("\n\n前の空行は飛ばします。", "前の空行は飛ばします。"),
    ("一行目と\n二行目は一つの段落。", "一行目と 二行目は一つの段落。"),
    (LONG_SENTENCE * 4, LONG_SENTENCE * 2),
    ("句点のない長い文" * 40, ("句点のない長い文" * 40)[:EXCERPT_CHARS] + "…"),
    ("", ""),
]

# (markdown, text that must be in the output, text that must not)
MARKDOWN = [
    ("[公式ドキュメント](https://example.com/docs)を参照。", "公式ドキュメントを参照。", "example.com"),
    ("これは**重要**な点で、ここも*強調*です。", "これは重要な点で、ここも強調です。", "*"),
    ("```python\nprint('こんにちは')\n```\n", "print('こんにちは')", "```"),
    ("    インデントされたコード\n", "インデントされたコード", "    "),
    ("これは<span class=\"note\">重要</span>です。", "これは重要です。", "span"),
    ("<div>\n<p>ブロック<b>HTML</b>の本文</p>\n</div>\n", "ブロックHTMLの本文", "<"),
    ("<script>alert('攻撃')</script>\n\n本文です。", "本文です。", "alert"),
    ("<style>p { color: red }</style>\n\n本文です。", "本文です。", "color"),
    pytest.param(
        "本文<script>alert('攻撃')</script>続き。",
        "本文続き。",
        "alert",
        id="inline-script",
    ),
    pytest.param(
        "本文<style>p{color:red}</style>続き。",
        "本文続き。",
        "color",
        id="inline-style",
    ),
    ("x < y かつ A & B の場合。", "x < y かつ A & B の場合。", "&amp;"),
    ("AT&T と &amp; と &lt;tag&gt;", "AT&T と & と <tag>", "&lt;"),
    ("<div>a < b & c</div>\n", "a < b & c", "div"),
    ("`a < b && c`", "a < b && c", "`"),
    ("![構成図](diagram.png)", "構成図", "diagram.png"),
    ("# 見出し\n\n段落。", "見出し\n\n段落。", "#"),
    ("{% highlight ruby %}\nputs 1\n{% endhighlight %}\n", "puts 1", "highlight"),
    pytest.param('設定は "~/.profile", "~/.bash_profile" に書く。', '"~/.profile", "~/.bash_profile"', "<del>", id="single-tildes"),
    pytest.param("これは~~取り消し~~です。", "これは取り消しです。", "~", id="strikethrough"),
    pytest.param("形式は <text>:<title> です。\n\n次の段落です。", "次の段落です。", "</p>", id="rcdata-tag-in-prose"),
    pytest.param("HTMLの<script>タグを使う。\n\n次の段落です。", "タグを使う。\n\n次の段落です。", "<", id="unclosed-script-tag"),
    pytest.param("一行目  \n二行目", "一行目\n二行目", "\n\n", id="hard-line-break"),
    pytest.param("| 項目 | 値 |\n|---|---|\n| 速度 | 2.5倍 |\n", "速度 2.5倍", "|", id="table-row"),
    pytest.param("- 一つ目\n- 二つ目\n", "一つ目\n\n二つ目", "-", id="list-items"),
    pytest.param("<!-- メモ -->\n本文です。", "本文です。", "メモ", id="html-comment"),
    pytest.param("前\ud800後", "前\ufffd後", "\ud800", id="lone-surrogate"),
    pytest.param("<div>" * 5000 + "深い本文", "深い本文", "<", id="html-nested-5000-deep"),
    pytest.param("> " * 5000 + "引用の本文", "引用の本文", "<", id="quotes-nested-5000-deep"),
    pytest.param("<span>" * 20000 + "深い本文", "深い本文", "<", id="inline-nested-20000-deep"),
]


# --- the sample posts --------------------------------------------------------


def test_sample_posts_load_without_errors(sample):
    assert sample.errors == []
    assert len(sample.posts) == len(list(POSTS_DIR.glob("*.md"))) - 1


def test_unpublished_post_is_skipped(sample):
    assert sample.skipped == [UNPUBLISHED]
    assert "semiconductor-investment-outlook" not in by_slug(sample)


def test_space_separated_tags_string_is_a_list(sample):
    posts = by_slug(sample)
    assert posts["linux-file-permissions"].tags == ["Linux", "セキュリティ", "コマンド"]
    assert posts["remote-work-rd"].tags == ["AI", "リモートワーク", "R&D"]


def test_filename_date_is_used_without_front_matter_date(sample):
    post = by_slug(sample)["disk-usage-du-df"]
    assert post.date == datetime(2025, 7, 3, tzinfo=TOKYO)
    assert post.date.utcoffset() == timedelta(hours=9)


def test_both_offset_forms_in_sample_posts(sample):
    posts = by_slug(sample)
    assert posts["aws-trainium2"].date == datetime(2025, 3, 2, 7, 30, tzinfo=JST)  # +0900
    assert posts["python-asyncio"].date == datetime(2025, 6, 1, 9, 0, tzinfo=JST)  # +09:00
    assert all(p.date.tzinfo is not None for p in sample.posts)


def test_front_matter_permalink_wins(sample):
    assert by_slug(sample)["kubernetes-deploy"].url == "/special/kubernetes-guide/"


def test_default_permalink_is_jekyll_date_style(sample):
    assert by_slug(sample)["aws-trainium2"].url == f"/{CAT}/2025/03/02/aws-trainium2.html"


def test_site_config_applies_to_sample_posts():
    result = load_posts(POSTS_DIR, SiteConfig(base_url="https://example.com/blog/", permalink="pretty"))
    posts = by_slug(result)
    assert posts["aws-trainium2"].url == f"https://example.com/blog/{CAT}/2025/03/02/aws-trainium2/"
    assert posts["kubernetes-deploy"].url == "https://example.com/blog/special/kubernetes-guide/"


def test_excerpt_is_derived_when_missing(sample):
    post = by_slug(sample)["quantum-computer-basics"]
    first_sentence = post.body.split("。")[0] + "。"
    assert post.excerpt.startswith(first_sentence)
    assert len(post.excerpt) <= EXCERPT_CHARS + 1


def test_front_matter_excerpt_is_kept(sample):
    assert by_slug(sample)["aws-trainium2"].excerpt.startswith("AWSが自社開発するAIチップTrainium2で")


# --- dates, tags and URLs in a temporary folder ------------------------------


@pytest.mark.parametrize("value", AWARE_DATES)
def test_offsets_parse_to_the_same_aware_datetime(tmp_path, value):
    post = only_post(tmp_path, f"date: {value}")
    assert post.date.tzinfo is not None
    assert post.date == datetime(2025, 3, 2, 7, 30, tzinfo=JST)


@pytest.mark.parametrize("value, tz, expected", NAIVE_DATES)
def test_naive_dates_get_the_site_time_zone(tmp_path, value, tz, expected):
    config = {"timezone": tz} if tz else {}
    post = only_post(tmp_path, f"date: {value}", **config)
    assert post.date == expected
    assert post.date.utcoffset() == expected.utcoffset()


def test_filename_date_gets_the_site_time_zone(tmp_path):
    write(tmp_path, "2024-01-15-nodate.md", post_with("title: 日付なし"))
    [post] = load(tmp_path, timezone="America/New_York").posts
    assert post.date == datetime(2024, 1, 15, tzinfo=ZoneInfo("America/New_York"))
    assert post.date.utcoffset() == timedelta(hours=-5)


@pytest.mark.parametrize(
    "tz, expected",
    [("Asia/Tokyo", "/2025/03/02/only.html"), ("UTC", "/2025/03/01/only.html")],
)
def test_url_date_is_in_the_site_time_zone(tmp_path, tz, expected):
    post = only_post(tmp_path, "date: 2025-03-01 22:30:00 +0000", timezone=tz)
    assert post.url == expected


@pytest.mark.parametrize("front_matter, expected", TAGS)
def test_tags_become_a_list(tmp_path, front_matter, expected):
    assert only_post(tmp_path, front_matter).tags == expected


@pytest.mark.parametrize("permalink, config, slug, categories, expected", URLS)
def test_post_url(permalink, config, slug, categories, expected):
    assert post_url(permalink, config, slug, WHEN, categories) == expected


@pytest.mark.parametrize("permalink", [
    "date", "pretty", "ordinal", "weekdate", "none", "/:categories/:year/:month/:day/:title/",
    "/blog/:year/:title.html", "/:month_:day/:slug", ":title", "/:y_day/:short_day/:i_month-:i_day/:hour:minute:second/:title",
    " pretty ",
])
def test_site_permalinks_jekyll_can_build_are_accepted(permalink):
    assert check_permalink(permalink) == permalink.strip()
    assert SiteConfig(permalink=permalink).permalink == permalink


@pytest.mark.parametrize("permalink, message", [
    ("blah", "'blah' is neither a permalink style (date, pretty, ordinal, weekdate, none) nor a pattern"),
    ("Pretty", "is neither a permalink style"),  # Jekyll's style names are lower case
    ("/blog/", "nor a pattern with placeholders"),  # every post would get /blog/
    ("/:foo/:title", "'/:foo/:title': :foo is an unknown placeholder; known placeholders: :year :month"),
    ("/:yearly/:title", ":yearly is an unknown placeholder"),
    ("/:long_month/:title", ":long_month is a Jekyll placeholder blogsearch does not support"),
    ("/:slugified_categories/:title", ":slugified_categories is a Jekyll placeholder"),
])
def test_site_permalinks_with_unknown_placeholders_are_refused(permalink, message):
    # before: accepted, and every post got /blah (or /:foo/<slug>)
    with pytest.raises(ValueError, match=re.escape(message)):
        check_permalink(permalink)
    with pytest.raises(ValueError, match=re.escape(message)):
        SiteConfig(permalink=permalink)


@pytest.mark.parametrize("body, expected", EXCERPTS)
def test_derive_excerpt(body, expected):
    excerpt = derive_excerpt(body)
    assert excerpt == expected
    assert len(excerpt) <= EXCERPT_CHARS + 1


def test_loaded_post_without_excerpt_gets_one(tmp_path):
    write(tmp_path, "2024-01-15-x.md", post_with("title: 抜粋なし", LONG_SENTENCE * 4 + "\n\n次の段落。\n"))
    [post] = load(tmp_path).posts
    assert post.excerpt == LONG_SENTENCE * 2


# --- Markdown to text --------------------------------------------------------


@pytest.mark.parametrize("markdown, expected, absent", MARKDOWN)
def test_markdown_to_text(markdown, expected, absent):
    text = markdown_to_text(markdown)
    assert expected in text
    assert absent not in text


# Body text as the blog shows it: kramdown's syntax is not words, Liquid code
# blocks are code. (text, what must be in the text, what must not)
JEKYLL_MARKUP = [
    ("注意してください。\n{: .note}\n", "注意してください。", "note"),
    ("段落です。\n{:#intro .lead}\n", "段落です。", "intro"),
    ("* 目次\n{:toc}\n\n## 導入\n\n本文。\n", "導入\n\n本文。", "目次"),
    ("*強調*{: .red}した文。\n", "強調した文。", "red"),
    ("## 導入 {#intro}\n\n本文。\n", "導入\n\n本文。", "intro"),
    ("本文[^1]です。\n\n[^1]: 出典は気象庁の資料。\n", "本文です。", "1"),
    ("本文[^1]です。\n\n[^1]: 出典は気象庁の資料。\n", "出典は気象庁の資料。", "↩"),  # the note is text
    ("{::comment}\n下書きのメモ\n{:/comment}\n公開する文。\n", "公開する文。", "下書きのメモ"),
    ("{% highlight ruby linenos %}\n# 設定を読む\nputs \"<b>東京</b>\"\n{% endhighlight %}\n",
     '# 設定を読む\nputs "<b>東京</b>"', "linenos"),  # code text, not a heading and tags
    ("```liquid\n{% raw %}{{ page.title }} の表示{% endraw %}\n```\n", "{{ page.title }} の表示", "raw"),
    ("`{: .keep}` はコードです。\n", "{: .keep} はコードです。", "``"),
    ("```\n{: .inside}\n```\n", "{: .inside}", "```"),
]


@pytest.mark.parametrize("markdown, expected, absent", JEKYLL_MARKUP)
def test_jekyll_markup_is_read_as_the_blog_shows_it(markdown, expected, absent):
    text = markdown_to_text(markdown)
    assert expected in text
    assert absent not in text


# --- bad input ---------------------------------------------------------------


@pytest.fixture
def folders(tmp_path):
    """A posts folder holding one good post, and a folder outside it."""
    posts, outside = tmp_path / "posts", tmp_path / "outside"
    posts.mkdir()
    outside.mkdir()
    write(posts, GOOD_NAME, GOOD_POST)
    return posts, outside


@pytest.mark.parametrize("build, reason", ERROR_CASES)
def test_bad_file_is_one_error_and_the_good_post_loads(folders, build, reason):
    posts, outside = folders
    build(posts, outside)

    result = load(posts)

    assert [p.slug for p in result.posts] == ["good"]
    assert len(result.errors) == 1
    [error] = result.errors
    assert Path(error.path).name == BAD_NAME
    assert reason.lower() in error.reason.lower()
    assert BAD_NAME in str(error)
    assert not (outside / "executed").exists()  # YAML tags are never executed


@pytest.mark.parametrize("build, body", LOADS_FINE_CASES)
def test_unusual_but_valid_file_loads(folders, build, body):
    posts, outside = folders
    build(posts, outside)

    result = load(posts)

    assert result.errors == []
    loaded = by_slug(result)
    assert set(loaded) == {"good", "bad"}
    assert loaded["bad"].body == body
    assert "\r" not in loaded["bad"].title


def test_same_slug_in_two_files_is_one_error_naming_both(tmp_path):
    write(tmp_path, "2024-01-01-foo.md", post_with("title: 一つ目"))
    write(tmp_path, "2025-02-02-foo.md", post_with("title: 二つ目"))
    write(tmp_path, GOOD_NAME, GOOD_POST)

    result = load(tmp_path)

    assert sorted(p.slug for p in result.posts) == ["foo", "good"]
    [error] = result.errors
    assert "2024-01-01-foo.md" in str(error)
    assert "2025-02-02-foo.md" in str(error)


def test_jekyll_site_loads_only_posts(tmp_path):
    for relpath in [
        "_posts/2024-05-01-top.md",
        "_posts/2024/2024-06-01-nested.md",
        "_posts/tech/deep/2024-07-01-deeper.markdown",
        "about.md",
        "index.md",
        "_drafts/2024-08-01-draft.md",
        "blog/2024-09-01-outside-posts.md",
    ]:
        write(tmp_path, relpath, GOOD_POST)

    result = load(tmp_path)

    assert result.errors == []
    # paths as Jekyll's `relative_path`: from the site folder
    assert sorted((p.slug, p.path) for p in result.posts) == [
        ("deeper", "_posts/tech/deep/2024-07-01-deeper.markdown"),
        ("nested", "_posts/2024/2024-06-01-nested.md"),
        ("top", "_posts/2024-05-01-top.md"),
    ]


@pytest.mark.parametrize(("permalink", "url"), [
    ("/\\evil.example/x/", "/%5Cevil.example/x/"),  # browsers read /\\host as //host
    ("/\t/evil.example/x/", "/%09/evil.example/x/"),
    ("/ブログ/記事/", "/%E3%83%96%E3%83%AD%E3%82%B0/%E8%A8%98%E4%BA%8B/"),  # as Jekyll escapes
    ("/a%20b/", "/a%20b/"),  # already escaped: unchanged
])
def test_permalink_characters_that_are_not_url_path_characters_are_escaped(permalink: str, url: str) -> None:
    from datetime import datetime

    from search.ingest.posts import post_url

    assert post_url(permalink, SiteConfig(), "slug", datetime(2025, 1, 1), []) == url
