"""Questions across figures: compare two places, follow a figure over time, compute a change.

Every number in these replies is either quoted verbatim from a cited sentence or labelled as
computed, with its operands quoted and cited.
"""

from __future__ import annotations

import dataclasses
import re

from .composer import Answer, Candidate, Citation, Composer, enforce_verbatim, source_line
from .figures import Figure, figure_place, figure_time, find_figures, from_to_pairs
from .lexicon import gazetteer, normalize, words
from .passages import split_sentences
from .retriever import Query, place_match

_MORE = re.compile(r"更(?:多|高|大|长)|最(?:多|高|大)|较多|领先")
_LESS = re.compile(r"更(?:少|低|小|短)|最(?:少|低|小)|较少")
_COMPARE_WORDS = re.compile(r"哪(?:个|一个|座|家)?(?:市|城市|地方|单位|企业|公司)?|谁|更(?:多|少|高|低|大|小)|相比|比较|对比|"
                            r"最(?:多|少|高|低)|和|与|跟|同")


@dataclasses.dataclass
class _Pair:
    """A figure going from one value to another in one sentence (由60.65万人增加到83.13万人)."""

    cand: Candidate       # carries the passage and the sentence; span covers both figures
    a: Figure
    b: Figure


def cross_answer(composer: Composer, q: Query) -> Answer | None:
    """Answer a compare, trend or compute question, or None to let the ordinary path try."""
    if q.qtype == "compare":
        return _compare(composer, q)
    if q.qtype == "trend" and not re.search(r"由多少|从多少", q.text):
        # "历年", "变化": the figure in each report about the place, in date order
        over = _trend_over_reports(composer, q)
        if over is not None:
            return over
    than = _THAN.search(q.text) if q.qtype == "compute" else None
    if than and not _EARLIER.match(than.group(2)):
        # A比B多多少 (比前一年 is a change over time: the pair or the sentence that states it)
        diff = _difference(composer, q, than)
        if diff is not None:
            return diff
        # one of the two figures alone, or one city's own increase, would not answer it
        where = "和".join(q.places)
        return Answer(False, "", f"报告中没有找到{where}可以相减的两个数字。", kind="compute")
    if q.qtype in ("trend", "compute"):
        pair = _best_pair(composer, q)
        if pair is not None:
            return _compute(q, pair) if q.qtype == "compute" else _trend(q, pair)
    return None


# --------------------------------------------------------------------------- A 比 B 多多少

_EARLIER = re.compile(r"(?:\d{4}年|[上去前]一?年|同期|上年同期|以前|过去|往年|原来|当初|[\d一二三四五六七八九十]+年前)")
_THAN = re.compile(r"^(.{2,}?)比(?![例重率较赛武])(.{2,}?)(?:多|高|少|低|增加|减少|提高|降低)出?了?(?:多少|几)(个百分点|[^\s，。？?的了])?")


def _difference(composer: Composer, q: Query, m: re.Match) -> Answer | None:
    """"自治区劳模比全国劳模多多少名？" (``m``: its match of _THAN): each figure found as a
    question of its own, then the difference, labelled as computed, with both sentences quoted."""
    left, right = m.group(1), m.group(2)
    metric = q.text[m.end():].strip(" ？?。")       # 南宁比桂林多多少工会会员: the words after
    other = _other_side(left, right, q)
    percent = q.unit_class == "percent" or (m.group(3) or "").endswith("百分点")
    tail = "是百分之多少？" if percent else f"有多少{'' if not q.unit or q.unit == '个百分点' else q.unit}？"
    picked = []
    for text in (left, other):
        sub = composer.resolve(text + metric + tail, [])
        if not sub.places:
            sub.places = list(q.places)
        ans, cand = composer.solve(sub, cross=False)
        if not ans.found or cand is None or cand.figure is None or cand.figure.value is None:
            return None
        picked.append(cand)
    a, b = picked
    if a.figure.unit_class != b.figure.unit_class or (a.passage.passage_id, a.span) == (b.passage.passage_id, b.span):
        return None
    diff = a.figure.value - b.figure.value
    result = format_like(abs(diff), a.figure, operands=(a.figure, b.figure))
    if percent and a.figure.kind == "percent":
        result = result.rstrip("%") + "个百分点"
    word = "多" if diff >= 0 else "少"
    pa, pb = (c.place or c.passage.place or "" for c in (a, b))
    named = pa != pb and pa and pb      # 南宁 76.8万人 − 桂林 48.74万人
    first, second = (f"{pa} {a.text}", f"{pb} {b.text}") if named else (a.text, b.text)
    which = f"{pa}比{pb}" if named else "前者比后者"
    head = f"{result}（计算得出：{first} − {second}，{which}{word}{result}）"
    quote, cites = _quote_lines([a, b])
    text = enforce_verbatim([head] + quote, [a.passage.text, b.passage.text], computed=[result])
    rows = (_row(a, a.figure) | {"role": "前者"}, _row(b, b.figure) | {"role": "后者"})
    return Answer(True, result, text, tuple(cites), kind="compute", computed=(result,), table=rows)


def _other_side(left: str, right: str, q: Query) -> str:
    """The question about the right side of 比, in the words of the left side:
    "推荐表彰的自治区劳模和先进工作者" / "全国劳模和先进工作者" → "推荐表彰的全国劳模和先进工作者";
    "南充市国有企业参加创建的比例" / "非公企业" → "南充市非公企业参加创建的比例";
    "南宁市工会会员" / "桂林市" → "桂林市工会会员"."""
    here = [p for p in q.places if p in left]
    there = [p for p in q.places if p in right]
    if here and there and here != there and not right.replace(there[0], "").strip("市省 "):
        return left.replace(here[0], there[0], 1)   # the right side is only another place
    common = 0
    while common < min(len(left), len(right)) and left[-1 - common] == right[-1 - common]:
        common += 1
    if common >= 2 and common < len(right):
        pre = words(left[:len(left) - common])
        return "".join(pre[:-1]) + right
    for head in ((words(right) or [right])[-1], right[-2:]):   # 非公企业, or its 企业
        i = left.find(head)
        if len(head) >= 2 and i >= 0:
            lead = "".join(p + "市" for p in q.places) if q.places else ""
            return lead + right + left[i + len(head):]
    return right


# --------------------------------------------------------------------------- from-to pairs

def _best_pair(composer: Composer, q: Query) -> _Pair | None:
    hits = composer.retriever.search(q, k=composer.k)
    weights = composer._term_weights(q)
    best: _Pair | None = None
    for rank, hit in enumerate(hits):
        p = hit.passage
        for s, e in split_sentences(p.text, full=True):
            sentence = p.text[s:e]
            nsent = normalize(sentence)
            for a, b, lead_end in from_to_pairs(sentence, find_figures(sentence)):
                lead = nsent[:lead_end]
                clause_start = max((m.end() for m in re.finditer(r"[，,；;：:。]", lead)), default=0)
                metric = lead[clause_start:]
                zones = [(metric, 1.0), (nsent[clause_start:b.end], 0.8), (nsent, 0.4),
                         (normalize(p.section + p.text), 0.15)]
                cov = composer._coverage(q, weights, zones)
                place = figure_place(sentence, a.start, p.place)
                pm = place_match(q.places, place, sentence)
                if pm < 0:
                    continue
                score = cov + 0.25 * pm - 0.01 * rank
                if q.unit and b.unit == q.unit:
                    score += 0.2
                if best is None or score > best.cand.score:
                    c = Candidate(p, rank, sentence, s, (a.start, b.end), sentence[a.start:b.end], b)
                    c.score, c.coverage, c.place = score, cov, place
                    c.time = figure_time(sentence, a.start)
                    best = _Pair(c, a, b)
    if best is None or best.cand.coverage < composer.min_coverage:
        return None
    return best


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


def _quote_lines(cands: list[Candidate]) -> tuple[list[str], list[Citation]]:
    lines, cites = [], []
    for c in cands:
        cite = Citation(c.passage.source, c.passage.passage_id, c.passage.section, c.sentence,
                        c.place or c.passage.place, c.passage.date)
        if cite in cites:
            continue
        cites.append(cite)
        lines.append(f"原文：「{c.sentence}」")
        lines.append(source_line(c.passage))
    return lines, cites


def _compute(q: Query, pair: _Pair) -> Answer:
    a, b, c = pair.a, pair.b, pair.cand
    diff = (b.value or 0) - (a.value or 0)
    word = "增加" if diff >= 0 else "减少"
    result = format_like(abs(diff), b, operands=(a, b))
    label = "，".join(x for x in (c.place or c.passage.place, c.time) if x)
    head = f"{result}（计算得出：{b.text} − {a.text}，{word}{result}" + (f"；{label}）" if label else "）")
    quote, cites = _quote_lines([c])
    text = enforce_verbatim([head] + quote, [c.passage.text], computed=[result])
    row = _row(c, a) | {"role": "由"}, _row(c, b) | {"role": "到"}
    return Answer(True, result, text, tuple(cites), kind="compute", computed=(result,), table=row)


def _trend(q: Query, pair: _Pair) -> Answer:
    a, b, c = pair.a, pair.b, pair.cand
    short = f"{a.text}→{b.text}"
    label = "，".join(x for x in (c.place or c.passage.place, c.time) if x)
    head = f"由{a.text}到{b.text}" + (f"（{label}）" if label else "")
    quote, cites = _quote_lines([c])
    text = enforce_verbatim([head] + quote, [c.passage.text])
    rows = (_row(c, a) | {"role": "由"}, _row(c, b) | {"role": "到"})
    return Answer(True, short, text, tuple(cites), kind="trend", table=rows)


def _row(c: Candidate, f: Figure) -> dict:
    return {"place": c.place or c.passage.place, "figure": f.text, "value": f.value, "unit": f.unit,
            "time": c.time or "", "date": c.passage.date, "source": c.passage.source,
            "section": c.passage.section, "passage_id": c.passage.passage_id, "sentence": c.sentence}


# --------------------------------------------------------------------------- over the reports' years

def _trend_over_reports(composer: Composer, q: Query) -> Answer | None:
    """One figure followed across the reports: the best answer in each report about the place."""
    if not q.places:
        return None
    sub = dataclasses.replace(q, qtype="count")
    g = gazetteer()
    wanted = set(q.places) | {c for c, prov in g.cities.items() if prov in q.places}
    sources = composer.sources_about(wanted)
    found: list[Candidate] = []
    for src in sources:
        hits = [h for h in composer.retriever.search(sub, k=40) if h.passage.source == src][:composer.k]
        if not hits:
            continue
        cands = [c for c in composer._figure_candidates(sub, hits) if c.unit_ok and c.place_ok >= 0]
        if cands and cands[0].coverage >= composer.min_coverage:
            found.append(cands[0])
    # one kind of quantity throughout: the unit of the best-supported figure
    if found:
        lead = max(found, key=lambda c: c.score)
        found = [c for c in found if c.figure is not None and lead.figure is not None
                 and c.figure.unit_class == lead.figure.unit_class]
    if len(found) < 2:
        return None
    found.sort(key=lambda c: (c.passage.date or "", c.time))
    parts = [f"{c.passage.date or '?'}：{c.text}" for c in found]
    head = "；".join(c.text + (f"（{c.time}）" if c.time else "") for c in found)
    quote, cites = _quote_lines(found)
    text = enforce_verbatim([head] + quote, [c.passage.text + "\n" + (c.passage.date or "") for c in found])
    rows = tuple(_row(c, c.figure) for c in found if c.figure is not None)
    return Answer(True, "；".join(parts), text, tuple(cites), kind="trend", table=rows)


# --------------------------------------------------------------------------- compare

def _compare(composer: Composer, q: Query) -> Answer | None:
    places = list(q.places)
    if len(places) < 2:
        return None
    rest = _COMPARE_WORDS.sub(" ", q.text)
    for p in places:
        rest = rest.replace(p + "市", " ").replace(p, " ")
    base = dataclasses.replace(q, qtype="percent" if q.unit_class == "percent" else "count", text=rest)
    from .retriever import content_terms
    base.terms = content_terms(rest, base)
    chosen: list[tuple[str, Candidate | None]] = []
    for place in places:
        sub = dataclasses.replace(base, places=[place], text=f"{place} {rest}")
        ans, cand = composer.solve(sub, cross=False)
        chosen.append((place, cand if ans.found else None))
    missing = [p for p, c in chosen if c is None]
    have = [(p, c) for p, c in chosen if c is not None]
    quote, cites = _quote_lines([c for _, c in have])
    rows = tuple(_row(c, c.figure) for _, c in have if c.figure is not None)
    if missing:
        head = f"报告中没有{'、'.join(missing)}的这项数据，无法比较。"
        listed = [f"{p}：{c.text}" for p, c in have]
        lines = [head] + (["已找到：" + "；".join(listed)] if listed else []) + quote
        text = enforce_verbatim(lines, [c.passage.text for _, c in have] + [q.text])
        return Answer(False, "", text, tuple(cites), kind="compare", table=rows)
    classes = {c.figure.unit_class for _, c in have if c.figure}
    if len(classes) > 1 or any(c.figure is None or c.figure.value is None for _, c in have):
        lines = ["这些数字的单位不同，不能直接比较：" + "；".join(f"{p}：{c.text}" for p, c in have)] + quote
        text = enforce_verbatim(lines, [c.passage.text for _, c in have])
        return Answer(False, "", text, tuple(cites), kind="compare", table=rows)
    fewer = bool(_LESS.search(q.text)) and not _MORE.search(q.text)
    ordered = sorted(have, key=lambda pc: pc[1].figure.value, reverse=not fewer)
    winner, wc = ordered[0]
    tie = len(ordered) > 1 and ordered[0][1].figure.value == ordered[1][1].figure.value
    word = "更少" if fewer else "更多"
    if tie:
        head = "两者相同：" + "；".join(f"{p} {c.text}" for p, c in have)
        short = "相同，" + wc.text
    else:
        head = f"{winner}{word}：" + "；".join(f"{p} {c.text}" + (f"（{c.time}）" if c.time else "") for p, c in ordered)
        short = f"{winner}，{wc.text}"
    lines = [head]
    times = {(c.passage.date or "")[:4] for _, c in have}
    if len(times) > 1:
        lines.append("注意：这些数字出自不同年份的报告（" + "、".join(sorted(t for t in times if t)) + "），比较时请留意。")
    lines += quote
    sources = [c.passage.text + "\n" + (c.passage.date or "") for _, c in have]
    text = enforce_verbatim(lines, sources)
    return Answer(True, short, text, tuple(cites), kind="compare", table=rows)
