"""Jekyll's markup around the Markdown: Liquid tags and kramdown's syntax,
turned into the CommonMark that `plaintext` reads, so that the indexed text
is what the blog shows.

- Liquid, as Jekyll renders it before the Markdown: `{% highlight ruby %}…
  {% endhighlight %}` becomes a fenced code block (its text kept as code, not
  read as Markdown); `{% raw %}…{% endraw %}` keeps its text as written
  (`{{ page.title }}` in a code sample stays); other tags and `{{ … }}`
  outputs are dropped (their values are the site's, not the post's).
- kramdown: attribute lists (`{: .note}`, `{:#id}`, `*word*{: .red}`),
  header ids (`## 導入 {#intro}`),
  `{:toc}` with the list it replaces (`* 目次` is not text of the post), link
  definitions of attributes (`{:ref: .class}`) and extensions
  (`{::comment}…{:/comment}`, `{::options … /}`) are not text; fenced code
  blocks and code spans are left alone. Footnotes are read by cmark-gfm's
  footnote extension (`plaintext`): the marker `[^1]` is not a word, the note
  itself is text.
"""

from __future__ import annotations

import re

from search.ingest.blocks import HEADER_ID, closes, opens

_LIQUID_OPEN = re.compile(r"\{%-?\s*(raw|highlight)\b[^%]*%\}")
_LIQUID_END = {kind: re.compile(r"\{%-?\s*end" + kind + r"\s*-?%\}") for kind in ("raw", "highlight")}
_LIQUID = re.compile(r"\{%-?.*?-?%\}|\{\{-?.*?-?\}\}", re.S)
# an attribute list or attribute definition alone on its line; {:toc} among them
_IAL_LINE = re.compile(r"^\s*\{:(?!:)[^}\n]*\}\s*$")
_TOC_LINE = re.compile(r"^\s*\{:\s*toc\s*\}\s*$")
_LIST_ITEM = re.compile(r"^\s*(?:[*+-]|\d+\.)\s+\S")
_ATX_START = re.compile(r"^ {0,3}#{1,6}\s")  # a heading line (its {#id} is not text)
_SPAN_IAL = re.compile(r"\{:(?!:)[^}\n]*\}")
_CODE_SPAN = re.compile(r"(`+).+?\1")
_COMMENT_OPEN = "{::comment}"
_COMMENT_END = re.compile(r"\{:/(?:comment)?\}")
_EXTENSION_TAG = re.compile(r"\{::\w+(?:\s[^}]*)?/?\}|\{:/\w*\}")


def render_liquid(text: str) -> str:
    """The post as Jekyll's Liquid pass leaves it, for search: see the module doc.
    Linear in the text: a block tag without its end tag is dropped like any
    other tag, and the end tag is not looked for again."""
    out: list[str] = []
    pos = 0
    unclosed: set[str] = set()
    while m := _LIQUID_OPEN.search(text, pos):
        kind = m.group(1)
        end = None if kind in unclosed else _LIQUID_END[kind].search(text, m.end())
        if end is None:
            unclosed.add(kind)
            out.append(_LIQUID.sub("", text[pos:m.end()]))
            pos = m.end()
            continue
        out.append(_LIQUID.sub("", text[pos:m.start()]))
        body = text[m.end():end.start()]
        if kind == "raw":
            out.append(body)
        else:
            code = _LIQUID.sub("", body).strip("\n")
            longest = max((len(r) for r in re.findall(r"`+", code)), default=0)
            fence = "`" * max(3, longest + 1)
            out.append(f"\n\n{fence}\n{code}\n{fence}\n\n")
        pos = end.end()
    out.append(_LIQUID.sub("", text[pos:]))
    return "".join(out)


def _drop_comments(text: str) -> str:
    """Without kramdown's `{::comment}…{:/comment}` blocks (linear)."""
    out: list[str] = []
    pos = 0
    while (start := text.find(_COMMENT_OPEN, pos)) >= 0:
        end = _COMMENT_END.search(text, start + len(_COMMENT_OPEN))
        if end is None:
            break
        out.append(text[pos:start])
        pos = end.end()
    out.append(text[pos:])
    return "".join(out)


def strip_kramdown(text: str) -> str:
    """Markdown without kramdown's attribute lists and extensions (outside code)."""
    if "{:" not in text and "{#" not in text:
        return text
    text = _drop_comments(text)
    lines = text.split("\n")
    out: list[str] = []
    fence = ""
    for line in lines:
        if fence:
            out.append(line)
            if closes(fence, line):
                fence = ""
            continue
        if opening := opens(line):
            fence = opening
            out.append(line)
            continue
        if _TOC_LINE.match(line):
            while out and _LIST_ITEM.match(out[-1]):
                out.pop()  # the list kramdown replaces with the table of contents
            continue
        if _IAL_LINE.match(line):
            continue
        if _ATX_START.match(line):
            line = HEADER_ID.sub("", line)
        out.append(_outside_code_spans(line))
    return "\n".join(out)


def _outside_code_spans(line: str) -> str:
    if "{:" not in line:
        return line
    parts: list[str] = []
    pos = 0
    for m in _CODE_SPAN.finditer(line):
        parts.append(_EXTENSION_TAG.sub("", _SPAN_IAL.sub("", line[pos:m.start()])))
        parts.append(m.group(0))
        pos = m.end()
    parts.append(_EXTENSION_TAG.sub("", _SPAN_IAL.sub("", line[pos:])))
    return "".join(parts)
