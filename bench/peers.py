"""What people would use otherwise: rank_bm25 or bm25s over jieba tokens, a FAISS flat index.

Both BM25 peers split text with ``jieba.lcut`` (precise mode, jieba's default dictionary) and
keep the tokens holding a letter, digit or Han character (blanks and punctuation dropped): the
splitter a user of those libraries would write. They index the passages' text, the same
passages this project's index holds, and keep each library's default parameters.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import numpy as np

_WORD = re.compile(r"[0-9A-Za-z\u4e00-\u9fff]")


def jieba_split(text: str) -> list[str]:
    """``jieba.lcut`` without blank and punctuation tokens."""
    import jieba
    return [w for w in jieba.lcut(text) if _WORD.search(w)]


def init_jieba() -> None:
    import jieba
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()


def _split_many(texts: list[str]) -> list[list[str]]:
    return [jieba_split(t) for t in texts]


def split_corpus(texts: list[str], workers: int = 1, chunk: int = 2000):
    """Token lists of ``texts`` in order, split in ``workers`` forked processes (like the
    project's own build); yields one list of token lists per chunk, to keep memory flat."""
    init_jieba()
    chunks = [texts[i:i + chunk] for i in range(0, len(texts), chunk)]
    if workers <= 1 or len(chunks) <= 1:
        yield from map(_split_many, chunks)
        return
    import multiprocessing
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        yield from pool.imap(_split_many, chunks)


class Vocab:
    """token -> id, as bm25s.tokenize builds it ("" is id 0, for queries with no known token)."""

    def __init__(self, tokens: list[str] | None = None):
        self.ids: dict[str, int] = {t: i for i, t in enumerate(tokens or [""])}

    def add(self, tokens: list[str]) -> list[int]:
        ids = self.ids
        out = []
        for t in tokens:
            j = ids.get(t)
            if j is None:
                j = ids[t] = len(ids)
            out.append(j)
        return out

    def known(self, tokens: list[str]) -> list[int]:
        return [self.ids[t] for t in tokens if t in self.ids]

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(list(self.ids), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "Vocab":
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))


class Bm25sPeer:
    """bm25s (default Lucene BM25, k1=1.5, b=0.75) over jieba tokens."""

    name = "bm25s + jieba"

    def __init__(self, retriever, vocab: Vocab):
        self.retriever = retriever
        self.vocab = vocab

    @classmethod
    def from_ids(cls, doc_ids: list[list[int]], vocab: Vocab) -> "Bm25sPeer":
        import bm25s
        retriever = bm25s.BM25()
        retriever.index((doc_ids, dict(vocab.ids)), show_progress=False, create_empty_token=False)
        return cls(retriever, vocab)

    @classmethod
    def from_texts(cls, texts: list[str]) -> "Bm25sPeer":
        vocab = Vocab()
        ids = [vocab.add(jieba_split(t)) for t in texts]
        return cls.from_ids(ids, vocab)

    def save(self, folder: Path) -> None:
        self.retriever.save(str(folder))
        self.vocab.save(Path(folder) / "jieba_vocab.json")

    @classmethod
    def load(cls, folder: Path) -> "Bm25sPeer":
        import bm25s
        return cls(bm25s.BM25.load(str(folder)), Vocab.load(Path(folder) / "jieba_vocab.json"))

    def search(self, question: str, k: int = 10) -> list[int]:
        """Row numbers of the ``k`` best passages."""
        ids = self.vocab.known(jieba_split(question)) or [0]
        n = self.retriever.scores["num_docs"]
        docs, _ = self.retriever.retrieve([ids], k=min(k, n), show_progress=False, n_threads=0)
        return [int(i) for i in docs[0]]


class RankBm25Peer:
    """rank_bm25's BM25Okapi (k1=1.5, b=0.75, epsilon=0.25) over jieba tokens."""

    name = "rank_bm25 + jieba"

    def __init__(self, token_lists: list[list[str]]):
        from rank_bm25 import BM25Okapi
        self.bm25 = BM25Okapi(token_lists)
        self.n = len(token_lists)

    @classmethod
    def from_texts(cls, texts: list[str]) -> "RankBm25Peer":
        return cls([jieba_split(t) for t in texts])

    def search(self, question: str, k: int = 10) -> list[int]:
        scores = self.bm25.get_scores(jieba_split(question))
        k = min(k, self.n)
        top = np.argpartition(-scores, k - 1)[:k] if k < self.n else np.arange(self.n)
        return [int(i) for i in top[np.argsort(-scores[top], kind="stable")]]


def prototype_answer(question: str, passages, bm25: RankBm25Peer) -> tuple[int, str]:
    """The "40-line prototype" people write first: rank_bm25 over jieba tokens, top passage,
    then the figure of that passage whose sentence shares the most characters with the question.

    Returns (row of the top passage, the figure's text or "").
    """
    from qa.figures import find_figures
    from qa.passages import split_sentences
    row = bm25.search(question, k=1)[0]
    text = passages[row].text
    asked = set(question)
    best, best_overlap = "", -1
    for s, e in split_sentences(text, full=True):
        sentence = text[s:e]
        overlap = len(asked & set(sentence))
        for fig in find_figures(sentence):
            if overlap > best_overlap:
                best, best_overlap = fig.text, overlap
    return row, best
