"""Reading PDFs and scans, measured on the bundled reports.

    python -m bench.documents            # measure → bench/work/documents.json and its section of bench/RESULTS.md
    python -m bench.documents --render   # only rewrite the section from bench/work/documents.json
    python -m bench.documents --pdf      # only the PDF part again (the OCR part kept)

1. PDF text extraction: two bundled reports set as PDFs by three producers (reportlab's
   two-column frames with its built-in Chinese CID font; two columns written row by row across
   the page, as a scanner's OCR layer often is; Chromium printing HTML in one column with an
   embedded Noto CJK subset: its CSS columns do not break across pages), read back by pypdf,
   pdfminer.six, pypdfium2 (plain text) and
   pypdfium2 with this project's layout (qa.documents.read_pdf): character accuracy against
   the text set, and time per page.
2. OCR: two bundled reports rendered as two-column newspaper pages (PNG, 2400×3400), read back
   by RapidOCR through qa.documents: character accuracy, seconds per page, how many lines fall
   below the low-confidence mark and how many lines on each side of it are right (found
   verbatim in the text), and the development questions about those reports answered from an
   index where the OCR'd pages replace the text files, beside the same questions on the text.

The section sits between the markers below in bench/RESULTS.md; ``python -m bench --render``
keeps it (bench/report.py).
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
PAGES = ("000_ad651ca938ec0b06.txt", "001_9aadff44d77565b3.txt")
WORK = ROOT / "bench" / "work"


def levenshtein(a: str, b: str) -> int:
    """Edit distance of two strings (numpy, a row at a time)."""
    if not a:
        return len(b)
    if not b:
        return len(a)
    bb = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    prev = np.arange(len(b) + 1, dtype=np.int32)
    idx = np.arange(len(b) + 1, dtype=np.int32)
    for i, ch in enumerate(a, start=1):
        cost = (bb != ord(ch)).astype(np.int32)
        cur = np.empty_like(prev)
        cur[0] = i
        cur[1:] = np.minimum(prev[1:] + 1, prev[:-1] + cost)
        # insertions: cur[j] = min(cur[j], cur[j-1] + 1), as a running minimum
        cur = np.minimum.accumulate(cur - idx) + idx
        prev = cur
    return int(prev[-1])


def squeeze(text: str) -> str:
    """Text without whitespace and markdown marks: what accuracy is measured on."""
    return re.sub(r"[\s#\f]+", "", text)


def accuracy(reference: str, text: str) -> float:
    ref, hyp = squeeze(reference), squeeze(text)
    return 1.0 - levenshtein(ref, hyp) / max(len(ref), 1)


def report_blocks(name: str):
    from bench.render import blocks_from_report
    return blocks_from_report((SEEDS / name).read_text(encoding="utf-8"))


def reference_text(blocks) -> str:
    return "\n".join(b.text for b in blocks)


# --------------------------------------------------------------------------- PDFs

def reportlab_pdf(blocks, path: Path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    style = ParagraphStyle("body", fontName="STSong-Light", fontSize=10, leading=15, firstLineIndent=20,
                           wordWrap="CJK")
    doc = BaseDocTemplate(str(path), pagesize=A4, leftMargin=40, rightMargin=40, topMargin=50, bottomMargin=50)
    w = (A4[0] - 80 - 20) / 2
    frames = [Frame(40, 50, w, A4[1] - 100, id="left"), Frame(40 + w + 20, 50, w, A4[1] - 100, id="right")]
    doc.addPageTemplates([PageTemplate(frames=frames)])
    esc = lambda t: t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")   # noqa: E731
    doc.build([Paragraph(esc(b.text), style) for b in blocks])


def rows_pdf(blocks, path: Path) -> None:
    """Two columns whose text is written row by row across the page (left line, right line,
    next row), as the text layer a scanner's OCR puts under a newspaper page often is: the
    order of the file is not the order of reading."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    size, leading, margin, gutter = 10, 15, 40, 20
    col_w = (A4[0] - 2 * margin - gutter) / 2
    per_line = int(col_w // size)
    lines: list[tuple[bool, str]] = []          # (first line of a paragraph, text)
    for b in blocks:
        text = b.text
        first, width = True, per_line - 2
        while text:
            lines.append((first, text[:width]))
            text, first, width = text[width:], False, per_line
    rows = int((A4[1] - 2 * margin) // leading)
    c = canvas.Canvas(str(path), pagesize=A4)
    for start in range(0, len(lines), 2 * rows):
        page = lines[start:start + 2 * rows]
        left, right = page[:rows], page[rows:]
        for i in range(rows):
            for col, column in enumerate((left, right)):
                if i < len(column):
                    first, text = column[i]
                    x = margin + col * (col_w + gutter) + (2 * size if first else 0)
                    c.setFont("STSong-Light", size)
                    c.drawString(x, A4[1] - margin - (i + 1) * leading, text)
        c.showPage()
    c.save()


def chromium_pdf(blocks, path: Path) -> bool:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        return False
    import html
    body = "".join(f"<p>{html.escape(b.text)}</p>" for b in blocks)
    page = (f"<html><head><meta charset='utf-8'><style>body{{font-family:'Noto Serif CJK SC';font-size:10pt;"
            f"}} p{{text-indent:2em;margin:0 0 .3em}}</style></head>"
            f"<body>{body}</body></html>")
    src = path.with_suffix(".html")
    src.write_text(page, encoding="utf-8")
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run", "--no-pdf-header-footer",
                    f"--print-to-pdf={path}", src.as_uri()], check=True, capture_output=True, timeout=120)
    return path.exists()


def extractors():
    def pypdf_text(data):
        import io

        import pypdf
        return "\n".join(p.extract_text() or "" for p in pypdf.PdfReader(io.BytesIO(data)).pages)

    def pdfminer_text(data):
        import io

        from pdfminer.high_level import extract_text
        return extract_text(io.BytesIO(data))

    def pdfium_text(data):
        import pypdfium2 as pdfium
        pdf = pdfium.PdfDocument(data)
        try:
            return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
        finally:
            pdf.close()

    def pdfium_layout(data):
        from qa.documents import read_pdf
        return read_pdf(data, "x.pdf").text

    return {"pypdf": pypdf_text, "pdfminer.six": pdfminer_text, "pypdfium2 (plain text)": pdfium_text,
            "pypdfium2 + qa.documents layout": pdfium_layout}


def measure_pdfs(tmp: Path) -> list[dict]:
    import pypdfium2 as pdfium
    rows = []
    for producer, make in (("reportlab CID font, two-column frames", reportlab_pdf),
                           ("reportlab CID font, two columns written row by row", rows_pdf),
                           ("Chromium printing HTML (one column), embedded Noto CJK subset", chromium_pdf)):
        docs = []
        for name in PAGES:
            blocks = report_blocks(name)
            path = tmp / f"{producer[:4]}-{len(docs)}-{abs(hash(producer)) % 1000}-{name}.pdf"
            if make(blocks, path) is False:
                continue
            docs.append((reference_text(blocks), path.read_bytes()))
        if not docs:
            continue
        pages = sum(len(pdfium.PdfDocument(d)) for _, d in docs)
        for label, fn in extractors().items():
            started = time.perf_counter()
            texts = [fn(d) for _, d in docs]
            seconds = time.perf_counter() - started
            acc = [accuracy(ref, t) for (ref, _), t in zip(docs, texts)]
            rows.append({"producer": producer, "extractor": label, "pages": pages,
                         "accuracy": round(float(np.mean(acc)), 4), "ms_per_page": round(1000 * seconds / pages, 1)})
            print(rows[-1], file=sys.stderr, flush=True)
    return rows


# --------------------------------------------------------------------------- OCR

def measure_ocr(tmp: Path) -> dict:
    from bench.render import render_pages
    from qa import documents
    from qa.reports import load_report
    folder = tmp / "ocr-reports"
    folder.mkdir()
    for name in (SEEDS).glob("*.txt"):
        if name.name not in PAGES:
            shutil.copyfile(name, folder / name.name)
    documents.ocr_engine()      # loaded before the clock starts
    per_page, accs, low, lines_total, chars, sources = [], [], 0, 0, 0, {}
    sides = {"low": [0, 0], "high": [0, 0]}    # [lines, lines found verbatim in the text]
    page_counts = []
    for name in PAGES:
        blocks = report_blocks(name)
        ref = reference_text(blocks)
        flat_ref = squeeze(ref)
        pages = render_pages(blocks, columns=2, size=24, width=2400, height=3400)
        png = folder / (Path(name).stem + (".png" if len(pages) == 1 else ".pdf"))
        if len(pages) == 1:
            pages[0].save(png)
        else:
            from bench.render import save_pdf
            save_pdf(pages, png)
        texts = []
        for page in pages:
            started = time.perf_counter()
            lines = documents.ocr_lines(page)
            per_page.append(time.perf_counter() - started)
            low += sum(1 for ln in lines if ln.score < documents.LOW_CONFIDENCE)
            lines_total += len(lines)
            for ln in lines:
                side = sides["low" if ln.score < documents.LOW_CONFIDENCE else "high"]
                side[0] += 1
                side[1] += squeeze(ln.text) in flat_ref
            texts.append(documents._page_text(lines)[0])
        text = "\n".join(texts)
        page_counts.append(len(pages))
        chars += len(flat_ref)
        accs.append(accuracy(ref, text))
        (tmp / (Path(name).stem + ".ocr.txt")).write_text(text, encoding="utf-8")
        sources[name] = png.name
    # the development questions about those two reports, answered from the OCR'd pages
    from qa import Assistant, build_index
    from qa.evaluate import evaluate, read_questions
    index = tmp / "ocr-index"
    build_index(folder, index, full=True)
    dev = ROOT.parent / "shared" / "eval" / "dev.jsonl"
    questions = [q for q in read_questions(dev) if q.get("source") in PAGES]
    ocr_questions = [dict(q, source=sources[q["source"]]) for q in questions]
    qs_path = tmp / "ocr-questions.jsonl"
    qs_path.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in ocr_questions), encoding="utf-8")
    result = evaluate(Assistant.load(index), qs_path, baseline=False)
    text_index = tmp / "text-index"
    build_index(SEEDS, text_index, full=True)
    tq = tmp / "text-questions.jsonl"
    tq.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions), encoding="utf-8")
    text_result = evaluate(Assistant.load(text_index), tq, baseline=False)
    return {"pages": len(per_page), "page_size": "2400×3400, two columns, 24 px characters",
            "characters": chars, "accuracy": round(float(np.mean(accs)), 4),
            "accuracy_per_page": [round(a, 4) for a in accs],
            "seconds_per_page": [round(s, 1) for s in per_page],
            "pages_per_report": dict(zip(PAGES, page_counts)),
            "low_confidence_lines": low, "lines": lines_total, "low_confidence": documents.LOW_CONFIDENCE,
            "lines_right": {k: {"lines": n, "right": r} for k, (n, r) in sides.items()},
            "questions": len(questions), "answered_ocr": _right(result), "answered_text": _right(text_result)}


def _right(result) -> dict:
    s = result.summary()
    wrong = [o.question for o in result.outcomes if not o.correct]
    return {"answerable_accuracy": s["answerable_accuracy"], "hit@5": s["hit@5"],
            "right": sum(o.correct for o in result.outcomes), "wrong": wrong}


# --------------------------------------------------------------------------- RESULTS.md

BEGIN, END = "<!-- documents: python -m bench.documents -->", "<!-- /documents -->"


def _pct(x) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def section(out: dict) -> str:
    """The "Reading PDFs and scans" section of RESULTS.md from documents.json."""
    lines = [BEGIN, "## Reading PDFs and scans (python -m bench.documents)", ""]
    for key, what in (("machine", "Run"), ("pdf_machine", "PDF part run again (`--pdf`)")):
        m = out.get(key, {})
        if m:
            lines += [f"{what} {m.get('date', '?')} on {m.get('cpus', '?')} CPU cores shared with other work "
                      f"(load {m.get('load', '?')} at the start), code at {m.get('git', '?')}.", ""]
    lines += ["### PDF text extraction", "",
              f"Two bundled reports (000_…, 001_…) set as PDFs by {len({r['producer'] for r in out.get('pdf', [])})} "
              "producers and read back; accuracy is "
              "1 − edit distance / length against the text set (whitespace left out).", "",
              "| producer | extractor | pages | character accuracy | ms per page |", "|---|---|---|---|---|"]
    for r in out.get("pdf", []):
        lines.append(f"| {r['producer']} | {r['extractor']} | {r['pages']} | {_pct(r['accuracy'])} | {r['ms_per_page']} |")
    o = out.get("ocr")
    if o:
        secs_ = o["seconds_per_page"]
        lr = o.get("lines_right", {})
        low, high = lr.get("low", {}), lr.get("high", {})
        share = lambda d: _pct(d["right"] / d["lines"]) if d.get("lines") else "—"   # noqa: E731
        ta, oa = o["answered_text"], o["answered_ocr"]
        lines += ["", "### OCR of rendered newspaper pages", "",
                  f"The same two reports rendered as two-column pages ({o['page_size']}; "
                  f"{', '.join(f'{k}: {v} pages' for k, v in o.get('pages_per_report', {}).items())}) "
                  "with Noto Serif CJK, saved as image-only PDFs and read back by RapidOCR "
                  "(rapidocr-onnxruntime, PP-OCR Chinese models) through qa.documents (reading order "
                  "across the columns, paragraphs), then the same repair as the bundled reports.", "",
                  "| measure | value |", "|---|---|",
                  f"| pages | {o['pages']} ({o['characters']:,} characters) |",
                  f"| character accuracy | {_pct(o['accuracy'])} (per report: "
                  f"{', '.join(_pct(a) for a in o['accuracy_per_page'])}) |",
                  f"| OCR seconds per page | median {statistics.median(secs_):.1f} s, "
                  f"range {min(secs_):.1f}–{max(secs_):.1f} s ({', '.join(f'{x:.1f}' for x in secs_)}) |",
                  f"| lines below the low-confidence mark ({o.get('low_confidence', '?')}) | "
                  f"{o['low_confidence_lines']} of {o['lines']} |",
                  f"| lines found verbatim in the text, below the mark | {low.get('right', '—')} of "
                  f"{low.get('lines', '—')} ({share(low)}) |",
                  f"| lines found verbatim in the text, at or above the mark | {high.get('right', '—')} of "
                  f"{high.get('lines', '—')} ({share(high)}) |",
                  f"| dev questions about these reports answered right, from the text | "
                  f"{ta.get('right', '?')} of {o['questions']} ({_pct(ta['answerable_accuracy'])}) |",
                  f"| … from the OCR'd pages | {oa.get('right', '?')} of {o['questions']} "
                  f"({_pct(oa['answerable_accuracy'])}) |",
                  f"| hit@5 (the right report in the top 5), text / OCR | {_pct(ta['hit@5'])} / "
                  f"{_pct(oa['hit@5'])} |", ""]
        lost = [q for q in oa["wrong"] if q not in set(ta["wrong"])]
        gained = [q for q in ta["wrong"] if q not in set(oa["wrong"])]
        if lost:
            lines += ["Answered from the text but not from the OCR'd pages: " + "；".join(lost) + "。", ""]
        if gained:
            lines += ["Answered from the OCR'd pages but not from the text: " + "；".join(gained) + "。", ""]
        if ta["wrong"] and set(ta["wrong"]) & set(oa["wrong"]):
            lines += ["Missed from both: " + "；".join(q for q in ta["wrong"] if q in set(oa["wrong"])) + "。", ""]
    lines += ["Raw numbers: bench/work/documents.json; the OCR'd text of each report beside it (*.ocr.txt).",
              END, ""]
    return "\n".join(lines)


def write_section(out: dict, results: Path = ROOT / "bench" / "RESULTS.md") -> Path:
    """Put the section into RESULTS.md: in place of the old one, or at the end."""
    text = results.read_text(encoding="utf-8") if results.exists() else ""
    new = section(out)
    if BEGIN in text and END in text:
        a, b = text.index(BEGIN), text.index(END) + len(END)
        text = text[:a] + new.rstrip("\n") + text[b:]
    else:
        text = text.rstrip("\n") + "\n\n" + new
    results.write_text(text, encoding="utf-8")
    return results


# Notes written by hand on what a run shows sit between these markers, after the section:
# a new run rewrites the measured section and leaves the notes for whoever reads the figures.
NOTES_BEGIN, NOTES_END = "<!-- documents-notes -->", "<!-- /documents-notes -->"


def kept_section(results: Path) -> str:
    """The section and its notes as they are in RESULTS.md ("" if none), for bench/report.py
    to keep."""
    text = results.read_text(encoding="utf-8") if results.exists() else ""
    if BEGIN in text and END in text:
        end = text.index(END) + len(END)
        if NOTES_BEGIN in text[end:] and NOTES_END in text[end:]:
            end = text.index(NOTES_END, end) + len(NOTES_END)
        return text[text.index(BEGIN):end] + "\n"
    return ""


def _machine() -> dict:
    import os
    import subprocess
    from datetime import datetime, timezone
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        head = "unknown"
    return {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "cpus": os.cpu_count(),
            "load": " ".join(f"{x:.1f}" for x in os.getloadavg()), "git": head}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    path = WORK / "documents.json"
    if "--render" in argv:
        print(write_section(json.loads(path.read_text(encoding="utf-8"))))
        return 0
    if "--pdf" in argv:     # the PDF part again (a minute), the OCR part kept from the last run
        out = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        WORK.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=WORK) as tmp:
            out["pdf"] = measure_pdfs(Path(tmp))
        out["pdf_machine"] = _machine()
        path.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
        print(write_section(out))
        return 0
    WORK.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=WORK) as tmp:
        tmp = Path(tmp)
        out = {"machine": _machine(), "pdf": measure_pdfs(tmp), "ocr": measure_ocr(tmp)}
        for f in tmp.glob("*.ocr.txt"):
            shutil.copyfile(f, WORK / f.name)
    path.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    print(json.dumps(out, ensure_ascii=False, indent=1))
    print(write_section(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
