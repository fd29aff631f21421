"""Score fusion (pure functions), place matching and one search suite run over every mode."""

from __future__ import annotations

import pytest

from qa import Assistant, build_index
from qa.errors import InvalidParameter
from qa.retriever import SearchQuery, place_match, rrf, weighted_fusion


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


def test_a_search_reads_places_years_and_companies_of_a_question():
    q = SearchQuery.parse("<b>截至2008年6月底</b>，南宁市和尚龙电器有限公司共有多少个基层工会组织？")
    assert q.places == ("南宁",) and q.years == (2008,) and q.orgs == ("尚龙电器有限公司",)
    assert "<b>" not in q.text


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
