"""The local store and Milvus Lite side by side: build, incremental add, load, search, memory.

    python -m bench.milvus                      # 10,000 and 100,000 synthetic passages
    python -m bench.milvus --sizes 10000 --questions 50

Every measurement runs in a child process of its own (its peak RSS is its own). Milvus Lite
3.2.2 runs inside the measuring process (pure Python threads and a local gRPC server), so its
memory counts in the serving process here; a Milvus server would hold it in another machine.
Results go to bench/work/milvus.json and the "Local store and Milvus" section of RESULTS.md
(between its markers; ``python -m bench --render`` keeps it).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .corpus import ROOT, WORK, corpus_dir, dir_bytes, extra_report, generate, questions
from .speed import child_env, summary_ms

RESULTS = WORK / "milvus.json"
BEGIN, END = "<!-- milvus:begin -->", "<!-- milvus:end -->"


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------- jobs (in a child)

def job_build(reports: str, index: str) -> dict:
    from qa import build_index
    from qa.index_store import is_milvus
    if not is_milvus(index):
        shutil.rmtree(index, ignore_errors=True)
    else:
        shutil.rmtree(index[len("milvus:"):], ignore_errors=True)
    marks: list[tuple[str, float]] = []
    t0 = time.perf_counter()
    res = build_index(reports, index, full=True, on_event=lambda m: marks.append((m, time.perf_counter())))
    seconds = time.perf_counter() - t0
    phases: dict[str, float] = {}
    for (name, t), (_, t_next) in zip(marks, marks[1:]):
        phases[name] = phases.get(name, 0.0) + (t_next - t)
    return {"seconds": seconds, "passages": res.passages, "phases": phases, "rss_mb": _rss_mb()}


def job_migrate(source: str, target: str) -> dict:
    from qa.milvus import migrate, parse_spec
    if parse_spec(target).lite:
        shutil.rmtree(target[len("milvus:"):], ignore_errors=True)
    t0 = time.perf_counter()
    res = migrate(source, target)
    return {"seconds": time.perf_counter() - t0, "passages": res["passages"], "rss_mb": _rss_mb()}


def job_add(reports: str, index: str, work: str, copy_from: str) -> dict:
    """Add one report (300 passages) to a copy of an index."""
    from qa import build_index
    from qa.index_store import is_milvus
    work = Path(work)
    shutil.rmtree(work, ignore_errors=True)
    folder = work / "reports"
    folder.mkdir(parents=True)
    for f in sorted(Path(reports).iterdir()):
        if f.is_file() and not f.name.startswith("."):
            os.link(f, folder / f.name)
    src = copy_from[len("milvus:"):] if is_milvus(copy_from) else copy_from
    dst = index[len("milvus:"):] if is_milvus(index) else index
    shutil.copytree(src, dst)
    name, text = extra_report()
    (folder / name).write_text(text, encoding="utf-8")
    marks: list[tuple[str, float]] = []
    t0 = time.perf_counter()
    res = build_index(folder, index, on_event=lambda m: marks.append((m, time.perf_counter())))
    seconds = time.perf_counter() - t0
    phases: dict[str, float] = {}
    for (step, t), (_, t_next) in zip(marks, marks[1:]):
        phases[step] = phases.get(step, 0.0) + (t_next - t)
    shutil.rmtree(work, ignore_errors=True)
    return {"seconds": seconds, "added_passages": res.embedded, "full": res.full, "phases": phases}


def job_serve(index: str, n_questions: int) -> dict:
    """Load, then search: hybrid, BM25 only, dense only, and ask; warm (after 10 questions)."""
    t0 = time.perf_counter()
    from qa import Assistant
    a = Assistant.load(index)
    load = time.perf_counter() - t0
    qs = questions(n_questions + 10, seed=1)
    for q in qs[:10]:
        a.search(q, k=10)
    times: dict[str, list[float]] = {"hybrid": [], "bm25": [], "dense": [], "ask": []}
    top: dict[str, list[list[str]]] = {"hybrid": [], "bm25": [], "dense": []}
    for q in qs[10:]:
        for mode in ("hybrid", "bm25", "dense"):
            t = time.perf_counter()
            hits = a.search(q, k=10, mode=mode)
            times[mode].append(time.perf_counter() - t)
            top[mode].append([h.passage_id for h in hits[:5]])
        t = time.perf_counter()
        a.ask(q)
        times["ask"].append(time.perf_counter() - t)
    a.close()
    return {"load_s": load, "rss_mb": _rss_mb(), "top5": top, **{m: summary_ms(v) for m, v in times.items()}}


JOBS = {"build": job_build, "migrate": job_migrate, "add": job_add, "serve": job_serve}


def run_job(job: str, timeout: float | None = None, **args) -> dict:
    cmd = [sys.executable, "-m", "bench.milvus", "--job", job, json.dumps(args, ensure_ascii=False)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=child_env(), timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"{job} failed ({proc.returncode}): {proc.stderr[-3000:]}")
    out = json.loads([ln for ln in proc.stdout.splitlines() if ln.startswith("{")][-1])
    out["job_seconds"] = time.perf_counter() - t0
    print(f"  {job} {args.get('index') or args.get('target')}: {out.get('seconds', out.get('load_s')):.1f} s", flush=True)
    return out


# --------------------------------------------------------------------------- the run

def measure(size: int, n_questions: int, skip: set[str]) -> dict:
    reports = generate(corpus_dir(size), size)
    base = WORK / "milvus" / str(size)
    base.mkdir(parents=True, exist_ok=True)
    local, lite, migrated = str(base / "index"), f"milvus:{base / 'built.db'}", f"milvus:{base / 'migrated.db'}"
    out: dict = {"passages": size, "reports": len(list(reports.glob('*.txt')))}
    out["local_build"] = run_job("build", reports=str(reports), index=local)
    out["local_disk"] = dir_bytes(Path(local))
    if "lite_build" not in skip:
        out["lite_build"] = run_job("build", reports=str(reports), index=lite)
        out["lite_disk"] = dir_bytes(Path(lite[len("milvus:"):]))
    out["lite_migrate"] = run_job("migrate", source=local, target=migrated)
    if "lite_build" in skip:
        out["lite_disk"] = dir_bytes(Path(migrated[len("milvus:"):]))
    out["local_add"] = run_job("add", reports=str(reports), index=str(base / "add-local"), work=str(base / "w1"),
                               copy_from=local)
    if "lite_add" not in skip:
        out["lite_add"] = run_job("add", reports=str(reports), index=f"milvus:{base / 'add-lite.db'}",
                                  work=str(base / "w2"), copy_from=migrated)
        shutil.rmtree(base / "add-lite.db", ignore_errors=True)
    shutil.rmtree(base / "add-local", ignore_errors=True)
    out["local_serve"] = run_job("serve", index=local, n_questions=n_questions)
    out["lite_serve"] = run_job("serve", index=migrated, n_questions=n_questions)
    mine, theirs = out["local_serve"].pop("top5"), out["lite_serve"].pop("top5")
    out["same_top5"] = {mode: [sum(a == b for a, b in zip(mine[mode], theirs[mode])), n_questions] for mode in mine}
    return out


def measure_server(size: int, n_questions: int, uri: str) -> dict:
    """The local index of ``size`` (from a run before) migrated to a Milvus server at ``uri``
    and served from it: the serving process holds no vectors and no search index."""
    local = str(WORK / "milvus" / str(size) / "index")
    target = f"milvus:{uri}#bench{size}"
    out = {"uri": uri, "migrate": run_job("migrate", source=local, target=target)}
    out["serve"] = run_job("serve", index=target, n_questions=n_questions)
    out["serve"].pop("top5", None)
    from qa.milvus import connect, parse_spec, release
    spec = parse_spec(target)
    client = connect(spec)
    try:
        for c in client.list_collections():
            if c.startswith(f"bench{size}_"):
                client.drop_collection(c)
    finally:
        release(spec, client)
    return out


NOTES = [
    "- Where Lite's time goes: a build's own steps (read, tokenise, fit, embed) are the local build's; "
    "writing the rows is Lite's part. Adding a report rewrites every row's BM25 weights (idf and the mean "
    "passage length changed), which is most of an add; a build that changes nothing rewrites none.",
    "- Memory: Milvus Lite runs inside the serving process (its engine is Python), so its RSS counts there. "
    "With a server the serving process keeps the passages, their term counts and the built-in embedder "
    "(the answer step reads corpus statistics from them) and leaves the vectors and both search indexes to "
    "the server: the row \"Milvus Lite's gRPC server, another process\" measures that client alone.",
    "- A server deployment: Milvus standalone from the Docker Compose file Milvus publishes "
    "(https://github.com/milvus-io/milvus/releases/download/v2.6.16/milvus-standalone-docker-compose.yml: "
    "Milvus, etcd and MinIO, port 19530); `qa migrate --from index --to milvus:http://host:19530` once, then "
    "`QA_INDEX=milvus:http://host:19530 python app.py` on as many app machines as needed (token in "
    "QA_MILVUS_TOKEN). On a server the passages collection is HNSW (M 32, efConstruction 200, ef 128) for "
    "vectors and SPARSE_INVERTED_INDEX for BM25. No Milvus standalone server was available here (no Docker, "
    "no network): the server code path (URL, HNSW, lease lock, collection prefix) was run against Milvus Lite's "
    "own gRPC server in another process (`python -m milvus_lite server`), which speaks Milvus's protocol over "
    "Lite's Python engine, so its latencies are Lite's, not a server's.",
]


def render_section(data: dict) -> str:
    def f(x, d=1):
        return "–" if x is None else f"{x:,.{d}f}"
    lines = [BEGIN, "## Local store and Milvus Lite", "",
             f"`python -m bench.milvus` on {data.get('when', '?')}"
             + (f" (`--server`: {data['server_when']})" if data.get("server_when") else "")
             + f" ({data.get('machine', '')}); Milvus Lite "
             f"{data.get('versions', {}).get('milvus_lite', '?')}, pymilvus {data.get('versions', {}).get('pymilvus', '?')}. "
             "The same synthetic corpora as above; each step in its own process. Milvus Lite built two ways: "
             "`qa build --index milvus:…` (read, tokenise, embed, write) and `qa migrate` from the local index "
             "(write only, no embedding).", ""]
    lines += ["| passages | local build (s) | Lite build (s) | Lite: migrate (s) | local add 1 report (s) | Lite add 1 report (s) | on disk: local | on disk: Lite |",
              "|---|---|---|---|---|---|---|---|"]
    for size, r in sorted(data["sizes"].items(), key=lambda x: int(x[0])):
        lines.append(f"| {int(size):,} | {f(r['local_build']['seconds'])} | {f(r.get('lite_build', {}).get('seconds'))} | "
                     f"{f(r['lite_migrate']['seconds'])} | {f(r['local_add']['seconds'], 2)} | "
                     f"{f(r.get('lite_add', {}).get('seconds'), 2)} | {r['local_disk'] / 2**20:,.1f} MB | "
                     f"{r['lite_disk'] / 2**20:,.1f} MB |")
    lines += ["", "| passages | store | load (s) | hybrid p50 / p95 (ms) | BM25 p50 / p95 | dense p50 / p95 | ask p50 / p95 | serving RSS (MB) | Lite ÷ local, hybrid p50 |",
              "|---|---|---|---|---|---|---|---|---|"]
    for size, r in sorted(data["sizes"].items(), key=lambda x: int(x[0])):
        rows = [("local", r["local_serve"]), ("Milvus Lite (in the process)", r["lite_serve"])]
        if r.get("server"):
            rows.append(("Milvus Lite's gRPC server, another process", r["server"]["serve"]))
        for name, s in rows:
            key = "local_serve" if s is r["local_serve"] else "other"
            ratio = "" if key == "local_serve" else f"{s['hybrid']['p50'] / r['local_serve']['hybrid']['p50']:.0f}×"
            lines.append(f"| {int(size):,} | {name} | {f(s['load_s'])} | {f(s['hybrid']['p50'], 2)} / {f(s['hybrid']['p95'], 2)} | "
                         f"{f(s['bm25']['p50'], 2)} / {f(s['bm25']['p95'], 2)} | {f(s['dense']['p50'], 2)} / {f(s['dense']['p95'], 2)} | "
                         f"{f(s['ask']['p50'], 2)} / {f(s['ask']['p95'], 2)} | {f(s['rss_mb'], 0)} | {ratio} |")
    lines += ["", "Same top-5 passages from both stores (synthetic questions): " + "; ".join(
        f"{int(size):,} passages: " + ", ".join(f"{mode} {a}/{b}" for mode, (a, b) in r["same_top5"].items())
        for size, r in sorted(data["sizes"].items(), key=lambda x: int(x[0]))) + ". "
        "From 5,000 passages the local index searches vectors with FAISS IVF (recall@10 ≈ 97% against exact, "
        "see above) and Milvus Lite exactly (FLAT), so dense and hybrid lists can differ there; BM25 is the same "
        "computation in both."]
    lines += ["", *NOTES, *data.get("notes", []), END]
    return "\n".join(lines)


def write_section(data: dict, results_md: Path = ROOT / "bench" / "RESULTS.md") -> None:
    section = render_section(data)
    text = results_md.read_text(encoding="utf-8") if results_md.exists() else ""
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        marker = "\n## Notes"
        text = text.replace(marker, "\n" + section + "\n" + marker, 1) if marker in text else text + "\n" + section + "\n"
    results_md.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--job", help=argparse.SUPPRESS)
    p.add_argument("args", nargs="?", help=argparse.SUPPRESS)
    p.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    p.add_argument("--questions", type=int, default=100)
    p.add_argument("--skip", nargs="*", default=[], help="lite_build lite_add (per size: 100000:lite_build)")
    p.add_argument("--render", action="store_true", help="only write RESULTS.md from bench/work/milvus.json")
    p.add_argument("--server", help="only: migrate each size's local index (from a run before) to this Milvus "
                                    "server URI and serve from it (e.g. python -m milvus_lite server --port 19537)")
    a = p.parse_args(argv)
    if a.job:
        print(json.dumps(JOBS[a.job](**json.loads(a.args))))
        return 0
    data = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {"sizes": {}}
    if not a.render:
        import platform

        import milvus_lite
        import pymilvus
        data["server_when" if a.server else "when"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        data["machine"] = f"{os.cpu_count()} CPUs shared with other jobs, {platform.python_version()}"
        data["versions"] = {"milvus_lite": getattr(milvus_lite, "__version__", "3.2.2"), "pymilvus": pymilvus.__version__}
        for size in a.sizes if a.server else []:
            print(f"{size:,} passages on {a.server}", flush=True)
            data["sizes"][str(size)]["server"] = measure_server(size, a.questions, a.server)
            RESULTS.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        for size in [] if a.server else a.sizes:
            skip = {s.split(":", 1)[1] for s in a.skip if s.startswith(f"{size}:")} | {s for s in a.skip if ":" not in s}
            print(f"{size:,} passages", flush=True)
            data["sizes"][str(size)] = measure(size, a.questions, skip)
            RESULTS.parent.mkdir(parents=True, exist_ok=True)
            RESULTS.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    write_section(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
