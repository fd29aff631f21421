"""Load: 20 concurrent gradio_client clients asking 10 questions each against a running app."""

from __future__ import annotations

import statistics
import threading
import time

import pytest
from test_browser import start_app

CLIENTS = 20
QUESTIONS = [
    ("截至2008年6月底，南宁市共有多少个基层工会组织？", "8019个"),
    ("防城港市组建了多少个工会组织？", "3135个"),
    ("内江市建了几个困难职工帮扶中心？", "6个"),
    ("内江和南充，哪个市五年来处理的劳动争议更多？", "1480件"),
    ("柳州市工会会员数增加了多少万人？", "22.48万人"),
    ("截至2008年6月底，南宁市工会会员总数是多少？", "76.8万人"),
    ("柳州市基层工会组织数从多少增加到多少？", "9174家"),
    ("内江市有多少个惠民超市？", "46个"),
    ("南充市五年来调处了多少件劳动争议？", "1480件"),
    ("北京市有多少工会会员？", ""),
]


@pytest.fixture(scope="module")
def loaded_app(tmp_path_factory, seed_index):
    with start_app(tmp_path_factory.mktemp("load-app"), index=seed_index) as info:
        yield info


@pytest.mark.slow
def test_concurrent_clients(loaded_app):
    from gradio_client import Client
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(CLIENTS)

    def client_run(n: int):
        try:
            # plain http on localhost: ssl_verify=False only spares gradio_client building a
            # TLS context (loading the CA bundle) for every request, ~0.1 s of CPU each
            client = Client(loaded_app["url"], verbose=False, ssl_verify=False)
        except Exception as exc:
            with lock:
                errors.append(f"client {n}: {exc!r}")
            start.abort()
            return
        try:
            start.wait(timeout=60)
        except threading.BrokenBarrierError:
            return
        for i in range(len(QUESTIONS)):
            q, want = QUESTIONS[(n + i) % len(QUESTIONS)]
            t = time.perf_counter()
            try:
                reply = client.predict(q, api_name="/chat")
            except Exception as exc:
                with lock:
                    errors.append(f"client {n} {q}: {exc!r}")
                continue
            took = time.perf_counter() - t
            with lock:
                latencies.append(took)
                if not isinstance(reply, str) or (want and want not in reply):
                    errors.append(f"client {n} {q}: unexpected reply {reply!r:.120}")

    threads = [threading.Thread(target=client_run, args=(n,)) for n in range(CLIENTS)]
    wall = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    wall = time.perf_counter() - wall
    assert not errors, "\n".join(errors[:10])
    assert len(latencies) == CLIENTS * len(QUESTIONS)
    qs = statistics.quantiles(latencies, n=100)
    p50, p95 = statistics.median(latencies), qs[94]
    print(f"\nload: {CLIENTS} clients x {len(QUESTIONS)} questions = {len(latencies)} requests in "
          f"{wall:.1f}s; p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms")
    assert p95 < 5.0, f"p95 latency {p95:.2f}s"


def _rss_mb() -> float:
    import os
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.slow
def test_soak_2000_chat_requests_with_a_rebuild_in_the_middle(tmp_path, seed_index):
    """2,000 calls of the app's /chat function from 4 threads, a full rebuild after the first
    1,000: no errors, every answer right, and the memory back within 10% after the rebuild."""
    import gc
    from concurrent.futures import ThreadPoolExecutor

    import app
    from conftest import app_on_copy
    app_on_copy(tmp_path, seed_index)
    lib = app.library()
    errors: list[str] = []

    def one(i: int) -> None:
        q, want = QUESTIONS[i % len(QUESTIONS)]
        try:
            reply = app.chat_api(q)
        except Exception as exc:  # pragma: no cover - what the soak looks for
            errors.append(f"{q}: {exc!r}")
            return
        if not isinstance(reply, str) or "错误" in reply[:3] or (want and want not in reply):
            errors.append(f"{q}: {reply!r:.120}")

    try:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(one, range(1000)))
            app.refresh()
            gc.collect()
            before, generation = _rss_mb(), lib.generation
            rebuild = pool.submit(app.rebuild)
            list(pool.map(one, range(1000, 2000)))
            status, *_ = rebuild.result(timeout=300)
        assert "qa-ok" in status and lib.generation == generation + 1
        app.refresh()
        gc.collect()
        after = _rss_mb()
    finally:
        app.LIBRARY = None
    assert not errors, errors[:5]
    print(f"\nsoak: 2000 requests, 0 errors; {before:.0f} MB before the rebuild, {after:.0f} MB after")
    assert after < 1.1 * before, f"{before:.0f} MB before the rebuild, {after:.0f} MB after"
