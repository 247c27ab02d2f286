"""Measures: named values, date-based variables and level tables a ruleset computes beside the scores.

Any ruleset may add (the monitoring kind is built from them, DESIGN.md):

- ``as_of``: ``{date: 2025-06-30, basis: month | day}``, the date the data
  stands at (a project's stage data may give its own ``as_of``). It gives
  every formula below ``time_progress``, the share of the fiscal year elapsed
  (30 June: 6/12 = 50.00% by month, 181/365 = 49.59% by day);
- ``variables``: ``[{name, label, formula, format}]`` per project, over the
  budget (initial, full_year, adjusted, executed), ``rate``, ``total``,
  ``time_progress`` and the variables before it;
- ``indicator_variables``: the same per indicator row with a numeric target,
  over ``target``, ``actual`` (in the target's unit), ``weight``, ``score``,
  ``met``, ``time_progress`` and the project's variables;
- ``levels``: tables that name a level (预警 红/黄/绿, ...) by thresholds:
  ``{name, label, per: project | indicator, input: formula, rows: [{level,
  from, below, note}]}``; the first row whose range holds the input wins,
  the last row has no range (it catches the rest);
- ``grade_by``: a project-level table whose level is shown as the grade.

Every formula is checked by the one allowlist (engine.rules.formulas) when
the ruleset loads; engine.scoring.measures computes them.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from engine.errors import EvalrunError, Source, did_you_mean, raise_all
from engine.i18n import tr
from engine.rules.formulas import Formula, compile_formula

PROJECT_NAMES = ("initial", "full_year", "adjusted", "executed", "rate", "total", "time_progress")
INDICATOR_NAMES = ("target", "actual", "weight", "score", "met", "time_progress")


@dataclass(frozen=True)
class Variable:
    name: str
    label: str
    formula: Formula
    format: str = "number"  # "percent" | "number"
    source: Source = Source()


@dataclass(frozen=True)
class LevelRow:
    level: str
    low: Decimal | None
    high: Decimal | None
    note: str = ""
    source: Source = Source()

    def holds(self, value: Decimal) -> bool:
        return (self.low is None or value >= self.low) and (self.high is None or value < self.high)


@dataclass(frozen=True)
class LevelTable:
    name: str
    label: str
    per: str  # "project" | "indicator"
    input: Formula
    rows: tuple
    source: Source = Source()


@dataclass(frozen=True)
class Measures:
    as_of: datetime.date | None = None
    basis: str = "month"
    variables: tuple = ()
    indicator_variables: tuple = ()
    levels: tuple = ()
    grade_by: str | None = None
    source: Source = Source()


def parse_date(value, where: Source) -> datetime.date:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError:
        raise EvalrunError(tr("measures.as_of", text=value), where) from None


def build_measures(data) -> Measures | None:
    """The ruleset's measures, or None when it has none; every mistake with its file:line."""
    if not any(key in data for key in ("as_of", "variables", "indicator_variables", "levels")):
        return None
    errors: list = []
    as_of, basis = None, "month"
    if "as_of" in data:
        spec = data["as_of"]
        basis = spec.get("basis", "month")
        if "date" in spec:
            try:
                as_of = parse_date(spec["date"], spec.source_of("date"))
            except EvalrunError as exc:
                errors.append(exc)
    known = list(PROJECT_NAMES)
    variables = _variables(data.get("variables") or [], known, errors)
    project_known = list(known)
    indicator_variables = _variables(data.get("indicator_variables") or [], list(INDICATOR_NAMES) + known, errors)
    indicator_known = list(INDICATOR_NAMES) + project_known + [v.name for v in indicator_variables]
    levels = []
    for index, spec in enumerate(data.get("levels") or []):
        where = data["levels"].source_of(index)
        per = spec.get("per", "project")
        try:
            formula = compile_formula(spec["input"], spec.source_of("input"),
                                      indicator_known if per == "indicator" else project_known, tr("measures.what.input"))
        except EvalrunError as exc:
            errors.append(exc)
            continue
        rows = []
        specs = spec["rows"]
        for k, row in enumerate(specs):
            low = Decimal(str(row["from"])) if "from" in row else None
            high = Decimal(str(row["below"])) if "below" in row else None
            last = k == len(specs) - 1
            if last and (low is not None or high is not None):
                errors.append(EvalrunError(tr("measures.catch_all", name=spec["name"]), specs.source_of(k)))
            elif not last and low is None and high is None:
                errors.append(EvalrunError(tr("measures.no_range", name=spec["name"], index=k + 1),
                                           specs.source_of(k)))
            rows.append(LevelRow(row["level"], low, high, row.get("note", ""), specs.source_of(k)))
        levels.append(LevelTable(spec["name"], spec.get("label", spec["name"]), per, formula, tuple(rows), where))
    grade_by = data.get("grade_by")
    if grade_by is not None:
        project_tables = [t.name for t in levels if t.per == "project"]
        if grade_by not in project_tables:
            message = tr("measures.grade_by", name=grade_by, hint=did_you_mean(grade_by, project_tables))
            errors.append(EvalrunError(message, data.source_of("grade_by")))
    raise_all(errors)
    return Measures(as_of, basis, variables, indicator_variables, tuple(levels), grade_by, data.source)


def _variables(specs, known: list, errors: list) -> tuple:
    """Variables in order, each able to use the ones before it; their names are added to ``known``."""
    out, seen = [], {}
    for index, spec in enumerate(specs):
        where = specs.source_of(index)
        name = spec["name"]
        if name in seen:
            errors.append(EvalrunError(tr("measures.twice", name=name, line=seen[name].line), where))
            continue
        if name in PROJECT_NAMES or name in INDICATOR_NAMES:
            errors.append(EvalrunError(tr("measures.clash", name=name), spec.source_of("name")))
            continue
        seen[name] = where
        try:
            formula = compile_formula(spec["formula"], spec.source_of("formula"), known, tr("measures.what.formula"))
        except EvalrunError as exc:
            errors.append(exc)
            continue
        out.append(Variable(name, spec.get("label", name), formula, spec.get("format", "number"), where))
        known.append(name)
    return tuple(out)
