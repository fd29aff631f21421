"""Reports as people have them: Word files, PDFs and scanned pages, read into report text.

Every format comes out as the raw text :func:`qa.reports.parse_report` cleans, like the bundled
OCR'd newspaper pages: one paragraph a block (blank line between), a wide gap (two blank
lines) where the page had one, and pages separated by a form feed (``\\f``) so that every
paragraph knows its page.

- ``.docx`` (python-docx): paragraphs, headings (as markdown ``##`` titles, so they become
  article titles) and tables. Every table row is written as one sentence beside its header
  ("职工书屋：2021年45个，2022年52个。"), so its figures can be answered and cited.
- ``.pdf`` with a text layer (pypdfium2, Apache-2.0/BSD): the text runs of each page with
  their boxes, put in reading order (columns) and paragraphs by :func:`layout`. Chosen by
  measurement over pypdf and pdfminer.six (bench/RESULTS.md, "Reading PDF").
- Scanned pages: image-only PDF pages (rendered by pdfium) and ``.png``/``.jpg`` images are
  read by RapidOCR (PP-OCR Chinese models shipped in the rapidocr-onnxruntime wheel: offline).
  Lines recognised with low confidence are returned in ``Document.doubtful``.

Headers, footers and page numbers repeated on every page are dropped (a dated page header is
kept once: the report's date comes from it, as for the bundled pages).
"""

from __future__ import annotations

import io
import re
import statistics
import threading
from dataclasses import dataclass, field
from typing import Callable, Sequence

from .errors import OcrUnavailable, ReportError

DOCX_SUFFIXES = (".docx",)
PDF_SUFFIXES = (".pdf",)
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
DOCUMENT_SUFFIXES = DOCX_SUFFIXES + PDF_SUFFIXES + IMAGE_SUFFIXES
# Formats that are recognised only to say how to convert them.
LEGACY_SUFFIXES = {
    ".doc": "旧版 Word 文档（.doc）无法直接读取：请在 Word 或 WPS 中“另存为” .docx（Word 文档），"
            "或用 LibreOffice 转换：soffice --headless --convert-to docx 文件.doc",
    ".wps": "WPS 文字文档（.wps）无法直接读取：请在 WPS 中“另存为” .docx 后再添加",
}

# A line recognised with a confidence below this is marked as doubtful: an answer quoting it
# says so. bench/RESULTS.md ("Reading scans") gives the share of wrong lines on each side.
LOW_CONFIDENCE = 0.85
# Largest image read (pixels): a 20,000 × 20,000 image would take 1.6 GB decoded.
MAX_IMAGE_PIXELS = 60_000_000
# Scanned PDF pages are rendered at this resolution for OCR (and at most MAX_RENDER_PIXELS).
RENDER_DPI = 200
MAX_RENDER_PIXELS = 30_000_000
MAX_PAGES = 500

PageCallback = Callable[[int, int, str], None]   # (page, pages, what: "text" | "ocr")


@dataclass
class Document:
    """The text of a document, as raw report text (pages separated by ``\\f``)."""

    text: str
    pages: int = 1
    ocr_pages: int = 0
    doubtful: tuple[str, ...] = ()        # lines recognised with low confidence
    dropped: dict[str, int] = field(default_factory=dict)


def is_document(name: str) -> bool:
    return name.lower().endswith(DOCUMENT_SUFFIXES)


def _readable_suffix(data: bytes, name: str) -> str:
    """The file's suffix, once it is neither a legacy format nor empty (ReportError otherwise)."""
    suffix = _suffix(name)
    if suffix in LEGACY_SUFFIXES:
        raise ReportError(name, LEGACY_SUFFIXES[suffix])
    if not data:
        raise ReportError(name, "文件为空 (empty file)")
    return suffix


def read_document(data: bytes, name: str, on_page: PageCallback | None = None) -> Document:
    """Read a ``.docx``, ``.pdf``, ``.png`` or ``.jpg`` report.

    Args:
        data: the file's bytes.
        name: its name (the suffix chooses the reader; it names the file in messages).
        on_page: called before each page is read with (page, pages, "text" or "ocr").

    Raises:
        ReportError: the file is empty, damaged, encrypted, too large or not what its name says.
        OcrUnavailable: a scanned page needs OCR and rapidocr-onnxruntime is not installed.
    """
    suffix = _readable_suffix(data, name)
    if suffix in DOCX_SUFFIXES:
        return read_docx(data, name)
    if suffix in PDF_SUFFIXES:
        return read_pdf(data, name, on_page)
    if suffix in IMAGE_SUFFIXES:
        if on_page:
            on_page(1, 1, "ocr")
        lines = ocr_lines(open_image(data, name))
        text, doubtful = _page_text(lines)
        if not text.strip():
            raise ReportError(name, "图片中没有识别出文字 (no text recognised in the image)")
        return Document(text, 1, 1, tuple(doubtful))
    raise ReportError(name, f"不支持的文件类型 {suffix or '（无扩展名）'}")


def check_document(data: bytes, name: str) -> None:
    """A quick check of an upload before it is saved (the build reads it in full): the file
    opens as what its name says, is not encrypted, and an image is not too large.

    Raises:
        ReportError: as :func:`read_document`.
    """
    suffix = _readable_suffix(data, name)
    if suffix in DOCX_SUFFIXES:
        read_docx(data, name)
    elif suffix in PDF_SUFFIXES:
        _open_pdf(data, name).close()
    elif suffix in IMAGE_SUFFIXES:
        open_image(data, name, load=False)


def _suffix(name: str) -> str:
    m = re.search(r"\.[A-Za-z0-9]+$", name or "")
    return m.group(0).lower() if m else ""


# --------------------------------------------------------------------------- Word

_HEADING_STYLE = re.compile(r"^(?:heading|标题|title)\s*(\d?)", re.I)
_UNIT_IN_LABEL = re.compile(r"^(.*?)\s*[（(]\s*([^（）()]{1,6}?)\s*[)）]\s*$")
_NUMBER = re.compile(r"^[-+]?\d[\d,，.]*%?$")


def read_docx(data: bytes, name: str) -> Document:
    """Paragraphs, headings and tables of a Word file, in document order.

    Raises:
        ReportError: not a Word document (another zip, a renamed file), or damaged.
    """
    import zipfile
    try:
        import docx
        from docx.opc.exceptions import PackageNotFoundError
    except ImportError:
        raise ReportError(name, "读取 Word 需要 python-docx：请运行 pip install python-docx"
                                "（或 pip install -e . 重装本项目）") from None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            if "word/document.xml" not in z.namelist():
                raise ReportError(name, "不是 Word 文档（.docx）：这个压缩包里没有 word/document.xml；"
                                        "请在 Word 或 WPS 中打开原文件并另存为 .docx")
        document = docx.Document(io.BytesIO(data))
    except ReportError:
        raise
    except (zipfile.BadZipFile, PackageNotFoundError):
        raise ReportError(name, "不是有效的 Word 文档（.docx）：文件已损坏或只是改了扩展名；"
                                "请在 Word 或 WPS 中打开并另存为 .docx") from None
    except Exception as exc:  # noqa: BLE001 - lxml and zip errors of a damaged file
        raise ReportError(name, f"Word 文档无法读取（{type(exc).__name__}）：文件可能已损坏；"
                                "请在 Word 或 WPS 中打开并另存为 .docx") from None
    from docx.table import Table
    from docx.text.paragraph import Paragraph
    blocks: list[str] = []
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = Paragraph(child, document)
            text = _clean(para.text)
            if not text:
                continue
            style = (para.style.name if para.style is not None else "") or ""
            if _HEADING_STYLE.match(style):
                blocks.append(f"## {text}")
            else:
                blocks.append(text)
        elif tag == "tbl":
            blocks.extend(table_sentences(_table_rows(Table(child, document))))
    return Document("\n\n".join(blocks) + "\n")


def _clean(text: str) -> str:
    return re.sub(r"[ \t\u00a0\u3000]+", " ", text.replace("\r", " ").replace("\n", " ").replace("\v", " ")).strip()


def _table_rows(table) -> list[list[str]]:
    rows = []
    for row in table.rows:
        cells, last = [], None
        for cell in row.cells:
            if last is not None and cell._tc is last:     # a merged cell repeats
                continue
            last = cell._tc
            cells.append(_clean(cell.text))
        if any(cells):
            rows.append(cells)
    return rows


def table_sentences(rows: Sequence[Sequence[str]]) -> list[str]:
    """A table as sentences: each row after the header with its header's words.

    ``项目 | 2021年 | 2022年`` over ``职工书屋（个） | 45 | 52`` becomes
    "职工书屋：2021年45个，2022年52个。": the row's label, each column's heading before its value,
    and the unit written in the label's or the heading's brackets after every figure.
    A table of one row or one column is written as its lines.
    """
    rows = [list(r) for r in rows if any(c.strip() for c in r)]
    if len(rows) < 2 or max(len(r) for r in rows) < 2:
        return ["，".join(c for c in r if c) + "。" for r in rows]
    header = rows[0]
    out = []
    for row in rows[1:]:
        label, unit = _label_unit(row[0])
        parts = []
        for j, cell in enumerate(row[1:], start=1):
            if not cell:
                continue
            head, col_unit = _label_unit(header[j] if j < len(header) else "")
            value = cell
            u = unit or col_unit
            number = bool(_NUMBER.match(cell.replace(" ", "")))
            if u and number and not cell.endswith("%"):
                value = cell + u
            # "2022年52个", "会员19.6万人"; a word after its heading takes a colon: "负责人：张三"
            parts.append(f"{head}{'' if not head or number or head.endswith(('年', '月')) else '：'}{value}")
        if parts:
            out.append(f"{label}：{'，'.join(parts)}。" if label else "，".join(parts) + "。")
    return out


def _label_unit(text: str) -> tuple[str, str]:
    """"职工书屋（个）" → ("职工书屋", "个"); "会员（万人）" → ("会员", "万人")."""
    text = (text or "").strip()
    m = _UNIT_IN_LABEL.match(text)
    if m and not re.search(r"\d", m.group(2)):
        return m.group(1).strip(), m.group(2).strip()
    return text, ""


# --------------------------------------------------------------------------- layout

@dataclass
class Line:
    """A line of text on a page with its box (x0, y0 top, x1, y1 bottom) and confidence."""

    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    score: float = 1.0

    @property
    def height(self) -> float:
        return max(self.y1 - self.y0, 1.0)


def _char_height(lines: Sequence[Line]) -> float:
    return statistics.median(ln.height for ln in lines) if lines else 10.0


def reading_order(lines: Sequence[Line]) -> list[list[Line]]:
    """The lines of a page as regions in reading order, each region's lines top to bottom.

    A recursive XY-cut for newspaper pages: a region is cut at a column gutter (a vertical gap
    no line crosses) into left and right; failing that, into bands of lines that share a
    gutter (a headline over two columns is a band of its own, the columns under it another),
    each band ordered again.
    """
    lines = [ln for ln in lines if ln.text.strip()]
    if not lines:
        return []
    return _xy_cut(lines, _char_height(lines))


def _gaps(intervals: list[tuple[float, float]], min_gap: float) -> list[tuple[float, float]]:
    """The gaps at least ``min_gap`` wide between the union of ``intervals``."""
    out = []
    intervals = sorted(intervals)
    end = intervals[0][1]
    for a, b in intervals[1:]:
        if a - end >= min_gap:
            out.append((end, a))
        end = max(end, b)
    return out


def _spans(lines: Sequence[Line], h: float) -> list[tuple[float, float]]:
    """The lines' horizontal extents for finding gutters, less a character at the right end:
    punctuation hung past the column's edge and OCR's box padding reach into the gutter
    without crossing it (a headline over the columns still crosses it)."""
    return [(ln.x0, max(ln.x0 + 1.0, ln.x1 - h)) for ln in lines]


def _xy_cut(lines: list[Line], h: float, depth: int = 0) -> list[list[Line]]:
    if len(lines) <= 1 or depth > 40:
        return [sorted(lines, key=lambda ln: (ln.y0, ln.x0))]
    gutter = h * 0.9
    cols = _gaps(_spans(lines, h), gutter)
    if cols:
        a, b = max(cols, key=lambda g: g[1] - g[0])
        mid = (a + b) / 2
        left = [ln for ln, (_, end) in zip(lines, _spans(lines, h)) if end <= mid]
        right = [ln for ln, (_, end) in zip(lines, _spans(lines, h)) if end > mid]
        return _xy_cut(left, h, depth + 1) + _xy_cut(right, h, depth + 1)
    # strips: runs of lines that overlap vertically
    ordered = sorted(lines, key=lambda ln: ln.y0)
    strips: list[list[Line]] = []
    bottom = None
    for ln in ordered:
        if bottom is not None and ln.y0 < bottom - 0.3 * min(ln.height, h):
            strips[-1].append(ln)
            bottom = max(bottom, ln.y1)
        else:
            strips.append([ln])
            bottom = ln.y1
    if len(strips) == 1:
        return [sorted(lines, key=lambda ln: ln.x0)]
    # bands: consecutive strips with a gutter in common, or consecutive strips of one column
    bands: list[list[Line]] = []
    common: list[tuple[float, float]] | None = None
    for strip in strips:
        gaps = _gaps(_spans(strip, h), gutter) if len(strip) > 1 else []
        if bands:
            if common is None and not gaps:
                bands[-1].extend(strip)          # another line of text across the region
                continue
            if common is not None and gaps:
                shared = [(max(a, c), min(b, d)) for a, b in common for c, d in gaps
                          if min(b, d) - max(a, c) >= gutter * 0.5]
                if shared:
                    bands[-1].extend(strip)
                    common = shared
                    continue
        bands.append(list(strip))
        common = gaps or None
    # A picture in one column leaves strips of the other column's lines alone between bands of
    # two columns: bands whose lines together still leave a gutter are one set of columns
    # (only a line across the gutter, a headline, separates them).
    merged = [bands[0]]
    for band in bands[1:]:
        if _gaps(_spans(merged[-1] + band, h), gutter):
            merged[-1] = merged[-1] + band
        else:
            merged.append(band)
    bands = merged
    if len(bands) == 1:
        return [sorted(lines, key=lambda ln: (ln.y0, ln.x0))]
    out = []
    for band in bands:
        out.extend(_xy_cut(band, h, depth + 1))
    return out


_ENDS = "。！？!?；;…”」』）)："


def paragraphs(regions: list[list[Line]]) -> list[tuple[str, int, list[Line]]]:
    """Lines in reading order grouped into paragraphs: (text, blank lines before, its lines).

    A paragraph starts at an indented line, after a line that ends short of the column's right
    edge, or after a wider gap than the line spacing; it runs on from one column into the next
    when the column's last line reaches its right edge and the next column's first line is not
    indented. A gap of over two lines (a picture's place) is written as two blank lines.
    """
    out: list[tuple[str, int, list[Line]]] = []
    carry = False
    for region in regions:
        if not region:
            continue
        h = _char_height(region)
        left = min(ln.x0 for ln in region)
        # where full lines end: not the widest line (a headline over the columns may be there)
        ends = sorted(ln.x1 for ln in region)
        right = ends[(len(ends) * 3) // 4]
        full_width = right - left > 6 * h
        prev: Line | None = None
        for ln in region:
            text = ln.text.strip()
            indented = full_width and ln.x0 - left > 1.2 * h
            if prev is None:
                new = not (carry and not indented)
                gap = 1
            else:
                vgap = ln.y0 - prev.y1
                short = full_width and right - prev.x1 > 1.5 * h
                resized = abs(ln.height - prev.height) > 0.3 * min(ln.height, prev.height)
                new = indented or short or resized or vgap > 0.9 * h
                gap = 2 if vgap > 2.5 * h else 1
            if new or not out:
                out.append((text, gap, [ln]))
            else:
                t, g, lns = out[-1]
                out[-1] = (t + text, g, lns + [ln])
            prev = ln
        last = region[-1]
        carry = full_width and abs(right - last.x1) <= 1.5 * h and not last.text.rstrip().endswith(tuple(_ENDS))
    return out


def _page_text(lines: Sequence[Line]) -> tuple[str, list[str]]:
    """A page's raw text (paragraphs, blank lines between) and its doubtful lines."""
    paras = paragraphs(reading_order(lines))
    parts = []
    for i, (text, gap, _) in enumerate(paras):
        if i:
            parts.append("\n" * (gap + 1))
        parts.append(text)
    doubtful = [ln.text.strip() for _, _, lns in paras for ln in lns
                if ln.score < LOW_CONFIDENCE and len(ln.text.strip()) >= 2]
    return "".join(parts), doubtful


# --------------------------------------------------------------------------- repeated headers and footers

_PAGE_NUMBER = re.compile(
    r"^[\s\-—–·•]*(?:第\s*)?[\dⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ]{1,4}\s*(?:页)?(?:\s*[/／]\s*\d{1,4}|\s*共\s*\d{1,4}\s*页)?[\s\-—–·•]*$"
    r"|^[\s\-—–]*(?:page|p\.)\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?[\s\-—–]*$", re.I)


def _margin_key(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


def drop_repeated_margins(pages: list[list[Line]]) -> tuple[list[list[Line]], dict[str, int]]:
    """Drop page numbers, and headers and footers that repeat on the pages (digits aside):
    lines at the top or the bottom two of a page. A dated page header (2013年9月23日 星期一)
    is kept on its first page, where the report's date is read from it."""
    from .reports import _PAGE_HEADER
    dropped = {"page_number": 0, "running_header": 0}
    margins: list[set[int]] = []
    counts: dict[str, int] = {}
    for lines in pages:
        order = sorted(range(len(lines)), key=lambda i: lines[i].y0)
        idx = set(order[:2] + order[-2:])
        margins.append(idx)
        for key in {_margin_key(lines[i].text) for i in idx}:
            counts[key] = counts.get(key, 0) + 1
    need = max(2, (len(pages) + 1) // 2)
    kept_dated = False
    out = []
    for lines, idx in zip(pages, margins):
        keep = []
        for i, ln in enumerate(lines):
            if i in idx:
                if _PAGE_NUMBER.match(ln.text):
                    dropped["page_number"] += 1
                    continue
                if len(pages) > 1 and counts.get(_margin_key(ln.text), 0) >= need and len(_margin_key(ln.text)) >= 2:
                    if _PAGE_HEADER.match(ln.text.strip()) and not kept_dated:
                        kept_dated = True
                    else:
                        dropped["running_header"] += 1
                        continue
            keep.append(ln)
        out.append(keep)
    return out, {k: v for k, v in dropped.items() if v}


# --------------------------------------------------------------------------- PDF

def _open_pdf(data: bytes, name: str):
    try:
        import pypdfium2 as pdfium
    except ImportError:
        raise ReportError(name, "读取 PDF 需要 pypdfium2：请运行 pip install pypdfium2"
                                "（或 pip install -e . 重装本项目）") from None
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        msg = str(exc).lower()
        if "password" in msg:
            raise ReportError(name, "PDF 已加密，需要密码才能打开：请用原程序去掉密码（或“打印”为新的 PDF）"
                                    "后再添加") from None
        raise ReportError(name, "PDF 文件已损坏或不是 PDF：请重新导出或下载一份完整的文件") from None
    if len(pdf) == 0:
        pdf.close()
        raise ReportError(name, "PDF 没有页面 (no pages)")
    if len(pdf) > MAX_PAGES:
        n = len(pdf)
        pdf.close()
        raise ReportError(name, f"PDF 页数过多（{n} 页，上限 {MAX_PAGES} 页）：请拆分成多份报告")
    return pdf


def _pdf_text_lines(page) -> list[Line]:
    """The text lines of a PDF page with their boxes (top-down y): its characters in the order
    pdfium gives them, cut where pdfium breaks a line or at a gap wider than 1.5 characters,
    each line's box the union of its characters' boxes. (Boxes of pdfium's text "rects" overlap and repeat text: not used.)"""
    textpage = page.get_textpage()
    try:
        height = page.get_height()
        n = textpage.count_chars()
        text = textpage.get_text_range(0, n) if n else ""
        lines: list[Line] = []
        cur: list[str] = []
        box = None
        em = 0.0          # the font height of the last character

        def flush():
            nonlocal cur, box
            t = _clean("".join(cur).replace("\x02", "").replace("\ufffe", ""))
            if t and box is not None:
                lines.append(Line(box[0], height - box[3], box[2], height - box[1], t))
            cur, box = [], None

        for i, ch in enumerate(text[:n]):
            if ch in "\r\n":
                flush()
                continue
            if ch.strip():
                left, bottom, right, top = textpage.get_charbox(i)
                # a gap on one row wider than 1.5 characters (their font's height: a dash's own box
                # is flat) is a gutter: the two columns' lines of a page whose text is written
                # row by row across it (a scanner's OCR layer) are two lines
                _, lb, _, lt = textpage.get_charbox(i, loose=True)
                if box is not None and left - box[2] > 1.5 * max(lt - lb, em, 1.0):
                    flush()
                em = lt - lb
                cur.append(ch)
                box = (left, bottom, right, top) if box is None else \
                    (min(box[0], left), min(box[1], bottom), max(box[2], right), max(box[3], top))
            else:
                cur.append(ch)
        flush()
        return _merge_runs(lines)
    finally:
        textpage.close()


def _merge_runs(lines: list[Line]) -> list[Line]:
    """Runs of one line (a font change splits a line into runs) joined into one line."""
    out: list[Line] = []
    for ln in lines:
        if out:
            p = out[-1]
            same_row = abs((p.y0 + p.y1) / 2 - (ln.y0 + ln.y1) / 2) < 0.5 * min(p.height, ln.height)
            if same_row and 0 <= ln.x0 - p.x1 < 0.8 * min(p.height, ln.height):
                sep = " " if re.match(r"[A-Za-z0-9]", ln.text) and re.search(r"[A-Za-z0-9]$", p.text) else ""
                out[-1] = Line(p.x0, min(p.y0, ln.y0), ln.x1, max(p.y1, ln.y1), p.text + sep + ln.text,
                               min(p.score, ln.score))
                continue
        out.append(ln)
    return out


def _is_scanned(page, lines: list[Line]) -> bool:
    """No text layer worth the name (a scan, maybe with a page number), but an image."""
    chars = sum(len(ln.text) for ln in lines)
    if chars >= 20:
        return False
    import pypdfium2.raw as pdfium_c
    return any(obj.type == pdfium_c.FPDF_PAGEOBJ_IMAGE for obj in page.get_objects(max_depth=2))


def read_pdf(data: bytes, name: str, on_page: PageCallback | None = None) -> Document:
    """The pages of a PDF: the text layer where there is one, OCR for image-only pages.

    Raises:
        ReportError: encrypted, damaged, too many pages, or no text on any page.
        OcrUnavailable: an image-only page and no OCR installed.
    """
    pdf = _open_pdf(data, name)
    pages: list[list[Line]] = []
    ocr_pages = 0
    try:
        n = len(pdf)
        for i in range(n):
            page = pdf[i]
            try:
                lines = _pdf_text_lines(page)
                if _is_scanned(page, lines):
                    if on_page:
                        on_page(i + 1, n, "ocr")
                    lines = ocr_lines(_render(page))
                    ocr_pages += 1
                elif on_page:
                    on_page(i + 1, n, "text")
                pages.append(lines)
            finally:
                page.close()
    finally:
        pdf.close()
    pages, dropped = drop_repeated_margins(pages)
    texts, doubtful = [], []
    for lines in pages:
        text, d = _page_text(lines)
        texts.append(text)
        doubtful.extend(d)
    if not any(t.strip() for t in texts):
        raise ReportError(name, "PDF 中没有可读的文字 (no text in the PDF)")
    return Document("\n\f\n".join(texts) + "\n", len(texts), ocr_pages, tuple(doubtful), dropped)


def _render(page):
    """A PDF page as a PIL image for OCR (RENDER_DPI, at most MAX_RENDER_PIXELS)."""
    w, h = page.get_size()
    scale = RENDER_DPI / 72
    if w * h * scale * scale > MAX_RENDER_PIXELS:
        scale = (MAX_RENDER_PIXELS / (w * h)) ** 0.5
    return page.render(scale=scale, grayscale=True).to_pil()


# --------------------------------------------------------------------------- images and OCR

def open_image(data: bytes, name: str, load: bool = True):
    """An image file as a PIL image (RGB), with clear messages for bad ones.

    Raises:
        ReportError: empty, not an image, damaged, or over MAX_IMAGE_PIXELS.
    """
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:
        raise ReportError(name, "读取图片需要 Pillow：请运行 pip install pillow（或 pip install -e . 重装本项目）") from None
    if not data:
        raise ReportError(name, "文件为空 (empty file)")
    try:
        # our own pixel limit is checked below, before any pixel is decoded
        with _no_bomb_check(Image):
            img = Image.open(io.BytesIO(data))
            w, h = img.size
    except UnidentifiedImageError:
        raise ReportError(name, "不是可识别的图片（只读 PNG 和 JPEG）：请重新导出图片") from None
    except Exception as exc:  # noqa: BLE001 - PIL raises many kinds on damaged files
        raise ReportError(name, f"图片已损坏，无法读取（{type(exc).__name__}）") from None
    if w * h > MAX_IMAGE_PIXELS:
        raise ReportError(name, f"图片过大（{w}×{h} 像素，上限 {MAX_IMAGE_PIXELS // 1_000_000:,} 百万像素）："
                                "请缩小到 300 dpi 以内或裁成几页再上传")
    if w < 16 or h < 16:
        raise ReportError(name, f"图片太小（{w}×{h} 像素），无法识别文字")
    if not load:
        return img
    try:
        img.load()
        return img.convert("RGB")
    except Exception as exc:  # noqa: BLE001
        raise ReportError(name, f"图片已损坏，无法读取（{type(exc).__name__}）") from None


class _no_bomb_check:
    """PIL's own decompression-bomb error off while a header is read: the pixel limit is ours."""

    def __init__(self, image_module):
        self.m = image_module

    def __enter__(self):
        self.old = self.m.MAX_IMAGE_PIXELS
        self.m.MAX_IMAGE_PIXELS = None

    def __exit__(self, *exc):
        self.m.MAX_IMAGE_PIXELS = self.old
        return False


_engine = None
_engine_lock = threading.Lock()
OCR_INSTALL = 'pip install rapidocr-onnxruntime'


def ocr_engine():
    """The RapidOCR engine (loaded once; its models ship in the wheel, nothing is downloaded).

    Raises:
        OcrUnavailable: rapidocr-onnxruntime is not installed.
    """
    global _engine
    with _engine_lock:
        if _engine is None:
            try:
                from rapidocr_onnxruntime import RapidOCR
            except ImportError as exc:
                raise OcrUnavailable(
                    f"扫描页和图片需要文字识别（OCR），但没有安装 rapidocr-onnxruntime（{exc}）："
                    f"请运行 {OCR_INSTALL}（或 pip install -e . 重装本项目）") from None
            # Pages are large: keep them at full size for detection (the default would shrink a
            # newspaper page to 2000 pixels and its characters below what recognition reads).
            _engine = RapidOCR(max_side_len=5000, print_verbose=False)
        return _engine


def ocr_lines(image) -> list[Line]:
    """The text lines OCR finds in a PIL image, with their boxes and confidences.

    The angle classifier is off: scanned report pages are upright, and it cost 40% of the time.
    """
    import numpy as np
    engine = ocr_engine()
    bgr = np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])   # as OpenCV reads
    result, _ = engine(bgr, use_cls=False)
    lines = []
    for box, text, score in result or []:
        xs = [p[0] for p in box]
        ys = [p[1] for p in box]
        lines.append(Line(min(xs), min(ys), max(xs), max(ys), _clean(text), float(score)))
    return lines
