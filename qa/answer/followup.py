"""Follow-up questions: what a question leaves out, taken from the questions before it.

"那绵阳呢？" after "泸州市工会会员有多少？" is asked as "绵阳市工会会员有多少？";
"惠民超市呢？" after "内江市建了几个困难职工帮扶中心？" as "内江惠民超市有多少？". A complete
question takes only the place it leaves out, and only when it goes on from the one before
(它/那/该市…, or a word in common): 香蕉会不会开拖拉机？ after a question about 北京 stays as it is.
"""

from __future__ import annotations

import re
from typing import Sequence

from dataclasses import replace

from .analysis import Query, analyze, has

_TAILS = {"count": "有多少？", "amount": "有多少？", "measure": "有多少？", "duration": "有多久？",
          "percent": "是多少？", "date": "是哪一年？", "name": "是谁？", "ordinal": "是第几？"}
_FORM_TAILS = {"trend": "由多少增加到多少？", "difference": "增加了多少？"}
_GOES_ON = re.compile(r"^(?:那么|那|还有|另外|再问一下|它|他们|她|他|其|该市|该县|该区|这个市|这里|那里|同期|同年|当年|此外)")
_ASKS = re.compile(r"多少|几|哪|谁|什么|何时|是否|吗|占比|比例|如何|怎样|怎么|多[大高远长重久]")
_FIGURE_ASKS = ("count", "amount", "percent", "measure", "date", "duration", "name", "ordinal")


def history_questions(history) -> list[str]:
    """Earlier questions from a history of (question, answer) pairs, plain strings, or
    chat messages ({"role": "user", "content": …})."""
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


def rewrite(text: str, earlier: Sequence[str], known: frozenset[str] = frozenset()) -> str:
    """``text`` written out in full with what it takes from the questions ``earlier``."""
    if not earlier:
        return text
    prev_text = earlier[-1]
    prev = analyze(prev_text, known)
    places = next((p for p in (analyze(e, known).places for e in reversed(earlier)) if p), ())
    core = re.sub(r"^(?:那么|那|还有|另外|再问一下)[，,\s]*", "", text.strip())
    core = re.sub(r"(?:的情况|情况|的呢|呢|吗|啊|呀)?[？?。.!！\s]*$", "", core)
    cur = analyze(core, known)
    asks = bool(_ASKS.search(re.sub(r"呢[？?]?\s*$", "", text))) or has("yesno", re.sub(r"呢[？?]?\s*$", "", text))
    if asks:
        # a question of its own: only the place may be missing, when it goes on from the last
        full = analyze(text, known)
        goes_on = bool(_GOES_ON.match(text.strip())) or any(
            a in b or b in a for a in full.terms for b in prev.terms if len(a) >= 2 and len(b) >= 2)
        if not full.places and places and goes_on and full.asks in _FIGURE_ASKS:
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
    tail = _FORM_TAILS.get(prev.form) or _TAILS.get(prev.asks, "有多少？")
    return lead + core + tail


def resolve(text: str, earlier: Sequence[str], known: frozenset[str] = frozenset()) -> Query:
    """Analyse ``text`` in the light of the questions before it."""
    q = analyze(text, known)
    if earlier:
        rewritten = rewrite(text, [e for e in earlier if isinstance(e, str)], known)
        if rewritten != text:
            q = analyze(rewritten, known)
    return q


def is_followup_only(text: str) -> bool:
    """Whether ``text`` asks nothing of its own (惠民超市呢？)."""
    return not _ASKS.search(re.sub(r"呢[？?]?\s*$", "", text)) and not has("count", text)


def continue_from(q: Query, first: Query) -> Query:
    """A later part of a multi-part question keeps the first part's place, year and subject:
    "…接待了多少件来信来访？涉及多少人次？" asks the second figure about the same 来信来访."""
    changes = {}
    if not q.places:
        changes["places"] = first.places
    if not q.years:
        changes["years"] = first.years
    if not q.terms:  # "历年变化如何？" after "柳州市基层工会组织有多少个？"
        changes.update(terms=first.terms, counted=first.counted, unit=q.unit or first.unit,
                       unit_class=q.unit_class or first.unit_class, text=f"{q.text} {' '.join(first.terms)}")
    else:
        extra = tuple(t for t in first.terms if t not in q.terms)
        changes["terms"] = q.terms + extra
        changes["text"] = f"{q.text} {' '.join(extra)}" if extra else q.text
    if q.asks in ("other",):
        changes["asks"] = "count"
    return replace(q, **changes)


# a word that asks for a figure, a date, a name or a thing: a clause holding one asks a question
# of its own (哪个 is left out: 哪个多，多多少 is one compare)
_ASKING = re.compile(r"多少|(?<![近这那好十])几(?![乎十百千万])|哪一?年|哪个月|哪一?天|何时|何年|谁|哪位|第几|"
                     r"什么时候|多[大高远长重久]|哪[家所]|什么")
_CLAUSE_SEP = re.compile(r"([，,；;、]|\s+)")


def split_parts(text: str) -> list[str]:
    """The questions of a line that asks several: …有多少个？占比多少？, and clauses that each ask
    (…办了多少期，培训了多少人次 / 筹了多少钱 资助了多少孩子). A clause that asks nothing belongs to
    the question beside it (截至2008年6月底，南宁市共有多少个基层工会组织？ is one question)."""
    parts = []
    for piece in re.split(r"(?<=[？?])\s*", text):
        if not piece.strip():
            continue
        bits = _CLAUSE_SEP.split(piece)
        current = ""
        for i in range(0, len(bits), 2):
            clause, sep = bits[i], (bits[i + 1] if i + 1 < len(bits) else "")
            if _ASKING.search(current) and _ASKING.search(clause):
                parts.append(current.strip(" ，,；;、"))
                current = ""
            current += clause + sep
        parts.append(current.strip())
    return [p for p in parts if p]
