"""Issue 16: the search pages belong to the blog — its name and address in the
header, its templates and stylesheet, its language (one catalogue of strings,
overridable), Japanese error pages, the favicon, author and date fields."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from web import create_app
from web.settings import APP_SETTINGS, SettingsError, resolve
from web.strings import EN, JA, Strings, load_overrides


def make_client(index_dir: Path, **config: object) -> FlaskClient:
    return create_app({"TESTING": True, "INDEX": str(index_dir), "TIMEZONE": "Asia/Tokyo",
                       "QUERY_LOG": "", **config}).test_client()


def html(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def test_header_names_the_blog_and_links_back(index_dir: Path) -> None:
    client = make_client(index_dir, SITE_TITLE="ペンギン技術ブログ", SITE_URL="https://blog.example.jp")
    page = html(client, "/search?q=Kubernetes")
    header = page.split('<header class="site-header">')[1].split("</header>")[0]
    assert '<a href="https://blog.example.jp/">ペンギン技術ブログ</a>' in header
    assert '<a class="back" href="https://blog.example.jp/">ブログに戻る</a>' in header
    assert "<title>「Kubernetes」の検索結果 - ペンギン技術ブログ</title>" in page
    assert "<h1>ペンギン技術ブログ - 検索</h1>" in html(client, "/")


def test_without_a_site_title_the_header_is_the_catalogues(client: FlaskClient) -> None:
    page = html(client, "/")
    assert '<p class="site-name"><a href="/">ブログ内検索</a></p>' in page
    assert "ブログに戻る" not in page  # no address to go back to


def test_site_url_defaults_to_base_url(index_dir: Path) -> None:
    page = html(make_client(index_dir, BASE_URL="https://blog.example.jp/tech"), "/")
    assert '<a class="back" href="https://blog.example.jp/tech/">ブログに戻る</a>' in page


def test_a_templates_folder_overrides_a_template(index_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "base.html").write_text(
        '<!doctype html><html lang="ja"><body class="my-blog"><nav>わたしのブログのメニュー</nav>'
        "{% block main %}{% endblock %}</body></html>", encoding="utf-8")
    client = make_client(index_dir, TEMPLATES=str(tmp_path / "tpl"))
    page = html(client, "/search?q=Kubernetes")
    assert "わたしのブログのメニュー" in page and '<body class="my-blog">' in page
    assert "<mark>Kubernetes</mark>" in page  # the built-in search.html, in the site's frame
    assert "わたしのブログのメニュー" in html(client, "/nope", status=404)


def test_a_stylesheet_url_is_loaded_after_ours(index_dir: Path) -> None:
    page = html(make_client(index_dir, STYLESHEET_URL="https://blog.example.jp/assets/search.css"), "/")
    links = re.findall(r'<link rel="stylesheet" href="([^"]+)">', page)
    assert links == ["/static/style.css", "https://blog.example.jp/assets/search.css"]


@pytest.mark.parametrize(("name", "value"), [
    ("STYLESHEET_URL", "javascript:alert(1)"), ("STYLESHEET_URL", "//evil.example/x.css"),
    ("TEMPLATES", "/no/such/folder"), ("LANG", "fr"), ("REPORT_AUTH", "editor"),
    ("STRINGS", "/no/such/strings.json"),
])
def test_bad_site_settings_are_refused_naming_the_setting(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        resolve(APP_SETTINGS, {name: value})


def test_english_for_a_site_in_english(index_dir: Path) -> None:
    client = make_client(index_dir, LANG="en")
    page = html(client, "/search?q=Kubernetes")
    assert '<html lang="en">' in page and "Results for “Kubernetes”" in page
    assert "検索結果" not in page and "件" not in page.split("<main")[1].split('<ol class="hits"')[0]
    error = html(client, "/tags/%E5%AD%98%E5%9C%A8%E3%81%97%E3%81%AA%E3%81%84", status=404)
    assert "No posts are tagged “存在しない”." in error
    sections = html(client, "/search?q=監視")  # the long server guide lists its sections
    assert 'aria-label="Matching sections of this post"' in sections and "一致した節" not in sections


def test_strings_file_overrides_pages_and_widget(index_dir: Path, tmp_path: Path) -> None:
    strings = tmp_path / "strings.json"
    strings.write_text(json.dumps({"form.submit": "さがす", "widget.placeholder": "記事をさがす"},
                                  ensure_ascii=False), encoding="utf-8")
    client = make_client(index_dir, STRINGS=str(strings))
    assert '<button type="submit">さがす</button>' in html(client, "/")
    assert '"placeholder": "記事をさがす"' in client.get("/widget.js").get_data(as_text=True)


def test_strings_file_with_an_unknown_key_is_refused(tmp_path: Path) -> None:
    strings = tmp_path / "strings.json"
    strings.write_text('{"form.sumbit": "さがす"}', encoding="utf-8")
    with pytest.raises(ValueError, match="unknown keys form.sumbit"):
        load_overrides(str(strings))
    with pytest.raises(SettingsError, match="STRINGS"):
        resolve(APP_SETTINGS, {"STRINGS": str(strings)})


def test_catalogues_have_the_same_keys_and_placeholders() -> None:
    assert set(JA) == set(EN)
    for key in JA:
        assert set(re.findall(r"\{(\w+)\}", JA[key])) == set(re.findall(r"\{(\w+)\}", EN[key])), key
    assert Strings("ja")("tag.title", tag="サーバー") == "タグ「サーバー」の記事"
    assert Strings("ja").fill("error.post_not_found") is None  # a missing value is not shown as {slug}


@pytest.mark.parametrize(("url", "expected"), [
    ("/tags/%E5%AD%98%E5%9C%A8%E3%81%97%E3%81%AA%E3%81%84%E3%82%BF%E3%82%B0", "タグ「存在しないタグ」の記事はありません。"),
    ("/editor?slug=%E3%81%AA%E3%81%84%E8%A8%98%E4%BA%8B", "スラッグ「ない記事」の記事は登録されていません。"),
    ("/search?q=AI&from=2025-13-01", "日付は 2025-04-10 のように「年-月-日」で指定してください。"),
    ("/editor/report?since=%E6%98%A8%E6%97%A5", "日付は 2025-04-10 のように「年-月-日」で指定してください。"),
    ("/search?q=AI&from=2025-02-01&to=2025-01-01", "開始日が終了日より後になっています。"),
    ("/search?q=AI&sort=popular", "並び順の指定が正しくありません。"),
])
def test_error_pages_speak_japanese_only(client: FlaskClient, url: str, expected: str) -> None:
    response = client.get(url)
    assert response.status_code in (400, 404)
    main = response.get_data(as_text=True).split("<main")[1].split(">", 1)[1]
    assert expected in main
    text = re.sub(r"<[^>]+>", " ", main)
    assert not re.search(r"[A-Za-z]{3,}", text), text  # no English words (dates and numbers only)


def test_favicon_is_served(client: FlaskClient) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert '<link rel="icon" href="/favicon.ico" type="image/svg+xml">' in html(client, "/")
    assert response.get_data(as_text=True).startswith("<svg ")


def test_author_and_dates_on_the_page(client: FlaskClient) -> None:
    page = html(client, "/search?q=Kubernetes&author=%E5%B1%B1%E7%94%B0&from=2025-01-01")
    assert '<details class="more-options" open>' in page
    assert 'name="author" value="山田"' in page and 'name="from" value="2025-01-01"' in page
    assert "著者: 山田" in page  # an active filter, with a link that removes it
    assert '<details class="more-options">' in html(client, "/")


def test_filters_come_before_the_results_in_the_page(client: FlaskClient) -> None:
    page = html(client, "/search?q=AI")
    assert page.index('<details class="facets" open>') < page.index('<section class="results"')


def test_editor_pages_come_from_the_catalogue_too(index_dir: Path, tmp_path: Path) -> None:
    client = make_client(index_dir, LANG="en", QUERY_LOG=str(tmp_path / "log"))
    client.get("/search?q=Kubernetes&s=1")
    editor = html(client, "/editor?slug=postgresql-backup")
    assert "<h1>Editor tools</h1>" in editor and "Posts related to “" in editor
    assert not re.search(r"[\u3040-\u30ff]", editor.split("<main")[1].split('class="editor-result"')[0])
    report = html(client, "/editor/report")
    assert "<h1>Search log report</h1>" in report and "(times in Asia/Tokyo)" in report
    assert "Searches per day and the share that found nothing" in report
    assert "検索" not in report.split("<main")[1].replace("Kubernetes", "")


def test_the_title_and_lang_of_the_sites_config_come_from_the_index(tmp_path: Path) -> None:
    """`blogsearch index` keeps _config.yml's title and lang; the pages use
    them unless SITE_TITLE or LANG say otherwise."""
    from search.cli import main

    site = tmp_path / "site"
    (site / "_posts").mkdir(parents=True)
    (site / "_config.yml").write_text("title: ペンギン観察日記\nlang: en-US\n", encoding="utf-8")
    (site / "_posts" / "2026-01-05-penguins.md").write_text(
        "---\ntitle: ペンギンの行進\n---\n\n南極のペンギンは群れで歩いて移動する。\n", encoding="utf-8")
    assert main(["index", "--posts", str(site), "--index", str(tmp_path / "index"), "--procs", "1"]) == 0
    page = html(make_client(tmp_path / "index"), "/")
    assert "ペンギン観察日記" in page and 'lang="en"' in page
    page = html(make_client(tmp_path / "index", SITE_TITLE="別の名前", LANG="ja"), "/")
    assert "別の名前" in page and "ペンギン観察日記" not in page and 'lang="ja"' in page
