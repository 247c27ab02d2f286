"""Rules on the total (总分规则): ruleset data that caps or sets a project's total when a condition holds.

Some provinces' 一体化 systems cap the total when spending lags (执行率低于 60% 的，
总分最高 69 分). A ruleset says so in ``total_rules``: each rule has a
condition ``when`` and either a ``cap`` (the total is at most this) or a
``set`` formula (the new total). Both are formulas of the one checked
language (engine.rules.formulas), parsed when the ruleset loads; the rules
are applied in order, after deductions (engine.scoring.totals), and
``evalrun explain`` shows each one that applied, with its file and line.

A group's score never exceeds its weight, and the total never exceeds the
stated 总分: the scorer does that for every ruleset (engine.scoring.scorer_codegen).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from engine.errors import EvalrunError, Source, raise_all
from engine.i18n import tr
from engine.rules.formulas import Formula, compile_formula
from engine.rules.named import first_of_each_name

# The names a total rule's formulas see: the execution rate as printed (0.5532 for 55.32%), the total
# before this rule, the most it could score, and the budget amounts.
TOTAL_NAMES = ("rate", "total", "max_total", "full_year", "executed")



@dataclass(frozen=True)
class TotalRule:
    name: str
    when: Formula
    cap: Decimal | None = None
    set: Formula | None = None
    note: str = ""
    source: Source = Source()

    def describe(self) -> str:
        effect = f"总分不超过 {_num(self.cap)}" if self.cap is not None else f"总分 = {self.set.text}"
        return f"{self.name}：当 {self.when.text} 时，{effect}"


def _num(value: Decimal) -> str:
    from engine.rules.targets import format_number

    return format_number(value)


def build_total_rules(specs) -> tuple:
    """The ``total_rules`` section (schema-valid) as TotalRules, every mistake with its file:line."""
    rules, errors = [], []
    twice = lambda name, line: tr("totals.twice", name=name, line=line)  # noqa: E731
    for _, spec, where in first_of_each_name(specs, errors, twice):
        name = spec["name"]
        if "cap" not in spec and "set" not in spec:
            errors.append(EvalrunError(tr("totals.no_effect", name=name), where))
            continue
        if "cap" in spec and "set" in spec:
            errors.append(EvalrunError(tr("totals.both", name=name), spec.key_source("set")))
            continue
        try:
            when = compile_formula(spec["when"], spec.source_of("when"), TOTAL_NAMES, tr("totals.what.when"))
            new = (compile_formula(spec["set"], spec.source_of("set"), TOTAL_NAMES, tr("totals.what.set"))
                   if "set" in spec else None)
        except EvalrunError as exc:
            errors.append(exc)
            continue
        cap = Decimal(str(spec["cap"])) if "cap" in spec else None
        rules.append(TotalRule(name, when, cap, new, spec.get("note", ""),
                               spec.source_of("cap") if cap is not None else spec.source_of("set")))
    raise_all(errors)
    return tuple(rules)
