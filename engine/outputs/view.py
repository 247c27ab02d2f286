"""Plain views of a result for templates, JSON and spreadsheets.

One place decides what a report shows: the rows grouped as the
self-evaluation table groups them, numbers as Decimal (templates format
them with the ``num`` filter), and the ruleset's provenance.
"""
from __future__ import annotations

from decimal import Decimal

from engine.scoring.advice import advice_for
from engine.outputs.kinds import measures_view
from engine.outputs.review_view import review_view
from engine.outputs.table_view import table_view
from engine.model import ProjectResult, Score
from engine.rules.targets import format_number


def _row(row: Score) -> dict:
    return {
        "level1": row.level1, "level2": row.level2, "name": row.name, "note": row.note,
        "label": row.name or row.note, "weight": row.weight if row.applicable else None,
        "target": row.target, "actual": row.actual, "score": row.score,
        "applicable": row.applicable, "reported_score": row.reported_score,
        "explanation": row.explanation, "method": row.method,
    }


def _sub_row(row: Score, part) -> dict:
    """A 其中 row below an indicator, shown as a row of the table (it is not scored)."""
    return {
        "level1": row.level1, "level2": row.level2, "name": "", "note": "", "label": f"其中：{part.name}",
        "weight": part.weight, "target": part.target, "actual": part.actual.text if part.actual else "",
        "score": None, "applicable": True, "reported_score": None, "explanation": "", "method": None,
        "sub_item": True,
    }


def _rows_with_parts(result: ProjectResult, level1: str) -> list[dict]:
    rows = []
    for row, ind in zip(result.rows, result.project.indicators):  # scored in the project's order
        if row.level1 == level1:
            rows.append(_row(row))
            rows.extend(_sub_row(row, part) for part in ind.parts)
    return rows


def fund_parts(budget) -> dict:
    """The 其中 rows of 年度资金总额 by key, each column None when the table leaves it blank."""
    parts = {key: {"label": label, "initial": None, "full_year": None, "executed": None}
             for key, label in (("current_appropriation", "其中：当年财政拨款"), ("carried_over", "上年结转资金"),
                                ("other", "其他资金"))}
    for part in budget.parts:
        parts[part.key].update(initial=part.initial, full_year=part.full_year, executed=part.executed)
    return parts


def table_groups(result: ProjectResult) -> list[dict]:
    """First-level groups in framework order, each with its rows (and their 其中 rows) and second-level runs."""
    groups = []
    for group in result.groups:
        rows = _rows_with_parts(result, group.name)
        subgroups = []
        for row in rows:
            if subgroups and subgroups[-1]["name"] == row["level2"]:
                subgroups[-1]["rows"].append(row)
            else:
                subgroups.append({"name": row["level2"], "rows": [row]})
        groups.append({
            "name": group.name, "weight": group.weight, "score": group.score,
            "label": f"{group.name}（{format_number(group.weight)}分）",
            "rows": rows, "subgroups": subgroups,
        })
    return groups


def table_rows(groups: list[dict]) -> list[dict]:
    """The indicator rows flat, in table order, each saying which merged cells it starts.

    ``group_span``/``subgroup_span`` are the rows a first-/second-level cell
    spans on the row that starts it, 0 on the rows it covers (HTML rowspan,
    Word vMerge and Excel merges are all drawn from these).
    """
    flat = []
    for group in groups:
        for index, sub in enumerate(group["subgroups"]):
            for position, row in enumerate(sub["rows"]):
                starts_group = index == 0 and position == 0
                flat.append({
                    **row, "group": group["label"], "subgroup": sub["name"],
                    "group_span": len(group["rows"]) if starts_group else 0,
                    "subgroup_span": len(sub["rows"]) if position == 0 else 0,
                })
    return flat


def report_view(result: ProjectResult) -> dict:
    project, ruleset = result.project, result.ruleset
    budget = project.budget
    groups = table_groups(result)
    return {
        "project": {
            "name": project.name, "department": project.department,
            "implementing_unit": project.implementing_unit, "fiscal_year": project.fiscal_year,
            "report": dict(project.report), "narrative": dict(project.narrative),
            "goals": [{"expected": g.expected, "achieved": g.achieved} for g in project.goals],
            "spending": [{"item": s.item, "amount": s.amount} for s in project.spending],
            "file": project.file,
        },
        "budget": {
            "unit": budget.unit, "initial": budget.initial, "full_year": budget.full_year,
            "adjusted": budget.adjusted, "executed": budget.executed,
            "current_appropriation": budget.current_appropriation,
            "carried_over": budget.carried_over, "other": budget.other,
            "parts": fund_parts(budget),
        },
        "execution": {
            "name": result.budget_row.name, "weight": result.budget_row.weight,
            "rate": result.execution_rate, "rate_text": result.budget_row.actual,
            # the rate as published (55.32% -> 0.5532), for spreadsheets
            "rate_shown": ruleset.rounding.apply(result.execution_rate * 100) / 100,
            "score": result.budget_row.score,
        },
        "groups": groups,
        "table_rows": table_rows(groups),
        "total": result.total, "max_total": result.max_total, "grade": result.grade,
        "findings": [
            {"check": f.check, "severity": f.severity, "message": f.message, "where": str(f.source)}
            for f in result.findings
        ],
        "adjustments": [{"rule": a.rule.name, "text": a.text, "note": a.rule.note, "before": a.before,
                         "after": a.after} for a in result.adjustments],  # rules on the total that held
        "table": table_view(result),  # an indicator table's rows with 指标解释, 评分标准 and 评分理由
        "review": review_view(result),  # review rules: 审核意见 通过 / 修改 with each reason (engine.outputs.review_view)
        "kind": ruleset.kind, "measures": measures_view(result),  # dates, variables and levels (engine.outputs.kinds)
        "advice": advice_view(result),  # 评价结果应用, None when the ruleset has none
        "previous": result.previous,  # the previous year's result from the results store, or None
        "ruleset": {
            "id": ruleset.id, "version": ruleset.version, "sha256": ruleset.sha256,
            "title": ruleset.title, "fiscal_year": ruleset.fiscal_year,
            "grades": [{"grade": b.grade, "min": b.minimum} for b in ruleset.grades],
            "rounding": ruleset.rounding.describe(),
        },
    }


def advice_view(result: ProjectResult) -> dict | None:
    """The 评价结果应用 advice for a result, as plain data (engine.scoring.advice)."""
    advice = advice_for(result)
    if advice is None:
        return None
    return {"advice": advice.advice, "basis": advice.basis, "rule": advice.rule, "note": advice.note,
            "budget_change": advice.budget_change, "title": advice.title, "text": advice.text}


def json_number(value):
    """Decimal -> int or float with the same digits (JSON has no decimals)."""
    if value.__class__ is not Decimal:
        return value
    number = _JSON_NUMBERS.get(value)  # equal Decimals (95.53, 95.530) are the same number: remember it
    if number is None:
        # float() of a Decimal is the float nearest its digits, as float() of its text
        number = int(value) if value == value.to_integral_value() else float(value)
        if len(_JSON_NUMBERS) < 4096:  # weights, full marks and common scores recur; amounts rarely do
            _JSON_NUMBERS[value] = number
    return number


_JSON_NUMBERS: dict = {}


def result_json(result: ProjectResult) -> dict:
    data = _result_json(result)
    if result.ruleset.kind == "target-review":  # a target form is reviewed (通过/修改), not scored: no scores
        data["total"] = data["max_total"] = None
        for item in data["indicators"] + data["groups"]:
            item["score"] = None
    return data


def _result_json(result: ProjectResult) -> dict:
    project = result.project
    rows = []
    for row in result.all_rows:
        rows.append({
            "level1": row.level1, "level2": row.level2, "name": row.name or row.note,
            "weight": json_number(row.allotted if row.applicable else row.weight),
            "target": row.target, "actual": row.actual, "score": json_number(row.score),
            "applicable": row.applicable, "method": row.method,
            "reported_score": json_number(project.budget.reported_score if row is result.budget_row
                                          else row.reported_score),
        })
    for row, ind in zip(rows[1:], project.indicators):
        row["parts"] = [{"name": p.name, "target": p.target, "actual": p.actual.text if p.actual else None,
                         "weight": json_number(p.weight)} for p in ind.parts]
    budget, n = project.budget, json_number
    return {
        "department": project.department, "project": project.name, "fiscal_year": project.fiscal_year,
        "file": project.file, "ruleset": result.ruleset.ref,
        "budget": {
            "unit": project.budget.unit, "initial": json_number(project.budget.initial),
            "full_year": json_number(project.budget.full_year), "executed": json_number(project.budget.executed),
            "execution_rate": result.budget_row.actual,
            "parts": [{"name": p.label, "initial": n(p.initial), "full_year": n(p.full_year),
                       "executed": n(p.executed)} for p in budget.parts],
        },
        # every value the table printed, as recorded (null when not given); review compares each
        "reported": {
            "total": n(project.reported_total), "grade": project.reported_grade,
            "execution_rate": None if budget.reported_rate is None else f"{format_number(budget.reported_rate)}%",
            "budget_score": n(budget.reported_score),
            "subtotals": {k: n(v) for k, v in project.reported_subtotals.items()},
            "stated_weights": {k: n(v) for k, v in project.stated_weights.items()},
            "stated_total": n(project.stated_total),
        },
        "total": json_number(result.total), "max_total": json_number(result.max_total), "grade": result.grade,
        "groups": [{"name": g.name, "weight": json_number(g.weight), "score": json_number(g.score),
                    "stated_weight": n(project.stated_weights.get(g.name)),
                    "reported_score": n(project.reported_subtotals.get(g.name))} for g in result.groups],
        "indicators": rows,
        "findings": [
            {"check": f.check, "severity": f.severity, "message": f.message, "file": f.source.file, "line": f.source.line}
            for f in result.findings
        ],
        "advice": _advice_json(advice_view(result)),
        "measures": _plain(measures_view(result)),
        "review": review_view(result),
        "table": table_view(result),
        "adjustments": [{"rule": a.rule.name, "before": json_number(a.before), "after": json_number(a.after),
                         "text": a.text} for a in result.adjustments],
    }


def _advice_json(advice: dict | None) -> dict | None:
    if advice is None:
        return None
    return {"advice": advice["advice"], "basis": advice["basis"], "rule": advice["rule"], "note": advice["note"],
            "budget_change": json_number(advice["budget_change"])}


def _plain(value):
    """Decimals as JSON numbers, all the way down."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return json_number(value)
