"""Formulas: an allowlist checked at load, exact decimal arithmetic."""
from __future__ import annotations

from decimal import Decimal

import pytest

from engine.errors import EvalrunError, Source
from engine.rules.formulas import compile_formula
from engine.scoring.evaluate import formula_value as evaluate

# These tests read evalrun's English messages (--lang en); tests/test_language.py and test_bad_inputs.py check the Chinese default.
pytestmark = pytest.mark.usefixtures("english")

NAMES = ("weight", "target", "actual", "met")
WHERE = Source("rulesets/2025/ruleset.yaml", 60, 14)


def run(text, **names):
    return evaluate(compile_formula(text, WHERE, NAMES), names)


def test_higher_is_better_formula_scores_partially():
    text = "weight if met else weight * actual / target"
    assert run(text, weight=Decimal(10), met=False, actual=Decimal(3), target=Decimal(5)) == Decimal(6)
    assert run(text, weight=Decimal(10), met=True, actual=Decimal(9), target=Decimal(5)) == Decimal(10)


def test_constants_are_decimal_so_results_are_exact():
    assert run("weight * 0.1 + 0.2", weight=Decimal(1)) == Decimal("0.3")


def test_functions_from_the_allowlist():
    assert run("min(weight, 5) + max(actual, 0) + abs(target) + clamp(target, 0, 1)",
               weight=Decimal(10), actual=Decimal(-3), target=Decimal(-2)) == Decimal(7)


def test_unknown_name_is_refused_at_load_with_a_suggestion():
    with pytest.raises(EvalrunError) as caught:
        compile_formula("weight * acutal / target", WHERE, NAMES)
    message = str(caught.value)
    assert message.startswith("rulesets/2025/ruleset.yaml:60:14: ")
    assert "unknown name `acutal`" in message and "did you mean `actual`?" in message


@pytest.mark.parametrize("text,words", [
    ("weight.__class__", "attribute access"),
    ("__import__('os')", "`__import__`"),
    ("_secret + 1", "names starting with `_`"),
    ("open('x')", "calls `open`"),
    ("(lambda: 1)()", "calls"),
    ("[x for x in weight]", "comprehensions"),
    ("weight[0]", "indexing"),
    ("'a' * 10", "constant"),
    ("9**9**9", "power"),
    ("weight ** actual", "power"),
    ("weight +", "not a valid expression"),
    ("", "empty"),
    ("x := 1", "not a valid expression"),
    ("(" * 300 + "1" + ")" * 300, "not a valid expression"),
    ("weight * 1e400", "too large to compute with"),
    ("weight + " * 120 + "1", "characters long; at most 1000"),
    ("-" * 994 + "weight", "too complex (1991 parts; at most 200)"),  # the deepest nesting the length allows
    ("1" + " + 1" * 249, "too complex"),
])
def test_unsafe_or_broken_formulas_are_refused_at_load(text, words):
    with pytest.raises(EvalrunError) as caught:
        compile_formula(text, WHERE, NAMES)
    assert words in str(caught.value)


def test_formula_names_used_are_recorded():
    assert compile_formula("weight * actual / target", WHERE, NAMES).names == {"weight", "actual", "target"}


def test_division_by_zero_is_an_arithmetic_error_for_the_caller():
    with pytest.raises(ArithmeticError):
        run("weight / target", weight=Decimal(1), target=Decimal(0))
