"""The headings of a post, with the ids Jekyll gives them.

Jekyll renders Markdown with kramdown's GFM parser, which gives every
heading an id made from its text the way GitHub does: the text as shown
(emphasis, code and links reduced to their text), lower-cased, without the
characters that are not word characters, hyphens, spaces or tabs, spaces
and tabs turned into hyphens, and `-1`, `-2`… appended to repeats. Japanese
is kept as it is (`## インストール方法` → `#インストール方法`). An id written
by the author wins: `## 見出し {#my-id}`, or a `{: #my-id}` line under it.

`headings(markdown)` reads the ATX (`## …`) and setext (underlined)
headings outside fenced code; `locate(headings, text)` finds where each
one's text starts in the post's plain text (`search.ingest.plaintext`), so
a match can be placed in its section. Real Jekyll is the referee
(tests/test_headings.py).
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

import cmarkgfm

from search.ingest.blocks import HEADER_ID, closes, opens

MAX_HEADINGS = 500  # per post; a post with more keeps the first ones

_ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t]*$")
_ATX_CLOSE = re.compile(r"(?:^|[ \t]+)#+[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_LIST_MARKER = re.compile(r"^ {0,3}(?:[-*+]|\d{1,9}[.)])[ \t]+")
_IAL_ID = re.compile(r"^ {0,3}\{:[^}]*?#([A-Za-z][\w-]*)[^}]*\}[ \t]*$")  # a {: #id .class} line
# characters that can make a heading's Markdown differ from its text
_INLINE_SYNTAX = re.compile(r"[\\`*_\[\]<>&!~]")
_RENDERED_TAG = re.compile(r"(<[^>]*>)")  # a tag of cmark's output (text is escaped there)
# A line starting with an HTML start tag opens an HTML block in kramdown,
# which runs to the element's end tag (to the end of the post when there is
# none): no headings inside. Span elements and elements without a body do not.
# kramdown's HTML tag: a name, attributes with or without values, `/>` for
# an element without content (`<net | host>` is not one, `<opt_args>` is).
_KRAMDOWN_TAG = r"<([A-Za-z_:][\w:.-]*)(?:\s+[\w:.-]+(?:\s*=\s*(?:\w+|\"[^\"]*\"|'[^']*'))?)*\s*(/?)>"
_HTML_START = re.compile(r"^ {0,3}" + _KRAMDOWN_TAG)
_SPAN_TAG = re.compile(_KRAMDOWN_TAG + r"|</[A-Za-z_:][\w:.-]*\s*>")
_NOT_BLOCKS = frozenset(
    "a abbr acronym b big bdo br button cite code del dfn em i img input ins kbd label option q "
    "rb rbc rp rt rtc ruby samp select small span strong sub sup textarea tt var "
    "area base col command embed hr keygen link meta param source track wbr".split()
)
# What the GFM parser keeps of a heading's text (Onigmo's \p{Word}: letters,
# marks, decimal digits, connector punctuation), plus hyphens, spaces, tabs.
_KEPT_CATEGORIES = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "Pc"})


@dataclass(frozen=True)
class Heading:
    level: int  # 1 for #, 2 for ##, …
    text: str  # as the reader sees it
    id: str  # the HTML id Jekyll gives it


def headings(markdown: str) -> list[Heading]:
    """The post's headings in order, with Jekyll's ids."""
    found: list[tuple[int, str, str | None]] = []  # level, text, id given by the author
    fence: str | None = None
    previous = ""  # the line before, if it can be a setext heading's text
    lines = markdown.splitlines()
    skip_to = 0
    for i, line in enumerate(lines):
        if i < skip_to:
            continue
        if fence is not None:
            if closes(fence, line):
                fence = None
            continue
        if opening := opens(line):
            fence, previous = opening, ""
            continue
        html_block = _HTML_START.match(line)
        if html_block and not html_block.group(2) and html_block.group(1).lower() not in _NOT_BLOCKS:
            end = _end_tag(lines, i, html_block.group(1))
            if end is None:
                break  # kramdown reads the rest of the post as that element's content
            skip_to, previous = end + 1, ""
            continue
        atx = _ATX.match(line)
        setext = _SETEXT.match(line) if previous else None
        if atx:
            contents = _ATX_CLOSE.sub("", atx.group(2))
            found.append((len(atx.group(1)), contents, None))
            previous = ""
        elif setext and not _is_rule_or_quote(previous):
            # kramdown reads `- item` over `---` as a heading inside the item
            found.append((1 if setext.group(1)[0] == "=" else 2, _LIST_MARKER.sub("", previous).strip(), None))
            previous = ""
        elif (ial := _IAL_ID.match(line)) and found and _directly_under(lines, i):
            level, text, _ = found[-1]
            found[-1] = (level, text, ial.group(1))
            previous = ""
        else:
            previous = line if line.strip() and not line.startswith(("    ", "\t")) else ""
        if len(found) >= MAX_HEADINGS:
            break
    return _with_ids(found)


def _end_tag(lines: list[str], start: int, name: str) -> int | None:
    """The line of the end tag of the element opened on line `start`."""
    end = re.compile(rf"</{re.escape(name)}\s*>", re.I)
    for j in range(start, len(lines)):
        if end.search(lines[j]):
            return j
    return None


def _is_rule_or_quote(line: str) -> bool:
    stripped = line.strip()
    return stripped.startswith(">") or set(stripped) <= {"-", "*", "_", " "}


def _directly_under(lines: list[str], i: int) -> bool:
    """Whether line i follows a heading line (an IAL applies to the block above)."""
    above = lines[i - 1] if i else ""
    return bool(_ATX.match(above) or _SETEXT.match(above))


def _with_ids(found: list[tuple[int, str, str | None]]) -> list[Heading]:
    used: dict[str, int] = {}
    result = []
    for level, contents, given in found:
        custom = HEADER_ID.search(contents)
        if custom:
            given = given or custom.group(1)
            contents = contents[: custom.start()]
        raw = _inline_text(contents)
        text = raw.strip()
        if given:
            result.append(Heading(level, text, given))
            continue
        base = gfm_id(raw)
        count = used[base] = used.get(base, -1) + 1
        result.append(Heading(level, text, f"{base}-{count}" if count else base))
    return result


def _inline_text(inline_markdown: str) -> str:
    """The text of a heading's Markdown as a reader sees it (emphasis, code
    spans and links reduced to their text, HTML tags dropped, the spaces
    around a dropped tag kept, as kramdown keeps them for the id)."""
    if not _INLINE_SYNTAX.search(inline_markdown):
        return inline_markdown.strip()  # plain text (most headings): what cmark would give
    # rendered as a heading, so that `1. …` or `- …` is not read as a list
    rendered = cmarkgfm.github_flavored_markdown_to_html("# " + inline_markdown.strip())
    parts: list[str] = []
    in_code = False
    for piece in _RENDERED_TAG.split(rendered):
        if piece.startswith("<"):
            in_code = piece.startswith("<code") or (in_code and piece != "</code>")
            continue
        text = html.unescape(piece)
        # what cmark left as text but kramdown reads as HTML (`<LD_PRELOAD>`)
        parts.append(text if in_code else _SPAN_TAG.sub("", text))
    return "".join(parts).strip("\n")


def gfm_id(text: str) -> str:
    """The id kramdown's GFM parser makes of a heading's text (without the
    counter of repeats)."""
    kept = (c for c in text.lower()
            if c in "- \t" or unicodedata.category(c) in _KEPT_CATEGORIES)
    return "".join(kept).replace(" ", "-").replace("\t", "-")


def locate(found: list[Heading], text: str) -> list[int]:
    """Where each heading's text starts in the post's plain text, searching
    forward from the previous one (-1 for a heading not found)."""
    offsets = []
    position = 0
    for heading in found:
        at = text.find(heading.text, position) if heading.text else -1
        offsets.append(at)
        if at >= 0:
            position = at + len(heading.text)
    return offsets


def sections_of(markdown: str, text: str) -> list[tuple[int, int, str, str]]:
    """(offset in `text`, level, id, heading text) of each heading of the
    Markdown found in its plain text `text`, in order."""
    found = headings(markdown)
    return [(at, h.level, h.id, h.text) for h, at in zip(found, locate(found, text)) if at >= 0]
