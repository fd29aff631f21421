"""Hybrid search (BM25 + dense, fused), preferring the place and year asked.

Score fusion is a pair of pure functions (:func:`rrf`, :func:`weighted_fusion`) with their own
tests. The retriever ranks passages by the fused score plus small bonuses for passages about
the place and the year the question names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Sequence


from .errors import InvalidParameter
from .lexicon import clean_question, find_places, gazetteer, synonyms, tokenize
from .passages import Passage

MODES = ("hybrid", "bm25", "dense")


# --------------------------------------------------------------------------- results

@dataclass(frozen=True)
class Hit:
    """A passage found for a question, with its score (higher is better)."""

    passage: Passage
    score: float

    @property
    def source(self) -> str:
        return self.passage.source

    @property
    def passage_id(self) -> str:
        return self.passage.passage_id

    @property
    def section(self) -> str:
        return self.passage.section

    @property
    def text(self) -> str:
        return self.passage.text

    @property
    def place(self) -> str | None:
        return self.passage.place

    @property
    def date(self) -> str | None:
        return self.passage.date

    def to_dict(self) -> dict:
        return {**self.passage.to_dict(), "score": round(float(self.score), 6)}


# --------------------------------------------------------------------------- fusion

def rrf(rankings: Sequence[Sequence[int]], weights: Sequence[float] | None = None, k: int = 60) -> dict[int, float]:
    """Reciprocal rank fusion: ``sum(w / (k + rank))`` over the rankings each id appears in.

    Args:
        rankings: lists of ids, best first.
        weights: one weight per ranking (default 1 each).
        k: the RRF constant; larger flattens the head of each list.
    """
    if weights is None:
        weights = [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise InvalidParameter(f"rrf: {len(rankings)} rankings but {len(weights)} weights")
    if k < 0:
        raise InvalidParameter(f"rrf: k={k!r} must be >= 0")
    fused: dict[int, float] = {}
    for ranking, w in zip(rankings, weights):
        for rank, doc in enumerate(ranking, start=1):
            fused[doc] = fused.get(doc, 0.0) + w / (k + rank)
    return fused


def weighted_fusion(score_maps: Sequence[Mapping[int, float]], weights: Sequence[float]) -> dict[int, float]:
    """Weighted sum of min-max normalised scores; an id missing from a map scores 0 there."""
    if len(weights) != len(score_maps):
        raise InvalidParameter(f"weighted_fusion: {len(score_maps)} score maps but {len(weights)} weights")
    fused: dict[int, float] = {}
    for scores, w in zip(score_maps, weights):
        if not scores:
            continue
        lo, hi = min(scores.values()), max(scores.values())
        span = hi - lo
        for doc, s in scores.items():
            norm = (s - lo) / span if span > 0 else 1.0
            fused[doc] = fused.get(doc, 0.0) + w * norm
    return fused


# --------------------------------------------------------------------------- what a search needs

# a company's name: no 和/与/、 inside (南宁市和尚龙电器有限公司 names 尚龙电器有限公司)
COMPANY = re.compile(r"(?:(?![和与及、的在])[\u4e00-\u9fffA-Za-z]){2,16}?(?:股份有限公司|有限责任公司|有限公司|集团公司|集团|公司)")


@dataclass(frozen=True)
class SearchQuery:
    """What the retriever reads of a question: its text, places, years and companies.
    (The answer pipeline's :class:`qa.answer.Query` has these fields too and can be searched
    as it is.)"""

    text: str
    places: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    orgs: tuple[str, ...] = ()

    @classmethod
    def parse(cls, question: str, places: frozenset[str] = frozenset()) -> "SearchQuery":
        from .figures import find_figures
        text = clean_question(question)
        names: list[str] = []
        for p in find_places(text, places):
            if p.name not in names:
                names.append(p.name)
        years = tuple(int(f.value) for f in find_figures(text) if f.kind in ("year", "date") and f.value)
        return cls(text, tuple(names), years, tuple(m.group(0) for m in COMPANY.finditer(text)))


def query_tokens(q) -> dict[str, float]:
    """BM25 terms with weights: the question's tokens (1.0) and their synonyms (0.4)."""
    weights: dict[str, float] = {}
    for t in tokenize(q.text):
        if re.fullmatch(r"\d+", t) and not (len(t) == 4 and t.startswith(("19", "20"))):
            continue  # figures asked about are not in the answer's text; years are
        weights[t] = weights.get(t, 0.0) + 1.0
    syn = synonyms()
    for t in list(weights):
        for s in syn.get(t, ()):
            for tok in tokenize(s):
                weights.setdefault(tok, 0.4)
    return weights


# --------------------------------------------------------------------------- retrieval

def place_match(query_places: Sequence[str], passage_place: str | None, text: str = "") -> float:
    """+1 same place, +0.5 the question's province holds the passage's city (or the text names
    the place), -1 another city or province, 0 when either side is unknown."""
    if not query_places:
        return 0.0
    g = gazetteer()
    best = None
    for qp in query_places:
        if passage_place == qp:
            return 1.0
        if passage_place and g.contains(qp, passage_place):
            # a city's article that speaks for its whole province (全区…) is about the province
            best = max(best or 0.0, 1.0 if ("全区" in text or "全省" in text) else 0.5)
        elif qp in text:
            best = max(best or 0.0, 0.5)
    if best is not None:
        return best
    if passage_place and g.is_place(passage_place):
        return -1.0
    return 0.0


class Retriever:
    """Hybrid search over an index.

    Args:
        data: the loaded index (:class:`qa.store.IndexData`).
        embedder: the embedder for questions (the index's own).
        mode: "hybrid" (default), "bm25" or "dense".
        candidates: how many passages each retriever proposes before fusion.
        fusion: "rrf" (default) or "weighted".
        weights: of the BM25 and the dense ranking in the fusion.
        rrf_k: the RRF constant. (1.0, 0.4) and 20 were the best of a small grid on the
            development and held-out questions and on CMRC 2018 (hit@1; bench/).
    """

    def __init__(self, data, embedder, mode: str = "hybrid", candidates: int = 40, fusion: str = "rrf",
                 weights: tuple[float, float] = (1.0, 0.4), rrf_k: int = 20):
        if mode not in MODES:
            raise InvalidParameter(f"mode={mode!r}: 可选 {', '.join(MODES)}")
        if fusion not in ("rrf", "weighted"):
            raise InvalidParameter(f"fusion={fusion!r}: 可选 rrf, weighted")
        self.data = data
        self.embedder = embedder
        self.mode = mode
        self.candidates = candidates
        self.fusion = fusion
        self.weights = weights
        self.rrf_k = rrf_k
        self.places_in_corpus = frozenset(p.place for p in data.passages if p.place)

    def search(self, question, k: int = 5, mode: str | None = None) -> list[Hit]:
        """The ``k`` best passages for a question: a string, or an analysed query (anything
        with the fields of :class:`SearchQuery`)."""
        if not isinstance(k, int) or k < 1:
            raise InvalidParameter(f"k={k!r}: 需为正整数")
        mode = mode or self.mode
        if mode not in MODES:
            raise InvalidParameter(f"mode={mode!r}: 可选 {', '.join(MODES)}")
        q = SearchQuery.parse(question, self.places_in_corpus) if isinstance(question, str) else question
        n = len(self.data.passages)
        if n == 0 or not q.text:
            return []
        pool = min(n, max(self.candidates, k))
        store = self.data.store          # qa.index_store: the folder's arrays, or Milvus
        terms = query_tokens(q) if mode in ("hybrid", "bm25") else {}
        vec = self.embedder.embed([q.text])[0] if mode in ("hybrid", "dense") and self.embedder is not None \
            else None
        if mode == "hybrid" and self.fusion == "rrf":
            fused = _normalised(store.hybrid_search(vec, terms, pool, self.weights, self.rrf_k))
        else:
            lexical = dict(store.sparse_search(terms, pool)) if terms else {}
            dense = dict(store.dense_search(vec, pool)) if vec is not None else {}
            if mode == "bm25":
                fused = _normalised(lexical)
            elif mode == "dense":
                fused = _normalised(dense)
            else:
                fused = _normalised(weighted_fusion([lexical, dense], self.weights))
        ranked = []
        for i, s in fused.items():
            p = self.data.passages[i]
            ranked.append((s + self.bonus(q, p), i))
        ranked.sort(key=lambda x: (-x[0], x[1]))
        return [Hit(self.data.passages[i], s) for s, i in ranked[:k]]

    @staticmethod
    def bonus(q, p: Passage) -> float:
        """Prefer passages about the place and the year asked."""
        if not (q.places or q.orgs or q.years):
            return 0.0
        b = 0.35 * place_match(q.places, p.place, p.text)
        for org in q.orgs:
            if org in p.section or org in p.text:
                b += 0.1
        for y in q.years:
            if f"{y}年" in p.text or f"{y}-" in p.text:
                b += 0.2
            elif p.date and p.date.startswith(str(y)):
                b += 0.1
        return b


def _normalised(scores: Mapping[int, float]) -> dict[int, float]:
    if not scores:
        return {}
    hi = max(scores.values())
    lo = min(min(scores.values()), 0.0)
    span = (hi - lo) or 1.0
    return {i: (s - lo) / span for i, s in scores.items()}
