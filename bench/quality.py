"""Search quality on ja-docs: relevance, noise, completion and latency, one table.

    python bench/quality.py [--split heldout|tune|all] [--ranking current[,NAME...]]
                            [--index DIR] [--repeat N]

Runs the judged sets of bench/judged/ (see its README.md) against the ja-docs
index built by the current code (cached under .cache/quality-index-<hash>,
keyed by the source of search/ and the corpus tarball's mtime; rebuilt when
either changes). Every ranking named with --ranking is run on the same index
in the same run; the first is the baseline of the 95% paired-bootstrap
intervals (fixed seed, 10,000 resamples) printed beside the others' MRR@10.

A ranking is registered in RANKINGS below: a search function
(searcher, text, per_page) -> SearchResult and, optionally, a suggest
function (searcher, text, limit) -> list of suggestion texts. ``current``
is today's public Searcher.search / Searcher.suggest; ``legacy`` is the
ranking before issue 14 (no minimum-should-match, no paraphrases:
search.query.rank.LEGACY) on the same index, for
``--ranking legacy,current``; ``kanji`` is today's ranking without the
Sudachi synonyms (search.query.paraphrase), for ``--ranking kanji,current``.

Prints a Markdown table. Definitions (also in bench/judged/README.md):

* MRR@10, S@1, S@10: reciprocal rank of the first relevant post in the top 10
  (0 if none), and whether one is at rank 1 / in the top 10.
* off-topic with any result: share of off-topic queries whose total > 0.
* one-character-only hits: top-10 hits, for queries with two adjacent word
  characters, that have highlights (<mark> in title_html or snippet_html)
  and all of them one character long.
* completion: a suggestion completes a target when, both normalised (NFKC,
  lower case, whitespace collapsed; a leading section number such as
  "6.21.", a trailing "..." and a man section "(1)" removed) and the
  suggestion cut at its first " - ", the suggestion equals the target or
  extends it by at most 3 characters that do not start with a particle
  (の を に が で と へ は や): 「メモリー」 completes 「メモリ」, 「mkdir(1) - …」
  completes 「mkdir」, 「レイヤーの複製」 does not complete 「レイヤー」.
  success@5: one of the first five suggestions completes the target;
  MRR@5: reciprocal rank of the first that does.
* suggestions finding no posts: share of the distinct first-five suggestions
  of the split's prefixes whose search total is 0.
* latency: search (10 hits with snippets) over every relevance and off-topic
  query of the split; suggest over every keystroke of the completion
  targets; --repeat passes after Searcher.warm(); milliseconds.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import html
import re
import shutil
import sys
import time
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Callable, NamedTuple

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import CACHE, REPO, corpus_tarball, unpacked_corpus  # noqa: E402

from search import build_index  # noqa: E402
from search import Searcher  # noqa: E402
from search.errors import SearchError  # noqa: E402
from search.query import rank  # noqa: E402

JUDGED = REPO / "bench" / "judged"
CLASSES = ("paraphrase", "question", "keywords", "variant", "kana_romaji", "exact_title")
COMPLETION_CLASSES = ("word", "phrase", "kana", "title")
BOOTSTRAP_SEED, BOOTSTRAP_RESAMPLES = 14, 10_000
EXTENSION_CHARS = 3
SUGGESTIONS = 5


# --- rankings ----------------------------------------------------------------

class Ranking(NamedTuple):
    search: Callable[[Searcher, str, int], Any]  # -> SearchResult (total, hits)
    suggest: Callable[[Searcher, str, int], list[str]]


def current_suggest(searcher: Searcher, text: str, limit: int) -> list[str]:
    return [s.text for s in searcher.suggest(text, limit).suggestions]


def ranked(ranking: rank.Ranking) -> Callable[[Searcher, str, int], Any]:
    return lambda s, text, n: s.search(text, per_page=n, ranking=ranking)


RANKINGS: dict[str, Ranking] = {
    "current": Ranking(ranked(rank.CURRENT), current_suggest),
    # before issue 14: no minimum-should-match, no paraphrases, no query syntax
    "legacy": Ranking(ranked(rank.LEGACY), current_suggest),
    # today's ranking without the Sudachi synonyms (kanji-sharing paraphrases only)
    "kanji": Ranking(ranked(rank.Ranking(synonyms=False)), current_suggest),
}


# --- judged sets -------------------------------------------------------------

def read_tsv(name: str) -> list[dict[str, str]]:
    with (JUDGED / name).open(encoding="utf-8") as f:
        return list(csv.DictReader((line for line in f if not line.startswith("#")), delimiter="\t"))


def in_split(rows: list[dict[str, str]], split: str) -> list[dict[str, str]]:
    return [r for r in rows if split == "all" or r["split"] == split]


# --- the index ---------------------------------------------------------------

def source_key(tarball: Path) -> str:
    digest = hashlib.sha1(str(tarball.stat().st_mtime).encode())
    for path in sorted((REPO / "search").rglob("*.py")):
        digest.update(path.relative_to(REPO).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def cached_index(site: Path) -> Path:
    index_dir = CACHE / f"quality-index-{source_key(corpus_tarball())}"
    done = index_dir / ".built"
    if done.exists():
        return index_dir
    for old in CACHE.glob("quality-index-*"):  # one cached index at a time
        shutil.rmtree(old, ignore_errors=True)
    print(f"indexing ja-docs into {index_dir} ...", file=sys.stderr)
    started = time.perf_counter()
    report = build_index(site, index_dir, rebuild=True)
    if report.errors:
        sys.exit(f"index build failed: {report.errors[0]}")
    done.write_text(f"{report.summary()}\n{time.perf_counter() - started:.1f} s\n")
    return index_dir


# --- metrics -----------------------------------------------------------------

MARK = re.compile(r"<mark[^>]*>(.*?)</mark>", re.S)
SECTION = re.compile(r"^(?:第\d+章|付録\S*|[a-z]?\d+(?:\.\d+)*\.?)\s+")
TRAILER = re.compile(r"(?:\.\.\.|…|\(\d\w*\))$")
PARTICLE = re.compile(r"[のをにがでとへはや]")


def highlights(hit: Any) -> list[str]:
    return [html.unescape(m).strip() for m in MARK.findall(hit.title_html + hit.snippet_html)]


def one_char_only(hit: Any) -> bool:
    marks = highlights(hit)
    return bool(marks) and all(len(m) == 1 for m in marks)


def has_long_word(query: str) -> bool:
    return re.search(r"\w\w", unicodedata.normalize("NFKC", query)) is not None


def norm(text: str) -> str:
    text = " ".join(unicodedata.normalize("NFKC", text).lower().split())
    return TRAILER.sub("", SECTION.sub("", text)).strip()


def completes(suggestion: str, target: str) -> bool:
    s, t = norm(suggestion.split(" - ")[0]), norm(target)
    rest = s[len(t):]
    return s.startswith(t) and len(rest) <= EXTENSION_CHARS and not PARTICLE.match(rest)


def reciprocal_rank(ranked: list[str], relevant: set[str]) -> float:
    return next((1.0 / i for i, slug in enumerate(ranked[:10], 1) if slug in relevant), 0.0)


def bootstrap(diffs: np.ndarray) -> tuple[float, float]:
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    means = diffs[rng.integers(0, len(diffs), (BOOTSTRAP_RESAMPLES, len(diffs)))].mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def percentile(ms: list[float], p: float) -> float:
    return float(np.percentile(ms, p)) if ms else float("nan")


@dataclass
class Run:
    rr: dict[str, float]  # query -> reciprocal rank
    offtopic_hits: int = 0
    one_char: int = 0
    one_char_queries: int = 0
    top10: int = 0
    completion_rr: dict[tuple[str, str], float] | None = None
    empty_suggestions: int = 0
    suggestions: int = 0
    search_ms: list[float] | None = None
    suggest_ms: list[float] | None = None


def evaluate(searcher: Searcher, ranking: Ranking, sets: dict[str, list[dict[str, str]]], repeat: int) -> Run:
    run = Run(rr={})
    noise_queries = [r["query"] for r in sets["relevance"]] + [r["query"] for r in sets["offtopic"]]
    results = {q: ranking.search(searcher, q, 10) for q in noise_queries}
    for r in sets["relevance"]:
        run.rr[r["query"]] = reciprocal_rank([h.slug for h in results[r["query"]].hits], set(r["relevant"].split(",")))
    run.offtopic_hits = sum(results[r["query"]].total > 0 for r in sets["offtopic"])
    for q in dict.fromkeys(noise_queries):
        if has_long_word(q):
            bad = sum(one_char_only(h) for h in results[q].hits[:10])
            run.one_char += bad
            run.one_char_queries += bad > 0
            run.top10 += len(results[q].hits[:10])
    run.completion_rr, shown = {}, set()
    for c in sets["completion"]:
        texts = ranking.suggest(searcher, c["prefix"], 8)[:SUGGESTIONS]
        shown.update(texts)
        run.completion_rr[(c["prefix"], c["target"])] = next(
            (1.0 / i for i, t in enumerate(texts, 1) if completes(t, c["target"])), 0.0)
    run.suggestions = len(shown)
    run.empty_suggestions = sum(ranking.search(searcher, t, 1).total == 0 for t in shown)
    keystrokes = [c["target"][:i] for c in sets["completion"] for i in range(1, len(c["target"]) + 1)]
    run.search_ms, run.suggest_ms = [], []
    for _ in range(repeat):
        for q in noise_queries:
            started = time.perf_counter()
            ranking.search(searcher, q, 10)
            run.search_ms.append((time.perf_counter() - started) * 1000)
        for k in keystrokes:
            started = time.perf_counter()
            ranking.suggest(searcher, k, 8)
            run.suggest_ms.append((time.perf_counter() - started) * 1000)
    return run


# --- the table ---------------------------------------------------------------

def share(n: int, total: int) -> str:
    return f"{n}/{total} ({n / total:.0%})" if total else "–"


def table(names: list[str], runs: dict[str, Run], sets: dict[str, list[dict[str, str]]]) -> list[str]:
    relevance, offtopic, completion = sets["relevance"], sets["offtopic"], sets["completion"]
    base = runs[names[0]]
    lines = ["| | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]

    def row(label: str, cells: list[str]) -> None:
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    def relevance_rows(label: str, queries: list[str]) -> None:
        if not queries:
            return
        cells = []
        for name in names:
            rr = np.array([runs[name].rr[q] for q in queries])
            cell = f"{rr.mean():.3f}"
            if name != names[0]:
                diffs = rr - np.array([base.rr[q] for q in queries])
                lo, hi = bootstrap(diffs)
                cell += f" ({diffs.mean():+.3f} [{lo:+.3f}, {hi:+.3f}])"
            cells.append(cell)
        row(f"MRR@10 {label} (n={len(queries)})", cells)
        row(f"S@1 {label}", [f"{np.mean([runs[n].rr[q] == 1.0 for q in queries]):.3f}" for n in names])
        row(f"S@10 {label}", [f"{np.mean([runs[n].rr[q] > 0 for q in queries]):.3f}" for n in names])

    relevance_rows("overall", [r["query"] for r in relevance])
    for cls in CLASSES:
        relevance_rows(cls, [r["query"] for r in relevance if r["class"] == cls])
    row(f"off-topic queries with any result (n={len(offtopic)})",
        [share(runs[n].offtopic_hits, len(offtopic)) for n in names])
    row("one-character-only hits in the top 10 (queries affected)",
        [f"{share(runs[n].one_char, runs[n].top10)} ({runs[n].one_char_queries})" for n in names])
    for cls in (None,) + COMPLETION_CLASSES:
        cases = [(c["prefix"], c["target"]) for c in completion if cls in (None, c["class"])]
        label = f"completion success@5 {cls or 'overall'} (n={len(cases)})"
        row(label, [f"{np.mean([runs[n].completion_rr[k] > 0 for k in cases]):.3f}" for n in names])
        if cls is None:
            row("completion MRR@5", [f"{np.mean([runs[n].completion_rr[k] for k in cases]):.3f}" for n in names])
    row("suggestions finding no posts", [share(runs[n].empty_suggestions, runs[n].suggestions) for n in names])
    for what in ("search", "suggest"):
        ms = {n: getattr(runs[n], f"{what}_ms") for n in names}
        row(f"{what} p50 / p95 ms (calls)",
            [f"{percentile(ms[n], 50):.1f} / {percentile(ms[n], 95):.1f} ({len(ms[n])})" for n in names])
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--split", choices=("heldout", "tune", "all"), default="heldout")
    ap.add_argument("--ranking", default="current",
                    help="comma-separated names from RANKINGS; the first is the baseline")
    ap.add_argument("--index", type=Path, help="use this ja-docs index instead of the cached build")
    ap.add_argument("--repeat", type=int, default=3, help="timed passes for the latency rows")
    args = ap.parse_args()
    names = list(dict.fromkeys(n.strip() for n in args.ranking.split(",") if n.strip()))
    unknown = [n for n in names if n not in RANKINGS]
    if not names or unknown:
        ap.error(f"unknown ranking {', '.join(unknown) or '(none)'}; known: {', '.join(RANKINGS)}")
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    if args.index is None:
        site = unpacked_corpus()
        if site is None:
            print("ja-docs corpus not found (../shared/corpus/ja-docs)", file=sys.stderr)
            return 1
        index_dir = cached_index(site)
    else:
        index_dir = args.index
    sets = {name: in_split(read_tsv(f"{name}.tsv"), args.split)
            for name in ("relevance", "offtopic", "completion")}
    runs: dict[str, Run] = {}
    try:
        searcher = Searcher(index_dir)
    except SearchError as e:  # no index there, or one of another format
        ap.error(f"--index {index_dir}: {e}")
    with searcher:
        searcher.warm()
        for name in names:
            runs[name] = evaluate(searcher, RANKINGS[name], sets, args.repeat)
        posts = searcher.doc_count
    print(f"\nja-docs quality, {date.today()}: split {args.split}; {posts} posts; "
          f"{len(sets['relevance'])} relevance, {len(sets['offtopic'])} off-topic, "
          f"{len(sets['completion'])} completion cases; index {index_dir}\n")
    print("\n".join(table(names, runs, sets)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
