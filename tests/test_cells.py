"""Reading a form's cells: numbers written every way staff write them, and YAML text that reads back."""
from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings, strategies as st

from engine.forms.cells import CellSource, FormError, label, read_number, text
from engine.errors import EvalrunError
from engine.files.load import CONTROL_CHARACTERS, load_text
from engine.forms.projectfile import scalar

# These tests read evalrun's English messages (--lang en); tests/test_language.py and test_bad_inputs.py check the Chinese default.
pytestmark = pytest.mark.usefixtures("english")

FULL_WIDTH = str.maketrans("0123456789.,%-", "０１２３４５６７８９．，％－")
WHERE = CellSource("form.xlsx!Sheet", 5, 8)


@pytest.mark.parametrize("value,expected", [
    (990, Decimal(990)), (547.6879, Decimal("547.6879")), ("990", Decimal(990)), (" 547.6879 ", Decimal("547.6879")),
    ("１，０００", Decimal(1000)), ("５４７．６８７９", Decimal("547.6879")), ("1,000.5", Decimal("1000.5")),
    (0.1 + 0.2, Decimal("0.3")), ("10分", Decimal(10)), (None, None), ("", None), ("-", None), ("／", None),
])
def test_numbers_as_staff_write_them(value, expected):
    assert read_number(value, WHERE, "分值", suffixes=("分",)) == expected


@pytest.mark.parametrize("value", ["55.32%", "５５．３２％", 0.5532, " 55.32 % "])
def test_a_rate_reads_as_a_fraction(value):
    assert read_number(value, WHERE, "执行率", percent=True) == Decimal("0.5532")


@pytest.mark.parametrize("value,message", [
    ("九百九十", "cannot read 分值 `九百九十` as a number"),
    ("55%", "分值 `55%` is a percentage; expected a plain number"),
    ("#DIV/0!", "分值 shows the Excel error #DIV/0!"),
    (True, "分值 is TRUE; expected a number"),
    (float("nan"), "分值 is not a finite number"),
    (datetime.datetime(2025, 9, 30), "分值 is a date (2025年9月30日)"),
    ("1e5", "cannot read 分值 `1e5`"),
    (1e300, "is too large"),
])
def test_what_is_not_a_number_is_named(value, message):
    with pytest.raises(FormError) as caught:
        read_number(value, WHERE, "分值")
    assert message in str(caught.value)
    assert str(caught.value).startswith("form.xlsx!Sheet!H5: ")


cell_values = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True), st.text(max_size=60),
    st.text(alphabet="0123456789.,%+-分 ０１２３４５６７８９．，％eE", max_size=30),
    st.datetimes(), st.dates(), st.times(),
)


@settings(max_examples=500)
@given(value=cell_values, percent=st.booleans())
def test_reading_a_number_never_raises_anything_but_a_form_error(value, percent):
    try:
        number = read_number(value, WHERE, "分值", percent=percent, suffixes=("分",))
    except FormError as exc:
        assert str(exc).startswith("form.xlsx!Sheet!H5: ")
        return
    assert number is None or (isinstance(number, Decimal) and number.is_finite())


@given(st.decimals(min_value=-10**12, max_value=10**12, places=4, allow_nan=False))
def test_a_number_written_as_text_in_any_width_reads_the_same(number):
    written = format(number, "f")
    assert read_number(written) == number
    assert read_number(written.translate(FULL_WIDTH)) == number
    assert read_number(f"{written}%", percent=True) == number / 100


@given(st.text(max_size=80))
def test_any_text_is_written_as_yaml_that_reads_back_the_same(value):
    if CONTROL_CHARACTERS.search(value):  # refused when read (engine/files/load.py), with its line
        with pytest.raises(EvalrunError, match=r"^t\.yaml:1:\d+: this line holds the invisible character U\+"):
            load_text(f"key: {scalar(value)}\n", "t.yaml")
        return
    loaded = load_text(f"key: {scalar(value)}\n", "t.yaml")
    assert loaded["key"] == value


def test_plain_text_stays_plain_and_the_rest_is_quoted():
    assert scalar("≥5 家") == "≥5 家" and scalar("7000 万美元以上") == "7000 万美元以上"
    assert scalar("990") == '"990"' and scalar("") == '""' and scalar("yes") == '"yes"'
    assert scalar("- 5") == '"- 5"' and scalar("a: b") == '"a: b"'


def test_labels_ignore_width_space_and_colons():
    assert label("年初 预算数") == "年初预算数" and label("项目名称：") == "项目名称"
    assert label("产出指标 （６５ 分）") == "产出指标(65分)"
    assert text("7000 万美\n元以上") == "7000 万美元以上"
