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
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from . import __version__
from .embedders import BUILTIN_ID, Embedder, LsaEmbedder, SentenceTransformerEmbedder, is_builtin
from .errors import BuildLocked, EmbedderMismatch, IndexCorrupt, IndexMissing, QAError, ReportError
from .lexicon import data_hash, tokenize
from .passages import ChunkParams, Passage, chunk_report
from .reports import content_hash, decode_report, list_reports, parse_report

FORMAT_VERSION = 1
FIX = "qa build --full"
# Past this many passages an approximate FAISS index (HNSW) replaces exact search;
# bench/ measured where exact search stops being fast enough.
HNSW_THRESHOLD = 200_000
# The built-in embedder is refitted (a full rebuild) once the corpus has grown this much
# since it was fitted, so that new reports' vocabulary is not lost to dense search.
REFIT_GROWTH = 2.0


# --------------------------------------------------------------------------- BM25

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
        from scipy import sparse
        vocab = list(vocab or [])
        index = {t: i for i, t in enumerate(vocab)}
        indptr, indices, data = [0], [], []
        for tokens in token_lists:
            row: dict[int, int] = {}
            for t in tokens:
                j = index.get(t)
                if j is None:
                    j = index[t] = len(vocab)
                    vocab.append(t)
                row[j] = row.get(j, 0) + 1
            cols = sorted(row)
            indices.extend(cols)
            data.extend(row[c] for c in cols)
            indptr.append(len(indices))
        counts = sparse.csr_matrix(
            (np.asarray(data, dtype=np.int32), np.asarray(indices, dtype=np.int32),
             np.asarray(indptr, dtype=np.int64)), shape=(len(indptr) - 1, len(vocab)))
        return cls(vocab, counts)

    def take(self, rows: Sequence[int]) -> "Bm25":
        return Bm25(self.vocab, self.counts[np.asarray(rows, dtype=np.int64)], self.k1, self.b)

    def extend(self, other_tokens: Iterable[list[str]]) -> "Bm25":
        """This index with more passages appended (the vocabulary grows as needed)."""
        from scipy import sparse
        extra = Bm25.from_tokens(other_tokens, vocab=list(self.vocab))
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

def make_vector_index(vectors: np.ndarray, kind: str | None = None):
    """A FAISS inner-product index over unit vectors: exact, or HNSW past the threshold."""
    import faiss
    n, dim = vectors.shape
    kind = kind or ("hnsw" if n >= HNSW_THRESHOLD else "flat")
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 96
    else:
        index = faiss.IndexFlatIP(dim)
    if n:
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def vector_index_kind(index) -> str:
    import faiss
    return "hnsw" if isinstance(index, faiss.IndexHNSW) else "flat"


def all_vectors(index) -> np.ndarray:
    if index.ntotal == 0:
        return np.zeros((0, index.d), dtype=np.float32)
    return index.reconstruct_n(0, index.ntotal)


# --------------------------------------------------------------------------- the loaded index

@dataclass
class IndexData:
    """Everything ``load_index`` reads: what the retriever and the composer work on."""

    path: Path
    manifest: dict
    passages: list[Passage]
    vectors: object               # faiss.Index
    bm25: Bm25
    embedder: Embedder | None     # the built-in embedder, fitted; None for sentence-transformers
    figures: list[dict]

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
        raise IndexMissing(f"没有找到索引 {folder}/ (no index)；请先运行 `qa build` 建立索引")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexCorrupt(f"索引清单 {path} 已损坏 ({exc})；请运行 `{FIX}`") from None
    version = manifest.get("format_version") if isinstance(manifest, dict) else None
    if version != FORMAT_VERSION:
        newer = isinstance(version, int) and version > FORMAT_VERSION
        raise IndexCorrupt(
            f"索引格式版本 {version!r} 与本程序的 {FORMAT_VERSION} 不符"
            f"{'（由更新的版本建立）' if newer else ''}；请运行 `{FIX}` 重建")
    return manifest


def load_index(folder: str | Path) -> IndexData:
    """Load and check the index in ``folder``.

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
    try:
        passages = [Passage.from_dict(json.loads(line))
                    for line in (folder / "passages.jsonl").read_text(encoding="utf-8").splitlines() if line]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, TypeError) as exc:
        raise IndexCorrupt(f"passages.jsonl 已损坏 ({type(exc).__name__}: {exc})；请运行 `{FIX}`") from None
    n = manifest.get("passages")
    if len(passages) != n:
        raise IndexCorrupt(f"passages.jsonl 有 {len(passages)} 条，清单记录 {n} 条；请运行 `{FIX}`")
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
        raise IndexCorrupt(f"BM25 索引已损坏 ({type(exc).__name__}: {exc})；请运行 `{FIX}`") from None
    if bm25.counts.shape[0] != n:
        raise IndexCorrupt(f"BM25 索引有 {bm25.counts.shape[0]} 行，应为 {n}；请运行 `{FIX}`")
    embedder = LsaEmbedder.load(folder) if manifest["embedder"]["id"] == BUILTIN_ID else None
    if embedder is not None and embedder.dim != dim:
        raise IndexCorrupt(f"内置向量模型维度 {embedder.dim} 与清单 {dim} 不符；请运行 `{FIX}`")
    figures = []
    fig_path = folder / "figures.jsonl"
    if fig_path.exists():
        try:
            figures = [json.loads(line) for line in fig_path.read_text(encoding="utf-8").splitlines() if line]
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise IndexCorrupt(f"figures.jsonl 已损坏 ({exc})；请运行 `{FIX}`") from None
    return IndexData(folder, manifest, passages, vectors, bm25, embedder, figures)


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

    def summary(self) -> str:
        kind = "全量重建" if self.full else "增量更新"
        lines = [f"{kind} {self.index}：{self.reports} 份报告，{self.passages} 个段落；"
                 f"新增 {len(self.added)}，更新 {len(self.changed)}，删除 {len(self.removed)}，"
                 f"未变 {len(self.unchanged)}；嵌入 {self.embedded} 段，用时 {self.seconds:.1f} 秒"]
        lines += [f"  注意：{n}" for n in self.notes]
        lines += [f"  跳过 {name}：{reason}" for name, reason in self.skipped]
        return "\n".join(lines)


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


def _progress(iterable, total: int, desc: str, enabled: bool):
    if not enabled:
        return iterable
    from tqdm import tqdm
    # shown only when the step takes more than a couple of seconds
    return tqdm(iterable, total=total, desc=desc, delay=2.0, unit="段", leave=False)


def _embed_batches(embedder: Embedder, texts: list[str], progress: bool, batch: int = 512) -> np.ndarray:
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    parts = []
    starts = range(0, len(texts), batch)
    for s in _progress(starts, len(starts), "嵌入", progress):
        parts.append(embedder.embed(texts[s:s + batch]))
    return np.vstack(parts).astype(np.float32)


def index_text(p: Passage) -> str:
    """What is indexed for a passage: its place and article title give the text its context."""
    return f"{p.place or ''} {p.section}\n{p.text}"


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
        index: folder of the index (created or replaced atomically).
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
        BuildLocked, ReportError (no reports folder), EmbedderUnavailable, QAError.
    """
    started = time.monotonic()
    reports, folder = Path(reports), Path(index)
    chunk = chunk or ChunkParams()
    say = on_event or (lambda msg: None)
    folder.parent.mkdir(parents=True, exist_ok=True)

    with build_lock(folder, wait=wait):
        _recover(folder)
        result = BuildResult(index=str(folder), full=full)

        # ---- what is there
        files, skipped = list_reports(reports)
        result.skipped.extend(skipped)
        current: dict[str, tuple[Path, str]] = {}
        by_hash: dict[str, str] = {}
        for path in files:
            name = path.relative_to(reports).as_posix()
            try:
                data = path.read_bytes()
            except OSError as exc:
                result.skipped.append((name, f"无法读取 ({exc.strerror})"))
                continue
            digest = content_hash(data)
            if digest in by_hash:
                result.skipped.append((name, f"与 {by_hash[digest]} 内容相同，未重复索引 (duplicate of {by_hash[digest]})"))
                continue
            by_hash[digest] = name
            current[name] = (path, digest)

        # ---- what the old index can give
        old: IndexData | None = None
        if not full:
            try:
                old = load_index(folder)
            except IndexMissing:
                old = None
            except QAError as exc:
                result.notes.append(f"旧索引无法使用，已全量重建：{exc}")
                old = None
        emb = _resolve_embedder(embedder, old)
        if old is not None:
            m = old.manifest
            reasons = []
            if m["embedder"]["id"] != emb_id(emb):
                reasons.append(f"向量模型由 {m['embedder']['id']} 改为 {emb_id(emb)}")
            if m.get("chunking") != asdict(chunk):
                reasons.append("分段参数已改变")
            if m.get("dictionary_hash") != data_hash():
                reasons.append("词典或同义词表已改变")
            if reasons:
                result.notes.append("；".join(reasons) + "：全量重建")
                old = None
        result.full = old is None

        old_reports = old.manifest.get("reports", {}) if old else {}
        keep_sources = {s for s, meta in old_reports.items()
                        if s in current and meta.get("sha256") == current[s][1]}
        result.unchanged = sorted(keep_sources)
        result.removed = sorted(s for s in old_reports if s not in current)
        result.changed = sorted(s for s in old_reports if s in current and s not in keep_sources)
        result.added = sorted(s for s in current if s not in old_reports)

        # ---- read, clean and chunk what is new
        say("读取报告")
        new_passages: list[Passage] = []
        report_meta = {s: old_reports[s] for s in keep_sources}
        for name in sorted(set(result.changed) | set(result.added)):
            path, digest = current[name]
            try:
                report = parse_report(decode_report(path.read_bytes(), name), name)
                passages = chunk_report(report, chunk)
                if not passages:
                    raise ReportError(name, "没有可回答的正文 (no answerable text after cleaning)")
            except ReportError as exc:
                result.skipped.append((name, exc.reason))
                for lst in (result.added, result.changed):
                    if name in lst:
                        lst.remove(name)
                continue
            new_passages.extend(passages)
            report_meta[name] = {"sha256": digest, "title": report.title, "date": report.date,
                                 "passages": len(passages), "sections": len(report.sections),
                                 "dropped": report.dropped}

        kept_rows = [i for i, p in enumerate(old.passages) if p.source in keep_sources] if old else []
        kept = [old.passages[i] for i in kept_rows] if old else []
        all_passages = kept + new_passages

        # ---- embedder: the built-in one is refitted on full builds and when the corpus grew
        refit = False
        if isinstance(emb, LsaEmbedder) and old is not None:
            fitted_on = old.manifest.get("fit_passages") or 1
            if len(all_passages) > REFIT_GROWTH * fitted_on:
                refit = True
                result.notes.append(f"语料已由 {fitted_on} 段增至 {len(all_passages)} 段：重新拟合内置向量模型")
        if emb is None or refit:
            say("拟合内置向量模型")
            emb = LsaEmbedder.fit([index_text(p) for p in all_passages]) if all_passages else None
            fit_passages = len(all_passages)
        else:
            fit_passages = old.manifest.get("fit_passages") if old else len(all_passages)
        if refit:
            kept_rows, kept, new_passages = [], [], all_passages

        say("计算向量")
        new_vecs = _embed_batches(emb, [index_text(p) for p in new_passages], progress) if emb else \
            np.zeros((0, 1), dtype=np.float32)
        result.embedded = len(new_passages)
        say("建立检索索引")
        tokens = [tokenize(index_text(p)) for p in _progress(new_passages, len(new_passages), "分词", progress)]
        if old is not None and kept_rows:
            bm25 = old.bm25.take(kept_rows).extend(tokens)
            only_appended = len(kept_rows) == len(old.passages)
            if only_appended and vector_index_kind(old.vectors) == ("hnsw" if len(all_passages) >= HNSW_THRESHOLD else "flat"):
                vectors = old.vectors
                if len(new_vecs):
                    vectors.add(np.ascontiguousarray(new_vecs))
            else:
                old_vecs = all_vectors(old.vectors)[np.asarray(kept_rows, dtype=np.int64)]
                vectors = make_vector_index(np.vstack([old_vecs, new_vecs]) if len(new_vecs) else old_vecs)
        else:
            bm25 = Bm25.from_tokens(tokens)
            dim = emb.dim if emb else 1
            vectors = make_vector_index(new_vecs if len(new_vecs) else np.zeros((0, dim), dtype=np.float32))

        from .figures import figure_table
        kept_figures = [f for f in old.figures if f["source"] in keep_sources] if old else []
        figures = kept_figures + figure_table(new_passages)

        result.passages = len(all_passages)
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
            "passages": len(all_passages),
            "fit_passages": fit_passages,
            "figures": len(figures),
            "reports": dict(sorted(report_meta.items())),
        }
        say("写入索引")
        tmp = folder.parent / f".{folder.name}.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        try:
            _write(tmp, manifest, all_passages, vectors, bm25, emb, figures)
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


def _write(folder: Path, manifest: dict, passages: list[Passage], vectors, bm25: Bm25,
           emb: Embedder | None, figures: list[dict]) -> None:
    import faiss
    with open(folder / "passages.jsonl", "w", encoding="utf-8") as f:
        for p in passages:
            f.write(json.dumps(p.to_dict(), ensure_ascii=False) + "\n")
    faiss.write_index(vectors, str(folder / "vectors.faiss"))
    bm25.save(folder)
    if isinstance(emb, LsaEmbedder):
        emb.save(folder)
    with open(folder / "figures.jsonl", "w", encoding="utf-8") as f:
        for row in figures:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    # the manifest goes last: an index without one is never taken for a whole one
    path = _manifest_path(folder)
    path.with_suffix(".tmp").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(path.with_suffix(".tmp"), path)
