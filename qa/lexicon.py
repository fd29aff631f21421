"""Words and places: the data files under ``qa/data``, the jieba tokenizer, text normalisation.

Indexing and querying tokenise with the same :func:`tokenize`, so the BM25 index and the
questions always agree. The data files are plain text so that people can extend them:

- ``places.tsv``: provinces and their prefecture-level cities (general geography);
- ``union_terms.txt``: trade-union vocabulary for jieba's user dictionary;
- ``synonyms.txt``: groups of words people use for the same thing (工人 ~ 职工, …);
- ``stopwords.txt``, ``modifiers.txt`` (高级 in 高级技师), ``surnames.txt`` (for 谁 questions).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import threading
from dataclasses import dataclass
from importlib import resources

DATA_FILES = ("places.tsv", "union_terms.txt", "synonyms.txt", "stopwords.txt",
              "modifiers.txt", "surnames.txt")

# Tokens kept for BM25: words with a letter, a digit or a Han character.
_WORDLIKE = re.compile(r"[0-9A-Za-z\u4e00-\u9fff]")


def _read(name: str) -> str:
    return resources.files("qa.data").joinpath(name).read_text(encoding="utf-8")


def _lines(name: str) -> list[str]:
    return [ln.strip() for ln in _read(name).splitlines()
            if ln.strip() and not ln.lstrip().startswith("#")]


def data_hash() -> str:
    """Hash of every data file: the index records it, since tokens depend on it."""
    h = hashlib.sha256()
    for name in DATA_FILES:
        h.update(name.encode())
        h.update(_read(name).encode("utf-8"))
    return h.hexdigest()[:16]


# --------------------------------------------------------------------------- normalisation

_WIDTH = {**{chr(0xFF10 + i): str(i) for i in range(10)},
          "％": "%", "．": ".", "\u3000": " ", "\u00a0": " ", "－": "-", "～": "~"}
_WIDTH_TABLE = str.maketrans(_WIDTH)


_WIDE = re.compile("[" + "".join(map(re.escape, _WIDTH)) + "]")


def fold_width(text: str) -> str:
    """Full-width digits, %, point and spaces to their ASCII forms; length is preserved."""
    # str.translate looks every character up in a dict (~10 ms for a 60k-character report,
    # which the answerer folds for each question); most texts hold none of these characters
    if not _WIDE.search(text):
        return text
    return text.translate(_WIDTH_TABLE)


@functools.lru_cache(maxsize=1)
def _t2s():
    try:
        import opencc
    except ImportError:  # the converter is optional: without it Traditional text stays as is
        return None
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional to Simplified Chinese (南寧 → 南宁) where OpenCC is installed."""
    conv = _t2s()
    if conv is None or not text:
        return text
    out = conv.convert(text)
    # Matching code works on positions, so only a length-preserving conversion is used.
    return out if len(out) == len(text) else text


# control and format characters, lone surrogates, private use: each becomes a space
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff"
                      "\ud800-\udfff\ue000-\uf8ff\ufff0-\uffff]")


@functools.lru_cache(maxsize=8192)
def normalize(text: str) -> str:
    """The form every matcher works on: Simplified, ASCII digits, no control characters.

    Length-preserving, so offsets in the normalised text are offsets in the original.
    """
    return to_simplified(fold_width(_CONTROL.sub(" ", text)))


# a year written without 年 (2022春运, 2024厦门马拉松鸣枪开跑), not a count (2000个, 2000多人)
_BARE_YEAR = re.compile(r"(?<![\d.])((?:19|20)\d{2})(?![\d.%年万亿多余])(?=[\u4e00-\u9fffA-Za-z\s]|$)"
                        r"(?!\s*[个名位人项家户份条件次场元米])")


def bare_years(text: str) -> list[int]:
    """The years ``text`` writes without 年, in order."""
    return [int(m.group(1)) for m in _BARE_YEAR.finditer(text)]


MAX_QUESTION_CHARS = 500   # longer questions are refused with a request to shorten them
# markup pasted into a question is not part of it: <script>…</script>, <b>, <img …>
_MARKUP = re.compile(r"<(script|style)\b.*?(?:</\1\s*>|$)|<[a-zA-Z/!][^<>]{0,200}>", re.S | re.I)


def strip_markup(text: str) -> str:
    """``text`` without HTML tags and scripts pasted into it."""
    return _MARKUP.sub(" ", text)


def clean_question(question: str) -> str:
    """A question as search and analysis read it: markup dropped, normalised, at most
    MAX_QUESTION_CHARS characters."""
    return normalize(_MARKUP.sub(" ", question[:4 * MAX_QUESTION_CHARS]))[:MAX_QUESTION_CHARS].strip()


# --------------------------------------------------------------------------- places

@dataclass(frozen=True)
class Gazetteer:
    """Provinces and cities. ``parent`` maps a city to its province."""

    provinces: dict[str, str]          # any name (全称 or short) -> short name
    cities: dict[str, str]             # city -> province short name
    ambiguous: frozenset[str]          # cities that are also everyday words

    def is_place(self, name: str) -> bool:
        return name in self.cities or name in self.provinces

    def province_of(self, name: str) -> str | None:
        if name in self.cities:
            return self.cities[name]
        return self.provinces.get(name)

    def contains(self, outer: str, inner: str) -> bool:
        """Whether place ``inner`` lies in ``outer`` (a city in its province)."""
        return outer in self.provinces and self.cities.get(inner) == self.provinces[outer]

    def level(self, name: str) -> str:
        return "province" if name in self.provinces else "city"


@functools.lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    provinces: dict[str, str] = {}
    cities: dict[str, str] = {}
    ambiguous: set[str] = set()
    for line in _read("places.tsv").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        full, shorts, city_list = (line.split("\t") + ["", ""])[:3]
        names = [s for s in shorts.split("|") if s]
        short = names[0] if names else full
        for n in [full, *names]:
            provinces[n] = short
        for c in city_list.split():
            if c.endswith("*"):
                c = c[:-1]
                ambiguous.add(c)
            cities[c] = short
    return Gazetteer(provinces, cities, frozenset(ambiguous))


_SUFFIX = "(?:壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区|省|市|地区|州|盟)"


@functools.lru_cache(maxsize=1)
def _place_regex() -> re.Pattern:
    g = gazetteer()
    names = sorted(set(g.provinces) | set(g.cities), key=len, reverse=True)
    return re.compile("(" + "|".join(map(re.escape, names)) + ")(" + _SUFFIX + ")?")


@dataclass(frozen=True)
class PlaceMention:
    name: str      # canonical short name: 南宁, 广西
    start: int
    end: int
    suffixed: bool  # written with 市/省/…


def find_places(text: str, extra: frozenset[str] = frozenset()) -> list[PlaceMention]:
    """Places named in ``text`` (already normalised), left to right, without overlaps.

    A city that is also an everyday word (安康 of 安康杯) counts only with a suffix.
    ``extra`` holds further place names, such as the counties an index's reports are about.
    """
    return list(_find_places(text, extra))


_STREET = re.compile(r"[东西南北中]?(?:路|大街|大道|街(?!道办)|巷|胡同)")


@functools.lru_cache(maxsize=16384)
def _find_places(text: str, extra: frozenset[str]) -> tuple[PlaceMention, ...]:
    # cached: the answerer looks up the places of the same corpus sentences for every question
    g = gazetteer()
    found = []
    for m in _place_regex().finditer(text):
        name, suffix = m.group(1), m.group(2)
        if name in g.ambiguous and not suffix:
            continue
        if not suffix and _STREET.match(text, m.end()):
            continue                     # 湖南路街道, 南京东路: a street named after a place
        if name in g.provinces and name not in g.cities:
            name = g.provinces[name]
        found.append(PlaceMention(name, m.start(), m.end(), bool(suffix)))
    others = [n for n in extra if n not in g.cities and n not in g.provinces]
    for name in sorted(others, key=len, reverse=True):
        for m in re.finditer(re.escape(name) + "(" + _SUFFIX + "|县|区)?", text):
            if not any(f.start < m.end() and m.start() < f.end for f in found):
                found.append(PlaceMention(name, m.start(), m.end(), bool(m.group(1))))
    found.sort(key=lambda f: f.start)
    return tuple(found)


# --------------------------------------------------------------------------- word lists

@functools.lru_cache(maxsize=1)
def synonyms() -> dict[str, tuple[str, ...]]:
    """word -> the other words of its group (the word itself excluded)."""
    table: dict[str, set[str]] = {}
    for line in _lines("synonyms.txt"):
        group = line.split()
        for w in group:
            table.setdefault(w, set()).update(x for x in group if x != w)
    return {w: tuple(sorted(v, key=len, reverse=True)) for w, v in table.items()}


@functools.lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    return frozenset(w for ln in _lines("stopwords.txt") for w in ln.split())


@functools.lru_cache(maxsize=1)
def modifiers() -> tuple[str, ...]:
    return tuple(sorted(_lines("modifiers.txt"), key=len, reverse=True))


@functools.lru_cache(maxsize=1)
def surnames() -> tuple[frozenset[str], frozenset[str]]:
    """(single-character surnames, two-character surnames)."""
    words = [w for ln in _lines("surnames.txt") for w in ln.split()]
    return (frozenset(w for w in words if len(w) == 1),
            frozenset(w for w in words if len(w) == 2))


def union_terms() -> list[str]:
    return _lines("union_terms.txt")


@functools.lru_cache(maxsize=None)
def word_list(name: str) -> tuple[str, ...]:
    """The words of a data file (whitespace-separated, ``#`` comments), longest first."""
    found = {w for ln in _lines(name) for w in ln.split()}
    return tuple(sorted(found, key=lambda w: (-len(w), w)))


@functools.lru_cache(maxsize=None)
def word_sections(name: str) -> dict[str, tuple[str, ...]]:
    """A data file of ``[section]`` headings, each followed by words: section -> words,
    longest first."""
    out: dict[str, set[str]] = {}
    current = None
    for ln in _lines(name):
        m = re.fullmatch(r"\[(\w+)\]", ln)
        if m:
            current = out.setdefault(m.group(1), set())
        elif current is not None:
            current.update(ln.split())
    return {k: tuple(sorted(v, key=lambda w: (-len(w), w))) for k, v in out.items()}


def alternation(words) -> str:
    """A regular expression matching any of ``words`` (longest first)."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


@functools.lru_cache(maxsize=1)
def attributes() -> dict[str, tuple[str, str | None]]:
    """Attribute word -> (what it asks, unit class or None): 销量 -> (count, None)."""
    out = {}
    for ln in _lines("attributes.tsv"):
        word, asks, cls = (ln.split("\t") + ["", "-"])[:3]
        out[word.strip()] = (asks.strip(), None if cls.strip() in ("", "-") else cls.strip())
    return out


# --------------------------------------------------------------------------- tokenizer

_tokenizer = None
_tokenizer_lock = threading.Lock()


def tokenizer():
    """The shared jieba tokenizer with the places and union terms added (built once)."""
    global _tokenizer
    if _tokenizer is None:
        with _tokenizer_lock:
            if _tokenizer is None:
                import jieba
                jieba.setLogLevel(logging.WARNING)
                tk = jieba.Tokenizer()
                _load_jieba_cache(tk)
                tk.initialize()          # builds and caches the dictionary when there is no cache
                g = gazetteer()
                for name in set(g.provinces) | set(g.cities):
                    if len(name) >= 2:
                        tk.add_word(name, freq=20000)
                        if name in g.cities:
                            tk.add_word(name + "市", freq=20000)
                for term in union_terms():
                    tk.add_word(term, freq=20000)
                for group in synonyms().values():
                    for w in group:
                        if len(w) >= 2:
                            tk.add_word(w)
                _tokenizer = tk
    return _tokenizer


def _load_jieba_cache(tk) -> None:
    """Load jieba's cache of its default dictionary as ``Tokenizer.initialize`` does, reading the
    file at once: ``marshal.load`` on a file object reads it piece by piece through Python
    calls, 1.6 s for jieba's 9 MB cache where ``marshal.loads`` of its bytes takes 0.4 s (most
    of ``qa ask``'s start-up and of every build's)."""
    import marshal
    import os
    import tempfile
    import jieba
    if tk.dictionary != jieba.DEFAULT_DICT or tk.cache_file:
        return
    path = os.path.join(tk.tmp_dir or tempfile.gettempdir(), "jieba.cache")
    try:
        with open(path, "rb") as f:
            tk.FREQ, tk.total = marshal.loads(f.read())
    except (OSError, EOFError, ValueError, TypeError):
        return                   # initialize() rebuilds the cache
    tk.initialized = True


def words(text: str) -> list[str]:
    """jieba's precise segmentation of normalised text, word-like tokens only."""
    return [w for w in tokenizer().lcut(normalize(text)) if _WORDLIKE.search(w)]


def tokenize(text: str) -> list[str]:
    """Tokens for BM25: jieba's search mode (words and their parts), lower case, no stopwords."""
    if len(text) <= 8:
        # short texts recur: the synonyms of a question's words are tokenised for every question
        return list(_tokenize_short(text))
    return _tokenize(text)


@functools.lru_cache(maxsize=8192)
def _tokenize_short(text: str) -> tuple[str, ...]:
    return tuple(_tokenize(text))


def _tokenize(text: str) -> list[str]:
    stop = stopwords()
    out = []
    for w in tokenizer().cut_for_search(normalize(text)):
        w = w.strip().lower()
        if w and w not in stop and _WORDLIKE.search(w):
            out.append(w)
    return out

