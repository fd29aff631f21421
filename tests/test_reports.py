"""Reading and cleaning reports: encodings, OCR repair, articles, places, dates."""

from __future__ import annotations

import os
import re

import pytest

from qa.errors import ReportError
from qa.reports import decode_report, list_reports, parse_report, read_report

from conftest import bundled_paths

TEXT = "株洲市总工会：服务职工\n\n截至2020年底，全市基层工会组织1200个。\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16", "utf-16-le", "utf-16-be"])
def test_decode_reads_every_supported_encoding(encoding):
    assert decode_report(TEXT.encode(encoding), "r.txt") == TEXT


@pytest.mark.parametrize("data, reason", [
    (b"", "文件为空"),
    (b"   \n\n  ", "文件为空"),
    (bytes(range(256)) * 20, "二进制"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00\x01\x02" * 500, "二进制"),
])
def test_decode_rejects_unreadable_files_with_the_reason(data, reason):
    with pytest.raises(ReportError) as err:
        decode_report(data, "bad.txt")
    assert "bad.txt" in str(err.value) and reason in str(err.value)
    assert not re.search(r"[a-z]{3,} [a-z]{3,}", str(err.value))     # Chinese, no English mixed in


def test_read_report_names_a_missing_file(tmp_path):
    with pytest.raises(ReportError, match="nope.txt"):
        read_report(tmp_path / "nope.txt")


def _seed(name):
    path = next(p for p in bundled_paths() if p.name.startswith(name))
    return parse_report(read_report(path), path.name)


def test_broken_paragraphs_are_joined():
    r = _seed("000")
    assert "打造维权工作平台。在县区" in r.text
    assert "2007年共举办各类技能培训班593期" in r.text
    assert "经营单位相继建立了工会组织" in r.text


def test_repeated_paragraphs_are_dropped_once():
    r = _seed("003")
    assert r.text.count("仅2012年，全市企业参与面达87.6%") == 1
    assert r.dropped.get("duplicate") == 2


def test_headers_captions_and_bylines_are_not_answerable_text():
    r = _seed("003")
    assert r.date == "2013-09-23"                       # from the page header
    assert "星期一" not in r.text
    assert "本报记者" not in r.text and "本报特约评论员" not in r.text
    assert "陈冠松(左三)" not in r.text                  # a photo caption
    r0 = _seed("000")
    assert "南宁市总领导与职工奥运火炬手合影" not in r0.text
    assert "本版文/图" not in r0.text


@pytest.mark.parametrize("lead", [
    "本报讯（记者 孙悦）4月14日早上7点30分，2024江州国际半程马拉松鸣枪开跑，共有2.6万名选手参赛。",
    "本报杭州3月12日电（记者 何晓东 通讯员 李婷）3月12日，全市职工书屋达到1520家，比上年增加120家。",
    "本报讯　2月2日，洛阳市人代会开幕。报告显示，2023年洛阳市地区生产总值达到5478.3亿元。",
    "记者从成都市总工会获悉，截至2024年5月底，新就业形态劳动者入会人数累计达到31.4万人。",
])
def test_a_news_lead_that_opens_with_its_dateline_is_kept(lead):
    # the first paragraph of a news article holds its main figures, and its dateline the
    # reporter's name: it is kept whole; a block that only names the reporter is dropped
    raw = f"某市经济运行稳中向好\n\n{lead}\n\n本报记者　杨帆\n\n另据统计，全年新增就业8.9万人。\n"
    r = parse_report(raw, "news.txt")
    assert lead in r.text
    assert "杨帆" not in r.text
    assert r.dropped == {"byline": 1}
    assert "全年新增就业8.9万人" in r.text


def test_a_report_without_a_dated_year_is_dated_by_a_year_written_without_nian():
    r = parse_report("2024厦门马拉松鸣枪开跑\n\n来自30多个国家的3万名跑者参赛。赛事创办于2003年。\n", "m.txt")
    assert r.date == "2024"
    assert parse_report("共有2000多人参加，2000个岗位。2003年起举办。\n", "n.txt").date == "2003"


def test_one_city_of_a_list_does_not_become_the_subject_of_the_paragraphs_after_it():
    raw = ("黑龙江省总工会发布2023年工会统计数据\n\n截至2023年底，全省工会会员582.6万人。\n\n"
           "分城市看，哈尔滨市工会会员186.4万人，居全省首位。\n\n全年各级工会投入帮扶资金3.17亿元。\n\n"
           "2012年，绵阳市工会新建企业工会组织7626个。\n")
    r = parse_report(raw, "hlj.txt")
    places = {p.text[:6]: p.place for p in r.paragraphs}
    assert places["全年各级工会"] != "哈尔滨"
    assert places["2012年，"] == "绵阳"          # a city opening its paragraph still is its subject


def test_a_county_no_gazetteer_knows_is_the_place_of_the_report_its_title_opens_with():
    r = parse_report("安吉县2023年政府工作报告（摘要）\n\n过去一年，全县实现地区生产总值598亿元。\n", "anji.txt")
    assert {p.place for p in r.paragraphs} == {"安吉"}


def test_a_list_in_short_lines_is_kept_with_its_items_apart():
    # a product page's parameters are facts, not a photo caption; an advert's short lines are not
    raw = ("美的电饭煲 MB-HS4075\n\n【产品参数】\n品牌：美的\n额定电压：220V～50Hz\n额定功率：1250W\n\n"
           "【费用汇总（2人）】\n租车：2100元\n油费：1250元\n合计：3350元\n\n"
           "柳州  \n市总工会  \n启动职工  \n技能晋升\n\n正文第一段，全市职工书屋达到1520家。\n")
    r = parse_report(raw, "page.txt")
    assert "额定电压：220V～50Hz；额定功率：1250W" in r.text
    assert "租车：2100元；油费：1250元；合计：3350元" in r.text
    assert "启动职工" not in r.text and r.dropped.get("caption") == 1


def test_a_headline_with_figures_above_a_dateline_is_the_articles_title():
    raw = ("恒远新材2024年营收86.47亿元 隔膜产能扩至26亿平方米\n\n"
           "本报讯（记者 孙嘉怡）3月28日晚间，恒远新材发布2024年年度报告。报告期内，公司实现营业收入86.47亿元。\n")
    r = parse_report(raw, "news.txt")
    assert [s.title for s in r.sections] == ["恒远新材2024年营收86.47亿元 隔膜产能扩至26亿平方米"]
    body = [p.text for p in r.paragraphs if not p.heading]
    assert body and body[0].startswith("本报讯（记者 孙嘉怡）3月28日晚间")   # not glued to the headline
    # a paragraph OCR broke still runs on into the next
    r = parse_report("报告\n\n今年以来，全市各级工会积极推进职工书屋建设，全市建成职工书\n\n屋52家，覆盖职工3万人。\n",
                     "ocr.txt")
    assert "全市建成职工书屋52家" in r.text


def test_the_rows_of_a_table_set_out_in_columns_stay_apart():
    raw = ("集团年度报告\n\n全年完成供水总量3.86亿立方米，同比增长3.4%。\n各分公司供水量完成情况如下：\n"
           "城东分公司  1.12亿立方米  同比增长4.1%\n城西分公司\t0.94亿立方米\t同比增长1.9%\n"
           "江北分公司  0.87亿立方米  同比增长5.6%\n全年新建供水管网216\n公里。\n")
    r = parse_report(raw, "water.txt")
    assert "同比增长4.1%；城西分公司 0.94亿立方米 同比增长1.9%；江北分公司" in r.text
    assert "如下：城东分公司" in r.text and "216公里" in r.text      # a line OCR broke is still glued


def test_sections_name_the_city_or_company_they_are_about():
    r = _seed("001")
    places = {s.place for s in r.sections}
    assert {"南宁", "柳州", "桂林", "梧州", "防城港", "贵港", "钦州"} <= places
    companies = [s.org for s in r.sections if s.org and "公司" in s.org]
    assert "国投钦州发电有限公司" in companies
    para = next(p for p in r.paragraphs if "组建工会组织3135个" in p.text)
    assert para.place == "防城港"


def test_an_article_without_its_title_still_gets_its_city():
    r = _seed("003")
    para = next(p for p in r.paragraphs if "新建企业工会组织7626个" in p.text)
    assert para.place == "绵阳"
    # the article before it is 南充's
    para = next(p for p in r.paragraphs if "共有基层工会7404家" in p.text)
    assert para.place == "南充"


def test_report_dates_come_from_the_header_or_the_latest_year():
    assert _seed("003").date == "2013-09-23"
    assert _seed("004").date == "2018"      # "2018—2020年" is a plan, not the date
    assert _seed("001").date == "2015"


def test_paragraph_offsets_point_into_the_cleaned_text():
    r = _seed("002")
    for p in r.paragraphs:
        assert r.text[p.start:p.end] == p.text


def test_small_ocr_page_written_for_the_test():
    raw = ("\n\n4 2020年5月4日 星期一\n\n株洲市总工会 服务职工\n\n\n\n领导看望一线职工\n\n"
           "全市建成职工书屋48个，打造维权工作平\n\n台。全市工会共培训下岗职工1200人。\n\n"
           "全市建成职工书屋48个，打造维权工作平\n\n□本报记者 张三\n\n"
           "醴陵市总工会 做强品牌\n\n全市调处劳动争议356件。\n")
    r = parse_report(raw, "page.txt")
    assert r.date == "2020-05-04"
    assert "打造维权工作平台。全市工会共培训下岗职工1200人。" in r.text
    assert "领导看望一线职工" not in r.text and "张三" not in r.text
    assert [s.place for s in r.sections] == ["株洲", "醴陵"]
    assert r.text.count("全市建成职工书屋48个") == 1


def test_list_reports_skips_hidden_files_and_outside_symlinks(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "a.txt").write_text(TEXT, encoding="utf-8")
    (folder / "b.md").write_text(TEXT, encoding="utf-8")
    (folder / ".hidden.txt").write_text(TEXT, encoding="utf-8")
    (folder / "notes.xls").write_bytes(b"\xd0\xcf")       # not a kind of report
    (folder / "scan.pdf").write_bytes(b"%PDF")           # a report (read, or skipped with a reason, by the build)
    outside = tmp_path / "secret.txt"
    outside.write_text("外部文件", encoding="utf-8")
    os.symlink(outside, folder / "link.txt")
    os.symlink(folder / "a.txt", folder / "inside.txt")
    files, skipped = list_reports(folder)
    assert sorted(f.name for f in files) == ["a.txt", "b.md", "inside.txt", "scan.pdf"]
    assert [name for name, _ in skipped] == ["link.txt"]


# --------------------------------------------------------------------------- issue 11: one upload inflates everything

FLOOD_SENTENCE = "全市新建职工书屋37个，资助困难职工612名。"
FLOODS = {
    "on single-newline lines": "湘潭市总工会\n\n" + "\n".join([FLOOD_SENTENCE] * 20000) + "\n",
    "lines without full stops": "湘潭市总工会\n\n" + "\n".join([FLOOD_SENTENCE.rstrip("。")] * 20000) + "\n",
    "in one line": "湘潭市总工会\n\n" + FLOOD_SENTENCE * 20000 + "\n",
    "in many paragraphs": "湘潭市总工会\n\n" + "\n\n".join([FLOOD_SENTENCE] * 20000) + "\n",
    "alternating lines": "湘潭市总工会\n\n" + "\n".join(["全市新建职工书屋37个。", "资助困难职工612名。"] * 10000),
    "a run-on of one clause": "湘潭市总工会\n\n" + "全市培训职工1200人，新建职工书屋48个，" * 5000,
}


@pytest.mark.parametrize("layout", sorted(FLOODS))
def test_a_repeated_sentence_is_kept_once(layout):
    from qa.passages import chunk_report
    report = parse_report(FLOODS[layout], "flood.txt")
    passages = chunk_report(report)
    assert 1 <= len(passages) <= 2, [p.text[:60] for p in passages]
    assert len(report.text) < 200
    assert len({p.text for p in passages}) == len(passages)
    assert sum(report.dropped.values()) > 1000


def test_repeated_sentences_from_ocr_are_dropped_but_the_rest_of_the_report_stays():
    r = _seed("000")
    assert r.dropped.get("repeated_sentence") == 2              # OCR copies within an article
    assert r.text.count("柳州威奇化工公司被评为“全国模范劳动关系和谐企业”。") == 1
    assert "共培训3590人，职业介绍3350人，实现再就业3210人。" in r.text
