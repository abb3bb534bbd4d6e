"""YAML front matter of a post or a draft, and its values as text.

A post's front matter is the YAML between the `---` lines at its start;
values come as Jekyll reads them (a tag list or a space-separated string).
"""

from __future__ import annotations

from typing import Any

import yaml
from frontmatter.default_handlers import YAMLHandler

from search.errors import PostError

# Values in the front matter once YAML aliases are expanded: refuses alias
# bombs ("billion laughs"), which load in microseconds but expand when read.
MAX_FRONT_MATTER_VALUES = 100_000


_HANDLER = YAMLHandler()
# libyaml's parser with PyYAML's safe constructor (no Python object tags):
# the same values as yaml.safe_load, several times faster.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def has_front_matter(text: str) -> bool:
    return bool(_HANDLER.detect(text))


def read_front_matter(text: str, where: str) -> tuple[dict[str, Any], str]:
    if not _HANDLER.detect(text):
        raise PostError(where, "no YAML front matter (the file must start with ---)")
    try:
        raw, content = _HANDLER.split(text)
    except ValueError:
        raise PostError(where, "front matter is not closed by a --- line") from None
    try:
        meta = yaml.load(raw, Loader=_SafeLoader)  # noqa: S506 (a safe loader)
    except (yaml.YAMLError, ValueError, TypeError, RecursionError, OverflowError) as e:
        # PyYAML raises ValueError for impossible dates such as 2024-13-45
        raise PostError(where, f"broken YAML front matter: {one_line(e)}") from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise PostError(where, "front matter is not a mapping of keys to values")
    if _too_many_values(meta, MAX_FRONT_MATTER_VALUES):
        raise PostError(where, f"front matter holds over {MAX_FRONT_MATTER_VALUES:,} values "
                        "once YAML aliases are expanded (an alias bomb?)")
    return meta, content.lstrip("\n")


def _too_many_values(value: Any, limit: int) -> bool:
    """Whether `value` holds more than `limit` values, counting a shared
    (aliased) value at every place it appears; stops counting at the limit."""
    count, stack = 0, [value]
    while stack:
        item = stack.pop()
        count += 1
        if count > limit:
            return True
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set)):
            stack.extend(item)
    return False


def one_line(e: Exception) -> str:
    return " ".join(str(e).split())


def text_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(text_value(v) for v in value)
    return str(value).strip()


def word_list(value: Any) -> list[str]:
    """Tags or categories: a YAML list or Jekyll's space-separated string."""
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).split()
    out: list[str] = []
    for item in items:
        word = text_value(item).replace(",", " ").strip()
        if word and word not in out:
            out.append(word)
    return out
