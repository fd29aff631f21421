"""The index on disk: manifest, no pickle, incremental builds, crashes, kills, locks, damage."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from qa import Assistant, build_index
from qa.errors import BuildLocked, EmbedderMismatch, IndexCorrupt, IndexMissing, ReportError
from qa.store import FORMAT_VERSION, build_lock, load_index, read_manifest

from conftest import ROOT, FakeEmbedder

NEW_REPORT = "湘潭市总工会 服务职工\n\n2021年，全市新建职工书屋66个，培训职工5200人。\n"


def build(reports, index, **kw):
    kw.setdefault("embedder", FakeEmbedder())
    return build_index(reports, index, **kw)


def sources(index):
    return {p.source for p in load_index(index).passages}


def test_manifest_records_what_the_issue_asks(tiny_reports, tmp_path):
    index = tmp_path / "index"
    build_index(tiny_reports, index)
    m = read_manifest(index)
    assert m["format_version"] == FORMAT_VERSION and m["package_version"]
    assert m["built_at"] and m["embedder"]["id"] == "builtin-lsa" and m["embedder"]["dim"] > 0
    assert m["chunking"] == {"max_chars": 200, "overlap": 1}
    assert len(m["dictionary_hash"]) == 16
    assert set(m["reports"]) == {"zhuzhou.txt", "liling.md"}
    assert all(len(r["sha256"]) == 64 and r["passages"] > 0 for r in m["reports"].values())


def test_no_pickle_anywhere(tiny_reports, tmp_path):
    index = tmp_path / "index"
    build_index(tiny_reports, index)
    names = sorted(p.name for p in index.iterdir())
    assert not [n for n in names if n.endswith((".pkl", ".pickle", ".joblib"))]
    for path in index.glob("*.np[yz]"):
        loaded = np.load(path, allow_pickle=False)   # raises if anything needed pickle
        if hasattr(loaded, "close"):
            loaded.close()
    for line in (index / "passages.jsonl").read_text(encoding="utf-8").splitlines():
        json.loads(line)


def test_incremental_add_change_remove(tiny_reports, tmp_path):
    index = tmp_path / "index"
    first = build(tiny_reports, index)
    assert first.full and sorted(first.added) == ["liling.md", "zhuzhou.txt"]
    total = first.passages

    (tiny_reports / "xiangtan.txt").write_text(NEW_REPORT, encoding="utf-8")
    added = build(tiny_reports, index)
    assert not added.full and added.added == ["xiangtan.txt"]
    assert sorted(added.unchanged) == ["liling.md", "zhuzhou.txt"]
    assert added.embedded == added.passages - total           # only the new report was embedded
    a = Assistant.load(index, embedder=FakeEmbedder())
    assert a.ask("湘潭市新建了多少个职工书屋？").short == "66个"

    (tiny_reports / "xiangtan.txt").write_text(NEW_REPORT.replace("66个", "77个"), encoding="utf-8")
    changed = build(tiny_reports, index)
    assert changed.changed == ["xiangtan.txt"] and not changed.added
    a = Assistant.load(index, embedder=FakeEmbedder())
    assert a.ask("湘潭市新建了多少个职工书屋？").short == "77个"

    (tiny_reports / "liling.md").unlink()
    removed = build(tiny_reports, index)
    assert removed.removed == ["liling.md"] and removed.embedded == 0
    assert sources(index) == {"zhuzhou.txt", "xiangtan.txt"}
    a = Assistant.load(index, embedder=FakeEmbedder())
    assert not a.ask("醴陵市委书记是谁？").found

    nothing = build(tiny_reports, index)
    assert nothing.embedded == 0 and not nothing.added and not nothing.changed
    full = build(tiny_reports, index, full=True)
    assert full.full and full.embedded == full.passages


def test_unreadable_reports_are_skipped_with_a_reason(tiny_reports, tmp_path):
    build(tiny_reports, tmp_path / "index")
    (tiny_reports / "empty.txt").write_bytes(b"")
    (tiny_reports / "binary.txt").write_bytes(bytes(range(256)) * 40)
    (tiny_reports / "gbk.txt").write_bytes(NEW_REPORT.encode("gb18030"))
    (tiny_reports / "utf16.md").write_bytes(NEW_REPORT.replace("湘潭", "衡阳").encode("utf-16"))
    # the same report under a second name: the name already indexed keeps it
    (tiny_reports / "copy of zhuzhou.txt").write_bytes((tiny_reports / "zhuzhou.txt").read_bytes())
    res = build(tiny_reports, tmp_path / "index")
    skipped = dict(res.skipped)
    assert set(skipped) == {"empty.txt", "binary.txt", "copy of zhuzhou.txt"}
    assert "文件为空" in skipped["empty.txt"] and "二进制" in skipped["binary.txt"]
    assert "zhuzhou.txt" in skipped["copy of zhuzhou.txt"]
    assert sources(tmp_path / "index") == {"zhuzhou.txt", "liling.md", "gbk.txt", "utf16.md"}
    assert "跳过 empty.txt" in res.summary()


def test_missing_reports_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ReportError, match="no-such-dir"):
        build_index(tmp_path / "no-such-dir", tmp_path / "index")


def test_a_failing_build_leaves_the_old_index(tiny_reports, tmp_path, monkeypatch):
    index = tmp_path / "index"
    build(tiny_reports, index)
    before = read_manifest(index)

    class Broken(FakeEmbedder):
        def embed(self, texts):
            raise RuntimeError("disk on fire")

    (tiny_reports / "xiangtan.txt").write_text(NEW_REPORT, encoding="utf-8")
    with pytest.raises(RuntimeError, match="disk on fire"):
        build_index(tiny_reports, index, embedder=Broken())
    assert read_manifest(index) == before

    import qa.store
    monkeypatch.setattr(qa.store, "_swap_in", lambda tmp, folder: (_ for _ in ()).throw(OSError("no space")))
    with pytest.raises(OSError, match="no space"):
        build(tiny_reports, index)
    assert read_manifest(index) == before
    assert not list(tmp_path.glob(".index.tmp-*"))
    assert load_index(index).manifest["passages"] == before["passages"]


KILLER = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {root!r})
    import qa.store as store
    from qa import build_index
    phase = sys.argv[1]
    if phase == "embed":
        real = store._embed_batches
        def slow(*a, **k):
            print("ready", flush=True); time.sleep(60); return real(*a, **k)
        store._embed_batches = slow
    elif phase == "write":
        real = store._write
        def slow(folder, manifest, passages, *rest):
            (folder / "passages.jsonl").write_text("half written", encoding="utf-8")
            print("ready", flush=True); time.sleep(60)
        store._write = slow
    elif phase == "swap":
        def slow(tmp, folder):
            folder.rename(store._old_dir(folder))
            print("ready", flush=True); time.sleep(60)
        store._swap_in = slow
    build_index(sys.argv[2], sys.argv[3], full=True)
""")


@pytest.mark.slow
@pytest.mark.parametrize("phase", ["embed", "write", "swap"])
def test_a_killed_build_leaves_the_old_index_whole(tiny_reports, tmp_path, phase):
    index = tmp_path / "index"
    build_index(tiny_reports, index)
    before = read_manifest(index)
    script = tmp_path / "killer.py"
    script.write_text(KILLER.format(root=str(ROOT)), encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(script), phase, str(tiny_reports), str(index)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    data = load_index(index)                           # still loadable, and the same index
    assert data.manifest == before
    assert Assistant.load(index).ask("株洲市介绍就业多少人？").short == "800人"
    again = build_index(tiny_reports, index)           # the lock died with the process
    assert again.passages == before["passages"]
    assert not list(tmp_path.glob(".index.tmp-*")) and not list(tmp_path.glob(".index.old"))


def test_a_second_build_stops_with_a_clear_message(tiny_reports, tmp_path):
    index = tmp_path / "index"
    build(tiny_reports, index)
    with build_lock(index):
        t0 = time.monotonic()
        with pytest.raises(BuildLocked, match="index.lock"):
            build(tiny_reports, index, wait=0.3)
        assert time.monotonic() - t0 >= 0.3
    assert build(tiny_reports, index).passages > 0


def test_missing_and_damaged_indexes_name_the_fix(tiny_reports, tmp_path):
    index = tmp_path / "index"
    with pytest.raises(IndexMissing, match="qa build"):
        Assistant.load(index)
    build_index(tiny_reports, index)
    pristine = tmp_path / "pristine"
    shutil.copytree(index, pristine)

    def damaged(change):
        shutil.rmtree(index)
        shutil.copytree(pristine, index)
        change(index)
        with pytest.raises(IndexCorrupt, match="qa build --full"):
            Assistant.load(index)
        res = build_index(tiny_reports, index)          # `qa build` fixes it
        assert res.full
        assert Assistant.load(index).ask("株洲市介绍就业多少人？").short == "800人"

    damaged(lambda d: (d / "vectors.faiss").write_bytes((d / "vectors.faiss").read_bytes()[:100]))
    damaged(lambda d: (d / "passages.jsonl").write_text("{not json\n", encoding="utf-8"))
    damaged(lambda d: (d / "bm25.npz").write_bytes(b"garbage"))

    def newer(d):
        m = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
        m["format_version"] = FORMAT_VERSION + 1
        (d / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    damaged(newer)


def test_loading_with_another_embedder_is_refused(tiny_reports, tmp_path):
    index = tmp_path / "index"
    build_index(tiny_reports, index)
    with pytest.raises(EmbedderMismatch, match="qa build --full --embedder"):
        Assistant.load(index, embedder="BAAI/bge-small-zh-v1.5")
    with pytest.raises(EmbedderMismatch):
        Assistant.load(index, embedder=FakeEmbedder())
    assert Assistant.load(index, embedder="builtin").ask("株洲市介绍就业多少人？").found


def test_another_embedder_rebuilds_fully(tiny_reports, tmp_path):
    index = tmp_path / "index"
    build_index(tiny_reports, index)
    res = build(tiny_reports, index)
    assert res.full and any("向量模型" in n for n in res.notes)
    assert read_manifest(index)["embedder"] == {"id": "fake-hash-512", "dim": 512}


# --------------------------------------------------------------------------- issue 11: nothing lost

def _snapshot(root):
    """Every path under ``root`` (and beside it) with its bytes: what a refused build must keep."""
    root = root.parent
    return {p.relative_to(root).as_posix(): (p.read_bytes() if p.is_file() else None)
            for p in sorted(root.rglob("*"))}


@pytest.mark.parametrize("kind", ["reports folder", "notes folder", "a file", "index holding notes"])
def test_a_build_never_replaces_what_is_not_an_index(tiny_reports, tmp_path, kind, capsys):
    from qa.cli import main
    from qa.errors import NotAnIndex
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "待办.md").write_text("周五交材料\n", encoding="utf-8")
    (notes / "sub").mkdir()
    (notes / "sub" / "a.txt").write_text("笔记\n", encoding="utf-8")
    target = {"reports folder": tiny_reports, "notes folder": notes, "a file": notes / "待办.md",
              "index holding notes": notes / "sub"}[kind]
    before = _snapshot(tmp_path / "x")
    with pytest.raises(NotAnIndex) as err:
        build_index(tiny_reports, target)
    assert str(target) in str(err.value) and "未做任何改动" in str(err.value)
    assert _snapshot(tmp_path / "x") == before                  # nothing touched, not even a lock file
    code = main(["build", "--reports", str(tiny_reports), "--index", str(target)])
    err_text = capsys.readouterr().err
    assert code == 2 and str(target) in err_text and "Traceback" not in err_text
    assert _snapshot(tmp_path / "x") == before


def test_a_build_replaces_an_empty_folder_or_a_damaged_index(tiny_reports, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert build(tiny_reports, empty).passages > 0
    (empty / "manifest.json").write_text("garbage", encoding="utf-8")   # only index files: an index
    assert build(tiny_reports, empty).full
    assert read_manifest(empty)["passages"] > 0


def test_the_app_refuses_an_index_folder_that_is_not_an_index(tiny_reports, tmp_path, capsys, monkeypatch):
    import gradio as gr

    import app
    monkeypatch.setattr(gr.Blocks, "launch", lambda self, **kw: None)     # never serve in a test
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "note.txt").write_text("笔记\n", encoding="utf-8")
    try:
        code = app.main(["--reports", str(tiny_reports), "--index", str(notes)])
    finally:
        app.LIBRARY = None
    assert code == 2 and str(notes) in capsys.readouterr().err
    assert [p.name for p in notes.iterdir()] == ["note.txt"]


# --------------------------------------------------------------------------- issue 11: the damage sweep

def _incomplete(path):
    """Valid for its kind, but not what the index needs."""
    if path.suffix == ".json":
        path.write_text("{}" if path.name != "bm25_vocab.json" else '["职工"]', encoding="utf-8")
    elif path.suffix == ".jsonl":
        path.write_bytes(path.read_bytes().split(b"\n", 1)[0] + b"\n")     # its first line only
    elif path.suffix == ".npy":
        np.save(path, np.zeros(3, dtype=np.float32), allow_pickle=False)
    elif path.suffix == ".npz":
        np.savez(path, data=np.zeros(2, dtype=np.int32))
    else:                                                               # vectors.faiss: an empty index
        import faiss
        faiss.write_index(faiss.IndexFlatIP(8), str(path))


DAMAGES = {
    "emptied": lambda p: p.write_bytes(b""),
    "truncated": lambda p: p.write_bytes(p.read_bytes()[:p.stat().st_size // 2]),
    "garbage": lambda p: p.write_bytes(np.random.default_rng(7).integers(0, 256, p.stat().st_size, dtype=np.uint8)
                                       .tobytes()),
    "incomplete": _incomplete,
    "deleted": lambda p: p.unlink(),
}
INDEX_FILES = ["manifest.json", "passages.jsonl", "vectors.faiss", "bm25.npz", "bm25_vocab.json",
               "figures.jsonl", "embedder.json", "embedder_idf.npy", "embedder_components.npy"]


def index_contents(folder):
    """What an index holds, file by file (the manifest without its build time and checksums;
    the arrays of .npz files, whose zip headers carry the time they were written)."""
    out = {}
    for path in sorted(folder.iterdir()):
        if path.name == "manifest.json":
            m = json.loads(path.read_text(encoding="utf-8"))
            m.pop("built_at")
            for meta in (m.pop("files", None) or {}).values():
                assert set(meta) >= {"bytes", "crc32"}
            out[path.name] = m
        elif path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as z:
                out[path.name] = {k: z[k].tobytes() for k in z.files}
        else:
            out[path.name] = path.read_bytes()
    return out


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """The tiny reports and their index (built-in embedder: every kind of index file)."""
    from conftest import DATA
    root = tmp_path_factory.mktemp("pristine")
    shutil.copytree(DATA / "reports", root / "reports")
    build_index(root / "reports", root / "index")
    assert sorted(p.name for p in (root / "index").iterdir()) == sorted(INDEX_FILES)
    return root


@pytest.mark.parametrize("damage", sorted(DAMAGES))
@pytest.mark.parametrize("name", INDEX_FILES)
def test_damage_sweep_every_index_file(pristine, tmp_path, name, damage, capsys):
    """Every file of a built index, emptied, truncated, garbage-filled, incomplete or deleted:
    loading and `qa ask` give a QAError naming the fix, and a plain `qa build` repairs it."""
    from qa.cli import main
    from qa.errors import QAError
    index = tmp_path / "index"
    shutil.copytree(pristine / "index", index)
    DAMAGES[damage](index / name)
    with pytest.raises(QAError, match="qa build"):
        Assistant.load(index)
    code = main(["ask", "株洲市介绍就业多少人？", "--index", str(index)])
    err = capsys.readouterr().err
    assert code == 2 and "qa build" in err and "Traceback" not in err
    code = main(["build", "--reports", str(pristine / "reports"), "--index", str(index)])
    capsys.readouterr()
    assert code == 0
    assert index_contents(index) == index_contents(pristine / "index")
    assert Assistant.load(index).ask("株洲市介绍就业多少人？").short == "800人"


@pytest.mark.parametrize("name", INDEX_FILES)
def test_the_app_starts_on_a_damaged_index_and_repairs_it(pristine, tmp_path, name):
    import io

    import app
    index = tmp_path / "index"
    shutil.copytree(pristine / "index", index)
    (index / name).write_bytes(b"")
    try:
        lib = app.configure(pristine / "reports", index)
        lib.prepare(progress=False, out=io.StringIO())
        assert len(lib.assistant.figures) == len(Assistant.load(pristine / "index").figures)
        assert app.chat_api("株洲市介绍就业多少人？").startswith("800人")
    finally:
        app.LIBRARY = None
    assert index_contents(index) == index_contents(pristine / "index")


def test_an_add_after_the_figure_table_was_deleted_keeps_every_row(tiny_reports, tmp_path):
    index = tmp_path / "index"
    build(tiny_reports, index)
    (tiny_reports / "xiangtan.txt").write_text(NEW_REPORT, encoding="utf-8")
    whole = tmp_path / "whole"
    build(tiny_reports, whole)
    (index / "figures.jsonl").unlink()
    res = build(tiny_reports, index)
    assert res.full and any("figures.jsonl" in n for n in res.notes)
    rows = load_index(index).figures
    assert len(rows) == read_manifest(index)["figures"] == len(load_index(whole).figures)
    assert {r["source"] for r in rows} == {"zhuzhou.txt", "liling.md", "xiangtan.txt"}


def test_an_index_without_checksums_is_rebuilt_by_the_next_build(tiny_reports, tmp_path):
    index = tmp_path / "index"
    build(tiny_reports, index)
    m = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    del m["files"]                                       # as built before checksums were recorded
    (index / "manifest.json").write_text(json.dumps(m, ensure_ascii=False), encoding="utf-8")
    assert Assistant.load(index, embedder=FakeEmbedder()).ask("株洲市介绍就业多少人？").short == "800人"
    res = build(tiny_reports, index)
    assert res.full and any("校验和" in n for n in res.notes)
    assert set(read_manifest(index)["files"]) >= {"passages.jsonl", "figures.jsonl", "vectors.faiss"}


# --------------------------------------------------------------------------- issue 11: no usable report

def test_an_index_of_no_usable_reports_says_so_and_why(tmp_path, capsys):
    from qa.cli import main
    from qa.errors import QAError
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 40)
    index = tmp_path / "index"
    res = build_index(folder, index)
    assert res.passages == 0 and "没有可用的报告" in res.summary()
    with pytest.raises(QAError) as err:
        Assistant.load(index)
    msg = str(err.value)
    assert not isinstance(err.value, IndexCorrupt) and "损坏" not in msg
    assert "没有可用的报告" in msg and "empty.txt" in msg and "binary.txt" in msg and "文件为空" in msg
    assert "qa build" in msg
    code = main(["ask", "株洲市介绍就业多少人？", "--index", str(index)])
    assert code == 2 and "没有可用的报告" in capsys.readouterr().err
    # a usable report later: the next build indexes it
    (folder / "zhuzhou.txt").write_text(NEW_REPORT, encoding="utf-8")
    assert build_index(folder, index).passages > 0
    assert Assistant.load(index).ask("湘潭市新建了多少个职工书屋？").short == "66个"


def test_an_empty_reports_folder_says_so(tmp_path):
    from qa.errors import QAError
    (tmp_path / "reports").mkdir()
    res = build_index(tmp_path / "reports", tmp_path / "index")
    assert "没有可用的报告" in res.summary()
    with pytest.raises(QAError, match="没有 .txt 或 .md"):
        Assistant.load(tmp_path / "index")


def test_one_sentence_on_330000_lines_is_one_passage(tiny_reports, tmp_path):
    """The upload that became 47,436 passages (2 distinct), 332,561 figure rows and a 204 MB index."""
    line = "全市新建职工书屋37个，资助困难职工612名。"
    with open(tiny_reports / "flood.txt", "w", encoding="utf-8") as f:
        f.write("湘潭市总工会\n\n")
        f.writelines(line + "\n" for _ in range(330_000))
    assert (tiny_reports / "flood.txt").stat().st_size < 20 * 2**20
    index = tmp_path / "index"
    build(tiny_reports, index)
    data = load_index(index)
    flood = [p for p in data.passages if p.source == "flood.txt"]
    assert len(flood) == 1
    assert len([r for r in data.figures if r["source"] == "flood.txt"]) == 2
    assert sum(p.stat().st_size for p in index.iterdir()) < 2 * 2**20
    a = Assistant.load(index, embedder=FakeEmbedder())
    assert a.ask("湘潭市新建了多少个职工书屋？").short == "37个"


def test_a_figure_is_listed_once_however_often_its_sentence_repeats(tiny_reports, tmp_path):
    (tiny_reports / "runon.txt").write_text("湘潭市总工会\n\n" + "全市培训职工1200人，新建职工书屋48个，" * 5000,
                                           encoding="utf-8")
    index = tmp_path / "index"
    build(tiny_reports, index)
    rows = [r for r in load_index(index).figures if r["source"] == "runon.txt"]
    assert sorted(r["figure"] for r in rows) == ["1200人", "48个"]
