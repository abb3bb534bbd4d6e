"""Markdown block syntax that both readers of a post's Markdown need, as
kramdown (Jekyll's Markdown) reads it: fenced code and header ids.

`search.ingest.markup` strips kramdown's syntax from the text that is
indexed; `search.ingest.headings` finds the headings and their ids. Both
skip what is inside fenced code, and both must agree on where it ends.
"""

from __future__ import annotations

import re

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
# kramdown's header id, `## 見出し {#intro}` (a letter, then letters, digits, _, -, :)
HEADER_ID = re.compile(r"[ \t]*\{#([A-Za-z][\w:-]*)\}[ \t]*$")


def opens(line: str) -> str | None:
    """The fence a line opens a code block with, if it does."""
    m = FENCE.match(line)
    return m.group(1) if m else None


def closes(fence: str, line: str) -> bool:
    """Whether a line closes the code block opened with `fence`: the same
    character, at least as many, and nothing else on the line."""
    m = FENCE.match(line)
    return bool(m) and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) \
        and not line.strip().strip(fence[0])
