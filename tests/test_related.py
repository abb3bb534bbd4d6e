"""Related posts and suggested tags on the sample posts; key terms; drafts."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from search.ingest.drafts import MAX_DRAFT_CHARS, DraftTooLarge, parse_draft, read_draft
from search.errors import PostError, SearchError
from search.text.keyterms import TITLE_BOOST, count_key_terms
from search.text.morph import analyze
from search import Searcher
from search.editorial.related import (
    MENTION_WEIGHT,
    MENTIONED_BY_WEIGHT,
    PostNotFound,
    Source,
    key_terms,
    mentioned_by,
    rank_related,
    related_posts,
    related_to_draft,
    select_terms,
    text_scores,
    title_mentions,
)

SLUGS = [
    "aws-trainium2", "nvidia-h100-gpu-shortage", "kubernetes-deploy", "postgresql-index-design",
    "postgresql-backup", "python-asyncio", "linux-file-permissions", "disk-usage-du-df",
    "generative-ai-copyright", "remote-work-rd", "quantum-computer-basics", "zero-trust-security",
    "rust-speedup", "microsoft-maia-100", "server-operations-guide",
]
# Words that must never explain a relation.
NOT_CONTENT = {"の", "は", "が", "を", "に", "で", "と", "も", "する", "ある", "いる", "なる", "私",
               "たち", "こと", "もの", "よう", "ため", "場合", "方法", "今回", "the", "of"}
GPU_DRAFT = (
    "NVIDIAのGPUは高価で、データセンター向けの供給も足りない。各社は独自のAIチップを開発し、"
    "推論とトレーニングのコストを下げようとしている。HBMの調達や冷却も課題だ。"
)


@pytest.fixture(scope="module")
def searcher(index_dir: Path):
    with Searcher(index_dir) as s:
        yield s


def related_slugs(searcher: Searcher, slug: str, limit: int = 5, **kwargs) -> list[str]:
    return [p.slug for p in related_posts(searcher, slug, limit, **kwargs).related]


@pytest.mark.parametrize(("slug", "expected", "within"), [
    ("postgresql-backup", "postgresql-index-design", 2),
    ("postgresql-index-design", "postgresql-backup", 2),
    ("aws-trainium2", "microsoft-maia-100", 1),
    ("microsoft-maia-100", "aws-trainium2", 1),
    ("nvidia-h100-gpu-shortage", "microsoft-maia-100", 2),
    ("nvidia-h100-gpu-shortage", "aws-trainium2", 2),
    ("python-asyncio", "rust-speedup", 2),
])
def test_expected_related_posts(searcher: Searcher, slug: str, expected: str, within: int) -> None:
    assert expected in related_slugs(searcher, slug)[:within]


def test_ai_chip_posts_share_real_content_words(searcher: Searcher) -> None:
    result = related_posts(searcher, "aws-trainium2")
    maia = result.related[0]
    assert maia.slug == "microsoft-maia-100"
    assert "チップ" in maia.shared_terms[:3]
    assert {"AI", "チップ"} <= set(maia.shared_tags)
    assert maia.shared_categories == ["投資分析"]
    assert "チップ" in result.key_terms and "Trainium2" in result.key_terms


@pytest.mark.parametrize("slug", SLUGS)
def test_results_explain_themselves_with_content_words(searcher: Searcher, slug: str) -> None:
    result = related_posts(searcher, slug, limit=10)
    assert result.slug == slug and result.related
    assert slug not in [p.slug for p in result.related]
    scores = [p.score for p in result.related]
    assert scores == sorted(scores, reverse=True) and all(0 < s <= 1 for s in scores)
    for post in result.related:
        assert post.shared_terms or post.shared_tags or post.shared_categories
        for word in post.shared_terms + result.key_terms:
            assert word.lower() not in NOT_CONTENT, (slug, post.slug, word)
            assert len(word) > 1 and not word.replace(".", "").isdigit(), word


def test_text_only_ignores_tags(searcher: Searcher) -> None:
    tag_only = 0
    for slug in SLUGS:
        with_tags = related_posts(searcher, slug, limit=14).related
        text_only = related_posts(searcher, slug, limit=14, use_tags=False).related
        tag_only += sum(not p.shared_terms for p in with_tags)
        assert all(p.shared_terms for p in text_only)
        assert text_only[0].score == 1.0  # normalised by the best text match
    assert tag_only  # with tags, a post sharing only a tag can be related


def test_json_shape(searcher: Searcher) -> None:
    data = json.loads(json.dumps(related_posts(searcher, "rust-speedup", limit=2).to_dict()))
    assert set(data) >= {"slug", "title", "key_terms", "related"}
    assert len(data["related"]) == 2
    assert set(data["related"][0]) >= {"slug", "url", "title", "score", "shared_terms", "shared_tags"}
    assert data["related"][0]["url"].endswith(".html")


def test_unknown_slug_is_a_search_error(searcher: Searcher) -> None:
    with pytest.raises(PostNotFound, match="no-such-post"):
        related_posts(searcher, "no-such-post")
    assert issubclass(PostNotFound, SearchError)


def test_limit_is_clamped(searcher: Searcher) -> None:
    assert len(related_posts(searcher, "rust-speedup", limit=0).related) == 1
    assert len(related_posts(searcher, "rust-speedup", limit=1000).related) <= len(SLUGS) - 1


def test_draft_about_ai_chips_finds_the_chip_posts_and_suggests_tags(searcher: Searcher) -> None:
    result = related_to_draft(searcher, "GPU不足とAIチップの自社開発", GPU_DRAFT, tags=["AI"])
    top3 = {p.slug for p in result.related[:3]}
    assert top3 == {"aws-trainium2", "microsoft-maia-100", "nvidia-h100-gpu-shortage"}
    suggested = [t.tag for t in result.suggested_tags]
    assert suggested[0] == "チップ"
    assert "AI" not in suggested  # already given
    assert {"GPU", "NVIDIA", "半導体"} & set(suggested)
    scores = [t.score for t in result.suggested_tags]
    assert scores == sorted(scores, reverse=True) and all(0 < s <= 1 for s in scores)
    assert {"suggested_tags", "related", "key_terms"} <= set(result.to_dict())


@pytest.mark.parametrize("given", [["ai"], ["ＡＩ"], [" AI "]])
def test_given_tags_are_never_suggested_whatever_their_width_or_case(
    searcher: Searcher, given: list[str]
) -> None:
    result = related_to_draft(searcher, "AIチップ", GPU_DRAFT, tags=given)
    assert "AI" not in [t.tag for t in result.suggested_tags]


def test_draft_without_tags_can_be_given_all_of_them(searcher: Searcher) -> None:
    suggested = [t.tag for t in related_to_draft(searcher, "", GPU_DRAFT).suggested_tags]
    assert suggested[:2] == ["AI", "チップ"]


@pytest.mark.parametrize("body", ["", "   ", "のをにはが", "🙂🚀", "ペンギンの行進"])
def test_drafts_with_nothing_to_match_give_empty_results(searcher: Searcher, body: str) -> None:
    result = related_to_draft(searcher, "", body)
    assert result.related == [] and result.suggested_tags == []


def test_draft_size_limit(searcher: Searcher) -> None:
    related_to_draft(searcher, "", "あ" * MAX_DRAFT_CHARS)
    with pytest.raises(DraftTooLarge, match="200,000") as error:
        related_to_draft(searcher, "", "あ" * (MAX_DRAFT_CHARS + 1))
    assert isinstance(error.value, SearchError) and error.value.chars == MAX_DRAFT_CHARS + 1


def test_markdown_draft_file(searcher: Searcher, tmp_path: Path) -> None:
    path = tmp_path / "draft.md"
    path.write_text(
        "---\ntitle: GPUとAIチップ\ntags: [AI, GPU]\ncategories: 投資分析\n---\n"
        f"## 背景\n\n**{GPU_DRAFT}**\n\n[詳しくはこちら](https://example.com/x)\n",
        encoding="utf-8",
    )
    draft = read_draft(path)
    assert (draft.title, draft.tags, draft.categories) == ("GPUとAIチップ", ("AI", "GPU"), ("投資分析",))
    assert "**" not in draft.body and "https" not in draft.body and "詳しくはこちら" in draft.body
    result = related_to_draft(searcher, draft.title, draft.body, draft.tags, categories=draft.categories)
    assert result.related[0].shared_categories == ["投資分析"]
    assert not {"AI", "GPU"} & {t.tag for t in result.suggested_tags}


@pytest.mark.parametrize(("text", "title", "tags"), [
    ("本文だけ。\n", "", ()),
    ("---\ntitle: 題\n---\n本文\n", "題", ()),
    ("\ufeff---\r\ntags: a b\r\n---\r\n本文\r\n", "", ("a", "b")),
])
def test_front_matter_is_optional_in_drafts(text: str, title: str, tags: tuple) -> None:
    draft = parse_draft(text)
    assert (draft.title, draft.tags) == (title, tags) and draft.body.startswith("本文")


def test_bad_draft_files_are_post_errors(tmp_path: Path) -> None:
    broken = tmp_path / "broken.md"
    broken.write_text("---\ntitle: [壊れた\n---\n本文\n", encoding="utf-8")
    with pytest.raises(PostError, match="broken YAML"):
        read_draft(broken)
    with pytest.raises(PostError, match="No such file"):
        read_draft(tmp_path / "missing.md")
    latin = tmp_path / "latin.md"
    latin.write_bytes(b"caf\xe9")
    with pytest.raises(PostError, match="UTF-8"):
        read_draft(latin)


# --- mentions of titles -------------------------------------------------------

KUBERNETES_TITLE = "Kubernetesへのデプロイ入門：Deploymentとローリングアップデート"
REMOTE_WORK_DRAFT = (
    "在宅勤務を始めて一年がたった。朝の通勤がなくなり、散歩の時間が増えた。チームとの雑談は減ったが、"
    "文章でのやり取りは上手になった。研究開発の進め方も少し変わった。"
    f"週末には以前書いた「{KUBERNETES_TITLE}」を読み返した。"
)


def docnum_of(searcher: Searcher, slug: str) -> int:
    return searcher.snapshot.searcher.document_number(slug=slug)


def title_of(searcher: Searcher, slug: str) -> str:
    return searcher.snapshot.searcher.stored_fields(docnum_of(searcher, slug))["title"]


@pytest.mark.parametrize("slug", SLUGS)
def test_a_title_s_own_words_mention_its_post_most(searcher: Searcher, slug: str) -> None:
    snapshot = searcher.snapshot
    share, contributions = title_mentions(snapshot, count_key_terms(title_of(searcher, slug), ""), 4)
    mine = docnum_of(searcher, slug)
    assert 0 < share[mine] <= MENTION_WEIGHT + 1e-6
    assert share[mine] == share.max() and (share <= MENTION_WEIGHT + 1e-6).all()
    assert all(len(docs) == len(s) for _, docs, s in contributions)


@pytest.mark.parametrize("slug", ["kubernetes-deploy", "postgresql-index-design"])
def test_a_title_of_content_words_only_named_in_full_gets_the_whole_weight(
    searcher: Searcher, slug: str
) -> None:
    share, _ = title_mentions(searcher.snapshot, count_key_terms(title_of(searcher, slug), ""), 4)
    assert share[docnum_of(searcher, slug)] == pytest.approx(MENTION_WEIGHT)


def test_posts_whose_body_mentions_the_source_title_are_mentioned_by(searcher: Searcher) -> None:
    snapshot = searcher.snapshot
    title_terms = count_key_terms("PostgreSQLのバックアップ", "")
    share, _ = mentioned_by(snapshot, title_terms, 4)
    assert share[docnum_of(searcher, "postgresql-backup")] == pytest.approx(MENTIONED_BY_WEIGHT)
    assert (share <= MENTIONED_BY_WEIGHT + 1e-6).all()
    for d in range(snapshot.doc_count_all):
        body = {m.term for m in analyze(snapshot.searcher.stored_fields(d)["body"]) if m.kept}
        assert (share[d] > 0) == bool(body & {"postgresql", "バックアップ"})


def test_title_information_is_the_body_idf_of_each_title_s_words(searcher: Searcher) -> None:
    from search.editorial.related import _stats

    snapshot = searcher.snapshot
    reader = snapshot.searcher.reader()
    n = snapshot.doc_count
    information = _stats(snapshot).title_information(snapshot)
    for slug in SLUGS:
        words = {m.term for m in analyze(title_of(searcher, slug)) if m.kept}
        df = [reader.doc_frequency("body", w) or reader.doc_frequency("title", w) for w in words]
        expected = sum(math.log(1 + (n - f + 0.5) / (f + 0.5)) for f in df)
        assert information[docnum_of(searcher, slug)] == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("slug", SLUGS)
def test_text_similarity_is_a_share_of_an_ideal_post(searcher: Searcher, slug: str) -> None:
    snapshot = searcher.snapshot
    stored = snapshot.searcher.stored_fields(docnum_of(searcher, slug))
    selected = select_terms(snapshot, key_terms(stored["title"], stored["body"]), own=True)
    text, contributions = text_scores(snapshot, selected)
    assert 0 < text.max() <= 1.0
    assert all((s > 0).all() and (s <= 1.0).all() for _, _, s in contributions)


def test_a_draft_naming_a_post_in_passing_finds_it_and_says_why(searcher: Searcher) -> None:
    result = related_to_draft(searcher, "", REMOTE_WORK_DRAFT, limit=3)
    first = result.related[0]
    assert first.slug == "kubernetes-deploy"
    assert {"Kubernetes", "デプロイ", "入門", "Deployment"} <= set(first.shared_terms)
    assert result.related[1].slug == "remote-work-rd"


def test_mentions_of_titles_raise_the_post_they_name(searcher: Searcher) -> None:
    # postgresql-index-design names PostgreSQL, the subject of postgresql-backup's title
    snapshot = searcher.snapshot
    stored = snapshot.searcher.stored_fields(docnum_of(searcher, "postgresql-index-design"))
    source = Source(key_terms(stored["title"], stored["body"]),
                    docnum=docnum_of(searcher, stored["slug"]),
                    title_terms=count_key_terms(stored["title"], ""))

    def score_of_backup(mentions: bool) -> float:
        ranked, _ = rank_related(snapshot, source, 14, use_tags=False, mentions=mentions)
        return next(p.score for p in ranked if p.slug == "postgresql-backup")

    assert score_of_backup(True) > score_of_backup(False)
    best = related_posts(searcher, "postgresql-index-design", 1, use_tags=False).related[0]
    assert best.slug == "postgresql-backup" and best.shared_terms[0] == "PostgreSQL"


# --- key terms ---------------------------------------------------------------

@pytest.mark.parametrize(("text", "kept", "dropped"), [
    ("私たちはAWSのチップを使った", {"aws", "チップ"}, {"私", "~達", "は", "の", "使う"}),
    ("2025年に3倍の100台を導入した", {"導入"}, {"2025", "年", "3", "倍", "100", "台"}),
    ("今回の方法は場合によって必要だ", set(), {"今回", "方法", "場合", "必要"}),
    ("東京のジョンがMaia 100を語る", {"トウキョウ", "ジョン", "maia"}, {"100", "が"}),
    ("the power of the GPU", {"power", "gpu"}, {"the", "of"}),
    ("高速化と量子化の木", {"高速", "量子"}, {"~化", "木"}),  # suffixes and single characters
])
def test_key_terms_keep_content_words_only(text: str, kept: set, dropped: set) -> None:
    terms = {k.term for k in count_key_terms("", text)}
    assert kept <= terms and not dropped & terms, terms


def test_nouns_weigh_more_than_verbs_and_titles_more_than_bodies() -> None:
    weights = {k.term: k.weight for k in count_key_terms("量子", "チップを設計する。チップを作る。作る。")}
    assert weights["量子"] == TITLE_BOOST
    assert weights["チップ"] == 2.0
    assert weights["作る"] < 1.0  # two occurrences of a verb weigh less than one noun


def test_key_terms_are_shown_as_written() -> None:
    shown = {k.term: k.surface for k in count_key_terms("ＡＷＳのサーバー", "東京でサーバーを動かした")}
    assert shown["aws"] == "ＡＷＳ" and shown["サーバ"] == "サーバー" and shown["トウキョウ"] == "東京"
    assert shown["動かす"] == "動かす"  # inflected words by their base form


def test_key_terms_are_index_terms() -> None:
    text = "ＡＷＳのTrainium2で2.5倍に高速化したサーバー"
    index_terms = {m.term for m in analyze(text) if m.kept}
    assert {k.term for k in count_key_terms("", text)} <= index_terms


# --- command line -------------------------------------------------------------

def test_cli_related_post(index_dir: Path, capsys) -> None:
    from search.cli import main

    assert main(["related", "aws-trainium2", "--index", str(index_dir), "--limit", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Related to AWSのAIチップ「Trainium2」")
    assert "1. MicrosoftのAIチップ「Maia 100」" in out and "shared words: チップ" in out
    assert main(["related", "aws-trainium2", "--index", str(index_dir), "--json", "--no-tags"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["related"][0]["slug"] == "microsoft-maia-100"


def test_cli_related_draft(index_dir: Path, tmp_path: Path, capsys) -> None:
    from search.cli import main

    draft = tmp_path / "draft.md"
    draft.write_text(f"---\ntitle: GPUの話\ntags: [AI]\n---\n{GPU_DRAFT}\n", encoding="utf-8")
    assert main(["related", "--draft", str(draft), "--index", str(index_dir), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["title"] == "GPUの話" and data["suggested_tags"][0]["tag"] == "チップ"
    assert main(["related", "--draft", str(draft), "--index", str(index_dir)]) == 0
    assert "suggested tags: チップ" in capsys.readouterr().out


@pytest.mark.parametrize("args", [[], ["aws-trainium2", "--draft", "x.md"]])
def test_cli_related_needs_one_source(index_dir: Path, args: list, capsys) -> None:
    from search.cli import main

    assert main(["related", *args, "--index", str(index_dir)]) == 2
    assert "SLUG or --draft FILE" in capsys.readouterr().err


def test_cli_related_errors(index_dir: Path, tmp_path: Path, capsys) -> None:
    from search.cli import main

    assert main(["related", "no-such-post", "--index", str(index_dir)]) == 2
    assert "no post with slug 'no-such-post'" in capsys.readouterr().err
    big = tmp_path / "big.md"
    big.write_text("あ" * (MAX_DRAFT_CHARS + 1), encoding="utf-8")
    assert main(["related", "--draft", str(big), "--index", str(index_dir)]) == 2
    assert "more than the limit of 200,000" in capsys.readouterr().err


def test_a_small_blog_still_finds_related_posts(posts_copy: Path, tmp_path: Path) -> None:
    from search import build_index

    keep = ("aws-trainium2", "microsoft-maia-100", "postgresql-backup")
    for path in posts_copy.glob("*.md"):
        if not path.stem.endswith(keep):
            path.unlink()
    build_index(posts_copy, tmp_path / "ix", procs=1)
    with Searcher(tmp_path / "ix") as s:
        result = related_posts(s, "aws-trainium2", use_tags=False)
        assert result.related[0].slug == "microsoft-maia-100"
        assert "チップ" in result.related[0].shared_terms
