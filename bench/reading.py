"""Reading-comprehension sets (SQuAD format) asked through the whole assistant.

Every paragraph is indexed as one report; every question is asked with ``Assistant.ask``.

- Figure questions (as in bench/cmrc.py): a gold answer with a digit, at most 8 characters.
- An answer is right when it is found and its ``short`` holds a gold answer (loosely:
  spaces, thousands commas, full-width digits aside; a number is not cut, 10次 is not in 110次).
- Answered share, accuracy (right among all) and precision (right among answered) are given
  for the figure questions and for every question.
- "Paragraph missing": the questions of half the paragraphs (by hash) asked of an index of the
  other half, where refusing is right: how often a wrong answer is given instead.

Sets: the CMRC 2018 trial set (never fitted on), and the held-out parts of CMRC 2018 train and
XQuAD zh (split by article with the seed ``qa train`` used: no weight was fitted on them).
"""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path

from qa.answer.train import SHARED, build_squad_index, squad_items
from qa.evaluate import contains

_DIGIT = re.compile(r"[0-9０-９]")

SETS = {
    "cmrc_trial": (SHARED / "extbench" / "cmrc2018_trial.json", None),
    "cmrc_train_heldout": (SHARED / "extbench" / "train" / "cmrc2018_train.json", True),
    "xquad_heldout": (SHARED / "extbench" / "train" / "xquad.zh.json", True),
}


def is_figure(golds, max_len: int | None = 8) -> bool:
    return any(_DIGIT.search(g) and (max_len is None or len(g.strip()) <= max_len) for g in golds)


def right(ans, golds) -> bool:
    return bool(ans.found and any(contains(ans.short, g) for g in golds))


def _tally(rows):
    n = len(rows)
    answered = sum(1 for r in rows if r["found"])
    ok = sum(1 for r in rows if r["right"])
    return {"n": n, "answered": answered / n if n else None, "accuracy": ok / n if n else None,
            "precision": ok / answered if answered else None}


def evaluate_set(name: str, work: Path, seed: int = 0, limit: int | None = None, missing: bool = True) -> dict:
    """One set: figure and all-question tallies, the paragraph-missing refusals, speed."""
    from qa import Assistant
    path, held = SETS[name]
    short = name.split("_")[0]
    paragraphs, items = squad_items(path, short, seed)
    if held is not None:
        items = [i for i in items if i.held_out == held]
    if limit:
        items = items[:limit]
    used = {i.report[:-4] for i in items}
    index = build_squad_index({k: v for k, v in paragraphs.items() if k in used}, Path(work) / name)
    a = Assistant.load(index)
    rows, times = [], []
    for it in items:
        t0 = time.perf_counter()
        ans = a.ask(it.question)
        times.append(time.perf_counter() - t0)
        rows.append({"id": it.id, "question": it.question, "golds": list(it.golds), "found": ans.found,
                     "short": ans.short, "right": right(ans, it.golds), "figure": is_figure(it.golds),
                     "source_ok": any(c.source == it.report for c in ans.citations)})
    out = {"set": name, "questions": len(items), "paragraphs": len(used),
           "figure": _tally([r for r in rows if r["figure"]]), "all": _tally(rows),
           "ask_ms_p50": round(1000 * sorted(times)[len(times) // 2], 1) if times else None,
           "wrong": [r for r in rows if r["figure"] and r["found"] and not r["right"]],
           "missed": [r for r in rows if r["figure"] and not r["found"]]}
    if missing:
        out["paragraph_missing"] = _missing(name, paragraphs, items, work)
    return out


def _missing(name, paragraphs, items, work) -> dict:
    """Questions whose paragraph is not in the index: answered (wrongly) or refused."""
    from qa import Assistant
    half = lambda pid: int(hashlib.sha1(pid.encode()).hexdigest(), 16) % 2
    keep = {i.report[:-4] for i in items if half(i.report[:-4]) == 0}
    index = build_squad_index({k: v for k, v in paragraphs.items() if k in keep}, Path(work) / f"{name}-half")
    a = Assistant.load(index)
    asked = [i for i in items if half(i.report[:-4]) == 1 and is_figure(i.golds)]
    answered = sum(1 for i in asked if a.ask(i.question).found)
    return {"figure_questions": len(asked), "answered_wrongly": answered / len(asked) if asked else None}
