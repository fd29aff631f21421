"""Question answering over Chinese trade-union work reports.

    from qa import Assistant, build_index
    build_index("seeds", "index")
    assistant = Assistant.load("index")
    answer = assistant.ask("防城港市组建了多少个工会组织？")
"""

__version__ = "0.1.0"

from .assistant import Assistant  # noqa: E402
from .answer import Answer, Citation  # noqa: E402
from .errors import (BuildLocked, EmbedderMismatch, EmbedderUnavailable, EmptyIndex, IndexCorrupt,  # noqa: E402
                     IndexMissing, InvalidParameter, InvalidQuestion, MilvusUnavailable, NotAnIndex, QAError,
                     ReportError)
from .passages import Passage  # noqa: E402
from .retriever import Hit  # noqa: E402
from .store import BuildResult, build_index  # noqa: E402

__all__ = ["Assistant", "Answer", "Citation", "Hit", "Passage", "BuildResult", "build_index",
           "QAError", "InvalidQuestion", "ReportError", "IndexMissing", "IndexCorrupt",
           "EmbedderMismatch", "EmbedderUnavailable", "BuildLocked", "InvalidParameter", "NotAnIndex", "EmptyIndex", "MilvusUnavailable",
           "__version__"]
