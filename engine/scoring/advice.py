"""评价结果应用: what a project's result means for next year's budget, as ruleset data.

A ruleset's ``results_use`` section gives the advice of the bureau for each
grade (``by_grade``), and ``rules`` that are tried first, in order, for
particular cases: a set of grades, a range of the total, a range of the
execution rate. The first rule whose conditions all hold gives the advice;
otherwise the grade's. Nothing of any bureau's policy is written here: this
module only reads the section (checking it against the ruleset's grades, with
file:line for every mistake) and applies it.

Ranges are ``from`` (inclusive) ``below`` (exclusive), as grade bands are;
the total and the execution rate are taken as published (rounded by the
ruleset), so a rate printed as 60.00% is not "below 0.6".
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from decimal import Decimal
from typing import Any

from engine.errors import EvalrunError, Source, did_you_mean, raise_all
from engine._util import quick_init
from engine.i18n import tr
from engine.rules.targets import format_number


@dataclass(frozen=True)
class Range:
    low: Decimal | None = None  # inclusive
    high: Decimal | None = None  # exclusive

    def holds(self, value: Decimal) -> bool:
        return (self.low is None or value >= self.low) and (self.high is None or value < self.high)

    def describe(self, name: str, percent: bool = False) -> str:
        shown = (lambda v: f"{format_number(v * 100)}%") if percent else format_number
        if self.low is not None and self.high is not None:
            return f"{name}不低于 {shown(self.low)} 且低于 {shown(self.high)}"
        if self.low is not None:
            return f"{name}不低于 {shown(self.low)}"
        return f"{name}低于 {shown(self.high)}"


@quick_init
@dataclass(frozen=True)
class AdviceRule:
    """One piece of advice and when it applies (a by-grade entry has only ``grades``)."""

    name: str
    advice: str
    grades: tuple = ()  # empty: any grade
    total: Range | None = None
    execution_rate: Range | None = None
    budget_change: Decimal | None = None  # percent of this year's 全年预算数, e.g. -10
    note: str = ""
    source: Source = Source()

    def applies(self, grade: str, total: Decimal, rate: Decimal) -> bool:
        return ((not self.grades or grade in self.grades)
                and (self.total is None or self.total.holds(total))
                and (self.execution_rate is None or self.execution_rate.holds(rate)))

    @cached_property
    def basis(self) -> str:
        return self.conditions()

    def conditions(self) -> str:
        parts = []
        if self.grades:
            parts.append("等级为" + "或".join(self.grades))
        if self.total is not None:
            parts.append(self.total.describe("总分"))
        if self.execution_rate is not None:
            parts.append(self.execution_rate.describe("执行率", percent=True))
        return "，".join(parts)


@dataclass(frozen=True)
class ResultsUse:
    title: str
    rules: tuple  # AdviceRule, tried first, in order
    by_grade: dict  # grade -> AdviceRule
    source: Source = Source()


@dataclass(frozen=True)
class Advice:
    """The advice for one project, and why (for the 汇总, the report, --json and the store)."""

    advice: str
    basis: str  # the conditions that gave it: "等级为优", "等级为优，执行率低于 60%"
    rule: str  # the rule's name, or the grade for a by-grade entry
    budget_change: Decimal | None = None
    note: str = ""
    title: str = "评价结果应用"

    @property
    def text(self) -> str:
        """One line: 保持（等级为优，执行率低于 60%：note）."""
        why = self.basis + (f"：{self.note}" if self.note else "")
        return f"{self.advice}（{why}）" if why else self.advice


def advise(use: ResultsUse | None, grade: str, total: Decimal, rate: Decimal) -> Advice | None:
    """The advice for a result: the first rule that holds, else the grade's; None without a section."""
    if use is None:
        return None
    rule = next((r for r in use.rules if r.applies(grade, total, rate)), None)
    if rule is None:
        rule = use.by_grade.get(grade)
        if rule is None:  # every grade has one: build_results_use checks it
            return None
    return Advice(rule.advice, rule.basis, rule.name, rule.budget_change, rule.note, use.title)


def advice_for(result) -> Advice | None:
    """The advice for a ProjectResult under its own ruleset, from the total and rate as published."""
    global _last_asked
    asked, advice = _last_asked  # one read: another thread may replace it
    if asked is result:  # the store's record and the view each ask, one after the other
        return advice
    ruleset = result.ruleset
    use = getattr(ruleset, "results_use", None)
    advice = None
    if use is not None:
        rate = ruleset.rounding.apply(result.execution_rate * 100) / 100
        advice = advise(use, result.grade, result.total, rate)
    _last_asked = (result, advice)
    return advice


_last_asked: tuple = (None, None)  # (result, its advice): results are frozen, so the advice stays right


# ---------------------------------------------------------------- reading the section


def _number(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _range(spec: Any, where: Source, what: str) -> Range | None:
    if spec is None:
        return None
    low = _number(spec["from"]) if "from" in spec else None
    high = _number(spec["below"]) if "below" in spec else None
    what = tr("advice.what.total") if what == "total" else tr("advice.what.execution_rate")
    if low is None and high is None:
        raise EvalrunError(tr("advice.range_empty", what=what), where)
    if low is not None and high is not None and low >= high:
        raise EvalrunError(tr("advice.range_holds_nothing", what=what, low=low, high=high), where)
    return Range(low, high)


def _grades(names: list, known: list, where: Source) -> tuple:
    for name in names:
        if name not in known:
            raise EvalrunError(tr("advice.not_a_grade", name=name, suggestion=did_you_mean(str(name), known),
                                  grades=", ".join(known)), where)
    return tuple(names)


def _rule(name: str, spec: Any, where: Source, grades: tuple) -> AdviceRule:
    return AdviceRule(
        name=name, advice=spec["advice"], grades=grades,
        total=_range(spec.get("total"), _src(spec, "total", where), "total"),
        execution_rate=_range(spec.get("execution_rate"), _src(spec, "execution_rate", where), "execution_rate"),
        budget_change=_number(spec["budget_change"]) if spec.get("budget_change") is not None else None,
        note=spec.get("note", ""), source=where,
    )


def _src(node: Any, key: str, fallback: Source) -> Source:
    return node.source_of(key) if hasattr(node, "source_of") and key in node else fallback


def build_results_use(spec: Any, grades: tuple) -> ResultsUse:
    """The schema-valid ``results_use`` mapping as rules, checked against the ruleset's grade bands."""
    known = [band.grade for band in grades]
    errors: list[EvalrunError] = []
    section = getattr(spec, "source", Source())
    by_grade = {}
    table = spec["by_grade"]
    for grade, entry in table.items():
        where = _src(table, grade, section)
        try:
            by_grade[grade] = _rule(grade, entry, where, _grades([grade], known, where))
        except EvalrunError as exc:
            errors.append(exc)
    missing = [g for g in known if g not in table]
    if missing:
        errors.append(EvalrunError(
            tr("advice.missing_grade", grades=", ".join(f"`{g}`" for g in missing), example=missing[0]),
            _src(spec, "by_grade", section)))
    rules = []
    for index, entry in enumerate(spec.get("rules") or []):
        where = spec["rules"].source_of(index) if hasattr(spec["rules"], "source_of") else section
        try:
            rule = _rule(entry["name"], entry, where,
                         _grades(entry.get("grades") or [], known, _src(entry, "grades", where)))
        except EvalrunError as exc:
            errors.append(exc)
            continue
        if not rule.grades and rule.total is None and rule.execution_rate is None:
            errors.append(EvalrunError(tr("advice.no_condition", name=rule.name), where))
        rules.append(rule)
    raise_all(errors)
    return ResultsUse(spec.get("title", "评价结果应用"), tuple(rules), by_grade, section)
