"""Chunking: passages cover the cleaned text, never cut a sentence, keep stable ids."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from qa.errors import InvalidParameter
from qa.figures import find_figures
from qa.passages import ChunkParams, chunk_report, split_sentences
from qa.reports import parse_report, read_report

from conftest import bundled_paths


def _chunks(path, params=ChunkParams()):
    report = parse_report(read_report(path), path.name)
    return report, chunk_report(report, params)


def _covered(report, passages):
    """Every sentence of the cleaned text that is not a heading lies inside one passage
    (a run-on of more than 4 × max_chars characters with no full stop is the one exception)."""
    spans = [(p.start, p.end) for p in passages]
    for para in report.paragraphs:
        if para.heading:
            continue
        for s, e in split_sentences(para.text, para.start):
            if not any(a <= s and e <= b for a, b in spans):
                return report.text[s:e]
    return None


@pytest.mark.parametrize("path", bundled_paths(), ids=lambda p: p.name[:3])
def test_seed_passages_cover_the_text_verbatim(path):
    report, passages = _chunks(path)
    assert passages
    for p in passages:
        assert report.text[p.start:p.end] == p.text
        assert p.source == path.name and p.section
    assert _covered(report, passages) is None


@pytest.mark.parametrize("path", bundled_paths(), ids=lambda p: p.name[:3])
def test_passages_stay_small_unless_one_sentence_is_long(path):
    params = ChunkParams(max_chars=120)
    report, passages = _chunks(path, params)
    headings = {(para.start, para.end) for para in report.paragraphs if para.heading}
    for p in passages:
        if len(p.text) > params.max_chars:
            # one sentence, with the headings it starts after (lines of their own)
            body = [(s, e) for s, e in split_sentences(p.text, p.start) if (s, e) not in headings]
            assert len(body) == 1, p.text


def test_a_line_without_a_full_stop_is_a_sentence_of_its_own():
    text = "工作报告\n——在县人代会上县长　沈宏伟\n过去一年，全县平稳。全年增长5%\n防水等级：IPX4"
    got = [text[s:e] for s, e in split_sentences(text, full=True)]
    assert got == ["工作报告", "——在县人代会上县长　沈宏伟", "过去一年，全县平稳。", "全年增长5%", "防水等级：IPX4"]
    clauses = "甲；乙。\n丙"
    assert [clauses[s:e] for s, e in split_sentences(clauses)] == ["甲；", "乙。", "丙"]


def test_passage_ids_are_stable_and_unique():
    path = bundled_paths()[0]
    _, first = _chunks(path)
    _, second = _chunks(path)
    assert [p.passage_id for p in first] == [p.passage_id for p in second]
    assert len({p.passage_id for p in first}) == len(first)


def test_passages_carry_place_and_date():
    path = next(p for p in bundled_paths() if p.name.startswith("003"))
    _, passages = _chunks(path)
    p = next(p for p in passages if "新建企业工会组织7626个" in p.text)
    assert p.place == "绵阳" and p.date == "2013-09-23"


def test_bad_parameters_are_refused():
    with pytest.raises(InvalidParameter, match="max_chars"):
        ChunkParams(max_chars=5)
    with pytest.raises(InvalidParameter, match="overlap"):
        ChunkParams(overlap=-1)


_CLAUSES = st.lists(
    st.tuples(st.sampled_from(["培训职工", "组建工会", "发放慰问金", "建成职工书屋", "职工", "帮扶"]),
              st.integers(min_value=1, max_value=10**6),
              st.sampled_from(["人", "个", "万元", "家", "%"]),
              st.sampled_from(["。", "，", "；", "！", "", "\n\n"])),
    min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(_CLAUSES, st.integers(min_value=20, max_value=300))
def test_chunker_property_covers_text_and_never_cuts_a_figure_sentence(clauses, max_chars):
    body = "".join(f"{w}{n}{u}{p}" for w, n, u, p in clauses)
    raw = "株洲市总工会 工作报告\n\n" + body + "\n"
    report = parse_report(raw, "gen.txt")
    passages = chunk_report(report, ChunkParams(max_chars=max_chars))
    assert _covered(report, passages) is None
    for para in report.paragraphs:
        if para.heading:
            continue
        for s, e in split_sentences(para.text, para.start):
            if find_figures(report.text[s:e]):
                assert any(p.start <= s and e <= p.end for p in passages)
    for p in passages:
        assert report.text[p.start:p.end] == p.text
        # a passage starts where a sentence starts
        before = report.text[:p.start].rstrip(" ")
        assert not before or before[-1] in "。！？；!?;\n”’」』）)"
