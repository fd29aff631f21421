"""Figures: numerals, units, 万/亿, %, qualifiers, ranges, dates; metric phrases; the figure table."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from qa.figures import (canonical_metric, figure_place, figure_table, find_figures, from_to_pairs,
                        metric_phrase, parse_chinese_number, parse_number)
from qa.passages import chunk_report
from qa.reports import parse_report


def figs(text):
    return [(f.text, f.value, f.unit, f.kind, f.qualifier) for f in find_figures(text)]


@pytest.mark.parametrize("text, expected", [
    ("全市基层工会组织8019个", [("8019个", 8019, "个", "count", "")]),
    ("工会会员总数76.8万人", [("76.8万人", 768000, "人", "count", "")]),
    ("职工总数近150万人", [("近150万人", 1500000, "人", "count", "近")]),
    ("帮助农民工成功讨薪3000多万元", [("3000多万元", 30000000, "元", "money", "多")]),
    ("1.5万多名职工", [("1.5万多名", 15000, "人", "count", "多")]),
    ("累计筹集帮扶资金1396.5万余元", [("1396.5万余元", 13965000, "元", "money", "余")]),
    ("组建率97.31%", [("97.31%", 97.31, "%", "percent", "")]),
    ("占百分之三十", [("百分之三十", 30, "%", "percent", "")]),
    ("培训职工近两万人次", [("近两万人次", 20000, "人次", "count", "近")]),
    ("年均近百万元", [("近百万元", 1000000, "元", "money", "近")]),
    ("世界十多个国家", [("十多个", 10, "个", "count", "多")]),
    ("生长于海拔400米至800米的地区", [("400米至800米", 400, "米", "measure", "")]),   # a range, one figure
    ("１２３４５人", [("１２３４５人", 12345, "人", "count", "")]),
])
def test_figures_are_parsed_verbatim_with_their_values(text, expected):
    got = figs(text)
    assert [(t, pytest.approx(v), u, k, q) for t, v, u, k, q in expected] == got
    for f in find_figures(text):
        assert text[f.start:f.end] == f.text


def test_ranges_and_dates_and_ordinals():
    (r,) = find_figures("设立8-10个工种")
    assert (r.value, r.value_hi, r.unit) == (8, 10, "个")
    (d,) = find_figures("截至2008年6月底，")
    assert d.kind == "date" and d.value == 2008 and d.text == "2008年6月底"
    assert find_figures("获得第3名")[0].kind == "ordinal"
    assert find_figures("前10名破格晋升")[0].kind == "ordinal"
    assert find_figures("5年来，全市")[0].kind == "period"


@pytest.mark.parametrize("text", ["一线职工", "一是观念创新", "十佳技术能手", "五一劳动奖章", "“十一五”时期",
                                  "ISO9000质量管理", "“4·15”红利日", "《泸州市<12351>热线》", "T-92防空"])
def test_words_that_merely_contain_numerals_are_not_figures(text):
    assert not [f for f in find_figures(text) if f.kind in ("count", "money", "percent")]


def _to_chinese(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n == 0:
        return "零"

    def below_10000(x: int) -> str:
        out, zero = "", False
        for value, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
            d = x // value
            x %= value
            if d:
                if zero:
                    out += "零"
                    zero = False
                out += digits[d] + name
            elif out:
                zero = True
        return out

    parts = []
    if n >= 10**8:
        parts.append(below_10000(n // 10**8) + "亿")
        n %= 10**8
        if n and n < 10**7:
            parts.append("零")
    if n >= 10**4:
        parts.append(below_10000(n // 10**4) + "万")
        n %= 10**4
        if n and n < 1000:
            parts.append("零")
    if n:
        parts.append(below_10000(n))
    return "".join(parts)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=10**11))
def test_chinese_numerals_round_trip(n):
    assert parse_chinese_number(_to_chinese(n)) == n


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=10**9), st.sampled_from(["", "万", "亿"]),
       st.sampled_from(["", ".5", ".25"]), st.booleans())
def test_arabic_numerals_round_trip(n, mult, frac, commas):
    num = f"{n:,}" if commas else str(n)
    text = num + frac + mult
    expected = (n + float(frac or 0)) * {"": 1, "万": 1e4, "亿": 1e8}[mult]
    assert parse_number(text) == pytest.approx(expected)
    (f,) = [f for f in find_figures(f"共计{text}人，") if f.kind == "count"]
    assert f.value == pytest.approx(expected) and f.text == text + "人"


def test_neighbouring_figures_keep_their_own_words():
    sentence = "全市工会共培训下岗职工1200人，介绍就业800人，实现再就业650人。"
    fs = find_figures(sentence)
    phrases = [metric_phrase(sentence, f, fs) for f in fs]
    assert phrases == ["工会共培训下岗职工", "介绍就业", "实现再就业"]
    sentence = "目前已在当地建立了11个工会工作站。"
    fs = find_figures(sentence)
    assert metric_phrase(sentence, fs[0], fs) == "在当地建立工会工作站"


def test_metric_phrases_line_up_across_wordings():
    assert canonical_metric("工会会员总数") == canonical_metric("会员数") == canonical_metric("发展会员") == "会员"
    assert canonical_metric("基层工会组织数") == canonical_metric("基层工会") == "基层工会组织"


def test_from_to_pairs():
    s = "全市基层工会组织数从3590家增加到9174家，工会会员数由60.65万人增加到83.13万人。"
    pairs = from_to_pairs(s, find_figures(s))
    assert [(a.text, b.text) for a, b, _ in pairs] == [("3590家", "9174家"), ("60.65万人", "83.13万人")]
    s = "基层工会委员会数由5年前的1951家增加到3305家"
    assert [(a.text, b.text) for a, b, _ in from_to_pairs(s, find_figures(s))] == [("1951家", "3305家")]


def test_figure_place_follows_the_scope_words():
    s = "目前全区已建基层工会覆盖单位18.02万个，组建率97.31%"
    f = find_figures(s)[1]
    assert figure_place(s, f.start, "梧州") == "广西"
    s = "截至2008年6月底，全市基层工会组织8019个"
    assert figure_place(s, find_figures(s)[1].start, "南宁") == "南宁"


def test_figure_table_rows_from_a_small_report():
    raw = ("株洲市总工会 工作纪实\n\n截至2020年底，全市基层工会组织1200个，工会会员总数35.6万人。\n\n"
           "醴陵市总工会 做强品牌\n\n2019年，醴陵市发展会员25.8万人，筹集金秋助学资金约120.5万元。\n")
    report = parse_report(raw, "t.txt")
    rows = figure_table(chunk_report(report))
    by_figure = {r["figure"]: r for r in rows}
    assert set(by_figure) == {"1200个", "35.6万人", "25.8万人", "约120.5万元"}
    r = by_figure["35.6万人"]
    assert (r["place"], r["metric"], r["value"], r["unit"], r["time"]) == ("株洲", "会员", 356000, "人", "截至2020年底")
    r = by_figure["25.8万人"]
    assert (r["place"], r["metric"], r["time"]) == ("醴陵", "会员", "2019年")
    r = by_figure["约120.5万元"]
    assert r["qualifier"] == "约" and r["kind"] == "money" and r["source"] == "t.txt"
    for r in rows:
        assert r["figure"] in r["sentence"]


def test_a_computed_figure_keeps_the_precision_of_its_operands():
    from qa.answer.strategies import format_like
    a, b = find_figures("会员76.8万人，另一市48.74万人")
    assert format_like(a.value - b.value, a, operands=(a, b)) == "28.06万人"   # not 28.1万人
    x, y = find_figures("由60.65万人增加到83.13万人")
    assert format_like(y.value - x.value, y, operands=(x, y)) == "22.48万人"
    p, q = find_figures("会员1.5万人，新增3000人")
    assert format_like(p.value - q.value, p, operands=(p, q)) == "1.2万人"


def test_a_span_of_clock_time_is_one_figure():
    found = [f.text for f in find_figures("开放时间为夏季7:30至18:30；峰时段8:00—21:00，谷时段21:00—次日8:00；每天9点到17点开放。")]
    assert found == ["7:30至18:30", "8:00—21:00", "21:00—次日8:00", "9点到17点"]
    assert [f.text for f in find_figures("会议于3月5日9:00开始")] == ["3月5日", "9:00"]


@pytest.mark.parametrize("text, figure, value", [
    ("夏季气温鲜少超过-30°C", "-30°C", -30.0),
    ("冬季可达−45℃", "−45℃", -45.0),
    ("湖面海拔-154米", "-154米", -154.0),
    ("最低气温零下30度", "零下30度", -30.0),
    ("气温55-71度", "55-71度", 55.0),
])
def test_a_minus_sign_belongs_to_its_figure(text, figure, value):
    (f,) = find_figures(text)
    assert (f.text, f.value) == (figure, value)


def test_a_range_with_its_unit_on_both_ends_is_one_figure():
    figs = find_figures("种子含油率为25%—33%，奖励3000元~5000元，取消航班316架次")
    assert [(f.text, f.value, f.value_hi) for f in figs] == [
        ("25%—33%", 25.0, 33.0), ("3000元~5000元", 3000.0, 5000.0), ("316架次", 316.0, None)]


@pytest.mark.parametrize("text, figure, kind", [
    ("842年，朗达玛被刺杀。", "842年", "year"),             # a three-digit year opening its sentence
    ("西元14年，提庇留继位。", "西元14年", "year"),          # an era names a year of one or two digits
    ("陵墓于公元前28年修建。", "公元前28年", "year"),
    ("寺院存在了842年，", "842年", "duration"),             # a span of years stays one
    ("已有800年的历史。", "800年", "duration"),
    ("王维（701年—761年），字摩诘。", "701年", "year"),        # a lifespan
    ("王维（701年—761年），字摩诘。", "761年", "year"),
    ("前后用了300年—400年。", "300年—400年", "duration"),     # a range of durations, one figure
    ("建筑面积89平米，套内72平。", "89平米", "measure"),        # 平米 is 平方米
])
def test_a_year_is_told_from_a_span_of_years(text, figure, kind):
    f = next(f for f in find_figures(text) if f.text == figure)
    assert f.kind == kind


@pytest.mark.parametrize("text, figure, kind", [
    ("今年前5个月，全省进出口2319.6亿元。", "5个月", "period"),    # the span a figure is counted over
    ("按近6个月平均成交速度计算，去化周期约11.3个月。", "近6个月", "period"),
    ("工期比原计划提前3个月。", "3个月", "duration"),               # a quantity: how much earlier
    ("历时近3年建成。", "近3年", "duration"),
])
def test_a_span_that_dates_a_figure_is_a_period(text, figure, kind):
    assert next(f for f in find_figures(text) if f.text == figure).kind == kind


def test_a_phase_is_not_a_figure():
    # 一期设计年产能为5万辆: 一期 is the first phase, not one session
    assert [f.text for f in find_figures("一期设计年产能为5万辆，二期完成后将提升至10万辆。")] == ["5万辆", "10万辆"]
    assert [f.text for f in find_figures("共举办三期培训班。")] == ["三期"]


@pytest.mark.parametrize("text, figure, value", [
    ("评委会讨论了将近六个小时。", "将近六个小时", 6),          # hours, not six of something
    ("慢慢走两个半小时左右。", "两个半小时左右", 2.5),
    ("开了13个多小时。", "13个多小时", 13),
])
def test_hours_counted_with_ge_are_a_duration(text, figure, value):
    (f,) = find_figures(text)
    assert (f.text, f.kind, f.unit, f.value) == (figure, "duration", "小时", value)


@pytest.mark.parametrize("text, figure, value, value_hi", [
    ("表显里程5万到8万公里的车。", "5万到8万公里", 50000, 80000),   # 万 on both ends: one range
    ("标价8.8万的车，谈到8.2万到8.4万比较正常。", "8.2万到8.4万", 82000, 84000),
    ("预算5至8万元。", "5至8万元", 50000, 80000),                  # 万 once, for both
])
def test_a_range_with_its_multiplier_on_both_ends_is_one_figure(text, figure, value, value_hi):
    f = next(f for f in find_figures(text) if f.text == figure)
    assert (f.value, f.value_hi) == (value, value_hi)


@pytest.mark.parametrize("text, figure, kind, unit", [
    ("今年好像是4月20号开始登记。", "4月20号", "date", "日"),       # 号 for the day of the month
    ("地铁5号线开通。", "5号", "count", "号"),                        # a line number stays one
    ("全文仅85字。", "85字", "count", "字"),
    ("1250W大功率IH电磁加热。", "1250W", "measure", "瓦"),
    ("最后实际开了25桌。", "25桌", "count", "桌"),
    ("文件大小在20KB到80KB之间。", "20KB到80KB", "count", "KB"),
    ("热量大约在750到800千卡之间。", "750到800千卡", "measure", "千卡"),   # 千 of 千卡, not ×1000
    ("雨前茶价格为每斤1000元至2000元。", "每斤1000元至2000元", "money", "元"),
    ("卡了十来天没掉秤。", "十来天", "duration", "天"),
    ("领养人需年满22周岁。", "22周岁", "count", "岁"),
    ("狂犬疫苗在3月龄以上打。", "3月龄以上", "count", "月龄"),
    ("装机功率13200千瓦。", "13200千瓦", "measure", "千瓦"),
    ("水温以80至85摄氏度为宜。", "80至85摄氏度", "count", "度"),      # the unit on the range's end
    ("噪音：睡眠模式28dB", "28dB", "count", "分贝"),
])
def test_days_everyday_units_ranges_and_ages(text, figure, kind, unit):
    f = next(f for f in find_figures(text) if f.text == figure)
    assert (f.kind, f.unit) == (kind, unit)


@pytest.mark.parametrize("text, figure, value", [
    ("婚纱照活动价一万一千五，", "一万一千五", 11500),     # spoken short forms
    ("打疫苗加体检一共花了四百二。", "四百二", 420),
    ("一年下来花了三万左右。", "三万左右", 30000),
    ("报名费一千五。", "一千五", 1500),
    ("讲一千零一夜的故事。", None, None),                   # a numeral inside a name
    ("万一出事怎么办？", None, None),
    ("三百六十行，行行出状元。", None, None),
])
def test_amounts_said_the_spoken_way(text, figure, value):
    got = [(f.text, f.value) for f in find_figures(text) if f.kind == "number"]
    assert got == ([(figure, value)] if figure else [])


@pytest.mark.parametrize("text, figures", [
    ("水电全部重做大概1万8，", [("1万8", 18000, "number")]),            # not 1万 and 8
    ("工资1万8千元。", [("1万8千元", 18000, "money")]),                  # not 1万 and 8千元 (8000)
    ("首付1万8000元。", [("1万8000元", 18000, "money")]),
    ("花了3千5左右。", [("3千5左右", 3500, "number")]),
    ("参赛2万5千人。", [("2万5千人", 25000, "count")]),
    ("共3千余人。", [("3千余人", 3000, "count")]),                       # as before
    ("带石英石台面，花了9千。", [("9千", 9000, "number")]),              # 千 at a clause's end is the number's
    ("月薪8千左右。", [("8千左右", 8000, "number")]),
    ("惠及3千家企业。", [("3千家", 3000, "count")]),
    ("服务千家万户，", []),                                              # a multiplier alone is no number
    ("建成站点1 326个。", [("1 326个", 1326, "count")]),                # thousands set apart by a space
    ("面积1 326.5平方米。", [("1 326.5平方米", 1326.5, "measure")]),
    ("2023 100人", [("2023", 2023, "number"), ("100人", 100, "count")]),  # not a 2023100
])
def test_amounts_written_half_in_digits(text, figures):
    assert [(f.text, f.value, f.kind) for f in find_figures(text)] == figures


def test_a_day_with_its_time_of_day_is_one_date():
    assert [f.text for f in find_figures("从5月20日晚8点开售，9月5日上午9时30分开幕。")] == \
        ["5月20日晚8点", "9月5日上午9时30分"]


def test_spoken_numerals_read_the_last_digit_by_the_unit_before_it():
    from qa.figures import parse_chinese_number as p
    assert [p(t) for t in ("一万一千五", "四百二", "三万二", "一亿五", "十五", "一百零八", "一千零五", "五")] == \
        [11500, 420, 32000, 150000000, 15, 108, 1005, 5]


@pytest.mark.parametrize("text, figure, value, value_hi", [
    ("常温时的七成左右。", "七成左右", 70, None),             # tenths said as 成
    ("救回率能有七八成。", "七八成", 70, 80),
    ("每天收取千分之一的违约金。", "千分之一", 0.1, None),
])
def test_shares_said_in_words(text, figure, value, value_hi):
    (f,) = find_figures(text)
    assert (f.text, f.kind, f.value, f.value_hi) == (figure, "percent", pytest.approx(value), value_hi)


@pytest.mark.parametrize("text", ["一成不变。", "七成员工到场。", "第一成绩。"])
def test_cheng_that_is_no_share(text):
    assert not [f for f in find_figures(text) if f.kind == "percent"]


def test_a_change_from_one_figure_to_another_is_no_range():
    assert [f.text for f in find_figures("人均收入由5万元增加到8万元。")] == ["5万元", "8万元"]
    assert [f.text for f in find_figures("会员从3590家到9174家。")] == ["3590家", "9174家"]


@pytest.mark.parametrize("text, figure", [
    ("考试时间为6月7日至10日。", "6月7日至10日"),
    ("填报时间为7月3日8时至7月5日18时。", "7月3日8时至7月5日18时"),
    ("最佳季节是9月到10月。", "9月到10月"),
])
def test_a_span_of_days_is_one_date(text, figure):
    assert [f.text for f in find_figures(text) if f.kind == "date"] == [figure]


@pytest.mark.parametrize("text", ["售后电话：400-862-7799（工作日）", "咨询电话：0715-6608 2271", "电话：010-12345678"])
def test_a_telephone_number_is_no_figure(text):
    assert find_figures(text) == []


def test_ranges_and_counts_beside_a_telephone_pattern_stay_figures():
    assert [f.text for f in find_figures("全长12-15公里，1998-2003年")] == ["12-15公里", "2003年"]
    assert [f.text for f in find_figures("人数由1200-1500 1600人")][-1] == "1600人"
