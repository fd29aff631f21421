"""One suite over every store: the local index folder, Milvus Lite, and a Milvus server.

Milvus Lite (marker ``milvus``) runs everywhere: the test extra installs pymilvus and
milvus-lite, and without them these tests fail rather than skip (QA_SKIP_MILVUS=1 skips them
on purpose). A server (marker ``milvus_server``) only when MILVUS_URI is set (token from
QA_MILVUS_TOKEN), each test in collections of its own, dropped afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT, SHARED, copy_bundled

from qa import Assistant, build_index
from qa.errors import IndexCorrupt, IndexMissing, InvalidParameter, MilvusUnavailable, QAError
from qa.index_store import is_milvus

DEV = SHARED / "eval" / "dev.jsonl"
MILVUS_URI = os.environ.get("MILVUS_URI", "").strip()

STORES = [
    "local",
    pytest.param("lite", marks=pytest.mark.milvus),
    pytest.param("server", marks=[pytest.mark.milvus, pytest.mark.milvus_server]),
]


def _need(kind: str) -> None:
    """Milvus Lite tests fail, not skip, without pymilvus and milvus-lite: the test extra
    installs them, so a CI that lacks them is broken (QA_SKIP_MILVUS=1 skips them on purpose)."""
    if kind == "local":
        return
    for module in ("pymilvus", "milvus_lite"):
        try:
            __import__(module)
        except ImportError:
            if os.environ.get("QA_SKIP_MILVUS"):
                pytest.skip(f"{module} is not installed and QA_SKIP_MILVUS is set")
            pytest.fail(f"{module} is not installed: pip install -e \".[test]\" installs it "
                        "(QA_SKIP_MILVUS=1 skips the Milvus tests)")
    if kind == "server" and not MILVUS_URI:
        pytest.skip("no Milvus server: set MILVUS_URI (and QA_MILVUS_TOKEN) to run the server tests")


class Indexes:
    """Index arguments of one store kind; server collections are dropped at the end."""

    def __init__(self, kind: str, tmp: Path):
        self.kind, self.tmp, self.names = kind, tmp, []

    def new(self, label: str = "index") -> str | Path:
        if self.kind == "local":
            return self.tmp / label
        if self.kind == "lite":
            return f"milvus:{self.tmp / label}.db"
        name = f"t{uuid.uuid4().hex[:12]}"
        self.names.append(name)
        return f"milvus:{MILVUS_URI}#{name}"

    def cleanup(self) -> None:
        if not self.names:
            return
        from qa.milvus import connect, parse_spec, release
        spec = parse_spec(f"milvus:{MILVUS_URI}")
        client = connect(spec)
        try:
            for c in client.list_collections():
                if any(c.startswith(n + "_") for n in self.names):
                    client.drop_collection(c)
        finally:
            release(spec, client)


@pytest.fixture(params=STORES)
def indexes(request, tmp_path):
    _need(request.param)
    ix = Indexes(request.param, tmp_path)
    yield ix
    ix.cleanup()


@pytest.fixture(scope="module", params=STORES)
def bundled_index(request, tmp_path_factory, bundled_reports):
    """The bundled reports built into each store once (for the read-only tests)."""
    _need(request.param)
    ix = Indexes(request.param, tmp_path_factory.mktemp(f"bundled-{request.param}"))
    index = ix.new()
    build_index(bundled_reports, index, full=True)
    assistant = Assistant.load(index)
    yield request.param, index, assistant
    assistant.close()
    ix.cleanup()


def dev_questions() -> list[str]:
    return [json.loads(line)["question"] for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]


def ids(hits) -> list[str]:
    return [h.passage_id for h in hits]


# --------------------------------------------------------------------------- same answers

def test_dev_questions_same_top5_and_answers_as_local(bundled_index, assistant):
    """Every store gives the local index's top-5 passages (three modes) and answers on the
    development questions (the local store against a second build of its own)."""
    kind, _, other = bundled_index
    assert other.data.manifest["passages"] == assistant.data.manifest["passages"]
    questions = dev_questions()
    assert len(questions) >= 50
    for q in questions:
        for mode in ("hybrid", "bm25", "dense"):
            assert ids(other.search(q, k=5, mode=mode)) == ids(assistant.search(q, k=5, mode=mode)), (kind, mode, q)
        mine, theirs = other.ask(q), assistant.ask(q)
        assert (mine.found, mine.short, mine.text) == (theirs.found, theirs.short, theirs.text), (kind, q)
    follow = other.ask("惠民超市呢？", history=["内江市建了几个困难职工帮扶中心？"])
    assert follow.short == assistant.ask("惠民超市呢？", history=["内江市建了几个困难职工帮扶中心？"]).short


def test_manifest_figures_and_reports_live_with_the_index(bundled_index, assistant):
    kind, _, other = bundled_index
    assert other.reports() == assistant.reports()
    assert other.figures == assistant.figures and len(other.figures) > 100
    for name, meta in assistant.manifest["reports"].items():
        assert other.manifest["reports"][name]["sha256"] == meta["sha256"]
    assert other.manifest["embedder"] == assistant.manifest["embedder"]


def test_store_searches(bundled_index):
    """dense_search, sparse_search, hybrid_search and count, through the store interface."""
    kind, _, a = bundled_index
    store = a.data.store
    passages = a.data.passages
    assert store.count() == len(passages) == a.manifest["passages"]
    target = next(p for p in passages if "职工书屋" in p.text)
    from qa.store import index_text
    vec = a.embedder.embed([index_text(target)])[0]
    dense = store.dense_search(vec, 5)
    assert passages[dense[0][0]].passage_id == target.passage_id
    assert dense[0][1] == pytest.approx(1.0, abs=1e-4)
    assert [s for _, s in dense] == sorted((s for _, s in dense), reverse=True)
    sparse = store.sparse_search({"职工书屋": 1.0}, 10)
    assert sparse and all("职工书屋" in index_text(passages[i]) for i, _ in sparse)
    assert all(s > 0 for _, s in sparse)
    assert store.sparse_search({"不存在的词语xyz": 1.0}, 10) == []
    fused = store.hybrid_search(vec, {"职工书屋": 1.0}, 10)
    assert max(fused, key=fused.get) == dense[0][0] or max(fused, key=fused.get) == sparse[0][0]
    assert set(fused) == {i for i, _ in store.dense_search(vec, 10)} | {i for i, _ in sparse}


# --------------------------------------------------------------------------- builds

def test_incremental_add_and_remove_a_report(indexes, tmp_path):
    """Adding and removing a report changes only that report, the same way in every store;
    after each step the store answers as a local index taken through the same steps."""
    reports = copy_bundled(tmp_path / "reports")
    index = indexes.new()
    local = tmp_path / "local-index"
    build_index(reports, index, full=True)
    build_index(reports, local, full=True)
    name = "004_a6f4e72832cc6f8e.txt"
    question = "防城港市组建了多少个工会组织？"
    shutil.move(reports / name, tmp_path / name)
    res = build_index(reports, index)
    build_index(reports, local)
    assert (res.full, res.removed, res.added, res.embedded) == (False, [name], [], 0)
    with Assistant.load(index) as a, Assistant.load(local) as b:
        assert name not in {r["file"] for r in a.reports()}
        assert all(p.source != name for p in a.data.passages)
        assert all(f["source"] != name for f in a.figures)
        assert a.data.store.count() == len(b.data.passages)
        assert ids(a.search(question)) == ids(b.search(question))
        assert a.ask(question).text == b.ask(question).text
    shutil.move(tmp_path / name, reports / name)
    res = build_index(reports, index)
    build_index(reports, local)
    assert (res.full, res.added, res.removed) == (False, [name], [])
    assert 0 < res.embedded < res.passages
    with Assistant.load(index) as a, Assistant.load(local) as b:
        assert a.ask(question).short == "3135个"
        assert a.figures == b.figures
        for q in dev_questions()[:20] + [question]:
            assert ids(a.search(q)) == ids(b.search(q)), q
            assert a.ask(q).text == b.ask(q).text, q
    events: list[str] = []
    res = build_index(reports, index, on_event=events.append)      # nothing changed
    assert (res.added, res.removed, res.changed, res.embedded) == ([], [], [], 0)
    assert "更新 BM25 权重" not in events                # no row's weights are rewritten


def test_changed_report_is_replaced(indexes, tiny_reports):
    index = indexes.new()
    build_index(tiny_reports, index, full=True)
    path = tiny_reports / "zhuzhou.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\n\n全市新建职工之家777个。\n",
                    encoding="utf-8")
    res = build_index(tiny_reports, index)
    assert res.changed == ["zhuzhou.txt"] and not res.full
    with Assistant.load(index) as a:
        assert any("777" in p.text for p in a.data.passages)
        assert sum(r["passages"] for r in a.reports()) == len(a.data.passages) == a.data.store.count()


def test_reopened_in_a_new_process(indexes, tmp_path, bundled_reports):
    """What a build wrote is there for another process: `qa ask --index …` answers from it."""
    index = indexes.new()
    build_index(bundled_reports, index, full=True)
    with Assistant.load(index) as a:
        expected = a.ask("防城港市组建了多少个工会组织？").short
    out = subprocess.run([sys.executable, "-m", "qa.cli", "ask", "防城港市组建了多少个工会组织？",
                          "--index", str(index), "--json"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout)["short"] == expected == "3135个"
    out = subprocess.run([sys.executable, "-m", "qa.cli", "search", "职工书屋", "--index", str(index), "--json"],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0 and json.loads(out.stdout), out.stderr[-2000:]


def test_store_upsert_and_delete_report(indexes, tiny_reports, bundled_reports):
    """The store's own writes: delete a report's passages, put them back, search them."""
    index = indexes.new()
    build_index(bundled_reports, index, full=True)
    from qa.lexicon import tokenize
    from qa.store import index_text
    with Assistant.load(index) as a:
        store, data = a.data.store, a.data
        name = "001_9aadff44d77565b3.txt"
        mine = [p for p in data.passages if p.source == name]
        vecs = a.embedder.embed([index_text(p) for p in mine])
        n = store.count()
        assert store.delete_report(name) == len(mine) > 0
        assert store.count() == n - len(mine) == len(data.passages)
        assert store.delete_report(name) == 0
        probe = mine[len(mine) // 2]
        hits = store.dense_search(vecs[len(mine) // 2], 5)
        assert all(data.passages[i].source != name for i, _ in hits)
        store.upsert(mine, vecs, [tokenize(index_text(p)) for p in mine])
        assert store.count() == n == len(data.passages)
        i, score = store.dense_search(vecs[len(mine) // 2], 1)[0]
        assert data.passages[i].passage_id == probe.passage_id and score == pytest.approx(1.0, abs=1e-4)
        store.upsert(mine[:1], vecs[:1], [tokenize(index_text(mine[0]))])     # the same id: replaced
        assert store.count() == n
        terms = {t: 1.0 for t in tokenize(probe.text)[:6]}
        assert any(data.passages[j].passage_id == probe.passage_id for j, _ in store.sparse_search(terms, 20))
    if indexes.kind != "local":         # written to Milvus: there after reopening
        with Assistant.load(index) as b:
            assert b.data.store.count() == n
            assert {p.passage_id for p in b.data.passages if p.source == name} == {p.passage_id for p in mine}


# --------------------------------------------------------------------------- Milvus only

milvus = pytest.mark.milvus


def _lite_index(tmp_path: Path, label: str = "m") -> str:
    _need("lite")
    return f"milvus:{tmp_path / label}.db"


@milvus
def test_migrate_copies_without_embedding_again(tmp_path, seed_index, assistant, monkeypatch):
    from qa import embedders
    from qa.milvus import migrate

    def no_embedding(self, texts):
        raise AssertionError("migrate embedded a passage")
    monkeypatch.setattr(embedders.LsaEmbedder, "embed", no_embedding)
    target = _lite_index(tmp_path)
    res = migrate(seed_index, target)
    assert res["passages"] == assistant.manifest["passages"]
    back = tmp_path / "back"
    migrate(target, back)
    monkeypatch.undo()
    with Assistant.load(target) as m, Assistant.load(back) as b:
        for q in dev_questions()[:25]:
            want = ids(assistant.search(q))
            assert ids(m.search(q)) == want == ids(b.search(q)), q
        assert m.figures == assistant.figures == b.figures
        assert m.manifest["migrated_from"] == str(seed_index)


@milvus
def test_qa_migrate_command(tmp_path, seed_index):
    target = _lite_index(tmp_path)
    out = subprocess.run([sys.executable, "-m", "qa.cli", "migrate", "--from", str(seed_index), "--to", target],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "未重新计算向量" in out.stdout
    with Assistant.load(target) as a:
        assert a.ask("防城港市组建了多少个工会组织？").short == "3135个"


@milvus
def test_a_build_that_died_is_found_and_repaired(tmp_path, tiny_reports):
    from qa.milvus import Meta, connect, parse_spec, release
    index = _lite_index(tmp_path)
    build_index(tiny_reports, index, full=True)
    spec = parse_spec(index)
    client = connect(spec)
    try:                     # what an incremental build leaves when it is killed half-way
        meta = Meta(client, spec)
        meta.put({"head": json.dumps(dict(meta.head(), dirty="host:1234"))})
    finally:
        release(spec, client)
    with pytest.raises(IndexCorrupt, match="没有完成"):
        Assistant.load(index)
    res = build_index(tiny_reports, index)
    assert res.full and any("旧索引无法使用" in n for n in res.notes)
    with Assistant.load(index) as a:
        assert a.reports()


@milvus
def test_a_second_process_is_told_the_lite_file_is_in_use(tmp_path, tiny_reports):
    index = _lite_index(tmp_path)
    build_index(tiny_reports, index, full=True)
    with Assistant.load(index):
        out = subprocess.run([sys.executable, "-m", "qa.cli", "search", "职工", "--index", index],
                             capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 2
    assert "另一个进程" in out.stderr and "Traceback" not in out.stderr


@milvus
def test_missing_lite_file_is_index_missing_and_not_made(tmp_path):
    index = _lite_index(tmp_path, "nothing")
    with pytest.raises(IndexMissing, match="qa build --index"):
        Assistant.load(index)
    assert not (tmp_path / "nothing.db").exists()


def test_milvus_index_without_pymilvus_is_an_error_naming_the_install(tmp_path, monkeypatch, tiny_reports):
    """Never a local folder called milvus:…: an error that says what to install."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "pymilvus", None)      # import pymilvus fails
    for call in (lambda: Assistant.load("milvus:./x.db"), lambda: build_index(tiny_reports, "milvus:./x.db")):
        with pytest.raises(MilvusUnavailable, match=r'pip install -e "\.\[milvus\]"'):
            call()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]
    assert is_milvus("milvus:./x.db") and is_milvus(Path("milvus:x.db")) and not is_milvus("index")


@pytest.mark.parametrize("spec, message", [
    ("milvus:", "没有给出 Milvus 的地址"),
    ("milvus:./index", "必须以 .db 结尾"),
    ("milvus:./index.db#bad-name", "索引名"),
])
def test_malformed_milvus_index_argument(spec, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InvalidParameter, match=message):
        Assistant.load(spec)
    assert list(tmp_path.iterdir()) == []


@milvus
def test_unreachable_server_is_milvus_unavailable(tmp_path):
    _need("lite")
    with pytest.raises(MilvusUnavailable, match="QA_MILVUS_TOKEN"):
        Assistant.load("milvus:http://127.0.0.1:9")


@milvus
def test_cli_build_and_ask_with_a_milvus_index(tmp_path, tiny_reports):
    index = _lite_index(tmp_path)
    out = subprocess.run([sys.executable, "-m", "qa.cli", "build", "--reports", str(tiny_reports), "--index", index,
                          "--json"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout)["index"] == index
    out = subprocess.run([sys.executable, "-m", "qa.cli", "search", "职工", "--index", "milvus:"],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 2 and "Milvus" in out.stderr and not (ROOT / "milvus:").exists()


def test_top_rows_breaks_ties_by_row():
    """Equal scores go to the lower row, also where the cut falls among them."""
    from qa.index_store import top_rows
    scores = np.array([1.0, 3.0, 2.0, 3.0, 2.0, 2.0, 0.0], dtype=np.float32)
    assert top_rows(scores, 3).tolist() == [1, 3, 2]
    assert top_rows(scores, 4).tolist() == [1, 3, 2, 4]
    assert top_rows(scores, 10).tolist() == [1, 3, 2, 4, 5, 0, 6]
    assert top_rows(scores, 0).tolist() == []


def test_errors_are_qa_errors():
    assert issubclass(MilvusUnavailable, QAError)


@milvus
def test_the_app_serves_and_updates_a_milvus_lite_index(tmp_path, tiny_reports):
    """app.py --index milvus:…: the app builds in its own process (a Lite file opens in one
    process only), answers, takes an upload, and names the index, not its server path."""
    from qa.present import Library, public_message
    index = _lite_index(tmp_path)
    lib = Library(tiny_reports, index)
    assert lib.index == index
    res = lib.prepare(progress=False, out=open(os.devnull, "w"))
    assert res is not None and res.reports == 2
    before = len(lib.require().data.passages)
    added = (ROOT / "seeds" / "004_a6f4e72832cc6f8e.txt").read_bytes()
    lib.add_report(added, "liuzhou.txt")
    a = lib.require()
    assert "liuzhou.txt" in {r["file"] for r in a.reports()} and len(a.data.passages) > before
    assert "80" in a.ask("2018年柳州有多少名职工晋升为高级技师？").short
    assert str(tmp_path) not in public_message(f"索引 {index} 出错", lib.reports, lib.index)
    lib.assistant.close()


def test_app_takes_a_milvus_index_argument(monkeypatch):
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import app
    monkeypatch.delenv("QA_INDEX", raising=False)
    assert app.parse_args(["--index", "milvus:http://localhost:19530#qa"]).index == "milvus:http://localhost:19530#qa"
    monkeypatch.setenv("QA_INDEX", "milvus:./index.db")
    assert app.parse_args([]).index == "milvus:./index.db"
