"""Step 7 of answering: replies, from the templates in ``qa/data/replies.json``.

The short answer is the answer phrase as the report prints it: the figure with the words that
say how exact it is (约, 可达, 近), the counted noun after it (6,476名观众), and the word of the
question it stands right after (体长可达80公分, 成立于1939年). Every figure in a reply is
checked to be verbatim in a cited passage, or labelled as computed.
"""

from __future__ import annotations

import functools
import json
import re
from importlib import resources
from typing import Sequence

from ..figures import digits_in
from ..lexicon import attributes, normalize, word_list
from ..passages import Passage
from .analysis import Query
from .candidates import Candidate
from .records import Answer, Citation

SOURCE_PREFIX = "出处："


@functools.lru_cache(maxsize=1)
def templates() -> dict[str, str]:
    return json.loads(resources.files("qa.data").joinpath("replies.json").read_text(encoding="utf-8"))


def say(key: str, **values) -> str:
    """The template ``key`` of replies.json with ``values`` filled in."""
    return templates()[key].format(**values)


def source_line(p: Passage) -> str:
    """The citation line: report file · page (PDFs, images) · article · the report's date."""
    page = f"第{p.page}页" if getattr(p, "page", None) else None
    return say("source", source=" · ".join([p.source] + [x for x in (page, p.section, p.date) if x]))


def citation(c: Candidate) -> Citation:
    return Citation(c.passage.source, c.passage.passage_id, c.passage.section, c.sentence,
                    c.place or c.passage.place, c.passage.date, getattr(c.passage, "page", None))


def enforce_verbatim(lines: list[str], sources: list[str], computed: Sequence[str] = ()) -> str:
    """Join reply lines, dropping any line with a figure that is neither verbatim in one of
    ``sources`` nor one of the ``computed`` figures (which the line labels as computed).
    Lines that name the source (出处：…) are metadata and are not checked."""
    pool = "\n".join(normalize(s) for s in sources)
    allowed = set(digits_in(pool)) | {d for c in computed for d in digits_in(normalize(c))}
    kept = []
    for line in lines:
        if not line.startswith(SOURCE_PREFIX):
            if any(d not in allowed and d not in pool for d in digits_in(normalize(line))):
                continue
        kept.append(line)
    return "\n".join(kept)


# --------------------------------------------------------------------------- the answer phrase

@functools.lru_cache(maxsize=1)
def _qualifiers() -> tuple[str, ...]:
    return word_list("qualifiers.txt")


def short_text(q: Query, c: Candidate) -> str:
    """The answer phrase, verbatim from the sentence (see the module's docstring)."""
    if c.figure is None:
        return c.text
    a, b = c.span
    s = c.sentence
    n = normalize(s)
    # after: the noun counted (6,476名观众), or a synonym of it (3名子女 for 孩子)
    if q.counted and c.kind not in ("year", "date"):
        for noun in _counted_forms(q.counted):
            if n[b:b + len(noun)] == noun:
                b += len(noun)
                break
        else:
            nxt = n[b:b + 1]
            if nxt and any(t.endswith(nxt) and len(t) >= 2 for t in q.terms) and nxt in "重高长深宽":
                b += 1                           # 约只有8公斤重 for 体重
    elif c.kind == "measure" and n[b:b + 1] and n[b] in "重高长深宽" and any(t.endswith(n[b]) for t in q.terms):
        b += 1                               # (a figure that ends its sentence has nothing after it)
    # before: qualifiers (约, 可达, 只有), then one word of the question (体长, 成立于)
    lo = max((m.end() for m in re.finditer(r"[，,；;。！？!?：:（(、\n]", n[:a])), default=0)
    prev_end = max([f.end for f in c.figures if f.end <= c.span[0]] + [lo])
    start = a
    for _ in range(3):
        q_word = next((w for w in _qualifiers() if n[max(prev_end, start - len(w)):start] == w), None)
        if q_word is None:
            break
        start -= len(q_word)
    echo = _echo(q, n, prev_end, start, qualified=start < a)
    if echo:
        start -= echo
    return s[start:b].strip()


def _counted_forms(noun: str) -> tuple[str, ...]:
    from ..lexicon import synonyms
    return (noun,) + tuple(s for s in synonyms().get(noun, ()) if len(s) >= 2)


def _echo(q: Query, n: str, lo: int, start: int, qualified: bool) -> int:
    """How many characters before ``start`` belong to the answer phrase as the attribute it
    states: a word of the question linked by 于/为 (成立于1939年), an attribute such as 体长 or 身高
    (体长可达80公分, 身高182CM), or any word of the question before a qualifier (树高可达55米 for
    多高). A plain noun before a count stays out (基层工会组织8019个 answers with 8019个)."""
    attrs = attributes()
    for t in sorted((t for t in q.terms if len(t) >= 2), key=len, reverse=True):
        for link in ("于", "为", ""):
            w = t + link
            if start - len(w) >= lo and n[start - len(w):start] == w and \
                    (link or qualified or attrs.get(t, ("",))[0] in ("measure", "date", "duration")):
                return len(w)
    if q.dimension:        # 树高可达55米, 全长1122米 for 多高 / 多长
        m = re.search(r"[\u4e00-\u9fff]" + re.escape(q.dimension) + "$", n[lo:start])
        if m:
            return 2
    return 0


# --------------------------------------------------------------------------- one answer

def label_of(c: Candidate) -> str:
    """Whose figure and when: 南宁，截至2008年6月底."""
    return "，".join(x for x in (c.place or c.passage.place, c.time) if x)


def answer_one(q: Query, c: Candidate, kind: str | None = None, confidence: float | None = None,
               explain: dict | None = None) -> Answer:
    """A found answer from one candidate: the short answer with its label, the quoted sentence
    and its source."""
    short = short_text(q, c)
    label = label_of(c)
    head = say("answer", short=short, label=say("label", label=label) if label else "")
    lines = [head, say("quote", quote=c.sentence), source_line(c.passage)]
    text = enforce_verbatim(lines, [c.passage.text])
    return Answer(True, short, text, (citation(c),), kind=kind or q.kind, head=head, label=label,
                  confidence=confidence, explain=explain)


def refusal(q: Query, reason: str, detail: str = "", near: Candidate | None = None,
            confidence: float | None = None, explain: dict | None = None) -> Answer:
    """A refusal that says what the reports lack, and may show the nearest record, marked as
    not the answer."""
    head = refusal_message(q, reason, detail)
    lines = [head]
    nearest = None
    if near is not None and near.figure is not None:
        where = "，".join(x for x in (near.place or near.passage.place, near.time or near.passage.date) if x)
        lines.append(say("nearest", quote=near.sentence, where=where))
        lines.append(source_line(near.passage))
        nearest = citation(near)
        text = enforce_verbatim(lines, [near.passage.text, near.passage.date or "", q.text])
    else:
        text = enforce_verbatim(lines, [q.text])
    return Answer(False, "", text, (), kind=q.kind, nearest=nearest, head=head, reason=reason,
                  confidence=confidence, explain=explain)


def refusal_message(q: Query, reason: str, detail: str = "") -> str:
    if reason == "place":
        return say("refuse_place", what=detail)
    if reason == "year":
        return say("refuse_year", what=detail)
    if reason == "thing":
        return say("refuse_thing", what=detail)
    if reason == "where":
        return say("refuse_where")
    scope = "、".join(q.places) + "、".join(f"{y}年" for y in q.years)
    return say("refuse_scope", scope=scope) if scope else say("refuse")
