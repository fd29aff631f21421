"""Step 6 of answering: strategies, one per form of question, each built on the public steps
of :class:`~qa.answer.pipeline.Answerer` (``answer_query``, ``rank``, ``best``, ``reply``):

- :class:`Plain`: one figure, date or name.
- :class:`Compare`: two or more places (哪个市…更多/最多, A是不是比B多).
- :class:`Most`: the top of a list the text gives (哪个街道新增就业最多).
- :class:`Trend`: a figure from one value to another (由多少到多少), or over the reports' years.
- :class:`Difference`: A比B多多少, or the change a 由…到… pair states (增加了多少).
- :class:`Sum`: figures added up (加起来、合计、一共), over places or over a list (分别…和…).
- :class:`Several`: several figures at once (分别是多少).
- :class:`Multi`: several questions in one (…有多少个？占比多少？).

Every number in a reply is quoted verbatim from a cited sentence or labelled as computed, with
its operands quoted and cited.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Sequence

from ..figures import Figure, figure_time, find_figures, from_to_pairs, group_places
from ..lexicon import gazetteer, normalize, words
from ..passages import split_sentences
from .analysis import TOTAL_GONG, Query, item_questions
from .followup import continue_from
from .candidates import Candidate, figure_place_match, figure_zones, year_of
from .matching import coverage
from .records import Answer, Citation
from .replies import answer_one, citation, enforce_verbatim, label_of, refusal, say, source_line

_COMPARE_WORDS = re.compile(r"哪(?:个|一个|座|家)?(?:市|城市|地方|单位|企业|公司|地区)?的?|谁|更(?:多|少|高|低|大|小)|相比|比较|对比|"
                            r"最(?:多|少|高|低|大|小)|是不是|是否|和|与|跟|同|、|三个市|两个市|几个市|[吗呢]")
_EARLIER = re.compile(r"(?:\d{4}年|[上去前]一?年|同期|上年同期|以前|过去|往年|原来|当初|[\d一二三四五六七八九十]+年前)")
_THAN = re.compile(r"^(.{2,}?)比(?![例重率较赛武])(.{2,}?)(?:多|高|少|低|增加|减少|提高|降低)出?了?(?:多少|几)(个百分点|[^\s，。？?的了])?")


def strategy_for(q: Query, answerer) -> "Strategy":
    """The strategy for the form of ``q``."""
    return {"compare": Compare, "most": Most, "trend": Trend, "difference": Difference, "sum": Sum,
            "several": Several}.get(q.form, Plain)(answerer)


class Strategy:
    def __init__(self, answerer):
        self.answerer = answerer

    def answer(self, q: Query) -> Answer:
        raise NotImplementedError

    def plain(self, q: Query) -> Answer:
        return self.answerer.answer_query(replace(q, form="plain"))[0]

    def ask_items(self, q: Query) -> list[tuple[str, Candidate | None]]:
        """The figure of each item of the question's list, each asked as a question of its own
        (泸州工会会员有多少？ for 泸州、内江、南充…哪个的工会会员最多), or [] without a list."""
        out, unsure = [], []
        listed = item_questions(q.text, q.places)
        of_places = any(item in q.places for item, _ in listed)
        report = None
        for item, text in listed:
            sub = self.answerer.resolve(text)
            if of_places:            # 佛山、东莞、中山三市: 中山 is a place of the list too
                sub = replace(sub, places=(item,))
            sub = replace(sub, form="plain", years=sub.years or q.years, unit=sub.unit or q.unit,
                          unit_class=sub.unit_class or q.unit_class,
                          asks=sub.asks if sub.asks not in ("other", "what") else "count")
            # things of one subject (职工总数与工会会员数) come from the report the first was found
            # in, never one from each of two reports; places may each have a report of their own
            decision, _ = self.answerer.best(sub, within=None if of_places or sub.places else report)
            cand = decision.best.candidate if decision.found else None
            report = report or (cand.passage.source if cand is not None else None)
            out.append((item, cand))
            unsure.append(decision.best.candidate if decision.best is not None and not decision.found
                          and decision.probability >= 0.3 * decision.threshold else None)
        if any(c is None for _, c in out) and all(c is not None or u is not None for (_, c), u in zip(out, unsure)):
            # 市级财政投入2100万元，各级工会自筹3760万元: items each named at its own figure, side by
            # side in one sentence, are taken together even where one alone was not sure enough
            both = [(item, c or u) for (item, c), u in zip(out, unsure)]
            if _side_by_side(both):
                out = both
        # one mention of a figure answers one item: when the same one wins for several items it
        # is right for one of them at most (实现再就业3210人 for 培训、职业介绍和实现再就业), so
        # none of them takes it
        keys = [_mention(c) for _, c in out]
        return [(item, c if c is None or keys.count(keys[i]) == 1 else None) for i, (item, c) in enumerate(out)]


def _side_by_side(items: list[tuple[str, Candidate]]) -> bool:
    """Whether the figures of a question's items stand in one sentence, each a different one,
    each named right before it (its item in the words before it in its part of the list)."""
    cands = [c for _, c in items]
    if len({(c.passage.passage_id, c.sentence) for c in cands}) != 1 or len({c.span for c in cands}) != len(cands):
        return False
    return all(item in c.zones.left or item in c.zones.near_left or c.place == item for item, c in items)


class Plain(Strategy):
    def answer(self, q: Query) -> Answer:
        return self.answerer.answer_query(q)[0]


# --------------------------------------------------------------------------- compare

class Compare(Strategy):
    """Each item's figure (泸州、内江、南充; 一类和二类工会组织), found as a question of its own; the
    larger (or smaller) wins."""

    def answer(self, q: Query) -> Answer:
        chosen = self.ask_items(q)
        if len(chosen) < 2:
            return self.plain(q)
        places = [item for item, _ in chosen]
        have = [(p, c) for p, c in chosen if c is not None]
        missing = [p for p, c in chosen if c is None]
        quote, cites = quote_lines([c for _, c in have])
        rows = tuple(row(c, c.figure) for _, c in have if c.figure is not None)
        if missing:
            head = say("compare_missing", missing="、".join(missing))
            listed = [f"{p}：{c.text}" for p, c in have]
            lines = [head] + ([say("compare_found", items="；".join(listed))] if listed else []) + quote
            text = enforce_verbatim(lines, [c.passage.text for _, c in have] + [q.text])
            return Answer(False, "", text, tuple(cites), kind="compare", table=rows, head=head, reason="compare")
        classes = {c.figure.unit_class for _, c in have if c.figure}
        if len(classes) > 1 or any(c.figure is None or c.figure.value is None for _, c in have):
            head = say("compare_units", items="；".join(f"{p}：{c.text}" for p, c in have))
            text = enforce_verbatim([head] + quote, [c.passage.text for _, c in have])
            return Answer(False, "", text, tuple(cites), kind="compare", table=rows, head=head, reason="units")
        more = q.more is not False
        ordered = sorted(have, key=lambda pc: pc[1].figure.value, reverse=more)
        winner, wc = ordered[0]
        tie = ordered[0][1].figure.value == ordered[1][1].figure.value
        items = "；".join(f"{p} {c.text}" + (f"（{c.time}）" if c.time else "") for p, c in ordered)
        if tie:
            head = say("compare_tie", items=items)
            short = "相同，" + wc.text
        elif q.yesno:
            first = places[0]
            word = "更多" if more else "更少"
            yes = winner == first
            head = say("compare_yes" if yes else "compare_no", winner=winner, word=word, items=items)
            short = ("是，" if yes else "不是，") + f"{winner}，{wc.text}"
        else:
            most = len(places) > 2 or "最" in q.text
            key = ("compare_most" if more else "compare_least") if most else ("compare_more" if more else "compare_less")
            head = say(key, winner=winner, items=items)
            short = f"{winner}，{wc.text}"
        lines = [head]
        years = {(c.passage.date or "")[:4] for _, c in have}
        if len(years) > 1:
            lines.append(say("compare_years", years="、".join(sorted(t for t in years if t))))
        lines += quote
        text = enforce_verbatim(lines, [c.passage.text + "\n" + (c.passage.date or "") for _, c in have])
        return Answer(True, short, text, tuple(cites), kind="compare", table=rows, head=head)


class Most(Strategy):
    """哪个街道新增就业最多 with no place named: the figure asked is found as a plain question,
    then the list it stands in (东坪街道1860人；南苑街道1520人；…), one item per part of the
    text, each named by the words before it; the largest (or smallest) wins. The list is taken
    from the best of the first three candidates that stands in one whose items are of the kind
    asked (哪个街道: 街道), or, when no kind is named, end alike (第一产业/第二产业); refused when
    none does, or when even the best candidate is far from sure."""

    def answer(self, q: Query) -> Answer:
        decision, ranking = self.answerer.best(replace(q, form="plain"))
        if ranking is None or decision.best is None or decision.probability < 0.5 * decision.threshold:
            return self._missing(q)
        kind = _asked_kind(q.text)
        for scored in ranking.ranked[:3]:
            c = scored.candidate
            items = list_items(c) if c.figure is not None else []
            if _alike(items, kind):
                break
        else:
            return self._missing(q)
        more = q.more is not False
        ordered = sorted(items, key=lambda it: it[1].value, reverse=more)
        (winner, wf), second = ordered[0], ordered[1][1]
        listed = "；".join(f"{label} {f.text}" for label, f in items)
        if wf.value == second.value:
            head = say("compare_tie", items=listed)
            short = "相同，" + wf.text
        else:
            head = say("compare_most" if more else "compare_least", winner=winner, items=listed)
            short = f"{winner}，{wf.text}"
        first, last = min(f.start for _, f in items), max(f.end for _, f in items)
        quote = _quote_span(c.passage.text, first, last)
        lines = [head, say("quote", quote=quote), source_line(c.passage)]
        text = enforce_verbatim(lines, [c.passage.text])
        rows = tuple(row(c, f) for _, f in items)
        return Answer(True, short, text, (citation(c),), kind="compare", table=rows, head=head)

    def _missing(self, q: Query) -> Answer:
        head = say("most_missing")
        return Answer(False, "", head, kind="compare", head=head, reason="compare")


# the parts of a text that hold one item of a list each: between ；, 、, 。 and line ends
_ITEM_PART = re.compile(r"[^；;、。\n]+")
_ITEM_LEAD = re.compile(r"^(?:其中|分别|分别为|包括|另有|全年|上半年|共|有|为)+")


def list_items(c: Candidate) -> list[tuple[str, Figure]]:
    """The list ``c``'s figure stands in, as (the words naming an item, its figure), the figure
    taken from each part at the place ``c``'s takes in its own (the second percentage of a part
    when ``c`` is its part's second); [] when ``c`` stands in no list, or when a part next to
    it holds such a figure but no words naming it (a list read in part could crown the wrong
    item). Figures carry offsets in the passage text."""
    f, text = c.figure, c.passage.text
    at = c.sent_start + c.span[0]
    parts = [m.span() for m in _ITEM_PART.finditer(text)]
    k = next((i for i, (a, b) in enumerate(parts) if a <= at < b), None)
    if k is None:
        return []
    lo, hi = parts[k]
    if sum(g.unit == f.unit and g.kind == f.kind for g in find_figures(text[lo:hi])) >= 2:
        # 其中第一产业增加值41.2亿元，第二产业增加值158.7亿元…: the list is this part's, by commas
        parts = [(lo + m.start(), lo + m.end()) for m in re.finditer(r"[^，,]+", text[lo:hi])]
        k = next(i for i, (a, b) in enumerate(parts) if a <= at < b)

    def item(i: int, nth: int | None = None):
        """(label, figure, its place among its part's figures of that kind), None when the part
        holds no such figure, () when it holds one with no words naming it."""
        a, b = parts[i]
        figs = find_figures(text[a:b])
        same = [g for g in figs if g.unit == f.unit and g.kind == f.kind]
        if nth is None:
            nth = next((j for j, g in enumerate(same) if a + g.start == at), None)
        if nth is None or nth >= len(same):
            return None
        g = same[nth]
        # the words before the part's first figure (第一产业增加值98.3亿元，同比增长3.2%), or
        # before this one when the part opens with another (5公里迷你跑5000人)
        head = text[a:a + figs[0].start] if figs[0].start > 0 else text[a:a + g.start]
        label = _ITEM_LEAD.sub("", re.split(r"[，,：:]", head)[-1].strip(" \t（）()“”\""))
        if not label or len(label) > 15 or any(h.unit == f.unit and h.kind == f.kind for h in find_figures(label)):
            return ()
        return label, replace(g, start=a + g.start, end=a + g.end), nth

    own = item(k)
    if not own:
        return []
    found = [own]
    for step in (-1, 1):
        i = k + step
        while 0 <= i < len(parts):
            if "。" in text[min(parts[i][1], parts[i - step][1]):max(parts[i][0], parts[i - step][0])]:
                break                     # a list ends with its sentence
            it = item(i, own[2])
            if it is None:
                break
            if it == ():
                return []
            if step < 0:
                found.insert(0, it)
            else:
                found.append(it)
            i += step
    labels = [label for label, _, _ in found]
    if len(set(labels)) < len(labels):
        return []
    return [(label, g) for label, g, _ in found]


# the kind of thing a list question asks for (哪个街道…最多: 街道), and how an item says it is one
_KINDS = ("街道", "乡镇", "区县", "县区", "县市", "市县", "城市", "片区", "分公司", "公司", "企业", "单位", "部门",
          "学校", "医院", "项目", "产业", "行业", "业务", "板块", "门店", "景区", "班组", "省份", "地区",
          "镇", "乡", "县", "区", "市", "省")


def _asked_kind(text: str) -> str | None:
    """The kind of item a list question names: 哪个街道, 各区县里, 列出来的乡镇中."""
    kinds = "|".join(_KINDS)
    m = re.search(r"(?:哪(?:个|一个|家|座|所|些)?|各|几个|这些|列出(?:来)?的|点名的)(" + kinds + ")", text) or \
        re.search(r"(" + kinds + r")(?:里|中|之中|当中)", text)
    return m.group(1) if m else None


def _alike(items: list[tuple[str, Figure]], kind: str | None) -> bool:
    """Whether ``items`` make a list to pick the top of: two or more, each with a value, each of
    the kind asked, or (no kind named) all ending alike (东坪街道, 南苑街道)."""
    if len(items) < 2 or any(f.value is None for _, f in items):
        return False
    if kind:
        return all(_is_a(label, kind) for label, _ in items)
    return len({label[-1] for label, _ in items}) == 1


def _is_a(label: str, kind: str) -> bool:
    """Whether an item's name says it is a ``kind`` (东坪街道 a 街道; 丰乐镇 one of 乡镇)."""
    if kind in label:
        return True
    return len(kind) == 2 and kind in ("乡镇", "区县", "县区", "县市", "市县") and label[-1] in kind


def _quote_span(text: str, start: int, end: int) -> str:
    """The text from the part holding ``start`` to the end of the part holding ``end``."""
    lo = max(text.rfind(ch, 0, start) for ch in "。\n") + 1
    hi = min([i for i in (text.find("。", end), text.find("\n", end)) if i >= 0] or [len(text)])
    return text[lo:hi + (1 if hi < len(text) and text[hi] == "。" else 0)].strip()


# --------------------------------------------------------------------------- from-to pairs

def _same(x: float | None, y: float) -> bool:
    return x is not None and abs(x - y) <= 1e-6 * max(1.0, abs(y))


def best_pair(answerer, q: Query) -> tuple[Candidate, Figure, Figure] | None:
    """The best "由A增加到B" pair of the passages found for ``q``: (candidate of B, A, B)."""
    hits = answerer.retriever.search(q, k=answerer.k)
    from .context import Context
    ctx = Context(q, answerer.corpus)
    best, best_score = None, None
    for rank, hit in enumerate(hits):
        p = hit.passage
        for s, e in split_sentences(p.text, full=True):
            sentence = p.text[s:e]
            nsent = normalize(sentence)
            figs = find_figures(sentence)
            for a, b, lead_end in from_to_pairs(sentence, figs):
                if len(q.number_values) >= 2 and not (_same(a.value, q.number_values[0]) and _same(b.value, q.number_values[1])):
                    continue        # 从60.65万涨到83.13万: the pair the question gives
                lead = nsent[:lead_end]
                clause_start = max((m.end() for m in re.finditer(r"[，,；;：:。]", lead)), default=0)
                zones = [(lead[clause_start:], 1.0), (nsent[clause_start:b.end], 0.8), (nsent, 0.4),
                         (normalize(p.section + p.text), 0.15)]
                cov = coverage(ctx.weights, zones, q.text)
                from .candidates import figure_place
                place = figure_place(sentence, a.start, p.place)
                pm = figure_place_match(q.places, place, sentence)
                if pm < 0 or cov < 0.5:
                    continue
                score = cov + 0.25 * pm - 0.01 * rank + (0.2 if q.unit and b.unit == q.unit else 0.0)
                if best_score is None or score > best_score:
                    zones_b = figure_zones(nsent, b, figs, (), "", "")
                    c = Candidate(p, rank, 1.0, sentence, s, (a.start, b.end), sentence[a.start:b.end], b.kind, b,
                                  place, pm, year_of(figure_time(sentence, a.start)), figure_time(sentence, a.start),
                                  zones_b, ((a, b, lead_end),), tuple(figs))
                    best, best_score = (c, a, b), score
    return best


class Trend(Strategy):
    """由多少到多少: the pair a sentence states; 历年/变化: the figure in each report, by date."""

    def answer(self, q: Query) -> Answer:
        if not re.search(r"由多少|从多少", q.text):
            over = self._over_reports(q)
            if over is not None:
                return over
        pair = best_pair(self.answerer, q)
        if pair is None:
            return self.plain(q)
        c, a, b = pair
        label = label_of(c)
        head = say("trend_pair", before=a.text, after=b.text, label=say("label", label=label) if label else "")
        quote, cites = quote_lines([c])
        text = enforce_verbatim([head] + quote, [c.passage.text])
        rows = (row(c, a) | {"role": "由"}, row(c, b) | {"role": "到"})
        return Answer(True, f"{a.text}→{b.text}", text, tuple(cites), kind="trend", table=rows, head=head, label=label)

    def _over_reports(self, q: Query) -> Answer | None:
        if not q.places:
            return None
        sub = replace(q, form="plain", asks="count" if q.asks in ("other", "what") else q.asks)
        g = gazetteer()
        wanted = set(q.places) | {c for c, prov in g.cities.items() if prov in q.places}
        found: list[Candidate] = []
        for src in self.answerer.corpus.sources_about(wanted):
            decision, _ = self.answerer.best(sub, within=src)
            if decision.found:
                found.append(decision.best.candidate)
        if found:
            lead = found[0]
            found = [c for c in found if c.figure is not None and lead.figure is not None
                     and c.figure.unit_class == lead.figure.unit_class]
        if len(found) < 2:
            return None
        found.sort(key=lambda c: (c.passage.date or "", c.time))
        head = "；".join(c.text + (f"（{c.time}）" if c.time else "") for c in found)
        quote, cites = quote_lines(found)
        text = enforce_verbatim([head] + quote, [c.passage.text + "\n" + (c.passage.date or "") for c in found])
        rows = tuple(row(c, c.figure) for c in found if c.figure is not None)
        short = "；".join(f"{c.passage.date or '?'}：{c.text}" for c in found)
        return Answer(True, short, text, tuple(cites), kind="trend", table=rows, head=head)


# --------------------------------------------------------------------------- differences

class Difference(Strategy):
    """A比B多多少: both figures found as questions of their own, then their difference; 增加了
    多少 (or 比前一年): the change a 由…到… pair states, or the sentence that states it."""

    def answer(self, q: Query) -> Answer:
        than = _THAN.search(q.text)
        if than and not _EARLIER.match(than.group(2)):
            diff = self._than(q, than)
            if diff is not None:
                return diff
            where = "和".join(q.places)
            head = say("difference_missing", where=where)
            return Answer(False, "", head, kind="compute", head=head, reason="difference")
        pair = best_pair(self.answerer, q)
        if pair is not None:
            c, a, b = pair
            change = (b.value or 0) - (a.value or 0)
            word = "增加" if change >= 0 else "减少"
            result = format_like(abs(change), b, operands=(a, b))
            if a.kind == "percent" and b.kind == "percent":
                result = result.rstrip("%") + "个百分点"     # 由75%提高到91.6%: 16.6个百分点
            label = label_of(c)
            head = say("change", result=result, after=b.text, before=a.text, word=word,
                       label=f"；{label}" if label else "")
            quote, cites = quote_lines([c])
            text = enforce_verbatim([head] + quote, [c.passage.text], computed=[result])
            rows = (row(c, a) | {"role": "由"}, row(c, b) | {"role": "到"})
            return Answer(True, result, text, tuple(cites), kind="compute", computed=(result,), table=rows,
                          head=head, label=label)
        # 比前一年多了多少: the change a sentence states itself (比前一年增加了386个)
        return self.answerer.answer_query(replace(q, form="plain"), only=states_change)[0]

    def _than(self, q: Query, m: re.Match) -> Answer | None:
        left, right = m.group(1), m.group(2)
        metric = q.text[m.end():].strip(" ？?。")       # 南宁比桂林多多少工会会员: the words after
        other = other_side(left, right, q)
        percent = q.unit_class == "percent" or (m.group(3) or "").endswith("百分点")
        tail = "是百分之多少？" if percent else f"有多少{'' if not q.unit or q.unit == '个百分点' else q.unit}？"
        picked = []
        for text in (left, other):
            sub = self.answerer.resolve(text + metric + tail)
            if not sub.places:
                sub = replace(sub, places=q.places)
            sub = replace(sub, form="plain")
            _, cand = self.answerer.answer_query(sub)
            if cand is None or cand.figure is None or cand.figure.value is None:
                return None
            picked.append(cand)
        a, b = picked
        if a.figure.unit_class != b.figure.unit_class or a.key == b.key:
            return None
        diff = a.figure.value - b.figure.value
        result = format_like(abs(diff), a.figure, operands=(a.figure, b.figure))
        if percent and a.figure.kind == "percent":
            result = result.rstrip("%") + "个百分点"
        word = "多" if diff >= 0 else "少"
        pa, pb = (c.place or c.passage.place or "" for c in (a, b))
        named = pa != pb and pa and pb
        first, second = (f"{pa} {a.text}", f"{pb} {b.text}") if named else (a.text, b.text)
        which = f"{pa}比{pb}" if named else "前者比后者"
        head = say("difference", result=result, first=first, second=second, which=which, word=word)
        quote, cites = quote_lines([a, b])
        text = enforce_verbatim([head] + quote, [a.passage.text, b.passage.text], computed=[result])
        rows = (row(a, a.figure) | {"role": "前者"}, row(b, b.figure) | {"role": "后者"})
        return Answer(True, result, text, tuple(cites), kind="compute", computed=(result,), table=rows, head=head)


_CHANGE_BEFORE = re.compile(r"(?:增加|增长|提高|提升|上升|减少|下降|降低|多|少|净增|增|减|涨|跌)(?:了|出)?$")


def states_change(c: Candidate) -> bool:
    """Whether a figure is a change the sentence states (比前一年增加了386个, 同比增长62.3%)."""
    return c.figure is not None and bool(_CHANGE_BEFORE.search(c.zones.sentence[max(0, c.span[0] - 4):c.span[0]]))


def other_side(left: str, right: str, q: Query) -> str:
    """The question about the right side of 比, in the words of the left side:
    "推荐表彰的自治区劳模和先进工作者" / "全国劳模和先进工作者" → "推荐表彰的全国劳模和先进工作者";
    "南宁市工会会员" / "桂林市" → "桂林市工会会员"."""
    here = [p for p in q.places if p in left]
    there = [p for p in q.places if p in right]
    if here and there and here != there and not right.replace(there[0], "").strip("市省 "):
        return left.replace(here[0], there[0], 1)   # the right side is only another place
    common = 0
    while common < min(len(left), len(right)) and left[-1 - common] == right[-1 - common]:
        common += 1
    if 2 <= common < len(right):
        pre = words(left[:len(left) - common])
        return "".join(pre[:-1]) + right
    for head in ((words(right) or [right])[-1], right[-2:]):   # 非公企业, or its 企业
        i = left.find(head)
        if len(head) >= 2 and i >= 0:
            lead = "".join(p + "市" for p in q.places) if q.places else ""
            return lead + right + left[i + len(head):]
    return right


# --------------------------------------------------------------------------- sums and several figures

class Sum(Strategy):
    """加起来/合计/一共: each place's figure added up, or the figures of one list (分别X和Y);
    never one operand alone as the total."""

    def answer(self, q: Query) -> Answer:
        if len(q.places) >= 2:
            stated = self._stated_total(q)
            if stated is not None:
                return stated
        items = self.ask_items(q)
        if items:
            missing = [item for item, c in items if c is None]
            if missing:
                return self._missing(q, missing)
            return sum_answer(q, [c for _, c in items], [item for item, _ in items])
        plain = replace(q, form="plain")
        decision, _ = self.answerer.best(plain)
        if decision.best is None:
            return self._missing(q)
        parts = list_mates(decision.best.candidate)
        if len(parts) < 2 and decision.found and _STATES_TOTAL.search(decision.best.candidate.zones.left):
            # 三年来共退还医药费4000多万元: the text states the total asked; quoted, not added
            return self.answerer.reply(plain, decision)[0]
        if len(parts) < 2 or decision.probability < 0.5 * decision.threshold:
            return self._missing(q)
        return sum_answer(q, parts)

    def _stated_total(self, q: Query) -> Answer | None:
        """The total the text states for the very places asked (佛山、东莞、中山三市…共培训42.7万人次),
        quoted rather than added up from figures that may overlap or miss a part."""
        answer, c = self.answerer.answer_query(replace(q, form="plain"))
        if c is not None and group_places(c.place) == set(q.places):
            return answer
        return None

    def _missing(self, q: Query, items=()) -> Answer:
        what = "、".join(items or q.places)
        head = say("sum_missing", what=what)
        return Answer(False, "", head, kind="compute", head=head, reason="sum")


# the words by which a text states a total before its figure (共接待4393件, 累计培训, 合计)
_STATES_TOTAL = re.compile(TOTAL_GONG + r"|合计|累计|总计|总数|总额")


def list_mates(c: Candidate) -> list[Candidate]:
    """The figures listed with ``c`` in its sentence, of its unit: 分别高达2910万元和3048万元,
    or 8个…、30个…. Just ``c`` when it is in no list."""
    f = c.figure
    if f is None:
        return [c]
    s = normalize(c.sentence)
    same = [g for g in c.figures if g.unit == f.unit and g.kind == f.kind]
    if len(same) < 2:
        return [c]
    i = same.index(f) if f in same else -1
    if i < 0:
        return [c]
    # a run of figures joined by 和/、/及/与 (and 分别 before the run)
    lo = hi = i
    while lo > 0 and re.fullmatch(r"[^，。；;,]{0,12}?[和、及与][^，。；;,]{0,12}", s[same[lo - 1].end:same[lo].start]):
        lo -= 1
    while hi < len(same) - 1 and re.fullmatch(r"[^，。；;,]{0,12}?[和、及与][^，。；;,]{0,12}", s[same[hi].end:same[hi + 1].start]):
        hi += 1
    run = same[lo:hi + 1]
    if len(run) < 2:
        return [c]
    return [replace(c, span=(g.start, g.end), text=g.text, figure=g) for g in run]


def sum_answer(q: Query, parts: list[Candidate], items: list[str] | None = None) -> Answer:
    values = [c.figure.value for c in parts if c.figure is not None and c.figure.value is not None]
    if len(values) != len(parts) or len({c.figure.unit_class for c in parts}) > 1:
        head = say("sum_missing", what="")
        return Answer(False, "", head, kind="compute", head=head, reason="sum")
    total = sum(values)
    result = format_like(total, parts[0].figure, operands=tuple(c.figure for c in parts))
    names = items or [c.place if len(q.places) >= 2 and c.place else "" for c in parts]
    terms = " + ".join((f"{n} " if n else "") + c.text for n, c in zip(names, parts))
    head = say("sum", result=result, terms=f"{terms} = {result}")
    quote, cites = quote_lines(parts)
    text = enforce_verbatim([head] + quote, [c.passage.text for c in parts], computed=[result])
    rows = tuple(row(c, c.figure) for c in parts)
    return Answer(True, result, text, tuple(cites), kind="compute", computed=(result,), table=rows, head=head)


class Several(Strategy):
    """分别是多少 / 各…几个: the figure of each item the question lists, or the figures listed with
    the best one."""

    def answer(self, q: Query) -> Answer:
        items = self.ask_items(q)
        if items:
            found = [(item, c) for item, c in items if c is not None]
            missing = [item for item, c in items if c is None]
            labels = [item for item, _ in found]
            parts = [c for _, c in found]
        else:
            plain = replace(q, form="plain")
            decision, _ = self.answerer.best(plain)
            if not decision.found:
                return self.answerer.reply(plain, decision)[0]
            parts, missing = list_mates(decision.best.candidate), []
            labels = [""] * len(parts)
            if len(parts) < 2:
                return self.answerer.reply(plain, decision)[0]
        listed = "；".join((f"{n}：" if n else "") + c.text for n, c in zip(labels, parts))
        quote, cites = quote_lines(parts)
        rows = tuple(row(c, c.figure) for c in parts if c.figure is not None)
        if missing:
            head = say("several_missing", missing="、".join(missing))
            lines = [head] + ([say("compare_found", items=listed)] if parts else []) + quote
            text = enforce_verbatim(lines, [c.passage.text for c in parts] + [q.text])
            return Answer(False, "", text, tuple(cites), kind="several", table=rows, head=head, reason="several")
        head = say("several", items=listed)
        text = enforce_verbatim([head] + quote, [c.passage.text for c in parts])
        short = "、".join(c.text for c in parts)
        return Answer(True, short, text, tuple(cites), kind="several", table=rows, head=head)


# --------------------------------------------------------------------------- several questions

class Multi:
    """Several questions at once: each answered, the later ones in the context of the first."""

    def __init__(self, answerer):
        self.answerer = answerer

    def answer(self, parts: list[str], earlier: Sequence[str]) -> Answer:
        answers: list[Answer] = []
        chosen: list[tuple[Query, Candidate | None]] = []
        first: Query | None = None
        anchor = None
        context = list(earlier)
        for part in parts:
            q = self.answerer.resolve(part, context)
            if first is not None:
                q = continue_from(q, first)
            if q.form == "plain":
                ans, choice = self.answerer.answer_query(q, anchor)
            else:
                ans, choice = strategy_for(q, self.answerer).answer(q), None
            answers.append(ans)
            chosen.append((q, choice))
            first = first or q
            anchor = choice or anchor
            context.append(part)
        self._beside(chosen, answers)
        # two parts answered by one mention (评了几名，提名奖几名 → 11名，11名): one of them at most
        # is right, so neither is given
        keys = [_mention(c) for _, c in chosen]
        for i, (q, c) in enumerate(chosen):
            if c is not None and keys.count(keys[i]) > 1:
                answers[i] = refusal(q, "unsure")
        found = all(a.found for a in answers)
        shorts = [a.short for a in answers if a.found]
        cites: list[Citation] = []
        for a in answers:
            for c in a.citations:
                if c not in cites:
                    cites.append(c)
        lines = []
        for part, a in zip(parts, answers):
            lines.append(say("multi_question", question=part.strip()))
            # a part the reports do not answer says so in one line (its nearest figure would
            # need a citation of its own)
            lines.append(a.text if a.found else (a.text.splitlines() or [say("refuse")])[0])
        return Answer(found, "，".join(shorts), "\n".join(lines), tuple(cites), kind="multi",
                      computed=tuple(x for a in answers for x in a.computed), head=lines[1] if len(lines) > 1 else "",
                      reason="" if found else "multi")

    def _beside(self, chosen: list[tuple[Query, Candidate | None]], answers: list[Answer]) -> None:
        """A part not sure enough on its own is answered from the sentence another part's answer
        stands in, when its best candidate there is in that sentence and nearly sure enough
        (安排重点项目135个，计划完成投资230亿元: the questions of one line ask what one sentence
        states)."""
        found = [c for _, c in chosen if c is not None]
        for i, (q, c) in enumerate(chosen):
            if c is not None or q.form != "plain" or not found:
                continue
            other = found[0]
            decision, _ = self.answerer.best(q, anchor=other, within=other.passage.source)
            best = decision.best.candidate if decision.best is not None else None
            if best is None or decision.probability < BESIDE * decision.threshold or \
                    (best.passage.passage_id, best.sentence) != (other.passage.passage_id, other.sentence) or \
                    any(_mention(best) == _mention(x) for x in found):
                continue
            answers[i], chosen[i] = self.answerer.reply(q, replace(decision, found=True))[0], (q, best)


# how sure a part must be, against its threshold, to be answered beside another part's answer
BESIDE = 0.5


# --------------------------------------------------------------------------- shared pieces

def _mention(c: Candidate | None):
    """Where a candidate stands in the reports: one mention of a figure answers one thing."""
    return None if c is None else (c.passage.passage_id, c.span, c.sentence)


def quote_lines(cands: list[Candidate]) -> tuple[list[str], list[Citation]]:
    """The quote and source lines of ``cands`` (each sentence once), and their citations."""
    lines, cites = [], []
    for c in cands:
        cite = citation(c)
        if cite in cites:
            continue
        cites.append(cite)
        lines.append(say("quote", quote=c.sentence))
        lines.append(source_line(c.passage))
    return lines, cites


def row(c: Candidate, f: Figure) -> dict:
    """A table row for one figure an answer used."""
    return {"place": c.place or c.passage.place, "figure": f.text, "value": f.value, "unit": f.unit,
            "time": c.time or "", "date": c.passage.date, "source": c.passage.source,
            "section": c.passage.section, "passage_id": c.passage.passage_id, "sentence": c.sentence}


def format_like(value: float, like: Figure, unit_hint: str = "", operands: tuple[Figure, ...] = ()) -> str:
    """Write a computed value the way the report writes its operand: 224800 人 → "22.48万人",
    with as many decimals as the most precise of ``operands`` needs (76.8万 − 48.74万 = 28.06万)."""
    text = like.text
    m = re.search(r"(\d+(?:\.(\d+))?)(?:多|余)?(万|亿)?(?:多|余)?(.*)$", text)
    decimals = len(m.group(2) or "") if m else 0
    mult = {"万": 1e4, "亿": 1e8}.get(m.group(3) if m else None, 1)
    for f in operands:
        if f.value is not None:
            scaled_op = f"{f.value / mult:.6f}".rstrip("0").rstrip(".")
            decimals = max(decimals, len(scaled_op.partition(".")[2]))
    suffix = (m.group(3) or "") + (m.group(4) or "") if m else like.unit
    suffix = re.sub(r"^(?:多|余)", "", suffix)
    scaled = value / mult
    number = f"{scaled:.{decimals}f}".rstrip("0").rstrip(".") if decimals else f"{round(scaled):d}"
    return number + suffix
