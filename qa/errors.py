"""Errors raised by the library.

Every error is a :class:`QAError`; its message quotes the bad value and says what to do.
The library never prints or exits: the CLI and the app catch ``QAError`` and show the message.
"""

from __future__ import annotations


class QAError(Exception):
    """Base class of every error this package raises on purpose."""


class InvalidQuestion(QAError):
    """The question cannot be used (not a string, for example)."""


class ReportError(QAError):
    """A report file cannot be read (binary, undecodable, empty, missing)."""

    def __init__(self, path: str, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class OcrUnavailable(QAError):
    """A scanned page or an image needs OCR, and the OCR package is not installed; the message
    names the command that installs it."""


class IndexMissing(QAError):
    """There is no index where one was expected."""


class IndexCorrupt(QAError):
    """The index on disk is damaged, from another format version, or incomplete."""


class EmptyIndex(QAError):
    """The index holds no report: every file in the reports folder was skipped, or there was none.
    The message says why each file could not be used."""


class NotAnIndex(QAError):
    """The index folder asked for holds something else (reports, notes, a file): a build
    would replace it, so it refuses and touches nothing."""


class EmbedderMismatch(QAError):
    """The index was built with another embedder than the one asked for."""


class EmbedderUnavailable(QAError):
    """The embedder asked for cannot be loaded on this machine."""


class BuildLocked(QAError):
    """Another build holds the index lock."""


class InvalidParameter(QAError):
    """A parameter is out of range or of the wrong kind."""


class MilvusUnavailable(QAError):
    """A ``milvus:`` index cannot be opened: pymilvus / Milvus Lite not installed, the server
    cannot be reached or refuses the token, or another process holds the Milvus Lite file.
    The message names the fix (for instance ``pip install -e ".[milvus]"``)."""
