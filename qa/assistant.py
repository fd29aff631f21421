"""The Assistant: a loaded index with its retriever and answerer, the object users call."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from .answer import Answer, Answerer
from .answer.followup import history_questions
from .embedders import BUILTIN_ID, Embedder, SentenceTransformerEmbedder, is_builtin
from .errors import EmbedderMismatch, InvalidParameter, InvalidQuestion
from .retriever import Hit, Retriever
from .index_store import open_index
from .store import IndexData


class Assistant:
    """Answers questions about the reports of one index.

    Use :meth:`load`::

        assistant = Assistant.load("index")
        hits = assistant.search("防城港市组建了多少个工会组织？", k=5)
        answer = assistant.ask("防城港市组建了多少个工会组织？", history=[])

    Args:
        data: a loaded index.
        embedder: the embedder for questions (the index's own, by default).
        mode: retrieval mode, "hybrid", "bm25" or "dense".
    """

    def __init__(self, data: IndexData, embedder: Embedder | None = None, mode: str = "hybrid"):
        self.data = data
        if embedder is None:
            embedder = data.embedder
            if embedder is None and data.embedder_id.startswith("st:"):
                embedder = SentenceTransformerEmbedder(data.embedder_id.removeprefix("st:"))
        self.embedder = embedder
        self.retriever = Retriever(data, embedder, mode=mode)
        self.answerer = Answerer(self.retriever)
        self._by_id: dict | None = None
        self._any_doubtful: bool | None = None     # whether any passage holds doubtful OCR text

    @classmethod
    def load(cls, index: str | Path = "index", embedder: str | Embedder | None = None,
             mode: str = "hybrid") -> "Assistant":
        """Load the index in folder ``index``, or the Milvus index ``milvus:<uri>`` (a Milvus Lite
        ``.db`` path or a server URL; ``pip install -e ".[milvus]"``).

        Args:
            embedder: None uses the embedder the index was built with; a name or an
                :class:`Embedder` must be that same embedder.

        Raises:
            IndexMissing, IndexCorrupt: the message names the command that fixes it.
            MilvusUnavailable: a ``milvus:`` index that cannot be opened (never a folder).
            EmbedderMismatch: the index was built with another embedder.
        """
        data = open_index(index)
        emb = None
        if embedder is not None:
            want = embedder.id if isinstance(embedder, Embedder) else \
                (BUILTIN_ID if is_builtin(embedder) else f"st:{embedder}")
            if want != data.embedder_id:
                name = want.removeprefix("st:")
                raise EmbedderMismatch(
                    f"索引 {index} 是用向量模型 {data.embedder_id} 建立的，不是 {want}；"
                    f"请运行 `qa build --full --embedder {name}` 重建，或不指定向量模型")
            if isinstance(embedder, Embedder):
                emb = embedder
        return cls(data, emb, mode=mode)

    def close(self) -> None:
        """Let go of the index's store (a Milvus connection; a Milvus Lite file is then free
        for another process). A local index holds nothing open."""
        self.data.store.close()

    def __enter__(self) -> "Assistant":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ questions
    def search(self, question: str, k: int = 5, mode: str | None = None, history=None) -> list[Hit]:
        """The ``k`` passages that best match ``question``, best first.

        With ``history``, a follow-up ("那绵阳呢？") is searched with what it leaves out.
        """
        if not isinstance(question, str):
            raise InvalidQuestion(f"问题必须是文本，而不是 {type(question).__name__}")
        if history is not None and not isinstance(history, (list, tuple)):
            raise InvalidParameter(f"history 必须是列表（之前的问题或问答对），而不是 {type(history).__name__}")
        if history:
            from .lexicon import normalize
            query = self.answerer.resolve(normalize(question).strip(), history_questions(history))
            return self.retriever.search(query, k=k, mode=mode)
        return self.retriever.search(question, k=k, mode=mode)

    def ask(self, question: str, history=None) -> Answer:
        """Answer ``question``. ``history`` holds earlier turns: (question, answer_text) pairs,
        plain question strings, or chat messages ({"role": "user", "content": …}).

        Raises:
            InvalidQuestion: ``question`` is not text.
            InvalidParameter: ``history`` is not a list.
        """
        return self.mark_doubtful(self.answerer.ask(question, history))

    DOUBTFUL_NOTE = "注意：引用的原文含扫描识别（OCR）把握不大的文字，请以原件为准。"

    def mark_doubtful(self, answer: Answer) -> Answer:
        """The answer with its citations of text OCR was unsure of marked (``doubtful``), and
        a line saying so at the end of its text."""
        if self._any_doubtful is None:
            self._any_doubtful = any(p.doubtful for p in self.data.passages)
        if not self._any_doubtful:
            return answer
        marked, any_doubt = [], False
        for c in answer.citations:
            p = self.passage(c.passage_id)
            if p is not None and p.doubtful and p.is_doubtful(c.quote):
                c = replace(c, doubtful=True)
                any_doubt = True
            marked.append(c)
        if not any_doubt:
            return answer
        return replace(answer, citations=tuple(marked), text=f"{answer.text}\n{self.DOUBTFUL_NOTE}")

    # ------------------------------------------------------------------ the index
    @property
    def manifest(self) -> dict:
        return self.data.manifest

    @property
    def figures(self) -> list[dict]:
        """The figure table: one row per figure, with its place, metric, value, unit, time,
        passage and sentence."""
        return self.data.figures

    def reports(self) -> list[dict]:
        """The indexed reports: file, title, date, number of passages, and pages (PDFs and
        images; None for text and Word reports)."""
        return [{"file": name, "title": meta.get("title", ""), "date": meta.get("date") or "",
                 "passages": meta.get("passages", 0), "pages": meta.get("pages")}
                for name, meta in sorted(self.data.manifest.get("reports", {}).items())]

    def passage(self, passage_id: str):
        """The passage with this id, or None."""
        if self._by_id is None:
            self._by_id = {p.passage_id: p for p in self.data.passages}
        return self._by_id.get(passage_id)
