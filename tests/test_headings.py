"""Headings of a post and their ids, with real Jekyll as the referee: every
id search.ingest.headings gives is the id of a heading in the page Jekyll
builds, in the same order."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from search.ingest.frontmatter import read_front_matter
from search.ingest.headings import Heading, gfm_id, headings, locate
from search.ingest.markup import render_liquid
from search.ingest.plaintext import markdown_to_text
from tests.support import REPO, jekyll

sys.path.insert(0, str(REPO / "bench"))
from corpus import unpacked_corpus  # noqa: E402

POST = """---
title: 見出しのいろいろ
---
はじめに本文があります。

## インストール方法

apt-get で入れます。

## インストール方法

二つ目の同じ見出しには -1 が付きます。

### Step 1: apt-get を使う（推奨）

#### 「引用」と“quotes” & <b>tags</b>

## ＡＢＣ全角 Ｈｅｌｌｏ

## カスタム {#my-id}

## 属性リストで名付ける
{: #named .note}

## **太字**の`code`見出しと`<tag>`

## 1. 番号付きの見出し

## 123 数字から

## [リンク](https://example.jp/)つき ##

```sh
## これはコードの中のコメントで見出しではない
echo ok
```

{% highlight sh %}
# highlight の中のコメントも見出しではない
{% endhighlight %}

Setext 見出し
------------

大見出し
========

- リストの項目
---

## C++ と C#

## <LD_PRELOAD> やそれに相当するもの

## 終わりに
"""

# After a line that starts with an HTML element with no end tag, kramdown
# reads the rest of the post as that element: no heading after it.
SWALLOWED = """---
title: 閉じないタグ
---
## 引数

<opt_args>
一連の命令

## 説明

ここは見出しにならない。
"""


# Fences: a closing fence has the opening's character, at least as many of
# them and nothing else (```python inside ```` is text); kramdown's header
# ids may hold colons.
FENCES = """---
title: フェンスと ID
---
## コロン付きの ID {#sec:intro}

````markdown
```python
## 中の見出しではない
```
````

## 外の見出し

~~~
## チルダの中
~~~~

## チルダの後
"""


def jekyll_ids(posts: dict[str, str], tmp_path: Path) -> dict[str, list[str]]:
    """slug -> the heading ids of the page Jekyll builds for each post."""
    site = tmp_path / "site"
    (site / "_posts").mkdir(parents=True)
    (site / "_config.yml").write_text("title: t\n", encoding="utf-8")
    for name, text in posts.items():
        (site / "_posts" / name).write_text(text, encoding="utf-8")
    subprocess.run([jekyll(), "build", "-q", "--source", str(site), "--destination", str(site / "_site")],
                   check=True, capture_output=True, env={**os.environ, "LANG": "C.UTF-8"}, timeout=600)
    pages = {page.stem: page for page in (site / "_site").rglob("*.html")}
    return {re.sub(r"^\d{4}-\d\d-\d\d-", "", Path(name).stem):
            [html.unescape(i) for i in re.findall(r'<h[1-6] id="([^"]*)"',
                                                  pages[re.sub(r"^\d{4}-\d\d-\d\d-", "", Path(name).stem)]
                                                  .read_text(encoding="utf-8"))]
            for name in posts}


def ours(text: str) -> list[Heading]:
    _, body = read_front_matter(text, "post")
    return headings(render_liquid(body))  # Liquid first, as Jekyll and parse_post do


def test_ids_are_jekylls_for_every_kind_of_heading(tmp_path: Path) -> None:
    built = jekyll_ids({"2026-01-01-kinds.md": POST, "2026-01-02-swallowed.md": SWALLOWED}, tmp_path)
    assert [h.id for h in ours(POST)] == built["kinds"]
    assert [h.id for h in ours(SWALLOWED)] == built["swallowed"] == ["引数"]


def test_fences_and_ids_as_kramdown_reads_them(tmp_path: Path) -> None:
    built = jekyll_ids({"2026-01-03-fences.md": FENCES}, tmp_path)
    assert built["fences"] == ["sec:intro", "外の見出し", "チルダの後"]
    assert [h.id for h in ours(FENCES)] == built["fences"]


def test_what_the_ids_are_made_of() -> None:
    found = {h.text: h for h in ours(POST)}
    assert [h.id for h in ours(POST)][:2] == ["インストール方法", "インストール方法-1"]
    assert found["Step 1: apt-get を使う（推奨）"].id == "step-1-apt-get-を使う推奨"
    assert found["カスタム"].id == "my-id"
    assert found["属性リストで名付ける"].id == "named"
    assert found["1. 番号付きの見出し"].level == 2
    assert found["大見出し"].level == 1
    assert "これはコードの中のコメントで見出しではない" not in found
    assert found["リストの項目"].level == 2  # kramdown: a list item over --- is a heading in the item
    assert gfm_id("a_b-c  d") == "a_b-c--d"


def test_headings_are_located_in_the_plain_text_in_order() -> None:
    _, body = read_front_matter(POST, "post")
    text = markdown_to_text(body)
    found = headings(body)
    offsets = locate(found, text)
    assert all(at >= 0 for at in offsets)
    assert offsets == sorted(offsets)
    assert text[offsets[1]:].startswith("インストール方法\n\n二つ目")  # the repeat, not the first


def test_ids_are_jekylls_on_the_sample_corpus(tmp_path: Path) -> None:
    """200 real posts (Debian's Japanese documentation), 1,381 headings."""
    site = unpacked_corpus("ja-docs-sample")
    if site is None:
        pytest.skip("../shared/corpus is absent")
    posts = {p.name: p.read_text(encoding="utf-8") for p in (site / "_posts").glob("*.md")}
    built = jekyll_ids(posts, tmp_path)
    wrong = {name: (ids, built[name]) for name, ids in
             ((re.sub(r"^\d{4}-\d\d-\d\d-", "", Path(n).stem), [h.id for h in ours(t)]) for n, t in posts.items())
             if ids != built[name]}
    assert sum(len(ids) for ids in built.values()) > 1000
    assert wrong == {}


LONG_POST = """---
title: サーバーの設定メモ
tags: [サーバー]
---
サーバーを設定したときの覚え書きです。

## ファイアウォールの設定

{firewall}

## ログの確認方法

{logs}

## ログの保存期間

{rotation}
"""


def test_hits_link_to_sections_that_exist_in_jekylls_pages(tmp_path: Path) -> None:
    """The hit links to its best match's section, and a long post lists its
    best-matching sections; every link's anchor is an id in the page Jekyll builds."""
    from search import Searcher, build_index

    text = LONG_POST.format(
        firewall="ufw でポートを開けます。" * 120,
        logs="journalctl でログを確認します。エラーのログは優先度で絞り込みます。" * 50,
        rotation="ログは logrotate で一週間保存します。古いログは圧縮されます。" * 50,
    )
    name = "2026-03-01-server-notes.md"
    built = jekyll_ids({name: text}, tmp_path / "jekyll")["server-notes"]
    site = tmp_path / "site" / "_posts"
    site.mkdir(parents=True)
    (site / name).write_text(text, encoding="utf-8")
    build_index(site.parent, tmp_path / "index", procs=1)
    with Searcher(tmp_path / "index") as searcher:
        hit = searcher.search("ログを確認する").hits[0]
    from urllib.parse import unquote, urlsplit

    assert hit.section is not None and hit.section["title"] == "ログの確認方法"
    linked = [hit.section["url"]] + [s["url"] for s in hit.sections]
    assert [s["title"] for s in hit.sections][:2] == ["ログの確認方法", "ログの保存期間"]
    assert all("<mark>" in s["snippet_html"] for s in hit.sections)
    for url in linked:
        assert urlsplit(url).path == urlsplit(hit.url).path
        assert unquote(urlsplit(url).fragment) in built
