"""The `blogsearch` command line: index, query, tokenize.

Configuration is read here and only here: options, with `BLOGSEARCH_*`
environment variables as defaults. The library takes explicit arguments.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import sys
import unicodedata
from typing import Any, Iterable, Sequence

from search.errors import SearchError
from search.indexer import build_index
from search.morph import analyze
from search.posts import DEFAULT_PERMALINK, DEFAULT_TIMEZONE, SiteConfig
from search.query import Searcher

DEFAULT_INDEX = "index"


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"BLOGSEARCH_{name}", default)


def add_index_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--index",
        default=env("INDEX", DEFAULT_INDEX),
        help="index folder (env BLOGSEARCH_INDEX, default ./index)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="blogsearch", description="Search for Japanese Jekyll blogs."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("index", help="build or update the index from a folder of posts")
    p.add_argument("--posts", default=env("POSTS"), required=env("POSTS") is None,
                   help="Jekyll site folder (posts in _posts/) or a folder of posts (env BLOGSEARCH_POSTS)")
    add_index_option(p)
    p.add_argument("--rebuild", action="store_true", help="rebuild from scratch")
    p.add_argument("--base-url", default=env("BASE_URL", ""),
                   help="prefix of post URLs, e.g. https://blog.example.com (env BLOGSEARCH_BASE_URL)")
    p.add_argument("--permalink", default=env("PERMALINK", DEFAULT_PERMALINK),
                   help="Jekyll permalink style or pattern (env BLOGSEARCH_PERMALINK, default date)")
    p.add_argument("--timezone", default=env("TIMEZONE", DEFAULT_TIMEZONE),
                   help="time zone of dates without an offset (env BLOGSEARCH_TIMEZONE, default Asia/Tokyo)")
    p.add_argument("--procs", type=int, default=None, help="processes to use (default: all cores)")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("query", help="search the index")
    p.add_argument("text", help="what to search for (one argument; may contain spaces)")
    add_index_option(p)
    p.add_argument("--tag", action="append", default=[], help="only posts with this tag (repeatable)")
    p.add_argument("--limit", type=int, default=10, help="results per page (default 10, at most 50)")
    p.add_argument("--page", type=int, default=1)
    p.add_argument("--json", action="store_true", help="print the JSON the web API returns")
    p.set_defaults(func=cmd_query)

    p = sub.add_parser("tokenize", help="show how text is analysed")
    p.add_argument("text")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_tokenize)
    return parser


def _progress(items: Iterable[Any], total: int) -> Iterable[Any]:
    from tqdm import tqdm

    # disable=None: shown only when stderr is a terminal
    return tqdm(items, total=total, unit="post", disable=None, file=sys.stderr)


def cmd_index(args: argparse.Namespace) -> int:
    config = SiteConfig(base_url=args.base_url, permalink=args.permalink, timezone=args.timezone)
    report = build_index(
        args.posts, args.index, config, rebuild=args.rebuild, procs=args.procs, progress=_progress
    )
    for error in report.errors:
        print(f"error: {error}", file=sys.stderr)
    print(report.summary())
    return 1 if report.errors else 0


_MARK = re.compile(r"</?mark>")


def _plain(snippet_html: str, tty: bool) -> str:
    marks = iter(("\033[1m", "\033[0m") * 1000) if tty else iter(("【", "】") * 1000)
    return html.unescape(_MARK.sub(lambda m: next(marks), snippet_html))


def cmd_query(args: argparse.Namespace) -> int:
    with Searcher(args.index) as searcher:
        result = searcher.search(args.text, tags=args.tag, page=args.page, per_page=args.limit)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return 0
    tty = sys.stdout.isatty()
    print(f"{result.total} posts match {result.query!r}")
    first = (result.page - 1) * result.per_page
    for rank, hit in enumerate(result.hits, first + 1):
        print(f"\n{rank}. {hit.title}  ({hit.date[:10]}, score {hit.score:.2f})")
        print(f"   {hit.url}")
        print(f"   {_plain(hit.snippet_html, tty)}")
    return 0


def cmd_tokenize(args: argparse.Namespace) -> int:
    rows = [
        {"surface": m.surface, "term": m.term, "lemma": m.lemma, "pos": m.pos,
         "reading": m.reading, "kept": m.kept, "start": m.start, "end": m.end}
        for m in analyze(args.text)
    ]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    print(_pad("surface", 14) + _pad("term", 14) + _pad("lemma", 14) + _pad("part of speech", 26) + "kept")
    for r in rows:
        print(_pad(r["surface"], 14) + _pad(r["term"], 14) + _pad(r["lemma"], 14)
              + _pad(r["pos"], 26) + ("kept" if r["kept"] else "dropped"))
    return 0


def _pad(text: str, width: int) -> str:
    """Pad to a terminal width, counting East Asian wide characters as two."""
    text = text.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(1, width - used)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except SearchError as e:
        print(f"blogsearch: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
