"""The answer composer: question types, answer selection, templates, refusals, follow-ups.

No language model: the reply is built from the passages the retriever found. For a figure
question every figure of the top passages is a candidate, scored by the question's words
around it (the words just before or after a number say what it counts), the unit the
question implies, the place and the year. The reply quotes the sentence verbatim and cites
its report; every figure in the reply is checked to appear verbatim in a cited passage.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import asdict, dataclass
from typing import Sequence

from .errors import InvalidQuestion
from .figures import Figure, digits_in, figure_place, figure_time, find_figures, from_to_pairs
from .lexicon import gazetteer, modifiers, normalize, surnames, synonyms, tokenize, words
from .passages import Passage, split_sentences
from .retriever import Query, Retriever, analyze, place_match

# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Citation:
    """Where an answer comes from: the report file, the passage, its article, the quoted text."""

    source: str
    passage_id: str
    section: str
    quote: str
    place: str | None = None
    date: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    """A reply. ``short`` is the direct answer alone ("3135个", "2004年", "姚志平"); ``text`` the
    whole reply; ``found`` is False when the reports do not answer the question."""

    found: bool
    short: str
    text: str
    citations: tuple[Citation, ...] = ()
    kind: str = ""
    computed: tuple[str, ...] = ()     # figures the answer computed (labelled as such in text)
    table: tuple[dict, ...] = ()       # compare / trend rows: place, figure, value, unit, time, source
    nearest: Citation | None = None    # for a refusal: the closest figure, shown as not the answer

    def to_dict(self) -> dict:
        return {"found": self.found, "short": self.short, "text": self.text,
                "citations": [c.to_dict() for c in self.citations], "kind": self.kind,
                "computed": list(self.computed), "table": list(self.table),
                "nearest": self.nearest.to_dict() if self.nearest else None}


@dataclass
class Candidate:
    """A possible answer: a figure (or a name, a span) in a sentence of a retrieved passage."""

    passage: Passage
    rank: int
    sentence: str
    sent_start: int            # offset of the sentence in the passage
    span: tuple[int, int]      # the answer's span in the sentence
    text: str                  # verbatim answer text
    figure: Figure | None = None
    score: float = 0.0
    coverage: float = 0.0
    place: str | None = None
    place_ok: float = 0.0
    year_ok: bool = True
    unit_ok: bool = True
    time: str = ""
    counted_hit: int = 0       # the question's counted noun: 2 at the figure, 1 in the sentence
    anchored: bool = False     # in the sentence that answered the part before (multi-part questions)


# --------------------------------------------------------------------------- helpers

_MEASURES = ("length", "area", "weight", "speed", "time", "energy", "power")
_BOUNDARY = re.compile(r"[，,；;。！？!?：:\n]")
_QUESTION_SPLIT = re.compile(r"(?<=[？?])\s*")
_ASKS = re.compile(r"多少|几|哪|谁|什么|何时|是否|吗|呢|占比|比例|如何|怎样|怎么|多[大高远长重久]")


def _clause_bounds(sentence: str, start: int, end: int) -> tuple[int, int]:
    lo = max((m.end() for m in _BOUNDARY.finditer(sentence, 0, start)), default=0)
    m = _BOUNDARY.search(sentence, end)
    return lo, (m.start() if m else len(sentence))


def history_questions(history) -> list[str]:
    """Earlier questions from a history of (question, answer) pairs, plain strings, or
    Gradio-style message dicts."""
    out: list[str] = []
    for item in history or []:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict):
            if item.get("role") == "user" and isinstance(item.get("content"), str):
                out.append(item["content"])
        elif isinstance(item, (list, tuple)) and item and isinstance(item[0], str):
            out.append(item[0])
    return out


# --------------------------------------------------------------------------- the composer

class Composer:
    """Turns a question (and the chat history) into an :class:`Answer`.

    Args:
        retriever: the :class:`Retriever` of the index.
        k: how many passages to read for an answer.
        min_coverage: the share of the question's (weighted) words that must be found around
            a figure for it to count as the answer.
    """

    def __init__(self, retriever: Retriever, k: int = 12, min_coverage: float = 0.5):
        self.retriever = retriever
        self.data = retriever.data
        self.k = k
        self.min_coverage = min_coverage
        bm = self.data.bm25
        import numpy as np
        df = np.diff(bm._weight_matrix().indptr) if bm.counts.shape[0] else np.zeros(0)
        n = max(bm.counts.shape[0], 1)
        self._df = {t: int(df[i]) for i, t in enumerate(bm.vocab)} if len(df) else {}
        self._n = n
        self._by_source: dict[str, list[int]] = {}
        for i, p in enumerate(self.data.passages):
            self._by_source.setdefault(p.source, []).append(i)
        self._doc_cache: dict[str, str] = {}
        self._source_places: dict[str, set[str]] = {}
        for p in self.data.passages:
            if p.place:
                self._source_places.setdefault(p.source, set()).add(p.place)
        # places the reports speak of: the passages' own, and any the text names (a token of BM25)
        g = gazetteer()
        terms = bm.term_index
        self._corpus_places = set(retriever.places_in_corpus) | \
            {name for name in set(g.cities) | set(g.provinces) if name in terms or name + "市" in terms}
        self._corpus_places = {g.provinces.get(p, p) for p in self._corpus_places}

    # ---- public -----------------------------------------------------------
    def answer(self, question: str, history=None) -> Answer:
        """Answer ``question``; ``history`` holds the earlier turns of the chat."""
        if not isinstance(question, str):
            raise InvalidQuestion(f"问题必须是文本，而不是 {type(question).__name__}")
        text = normalize(question).strip()
        if not re.search(r"[0-9A-Za-z\u4e00-\u9fff]", text):
            return Answer(False, "", "请输入一个问题，例如：防城港市组建了多少个工会组织？", kind="empty")
        parts = [p for p in _QUESTION_SPLIT.split(text) if p.strip()]
        asks = [p for p in parts if _ASKS.search(p)]
        earlier = history_questions(history)
        if len(asks) >= 2 and len(parts) <= 4:
            return self._multi(parts, earlier)
        q = self.resolve(text, earlier)
        return self.solve(q)[0]

    def resolve(self, text: str, earlier: Sequence[str]) -> Query:
        """Analyse a question, filling in from the history what a follow-up leaves out:
        "惠民超市呢？" is asked as "<the place before>惠民超市有多少？", "那绵阳呢？" as the
        question before about 绵阳."""
        places = self.retriever.places_in_corpus
        q = analyze(text, places)
        if earlier:
            rewritten = rewrite_followup(text, [e for e in earlier if isinstance(e, str)], places)
            if rewritten != text:
                q = analyze(rewritten, places)
        return q

    # ---- kinds of questions --------------------------------------------------
    def solve(self, q: Query, anchor: Candidate | None = None,
              cross: bool = True) -> tuple[Answer, Candidate | None]:
        """Answer an analysed question; also return the chosen candidate (None on a refusal)."""
        if cross and q.qtype in ("compare", "trend", "compute"):
            from .crossfig import cross_answer  # figures across articles and reports
            ans = cross_answer(self, q)
            if ans is not None:
                return ans, None
        missing = [p for p in q.places if p not in self._corpus_places]
        if missing and not any(p in self._corpus_places for p in q.places):
            return self._refuse(q, f"报告中没有关于{'、'.join(missing)}的内容。"), None
        if q.qtype in ("where",):
            return self._refuse(q, "报告中没有找到这个问题的答案（报告记录的是工作和数据，没有地址一类的信息）。"), None
        if not q.terms and q.qtype in ("other",):
            return self._refuse(q, "报告中没有找到这个问题的答案。"), None
        absent = self._absent_attribute(q)
        if absent:
            return self._refuse(q, f"报告中没有关于{absent}的记录。"), None
        hits = self.retriever.search(q, k=self.k)
        if not hits:
            return self._refuse(q, "报告中没有找到这个问题的答案。"), None
        if q.qtype == "who":
            cands = self._name_candidates(q, hits)
        elif q.qtype in ("what", "list", "other"):
            cands = self._figure_candidates(q, hits, anchor) if q.unit else []
            if not cands:
                return self._span_answer(q, hits)
        else:
            cands = self._figure_candidates(q, hits, anchor)
        return self._decide(q, cands)

    def _absent_attribute(self, q: Query) -> str | None:
        """The thing a 什么 question asks for (网址 in 网站的网址是什么), when no report uses the
        word at all."""
        noun = _asked_noun(q)
        toks = tokenize(noun) if noun else []
        if not toks or all(t in self._df for t in toks):
            return None
        return noun

    def _multi(self, parts: list[str], earlier: Sequence[str]) -> Answer:
        """Several questions at once: answer each, the later ones in the context of the first."""
        answers: list[Answer] = []
        first = None
        anchor = None
        context = list(earlier)
        for part in parts:
            q = self.resolve(part, context)
            if first is not None:
                if not q.places:
                    q.places = list(first.places)
                if not q.years:
                    q.years = list(first.years)
                if not q.terms:  # "历年变化如何？" after "柳州市基层工会组织有多少个？"
                    q.terms, q.counted = list(first.terms), first.counted
                    q.unit, q.unit_class = q.unit or first.unit, q.unit_class or first.unit_class
                    q.text = f"{q.text} {' '.join(first.terms)}"
                else:
                    # "…接待了多少件来信来访？涉及多少人次？": the second part is still about the
                    # first one's subject
                    q.terms = q.terms + [t for t in first.terms if t not in q.terms]
                if q.qtype in ("other",):
                    q.qtype = "count"
            ans, choice = self.solve(q, anchor=anchor)
            answers.append(ans)
            if first is None:
                first = q
            anchor = choice or anchor
            context.append(part)
        found = all(a.found for a in answers)
        shorts = [a.short for a in answers if a.found]
        cites: list[Citation] = []
        for a in answers:
            for c in a.citations:
                if c not in cites:
                    cites.append(c)
        lines = []
        for part, a in zip(parts, answers):
            lines.append(f"问：{part.strip()}")
            # a part the reports do not answer says so in one line (its nearest figure would need
            # a citation of its own)
            lines.append(a.text if a.found else a.text.splitlines()[0])
        return Answer(found, "，".join(shorts), "\n".join(lines), tuple(cites), kind="multi",
                      computed=tuple(x for a in answers for x in a.computed))

    # ---- candidates -----------------------------------------------------------
    def idf(self, term: str) -> float:
        df = self._df.get(term.lower())
        if df is None:
            # a word the index does not hold as a token: weigh it by its parts
            return 1.5
        return math.log(1.0 + (self._n - df + 0.5) / (df + 0.5))

    def _term_weights(self, q: Query) -> dict[str, float]:
        weights = {}
        for t in q.terms:
            w = self.idf(t)
            subs = _parts(t) if len(t) >= 3 else []
            if subs:  # a rare compound weighs like its parts, or it would decide alone
                w = (w + sum(self.idf(s) for s in subs) / len(subs)) / 2
            if len(t) == 1:
                w *= 0.5
            weights[t] = max(w, 0.05)
        return weights

    @staticmethod
    def _match(term: str, text: str, question: str) -> float:
        """How well ``term`` is found in ``text`` (1 as is, 0.7 as a synonym, 0 not or only
        inside a narrower word such as 高级技师 for 技师)."""
        return _match(term, text, question)

    def _coverage(self, q: Query, weights: dict[str, float], zones: list[tuple[str, float]],
                  sentence: str = "") -> float:
        """The weighted share of the question's words found in ``zones`` (text, closeness); a
        compound written whole in ``sentence`` is not looked for by its parts."""
        total = sum(weights.values()) or 1.0
        return sum(w * self._term_score(t, zones, q.text, parts=t not in sentence)
                   for t, w in weights.items()) / total

    def _term_score(self, term: str, zones: list[tuple[str, float]], question: str, parts: bool = True) -> float:
        best = 0.0
        for zone, factor in zones:
            if factor <= best:
                continue
            m = self._match(term, zone, question)
            if m:
                best = max(best, m * factor)
        if parts and best < 0.8 and len(term) >= 3:
            # a compound found by its parts (技能比赛: 技能 … 比赛); not when the sentence has it
            # whole elsewhere: then the parts here are another thing (高级工 … 高级技师)
            subs = _parts(term)
            if subs:
                part = sum(self._term_score(s, zones, question, parts=False) for s in subs) / len(subs)
                best = max(best, 0.8 * part)
        return best

    def _doc_text(self, source: str) -> str:
        """The normalised text of a whole report (kept for the most recently used reports)."""
        text = self._doc_cache.pop(source, None)
        if text is None:
            text = normalize("\n".join(self.data.passages[i].text for i in self._by_source.get(source, [])))
        self._doc_cache[source] = text          # most recently used last
        while len(self._doc_cache) > 2048:
            self._doc_cache.pop(next(iter(self._doc_cache)))
        return text

    def sources_about(self, places) -> list[str]:
        """The reports with a passage about one of ``places`` (or naming it)."""
        return sorted(s for s, about in self._source_places.items() if any(p in about for p in places))

    def _doc_fit(self, q: Query, weights, hits) -> dict[str, float]:
        """How much of the question each retrieved report holds anywhere: an answer should come
        from the report that is about all of it (the subject is often only in another sentence)."""
        cov = {h.source: self._coverage(q, weights, [(self._doc_text(h.source), 1.0)]) for h in hits}
        top = max(cov.values(), default=0.0)
        return {s: 0.3 * (c - top) for s, c in cov.items()}

    def _figure_candidates(self, q: Query, hits, anchor: Candidate | None = None) -> list[Candidate]:
        weights = self._term_weights(q)
        doc_fit = self._doc_fit(q, weights, hits)
        cands: list[Candidate] = []
        seen: set[tuple[str, int]] = set()
        for rank, hit in enumerate(hits):
            p = hit.passage
            ptext = normalize(p.text)
            context = normalize(p.section) + " " + ptext
            for s, e in split_sentences(p.text, full=True):
                sentence = p.text[s:e]
                nsent = ptext[s:e]
                figs = find_figures(sentence)
                for i, f in enumerate(figs):
                    key = (p.source, p.start + s + f.start)
                    if key in seen:
                        continue
                    if not self._kind_fits(q, f):
                        continue
                    if f.value is not None and any(abs(f.value - v) < 1e-9 for v in q.number_values) \
                            and f.kind != "year":
                        continue  # the question gave this figure (柳州6家…企业): it is not the answer
                    seen.add(key)
                    c = self._score_figure(q, weights, p, rank, sentence, nsent, s, f, figs, anchor, ptext, context)
                    c.score += doc_fit.get(p.source, 0.0)
                    cands.append(c)
        cands.sort(key=lambda c: -c.score)
        return cands

    @staticmethod
    def _kind_fits(q: Query, f: Figure) -> bool:
        if q.qtype == "when":
            return f.kind in ("year", "date")
        if f.kind == "period":
            return q.unit_class == "time"
        if f.kind in ("year", "date"):
            return False
        if q.qtype == "ordinal":
            return f.kind == "ordinal"
        if f.kind == "ordinal":
            return False
        if q.qtype == "percent":
            return f.kind == "percent"
        if q.unit_class == "percent":
            return f.kind == "percent"
        return True

    def _score_figure(self, q: Query, weights, p: Passage, rank: int, sentence: str, nsent: str, s: int,
                      f: Figure, figs: list[Figure], anchor: Candidate | None, ptext: str,
                      context: str) -> Candidate:
        prev_end = max([g.end for g in figs if g.end <= f.start] + [0])
        next_start = min([g.start for g in figs if g.start >= f.end] + [len(sentence)])
        c_lo, c_hi = _clause_bounds(nsent, f.start, f.end)
        left = nsent[max(prev_end, c_lo):f.start]
        lead = ""
        if prev_end > c_lo:
            # "6个律师团和4个服务站": 律师团 is the figure before's; this one's words start after
            # 、 (or 和 where there is no 、: 全国劳模和先进工作者8名、自治区劳模和先进工作者30名)
            cut = left.rfind("、") if "、" in left else max(left.rfind(c) for c in "和及与")
            if cut >= 0:
                left = left[cut + 1:]
                # the words before the list's first figure say what every item is
                # (共推荐表彰了全国劳模…8名、自治区劳模…30名)
                first = min(g.start for g in figs if g.start >= c_lo)
                lead = nsent[c_lo:first]
        pairs = from_to_pairs(sentence, figs)
        for a, b, lead_end in pairs:
            if f is b:  # "会员数由28.84万人增加到48.74万人": 48.74万人 is also 会员数
                left = nsent[max(c_lo, _clause_bounds(nsent, a.start, a.end)[0]):lead_end] + left
        right = nsent[f.end:min(next_start, c_hi)]
        if next_start < c_hi and "、" in right:
            # "高级工程师12名、工程师35名": the words after 、 name the next figure
            right = right[:right.index("、")]
        clause = nsent[c_lo:c_hi]
        before = ptext[max(0, ptext.rfind("\n", 0, s) + 1):s]   # the paragraph before the sentence
        if f.kind in ("year", "date"):
            # "1954年发现石油后开始建设，1959年设立冷湖市": a date heads the event after it, up to
            # the next date; "建于1988年": or ends the clause that names the event
            dates = [g for g in figs if g.kind in ("year", "date")]
            nxt = min([g.start for g in dates if g.start >= f.end] + [len(nsent)])
            prv = max([g.end for g in dates if g.end <= f.start] + [c_lo])
            zones = [(nsent[f.end:nxt], 1.0), (nsent[prv:f.start], 0.85), (nsent, 0.45), (before, 0.3),
                     (context, 0.2)]
        else:
            # the words right at a number say most about it; further along its clause, less
            zones = [(left[-10:], 1.0), (right[:10], 0.95), (left, 0.85), (right, 0.8), (lead, 0.8),
                     (clause, 0.65), (nsent, 0.45), (before, 0.3), (context, 0.2)]
        coverage = self._coverage(q, weights, zones, nsent)
        score = coverage
        # 多长/多高: "长702米，深80米" — the dimension named right before the number
        if q.dimension:
            near = left[-3:]
            if q.dimension in near:
                score += 0.15
            elif any(d in near for d in "高远长深宽重" if d != q.dimension):
                score -= 0.15
        cand = Candidate(p, rank, sentence, s, (f.start, f.end), f.text, f)
        # the unit the question implies
        fit = unit_fit(q, f)
        if fit is None:
            score -= 0.6
            cand.unit_ok = False
        else:
            score += fit
        # the counted noun right at the figure (1.5万多名职工, 职工书屋77个), or not in the sentence
        if q.counted and len(q.counted) >= 2:
            near = [(right[:len(q.counted) + 6], 1.0), (left[-(len(q.counted) + 6):], 1.0)]
            in_sentence = self._term_score(q.counted, [(nsent, 1.0)], q.text)
            head = _head_noun(q.counted)   # 保障金 of 重大疾病互助保障金
            if self._term_score(q.counted, near, q.text) >= 0.5 or \
                    (head != q.counted and in_sentence >= 0.5 and self._term_score(head, near, q.text) >= 0.7):
                cand.counted_hit = 2
                # right next to the number counts most (技能培训班593期 over 培训班和学习活动2540多期)
                gaps = []
                if q.counted in left:
                    gaps.append(len(left) - (left.rfind(q.counted) + len(q.counted)))
                if q.counted in right:
                    gaps.append(right.find(q.counted))
                gap = min(gaps) if gaps else 6
                score += 0.08 + 0.04 * max(0.0, 1 - gap / 6)
            elif in_sentence >= 0.5:
                cand.counted_hit = 1
            else:
                score -= 0.15
        # place
        fplace = figure_place(sentence, f.start, p.place)
        cand.place = fplace
        cand.place_ok = figure_place_match(q.places, fplace, sentence)
        score += 0.25 * cand.place_ok
        # time
        cand.time = figure_time(sentence, f.start)
        fyear = _year_of(cand.time) or _year_of(sentence[:f.start]) or _year_of(before)
        if q.years:
            if fyear is not None:
                cand.year_ok = fyear in q.years
            else:
                cand.year_ok = bool(p.date) and int(p.date[:4]) in q.years
            score += 0.2 if cand.year_ok else -0.3
        if q.period and q.period[:1] in nsent[:f.start]:
            score += 0.05
        # "由28.84万人增加到48.74万人": the figure now is the second, unless the past is asked
        for a, b, _ in pairs:
            if f is a and not re.search(r"前|原来|原先|当初|起初|以前|过去", q.text):
                score -= 0.2
        # respectively: "A及B…分别X和Y" answers A with X
        score += _respectively_bonus(q, nsent, f, figs)
        # after a first answer in a multi-part question: stay in its sentence, just after it
        if anchor is not None:
            if anchor.passage.passage_id == p.passage_id and anchor.sentence == sentence:
                cand.anchored = True
                gap = f.start - anchor.span[1]
                score += 0.35 if 0 <= gap else 0.15
                score += 0.2 * max(0.0, 1 - abs(gap) / 40)
            elif anchor.passage.source == p.source and abs(anchor.passage.start - p.start) < 400:
                score += 0.1
        score -= 0.01 * rank
        cand.score, cand.coverage = score, coverage
        return cand

    def _name_candidates(self, q: Query, hits) -> list[Candidate]:
        """People named next to the role the question asks about (市委书记姚志平)."""
        weights = self._term_weights(q)
        roles = re.findall(r"副?(?:书记|主席|主任|市长|局长|经理|董事长|会长|部长|厂长|秘书长|省长|县长|区长|"
                           r"总经理|院长|校长|队长|组长)", q.text)
        single, double = surnames()
        cands = []
        for rank, hit in enumerate(hits):
            p = hit.passage
            for s, e in split_sentences(p.text, full=True):
                sentence = p.text[s:e]
                nsent = normalize(sentence)
                for role in roles:
                    for m in re.finditer(re.escape(role), nsent):
                        if _modified(nsent, m.start(), role, q.text):
                            continue  # 副主席 is not 主席
                        org = nsent[max(0, m.start() - 6):m.start()]
                        if any(w in org and w not in q.text for w in _ORG_LEVELS):
                            continue  # 县级工会主席 is not 市总工会主席
                        for name, (a, b) in _names_around(nsent, m.start(), m.end(), single, double):
                            zones = [(nsent, 1.0), (normalize(p.text), 0.5)]
                            cov = self._coverage(q, weights, zones)
                            c = Candidate(p, rank, sentence, s, (a, b), sentence[a:b])
                            c.coverage = cov
                            c.place = p.place
                            c.place_ok = place_match(q.places, p.place, p.text)
                            c.score = cov + 0.25 * c.place_ok - 0.01 * rank + (0.1 if b <= m.start() or a >= m.end() else 0)
                            cands.append(c)
        cands.sort(key=lambda c: -c.score)
        return cands

    # ---- deciding and writing -------------------------------------------------
    def _decide(self, q: Query, cands: list[Candidate]) -> tuple[Answer, Candidate | None]:
        good = [c for c in cands if c.unit_ok and c.place_ok >= 0 and c.year_ok]
        best = good[0] if good else None
        if best is None or not self._confident(q, best):
            near = best or (cands[0] if cands else None)
            return self._refuse(q, self._why_not(q, cands), near), None
        return self._write(q, best), best

    def _confident(self, q: Query, c: Candidate) -> bool:
        """Whether a candidate answers the question: enough of its words around the figure.

        Less is needed when the answer's type is specific (a length for 多长, a year for 哪一年)
        or the very thing counted stands next to the number; more when it is nowhere near.
        """
        need = self.min_coverage
        f = c.figure
        if f is not None and q.unit_class in _MEASURES and f.unit_class == q.unit_class:
            return c.coverage >= 0.2
        if c.anchored:   # "…有多少个？占比多少？": the second figure of the same sentence
            return c.coverage >= 0.3
        if q.qtype == "when":
            need = 0.35
        if q.counted and len(q.counted) >= 2 and f is not None and q.qtype not in ("when", "who"):
            need = {2: 0.3, 1: self.min_coverage}.get(c.counted_hit, 0.7)
        return c.coverage >= need

    def _why_not(self, q: Query, cands: list[Candidate]) -> str:
        place = "、".join(q.places) if q.places else ""
        year = "、".join(f"{y}年" for y in q.years)
        if cands and q.years and cands[0].coverage >= self.min_coverage and not cands[0].year_ok:
            return f"报告中没有{place}{year}的这项数据。"
        return f"报告中没有找到{place}{year}的这项数据。" if (place or year) else "报告中没有找到这个问题的答案。"

    @staticmethod
    def _short(q: Query, c: Candidate) -> str:
        """The direct answer: the figure as printed, with the counted noun when it follows it
        (6,476名观众, 11个工会工作站)."""
        text = c.text
        if c.figure is not None and q.counted and c.figure.kind not in ("year", "date"):
            after = c.sentence[c.span[1]:c.span[1] + len(q.counted) + 1]
            if after.startswith(q.counted):
                text += q.counted
        return text

    def _write(self, q: Query, c: Candidate, kind: str | None = None) -> Answer:
        cite = Citation(c.passage.source, c.passage.passage_id, c.passage.section, c.sentence,
                        c.place or c.passage.place, c.passage.date)
        label = "，".join(x for x in (c.place or c.passage.place, c.time) if x)
        short = self._short(q, c)
        first = short + (f"（{label}）" if label else "")
        lines = [first, f"原文：「{c.sentence}」", source_line(c.passage)]
        text = enforce_verbatim(lines, [c.passage.text])
        return Answer(True, short, text, (cite,), kind=kind or q.qtype)

    def _refuse(self, q: Query, message: str, near: Candidate | None = None) -> Answer:
        lines = [message]
        nearest = None
        if near is not None and near.coverage >= 0.35 and near.figure is not None:
            where = "，".join(x for x in (near.place or near.passage.place, near.time or near.passage.date) if x)
            lines.append(f"最接近的记录（并非所问）：「{near.sentence}」（{where}）")
            lines.append(source_line(near.passage))
            nearest = Citation(near.passage.source, near.passage.passage_id, near.passage.section,
                               near.sentence, near.place, near.passage.date)
            text = enforce_verbatim(lines, [near.passage.text, near.passage.date or "", q.text])
        else:
            text = enforce_verbatim(lines, [q.text])
        return Answer(False, "", text, (), kind=q.qtype, nearest=nearest)

    def _span_answer(self, q: Query, hits) -> tuple[Answer, Candidate | None]:
        """Answers that are words, not figures: a name in quotes (称号), a list (哪些)."""
        weights = self._term_weights(q)
        asked = _asked_noun(q)
        best = None
        for rank, hit in enumerate(hits):
            p = hit.passage
            for s, e in split_sentences(p.text, full=True):
                sentence = p.text[s:e]
                nsent = normalize(sentence)
                if asked and self._match(asked, nsent, q.text) < 0.7:
                    continue   # the sentence does not speak of what is asked (电话, 称号 …)
                cov = self._coverage(q, weights, [(nsent, 1.0), (normalize(p.text), 0.3)])
                pm = place_match(q.places, p.place, p.text)
                if pm < 0:
                    continue
                spans = _answer_spans(q, nsent)
                for a, b in spans:
                    inside = nsent[a:b]
                    if any(t in inside for t in q.terms if len(t) >= 2) and len(inside) < 6:
                        continue
                    score = cov + 0.2 * pm - 0.01 * rank
                    if best is None or score > best.score:
                        best = Candidate(p, rank, sentence, s, (a, b), sentence[a:b].strip("“”\"《》「」"))
                        best.score, best.coverage, best.place = score, cov, p.place
        if best is None or best.coverage < max(self.min_coverage, 0.6):
            return self._refuse(q, "报告中没有找到这个问题的答案。"), None
        return self._write(q, best), best


# --------------------------------------------------------------------------- small rules


# Measure words that count the same kind of thing; 个 goes with any of them.
_CLASSIFIER_GROUPS = [{"家", "户", "所", "座"}, {"项", "件", "条", "起"}, {"册", "本", "卷"},
                      {"次", "场", "场次", "期", "届", "轮"}, {"份", "张"}, {"人", "人次"}, {"名", "位", "人"}]


# units that rank or label rather than count: 三级工会 (a tier), 338号 (an address), 第三代
_LABELS = {"级", "号", "代"}


def unit_fit(q: Query, f: Figure) -> float | None:
    """Bonus for a figure whose unit fits the one the question implies; None when it does not fit."""
    if f.unit in _LABELS and q.unit != f.unit:
        return None
    if not (q.unit or q.unit_class):
        return -0.3 if f.kind == "number" else 0.0
    if q.unit and f.unit == q.unit:
        return 0.3
    fclass = f.unit_class
    if q.unit_class and q.unit_class != "count":
        if fclass == q.unit_class:
            return 0.2
        return -0.5 if not f.unit else None
    # counting with measure words
    if not f.unit:
        return -0.25
    if fclass != "count":
        return None
    if q.unit in (None, "个") or f.unit == "个":
        return 0.1
    if any(q.unit in g and f.unit in g for g in _CLASSIFIER_GROUPS):
        return 0.15
    return None


_TAILS = {"count": "有多少？", "percent": "是多少？", "when": "是哪一年？", "who": "是谁？", "trend": "由多少增加到多少？",
          "compute": "增加了多少？", "ordinal": "是第几？"}


def rewrite_followup(text: str, earlier: Sequence[str], known: frozenset[str] = frozenset()) -> str:
    """A follow-up question written out in full with what it takes from the questions before.

    "那绵阳呢？" after "泸州市工会会员有多少？" → "绵阳市工会会员有多少？";
    "惠民超市呢？" after "内江市建了几个困难职工帮扶中心？" → "内江惠民超市有多少？".
    A complete question only gets the place it leaves out.
    """
    if not earlier:
        return text
    prev_text = earlier[-1]
    prev = analyze(prev_text, known)
    places = next((p for p in (analyze(e, known).places for e in reversed(earlier)) if p), [])
    core = re.sub(r"^(?:那么|那|还有|另外|再问一下)[，,\s]*", "", text.strip())
    core = re.sub(r"(?:的情况|情况|的呢|呢|吗|啊|呀)?[？?。.!！\s]*$", "", core)
    cur = analyze(core, known)
    asks = bool(_ASKS.search(re.sub(r"呢[？?]?\s*$", "", text)))
    if asks:
        # a question of its own: only the place may be missing
        if not cur.places and places:
            return "".join(places) + text
        return text
    if not cur.terms:
        # "那绵阳呢？", "那2012年呢？": the question before, about another place or year
        new = prev_text
        for a, b in zip(prev.places, cur.places):
            new = new.replace(a, b, 1)
        if cur.places and not prev.places:
            new = "".join(cur.places) + new
        for a, b in zip(prev.years, cur.years):
            new = new.replace(str(a), str(b), 1)
        if cur.years and not prev.years:
            new = f"{cur.years[0]}年" + new
        return new
    if not cur.places and len(cur.terms) == 1:
        # "三类的呢？" after "内江市一类工会组织有多少个？": the same kind with another modifier
        word = cur.terms[0]
        same = [t for t in prev.terms if t != word and len(t) == len(word) and t[-1] == word[-1]]
        if same and 2 <= len(word) <= 4:
            return prev_text.replace(same[0], word, 1)
    lead = "".join(cur.places or places)
    if not cur.years and prev.years:
        lead += f"{prev.years[0]}年"
    return lead + core + _TAILS.get(prev.qtype, "有多少？")


@functools.lru_cache(maxsize=4096)
def _head_noun(noun: str) -> str:
    """The word a compound ends in, which says what it is: 保障金 of 重大疾病互助保障金."""
    from .lexicon import tokenizer
    if len(noun) <= 3:
        return noun
    for n in (4, 3, 2):
        tail = noun[-n:]
        if tokenizer().FREQ.get(tail, 0) >= 50:
            return tail
    return noun


@functools.lru_cache(maxsize=4096)
def _parts(term: str) -> tuple[str, ...]:
    from .lexicon import tokenizer
    return tuple(w for w in tokenizer().lcut_for_search(term) if len(w) >= 2 and w != term)


_SMALL_NUMERALS = "一二三四五六七八九十"


@functools.lru_cache(maxsize=65536)
def _match(term: str, text: str, question: str) -> float:
    best = 0.0
    alts = [(term, 1.0)] + [(s, 0.7) for s in synonyms().get(term, ()) if len(s) >= 2 or len(term) == 1]
    arabic = re.sub(r"[一二三四五六七八九十](?=年|个月|天)", lambda m: str(_SMALL_NUMERALS.index(m.group(0)) + 1), term)
    if arabic != term:   # 三年 is written 3年 as often
        alts.insert(1, (arabic, 1.0))
    for alt, factor in alts:
        start = 0
        while True:
            i = text.find(alt, start)
            if i < 0:
                break
            start = i + 1
            if _modified(text, i, alt, question):
                continue
            best = max(best, factor)
            break
        if best >= factor:
            break
    if best == 0.0 and len(term) >= 4:
        # a long compound found in part (工资专项集体协议 ~ 工资集体协议)
        grams = {term[i:i + 2] for i in range(len(term) - 1)}
        have = sum(1 for g in grams if g in text)
        if have / len(grams) >= 0.6:
            best = 0.5 * have / len(grams)
    return best


def figure_place_match(query_places, fplace: str | None, sentence: str) -> float:
    """Whose figure answers the question: the place asked, not a city inside the province asked
    (南宁's 76.8万 members are not 广西's), nor another place."""
    g = gazetteer()
    if query_places and fplace and any(g.contains(qp, fplace) for qp in query_places) \
            and fplace not in query_places:
        return -0.5
    return place_match(query_places, fplace, sentence)


_LEVELS = ("全国", "自治区", "省级", "全省", "市级", "县级", "区级", "国家级")
_ORG_LEVELS = ("县级", "区级", "乡镇", "街道", "基层", "企业", "县", "区", "村", "社区", "产业", "行业")


def _modified(text: str, i: int, alt: str, question: str) -> bool:
    """Whether the occurrence of ``alt`` at ``i`` is a narrower or another thing than the
    question asks: 高级技师 for 技师, 外资企业工会组建率 for 工会组建率, 全国模范职工之家 for
    自治区模范职工之家."""
    for m in modifiers():
        if text[max(0, i - len(m)):i] == m and (m + alt) not in question:
            return True
    asked = [lv for lv in _LEVELS if lv + alt in question]
    if asked:
        here = [lv for lv in _LEVELS if text[max(0, i - len(lv)):i] == lv]
        if here and not set(here) & set(asked):
            return True
    return False


def _year_of(text: str) -> int | None:
    m = re.findall(r"((?:19|20)\d{2})\s*年", normalize(text or ""))
    return int(m[-1]) if m else None


def _respectively_bonus(q: Query, nsent: str, f: Figure, figs: list[Figure]) -> float:
    """'“4·15”及“9·10”两场…分别高达2910万元和3048万元': the i-th item gets the i-th figure."""
    k = nsent.find("分别")
    if k < 0 or f.start < k:
        return 0.0
    after = [g for g in figs if g.start > k and g.kind == f.kind and g.unit == f.unit]
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
            return 0.3 if j == idx else -0.3
    return 0.0


_NAME_STOP = set("多在的说为和与是了等将对向从于亲自也曾已表示指出强调要认为同志担任")
# characters that do not occur in a given name: after a role word they start the next phrase
_NOT_NAME = set("和与及等的了是在为对从把被将有个们这那其各级全市县区省部会长副主席书记委员代表工职")


def _names_around(text: str, r0: int, r1: int, single, double):
    """Chinese names right after a role word (书记姚志平) or right before it (潘利国市长,
    邱景荣为组长)."""
    out = []
    after = text[r1:r1 + 4]
    for n in (3, 2):
        name = after[:n]
        if len(name) == n and re.fullmatch(r"[\u4e00-\u9fff]+", name) and (name[0] in single or name[:2] in double):
            if n == 3 and name[2] in _NAME_STOP:
                continue
            if name[0] in _NOT_NAME or any(ch in _NOT_NAME for ch in name[1:]):
                continue   # 主席和各级…: a conjunction, not a surname
            out.append((name, (r1, r1 + n)))
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


def _asked_noun(q: Query) -> str | None:
    """What a 什么 question asks for: 网址 of 网站的网址是什么, 称号 of 获得了什么称号."""
    if q.qtype not in ("what", "other"):
        return None
    m = re.search(r"([\u4e00-\u9fff]{2,6})(?:是|叫|为)什么|什么([\u4e00-\u9fff]{2,4})", q.text)
    if not m:
        return None
    found = words(m.group(1) or m.group(2))
    noun = (found[-1] if m.group(1) else found[0]) if found else ""
    return noun if len(noun) >= 2 else None


def _answer_spans(q: Query, sentence: str) -> list[tuple[int, int]]:
    """Quoted names (“全国模范劳动关系和谐企业”, 《…》) and enumerations (货车司机、快递员等)."""
    spans = [(m.start(), m.end()) for m in re.finditer(r"“[^”]{2,40}”|《[^》]{2,40}》|「[^」]{2,40}」", sentence)]
    if q.qtype == "list":
        spans += [(m.start(1), m.end(1)) for m in
                  re.finditer(r"([^，。；：:、“”]{1,15}(?:、[^，。；：:、“”]{1,15}){1,}(?:等[^，。；]{0,8})?)", sentence)]
    return spans


SOURCE_PREFIX = "出处："


def source_line(p: Passage) -> str:
    """The citation line: report file · article · the report's date."""
    parts = [p.source] + [x for x in (p.section, p.date) if x]
    return SOURCE_PREFIX + " · ".join(parts)


def enforce_verbatim(lines: list[str], sources: list[str], computed: Sequence[str] = ()) -> str:
    """Join reply lines, dropping any line with a figure that is neither verbatim in one of
    ``sources`` nor one of the ``computed`` figures (which the line labels as computed).
    Lines that name the source ("出处：…") are metadata and are not checked."""
    pool = "\n".join(normalize(s) for s in sources)
    allowed = set(digits_in(pool)) | {d for c in computed for d in digits_in(normalize(c))}
    kept = []
    for line in lines:
        if not line.startswith(SOURCE_PREFIX):
            if any(d not in allowed and d not in pool for d in digits_in(normalize(line))):
                continue
        kept.append(line)
    return "\n".join(kept)
