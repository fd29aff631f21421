"""``qa train``: fit the answer weights (qa/data/answer_weights.json) on labelled questions.

Sources (read where they are, never copied into the project):

- CMRC 2018 train (10,142 questions on 2,403 Wikipedia paragraphs) and XQuAD zh (1,190 on 240),
  both CC BY-SA 4.0, in ``../shared/extbench/train/``: every paragraph is indexed as a report;
- the development questions ``../shared/eval/dev.jsonl`` and the project's own sets
  (bench/questions/extra, heldout, heldout2, heldout3) over the bundled reports;
- bench/training/written to written6: questions over news, encyclopedia, web and work-report
  texts written for training.

The CMRC 2018 trial set and the blind sets (heldout4 to heldout10, ood to ood6) are evaluation sets and are never
fitted on. A part of every source is kept out of fitting, split by article (CMRC, XQuAD) or by
report (the project's sets), and the scores on it are written beside the weights.

Per question the pipeline's own steps make the candidates and their features; a candidate is
right when it comes from the question's paragraph (report) and holds the gold answer. Each
question is also asked once more with its own paragraph left out of the hits, where every
candidate is wrong: that teaches the refusal. The scorer of each candidate family is a
conditional logit (softmax over a question's candidates, L2-regularised), fitted with L-BFGS;
a logistic calibrator on the best candidate's score, margin, share and features, fitted on out-of-fold
scores (5 folds by article), gives the probability that it is right, and the threshold is the
lowest at which the out-of-fold precision reaches the target.

    qa train                       # everything (about 15 minutes on 2 cores)
    qa train --limit 2000 --out /tmp/w.json
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..evaluate import contains, loose, must_ok, read_questions
from .decide import NO_RIVAL
from .followup import continue_from, split_parts
from .features import feature_names, sign
from .scoring import DECISION_FEATURES, WEIGHTS_FILE, Model

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
HELD_OUT_SHARE = 0.2
# what the refusal reads besides the score, the margin and the share: every feature of the best
# candidate, each column scaled to unit variance for the fit so that one L2 weight treats them
# alike, and each feature kept to its sign. (Out of fold on the fitting questions this beat the
# nine coverage features used before on every source: average precision of the figure family
# 0.912 → 0.924, 0.78–0.83 → 0.80–0.85 on the written texts; an earlier try with every feature,
# unscaled and without the written texts, had carried badly to the reports.)
DECISION_EXTRA: tuple[str, ...] = tuple(feature_names())
# how much a question of each set weighs in the ranking and in the refusal against a
# reading-comprehension one: the reports are what the assistant is for; the written texts stand
# for what users add (weighed so, the ranking's held-out top-1 rose on the written texts, 0.81 →
# 0.84 on written2, and on CMRC held-out articles too)
# the sets of questions over texts written for training, each in bench/training/<name>/
WRITTEN_SETS = ("written", "written2", "written3", "written4", "written5", "written6")
SET_WEIGHTS = {"project": 5.0, **{name: 3.0 for name in WRITTEN_SETS}}
FAMILIES = ("figure", "role", "name", "span", "field")


# --------------------------------------------------------------------------- the questions

@dataclass
class Item:
    """One labelled question: where it is asked, its gold answers, its split."""

    id: str
    source: str                    # cmrc, xquad, project
    question: str
    golds: tuple[str, ...]         # gold answer texts (SQuAD) or must entries (project)
    report: str | None             # the report (paragraph file) that answers it
    group: str                     # the article or report it is split by
    held_out: bool
    found: bool = True
    project: bool = False          # must-style gold (all entries must be in the short answer)
    history: tuple = ()


def held_out(group: str, seed: int = 0) -> bool:
    """Whether an article (or a question no report answers) is in the fifth kept out of fitting."""
    h = hashlib.sha1(f"{seed}:{group}".encode()).digest()
    return int.from_bytes(h[:4], "big") / 2**32 < HELD_OUT_SHARE


def held_out_reports(sources, seed: int = 0) -> set[str]:
    """The fifth of the reports (at least one), by the hash of their names, kept out of fitting."""
    reports = sorted(set(sources), key=lambda s: hashlib.sha1(f"{seed}:{s}".encode()).hexdigest())
    return set(reports[:max(1, round(len(reports) * HELD_OUT_SHARE))])


def squad_items(path: Path, name: str, seed: int) -> tuple[dict[str, str], list[Item]]:
    """(paragraph id -> text, items) of a SQuAD-format file; split by article."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    paragraphs, items = {}, []
    for ai, article in enumerate(data["data"]):
        group = f"{name}:{article.get('id') or article.get('title') or ai}"
        held = held_out(group, seed)
        for pi, para in enumerate(article["paragraphs"]):
            pid = para.get("id") or f"{name}-{ai:03d}-{pi:02d}"
            paragraphs[pid] = para["context"]
            for qa in para["qas"]:
                golds = tuple(a["text"].strip() for a in qa.get("answers", []) if a.get("text", "").strip())
                if golds:
                    items.append(Item(f"{name}:{qa['id']}", name, qa["question"], golds, f"{pid}.txt", group, held))
    return paragraphs, items


def project_items(files: list[Path], seed: int, name: str = "project") -> list[Item]:
    """Question sets in the dev.jsonl format over one folder of reports; a fifth of the reports
    (at least one; and a fifth of the questions no report answers) kept out of fitting."""
    rows = []
    for f in files:
        if f.exists():
            rows += [(f.stem, r) for r in read_questions(f)]
    held_reports = held_out_reports((r["source"] for _, r in rows if r.get("source")), seed)
    items = []
    for stem, r in rows:
        src = r.get("source")
        group = f"{name}:{src}" if src else f"{name}:{stem}:{r['id']}"
        held = src in held_reports if src else held_out(group, seed)
        items.append(Item(f"{stem}:{r['id']}", name, r["question"], tuple(r.get("must") or ()), src, group, held,
                          found=bool(r.get("found", True)), project=True, history=tuple(r.get("history") or ())))
    return items


# The question sets written for the project (dev.jsonl format), each over its folder of reports:
# the bundled reports, and texts written in the styles of news, encyclopedia and web pages.
# The blind sets (bench/questions/heldout4 to heldout10, bench/questions/ood to ood6) are never among them.
QUESTION_SETS = {
    "project": (ROOT / "seeds", [SHARED / "eval" / "dev.jsonl"] +
                [ROOT / "bench" / "questions" / f"{n}.jsonl" for n in ("extra", "heldout", "heldout2", "heldout3")] +
                [ROOT / "bench" / "training" / "reports_train.jsonl"]),
    **{name: (ROOT / "bench" / "training" / name / "reports", [ROOT / "bench" / "training" / name / "questions.jsonl"])
       for name in WRITTEN_SETS},
}


# --------------------------------------------------------------------------- labels

def is_right(item: Item, source: str, text: str, short: str) -> bool:
    """Whether a candidate (its answer ``text`` and the ``short`` answer it would give) answers
    ``item``."""
    if not item.found or (item.report and source != item.report):
        return False
    if item.project:
        return must_ok(short, list(item.golds))
    return any(contains(short, g) or (contains(g, text) and re.search(r"\d", text)) or
               (not re.search(r"\d", g) and loose(text) == loose(g)) for g in item.golds)


# --------------------------------------------------------------------------- collecting features

@dataclass
class Group:
    """The candidates of one question (or of its variant without its own paragraph)."""

    item: Item
    variant: str                   # "asked" or "without" (its paragraph left out)
    family: str
    x: np.ndarray                  # (candidates, features)
    y: np.ndarray                  # 1 right, 0 not
    texts: list = field(default_factory=list)


def code_hash() -> str:
    """A hash of the code and word lists that make candidates and features: collected groups
    from another version are collected again."""
    pkg = Path(__file__).resolve().parents[1]
    files = [pkg / "figures.py", pkg / "lexicon.py", pkg / "retriever.py", pkg / "passages.py", pkg / "reports.py"]
    files += sorted((pkg / "answer").glob("*.py")) + sorted((pkg / "data").glob("*.t*"))
    h = hashlib.sha1()
    for f in files:
        if f.name not in ("train.py", "scoring.py", "strategies.py"):
            h.update(f.name.encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def save_groups(groups: list[Group], path: Path) -> None:
    """The collected groups as plain files (an .npz without pickle and a JSON list)."""
    x = np.vstack([g.x for g in groups]) if groups else np.zeros((0, len(feature_names())))
    y = np.concatenate([g.y for g in groups]) if groups else np.zeros(0)
    sizes = np.array([len(g.y) for g in groups], dtype=np.int64)
    np.savez(path.with_suffix(".npz"), x=x, y=y, sizes=sizes)
    meta = [{"item": g.item.id, "variant": g.variant, "family": g.family, "texts": g.texts} for g in groups]
    path.with_suffix(".json").write_text(json.dumps({"features": feature_names(), "code": code_hash(), "groups": meta},
                                                    ensure_ascii=False),
                                         encoding="utf-8")


def load_groups(path: Path, items: dict[str, Item]) -> list[Group] | None:
    """Groups saved by :func:`save_groups`, or None when missing or made with other features."""
    try:
        meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        arr = np.load(path.with_suffix(".npz"), allow_pickle=False)
    except (OSError, ValueError):
        return None
    if meta["features"] != feature_names() or meta.get("code") != code_hash():
        return None
    x, y, sizes = arr["x"], arr["y"], arr["sizes"]      # read each array once
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    out = []
    for i, m in enumerate(meta["groups"]):
        base, _, k = m["item"].partition("#")
        if base not in items:
            return None
        if k:
            items[m["item"]] = part_item(items[base], int(k))
        lo, hi = bounds[i], bounds[i + 1]
        out.append(Group(items[m["item"]], m["variant"], m["family"], x[lo:hi], y[lo:hi], m["texts"]))
    return out


def collect(answerer, items: list[Item], negatives: bool = True, progress: bool = True,
            label: str = "") -> list[Group]:
    """Candidates with features and labels for every item."""
    from .replies import short_text
    groups = []
    t0 = time.time()
    for n, item in enumerate(items):
        if progress and n % 500 == 0:
            print(f"  {label} {n}/{len(items)} ({time.time() - t0:.0f} s)", file=sys.stderr, flush=True)
        earlier = list(item.history)
        parts = split_parts(item.question)
        if len(parts) > 1:
            # several questions in one, each part with its own gold, the later ones after the
            # first part's right answer (the anchor)
            groups += _multi_groups(answerer, item, parts, earlier)
            continue
        q = answerer.resolve(item.question, earlier)
        if q.form != "plain":
            continue
        variants = [("asked", frozenset())]
        # one question in three is asked again without its paragraph: about a quarter of what
        # the refusal is fitted on is then unanswerable, as in the project's own question sets
        if negatives and item.found and item.report and int(hashlib.sha1(item.id.encode()).hexdigest(), 16) % 3 == 0:
            variants.append(("without", frozenset([item.report])))
        for variant, exclude in variants:
            ranking = answerer.rank(q, exclude=exclude, score=False)
            if not ranking.ranked:
                continue
            fams = {}
            for r in ranking.ranked:
                c = r.candidate
                right = variant == "asked" and is_right(item, c.passage.source, c.text, short_text(q, c))
                fams.setdefault(c.family, []).append((r.features, right, c.text))
            for fam, rows in fams.items():
                groups.append(Group(item, variant, fam, np.vstack([x for x, _, _ in rows]),
                                    np.array([1.0 if y else 0.0 for _, y, _ in rows]), [t for _, _, t in rows]))
    return groups


def part_item(item: Item, k: int) -> Item:
    """The ``k``-th question of a multi-part item, with its own gold (the ``k``-th entry)."""
    part = split_parts(item.question)[k]
    return Item(f"{item.id}#{k}", item.source, part, (item.golds[k],), item.report, item.group, item.held_out,
                project=True)


def _multi_groups(answerer, item: Item, parts: list[str], earlier: list[str]) -> list[Group]:
    from .replies import short_text
    if not item.project or len(item.golds) != len(parts) or not item.found:
        return []
    out, first, anchor, context = [], None, None, list(earlier)
    for part, gold in zip(parts, item.golds):
        q = answerer.resolve(part, context)
        if first is not None:
            q = continue_from(q, first)
        first = first or q
        context.append(part)
        if q.form != "plain":
            return out
        ranking = answerer.rank(q, anchor=anchor, score=False)
        sub = part_item(item, len(out))
        rows = [(r.features, is_right(sub, r.candidate.passage.source, r.candidate.text, short_text(q, r.candidate)),
                 r.candidate) for r in ranking.ranked]
        if not rows:
            return out
        out.append(Group(sub, "asked", rows[0][2].family, np.vstack([x for x, _, _ in rows]),
                         np.array([1.0 if y else 0.0 for _, y, _ in rows]), [c.text for _, _, c in rows]))
        anchor = next((c for _, y, c in rows if y), None)
        if anchor is None:
            return out
    return out


# --------------------------------------------------------------------------- fitting

def fit_logit(groups: list[Group], l2: float = 1.0, weighted: bool = True) -> tuple[np.ndarray, float]:
    """A conditional logit: maximise the log of the softmax share of each group's right
    candidates (groups with a right one only), each group weighed by its set
    (:data:`SET_WEIGHTS`, with ``weighted``), minus ``l2`` times the squared weights."""
    from scipy.optimize import minimize
    use = [g for g in groups if g.y.any() and len(g.y) > 1]
    if not use:
        return np.zeros(len(feature_names())), 0.0
    dim = use[0].x.shape[1]
    X = np.vstack([g.x for g in use])
    Y = np.concatenate([g.y for g in use])
    W = np.array([SET_WEIGHTS.get(g.item.source, 1.0) if weighted else 1.0 for g in use])
    W = W * len(use) / W.sum()          # the same mean weight: l2 means the same as unweighted
    bounds = np.cumsum([0] + [len(g.y) for g in use])
    seg = np.repeat(np.arange(len(use)), np.diff(bounds))

    def loss(w):
        s = X @ w
        m = np.maximum.reduceat(s, bounds[:-1])
        e = np.exp(s - m[seg])
        z = np.add.reduceat(e, bounds[:-1])
        pos = np.add.reduceat(e * Y, bounds[:-1])
        ll = np.sum(W * (np.log(pos) - np.log(z)))
        p = e / z[seg]
        q = e * Y / pos[seg]
        grad = X.T @ (W[seg] * (q - p))
        return -ll / len(use) + l2 * w @ w / len(use), -grad / len(use) + 2 * l2 * w / len(use)

    limits = [(0.0, None) if sign(n) > 0 else (None, 0.0) if sign(n) < 0 else (None, None) for n in feature_names()]
    res = minimize(loss, np.zeros(dim), jac=True, method="L-BFGS-B", bounds=limits[:dim], options={"maxiter": 500})
    return res.x, 0.0


def decision_features(scores: np.ndarray, g: "Group", extra: tuple[str, ...] = DECISION_EXTRA) -> np.ndarray:
    """[best score, margin over the best other answer, softmax share, the best's ``extra``
    features…, 1] of one group (as :func:`qa.answer.decide.decide` computes them)."""
    texts = g.texts
    order = np.argsort(-scores, kind="stable")
    top = scores[order[0]]
    rival = next((scores[i] for i in order[1:] if loose(texts[i]) != loose(texts[order[0]])), None)
    distinct = [order[0]] + [i for i in order[1:] if loose(texts[i]) != loose(texts[order[0]])]
    share = 1.0 / float(np.sum(np.exp(scores[distinct] - top)))
    names = feature_names()
    own = [g.x[order[0]][names.index(n)] for n in extra]
    return np.concatenate([[top, NO_RIVAL if rival is None else top - rival, share], own, [1.0]])


def fit_calibrator(F: np.ndarray, y: np.ndarray, sw: np.ndarray | None = None, l2: float = 0.01) -> np.ndarray:
    """Weighted logistic regression of y on the decision features F (the last column is the
    bias), with sample weights ``sw``; fitted on standardised columns, returned for the raw ones."""
    from scipy.optimize import minimize
    sw = np.ones(len(y)) if sw is None else sw
    total = sw.sum()
    mu, sd = F[:, :-1].mean(axis=0), F[:, :-1].std(axis=0)
    sd[sd == 0] = 1.0
    F = np.hstack([(F[:, :-1] - mu) / sd, F[:, -1:]])

    def loss(w):
        z = F @ w
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))
        eps = 1e-9
        ll = np.sum(sw * (y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps)))
        reg = l2 * np.sum(w[:-1] ** 2)
        return -ll / total + reg, -(F.T @ (sw * (y - p))) / total + 2 * l2 * np.append(w[:-1], 0)

    # the score, the margin, the share and the coverage features speak for the answer; the
    # features against a candidate against it (the bias is free)
    names = DECISION_FEATURES + DECISION_EXTRA
    bounds = [(0.0, None) if n in DECISION_FEATURES or sign(n) > 0 else (None, 0.0) if sign(n) < 0 else (None, None)
              for n in names][:F.shape[1] - 1] + [(None, None)] * (F.shape[1] - min(len(names), F.shape[1] - 1))
    res = minimize(loss, np.zeros(F.shape[1]), jac=True, method="L-BFGS-B", bounds=bounds)
    w = res.x[:-1] / sd
    return np.append(w, res.x[-1] - float(w @ mu))


def choose_threshold(p: np.ndarray, right: np.ndarray, target: float, sw: np.ndarray | None = None) -> float:
    """The lowest threshold whose answered questions (p >= t) are right at least ``target`` of
    the time (weighted by ``sw``), counting only thresholds that answer at least 20 questions."""
    sw = np.ones(len(p)) if sw is None else sw
    order = np.argsort(-p)
    best = float(p[order[0]]) if len(p) else 0.5
    hits = total = 0.0
    for n, i in enumerate(order, start=1):
        hits += sw[i] * right[i]
        total += sw[i]
        if n >= 20 and hits / total >= target:
            best = float(p[i])
    return best


def decisive(g: Group) -> bool:
    """Whether a group can teach the refusal: a question whose gold answer is short (a figure,
    a date, a name: whether the best candidate is it is clear), one of the project's, or one
    asked without its paragraph."""
    return g.item.project or g.variant == "without" or any(len(x) <= 10 for x in g.item.golds)


def fit_family(groups: list[Group], folds: int, l2: float, target: float, seed: int) -> dict:
    """Scorer weights, calibrator and threshold of one family, with out-of-fold figures."""
    fold_of = {g.item.group: int(hashlib.sha1(f"{seed}:{g.item.group}".encode()).hexdigest(), 16) % folds
               for g in groups}
    oof = [None] * len(groups)
    for k in range(folds):
        train = [g for g in groups if fold_of[g.item.group] != k]
        w, _ = fit_logit(train, l2)
        for i, g in enumerate(groups):
            if fold_of[g.item.group] == k:
                oof[i] = g.x @ w
    w, _ = fit_logit(groups, l2)
    asked = [i for i, g in enumerate(groups) if g.variant == "asked" and g.y.any()]
    top1_possible = float(np.mean([groups[i].y[int(np.argmax(oof[i]))] > 0 for i in asked])) if asked else None
    # the refusal is fitted where "the candidate is the answer" is well defined: short gold
    # answers, the project's questions, and the questions asked without their paragraph
    use = [i for i, g in enumerate(groups) if decisive(g)]
    groups, oof = [groups[i] for i in use], [oof[i] for i in use]
    F = np.vstack([decision_features(s, g) for s, g in zip(oof, groups)])
    right = np.array([float(g.y[int(np.argmax(s))] > 0) for s, g in zip(oof, groups)])
    # the project's own questions (on the reports, and on texts written in the styles the
    # assistant meets) weigh more than a reading-comprehension question in the refusal
    sw = np.array([SET_WEIGHTS.get(g.item.source, 1.0) for g in groups])
    # the threshold is chosen on out-of-fold probabilities of the calibrator too
    p = np.zeros(len(groups))
    fold = np.array([fold_of[g.item.group] for g in groups])
    for k in range(folds):
        cal_k = fit_calibrator(F[fold != k], right[fold != k], sw[fold != k])
        p[fold == k] = 1.0 / (1.0 + np.exp(-np.clip(F[fold == k] @ cal_k, -50, 50)))
    cal = fit_calibrator(F, right, sw)
    threshold = choose_threshold(p, right, target, sw)
    answered = p >= threshold
    stats = {"groups": len(groups), "with_right_candidate": int(sum(g.y.any() for g in groups)),
             "oof_top1_where_possible": round(top1_possible, 4) if top1_possible is not None else None,
             "candidates": int(sum(len(g.y) for g in groups)),
             "oof_top1_right": round(float(right.mean()), 4) if len(right) else None,
             "oof_answered": round(float(answered.mean()), 4) if len(right) else None,
             "oof_precision": round(float(right[answered].mean()), 4) if answered.any() else None}
    return {"weights": w, "calibrator": cal, "threshold": threshold, "stats": stats}


# --------------------------------------------------------------------------- the command

def build_squad_index(paragraphs: dict[str, str], folder: Path) -> Path:
    """An index of one report per paragraph in ``folder`` (rebuilt only when the text changed)."""
    from ..store import build_index
    reports, index = folder / "reports", folder / "index"
    digest = hashlib.sha1(json.dumps(sorted(paragraphs.items()), ensure_ascii=False).encode()).hexdigest()
    stamp = folder / "paragraphs.sha1"
    if stamp.exists() and stamp.read_text() == digest and (index / "manifest.json").exists():
        return index
    shutil.rmtree(folder, ignore_errors=True)
    reports.mkdir(parents=True)
    for pid, text in paragraphs.items():
        (reports / f"{pid}.txt").write_text(text, encoding="utf-8")
    build_index(reports, index, full=True, progress=False)
    stamp.write_text(digest)
    return index


def train(work: Path, out: Path, seed: int = 0, limit: int | None = None, l2: float = 1.0,
          targets: dict | None = None, folds: int = 5, progress: bool = True, reuse: bool = False) -> dict:
    """Collect, fit, write ``out``; returns the weights file's content. With ``reuse`` the
    candidates collected by the last run with the same features are used again (only the
    fitting is redone)."""
    from ..assistant import Assistant
    from ..store import build_index
    targets = targets or {"figure": 0.85, "role": 0.8, "name": 0.8, "span": 0.9, "field": 0.85}
    t0 = time.time()
    sources = {}
    cmrc_p, cmrc = squad_items(SHARED / "extbench" / "train" / "cmrc2018_train.json", "cmrc", seed)
    xq_p, xq = squad_items(SHARED / "extbench" / "train" / "xquad.zh.json", "xquad", seed)
    if limit:
        cmrc, xq = cmrc[:limit], xq[:max(limit // 8, 50)]
    groups: dict[str, list[Group]] = {}
    for name, paragraphs, items in (("cmrc", cmrc_p, cmrc), ("xquad", xq_p, xq)):
        for held in (False, True):
            part = [i for i in items if i.held_out == held]
            used = {i.report[:-4] for i in part}
            if not part:
                continue
            idx = build_squad_index({k: v for k, v in paragraphs.items() if k in used},
                                    work / f"{name}-{'heldout' if held else 'fit'}")
            key = f"{name}/{'heldout' if held else 'fit'}"
            cache = work / f"groups-{name}-{'heldout' if held else 'fit'}"
            groups[key] = load_groups(cache, {i.id: i for i in part}) if reuse else None
            if groups[key] is None:
                answerer = Assistant.load(idx).answerer
                groups[key] = collect(answerer, part, progress=progress, label=key)
                save_groups(groups[key], cache)
            sources[key] = {"questions": len(part), "paragraphs": len(used)}
    for name, (folder, files) in QUESTION_SETS.items():
        items = project_items(files, seed, name)
        if not items or not folder.is_dir():
            continue
        index = work / f"{name}-index"
        build_index(folder, index, progress=False)
        answerer = None
        for held in (False, True):
            part = [i for i in items if i.held_out == held]
            if not part:
                continue
            key = f"{name}/{'heldout' if held else 'fit'}"
            cache = work / f"groups-{name}-{'heldout' if held else 'fit'}"
            groups[key] = load_groups(cache, {i.id: i for i in part}) if reuse else None
            if groups[key] is None:
                answerer = answerer or Assistant.load(index).answerer
                groups[key] = collect(answerer, part, progress=progress, label=key)
                save_groups(groups[key], cache)
            sources[key] = {"questions": len(part), "files": [os.path.relpath(f, ROOT) for f in files if f.exists()],
                            "reports_held_out": sorted({i.report for i in part if i.report}) if held else None}
    fit_groups = [g for k, gs in groups.items() if k.endswith("/fit") for g in gs]
    families = {}
    for fam in FAMILIES:
        gs = [g for g in fit_groups if g.family == fam]
        if not gs:
            continue
        families[fam] = fit_family(gs, folds, l2, targets.get(fam, 0.9), seed)
    names = feature_names()
    meta = {
        "format": 1,
        "trained": _dt.date.today().isoformat(),
        "command": f"qa train --seed {seed}" + (f" --limit {limit}" if limit else "") + (f" --l2 {l2}" if l2 != 1.0 else ""),
        "seed": seed, "l2": l2, "folds": folds, "precision_targets": targets, "set_weights": SET_WEIGHTS,
        "model": "conditional logit per candidate family (softmax over a question's candidates); "
                 "logistic calibrator on the best candidate's score, margin, share and features",
        "data": {"sources": sources, "held_out_share": HELD_OUT_SHARE,
                 "licences": "CMRC 2018 and XQuAD: CC BY-SA 4.0 (../shared/extbench/train)",
                 "never_fitted_on": ["../shared/extbench/cmrc2018_trial.json", "bench/questions/heldout4.jsonl",
                                     "bench/questions/heldout5.jsonl", "bench/questions/heldout6.jsonl",
                                     "bench/questions/heldout7.jsonl", "bench/questions/heldout8.jsonl",
                                     "bench/questions/heldout9.jsonl", "bench/questions/heldout10.jsonl",
                                     "bench/questions/ood", "bench/questions/ood2", "bench/questions/ood3",
                                     "bench/questions/ood4", "bench/questions/ood5",
                                     "bench/questions/ood6"]},
        "fit": {fam: f["stats"] for fam, f in families.items()},
        "seconds": round(time.time() - t0, 1),
    }
    doc = {**meta, "features": names, "families": {}}
    for fam, f in families.items():
        doc["families"][fam] = {
            "bias": 0.0,
            "weights": {n: round(float(v), 6) for n, v in zip(names, f["weights"])},
            "decision": {"bias": round(float(f["calibrator"][-1]), 6),
                         "weights": {k: round(float(v), 6) for k, v in zip(DECISION_FEATURES + DECISION_EXTRA, f["calibrator"][:-1])},
                         "threshold": round(f["threshold"], 6)}}
    model = Model.from_dict(doc)
    doc["held_out"] = {k: held_out_scores(gs, model) for k, gs in groups.items() if k.endswith("/heldout")}
    out.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return doc


def held_out_scores(groups: list[Group], model: Model) -> dict:
    """Top-1 accuracy, answered share and precision of the final weights on held-out groups
    (asked: the question as it is; without: its paragraph left out, where refusing is right)."""
    out = {}
    for variant in ("asked", "without"):
        gs = [g for g in groups if g.variant == variant and g.family in model.scorers]
        if not gs:
            continue
        right = answered = 0
        for g in gs:
            scorer, cal = model.scorers[g.family], model.calibrators[g.family]
            s = g.x @ scorer.weights + scorer.bias
            F = decision_features(s, g)
            p = 1.0 / (1.0 + math.exp(-max(min(float(F[:-1] @ cal.weights + cal.bias), 50.0), -50.0)))
            top_right = bool(g.y[int(np.argmax(s))] > 0)
            if p >= cal.threshold:
                answered += 1
                right += top_right
        out[variant] = {"groups": len(gs), "answered": round(answered / len(gs), 4),
                        "right": round(right / len(gs), 4),
                        "precision": round(right / answered, 4) if answered else None}
    return out


def add_arguments(p) -> None:
    """The options of ``qa train`` (and ``python -m qa.answer.train``)."""
    p.add_argument("--work", default=str(ROOT / "bench" / "work" / "train"),
                   help="where the training paragraphs' indexes and the collected candidates go")
    p.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "data" / WEIGHTS_FILE),
                   help="the weights file to write (qa/data/answer_weights.json)")
    p.add_argument("--seed", type=int, default=0, help="the seed of the held-out split (0)")
    p.add_argument("--limit", type=int, default=None, help="only the first N CMRC questions (a quick run)")
    p.add_argument("--l2", type=float, default=1.0, help="L2 regularisation of the scorers (1.0)")
    p.add_argument("--reuse", action="store_true", help="reuse the candidates the last run collected (refit only)")


def run(args) -> int:
    doc = train(Path(args.work), Path(args.out), seed=args.seed, limit=args.limit, l2=args.l2, reuse=args.reuse)
    print(json.dumps({"fit": doc["fit"], "held_out": doc["held_out"], "seconds": doc["seconds"]},
                     ensure_ascii=False, indent=1))
    return 0


def main(argv=None) -> int:
    import argparse
    p = argparse.ArgumentParser(prog="python -m qa.answer.train", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(p)
    return run(p.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
