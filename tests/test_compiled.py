"""The compiled scorer computes what simpleeval computes, on random formulas and data.

simpleeval is the oracle here only: production runs the code that
engine.scoring.scorer_codegen generates for each ruleset. The tests compare one
formula alone (``formulas.evaluate``) and whole compiled rulesets (a random
formula as a method's formula, random rows) with simpleeval walking the same
checked tree, in the same Decimal context; and check that nothing of a
ruleset but its checked formulas becomes code.
"""
from __future__ import annotations

import ast
import dataclasses
import pickle
from decimal import Decimal

import pytest
import simpleeval
from hypothesis import given, settings, strategies as st

import engine.scoring.numeric as numeric
from engine.api import load_ruleset
from engine.errors import EvalrunError, Source
from engine.scoring.evaluate import score_indicator, scorer_for
from engine.rules.formulas import compile_formula
from engine.scoring.evaluate import formula_value as evaluate
from engine.model import Indicator
from engine.scoring.formula_source import Namespace, expression
from engine.rules.targets import parse_measure
from tests.helpers import REPO

# These tests read evalrun's English messages (--lang en); tests/test_language.py and test_bad_inputs.py check the Chinese default.
pytestmark = pytest.mark.usefixtures("english")

NAMES = ("weight", "target", "actual", "met", "point")
WHERE = Source("rulesets/2025/ruleset.yaml", 60, 14)
RULESET = load_ruleset(REPO, "2025")


class _Oracle(simpleeval.SimpleEval):
    def __init__(self):
        operators = dict(simpleeval.DEFAULT_OPERATORS)
        operators[ast.Pow] = numeric.power
        super().__init__(operators=operators, functions=dict(numeric.FUNCTIONS), names={})


ORACLE = _Oracle()


def oracle(formula, names):
    """The formula's value by simpleeval's tree walker, in the scorer's Decimal context."""
    ORACLE.names = names
    with numeric.scoring():
        value = ORACLE.eval(formula.text, previously_parsed=formula.tree.body)
    return Decimal(int(value)) if isinstance(value, (bool, int)) else value


decimals = st.one_of(
    st.integers(-1000, 1000).map(Decimal),
    st.decimals(min_value=-10**6, max_value=10**6, allow_nan=False, allow_infinity=False, places=4),
    st.sampled_from([Decimal(0), Decimal("0.0"), Decimal("-0"), Decimal("1E+3"), Decimal("999999999999999"),
                     Decimal("0.0000000001"), Decimal("-999999999999999.9999999999")]),
)
values = st.one_of(decimals, st.booleans())
inputs = st.fixed_dictionaries({name: values for name in NAMES})

number = st.one_of(
    st.integers(0, 100).map(str),
    st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False).map(str),
    st.sampled_from(["True", "False", "1e300", "0.000001"]),
)
leaf = st.one_of(st.sampled_from(NAMES), number)


def _combine(children):
    binary = st.tuples(children, st.sampled_from(["+", "-", "*", "/", "%", "<", "<=", ">", ">=", "==", "!=",
                                                  "and", "or"]), children)
    return st.one_of(
        binary.map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(children, children, children).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
        st.tuples(st.sampled_from(["-", "+", "not "]), children).map(lambda t: f"({t[0]}{t[1]})"),
        st.tuples(st.sampled_from(["min", "max"]), st.lists(children, min_size=1, max_size=3))
        .map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        st.tuples(st.sampled_from(["abs", "floor", "ceil"]), children).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(children, children, children).map(lambda t: f"clamp({t[0]}, {t[1]}, {t[2]})"),
        st.tuples(children, st.integers(-3, 100)).map(lambda t: f"({t[0]}) ** {t[1]}"),
        st.tuples(children, children, children).map(lambda t: f"({t[0]} < {t[1]} <= {t[2]})"),
    )


formulas = st.recursive(leaf, _combine, max_leaves=12)


def outcome(run, formula, names):
    try:
        value = run(formula, names)
    except Exception as exc:  # noqa: BLE001 - both must fail the same way
        return ("error", type(exc))
    return ("value", type(value), str(value))


@settings(max_examples=600, deadline=None)
@given(text=formulas, names=inputs)
def test_a_compiled_formula_computes_what_simpleeval_computes(text, names):
    formula = compile_formula(text, WHERE, NAMES)
    assert outcome(evaluate, formula, names) == outcome(oracle, formula, names), text


QUANTITATIVE = ("weight", "target", "actual", "met")
measures = st.decimals(min_value=-10**6, max_value=10**6, places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=150, deadline=None)
@given(text=st.recursive(st.one_of(st.sampled_from(QUANTITATIVE), number), _combine, max_leaves=8),
       target=measures, actual=measures, weight=st.decimals(min_value=0, max_value=100, places=1),
       comparator=st.sampled_from(["≥", "≤", ">", "<", "="]))
def test_a_compiled_ruleset_scores_what_simpleeval_computes(text, target, actual, weight, comparator):
    """A random formula as the method of every comparison: the compiled route's score is the oracle's,
    clamped to [0, weight] and rounded, or both fail (the route with one line naming the formula)."""
    formula = compile_formula(text, WHERE, QUANTITATIVE)
    methods = {name: dataclasses.replace(method, formula=formula) if method.kind == "quantitative" else method
               for name, method in RULESET.methods.items()}
    ruleset = dataclasses.replace(RULESET, methods=methods)
    ind = Indicator(level1="产出指标", level2="数量指标", name="指标", weight=weight,
                    target=parse_measure(f"{comparator}{target}家"), actual=parse_measure(f"{actual}家"))
    met = {"≥": actual >= target, "≤": actual <= target, ">": actual > target, "<": actual < target,
           "=": actual >= target}[comparator]  # the 2025 ruleset scores `=` as ≥
    try:
        expected = oracle(formula, {"weight": weight, "target": target, "actual": actual, "met": met})
        if not isinstance(expected, Decimal):
            raise TypeError("not a number")
    except Exception:  # noqa: BLE001 - the compiled route must fail too, as a user error
        with pytest.raises(EvalrunError) as caught:
            score_indicator(ruleset, ind, weight)
        assert f"`{text}`" in str(caught.value) and ("failed" in str(caught.value) or "not a number" in str(caught.value))
        return
    row = score_indicator(ruleset, ind, weight)
    with numeric.scoring():
        clamped = min(max(expected, Decimal(0)), weight)
    assert row.score == ruleset.rounding.apply(clamped) and row.met is met
    assert row.trace.formula is formula and row.trace.rounded == row.score


@settings(max_examples=300, deadline=None)
@given(names=inputs, budget=st.fixed_dictionaries(
    {n: decimals for n in ("initial", "full_year", "adjusted", "executed", "rate")}))
def test_the_bundled_formulas_compute_what_simpleeval_computes(names, budget):
    found = [m.formula for m in RULESET.methods.values()] + [RULESET.budget.rate, RULESET.budget.score]
    for formula in found:
        given_names = {**names, **budget}
        assert outcome(evaluate, formula, given_names) == outcome(oracle, formula, given_names)


@pytest.mark.parametrize("text", ["weight.real", "weight[0]", "_x", "open(1)", "[weight]", "'a'", "min(a=1)",
                                  "unknown + 1", "(lambda: 1)()"])
def test_the_generator_refuses_what_the_load_checks_refuse(text):
    """A second check, node by node, before anything becomes code (a tree that skipped the first)."""
    tree = ast.parse(text, mode="eval")
    formula = compile_formula("weight", WHERE, NAMES)
    forged = dataclasses.replace(formula, text=text, tree=tree, names=frozenset(NAMES))
    with pytest.raises(ValueError):
        expression(forged, Namespace({}), numeric.FUNCTIONS, NAMES)


def test_ruleset_texts_and_numbers_never_become_source():
    """Labels, names and constants reach the generated code as namespace values, not as text."""
    hostile = "x'); __import__('os').system('echo hi') #"
    formula = compile_formula("weight * 0.123456789 if met else 0", WHERE, QUANTITATIVE)
    methods = {name: dataclasses.replace(method, label=hostile, name=method.name,
                                         formula=formula if method.kind == "quantitative" else method.formula)
               for name, method in RULESET.methods.items()}
    budget = dataclasses.replace(RULESET.budget, name=hostile)
    ruleset = dataclasses.replace(RULESET, methods=methods, budget=budget, id=hostile)
    scorer = scorer_for(ruleset)
    assert hostile not in scorer.source and "0.123456789" not in scorer.source and "import" not in scorer.source
    assert scorer.budget.__globals__["__builtins__"] == {}
    ind = Indicator(level1="产出指标", level2="数量指标", name="指标", weight=Decimal(10),
                    target=parse_measure("≥5家"), actual=parse_measure("6家"))
    assert score_indicator(ruleset, ind, Decimal(10)).score == Decimal("1.23")


def test_powers_are_bounded_however_they_are_written():
    assert evaluate(compile_formula("weight ** 2", WHERE, NAMES), {"weight": Decimal(3)}) == 9
    with pytest.raises(EvalrunError, match="power"):
        compile_formula("weight ** 101", WHERE, NAMES)
    nested = compile_formula("((weight ** 100) ** 100) ** 100", WHERE, NAMES)
    with pytest.raises(ArithmeticError):
        evaluate(nested, {"weight": Decimal(9)})  # 9^1,000,000: beyond the exponent bound, at once


def test_floor_and_ceil_of_huge_values_stay_small_and_quick():
    formula = compile_formula("floor(weight ** 100) + ceil(-weight ** 99)", WHERE, NAMES)
    value = evaluate(formula, {"weight": Decimal("1E+9")})
    assert value == value.to_integral_value() and len(value.as_tuple().digits) <= numeric.PRECISION


def test_formula_survives_pickling():
    formula = compile_formula("weight if met else weight * actual / target", WHERE, NAMES)
    copy = pickle.loads(pickle.dumps(formula))
    assert copy == formula and copy.tree is not None
    names = {"weight": Decimal(10), "met": False, "actual": Decimal(3), "target": Decimal(7)}
    assert evaluate(copy, names) == evaluate(formula, names)
