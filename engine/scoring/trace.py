"""Traces: how each score was computed, recorded by an observer of the scorer.

The scorer (engine.scoring.evaluate) runs with ``tracer=None`` (no trace work at
all) or with a ``FullTracer``, as openfisca-core's simulations run with a
simple or a full tracer. The generated routes call the tracer, when there
is one, with the values they computed: ``formula`` before each formula
runs (the last one is what an error message names), then ``numeric``,
``level`` or ``budget`` with the row; the tracer words the judgement,
lists the inputs with the file:line each came from and attaches the
``Trace`` to the row.

A row scored without a tracer is a ``Scored``: its ``trace`` is made when
first read, a ``LazyTrace`` that knows its method, ``met`` and band at once
(the review checks read only those) and fills in its other fields by
scoring that one row again with a FullTracer: the same code, so the trace
explains exactly the score that was published.
"""
from __future__ import annotations

import dataclasses
from decimal import Decimal

import engine.scoring.judge as judge
from engine.errors import InternalError
from engine.i18n import label, language, tr
from engine.model import Input, Score, Trace
from engine.rules.targets import format_number

_new = object.__new__
_set = object.__setattr__


class FullTracer:
    """Records every row's Trace; remembers the last formula started (for error messages)."""

    def __init__(self, ruleset):
        self.ruleset = ruleset
        self.rounding = ruleset.rounding.describe(language())
        self.last = None

    def formula(self, formula, role, subject, owner, values) -> None:
        self.last = (formula, role, subject, owner, values)

    def numeric(self, row, ind, method, formula, comparator, met, target, actual, raw, table) -> None:
        sources, where = ind.sources, ind.source
        reason = judge.numeric_reason(ind, comparator, met, actual)
        inputs = (
            _weight_input(ind, row.allotted),
            Input("target", target, sources.get("target", where), tr("trace.target", text=ind.target.text)),
            Input("actual", actual, sources.get("actual", where), tr("trace.actual", text=ind.actual.text)),
            Input("met", met, sources.get("actual", where), reason),
        )
        names = method.formula.names | formula.names
        steps: tuple = ()
        if table is not None:
            index, value = table
            table_row = method.table.rows[index]
            steps = (tr("trace.table_step", input=method.table.input.text, value=format_number(value), row=index + 1,
                        range=table_row.describe(), source=table_row.source, score=table_row.score.text),)
        self._attach(row, method, formula, inputs, names, met, reason, raw, steps, None)

    def level(self, row, ind, method, level, how, value, point, point_how, met, raw) -> None:
        comparator = None if value is None else judge.comparator_of(self.ruleset, ind.target)
        reason = judge.level_reason(ind, method, level, how, comparator, value)
        inputs = (
            _weight_input(ind, row.allotted),
            Input("point", point, level.source, judge.point_reason(method, level, point_how, ind)),
            Input("met", met, ind.sources.get("actual", ind.source), reason),
        )
        self._attach(row, method, method.formula, inputs, method.formula.names, met, reason, raw, (),
                     judge.band(level))

    def judged(self, row, ind, method, raw) -> None:
        reason = tr("trace.judged_reason", score=format_number(ind.judged), reason=ind.reason)
        given = Input("score", ind.judged, ind.sources.get("score", ind.source),
                      tr("trace.judged_input", reason=ind.reason))
        inputs = (_weight_input(ind, row.allotted), given)
        self._attach(row, method, method.formula, inputs, method.formula.names, None, reason, raw, (), None)

    def _attach(self, row, method, formula, inputs, names, met, reason, raw, steps, band) -> None:
        used = tuple(i for i in inputs if i.name in names or i.name == "met")
        kept = row.score  # rounded; the trace shows the value before rounding, after clamping
        trace = Trace(
            method=method.name, label=method.label, formula=formula, inputs=used, met=met, reason=reason,
            raw=_clamped(raw, row.allotted), rounded=kept, rounding=self.rounding,
            steps=steps + _clamp_steps(raw, row.allotted), band=band,
        )
        row.__dict__["trace"] = trace

    def budget(self, row, project, rate, raw) -> None:
        rule, budget = self.ruleset.budget, project.budget
        src, where = budget.sources, budget.source
        names = {
            "initial": budget.initial, "full_year": budget.full_year,
            "adjusted": budget.adjusted if budget.adjusted is not None else budget.full_year,
            "executed": budget.executed, "weight": rule.weight,
        }
        inputs = tuple(
            Input(n, names[n], src.get(n, src.get("full_year", where)) if n != "weight" else rule.source,
                  tr("trace.adjusted_blank") if n == "adjusted" and budget.adjusted is None else "")
            for n in sorted(rule.rate.names | rule.score.names) if n != "rate"
        ) + (Input("rate", rate, rule.rate.source, tr("trace.rate", formula=rule.rate.text)),)
        row.__dict__["trace"] = Trace(
            method="budget_execution", label=tr("trace.budget_label", name=label(rule), formula=rule.rate.text),
            formula=rule.score, inputs=inputs, met=None, reason=tr("trace.budget_reason", rate=row.actual),
            raw=_clamped(raw, rule.weight), rounded=row.score, rounding=self.rounding,
            steps=_clamp_steps(raw, rule.weight),
        )


def _weight_input(ind, allotted) -> Input:
    note = "" if allotted == ind.weight else tr("trace.weight_adjusted", weight=format_number(ind.weight))
    return Input("weight", allotted, ind.sources.get("weight", ind.source), note)


def _clamped(raw: Decimal, weight: Decimal) -> Decimal:
    return Decimal(0) if raw < 0 else weight if raw > weight else raw


def _clamp_steps(raw: Decimal, weight: Decimal) -> tuple:
    if raw < 0:
        return (tr("trace.below_zero", raw=format_number(raw)),)
    if raw > weight:
        return (tr("trace.above_weight", raw=format_number(raw), weight=format_number(weight)),)
    return ()


# ---------------------------------------------------------------- traces made when first read


class _Filled:
    """A dataclass field filled in by ``fill(instance)`` when first read; then a plain attribute.

    A non-data descriptor, as functools.cached_property: once the value is in
    the instance's ``__dict__``, reads go straight there.
    """

    def __init__(self, name, fill):
        self.name, self.fill = name, fill

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        self.fill(instance)
        return instance.__dict__[self.name]


class Scored(Score):
    """A row made by the scorer.

    What scoring decided (score, allotted weight, method, met, band) is set
    at once; the fields that are the indicator's own (name, weight, texts,
    source...) are copied from it when one is first read, and the trace is
    made when first read (a LazyTrace). Once read, each is an ordinary
    attribute; equality, repr, pickling and ``dataclasses.replace`` read
    fields as attributes, so they see the filled-in values.
    """


class LazyTrace(Trace):
    """A Trace whose method, ``met`` and band are known at once; its other fields are
    filled in when first read, by scoring its row again with a FullTracer."""


_COPIED = ("level1", "level2", "name", "name_en", "weight", "reported_score", "explanation", "note", "source")


def _copy_from_indicator(row) -> None:
    values = row.__dict__
    ind = values["_subject"]
    for name in _COPIED:
        if name not in values:
            values[name] = getattr(ind, name)
    for name in ("target", "actual"):
        if name not in values:
            measure = getattr(ind, name)
            values[name] = measure.text if measure is not None else ""


def _start_trace(row) -> None:
    values = row.__dict__
    if "trace" not in values:
        values["trace"] = new_instance(LazyTrace, {
            "method": row.method, "met": row.met, "band": row.band,
            "_subject": values["_subject"], "_ruleset": values["_ruleset"], "_allotted": values["allotted"],
            "_score": values["score"],
        })


# The scorer (engine/scoring/evaluate.py) registers how to score a row again and how a rate is shown,
# when it is imported: rows are only ever made by it, and this module need not import it back.
SCORER: dict = {}


def _fill_trace(trace) -> None:
    trace_again = SCORER["trace_again"]
    values = trace.__dict__
    ruleset, subject, allotted = values["_ruleset"], values["_subject"], values["_allotted"]
    built, score = trace_again(ruleset, subject, allotted)
    if score != values["_score"] or built.method != values["method"]:
        raise InternalError(f"scored again, `{getattr(subject, 'label', subject)}` gives {score} by {built.method}, "
                            f"first {values['_score']} by {values['method']}")
    for field in dataclasses.fields(Trace):
        values.setdefault(field.name, getattr(built, field.name))


def new_instance(cls, values: dict):
    """An instance of the dataclass ``cls`` whose ``__dict__`` is ``values`` (one dict, no setattr per field)."""
    obj = _new(cls)
    _set(obj, "__dict__", values)
    return obj


class BudgetScored(Scored):
    """The 预算执行率 row: its constant fields are the class's, its percentage is written when first read."""

    level1 = level2 = explanation = note = name_en = ""  # its English name is the ruleset's budget.name_en
    target = "100%"
    applicable = True
    reported_score = met = band = None
    method = "budget_execution"


class NotApplicable(Scored):
    """A row marked 不适用: neither scored nor counted."""

    applicable = False
    score = trace = method = met = band = None
    allotted = Decimal(0)


def _budget_percentage(row) -> None:
    percentage = SCORER["percentage"]
    values = row.__dict__
    values["actual"] = percentage(values["_ruleset"], values["_rate"])


Scored.trace = _Filled("trace", _start_trace)
BudgetScored.actual = _Filled("actual", _budget_percentage)
for _name in _COPIED + ("target", "actual"):
    setattr(Scored, _name, _Filled(_name, _copy_from_indicator))
for _field in dataclasses.fields(Trace):
    if _field.name not in ("method", "met", "band"):
        setattr(LazyTrace, _field.name, _Filled(_field.name, _fill_trace))
