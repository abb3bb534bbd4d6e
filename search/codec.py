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

from whoosh.codec.whoosh3 import W3Codec, W3PostingsWriter

# Posting lists of fewer postings than this are stored in the term's entry.
INLINE_LIMIT = 8


class _PostingsWriter(W3PostingsWriter):
    def finish_postings(self):
        if self.written() or len(self) >= self._inlinelimit:
            return super().finish_postings()
        terminfo = self._terminfo
        terminfo.add_block(self)  # statistics: weight, lengths, ids
        terminfo.set_inlined(self._ids, self._weights, self._values)
        self._terminfo = None
        return terminfo


class BlogsearchCodec(W3Codec):
    def __init__(self, blocklimit: int = 128, compression: int = 3, inlinelimit: int = INLINE_LIMIT) -> None:
        super().__init__(blocklimit=blocklimit, compression=compression, inlinelimit=inlinelimit)

    def postings_writer(self, dbfile, byteids=False):
        return _PostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )
