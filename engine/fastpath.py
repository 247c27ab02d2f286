"""The lean scorer: the rules of engine.evaluate, without building traces up front.

``evaluate.py`` says what a score is and builds its trace (the reference
path). This module computes the same scores with what can be prepared once
per ruleset, in a ``Plan``, and returns rows whose fields are
filled in when first read: the indicator's fields are copied, and the trace
(its method known at once) is built by the reference code from the same
inputs; a trace that disagrees with the row's score raises
``InternalError``. JSON and Markdown output read only ``trace.method``.

Anything out of the ordinary (a mistake in a file, a formula that fails, a
unit that needs converting between kinds) is handed to the reference path,
so errors and their messages are the reference path's own.

Objects are made with ``new_instance`` (one ``__dict__``, not one frozen
setattr per field); their fields are those an ordinary construction gives.
"""
from __future__ import annotations

import dataclasses
import operator
from decimal import Decimal
from functools import lru_cache

from .errors import InternalError
from .model import ROUNDING_MODES, GroupScore, Indicator, Ruleset, Score, Trace
from .targets import DATE, GROWTH, QUANTITY, bound_within, convert, normalize

ZERO = Decimal(0)
HUNDRED = Decimal(100)
_COMPARE = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "=": operator.eq}
_SCORE_FIELDS = tuple(f.name for f in dataclasses.fields(Score))
# Score fields that are the indicator's own, as they are (target and actual are texts in a Score).
_COPIED_FIELDS = tuple(f.name for f in dataclasses.fields(Indicator)
                       if f.name in _SCORE_FIELDS and f.name not in ("target", "actual", "applicable"))
_new = object.__new__
_set = object.__setattr__


def new_instance(cls, values: dict):
    """An instance of the dataclass ``cls`` whose fields are ``values`` (all of them)."""
    obj = _new(cls)
    _set(obj, "__dict__", values)
    return obj


flat = lru_cache(maxsize=8192)(normalize)  # texts are at most 200 characters


class _Filled:
    """A dataclass field filled in by ``fill(instance)`` when first read; then a plain attribute.

    A non-data descriptor, as functools.cached_property: once the value is in
    the instance's ``__dict__``, reads go straight there.
    """

    def __init__(self, fill):
        self.fill = fill

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        self.fill(instance)
        return instance.__dict__[self.name]


def _fill_from_indicator(row) -> None:
    values = row.__dict__
    copied = values["_recipe"][2].__dict__
    for name in _COPIED_FIELDS:
        if name not in values:
            values[name] = copied[name]
    for name in ("target", "actual"):
        if name not in values:
            measure = copied[name]
            values[name] = measure.text if measure else ""


def _start_trace(row) -> None:
    values = row.__dict__
    if "trace" not in values:
        recipe = values["_recipe"]
        known = {"method": recipe[4], "_recipe": recipe[:5], "_score": row.score}
        if len(recipe) > 5:  # what the review checks read of every row, known without building the trace
            known["met"], known["band"] = recipe[5], recipe[6]
        values["trace"] = new_instance(DeferredTrace, known)


def _fill_trace(trace) -> None:
    values = trace.__dict__
    kind, ruleset, subject, allotted, method = recipe = values["_recipe"]
    if kind == "budget":
        from .evaluate import score_budget as reference

        _, built = reference(ruleset, subject)
    else:
        from .evaluate import score_indicator

        built = score_indicator(ruleset, subject, allotted)
    if built.trace is None or built.score != values["_score"] or built.trace.method != method:
        raise InternalError(f"the trace of `{built.name}` gives {built.score} by {built.trace and built.trace.method}, "
                            f"the fast path {values['_score']} by {method} ({recipe[0]})")
    for name, value in built.trace.__dict__.items():
        values.setdefault(name, value)


class DeferredTrace(Trace):
    """A Trace whose method is known at once and whose other fields are
    built when first read, by the reference path (evaluate.score_indicator
    or evaluate.score_budget), which must give the same score and method."""


class DeferredScore(Score):
    """A Score made by the fast path, whose fields are filled in when first read.

    ``score``, ``allotted`` and ``applicable`` are set at once; the fields
    copied from the indicator when one of them is first read; the trace is a
    DeferredTrace. After a field is read it is an ordinary attribute; the
    class's methods (equality, repr, pickling, ``dataclasses.replace``) read
    fields as attributes, so they see the filled-in values.
    """


def _defer(cls, names, fill) -> None:
    for name in names:
        descriptor = _Filled(fill)
        descriptor.__set_name__(cls, name)
        setattr(cls, name, descriptor)


_defer(DeferredScore, ("level1", "level2", "name", "weight", "target", "actual", "reported_score",
                       "explanation", "note", "source"), _fill_from_indicator)
_defer(DeferredScore, ("trace",), _start_trace)
_defer(DeferredTrace, [f.name for f in dataclasses.fields(Trace) if f.name != "method"], _fill_trace)


class Plan:
    """What scoring needs from a ruleset, prepared once."""

    def __init__(self, ruleset: Ruleset):
        self.ruleset = ruleset
        rounding = ruleset.rounding
        self.quantum = Decimal(1).scaleb(-rounding.places)
        self.mode = ROUNDING_MODES[rounding.mode]
        self.achieved = frozenset(normalize(w) for w in ruleset.targets.achieved_words)
        self.missed = frozenset(normalize(w) for w in ruleset.targets.missed_words)
        self.level_words = {
            name: tuple(frozenset(normalize(w) for w in level.words) for level in method.levels)
            for name, method in ruleset.methods.items()
        }
        # The target's comparator as written -> (comparator scored, method), as
        # choose_method and _comparator decide; None where the ruleset has no method.
        self.by_comparator = {}
        for written in (None, ">=", ">", "<=", "<", "="):
            comparator = written or ruleset.targets.bare_comparator
            if comparator == "=" and ruleset.targets.equal_as != "=":
                comparator = ruleset.targets.equal_as
            name = ruleset.method_for.get(comparator)
            self.by_comparator[written] = (comparator, ruleset.methods[name] if name else None)
        name = ruleset.method_for.get("qualitative")
        self.qualitative = ruleset.methods[name] if name else None
        name = ruleset.method_for.get("date", name)
        self.deadline = ruleset.methods[name] if name else None
        self.groups = tuple(g.name for g in ruleset.groups)

    def round(self, value: Decimal) -> Decimal:
        return value.quantize(self.quantum, rounding=self.mode)


_PLANS: dict = {}


def plan_for(ruleset: Ruleset) -> Plan:
    found = _PLANS.get(id(ruleset))
    if found is None or found.ruleset is not ruleset:
        if len(_PLANS) > 16:
            _PLANS.clear()
        found = _PLANS[id(ruleset)] = Plan(ruleset)
    return found


class _Fallback(Exception):
    """This row needs the reference path (an error to report, or a rare case)."""


def _as_decimal(value) -> Decimal:
    if isinstance(value, (bool, int)):
        return Decimal(int(value))
    if isinstance(value, Decimal):
        return value
    raise _Fallback


def _run(formula, names) -> Decimal:
    try:
        value = formula.run(names)
    except Exception:  # noqa: BLE001 - the reference path reports it
        raise _Fallback from None
    if value.__class__ is not Decimal:
        value = _as_decimal(value)
    if not value.is_finite():
        raise _Fallback
    return value


def _numeric(plan: Plan, target, actual, comparator):
    """(met, actual value in the target's terms), as evaluate.judge decides it."""
    if actual.kind == "qualitative":
        if flat(actual.text) in plan.achieved:
            return True, target.value
        raise _Fallback
    kind = actual.kind
    if target.kind == GROWTH and kind == QUANTITY and actual.unit in ("%", ""):
        kind = GROWTH
    if kind != target.kind:
        raise _Fallback
    value = actual.value
    unit = actual.unit or target.unit
    if unit != target.unit and target.unit:
        value = convert(value, unit, target.unit)
        if value is None:
            raise _Fallback
    if actual.comparator and actual.comparator != "=":
        return bound_within(actual.comparator, value, comparator, target.value), value
    return _COMPARE[comparator](value, target.value), value


def _level(plan: Plan, method, ind):
    """(met, level), as evaluate._judge_level decides it."""
    levels = method.levels
    if ind.level:
        for level in levels:
            if level.name == ind.level:
                return level is levels[0], level
        raise _Fallback
    target, actual = ind.target, ind.actual
    if not target.is_qualitative:
        comparator = plan.by_comparator.get(target.comparator, (None,))[0]
        if comparator is None:
            raise _Fallback
        met, _ = _numeric(plan, target, actual, comparator)
        if met:
            return True, levels[0]
        raise _Fallback
    text = flat(actual.text)
    for level, words in zip(levels, plan.level_words[method.name]):
        if text in words:
            return level is levels[0], level
    if text in plan.missed:
        return False, levels[-1]
    if text in plan.achieved:
        return True, levels[0]
    if actual.kind == "qualitative" and text == flat(target.text):
        return True, levels[0]
    raise _Fallback


def _point(method, level, ind, weight):
    if level.fixed is not None:
        return level.fixed
    if ind.reported_score is not None and weight:
        fraction = ind.reported_score / weight
        if level.low <= fraction <= level.high:
            return fraction
    if method.point == "top":
        return level.high
    if method.point == "bottom":
        return level.low
    return (level.low + level.high) / 2


def score_row(plan: Plan, ind, allotted: Decimal) -> Score:
    """One indicator row, scored as evaluate.score_indicator scores it (kept flat: the hot path)."""
    if not ind.applicable:
        row = _new(DeferredScore)
        _set(row, "__dict__", {"applicable": False, "score": None, "allotted": allotted, "trace": None,
                               "_recipe": ("row", plan.ruleset, ind, allotted, None)})
        return row
    target = ind.target
    ruleset = plan.ruleset
    try:
        if ind.method:
            method = ruleset.methods[ind.method]
        elif target.kind == "qualitative":
            method = plan.qualitative
        elif target.kind == DATE:
            method = plan.deadline  # as evaluate.choose_method: method_for.date, else the qualitative method
        else:
            method = plan.by_comparator[target.comparator][1]
        if method is None or method.table is not None:
            raise _Fallback  # decision tables take the reference path
        if target.kind == "qualitative" or method.kind == "qualitative":
            if method.kind != "qualitative":
                raise _Fallback
            met, level = _level(plan, method, ind)
            names = {"weight": allotted, "met": met, "point": _point(method, level, ind, allotted)}
            band = (level.fixed, level.fixed, level.name) if level.fixed is not None else (level.low, level.high, level.name)
        else:
            comparator = plan.by_comparator[target.comparator][0]
            actual = ind.actual
            if actual.kind == target.kind and actual.unit == target.unit and not actual.comparator:
                value = actual.value  # the common case of _numeric, inline
                met = _COMPARE[comparator](value, target.value)
            else:
                met, value = _numeric(plan, target, actual, comparator)
            names = {"weight": allotted, "met": met, "target": target.value, "actual": value}
            band = None
        raw = _run(method.formula, names)
    except _Fallback:
        from .evaluate import score_indicator

        return score_indicator(ruleset, ind, allotted)
    if raw < ZERO:
        raw = ZERO
    elif raw > allotted:
        raw = allotted
    row = _new(DeferredScore)
    _set(row, "__dict__", {"applicable": True, "score": raw.quantize(plan.quantum, plan.mode),
                           "allotted": allotted, "_recipe": ("row", ruleset, ind, allotted, method.name, met, band)})
    return row


def score_budget(plan: Plan, project):
    """(rate, the 预算执行率 row), as evaluate.score_budget computes them."""
    ruleset = plan.ruleset
    rule, budget = ruleset.budget, project.budget
    names = {
        "initial": budget.initial, "full_year": budget.full_year,
        "adjusted": budget.adjusted if budget.adjusted is not None else budget.full_year,
        "executed": budget.executed,
    }
    try:
        rate = _run(rule.rate, names)
        names["weight"] = rule.weight
        names["rate"] = rate
        raw = _run(rule.score, names)
    except _Fallback:
        from .evaluate import score_budget as reference

        return reference(ruleset, project)
    if raw < ZERO:
        raw = ZERO
    elif raw > rule.weight:
        raw = rule.weight
    row = new_instance(DeferredScore, {
        "level1": "", "level2": "", "name": rule.name, "weight": rule.weight, "target": "100%",
        "actual": f"{plan.round(rate * HUNDRED)}%", "applicable": True, "score": plan.round(raw),
        "reported_score": None, "explanation": "", "note": "", "source": budget.source,
        "allotted": rule.weight, "_recipe": ("budget", ruleset, project, rule.weight, "budget_execution"),
    })
    return rate, row


def score_project(ruleset: Ruleset, project):
    """(rate, budget_row, rows, groups, total, max_total, grade), as evaluate_project."""
    plan = _PLANS.get(id(ruleset))
    if plan is None or plan.ruleset is not ruleset:
        plan = plan_for(ruleset)
    rate, budget_row = score_budget(plan, project)
    weights = None
    if ruleset.not_applicable == "redistribute":
        from .evaluate import allotted_weights

        weights = allotted_weights(ruleset, project.indicators)
    # Sums in the order evaluate_project_reference adds them, so that they are equal to the last digit.
    sums = dict.fromkeys(plan.groups, ZERO)
    possible = ZERO
    rows = []
    append = rows.append
    for ind in project.indicators:
        if ind.applicable:
            weight = ind.weight if weights is None else weights.get(id(ind), ind.weight)
            row = score_row(plan, ind, weight)
            possible += weight
            level1 = ind.level1
            if level1 in sums:
                sums[level1] += row.score
        else:
            row = score_row(plan, ind, ZERO if weights is None else weights.get(id(ind), ind.weight))
        append(row)
    groups = []
    earned = ZERO
    for group in ruleset.groups:
        score = sums[group.name]
        earned += score
        weight = group.weight
        if weight is None:  # a weight range: the department's rows set it
            weight = sum((i.weight for i in project.indicators if i.level1 == group.name), ZERO)
        item = _new(GroupScore)
        _set(item, "__dict__", {"name": group.name, "weight": weight, "score": score})
        groups.append(item)
    earned = budget_row.score + earned
    possible = budget_row.weight + possible
    if ruleset.not_applicable == "rescale" and possible:
        base, max_total = earned * HUNDRED / possible, HUNDRED
    else:
        base, max_total = earned, possible
    if project.deductions:  # deductions never take a total below 0
        base = max(ZERO, base - sum((d.points for d in project.deductions), ZERO))
    total = base.quantize(plan.quantum, plan.mode)
    for band in ruleset.grades:
        if total >= band.minimum:
            grade = band.grade
            break
    else:
        grade = ruleset.grades[-1].grade
    return rate, budget_row, tuple(rows), tuple(groups), total, max_total, grade
