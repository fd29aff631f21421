"""Steps 4 and 5: fitted weights, one decision; the fitting code on data made up here; the
shipped weights file; the word resources loaded safely."""

from __future__ import annotations

import gzip
import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from qa.answer.analysis import analyze
from qa.answer.decide import Decision, Scored, decide, eligible, uncovered
from qa.answer.features import feature_names
from qa.answer.scoring import Model, WeightsError, load_model, softmax_share
from qa.answer.train import (DECISION_EXTRA, Group, Item, choose_threshold, decision_features,
                             fit_calibrator, fit_logit, is_right)
from qa.evaluate import contains

ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- the weights file

def test_the_shipped_weights_name_every_feature_and_say_how_they_were_fitted():
    model = load_model()
    assert list(model.names) == feature_names()
    assert {"figure"} <= set(model.scorers)
    meta = model.meta
    assert meta["command"].startswith("qa train") and meta["seed"] == 0
    assert "cmrc/fit" in meta["data"]["sources"] and "cmrc/heldout" in meta["data"]["sources"]
    never = " ".join(meta["data"]["never_fitted_on"])
    assert "cmrc2018_trial" in never and "heldout4" in never
    # every blind set (heldout4 on, ood*) is named as never fitted on
    blind = [q for q in (ROOT / "bench" / "questions").iterdir()
             if q.name.startswith("ood") or (q.name.startswith("heldout") and q.stem[7:].isdigit() and int(q.stem[7:]) >= 4)]
    assert blind and all(f"bench/questions/{q.name}" in meta["data"]["never_fitted_on"] for q in blind)
    for fam, cal in model.calibrators.items():
        assert 0.0 < cal.threshold < 1.0


def test_a_weights_file_for_other_features_is_refused_with_the_command_that_fixes_it(tmp_path):
    d = load_model().to_dict()
    d["features"] = d["features"][:-1]
    path = tmp_path / "w.json"
    path.write_text(json.dumps(d), encoding="utf-8")
    with pytest.raises(WeightsError, match="qa train"):
        load_model(path)
    path.write_text("{", encoding="utf-8")
    with pytest.raises(WeightsError, match="qa train"):
        load_model(path)
    path.write_text(json.dumps({"features": feature_names()}), encoding="utf-8")
    with pytest.raises(WeightsError, match="qa train"):
        load_model(path)


def test_the_model_round_trips_and_explains_its_score():
    model = load_model()
    again = Model.from_dict(json.loads(json.dumps(model.to_dict())))
    x = np.linspace(0, 1, len(feature_names()))
    assert again.scorers["figure"].score(x) == pytest.approx(model.scorers["figure"].score(x), abs=1e-4)
    parts = model.scorers["figure"].contributions(x)
    assert parts == sorted(parts, key=lambda p: -abs(p[1]))
    assert sum(v for _, v in parts) == pytest.approx(model.scorers["figure"].score(x) - model.scorers["figure"].bias)


# --------------------------------------------------------------------------- the decision

def test_softmax_share():
    assert softmax_share([]) == 0.0
    assert softmax_share([1.0]) == 1.0
    assert softmax_share([2.0, 2.0]) == pytest.approx(0.5)


class _C:
    """A stand-in candidate: what decide() and eligible() read."""

    def __init__(self, family="figure", place_ok=1.0, year=None, kind="count", text="5个", near_left="", date=None):
        from qa.answer.candidates import Zones
        self.family, self.place_ok, self.year, self.kind, self.text = family, place_ok, year, kind, text
        self.figure = object() if family == "figure" else None
        self.zones = Zones(near_left=near_left, sentence=near_left)
        self.span = (len(near_left), len(near_left) + len(text))
        self.pairs = ()
        self.passage = type("P", (), {"date": date, "source": "r.txt", "place": None})()


def test_one_threshold_decides():
    model = load_model()
    n = len(feature_names())
    strong = Scored(_C(), np.ones(n), 30.0)
    weak = Scored(_C(text="6个"), np.zeros(n), -30.0)
    d = decide(analyze("有多少个？"), [strong, weak], model)
    assert isinstance(d, Decision) and d.best is strong and d.runner_up is weak
    assert d.found == (d.probability >= d.threshold)
    assert decide(analyze("有多少个？"), [], model).reason == "nothing"


def test_each_family_is_ranked_and_decided_apart_and_the_surest_answers():
    model = load_model()
    n = len(feature_names())
    q = analyze("防水等级是多少？")
    fig, rival = Scored(_C(), np.ones(n), 9.0), Scored(_C(text="6个"), np.zeros(n), 8.0)
    field = Scored(_C(family="field", kind="field", text="IPX4"), np.ones(n), 8.5)
    mixed = decide(q, [fig, field, rival], model)
    figures, fields = decide(q, [fig, rival], model), decide(q, [field], model)
    assert figures.runner_up is rival                    # the labelled value is no figure's rival
    surest = max((figures, fields), key=lambda d: (d.found, d.probability - d.threshold))
    assert mixed.best is surest.best and mixed.probability == pytest.approx(surest.probability)
    # the same answer in another passage is not a rival
    again = Scored(_C(), np.zeros(n), 8.9)
    assert decide(q, [fig, again, rival], model).runner_up is rival


def test_hard_rules_another_place_or_year_cannot_answer():
    q = analyze("2012年南宁有多少会员？")
    assert eligible(q, _C(place_ok=1.0, year=2012))
    assert not eligible(q, _C(place_ok=-1.0, year=2012))     # another city's figure
    assert not eligible(q, _C(place_ok=1.0, year=2010))      # stated for another year
    assert eligible(q, _C(place_ok=1.0, year=None))          # not said: the features weigh it
    assert eligible(q, _C(place_ok=1.0, year=None, date="2013-09-23"))    # a report of the year after
    assert not eligible(q, _C(place_ok=1.0, year=None, date="2008"))       # published before 2012
    q = analyze("有多少名职工晋升为技师？")
    assert not eligible(q, _C(near_left="晋升高级技师"))       # a narrower thing
    assert eligible(q, _C(near_left="晋升技师"))
    assert eligible(analyze("有多少名职工晋升为高级技师？"), _C(near_left="晋升高级技师"))
    q = analyze("绵阳全市工会会员总数有多少？")
    assert not eligible(q, _C(near_left="全年新发展会员"))     # a year's intake, not how many there are
    assert eligible(analyze("绵阳新发展了多少会员？"), _C(near_left="全年新发展会员"))
    q = analyze("南宁有多少女职工会员？")
    assert not eligible(q, _C(near_left="工会会员总数"))       # a broader thing: not the women's
    assert eligible(q, _C(near_left="其中女职工会员"))


@pytest.mark.parametrize("question, before, clash", [
    ("去年全年旅客吞吐量多少", "1至8月，机场旅客吞吐量", True),
    ("一季度营收是多少", "第一季度实现营业收入", False),
    ("上半年新发展会员多少人", "全年新发展会员", True),
    ("全年新发展会员多少人", "全年新发展会员", False),
    ("新发展会员多少人", "上半年新发展会员", False),            # no part asked: the features weigh it
])
def test_another_part_of_the_year_cannot_answer(question, before, clash):
    from qa.answer.decide import another_part_of_year
    assert another_part_of_year(question, before) == clash


class _Corpus:
    def __init__(self):
        self.years = frozenset({2008, 2012})

    def years_about(self, place):
        return frozenset({2008}) if place == "柳州" else self.years

    def covers_place(self, name):
        return name in ("南宁", "柳州")

    def has_word(self, w):
        return w in ("网站", "电话")

    identifiers = frozenset({"第134届", "6号线", "s7"})


@pytest.mark.parametrize("question, reason", [
    ("白河市有多少个基层工会？", "place"),
    ("深圳市有多少会员？", "place"),
    ("南宁2010年有多少会员？", "year"),
    ("柳州2012年有多少会员？", "year"),          # 2012 is in the reports, but not in 柳州's
    ("南宁市总工会网站的网址是什么？", "thing"),
    ("第133届广交会出口成交额是多少？", "thing"),     # the reports speak of 第134届
    ("地铁七号线全长多少公里？", "thing"),
    ("G3电动车多少钱？", "thing"),
])
def test_what_the_reports_do_not_cover_is_refused_before_any_candidate(question, reason):
    assert uncovered(analyze(question), _Corpus())[0] == reason


def test_what_the_reports_cover_passes_the_hard_rules():
    assert uncovered(analyze("2012年南宁有多少会员？"), _Corpus()) is None
    assert uncovered(analyze("南宁市总工会的电话是什么？"), _Corpus()) is None
    assert uncovered(analyze("第一百三十四届广交会出口成交额是多少？"), _Corpus()) is None
    assert uncovered(analyze("6号线全长多少公里？"), _Corpus()) is None
    assert uncovered(analyze("启程S 7卖多少钱？"), _Corpus()) is None


# --------------------------------------------------------------------------- fitting

def _group(x, y, gid, variant="asked"):
    item = Item(gid, "t", "q", ("5",), "r.txt", gid, False)
    return Group(item, variant, "figure", np.asarray(x, dtype=float), np.asarray(y, dtype=float),
                 [str(i) for i in range(len(y))])


def test_the_conditional_logit_learns_which_feature_marks_the_answer():
    rng = np.random.default_rng(0)
    groups = []
    for g in range(200):
        x = rng.random((6, 3))
        right = int(rng.integers(6))
        x[right, 0] += 1.0              # feature 0 marks the answer, feature 1 is noise
        y = np.zeros(6)
        y[right] = 1
        groups.append(_group(x, y, f"g{g}"))
    w, _ = fit_logit(groups, l2=0.1)
    assert w[0] > 2.0 and abs(w[1]) < 1.0
    top1 = np.mean([g.y[int(np.argmax(g.x @ w))] for g in groups])
    assert top1 > 0.9


def test_the_ranking_fit_weighs_each_set_as_set_weights_say():
    """Two sets that disagree on which feature marks the answer: the one that weighs more (the
    project's questions against reading comprehension) wins the fit."""
    rng = np.random.default_rng(2)
    groups = []
    for g in range(300):
        x = rng.random((5, 3))
        right = int(rng.integers(5))
        project = g % 3 == 0                  # a third of the questions are the project's
        x[right, 1 if project else 0] += 1.0
        y = np.zeros(5)
        y[right] = 1
        grp = _group(x, y, f"g{g}")
        grp.item.source = "project" if project else "cmrc"
        groups.append(grp)
    weighted, _ = fit_logit(groups, l2=0.1)
    plain, _ = fit_logit(groups, l2=0.1, weighted=False)
    assert weighted[1] > weighted[0] and plain[0] > plain[1]


def test_calibrator_and_threshold_reach_the_precision_asked():
    rng = np.random.default_rng(1)
    z = rng.normal(size=2000)
    y = (rng.random(2000) < 1 / (1 + np.exp(-3 * z))).astype(float)
    F = np.column_stack([z, np.ones(2000)])
    w = fit_calibrator(F, y)
    assert w[0] > 1.5                    # the true slope is 3; the L2 of the fit shrinks it
    p = 1 / (1 + np.exp(-(F @ w)))
    t = choose_threshold(p, y, 0.9)
    assert y[p >= t].mean() >= 0.9 and (p >= t).mean() > 0.2
    # weights count: the same answers at twice the weight need the same threshold
    assert choose_threshold(p, y, 0.9, np.full(2000, 2.0)) == pytest.approx(t)


def test_calibrator_is_fitted_on_scaled_columns_and_returned_for_raw_ones():
    rng = np.random.default_rng(2)
    z = rng.normal(size=2000)
    y = (rng.random(2000) < 1 / (1 + np.exp(-3 * z))).astype(float)
    small = np.column_stack([z, np.ones(2000)])
    big = np.column_stack([1000 * z + 50, np.ones(2000)])     # the same signal in other units
    ws, wb = fit_calibrator(small, y), fit_calibrator(big, y)
    assert small @ ws == pytest.approx(big @ wb, abs=1e-4)     # the same probabilities
    assert wb[0] == pytest.approx(ws[0] / 1000, rel=1e-3)


def test_decision_features_skip_copies_of_the_winner():
    g = _group(np.zeros((3, len(feature_names()))), [1, 1, 0], "g")
    g.texts = ["5个", "5个", "6个"]
    f = decision_features(np.array([3.0, 2.0, 1.0]), g)
    assert f[0] == 3.0 and f[1] == pytest.approx(2.0)          # margin to 6个, not to the copy
    assert f[-1] == 1.0 and len(f) == 3 + len(DECISION_EXTRA) + 1
    f = decision_features(np.array([3.0, 2.0, 1.0]), g, extra=("words_near",))
    assert len(f) == 5


@pytest.mark.parametrize("big, small, ok", [
    ("体长可达80公分", "80公分", True), ("110次", "10次", False), ("10次", "10次", True),
    ("2,173个坐席", "2173个", True), ("1.5万", "5万", False),
])
def test_containment_does_not_cut_numbers(big, small, ok):
    assert contains(big, small) is ok


def test_labels():
    item = Item("x", "cmrc", "q", ("树高可达55米",), "p.txt", "a", False)
    assert is_right(item, "p.txt", "55米", "55米")                 # the figure of the gold
    assert not is_right(item, "other.txt", "55米", "55米")         # from another paragraph
    assert not is_right(item, "p.txt", "5米", "5米")
    proj = Item("y", "project", "q", ("3135",), "r.txt", "r", False, project=True)
    assert is_right(proj, "r.txt", "3135个", "3135个") and not is_right(proj, "r.txt", "50个", "50个")


# --------------------------------------------------------------------------- word resources

def test_the_word_vectors_are_checked_before_they_are_read(tmp_path):
    from qa.answer.words import convert_vectors
    evil = tmp_path / "test.model"

    class Boom:
        def __reduce__(self):
            return (print, ("ran code",))

    evil.write_bytes(gzip.compress(pickle.dumps(([Boom()], {}, {}))))
    with pytest.raises(ValueError, match="SHA-256"):
        convert_vectors(evil, tmp_path / "out")
    assert not (tmp_path / "out" / "vectors.npy").exists()


def test_the_unpickler_refuses_classes():
    import io
    from qa.answer.words import _NoClasses

    class Boom:
        def __reduce__(self):
            return (print, ("ran code",))

    with pytest.raises(pickle.UnpicklingError):
        _NoClasses(io.BytesIO(pickle.dumps(Boom()))).load()
    assert _NoClasses(io.BytesIO(pickle.dumps((["a 1"], {"k": "v"}, {})))).load() == (["a 1"], {"k": "v"}, {})


@pytest.mark.slow
def test_the_training_command_writes_a_weights_file_that_loads(tmp_path):
    from qa.answer.train import SHARED, train
    if not (SHARED / "extbench" / "train" / "cmrc2018_train.json").exists():
        pytest.skip("../shared/extbench is not beside the project")
    doc = train(tmp_path / "work", tmp_path / "w.json", limit=150, progress=False)
    model = load_model(tmp_path / "w.json")
    assert list(model.names) == feature_names() and "figure" in model.scorers
    assert doc["data"]["sources"]["cmrc/fit"]["questions"] > 0 and "cmrc/heldout" in doc["held_out"]
    again = train(tmp_path / "work", tmp_path / "w2.json", limit=150, progress=False, reuse=True)
    assert again["families"] == doc["families"]          # seeded: the same data give the same weights
