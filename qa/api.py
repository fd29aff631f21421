"""The JSON API and the OpenAI-compatible chat endpoint, served beside the web chat.

One FastAPI app answers every path under ``/api`` and ``/v1``; :class:`Dispatch`, a middleware
of the Gradio server, hands those paths to it, so the chat, the API and the chat endpoint for
OpenAI clients share one process and one port::

    POST   /api/ask                 {"question": "...", "history": [...]}  → the Answer as JSON
    GET    /api/search?q=...&k=5    → passages (source, passage_id, section, text, score)
    GET    /api/reports             → the indexed reports
    POST   /api/reports             upload reports (multipart, field "files"; "replace")
    DELETE /api/reports/{name}      remove a report and update the index
    POST   /api/build               rebuild the index (``?stream=true``: its progress as JSON lines)
    GET    /api/figures?q=&page=    the figure table, a page at a time; /api/figures.csv: as CSV
    GET    /api/docs                this API's OpenAPI page (/api/openapi.json: the schema)
    GET    /v1/models               the one model, for OpenAI clients
    POST   /v1/chat/completions     OpenAI chat completions (``stream``): earlier turns are the
                                    follow-up history; the reply carries the quote and source,
                                    ``citations`` the same as records

Keys (:func:`access_settings`): with ``QA_API_KEY`` set, every call needs
``Authorization: Bearer <key>``; with a login for the page (QA_USER/QA_PASSWORD) and no key
the API is closed; with neither, the server listens on 127.0.0.1 only (:func:`check_listen`).

Every error is JSON, ``{"error": {"message": <Chinese>, "type": …, "code": <status>}}`` (the
shape OpenAI clients read), with the status that fits: 400/401/403/404/405/409/413/415/422,
503 while there is no index, 500 for a fault of the server (the traceback goes to its log).

The answer logic is the library's: this module calls the public :class:`~qa.Assistant` and
:class:`~qa.Answer` API through the app's :class:`~qa.present.Library`.
"""

from __future__ import annotations

import hmac
import json
import os
import queue
import secrets
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

from fastapi import Depends, FastAPI, File, Form, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import __version__, errors, export
from .errors import QAError

MODEL_ID = "union-report-qa"
PREFIXES = ("/api", "/v1")
LOOPBACK = ("127.0.0.1", "localhost", "::1")
MAX_K = 50
MAX_PER_PAGE = 500
MAX_REQUEST_BYTES = 64 * 2**20        # an upload request, as Gradio's own upload route


# --------------------------------------------------------------------------- keys and listening

def access_settings(env: dict) -> str | None:
    """The API key from QA_API_KEY, None when it is not set.

    Raises:
        InvalidParameter: QA_API_KEY is set but empty or blank (fail closed, as the login).
    """
    if "QA_API_KEY" not in env:
        return None
    key = env["QA_API_KEY"].strip()
    if not key:
        raise errors.InvalidParameter("QA_API_KEY 已设置但为空；请设为一个足够长的随机字符串"
                                      "（如 `python -c \"import secrets; print(secrets.token_urlsafe(32))\"`），或不设置")
    return key


def check_listen(host: str, key: str | None, login: bool) -> None:
    """Refuse to listen beyond this machine when neither an API key nor a login guards the server.

    Raises:
        InvalidParameter: ``host`` is not a loopback address and neither is set.
    """
    if key or login or host in LOOPBACK:
        return
    raise errors.InvalidParameter(
        f"监听地址 {host} 会让其他机器访问报告和接口，但既没有设置登录（QA_USER 与 QA_PASSWORD）"
        "也没有设置接口密钥（QA_API_KEY），未启动。请设置它们，或只监听本机（--host 127.0.0.1）")


# --------------------------------------------------------------------------- errors

class ApiError(Exception):
    """An error answered as JSON with ``status`` and a Chinese ``message``."""

    def __init__(self, status: int, message: str, type_: str = "invalid_request_error",
                 headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.type, self.headers = status, message, type_, headers


# what a library error means for the caller, by class
_STATUS = {
    "InvalidQuestion": 400, "InvalidParameter": 400, "UploadRejected": 400, "ReportError": 400,
    "BuildLocked": 409, "IndexMissing": 503, "EmptyIndex": 503, "IndexCorrupt": 503,
    "EmbedderMismatch": 503, "EmbedderUnavailable": 503, "NotAnIndex": 500,
}
_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
          404: "not_found_error", 405: "invalid_request_error", 409: "conflict_error",
          411: "invalid_request_error", 413: "request_too_large", 415: "invalid_request_error",
          422: "invalid_request_error", 500: "server_error", 503: "service_unavailable"}


def error_response(status: int, message: str, type_: str | None = None, headers: dict | None = None) -> JSONResponse:
    """The JSON every error of the API is answered with."""
    return JSONResponse({"error": {"message": message, "type": type_ or _TYPES.get(status, "error"),
                                   "code": status}}, status_code=status, headers=headers)


_FIELD_ERRORS = {
    "missing": "缺少这一项", "string_type": "必须是文本", "int_type": "必须是整数",
    "int_parsing": "必须是整数", "float_parsing": "必须是数字", "bool_parsing": "必须是 true 或 false",
    "bool_type": "必须是 true 或 false", "list_type": "必须是列表", "dict_type": "必须是对象",
    "model_attributes_type": "必须是 JSON 对象", "json_invalid": "不是有效的 JSON",
    "extra_forbidden": "不是可用的字段", "literal_error": "取值不在可选范围内",
    "greater_than_equal": "太小", "less_than_equal": "太大", "greater_than": "太小", "less_than": "太大",
    "string_too_long": "太长", "string_too_short": "太短", "too_long": "项数太多",
    "value_error": "取值无效", "enum": "取值不在可选范围内",
}
_LIMITS = ("ge", "le", "gt", "lt", "max_length", "min_length", "expected")


def validation_message(exc: RequestValidationError) -> str:
    """A request's validation errors in Chinese: 'question：必须是文本'."""
    parts = []
    for err in exc.errors()[:5]:
        loc = [str(x) for x in err.get("loc", ()) if x not in ("body", "query", "path", "header", "form")]
        where = ".".join(loc) or "请求体"
        what = _FIELD_ERRORS.get(err.get("type", ""), "取值无效")
        ctx = err.get("ctx") or {}
        limit = next((f"（{k} {ctx[k]}）" for k in _LIMITS if k in ctx), "")
        if err.get("type") == "json_invalid":
            where = "请求体"
        if err.get("type") == "missing" and where == "请求体":
            what = "缺少请求体（JSON）"
        parts.append(f"{where}：{what}{limit}")
    return "请求无效：" + "；".join(parts)


class _Route(APIRoute):
    """A route whose unexpected errors are answered as JSON (and logged), never as a traceback."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except (ApiError, QAError, StarletteHTTPException, RequestValidationError):
                raise
            except Exception as exc:  # noqa: BLE001 - the caller gets JSON, the log the traceback
                traceback.print_exc(file=sys.stderr)
                return error_response(500, f"内部错误（{type(exc).__name__}）；请重试，或查看服务器日志")
        return guarded


# --------------------------------------------------------------------------- request and reply records

class ChatTurn(BaseModel):
    """An earlier turn of a conversation, as OpenAI chat messages are."""
    model_config = ConfigDict(extra="allow")
    role: str
    content: Any = None


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"question": "惠民超市呢？", "history": ["内江市建了几个困难职工帮扶中心？"]}]})
    question: str = Field(description="问题（中文，最多 500 字）")
    history: list[str | list[str] | ChatTurn] = Field(
        default_factory=list, max_length=200,
        description="之前的对话：问题文本、[问题, 回答] 对，或 {\"role\": \"user\", \"content\": …} 消息")


class CitationOut(BaseModel):
    source: str = Field(description="报告文件名（引用的编号）")
    passage_id: str
    section: str = Field(description="文章标题")
    quote: str = Field(description="原文（逐字引用）")
    page: int | str | None = Field(None, description="页码（来自有页码的报告时）")
    place: str | None = None
    date: str | None = None


class AnswerOut(BaseModel):
    found: bool = Field(description="报告是否回答了这个问题（否：拒答，text 说明缺什么）")
    short: str = Field(description="直接的答案（如 3135个）")
    text: str = Field(description="完整回复：答案、原文、出处")
    kind: str = Field(description="问题类型：figure、compare、trend、compute…")
    citations: list[CitationOut]
    table: list[dict] | None = Field(None, description="对比、变化、计算的回答：每个数字一行")
    computed: list[str] | None = Field(None, description="计算得出的数字")
    nearest: CitationOut | None = Field(None, description="拒答时最接近的记录（并非所问）")
    reason: str = Field("", description="拒答的原因：place、year、thing、unsure、nothing…")
    confidence: float | None = None


class HitOut(BaseModel):
    source: str
    passage_id: str
    section: str
    text: str
    score: float
    place: str | None = None
    date: str | None = None


class SearchOut(BaseModel):
    query: str
    hits: list[HitOut]


class ReportOut(BaseModel):
    file: str
    title: str
    date: str
    passages: int


class ReportsOut(BaseModel):
    reports: list[ReportOut]
    problem: str | None = Field(None, description="没有可用索引时：原因")


class BuildOut(BaseModel):
    message: str = Field(description="构建摘要")
    result: dict


class FiguresOut(BaseModel):
    page: int
    pages: int
    per_page: int
    matched: int
    total: int
    rows: list[dict]


class BuildRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    full: bool = Field(True, description="全量重建（false：增量更新）")


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str
    content: str | list[dict] | None = None


class ChatRequest(BaseModel):
    """OpenAI's chat completion request; fields the answer does not use (temperature, …) are accepted and ignored."""
    model_config = ConfigDict(extra="allow")
    model: str = MODEL_ID
    messages: list[Message] = Field(min_length=1, max_length=400)
    stream: bool = False
    stream_options: dict | None = None


# --------------------------------------------------------------------------- records as JSON

def citation_dict(c) -> dict:
    d = {"source": c.source, "passage_id": c.passage_id, "section": c.section, "quote": c.quote}
    page = getattr(c, "page", None)
    if page not in (None, ""):
        d["page"] = page
    d["place"], d["date"] = c.place, c.date
    return d


def answer_dict(answer) -> dict:
    """An :class:`~qa.Answer` as the API's JSON: found, short, text, kind, citations, and
    table / computed where the answer has them."""
    d = {"found": answer.found, "short": answer.short, "text": answer.text, "kind": answer.kind,
         "citations": [citation_dict(c) for c in answer.citations]}
    if answer.table:
        d["table"] = [dict(r) for r in answer.table]
    if answer.computed:
        d["computed"] = list(answer.computed)
    if answer.nearest is not None:
        d["nearest"] = citation_dict(answer.nearest)
    d["reason"] = answer.reason
    d["confidence"] = None if answer.confidence is None else round(answer.confidence, 4)
    return d


def hit_dict(h) -> dict:
    return {"source": h.source, "passage_id": h.passage_id, "section": h.section, "text": h.text,
            "score": round(float(h.score), 6), "place": h.place, "date": h.date}


# --------------------------------------------------------------------------- removing a report

def remove_report(lib, name: str):
    """Delete report ``name`` from the library's reports folder and update the index.

    The file is moved aside first and put back when the build fails, so a failed removal
    leaves the reports and the index as they were. Returns the BuildResult.

    Raises:
        ApiError 404: no report of that name; 400: a name with a folder part.
    """
    from .present import run_build
    if not name or "/" in name or "\\" in name or name in (".", "..") or name.startswith("."):
        raise ApiError(400, f"报告名 {name!r} 无效：只写文件名（如 report.txt）")
    with lib.lock:
        path = lib.reports / name
        if not path.is_file() or path.is_symlink():
            raise ApiError(404, f"没有名为 {name} 的报告", "not_found_error")
        aside = lib.reports / f".removed-{secrets.token_hex(6)}-{name}"
        os.replace(path, aside)
        try:
            res = run_build(lib.reports, lib.index, full=False, wait=lib.build_wait)
        except BaseException:
            os.replace(aside, path)
            raise
        aside.unlink(missing_ok=True)
        lib.load()
        return res


# --------------------------------------------------------------------------- the app

FIGURE_SORTS = {"report": "报告顺序", "value_desc": "数值从大到小", "value_asc": "数值从小到大",
                "place": "地区", "metric": "指标", "date": "日期"}


def create_api(get_library: Callable[[], Any], *, key: str | None = None, login: bool = False,
               public: Callable[[str], str] = str) -> FastAPI:
    """The API app.

    Args:
        get_library: returns the app's current :class:`~qa.present.Library`.
        key: the API key (QA_API_KEY); every call must bring it as a bearer token.
        login: the page has a login; without a key the API is then closed (403).
        public: makes a message fit for the caller (server paths cut to their names).
    """
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
    from fastapi.staticfiles import StaticFiles

    app = FastAPI(
        title="工会工作报告问答 API", version=__version__, docs_url=None, redoc_url=None,
        openapi_url="/api/openapi.json",
        description=(
            "提问、检索、报告管理与数字表的 JSON 接口，以及兼容 OpenAI 的聊天接口（/v1）。"
            "回答逐字引用报告原文并注明出处；报告中没有答案时 found 为 false（拒答），不编造。\n\n"
            + ("调用需要密钥：请求头 `Authorization: Bearer <QA_API_KEY>`。" if key else
               "接口已关闭：网页设置了登录但服务器没有设置 QA_API_KEY。" if login else
               "本机访问无需密钥（服务器只监听本机）。")
            + "\n\n出错时返回 JSON：`{\"error\": {\"message\": 中文说明, \"type\": …, \"code\": 状态码}}`。"),
    )
    app.router.route_class = _Route
    bearer = HTTPBearer(auto_error=False, description="QA_API_KEY")

    def require_key(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:
        if key:
            given = credentials.credentials if credentials else ""
            if not hmac.compare_digest(given.encode("utf-8"), key.encode("utf-8")):
                raise ApiError(401, "缺少接口密钥或密钥不对：请在请求头加 Authorization: Bearer <QA_API_KEY>",
                               "authentication_error", headers={"WWW-Authenticate": "Bearer"})
        elif login:
            raise ApiError(403, "网页设置了登录（QA_USER/QA_PASSWORD），接口需要密钥，但服务器没有设置 QA_API_KEY；"
                                "请在服务器上设置 QA_API_KEY 后重启", "permission_error")

    guarded = [Depends(require_key)]

    # ---- errors: always JSON, in Chinese
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        return error_response(exc.status, exc.message, exc.type, exc.headers)

    @app.exception_handler(QAError)
    async def _qa_error(request: Request, exc: QAError):
        status = _STATUS.get(type(exc).__name__, 400)
        return error_response(status, public(str(exc)))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        return error_response(422, validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 404:
            msg = f"没有这个接口：{request.method} {request.url.path}；接口列表见 /api/docs"
        elif exc.status_code == 405:
            msg = f"{request.url.path} 不接受 {request.method} 请求；接口列表见 /api/docs"
        else:
            msg = f"请求失败（{exc.status_code}）"
        return error_response(exc.status_code, msg, headers=getattr(exc, "headers", None))

    # ---- the OpenAPI page, without a CDN (the page makes no calls outside this server)
    import fastapi_offline
    static = Path(fastapi_offline.__file__).parent / "static"
    app.mount("/api/docs/static", StaticFiles(directory=static), name="api-docs-static")

    @app.get("/api/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        page = get_swagger_ui_html(openapi_url="/api/openapi.json", title="工会工作报告问答 API",
                                   swagger_js_url="/api/docs/static/swagger-ui-bundle.js",
                                   swagger_css_url="/api/docs/static/swagger-ui.css",
                                   swagger_favicon_url="/api/docs/static/favicon.png")
        return HTMLResponse(page.body.decode("utf-8").replace('<html>', '<html lang="zh-CN">', 1))

    def library():
        lib = get_library()
        if lib is None:
            raise ApiError(503, "服务尚未准备好（报告库未配置）；请稍后再试", "service_unavailable")
        return lib

    def assistant():
        return library().require()

    # ---- questions
    @app.post("/api/ask", response_model=AnswerOut, response_model_exclude_none=True,
              dependencies=guarded, tags=["问答"], summary="提问：带出处的回答（JSON）")
    def ask(body: AskRequest) -> dict:
        """回答一个问题。``history`` 是之前的对话（用于追问，如“那南充呢？”）。
        报告中没有答案时 ``found`` 为 false，``text`` 说明缺少什么（状态码仍是 200）。"""
        from .present import check_question
        question = check_question(body.question)
        if not question:
            raise ApiError(400, "问题为空：请在 question 中写一个问题，如“防城港市组建了多少个工会组织？”")
        history = [h.model_dump() if isinstance(h, ChatTurn) else h for h in body.history]
        return answer_dict(assistant().ask(question, history=history))

    @app.get("/api/search", response_model=SearchOut, dependencies=guarded, tags=["问答"],
             summary="检索段落")
    def search(q: str = Query(..., min_length=1, max_length=500, description="检索词或问题"),
               k: int = Query(5, ge=1, le=MAX_K, description="返回段落数"),
               mode: Literal["hybrid", "bm25", "dense"] = Query("hybrid", description="检索方式")) -> dict:
        """最相关的 k 个段落，最好的在前。"""
        hits = assistant().search(q, k=k, mode=mode)
        return {"query": q, "hits": [hit_dict(h) for h in hits]}

    # ---- reports
    @app.get("/api/reports", response_model=ReportsOut, response_model_exclude_none=True,
             dependencies=guarded, tags=["报告"], summary="已索引的报告")
    def reports() -> dict:
        lib = library()
        a = lib.assistant
        return {"reports": a.reports() if a else [],
                "problem": public(lib.problem) if a is None and lib.problem else None}

    @app.post("/api/reports", status_code=201, dependencies=guarded, tags=["报告"],
              summary="上传报告（.txt / .md），加入索引")
    def upload(request: Request,
               files: list[UploadFile] = File(..., description="一份或多份报告（UTF-8 / UTF-16 / GB18030）"),
               replace: bool = Form(False, description="替换同名报告")) -> dict:
        """逐份检查、保存并增量索引。全部成功：201；任何一份未添加：该份的错误
        （400 内容不可用、409 已有同名报告、413 过大、415 类型不对），之前成功的份数在消息里。"""
        from .present import MAX_UPLOAD_BYTES, UPLOAD_SUFFIXES, build_message, safe_report_name
        lib = library()
        added, messages = [], []
        for f in files:
            name = f.filename or ""
            done = f"（已添加：{'、'.join(added)}）" if added else ""
            if not name.lower().endswith(UPLOAD_SUFFIXES):
                raise ApiError(415, f"{name or '无名文件'}：只接受 .txt 或 .md 报告；未添加{done}")
            data = f.file.read(MAX_UPLOAD_BYTES + 1)
            if len(data) > MAX_UPLOAD_BYTES:
                raise ApiError(413, f"{name}：文件过大（上限 {MAX_UPLOAD_BYTES // 2**20} MB），请拆分成多份报告；未添加{done}",
                               "request_too_large")
            safe = safe_report_name(name)
            if not replace and (lib.reports / safe).exists():
                raise ApiError(409, f"已有同名报告 {safe}；未覆盖。如要替换，请加 replace=true，或改名{done}",
                               "conflict_error")
            try:
                saved, res = lib.add_report(data, name, replace=replace)
            except QAError as exc:
                raise ApiError(_STATUS.get(type(exc).__name__, 400), f"未添加 {name}：{public(str(exc))}{done}") from None
            added.append(saved)
            messages.append(public(build_message(res, added=saved, assistant=lib.assistant)))
        return {"added": added, "message": "\n".join(messages), "reports": lib.assistant.reports() if lib.assistant else []}

    @app.delete("/api/reports/{name}", dependencies=guarded, tags=["报告"], summary="删除报告，更新索引")
    def delete(name: str) -> dict:
        lib = library()
        res = remove_report(lib, name)
        return {"deleted": name, "message": public(_build_text(res)),
                "reports": lib.assistant.reports() if lib.assistant else []}

    @app.post("/api/build", dependencies=guarded, tags=["报告"], summary="重建索引（可流式返回进度）")
    def build(body: BuildRequest | None = None,
              stream: bool = Query(False, description="true：以 JSON 行（application/x-ndjson）逐步返回进度")):
        """默认全量重建。``stream=true`` 时每个步骤一行 ``{"event": …, "seconds": …}``，最后一行
        ``{"result": …, "message": …}`` 或 ``{"error": {…}}``。另一个构建进行中时：409。"""
        lib = library()
        full = True if body is None else body.full
        if not stream:
            events: list[dict] = []
            started = time.monotonic()
            res = lib.rebuild(full=full, block=False, on_event=lambda m: events.append(
                {"event": m, "seconds": round(time.monotonic() - started, 2)}))
            return {"message": public(_build_text(res)), "result": _result_dict(res), "events": events}
        if not lib.lock.acquire(blocking=False):     # refused at once, as a JSON error, not a 200 stream
            raise errors.BuildLocked("另一个构建（全量重建或上传的报告）正在进行；请等它完成后再试")
        lib.lock.release()
        return StreamingResponse(_build_stream(lib, full, public), media_type="application/x-ndjson")

    # ---- the figure table
    def _figure_rows(q: str, sort: str, page: int, per_page: int):
        table = library().figure_table()
        rows, page, pages, matched = table.page(q, FIGURE_SORTS[sort], page, per_page=per_page)
        return table, rows, page, pages, matched

    @app.get("/api/figures", response_model=FiguresOut, dependencies=guarded, tags=["数字表"],
             summary="数字表（搜索、排序、分页）")
    def figures(q: str = Query("", max_length=500, description="搜索词，空格分隔（每个词都要出现）"),
                sort: Literal["report", "value_desc", "value_asc", "place", "metric", "date"] = Query("report"),
                page: int = Query(1, ge=1), per_page: int = Query(50, ge=1, le=MAX_PER_PAGE)) -> dict:
        table, rows, page, pages, matched = _figure_rows(q, sort, page, per_page)
        return {"page": page, "pages": pages, "per_page": per_page, "matched": matched,
                "total": len(table.rows), "rows": [_figure_dict(r) for r in rows]}

    @app.get("/api/figures.csv", dependencies=guarded, tags=["数字表"], summary="数字表导出为 CSV",
             response_class=Response, responses={200: {"content": {"text/csv": {}}}})
    def figures_csv(q: str = Query("", max_length=500), sort: Literal["report", "value_desc", "value_asc",
                                                                        "place", "metric", "date"] = Query("report")):
        """搜索到的全部行（不分页），UTF-8（带 BOM，Excel 可直接打开）。"""
        table = library().figure_table()
        rows, *_ = table.page(q, FIGURE_SORTS[sort], 1, per_page=max(1, len(table.rows)))
        return Response(export.figures_csv(rows), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="figures.csv"'})

    # ---- OpenAI-compatible chat
    @app.get("/v1/models", dependencies=guarded, tags=["OpenAI 兼容"], summary="模型列表")
    def models() -> dict:
        return {"object": "list", "data": [_model()]}

    @app.get("/v1/models/{model}", dependencies=guarded, tags=["OpenAI 兼容"], summary="模型", include_in_schema=False)
    def model(model: str) -> dict:
        if model != MODEL_ID:
            raise ApiError(404, f"没有模型 {model}；可用的模型：{MODEL_ID}", "not_found_error")
        return _model()

    @app.post("/v1/chat/completions", dependencies=guarded, tags=["OpenAI 兼容"],
              summary="聊天（兼容 OpenAI，支持 stream）")
    def chat(body: ChatRequest):
        """最后一条 user 消息是问题，之前的消息是追问的上下文；system 消息被忽略。
        回复正文含答案、原文与出处；``citations`` 字段以记录形式给出同样的引用。"""
        from .present import check_question
        question, history = _chat_question(body.messages)
        question = check_question(question)
        if not question:
            raise ApiError(400, "最后一条 user 消息为空：请写一个问题")
        answer = assistant().ask(question, history=history)
        cid = f"chatcmpl-{secrets.token_hex(12)}"
        created = int(time.time())
        extra = {"citations": [citation_dict(c) for c in answer.citations], "found": answer.found,
                 "short": answer.short, "kind": answer.kind}
        if body.stream:
            opts = body.stream_options or {}
            usage = _usage(question, answer.text) if opts.get("include_usage") else None
            return StreamingResponse(_chat_stream(cid, created, body.model, answer, extra, usage),
                                     media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        return {"id": cid, "object": "chat.completion", "created": created, "model": body.model,
                "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                             "message": {"role": "assistant", "content": answer.text, "refusal": None,
                                         "citations": extra["citations"]}}],
                "usage": _usage(question, answer.text), **extra}

    return app


def _model() -> dict:
    return {"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "union-report-qa"}


def _usage(question: str, text: str) -> dict:
    # no language model and no tokens: characters are counted, so clients that show usage work
    return {"prompt_tokens": len(question), "completion_tokens": len(text),
            "total_tokens": len(question) + len(text)}


def _text_of(content) -> str:
    """The text of a chat message's content: a string, or OpenAI's list of parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "\n".join(str(p.get("text") or "") for p in content if isinstance(p, dict) and p.get("type") == "text")


def _chat_question(messages: list[Message]) -> tuple[str, list[dict]]:
    """(question, history) of a chat: the last user message, and the turns before it."""
    turns = [(m.role, _text_of(m.content)) for m in messages if m.role in ("user", "assistant")]
    if not turns or turns[-1][0] != "user":
        raise ApiError(400, "messages 的最后一条须是 user 消息（要回答的问题）")
    question = turns[-1][1]
    history = [{"role": r, "content": t} for r, t in turns[:-1]]
    return question, history


def _chat_stream(cid: str, created: int, model: str, answer, extra: dict,
                 usage: dict | None = None) -> Iterator[str]:
    """The reply as OpenAI's server-sent chunks: the role, the text a line at a time, the end
    (with the citations), and the usage when the request's stream_options asked for it."""
    def chunk(delta: dict, finish: str | None = None, **more) -> str:
        obj = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}], **more}
        return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n"
    yield chunk({"role": "assistant", "content": ""})
    lines = answer.text.splitlines(keepends=True) or [""]
    for line in lines:
        yield chunk({"content": line})
    yield chunk({}, "stop", **extra)
    if usage is not None:
        obj = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
               "choices": [], "usage": usage}
        yield f"data: {json.dumps(obj, ensure_ascii=False)}\n\n"
    yield "data: [DONE]\n\n"


def _build_text(res) -> str:
    from .present import build_message
    return build_message(res)


def _result_dict(res) -> dict:
    d = res.to_dict()
    d["index"] = Path(str(d.get("index", ""))).name      # never the server's path
    d["reports"] = res.reports
    return d


def _figure_dict(r: dict) -> dict:
    return {k: r.get(k) for k in ("place", "metric", "metric_text", "figure", "value", "unit", "time",
                                  "date", "source", "section", "sentence", "passage_id")}


def _build_stream(lib, full: bool, public: Callable[[str], str]) -> Iterator[str]:
    """A rebuild's progress as JSON lines, the build running in a thread meanwhile."""
    out: queue.Queue = queue.Queue()
    started = time.monotonic()

    def run():
        try:
            res = lib.rebuild(full=full, block=False, on_event=lambda m: out.put(
                {"event": m, "seconds": round(time.monotonic() - started, 2)}))
            out.put({"result": _result_dict(res), "message": public(_build_text(res))})
        except QAError as exc:
            status = _STATUS.get(type(exc).__name__, 400)
            out.put({"error": {"message": public(str(exc)), "type": _TYPES.get(status, "error"), "code": status}})
        except Exception as exc:  # noqa: BLE001
            traceback.print_exc(file=sys.stderr)
            out.put({"error": {"message": f"内部错误（{type(exc).__name__}）；索引保持原样", "type": "server_error",
                               "code": 500}})
        finally:
            out.put(None)
    threading.Thread(target=run, name="api-build", daemon=True).start()
    while (item := out.get()) is not None:
        yield json.dumps(item, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------- beside Gradio

class Dispatch:
    """ASGI middleware for the Gradio server: paths under /api and /v1 go to the API app,
    everything else to Gradio. Requests to the API larger than ``max_request_bytes`` (by
    their Content-Length) are refused with 413 before they are read.

    ``Middleware(Dispatch, api=create_api(...))`` in ``launch(app_kwargs={"middleware": [...]})``.
    """

    def __init__(self, app, api: FastAPI, max_request_bytes: int = MAX_REQUEST_BYTES):
        self.app, self.api, self.max_request_bytes = app, api, max_request_bytes

    @staticmethod
    def is_api(path: str) -> bool:
        return any(path == p or path.startswith(p + "/") for p in PREFIXES) or path.startswith("/api/docs")

    async def __call__(self, scope, receive, send):
        if scope.get("type") != "http" or not self.is_api(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        try:
            length = int(headers.get(b"content-length", b"0"))
        except ValueError:
            length = 0
        if length > self.max_request_bytes:
            await error_response(413, f"请求过大：一次最多 {self.max_request_bytes // 2**20} MB；请拆分后再上传",
                                 "request_too_large")(scope, receive, send)
            return
        await self.api(scope, receive, send)
