"""Step 2 of answering: every span of the top passages that could answer the query.

Figures with units, dates, durations, percentages and money (from :func:`qa.figures.find_figures`),
names of people next to a role, organisations, quoted names and enumerations. Each candidate
carries the pieces of text around it that the features read (its :class:`Zones`), whose place
and year it states, and the answer phrase to show (约只有8公斤重, 1.5万多名职工).

Only the candidates whose type can answer the query are made (a year for 哪一年, a figure of a
unit that fits); everything finer is left to the features and the fitted weights.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from ..figures import Figure, figure_place, figure_time, find_figures, from_to_pairs, group_places
from ..lexicon import find_places, gazetteer, normalize, surnames, synonyms, word_list
from ..passages import Passage, split_sentences
from ..retriever import Hit, place_match
from .analysis import Query

_BOUNDARY = re.compile(r"[，,；;。！？!?：:\n]")
# measure words that count the same kind of thing; 个 goes with any of them
_CLASSIFIER_GROUPS = [{"家", "户", "所", "座"}, {"项", "件", "条", "起"}, {"册", "本", "卷"},
                      {"次", "场", "场次", "期", "届", "轮"}, {"份", "张"}, {"人", "人次"}, {"名", "位", "人"},
                      {"台", "辆", "部", "架"}, {"只", "头", "条"}]
# units that rank or label rather than count: 三级工会 (a tier), 338号 (an address), 第三代
_LABELS = {"级", "号", "代"}


@dataclass(frozen=True)
class Zones:
    """The normalised text around a candidate, nearest first: what its features read."""

    near_left: str = ""      # up to 10 characters before it, in its clause, after the figure before
    near_right: str = ""     # up to 10 after it, up to the next figure
    left: str = ""           # its clause before it (after the figure before)
    right: str = ""          # its clause after it (up to the next figure)
    lead: str = ""           # the words before a list's first item (共推荐表彰了…8名、…30名)
    clause: str = ""
    segment: str = ""        # its part of the sentence between ；/; (一类…1563个，占30%；二类…)
    sentence: str = ""
    before: str = ""         # the paragraph before its sentence in the passage
    context: str = ""        # the article title and the whole passage

    def graded(self) -> tuple[tuple[str, float], ...]:
        """The zones with how close each is (1 at the figure … 0.2 anywhere in the passage)."""
        return ((self.near_left, 1.0), (self.near_right, 0.95), (self.left, 0.85), (self.right, 0.8),
                (self.lead, 0.8), (self.clause, 0.65), (self.segment, 0.55), (self.sentence, 0.45),
                (self.before, 0.3), (self.context, 0.2))


@dataclass(frozen=True)
class Candidate:
    """A possible answer: a figure, a date, a name … in a sentence of a retrieved passage."""

    passage: Passage
    rank: int                   # of its passage among the hits
    retrieval: float            # its passage's score relative to the top hit (1 for the top)
    sentence: str               # verbatim
    sent_start: int             # offset of the sentence in the passage
    span: tuple[int, int]       # the answer in the sentence
    text: str                   # the answer as printed (the figure, the name)
    kind: str                   # a figure's kind (count, money, percent, measure, year, date,
                                # duration, ordinal, number), or name, org, quoted, list
    figure: Figure | None = None
    place: str | None = None    # whose figure it is
    place_ok: float = 0.0       # 1 the place asked, 0.5 inside it, 0 unknown, <0 another place
    year: int | None = None     # the year the text gives it for
    time: str = ""              # the time phrase that governs it (截至2008年6月底)
    zones: Zones = field(default_factory=Zones, compare=False, repr=False)
    pairs: tuple = field(default=(), compare=False, repr=False)   # from-to pairs of its sentence
    figures: tuple = field(default=(), compare=False, repr=False)  # every figure of its sentence
    role_gap: int = -1          # a name: characters between it and the role asked (-1: not next to it)
    role_asked: bool = False    # the question asks who holds a role (书记, 导演 …)
    label: str = ""             # the label it is the value of (净重 of 净重：6.8kg)

    @property
    def family(self) -> str:
        """Which fitted weights score it: figure, role (a name next to the role asked), name
        (any person named), span (quoted names, lists, organisations) or field (the value after
        a label: 防水等级：IPX4)."""
        if self.kind == "name":
            return "role" if self.role_asked else "name"
        if self.kind == "field":
            return "field"
        return "span" if self.kind in ("org", "quoted", "list") else "figure"

    @property
    def key(self) -> tuple[str, int]:
        """Where it stands in its report (the same figure in two overlapping passages is one)."""
        return (self.passage.source, self.passage.start + self.sent_start + self.span[0])

    @property
    def figure_span(self) -> tuple[int, int]:
        return self.span


# --------------------------------------------------------------------------- hard type rules

def kind_fits(q: Query, f: Figure) -> bool:
    """Whether a figure's kind can answer the query at all (a year for 哪一年 …)."""
    if q.asks == "date":
        return f.kind in ("year", "date")
    if f.kind == "period":
        return q.unit_class == "time"
    if f.kind in ("year", "date"):
        return False
    if q.asks == "ordinal":
        return f.kind == "ordinal"
    if f.kind == "ordinal":
        return False
    if q.asks == "percent" or q.unit_class == "percent":
        return f.kind == "percent"
    if q.asks in ("name", "org", "place"):
        return False
    if f.kind == "percent" and not q.unit and not _SHARE_OR_CHANGE.search(q.text):
        return False                     # 内江有多少基层工会？ is not answered by 覆盖率100%
    return True


# the words that let a 多少 question without a measure word be answered by a percentage: a
# share (率, 比例, 占, 参与面) or a change (增长, 比…多)
_SHARE_OR_CHANGE = re.compile(r"率|比例|比重|占|百分|成|份额|面(?!积)|覆盖|普及|达标|增|减|涨|降|升|提高|幅|同比|环比|比|"
                              r"浮|首付|LPR|折扣")


def unit_fits(q: Query, f: Figure) -> bool:
    """Whether a figure's unit can be the one asked (人 for 多少名, any length for 多高)."""
    if f.unit in _LABELS and q.unit != f.unit:
        return False
    if not (q.unit or q.unit_class):
        return True
    if q.unit and f.unit == q.unit:
        return True
    fclass = f.unit_class
    if q.unit == "个" and q.unit_class == "people":
        return fclass == "people" or not f.unit or f.unit == "个"  # 几个孩子: 2名子女, 两个
    if q.unit_class == "speed" and fclass == "length":
        return True                      # 时速350公里
    if q.unit_class == "energy" and f.unit == "度":
        return True                      # 发电量600亿度: 度 is a kilowatt-hour
    if q.unit_class and q.unit_class != "count":
        return fclass == q.unit_class or not f.unit
    if not f.unit:
        return True
    if fclass != "count":
        return False
    if q.unit in (None, "个") or f.unit == "个":
        return True
    return any(q.unit in g and f.unit in g for g in _CLASSIFIER_GROUPS)


def classifier_group(q: Query, f: Figure) -> bool:
    """A measure word of the same group as the one asked (户 for 家, 人 for 名)."""
    return bool(q.unit and f.unit and q.unit != f.unit and any(q.unit in g and f.unit in g for g in _CLASSIFIER_GROUPS))


def figure_place_match(query_places, fplace: str | None, sentence: str) -> float:
    """Whose figure answers the question: the place asked, not a city inside the province asked
    (南宁's 76.8万 members are not 广西's), nor the province of the city asked, nor another place."""
    g = gazetteer()
    if query_places and fplace and fplace not in query_places and any(
            g.contains(qp, fplace) or g.contains(fplace, qp) for qp in query_places):
        return -0.5     # nor the whole province's figure for a city in it (云南全省 for 昆明)
    group = group_places(fplace)
    if query_places and group and group != set(query_places) and not _RESPECTIVELY.search(sentence):
        return -0.5     # 襄阳、宜昌、荆州三市共4870万元: the three's, not 荆州's alone
    if query_places and fplace and fplace not in query_places and fplace in sentence and g.is_place(fplace) \
            and all(g.is_place(qp) for qp in query_places) and not _RESPECTIVELY.search(sentence):
        # 哈尔滨市工会会员186.4万人…大庆市72.5万人: 哈尔滨's, though 大庆 is named (a place the
        # gazetteer does not know, 冷湖, may lie in the one named: 青海…1959年设立冷湖市)
        return -1.0
    return place_match(query_places, fplace, sentence)


_RESPECTIVELY = re.compile(r"分别|依次|各为|各有")


def year_of(text: str) -> int | None:
    m = re.findall(r"((?:19|20)\d{2})\s*年", normalize(text or ""))
    return int(m[-1]) if m else None


# --------------------------------------------------------------------------- making candidates

def segment_of(sentence: str, start: int, end: int) -> str:
    """The part of ``sentence`` around [start, end) between semicolons."""
    lo = max(sentence.rfind("；", 0, start), sentence.rfind(";", 0, start)) + 1
    hi = min([i for i in (sentence.find("；", end), sentence.find(";", end)) if i >= 0] or [len(sentence)])
    return sentence[lo:hi]


def clause_bounds(sentence: str, start: int, end: int) -> tuple[int, int]:
    """The clause of [start, end): between the punctuation around it. A value right after a
    colon keeps its label (净重：6.8kg, 咨询电话：0715-…): the words before the colon say what it is."""
    lo = max((m.end() for m in _BOUNDARY.finditer(sentence, 0, start)), default=0)
    if lo and sentence[lo - 1] in "：:" and not sentence[lo:start].strip():
        lo = max((m.end() for m in _BOUNDARY.finditer(sentence, 0, lo - 1)), default=0)
    m = _BOUNDARY.search(sentence, end)
    return lo, (m.start() if m else len(sentence))


@functools.lru_cache(maxsize=4096)
def _sentences(text: str) -> tuple[tuple[int, int], ...]:
    return tuple(split_sentences(text, full=True))


def make_candidates(q: Query, hits: list[Hit]) -> list[Candidate]:
    """Every candidate of ``hits`` that can answer ``q``, best passage first; the same span
    in two overlapping passages once."""
    out: list[Candidate] = []
    seen: set[tuple[tuple[str, int], str]] = set()
    top = hits[0].score if hits and hits[0].score > 0 else 1.0
    for rank, hit in enumerate(hits):
        p = hit.passage
        ptext = normalize(p.text)
        context = normalize(p.section) + " " + ptext
        rel = max(0.0, hit.score / top) if top else 0.0
        for s, e in _sentences(p.text):
            sentence, nsent = p.text[s:e], ptext[s:e]
            before = ptext[max(0, ptext.rfind("\n", 0, s) + 1):s]
            made: list[Candidate] = []
            if q.asks == "name":
                made = _names(q, p, rank, rel, sentence, nsent, s, before, context)
            elif q.asks in ("org",):
                made = _orgs(q, p, rank, rel, sentence, nsent, s, before, context)
            elif q.asks in ("what", "list", "other", "place") and not (q.unit or q.unit_class):
                made = _spans(q, p, rank, rel, sentence, nsent, s, before, context)
            else:
                made = _figures(q, p, rank, rel, sentence, nsent, s, before, context)
            made += _fields(q, p, rank, rel, sentence, nsent, s, before, context)
            for c in made:
                if (c.key, c.family) not in seen:
                    seen.add((c.key, c.family))
                    out.append(c)
    return out


def span_zones(nsent: str, a: int, b: int, before: str, context: str) -> Zones:
    """The text around a name or phrase at [a, b) of a (normalised) sentence."""
    c_lo, c_hi = clause_bounds(nsent, a, b)
    return Zones(nsent[max(c_lo, a - 10):a], nsent[b:b + 10], nsent[c_lo:a], nsent[b:c_hi], "",
                 nsent[c_lo:c_hi], segment_of(nsent, a, b), nsent, before, context)


def _figures(q, p, rank, rel, sentence, nsent, s, before, context) -> list[Candidate]:
    figs = find_figures(sentence)
    if not figs:
        return []
    pairs = tuple(from_to_pairs(sentence, figs))
    out = []
    for f in figs:
        if not kind_fits(q, f) or not unit_fits(q, f):
            continue
        if f.value is not None and f.kind != "year" and any(abs(f.value - v) < 1e-9 for v in q.number_values):
            continue   # the question gave this figure (柳州6家…企业): it is not the answer
        if q.asks == "date" and f.kind == "year" and f.value in q.years:
            continue   # 2024春运开始时间: the year it gives is not the time it asks
        zones = figure_zones(nsent, f, figs, pairs, before, context)
        fplace = figure_place(sentence, f.start, p.place)
        time = figure_time(sentence, f.start)
        # the year the text states for the figure (the report's date is only a hint: a feature)
        year = int(f.value) if f.kind in ("year", "date") and f.value else \
            (year_of(time) or year_of(sentence[:f.start]) or year_of(before))
        place_ok = figure_place_match(q.places, fplace, sentence)
        wide = _wide(sentence[:f.start]) if place_ok >= 0 and q.places else None
        if wide and not any(qp in gazetteer().provinces for qp in q.places):
            place_ok = -0.5     # 全省累计转移27.4万人，其中漳州市…: the province's, not 漳州's; 三市…: not one's
        out.append(Candidate(p, rank, rel, sentence, s, (f.start, f.end), f.text, f.kind, f, fplace,
                             place_ok, year, time, zones, pairs, tuple(figs), label=label_before(nsent, f.start)))
    return out


_WIDE = re.compile(r"全省|全区|全自治区|"
                   r"[两二三四五六七八九十]个?[市县区地](?=工会|共|合计|累计|总|全年|[\u4e00-\u9fff]{0,2}[共累合])")


def _wide(head: str) -> str | None:
    """The nearest scope before a figure when it is a whole province (全省, 全区) or several places
    together (三市工会…, 两县共…) with no place named after it. (Not 全国: in these reports it
    names awards, 全国模范职工之家, far more often.)"""
    marks = [(m.start(), m.group(0)) for m in _WIDE.finditer(head)]
    if not marks:
        return None
    at, mark = max(marks)
    if find_places(head[at:]):
        return None
    return mark


def figure_zones(nsent: str, f: Figure, figs, pairs, before: str, context: str) -> Zones:
    """The text around figure ``f`` of a (normalised) sentence."""
    prev_end = max([g.end for g in figs if g.end <= f.start] + [0])
    next_start = min([g.start for g in figs if g.start >= f.end] + [len(nsent)])
    c_lo, c_hi = clause_bounds(nsent, f.start, f.end)
    clause = nsent[c_lo:c_hi]
    if f.kind in ("year", "date"):
        # "1954年发现石油后开始建设，1959年设立冷湖市": a date heads the event after it, up to
        # the next date; "建于1988年": or ends the clause that names the event
        dates = [g for g in figs if g.kind in ("year", "date")]
        nxt = min([g.start for g in dates if g.start >= f.end] + [len(nsent)])
        prv = max([g.end for g in dates if g.end <= f.start] + [c_lo])
        after, ahead = nsent[f.end:nxt], nsent[prv:f.start]
        return Zones(ahead[-10:], after[:12], ahead, after, "", clause, segment_of(nsent, f.start, f.end), nsent,
                     before, context)
    left = nsent[max(prev_end, c_lo):f.start]
    lead = ""
    if prev_end > c_lo:
        # "6个律师团和4个服务站": 律师团 is the figure before's; this one's words start after
        # 、 (or 和 where there is no 、: 全国劳模和先进工作者8名、自治区劳模和先进工作者30名)
        cut = left.rfind("、") if "、" in left else max(left.rfind(c) for c in "和及与")
        if cut >= 0:
            left = left[cut + 1:]
            # the words before the list's first figure say what every item is
            first = min(g.start for g in figs if g.start >= c_lo)
            lead = nsent[c_lo:first]
    if not lead and len(left.strip()) <= 6:
        lead = _parallel_lead(nsent, f, figs)
    for a, b, lead_end in pairs:
        if f is b:  # "会员数由28.84万人增加到48.74万人": 48.74万人 is also 会员数
            left = nsent[max(c_lo, clause_bounds(nsent, a.start, a.end)[0]):lead_end] + left
    right = nsent[f.end:min(next_start, c_hi)]
    if next_start < c_hi and "、" in right:
        # "高级工程师12名、工程师35名": the words after 、 name the next figure
        right = right[:right.index("、")]
    return Zones(left[-10:], right[:10], left, right, lead, clause, segment_of(nsent, f.start, f.end), nsent,
                 before, context)


def _parallel_lead(nsent: str, f, figs) -> str:
    """The words that say what a figure is when its own part of a list of parts (between ；)
    names only whose it is: 合肥市…实现地区生产总值3012.6亿元，增长6.5%；芜湖市1148.2亿元 — the
    first part's words before its figure are 芜湖's too."""
    cut = max(nsent.rfind("；", 0, f.start), nsent.rfind(";", 0, f.start))
    if cut < 0 or any(cut < g.start < f.start for g in figs):
        return ""                       # the first part, or not the head figure of its part
    first_end = min(i for i in (nsent.find("；"), nsent.find(";"), cut) if i >= 0)
    first = next((g for g in figs if g.end <= first_end), None)
    if first is None:
        return ""
    lo, _ = clause_bounds(nsent, first.start, first.end)
    return nsent[lo:first.start]


# --------------------------------------------------------------------------- names and spans

_NAME_STOP = set("多在的说为和与是了等将对向从于亲自也曾已表示指出强调要认为同志担任")
# characters that do not occur in a given name: after a role word they start the next phrase
_NOT_NAME = set("和与及等的了是在为对从把被将有个们这那其各级全市县区省部会长副主席书记委员代表工职")
_ORG_LEVELS = ("县级", "区级", "乡镇", "街道", "基层", "企业", "县", "区", "村", "社区", "产业", "行业")


def names_around(text: str, r0: int, r1: int) -> list[tuple[str, tuple[int, int]]]:
    """Chinese names right after a role word (书记姚志平) or right before it (潘利国市长,
    邱景荣为组长)."""
    single, double = surnames()
    out = []
    gap = len(re.match(r"[ \u3000]{0,2}", text[r1:]).group(0))     # 记者 刘晓燕
    after = text[r1 + gap:r1 + gap + 4]
    for n in (3, 2):
        name = after[:n]
        if len(name) == n and re.fullmatch(r"[\u4e00-\u9fff]+", name) and (name[0] in single or name[:2] in double):
            if n == 3 and name[2] in _NAME_STOP:
                continue
            if name[0] in _NOT_NAME or any(ch in _NOT_NAME for ch in name[1:]):
                continue   # 主席和各级…: a conjunction, not a surname
            out.append((name, (r1 + gap, r1 + gap + n)))
            break
    link = re.search(r"(?:担任|出任|兼任|任|为)$", text[max(0, r0 - 2):r0])
    if link:    # 邱景荣为组长, 由王某担任主任
        r0 -= len(link.group(0))
    before = text[max(0, r0 - 3):r0]
    for n in (3, 2):
        name = before[-n:]
        if len(name) == n and re.fullmatch(r"[\u4e00-\u9fff]+", name) and (name[0] in single or name[:2] in double) \
                and not any(ch in _NOT_NAME for ch in name):
            out.append((name, (r0 - n, r0)))
            break
    return out


def _names(q, p, rank, rel, sentence, nsent, s, before, context) -> list[Candidate]:
    """People: named next to the role the question asks about (市委书记姚志平), or any person's
    name in the sentence (jieba's nr words, transliterated names 詹姆斯·库克, Latin names)."""
    from .matching import modified
    spans: dict[tuple[int, int], int] = {}          # span -> characters from the role asked (-1: none)
    mentioned = False                                # the role asked stands in the sentence
    # the role as the question writes it or as the text may (CEO asked, 首席执行官陈晓峰 written)
    for role in dict.fromkeys(r for asked in q.roles for r in (asked,) + synonyms().get(asked, ())):
        for m in re.finditer(re.escape(role), nsent):
            if modified(nsent, m.start(), role, q.text):
                continue  # 副主席 is not 主席
            org = nsent[max(0, m.start() - 6):m.start()]
            if any(w in org and w not in q.text for w in _ORG_LEVELS):
                continue  # 县级工会主席 is not 市总工会主席
            mentioned = True
            for name, (a, b) in names_around(nsent, m.start(), m.end()):
                gap = a - m.end() if a >= m.end() else m.start() - b
                spans[(a, b)] = min(max(gap, 0), spans.get((a, b), 99))
    if not q.roles or mentioned:
        for a, b in person_names(nsent):  # and anyone else the sentence names (beside the role asked)
            spans.setdefault((a, b), -1)
    out = []
    for (a, b), gap in spans.items():
        name = nsent[a:b]
        if name in q.text or any(name in t or t in name for t in q.terms if len(t) >= 2):
            continue          # a name the question gives is not its answer
        z = span_zones(nsent, a, b, before, context)
        out.append(Candidate(p, rank, rel, sentence, s, (a, b), sentence[a:b], "name", None, p.place,
                             place_match(q.places, p.place, p.text), None, "", z, role_gap=gap,
                             role_asked=bool(q.roles)))
    return out


_DOTTED = re.compile(r"[\u4e00-\u9fff]{1,5}(?:[·‧•・][\u4e00-\u9fff]{1,6})+")
_LATIN = re.compile(r"(?<![A-Za-z])[A-Z][a-z]+(?: [A-Z][a-z]+){1,3}(?![A-Za-z])")
_FUNCTION = "由被的是和与在为及从将把对向于由了"


@functools.lru_cache(maxsize=4096)
def person_names(text: str) -> tuple[tuple[int, int], ...]:
    """Where ``text`` names people: jieba's person-name words (nr), transliterated names with a
    middle dot (詹姆斯·库克) and capitalised Latin names (Linus Torvalds)."""
    from ..lexicon import tokenizer
    out: list[tuple[int, int]] = []
    taken = [False] * len(text)

    def add(a, b):
        if b - a >= 2 and not any(taken[a:b]):
            out.append((a, b))
            for i in range(a, b):
                taken[i] = True

    freq = tokenizer().FREQ
    toks = []
    pos = 0
    for word, flag in _posseg().cut(text):
        toks.append((word, flag, pos))
        pos += len(word)
    # transliterated names: the words on both sides of each middle dot (阿尔芒·戴维)
    for i, (word, _, at) in enumerate(toks):
        if word in "·‧•・" and 0 < i < len(toks) - 1:
            j, k = i - 1, i + 1
            while k + 2 < len(toks) and toks[k + 1][0] in "·‧•・":
                k += 2
            a, b = toks[j][2], toks[k][2] + len(toks[k][0])
            if re.fullmatch(r"[\u4e00-\u9fff·‧•・]+", text[a:b]) and toks[j][0] not in _FUNCTION:
                add(a, b)
    for m in _LATIN.finditer(text):
        add(*m.span())
    single, double = surnames()
    for i, (word, flag, at) in enumerate(toks):
        if flag not in ("nr", "nrfg", "nrt"):
            continue
        a, b = at, at + len(word)
        prev = toks[i - 1] if i else None
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if len(word) == 2 and prev and len(prev[0]) == 1 and prev[0] in single and prev[0] not in _NOT_NAME \
                and prev[1] not in ("p", "c", "u", "d", "r", "v"):
            a -= 1                                   # 黄|卫东: the surname cut off
        elif len(word) == 2 and word[0] in single and nxt and len(nxt[0]) == 1 and \
                re.fullmatch(r"[\u4e00-\u9fff]", nxt[0]) and freq.get(nxt[0], 0) < 2000:
            b += 1                                   # 孙家|栋: a given name's rare last character
        name = text[a:b]
        # a Chinese name starts with a surname (大力支持, tagged nr by mistake, does not)
        chinese = (2 <= len(name) <= 3 and name[0] in single) or (3 <= len(name) <= 4 and name[:2] in double)
        if (chinese or flag == "nrt" and 2 <= len(name) <= 6) and not freq.get(name, 0) > 500:
            add(a, b)
    return tuple(sorted(out))


@functools.lru_cache(maxsize=1)
def _posseg():
    """jieba's part-of-speech tagger over the project's tokenizer (its dictionary and terms)."""
    import jieba.posseg as pseg
    from ..lexicon import tokenizer
    return pseg.POSTokenizer(tokenizer())


@functools.lru_cache(maxsize=1)
def _org_regex() -> re.Pattern:
    suffixes = "|".join(re.escape(w) for w in word_list("org_suffixes.txt"))
    return re.compile(r"(?:[\u4e00-\u9fffA-Za-z0-9（）()·]{2,20}?)(?:" + suffixes + r")")


def _orgs(q, p, rank, rel, sentence, nsent, s, before, context) -> list[Candidate]:
    out = []
    for m in _org_regex().finditer(nsent):
        a, b = m.span()
        while a < b and nsent[a] in "和与及在由向对将把被、的了是为":
            a += 1
        if b - a < 3 or nsent[a:b] in q.text:
            continue
        z = span_zones(nsent, a, b, before, context)
        out.append(Candidate(p, rank, rel, sentence, s, (a, b), sentence[a:b], "org", None, p.place,
                             place_match(q.places, p.place, p.text), None, "", z))
    return out


def _spans(q, p, rank, rel, sentence, nsent, s, before, context) -> list[Candidate]:
    """Quoted names (“全国模范劳动关系和谐企业”, 《…》) and enumerations (货车司机、快递员等)."""
    from .matching import match
    if q.asked_noun and match(q.asked_noun, nsent, q.text) < 0.7:
        return []      # the sentence does not speak of what is asked (电话, 称号 …)
    spans = [(m.start(), m.end(), "quoted") for m in re.finditer(r"“[^”]{2,40}”|《[^》]{2,40}》|「[^」]{2,40}」", nsent)]
    if q.asks == "list":
        spans += [(m.start(1), m.end(1), "list") for m in
                  re.finditer(r"([^，。；：:、“”]{1,15}(?:、[^，。；：:、“”]{1,15}){1,}(?:等[^，。；]{0,8})?)", nsent)]
    out = []
    for a, b, kind in spans:
        inside = nsent[a:b]
        if any(t in inside for t in q.terms if len(t) >= 2) and len(inside) < 6:
            continue
        z = span_zones(nsent, a, b, before, context)
        text = sentence[a:b].strip("“”\"《》「」") if kind == "quoted" else sentence[a:b]
        out.append(Candidate(p, rank, rel, sentence, s, (a, b), text, kind, None, p.place,
                             place_match(q.places, p.place, p.text), None, "", z))
    return out


# --------------------------------------------------------------------------- labelled values

# a label and its value: 防水等级：IPX4；净重：6.8kg, 咨询电话：0715-6608 2271（工作日…）, 楼主：小鹿
_LABEL_END = re.compile(r"(?:^|(?<=[；;，,。！？!?、：:\s（）()【】\[\]“”]))([^：:；;，,。！？!?、\s（）()【】\[\]“”]{2,12})[：:][ \u3000]*$")
_VALUE = re.compile(r"[^；;，,。！？!?\n（(【\[]{1,30}")
_NEXT_LABEL = re.compile(r"\s+[^\s：:]{1,10}[：:]")


def label_before(nsent: str, start: int) -> str:
    """The label a value at ``start`` follows directly (净重 of 净重：6.8kg), or "": a word of
    its own before a colon, at the start of a line or after a punctuation mark."""
    m = _LABEL_END.search(nsent[:start])
    # its Chinese words (a line run into the one before: 8.1kg售后电话); 23:35, http: are no labels
    words = re.search(r"[\u4e00-\u9fff]{2,12}$", m.group(1)) if m else None
    return words.group(0) if words else ""


def label_fit(label: str, question: str) -> float:
    """How well a label names what the question asks: 1 when the question says its last
    words (咨询电话 of 咨询与监督咨询电话), else the share of its character pairs it says."""
    if len(label) < 2:
        return 0.0
    for n in range(len(label), 1, -1):
        if label[-n:] in question:
            return min(n / min(len(label), 4), 1.0)
    pairs = [label[i:i + 2] for i in range(len(label) - 1)]
    return sum(pr in question for pr in pairs) / len(pairs)


# the questions a thing's name answers (not 为什么被称为“X”)
_WHAT_OR_WHO = ("what", "other", "place", "name", "org", "list")
# what a text calls a thing: 被称为“X”的Y, Y被誉为“X”, 称Y为“X”
_CALLED = r"(?:称为|誉为|称作|称之为|叫做|叫作|号称|美称|戏称|昵称)"
# the thing named after 的, up to what is said of it (全长3公里, 位于…)
_NOUN_AFTER = re.compile(r"([^，,。；;！？!?、（(：:\s“”\d]{2,15}?)(?=[，,。；;！？!?、（(：:\s“”\d]|是|位于|全长|总长|占地|"
                         r"始建|建于|坐落|地处|共有|拥有|成立|已经|将|被|把|$)")


def _aliases(q: Query, nsent: str) -> list[tuple[int, int, str]]:
    """(start, end, the name) of the things ``nsent`` calls by a quoted name the question
    gives (被称为“澄湖最美岸线”的十里湖堤 for 被称为“澄湖最美岸线”的是哪里)."""
    out = []
    if re.search(r"为什么|为何|原因|怎么|如何", q.text):
        return out                        # why it is so called is not what it is
    for name in dict.fromkeys(m.group(1) for m in re.finditer(r"[“\"「『]([^”\"」』]{2,20})[”\"」』]", q.text)):
        for m in re.finditer(r"[“\"「『]" + re.escape(name) + r"[”\"」』]", nsent):
            a, b = m.span()
            called = re.search(r"称([^，,。；;“”被]{1,12})为$", nsent[max(0, a - 16):a])
            if called:                                          # 称Y为“X”
                lo = a - len(called.group(0)) + 1
                out.append((lo, lo + len(called.group(1)), name))
                continue
            if not re.search(_CALLED + r"$", nsent[max(0, a - 3):a]):
                continue
            if nsent[b:b + 1] == "的":                          # 被称为“X”的Y
                v = _NOUN_AFTER.match(nsent, b + 1)
                if v:
                    out.append((v.start(), v.start() + len(v.group(1)), name))
                continue
            by = re.search(r"([^，,。；;！？!?：:\s]{2,15})被[^，,。；;“”]{0,8}" + _CALLED + r"$", nsent[max(0, a - 30):a])
            if by:                                              # Y被职工们称为“X”
                lo = max(0, a - 30) + by.start(1)
                out.append((lo, lo + len(by.group(1)), name))
    return out


def _fields(q, p, rank, rel, sentence, nsent, s, before, context) -> list[Candidate]:
    """The values of labels the question names (防水等级：IPX4 for 防水等级是多少) and the things
    called by a name it quotes (被称为“设备神医”的是谁 → 邱永福)."""
    out = []
    for a, b, name in (_aliases(q, nsent) if q.asks in _WHAT_OR_WHO else ()):
        z = span_zones(nsent, a, b, before, context)
        out.append(Candidate(p, rank, rel, sentence, s, (a, b), sentence[a:b], "field", None, p.place,
                             place_match(q.places, p.place, p.text), None, "", z, label=name))
    for m in re.finditer(r"[：:][ \u3000]*", nsent):
        label = label_before(nsent, m.start() + 1)
        if not label or label_fit(label, q.text) < 1.0:
            continue                      # a label the question names, not a word it shares
        v = _VALUE.match(nsent, m.end())
        if not v or re.search(r"[“”《》「」]", v.group(0)):
            continue
        a, b = v.span()
        nxt = _NEXT_LABEL.search(nsent, a, b)       # 品牌：暖阳 型号：NY-H22
        b = nxt.start() if nxt else b
        while b > a and nsent[b - 1] in " \u3000":
            b -= 1
        if b <= a or nsent[a:b] in q.text:
            continue
        z = span_zones(nsent, a, b, before, context)
        out.append(Candidate(p, rank, rel, sentence, s, (a, b), sentence[a:b], "field", None, p.place,
                             place_match(q.places, p.place, p.text), None, "", z, label=label))
    return out
