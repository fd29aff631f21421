"""Step 3 of answering: features. Each is a named pure function ``f(query, candidate, context)
-> float`` that says one thing about how well a candidate answers the query; the fitted
weights (qa/data/answer_weights.json) say how much each counts.

The features are listed in :data:`FEATURES` in a fixed order: the weights file names them, so
a feature added or removed is caught when the weights are loaded. A few of them also come
relative to the question's other candidates (:data:`RELATIVE`, named ``<feature>_lead``: how
far this candidate is ahead of the best other answer on it), which :func:`matrix` adds.
"""

from __future__ import annotations

import functools
import math
import re
from typing import Callable

import numpy as np

from ..lexicon import words
from .analysis import Query
from .candidates import Candidate, classifier_group, label_fit
from .context import Context
from .matching import bigram_share, coverage, head_noun, match, narrower_only, term_score
from .words import cilin_synonyms, word_vectors

Feature = Callable[[Query, Candidate, Context], float]
FEATURES: dict[str, Feature] = {}
# features that also count relative to the best rival answer of the same question
RELATIVE = ("words_graded", "words_near", "words_clause", "echo_before", "echo_after", "echo_bigrams",
            "counted_at", "bigrams_near", "term_distance")


def feature(fn: Feature) -> Feature:
    """Register ``fn`` as a feature under its own name."""
    FEATURES[fn.__name__] = fn
    return fn


# Which way each feature may pull, from what it says (its docstring): fitted weights are kept
# to that sign (0 for those that may pull either way). Without it, features that move together
# (unit_kin with unit_same, subject_here with words_sentence) took opposite signs that fitted the
# reading-comprehension data and failed on other text.
AGAINST = ("words_missing", "words_unasked", "subject_in_report", "narrower_clash", "counted_absent", "unit_none",
           "unit_missing", "pair_from", "numeral_one", "in_quotes", "number_clash", "place_unknown", "year_unknown",
           "stated_change")
EITHER = ("counted_elsewhere", "date_century", "date_tail", "is_range", "in_list", "clause_figures", "in_title",
          "year_of_report",
          "bias_name", "bias_span", "span_length")


def sign(name: str) -> int:
    """+1 for a feature that speaks for a candidate, -1 against it, 0 either way."""
    base = name.removesuffix("_lead")
    return 0 if base in EITHER else -1 if base in AGAINST else 1


def feature_names() -> list[str]:
    """Every feature's name, in the order of the weights file."""
    return list(FEATURES) + [f"{n}_lead" for n in RELATIVE]


def vector(q: Query, c: Candidate, ctx: Context) -> np.ndarray:
    """The candidate's own features, in the order of FEATURES."""
    return np.array([fn(q, c, ctx) for fn in FEATURES.values()], dtype=np.float64)


def matrix(q: Query, cands: list[Candidate], ctx: Context) -> np.ndarray:
    """The features of a question's candidates, one row each, in the order of
    :func:`feature_names`: each candidate's own, then how far it leads the best candidate with
    another answer on each of RELATIVE (its own value when it has no rival)."""
    base = np.vstack([vector(q, c, ctx) for c in cands]) if cands else np.zeros((0, len(FEATURES)))
    cols = [list(FEATURES).index(n) for n in RELATIVE]
    lead = np.zeros((len(cands), len(cols)))
    keys = [re.sub(r"\s|,", "", c.text) for c in cands]
    for i in range(len(cands)):
        others = [k for k in range(len(cands)) if keys[k] != keys[i]]
        best = base[others][:, cols].max(axis=0) if others else np.zeros(len(cols))
        lead[i] = base[i, cols] - best
    return np.hstack([base, lead])


# --------------------------------------------------------------------------- the question's words

@feature
def words_graded(q: Query, c: Candidate, ctx: Context) -> float:
    """The question's words found around the candidate, each counted by how close it stands
    (right at the figure 1 … anywhere in the passage 0.2), weighted by IDF: the one number the
    old hand-set rules decided by."""
    return coverage(ctx.weights, c.zones.graded(), q.text, c.zones.sentence)


@feature
def words_near(q: Query, c: Candidate, ctx: Context) -> float:
    """The question's words within 10 characters of the candidate, in its clause
    ("培训1200人，介绍就业800人": 就业 is at 800)."""
    z = c.zones
    return coverage(ctx.weights, [(z.near_left, 1.0), (z.near_right, 1.0)], q.text, z.sentence)


@feature
def words_clause(q: Query, c: Candidate, ctx: Context) -> float:
    """The question's words in the candidate's clause (and, for a list, the words before it)."""
    z = c.zones
    return coverage(ctx.weights, [(z.clause, 1.0), (z.lead, 1.0)], q.text, z.sentence)


@feature
def words_segment(q: Query, c: Candidate, ctx: Context) -> float:
    """The question's words in the candidate's part of the sentence between semicolons
    (一类工会组织1563个，占30%，比前一年增加了386个；二类…: 一类 is 386个's)."""
    return coverage(ctx.weights, [(c.zones.segment, 1.0)], q.text, c.zones.sentence)


@feature
def words_unasked(q: Query, c: Candidate, ctx: Context) -> float:
    """Words right before the figure that the question does not have (规模以上企业参与面93% for
    企业参与面: 规模以上 says it is another figure): their characters / 8, at most 1. Scope and
    qualifier words (全市, 共, 达, 约) do not count."""
    if c.figure is None:
        return 0.0
    return min(_unasked_chars(c.zones.left, q.terms, q.text) / 8.0, 1.0)


_SCOPE = re.compile(r"全市|全区|全省|全县|全国|本市|该市|其中|目前|截至|已经|先后|共计|总计|合计|累计|分别|达到|共|已|达|为|有|是|了|的|和|及|与|在|对|把|将|被|约|近|超过|逾|"
                    r"由|从|增加|增长|提高|提升|上升|减少|下降|降低|增至|增加到|提高到|到|至|年前|前|后|以来|同比|比")


@functools.lru_cache(maxsize=8192)
def _unasked_chars(left: str, terms: tuple, question: str) -> int:
    rest = left
    for t in sorted(terms, key=len, reverse=True):
        if len(t) >= 2 or t in rest:
            rest = rest.replace(t, " ")
    n = 0
    for w in words(rest):
        if _SCOPE.fullmatch(w) or w in question or re.search(r"\d", w):
            continue
        if any(match(t, w, question) >= 0.7 for t in terms if len(t) >= 2):
            continue
        n += len(w)
    return n


@feature
def words_sentence(q: Query, c: Candidate, ctx: Context) -> float:
    """The question's words anywhere in the candidate's sentence."""
    return coverage(ctx.weights, [(c.zones.sentence, 1.0)], q.text, c.zones.sentence)


@feature
def words_passage(q: Query, c: Candidate, ctx: Context) -> float:
    """The question's words in the passage or its article's title (the subject is often only
    in another sentence)."""
    return coverage(ctx.weights, [(c.zones.context, 1.0)], q.text, c.zones.sentence)


@feature
def words_report(q: Query, c: Candidate, ctx: Context) -> float:
    """How much of the question the candidate's whole report holds, against the best report
    among the hits (0 for the best, negative for the others)."""
    return ctx.doc_cover(c.passage.source) - ctx.best_doc_cover


@feature
def subject_here(q: Query, c: Candidate, ctx: Context) -> float:
    """Whether the question's weightiest word (its subject, mostly: 北盘江 of 北盘江全长多少公里)
    stands where it can be the figure's subject: 1 in its sentence, 0.6 in the article's title,
    0.3 elsewhere in the passage, 0 nowhere (the figure is then likely another thing's)."""
    subject = ctx.subject
    if not subject:
        return 0.0
    z = c.zones
    if match(subject, z.sentence, q.text) >= 0.7:
        return 1.0
    if c.passage.section and match(subject, c.passage.section, q.text) >= 0.7:
        return 0.6
    if match(subject, z.context, q.text) >= 0.7:
        return 0.3
    return 0.0


@feature
def subject_in_report(q: Query, c: Candidate, ctx: Context) -> float:
    """1 when the question's weightiest word appears nowhere in the candidate's whole report
    (上海港 asked, a report about 宁波舟山港): the figure is another thing's."""
    subject = ctx.subject
    if not subject:
        return 0.0
    return 0.0 if match(subject, ctx.corpus.doc_text(c.passage.source), q.text) >= 0.7 else 1.0


@feature
def number_clash(q: Query, c: Candidate, ctx: Context) -> float:
    """The question gives a numbered thing (第133届, 第四次, 6号线) and the nearest number of the
    same measure word before the candidate in its sentence is another (第134届): 1."""
    from ..figures import find_figures
    asked = [f for f in find_figures(q.text) if f.unit and f.kind not in ("year", "date") and f.value is not None]
    if not asked:
        return 0.0
    for f in asked:
        before = [g for g in c.figures if g.unit == f.unit and g.kind == f.kind and g.end <= c.span[0]]
        if before and before[-1].value != f.value:
            return 1.0
    return 0.0


@feature
def words_missing(q: Query, c: Candidate, ctx: Context) -> float:
    """The weight of the question's rarest word when it is nowhere in the passage (a thing the
    passage does not speak of)."""
    worst = 0.0
    for t, w in ctx.weights.items():
        if len(t) >= 2 and term_score(t, [(c.zones.context, 1.0)], q.text) < 0.5:
            worst = max(worst, w)
    return min(worst / 8.0, 1.0)


@feature
def bigrams_near(q: Query, c: Candidate, ctx: Context) -> float:
    """The question's character pairs within the candidate's clause, IDF-weighted: paraphrases
    and OCR-damaged words (职工会率 for 职工入会率) still share most pairs."""
    z = c.zones
    return bigram_share(ctx.grams, z.left + "|" + z.right + "|" + z.lead)


@feature
def bigrams_sentence(q: Query, c: Candidate, ctx: Context) -> float:
    """The question's character pairs in the candidate's sentence."""
    return bigram_share(ctx.grams, c.zones.sentence)


@feature
def bigrams_passage(q: Query, c: Candidate, ctx: Context) -> float:
    """The question's character pairs in the passage and its title."""
    return bigram_share(ctx.grams, c.zones.context)


@feature
def synonyms_clause(q: Query, c: Candidate, ctx: Context) -> float:
    """The question's words that are not in the sentence as written but are there as a synonym
    from 同义词词林 (加入 ~ 参加), IDF-weighted share."""
    total = sum(ctx.weights.values()) or 1.0
    got = 0.0
    for t, w in ctx.weights.items():
        if len(t) < 2 or match(t, c.zones.sentence, q.text) >= 0.7:
            continue
        if any(s in c.zones.clause for s in cilin_synonyms(t)):
            got += w
    return got / total


@feature
def vectors_clause(q: Query, c: Candidate, ctx: Context) -> float:
    """For the question's words not found in the sentence, how near in meaning the words of the
    candidate's clause are (cosine of word vectors; IDF-weighted mean of the best match)."""
    wv = word_vectors()
    if wv is None:
        return 0.0
    missing = [(t, w) for t, w in ctx.weights.items() if len(t) >= 2 and match(t, c.zones.sentence, q.text) < 0.7]
    if not missing:
        return 0.0
    mat = _clause_vectors(c.zones.left + "，" + c.zones.right + "，" + c.zones.lead)
    if mat is None:
        return 0.0
    total = got = 0.0
    for t, w in missing:
        v = wv.get(t)
        if v is None:
            continue
        total += w
        got += w * max(0.0, float(np.max(mat @ v.astype(np.float32))))
    return got / total if total else 0.0


@functools.lru_cache(maxsize=4096)
def _clause_vectors(text: str):
    wv = word_vectors()
    rows = [wv.get(w) for w in set(words(text)) if len(w) >= 2]
    rows = [r for r in rows if r is not None]
    return np.vstack(rows).astype(np.float32) if rows else None


@feature
def abbreviation_clause(q: Query, c: Candidate, ctx: Context) -> float:
    """The question's words not in the sentence as written whose characters stand in order in a
    short stretch of the candidate's clause, as a Chinese abbreviation stands for its words
    (营收 ~ 营业收入, 厦马 ~ 厦门马拉松): their IDF-weighted share."""
    total = sum(ctx.weights.values()) or 1.0
    got = 0.0
    text = c.zones.clause + "|" + c.zones.lead
    for t, w in ctx.weights.items():
        if len(t) < 2 or match(t, c.zones.sentence, q.text) >= 0.7:
            continue
        if _in_order(t, text, 3 * len(t)):
            got += w
    return got / total


@functools.lru_cache(maxsize=65536)
def _in_order(word: str, text: str, window: int) -> bool:
    start = text.find(word[0])
    while start >= 0:
        pos, ok = start, True
        for ch in word[1:]:
            pos = text.find(ch, pos + 1, start + window)
            if pos < 0:
                ok = False
                break
        if ok:
            return True
        start = text.find(word[0], start + 1)
    return False


@feature
def vectors_terms(q: Query, c: Candidate, ctx: Context) -> float:
    """How near in meaning the candidate's clause is to the question, word by word: for each
    of the question's words, the best cosine with a word of the clause (1 when it is there as
    written), IDF-weighted mean."""
    wv = word_vectors()
    if wv is None:
        return 0.0
    mat = _clause_vectors(c.zones.left + "，" + c.zones.right + "，" + c.zones.lead)
    total = got = 0.0
    for t, w in ctx.weights.items():
        if len(t) < 2:
            continue
        total += w
        if t in c.zones.clause:
            got += w
            continue
        v = wv.get(t)
        if v is not None and mat is not None:
            got += w * max(0.0, float(np.max(mat @ v.astype(np.float32))))
    return got / total if total else 0.0


@feature
def term_distance(q: Query, c: Candidate, ctx: Context) -> float:
    """How close the nearest of the question's weightier words stands to the candidate:
    1 right next to it, falling with the characters between (exp(-d/8)), 0 if none is in the
    sentence."""
    s = c.zones.sentence
    a, b = c.span
    best = None
    top = max(ctx.weights.values(), default=0.0)
    for t, w in ctx.weights.items():
        if len(t) < 2 or w < 0.5 * top:
            continue
        i = s.find(t)
        while i >= 0:
            d = a - (i + len(t)) if i + len(t) <= a else (i - b if i >= b else 0)
            best = d if best is None else min(best, d)
            i = s.find(t, i + 1)
    return 0.0 if best is None else math.exp(-max(best, 0) / 8.0)


@feature
def narrower_clash(q: Query, c: Candidate, ctx: Context) -> float:
    """1 when a word of the question stands in the candidate's clause only inside a narrower
    word (高级技师 for 技师, 非公企业 for 企业)."""
    return 1.0 if any(narrower_only(t, c.zones.clause, q.text) for t in q.terms if len(t) >= 2) else 0.0


@feature
def counted_at(q: Query, c: Candidate, ctx: Context) -> float:
    """The noun counted (职工 of 多少名职工) right at the figure, more the nearer:
    技能培训班593期 over 培训班和学习活动2540多期."""
    gap = _counted_gap(q, c)
    return 0.0 if gap is None else 0.5 + 0.5 * max(0.0, 1 - gap / 6)


@feature
def counted_elsewhere(q: Query, c: Candidate, ctx: Context) -> float:
    """The noun counted is in the sentence but not at the figure."""
    if not q.counted or len(q.counted) < 2 or _counted_gap(q, c) is not None:
        return 0.0
    return 1.0 if term_score(q.counted, [(c.zones.sentence, 1.0)], q.text) >= 0.5 else 0.0


@feature
def counted_absent(q: Query, c: Candidate, ctx: Context) -> float:
    """The noun counted is nowhere in the sentence."""
    if not q.counted or len(q.counted) < 2 or c.figure is None:
        return 0.0
    return 0.0 if term_score(q.counted, [(c.zones.sentence, 1.0)], q.text) >= 0.5 else 1.0


def _counted_gap(q: Query, c: Candidate) -> int | None:
    if not q.counted or c.figure is None:
        return None
    if len(q.counted) == 1:                      # 多少个镇: only right after the figure
        return 0 if c.zones.right.startswith(q.counted) else None
    z = c.zones
    n = len(q.counted) + 6
    near = [(z.right[:n], 1.0), (z.left[-n:], 1.0)]
    head = head_noun(q.counted)
    hit = term_score(q.counted, near, q.text) >= 0.5 or (
        head != q.counted and term_score(q.counted, [(z.sentence, 1.0)], q.text) >= 0.5
        and term_score(head, near, q.text) >= 0.7)
    if not hit:
        return None
    gaps = []
    if q.counted in z.left:
        gaps.append(len(z.left) - (z.left.rfind(q.counted) + len(q.counted)))
    if q.counted in z.right:
        gaps.append(z.right.find(q.counted))
    return min(gaps) if gaps else 6


@feature
def words_proximity(q: Query, c: Candidate, ctx: Context) -> float:
    """Each of the question's words found in the sentence, counted by how near it stands to the
    candidate (exp(-distance/10)), IDF-weighted share."""
    s = c.zones.sentence
    a, b = c.span
    total = sum(ctx.weights.values()) or 1.0
    got = 0.0
    for t, w in ctx.weights.items():
        i = s.find(t)
        best = None
        while i >= 0:
            d = a - (i + len(t)) if i + len(t) <= a else (i - b if i >= b else 0)
            best = d if best is None else min(best, d)
            i = s.find(t, i + 1)
        if best is not None:
            got += w * math.exp(-max(best, 0) / 10.0)
    return got / total


@feature
def echo_before(q: Query, c: Candidate, ctx: Context) -> float:
    """How many of the characters right before the question word stand right before the
    candidate (成立于|哪一年 ~ 成立于|1968年), allowing a qualifier between (可达, 约): /4, at most 1."""
    return min(_common_suffix(q.before_wh, _before_candidate(c)) / 4.0, 1.0)


@feature
def echo_after(q: Query, c: Candidate, ctx: Context) -> float:
    """How many of the characters right after the question word stand right after the
    candidate (多少|人参加 ~ 1000人|参加; 什么时候|成立 ~ 1968年|成立): /4, at most 1."""
    after = q.after_wh
    if c.figure is not None and c.figure.unit and after.startswith(c.figure.text[-len(c.figure.unit):]):
        after = after[len(c.figure.unit):]
    rest = c.zones.sentence[c.span[1]:c.span[1] + 14]
    n = 0
    while n < min(len(after), len(rest)) and after[n] == rest[n]:
        n += 1
    return min(n / 4.0, 1.0)


@feature
def echo_bigrams(q: Query, c: Candidate, ctx: Context) -> float:
    """The character pairs of the 8 characters before and after the question word found within
    12 characters of the candidate, on the same sides."""
    from .matching import bigrams
    left, right = bigrams(q.before_wh[-8:]), bigrams(q.after_wh[:8])
    total = len(left) + len(right)
    if not total:
        return 0.0
    s = c.zones.sentence
    a, b = c.span
    near_l, near_r = s[max(0, a - 12):a], s[b:b + 12]
    return (sum(1 for g in left if g in near_l) + sum(1 for g in right if g in near_r)) / total


def _before_candidate(c: Candidate) -> str:
    s = c.zones.sentence[:c.span[0]]
    for _ in range(2):
        for w in ("最高可达", "可达", "约有", "大约", "约", "达到", "达", "近", "超过", "共有", "共", "只有", "仅"):
            if s.endswith(w):
                s = s[:-len(w)]
                break
    return s


def _common_suffix(x: str, y: str) -> int:
    n = 0
    while n < min(len(x), len(y)) and x[-1 - n] == y[-1 - n]:
        n += 1
    return n


# --------------------------------------------------------------------------- the kind of answer

@feature
def unit_same(q: Query, c: Candidate, ctx: Context) -> float:
    """The figure is in the very unit asked (人 for 多少人, % for 百分之多少)."""
    return 1.0 if c.figure is not None and q.unit and c.figure.unit == q.unit else 0.0


@feature
def unit_kin(q: Query, c: Candidate, ctx: Context) -> float:
    """The figure's unit is of the kind asked without being the one asked: a length for 多高,
    户 for 多少家, or 个 for any count."""
    f = c.figure
    if f is None or not f.unit or (q.unit and f.unit == q.unit):
        return 0.0
    if q.unit_class and q.unit_class != "count" and f.unit_class == q.unit_class:
        return 1.0
    if classifier_group(q, f) or (f.unit_class == "count" and (q.unit in (None, "个") or f.unit == "个")
                                  and q.unit_class in (None, "count", "people", "household")):
        return 0.5
    return 0.0


@feature
def unit_none(q: Query, c: Candidate, ctx: Context) -> float:
    """The figure has no unit at all (a code, a hotline, part of a list…), and the question
    names no unit either: seldom an answer."""
    f = c.figure
    if f is None or f.unit or c.kind in ("year", "date"):
        return 0.0
    return 1.0 if not q.unit and q.unit_class in (None, "count") else 0.0


@feature
def unit_missing(q: Query, c: Candidate, ctx: Context) -> float:
    """The question asks for a unit (多长, 多少钱, 多少人, 百分之多少) and the figure has none."""
    f = c.figure
    if f is None or f.unit or c.kind in ("year", "date"):
        return 0.0
    return 1.0 if q.unit or q.unit_class not in (None, "count") else 0.0


@feature
def unit_people(q: Query, c: Candidate, ctx: Context) -> float:
    """People asked (多少人, 职工有多少) and the figure counts people (人, 名, 人次)."""
    f = c.figure
    return 1.0 if f is not None and q.unit_class == "people" and f.unit_class == "people" else 0.0


@feature
def kind_typical(q: Query, c: Candidate, ctx: Context) -> float:
    """The candidate is the typical kind for what is asked: money for an amount, a measure for
    多高, a duration for 多久, a year or date for 何时, a count for 多少个."""
    want = {"amount": ("money",), "percent": ("percent",), "measure": ("measure",), "duration": ("duration",),
            "date": ("year", "date"), "count": ("count",), "ordinal": ("ordinal",), "name": ("name",),
            "org": ("org",), "what": ("quoted",), "list": ("list", "quoted"), "other": ("quoted",)}
    return 1.0 if c.kind in want.get(q.asks, ()) else 0.0


@feature
def date_grain(q: Query, c: Candidate, ctx: Context) -> float:
    """For a date: +1 when it is as fine as asked (哪一年: a year; 哪天: a month and day),
    -1 when it is coarser than asked (哪天 answered with a year)."""
    if c.kind not in ("year", "date") or c.figure is None:
        return 0.0
    has_day = bool(re.search(r"月|日", c.figure.text))
    if q.date_grain == "day":
        return 1.0 if has_day else -1.0
    if q.date_grain == "year":
        return 1.0 if re.search(r"\d{3,4}\s*年", c.figure.text) else -1.0
    return 0.5 if re.search(r"\d{3,4}\s*年", c.figure.text) else 0.0


_FIRST = re.compile(r"最早|首次|第一次|初次|首先|起初|最初|始于|开始|创立|成立|建立|创建|创办|出生|诞生")
_LAST = re.compile(r"最后|最近|最晚|最终|最新|去世|逝世|病逝|结束|退役|停止|关闭|撤销|废除")


@feature
def date_order(q: Query, c: Candidate, ctx: Context) -> float:
    """For 最早/首次/成立 (the first of several dates): +1 for the earliest year of the candidate's
    passage, -1 for the latest; the other way round for 最后/去世/结束."""
    f = c.figure
    if f is None or c.kind not in ("year", "date") or f.value is None:
        return 0.0
    first, last = bool(_FIRST.search(q.text)), bool(_LAST.search(q.text))
    if first == last:
        return 0.0
    years = sorted({g.value for g in c.figures if g.kind in ("year", "date") and g.value})
    if len(years) < 2:
        return 0.0
    pos = years.index(f.value) / (len(years) - 1)      # 0 the earliest … 1 the latest
    return (1 - 2 * pos) if first else (2 * pos - 1)


@feature
def date_century(q: Query, c: Candidate, ctx: Context) -> float:
    """The candidate is a century or a span of months (17世纪, 2至4月), not a year or a day."""
    f = c.figure
    return 1.0 if f is not None and c.kind == "date" and f.value is None and f.unit == "世纪" else 0.0


@feature
def date_tail(q: Query, c: Candidate, ctx: Context) -> float:
    """A date that bounds a span (以来, 以后, 前后, 底, 初) rather than stating when."""
    f = c.figure
    return 1.0 if f is not None and c.kind in ("year", "date") and f.qualifier else 0.0


@feature
def dimension_fit(q: Query, c: Candidate, ctx: Context) -> float:
    """多长/多高: +1 when the dimension asked stands right before the figure ("长702米，深80
    米"), -1 when another one does."""
    if not q.dimension or c.figure is None:
        return 0.0
    near = c.zones.left[-3:]
    if q.dimension in near:
        return 1.0
    if any(d in near for d in "高远长深宽重" if d != q.dimension):
        return -1.0
    return 0.0


@feature
def is_range(q: Query, c: Candidate, ctx: Context) -> float:
    """The figure is a range (8-10个)."""
    return 1.0 if c.figure is not None and c.figure.value_hi is not None else 0.0


# --------------------------------------------------------------------------- place and time

@feature
def place_same(q: Query, c: Candidate, ctx: Context) -> float:
    """The figure is the place asked's own (1), of a city in the province asked (0.5)."""
    return max(c.place_ok, 0.0) if q.places else 0.0


@feature
def place_unknown(q: Query, c: Candidate, ctx: Context) -> float:
    """A place is asked and nothing says whose the figure is."""
    return 1.0 if q.places and c.place_ok == 0 else 0.0


@feature
def place_named(q: Query, c: Candidate, ctx: Context) -> float:
    """The place asked is named in the candidate's own sentence."""
    return 1.0 if q.places and any(p in c.zones.sentence for p in q.places) else 0.0


@feature
def year_same(q: Query, c: Candidate, ctx: Context) -> float:
    """A year is asked and the text gives the figure for that year."""
    return 1.0 if q.years and c.year in q.years else 0.0


@feature
def year_unknown(q: Query, c: Candidate, ctx: Context) -> float:
    """A year is asked and neither the text nor the report's date gives it for the figure (a
    report dated the year asked speaks of that year: :func:`year_of_report`)."""
    return 1.0 if q.years and c.year is None and year_of_report(q, c, ctx) <= 0 else 0.0


@feature
def year_of_report(q: Query, c: Candidate, ctx: Context) -> float:
    """A year is asked, the text gives none for the figure, and the report is dated: +1 when its
    date is the year asked (a report's figures are mostly of its own year), -1 when not."""
    d = c.passage.date
    if not q.years or c.year is not None or not d or not d[:4].isdigit():
        return 0.0
    return 1.0 if int(d[:4]) in q.years else -1.0


@feature
def year_in_sentence(q: Query, c: Candidate, ctx: Context) -> float:
    """The year asked is written in the candidate's sentence."""
    return 1.0 if q.years and any(str(y) in c.zones.sentence for y in q.years) else 0.0


@feature
def period_fit(q: Query, c: Candidate, ctx: Context) -> float:
    """五年来 asked, and 五/5 stands before the figure in its sentence."""
    if not q.period or c.figure is None:
        return 0.0
    return 1.0 if q.period[:1] in c.zones.sentence[:c.span[0]] else 0.0


# --------------------------------------------------------------------------- where it stands

@feature
def passage_rank(q: Query, c: Candidate, ctx: Context) -> float:
    """1 / (1 + the rank of its passage among the hits)."""
    return 1.0 / (1 + c.rank)


@feature
def passage_score(q: Query, c: Candidate, ctx: Context) -> float:
    """Its passage's retrieval score relative to the best passage."""
    return c.retrieval


@feature
def pair_from(q: Query, c: Candidate, ctx: Context) -> float:
    """The first figure of 由A增加到B (the earlier value), when the question does not ask for
    the earlier one."""
    if q.past or c.figure is None:
        return 0.0
    return 1.0 if any(c.figure is a for a, _, _ in c.pairs) else 0.0


_CHANGE_BEFORE = re.compile(r"(?:增加|增长|提高|提升|上升|减少|下降|降低|上涨|下跌|净增|增|减|涨|跌|多|少)(?:了|出)?$")
_CHANGE_ASKED = re.compile(r"增加|增长|提高|提升|上升|减少|下降|降低|上涨|下跌|涨|跌|增|减|变化|多了|少了|相比|同比|环比|比")


@feature
def stated_change(q: Query, c: Candidate, ctx: Context) -> float:
    """The figure is a change the sentence states (比去年下降37分, 同比增长62.3%) and the question
    does not ask for a change: it asks for the level (二本线多少)."""
    if c.figure is None or _CHANGE_ASKED.search(q.text):
        return 0.0
    return 1.0 if _CHANGE_BEFORE.search(c.zones.sentence[max(0, c.span[0] - 4):c.span[0]]) else 0.0


@feature
def respectively(q: Query, c: Candidate, ctx: Context) -> float:
    """"A及B…分别X和Y": +1 when the candidate is the figure of the item the question names,
    -1 when it is another item's."""
    f = c.figure
    if f is None:
        return 0.0
    nsent = c.zones.sentence
    k = nsent.find("分别")
    if k < 0 or f.start < k:
        return 0.0
    after = [g for g in c.figures if g.start > k and g.kind == f.kind and g.unit == f.unit]
    if f not in after or len(after) < 2:
        return 0.0
    head = nsent[:k]
    items = [x for x in re.split(r"及|和|与|、|以及", re.sub(r".*[，,；;]", "", head)) if x.strip()]
    if len(items) < len(after):
        return 0.0
    items = items[-len(after):]
    idx = after.index(f)
    core = lambda s: re.sub(r"[“”\"'‘’「」]", "", s)
    for j, item in enumerate(items):
        key = core(item).strip()[:6]
        if key and key[:3] in core(q.text):
            return 1.0 if j == idx else -1.0
    return 0.0


@feature
def in_list(q: Query, c: Candidate, ctx: Context) -> float:
    """The figure is one item of a list of figures (…8名、…30名)."""
    return 1.0 if c.zones.lead else 0.0


@feature
def clause_figures(q: Query, c: Candidate, ctx: Context) -> float:
    """How crowded its clause is: 1 / the number of figures in it."""
    a, b = c.span
    lo = c.zones.sentence.find(c.zones.clause)
    n = sum(1 for g in c.figures if lo <= g.start < lo + len(c.zones.clause)) if lo >= 0 else 1
    return 1.0 / max(n, 1)


@feature
def in_title(q: Query, c: Candidate, ctx: Context) -> float:
    """The candidate's sentence is its article's title."""
    return 1.0 if c.passage.section and c.sentence.strip() == c.passage.section.strip() else 0.0


@feature
def anchored(q: Query, c: Candidate, ctx: Context) -> float:
    """A later part of a multi-part question ("…有多少个？占比多少？"): 1 in the sentence of the
    part before's answer just after it, 0.5 before it, 0.25 near it in the same report."""
    a = ctx.anchor
    if a is None:
        return 0.0
    if a.passage.passage_id == c.passage.passage_id and a.sentence == c.sentence:
        gap = c.span[0] - a.span[1]
        return (1.0 if gap >= 0 else 0.5) * (0.5 + 0.5 * max(0.0, 1 - abs(gap) / 40))
    if a.passage.source == c.passage.source and abs(a.passage.start - c.passage.start) < 400:
        return 0.25
    return 0.0


# --------------------------------------------------------------------------- names and spans

@feature
def role_next(q: Query, c: Candidate, ctx: Context) -> float:
    """A name right next to the role asked (书记姚志平): 1 adjacent, less with a word between."""
    if c.kind != "name" or c.role_gap < 0:
        return 0.0
    return 1.0 / (1 + c.role_gap)


@feature
def bias_name(q: Query, c: Candidate, ctx: Context) -> float:
    """1 for a name (its own intercept)."""
    return 1.0 if c.kind == "name" else 0.0


@feature
def bias_span(q: Query, c: Candidate, ctx: Context) -> float:
    """1 for a quoted name, a list or an organisation (their own intercept)."""
    return 1.0 if c.family == "span" else 0.0


@feature
def span_length(q: Query, c: Candidate, ctx: Context) -> float:
    """How long a quoted, listed or labelled answer is (characters / 20, at most 1)."""
    return min(len(c.text) / 20.0, 1.0) if c.family in ("span", "field") else 0.0


@feature
def label_asked(q: Query, c: Candidate, ctx: Context) -> float:
    """The candidate is the value of a label the question names (防水等级：IPX4 for
    防水等级是多少, 咨询电话：0715-… for 招聘咨询电话): 1 when it says the label's last words."""
    return label_fit(c.label, q.text) if c.label else 0.0


@feature
def numeral_one(q: Query, c: Candidate, ctx: Context) -> float:
    """一本, 一个, 一项: the numeral 一 is as often an article as a count."""
    f = c.figure
    return 1.0 if f is not None and f.value == 1 and f.text.lstrip("约近逾超过")[:1] in "一壹" else 0.0


@feature
def in_quotes(q: Query, c: Candidate, ctx: Context) -> float:
    """The figure stands inside quotation marks (“一本工会会员证”): a name, seldom a count."""
    s = c.zones.sentence
    a = c.span[0]
    opened = max(s.rfind("“", 0, a), s.rfind("「", 0, a), s.rfind("《", 0, a))
    if opened < 0:
        return 0.0
    closed = max(s.rfind("”", opened, a), s.rfind("」", opened, a), s.rfind("》", opened, a))
    return 1.0 if closed < 0 else 0.0
