"""The web application: routes over engine.api, the store's reviews and the import; a second face, not a second engine.

    /                              the default year
    /y/RULESET/                    the 汇总: filters, sorting, charts, review states
    /y/RULESET/summary.csv         the same rows, one line per finding with its review state
    /y/RULESET/p/KEY               a project: 自评表, traces, findings and reviews, the HTML report
    /y/RULESET/p/KEY/report        the HTML report, as `evalrun` writes it (shown in a frame)
    /y/RULESET/p/KEY/review        POST: a decision on a finding
    /y/RULESET/import              GET: upload a returned 自评表; POST: its preview
    /y/RULESET/import/confirm      POST: write what the preview showed
    /y/RULESET/rules?old=&new=     the diff of two rulesets and its impact
    /y/RULESET/source?file=&line=  a ruleset or project file, the line marked
    /static/NAME                   the stylesheet and script shipped in the package

RULESET is a name from rulesets/ and KEY a hash of a project file's path:
neither is ever used as a path. Every POST carries the session's CSRF token.
"""
from __future__ import annotations

import getpass
import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import anyio
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from engine import i18n
from engine.errors import EvalrunError, EvalrunErrors, UsageError
from engine.outputs.formats import FORMATS
from engine.rules.rulesets import display
from engine.store.reviews import STATES, ReviewStore
from engine.store.settings import shown as store_shown
from engine.web import yearview
from engine.web.exports import summary_csv
from engine.web.i18n import translator
from engine.web.importing import Pending, digest, preview_view, run_import, upload_name
from engine.web.pages import error_page, render, static_files
from engine.web.project import finding_views, project_context
from engine.web.rules import RulesView, default_pair, source_file, source_lines
from engine.web.security import Guard, Sessions, checked_form
from engine.web.state import Workspace

log = logging.getLogger("evalrun.serve")
MAX_UPLOAD = 20 * 1024 * 1024  # engine.forms.import_forms reads workbooks up to this size
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
WILDCARDS = {"0.0.0.0", "::", ""}


@dataclass(frozen=True)
class ServeOptions:
    """Everything `evalrun serve` needs, spelled out once."""

    workspace: Path = Path(".")
    ruleset: str | None = None
    host: str = "127.0.0.1"
    port: int = 0  # 0: a free port
    open_browser: bool = True
    lang: str = "zh"
    db: str | None = None  # the results store's URL; None: no reviews
    max_upload: int = MAX_UPLOAD
    hosts: frozenset | None = None  # Host headers answered; None: the loopback names and ``host``


class Site:
    """The state behind the routes: the workspace's years, the reviews, the rules page, the sessions."""

    def __init__(self, options: ServeOptions):
        self.options = options
        i18n.use("en" if options.lang == "en" else i18n.DEFAULT)  # the engine's messages on the page, in its language
        self.workspace = Workspace(options.workspace)
        self.reviews = ReviewStore(options.db, options.workspace) if options.db else None
        self.rules = RulesView(options.workspace)
        self.sessions = Sessions()
        self.writing = anyio.Lock()
        self._ = translator(options.lang)
        # who reviews, until a reviewer gives a name: the computer's user when the page is this computer's only
        self.default_reviewer = _user() if options.host in LOOPBACK else ""

    # ------------------------------------------------------------ helpers

    def base(self, request: Request, current: str | None = None, title: str = "") -> dict:
        session = request.state.session
        flash, session.flash = session.flash, []
        store = store_shown(self.options.db, self.options.workspace) if self.options.db else ""
        return {"title": title, "csrf": session.csrf, "flash": flash, "reviewer": session.reviewer or self.default_reviewer,
                "nav": {"names": self.workspace.names(), "current": current}, "store": store,
                "states": STATES, "reviews_on": self.reviews is not None}

    def page(self, request, name: str, context: dict, current=None, status: int = 200) -> Response:
        full = self.base(request, current, context.get("title", ""))
        full.update(context)
        return render(self.options.lang, name, full, status)

    def year_of(self, request: Request):
        name = request.path_params["ruleset"]
        year = self.workspace.year(name)
        if year is None:
            raise HTTPException(404)
        return name, year

    def flash(self, request: Request, text: str, kind: str = "ok") -> None:
        request.state.session.flash.append({"text": text, "kind": kind})

    # ------------------------------------------------------------ pages

    def home(self, request: Request):
        name = self.workspace.default(self.options.ruleset)
        if name is None:
            return self.page(request, "index.html.j2", {"title": self._("没有评分规则")})
        return RedirectResponse(f"/y/{quote(name)}/", 303)

    def static(self, request: Request):
        found = static_files().get(request.path_params["name"])
        if found is None:
            raise HTTPException(404)
        return Response(found[0], media_type=found[1], headers={"cache-control": "max-age=3600"})

    def year_page(self, request: Request):
        name, year = self.year_of(request)
        if year.ruleset is None:
            return self.page(request, "year.html.j2", {"title": name, "name": name, "errors": year.error}, name)
        ruleset = year.ruleset
        filters, notes = yearview.Filters.parse(request.query_params)
        current = self._current_reviews(ruleset.fiscal_year)
        rows = yearview.with_reviews(year.rows(), current)
        grades = [band.grade for band in ruleset.grades]
        chosen = yearview.select(rows, filters, grades)
        shown, pages = yearview.page_of(chosen, filters)
        previous = self._previous(ruleset.fiscal_year - 1)
        return self.page(request, "year.html.j2", {
            "title": f"{ruleset.fiscal_year} " + self._("年度项目支出绩效评价汇总"), "name": name, "errors": [],
            "ruleset": ruleset, "filters": filters, "notes": notes, "rows": shown, "count": len(rows),
            "matched": len(chosen), "pages": pages, "page": min(filters.page, pages),
            "choices": yearview.choices(rows, grades), "grade_chart": yearview.grade_chart(chosen, grades),
            "rate_chart": yearview.rate_chart(chosen), "previous": previous, "reviewed_choices": yearview.REVIEWED,
            "has_advice": any(r.entry.advice for r in rows), "errors_count": sum(r.entry.has_errors for r in rows),
            "open_count": sum(r.open for r in rows), "project_url": lambda e: f"/y/{quote(name)}/p/{e.key}",
            "sort_query": filters.sort_query,
        }, name)

    def summary_export(self, request: Request):
        name, year = self.year_of(request)
        if year.ruleset is None:
            raise HTTPException(404)
        filters, _ = yearview.Filters.parse(request.query_params)
        rows = yearview.with_reviews(year.rows(), self._current_reviews(year.ruleset.fiscal_year))
        chosen = yearview.select(rows, filters, [b.grade for b in year.ruleset.grades])
        history = self.reviews.history(year.ruleset.fiscal_year) if self.reviews else {}
        body = summary_csv(chosen, history, self._previous(year.ruleset.fiscal_year - 1))
        filename = quote(f"{year.ruleset.fiscal_year}年度汇总.csv")
        return Response(body, media_type="text/csv; charset=utf-8",
                        headers={"content-disposition": f"attachment; filename*=UTF-8''{filename}"})

    def project_page(self, request: Request):
        name, year = self.year_of(request)
        scored = year.scored(request.path_params["key"])
        if scored is None:
            raise HTTPException(404)
        entry, outcome = scored
        context = {"title": entry.project, "name": name, "entry": entry, "errors": entry.errors,
                   "base_url": f"/y/{quote(name)}/p/{entry.key}", "year_url": f"/y/{quote(name)}/"}
        if isinstance(outcome, EvalrunError):
            return self.page(request, "project.html.j2", {**context, "project": None, "findings": []}, name)
        try:
            details = project_context(self.options.workspace, outcome)
        except EvalrunError as exc:  # the workspace's 自评表 template has a mistake
            details, context["errors"] = None, _messages(exc)
        history = self.reviews.history(outcome.project.fiscal_year, outcome.project.department,
                                       outcome.project.name) if self.reviews else {}
        return self.page(request, "project.html.j2", {
            **context, "project": details, "result": outcome, "findings": finding_views(entry, outcome, history),
        }, name)

    def project_report(self, request: Request):
        _, year = self.year_of(request)
        scored = year.scored(request.path_params["key"])
        if scored is None or isinstance(scored[1], EvalrunError):
            raise HTTPException(404)
        try:
            body = FORMATS["html"].render(self.options.workspace, scored[1])
        except EvalrunError as exc:
            return self.page(request, "error.html.j2", {"title": self._("报告模板有误"), "status": 200,
                                                        "text": "", "detail": "\n".join(_messages(exc))})
        return Response(body, media_type="text/html; charset=utf-8", headers={"content-security-policy": REPORT_CSP})

    async def review(self, request: Request):
        form = await checked_form(request, self.options.max_upload)
        name, year = await run_in_threadpool(self.year_of, request)
        key = request.path_params["key"]
        back = f"/y/{quote(name)}/p/{key}"
        if self.reviews is None:
            raise HTTPException(400, self._("没有结果数据库（--no-db），审核结论无处保存"))
        ref = year.finding(key, str(form.get("finding", "")))
        if ref is None:
            self.flash(request, self._("这条审核提示已不存在：项目已重新评分，请重新查看。"), "warn")
            return RedirectResponse(back, 303)
        state, reviewer = str(form.get("state", "")), str(form.get("reviewer", ""))
        try:
            saved = await run_in_threadpool(self.reviews.add, ref, state, str(form.get("comment", "")), reviewer)
        except UsageError as exc:
            raise HTTPException(400, str(exc)) from None
        request.state.session.reviewer = saved.reviewer
        self.flash(request, f"{self._('已保存审核结论')}：{self._(saved.state)}（{saved.reviewer}）")
        return RedirectResponse(f"{back}#finding-{saved.finding_key[:12]}", 303)

    def import_form(self, request: Request):
        name, _ = self.year_of(request)
        return self.page(request, "import.html.j2", {"title": self._("导入返回的自评表"), "name": name,
                                                     "preview": None, "upload": None,
                                                     "limit_mb": self.options.max_upload // (1024 * 1024)}, name)

    async def import_preview(self, request: Request):
        form = await checked_form(request, self.options.max_upload)
        name, year = await run_in_threadpool(self.year_of, request)
        upload = form.get("form")
        if upload is None or isinstance(upload, str):
            raise HTTPException(400, self._("没有选择文件"))
        data = await upload.read()
        if not data:
            raise HTTPException(400, self._("上传的文件是空的"))
        accept = form.get("accept_changes") == "on"
        fiscal_year = year.ruleset.fiscal_year if year.ruleset else int(name) if name.isdigit() else 0
        filename = upload_name(upload.filename)
        outcome = await run_in_threadpool(run_import, self.options.workspace, fiscal_year, filename, data, accept,
                                          False)
        upload_id = None
        if outcome.writable:
            pending = Pending(filename, data, accept, name, digest(self.options.workspace, outcome))
            upload_id = request.state.session.keep(pending)
            self.sessions.trim()
        return self.page(request, "import.html.j2", {
            "title": self._("导入预览"), "name": name, "preview": preview_view(self.options.workspace, outcome),
            "upload": upload_id, "accept": accept, "fiscal_year": fiscal_year,
            "limit_mb": self.options.max_upload // (1024 * 1024)}, name)

    async def import_confirm(self, request: Request):
        form = await checked_form(request, self.options.max_upload)
        name, year = await run_in_threadpool(self.year_of, request)
        pending = request.state.session.pending.pop(str(form.get("upload", "")), None)
        if pending is None or pending.ruleset != name:
            self.flash(request, self._("这次上传已过期或已经导入；请重新上传。"), "warn")
            return RedirectResponse(f"/y/{quote(name)}/import", 303)
        fiscal_year = year.ruleset.fiscal_year if year.ruleset else 0
        ws = self.options.workspace
        async with self.writing:  # one import at a time: checked against its preview, then written
            check = await run_in_threadpool(run_import, ws, fiscal_year, pending.name, pending.data,
                                            pending.accept_changes, False)
            if digest(ws, check) == pending.digest and check.writable:
                done = await run_in_threadpool(run_import, ws, fiscal_year, pending.name, pending.data,
                                               pending.accept_changes, True)
            else:
                done = None
        if done is None:
            pending.digest = digest(ws, check)
            upload_id = request.state.session.keep(pending) if check.writable else None
            self.flash(request, self._("项目文件在预览之后有了变化：请看新的预览，再确认。"), "warn")
            return self.page(request, "import.html.j2", {
                "title": self._("导入预览"), "name": name, "preview": preview_view(ws, check), "upload": upload_id,
                "accept": pending.accept_changes, "fiscal_year": fiscal_year,
                "limit_mb": self.options.max_upload // (1024 * 1024)}, name)
        year = await run_in_threadpool(self.workspace.year, name)  # scored again at once
        written = set(done.result.written if done.result else [])
        rescored = [e for e in year.rows() if e.path in written]
        return self.page(request, "import.html.j2", {
            "title": self._("已导入"), "name": name, "preview": preview_view(ws, done), "upload": None,
            "done": True, "rescored": rescored, "accept": pending.accept_changes, "fiscal_year": fiscal_year,
            "limit_mb": self.options.max_upload // (1024 * 1024),
            "project_url": lambda e: f"/y/{quote(name)}/p/{e.key}"}, name)

    def rules_page(self, request: Request):
        name, year = self.year_of(request)
        names = self.workspace.names()
        old, new = default_pair(names, name)
        old = request.query_params.get("old") or old
        new = request.query_params.get("new") or new
        if old not in names or new not in names:
            raise HTTPException(404)
        compared = self.rules.compare(old, new, year.stamp()) if old and old != new else None
        return self.page(request, "rules.html.j2", {"title": self._("规则对比"), "name": name, "names": names,
                                                    "old": old, "new": new, "compared": compared}, name)

    def source_page(self, request: Request):
        name, _ = self.year_of(request)
        wanted = request.query_params.get("file", "")
        path = source_file(self.options.workspace, wanted)
        if path is None:
            raise HTTPException(404)
        try:
            line = int(request.query_params.get("line") or 0)
        except ValueError:
            line = 0
        shown = display(path, self.options.workspace)
        lines, problem = source_lines(path, shown)
        return self.page(request, "source.html.j2", {"title": shown, "name": name, "file": shown, "lines": lines,
                                                     "line": line, "problem": problem}, name)

    # ------------------------------------------------------------ the store

    def _current_reviews(self, fiscal_year: int) -> dict:
        if self.reviews is None:
            return {}
        return {key: reviews[-1] for key, reviews in self.reviews.history(fiscal_year).items()}

    def _previous(self, fiscal_year: int) -> dict:
        """(department, project) -> the stored result of the year before, when the store has one."""
        if not self.options.db:
            return {}
        from engine.store.previous import forget, previous_table

        forget()
        return previous_table(self.options.db, self.options.workspace, fiscal_year)


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name: the reviewer types one
        return ""


def _messages(exc: EvalrunError) -> list[str]:
    return [str(e) for e in (exc.errors if isinstance(exc, EvalrunErrors) else [exc])]


def create_app(options: ServeOptions):
    """The ASGI application of `evalrun serve` (the Guard around Starlette)."""
    site = Site(options)
    lang = options.lang

    async def http_error(request: Request, exc: HTTPException):
        detail = exc.detail if exc.status_code == 400 and exc.detail not in ("form", "host", "size") else ""
        return error_page(lang, exc.status_code, detail, _safe_base(site, request))

    async def server_error(request: Request, exc: Exception):
        log.exception("internal error on %s", request.url.path)
        return error_page(lang, 500)

    routes = [
        Route("/", site.home),
        Route("/static/{name}", site.static),
        Route("/y/{ruleset}/", site.year_page),
        Route("/y/{ruleset}/summary.csv", site.summary_export),
        Route("/y/{ruleset}/p/{key}", site.project_page),
        Route("/y/{ruleset}/p/{key}/report", site.project_report),
        Route("/y/{ruleset}/p/{key}/review", site.review, methods=["POST"]),
        Route("/y/{ruleset}/import", site.import_form, methods=["GET"]),
        Route("/y/{ruleset}/import/preview", site.import_preview, methods=["POST"]),
        Route("/y/{ruleset}/import/confirm", site.import_confirm, methods=["POST"]),
        Route("/y/{ruleset}/rules", site.rules_page),
        Route("/y/{ruleset}/source", site.source_page),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error, Exception: server_error})
    app.state.site = site
    hosts = options.hosts
    if hosts is None and options.host not in WILDCARDS:  # on every address, any name may reach it
        hosts = frozenset(LOOPBACK | {options.host.lower().strip("[]")})

    def refuse(scope, status: int, detail: str):
        return error_page(lang, status)

    guard = Guard(app, hosts=set(hosts) if hosts else None, max_body=options.max_upload + 64 * 1024,
                  sessions=site.sessions, refuse=refuse)
    guard.site = site
    return guard


def _safe_base(site: Site, request: Request) -> dict:
    try:
        return site.base(request)
    except Exception:  # noqa: BLE001 - the error page must show even when the session is missing
        return {}
