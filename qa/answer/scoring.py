"""Step 4 of answering: scoring with fitted weights.

Each candidate family (figure, name, span) has a linear scorer over the features, fitted as a
conditional logit (a softmax over one question's candidates) on labelled questions: it ranks a
question's candidates. A calibrator per family, a logistic regression over the best
candidate's own features, its score, its margin over the runner-up and its softmax share, gives
the probability that it is right: the ranking score alone says which candidate is best, not
how good the best is. Both live in
``qa/data/answer_weights.json``, written by ``qa train`` with the data and scores they reached.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from ..errors import QAError
from .features import feature_names

WEIGHTS_FILE = "answer_weights.json"
DECISION_FEATURES = ("score", "margin", "share")


class WeightsError(QAError):
    """The weights file is missing, damaged, or names other features than the code has."""


@dataclass(frozen=True)
class Scorer:
    """A linear scorer over named features."""

    names: tuple[str, ...]
    weights: np.ndarray
    bias: float

    def score(self, x: np.ndarray) -> float:
        return float(self.weights @ x + self.bias)

    def contributions(self, x: np.ndarray) -> list[tuple[str, float]]:
        """Each feature's share of the score (weight × value), largest magnitude first."""
        parts = [(n, float(w * v)) for n, w, v in zip(self.names, self.weights, x) if w * v != 0]
        return sorted(parts, key=lambda p: -abs(p[1]))


@dataclass(frozen=True)
class Calibrator:
    """P(the best candidate is right) from its score, its margin over the runner-up, its softmax
    share and (``names`` beyond those) some of its own features; refuse below ``threshold``."""

    names: tuple[str, ...]
    weights: np.ndarray
    bias: float
    threshold: float

    def inputs(self, score: float, margin: float, share: float, x: np.ndarray) -> np.ndarray:
        own = {"score": score, "margin": margin, "share": share}
        index = _feature_index()
        return np.array([own[n] if n in own else x[index[n]] for n in self.names], dtype=np.float64)

    def logit(self, score: float, margin: float, share: float, x: np.ndarray) -> float:
        return float(self.weights @ self.inputs(score, margin, share, x) + self.bias)

    def probability(self, score: float, margin: float, share: float, x: np.ndarray) -> float:
        z = self.logit(score, margin, share, x)
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))

    def contributions(self, score: float, margin: float, share: float, x: np.ndarray) -> list[tuple[str, float]]:
        v = self.inputs(score, margin, share, x)
        parts = [(n, float(w * a)) for n, w, a in zip(self.names, self.weights, v) if w * a != 0]
        return sorted(parts, key=lambda p: -abs(p[1]))


@functools.lru_cache(maxsize=1)
def _feature_index() -> dict[str, int]:
    return {n: i for i, n in enumerate(feature_names())}


@dataclass(frozen=True)
class Model:
    """The fitted scorers and calibrators of every family, and what they were fitted on."""

    scorers: dict
    calibrators: dict
    meta: dict

    @property
    def names(self) -> tuple[str, ...]:
        return next(iter(self.scorers.values())).names

    @classmethod
    def from_dict(cls, d: dict, where: str = WEIGHTS_FILE) -> "Model":
        try:
            names = tuple(d["features"])
            if list(names) != feature_names():
                extra = [n for n in names if n not in feature_names()]
                lacking = [n for n in feature_names() if n not in names]
                detail = "；".join(x for x in (f"代码中没有 {', '.join(extra)}" if extra else "",
                                               f"权重中没有 {', '.join(lacking)}" if lacking else "") if x) or "顺序不同"
                raise WeightsError(f"{where} 的特征与代码不一致（{detail}）；请运行 `qa train` 重新拟合")
            scorers, calibrators = {}, {}
            for fam, spec in d["families"].items():
                w = np.array([float(spec["weights"].get(n, 0.0)) for n in names])
                scorers[fam] = Scorer(names, w, float(spec["bias"]))
                cal = spec["decision"]
                cnames = tuple(cal["weights"])
                unknown = [n for n in cnames if n not in DECISION_FEATURES and n not in names]
                if unknown:
                    raise WeightsError(f"{where}: 判定用到未知的特征 {', '.join(unknown)}；请运行 `qa train` 重新拟合")
                calibrators[fam] = Calibrator(cnames, np.array([float(cal["weights"][k]) for k in cnames]),
                                              float(cal["bias"]), float(cal["threshold"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise WeightsError(f"{where} 不完整或已损坏（{exc!r}）；请运行 `qa train` 重新生成") from None
        return cls(scorers, calibrators, {k: v for k, v in d.items() if k not in ("families",)})

    def to_dict(self) -> dict:
        fams = {}
        for fam, s in self.scorers.items():
            c = self.calibrators[fam]
            fams[fam] = {"bias": round(s.bias, 6),
                         "weights": {n: round(float(w), 6) for n, w in zip(s.names, s.weights)},
                         "decision": {"bias": round(c.bias, 6),
                                      "weights": {k: round(float(v), 6) for k, v in zip(c.names, c.weights)},
                                      "threshold": round(c.threshold, 6)}}
        return {**self.meta, "features": list(self.names), "families": fams}


def load_model(path: str | Path | None = None) -> Model:
    """The fitted model: ``path``, or the one shipped in qa/data."""
    if path is None:
        return _shipped()
    try:
        d = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise WeightsError(f"无法读取权重文件 {path}（{exc}）；请运行 `qa train` 重新生成") from None
    return Model.from_dict(d, str(path))


@functools.lru_cache(maxsize=1)
def _shipped() -> Model:
    try:
        text = resources.files("qa.data").joinpath(WEIGHTS_FILE).read_text(encoding="utf-8")
        d = json.loads(text)
    except (OSError, ValueError) as exc:
        raise WeightsError(f"qa/data/{WEIGHTS_FILE} 无法读取（{exc}）；请运行 `qa train` 重新生成") from None
    return Model.from_dict(d, f"qa/data/{WEIGHTS_FILE}")


def softmax_share(scores: list[float]) -> float:
    """The best score's share of the softmax over ``scores``."""
    if not scores:
        return 0.0
    top = max(scores)
    total = sum(math.exp(s - top) for s in scores)
    return 1.0 / total
