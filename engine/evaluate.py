"""evaluate: Ruleset x Project -> scores, each with a trace of how it was computed.

Which method scores a row follows from its target's form (``method_for`` in
the ruleset) unless the row names one. Whether a target was met is decided
here, by the target grammar, so that formulas only say how much a row earns.
"""
from __future__ import annotations

import decimal
from decimal import Decimal

from . import fastpath
from .errors import EvalrunError, Source, did_you_mean
from .formulas import evaluate as run_formula
from .model import Formula, GroupScore, Indicator, Input, Method, Project, Ruleset, Score, Trace
from .targets import DATE, GROWTH, QUANTITY, Measure, bound_within, compare, convert, format_number, normalize

ZERO = Decimal(0)
HUNDRED = Decimal(100)


class Judgement:
    """Whether a target was met, the numbers a formula sees, and why."""

    def __init__(self, met, target=None, actual=None, reason="", level=None):
        self.met, self.target, self.actual, self.reason, self.level = met, target, actual, reason, level


def evaluate_project(ruleset: Ruleset, project: Project):
    """Score every row; returns (rate, budget_row, rows, groups, total, max_total, grade).

    The scores come from engine.fastpath; each row's trace is built by
    ``score_indicator`` (below) when first read.
    """
    return fastpath.score_project(ruleset, project)


def evaluate_project_reference(ruleset: Ruleset, project: Project):
    """The same as ``evaluate_project``, every trace built at once (slow; for tests)."""
    rate, budget_row = score_budget(ruleset, project)
    allotted = allotted_weights(ruleset, project.indicators)
    rows = tuple(score_indicator(ruleset, ind, allotted.get(id(ind), ind.weight)) for ind in project.indicators)
    groups = []
    for group in ruleset.groups:
        members = [r for r in rows if r.level1 == group.name]
        weight = group.weight if group.weight is not None else sum((r.weight for r in members), ZERO)
        groups.append(GroupScore(group.name, weight, sum((r.score for r in members if r.score is not None), ZERO)))
    earned = budget_row.score + sum((g.score for g in groups), ZERO)
    possible = budget_row.weight + sum((r.allotted for r in rows if r.applicable), ZERO)
    if ruleset.not_applicable == "rescale" and possible:
        base, max_total = earned * HUNDRED / possible, HUNDRED
    else:
        base, max_total = earned, possible
    deducted = sum((d.points for d in project.deductions), ZERO)
    total = ruleset.rounding.apply(max(ZERO, base - deducted))  # deductions never take a total below 0
    return rate, budget_row, rows, tuple(groups), total, max_total, grade_for(ruleset, total)


def grade_for(ruleset: Ruleset, total: Decimal) -> str:
    for band in ruleset.grades:
        if total >= band.minimum:
            return band.grade
    return ruleset.grades[-1].grade


def allotted_weights(ruleset: Ruleset, indicators) -> dict:
    """Each applicable row's weight after the ruleset's not-applicable rule."""
    allotted = {id(i): (i.weight if i.applicable else ZERO) for i in indicators}
    if ruleset.not_applicable != "redistribute":
        return allotted
    for group in ruleset.groups:
        members = [i for i in indicators if i.level1 == group.name]
        freed = sum((i.weight for i in members if not i.applicable), ZERO)
        kept = [i for i in members if i.applicable]
        base = sum((i.weight for i in kept), ZERO)
        if freed and base:
            shares = [i.weight + freed * i.weight / base for i in kept]
            for i, share in zip(kept, _round_to_sum(shares, freed + base, ruleset.rounding.places)):
                allotted[id(i)] = share
    return allotted


def _round_to_sum(values: list, total: Decimal, places: int) -> list:
    """Round shares down to the published places, then give the units left to the largest
    remainders: the row weights still add up to ``total``, and a rounded score never
    exceeds its row's weight (12.857… would otherwise score 12.86)."""
    unit = Decimal(1).scaleb(-places)
    floors = [v.quantize(unit, rounding=decimal.ROUND_DOWN) for v in values]
    left = int((total - sum(floors, ZERO)) / unit)
    by_remainder = sorted(range(len(values)), key=lambda k: values[k] - floors[k], reverse=True)
    for k in by_remainder[:left]:
        floors[k] += unit
    return floors


# ---------------------------------------------------------------- budget row


def score_budget(ruleset: Ruleset, project: Project):
    rule, budget = ruleset.budget, project.budget
    src = budget.sources
    names = {
        "initial": budget.initial, "full_year": budget.full_year,
        "adjusted": budget.adjusted if budget.adjusted is not None else budget.full_year,
        "executed": budget.executed,
    }
    where = budget.source
    rate = _run(rule.rate, names, f"{rule.name}: the execution rate formula", where)
    names.update(weight=rule.weight, rate=rate)
    raw = _run(rule.score, names, f"{rule.name}: the execution score formula", where)
    raw, steps = _within(raw, rule.weight)
    rounded = ruleset.rounding.apply(raw)
    inputs = tuple(
        Input(n, names[n], src.get(n, src.get("full_year", where)) if n != "weight" else rule.source,
              "调整后预算数未填，取全年预算数" if n == "adjusted" and budget.adjusted is None else "")
        for n in sorted(rule.rate.names | rule.score.names) if n != "rate"
    ) + (Input("rate", rate, rule.rate.source, f"执行率 = {rule.rate.text}"),)
    trace = Trace(
        method="budget_execution", label=f"{rule.name}：执行率 = {rule.rate.text}", formula=rule.score,
        inputs=inputs, met=None, reason=f"执行率 {percent(rate, ruleset)}", raw=raw, rounded=rounded,
        rounding=ruleset.rounding.describe(), steps=steps,
    )
    row = Score(
        level1="", level2="", name=rule.name, weight=rule.weight, target="100%",
        actual=percent(rate, ruleset), applicable=True, score=rounded, trace=trace,
        source=where, allotted=rule.weight,
    )
    return rate, row


def percent(rate: Decimal, ruleset: Ruleset) -> str:
    return f"{ruleset.rounding.apply(rate * HUNDRED)}%"


# ---------------------------------------------------------------- indicator rows


def score_indicator(ruleset: Ruleset, ind: Indicator, allotted: Decimal) -> Score:
    common = dict(
        level1=ind.level1, level2=ind.level2, name=ind.name, weight=ind.weight,
        target=ind.target.text if ind.target else "", actual=ind.actual.text if ind.actual else "",
        reported_score=ind.reported_score, explanation=ind.explanation, note=ind.note,
        source=ind.source, allotted=allotted,
    )
    if not ind.applicable:
        return Score(applicable=False, score=None, trace=None, **common)
    method = choose_method(ruleset, ind)
    judgement = judge(ruleset, method, ind)
    names = {"weight": allotted, "met": judgement.met}
    inputs = [Input("weight", allotted, ind.sources.get("weight", ind.source),
                    "" if allotted == ind.weight else f"分值 {format_number(ind.weight)}，按不适用规则调整")]
    if method.kind == "quantitative":
        names.update(target=judgement.target, actual=judgement.actual)
        inputs += [
            Input("target", judgement.target, ind.sources.get("target", ind.source), f"年度指标值“{ind.target.text}”"),
            Input("actual", judgement.actual, ind.sources.get("actual", ind.source), f"实际完成值“{ind.actual.text}”"),
        ]
        steps: tuple = ()
        band = None
    else:
        point, how = pick_point(method, judgement.level, ind, allotted)
        names["point"] = point
        inputs.append(Input("point", point, judgement.level.source, how))
        steps = ()
        level = judgement.level
        band = (level.fixed, level.fixed, level.name) if level.fixed is not None else (level.low, level.high, level.name)
    inputs.append(Input("met", judgement.met, ind.sources.get("actual", ind.source), judgement.reason))
    used = [i for i in inputs if i.name in method.formula.names or i.name in ("met",)]
    formula = method.formula
    if method.table is not None:
        formula, row_step = _table_row(method, names, ind)
        used = [i for i in inputs if i.name in method.formula.names | formula.names or i.name == "met"]
        steps = steps + (row_step,)
    raw = _run(formula, names, f"`{ind.label}`: the formula of `{method.name}`", ind.source)
    raw, clamp_steps = _within(raw, allotted)
    rounded = ruleset.rounding.apply(raw)
    trace = Trace(
        method=method.name, label=method.label, formula=formula, inputs=tuple(used),
        met=judgement.met, reason=judgement.reason, raw=raw, rounded=rounded,
        rounding=ruleset.rounding.describe(), steps=steps + clamp_steps, band=band,
    )
    return Score(applicable=True, score=rounded, trace=trace, **common)


def _table_row(method: Method, names: dict, ind: Indicator):
    """The score formula of the first table row whose range holds the input, and the step that says so."""
    table = method.table
    value = _run(table.input, names, f"`{ind.label}`: the table input of `{method.name}`", ind.source)
    for index, row in enumerate(table.rows, start=1):
        if (row.low is None or value >= row.low) and (row.high is None or value <= row.high):
            return row.score, (f"查表：{table.input.text} = {format_number(value)}，"
                               f"落在第 {index} 行 {row.describe()}（{row.source}），得分 {row.score.text}")
    raise EvalrunError(  # pragma: no cover - tables are checked for gaps at load
        f"`{ind.label}`: no row of the table of `{method.name}` holds {format_number(value)}", ind.source)


def choose_method(ruleset: Ruleset, ind: Indicator) -> Method:
    if ind.method:
        return ruleset.methods[ind.method]
    if ind.target.is_qualitative:
        key = "qualitative"
    elif ind.target.kind == DATE:
        # A deadline has no meaningful ratio: met is the top level, missed needs a level.
        key = "date" if "date" in ruleset.method_for else "qualitative"
    else:
        key = _comparator(ruleset, ind.target)
    name = ruleset.method_for.get(key)
    if name is None:
        raise EvalrunError(
            f"`{ind.label}`: the ruleset names no method for targets of the form `{key}` (method_for); "
            "add one or give the indicator a `method`",
            ind.sources.get("target", ind.source),
        )
    return ruleset.methods[name]


def _comparator(ruleset: Ruleset, target: Measure) -> str:
    comparator = target.comparator or ruleset.targets.bare_comparator
    if comparator == "=" and ruleset.targets.equal_as != "=":
        comparator = ruleset.targets.equal_as
    return comparator


def judge(ruleset: Ruleset, method: Method, ind: Indicator) -> Judgement:
    where = ind.sources.get("actual", ind.source)
    if ind.target.is_qualitative or method.kind == "qualitative":
        return _judge_level(ruleset, method, ind, where)
    return _judge_numeric(ruleset, ind, where)


def _judge_numeric(ruleset: Ruleset, ind: Indicator, where: Source) -> Judgement:
    """Compare a numeric actual with a numeric target by the target's comparison."""
    target, actual = ind.target, ind.actual
    comparator = _comparator(ruleset, target)
    if actual.is_qualitative:
        if normalize(actual.text) in map(normalize, ruleset.targets.achieved_words):
            return Judgement(True, target.value, target.value,
                             f"实际完成值“{actual.text}”表示已达到目标，按实际值 = 目标值计")
        raise EvalrunError(
            f"`{ind.label}`: the actual value `{actual.text}` gives no number to compare with the target "
            f"`{target.text}`; write the value reached (for example `{format_number(target.value)}{target.unit}`)",
            where,
        )
    value = _actual_in_target_terms(ind, target, actual, where)
    if actual.comparator and actual.comparator != "=":
        met = bound_within(actual.comparator, value, comparator, target.value)
        reason = (f"实际“{actual.describe()}”{'落在' if met else '未落在'}目标“"
                  f"{_with(target, comparator)}”之内")
    else:
        met = compare(value, comparator, target.value)
        reason = (f"{format_number(value)}{target.unit} {'满足' if met else '未满足'} "
                  f"{_with(target, comparator)}")
    return Judgement(met, target.value, value, reason)


def _with(target: Measure, comparator: str) -> str:
    return Measure(target.text, target.kind, comparator, target.value, target.unit).describe()


def _actual_in_target_terms(ind: Indicator, target: Measure, actual: Measure, where: Source) -> Decimal:
    kind = actual.kind
    if target.kind == GROWTH and kind == QUANTITY and actual.unit in ("%", ""):
        kind = GROWTH  # `32.6%` against `增长 5.5% 以上` is the growth rate
    if kind != target.kind:
        words = {QUANTITY: "an amount", GROWTH: "a growth rate", DATE: "a date"}
        raise EvalrunError(
            f"`{ind.label}`: the target `{target.text}` is {words[target.kind]} but the actual value "
            f"`{actual.text}` is {words[kind]}; write both the same way",
            where,
        )
    unit = actual.unit or target.unit
    value = convert(actual.value, unit, target.unit)
    if value is None:
        raise EvalrunError(
            f"`{ind.label}`: the actual value `{actual.text}` is in {unit} but the target `{target.text}` "
            f"is in {target.unit}; use the target's unit",
            where,
        )
    return value


def _judge_level(ruleset: Ruleset, method: Method, ind: Indicator, where: Source) -> Judgement:
    if method.kind != "qualitative":
        raise EvalrunError(
            f"`{ind.label}`: the target `{ind.target.text}` is qualitative, but the method `{method.name}` "
            "is quantitative; use a qualitative method",
            ind.sources.get("method", ind.sources.get("target", ind.source)),
        )
    levels = method.levels
    if ind.level:
        for level in levels:
            if level.name == ind.level:
                return Judgement(level is levels[0], reason=f"自评选定档次“{level.name}”", level=level)
        raise EvalrunError(
            f"`{ind.label}`: the level `{ind.level}` is not a level of `{method.name}`"
            f"{did_you_mean(ind.level, [lv.name for lv in levels])}; "
            f"expected one of: {', '.join(lv.name for lv in levels)}",
            ind.sources.get("level", ind.source),
        )
    if not ind.target.is_qualitative:
        # A numeric target scored by levels: reaching it is the top level.
        numeric = _judge_numeric(ruleset, ind, where)
        if numeric.met:
            top = levels[0]
            return Judgement(True, numeric.target, numeric.actual, f"{numeric.reason}，属于“{top.name}”", top)
        raise EvalrunError(
            f"`{ind.label}`: the target `{ind.target.text}` was not reached ({numeric.reason}); "
            f"add `level:` with one of: {', '.join(lv.name for lv in levels)}",
            where,
        )
    return _level_from_words(ruleset, method, ind, where)


def _level_from_words(ruleset: Ruleset, method: Method, ind: Indicator, where: Source) -> Judgement:
    target, actual = ind.target, ind.actual
    flat = normalize(actual.text)
    top, bottom = method.levels[0], method.levels[-1]
    for level in method.levels:
        if flat in map(normalize, level.words):
            return Judgement(level is top, reason=f"实际“{actual.text}”属于“{level.name}”", level=level)
    if flat in map(normalize, ruleset.targets.missed_words):
        return Judgement(False, reason=f"实际“{actual.text}”表示未达成，属于“{bottom.name}”", level=bottom)
    if flat in map(normalize, ruleset.targets.achieved_words):
        return Judgement(True, reason=f"实际“{actual.text}”表示已达成，属于“{top.name}”", level=top)
    if not actual.is_qualitative:
        raise EvalrunError(
            f"`{ind.label}`: the target `{target.text}` has no number, so it is read as qualitative, "
            f"but the actual value `{actual.text}` is a number; write the target with digits (`≥500 人次`) "
            "or the actual value in words",
            ind.sources.get("target", ind.source),
        )
    if flat == normalize(target.text):
        return Judgement(True, reason=f"实际完成值与年度指标值一致（“{actual.text}”），属于“{top.name}”", level=top)
    raise EvalrunError(
        f"`{ind.label}`: cannot tell which level the actual value `{actual.text}` reaches for the target "
        f"`{target.text}`; write the target's words when it was reached, or add `level:` with one of: "
        f"{', '.join(lv.name for lv in method.levels)}",
        where,
    )


def pick_point(method: Method, level, ind: Indicator, weight: Decimal):
    """The fraction of the weight a qualitative row earns inside its level's band."""
    if level.fixed is not None:
        return level.fixed, f"“{level.name}”档，固定取 {format_number(level.fixed)}"
    if ind.reported_score is not None and weight:
        fraction = ind.reported_score / weight
        if level.low <= fraction <= level.high:
            return fraction, f"“{level.name}”档（{level.low}–{level.high}），取自评得分 {format_number(ind.reported_score)} 所在点"
    point = {"top": level.high, "bottom": level.low, "middle": (level.low + level.high) / 2}[method.point]
    where = {"top": "上限", "bottom": "下限", "middle": "中点"}[method.point]
    return point, f"“{level.name}”档（{level.low}–{level.high}），取{where}"


# ---------------------------------------------------------------- helpers


def _run(formula: Formula, names: dict, what: str, where: Source) -> Decimal:
    try:
        value = run_formula(formula, names)
    except (ArithmeticError, TypeError, ValueError) as exc:
        shown = ", ".join(f"{k}={_show(v)}" for k, v in names.items() if k in formula.names)
        hint = ""
        if _divides_by_zero(exc):
            reason = "division by zero"
            hint = (f"; correct the value that is 0, or guard the division in the ruleset "
                    f"({formula.source}), e.g. `a / b if b > 0 else 0`")
        else:
            reason = str(exc) or type(exc).__name__
        raise EvalrunError(f"{what} `{formula.text}` failed: {reason} (with {shown}){hint}", where) from None
    except Exception as exc:  # simpleeval's own refusals, e.g. NumberTooHigh
        raise EvalrunError(f"{what} `{formula.text}` failed: {exc}", where) from None
    if not isinstance(value, Decimal) or not value.is_finite():
        raise EvalrunError(f"{what} `{formula.text}` gave {value!r}, not a number", where)
    return value


def _divides_by_zero(exc: Exception) -> bool:
    # The C decimal module raises InvalidOperation([DivisionUndefined]) for 0 / 0.
    kinds = (ZeroDivisionError, decimal.DivisionByZero, decimal.DivisionUndefined)
    causes = exc.args[0] if exc.args and isinstance(exc.args[0], list) else []
    return isinstance(exc, kinds) or any(isinstance(c, type) and issubclass(c, kinds) for c in causes)


def _show(value) -> str:
    if isinstance(value, Decimal):
        return format_number(value)
    return str(value)


def _within(raw: Decimal, weight: Decimal):
    if raw < ZERO:
        return ZERO, (f"公式结果 {format_number(raw)} 低于 0，按 0 计",)
    if raw > weight:
        return weight, (f"公式结果 {format_number(raw)} 超过分值，按分值 {format_number(weight)} 计",)
    return raw, ()
