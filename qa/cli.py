"""The ``qa`` command: build, search, ask, eval, train, bench.

Heavy imports happen inside the commands, so ``qa --help`` is instant.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

EXAMPLES = {
    "build": "例子:\n  qa build                       # 增量更新 index/（报告库 reports/，首次使用时复制自 seeds/）\n"
             "  qa build --full                # 全量重建\n"
             "  qa build --reports mydocs --index myindex\n"
             "  qa build --full --embedder BAAI/bge-small-zh-v1.5   # 本机已有的 sentence-transformers 模型",
    "search": "例子:\n  qa search \"防城港市组建了多少个工会组织？\" -k 5\n  qa search \"金秋助学\" --json",
    "ask": "例子:\n  qa ask \"防城港市组建了多少个工会组织？\"\n  qa ask \"惠民超市呢？\" --history \"内江市建了几个困难职工帮扶中心？\"\n"
           "  qa ask \"南通市职工总数有多少？\" --json\n"
           "  qa ask \"防城港市组建了多少个工会组织？\" --explain     # 为什么是这个答案",
    "eval": "例子:\n  qa eval ../shared/eval/dev.jsonl\n  qa eval ../shared/eval/dev.jsonl --json",
    "bench": "例子:\n  qa bench --quick\n  qa bench",
    "migrate": "例子:\n  qa migrate --from index --to milvus:./index.db            # 本地索引复制到 Milvus Lite\n"
               "  qa migrate --from index --to milvus:http://localhost:19530  # 复制到 Milvus 服务器（令牌：QA_MILVUS_TOKEN）\n"
               "  qa migrate --from milvus:./index.db --to index2             # 从 Milvus 复制回本地目录",
    "train": "例子:\n  qa train                      # 重新拟合 qa/data/answer_weights.json（约两分钟）\n"
             "  qa train --reuse              # 沿用上次收集的候选，只重新拟合\n"
             "  qa train --out /tmp/w.json --limit 2000",
}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="qa", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="工会工作报告问答：检索报告并引用原文数字回答问题。",
        epilog="例子:\n  qa build\n  qa ask \"截至2008年6月底，南宁市共有多少个基层工会组织？\"\n"
               "  qa search \"职工书屋\" -k 3\n  qa eval ../shared/eval/dev.jsonl")
    sub = p.add_subparsers(dest="command", metavar="{build,search,ask,eval,train,bench,migrate}")

    def add(name, help_text):
        sp = sub.add_parser(name, help=help_text, description=help_text, epilog=EXAMPLES[name],
                            formatter_class=argparse.RawDescriptionHelpFormatter)
        return sp

    b = add("build", "建立或更新索引（默认增量）")
    b.add_argument("--reports", default=None,
                   help="报告目录（.txt/.md），默认为报告库 reports（没有时先复制 seeds 中的示例报告建立）")
    b.add_argument("--index", default="index", help="索引目录，默认 index；milvus:<uri> 为 Milvus 中的索引"
                                                    "（milvus:./index.db 或 milvus:http://host:19530）")
    b.add_argument("--full", action="store_true", help="全量重建")
    b.add_argument("--embedder", default=None,
                   help="向量模型：builtin（默认，离线）或本机已有的 sentence-transformers 模型名称/目录")
    b.add_argument("--wait", type=float, default=0.0, help="另一个构建进行中时最多等待的秒数")
    b.add_argument("--json", action="store_true", help="输出 JSON")
    b.add_argument("--events", action="store_true",
                   help="输出 JSON 行：每个步骤一行 {\"event\": …}，最后一行 {\"result\": …} 或 {\"error\": …}"
                        "（供网页等程序在子进程中构建）")

    s = add("search", "检索相关段落")
    s.add_argument("question")
    s.add_argument("-k", type=int, default=5, help="返回段落数，默认 5")
    s.add_argument("--mode", choices=["hybrid", "bm25", "dense"], default="hybrid")
    s.add_argument("--index", default="index")
    s.add_argument("--json", action="store_true", help="输出 JSON")

    a = add("ask", "提问并得到带出处的回答")
    a.add_argument("question")
    a.add_argument("--history", action="append", default=[], help="之前的问题（可多次给出）")
    a.add_argument("--index", default="index")
    a.add_argument("--json", action="store_true", help="输出 JSON：found, short, text, citations（加 --explain 时含 explain）")
    a.add_argument("--explain", action="store_true", help="列出答案胜出的原因：胜者与次者的主要特征贡献")

    e = add("eval", "在问题集上评测（dev.jsonl 格式）")
    e.add_argument("file")
    e.add_argument("--index", default="index")
    e.add_argument("--no-baseline", action="store_true", help="不跑 rank_bm25 基线")
    e.add_argument("--json", action="store_true", help="输出 JSON")

    t = add("train", "拟合回答的权重（qa/data/answer_weights.json）")
    from .answer.train import add_arguments
    add_arguments(t)

    be = add("bench", "运行基准测试，写出 bench/RESULTS.md")
    be.add_argument("--quick", action="store_true", help="小规模版本（两分钟内）")
    be.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)

    mg = add("migrate", "把索引原样复制到另一处（不重新计算向量）：本地目录 ↔ milvus:…")
    mg.add_argument("--from", dest="source", default="index", help="来源索引：目录或 milvus:<uri>，默认 index")
    mg.add_argument("--to", dest="target", required=True, help="目标索引：milvus:<uri> 或目录（原有内容被替换）")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not args.command:
        _parser().print_help()
        return 0
    from .errors import QAError
    try:
        return COMMANDS[args.command](args)
    except QAError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("已中断", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (qa ask … | head -1): not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _build(args) -> int:
    from . import build_index
    if args.reports is None:            # the library; a folder named on purpose is never made up
        from .reports import LIBRARY, ensure_library
        args.reports = LIBRARY
        # made from the samples beside it (in the project folder); elsewhere a missing
        # reports/ is an error, as any missing folder
        if ensure_library(LIBRARY, samples="seeds"):
            print(f"已建立报告库 {LIBRARY}/（复制自示例报告 seeds/；以后的报告放在这里，seeds/ 保持不变）",
                  file=sys.stderr)
    if args.events:
        return _build_events(args)
    tty = sys.stderr.isatty()
    # pages of PDFs and images (OCR takes seconds a page) are told on stderr as they are read
    on_event = None if tty else (lambda msg: print(msg, file=sys.stderr, flush=True) if "页" in msg else None)
    res = build_index(args.reports, args.index, full=args.full, embedder=args.embedder,
                      progress=tty, wait=args.wait, on_event=on_event)
    if args.json:
        print(json.dumps(res.to_dict(), ensure_ascii=False, indent=1))
    else:
        print(res.summary())
    return 0


def _build_events(args) -> int:
    """``qa build --events``: the steps, then the result or the error, one JSON object a line."""
    from . import build_index
    from .errors import QAError

    def emit(obj) -> None:
        print(json.dumps(obj, ensure_ascii=False), flush=True)
    try:
        res = build_index(args.reports, args.index, full=args.full, embedder=args.embedder,
                          progress=sys.stderr.isatty(), wait=args.wait,
                          on_event=lambda msg: emit({"event": msg}))
    except QAError as exc:
        emit({"error": type(exc).__name__, "message": str(exc)})
        return 2
    emit({"result": res.to_dict()})
    return 0


def _assistant(index: str):
    from . import Assistant
    return Assistant.load(index)


def _search(args) -> int:
    hits = _assistant(args.index).search(args.question, k=args.k, mode=args.mode)
    if args.json:
        print(json.dumps([h.to_dict() for h in hits], ensure_ascii=False, indent=1))
        return 0
    if not hits:
        print("没有找到相关段落。")
    for i, h in enumerate(hits, 1):
        meta = " · ".join(x for x in (h.place, h.date) if x)
        print(f"{i}. [{h.score:.3f}] {h.source} · {h.section}" + (f" （{meta}）" if meta else ""))
        print(f"   {h.text}")
    return 0


def _ask(args) -> int:
    ans = _assistant(args.index).ask(args.question, history=args.history)
    if args.json:
        print(json.dumps(ans.to_dict(explain=args.explain), ensure_ascii=False, indent=1))
    else:
        print(ans.text)
        if args.explain:
            print(explain_text(ans.explain))
    return 0 if ans.found else 1


def explain_text(explain: dict | None) -> str:
    """``Answer.explain`` as lines for the terminal."""
    if not explain:
        return "\n（这个回答没有打分过程：它由规则直接给出。）"
    lines = ["", "为什么："]
    if "probability" in explain:
        lines.append(f"  判定：{'回答' if explain['decision'] == 'found' else '拒答'}，"
                     f"把握 {explain['probability']:.2f}（门槛 {explain['threshold']:.2f}）")
        lines.append("  判定的主要依据：" + "，".join(f"{n} {v:+.2f}" for n, v in explain.get("decision_features", [])))
    else:
        lines.append(f"  拒答：{explain.get('reason')} {explain.get('detail') or ''}".rstrip())
    for key, label in (("winner", "胜者"), ("runner_up", "次者")):
        w = explain.get(key)
        if w:
            lines.append(f"  {label}：{w['answer']}（得分 {w['score']:.2f}，{w['source']}）")
            lines.append("    " + "，".join(f"{n} {v:+.2f}" for n, v in w["features"]))
    return "\n".join(lines)


def _eval(args) -> int:
    from .evaluate import evaluate
    report = evaluate(_assistant(args.index), args.file, baseline=not args.no_baseline)
    if args.json:
        print(json.dumps(report.summary(), ensure_ascii=False, indent=1))
    else:
        print(report.table())
    return 0


def _bench(args) -> int:
    try:
        from bench.__main__ import main as bench_main
    except ImportError:
        print("错误：找不到 bench 包；请在项目根目录运行 `python -m bench`", file=sys.stderr)
        return 2
    return bench_main((["--quick"] if args.quick else []) + list(args.rest or []))


def _train(args) -> int:
    from .answer.train import run
    return run(args)


def _migrate(args) -> int:
    from .milvus import migrate
    res = migrate(args.source, args.target, progress=sys.stderr.isatty())
    print(f"已复制 {args.source} → {args.target}：{res['passages']} 个段落，用时 {res['seconds']:.1f} 秒（未重新计算向量）")
    return 0


COMMANDS = {"build": _build, "search": _search, "ask": _ask, "eval": _eval, "train": _train, "bench": _bench,
            "migrate": _migrate}

if __name__ == "__main__":
    sys.exit(main())
