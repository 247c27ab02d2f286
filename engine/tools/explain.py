"""How each score was computed, in words: method, formula, inputs with their source, result."""
from __future__ import annotations

from decimal import Decimal

from engine.errors import UsageError, did_you_mean
from engine.i18n import is_english, label, language, tr
from engine.model import ProjectResult, Score
from engine.rules.targets import format_number
from engine.scoring.findings import severity_word
from engine.tools.explain_review import declared_rows, explain_review


def _value(value) -> str:
    if isinstance(value, bool):
        return tr("explain.yes") if value else tr("explain.no")
    if isinstance(value, Decimal):
        return format_number(value)
    return str(value)


def _grade(band) -> str:
    """A grade as the console speaks: its English name under --lang en when the ruleset gives one."""
    return band.name_en if is_english() and band.name_en else band.grade


def explain_row(row: Score, ruleset) -> list[str]:
    title = (label(ruleset.budget) if row.method == "budget_execution" else label(row)) or row.note
    groups = {g.name: label(g) for g in ruleset.groups}
    head = f"{title}" + (f"  [{groups.get(row.level1, row.level1)} / {row.level2}]" if row.level1 else "")
    lines = [head, tr("explain.source", source=row.source)]
    texts = next((t for t in ruleset.indicator_table if t.name == row.name), None)  # 指标解释 and 评分标准
    if texts is not None:
        lines += [tr("explain.explanation", text=texts.explanation)] if texts.explanation else []
        lines += [tr("explain.standard", text=texts.standard)] if texts.standard else []
    if not row.applicable:
        lines.append(tr("explain.not_applicable"))
        return lines
    trace = row.trace
    if row.target:
        lines.append(tr("explain.target_actual", target=row.target, actual=row.actual))
    method = ruleset.methods.get(trace.method)
    lines.append(tr("explain.method", method=trace.method, label=label(method, "label") if method else trace.label))
    lines.append(tr("explain.formula", formula=trace.formula.text, source=ruleset.provenance(trace.formula.source)))
    for item in trace.inputs:
        note = f"  {item.note}" if item.note else ""
        lines.append(f"    {item.name} = {_value(item.value)}{note}   ({ruleset.provenance(item.source)})")
    if trace.reason:
        lines.append(tr("explain.decision", reason=trace.reason))
    for step in trace.steps:
        lines.append(f"  {step}")
    lines.append(tr("explain.result", raw=_value(trace.raw), rounding=trace.rounding, rounded=_value(trace.rounded),
                    weight=_value(row.allotted if row.allotted is not None else row.weight)))
    if row.reported_score is not None and row.reported_score != row.score:
        lines.append(tr("explain.reported_differs", reported=_value(row.reported_score), score=_value(row.score)))
    return lines


def explain_adjustment(adjustment, ruleset) -> list[str]:
    """A rule on the total that held, as a row's rule is shown: the rule, its formula, the inputs, the result."""
    rule = adjustment.rule
    lines = [tr("explain.total_rule", name=rule.name, source=ruleset.provenance(rule.source)),
             tr("explain.total_rule_when", when=rule.when.text, source=ruleset.provenance(rule.when.source))]
    lines += [f"    {name} = {_value(value)}" for name, value in adjustment.values]
    lines.append(tr("explain.total_rule_result", text=adjustment.describe(language()),
                    note=tr("explain.total_rule_note", note=rule.note) if rule.note else ""))
    return lines


def explain_measures(result: ProjectResult) -> list[str]:
    """The ruleset's dates, variables and levels for the project, each with its formula and line."""
    measures, spec, ruleset = result.measures, result.ruleset.measures, result.ruleset
    lines = []
    if measures.as_of is not None:
        basis = tr("explain.basis.month") if spec.basis == "month" else tr("explain.basis.day")
        lines.append(tr("explain.as_of", date=measures.as_of, progress=_value(measures.time_progress), basis=basis))
    for variable, item in zip(spec.variables, measures.values):
        lines.append(f"  {variable.label} {variable.name} = {variable.formula.text} = {_value(item['value'])}"
                     f"   ({ruleset.provenance(variable.formula.source)})")
    for level in measures.levels:
        if level["level"]:
            lines.append(tr("explain.level", label=level["label"], level=level["level"], formula=level["formula"],
                            input=_value(level["input"]), where=level["where"]))
    for row in measures.indicators:
        for level in row["levels"]:
            if level["level"]:
                lines.append(tr("explain.row_level", row=row["label"], label=level["label"], level=level["level"],
                                formula=level["formula"], input=_value(level["input"]), where=level["where"]))
    return lines


def explain(result: ProjectResult, indicator: str | None = None) -> str:
    project, ruleset = result.project, result.ruleset
    rows = result.all_rows if ruleset.budget.counted else result.rows  # a framework may have no 预算执行率 row
    if indicator:
        rows = tuple(r for r in rows if indicator in (r.name, r.note))
        if not rows:
            names = [r.name or r.note for r in result.all_rows]
            raise UsageError(tr("cli.explain.no_indicator", indicator=indicator, project=project.name,
                                suggestion=did_you_mean(indicator, names)))
    out = [
        f"{project.department} / {project.name}  ({project.file})",
        tr("explain.ruleset", id=ruleset.id, version=ruleset.version, sha256=ruleset.sha256, file=ruleset.file,
           variant=tr("explain.variant", variant=ruleset.variant) if ruleset.variant else ""),
        "",
    ]
    if ruleset.review_rules is not None and (project.stage or {}).get("rows") and not indicator:
        # the review reads the stage's rows (a declaration), not the file's scored table
        return "\n".join(out + declared_rows(result) + explain_review(result)) + "\n"
    for row in rows:
        out.extend(explain_row(row, ruleset))
        out.append("")
    if not indicator:
        groups = {g.name: label(g) for g in ruleset.groups}
        budget_name = label(ruleset.budget)
        parts = " + ".join(
            [f"{budget_name} {_value(result.budget_row.score)}"] * ruleset.budget.counted
            + [f"{groups.get(g.name, g.name)} {_value(g.score)}" for g in result.groups]
        )
        if not ruleset.budget.counted:
            out.append(tr("explain.budget_not_counted", name=label(ruleset.budget), rate=result.budget_row.actual,
                          formula=ruleset.budget.rate.text))
        earned = result.budget_row.score + sum(g.score for g in result.groups)
        total = result.adjustments[0].before if result.adjustments else result.total  # before the rules on it
        deductions = "".join(tr("explain.deduction", points=_value(d.points), reason=d.reason)
                             for d in project.deductions)
        floor = tr("explain.floor") if deductions else ""
        if ruleset.not_applicable == "rescale":
            possible = result.budget_row.weight + sum(r.allotted for r in result.rows if r.applicable)
            out.append(tr("explain.total_rescaled", parts=parts, possible=_value(possible), deductions=deductions,
                          total=_value(total), floor=floor, rounding=ruleset.rounding.describe(language())))
        else:
            capped = result.max_total if earned > result.max_total and not deductions else None
            cap = tr("explain.capped", cap=_value(capped)) if capped is not None and total == capped else ""
            out.append(tr("explain.total", parts=parts, deductions=deductions, total=_value(total), floor=floor,
                          cap=cap))
        for group in result.groups:  # a group scores at most its weight (the table's rows may weigh more)
            rows_sum = sum((r.score for r in result.rows if r.applicable and r.level1 == group.name), Decimal(0))
            if rows_sum > group.score:
                out.append(tr("explain.group_capped", group=groups.get(group.name, group.name), sum=_value(rows_sum),
                              weight=_value(group.score)))
        for adjustment in result.adjustments:  # rules on the total (engine.scoring.totals)
            out.extend(explain_adjustment(adjustment, ruleset))
        for finding in result.findings:
            if ruleset.review_rules is not None and finding.check in {r.name for r in ruleset.review_rules.rules}:
                continue  # shown with its rule below
            out.append(tr("explain.finding", severity=severity_word(finding.severity), text=finding.text,
                          source=finding.source))
        if ruleset.review_rules is not None:  # review rules and their verdict (engine.scoring.review_rules)
            out.extend(explain_review(result))
            if result.verdict and result.grade == result.verdict:
                return "\n".join(out) + "\n"
        if result.measures is not None:  # variables and level tables (engine.scoring.measures)
            out.extend(explain_measures(result))
            if ruleset.measures.grade_by and result.grade == result.measures.level(ruleset.measures.grade_by):
                out.append(tr("explain.grade_by", grade=result.grade, level=ruleset.measures.grade_by))
                return "\n".join(out) + "\n"
        band = next(b for b in ruleset.grades if result.total >= b.minimum)
        grade = next((_grade(b) for b in ruleset.grades if b.grade == result.grade), result.grade)
        if any(f.severity == "error" for f in result.findings):  # check.UNGRADED
            out.append(tr("explain.ungraded", grade=grade, total=_value(result.total), minimum=_value(band.minimum),
                          band=_grade(band)))
        else:
            out.append(tr("explain.grade", grade=grade, total=_value(result.total), minimum=_value(band.minimum),
                          source=ruleset.provenance(band.source)))
    return "\n".join(out) + "\n"
