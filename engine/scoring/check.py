"""check: consistency and review rules on a project and its scores -> findings.

Each check has a name; the ruleset's ``checks`` say whether its findings are
warnings, errors (exit code 1) or off. The review checks compare what a
department reported with what the rules give, and report each disagreement
once, at its root: a row scored off its rule, a printed total that is not
the sum of its printed rows, a qualitative score outside its level's band.
"""
from __future__ import annotations

from decimal import Decimal

from engine.scoring.judge import repeats_target
from engine.i18n import lazy, tr_in
from engine.model import Finding, Project, Rounding, Ruleset, Score
from engine.rules.targets import convert, format_number as fmt

ZERO = Decimal(0)


def band_text(low: Decimal, high: Decimal) -> str:
    """`3–4`, or `10` for a band of one point."""
    return fmt(low) if low == high else f"{fmt(low)}–{fmt(high)}"


UNGRADED = "未定级"  # the grade of a project with a finding the ruleset marks as an error


class _Findings:
    def __init__(self, ruleset: Ruleset, scope: str = "project"):
        self.ruleset, self.items, self.scope = ruleset, [], scope

    def add(self, check: str, key: str, source, **fields) -> None:
        """The finding ``key`` (a message id): Chinese in ``message`` for the reports, in either language on the console."""
        severity = self.ruleset.checks.get(check, "warning")
        if severity != "off":
            message = tr_in("zh_CN", key, **fields)
            self.items.append(Finding(check, severity, message, source, self.scope, key, tuple(sorted(fields.items()))))


def _side(below: bool):
    return lazy("finding.word.below") if below else lazy("finding.word.above")


def _fixed(ruleset: Ruleset, names) -> bool:
    return all(ruleset.group(n) is not None and ruleset.group(n).weight is not None for n in names)


def check_ruleset(ruleset: Ruleset) -> tuple:
    """Findings about the rules themselves (weights that do not make 100): the same for every project.

    Each points at the line that causes it: the weight the ruleset (or the
    department variant) changed from what it inherits, else the first weight.
    """
    found = _Findings(ruleset, "ruleset")
    budget = ruleset.budget
    if _fixed(ruleset, [g.name for g in ruleset.groups]):
        total = budget.weight + sum((g.weight for g in ruleset.groups), ZERO)
        if total != 100:
            found.add("total_weight", "finding.total_weight",
                      _cause(ruleset, [budget.source] + [g.source for g in ruleset.groups],
                             ruleset.groups[0].source if ruleset.groups else budget.source),
                      listed=f"{budget.name} {fmt(budget.weight)} + "
                      + " + ".join(f"{g.name} {fmt(g.weight)}" for g in ruleset.groups),
                      total=fmt(total), cap="100", capped="")
    for block in ruleset.blocks:
        if _fixed(ruleset, block.groups):
            together = sum((ruleset.group(n).weight for n in block.groups), ZERO)
            if together != block.weight:
                found.add("group_weights", "finding.block_weights",
                          _cause(ruleset, [block.source] + [ruleset.group(n).source for n in block.groups],
                                 block.source),
                          groups=" + ".join(block.groups), together=fmt(together), weight=fmt(block.weight))
    return tuple(found.items)


def _cause(ruleset: Ruleset, weights: list, fallback):
    """The place to point at for weights that do not add up: a weight changed from the inherited one, if any."""
    weights = [w for w in weights if w.file]
    own = [w for w in weights if w.file == ruleset.file]
    changed = sorted((o.new for o in ruleset.overrides.values() if not getattr(o, "merged", False)
                      and (o.path[:1] == ("framework",) or o.path == ("budget_execution", "weight"))),
                     key=lambda s: (s.file != ruleset.file, s.file, s.line, s.column))
    if changed:
        return changed[0]
    if own and len(own) < len(weights):  # a weight added by this file to the inherited ones
        return min(own, key=lambda s: (s.line, s.column))
    return fallback


def check_project(ruleset: Ruleset, project: Project, rows, budget_row: Score, total: Decimal,
                  printed: tuple | None = None) -> tuple:
    """``printed``: (rate, groups, grade) as computed, to review what the table printed for them."""
    found = _Findings(ruleset)
    _budget(found, project)
    _repeated(found, ruleset, project)
    _fund_parts(found, project)
    _sub_items(found, project)
    _weights(found, ruleset, project, budget_row)
    _reported(found, project, rows, budget_row, total)
    if printed is not None:
        _printed(found, ruleset, project, total, *printed)
    _explanations(found, ruleset, project, rows, budget_row)
    return tuple(found.items)


def _budget(found: _Findings, project: Project) -> None:
    budget, unit = project.budget, project.budget.unit
    if project.spending:
        spent = sum((line.amount for line in project.spending), ZERO)
        if spent != budget.executed:
            found.add("spending_total", "finding.spending_total", budget.sources.get("executed", budget.source),
                      count=len(project.spending), spent=fmt(spent), unit=unit, executed=fmt(budget.executed),
                      difference=fmt(spent - budget.executed))
    if budget.executed > budget.full_year:
        found.add("execution_over_budget", "finding.execution_over_budget",
                  budget.sources.get("executed", budget.source),
                  executed=fmt(budget.executed), unit=unit, full_year=fmt(budget.full_year))


COLUMNS = {"initial": "年初预算数", "full_year": "全年预算数", "executed": "全年执行数"}


def _fund_parts(found: _Findings, project: Project) -> None:
    """The 其中 rows of 年度资金总额 add up to it, in each column the table prints for them."""
    budget, unit = project.budget, project.budget.unit
    for column, label in COLUMNS.items():
        given = [(part, getattr(part, column)) for part in budget.parts if getattr(part, column) is not None]
        stated = getattr(budget, column)
        if not given or stated is None:
            continue
        together = sum((value for _, value in given), ZERO)
        if together != stated:
            listed = " + ".join(f"{part.label.removeprefix('其中：')} {fmt(value)}" for part, value in given)
            found.add("sub_items", "finding.fund_parts", given[0][0].source, column=label, stated=fmt(stated),
                      unit=unit, listed=listed, together=fmt(together), difference=fmt(together - stated))


def _sub_items(found: _Findings, project: Project) -> None:
    """An indicator's 其中 rows add up to it: their actual values (in its unit) and their weights, when given."""
    for ind in project.indicators:
        if not ind.parts:
            continue
        where = ind.parts[0].source
        weights = [p.weight for p in ind.parts if p.weight is not None]
        if weights and ind.applicable:
            together = sum(weights, ZERO)
            if together != ind.weight:
                found.add("sub_items", "finding.sub_weights", where, label=ind.label,
                          weights=" + ".join(fmt(w) for w in weights), together=fmt(together), weight=fmt(ind.weight))
        parent = ind.actual
        if parent is None or parent.value is None or parent.is_qualitative or parent.comparator not in (None, "="):
            continue  # words or a bound (`≥90%`): nothing to add up to
        values = []
        for part in ind.parts:
            actual = part.actual
            if (actual is None or actual.value is None or actual.is_qualitative or actual.kind != parent.kind
                    or actual.comparator not in (None, "=")):
                continue
            value = convert(actual.value, actual.unit or parent.unit, parent.unit or actual.unit)
            if value is not None:
                values.append((part, value))
        if not values:
            continue
        together = sum((v for _, v in values), ZERO)
        if together != parent.value:
            listed = " + ".join(f"{part.name} {fmt(v)}" for part, v in values)
            found.add("sub_items", "finding.sub_actuals", where, label=ind.label, listed=listed,
                      together=f"{fmt(together)}{'' if parent.unit in ('', '%') else ' '}{parent.unit}",
                      reported=parent.text)


def _repeated(found: _Findings, ruleset: Ruleset, project: Project) -> None:
    """Rows whose actual value only repeats the target (`≤990 万元` under `≤990 万元`): no value reached."""
    treated = (lazy("finding.repeated_target.met") if ruleset.targets.repeated_actual == "met"
               else lazy("finding.repeated_target.unjudged"))
    for ind in project.indicators:
        if ind.applicable and repeats_target(ind):
            found.add("repeated_target", "finding.repeated_target", ind.sources.get("actual", ind.source),
                      label=ind.label, actual=ind.actual.text, target=ind.target.text, treated=treated)


def _weights(found: _Findings, ruleset: Ruleset, project: Project, budget_row: Score) -> None:
    given = {g.name: sum((i.weight for i in project.indicators if i.level1 == g.name), ZERO) for g in ruleset.groups}
    first_row = {g.name: next((i.source for i in project.indicators if i.level1 == g.name), project.source)
                 for g in ruleset.groups}
    weights = {}
    cap = project.max_points
    rows_total = budget_row.weight + sum(given.values(), ZERO)  # what the table's rows weigh together
    over = lazy("finding.group_weights.over", total=fmt(rows_total), cap=fmt(cap)) if rows_total > cap else ""
    said = len(found.items)
    for group in ruleset.groups:
        has_rows = any(i.level1 == group.name for i in project.indicators)
        if group.weight is not None:
            weights[group.name] = group.weight
            if has_rows and given[group.name] != group.weight:
                capped = (lazy("finding.group_weights.capped", group=group.name, weight=fmt(group.weight))
                          if given[group.name] > group.weight else "")
                found.add("group_weights", "finding.group_weights", first_row[group.name], group=group.name,
                          given=fmt(given[group.name]), weight=fmt(group.weight), over=over, capped=capped)
        else:
            low, high = group.weight_range
            weights[group.name] = given[group.name]
            if not low <= given[group.name] <= high:
                found.add("group_weights", "finding.group_weights.range", first_row[group.name], group=group.name,
                          given=fmt(given[group.name]), side=_side(given[group.name] < low),
                          band=band_text(low, high))
    for block in ruleset.blocks:
        if _fixed(ruleset, block.groups):
            continue  # the rules' own sums: check_ruleset, once
        together = sum((weights.get(name, ZERO) for name in block.groups), ZERO)
        if together != block.weight:
            found.add("group_weights", "finding.block_weights", first_row.get(block.groups[0], project.source),
                      groups=" + ".join(block.groups), together=fmt(together), weight=fmt(block.weight))
    total_weight = budget_row.weight + sum(weights.values(), ZERO)
    ranged = [g for g in ruleset.groups if g.weight is None]
    listed = (f"{budget_row.name} {fmt(budget_row.weight)} + "
              + " + ".join(f"{name} {fmt(w)}" for name, w in weights.items()))
    if total_weight != cap and ranged:  # with fixed weights only, check_ruleset says it once
        found.add("total_weight", "finding.total_weight", first_row[ranged[0].name], listed=listed,
                  total=fmt(total_weight), cap=fmt(cap),
                  capped=lazy("finding.total_weight.capped") if total_weight > cap else "")
    elif rows_total > cap and len(found.items) == said and project.stated_total is not None:
        # the rows fit the ruleset's groups (whose own sum check_ruleset checks), but not the table's 总分
        found.add("total_weight", "finding.total_weight.over_stated",
                  project.sources.get("stated_total", project.source), listed=listed, total=fmt(rows_total),
                  cap=fmt(cap))
    for name, stated in project.stated_weights.items():
        where = project.stated_sources.get(name, project.source)
        if name not in weights:
            found.add("stated_weights", "finding.stated_weights.not_a_group", where, name=name,
                      groups="、".join(weights))
        elif given[name] != stated:
            found.add("stated_weights", "finding.stated_weights.rows", where, name=name, given=fmt(given[name]),
                      stated=fmt(stated))
        elif ruleset.group(name).weight is not None and stated != ruleset.group(name).weight:
            found.add("stated_weights", "finding.stated_weights.ruleset", where, name=name, stated=fmt(stated),
                      weight=fmt(ruleset.group(name).weight))


def _reported(found: _Findings, project: Project, rows, budget_row: Score, total: Decimal) -> None:
    reported_rows = [r for r in rows if r.applicable and r.reported_score is not None]
    for row in reported_rows:
        band = row.band  # the scorer's own: reading row.trace would make the trace
        if band is not None and not band[0] * row.allotted <= row.reported_score <= band[1] * row.allotted:
            low, high = band[0] * row.allotted, band[1] * row.allotted
            found.add("qualitative_band", "finding.qualitative_band", row.source, name=row.name,
                      reported=fmt(row.reported_score), side=_side(row.reported_score < low), level=band[2],
                      band=band_text(low, high), weight=fmt(row.allotted))
        elif row.reported_score != row.score:
            below = not row.reported_score > row.score
            met = lazy("finding.reported_score.met") if row.met and below else ""
            found.add("reported_score", "finding.reported_score", row.source, name=row.name,
                      reported=fmt(row.reported_score), side=_side(below), score=fmt(row.score), met=met,
                      method=lazy("finding.reported_score.method", method=row.method))
    budget = project.budget
    if budget.reported_score is not None and budget.reported_score != budget_row.score:
        found.add("reported_score", "finding.reported_score", budget.sources.get("reported_score", budget.source),
                  name=budget_row.name, reported=fmt(budget.reported_score),
                  side=_side(not budget.reported_score > budget_row.score), score=fmt(budget_row.score), met="",
                  method="")
    if project.reported_total is None:
        return
    applicable = [r for r in rows if r.applicable]
    every_row_reported = len(reported_rows) == len(applicable) and budget.reported_score is not None
    if every_row_reported:
        printed = budget.reported_score + sum((r.reported_score for r in reported_rows), ZERO)
        if printed != project.reported_total:
            found.add("reported_rows_sum", "finding.reported_rows_sum", project.source, printed=fmt(printed),
                      total=fmt(project.reported_total))
    elif project.reported_total != total:
        # Without every row's reported score the difference cannot be traced to rows.
        found.add("reported_total", "finding.reported_total", project.source,
                  reported=fmt(project.reported_total), total=fmt(total))


def _printed(found: _Findings, ruleset: Ruleset, project: Project, total: Decimal, rate: Decimal, groups,
             grade: str) -> None:
    """The execution rate, first-level subtotals and grade the table printed, against the computed ones."""
    budget = project.budget
    if budget.reported_rate is not None:
        shown = budget.reported_rate
        places = max(0, -shown.as_tuple().exponent)  # compared at the digits the table printed
        computed = Rounding(places, ruleset.rounding.mode).apply(rate * 100)
        if computed != shown:
            found.add("reported_rate", "finding.reported_rate", budget.sources.get("reported_rate", budget.source),
                      name=ruleset.budget.name, shown=fmt(shown), computed=fmt(computed),
                      formula=ruleset.budget.rate.text)
    computed_groups = {g.name: g.score for g in groups}
    for name, shown in project.reported_subtotals.items():
        where = project.sources.get(("reported_subtotals", name), project.source)
        if name not in computed_groups:
            found.add("reported_subtotal", "finding.reported_subtotal.not_a_group", where, name=name,
                      groups="、".join(computed_groups))
        elif computed_groups[name] != shown:
            found.add("reported_subtotal", "finding.reported_subtotal", where, name=name, shown=fmt(shown),
                      side=_side(not shown > computed_groups[name]), computed=fmt(computed_groups[name]))
    if project.reported_grade is not None and project.reported_grade.strip() != grade:
        found.add("reported_grade", "finding.reported_grade", project.sources.get("reported_grade", project.source),
                  reported=project.reported_grade.strip(), grade=grade, total=fmt(total))


def _explanations(found: _Findings, ruleset: Ruleset, project: Project, rows, budget_row: Score) -> None:
    review = ruleset.review
    for row in rows:
        if not row.applicable or row.explanation.strip():
            continue
        if review.explain_missed_target and row.met is False:
            found.add("explanation_required", "finding.explain_missed", row.source, name=row.name,
                      target=row.target, actual=row.actual)
        elif review.explain_over_target is not None and row.met:
            target = next((i.value for i in row.trace.inputs if i.name == "target"), None)
            actual = next((i.value for i in row.trace.inputs if i.name == "actual"), None)
            if target and actual is not None and target > 0 and actual > target * review.explain_over_target:
                found.add("explanation_required", "finding.explain_over", row.source, name=row.name,
                          actual=row.actual, target=row.target,
                          percent=fmt((actual / target * 100).to_integral_value()),
                          limit=fmt(review.explain_over_target * 100))
    threshold = review.explain_execution_below
    budget = project.budget
    if threshold is not None and budget_row.trace.inputs and not budget.explanation.strip():
        rate = next(i.value for i in budget_row.trace.inputs if i.name == "rate")
        if rate < threshold:
            found.add("explanation_required", "finding.explain_execution",
                      budget.sources.get("executed", budget.source), name=budget_row.name, rate=budget_row.actual,
                      limit=fmt(threshold * 100))
