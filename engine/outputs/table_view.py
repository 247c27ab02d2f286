"""A ruleset's indicator table (engine.rules.table) as plain data for the reports and the 汇总.

``table_view(result)`` is None for a ruleset without an indicator table;
else each scored row with its 指标解释, 评分标准, score and 评分理由 (a row
marked 不适用 with its note), each first-level group with its weight and
score, and the stage's 评价组, date and 结论 (engine.files.stages).
"""
from __future__ import annotations

from engine.rules.targets import format_number


def table_view(result) -> dict | None:
    table = result.ruleset.indicator_table
    if not table:
        return None
    texts = {row.name: row for row in table}
    reasons = {ind.name: ind.reason for ind in result.project.indicators}
    rows = []
    for row in result.rows:
        own = texts.get(row.name)
        rows.append({
            "level1": row.level1, "level2": row.level2, "name": row.name,
            "weight": format_number(row.weight) if row.weight is not None else "",
            "score": format_number(row.score) if row.applicable and row.score is not None else "—",
            "applicable": row.applicable, "note": row.note,
            "explanation": own.explanation if own else "", "standard": own.standard if own else "",
            "reason": reasons.get(row.name, "") if row.applicable else row.note,
        })
    stage = result.project.stage or {}
    budget = result.ruleset.budget
    return {
        "rows": rows,
        "groups": [{"name": g.name, "weight": format_number(g.weight), "score": format_number(g.score)}
                   for g in result.groups],
        "total": format_number(result.total), "grade": result.grade,
        "evaluators": "、".join(stage.get("evaluators") or []), "date": str(stage.get("date", "")),
        "conclusion": stage.get("conclusion", ""),
        "rate_shown": not budget.counted, "rate_name": budget.name, "rate_text": result.budget_row.actual,
    }
