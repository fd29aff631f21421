"""The web chat without a browser: qa.present (escaping, highlighting, tables, uploads) and
the handler functions of app.py called directly."""

from __future__ import annotations

import html
import re
import sys
import threading
from pathlib import Path

import pytest

from qa import Answer, Assistant, Citation, Passage, present
from qa.present import UploadRejected

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import app  # noqa: E402

XSS_SCRIPT = "<script>window.__xss=1</script>"
XSS_IMG = '<img src=x onerror="window.__xss=2">'

XIANGTAN = """湘潭市总工会：夯实基层 服务职工

2019年，湘潭市总工会团结带领全市职工，各项工作取得新成效。

截至2019年底，全市共建立基层工会组织2468个，工会会员总数41.2万人。

全市新建职工书屋37个，筹集金秋助学资金156.7万元，资助困难职工子女612名。
"""

YUEYANG = f"""# 岳阳市总工会{XSS_SCRIPT}：夯实基层

截至2020年底，岳阳市基层工会组织{XSS_IMG}1357个，工会会员总数22.4万人。

全市新建职工书屋29个，[点此](javascript:window.__xss=4)领取资金。
"""

RAW_TAG = re.compile(r"<\s*/?\s*(script|img|iframe|svg|a)\b", re.IGNORECASE)


def no_raw_tags(html_text: str) -> bool:
    return RAW_TAG.search(html_text) is None and "onerror=" not in html_text.replace('onerror=&quot;', "")


# --------------------------------------------------------------------------- escaping and highlighting

def test_esc_escapes_markup():
    assert present.esc(XSS_SCRIPT) == "&lt;script&gt;window.__xss=1&lt;/script&gt;"
    out = present.esc(XSS_IMG)
    assert "<img" not in out and "&lt;img" in out and "&quot;" in out
    assert present.esc(None) == ""


def test_highlight_marks_quote_and_figure():
    text = "近年来，工作取得新成绩。截至2008年6月底，全市基层工会组织8019个，会员76.8万人。以农民工入会为重点。"
    quote = "截至2008年6月底，全市基层工会组织8019个，会员76.8万人。"
    out = present.highlight(text, quote, ["8019个"])
    assert out.count('<mark class="qa-hl">') == 1 and out.count("</mark>") == 1
    inside = out.split('<mark class="qa-hl">')[1].split("</mark>")[0]
    assert '<strong class="qa-fig">8019个</strong>' in inside
    assert re.sub(r"<[^>]+>", "", out) == text     # the text itself is unchanged


def test_highlight_figures_only_inside_quote():
    text = "一共8019个。另一句也有8019个。"
    out = present.highlight(text, "另一句也有8019个。", ["8019个"])
    assert out.count("qa-fig") == 1
    assert out.index("qa-fig") > out.index("qa-hl")


def test_highlight_escapes_report_text_and_quote():
    text = f"开头{XSS_SCRIPT}。全市基层工会组织{XSS_IMG}1357个。"
    quote = f"全市基层工会组织{XSS_IMG}1357个。"
    out = present.highlight(text, quote, ["1357个", "<img"])
    assert no_raw_tags(out)
    assert "&lt;script&gt;" in out and "&lt;img</strong> src=x onerror=&quot;window.__xss=2&quot;&gt;" in out
    assert '<mark class="qa-hl">' in out
    assert html.unescape(re.sub(r"<[^>]+>", "", out)) == text   # shown as the text it is


def test_highlight_quote_with_other_white_space():
    text = "截至2020年底，全市\n基层工会组织1200个。"
    out = present.highlight(text, "截至2020年底，全市基层工会组织1200个。", ["1200个"])
    assert '<mark class="qa-hl">' in out and "1200个</strong>" in out


def test_highlight_missing_quote_leaves_text_plain():
    out = present.highlight("一段文字<b>。", "不在其中", ["9个"])
    assert out == "一段文字&lt;b&gt;。"


def _xss_answer() -> Answer:
    quote = f"截至2020年底，岳阳市基层工会组织{XSS_IMG}1357个，工会会员总数22.4万人。"
    cite = Citation("evil<script>.md", "p1", f"岳阳市总工会{XSS_SCRIPT}", quote, "岳阳", "2020")
    text = f"1357个（岳阳）\n原文：「{quote}」\n出处：evil<script>.md · 岳阳市总工会{XSS_SCRIPT}"
    return Answer(True, "1357个", text, (cite,), kind="count")


def test_render_answer_escapes_everything():
    out = present.render_answer(_xss_answer())
    assert no_raw_tags(out)
    assert "<strong>1357个</strong>" in out
    assert 'class="qa-quote"' in out and 'class="qa-cite"' in out
    assert "\n\n" not in out   # one HTML block: Markdown never reinterprets the text


def test_render_question_escapes():
    out = present.render_question(f"{XSS_IMG}问题\n\n第二行")
    assert no_raw_tags(out) and "\n" not in out and "第二行" in out


def test_render_passages_escapes_and_highlights():
    a = _xss_answer()
    text = f"开头{XSS_SCRIPT}。{a.citations[0].quote}结尾。"
    passage = Passage("p1", "evil<script>.md", f"岳阳市总工会{XSS_SCRIPT}", "岳阳", "2020", text, 0, len(text))
    out = present.render_passages(a, {"p1": passage}.get)
    assert no_raw_tags(out)
    assert '<mark class="qa-hl">' in out and '<strong class="qa-fig">1357个</strong>' in out
    # a passage that left the index: the quote alone, still highlighted
    out = present.render_passages(a, lambda pid: None)
    assert no_raw_tags(out) and '<mark class="qa-hl">' in out


def test_render_error_and_status_escape():
    assert no_raw_tags(present.render_error(XSS_IMG))
    assert no_raw_tags(present.status_html(XSS_SCRIPT, ok=False))


# --------------------------------------------------------------------------- file names

@pytest.mark.parametrize("name, expected", [
    ("report.txt", "report.txt"),
    ("湘潭市工会报告.md", "湘潭市工会报告.md"),
    ("Annual Report 2020.TXT", "Annual_Report_2020.txt"),
    ("<img src=x onerror=alert(1)>.txt", "img_src_x_onerror_alert(1).txt"),
    ("a;rm -rf ~.txt", "a_rm_-rf.txt"),
])
def test_safe_report_name(name, expected):
    assert present.safe_report_name(name) == expected


@pytest.mark.parametrize("name, words", [
    ("", "为空"),
    (".hidden.txt", "隐藏"),
    ("../../etc/passwd.txt", "路径"),
    ("sub\\x.txt", "路径"),
    ("a\x00b.txt", "控制字符"),
    ("report.xls", "只接受 .txt、.md、.docx、.pdf、.png 或 .jpg"),
    ("report", "只接受"),
    ("report.doc", "另存为” .docx"),
])
def test_unsafe_report_names_are_rejected(name, words):
    with pytest.raises(UploadRejected, match=re.escape(words)):
        present.safe_report_name(name)


# --------------------------------------------------------------------------- tables and charts

def test_chart_and_table_of_a_compare_answer(assistant):
    ans = assistant.ask("内江和南充，哪个市五年来处理的劳动争议更多？")
    assert ans.kind == "compare" and ans.table
    frame = present.answer_frame(ans)
    assert list(frame.columns) == present.ANSWER_COLUMNS and len(frame) == len(ans.table)
    chart = present.chart_data(ans)
    assert chart["kind"] == "bar" and set(chart["frame"]["数值"]) == {1013.0, 1480.0}
    assert chart["y_title"] == "数值（件）"


def test_chart_of_a_compute_answer_uses_its_scale(assistant):
    ans = assistant.ask("柳州市工会会员数增加了多少万人？")
    assert ans.kind == "compute"
    chart = present.chart_data(ans)
    assert chart["y_title"] == "数值（万人）"
    assert sorted(chart["frame"]["数值"]) == [60.65, 83.13]
    assert all("之前" in x or "之后" in x for x in chart["frame"]["项目"])


def test_plain_answer_has_no_table(assistant):
    ans = assistant.ask("防城港市组建了多少个工会组织？")
    assert present.answer_frame(ans) is None and present.chart_data(ans) is None


def test_figure_and_report_frames(assistant):
    figs = present.figures_frame(assistant.figures)
    assert list(figs.columns) == present.FIGURE_COLUMNS and len(figs) == len(assistant.figures)
    row = assistant.figures[0]
    found = present.find_figure(assistant.figures, row["passage_id"], row["figure"], row["sentence"])
    assert found is row
    html_row = present.render_figure_row(row, assistant.passage(row["passage_id"]))
    assert '<mark class="qa-hl">' in html_row and present.esc(row["figure"]) in html_row
    reps = present.reports_frame(assistant.reports())
    assert list(reps.columns) == present.REPORT_COLUMNS and len(reps) == 5
    assert reps["段落数"].sum() == sum(r["passages"] for r in assistant.reports())


# --------------------------------------------------------------------------- the app's handlers

@pytest.fixture
def lib(tmp_path, seed_index):
    """app.py configured on a copy of the bundled reports and of their index."""
    from conftest import app_on_copy
    yield app_on_copy(tmp_path, seed_index).library()
    app.LIBRARY = None


def _bot(messages) -> str:
    return messages[-1]["content"]


def test_ask_answers_with_quote_citation_and_passages(lib):
    box, messages, turns, passages, box_vis, _table, _bar, _line, shown = app.ask(
        "截至2008年6月底，南宁市共有多少个基层工会组织？", [])
    assert box == "" and len(messages) == 2 and len(turns) == 1
    assert messages[0]["role"] == "user" and messages[1]["role"] == "assistant"
    reply = _bot(messages)
    assert "<strong>8019个</strong>" in reply and "原文" in reply and "000_ad651ca938ec0b06.txt" in reply
    assert '<mark class="qa-hl">' in passages and "8019个" in passages and "南宁" in passages
    assert box_vis["visible"] is False and shown == 0


def test_follow_up_uses_history(lib):
    _, messages, turns, *_ = app.ask("内江市建了几个困难职工帮扶中心？", [])
    assert "6个" in _bot(messages)
    _, messages, turns, _passages, *_ = app.ask("惠民超市呢？", turns)
    assert len(messages) == 4 and "46个惠民超市" in _bot(messages)
    assert turns[1]["question"] == "惠民超市呢？"


def test_example_with_follow_up_asks_both(lib):
    idx = next(i for i, qs in enumerate(app.EXAMPLES) if len(qs) == 2)
    _, messages, turns, *_ = app.run_example(idx, [])
    assert len(turns) == 2 and "46个惠民超市" in _bot(messages)


def test_compare_shows_table_and_chart(lib):
    _, messages, turns, passages, box_vis, table, bar, line, shown = app.ask(
        "内江和南充，哪个市五年来处理的劳动争议更多？", [])
    assert "南充" in _bot(messages)
    assert box_vis["visible"] is True and len(table) == 2
    assert bar["visible"] is True and line["visible"] is False and bar["y_title"] == "数值（件）"
    assert "value" not in bar      # the data comes in the second step
    assert passages.count('class="qa-card"') == 2
    bar_data, line_data = app.plot_data(turns, shown)
    assert sorted(bar_data["数值"]) == [1013.0, 1480.0] and line_data == {"__type__": "update"}


def test_select_reply_shows_that_reply(lib):
    import gradio as gr
    _, _, turns, *_ = app.ask("防城港市组建了多少个工会组织？", [])
    _, _, turns, *_ = app.ask("内江和南充，哪个市五年来处理的劳动争议更多？", turns)
    evt = gr.SelectData(None, {"index": 1, "value": ""})
    passages, box_vis, *_, shown = app.select_reply(turns, evt)
    assert "3135个" in passages and box_vis["visible"] is False and shown == 0
    evt = gr.SelectData(None, {"index": 3, "value": ""})
    passages, box_vis, *_, shown = app.select_reply(turns, evt)
    assert "1480件" in passages and box_vis["visible"] is True and shown == 1


def test_empty_question_and_clear(lib):
    _, messages, turns, *_ = app.ask("   ", [])
    assert messages == [] and turns == []
    out = app.clear()
    assert out[:3] == ("", [], [])


def test_user_text_is_escaped_in_chat(lib):
    _, messages, *_ = app.ask(f"{XSS_IMG}南宁市有多少个基层工会组织？", [])
    assert no_raw_tags(messages[0]["content"]) and no_raw_tags(messages[1]["content"])


def test_chat_api_returns_the_answer_text(lib):
    text = app.chat_api("防城港市组建了多少个工会组织？")
    assert isinstance(text, str) and text.startswith("3135个") and "出处" in text


def test_library_error_is_shown_not_raised(tmp_path, bundled_reports):
    app.configure(bundled_reports, tmp_path / "no-index")
    try:
        _, messages, *_ = app.ask("防城港市组建了多少个工会组织？", [])
        assert "qa-error" in _bot(messages) and "qa build" in _bot(messages)
        assert "错误" in app.chat_api("x")
    finally:
        app.LIBRARY = None


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    folder = tmp_path / "uploads"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("name, data, words", [
    ("empty.txt", b"", "空"),
    ("blank.md", b"  \n\n ", "空"),
    ("binary.txt", bytes(range(256)) * 40, "二进制"),
    ("report.xls", "湘潭市总工会".encode(), "只接受"),
    ("report.pdf", "湘潭市总工会".encode(), "PDF 文件已损坏"),
    ("report.docx", b"PK\x03\x04", "不是有效的 Word 文档"),
    ("scan.png", b"", "空"),
    ("report.doc", b"\xd0\xcf\x11\xe0", "另存为” .docx"),
    (".hidden.txt", XIANGTAN.encode(), "隐藏"),
    ("000_ad651ca938ec0b06.txt", XIANGTAN.encode(), "同名"),
])
def test_bad_upload_gives_a_message_and_keeps_the_index(lib, tmp_path, name, data, words):
    before_files = sorted(p.name for p in lib.reports.iterdir())
    before = lib.assistant.reports()
    status = app.add_file(_write(tmp_path, name, data))
    assert "qa-bad" in status and words in status and "未添加" in status
    assert sorted(p.name for p in lib.reports.iterdir()) == before_files
    assert Assistant.load(lib.index).reports() == before == lib.assistant.reports()
    assert "8019个" in lib.assistant.ask("截至2008年6月底，南宁市共有多少个基层工会组织？").text


def _bad_document(kind: str, tmp_path: Path) -> bytes:
    from test_documents import blank_png, encrypted_pdf, make_text_pdf, zip_of_other_things
    if kind == "encrypted":
        return encrypted_pdf(make_text_pdf(tmp_path / "z.pdf"))
    if kind == "zip":
        return zip_of_other_things()
    return blank_png(20000, 20000)


@pytest.mark.parametrize("name, kind, words", [
    ("locked.pdf", "encrypted", "PDF 已加密"),
    ("notes.docx", "zip", "不是 Word 文档"),
    ("huge.png", "huge", "图片过大（20000×20000 像素"),
])
def test_bad_document_upload_gives_a_message_and_keeps_the_index(lib, tmp_path, name, kind, words):
    before_files = sorted(p.name for p in lib.reports.iterdir())
    before = lib.assistant.reports()
    status = app.add_file(_write(tmp_path, name, _bad_document(kind, tmp_path)))
    assert "qa-bad" in status and words in status and "未添加" in status
    assert sorted(p.name for p in lib.reports.iterdir()) == before_files
    assert Assistant.load(lib.index).reports() == before == lib.assistant.reports()
    assert "8019个" in lib.assistant.ask("截至2008年6月底，南宁市共有多少个基层工会组织？").text


def test_delete_a_report_after_its_confirmation(lib, tmp_path):
    app.add_file(_write(tmp_path, "xiangtan.txt", XIANGTAN.encode()))
    title = next(r["title"] for r in lib.assistant.reports() if r["file"] == "xiangtan.txt")
    assert title and title != "xiangtan.txt"
    # the choices show the title and the file name; the value is the file
    choices = app.report_picker()["choices"]
    assert (f"{title} · xiangtan.txt", "xiangtan.txt") in [tuple(c) for c in choices]
    # asking first: a confirmation naming the report, nothing deleted yet
    confirm, status = app.ask_delete("xiangtan.txt")
    assert confirm["visible"] is True and f"确定删除「{title} · xiangtan.txt」" in status
    assert (lib.reports / "xiangtan.txt").exists()
    confirm, status = app.cancel_delete()
    assert confirm["visible"] is False and "已取消" in status
    confirm, status, reports, *_ = app.delete_report("xiangtan.txt")
    assert confirm["visible"] is False and "qa-ok" in status and "已删除 xiangtan.txt" in status
    assert not (lib.reports / "xiangtan.txt").exists()
    assert "xiangtan.txt" not in set(reports["文件"]) and len(reports) == 5
    assert not [p for p in lib.reports.iterdir() if p.name.startswith(".deleted")]
    a = lib.assistant.ask("湘潭市有多少个基层工会组织？")
    assert "2468个" not in a.text
    assert "8019个" in lib.assistant.ask("截至2008年6月底，南宁市共有多少个基层工会组织？").text


def test_delete_asks_for_a_report_and_refuses_an_unknown_one(lib):
    confirm, status = app.ask_delete(None)
    assert confirm["visible"] is False and "请先选择" in status
    before = lib.assistant.reports()
    _, status, *_ = app.delete_report("nowhere.txt")
    assert "qa-bad" in status and "未删除" in status and "没有" in status
    _, status, *_ = app.delete_report("../index/manifest.json")
    assert "qa-bad" in status and "未删除" in status
    assert lib.assistant.reports() == before and (lib.index / "manifest.json").exists()


def test_a_failed_delete_puts_the_report_back(lib, monkeypatch):
    before = lib.assistant.reports()
    files = sorted(p.name for p in lib.reports.iterdir())

    def broken_build(*args, **kw):
        raise present.QAError("构建失败（测试）")
    monkeypatch.setattr(present, "run_build", broken_build)
    _, status, *_ = app.delete_report("004_a6f4e72832cc6f8e.txt")
    assert "qa-bad" in status and "未删除" in status and "构建失败" in status
    assert sorted(p.name for p in lib.reports.iterdir()) == files
    assert lib.assistant.reports() == before


def test_duplicate_content_upload_is_refused(lib, tmp_path):
    data = (SEEDS / "004_a6f4e72832cc6f8e.txt").read_bytes()
    status = app.add_file(_write(tmp_path, "copy.txt", data))
    assert "qa-bad" in status and "内容相同" in status
    assert not (lib.reports / "copy.txt").exists()


def test_good_upload_is_answerable_at_once(lib, tmp_path):
    gen = lib.generation
    path = _write(tmp_path, "湘潭 2019.txt", XIANGTAN.encode("gb18030"))
    status, reports, _figures, _info, _page, _search, _summary, files = app.upload([str(path)], False)
    assert "qa-ok" in status and "湘潭_2019.txt" in status
    assert (lib.reports / "湘潭_2019.txt").read_bytes() == XIANGTAN.encode("gb18030")
    assert lib.generation == gen + 1 and files is None
    assert "湘潭_2019.txt" in set(reports["文件"]) and len(reports) == 6
    assert "2468个" in set(app.figures_view("湘潭", None, 1)[0]["数字"])
    _, messages, *_ = app.ask("湘潭市有多少个基层工会组织？", [])
    assert "2468个" in _bot(messages) and "湘潭_2019.txt" in _bot(messages)
    # the same name again: refused unless replace is ticked
    new = XIANGTAN.replace("2468", "2470").encode("utf-8")
    status = app.add_file(_write(tmp_path, "湘潭 2019.txt", new))
    assert "qa-bad" in status and "替换同名报告" in status
    status = app.add_file(_write(tmp_path, "湘潭 2019.txt", new), replace=True)
    assert "qa-bad" in status and "湘潭_2019.txt" in status     # replaced only by its own name
    status = app.add_file(_write(tmp_path, "湘潭_2019.txt", new), replace=True)
    assert "qa-ok" in status
    assert "2470个" in app.chat_api("湘潭市有多少个基层工会组织？")
    assert not [p for p in lib.reports.iterdir() if p.name.startswith(".")]


def test_xss_report_upload_is_escaped_everywhere(lib, tmp_path):
    status = app.add_file(_write(tmp_path, "yueyang.md", YUEYANG.encode()))
    assert "qa-ok" in status
    _, messages, _turns, passages, *_ = app.ask("岳阳市有多少个基层工会组织？", [])
    assert "1357个" in _bot(messages)
    assert no_raw_tags(_bot(messages)) and no_raw_tags(passages)
    assert "&lt;img src=x" in passages


def test_rebuild_swaps_the_assistant(lib):
    old = lib.assistant
    status, reports, _figures, _info, _page, _search, summary = app.rebuild()
    assert "qa-ok" in status and "全量重建" in status
    assert lib.assistant is not old and len(reports) == 5
    assert "已索引" in summary


def test_answers_keep_coming_during_a_rebuild(lib):
    errors, answers = [], []
    t = threading.Thread(target=lambda: lib.rebuild(full=True))
    t.start()
    while t.is_alive() or not answers:
        try:
            answers.append(app.chat_api("防城港市组建了多少个工会组织？"))
        except Exception as exc:  # pragma: no cover - a failure is what this test looks for
            errors.append(exc)
    t.join()
    assert not errors and all(a.startswith("3135个") for a in answers)


def test_highlight_does_not_mark_a_figure_inside_a_larger_number():
    quote = "全市已建困难职工帮扶中心6个、9个惠民门诊、46个惠民超市，116个站点。"
    out = present.highlight(quote, None, ["6个"])
    assert out.count('<strong class="qa-fig">') == 1
    assert '中心<strong class="qa-fig">6个</strong>' in out


def test_too_long_question_gets_a_message(lib):
    _, messages, *_ = app.ask("南宁" * 400, [])
    assert "qa-error" in _bot(messages) and "问题太长" in _bot(messages)
    assert "问题太长" in app.chat_api("南宁" * 400)


def test_build_message_names_the_index_not_its_path(lib, tmp_path):
    status = app.add_file(_write(tmp_path, "xiangtan.md", XIANGTAN.encode()))
    assert "已添加 xiangtan.md（" in status and "个段落）" in status
    assert str(lib.index) not in status and "增量更新 index：" in status


def test_the_app_starts_when_no_report_can_be_used_and_takes_an_upload(tmp_path):
    import io
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "empty.txt").write_bytes(b"")
    out = io.StringIO()
    try:
        lib = app.configure(reports, tmp_path / "index")
        lib.prepare(progress=False, out=out)
        assert "没有可用的报告" in out.getvalue()
        reply = app.chat_api("湘潭市有多少个基层工会组织？")
        assert "没有可用的报告" in reply and "empty.txt" in reply and "文件为空" in reply
        _, messages, *_ = app.ask("湘潭市有多少个基层工会组织？", [])
        assert "没有可用的报告" in _bot(messages)
        assert "没有可用的报告" in app.refresh()[-1]
        status = app.add_file(_write(tmp_path, "xiangtan.txt", XIANGTAN.encode()))
        assert "qa-ok" in status
        assert "2468个" in app.chat_api("湘潭市有多少个基层工会组织？")
    finally:
        app.LIBRARY = None


# --------------------------------------------------------------------------- issue 11: the 数据 tab

@pytest.fixture
def many_figures(tmp_path):
    """The app on the tiny reports and a report of 3,000 distinct figures."""
    import io
    import shutil

    from conftest import DATA
    reports = tmp_path / "reports"
    shutil.copytree(DATA / "reports", reports)
    lines = [f"株洲市第{i}工会新建职工书屋{i + 7}个，培训职工{i * 3 + 1}人。" for i in range(1500)]
    (reports / "many.txt").write_text("株洲市总工会 书屋建设\n\n" + "\n\n".join(lines) + "\n", encoding="utf-8")
    lib = app.configure(reports, tmp_path / "index")
    lib.prepare(progress=False, out=io.StringIO())
    yield lib
    app.LIBRARY = None


def _payload_bytes(outputs) -> int:
    """Roughly what Gradio sends for these outputs (frames as JSON, the rest as text)."""
    import json
    size = 0
    for out in outputs:
        to_json = getattr(out, "to_json", None)
        size += len(to_json(force_ascii=False).encode()) if to_json else len(json.dumps(out, default=str).encode())
    return size


def test_a_page_load_sends_one_page_of_the_figure_table(many_figures):
    total = len(many_figures.assistant.figures)
    assert total > 3000
    out = app.refresh()
    frame = out[1]
    assert list(frame.columns) == present.FIGURE_COLUMNS
    assert 0 < len(frame) <= present.FIGURES_PER_PAGE
    assert _payload_bytes(out) < 60_000
    assert any(f"共 {total} 个数字" in str(o) for o in out)


def test_the_figure_table_is_searched_and_paged_on_the_server(many_figures):
    frame, info, page = app.figures_view("第1234工会", None, 1)
    assert len(frame) == 2 and set(frame["数字"]) == {"1241个", "3703人"} and page == 1
    frame, info, page = app.figures_view("书屋", None, 3)         # the third page of the rows holding 书屋
    assert page == 3 and len(frame) == present.FIGURES_PER_PAGE and "第 3 /" in info
    assert all("书屋" in s for s in frame["原句"])
    frame, info, page = app.figures_view("书屋", None, 10_000)    # past the end: the last page
    assert page >= 3000 // present.FIGURES_PER_PAGE and f"第 {page} / {page} 页" in info
    frame, info, page = app.figures_view("没有这个词", None, 1)
    assert len(frame) == 0 and "没有" in info
    frame, info, page = app.figures_view("", "数值从大到小", 1)
    values = list(frame["数值"])
    assert values == sorted(values, reverse=True) and values[0] == max(f["value"] for f in many_figures.assistant.figures)
    # a row of any page links to its passage
    import gradio as gr
    row = list(app.figures_view("第1234工会", None, 1)[0].iloc[0])
    evt = gr.SelectData(None, {"index": [0, 0], "value": row[0], "row_value": row})
    assert "1241个" in app.show_figure(evt) or "3703人" in app.show_figure(evt)


# --------------------------------------------------------------------------- issue 11: memory after a rebuild

def _rss_mb() -> float:
    import os
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.slow
def test_the_servers_memory_returns_after_a_rebuild(tmp_path, seed_index):
    """A large report comes and goes: after the rebuild without it the server is as small as before."""
    import gc
    import weakref

    from conftest import app_on_copy
    lib = app_on_copy(tmp_path, seed_index).library()
    try:
        for q in ("防城港市组建了多少个工会组织？", "内江和南充，哪个市五年来处理的劳动争议更多？") * 50:
            app.chat_api(q)
        app.refresh()
        gc.collect()
        before = _rss_mb()
        # 16,000 figure rows: built in the server, this left it 37% larger after the rebuild
        lines = [f"株洲市第{i}工会新建职工书屋{i + 7}个，培训职工{i * 3 + 1}人。" for i in range(8000)]
        (lib.reports / "big.txt").write_text("株洲市总工会\n\n" + "\n\n".join(lines), encoding="utf-8")
        app.rebuild()
        assert len(lib.assistant.figures) > 16000
        app.refresh()
        app.figures_view("书屋", "数值从大到小", 3)
        big = weakref.ref(lib.assistant)
        big_mb = _rss_mb()
        (lib.reports / "big.txt").unlink()
        app.rebuild()
        for q in ("防城港市组建了多少个工会组织？", "内江和南充，哪个市五年来处理的劳动争议更多？") * 50:
            assert app.chat_api(q)
        app.refresh()
        gc.collect()
        assert big() is None                          # nothing holds the old index
        after = _rss_mb()
        print(f"\nmemory: {before:.0f} MB before, {big_mb:.0f} MB with the large report, {after:.0f} MB after")
        assert after < 1.1 * before, f"{before:.0f} MB before, {after:.0f} MB after the rebuild"
    finally:
        app.LIBRARY = None


# --------------------------------------------------------------------------- issue 11: uploads kept forever

def test_an_upload_leaves_nothing_in_gradios_cache(lib, tmp_path, monkeypatch):
    import gradio.utils
    cache = tmp_path / "gradio-cache"
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(cache))
    assert Path(gradio.utils.get_upload_folder()) == cache
    good = cache / "3f2a9c" / "xiangtan.txt"          # where Gradio's upload route puts a file
    bad = cache / "77aa01" / "empty.txt"
    for path, data in ((good, XIANGTAN.encode()), (bad, b"")):
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
    status, *_ = app.upload([str(good), str(bad)], False)
    assert "已添加 xiangtan.txt" in status and "未添加 empty.txt" in status
    assert not good.exists() and not bad.exists() and not list(cache.iterdir())
    own = _write(tmp_path, "yueyang.md", YUEYANG.encode())   # not Gradio's: never deleted
    app.add_file(own)
    assert own.exists()


def test_the_page_cleans_the_upload_cache_and_bounds_the_queue():
    demo = app.build_ui()
    frequency, age = demo.delete_cache
    assert 0 < frequency <= 3600 and 0 < age <= 24 * 3600
    assert demo._queue.max_size == app.QUEUE_MAX_SIZE and 0 < app.QUEUE_MAX_SIZE <= 100
    upload = next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "qa-upload")
    assert sorted(upload.file_types) == sorted(app.guard.UPLOAD_SUFFIXES) and ".pdf" in upload.file_types


def test_a_flood_of_rebuilds_runs_one(lib, monkeypatch):
    """20 rebuild requests at once (the queue took 20 full rebuilds in 0.4 s): one runs, the
    others are told at once that a build is under way."""
    import time
    from concurrent.futures import ThreadPoolExecutor
    runs = []

    def slow_build(reports, index, **kw):
        runs.append(1)
        time.sleep(0.5)
        from qa.store import BuildResult
        return BuildResult(index=str(index), full=True, unchanged=["a"], passages=1)
    monkeypatch.setattr(present, "run_build", slow_build)
    monkeypatch.setattr(present.Library, "load", lambda self: self.assistant)
    t0 = time.monotonic()
    with ThreadPoolExecutor(20) as pool:
        statuses = [s for s, *_ in pool.map(lambda _: app.rebuild(), range(20))]
    assert len(runs) == 1 and time.monotonic() - t0 < 3
    assert sum("qa-ok" in s for s in statuses) == 1
    assert all("正在进行" in s for s in statuses if "qa-ok" not in s)


# --------------------------------------------------------------------------- issue 11: login fails open

@pytest.mark.parametrize("env", [{"QA_USER": "union", "QA_PASSWORD": ""}, {"QA_USER": "union"},
                                 {"QA_USER": "union", "QA_PASSWORD": "   "}, {"QA_PASSWORD": "s3cret-pw"},
                                 {"QA_USER": " ", "QA_PASSWORD": "s3cret-pw"}])
def test_a_half_set_login_refuses_to_start(tmp_path, monkeypatch, capsys, env):
    import gradio as gr
    launched = []
    monkeypatch.setattr(gr.Blocks, "launch", lambda self, **kw: launched.append(kw))
    for k in ("QA_USER", "QA_PASSWORD"):
        monkeypatch.delenv(k, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    try:
        code = app.main(["--reports", str(tmp_path / "reports"), "--index", str(tmp_path / "index")])
    finally:
        app.LIBRARY = None
    err = capsys.readouterr().err
    assert code == 2 and not launched
    assert "QA_USER" in err and "QA_PASSWORD" in err
    assert not (tmp_path / "index").exists()           # refused before anything was built


def test_a_login_is_required_when_both_are_set(tmp_path, monkeypatch):
    import asyncio

    import gradio as gr
    launched = []
    monkeypatch.setattr(gr.Blocks, "launch", lambda self, **kw: launched.append(kw))
    monkeypatch.setenv("QA_USER", "union")
    monkeypatch.setenv("QA_PASSWORD", "s3cret-pw")
    from conftest import DATA
    try:
        assert app.main(["--reports", str(DATA / "reports"), "--index", str(tmp_path / "index")]) == 0
    finally:
        app.LIBRARY = None
    auth = launched[0]["auth"]
    import inspect
    assert inspect.iscoroutinefunction(auth)            # what Gradio tests before awaiting it
    assert asyncio.run(auth("union", "s3cret-pw")) is True
    assert asyncio.run(auth("union", "wrong")) is False


def test_wrong_passwords_are_slowed_down():
    import asyncio
    import time

    from qa.guard import LoginGuard
    guard = LoginGuard("union", "s3cret-pw", free=3, delay=0.2, max_delay=0.5)

    async def attempts():
        took = []
        for password in ["a", "b", "c", "d", "e", "f", "s3cret-pw", "g"]:
            t0 = time.monotonic()
            ok = await guard.check("union", password)
            took.append((ok, time.monotonic() - t0))
        return took
    took = asyncio.run(attempts())
    assert [ok for ok, _ in took] == [False] * 6 + [True, False]
    assert all(t < 0.1 for _, t in took[:4])           # three free mistakes; the 4th waits for none
    assert 0.18 < took[4][1] < 0.4 and 0.38 < took[5][1] < 0.7   # then 0.2 s, 0.4 s, …
    assert took[6][1] > 0.45                           # even the right password waits its turn
    assert took[7][1] < 0.1                            # a success starts afresh

    async def flood():                                 # many at once: one at a time
        t0 = time.monotonic()
        results = await asyncio.gather(*(guard.check("union", f"x{i}") for i in range(8)))
        return results, time.monotonic() - t0
    results, seconds = asyncio.run(flood())
    assert not any(results) and seconds > 0.2 + 0.4 + 0.5 + 0.5


# --------------------------------------------------------------------------- issue 11: no server paths in the page

def test_messages_in_the_page_never_show_server_paths(tmp_path, seed_index):
    import shutil
    from conftest import app_on_copy
    secret = str(tmp_path)
    lib = app.configure(tmp_path / "reports", tmp_path / "no-index")
    try:
        shown = [app.chat_api("防城港市组建了多少个工会组织？"), _bot(app.ask("防城港市组建了多少个工会组织？", [])[1])]
        shown.append(app.add_file(_write(tmp_path, "xiangtan.txt", XIANGTAN.encode())))   # no reports folder
        shown.append(app.rebuild()[0])
        lib = app_on_copy(tmp_path / "copy", seed_index).library()
        (lib.index / "figures.jsonl").write_bytes(b"")
        shutil.rmtree(lib.reports)                      # a rebuild that cannot read the reports
        shown.append(app.rebuild()[0])
        from qa.store import build_lock
        lib.reports.mkdir()
        lib.build_wait = 0.2
        with build_lock(lib.index):                     # another build holds the lock
            shown.append(app.add_file(_write(tmp_path, "yueyang.md", YUEYANG.encode())))
    finally:
        app.LIBRARY = None
    for text in shown:
        assert secret not in text and "/tmp" not in text, text
    assert any("qa build" in t for t in shown) and any("正在进行" in t for t in shown)


# --------------------------------------------------------------------------- issue 11: replacing by a cleaned name

def _upload_box():
    demo = app.build_ui()
    return next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "qa-upload")


def _gradio_upload(tmp_path, sent: str, data: bytes):
    """A file as the upload route leaves it: stored under Gradio's cleaned name, with the
    name the browser sent as ``orig_name``, through the page's upload box."""
    from gradio_client.utils import strip_invalid_filename_characters

    from gradio.data_classes import FileData, ListFiles
    path = _write(tmp_path, strip_invalid_filename_characters(sent), data)
    return _upload_box().preprocess(ListFiles([FileData(path=str(path), orig_name=sent)]))[0]


def test_the_upload_box_passes_on_the_name_sent(tmp_path):
    f = _gradio_upload(tmp_path, "报告?2019.txt", XIANGTAN.encode())
    assert Path(f).name == "报告2019.txt" and f.orig_name == "报告?2019.txt"
    assert _upload_box().get_block_name() == "file"
    assert not (Path(app.__file__).with_suffix(".pyi")).exists()


@pytest.mark.parametrize("sent", ["000_ad651ca938ec0b06?.txt", "000_ad651ca938ec0b06|.txt",
                                  "000_ad651ca938ec0b06 .txt", "000 ad651ca938ec0b06.txt"])
def test_replacing_never_overwrites_another_report_by_a_cleaned_name(lib, tmp_path, sent):
    other = lib.reports / "000_ad651ca938ec0b06.txt"
    before = other.read_bytes()
    status, *_ = app.upload([_gradio_upload(tmp_path, sent, XIANGTAN.encode())], True)
    assert other.read_bytes() == before
    assert "8019个" in app.chat_api("截至2008年6月底，南宁市共有多少个基层工会组织？")
    if "qa-ok" in status:                      # kept under a name of its own
        assert "000_ad651ca938ec0b06.txt：" not in status and len(lib.assistant.reports()) == 6
    else:
        assert "000_ad651ca938ec0b06.txt" in status and "另一份报告" in status


def test_our_own_cleaning_never_overwrites_another_report(lib, tmp_path):
    assert "qa-ok" in app.add_file(_write(tmp_path, "a_b.txt", XIANGTAN.encode()))
    status = app.add_file(_write(tmp_path, "a b.txt", YUEYANG.encode()), replace=True)
    assert "qa-bad" in status and "a_b.txt" in status and "改名" in status
    assert (lib.reports / "a_b.txt").read_bytes() == XIANGTAN.encode()
    status = app.add_file(_write(tmp_path, "a_b.txt", YUEYANG.encode()), replace=True)   # its own name
    assert "qa-ok" in status and (lib.reports / "a_b.txt").read_bytes() == YUEYANG.encode()


# --------------------------------------------------------------------------- issue 11: a library of its own

@pytest.fixture
def project(tmp_path, monkeypatch):
    """A copy of the project's layout (the bundled seeds/), as the current folder."""
    from conftest import copy_bundled
    copy_bundled(tmp_path / "seeds")
    monkeypatch.chdir(tmp_path)
    for k in ("QA_REPORTS", "QA_INDEX"):
        monkeypatch.delenv(k, raising=False)
    return tmp_path


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_uploads_go_to_the_library_and_never_to_the_bundled_seeds(project, tmp_path):
    import io
    seeds = _files(project / "seeds")
    args = app.parse_args([])
    assert Path(args.reports).resolve() == project / "reports"
    try:
        lib = app.configure(*app.report_folders(args))
        lib.prepare(progress=False, out=io.StringIO())
        assert _files(project / "reports") == seeds              # the library starts as the samples
        status = app.add_file(_write(tmp_path, "xiangtan.txt", XIANGTAN.encode()))
        assert "qa-ok" in status
        status = app.add_file(_write(tmp_path, "000_ad651ca938ec0b06.txt", YUEYANG.encode()),
                              replace=True)
        assert "qa-ok" in status
    finally:
        app.LIBRARY = None
    assert _files(project / "seeds") == seeds                      # the bundled reports never change
    assert "xiangtan.txt" in _files(project / "reports")
    assert _files(project / "reports")["000_ad651ca938ec0b06.txt"] == YUEYANG.encode()


def test_a_library_named_on_purpose_is_never_made_up(project, monkeypatch):
    monkeypatch.setenv("QA_REPORTS", str(project / "mine"))
    args = app.parse_args([])
    reports, _index = app.report_folders(args)
    assert reports == str(project / "mine") and not (project / "mine").exists()
    reports, _index = app.report_folders(app.parse_args(["--reports", "other"]))
    assert reports == "other" and not (project / "other").exists()


def test_a_build_in_a_child_finds_the_package_from_anywhere(tmp_path, monkeypatch):
    """A build run from another folder (as python /path/to/app.py may be): the child imports qa
    and its error comes back as the same QAError."""
    from conftest import DATA
    from qa.errors import NotAnIndex
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PYTHONNOUSERSITE", "1")
    res = present.run_build(DATA / "reports", tmp_path / "index")
    assert res.passages > 0 and sorted(res.added) == ["liling.md", "zhuzhou.txt"]
    with pytest.raises(NotAnIndex, match="不是索引目录"):
        present.run_build(DATA / "reports", DATA / "reports")
