"""The `qa` command: build, search, ask, eval; JSON output, exit codes and messages."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from qa.cli import main

from conftest import ROOT


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def built(tiny_reports, tmp_path, capsys):
    index = tmp_path / "index"
    code, out, _ = run(capsys, "build", "--reports", str(tiny_reports), "--index", str(index))
    assert code == 0 and "2 份报告" in out
    return index


def test_help_is_instant_and_has_examples():
    t0 = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "qa.cli", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0 and "例子" in out.stdout
    assert time.monotonic() - t0 < 5
    sub = subprocess.run([sys.executable, "-m", "qa.cli", "ask", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert "qa ask" in sub.stdout


def test_build_json_and_incremental(built, tiny_reports, capsys):
    code, out, _ = run(capsys, "build", "--reports", str(tiny_reports), "--index", str(built), "--json")
    res = json.loads(out)
    assert code == 0 and res["full"] is False and sorted(res["unchanged"]) == ["liling.md", "zhuzhou.txt"]


def test_ask_prints_the_answer_and_json(built, capsys):
    code, out, _ = run(capsys, "ask", "株洲市介绍就业多少人？", "--index", str(built))
    assert code == 0 and out.startswith("800人") and "zhuzhou.txt" in out
    code, out, _ = run(capsys, "ask", "株洲市介绍就业多少人？", "--index", str(built), "--json")
    d = json.loads(out)
    assert d["found"] is True and d["short"] == "800人" and d["citations"][0]["source"] == "zhuzhou.txt"
    assert set(d) >= {"found", "short", "text", "citations"}


def test_ask_follow_up_and_refusal_exit_codes(built, capsys):
    code, out, _ = run(capsys, "ask", "醴陵呢？", "--history", "株洲市职工书屋有多少个？", "--index", str(built))
    assert code == 0 and "52个" in out
    code, out, _ = run(capsys, "ask", "深圳市有多少会员？", "--index", str(built))
    assert code == 1 and "深圳" in out


def test_search_lists_passages(built, capsys):
    code, out, _ = run(capsys, "search", "劳动争议", "-k", "2", "--index", str(built), "--json")
    hits = json.loads(out)
    assert code == 0 and 1 <= len(hits) <= 2 and "劳动争议" in hits[0]["text"]
    code, out, _ = run(capsys, "search", "劳动争议", "--index", str(built), "--mode", "bm25")
    assert code == 0 and out.startswith("1. [")


def test_eval_reports_accuracy(built, tmp_path, capsys):
    questions = tmp_path / "q.jsonl"
    rows = [{"question": "株洲市介绍就业多少人？", "must": ["800"], "source": "zhuzhou.txt",
             "evidence": "介绍就业800人", "found": True, "kind": "fact"},
            {"question": "深圳市有多少会员？", "must": [], "source": None, "evidence": None, "found": False,
             "kind": "unanswerable"}]
    questions.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    code, out, _ = run(capsys, "eval", str(questions), "--index", str(built), "--json")
    s = json.loads(out)
    assert code == 0 and s["answerable_accuracy"] == 1.0 and s["refusals_correct"] == 1.0 and s["hit@5"] == 1.0
    assert s["baseline"]["hit@5"] == 1.0
    code, out, _ = run(capsys, "eval", str(questions), "--index", str(built))
    assert "baseline" in out and "hit@5" in out


def test_errors_are_messages_not_tracebacks(tmp_path, capsys):
    code, out, err = run(capsys, "ask", "株洲市介绍就业多少人？", "--index", str(tmp_path / "none"))
    assert code == 2 and "qa build" in err and "Traceback" not in err
    code, out, err = run(capsys, "build", "--reports", str(tmp_path / "missing"), "--index", str(tmp_path / "i"))
    assert code == 2 and "missing" in err
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n", encoding="utf-8")
    code, out, err = run(capsys, "eval", str(bad), "--index", str(tmp_path / "none"))
    assert code == 2


def test_a_reader_that_stops_early_gets_no_traceback(seed_index):
    # qa search … | head: the pipe closes while the answer is still being written
    cmd = [sys.executable, "-m", "qa.cli", "search", "工会会员", "-k", "100", "--json", "--index", str(seed_index)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    proc.stdout.read(10)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0
    assert "Traceback" not in err


def test_build_uses_the_reports_library_and_never_changes_the_seeds(tmp_path, monkeypatch, capsys):
    from conftest import copy_bundled
    copy_bundled(tmp_path / "seeds")
    (tmp_path / "seeds" / "004_a6f4e72832cc6f8e.txt").chmod(0o444)    # bundled files may be read-only
    monkeypatch.chdir(tmp_path)
    seeds = sorted(p.name for p in (tmp_path / "seeds").iterdir())
    code, out, err = run(capsys, "build")
    assert code == 0 and "reports" in err
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == seeds
    (tmp_path / "reports" / "note.txt").write_text("湘潭市总工会\n\n全市新建职工书屋66个。\n", encoding="utf-8")
    code, out, _ = run(capsys, "build", "--json")
    assert code == 0 and json.loads(out)["added"] == ["note.txt"]
    assert sorted(p.name for p in (tmp_path / "seeds").iterdir()) == seeds
    code, out, err = run(capsys, "build", "--reports", "missing")      # named on purpose: not made up
    assert code == 2 and "missing" in err and not (tmp_path / "missing").exists()


def test_build_outside_the_project_makes_no_library(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "build")
    assert code == 2 and "reports" in err and not (tmp_path / "reports").exists()


def test_ask_explain_says_why_the_answer_won(built, capsys):
    code, out, _ = run(capsys, "ask", "株洲市介绍就业多少人？", "--index", str(built), "--explain")
    assert code == 0 and out.startswith("800人") and "为什么" in out and "胜者：800人" in out and "次者" in out
    code, out, _ = run(capsys, "ask", "株洲市介绍就业多少人？", "--index", str(built), "--json", "--explain")
    d = json.loads(out)
    ex = d["explain"]
    assert ex["decision"] == "found" and ex["winner"]["answer"] == "800人" and ex["winner"]["features"]
    assert ex["probability"] >= ex["threshold"] and ex["runner_up"]["answer"] != "800人"
    code, out, _ = run(capsys, "ask", "株洲市介绍就业多少人？", "--index", str(built), "--json")
    assert "explain" not in json.loads(out)
    code, out, _ = run(capsys, "ask", "深圳市有多少会员？", "--index", str(built), "--explain")
    assert code == 1 and "拒答" in out


def test_train_help_lists_its_options(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = capsys.readouterr().out
    assert "--reuse" in out and "--seed" in out and "qa train" in out


def test_build_tells_each_page_of_a_pdf_and_ask_cites_the_page(tiny_reports, tmp_path, capsys):
    from test_documents import make_docx, make_text_pdf
    make_text_pdf(tiny_reports / "遵义报告.pdf")
    make_docx(tiny_reports / "黔南州报告.docx")
    index = tmp_path / "index"
    code, out, err = run(capsys, "build", "--reports", str(tiny_reports), "--index", str(index))
    assert code == 0 and "4 份报告" in out
    assert "读取 遵义报告.pdf 第 1/2 页" in err and "读取 遵义报告.pdf 第 2/2 页" in err
    code, out, _ = run(capsys, "ask", "遵义帮扶了多少户困难职工？", "--index", str(index), "--json")
    a = json.loads(out)
    assert code == 0 and "2150户" in a["short"]
    assert a["citations"][0]["source"] == "遵义报告.pdf" and a["citations"][0]["page"] == 2
    # the app's build (a child `qa build --events`) gets the pages as events
    (tiny_reports / "遵义报告.pdf").unlink()
    make_text_pdf(tiny_reports / "遵义2.pdf")
    code, out, _ = run(capsys, "build", "--reports", str(tiny_reports), "--index", str(index), "--events")
    events = [json.loads(line) for line in out.splitlines()]
    assert {"event": "读取 遵义2.pdf 第 2/2 页"} in events and "result" in events[-1]
