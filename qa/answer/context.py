"""What the features read besides the query and the candidate: the index's statistics
(:class:`Corpus`: word and character-pair document frequencies, the places and years the
reports cover, each report's text) and, per question, the weight of each of its words
(:class:`Context`)."""

from __future__ import annotations

import functools
import random
import re
from collections import Counter, OrderedDict

import numpy as np

from ..lexicon import bare_years, gazetteer, normalize
from .analysis import Query
from .matching import bigrams, coverage, identifiers, idf, parts

_BIGRAM_SAMPLE = 20_000       # passages the character-pair frequencies are counted on


class Corpus:
    """Statistics of one loaded index, computed once (the costly ones when first needed)."""

    def __init__(self, data, places_in_corpus: frozenset[str] = frozenset()):
        self.data = data
        bm = data.bm25
        n_rows = bm.counts.shape[0]
        df = np.diff(bm.counts.tocsc().indptr) if n_rows else np.zeros(0, dtype=np.int64)
        self.df: dict[str, int] = {t: int(df[i]) for i, t in enumerate(bm.vocab)} if len(df) else {}
        self.n = max(n_rows, 1)
        self.by_source: dict[str, list[int]] = {}
        self.source_places: dict[str, set[str]] = {}
        for i, p in enumerate(data.passages):
            self.by_source.setdefault(p.source, []).append(i)
            if p.place:
                self.source_places.setdefault(p.source, set()).add(p.place)
        g = gazetteer()
        terms = bm.term_index
        places = set(places_in_corpus) | {name for name in set(g.cities) | set(g.provinces)
                                          if name in terms or name + "市" in terms}
        self.places = frozenset(g.provinces.get(p, p) for p in places)
        self._docs: OrderedDict[str, str] = OrderedDict()
        self._bigram_df: dict[str, int] | None = None
        self._place_years: dict[str, frozenset[int]] = {}
        self._identifiers: dict[str, frozenset[str]] = {}
        self._bigram_n = 1

    # ---- coverage of places, years, words ------------------------------------
    def covers_place(self, name: str) -> bool:
        """Whether any report is about ``name`` or names it."""
        if name in self.places:
            return True
        terms = self.data.bm25.term_index
        return any(form in terms for form in (name, name + "市", name + "县", name + "区", name + "州"))

    @functools.cached_property
    def years(self) -> frozenset[int]:
        """The years the reports speak of (in their text or as their date)."""
        found = {int(t) for t in self.data.bm25.vocab if re.fullmatch(r"(?:19|20)\d\d", t)}
        found |= {int(p.date[:4]) for p in self.data.passages if p.date and p.date[:4].isdigit()}
        return frozenset(found)

    def years_about(self, place: str) -> frozenset[int]:
        """The years the passages about ``place`` (or naming it) speak of, and their reports' dates."""
        if place not in self._place_years:
            found: set[int] = set()
            for p in self.data.passages:
                if p.place == place or place in p.text:
                    found |= {int(y) for y in re.findall(r"((?:19|20)\d{2})\s*年", p.text)}
                    found |= set(bare_years(p.text))        # 2024厦门马拉松鸣枪开跑
                    if p.date and p.date[:4].isdigit():
                        found.add(int(p.date[:4]))
            self._place_years[place] = frozenset(found)
        return self._place_years[place]

    def idf(self, term: str) -> float:
        return idf(self.df.get(term.lower()), self.n)

    def has_word(self, term: str) -> bool:
        return term.lower() in self.df

    # ---- whole reports ----------------------------------------------------------
    def doc_text(self, source: str) -> str:
        """The normalised text of a whole report (the most recently used are kept)."""
        text = self._docs.pop(source, None)
        if text is None:
            text = normalize("\n".join(self.data.passages[i].text for i in self.by_source.get(source, [])))
        self._docs[source] = text
        while len(self._docs) > 512:
            self._docs.popitem(last=False)
        return text

    def identifiers_in(self, source: str) -> frozenset[str]:
        """The numbered things one report names (第23届, 7号线, mate60)."""
        if source not in self._identifiers:
            self._identifiers[source] = frozenset(identifiers(self.doc_text(source)))
        return self._identifiers[source]

    @functools.cached_property
    def identifiers(self) -> frozenset[str]:
        """The numbered things any report names."""
        return frozenset().union(*(self.identifiers_in(s) for s in self.by_source))

    def sources_about(self, places) -> list[str]:
        """The reports with a passage about one of ``places``."""
        return sorted(s for s, about in self.source_places.items() if any(p in about for p in places))

    # ---- character pairs ---------------------------------------------------------
    def has_bigram(self, gram: str) -> bool:
        """Whether the pair of characters occurs in the reports (in the passages counted)."""
        self.bigram_idf(gram)
        return self._bigram_df.get(gram, 0) > 0

    def bigram_idf(self, gram: str) -> float:
        if self._bigram_df is None:
            passages = self.data.passages
            rows = range(len(passages))
            if len(passages) > _BIGRAM_SAMPLE:
                rows = sorted(random.Random(0).sample(range(len(passages)), _BIGRAM_SAMPLE))
            counts: Counter = Counter()
            for i in rows:
                counts.update(bigrams(normalize(passages[i].text)))
            self._bigram_df, self._bigram_n = dict(counts), max(len(rows), 1)
        return idf(self._bigram_df.get(gram, 0), self._bigram_n)


class Context:
    """Per question: the query, the weight of each of its words, its character pairs."""

    def __init__(self, query: Query, corpus: Corpus, anchor=None):
        self.query = query
        self.corpus = corpus
        self.anchor = anchor                 # the candidate that answered the part before
        self.weights = term_weights(query, corpus)
        self.grams = question_grams(query, corpus)
        self._doc_cover: dict[str, float] = {}
        self.best_doc_cover = 0.0            # the best report's doc_cover among the hits (set by rank)
        self.subject = subject_of(query, self.weights)

    def doc_cover(self, source: str) -> float:
        """How much of the question a whole report holds."""
        if source not in self._doc_cover:
            self._doc_cover[source] = coverage(self.weights, [(self.corpus.doc_text(source), 1.0)], self.query.text)
        return self._doc_cover[source]


def subject_of(q: Query, weights: dict[str, float]) -> str | None:
    """What the question is about: its weightiest word among the specific ones (a name, a
    place, a rare word: 北盘江, 宁波舟山港), not a common word a paraphrase may have brought in
    (日子 of 日子困难的工人)."""
    from ..lexicon import gazetteer, tokenizer
    freq = tokenizer().FREQ
    specific = [t for t in weights if len(t) >= 2 and (freq.get(t, 0) < 2000 or gazetteer().is_place(t))]
    return max(specific, key=lambda t: (weights[t], len(t))) if specific else None


def term_weights(q: Query, corpus: Corpus) -> dict[str, float]:
    """Each word of the question weighted by its IDF in the index; a rare compound weighs like
    its parts (or it would decide alone), one character half."""
    weights = {}
    for t in q.terms:
        w = corpus.idf(t)
        subs = parts(t) if len(t) >= 3 else ()
        if subs:
            w = (w + sum(corpus.idf(s) for s in subs) / len(subs)) / 2
        if len(t) == 1:
            w *= 0.5
        weights[t] = max(w, 0.05)
    return weights


_QUESTION_CHARS = re.compile(r"多少|几|哪[一个些里年天位家种]?|谁|什么|何时|是否|吗|呢|请问|截至|是|有|的|了|在|为|\d+")


def question_grams(q: Query, corpus: Corpus) -> dict[str, float]:
    """The character pairs of the question (question words, places and years left out),
    weighted by IDF: they find paraphrases and OCR-damaged words that whole words miss."""
    text = q.text
    for place in sorted(q.places, key=len, reverse=True):
        text = text.replace(place, " ")
    grams = bigrams(_QUESTION_CHARS.sub(" ", text))
    return {g: corpus.bigram_idf(g) for g in grams}
