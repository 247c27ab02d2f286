"""Last year's actual values of a project's rows, for review rules that compare a target with them.

A continuing project's target (延续项目) should not fall below what it
achieved last year. The values come from the results store when it holds
the project's result of the year before (its latest run), else from last
year's project file (``projects/<year-1>/<department>/``, the file of the
same name, or the one whose ``project`` is the same). Either way the
source is said: ``结果库 2024 年度（运行 #3）`` or the file.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from engine.errors import EvalrunError
from engine.i18n import tr_in
from engine.model import Project, Ruleset


def needs_previous_rows(project: Project, ruleset: Ruleset) -> bool:
    """Whether the project's results depend on last year's (the store's or last year's file), not only on its file."""
    rules = ruleset.review_rules
    return rules is not None and rules.needs_previous and bool((project.stage or {}).get("continuing"))


def attach_previous_rows(project: Project, ruleset: Ruleset, workspace: Path) -> Project:
    """The project with ``stage["previous"]`` when the ruleset's review rules compare with last year."""
    if not needs_previous_rows(project, ruleset):
        return project
    stage = project.stage or {}
    previous = _from_store(workspace, project) or _from_file(workspace, project)
    return replace(project, stage={**stage, "previous": previous or {}})


def _from_store(workspace: Path, project: Project) -> dict | None:
    try:
        from engine.store.settings import sqlite_path, store_url

        url = store_url(workspace)
        if url is None:
            return None
        path = sqlite_path(url)
        if path is not None and not path.exists():
            return None
        return _read(url, project)
    except Exception:  # noqa: BLE001 - a store that cannot be read here: last year's file is the fallback
        return None


def _read(url: str, project: Project) -> dict | None:
    from sqlalchemy import select

    from engine.store import schema
    from engine.store.database import _engine

    r, rr, ind = schema.result, schema.run_result, schema.indicator
    engine = _engine(url, None)
    try:
        with engine.connect() as connection:
            latest = connection.execute(
                select(r.c.id, rr.c.run_id).join(rr, rr.c.result_id == r.c.id)
                .where(r.c.fiscal_year == project.fiscal_year - 1, r.c.department == project.department,
                       r.c.project == project.name)
                .order_by(rr.c.run_id.desc(), r.c.id).limit(1)).first()
            if latest is None:
                return None
            rows = connection.execute(select(ind.c.name, ind.c.actual).where(ind.c.result_id == latest[0])
                                      .order_by(ind.c.position)).all()
    finally:
        engine.dispose()
    actuals = {name: actual for name, actual in rows if name and actual}
    year, run = project.fiscal_year - 1, latest[1]
    # `from` is said in the findings, which stay Chinese; `year` and `run` let explain say it in its language
    return {"from": tr_in("zh_CN", "explain.declared.from_store", year=year, run=run), "year": year, "run": run,
            "actuals": actuals}


def _from_file(workspace: Path, project: Project) -> dict | None:
    from engine.files.load import load_file

    folder = workspace / "projects" / str(project.fiscal_year - 1) / project.department
    if not folder.is_dir():
        return None
    own = folder / Path(project.file).name if project.file else None
    candidates = ([own] if own is not None and own.is_file() else []) + sorted(folder.glob("*.yaml"))
    for path in candidates:
        try:
            data = load_file(path, str(path.relative_to(workspace)))
        except EvalrunError:
            continue
        if not isinstance(data, dict) or data.get("project") != project.name:
            continue
        actuals = {row.get("name"): str(row["actual"]) for row in data.get("indicators") or []
                   if isinstance(row, dict) and row.get("name") and "actual" in row}
        return {"from": str(path.relative_to(workspace)), "actuals": actuals}
    return None
