"""Applying a ruleset's rules on the total (engine.rules.totals) to a scored project.

Each rule's condition is computed by the same compiled formula code as every
other formula (engine.scoring.evaluate.formula_value); a rule that holds caps
or sets the total, which is rounded as rows are, and the grade follows the
new total. What each rule did is kept on the result (``adjustments``) for
``explain``, the reports and ``--json``.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from engine.errors import EvalrunError
from engine.i18n import tr, tr_in
from engine.model import Project, Ruleset
from engine.scoring import numeric
from engine.scoring.evaluate import formula_value
from engine.rules.targets import format_number


@dataclass(frozen=True)
class TotalAdjustment:
    """One rule on the total that held for a project, and what it did."""

    rule: object  # engine.rules.totals.TotalRule
    before: Decimal
    after: Decimal
    values: tuple  # (name, value) the condition saw

    @property
    def text(self) -> str:
        """What the rule did, as the reports print it (Chinese, the reports' language)."""
        return self.describe("zh_CN")

    def describe(self, language: str) -> str:
        """What the rule did, in ``language`` (``explain`` speaks the console's)."""
        rule = self.rule
        shown = dict(when=rule.when.text, name=rule.name, before=format_number(self.before),
                     after=format_number(self.after))
        if rule.cap is not None:
            return tr_in(language, "total_rule.capped", cap=format_number(rule.cap), **shown)
        return tr_in(language, "total_rule.set", formula=rule.set.text, **shown)


def grade_of(ruleset: Ruleset, total: Decimal) -> str:
    return next((band.grade for band in ruleset.grades if total >= band.minimum), ruleset.grades[-1].grade)


def apply_total_rules(ruleset: Ruleset, project: Project, rate: Decimal, total: Decimal, max_total: Decimal,
                      grade: str) -> tuple:
    """(total, grade, adjustments) after the ruleset's rules on the total; unchanged when none holds."""
    rules = ruleset.total_rules
    if not rules:
        return total, grade, ()
    shown_rate = ruleset.rounding.apply(rate * 100) / 100 if rate is not None else Decimal(0)
    adjustments = []
    for rule in rules:
        names = {"rate": shown_rate, "total": total, "max_total": max_total,
                 "full_year": project.budget.full_year, "executed": project.budget.executed}
        holds = _value(rule, rule.when, names)
        if not holds:
            continue
        before = total
        if rule.cap is not None:
            total = min(total, rule.cap)
        else:
            total = max(Decimal(0), min(max_total, ruleset.rounding.apply(_value(rule, rule.set, names))))
        used = tuple((name, names[name]) for name in sorted(rule.when.names))
        adjustments.append(TotalAdjustment(rule, before, total, used))
    if not adjustments:
        return total, grade, ()
    return total, grade_of(ruleset, total), tuple(adjustments)


def _value(rule, formula, names) -> Decimal:
    try:
        return formula_value(formula, names)
    except (ArithmeticError, TypeError, ValueError) as exc:
        raise EvalrunError(tr("totals.failed", name=rule.name, text=formula.text, reason=numeric.failure_reason(exc),
                              where=formula.source), formula.source) from None
