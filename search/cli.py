"""The `blogsearch` command line: index, query, tokenize; related, duplicates, report.

Configuration is read here and only here: options, with `BLOGSEARCH_*`
environment variables as defaults, each declared in the one table of
settings (`search.settings`). The library takes explicit arguments.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
import unicodedata
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, NoReturn, Sequence, TypeVar
from zoneinfo import ZoneInfo

from search.errors import Invalid, SearchError
from search.ingest.jekyll import CONFIG_FILE, config_files, read_config
from search.ingest.posts import DEFAULT_TIMEZONE, SiteConfig
from search.settings import LIBRARY, check_base_url, check_permalink, check_seconds, check_timezone, env

if TYPE_CHECKING:
    from search.editorial.duplicates import BlogDuplicates, DuplicateReport

# Each command imports what it runs, so `blogsearch tokenize` or `--help`
# loads neither Whoosh nor NumPy (and `serve`, in web.cli, Flask only there).

DEFAULT_INDEX = LIBRARY["INDEX"].default
T = TypeVar("T")


class Parser(argparse.ArgumentParser):
    """argparse, with a mistake on the command line (or in a `BLOGSEARCH_*`
    variable) reported in one line, exit status 2, before anything starts."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


class EnvValue(str):
    """An option's default taken from its environment variable: argparse
    checks a string default with the option's `type` when the option is not
    given, and `checked` then names the variable."""

    variable: str

    def __new__(cls, value: str, variable: str) -> EnvValue:
        self = super().__new__(cls, value)
        self.variable = variable
        return self


def checked(check: Callable[[Any], T]) -> Callable[[str], T]:
    """An argparse `type` from a check that raises ValueError with a message."""
    def parse(value: str) -> T:
        try:
            return check(value)
        except (TypeError, ValueError) as e:
            source = f" (from {value.variable})" if isinstance(value, EnvValue) else ""
            raise argparse.ArgumentTypeError(f"{e}{source}") from None

    parse.__name__ = check.__name__
    return parse


def env_default(name: str, default: Any) -> Any:
    """BLOGSEARCH_<name> as an option's default (checked like the option), else `default`."""
    value = env(name)
    return default if value is None else EnvValue(value, LIBRARY[name].env)


def whole_number(minimum: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        text = str(value).strip()
        if not text.lstrip("-").isdigit() or int(text) < minimum:
            raise ValueError(f"{value!r} is not a whole number of at least {minimum}")
        return int(text)

    check.__name__ = f"whole_number_from_{minimum}"
    return check


def argv_text(value: str) -> str:
    """Text given on the command line. Bytes that are not UTF-8 reach Python
    as lone surrogates (surrogateescape); they become U+FFFD, as a browser
    shows them, so the text can be analysed and printed."""
    try:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # surrogates that are not escaped bytes (main(argv) from Python)
        return _SURROGATE.sub("\ufffd", value)


def add_index_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--index",
        default=env("INDEX", DEFAULT_INDEX),
        help="index folder (env BLOGSEARCH_INDEX, default ./index)",
    )


def add_site_options(p: argparse.ArgumentParser, same_as: str = "") -> None:
    """--config, --base-url, --permalink, --timezone, --future: how posts
    become URLs and dates, and which are published."""
    as_for = f"as for {same_as}; " if same_as else ""
    p.add_argument("--config", default=env("CONFIG"),
                   help=f"{as_for}the site's Jekyll configuration, or several merged left to right "
                        "(a.yml,b.yml), as `jekyll build --config` takes them (env BLOGSEARCH_CONFIG, "
                        f"default: {CONFIG_FILE} in the --posts folder if there is one); the options "
                        "below override it")
    p.add_argument("--base-url", default=env_default("BASE_URL", None), type=checked(check_base_url),
                   help=f"{as_for}prefix of post URLs, e.g. https://blog.example.com or /blog "
                        "(env BLOGSEARCH_BASE_URL, default: url + baseurl of the Jekyll configuration)")
    p.add_argument("--permalink", default=env_default("PERMALINK", None),
                   type=checked(check_permalink),
                   help=f"{as_for}Jekyll permalink style (date, pretty, ordinal, weekdate, none) or "
                        "pattern such as /:categories/:year/:month/:day/:title/ "
                        "(env BLOGSEARCH_PERMALINK, default: the Jekyll configuration's, else date)")
    p.add_argument("--timezone", default=env_default("TIMEZONE", None), type=checked(check_timezone),
                   help=f"{as_for}time zone of dates without an offset (env BLOGSEARCH_TIMEZONE, "
                        f"default: the Jekyll configuration's, else {DEFAULT_TIMEZONE})")
    p.add_argument("--future", action="store_const", const=True, default=None,
                   help=f"{as_for}index posts dated after now too, as `jekyll build --future` "
                        "(default: the Jekyll configuration's `future`, else no)")


def site_config(args: argparse.Namespace) -> SiteConfig:
    """The site's URLs and dates: the options, else the Jekyll configuration
    (`search.ingest.jekyll`), else the settings the index was built with,
    else the defaults. Says on stderr which configuration was used."""
    from search.index.schema import stored_site_config

    jekyll = read_config(config_files(args.posts, args.config))
    stored = None if jekyll.files else stored_site_config(args.index)
    if jekyll.files:
        print(jekyll.describe(), file=sys.stderr)
    elif stored is not None:
        shown = "; ".join(f"{name} {value}" for name, value in
                          (("url", stored.base_url), ("permalink", stored.permalink),
                           ("timezone", stored.timezone)) if value)
        print(f"site settings: as the index in {args.index} was built ({shown})", file=sys.stderr)
    return jekyll.site_config(args.base_url, args.permalink, args.timezone, stored=stored, future=args.future)


def add_timezone_option(p: argparse.ArgumentParser, help: str) -> None:
    p.add_argument("--timezone", default=env_default("TIMEZONE", DEFAULT_TIMEZONE), type=checked(check_timezone),
                   help=f"{help} (env BLOGSEARCH_TIMEZONE, default {DEFAULT_TIMEZONE})")


def installed_version() -> str:
    """The version of the installed package (pyproject.toml's)."""
    import importlib.metadata  # 50 ms: imported only for --version

    try:
        return importlib.metadata.version("blogsearch")
    except importlib.metadata.PackageNotFoundError:  # run from a checkout that is not installed
        return "(not installed)"


class _VersionAction(argparse.Action):
    """argparse's `version` action with the version looked up only when
    asked for (every command started with it: 5 % of a one-post update)."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS,
                 default: str = argparse.SUPPRESS, help: str = "show program's version number and exit") -> None:
        super().__init__(option_strings, dest, nargs=0, default=default, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        print(f"blogsearch {installed_version()}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="blogsearch", description="Search for Japanese Jekyll blogs.")
    parser.add_argument("--version", action=_VersionAction)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("index", help="build or update the index from a folder of posts")
    p.add_argument("--posts", default=env("POSTS"), required=env("POSTS") is None,
                   help="Jekyll site folder (posts in _posts/) or a folder of posts (env BLOGSEARCH_POSTS)")
    add_index_option(p)
    p.add_argument("--rebuild", action="store_true", help="rebuild from scratch")
    add_site_options(p)
    p.add_argument("--procs", type=checked(whole_number(1)), default=None,
                   help="processes to use (default: all cores)")
    p.add_argument("--wait", type=checked(check_seconds), default=env_default("INDEX_WAIT", 30.0),
                   metavar="SECONDS", help="wait this long for another index run on the same index "
                                           "(env BLOGSEARCH_INDEX_WAIT, default 30)")
    p.add_argument("--verbose", "-v", action="store_true",
                   help="name every skipped post file with the reason (the summary names a few)")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("check", help="compare the index with the posts: missing, extra, stale")
    p.add_argument("--posts", default=env("POSTS"), required=env("POSTS") is None,
                   help="Jekyll site folder or a folder of posts (env BLOGSEARCH_POSTS)")
    add_index_option(p)
    add_site_options(p, same_as="index")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("query", help="search the index (the filters and sorts of /api/search)")
    p.add_argument("text", type=argv_text, help="what to search for (one argument; may contain spaces; "
                                                "'' lists the posts matching the filters, newest first)")
    add_index_option(p)
    p.add_argument("--tag", action="append", default=[], type=argv_text,
                   help="only posts with this tag (repeatable: all must match)")
    p.add_argument("--category", type=argv_text, help="only posts in this category")
    p.add_argument("--author", type=argv_text, help="only posts by this author")
    p.add_argument("--from", dest="date_from", type=_day, metavar="YYYY-MM-DD",
                   help="only posts on or after this day (in --timezone)")
    p.add_argument("--to", dest="date_to", type=_day, metavar="YYYY-MM-DD",
                   help="only posts on or before this day (inclusive, in --timezone)")
    p.add_argument("--sort", choices=("relevance", "date"), default="relevance",
                   help="relevance (default) or date (newest first)")
    add_timezone_option(p, "time zone of --from and --to (the blog's)")
    p.add_argument("--limit", type=checked(whole_number(1)), default=10,
                   help="results per page (default 10, at most 50)")
    p.add_argument("--page", type=checked(whole_number(1)), default=1,
                   help="page of results to show (default 1; page × limit at most 1000)")
    p.add_argument("--json", action="store_true", help="print the JSON the web API returns")
    p.set_defaults(func=cmd_query)

    p = sub.add_parser("tokenize", help="show how text is analysed (and, with --index, searched)")
    p.add_argument("text", type=argv_text)
    p.add_argument("--index", metavar="DIR",
                   help="also show what a search of TEXT in this index looks for: each word's weight, "
                        "its paraphrases and synonyms, kana readings, phrases and excluded words")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_tokenize)
    add_editor_commands(sub)
    return parser


def add_editor_commands(sub: argparse._SubParsersAction) -> None:
    """related, duplicates, report: tools for the blog's editors."""
    p = sub.add_parser("related", help="posts related to a post, or to a draft with suggested tags")
    p.add_argument("slug", nargs="?", help="slug of an indexed post")
    p.add_argument("--draft", metavar="FILE", help="a Markdown draft (front matter optional) instead of a slug")
    add_index_option(p)
    p.add_argument("--limit", type=checked(whole_number(1)), default=5, help="related posts to show (default 5)")
    p.add_argument("--no-tags", action="store_true", help="compare the text only, not tags and categories")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_related)

    p = sub.add_parser("duplicates", help="repeated passages: the worst posts, one post, or a draft")
    p.add_argument("slug", nargs="?", help="check this post only")
    p.add_argument("--draft", metavar="FILE", help="check a Markdown draft (against the index too)")
    add_index_option(p)
    p.add_argument("--limit", type=checked(whole_number(1)), default=20, help="posts to list (default 20)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_duplicates)

    p = sub.add_parser("report", help="what readers searched for, and what they did not find")
    p.add_argument("--log", default=env("QUERY_LOG"), required=env("QUERY_LOG") is None,
                   help="query log folder (env BLOGSEARCH_QUERY_LOG)")
    p.add_argument("--since", type=_day, help="first day, YYYY-MM-DD (inclusive)")
    p.add_argument("--until", type=_day, help="last day, YYYY-MM-DD (inclusive)")
    p.add_argument("--limit", type=checked(whole_number(1)), default=20, help="queries per list (default 20)")
    add_timezone_option(p, "time zone of the days")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_report)


PROGRESS_MIN_POSTS = 20  # posts to read before the index command shows a progress bar


class _Progress:
    """The index command's progress bar: posts read, then the writing phase.

    A post counts when it is read (before the builder takes it: the builder
    stops asking after the last file, so a count made on the next request
    never came and the bar sat at 202/203); once all are read the bar says
    the index is being written, and `done` closes it when the build returns."""

    def __init__(self) -> None:
        self.bar: Any = None

    def __call__(self, items: Iterable[Any], total: int) -> Iterator[Any]:
        if total < PROGRESS_MIN_POSTS:  # an update of a few posts: no bar (nor tqdm's thread)
            return iter(items)
        from tqdm import tqdm

        # disable=None: shown only when stderr is a terminal
        self.bar = tqdm(total=total, unit="post", desc="reading posts", disable=None, file=sys.stderr)
        return self._count(items, total)

    def _count(self, items: Iterable[Any], total: int) -> Iterator[Any]:
        for item in items:
            self.bar.update(1)
            if self.bar.n >= total:
                self.writing()
            yield item
        self.writing()

    def writing(self) -> None:
        if self.bar is not None and self.bar.desc != "writing the index":
            self.bar.set_description("writing the index")
            self.bar.refresh()

    def done(self) -> None:
        if self.bar is not None:
            self.bar.set_description("done")
            self.bar.close()


def cmd_index(args: argparse.Namespace) -> int:
    from search.index.build import build_index

    config = site_config(args)
    progress = _Progress()
    try:
        try:
            report = build_index(
                args.posts, args.index, config, rebuild=args.rebuild, procs=args.procs,
                progress=progress, wait=args.wait,
            )
        finally:
            progress.done()
    except OSError as e:
        # e.g. a full disk: the index is still the last complete one
        print(f"blogsearch: cannot write the index in {args.index}: {e.strerror or e}; "
              f"the index is unchanged", file=sys.stderr)
        return 2
    if report.recovered:
        print(f"warning: the index in {args.index} could not be read ({report.recovered}); "
              f"rebuilt it from the posts", file=sys.stderr)
    if report.settings_changed:
        print(f"site settings changed since the index was built: {'; '.join(report.settings_changed)}; "
              f"every post was indexed again with the new ones", file=sys.stderr)
    for error in report.errors:
        print(f"error: {error}", file=sys.stderr)
    _print_skipped(report.skipped_files, args.verbose)
    print(report.summary())
    return 1 if report.errors else 0


SKIPPED_NAMED = 5  # skipped files named without --verbose


SKIP_REASONS = {"unpublished": "published: false", "hidden": "search: false",
                "future": "dated in the future"}


def _print_skipped(files: list[tuple[str, str]], verbose: bool) -> None:
    """The post files left out of the index, and why."""
    shown = files if verbose else files[:SKIPPED_NAMED]
    for path, reason in shown:
        print(f"skipped: {path} ({SKIP_REASONS.get(reason, reason)})", file=sys.stderr)
    if len(files) > len(shown):
        print(f"skipped: {len(files) - len(shown)} more posts (--verbose names them)",
              file=sys.stderr)


def cmd_check(args: argparse.Namespace) -> int:
    from search.index.check import check_index

    config = site_config(args)
    result = check_index(args.posts, args.index, config)
    if args.json:
        _print_json(result.to_dict())
    else:
        if result.settings_changed:
            print(f"settings: the index was built with other site settings "
                  f"({'; '.join(result.settings_changed)}): `blogsearch index` rebuilds every post")
        for kind in ("missing", "extra", "stale", "errors"):
            for item in getattr(result, kind):
                print(f"{kind}: {item}")
        state = "clean" if result.clean else "out of date: run `blogsearch index`"
        print(f"{result.indexed} posts in index, {result.files} post files: {state}")
    return 0 if result.clean else 1


_MARK = re.compile(r"</?mark>")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _plain(snippet_html: str, tty: bool) -> str:
    marks = iter(("\033[1m", "\033[0m") * 1000) if tty else iter(("【", "】") * 1000)
    return html.unescape(_MARK.sub(lambda m: next(marks), snippet_html))


def cmd_query(args: argparse.Namespace) -> int:
    from search.query.searcher import Searcher

    if args.date_from and args.date_to and args.date_from > args.date_to:
        raise Invalid(f"query: --from {args.date_from} is after --to {args.date_to}")
    zone = ZoneInfo(args.timezone)
    date_from = datetime.combine(args.date_from, time.min, zone) if args.date_from else None
    date_to = (datetime.combine(args.date_to + timedelta(days=1), time.min, zone) - timedelta(microseconds=1)
               if args.date_to else None)  # --to includes the whole day, as /api/search's `to`
    with Searcher(args.index) as searcher:
        result = searcher.search(args.text, tags=args.tag, category=args.category, author=args.author,
                                 date_from=date_from, date_to=date_to, sort=args.sort,
                                 page=args.page, per_page=args.limit)
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
    from search.text.morph import analyze

    rows = [
        {"surface": m.surface, "term": m.term, "lemma": m.lemma, "pos": m.pos,
         "reading": m.reading, "kept": m.kept, "start": m.start, "end": m.end}
        for m in analyze(args.text)
    ]
    plan = _search_plan(args.index, args.text) if args.index else None
    if args.json:
        print(json.dumps(rows if plan is None else {"words": rows, "search": plan}, ensure_ascii=False, indent=2))
        return 0
    print(_pad("surface", 14) + _pad("term", 14) + _pad("lemma", 14) + _pad("part of speech", 26) + "kept")
    for r in rows:
        print(_pad(r["surface"], 14) + _pad(r["term"], 14) + _pad(r["lemma"], 14)
              + _pad(r["pos"], 26) + ("kept" if r["kept"] else "dropped"))
    if plan is not None:
        print("\nsearched for (weight; a post must contain enough of the words, see README 'Noise')")
        for w in plan["words"]:
            print(f"  {w['term']:<12} {w['weight']:.2f}  (typed {w['surface']})")
            for e in w["paraphrases"]:
                print(f"    + {e['term']:<10} {e['weight']:.2f}  {e['kind']}")
        for g in plan["readings"]:
            print(f"  {g['chunk']} read as: " + " / ".join(
                "|".join(f"{t['term']} {t['weight']:.2f}" for t in seg) for seg in g["segments"]))
        for label in ("phrases", "excluded"):
            for ph in plan[label]:
                print(f"  {label[:-1] if label == 'phrases' else 'excluded'}: {ph}")
    return 0


def _search_plan(index: str, text: str) -> dict[str, Any]:
    """What a search of `text` in an index looks for (tokenize --index)."""
    from search.query.rank import READING_WEIGHT
    from search.query.searcher import Searcher

    with Searcher(index) as searcher:
        plan = searcher.plan(text)
    return {
        "words": [{"term": t.text, "surface": t.surface, "weight": t.weight,
                   "paraphrases": [{"term": e.text, "weight": e.weight, "kind": e.kind}
                                   for e in plan.expansions_of(t.text)]}
                  for t in plan.terms],
        "readings": [{"chunk": g.chunk, "segments": [[{"term": t.text, "weight": t.weight * READING_WEIGHT}
                                                      for t in seg] for seg in g.segments]}
                     for g in plan.readings],
        "phrases": [p.text for p in plan.phrases],
        "excluded": [p.text for p in plan.excluded],
        "bigram_runs": ["".join(b[0] for b in run) + run[-1][-1] for run in plan.ngram_runs if run],
    }


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a day in YYYY-MM-DD form: {text!r}") from None


def _print_json(data: Any) -> int:
    print(json.dumps(data, ensure_ascii=False, indent=2))
    return 0


def _one_source(args: argparse.Namespace) -> None:
    if bool(args.slug) == bool(args.draft):
        raise Invalid(f"{args.command}: give either a post's SLUG or --draft FILE")


def cmd_related(args: argparse.Namespace) -> int:
    from search.editorial.related import DraftResult, related_posts, related_to_draft
    from search.ingest.drafts import read_draft
    from search.query.searcher import Searcher

    _one_source(args)
    with Searcher(args.index) as searcher:
        if args.draft:
            d = read_draft(args.draft)
            result = related_to_draft(searcher, d.title, d.body, d.tags, args.limit,
                                      categories=d.categories, use_tags=not args.no_tags)
        else:
            result = related_posts(searcher, args.slug, args.limit, use_tags=not args.no_tags)
    if args.json:
        return _print_json(result.to_dict())
    name = f"{result.title} ({args.slug})" if args.slug else f"{result.title or '(untitled)'} ({args.draft})"
    print(f"Related to {name}\nkey terms: {', '.join(result.key_terms[:15])}")
    for rank, post in enumerate(result.related, 1):
        print(f"\n{rank}. {post.title}  (score {post.score:.2f})\n   {post.url}")
        print(f"   shared words: {', '.join(post.shared_terms) or '-'}"
              f"; tags: {', '.join(post.shared_tags + post.shared_categories) or '-'}")
    if isinstance(result, DraftResult):
        tags = ", ".join(f"{t.tag} ({t.score:.2f})" for t in result.suggested_tags)
        print(f"\nsuggested tags: {tags or '-'}")
    return 0


def cmd_duplicates(args: argparse.Namespace) -> int:
    from search.editorial.duplicates import (
        BlogDuplicates, blog_duplicates, duplicates_in_draft, duplicates_in_post,
    )
    from search.ingest.drafts import read_draft
    from search.query.searcher import Searcher

    with Searcher(args.index) as searcher:
        if args.draft:
            d = read_draft(args.draft)
            result: DuplicateReport | BlogDuplicates = duplicates_in_draft(searcher, d.body, d.title)
        elif args.slug:
            result = duplicates_in_post(searcher, args.slug)
        else:
            result = blog_duplicates(searcher, args.limit)
    if args.json:
        return _print_json(result.to_dict())
    if isinstance(result, BlogDuplicates):
        _print_blog_duplicates(result)
    else:
        _print_duplicates(result, args.slug or args.draft)
    return 0


def _print_blog_duplicates(result: BlogDuplicates) -> None:
    from search.editorial.duplicates import TEMPLATE_POSTS

    print(f"{_plural(result.posts, 'post')} checked: {result.with_repeats:,} "
          f"{'repeats paragraphs of its' if result.with_repeats == 1 else 'repeat paragraphs of their'} own, "
          f"{result.with_shared:,} {'shares' if result.with_shared == 1 else 'share'} paragraphs with other posts")
    if result.worst:
        print(f"\ncharacters repeated in the post, and shared with other posts (passages in more "
              f"than {TEMPLATE_POSTS} posts are templates, not counted)\n{'repeated':>9} {'shared':>7}  post")
    for line in result.worst:
        print(f"{line.repeated_chars:>9,} {line.shared_chars:>7,}  {line.slug}  {line.title}")


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else plural or word + 's'}"


def _print_duplicates(result: DuplicateReport, name: str) -> None:
    """Paragraphs numbered from 1 and characters counted from 1, as the editor page shows
    them (the JSON keeps the library's 0-based `paragraph` and `[start:end]` offsets)."""
    print(f"{name}: {_plural(len(result.repeated), 'repeated paragraph')} "
          f"({_plural(result.repeated_chars, 'character')}), "
          f"{_plural(len(result.shared), 'passage')} shared with other posts")
    for r in result.repeated:
        print(f"  ¶{r.second.paragraph + 1} (characters {r.second.start + 1}–{r.second.end}) repeats "
              f"¶{r.first.paragraph + 1} (characters {r.first.start + 1}–{r.first.end}) "
              f"({r.kind}, {r.similarity:.2f}): {r.excerpt}")
    for r in result.shared:
        print(f"  ¶{r.second.paragraph + 1} (characters {r.second.start + 1}–{r.second.end}) is in "
              f"{r.first.slug} ¶{r.first.paragraph + 1} ({r.kind}, {_plural(r.posts, 'post')}): {r.excerpt}")


def cmd_report(args: argparse.Namespace) -> int:
    from search.editorial import querylog

    result = querylog.report(args.log, args.since, args.until, args.limit, args.timezone)
    if args.json:
        return _print_json(result.to_dict())
    period = f"{result.since or 'start'} – {result.until or 'now'}"
    print(f"{period}: {result.searches:,} searches, {result.zero_result_searches:,} found nothing, "
          f"{result.distinct_queries:,} distinct queries")
    for heading, rows in (("Top queries", result.top_queries), ("Found nothing", result.top_zero_results)):
        print(f"\n{heading}\n{'searches':>9} {'nothing':>8}  query")
        for row in rows:
            print(f"{row.searches:>9,} {row.zero_results:>8,}  {row.query}")
    return 0


def _pad(text: str, width: int) -> str:
    """Pad to a terminal width, counting East Asian wide characters as two."""
    text = text.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(1, width - used)


def main(argv: Sequence[str] | None = None, parser: argparse.ArgumentParser | None = None) -> int:
    """Run a command; `parser` lets the web package add its own (serve)."""
    args = (parser or build_parser()).parse_args(argv)
    try:
        return args.func(args)
    except SearchError as e:
        print(f"blogsearch: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
