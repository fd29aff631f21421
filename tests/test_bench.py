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
