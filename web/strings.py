"""The one catalogue of the words readers and editors see: pages, error
pages and the search box (`/widget.js`).

Japanese by default; English for a site whose `LANG` is `en`. A site changes
any string with a JSON file `{"key": "text", ...}` named by the `STRINGS`
setting (unknown keys are refused at start-up, so a typo does not go unseen).
Texts are `str.format` templates: `{tag}`, `{n}`... are filled in by the view.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

LANGS = ("ja", "en")

JA: dict[str, str] = {
    # every page
    "site.default_title": "ブログ内検索",
    "site.back": "ブログに戻る",
    "site.search_title": "検索",
    "skip": "本文へ移動",
    # the search form
    "form.label": "キーワード",
    "form.submit": "検索",
    "form.more": "条件を指定",
    "form.author": "著者",
    "form.from": "開始日",
    "form.to": "終了日",
    "form.shortcut": "「/」キーで検索欄に移動",
    # the home page
    "home.tags": "タグから探す",
    # the results page
    "results.heading": "検索結果",
    "results.title": "「{q}」の検索結果",
    "results.prompt": "キーワードを入力して検索してください。",
    "results.filters": "絞り込み条件",
    "results.remove": "{label}「{value}」を外す",
    "results.none_heading": "見つかりませんでした",
    "results.did_you_mean": "もしかして:",
    "results.none_q": "「{q}」に一致する記事は見つかりませんでした。",
    "results.none_q_filtered": "「{q}」に条件付きで一致する記事は見つかりませんでした。",
    "results.none_filtered": "条件に一致する記事は見つかりませんでした。",
    "results.try_without": "条件を外すと見つかるかもしれません。",
    "results.search_without": "{label}「{value}」を外して検索",
    "results.search_without_all": "すべての条件を外して「{q}」で検索",
    "results.tip_words": "別のことばや、より一般的なことばで検索してみてください。",
    "results.tip_fewer": "キーワードの数を減らしてみてください。",
    "results.tip_syntax": "語順どおりに探すには \"ファイルのアクセス権\" のように引用符で囲み、除外したい語には -AWS のようにマイナスを付けます。",
    "results.summary_q": "「{q}」の検索結果:",
    "results.summary": "条件に一致する記事:",
    "results.unit": "件",
    "results.range": "（{first}〜{last}件目）",
    "results.sort": "並び順",
    "results.sort_relevance": "関連度順",
    "results.sort_date": "新しい順",
    "results.list": "検索結果の一覧",
    "results.empty_page": "このページに結果はありません。",
    "results.first_page": "最初のページへ",
    "results.narrow": "絞り込み",
    "results.narrow_toggle": "タグ・カテゴリーで絞り込む",
    "results.by_tag": "タグで絞り込む",
    "results.by_category": "カテゴリーで絞り込む",
    "filter.tag": "タグ",
    "filter.category": "カテゴリー",
    "filter.author": "著者",
    "filter.from": "開始日",
    "filter.to": "終了日",
    "hit.tags": "タグ",
    "hit.sections": "この記事で一致した節",
    "pager.label": "ページ送り",
    "pager.prev": "前へ",
    "pager.next": "次へ",
    # tag pages
    "tag.title": "タグ「{tag}」の記事",
    "tag.count": "件（新しい順）",
    "tag.empty_page": "このページに記事はありません。",
    "tag.search_in": "このタグの記事をキーワードで検索する",
    # error pages
    "error.title": "エラーが発生しました",
    "error.title.400": "リクエストを処理できませんでした",
    "error.title.401": "ログインが必要です",
    "error.title.404": "ページが見つかりません",
    "error.title.405": "この方法ではアクセスできません",
    "error.title.413": "リクエストが大きすぎます",
    "error.title.414": "URLが長すぎます",
    "error.title.415": "この形式のデータは受け付けていません",
    "error.title.500": "サーバーで問題が起きました",
    "error.title.503": "検索は一時的に利用できません",
    "error.status": "エラー {status}",
    "error.back": "検索ページに戻る",
    "error.query_too_long": "検索語が長すぎます。短くしてもう一度お試しください。",
    "error.uri_too_long": "URLが長すぎます。検索語や条件を減らしてもう一度お試しください。",
    "error.page_out_of_range": "これより後のページは表示できません。検索語や条件を追加して結果を絞り込んでください。",
    "error.invalid_encoding": "URLの文字コードが正しくありません。検索欄から検索し直してください。",
    "error.invalid_character": "検索語に使えない文字が含まれています。",
    "error.index_unavailable": "しばらくしてからもう一度お試しください。",
    "error.search_unavailable": "しばらくしてからもう一度お試しください。",
    "error.index_empty": "まだ記事が登録されていません。",
    "error.busy": "ただいま混み合っています。数秒後にもう一度お試しください。",
    "error.not_found": "URLが正しいか確認するか、検索欄から探してください。",
    "error.tag_not_found": "タグ「{tag}」の記事はありません。",
    "error.post_not_found": "スラッグ「{slug}」の記事は登録されていません。",
    "error.invalid_date": "日付は 2025-04-10 のように「年-月-日」で指定してください。",
    "error.invalid_date_range": "開始日が終了日より後になっています。",
    "error.day_out_of_range": "日付は {first} から {last} までで指定してください。",
    "error.invalid_sort": "並び順の指定が正しくありません。",
    "error.invalid_page": "ページ番号が正しくありません。",
    "error.invalid_per_page": "1ページあたりの件数が正しくありません。",
    "error.invalid_limit": "件数の指定が正しくありません。",
    "error.value_too_long": "タグ・カテゴリー・著者の指定が長すぎます。",
    "error.too_many_tags": "タグは10個まで指定できます。",
    "error.payload_too_large": "送られたデータが大きすぎます。",
    "error.draft_too_large": "下書きが大きすぎます。",
    "error.unauthorized": "このページを見るには編集者のユーザー名とパスワードが必要です。",
    "error.method_not_allowed": "このURLはこの方法では使えません。",
    "error.internal_error": "しばらくしてからもう一度お試しください。",
    # the editors' pages (/editor, /editor/report)
    "editor.title": "編集者ツール",
    "editor.related_of": "「{title}」の関連記事",
    "editor.draft_related_of": "下書き「{title}」の関連記事",
    "editor.untitled": "（無題）",
    "editor.draft": "下書き",
    "editor.report_link": "検索ログのレポート",
    "editor.post_heading": "公開済みの記事を調べる",
    "editor.slug": "記事のスラッグ",
    "editor.check": "調べる",
    "editor.draft_heading": "下書きを調べる",
    "editor.draft_title": "タイトル",
    "editor.draft_body": "本文（Markdown可。フロントマター付きのファイルをそのまま貼り付けられます）",
    "editor.draft_tags": "タグ（カンマ区切り）",
    "editor.draft_submit": "関連記事と重複を調べる",
    "editor.body_required": "本文を入力してください。",
    "editor.key_terms": "手がかりにした語:",
    "editor.score": "類似度 {score}",
    "editor.check_post": "この記事を調べる",
    "editor.shared_terms": "共通の語:",
    "editor.shared_tags": "共通のタグ・カテゴリー:",
    "editor.list_separator": "、",
    "editor.no_related": "関連する記事は見つかりませんでした。",
    "editor.suggested_tags": "おすすめのタグ",
    "editor.no_suggested_tags": "おすすめできるタグはありません。",
    "editor.duplicates": "重複している文章",
    "editor.no_duplicates": "重複している段落は見つかりませんでした（{n}段落を確認）。",
    "editor.repeated_in_post": "この記事の中で繰り返されている段落（{n}件、{chars}文字）",
    "editor.repeated_in_draft": "下書きの中で繰り返されている段落（{n}件、{chars}文字）",
    "editor.location": "第{paragraph}段落（{start}〜{end}文字目）",
    "editor.repeat.exact": "{second}が{first}と同じ",
    "editor.repeat.near": "{second}が{first}とほぼ同じ",
    "editor.repeat.contained": "{second}が{first}と重複",
    "editor.shared_heading": "ほかの記事と共通の文章（{n}件）",
    "editor.shared_before": "{second}が",
    "editor.shared_after": "の{first}にもあります",
    "editor.more_posts": "ほか{n}記事",
    "report.title": "検索ログのレポート",
    "report.back": "編集者ツールに戻る",
    "report.since": "開始日",
    "report.until": "終了日",
    "report.show": "表示",
    "report.disabled": "検索ログは無効です（BLOGSEARCH_QUERY_LOG が空です）。",
    "report.empty": "まだ検索ログがありません。",
    "report.searches": "検索",
    "report.summary": "回（結果なし {zero}回）、異なる検索語 {distinct}件、開かれた結果 {opened}件",
    "report.timezone": "（時刻は {tz}）",
    "report.chart": "1日の検索回数と結果なしの割合",
    "report.chart_bars": "1日の検索回数",
    "report.chart_line": "結果なしの割合（右の目盛り）",
    "report.chart_tip": "{day}: 検索 {searches}回、結果なし {percent}%",
    "report.top": "よく検索された語",
    "report.query": "検索語",
    "report.count": "回数",
    "report.zero": "結果なし",
    "report.open_rate": "開かれた率",
    "report.last": "最後の検索",
    "report.no_searches": "この期間の検索はありません。",
    "report.zero_heading": "結果がなかった検索語",
    "report.no_zero": "結果がなかった検索はありません。",
    "report.unopened_heading": "結果が開かれなかった検索語",
    "report.unopened_note": "結果はあったのに、どの記事も開かれなかった検索語です（{n}回以上）。結果の並びやタイトル・抜粋を見直す手がかりになります。",
    "report.no_unopened": "該当する検索語はありません。",
    # the search box (widget.js): {q} and {n} are filled in by the script
    "widget.label": "ブログ内検索",
    "widget.placeholder": "ブログ内を検索",
    "widget.none": "「{q}」に一致する記事は見つかりませんでした",
    "widget.error": "検索できませんでした。しばらくしてからもう一度お試しください。",
    "widget.count": "{n}件見つかりました",
    "widget.all": "すべての結果を見る（{n}件）",
    "widget.page": "検索ページで探す",
    "widget.kind.title": "記事",
    "widget.kind.tag": "タグ",
    "widget.kind.term": "語",
    "widget.tags": "タグで絞り込む",
    "widget.did_you_mean": "もしかして",
}

EN: dict[str, str] = {
    "site.default_title": "Search this blog",
    "site.back": "Back to the blog",
    "site.search_title": "Search",
    "skip": "Skip to content",
    "form.label": "Keywords",
    "form.submit": "Search",
    "form.more": "More options",
    "form.author": "Author",
    "form.from": "From",
    "form.to": "To",
    "form.shortcut": "Press / to jump to the search box",
    "home.tags": "Browse by tag",
    "results.heading": "Search results",
    "results.title": "Results for “{q}”",
    "results.prompt": "Type some keywords to search.",
    "results.filters": "Filters",
    "results.remove": "Remove {label} “{value}”",
    "results.none_heading": "Nothing found",
    "results.did_you_mean": "Did you mean:",
    "results.none_q": "No posts match “{q}”.",
    "results.none_q_filtered": "No posts match “{q}” with these filters.",
    "results.none_filtered": "No posts match these filters.",
    "results.try_without": "Removing a filter may help.",
    "results.search_without": "Search without {label} “{value}”",
    "results.search_without_all": "Search “{q}” without any filter",
    "results.tip_words": "Try other or more general words.",
    "results.tip_fewer": "Try fewer keywords.",
    "results.tip_syntax": "Put words in quotes (\"file permissions\") to find them in that order, and a minus before a word (-AWS) to leave it out.",
    "results.summary_q": "Results for “{q}”:",
    "results.summary": "Posts matching the filters:",
    "results.unit": "",
    "results.range": " ({first}–{last})",
    "results.sort": "Sort",
    "results.sort_relevance": "Relevance",
    "results.sort_date": "Newest",
    "results.list": "Results",
    "results.empty_page": "No results on this page.",
    "results.first_page": "Go to the first page",
    "results.narrow": "Narrow down",
    "results.narrow_toggle": "Narrow by tag or category",
    "results.by_tag": "Narrow by tag",
    "results.by_category": "Narrow by category",
    "filter.tag": "Tag",
    "filter.category": "Category",
    "filter.author": "Author",
    "filter.from": "From",
    "filter.to": "To",
    "hit.tags": "Tags",
    "hit.sections": "Matching sections of this post",
    "pager.label": "Pages",
    "pager.prev": "Previous",
    "pager.next": "Next",
    "tag.title": "Posts tagged “{tag}”",
    "tag.count": " posts (newest first)",
    "tag.empty_page": "No posts on this page.",
    "tag.search_in": "Search within this tag",
    "error.title": "Something went wrong",
    "error.title.400": "The request could not be handled",
    "error.title.401": "Sign-in required",
    "error.title.404": "Page not found",
    "error.title.405": "Method not allowed",
    "error.title.413": "Request too large",
    "error.title.414": "URL too long",
    "error.title.415": "Unsupported data format",
    "error.title.500": "Server error",
    "error.title.503": "Search is unavailable for a moment",
    "error.status": "Error {status}",
    "error.back": "Back to the search page",
    "error.query_too_long": "The search words are too long: shorten them and try again.",
    "error.uri_too_long": "The URL is too long: use fewer words or filters.",
    "error.page_out_of_range": "Pages this far back are not shown: add words or filters.",
    "error.invalid_encoding": "The URL's encoding is invalid: search again from the search box.",
    "error.invalid_character": "The search words contain a character that cannot be used.",
    "error.index_unavailable": "Please try again in a moment.",
    "error.search_unavailable": "Please try again in a moment.",
    "error.index_empty": "No posts have been indexed yet.",
    "error.busy": "The server is busy: try again in a few seconds.",
    "error.not_found": "Check the URL, or search from the search box.",
    "error.tag_not_found": "No posts are tagged “{tag}”.",
    "error.post_not_found": "No post with slug “{slug}” is indexed.",
    "error.invalid_date": "Give dates as year-month-day, e.g. 2025-04-10.",
    "error.invalid_date_range": "The first day is after the last day.",
    "error.day_out_of_range": "Give a day from {first} to {last}.",
    "error.invalid_sort": "Unknown sort order.",
    "error.invalid_page": "Invalid page number.",
    "error.invalid_per_page": "Invalid number of results per page.",
    "error.invalid_limit": "Invalid number of results.",
    "error.value_too_long": "A tag, category or author is too long.",
    "error.too_many_tags": "At most 10 tags may be given.",
    "error.payload_too_large": "The data sent is too large.",
    "error.draft_too_large": "The draft is too large.",
    "error.unauthorized": "This page needs the editors' user name and password.",
    "error.method_not_allowed": "This URL cannot be used this way.",
    "error.internal_error": "Please try again in a moment.",
    "editor.title": "Editor tools",
    "editor.related_of": "Posts related to “{title}”",
    "editor.draft_related_of": "Posts related to the draft “{title}”",
    "editor.untitled": "(untitled)",
    "editor.draft": "Draft",
    "editor.report_link": "Search log report",
    "editor.post_heading": "Check a published post",
    "editor.slug": "Post slug",
    "editor.check": "Check",
    "editor.draft_heading": "Check a draft",
    "editor.draft_title": "Title",
    "editor.draft_body": "Text (Markdown; a whole file with front matter may be pasted)",
    "editor.draft_tags": "Tags (comma-separated)",
    "editor.draft_submit": "Find related posts and repeats",
    "editor.body_required": "Please enter the text.",
    "editor.key_terms": "Key words:",
    "editor.score": "similarity {score}",
    "editor.check_post": "Check this post",
    "editor.shared_terms": "Shared words:",
    "editor.shared_tags": "Shared tags and categories:",
    "editor.list_separator": ", ",
    "editor.no_related": "No related posts were found.",
    "editor.suggested_tags": "Suggested tags",
    "editor.no_suggested_tags": "No tags to suggest.",
    "editor.duplicates": "Repeated text",
    "editor.no_duplicates": "No repeated paragraphs ({n} paragraphs checked).",
    "editor.repeated_in_post": "Paragraphs repeated in this post ({n}, {chars} characters)",
    "editor.repeated_in_draft": "Paragraphs repeated in the draft ({n}, {chars} characters)",
    "editor.location": "paragraph {paragraph} (characters {start}–{end})",
    "editor.repeat.exact": "{second} is the same as {first}",
    "editor.repeat.near": "{second} is nearly the same as {first}",
    "editor.repeat.contained": "{second} overlaps {first}",
    "editor.shared_heading": "Text shared with other posts ({n})",
    "editor.shared_before": "{second} is also in",
    "editor.shared_after": ", {first}",
    "editor.more_posts": "and {n} more posts",
    "report.title": "Search log report",
    "report.back": "Back to the editor tools",
    "report.since": "From",
    "report.until": "To",
    "report.show": "Show",
    "report.disabled": "The search log is off (BLOGSEARCH_QUERY_LOG is empty).",
    "report.empty": "No searches have been logged yet.",
    "report.searches": "Searches:",
    "report.summary": " ({zero} found nothing), {distinct} distinct queries, {opened} results opened",
    "report.timezone": "(times in {tz})",
    "report.chart": "Searches per day and the share that found nothing",
    "report.chart_bars": "searches per day",
    "report.chart_line": "share that found nothing (right scale)",
    "report.chart_tip": "{day}: {searches} searches, {percent}% found nothing",
    "report.top": "Top queries",
    "report.query": "Query",
    "report.count": "Searches",
    "report.zero": "Found nothing",
    "report.open_rate": "Opened",
    "report.last": "Last searched",
    "report.no_searches": "No searches in this period.",
    "report.zero_heading": "Queries that found nothing",
    "report.no_zero": "Every search found something.",
    "report.unopened_heading": "Queries whose results nobody opens",
    "report.unopened_note": "They found posts, but no reader opened one ({n} searches or more): look at the order, titles and snippets of their results.",
    "report.no_unopened": "None.",
    "widget.label": "Search this blog",
    "widget.placeholder": "Search this blog",
    "widget.none": "No posts match “{q}”",
    "widget.error": "The search failed. Please try again in a moment.",
    "widget.count": "{n} found",
    "widget.all": "See all {n} results",
    "widget.page": "Search on the search page",
    "widget.kind.title": "Post",
    "widget.kind.tag": "Tag",
    "widget.kind.term": "Word",
    "widget.tags": "Narrow by tag",
    "widget.did_you_mean": "Did you mean",
}

CATALOGUES = {"ja": JA, "en": EN}
assert set(JA) == set(EN), set(JA) ^ set(EN)


class Strings(Mapping[str, str]):
    """A catalogue: `strings("results.title", q=…)` fills a text in; a
    missing key or placeholder gives the key itself rather than an error."""

    def __init__(self, lang: str = "ja", overrides: Mapping[str, str] | None = None) -> None:
        self.lang = lang
        self._texts = {**CATALOGUES[lang], **(overrides or {})}

    def __getitem__(self, key: str) -> str:
        return self._texts[key]

    def __iter__(self) -> Any:
        return iter(self._texts)

    def __len__(self) -> int:
        return len(self._texts)

    def __call__(self, key: str, **values: Any) -> str:
        text = self._texts.get(key, key)
        try:
            return text.format(**values)
        except (KeyError, IndexError, ValueError):
            return text

    def fill(self, key: str, **values: Any) -> str | None:
        """The text with every placeholder filled, or None when a value is missing."""
        try:
            return self._texts[key].format(**values)
        except (KeyError, IndexError, ValueError):
            return None

    def widget(self) -> dict[str, str]:
        """The search box's strings, keys without the `widget.` prefix."""
        return {k[len("widget."):]: v for k, v in self._texts.items() if k.startswith("widget.")}


def parse_lang(value: Any) -> str:
    """`ja`, `en` (or a tag like `en-US`, `ja_JP`): the catalogue's language."""
    lang = str(value).strip().lower().replace("_", "-").split("-")[0]
    if lang not in LANGS:
        raise ValueError(f"must be one of {', '.join(LANGS)}")
    return lang


def load_overrides(path: str | None) -> dict[str, str]:
    """The JSON file of string overrides; ValueError naming what is wrong."""
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise ValueError(f"cannot read {path}: {e.strerror or e}") from None
    except ValueError as e:
        raise ValueError(f"{path} is not valid JSON: {e}") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ValueError(f'{path} must hold one JSON object of strings {{"key": "text"}}')
    unknown = sorted(set(data) - set(JA))
    if unknown:
        raise ValueError(f"{path}: unknown keys {', '.join(unknown[:5])} (see web/strings.py)")
    return data
