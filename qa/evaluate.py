"""Evaluation on question files in the format of ../shared/eval/dev.jsonl (``qa eval``).

Each line: question, must (strings that must all be in ``short``; ``|`` separates
alternatives), source (a citation must name it), evidence (a retrieved passage must contain
it), found (false: the reports do not answer), history (earlier questions), kind.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InvalidParameter
from .lexicon import fold_width


def loose(text: str) -> str:
    """Spaces, thousands commas and full-width digits do not count when comparing answers."""
    t = fold_width(text or "")
    t = re.sub(r"(?<=\d)[,，](?=\d{3})", "", t)
    return re.sub(r"\s+", "", t)


def contains(big: str, small: str) -> bool:
    """``small`` in ``big``, compared loosely, where a number is not cut (10次 is not in 110次)."""
    big, small = loose(big), loose(small)
    if not small:
        return False
    i = big.find(small)
    while i >= 0:
        before = big[i - 1] if i else ""
        after = big[i + len(small)] if i + len(small) < len(big) else ""
        if not (small[0].isdigit() and (before.isdigit() or before == ".")) and \
                not (small[-1].isdigit() and (after.isdigit() or after == ".")):
            return True
        i = big.find(small, i + 1)
    return False


def must_ok(short: str, must: list[str]) -> bool:
    s = loose(short)
    return all(any(loose(alt) in s for alt in entry.split("|")) for entry in must)


def answer_right(row: dict, ans) -> bool:
    """Whether an Answer is right for a question row: the figure in ``short`` and the source
    cited, or a refusal where the reports do not answer."""
    if not row.get("found", True):
        return not ans.found
    cited = {c.source for c in ans.citations}
    return bool(ans.found and must_ok(ans.short, row["must"]) and (not row.get("source") or row["source"] in cited))


def passage_right(row: dict, passage) -> bool:
    """How a retrieval-only baseline is scored: its top passage holds every ``must`` entry and
    comes from the right report (it never refuses, so an unanswerable question is wrong)."""
    if not row.get("found", True) or passage is None:
        return False
    return must_ok(passage.text, row["must"]) and (not row.get("source") or passage.source == row["source"])


def read_questions(path: str | Path) -> list[dict]:
    """Read a question file; raises InvalidParameter on a bad line, naming it."""
    rows = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidParameter(f"{path}:{n}: 不是 JSON ({exc.msg})") from None
        if not isinstance(row, dict) or not isinstance(row.get("question"), str):
            raise InvalidParameter(f"{path}:{n}: 缺少 question 字段")
        row.setdefault("must", [])
        row.setdefault("found", True)
        row.setdefault("kind", "fact" if row["found"] else "unanswerable")
        row.setdefault("id", f"line{n}")
        rows.append(row)
    return rows


@dataclass
class Outcome:
    id: str
    kind: str
    question: str
    expected_found: bool
    found: bool
    short: str
    correct: bool
    hit1: bool | None = None
    hit5: bool | None = None
    base_hit1: bool | None = None
    base_hit5: bool | None = None
    base_correct: bool | None = None
    seconds: float = 0.0


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    def summary(self) -> dict:
        res: dict = {"questions": len(self.outcomes), "by_kind": {}}
        kinds = sorted({o.kind for o in self.outcomes})
        for k in kinds:
            rows = [o for o in self.outcomes if o.kind == k]
            res["by_kind"][k] = {"n": len(rows), "accuracy": _share(o.correct for o in rows),
                                 "baseline": _share(bool(o.base_correct) for o in rows)}
        ans = [o for o in self.outcomes if o.expected_found]
        una = [o for o in self.outcomes if not o.expected_found]
        ret = [o for o in self.outcomes if o.hit1 is not None]
        res["answerable_accuracy"] = _share(o.correct for o in ans)
        res["refusals_correct"] = _share(o.correct for o in una)
        # answered share and precision (right among the answers given, over every question)
        answered = [o for o in self.outcomes if o.found]
        res["answered"] = _share(o.found for o in self.outcomes)
        res["precision"] = _share(o.correct for o in answered)
        res["accuracy"] = _share(o.correct for o in self.outcomes)
        res["hit@1"] = _share(o.hit1 for o in ret)
        res["hit@5"] = _share(o.hit5 for o in ret)
        res["baseline"] = {"answerable_accuracy": _share(bool(o.base_correct) for o in ans),
                           "refusals_correct": 0.0 if una else None,
                           "hit@1": _share(bool(o.base_hit1) for o in ret),
                           "hit@5": _share(bool(o.base_hit5) for o in ret)}
        times = sorted(o.seconds for o in self.outcomes)
        res["ask_ms_p50"] = round(1000 * times[len(times) // 2], 1) if times else None
        return res

    def table(self) -> str:
        s = self.summary()
        pct = lambda x: "—" if x is None else f"{100 * x:.1f}%"
        lines = [f"{'kind':<14}{'n':>4}  {'this project':>13}  {'baseline':>9}"]
        for k, v in s["by_kind"].items():
            lines.append(f"{k:<14}{v['n']:>4}  {pct(v['accuracy']):>13}  {pct(v['baseline']):>9}")
        b = s["baseline"]
        lines += ["",
                  f"{'answerable right':<22}{pct(s['answerable_accuracy']):>10}  baseline {pct(b['answerable_accuracy'])}",
                  f"{'correct refusals':<22}{pct(s['refusals_correct']):>10}  baseline {pct(b['refusals_correct'])}",
                  f"{'answered':<22}{pct(s['answered']):>10}  precision (right among answered) {pct(s['precision'])}",
                  f"{'retrieval hit@1':<22}{pct(s['hit@1']):>10}  baseline {pct(b['hit@1'])}",
                  f"{'retrieval hit@5':<22}{pct(s['hit@5']):>10}  baseline {pct(b['hit@5'])}",
                  f"{'ask p50':<22}{s['ask_ms_p50']:>8} ms",
                  "baseline: rank_bm25 over jieba tokens; its answer is its top passage (right when that "
                  "passage holds the gold figure and comes from the right report); it never refuses."]
        wrong = [o for o in self.outcomes if not o.correct]
        if wrong:
            lines += ["", "wrong:"] + [f"  {o.id} [{o.kind}] {o.question} → {o.short or '(refused)'}" for o in wrong]
        return "\n".join(lines)


def _share(values) -> float | None:
    values = list(values)
    return sum(1 for v in values if v) / len(values) if values else None


class Bm25Baseline:
    """What people would use otherwise: rank_bm25 over jieba tokens, top passage."""

    def __init__(self, passages):
        import jieba
        import logging
        from rank_bm25 import BM25Okapi
        jieba.setLogLevel(logging.WARNING)
        self.passages = passages
        self._cut = lambda t: [w for w in jieba.lcut(t) if w.strip()]
        self.bm25 = BM25Okapi([self._cut(p.text) for p in passages])

    def search(self, question: str, k: int = 5):
        import numpy as np
        scores = self.bm25.get_scores(self._cut(question))
        order = np.argsort(-scores, kind="stable")[:k]
        return [self.passages[i] for i in order]


def evaluate(assistant, path: str | Path, baseline: bool = True) -> Report:
    """Run every question of ``path`` through ``assistant`` (and the baseline)."""
    rows = read_questions(path)
    base = None
    if baseline:
        try:
            base = Bm25Baseline(assistant.data.passages)
        except ImportError:
            base = None
    report = Report()
    squash = lambda t: re.sub(r"\s+", "", t or "")
    for row in rows:
        history = row.get("history") or []
        t0 = time.perf_counter()
        ans = assistant.ask(row["question"], history=history)
        dt = time.perf_counter() - t0
        expected = bool(row.get("found", True))
        out = Outcome(row["id"], row["kind"], row["question"], expected, ans.found, ans.short,
                      answer_right(row, ans), seconds=dt)
        evidence = row.get("evidence")
        if evidence:
            hits = assistant.search(row["question"], k=5, history=history)
            ok = [squash(evidence) in squash(h.text) for h in hits]
            out.hit1, out.hit5 = bool(ok and ok[0]), any(ok)
            if base is not None:
                top = base.search(row["question"], k=5)
                bok = [squash(evidence) in squash(p.text) for p in top]
                out.base_hit1, out.base_hit5 = bool(bok and bok[0]), any(bok)
        if base is not None:
            top = base.search(row["question"], k=1)
            out.base_correct = passage_right(row, top[0] if top else None)
        report.outcomes.append(out)
    return report
