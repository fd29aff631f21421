"""Shared fixtures: the index of the bundled reports, a deterministic fake embedder, tiny reports.

Tests never read a user's reports library (reports/) and never write into seeds/: they build
from their own copies of the five bundled reports (:func:`copy_bundled`) in temporary folders.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
DATA = Path(__file__).resolve().parent / "data"
SHARED = ROOT.parent / "shared"
# The bundled reports the tests expect (seeds/ may hold others on a user's machine).
BUNDLED = ("000_ad651ca938ec0b06.txt", "001_9aadff44d77565b3.txt", "002_214ee2ef5971fb18.txt",
           "003_f4a81f0fcfe9b1a3.txt", "004_a6f4e72832cc6f8e.txt")


def bundled_paths() -> list[Path]:
    return [SEEDS / name for name in BUNDLED]


def copy_bundled(dest: Path) -> Path:
    """The five bundled reports, copied into ``dest`` (created), writable."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in BUNDLED:
        shutil.copyfile(SEEDS / name, dest / name)
        (dest / name).chmod(0o644)
    return dest


class FakeEmbedder:
    """Deterministic embedder for fast unit tests: hashed character bigrams, unit length."""

    id = "fake-hash-512"
    dim = 512

    def embed(self, texts):
        if isinstance(texts, str):
            texts = [texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for r, t in enumerate(texts):
            for a, b in zip(t, t[1:]):
                h = int.from_bytes(hashlib.blake2b((a + b).encode(), digest_size=4).digest(), "little")
                out[r, h % self.dim] += 1.0
            n = np.linalg.norm(out[r])
            out[r] = out[r] / n if n else out[r]
            if not n:
                out[r, 0] = 1.0
        return out


@pytest.fixture
def fake_embedder():
    return FakeEmbedder()


@pytest.fixture(scope="session")
def bundled_reports(tmp_path_factory) -> Path:
    """A copy of the five bundled reports for the session (read it, do not change it)."""
    return copy_bundled(tmp_path_factory.mktemp("bundled") / "reports")


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory, bundled_reports) -> Path:
    """The index of the bundled reports, built once per test session with the built-in embedder."""
    from qa import build_index
    folder = tmp_path_factory.mktemp("seed-index") / "index"
    build_index(bundled_reports, folder, full=True)
    return folder


@pytest.fixture(scope="session")
def assistant(seed_index):
    from qa import Assistant
    return Assistant.load(seed_index)


def app_on_copy(tmp: Path, seed_index: Path):
    """app.py configured on a copy of the bundled reports and of their index (in ``tmp``);
    returns the app module. The caller sets ``app.LIBRARY = None`` when done."""
    import io
    import sys
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import app
    reports = copy_bundled(tmp / "reports")
    shutil.copytree(seed_index, tmp / "index")
    app.configure(reports, tmp / "index").prepare(progress=False, out=io.StringIO())
    return app


@pytest.fixture
def tiny_reports(tmp_path) -> Path:
    """A copy of the tiny reports written for the tests, in a folder the test may change."""
    folder = tmp_path / "reports"
    shutil.copytree(DATA / "reports", folder)
    return folder
