"""Whoosh's segment writer with postings grouped by term as they are added.

Whoosh's `SegmentWriter` puts every posting into a pool as a tuple
(field, term, docnum, weight, value), sorts the whole pool when the segment
is written and hands the sorted tuples to the codec one by one. A build of
ja-docs makes a million of them per process: the sort and the per-posting
calls were about a third of the writer's time. `GroupedSegmentWriter` keeps
one list of (docnum, weight, value) per term instead. Documents get rising
numbers, so each list is already in order, and writing the segment sorts
only the terms and hands each posting list over whole
(`search.index.whoosh.codec` `add_grouped`).

Memory stays bounded without Whoosh's slow path: when the pool of the
documents added is over `limitmb` after a document, the segment is written
and the writer goes on in a new one, so a big build makes several segments
(each written the fast way) instead of spilling sorted runs to disk and
merging them posting by posting in Python (at ten times ja-docs that merge
was most of the build). The runs remain for what Whoosh itself adds to the
pool (`add`: segments merged by a commit), which a segment cannot be split
in the middle of.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from whoosh.fields import UnknownFieldError
from whoosh.writing import PostingPool, SegmentWriter

_Posting = tuple[int, float, bytes]  # (docnum, weight, value)
# Bytes of memory per posting and per term, roughly, for the `limitmb` budget.
POSTING_BYTES = 150
TERM_BYTES = 200


class GroupedPool(PostingPool):
    """A posting pool of per-term lists. Whoosh's interface (`add`, `items`,
    `save`, `fieldnames`, `cleanup`) works as before; `grouped` is the fast
    way out."""

    def __init__(self, tempstore, segment, limitmb: int = 128, **kwargs: Any) -> None:  # noqa: ANN001 (Whoosh storage and segment)
        super().__init__(tempstore, segment, limitmb=limitmb, **kwargs)
        self.groups: dict[str, dict[bytes, list[_Posting]]] = {}
        self._lastdoc = -1
        self._ordered = True  # docnums were added in rising order

    def _field(self, fieldname: str) -> dict[bytes, list[_Posting]]:
        terms = self.groups.get(fieldname)
        if terms is None:
            terms = self.groups[fieldname] = {}
            self.fieldnames.add(fieldname)
        return terms

    def add(self, item: tuple[str, bytes, int, float, bytes]) -> None:
        """Whoosh's `add` of one (field, term, docnum, weight, value)."""
        fieldname, btext, docnum, weight, vbytes = item
        if not isinstance(btext, bytes) or not isinstance(vbytes, (bytes, type(None))):
            raise TypeError(f"postings are bytes: {item!r}"[:200])
        self.add_terms(fieldname, docnum, [(btext, weight, vbytes)])

    def add_terms(
        self, fieldname: str, docnum: int, items: Iterable[tuple[bytes, float, bytes]],
        spill: bool = True,
    ) -> None:
        """Add the postings of one document's terms in one field; beyond the
        limit the pool spills to disk, unless `spill` is False (the writer
        then starts a new segment after the document)."""
        if docnum < self._lastdoc:
            self._ordered = False
        self._lastdoc = docnum
        terms = self._field(fieldname)
        get = terms.get
        size = 0
        for btext, weight, vbytes in items:
            postings = get(btext)
            if postings is None:
                terms[btext] = [(docnum, weight, vbytes)]
                size += TERM_BYTES + len(btext)
            else:
                postings.append((docnum, weight, vbytes))
            size += POSTING_BYTES + len(vbytes or b"")
        self.currentsize += size
        if spill and self.currentsize > self.limit:
            self.save()

    def full(self) -> bool:
        return self.currentsize > self.limit

    def _sorted_groups(self) -> Iterator[tuple[str, Iterator[tuple[bytes, list[_Posting]]]]]:
        ordered = self._ordered
        for fieldname in sorted(self.groups):
            terms = self.groups[fieldname]
            yield fieldname, (
                (btext, terms[btext] if ordered else sorted(terms[btext]))
                for btext in sorted(terms)
            )

    def _flat(self) -> Iterator[tuple[str, bytes, int, float, bytes]]:
        for fieldname, terms in self._sorted_groups():
            for btext, postings in terms:
                for docnum, weight, vbytes in postings:
                    yield fieldname, btext, docnum, weight, vbytes

    def grouped(self) -> Iterator[tuple[str, Iterator[tuple[bytes, list[_Posting]]]]] | None:
        """(field, (term, postings) in term order) in field order, or None
        when part of the pool is on disk (then use `items`)."""
        return None if self.runs else self._sorted_groups()

    def save(self) -> None:
        """Write the groups to a sorted run on disk."""
        if self.groups:
            path, f = self._new_run()
            self._write_run(f, self._flat())
            self._add_run(path)
            self.groups = {}
            self._ordered = True
            self._lastdoc = -1
        self.currentsize = 0

    def items(self, maxfiles: int = 128) -> Iterator[tuple[str, bytes, int, float, bytes]]:
        """Every posting as Whoosh's sorted tuples."""
        if not self.runs:
            return self._flat()
        self.save()
        if maxfiles < len(self.runs):
            self.reduce_to(maxfiles, maxfiles)
        runs, self.runs = self.runs, []
        return self._merge_runs(runs)


class GroupedSegmentWriter(SegmentWriter):
    """`SegmentWriter` with a `GroupedPool`, which writes a new segment
    each time the pool is full (see the module doc); documents and segments
    are the same as Whoosh's."""

    def __init__(self, ix, limitmb: float = 128, **kwargs: Any) -> None:  # noqa: ANN001 (a Whoosh index)
        super().__init__(ix, limitmb=limitmb, **kwargs)
        self.limitmb = limitmb
        self.pool = GroupedPool(self._tempstorage, self.newsegment, limitmb=limitmb)
        self.written: list[Any] = []  # the segments finished before the current one

    def _next_segment(self) -> None:
        """Write the current segment and go on in a new one, as
        `SegmentWriter.__init__` sets one up."""
        self.written.append(self._finalize_segment())
        codec, storage = self.codec, self.storage
        self.newsegment = codec.new_segment(storage, self.indexname)
        self.compound = self.compound and self.newsegment.should_assemble()
        self.pool = GroupedPool(self._tempstorage, self.newsegment, limitmb=self.limitmb)
        self.perdocwriter = codec.per_document_writer(storage, self.newsegment)
        self.fieldwriter = codec.field_writer(storage, self.newsegment)
        self.docnum = self.docbase = 0
        self._added = False

    def finished_segments(self) -> list[Any]:
        """Write the current segment (if it has documents): every segment
        this writer made, in order."""
        if self._added:
            return [*self.written, self._finalize_segment()]
        self._close_segment()
        return list(self.written)

    def commit(self, mergetype=None, optimize=None, merge=None) -> None:  # noqa: ANN001 (Whoosh's)
        """Whoosh's `SegmentWriter.commit`, with every segment this writer made."""
        self._check_state()
        segments = self._merge_segments(mergetype, optimize, merge)
        self._commit_toc(segments + self.finished_segments())
        self._finish()

    def add_document(self, **fields: Any) -> None:
        """Whoosh's `SegmentWriter.add_document`, with each field's postings
        handed to the pool together."""
        self._check_state()
        perdocwriter = self.perdocwriter
        schema = self.schema
        docnum = self.docnum
        pool = self.pool
        docboost = self._doc_boost(fields)
        fieldnames = sorted(name for name in fields if not name.startswith("_"))
        for name in fieldnames:
            if name not in schema:
                raise UnknownFieldError(f"No field named {name!r} in {schema}")

        perdocwriter.start_doc(docnum)
        try:
            for fieldname in fieldnames:
                value = fields.get(fieldname)
                if value is None:
                    continue
                field = schema[fieldname]
                length = 0
                if field.indexed:
                    boost = self._field_boost(fields, fieldname, docboost)
                    items = []
                    for btext, freq, weight, vbytes in field.index(value):
                        items.append((btext, weight * boost, vbytes))
                        length += freq
                    pool.add_terms(fieldname, docnum, items, spill=False)
                    if not field.scorable:
                        length = 0
                if field.separate_spelling():  # as Whoosh does it: all under document 0
                    spellfield = field.spelling_fieldname(fieldname)
                    words = [(word.encode("utf-8"), 1, None) for word in field.spellable_words(value)]
                    pool.add_terms(spellfield, 0, words, spill=False)
                if field.vector:
                    vitems = field.vector.word_values(value, field.analyzer, mode="index")
                    vitems = sorted((text, weight, vbytes) for text, _, weight, vbytes in vitems)
                    perdocwriter.add_vector_items(fieldname, field, vitems)
                customval = fields.get(f"_stored_{fieldname}", value)
                perdocwriter.add_field(fieldname, field, customval if field.stored else None, length)
                column = field.column_type
                if column and customval is not None:
                    perdocwriter.add_column_value(fieldname, column, field.to_column_value(customval))
        except Exception:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1
        if pool.full():
            self._next_segment()

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        lengths = self.per_document_reader() if self.codec.length_stats else None
        try:
            grouped = self.pool.grouped()
            if grouped is not None and hasattr(self.fieldwriter, "add_grouped"):
                self.fieldwriter.add_grouped(self.schema, lengths, grouped)
            else:
                self.fieldwriter.add_postings(self.schema, lengths, self.pool.items())
            self.fieldwriter.close()
        finally:
            if lengths:
                lengths.close()
