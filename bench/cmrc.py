"""CMRC 2018 trial set (public Chinese reading comprehension, SQuAD format), read from
../shared/extbench: each paragraph's context is one report file (``<paragraph id>.txt``).

- Retrieval: hit@k when the top k hold a passage of the question's paragraph file; MRR@10.
- Figure questions: a gold answer with an Arabic digit, at most 8 characters. An answer is
  right when it is found and loose(short) contains loose(gold) for some gold
  (:func:`qa.evaluate.loose`). The same accuracy is given on every question whose gold holds
  a digit, whatever its length.
- Peers answer with their top passage: right when it comes from the question's paragraph and
  contains a gold answer. The "40-line prototype" answers with a figure: rank_bm25 over jieba,
  top passage, the figure whose sentence shares the most characters with the question.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from .corpus import SHARED
from .quality import LABELS, MODES

CMRC_PATH = SHARED / "extbench" / "cmrc2018_trial.json"
K = 10
_DIGIT = re.compile(r"[0-9０-９]")


def load(path: Path = CMRC_PATH) -> tuple[dict[str, str], list[dict]]:
    """(paragraph id -> context, questions with their paragraph id and gold answers)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    contexts: dict[str, str] = {}
    questions: list[dict] = []
    for article in data["data"]:
        for para in article["paragraphs"]:
            contexts[para["id"]] = para["context"]
            for qa in para["qas"]:
                golds = [a["text"] for a in qa.get("answers", []) if a.get("text", "").strip()]
                if golds:
                    questions.append({"id": qa["id"], "question": qa["question"], "para": para["id"],
                                      "golds": golds})
    return contexts, questions


def is_figure(golds: list[str], max_len: int | None = 8) -> bool:
    return any(_DIGIT.search(g) and (max_len is None or len(g.strip()) <= max_len) for g in golds)


def build(work: Path, contexts: dict[str, str]) -> tuple[Path, dict]:
    """Write one report per paragraph and build their index; (index folder, build summary)."""
    from qa import build_index
    reports, index = Path(work) / "reports", Path(work) / "index"
    shutil.rmtree(reports, ignore_errors=True)
    reports.mkdir(parents=True)
    for pid, text in contexts.items():
        (reports / f"{pid}.txt").write_text(text, encoding="utf-8")
    res = build_index(reports, index, full=True)
    return index, {"paragraphs": len(contexts), "reports_indexed": res.reports, "passages": res.passages,
                   "skipped": len(res.skipped), "build_s": res.seconds}


def evaluate(work: Path, limit: int | None = None) -> dict:
    """All systems on the CMRC trial set (the first ``limit`` questions when given)."""
    from qa import Assistant
    from qa.evaluate import loose
    from .peers import Bm25sPeer, RankBm25Peer, init_jieba, prototype_answer
    contexts, questions = load()
    if limit:
        questions = questions[:limit]
    index, built = build(work, contexts)
    base = Assistant.load(index)
    assistants = {"hybrid": base}
    for mode in MODES[1:]:
        assistants[mode] = Assistant(base.data, base.embedder, mode=mode)
    passages = base.data.passages
    init_jieba()
    texts = [p.text for p in passages]
    rank = RankBm25Peer.from_texts(texts)
    peers = {"rank_bm25": rank, "bm25s": Bm25sPeer.from_texts(texts)}
    names = list(assistants) + list(peers) + ["prototype"]
    tallies = {n: {"retrieval": 0, "hit1": 0, "hit5": 0, "rr": 0.0, "fig": 0, "fig_right": 0,
                   "digit": 0, "digit_right": 0} for n in names}

    def retrieval(name: str, sources: list[str], want: str) -> None:
        t = tallies[name]
        ok = [s == want for s in sources]
        t["retrieval"] += 1
        t["hit1"] += bool(ok[:1] and ok[0])
        t["hit5"] += any(ok[:5])
        first = next((i for i, x in enumerate(ok[:K]) if x), None)
        t["rr"] += 0.0 if first is None else 1.0 / (first + 1)

    def answer(name: str, q: dict, right: bool) -> None:
        t = tallies[name]
        if is_figure(q["golds"]):
            t["fig"] += 1
            t["fig_right"] += right
        if is_figure(q["golds"], None):
            t["digit"] += 1
            t["digit_right"] += right

    contains = lambda text, golds: any(loose(g) and loose(g) in loose(text) for g in golds)
    for q in questions:
        want = f"{q['para']}.txt"
        digit = is_figure(q["golds"], None)
        for mode, a in assistants.items():
            retrieval(mode, [h.source for h in a.search(q["question"], k=K)], want)
            if digit:
                ans = a.ask(q["question"])
                answer(mode, q, bool(ans.found and contains(ans.short, q["golds"])))
        for name, peer in peers.items():
            rows = peer.search(q["question"], k=K)
            retrieval(name, [passages[i].source for i in rows], want)
            if digit:
                top = passages[rows[0]]
                answer(name, q, top.source == want and contains(top.text, q["golds"]))
        if digit:
            row, figure = prototype_answer(q["question"], passages, rank)
            answer("prototype", q, bool(figure) and contains(figure, q["golds"]))

    share = lambda a, b: a / b if b else None
    systems = {}
    for n, t in tallies.items():
        systems[n] = {"hit@1": share(t["hit1"], t["retrieval"]), "hit@5": share(t["hit5"], t["retrieval"]),
                      "mrr@10": share(t["rr"], t["retrieval"]),
                      "figure_accuracy": share(t["fig_right"], t["fig"]),
                      "digit_accuracy": share(t["digit_right"], t["digit"])}
    systems["prototype"].update({"hit@1": systems["rank_bm25"]["hit@1"], "hit@5": None, "mrr@10": None})
    return {"questions": len(questions), "figure_questions": tallies["hybrid"]["fig"],
            "digit_questions": tallies["hybrid"]["digit"], "index": built, "systems": systems,
            "labels": {**LABELS, "prototype": "40-line prototype (rank_bm25 + jieba, top passage, nearest figure)"}}
