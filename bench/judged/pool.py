"""The judging pool of a relevance query: what two rankings put in their top N.

    python bench/judged/pool.py QUERY [QUERY ...] [--depth 20] [--index DIR]
    python bench/judged/pool.py --tsv bench/judged/relevance.tsv [--unjudged]

For each query, the union of the top `--depth` posts of

* (a) blogsearch's ranking (`Searcher.search(q, per_page=depth)`), and
* (b) a plain BM25 OR over character bigrams of title + body (NFKC, lower
  case; ASCII words whole), k1 = 1.2, b = 0.75, no boosts,

listed with the rank in each and the title, and `*` beside the posts already
judged relevant in the TSV. A judge reads the listed posts and adds every one
that answers the query to the `relevant` column. `--unjudged` lists only the
pool members not yet marked. The bigram index is cached under .cache/.
"""

from __future__ import annotations

import argparse
import csv
import json
import pickle
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from corpus import CACHE, unpacked_corpus  # noqa: E402

from quality import cached_index  # noqa: E402

from search import Searcher  # noqa: E402

CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff々〆ー]+")
ASCII_WORD = re.compile(r"[a-z0-9_]+")


def bigrams(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).lower()
    out = ASCII_WORD.findall(text)
    for run in CJK_RUN.findall(text):
        out += [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
    return out


class BigramBM25:
    def __init__(self, docs: list[dict]) -> None:
        self.slugs = [d["id"] for d in docs]
        self.titles = [d["title"] for d in docs]
        postings: dict[str, dict[int, int]] = {}
        lengths = []
        for i, d in enumerate(docs):
            counts = Counter(bigrams(d["title"] + "\n" + d["body"]))
            lengths.append(sum(counts.values()))
            for term, tf in counts.items():
                postings.setdefault(term, {})[i] = tf
        self.lengths = np.array(lengths, dtype=np.float64)
        self.postings = {t: (np.fromiter(p, np.int64), np.fromiter(p.values(), np.float64))
                         for t, p in postings.items()}

    def search(self, q: str, depth: int) -> list[str]:
        n, avg = len(self.slugs), self.lengths.mean()
        scores = np.zeros(n)
        for term in set(bigrams(q)):
            if term not in self.postings:
                continue
            docs, tf = self.postings[term]
            idf = np.log(1 + (n - len(docs) + 0.5) / (len(docs) + 0.5))
            norm = 1.2 * (1 - 0.75 + 0.75 * self.lengths[docs] / avg)
            scores[docs] += idf * tf * 2.2 / (tf + norm)
        top = np.argsort(-scores, kind="stable")[:depth]
        return [self.slugs[i] for i in top if scores[i] > 0]


def bigram_index(site: Path) -> BigramBM25:
    jsonl = site / "corpus.jsonl"
    cached = CACHE / "judged-bigram.pickle"
    if cached.exists() and cached.stat().st_mtime >= jsonl.stat().st_mtime:
        with cached.open("rb") as f:
            return pickle.load(f)
    docs = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    index = BigramBM25(docs)
    with cached.open("wb") as f:
        pickle.dump(index, f)
    return index


def read_judged(path: Path) -> dict[str, list[str]]:
    with path.open(encoding="utf-8") as f:
        rows = csv.DictReader((line for line in f if not line.startswith("#")), delimiter="\t")
        return {r["query"]: r["relevant"].split(",") for r in rows}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("queries", nargs="*")
    ap.add_argument("--tsv", type=Path, help="pool every query of this relevance TSV")
    ap.add_argument("--depth", type=int, default=20)
    ap.add_argument("--index", type=Path,
                    help="a blogsearch index of ja-docs (default: the one bench/quality.py caches)")
    ap.add_argument("--unjudged", action="store_true", help="list only pool members not yet judged")
    args = ap.parse_args()
    site = unpacked_corpus()
    if site is None:
        ap.error("ja-docs corpus not found (../shared/corpus/ja-docs)")
    judged = read_judged(args.tsv) if args.tsv else {}
    queries = args.queries or list(judged)
    if not queries:
        ap.error("give queries or --tsv")
    bm25 = bigram_index(site)
    index_dir = args.index or cached_index(site)
    title = dict(zip(bm25.slugs, bm25.titles))
    with Searcher(index_dir) as searcher:
        for q in queries:
            ours = [h.slug for h in searcher.search(q, per_page=args.depth).hits]
            plain = bm25.search(q, args.depth)
            relevant = judged.get(q, [])
            print(f"\n## {q}    relevant: {','.join(relevant)}")
            for slug in dict.fromkeys(ours + plain):
                if args.unjudged and slug in relevant:
                    continue
                a = ours.index(slug) + 1 if slug in ours else "-"
                b = plain.index(slug) + 1 if slug in plain else "-"
                mark = "*" if slug in relevant else " "
                print(f"{mark} {a!s:>2} {b!s:>2}  {slug:<40} {title[slug][:60]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
