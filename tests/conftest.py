"""Shared fixtures: the index of the bundled reports, a deterministic fake embedder, tiny reports."""

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
def seed_index(tmp_path_factory) -> Path:
    """The index of the bundled reports, built once per test session with the built-in embedder."""
    from qa import build_index
    folder = tmp_path_factory.mktemp("seed-index") / "index"
    build_index(SEEDS, folder, full=True)
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
    reports = tmp / "reports"
    shutil.copytree(SEEDS, reports)
    for f in reports.iterdir():
        f.chmod(0o644)
    shutil.copytree(seed_index, tmp / "index")
    app.configure(reports, tmp / "index").prepare(progress=False, out=io.StringIO())
    return app


@pytest.fixture
def tiny_reports(tmp_path) -> Path:
    """A copy of the tiny reports written for the tests, in a folder the test may change."""
    folder = tmp_path / "reports"
    shutil.copytree(DATA / "reports", folder)
    return folder
