"""How each score was computed, in words: method, formula, inputs with their source, result."""
from __future__ import annotations

from decimal import Decimal

from engine.errors import UsageError, did_you_mean
from engine.model import ProjectResult, Score
from engine.rules.targets import format_number
from engine.tools.explain_review import declared_rows, explain_review


def _value(value) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return format_number(value)
    return str(value)


def explain_row(row: Score, ruleset) -> list[str]:
    title = row.name or row.note
    head = f"{title}" + (f"  [{row.level1} / {row.level2}]" if row.level1 else "")
    lines = [head, f"  来源 {row.source}"]
    texts = next((t for t in ruleset.indicator_table if t.name == row.name), None)  # 指标解释 and 评分标准
    if texts is not None:
        lines += [f"  {label} {text}" for label, text in (("指标解释", texts.explanation), ("评分标准", texts.standard))
                  if text]
    if not row.applicable:
        lines.append("  不适用：不计分，不计入总分")
        return lines
    trace = row.trace
    if row.target:
        lines.append(f"  年度指标值 “{row.target}”   实际完成值 “{row.actual}”")
    lines.append(f"  方法 {trace.method}：{trace.label}")
    lines.append(f"  公式 {trace.formula.text}   ({ruleset.provenance(trace.formula.source)})")
    for item in trace.inputs:
        note = f"  {item.note}" if item.note else ""
        lines.append(f"    {item.name} = {_value(item.value)}{note}   ({ruleset.provenance(item.source)})")
    if trace.reason:
        lines.append(f"  判定 {trace.reason}")
    for step in trace.steps:
        lines.append(f"  {step}")
    lines.append(
        f"  结果 {_value(trace.raw)} → {trace.rounding} → {_value(trace.rounded)}"
        f"   (分值 {_value(row.allotted if row.allotted is not None else row.weight)})"
    )
    if row.reported_score is not None and row.reported_score != row.score:
        lines.append(f"  自评得分 {_value(row.reported_score)} 与规则得分 {_value(row.score)} 不一致")
    return lines


def explain_adjustment(adjustment, ruleset) -> list[str]:
    """A rule on the total that held, as a row's rule is shown: the rule, its formula, the inputs, the result."""
    rule = adjustment.rule
    lines = [f"总分规则 {rule.name}   ({ruleset.provenance(rule.source)})",
             f"  条件 {rule.when.text}   ({ruleset.provenance(rule.when.source)})"]
    lines += [f"    {name} = {_value(value)}" for name, value in adjustment.values]
    lines.append(f"  结果 {adjustment.text}" + (f"（{rule.note}）" if rule.note else ""))
    return lines


def explain_measures(result: ProjectResult) -> list[str]:
    """The ruleset's dates, variables and levels for the project, each with its formula and line."""
    measures, spec, ruleset = result.measures, result.ruleset.measures, result.ruleset
    lines = []
    if measures.as_of is not None:
        basis = "按月" if spec.basis == "month" else "按日"
        lines.append(f"监控日期 {measures.as_of}，时间进度 time_progress = {_value(measures.time_progress)}（{basis}计）")
    for variable, item in zip(spec.variables, measures.values):
        lines.append(f"  {variable.label} {variable.name} = {variable.formula.text} = {_value(item['value'])}"
                     f"   ({ruleset.provenance(variable.formula.source)})")
    for level in measures.levels:
        if level["level"]:
            lines.append(f"{level['label']} {level['level']}：{level['formula']} = {_value(level['input'])}"
                         f"   ({level['where']})")
    for row in measures.indicators:
        for level in row["levels"]:
            if level["level"]:
                lines.append(f"  {row['label']}：{level['label']} {level['level']}：{level['formula']} = "
                             f"{_value(level['input'])}   ({level['where']})")
    return lines


def explain(result: ProjectResult, indicator: str | None = None) -> str:
    project, ruleset = result.project, result.ruleset
    rows = result.all_rows if ruleset.budget.counted else result.rows  # a framework may have no 预算执行率 row
    if indicator:
        rows = tuple(r for r in rows if indicator in (r.name, r.note))
        if not rows:
            names = [r.name or r.note for r in result.all_rows]
            raise UsageError(f"no indicator `{indicator}` in {project.name}{did_you_mean(indicator, names)}")
    out = [
        f"{project.department} / {project.name}  ({project.file})",
        f"规则 {ruleset.id} {ruleset.version}" + (f"（{ruleset.variant} 的变体）" if ruleset.variant else "")
        + f"  sha256 {ruleset.sha256}  ({ruleset.file})",
        "",
    ]
    if ruleset.review_rules is not None and (project.stage or {}).get("rows") and not indicator:
        # the review reads the stage's rows (a declaration), not the file's scored table
        return "\n".join(out + declared_rows(result) + explain_review(result)) + "\n"
    for row in rows:
        out.extend(explain_row(row, ruleset))
        out.append("")
    if not indicator:
        parts = " + ".join(
            [f"{result.budget_row.name} {_value(result.budget_row.score)}"] * ruleset.budget.counted
            + [f"{g.name} {_value(g.score)}" for g in result.groups]
        )
        if not ruleset.budget.counted:
            out.append(f"{ruleset.budget.name} {result.budget_row.actual}（{ruleset.budget.rate.text}；本规则不单列计分）")
        earned = result.budget_row.score + sum(g.score for g in result.groups)
        total = result.adjustments[0].before if result.adjustments else result.total  # before the rules on it
        deductions = "".join(f" − {_value(d.points)}（扣分：{d.reason}）" for d in project.deductions)
        floor = "，不低于 0" if deductions else ""
        if ruleset.not_applicable == "rescale":
            possible = result.budget_row.weight + sum(r.allotted for r in result.rows if r.applicable)
            out.append(f"总分 = ({parts}) × 100 / {_value(possible)}{deductions} = {_value(total)}"
                       f"（不适用指标剔除后按百分制折算{floor}，{ruleset.rounding.describe()}）")
        else:
            capped = result.max_total if earned > result.max_total and not deductions else None
            cap = f"，不超过总分 {_value(capped)}" if capped is not None and total == capped else ""
            out.append(f"总分 = {parts}{deductions} = {_value(total)}（各项得分相加{floor}{cap}）")
        for group in result.groups:  # a group scores at most its weight (the table's rows may weigh more)
            rows_sum = sum((r.score for r in result.rows if r.applicable and r.level1 == group.name), Decimal(0))
            if rows_sum > group.score:
                out.append(f"  {group.name}各行得分合计 {_value(rows_sum)}，以{group.name}分值 {_value(group.score)} 为上限")
        for adjustment in result.adjustments:  # rules on the total (engine.scoring.totals)
            out.extend(explain_adjustment(adjustment, ruleset))
        for finding in result.findings:
            if ruleset.review_rules is not None and finding.check in {r.name for r in ruleset.review_rules.rules}:
                continue  # shown with its rule below
            out.append(f"审核 {finding.severity}: {finding.message}   ({finding.source})")
        if ruleset.review_rules is not None:  # review rules and their verdict (engine.scoring.review_rules)
            out.extend(explain_review(result))
            if result.verdict and result.grade == result.verdict:
                return "\n".join(out) + "\n"
        if result.measures is not None:  # variables and level tables (engine.scoring.measures)
            out.extend(explain_measures(result))
            if ruleset.measures.grade_by and result.grade == result.measures.level(ruleset.measures.grade_by):
                out.append(f"等级 {result.grade}：取 {ruleset.measures.grade_by} 的级别（grade_by）")
                return "\n".join(out) + "\n"
        band = next(b for b in ruleset.grades if result.total >= b.minimum)
        if any(f.severity == "error" for f in result.findings):  # check.UNGRADED
            out.append(f"等级 {result.grade}：有规则标为错误的审核意见（见上），不评定等级"
                       f"（否则总分 {_value(result.total)} ≥ {_value(band.minimum)} 为“{band.grade}”）")
        else:
            out.append(f"等级 {result.grade}：总分 {_value(result.total)} ≥ {_value(band.minimum)}   "
                       f"({ruleset.provenance(band.source)})")
    return "\n".join(out) + "\n"
