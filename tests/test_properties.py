"""Properties that hold for every input, checked with hypothesis.

The target grammar only ever raises its own TargetError; scores stay within
[0, weight] and totals within [0, 100]; a higher-is-better score never falls
when the actual value rises (nor a lower-is-better one rises); rounding is
half-up, exactly.
"""
from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tests.helpers import REPO
from engine import api
from engine.errors import EvalrunError, Source
from engine.scoring.evaluate import score_indicator
from engine.model import Budget, Indicator, Project, Rounding
from engine.rules.targets import TargetError, parse_measure

# These tests read evalrun's English messages (--lang en); tests/test_language.py and test_bad_inputs.py check the Chinese default.
pytestmark = pytest.mark.usefixtures("english")

RULESET = api.load_ruleset(REPO, "2025")
UNITS = ("家", "万元", "%", "人次", "个", "亿元", "")
COMPARATORS = ("≥", "≤", ">", "<", "=", "", "不低于", "不超过", "≧", "≦")
SUFFIXES = ("", "以上", "以下", "以内", "及以上")
PROPERTY = settings(max_examples=150, deadline=None)  # each of 18 cases; hypothesis keeps a failing example in .hypothesis/

amounts = st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False, allow_infinity=False)
positive = st.decimals(min_value=Decimal("0.01"), max_value=10**6, places=2, allow_nan=False, allow_infinity=False)
weights = st.decimals(min_value=0, max_value=100, places=1, allow_nan=False, allow_infinity=False)


def number_text(value: Decimal) -> str:
    return format(value, "f")


# ---------------------------------------------------------------- target grammar

target_like = st.builds(
    lambda cmp, growth, number, unit, suffix: f"{cmp}{growth}{number}{unit}{suffix}",
    st.sampled_from(COMPARATORS + ("≥≤", "=>", "<<")),
    st.sampled_from(("", "增长", "同比下降", "提高")),
    st.one_of(amounts.map(number_text), st.sampled_from(("1,000", "１２", "5.5.5", "-3", "+7", "1,00", "٣"))),
    st.sampled_from(UNITS + ("万美元", "元/亩", "月", "年底", "$$", "分钟/次/人")),
    st.sampled_from(SUFFIXES + ("前", "之内", "内外")),
)


@PROPERTY
@given(st.one_of(st.text(max_size=300), target_like, st.integers(), st.none(), st.booleans(),
                 st.decimals(allow_nan=False, allow_infinity=False)))
def test_the_target_parser_raises_only_its_own_error(text):
    try:
        measure = parse_measure(text, None, "target")
    except TargetError as exc:
        assert "target" in exc.message
    else:
        assert measure.kind in ("quantity", "growth", "date", "qualitative")
        assert measure.is_qualitative or measure.value is not None


@PROPERTY
@given(st.sampled_from(("≥", "不低于", "")), amounts, st.sampled_from(UNITS), st.sampled_from(("", "以上")))
def test_a_written_lower_bound_reads_back_as_written(prefix, value, unit, suffix):
    assume(not (prefix == "" and suffix == ""))
    measure = parse_measure(f"{prefix}{number_text(value)} {unit}{suffix}")
    assert (measure.comparator, measure.value, measure.unit) == (">=", value, unit)


# ---------------------------------------------------------------- one row


def row(target: str, actual: str, weight: Decimal, **more) -> Indicator:
    return Indicator(level1="产出指标", level2="数量指标", name="指标", weight=weight,
                     target=parse_measure(target), actual=parse_measure(actual), **more)


def score(target: str, actual: str, weight: Decimal) -> Decimal:
    return score_indicator(RULESET, row(target, actual, weight), weight).score


@PROPERTY
@given(st.sampled_from(("≥", "≤", ">", "<", "=", "")), amounts, amounts, st.sampled_from(("家", "万元", "%")), weights)
def test_a_quantitative_score_stays_within_zero_and_the_weight(comparator, target, actual, unit, weight):
    try:
        result = score(f"{comparator}{number_text(target)}{unit}", f"{number_text(actual)}{unit}", weight)
    except EvalrunError:
        return  # e.g. a ratio with a zero denominator: an error with the row's name, never a crash
    assert Decimal(0) <= result <= weight
    assert result == result.quantize(Decimal("0.01"))


@PROPERTY
@given(st.sampled_from(["达成年度指标", "部分达成并具有一定效果", "未达成且效果较差"]), weights,
       st.none() | st.decimals(min_value=0, max_value=100, places=2))
def test_a_qualitative_score_stays_within_zero_and_the_weight(level, weight, reported):
    indicator = row("及时", "及时", weight, level=level, reported_score=reported)
    result = score_indicator(RULESET, indicator, weight).score
    assert Decimal(0) <= result <= weight


@PROPERTY
@given(st.sampled_from(("≥", ">", "")), positive, amounts, amounts, weights)
def test_a_higher_is_better_score_never_falls_when_the_actual_rises(comparator, target, low, high, weight):
    low, high = min(low, high), max(low, high)
    goal = f"{comparator}{number_text(target)}家"
    assert score(goal, f"{number_text(low)}家", weight) <= score(goal, f"{number_text(high)}家", weight)


@PROPERTY
@given(st.sampled_from(("≤", "<")), positive, positive, positive, weights)
def test_a_lower_is_better_score_never_rises_when_the_actual_rises(comparator, target, low, high, weight):
    low, high = min(low, high), max(low, high)
    goal = f"{comparator}{number_text(target)}万元"
    assert score(goal, f"{number_text(low)}万元", weight) >= score(goal, f"{number_text(high)}万元", weight)


# ---------------------------------------------------------------- whole projects


@st.composite
def projects(draw):
    """Rows whose weights fill each group of the 2025 framework, some not applicable."""
    indicators = []
    for group in RULESET.groups:
        count = draw(st.integers(1, 4))
        cuts = sorted(draw(st.lists(st.integers(0, int(group.weight) * 2), min_size=count - 1, max_size=count - 1)))
        bounds = [0, *cuts, int(group.weight) * 2]
        for index in range(count):
            weight = Decimal(bounds[index + 1] - bounds[index]) / 2
            comparator = draw(st.sampled_from(("≥", "≤", "")))
            target = draw(positive)
            actual = draw(amounts)
            indicators.append(Indicator(
                level1=group.name, level2=group.subgroups[0], name=f"{group.name}{index}", weight=weight,
                target=parse_measure(f"{comparator}{number_text(target)}家"),
                actual=parse_measure(f"{number_text(actual)}家"),
                applicable=draw(st.booleans()) or index == 0,
            ))
    full_year = draw(positive)
    budget = Budget(unit="万元", initial=full_year, full_year=full_year, executed=draw(amounts))
    return Project(name="测试项目", department="测试单位", fiscal_year=2025, implementing_unit="",
                   budget=budget, spending=(), goals=(), indicators=tuple(indicators), narrative={},
                   report={}, file="projects/2025/测试单位/测试项目.yaml")


_BY_MODE: dict = {}


@PROPERTY
@pytest.mark.parametrize("mode", ["unallocated", "rescale", "redistribute"])
@given(project=projects())
def test_a_total_stays_within_zero_and_one_hundred(mode, project):
    ruleset = _BY_MODE.setdefault(mode, dataclasses.replace(RULESET, not_applicable=mode))  # compiled once a mode
    try:
        result = api.evaluate(ruleset, project)
    except EvalrunError:
        return  # a zero actual against `≤`: reported with the row's name
    assert Decimal(0) <= result.total <= result.max_total <= 100
    for scored in result.all_rows:
        if scored.applicable:
            assert Decimal(0) <= scored.score <= scored.allotted


# ---------------------------------------------------------------- rounding


@PROPERTY
@given(st.integers(-10**9, 10**9), st.integers(0, 4))
def test_rounding_is_half_up_exactly(digits, places):
    """digits x 10^-(places+1): the last digit decides, and 5 goes away from zero."""
    value = Decimal(digits).scaleb(-(places + 1))
    kept, last = divmod(abs(digits), 10)
    expected = (kept + (1 if last >= 5 else 0)) * (1 if digits >= 0 else -1)
    assert Rounding(places, "half_up").apply(value) == Decimal(expected).scaleb(-places)


@PROPERTY
@given(st.decimals(min_value=-10**6, max_value=10**6, allow_nan=False, allow_infinity=False), st.integers(0, 4))
def test_rounding_moves_a_value_by_at_most_half_a_unit(value, places):
    rounded = Rounding(places, "half_up").apply(value)
    assert abs(rounded - value) <= Decimal("0.5").scaleb(-places)
    assert rounded.as_tuple().exponent == -places


def test_redistributed_weights_are_published_numbers_that_add_up():
    """效益 15 with a 不适用 row of 1: 3 + 3/14 and 11 + 11/14 become 3.21 and 11.79, not 3.2142… and 11.7857…"""
    ruleset = dataclasses.replace(RULESET, not_applicable="redistribute")
    rows = [Indicator(level1="效益指标", level2="经济效益指标", name=f"r{w}", weight=Decimal(w),
                      target=parse_measure("≥1家"), actual=parse_measure("2家"), applicable=applicable)
            for w, applicable in ((1, False), (3, True), (11, True))]
    budget = Budget(unit="万元", initial=Decimal(1), full_year=Decimal(1), executed=Decimal(1))
    project = Project(name="p", department="d", fiscal_year=2025, implementing_unit="", budget=budget, spending=(),
                      goals=(), indicators=tuple(rows), narrative={}, report={}, file="p.yaml")
    result = api.evaluate(ruleset, project)
    assert [(r.allotted, r.score) for r in result.rows if r.applicable] == [
        (Decimal("3.21"), Decimal("3.21")), (Decimal("11.79"), Decimal("11.79"))]
    assert sum(r.score for r in result.rows if r.applicable) == 15


# ---------------------------------------------------------------- the edges of the numeric range

from engine.tools.explain import explain  # noqa: E402
from engine.rules.formulas import compile_formula  # noqa: E402
from engine.files.load import MAX_DIGITS, MAX_PLACES  # noqa: E402
from engine.model import Deduction, ReviewRules  # noqa: E402
from engine.rules.rulesets import RulesetCache  # noqa: E402
from engine.outputs.view import result_json  # noqa: E402

LARGEST = Decimal(10) ** MAX_DIGITS - Decimal(1).scaleb(-MAX_PLACES)  # 999999999999999.9999999999
SMALLEST = Decimal(1).scaleb(-MAX_PLACES)  # 0.0000000001
EDGES = (Decimal(0), SMALLEST, Decimal(1), Decimal("0.5"), Decimal(100), Decimal(10) ** (MAX_DIGITS - 1), LARGEST)
edge = st.one_of(st.sampled_from(EDGES), st.decimals(min_value=0, max_value=LARGEST, places=MAX_PLACES))
signed_edge = st.one_of(edge, edge.map(lambda v: -v))
WHERE = RULESET.methods["higher_is_better"].formula.source


def _extreme_ruleset():
    """The 2025 rules with formulas that scale what they get by large powers."""
    names = ("weight", "target", "actual", "met")
    methods = dict(RULESET.methods)
    methods["higher_is_better"] = dataclasses.replace(
        methods["higher_is_better"],
        formula=compile_formula("weight * floor((actual / target) ** 100) if target > 0 else ceil(actual ** 99)",
                                WHERE, names))
    methods["lower_is_better"] = dataclasses.replace(
        methods["lower_is_better"], formula=compile_formula("weight * (target / actual) ** 50 % 7", WHERE, names))
    budget = dataclasses.replace(
        RULESET.budget,
        rate=compile_formula("executed / full_year * 10 ** 100", RULESET.budget.rate.source,
                             ("initial", "full_year", "adjusted", "executed")))
    return dataclasses.replace(RULESET, methods=methods, budget=budget)


EDGE_RULESETS = {
    "2025 strict review": dataclasses.replace(RULESET, review=ReviewRules(True, Decimal("0.9"), Decimal("1.3"))),
    "2025 rescale": dataclasses.replace(RULESET, not_applicable="rescale"),
    "2025 redistribute": dataclasses.replace(RULESET, not_applicable="redistribute"),
    "department variant": RulesetCache(REPO, "2025").for_department("益阳市农业农村局"),
    "library-demo": api.load_ruleset(REPO, "library-demo"),
    "extreme formulas": _extreme_ruleset(),
}


FILE = "projects/2025/测试单位/边界项目.yaml"
LEVELS = [level.name for level in RULESET.methods["qualitative_levels"].levels]


@st.composite
def edge_row(draw):
    """(target text, actual text, level) of one row, its numbers from the edges of the range."""
    kind = draw(st.sampled_from(("amount", "money", "growth", "qualitative", "date")))
    value = draw(edge)
    if kind == "amount":
        unit, comparator = draw(st.sampled_from(("家", "%", ""))), draw(st.sampled_from(("≥", "≤", ">", "<", "=", "")))
        actual = draw(st.one_of(signed_edge.map(lambda v: f"{number_text(v)}{unit}"),
                                edge.map(lambda v: f"≥{number_text(v)}{unit}"), st.just("完成")))
        return f"{comparator}{number_text(value)}{unit}", actual, None
    if kind == "money":
        units = ("元", "万元", "亿元")
        comparator = draw(st.sampled_from(("≥", "≤", "")))
        actual = draw(signed_edge).copy_abs()
        return (f"{comparator}{number_text(value)}{draw(st.sampled_from(units))}",
                f"{number_text(actual)}{draw(st.sampled_from(units))}", None)
    if kind == "growth":
        return f"增长 {number_text(value)}% 以上", f"同比增长 {number_text(draw(signed_edge))}%", None
    if kind == "qualitative":
        return "及时", draw(st.sampled_from(("及时", "完成", "未完成", "部分完成"))), draw(st.none() | st.sampled_from(LEVELS))
    return "9月前", draw(st.sampled_from(("8月", "9月", "10月"))), draw(st.sampled_from(LEVELS))


@st.composite
def edge_projects(draw):
    """Projects whose every number is drawn from the edges of what a file may hold."""
    indicators = []
    line = 10
    for group in RULESET.groups:
        for index in range(draw(st.integers(1, 3))):
            target, actual, level = draw(edge_row())
            line += 6
            indicators.append(Indicator(
                level1=group.name, level2=group.subgroups[0], name=f"{group.name}{index}", weight=draw(edge),
                target=parse_measure(target), actual=parse_measure(actual), applicable=draw(st.booleans()) or index == 0,
                reported_score=draw(st.none() | edge), level=level, source=Source(FILE, line, 5)))
    budget = Budget(unit="万元", initial=draw(edge), full_year=draw(edge), executed=draw(edge),
                    adjusted=draw(st.none() | edge), reported_score=draw(st.none() | edge), source=Source(FILE, 5, 3))
    return Project(name="边界项目", department="测试单位", fiscal_year=2025, implementing_unit="", budget=budget,
                   spending=(), goals=(), indicators=tuple(indicators), narrative={}, report={}, file=FILE,
                   reported_total=draw(st.none() | edge), source=Source(FILE, 1, 1),
                   deductions=tuple(Deduction("扣分", points, Source(FILE, 90, 5))
                                    for points in draw(st.lists(edge, max_size=2))))


@settings(max_examples=100, deadline=None)
@pytest.mark.parametrize("name", list(EDGE_RULESETS))
@given(project=edge_projects())
def test_numbers_at_the_edges_of_the_range_give_a_result_or_one_user_error(name, project):
    """Scoring, the review checks, the JSON view and explain: never an internal error, never a hang."""
    ruleset = EDGE_RULESETS[name]
    try:
        result = api.evaluate(ruleset, project)
    except EvalrunError as exc:
        assert "\n" not in str(exc) and str(exc).startswith(f"{FILE}:"), str(exc)
        return
    result_json(result)
    explain(result)
    assert result.total >= 0 and result.total == ruleset.rounding.apply(result.total)
