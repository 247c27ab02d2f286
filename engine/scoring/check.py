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

    def add(self, check: str, message: str, source) -> None:
        severity = self.ruleset.checks.get(check, "warning")
        if severity != "off":
            self.items.append(Finding(check, severity, message, source, self.scope))


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
            found.add("total_weight",
                      f"各项分值（{budget.name} {fmt(budget.weight)} + "
                      + " + ".join(f"{g.name} {fmt(g.weight)}" for g in ruleset.groups)
                      + f"）合计 {fmt(total)}，不是 100 分",
                      _cause(ruleset, [budget.source] + [g.source for g in ruleset.groups],
                             ruleset.groups[0].source if ruleset.groups else budget.source))
    for block in ruleset.blocks:
        if _fixed(ruleset, block.groups):
            together = sum((ruleset.group(n).weight for n in block.groups), ZERO)
            if together != block.weight:
                found.add("group_weights",
                          f"{' + '.join(block.groups)} 分值合计 {fmt(together)}，规则规定合计为 {fmt(block.weight)} 分",
                          _cause(ruleset, [block.source] + [ruleset.group(n).source for n in block.groups],
                                 block.source))
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
            found.add("spending_total",
                      f"{len(project.spending)} 条支出明细合计 {fmt(spent)} {unit}，与全年执行数 "
                      f"{fmt(budget.executed)} {unit} 不符（相差 {fmt(spent - budget.executed)} {unit}）",
                      budget.sources.get("executed", budget.source))
    if budget.executed > budget.full_year:
        found.add("execution_over_budget",
                  f"全年执行数 {fmt(budget.executed)} {unit} 超过全年预算数 {fmt(budget.full_year)} {unit}",
                  budget.sources.get("executed", budget.source))


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
            found.add("sub_items",
                      f"年度资金总额{label} {fmt(stated)} {unit}，其中各项（{listed}）合计 {fmt(together)} {unit}，"
                      f"相差 {fmt(together - stated)} {unit}", given[0][0].source)


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
                found.add("sub_items",
                          f"“{ind.label}”其中各项分值（{' + '.join(fmt(w) for w in weights)}）合计 {fmt(together)}，"
                          f"与该行分值 {fmt(ind.weight)} 不符", where)
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
            found.add("sub_items",
                      f"“{ind.label}”其中各项实际完成值（{listed}）合计 {fmt(together)}"
                      f"{'' if parent.unit in ('', '%') else ' '}{parent.unit}，与该行填报的"
                      f"“{parent.text}”不符", where)


def _repeated(found: _Findings, ruleset: Ruleset, project: Project) -> None:
    """Rows whose actual value only repeats the target (`≤990 万元` under `≤990 万元`): no value reached."""
    treated = ("按规则视为已达成" if ruleset.targets.repeated_actual == "met" else "规则不予评判")
    for ind in project.indicators:
        if ind.applicable and repeats_target(ind):
            found.add("repeated_target",
                      f"“{ind.label}”实际完成值“{ind.actual.text}”照抄年度指标值“{ind.target.text}”，"
                      f"未填写实际达到的数值（{treated}）", ind.sources.get("actual", ind.source))


def _weights(found: _Findings, ruleset: Ruleset, project: Project, budget_row: Score) -> None:
    given = {g.name: sum((i.weight for i in project.indicators if i.level1 == g.name), ZERO) for g in ruleset.groups}
    first_row = {g.name: next((i.source for i in project.indicators if i.level1 == g.name), project.source)
                 for g in ruleset.groups}
    weights = {}
    cap = project.max_points
    rows_total = budget_row.weight + sum(given.values(), ZERO)  # what the table's rows weigh together
    over = (f"；全表分值合计 {fmt(rows_total)}，超过总分 {fmt(cap)} 分" if rows_total > cap else "")
    said = len(found.items)
    for group in ruleset.groups:
        has_rows = any(i.level1 == group.name for i in project.indicators)
        if group.weight is not None:
            weights[group.name] = group.weight
            if has_rows and given[group.name] != group.weight:
                capped = f"（{group.name}得分以 {fmt(group.weight)} 分为上限）" if given[group.name] > group.weight else ""
                found.add("group_weights",
                          f"{group.name}各三级指标分值合计 {fmt(given[group.name])}，规则规定{group.name}为 "
                          f"{fmt(group.weight)} 分{over}{capped}", first_row[group.name])
        else:
            low, high = group.weight_range
            weights[group.name] = given[group.name]
            if not low <= given[group.name] <= high:
                side = "低于" if given[group.name] < low else "高于"
                found.add("group_weights",
                          f"{group.name}各三级指标分值合计 {fmt(given[group.name])}，{side}规则允许的 "
                          f"{band_text(low, high)} 分", first_row[group.name])
    for block in ruleset.blocks:
        if _fixed(ruleset, block.groups):
            continue  # the rules' own sums: check_ruleset, once
        together = sum((weights.get(name, ZERO) for name in block.groups), ZERO)
        if together != block.weight:
            found.add("group_weights",
                      f"{' + '.join(block.groups)} 分值合计 {fmt(together)}，规则规定合计为 {fmt(block.weight)} 分",
                      first_row.get(block.groups[0], project.source))
    total_weight = budget_row.weight + sum(weights.values(), ZERO)
    ranged = [g for g in ruleset.groups if g.weight is None]
    listed = (f"各项分值（{budget_row.name} {fmt(budget_row.weight)} + "
              + " + ".join(f"{name} {fmt(w)}" for name, w in weights.items()))
    if total_weight != cap and ranged:  # with fixed weights only, check_ruleset says it once
        found.add("total_weight", f"{listed}）合计 {fmt(total_weight)}，不是 {fmt(cap)} 分"
                  + ("（总分以此为上限）" if total_weight > cap else ""), first_row[ranged[0].name])
    elif rows_total > cap and len(found.items) == said and project.stated_total is not None:
        # the rows fit the ruleset's groups (whose own sum check_ruleset checks), but not the table's 总分
        found.add("total_weight", f"{listed}）合计 {fmt(rows_total)}，超过表中标明的总分 {fmt(cap)} 分"
                  "（总分以此为上限）", project.sources.get("stated_total", project.source))
    for name, stated in project.stated_weights.items():
        where = project.stated_sources.get(name, project.source)
        if name not in weights:
            found.add("stated_weights", f"表中标明分值的“{name}”不是规则中的一级指标（一级指标：{'、'.join(weights)}）",
                      where)
        elif given[name] != stated:
            found.add("stated_weights", f"{name}各行分值合计 {fmt(given[name])}，与表中标明的 {fmt(stated)} 分不符", where)
        elif ruleset.group(name).weight is not None and stated != ruleset.group(name).weight:
            found.add("stated_weights", f"表中标明{name}为 {fmt(stated)} 分，规则规定为 "
                      f"{fmt(ruleset.group(name).weight)} 分", where)


def _reported(found: _Findings, project: Project, rows, budget_row: Score, total: Decimal) -> None:
    reported_rows = [r for r in rows if r.applicable and r.reported_score is not None]
    for row in reported_rows:
        band = row.trace.band if row.trace is not None else None
        if band is not None and not band[0] * row.allotted <= row.reported_score <= band[1] * row.allotted:
            low, high = band[0] * row.allotted, band[1] * row.allotted
            side = "低于" if row.reported_score < low else "高于"
            found.add("qualitative_band",
                      f"“{row.name}”自评得分 {fmt(row.reported_score)}，{side}“{band[2]}”档允许的 "
                      f"{band_text(low, high)} 分（分值 {fmt(row.allotted)}）", row.source)
        elif row.reported_score != row.score:
            side = "高于" if row.reported_score > row.score else "低于"
            met = "，而年度指标值已达成" if row.trace.met and side == "低于" else ""
            found.add("reported_score",
                      f"“{row.name}”自评得分 {fmt(row.reported_score)}，{side}按规则计算的 {fmt(row.score)} 分"
                      f"{met}（{row.trace.method}）", row.source)
    budget = project.budget
    if budget.reported_score is not None and budget.reported_score != budget_row.score:
        side = "高于" if budget.reported_score > budget_row.score else "低于"
        found.add("reported_score",
                  f"“{budget_row.name}”自评得分 {fmt(budget.reported_score)}，{side}按规则计算的 "
                  f"{fmt(budget_row.score)} 分", budget.sources.get("reported_score", budget.source))
    if project.reported_total is None:
        return
    applicable = [r for r in rows if r.applicable]
    every_row_reported = len(reported_rows) == len(applicable) and budget.reported_score is not None
    if every_row_reported:
        printed = budget.reported_score + sum((r.reported_score for r in reported_rows), ZERO)
        if printed != project.reported_total:
            found.add("reported_rows_sum",
                      f"各行自评得分合计 {fmt(printed)}，与填报的总分 {fmt(project.reported_total)} 不符",
                      project.source)
    elif project.reported_total != total:
        # Without every row's reported score the difference cannot be traced to rows.
        found.add("reported_total",
                  f"填报的总分 {fmt(project.reported_total)} 与按规则计算的总分 {fmt(total)} 不符",
                  project.source)


def _printed(found: _Findings, ruleset: Ruleset, project: Project, total: Decimal, rate: Decimal, groups,
             grade: str) -> None:
    """The execution rate, first-level subtotals and grade the table printed, against the computed ones."""
    budget = project.budget
    if budget.reported_rate is not None:
        shown = budget.reported_rate
        places = max(0, -shown.as_tuple().exponent)  # compared at the digits the table printed
        computed = Rounding(places, ruleset.rounding.mode).apply(rate * 100)
        if computed != shown:
            found.add("reported_rate",
                      f"填报的{ruleset.budget.name} {fmt(shown)}%，与按规则计算的 {fmt(computed)}% 不符"
                      f"（{ruleset.budget.rate.text}）", budget.sources.get("reported_rate", budget.source))
    computed_groups = {g.name: g.score for g in groups}
    for name, shown in project.reported_subtotals.items():
        where = project.sources.get(("reported_subtotals", name), project.source)
        if name not in computed_groups:
            found.add("reported_subtotal", f"表中填报小计的“{name}”不是规则中的一级指标"
                      f"（一级指标：{'、'.join(computed_groups)}）", where)
        elif computed_groups[name] != shown:
            side = "高于" if shown > computed_groups[name] else "低于"
            found.add("reported_subtotal", f"{name}填报的得分小计 {fmt(shown)}，{side}按规则计算的 "
                      f"{fmt(computed_groups[name])} 分", where)
    if project.reported_grade is not None and project.reported_grade.strip() != grade:
        found.add("reported_grade", f"填报的评价等级“{project.reported_grade.strip()}”，与按规则计算的“{grade}”"
                  f"（总分 {fmt(total)}）不符",
                  project.sources.get("reported_grade", project.source))


def _explanations(found: _Findings, ruleset: Ruleset, project: Project, rows, budget_row: Score) -> None:
    review = ruleset.review
    for row in rows:
        if not row.applicable or row.explanation.strip():
            continue
        if review.explain_missed_target and row.trace.met is False:
            found.add("explanation_required",
                      f"“{row.name}”未达到年度指标值“{row.target}”（实际完成值“{row.actual}”），"
                      "未填写偏差原因分析及改进措施", row.source)
        elif review.explain_over_target is not None and row.trace.met:
            target = next((i.value for i in row.trace.inputs if i.name == "target"), None)
            actual = next((i.value for i in row.trace.inputs if i.name == "actual"), None)
            if target and actual is not None and target > 0 and actual > target * review.explain_over_target:
                found.add("explanation_required",
                          f"“{row.name}”实际完成值“{row.actual}”为年度指标值“{row.target}”的 "
                          f"{fmt((actual / target * 100).to_integral_value())}%，超过 "
                          f"{fmt(review.explain_over_target * 100)}%，请说明原因（年度指标值是否设定偏低）", row.source)
    threshold = review.explain_execution_below
    budget = project.budget
    if threshold is not None and budget_row.trace.inputs and not budget.explanation.strip():
        rate = next(i.value for i in budget_row.trace.inputs if i.name == "rate")
        if rate < threshold:
            found.add("explanation_required",
                      f"{budget_row.name} {budget_row.actual} 低于 {fmt(threshold * 100)}%，未说明原因"
                      "（budget.explanation）", budget.sources.get("executed", budget.source))
