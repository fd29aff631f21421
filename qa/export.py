"""Exports: a conversation with its citations as Markdown, an answer's table and the figure
table as CSV. Pure functions of the library's records (:class:`~qa.Answer`, figure-table
rows), used by the web page's download buttons and by the JSON API (``qa.api``).

    conversation_markdown([("防城港市组建了多少个工会组织？", answer)])
    answer_table_csv(answer)            # None when the answer has no table
    figures_csv(rows)

CSV is UTF-8 with a byte-order mark, so that Excel opens the Chinese text as Chinese; a cell
that a spreadsheet would run as a formula (=, +, -, @ first) is written with a leading ``'``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone

ANSWER_TABLE_COLUMNS = [("place", "地区"), ("figure", "数字"), ("value", "数值"), ("unit", "单位"),
                        ("role", "变化前后"), ("time", "时间"), ("date", "日期"), ("source", "报告"),
                        ("section", "文章"), ("sentence", "原句"), ("passage_id", "段落")]
FIGURE_TABLE_COLUMNS = [("place", "地区"), ("metric", "指标"), ("figure", "数字"), ("value", "数值"),
                        ("unit", "单位"), ("time", "时间"), ("date", "日期"), ("source", "报告"),
                        ("section", "文章"), ("sentence", "原句"), ("passage_id", "段落")]
# what the role of a figure in a change (由 A 增加到 B) means, in a table
ROLE_NAMES = {"由": "变化前", "从": "变化前", "自": "变化前", "到": "变化后", "至": "变化后",
              "增加到": "变化后", "达到": "变化后"}


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    # a spreadsheet runs a cell starting with = + - @ as a formula (CSV injection); a report's
    # text may start so. A number (-3.5) stays a number.
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text):
        text = "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def to_csv(rows: Iterable[dict], columns: Sequence[tuple[str, str]]) -> str:
    """``rows`` as CSV text (with a BOM) under the Chinese headers of ``columns``."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([title for _, title in columns])
    for r in rows:
        writer.writerow([_cell(_value(r, key)) for key, _ in columns])
    return out.getvalue()


def _value(row: dict, key: str):
    if key == "role":
        return ROLE_NAMES.get(row.get("role") or "", row.get("role"))
    if key == "metric":
        return row.get("metric_text") or row.get("metric")
    return row.get(key)


def answer_table_csv(answer) -> str | None:
    """The table of a compare / trend / compute answer as CSV; None when it has none."""
    if answer is None or not answer.table:
        return None
    return to_csv(answer.table, ANSWER_TABLE_COLUMNS)


def figures_csv(rows: Iterable[dict]) -> str:
    """Rows of the figure table (``Assistant.figures``) as CSV."""
    return to_csv(rows, FIGURE_TABLE_COLUMNS)


def _quote_md(text: str) -> str:
    return "\n".join("> " + line if line.strip() else ">" for line in str(text).splitlines()) or ">"


def _md_text(text: str) -> str:
    """Report text in Markdown as text: characters Markdown or HTML would act on escaped."""
    out = []
    for ch in str(text or ""):
        if ch in "\\`*[]<>|":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def citation_line(c) -> str:
    """One citation: report · article (· page), as plain text."""
    parts = [c.source, c.section]
    page = getattr(c, "page", None)
    if page not in (None, ""):
        parts.append(f"第 {page} 页")
    return " · ".join(str(p) for p in parts if p)


def conversation_markdown(turns: Sequence[tuple[str, object]], title: str = "工会工作报告问答",
                          when: datetime | None = None) -> str:
    """A conversation as Markdown: each question, the reply, and every quote with its source.

    Args:
        turns: (question, answer) pairs; an answer is an :class:`~qa.Answer`, or the text
            shown for a turn that failed (an error message).
        when: the time written in the heading (now, by default).
    """
    when = when or datetime.now(timezone.utc).astimezone()
    lines = [f"# {title}", "", f"导出时间：{when.strftime('%Y-%m-%d %H:%M')}", ""]
    if not turns:
        lines += ["（还没有问答）", ""]
    for i, (question, answer) in enumerate(turns, 1):
        lines += [f"## {i}. {_md_text(question)}", ""]
        if answer is None or isinstance(answer, str):
            lines += [f"**出错**：{_md_text(answer or '')}", ""]
            continue
        head = answer.head or next(iter((answer.text or "").splitlines()), "")
        if answer.found:
            lines += [f"**回答**：{_md_text(head)}", ""]
        else:
            lines += [f"**未找到**：{_md_text(head)}", ""]
        if answer.computed and "计算得出" not in head:
            lines += ["计算得出：" + "、".join(_md_text(c) for c in answer.computed), ""]
        cites = list(answer.citations)
        if not cites and answer.nearest is not None:
            lines += ["最接近的记录（并非所问）：", ""]
            cites = [answer.nearest]
        seen = set()
        for c in cites:
            if (c.passage_id, c.quote) in seen:
                continue
            seen.add((c.passage_id, c.quote))
            lines += [_quote_md(_md_text(c.quote)), ">", f"> —— {_md_text(citation_line(c))}（段落 {c.passage_id}）", ""]
        if answer.table:
            lines += ["| 地区 | 数字 | 时间 | 出处 |", "|---|---|---|---|"]
            for r in answer.table:
                when_ = " ".join(x for x in (ROLE_NAMES.get(r.get("role") or "", ""), r.get("time") or "") if x)
                src = " · ".join(x for x in (r.get("source"), r.get("section")) if x)
                lines.append(f"| {_md_text(r.get('place') or '')} | {_md_text(r.get('figure') or '')} | "
                             f"{_md_text(when_)} | {_md_text(src)} |")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
