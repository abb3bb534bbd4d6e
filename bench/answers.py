"""The answers of one checkout's code to the judged queries, to compare two checkouts.

    PYTHONHASHSEED=0 python bench/answers.py CHECKOUT INDEX OUT.json [--repeat N]

Imports `search` from CHECKOUT (e.g. a worktree of main, or this one),
searches INDEX with the distinct queries of bench/judged/ (relevance and
off-topic queries, misspellings and their corrections, completion targets)
and writes each one's top 10 (slug, score, title and snippet HTML, sections),
total, facets and "did you mean" to OUT.json. Two checkouts answer alike when
`cmp` finds the two files equal. With `--repeat N`, also prints the wall and
CPU (thread) time per search over N more passes, p50/p95/p99.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from pathlib import Path

JUDGED = Path(__file__).resolve().parent / "judged"


def judged_queries() -> list[str]:
    def rows(name: str) -> list[dict[str, str]]:
        with (JUDGED / name).open(encoding="utf-8") as f:
            return list(csv.DictReader((line for line in f if not line.startswith("#")), delimiter="\t"))

    queries = [r["query"] for r in rows("relevance.tsv")] + [r["query"] for r in rows("offtopic.tsv")]
    queries += [r[k] for r in rows("spelling.tsv") for k in ("query", "correction")]
    queries += [r["target"] for r in rows("completion.tsv")]
    return list(dict.fromkeys(queries))


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    at = lambda p: ordered[min(len(ordered) - 1, int(p * len(ordered)))]  # noqa: E731
    return f"p50 {at(0.5):.1f} p95 {at(0.95):.1f} p99 {at(0.99):.1f} mean {sum(ordered) / len(ordered):.1f} ms"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checkout", type=Path)
    ap.add_argument("index", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--repeat", type=int, default=0, help="timed passes after the answers")
    args = ap.parse_args()
    if not (args.checkout / "search" / "__init__.py").is_file():
        ap.error(f"{str(args.checkout)!r} is not a blogsearch checkout")
    sys.path.insert(0, str(args.checkout.resolve()))
    import search
    from search import Searcher

    if not Path(search.__file__).resolve().is_relative_to(args.checkout.resolve()):
        sys.exit(f"bench/answers.py: imported search from {search.__file__}, not from {args.checkout}")
    queries = judged_queries()
    searcher = Searcher(args.index)
    searcher.warm()
    answers = {}
    for q in queries:
        r = searcher.search(q, per_page=10)
        answers[q] = {"top": [[h.slug, h.score, h.title_html, h.snippet_html, h.section, h.sections]
                              for h in r.hits],
                      "total": r.total, "facets": r.facets, "did_you_mean": r.did_you_mean}
    args.out.write_text(json.dumps(answers, ensure_ascii=False, sort_keys=True, indent=0), encoding="utf-8")
    print(f"{len(queries)} queries answered into {args.out}", file=sys.stderr)
    if args.repeat:
        wall, cpu = [], []
        for _ in range(args.repeat):
            for q in queries:
                started, cpu_started = time.perf_counter(), time.thread_time()
                searcher.search(q, per_page=10)
                cpu.append((time.thread_time() - cpu_started) * 1000)
                wall.append((time.perf_counter() - started) * 1000)
        print(f"{args.checkout}: wall {percentiles(wall)}; CPU {percentiles(cpu)}; "
              f"load average {os.getloadavg()[0]:.1f}")
    searcher.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
