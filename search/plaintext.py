"""Markdown to the plain text that is indexed and shown in snippets.

A real CommonMark parser (markdown-it-py) reads the post; the text keeps
what a reader sees: link text (not URLs), image alt text, code blocks as
text, and the text inside raw HTML without its tags. Paragraphs are
separated by blank lines.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from markdown_it import MarkdownIt
from markdown_it.token import Token

_md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
_LIQUID = re.compile(r"\{%-?.*?-?%\}|\{\{-?.*?-?\}\}", re.S)
_BLOCK_ENDS = frozenset(
    {"paragraph_close", "heading_close", "tr_close", "blockquote_close", "hr"}
)


class _HTMLText(HTMLParser):
    """Collects the text of an HTML fragment, without script/style content."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("br", "p", "div", "li", "tr"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _HTMLText()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


_RAW_TEXT_OPEN = re.compile(r"<(script|style)\b", re.I)
_RAW_TEXT_CLOSE = re.compile(r"</(script|style)\s*>", re.I)


def _inline_text(children: list[Token]) -> str:
    out: list[str] = []
    skipping = False  # inside an inline <script> or <style>
    for tok in children:
        if tok.type == "html_inline" and _RAW_TEXT_OPEN.match(tok.content):
            skipping = True
        elif tok.type == "html_inline" and _RAW_TEXT_CLOSE.match(tok.content):
            skipping = False
        elif skipping:
            continue
        elif tok.type in ("text", "code_inline"):
            out.append(tok.content)
        elif tok.type in ("softbreak", "hardbreak"):
            out.append("\n")
        elif tok.type == "image":
            out.append(_inline_text(tok.children or []))
        elif tok.type == "html_inline" and tok.content.lower().startswith("<br"):
            out.append("\n")
        # other html_inline (tags), link_open/close, em/strong markers: dropped
    return "".join(out)


def markdown_to_text(markdown: str) -> str:
    """Plain text of a Markdown document (paragraphs separated by blank lines)."""
    markdown = _LIQUID.sub("", markdown)
    blocks: list[str] = []
    current: list[str] = []
    for tok in _md.parse(markdown):
        if tok.type == "inline":
            current.append(_inline_text(tok.children or []))
        elif tok.type in ("fence", "code_block"):
            blocks.append(tok.content.rstrip("\n"))
        elif tok.type == "html_block":
            text = html_to_text(tok.content).strip()
            if text:
                blocks.append(text)
        elif tok.type in ("th_close", "td_close"):
            current.append(" ")
        if tok.type in _BLOCK_ENDS or (tok.type == "list_item_close" and current):
            text = "".join(current).strip()
            if text:
                blocks.append(text)
            current = []
    tail = "".join(current).strip()
    if tail:
        blocks.append(tail)
    return "\n\n".join(blocks)
