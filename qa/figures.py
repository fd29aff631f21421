"""Figures in Chinese text: numerals, units, 万/亿, %, 约/近/多/余, ranges, dates; the figure table.

:func:`find_figures` returns every figure of a text with its verbatim span, so that an answer
can quote "近150万人" exactly as the report prints it while comparing values (1,500,000 人).
:func:`figure_table` turns passages into rows of the figure table stored with the index: the
place, metric, value, unit, time and qualifier of each figure, with its passage and sentence.
"""

from __future__ import annotations

import functools
import re
from dataclasses import asdict, dataclass

from .lexicon import find_places, fold_width, gazetteer, normalize

# --------------------------------------------------------------------------- numerals

_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
             "七": 7, "八": 8, "九": 9}
_CN_SMALL = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 10_000, "亿": 100_000_000}
CN_NUM = "零〇一二两三四五六七八九十百千万亿"


def parse_chinese_number(text: str) -> float | None:
    """Value of a Chinese numeral: 三 → 3, 十五 → 15, 一百零八 → 108, 两万 → 20000, 百万 → 1e6.

    Returns None when ``text`` is not a well-formed numeral.
    """
    if not text or any(ch not in CN_NUM for ch in text):
        return None
    if all(ch in _CN_DIGIT for ch in text) and len(text) > 1:
        # digit by digit, as in 二〇〇八
        return float(int("".join(str(_CN_DIGIT[ch]) for ch in text)))
    total, section, digit, last = 0, 0, None, 1
    for ch in text:
        if ch in _CN_DIGIT:
            if digit is not None and _CN_DIGIT[ch] != 0 and digit != 0:
                return None            # two digits in a row (三四) is not a numeral
            digit = _CN_DIGIT[ch]
        elif ch in _CN_SMALL:
            section += (1 if digit is None else digit) * _CN_SMALL[ch]
            digit, last = None, _CN_SMALL[ch]
        else:  # 万 / 亿
            unit = _CN_BIG[ch]
            section += digit or 0
            if section == 0:
                section = 1
            if unit == 100_000_000:
                total = (total + section) * unit
            else:
                total += section * unit
            section, digit, last = 0, None, unit
    if digit and len(text) > 1 and text[-2] not in "零〇" and last >= 100:
        # spoken short forms: 一千五 is 1500, 四百二 is 420, 一万一千五 is 11500, 三万二 is 32000
        digit *= last // 10
    return float(total + section + (digit or 0))


def parse_arabic(text: str) -> float | None:
    t = _THOUSANDS_GAP.sub("", fold_width(text).replace(",", "").replace("，", ""))
    try:
        return float(t)
    except ValueError:
        return None


_THOUSANDS_GAP = re.compile(r"(?<=\d)[ \u2009\u202f](?=\d{3})")


def parse_number(text: str) -> float | None:
    """Value of a numeral string with an optional 万/亿 tail: "1.5万" → 15000, "三千" → 3000."""
    t = _THOUSANDS_GAP.sub("", fold_width(text).strip())
    if not t:
        return None
    m = re.fullmatch(r"(\d+(?:,\d{3})*(?:\.\d+)?)(万亿|千万|百万|万|亿|千|百)?", t)
    if m:
        base = parse_arabic(m.group(1))
        return None if base is None else base * _MULTIPLIER[m.group(2)]
    rough = _ROUGH.fullmatch(t)
    if rough:
        # 两三百, 十几, 几十, 数百, 上千: a rough number, taken at its lower end
        digit = rough.group(1) or ("一" if not rough.group(3) else rough.group(3))
        return float(_CN_DIGIT.get(digit, 1) * _CN_SMALL.get(rough.group(2) or rough.group(4) or "十",
                                                           _CN_BIG.get(rough.group(2) or rough.group(4), 10)))
    return parse_chinese_number(t)


_MULTIPLIER = {"万亿": 1e12, "千万": 1e7, "百万": 1e6, "万": 1e4, "亿": 1e8, "千": 1e3, "百": 1e2, None: 1}
ROUGH_CN = r"[一二两三四五六七八九][二三四五六七八九][十百千万]|十几|几[十百千万]|[上数][十百千万]"
_ROUGH = re.compile(r"([一二两三四五六七八九])[二三四五六七八九]([十百千万])|十几|几([十百千万])|[上数]([十百千万])")


# --------------------------------------------------------------------------- units

# canonical unit -> the ways it is written; longer spellings first within the regex
UNITS = {
    "人次": ["人次", "人(次)", "人（次）"], "人": ["人", "名", "位"], "户": ["户"], "个": ["个"],
    "家": ["家"], "项": ["项"], "份": ["份"], "条": ["条"], "件": ["件"], "次": ["次"], "场次": ["场次"],
    "场": ["场"], "期": ["期"], "册": ["册"], "本": ["本"], "台": ["台"], "所": ["所"], "座": ["座"],
    "支": ["支"], "届": ["届"], "批": ["批"], "对": ["对"], "起": ["起"], "处": ["处"], "种": ["种"],
    "类": ["类"], "股": ["股"], "篇": ["篇"], "部": ["部"], "张": ["张"], "辆": ["辆"], "艘": ["艘"], "只": ["只"], "头": ["头"], "棵": ["棵", "株"], "例": ["例"],
    "笔": ["笔"], "单": ["单"], "票": ["票"], "道": ["道"], "分": ["分"], "标准箱": ["万标准箱", "标准箱", "TEU"],
    "架次": ["架次"], "辆次": ["辆次"], "班次": ["班次"], "车次": ["车次"], "航次": ["航次"],
    "架": ["架"], "枚": ["枚"], "栋": ["栋"], "层": ["层"], "套": ["套"], "间": ["间"], "床": ["床"],
    "首": ["首"], "集": ["集"], "卷": ["卷"], "席": ["席"], "班": ["班"], "轮": ["轮"], "片": ["片"],
    "代": ["代"], "门": ["门"], "号": ["号"], "级": ["级"], "倍": ["倍"], "岁": ["周岁", "岁"], "周年": ["周年"],
    "月龄": ["月龄"],
    "元": ["元", "块钱", "块"], "美元": ["美元"], "欧元": ["欧元"], "日元": ["日元", "日圆"], "港元": ["港元", "港币"],
    "英镑": ["英镑"], "澳元": ["澳元"], "加元": ["加元"], "韩元": ["韩元"], "卢布": ["卢布"], "新台币": ["新台币"],
    "页": ["页"], "千瓦时": ["千瓦时"], "千瓦": ["千瓦"], "兆瓦": ["兆瓦", "MW"],
    "平方公里": ["平方公里", "平方千米", "km²", "km2"], "平方米": ["平方米", "平米", "㎡", "m²"], "公顷": ["公顷"],
    "亩": ["亩"], "公里": ["公里", "千米", "km", "KM", "Km"], "米": ["米", "公尺", "m"],
    "厘米": ["厘米", "公分", "cm", "CM"], "毫米": ["毫米", "公厘", "mm", "MM"], "英尺": ["英尺", "呎"], "英里": ["英里"], "吨": ["吨"], "公斤": ["公斤", "千克", "kg", "KG", "Kg"], "斤": ["斤"],
    "立方米": ["立方米", "立方", "m³"], "升": ["升"], "毫升": ["毫升", "ml", "mL"],
    "克": ["克", "g"], "小时": ["小时", "个小时", "个多小时", "个半小时", "个钟头", "钟头"], "分钟": ["分钟"], "秒": ["秒"], "天": ["天"], "周": ["周"],
    "个月": ["个月"], "工作日": ["个工作日", "工作日"], "光年": ["光年"], "年": ["年"], "世纪": ["世纪"], "度": ["摄氏度", "度", "°C", "℃"], "百分点": ["个百分点", "百分点"],
    "%": ["%", "％"], "GB": ["GB"], "MB": ["MB"], "KB": ["KB"], "瓦": ["瓦", "W"], "千卡": ["千卡", "大卡"], "分贝": ["分贝", "dB"],
    "字": ["字"], "桌": ["桌"], "尾": ["尾"], "节": ["节"], "公里/小时": ["公里/小时", "km/h"],
}
_UNIT_OF = {spelling: canon for canon, spellings in UNITS.items() for spelling in spellings}
_UNIT_RE = "|".join(sorted((re.escape(s) for s in _UNIT_OF), key=len, reverse=True))

# What kind of quantity a unit measures; a question that implies one kind wants it.
UNIT_CLASS = {
    "人": "people", "人次": "people", "户": "household",
    "元": "money", "美元": "money", "欧元": "money", "日元": "money", "港元": "money", "英镑": "money", "澳元": "money",
    "加元": "money", "韩元": "money", "卢布": "money", "新台币": "money",
    "%": "percent", "百分点": "percent",
    "米": "length", "公里": "length", "厘米": "length", "毫米": "length", "英尺": "length", "英里": "length",
    "平方公里": "area", "平方米": "area", "公顷": "area", "亩": "area",
    "吨": "weight", "公斤": "weight", "克": "weight", "斤": "weight",
    "立方米": "volume", "升": "volume", "毫升": "volume",
    "小时": "time", "分钟": "time", "秒": "time", "天": "time", "工作日": "time", "光年": "length", "周": "time", "个月": "time", "年": "time",
    "千瓦时": "energy", "千瓦": "power", "兆瓦": "power", "瓦": "power", "千卡": "energy", "节": "speed", "公里/小时": "speed",
}

_PREFIX_Q = r"约|近|逾|超过|将近|接近|大约|不到|不足|至少|最多|近乎|±|每[\u4e00-\u9fff]{1,4}?(?=\d)"
_SUFFIX_Q = "左右|以上|以下|上下|之多|有余"
# thousands set apart by commas (12,345) or, as in some printed and OCR'd text, by a space (1 326)
_AR = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{1,3}(?:[ \u2009\u202f]\d{3})+(?:\.\d+)?(?!\d)|\d+(?:\.\d+)?"
_NUM = rf"(?:{_AR}|{ROUGH_CN}|[{CN_NUM}]+)"
_MULT = "(?:万亿|千万|百万|万|亿|千(?![卡瓦克米])|百)"   # 800千卡, 5千米: the unit's 千

FIGURE_RE = re.compile(
    rf"(?P<pre>{_PREFIX_Q})?"
    rf"(?P<num>{_NUM})"
    rf"(?P<mult1>{_MULT}(?=\s*[-—–~～至到]\s*(?:{_NUM}){_MULT}))?"     # 5万到8万公里: 万 on both ends
    rf"(?:\s*(?P<sep>[-—–~～至到])\s*(?P<num2>{_NUM}))?"
    rf"(?P<inf1>多|余|(?<=[十百千万0])来(?=\s*(?:{_UNIT_RE})))?(?P<mult>{_MULT})?(?P<inf2>多|余)?"   # 十来天
    rf"(?:\s*(?P<unit>{_UNIT_RE}))?"
    rf"(?P<suf>{_SUFFIX_Q})?"
)
_PERCENT_CN = re.compile(rf"(?P<per>[百千])分之(?P<num>{_NUM})")
# tenths said as 成: 七成 (70%), 七八成, 三成左右; not 一成不变, 七成员
_TENTHS = re.compile(r"(?<![一二两三四五六七八九十〇零百千万\d.第之])"
                     r"(?P<num>[一二两三四五六七八九十]|[一二三四五六七八][二三四五六七八九]|\d(?:\.\d)?)成"
                     r"(?![员立为功绩本果熟长交都效型品就不])(?P<suf>左右|以上|以下|多)?")
# an amount written half in digits the spoken way: 1万8 (18000), 1万8千元, 1万8000元, 3千5左右 (3500)
_MIXED = re.compile(rf"(?<![\d.])(?P<a>\d{{1,4}})(?P<big>万|千)(?:(?P<d>[1-9])(?P<k>(?<=万\d)千)?|(?<=万)(?P<full>\d{{4}}))"
                    rf"(?![\d.十百千万亿])(?P<inf>多|余)?(?P<unit>{_UNIT_RE})?(?P<suf>左右|以上|多)?")
# a race time or a span of clock time: 3分33秒62, 2小时15分
_CLOCK_RE = re.compile(r"(?:(?P<h>\d{1,3})小时)?(?P<mi>\d{1,3})分(?:钟)?(?P<s>\d{1,2})秒(?P<frac>\d{1,3})?"
                       r"|(?P<h2>\d{1,3})小时(?P<mi2>\d{1,2})分钟?")
_DATE_TAIL = r"末期|初期|中期|前期|后期|中叶|上半叶|下半叶|上半年|下半年|中旬|上旬|下旬|前后|以来|以后|之后|以前|底|初|末|中"
_DATE_RE = re.compile(
    r"(?:约|大约)?(?:[公西]元前?)?(?P<y>(?:1\d|20)\d{2}|\d{3}|(?<=公元|西元|元前)\d{1,2})\s*年(?P<decade>代)?(?:\s*(?P<m>1[0-2]|0?[1-9])\s*月(?:\s*(?P<d>3[01]|[12]\d|0?[1-9])\s*[日号])?)?"
    rf"(?P<tail>{_DATE_TAIL})?"
    r"|(?:公元前?|第)?(?P<c>\d{1,2}|[一二三四五六七八九十]{1,3})\s*世纪" rf"(?P<ctail>{_DATE_TAIL})?"
    r"|(?P<m3>1[0-2]|0?[1-9])\s*[-—–~至到]\s*(?P<m4>1[0-2]|0?[1-9])\s*月(?:份)?"
    r"|(?P<ca>(?:[01]?\d|2[0-4])\s*(?:[:：]\s*[0-5]\d|[时点](?:\s*[0-5]\d\s*分)?))\s*[-—–~至到]\s*(?:次日|翌日)?"
    r"(?P<cb>(?:[01]?\d|2[0-4])\s*(?:[:：]\s*[0-5]\d|[时点](?:\s*[0-5]\d\s*分)?))"
    r"|(?P<m2>1[0-2]|0?[1-9])\s*月(?!龄)(?:\s*(?P<d2>3[01]|[12]\d|0?[1-9])\s*[日号](?!线)"
    r"(?:\s*(?:凌晨|早上|上午|中午|下午|傍晚|晚上|晚)?\s*(?:[01]?\d|2[0-3])\s*[时点](?:\s*[0-5]?\d\s*分)?)?"   # 5月20日晚8点
    r"|份|底|初|中旬|上旬|下旬|末)?"
    r"|(?P<h>[01]?\d|2[0-3])\s*[时:：点]\s*(?P<mi>[0-5]\d)\s*分?")
# "存在了1200年", "近1000年来": a number of years, not a year
_YEARS_LONG = re.compile(r"(?:了|约|近|达|逾|超过|多|长达|历时|经过|经历|有)\s*$")


def _said_to_be_a_year(norm: str, start: int, end: int) -> bool:
    """Whether a three-digit N年 at [start, end) is a year by what is around it: 于/在/年号
    before it (于842年), opening its sentence before a comma (842年，朗达玛…), or one end of a
    span of years (701年—761年)."""
    return bool(re.search(r"(?:公元|前|于|在|年号|元年)\D{0,2}$", norm[max(0, start - 4):start])
                or (re.search(r"(?:^|[。；！？\n])\s*$", norm[:start]) and re.match(r"\s*[，,]", norm[end:]))
                or re.match(r"\s*[-—–－~至]\s*(?:公元)?\d{3,4}\s*年", norm[end:])
                or _after_a_year(norm, start))


def _after_a_year(norm: str, start: int) -> bool:
    """Whether the figure at ``start`` ends a span of years (701年—761年), not of durations
    (用了300年—400年)."""
    lead = re.search(r"\d{3,4}\s*年\s*[-—–－~至]\s*$", norm[:start])
    return bool(lead) and not _YEARS_LONG.search(norm[max(0, lead.start() - 3):lead.start()])


def _dates_something(norm: str, start: int, end: int) -> bool:
    """Whether a span of time at [start, end) dates something rather than being a quantity
    asked about: 5年来, 5年前的, or the span a figure is counted over (今年前5个月, 按近6个月平均)."""
    return bool(re.match(r"[前后来间内中里以]", norm[end:end + 1])
                or re.search(r"(?:^|[^\u4e00-\u9fff]|今年|去年|全年|上半年)(?:前|头|最近|近|过去)$", norm[max(0, start - 4):start])
                or (norm[start:start + 1] == "近" and re.search(r"[最按在以]$", norm[max(0, start - 1):start])))


@dataclass(frozen=True)
class Figure:
    """One figure of a text. ``text`` is verbatim: ``source[start:end] == text``."""

    text: str
    start: int
    end: int
    value: float | None     # normalised: 1.5万名 → 15000
    unit: str               # canonical unit: 人, 个, 元, %, 年 … ("" when none)
    kind: str               # count | percent | money | measure | number | year | date | ordinal
                            # | duration | period
    qualifier: str = ""     # 约, 近, 多, 余, 以上 …
    value_hi: float | None = None   # upper end of a range (8-10个)

    @property
    def unit_class(self) -> str:
        return UNIT_CLASS.get(self.unit, "count")

    def to_dict(self) -> dict:
        return asdict(self)


# telephone numbers written in groups (400-862-7799, 0715-6608 2271, 010-12345678)
_PHONE_RE = re.compile(r"(?<![\d.\-])(?:\d{3,4}-\d{3,4}[- ]\d{4}|0\d{2,3}-\d{7,8})(?![\d.万亿元人个名%])")


def _is_code_context(text: str, start: int, end: int) -> bool:
    """Digits that are part of a name or code: ISO9000, T-92, "12351" hotline, 4·15, 5·12."""
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    if re.match(r"[A-Za-z_]", before) or (before in "-–" and start > 1 and re.match(r"[A-Za-z]", text[start - 2])):
        return True
    if before in "·•." and start > 1 and text[start - 2].isdigit():
        return True
    if after in "·•" and end + 1 < len(text) and text[end + 1].isdigit():
        return True
    if before in "“\"「『" and after in "”\"」』":
        return True
    return False


def _in_short_quote(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] lies inside a short quoted name (“六个一”, “五千三万”)."""
    left = max(text.rfind("“", 0, start), text.rfind("「", 0, start))
    if left < 0 or any(c in text[left:start] for c in "”」"):
        return False
    close = min([i for i in (text.find("”", end), text.find("」", end)) if i >= 0] or [-1])
    return close >= 0 and close - left <= 12


def _spoken_amount(norm: str, m: re.Match) -> bool:
    """Whether a Chinese numeral without a unit is an amount said the spoken way (一万一千五,
    四百二, 三万左右): a digit and 百/千/万/亿, ending its clause or followed by 左右/多/来."""
    num = m.group("num")
    if m.group("num2") or not re.fullmatch(r"[一二两三四五六七八九][十百千万亿][一二两三四五六七八九十百千万亿零]*", num) \
            or not re.search(r"[百千万亿]", num):
        return False
    return bool(m.group("suf") or m.group("inf1") or m.group("inf2")
                or not re.match(r"[\u4e00-\u9fff]", norm[m.end():m.end() + 1]))


def _minus_before(norm: str, start: int) -> str:
    """The minus sign (or 零下) right before a number at ``start``, "" if none: not the dash of a
    range (55-71) or of a code (A-3)."""
    if norm[max(0, start - 2):start] == "零下":
        return "零下"
    if start > 0 and norm[start - 1] in "-−－" and (start < 2 or not re.match(r"[0-9A-Za-z.%)）]", norm[start - 2])):
        return norm[start - 1]
    return ""


def _kind(unit: str, norm: str, start: int, end: int) -> str:
    """The kind of a figure in ``unit`` at norm[start:end]."""
    if unit in ("%", "百分点"):
        return "percent"
    if UNIT_CLASS.get(unit) == "money":
        return "money"
    if unit in ("年", "个月", "天", "周", "小时", "分钟", "秒", "世纪", "工作日"):
        return "period" if _dates_something(norm, start, end) else "duration"
    if UNIT_CLASS.get(unit) in ("length", "area", "weight", "volume", "energy", "power", "speed"):
        return "measure"
    if not unit:
        return "number"   # no unit: a code, a hotline, a part of a list … seldom an answer
    return "count"


def find_figures(text: str) -> list[Figure]:
    """Every figure in ``text``, left to right, without overlaps (a new list each call).

    Dates (2008年6月, 5月17日) come out as kind ``date``/``year``; plain Chinese numerals
    count only with a unit after them (三个, 两万人次), so 一线, 十佳 and 五一 are not figures.
    """
    return list(_find_figures(text))


@functools.lru_cache(maxsize=8192)
def _find_figures(text: str) -> tuple[Figure, ...]:
    norm = fold_width(text)
    figures: list[Figure] = []
    taken = [False] * len(text)

    def add(fig: Figure) -> None:
        if any(taken[fig.start:fig.end]):
            return
        for i in range(fig.start, fig.end):
            taken[i] = True
        figures.append(fig)

    for m in _PHONE_RE.finditer(norm):         # 400-862-7799, 0715-6608 2271: no figures
        for i in range(m.start(), m.end()):
            taken[i] = True

    for m in _DATE_RE.finditer(norm):
        if _is_code_context(norm, m.start(), m.end()):
            continue
        if m.group("c") or m.group("m3") or m.group("ca"):
            # 17世纪, 公元前16世纪, 19世纪末期; 2至4月; 7:30至18:30: a time, less exact than a year or a day
            add(Figure(text[m.start():m.end()], m.start(), m.end(), None, "世纪" if m.group("c") else "日", "date",
                       m.group("ctail") or ""))
            continue
        if m.group("y"):
            y = int(m.group("y"))
            era = "公元" in m.group(0) or "西元" in m.group(0)
            if len(m.group("y")) == 3 and not era and not _said_to_be_a_year(norm, m.start(), m.end()):
                continue  # a three-digit year only where the text says it is one
            if y < 1500 and not era and (_YEARS_LONG.search(norm[max(0, m.start() - 3):m.start()])
                                                          or re.match(r"(?:来|前|之久|的历史|历史)", norm[m.end():m.end() + 3])):
                continue  # 存在了1200年: a span of years
            kind = "date" if m.group("m") else "year"
            add(Figure(text[m.start():m.end()], m.start(), m.end(), float(y), "年", kind,
                       m.group("tail") or ""))
        else:
            add(Figure(text[m.start():m.end()], m.start(), m.end(), None, "日", "date"))

    for m in _CLOCK_RE.finditer(norm):
        h, mi, sec, frac = (m.group(x) for x in ("h", "mi", "s", "frac"))
        if m.group("h2"):
            h, mi = m.group("h2"), m.group("mi2")
        secs = int(h or 0) * 3600 + int(mi or 0) * 60 + int(sec or 0) + (float("0." + frac) if frac else 0.0)
        add(Figure(text[m.start():m.end()], m.start(), m.end(), secs, "秒", "duration"))

    for m in _PERCENT_CN.finditer(norm):
        v = parse_number(m.group("num"))
        if v is not None:
            add(Figure(text[m.start():m.end()], m.start(), m.end(), v / (10 if m.group("per") == "千" else 1),
                       "%", "percent"))

    for m in _TENTHS.finditer(norm):
        num = m.group("num")
        lo = parse_number(num[0]) if len(num) == 2 and not num[0].isdigit() else parse_number(num)
        hi = parse_number(num[1]) if len(num) == 2 and not num[0].isdigit() else None
        if lo is not None:
            add(Figure(text[m.start():m.end()], m.start(), m.end(), lo * 10, "%", "percent", m.group("suf") or "",
                       hi * 10 if hi is not None else None))

    for m in _MIXED.finditer(norm):
        step = 1e4 if m.group("big") == "万" else 1e3
        rest = int(m.group("full")) if m.group("full") else int(m.group("d")) * step / 10
        unit = _UNIT_OF.get(m.group("unit") or "", "")
        qualifier = "".join(x for x in (m.group("inf"), m.group("suf")) if x)
        add(Figure(text[m.start():m.end()], m.start(), m.end(), int(m.group("a")) * step + rest, unit,
                   _kind(unit, norm, m.start(), m.end()), qualifier))

    for m in FIGURE_RE.finditer(norm):
        num = m.group("num")
        chinese = not num[0].isdigit()
        unit_text = m.group("unit")
        start, end = m.start(), m.end()
        if m.group("pre") and not unit_text and not m.group("mult"):
            start = m.start("num")
        if chinese:
            # a Chinese numeral is a figure only with a unit (or 万/亿 and a unit), or an amount
            # said the spoken way at the end of its clause (活动价一万一千五, 花了三万左右)
            if parse_number(num) is None or not (unit_text or _spoken_amount(norm, m)):
                continue
            if start > 0 and norm[start - 1] in "第之一上下每同这那该唯统万":
                continue
            if num in ("百", "千", "万", "亿"):
                continue   # 千家万户, 万人空巷: a multiplier alone is no number
            if re.match(rf"[{CN_NUM}]", norm[end:end + 1]) or _in_short_quote(norm, start, end):
                continue   # “六个一”服务, “三亮”: the name of a programme, not a count
        if _is_code_context(norm, m.start("num"), m.end("num")):
            continue
        if unit_text and re.fullmatch(r"[A-Za-z²2]+", unit_text):
            after = norm[m.end("unit"):m.end("unit") + 1]
            if after and re.match(r"[A-Za-z0-9]", after):
                unit_text = None   # "5km" is a figure, "3mins" or "9000A" is not
                end = m.end("suf") if m.group("suf") else (m.end("inf2") or m.end("mult") or m.end("inf1")
                                                           or m.end("num2") or m.end("num"))
        before = norm[start - 1] if start > 0 else ""
        if before and (before in "第前" and unit_text in ("名", "位") or before == "第"):
            # 第3名 is a rank; 前10名 (the first ten) is a cut-off, not a count
            v = parse_number(num)
            add(Figure(text[start - 1:end], start - 1, end, v, _UNIT_OF.get(unit_text or "", ""), "ordinal"))
            continue
        mult = _MULTIPLIER[m.group("mult")]
        lone = m.group("mult") in ("千", "百") and not unit_text and not chinese
        if lone and not (m.group("inf2") or m.group("suf")) and re.match(r"[\u4e00-\u9fff]", norm[m.end("mult"):][:1]):
            # a lone 千/百 after digits and before a word is part of the word (3千家万户); at the end
            # of a clause it is the number's (花了9千。, 8千左右)
            end = m.end("num")
            mult = 1
        v = parse_number(num)
        if v is None:
            continue
        v *= _MULTIPLIER[m.group("mult1")] if m.group("mult1") else mult
        if unit_text == "个半小时":
            v += 0.5                          # 两个半小时
        v2 = parse_number(m.group("num2")) if m.group("num2") else None
        if v2 is not None:
            v2 *= mult
        unit = _UNIT_OF.get(unit_text or "", "")
        if unit == "年" and not chinese and re.fullmatch(r"(?:1[5-9]|20)\d{2}", num) and not m.group("num2"):
            continue  # a year the date pass did not take (e.g. part of a code)
        if unit_text == "块" and chinese and len(num) == 1:
            continue  # 一块 (together, a piece), not one yuan
        if unit_text == "期" and chinese and len(num) == 1 and \
                re.match(r"工程|项目|完成|建成|建设|投产|投用|设计|规划|扩建|主体|用地|开通|线路|[、和与及共]", norm[end:end + 2]):
            continue  # 一期设计年产能, 二期完成后: a phase, not a number of sessions
        sign = _minus_before(norm, start) if not chinese and not m.group("pre") else ""
        if sign:
            # -30°C, 海拔−154米, 零下30度: the sign is part of the figure
            start -= len(sign)
            v = -v
        qualifier = "".join(x for x in (m.group("pre"), m.group("inf1"), m.group("inf2"), m.group("suf")) if x)
        if _ROUGH.fullmatch(num):
            qualifier += "约"
        add(Figure(text[start:end], start, end, v, unit, _kind(unit, norm, start, end), qualifier, v2))
    figures.sort(key=lambda f: f.start)
    # "306、312号", "8个村、2个社区" : a bare number in a list takes the unit of the next item
    for i in range(len(figures) - 1):
        f, g = figures[i], figures[i + 1]
        if not f.unit and f.kind == "number" and g.unit and re.fullmatch(r"\s*[、和及与]\s*", norm[f.end:g.start]):
            figures[i] = Figure(f.text, f.start, f.end, f.value, g.unit, g.kind, f.qualifier, f.value_hi)
    # "25%—33%", "3000元至5000元", "20KB到80KB": a range written with its unit on both ends is
    # one figure (not "由3000元增加到5000元", a change); so is a span of days, "6月7日至6月10日"
    merged: list[Figure] = []
    for g in figures:
        f = merged[-1] if merged else None
        gap = norm[f.end:g.start] if f is not None else ""
        if f is not None and f.unit and f.unit == g.unit and f.kind == g.kind and f.value_hi is None and \
                g.value is not None and f.kind in ("percent", "money", "measure", "count", "duration") and \
                (re.fullmatch(r"\s*[-—–~～]\s*", gap) or
                 re.fullmatch(r"\s*[至到]\s*", gap) and not _FROM_LEAD.search(norm[max(0, f.start - 12):f.start])):
            merged[-1] = Figure(text[f.start:g.end], f.start, g.end, f.value, f.unit, f.kind, f.qualifier, g.value)
        elif f is not None and f.kind == g.kind == "date" and re.fullmatch(r"\s*[-—–~～至到]\s*", gap):
            merged[-1] = Figure(text[f.start:g.end], f.start, g.end, f.value, f.unit, f.kind, f.qualifier)
        else:
            merged.append(g)
    out: list[Figure] = []
    for f in merged:
        if out and out[-1].start <= f.start and f.end <= out[-1].end:
            continue                       # the 10 of 6月7日至10日, taken with the span
        # "6月7日至10日": a span of days in one month
        tail = re.match(r"\s*[-—–~～至到]\s*(?:3[01]|[12]\d|0?[1-9])\s*[日号]", norm[f.end:])
        if f.kind == "date" and tail and norm[f.end - 1] in "日号":
            f = Figure(text[f.start:f.end + tail.end()], f.start, f.end + tail.end(), f.value, f.unit, f.kind,
                       f.qualifier)
        out.append(f)
    return tuple(out)


_FROM_TO_GAP = re.compile(r"^\s*[\u4e00-\u9fff]{0,4}?(?:增加|增长|提高|提升|上升|减少|下降|降低|扩大|发展|升|降)?"
                          r"(?:到|至|为)(?:[^，,。；;]{0,10}?的)?\s*$")   # …提高到2012年底的91.6%
_FROM_LEAD = re.compile(r"(?:由|从)(?:[^，,。；;]{0,8}?的)?$")


def from_to_pairs(text: str, figures: list[Figure]) -> list[tuple[Figure, Figure, int]]:
    """Figures going from one value to another: "由60.65万人增加到83.13万人",
    "从3590家增加到9174家", "由5年前的1951家增加到3305家". Returns (from, to, lead_end) where
    ``text[:lead_end]`` ends with 由/从."""
    norm = fold_width(text)
    figs = [f for f in figures if f.kind not in ("year", "date", "ordinal", "period")]
    pairs = []
    for a, b in zip(figs, figs[1:]):
        if a.unit != b.unit or not _FROM_TO_GAP.match(normalize(norm[a.end:b.start])):
            continue
        m = _FROM_LEAD.search(norm[:a.start])
        if m:
            pairs.append((a, b, m.start() + 1))
    return pairs


def digits_in(text: str) -> list[str]:
    """The runs of digits of ``text`` (full-width folded): what must be quoted verbatim."""
    return re.findall(r"\d+(?:[.,]\d+)*", fold_width(text))


# --------------------------------------------------------------------------- metric phrases

_CLAUSE_BREAK = re.compile(r"[，,；;。！？!?：:（）()\n]")
_LEAD = re.compile(r"^(?:其中|目前|截至[^，]*?底|截至目前|截至|全市|全区|全省|全国|全县|共有|共计|累计|共|已|已经|"
                   r"先后|分别|仅|另|又|还|并|达|为|有|到|其|该市|该公司|\s)+")
_TRAIL = re.compile(r"(?:达到|高达|达|为|是|共|有|约|近|超过|逾|已|了|共计|累计|总计|合计|增加到|增至|\s)+$")


def metric_phrase(sentence: str, fig: Figure, figures: list[Figure]) -> str:
    """The words that say what ``fig`` counts: 组建工会组织 in "组建工会组织3135个",
    工会工作站 in "建立了11个工会工作站"."""
    for a, b, lead_end in from_to_pairs(sentence, figures):
        if fig is a or fig is b:      # 会员数由28.84万人增加到48.74万人: both are 会员数
            lead = _CLAUSE_BREAK.split(sentence[:lead_end - 1])[-1]
            lead = _TRAIL.sub("", _LEAD.sub("", lead)).strip(" 、的“”\"'‘’<>/=")
            if lead:
                return lead[-40:]
    prev_end = max([f.end for f in figures if f.end <= fig.start] + [0])
    next_start = min([f.start for f in figures if f.start >= fig.end] + [len(sentence)])
    left = sentence[prev_end:fig.start]
    left = _CLAUSE_BREAK.split(left)[-1]
    right = sentence[fig.end:next_start]
    right = _CLAUSE_BREAK.split(right)[0]
    left = _TRAIL.sub("", _LEAD.sub("", left)).strip(" 、的“”\"'‘’<>/=")
    right = right.strip(" 、“”\"'‘’<>/=")
    if right.startswith("的"):
        right = right[1:]
    # "建立了11个工会工作站": the counted thing follows the figure when a verb precedes it
    if right and (not left or re.search(r"(?:了|建立|成立|组建|新建|建成|建|评出|评选出|聘请|有|为|给|帮助|资助|慰问|"
                                        r"培训|救助|选树|表彰|推荐|吸纳|吸引|组织|提供|接待|走访|约谈|完成)$", left)):
        return (left + right)[:40] if len(left) <= 8 else right[:40]
    return left[-40:] if left else right[:40]


_METRIC_PREFIX = re.compile(r"^(?:新发展|发展|新建|共建|建成|建立|组建|拥有|共有|现有|实有)")
_METRIC_SUFFIX = re.compile(r"(?:总数|总量|人数|数量|数|总额|金额)$")


def canonical_metric(phrase: str, places: frozenset[str] = frozenset()) -> str:
    """A metric phrase in a form that lines up across reports: 工会会员总数, 会员数 and 发展会员
    all become 会员; 基层工会组织数 becomes 基层工会组织."""
    p = normalize(phrase)
    p = re.sub(r"[“”\"'‘’《》「」]", "", p)
    for place in find_places(p, places):  # 醴陵市发展会员 → 发展会员
        if place.start == 0:
            p = p[place.end:]
    p = re.sub(r"^(?:全市|全区|全省|全县|市|县|区)+", "", p)
    for _ in range(2):
        for rx in (_METRIC_PREFIX, _METRIC_SUFFIX):
            shorter = rx.sub("", p)
            if len(shorter) >= 2:     # 组建率 stays 组建率, not 率
                p = shorter
    if p.startswith("工会会员"):
        p = p[2:]
    if p in ("基层工会", "基层工会委员会", "基层组织", "企会组织"):
        p = "基层工会组织"
    return p


# --------------------------------------------------------------------------- the figure table

_TIME_RE = re.compile(
    r"(截至(?:目前|\d{4}年(?:\d{1,2}月)?(?:底|末)?)|到\d{4}年底|\d{4}年(?:\d{1,2}月)?(?:底|末|初)?"
    r"|[近过]?[去]?[五5三3十10]+年(?:来|间|中)|近年来|今年|去年|这几年|几年来|多年来)")


def figure_time(sentence: str, fig_start: int) -> str:
    """The time phrase that governs a figure: the nearest one before it in its sentence."""
    best = ""
    for m in _TIME_RE.finditer(normalize(sentence)):
        if m.start() < fig_start:
            best = sentence[m.start():m.end()]
    return best


# words that say whose figure follows; 全国/自治区 are left out: in these reports they name
# awards (全国模范职工之家, 自治区五一劳动奖章) far more often than a national or regional count
_SCOPE_RE = re.compile(r"全区|全省|全市|该市|本市|全县")


def figure_place(sentence: str, fig_start: int, passage_place: str | None) -> str | None:
    """Whose figure it is: a place named before it in the sentence, or "全区" (the province of
    the passage's place), or the passage's place."""
    g = gazetteer()
    head = normalize(sentence[:fig_start])
    place = passage_place
    mentions = find_places(head)
    marks = [(p.start, p.name) for p in mentions]
    marks += [(m.start(), m.group(0)) for m in _SCOPE_RE.finditer(head)]
    if not marks:
        return place
    at, mark = max(marks)
    if mark in ("全区", "全省"):
        return g.province_of(passage_place) if passage_place and g.province_of(passage_place) else place
    if mark in ("全市", "该市", "本市", "全县"):
        return place
    # 襄阳、宜昌、荆州三市共追回4870万元: the figure of the three, not 荆州's
    group = [m for m in mentions if m.start <= at]
    k = len(group) - 1
    while k > 0 and re.fullmatch(r"[、和与及]|以及", head[group[k - 1].end:group[k].start]):
        k -= 1
    if k < len(group) - 1:
        return GROUP_JOIN.join(m.name for m in group[k:])
    return mark


GROUP_JOIN = "、"     # figure_place names the places a figure belongs to together with it


def group_places(place: str | None) -> frozenset[str]:
    """The places of a figure that belongs to several together (襄阳、宜昌、荆州三市共…), as
    :func:`figure_place` names them; empty for one place or none."""
    return frozenset(place.split(GROUP_JOIN)) if place and GROUP_JOIN in place else frozenset()


def figure_table(passages) -> list[dict]:
    """Rows of the figure table for ``passages``: every count, amount, percentage or measure.

    Each row keeps the verbatim figure and sentence and the passage it comes from; a figure
    repeated by the overlap of two passages is listed once, under the first.
    """
    from .passages import split_sentences
    rows: list[dict] = []
    seen: set[tuple[str, int]] = set()
    for p in passages:
        for s, e in split_sentences(p.text, full=True):
            sentence = p.text[s:e]
            figs = find_figures(sentence)
            for f in figs:
                if f.kind in ("year", "date", "ordinal", "period", "number") or f.value is None:
                    continue
                if f.text[0] == "一" and f.value == 1:
                    continue   # 一本…、一堂…: an article, not a figure worth a row
                key = (p.source, p.start + s + f.start)
                if key in seen:
                    continue
                seen.add(key)
                phrase = metric_phrase(sentence, f, figs)
                rows.append({
                    "source": p.source, "passage_id": p.passage_id, "section": p.section,
                    "place": figure_place(sentence, f.start, p.place),
                    "metric": canonical_metric(phrase, frozenset([p.place] if p.place else [])),
                    "metric_text": phrase,
                    "value": f.value, "value_hi": f.value_hi, "unit": f.unit, "kind": f.kind,
                    "qualifier": f.qualifier, "figure": f.text,
                    "time": figure_time(sentence, f.start), "date": p.date,
                    "sentence": sentence, "offset": s + f.start,
                })
    return rows
