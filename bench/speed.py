"""Speed and size, side by side: this project, bm25s and rank_bm25 over jieba tokens, FAISS.

Every measurement runs in its own child process (``python -m bench.speed JOB ARGS``), so that
its peak memory (``ru_maxrss``) is its own and one job's caches never warm another's. Latencies
of the systems are measured in one process, interleaved question by question, so that the
ratios between them hold even when the shared machine is busy.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from .corpus import ROOT, dir_bytes

# Child processes run BLAS single-threaded: on a shared 2-core machine a multi-threaded
# OpenBLAS call (the embedder fit's QR) was measured 20-100x slower when the other core was
# busy. The build's own parallelism is its worker processes.
BENCH_ENV = {"OPENBLAS_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}


def child_env() -> dict:
    env = dict(os.environ)
    env.update(BENCH_ENV)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    return env


class JobFailed(RuntimeError):
    pass


def run_job(job: str, timeout: float | None = None, **args) -> dict:
    """Run ``job`` with keyword ``args`` in a child process; its JSON result with its peak RSS."""
    cmd = [sys.executable, "-m", "bench.speed", job, json.dumps(args, ensure_ascii=False)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=child_env(), timeout=timeout)
    if proc.returncode != 0:
        raise JobFailed(f"{job} failed ({proc.returncode}): {proc.stderr[-3000:]}")
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        raise JobFailed(f"{job} printed no result: {proc.stdout[-1000:]} {proc.stderr[-2000:]}")
    out = json.loads(lines[-1])
    out["job_seconds"] = time.perf_counter() - t0
    return out


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of ``values``, nearest rank."""
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(q * (len(s) - 1)))))]


def summary_ms(seconds: list[float]) -> dict:
    ms = [1000 * s for s in seconds]
    return {"n": len(ms), "p50": pct(ms, 0.5), "p95": pct(ms, 0.95), "mean": statistics.fmean(ms) if ms else None}


def _load_passages(index: str) -> list:
    from qa.passages import Passage
    with open(Path(index) / "passages.jsonl", encoding="utf-8") as f:
        return [Passage.from_dict(json.loads(line)) for line in f if line.strip()]


def _texts(index: str) -> list[str]:
    with open(Path(index) / "passages.jsonl", encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f if line.strip()]


# --------------------------------------------------------------------------- jobs (in a child)

def job_build(reports: str, index: str) -> dict:
    """A full build of this project's index."""
    from qa import build_index
    from qa.store import build_workers
    shutil.rmtree(index, ignore_errors=True)
    marks: list[tuple[str, float]] = []
    t0 = time.perf_counter()
    res = build_index(reports, index, full=True, on_event=lambda msg: marks.append((msg, time.perf_counter())))
    seconds = time.perf_counter() - t0
    phases: dict[str, float] = {}
    for (name, t), (_, t_next) in zip(marks, marks[1:]):
        phases[name] = phases.get(name, 0.0) + (t_next - t)
    manifest = json.loads((Path(index) / "manifest.json").read_text(encoding="utf-8"))
    total_bytes = sum(p.stat().st_size for p in Path(reports).glob("*.txt"))
    return {"seconds": seconds, "passages": res.passages, "reports": res.reports,
            "passages_per_s": res.passages / seconds, "disk_bytes": dir_bytes(index),
            "vector_index": manifest.get("vector_index"), "figures": manifest.get("figures"),
            "phases": phases, "workers": build_workers(total_bytes)}


def job_add(reports: str, extra: str, work: str, base_index: str | None = None,
            leave_out: str | None = None) -> dict:
    """Incremental add of one report (``extra``) to an index of ``reports``.

    The index is a copy of ``base_index`` (or, without one, built here first, untimed, from
    ``reports`` less ``leave_out``); the reports folder holds hard links to the same files.
    """
    from qa import build_index
    work = Path(work)
    shutil.rmtree(work, ignore_errors=True)
    folder, index = work / "reports", work / "index"
    folder.mkdir(parents=True)
    for f in sorted(Path(reports).iterdir()):
        if f.name.startswith(".") or f.name == leave_out or not f.is_file():
            continue
        try:
            os.link(f, folder / f.name)
        except OSError:
            shutil.copy2(f, folder / f.name)
    if base_index:
        shutil.copytree(base_index, index)
    else:
        build_index(folder, index, full=True)
    shutil.copy2(extra, folder / Path(extra).name)
    t0 = time.perf_counter()
    res = build_index(folder, index)
    seconds = time.perf_counter() - t0
    out = {"seconds": seconds, "added": res.added, "added_passages": res.embedded, "full": res.full,
           "passages": res.passages, "notes": res.notes}
    shutil.rmtree(work, ignore_errors=True)
    return out


def job_serve(system: str, index: str | None = None, peer_dir: str | None = None,
              questions: list[str] | None = None) -> dict:
    """Load one system and answer a few questions: its load time and peak memory in use."""
    questions = questions or []
    t0 = time.perf_counter()
    if system == "ours":
        from qa import Assistant
        a = Assistant.load(index)
        fn = a.ask
    elif system == "bm25s":
        from .peers import Bm25sPeer, init_jieba
        init_jieba()
        peer = Bm25sPeer.load(Path(peer_dir))
        fn = peer.search
    elif system == "rank_bm25":
        from .peers import RankBm25Peer, init_jieba
        init_jieba()
        peer = RankBm25Peer(_cached_tokens(Path(peer_dir)))
        fn = peer.search
    else:
        raise ValueError(system)
    load = time.perf_counter() - t0
    for q in questions:
        fn(q)
    return {"load_seconds": load, "questions": len(questions)}


def job_peer_build(index: str, out: str, workers: int = 1, rank: bool = True) -> dict:
    """Tokenise the passages with jieba (in ``workers`` processes) and index them with bm25s;
    also time rank_bm25's index over the same tokens. Saves bm25s's index and the token ids."""
    import numpy as np
    from .peers import Bm25sPeer, RankBm25Peer, Vocab, split_corpus
    out_dir = Path(out)
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    texts = _texts(index)
    t0 = time.perf_counter()
    vocab = Vocab()
    doc_ids: list[list[int]] = []
    for chunk in split_corpus(texts, workers=workers):
        doc_ids.extend(vocab.add(tokens) for tokens in chunk)
    tokenize_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    peer = Bm25sPeer.from_ids(doc_ids, vocab)
    index_s = time.perf_counter() - t1
    bm25s_dir = out_dir / "bm25s"
    t2 = time.perf_counter()
    peer.save(bm25s_dir)
    save_s = time.perf_counter() - t2
    # the token ids, so that rank_bm25 can be rebuilt without tokenising again
    flat = np.fromiter((i for d in doc_ids for i in d), dtype=np.int32)
    lens = np.fromiter((len(d) for d in doc_ids), dtype=np.int64, count=len(doc_ids))
    np.save(out_dir / "tokens_flat.npy", flat)
    np.save(out_dir / "tokens_lens.npy", lens)
    vocab.save(out_dir / "tokens_vocab.json")
    result = {"passages": len(texts), "tokenize_s": tokenize_s, "bm25s_index_s": index_s,
              "bm25s_save_s": save_s, "bm25s_seconds": tokenize_s + index_s,
              "bm25s_disk_bytes": dir_bytes(bm25s_dir), "workers": workers}
    del peer
    if rank:
        words = list(vocab.ids)
        token_lists = [[words[i] for i in d] for d in doc_ids]
        del doc_ids
        t3 = time.perf_counter()
        RankBm25Peer(token_lists)
        result["rank_index_s"] = time.perf_counter() - t3
        result["rank_seconds"] = tokenize_s + result["rank_index_s"]
    return result


def _cached_tokens(folder: Path) -> list[list[str]]:
    import numpy as np
    words = json.loads((folder / "tokens_vocab.json").read_text(encoding="utf-8"))
    flat = np.load(folder / "tokens_flat.npy")
    lens = np.load(folder / "tokens_lens.npy")
    ends = np.cumsum(lens)
    flat_words = [words[i] for i in flat.tolist()]
    return [flat_words[e - n:e] for n, e in zip(lens.tolist(), ends.tolist())]


def job_latency(index: str, questions: list[str], warmup: list[str], peer_dir: str | None = None,
                rank: bool = False, rank_questions: int = 100, k: int = 10) -> dict:
    """Warm search and ask latency of this project's modes and of the BM25 peers, measured in
    one process, question by question in turn (so that machine noise hits them alike)."""
    from qa import Assistant
    a = Assistant.load(index)
    systems = {
        "search": lambda q: a.search(q, k=k),
        "search_bm25": lambda q: a.search(q, k=k, mode="bm25"),
        "search_dense": lambda q: a.search(q, k=k, mode="dense"),
        "ask": lambda q: a.ask(q),
    }
    if peer_dir:
        from .peers import Bm25sPeer, init_jieba
        init_jieba()
        bm25s_peer = Bm25sPeer.load(Path(peer_dir) / "bm25s")
        systems["bm25s"] = lambda q: bm25s_peer.search(q, k=k)
        if rank:
            from .peers import RankBm25Peer
            rank_peer = RankBm25Peer(_cached_tokens(Path(peer_dir)))
            systems["rank_bm25"] = lambda q: rank_peer.search(q, k=k)
    for q in warmup:
        for name, fn in systems.items():
            if name != "rank_bm25" or q is warmup[0]:
                fn(q)
    times: dict[str, list[float]] = {name: [] for name in systems}
    names = list(systems)
    for i, q in enumerate(questions):
        order = names[i % len(names):] + names[:i % len(names)]   # rotate who goes first
        for name in order:
            if name == "rank_bm25" and i >= rank_questions:
                continue
            t0 = time.perf_counter()
            systems[name](q)
            times[name].append(time.perf_counter() - t0)
    return {name: summary_ms(ts) for name, ts in times.items()}


def job_faiss(index: str, questions: list[str], k: int = 10, hnsw_max: int = 2_000_000,
              nprobes: tuple[int, ...] = (8, 16, 32, 64, 128, 256),
              ef_values: tuple[int, ...] = (32, 96, 256, 512)) -> dict:
    """FAISS over this index's vectors, one question at a time on one thread (as the project
    searches): exact IndexFlatIP against IVF (the store's index past its threshold, nprobe
    swept) and HNSW (M=32, efConstruction=80, efSearch swept): build time, latency, and
    recall@10 against exact search (the share of the exact top 10 found)."""
    import numpy as np
    from qa.embedders import LsaEmbedder
    from qa.store import IVF_NPROBE, all_vectors, make_vector_index, search_on_one_thread, vector_index_kind
    import faiss
    search_on_one_thread()
    stored = faiss.read_index(str(Path(index) / "vectors.faiss"))
    kind = vector_index_kind(stored)
    x = all_vectors(stored)
    emb = LsaEmbedder.load(Path(index))
    qv = np.ascontiguousarray(emb.embed(questions), dtype=np.float32)
    k = min(k, len(x))

    def timed(ix) -> tuple[list[float], np.ndarray]:
        ts, ids = [], []
        for q in qv:
            t = time.perf_counter()
            _, i = ix.search(q[None, :], k)
            ts.append(time.perf_counter() - t)
            ids.append(i[0])
        return ts, np.array(ids)

    def build(kind_: str):
        t0 = time.perf_counter()
        ix = make_vector_index(x, kind=kind_)
        return ix, time.perf_counter() - t0

    flat, flat_build = build("flat")
    timed(flat)
    flat_t, exact = timed(flat)
    recall = lambda got: float(np.mean([len(set(a[a >= 0]) & set(b)) / k for a, b in zip(got, exact)]))
    out = {"n": int(len(x)), "dim": int(x.shape[1]), "stored_kind": kind,
           "flat": {"build_s": flat_build, **summary_ms(flat_t)}}
    if kind == "ivf":
        ivf, ivf_build = stored, None            # built by the build; its time is in the build's
    else:
        ivf, ivf_build = build("ivf")
    sweep = []
    for nprobe in sorted({p for p in nprobes if p <= ivf.nlist} | {IVF_NPROBE}):
        ivf.nprobe = nprobe
        timed(ivf)
        ts, got = timed(ivf)
        sweep.append({"nprobe": nprobe, "recall_at_10": recall(got), **summary_ms(ts)})
    out["ivf"] = {"build_s": ivf_build, "nlist": int(ivf.nlist), "default_nprobe": IVF_NPROBE, "sweep": sweep}
    del ivf
    if len(x) <= hnsw_max:
        hnsw, hnsw_build = build("hnsw")
        sweep = []
        for ef in ef_values:
            hnsw.hnsw.efSearch = ef
            timed(hnsw)
            ts, got = timed(hnsw)
            sweep.append({"ef_search": ef, "recall_at_10": recall(got), **summary_ms(ts)})
        out["hnsw"] = {"build_s": hnsw_build, "M": 32, "ef_construction": 80, "sweep": sweep}
    return out


# --------------------------------------------------------------------------- cold start (from the parent)

def qa_command() -> list[str]:
    exe = Path(sys.executable).parent / "qa"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "qa.cli"]


_BM25S_COLD = """
import sys
from bench.peers import Bm25sPeer, init_jieba
init_jieba()
peer = Bm25sPeer.load(sys.argv[1])
print(peer.search(sys.argv[2], k=5))
"""


def cold_start(cmd: list[str], runs: int = 3) -> dict:
    """Median wall time of ``cmd`` run ``runs`` times, each a fresh process."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, capture_output=True, cwd=ROOT, env=child_env())
        times.append(time.perf_counter() - t0)
    return {"median_s": statistics.median(times), "runs": [round(t, 3) for t in times]}


def cold_ask(index: str, question: str, runs: int = 3) -> dict:
    return cold_start(qa_command() + ["ask", question, "--index", str(index)], runs)


def cold_bm25s(peer_dir: str, question: str, runs: int = 3) -> dict:
    return cold_start([sys.executable, "-c", _BM25S_COLD, str(Path(peer_dir) / "bm25s"), question], runs)


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM): unlike ru_maxrss, not inherited through the
    fork and exec that started it (ru_maxrss would report the parent's size at the fork)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


JOBS = {"build": job_build, "add": job_add, "serve": job_serve, "peer_build": job_peer_build,
        "latency": job_latency, "faiss": job_faiss}


def _main(argv: list[str]) -> int:
    job, args = argv[0], json.loads(argv[1]) if len(argv) > 1 else {}
    out = JOBS[job](**args)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    out["peak_rss_mb"] = peak_rss_mb()
    out["children_peak_rss_mb"] = children.ru_maxrss / 1024
    out["cpu_s"] = usage.ru_utime + usage.ru_stime
    out["children_cpu_s"] = children.ru_utime + children.ru_stime
    sys.stdout.write("\n" + json.dumps(out, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))


# --------------------------------------------------------------------------- one corpus, every measurement

def bundled_spec(work: Path, n_questions: int) -> dict:
    """The bundled reports; the incremental add adds the last of them to an index of the others."""
    from .corpus import seeds_dir
    seeds = seeds_dir()
    last = sorted(seeds.glob("*.txt"))[-1]
    return {"name": "bundled", "label": "the bundled reports", "reports": str(seeds),
            "work": str(Path(work) / "speed" / "bundled"), "extra": str(last), "leave_out": last.name,
            "questions": n_questions, "bundled": True}


def synthetic_spec(work: Path, n: int, n_questions: int, per_file: int = 300, seed: int = 0) -> dict:
    return {"name": str(n), "label": f"{n:,} synthetic passages", "passages": n, "per_file": per_file,
            "seed": seed, "work": str(Path(work) / "speed" / str(n)), "work_root": str(work),
            "questions": n_questions, "bundled": False}


def measure(spec: dict, rank_max: int = 100_000, cold_runs: int = 3, log=print) -> dict:
    """Every speed and size measurement of one corpus, for this project and its peers."""
    from . import corpus
    work = Path(spec["work"])
    work.mkdir(parents=True, exist_ok=True)
    if spec["bundled"]:
        reports, extra, leave_out = spec["reports"], spec["extra"], spec["leave_out"]
    else:
        folder = corpus.corpus_dir(spec["passages"], spec["seed"], Path(spec["work_root"]))
        log(f"  corpus {folder}")
        reports = str(corpus.generate(folder, spec["passages"], per_file=spec["per_file"], seed=spec["seed"]))
        # one more report of the corpus's kind (a tenth of a small corpus, so that it stays an add)
        name, text = corpus.extra_report(min(spec["per_file"], max(1, spec["passages"] // 10)), spec["seed"])
        extra = work / name
        extra.write_text(text, encoding="utf-8")
        extra, leave_out = str(extra), None
    index, peers = str(work / "index"), str(work / "peers")
    out: dict = {"name": spec["name"], "label": spec["label"]}

    log("  full build (this project)")
    out["build"] = run_job("build", reports=reports, index=index)
    n = out["build"]["passages"]
    out["passages"] = n
    if spec["bundled"]:
        questions = corpus.bundled_questions(Path(index), spec["questions"])
        warmup = corpus.questions(30, seed=spec.get("seed", 0) + 1)
    else:
        qs = corpus.questions(spec["questions"] + 30, seed=spec["seed"])
        questions, warmup = qs[30:], qs[:30]
    out["questions"] = len(questions)

    log("  incremental add of one report")
    out["add"] = run_job("add", reports=reports, extra=extra, work=str(work / "add"),
                         base_index=None if spec["bundled"] else index, leave_out=leave_out)
    rank = n <= rank_max
    log("  peers: jieba, bm25s" + (", rank_bm25" if rank else f" (rank_bm25 skipped past {rank_max:,})"))
    out["peers"] = run_job("peer_build", index=index, out=peers, workers=out["build"].get("workers", 1), rank=rank)
    log("  memory in use")
    few = questions[:20]
    out["serve"] = {"ours": run_job("serve", system="ours", index=index, questions=few),
                    "bm25s": run_job("serve", system="bm25s", peer_dir=str(Path(peers) / "bm25s"), questions=few)}
    if rank:
        out["serve"]["rank_bm25"] = run_job("serve", system="rank_bm25", peer_dir=peers, questions=few)
    log(f"  latency over {len(questions)} questions")
    out["latency"] = run_job("latency", index=index, questions=questions, warmup=warmup, peer_dir=peers,
                             rank=rank, rank_questions=min(len(questions), 100 if n <= 10_000 else 50))
    log("  FAISS: exact, IVF, HNSW")
    out["faiss"] = run_job("faiss", index=index, questions=questions)
    log("  cold start")
    out["cold"] = {"ours": cold_ask(index, questions[0], cold_runs), "bm25s": cold_bm25s(peers, questions[0], cold_runs)}
    out["rank_skipped"] = not rank
    return out
