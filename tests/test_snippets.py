"""Snippets: the window around the best matches, cut at sentences, escaped, with <mark>."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings, strategies as st

from search.text.snippets import (WINDOW_CHARS, Matches, _display, best_between, best_window,
                                  choose_window, find_windows, make_snippet, mark_html, matches_of)

FILLER = "これは本文とは関係のない前置きの文章です。" * 30  # 660 characters


def spans_of(text: str, word: str, key: str | None = None) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), key or word) for m in re.finditer(re.escape(word), text)]


def visible(snippet: str) -> str:
    return re.sub(r"</?mark>", "", snippet)


def test_window_is_around_the_match_and_starts_a_sentence() -> None:
    text = FILLER + "AWSのAIチップが2.5倍に高速化した。" + FILLER
    snippet = make_snippet(text, spans_of(text, "高速化"))
    assert "<mark>高速化</mark>" in snippet
    assert visible(snippet).startswith("AWSのAIチップ")
    assert 100 <= len(visible(snippet)) <= 165


def test_best_window_prefers_more_distinct_words() -> None:
    text = "サーバーの話。" + FILLER + "サーバーの監視とログの設定。" + FILLER
    spans = spans_of(text, "サーバー") + spans_of(text, "監視") + spans_of(text, "ログ")
    snippet = make_snippet(text, spans)
    assert "<mark>監視</mark>" in snippet and "<mark>ログ</mark>" in snippet


def test_match_far_into_a_long_text_is_found() -> None:
    # Whoosh's highlighter gives up after 32,768 characters; pinpoint spans do not
    text = FILLER * 100 + "量子誤り訂正の話。" + FILLER
    snippet = make_snippet(text, spans_of(text, "量子誤り訂正"))
    assert "<mark>量子誤り訂正</mark>" in snippet


def test_only_mark_is_markup() -> None:
    text = '<script>alert(1)</script> と "><img src=x onerror=alert(1)> & AI の話。'
    snippet = make_snippet(text, spans_of(text, "AI"))
    assert set(re.findall(r"</?([a-z]+)", snippet)) == {"mark"}
    assert "&lt;script&gt;" in snippet and "&amp;" in snippet and "&quot;" in snippet


def test_no_spans_gives_the_beginning() -> None:
    snippet = make_snippet(FILLER, [])
    assert visible(snippet).startswith("これは本文") and "<mark>" not in snippet


def test_overlapping_spans_are_merged() -> None:
    text = "AIチップの話。"
    html = mark_html(text, [(0, 2, "ai"), (0, 5, "aiチップ"), (2, 5, "チップ")])
    assert html == "<mark>AIチップ</mark>の話。"


def test_whitespace_is_collapsed_for_display() -> None:
    text = "見出し\n\n本文の  最初の文。"
    assert visible(make_snippet(text, spans_of(text, "本文"))).count("  ") == 0


def test_the_windows_most_valuable_match_is_not_cut_off_by_the_sentence_start() -> None:
    # the best window opens at 曲 and reaches 拍子, but starting the snippet at
    # the beginning of 曲's sentence (up to 50 characters back) pushed 拍子 out:
    # the snippet showed only the one-character 曲 (issue 14)
    text = (FILLER + "このセクションではヨハン・ゼバスティアン・バッハの作品を例に、オルガンのための前奏曲の最初の"
            "二小節を使います。上段鍵盤パートは二つのボイスを、下段鍵盤とペダルはそれぞれ一つのボイスを持ち"
            "ます。各パートの譜は別々の変数に書いておき、最後にまとめて一つの楽譜に組み立てます。そのため四つの音楽定義と、拍子記号と調号を定義する一つの音楽定義が要ります。" + FILLER)
    at = text.index("曲")
    assert at - text.rindex("。", 0, at) > 40 and 100 < text.index("拍子") - at < 118
    spans = spans_of(text, "曲") + spans_of(text, "拍子")
    snippet = make_snippet(text, spans, {"曲": 0.5, "拍子": 3.9})
    assert "<mark>拍子</mark>" in snippet
    assert 100 <= len(visible(snippet)) <= 165
    # the hit's section link is taken at the same match the snippet shows
    window = choose_window(text, spans, {"曲": 0.5, "拍子": 3.9})
    assert text[window.focus:window.focus + 2] == "拍子" and window.start <= window.focus < window.end


def _best_window_by_sets(spans, weights, width):
    """The window search as first written: a set of terms per window (the reference)."""
    ordered = sorted(spans)
    best_start, best_score = ordered[0][0], -1.0
    j = 0
    for i, (start, _, _) in enumerate(ordered):
        j = max(j, i)
        while j + 1 < len(ordered) and ordered[j + 1][1] <= start + width:
            j += 1
        window = ordered[i : j + 1]
        score = sum(weights.get(k, 1.0) for k in {key for _, _, key in window}) + 0.1 * len(window)
        if score > best_score:
            best_start, best_score = start, score
    return best_start


@settings(derandomize=True, max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2_000), st.integers(1, 200), st.sampled_from("曲拍子変更連符")),
                min_size=1, max_size=80),
       st.integers(20, 300))
def test_the_sliding_window_finds_the_window_the_set_per_window_search_finds(raw, width) -> None:
    spans = [(start, start + length, key) for start, length, key in raw]
    weights = {"曲": 0.5, "拍": 4.0, "子": 4.0, "変": 1.0, "更": 2.0}  # exact sums in any order
    assert best_window(spans, weights, width) == _best_window_by_sets(spans, weights, width)


def _spans_in(spans, lo, hi):
    """A section's own spans: those starting in [lo, hi), with offsets from lo."""
    return [(a - lo, b - lo, key) for a, b, key in spans if lo <= a < hi]


def _random_spans(rng, count, length=3_000, words="曲拍子変更連符", longest=5):
    spans = []
    for _ in range(count):
        start = rng.randrange(0, length)
        spans.append((start, start + rng.randrange(1, longest + 1), rng.choice(words)))
    return spans


@pytest.mark.parametrize("seed", range(30))
def test_a_pages_windows_are_each_posts_own(seed: int) -> None:
    # the windows of a result page are searched at once (NumPy over every
    # post's spans from SMALL_PAGE of them, a loop below): each post's best
    # window is the one the set-per-window search finds in its spans alone
    rng = random.Random(seed)
    weights = {"曲": 0.5, "拍": 4.0, "子": 4.0, "変": 1.0, "更": 2.0, "連符": 2.7}
    longest = 150 if seed % 7 == 0 else 5  # a span longer than the window: the loop
    posts = [_random_spans(rng, rng.choice([0, 1, 5, 40, 300]), rng.choice([200, 3_000]),
                           rng.choice(["曲拍子変更", "曲拍子変更連符"]) if seed % 3 else "曲", longest)
             for _ in range(rng.randrange(1, 11))]
    width = rng.choice([20, 120])
    page = matches_of([[(key, [(a, b)]) for a, b, key in spans] for spans in posts])
    find_windows(page, weights, width)
    for spans, matches in zip(posts, page):
        if spans:
            assert matches.starts[best_between(matches, 0, len(matches))] == _best_window_by_sets(spans, weights, width)


@pytest.mark.parametrize("seed", range(30))
def test_a_sections_window_is_the_one_its_own_spans_give(seed: int) -> None:
    # a long post's section snippet takes its window from the post's windows,
    # scoring again only those that reach past the section's end
    rng = random.Random(seed)
    weights = {"曲": 0.5, "拍": 4.0, "子": 4.0, "変": 1.0, "更": 2.0}
    spans = _random_spans(rng, rng.choice([30, 150, 600]), longest=150 if seed % 7 == 0 else 5)
    bounds = sorted({0, 3_010, *(rng.randrange(1, 3_000) for _ in range(rng.randrange(1, 12)))})
    width = rng.choice([20, 120])
    matches = Matches.of(spans)
    find_windows([matches], weights, width)
    for lo, hi in zip(bounds, bounds[1:]):
        own = _spans_in(spans, lo, hi)
        a, b = matches.span_range(lo, hi)
        assert b - a == len(own)
        if own:
            assert matches.starts[best_between(matches, a, b)] - lo == _best_window_by_sets(own, weights, width)


def test_section_snippets_of_a_long_japanese_post_are_those_of_their_own_text() -> None:
    sections = ["ファイアウォールの設定です。ufw でポートを開けます。" * 40,
                "journalctl でログを確認します。エラーのログは優先度で絞り込みます。" * 30,
                "ログは logrotate で一週間保存します。古いログは圧縮されます。" * 30]
    text = "".join(sections)
    words = ["ログ", "確認", "保存", "ポート"]
    weights = {"ログ": 1.2, "確認": 2.5, "保存": 2.5, "ポート": 3.1}
    spans = [s for word in words for s in spans_of(text, word)]
    [matches] = matches_of([[(word, [(a, b) for a, b, _ in spans_of(text, word)]) for word in words]])
    find_windows([matches], weights, WINDOW_CHARS)
    lo = 0
    for section in sections:
        hi = lo + len(section)
        a, b = matches.span_range(lo, hi)
        first = matches.starts[best_between(matches, a, b)] - lo
        snippet = make_snippet(section, matches.part(lo, hi), weights, first)
        assert snippet == make_snippet(section, _spans_in(spans, lo, hi), weights)
        assert "<mark>" in snippet
        lo = hi
    # and the post's own snippet, from the page's windows
    first = matches.starts[best_between(matches, 0, len(matches))]
    assert make_snippet(text, matches, weights, first) == make_snippet(text, spans, weights)


def _mark_piece_by_piece(text, spans, lo, hi):
    merged = []
    for start, end, _ in sorted(spans):
        if start < lo or end > hi:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    out, pos = [], lo
    for start, end in merged:
        out.append(_display(text[pos:start]) + "<mark>" + _display(text[start:end]) + "</mark>")
        pos = end
    return "".join(out) + _display(text[pos:hi])


@pytest.mark.parametrize("seed", range(40))
def test_marking_a_snippet_at_once_is_marking_it_piece_by_piece(seed: int) -> None:
    rng = random.Random(seed)
    alphabet = ["ロ", "グ", "の", "確", "認", " ", "\n", "\t", "&", "<", ">", '"', "'", "A"] + (["\x00"] if seed % 4 == 0 else [])
    text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 200)))
    spans = [(a, a + rng.randrange(1, 6), rng.choice("ab")) for a in
             (rng.randrange(0, max(1, len(text))) for _ in range(rng.randrange(0, 12)))]
    lo = rng.randrange(0, len(text) + 1)
    hi = rng.randrange(lo, len(text) + 1)
    assert mark_html(text, spans, lo, hi) == _mark_piece_by_piece(text, spans, lo, hi)


def test_a_page_with_more_terms_than_a_bit_mask_holds_is_searched_by_the_loop() -> None:
    rng = random.Random(3)
    words = [f"語{i}" for i in range(70)]
    weights = {w: rng.choice([0.3, 1.7, 2.2]) for w in words}
    posts = [_random_spans(rng, 120, 2_000, words) for _ in range(3)]
    page = matches_of([[(key, [(a, b)]) for a, b, key in spans] for spans in posts])
    assert len(page[0].names) > 62
    find_windows(page, weights, WINDOW_CHARS)
    for spans, matches in zip(posts, page):
        assert matches.starts[best_between(matches, 0, len(matches))] == _best_window_by_sets(spans, weights, WINDOW_CHARS)
