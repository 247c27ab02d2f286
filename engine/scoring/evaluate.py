"""evaluate: Ruleset x Project -> scores, with a trace when a tracer observes.

One scorer: each ruleset is compiled once (engine.scoring.scorer_codegen) into
functions that score the 预算执行率 row and each kind of indicator row; this
module runs them over a project's rows, applies the not-applicable rule,
adds up groups and the total, deducts, rounds and grades. The judging rules
live in engine.scoring.judge; the trace is an observer (engine.scoring.trace): with
``tracer=None`` no trace work is done, and a row's trace is made when first
read by scoring that row again with a FullTracer, through the same code.

All arithmetic runs in engine.scoring.numeric's context. A formula that divides by
zero, overflows or cannot be computed exactly stops with one line naming
the row, the formula and its file:line: the row is scored again with a
tracer, which tells which formula was running.
"""
from __future__ import annotations

import decimal
from typing import Mapping
from decimal import Decimal
from functools import partial

import engine.scoring.judge as judge
import engine.scoring.numeric as numeric
from engine.errors import EvalrunError, InternalError
from engine.i18n import tr
from engine.model import ROUNDING_MODES, Formula, GroupScore, Indicator, Project, Ruleset, Score
from engine.scoring.formula_source import formula_function
from engine.scoring.scorer_codegen import BUDGET_ORDER, QUALITATIVE_ORDER, QUANTITATIVE_ORDER, generate
from engine.rules.targets import COMPARATORS, QUANTITY, Measure, format_number
import engine.scoring.trace as trace
from engine.scoring.trace import BudgetScored, FullTracer, NotApplicable, Scored

_getcontext, _setcontext = decimal.getcontext, decimal.setcontext
ZERO = Decimal(0)
HUNDRED = Decimal(100)
_FAILURES = (ArithmeticError, TypeError, ValueError)  # what a formula or its arithmetic can raise
_new = object.__new__
_set = object.__setattr__


class _RateTooLarge(ArithmeticError):
    pass


class Scorer:
    """A ruleset compiled for scoring: made once per ruleset (``scorer_for``)."""

    def __init__(self, ruleset: Ruleset):
        self.ruleset = ruleset
        self.words = judge.Words(ruleset)
        places = ruleset.rounding.places
        self.quantum = Decimal(1).scaleb(-places)
        self.mode = ROUNDING_MODES[ruleset.rounding.mode]
        reachable = {judge.comparator_of(ruleset, Measure("", QUANTITY, written, ZERO))
                     for written in (None,) + COMPARATORS}
        comparators = [c for c in (">=", ">", "<=", "<", "=") if c in reachable]  # the most common first
        self.index: dict = {}  # (method named by the row, target kind, comparator) -> route number, -1: an error
        helpers = {  # the names the generated source calls: engine.scoring.scorer_codegen says what each is for
            "_Decimal": Decimal, "_ZERO": ZERO, "_HUNDRED": HUNDRED, "_new": _new, "_set": _set, "_id": id,
            "_tuple": tuple, "_RULESET": ruleset, "_Q": self.quantum, "_MODE": self.mode, "_FAILURES": _FAILURES,
            "_Scored": Scored, "_BudgetScored": BudgetScored, "_NotApplicable": NotApplicable,
            "_GroupScore": GroupScore, "_WORDS": self.words, "_FLAT_get": self.words.flat_get,
            "_numeric": judge.numeric, "_in_target_terms": judge.in_target_terms, "_level": judge.level,
            "_point": judge.point, "_band": judge.band, "_pow": numeric.power, "_number": _number,
            "_percent": self._percent, "_allotted": allotted_weights, "_range_weight": _range_weight,
            "_deducted": _deducted, "_INDEX_get": self.index.get, "_index_for": self._index_for,
            "_refuse": partial(_refuse, ruleset), "_no_row": _no_row, "_failure": self._failure,
            "_total_failure": _total_failure,
            # a rate whose percentage might not round within PRECISION digits is rounded at once, to check
            "_RATE_DIGITS": numeric.PRECISION - places - 6,
        }
        namespace, self.routes, self.source = generate(ruleset, helpers, numeric.FUNCTIONS, comparators)
        self.budget = namespace["budget"]
        self.route_functions = namespace["routes"]
        self._score_project = namespace["score_project"]

    def _percent(self, rate: Decimal) -> str:
        try:
            return f"{(rate * HUNDRED).quantize(self.quantum, self.mode)}%"
        except decimal.InvalidOperation:
            raise _RateTooLarge(tr("evaluate.rate_too_large", rate=rate, places=self.ruleset.rounding.places)) from None

    def _index_for(self, ind: Indicator) -> int:
        """The number of the route that scores rows like ``ind`` (same method, target kind and comparison)."""
        try:
            method, comparator, mode = judge.choose(self.ruleset, ind)
        except EvalrunError:
            found = -1  # each row gets its own message
        else:
            found = self.routes.index((method, comparator if mode == "numeric" else None))
        self.index[judge.route_key(ind)] = found
        return found

    def route(self, ind: Indicator):
        """The compiled function that scores one row like ``ind``: ``route(ind, weight, tracer) -> row``."""
        found = self.index.get(judge.route_key(ind))
        if found is None:
            found = self._index_for(ind)
        return partial(_refuse, self.ruleset) if found < 0 else self.route_functions[found]

    def score(self, project: Project, tracer=None):
        """(rate, budget_row, rows, groups, total, max_total, grade)."""
        outside = _getcontext()
        _setcontext(numeric.thread_context())
        try:
            return self._score_project(project, tracer)
        except _FAILURES as exc:  # the rows and the total word their own failures: the budget row's
            raise _failure(exc, partial(self.budget, project), self.ruleset, self.ruleset.budget.name,
                           project.budget.source) from None
        finally:
            _setcontext(outside)

    def _failure(self, exc: BaseException, index: int, ind: Indicator, weight: Decimal) -> EvalrunError:
        return _failure(exc, partial(self.route_functions[index], ind, weight), self.ruleset, f"`{ind.label}`",
                        ind.source)


def percentage(ruleset: Ruleset, rate: Decimal) -> str:
    """An execution rate as the table shows it: ``55.32%``."""
    scorer = scorer_for(ruleset)
    with numeric.scoring():
        return scorer._percent(rate)


def _range_weight(indicators, group: str) -> Decimal:
    """A group whose weight the department sets within a range weighs what its rows weigh."""
    return sum((i.weight for i in indicators if i.level1 == group), ZERO)


def _deducted(base: Decimal, deductions) -> Decimal:
    return max(ZERO, base - sum((d.points for d in deductions), ZERO))


def _total_failure(exc: BaseException, project: Project) -> EvalrunError:
    return EvalrunError(tr("evaluate.total_failed", reason=numeric.failure_reason(exc)), project.source)


_SCORERS: dict = {}


def scorer_for(ruleset: Ruleset) -> Scorer:
    """The ruleset's compiled scorer, made on first use and kept while the ruleset is in use."""
    found = _SCORERS.get(id(ruleset))
    if found is None or found.ruleset is not ruleset:
        if len(_SCORERS) >= 32:
            _SCORERS.clear()
        found = _SCORERS[id(ruleset)] = Scorer(ruleset)
    return found


def evaluate_project(ruleset: Ruleset, project: Project, tracer=None):
    """Score every row; returns (rate, budget_row, rows, groups, total, max_total, grade).

    With ``tracer=FullTracer(ruleset)`` every row's trace is made at once;
    without, each is made when first read.
    """
    scorer = _SCORERS.get(id(ruleset))
    if scorer is None or scorer.ruleset is not ruleset:
        scorer = scorer_for(ruleset)
    return scorer.score(project, tracer)


def score_indicator(ruleset: Ruleset, ind: Indicator, allotted: Decimal, tracer=None) -> Score:
    """One applicable row scored with the weight ``allotted`` (for tools and tests)."""
    scorer = scorer_for(ruleset)
    route = scorer.route(ind)
    with numeric.scoring():
        try:
            return route(ind, allotted, tracer)
        except _FAILURES as exc:
            raise _failure(exc, partial(route, ind, allotted), ruleset, f"`{ind.label}`", ind.source) from None


def trace_again(ruleset: Ruleset, subject, allotted: Decimal):
    """(the full Trace, the score) of one row scored again with a FullTracer (engine.scoring.trace.LazyTrace)."""
    scorer = scorer_for(ruleset)
    tracer = FullTracer(ruleset)
    with numeric.scoring():
        if isinstance(subject, Project):
            _, row = scorer.budget(subject, tracer)
        else:
            row = scorer.route(subject)(subject, allotted, tracer)
    return row.__dict__["trace"], row.score


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


# ---------------------------------------------------------------- failures


def _refuse(ruleset: Ruleset, ind: Indicator, weight, tracer):
    judge.choose(ruleset, ind)  # raises this row's error
    raise InternalError(f"`{ind.label}`: no method, yet choosing one did not fail")


def _what(role: str, subject, owner) -> tuple:
    """(the words that name a formula, the file:line of the data it ran on)."""
    if role == "rate":
        return tr("evaluate.what.rate", owner=owner.name), subject.budget.source
    if role == "score":
        return tr("evaluate.what.score", owner=owner.name), subject.budget.source
    if role == "input":
        return tr("evaluate.what.input", label=subject.label, owner=owner.name), subject.source
    return tr("evaluate.what.formula", label=subject.label, owner=owner.name), subject.source


_ORDERS = {"rate": BUDGET_ORDER, "score": BUDGET_ORDER}


def _number(value, formula, role, subject, owner) -> Decimal:
    """A formula's result as a Decimal (``met`` alone is True or False); anything else is an error."""
    if isinstance(value, (bool, int)):
        return Decimal(int(value))
    what, where = _what(role, subject, owner)
    raise EvalrunError(tr("evaluate.not_a_number", what=what, text=formula.text, value=repr(value)), where)


def _no_row(ind: Indicator, method, value) -> EvalrunError:  # pragma: no cover - tables are checked for gaps at load
    return EvalrunError(tr("evaluate.no_row", label=ind.label, method=method.name, value=format_number(value)),
                        ind.source)


def _failure(first: BaseException, rerun, ruleset: Ruleset, label: str, where) -> EvalrunError:
    """The row that failed, scored again with a tracer: which formula failed, on which values."""
    tracer = FullTracer(ruleset)
    try:
        rerun(tracer)
    except _FAILURES as exc:
        if tracer.last is not None:
            return _formula_error(exc, tracer.last)
        if not isinstance(exc, ArithmeticError):
            raise  # not from a formula or its data: a bug, reported as one
        return EvalrunError(tr("evaluate.cannot_score", label=label, reason=numeric.failure_reason(exc)), where)
    raise InternalError(f"scoring failed with {first!r}, then not again")


def _formula_error(exc: BaseException, last) -> EvalrunError:
    formula, role, subject, owner, values = last
    what, where = _what(role, subject, owner)
    order = _ORDERS.get(role) or (QUALITATIVE_ORDER if getattr(owner, "kind", "") == "qualitative"
                                  else QUANTITATIVE_ORDER)
    names = [name for name in order if name in formula.names]
    shown = ", ".join(f"{name}={_show(value)}" for name, value in zip(names, values))
    with_values = tr("evaluate.with_values", values=shown) if shown else ""
    if numeric.is_division_by_zero(exc):
        return EvalrunError(tr("evaluate.division_by_zero", what=what, text=formula.text, with_values=with_values,
                               source=formula.source), where)
    return EvalrunError(tr("evaluate.formula_failed", what=what, text=formula.text, reason=numeric.failure_reason(exc),
                           with_values=with_values, source=formula.source), where)


def _show(value) -> str:
    if isinstance(value, Decimal):
        text = format_number(value)
        return text if len(text) <= 40 else f"{value:.6E}"
    return str(value)


# ---------------------------------------------------------------- one formula alone


_FUNCTIONS: dict = {}


def formula_value(formula: Formula, names: Mapping[str, object]):
    """A checked formula's value for ``names``, computed as the scorer computes it.

    Arithmetic errors surface as ArithmeticError; a result of ``met`` alone
    (True or False) comes back as a Decimal.
    """
    key = (formula.text, formula.names)
    function = _FUNCTIONS.get(key)
    if function is None:
        if len(_FUNCTIONS) > 256:
            _FUNCTIONS.clear()
        function = _FUNCTIONS[key] = formula_function(formula, numeric.FUNCTIONS, numeric.power)
    with numeric.scoring():
        result = function(*(names[name] for name in sorted(formula.names)))
    if isinstance(result, (bool, int)):
        return Decimal(int(result))
    return result

trace.SCORER.update(trace_again=trace_again, percentage=percentage)  # what a lazily built trace needs
