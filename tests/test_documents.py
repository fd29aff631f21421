"""Word, PDF and scanned reports: files the tests make themselves, answered with the right
figure and a citation naming the page; bad files get a clear message and nothing indexed is lost."""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from qa import documents
from qa.documents import Line, drop_repeated_margins, paragraphs, reading_order, table_sentences
from qa.errors import OcrUnavailable, ReportError
from qa.reports import list_reports, load_report

from conftest import copy_bundled

# --------------------------------------------------------------------------- making files


def make_docx(path: Path) -> Path:
    import docx
    d = docx.Document()
    d.add_heading("黔南州总工会2022年工作报告", level=1)
    d.add_paragraph("2022年，黔南州总工会围绕中心、服务大局，全州新建基层工会组织126个。")
    d.add_heading("职工书屋建设", level=2)
    d.add_paragraph("近两年职工书屋建设情况见下表。")
    t = d.add_table(rows=3, cols=3)
    for i, row in enumerate([["项目", "2021年", "2022年"], ["职工书屋（个）", "45", "52"],
                             ["会员人数（万人）", "18.2", "19.6"]]):
        for j, v in enumerate(row):
            t.cell(i, j).text = v
    d.save(str(path))
    return path


def make_text_pdf(path: Path) -> Path:
    """Two pages written with reportlab's built-in Chinese CID font, a running header and
    page numbers on each."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path))
    pages = [["遵义市总工会2023年工作报告", "2023年，遵义市总工会扎实推进各项工作。",
              "全市建成职工服务站88个，服务职工3.2万人次。"],
             ["困难职工帮扶", "全年发放帮扶资金1260万元，帮扶困难职工2150户。"]]
    for i, lines in enumerate(pages):
        c.setFont("STSong-Light", 9)
        c.drawString(72, 800, "遵义市总工会文件")
        c.drawString(290, 40, f"- {i + 1} -")
        y = 720
        for j, ln in enumerate(lines):
            c.setFont("STSong-Light", 16 if j == 0 else 12)
            c.drawString(72, y, ln)
            y -= 24
        c.showPage()
    c.save()
    return path


def page_images(blocks, **kw):
    from bench.render import cjk_font_path, render_pages
    if cjk_font_path() is None:
        pytest.skip("no CJK font to render pages with: apt-get install fonts-noto-cjk (.ci/run does)")
    return render_pages(blocks, columns=2, width=1400, height=900, size=26, **kw)


def make_png(path: Path) -> Path:
    from bench.render import Block
    page_images([Block("六盘水市总工会2023年工作报告", headline=True),
                 Block("2023年，六盘水市总工会组织开展职工技能竞赛，参赛职工达到1.8万人次，评选出技术能手36名。"),
                 Block("全市新建户外劳动者服务站点64个，为快递员、外卖骑手等新就业形态劳动者提供歇脚、饮水等服务。"),
                 Block("全年筹集送温暖资金950万元，慰问困难职工3200户。")])[0].save(path)
    return path


def make_scanned_pdf(path: Path) -> Path:
    """An image-only PDF of two pages (a scan), each with a running header and a page number."""
    from bench.render import Block, save_pdf
    first = page_images([Block("安顺市总工会2023年工作报告", headline=True),
                         Block("2023年，安顺市建成职工之家127个，其中全国模范职工之家5个。")],
                        header="安顺工运 第{page}期", footer="{page}")
    second = page_images([Block("全年为职工办实事好事420件，职工满意率达到96.5%。")],
                         header="安顺工运 第{page}期", footer="{page}")
    save_pdf(first + second, path)
    return path


def blank_png(width: int, height: int) -> bytes:
    """A valid white PNG of width × height pixels (one bit a pixel: 20,000 × 20,000 is 76 KB on
    disk and 400 million pixels decoded)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    z = zlib.compressobj(9)
    body = b"".join(z.compress(row) for _ in range(height)) + z.flush()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def test_the_huge_test_image_is_a_real_image(monkeypatch):
    from PIL import Image
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)    # PIL's own bomb check off: read its size
    img = Image.open(io.BytesIO(blank_png(20000, 20000)))
    assert img.size == (20000, 20000)
    small = Image.open(io.BytesIO(blank_png(40, 30)))
    small.load()
    assert small.size == (40, 30) and small.getpixel((39, 29)) == 255


def encrypted_pdf(source: Path) -> bytes:
    import pypdf
    reader = pypdf.PdfReader(str(source))
    writer = pypdf.PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    writer.encrypt(user_password="secret", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def zip_of_other_things() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("notes.txt", "这不是 Word 文档")
    return out.getvalue()


@pytest.fixture(scope="session")
def document_reports(tmp_path_factory) -> Path:
    folder = copy_bundled(tmp_path_factory.mktemp("documents") / "reports")
    make_docx(folder / "黔南州报告.docx")
    make_text_pdf(folder / "遵义报告.pdf")
    make_png(folder / "六盘水报告.png")
    make_scanned_pdf(folder / "安顺扫描.pdf")
    return folder


@pytest.fixture(scope="session")
def document_index(tmp_path_factory, document_reports):
    from qa import build_index
    folder = tmp_path_factory.mktemp("documents-index") / "index"
    events: list[str] = []
    result = build_index(document_reports, folder, full=True, on_event=events.append)
    return folder, result, events


@pytest.fixture(scope="session")
def document_assistant(document_index):
    from qa import Assistant
    return Assistant.load(document_index[0])


# --------------------------------------------------------------------------- answered, with the page


@pytest.mark.slow
@pytest.mark.parametrize("question, figure, source, page", [
    ("2022年职工书屋有多少个？", "52", "黔南州报告.docx", None),
    ("黔南州2021年会员人数是多少？", "18.2万人", "黔南州报告.docx", None),
    ("遵义市建成了多少个职工服务站？", "88个", "遵义报告.pdf", 1),
    ("遵义帮扶了多少户困难职工？", "2150户", "遵义报告.pdf", 2),
    ("六盘水市新建了多少个户外劳动者服务站点？", "64个", "六盘水报告.png", 1),
    ("安顺市建成职工之家多少个？", "127个", "安顺扫描.pdf", 1),
    ("安顺市为职工办实事好事多少件？", "420件", "安顺扫描.pdf", 2),
])
def test_documents_are_answered_with_figure_and_page(document_assistant, question, figure, source, page):
    a = document_assistant.ask(question)
    assert a.found, a.text
    assert figure in a.short
    c = a.citations[0]
    assert c.source == source and c.page == page
    assert figure in c.quote
    where = f"出处：{source} · 第{page}页 · " if page else f"出处：{source} · "
    assert where in a.text
    # the quote is verbatim the extracted (cleaned) text of the cited passage
    assert c.quote in document_assistant.passage(c.passage_id).text


@pytest.mark.slow
def test_scan_build_reports_each_page_and_drops_running_headers(document_index, document_assistant):
    _, result, events = document_index
    assert not [s for s in result.skipped if not s[0].endswith(".txt")], result.skipped
    assert "识别（OCR） 安顺扫描.pdf 第 1/2 页" in events and "识别（OCR） 安顺扫描.pdf 第 2/2 页" in events
    assert "读取 遵义报告.pdf 第 2/2 页" in events
    text = "\n".join(p.text for p in document_assistant.data.passages if p.source in ("遵义报告.pdf", "安顺扫描.pdf"))
    assert "遵义市总工会文件" not in text and "安顺工运" not in text and "- 1 -" not in text
    meta = document_assistant.manifest["reports"]
    assert meta["安顺扫描.pdf"]["pages"] == 2 and meta["黔南州报告.docx"]["title"].startswith("黔南州总工会")


def test_docx_table_rows_keep_their_header(tmp_path):
    report = load_report(make_docx(tmp_path / "t.docx").read_bytes(), "t.docx")
    assert "职工书屋：2021年45个，2022年52个。" in report.text
    assert report.sections[0].title == "黔南州总工会2022年工作报告"
    assert report.pages is None


def test_table_sentences_units_from_label_or_column():
    assert table_sentences([["项目", "2021年", "2022年"], ["职工书屋（个）", "45", "52"]]) == \
        ["职工书屋：2021年45个，2022年52个。"]
    assert table_sentences([["年份", "会员（万人）", "建会率"], ["2022年", "19.6", "92%"]]) == \
        ["2022年：会员19.6万人，建会率92%。"]
    assert table_sentences([["只有一列"]]) == ["只有一列。"]


def test_text_pdf_pages_and_repeated_margins(tmp_path):
    report = load_report(make_text_pdf(tmp_path / "z.pdf").read_bytes(), "z.pdf")
    assert report.pages == 2
    assert "遵义市总工会文件" not in report.text and "- 2 -" not in report.text
    assert report.dropped.get("running_header") == 2 and report.dropped.get("page_number") == 2
    pages = {p.text: p.page for p in report.paragraphs}
    assert pages["全市建成职工服务站88个，服务职工3.2万人次。"] == 1
    assert pages["全年发放帮扶资金1260万元，帮扶困难职工2150户。"] == 2


def test_a_pdf_written_row_by_row_across_two_columns_is_read_column_by_column(tmp_path):
    """Scanners' OCR layers often write a newspaper page's text row by row across the columns:
    the left column's line, then the right column's line beside it."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    left = ["　　全市新建职工之家", "二十个，覆盖职工三万", "人。"]
    right = ["　　全年慰问困难职工", "一千二百户，发放资金", "三百万元。"]
    path = tmp_path / "rows.pdf"
    c = canvas.Canvas(str(path))
    c.setFont("STSong-Light", 12)
    for i in range(3):
        c.drawString(72, 700 - 18 * i, left[i])
        c.drawString(320, 700 - 18 * i, right[i])
    c.showPage()
    c.save()
    text = load_report(path.read_bytes(), "rows.pdf").text
    assert "全市新建职工之家二十个，覆盖职工三万人。" in text
    assert "全年慰问困难职工一千二百户，发放资金三百万元。" in text
    assert text.index("全市新建") < text.index("全年慰问")


# --------------------------------------------------------------------------- layout


def L(x0, y0, x1, text, h=20, score=1.0):
    return Line(x0, y0, x1, y0 + h, text, score)


def test_reading_order_headline_then_left_column_then_right():
    lines = [L(100, 10, 900, "大标题横跨两栏", h=30)]
    for i in range(4):   # two columns whose lines sit at the same heights
        lines.append(L(10, 60 + 30 * i, 480, f"左{i}"))
        lines.append(L(520, 60 + 30 * i, 990, f"右{i}"))
    order = [ln.text for region in reading_order(lines) for ln in region]
    assert order == ["大标题横跨两栏", "左0", "左1", "左2", "左3", "右0", "右1", "右2", "右3"]


def test_a_picture_in_one_column_does_not_cut_the_page_across():
    """Beside a picture (and its caption) in the left column, the right column's lines are
    alone at those heights: they stay in their column, read after the whole left column."""
    lines = [L(100, 10, 900, "大标题横跨两栏", h=30)]
    for i in range(12):
        y = 60 + 30 * i
        if i < 4 or i >= 9:
            lines.append(L(10, y, 480, f"左{i}"))
        elif i == 7:
            lines.append(L(100, y, 380, "图片说明"))
        lines.append(L(520, y, 990, f"右{i}"))
    order = [ln.text for region in reading_order(lines) for ln in region]
    assert order == ["大标题横跨两栏", "左0", "左1", "左2", "左3", "图片说明", "左9", "左10", "左11"] \
        + [f"右{i}" for i in range(12)]


def test_punctuation_hung_into_the_gutter_does_not_interleave_the_columns():
    """OCR boxes are padded, and a line's closing punctuation hangs past the column's edge:
    some left lines reach into the gutter, none crosses it."""
    lines = []
    for i in range(20):
        y = 100 + 40 * i
        reach = 1170 + 24 + 12 if i % 5 == 2 else 1170 + 12
        lines += [L(68, y, reach, f"左{i}", h=30), L(1218, y, 2332, f"右{i}", h=30)]
    order = [ln.text for region in reading_order(lines) for ln in region]
    assert order == [f"左{i}" for i in range(20)] + [f"右{i}" for i in range(20)]


def test_real_ocr_lines_of_a_two_column_page_read_in_order():
    """RapidOCR's lines (boxes, text, confidence) for the first page of 001_… rendered in two
    columns (bench/documents.py's page, 2400×3400): read in order, the page is the report's
    text. Before hung punctuation was allowed for, one line reaching into the gutter cut the
    page across and 10% of it was read out of place."""
    import json
    from bench.documents import levenshtein, report_blocks, reference_text, squeeze
    rows = json.loads((Path(__file__).parent / "data" / "ocr_lines_001_page1.json").read_text(encoding="utf-8"))
    text, _ = documents._page_text([Line(*row) for row in rows])
    got = squeeze(text)
    want = squeeze(reference_text(report_blocks("001_9aadff44d77565b3.txt")))[:len(got)]
    assert 1 - levenshtein(want, got) / len(want) > 0.99


def test_a_headline_between_two_articles_still_separates_them():
    lines = [L(100, 0, 900, "第一篇标题", h=30)]
    lines += [L(10, 50 + 30 * i, 480, f"甲左{i}") for i in range(3)] + [L(520, 50 + 30 * i, 990, f"甲右{i}") for i in range(3)]
    lines += [L(100, 160, 900, "第二篇标题", h=30)]
    lines += [L(10, 210 + 30 * i, 480, f"乙左{i}") for i in range(3)] + [L(520, 210 + 30 * i, 990, f"乙右{i}") for i in range(2)]
    order = [ln.text for region in reading_order(lines) for ln in region]
    assert order == ["第一篇标题", "甲左0", "甲左1", "甲左2", "甲右0", "甲右1", "甲右2",
                     "第二篇标题", "乙左0", "乙左1", "乙左2", "乙右0", "乙右1"]


def test_paragraphs_run_on_across_a_column_break():
    left = [L(50, 0, 480, "第一段开头缩进"), L(10, 30, 480, "第一段写到栏底没有句号")]
    right = [L(520, 0, 990, "接着写完第一段。"), L(560, 30, 700, "第二段另起。")]
    paras = [t for t, _, _ in paragraphs([left, right])]
    assert paras == ["第一段开头缩进第一段写到栏底没有句号接着写完第一段。", "第二段另起。"]


def test_running_headers_dropped_but_a_dated_one_kept_once():
    body = ["一是加强组织建设。", "二是维护职工权益。", "三是开展劳动竞赛。"]
    pages = [[L(10, 0, 400, "2013年9月23日 星期一")] + [L(10, 50 + 30 * j, 400, f"{b}{'甲乙丙'[i]}") for j, b in enumerate(body)]
             + [L(10, 200, 400, "中国工运"), L(200, 250, 220, str(i + 1))] for i in range(3)]
    kept, dropped = drop_repeated_margins(pages)
    texts = [[ln.text for ln in p] for p in kept]
    assert texts[0] == ["2013年9月23日 星期一"] + [f"{b}甲" for b in body]
    assert texts[1] == [f"{b}乙" for b in body] and dropped == {"page_number": 3, "running_header": 5}


# --------------------------------------------------------------------------- low confidence


@pytest.mark.slow
def test_low_confidence_lines_are_marked_in_the_answer(tmp_path, monkeypatch):
    from qa import Assistant, build_index
    monkeypatch.setattr(documents, "LOW_CONFIDENCE", 1.01)     # every line counts as doubtful
    folder = tmp_path / "reports"
    folder.mkdir()
    make_png(folder / "六盘水报告.png")
    build_index(folder, tmp_path / "index", full=True)
    a = Assistant.load(tmp_path / "index").ask("六盘水市新建了多少个户外劳动者服务站点？")
    assert a.found and "64" in a.short
    assert a.citations[0].doubtful
    assert a.text.endswith(Assistant.DOUBTFUL_NOTE)


def test_passage_is_doubtful_only_where_the_quote_overlaps():
    from qa.passages import chunk_report
    from qa.reports import parse_report
    raw = "某市总工会工作报告\n\n全市建成职工之家12个。全年慰问困难职工300户。\n"
    report = parse_report(raw, "x.png", paged=True, doubtful=["慰问困难职工300户"])
    (p,) = chunk_report(report)
    assert p.page == 1 and p.doubtful
    assert p.is_doubtful("全年慰问困难职工300户。") and not p.is_doubtful("全市建成职工之家12个。")


# --------------------------------------------------------------------------- bad files


@pytest.mark.parametrize("name, data, says", [
    ("x.pdf", b"%PDF-1.4\n1 0 obj garbage", "PDF 文件已损坏"),
    ("x.pdf", b"not a pdf at all", "PDF 文件已损坏"),
    ("x.docx", zip_of_other_things(), "不是 Word 文档"),
    ("x.docx", b"PK\x03\x04 broken zip", "不是有效的 Word 文档"),
    ("x.png", b"", "文件为空"),
    ("x.jpg", b"\xff\xd8\xff\xe0 broken", "图片"),
    ("x.png", blank_png(20000, 20000), "图片过大（20000×20000 像素"),
    ("x.doc", b"\xd0\xcf\x11\xe0 old word", "另存为” .docx"),
])
def test_bad_files_get_a_clear_message(name, data, says):
    with pytest.raises(ReportError) as err:
        load_report(data, name)
    assert says in str(err.value)
    with pytest.raises(ReportError):
        documents.check_document(data, name)


def test_encrypted_pdf_says_to_remove_the_password(tmp_path):
    data = encrypted_pdf(make_text_pdf(tmp_path / "z.pdf"))
    with pytest.raises(ReportError, match="PDF 已加密"):
        load_report(data, "z.pdf")
    with pytest.raises(ReportError, match="PDF 已加密"):      # the upload's quick check says it too
        documents.check_document(data, "z.pdf")


@pytest.mark.slow
def test_an_image_without_text_says_so():
    with pytest.raises(ReportError, match="没有识别出文字"):
        load_report(blank_png(800, 600), "blank.png")


def test_bad_files_are_skipped_and_nothing_indexed_is_lost(tmp_path, fake_embedder):
    from qa import Assistant, build_index
    folder = tmp_path / "reports"
    folder.mkdir()
    make_docx(folder / "good.docx")
    build_index(folder, tmp_path / "index", full=True, embedder=fake_embedder)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    (folder / "encrypted.pdf").write_bytes(encrypted_pdf(make_text_pdf(tmp_path / "z.pdf")))
    (folder / "other.docx").write_bytes(zip_of_other_things())
    (folder / "empty.png").write_bytes(b"")
    (folder / "huge.png").write_bytes(blank_png(20000, 20000))
    (folder / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    result = build_index(folder, tmp_path / "index", embedder=fake_embedder)
    skipped = dict(result.skipped)
    assert set(skipped) == {"broken.pdf", "encrypted.pdf", "other.docx", "empty.png", "huge.png", "old.doc"}
    assert "已加密" in skipped["encrypted.pdf"] and "图片过大" in skipped["huge.png"]
    assistant = Assistant.load(tmp_path / "index", embedder=fake_embedder)
    assert [r["file"] for r in assistant.reports()] == ["good.docx"]
    a = assistant.ask("2022年职工书屋有多少个？")
    assert a.found and "52" in a.short
    files, _ = list_reports(folder)
    assert {p.name for p in files} >= {"good.docx", "old.doc", "huge.png"}


def _without(monkeypatch, module: str) -> None:
    """Imports of ``module`` fail, as where it is not installed."""
    import builtins
    real_import = builtins.__import__

    def fake_import(name, *args, **kw):
        if name == module or name.startswith(module + "."):
            raise ImportError(f"No module named {module!r}")
        return real_import(name, *args, **kw)
    monkeypatch.setattr(builtins, "__import__", fake_import)


def test_missing_ocr_names_the_install_command(monkeypatch):
    monkeypatch.setattr(documents, "_engine", None)
    _without(monkeypatch, "rapidocr_onnxruntime")
    with pytest.raises(OcrUnavailable, match="pip install rapidocr-onnxruntime"):
        documents.ocr_engine()


@pytest.mark.parametrize("module, name, data, command", [
    ("pypdfium2", "x.pdf", b"%PDF-1.4", "pip install pypdfium2"),
    ("docx", "x.docx", zip_of_other_things(), "pip install python-docx"),
    ("PIL", "x.png", blank_png(40, 30), "pip install pillow"),
])
def test_a_missing_reader_names_the_install_command(monkeypatch, module, name, data, command):
    _without(monkeypatch, module)
    with pytest.raises(ReportError, match=re.escape(command)):
        load_report(data, name)
