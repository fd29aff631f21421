"""``python -m bench`` (or ``qa bench``): quality and speed beside rank_bm25, bm25s and FAISS.

Writes RESULTS.md and latency.png into --out (bench/ by default; bench/work/quick/ with
--quick, so that a quick run never replaces the full results); generated corpora, indexes and
the raw results (results.json, results-quick.json) go under --work (bench/work/, git-ignored).

    python -m bench                  # everything: bundled reports, 10k, 100k and 1M passages
    python -m bench --quick          # a small version, under two minutes
    python -m bench --sizes 10000,100000 --questions 200 --out /tmp/b
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

from .corpus import ROOT, SHARED, WORK

FULL_SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (2_000,)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small version: one 2k-passage corpus, fewer questions")
    p.add_argument("--out", default=None, help="where RESULTS.md and latency.png go (bench/; quick: bench/work/quick/)")
    p.add_argument("--work", default=str(WORK), help="corpora, indexes and results.json")
    p.add_argument("--sizes", default=None,
                   help="synthetic corpus sizes in passages, comma-separated (0 for none)")
    p.add_argument("--questions", type=int, default=None, help="latency questions per corpus (300; quick 60)")
    p.add_argument("--per-file", type=int, default=300, help="passages per synthetic report file")
    p.add_argument("--rank-max", type=int, default=100_000, help="largest corpus rank_bm25 is run on")
    p.add_argument("--cmrc-limit", type=int, default=None, help="CMRC questions (all; quick 250)")
    p.add_argument("--no-quality", action="store_true", help="skip dev/held-out quality")
    p.add_argument("--no-cmrc", action="store_true", help="skip CMRC 2018")
    p.add_argument("--no-bundled", action="store_true", help="skip speed on the bundled reports")
    p.add_argument("--no-speed", action="store_true", help="skip every speed measurement")
    p.add_argument("--resume", action="store_true", help="keep the stages already in results.json")
    p.add_argument("--seed", type=int, default=0, help="seed of the synthetic corpora and questions")
    p.add_argument("--cold-runs", type=int, default=3, help="fresh processes per cold-start measurement")
    p.add_argument("--render", action="store_true", help="only write RESULTS.md and the plot from results.json")
    return p


def _machine() -> dict:
    info = {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()}
    try:
        info["cpu"] = next(line.split(":", 1)[1].strip() for line in
                           Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name"))
    except (OSError, StopIteration):
        info["cpu"] = platform.processor()
    try:
        info["ram_gib"] = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        pass
    versions = {}
    for mod in ("numpy", "scipy", "faiss", "jieba", "bm25s", "rank_bm25"):
        try:
            m = __import__(mod)
            versions[mod] = getattr(m, "__version__", "?")
        except ImportError:
            versions[mod] = "missing"
    if versions.get("rank_bm25") == "?":
        try:
            from importlib.metadata import version
            versions["rank_bm25"] = version("rank-bm25")
        except Exception:
            pass
    info["versions"] = versions
    return info


def _git() -> str:
    """The commit the code was at, and whether qa/ or bench/ had changes on top of it."""
    import subprocess
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "qa", "bench"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + (" with uncommitted changes" if dirty else "") if head else "unknown"


def _load() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


class Results:
    """results.json under --work, saved after every stage (a crash keeps what was measured)."""

    def __init__(self, path: Path, resume: bool):
        self.path = path
        self.data: dict = {}
        if resume and path.exists():
            self.data = json.loads(path.read_text(encoding="utf-8"))

    def has(self, key: str) -> bool:
        return key in self.data.get("stages", {})

    def put(self, key: str, value) -> None:
        self.data.setdefault("stages", {})[key] = value
        meta = self.data.get("meta", {})   # when and on what code each stage was measured
        self.data.setdefault("provenance", {})[key] = {"started": meta.get("started"), "git": meta.get("git_start")}
        self.save()

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.data, ensure_ascii=False, indent=1), encoding="utf-8")


def say(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    started = time.time()
    work = Path(args.work)
    out = Path(args.out) if args.out else (work / "quick" if args.quick else ROOT / "bench")
    out.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    results_path = work / ("results-quick.json" if args.quick else "results.json")
    if args.render:
        from .report import render
        render(json.loads(results_path.read_text(encoding="utf-8")), out)
        say(f"wrote {out / 'RESULTS.md'} and {out / 'latency.png'} from {results_path}")
        return 0
    if args.sizes is None:
        sizes = list(QUICK_SIZES if args.quick else FULL_SIZES)
    else:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip() and int(s) > 0]
    n_questions = args.questions or (60 if args.quick else 300)
    cmrc_limit = args.cmrc_limit if args.cmrc_limit is not None else (250 if args.quick else None)

    results = Results(results_path, args.resume)
    previous = results.data.get("meta", {})
    kept = sorted(results.data.get("stages", {}))
    results.data["meta"] = {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "argv": sys.argv[1:] if argv is None else argv,
                            "quick": args.quick, "sizes": sizes, "questions": n_questions,
                            "machine": _machine(), "load_start": _load(), "cmrc_limit": cmrc_limit,
                            "rank_max": args.rank_max, "seed": args.seed, "git_start": _git()}
    if kept:   # --resume: say which stages come from the earlier run, and when and on what code
        results.data["meta"]["kept"] = {"stages": kept, "started": previous.get("kept", {}).get("started") or previous.get("started"),
                                        "git": previous.get("kept", {}).get("git") or
                                        f"{previous.get('git_start')} → {previous.get('git_end')}"}
    results.save()

    from . import speed
    from .corpus import seeds_dir
    seed_index = work / "bundled" / "index"
    if not args.no_quality and not results.has("quality"):
        say("quality on the dev and held-out questions")
        from qa import build_index
        from .quality import evaluate_file
        build_index(seeds_dir(), seed_index, full=True)
        files = [SHARED / "eval" / "dev.jsonl"] + sorted((ROOT / "bench" / "questions").glob("*.jsonl"))
        results.put("quality", [evaluate_file(str(seed_index), str(f)) for f in files if f.exists()])
    if not args.no_cmrc and not results.has("cmrc"):
        from .cmrc import CMRC_PATH, evaluate as cmrc_evaluate
        if CMRC_PATH.exists():
            say(f"CMRC 2018 trial set ({cmrc_limit or 'all'} questions)")
            results.put("cmrc", cmrc_evaluate(work / "cmrc", limit=cmrc_limit))
        else:
            results.put("cmrc", {"skipped": f"{CMRC_PATH} not found"})

    if not args.no_speed:
        specs = []
        if not args.no_bundled:
            specs.append(speed.bundled_spec(work, n_questions))
        for n in sizes:
            specs.append(speed.synthetic_spec(work, n, n_questions, per_file=args.per_file, seed=args.seed))
        for spec in specs:
            key = f"speed:{spec['name']}"
            if results.has(key):
                continue
            say(f"speed on {spec['label']}")
            try:
                results.put(key, speed.measure(spec, rank_max=args.rank_max, cold_runs=args.cold_runs, log=say))
            except speed.JobFailed as exc:
                say(f"failed: {exc}")
                results.put(key, {"name": spec["name"], "label": spec["label"], "error": str(exc)[-2000:]})

    results.data["meta"]["load_end"] = _load()
    results.data["meta"]["git_end"] = _git()
    results.data["meta"]["seconds"] = time.time() - started
    results.save()
    from .report import render
    render(results.data, out)
    say(f"wrote {out / 'RESULTS.md'} and {out / 'latency.png'} in {time.time() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
