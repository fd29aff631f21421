"""The answer package's shape: one-way imports (no cycles), strategies that use public steps
only, replies from templates, and the short answer phrase."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from qa.answer.analysis import analyze
from qa.answer.candidates import make_candidates
from qa.answer.replies import say, short_text, templates
from qa.passages import Passage
from qa.retriever import Hit

PACKAGE = Path(__file__).resolve().parent.parent / "qa" / "answer"


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module imported from within qa.answer, names) for each relative import of ``path``."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            out.append((node.module, [a.name for a in node.names]))
    return out


def test_the_answer_package_has_no_import_cycles():
    graph = {p.stem: {m for m, _ in _imports(p)} for p in PACKAGE.glob("*.py")}
    state: dict[str, int] = {}

    def visit(node, path):
        if state.get(node) == 1:
            raise AssertionError("import cycle: " + " → ".join(path + [node]))
        if state.get(node) == 2:
            return
        state[node] = 1
        for nxt in graph.get(node, ()):
            visit(nxt, path + [node])
        state[node] = 2

    for node in graph:
        visit(node, [])


def test_no_module_imports_another_ones_private_names():
    offenders = [(p.name, m, n) for p in PACKAGE.glob("*.py") for m, names in _imports(p)
                 for n in names if n.startswith("_")]
    assert offenders == []


def test_the_lower_layers_do_not_import_the_answer_package():
    root = PACKAGE.parent
    for name in ("retriever.py", "figures.py", "lexicon.py", "passages.py", "reports.py", "store.py"):
        text = (root / name).read_text(encoding="utf-8")
        assert "from .answer" not in text and "import qa.answer" not in text, name


def test_replies_come_from_the_template_file():
    t = templates()
    assert {"answer", "quote", "source", "refuse", "refuse_place", "difference", "sum", "compare_most"} <= set(t)
    assert say("refuse_place", what="白河") == "报告中没有关于白河的内容。"
    # every template names only the fields the code fills
    for key, text in t.items():
        if not key.startswith("_"):
            text.format(**{k: "x" for k in ("short", "label", "quote", "source", "n", "max", "scope", "what",
                                            "where", "winner", "items", "word", "missing", "years", "result",
                                            "first", "second", "which", "after", "before", "terms", "question")})


@pytest.mark.parametrize("question, sentence, expected", [
    ("有多少名观众？", "能容纳6,476名观众。", "6,476名观众"),            # the counted noun after the figure
    ("蓝线裸顶鲷的体长约是多少公分？", "体长可达80公分。", "体长可达80公分"),  # attribute and qualifier
    ("莎莉公司成立于哪一年？", "公司成立于1939年。", "成立于1939年"),        # the question's verb with 于
    ("南宁有多少个基层工会组织？", "全市基层工会组织8019个。", "8019个"),     # a plain noun stays out
    ("尤金袋鼠的体重大约是多少？", "约只有8公斤重。", "约只有8公斤重"),
    ("整机重量多少？", "整机重量：6.5公斤", "6.5公斤"),                  # a line that ends at the figure
])
def test_the_short_answer_is_the_answer_phrase_as_printed(question, sentence, expected):
    q = analyze(question)
    p = Passage("p", "r.txt", "", None, None, sentence, 0, len(sentence))
    cands = make_candidates(q, [Hit(p, 1.0)])
    c = next(c for c in cands if c.text in expected)
    assert short_text(q, c) == expected


def test_the_weights_file_is_small_and_readable():
    path = PACKAGE.parent / "data" / "answer_weights.json"
    assert path.stat().st_size < 100_000
    d = json.loads(path.read_text(encoding="utf-8"))
    assert {"command", "data", "fit", "held_out", "features", "families"} <= set(d)
