"""Sentence-aware chunking of a cleaned report into :class:`Passage` records."""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass

from .reports import Report

# A sentence ends at 。！？； (and their ASCII forms), with any closing quotes after them, or
# at the end of its line: a line without a full stop (a heading, a byline 县长　沈宏伟, a table
# row, 防水等级：IPX4) is a sentence of its own, not dropped.
_SENTENCE = re.compile(r"[^。！？!?；;\n]*(?:[。！？!?；;]+[”’」』）)]*|$)", re.M)
# For reading an answer in context, 。！？ only: a clause after ； still belongs to its year.
_FULL_SENTENCE = re.compile(r"[^。！？!?\n]*(?:[。！？!?]+[”’」』）)]*|$)", re.M)


@dataclass(frozen=True)
class Passage:
    """A chunk of a report: whole sentences of one article about one place.

    ``text == report.text[start:end]`` for the cleaned text of report ``source``.
    ``passage_id`` is a hash of the source and the text, so it is stable across rebuilds.
    ``page`` is the page it starts on, for PDFs and images (None otherwise); ``doubtful`` the
    (start, end) spans of ``text`` that OCR recognised with low confidence.
    """

    passage_id: str
    source: str
    section: str
    place: str | None
    date: str | None
    text: str
    start: int
    end: int
    page: int | None = None
    doubtful: tuple[tuple[int, int], ...] = ()

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Passage":
        values = {k: d.get(k) for k in cls.__dataclass_fields__}
        values["doubtful"] = tuple(tuple(span) for span in values.get("doubtful") or ())
        return cls(**values)

    def is_doubtful(self, quote: str) -> bool:
        """Whether ``quote`` (a sentence of this passage) holds text OCR was unsure of."""
        if not self.doubtful or not quote:
            return False
        start = self.text.find(quote)
        if start < 0:
            return False
        end = start + len(quote)
        return any(a < end and start < b for a, b in self.doubtful)


def split_sentences(text: str, offset: int = 0, full: bool = False) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences of ``text``, shifted by ``offset``; blanks skipped.

    Sentences end at 。！？ and ；, or with ``full`` at 。！？ only.
    """
    spans = []
    for m in (_FULL_SENTENCE if full else _SENTENCE).finditer(text):
        s, e = m.start(), m.end()
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            spans.append((s + offset, e + offset))
    return spans


def _runon_pieces(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """A run-on "sentence" far longer than a passage (text with no full stops at all) is cut at
    its commas, or failing those every ``2 * max_chars`` characters, so no passage is huge."""
    limit = 4 * max_chars
    if end - start <= limit:
        return [(start, end)]
    pieces, a = [], start
    while end - a > limit:
        window = text[a:a + 2 * max_chars]
        cut = max(window.rfind(c) for c in "，,、 ")
        b = a + (cut + 1 if cut > max_chars // 2 else 2 * max_chars)
        pieces.append((a, b))
        a = b
    pieces.append((a, end))
    return pieces


def passage_id(source: str, text: str) -> str:
    return hashlib.sha1(f"{source}\x00{text}".encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class ChunkParams:
    """Chunking settings; the index manifest records them."""

    max_chars: int = 200
    overlap: int = 1           # sentences repeated at the start of the next passage

    def __post_init__(self):
        from .errors import InvalidParameter
        if not (20 <= self.max_chars <= 5000):
            raise InvalidParameter(f"max_chars={self.max_chars!r}: 需在 20 到 5000 之间")
        if not (0 <= self.overlap <= 5):
            raise InvalidParameter(f"overlap={self.overlap!r}: 需在 0 到 5 之间")


def chunk_report(report: Report, params: ChunkParams = ChunkParams()) -> list[Passage]:
    """Cut a report into passages of whole sentences.

    A passage never crosses an article or a change of place, starts afresh at a heading, and
    holds at most ``max_chars`` characters unless one sentence alone is longer: a sentence is
    never cut, so a figure always keeps its sentence.
    """
    # (start, end, section, place, heading) for every sentence of the cleaned text: whole
    # sentences (。！？) where they fit, their clauses (；) where one alone is too long
    units = []
    for para in report.paragraphs:
        for s, e in split_sentences(para.text, para.start, full=True):
            spans = split_sentences(report.text[s:e], s) if e - s > params.max_chars else [(s, e)]
            spans = [piece for a, b in spans for piece in _runon_pieces(report.text, a, b, params.max_chars)]
            for a, b in spans:
                units.append((a, b, para.section, para.place, para.heading, para.page))

    passages: list[Passage] = []
    seen: dict[str, int] = {}

    def emit(group):
        if not group or all(u[4] for u in group):
            return  # headings alone answer nothing; they live on in the next passage's section
        start, end = group[0][0], group[-1][1]
        text = report.text[start:end]
        pid = passage_id(report.source, text)
        if pid in seen:  # the same text twice in one report: keep ids unique and stable
            seen[pid] += 1
            pid = passage_id(report.source, f"{text}\x00{seen[pid]}")
        else:
            seen[pid] = 0
        body = next(u for u in group if not u[4])
        doubtful = tuple((max(a, start) - start, min(b, end) - start)
                         for a, b in report.doubtful if a < end and start < b)
        passages.append(Passage(pid, report.source, report.sections[body[2]].title, body[3],
                                report.date, text, start, end, body[5], doubtful))

    group: list[tuple] = []
    for u in units:
        if group:
            last = group[-1]
            too_long = u[1] - group[0][0] > params.max_chars and not all(x[4] for x in group)
            # a new page starts a passage, so a citation's page is the page of what it quotes
            boundary = u[2] != last[2] or u[3] != last[3] or u[5] != last[5]
            heading = u[4] and not last[4]
            if too_long or boundary or heading:
                emit(group)
                keep = []
                if params.overlap and not boundary and not heading:
                    keep = [x for x in group[-params.overlap:] if not x[4]]
                    # an overlap that alone nearly fills a passage only repeats it
                    if keep and u[1] - keep[0][0] > params.max_chars:
                        keep = []
                group = keep
        group.append(u)
    emit(group)
    return passages
