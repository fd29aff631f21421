"""The JSON API and the OpenAI-compatible endpoint (qa/api.py) in-process, through httpx
(Starlette's TestClient is an httpx client). The running server (one port for the page and the
API, keys, the real ``openai`` client over the network) is tested in test_api_server.py."""

from __future__ import annotations

import io
import json
import re

import pytest

from qa import api, errors, export

httpx = pytest.importorskip("httpx")
from fastapi.testclient import TestClient  # noqa: E402

from test_app import XIANGTAN  # noqa: E402

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def lib(tmp_path, seed_index):
    """A Library on a copy of the bundled reports and their index (changed by some tests)."""
    from conftest import app_on_copy
    import app
    lib = app_on_copy(tmp_path, seed_index).library()
    yield lib
    app.LIBRARY = None


@pytest.fixture(scope="module")
def shared_lib(bundled_reports, seed_index):
    """A Library on the session's index, for tests that only read (nothing is built)."""
    from qa.present import Library
    lib = Library(bundled_reports, seed_index)
    lib.load()
    return lib


@pytest.fixture
def client(shared_lib):
    return TestClient(api.create_api(lambda: shared_lib))


@pytest.fixture
def own_client(lib):
    """A client of a Library of its own: the test may upload, delete and build."""
    return TestClient(api.create_api(lambda: lib))


def error_of(r, status: int) -> str:
    """The Chinese message of a JSON error with this status."""
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    msg = body["error"]["message"]
    assert body["error"]["code"] == status and CJK.search(msg), body
    return msg


# --------------------------------------------------------------------------- /api/ask

def test_ask_returns_the_answer_with_its_citations(client):
    r = client.post("/api/ask", json={"question": "防城港市组建了多少个工会组织？"})
    assert r.status_code == 200
    a = r.json()
    assert a["found"] is True and a["short"] == "3135个" and a["kind"]
    assert "3135个" in a["text"] and "出处" in a["text"]
    c = a["citations"][0]
    assert c["source"] == "001_9aadff44d77565b3.txt" and "组建工会组织3135个" in c["quote"]
    assert set(c) >= {"source", "passage_id", "section", "quote"} and c["passage_id"] and c["section"]
    assert "table" not in a and "computed" not in a        # only where the answer has them


def test_ask_follows_up_on_the_history(client):
    for history in (["内江市建了几个困难职工帮扶中心？"],
                    [["内江市建了几个困难职工帮扶中心？", "6个"]],
                    [{"role": "user", "content": "内江市建了几个困难职工帮扶中心？"},
                     {"role": "assistant", "content": "6个（内江）"}]):
        a = client.post("/api/ask", json={"question": "惠民超市呢？", "history": history}).json()
        assert a["found"] and a["short"] == "46个惠民超市", history
    # without the history the follow-up has no place to lean on
    assert client.post("/api/ask", json={"question": "惠民超市呢？"}).json()["short"] != "46个惠民超市"


def test_compare_and_compute_answers_carry_table_and_computed(client):
    a = client.post("/api/ask", json={"question": "内江和南充，哪个市五年来处理的劳动争议更多？"}).json()
    assert a["kind"] == "compare" and {r["figure"] for r in a["table"]} == {"1013件", "1480件"}
    assert len(a["citations"]) == 2
    a = client.post("/api/ask", json={"question": "柳州市工会会员数增加了多少万人？"}).json()
    assert a["computed"] == ["22.48万人"] and [r["role"] for r in a["table"]] == ["由", "到"]


def test_a_question_the_reports_do_not_answer_is_found_false(client):
    r = client.post("/api/ask", json={"question": "北京市有多少个基层工会组织？"})
    assert r.status_code == 200
    a = r.json()
    assert a["found"] is False and a["citations"] == [] and "北京" in a["text"]


@pytest.mark.parametrize("body, status, words", [
    ({"question": 123}, 422, "question：必须是文本"),
    ({}, 422, "question：缺少"),
    ({"question": "南宁有多少个工会？", "history": "内江"}, 422, "history：必须是列表"),
    ({"question": "南宁有多少个工会？", "extra": 1}, 422, "extra：不是可用的字段"),
    ({"question": "   "}, 400, "问题为空"),
    ({"question": "南宁" * 300}, 400, "问题太长"),
])
def test_bad_questions_are_json_errors(client, body, status, words):
    assert words in error_of(client.post("/api/ask", json=body), status)


def test_bad_requests_are_json_errors_in_chinese(client):
    assert "JSON" in error_of(client.post("/api/ask", content=b"{not json",
                                          headers={"content-type": "application/json"}), 422)
    assert "不接受 GET" in error_of(client.get("/api/ask"), 405)
    assert "没有这个接口" in error_of(client.get("/api/nothing"), 404)
    assert "k：太大" in error_of(client.get("/api/search", params={"q": "书屋", "k": 1000}), 422)
    assert "k：必须是整数" in error_of(client.get("/api/search", params={"q": "书屋", "k": "x"}), 422)
    assert "q：缺少" in error_of(client.get("/api/search"), 422)
    assert "sort：取值不在可选范围内" in error_of(client.get("/api/figures", params={"sort": "x"}), 422)


def test_an_unexpected_fault_is_a_json_500_not_a_traceback(shared_lib, client, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("/srv/secret/path broke")
    monkeypatch.setattr(shared_lib.assistant, "ask", boom)
    msg = error_of(client.post("/api/ask", json={"question": "南宁有多少个工会？"}), 500)
    assert "内部错误" in msg and "/srv" not in msg


def test_without_an_index_the_api_says_so(tmp_path):
    from qa.present import Library
    lib = Library(tmp_path / "reports", tmp_path / "index")     # never loaded
    c = TestClient(api.create_api(lambda: lib))
    assert "qa build" in error_of(c.post("/api/ask", json={"question": "南宁有多少个工会？"}), 503)


# --------------------------------------------------------------------------- search, figures, reports

def test_search_returns_hits(client):
    r = client.get("/api/search", params={"q": "防城港市组建了多少个工会组织？", "k": 3})
    hits = r.json()["hits"]
    assert len(hits) == 3 and hits[0]["source"] == "001_9aadff44d77565b3.txt"
    assert set(hits[0]) >= {"source", "passage_id", "section", "text", "score"}
    assert hits[0]["score"] >= hits[1]["score"] >= hits[2]["score"]


def test_figures_are_paged_searched_sorted_and_exported(client):
    r = client.get("/api/figures", params={"per_page": 20}).json()
    assert r["page"] == 1 and len(r["rows"]) == 20 and r["total"] > 400 and r["pages"] == -(-r["total"] // 20)
    r2 = client.get("/api/figures", params={"per_page": 20, "page": 2}).json()
    assert r2["rows"][0] != r["rows"][0]
    found = client.get("/api/figures", params={"q": "防城港 工会组织"}).json()
    assert any(row["figure"] == "3135个" for row in found["rows"])
    assert all("防城港" in row["place"] or "防城港" in row["sentence"] for row in found["rows"])
    top = client.get("/api/figures", params={"sort": "value_desc", "per_page": 5}).json()["rows"]
    assert [row["value"] for row in top] == sorted((row["value"] for row in top), reverse=True)
    csv = client.get("/api/figures.csv", params={"q": "防城港"})
    assert csv.headers["content-type"].startswith("text/csv") and "attachment" in csv.headers["content-disposition"]
    lines = csv.text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("地区,指标,数字,数值")
    assert len(lines) - 1 == client.get("/api/figures", params={"q": "防城港"}).json()["matched"]
    assert any("3135个" in line for line in lines)


def test_reports_upload_ask_and_delete(lib, own_client):
    names = [r["file"] for r in own_client.get("/api/reports").json()["reports"]]
    assert "000_ad651ca938ec0b06.txt" in names and "xiangtan.txt" not in names

    files = {"files": ("xiangtan.txt", XIANGTAN.encode("gb18030"), "text/plain")}
    r = own_client.post("/api/reports", files=files)
    assert r.status_code == 201, r.text
    assert r.json()["added"] == ["xiangtan.txt"] and "已添加 xiangtan.txt" in r.json()["message"]
    assert "xiangtan.txt" in [x["file"] for x in own_client.get("/api/reports").json()["reports"]]
    a = own_client.post("/api/ask", json={"question": "湘潭市有多少个基层工会组织？"}).json()
    assert a["short"] == "2468个" and a["citations"][0]["source"] == "xiangtan.txt"

    assert "已有同名报告" in error_of(own_client.post("/api/reports", files=files), 409)
    again = {"files": ("xiangtan.txt", (XIANGTAN + "\n全市新建职工之家12个。\n").encode(), "text/plain")}
    assert own_client.post("/api/reports", files=again, data={"replace": "true"}).status_code == 201
    assert "只接受" in error_of(own_client.post("/api/reports", files={"files": ("a.xls", b"\xd0\xcf", "application/vnd.ms-excel")}), 415)
    assert "PDF 文件已损坏" in error_of(own_client.post("/api/reports", files={"files": ("a.pdf", b"%PDF", "application/pdf")}), 400)
    assert "为空" in error_of(own_client.post("/api/reports", files={"files": ("empty.txt", b"", "text/plain")}), 400)
    assert "files：缺少" in error_of(own_client.post("/api/reports", data={"replace": "true"}), 422)

    r = own_client.delete("/api/reports/xiangtan.txt")
    assert r.status_code == 200 and r.json()["deleted"] == "xiangtan.txt"
    assert not (lib.reports / "xiangtan.txt").exists()
    assert own_client.post("/api/ask", json={"question": "湘潭市有多少个基层工会组织？"}).json()["found"] is False
    assert "没有名为" in error_of(own_client.delete("/api/reports/xiangtan.txt"), 404)
    assert "无效" in error_of(own_client.delete("/api/reports/.hidden.txt"), 400)


def test_a_failed_removal_keeps_the_report(lib, own_client, monkeypatch):
    from qa import present

    def fail(*a, **k):
        raise errors.QAError("构建失败")
    monkeypatch.setattr(present, "run_build", fail)
    error_of(own_client.delete("/api/reports/000_ad651ca938ec0b06.txt"), 400)
    assert (lib.reports / "000_ad651ca938ec0b06.txt").exists()
    assert not [p for p in lib.reports.iterdir() if p.name.startswith(".removed-")]


def test_build_reports_its_progress(lib, own_client):
    r = own_client.post("/api/build", json={"full": False})
    assert r.status_code == 200
    body = r.json()
    assert body["result"]["reports"] == 5 and "增量更新" in body["message"] and body["events"]
    assert "/" not in body["result"]["index"]                     # the index's name, not its path
    r = own_client.post("/api/build", params={"stream": "true"})
    assert r.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in r.text.splitlines()]
    events = [x["event"] for x in lines if "event" in x]
    assert "读取报告" in events and "完成" in events
    assert "全量重建" in lines[-1]["message"] and lines[-1]["result"]["full"] is True


def test_a_build_while_another_runs_is_a_409(lib, own_client):
    with lib.lock:
        assert "正在进行" in error_of(own_client.post("/api/build"), 409)
        assert "正在进行" in error_of(own_client.post("/api/build", params={"stream": "true"}), 409)


# --------------------------------------------------------------------------- keys

def test_a_key_is_required_when_set(shared_lib):
    c = TestClient(api.create_api(lambda: shared_lib, key="k-123456"))
    q = {"question": "防城港市组建了多少个工会组织？"}
    r = c.post("/api/ask", json=q)
    assert "密钥" in error_of(r, 401) and r.headers["www-authenticate"] == "Bearer"
    error_of(c.post("/api/ask", json=q, headers={"Authorization": "Bearer wrong"}), 401)
    error_of(c.get("/v1/models", headers={"Authorization": "Bearer wrong"}), 401)
    ok = c.post("/api/ask", json=q, headers={"Authorization": "Bearer k-123456"})
    assert ok.status_code == 200 and ok.json()["short"] == "3135个"
    assert c.get("/api/openapi.json").status_code == 200          # the schema itself is public


def test_with_a_login_and_no_key_the_api_is_closed(shared_lib):
    c = TestClient(api.create_api(lambda: shared_lib, login=True))
    assert "QA_API_KEY" in error_of(c.post("/api/ask", json={"question": "南宁有多少个工会？"}), 403)
    assert "QA_API_KEY" in error_of(c.get("/api/reports"), 403)


def test_key_settings_and_where_the_server_may_listen():
    assert api.access_settings({}) is None
    assert api.access_settings({"QA_API_KEY": " abc "}) == "abc"
    with pytest.raises(errors.InvalidParameter, match="QA_API_KEY"):
        api.access_settings({"QA_API_KEY": "  "})
    api.check_listen("127.0.0.1", None, False)
    api.check_listen("0.0.0.0", "key", False)
    api.check_listen("0.0.0.0", None, True)
    with pytest.raises(errors.InvalidParameter, match="QA_API_KEY"):
        api.check_listen("0.0.0.0", None, False)


def test_the_app_refuses_to_listen_beyond_this_machine_unguarded(monkeypatch, capsys, tmp_path):
    import gradio as gr

    import app
    launched = []
    monkeypatch.setattr(gr.Blocks, "launch", lambda self, **kw: launched.append(kw))
    for k in ("QA_USER", "QA_PASSWORD", "QA_API_KEY"):
        monkeypatch.delenv(k, raising=False)
    code = app.main(["--host", "0.0.0.0", "--reports", str(tmp_path / "r"), "--index", str(tmp_path / "i")])
    err = capsys.readouterr().err
    assert code == 2 and not launched and "QA_API_KEY" in err and "127.0.0.1" in err
    assert not (tmp_path / "i").exists()


# --------------------------------------------------------------------------- the OpenAI-compatible endpoint

def test_chat_completion_and_its_citations(client):
    r = client.post("/v1/chat/completions", json={
        "model": api.MODEL_ID, "temperature": 0.2,
        "messages": [{"role": "system", "content": "你是助手"},
                     {"role": "user", "content": "内江市建了几个困难职工帮扶中心？"},
                     {"role": "assistant", "content": "6个（内江）"},
                     {"role": "user", "content": [{"type": "text", "text": "惠民超市呢？"}]}]})
    body = r.json()
    text = body["choices"][0]["message"]["content"]
    assert text.startswith("46个惠民超市") and "原文：" in text and "出处：003_f4a81f0fcfe9b1a3.txt" in text
    assert body["citations"][0]["source"] == "003_f4a81f0fcfe9b1a3.txt" and body["found"] is True
    assert body["choices"][0]["finish_reason"] == "stop" and body["object"] == "chat.completion"


def test_chat_errors_are_json(client):
    assert "user" in error_of(client.post("/v1/chat/completions", json={
        "model": "m", "messages": [{"role": "assistant", "content": "你好"}]}), 400)
    assert "messages" in error_of(client.post("/v1/chat/completions", json={"model": "m", "messages": []}), 422)
    assert "没有这个接口" in error_of(client.get("/v1/engines"), 404)


# --------------------------------------------------------------------------- exports

def test_conversation_markdown_holds_questions_quotes_and_sources(assistant):
    first = assistant.ask("内江市建了几个困难职工帮扶中心？")
    second = assistant.ask("惠民超市呢？", history=["内江市建了几个困难职工帮扶中心？"])
    refused = assistant.ask("北京市有多少个基层工会组织？")
    md = export.conversation_markdown([("内江市建了几个困难职工帮扶中心？", first), ("惠民超市呢？", second),
                                       ("北京市有多少个基层工会组织？", refused), ("<b>坏</b>", "内部错误")])
    assert "## 2. 惠民超市呢？" in md and "**回答**：46个惠民超市" in md
    assert "> " + second.citations[0].quote in md and "003_f4a81f0fcfe9b1a3.txt" in md
    assert "**未找到**" in md and "\\<b\\>坏\\</b\\>" in md and "**出错**：内部错误" in md


def test_csv_exports_are_excel_friendly_and_safe(assistant):
    assert export.answer_table_csv(assistant.ask("防城港市组建了多少个工会组织？")) is None
    text = export.answer_table_csv(assistant.ask("柳州市工会会员数增加了多少万人？"))
    assert text.startswith("\ufeff地区,数字,数值")
    assert "60.65万人,606500,人,变化前" in text and "83.13万人,831300,人,变化后" in text
    import csv
    rows = list(csv.reader(io.StringIO(export.figures_csv([{"place": "=HYPERLINK(\"x\")", "value": -3.5,
                                                             "sentence": "@SUM(A1)"}]).lstrip("\ufeff"))))
    assert rows[1][0] == "'=HYPERLINK(\"x\")" and rows[1][3] == "-3.5" and rows[1][9] == "'@SUM(A1)"


# --------------------------------------------------------------------------- the page's exports and header sort

def test_the_pages_export_buttons_follow_the_conversation(lib):
    import app
    assert [u["visible"] for u in app.export_files([], None)] == [False, False]
    _, _, turns, *_ = app.ask("防城港市组建了多少个工会组织？", [])
    md, table = app.export_files(turns, 0)
    assert md["visible"] and not table["visible"]
    text = open(md["value"], encoding="utf-8").read()
    assert "## 1. 防城港市组建了多少个工会组织？" in text and "组建工会组织3135个" in text
    _, _, turns, *_ = app.ask("柳州市工会会员数增加了多少万人？", turns)
    md, table = app.export_files(turns, 1)
    assert table["visible"] and "83.13万人" in open(table["value"], encoding="utf-8-sig").read()
    assert "## 2. 柳州市工会会员数增加了多少万人？" in open(md["value"], encoding="utf-8").read()
    # the earlier reply chosen again: its own (no) table
    assert not app.export_files(turns, 0)[1]["visible"]
    rows = open(app.figures_export("防城港 工会组织", "数值从大到小")["value"], encoding="utf-8-sig").read().splitlines()
    assert len(rows) - 1 == lib.figure_table().page("防城港 工会组织")[3] and "3135个" in "".join(rows)


def test_a_header_click_asks_for_a_server_sort():
    import app
    from qa import present
    assert present.header_sort("数值", "报告顺序") == "数值从大到小"
    assert present.header_sort("数字", "数值从大到小") == "数值从小到大"
    assert present.header_sort("地区", None) == "地区" and present.header_sort("原句", "地区") is None
    assert set(present.HEADER_SORTS.values()) <= set(present.FIGURE_SORTS)
    assert app.sort_by_header("日期|1712345678", "报告顺序") == "日期"
    assert app.sort_by_header("原句|1712345678", "地区") == {"__type__": "update"}


def test_a_taken_port_is_named_with_our_settings():
    import socket

    from qa.server import port_problem
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        msg = port_problem("127.0.0.1", port)
    assert f"端口 {port} 已被占用" in msg and "--port" in msg and "QA_PORT" in msg
    assert port_problem("127.0.0.1", port) is None                     # free again
    assert "QA_HOST" in port_problem("no-such-host.invalid", 7860)


def test_a_refusals_nearest_record_comes_through(shared_lib, client, monkeypatch):
    from qa import Answer, Citation
    near = Citation("a.txt", "p1", "文章", "全市新建职工书屋37个。", place="湘潭", date="2019")
    refused = Answer(found=False, short="", text="报告中没有找到这项数据。\n最接近的记录（并非所问）：…",
                     nearest=near, reason="thing", kind="count")
    monkeypatch.setattr(shared_lib.assistant, "ask", lambda q, history=None: refused)
    a = client.post("/api/ask", json={"question": "湘潭市有多少个职工之家？"}).json()
    assert a["found"] is False and a["reason"] == "thing"
    assert a["nearest"] == {"source": "a.txt", "passage_id": "p1", "section": "文章", "quote": "全市新建职工书屋37个。",
                            "place": "湘潭", "date": "2019"}


def test_old_exports_are_swept(lib, monkeypatch, tmp_path):
    import os
    import time

    import app
    from qa import guard
    monkeypatch.setattr(guard, "upload_folder", lambda: tmp_path / "cache")
    first = app._export_file("conversation.md", "# 一")
    old = time.time() - app.EXPORT_MAX_AGE - 10
    os.utime(os.path.dirname(first), (old, old))
    second = app._export_file("conversation.md", "# 二")
    assert open(second, encoding="utf-8").read() == "# 二" and not os.path.exists(first)
    assert app._export_file("conversation.md", "# 二") == second          # the same export, one file
