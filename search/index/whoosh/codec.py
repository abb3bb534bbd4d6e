"""The on-disk format of index segments: Whoosh's W3 codec, with short
posting lists stored inside their term's entry.

Most terms of a blog occur in one or two posts (half of ja-docs' body
terms). W3 writes every posting list as its own block in the postings file
(a header, a pickled and compressed block, its offsets), the largest cost of
a commit. W3 can instead "inline" a short list into the term's entry, but
that path calls a method that does not exist (`set_inline` for
`set_inlined`), so only the default `inlinelimit=1` (never inline) works.
`BlogsearchCodec` repairs it; reading inlined postings is unchanged W3 code
(a `ListMatcher` over the term's entry).

Segments record their codec, so an index written with this one needs this
module to be read; older segments written with plain W3 still read.
"""

from __future__ import annotations

from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter, W3PostingsWriter

# Posting lists of fewer postings than this are stored in the term's entry.
INLINE_LIMIT = 8
# zlib level of posting blocks: level 1 gives an index 1 % larger than W3's
# level 3 and compresses in about 60 % of the time.
COMPRESSION = 1


class _PostingsWriter(W3PostingsWriter):
    def add_sorted(self, docnum: int, weight: float, vbytes: bytes, length: int) -> None:
        """`add_posting` for the postings of a sorted pool, without its
        per-posting type assertions (most of its cost)."""
        if len(self._ids) >= self._blocklimit:
            self._write_block()
        self._ids.append(docnum)
        self._weights.append(weight)
        if weight > self._maxweight:
            self._maxweight = weight
        if vbytes:
            self._values.append(vbytes)
        if length:
            if self._minlength is None or length < self._minlength:
                self._minlength = length
            if length > self._maxlength:
                self._maxlength = length

    def add_many(self, ids, weights, values, lengths) -> None:  # noqa: ANN001 (sequences)
        """`add_sorted` for a term's whole posting list (sequences of equal
        length), a block at a time."""
        limit = self._blocklimit
        i, n = 0, len(ids)
        while i < n:
            if len(self._ids) >= limit:
                self._write_block()
            j = min(n, i + limit - len(self._ids))
            self._ids.extend(ids[i:j])
            block_weights = weights[i:j]
            self._weights.extend(block_weights)
            self._maxweight = max(self._maxweight, *block_weights)
            self._values.extend(v for v in values[i:j] if v)
            block_lengths = [length for length in lengths[i:j] if length]
            if block_lengths:
                shortest = min(block_lengths)
                if self._minlength is None or shortest < self._minlength:
                    self._minlength = shortest
                self._maxlength = max(self._maxlength, *block_lengths)
            i = j

    def finish_postings(self):
        if self.written() or len(self) >= self._inlinelimit:
            return super().finish_postings()
        terminfo = self._terminfo
        terminfo.add_block(self)  # statistics: weight, lengths, ids
        # A format without values (ID fields) still needs one bytes value
        # per posting: Whoosh's ListMatcher gives '' (a str) otherwise,
        # which its merge of segments refuses.
        values = self._values or [b""] * len(self._ids)
        terminfo.set_inlined(self._ids, self._weights, values)
        self._terminfo = None
        return terminfo


class _FieldWriter(W3FieldWriter):
    def add_postings(self, schema, lengths, items):  # noqa: ANN001, ANN201 (Whoosh's signature)
        """Whoosh's `FieldWriter.add_postings` for the sorted postings of a
        segment being written, with each field's lengths read once instead
        of once per posting. The postings written are the same."""
        lastfn = None
        lasttext = None
        field_lengths: list[int] = []
        add = None
        for fieldname, btext, docnum, weight, value in items:
            if fieldname != lastfn:
                if lasttext is not None:
                    self.finish_term()
                if lastfn is not None:
                    self.finish_field()
                self.start_field(fieldname, schema[fieldname])
                field_lengths = _field_lengths(lengths, fieldname)
                lastfn, lasttext = fieldname, None
            if docnum == -1:  # a spelling-only item (Whoosh's hack); never ours
                continue
            if btext != lasttext:
                if lasttext is not None:
                    self.finish_term()
                self.start_term(btext)
                lasttext = btext
                add = self._postwriter.add_sorted
            add(docnum, weight, value, field_lengths[docnum] if docnum < len(field_lengths) else 0)
        if lasttext is not None:
            self.finish_term()
        if lastfn is not None:
            self.finish_field()

    def add_grouped(self, schema, lengths, grouped):  # noqa: ANN001, ANN201 (Whoosh's objects)
        """`add_postings` for postings grouped by field and term
        (`search.index.whoosh.segmentwriter.GroupedPool.grouped`): each term's posting
        list is handed over whole. The postings written are the same."""
        for fieldname, terms in grouped:
            self.start_field(fieldname, schema[fieldname])
            field_lengths = _field_lengths(lengths, fieldname)
            known = len(field_lengths)
            add_many = self._postwriter.add_many
            for btext, postings in terms:
                if postings[0][0] == -1:  # spelling-only items (Whoosh's hack); never ours
                    postings = [p for p in postings if p[0] != -1]
                    if not postings:
                        continue
                self.start_term(btext)
                ids, weights, values = zip(*postings)
                add_many(ids, weights, values,
                         [field_lengths[d] if d < known else 0 for d in ids])
                self.finish_term()
            self.finish_field()


def _field_lengths(lengths, fieldname: str) -> list[int]:  # noqa: ANN001 (a Whoosh per-document reader)
    if lengths is None:
        return []
    return [lengths.doc_field_length(d, fieldname) or 0 for d in range(lengths.doc_count_all())]


class BlogsearchCodec(W3Codec):
    def __init__(
        self, blocklimit: int = 128, compression: int = COMPRESSION, inlinelimit: int = INLINE_LIMIT
    ) -> None:
        super().__init__(blocklimit=blocklimit, compression=compression, inlinelimit=inlinelimit)

    def field_writer(self, storage, segment):
        return _FieldWriter(self, storage, segment)

    def postings_writer(self, dbfile, byteids=False):
        return _PostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )
