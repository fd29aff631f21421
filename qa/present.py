"""Presentation for the web chat (``app.py``): safe HTML for answers, passages and tables,
the current :class:`Assistant` behind a build lock, and adding uploaded reports.

Everything shown in the browser is built here and every piece of text that comes from a
report or from a user is HTML-escaped: a report holding ``<script>`` or
``<img src=x onerror=…>`` is shown as that text and runs nothing. The chat replies are HTML
blocks (one block, no blank line), so Markdown never reinterprets the escaped text.

    library = Library("reports", "index")
    library.prepare()                         # build or update the index, load it
    answer = library.assistant.ask("防城港市组建了多少个工会组织？")
    render_answer(answer)                     # the chat bubble
    render_passages(answer, library.assistant.passage)   # the passages beside it
"""

from __future__ import annotations

import html
import os
import re
import secrets
import sys
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from .errors import QAError, ReportError
from .export import ROLE_NAMES

# --------------------------------------------------------------------------- escaping


def esc(text) -> str:
    """``text`` as HTML text: ``& < > " '`` escaped (None becomes "")."""
    return html.escape("" if text is None else str(text), quote=True)


def esc_lines(text) -> str:
    """Escaped text with its line breaks as ``<br>`` (a chat bubble must hold no blank line)."""
    lines = [esc(line) for line in str(text or "").splitlines()]
    return "<br>".join(line for line in lines if line.strip()) or ""


# --------------------------------------------------------------------------- highlighting

def find_quote(text: str, quote: str) -> tuple[int, int] | None:
    """Where ``quote`` stands in ``text``: verbatim, or ignoring white space."""
    if not text or not quote:
        return None
    i = text.find(quote)
    if i >= 0:
        return i, i + len(quote)
    chars = [re.escape(c) for c in quote if not c.isspace()]
    if not chars:
        return None
    m = re.search(r"\s*".join(chars), text)
    return (m.start(), m.end()) if m else None


def _spans_of(text: str, needles: Iterable[str], lo: int = 0, hi: int | None = None) -> list[tuple[int, int]]:
    """Every occurrence of the needles in text[lo:hi], overlapping ones merged."""
    hi = len(text) if hi is None else hi
    spans = []
    for n in {n for n in needles if n and n.strip()}:
        start = lo
        while True:
            i = text.find(n, start, hi)
            if i < 0:
                break
            start = i + 1
            # "6个" is not the figure in "46个": a number must not continue one before it
            if n[0].isdigit() and i > 0 and (text[i - 1].isdigit() or text[i - 1] in ".．"):
                continue
            spans.append((i, i + len(n)))
            start = i + len(n)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def highlight(text: str, quote: str | None = None, figures: Iterable[str] = ()) -> str:
    """``text`` as escaped HTML with ``quote`` in ``<mark>`` and each figure inside it in
    ``<strong>``. Figures are looked for inside the quote only (the whole text when there is
    no quote). Nothing but the markup added here survives as HTML."""
    text = text or ""
    span = find_quote(text, quote) if quote else None
    lo, hi = span if span else (0, len(text))
    figs = _spans_of(text, figures, lo, hi)
    # the positions where a tag opens or closes, then the escaped pieces between them
    events: dict[int, list[str]] = {}
    if span:
        events.setdefault(lo, []).append('<mark class="qa-hl">')
    for s, e in figs:
        events.setdefault(s, []).append('<strong class="qa-fig">')
        events.setdefault(e, []).insert(0, "</strong>")
    if span:
        events.setdefault(hi, []).insert(0, "</mark>")
    out, pos = [], 0
    for at in sorted(events):
        out.append(esc(text[pos:at]))
        # at one position, closing tags come before opening ones
        tags = events[at]
        out.extend(t for t in tags if t.startswith("</"))
        out.extend(t for t in tags if not t.startswith("</"))
        pos = at
    out.append(esc(text[pos:]))
    return "".join(out)


# --------------------------------------------------------------------------- the chat

def render_question(question: str) -> str:
    """A user's question as a chat bubble: plain text, nothing interpreted."""
    question = question or ""
    if len(question) > 4 * MAX_QUESTION_CHARS:
        question = question[:4 * MAX_QUESTION_CHARS] + "…"
    return f'<div class="qa-question">{esc_lines(question) or "&nbsp;"}</div>'


def _answer_figures(answer) -> list[str]:
    """The figures of an answer, as they are written in the reports."""
    figs = [p for p in re.split(r"[，,→、；;]", answer.short or "") if p.strip()]
    figs += [str(r.get("figure") or "") for r in answer.table or ()]
    return [f for f in figs if f]


def render_answer(answer) -> str:
    """An :class:`~qa.Answer` as a chat bubble: the direct answer (bold), the quoted sentence
    and the citation (report · section), all escaped. The text is the library's own
    ``answer.text``, line by line; lines are styled by what they hold."""
    figures = _answer_figures(answer)
    rows = []
    lines = [ln.strip() for ln in (answer.text or "").splitlines() if ln.strip()]
    for i, line in enumerate(lines):
        if line.startswith("原文："):
            body = line[len("原文："):]
            quote = body.strip("「」")
            rows.append(f'<div class="qa-quote"><span class="qa-label">原文</span>'
                        f'「{highlight(quote, None, figures)}」</div>')
        elif line.startswith("出处："):
            rows.append(f'<div class="qa-cite"><span class="qa-label">出处</span>{esc(line[len("出处："):])}</div>')
        elif line.startswith("注意：") and "识别" in line:
            rows.append(f'<div class="qa-doubt">{esc(line)}</div>')
        elif line.startswith("最接近的记录"):
            rows.append(f'<div class="qa-nearest">{esc(line)}</div>')
        elif i == 0 and answer.found:
            short = answer.short or ""
            if short and line.startswith(short):
                rows.append(f'<div class="qa-answer"><strong>{esc(short)}</strong>{esc(line[len(short):])}</div>')
            else:
                rows.append(f'<div class="qa-answer">{highlight(line, None, figures)}</div>')
        elif i == 0:
            rows.append(f'<div class="qa-answer qa-miss">{esc(line)}</div>')
        else:
            rows.append(f'<div class="qa-line">{esc(line)}</div>')
    return '<div class="qa-reply">' + "".join(rows) + "</div>"


def render_error(message: str) -> str:
    """A library error as a chat bubble (the message says what to do)."""
    return f'<div class="qa-reply qa-error"><span class="qa-label">出错</span>{esc_lines(message)}</div>'


# --------------------------------------------------------------------------- passages

def _meta(*pairs: tuple[str, str | None]) -> str:
    return " · ".join(f'<span class="qa-k">{esc(k)}</span>{esc(v)}' for k, v in pairs if v)


def passage_card(*, source: str, section: str, place: str | None, date: str | None, text: str,
                 quote: str | None, figures: Iterable[str] = (), label: str = "",
                 page: int | None = None) -> str:
    """One passage with the quoted sentence highlighted and its source (and page), section,
    place, date."""
    head = f'<div class="qa-card-label">{esc(label)}</div>' if label else ""
    body = highlight(text, quote, figures)
    src = f"{source} · 第{page}页" if page else source
    return (f'<div class="qa-card">{head}'
            f'<div class="qa-card-src">{esc(src)}</div>'
            f'<div class="qa-card-sec">{esc(section)}</div>'
            f'<div class="qa-card-meta">{_meta(("地点 ", place), ("日期 ", date))}</div>'
            f'<div class="qa-card-text">{body}</div></div>')


PASSAGES_EMPTY = ('<div class="qa-panel-empty">提问后，这里显示回答所引用的段落，'
                  '引用的句子以高亮标出，便于在上下文中核对数字。</div>')


def render_passages(answer, lookup: Callable[[str], object], related: Sequence = ()) -> str:
    """The passages an answer used, beside the chat: one card per citation, the quoted
    sentence highlighted. A refusal shows its nearest record (marked as not the answer) and
    the ``related`` search hits, if given."""
    figures = _answer_figures(answer)
    cards = []

    def card(c, label=""):
        p = lookup(c.passage_id)
        rows = [r for r in answer.table or () if r.get("passage_id") == c.passage_id]
        figs = [str(r.get("figure") or "") for r in rows] or figures
        if p is None:  # the index changed since: the quote alone
            return passage_card(source=c.source, section=c.section, place=c.place, date=c.date,
                                text=c.quote, quote=c.quote, figures=figs, label=label,
                                page=getattr(c, "page", None))
        return passage_card(source=p.source, section=p.section, place=c.place or p.place,
                            date=p.date or c.date, text=p.text, quote=c.quote, figures=figs, label=label,
                            page=p.page)

    seen = set()
    for i, c in enumerate(answer.citations or ()):
        if (c.passage_id, c.quote) in seen:
            continue
        seen.add((c.passage_id, c.quote))
        cards.append(card(c, f"引用 {i + 1}" if len(answer.citations) > 1 else "引用"))
    if not cards and answer.nearest is not None:
        cards.append(card(answer.nearest, "最接近的记录（并非所问）"))
    if not cards:
        for h in related:
            cards.append(passage_card(source=h.source, section=h.section, place=h.place, date=h.date,
                                      text=h.text, quote=None, label="相关段落（未找到答案，仅供参考）"))
    if not cards:
        return '<div class="qa-panel-empty">这个回答没有引用段落。</div>'
    return '<div class="qa-cards">' + "".join(cards) + "</div>"


def render_figure_row(row: dict, passage=None) -> str:
    """A row of the figure table in its passage: the sentence highlighted, the figure bold."""
    sentence = row.get("sentence") or ""
    figure = row.get("figure") or ""
    metric = row.get("metric_text") or row.get("metric") or ""
    label = " · ".join(x for x in (row.get("place"), metric, figure) if x)
    if passage is None:
        return passage_card(source=row.get("source", ""), section=row.get("section", ""),
                            place=row.get("place"), date=row.get("date"), text=sentence,
                            quote=sentence, figures=[figure], label=label)
    return passage_card(source=passage.source, section=passage.section,
                        place=row.get("place") or passage.place, date=passage.date or row.get("date"),
                        text=passage.text, quote=sentence, figures=[figure], label=label)


# --------------------------------------------------------------------------- tables and charts

TABLE_KINDS = ("compare", "trend", "compute")
ANSWER_COLUMNS = ["地区", "数字", "时间", "日期", "出处"]
FIGURE_COLUMNS = ["地区", "指标", "数字", "数值", "单位", "时间", "日期", "报告", "文章", "原句", "段落"]
REPORT_COLUMNS = ["标题", "文件", "日期", "页数", "段落数"]


def _frame(rows: list[list], columns: list[str]):
    import pandas as pd
    return pd.DataFrame(rows, columns=columns)


def answer_frame(answer):
    """The table of a compare / trend / compute answer (None for other answers)."""
    if answer.kind not in TABLE_KINDS or not answer.table:
        return None
    rows = []
    for r in answer.table:
        when = r.get("time") or ""
        if r.get("role"):          # 由 A 增加到 B: the figure before or after the change
            when = " ".join(x for x in (ROLE_NAMES.get(r["role"], r["role"]), when) if x)
        rows.append([r.get("place") or "", r.get("figure") or "", when, r.get("date") or "",
                     " · ".join(x for x in (r.get("source"), r.get("section")) if x)])
    return _frame(rows, ANSWER_COLUMNS)


_SCALES = (("亿", 1e8), ("万", 1e4))
_ROLES = {"由": "之前", "从": "之前", "自": "之前", "到": "之后", "至": "之后", "增加到": "之后", "达到": "之后"}


def chart_data(answer) -> dict | None:
    """What to plot for a compare / trend / compute answer: ``{"frame", "x", "y", "kind",
    "y_title", "title"}`` with kind "bar" or "line"; None when there is nothing to plot."""
    if answer.kind not in TABLE_KINDS or not answer.table:
        return None
    rows = [r for r in answer.table if isinstance(r.get("value"), (int, float))]
    if not rows:
        return None
    units = [r.get("unit") or "" for r in rows]
    unit = max(set(units), key=units.count)
    rows = [r for r in rows if (r.get("unit") or "") == unit]
    scale_name, scale = "", 1.0
    for name, factor in _SCALES:
        if any(name in (r.get("figure") or "") for r in rows) and all(abs(r["value"]) >= factor for r in rows):
            scale_name, scale = name, factor
            break
    labels, seen = [], {}
    for r in rows:
        parts = [r.get("place") or ""]
        if r.get("role"):
            parts.append(_ROLES.get(r["role"], r["role"]))
        if r.get("time"):
            parts.append(r["time"])
        label = " ".join(p for p in parts if p) or (r.get("figure") or "?")
        seen[label] = seen.get(label, 0) + 1
        labels.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    y_title = f"数值（{scale_name}{unit}）" if (scale_name or unit) else "数值"
    frame = _frame([[lab, round(r["value"] / scale, 4), r.get("figure") or ""]
                    for lab, r in zip(labels, rows, strict=True)], ["项目", "数值", "原文数字"])
    kind = "line" if answer.kind == "trend" and len(rows) >= 3 else "bar"
    title = {"compare": "对比", "trend": "变化", "compute": "计算所用的数字"}[answer.kind]
    return {"frame": frame, "x": "项目", "y": "数值", "kind": kind, "y_title": y_title, "title": title}


def figures_frame(figures: Sequence[dict]):
    """The figure table for the 数据 tab; the last column is the passage id of each row."""
    rows = [[f.get("place") or "", f.get("metric_text") or f.get("metric") or "", f.get("figure") or "",
             f.get("value") if isinstance(f.get("value"), (int, float)) else None, f.get("unit") or "",
             f.get("time") or "", f.get("date") or "", f.get("source") or "", f.get("section") or "",
             f.get("sentence") or "", f.get("passage_id") or ""] for f in figures]
    return _frame(rows, FIGURE_COLUMNS)


FIGURES_PER_PAGE = 50
# The orders the 数据 tab offers: key of a row (None: the table's own order, report by report).
FIGURE_SORTS: dict[str, Callable[[dict], object] | None] = {
    "报告顺序": None,
    "数值从大到小": lambda f: -f["value"] if isinstance(f.get("value"), (int, float)) else float("inf"),
    "数值从小到大": lambda f: f["value"] if isinstance(f.get("value"), (int, float)) else float("inf"),
    "地区": lambda f: (f.get("place") or "\uffff", f.get("source") or ""),
    "指标": lambda f: (f.get("metric") or "\uffff", f.get("source") or ""),
    "日期": lambda f: (f.get("date") or "\uffff", f.get("source") or ""),
}
# A click on a column header of the 数据 tab sorts the whole table (on the server) by that
# column: the order for each header; 数字/数值 go from large to small, then back.
HEADER_SORTS = {"地区": "地区", "指标": "指标", "数字": "数值从大到小", "数值": "数值从大到小",
                "日期": "日期", "报告": "报告顺序", "文章": "报告顺序"}


def header_sort(header: str, current: str | None) -> str | None:
    """The order a click on column ``header`` asks for, given the ``current`` one; None when
    that column has no order of its own."""
    want = HEADER_SORTS.get(str(header or "").strip())
    if want == "数值从大到小" and current == "数值从大到小":
        return "数值从小到大"
    return want


class FigureTable:
    """The figure table behind the 数据 tab, searched, sorted and paged on the server: a page
    load sends one page, never the whole table (a table of 332,561 rows once made every page
    load send 40 MB and cost 12 s).

    Args:
        rows: the figure table (``Assistant.figures``).
    """

    def __init__(self, rows: Sequence[dict]):
        self.rows = rows
        self._text: list[str] | None = None
        self._orders: dict[str, list[int]] = {}

    def _haystack(self) -> list[str]:
        if self._text is None:      # built on the first search: one string per row
            fields = ("place", "metric_text", "metric", "figure", "unit", "time", "date", "source",
                      "section", "sentence")
            self._text = ["\x00".join(str(f.get(k) or "") for k in fields).lower() for f in self.rows]
        return self._text

    def _order(self, sort: str | None) -> Sequence[int]:
        key = FIGURE_SORTS.get(sort or "")
        if key is None:
            return range(len(self.rows))
        if sort not in self._orders:
            self._orders[sort] = sorted(range(len(self.rows)), key=lambda i: key(self.rows[i]))
        return self._orders[sort]

    def page(self, query: str = "", sort: str | None = None, page: int = 1,
             per_page: int = FIGURES_PER_PAGE) -> tuple[list[dict], int, int, int]:
        """One page of the rows holding every word of ``query``, in the order ``sort``.

        Returns (rows, page, pages, matched): ``page`` is clamped to 1..pages.
        """
        words = [w for w in str(query or "").lower().split() if w][:10]
        order = self._order(sort)
        if words:
            text = self._haystack()
            order = [i for i in order if all(w in text[i] for w in words)]
        matched = len(order)
        pages = max(1, -(-matched // per_page))
        try:
            page = min(max(1, int(page)), pages)
        except (TypeError, ValueError):
            page = 1
        start = (page - 1) * per_page
        return [self.rows[i] for i in order[start:start + per_page]], page, pages, matched


def figure_page_info(page: int, pages: int, matched: int, total: int, query: str = "") -> str:
    """The line under the figure table: which page of how many rows."""
    if not total:
        return '<span class="qa-status">还没有数字（索引中没有报告）</span>'
    if not matched:
        return f'<span class="qa-status">没有包含“{esc(query.strip())}”的数字（共 {total} 个数字）</span>'
    found = f"找到 {matched} 个（共 {total} 个数字）" if query.strip() else f"共 {total} 个数字"
    return f'<span class="qa-status">第 {page} / {pages} 页 · {found}</span>'


def reports_frame(reports: Sequence[dict]):
    """The indexed reports: title, file, date, pages (PDFs and images), number of passages."""
    return _frame([[r.get("title", ""), r.get("file", ""), r.get("date", ""), r.get("pages") or "",
                    r.get("passages", 0)] for r in reports], REPORT_COLUMNS)


def report_choices(reports: Sequence[dict]) -> list[tuple[str, str]]:
    """(label, file) pairs for picking a report: its title and its file name (the bundled
    files' names are hashes; a title alone may repeat)."""
    out = []
    for r in reports:
        title, file = r.get("title") or "", r.get("file", "")
        out.append((f"{title} · {file}" if title and title != file else file, file))
    return out


def find_figure(figures: Sequence[dict], passage_id: str, figure: str = "", sentence: str = "") -> dict | None:
    """The figure-table row of a passage (and figure, and sentence) chosen in the table."""
    best = None
    for f in figures:
        if f.get("passage_id") != passage_id:
            continue
        if figure and f.get("figure") != figure:
            best = best or f
            continue
        if sentence and f.get("sentence") != sentence:
            best = best or f
            continue
        return f
    return best


def index_summary(assistant, problem: str | None = None) -> str:
    """One line on what is indexed, as HTML (``problem``: why nothing is)."""
    if assistant is None:
        return f'<span class="qa-status">{esc(problem or "索引未加载")}</span>'
    reps = assistant.reports()
    n_pass = sum(r.get("passages", 0) for r in reps)
    return (f'<span class="qa-status">已索引 <b>{len(reps)}</b> 份报告 · <b>{n_pass}</b> 个段落 · '
            f'<b>{len(assistant.figures)}</b> 个数字</span>')


def build_message(result, added: str | None = None, assistant=None) -> str:
    """What a build did, for the page (the index folder by its name, not its server path)."""
    lines = result.summary().splitlines()
    lines[0] = lines[0].replace(f" {result.index}：", f" {Path(result.index).name}：", 1)
    if added is None:
        return "\n".join(lines)
    n = next((r.get("passages", 0) for r in (assistant.reports() if assistant else []) if r.get("file") == added), None)
    head = f"已添加 {added}" + (f"（{n} 个段落）" if n is not None else "") + "，可以提问了。"
    return "\n".join([head] + lines)


MAX_QUESTION_CHARS = 500


def check_question(question) -> str:
    """The question, stripped; :class:`~qa.InvalidQuestion` when it is not text or too long."""
    from .errors import InvalidQuestion
    if not isinstance(question, str):
        raise InvalidQuestion(f"问题必须是文本，而不是 {type(question).__name__}")
    question = question.strip()
    if len(question) > MAX_QUESTION_CHARS:
        raise InvalidQuestion(f"问题太长（{len(question)} 字）；请缩短到 {MAX_QUESTION_CHARS} 字以内")
    return question


# An absolute path of two or more parts (/srv/qa/index, /tmp/x/reports/a.txt), not a URL or a
# fraction: what the server's messages may hold and the page must not show.
_SERVER_PATH = re.compile(r"(?<![\w.:/~])/(?:[^\s/：；，。、（）()「」《》<>'\"|]+/)+[^\s/：；，。、（）()「」《》<>'\"|]*")


_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)


def public_message(text: str, *folders) -> str:
    """``text`` with server paths cut to their last part, for the page: the folders given
    (as written and resolved) become their names, and any other absolute path its file name."""
    text = str(text)
    forms: dict[str, str] = {}
    for folder in folders:
        if folder is None:
            continue
        folder = Path(folder)
        for form in (str(folder), str(folder.absolute()), str(folder.resolve())):
            if form not in (".", "/", ""):
                forms[form] = folder.name or form
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, forms[form])
    return _SERVER_PATH.sub(lambda m: m.group(0).rstrip("/").rsplit("/", 1)[-1], text)


def status_html(message: str, ok: bool = True) -> str:
    """A message for the page (upload, rebuild), escaped."""
    cls = "qa-ok" if ok else "qa-bad"
    return f'<div class="qa-msg {cls}">{esc_lines(message)}</div>'


# --------------------------------------------------------------------------- uploads

class UploadRejected(QAError):
    """An uploaded report was not added; the message says why and what to do."""


UPLOAD_SUFFIXES = (".txt", ".md", ".docx", ".pdf", ".png", ".jpg", ".jpeg")
ACCEPTED = ".txt、.md、.docx、.pdf、.png 或 .jpg"
MAX_NAME_CHARS = 120
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
_UNSAFE_CHARS = re.compile(r"[^\w\u3000-\u303f\uff00-\uffef.()\-（）【】《》]+")


def safe_report_name(name: str) -> str:
    """A safe file name for an uploaded report, or :class:`UploadRejected` saying why not.

    Rejects names with a folder part, hidden names, control characters and other extensions
    than those of UPLOAD_SUFFIXES (a .doc is told how to convert it); characters outside
    letters, digits, CJK and ``._-()`` become ``_``.
    """
    from .documents import LEGACY_SUFFIXES
    raw = "" if name is None else str(name)
    if not raw.strip():
        raise UploadRejected(f"文件名为空；请给报告一个以 {ACCEPTED} 结尾的名字")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in raw):
        raise UploadRejected(f"文件名 {raw!r} 含有控制字符，不安全；请改名后再上传")
    if "/" in raw or "\\" in raw or raw in (".", ".."):
        raise UploadRejected(f"文件名 {raw!r} 含有路径，不安全；请只用文件名（如 report.txt）")
    name = unicodedata.normalize("NFC", raw.strip())
    if name.startswith("."):
        raise UploadRejected(f"文件名 {raw!r} 以点开头（隐藏文件），不会被索引；请改名后再上传")
    stem, suffix = os.path.splitext(name)
    if suffix.lower() in LEGACY_SUFFIXES:
        raise UploadRejected(f"{name}：{LEGACY_SUFFIXES[suffix.lower()]}")
    if suffix.lower() not in UPLOAD_SUFFIXES:
        raise UploadRejected(f"{name}：只接受 {ACCEPTED} 报告（这个文件是 {suffix or '无扩展名'}）")
    stem = _UNSAFE_CHARS.sub("_", stem).strip("._ ") or "report"
    safe = stem[:MAX_NAME_CHARS] + suffix.lower()
    return safe


def check_report(data: bytes, name: str):
    """Decode and parse an uploaded report; :class:`ReportError` when nothing can be indexed.

    Returns the parsed :class:`~qa.reports.Report`; for a Word, PDF or image file, None after a
    quick check that it opens (the build, in its own process, reads it in full: OCR takes
    seconds a page and is not done twice).
    """
    from .documents import check_document, is_document
    from .passages import chunk_report
    from .reports import decode_report, parse_report
    if len(data) > MAX_UPLOAD_BYTES:
        mb = 1024 * 1024
        raise ReportError(name, f"文件过大（{len(data) // mb} MB，上限 {MAX_UPLOAD_BYTES // mb} MB）")
    if is_document(name):
        check_document(data, name)
        return None
    report = parse_report(decode_report(data, name), name)
    if not chunk_report(report):
        raise ReportError(name, "没有可回答的正文")
    return report


# --------------------------------------------------------------------------- memory

def give_back_memory() -> None:
    """Collect the old index (its cycles) and hand the freed heap back to the system.

    glibc keeps freed memory in its arenas for reuse; after an index of 60,000 figure rows
    was replaced by a small one, the server stayed 60 MB larger than before without
    ``malloc_trim`` (and 210 MB larger with the build in the server). Elsewhere than glibc
    this only collects.
    """
    import gc
    gc.collect()
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


# --------------------------------------------------------------------------- builds in a child process

def run_build(reports: str | Path, index: str | Path, *, full: bool = False, wait: float = 30.0,
              on_event: Callable[[str], None] | None = None):
    """:func:`~qa.build_index` in a child process (``qa build --events``); its BuildResult.

    What a build allocates (FAISS training, arrays, the tokenizer's work, a pool of workers)
    leaves with the child, so a server's memory comes back after a rebuild, and a build runs
    on the child's main thread, so it may use worker processes. It costs ~0.4 s to start.

    Raises:
        the build's QAError (same class and message), or QAError when the child died.
    """
    import json
    import subprocess

    from . import errors
    from .index_store import is_milvus
    from .store import BuildResult
    if is_milvus(index) and not _SCHEME.match(str(index)[len("milvus:"):]):
        # Milvus Lite: a .db is open in one process only, and this one serves from it
        from . import build_index
        return build_index(reports, index, full=full, wait=wait, on_event=on_event)
    cmd = [sys.executable, "-m", "qa.cli", "build", "--reports", str(reports), "--index", str(index),
           "--wait", str(wait), "--events"] + (["--full"] if full else [])
    # the child imports this very package, installed or not (python /path/to/app.py)
    root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p))
    # stderr is the server's own (its log, or progress bars on a terminal): never a pipe to fill
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env,
                          text=True, encoding="utf-8", errors="replace") as proc:
        result = error = None
        for line in proc.stdout:
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if not isinstance(msg, dict):
                continue
            if "event" in msg and on_event is not None:
                on_event(str(msg["event"]))
            elif "result" in msg:
                result = msg["result"]
            elif "error" in msg:
                error = msg
        code = proc.wait()
    if error is not None:
        cls = getattr(errors, str(error.get("error")), None)
        if not (isinstance(cls, type) and issubclass(cls, QAError)):
            cls = QAError
        exc = cls.__new__(cls)
        Exception.__init__(exc, str(error.get("message", "")))
        if isinstance(exc, ReportError):
            exc.path, exc.reason = "", str(exc)
        raise exc
    if result is None:
        raise QAError(f"构建进程意外退出（退出码 {code}）；索引保持原样。详情见服务器日志，请重试")
    return BuildResult.from_dict(result)


# --------------------------------------------------------------------------- the current assistant

WARMUP_QUESTION = "防城港市组建了多少个工会组织？"


class Library:
    """The reports folder, its index and the :class:`~qa.Assistant` answering from it.

    ``assistant`` is swapped in one assignment after a build, so answers keep coming from the
    old Assistant until the new one is loaded and warmed up. Builds run one at a time under a
    lock (and under the index's own file lock, against other processes).
    """

    def __init__(self, reports: str | Path = "reports", index: str | Path = "index"):
        from .index_store import is_milvus
        self.reports = Path(reports)
        self.index = str(index) if is_milvus(index) else Path(index)   # milvus:<uri> is not a path
        self.assistant = None
        self.problem: str | None = None      # why there is no assistant (an index of no report)
        self.lock = threading.Lock()
        self.generation = 0
        self._figure_table: tuple[int, FigureTable] | None = None   # (generation, table)
        self.build_wait = 30.0     # seconds an upload or a rebuild waits for another process's build

    # ---- loading
    def load(self):
        """Load the index, warm it up (first answers load the tokenizer) and swap it in.

        An index of no usable report is not an error here: the app serves, says why there is
        nothing to ask about, and takes an upload. Returns the Assistant, or None then.
        """
        from . import Assistant
        from .errors import EmptyIndex
        try:
            assistant = Assistant.load(self.index)
        except EmptyIndex as exc:
            self.assistant, self.problem, self._figure_table = None, str(exc), None
            self.generation += 1
            return None
        try:
            assistant.ask(WARMUP_QUESTION)
        except Exception as exc:  # noqa: BLE001 - a warm-up must not stop a good index loading
            print(f"注意：预热提问失败（{type(exc).__name__}: {exc}）", file=sys.stderr)
        self.assistant = assistant   # one assignment: the swap
        self.problem = None
        self._figure_table = None
        self.generation += 1
        del assistant
        give_back_memory()
        return self.assistant

    def prepare(self, progress: bool = True, out=None) -> object:
        """Build or update the index when it is missing or stale, print the summary, load it.

        Raises QAError when there is no usable index (a failed update of an existing index is
        printed and the old index is used), and NotAnIndex when the index folder holds
        something else (nothing there is touched).
        """
        from .errors import NotAnIndex
        out = out or sys.stderr
        with self.lock:
            try:
                res = run_build(self.reports, self.index, full=False, wait=60.0)
                print(res.summary(), file=out, flush=True)
            except NotAnIndex:
                raise
            except QAError as exc:
                print(f"错误：索引更新失败：{exc}", file=out, flush=True)
                res = None
            self.load()
        return res

    def figure_table(self) -> FigureTable:
        """The figure table of the current Assistant (an empty one when there is none)."""
        generation, assistant = self.generation, self.assistant
        held = self._figure_table
        if held is None or held[0] != generation:
            held = (generation, FigureTable(assistant.figures if assistant is not None else []))
            self._figure_table = held
        return held[1]

    def require(self):
        """The current Assistant; the reason there is none as a QAError."""
        assistant = self.assistant
        if assistant is None:
            from .errors import EmptyIndex, IndexMissing
            if self.problem:
                raise EmptyIndex(self.problem)
            from .index_store import index_label
            raise IndexMissing(f"索引 {index_label(self.index)} 尚未加载；请运行 `qa build` 后重启")
        return assistant

    # ---- building
    def rebuild(self, full: bool = True, on_event: Callable[[str], None] | None = None,
                block: bool = True):
        """Rebuild the index (full by default) and swap in the new Assistant.

        With ``block=False`` a rebuild asked for while another build (a rebuild, an upload)
        runs is refused at once (BuildLocked) rather than run again after it.
        """
        from .errors import BuildLocked
        if not self.lock.acquire(blocking=block):
            raise BuildLocked("另一个构建（全量重建或上传的报告）正在进行，这次请求未排队；请等它完成后再试")
        try:
            res = run_build(self.reports, self.index, full=full, wait=self.build_wait, on_event=on_event)
            self.load()
            return res
        finally:
            self.lock.release()

    def add_report(self, data: bytes, name: str, replace: bool = False,
                   on_event: Callable[[str], None] | None = None) -> tuple[str, object]:
        """Add an uploaded report to the reports folder and index it incrementally.

        Checks the name and the text before anything is written; never overwrites a report
        unless ``replace``, and then only one named exactly ``name`` (a name that cleaning
        turns into another report's is refused); rolls back the file when the build fails.
        Returns (saved name, BuildResult).

        Raises:
            UploadRejected, ReportError: the report was not added; the index is as it was.
        """
        from .reports import content_hash, list_reports
        safe = safe_report_name(name)
        check_report(data, safe)
        with self.lock:
            if not self.reports.is_dir():
                raise UploadRejected(f"报告目录 {self.reports} 不存在")
            dest = self.reports / safe
            digest = content_hash(data)
            files, _ = list_reports(self.reports)
            for path in files:
                try:
                    same = content_hash(path.read_bytes()) == digest
                except OSError:
                    continue
                if same:
                    rel = path.relative_to(self.reports).as_posix()
                    raise UploadRejected(f"{safe} 与已有报告 {rel} 内容相同，未重复添加")
            sent = unicodedata.normalize("NFC", str(name).strip())
            if dest.exists() and safe != sent:
                # the name was cleaned into that of a report already there: another report
                # ("a b.txt" and "a_b.txt", or "x?.txt" that Gradio stored as "x.txt")
                raise UploadRejected(
                    f"文件名 {sent} 整理后是 {safe}，已有这个名字的报告；它可能是另一份报告，未覆盖。"
                    f"只有名字恰好是 {safe} 的文件才能替换它（勾选“替换同名报告”）：如要替换，请把文件改名为 {safe}"
                    "后上传；否则请改用别的名字（文字、数字和 ._-()）")
            if dest.exists() and not replace:
                raise UploadRejected(f"已有同名报告 {safe}；未覆盖。如要替换，请勾选“替换同名报告”后重新上传，"
                                     "或把文件改名")
            tmp = self.reports / f".upload-{secrets.token_hex(6)}.tmp"
            backup = None
            tmp.write_bytes(data)
            try:
                if dest.exists():
                    backup = self.reports / f".replaced-{secrets.token_hex(6)}-{safe}"
                    os.replace(dest, backup)
                try:
                    os.link(tmp, dest)            # never overwrites: fails if dest appeared
                except FileExistsError:
                    raise UploadRejected(f"已有同名报告 {safe}；未覆盖") from None
                except OSError:                   # no hard links here: exclusive create
                    with open(dest, "xb") as f:
                        f.write(data)
            finally:
                tmp.unlink(missing_ok=True)

            def roll_back():
                dest.unlink(missing_ok=True)
                if backup is not None:
                    os.replace(backup, dest)

            try:
                res = run_build(self.reports, self.index, full=False, wait=self.build_wait, on_event=on_event)
            except BaseException:
                roll_back()
                raise
            skipped = dict(res.skipped)
            if safe in skipped:
                roll_back()
                if backup is not None:   # the old version was dropped with the new one: index it again
                    run_build(self.reports, self.index, full=False, wait=self.build_wait)
                self.load()
                raise UploadRejected(f"{safe}：{skipped[safe]}；未添加")
            if backup is not None:
                backup.unlink(missing_ok=True)
            self.load()
            return safe, res

    def delete_report(self, name: str, on_event: Callable[[str], None] | None = None) -> tuple[str, object]:
        """Delete the report file ``name`` (as listed: its path inside the reports folder) from
        the library and drop it from the index. The file is moved aside first and put back if
        the build fails, so a failed delete loses nothing. Returns (title, BuildResult).

        Raises:
            UploadRejected: no report of that name; QAError: the build failed (nothing deleted).
        """
        from .reports import list_reports
        with self.lock:
            if not self.reports.is_dir():
                raise UploadRejected(f"报告目录 {self.reports} 不存在")
            files, _ = list_reports(self.reports)
            by_name = {p.relative_to(self.reports).as_posix(): p for p in files}
            path = by_name.get(str(name or ""))
            if path is None:
                raise UploadRejected(f"报告库中没有 {name!r}；请刷新页面后重新选择")
            title = next((r.get("title", "") for r in (self.assistant.reports() if self.assistant else [])
                          if r.get("file") == name), "")
            aside = path.parent / f".deleted-{secrets.token_hex(6)}-{path.name}"
            os.replace(path, aside)
            try:
                res = run_build(self.reports, self.index, full=False, wait=self.build_wait, on_event=on_event)
            except BaseException:
                os.replace(aside, path)
                raise
            aside.unlink(missing_ok=True)
            self.load()
            return title, res


def event_progress(progress) -> Callable[[str], None]:
    """An ``on_event`` callback for :func:`~qa.build_index` that moves a gr.Progress bar."""
    steps = ["读取报告", "拟合内置向量模型", "计算向量", "建立检索索引", "写入索引", "完成"]
    started = time.monotonic()

    def on_event(message: str) -> None:
        frac = (steps.index(message) + 1) / len(steps) if message in steps else None
        page = re.search(r"第 (\d+)/(\d+) 页", message)     # a page of a PDF or a scan
        if page:
            frac = int(page.group(1)) / max(int(page.group(2)), 1)
        try:
            progress(frac if frac is not None else 0.5, desc=f"{message}（{time.monotonic() - started:.1f} 秒）")
        except Exception:  # a progress bar must never break a build
            pass
    return on_event
