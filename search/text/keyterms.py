"""Content words of a text, weighted for finding related posts.

`count_key_terms(title, body)` runs the same morphological analysis as the
index and counts the words that say what a text is about: nouns and proper
nouns at full weight, verbs and adjectives at a low weight; particles,
pronouns (私, たち), numbers, suffixes, single characters, symbols, English
function words and generic words (場合, 方法, 今回, 使う ...) do not count. Title
words count TITLE_BOOST times. Weights are term frequencies: rarity (idf)
is applied by `search.editorial.related`, which knows the collection.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from search.text.morph import SUFFIX_MARK, Morpheme, analyze

TITLE_BOOST = 3.0

# Weight by UniDic part of speech: the longest matching prefix wins.
POS_WEIGHTS: dict[str, float] = {
    "名詞": 1.0,
    "名詞-固有名詞": 1.0,
    "名詞-英字": 1.0,
    "名詞-普通名詞-副詞可能": 0.3,  # 今日, 全部, 結果
    "名詞-普通名詞-助数詞可能": 0.0,  # 倍, 個
    "名詞-数詞": 0.0,
    "形状詞": 0.5,
    "動詞": 0.3,
    "形容詞": 0.3,
}
# Words that appear in any text whatever its topic.
GENERIC_WORDS = frozenset(
    {"方法", "場合", "仕方", "やり方", "手順", "必要", "可能", "使用", "利用", "以下", "以上",
     "今回", "次", "前", "後", "中", "上", "下", "時", "際", "点", "例", "説明", "記事",
     "ため", "もの", "こと", "よう", "とき", "ところ", "部分", "全体", "一つ", "自分",
     "本当", "大切", "重要", "問題", "関係", "意味", "内容", "情報", "実際", "最初",
     "最後", "他", "別", "同じ", "多く", "一般", "通常", "皆さん", "私達", "人",
     "使う", "行う", "見る", "思う", "考える", "言う", "分かる", "知る", "持つ", "来る", "行く",
     "良い", "多い", "少ない", "無い", "大きい", "小さい"}
)
# English function words, common in Japanese technical posts' code and quotes.
ENGLISH_STOP_WORDS = frozenset(
    "a an and are as at be but by can do does for from has have if in into is it its no not "
    "of on or so than that the then there these this to was were will with you your".split()
)
_NUMBER = re.compile(r"[\d.,]+")


@dataclass(frozen=True)
class KeyTerm:
    term: str  # the index term (as in the `body` and `title` fields)
    surface: str  # how the text most often writes it, for display
    weight: float  # part-of-speech weighted frequency, title boosted


def pos_weight(m: Morpheme) -> float:
    """How much one occurrence of a morpheme says about the topic (0: nothing)."""
    term = m.term
    if not m.kept or len(term) < 2 or term.startswith(SUFFIX_MARK):
        return 0.0
    if term in GENERIC_WORDS or m.lemma in GENERIC_WORDS or term in ENGLISH_STOP_WORDS:
        return 0.0
    if _NUMBER.fullmatch(term):
        return 0.0
    best, weight = -1, 0.0
    for prefix, w in POS_WEIGHTS.items():
        if m.pos.startswith(prefix) and len(prefix) > best:
            best, weight = len(prefix), w
    return weight


# (term, lemma, part of speech) -> weight of one occurrence; words are Zipfian.
_weights: dict[tuple[str, str, str], float] = {}
_WEIGHTS_MAX = 200_000


def count_key_terms(title: str, body: str, limit: int | None = None) -> list[KeyTerm]:
    """The content words of a text, heaviest first (ties by term)."""
    weights: Counter[str] = Counter()
    surfaces: dict[str, Counter[str]] = {}
    for text, boost in ((title, TITLE_BOOST), (body, 1.0)):
        for m in analyze(text, kept_only=True):
            key = (m.term, m.lemma, m.pos)
            w = _weights.get(key)
            if w is None:
                if len(_weights) >= _WEIGHTS_MAX:
                    _weights.clear()
                w = _weights[key] = pos_weight(m)
            if w:
                weights[m.term] += w * boost
                # nouns are shown as written; inflected words by their base form
                shown = m.surface if m.pos[0] == "名" else m.term
                surfaces.setdefault(m.term, Counter())[shown] += 1
    ranked = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return [KeyTerm(t, surfaces[t].most_common(1)[0][0], round(w, 2)) for t, w in ranked]
