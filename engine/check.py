"""check: consistency and review rules on a project and its scores -> findings.

Each check has a name; the ruleset's ``checks`` say whether its findings are
warnings, errors (exit code 1) or off. The review checks compare what a
department reported with what the rules give, and report each disagreement
once, at its root: a row scored off its rule, a printed total that is not
the sum of its printed rows, a qualitative score outside its level's band.
"""
from __future__ import annotations

from decimal import Decimal

from .model import Finding, Project, Ruleset, Score
from .targets import format_number as fmt

ZERO = Decimal(0)


class _Findings:
    def __init__(self, ruleset: Ruleset):
        self.ruleset, self.items = ruleset, []

    def add(self, check: str, message: str, source) -> None:
        severity = self.ruleset.checks.get(check, "warning")
        if severity != "off":
            self.items.append(Finding(check, severity, message, source))


def check_project(ruleset: Ruleset, project: Project, rows, budget_row: Score, total: Decimal) -> tuple:
    found = _Findings(ruleset)
    _budget(found, project)
    _weights(found, ruleset, project, budget_row)
    _reported(found, project, rows, budget_row, total)
    _explanations(found, ruleset, project, rows, budget_row)
    return tuple(found.items)


def _budget(found: _Findings, project: Project) -> None:
    budget, unit = project.budget, project.budget.unit
    if project.spending:
        spent = sum((line.amount for line in project.spending), ZERO)
        if spent != budget.executed:
            found.add("spending_total",
                      f"the {len(project.spending)} spending lines add up to {fmt(spent)} {unit}, but 全年执行数 is "
                      f"{fmt(budget.executed)} {unit} (difference {fmt(spent - budget.executed)} {unit})",
                      budget.sources.get("executed", budget.source))
    if budget.executed > budget.full_year:
        found.add("execution_over_budget",
                  f"全年执行数 {fmt(budget.executed)} {unit} is more than 全年预算数 {fmt(budget.full_year)} {unit}",
                  budget.sources.get("executed", budget.source))


def _weights(found: _Findings, ruleset: Ruleset, project: Project, budget_row: Score) -> None:
    given = {g.name: sum((i.weight for i in project.indicators if i.level1 == g.name), ZERO) for g in ruleset.groups}
    first_row = {g.name: next((i.source for i in project.indicators if i.level1 == g.name), project.source)
                 for g in ruleset.groups}
    weights = {}
    for group in ruleset.groups:
        has_rows = any(i.level1 == group.name for i in project.indicators)
        if group.weight is not None:
            weights[group.name] = group.weight
            if has_rows and given[group.name] != group.weight:
                found.add("group_weights",
                          f"the weights of the {group.name} rows add up to {fmt(given[group.name])}, but the ruleset "
                          f"gives {group.name} {fmt(group.weight)} points", first_row[group.name])
        else:
            low, high = group.weight_range
            weights[group.name] = given[group.name]
            if not low <= given[group.name] <= high:
                found.add("group_weights",
                          f"the weights of the {group.name} rows add up to {fmt(given[group.name])}, outside the "
                          f"range {fmt(low)}–{fmt(high)} the ruleset allows", first_row[group.name])
    for block in ruleset.blocks:
        together = sum((weights.get(name, ZERO) for name in block.groups), ZERO)
        if together != block.weight:
            found.add("group_weights",
                      f"{' + '.join(block.groups)} add up to {fmt(together)} points, but the ruleset gives them "
                      f"{fmt(block.weight)} together", first_row.get(block.groups[0], project.source))
    total_weight = budget_row.weight + sum(weights.values(), ZERO)
    if total_weight != 100:
        found.add("total_weight",
                  f"the weights ({budget_row.name} {fmt(budget_row.weight)} + "
                  + " + ".join(f"{name} {fmt(w)}" for name, w in weights.items())
                  + f") add up to {fmt(total_weight)}, not 100",
                  ruleset.groups[0].source if ruleset.groups else ruleset.source)
    for name, stated in project.stated_weights.items():
        where = project.stated_sources.get(name, project.source)
        if name not in weights:
            found.add("stated_weights", f"the form states a weight for `{name}`, which is not a first-level group "
                      f"of the ruleset (groups: {', '.join(weights)})", where)
        elif given[name] != stated:
            found.add("stated_weights", f"the rows of {name} add up to {fmt(given[name])} under its stated "
                      f"{fmt(stated)} points", where)
        elif ruleset.group(name).weight is not None and stated != ruleset.group(name).weight:
            found.add("stated_weights", f"the form states {name} as {fmt(stated)} points, the ruleset gives "
                      f"{fmt(ruleset.group(name).weight)}", where)


def _reported(found: _Findings, project: Project, rows, budget_row: Score, total: Decimal) -> None:
    reported_rows = [r for r in rows if r.applicable and r.reported_score is not None]
    for row in reported_rows:
        band = row.trace.band if row.trace is not None else None
        if band is not None and not band[0] * row.allotted <= row.reported_score <= band[1] * row.allotted:
            found.add("qualitative_band",
                      f"`{row.name}`: the reported score {fmt(row.reported_score)} is outside the level "
                      f"“{band[2]}”, which allows {fmt(band[0] * row.allotted)}–{fmt(band[1] * row.allotted)} "
                      f"of {fmt(row.allotted)}", row.source)
        elif row.reported_score != row.score:
            side = "above" if row.reported_score > row.score else "below"
            met = " although its target was met" if row.trace.met and side == "below" else ""
            found.add("reported_score",
                      f"`{row.name}`: reported {fmt(row.reported_score)}, {side} its rule score {fmt(row.score)}"
                      f"{met} ({row.trace.method})", row.source)
    budget = project.budget
    if budget.reported_score is not None and budget.reported_score != budget_row.score:
        side = "above" if budget.reported_score > budget_row.score else "below"
        found.add("reported_score",
                  f"`{budget_row.name}`: reported {fmt(budget.reported_score)}, {side} its rule score "
                  f"{fmt(budget_row.score)}", budget.sources.get("reported_score", budget.source))
    if project.reported_total is None:
        return
    applicable = [r for r in rows if r.applicable]
    every_row_reported = len(reported_rows) == len(applicable) and budget.reported_score is not None
    if every_row_reported:
        printed = budget.reported_score + sum((r.reported_score for r in reported_rows), ZERO)
        if printed != project.reported_total:
            found.add("reported_rows_sum",
                      f"the reported rows add up to {fmt(printed)} under a printed total of "
                      f"{fmt(project.reported_total)}", project.source)
    elif project.reported_total != total:
        # Without every row's reported score the difference cannot be traced to rows.
        found.add("reported_total",
                  f"the reported total {fmt(project.reported_total)} differs from the computed total {fmt(total)}",
                  project.source)


def _explanations(found: _Findings, ruleset: Ruleset, project: Project, rows, budget_row: Score) -> None:
    review = ruleset.review
    for row in rows:
        if not row.applicable or row.explanation.strip():
            continue
        if review.explain_missed_target and row.trace.met is False:
            found.add("explanation_required",
                      f"`{row.name}`: the target `{row.target}` was missed (actual `{row.actual}`) and no "
                      "explanation (偏差原因分析及改进措施) is given", row.source)
        elif review.explain_over_target is not None and row.trace.met:
            target = next((i.value for i in row.trace.inputs if i.name == "target"), None)
            actual = next((i.value for i in row.trace.inputs if i.name == "actual"), None)
            if target and actual is not None and target > 0 and actual > target * review.explain_over_target:
                found.add("explanation_required",
                          f"`{row.name}`: the actual `{row.actual}` is {fmt((actual / target * 100).quantize(Decimal(1)))}% "
                          f"of the target `{row.target}`, above {fmt(review.explain_over_target * 100)}%; explain it "
                          "(was the target set too low?)", row.source)
    threshold = review.explain_execution_below
    budget = project.budget
    if threshold is not None and budget_row.trace.inputs and not budget.explanation.strip():
        rate = next(i.value for i in budget_row.trace.inputs if i.name == "rate")
        if rate < threshold:
            found.add("explanation_required",
                      f"{budget_row.name} {budget_row.actual} is below {fmt(threshold * 100)}% and no explanation "
                      "is given (budget.explanation)", budget.sources.get("executed", budget.source))
