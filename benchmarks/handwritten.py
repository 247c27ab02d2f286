"""The 2025 ruleset's scoring rules written by hand: the benchmark's baseline.

What a careful Python developer would write without a rules engine, for the
rules of rulesets/2025/ruleset.yaml only: the same methods, the same Decimal
arithmetic and half-up rounding to 2 places, on the same parsed projects
(targets read by the target grammar at load, as the engine's are). No trace
is kept. ``score_project`` returns what the benchmark compares with the
engine for every project: execution rate, 预算执行率 score, each row's
score (None when 不适用), total and grade.
"""
from __future__ import annotations

import operator
from decimal import ROUND_HALF_UP, Decimal

from engine.rules.targets import bound_within, convert, normalize

ZERO, ONE, TEN = Decimal(0), Decimal(1), Decimal(10)
CENT = Decimal("0.01")
COMPARE = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "=": operator.eq}
HIGHER = {">=", ">"}

ACHIEVED = {normalize(w) for w in ("达成预期指标", "达到预期", "完成", "已完成", "全部完成", "有效", "合规", "及时",
                                   "达标", "满意", "显著提升", "效果明显")}
MISSED = {normalize(w) for w in ("未完成", "未达成", "未达到", "不及时", "未达标", "无效", "不合规")}
PARTIAL = {normalize(w) for w in ("部分完成", "基本完成", "部分达成", "基本达成")}
# (name, from, to) of the qualitative levels, best first.
LEVELS = (("达成年度指标", Decimal("0.8"), ONE), ("部分达成并具有一定效果", Decimal("0.6"), Decimal("0.8")),
          ("未达成且效果较差", ZERO, Decimal("0.6")))
LEVEL_INDEX = {name: i for i, (name, _, _) in enumerate(LEVELS)}


def score_project(project):
    budget = project.budget
    rate = budget.executed / budget.full_year
    budget_score = min(max(TEN * min(rate, ONE), ZERO), TEN).quantize(CENT, ROUND_HALF_UP)
    scores = []
    total = budget_score
    for ind in project.indicators:
        if not ind.applicable:
            scores.append(None)
            continue
        weight, target, actual = ind.weight, ind.target, ind.actual
        if target.is_qualitative or ind.method == "qualitative_levels" or target.kind == "date":
            score = weight * _point(ind, weight)  # a deadline met is the top level; missed, its named level
        else:
            comparator = target.comparator or ">="
            if comparator == "=":
                comparator = ">="
            goal = target.value
            if actual.is_qualitative:  # an achieved word against a number: as reached
                met, value = True, goal
            else:
                value = actual.value
                if actual.unit and actual.unit != target.unit:
                    value = convert(value, actual.unit, target.unit)
                if actual.comparator and actual.comparator != "=":
                    met = bound_within(actual.comparator, value, comparator, goal)
                else:
                    met = COMPARE[comparator](value, goal)
            if met:
                score = weight
            elif comparator in HIGHER:
                score = weight * max(value, ZERO) / goal if goal > 0 else ZERO
            else:
                score = weight * goal / value
        score = min(max(score, ZERO), weight).quantize(CENT, ROUND_HALF_UP)
        scores.append(score)
        total += score
    total = total.quantize(CENT, ROUND_HALF_UP)
    grade = "优" if total >= 90 else "良" if total >= 80 else "中" if total >= 60 else "差"
    return rate, budget_score, scores, total, grade


def _point(ind, weight):
    """The fraction of the weight a qualitative row earns."""
    if ind.level:
        index = LEVEL_INDEX[ind.level]
    elif not ind.target.is_qualitative:
        index = 0  # a numeric target scored by levels, reached
    else:
        flat = normalize(ind.actual.text)
        if flat in PARTIAL:
            index = 1
        elif flat in MISSED:
            index = 2
        else:  # an achieved word, or the target's own words
            index = 0
    _, low, high = LEVELS[index]
    if ind.reported_score is not None and weight:
        fraction = ind.reported_score / weight
        if low <= fraction <= high:
            return fraction
    return high


def engine_scores(result_tuple):
    """The same figures from engine.scoring.evaluate.evaluate_project's result."""
    rate, budget_row, rows, _groups, total, _max_total, grade = result_tuple
    return rate, budget_row.score, [r.score for r in rows], total, grade
