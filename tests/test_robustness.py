"""The robustness sweep: odd questions, odd report files. Every input gets a clear reply, never a
traceback, and no report or index is lost. (Damaged indexes, killed and concurrent builds are in
test_store.py; the chat's side of this sweep is in test_app.py.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from qa import Assistant, build_index
from qa.reports import MAX_REPORT_BYTES

from conftest import ROOT

ODD_QUESTIONS = {
    "empty": "",
    "whitespace": " \t\n\u3000 ",
    "punctuation": "？？！！。。，，……",
    "control": "\x00\x01\x07\x1b[31m\x7f南宁\x08",
    "surrogates": "\ud800南宁市\udfff有多少基层工会？\udbff",
    "emoji": "😀" * 200,
    "long": "南宁市有多少个基层工会组织？" * 7200,          # about 100,000 characters
    "long-random": "".join(chr(0x4E00 + (i * 7919) % 20000) for i in range(100_000)),
    "english": "How many grassroots trade unions does Nanning have?",
    "traditional": "南寧市有多少基層工會？",
    "html": "<script>alert(1)</script><img src=x onerror=alert(2)>南宁市有多少个基层工会组织？",
    "sql": "'; DROP TABLE reports; -- 南宁",
    "format": "{0} %s %(x)s \\N{BULLET} ${HOME}",
}
EXPECT_FOUND = {"traditional": "8019个", "html": "8019个", "surrogates": "8019个"}


@pytest.mark.parametrize("kind", sorted(ODD_QUESTIONS))
def test_odd_questions_get_a_reply_from_the_api(assistant, kind):
    question = ODD_QUESTIONS[kind]
    t0 = time.perf_counter()
    ans = assistant.ask(question)
    seconds = time.perf_counter() - t0
    assert isinstance(ans.text, str) and ans.text.strip()
    if kind in EXPECT_FOUND:
        assert ans.found and ans.short == EXPECT_FOUND[kind]
    elif kind != "long":
        assert not ans.found, (kind, ans.text)
    assert seconds < 1.0, f"{kind}: {seconds:.2f}s"
    assistant.search(question, k=3)


@pytest.mark.parametrize("kind", ["empty", "control", "surrogates", "emoji", "english", "traditional", "html", "sql"])
def test_odd_questions_get_a_reply_from_the_cli(seed_index, kind):
    question = ODD_QUESTIONS[kind].replace("\x00", "")    # a NUL cannot pass through argv
    if kind == "surrogates":
        question = "南宁市有多少基层工会？\u3000"               # argv must be valid UTF-8
    out = subprocess.run([sys.executable, "-m", "qa.cli", "ask", question, "--index", str(seed_index), "--json"],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert "Traceback" not in out.stderr
    assert out.returncode in (0, 1)
    d = json.loads(out.stdout)
    assert d["found"] == (out.returncode == 0) and d["text"]


def _write(folder, name, data: bytes):
    (folder / name).write_bytes(data)


REPORT = "湘潭市总工会 服务职工\n\n2021年，全市新建职工书屋66个，培训职工5200人。\n"


def test_odd_report_files_are_indexed_or_skipped_with_their_name(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    _write(folder, "empty.txt", b"")
    _write(folder, "binary.txt", os.urandom(4096))
    _write(folder, "gb18030.txt", REPORT.replace("湘潭", "衡阳").encode("gb18030"))
    _write(folder, "utf16.txt", REPORT.replace("湘潭", "岳阳").encode("utf-16"))
    _write(folder, "bom.md", REPORT.replace("湘潭", "常德").encode("utf-8-sig"))
    _write(folder, "no breaks.txt", ("郴州市总工会 工作报告" + "全市培训职工1200人，新建职工书屋48个，" * 3000).encode())
    _write(folder, "两份 同样的 报告.txt", REPORT.encode())
    _write(folder, "湘潭 报告.txt", REPORT.encode())
    with open(folder / "huge.txt", "wb") as f:            # sparse: 50 MB without writing them
        f.truncate(50 * 2**20)
    outside = tmp_path / "outside.txt"
    outside.write_text(REPORT.replace("湘潭", "益阳"), encoding="utf-8")
    os.symlink(outside, folder / "link.txt")

    index = tmp_path / "index"
    res = build_index(folder, index)
    skipped = dict(res.skipped)
    assert set(skipped) == {"empty.txt", "binary.txt", "huge.txt", "link.txt", "湘潭 报告.txt"}
    assert f"{MAX_REPORT_BYTES // 2**20} MB" in skipped["huge.txt"]
    assert "两份 同样的 报告.txt" in skipped["湘潭 报告.txt"]
    m = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    assert set(m["reports"]) == {"gb18030.txt", "utf16.txt", "bom.md", "no breaks.txt", "两份 同样的 报告.txt"}
    a = Assistant.load(index)
    assert a.ask("衡阳市新建了多少个职工书屋？").short == "66个"
    assert a.ask("岳阳市培训了多少职工？").short == "5200人"
    assert a.ask("常德市新建了多少个职工书屋？").short == "66个"
    assert a.ask("郴州市新建了多少个职工书屋？").short == "48个"
    assert max(len(p.text) for p in a.data.passages) <= 1000
    assert a.ask("益阳市新建了多少个职工书屋？").found is False   # the symlink was not followed

    # a report deleted between two builds is dropped; the others stay
    (folder / "bom.md").unlink()
    res = build_index(folder, index)
    assert res.removed == ["bom.md"]
    a = Assistant.load(index)
    assert not a.ask("常德市新建了多少个职工书屋？").found
    assert a.ask("衡阳市新建了多少个职工书屋？").short == "66个"


@pytest.fixture(scope="module")
def chat(tmp_path_factory, seed_index):
    """app.py's handlers on a copy of the bundled reports and their index."""
    from conftest import app_on_copy
    app = app_on_copy(tmp_path_factory.mktemp("chat"), seed_index)
    yield app
    app.LIBRARY = None


@pytest.mark.parametrize("kind", sorted(ODD_QUESTIONS))
def test_odd_questions_get_a_reply_from_the_chat(chat, kind):
    question = ODD_QUESTIONS[kind]
    reply = chat.chat_api(question)                      # the /chat endpoint
    assert isinstance(reply, str) and reply.strip() and "Traceback" not in reply
    if kind in EXPECT_FOUND:
        assert EXPECT_FOUND[kind] in reply
    _, messages, turns, passages, *_ = chat.ask(question, [])
    if question.strip():
        bubble = messages[-1]["content"]
        assert bubble and "Traceback" not in bubble
        assert "<script" not in bubble.lower() and "<img" not in bubble.lower()
        assert "<script" not in passages.lower()
