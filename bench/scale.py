"""How blogsearch grows with the number of posts: 1×, 10× and 30× ja-docs.

    python bench/scale.py [--scales 1,10,30] [--duration 15] [--soak 300] [--skip-blog-duplicates]
    python bench/scale.py --scales 1,10 --steps build [--baseline ../main-copy]

Synthesizes (once, deterministically) corpora of ja-docs × N as Jekyll
`_posts` trees under .cache/ja-docs-xN: copy 0 is ja-docs itself; copy k
(1 ≤ k < N) of each post gets a new slug (`<slug>-k`), a date k × 371 days
earlier, its tags plus one tag per copy (`連載07`), a made-up katakana
product name in its title and last paragraph (the vocabulary grows with
the corpus), and its paragraphs dealt from a per-copy shuffle of the
paragraphs of all posts of its category (the text is not N copies of the
same posts, and the corpus has N times ja-docs' characters).

For each scale, in one run (each figure is printed with its growth factor
10×/1× and 30×/10×; a factor above the growth of the corpus is marked
"worse than linear"):

* the full build (`blogsearch index --rebuild` in a subprocess): wall, CPU
  seconds of the whole process tree, peak RSS of the tree (sampled every
  0.1 s), index size;
* incremental runs: after changing one post, after adding 100 posts;
* in-process, on a warmed `Searcher`: the open-and-warm time (and the
  editor tables' warm-up a server does too, before `related`), query
  p50/p95/p99 with snippets (bench/relevance_queries.tsv, 3 passes),
  suggest p95 (prefixes of the queries), `related` for 20 posts and for
  5,000-character drafts, `duplicates` for 20 posts and blog-wide;
* over HTTP, the real server (2 workers × 4 threads, result cache off)
  under bench/load.py's search mix for `--duration` s: searches/s, p50,
  p99; worker RSS (VmRSS, and RssAnon: without the mapped dictionaries all
  processes share) after that warm-up and after `--soak` s of mixed traffic
  (searches, suggest, posts, related, duplicates); the first requests after
  a commit (p99 and max of the 5 s after an ordinary commit, against the
  steady p99 of the 5 s before);
* `blogsearch check` (index against posts).

`--steps build` runs only the build and update rows. `--baseline DIR`
also runs them with the code of another checkout (e.g. a worktree of
main), in the same run, right before this checkout's at each scale, into
its own index folder: its figures are printed as a second table.

Results go to .cache/scale-results.json as they come (a run that stops
half-way keeps what it measured) and a Markdown table is printed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

from corpus import CACHE, REPO, unpacked_corpus  # noqa: E402

RECIPE = "scale-1"  # bump when the synthesis changes: cached corpora are rewritten
RESULTS = CACHE / "scale-results.json"
SAMPLE_POSTS = 20  # posts whose related/duplicates are timed (the same at every scale)
DAYS_PER_COPY = 371
KANA = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン"
KANA_TAIL = "ガギグゲゴザジズゼゾダデドバビブベボパピプペポ"


# --- synthesizing the corpora -------------------------------------------------------


def split_post(text: str) -> tuple[str, str]:
    """(front matter, body) of a post file."""
    if not text.startswith("---"):
        return "", text
    _, front, body = text.split("---", 2)
    return front, body.lstrip("\n")


def made_up_name(rng: random.Random) -> str:
    """A katakana word such as ヌミラゼト: new vocabulary for each synthetic post."""
    return "".join(rng.choice(KANA) for _ in range(rng.randint(3, 5))) + rng.choice(KANA_TAIL)


def quoted(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML string


def read_originals(site: Path) -> list[dict[str, Any]]:
    import yaml

    posts = []
    for path in sorted((site / "_posts").glob("*.md")):
        front, body = split_post(path.read_text(encoding="utf-8"))
        meta = yaml.load(front, Loader=yaml.BaseLoader) or {}  # every value a string
        stem = path.stem
        posts.append({
            "file": path.name, "slug": stem[11:], "meta": meta,
            "date": datetime.fromisoformat(str(meta.get("date", stem[:10])).replace(" +", "+")),
            "paragraphs": [p for p in body.split("\n\n") if p.strip()],
        })
    return posts


def write_copy(target: Path, posts: list[dict[str, Any]], k: int, only: int | None = None) -> list[Path]:
    """Copy k of every post (or of the first `only`) into target/_posts; see the module doc."""
    rng = random.Random(f"{RECIPE}/{k}")
    by_category: dict[str, list[int]] = {}
    for i, p in enumerate(posts):
        by_category.setdefault((p["meta"].get("categories") or [""])[0], []).append(i)
    bodies: dict[int, list[str]] = {}
    for members in by_category.values():
        pool = [para for i in members for para in posts[i]["paragraphs"]]
        rng.shuffle(pool)
        at = 0
        for i in members:
            n = len(posts[i]["paragraphs"])
            bodies[i], at = pool[at : at + n], at + n
    written = []
    for i, p in enumerate(posts[:only] if only else posts):
        meta, name = p["meta"], made_up_name(rng)
        date = p["date"] - timedelta(days=k * DAYS_PER_COPY)
        tags = list(meta.get("tags") or []) + [f"連載{k:02d}"]
        front = [f"title: {quoted(name + '：' + meta.get('title', p['slug']))}",
                 f"date: {date.isoformat(sep=' ')}",
                 f"categories: {quoted_list(meta.get('categories') or [])}",
                 f"tags: {quoted_list(tags)}"]
        if meta.get("author"):
            front.append(f"author: {quoted(meta['author'])}")
        body = "\n\n".join(bodies[i] + [f"{name}についての補足は第{k}版を参照してください。"])
        path = target / "_posts" / f"{date:%Y-%m-%d}-{p['slug']}-{k}.md"
        path.write_text("---\n" + "\n".join(front) + "\n---\n\n" + body + "\n", encoding="utf-8")
        written.append(path)
    return written


def quoted_list(values: list[str]) -> str:
    return "[" + ", ".join(quoted(v) for v in values) + "]"


def synthesized(scale: int) -> Path:
    """The Jekyll site of ja-docs × scale under .cache/ (written once per recipe)."""
    source = unpacked_corpus()
    if source is None:
        sys.exit("bench/scale.py: the ja-docs corpus is missing (see bench/corpus.py)")
    target = CACHE / f"ja-docs-x{scale}"
    marker = target / ".synthesized"
    stamp = f"{RECIPE} {(source / '.unpacked').read_text()}"
    if marker.exists() and marker.read_text() == stamp:
        return target
    print(f"synthesizing {target} ...", file=sys.stderr)
    shutil.rmtree(target, ignore_errors=True)
    (target / "_posts").mkdir(parents=True)
    for path in sorted((source / "_posts").glob("*.md")):
        shutil.copy2(path, target / "_posts" / path.name)
    posts = read_originals(source)
    for k in range(1, scale):
        write_copy(target, posts, k)
    marker.write_text(stamp)
    return target


# --- measuring ----------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[min(len(ordered) - 1, math.ceil(p * len(ordered)) - 1)]


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (0 once it is gone)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


def run_measured(cmd: list[str], code: Path = REPO) -> dict[str, float]:
    """Run `cmd` (in `code`, whose `search` package `cli` runs): wall seconds,
    CPU seconds of its process tree, peak tree RSS (bytes)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BLOGSEARCH_")}
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=code, env=env, stdout=subprocess.DEVNULL)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.1):
            peak[0] = max(peak[0], tree_rss(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    sampler.join()
    if proc.returncode:
        sys.exit(f"bench/scale.py: {' '.join(cmd)} failed ({proc.returncode})")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak_rss": peak[0]}


def byte_compiled(code: Path) -> Path:
    """`code` with its packages byte-compiled, as an installed blogsearch is
    (pip compiles what it installs). Where PYTHONDONTWRITEBYTECODE is set,
    as on the development machine, each command compiled about 25 of its
    own modules from source again: 60 ms of a one-post update."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", "search", "web"], cwd=code, check=True,
                   stdout=subprocess.DEVNULL)
    return code


def cli(*args: str) -> list[str]:
    """The command line, run in a checkout's folder: `-m` imports its `search` first."""
    return [sys.executable, "-m", "search.cli", *args]


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def build_figures(site: Path, index: Path, scale: int, code: Path = REPO) -> dict[str, float]:
    byte_compiled(code)

    def run(*args: str) -> dict[str, float]:
        return run_measured(cli(*args), code)

    full = run("index", "--posts", str(site), "--index", str(index), "--rebuild")
    figures = {"build_s": full["wall"], "build_cpu_s": full["cpu"],
               "build_peak_rss_mb": full["peak_rss"] / 2**20, "index_mb": dir_size(index) / 1e6}
    post = sorted((site / "_posts").glob("*.md"))[0]
    original = post.read_bytes()
    added: list[Path] = []
    try:
        post.write_bytes(original + "\n追記：規模の測定のための変更です。\n".encode())
        one = run("index", "--posts", str(site), "--index", str(index))
        figures |= {"update_one_s": one["wall"], "update_one_cpu_s": one["cpu"]}
        added = write_copy(site, read_originals(unpacked_corpus()), scale, only=100)
        more = run("index", "--posts", str(site), "--index", str(index))
        figures |= {"update_add100_s": more["wall"], "update_add100_cpu_s": more["cpu"]}
    finally:
        post.write_bytes(original)
        for path in added:
            path.unlink()
    run("index", "--posts", str(site), "--index", str(index))  # back to the corpus
    return figures


def timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def sample_slugs() -> list[str]:
    names = sorted(p.stem[11:] for p in (unpacked_corpus() / "_posts").glob("*.md"))
    return names[:: max(1, len(names) // SAMPLE_POSTS)][:SAMPLE_POSTS]


def drafts(count: int = 5, chars: int = 5000) -> list[tuple[str, str]]:
    """(title, body) drafts of `chars` characters of ja-docs text (post bodies in a row)."""
    bodies = [split_post(p.read_text(encoding="utf-8"))[1]
              for p in sorted((unpacked_corpus() / "_posts").glob("*.md"))]
    out = []
    for n in range(count):
        text, i = "", n * len(bodies) // count
        while len(text) < chars:
            text += bodies[i % len(bodies)] + "\n\n"
            i += 1
        out.append((f"下書き{n}", text[:chars]))
    return out


def in_process_figures(index: Path, blog_duplicates: bool) -> dict[str, float]:
    from load import read_queries
    from search import Searcher, blog_duplicates as blog_dups, duplicates_in_post, related_posts, related_to_draft
    from search.editorial.warm import warm_editor

    queries = read_queries()
    started = time.perf_counter()
    searcher = Searcher(index)
    searcher.warm()
    figures = {"open_warm_s": time.perf_counter() - started}
    started = time.perf_counter()
    warm_editor(searcher)  # as a server warms its editor lane: the first related post pays no table
    figures["editor_warm_s"] = time.perf_counter() - started
    try:
        latencies = [timed(lambda: searcher.search(q, per_page=10)) for _ in range(3) for q in queries]
        figures |= {"query_p50_ms": percentile(latencies, 0.5), "query_p95_ms": percentile(latencies, 0.95),
                    "query_p99_ms": percentile(latencies, 0.99)}
        prefixes = [q[:n] for q in queries for n in range(1, min(6, len(q)) + 1)]
        figures["suggest_p95_ms"] = percentile([timed(lambda: searcher.suggest(p)) for p in prefixes], 0.95)
        slugs = sample_slugs()
        related = [timed(lambda: related_posts(searcher, s)) for s in slugs]
        figures |= {"related_post_p50_ms": percentile(related, 0.5), "related_post_p95_ms": percentile(related, 0.95)}
        drafted = [timed(lambda: related_to_draft(searcher, t, b)) for t, b in drafts() for _ in range(2)]
        figures["related_draft_p95_ms"] = percentile(drafted, 0.95)
        dups = [timed(lambda: duplicates_in_post(searcher, s)) for s in slugs]
        figures["duplicates_post_p95_ms"] = percentile(dups, 0.95)
        if blog_duplicates:
            figures["duplicates_blog_s"] = timed(lambda: blog_dups(searcher)) / 1000
    finally:
        searcher.close()
    return figures


def worker_rss_mb(master: int) -> float:
    """The largest resident size of gunicorn's workers, MB."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return max((tree_rss(int(c)) for c in children), default=0) / 2**20


def worker_anon_mb(master: int) -> float:
    """The largest RssAnon of gunicorn's workers, MB: a worker's own memory,
    without the mapped files (MeCab's and Sudachi's dictionaries, the
    libraries) that VmRSS counts and every process shares."""
    largest = 0
    for child in Path(f"/proc/{master}/task/{master}/children").read_text().split():
        try:
            for line in Path(f"/proc/{child}/status").read_text().splitlines():
                if line.startswith("RssAnon:"):
                    largest = max(largest, int(line.split()[1]))
        except OSError:
            continue
    return largest / 1024


def mixed_paths(paths: list[str]) -> list[str]:
    """Searches with suggest, post, related and duplicates requests among them."""
    from urllib.parse import quote

    from load import read_queries

    extra = []
    for i, slug in enumerate(sample_slugs()):
        extra += [f"/api/posts/{quote(slug)}", f"/api/related/{quote(slug)}"]
        if i % 4 == 0:
            extra.append(f"/api/duplicates/{quote(slug)}")
    extra += [f"/api/suggest?q={quote(q[:2])}" for q in read_queries()]
    return [p for pair in zip(paths, extra * (len(paths) // len(extra) + 1)) for p in pair]


def http_figures(site: Path, index: Path, duration: float, soak: float) -> dict[str, float]:
    from load import Server, read_queries, run_clients, search_paths

    # a worker answers once it has warmed the index: at 10x on a loaded machine, minutes
    server = Server(index, workers=2, threads=4, cache_size=0, ready_within=900)
    try:
        paths = search_paths(server.port, read_queries())
        run_clients("warm-up", server.port, paths, 16, 3.0)
        searches = run_clients("search", server.port, paths, 16, duration)[0]
        figures = {"http_searches_per_s": searches.rate, "http_p50_ms": searches.percentile(0.5),
                   "http_p99_ms": searches.percentile(0.99), "worker_rss_warm_mb": worker_rss_mb(server.proc.pid),
                   "worker_anon_warm_mb": worker_anon_mb(server.proc.pid), "http_errors": searches.errors}
        if soak:
            mixed = run_clients("mixed", server.port, mixed_paths(paths), 16, soak)[0]
            busy = mixed.failures.get("HTTP 503", 0)  # duplicates: the editor's bound, by design
            figures |= {"worker_rss_soak_mb": worker_rss_mb(server.proc.pid),
                        "worker_anon_soak_mb": worker_anon_mb(server.proc.pid), "soak_s": soak,
                        "soak_requests": len(mixed.latencies), "soak_busy_503": busy,
                        "soak_errors": mixed.errors - busy}
        figures |= after_commit(site, index, server.port, paths)
    finally:
        server.stop()
    run_measured(cli("index", "--posts", str(site), "--index", str(index)))  # back to the corpus
    return figures


WINDOW = 5.0  # seconds before and after a commit


def after_commit(site: Path, index: Path, port: int, paths: list[str]) -> dict[str, float]:
    """Searches without pause; one post changed and indexed: the requests of
    the WINDOW seconds after the commit appeared in the index folder against
    those of the WINDOW seconds before the index run started."""
    from commit import Clients
    from search.index.schema import index_version

    clients = Clients(port, paths, 16)
    clients.start()
    post = sorted((site / "_posts").glob("*.md"))[1]
    original = post.read_bytes()
    try:
        time.sleep(WINDOW + 1.0)
        before = index_version(index)
        post.write_bytes(original + "\n追記：コミット直後の測定です。\n".encode())
        started = time.monotonic()
        run = subprocess.Popen(cli("index", "--posts", str(site), "--index", str(index)), cwd=REPO,
                               stdout=subprocess.DEVNULL)
        committed = None
        while committed is None and time.monotonic() - started < 600:
            if index_version(index) != before:
                committed = time.monotonic()
            time.sleep(0.01)
        run.wait()
        if committed is None:
            sys.exit("bench/scale.py: the index run committed nothing")
        time.sleep(max(0.0, committed + WINDOW - time.monotonic()))
    finally:
        clients.stop()
        post.write_bytes(original)
    steady = clients.between("steady", started - WINDOW, started)
    after = clients.between("after", committed, committed + WINDOW)
    return {"steady_p99_ms": steady.percentile(0.99), "after_commit_p99_ms": after.percentile(0.99),
            "after_commit_max_ms": after.percentile(1.0), "commit_run_s": committed - started,
            "after_commit_errors": clients.errors}


def check_figures(site: Path, index: Path) -> dict[str, float]:
    return {"check_s": run_measured(cli("check", "--posts", str(site), "--index", str(index)))["wall"]}


# --- reporting ----------------------------------------------------------------------

# figure -> (label, True when it should grow at most linearly with the corpus)
FIGURES = {
    "posts": ("posts", True),
    "build_s": ("full build, wall s", True),
    "build_cpu_s": ("full build, CPU s (process tree)", True),
    "build_peak_rss_mb": ("full build, peak RSS MB (process tree)", True),
    "index_mb": ("index size MB", True),
    "update_one_s": ("update after changing 1 post, s", True),
    "update_one_cpu_s": ("update after changing 1 post, CPU s", True),
    "update_add100_s": ("update after adding 100 posts, s", True),
    "update_add100_cpu_s": ("update after adding 100 posts, CPU s", True),
    "open_warm_s": ("open + warm a searcher, s", True),
    "editor_warm_s": ("warm the editor's tables (related, passages), s", True),
    "query_p50_ms": ("query p50 ms (in-process, snippets)", True),
    "query_p95_ms": ("query p95 ms (in-process, snippets)", True),
    "query_p99_ms": ("query p99 ms (in-process, snippets)", True),
    "suggest_p95_ms": ("suggest p95 ms", True),
    "related_post_p50_ms": ("related, post, p50 ms", True),
    "related_post_p95_ms": ("related, post, p95 ms", True),
    "related_draft_p95_ms": ("related, 5,000-char draft, p95 ms", True),
    "duplicates_post_p95_ms": ("duplicates, post, p95 ms", True),
    "duplicates_blog_s": ("duplicates, blog-wide, s", True),
    "http_searches_per_s": ("HTTP uncached searches/s (16 clients)", False),
    "http_p50_ms": ("HTTP p50 ms", True),
    "http_p99_ms": ("HTTP p99 ms", True),
    "worker_rss_warm_mb": ("worker RSS after warm-up, MB", True),
    "worker_rss_soak_mb": ("worker RSS after the mixed soak, MB", True),
    "worker_anon_warm_mb": ("worker RssAnon after warm-up, MB", True),
    "worker_anon_soak_mb": ("worker RssAnon after the mixed soak, MB", True),
    "steady_p99_ms": ("HTTP p99 ms, 5 s before a commit", True),
    "after_commit_p99_ms": ("HTTP p99 ms, 5 s after a commit", True),
    "after_commit_max_ms": ("HTTP max ms, 5 s after a commit", True),
    "commit_run_s": ("index run until its commit appeared (server busy), s", True),
    "check_s": ("blogsearch check, s", True),
}


def growth_cell(results: dict[str, dict[str, float]], key: str, low: str, high: str) -> str:
    a, b = results.get(low, {}).get(key), results.get(high, {}).get(key)
    if not a or b is None or (isinstance(a, float) and math.isnan(a)):
        return "–"
    factor = b / a
    corpus = results[high]["posts"] / results[low]["posts"]
    worse = factor > corpus * 1.05 if FIGURES[key][1] else factor < 1 / corpus / 1.05
    return f"{factor:.2f}×" + (" **worse than linear**" if worse else "")


def print_table(results: dict[str, dict[str, float]], scales: list[int], suffix: str = "") -> None:
    names = [f"{s}×{suffix}" for s in scales if f"{s}×{suffix}" in results]
    pairs = list(zip(names, names[1:]))
    print("\n| figure | " + " | ".join(names + [f"{b}/{a}" for a, b in pairs]) + " |")
    print("|---|" + "---:|" * (len(names) + len(pairs)))
    for key, (label, _) in FIGURES.items():
        if not any(key in results[n] for n in names):
            continue
        cells = [results[n].get(key) for n in names]
        shown = ["–" if c is None else f"{c:,.0f}" if key == "posts" or c >= 100 else f"{c:.2f}" for c in cells]
        print(f"| {label} | " + " | ".join(shown + [growth_cell(results, key, a, b) for a, b in pairs]) + " |")


TARGETS_10X = [  # (label, figure, test)
    ("build ≤ 10.5× the 1× build", "build_s", lambda r, one: r["build_s"] <= 10.5 * one["build_s"]),
    ("build peak RSS ≤ 2 GB", "build_peak_rss_mb", lambda r, one: r["build_peak_rss_mb"] <= 2048),
    ("update of one post < 1 s", "update_one_s", lambda r, one: r["update_one_s"] < 1),
    ("query p95 ≤ 50 ms in-process", "query_p95_ms", lambda r, one: r["query_p95_ms"] <= 50),
    ("HTTP p99 < 150 ms", "http_p99_ms", lambda r, one: r["http_p99_ms"] < 150),
    ("≥ 150 uncached searches/s", "http_searches_per_s", lambda r, one: r["http_searches_per_s"] >= 150),
    ("worker RSS ≤ 1 GB after the soak", "worker_rss_soak_mb", lambda r, one: r["worker_rss_soak_mb"] <= 1024),
    ("after a commit p99 ≤ 2× steady p99", "after_commit_p99_ms",
     lambda r, one: r["after_commit_p99_ms"] <= 2 * r["steady_p99_ms"]),
    ("related p95 ≤ 100 ms", "related_post_p95_ms", lambda r, one: r["related_post_p95_ms"] <= 100),
]


def print_targets(results: dict[str, dict[str, float]]) -> None:
    one = results.get("1×", {})
    for name in (n for n in ("10×", "30×") if n in results):
        r = results[name]
        checks = []
        for label, key, test in TARGETS_10X:
            try:
                checks.append(f"{label}: {'met' if test(r, one) else 'MISSED'}")
            except KeyError:
                continue
        print(f"\ntargets at {name} (issue 17's 10× targets): " + "; ".join(checks))


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scales", default="1,10,30", help="comma-separated multiples of ja-docs (default 1,10,30)")
    ap.add_argument("--duration", type=float, default=15.0, help="seconds of HTTP searches per scale")
    ap.add_argument("--soak", type=float, default=300.0,
                    help="seconds of mixed HTTP traffic before worker RSS is read again (0: skip)")
    ap.add_argument("--skip-blog-duplicates", action="store_true", help="skip blog-wide duplicates (slow)")
    ap.add_argument("--skip-http", action="store_true", help="skip the server figures")
    ap.add_argument("--baseline", metavar="DIR", type=Path,
                    help="also run the build step with the code of the checkout in DIR, in the same run")
    ap.add_argument("--steps", default="build,in-process,http,check",
                    help="steps to run (default all); figures of other steps are kept from the last run's "
                         f"{RESULTS.name}")
    args = ap.parse_args()
    steps_wanted = set(args.steps.split(","))
    if not steps_wanted <= {"build", "in-process", "http", "check"}:
        ap.error(f"--steps takes build, in-process, http and check, not {args.steps!r}")
    try:
        scales = sorted({int(s) for s in args.scales.split(",")})
    except ValueError:
        ap.error(f"--scales must be whole numbers separated by commas, not {args.scales!r}")
    if not scales or scales[0] < 1:
        ap.error("--scales must be at least 1")
    if args.baseline and not (args.baseline / "search" / "cli.py").is_file():
        ap.error(f"--baseline must be a blogsearch checkout, not {str(args.baseline)!r}")

    results: dict[str, dict[str, float]] = {}
    if steps_wanted != {"build", "in-process", "http", "check"} and RESULTS.exists():
        results = json.loads(RESULTS.read_text())
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    print(f"started {datetime.now():%Y-%m-%d %H:%M}, load average {load_average()}, {os.cpu_count()} CPUs",
          file=sys.stderr)
    for scale in scales:
        site = synthesized(scale)
        index = CACHE / f"ja-docs-x{scale}-index"
        name = f"{scale}×"
        r = results[name] = results.get(name, {}) | {"posts": len(list((site / "_posts").glob("*.md")))}
        if args.baseline and "build" in steps_wanted:
            print(f"{name}: build with {args.baseline} (load average {load_average()}) ...", file=sys.stderr)
            base = results[f"{name} baseline"] = {"posts": r["posts"], "load": load_average()}
            base |= build_figures(site, index.with_name(index.name + "-baseline"), scale,
                                  args.baseline.resolve())
            RESULTS.write_text(json.dumps(results, indent=1))
        steps = [("build", lambda: build_figures(site, index, scale)),
                 ("in-process", lambda: in_process_figures(index, not args.skip_blog_duplicates)),
                 ("check", lambda: check_figures(site, index))]
        if not args.skip_http:
            steps.insert(2, ("http", lambda: http_figures(site, index, args.duration, args.soak)))
        for step, measure in steps:
            if step not in steps_wanted:
                continue
            print(f"{name}: {step} (load average {load_average()}) ...", file=sys.stderr)
            r |= measure()
            RESULTS.write_text(json.dumps(results, indent=1))
    print(f"\nja-docs × {', '.join(map(str, scales))}; finished {datetime.now():%Y-%m-%d %H:%M}, "
          f"load average {load_average()} (1, 5, 15 min), {os.cpu_count()} CPUs; "
          f"HTTP: 16 clients, 2 workers × 4 threads, result cache off, {args.duration:g} s; "
          f"soak {args.soak:g} s")
    print_table(results, [s for s in scales])
    if args.baseline:
        print(f"\nbaseline: the code of {args.baseline}, in the same run")
        print_table(results, [s for s in scales], " baseline")
    print_targets(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
