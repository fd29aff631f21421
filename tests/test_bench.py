"""Smoke test of the benchmark suite: ``python -m bench --quick`` on a tiny corpus."""

from __future__ import annotations

import json
import re

import pytest

from conftest import SHARED


@pytest.mark.slow
def test_quick_bench_writes_its_tables_and_plot(tmp_path):
    from bench.__main__ import main
    out, work = tmp_path / "out", tmp_path / "work"
    rc = main(["--quick", "--out", str(out), "--work", str(work), "--sizes", "300", "--questions", "20",
               "--cmrc-limit", "40", "--cold-runs", "1"])
    assert rc == 0

    text = (out / "RESULTS.md").read_text(encoding="utf-8")
    for heading in ("## Targets", "## Quality: the bundled reports", "## Speed and size", "### Build",
                    "### Incremental add of one report", "### Search latency (ms, warm)",
                    "### Peak memory (RSS, MB) and index size on disk", "## FAISS: exact search against IVF and HNSW"):
        assert heading in text, heading
    assert re.search(r"^\| 300 synthetic passages \| 300 \| [\d.]+ \|", text, re.M)
    assert re.search(r"^\| the bundled reports \| 226 \|", text, re.M)   # 227 before OCR copies were dropped
    assert "`ask` p50 < 20 ms warm, bundled reports" in text

    png = (out / "latency.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000

    stages = json.loads((work / "results-quick.json").read_text(encoding="utf-8"))["stages"]
    run = stages["speed:300"]
    assert run["passages"] == 300 and run["build"]["passages"] == 300
    assert run["add"]["added"] == ["syn_extra.txt"] and not run["add"]["full"] and run["add"]["added_passages"] == 30
    assert all(run["latency"][k]["n"] == 20 for k in ("search", "search_bm25", "search_dense", "ask", "bm25s", "rank_bm25"))
    assert 0 < run["latency"]["search"]["p50"] <= run["latency"]["search"]["p95"]
    assert run["build"]["peak_rss_mb"] > 50 and run["build"]["disk_bytes"] > 0
    assert run["faiss"]["flat"]["n"] == 20 and run["faiss"]["ivf"]["sweep"]

    dev = next(q for q in stages["quality"] if q["file"].endswith("dev.jsonl"))["systems"]
    assert set(dev) == {"hybrid", "bm25", "dense", "rank_bm25", "bm25s"}
    assert dev["hybrid"]["accuracy"] > dev["rank_bm25"]["accuracy"]
    if (SHARED / "extbench" / "cmrc2018_trial.json").exists():
        assert stages["cmrc"]["questions"] == 40
        assert stages["cmrc"]["systems"]["prototype"]["figure_accuracy"] is not None


@pytest.mark.filterwarnings("ignore:No artists with labels")   # the plot of an empty run
def test_results_keep_the_sections_other_scripts_own(tmp_path):
    """bench.answers writes its section into RESULTS.md; a new run of the main benchmark keeps it,
    and a second write replaces it rather than adding another."""
    from bench.answers import section
    from bench.report import render, sections, write_section
    path = tmp_path / "RESULTS.md"
    lines = section({"dev": {"questions": 2, "answerable_right": 1.0, "refusals_right": None, "answered": 1.0,
                             "precision": 1.0, "ask_ms_p50": 3.0}}, {}, {}, {}, {})
    write_section(path, "answers", lines)
    write_section(path, "answers", lines)
    assert path.read_text(encoding="utf-8").count("## Answers") == 1
    render({"stages": {}, "meta": {}}, tmp_path)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks") and list(sections(text)) == ["answers"]
    assert "| ../shared/eval/dev.jsonl (development questions) | 2 |" in text


def test_edit_distance_and_accuracy_of_the_documents_bench():
    from bench.documents import accuracy, levenshtein
    assert levenshtein("", "abc") == 3 and levenshtein("abc", "") == 3
    assert levenshtein("kitten", "sitting") == 3
    assert levenshtein("全市基层工会组织8019个", "全市基层工会组织8O19个") == 1
    assert levenshtein("职工书屋", "职工之家书屋") == 2
    assert accuracy("全市 基层\n工会", "全市基层工会") == 1.0
    assert accuracy("一二三四", "一二四") == 0.75


def _documents_results(accuracy: float) -> dict:
    return {"pdf": [{"producer": "reportlab CID font", "extractor": "pypdf", "pages": 8, "accuracy": accuracy,
                     "ms_per_page": 17.6}],
            "ocr": {"pages": 2, "page_size": "2400×3400", "characters": 12000, "accuracy": 0.99,
                    "accuracy_per_page": [0.99, 0.98], "seconds_per_page": [30.0, 40.0],
                    "low_confidence_lines": 3, "lines": 400, "questions": 25,
                    "answered_ocr": {"answerable_accuracy": 0.8, "hit@5": 1.0, "right": 20, "wrong": ["甲？", "乙？"]},
                    "answered_text": {"answerable_accuracy": 0.84, "hit@5": 1.0, "right": 21, "wrong": ["乙？"]}}}


@pytest.mark.filterwarnings("ignore:No artists with labels")   # the plot of an empty run
def test_the_documents_section_is_replaced_in_place_and_kept_by_render(tmp_path):
    from bench.documents import BEGIN, END, NOTES_BEGIN, NOTES_END, write_section
    from bench.report import render
    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmarks\n\nsomething\n", encoding="utf-8")
    write_section(_documents_results(0.5), results)
    write_section(_documents_results(0.25), results)
    text = results.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks\n\nsomething\n") and text.count(BEGIN) == 1 == text.count(END)
    assert "| reportlab CID font | pypdf | 8 | 25.0% | 17.6 |" in text and "50.0%" not in text
    assert "| … from the OCR'd pages | 20 of 25 (80.0%) |" in text
    assert "Answered from the text but not from the OCR'd pages: 甲？" in text
    # notes written by hand after the section stay through a new run and a render
    results.write_text(results.read_text(encoding="utf-8") + f"{NOTES_BEGIN}\n读法说明\n{NOTES_END}\n", encoding="utf-8")
    write_section(_documents_results(0.75), results)
    assert "75.0%" in results.read_text(encoding="utf-8") and "读法说明" in results.read_text(encoding="utf-8")
    render({"stages": {}, "meta": {}}, tmp_path)        # the main benchmark's tables rewritten
    again = results.read_text(encoding="utf-8")
    assert "something" not in again and again.count(BEGIN) == 1 and "75.0%" in again and "读法说明" in again
