"""summary: the year's 汇总 — every department and project of a run, with score, grade and findings.

``YearSummary`` collects each project as ``run`` evaluates it (a plain view,
not the whole result) and turns into one context for the summary templates
and the year workbook: rows sorted by department, then best score first,
projects that failed to evaluate last in their department, and the grade
distribution in the ruleset's order.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from .errors import EvalrunError, EvalrunErrors
from .model import ProjectResult, Ruleset
from .targets import format_number
from .view import report_view

NAME = "汇总"  # the files are 汇总.md, 汇总.html, 汇总.xlsx in the year's folder
FAILED = "未能评价"


@dataclass
class YearSummary:
    ruleset: Ruleset
    keep_views: bool = True  # the year workbook's project sheets need them; without it memory stays flat
    views: list = field(default_factory=list)     # report_view of each evaluated project
    rows: list = field(default_factory=list)

    def add(self, path: Path, outcome, report: Path | None = None) -> None:
        """One project: its result (or the error that stopped it) and its report's path without extension."""
        link = report.as_posix() if report else None
        if isinstance(outcome, EvalrunError):
            errors = outcome.errors if isinstance(outcome, EvalrunErrors) else [outcome]
            self.rows.append({
                "department": path.parent.name, "project": path.stem, "file": path.name, "link": None,
                "initial": None, "executed": None, "rate": None, "rate_text": "", "total": None, "grade": FAILED,
                "findings": [str(e) for e in errors], "failed": True, **_store_columns(None),
            })
            return
        view = report_view(outcome)
        if self.keep_views:
            self.views.append(view)
        self.rows.append(_row(outcome, view, link))

    def context(self) -> dict:
        ruleset = self.ruleset
        rows = sorted(self.rows, key=lambda r: (r["department"], r["failed"], -(r["total"] or 0), r["project"]))
        for index, row in enumerate(rows, 1):
            row["index"] = index
        evaluated = [r for r in rows if not r["failed"]]
        distribution = [{"grade": band.grade, "min": format_number(band.minimum),
                         "count": sum(1 for r in evaluated if r["grade"] == band.grade)} for band in ruleset.grades]
        failed = len(rows) - len(evaluated)
        if failed:
            distribution.append({"grade": FAILED, "min": "", "count": failed})
        for band in distribution:
            band["fraction"] = Decimal(band["count"]) / len(rows) if rows else None
            band["share"] = _percent(band["count"], len(rows))
        return {
            "fiscal_year": ruleset.fiscal_year,
            "title": f"{ruleset.fiscal_year} 年度项目支出绩效评价汇总",
            "ruleset": {"id": ruleset.id, "version": ruleset.version, "sha256": ruleset.sha256, "title": ruleset.title},
            "ruleset_line": f"评分规则：{ruleset.title}（{ruleset.id} {ruleset.version}，sha256 {ruleset.sha256[:12]}）",
            "rows": rows, "count": len(rows), "evaluated": len(evaluated), "failed": failed,
            "departments": len({r["department"] for r in rows}),
            "distribution": distribution,
            "has_previous": any(r["previous_total"] is not None for r in rows),
            "previous_year": ruleset.fiscal_year - 1,
            "has_advice": any(r["advice"] for r in rows),
            "advice_title": next((r["advice_title"] for r in rows if r["advice_title"]), "评价结果应用"),
            "advice_counts": [{"advice": a, "count": sum(1 for r in evaluated if r["advice"] == a)}
                              for a in dict.fromkeys(r["advice"] for r in evaluated if r["advice"])],
        }


def _row(result: ProjectResult, view: dict, link: str | None) -> dict:
    findings = [f"{'错误' if f['severity'] == 'error' else '提示'}：{f['message']}" for f in view["findings"]]
    return {
        "department": result.project.department, "project": result.project.name, "file": result.project.file,
        "link": link, "initial": view["budget"]["initial"], "executed": view["budget"]["executed"],
        "rate": view["execution"]["rate_shown"], "rate_text": view["execution"]["rate_text"],
        "total": result.total, "grade": result.grade, "findings": findings, "failed": False,
        **_store_columns(view),
    }


def _store_columns(view: dict | None) -> dict:
    """上年得分/变化 (from the results store) and 评价结果应用 (from the ruleset); empty when there are none."""
    previous = view.get("previous") if view else None
    advice = view.get("advice") if view else None
    return {
        "previous_total": previous["total"] if previous else None,
        "previous_grade": previous["grade"] if previous else "",
        "change": previous["change"] if previous else None,
        "change_text": previous["change_short"] if previous else "",
        "advice": advice["advice"] if advice else "", "advice_text": advice["text"] if advice else "",
        "advice_title": advice["title"] if advice else "",
    }


def _percent(count: int, whole: int) -> str:
    if not whole:
        return ""
    return f"{format_number((Decimal(count) * 100 / whole).quantize(Decimal('0.1')))}%"
