"""Quality, side by side, on question files in the dev.jsonl format.

Scoring follows :mod:`qa.evaluate`: a retrieved passage is a hit when it contains the
question's ``evidence`` (whitespace aside); an answer is right when it is found, its ``short``
holds every ``must`` entry and it cites the ``source`` report; an unanswerable question is
right when the assistant refuses. A peer (rank_bm25, bm25s) answers with its top passage: right
when that passage holds every ``must`` entry and comes from the right report; peers never
refuse, so unanswerable questions count as wrong for them. Follow-up questions are searched
with their history by this project (``Assistant.search(question, k, history=...)``); the peers
get the question alone, as they have no notion of a conversation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

K = 10
MODES = ("hybrid", "bm25", "dense")
LABELS = {"hybrid": "this project, hybrid", "bm25": "this project, BM25 only",
          "dense": "this project, dense only", "rank_bm25": "rank_bm25 + jieba",
          "bm25s": "bm25s + jieba"}


def squash(text: str | None) -> str:
    return re.sub(r"\s+", "", text or "")


@dataclass
class Score:
    """Running totals of one system on one question set."""

    retrieval: int = 0
    hit1: int = 0
    hit5: int = 0
    rr: float = 0.0
    answerable: int = 0
    answerable_right: int = 0
    unanswerable: int = 0
    refusals_right: int = 0
    by_kind: dict = field(default_factory=dict)   # kind -> [n, right]

    def add_retrieval(self, ok: list[bool]) -> None:
        self.retrieval += 1
        self.hit1 += bool(ok[:1] and ok[0])
        self.hit5 += any(ok[:5])
        first = next((i for i, x in enumerate(ok[:K]) if x), None)
        self.rr += 0.0 if first is None else 1.0 / (first + 1)

    def add_answer(self, kind: str, expected_found: bool, right: bool) -> None:
        if expected_found:
            self.answerable += 1
            self.answerable_right += right
        else:
            self.unanswerable += 1
            self.refusals_right += right
        n = self.by_kind.setdefault(kind, [0, 0])
        n[0] += 1
        n[1] += right

    def to_dict(self) -> dict:
        share = lambda a, b: a / b if b else None
        return {"retrieval_questions": self.retrieval, "hit@1": share(self.hit1, self.retrieval),
                "hit@5": share(self.hit5, self.retrieval), "mrr@10": share(self.rr, self.retrieval),
                "accuracy": share(self.answerable_right + self.refusals_right, self.answerable + self.unanswerable),
                "answerable_accuracy": share(self.answerable_right, self.answerable),
                "refusals_correct": share(self.refusals_right, self.unanswerable),
                "questions": self.answerable + self.unanswerable,
                "by_kind": {k: {"n": v[0], "accuracy": share(v[1], v[0])} for k, v in sorted(self.by_kind.items())}}


def evaluate_file(index: str, path: str, peers: bool = True) -> dict:
    """Every system on the questions of ``path`` over the index in ``index``."""
    from qa import Assistant
    from qa.evaluate import answer_right, passage_right, read_questions
    rows = read_questions(path)
    base = Assistant.load(index)
    assistants = {"hybrid": base}
    for mode in MODES[1:]:
        assistants[mode] = Assistant(base.data, base.embedder, mode=mode)
    passages = base.data.passages
    peer_objs = {}
    if peers:
        from .peers import Bm25sPeer, RankBm25Peer, init_jieba
        init_jieba()
        texts = [p.text for p in passages]
        peer_objs = {"rank_bm25": RankBm25Peer.from_texts(texts), "bm25s": Bm25sPeer.from_texts(texts)}
    scores = {name: Score() for name in list(assistants) + list(peer_objs)}
    for row in rows:
        history = row.get("history") or []
        expected = bool(row.get("found", True))
        evidence = squash(row.get("evidence"))
        for mode, a in assistants.items():
            ans = a.ask(row["question"], history=history)
            scores[mode].add_answer(row["kind"], expected, answer_right(row, ans))
            if evidence:
                hits = a.search(row["question"], k=K, history=history)
                scores[mode].add_retrieval([evidence in squash(h.text) for h in hits])
        for name, peer in peer_objs.items():
            top = [passages[i] for i in peer.search(row["question"], k=K)]
            scores[name].add_answer(row["kind"], expected, passage_right(row, top[0] if top else None))
            if evidence:
                scores[name].add_retrieval([evidence in squash(p.text) for p in top])
    return {"file": str(path), "questions": len(rows),
            "systems": {name: s.to_dict() for name, s in scores.items()}}
