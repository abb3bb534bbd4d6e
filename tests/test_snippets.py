"""Snippets: the window around the best matches, cut at sentences, escaped, with <mark>."""

from __future__ import annotations

import re

from hypothesis import given, settings, strategies as st

from search.text.snippets import best_window, choose_window, make_snippet, mark_html

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
