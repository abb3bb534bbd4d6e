"""The vocabulary of an index generation: every term of the text fields
with its document frequency, as completions, readings, the speller,
paraphrases and related posts' statistics read it.

A term's document frequency in a field is the sum over the segments
(Whoosh's `doc_frequency`: deleted posts not yet merged away still count),
so the vocabulary depends only on which segments a generation has. Each
segment's own table is read once and kept (`SegmentTables`); the sums are
derived from the previous generation's (`Snapshot.earlier`): minus the
segments merged away, plus the new ones. After a commit of one post that
touches a few hundred terms instead of every term of the blog; built from
scratch or derived, the vocabulary is the same.
"""

from __future__ import annotations

import weakref
from typing import Any, Iterable, Mapping

from search.query.snapshot import Snapshot

TERM_FIELDS = ("title", "tags_text", "body")


class Vocabulary:
    """Per-field sums of the segments' document frequencies (`per_field`)
    and, for each term, the largest over the fields (`terms`).

    `changed`: the terms whose frequency differs from `base`'s (the
    vocabulary this one was derived from; None when built from scratch)."""

    def __init__(self, segments: dict[str, dict[str, Mapping[str, int]]],
                 per_field: dict[str, dict[str, int]], terms: dict[str, int],
                 base: "Vocabulary | None" = None, changed: frozenset[str] = frozenset()) -> None:
        self.segments = segments  # segment id -> field -> the segment's term -> df
        self.per_field = per_field
        self.terms = terms
        # held weakly: a chain of generations' vocabularies would never go
        self._base = weakref.ref(base) if base is not None else None
        self.changed = changed

    @property
    def base(self) -> "Vocabulary | None":
        return self._base() if self._base is not None else None

    def doc_frequency(self, fields: Iterable[str], term: str) -> int:
        """The term's frequency in the first of `fields` that has it (each one of TERM_FIELDS)."""
        for fieldname in fields:
            df = self.per_field[fieldname].get(term, 0)
            if df:
                return df
        return 0


def changed_terms(old: Vocabulary, new: Vocabulary) -> set[str]:
    """Terms whose frequency differs between two vocabularies (added and
    removed ones included): read off a derivation when `new` comes from
    `old`, else by comparing every term."""
    if new is old:
        return set()
    if new.base is old:
        return set(new.changed)
    if old.base is new:
        return set(old.changed)
    return {t for t, _ in (new.terms.items() ^ old.terms.items())}


def segment_vocabulary(leaf: Any, fieldname: str) -> dict[str, int]:
    """term -> document frequency in one segment's field."""
    if fieldname not in leaf.schema:
        return {}
    return {btext.decode("utf-8"): info.doc_frequency() for btext, info in leaf.iter_field(fieldname)}


def vocabulary(snapshot: Snapshot) -> Vocabulary:
    """The vocabulary of a generation (built once, on first need)."""
    return snapshot.table("vocabulary", _build)


def _build(snapshot: Snapshot) -> Vocabulary:
    segments: dict[str, dict[str, Mapping[str, int]]] = {segid: {} for segid in snapshot.segment_ids}
    for fieldname in TERM_FIELDS:
        parts = snapshot.per_segment(("vocabulary", fieldname),
                                     lambda leaf, f=fieldname: segment_vocabulary(leaf, f))
        for segid, (local, _) in zip(snapshot.segment_ids, parts):
            segments[segid][fieldname] = local
    earlier = snapshot.earlier("vocabulary")
    if isinstance(earlier, Vocabulary):
        return _derive(earlier, segments)
    per_field: dict[str, dict[str, int]] = {}
    for fieldname in TERM_FIELDS:
        summed: dict[str, int] = {}
        for local in (tables[fieldname] for tables in segments.values()):
            if not summed:
                summed = dict(local)
                continue
            for text, df in local.items():
                summed[text] = summed.get(text, 0) + df
        per_field[fieldname] = summed
    terms: dict[str, int] = {}
    for summed in per_field.values():
        for text, df in summed.items():
            if df > terms.get(text, 0):
                terms[text] = df
    return Vocabulary(segments, per_field, terms)


def _derive(earlier: Vocabulary, segments: dict[str, dict[str, Mapping[str, int]]]) -> Vocabulary:
    """`earlier`'s sums, less the segments it has and this generation has
    not, plus those this one has and it had not."""
    gone = [earlier.segments[s] for s in earlier.segments if s not in segments]
    new = [segments[s] for s in segments if s not in earlier.segments]
    if not gone and not new:
        return Vocabulary(segments, earlier.per_field, earlier.terms, earlier)
    touched: set[str] = set()
    per_field: dict[str, dict[str, int]] = {}
    for fieldname in TERM_FIELDS:
        summed = dict(earlier.per_field[fieldname])
        for sign, parts in ((-1, gone), (1, new)):
            for local in (tables[fieldname] for tables in parts):
                touched.update(local)
                for text, df in local.items():
                    total = summed.get(text, 0) + sign * df
                    if total:
                        summed[text] = total
                    else:
                        summed.pop(text, None)
        per_field[fieldname] = summed
    terms = dict(earlier.terms)
    changed = set()
    for text in touched:
        df = max(summed.get(text, 0) for summed in per_field.values())
        if df != terms.get(text, 0):
            changed.add(text)
            if df:
                terms[text] = df
            else:
                del terms[text]
    return Vocabulary(segments, per_field, terms, earlier, frozenset(changed))
