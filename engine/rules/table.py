"""An indicator table carried in the ruleset: third-level rows with their 指标解释 and 评分标准.

A framework such as 财预〔2020〕10号 附件1 fixes its third-level indicators:
each has its groups, its weight, an explanation (指标解释) and a scoring
standard (评分标准) that the tables print beside the score. A ruleset says
so in ``indicator_table``; a project's rows then name a table row and take
from it what they leave out (level1, level2, weight), and a project that
leaves a table row out is told which, at its file:line. Any ruleset may
carry one; the evaluation kind reads its scores against it
(engine.files.stages: the ``evaluation:`` section's ``scores``).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from engine.errors import EvalrunError, Source, did_you_mean, raise_all
from engine.i18n import tr
from engine.rules.targets import Measure
from engine.rules.named import first_of_each_name

JUDGED = "judged"  # the target kind of a row scored by an evaluator's judgement
JUDGED_TARGET = Measure("", JUDGED)


def judged_errors(spec, where: Source) -> list:
    """A judged row's mistakes, at its file:line: no score, a score outside 0..weight, no reason."""
    name = spec.get("name", spec.get("level2", ""))
    if "weight" not in spec:
        return [EvalrunError(tr("table.no_weight", name=name), where)]
    weight = Decimal(str(spec["weight"]))
    if "score" not in spec:
        return [EvalrunError(tr("table.no_score", name=name, weight=_num(weight)), where)]
    score = Decimal(str(spec["score"]))
    values = {"name": name, "score": _num(score), "weight": _num(weight)}
    errors = []
    if score > weight:
        errors.append(EvalrunError(tr("table.above", **values), spec.source_of("score")))
    elif score < 0:
        errors.append(EvalrunError(tr("table.below", **values), spec.source_of("score")))
    if not str(spec.get("reason", "")).strip():
        errors.append(EvalrunError(tr("table.no_reason", **values), spec.source_of("score")))
    return errors


@dataclass(frozen=True)
class TableRow:
    level1: str
    level2: str
    name: str
    weight: Decimal
    explanation: str = ""
    standard: str = ""
    method: str | None = None
    source: Source = Source()


def _num(value: Decimal) -> str:
    from engine.rules.targets import format_number

    return format_number(value)


def build_table(specs, framework) -> tuple:
    """The ``indicator_table`` section (schema-valid) as TableRows, checked against the framework."""
    groups = {g["name"]: (list(g.get("subgroups") or []), g.get("weight")) for g in framework if isinstance(g, dict)}
    rows, errors = [], []
    twice = lambda name, line: tr("table.twice", name=name, line=line)  # noqa: E731
    for index, spec, where in first_of_each_name(specs, errors, twice):
        name, level1, level2 = spec["name"], spec["level1"], spec["level2"]
        if level1 not in groups:
            errors.append(EvalrunError(tr("table.group", index=index + 1, name=name, level1=level1,
                                                                known="、".join(groups)), spec.source_of("level1")))
        elif level2 not in groups[level1][0]:
            errors.append(EvalrunError(tr("table.subgroup",
                index=index + 1, name=name, level1=level1, level2=level2, known="、".join(groups[level1][0])),
                spec.source_of("level2")))
        rows.append(TableRow(level1, level2, name, Decimal(str(spec["weight"])), spec.get("explanation", ""),
                             spec.get("standard", ""), spec.get("method"), where))
    for group, (_, weight) in groups.items():
        total = sum((r.weight for r in rows if r.level1 == group), Decimal(0))
        if weight is not None and any(r.level1 == group for r in rows) and total != Decimal(str(weight)):
            first = next(r for r in rows if r.level1 == group)
            errors.append(EvalrunError(tr("table.sum", group=group, sum=_num(total), weight=_num(Decimal(str(weight)))),
                                       first.source))
    raise_all(errors)
    return tuple(rows)


def lay_table(data, ruleset) -> list:
    """``fill_rows`` on a project's data (as read, before its schema check), when the ruleset has a table."""
    if not ruleset.indicator_table or not isinstance(data, dict):
        return []
    return fill_rows(data.get("indicators"), ruleset.indicator_table, getattr(data, "source", Source()))


def fill_rows(indicators, table: tuple, where: Source) -> list:
    """Each project row naming a table row takes its level1, level2, weight and method when it leaves them out;
    the errors: a row the table does not have, a table row the project leaves out."""
    if not table or not isinstance(indicators, list):
        return []
    by_name = {row.name: row for row in table}
    errors, named = [], set()
    for index, spec in enumerate(indicators):
        if not isinstance(spec, dict) or "name" not in spec:
            continue
        row = by_name.get(spec["name"])
        if row is None:
            errors.append(EvalrunError(tr("table.unknown",
                name=spec["name"], hint=did_you_mean(spec["name"], list(by_name))), indicators.source_of(index)))
            continue
        named.add(row.name)
        for key, value in (("level1", row.level1), ("level2", row.level2), ("weight", row.weight),
                           ("method", row.method)):
            if key not in spec and value is not None:
                spec[key] = value
    missing = [row.name for row in table if row.name not in named]
    if missing:
        errors.append(EvalrunError(tr("table.missing", names="、".join(missing)), where))
    return errors
