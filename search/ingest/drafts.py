"""Drafts: text an editor has not published yet, checked before indexing.

A draft comes either as fields (title, body, tags) from an editor's form or
as a Markdown file with optional front matter, read with the same YAML and
Markdown handling as posts. Drafts over MAX_DRAFT_CHARS are refused with
`DraftTooLarge` (the web layer answers 413).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from search.errors import PostError, TooLarge
from search.ingest.plaintext import markdown_to_text
from search.ingest.frontmatter import has_front_matter, read_front_matter, text_value, word_list
from search.ingest.posts import MAX_POST_BYTES

MAX_DRAFT_CHARS = 200_000  # of body text; the longest ja-docs page has 142,290
MAX_TITLE_CHARS = 1_000
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class DraftTooLarge(TooLarge):
    """A draft longer than the library analyses (MAX_DRAFT_CHARS)."""

    code = "draft_too_large"

    def __init__(self, chars: int, limit: int = MAX_DRAFT_CHARS) -> None:
        super().__init__(
            f"the draft has {chars:,} characters, more than the limit of {limit:,}: "
            "check it in parts"
        )
        self.chars = chars
        self.limit = limit


@dataclass(frozen=True)
class Draft:
    title: str
    body: str  # plain text: offsets reported for a draft point into this
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    source: str = ""  # where it came from (a path), for messages


def make_draft(
    title: str,
    body: str,
    tags: Iterable[str] | None = None,
    categories: Iterable[str] | None = None,
    source: str = "",
) -> Draft:
    """A draft from an editor's fields; raises DraftTooLarge. Line ends
    become LF (browsers post a textarea's lines with CRLF), so paragraphs
    are found however the draft was sent. Lone surrogates (a JSON string
    may hold "\\ud800") become U+FFFD, one for one: they have no UTF-8 form,
    so nothing could print or send a result that quotes them."""
    body = _valid(body.replace("\r\n", "\n").replace("\r", "\n"))
    check_size(body)
    clean = lambda values: tuple(_valid(v.strip()) for v in values or () if v and v.strip())  # noqa: E731
    return Draft(_valid(title[:MAX_TITLE_CHARS]), body, clean(tags), clean(categories), source)


def _valid(text: str) -> str:
    """`text` with each lone surrogate replaced by U+FFFD (same length)."""
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def check_size(body: str, limit: int = MAX_DRAFT_CHARS) -> None:
    if len(body) > limit:
        raise DraftTooLarge(len(body), limit)


def parse_draft(markdown: str, source: str = "draft") -> Draft:
    """A draft from Markdown; YAML front matter (title, tags, categories) is optional."""
    text = markdown.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    meta: dict = {}
    if has_front_matter(text):
        meta, text = read_front_matter(text, source)
    check_size(text)
    return make_draft(
        text_value(meta.get("title")),
        markdown_to_text(text),
        word_list(meta.get("tags", meta.get("tag"))),
        word_list(meta.get("categories", meta.get("category"))),
        source,
    )


def read_draft(path: str | os.PathLike[str]) -> Draft:
    """A draft from a Markdown file; raises PostError or DraftTooLarge."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_POST_BYTES:
            raise PostError(str(path), f"file is {size:,} bytes, over the limit of {MAX_POST_BYTES:,} bytes")
        data = path.read_bytes()
    except OSError as e:
        raise PostError(str(path), e.strerror or str(e)) from None
    try:
        markdown = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise PostError(str(path), f"not valid UTF-8 (byte {e.start})") from None
    return parse_draft(markdown, str(path))
