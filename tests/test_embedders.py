"""Embedders: the built-in offline one, and the sentence-transformers path with a tiny local model."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from qa import Assistant, build_index
from qa.embedders import Embedder, LsaEmbedder, SentenceTransformerEmbedder
from qa.errors import EmbedderUnavailable, InvalidParameter
from qa.store import read_manifest

from conftest import ROOT, bundled_paths

TEXTS = ["全市基层工会组织1200个", "工会会员总数35.6万人", "筹集金秋助学资金120.5万元",
         "培训下岗职工1200人", "调处劳动争议356件", "建成职工书屋52个"]


def test_builtin_embedder_is_deterministic_and_unit_length(tmp_path):
    a = LsaEmbedder.fit(TEXTS, dim=4)
    b = LsaEmbedder.fit(TEXTS, dim=4)
    va, vb = a.embed(TEXTS), b.embed(TEXTS)
    assert va.shape == (6, 4) and va.dtype == np.float32
    assert np.allclose(np.linalg.norm(va, axis=1), 1.0, atol=1e-5)
    assert np.allclose(va, vb)
    assert isinstance(a, Embedder)
    a.save(tmp_path)
    c = LsaEmbedder.load(tmp_path)
    assert np.allclose(c.embed(TEXTS), va, atol=1e-2)   # stored as float16
    assert a.embed("职工书屋").shape == (1, 4)          # one text goes through the batch path
    assert a.embed([]).shape == (0, 4)


def test_builtin_embedder_puts_related_text_closer():
    a = LsaEmbedder.fit(TEXTS * 3, dim=5)
    q = a.embed(["职工书屋有多少个"])[0]
    sims = a.embed(TEXTS) @ q
    assert int(np.argmax(sims)) == TEXTS.index("建成职工书屋52个")


def test_builtin_embedder_refuses_nothing_to_fit():
    with pytest.raises(InvalidParameter):
        LsaEmbedder.fit([])


def test_an_unavailable_model_gives_a_clear_error(tmp_path):
    pytest.importorskip("sentence_transformers")
    with pytest.raises(EmbedderUnavailable, match="本地目录"):
        SentenceTransformerEmbedder(str(tmp_path / "no-such-model"))


def test_default_path_does_not_import_torch(seed_index):
    code = (f"import sys; from qa import Assistant; a = Assistant.load({str(seed_index)!r}); "
            "a.ask('防城港市组建了多少个工会组织？'); "
            "bad = [m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


def _tiny_model(folder):
    """A tiny BERT built here from the characters of the reports, saved as a sentence-transformers model."""
    torch = pytest.importorskip("torch")
    from sentence_transformers import SentenceTransformer
    try:
        from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    except ImportError:  # sentence-transformers before 6
        from sentence_transformers.models import Pooling, Transformer
    from transformers import BertConfig, BertModel, BertTokenizer

    chars = sorted({ch for p in bundled_paths() for ch in p.read_text(encoding="utf-8") if not ch.isspace()})
    raw = folder / "raw"
    raw.mkdir()
    (raw / "vocab.txt").write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + chars),
                                   encoding="utf-8")
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(chars) + 5, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=512)
    BertModel(config).save_pretrained(raw)
    BertTokenizer(vocab_file=str(raw / "vocab.txt"), tokenize_chinese_chars=True).save_pretrained(raw)
    word = Transformer(str(raw), max_seq_length=256)
    pooling = Pooling(32, pooling_mode="mean")
    out = folder / "tiny-st"
    SentenceTransformer(modules=[word, pooling], device="cpu").save(str(out))
    return out


@pytest.mark.slow
def test_sentence_transformers_path_offline_with_a_tiny_model(tiny_reports, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model = _tiny_model(tmp_path)
    emb = SentenceTransformerEmbedder(str(model))
    vecs = emb.embed(["株洲市职工书屋", "醴陵市劳动争议"])
    assert vecs.shape == (2, 32) and np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)

    index = tmp_path / "index"
    res = build_index(tiny_reports, index, embedder=str(model))
    m = read_manifest(index)
    assert m["embedder"] == {"id": f"st:{model}", "dim": 32} and res.embedder == f"st:{model}"
    a = Assistant.load(index)                       # loads the model named in the manifest
    assert a.embedder.id == f"st:{model}"
    assert a.ask("株洲市介绍就业多少人？").short == "800人"
    assert a.search("醴陵市调处劳动争议", k=3, mode="dense")
    # an incremental build keeps the model the index was built with
    (tiny_reports / "xiangtan.txt").write_text("湘潭市总工会 服务职工\n\n全市新建职工书屋66个。\n", encoding="utf-8")
    again = build_index(tiny_reports, index)
    assert not again.full and again.added == ["xiangtan.txt"] and again.embedder == f"st:{model}"
