"""The running app (python app.py in a subprocess): the page, the JSON API and the
OpenAI-compatible endpoint on one port, called with the real ``openai`` client and httpx,
with and without keys; what the app says when it cannot start."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from test_browser import ROOT, free_port, start_app

httpx = pytest.importorskip("httpx")
openai = pytest.importorskip("openai")

KEY = "test-key-0123456789abcdef"


@pytest.fixture(scope="module")
def keyed(tmp_path_factory, seed_index):
    """The app with QA_API_KEY set."""
    with start_app(tmp_path_factory.mktemp("api-server"), index=seed_index,
                   extra_env={"QA_API_KEY": KEY}) as info:
        yield info


def client(info, key=KEY):
    return openai.OpenAI(base_url=info["url"] + "v1", api_key=key, max_retries=0, timeout=60)


def test_openai_client_chat_and_follow_up(keyed):
    c = client(keyed)
    assert [m.id for m in c.models.list().data] == ["union-report-qa"]
    r = c.chat.completions.create(model="union-report-qa", messages=[
        {"role": "user", "content": "防城港市组建了多少个工会组织？"}])
    text = r.choices[0].message.content
    assert text.startswith("3135个") and "原文：「" in text and "出处：001_9aadff44d77565b3.txt" in text
    assert r.model_extra["citations"][0]["source"] == "001_9aadff44d77565b3.txt"
    assert "组建工会组织3135个" in r.model_extra["citations"][0]["quote"]

    # a follow-up: the earlier turns are the history
    first = c.chat.completions.create(model="union-report-qa", messages=[
        {"role": "user", "content": "内江市建了几个困难职工帮扶中心？"}]).choices[0].message.content
    r = c.chat.completions.create(model="union-report-qa", messages=[
        {"role": "system", "content": "请用中文回答"},
        {"role": "user", "content": "内江市建了几个困难职工帮扶中心？"},
        {"role": "assistant", "content": first},
        {"role": "user", "content": "惠民超市呢？"}])
    assert r.choices[0].message.content.startswith("46个惠民超市")

    # a refusal is a reply that says so, not an error
    r = c.chat.completions.create(model="union-report-qa", messages=[
        {"role": "user", "content": "北京市有多少个基层工会组织？"}])
    assert r.model_extra["found"] is False and "北京" in r.choices[0].message.content


def test_openai_client_streaming(keyed):
    stream = client(keyed).chat.completions.create(model="union-report-qa", stream=True, messages=[
        {"role": "user", "content": "内江和南充，哪个市五年来处理的劳动争议更多？"}])
    chunks = list(stream)
    text = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
    assert len(chunks) > 3 and text.startswith("南充更多") and "1013件" in text and "1480件" in text
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert {c["source"] for c in chunks[-1].model_extra["citations"]} == {"003_f4a81f0fcfe9b1a3.txt"}
    # a client that asks for the usage (Open WebUI does) gets it in a last chunk
    chunks = list(client(keyed).chat.completions.create(
        model="union-report-qa", stream=True, stream_options={"include_usage": True},
        messages=[{"role": "user", "content": "防城港市组建了多少个工会组织？"}]))
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens > 0
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices).startswith("3135个")


def test_openai_client_with_a_wrong_key(keyed):
    with pytest.raises(openai.AuthenticationError) as exc:
        client(keyed, key="wrong").chat.completions.create(
            model="union-report-qa", messages=[{"role": "user", "content": "防城港市组建了多少个工会组织？"}])
    assert "密钥" in exc.value.body["message"]


def test_json_api_on_the_same_port_as_the_page(keyed):
    url, auth = keyed["url"], {"Authorization": f"Bearer {KEY}"}
    assert httpx.get(url + "config", timeout=10).status_code == 200          # the page, no login
    r = httpx.post(url + "api/ask", json={"question": "防城港市组建了多少个工会组织？"}, headers=auth, timeout=30)
    assert r.status_code == 200 and r.json()["short"] == "3135个"
    r = httpx.post(url + "api/ask", json={"question": "防城港市组建了多少个工会组织？"}, timeout=30)
    assert r.status_code == 401 and "密钥" in r.json()["error"]["message"]
    r = httpx.post(url + "api/ask", json={"question": ["x"]}, headers=auth, timeout=30)
    assert r.status_code == 422 and "必须是文本" in r.json()["error"]["message"]
    r = httpx.get(url + "api/search", params={"q": "职工书屋", "k": 2}, headers=auth, timeout=30)
    assert len(r.json()["hits"]) == 2
    # the OpenAPI page works without the internet: its scripts come from this server
    page = httpx.get(url + "api/docs", timeout=10).text
    assert "/api/docs/static/swagger-ui-bundle.js" in page and "cdn" not in page.lower()
    assert httpx.get(url + "api/docs/static/swagger-ui-bundle.js", timeout=10).status_code == 200
    schema = httpx.get(url + "api/openapi.json", timeout=10).json()
    assert {"/api/ask", "/api/search", "/api/reports", "/api/reports/{name}", "/api/build", "/api/figures",
            "/api/figures.csv", "/v1/models", "/v1/chat/completions"} <= set(schema["paths"])
    # Gradio's own routes are still Gradio's
    assert httpx.get(url + "gradio_api/info", timeout=10).status_code == 200


def test_with_a_login_the_api_needs_the_key(tmp_path, seed_index):
    env = {"QA_USER": "union", "QA_PASSWORD": "s3cret-pw"}
    with start_app(tmp_path, index=seed_index, extra_env=env) as info:
        r = httpx.get(info["url"] + "api/reports", timeout=10)
        assert r.status_code == 403 and "QA_API_KEY" in r.json()["error"]["message"]
        with pytest.raises(openai.PermissionDeniedError):
            client(info, key="anything").models.list()


def _run_app(args, env_extra=None, timeout=60):
    import os
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(env_extra or {})
    return subprocess.run([sys.executable, str(ROOT / "app.py"), *args], env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_a_busy_port_is_named_as_our_setting(tmp_path, seed_index):
    import shutil

    from conftest import copy_bundled
    reports = copy_bundled(tmp_path / "reports")
    shutil.copytree(seed_index, tmp_path / "index")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        res = _run_app(["--port", str(port), "--reports", str(reports), "--index", str(tmp_path / "index")])
    assert res.returncode == 2, res.stderr
    assert f"端口 {port} 已被占用" in res.stderr and "--port" in res.stderr and "QA_PORT" in res.stderr
    assert "Traceback" not in res.stderr and "server_port" not in res.stderr and "GRADIO_SERVER_PORT" not in res.stderr


def test_it_will_not_listen_beyond_this_machine_unguarded(tmp_path):
    res = _run_app(["--host", "0.0.0.0", "--port", str(free_port()), "--reports", str(tmp_path / "r"),
                    "--index", str(tmp_path / "i")])
    assert res.returncode == 2 and "QA_API_KEY" in res.stderr and "QA_USER" in res.stderr
    assert not (tmp_path / "i").exists()
