"""Reading reports: encodings, OCR repair, articles (sections), places and dates.

The bundled reports are OCR'd newspaper pages. A page holds several articles, one per city,
union or company; paragraphs are broken mid-sentence by blank lines, some paragraphs are
printed twice, and page headers, photo captions and bylines sit between the paragraphs.
:func:`parse_report` turns such a page into a :class:`Report`: the cleaned, answerable text
(one paragraph a line), the articles found in it and, for every paragraph, the place or
organisation it is about.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from .errors import ReportError
from .lexicon import bare_years, find_places, gazetteer, normalize

TEXT_SUFFIXES = (".txt", ".md")
# Word, PDF and images are read by qa.documents; .doc/.wps are listed to say how to convert them.
REPORT_SUFFIXES = TEXT_SUFFIXES + (".docx", ".pdf", ".png", ".jpg", ".jpeg", ".doc", ".wps")
# A report is a few newspaper pages; past this size a file is refused with a message (split it).
MAX_REPORT_BYTES = 20 * 1024 * 1024

# --------------------------------------------------------------------------- reading


def decode_report(data: bytes, name: str = "report") -> str:
    """Decode the bytes of a report: UTF-8 (with or without BOM), UTF-16, GB18030/GBK.

    Raises:
        ReportError: empty, binary or in no encoding this reads.
    """
    if not data.strip():
        raise ReportError(name, "文件为空")
    if data.startswith(b"\xef\xbb\xbf"):
        return _checked(data[3:].decode("utf-8", errors="strict"), name)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return _checked(data.decode("utf-16"), name)
        except UnicodeDecodeError as exc:
            raise ReportError(name, f"UTF-16 解码失败（{exc.reason}）") from None
    sample = data[:8192]
    if b"\x00" in sample:
        # UTF-16 without BOM: the NULs of ASCII characters (newlines, digits) all sit on one side
        odd = sum(1 for i in range(1, len(sample), 2) if sample[i] == 0)
        even = sample.count(b"\x00") - odd
        for enc, ok in (("utf-16-le", odd and not even), ("utf-16-be", even and not odd)):
            if ok and len(data) % 2 == 0:
                try:
                    return _checked(data.decode(enc), name)
                except (UnicodeDecodeError, ReportError):
                    pass
        raise ReportError(name, "二进制文件，不是文本")
    for enc in ("utf-8", "gb18030"):
        try:
            return _checked(data.decode(enc), name)
        except UnicodeDecodeError:
            continue
    raise ReportError(name, "无法识别的编码：请存为 UTF-8 或 GB18030")


def _checked(text: str, name: str) -> str:
    """Reject decodings that are not plausible text (control characters, no letters)."""
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise ReportError(name, "文件为空")
    sample = text[:20000]
    bad = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\n\r\t\f") or 0xE000 <= ord(ch) <= 0xF8FF)
    if bad > max(3, len(sample) // 50):
        raise ReportError(name, "二进制文件，不是文本")
    if not re.search(r"[\w]", sample):
        raise ReportError(name, "没有可读的文字")
    return text


def read_report(path: str | Path) -> str:
    """Read one report file and return its text.

    Raises:
        ReportError: missing, too large, or not decodable as text.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ReportError(path.name, f"无法读取（{exc.strerror}）") from None
    if size > MAX_REPORT_BYTES:
        raise ReportError(path.name, f"文件过大（{size / 2**20:.0f} MB，上限 {MAX_REPORT_BYTES // 2**20} MB）："
                                     "请拆分成多份报告")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReportError(path.name, f"无法读取（{exc.strerror}）") from None
    return decode_report(data, path.name)


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of the cleaned text; ``start``/``end`` are offsets into ``Report.text``."""

    text: str
    start: int
    end: int
    section: int          # index into Report.sections
    place: str | None     # the city, province or organisation the paragraph is about
    heading: bool = False
    page: int | None = None   # the page it starts on (PDFs and images)


@dataclass(frozen=True)
class Section:
    """An article of a report: its title and the place or organisation it is about."""

    title: str
    place: str | None
    org: str | None


@dataclass
class Report:
    """A cleaned report. ``text`` is the answerable text, one paragraph a line."""

    source: str
    title: str
    date: str | None               # "2013-09-23", or a year "2008" when only that is implied
    text: str
    sections: list[Section]
    paragraphs: list[Paragraph]
    dropped: dict[str, int] = field(default_factory=dict)   # what cleaning removed, by kind
    pages: int | None = None       # pages of a PDF or an image; None for text and Word files
    # (start, end) spans of ``text`` that OCR recognised with low confidence
    doubtful: list[tuple[int, int]] = field(default_factory=list)

    @property
    def year(self) -> int | None:
        return int(self.date[:4]) if self.date else None


# --------------------------------------------------------------------------- block kinds

_PAGE_HEADER = re.compile(
    r"^\s*(?:第?\d{1,3}版?\s*)?(\d{4})年(\d{1,2})月(\d{1,2})日\s*(?:星期|周)[一二三四五六日天]\s*(?:第?\d{1,3}版?)?\s*$")
_BYLINE = re.compile(
    r"^\s*(?:\d{1,3}\s+)?(?:□|■|◎|●)?\s*(?:本报|本版|本刊|记者|通讯员|特约|作者\s*[:：]|文\s*/\s*图|图\s*/\s*文|"
    r"摄影\s*[:：]|责任编辑|编辑\s*[:：])")
_PERSON_BYLINE = re.compile(
    r"^[\u4e00-\u9fff、，]{2,40}(?:主席|书记|主任|记者|局长|市长|经理|董事长|会长|部长|厂长)\s+[\u4e00-\u9fff]{2,4}$")
_CAPTION_WORDS = re.compile(
    r"(?:合影|留影|仪式|典礼|揭牌|开幕式|闭幕式|剪彩|现场|活动|报告会|座谈会|颁奖|参观|调研|慰问|送清凉|比赛|演出|"
    r"中心|一角|风采|掠影|剪影)[。]?$|[（(](?:左|右|中|前排|后排)[一二三四五六七八九\d]?[）)]")
_SENTENCE_END = "。！？!?；;…"
_CLOSERS = "”’」』）)》"
_ORG = re.compile(
    r"(?:[\u4e00-\u9fff]{2,12}?(?:壮族自治区|回族自治区|维吾尔自治区|自治区|省|市|县|区)?"
    r"(?:总工会|工会|市委|人民政府))"
    r"|(?:[\u4e00-\u9fffA-Za-z]{2,20}?(?:股份有限公司|有限责任公司|有限公司|集团公司|集团|公司)(?:工会)?)")


def _is_byline(text: str) -> bool:
    """A block that only names who wrote or edited the article (本报记者　杨帆, 责任编辑：…). A
    news lead that opens with its dateline (本报讯（记者 孙悦）4月14日…) or with 记者从…获悉 is
    the article's first paragraph, not a byline: it is kept whole (the dateline names the
    reporter a user may ask for)."""
    if _PERSON_BYLINE.match(text):
        return True
    if not _BYLINE.match(text):
        return False
    rest = _cut_dateline(text)
    return len(rest) <= 40 and not re.search(r"[。！？；]|[，,].*[，,]", rest)


# a news lead's dateline: 本报讯, 本报讯（记者 孙悦）, 本报杭州3月12日电（记者 何晓东 通讯员 李婷）
_DATELINE = re.compile(r"^\s*(?:本报|本刊)[\u4e00-\u9fff\d]{0,12}?[讯电]\s*(?:[（(][^（()）]{0,40}[）)])?\s*")


def _cut_dateline(text: str) -> str:
    """``text`` without the dateline it opens with, if any (what is left of a byline block)."""
    return _DATELINE.sub("", text, count=1).strip()


def _listing(lines: list[str]) -> bool:
    """Whether short lines are a list that holds facts (额定功率：1250W, - 国内通话：200分钟,
    1984年　保定市“操作能手”, 5楼 … 2025-05-13 09:02), not a caption or an advert: items
    (key：value, bullets, numbers) or several figures."""
    items = sum(1 for ln in lines if re.search(r"[：:]\s*\S", ln) or re.match(r"\s*(?:[-·•*]|\d{1,2}\s*[.、）)])", ln))
    return items >= 2 or len(re.findall(r"\d", "".join(lines))) >= 4


# a line set out in columns (城东分公司  1.12亿立方米  同比增长4.1%): two spaces, a tab or an
# ideographic space between its cells
_CELLS = re.compile(r"\S(?:[ \t]{2,}|\t|\u3000)\S")


def _join_lines(lines: list[str], listing: bool = False) -> str:
    """The lines of a block as one paragraph: glued where OCR broke a sentence, but the items of
    a list (``listing``) and the rows of a table set out in columns stay apart (；), or they run
    into each other (4.1%城西分公司); a line that ends in punctuation needs no ；."""
    out = lines[0].rstrip()
    for prev, line in zip(lines, lines[1:]):
        apart = listing or (_CELLS.search(prev) and _CELLS.search(line))
        out += ("；" if apart and not prev.rstrip().endswith(tuple("：:；;，,。")) else "") + line.rstrip()
    return out


def _ends_sentence(text: str) -> bool:
    t = text.rstrip(_CLOSERS + " ")
    return bool(t) and t[-1] in _SENTENCE_END


def _is_heading_like(text: str) -> bool:
    """Short, without sentence punctuation inside: a title or a sub-heading."""
    if len(text) > 45 or len(text) < 2:
        return False
    if re.match(r"^\d{4}年[^，,]{0,8}[，,]", text):
        return False   # "2010年底，内江市总工会…" opens a paragraph, not a heading
    from .figures import find_figures
    if any(f.kind in ("count", "money", "percent", "measure") and f.unit not in ("", "周年")
           and re.search(r"\d", f.text) for f in find_figures(text)):
        return False   # "全市基层工会组织1200家" without its full stop is still a statement
    if any(p in text for p in "。！？；;!?"):
        return False
    return not text.endswith(("，", "、", ",", "：", ":"))


def _entity(text: str) -> tuple[str | None, str | None]:
    """The (place, organisation) a title names, if any: 柳州市总工会 → (柳州, 柳州市总工会)."""
    norm = normalize(text)
    for m in _ORG.finditer(norm):
        org = m.group(0)
        places = find_places(org)
        if places:
            # The most specific place: a city wins over its province (四川泸州市 → 泸州).
            cities = [p.name for p in places if p.name in gazetteer().cities]
            return (cities[-1] if cities else places[-1].name), org
        # a county or a place the gazetteer lacks: 醴陵市总工会, 鹿寨县总工会
        local = re.match(r"(?:[\u4e00-\u9fff]{2,3}省)?([\u4e00-\u9fff]{2,4}?)(?:市|县|区|旗)(?:总工会|工会)$", org)
        if local and norm.find(org) <= 3:
            return local.group(1), org
    return None, None


# --------------------------------------------------------------------------- parsing


# A line or sentence shorter than this may repeat in a report on its own right ("一是加强…"
# aside, short set phrases); from this length on, a second copy is a copy, and is dropped.
MIN_REPEAT_CHARS = 6
# A "sentence" longer than this has no full stop for pages (a run-on): its clauses are
# de-duplicated too. Written sentences of the reports stay well below it.
RUNON_CHARS = 800


@dataclass
class _Block:
    text: str
    gap_before: int
    gap_after: int = 0
    kind: str = "body"        # body | heading | header | byline | caption | duplicate
    markdown: bool = False
    repeated_lines: int = 0   # copies of a line of this block dropped from it
    page: int | None = None


def _blocks(raw: str, paged: bool = False) -> list[_Block]:
    """The blocks (paragraphs) of a raw text. With ``paged``, a line holding a form feed starts
    a new page (qa.documents writes "\\n\\f\\n" between pages, a paragraph break like any
    other) and each block knows its page."""
    raw = raw.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    raw = re.sub(r"</?(?:sub|sup|b|i|u|br|span|font|strong|em)\b[^>]*>", "", raw, flags=re.I)
    blocks: list[_Block] = []
    gap = 0
    page = 1 if paged else None
    current: list[str] = []
    for line in raw.split("\n"):
        if line.strip():
            current.append(line)
            continue
        if current:
            blocks.append(_Block("\n".join(current), gap, page=page))
            current = []
            gap = 0
        if paged and "\f" in line:
            page += 1
        gap += 1
    if current:
        blocks.append(_Block("\n".join(current), gap, page=page))
        gap = 0
    if blocks:
        blocks[0].gap_before = 0  # blank lines at the top of a file say nothing of the first block
    for i, b in enumerate(blocks):
        b.gap_after = blocks[i + 1].gap_before if i + 1 < len(blocks) else 3
    return blocks


def _classify(blocks: list[_Block]) -> str | None:
    """Set each block's kind; return the date of the page header, if any."""
    date = None
    seen: set[str] = set()
    for b in blocks:
        lines = [ln.strip() for ln in b.text.split("\n") if ln.strip()]
        if len(lines) > 1:
            lines = _unique_lines(lines)
            b.repeated_lines = b.text.count("\n") + 1 - len(lines) - sum(
                1 for ln in b.text.split("\n") if not ln.strip())
        short_lines = len(lines) >= 2 and all(len(ln) <= 30 for ln in lines) and "。" not in b.text
        listing = short_lines and _listing(lines)
        # the items of a list stay apart (额定电压：220V；额定功率：1250W), not glued like the
        # lines of a paragraph OCR broke
        flat = _join_lines(lines, listing)
        m = re.match(r"^(#{1,6})\s*(.*)$", flat)
        if m:
            b.markdown, flat = True, m.group(2).strip()
        b.text = re.sub(r"[ \t]+", " ", flat).strip()
        key = re.sub(r"\s+", "", b.text)
        header = _PAGE_HEADER.match(b.text)
        if header:
            b.kind = "header"
            y, mo, d = (int(x) for x in header.groups())
            date = date or f"{y:04d}-{mo:02d}-{d:02d}"
        elif _is_byline(b.text):
            b.kind = "byline"
        elif short_lines and not listing:
            b.kind = "caption"          # a caption or an advert set in short lines
        elif key in seen and len(key) >= 6:
            b.kind = "duplicate"
        elif b.markdown:
            b.kind = "heading"
        elif _is_heading_like(b.text) or (b.text.endswith(("，", ",")) and len(b.text) <= 30
                                          and not re.search(r"\d", b.text)):
            # Photo captions sit after a wide gap (the picture's place); titles do not.
            wide_before, wide_after = b.gap_before >= 2, b.gap_after >= 2
            looks_caption = bool(_CAPTION_WORDS.search(b.text))
            if wide_before or (wide_after and looks_caption and not _entity_title(b.text)):
                b.kind = "caption"
            else:
                b.kind = "heading"
        elif (b.gap_before >= 2 and len(b.text) <= 60 and _CAPTION_WORDS.search(b.text)
              and "。" not in b.text.rstrip("。")):
            b.kind = "caption"
        if b.kind in ("body", "heading"):
            seen.add(key)
    for prev, b in zip(blocks, blocks[1:]):
        # a news headline, figures and all (恒远新材2024年营收86.47亿元), right above the lead
        # that opens with its dateline (本报讯（记者 …）): the article's title
        if prev.kind == "body" and b.kind == "body" and _DATELINE.match(b.text) and len(prev.text) <= 45 \
                and not _ends_sentence(prev.text):
            prev.kind = "heading"
    return date


def _unique_lines(lines: list[str]) -> list[str]:
    """The lines of a block without second copies (one sentence on 330,000 lines is one line)."""
    seen: set[str] = set()
    out = []
    for ln in lines:
        key = re.sub(r"\s+", "", ln)
        if len(key) >= MIN_REPEAT_CHARS:
            if key in seen:
                continue
            seen.add(key)
        out.append(ln)
    return out


def _unique_clauses(text: str) -> tuple[str, int]:
    """A run-on "sentence" (no full stop for hundreds of characters) without second copies of
    its clauses; and how many were dropped."""
    seen: set[str] = set()
    out, dropped = [], 0
    for clause in re.findall(r"[^，,；;、]+[，,；;、]*|[，,；;、]+", text):
        key = re.sub(r"\s+", "", clause.rstrip("，,；;、"))
        if len(key) >= MIN_REPEAT_CHARS:
            if key in seen:
                dropped += 1
                continue
            seen.add(key)
        out.append(clause)
    return "".join(out), dropped


def _drop_repeated_sentences(blocks: list[_Block]) -> int:
    """Drop second copies of sentences from the body paragraphs under one heading, as repeated
    paragraphs are dropped (a sentence pasted over and over must not fill the index); returns
    how many. Another article (after a heading) may say the same sentence again."""
    from .passages import split_sentences
    seen: set[str] = set()
    dropped = 0
    kept: list[_Block] = []
    for b in blocks:
        if b.kind != "body":
            seen = set()
            kept.append(b)
            continue
        parts, repeats = [], 0
        for s, e in split_sentences(b.text, full=True):
            sentence = b.text[s:e]
            if len(sentence) > RUNON_CHARS:
                sentence, n = _unique_clauses(sentence)
                repeats += n
            key = re.sub(r"\s+", "", sentence)
            if len(key) >= MIN_REPEAT_CHARS:
                if key in seen:
                    repeats += 1
                    continue
                seen.add(key)
            parts.append(sentence)
        if repeats:
            dropped += repeats
            if not parts:
                continue
            b.text = "".join(parts)
        kept.append(b)
    blocks[:] = kept
    return dropped


def _entity_title(text: str) -> bool:
    return _entity(text)[1] is not None


def _straddles_word(a: str, b: str) -> bool:
    """Whether a word runs across the break between ``a`` and ``b`` (…工作平 / 台。…)."""
    from .lexicon import tokenizer
    if not (a and b and "\u4e00" <= a[-1] <= "\u9fff" and "\u4e00" <= b[0] <= "\u9fff"):
        return False
    left, right = a[-6:], b[:6]
    pos = 0
    for w in tokenizer().cut(left + right, HMM=False):
        end = pos + len(w)
        if pos < len(left) < end and tokenizer().FREQ.get(w, 0) >= 100:
            return True
        pos = end
    return False


def _repair(blocks: list[_Block]) -> list[_Block]:
    """Join paragraphs broken mid-sentence ("打造维权工作平" / "台。…"), skipping what was dropped.

    A body paragraph that does not end a sentence runs on into the next body paragraph; a short
    line that looked like a heading runs on when a word straddles the break (平 / 台, 相 / 继),
    and a heading ending in a comma runs on into the next heading.
    """
    kept = [b for b in blocks if b.kind in ("body", "heading")]
    out: list[_Block] = []
    for b in kept:
        if out:
            prev = out[-1]
            body_break = (prev.kind == "body" and b.kind == "body" and not _ends_sentence(prev.text)
                          and not _DATELINE.match(b.text))      # a dateline opens an article
            word_break = (prev.kind == "heading" and b.kind == "body" and not prev.markdown
                          and not _entity_title(prev.text) and _straddles_word(prev.text, b.text))
            heading_break = (prev.kind == "heading" and b.kind == "heading" and not prev.markdown
                             and prev.text.endswith(("，", ",")))
            if body_break or heading_break or word_break:
                prev.text = prev.text + b.text
                if word_break:
                    prev.kind = "body"
                continue
        out.append(_Block(b.text, b.gap_before, b.gap_after, b.kind, b.markdown, page=b.page))
    return out


def _report_date(text: str, header_date: str | None) -> str | None:
    """The page header's date, else the latest year the text gives (plan ranges excluded)."""
    if header_date:
        return header_date
    text = normalize(text)
    # "2018—2020年" plans and "(2011-2015)" ranges look ahead: only their first year counts.
    text = re.sub(r"((?:19|20)\d{2})\s*[-—–~]\s*(?:19|20)\d{2}", r"\1", text)
    years = [int(y) for y in re.findall(r"(?<!\d)((?:19|20)\d{2})(?=年|\s*[-—~至到])", text)]
    years += bare_years(text)                     # 2024厦门马拉松鸣枪开跑
    return str(max(years)) if years else None


_SUBJECT = r"(?:市总工会|总工会|工会|市委|市政府|市)"


# a county or district no gazetteer knows, opening a title: 安吉县2023年政府工作报告, 宾川县…工作总结
_TITLED_PLACE = re.compile(r"^\s*([\u4e00-\u9fff]{2,3}?)(?:县|区|旗|自治县)(?=\s*(?:(?:19|20)\d{2}|人民|政府|总工会|工会|"
                           r"委员会|统计|国民经济|[上下]半年|全年|年度))")


def _titled_place(title: str) -> str | None:
    m = _TITLED_PLACE.match(normalize(title))
    return m.group(1) if m else None


_LEADING_TIME = re.compile(r"\s*(?:(?:19|20)\d{2}\s*年(?:\d{1,2}\s*月(?:份|底|末|初)?)?(?:以来|来|初|底|末|上半年|下半年|前三季度)?|"
                           r"今年(?:以来)?|去年|近年来|近几年|多年来|上半年|下半年|年初以来|一年来|[一二三四五六七八九十]+年来|\d+年来)\s*")


def _subject_place(text: str) -> str | None:
    """A city named as the subject near the start of a paragraph (绵阳工会…, 四川绵阳市总工会…)."""
    head = normalize(text[:40])
    first = re.split(r"[，,：:；;。]", head, maxsplit=1)[0]
    for p in find_places(head):
        if p.name not in gazetteer().cities:
            continue
        if p.start >= len(first) and not _LEADING_TIME.fullmatch(first):
            continue            # 分城市看，哈尔滨市…: one city of a list, not the paragraph's subject
        rest = head[p.end:]
        if p.suffixed and head[p.end - 1] == "市" or re.match(_SUBJECT, rest):
            return p.name
    return None


def _title_spans(group: list[_Block]) -> list[tuple[int, int]]:
    """Where in a run of headings the article titles are, as (first, last + 1) index pairs.

    A title is a heading that names an organisation (柳州市总工会 …, 国投钦州发电有限公司 …),
    with the "——四川泸州市总工会5年工作纪实" line under it or the heading it subtitles, or a
    markdown heading followed by a line naming a place (## 确立桥港时代思维… / 为南通实现…).
    """
    spans: list[tuple[int, int]] = []
    for i, g in enumerate(group):
        if not _entity_title(g.text):
            continue
        if g.text.startswith("——"):
            if i > 0 and (not spans or spans[-1][1] <= i - 1):
                spans.append((i - 1, i + 1))
            continue
        a = i
        if i > 0 and g.markdown and group[i - 1].markdown and not _entity_title(group[i - 1].text) \
                and (not spans or spans[-1][1] <= i - 1):
            a = i - 1
        b = i + 1
        while b < len(group) and group[b].text.startswith("——"):
            b += 1
        spans.append((a, b))
    if not spans and len(group) >= 2 and group[0].markdown:
        for i, g in enumerate(group[1:], start=1):
            if find_places(normalize(g.text)):
                spans.append((0, i + 1))
                break
    return spans


def parse_report(raw: str, source: str, *, paged: bool = False, doubtful: Sequence[str] = ()) -> Report:
    """Clean a report and find its articles, places and date.

    Args:
        raw: the decoded text of the file.
        source: the file name, used as the citation id.
        paged: ``raw`` holds pages separated by form feeds (a PDF or an image): every
            paragraph records the page it starts on.
        doubtful: lines OCR recognised with low confidence; where they are in the cleaned
            text is kept in ``Report.doubtful``.
    """
    blocks = _blocks(raw, paged)
    header_date = _classify(blocks)
    dropped: dict[str, int] = {}
    for b in blocks:
        if b.kind not in ("body", "heading"):
            dropped[b.kind] = dropped.get(b.kind, 0) + 1
    lines = sum(b.repeated_lines for b in blocks if b.kind in ("body", "heading"))
    if lines:
        dropped["repeated_line"] = lines
    blocks = _repair(blocks)
    sentences = _drop_repeated_sentences(blocks)
    if sentences:
        dropped["repeated_sentence"] = sentences

    sections: list[Section] = []
    paragraphs: list[Paragraph] = []
    parts: list[str] = []
    place: str | None = None

    def start_section(title_blocks: list[_Block]) -> None:
        nonlocal place
        title = " ".join(t.text for t in title_blocks)
        found = [_entity(t.text) for t in title_blocks]
        orgs = [(p, o) for p, o in found if o]
        if orgs:
            sec_place, org = orgs[-1]
        else:
            names = [p.name for t in title_blocks for p in find_places(normalize(t.text))]
            names += [n for n in (_titled_place(t.text) for t in title_blocks) if n]
            sec_place, org = (names[0] if names else None), None
        sections.append(Section(title=title, place=sec_place, org=org))
        place = sec_place

    offset = 0

    def add(text: str, heading: bool, page: int | None) -> None:
        nonlocal offset
        parts.append(text)
        paragraphs.append(Paragraph(text, offset, offset + len(text), len(sections) - 1, place, heading, page))
        offset += len(text) + 1

    i = 0
    while i < len(blocks):
        if blocks[i].kind == "heading":
            j = i
            while j < len(blocks) and blocks[j].kind == "heading":
                j += 1
            group = blocks[i:j]
            spans = _title_spans(group)
            if not spans and not sections:
                spans = [(0, 1)]
            pos = 0
            for a, b in spans:
                for g in group[pos:a]:
                    if not sections:
                        start_section([g])   # a banner above the first article
                    add(g.text, True, g.page)
                start_section(group[a:b])
                for g in group[a:b]:
                    add(g.text, True, g.page)
                pos = b
            for g in group[pos:]:
                add(g.text, True, g.page)
            i = j
            continue
        if not sections:
            start_section([])
        text = blocks[i].text
        # An article whose title was lost (cut off with the page) still names its city
        # early in its paragraphs: "2012年，绵阳工会通过…".
        place = _subject_place(text) or place
        add(text, False, blocks[i].page)
        i += 1

    text = "\n".join(parts)
    title = next((s.title for s in sections if s.org or s.place), sections[0].title if sections else "")
    return Report(source=source, title=title or source, date=_report_date(text, header_date),
                  text=text, sections=sections, paragraphs=paragraphs, dropped=dropped,
                  pages=(blocks[-1].page if blocks else 1) if paged else None,
                  doubtful=_find_lines(text, doubtful))


def _find_lines(text: str, lines: Sequence[str]) -> list[tuple[int, int]]:
    """Where the ``lines`` (as cleaning writes them) are in ``text``: sorted (start, end) spans."""
    spans = set()
    for line in lines:
        line = re.sub(r"[ \t]+", " ", line).strip().lstrip("#").strip()
        if len(line) < 2:
            continue
        start = text.find(line)
        while start != -1:
            spans.add((start, start + len(line)))
            start = text.find(line, start + 1)
    return sorted(spans)


def load_report(data: bytes, name: str, on_page=None) -> Report:
    """Read and clean a report file of any kind this reads (text, Word, PDF, image).

    Args:
        data: the file's bytes.
        name: its name (the citation id; its suffix chooses the reader).
        on_page: for PDFs and images, called with (page, pages, "text" | "ocr") per page.

    Raises:
        ReportError, OcrUnavailable: the file cannot be read; the message says why and what to do.
    """
    from .documents import LEGACY_SUFFIXES, is_document, read_document
    lower = name.lower()
    if is_document(lower) or lower.endswith(tuple(LEGACY_SUFFIXES)):
        doc = read_document(data, name, on_page)
        paged = lower.endswith((".pdf", ".png", ".jpg", ".jpeg"))
        report = parse_report(doc.text, name, paged=paged, doubtful=doc.doubtful)
        for kind, n in doc.dropped.items():
            report.dropped[kind] = report.dropped.get(kind, 0) + n
        return report
    return parse_report(decode_report(data, name), name)


# The user's reports library: where `qa build` and the app read reports and where uploads go.
# It starts as a copy of the bundled samples (seeds/), which are never written to.
LIBRARY = "reports"
BUNDLED = Path(__file__).resolve().parent.parent / "seeds"


def ensure_library(folder: str | Path, samples: str | Path | None = None) -> bool:
    """Make the reports library ``folder`` as a copy of the bundled sample reports when it does
    not exist yet; returns whether it was made. An existing folder is never touched.

    Args:
        samples: the sample reports (default: ``seeds/`` beside ``folder``, else the
            project's bundled ``seeds/``). Without any, nothing is made (a build then says
            the reports folder is missing).
    """
    import os
    import shutil
    folder = Path(folder)
    if folder.exists() or folder.is_symlink():
        return False
    if samples is None:
        beside = folder.parent / "seeds"
        samples = beside if beside.is_dir() else BUNDLED
    samples = Path(samples)
    if not samples.is_dir():
        return False
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.parent / f".{folder.name}.new-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        for path in sorted(samples.rglob("*")):
            rel = path.relative_to(samples)
            if path.is_symlink() or not path.is_file() or path.suffix.lower() not in REPORT_SUFFIXES \
                    or any(part.startswith(".") for part in rel.parts):
                continue
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, tmp / rel)      # contents only: the copy is the user's, writable
        tmp.mkdir(exist_ok=True)
        os.rename(tmp, folder)                    # whole or not at all
    except FileExistsError:
        shutil.rmtree(tmp, ignore_errors=True)    # made meanwhile by another process
        return False
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return True


def list_reports(folder: str | Path) -> tuple[list[Path], list[tuple[str, str]]]:
    """The report files in ``folder`` (sorted), and (name, reason) for the files passed over.

    ``.txt`` and ``.md`` files are reports; hidden files are ignored; a symlink is followed
    only when it points inside the folder.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ReportError(str(folder), "报告目录不存在")
    root = folder.resolve()
    files: list[Path] = []
    skipped: list[tuple[str, str]] = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.suffix.lower() not in REPORT_SUFFIXES:
            continue
        if root not in path.resolve().parents:
            skipped.append((rel.as_posix(), "符号链接指向报告目录之外，未读取"))
            continue
        if not path.is_file():
            continue
        files.append(path)
    return files, skipped
