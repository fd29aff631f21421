"""Reading PDFs and scans, measured on the bundled reports.

    python -m bench.documents            # → bench/work/documents.json, a table for bench/RESULTS.md

1. PDF text extraction: two bundled reports set as two-column PDFs by two producers
   (reportlab's two-column frames with its built-in Chinese CID font; Chromium printing HTML in
   one column with an embedded Noto CJK subset: its CSS columns do not break across pages), read back by pypdf, pdfminer.six, pypdfium2 (plain text) and
   pypdfium2 with this project's layout (qa.documents.read_pdf): character accuracy against
   the text set, and time per page.
2. OCR: two bundled reports rendered as two-column newspaper pages (PNG, 2400×3400), read back
   by RapidOCR through qa.documents: character accuracy, seconds per page, the share of lines
   below the low-confidence mark, and the development questions about those reports answered
   from an index where the OCR'd pages replace the text files.
"""

from __future__ import annotations

import json
import re
import shutil
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
    for producer, make in (("reportlab CID font", reportlab_pdf), ("Chromium printing HTML (one column), embedded Noto CJK subset", chromium_pdf)):
        docs = []
        for name in PAGES:
            blocks = report_blocks(name)
            path = tmp / f"{producer[:4]}-{name}.pdf"
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
    for name in PAGES:
        blocks = report_blocks(name)
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
            texts.append(documents._page_text(lines)[0])
        text = "\n".join(texts)
        ref = reference_text(blocks)
        chars += len(squeeze(ref))
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
            "low_confidence_lines": low, "lines": lines_total,
            "questions": len(questions), "answered_ocr": _right(result), "answered_text": _right(text_result)}


def _right(result) -> dict:
    s = result.summary()
    wrong = [o.question for o in result.outcomes if not o.correct]
    return {"answerable_accuracy": s["answerable_accuracy"], "hit@5": s["hit@5"], "wrong": wrong}


def main() -> int:
    WORK.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=WORK) as tmp:
        tmp = Path(tmp)
        out = {"pdf": measure_pdfs(tmp), "ocr": measure_ocr(tmp)}
        for f in tmp.glob("*.ocr.txt"):
            shutil.copyfile(f, WORK / f.name)
    (WORK / "documents.json").write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    print(json.dumps(out, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
