"""Query analysis, score fusion (pure functions) and one search suite run over every mode."""

from __future__ import annotations

import pytest

from qa import Assistant, build_index
from qa.errors import InvalidParameter
from qa.retriever import analyze, place_match, rrf, weighted_fusion


def test_rrf_sums_reciprocal_ranks():
    fused = rrf([[1, 2, 3], [3, 1]], k=60)
    assert fused[1] == pytest.approx(1 / 61 + 1 / 62)
    assert fused[3] == pytest.approx(1 / 63 + 1 / 61)
    assert fused[2] == pytest.approx(1 / 62)
    assert max(fused, key=fused.get) == 1


def test_rrf_weights_and_errors():
    fused = rrf([[1], [2]], weights=[1.0, 2.0], k=0)
    assert fused == {1: 1.0, 2: 2.0}
    with pytest.raises(InvalidParameter):
        rrf([[1]], weights=[1.0, 2.0])
    with pytest.raises(InvalidParameter):
        rrf([[1]], k=-1)
    assert rrf([]) == {}


def test_weighted_fusion_normalises_each_list():
    fused = weighted_fusion([{1: 10.0, 2: 5.0, 3: 0.0}, {3: 0.9, 1: 0.1}], [1.0, 0.5])
    assert fused[1] == pytest.approx(1.0 + 0.0)
    assert fused[2] == pytest.approx(0.5)
    assert fused[3] == pytest.approx(0.0 + 0.5)
    assert weighted_fusion([{}, {4: 1.0}], [1, 1]) == {4: 1.0}
    with pytest.raises(InvalidParameter):
        weighted_fusion([{1: 1.0}], [1.0, 1.0])


@pytest.mark.parametrize("question, places, years, qtype, unit_class", [
    ("截至2008年6月底，南宁市共有多少个基层工会组织？", ["南宁"], [2008], "count", "count"),
    ("广西基层工会组建率是多少？", ["广西"], [], "percent", "percent"),
    ("南通市总工会哪一年建立了困难职工援助中心？", ["南通"], [], "when", None),
    ("阜新市委书记是谁？", ["阜新"], [], "who", None),
    ("内江和南充，哪个市五年来处理的劳动争议更多？", ["内江", "南充"], [], "compare", None),
    ("柳州市工会会员数增加了多少万人？", ["柳州"], [], "compute", "people"),
    ("柳州市工会会员数由多少增加到多少？", ["柳州"], [], "trend", "people"),
    ("内江市金秋助学筹集了多少资金？", ["内江"], [], "count", "money"),
    ("南寧市有多少基層工會？", ["南宁"], [], "count", None),
])
def test_query_analysis(question, places, years, qtype, unit_class):
    q = analyze(question)
    assert (q.places, q.years, q.qtype) == (places, years, qtype)
    if unit_class is not None:
        assert q.unit_class == unit_class


def test_query_terms_leave_out_places_years_and_question_words():
    q = analyze("2014年南宁市有多少名职工参加了技能比赛？")
    assert "南宁" not in q.terms and "多少" not in q.terms and "2014" not in " ".join(q.terms)
    assert {"职工", "参加"} <= set(q.terms)
    assert q.counted == "职工" and q.unit == "人"


def test_place_match():
    assert place_match(["南宁"], "南宁") == 1.0
    assert place_match(["广西"], "梧州") == 0.5       # a city of the province asked about
    assert place_match(["南宁"], "柳州") == -1.0
    assert place_match([], "柳州") == 0.0
    assert place_match(["南宁"], None) == 0.0


@pytest.fixture(scope="module")
def tiny_index(tmp_path_factory):
    from conftest import DATA, FakeEmbedder
    folder = tmp_path_factory.mktemp("tiny") / "index"
    build_index(DATA / "reports", folder, embedder=FakeEmbedder())
    return folder


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
@pytest.mark.parametrize("question, expected", [
    ("株洲市介绍就业多少人？", "介绍就业800人"),
    ("醴陵市调处了多少件劳动争议？", "调处劳动争议356件"),
    ("醴陵市委书记是谁？", "王建国"),
])
def test_every_mode_finds_the_passage(tiny_index, mode, question, expected):
    from conftest import FakeEmbedder
    a = Assistant.load(tiny_index, embedder=FakeEmbedder(), mode=mode)
    hits = a.search(question, k=2)
    assert hits and any(expected in h.text for h in hits)
    assert hits == sorted(hits, key=lambda h: -h.score)
    assert all(h.source in ("zhuzhou.txt", "liling.md") for h in hits)


def test_search_rejects_bad_arguments(tiny_index):
    from conftest import FakeEmbedder
    a = Assistant.load(tiny_index, embedder=FakeEmbedder())
    with pytest.raises(InvalidParameter):
        a.search("株洲", k=0)
    with pytest.raises(InvalidParameter):
        a.search("株洲", mode="fuzzy")
    assert a.search("", k=3) == []


@pytest.mark.parametrize("question, counted, unit_class", [
    ("内江这五年一共帮了多少户日子困难的工人和劳模？", "工人", "household"),   # the noun after 的
    ("2018年柳州参加培训的职工中有多少人晋升为高级工？", "晋升", "people"),     # 人 is a measure word
    ("广西电网公司这三年里考到技能证的人多了大概多少？", None, "people"),      # not the fragment 能证
    ("汶川地震以后，南充工会从上面要到了多少重建的钱？", "重建", "money"),
])
def test_the_noun_counted_and_the_unit_asked(question, counted, unit_class):
    q = analyze(question)
    assert q.counted == counted and q.unit_class == unit_class
    assert "大概" not in q.terms and "达到" not in analyze("企业参与面达到了多少？").terms
