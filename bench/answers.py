"""How well the assistant answers, on every question set: answerable questions right, refusals
right, the share answered and the precision (right among answered), and the speed.

Only the public API is used (``qa.build_index``, ``Assistant.ask``), so the same script measures
any version of the code: ``PYTHONPATH=<checkout> python -m bench.answers`` measured the composer
before the answer pipeline (commit 66bb663) for the "before" column of bench/RESULTS.md.

Sets:
- the bundled reports: dev.jsonl and bench/questions/*.jsonl (heldout4 is a blind set);
- bench/questions/ood: 16 news, encyclopedia and web texts with their blind questions;
- the held-out part of the texts written for training (bench/training/written*, split by text);
- reading comprehension, figure questions (a gold with a digit, at most 8 characters): the
  CMRC 2018 trial set (never fitted on), and the held-out articles of CMRC 2018 train and XQuAD
  zh (20% by article, the split ``qa train`` keeps out of fitting).

    python -m bench.answers --out bench/work/answers.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
HELD_OUT_SHARE = 0.2
_DIGIT = re.compile(r"[0-9０-９]")


def loose(text: str) -> str:
    t = (text or "").translate({0xFF10 + i: str(i) for i in range(10)} | {0xFF05: "%", 0xFF0E: "."})
    t = re.sub(r"(?<=\d)[,，](?=\d{3})", "", t)
    return re.sub(r"\s+", "", t)


def contains(big: str, small: str) -> bool:
    """``small`` in ``big`` without cutting a number (10次 is not in 110次)."""
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


def held_out(group: str, seed: int = 0) -> bool:
    h = hashlib.sha1(f"{seed}:{group}".encode()).digest()
    return int.from_bytes(h[:4], "big") / 2**32 < HELD_OUT_SHARE


def held_out_reports(path: Path, seed: int = 0) -> set[str]:
    """The texts ``qa train`` keeps out of fitting: a fifth of them, by the hash of their name."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    reports = sorted({r["source"] for r in rows if r.get("source")},
                     key=lambda s: hashlib.sha1(f"{seed}:{s}".encode()).hexdigest())
    return set(reports[:max(1, round(len(reports) * HELD_OUT_SHARE))])


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


def measure(work: Path, quick: bool = False) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    out = {}
    seeds = build(ROOT / "seeds", work / "seeds-index")
    files = {"dev": SHARED / "eval" / "dev.jsonl"}
    files.update({p.stem: p for p in sorted((ROOT / "bench" / "questions").glob("*.jsonl"))})
    for name, path in files.items():
        out[name] = question_set(seeds, path)
    ood = build(ROOT / "bench" / "questions" / "ood" / "reports", work / "ood-index")
    out["ood"] = question_set(ood, ROOT / "bench" / "questions" / "ood" / "questions.jsonl")
    for name in ("written", "written2"):
        folder = ROOT / "bench" / "training" / name
        if not (folder / "questions.jsonl").exists():
            continue
        a = build(folder / "reports", work / f"{name}-index")
        held = held_out_reports(folder / "questions.jsonl")
        out[f"{name}_heldout"] = question_set(
            a, folder / "questions.jsonl",
            only=lambda r, n=name, h=held: r["source"] in h if r.get("source") else held_out(f"{n}:questions:{r['id']}"))
    if not quick:
        out["cmrc_trial"] = squad(SHARED / "extbench" / "cmrc2018_trial.json", "cmrc", False, work / "trial")
        out["cmrc_train_heldout"] = squad(SHARED / "extbench" / "train" / "cmrc2018_train.json", "cmrc", True, work / "train")
        out["xquad_heldout"] = squad(SHARED / "extbench" / "train" / "xquad.zh.json", "xquad", True, work / "xquad")
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.answers", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--work", default=str(ROOT / "bench" / "work" / "answers"))
    p.add_argument("--out", default=None, help="write the figures as JSON here")
    p.add_argument("--quick", action="store_true", help="no reading-comprehension sets")
    a = p.parse_args(argv)
    res = measure(Path(a.work), quick=a.quick)
    text = json.dumps(res, ensure_ascii=False, indent=1)
    if a.out:
        Path(a.out).write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
