"""Deterministic synthetic corpora and questions for the speed benchmarks.

Passages are made from the sentences of the bundled reports with their places replaced by
other Chinese cities (from :func:`qa.lexicon.gazetteer`) and their figures by other numbers,
drawn from a seeded generator: the same seed and size always give the same files.

Each synthetic report file is a newspaper page: a page header with its date, then short
articles, each a title naming a city's trade union ("衡水市总工会职工书屋建设") and one
paragraph of at most ~190 characters. The chunker (max 200 characters, never across an
article) makes exactly one passage of each article, so a corpus of ``n`` passages is ``n``
articles, grouped ``per_file`` to a report file.
"""

from __future__ import annotations

import functools
import json
import os
import random
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
WORK = ROOT / "bench" / "work"
GENERATOR_VERSION = 1
PASSAGE_CHARS = 196          # title + newline + body; the chunker's limit is 200
WEEKDAYS = "一二三四五六日"


def seeds_dir() -> Path:
    """The bundled reports: the project's seeds/, else ../shared/seeds."""
    for d in (ROOT / "seeds", SHARED / "seeds"):
        if d.is_dir() and any(d.glob("*.txt")):
            return d
    raise FileNotFoundError("no bundled reports in seeds/ or ../shared/seeds")


# --------------------------------------------------------------------------- material

_NUMBER = re.compile(r"(?<![\d.])\d+(?:\.\d+)?")
_YEAR = re.compile(r"(?:19|20)\d\d(?=\s*年|\s*[-—~至到])")
_BYLINE_START = re.compile(r"^(?:本报|本版|记者|通讯员|特约|作者|摄影|责任编辑|编辑)")


@dataclass(frozen=True)
class Material:
    """What the generator draws from: sentence templates, title topics, question metrics."""

    templates: tuple[tuple, ...]     # each a tuple of parts: str, ("C", suffix), "P", "Y", (digits, decimals)
    topics: tuple[str, ...]
    metrics: tuple[tuple[str, str], ...]   # (metric, unit) from the seed figure table
    cities: tuple[str, ...]


def _template(sentence: str) -> tuple:
    """Split a sentence into literal text and slots for places, years and numbers."""
    from qa.lexicon import find_places, gazetteer
    g = gazetteer()
    slots: list[tuple[int, int, object]] = []
    for m in find_places(sentence):
        raw = sentence[m.start:m.end]
        if m.name in g.cities and raw.startswith(m.name):
            slots.append((m.start, m.end, ("C", raw[len(m.name):])))
        else:
            slots.append((m.start, m.end, "P"))
    taken = [(a, b) for a, b, _ in slots]
    for m in _NUMBER.finditer(sentence):
        if any(a < m.end() and m.start() < b for a, b in taken):
            continue
        if _YEAR.match(sentence, m.start()) and len(m.group(0)) == 4:
            slots.append((m.start(), m.end(), "Y"))
        else:
            whole, _, frac = m.group(0).partition(".")
            slots.append((m.start(), m.end(), (len(whole), len(frac))))
    slots.sort()
    parts: list[object] = []
    pos = 0
    for a, b, slot in slots:
        if a > pos:
            parts.append(sentence[pos:a])
        parts.append(slot)
        pos = b
    if pos < len(sentence):
        parts.append(sentence[pos:])
    return tuple(parts)


@functools.lru_cache(maxsize=1)
def material() -> Material:
    """Sentence templates and vocabulary from the bundled reports (cached)."""
    from qa.figures import figure_table
    from qa.lexicon import find_places, gazetteer, normalize, union_terms
    from qa.passages import chunk_report, split_sentences
    from qa.reports import decode_report, parse_report

    sentences: list[str] = []
    seen: set[str] = set()
    passages = []
    for path in sorted(seeds_dir().glob("*.txt")):
        report = parse_report(decode_report(path.read_bytes(), path.name), path.name)
        ps = chunk_report(report)
        passages.extend(ps)
        for p in ps:
            for s, e in split_sentences(p.text, full=True):
                sent = normalize(p.text[s:e]).strip()
                if not (12 <= len(sent) <= 150) or sent[-1] not in "。！？" or sent in seen:
                    continue
                if _BYLINE_START.match(sent) or not re.search(r"[\u4e00-\u9fff]", sent):
                    continue
                seen.add(sent)
                sentences.append(sent)
    g = gazetteer()
    cities = tuple(sorted(c for c in g.cities if c not in g.ambiguous and 2 <= len(c) <= 4))
    topics = tuple(t for t in union_terms() if 3 <= len(t) <= 8 and "年" not in t)
    metrics: dict[tuple[str, str], None] = {}
    for row in figure_table(passages):
        m = row.get("metric") or ""
        if (3 <= len(m) <= 8 and re.fullmatch(r"[\u4e00-\u9fff]+", m) and row.get("unit")
                and not find_places(m) and m[-1] not in "了等出有的是为达和及与在到"):
            metrics[(m, row["unit"])] = None
    return Material(tuple(_template(s) for s in sentences), topics, tuple(metrics), cities)


# --------------------------------------------------------------------------- generation

def _number(rng: random.Random, digits: int, decimals: int) -> str:
    lead = str(rng.randint(1, 9)) if digits > 1 else str(rng.randint(0, 9))
    whole = lead + "".join(str(rng.randint(0, 9)) for _ in range(digits - 1))
    if decimals:
        return whole + "." + "".join(str(rng.randint(0, 9)) for _ in range(decimals))
    return whole


def _fill(parts: tuple, rng: random.Random, city: str, province: str, year: int) -> str:
    out = []
    for part in parts:
        if part == "P":
            out.append(province)
        elif part == "Y":
            out.append(str(year - rng.randint(0, 3)))
        elif isinstance(part, str):
            out.append(part)
        elif part[0] == "C":
            out.append(city + part[1])
        else:
            out.append(_number(rng, *part))
    return "".join(out)


def _article(rng: random.Random, mat: Material, year: int, titles: set[str], bodies: set[str]) -> str:
    from qa.lexicon import gazetteer
    while True:
        city = rng.choice(mat.cities)
        province = gazetteer().cities[city]
        title = f"{city}市总工会{rng.choice(mat.topics)}"
        k = 2
        while title in titles:
            title = f"{city}市总工会{rng.choice(mat.topics)}（{k}）"
            k += 1
        budget = PASSAGE_CHARS - len(title) - 1
        body = ""
        for _ in range(6):
            sent = _fill(rng.choice(mat.templates), rng, city, province, year)
            if len(body) + len(sent) > budget:
                if body:
                    break
                continue
            body += sent
            if len(body) > budget * 0.6 and rng.random() < 0.5:
                break
        if body and body not in bodies:
            titles.add(title)
            bodies.add(body)
            return f"{title}\n\n{body}"


def report_text(file_index: int, articles: int, seed: int = 0) -> str:
    """The text of synthetic report number ``file_index``: a dated page of ``articles`` articles.

    The same (file_index, seed) always gives the same text, whatever the corpus size.
    """
    mat = material()
    rng = random.Random(seed * 1_000_003 + file_index)
    year = rng.randint(2008, 2023)
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    header = f"{year}年{month}月{day}日 星期{WEEKDAYS[rng.randint(0, 6)]}"
    titles: set[str] = set()
    bodies: set[str] = set()
    blocks = [header] + [_article(rng, mat, year, titles, bodies) for _ in range(articles)]
    return "\n\n".join(blocks) + "\n"


def generate(folder: Path, passages: int, per_file: int = 300, seed: int = 0) -> Path:
    """Write a synthetic corpus of ``passages`` passages into ``folder`` (reused when complete)."""
    folder = Path(folder)
    stamp = folder / ".complete"
    want = {"version": GENERATOR_VERSION, "passages": passages, "per_file": per_file, "seed": seed}
    if stamp.exists():
        try:
            if json.loads(stamp.read_text()) == want:
                return folder
        except (OSError, json.JSONDecodeError):
            pass
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    left, i = passages, 0
    while left > 0:
        n = min(per_file, left)
        (folder / f"syn_{i:05d}.txt").write_text(report_text(i, n, seed), encoding="utf-8")
        left -= n
        i += 1
    stamp.write_text(json.dumps(want))
    return folder


def extra_report(per_file: int = 300, seed: int = 0) -> tuple[str, str]:
    """(file name, text) of one more report, not part of any corpus: for the incremental add."""
    return "syn_extra.txt", report_text(10_000_000, per_file, seed)


def corpus_dir(passages: int, seed: int = 0, work: Path | None = None) -> Path:
    return Path(work or WORK) / "corpora" / f"syn-{passages}-s{seed}"


# --------------------------------------------------------------------------- questions

_TEMPLATES = (
    "{city}市{metric}有多少？",
    "{year}年{city}市{metric}是多少？",
    "截至{year}年底，{city}市共有多少{unit}{metric}？",
    "{city}市总工会在{topic}方面做了哪些工作？",
    "{city}的{metric}增加了多少？",
    "{province}{city}市{topic}情况怎么样？",
)


def questions(n: int, seed: int = 0) -> list[str]:
    """``n`` questions over the corpora's vocabulary (cities, metrics, topics), seeded."""
    from qa.lexicon import gazetteer
    mat = material()
    rng = random.Random(seed + 7919)
    out = []
    for i in range(n):
        city = rng.choice(mat.cities)
        metric, unit = rng.choice(mat.metrics)
        unit = unit if unit in ("个", "人", "家", "名", "项", "次") else ""
        out.append(_TEMPLATES[i % len(_TEMPLATES)].format(
            city=city, metric=metric, unit=unit, topic=rng.choice(mat.topics),
            year=rng.randint(2008, 2023), province=gazetteer().cities[city]))
    return out


def dir_bytes(folder: Path) -> int:
    """Total size of the files under ``folder``."""
    total = 0
    for root, _, files in os.walk(folder):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(root, f))
            except OSError:
                pass
    return total


def bundled_questions(index: Path, limit: int = 300) -> list[str]:
    """Questions on the bundled reports: dev.jsonl and bench/questions/*.jsonl (without history),
    then questions made from the index's figure table (place + metric), up to ``limit``."""
    from qa.evaluate import read_questions
    out: list[str] = []
    for path in [SHARED / "eval" / "dev.jsonl"] + sorted((ROOT / "bench" / "questions").glob("*.jsonl")):
        if path.exists():
            out.extend(r["question"] for r in read_questions(path) if not r.get("history"))
    templates = ("{place}市{metric}有多少？", "{time}，{place}市{metric}是多少？", "{place}{metric}共有多少？")
    rows = [json.loads(line) for line in (Path(index) / "figures.jsonl").read_text(encoding="utf-8").splitlines() if line]
    for i, row in enumerate(rows):
        metric, place = row.get("metric") or "", row.get("place") or ""
        if not place or not (2 <= len(metric) <= 8) or not re.fullmatch(r"[\u4e00-\u9fff]+", metric):
            continue
        out.append(templates[i % len(templates)].format(place=place, metric=metric, time=row.get("time") or "近年来"))
    seen: set[str] = set()
    unique = [q for q in out if not (q in seen or seen.add(q))]
    return unique[:limit]
