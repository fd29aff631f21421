"""The store interface: where an index's passages, vectors and BM25 terms live and are searched.

The retriever searches through an :class:`IndexStore`; a build writes through one. Two
implementations:

* :class:`LocalStore` (the default): the index folder of :mod:`qa.store` (FAISS, BM25 arrays,
  JSON lines), searched in memory. Builds of a folder keep writing a whole new folder and
  swapping it in (the atomic build and the damage checks of :mod:`qa.store`), so the local
  store's ``upsert`` and ``delete_report`` change the loaded index in memory only.
* :class:`qa.milvus.MilvusStore`: the same index in Milvus (Milvus Lite's ``.db`` file, or a
  server), chosen with an index argument ``milvus:<uri>`` (``pip install -e ".[milvus]"``).

Rows are numbered 0..n-1 in the order of the loaded passages (``IndexData.passages``); every
search returns ``(row, score)`` pairs, best first, the same for every store: BM25 scores are the
Okapi BM25 of :class:`qa.store.Bm25` over the same jieba tokens, dense scores the inner product
of unit vectors. Hybrid search fuses the two rankings with the one RRF function every store shares
(:func:`qa.retriever.rrf`), so an index answers the same wherever it lives.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from .passages import Passage

MILVUS_PREFIX = "milvus:"


def is_milvus(index) -> bool:
    """Whether an index argument names a Milvus index (``milvus:<uri>``)."""
    return isinstance(index, (str, Path)) and str(index).startswith(MILVUS_PREFIX)


def index_label(index) -> str:
    """A short name of an index for messages: the folder's name, or the Milvus spec as given."""
    return str(index) if is_milvus(index) else Path(index).name


class IndexStore(ABC):
    """Passages with their dense vectors and BM25 terms: write, delete by report, search.

    Searches return ``[(row, score), …]`` best first, ``row`` the passage's position in the
    loaded index (``IndexData.passages``); ties go to the lower row.
    """

    # ---- writing ------------------------------------------------------------------
    @abstractmethod
    def upsert(self, passages: Sequence[Passage], vectors: np.ndarray, token_lists: Sequence[list[str]]) -> None:
        """Add passages (a passage whose id is there already replaces it): their unit vectors
        (one row each) and their BM25 tokens (``qa.lexicon.tokenize`` of ``qa.store.index_text``)."""

    @abstractmethod
    def delete_report(self, source: str) -> int:
        """Remove every passage of report ``source``; returns how many were removed."""

    # ---- reading ------------------------------------------------------------------
    @abstractmethod
    def count(self) -> int:
        """How many passages the store holds."""

    @abstractmethod
    def dense_search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The ``k`` passages nearest ``vector`` (inner product), best first."""

    @abstractmethod
    def sparse_search(self, weighted_terms: Mapping[str, float], k: int) -> list[tuple[int, float]]:
        """The ``k`` passages of highest BM25 score for query terms with weights; only
        passages holding at least one of the terms (score > 0)."""

    def hybrid_search(self, vector: np.ndarray | None, weighted_terms: Mapping[str, float], k: int,
                      weights: tuple[float, float] = (1.0, 0.4), rrf_k: int = 20) -> dict[int, float]:
        """Both searches (``k`` candidates each) fused by reciprocal rank: {row: fused score}.

        The fusion is :func:`qa.retriever.rrf` for every store (a store's own fusion, such as
        Milvus's RRFRanker, weighs ranks otherwise and would change the answers)."""
        from .retriever import rrf
        lexical = self.sparse_search(weighted_terms, k) if weighted_terms else []
        dense = self.dense_search(vector, k) if vector is not None else []
        return rrf([[i for i, _ in lexical], [i for i, _ in dense]], weights, rrf_k)

    def close(self) -> None:
        """Let go of what the store holds open (a connection, a file lock)."""


def top_rows(scores: np.ndarray, k: int) -> np.ndarray:
    """The rows of the ``k`` highest scores, best first; among equal scores the lower row first,
    also at the cut (a partition alone keeps an arbitrary one of scores tied there, and another
    store could not give the same passages)."""
    if k >= len(scores):
        return np.argsort(-scores, kind="stable")
    if k < 1:
        return np.zeros(0, dtype=np.int64)
    kth = scores[np.argpartition(-scores, k - 1)[k - 1]]
    rows = np.flatnonzero(scores >= kth)            # ascending
    return rows[np.argsort(-scores[rows], kind="stable")][:k]


class LocalStore(IndexStore):
    """The index folder, loaded (:class:`qa.store.IndexData`): FAISS and the BM25 arrays in memory.

    Searching is what the retriever always did (no copy, no conversion). ``upsert`` and
    ``delete_report`` change the loaded index in memory; a folder on disk changes only by a
    build (:func:`qa.build_index`), which writes a new folder and swaps it in.
    """

    def __init__(self, data):
        self.data = data

    def count(self) -> int:
        return len(self.data.passages) if self.data.passages is not None else int(self.data.manifest["passages"])

    def dense_search(self, vector, k):
        index = self.data.vectors
        if index is None or index.ntotal == 0 or k < 1:
            return []
        q = np.ascontiguousarray(np.asarray(vector, dtype=np.float32).reshape(1, -1))
        sims, ids = index.search(q, min(k, index.ntotal))
        return [(int(i), float(s)) for i, s in zip(ids[0], sims[0]) if i >= 0]

    def sparse_search(self, weighted_terms, k):
        if k < 1 or not self.count():
            return []
        scores = self.data.bm25.scores(dict(weighted_terms))
        return [(int(i), float(scores[i])) for i in top_rows(scores, min(k, len(scores))) if scores[i] > 0]

    def upsert(self, passages, vectors, token_lists):
        from .store import make_vector_index, vector_index_kind
        data = self.data
        ids = {p.passage_id for p in passages}
        gone = [i for i, p in enumerate(data.passages) if p.passage_id in ids]
        if gone:
            self._keep([i for i in range(len(data.passages)) if i not in set(gone)])
        vectors = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32).reshape(len(passages), -1))
        data.passages = list(data.passages) + list(passages)
        data.bm25 = data.bm25.extend(token_lists)
        if vector_index_kind(data.vectors) == "flat":
            data.vectors.add(vectors)
        else:       # an IVF index is trained on what it holds: made again
            from .store import all_vectors
            data.vectors = make_vector_index(np.vstack([all_vectors(data.vectors), vectors]))
        self._changed()

    def delete_report(self, source):
        keep = [i for i, p in enumerate(self.data.passages) if p.source != source]
        removed = len(self.data.passages) - len(keep)
        if removed:
            self._keep(keep)
            self._changed()
        return removed

    def _keep(self, rows: list[int]) -> None:
        from .store import all_vectors, make_vector_index
        data = self.data
        vecs = all_vectors(data.vectors)[np.asarray(rows, dtype=np.int64)] if rows else \
            np.zeros((0, data.vectors.d), dtype=np.float32)
        data.vectors = make_vector_index(vecs)
        data.bm25 = data.bm25.take(rows)
        data.passages = [data.passages[i] for i in rows]

    def _changed(self) -> None:
        self.data.manifest = dict(self.data.manifest, passages=len(self.data.passages))


def open_index(index, *, text: bool = True):
    """Load the index named by ``index``: a folder (:func:`qa.store.load_index`) or ``milvus:<uri>``.

    Raises:
        IndexMissing, IndexCorrupt, EmptyIndex; MilvusUnavailable for a Milvus index that
        cannot be opened (never a folder of that name).
    """
    if is_milvus(index):
        from .milvus import load_milvus_index
        return load_milvus_index(str(index), text=text)
    from .store import load_index
    return load_index(index, text=text)
