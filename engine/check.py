"""check: consistency rules on a project and its scores -> findings, never crashes.

Each check has a name; the ruleset's ``checks`` say whether its findings are
warnings, errors (exit code 1) or off.
"""
from __future__ import annotations

from decimal import Decimal

from .model import Finding, Project, Ruleset, Score
from .targets import format_number as fmt

ZERO = Decimal(0)


def check_project(ruleset: Ruleset, project: Project, rows, budget_row: Score, total: Decimal) -> tuple:
    findings: list[Finding] = []

    def add(check: str, message: str, source) -> None:
        severity = ruleset.checks.get(check, "warning")
        if severity != "off":
            findings.append(Finding(check, severity, message, source))

    budget = project.budget
    unit = budget.unit
    if project.spending:
        spent = sum((line.amount for line in project.spending), ZERO)
        if spent != budget.executed:
            add("spending_total",
                f"the {len(project.spending)} spending lines add up to {fmt(spent)} {unit}, but 全年执行数 is "
                f"{fmt(budget.executed)} {unit} (difference {fmt(spent - budget.executed)} {unit})",
                budget.sources.get("executed", budget.source))
    if budget.executed > budget.full_year:
        add("execution_over_budget",
            f"全年执行数 {fmt(budget.executed)} {unit} is more than 全年预算数 {fmt(budget.full_year)} {unit}",
            budget.sources.get("executed", budget.source))

    framework_total = ruleset.budget.weight + sum((g.weight for g in ruleset.groups), ZERO)
    if framework_total != 100:
        add("total_weight",
            f"the ruleset's weights ({ruleset.budget.name} {fmt(ruleset.budget.weight)} + "
            + " + ".join(f"{g.name} {fmt(g.weight)}" for g in ruleset.groups)
            + f") add up to {fmt(framework_total)}, not 100",
            ruleset.groups[0].source if ruleset.groups else ruleset.source)
    for group in ruleset.groups:
        members = [i for i in project.indicators if i.level1 == group.name]
        if not members:
            continue
        given = sum((i.weight for i in members), ZERO)
        if given != group.weight:
            add("group_weights",
                f"the weights of the {group.name} rows add up to {fmt(given)}, but the ruleset gives "
                f"{group.name} {fmt(group.weight)} points",
                members[0].source)

    for row in rows:
        if row.applicable and row.reported_score is not None and row.reported_score != row.score:
            add("reported_score",
                f"`{row.name}`: the reported score {fmt(row.reported_score)} differs from the rule score "
                f"{fmt(row.score)} ({row.trace.method})",
                row.source)
    if project.reported_total is not None and project.reported_total != total:
        add("reported_total",
            f"the reported total {fmt(project.reported_total)} differs from the computed total {fmt(total)}",
            project.source)
    return tuple(findings)
