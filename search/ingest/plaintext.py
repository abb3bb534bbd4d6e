"""Markdown to the plain text that is indexed and shown in snippets.

cmark-gfm (the C reference implementation of CommonMark, with GitHub's
tables and strikethrough) renders the post to HTML and lxml reads that HTML
back; the text keeps what a reader sees: link text (not URLs), image alt
text, code blocks as text, and the text inside raw HTML without its tags
(script and style contents are dropped). Paragraphs, headings, list items,
table rows and code blocks are separated by blank lines. Liquid and
kramdown's own syntax are dealt with first (`search.ingest.markup`);
footnotes are read as kramdown reads them (the note is text, its marker not).

Both are C libraries: a quarter to a third of the time of the pure-Python
markdown-it-py this module used before. On ja-docs and data/posts the text
differs in 10 of 2,878 posts, where the two CommonMark parsers read odd
emphasis, code spans or tables differently.
"""

from __future__ import annotations

import ctypes
import html as html_lib
import re

import cmarkgfm
import cmarkgfm.cmark
from cmarkgfm import _cmark
import lxml.html
from cmarkgfm.cmark import Options
from lxml import etree

from search.ingest.markup import render_liquid, strip_kramdown

# Raw HTML is kept, so that its text is indexed; ~one~ is not strikethrough
# (~/.bashrc ... ~/.profile), ~~two~~ is, as on GitHub.
# Footnotes as kramdown reads them: `[^1]` marks, `[^1]: …` notes.
_OPTIONS = (Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_STRIKETHROUGH_DOUBLE_TILDE
            | Options.CMARK_OPT_FOOTNOTES)
_EXTENSIONS = ["table", "strikethrough"]
cmarkgfm.cmark.core_extensions_ensure_registered()
_EXTENSION_POINTERS = [cmarkgfm.cmark.find_syntax_extension(name) for name in _EXTENSIONS]
# cmark's own functions that cmarkgfm's bindings leave out (see _markdown_to_html)
_NATIVE = ctypes.CDLL(_cmark.__file__)
_NATIVE.cmark_node_free.argtypes = [ctypes.c_void_p]
_NATIVE.cmark_node_free.restype = None
_LIBC = ctypes.CDLL(None)  # cmark's default allocator is the C library's
_LIBC.free.argtypes = [ctypes.c_void_p]
_LIBC.free.restype = None
# Code blocks may be text nodes of megabytes; comments and processing
# instructions go, their neighbouring text joins.
_PARSER = lxml.html.HTMLParser(huge_tree=True, remove_comments=True, remove_pis=True)

# Raw HTML is the only place where cmark's output can hold these tags (text
# is escaped). They are cut before lxml reads the HTML, so that a <script>
# left open in a post's prose drops that tag, not the rest of the post.
_RAW_TEXT = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.I | re.S)
_RAW_TEXT_OPEN = re.compile(r"<(?:script|style)\b[^>]*>", re.I)
# Tags whose content an HTML parser reads as raw text up to their end tag
# (`<title>` in "<text>:<title>" would swallow the rest of the post): the
# tags go, their content is read as ordinary text.
_RAW_TEXT_TAGS = re.compile(
    r"</?(?:title|textarea|xmp|plaintext|iframe|noembed|noframes|noscript)\b[^>]*>", re.I
)

# Elements whose start and end separate blocks of text.
_BLOCKS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "tr", "blockquote", "hr", "div",
     "table", "ul", "ol", "dl", "dt", "dd", "section", "article", "header", "footer"}
)
# Elements whose own white space between children is layout, not text.
_CONTAINERS = frozenset({"table", "thead", "tbody", "tfoot", "tr", "ul", "ol", "dl", "blockquote"})
_CELLS = frozenset({"th", "td"})
_ANY_TAG = re.compile(r"<[^>]*>")
# cmark-gfm's footnote reference (<sup class="footnote-ref">) and back link
_FOOTNOTE_MARKS = frozenset({"footnote-ref", "footnote-backref"})


def _tree_text(html: str) -> str:
    html = _RAW_TEXT_TAGS.sub("", _RAW_TEXT_OPEN.sub("", _RAW_TEXT.sub("", html)))
    if not html.strip():
        return ""
    root = lxml.html.fragment_fromstring(html, create_parent="div", parser=_PARSER)
    blocks: list[str] = []
    current: list[str] = []
    layout = [False]  # per open element: is its white space between children layout?

    def end_block() -> None:
        text = "".join(current).strip()
        if text:
            blocks.append(text)
        current.clear()

    # An iterative walk: posts may nest blocks thousands deep.
    walker = etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        tag = el.tag
        if event == "start":
            if tag == "pre":
                end_block()
                code = el.text_content().rstrip("\n")
                if code.strip():
                    blocks.append(code)
                walker.skip_subtree()
            elif _FOOTNOTE_MARKS & set((el.get("class") or "").split()):
                walker.skip_subtree()  # the number of a note, or the link back to it: not words
            elif tag == "img":
                current.append(el.get("alt", ""))
            elif tag == "br":
                current.append("\n")
            else:
                if tag in _BLOCKS:
                    end_block()
                if el.text and not (tag in _CONTAINERS and el.text.isspace()):
                    current.append(el.text)
            layout.append(tag in _CONTAINERS)
            continue
        layout.pop()
        if tag in _CELLS:
            current.append(" ")
        elif tag in _BLOCKS:
            end_block()
        tail = el.tail
        if tail and not (layout[-1] and tail.isspace()):
            if tag == "br" and tail.startswith("\n"):
                tail = tail[1:]  # cmark writes "<br />\n" for one line break
            current.append(tail)
    end_block()
    if not blocks:
        # libxml2 gives up on elements nested about 2,500 deep and returns an
        # empty tree: the text is then read without the structure.
        return html_lib.unescape(_ANY_TAG.sub("", html)).strip()
    return "\n\n".join(blocks)


def _markdown_to_html(markdown: str) -> str:
    """`cmarkgfm.markdown_to_html_with_extensions`, without its leaks.

    cmarkgfm 2025.10.22 frees neither the document tree it parses nor the
    HTML string cmark returns: about 1.4 MB of C memory for each 250 KB
    draft, never given back (a server's workers grew without bound under
    draft traffic). Here both are freed; the functions come from the very
    library cmarkgfm loaded, which exports them.
    """
    ffi, lib = _cmark.ffi, _cmark.lib
    parser = lib.cmark_parser_new(_OPTIONS)
    root = ffi.NULL
    try:
        for extension in _EXTENSION_POINTERS:
            lib.cmark_parser_attach_syntax_extension(parser, extension)
        data = markdown.encode("utf-8")
        lib.cmark_parser_feed(parser, data, len(data))
        root = lib.cmark_parser_finish(parser)
        raw = lib.cmark_render_html(root, _OPTIONS, lib.cmark_parser_get_syntax_extensions(parser))
        try:
            return ffi.string(raw).decode("utf-8")
        finally:
            _LIBC.free(_address(raw))
    finally:
        if root != ffi.NULL:
            _NATIVE.cmark_node_free(_address(root))
        lib.cmark_parser_free(parser)


def _address(pointer: object) -> int:
    return int(_cmark.ffi.cast("uintptr_t", pointer))


def markdown_to_text(markdown: str) -> str:
    """Plain text of a Markdown document (blocks separated by blank lines)."""
    markdown = strip_kramdown(render_liquid(markdown))
    try:
        html = _markdown_to_html(markdown)
    except UnicodeEncodeError:  # lone surrogates (JSON drafts can hold them): U+FFFD each
        markdown = markdown.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        return markdown_to_text(markdown)
    return _tree_text(html)
