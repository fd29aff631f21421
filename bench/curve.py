"""The precision/recall curve of the one refusal decision: for every threshold on the
calibrated probability, the share of questions answered (recall, over the answerable ones) and
the precision (right among answered), on held-out and blind sets; the threshold ``qa train``
chose is marked.

    python -m bench.curve --out bench/curve.png
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from qa.evaluate import contains

from .answers import ROOT, SHARED, _DIGIT, ood_sets

THRESHOLDS = [round(0.05 * i, 2) for i in range(1, 20)]


def points(assistant, questions) -> list[tuple[float, bool, bool]]:
    """(probability of the best candidate, right, answerable) for each plain question."""
    from qa.answer.replies import short_text
    from qa.evaluate import must_ok
    A = assistant.answerer
    out = []
    for question, judge, answerable in questions:
        q = A.resolve(question)
        if q.form != "plain":
            continue
        decision, _ = A.best(q)
        if decision.best is None:
            out.append((0.0, False, answerable))
            continue
        c = decision.best.candidate
        out.append((decision.probability, bool(answerable and judge(short_text(q, c), c)), answerable))
    return out


def curve(pts) -> list[dict]:
    rows = []
    answerable = sum(1 for _, _, a in pts if a) or 1
    for t in THRESHOLDS:
        given = [r for p, r, _ in pts if p >= t]
        rows.append({"threshold": t, "recall": round(sum(given) / answerable, 4),
                     "answered": round(len(given) / max(len(pts), 1), 4),
                     "precision": round(sum(given) / len(given), 4) if given else None})
    return rows


def question_points(assistant, path: Path) -> list:
    from qa.evaluate import must_ok, read_questions
    qs = []
    for r in read_questions(path):
        if r.get("history") or r.get("kind") in ("multi", "compare", "compute", "trend"):
            continue
        src = r.get("source")
        qs.append((r["question"], lambda short, c, r=r, src=src: must_ok(short, r["must"]) and
                   (not src or c.passage.source == src), bool(r.get("found", True))))
    return points(assistant, qs)


def measure(work: Path) -> dict:
    from qa import Assistant, build_index
    from qa.answer.scoring import load_model
    work.mkdir(parents=True, exist_ok=True)
    out = {"threshold": load_model().calibrators["figure"].threshold, "sets": {}}
    build_index(ROOT / "seeds", work / "seeds-index", full=True)
    seeds = Assistant.load(work / "seeds-index")
    for name in ("heldout4", "heldout5", "heldout6", "heldout7", "heldout8", "heldout9", "heldout10"):
        out["sets"][name] = curve(question_points(seeds, ROOT / "bench" / "questions" / f"{name}.jsonl"))
    for folder in ood_sets():
        build_index(folder / "reports", work / f"{folder.name}-index", full=True)
        out["sets"][folder.name] = curve(question_points(Assistant.load(work / f"{folder.name}-index"),
                                                         folder / "questions.jsonl"))
    data = json.loads((SHARED / "extbench" / "cmrc2018_trial.json").read_text(encoding="utf-8"))
    reports = work / "trial-reports"
    reports.mkdir(exist_ok=True)
    qs = []
    for article in data["data"]:
        for para in article["paragraphs"]:
            (reports / f"{para['id']}.txt").write_text(para["context"], encoding="utf-8")
            for qa in para["qas"]:
                golds = [a["text"].strip() for a in qa["answers"] if a["text"].strip()]
                if any(_DIGIT.search(g) and len(g) <= 8 for g in golds):
                    qs.append((qa["question"], lambda short, c, g=golds: any(contains(short, x) for x in g), True))
    build_index(reports, work / "trial-index", full=True)
    out["sets"]["cmrc_trial"] = curve(points(Assistant.load(work / "trial-index"), qs))
    return out


def plot(res: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4.2), dpi=110)
    for name, rows in res["sets"].items():
        xs = [r["recall"] for r in rows if r["precision"] is not None]
        ys = [r["precision"] for r in rows if r["precision"] is not None]
        ax.plot(xs, ys, marker=".", label=name)
        chosen = min(rows, key=lambda r: abs(r["threshold"] - res["threshold"]))
        if chosen["precision"] is not None:
            ax.plot([chosen["recall"]], [chosen["precision"]], "k*", markersize=10)
    ax.set_xlabel("recall (answerable questions answered right)")
    ax.set_ylabel("precision (right among answered)")
    ax.set_title(f"refusal threshold (star: {res['threshold']:.2f}, fitted by qa train)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.curve", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--work", default=str(ROOT / "bench" / "work" / "curve"))
    p.add_argument("--out", default=str(ROOT / "bench" / "curve.png"))
    a = p.parse_args(argv)
    res = measure(Path(a.work))
    plot(res, Path(a.out))
    Path(a.out).with_suffix(".json").write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(res, indent=1))
    if Path(a.out).resolve().parent == ROOT / "bench":
        from .answers import render
        render()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
