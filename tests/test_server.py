"""The running app's HTTP side (python app.py in a subprocess): Gradio's upload route, the
login. The page's handlers are tested in-process in test_app.py, the page in test_browser.py."""

from __future__ import annotations

import pytest

from test_browser import XIANGTAN, start_app

httpx = pytest.importorskip("httpx")


@pytest.fixture(scope="module")
def server(tmp_path_factory, seed_index):
    with start_app(tmp_path_factory.mktemp("server"), index=seed_index) as info:
        yield info


def stored(info) -> list[str]:
    """The files Gradio keeps from uploads."""
    root = info["uploads"]
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


def post_upload(info, files):
    return httpx.post(info["url"] + "gradio_api/upload", files=[("files", f) for f in files], timeout=60)


# --------------------------------------------------------------------------- issue 11: uploads kept forever

@pytest.mark.parametrize("name", ["evil.exe", "notes.xls", "page.html", "archive.tar.gz", "noext"])
def test_the_upload_route_stores_reports_only(server, name):
    r = post_upload(server, [(name, b"MZ\x90\x00" + b"\x00" * 1000)])
    assert r.status_code == 415 and ".txt" in r.text
    assert name not in stored(server)


def test_the_upload_route_takes_a_report(server):
    r = post_upload(server, [("xiangtan.txt", XIANGTAN.encode())])
    assert r.status_code == 200 and r.json()[0].endswith("xiangtan.txt")
    assert "xiangtan.txt" in stored(server)


def test_the_upload_route_limits_the_size(server):
    before = stored(server)
    r = post_upload(server, [("big.txt", b"a" * (21 * 2**20))])        # one file over 20 MB
    assert r.status_code == 413
    chunk = ("湘潭" * (3 * 2**20)).encode()                              # 18 MB each, 72 MB in all
    r = post_upload(server, [(f"part{i}.txt", chunk) for i in range(4)])
    assert r.status_code == 413
    assert stored(server) == before
