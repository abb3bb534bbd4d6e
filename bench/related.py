"""Related-posts benchmark on the ja-docs corpus.

    python bench/related.py [--sample N] [--rebuild]

Ground truth: the man pages' SEE ALSO sections (関連項目). Each name such as
`ls(1)` that names another post of the corpus (by its title, `ls(1) - …`)
is a related post. Related posts are computed from the text alone — tags and
categories are ignored (the corpus's tags repeat the SEE ALSO names) — and
compared in the same run with Whoosh's own `more_like()` on the same index,
with several `numterms`. A second set of rows removes the SEE ALSO section
from the source post's text, for both methods, so that neither can simply
read the answer. Against overfitting, the ratios are also given for two
halves of the posts (odd and even positions in file order): a change that
helps only one half is noise. Also measured: the latency of related posts for
one post and for a 5,000-character draft (each in the same process, one call
after another, caches as they come). Prints a Markdown table.

The index (built once, about two minutes) is kept in .cache/ja-docs-related-index.
"""

from __future__ import annotations

import argparse
import math
import random
import re
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import CACHE, unpacked_corpus  # noqa: E402

from search.errors import SearchError  # noqa: E402
from search import build_index  # noqa: E402
from search.text.keyterms import count_key_terms  # noqa: E402
from search import Searcher  # noqa: E402
from search.editorial.related import (  # noqa: E402
    ANALYSED_CHARS,
    MAX_KEY_TERMS,
    Source,
    rank_related,
    related_posts,
    related_to_draft,
)

INDEX = CACHE / "ja-docs-related-index"
K = 5
NUMTERMS = (5, 10, 25)  # more_like() variants (5 is Whoosh's default)
DRAFT_CHARS = 5_000

_TITLE_NAME = re.compile(r'^title:\s*"?([A-Za-z0-9_.+:@-]+)\((\d)[a-z]*\)', re.M)
_REF = re.compile(r"([A-Za-z0-9_.+:@-]+)\((\d)[a-zA-Z]*\)")
_SEE_ALSO = re.compile(r"^## 関連項目\s*$(.*?)(?=^## |\Z)", re.M | re.S)
_SEE_ALSO_TEXT = re.compile(r"(?:^|\n\n)関連項目\n\n.*?(?=\n\n[^\n]{1,30}\n\n|\Z)", re.S)


@dataclass
class Truth:
    slug: str
    related: set[str]


def ground_truth(site: Path) -> list[Truth]:
    """Man pages whose SEE ALSO names at least one other post of the corpus."""
    files = sorted((site / "_posts").glob("*.md"))
    by_name: dict[tuple[str, str], str] = {}
    texts: dict[str, str] = {}
    for f in files:
        slug = re.sub(r"^\d{4}-\d\d-\d\d-", "", f.stem)
        text = f.read_text(encoding="utf-8")
        m = _TITLE_NAME.search(text)
        if m and slug.startswith("man"):
            by_name[(m.group(1).lower(), m.group(2))] = slug
            texts[slug] = text
    truths = []
    for slug, text in texts.items():
        section = _SEE_ALSO.search(text)
        if not section:
            continue
        refs = {by_name.get((n.lower(), s)) for n, s in _REF.findall(section.group(1))}
        refs -= {None, slug}
        if refs:
            truths.append(Truth(slug, refs))  # type: ignore[arg-type]
    return truths


def ensure_index(site: Path, rebuild: bool) -> Path:
    try:
        if not rebuild:
            with Searcher(INDEX) as s:
                if s.doc_count > 2000:
                    return INDEX
    except SearchError:
        pass
    print(f"indexing {site} into {INDEX} ...", file=sys.stderr)
    report = build_index(site, INDEX, rebuild=True)
    print(report.summary(), file=sys.stderr)
    return INDEX


def without_see_also(body: str) -> str:
    return _SEE_ALSO_TEXT.sub("", body)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(p * len(ordered)) - 1)]


@dataclass
class Row:
    name: str
    precision: float
    recall: float
    median_ms: float
    p95_ms: float
    halves: tuple[float, float]  # precision on the posts at odd and at even positions


def evaluate(name: str, truths: list[Truth], run: Callable[[str], list[str]]) -> Row:
    hits_p, hits_r, times = [], [], []
    for t in truths:
        started = time.perf_counter()
        found = run(t.slug)[:K]
        times.append((time.perf_counter() - started) * 1000)
        right = len(set(found) & t.related)
        hits_p.append(right / K)
        hits_r.append(right / len(t.related))
    halves = (statistics.mean(hits_p[1::2] or [0]), statistics.mean(hits_p[0::2] or [0]))
    return Row(name, statistics.mean(hits_p), statistics.mean(hits_r),
               statistics.median(times), percentile(times, 0.95), halves)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sample", type=int, default=0, help="evaluate only N posts (default: all)")
    ap.add_argument("--rebuild", action="store_true", help="rebuild the cached index")
    args = ap.parse_args()
    site = unpacked_corpus()
    if site is None:
        print("ja-docs corpus not found (../shared/corpus/ja-docs)", file=sys.stderr)
        return 1
    truths = ground_truth(site)
    if args.sample:
        truths = random.Random(4).sample(truths, min(args.sample, len(truths)))
    index_dir = ensure_index(site, args.rebuild)

    with Searcher(index_dir) as searcher:
        searcher.warm()
        ws = searcher.snapshot.searcher  # the Whoosh searcher, for more_like
        snapshot = searcher.snapshot

        def docnum(slug: str) -> int:
            return ws.document_number(slug=slug)

        def stored(slug: str) -> dict:
            return ws.stored_fields(docnum(slug))

        def ours(slug: str) -> list[str]:
            return [p.slug for p in related_posts(searcher, slug, K, use_tags=False).related]

        def ours_source(terms_of: Callable[[dict], list], fields: dict | None = None,
                        mentions: bool = True):
            def run(slug: str) -> list[str]:
                d = docnum(slug)
                f = ws.stored_fields(d)
                title_terms = count_key_terms(f["title"], "") if fields is None else ()
                source = Source(terms_of(f), docnum=d, title_terms=title_terms)
                kwargs = {"fields": fields} if fields else {}
                ranked = rank_related(snapshot, source, K, False, mentions=mentions, **kwargs)[0]
                return [p.slug for p in ranked]
            return run

        def more_like(numterms: int, strip: bool = False) -> Callable[[str], list[str]]:
            def run(slug: str) -> list[str]:
                d = docnum(slug)
                text = without_see_also(ws.stored_fields(d)["body"]) if strip else None
                hits = ws.more_like(d, "body", text=text, top=K, numterms=numterms)
                return [h["slug"] for h in hits]
            return run

        rows = [evaluate(f"blogsearch related_posts() (title + first {ANALYSED_CHARS:,} characters)",
                         truths, ours)]
        rows.append(evaluate(
            "blogsearch, whole body analysed (as if key terms were stored at index time)", truths,
            ours_source(lambda f: count_key_terms(f["title"], f["body"], MAX_KEY_TERMS))))
        rows.append(evaluate(
            "blogsearch, body only (no title on either side, so no mentions of titles)", truths,
            ours_source(lambda f: count_key_terms("", f["body"][:ANALYSED_CHARS], MAX_KEY_TERMS),
                        {"body": 1.0}, mentions=False)))
        rows.append(evaluate(
            "blogsearch without mentions of titles (text similarity only)", truths,
            ours_source(lambda f: count_key_terms(f["title"], f["body"][:ANALYSED_CHARS],
                                                  MAX_KEY_TERMS), mentions=False)))
        rows += [evaluate(f"Whoosh more_like(numterms={n})", truths, more_like(n)) for n in NUMTERMS]
        stripped = [evaluate(
            "blogsearch, source without SEE ALSO", truths,
            ours_source(lambda f: count_key_terms(
                f["title"], without_see_also(f["body"])[:ANALYSED_CHARS], MAX_KEY_TERMS)))]
        stripped.append(evaluate(
            "blogsearch without mentions of titles, source without SEE ALSO", truths,
            ours_source(lambda f: count_key_terms(
                f["title"], without_see_also(f["body"])[:ANALYSED_CHARS], MAX_KEY_TERMS),
                mentions=False)))
        stripped += [evaluate(f"Whoosh more_like(numterms={n}), source without SEE ALSO", truths,
                              more_like(n, strip=True)) for n in NUMTERMS]
        post_ms = latency_of_posts(searcher, [t.slug for t in truths])
        draft_ms = latency_of_drafts(searcher, ws)

    report(rows, stripped, truths, post_ms, draft_ms)
    return 0


def latency_of_posts(searcher: Searcher, slugs: list[str]) -> list[float]:
    """Related posts (with tags, as the web layer asks) for each post once."""
    times = []
    for slug in slugs:
        started = time.perf_counter()
        related_posts(searcher, slug, K)
        times.append((time.perf_counter() - started) * 1000)
    return times


def latency_of_drafts(searcher: Searcher, ws) -> list[float]:  # noqa: ANN001
    """Related posts for 5,000-character drafts cut from the longest posts."""
    longest = sorted(ws.all_stored_fields(), key=lambda f: -len(f["body"]))[:60]
    times = []
    for i, f in enumerate(longest):
        body = f["body"][(i % 3) * 1000 :][:DRAFT_CHARS]
        started = time.perf_counter()
        related_to_draft(searcher, "下書き", body, tags=["man1"])
        times.append((time.perf_counter() - started) * 1000)
    return times


def ratios(ours: Row, theirs: Row) -> str:
    """The precision ratio on all posts (odd half, even half)."""
    halves = "/".join(f"{a / b:.2f}×" if b else "-" for a, b in zip(ours.halves, theirs.halves))
    return f"{ours.precision / theirs.precision:.2f}× ({halves})"


def report(rows: list[Row], stripped: list[Row], truths: list[Truth],
           post_ms: list[float], draft_ms: list[float]) -> None:
    sizes = [len(t.related) for t in truths]
    print(f"\nja-docs: {len(truths)} man pages whose SEE ALSO names other posts "
          f"(median {statistics.median(sizes):g} related posts each); text only, "
          f"tags and categories ignored; top {K}; ratios given as all posts "
          f"(posts at odd positions/at even positions)\n")
    print(f"| method | precision@{K} | recall@{K} | median ms | p95 ms |")
    print("|---|---|---|---|---|")
    for r in rows + stripped:
        print(f"| {r.name} | {r.precision:.3f} | {r.recall:.3f} | {r.median_ms:.1f} | {r.p95_ms:.1f} |")
    first = len(rows) - len(NUMTERMS)
    default, best = rows[first], max(rows[first:], key=lambda r: r.precision)
    default_stripped, best_stripped = stripped[2], max(stripped[2:], key=lambda r: r.precision)
    print()
    print(f"- precision@{K}, blogsearch / more_like() with its default numterms=5: "
          f"{ratios(rows[0], default)}; / the best numterms ({best.name}): "
          f"{ratios(rows[0], best)} (target ≥ 1.3×)")
    print(f"- without mentions of titles: {ratios(rows[3], default)} and {ratios(rows[3], best)}")
    print(f"- the same without SEE ALSO in the source: {ratios(stripped[0], default_stripped)} "
          f"and {ratios(stripped[0], best_stripped)}; without mentions of titles: "
          f"{ratios(stripped[1], default_stripped)} and {ratios(stripped[1], best_stripped)}")
    print(f"- related posts for one post (related_posts(), with tags), {len(post_ms)} posts: "
          f"median {statistics.median(post_ms):.1f} ms, p95 {percentile(post_ms, 0.95):.1f} ms (target median < 50 ms)")
    print(f"- related posts for a {DRAFT_CHARS:,}-character draft, {len(draft_ms)} drafts: "
          f"median {statistics.median(draft_ms):.1f} ms, p95 {percentile(draft_ms, 0.95):.1f} ms (target median < 50 ms)")


if __name__ == "__main__":
    sys.exit(main())
