"""What a reader's query asks for: its words, the character-bigram runs
searched for recall, and the words its kana or romaji chunks are read as.

Query syntax readers know from web search: `"…"` asks for an exact phrase
(its words next to each other, in that order), `-語` at the start of a
word excludes posts containing it. Anything else, an unmatched quote or a
lone `-` included, is plain text: the syntax never raises.

Building a plan (`plan_query`) needs no index except for the readings
(`search.text.reading.ReadingTable`); running it is `search.query.rank`.
Nothing a reader types raises: odd input gives an empty plan.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from search.index.analyzers import bigram_runs
from search.query.paraphrase import ParaphraseTable
from search.text.morph import SUFFIX_MARK, analyze
from search.text.reading import MAX_READING_CHARS, ReadingTable, Segment, is_kana, kata_to_hira, to_katakana

MAX_QUERY_CHARS = 256  # longer queries are cut (the web layer refuses them)
MAX_QUERY_TERMS = 32
# Words readers add to questions that say little about the topic.
GENERIC_TERMS = frozenset(
    {"方法", "場合", "仕方", "やり方", "手順", "教える", "知る", "分かる", "思う", "欲しい",
     "良い", "必要", "可能", "出来る", "使う", "使用", "利用", "行う", "何", "どう", "どの",
     "見る", "時", "中", "上", "下", "前", "後", "ため", "もの", "よう", "について"}
)
GENERIC_WEIGHT = 0.2
# Words found through the reading of a kana or romaji chunk (こうそくか → 高速,
# ~化) score at this share, so posts with the words as typed come first.
READING_WEIGHT = 0.5
READING_ALTERNATIVE = 0.5  # further candidates of one reading (after the best)
MAX_READING_CHUNKS = 4
# Paraphrases of a query word (変える → 変更) score at this share of it,
# its Sudachi synonyms (フォルダ → ディレクトリ) at this one.
EXPANSION_WEIGHT = 0.5
SYNONYM_WEIGHT = 0.5
SYNONYM_MIN_TERM_WEIGHT = 1.0  # generic words (使う, 方法) get no synonyms
PARAPHRASE, SYNONYM = "paraphrase", "synonym"  # QueryTerm.kind of expansions
_ROMAJI_CHUNK = re.compile(r"[A-Za-z][A-Za-z'-]+")
COMPOUND_POS = ("名詞", "接尾辞-名詞的")  # parts of a compound noun
# particles as romaji: between romaji chunks they are particles, not words (neko no ohirune)
ROMAJI_PARTICLES = frozenset("no wo o ga ni de to ha wa e he mo ya ka kara made yori".split())
# "phrase" (ASCII or full-width quotes, 「」 is ordinary text) and -excluded
_PHRASE = re.compile(r'["\uff02\u201c\u201d]([^"\uff02\u201c\u201d]+)["\uff02\u201c\u201d]')
_EXCLUDED = re.compile(r"(?:^|(?<=\s))[-\uff0d](?=[^\s\d.-])(\S+)")
MAX_PHRASES = 4


@dataclass(frozen=True)
class Phrase:
    """Words that must follow each other: their index terms and the number
    of characters between each two (particles the analyzer leaves out)."""

    text: str
    terms: tuple[str, ...]
    gaps: tuple[int, ...]


def phrase_of(text: str) -> Phrase | None:
    words = [m for m in analyze(text) if m.kept][:MAX_QUERY_TERMS]
    if not words:
        return None
    gaps = tuple(b.start - a.end for a, b in zip(words, words[1:]))
    return Phrase(text, tuple(m.term for m in words), gaps)


def parse_syntax(text: str) -> tuple[str, tuple[Phrase, ...], tuple[Phrase, ...]]:
    """(the text to analyse, the exact phrases, the excluded words) of a
    cleaned query; quotes and minus signs that do not form syntax stay."""
    phrases = [p for p in (phrase_of(m.group(1)) for m in _PHRASE.finditer(text)) if p]
    plain = _PHRASE.sub(lambda m: f" {m.group(1)} ", text)
    excluded = [p for p in (phrase_of(m.group(1)) for m in _EXCLUDED.finditer(plain)) if p]
    plain = _EXCLUDED.sub(" ", plain)
    return " ".join(plain.split()), tuple(phrases[:MAX_PHRASES]), tuple(excluded[:MAX_PHRASES])



@dataclass(frozen=True)
class QueryTerm:
    text: str  # the normalised index term
    surface: str  # as the reader typed it
    weight: float  # 1.0, or less for generic words
    pos: str = field(default="", compare=False)  # UniDic part of speech ("" for readings)
    kind: str = field(default="", compare=False)  # PARAPHRASE or SYNONYM for expansions


@dataclass(frozen=True)
class ReadingGroup:
    """The words a kana or romaji chunk of the query may be read as, beyond
    the chunk's own words: one tuple of candidates per segment of its reading."""

    chunk: str
    segments: tuple[tuple[QueryTerm, ...], ...]
    runs: tuple[tuple[str, ...], ...]  # bigrams of the best reading written out
    # where each segment lies in the chunk's katakana reading (start, end)
    spans: tuple[tuple[int, int], ...] = ()
    # the reading's length and its positions that are not particles or auxiliaries
    length: int = 0
    content: tuple[int, ...] = ()

    @property
    def terms(self) -> tuple[QueryTerm, ...]:
        return tuple(t for segment in self.segments for t in segment)


@dataclass(frozen=True)
class QueryPlan:
    text: str
    terms: tuple[QueryTerm, ...]
    ngram_runs: tuple[tuple[str, ...], ...]
    readings: tuple[ReadingGroup, ...] = ()
    # paraphrases found in the index per query word: (word, its expansions)
    expansions: tuple[tuple[str, tuple[QueryTerm, ...]], ...] = ()
    phrases: tuple[Phrase, ...] = ()  # "…": every result contains each
    excluded: tuple[Phrase, ...] = ()  # -語: no result contains any
    # nouns written together (プロ野球: プロ, 野球), the last one the head
    compounds: tuple[tuple[str, ...], ...] = ()

    @property
    def empty(self) -> bool:
        return not self.terms and not self.ngram_runs and not self.readings

    def expansions_of(self, text: str) -> tuple[QueryTerm, ...]:
        return next((e for word, e in self.expansions if word == text), ())

    @property
    def all_terms(self) -> tuple[QueryTerm, ...]:
        """The query's words and the words found through readings (for highlighting)."""
        seen = {t.text for t in self.terms}
        extra = []
        for _, expansions in self.expansions:
            for t in expansions:
                if t.text not in seen:
                    seen.add(t.text)
                    extra.append(t)
        for group in self.readings:
            for t in group.terms:
                if t.text not in seen:
                    seen.add(t.text)
                    extra.append(QueryTerm(t.text, t.surface, t.weight * READING_WEIGHT))
        return self.terms + tuple(extra)


def clean_text(text: str) -> str:
    """What is left of a reader's query after removing what cannot be searched."""
    text = "".join(ch for ch in text if ch.isprintable() or ch.isspace())
    text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates
    return " ".join(text.split())[:MAX_QUERY_CHARS]


def term_weight(lemma: str, term: str) -> float:
    """How much a query word says about the topic (generic words little)."""
    if lemma in GENERIC_TERMS or term in GENERIC_TERMS:
        return GENERIC_WEIGHT
    return 1.0


def plan_query(text: str, readings: ReadingTable | None = None) -> QueryPlan:
    """The terms and n-gram runs to search for; never raises.

    With `readings` (the index's `ReadingTable`), chunks typed in kana or
    romaji also search the words they are read as (see `reading_groups`).
    """
    text = clean_text(text)
    plain, phrases, excluded = parse_syntax(text)
    terms: dict[str, QueryTerm] = {}
    compounds: list[list[str]] = []
    end = -1
    for m in analyze(plain):
        if m.kept and m.term not in terms and len(terms) < MAX_QUERY_TERMS:
            terms[m.term] = QueryTerm(m.term, m.surface, term_weight(m.lemma, m.term), m.pos)
        if m.kept and m.pos.startswith(COMPOUND_POS) and m.term in terms:
            if m.start != end or not compounds:
                compounds.append([])
            compounds[-1].append(m.term)
            end = m.end
        else:
            end = -1
    if terms and all(t.weight < 1.0 for t in terms.values()):
        terms = {k: replace(t, weight=1.0) for k, t in terms.items()}
    runs = tuple(tuple(r) for r in bigram_runs(plain)[:8])
    groups = reading_groups(plain, readings, set(terms)) if readings is not None else ()
    if any(g.chunk.isascii() for g in groups):
        terms = {k: t for k, t in terms.items() if t.surface.lower() not in ROMAJI_PARTICLES}
    compounds = [c for c in compounds if len(c) > 1 and all(t in terms for t in c)]
    return QueryPlan(text, tuple(terms.values()), runs, groups, phrases=phrases, excluded=excluded,
                     compounds=tuple(tuple(c) for c in compounds))


def with_paraphrases(plan: QueryPlan, table: ParaphraseTable,
                     docs: Callable[[str], np.ndarray]) -> QueryPlan:
    """The plan with the paraphrases the index has for its verbs and
    adjectives, each at EXPANSION_WEIGHT of the word, and the synonyms of
    its content words, at SYNONYM_WEIGHT (`search.query.paraphrase`);
    `docs(term)` gives the posts having a term."""
    own = {t.text for t in plan.terms}
    others = [t.text for t in plan.terms if t.weight >= 1.0 and len(t.text) >= 2]
    expansions = []
    for term in plan.terms:
        found: dict[str, QueryTerm] = {}
        for w in table.expand(term.text, term.pos, others, docs):
            found[w] = QueryTerm(w, term.surface, term.weight * EXPANSION_WEIGHT, kind=PARAPHRASE)
        for w in table.synonyms_of(term.text, term.pos, others, docs) if term.weight >= SYNONYM_MIN_TERM_WEIGHT else ():
            found.setdefault(w, QueryTerm(w, term.surface, term.weight * SYNONYM_WEIGHT, kind=SYNONYM))
        found = {w: t for w, t in found.items() if w not in own}
        if found:
            expansions.append((term.text, tuple(found.values())))
    return replace(plan, expansions=tuple(expansions)) if expansions else plan


def reading_chunks(text: str) -> list[str]:
    """The chunks of a cleaned query worth reading (NFKC-folded): all kana,
    or ASCII letters that are clean romaji. Cheap: no index needed."""
    chunks = []
    for chunk in text.split()[:MAX_QUERY_TERMS]:
        chunk = unicodedata.normalize("NFKC", chunk)  # ｺｳｿｸｶ, ｋｏｕｓｏｋｕｋａ
        if 2 <= len(chunk) <= MAX_READING_CHARS and (
            is_kana(chunk) or (_ROMAJI_CHUNK.fullmatch(chunk) and to_katakana(chunk))
        ):
            chunks.append(chunk)
    return chunks[:MAX_READING_CHUNKS]


def reading_groups(text: str, readings: ReadingTable, own: set[str]) -> tuple[ReadingGroup, ...]:
    """The words each kana or romaji chunk is read as, other than the query's
    `own` words; romaji only when the index lacks it as typed (``python``
    stays python, ``kousokuka`` is read こうそくか)."""
    groups = []
    for chunk in reading_chunks(text):
        if chunk.isascii() and chunk.lower() in readings.vocabulary:
            continue
        kata = to_katakana(chunk)
        if not kata:
            continue
        # particles and auxiliaries MeCab finds (in hiragana) may be left out
        skippable = [(m.start, m.end) for m in analyze(kata_to_hira(kata)) if not m.kept]
        segments = readings.segment(kata, skippable)
        group = _reading_group(chunk, kata, segments, own, skippable)
        if group is not None:
            groups.append(group)
    return tuple(groups)


def _reading_group(
    chunk: str, kata: str, segments: list[Segment], own: set[str], skippable: list[tuple[int, int]]
) -> ReadingGroup | None:
    candidates, spans = [], []
    for segment in segments:
        # the best reading at full weight, homophones less; the query's own words are scored already
        words = tuple(
            QueryTerm(w, chunk, 1.0 if i == 0 else READING_ALTERNATIVE)
            for i, w in enumerate(segment.terms) if w not in own
        )
        if words:
            candidates.append(words)
            spans.append((segment.start, segment.end))
    if not candidates:
        return None  # the chunk's own words are all its reading gives
    # the best reading written out, block by block of adjacent segments (高速化)
    blocks: list[list[str]] = []
    end = -1
    for segment in segments:
        adjacent = segment.start == end or (segment.start == end + 1 and kata[end] == "ー")
        if not blocks or not adjacent:
            blocks.append([])
        blocks[-1].append(segment.terms[0].lstrip(SUFFIX_MARK))
        end = segment.end
    runs = tuple(tuple(r) for block in blocks for r in bigram_runs("".join(block)))
    skipped = {i for start, end in skippable for i in range(start, end)}
    content = tuple(i for i in range(len(kata)) if i not in skipped) or tuple(range(len(kata)))
    return ReadingGroup(chunk, tuple(candidates), runs[:4], tuple(spans), len(kata), content)
