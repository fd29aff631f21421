"""Embedders: the protocol, the built-in offline embedder, and sentence-transformers models.

The built-in embedder needs no model download: at build time it is fitted on the reports
themselves (latent semantic analysis over character uni- and bigrams, TF-IDF weighted), and its
parameters are stored with the index. Any sentence-transformers model that is on the machine
(a name in the local Hugging Face cache such as ``BAAI/bge-small-zh-v1.5``, or a folder) can be
used instead; torch and sentence-transformers are imported only then.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Protocol, Sequence, runtime_checkable

import numpy as np

from .errors import EmbedderUnavailable, IndexCorrupt, InvalidParameter
from .lexicon import normalize

BUILTIN_ID = "builtin-lsa"


@runtime_checkable
class Embedder(Protocol):
    """What the index needs of an embedder.

    ``embed`` returns float32 vectors of shape (len(texts), dim), each of unit length.
    """

    id: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def _unit_rows(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return x / norms


# --------------------------------------------------------------------------- built-in

_NON_WORD = re.compile(r"[^0-9a-z\u4e00-\u9fff]+")
_DIGITS = re.compile(r"[0-9]+")


def char_features(text: str) -> list[str]:
    """Character unigrams and bigrams of the word-like runs of ``text``; digits fold to '0'."""
    text = _DIGITS.sub("0", normalize(text).lower())
    feats: list[str] = []
    for run in _NON_WORD.split(text):
        if not run:
            continue
        feats.extend(run)
        feats.extend(map(str.__add__, run, run[1:]))   # the bigrams, without a slice each
    return feats


class LsaEmbedder:
    """Latent semantic analysis over character n-grams, fitted on the reports.

    Args:
        features: the n-gram vocabulary.
        idf: inverse document frequency of each feature.
        components: (len(features), dim) projection from TF-IDF space.
    """

    id = BUILTIN_ID

    def __init__(self, features: list[str], idf: np.ndarray, components: np.ndarray):
        self.features = features
        self.index = {f: i for i, f in enumerate(features)}
        self.idf = np.asarray(idf, dtype=np.float32)
        # C order: sparse @ dense would otherwise copy the whole matrix on every call
        self.components = np.ascontiguousarray(components, dtype=np.float32)
        self.dim = int(self.components.shape[1])

    # -- fitting ----------------------------------------------------------
    @classmethod
    def fit(cls, texts: Sequence[str], dim: int = 256, max_features: int = 32768,
            sample: int = 20000, seed: int = 0) -> "LsaEmbedder":
        """Fit on ``texts`` (a deterministic sample of at most ``sample`` of them)."""
        if not texts:
            raise InvalidParameter("LsaEmbedder.fit：没有可用于拟合的文本")
        if dim < 1:
            raise InvalidParameter(f"dim={dim!r}: 需为正整数")
        if len(texts) > sample:
            step = len(texts) / sample
            texts = [texts[int(i * step)] for i in range(sample)]
        docs = [char_features(t) for t in texts]
        df: dict[str, int] = {}
        for feats in docs:
            for f in set(feats):
                df[f] = df.get(f, 0) + 1
        vocab = sorted(df, key=lambda f: (-df[f], f))[:max_features]
        n = len(docs)
        idf = np.array([math.log((1 + n) / (1 + df[f])) + 1.0 for f in vocab], dtype=np.float32)
        model = cls(vocab, idf, np.zeros((len(vocab), 1), dtype=np.float32))
        x = model._tfidf_of(docs)
        k = max(1, min(dim, x.shape[0], x.shape[1]))
        model.components = np.ascontiguousarray(_randomized_svd_components(x, k, seed), dtype=np.float32)
        model.dim = k
        return model

    def _tfidf(self, texts: Sequence[str]):
        return self._tfidf_of([char_features(t) for t in texts])

    def _tfidf_of(self, docs: Sequence[list[str]]):
        """Unit-length TF-IDF rows (1 + log tf) of the feature lists ``docs``, as a CSR matrix.

        Whole-batch array work: one feature-id list for all documents, counted by the sparse
        constructor, instead of a dictionary and a handful of small arrays per document.
        """
        from scipy import sparse
        get = self.index.get
        cols: list[int] = []
        lens: list[int] = []
        for feats in docs:
            before = len(cols)
            cols.extend([j for j in map(get, feats) if j is not None])
            lens.append(len(cols) - before)
        n, m = len(lens), len(self.features)
        rows = np.repeat(np.arange(n, dtype=np.int64), lens)
        keys, tf = np.unique((rows << 32) | np.asarray(cols, dtype=np.int64), return_counts=True)
        row_of, col = keys >> 32, (keys & 0xFFFFFFFF).astype(np.int32)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(row_of, minlength=n), out=indptr[1:])
        w = (1.0 + np.log(tf.astype(np.float32))) * self.idf[col]
        norms = np.sqrt(np.bincount(row_of, weights=np.square(w, dtype=np.float64), minlength=n))
        norms[norms == 0] = 1.0
        x = sparse.csr_matrix(((w / norms[row_of]).astype(np.float32), col, indptr), shape=(n, m))
        return x

    # -- use --------------------------------------------------------------
    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if isinstance(texts, str):
            texts = [texts]
        if not len(texts):
            return np.zeros((0, self.dim), dtype=np.float32)
        if len(texts) == 1:
            return _unit_rows(self._embed_one(texts[0])[None, :])
        return _unit_rows(self._tfidf(texts) @ self.components)

    def _embed_one(self, text: str) -> np.ndarray:
        """The batch path for one text (a question) with plain arrays: the same TF-IDF row
        times the rows of the projection it uses, without building a sparse matrix."""
        ids = [j for j in map(self.index.get, char_features(text)) if j is not None]
        if not ids:
            return np.zeros(self.dim, dtype=np.float32)
        col, tf = np.unique(np.asarray(ids, dtype=np.int64), return_counts=True)
        w = (1.0 + np.log(tf.astype(np.float32))) * self.idf[col]
        w = (w / np.sqrt(np.square(w, dtype=np.float64).sum())).astype(np.float32)
        return w @ self.components[col]

    # -- persistence ------------------------------------------------------
    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "embedder.json").write_text(
            json.dumps({"id": self.id, "dim": self.dim, "features": self.features}, ensure_ascii=False),
            encoding="utf-8")
        np.save(folder / "embedder_idf.npy", self.idf, allow_pickle=False)
        np.save(folder / "embedder_components.npy", self.components.astype(np.float16), allow_pickle=False)

    @classmethod
    def load(cls, folder: Path) -> "LsaEmbedder":
        """The embedder saved in ``folder``.

        Raises:
            IndexCorrupt: a file is missing, empty, damaged or does not fit the others.
        """
        folder = Path(folder)
        fix = "请运行 `qa build --full` 重建"
        try:
            meta = json.loads((folder / "embedder.json").read_text(encoding="utf-8"))
            idf = np.load(folder / "embedder_idf.npy", allow_pickle=False)
            comps = np.load(folder / "embedder_components.npy", allow_pickle=False)
        except (OSError, ValueError, EOFError, UnicodeDecodeError) as exc:
            # an empty .npy file is an EOFError; a damaged header a ValueError
            raise IndexCorrupt(f"内置向量模型文件损坏 ({folder.name}/: {type(exc).__name__})；{fix}") from None
        features = meta.get("features") if isinstance(meta, dict) else None
        dim = meta.get("dim") if isinstance(meta, dict) else None
        if not (isinstance(features, list) and all(isinstance(f, str) for f in features)
                and isinstance(dim, int) and dim > 0):
            raise IndexCorrupt(f"内置向量模型文件 {folder.name}/embedder.json 不完整；{fix}")
        if comps.shape != (len(features), dim) or idf.shape != (len(features),) \
                or not np.issubdtype(comps.dtype, np.floating) or not np.issubdtype(idf.dtype, np.floating):
            raise IndexCorrupt(f"内置向量模型文件不完整或彼此不符 ({folder.name}/)；{fix}")
        return cls(features, idf, comps)


def _randomized_svd_components(x, k: int, seed: int, oversample: int = 10, iters: int = 4) -> np.ndarray:
    """The top-``k`` right singular vectors of sparse ``x`` as a (n_features, k) matrix (Halko et al.)."""
    rng = np.random.default_rng(seed)
    n, m = x.shape
    p = min(k + oversample, min(n, m))
    if min(n, m) <= 2 * p:
        dense = x.toarray().astype(np.float64)
        if n < m:
            # a few passages and many features: the SVD of the small triangular factor of
            # dense.T = QR gives the same right singular vectors (Q W) at a fraction of the cost
            q, r = np.linalg.qr(dense.T)
            _, _, wt = np.linalg.svd(r.T)
            return (q @ wt.T)[:, :k]
        _, _, vt = np.linalg.svd(dense, full_matrices=False)
        return vt[:k].T
    y = x @ rng.standard_normal((m, p))
    q, _ = np.linalg.qr(y)
    for _ in range(iters):
        z, _ = np.linalg.qr(x.T @ q)
        q, _ = np.linalg.qr(x @ z)
    b = (x.T @ q).T                        # (p, m)
    _, _, vt = np.linalg.svd(b, full_matrices=False)
    return vt[:k].T


# --------------------------------------------------------------------------- sentence-transformers

class SentenceTransformerEmbedder:
    """A sentence-transformers model that is already on this machine (no download).

    Args:
        name_or_path: a folder holding the model, or a name in the local Hugging Face cache.
        batch_size: texts per forward pass.

    Raises:
        EmbedderUnavailable: sentence-transformers is missing or the model is not on the machine.
    """

    def __init__(self, name_or_path: str, batch_size: int = 32):
        if not isinstance(name_or_path, str) or not name_or_path.strip():
            raise InvalidParameter(f"embedder={name_or_path!r}: 需要模型名称或本地路径")
        self.name = name_or_path
        self.id = f"st:{name_or_path}"
        self.batch_size = batch_size
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbedderUnavailable(
                f"无法导入 sentence-transformers ({exc})；请先 `pip install torch==2.13.0 sentence-transformers`"
            ) from None
        try:
            # The machine has no model hub: only local files are looked at.
            self.model = SentenceTransformer(name_or_path, device="cpu", local_files_only=True)
        except Exception as exc:  # the library raises OSError, ValueError, HF errors…
            raise EmbedderUnavailable(
                f"找不到向量模型 {name_or_path!r} ({type(exc).__name__}: {str(exc)[:200]})；"
                "本机无法下载模型：请把模型放在本地目录，再用 `qa build --full --embedder /path/to/model`"
            ) from None
        # renamed in sentence-transformers 6; older releases only have the long name
        dim_of = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(dim_of())

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if isinstance(texts, str):
            texts = [texts]
        if not len(texts):
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self.model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=False)
        return _unit_rows(vecs)


def is_builtin(spec: str | None) -> bool:
    return spec in (None, "", "builtin", BUILTIN_ID, "lsa")
