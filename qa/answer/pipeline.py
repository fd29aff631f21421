"""The answer pipeline: question → analyse → Query → candidates → features → score → decide
→ strategy → reply. :class:`Answerer` runs it for one index; its public steps
(:meth:`Answerer.rank`, :meth:`Answerer.best`, :meth:`Answerer.answer_query`) are what the
strategies and the training command call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import numpy as np

from ..errors import InvalidParameter, InvalidQuestion
from ..lexicon import MAX_QUESTION_CHARS, normalize, strip_markup
from ..retriever import Hit, Retriever
from .analysis import Query
from .candidates import Candidate, make_candidates
from .context import Context, Corpus
from .decide import NO_RIVAL, Decision, Scored, decide, eligible, uncovered
from .features import matrix
from .followup import history_questions, resolve, split_parts
from .records import Answer
from .replies import answer_one, refusal, say
from .scoring import Model, load_model

_ASKS = re.compile(r"多少|几|哪|谁|什么|何时|是否|吗|呢|占比|比例|如何|怎样|怎么|多[大高远长重久]")


@dataclass
class Ranking:
    """The candidates of one query, scored, best first (eligible ones only in ``ranked``)."""

    query: Query
    hits: list[Hit]
    context: Context
    ranked: list[Scored] = field(default_factory=list)
    others: list[Candidate] = field(default_factory=list)   # ineligible: another place's or year's


class Answerer:
    """Answers questions over one index.

    Args:
        retriever: the index's :class:`~qa.retriever.Retriever`.
        model: the fitted weights (the shipped ``qa/data/answer_weights.json`` by default).
        k: how many passages to read for an answer.
    """

    def __init__(self, retriever: Retriever, model: Model | None = None, k: int = 12):
        self.retriever = retriever
        self.data = retriever.data
        self.corpus = Corpus(self.data, retriever.places_in_corpus)
        self._model = model
        self.k = k

    @property
    def model(self) -> Model:
        if self._model is None:
            self._model = load_model()
        return self._model

    # ---- the whole question -----------------------------------------------------
    def ask(self, question: str, history=None) -> Answer:
        """Answer ``question``; ``history`` holds the chat's earlier turns."""
        if not isinstance(question, str):
            raise InvalidQuestion(f"问题必须是文本，而不是 {type(question).__name__}")
        if history is not None and not isinstance(history, (list, tuple)):
            raise InvalidParameter(f"history 必须是列表（之前的问题或问答对），而不是 {type(history).__name__}")
        text = normalize(question).strip()
        if not re.search(r"[0-9A-Za-z\u4e00-\u9fff]", text):
            return Answer(False, "", say("empty"), kind="empty", head=say("empty"), reason="empty")
        size = len(strip_markup(text).strip())
        if size > MAX_QUESTION_CHARS:
            # cut, it would be answered from a part of itself (a phrase such as 职工利益无小事)
            msg = say("too_long", n=size, max=MAX_QUESTION_CHARS)
            return Answer(False, "", msg, kind="too_long", head=msg, reason="too_long")
        earlier = history_questions(history)
        parts = split_parts(text)
        asks = [p for p in parts if _ASKS.search(p)]
        from .strategies import Multi, strategy_for
        if len(asks) >= 2 and len(parts) <= 4:
            return Multi(self).answer(parts, earlier)
        q = self.resolve(text, earlier)
        return strategy_for(q, self).answer(q)

    def resolve(self, text: str, earlier=()) -> Query:
        """The query of ``text``, with what a follow-up leaves out taken from ``earlier``."""
        return resolve(text, list(earlier), self.retriever.places_in_corpus)

    # ---- the steps ---------------------------------------------------------------
    def rank(self, q: Query, anchor: Candidate | None = None, exclude: frozenset[str] = frozenset(),
             within: str | None = None, score: bool = True, only=None) -> Ranking:
        """Retrieve, make the candidates, compute their features and (with ``score``) score
        and sort them. ``exclude`` leaves out the passages of some reports (used in training),
        ``within`` keeps only one report's; ``only`` (a test of a candidate) keeps the kind a
        strategy asks for (the change a sentence states, for 比前一年多了多少)."""
        k = self.k + (3 * self.k if exclude or within else 0)
        hits = [h for h in self.retriever.search(q, k=k)
                if h.source not in exclude and (within is None or h.source == within)][:self.k]
        if anchor is not None and all(h.passage_id != anchor.passage.passage_id for h in hits):
            # a later part of a multi-part question reads the first part's passage too
            hits.append(Hit(anchor.passage, hits[-1].score if hits else 1.0))
        ctx = Context(q, self.corpus, anchor)
        cands = make_candidates(q, hits)
        if only is not None:
            cands = [c for c in cands if only(c)]
        ctx.best_doc_cover = max((ctx.doc_cover(s) for s in {h.source for h in hits}), default=0.0)
        ok = [eligible(q, c, self.corpus) for c in cands]
        good = [c for c, y in zip(cands, ok) if y]
        others = [c for c, y in zip(cands, ok) if not y]
        X = matrix(q, good, ctx)
        scored = []
        for c, x in zip(good, X):
            s = self.model.scorers[c.family].score(x) if score else 0.0
            scored.append(Scored(c, x, s))
        scored.sort(key=lambda r: -r.score)
        return Ranking(q, hits, ctx, scored, others)

    def best(self, q: Query, anchor: Candidate | None = None, within: str | None = None,
             only=None) -> tuple[Decision, Ranking | None]:
        """The decision for a plain query: the hard rules, then the best candidate's probability
        (``within``: from one report's passages only)."""
        why = uncovered(q, self.corpus)
        if why:
            return Decision(False, None, None, 0.0, why[0], why[1]), None
        if not q.terms and q.asks == "other":
            return Decision(False, None, None, 0.0, "nothing"), None
        if q.asks == "place":
            # where is not answered, but by the thing a quoted name stands for (被称为“X”的是哪里)
            only = _fields_only(only)
        ranking = self.rank(q, anchor, within=within, only=only)
        if q.asks == "place" and not ranking.ranked:
            return Decision(False, None, None, 0.0, "where"), ranking
        return decide(q, ranking.ranked, self.model), ranking

    def answer_query(self, q: Query, anchor: Candidate | None = None, only=None,
                     within: str | None = None) -> tuple[Answer, Candidate | None]:
        """A plain answer to an analysed query, and the candidate it chose (None on a refusal);
        ``within``: from one report only."""
        decision, _ = self.best(q, anchor, within=within, only=only)
        return self.reply(q, decision)

    def reply(self, q: Query, decision: Decision) -> tuple[Answer, Candidate | None]:
        """The plain answer or refusal a decision on ``q`` makes, and the candidate it chose
        (None on a refusal): for a strategy that has the decision already."""
        explain = self.explain(decision)
        if decision.found:
            c = decision.best.candidate
            return answer_one(q, c, confidence=decision.probability, explain=explain), c
        near = None
        if decision.best is not None and decision.best.candidate.figure is not None \
                and decision.probability >= 0.5 * decision.threshold:
            near = decision.best.candidate
        detail = decision.detail
        return refusal(q, decision.reason, detail, near, confidence=decision.probability or None,
                       explain=explain), None

    def explain(self, decision: Decision, top: int = 8) -> dict | None:
        """Why the winner won: its top feature contributions to the ranking score and to the
        decision, and the runner-up's."""
        if decision.best is None:
            return {"decision": "refused", "reason": decision.reason, "detail": decision.detail}
        out = {"decision": "found" if decision.found else "refused", "reason": decision.reason,
               "probability": round(decision.probability, 4), "threshold": round(decision.threshold, 4)}
        best = decision.best
        cal = self.model.calibrators[best.candidate.family]
        margin = best.score - decision.runner_up.score if decision.runner_up else NO_RIVAL
        share = decision.share
        out["decision_features"] = [[n, round(v, 4)] for n, v in
                                    cal.contributions(best.score, margin, share, best.features)[:top]]
        for key, s in (("winner", best), ("runner_up", decision.runner_up)):
            if s is None:
                continue
            scorer = self.model.scorers[s.candidate.family]
            out[key] = {"answer": s.candidate.text, "score": round(s.score, 4),
                        "source": s.candidate.passage.source, "sentence": s.candidate.sentence,
                        "features": [[n, round(v, 4)] for n, v in scorer.contributions(s.features)[:top]]}
        return out


def _fields_only(only):
    """``only`` narrowed to the labelled values and the things a quoted name stands for."""
    return lambda c: c.family == "field" and (only is None or only(c))
