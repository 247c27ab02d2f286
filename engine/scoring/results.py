"""The results of scoring: each row's score and how it was computed, the groups, a project's result.

Frozen dataclasses, named in engine.model with the rest of the domain nouns (a finding is in
engine/scoring/findings.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from engine.errors import Source
from engine._util import quick_init

if TYPE_CHECKING:
    from engine.model import Project, Ruleset
    from engine.rules.formulas import Formula


@quick_init
@dataclass(frozen=True)
class Input:
    """One value a formula used, and where it came from."""

    name: str
    value: object
    source: Source = Source()
    note: str = ""


@dataclass(frozen=True)
class Trace:
    """How one score was computed: method, formula, inputs, raw and rounded result."""

    method: str
    label: str
    formula: Formula
    inputs: tuple
    met: bool | None
    reason: str
    raw: Decimal
    rounded: Decimal
    rounding: str
    steps: tuple = ()
    band: tuple | None = None  # (low, high, level name) of a qualitative row's level


@dataclass(frozen=True)
class Score:
    """The result for one row of the table (a third-level indicator or 预算执行率)."""

    level1: str
    level2: str
    name: str
    weight: Decimal
    target: str
    actual: str
    applicable: bool
    score: Decimal | None
    trace: Trace | None
    reported_score: Decimal | None = None
    explanation: str = ""
    note: str = ""
    source: Source = Source()
    allotted: Decimal | None = None  # the weight after not-applicable rules
    method: str | None = None  # the method that scored it (None: not applicable)
    met: bool | None = None  # whether the target was reached (None for 预算执行率 and not applicable)
    band: tuple | None = None  # (low, high, level name) of a qualitative row's level
    name_en: str = ""  # the row's name in English (--lang en), if the rules or the project give it


@quick_init
@dataclass(frozen=True)
class GroupScore:
    name: str
    weight: Decimal
    score: Decimal


@quick_init
@dataclass(frozen=True)
class ProjectResult:
    project: Project
    ruleset: Ruleset
    execution_rate: Decimal
    budget_row: Score
    rows: tuple
    groups: tuple
    total: Decimal
    max_total: Decimal
    grade: str
    findings: tuple = ()
    previous: object = None  # the previous year's result from the results store (engine.store.history), if any
    adjustments: tuple = ()  # engine.scoring.totals.TotalAdjustment: the rules on the total that held
    measures: object = None  # engine.scoring.measures.MeasureResult: the ruleset's measures, if it has any
    verdict: str | None = None  # the review rules' verdict (通过 / 修改), when the ruleset has review rules

    @property
    def all_rows(self) -> tuple:
        return (self.budget_row,) + self.rows

    @property
    def has_errors(self) -> bool:
        return any(f.severity == "error" for f in self.findings)
