"""Computing a ruleset's measures (engine.rules.measures) for one scored project.

The values are computed by the same compiled formula code as scores
(engine.scoring.evaluate.formula_value); a level table names the first row
whose range holds its input. What comes out is plain data for the reports,
the 汇总 and ``--json``: each value with its label, each level with the
input that chose it and the row's file:line.
"""
from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass
from decimal import Decimal

from engine.errors import EvalrunError
from engine.i18n import tr
from engine.model import Project, Ruleset
from engine.rules.measures import parse_date
from engine.rules.targets import GROWTH, QUANTITY
from engine.scoring import numeric
from engine.scoring.evaluate import formula_value
from engine.scoring.judge import in_target_terms


@dataclass(frozen=True)
class MeasureResult:
    as_of: datetime.date | None
    time_progress: Decimal | None
    values: tuple  # {name, label, value, format}
    levels: tuple  # {table, label, level, input, note, where}
    indicators: tuple  # per indicator row: {label, values, levels}

    def level(self, table: str) -> str | None:
        return next((lv["level"] for lv in self.levels if lv["table"] == table), None)


def time_progress(as_of: datetime.date, year: int, basis: str) -> Decimal:
    """The share of the fiscal year elapsed at the end of ``as_of``: whole months, or days."""
    if basis == "day":
        days = 366 if calendar.isleap(year) else 365
        return Decimal(as_of.timetuple().tm_yday) / Decimal(days)
    last_day = calendar.monthrange(as_of.year, as_of.month)[1]
    months = as_of.month if as_of.day == last_day else as_of.month - 1
    return Decimal(months) / Decimal(12)


def compute(ruleset: Ruleset, project: Project, rate: Decimal, total: Decimal, rows) -> MeasureResult | None:
    spec = ruleset.measures
    if spec is None:
        return None
    given = project.stage.get("as_of") if project.stage else None
    as_of = parse_date(given, project.source) if given is not None else spec.as_of
    progress = None
    if as_of is not None:
        if as_of.year != project.fiscal_year:
            raise EvalrunError(tr("measures.year", date=as_of, year=project.fiscal_year), project.source)
        progress = time_progress(as_of, project.fiscal_year, spec.basis)
    b = project.budget
    names = {"initial": b.initial, "full_year": b.full_year, "executed": b.executed,
             "adjusted": b.adjusted if b.adjusted is not None else b.full_year,
             "rate": ruleset.rounding.apply(rate * 100) / 100, "total": total, "time_progress": progress}
    values = []
    for variable in spec.variables:
        names[variable.name] = _run(variable.formula, names, variable.label, project)
        values.append({"name": variable.name, "label": variable.label, "value": names[variable.name],
                       "format": variable.format})
    levels = [_level(table, names, project) for table in spec.levels if table.per == "project"]
    indicators = []
    row_tables = [t for t in spec.levels if t.per == "indicator"]
    for ind, row in zip(project.indicators, rows):
        own = dict(names)
        numeric_row = (ind.applicable and ind.target is not None and ind.actual is not None
                       and ind.target.kind in (QUANTITY, GROWTH) and ind.actual.kind in (QUANTITY, GROWTH)
                       and ind.target.value is not None)
        row_values, row_levels = [], []
        if numeric_row:
            own.update(target=ind.target.value, actual=_actual(ind), weight=ind.weight,
                       score=row.score, met=row.met)
            for variable in spec.indicator_variables:
                own[variable.name] = _run(variable.formula, own, variable.label, project)
                row_values.append({"name": variable.name, "label": variable.label, "value": own[variable.name],
                                   "format": variable.format})
            row_levels = [_level(table, own, project) for table in row_tables]
        indicators.append({"label": ind.label, "level1": ind.level1, "level2": ind.level2,
                           "target": ind.target.text if ind.target else "",
                           "actual": ind.actual.text if ind.actual else "",
                           "values": row_values, "levels": row_levels})
    return MeasureResult(as_of, progress, tuple(values), tuple(levels), tuple(indicators))


def _actual(ind) -> Decimal:
    actual, target = ind.actual, ind.target
    if actual.kind == target.kind and actual.unit in (target.unit, ""):
        return actual.value
    return in_target_terms(ind)


def _run(formula, names: dict, what: str, project: Project) -> Decimal:
    if "time_progress" in formula.names and names.get("time_progress") is None:
        raise EvalrunError(tr("measures.no_date"), project.source)
    missing = [n for n in formula.names if names.get(n) is None]
    if missing:  # a blank 年初预算数: a value the data does not have
        return None
    try:
        return formula_value(formula, names)
    except (ArithmeticError, TypeError, ValueError) as exc:
        message = tr("measures.failed", what=what, text=formula.text, reason=numeric.failure_reason(exc),
                     where=formula.source)
        raise EvalrunError(message, project.source) from None


def _level(table, names: dict, project: Project) -> dict:
    value = _run(table.input, names, table.label, project)
    if value is None:
        return {"table": table.name, "label": table.label, "level": "", "input": None,
                "formula": table.input.text, "note": "", "where": ""}
    row = next((r for r in table.rows if r.holds(value)), table.rows[-1])
    return {"table": table.name, "label": table.label, "level": row.level, "input": value,
            "formula": table.input.text, "note": row.note, "where": str(row.source)}
