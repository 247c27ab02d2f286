"""summary: the year's 汇总 — every department and project of a run, with score, grade and findings.

``YearSummary`` collects each project as ``run`` evaluates it (a plain view,
not the whole result) and turns into one context for the summary templates
and the year workbook: rows sorted by department, then best score first,
projects not graded (未定级: a finding the ruleset marks as an error) after the
graded ones and projects that failed to evaluate last in their department,
a subtotal per department (and a 合计 when there are several), and the grade
distribution in the ruleset's order, then 未定级 and 未能评价.

Each row shows the budget its 执行率 is computed on: the amount the
ruleset's rate formula divides 全年执行数 by (``executed / full_year`` ->
全年预算数), so the printed rate checks against the printed amounts. Amounts
are shown in one unit (the projects' own when they agree, else 万元).
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from engine.scoring.check import UNGRADED
from engine.errors import EvalrunError, EvalrunErrors, Source
from engine.scoring.evaluate import percentage
from engine.rules.formulas import compile_formula
from engine.scoring.evaluate import formula_value as evaluate
from engine.model import BudgetRule, Formula, ProjectResult, Ruleset
from engine.rules.targets import UNIT_FACTORS, format_number
from engine.outputs.view import report_view

NAME = "汇总"  # the files are 汇总.md, 汇总.html, 汇总.xlsx in the year's folder
FAILED = "未能评价"
# The names a budget rate formula may use, as the 自评表 labels them.
BUDGET_LABELS = {"initial": "年初预算数", "full_year": "全年预算数", "adjusted": "调整后预算数", "executed": "全年执行数"}
DEFAULT_UNIT = "万元"


@dataclass
class YearSummary:
    ruleset: Ruleset
    keep_views: bool = True  # the year workbook's project sheets need them; without it memory stays flat
    views: list = field(default_factory=list)     # report_view of each evaluated project
    rows: list = field(default_factory=list)  # the whole-list way; a run keeps them on disk instead
    # (engine.outputs.summarystream.StoredSummary), so that its memory does not grow with its projects

    def add(self, path: Path, outcome, report: Path | None = None, workbook: bytes | None = None) -> None:
        """One project: its result (or the error that stopped it), its report's path without extension and
        its own workbook when evalrun's layout wrote one (the year workbook's sheet is taken from it)."""
        link = report.as_posix() if report else None
        if isinstance(outcome, EvalrunError):
            errors = outcome.errors if isinstance(outcome, EvalrunErrors) else [outcome]
            self._keep({
                "department": path.parent.name, "project": path.stem, "file": path.name, "link": None,
                "initial": None, "executed": None, "rate": None, "rate_text": "", "total": None, "grade": FAILED,
                "findings": [str(e) for e in errors], "failed": True,
                "budget": None, "budget_basis": "", "amounts": None, "rate_formula": None, "measures": None, "review": None, "table": None,
                **_store_columns(None),
            })
            return
        view = report_view(outcome)
        if self.keep_views:
            self.views.append(view) if workbook is None else self.views.append(view, workbook)
        self._keep(_row(outcome, view, link))

    def _keep(self, row: dict) -> None:
        self.rows.append(row)

    def context(self) -> dict:
        """What the summary templates and the year workbook get: the rows in order, the sections, the counts."""
        ruleset = self.ruleset
        rows = sorted(self.rows, key=sort_key)
        for index, row in enumerate(rows, 1):
            row["index"] = index
        evaluated = [r for r in rows if not r["failed"]]
        distribution = [{"grade": band.grade, "min": format_number(band.minimum),
                         "count": sum(1 for r in evaluated if r["grade"] == band.grade)} for band in ruleset.grades]
        ungraded = sum(1 for r in evaluated if r["grade"] == UNGRADED)
        if ungraded:  # scored, but with an error finding: counted apart from every grade, never as 优
            distribution.append({"grade": UNGRADED, "min": "", "count": ungraded})
        failed = len(rows) - len(evaluated)
        if failed:
            distribution.append({"grade": FAILED, "min": "", "count": failed})
        for band in distribution:
            band["fraction"] = Decimal(band["count"]) / len(rows) if rows else None
            band["share"] = _percent(band["count"], len(rows))
        unit = _common_unit(evaluated)
        for row in rows:
            _amounts_in(row, unit)
        bases = list(dict.fromkeys(r["budget_basis"] for r in evaluated))  # "": a rate formula without executed / …
        sections = []
        for department in dict.fromkeys(r["department"] for r in rows):
            members = [r for r in rows if r["department"] == department]
            sections.append({"department": department, "rows": members,
                             "subtotal": _subtotal(f"{department} 小计", members, ruleset)})
        return {
            "fiscal_year": ruleset.fiscal_year, "kind": ruleset.kind,
            "title": f"{ruleset.fiscal_year} 年度项目支出绩效评价汇总",
            "ruleset": {"id": ruleset.id, "version": ruleset.version, "sha256": ruleset.sha256, "title": ruleset.title},
            "ruleset_line": f"评分规则：{ruleset.title}（{ruleset.id} {ruleset.version}，sha256 {ruleset.sha256[:12]}）",
            "rows": rows, "count": len(rows), "evaluated": len(evaluated), "failed": failed, "ungraded": ungraded,
            "departments": len({r["department"] for r in rows}),
            "distribution": distribution,
            # the budget each 执行率 is computed on, as the ruleset's rate formula says
            "unit": unit,
            "budget_basis": bases[0] if len(bases) == 1 and bases[0] else "预算数",
            "rate_note": _rate_note(bases, evaluated),
            "sections": sections,
            "grand_total": _subtotal("合计", rows, ruleset) if len(sections) > 1 else None,
            "has_previous": any(r["previous_total"] is not None for r in rows),
            "previous_year": ruleset.fiscal_year - 1,
            "has_advice": any(r["advice"] for r in rows),
            "advice_title": next((r["advice_title"] for r in rows if r["advice_title"]), "评价结果应用"),
            "advice_counts": [{"advice": a, "count": sum(1 for r in evaluated if r["advice"] == a)}
                              for a in dict.fromkeys(r["advice"] for r in evaluated if r["advice"])],
        }


def sort_key(row: dict) -> tuple:
    """By department; in each, graded projects best score first, then 未定级, then those that failed."""
    return row["department"], row["failed"], row["grade"] == UNGRADED, -(row["total"] or 0), row["project"]


def _row(result: ProjectResult, view: dict, link: str | None) -> dict:
    ordered = sorted(view["findings"], key=lambda f: f["severity"] != "error")  # the reason for 未定级 first
    findings = [f"{'错误' if f['severity'] == 'error' else '提示'}：{f['message']}" for f in ordered]
    budget = result.project.budget
    amounts = {"unit": budget.unit, "initial": budget.initial, "full_year": budget.full_year,
               "adjusted": budget.adjusted if budget.adjusted is not None else budget.full_year,
               "executed": budget.executed}
    basis = rate_basis(result.ruleset.budget)
    return {
        "department": result.project.department, "project": result.project.name, "file": result.project.file,
        "link": link, "initial": view["budget"]["initial"], "executed": view["budget"]["executed"],
        "rate": view["execution"]["rate_shown"], "rate_text": view["execution"]["rate_text"],
        "total": result.total, "grade": result.grade, "findings": findings, "failed": False,
        "budget": basis.amount(amounts) if basis else None, "budget_basis": basis.label if basis else "",
        "amounts": amounts, "rate_formula": result.ruleset.budget.rate, "measures": view["measures"], "review": view["review"], "table": view["table"],
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


# ---------------------------------------------------------------- the budget a rate is computed on


@dataclass(frozen=True)
class Basis:
    """The denominator of a rate formula ``executed / <basis>``: a budget name or an expression of them."""

    label: str            # 全年预算数, or the expression in the table's words
    formula: Formula      # the denominator alone, over the budget names

    def amount(self, amounts: dict) -> Decimal | None:
        try:
            return evaluate(self.formula, amounts)
        except (ArithmeticError, TypeError):
            return None


def rate_basis(rule: BudgetRule) -> Basis | None:
    """What the ruleset's 执行率 divides 全年执行数 by (None when its formula has no ``executed / …``)."""
    return _basis(rule.rate.text)


@lru_cache(maxsize=32)
def _basis(text: str) -> Basis | None:
    for node in ast.walk(ast.parse(text, mode="eval")):
        if (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and isinstance(node.left, ast.Name)
                and node.left.id == "executed"):
            denominator = ast.unparse(node.right)
            if isinstance(node.right, ast.Name):
                label = BUDGET_LABELS.get(node.right.id, denominator)
            else:
                label = _in_words(node.right)
            return Basis(label, compile_formula(denominator, Source(), BUDGET_LABELS))
    return None


def _in_words(node: ast.AST) -> str:
    """`max(full_year, adjusted)` -> `max(全年预算数, 调整后预算数)`."""
    class Words(ast.NodeTransformer):
        def visit_Name(self, name: ast.Name) -> ast.Name:
            return ast.Name(BUDGET_LABELS.get(name.id, name.id), name.ctx)

    return ast.unparse(Words().visit(ast.parse(ast.unparse(node), mode="eval")))


def _rate_note(bases: list, rows: list) -> str:
    if not bases or bases == [""]:
        return ""
    if len(bases) == 1:
        return f"执行率 = 全年执行数 / {bases[0]}（按评分规则的执行率公式）"
    return "执行率 = 全年执行数 / 预算数，预算数按各部门评分规则取：" + "、".join(
        f"{department} {basis or '（规则未按预算数计算执行率）'}" for department, basis in dict.fromkeys(
            (r["department"], r["budget_basis"]) for r in rows))


def _common_unit(rows: list) -> str:
    units = {r["amounts"]["unit"] for r in rows}
    return units.pop() if len(units) == 1 else DEFAULT_UNIT


def _amounts_in(row: dict, unit: str) -> None:
    """The row's amounts in the summary's unit: exact, since the factors are powers of ten."""
    if row["failed"] or row["amounts"]["unit"] == unit:
        return
    factor = UNIT_FACTORS[row["amounts"]["unit"]][1] / UNIT_FACTORS[unit][1]
    row["amounts"] = {**{k: v * factor for k, v in row["amounts"].items() if k != "unit"}, "unit": unit}
    row["executed"], row["initial"] = row["amounts"]["executed"], row["amounts"]["initial"]
    if row["budget"] is not None:
        row["budget"] *= factor


def _subtotal(label: str, rows: list, ruleset: Ruleset) -> dict:
    """Sums of the evaluated rows' amounts, their 执行率 and mean score; failed projects are counted, not summed."""
    evaluated = [r for r in rows if not r["failed"]]
    counts = {}
    for r in rows:
        counts[r["grade"]] = counts.get(r["grade"], 0) + 1
    total = {"label": label, "count": len(rows), "evaluated": len(evaluated), "failed": len(rows) - len(evaluated),
             "budget": None, "executed": None, "rate": None, "rate_text": "", "average": None,
             "grades": "、".join(f"{grade} {n}" for grade, n in counts.items())}
    if not evaluated:
        return total
    executed = sum(r["executed"] for r in evaluated)
    budgets = [r["budget"] for r in evaluated]
    total["executed"] = executed
    total["budget"] = sum(budgets) if None not in budgets else None
    rules = {r["rate_formula"].text for r in evaluated}
    rate = None
    try:
        if len(rules) == 1:  # one rule: its formula on the summed amounts
            names = {k: sum(r["amounts"][k] for r in evaluated) for k in BUDGET_LABELS  # a blank 年初预算数: not summed
                     if all(r["amounts"][k] is not None for r in evaluated)}
            rate = evaluate(evaluated[0]["rate_formula"], names)
        elif total["budget"]:
            rate = executed / total["budget"]
    except (ArithmeticError, TypeError):
        rate = None
    if rate is not None:
        total["rate_text"] = percentage(ruleset, rate)
        total["rate"] = ruleset.rounding.apply(rate * 100) / 100
    total["average"] = ruleset.rounding.apply(sum(r["total"] for r in evaluated) / len(evaluated))
    return total


def _percent(count: int, whole: int) -> str:
    if not whole:
        return ""
    return f"{format_number((Decimal(count) * 100 / whole).quantize(Decimal('0.1')))}%"
