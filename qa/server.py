"""The web server around the page (``app.py``): what Gradio's launch does not say our way.

- :func:`port_problem`: why the server cannot listen, in words that name ``--port``/``QA_PORT``
  (Gradio's own error names its parameter ``server_port`` and GRADIO_SERVER_PORT).
- :class:`PageScript` and :data:`PAGE_SCRIPT`: the page's language and its header-click sort.

The JSON API beside the page is :mod:`qa.api`; the login and the upload route's guard are
:mod:`qa.guard`.
"""

from __future__ import annotations


def port_problem(host: str, port: int) -> str | None:
    """Why the server cannot listen on host:port (taken, or an address of another machine),
    in words that name --port / QA_PORT; None when it can."""
    import socket
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return f"监听地址 {host} 无法解析；请用 --host 或 QA_HOST 给一个本机地址（如 127.0.0.1）"
    family, kind, proto, _, addr = infos[0]
    with socket.socket(family, kind, proto) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # as uvicorn does
        try:
            s.bind(addr)
        except OSError as exc:
            if exc.errno in (98, 48, 10048):     # EADDRINUSE on Linux, macOS, Windows
                return (f"端口 {port} 已被占用（{host}:{port}），可能是另一个 app.py 还在运行；"
                        f"请用 --port 或 QA_PORT 换一个端口（如 --port {port + 1}），或先停止占用它的程序")
            return f"无法在 {host}:{port} 上监听（{exc.strerror}）；请用 --host/QA_HOST 与 --port/QA_PORT 换一个地址或端口"
    return None


class PageScript:
    """ASGI middleware: the page's HTML says ``<html lang="zh-CN">`` and starts its head with
    ``script``, ahead of Gradio's own scripts (Gradio puts ``launch(head=…)`` in the page only
    after its scripts have chosen the language of their words from the browser's)."""

    def __init__(self, app, script: str = ""):
        self.app, self.script = app, script.encode("utf-8")

    async def __call__(self, scope, receive, send):
        if scope.get("type") != "http" or scope.get("method") != "GET" or not scope.get("path", "").endswith("/"):
            await self.app(scope, receive, send)
            return
        start: dict = {}
        chunks: list[bytes] = []
        passing = False

        async def held(message):
            nonlocal start, passing
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers") or [])
                passing = not headers.get(b"content-type", b"").startswith(b"text/html") \
                    or b"content-encoding" in headers
                if passing:
                    await send(message)
                else:
                    start = message
                return
            if passing or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks).replace(b'lang="en"', b'lang="zh-CN"', 1)
            body = body.replace(b"<head>", b"<head>" + self.script, 1)
            headers = [(k, v) for k, v in start.get("headers") or [] if k != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, held)


# The page's own script, first in its head:
# - Gradio's words (upload box, buttons, table menus) follow the browser's language; the page
#   is Chinese, so the browser's language is said to be Chinese before Gradio asks.
# - a click on a column header of the figure table (数据 tab) sorts the whole table on the
#   server: the header's name goes into a hidden textbox (#qa-figure-header), whose change sets
#   the sort menu. Gradio's own header menu would sort only the page shown; app.py's CSS hides it.
PAGE_SCRIPT = r"""<script>
(function () {
  try {
    Object.defineProperty(Navigator.prototype, "language", {get: function () { return "zh-CN"; }});
    Object.defineProperty(Navigator.prototype, "languages", {get: function () { return ["zh-CN", "zh"]; }});
  } catch (e) {}
  document.addEventListener("click", function (ev) {
    var th = ev.target && ev.target.closest && ev.target.closest("#qa-figures thead th");
    var box = document.querySelector("#qa-figure-header textarea, #qa-figure-header input");
    if (!th || !box) return;
    var name = (th.innerText || "").replace(/[⋮\s]/g, "");
    var proto = box.tagName === "TEXTAREA" ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
    Object.getOwnPropertyDescriptor(proto, "value").set.call(box, name + "|" + Date.now());
    box.dispatchEvent(new Event("input", {bubbles: true}));
  }, true);
})();
</script>"""
