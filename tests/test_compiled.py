"""Compiled formulas give exactly what simpleeval gives, on random formulas and inputs."""
from __future__ import annotations

import ast
import pickle
from decimal import Decimal

import pytest
from hypothesis import given, settings, strategies as st

from engine.api import load_ruleset
from engine.compiled import compile_tree
from engine.errors import Source
from engine.formulas import _ALLOWED, FUNCTIONS, _safe_power, compile_formula, evaluate, evaluate_reference
from conftest import REPO

NAMES = ("weight", "target", "actual", "met", "point")
WHERE = Source("rulesets/2025/ruleset.yaml", 60, 14)

decimals = st.one_of(
    st.integers(-1000, 1000).map(Decimal),
    st.decimals(min_value=-10**6, max_value=10**6, allow_nan=False, allow_infinity=False, places=4),
    st.sampled_from([Decimal(0), Decimal("0.0"), Decimal("-0"), Decimal("1E+3")]),
)
values = st.one_of(decimals, st.booleans())
inputs = st.fixed_dictionaries({name: values for name in NAMES})

number = st.one_of(
    st.integers(0, 100).map(str),
    st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False).map(str),
    st.sampled_from(["True", "False"]),
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
        children.map(lambda c: f"abs({c})"),
        st.tuples(children, children, children).map(lambda t: f"clamp({t[0]}, {t[1]}, {t[2]})"),
        st.tuples(children, st.integers(-3, 3)).map(lambda t: f"({t[0]}) ** {t[1]}"),
        st.tuples(children, children, children).map(lambda t: f"({t[0]} < {t[1]} <= {t[2]})"),
    )


formulas = st.recursive(leaf, _combine, max_leaves=12)


def outcome(run, formula, names):
    try:
        value = run(formula, names)
    except Exception as exc:  # noqa: BLE001 - both paths must fail the same way
        return ("error", type(exc))
    return ("value", type(value), value if value == value else "nan", str(value))


@settings(max_examples=600, deadline=None)
@given(text=formulas, names=inputs)
def test_compiled_formula_equals_simpleeval(text, names):
    formula = compile_formula(text, WHERE, NAMES)
    assert outcome(evaluate, formula, names) == outcome(evaluate_reference, formula, names), text


@pytest.fixture(scope="module")
def ruleset_formulas():
    ruleset = load_ruleset(REPO, "2025")
    found = [m.formula for m in ruleset.methods.values()] + [ruleset.budget.rate, ruleset.budget.score]
    assert all(f.run is not None for f in found)
    return found


@settings(max_examples=300, deadline=None)
@given(names=inputs, budget=st.fixed_dictionaries(
    {n: decimals for n in ("initial", "full_year", "adjusted", "executed", "rate")}))
def test_ruleset_formulas_compiled_equal_simpleeval(ruleset_formulas, names, budget):
    for formula in ruleset_formulas:
        given_names = {**names, **budget}
        assert outcome(evaluate, formula, given_names) == outcome(evaluate_reference, formula, given_names)


def test_compiled_function_has_no_builtins():
    formula = compile_formula("weight * 0.8 + min(actual, 1) ** 2", WHERE, NAMES)
    assert formula.run.__globals__["__builtins__"] == {}
    assert set(formula.run.__globals__) == {"__builtins__", "_pow", "_c0", "_c1", "_c2",
                                            *(f"_f_{n}" for n in FUNCTIONS)}
    assert formula.run({"weight": Decimal(10), "actual": Decimal(3)}) == Decimal(9)


@pytest.mark.parametrize("text", ["weight.real", "weight[0]", "_x", "open(1)", "[weight]", "'a'", "min(a=1)"])
def test_compile_tree_refuses_what_the_checks_refuse(text):
    tree = ast.parse(text, mode="eval")
    with pytest.raises(ValueError):
        compile_tree(tree, text, FUNCTIONS, _safe_power, _ALLOWED)


def test_power_is_bounded_in_the_compiled_path():
    formula = compile_formula("weight ** 2", WHERE, NAMES)
    assert evaluate(formula, {"weight": Decimal(3)}) == 9


def test_formula_survives_pickling_with_its_compiled_function():
    formula = compile_formula("weight if met else weight * actual / target", WHERE, NAMES)
    copy = pickle.loads(pickle.dumps(formula))
    assert copy == formula and copy.run is not None
    names = {"weight": Decimal(10), "met": False, "actual": Decimal(3), "target": Decimal(7)}
    assert evaluate(copy, names) == evaluate(formula, names)
