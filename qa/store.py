"""The index on disk: manifest, FAISS vectors, BM25, passages, figure table; build, update, load.

Layout of ``index/`` (no pickle anywhere)::

    manifest.json      format version, package version, build time, embedder, chunking,
                       dictionary hash, one content hash per report
    passages.jsonl     one Passage a line; line i is row i of every other file
    vectors.faiss      FAISS index of the passage vectors (inner product on unit vectors)
    bm25.npz           term counts (CSR) and document lengths; bm25_vocab.json its terms
    figures.jsonl      the figure table (one figure a line, with its passage and sentence)
    embedder*.{json,npy}  the built-in embedder's fitted parameters, when it is used

A build writes a new directory beside the index and renames it into place, holding a lock
file (``index.lock`` beside ``index/``) so that two builds never run at once. A build that
crashes or is killed leaves the previous index as it was.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import fcntl
import json
import math
import os
import shutil
import time
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from . import __version__
from .embedders import BUILTIN_ID, Embedder, LsaEmbedder, SentenceTransformerEmbedder, is_builtin
from .errors import BuildLocked, EmbedderMismatch, EmptyIndex, IndexCorrupt, IndexMissing, NotAnIndex, QAError, ReportError
from .lexicon import data_hash, tokenize, tokenizer
from .passages import ChunkParams, Passage, chunk_report
from .reports import MAX_REPORT_BYTES, content_hash, list_reports, load_report

FORMAT_VERSION = 1
FIX = "qa build --full"
# From this many passages an approximate FAISS index (IVF) replaces exact search. bench/
# measured exact search on one core at 0.5 ms a question for 10k passages and 10 ms for 100k
# (it scans every vector); IVF with 64 of ~4·sqrt(n) lists probed answered in 0.13 ms with
# recall@10 0.970 at 10k and in 0.65 ms with 0.978 at 100k, where HNSW (M=32) reached 0.83 at
# the same speed on these vectors. At 10k, exact search made the whole hybrid search 3.0× as
# slow as bm25s (the target is 3×), so IVF starts at 5k; below, exact search is under 0.25 ms.
ANN_THRESHOLD = 5_000
IVF_NPROBE = 64
# The built-in embedder is refitted (a full rebuild) once the corpus has grown this much
# since it was fitted, so that new reports' vocabulary is not lost to dense search.
REFIT_GROWTH = 2.0


# --------------------------------------------------------------------------- BM25

@dataclass
class TermCounts:
    """Term counts of some passages over their own vocabulary (terms in order of first use):
    row i of the CSR arrays (indptr, indices, data) counts the terms of passage i."""

    vocab: list[str]
    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray


class _Ids(dict):
    """term -> id; a new term gets the next id."""

    def __missing__(self, term):
        j = self[term] = len(self)
        return j


def count_terms(token_lists: Iterable[list[str]]) -> TermCounts:
    """Count the terms of each token list (array work instead of a dict per passage)."""
    ids = _Ids()
    get = ids.__getitem__
    flat: list[int] = []
    lens: list[int] = []
    for tokens in token_lists:
        before = len(flat)
        flat.extend(map(get, tokens))
        lens.append(len(flat) - before)
    n = len(lens)
    rows = np.repeat(np.arange(n, dtype=np.int64), lens)
    keys, counts = np.unique((rows << 32) | np.asarray(flat, dtype=np.int64), return_counts=True)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys >> 32, minlength=n), out=indptr[1:])
    return TermCounts(list(ids), indptr, (keys & 0xFFFFFFFF).astype(np.int32), counts.astype(np.int32))


@dataclass
class Bm25:
    """Term counts of every passage; scoring with Okapi BM25 (k1, b)."""

    vocab: list[str]
    counts: "object"            # scipy.sparse.csr_matrix (n_passages, n_terms), int32
    k1: float = 1.2
    b: float = 0.75
    _term_index: dict = field(default=None, repr=False)
    _weights: "object" = field(default=None, repr=False)

    @classmethod
    def from_tokens(cls, token_lists: Iterable[list[str]], vocab: list[str] | None = None) -> "Bm25":
        return cls.from_counts([count_terms(token_lists)], vocab)

    @classmethod
    def from_counts(cls, parts: Iterable["TermCounts"], vocab: list[str] | None = None) -> "Bm25":
        """The index of the passages counted in ``parts`` (in order), over ``vocab`` and the
        terms first seen in them; the same index as :meth:`from_tokens` on all their tokens."""
        from scipy import sparse
        vocab = list(vocab or [])
        index = {t: i for i, t in enumerate(vocab)}
        indptrs, indices, datas = [np.zeros(1, dtype=np.int64)], [], []
        rows = nnz = 0
        for part in parts:
            remap = np.empty(len(part.vocab), dtype=np.int64)
            for k, t in enumerate(part.vocab):
                j = index.get(t)
                if j is None:
                    j = index[t] = len(vocab)
                    vocab.append(t)
                remap[k] = j
            cols = remap[part.indices]
            row_of = np.repeat(np.arange(len(part.indptr) - 1), np.diff(part.indptr))
            order = np.lexsort((cols, row_of))      # columns ascending within each row
            indices.append(cols[order].astype(np.int32))
            datas.append(part.data[order])
            indptrs.append(part.indptr[1:] + nnz)
            rows += len(part.indptr) - 1
            nnz += int(part.indptr[-1])
        cat = lambda xs, dt: np.concatenate(xs).astype(dt, copy=False) if xs else np.zeros(0, dtype=dt)
        counts = sparse.csr_matrix((cat(datas, np.int32), cat(indices, np.int32), cat(indptrs, np.int64)),
                                   shape=(rows, len(vocab)))
        return cls(vocab, counts)

    def take(self, rows: Sequence[int]) -> "Bm25":
        return Bm25(self.vocab, self.counts[np.asarray(rows, dtype=np.int64)], self.k1, self.b)

    def extend(self, other_tokens: Iterable[list[str]]) -> "Bm25":
        """This index with more passages appended (the vocabulary grows as needed)."""
        return self.extend_counts([count_terms(other_tokens)])

    def extend_counts(self, parts: Iterable["TermCounts"]) -> "Bm25":
        """This index with the passages counted in ``parts`` appended."""
        from scipy import sparse
        extra = Bm25.from_counts(parts, vocab=self.vocab)
        old = self.counts
        old = sparse.csr_matrix((old.data, old.indices, old.indptr), shape=(old.shape[0], len(extra.vocab)))
        return Bm25(extra.vocab, sparse.vstack([old, extra.counts], format="csr"), self.k1, self.b)

    @property
    def term_index(self) -> dict[str, int]:
        if self._term_index is None:
            self._term_index = {t: i for i, t in enumerate(self.vocab)}
        return self._term_index

    def _weight_matrix(self):
        """BM25 weight of every (passage, term), column-major for fast term lookup."""
        if self._weights is None:
            counts = self.counts.tocsc().astype(np.float32)
            n = max(counts.shape[0], 1)
            doc_len = np.asarray(self.counts.sum(axis=1)).ravel().astype(np.float32)
            avg = float(doc_len.mean()) if doc_len.size else 1.0
            df = np.diff(counts.indptr).astype(np.float32)
            idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
            norm = self.k1 * (1 - self.b + self.b * doc_len / (avg or 1.0))
            tf = counts.data
            rows = counts.indices
            cols = np.repeat(np.arange(counts.shape[1]), np.diff(counts.indptr))
            counts.data = idf[cols] * tf * (self.k1 + 1) / (tf + norm[rows])
            self._weights = counts
        return self._weights

    def weights(self):
        """The BM25 weight of every (passage, term) as a CSC matrix (what a store that searches
        sparse vectors holds, one row a passage)."""
        return self._weight_matrix()

    def scores(self, weighted_terms: dict[str, float]) -> np.ndarray:
        """BM25 score of every passage for query terms with weights (1 for a term as asked)."""
        w = self._weight_matrix()
        out = np.zeros(w.shape[0], dtype=np.float32)
        for term, qw in weighted_terms.items():
            j = self.term_index.get(term)
            if j is None:
                continue
            lo, hi = w.indptr[j], w.indptr[j + 1]
            out[w.indices[lo:hi]] += qw * w.data[lo:hi]
        return out

    def save(self, folder: Path) -> None:
        c = self.counts
        np.savez(folder / "bm25.npz", data=c.data.astype(np.int32), indices=c.indices.astype(np.int32),
                 indptr=c.indptr.astype(np.int64), shape=np.asarray(c.shape, dtype=np.int64),
                 params=np.asarray([self.k1, self.b], dtype=np.float64))
        (folder / "bm25_vocab.json").write_text(json.dumps(self.vocab, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> "Bm25":
        from scipy import sparse
        with np.load(folder / "bm25.npz", allow_pickle=False) as z:
            shape = tuple(int(x) for x in z["shape"])
            counts = sparse.csr_matrix((z["data"], z["indices"], z["indptr"]), shape=shape)
            k1, b = (float(x) for x in z["params"])
        vocab = json.loads((folder / "bm25_vocab.json").read_text(encoding="utf-8"))
        if len(vocab) != shape[1]:
            raise ValueError("bm25 vocabulary and counts disagree")
        return cls(vocab, counts, k1, b)


# --------------------------------------------------------------------------- vectors

def vector_kind_for(n: int) -> str:
    """The FAISS index for ``n`` passages: "flat" (exact) or "ivf" (from ANN_THRESHOLD on)."""
    return "ivf" if n >= ANN_THRESHOLD else "flat"


def ivf_lists(n: int) -> int:
    """Inverted lists for ``n`` vectors: the power of two nearest 4·sqrt(n), 64 to 8192."""
    return int(min(8192, max(64, 2 ** round(math.log2(4 * math.sqrt(max(n, 1)))))))


def make_vector_index(vectors: np.ndarray, kind: str | None = None):
    """A FAISS inner-product index over unit vectors: exact, or IVF past the threshold
    ("hnsw" is still made on request, and still read, for indexes built before)."""
    import faiss
    n, dim = vectors.shape
    kind = kind or vector_kind_for(n)
    if kind == "ivf" and n:
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, ivf_lists(n), faiss.METRIC_INNER_PRODUCT)
        index.cp.niter = 10                      # k-means: 10 rounds on at most 64 points per list
        index.cp.max_points_per_centroid = 64
        index.nprobe = IVF_NPROBE
        with building_threads():
            index.train(np.ascontiguousarray(vectors, dtype=np.float32))
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 96
    else:
        index = faiss.IndexFlatIP(dim)
    if n:
        with building_threads():
            index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def search_on_one_thread() -> None:
    """FAISS searches one question at a time on one OpenMP thread (process-wide).

    A single query vector is too little work to share: on a 2-core machine, flat search over
    100k vectors took 24-27 ms (p50) on FAISS's default two threads and 10 ms on one, and
    10k vectors 1-6 ms against 0.6 ms. Building an HNSW graph still uses every core.
    """
    import faiss
    faiss.omp_set_num_threads(1)


@contextlib.contextmanager
def building_threads():
    """Every core for FAISS while an index is built (HNSW insertion is parallel)."""
    import faiss
    before = faiss.omp_get_max_threads()
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    faiss.omp_set_num_threads(max(before, cores))
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def vector_index_kind(index) -> str:
    import faiss
    if isinstance(index, faiss.IndexIVF):
        return "ivf"
    return "hnsw" if isinstance(index, faiss.IndexHNSW) else "flat"


def all_vectors(index) -> np.ndarray:
    if index.ntotal == 0:
        return np.zeros((0, index.d), dtype=np.float32)
    import faiss
    if isinstance(index, faiss.IndexIVF):
        index.make_direct_map()
    return index.reconstruct_n(0, index.ntotal)


# --------------------------------------------------------------------------- the loaded index

@dataclass
class IndexData:
    """Everything ``load_index`` reads: what the retriever and the answerer work on."""

    path: Path
    manifest: dict
    passages: list[Passage]
    vectors: object               # faiss.Index
    bm25: Bm25
    embedder: Embedder | None     # the built-in embedder, fitted; None for sentence-transformers
    # The figure table, read from figures.jsonl when first used: answering never needs it,
    # and at 100k passages parsing it was most of the time ``qa ask`` took to start.
    _figures: list[dict] | None = None
    # where the index lives and is searched (qa.index_store): the folder's LocalStore unless
    # a loader gave another (Milvus); read_figures reads the figure table from there
    _store: object = None
    read_figures: Callable[[], list[dict]] | None = None

    @property
    def figures(self) -> list[dict]:
        """The figure table (IndexCorrupt when it cannot be read)."""
        if self._figures is None:
            self._figures = self.read_figures() if self.read_figures else _read_figures(self.path)
        return self._figures

    @property
    def store(self):
        """The :class:`qa.index_store.IndexStore` the retriever searches."""
        if self._store is None:
            from .index_store import LocalStore
            self._store = LocalStore(self)
        return self._store

    @property
    def embedder_id(self) -> str:
        return self.manifest["embedder"]["id"]


def _manifest_path(folder: Path) -> Path:
    return folder / "manifest.json"


def read_manifest(folder: str | Path) -> dict:
    """The manifest of the index in ``folder``.

    Raises:
        IndexMissing: no index there.
        IndexCorrupt: unreadable, or from another format version.
    """
    folder = Path(folder)
    path = _manifest_path(folder)
    if not path.exists():
        if folder.is_dir() and any(p.name in INDEX_FILES for p in folder.iterdir()):
            raise IndexCorrupt(f"索引 {folder.name}/ 的清单 manifest.json 缺失；请运行 `{FIX}` 重建")
        raise IndexMissing(f"没有找到索引 {folder}/；请先运行 `qa build` 建立索引")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise IndexCorrupt(f"索引清单 {folder.name}/manifest.json 已损坏 ({type(exc).__name__})；"
                           f"请运行 `{FIX}`") from None
    version = manifest.get("format_version") if isinstance(manifest, dict) else None
    if version is None:
        raise IndexCorrupt(f"索引清单 {folder.name}/manifest.json 不完整（没有格式版本）；请运行 `{FIX}`")
    if version != FORMAT_VERSION:
        newer = isinstance(version, int) and version > FORMAT_VERSION
        raise IndexCorrupt(
            f"索引格式版本 {version!r} 与本程序的 {FORMAT_VERSION} 不符"
            f"{'（由更新的版本建立）' if newer else ''}；请运行 `{FIX}` 重建")
    problem = _manifest_problem(manifest)
    if problem:
        raise IndexCorrupt(f"索引清单 {folder.name}/manifest.json 不完整（{problem}）；请运行 `{FIX}`")
    return manifest


def _manifest_problem(m: dict) -> str | None:
    """What is missing or wrong in a manifest that parses (None when it is whole)."""
    emb = m.get("embedder")
    if not isinstance(emb, dict) or not isinstance(emb.get("id"), str) \
            or not isinstance(emb.get("dim"), int) or emb["dim"] < 1:
        return "embedder"
    if not isinstance(m.get("passages"), int) or m["passages"] < 0:
        return "passages"
    if not isinstance(m.get("reports"), dict) or not all(isinstance(r, dict) for r in m["reports"].values()):
        return "reports"
    files = m.get("files")
    if files is not None and not (isinstance(files, dict) and all(
            isinstance(f, dict) and isinstance(f.get("bytes"), int) and isinstance(f.get("crc32"), str)
            for f in files.values())):
        return "files"
    return None


def _crc32(path: Path) -> str:
    crc = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            crc = zlib.crc32(chunk, crc)
    return f"{crc:08x}"


def file_record(folder: Path, names: Iterable[str]) -> dict[str, dict]:
    """Size and CRC-32 of the files ``names`` in ``folder``, for the manifest."""
    return {name: {"bytes": (folder / name).stat().st_size, "crc32": _crc32(folder / name)}
            for name in sorted(names)}


def verify_files(folder: Path, manifest: dict) -> None:
    """Every file the manifest lists is there, with its size and checksum.

    Damage that still parses (a figure table cut at a line, garbage of the right length) is
    caught here, before it is read. CRC-32 runs at several GB/s: a 400 MB index adds about
    0.1 s to a load that takes 20 s.

    Raises:
        IndexCorrupt: naming the file and the command that repairs it.
    """
    files = manifest.get("files")
    if files is None:
        return              # built before checksums were recorded; the next build rebuilds it
    needed = {"passages.jsonl", "vectors.faiss", "bm25.npz", "bm25_vocab.json", "figures.jsonl"}
    if manifest["embedder"]["id"] == BUILTIN_ID and manifest["passages"]:
        needed |= {"embedder.json", "embedder_idf.npy", "embedder_components.npy"}
    if not needed <= set(files):
        raise IndexCorrupt(f"索引清单 {folder.name}/manifest.json 不完整（缺少 "
                           f"{'、'.join(sorted(needed - set(files)))} 的记录）；请运行 `{FIX}`")
    for name, want in files.items():
        path = folder / name
        try:
            size = path.stat().st_size
        except OSError:
            raise IndexCorrupt(f"索引文件 {folder.name}/{name} 缺失；请运行 `{FIX}` 重建") from None
        if size != want["bytes"]:
            raise IndexCorrupt(f"索引文件 {folder.name}/{name} 已损坏（{size} 字节，应为 {want['bytes']}）；"
                               f"请运行 `{FIX}` 重建")
        try:
            crc = _crc32(path)
        except OSError as exc:
            raise IndexCorrupt(f"索引文件 {folder.name}/{name} 无法读取 ({exc.strerror})；"
                               f"请运行 `{FIX}` 重建") from None
        if crc != want["crc32"]:
            raise IndexCorrupt(f"索引文件 {folder.name}/{name} 已损坏（校验和不符）；请运行 `{FIX}` 重建")


def load_index(folder: str | Path, *, text: bool = True) -> IndexData:
    """Load and check the index in ``folder``.

    With ``text=False`` (for builds) the passages are not parsed (``passages`` is None; see
    :func:`read_passages`), only counted and checked line by line.

    Raises:
        IndexMissing, IndexCorrupt: with the command that fixes it.
    """
    import faiss
    folder = Path(folder)
    if not _manifest_path(folder).exists():
        backup = _old_dir(folder)
        if _manifest_path(backup).exists():
            folder = backup  # a build was killed between its two renames: the old index is whole
    manifest = read_manifest(folder)
    verify_files(folder, manifest)
    if text and not manifest["passages"]:
        raise EmptyIndex(no_reports_message(folder, manifest))
    search_on_one_thread()
    n = manifest.get("passages")
    passages = read_passages(folder, n) if text else None
    if not text:
        _check_lines(folder / "passages.jsonl", n)
    try:
        vectors = faiss.read_index(str(folder / "vectors.faiss"))
    except Exception as exc:  # faiss raises RuntimeError with a C++ message
        raise IndexCorrupt(f"vectors.faiss 无法读取 ({str(exc).splitlines()[0][:160]})；请运行 `{FIX}`") from None
    dim = manifest["embedder"]["dim"]
    if vectors.ntotal != n or vectors.d != dim:
        raise IndexCorrupt(f"vectors.faiss 有 {vectors.ntotal}×{vectors.d} 个向量，应为 {n}×{dim}；请运行 `{FIX}`")
    try:
        bm25 = Bm25.load(folder)
    except Exception as exc:
        raise IndexCorrupt(f"BM25 索引已损坏 ({type(exc).__name__}: {str(exc)[:160]})；请运行 `{FIX}`") from None
    if bm25.counts.shape[0] != n:
        raise IndexCorrupt(f"BM25 索引有 {bm25.counts.shape[0]} 行，应为 {n}；请运行 `{FIX}`")
    # an index of no passages has no fitted embedder (there was nothing to fit it on)
    embedder = LsaEmbedder.load(folder) if manifest["embedder"]["id"] == BUILTIN_ID and n else None
    if embedder is not None and embedder.dim != dim:
        raise IndexCorrupt(f"内置向量模型维度 {embedder.dim} 与清单 {dim} 不符；请运行 `{FIX}`")
    return IndexData(folder, manifest, passages, vectors, bm25, embedder)


def no_reports_message(folder: Path, manifest: dict) -> str:
    """Why an index holds no report, from what its build recorded."""
    skipped = manifest.get("skipped") or {}
    total = manifest.get("skipped_total", len(skipped))
    if not total:
        why = "建立时报告目录中没有 .txt 或 .md 报告"
    else:
        shown = "；".join(f"{name}：{reason}" for name, reason in list(skipped.items())[:5])
        more = f"；另有 {total - min(5, len(skipped))} 个" if total > min(5, len(skipped)) else ""
        why = f"建立时报告目录中的 {total} 个文件{'都' if total > 1 else ''}未能使用（{shown}{more}）"
    return (f"索引 {Path(folder).name}/ 中没有可用的报告：{why}。"
            "请在报告目录放入可读的 .txt 或 .md 报告（或在网页上传），再运行 `qa build`")


_PASSAGE_FIELDS = tuple(Passage.__dataclass_fields__)
# page and doubtful (PDFs, images) are written only when set: text reports' rows stay as they were
_OPTIONAL_FIELDS = ("page", "doubtful")
_BASE_FIELDS = tuple(k for k in _PASSAGE_FIELDS if k not in _OPTIONAL_FIELDS)


def read_passages(folder: Path, n: int | None) -> list[Passage]:
    """The passages of the index in ``folder`` (IndexCorrupt unless there are ``n``)."""
    try:
        lines = [ln for ln in (folder / "passages.jsonl").read_text(encoding="utf-8").split("\n") if ln]
        # one JSON array for the whole file: a single parser call instead of one per line
        rows = json.loads("[" + ",".join(lines) + "]")
        passages = [Passage.from_dict(row) if "page" in row or "doubtful" in row
                    else Passage(*map(row.get, _BASE_FIELDS)) for row in rows]   # Passage.from_dict
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, TypeError, AttributeError) as exc:
        raise IndexCorrupt(f"passages.jsonl 已损坏 ({type(exc).__name__}: {exc})；请运行 `{FIX}`") from None
    if len(passages) != n:
        raise IndexCorrupt(f"passages.jsonl 有 {len(passages)} 条，清单记录 {n} 条；请运行 `{FIX}`")
    return passages


def _read_figures(folder: Path) -> list[dict]:
    path = Path(folder) / "figures.jsonl"
    try:
        lines = [ln for ln in path.read_text(encoding="utf-8").split("\n") if ln]
        rows = json.loads("[" + ",".join(lines) + "]")
    except FileNotFoundError:
        raise IndexCorrupt(f"数字表 {Path(folder).name}/figures.jsonl 缺失；请运行 `{FIX}` 重建") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise IndexCorrupt(f"数字表 {Path(folder).name}/figures.jsonl 已损坏 ({type(exc).__name__})；"
                           f"请运行 `{FIX}`") from None
    if not all(isinstance(r, dict) and isinstance(r.get("passage_id"), str) for r in rows):
        raise IndexCorrupt(f"数字表 {Path(folder).name}/figures.jsonl 已损坏（行不是数字记录）；请运行 `{FIX}`")
    return rows


def _check_lines(path: Path, n: int | None) -> None:
    """Without parsing it: ``path`` holds ``n`` lines, each one JSON object, and ends whole."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IndexCorrupt(f"{path.name} 无法读取 ({exc.strerror})；请运行 `{FIX}`") from None
    lines = data.count(b"\n")
    # every line opens with { and closes with } (counted, not split: this runs on every add)
    whole = not data or (data.startswith(b"{") and data.endswith(b"}\n")
                         and data.count(b"}\n") == lines and data.count(b"\n{") == lines - 1)
    if not whole or lines != (n or 0):
        raise IndexCorrupt(f"{path.name} 已损坏或与清单不符（{lines} 行，应为 {n}）；请运行 `{FIX}`")


# --------------------------------------------------------------------------- building

@dataclass
class BuildResult:
    """What a build did. ``skipped`` holds (file, reason) for reports that were not indexed."""

    index: str
    full: bool
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    passages: int = 0
    embedded: int = 0
    embedder: str = BUILTIN_ID
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def reports(self) -> int:
        return len(self.added) + len(self.changed) + len(self.unchanged)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "BuildResult":
        """The result :meth:`to_dict` gave (for a build run in another process)."""
        d = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        d["skipped"] = [tuple(x) for x in d.get("skipped", [])]
        return cls(**d)

    def summary(self) -> str:
        kind = "全量重建" if self.full else "增量更新"
        lines = [f"{kind} {self.index}：{self.reports} 份报告，{self.passages} 个段落；"
                 f"新增 {len(self.added)}，更新 {len(self.changed)}，删除 {len(self.removed)}，"
                 f"未变 {len(self.unchanged)}；嵌入 {self.embedded} 段，用时 {self.seconds:.1f} 秒"]
        if not self.reports:
            lines.append(f"  没有可用的报告：{'报告目录中的文件都未能使用（见下）' if self.skipped else '报告目录中没有 .txt 或 .md 报告'}；"
                         "请放入可读的报告后再运行 `qa build`")
        lines += [f"  注意：{n}" for n in self.notes]
        lines += [f"  跳过 {name}：{reason}" for name, reason in self.skipped]
        return "\n".join(lines)


# Every file a build writes into an index folder (manifest.tmp only for a moment).
INDEX_FILES = frozenset({"manifest.json", "manifest.tmp", "passages.jsonl", "vectors.faiss", "bm25.npz",
                         "bm25_vocab.json", "figures.jsonl", "embedder.json", "embedder_idf.npy",
                         "embedder_components.npy"})


def check_replaceable(folder: Path) -> None:
    """Raise :class:`NotAnIndex` unless a build may replace ``folder``.

    A build replaces the whole folder, so it may only replace what it made: a folder its own
    manifest marks as an index, or one holding nothing but index files (an index with a
    damaged or deleted manifest), or an empty one; or write where nothing is yet. Anything
    else (the reports folder, a folder of notes, a file, a symlink) is refused untouched.
    """
    folder = Path(folder)
    fix = "请用 --index 指定新的或空的目录，或已有的索引目录"
    if folder.is_symlink():
        raise NotAnIndex(f"索引目录 {folder} 是符号链接；构建会替换它，已停止，未做任何改动。{fix}")
    if not folder.exists():
        return
    if not folder.is_dir():
        raise NotAnIndex(f"{folder} 是文件，不是索引目录；构建会替换它，已停止，未做任何改动。{fix}")
    try:
        manifest = json.loads(_manifest_path(folder).read_text(encoding="utf-8"))
        if isinstance(manifest, dict) and "format_version" in manifest and "embedder" in manifest:
            return
    except (OSError, UnicodeDecodeError, ValueError):
        pass
    foreign = sorted(p.name for p in folder.iterdir() if p.name not in INDEX_FILES or not p.is_file())
    if foreign:
        shown = "、".join(foreign[:3]) + ("等" if len(foreign) > 3 else "")
        raise NotAnIndex(f"{folder} 不是索引目录（其中有不属于索引的 {shown}）；构建会替换整个目录，"
                         f"已停止，未做任何改动。{fix}")


def _old_dir(folder: Path) -> Path:
    return folder.parent / f".{folder.name}.old"


def lock_path(folder: str | Path) -> Path:
    folder = Path(folder)
    return folder.parent / f"{folder.name}.lock"


@contextlib.contextmanager
def build_lock(folder: Path, wait: float = 0.0):
    """Hold the build lock of ``folder``; wait up to ``wait`` seconds for another build.

    Raises:
        BuildLocked: another build still holds it.
    """
    path = lock_path(folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 64, 0).decode(errors="replace").strip()
                    raise BuildLocked(
                        f"另一个构建正在进行（锁文件 {path}{'，进程 ' + holder if holder else ''}）；"
                        "请等它完成后再运行 `qa build`") from None
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)  # closing releases the lock; a killed process releases it too


def _recover(folder: Path) -> None:
    """Under the lock: undo what a killed build left behind."""
    old = _old_dir(folder)
    if not folder.exists() and _manifest_path(old).exists():
        old.rename(folder)
    elif old.exists():
        shutil.rmtree(old, ignore_errors=True)
    for tmp in folder.parent.glob(f".{folder.name}.tmp-*"):
        shutil.rmtree(tmp, ignore_errors=True)


def _swap_in(tmp: Path, folder: Path) -> None:
    old = _old_dir(folder)
    if folder.exists():
        folder.rename(old)
    tmp.rename(folder)
    shutil.rmtree(old, ignore_errors=True)


def _progress(iterable, total: int, desc: str, enabled: bool, unit: str = "段"):
    if not enabled:
        return iterable
    from tqdm import tqdm
    # shown only when the step takes more than a couple of seconds
    return tqdm(iterable, total=total, desc=desc, delay=2.0, unit=unit, leave=False)


def _embed_batches(embedder: Embedder, texts: list[str], progress: bool, batch: int = 512,
                   workers: int = 1) -> np.ndarray:
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    batches = [texts[s:s + batch] for s in range(0, len(texts), batch)]
    if workers > 1 and isinstance(embedder, LsaEmbedder):   # a torch model is never forked
        parts = _map(_embed_batch, batches, workers, progress, "嵌入", "批",
                     initializer=_set_embedder, initargs=(embedder,))
    else:
        parts = [embedder.embed(b) for b in _progress(batches, len(batches), "嵌入", progress, "批")]
    return np.vstack(parts).astype(np.float32)


# --------------------------------------------------------------------------- worker processes

# Below this many bytes of new reports a build is too short to gain from worker processes.
PARALLEL_MIN_BYTES = 1 << 20


def build_workers(new_bytes: int) -> int:
    """How many processes share a build's work on ``new_bytes`` of new reports.

    ``QA_BUILD_WORKERS`` sets it (1: none); by default one per CPU, at most 4. One for small
    builds, and where forking is not safe or possible: outside the main thread (a web app's
    request), inside a daemon process, or without ``fork``.
    """
    import multiprocessing
    import threading
    env = os.environ.get("QA_BUILD_WORKERS", "").strip()
    if env.isdigit():
        n = int(env)
    else:
        try:
            n = min(len(os.sched_getaffinity(0)), 4)
        except AttributeError:
            n = min(os.cpu_count() or 1, 4)
    if n <= 1 or new_bytes < PARALLEL_MIN_BYTES:
        return 1
    if threading.current_thread() is not threading.main_thread() or multiprocessing.current_process().daemon:
        return 1
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return n


def _map(fn, jobs: list, workers: int, progress: bool, desc: str, unit: str,
         initializer=None, initargs=()) -> list:
    """``[fn(job) for job in jobs]``, over ``workers`` forked processes when more than one.

    The workers are gone when this returns (they hold the build lock's file descriptor)."""
    if workers <= 1 or len(jobs) <= 1:
        if initializer is not None:
            initializer(*initargs)
        return list(_progress(map(fn, jobs), len(jobs), desc, progress, unit))
    import gc
    import multiprocessing
    tokenizer()     # loaded once here and inherited by the workers
    # Objects that exist now are left out of the workers' garbage collections: a collection
    # writes to every object it visits, which would copy the parent's memory (gigabytes of
    # passages at 1M) into each worker.
    gc.freeze()
    try:
        with multiprocessing.get_context("fork").Pool(min(workers, len(jobs)), initializer, initargs) as pool:
            return list(_progress(pool.imap(fn, jobs), len(jobs), desc, progress, unit))
    finally:
        gc.unfreeze()


def _prepare_report(job: tuple, on_page=None) -> tuple[str, str | None, tuple | None]:
    """Read, clean and chunk one report; count its passages' terms; list its figures.

    Returns (name, None, (meta, passages, term counts, figure rows)), or (name, reason, None)
    for a report that cannot be indexed. ``on_page`` is called per page of a PDF or an image.
    """
    from .errors import OcrUnavailable
    from .figures import figure_table
    name, path, chunk = job
    try:
        report = load_report(Path(path).read_bytes(), name, on_page)
        passages = chunk_report(report, chunk)
        if not passages:
            raise ReportError(name, "没有可回答的正文")
    except ReportError as exc:
        return name, exc.reason, None
    except OcrUnavailable as exc:
        return name, str(exc), None
    except OSError as exc:
        return name, f"无法读取（{exc.strerror}）", None
    meta = {"title": report.title, "date": report.date, "passages": len(passages),
            "sections": len(report.sections), "dropped": report.dropped}
    if report.pages is not None:
        meta["pages"] = report.pages
    counts = count_terms(tokenize(index_text(p)) for p in passages)
    return name, None, (meta, passages, counts, unique_figures(figure_table(passages)))


def is_document(name: str) -> bool:
    """A Word, PDF or image file (or a legacy .doc), read page by page in the build's process."""
    from .documents import LEGACY_SUFFIXES, is_document as _is_doc
    return _is_doc(name) or name.lower().endswith(tuple(LEGACY_SUFFIXES))


def _page_events(name: str, say: Callable[[str], None], progress: bool):
    """An on_page callback: a build event per page ("识别 scan.pdf 第 2/5 页"), and a line on
    the terminal with ``progress``."""
    import sys

    def on_page(page: int, pages: int, what: str) -> None:
        verb = "识别（OCR）" if what == "ocr" else "读取"
        message = f"{verb} {Path(name).name} 第 {page}/{pages} 页"
        say(message)
        if progress:
            print(message, file=sys.stderr, flush=True)
    return on_page


def unique_figures(rows: list[dict]) -> list[dict]:
    """The figure rows of a report without repeats: the same figure of the same sentence with
    the same words (a clause pasted over and over) is one row, however often it was written."""
    seen: set[tuple] = set()
    out = []
    for row in rows:
        key = tuple(sorted((k, repr(v)) for k, v in row.items() if k not in ("offset", "passage_id")))
        if key not in seen:
            seen.add(key)
            out.append(row)
    return out


_embedder: Embedder | None = None


def _set_embedder(embedder: Embedder) -> None:
    global _embedder
    _embedder = embedder


def _embed_batch(texts: list[str]) -> np.ndarray:
    return _embedder.embed(texts)


def index_text(p: Passage) -> str:
    """What is indexed for a passage: its place and article title give the text its context."""
    return f"{p.place or ''} {p.section}\n{p.text}"


def scan_reports(reports: Path, known: set[str], result: BuildResult) -> tuple[dict[str, tuple[Path, str]], dict[str, int]]:
    """The usable reports of a folder: {name: (path, content hash)} and {name: bytes}; what
    cannot be used (too large, unreadable, a copy of another) goes to ``result.skipped``.
    Reports in ``known`` (already indexed) come first, so a copy never takes their name."""
    files, skipped = list_reports(reports)
    result.skipped.extend(skipped)
    files.sort(key=lambda p: (p.relative_to(reports).as_posix() not in known, p.as_posix()))
    current: dict[str, tuple[Path, str]] = {}
    sizes: dict[str, int] = {}
    by_hash: dict[str, str] = {}
    for path in files:
        name = path.relative_to(reports).as_posix()
        try:
            size = path.stat().st_size
            if size > MAX_REPORT_BYTES:
                result.skipped.append((name, f"文件过大（{size / 2**20:.0f} MB，上限 {MAX_REPORT_BYTES // 2**20} MB）："
                                             "请拆分成多份报告"))
                continue
            data = path.read_bytes()
        except OSError as exc:
            result.skipped.append((name, f"无法读取（{exc.strerror}）"))
            continue
        digest = content_hash(data)
        if digest in by_hash:
            result.skipped.append((name, f"与 {by_hash[digest]} 内容相同，未重复索引"))
            continue
        by_hash[digest] = name
        current[name] = (path, digest)
        sizes[name] = len(data)
    return current, sizes


def plan_update(old_reports: dict, current: dict[str, tuple[Path, str]], result: BuildResult) -> set[str]:
    """The reports an update keeps as they are (same name, same content hash); the others go to
    ``result``'s removed, changed and added lists."""
    keep = {s for s, meta in old_reports.items() if s in current and meta.get("sha256") == current[s][1]}
    result.unchanged = sorted(keep)
    result.removed = sorted(s for s in old_reports if s not in current)
    result.changed = sorted(s for s in old_reports if s in current and s not in keep)
    result.added = sorted(s for s in current if s not in old_reports)
    return keep


def rebuild_reasons(m: dict, emb, chunk: ChunkParams) -> list[str]:
    """Why an index with manifest ``m`` cannot be updated in place with embedder ``emb`` and
    chunking ``chunk`` (an empty list when it can)."""
    reasons = []
    if m["embedder"]["id"] != emb_id(emb):
        reasons.append(f"向量模型由 {m['embedder']['id']} 改为 {emb_id(emb)}")
    if m.get("chunking") != asdict(chunk):
        reasons.append("分段参数已改变")
    if m.get("dictionary_hash") != data_hash():
        reasons.append("词典或同义词表已改变")
    if m.get("package_version") != __version__:
        reasons.append(f"程序版本由 {m.get('package_version')} 改为 {__version__}")
    return reasons


def build_index(reports: str | Path = "seeds", index: str | Path = "index", *, full: bool = False,
                embedder: str | Embedder | None = None, chunk: ChunkParams | None = None,
                progress: bool = False, wait: float = 0.0,
                on_event: Callable[[str], None] | None = None) -> BuildResult:
    """Build or update the index of the reports in a folder.

    Incremental by default: only added or changed reports are read and embedded, removed ones
    are dropped. A full rebuild happens with ``full=True`` or when the index cannot be reused
    (other embedder, chunking, dictionary, or a damaged index).

    Args:
        reports: folder of ``.txt``/``.md`` reports.
        index: folder of the index (created or replaced atomically), or ``milvus:<uri>`` for
            the index in Milvus (:mod:`qa.milvus`: a Milvus Lite ``.db`` path or a server URL).
        full: rebuild everything.
        embedder: None keeps the index's embedder (the built-in one for a new index); "builtin";
            a sentence-transformers model name or folder; or an :class:`Embedder`.
        chunk: chunking parameters.
        progress: show progress bars on the terminal for long steps.
        wait: seconds to wait for another build's lock.
        on_event: called with a short message at each step (for a UI).

    Returns:
        A :class:`BuildResult`.

    Raises:
        NotAnIndex: ``index`` is not an index, an empty folder or a new path (nothing is touched).
        BuildLocked, ReportError (no reports folder), EmbedderUnavailable, QAError.
    """
    from .index_store import is_milvus
    if is_milvus(index):    # milvus:<uri>, never a folder of that name
        from .milvus import build_milvus
        return build_milvus(reports, str(index), full=full, embedder=embedder, chunk=chunk,
                            progress=progress, wait=wait, on_event=on_event)
    started = time.monotonic()
    reports, folder = Path(reports), Path(index)
    chunk = chunk or ChunkParams()
    say = on_event or (lambda msg: None)
    check_replaceable(folder)        # before the lock file is made: a refused build touches nothing
    folder.parent.mkdir(parents=True, exist_ok=True)

    with build_lock(folder, wait=wait):
        check_replaceable(folder)
        _recover(folder)
        result = BuildResult(index=str(folder), full=full)

        # ---- what is there (a report already indexed keeps its name when a copy turns up)
        try:
            known = set(read_manifest(folder).get("reports", {}))
        except QAError:
            known = set()
        current, sizes = scan_reports(reports, known, result)

        # ---- what the old index can give
        old: IndexData | None = None
        if not full:
            try:
                old = load_index(folder, text=False)
            except IndexMissing:
                old = None
            except QAError as exc:
                result.notes.append(f"旧索引无法使用，已全量重建：{exc}")
                old = None
            if old is not None and not old.manifest["passages"]:
                old = None          # nothing to keep: a full build
        emb = _resolve_embedder(embedder, old)
        if old is not None:
            m = old.manifest
            reasons = rebuild_reasons(m, emb, chunk)
            if m.get("files") is None:
                reasons.append("索引没有记录文件校验和（由旧版本建立）")
            if reasons:
                result.notes.append("；".join(reasons) + "：全量重建")
                old = None
        result.full = old is None

        old_reports = old.manifest.get("reports", {}) if old else {}
        keep_sources = plan_update(old_reports, current, result)

        # ---- read, clean, chunk, tokenise and count what is new: in worker processes when
        # there is a lot of it (tokenising is most of a build's time, and jieba is pure Python)
        say("读取报告")
        todo = sorted(set(result.changed) | set(result.added))
        # Word, PDF and image files are read here, one page after another with a message per
        # page (OCR takes seconds a page); text reports are shared among the workers.
        docs = [name for name in todo if is_document(name)]
        texts = [name for name in todo if name not in set(docs)]
        workers = build_workers(sum(sizes[name] for name in texts))
        new_passages: list[Passage] = []
        new_counts: list[TermCounts] = []
        new_figures: list[dict] = []
        report_meta = {s: old_reports[s] for s in keep_sources}
        prepared_all = {}
        for name in docs:
            prepared_all[name] = _prepare_report((name, current[name][0], chunk),
                                                 on_page=_page_events(name, say, progress))
        jobs = [(name, current[name][0], chunk) for name in texts]
        for item in _map(_prepare_report, jobs, workers, progress, "分词", "份"):
            prepared_all[item[0]] = item
        for name, reason, prepared in (prepared_all[name] for name in todo):
            if reason is not None:
                result.skipped.append((name, reason))
                for lst in (result.added, result.changed):
                    if name in lst:
                        lst.remove(name)
                continue
            meta, passages, counts, figures = prepared
            new_passages.extend(passages)
            new_counts.append(counts)
            new_figures.extend(figures)
            report_meta[name] = {"sha256": current[name][1], **meta}

        # Adding reports to an index keeps all its rows as they are: its passages and figures
        # files are copied, not parsed and written again (most of an add's time at 100k passages).
        n_old = old.manifest["passages"] if old else 0
        append_only = old is not None and keep_sources == set(old_reports)
        if old is not None and not append_only:
            old.passages = read_passages(old.path, n_old)
        kept_rows = range(n_old) if append_only else \
            [i for i, p in enumerate(old.passages) if p.source in keep_sources] if old else []
        n_all = len(kept_rows) + len(new_passages)

        # ---- embedder: the built-in one is refitted on full builds and when the corpus grew
        refit = False
        if isinstance(emb, LsaEmbedder) and old is not None:
            fitted_on = old.manifest.get("fit_passages") or 1
            if n_all > REFIT_GROWTH * fitted_on:
                refit = True
                result.notes.append(f"语料已由 {fitted_on} 段增至 {n_all} 段：重新拟合内置向量模型")
        copy_old = append_only and not refit and emb is not None
        if copy_old:
            all_passages = new_passages      # written after the old rows, which are copied
        elif old is not None:
            if old.passages is None:
                old.passages = read_passages(old.path, n_old)
            all_passages = [old.passages[i] for i in kept_rows] + new_passages
        else:
            all_passages = new_passages
        if emb is None or refit:
            say("拟合内置向量模型")
            emb = LsaEmbedder.fit([index_text(p) for p in all_passages]) if all_passages else None
            fit_passages = len(all_passages)
        else:
            fit_passages = old.manifest.get("fit_passages") if old else len(all_passages)

        say("计算向量")
        to_embed = all_passages if refit else new_passages   # a refitted embedder embeds them all
        new_vecs = _embed_batches(emb, [index_text(p) for p in to_embed], progress, workers=workers) if emb \
            else np.zeros((0, 1), dtype=np.float32)
        result.embedded = len(to_embed)
        say("建立检索索引")
        if old is not None and kept_rows:
            only_appended = len(kept_rows) == n_old
            bm25 = (old.bm25 if only_appended else old.bm25.take(kept_rows)).extend_counts(new_counts)
            if refit:
                vectors = make_vector_index(new_vecs)
            elif only_appended and vector_index_kind(old.vectors) == vector_kind_for(n_all):
                vectors = old.vectors
                if len(new_vecs):
                    with building_threads():
                        vectors.add(np.ascontiguousarray(new_vecs))
            else:
                old_vecs = all_vectors(old.vectors)[np.asarray(kept_rows, dtype=np.int64)]
                vectors = make_vector_index(np.vstack([old_vecs, new_vecs]) if len(new_vecs) else old_vecs)
        else:
            bm25 = Bm25.from_counts(new_counts)
            dim = emb.dim if emb else 1
            vectors = make_vector_index(new_vecs if len(new_vecs) else np.zeros((0, dim), dtype=np.float32))

        if copy_old:
            figures = new_figures       # after the old rows, copied
            n_figures = _old_figure_count(old) + len(new_figures)
        else:
            kept_figures = [f for f in old.figures if f["source"] in keep_sources] if old else []
            figures = kept_figures + new_figures
            n_figures = len(figures)

        result.passages = n_all
        result.embedder = emb_id(emb)
        manifest = {
            "format_version": FORMAT_VERSION,
            "package_version": __version__,
            "built_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "embedder": {"id": emb_id(emb), "dim": int(vectors.d)},
            "vector_index": vector_index_kind(vectors),
            "chunking": asdict(chunk),
            "dictionary_hash": data_hash(),
            "bm25": {"k1": bm25.k1, "b": bm25.b},
            "passages": n_all,
            "fit_passages": fit_passages,
            "figures": n_figures,
            "reports": dict(sorted(report_meta.items())),
            # why files were not indexed (the first few): an index of no report says why
            "skipped": dict(sorted(result.skipped)[:20]),
            "skipped_total": len(result.skipped),
        }
        say("写入索引")
        tmp = folder.parent / f".{folder.name}.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        try:
            _write(tmp, manifest, all_passages, vectors, bm25, emb, figures, old.path if copy_old else None)
            _swap_in(tmp, folder)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        result.seconds = time.monotonic() - started
        say("完成")
        return result


def emb_id(emb: Embedder | None) -> str:
    return BUILTIN_ID if emb is None else emb.id


def _resolve_embedder(spec, old: IndexData | None) -> Embedder | None:
    """The embedder a build uses; None means "fit the built-in one"."""
    if spec is None:
        if old is None or old.embedder_id == BUILTIN_ID:
            return old.embedder if old else None
        return SentenceTransformerEmbedder(old.embedder_id.removeprefix("st:"))
    if isinstance(spec, str):
        if is_builtin(spec):
            return old.embedder if old and old.embedder_id == BUILTIN_ID else None
        return SentenceTransformerEmbedder(spec)
    if isinstance(spec, Embedder):
        return spec
    raise EmbedderMismatch(f"embedder={spec!r}: 需要模型名称、本地路径或 Embedder 对象")


def _old_figure_count(old: IndexData) -> int:
    n = old.manifest.get("figures")
    if isinstance(n, int):
        return n
    path = old.path / "figures.jsonl"
    return path.read_bytes().count(b"\n") if path.exists() else 0


def _passage_row(p: Passage) -> dict:
    row = {k: getattr(p, k) for k in _BASE_FIELDS}
    if p.page is not None:
        row["page"] = p.page
    if p.doubtful:
        row["doubtful"] = [list(span) for span in p.doubtful]
    return row


def _write(folder: Path, manifest: dict, passages: list[Passage], vectors, bm25: Bm25,
           emb: Embedder | None, figures: list[dict], append_to: Path | None = None) -> None:
    """Write an index into ``folder``; with ``append_to``, the passages and figures are rows
    added to those of the index there, whose files are copied first."""
    import faiss
    mode = "w"
    if append_to is not None:
        for name in ("passages.jsonl", "figures.jsonl"):
            if (append_to / name).exists():
                shutil.copyfile(append_to / name, folder / name)
        mode = "a"
    with open(folder / "passages.jsonl", mode, encoding="utf-8") as f:
        # Passage.to_dict without asdict's deep copy
        f.writelines(json.dumps(_passage_row(p), ensure_ascii=False) + "\n" for p in passages)
    faiss.write_index(vectors, str(folder / "vectors.faiss"))
    bm25.save(folder)
    if isinstance(emb, LsaEmbedder):
        emb.save(folder)
    with open(folder / "figures.jsonl", mode, encoding="utf-8") as f:
        f.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in figures)
    manifest = dict(manifest, files=file_record(folder, (p.name for p in folder.iterdir())))
    # the manifest goes last: an index without one is never taken for a whole one
    path = _manifest_path(folder)
    path.with_suffix(".tmp").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(path.with_suffix(".tmp"), path)
