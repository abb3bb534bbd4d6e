"""Markdown to the plain text that is indexed and shown in snippets.

cmark-gfm (the C reference implementation of CommonMark, with GitHub's
tables and strikethrough) renders the post to HTML and lxml reads that HTML
back; the text keeps what a reader sees: link text (not URLs), image alt
text, code blocks as text, and the text inside raw HTML without its tags
(script and style contents are dropped). Paragraphs, headings, list items,
table rows and code blocks are separated by blank lines.

Both are C libraries: a quarter to a third of the time of the pure-Python
markdown-it-py this module used before. On ja-docs and data/posts the text
differs in 10 of 2,878 posts, where the two CommonMark parsers read odd
emphasis, code spans or tables differently.
"""

from __future__ import annotations

import re

import cmarkgfm
import lxml.html
from cmarkgfm.cmark import Options

# Raw HTML is kept, so that its text is indexed; ~one~ is not strikethrough
# (~/.bashrc ... ~/.profile), ~~two~~ is, as on GitHub.
_OPTIONS = Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_STRIKETHROUGH_DOUBLE_TILDE
_EXTENSIONS = ["table", "strikethrough"]
_PARSER = lxml.html.HTMLParser(huge_tree=True)  # code blocks may be text nodes of megabytes

_LIQUID = re.compile(r"\{%-?.*?-?%\}|\{\{-?.*?-?\}\}", re.S)
# Raw HTML is the only place where cmark's output can hold these tags (text
# is escaped). They are cut before lxml reads the HTML, so that a <script>
# left open in a post's prose drops that tag, not the rest of the post.
_RAW_TEXT = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.I | re.S)
_RAW_TEXT_OPEN = re.compile(r"<(?:script|style)\b[^>]*>", re.I)
# Tags whose content an HTML parser reads as raw text up to their end tag
# (`<title>` in "<text>:<title>" would swallow the rest of the post): the
# tags go, their content is read as ordinary text.
_RAW_TEXT_TAGS = re.compile(r"</?(?:title|textarea|xmp|plaintext|iframe|noembed|noframes|noscript)\b[^>]*>", re.I)

# Elements whose start and end separate blocks of text.
_BLOCKS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "tr", "blockquote", "hr", "div",
     "table", "ul", "ol", "dl", "dt", "dd", "section", "article", "header", "footer"}
)
# Elements whose own white space between children is layout, not text.
_CONTAINERS = frozenset({"table", "thead", "tbody", "tfoot", "tr", "ul", "ol", "dl", "blockquote"})
_CELLS = frozenset({"th", "td"})


class _Text:
    """Collects the blocks of text of an element tree."""

    def __init__(self) -> None:
        self.blocks: list[str] = []
        self.current: list[str] = []

    def end_block(self) -> None:
        text = "".join(self.current).strip()
        if text:
            self.blocks.append(text)
        self.current.clear()

    def visit(self, el: lxml.html.HtmlElement) -> None:
        tag = el.tag
        if tag == "pre":
            self.end_block()
            code = el.text_content().rstrip("\n")
            if code.strip():
                self.blocks.append(code)
            return
        if tag == "img":
            self.current.append(el.get("alt", ""))
            return
        if tag == "br":
            self.current.append("\n")
            return
        block = tag in _BLOCKS
        if block:
            self.end_block()
        layout = tag in _CONTAINERS
        if el.text and not (layout and el.text.isspace()):
            self.current.append(el.text)
        for child in el:
            if isinstance(child.tag, str):  # not a comment or processing instruction
                self.visit(child)
            tail = child.tail
            if tail and not (layout and tail.isspace()):
                if child.tag == "br" and tail.startswith("\n"):
                    tail = tail[1:]  # cmark writes "<br />\n" for one line break
                self.current.append(tail)
        if tag in _CELLS:
            self.current.append(" ")
        if block:
            self.end_block()


def _tree_text(html: str) -> str:
    html = _RAW_TEXT_TAGS.sub("", _RAW_TEXT_OPEN.sub("", _RAW_TEXT.sub("", html)))
    if not html.strip():
        return ""
    root = lxml.html.fragment_fromstring(html, create_parent="div", parser=_PARSER)
    collector = _Text()
    collector.visit(root)
    collector.end_block()
    return "\n\n".join(collector.blocks)


def markdown_to_text(markdown: str) -> str:
    """Plain text of a Markdown document (blocks separated by blank lines)."""
    markdown = _LIQUID.sub("", markdown)
    try:
        html = cmarkgfm.markdown_to_html_with_extensions(
            markdown, options=_OPTIONS, extensions=_EXTENSIONS
        )
    except UnicodeEncodeError:  # lone surrogates (JSON drafts can hold them): U+FFFD each
        markdown = markdown.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        return markdown_to_text(markdown)
    return _tree_text(html)
