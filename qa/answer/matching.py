"""How well the question's words are found in a piece of text: by word (with synonyms and the
narrower-term check), by a compound's parts, and by character bigrams (paraphrases and
OCR-damaged words). Pure functions, cached; the features are built on them.
"""

from __future__ import annotations

import functools
import math
import re
from typing import Iterable

from ..figures import CN_NUM, parse_chinese_number
from ..lexicon import modifiers, synonyms, tokenizer

_SMALL_NUMERALS = "一二三四五六七八九十"
_LEVELS = ("全国", "自治区", "省级", "全省", "市级", "县级", "区级", "国家级")


@functools.lru_cache(maxsize=4096)
def parts(term: str) -> tuple[str, ...]:
    """The words a compound is made of (技能比赛 → 技能, 比赛)."""
    return tuple(w for w in tokenizer().lcut_for_search(term) if len(w) >= 2 and w != term)


@functools.lru_cache(maxsize=4096)
def head_noun(noun: str) -> str:
    """The word a compound ends in, which says what it is: 保障金 of 重大疾病互助保障金."""
    if len(noun) <= 3:
        return noun
    for n in (4, 3, 2):
        tail = noun[-n:]
        if tokenizer().FREQ.get(tail, 0) >= 50:
            return tail
    return noun


@functools.lru_cache(maxsize=8192)
def alternatives(term: str) -> tuple[tuple[str, float], ...]:
    """The ways ``term`` may be written, with how much a match counts: itself (1), 3年 for 三年
    (1), a word of its group in qa/data/synonyms.txt (0.7). (同义词词林 is a feature of its
    own, so that its weight is fitted apart.)"""
    alts = [(term, 1.0)]
    arabic = re.sub(r"[一二三四五六七八九十](?=年|个月|天)", lambda m: str(_SMALL_NUMERALS.index(m.group(0)) + 1), term)
    if arabic != term:
        alts.append((arabic, 1.0))
    seen = {term, arabic}
    for s in synonyms().get(term, ()):
        if (len(s) >= 2 or len(term) == 1) and s not in seen:
            alts.append((s, 0.7))
            seen.add(s)
    return tuple(alts)


def modified(text: str, i: int, alt: str, question: str) -> bool:
    """Whether the occurrence of ``alt`` at ``i`` is a narrower or another thing than the
    question asks: 高级技师 for 技师, 外资企业工会组建率 for 工会组建率, 全国模范职工之家 for
    自治区模范职工之家."""
    for m in modifiers():
        if text[max(0, i - len(m)):i] == m and (m + alt) not in question:
            if m == "女" and text[max(0, i - 2):i - 1] == "男":
                continue                  # 男女冠军: both, not the narrower 女冠军
            return True
    asked = [lv for lv in _LEVELS if lv + alt in question]
    if asked:
        here = [lv for lv in _LEVELS if text[max(0, i - len(lv)):i] == lv]
        if here and not set(here) & set(asked):
            return True
    return False


@functools.lru_cache(maxsize=65536)
def match(term: str, text: str, question: str) -> float:
    """How well ``term`` is found in ``text``: 1 as written, 0.7/0.6 as a synonym, up to 0.5 for
    a long compound most of whose character pairs are there, 0 when not (or only inside a
    narrower word: 高级技师 does not hold 技师 for a question about 技师)."""
    best = 0.0
    for alt, factor in alternatives(term):
        if factor <= best:
            continue
        start = 0
        while True:
            i = text.find(alt, start)
            if i < 0:
                break
            start = i + 1
            if modified(text, i, alt, question):
                continue
            best = max(best, factor)
            break
    if best == 0.0 and len(term) >= 4:
        # a long compound found in part (工资专项集体协议 ~ 工资集体协议)
        grams = {term[i:i + 2] for i in range(len(term) - 1)}
        have = sum(1 for g in grams if g in text)
        if have / len(grams) >= 0.6:
            best = 0.5 * have / len(grams)
    return best


@functools.lru_cache(maxsize=65536)
def narrower_only(term: str, text: str, question: str) -> bool:
    """Whether ``term`` stands in ``text`` only inside narrower words (高级技师 for 技师)."""
    if len(term) < 2 or term not in text:
        return False
    i = text.find(term)
    while i >= 0:
        if not modified(text, i, term, question):
            return False
        i = text.find(term, i + 1)
    return True


def term_score(term: str, zones: Iterable[tuple[str, float]], question: str, by_parts: bool = True) -> float:
    """The best ``match × closeness`` of ``term`` over ``zones`` (text, closeness); a compound
    may be found by its parts (技能比赛: 技能 … 比赛), at 0.8."""
    zones = tuple(zones)
    best = 0.0
    for zone, factor in zones:
        if factor <= best or not zone:
            continue
        m = match(term, zone, question)
        if m:
            best = max(best, m * factor)
    if by_parts and best < 0.8 and len(term) >= 3:
        subs = parts(term)
        if subs:
            part = sum(term_score(s, zones, question, by_parts=False) for s in subs) / len(subs)
            best = max(best, 0.8 * part)
    return best


def coverage(weights: dict[str, float], zones: Iterable[tuple[str, float]], question: str,
             sentence: str = "") -> float:
    """The weighted share of the question's words found in ``zones``; a compound written whole
    in ``sentence`` is not looked for by its parts (高级工 … 高级技师 are other things)."""
    zones = tuple(zones)
    total = sum(weights.values()) or 1.0
    return sum(w * term_score(t, zones, question, by_parts=t not in sentence)
               for t, w in weights.items()) / total


def bigrams(text: str) -> set[str]:
    """The Han/letter/digit character pairs of ``text``."""
    clean = re.sub(r"[^\u4e00-\u9fffA-Za-z0-9]", " ", text)
    return {clean[i:i + 2] for i in range(len(clean) - 1) if " " not in clean[i:i + 2]}


def bigram_share(grams: dict[str, float], text: str) -> float:
    """The IDF-weighted share of the question's character pairs ``grams`` found in ``text``."""
    total = sum(grams.values())
    if not total:
        return 0.0
    return sum(w for g, w in grams.items() if g in text) / total


def idf(df: int | None, n: int) -> float:
    """BM25's idf of a word in ``df`` of ``n`` passages; a word the index does not hold at all is
    the rarest there is (df 0): if the reports do not use it, a passage lacking it says so."""
    df = df or 0
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


# a numbered edition or line (第二十三届, 7号线) and a model or code (Mate 60, S7, G3, T2, Z21)
_IDENTIFIER = re.compile(rf"第([\d{CN_NUM}]+)届|(?<![\d{CN_NUM}])([\d{CN_NUM}]+)号线|"
                         r"(?<![A-Za-z\d])([A-Za-z]{1,8})\s?(\d{1,5})(?![\d.%万亿千百十元个人年月日天次件台辆吨米])")


def identifiers(text: str) -> dict[str, str]:
    """The numbered things ``text`` names, each in one form (第23届 for 第二十三届, 7号线, mate60)
    with the words as written: a question about 第133届 or 7号线 is not answered by 第134届's or
    6号线's report."""
    out: dict[str, str] = {}
    for m in _IDENTIFIER.finditer(text):
        number = m.group(1) or m.group(2)
        if number is not None:
            value = int(number) if number.isdigit() else parse_chinese_number(number)
            if value is not None:
                out.setdefault(f"第{int(value)}届" if m.group(1) else f"{int(value)}号线", m.group(0))
        elif not re.fullmatch(r"[qQhH][1-4]", m.group(3) + m.group(4)):     # Q3, H1: a quarter, a half-year
            out.setdefault(f"{m.group(3).lower()}{m.group(4)}", m.group(0))
    return out
