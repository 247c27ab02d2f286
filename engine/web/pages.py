"""The page's own templates and files: a sandboxed, autoescaping, strict Jinja environment, the error page.

The templates (engine/web/templates) and the one stylesheet and script
(engine/web/static) ship inside the package; nothing is fetched from
elsewhere, so the page works offline. Static files are served from a fixed
list read when the server starts: no URL names a file, no folder is listed.
"""
from __future__ import annotations

import html
from functools import lru_cache
from pathlib import Path

import jinja2
from starlette.responses import HTMLResponse, Response

from engine.outputs.render import number
from engine.outputs.sandbox import BoundedSandbox
from engine.rules.targets import format_number
from engine.web.i18n import CHECK_LABELS, state_class, translator
from engine.web.yearview import PAGE_SIZE, REVIEW_LABELS
from engine.outputs.summary import FAILED

HERE = Path(__file__).resolve().parent
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                ".svg": "image/svg+xml", ".png": "image/png", ".txt": "text/plain; charset=utf-8"}
ERRORS = {
    400: ("请求有误", "页面收到的请求无法读取。请返回上一页重试。"),
    403: ("请求被拒绝", "表单已过期或来自其他页面（安全校验未通过）。请刷新页面后重新提交。"),
    404: ("找不到页面", "没有这个页面：地址有误，或项目文件已被移走、改名。"),
    405: ("请求有误", "这个地址不接受这种请求。"),
    413: ("文件太大", "上传的文件超过了大小限制。自评表工作簿通常远小于此；请检查是否选错了文件。"),
    500: ("内部错误", "evalrun 出现了内部错误（这是程序的问题，不是您文件的问题），什么都没有写入。"
                     "请把操作步骤告诉维护人员；服务器窗口里有详细信息。"),
}


@lru_cache(maxsize=1)
def static_files() -> dict:
    """name -> (bytes, media type) of every file shipped in engine/web/static."""
    folder = HERE / "static"
    return {p.name: (p.read_bytes(), STATIC_TYPES[p.suffix]) for p in sorted(folder.iterdir())
            if p.is_file() and p.suffix in STATIC_TYPES}


def percent(value) -> str:
    """0.5532 -> '55.32%'."""
    if value is None:
        return ""
    return f"{format_number(value * 100)}%"


@lru_cache(maxsize=2)
def environment(lang: str) -> jinja2.Environment:
    env = BoundedSandbox(
        loader=jinja2.FileSystemLoader(str(HERE / "templates"), encoding="utf-8"),
        undefined=jinja2.StrictUndefined, autoescape=True, trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["num"] = number
    env.filters["percent"] = percent
    translate = translator(lang)
    env.globals.update({
        "_": translate, "lang": lang, "state_class": state_class, "review_labels": REVIEW_LABELS,
        "check_label": lambda check: translate(CHECK_LABELS.get(check, check)), "page_size": PAGE_SIZE,
        "failed_label": translate(FAILED),
    })
    return env


def render(lang: str, name: str, context: dict, status: int = 200, headers: dict | None = None) -> HTMLResponse:
    text = environment(lang).get_template(name).render(context)
    return HTMLResponse(text, status_code=status, headers=headers)


def error_page(lang: str, status: int, detail: str = "", base: dict | None = None) -> Response:
    """A clear page for an error; never a traceback. Falls back to plain HTML if the template itself fails."""
    status = status if status in ERRORS else (400 if 400 <= status < 500 else 500)
    title, text = ERRORS[status]
    _ = translator(lang)
    try:
        context = {"nav": None, "csrf": "", "flash": [], "store": "", **(base or {}),
                   "title": _(title), "status": status, "text": _(text), "detail": detail}
        return render(lang, "error.html.j2", context, status)
    except Exception:  # noqa: BLE001 - the error page must not fail in turn
        body = f"<!doctype html><meta charset=utf-8><title>{status}</title><h1>{status} {html.escape(_(title))}</h1>" \
               f"<p>{html.escape(_(text))}</p>"
        return HTMLResponse(body, status_code=status)
