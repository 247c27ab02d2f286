"""The target grammar: every written form, its errors, and properties."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings, strategies as st

from engine.errors import EvalrunError, Source
from engine.rules.targets import TargetError, bound_within, convert, parse_measure

# These tests read evalrun's English messages (--lang en); tests/test_language.py and test_bad_inputs.py check the Chinese default.
pytestmark = pytest.mark.usefixtures("english")

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "targets.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES["cases"], ids=lambda c: c["text"])
def test_target_is_read(case):
    measure = parse_measure(case["text"])
    assert measure.kind == case["kind"]
    assert measure.comparator == case["comparator"]
    assert measure.value == (Decimal(case["value"]) if case["value"] is not None else None)
    assert measure.unit == case["unit"]
    assert measure.text == case["text"], "the text is kept as written"


@pytest.mark.parametrize("case", CASES["errors"], ids=lambda c: c["text"] or "empty")
def test_unreadable_target_is_an_error_quoting_it(case):
    where = Source("p.yaml", 12, 5)
    with pytest.raises(TargetError) as caught:
        parse_measure(case["text"], where)
    assert case["message"] in caught.value.message
    assert str(caught.value).startswith("p.yaml:12:5: ")


def test_amounts_convert_between_money_units():
    assert convert(Decimal("1.5"), "亿元", "万元") == Decimal("15000")
    assert convert(Decimal("7983"), "万美元", "万美元") == Decimal("7983")
    assert convert(Decimal(1), "万元", "万美元") is None
    assert convert(Decimal(3), "家", "个") is None


@pytest.mark.parametrize("actual,target,met", [
    ((">=", "90"), (">=", "90"), True),
    ((">=", "95"), (">=", "90"), True),
    ((">=", "80"), (">=", "90"), False),
    (("<=", "990"), ("<=", "990"), True),
    (("<=", "1000"), ("<=", "990"), False),
    ((">", "0"), (">", "0"), True),
    ((">=", "0"), (">", "0"), False),
    (("<=", "5"), (">=", "3"), False),
])
def test_an_actual_written_as_a_bound_meets_a_target_only_inside_it(actual, target, met):
    assert bound_within(actual[0], Decimal(actual[1]), target[0], Decimal(target[1])) is met


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_parser_raises_only_its_own_error(text):
    try:
        parse_measure(text)
    except EvalrunError:
        pass


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["≥", "≤", ">", "<", "不低于", "不超过", ""]),
    st.decimals(min_value=0, max_value=10**9, places=3, allow_nan=False),
    st.sampled_from(["万元", "家", "%", "个", "人次", "万美元", ""]),
)
def test_written_numbers_are_read_exactly(prefix, value, unit):
    text = f"{prefix}{value}{unit}"
    measure = parse_measure(text)
    assert measure.value == value
    assert measure.unit == unit


def test_the_place_of_a_value_is_asked_for_only_when_it_cannot_be_read():
    asked = []

    def where():
        asked.append(True)
        return Source("p.yaml", 7, 5)

    assert parse_measure("≥90%", None, "target", where=where).value == Decimal(90) and not asked
    assert parse_measure(12, None, "actual", where=where).value == Decimal(12) and not asked
    with pytest.raises(TargetError) as raised:
        parse_measure("≥≥", None, "target", where=where)
    assert asked and str(raised.value).startswith("p.yaml:7:5: ")
    with pytest.raises(TargetError) as raised:
        parse_measure(True, None, "actual", where=where)
    assert str(raised.value).startswith("p.yaml:7:5: ")
