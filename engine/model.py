"""The domain nouns: rulesets, projects, indicators, scores and results.

Frozen dataclasses. Raw YAML stops at ``resolve``; everything past it works
on these. Every node keeps the ``Source`` it was read from.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Mapping

from engine.errors import Source
from engine._util import quick_init
from engine.i18n import lazy, tr_in
from engine.rules.formulas import Formula  # noqa: F401 - a domain noun, defined beside its checks
from engine.rules.targets import Measure, format_number

ROUNDING_MODES = {"half_up": ROUND_HALF_UP, "truncate": ROUND_DOWN, "half_even": ROUND_HALF_EVEN}
ROUNDING_LABELS = {"half_up": lazy("rounding.half_up"), "truncate": lazy("rounding.truncate"),
                   "half_even": lazy("rounding.half_even")}


# ---------------------------------------------------------------- ruleset


@dataclass(frozen=True)
class Level:
    """A qualitative level: a band of the weight, as fractions from..to."""

    name: str
    low: Decimal
    high: Decimal
    words: tuple = ()
    source: Source = Source()
    fixed: Decimal | None = None  # a fixed point of the band, when the ruleset sets one


@dataclass(frozen=True)
class TableRow:
    """One row of a decision table: inputs from..to (inclusive; None = unbounded) score this."""

    low: Decimal | None
    high: Decimal | None
    score: Formula
    source: Source = Source()

    def describe(self) -> str:
        low = "−∞" if self.low is None else format_number(self.low)
        high = "+∞" if self.high is None else format_number(self.high)
        return f"[{low}, {high}]"


@dataclass(frozen=True)
class DecisionTable:
    input: Formula
    rows: tuple


@dataclass(frozen=True)
class Method:
    name: str
    label: str
    kind: str  # "quantitative" | "qualitative"
    formula: Formula  # for a table method: its input formula
    levels: tuple = ()
    point: str = "top"  # which point of a level's band a rule score takes
    source: Source = Source()
    table: DecisionTable | None = None
    label_en: str = ""  # the label in English (--lang en), if the ruleset gives one


@dataclass(frozen=True)
class Rounding:
    places: int = 2
    mode: str = "half_up"

    def apply(self, value: Decimal) -> Decimal:
        quantum = Decimal(1).scaleb(-self.places)
        return value.quantize(quantum, rounding=ROUNDING_MODES[self.mode])

    def describe(self, language: str = "zh_CN") -> str:
        """How scores are rounded, in words: Chinese for the reports, ``i18n.language()`` for the console."""
        return tr_in(language, "rounding.describe", mode=ROUNDING_LABELS[self.mode], places=self.places)


@dataclass(frozen=True)
class GradeBand:
    grade: str
    minimum: Decimal
    source: Source = Source()
    name_en: str = ""  # the grade in English (--lang en), if the ruleset gives one


@dataclass(frozen=True)
class Group:
    """A first-level indicator group (一级指标) with its second-level groups.

    ``weight`` is None when the department sets it within ``weight_range``.
    """

    name: str
    weight: Decimal | None
    subgroups: tuple
    source: Source = Source()
    weight_range: tuple | None = None  # (min, max)
    name_en: str = ""  # the name in English (--lang en), if the ruleset gives one


@dataclass(frozen=True)
class Block:
    """Groups whose weights together make a fixed number of points."""

    groups: tuple
    weight: Decimal
    source: Source = Source()


@dataclass(frozen=True)
class ReviewRules:
    """When a deviation explanation (偏差原因分析及改进措施) is required."""

    explain_missed_target: bool = False
    explain_execution_below: Decimal | None = None
    explain_over_target: Decimal | None = None


@quick_init
@dataclass(frozen=True)
class BudgetRule:
    """How the execution rate (预算执行率) row is computed and scored."""

    name: str
    weight: Decimal
    rate: Formula
    score: Formula
    source: Source = Source()
    name_en: str = ""  # 预算执行率 in English (--lang en), if the ruleset gives it
    counted: bool = True  # false: a framework without a 预算执行率 row (the rate is still computed and shown)


@dataclass(frozen=True)
class TargetRules:
    bare_comparator: str = ">="
    equal_as: str = ">="  # "=" for an exact match
    repeated_actual: str = "met"  # an actual that repeats the target's bound: "met" or "unjudged"
    achieved_words: tuple = ()
    missed_words: tuple = ()


@dataclass(frozen=True)
class Ruleset:
    id: str
    title: str
    fiscal_year: int
    version: str
    sha256: str
    file: str
    rounding: Rounding
    grades: tuple
    budget: BudgetRule
    groups: tuple
    methods: Mapping[str, Method]
    method_for: Mapping[str, str]
    targets: TargetRules
    not_applicable: str
    checks: Mapping[str, str]
    source: Source = Source()
    overrides: Mapping = field(default_factory=dict, compare=False, repr=False)
    variant: str = ""  # the department whose overrides this is, if any
    blocks: tuple = ()
    review: ReviewRules = ReviewRules()
    results_use: object = None  # engine.scoring.advice.ResultsUse: 评价结果应用, when the ruleset has the section
    kind: str = "self-evaluation"  # the stage of the year it rules (engine.rules.kinds)
    total_rules: tuple = ()  # engine.rules.totals.TotalRule: rules on the total, applied in order
    measures: object = None  # engine.rules.measures.Measures: variables, dates and level tables, if any
    review_rules: object = None  # engine.rules.review_rules.ReviewRules: 审核规则 and their verdict, if any
    indicator_table: tuple = ()  # engine.rules.table.TableRow: third-level rows with 指标解释 and 评分标准

    def group(self, name: str) -> Group | None:
        try:
            return self._groups_by_name.get(name)
        except TypeError:  # not a name at all (a list where a text belongs)
            return None

    @cached_property
    def _groups_by_name(self) -> dict:
        """Each group by its name (the first, should two share one): asked for by every row of every project."""
        found: dict = {}
        for group in self.groups:
            found.setdefault(group.name, group)
        return found

    @property
    def ref(self) -> dict:
        ref = {"id": self.id, "version": self.version, "sha256": self.sha256}
        if self.variant:
            ref["variant"] = self.variant
        return ref

    def provenance(self, source: Source) -> str:
        """'file:line', plus the inherited value it replaced when it is an override."""
        override = self.overrides.get(source)
        return f"{source}, overriding {override.old}" if override else str(source)


# ---------------------------------------------------------------- project


@quick_init
@dataclass(frozen=True)
class FundPart:
    """A 其中 row of 年度资金总额 (当年财政拨款, 上年结转资金, 其他资金): the columns the table prints."""

    key: str
    label: str
    initial: Decimal | None = None
    full_year: Decimal | None = None
    executed: Decimal | None = None
    source: Source = Source()


@quick_init
@dataclass(frozen=True)
class SubItem:
    """A 其中 row below an indicator: its share of the parent's actual value (and weight)."""

    name: str
    target: str = ""
    actual: Measure | None = None
    weight: Decimal | None = None
    source: Source = Source()


@dataclass(frozen=True)
class Budget:
    unit: str
    initial: Decimal | None  # None: the table leaves 年初预算数 blank
    full_year: Decimal
    executed: Decimal
    adjusted: Decimal | None = None
    current_appropriation: Decimal | None = None
    carried_over: Decimal | None = None
    other: Decimal | None = None
    sources: Mapping[str, Source] = field(default_factory=dict, compare=False)
    source: Source = Source()
    explanation: str = ""
    reported_score: Decimal | None = None
    reported_rate: Decimal | None = None  # the printed 执行率 in percent, with its printed digits (55.32)
    parts: tuple = ()  # FundPart rows given, in the table's order


@quick_init
@dataclass(frozen=True)
class Deduction:
    reason: str
    points: Decimal
    source: Source = Source()


@quick_init
@dataclass(frozen=True)
class SpendingLine:
    item: str
    amount: Decimal
    source: Source = Source()


@quick_init
@dataclass(frozen=True)
class Goal:
    expected: str
    achieved: str


@quick_init
@dataclass(frozen=True)
class Indicator:
    level1: str
    level2: str
    name: str
    weight: Decimal
    target: Measure | None
    actual: Measure | None
    applicable: bool = True
    note: str = ""
    method: str | None = None
    level: str | None = None
    reported_score: Decimal | None = None
    explanation: str = ""
    sources: Mapping[str, Source] = field(default_factory=dict, compare=False)
    source: Source = Source()
    parts: tuple = ()  # SubItem rows (其中) below this one
    judged: Decimal | None = None  # a score an evaluator assigns (专家评分), with its ``reason``
    reason: str = ""
    name_en: str = ""  # the 三级指标 in English (--lang en), if the project file gives it

    @property
    def label(self) -> str:
        return self.name or self.note or self.level2


@quick_init
@dataclass(frozen=True)
class Project:
    name: str
    department: str
    fiscal_year: int
    implementing_unit: str
    budget: Budget
    spending: tuple
    goals: tuple
    indicators: tuple
    narrative: Mapping
    report: Mapping
    file: str
    reported_total: Decimal | None = None
    source: Source = Source()
    stated_weights: Mapping = field(default_factory=dict)
    stated_sources: Mapping = field(default_factory=dict, compare=False)
    deductions: tuple = ()
    stated_total: Decimal | None = None  # the 总分 the table states (its maximum)
    reported_grade: str | None = None  # the 评价等级 the table prints
    reported_subtotals: Mapping = field(default_factory=dict)  # 一级指标 -> the 得分小计 the table prints
    sources: Mapping = field(default_factory=dict, compare=False)  # top-level key -> where it was written
    stage: Mapping = field(default_factory=dict, compare=False)  # the stage's own values (engine.files.stages)
    file_sha256: str = field(default="", compare=False)  # of the bytes it was read from, for the results store

    @property
    def max_points(self) -> Decimal:
        """The most the total may score: the stated 总分, else 100."""
        return self.stated_total if self.stated_total is not None else Decimal(100)


# The results (Input, Trace, Score, GroupScore, ProjectResult) live in engine/scoring/results.py, a Finding
# in engine/scoring/findings.py,
# named here too: they are domain nouns like the rest, and the pickles of --jobs and the parse cache name them so.
from engine.scoring.findings import Finding  # noqa: E402,F401
from engine.scoring.results import GroupScore, Input, ProjectResult, Score, Trace  # noqa: E402,F401
