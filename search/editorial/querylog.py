"""A local, append-only log of searches, and reports of what readers looked for.

One JSON object per line in `queries.jsonl` inside the log folder, a search:
`{"time": "2026-01-17T07:38:30Z", "query": "…", "filters": {…}, "results": 3}`,
or a result of a search opened by the reader (for the click-through rate):
`{"time": "…", "query": "…", "opened": "<slug>", "rank": 2}`.
The query is stored as `search.query.plan.clean_text` leaves it; only the filter
keys in FILTER_KEYS are kept. Nothing about the reader (address, cookies,
user agent) is ever accepted. Which searches to log (the ones a reader settled
on, not each keystroke or page turn) is the caller's choice (web.querylog).

Appends are safe across threads and processes: each line is written with
one `write()` on a descriptor opened with O_APPEND. When the file passes
`max_bytes` it is rotated (`queries.jsonl` → `queries.1.jsonl` → …, keeping
`keep` old files) under an exclusive `flock`, re-checking the size once the
lock is held so that concurrent writers rotate only once. A `QueryLog(None)`
records nothing: that is the one switch to turn logging off.
"""

from __future__ import annotations

import fcntl
import json
import os
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator, Mapping
from zoneinfo import ZoneInfo

from search.errors import Invalid, Unavailable
from search.query.plan import clean_text

LOG_NAME = "queries.jsonl"
LOCK_NAME = ".queries.lock"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_KEEP = 5
FILTER_KEYS = ("tags", "category", "author", "date_from", "date_to", "sort", "page")
MAX_FILTER_CHARS = 100  # per value
MAX_FILTER_VALUES = 10  # per key
MAX_SLUG_CHARS = 200
UNOPENED_MIN_SEARCHES = 2  # a query searched this often, with results, none ever opened


# The widest days whose midnight exists in every time zone (datetime's range
# is years 1-9999 and `until` counts up to the next midnight).
FIRST_DAY = date(1, 1, 2)
LAST_DAY = date(9999, 12, 30)


class QueryLogError(Unavailable):
    """The query log folder cannot be used."""


class PeriodError(Invalid):
    """A report's first or last day outside FIRST_DAY .. LAST_DAY."""

    code = "invalid_date"


def check_day(name: str, day: date | None) -> None:
    """Raise PeriodError unless `day` (a report's `since` or `until`) is a
    day reports can count from or to."""
    if day is not None and not FIRST_DAY <= day <= LAST_DAY:
        raise PeriodError(f"{name} {day.isoformat()} is out of range: "
                          f"give a day from {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}")


class QueryLog:
    """Appends searches to a log folder; `QueryLog(None)` is switched off."""

    def __init__(
        self,
        log_dir: str | os.PathLike[str] | None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        keep: int = DEFAULT_KEEP,
    ) -> None:
        self.log_dir = Path(log_dir) if log_dir is not None else None
        self.max_bytes = max_bytes
        self.keep = max(keep, 0)
        if self.log_dir is not None:
            try:
                self.log_dir.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise QueryLogError(f"cannot create the query log folder {self.log_dir}: {e}") from None

    @property
    def enabled(self) -> bool:
        return self.log_dir is not None

    @property
    def path(self) -> Path | None:
        return self.log_dir / LOG_NAME if self.log_dir else None

    def record(
        self,
        query: str,
        results: int,
        filters: Mapping[str, Any] | None = None,
        when: datetime | None = None,
    ) -> None:
        """Append one search. Does nothing when the log is switched off."""
        if self.log_dir is None:
            return
        self._append(log_line(query, results, filters, when))

    def record_open(self, query: str, slug: str, rank: int | None = None,
                    when: datetime | None = None) -> None:
        """Append that result `slug` (at `rank`, from 1) of a search for `query` was opened."""
        if self.log_dir is None:
            return
        self._append(open_line(query, slug, rank, when))

    def _append(self, line: bytes) -> None:
        assert self.log_dir is not None
        fd = os.open(self.log_dir / LOG_NAME, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, line)
            size = os.fstat(fd).st_size
        finally:
            os.close(fd)
        if self.max_bytes and size >= self.max_bytes:
            self.rotate()

    def rotate(self, force: bool = False) -> None:
        """Shift the files one place (dropping the oldest) if the current one is full."""
        assert self.log_dir is not None
        with open(self.log_dir / LOCK_NAME, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            current = self.log_dir / LOG_NAME
            try:
                if not force and current.stat().st_size < self.max_bytes:
                    return  # another writer rotated it while we waited
            except FileNotFoundError:
                return
            for i in range(self.keep, 0, -1):
                older = self.log_dir / rotated_name(i)
                newer = current if i == 1 else self.log_dir / rotated_name(i - 1)
                if newer.exists():
                    os.replace(newer, older)
            if self.keep == 0:
                current.unlink(missing_ok=True)


def rotated_name(i: int) -> str:
    return LOG_NAME.replace(".jsonl", f".{i}.jsonl")


def log_line(
    query: str, results: int, filters: Mapping[str, Any] | None, when: datetime | None
) -> bytes:
    """One encoded log line (ends with a newline; no raw newline inside)."""
    when = (when or datetime.now(timezone.utc)).astimezone(timezone.utc)
    entry = {
        "time": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "query": clean_text(query),
        "filters": clean_filters(filters or {}),
        "results": max(int(results), 0),
    }
    return (json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def open_line(query: str, slug: str, rank: int | None, when: datetime | None) -> bytes:
    """One encoded line: a result of a search was opened."""
    when = (when or datetime.now(timezone.utc)).astimezone(timezone.utc)
    entry: dict[str, Any] = {"time": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "query": clean_text(query),
                             "opened": clean_text(slug)[:MAX_SLUG_CHARS]}
    if isinstance(rank, int) and 0 < rank < 10_000:
        entry["rank"] = rank
    return (json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def clean_filters(filters: Mapping[str, Any]) -> dict[str, Any]:
    """Known filter keys only, with short printable values; empty ones dropped."""
    kept: dict[str, Any] = {}
    for key in FILTER_KEYS:
        value = filters.get(key)
        if isinstance(value, (list, tuple)):
            values = [_short(v) for v in value[:MAX_FILTER_VALUES] if v not in (None, "")]
            if values:
                kept[key] = values
        elif value not in (None, ""):
            kept[key] = _short(value)
    return kept


def _short(value: Any) -> Any:
    if isinstance(value, (bool, int)):
        return value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return clean_text(str(value))[:MAX_FILTER_CHARS]


@dataclass
class QueryCount:
    query: str  # as most often typed
    searches: int
    zero_results: int  # searches of it that found nothing
    last: str  # time of the latest, ISO 8601 in the report's time zone (`Z` for UTC)
    opened: int = 0  # results of it opened by readers

    @property
    def open_rate(self) -> float:
        """Opened results per search that found something (the click-through rate), at most 1."""
        found = self.searches - self.zero_results
        return min(self.opened / found, 1.0) if found else 0.0


@dataclass
class DayCount:
    day: str  # YYYY-MM-DD in the report's time zone
    searches: int = 0
    zero_results: int = 0

    @property
    def zero_share(self) -> float:
        return self.zero_results / self.searches if self.searches else 0.0


@dataclass
class Report:
    since: str | None  # first day, inclusive
    until: str | None  # last day, inclusive
    searches: int = 0
    zero_result_searches: int = 0
    distinct_queries: int = 0
    unreadable_lines: int = 0
    opened: int = 0  # results opened
    timezone: str = "UTC"
    top_queries: list[QueryCount] = field(default_factory=list)
    top_zero_results: list[QueryCount] = field(default_factory=list)
    unopened: list[QueryCount] = field(default_factory=list)  # found something, nobody opened it
    days: list[DayCount] = field(default_factory=list)  # every day from the first search to the last

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("top_queries", "top_zero_results", "unopened"):
            for row, count in zip(data[name], getattr(self, name)):
                row["open_rate"] = round(count.open_rate, 3)
        return data


def report(
    log_dir: str | os.PathLike[str],
    since: date | None = None,
    until: date | None = None,
    limit: int = 20,
    tz: str = "UTC",
) -> Report:
    """The most frequent queries, and those that found nothing, between two days.

    Days are inclusive and count in time zone `tz`; PeriodError for days
    out of range (see `check_day`).
    """
    check_day("since", since)
    check_day("until", until)
    zone = ZoneInfo(tz)
    start, end = _period(since, until, zone)
    result = Report(since.isoformat() if since else None, until.isoformat() if until else None, timezone=tz)
    groups: dict[str, _Group] = {}
    days: dict[date, DayCount] = {}
    for entry in read_entries(log_dir, result):
        when = entry["when"]
        if (start and when < start) or (end and when >= end):
            continue
        key = unicodedata.normalize("NFKC", entry["query"]).casefold()
        if "opened" in entry:  # a result opened, not a search
            result.opened += 1
            if entry["query"]:
                groups.setdefault(key, _Group()).opened += 1
            continue
        result.searches += 1
        zero = entry["results"] == 0
        result.zero_result_searches += zero
        local = when.astimezone(zone)
        day = days.setdefault(local.date(), DayCount(local.date().isoformat()))
        day.searches += 1
        day.zero_results += zero
        if entry["query"]:
            groups.setdefault(key, _Group()).add(entry["query"], zero, local)
    counts = [g.count() for g in groups.values() if g.forms]  # opens of a search outside the period: no row
    result.distinct_queries = len(counts)
    counts.sort(key=lambda c: (-c.searches, c.query))
    result.top_queries = counts[:limit]
    zeros = [c for c in counts if c.zero_results]
    zeros.sort(key=lambda c: (-c.zero_results, c.query))
    result.top_zero_results = zeros[:limit]
    unopened = [c for c in counts if not c.opened and c.searches - c.zero_results >= UNOPENED_MIN_SEARCHES]
    unopened.sort(key=lambda c: (-(c.searches - c.zero_results), c.query))
    result.unopened = unopened[:limit]
    result.days = _every_day(days)
    return result


def _every_day(days: dict[date, DayCount]) -> list[DayCount]:
    """The days from the first to the last with searches, days without any included."""
    if not days:
        return []
    first, last = min(days), max(days)
    span = min((last - first).days, 3660)  # a chart of ten years at most
    out = []
    for i in range(span + 1):
        day = last - timedelta(days=span - i)
        out.append(days.get(day) or DayCount(day.isoformat()))
    return out


def _iso(when: datetime) -> str:
    text = when.isoformat(timespec="seconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text


@dataclass
class _Group:
    forms: Counter[str] = field(default_factory=Counter)
    zero: int = 0
    last: datetime | None = None
    opened: int = 0

    def add(self, query: str, zero: bool, when: datetime) -> None:
        self.forms[query] += 1
        self.zero += zero
        self.last = when if self.last is None else max(self.last, when)

    def count(self) -> QueryCount:
        return QueryCount(self.forms.most_common(1)[0][0], sum(self.forms.values()), self.zero,
                          _iso(self.last) if self.last else "", self.opened)


def _period(
    since: date | None, until: date | None, tz: ZoneInfo
) -> tuple[datetime | None, datetime | None]:
    start = datetime.combine(since, time(), tz).astimezone(timezone.utc) if since else None
    end = datetime.combine(until + timedelta(days=1), time(), tz).astimezone(timezone.utc) if until else None
    return start, end


def log_files(log_dir: str | os.PathLike[str]) -> list[Path]:
    """The log's files, oldest first."""
    folder = Path(log_dir)
    if not folder.is_dir():
        raise QueryLogError(f"no query log in {folder}")
    rotated = []
    for path in folder.glob(LOG_NAME.replace(".jsonl", ".*.jsonl")):
        number = path.name[len(LOG_NAME) - len(".jsonl") + 1 : -len(".jsonl")]
        if number.isdigit():
            rotated.append((int(number), path))
    files = [p for _, p in sorted(rotated, reverse=True)]
    current = folder / LOG_NAME
    return files + ([current] if current.exists() else [])


def read_entries(log_dir: str | os.PathLike[str], counts: Report | None = None) -> Iterator[dict[str, Any]]:
    """Every readable entry, with its time parsed as `when` (unreadable lines are counted)."""
    for path in log_files(log_dir):
        with open(path, "rb") as f:
            for raw in f:
                entry = _parse(raw)
                if entry is None:
                    if counts is not None and raw.strip():
                        counts.unreadable_lines += 1
                    continue
                yield entry


def _parse(raw: bytes) -> dict[str, Any] | None:
    try:
        entry = json.loads(raw)
        entry["when"] = datetime.fromisoformat(entry["time"].replace("Z", "+00:00"))
        if entry["when"].tzinfo is None or not isinstance(entry.get("query"), str):
            return None
        if "opened" in entry:
            return entry if isinstance(entry["opened"], str) else None
        if not isinstance(entry.get("results"), int):
            return None
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    return entry
