"""Step 1: a question becomes a frozen Query (places, years, what is asked, in what form, unit,
the words that describe the thing asked); follow-ups are written out in full."""

from __future__ import annotations

import dataclasses

import pytest

from qa.answer.analysis import analyze, unknown_places, wh_context
from qa.answer.followup import history_questions, rewrite


@pytest.mark.parametrize("question, places, years, asks, form, unit_class", [
    ("截至2008年6月底，南宁市共有多少个基层工会组织？", ("南宁",), (2008,), "count", "plain", "count"),
    ("广西基层工会组建率是多少？", ("广西",), (), "percent", "plain", "percent"),
    ("南通市总工会哪一年建立了困难职工援助中心？", ("南通",), (), "date", "plain", None),
    ("阜新市委书记是谁？", ("阜新",), (), "name", "plain", None),
    ("内江和南充，哪个市五年来处理的劳动争议更多？", ("内江", "南充"), (), "count", "compare", None),
    ("柳州市工会会员数增加了多少万人？", ("柳州",), (), "count", "difference", "people"),
    ("柳州市工会会员数由多少增加到多少？", ("柳州",), (), "count", "trend", "people"),
    ("内江市金秋助学筹集了多少资金？", ("内江",), (), "amount", "plain", "money"),
    ("南寧市有多少基層工會？", ("南宁",), (), "count", "plain", None),
    ("柳州那两场红利日活动的销售额加起来一共多少万元？", ("柳州",), (), "amount", "sum", "money"),
    ("泸州、内江、南充三个市，哪个的工会会员最多？", ("泸州", "内江", "南充"), (), "count", "compare", None),
    ("内江一类、二类工会组织分别有多少个？", ("内江",), (), "count", "several", "count"),
    ("纽西兰鸡毛松有多高？", (), (), "measure", "plain", "length"),
    ("帕特纳赫峡谷有多长时间？", (), (), "duration", "plain", "time"),
    # two places joined: added up with 一共, each one's figure without (never one alone)
    ("泸州和内江的基层工会组织一共有多少个？", ("泸州", "内江"), (), "count", "sum", "count"),
    ("南宁市、柳州市的工会会员有多少？", ("南宁", "柳州"), (), "count", "several", None),
    ("广西南宁有多少工会会员？", ("广西", "南宁"), (), "count", "plain", None),
    ("桂林历年来共有多少名劳模？", ("桂林",), (), "count", "plain", None),     # a total, not a trend
    ("看台能力从每人多少台提高到多少台？", (), (), "count", "trend", None),
    ("自治区总工会的会议是哪天开的？", (), (), "date", "plain", None),          # 自治区 is no place 自治
    ("电视剧每一集大约有多少分钟？", (), (), "duration", "plain", "time"),        # 分钟, not 分
    ("坐高铁要多少个小时？", (), (), "duration", "plain", "time"),
    ("该地区占全国面积的多少？", (), (), "percent", "plain", "percent"),          # a share of an area
    ("女职工占全市职工总数的多少？", (), (), "percent", "plain", "percent"),
    ("非公企业占多少家？", (), (), "count", "plain", "count"),                  # a number of them
    ("这所学校创办于什么时期？", (), (), "date", "plain", None),
    ("崔真实有几个孩子？", (), (), "count", "plain", "people"),                 # 2名子女 or 两个
    ("南宁有多少个基层工会？", ("南宁",), (), "count", "plain", "count"),
    ("哪位分析师提到毛利率是关注焦点？", (), (), "name", "plain", None),      # a person, though 率 is named
    ("幼儿园登记今年几号开始？", (), (), "date", "plain", None),               # a day, not a number of 号
])
def test_what_a_question_asks(question, places, years, asks, form, unit_class):
    q = analyze(question)
    assert (q.places, q.years, q.asks, q.form) == (places, years, asks, form)
    if unit_class is not None:
        assert q.unit_class == unit_class


@pytest.mark.parametrize("question, asks, years, unit_class", [
    ("2021年宝马全球销量", "count", (2021,), None),      # no 多少: the attribute says what is asked
    ("2022春运开始时间", "date", (2022,), None),          # a year without 年
    ("南宁市人口", "count", (), "people"),
    ("广东2023年GDP", "amount", (2023,), "money"),
])
def test_keyword_questions_are_questions_too(question, asks, years, unit_class):
    q = analyze(question)
    assert q.keyword and q.asks == asks and q.years == years and q.unit_class == unit_class


def test_the_query_is_frozen_and_changed_by_replace():
    q = analyze("防城港市组建了多少个工会组织？")
    with pytest.raises(dataclasses.FrozenInstanceError):
        q.places = ("南宁",)
    assert dataclasses.replace(q, places=("南宁",)).places == ("南宁",)


def test_query_terms_leave_out_places_years_and_question_words():
    q = analyze("2014年南宁市有多少名职工参加了技能比赛？")
    assert "南宁" not in q.terms and "多少" not in q.terms and "2014" not in " ".join(q.terms)
    assert {"职工", "参加"} <= set(q.terms)
    assert q.counted == "职工" and q.unit == "人"
    # the measure word asked in is not part of the thing counted
    assert "专利" in analyze("大桥拿了多少项专利？").terms and "项专利" not in analyze("大桥拿了多少项专利？").terms
    assert "桥" in analyze("建了几座桥？").terms


@pytest.mark.parametrize("question, counted, unit_class", [
    ("内江这五年一共帮了多少户日子困难的工人和劳模？", "工人", "household"),   # the noun after 的
    ("2018年柳州参加培训的职工中有多少人晋升为高级工？", "晋升", "people"),     # 人 is a measure word
    ("广西电网公司这三年里考到技能证的人多了大概多少？", None, "people"),      # not the fragment 能证
    ("汶川地震以后，南充工会从上面要到了多少重建的钱？", "重建", "money"),
    ("白金汉郡有多少个镇？", "镇", "count"),                                   # one character after 个
])
def test_the_noun_counted_and_the_unit_asked(question, counted, unit_class):
    q = analyze(question)
    assert q.counted == counted and q.unit_class == unit_class
    assert "大概" not in q.terms and "达到" not in analyze("企业参与面达到了多少？").terms


@pytest.mark.parametrize("text, places", [
    ("白河市有多少个基层工会组织？", ["白河"]),
    ("请问青川县的工会会员有多少？", ["青川"]),
    ("惠民超市呢？", []),          # a union term, not a city called 惠民超
    ("全市有多少？", []),
    ("三个市，哪个最多？", []),
    ("这个城市有多少人？", []),
    ("北京市有多少个基层工会？", []),  # known to the gazetteer
])
def test_places_no_gazetteer_knows_are_still_places(text, places):
    assert unknown_places(text) == places


def test_an_unknown_place_is_one_of_the_query_places():
    assert analyze("白河市有多少个基层工会组织？").places == ("白河",)


def test_the_words_around_the_question_word():
    assert wh_context("艾宁顿俱乐部成立于哪一年？") == ("艾宁顿俱乐部成立于", "")
    assert wh_context("南宁有多少人参加了比赛？") == ("南宁有", "人参加了比赛")


def test_compare_details():
    q = analyze("泸州和内江哪个市的职工书屋多？")
    assert q.form == "compare" and q.more is True and q.asks == "count"
    assert analyze("哪个市的职工书屋最少？南宁还是柳州？").more is False
    assert analyze("南宁的会员是不是比柳州多？").yesno


# --------------------------------------------------------------------------- follow-ups

def test_follow_ups_are_written_out_in_full():
    assert rewrite("那绵阳呢？", ["泸州市工会会员有多少？"]) == "绵阳市工会会员有多少？"
    assert rewrite("惠民超市呢？", ["内江市建了几个困难职工帮扶中心？"]) == "内江惠民超市有多少？"
    assert rewrite("三类的呢？", ["内江市一类工会组织有多少个？"]) == "内江市三类工会组织有多少个？"
    assert rewrite("那2012年呢？", ["2008年南宁有多少个基层工会？"]) == "2012年南宁有多少个基层工会？"


def test_a_complete_question_takes_a_place_only_when_it_goes_on_from_the_last():
    assert rewrite("香蕉会不会开拖拉机？", ["北京市有多少基层工会？"]) == "香蕉会不会开拖拉机？"
    assert rewrite("那会员有多少？", ["南宁市有多少基层工会？"]) == "南宁那会员有多少？"
    assert rewrite("2012年新发展了多少会员？", ["泸州市工会会员有多少？"]).startswith("泸州")


def test_history_comes_in_three_shapes():
    assert history_questions(["a", ("b", "x"), {"role": "user", "content": "c"},
                              {"role": "assistant", "content": "d"}, 5, None]) == ["a", "b", "c"]


@pytest.mark.parametrize("text, parts", [
    ("…接待了多少件来信来访？涉及多少人次？", ["…接待了多少件来信来访？", "涉及多少人次？"]),
    ("各级工会办了多少期培训班，培训了多少人次", ["各级工会办了多少期培训班", "培训了多少人次"]),
    ("慰问劳模多少人次 慰问金多少", ["慰问劳模多少人次", "慰问金多少"]),
    ("给农民工送了多少场电影、多少册书", ["给农民工送了多少场电影", "多少册书"]),
    ("截至2008年6月底，南宁市共有多少个基层工会组织？", ["截至2008年6月底，南宁市共有多少个基层工会组织？"]),
    ("泸州和内江哪个市的职工书屋多，多多少？", ["泸州和内江哪个市的职工书屋多，多多少？"]),
    ("近几年，全市建了多少个书屋", ["近几年，全市建了多少个书屋"]),
    ("内江 职工书屋 数量", ["内江 职工书屋 数量"]),
])
def test_a_line_is_split_into_the_questions_it_asks(text, parts):
    from qa.answer.followup import split_parts
    assert split_parts(text) == parts


@pytest.mark.parametrize("text, asks", [
    ("报道这条新闻的记者叫啥", "name"),
    ("介绍早稻情况的副厅长叫什么", "name"),
    ("哪个研究员认为成交会回升？", "name"),
    ("这个活动叫什么", "what"),
    ("这座塔叫什么", "what"),
])
def test_a_person_before_the_question_word_asks_for_a_name(text, asks):
    assert analyze(text).asks == asks


@pytest.mark.parametrize("text, roles", [
    ("南宁市总工会主席是谁？", ("主席",)),                                 # not 总工 of 总工会
    ("好物购的CEO是谁", ("CEO",)),
    ("沈曜之他爸叫什么名字？", ("爸",)),
    ("与徐光启合作翻译《几何原本》的传教士是谁？", ("传教士",)),            # a person noun stands for the role
    ("南博老大殿是哪位建筑师设计的？", ("建筑师",)),
    ("1981年发现野生朱鹮的鸟类学家是谁？", ("鸟类学家",)),
    ("谁发明了电话", ()),
    ("2024厦门马拉松男子全程冠军是谁？", ("冠军",)),
    ("这个奖的得主是谁", ("得主",)),
    ("那个人是谁", ()),                                                  # 人 alone names no one
])
def test_the_role_a_who_question_asks(text, roles):
    assert analyze(text).roles == roles


@pytest.mark.parametrize("text, items", [
    ("全区基层工会组建率和入会率各是多少", ["组建率", "入会率"]),
    ("2018年晋升高级技师和技师的各多少人", ["高级技师", "技师"]),
    ("职工总数与工会会员数分别是多少", ["职工总数", "工会会员数"]),
    ("长沙南到宜春的二等座和一等座票价分别是多少", ["二等座", "一等座"]),      # 票价 asked of both
    ("安徽一季度第一产业和第三产业增加值分别是多少", ["第一产业", "第三产业"]),
    ("成都入会的快递员和外卖骑手分别有多少人", ["快递员", "外卖骑手"]),
    ("济南历下区和槐荫区分别建成了多少个书屋", ["历下", "槐荫"]),            # not 济南: not in the list
    ("全区基层工会组建率和入会率是多少", None),
])
def test_two_things_joined_before_each_are_a_list(text, items):
    from qa.answer.analysis import enumeration, item_questions
    found = enumeration(text, analyze(text).places)
    assert (found[2] if found else None) == items
    if text.startswith("全区") and items:
        assert [sub for _, sub in item_questions(text)] == ["全区基层工会组建率多少", "全区基层工会入会率多少"]


@pytest.mark.parametrize("text, places", [
    ("湖南路街道有多少个居委会？", ()),            # a street named after a province
    ("南京东路步行街有多长？", ()),
    ("南宁市民族大道有多长？", ("南宁",)),
    ("北京街道办事处有多少人？", ("北京",)),
])
def test_a_street_named_after_a_place_is_no_place(text, places):
    assert analyze(text).places == places


@pytest.mark.parametrize("text, asks, unit, unit_class", [
    ("宁波舟山港12月处理了多少集装箱？", "count", None, None),       # 集 begins a longer word
    ("这个方子一次能做几个月饼？", "count", "个", "count"),           # 个, not 个月
    ("图书馆有多少本书？", "count", "本", "count"),                  # a measure word glued to a noun
    ("签证一般几个工作日出签？", "duration", "工作日", "time"),
    ("今年放了多少招生名额？", "count", None, None),                 # 名额 is no sum of money
    ("这个电饭煲的加热功率有多大？", "measure", None, "power"),       # 功率 is watts, not a share
    ("劳动争议调解成功率是多少？", "percent", "%", "percent"),
    ("利率3.1%的话月供多少？", "count", None, None),                 # the rate is given, not asked
    ("新拿的驾照实习期有多长？", "duration", None, "time"),          # a period is long in months
    ("这条隧道有多长？", "measure", None, "length"),
])
def test_what_a_question_measures(text, asks, unit, unit_class):
    q = analyze(text)
    assert (q.asks, q.unit, q.unit_class) == (asks, unit, unit_class)


@pytest.mark.parametrize("text, form, asks", [
    ("结对帮扶活动是市总和哪些单位联合开展的？", "plain", "list"),   # 市总 and 和, not 总和
    ("这家公司是由哪两家单位共同打造的？", "plain", "other"),        # who, not how many in all
    ("桂林哪一年在全区率先开展大病互助？", "plain", "date"),          # 率先 is no rate
    ("内江和南充的基层工会一共有多少个？", "sum", "count"),
])
def test_sums_are_asked_with_how_many(text, form, asks):
    q = analyze(text)
    assert (q.form, q.asks) == (form, asks)


@pytest.mark.parametrize("text, form", [
    ("东坪区上半年哪个街道新增就业最多？", "most"),
    ("东坪区新增就业最少的是哪个街道？", "most"),
    ("泸州、内江、南充三个市，哪个的工会会员最多？", "compare"),     # the places are named
    ("哪个市的职工书屋多？", "plain"),                              # no 最: not the top of a list
])
def test_the_top_of_a_list_is_asked_with_zui(text, form):
    assert analyze(text).form == form
