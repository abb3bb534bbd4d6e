"""The query log: what is written, rotation, switching off, concurrent writers, reports."""

from __future__ import annotations

import json
import multiprocessing
import threading
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from search.query.plan import MAX_QUERY_CHARS
from search.editorial.querylog import (
    FIRST_DAY,
    LAST_DAY,
    LOG_NAME,
    PeriodError,
    QueryLog,
    QueryLogError,
    log_files,
    read_entries,
    report,
)


def lines(log_dir: Path) -> list[dict]:
    return [json.loads(line) for f in log_files(log_dir) for line in f.read_text("utf-8").splitlines()]


def test_one_line_per_search(tmp_path: Path) -> None:
    log = QueryLog(tmp_path / "log")
    when = datetime(2026, 1, 17, 16, 38, 30, tzinfo=timezone.utc)
    log.record("  ＡＷＳの\nAIチップ\x00 ", 3, {"tags": ["AI", ""], "page": 2}, when)
    (entry,) = lines(tmp_path / "log")
    assert entry == {"time": "2026-01-17T16:38:30Z", "query": "ＡＷＳの AIチップ",
                     "filters": {"tags": ["AI"], "page": 2}, "results": 3}


def test_only_known_filters_are_kept(tmp_path: Path) -> None:
    log = QueryLog(tmp_path)
    log.record("AI", 0, {"ip": "203.0.113.9", "cookie": "session=abc", "user_agent": "x",
                         "category": "ニュース", "date_from": date(2025, 1, 1), "tags": ["t"] * 50})
    (entry,) = lines(tmp_path)
    assert set(entry["filters"]) == {"category", "date_from", "tags"}
    assert entry["filters"]["date_from"] == "2025-01-01" and len(entry["filters"]["tags"]) == 10
    raw = (tmp_path / LOG_NAME).read_text("utf-8")
    assert "203.0.113.9" not in raw and "session" not in raw


def test_long_queries_are_cut_and_lines_stay_lines(tmp_path: Path) -> None:
    log = QueryLog(tmp_path)
    log.record("サ" * 5000 + "\n\u2028改行", 0)
    (entry,) = lines(tmp_path)
    assert len(entry["query"]) == MAX_QUERY_CHARS
    assert (tmp_path / LOG_NAME).read_bytes().count(b"\n") == 1


def test_switched_off(tmp_path: Path) -> None:
    log = QueryLog(None)
    assert not log.enabled and log.path is None
    log.record("AI", 1)  # does nothing, raises nothing
    assert list(tmp_path.iterdir()) == []


def test_unusable_folder_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(QueryLogError, match="cannot create"):
        QueryLog(tmp_path / "file" / "log")
    with pytest.raises(QueryLogError, match="no query log"):
        report(tmp_path / "missing")


def test_rotation_keeps_n_files(tmp_path: Path) -> None:
    log = QueryLog(tmp_path, max_bytes=1000, keep=2)
    for i in range(100):
        log.record(f"クエリ{i:03d}", i)
    names = sorted(p.name for p in tmp_path.glob("*.jsonl"))
    assert names == ["queries.1.jsonl", "queries.2.jsonl", "queries.jsonl"]
    assert all(p.stat().st_size < 1000 + 100 for p in tmp_path.glob("*.jsonl"))  # + one line
    kept = [e["query"] for e in lines(tmp_path)]
    assert kept == sorted(kept) and kept[-1] == "クエリ099"  # oldest first, newest kept
    assert len(kept) < 100  # the oldest files were dropped


def test_no_rotation_when_max_bytes_is_zero(tmp_path: Path) -> None:
    log = QueryLog(tmp_path, max_bytes=0)
    for i in range(50):
        log.record("AI", i)
    assert [p.name for p in tmp_path.glob("*.jsonl")] == [LOG_NAME]


def _append_many(log_dir: str, worker: int, count: int, max_bytes: int) -> None:
    log = QueryLog(log_dir, max_bytes=max_bytes, keep=1000)
    for i in range(count):
        log.record(f"検索{worker}-{i}-" + "あ" * (i % 40), i % 3)


@pytest.mark.parametrize("max_bytes", [0, 20_000])
def test_processes_append_concurrently_without_losing_lines(tmp_path: Path, max_bytes: int) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_many, args=(str(tmp_path), w, 300, max_bytes))
             for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    entries = lines(tmp_path)  # every line parses
    assert sorted(e["query"].split("-")[0] + "-" + e["query"].split("-")[1] for e in entries) == sorted(
        f"検索{w}-{i}" for w in range(4) for i in range(300))
    if max_bytes:
        assert len(log_files(tmp_path)) > 2


def test_threads_append_concurrently(tmp_path: Path) -> None:
    log = QueryLog(tmp_path, max_bytes=5_000, keep=1000)
    threads = [threading.Thread(target=lambda w=w: [log.record(f"t{w}-{i}", 1) for i in range(200)])
               for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(e["query"] for e in lines(tmp_path)) == sorted(
        f"t{w}-{i}" for w in range(8) for i in range(200))


@pytest.fixture
def january(tmp_path: Path) -> Path:
    log = QueryLog(tmp_path)
    searches = [
        ("2026-01-05T01:00:00Z", "AWS", 3), ("2026-01-06T01:00:00Z", "ＡＷＳ", 2),
        ("2026-01-07T01:00:00Z", "aws", 0), ("2026-01-10T01:00:00Z", "ペンギン", 0),
        ("2026-01-11T01:00:00Z", "ペンギン", 0), ("2026-01-12T01:00:00Z", "量子", 4),
        ("2026-01-31T15:30:00Z", "月末", 0),  # 2026-02-01 00:30 in Tokyo
        ("2026-02-02T01:00:00Z", "二月", 1), ("2026-01-03T01:00:00Z", "", 15),
    ]
    for when, query, results in searches:
        log.record(query, results, when=datetime.fromisoformat(when.replace("Z", "+00:00")))
    return tmp_path


def test_report_counts_top_and_zero_result_queries(january: Path) -> None:
    r = report(january)
    assert (r.searches, r.zero_result_searches, r.distinct_queries) == (9, 4, 5)
    assert [(q.query, q.searches, q.zero_results) for q in r.top_queries[:2]] == [
        ("AWS", 3, 1), ("ペンギン", 2, 2)]  # width and case variants are one query
    assert [(q.query, q.zero_results) for q in r.top_zero_results] == [
        ("ペンギン", 2), ("AWS", 1), ("月末", 1)]
    assert r.top_queries[0].last == "2026-01-07T01:00:00Z"
    assert "" not in [q.query for q in r.top_queries]  # browsing without a query


@pytest.mark.parametrize(("since", "until", "tz", "searches"), [
    (date(2026, 1, 1), date(2026, 1, 31), "UTC", 8),
    (date(2026, 1, 1), date(2026, 1, 31), "Asia/Tokyo", 7),
    (date(2026, 2, 1), None, "Asia/Tokyo", 2),
    (None, date(2026, 1, 6), "UTC", 3),
    (date(2026, 1, 10), date(2026, 1, 10), "UTC", 1),
    (date(2027, 1, 1), None, "UTC", 0),
])
def test_report_periods_are_inclusive_days(january: Path, since, until, tz: str, searches: int) -> None:
    r = report(january, since, until, tz=tz)
    assert r.searches == searches
    assert r.since == (since.isoformat() if since else None)


@pytest.mark.parametrize("tz", ["Asia/Tokyo", "Pacific/Kiritimati", "Etc/GMT+12", "UTC"])
def test_report_takes_the_widest_days_in_every_time_zone(january: Path, tz: str) -> None:
    assert report(january, FIRST_DAY, LAST_DAY, tz=tz).searches == 9


@pytest.mark.parametrize(("since", "until", "message"), [
    (date(1, 1, 1), None, "since 0001-01-01 is out of range: give a day from 0001-01-02 to 9999-12-30"),
    (None, date(9999, 12, 31), "until 9999-12-31 is out of range"),
])
def test_report_refuses_days_out_of_range(january: Path, since, until, message: str) -> None:
    # before: OverflowError from datetime arithmetic (a 500 on /editor/report)
    with pytest.raises(PeriodError, match=message):
        report(january, since, until, tz="Asia/Tokyo")


def test_report_skips_broken_lines_and_reads_rotated_files(january: Path) -> None:
    with open(january / LOG_NAME, "ab") as f:
        f.write(b'{"time": "2026-01-20T00:00:00Z", "query": "trunc')
    QueryLog(january, max_bytes=1).rotate()
    QueryLog(january).record("後から", 1, when=datetime(2026, 1, 21, tzinfo=timezone.utc))
    r = report(january, limit=1)
    assert r.unreadable_lines == 1 and r.searches == 10 and len(r.top_queries) == 1
    assert [p.name for p in log_files(january)] == ["queries.1.jsonl", "queries.jsonl"]
    assert sum(1 for _ in read_entries(january)) == 10
    assert json.loads(json.dumps(r.to_dict()))["top_queries"][0]["query"] == "AWS"


def test_cli_report(january: Path, monkeypatch, capsys) -> None:
    from search.cli import main

    assert main(["report", "--log", str(january), "--since", "2026-01-01", "--until", "2026-01-31",
                 "--timezone", "UTC", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["searches"] == 8 and data["top_zero_results"][0]["query"] == "ペンギン"
    monkeypatch.setenv("BLOGSEARCH_QUERY_LOG", str(january))
    assert main(["report", "--limit", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("start – now: 9 searches, 4 found nothing, 5 distinct queries")
    assert "Found nothing" in out and "ペンギン" in out


def test_cli_report_rejects_bad_days(january: Path, capsys) -> None:
    from search.cli import main

    with pytest.raises(SystemExit):
        main(["report", "--log", str(january), "--since", "2026-13-01"])
    assert "not a day in YYYY-MM-DD form" in capsys.readouterr().err


# --- issue 16: opened results, days in the blog's time zone, queries nobody opens ------------


@pytest.fixture
def december(tmp_path: Path) -> Path:
    log = QueryLog(tmp_path)
    utc = timezone.utc
    log.record("サーバー", 4, when=datetime(2026, 12, 1, 15, 30, tzinfo=utc))  # 12-02 00:30 in Tokyo
    log.record("サーバー", 4, when=datetime(2026, 12, 2, 1, 0, tzinfo=utc))
    log.record_open("サーバー", "server-operations-guide", 2, when=datetime(2026, 12, 2, 1, 0, 9, tzinfo=utc))
    log.record("ｻｰﾊﾞｰ", 4, when=datetime(2026, 12, 2, 2, 0, tzinfo=utc))  # the same query
    log.record("監視", 3, when=datetime(2026, 12, 2, 3, 0, tzinfo=utc))
    log.record("監視", 3, when=datetime(2026, 12, 4, 3, 0, tzinfo=utc))
    log.record("ペンギン", 0, when=datetime(2026, 12, 4, 4, 0, tzinfo=utc))
    with open(tmp_path / LOG_NAME, "a", encoding="utf-8") as f:  # a time without its zone is unreadable
        f.write('{"time": "2026-12-04T05:00:00", "query": "x", "filters": {}, "results": 1}\n')
    return tmp_path


def test_opened_results_are_counted_apart_from_searches(december: Path) -> None:
    r = report(december, tz="Asia/Tokyo")
    assert (r.searches, r.opened, r.unreadable_lines) == (6, 1, 1)
    top = {q.query: q for q in r.top_queries}
    assert (top["サーバー"].searches, top["サーバー"].opened) == (3, 1)
    assert top["サーバー"].open_rate == pytest.approx(1 / 3)
    assert top["ペンギン"].open_rate == 0.0  # found nothing: no rate
    assert [q.query for q in r.unopened] == ["監視"]  # found posts twice, none opened
    (line,) = [json.loads(l) for l in (december / LOG_NAME).read_text("utf-8").splitlines() if "opened" in l]
    assert line == {"time": "2026-12-02T01:00:09Z", "query": "サーバー", "opened": "server-operations-guide",
                    "rank": 2}


def test_days_and_times_are_the_blogs(december: Path) -> None:
    tokyo = report(december, tz="Asia/Tokyo")
    assert [(d.day, d.searches, d.zero_results) for d in tokyo.days] == [
        ("2026-12-02", 4, 0), ("2026-12-03", 0, 0), ("2026-12-04", 2, 1)]  # a day without searches is there
    assert tokyo.days[2].zero_share == 0.5
    assert {q.query: q.last for q in tokyo.top_queries}["ペンギン"] == "2026-12-04T13:00:00+09:00"
    utc = report(december)
    assert [d.day for d in utc.days][0] == "2026-12-01" and utc.timezone == "UTC"
    assert {q.query: q.last for q in utc.top_queries}["ペンギン"] == "2026-12-04T04:00:00Z"
    # the period is whole days in the blog's zone: 12-02 in Tokyo starts at 12-01T15:00Z
    assert report(december, date(2026, 12, 2), date(2026, 12, 2), tz="Asia/Tokyo").searches == 4
    assert report(december, date(2026, 12, 2), date(2026, 12, 2)).searches == 3
