"""The records an answer is made of: :class:`Citation` and :class:`Answer`.

An answer carries its evidence as fields (the short answer, its label, the quoted sentences
with their citations, computed figures and their operands, the nearest record of a refusal,
why it won), so that a user interface renders fields and never parses the reply text.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Citation:
    """Where an answer comes from: the report file, the passage, its article, the quoted text.

    ``page`` is the page of a PDF or an image the passage starts on (None for text and Word
    reports); ``doubtful`` is True when the quote holds text OCR recognised with low confidence.
    """

    source: str
    passage_id: str
    section: str
    quote: str
    place: str | None = None
    date: str | None = None
    page: int | None = None
    doubtful: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    """A reply.

    ``short`` is the direct answer alone ("3135个", "2004年", "姚志平"); ``text`` the whole reply;
    ``found`` is False when the reports do not answer the question. ``head`` is the reply's
    first line (the answer with its label, or the refusal's message); ``label`` says whose
    figure and when (南宁，截至2008年6月底). ``computed`` lists figures the answer computed
    (labelled as such in the text), ``table`` one row per figure a compare, trend, sum or
    difference used, ``nearest`` a refusal's closest record (shown as not the answer).
    ``confidence`` is the calibrated probability that the answer is right, ``explain`` the
    features that made the winner win, and the runner-up's.
    """

    found: bool
    short: str
    text: str
    citations: tuple[Citation, ...] = ()
    kind: str = ""
    computed: tuple[str, ...] = ()
    table: tuple[dict, ...] = ()
    nearest: Citation | None = None
    head: str = ""
    label: str = ""
    reason: str = ""                      # a refusal's: place, year, thing, unsure, nothing …
    confidence: float | None = None
    explain: dict | None = field(default=None, compare=False)

    def to_dict(self, explain: bool = False) -> dict:
        d = {"found": self.found, "short": self.short, "text": self.text,
             "citations": [c.to_dict() for c in self.citations], "kind": self.kind,
             "computed": list(self.computed), "table": list(self.table),
             "nearest": self.nearest.to_dict() if self.nearest else None,
             "head": self.head, "label": self.label, "reason": self.reason,
             "confidence": None if self.confidence is None else round(self.confidence, 4)}
        if explain:
            d["explain"] = self.explain
        return d
