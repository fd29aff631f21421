"""Step 1 of answering: a question becomes a frozen :class:`Query`.

The query says what is asked (a count, an amount, a percentage, a date, a name …), in what
form (one figure, a comparison, a change, a sum, several figures at once), about which places
and years, in which unit, and which words describe the thing asked. Questions without 多少
are questions too: 2021年宝马全球销量 asks a count, 2022春运开始时间 a date (qa/data/attributes.tsv).

The word lists live in ``qa/data`` (question_words.txt, attributes.tsv, roles.txt, stopwords.txt);
what stays here is grammar: where the counted noun stands, how 由…到… is written.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace

from ..figures import _UNIT_OF, _UNIT_RE, UNIT_CLASS, find_figures
from ..retriever import COMPANY
from ..lexicon import (MAX_QUESTION_CHARS, alternation, attributes, bare_years, clean_question, find_places, gazetteer,
                       stopwords, surnames, tokenize, tokenizer, word_list, word_sections, words)


ASKS = ("count", "amount", "percent", "measure", "date", "duration", "name", "org", "ordinal", "list",
        "what", "place", "other")
FORMS = ("plain", "compare", "most", "trend", "difference", "sum", "several")
MEASURES = ("length", "area", "weight", "speed", "time", "energy", "power")


@dataclass(frozen=True)
class Query:
    """What a question asks. Built by :func:`analyze`; change it with ``dataclasses.replace``."""

    text: str                                   # the normalised question
    places: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    asks: str = "other"                         # one of ASKS: the kind of answer wanted
    form: str = "plain"                         # one of FORMS
    unit: str | None = None                     # the unit implied (个, 人, 元, % …)
    unit_class: str | None = None               # people, money, percent, length …
    terms: tuple[str, ...] = ()                 # the words that describe the thing asked
    counted: str | None = None                  # the noun counted: 职工 of 多少名职工
    number_values: tuple[float, ...] = ()       # figures the question itself gives
    orgs: tuple[str, ...] = ()                  # companies named: 国投钦州发电有限公司
    dimension: str | None = None                # 长 of 多长, 高 of 多高 …
    period: str | None = None                   # 五年来 / 5年来 …
    roles: tuple[str, ...] = ()                 # 书记 of 市委书记是谁
    asked_noun: str | None = None               # 网址 of 网站的网址是什么
    date_grain: str | None = None               # "year" for 哪一年, "day" for 哪天
    more: bool | None = None                    # compare: True for 更多/最多, False for 更少
    yesno: bool = False                         # 是不是…/…吗
    keyword: bool = False                       # no question word: 2021年宝马全球销量
    past: bool = False                          # asks the earlier value (原来有多少)
    before_wh: str = ""                         # the words right before the question word
    after_wh: str = ""                          # and right after it (…成立于|哪一年| / 多少|人参加)
    history: tuple[str, ...] = field(default=(), compare=False)   # the questions it was resolved with

    @property
    def place(self) -> str | None:
        return self.places[0] if self.places else None

    @property
    def kind(self) -> str:
        """The answer's kind as replies report it: the form, or what is asked for a plain one."""
        if self.form in ("difference", "sum"):
            return "compute"
        if self.form == "most":
            return "compare"
        return self.asks if self.form == "plain" else self.form


# --------------------------------------------------------------------------- word lists

@functools.lru_cache(maxsize=1)
def _words() -> dict[str, re.Pattern]:
    sec = word_sections("question_words.txt")
    return {name: re.compile(alternation(ws)) for name, ws in sec.items()}


def has(section: str, text: str) -> bool:
    """Whether ``text`` holds a word of ``section`` of qa/data/question_words.txt."""
    return bool(_words()[section].search(text))


_TREND = re.compile(r"[由从][^，,。？?]{0,4}?多少.{0,6}(?:增加|增长|提高|上升|减少|下降|降低)?到多少|(?:怎样|如何|怎么)变化|"
                    r"变化(?:情况|趋势)|历年(?:变化|情况|走势)")
_DIFFERENCE = re.compile(r"(?:增加|增长|提高|上升|减少|下降|降低|多|少|涨|跌)了(?:多少|几)|相差(?:多少|几)|差(?:多少|几)|"
                         r"(?:净增|净减|净增加|净减少|涨|跌|增|减)(?:了)?(?:多少|几)|"
                         r"(?:高|多|少)出(?:多少|几)|比(?![例重率较赛武]).{2,40}?(?:多|高|少|低)(?:多少|几)")
_WHICH = r"哪(?:个|一个|家|座|里|所)?(?:市|城市|地方|单位|企业|公司|地区|国家|省)?"
_COMPARE = re.compile(_WHICH + r".{0,20}?(?:更|最|比较|较)?(?:多|少|高|低|大|小|长|短)(?:一些|些|一点)?[？?吗呢]*\s*$|"
                      + _WHICH + r".{0,20}?(?:更|最)(?:多|少|高|低|大|小|长|短)|"
                      r"谁.{0,10}(?:更|最)(?:多|少|高|低|大|小)|"
                      r"(?:是不是|是否)?(?<![占])比(?![多例重率较赛武])[^？?]{1,16}(?:多|少|高|低|大|小)(?:吗|么|呢)?[？?]*\s*$")
_MOST_OF_LIST = re.compile(r"(?:哪(?:个|一个|家|座|所|项|种|块|类|条|支|些)|谁)[^，,。？?]{0,16}?最(?:多|少|高|低|大|小|快|慢|长|短)|"
                           r"最(?:多|少|高|低|大|小|快|慢|长|短)的?(?:是|为|属)?(?:哪|谁)")
# 共 that says "in all" (共培训, 共退还), not the 共 of 共同, 共青团, 共产党, 共享, 共建
TOTAL_GONG = r"共(?![同青产享建])"
_SUM_COUNTED = re.compile(r"(?:两|二|三|四|几)(?:场|个|项|次|家|所|届|类|批|天|年|月)[^，,。？?]{0,30}(?:一共|总共|共计|总计|"
                          + TOTAL_GONG + ")")
# 总和 that is 市总 (the city's federation of trade unions) and 和
_NOT_A_SUM = re.compile(r"(?<=[市县区省])总和")
_ITEM_JOIN = re.compile(r"[和与及、跟同]")
_QUESTION_WORDS = re.compile(r"第几[名位届次个张]?|占比|所占比例|比例|比重|百分比|多少|几|哪些|哪个|哪一?年|哪一天|哪天|"
                             r"什么时候|何时|谁|什么|是否|吗|呢|请问|怎样|如何|多[大高远长重久深宽快]")
_TIME_WORDS = re.compile(r"(?:截至|截止到?|到)?\s*(?:\d{4}\s*年)(?:\s*\d{1,2}\s*月)?(?:底|末|初|份)?|"
                         r"(?:截至|截止)(?:目前)?|(?:\d{1,2}\s*月)(?:底|末|初|份)")
# nouns that count people: 职工, 会员, 农民工, 技术能手, 劳模 …
_PEOPLE = re.compile(r"(?:职工|工人|会员|员工|人员|农民工|劳模|模范|能手|工匠|选手|学生|学子|干部|党员|代表|技师|"
                     r"工程师|司机|人口|观众|游客|孩子|子女|运动员|球员|队员|教师|医生|居民|村民|人|者|员|生)$")
# the unit right after 多少/几: the longest one known (多少分钟 is minutes, not 分), else one character
_UNIT_AFTER_Q = re.compile(r"(?:多少|几)(?:万|亿)?(?:个(?=小时|钟头|星期|礼拜))?(" + _UNIT_RE + r"|[^\s，。？?的了])")
_DIMENSION = {"高": "length", "远": "length", "长": "length", "深": "length", "宽": "length", "大": None,
              "重": "weight", "久": "time", "快": "speed"}
_MONEY_WORDS = re.compile(r"(?:钱|资金|金额|经费|款|(?<!名)额|收入|产值|利润|效益|投资|补贴|津贴|金|元|费|工资|薪|价|价格|票价|成本)$")
_PERIOD = re.compile(r"(?:五|5|三|3|十|10)年(?:来|间|中)|近年来|这些年|过去\d+年")
_COUNTED_CUT = (r"[的了呢吗？?在被为对向从到和及与、]|参加|参与|获得|获|提供|组建|建立|成立|实现|从事|开展|"
                r"进行|加入|接受|享受|得到|通过|完成|举办|签订|覆盖|涵盖|是|有")


# --------------------------------------------------------------------------- analysis

def analyze(question: str, places: frozenset[str] = frozenset()) -> Query:
    """Analyse one question (one sentence ending in ？ at most).

    Args:
        question: the question as typed.
        places: further place names to look for (an index's own counties and towns).
    """
    text = clean_question(question)
    found_places: list[str] = []
    for p in find_places(text, places):
        if p.name not in found_places:
            found_places.append(p.name)
    for name in unknown_places(text, places):
        if name not in found_places:
            found_places.append(name)
    years, numbers = [], []
    for f in find_figures(_QUESTION_WORDS.sub(lambda m: " " * len(m.group(0)), text)):
        if f.kind in ("year", "date") and f.value:
            years.append(int(f.value))
        elif f.value is not None and f.kind not in ("ordinal",):
            numbers.append(f.value)
    for y in bare_years(text):
        if y not in years:
            years.append(y)                         # 2022春运开始时间: a year without 年
            numbers = [v for v in numbers if v != y]
    m = _PERIOD.search(text)
    period = m.group(0) if m else None
    form = _form(text, found_places)
    asks, keyword = _asks(text)
    if form in ("compare", "most", "sum", "difference", "trend") and asks in ("what", "other", "list", "org", "place", "name"):
        asks = "count"                      # 哪个市的职工书屋多: the figures are what is compared
    if asks in ("what", "other") and re.search(r"(?:叫什么|是哪位|是什么人|叫啥)(?:名字)?[？?]?\s*$", text) and (
            _roles(text) or _PERSON_BEFORE.search(text)):
        asks = "name"                      # 阜新市的市长叫什么？ 写这篇报道的记者叫啥？
    if asks == "what" and any(re.search(r"哪一?[个位名]" + re.escape(r), text) for r in _roles(text)):
        asks = "name"                      # 哪个记者写的 / 哪位研究员认为…
    unit, unit_class, dimension = _unit(text, asks)
    if form == "most":
        unit = unit_class = None            # 几个点名的区县里…哪个最多: 个 counts the list, not the figure
    if asks == "date":
        unit = unit_class = None            # 几号开始: a day of the month, not a number of 号
    if asks == "percent" and unit_class not in (None, "percent") and re.search(r"占(?:多少|几)", text):
        asks = "count"                      # 非公企业占多少家: a number of them, not a share
    counted = _counted(text, form, places)
    if unit is None and unit_class is None and re.search(
            r"的人(?:数)?(?:多了|少了|增加了|减少了|有|是|为|达到?|共)?(?:大概|大约|一共|总共)?(?:多少|几)", text):
        unit_class = "people"   # 考到证的人多了多少
    if unit is None and unit_class is None and asks in ("count", "amount", "measure", "percent", "duration"):
        # the attribute asked about: the noun counted, or the words right before the question
        # word (职工…的经济效益更多 asks for 效益, not for 职工)
        attr = _attribute(text if keyword else (counted or wh_context(text)[0][-6:] or text))
        if attr and attr[1]:
            unit_class = attr[1]
    if (unit is None or unit == "个") and unit_class in (None, "count") and counted and asks == "count":
        if _PEOPLE.search(re.sub(r"(?:总数|人数|数量|数)$", "", counted)):
            unit_class = "people"           # 几个孩子: people, counted in 名 or 个
    if unit is None and unit_class is None and asks == "count":
        # money: 多少钱, 多少资金, 多少…保障金, 销售额是多少
        before = re.search(r"([\u4e00-\u9fff]{1,6})(?:是|有|为|达|共)?(?:多少|几)", text)
        asked = [w for w in (counted, before.group(1) if before else None) if w]
        if re.search(r"多少[\u4e00-\u9fff]{0,6}?的?(?:钱|资金|经费|金额)", text) or any(_MONEY_WORDS.search(w) for w in asked):
            unit_class = "money"
    if asks == "count":
        if unit_class == "money":
            asks = "amount"
        elif unit_class == "percent":
            asks = "percent"
        elif unit_class == "time":
            asks = "duration"
        elif unit_class in MEASURES:
            asks = "measure"
    q = Query(text=text, places=tuple(found_places), years=tuple(years), asks=asks, form=form,
              unit=unit, unit_class=unit_class, counted=counted, number_values=tuple(numbers),
              orgs=tuple(m.group(0) for m in COMPANY.finditer(text)),
              dimension=dimension if dimension in ("高", "远", "长", "深", "宽", "重") else None,
              period=period, keyword=keyword,
              roles=(_roles(text) or _speaker(text) or _person_noun(text)) if asks == "name" else (),
              date_grain=("year" if has("date_year", text) else "day" if re.search(r"哪一?天|几号|几月|哪个月|日期", text)
                          else None) if asks == "date" else None,
              more=_more(text) if form in ("compare", "most") else None,
              yesno=form == "compare" and has("yesno", text),
              past=has("past", text))
    before, after = wh_context(text)
    q = replace(q, terms=tuple(content_terms(text, q)), before_wh=before, after_wh=after)
    if form in ("trend", "difference", "compare", "most", "sum"):
        # the words that ask for the change or the comparison are not in the answer's sentence
        change = set(word_sections("question_words.txt")["change"])
        q = replace(q, terms=tuple(t for t in q.terms if t not in change))
    if asks in ("what", "other", "list"):
        q = replace(q, asked_noun=asked_noun(text))
    return q


_WH = re.compile(r"多少|几|哪一?年|哪一?天|哪个月|什么时候|什么时间|何时|何年|谁|哪位|第几|百分之几|几成|"
                 r"多[大高远长重久深宽快]|哪[个家所座些里]|什么")


def wh_context(text: str) -> tuple[str, str]:
    """The 12 characters before the question word and the 12 after it: a question is often
    its answer's sentence with the answer replaced (俱乐部成立于|哪一年| ~ 俱乐部成立于1968年)."""
    m = _WH.search(text)
    if not m:
        return "", ""
    before = re.split(r"[，,；;。？?！!：:]", text[:m.start()])[-1][-12:]
    after = re.split(r"[，,；;。？?！!]", text[m.end():])[0]
    after = re.sub(r"(?:的|呢|吗|啊|了)+$", "", after)[:12]
    return before, after


def _form(text: str, places: list[str]) -> str:
    if _TREND.search(text):
        return "trend"
    if (has("sum", _NOT_A_SUM.sub(" ", text)) or (_SUM_COUNTED.search(text) and not re.search(r"分别", text))) \
            and re.search(r"多少|几|总数|总量|总额", text):
        return "sum"                            # (哪两家单位共同打造 asks who, adds nothing)
    if _DIFFERENCE.search(text):
        return "difference"
    if _COMPARE.search(text) and (len(places) >= 2 or re.search(r"比", text) or _ITEM_JOIN.search(text)):
        return "compare"
    if _MOST_OF_LIST.search(text) and len(places) < 2:
        return "most"                           # 哪个街道新增就业最多: the top of a list the text gives
    if has("several", text) and re.search(r"多少|几|是什么|哪", text):
        return "several"
    if re.search(r"各[^级地类种界项方部个位样式自]", text) and "、" in text and re.search(r"多少|几", text):
        return "several"                        # 惠民门诊、惠民药房、惠民超市各建了几个
    if len(joined_places(text, places)) >= 2 and re.search(r"多少|几", text):
        # 泸州和内江的基层工会一共有多少个: the two added up; …有多少个: each one's figure, never
        # one of them alone
        return "sum" if re.search(r"一共|总共|共计|总计|共有|合共|总数", text) else "several"
    return "plain"


def joined_places(text: str, places) -> list[str]:
    """The places asked that are joined as a list (泸州和内江, 历下区、槐荫区), in order; not 济南
    of 济南历下区和槐荫区, nor 长沙 and 宜春 of 长沙南到宜春."""
    out: set[str] = set()
    for a in places:
        for b in places:
            if a != b and re.search(re.escape(a) + r"[市省县区州]?(?:[和与及、跟同]|以及)" + re.escape(b), text):
                out |= {a, b}
    return sorted(out, key=text.find)


_SHARE_OF = re.compile(r"(?<![占独])占(?!地|用|据|领|有|到|了|线|位|优|便宜)[^，。？?多几]{1,14}?的?(?:多少|几成|百分之几)"
                       r"(?![万亿]?[个名位人元家户亩米吨台辆件次项座所套条])")


def _asks(text: str) -> tuple[str, bool]:
    """What kind of answer is asked, and whether the question has no question word at all."""
    if _SHARE_OF.search(text):
        return "percent", False              # 该地区占全国面积的多少: a share, whatever it is a share of
    if re.search(r"哪一?位|是谁|谁(?:说|提到|介绍|表示|认为|指出|透露|提醒|写|讲)", text):
        return "name", False                 # 哪位分析师提到毛利率…: a person, though 率 is named
    for section, asks in (("percent", "percent"), ("date", "date"), ("name", "name"), ("place", "place"),
                          ("ordinal", "ordinal"), ("count", "count"), ("list", "list"), ("what", "what")):
        if has(section, _NOT_A_SHARE.sub(" ", text) if section == "percent" else text):
            if asks == "what" and re.search(r"(?:哪个|哪家|哪所)(?:单位|公司|企业|机构|组织|部门|学校|医院|集团|协会)", text):
                return "org", False
            if asks == "percent" and re.search(r"(?:率|比例|比重)", text) and not re.search(r"多少|几|是|为|达|怎|如何|哪|吗", text):
                return "percent", True
            return asks, False
    attr = _attribute(text)
    if attr:
        return attr[0], True
    if re.search(r"[？?]\s*$", text) or has("yesno", text):
        return "other", False
    # a keyword question (南盘江年径流量, 长沙地铁6号线开通首日客流): a figure, unless it names a
    # place or a name (发源地, 名称)
    if re.search(r"(?:地|地点|位置|地址|所在地)$", text):
        return "place", True
    if re.search(r"(?:名称|名字|名)$", text):
        return "what", True
    return "count", True


# 率 that is no share (功率 is watts, 汇率 a price), and a rate the question itself states
# (利率3.1%的月供多少 asks the instalment): neither makes a question ask a percentage
_NOT_A_SHARE = re.compile(r"(?<!成)功率|频率|汇率|速率|率先|率领|分辨率|帧率|码率|[\u4e00-\u9fff]{0,3}率\s*(?:为|是)?\s*\d+(?:\.\d+)?\s*[%％]")


def _attribute(text: str) -> tuple[str, str | None] | None:
    """The attribute a question names last (销量, 开始时间, 人口), as (asks, unit class)."""
    table = attributes()
    best = None
    for word in sorted(table, key=len, reverse=True):
        i = text.rfind(word)
        if i >= 0 and (best is None or i + len(word) > best[0]):
            best = (i + len(word), table[word])
    return best[1] if best else None


def _asked_unit(text: str) -> str | None:
    """The measure word right after 多少/几 (its canonical unit): the longest spelling known,
    unless a longer word begins in it (多少集装箱 asks no 集; 几个月饼 asks 个, not 个月)."""
    m = _UNIT_AFTER_Q.search(text)
    if not m:
        return None
    at = m.start(1)
    bounds, i = [], 0
    for token in tokenizer().lcut(text, HMM=False):     # dictionary words only (not 名跑者)
        bounds.append((i, i + len(token)))
        i += len(token)
    for spelling in sorted((s for s in _UNIT_OF if text.startswith(s, at)), key=len, reverse=True):
        end = at + len(spelling)
        # the word that runs across its end, begun inside it (月饼) or a long one (集装箱); not
        # 本书 or 台车, a measure word glued to a short noun
        inside = any(a < end < b and (a > at or b - a >= 3) for a, b in bounds if a >= at)
        if not inside:
            return _UNIT_OF[spelling]
    return None


def _unit(text: str, asks: str) -> tuple[str | None, str | None, str | None]:
    unit, unit_class = _asked_unit(text), None
    m2 = re.search(r"多([大高远长重久深宽快])", text)
    dimension = m2.group(1) if m2 else None
    if unit:
        unit_class = UNIT_CLASS.get(unit, "count")
    elif asks == "percent":
        unit, unit_class = "%", "percent"
    elif dimension and _DIMENSION.get(dimension):
        unit_class = _DIMENSION[dimension]
        if dimension == "长" and re.search(r"多长时间|多长时候|(?:期|时间|时长|年限|寿命|假|疗程)(?:有|是|为)?(?:大概|大约)?多长", text):
            unit_class = "time"             # 实习期有多长: months, not metres
    return unit, unit_class, dimension


def _counted(text: str, form: str, places: frozenset[str]) -> str | None:
    """The noun counted: 哪个市的工会会员更多, 会员数由多少增加到多少; 多少名职工 → 职工; or the
    noun before 有多少 (…的职工有多少)."""
    counted = None
    if form in ("compare", "most", "trend"):
        m = re.search(r"([\u4e00-\u9fff]{2,12}?)(?:总数|人数|数量|数|总量)?(?:的)?(?:更|最|由多少|从多少|历年|变化|趋势)", text)
        if m:
            found = [w for w in words(m.group(1)) if len(w) >= 2 and not gazetteer().is_place(w.rstrip("市省"))]
            if found:
                counted = found[-1]
    m = None if counted else re.search(
        r"(?:多少|几)(?:万|亿)?(?:个|名|位|家|户|项|份|条|件|次|人次|人|场|期|册|本|所|座|批|对)?([\u4e00-\u9fff]{2,10})", text)
    if m and not re.match(r"增|减|到|至|提|降|上|下", m.group(1)):
        phrase = m.group(1)
        noun = re.split(_COUNTED_CUT, phrase)[0]
        if "的" in phrase[2:]:
            # 多少户日子困难的工人 / 多少名职工的子女: the noun after 的 is the one counted
            head = re.split(_COUNTED_CUT, phrase[phrase.index("的", 2) + 1:])[0]
            noun = head if len(head) >= 2 else noun
        if len(noun) >= 2:
            counted = noun
    if counted is None:
        m = re.search(r"([\u4e00-\u9fff]{2,8}?)(?:的)?(?:总数|人数|数量|数|总量)?(?:一共|总共|共)?(?:是|有|为|达|共)?(?:多少|几)[？?个]?\s*$", text)
        if m:
            before = [w for w in words(m.group(1))
                      if len(w) >= 2 and w not in stopwords() and not find_places(w, places)]
            if before:
                counted = before[-1]
    if counted and len(counted) == 2 and counted[0] in "个名位家户项座所条张部本支只头辆架艘":
        counted = counted[1:]               # 多少个镇: the measure word is not part of the noun
    if counted and len(counted) >= 2 and (not is_word(counted) or counted[0] in "万亿"):
        counted = None     # a fragment the parse cut out of the sentence (考到技能证 → 能证)
    if counted is None:
        m = re.search(r"(?:多少|几)(?:万|亿)?(?:个|名|位|家|户|项|座|所|条|张|部|本|支|只|头|辆|架|艘)([\u4e00-\u9fff])[？?]?\s*$", text)
        if m and m.group(1) not in stopwords() and m.group(1) not in "呢吗啊呀的了":
            counted = m.group(1)            # 多少个镇: a noun of one character, right after its measure word
    return counted


# a noun naming a person right before 叫什么/是哪位 (记者, 副厅长, 研究员, 车手, 网友, 种粮大户):
# the question asks for a name
_PERSON_BEFORE = re.compile(r"(?:[长员者师手家户主友官]|人员|家长)(?:的名字|名字)?(?:叫什么|是哪位|是什么人|叫啥)")


# the noun naming who is asked, right before 是谁/叫什么 (…的传教士是谁, 哪位建筑师设计的): it stands
# for the role asked when roles.txt has none (a person noun: 学家, 建筑师, 传教士, 外援, 登山者,
# 冠军, 得主, 候选人)
_PERSON_NOUN = re.compile(r"([\u4e00-\u9fff]{1,4}?(?:[家师员者手士官援军主人]|人员))(?:的名字|名字)?"
                          r"(?:是谁|叫什么|是哪位|叫啥|是什么人)|哪位([\u4e00-\u9fff]{1,4}?(?:[家师员者手士官援军主人]|人员))")


def _person_noun(text: str) -> tuple[str, ...]:
    m = _PERSON_NOUN.search(text)
    if not m:
        return ()
    noun = m.group(1) or m.group(2)
    last = (tokenize(noun) or [noun])[-1]           # 鸟类学家 of 野生朱鹮的鸟类学家
    return (last,) if len(last) >= 2 else ()


def _roles(text: str) -> tuple[str, ...]:
    roles = word_list("roles.txt")
    found, rest = [], text
    for r in roles:                     # longest first: 副主席 before 主席
        if r in rest:
            found.append(r)
            rest = rest.replace(r, " ")
    return tuple(found)


# who said something: the question's verb of saying, and the verbs a text names a speaker by
_SAID = re.compile(r"说|讲|提到|提及|介绍|表示|认为|指出|透露|提醒|强调|称|坦言|建议|呼吁")
_SPEAKER_VERBS = ("表示", "介绍", "认为", "指出", "透露", "提醒", "强调", "坦言", "建议", "呼吁", "说", "称")


def _speaker(text: str) -> tuple[str, ...]:
    """The verbs that name a speaker (陈宏亮表示), when the question asks who said something
    (说…的是谁, 谁提到…): they stand for the role asked."""
    return _SPEAKER_VERBS if _SAID.search(text) else ()


def _more(text: str) -> bool:
    more, less = has("more", text), has("less", text)
    return not (less and not more)


def asked_noun(text: str) -> str | None:
    """What a 什么 question asks for: 网址 of 网站的网址是什么, 称号 of 获得了什么称号."""
    m = re.search(r"([\u4e00-\u9fff]{2,6})(?:是|叫|为)什么|什么([\u4e00-\u9fff]{2,4})", text)
    if not m:
        return None
    found = words(m.group(1) or m.group(2))
    noun = (found[-1] if m.group(1) else found[0]) if found else ""
    return noun if len(noun) >= 2 else None


def is_word(phrase: str) -> bool:
    """A word of the dictionary, or a compound of such words (金秋助学金); not a fragment
    that only jieba's guesswork joined (能证, 人进)."""
    freq = tokenizer().FREQ
    if freq.get(phrase, 0) > 0:
        return True
    parts = tokenizer().lcut(phrase)
    return len(parts) > 1 and all(freq.get(w, 0) > 0 for w in parts)


# a place the gazetteer does not know, named with its suffix: 白河市, 青川县, 锡林郭勒盟
_PLACE_SUFFIX = ("自治州", "自治县", "新区", "市", "县", "区", "州", "盟", "旗")
_GENERIC_PLACE = re.compile(r"^(?:全|本|该|各|每|这|那|哪|某|其他|其它|城|郊|市|辖|社|园|景|山|林|牧|矿|灾|老|特|"
                            r"开发|工业|高新|经济|保税|示范|试验|新|小|校|厂|片|外|省|县|区|地|多少|什么|自治|[一二三四五六七八九十两几0-9])")


@functools.lru_cache(maxsize=1)
def _union_terms() -> frozenset[str]:
    from ..lexicon import union_terms
    return frozenset(union_terms())


def unknown_places(text: str, known: frozenset[str] = frozenset()) -> list[str]:
    """Places a question names with a suffix that neither the gazetteer nor ``known`` holds
    (白河市有多少个基层工会组织？ → 白河): the answer must not come from another place's report."""
    g = gazetteer()
    toks = [t for t in tokenizer().tokenize(text)]
    out: list[str] = []
    for i, (tok, start, end) in enumerate(toks):
        name = None
        suffix = next((s for s in _PLACE_SUFFIX if tok.endswith(s)), None)
        if suffix and len(tok) - len(suffix) >= 2:
            name = tok[:-len(suffix)]                   # 青川县, 锡林郭勒盟 as one word
        elif tok[:1] in "市县区州盟旗" and i and (tok == tok[:1] or tok[1:] in ("有", "的", "在", "是", "共", "总")):
            prev = toks[i - 1][0]                        # 白河 / 市有
            if 2 <= len(prev) <= 4 and re.fullmatch(r"[\u4e00-\u9fff]+", prev):
                name = prev
        if not name or not re.fullmatch(r"[\u4e00-\u9fff]{2,6}", name) or _GENERIC_PLACE.match(name):
            continue
        if g.is_place(name) or name in known or name in stopwords():
            continue
        whole = name + (suffix or tok[:1])
        if whole in _union_terms() or (tokenizer().FREQ.get(whole[-2:], 0) >= 100 and not tokenizer().FREQ.get(whole, 0)):
            continue                                     # 惠民超市, 旅游景区: a word, not a place
        if name not in out:
            out.append(name)
    return out


# 多少 or 几 with the measure word it asks in (多少项, 几座, 多少人次)
_MEASURE_ASKED = re.compile(r"(?:多少|几)(?:人次|[个项座名位家户所条件次场届批台辆部架只头张份本册])")


def content_terms(text: str, q: Query | None = None) -> list[str]:
    """The words of a question that say what is asked: no places, years, question words."""
    stop = stopwords()
    place_names = set(q.places) if q else set()
    out: list[str] = []
    clean = text
    for org in (q.orgs if q else ()):
        clean = clean.replace(org, " ")
    clean = re.sub(r"[由从]多少.{0,8}?(?:到|至)多少", " ", clean)   # 会员数由多少增加到多少
    # 比前一年增加了多少: the time compared with is not a word of the thing asked
    clean = re.sub(r"比(?:前一年|上一年|去年|上年同期|上年|同期|往年|\d+年前|[一二三四五六七八九十]+年前)", " ", clean)
    for f in sorted(find_figures(clean), key=lambda f: -f.start):     # 从60.65万涨到83.13万: no 万涨
        if f.kind not in ("year", "date") and re.search(r"\d", f.text):    # 一类, 二类 stay: names of kinds
            clean = clean[:f.start] + " " + clean[f.end:]
    clean = _TIME_WORDS.sub(" ", clean)
    clean = _MEASURE_ASKED.sub(" ", clean)          # 多少项专利: 专利, not 项专利
    clean = _QUESTION_WORDS.sub(" ", clean)
    if q is not None and q.form != "plain":
        for section in ("sum", "several", "more", "less"):
            clean = _words()[section].sub(" ", clean)
    clean = re.sub(r"\d+(?:\.\d+)?", " ", clean)
    quantity = set(word_sections("question_words.txt")["quantity"])
    for w in _merge_unknown_names(words(clean)):
        w = _trim_guess(w)
        if w in quantity:
            continue
        if w in stop or len(w) < 1 or w in out:
            continue
        if any(w == p or w == p + "市" or w == p + "省" or w == p + "县" for p in place_names) \
                or gazetteer().is_place(w.rstrip("市省")):
            continue
        if re.fullmatch(r"[年月日个名位人项家户份条件次场期册本所座批对元万亿]+", w) or \
                re.fullmatch(r"[一二三四五六七八九十两几]+[个场项次届批]", w):
            continue
        if w in ("市总", "市总工会", "总工会"):
            continue
        out.append(w)
    # one character split off a compound (金 of 金秋助学金, 获 of 获评) says little and matches
    # everywhere; it counts only when nothing longer is asked
    longer = [w for w in out if len(w) > 1]
    return longer if longer else out


def _trim_guess(w: str) -> str:
    """A word jieba only guessed (not in its dictionary) that ends in a function word (松有 of
    鸡毛松有多高, 市有 of 白河市有) loses it; a place suffix alone is no word."""
    if len(w) >= 2 and w[-1] in "有是的在为了从到由于对向被把给跟和与及" and tokenizer().FREQ.get(w, 0) == 0:
        w = w[:-1]
    elif len(w) == 2 and w[0] in "从到由于对向被把给跟和与及" and tokenizer().FREQ.get(w, 0) == 0:
        w = w[1:]
    return "" if w in ("市", "县", "区", "省", "州") else w


def _merge_unknown_names(tokens: list[str]) -> list[str]:
    """Names the dictionary does not know come out of jieba in single characters (萱/侬/律) or
    as a surname and a word (林/永康): put them back together."""
    single, _ = surnames()
    stop = stopwords()
    freq = tokenizer().FREQ
    out: list[str] = []
    run: list[str] = []
    for t in tokens + [""]:
        if len(t) == 1 and "\u4e00" <= t <= "\u9fff" and t not in stop:
            run.append(t)
            continue
        if len(run) == 1 and run[0] in single and len(t) == 2 and "\u4e00" <= t[0] <= "\u9fff":
            out.append(run[0] + t)          # 林永康
        elif len(run) >= 2 and all(freq.get(ch, 0) < 10_000 for ch in run):
            out.append("".join(run))        # 萱侬律: characters seldom used as words of their own
        else:
            out.extend(run)                 # 店/月/卡/钱: words, not a name
            if t:
                out.append(t)
        run = []
    return [t for t in out if t]


# --------------------------------------------------------------------------- enumerations

_LIST_SEP = re.compile(r"、|，|,|和|与|及|以及|跟|同")
_GROUP_WORDS = re.compile(r"这?(?:[两二三四五六七八九几]|\d+)(?:个|座)?(?:城市|地方|市|地|县|区|省|项)(?:里|中|之中|当中)?|"
                          r"各(?:自|是|有|为)?|分别|加起来|加在一起|合起来|相加|一共|总共|合计|共计|总计|之和|总和|"
                          r"哪(?:个|一个|里|座|家)?(?:市|城市|地方|地区|单位)?(?:的)?|谁|(?:最|更|比较|较)(?:多|少|高|低|大|小)|"
                          r"(?:更|最)$|相比|比较|对比")


def enumeration(text: str, places: tuple[str, ...] = ()) -> tuple[int, int, list[str]] | None:
    """The list of things a question names (泸州、内江、南充; 高级技师、技师、高级工; 一类、二类、
    三类): its span in ``text`` and its items, or None. Places are taken as the question's places;
    other items are the last word before each 、 (the first item's length in words sets how much
    of the last item belongs to the list: 三类|工会组织)."""
    named = [p for p in places if p in text]
    joined = joined_places(text, named)
    if len(joined) >= 2:
        named = joined
    elif len(named) >= 2 and re.search(r"[和与及、]", text):
        other = _listed(text)                  # 长沙南到宜春的二等座和一等座: the seats are the list
        if other and not any(item in named for item in other[2]):
            return other
    if len(named) >= 2:
        spans = sorted((text.find(p), text.find(p) + len(p)) for p in named)
        a, b = spans[0][0], _past_suffix(text, spans[-1][1])
        while m := _NEXT_PLACE.match(text, b):       # 佛山、东莞、中山三市: 中山 too, though not known
            spans.append((m.start(1), m.end(1)))
            b = _past_suffix(text, m.end(1))
        return a, b, [text[s:e] for s, e in spans]
    return _listed(text)


def _past_suffix(text: str, i: int) -> int:
    """The end of a place name at ``i`` with its 市/县/区/省/州."""
    while i < len(text) and text[i] in "市县区省州":
        i += 1
    return i


_NEXT_PLACE = re.compile(r"[、和与及]([\u4e00-\u9fff]{2,4}?)(?=[市县区州]|[两二三四五六七八九十]个?[市县区地])")


def _listed(text: str) -> tuple[int, int, list[str]] | None:
    """The list of things (not places) a question names: 高级技师、技师、高级工, or a pair 甲和乙."""
    if "、" not in text:
        return _pair(text)
    first = text.index("、")
    seps = [first]
    i = first
    while True:
        m = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]{1,8}?(、|和|及|与)").match(text, i + 1)
        if not m or m.group(1) != "、" and not re.match(r"[\u4e00-\u9fffA-Za-z0-9]{1,8}", text[m.end():]):
            break
        seps.append(m.end() - 1)
        i = m.end() - 1
        if m.group(1) != "、":
            break
    before = words(text[:first])
    if not before:
        return None
    head = before[-1]
    k = 1
    a = first - len(head)
    items = [head]
    for s, t in zip(seps, seps[1:] + [None]):
        segment = text[s + 1:t] if t is not None else text[s + 1:]
        if t is None:
            toks = words(segment)
            segment = "".join(toks[:k]) if toks else ""
        if not segment or len(segment) > 8:
            return None
        items.append(segment)
    b = seps[-1] + 1 + len(items[-1])
    if len(items) < 2:
        return None
    return a, b, items


_PAIR = re.compile(r"(?:和|与|及|以及)([\u4e00-\u9fffA-Za-z0-9]{1,12}?)的?(?=各自|各是|各有|各为|各多少|各几|分别)")


def _pair(text: str) -> tuple[int, int, list[str]] | None:
    """Two things joined by 和/与/及 before 各/分别 (组建率和入会率各是多少; 晋升高级技师和技师的各多少人):
    the word before the conjunction and the words after it."""
    m = _PAIR.search(text)
    if not m:
        return None
    second = m.group(1)
    # 二等座和一等座票价分别…: the items are 二等座 and 一等座, and 票价 is asked of both
    last = re.split(r"[的，,、\s]", text[:m.start()])[-1]
    lead = find_places(last)
    if lead and lead[0].start == 0:
        last = last[lead[0].end:]                  # 南通|职工总数和工会会员数: the place is not an item
    chunk = re.search(r"[\u4e00-\u9fffA-Za-z0-9]{2,8}$", last)
    if chunk:
        k = second.find(chunk.group(0)[-1])
        first = chunk.group(0)[-(k + 1):]          # as long as the second (第一产业 of 安徽一季度第一产业)
        if 1 <= k < len(second) - 1 and first != second[:k + 1]:
            return m.start() - len(first), m.start(1) + k + 1, [first, second[:k + 1]]
        if len(chunk.group(0)) <= len(second) + 1 and len(second) <= 8:
            return m.start() - len(chunk.group(0)), m.end(1), [chunk.group(0), second]   # 快递员和外卖骑手
    if len(second) > 8:
        return None
    before = words(text[:m.start()])
    if not before or not re.fullmatch(r"[\u4e00-\u9fffA-Za-z0-9]+", before[-1]):
        return None
    head = before[-1]
    return m.start() - len(head), m.end(1), [head, second]


def item_questions(text: str, places: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """One question per item of the question's list, each asking for that item only:
    "内江一类、二类工会组织分别有多少个？" → [("一类", "内江一类工会组织有多少个？"), ("二类", …)];
    [] when the question names no list."""
    found = enumeration(text, places)
    if not found:
        return []
    a, b, items = found
    out = []
    rest = _GROUP_WORDS.sub("", text[b:])
    rest = re.sub(r"^[，,\s]*比?", "", rest)                     # 泸州|这三地里，哪里的工会会员最少
    rest = re.sub(r"(?<=[\u4e00-\u9fff])(?<![多几])(?:多|少|高|低)(?=[？?]*$)", "", rest)   # 哪个市的职工书屋多
    lead = _GROUP_WORDS.sub("", text[:a])
    for item in items:
        sub = lead + item + rest
        sub = re.sub(r"[，,]\s*(?=[？?]|$)", "", sub).strip(" ，,")
        if not re.search(r"多少|几|是|哪|吗|率|比例", re.sub(r"[？?。]+$", "", sub)):
            sub = re.sub(r"[？?。]*$", "", sub) + "有多少？"
        out.append((item, sub))
    return out
