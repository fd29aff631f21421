"""Query analysis and hybrid search (BM25 + dense, fused), preferring the place and year asked.

Score fusion is a pair of pure functions (:func:`rrf`, :func:`weighted_fusion`) with their own
tests. The retriever ranks passages by the fused score plus small bonuses for passages about
the place and the year the question names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from .errors import InvalidParameter
from .figures import UNIT_CLASS, _UNIT_OF
from .lexicon import find_places, gazetteer, normalize, stopwords, synonyms, tokenize, tokenizer, words
from .passages import Passage

MODES = ("hybrid", "bm25", "dense")
MAX_QUESTION_CHARS = 500   # longer questions are analysed on their first part only
# markup pasted into a question is not part of it: <script>…</script>, <b>, <img …>
_MARKUP = re.compile(r"<(script|style)\b.*?(?:</\1\s*>|$)|<[a-zA-Z/!][^<>]{0,200}>", re.S | re.I)


# --------------------------------------------------------------------------- results

@dataclass(frozen=True)
class Hit:
    """A passage found for a question, with its score (higher is better)."""

    passage: Passage
    score: float

    @property
    def source(self) -> str:
        return self.passage.source

    @property
    def passage_id(self) -> str:
        return self.passage.passage_id

    @property
    def section(self) -> str:
        return self.passage.section

    @property
    def text(self) -> str:
        return self.passage.text

    @property
    def place(self) -> str | None:
        return self.passage.place

    @property
    def date(self) -> str | None:
        return self.passage.date

    def to_dict(self) -> dict:
        return {**self.passage.to_dict(), "score": round(float(self.score), 6)}


# --------------------------------------------------------------------------- fusion

def rrf(rankings: Sequence[Sequence[int]], weights: Sequence[float] | None = None, k: int = 60) -> dict[int, float]:
    """Reciprocal rank fusion: ``sum(w / (k + rank))`` over the rankings each id appears in.

    Args:
        rankings: lists of ids, best first.
        weights: one weight per ranking (default 1 each).
        k: the RRF constant; larger flattens the head of each list.
    """
    if weights is None:
        weights = [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise InvalidParameter(f"rrf: {len(rankings)} rankings but {len(weights)} weights")
    if k < 0:
        raise InvalidParameter(f"rrf: k={k!r} must be >= 0")
    fused: dict[int, float] = {}
    for ranking, w in zip(rankings, weights):
        for rank, doc in enumerate(ranking, start=1):
            fused[doc] = fused.get(doc, 0.0) + w / (k + rank)
    return fused


def weighted_fusion(score_maps: Sequence[Mapping[int, float]], weights: Sequence[float]) -> dict[int, float]:
    """Weighted sum of min-max normalised scores; an id missing from a map scores 0 there."""
    if len(weights) != len(score_maps):
        raise InvalidParameter(f"weighted_fusion: {len(score_maps)} score maps but {len(weights)} weights")
    fused: dict[int, float] = {}
    for scores, w in zip(score_maps, weights):
        if not scores:
            continue
        lo, hi = min(scores.values()), max(scores.values())
        span = hi - lo
        for doc, s in scores.items():
            norm = (s - lo) / span if span > 0 else 1.0
            fused[doc] = fused.get(doc, 0.0) + w * norm
    return fused


# --------------------------------------------------------------------------- query analysis

_QTYPES = [
    ("trend", r"由多少.{0,6}(?:增加|增长|提高|上升|减少|下降|降低)?到多少|从多少.{0,6}到多少|(?:怎样|如何|怎么)变化|变化(?:情况|趋势)|历年"),
    ("compute", r"(?:增加|增长|提高|上升|减少|下降|降低|多|少)了(?:多少|几)|相差(?:多少|几)|差(?:多少|几)|(?:高|多|少)出(?:多少|几)|比(?![例重率较赛武]).{2,40}?(?:多|高|少|低)(?:多少|几)"),
    ("compare", r"哪(?:个|一个|家|座|里)?(?:市|城市|地方|单位|企业|公司)?.{0,20}?更(?:多|少|高|低|大|小)|谁.{0,10}更(?:多|少|高|低)|比.{1,12}(?:多|少|高|低)吗"),
    ("percent", r"(?:率|比例|占比|比重|百分比|百分之几|多少%|占(?:多少|几成))"),
    ("when", r"哪一?年|何年|什么时候|何时|什么时间|哪个时间|几月|哪一?天|哪个月|年份|哪个年代"),
    ("who", r"谁|哪位|什么人|姓名|叫什么名字"),
    ("where", r"哪里|在哪|什么地方|何处|地址|哪个地方|位于"),
    ("ordinal", r"第几"),
    ("count", r"多少|几[个名位人项家户份条件次场期册本台所座届批对起处种类股篇部张天年岁倍座辆]?|多[大高远长重久深宽快]|数量|规模|人数"),
    ("list", r"哪些"),
    ("what", r"什么|哪个|哪家|哪种|名称|称号|叫什么"),
]
_QTYPE_RE = [(name, re.compile(p)) for name, p in _QTYPES]

_CHANGE_WORDS = re.compile(r"历年|变化|趋势|情况|增加|增长|提高|上升|减少|下降|降低|增减|变动|相比|比较|对比|相差|差|多出|"
                           r"如何|怎样|怎么样|更|最")
_MONEY_WORDS = re.compile(r"(?:钱|资金|金额|经费|款|额|收入|产值|利润|效益|投资|补贴|津贴|金|元|费|工资|薪)$")
_QUESTION_WORDS = re.compile(r"第几[名位届次个张]?|占比|所占比例|比例|比重|百分比|多少|几|哪些|哪个|哪一?年|哪一天|哪天|什么时候|何时|谁|什么|是否|吗|呢|请问|怎样|如何|多[大高远长重久深宽快]")
_TIME_WORDS = re.compile(r"(?:截至|截止到?|到)?\s*(?:\d{4}\s*年)(?:\s*\d{1,2}\s*月)?(?:底|末|初|份)?|"
                         r"(?:截至|截止)(?:目前)?|(?:\d{1,2}\s*月)(?:底|末|初|份)")
# nouns that count people: 职工, 会员, 农民工, 技术能手, 劳模 …
_PEOPLE = re.compile(r"(?:职工|工人|会员|员工|人员|农民工|劳模|模范|能手|工匠|选手|学生|学子|干部|党员|代表|技师|"
                     r"工程师|司机|人口|观众|游客|孩子|子女|人|者|员|生)$")
_UNIT_AFTER_Q = re.compile(r"(?:多少|几)(?:万|亿)?(个百分点|人次|场次|平方公里|平方米|公里|千米|厘米|毫米|千瓦时|个月|[^\s，。？?的了])")
_COMPANY = re.compile(r"[\u4e00-\u9fffA-Za-z]{2,16}?(?:股份有限公司|有限责任公司|有限公司|集团公司|集团|公司)")
_DIMENSION = {"高": "length", "远": "length", "长": "length", "深": "length", "宽": "length", "大": None,
              "重": "weight", "久": "time", "快": "speed"}
# what a measured thing is measured in: 体重 → weight, 面积 → area …
_MEASURE_WORDS = [(re.compile(r"体重|重量|质量"), "weight"), (re.compile(r"面积|占地"), "area"),
                  (re.compile(r"身高|高度|海拔|长度|体长|全长|距离|深度|宽度|直径|半径|射程|航程|里程"), "length"),
                  (re.compile(r"速度|时速|航速"), "speed"), (re.compile(r"人口|人数"), "people")]


@dataclass
class Query:
    """What a question asks: places, years, the kind of answer, and the words that matter."""

    text: str                                   # the normalised question
    places: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    qtype: str = "other"
    unit: str | None = None                     # the unit the question implies (个, 人, 元, % …)
    unit_class: str | None = None               # people, money, percent, length …
    terms: list[str] = field(default_factory=list)   # content words, most specific first
    counted: str | None = None                  # the noun after 多少个: 职工 in 多少名职工
    number_values: list[float] = field(default_factory=list)  # figures the question itself gives
    orgs: list[str] = field(default_factory=list)   # companies named: 国投钦州发电有限公司
    dimension: str | None = None                # 长 of 多长, 高 of 多高 …
    period: str | None = None                   # 五年来 / 5年来 …

    @property
    def place(self) -> str | None:
        return self.places[0] if self.places else None


def analyze(question: str, places: frozenset[str] = frozenset()) -> Query:
    """Analyse a (single) question: its places, years, type, implied unit and content words.

    ``places`` are further place names to look for (an index's own counties and towns).
    """
    from .figures import find_figures
    text = normalize(_MARKUP.sub(" ", question[:4 * MAX_QUESTION_CHARS]))[:MAX_QUESTION_CHARS].strip()
    q = Query(text=text)
    q.orgs = [m.group(0) for m in _COMPANY.finditer(text)]
    q.places = []
    for p in find_places(text, places):
        if p.name not in q.places:
            q.places.append(p.name)
    for f in find_figures(_QUESTION_WORDS.sub(lambda m: " " * len(m.group(0)), text)):
        if f.kind in ("year", "date") and f.value:
            q.years.append(int(f.value))
        elif f.value is not None and f.kind not in ("ordinal",):
            q.number_values.append(f.value)
    m = re.search(r"(?:五|5|三|3|十|10)年(?:来|间|中)|近年来|这些年|过去\d+年", text)
    q.period = m.group(0) if m else None
    for name, rx in _QTYPE_RE:
        if rx.search(text):
            q.qtype = name
            break
    # the unit asked for
    m = _UNIT_AFTER_Q.search(text)
    if m and m.group(1) in _UNIT_OF:
        q.unit = _UNIT_OF[m.group(1)]
    m2 = re.search(r"多([大高远长重久深宽快])", text)
    q.dimension = m2.group(1) if m2 and m2.group(1) in "高远长深宽重" else None
    if q.unit:
        q.unit_class = UNIT_CLASS.get(q.unit, "count")
    elif q.qtype == "percent":
        q.unit, q.unit_class = "%", "percent"
    elif m2 and _DIMENSION.get(m2.group(1)):
        q.unit_class = _DIMENSION[m2.group(1)]
    elif q.qtype == "count":
        for rx, cls in _MEASURE_WORDS:
            if rx.search(text):
                q.unit_class = cls
                break
    # the noun counted: 哪个市的工会会员更多, 会员数由多少增加到多少; 多少名职工 → 职工;
    # or the noun before 有多少 (…的职工有多少)
    if q.qtype in ("compare", "trend"):
        m = re.search(r"([\u4e00-\u9fff]{2,12}?)(?:总数|人数|数量|数|总量)?(?:的)?(?:更|最|由多少|从多少|历年|变化|趋势)", text)
        if m:
            found = [w for w in words(m.group(1)) if len(w) >= 2 and not gazetteer().is_place(w.rstrip("市省"))]
            if found:
                q.counted = found[-1]
    m = None if q.counted else re.search(
        r"(?:多少|几)(?:万|亿)?(?:个|名|位|家|户|项|份|条|件|次|人次|人|场|期|册|本|所|座|批|对)?([\u4e00-\u9fff]{2,10})", text)
    if m and not re.match(r"增|减|到|至|提|降|上|下", m.group(1)):
        phrase = m.group(1)
        cut = r"[的了呢吗？?在被为对向从到和及与、]|参加|参与|获得|获|提供|组建|建立|成立|实现|从事|开展|" \
              r"进行|加入|接受|享受|得到|通过|完成|举办|签订|覆盖|涵盖|是|有"
        noun = re.split(cut, phrase)[0]
        if "的" in phrase[2:]:
            # 多少户日子困难的工人 / 多少名职工的子女: the noun after 的 is the one counted
            head = re.split(cut, phrase[phrase.index("的", 2) + 1:])[0]
            noun = head if len(head) >= 2 else noun
        if len(noun) >= 2:
            q.counted = noun
    if q.counted is None:
        m = re.search(r"([\u4e00-\u9fff]{2,8}?)(?:的)?(?:总数|人数|数量|数|总量)?(?:一共|总共|共)?(?:是|有|为|达|共)?(?:多少|几)[？?个]?\s*$", text)
        if m:
            words_before = [w for w in words(m.group(1))
                            if len(w) >= 2 and w not in stopwords() and not find_places(w, places)]
            if words_before:
                q.counted = words_before[-1]
    if q.counted and not _is_word(q.counted):
        q.counted = None     # a fragment the parse cut out of the sentence (考到技能证 → 能证)
    if q.unit is None and q.unit_class is None and re.search(
            r"的人(?:数)?(?:多了|少了|增加了|减少了|有|是|为|达到?|共)?(?:大概|大约|一共|总共)?(?:多少|几)", text):
        q.unit_class = "people"   # 考到证的人多了多少
    if q.unit is None and q.unit_class is None and q.counted and q.qtype in ("count", "compare", "trend", "compute"):
        if _PEOPLE.search(re.sub(r"(?:总数|人数|数量|数)$", "", q.counted)):
            q.unit_class = "people"
    if q.unit is None and q.unit_class is None and q.qtype in ("count", "compute", "compare", "trend"):
        # money: 多少钱, 多少资金, 多少…保障金, 销售额是多少
        before = re.search(r"([\u4e00-\u9fff]{1,6})(?:是|有|为|达|共)?(?:多少|几)", text)
        asked = [w for w in (q.counted, before.group(1) if before else None) if w]
        if re.search(r"多少[\u4e00-\u9fff]{0,6}?的?(?:钱|资金|经费|金额)", text) or any(_MONEY_WORDS.search(w) for w in asked):
            q.unit_class = "money"
    q.terms = content_terms(text, q)
    if q.qtype in ("trend", "compute", "compare"):
        # the words that ask for the change or the comparison are not in the answer's sentence
        q.terms = [t for t in q.terms if not _CHANGE_WORDS.fullmatch(t)]
    return q


def _is_word(phrase: str) -> bool:
    """A word of the dictionary, or a compound of such words (金秋助学金); not a fragment
    that only jieba's guesswork joined (能证, 人进)."""
    freq = tokenizer().FREQ
    if freq.get(phrase, 0) > 0:
        return True
    parts = tokenizer().lcut(phrase)
    return len(parts) > 1 and all(freq.get(w, 0) > 0 for w in parts)


def content_terms(text: str, q: Query | None = None) -> list[str]:
    """The words of a question that say what is asked: no places, years, question words."""
    stop = stopwords()
    place_names = set(q.places) if q else set()
    out: list[str] = []
    clean = text
    for org in (q.orgs if q else []):
        clean = clean.replace(org, " ")
    clean = re.sub(r"[由从]多少.{0,8}?(?:到|至)多少", " ", clean)   # 会员数由多少增加到多少
    clean = _TIME_WORDS.sub(" ", clean)
    clean = _QUESTION_WORDS.sub(" ", clean)
    clean = re.sub(r"\d+(?:\.\d+)?", " ", clean)
    for w in _merge_unknown_names(words(clean)):
        if w in stop or len(w) < 1 or w in out:
            continue
        if any(w == p or w == p + "市" or w == p + "省" for p in place_names) or gazetteer().is_place(w.rstrip("市省")):
            continue
        if re.fullmatch(r"[年月日个名位人项家户份条件次场期册本所座批对元万亿]+", w):
            continue
        if w in ("市总", "市总工会", "总工会"):
            continue
        out.append(w)
    # one character split off a compound (金 of 金秋助学金, 获 of 获评) says little and matches
    # everywhere; it counts only when nothing longer is asked
    longer = [w for w in out if len(w) > 1]
    return longer if longer else out


def _merge_unknown_names(tokens: list[str]) -> list[str]:
    """Names the dictionary does not know come out of jieba in single characters (萱/侬/律) or
    as a surname and a word (林/永康): put them back together."""
    from .lexicon import surnames
    single, _ = surnames()
    stop = stopwords()
    out: list[str] = []
    run: list[str] = []
    for t in tokens + [""]:
        if len(t) == 1 and "\u4e00" <= t <= "\u9fff" and t not in stop:
            run.append(t)
            continue
        if len(run) == 1 and run[0] in single and len(t) == 2 and "\u4e00" <= t[0] <= "\u9fff":
            out.append(run[0] + t)          # 林永康
        else:
            out.append("".join(run)) if len(run) >= 2 else out.extend(run)
            if t:
                out.append(t)
        run = []
    return [t for t in out if t]


def query_tokens(q: Query) -> dict[str, float]:
    """BM25 terms with weights: the question's tokens (1.0) and their synonyms (0.4)."""
    weights: dict[str, float] = {}
    for t in tokenize(q.text):
        if re.fullmatch(r"\d+", t) and not (len(t) == 4 and t.startswith(("19", "20"))):
            continue  # figures asked about are not in the answer's text; years are
        weights[t] = weights.get(t, 0.0) + 1.0
    syn = synonyms()
    for t in list(weights):
        for s in syn.get(t, ()):
            for tok in tokenize(s):
                weights.setdefault(tok, 0.4)
    return weights


# --------------------------------------------------------------------------- retrieval

def place_match(query_places: Sequence[str], passage_place: str | None, text: str = "") -> float:
    """+1 same place, +0.5 the question's province holds the passage's city (or the text names
    the place), -1 another city or province, 0 when either side is unknown."""
    if not query_places:
        return 0.0
    g = gazetteer()
    best = None
    for qp in query_places:
        if passage_place == qp:
            return 1.0
        if passage_place and g.contains(qp, passage_place):
            # a city's article that speaks for its whole province (全区…) is about the province
            best = max(best or 0.0, 1.0 if ("全区" in text or "全省" in text) else 0.5)
        elif qp in text:
            best = max(best or 0.0, 0.5)
    if best is not None:
        return best
    if passage_place and g.is_place(passage_place):
        return -1.0
    return 0.0


class Retriever:
    """Hybrid search over an index.

    Args:
        data: the loaded index (:class:`qa.store.IndexData`).
        embedder: the embedder for questions (the index's own).
        mode: "hybrid" (default), "bm25" or "dense".
        candidates: how many passages each retriever proposes before fusion.
        fusion: "rrf" (default) or "weighted".
        weights: of the BM25 and the dense ranking in the fusion.
        rrf_k: the RRF constant. (1.0, 0.4) and 20 were the best of a small grid on the
            development and held-out questions and on CMRC 2018 (hit@1; bench/).
    """

    def __init__(self, data, embedder, mode: str = "hybrid", candidates: int = 40, fusion: str = "rrf",
                 weights: tuple[float, float] = (1.0, 0.4), rrf_k: int = 20):
        if mode not in MODES:
            raise InvalidParameter(f"mode={mode!r}: 可选 {', '.join(MODES)}")
        if fusion not in ("rrf", "weighted"):
            raise InvalidParameter(f"fusion={fusion!r}: 可选 rrf, weighted")
        self.data = data
        self.embedder = embedder
        self.mode = mode
        self.candidates = candidates
        self.fusion = fusion
        self.weights = weights
        self.rrf_k = rrf_k
        self.places_in_corpus = frozenset(p.place for p in data.passages if p.place)

    def search(self, question: str | Query, k: int = 5, mode: str | None = None) -> list[Hit]:
        """The ``k`` best passages for a question (a string or an analysed :class:`Query`)."""
        if not isinstance(k, int) or k < 1:
            raise InvalidParameter(f"k={k!r}: 需为正整数")
        mode = mode or self.mode
        if mode not in MODES:
            raise InvalidParameter(f"mode={mode!r}: 可选 {', '.join(MODES)}")
        q = question if isinstance(question, Query) else analyze(question, self.places_in_corpus)
        n = len(self.data.passages)
        if n == 0 or not q.text:
            return []
        pool = min(n, max(self.candidates, k))
        lexical: dict[int, float] = {}
        dense: dict[int, float] = {}
        if mode in ("hybrid", "bm25"):
            scores = self.data.bm25.scores(query_tokens(q))
            top = _top(scores, pool)
            lexical = {int(i): float(scores[i]) for i in top if scores[i] > 0}
        if mode in ("hybrid", "dense") and self.embedder is not None:
            vec = self.embedder.embed([q.text])
            sims, ids = self.data.vectors.search(np.ascontiguousarray(vec, dtype=np.float32), pool)
            dense = {int(i): float(s) for i, s in zip(ids[0], sims[0]) if i >= 0}
        if mode == "bm25":
            fused = _normalised(lexical)
        elif mode == "dense":
            fused = _normalised(dense)
        elif self.fusion == "rrf":
            fused = _normalised(rrf([sorted(lexical, key=lexical.get, reverse=True),
                                     sorted(dense, key=dense.get, reverse=True)], self.weights, self.rrf_k))
        else:
            fused = weighted_fusion([lexical, dense], self.weights)
            fused = _normalised(fused)
        ranked = []
        for i, s in fused.items():
            p = self.data.passages[i]
            ranked.append((s + self.bonus(q, p), i))
        ranked.sort(key=lambda x: (-x[0], x[1]))
        return [Hit(self.data.passages[i], s) for s, i in ranked[:k]]

    @staticmethod
    def bonus(q: Query, p: Passage) -> float:
        """Prefer passages about the place and the year asked."""
        if not (q.places or q.orgs or q.years):
            return 0.0
        b = 0.35 * place_match(q.places, p.place, p.text)
        for org in q.orgs:
            if org in p.section or org in p.text:
                b += 0.1
        for y in q.years:
            if f"{y}年" in p.text or f"{y}-" in p.text:
                b += 0.2
            elif p.date and p.date.startswith(str(y)):
                b += 0.1
        return b


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    if k >= len(scores):
        return np.argsort(-scores, kind="stable")
    part = np.argpartition(-scores, k)[:k]
    return part[np.argsort(-scores[part], kind="stable")]


def _normalised(scores: Mapping[int, float]) -> dict[int, float]:
    if not scores:
        return {}
    hi = max(scores.values())
    lo = min(min(scores.values()), 0.0)
    span = (hi - lo) or 1.0
    return {i: (s - lo) / span for i, s in scores.items()}
