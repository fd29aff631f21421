"""RESULTS.md and latency.png from the results of a run (bench/work/results.json)."""

from __future__ import annotations

import math
import re
from pathlib import Path

SYSTEM_ORDER = ("hybrid", "bm25", "dense", "rank_bm25", "bm25s", "prototype")
LABELS = {"hybrid": "this project, hybrid", "bm25": "this project, BM25 only", "dense": "this project, dense only",
          "rank_bm25": "rank_bm25 + jieba", "bm25s": "bm25s + jieba",
          "prototype": "40-line prototype (rank_bm25 + jieba, nearest figure)"}


# --------------------------------------------------------------------------- formatting

def pct(x) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def ms(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{x:.2f}" if x < 10 else f"{x:.1f}" if x < 100 else f"{x:.0f}"


def secs(x) -> str:
    if x is None:
        return "—"
    return f"{x:.2f}" if x < 10 else f"{x:.1f}" if x < 100 else f"{x:.0f}"


def mb(x) -> str:
    return "—" if x is None else f"{x:,.0f}"


def size(nbytes) -> str:
    if nbytes is None:
        return "—"
    return f"{nbytes / 2**20:,.1f} MB" if nbytes < 2**30 else f"{nbytes / 2**30:.2f} GB"


def ratio(a, b) -> str:
    if a is None or b is None or not b:
        return "—"
    return f"{a / b:.2f}×"


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return out + [""]


def _get(d, *keys, default=None):
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return default
        d = d[k]
    return d


# --------------------------------------------------------------------------- sections

def _speed(stages: dict) -> list[dict]:
    rows = [v for k, v in stages.items() if k.startswith("speed:")]
    return sorted(rows, key=lambda r: (r.get("name") != "bundled", r.get("passages") or 0))


def targets(stages: dict) -> list[str]:
    runs = {r["name"]: r for r in _speed(stages) if "error" not in r}
    bundled, big = runs.get("bundled"), runs.get("100000")
    rows = []

    def row(name, value, ok, note=""):
        mark = "not measured" if ok is None else ("met" if ok else "**missed**")
        rows.append([name, value, mark, note])

    ask = _get(bundled, "latency", "ask", "p50")
    row("`ask` p50 < 20 ms warm, bundled reports", f"{ms(ask)} ms", None if ask is None else ask < 20)
    s95 = _get(big, "latency", "search", "p95")
    row("`search` p95 < 30 ms at 100k passages", f"{ms(s95)} ms", None if s95 is None else s95 < 30)
    worst = None
    notes = []
    for r in runs.values():
        a, b = _get(r, "latency", "search", "p95"), _get(r, "latency", "bm25s", "p95")
        if a is not None and b:
            worst = max(worst or 0, a / b)
            notes.append(f"{r['label']}: {a / b:.2f}×")
    row("`search` p95 within 3× of bm25s, every size", "worst " + (f"{worst:.2f}×" if worst else "—"),
        None if worst is None else worst <= 3, "; ".join(notes))
    b = _get(big, "build", "seconds")
    row("full build of 100k passages < 5 min", f"{secs(b)} s", None if b is None else b < 300)
    add = _get(big, "add", "seconds")
    row("add one report to a 100k index < 3 s", f"{secs(add)} s", None if add is None else add < 3,
        f"{_get(big, 'add', 'added_passages')} passages added" if add is not None else "")
    cold = _get(bundled, "cold", "ours", "median_s")
    others = "; ".join(f"{r['label']}: {secs(_get(r, 'cold', 'ours', 'median_s'))} s" for r in runs.values()
                       if r["name"] != "bundled" and _get(r, "cold", "ours", "median_s") is not None)
    row("`qa ask` cold start < 3 s (bundled reports)", f"{secs(cold)} s", None if cold is None else cold < 3, others)
    return ["## Targets", ""] + table(["target", "measured", "", "notes"], rows)


def quality(stages: dict) -> list[str]:
    out = []
    for q in stages.get("quality") or []:
        name = Path(q["file"]).name
        where = "../shared/eval/dev.jsonl" if name == "dev.jsonl" else f"bench/questions/{name}"
        out += [f"### {where}: {q['questions']} questions", ""]
        rows = []
        for key in SYSTEM_ORDER:
            s = q["systems"].get(key)
            if not s:
                continue
            rows.append([LABELS[key], pct(s["hit@1"]), pct(s["hit@5"]), pct(s["mrr@10"]), pct(s["accuracy"]),
                         pct(s["answerable_accuracy"]), pct(s["refusals_correct"])])
        n_ret = next(iter(q["systems"].values()))["retrieval_questions"]
        out += table(["system", "hit@1", "hit@5", "MRR@10", "answer accuracy", "answerable right",
                      "refusals right"], rows)
        out.append(f"Retrieval over the {n_ret} questions with evidence. Accuracy by kind:")
        out.append("")
        kinds = sorted({k for s in q["systems"].values() for k in s["by_kind"]})
        keys = [k for k in SYSTEM_ORDER if k in q["systems"]]
        rows = []
        for kind in kinds:
            n = next(s["by_kind"][kind]["n"] for s in q["systems"].values() if kind in s["by_kind"])
            rows.append([kind, n] + [pct(_get(q, "systems", k, "by_kind", kind, "accuracy")) for k in keys])
        out += table(["kind", "n"] + [LABELS[k] for k in keys], rows)
    if out:
        out = ["## Quality: the bundled reports", "",
               "hit@k: a top-k passage holds the question's evidence (whitespace aside); MRR@10 over that "
               "passage. Answer accuracy as `qa eval` scores it (must + source; refusal for unanswerable). "
               "Peers answer with their top passage (right when it holds every `must` entry and comes "
               "from the right report) and never refuse. Follow-ups: this project searches with the "
               "history; peers get the question alone.", ""] + out
    return out


def cmrc(stages: dict) -> list[str]:
    c = stages.get("cmrc")
    if not c:
        return []
    if "skipped" in c:
        return ["## Quality: CMRC 2018 trial set", "", f"Skipped: {c['skipped']}", ""]
    idx = c["index"]
    out = ["## Quality: CMRC 2018 trial set", "",
           f"{c['questions']} questions over {idx['paragraphs']} paragraphs (one report file each; "
           f"{idx['passages']} passages). Retrieval hit@k: a top-k passage comes from the question's "
           f"paragraph. Figure questions ({c['figure_questions']}): a gold answer with an Arabic digit, "
           f"at most 8 characters; right when the answer is found and holds a gold answer (loosely). "
           f"Digit questions ({c['digit_questions']}): any gold answer with a digit, whatever its length. "
           "Peers: their top passage comes from the right paragraph and holds a gold answer.", ""]
    rows = []
    for key in SYSTEM_ORDER:
        s = c["systems"].get(key)
        if s:
            rows.append([LABELS[key], pct(s["hit@1"]), pct(s["hit@5"]), pct(s["mrr@10"]),
                         pct(s["figure_accuracy"]), pct(s["digit_accuracy"])])
    out += table(["system", "hit@1", "hit@5", "MRR@10", f"figure questions ({c['figure_questions']})",
                  f"digit questions ({c['digit_questions']})"], rows)
    out.append("The answer columns are not alike: this project and the prototype must give the figure "
               "(a short answer), while rank_bm25 and bm25s only need their top passage to contain it, "
               "the far easier test `qa eval` applies to its baseline. The prototype's hit@1 is rank_bm25's.")
    return out + [""]


def speed_tables(stages: dict) -> list[str]:
    runs = _speed(stages)
    if not runs:
        return []
    ok = [r for r in runs if "error" not in r]
    out = ["## Speed and size", "",
           "Each measurement runs in its own process; latencies of all systems are measured in one "
           "process, question by question in turn, warm (after 30 other questions), `k=10`. Ratios are "
           "this project ÷ peer (below 1 is faster), so that they hold on a noisy shared machine.", ""]
    for r in runs:
        if "error" in r:
            out += [f"**{r['label']}: failed** — `{r['error'][-400:]}`", ""]

    out += ["### Build", ""]
    rows = []
    for r in ok:
        b, p = r["build"], r["peers"]
        rank_s = "skipped" if r.get("rank_skipped") else secs(p.get("rank_seconds"))
        rows.append([r["label"], f"{r['passages']:,}", secs(b["seconds"]), f"{b['passages_per_s']:,.0f}",
                     secs(p["bm25s_seconds"]), rank_s, ratio(b["seconds"], p["bm25s_seconds"]),
                     b.get("workers", 1), b.get("vector_index")])
    out += table(["corpus", "passages", "this project (s)", "passages/s", "bm25s + jieba (s)", "rank_bm25 + jieba (s)",
                  "ratio to bm25s", "processes", "FAISS index"], rows)
    out.append("This project's build reads, cleans and chunks reports, tokenises with jieba (search mode), "
               "counts BM25 terms, lists figures, fits and applies the built-in LSA embedder and writes "
               "the FAISS index; the peers' build is jieba (`lcut`) over the same passages plus indexing. "
               "Both tokenise in the same number of processes.")
    out.append("")
    rows = []
    for r in ok:
        ph = r["build"].get("phases", {})
        rows.append([r["label"]] + [secs(ph.get(k)) for k in ("读取报告", "拟合内置向量模型", "计算向量", "建立检索索引", "写入索引")])
    out += ["Where this project's build time goes (seconds):", ""]
    out += table(["corpus", "read, chunk, tokenise, figures", "fit embedder", "embed", "BM25 + FAISS", "write"], rows)

    out += ["### Incremental add of one report", ""]
    rows = []
    for r in ok:
        a, p = r["add"], r["peers"]
        rows.append([r["label"], secs(a["seconds"]), a.get("added_passages"), "full" if a.get("full") else "incremental",
                     secs(p["bm25s_seconds"]), ratio(a["seconds"], p["bm25s_seconds"])])
    out += table(["corpus", "this project (s)", "passages added", "build kind", "bm25s: re-index all (s)", "ratio"], rows)
    out.append("bm25s and rank_bm25 have no incremental add: adding a report means indexing everything again.")
    out.append("")

    out += ["### Search latency (ms, warm)", ""]
    rows = []
    for r in ok:
        lat = r["latency"]
        cell = lambda k: f"{ms(_get(lat, k, 'p50'))} / {ms(_get(lat, k, 'p95'))}" if k in lat else "—"
        rank = "skipped" if r.get("rank_skipped") else cell("rank_bm25")
        rows.append([r["label"], cell("search"), cell("search_bm25"), cell("search_dense"), cell("bm25s"), rank,
                     ratio(_get(lat, "search", "p95"), _get(lat, "bm25s", "p95")),
                     ratio(_get(lat, "search", "p50"), _get(lat, "bm25s", "p50")),
                     ratio(_get(lat, "search_bm25", "p95"), _get(lat, "bm25s", "p95"))])
    out += table(["corpus", "hybrid p50 / p95", "BM25 only", "dense only", "bm25s + jieba", "rank_bm25 + jieba",
                  "hybrid ÷ bm25s, p95", "p50", "BM25 only ÷ bm25s, p95"], rows)
    out.append("This project's `search` analyses the question (places, years, type, content words), runs BM25 "
               "with synonyms and the dense search, fuses them and favours the place and year asked; "
               "bm25s and rank_bm25 tokenise and score. rank_bm25 is timed on at most 100 questions.")
    out.append("")

    out += ["### `ask` latency and cold start", ""]
    rows = []
    for r in ok:
        lat, cold = r["latency"], r.get("cold", {})
        rows.append([r["label"], ms(_get(lat, "ask", "p50")), ms(_get(lat, "ask", "p95")),
                     secs(_get(cold, "ours", "median_s")), secs(_get(cold, "bm25s", "median_s")),
                     ratio(_get(cold, "ours", "median_s"), _get(cold, "bm25s", "median_s"))])
    out += table(["corpus", "`ask` p50 (ms)", "`ask` p95 (ms)", "`qa ask` cold (s)", "bm25s load + search cold (s)", "ratio"], rows)
    out.append("Cold start: the median of 3 fresh processes, `qa ask \"…\" --index …` against a script that "
               "imports bm25s and jieba, loads the saved bm25s index and searches once.")
    out.append("")

    out += ["### Peak memory (RSS, MB) and index size on disk", ""]
    rows = []
    for r in ok:
        b, p, s = r["build"], r["peers"], r.get("serve", {})
        worker = b.get("children_peak_rss_mb") or 0
        rows.append([r["label"], f"{mb(b['peak_rss_mb'])}" + (f" + {mb(worker)}/worker" if worker else ""),
                     mb(_get(s, "ours", "peak_rss_mb")), mb(p["peak_rss_mb"]), mb(_get(s, "bm25s", "peak_rss_mb")),
                     "skipped" if r.get("rank_skipped") else mb(_get(s, "rank_bm25", "peak_rss_mb")),
                     size(b["disk_bytes"]), size(p["bm25s_disk_bytes"])])
    out += table(["corpus", "build (this project)", "serving (this project)", "build (jieba + bm25s + rank_bm25)",
                  "serving (bm25s)", "serving (rank_bm25)", "index on disk (this project)", "index on disk (bm25s)"], rows)
    out.append("A build's workers are forked from its main process: their RSS counts the pages they still "
               "share with it, so the figures do not add up. "
               "Serving: load the index and answer 20 questions. This project's index holds BM25 counts, "
               "the vectors (FAISS), the passages, the figure table and the embedder; bm25s's only its "
               "score matrix and vocabulary (rank_bm25 has no on-disk format).")
    out.append("")
    return out


def faiss_tables(stages: dict) -> list[str]:
    runs = [r for r in _speed(stages) if "error" not in r and r.get("faiss")]
    if not runs:
        return []
    out = ["## FAISS: exact search against IVF and HNSW", "",
           "One question vector at a time, one thread (as the project searches), top 10. Recall@10: the "
           "share of the exact top 10 that the approximate index returns.", ""]
    rows = []
    for r in runs:
        f = r["faiss"]
        ivf = f.get("ivf", {})
        default = next((s for s in ivf.get("sweep", []) if s["nprobe"] == ivf.get("default_nprobe")), {})
        hnsw = f.get("hnsw", {})
        h96 = next((s for s in hnsw.get("sweep", []) if s["ef_search"] == 96), {})
        rows.append([r["label"], f"{f['n']:,}", f["stored_kind"], f"{ms(f['flat']['p50'])} / {ms(f['flat']['p95'])}",
                     f"{ivf.get('nlist')}/{ivf.get('default_nprobe')}", pct(default.get("recall_at_10")),
                     f"{ms(default.get('p50'))} / {ms(default.get('p95'))}", secs(ivf.get("build_s")) if ivf.get("build_s") is not None else "in build",
                     pct(h96.get("recall_at_10")), f"{ms(h96.get('p50'))} / {ms(h96.get('p95'))}", secs(hnsw.get("build_s"))])
    out += table(["corpus", "vectors", "index the build chose", "exact p50 / p95 (ms)", "IVF lists/probes",
                  "IVF recall@10", "IVF p50 / p95 (ms)", "IVF build (s)", "HNSW recall@10 (ef 96)",
                  "HNSW p50 / p95 (ms)", "HNSW build (s)"], rows)
    for r in runs:
        f = r["faiss"]
        parts = [f"nprobe {s['nprobe']}: {pct(s['recall_at_10'])} at {ms(s['p50'])} ms"
                 for s in f.get("ivf", {}).get("sweep", [])]
        hparts = [f"ef {s['ef_search']}: {pct(s['recall_at_10'])} at {ms(s['p50'])} ms"
                  for s in f.get("hnsw", {}).get("sweep", [])]
        out.append(f"- {r['label']}: IVF " + "; ".join(parts) + (". HNSW " + "; ".join(hparts) if hparts else "") + ".")
    return out + [""]


def header(data: dict) -> list[str]:
    meta = data.get("meta", {})
    m = meta.get("machine", {})
    v = m.get("versions", {})
    lines = ["# Benchmarks: this project beside rank_bm25, bm25s and FAISS", "",
             f"Generated by `{' '.join(['python -m bench'] + list(meta.get('argv') or []))}` on {meta.get('started')}, "
             f"in {secs(meta.get('seconds'))} s. Machine: {m.get('cpu')}, {m.get('cpus')} CPUs, "
             f"{m.get('ram_gib')} GiB RAM, shared with other jobs (load average {meta.get('load_start')} at the "
             f"start, {meta.get('load_end')} at the end); code at {meta.get('git_start', '?')}"
             + (f" (at the end: {meta.get('git_end')})" if meta.get("git_end", meta.get("git_start")) != meta.get("git_start") else "")
             + f"; Python {m.get('python')}, "
             + ", ".join(f"{k} {val}" for k, val in v.items()) + ".", "",
             "Peers: `rank_bm25` (BM25Okapi) and `bm25s` (default BM25, numpy backend) over `jieba.lcut` tokens "
             "(precise mode, jieba's default dictionary, blank and punctuation tokens dropped), indexing the "
             "same passages as this project; FAISS `IndexFlatIP` (exact) over this project's vectors. BLAS runs "
             "single-threaded in every process (on this shared 2-core machine a multi-threaded OpenBLAS call was "
             "20-100× slower when the other core was busy); builds use worker processes instead.", ""]
    kept = meta.get("kept")
    if kept:
        runs: dict[tuple, list[str]] = {}
        for k in kept["stages"]:
            prov = data.get("provenance", {}).get(k) or {"started": kept.get("started"), "git": kept.get("git")}
            runs.setdefault((prov.get("started"), prov.get("git")), []).append(k)
        lines += ["Resumed run: " + "; ".join(
            f"kept from the run started {started} (code {git}): " + ", ".join(f"`{k}`" for k in stages)
            for (started, git), stages in sorted(runs.items(), key=lambda r: str(r[0][0])))
            + "; everything else was measured in this one.", ""]
    synth = [s for s in meta.get("sizes", [])]
    if synth:
        lines += [f"Synthetic corpora ({', '.join(f'{n:,}' for n in synth)} passages): the bundled reports' sentences "
                  "with other cities and other figures (seed " + str(meta.get("seed", 0)) + "), short articles of "
                  "one passage each, 300 to a report file (bench/corpus.py); their questions come from "
                  "templates over the same cities and metrics.", ""]
    return lines


def notes(data: dict) -> list[str]:
    stages = data.get("stages", {})
    meta = data.get("meta", {})
    out = ["## Notes", ""]
    for r in _speed(stages):
        lat = r.get("latency") or {}
        a, b = _get(lat, "search", "p95"), _get(lat, "bm25s", "p95")
        if a and b and a / b > 3:
            flat = _get(r, "faiss", "flat", "p50") if _get(r, "faiss", "stored_kind") == "flat" else None
            exact = f", of which {ms(flat)} ms (p50) is the exact vector search below the IVF threshold" if flat else ""
            out.append(f"- {r['label']}: `search` p95 is {a / b:.2f}× bm25s's ({ms(a)} ms against {ms(b)} ms); "
                       f"BM25 alone is {ratio(_get(lat, 'search_bm25', 'p95'), b)} and dense alone "
                       f"{ms(_get(lat, 'search_dense', 'p95'))} ms{exact}. On a small index the hybrid search's fixed "
                       "cost per question dominates: query analysis (jieba twice, places, figures), synonyms, "
                       "the second retriever and the fusion with place and year bonuses over ~100 "
                       "candidates (`Retriever.search`/`bonus`/`analyze` in qa/retriever.py, about 1 ms), "
                       "where bm25s only tokenises and adds a few short posting lists.")
    big = [r for r in _speed(stages) if (r.get("passages") or 0) >= 100_000 and _get(r, "cold", "ours", "median_s")]
    for r in big:
        if r["cold"]["ours"]["median_s"] >= 3:
            out.append(f"- {r['label']}: `qa ask` starts in {secs(r['cold']['ours']['median_s'])} s (the target is "
                       "for the bundled reports): it parses every passage (passages.jsonl), loads the BM25 "
                       "counts and the vectors, builds the BM25 weights and loads jieba's dictionary.")
    measured = {r.get("passages") for r in _speed(stages) if "error" not in r}
    if 1_000_000 not in measured:
        out.append("- 1M passages: not in this run" + (" (`--quick`)." if meta.get("quick") else
                   "; see the report that accompanies it for why."))
    if any(r.get("rank_skipped") for r in _speed(stages)):
        out.append(f"- rank_bm25 is skipped past {meta.get('rank_max', 100_000):,} passages: it scores every passage "
                   "in Python for each query term (seconds per question at 1M).")
    out.append("- Raw numbers: results.json (results-quick.json for `--quick`) under the work folder (bench/work/ by default); `python -m bench --render` rewrites this file and the plot from it.")
    return out + [""]


# Sections other scripts own (bench.answers, bench.documents): kept when this file is rewritten.
_SECTION = re.compile(r"<!-- section:([\w-]+) -->\n.*?<!-- /section:\1 -->\n", re.S)


def sections(text: str) -> dict[str, str]:
    """The marked sections of a RESULTS.md, by name, each with its markers."""
    return {m.group(1): m.group(0) for m in _SECTION.finditer(text)}


def write_section(path: Path, name: str, lines: list[str]) -> Path:
    """Put ``lines`` into RESULTS.md as the section ``name``, replacing its earlier version."""
    path = Path(path)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    block = f"<!-- section:{name} -->\n" + "\n".join(lines).rstrip("\n") + f"\n<!-- /section:{name} -->\n"
    old = sections(text).get(name)
    if old is not None:
        text = text.replace(old, block)
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + block
    path.write_text(text, encoding="utf-8")
    return path


def render(data: dict, out: Path) -> Path:
    stages = data.get("stages", {})
    lines = header(data) + targets(stages) + quality(stages) + cmrc(stages) + speed_tables(stages) \
        + faiss_tables(stages) + notes(data)
    path = Path(out) / "RESULTS.md"
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    kept = sections(old)
    # the sections bench/documents.py (PDFs and scans) and bench/milvus.py measure separately
    from .documents import kept_section
    from .milvus import BEGIN as MILVUS_BEGIN, END as MILVUS_END
    documents = kept_section(path)
    milvus = ""
    if MILVUS_BEGIN in old and MILVUS_END in old:
        milvus = MILVUS_BEGIN + old.split(MILVUS_BEGIN, 1)[1].split(MILVUS_END, 1)[0] + MILVUS_END + "\n"
    text = "\n".join(lines)
    if kept:
        text = text.rstrip("\n") + "\n\n" + "\n".join(kept.values())
    for block in (documents, milvus):
        if block:
            text = text.rstrip("\n") + "\n\n" + block
    path.write_text(text, encoding="utf-8")
    plot(stages, Path(out) / "latency.png")
    return path


def plot(stages: dict, path: Path) -> Path | None:
    """Search latency (p50 and p95) against corpus size, log-log."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    runs = [r for r in _speed(stages) if "error" not in r]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8), sharey=True)
    series = [("search", "this project, hybrid", "-o"), ("search_bm25", "this project, BM25 only", "-s"),
              ("search_dense", "this project, dense only", "-^"), ("bm25s", "bm25s + jieba", "--o"),
              ("rank_bm25", "rank_bm25 + jieba", "--s")]
    for ax, stat in zip(axes, ("p50", "p95")):
        for key, label, style in series:
            pts = [(r["passages"], r["latency"][key][stat]) for r in runs if key in r.get("latency", {})]
            if pts:
                ax.plot(*zip(*pts), style, label=label)
        pts = [(r["passages"], r["faiss"]["flat"][stat]) for r in runs if r.get("faiss")]
        if pts:
            ax.plot(*zip(*pts), ":x", label="FAISS exact (vector search alone)")
        pts = []
        for r in runs:
            ivf = r.get("faiss", {}).get("ivf", {})
            d = next((s for s in ivf.get("sweep", []) if s["nprobe"] == ivf.get("default_nprobe")), None)
            if d:
                pts.append((r["passages"], d[stat]))
        if pts:
            ax.plot(*zip(*pts), ":+", label="FAISS IVF (vector search alone)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("passages in the index")
        ax.set_title(f"search latency, {stat} (warm, k=10)")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("milliseconds")
    axes[1].legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
