"""Repeated passages: inside a post or draft, and shared with other posts.

Inside a text, every paragraph of at least MIN_REPEAT_CHARS (normalised) is
compared with the paragraphs before it on character 4-gram shingles:

* `exact`: the same text once normalised (`search.text.passages.normalize`);
* `near`: Jaccard similarity ≥ NEAR_JACCARD (one sentence changed or added);
* `contained`: ≥ CONTAINED of the shorter paragraph's shingles lie in the
  longer one (a closing sentence repeated alone, a truncated copy).

Each later paragraph is reported once, against its most similar earlier
paragraph. Only candidate pairs are compared: paragraphs sharing about half
of the smaller one's sampled shingles (`search.text.passages.samples`), so the
cost grows with the text, not with the square of its paragraphs.

Across posts, the hashes of long paragraphs and sentences stored in the
index (`passages` field) name the other posts sharing a passage; their
stored text then gives the exact location.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable, Iterator

import numpy as np

from search.ingest.drafts import make_draft
from search.text.passages import (
    MIN_INDEXED_CHARS,
    PARAGRAPH_PREFIX,
    SENTENCE_PREFIX,
    Paragraph,
    paragraphs,
    passage_hash,
    samples,
    sentence_keys,
    similarity,
)
from search.query.searcher import Searcher
from search.editorial.related import PostNotFound
from search.index.schema import StoredPost
from search.query.snapshot import Snapshot

MIN_REPEAT_CHARS = 30  # normalised characters; shorter paragraphs are headings and markers
NEAR_JACCARD = 0.8
CONTAINED = 0.9
CANDIDATE_SHARE = 0.5  # of the smaller paragraph's sampled shingles, to be compared at all
MAX_SAMPLE_POSTINGS = 64  # a sampled shingle in more paragraphs than this is too common
MAX_OTHER_POSTS = 3  # other posts named per shared paragraph
TEMPLATE_POSTS = 10  # a passage in more posts than this is a template, not a copy
EXCERPT_CHARS = 80


@dataclass
class Location:
    slug: str  # "" for a draft
    paragraph: int  # 0-based paragraph index
    start: int  # character offsets into the post's (or draft's) plain text
    end: int


@dataclass
class Repeat:
    kind: str  # "exact", "near", "contained" or, across posts, "sentence"
    similarity: float  # Jaccard similarity of the two paragraphs' shingles
    first: Location  # the earlier paragraph, or the other post's
    second: Location  # the repeating paragraph of the checked text
    chars: int  # length of the repeating paragraph
    excerpt: str  # its beginning
    posts: int = 0  # across posts: how many other posts contain the passage


@dataclass
class DuplicateReport:
    slug: str  # "" for a draft
    title: str
    paragraphs: int
    repeated: list[Repeat] = field(default_factory=list)  # inside the text
    shared: list[Repeat] = field(default_factory=list)  # with other posts

    @property
    def repeated_chars(self) -> int:
        return sum(r.chars for r in self.repeated)

    @property
    def shared_chars(self) -> int:
        return sum(r.chars for r in _one_per_paragraph(self.shared))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(repeated_chars=self.repeated_chars, shared_chars=self.shared_chars)
        return data


def duplicates_in_post(searcher: Searcher, slug: str, across: bool = True) -> DuplicateReport:
    """Repeated paragraphs of an indexed post, and passages it shares with others."""
    snapshot = searcher.snapshot
    docnum = snapshot.docnum(slug)
    if docnum is None:
        raise PostNotFound(f"no post with slug {slug!r} is indexed")
    post = snapshot.stored(docnum)
    return check_text(post.body, snapshot if across else None, slug, post.title, docnum)


def duplicates_in_draft(
    searcher: Searcher | None, body: str, title: str = ""
) -> DuplicateReport:
    """Repeats inside a draft and, with a searcher, passages it shares with posts.

    Offsets point into `body` with its line ends made LF (`make_draft`).
    Raises DraftTooLarge.
    """
    draft = make_draft(title, body)
    return check_text(draft.body, searcher.snapshot if searcher else None, "", draft.title)


def check_text(
    text: str, snapshot: Snapshot | None, slug: str = "", title: str = "", docnum: int | None = None
) -> DuplicateReport:
    paras = paragraphs(text)
    report = DuplicateReport(slug, title, len(paras), repeats_within(text, paras, slug))
    if snapshot is not None:
        report.shared = shared_with_posts(snapshot, text, paras, slug, docnum)
    return report


def repeats_within(text: str, paras: list[Paragraph], slug: str = "") -> list[Repeat]:
    """Each paragraph that repeats an earlier one, against the most similar of them."""
    long = [p for p in paras if len(p.key) >= MIN_REPEAT_CHARS]
    grams = {p.index: p.grams() for p in long}
    first_of_key: dict[str, Paragraph] = {}
    index = _SampleIndex()
    repeats = []
    for p in long:
        earlier = first_of_key.get(p.key)
        if earlier is not None:
            repeats.append(_repeat("exact", 1.0, text, earlier, p, slug, slug))
            continue
        first_of_key[p.key] = p
        mine = samples(grams[p.index])
        best = _most_similar(p, grams, index.candidates(grams[p.index], len(mine)))
        if best is not None:
            kind, sim, other = best
            repeats.append(_repeat(kind, sim, text, other, p, slug, slug))
        index.add(p, mine)
    return repeats


class _SampleIndex:
    """Earlier paragraphs by sampled shingle, looked up with all of a paragraph's shingles
    (so that a short paragraph's few samples are found inside a long one, and back)."""

    def __init__(self) -> None:
        self.by_sample: dict[str, list[Paragraph]] = defaultdict(list)
        self.sizes: dict[int, int] = {}

    def add(self, p: Paragraph, mine: frozenset[str]) -> None:
        self.sizes[p.index] = len(mine)
        for g in mine:
            self.by_sample[g].append(p)

    def candidates(self, grams: frozenset[str], sampled: int) -> list[Paragraph]:
        shared: Counter[int] = Counter()
        paras: dict[int, Paragraph] = {}
        for g in grams:
            others = self.by_sample.get(g)
            if others and len(others) <= MAX_SAMPLE_POSTINGS:
                for o in others:
                    shared[o.index] += 1
                    paras[o.index] = o
        return [paras[i] for i, n in shared.items()
                if n >= CANDIDATE_SHARE * min(sampled, self.sizes[i])]


def _most_similar(
    p: Paragraph, grams: dict[int, frozenset[str]], candidates: Iterable[Paragraph]
) -> tuple[str, float, Paragraph] | None:
    best: tuple[float, float, Paragraph] | None = None
    for other in candidates:
        jaccard, contained = similarity(grams[p.index], grams[other.index])
        if (jaccard >= NEAR_JACCARD or contained >= CONTAINED) and (
            best is None or (jaccard, contained) > best[:2]
        ):
            best = (jaccard, contained, other)
    if best is None:
        return None
    jaccard, _, other = best
    return ("near" if jaccard >= NEAR_JACCARD else "contained"), jaccard, other


def _repeat(
    kind: str, sim: float, text: str, first: Paragraph, second: Paragraph,
    first_slug: str, second_slug: str, posts: int = 0,
) -> Repeat:
    excerpt = " ".join(text[second.start : second.end].split())
    if len(excerpt) > EXCERPT_CHARS:
        excerpt = excerpt[:EXCERPT_CHARS] + "…"
    return Repeat(
        kind, round(sim, 3),
        Location(first_slug, first.index, first.start, first.end),
        Location(second_slug, second.index, second.start, second.end),
        second.end - second.start, excerpt, posts,
    )


def shared_with_posts(
    snapshot: Snapshot, text: str, paras: list[Paragraph], slug: str = "", docnum: int | None = None
) -> list[Repeat]:
    """Paragraphs of `text` that other posts contain, whole or by a long sentence."""
    shared: list[Repeat] = []
    bodies = _Bodies(snapshot)
    for p, terms in _paragraph_terms(text, paras):
        docs: dict[int, None] = {}
        posts_of = snapshot.column_terms("passages")
        for term in terms:
            docs.update((int(d), None) for d in posts_of.get(term, ()) if d != docnum)
        for d in list(docs)[:MAX_OTHER_POSTS]:
            match = bodies.best_match(d, p)
            if match is not None:
                kind, sim, other = match
                shared.append(_repeat(kind, sim, text, other, p, bodies.slug(d), slug, len(docs)))
    return shared


@dataclass
class _Other:
    slug: str
    by_key: dict[str, Paragraph]
    grams: list[tuple[Paragraph, frozenset[str]]]


class _Bodies:
    """Other posts' paragraphs, read once per check."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self._cache: dict[int, _Other] = {}

    def _load(self, docnum: int) -> _Other:
        if docnum not in self._cache:
            post = self.snapshot.stored(docnum)
            paras = [p for p in paragraphs(post.body) if len(p.key) >= MIN_REPEAT_CHARS]
            self._cache[docnum] = _Other(post.slug, {p.key: p for p in paras},
                                         [(p, p.grams()) for p in paras])
        return self._cache[docnum]

    def slug(self, docnum: int) -> str:
        return self._load(docnum).slug

    def best_match(self, docnum: int, p: Paragraph) -> tuple[str, float, Paragraph] | None:
        """The other post's paragraph most like `p`, and how alike they are."""
        other_post = self._load(docnum)
        if p.key in other_post.by_key:
            return "exact", 1.0, other_post.by_key[p.key]
        grams = p.grams()
        best: tuple[float, Paragraph] | None = None
        for other, other_grams in other_post.grams:
            jaccard, contained = similarity(grams, other_grams)
            if contained > 0 and (best is None or jaccard > best[0]):
                best = (jaccard, other)
        if best is None:
            return None
        kind = "near" if best[0] >= NEAR_JACCARD else "sentence"
        return kind, best[0], best[1]


@dataclass
class PostDuplicates:
    """One post's line in the blog-wide list."""

    slug: str
    title: str
    url: str
    paragraphs: int
    repeated: int  # paragraphs repeating an earlier one of the same post
    repeated_chars: int
    shared: int  # paragraphs also in other posts (templates not counted)
    shared_chars: int


@dataclass
class BlogDuplicates:
    posts: int  # posts checked
    with_repeats: int  # posts repeating a paragraph of their own
    with_shared: int  # posts sharing a paragraph with another post
    worst: list[PostDuplicates] = field(default_factory=list)  # most repeated characters first

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def blog_duplicates(searcher: Searcher, limit: int = 20) -> BlogDuplicates:
    """The posts with the most repeated or copied text, across the whole blog.

    Passages found in more than TEMPLATE_POSTS posts are templates (licence
    notes, footers) and are not counted as copies.

    Computed once per index generation and kept with it (`BlogTable`); what
    depends only on a post's text (its repeats, its passages' hashes) is
    kept per segment, so after a commit only the new segment's posts are
    read again.
    """
    snapshot = searcher.snapshot
    table = snapshot.table("blog duplicates", BlogTable)
    result = BlogDuplicates(table.posts, table.with_repeats, table.with_shared)
    for i in table.order[: max(0, limit)]:
        post = snapshot.stored(int(table.docnums[i]))
        result.worst.append(PostDuplicates(
            post.slug, post.title, post.url, int(table.paragraphs[i]), int(table.repeated[i]),
            int(table.repeated_chars[i]), int(table.shared[i]), int(table.shared_chars[i])))
    return result


class BlogTable:
    """Every live post's repeated and copied paragraphs in one index
    generation: one entry per post that has any, most characters first."""

    def __init__(self, snapshot: Snapshot) -> None:
        copied = _copied_hashes(snapshot)
        columns: dict[str, list[np.ndarray]] = defaultdict(list)
        slugs: list[str] = []
        self.posts = self.with_repeats = self.with_shared = 0
        for seg, offset in snapshot.per_segment("duplicates", _SegmentPassages):
            live = snapshot.live[offset : offset + len(seg.paragraphs)] & seg.indexed
            copy = np.zeros(len(seg.hashes), bool)
            for kind, hashes in copied.items():
                mine = seg.kinds == kind
                copy[mine] = np.isin(seg.hashes[mine], hashes)
            para_copied = np.zeros(len(seg.para_doc), bool)
            para_copied[seg.term_para[copy]] = True
            n = len(seg.paragraphs)
            shared = np.bincount(seg.para_doc[para_copied], minlength=n)
            shared_chars = np.bincount(seg.para_doc[para_copied], seg.para_chars[para_copied],
                                       minlength=n).astype(np.int64)
            self.posts += int(live.sum())
            self.with_repeats += int((live & (seg.repeated > 0)).sum())
            self.with_shared += int((live & (shared > 0)).sum())
            keep = np.flatnonzero(live & ((seg.repeated > 0) | (shared > 0)))
            for name, values in (("docnums", keep + offset), ("paragraphs", seg.paragraphs[keep]),
                                 ("repeated", seg.repeated[keep]),
                                 ("repeated_chars", seg.repeated_chars[keep]),
                                 ("shared", shared[keep]), ("shared_chars", shared_chars[keep])):
                columns[name].append(values)
            slugs += [seg.slugs[i] for i in keep]
        joined = {name: np.concatenate(parts) if parts else np.zeros(0, np.int64)
                  for name, parts in columns.items()}
        self.docnums = joined.get("docnums", np.zeros(0, np.int64))
        self.paragraphs = joined.get("paragraphs", self.docnums)
        self.repeated = joined.get("repeated", self.docnums)
        self.repeated_chars = joined.get("repeated_chars", self.docnums)
        self.shared = joined.get("shared", self.docnums)
        self.shared_chars = joined.get("shared_chars", self.docnums)
        # most repeated and copied characters first, then by slug
        by_slug = np.argsort(np.array(slugs, dtype=np.str_), kind="stable") if slugs else self.docnums
        chars = (self.repeated_chars + self.shared_chars)[by_slug]
        self.order = by_slug[np.argsort(-chars, kind="stable")]


class _SegmentPassages:
    """What blog-wide duplicates need of one segment's posts, from their
    text alone (so it holds for every generation the segment is in): each
    post's paragraphs and repeats, and its long paragraphs with the hashes
    of their passages (`_paragraph_terms`) as integers."""

    def __init__(self, leaf: Any) -> None:
        n = leaf.doc_count_all()
        self.indexed = np.zeros(n, bool)  # not deleted when the segment was read
        self.paragraphs = np.zeros(n, np.int64)
        self.repeated = np.zeros(n, np.int64)
        self.repeated_chars = np.zeros(n, np.int64)
        self.slugs = [""] * n
        para_doc: list[int] = []
        para_chars: list[int] = []
        hashes: list[int] = []
        kinds: list[str] = []
        term_para: list[int] = []
        for d in range(n):
            if leaf.is_deleted(d):
                continue
            post = StoredPost.from_fields(leaf.stored_fields(d))
            body = post.body
            paras = paragraphs(body)
            repeats = repeats_within(body, paras)
            self.indexed[d] = True
            self.slugs[d] = post.slug
            self.paragraphs[d] = len(paras)
            self.repeated[d] = len(repeats)
            self.repeated_chars[d] = sum(r.chars for r in repeats)
            for p, terms in _paragraph_terms(body, paras):
                for term in terms:
                    kinds.append(term[0])
                    hashes.append(int(term[1:], 16))
                    term_para.append(len(para_doc))
                para_doc.append(d)
                para_chars.append(p.end - p.start)
        self.para_doc = np.array(para_doc, np.int64)
        self.para_chars = np.array(para_chars, np.int64)
        self.hashes = np.array(hashes, np.uint64)
        self.kinds = np.array(kinds, "U1")
        self.term_para = np.array(term_para, np.int64)


def _paragraph_terms(text: str, paras: list[Paragraph]) -> Iterator[tuple[Paragraph, list[str]]]:
    """Each paragraph long enough to be indexed, with its passage terms."""
    for p in paras:
        if len(p.key) < MIN_INDEXED_CHARS:
            continue
        terms = [PARAGRAPH_PREFIX + passage_hash(p.key)]
        terms += [SENTENCE_PREFIX + passage_hash(k) for k in sentence_keys(text, p)]
        yield p, terms


def _copied_hashes(snapshot: Snapshot) -> dict[str, np.ndarray]:
    """Passage terms found in two posts or more, but not in more than
    TEMPLATE_POSTS: their hashes as integers, by kind (prefix)."""
    copied: dict[str, list[int]] = {PARAGRAPH_PREFIX: [], SENTENCE_PREFIX: []}
    lists = snapshot.column_terms("passages")
    sizes = lists.sizes()
    for term in lists.terms[(sizes >= 2) & (sizes <= TEMPLATE_POSTS)].tolist():
        kind = term[:1].decode("ascii")
        if kind in copied:
            copied[kind].append(int(term[1:], 16))
    return {kind: np.array(hashes, np.uint64) for kind, hashes in copied.items()}


def _one_per_paragraph(repeats: list[Repeat]) -> list[Repeat]:
    return list({r.second.paragraph: r for r in repeats}.values())

