"""Which scorer to fit: the conditional logit ``qa train`` uses, or gradient-boosted trees
(LightGBM's LambdaRank)? Both are fitted on the candidates ``qa train`` collected (its work
folder) and compared on the same data:

- out-of-fold top-1 on the fitting questions (5 folds by article), where a right candidate exists;
- top-1 on the held-out questions (CMRC 2018 train and XQuAD by article, one bundled report).

    python -m bench.fitting [--work bench/work/train]   # → bench/fitting.json and RESULTS.md
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import numpy as np

from qa.answer.train import QUESTION_SETS, SET_WEIGHTS, SHARED, fit_logit, load_groups, project_items, squad_items

FOLDS = 5


def _groups(work: Path, seed: int = 0) -> dict[str, list]:
    out = {}
    for name, path in (("cmrc", SHARED / "extbench" / "train" / "cmrc2018_train.json"),
                       ("xquad", SHARED / "extbench" / "train" / "xquad.zh.json")):
        _, items = squad_items(path, name, seed)
        for held in (False, True):
            part = {i.id: i for i in items if i.held_out == held}
            out[f"{name}/{'heldout' if held else 'fit'}"] = load_groups(
                work / f"groups-{name}-{'heldout' if held else 'fit'}", part) or []
    for name, (_, files) in QUESTION_SETS.items():
        items = project_items(files, seed, name)
        for held in (False, True):
            part = {i.id: i for i in items if i.held_out == held}
            out[f"{name}/{'heldout' if held else 'fit'}"] = load_groups(
                work / f"groups-{name}-{'heldout' if held else 'fit'}", part) or []
    return out


def _usable(groups):
    return [g for g in groups if g.family == "figure" and g.variant == "asked" and g.y.any() and len(g.y) > 1]


def _top1(groups, score) -> float:
    return float(np.mean([g.y[int(np.argmax(score(g)))] > 0 for g in groups])) if groups else float("nan")


def _lightgbm(train, params):
    """LambdaRank, each question weighed by its set as in ``qa train`` (SET_WEIGHTS)."""
    import lightgbm as lgb
    X = np.vstack([g.x for g in train])
    y = np.concatenate([g.y for g in train])
    w = np.concatenate([np.full(len(g.y), SET_WEIGHTS.get(g.item.source, 1.0)) for g in train])
    model = lgb.LGBMRanker(verbose=-1, **params)
    model.fit(X, y, group=[len(g.y) for g in train], sample_weight=w)
    return lambda g: model.predict(g.x)


def _logit(train, l2=1.0):
    w, _ = fit_logit(train, l2)
    return lambda g: g.x @ w


def compare(work: Path, seed: int = 0) -> dict:
    groups = _groups(work, seed)
    fit = _usable([g for k, gs in groups.items() if k.endswith("/fit") for g in gs])
    held = {k: _usable(gs) for k, gs in groups.items() if k.endswith("/heldout")}
    fold = {g.item.group: int(hashlib.sha1(f"{seed}:{g.item.group}".encode()).hexdigest(), 16) % FOLDS for g in fit}
    systems = {"conditional logit (qa train)": _logit,
               "LightGBM LambdaRank, 200 trees of 15 leaves": lambda tr: _lightgbm(
                   tr, dict(n_estimators=200, num_leaves=15, learning_rate=0.05, min_child_samples=20)),
               "LightGBM LambdaRank, 400 trees of 31 leaves": lambda tr: _lightgbm(
                   tr, dict(n_estimators=400, num_leaves=31, learning_rate=0.03, min_child_samples=20,
                            subsample=0.8, subsample_freq=1, colsample_bytree=0.8))}
    out = {"questions_fit": len(fit), "questions_held_out": {k: len(v) for k, v in held.items()}, "systems": {}}
    for name, make in systems.items():
        right = []
        for k in range(FOLDS):
            score = make([g for g in fit if fold[g.item.group] != k])
            right += [g.y[int(np.argmax(score(g)))] > 0 for g in fit if fold[g.item.group] == k]
        full = make(fit)
        out["systems"][name] = {"oof_top1": round(float(np.mean(right)), 4),
                                "held_out_top1": {k: round(_top1(v, full), 4) for k, v in held.items() if v}}
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.fitting", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--work", default=str(Path(__file__).resolve().parent / "work" / "train"))
    p.add_argument("--out", default=str(Path(__file__).resolve().parent / "fitting.json"),
                   help="the top-1 figures per scorer, for the Answers section of RESULTS.md")
    a = p.parse_args(argv)
    res = compare(Path(a.work))
    print(json.dumps(res, ensure_ascii=False, indent=1))
    table = {name: {"out-of-fold top-1 (fitting questions)": s["oof_top1"],
                    **{f"held-out top-1, {k}": v for k, v in s["held_out_top1"].items()}}
             for name, s in res["systems"].items()}
    Path(a.out).write_text(json.dumps(table, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    from .answers import render
    render()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
