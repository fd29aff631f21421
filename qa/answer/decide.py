"""Step 5 of answering: one decision, found or refused, made here and nowhere else.

Hard rules first: a place, a year or a thing the reports do not cover is refused before any
candidate is looked at, and a candidate stated for another place or year cannot answer. Then
the best candidate's calibrated probability is compared with its family's threshold, which
``qa train`` chose for precision (a wrong figure is worse than a refusal).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np

from ..evaluate import loose as loose_text
from ..lexicon import gazetteer, modifiers
from .analysis import Query
from .candidates import Candidate
from .context import Corpus
from .matching import identifiers, narrower_only
from .scoring import Model, softmax_share

FIGURE_ASKS = ("count", "amount", "percent", "measure", "date", "duration", "ordinal")
NO_RIVAL = 5.0          # the margin of a candidate with no rival


@dataclass(frozen=True)
class Scored:
    """A candidate with its features and its score."""

    candidate: Candidate
    features: np.ndarray
    score: float


@dataclass(frozen=True)
class Decision:
    """Found or refused, with the winner, the runner-up and why."""

    found: bool
    best: Scored | None
    runner_up: Scored | None
    probability: float
    reason: str = ""             # a refusal's: place, year, thing, nothing, unsure
    detail: str = ""             # what was not covered (白河, 2010年, 网址)
    threshold: float = 0.0
    share: float = 0.0           # the best's softmax share among the distinct answers


def uncovered(q: Query, corpus: Corpus) -> tuple[str, str] | None:
    """(reason, what) when the question asks about something no report covers: a place, a year,
    a numbered thing (第133届, 7号线, S7), or the thing a 什么 question asks for (网址)."""
    missing = [p for p in q.places if not corpus.covers_place(p)]
    if missing and (len(missing) == len(q.places) or q.form == "plain"):
        return "place", "、".join(missing)
    years = [y for y in q.years if y not in corpus.years]
    if years and len(years) == len(q.years):
        return "year", "、".join(f"{y}年" for y in years)
    if q.years and q.places and q.form == "plain":
        # 泸州市2005年…: no report about 泸州 speaks of 2005
        about = frozenset().union(*(corpus.years_about(p) for p in q.places))
        if about and not any(y in about for y in q.years):
            return "year", "".join(q.places) + "、".join(f"{y}年" for y in q.years)
    asked = asked_identifiers(q.text)
    unknown = [written for key, written in asked if key not in corpus.identifiers]
    if unknown and (len(unknown) == len(asked) or q.form == "plain"):
        return "thing", "、".join(unknown)          # 第133届 asked, the reports speak of 第134届
    noun = q.asked_noun
    if noun and q.asks in ("what", "other", "list") and not corpus.has_word(noun) and \
            not all(corpus.has_word(w) for w in _parts(noun)):
        return "thing", noun
    return None


def _parts(noun: str) -> list[str]:
    from ..lexicon import tokenize
    return tokenize(noun) or [noun]


def eligible(q: Query, c: Candidate, corpus: Corpus | None = None) -> bool:
    """Whether a candidate may answer at all. It may not when it is
    - another place's figure, or from a report that never names the place asked (湖南's 早稻亩产
      for 江西) or the numbered thing asked (6号线's report for 7号线);
    - stated for another year, or from a report published before the year asked;
    - a narrower thing than the one asked (晋升高级技师80人 does not say how many became 技师) or
      a broader one (会员总数 for 女职工会员);
    - stated for another part of the year (1至8月 for 全年);
    - a flow (新发展会员) where how many there are is asked;
    - the earlier value of 由A增加到B, unless the earlier value or its year is asked."""
    if c.place_ok < 0:
        return False
    if corpus is not None and q.places and not any(_report_about(p, c, corpus) for p in q.places):
        return False
    if corpus is not None and q.form == "plain" and \
            not {key for key, _ in asked_identifiers(q.text)} <= corpus.identifiers_in(c.passage.source):
        return False                                  # 7号线 asked, the report is about 6号线
    if q.years and c.year is not None and c.kind not in ("year", "date") and c.year not in q.years:
        return False
    published = int(c.passage.date[:4]) if c.passage.date and c.passage.date[:4].isdigit() else None
    if q.years and c.year is None and c.kind not in ("year", "date") and published and min(q.years) > published:
        return False                                  # 2018年 asked: a report of 2015 cannot state it
    if c.figure is not None and any(narrower_only(t, c.zones.near_left, q.text) for t in q.terms if len(t) >= 2):
        return False
    if c.figure is not None and any(not _says_modifier(m, c) for m in asked_modifiers(q.text)):
        return False                                  # 女职工会员 asked: 会员总数76.8万 is not theirs
    if c.figure is not None and another_part_of_year(q.text, c.zones.sentence[:c.span[0]]):
        return False                                  # 全年 asked: 1至8月 is not the year's
    if c.figure is not None and _FLOW.search(c.zones.near_left) and not _FLOW_ASKED.search(q.text):
        return False                                  # 会员总数 asked: 新发展会员13.24万人 is a year's intake
    if c.figure is not None and not q.past and q.form == "plain" and any(c.figure is a for a, _, _ in c.pairs) \
            and not (q.years and c.year in q.years):
        return False                                  # 由60.65万人增加到83.13万人: 60.65万 was, is no more
    return True


# words that make a figure a flow (how many were added) rather than how many there are, and the
# words by which a question asks for a flow
_FLOW = re.compile(r"新增|新发展|新建|新入会|新吸收|净增|新招")
_FLOW_ASKED = re.compile(r"新|增|多了|发展|建|招|吸收|入会|加入")

_PART_OF_YEAR = re.compile(r"全年|上半年|下半年|前三季度|第?[一二三四1-4]季度|前\d{1,2}个?月|\d{1,2}\s*[-－至到~]\s*\d{1,2}月|"
                           r"[一二三四五六七八九十]+至[一二三四五六七八九十]+月")


def _part(text: str) -> str:
    return text.replace("第", "").replace("1季度", "一季度").replace("2季度", "二季度") \
        .replace("3季度", "三季度").replace("4季度", "四季度").replace(" ", "")


def another_part_of_year(question: str, before: str) -> bool:
    """Whether the question asks one part of a year (全年, 上半年, 一季度, 1至5月) and the nearest
    such part before the figure in its sentence is another."""
    asked = _parts_of_year(question)
    if not asked:
        return False
    said = [_part(m.group(0)) for m in _PART_OF_YEAR.finditer(before)]
    return bool(asked and said and said[-1] not in asked)


# what a question names is read once per question, not once per candidate (eligible runs for
# every candidate of every hit)

@functools.lru_cache(maxsize=1024)
def _parts_of_year(question: str) -> frozenset[str]:
    return frozenset(_part(m.group(0)) for m in _PART_OF_YEAR.finditer(question))


@functools.lru_cache(maxsize=1024)
def asked_identifiers(question: str) -> tuple[tuple[str, str], ...]:
    """The numbered things a question names (:func:`qa.answer.matching.identifiers`), as
    (one form, as written) pairs."""
    return tuple(identifiers(question).items())


@functools.lru_cache(maxsize=1024)
def asked_modifiers(question: str) -> tuple[str, ...]:
    """The words of qa/data/modifiers.txt that narrow a noun of the question (女职工, 农民工会员,
    私营企业): a figure whose sentence never says them is the broader thing's."""
    return tuple(m for m in modifiers() if re.search(re.escape(m) + r"[\u4e00-\u9fff]", question))


def _says_modifier(m: str, c: Candidate) -> bool:
    """Whether the figure's sentence (or the text just before it) says the modifier ``m``; a
    level (市级, 省级) is said by the place of that level too (表彰绵阳市劳动模范150名)."""
    if m in c.zones.sentence or m in c.zones.before[-30:]:
        return True
    level = re.fullmatch(r"([省市县区])级", m)
    return bool(level) and re.search(r"[\u4e00-\u9fff]{2}" + level.group(1) + r"(?!级)", c.zones.sentence[:c.span[0]]) is not None


def _report_about(place: str, c: Candidate, corpus: Corpus) -> bool:
    own = c.passage.place
    if own == place or (own and (gazetteer().contains(place, own) or gazetteer().contains(own, place))):
        return True
    return place in corpus.doc_text(c.passage.source)


def decide(q: Query, ranked: list[Scored], model: Model) -> Decision:
    """Found when the best candidate's probability reaches its family's threshold. Each family
    (figures, and the labelled values beside them) is ranked and calibrated apart, as it was
    fitted; the family whose best is surest above its threshold answers."""
    if not ranked:
        return Decision(False, None, None, 0.0, "nothing")
    families: dict[str, list[Scored]] = {}
    for r in ranked:
        families.setdefault(r.candidate.family, []).append(r)
    decisions = [_decide_family(distinct_runner_up(rs), model) for rs in families.values()]
    return max(decisions, key=lambda d: (d.found, d.probability - d.threshold))


def distinct_runner_up(ranked: list[Scored]) -> list[Scored]:
    """The ranking with the runner-up moved to second place: the best candidate with another
    answer (the same figure in another passage is not a rival)."""
    if len(ranked) < 3:
        if len(ranked) == 2 and loose_text(ranked[0].candidate.text) == loose_text(ranked[1].candidate.text):
            return ranked[:1]
        return ranked
    top = loose_text(ranked[0].candidate.text)
    rest = [r for r in ranked[1:] if loose_text(r.candidate.text) != top]
    return [ranked[0]] + rest


def _decide_family(ranked: list[Scored], model: Model) -> Decision:
    best = ranked[0]
    runner = ranked[1] if len(ranked) > 1 else None
    fam = best.candidate.family
    cal = model.calibrators[fam]
    margin = best.score - runner.score if runner else NO_RIVAL
    share = softmax_share([r.score for r in ranked])
    p = cal.probability(best.score, margin, share, best.features)
    if p < cal.threshold:
        return Decision(False, best, runner, p, "unsure", threshold=cal.threshold, share=share)
    return Decision(True, best, runner, p, threshold=cal.threshold, share=share)
