"""The review rules' outcome (engine.scoring.review_rules) as plain data for the reports and the 汇总.

``review_view(result)`` is None for a ruleset without review rules; else
the verdict (通过 / 修改), each reason with its rule and file:line, and the
rows reviewed (a ``declaration:`` section's: the 绩效目标申报表) with the
reasons that name each row, the goals, 新增/延续, the budget declared and
where last year's actual values came from.
"""
from __future__ import annotations

from decimal import Decimal

from engine.rules.targets import format_number


def review_view(result) -> dict | None:
    rules = result.ruleset.review_rules
    if rules is None:
        return None
    names = {rule.name for rule in rules.rules}
    reasons = [{"rule": f.check, "message": f.message, "where": str(f.source), "severity": f.severity}
               for f in result.findings if f.check in names]
    stage = result.project.stage or {}
    rows = []
    for row in stage.get("rows") or []:
        places = {str(row["source"]), str(row.get("target_source", ""))}
        weight = row.get("weight")
        rows.append({
            "level1": row["level1"], "level2": row["level2"], "name": row["name"],
            "target": "" if row.get("target") is None else str(row["target"]),
            "weight": "" if weight is None else format_number(Decimal(str(weight))),
            "basis": row.get("basis", ""), "where": str(row["source"]),
            "reasons": [r["message"] for r in reasons if r["where"] in places],
        })
    goals = stage.get("goals") or {}
    budget = stage.get("budget") or {}
    previous = stage.get("previous") or {}
    amount = budget.get("amount")
    return {
        "verdict": result.verdict or "", "passed": not reasons,
        "reasons": reasons, "rows": rows, "rules": [rule.describe() for rule in rules.rules],
        "continuing": bool(stage.get("continuing")),
        "continuing_text": "延续项目" if stage.get("continuing") else "新增项目",
        "long_term": list(goals.get("long_term") or []), "annual": list(goals.get("annual") or []),
        "amount": "" if amount is None else format_number(Decimal(str(amount))),
        "unit": budget.get("unit", result.project.budget.unit),
        "previous_from": previous.get("from", ""),
    }
