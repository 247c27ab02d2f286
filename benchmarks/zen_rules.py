"""The 2025 rules scored with zen-engine's compiled expressions: the benchmark's peer engine.

zen-engine (GoRules' open-source business rules engine: Rust, with Python
bindings; ``pip install zen-engine`` or ``pip install '.[bench]'``) evaluates
expressions in its own language on its own decimal numbers. Here each
scoring formula of rulesets/2025, with the clamp to [0, weight] and the
rounding to 2 places around it, is one ZEN expression compiled once
(``zen.compile_expression``); the same loaded projects as the engine's are
judged in Python exactly as ``benchmarks/handwritten.py`` judges them (the
comparison, unit conversion, qualitative level and point), and every row's
score, the 预算执行率 row's included, comes from ``expression.evaluate(context)``.
zen-engine takes no Decimal in a context, so numbers go in as floats and
scores come back as floats, read back as Decimal from their shortest text.

``score_project`` returns what ``handwritten.score_project`` returns (the
execution rate as computed in Python), so the benchmark counts projects on
which zen-engine and evalrun disagree.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from benchmarks.handwritten import COMPARE, HIGHER, _point
from engine.rules.targets import bound_within, convert

try:
    import zen
except ImportError:  # the optional `bench` extra
    zen = None

CENT = Decimal("0.01")
_ROW = "round(min([max([{formula}, 0]), weight]), 2)"
FORMULAS = {
    "higher_is_better": "met ? weight : (target > 0 ? weight * max([actual, 0]) / target : 0)",
    "lower_is_better": "met ? weight : weight * target / actual",
    "qualitative_levels": "weight * point",
    "budget": "weight * min([executed / full_year, 1])",
}


def available() -> bool:
    return zen is not None


class ZenRules:
    """The 2025 formulas, each compiled once to a zen-engine expression."""

    def __init__(self):
        self.compiled = {name: zen.compile_expression(_ROW.format(formula=formula))
                         for name, formula in FORMULAS.items()}

    def score_project(self, project):
        compiled = self.compiled
        budget = project.budget
        rate = budget.executed / budget.full_year
        budget_score = _decimal(compiled["budget"].evaluate(
            {"weight": 10, "executed": float(budget.executed), "full_year": float(budget.full_year)}))
        scores = []
        total = budget_score
        for ind in project.indicators:
            if not ind.applicable:
                scores.append(None)
                continue
            weight, target, actual = ind.weight, ind.target, ind.actual
            if target.is_qualitative or ind.method == "qualitative_levels" or target.kind == "date":
                context = {"weight": float(weight), "point": float(_point(ind, weight))}
                expression = compiled["qualitative_levels"]
            else:
                comparator = target.comparator or ">="
                if comparator == "=":
                    comparator = ">="
                goal = target.value
                if actual.is_qualitative:
                    met, value = True, goal
                else:
                    value = actual.value
                    if actual.unit and actual.unit != target.unit:
                        value = convert(value, actual.unit, target.unit)
                    if actual.comparator and actual.comparator != "=":
                        met = bound_within(actual.comparator, value, comparator, goal)
                    else:
                        met = COMPARE[comparator](value, goal)
                context = {"weight": float(weight), "met": met, "target": float(goal), "actual": float(value)}
                expression = compiled["higher_is_better" if comparator in HIGHER else "lower_is_better"]
            score = _decimal(expression.evaluate(context))
            scores.append(score)
            total += score
        total = total.quantize(CENT, ROUND_HALF_UP)
        grade = "优" if total >= 90 else "良" if total >= 80 else "中" if total >= 60 else "差"
        return rate, budget_score, scores, total, grade


def _decimal(value) -> Decimal:
    return Decimal(repr(value)).quantize(CENT, ROUND_HALF_UP)
