"""Web chat over the trade-union work reports (Gradio).

    python app.py                      # builds/updates index/ from reports/, serves 127.0.0.1:7860
    python app.py --port 8080 --reports mydocs --index myindex

reports/ is the reports library (uploads go there); the first start makes it as a copy of the
bundled samples in seeds/, which the app never writes to.

Settings also come from QA_HOST, QA_PORT, QA_INDEX, QA_REPORTS; QA_USER and QA_PASSWORD
turn on a login. The chat is callable with gradio_client::

    from gradio_client import Client
    Client("http://127.0.0.1:7860/").predict("防城港市组建了多少个工会组织？", api_name="/chat")

The same server answers the JSON API under /api (documented at /api/docs) and OpenAI clients
under /v1 (``qa.api``); QA_API_KEY is the key they need.

This file is UI wiring only: what the page shows is built by ``qa.present``.
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")   # no calls home at start
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import traceback  # noqa: E402
from pathlib import Path  # noqa: E402

import gradio as gr  # noqa: E402

from qa import api, export, guard, present, server  # noqa: E402
from qa.errors import QAError  # noqa: E402

# The module-level holder of the current Assistant (see qa.present.Library): handlers read
# LIBRARY.assistant once per request; builds swap it under LIBRARY.lock.
LIBRARY: present.Library | None = None

EXAMPLES: list[tuple[str, ...]] = [
    ("截至2008年6月底，南宁市共有多少个基层工会组织？",),
    ("防城港市组建了多少个工会组织？",),
    ("内江市建了几个困难职工帮扶中心？", "惠民超市呢？"),
    ("内江和南充，哪个市五年来处理的劳动争议更多？",),
    ("柳州市工会会员数增加了多少万人？",),
]
EXAMPLE_LABELS = [" → ".join(qs) for qs in EXAMPLES]


def configure(reports: str | Path = "reports", index: str | Path = "index") -> present.Library:
    """Point the app at a reports folder and an index (the index is not built or loaded)."""
    global LIBRARY
    LIBRARY = present.Library(reports, index)
    return LIBRARY


def library() -> present.Library:
    if LIBRARY is None:
        raise RuntimeError("app.configure() has not been called")
    return LIBRARY


def _public(message) -> str:
    """A message for the page: no server paths (the library's messages name folders)."""
    lib = LIBRARY
    return present.public_message(str(message), lib.reports if lib else None, lib.index if lib else None)


def _unexpected(exc: BaseException) -> str:
    traceback.print_exc(file=sys.stderr)   # the terminal gets the traceback, the page a message
    return f"内部错误（{type(exc).__name__}）；请重试，或查看服务器日志。"


# --------------------------------------------------------------------------- chat handlers

def _turn(question: str, turns: list[dict]) -> dict:
    """Answer one question with the chat history; a turn holds what the page shows for it."""
    lib = library()
    history = [(t["question"], t["text"]) for t in turns]
    try:
        assistant = lib.require()
        answer = assistant.ask(present.check_question(question), history=history)
        related = assistant.search(question, k=3, history=history) if not answer.citations \
            and answer.nearest is None and answer.kind != "empty" else []
        return {"question": question, "text": answer.text, "answer": answer,
                "bubble": present.render_answer(answer),
                "passages": present.render_passages(answer, assistant.passage, related)}
    except QAError as exc:
        msg = _public(exc)
    except Exception as exc:  # never a traceback in the page
        msg = _unexpected(exc)
    return {"question": question, "text": msg, "answer": None, "bubble": present.render_error(msg),
            "passages": present.status_html(msg, ok=False)}


def _messages(turns: list[dict]) -> list[dict]:
    out = []
    for t in turns:
        out.append({"role": "user", "content": present.render_question(t["question"])})
        out.append({"role": "assistant", "content": t["bubble"]})
    return out


def _side(turns: list[dict], shown: int | None):
    """The passages panel, the table box, the table, the bar and line chart settings, and
    the number of the turn shown. The charts' data follow in a second step (plot_data): a
    Gradio plot that gets new data and new settings at once keeps its old data."""
    turn = turns[shown] if shown is not None and 0 <= shown < len(turns) else None
    hidden = gr.update(visible=False)
    if turn is None:
        return present.PASSAGES_EMPTY, hidden, None, hidden, hidden, None
    answer = turn.get("answer")
    frame = present.answer_frame(answer) if answer is not None else None
    if frame is None:
        return turn["passages"], hidden, None, hidden, hidden, shown
    chart = present.chart_data(answer)
    bar = line = hidden
    if chart is not None:
        plot = gr.update(y_title=chart["y_title"], title=chart["title"], visible=True)
        if chart["kind"] == "line":
            line = plot
        else:
            bar = plot
    return turn["passages"], gr.update(visible=True), frame, bar, line, shown


def plot_data(turns: list[dict] | None, shown: int | None):
    """Second step after a reply: the data of the bar or line chart of the turn shown."""
    turns = turns or []
    turn = turns[shown] if shown is not None and 0 <= shown < len(turns) else None
    chart = present.chart_data(turn["answer"]) if turn and turn.get("answer") is not None else None
    if chart is None:
        return gr.update(), gr.update()
    if chart["kind"] == "line":
        return gr.update(), chart["frame"]
    return chart["frame"], gr.update()


def _outputs(turns: list[dict], shown: int | None):
    return (_messages(turns), turns) + _side(turns, shown)


def ask(question: str, turns: list[dict] | None):
    """Submit handler: (cleared textbox, chat messages, turns, passages, table box, table,
    bar chart, line chart, number of the turn shown)."""
    turns = list(turns or [])
    question = (question or "").strip()
    if not question:
        return ("",) + _outputs(turns, len(turns) - 1 if turns else None)
    turns.append(_turn(question, turns))
    return ("",) + _outputs(turns, len(turns) - 1)


def run_example(index, turns: list[dict] | None):
    """Example click: ask its question(s) in order (a follow-up example asks both)."""
    turns = list(turns or [])
    try:
        questions = EXAMPLES[int(index)]
    except (TypeError, ValueError, IndexError):
        return ("",) + _outputs(turns, len(turns) - 1 if turns else None)
    for q in questions:
        turns.append(_turn(q, turns))
    return ("",) + _outputs(turns, len(turns) - 1)


def select_reply(turns: list[dict] | None, evt: gr.SelectData):
    """Clicking a message shows the passages, table and chart of that reply."""
    turns = turns or []
    idx = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
    try:
        shown = int(idx) // 2
    except (TypeError, ValueError):
        shown = len(turns) - 1
    if not 0 <= shown < len(turns):
        shown = len(turns) - 1 if turns else None
    return _side(turns, shown)


def clear():
    return ("", [], []) + _side([], None)


def chat_api(question: str) -> str:
    """Answer one question (no history) and return the reply text."""
    try:
        return library().require().ask(present.check_question(question or "")).text
    except QAError as exc:
        return f"错误：{_public(exc)}"


# --------------------------------------------------------------------------- exports

EXPORT_MAX_AGE = 3600     # seconds an export file is kept for its download button


def _export_file(name: str, text: str) -> str:
    """Write an export where Gradio serves files from (beside its upload cache); the folder is
    named by the content, so the same export is one file. Exports older than an hour go."""
    import hashlib
    import shutil
    import time
    root = guard.upload_folder() / "exports"
    folder = root / hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]
    if root.is_dir():
        old = time.time() - EXPORT_MAX_AGE
        for f in root.iterdir():
            try:
                if f != folder and f.stat().st_mtime < old:
                    shutil.rmtree(f, ignore_errors=True)
            except OSError:
                pass
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if not path.exists():
        path.write_text(text, encoding="utf-8", newline="")
    return str(path)


def export_files(turns: list[dict] | None, shown: int | None):
    """After every turn: the conversation as Markdown, and the table of the reply shown as CSV
    (the download buttons, hidden while there is nothing to download)."""
    turns = turns or []
    if not turns:
        return gr.update(value=None, visible=False), gr.update(value=None, visible=False)
    md = export.conversation_markdown([(t["question"], t.get("answer") or t["text"]) for t in turns])
    conversation = gr.update(value=_export_file("conversation.md", md), visible=True)
    turn = turns[shown] if shown is not None and 0 <= shown < len(turns) else None
    table = export.answer_table_csv(turn.get("answer")) if turn else None
    if table is None:
        return conversation, gr.update(value=None, visible=False)
    return conversation, gr.update(value=_export_file("answer-table.csv", table), visible=True)


def figures_export(query: str | None, sort: str | None):
    """The rows of the figure table the search finds (all pages), as a CSV file."""
    table = library().figure_table()
    query = str(query or "")[:present.MAX_QUESTION_CHARS]
    rows, *_ = table.page(query, sort, 1, per_page=max(1, len(table.rows)))
    return gr.update(value=_export_file("figures.csv", export.figures_csv(rows)), visible=True)


# --------------------------------------------------------------------------- reports and data

def figures_view(query: str | None, sort: str | None, page):
    """One page of the figure table, searched and sorted on the server: (table, the line
    saying which page of how many rows, the page number)."""
    lib = library()
    table = lib.figure_table()
    query = str(query or "")[:present.MAX_QUESTION_CHARS]
    rows, page, pages, matched = table.page(query, sort, page)
    info = present.figure_page_info(page, pages, matched, len(table.rows), query)
    return present.figures_frame(rows), info, page


def figures_first(query, sort):
    return figures_view(query, sort, 1)


def sort_by_header(header: str | None, current: str | None):
    """A column header clicked in the 数据 tab ("数值|1712345678"): the order it asks for, set
    in the sort menu (whose change loads the first page, sorted on the server)."""
    want = present.header_sort(str(header or "").split("|", 1)[0], current)
    return gr.update() if want is None or want == current else want


def figures_prev(query, sort, page):
    return figures_view(query, sort, (page or 1) - 1)


def figures_next(query, sort, page):
    return figures_view(query, sort, (page or 1) + 1)


def _tables():
    """What a page load and every build refresh: the reports, the first page of the figure
    table (its search cleared), and the summary line."""
    lib = library()
    a = lib.assistant
    reports = present.reports_frame(a.reports() if a else [])
    figures, info, page = figures_view("", None, 1)
    return reports, figures, info, page, "", present.index_summary(a, _public(lib.problem) if lib.problem else None)


def refresh():
    return _tables()


def upload(files, replace: bool, progress=gr.Progress()):
    """Add uploaded reports one by one; each is checked before it is copied and indexed."""
    lib = library()
    if not files:
        return (present.status_html("请选择 .txt 或 .md 报告文件。", ok=False),) + _tables() + (None,)
    if not isinstance(files, (list, tuple)):
        files = [files]
    lines, ok = [], True
    for f in files:
        path = Path(f if isinstance(f, (str, os.PathLike)) else getattr(f, "name", str(f)))
        # the name the user chose (Gradio stores the file under a cleaned one)
        name = str(getattr(f, "orig_name", None) or path.name)
        try:
            data = path.read_bytes()
            saved, res = lib.add_report(data, name, replace=bool(replace),
                                        on_event=present.event_progress(progress))
            lines.append(_public(present.build_message(res, added=saved, assistant=lib.assistant)))
        except QAError as exc:
            ok = False
            lines.append(f"未添加 {name}：{_public(exc)}")
        except OSError as exc:
            ok = False
            lines.append(f"未添加 {name}：无法读取上传的文件（{exc.strerror}）")
        except Exception as exc:
            ok = False
            lines.append(f"未添加 {name}：{_unexpected(exc)}")
        finally:
            guard.discard_upload(path)      # Gradio's copy: the report, if kept, is in the library now
    return (present.status_html("\n".join(lines), ok=ok),) + _tables() + (None,)


def report_picker():
    """The reports to pick from for deleting: "title · file" labels, file values."""
    a = library().assistant
    return gr.update(choices=present.report_choices(a.reports() if a else []), value=None)


def pick_report(evt: gr.SelectData):
    """A row chosen in the reports table becomes the report to delete."""
    row = list(evt.row_value or [])
    cols = present.REPORT_COLUMNS
    return gr.update(value=str(row[cols.index("文件")])) if len(row) == len(cols) else gr.update()


def ask_delete(name: str | None):
    """The confirmation asked before a report is deleted (shown, with the report's title)."""
    if not name:
        return gr.update(visible=False), present.status_html("请先选择要删除的报告。", ok=False)
    a = library().assistant
    label = dict((f, l) for l, f in present.report_choices(a.reports() if a else [])).get(name, name)
    return (gr.update(visible=True),
            present.status_html(f"确定删除「{label}」吗？文件会从报告库 {library().reports.name}/ 中删除，"
                                "索引随之更新，删除后不能恢复。", ok=False))


def cancel_delete():
    return gr.update(visible=False), present.status_html("已取消，没有删除任何报告。")


def delete_report(name: str | None, progress=gr.Progress()):
    """Delete the chosen report (after its confirmation) and update the index."""
    lib = library()
    try:
        if not name:
            raise present.UploadRejected("请先选择要删除的报告。")
        title, res = lib.delete_report(name, on_event=present.event_progress(progress))
        msg = f"已删除 {name}" + (f"（{title}）" if title and title != name else "") + "。\n" \
            + _public(present.build_message(res))
        ok = True
    except QAError as exc:
        msg, ok = f"未删除 {name}：{_public(exc)}", False
    except Exception as exc:
        msg, ok = f"未删除 {name}：{_unexpected(exc)}", False
    return (gr.update(visible=False), present.status_html(msg, ok=ok)) + _tables()


def add_file(path: str | Path, replace: bool = False) -> str:
    """Add one report file as the upload button does; returns the message shown (as text)."""
    status, *_ = upload([str(path)], replace)
    return status


def rebuild(progress=gr.Progress()):
    """Full rebuild with progress; answers keep coming from the old index meanwhile."""
    lib = library()
    try:
        progress(0.0, desc="开始全量重建")
        # never queued behind another build: a flood of clicks runs one rebuild
        res = lib.rebuild(full=True, on_event=present.event_progress(progress), block=False)
        msg, ok = _public(present.build_message(res)), True
    except QAError as exc:
        msg, ok = f"重建失败：{_public(exc)}", False
    except Exception as exc:
        msg, ok = f"重建失败：{_unexpected(exc)}", False
    return (present.status_html(msg, ok=ok),) + _tables()


def show_figure(evt: gr.SelectData):
    """A row chosen in the figure table: its passage with the sentence highlighted."""
    row = list(evt.row_value or [])
    cols = present.FIGURE_COLUMNS
    if len(row) != len(cols):
        return '<div class="qa-panel-empty">请选择表格中的一行。</div>'
    rec = dict(zip(cols, row, strict=True))
    a = library().assistant
    if a is None:
        return present.status_html("索引未加载", ok=False)
    fig = present.find_figure(a.figures, str(rec["段落"]), str(rec["数字"]), str(rec["原句"]))
    if fig is None:
        return present.status_html("这一行已不在当前索引中（索引刚刚更新过）；请刷新页面。", ok=False)
    return present.render_figure_row(fig, a.passage(fig["passage_id"]))


# --------------------------------------------------------------------------- the page

def keep_sent_names(box: gr.File) -> gr.File:
    """Make a gr.File hand each path on with the name the browser sent (``orig_name``).

    Gradio's upload route strips characters from names ("a?b.txt" is stored as "ab.txt"), and
    a replacement must be checked against the name the user chose. The box's own preprocess
    is wrapped (not subclassed: Gradio writes a .pyi file beside any module that defines a
    component class)."""
    from gradio.data_classes import ListFiles
    from gradio.utils import NamedString
    preprocess = box.preprocess

    def with_names(payload):
        out = preprocess(payload)
        sent = list(payload.root) if isinstance(payload, ListFiles) else [payload] if payload is not None else []
        paths = out if isinstance(out, list) else [out] if out is not None else []
        named = []
        for path, data in zip(paths, sent, strict=False):
            if isinstance(path, str):
                path = NamedString(path)
                path.orig_name = getattr(data, "orig_name", None)
            named.append(path)
        return named if isinstance(out, list) else (named[0] if named else out)
    box.preprocess = with_names
    return box


CSS = """
.gradio-container { max-width: 1320px !important; margin: 0 auto; }
#qa-head h1 { font-size: 1.45rem; margin: 0.2rem 0 0.1rem; }
#qa-head p { margin: 0; color: var(--body-text-color-subdued); }
#qa-head #qa-api-docs { margin-left: 0.6rem; font-size: 0.85rem; white-space: nowrap; display: inline-block; }
.qa-status { font-size: 0.9rem; color: var(--body-text-color-subdued); }
#qa-summary { text-align: right; align-self: flex-end; }
.qa-reply .qa-answer { font-size: 1.08rem; margin-bottom: 0.35rem; }
.qa-reply .qa-answer strong { color: var(--color-accent); font-size: 1.18rem; }
.qa-reply .qa-miss { color: var(--body-text-color-subdued); }
.qa-reply .qa-quote { border-left: 3px solid var(--color-accent-soft); padding: 0.15rem 0 0.15rem 0.6rem;
  margin: 0.3rem 0; color: var(--body-text-color); line-height: 1.65; }
.qa-reply .qa-cite, .qa-reply .qa-nearest, .qa-reply .qa-doubt, .qa-reply .qa-line { font-size: 0.88rem;
  color: var(--body-text-color-subdued); }
.qa-label { display: inline-block; font-size: 0.75rem; padding: 0 0.4rem; margin-right: 0.4rem;
  border-radius: 0.6rem; background: var(--background-fill-secondary); color: var(--body-text-color-subdued); }
.qa-error { color: #b42318; }
.qa-fig { color: var(--color-accent); }
.qa-reply .qa-doubt { color: #b54708; }
mark.qa-hl { background: #fff1b8; color: inherit; padding: 0.05rem 0.1rem; border-radius: 0.2rem; }
.dark mark.qa-hl { background: #5c4a00; }
.qa-cards { display: flex; flex-direction: column; gap: 0.7rem; }
.qa-card { border: 1px solid var(--border-color-primary); border-radius: 0.6rem; padding: 0.7rem 0.85rem;
  background: var(--background-fill-primary); }
.qa-card-label { font-size: 0.75rem; color: var(--color-accent); font-weight: 600; margin-bottom: 0.2rem; }
.qa-card-src { font-size: 0.78rem; color: var(--body-text-color-subdued); word-break: break-all; }
.qa-card-sec { font-weight: 600; margin: 0.1rem 0 0.15rem; line-height: 1.4; }
.qa-card-meta { font-size: 0.8rem; color: var(--body-text-color-subdued); margin-bottom: 0.4rem; }
.qa-k { opacity: 0.75; }
.qa-card-text { line-height: 1.75; font-size: 0.93rem; }
.qa-panel-empty { color: var(--body-text-color-subdued); padding: 0.8rem; font-size: 0.92rem; }
.qa-msg { padding: 0.5rem 0.7rem; border-radius: 0.5rem; font-size: 0.92rem; }
.qa-ok { background: #ecfdf3; color: #05603a; }
.qa-bad { background: #fef3f2; color: #b42318; }
#qa-passages { max-height: 640px; overflow-y: auto; }
#qa-figure-passage { min-height: 120px; }
#qa-status { min-height: 2.6rem; }
#qa-figures .cell-menu-button { display: none; }
#qa-figures thead th { cursor: pointer; }
#qa-answer-table td, #qa-answer-table th { white-space: normal; word-break: break-word; }
"""

THEME = gr.themes.Soft(
    primary_hue="red", neutral_hue="slate",
    font=["Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", "Source Han Sans SC", "system-ui", "sans-serif"],
    font_mono=["Noto Sans Mono CJK SC", "ui-monospace", "monospace"],
)

PRIVATE = dict(api_visibility="private")
# Events waiting in Gradio's queue at most; past it a request is told the queue is full.
QUEUE_MAX_SIZE = 64
# Gradio's cache of uploads (a report is read and removed as soon as it is handled; this is for
# what never reached the handler): every 30 minutes, files older than an hour go.
DELETE_CACHE = (1800, 3600)


def build_ui() -> gr.Blocks:
    """The page: 问答 (chat with passages, table and chart), 数据 (figure table), 报告."""
    with gr.Blocks(title="工会工作报告问答", analytics_enabled=False, delete_cache=DELETE_CACHE) as demo:
        turns = gr.State([])
        shown = gr.State(None)       # the turn whose passages, table and chart are shown
        with gr.Row(elem_id="qa-head"):
            gr.HTML("<h1>工会工作报告问答</h1><p>回答直接引用报告原句并注明出处（报告 · 文章）。"
                    "数字请以右侧高亮的原文为准。"
                    '<a href="api/docs" target="_blank" rel="noopener" id="qa-api-docs">接口文档（JSON · OpenAI 兼容）</a></p>')
            summary = gr.HTML(present.index_summary(LIBRARY.assistant if LIBRARY else None,
                                                    _public(LIBRARY.problem) if LIBRARY and LIBRARY.problem
                                                    else None),
                              elem_id="qa-summary")
        with gr.Tabs():
            with gr.Tab("问答", id="chat"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=420):
                        chatbot = gr.Chatbot(
                            label="对话", show_label=False, height=540, layout="bubble", buttons=[],
                            latex_delimiters=[], sanitize_html=True, allow_tags=False,
                            feedback_options=None, elem_id="qa-chat",
                            placeholder="<b>问一个关于工会工作报告的问题</b><br>"
                                        "例如：防城港市组建了多少个工会组织？")
                        with gr.Row():
                            question = gr.Textbox(placeholder="输入问题，按回车提问；可以接着追问（如：那南充呢？）",
                                                  show_label=False, scale=6, lines=1, max_lines=3,
                                                  elem_id="qa-question", autofocus=True)
                            send = gr.Button("提问", variant="primary", scale=1, min_width=80, elem_id="qa-send")
                            clear_btn = gr.Button("清空", scale=1, min_width=80, elem_id="qa-clear")
                        export_md = gr.DownloadButton("导出对话（Markdown，含引用）", visible=False, size="sm",
                                                      elem_id="qa-export-md")
                        examples = gr.Dataset(components=[gr.Textbox(visible=False)], label="示例问题（点击提问）",
                                              samples=[[s] for s in EXAMPLE_LABELS], type="index",
                                              elem_id="qa-examples", samples_per_page=10)
                    with gr.Column(scale=2, min_width=320):
                        # a compare / trend / compute reply's table and chart, beside the reply
                        with gr.Column(visible=False, elem_id="qa-table-box") as table_box:
                            table = gr.Dataframe(label="这个回答用到的数字", interactive=False, wrap=True,
                                                 elem_id="qa-answer-table", max_height=360,
                                                 column_widths=["11%", "15%", "13%", "14%", "47%"])
                            bar = gr.BarPlot(x="项目", y="数值", x_title="", y_lim=[0, None], visible=False,
                                             height=240, elem_id="qa-bar", sort=None)
                            line = gr.LinePlot(x="项目", y="数值", x_title="", visible=False, height=240,
                                               elem_id="qa-line")
                            export_table = gr.DownloadButton("导出表格（CSV）", visible=False, size="sm",
                                                             elem_id="qa-export-table")
                        gr.Markdown("#### 引用的段落")
                        passages = gr.HTML(present.PASSAGES_EMPTY, elem_id="qa-passages")
            with gr.Tab("数据", id="data"):
                gr.Markdown("报告中的全部数字：输入词语搜索（空格分隔多个词），点击表头（地区、指标、数字、日期、报告）"
                            "或选择排序方式对全表排序，翻页；选中一行，右侧显示它所在的段落，原句高亮。")
                figure_page = gr.State(1)
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        with gr.Row():
                            figure_search = gr.Textbox(placeholder="搜索数字表，如：防城港 工会组织", show_label=False,
                                                       scale=4, lines=1, max_lines=1, elem_id="qa-figure-search")
                            figure_sort = gr.Dropdown(list(present.FIGURE_SORTS), value="报告顺序", show_label=False,
                                                      scale=1, min_width=120, elem_id="qa-figure-sort")
                        # set by the page's script when a column header is clicked (qa.server.PAGE_SCRIPT)
                        figure_header = gr.Textbox(visible="hidden", elem_id="qa-figure-header")
                        # one page at a time from the server: the table is never sent whole
                        figures = gr.Dataframe(
                            headers=present.FIGURE_COLUMNS, interactive=False,
                            max_height=620, max_chars=40, elem_id="qa-figures", pinned_columns=1,
                            column_widths=[70, 150, 90, 90, 50, 110, 90, 170, 220, 320, 150],
                            datatype=["str", "str", "str", "number", "str", "str", "str", "str", "str", "str", "str"])
                        with gr.Row():
                            figure_prev = gr.Button("上一页", size="sm", min_width=80, elem_id="qa-figure-prev")
                            figure_info = gr.HTML("", elem_id="qa-figure-info")
                            figure_next = gr.Button("下一页", size="sm", min_width=80, elem_id="qa-figure-next")
                        with gr.Row():
                            figure_csv = gr.Button("导出 CSV（搜索到的全部行）", size="sm", scale=0, min_width=200,
                                                   elem_id="qa-figure-export")
                            figure_file = gr.File(label="数字表 CSV", visible=False, interactive=False,
                                                  elem_id="qa-figure-file", height=60)
                    with gr.Column(scale=2):
                        figure_passage = gr.HTML('<div class="qa-panel-empty">选择表格中的一行查看原文。</div>',
                                                 elem_id="qa-figure-passage")
            with gr.Tab("报告", id="reports"):
                reports = gr.Dataframe(headers=present.REPORT_COLUMNS, interactive=False, wrap=True,
                                       label="已索引的报告", elem_id="qa-reports")
                with gr.Row(equal_height=False):
                    with gr.Column(scale=2):
                        upload_box = gr.File(label="上传新报告：文本（.txt、.md）、Word（.docx）、PDF（含扫描件）或图片"
                                                   "（.png、.jpg），每份最多 20 MB",
                                             file_count="multiple", type="filepath", elem_id="qa-upload",
                                             file_types=list(guard.UPLOAD_SUFFIXES))
                        keep_sent_names(upload_box)
                        replace = gr.Checkbox(label="替换同名报告", value=False, elem_id="qa-replace")
                    with gr.Column(scale=1):
                        rebuild_btn = gr.Button("全量重建索引", elem_id="qa-rebuild")
                        gr.Markdown("重建期间照常回答（用旧索引），完成后自动切换。")
                with gr.Row(equal_height=True):
                    delete_pick = gr.Dropdown(choices=[], value=None, label="删除报告（按标题 · 文件名选择，或点表格中的一行）",
                                              scale=4, elem_id="qa-delete-pick")
                    delete_btn = gr.Button("删除报告…", variant="stop", scale=1, min_width=120, elem_id="qa-delete")
                with gr.Row(visible=False, elem_id="qa-delete-confirm") as confirm_row:
                    confirm_btn = gr.Button("确认删除", variant="stop", elem_id="qa-delete-yes")
                    cancel_btn = gr.Button("取消", elem_id="qa-delete-no")
                status = gr.HTML("", elem_id="qa-status")

        side = [passages, table_box, table, bar, line, shown]
        chat_out = [question, chatbot, turns] + side
        for event, fn, inputs, outputs in (
                (question.submit, ask, [question, turns], chat_out),
                (send.click, ask, [question, turns], chat_out),
                (examples.click, run_example, [examples, turns], chat_out),
                (clear_btn.click, clear, None, chat_out),
                (chatbot.clear, clear, None, chat_out),
                (chatbot.select, select_reply, [turns], side)):
            event(fn, inputs, outputs, **PRIVATE).then(plot_data, [turns, shown], [bar, line], **PRIVATE) \
                .then(export_files, [turns, shown], [export_md, export_table], **PRIVATE)
        tables = [reports, figures, figure_info, figure_page, figure_search, summary]
        view = [figures, figure_info, figure_page]
        figure_search.submit(figures_first, [figure_search, figure_sort], view, **PRIVATE)
        figure_sort.change(figures_first, [figure_search, figure_sort], view, **PRIVATE)
        figure_prev.click(figures_prev, [figure_search, figure_sort, figure_page], view, **PRIVATE)
        figure_next.click(figures_next, [figure_search, figure_sort, figure_page], view, **PRIVATE)
        figure_header.change(sort_by_header, [figure_header, figure_sort], figure_sort, **PRIVATE)
        figure_csv.click(figures_export, [figure_search, figure_sort], figure_file, **PRIVATE)
        # one progress bar, on the status line: the tables keep showing while a build runs
        upload_box.upload(upload, [upload_box, replace], [status] + tables + [upload_box],
                          concurrency_limit=1, concurrency_id="build", show_progress_on=[status], **PRIVATE
                          ).then(report_picker, None, delete_pick, **PRIVATE)
        reports.select(pick_report, None, delete_pick, **PRIVATE)
        delete_btn.click(ask_delete, [delete_pick], [confirm_row, status], **PRIVATE)
        cancel_btn.click(cancel_delete, None, [confirm_row, status], **PRIVATE)
        confirm_btn.click(delete_report, [delete_pick], [confirm_row, status] + tables,
                          concurrency_limit=1, concurrency_id="build", show_progress_on=[status], **PRIVATE
                          ).then(report_picker, None, delete_pick, **PRIVATE)
        # not in the "build" group: a rebuild asked for while a build runs is refused at once
        # (Library.rebuild(block=False)) instead of waiting to run again after it
        rebuild_btn.click(rebuild, None, [status] + tables, concurrency_limit=4, show_progress_on=[status],
                          **PRIVATE).then(report_picker, None, delete_pick, **PRIVATE)
        figures.select(show_figure, None, figure_passage, **PRIVATE)
        demo.load(refresh, None, tables, **PRIVATE).then(report_picker, None, delete_pick, **PRIVATE)
        gr.api(chat_api, api_name="chat", concurrency_limit=None)
    demo.queue(default_concurrency_limit=8, max_size=QUEUE_MAX_SIZE)
    return demo


# --------------------------------------------------------------------------- main

HERE = Path(__file__).resolve().parent


def _default_dir(env_name: str, name: str) -> str:
    """QA_INDEX / QA_REPORTS, else ``name`` in the current folder when it holds seeds/, else
    ``name`` beside app.py (so ``python /path/to/app.py`` works from anywhere)."""
    if os.environ.get(env_name):
        return os.environ[env_name]
    return name if Path("seeds").is_dir() or not (HERE / "seeds").is_dir() else str(HERE / name)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    env = os.environ
    p = argparse.ArgumentParser(
        description="工会工作报告问答：网页聊天（Gradio）。启动时若索引缺失或过期，先建立/更新索引。",
        epilog="环境变量：QA_HOST QA_PORT QA_INDEX QA_REPORTS；QA_USER 与 QA_PASSWORD 同时设置时需要登录"
               "（只设置其一或为空时拒绝启动）；QA_API_KEY 设置后 /api 与 /v1 接口需要密钥"
               "（Authorization: Bearer …）。两者都没有设置时只监听本机。接口文档：/api/docs。")
    p.add_argument("--host", default=env.get("QA_HOST", "127.0.0.1"), help="监听地址（QA_HOST），默认 127.0.0.1")
    try:
        port = int(env.get("QA_PORT", "7860"))
    except ValueError:
        p.error(f"QA_PORT={env.get('QA_PORT')!r} 不是端口号")
    p.add_argument("--port", type=int, default=port, help="端口（QA_PORT），默认 7860")
    p.add_argument("--index", default=_default_dir("QA_INDEX", "index"),
                   help="索引目录（QA_INDEX），默认 index；milvus:./index.db 或 milvus:http://host:19530 为 Milvus 中的索引")
    p.add_argument("--reports", default=None,
                   help="报告目录（QA_REPORTS），默认为报告库 reports（首次启动时复制 seeds 中的示例报告建立；"
                        "上传的报告放在这里，seeds 保持不变）")
    args = p.parse_args(argv)
    # the library is made up only when no folder was named (--reports or QA_REPORTS)
    args.library = args.reports is None and not env.get("QA_REPORTS")
    if args.reports is None:
        args.reports = _default_dir("QA_REPORTS", "reports")
    if not 0 < args.port < 65536:
        p.error(f"端口 {args.port} 超出范围 1–65535")
    return args


def report_folders(args: argparse.Namespace) -> tuple[str, str]:
    """(reports folder, index folder) of the parsed settings; the reports library is made
    from the bundled samples when it is the default and does not exist yet."""
    from qa.reports import ensure_library
    if getattr(args, "library", False):
        samples = Path(args.reports).parent / "seeds"
        if ensure_library(args.reports, samples if samples.is_dir() else HERE / "seeds"):
            print(f"已建立报告库 {args.reports}（复制自示例报告 seeds/；上传的报告放在这里）", file=sys.stderr)
    return args.reports, args.index


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        login = guard.login_settings(os.environ)   # before anything is built or served
        key = api.access_settings(os.environ)
        api.check_listen(args.host, key, login is not None)
    except QAError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    lib = configure(*report_folders(args))
    print(f"检查索引 {args.index}（报告目录 {args.reports}）…", file=sys.stderr, flush=True)
    try:
        lib.prepare(progress=True)
    except QAError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    auth = guard.LoginGuard(*login).check if login else None
    from starlette.middleware import Middleware
    # the JSON API and the OpenAI-compatible endpoint (/api, /v1), on the same server
    api_app = api.create_api(lambda: LIBRARY, key=key, login=login is not None, public=_public)
    demo = build_ui()
    where = f"[{args.host}]" if ":" in args.host else args.host
    # our own line instead of Gradio's (English, and a hint about share links that are off)
    print(f"网页：http://{where}:{args.port}/ · 接口文档：/api/docs · OpenAI 兼容：/v1"
          + ("（接口需要密钥 QA_API_KEY）" if key else ""), file=sys.stderr, flush=True)
    try:
        demo.launch(server_name=args.host, server_port=args.port, auth=auth, share=False, ssr_mode=False,
                    quiet=True, show_error=False, theme=THEME, css=CSS, max_file_size=present.MAX_UPLOAD_BYTES,
                    mcp_server=False, footer_links=["api"], run_history=False, inbrowser=False,
                    app_kwargs={"middleware": [Middleware(api.Dispatch, api=api_app),
                                               Middleware(server.PageScript, script=server.PAGE_SCRIPT),
                                               Middleware(guard.UploadFilter)]})
    except OSError as exc:       # Gradio's own message names its parameters, not ours
        print(f"错误：{server.port_problem(args.host, args.port) or f'无法启动服务器（{exc}）'}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
