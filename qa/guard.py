"""What guards the web app's server (``app.py``): the login, Gradio's upload route and its cache.

:class:`LoginGuard` is the login check Gradio calls: a constant-time comparison, one attempt
at a time, and after a few wrong passwords each next attempt waits longer (1 s, 2 s, 4 s, …,
at most 30 s), so passwords cannot be guessed at the speed of the network.

Gradio's ``/gradio_api/upload`` route stores whatever is posted to it (any type, up to a
thousand files a request) in its cache before any handler of the page sees it, and keeps it
until the server stops. :class:`UploadFilter` stands in front of that route:

- a request larger than ``max_request_bytes`` is refused with 413 before it is read (by its
  Content-Length) or as soon as it passes the limit (a chunked one);
- a file whose name does not end in one of ``suffixes`` is refused with 415, and every file
  of that request is deleted from the cache at once.

Gradio's own ``max_file_size`` still limits each file; :func:`discard_upload` removes a
cached upload once the page has read it, and the Blocks' ``delete_cache`` the rest.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import os
import shutil
import time
from pathlib import Path
from typing import Callable, Iterable

# reports of every kind the library reads; .doc and .wps are let through to be told how to convert them
UPLOAD_SUFFIXES = (".txt", ".md", ".docx", ".pdf", ".png", ".jpg", ".jpeg", ".doc", ".wps")
# A request may hold several reports; each is limited to 20 MB by Gradio's max_file_size.
MAX_REQUEST_BYTES = 64 * 2**20


# --------------------------------------------------------------------------- the login

def login_settings(env: dict) -> tuple[str, str] | None:
    """(user, password) from QA_USER and QA_PASSWORD, None when neither is set.

    Raises:
        InvalidParameter: only one of them is set, or one is empty or blank. A login that is
            half set must never serve the reports without one.
    """
    from .errors import InvalidParameter
    user, password = env.get("QA_USER"), env.get("QA_PASSWORD")
    if user is None and password is None:
        return None
    if not (user or "").strip() or not (password or "").strip():
        missing = " 和 ".join(name for name, value in (("QA_USER", user), ("QA_PASSWORD", password))
                             if not (value or "").strip())
        raise InvalidParameter(f"登录设置不完整：{missing} 为空或未设置。QA_USER 与 QA_PASSWORD 须同时设置"
                               "且不为空才会启用登录；为免无登录地开放报告，未启动。请设置两者，或两者都不设置")
    return user.strip(), password


class LoginGuard:
    """The login check for Gradio: ``launch(auth=LoginGuard(user, password).check)``.

    ``check`` must be passed, not the guard: Gradio awaits ``auth`` only when
    ``inspect.iscoroutinefunction(auth)``, which is false for an object with an async
    ``__call__`` (the coroutine it returned would be taken as a success).

    Args:
        user, password: the one account.
        free: wrong passwords answered at once; after them the next attempt waits ``delay``,
            then twice that, up to ``max_delay`` seconds. A right password starts afresh, and
            so do ``forget`` seconds without a wrong one.
        max_waiting: attempts that may wait their turn; past it one is refused unchecked.
    """

    def __init__(self, user: str, password: str, *, free: int = 3, delay: float = 1.0,
                 max_delay: float = 30.0, forget: float = 900.0, max_waiting: int = 32,
                 clock: Callable[[], float] = time.monotonic):
        self._user = user.encode("utf-8")
        self._password = password.encode("utf-8")
        self.free, self.delay, self.max_delay = free, delay, max_delay
        self.forget, self.max_waiting, self.clock = forget, max_waiting, clock
        self.failures = 0
        self._last_failure = float("-inf")
        self._next = float("-inf")     # no attempt is checked before this time
        self._waiting = 0
        self._lock: asyncio.Lock | None = None

    async def check(self, username: str, password: str) -> bool:
        """Whether ``username`` and ``password`` are the account's (waiting its turn first)."""
        if self._waiting >= self.max_waiting:
            return False               # a flood: refused without a check
        self._waiting += 1
        try:
            if self._lock is None:
                self._lock = asyncio.Lock()
            async with self._lock:     # one attempt at a time: waiting cannot be shared out
                wait = self._next - self.clock()
                if wait > 0:
                    await asyncio.sleep(wait)
                ok = hmac.compare_digest(str(username).encode("utf-8"), self._user) \
                    & hmac.compare_digest(str(password).encode("utf-8"), self._password)
                now = self.clock()
                if ok:
                    self.failures, self._next = 0, float("-inf")
                    return True
                if now - self._last_failure > self.forget:
                    self.failures = 0
                self.failures += 1
                self._last_failure = now
                if self.failures > self.free:
                    self._next = now + min(self.delay * 2 ** (self.failures - self.free - 1), self.max_delay)
                return False
        finally:
            self._waiting -= 1


# --------------------------------------------------------------------------- uploads

def upload_folder() -> Path:
    """Where Gradio's upload route stores files (GRADIO_TEMP_DIR, else <tmp>/gradio)."""
    from gradio.utils import get_upload_folder
    return Path(get_upload_folder())


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except (OSError, ValueError):
        return False
    return True


def discard_upload(path: str | os.PathLike) -> bool:
    """Delete a file the upload route stored (and its folder, once empty); a file anywhere
    else is left alone. Returns whether something was deleted."""
    path = Path(path)
    folder = upload_folder()
    if path.is_symlink() or not path.is_file() or not _inside(path, folder) or path.parent == folder:
        return False
    try:
        path.unlink()
        if path.parent != folder and not any(path.parent.iterdir()):
            path.parent.rmdir()
    except OSError:
        return False
    return True


async def _reply(send, status: int, text: str) -> None:
    body = text.encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class UploadFilter:
    """ASGI middleware: only reports, and not too much of them, reach Gradio's upload cache.

    Args:
        app: the ASGI app (Gradio's FastAPI app).
        suffixes: the file endings accepted (case does not matter).
        max_request_bytes: the most one upload request may carry.
    """

    def __init__(self, app, suffixes: Iterable[str] = UPLOAD_SUFFIXES,
                 max_request_bytes: int = MAX_REQUEST_BYTES):
        self.app = app
        self.suffixes = tuple(s.lower() for s in suffixes)
        self.max_request_bytes = max_request_bytes

    def _is_upload(self, scope) -> bool:
        return (scope.get("type") == "http" and scope.get("method") == "POST"
                and scope.get("path", "").rstrip("/").endswith("/upload"))

    async def __call__(self, scope, receive, send):
        if not self._is_upload(scope):
            await self.app(scope, receive, send)
            return
        too_big = f"上传过大：一次最多 {self.max_request_bytes // 2**20} MB，每份报告最多 20 MB；请拆分后再上传"
        headers = dict(scope.get("headers") or [])
        try:
            length = int(headers.get(b"content-length", b"-1"))
        except ValueError:
            length = -1
        if length > self.max_request_bytes:
            await _reply(send, 413, too_big)
            return

        seen = 0
        over = False

        async def counted():
            nonlocal seen, over
            message = await receive()
            if message.get("type") == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_request_bytes:
                    over = True
                    return {"type": "http.disconnect"}
            return message

        start: dict | None = None
        chunks: list[bytes] = []

        async def held(message):
            # the route's answer is held back until its files are checked
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        try:
            await self.app(scope, counted, held)
        except Exception:
            if not over:
                raise
        if over:
            await _reply(send, 413, too_big)
            return
        body = b"".join(chunks)
        if start is not None and start.get("status") == 200:
            try:
                paths = json.loads(body)
            except ValueError:
                paths = None
            if isinstance(paths, list) and any(
                    not str(p).lower().endswith(self.suffixes) for p in paths):
                for p in paths:
                    _remove_stored(Path(str(p)))
                await _reply(send, 415, f"只接受 {' 或 '.join(self.suffixes)} 报告文件；未保存")
                return
        if start is None:
            await _reply(send, 500, "上传失败")
            return
        await send(start)
        await send({"type": "http.response.body", "body": body})


def _remove_stored(path: Path) -> None:
    """Delete a file the route just stored (it sits in a folder named by its hash)."""
    folder = upload_folder()
    if not _inside(path, folder) or path.parent == folder:
        return
    try:
        if path.is_file():
            path.unlink()
        if not any(path.parent.iterdir()):
            shutil.rmtree(path.parent, ignore_errors=True)
    except OSError:
        pass
