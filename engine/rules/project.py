"""project: a project file's validated data -> a frozen Project, for the ruleset that scores it.

The meaning checks of a project's rows live here, next to the code that
builds them: groups and methods named exist, targets and actuals are
readable, the fiscal year is the ruleset's. Every problem found is
reported, not only the first.
"""
from __future__ import annotations

import hashlib
from dataclasses import replace
from functools import partial
from decimal import Decimal
from pathlib import Path
from typing import Any

from engine.errors import EvalrunError, Source, did_you_mean, raise_all
from engine.i18n import tr
from engine.files.cache import ParseCache
from engine.files.load import load_bytes
from engine.files.reading import read_file
from engine.files.located import LDict, LList
from engine.files.paths import guard_given
from engine.files.projectset import folder_errors
from engine.files.validate import schema_errors
from engine.model import Budget, Deduction, FundPart, Goal, Indicator, Project, Ruleset, SpendingLine, SubItem
from engine.rules.resolve import _dec, _opt, _refused, _sources, _src, plain
from engine.rules.rulesets import display
from engine.rules.targets import TargetError, parse_measure
from engine.files.stages import declared_parts, lay_declaration, stage_data
from engine.store.previous_rows import attach_previous_rows
from engine.rules.table import JUDGED_TARGET, judged_errors, lay_table


def project_errors(data: Any, filename: str, ruleset: Ruleset, schema_errors, compare_mode: bool = False) -> list:
    """The schema's errors and the meaning errors of every row the schema accepted, sorted by place.

    A file with a misspelt key in one row and an unreadable target in
    another gets both lines at once.
    """
    errors = list(schema_errors)
    if not isinstance(data, dict):
        return errors
    refused = _refused(schema_errors)
    year = data.get("fiscal_year")
    if (not compare_mode and isinstance(year, int) and not isinstance(year, bool) and not refused("fiscal_year")
            and year != ruleset.fiscal_year):
        errors.append(_year_error(data, ruleset))
    specs = data.get("indicators")
    if isinstance(specs, list):
        for index, spec in enumerate(specs):
            if not isinstance(spec, LDict):
                continue
            if refused("indicators", index):  # check the fields the schema accepted
                errors.extend(_field_errors(spec, ruleset, lambda *key: refused("indicators", index, *key)))
                continue
            try:
                if compare_mode:
                    spec = regroup(spec, ruleset)
                _build_indicator(spec, specs.source_of(index), ruleset)
            except EvalrunError as exc:
                errors.extend(getattr(exc, "errors", [exc]))
    return sorted(errors, key=EvalrunError.sort_key)


def _field_errors(spec: LDict, ruleset: Ruleset, refused) -> list:
    """The meaning errors of a row's fields that the schema accepted (its other fields it refused)."""
    errors = []
    usable = {k: v for k, v in spec.items() if not refused(k) and (k not in ("level1", "level2") or isinstance(v, str))}
    group = ruleset.group(usable["level1"]) if "level1" in usable else None
    if "level1" in usable and group is None:
        errors.append(_level1_error(spec, ruleset))
    elif group is not None and "level2" in usable and usable["level2"] not in group.subgroups:
        errors.append(_level2_error(spec, group))
    if usable.get("applicable", True) is not False:
        for key in ("target", "actual"):
            if isinstance(usable.get(key), (str, int, Decimal)) and not isinstance(usable.get(key), bool):
                try:
                    parse_measure(usable[key], spec.source_of(key), key)
                except TargetError as exc:
                    errors.append(exc)
    method = usable.get("method")
    if isinstance(method, str) and method not in ruleset.methods:
        errors.append(_method_error(spec, ruleset))
    return errors


def _level1_error(spec: LDict, ruleset: Ruleset) -> EvalrunError:
    names = [g.name for g in ruleset.groups]
    return EvalrunError(
        tr("project.unknown_level1", name=spec["level1"], suggestion=did_you_mean(spec["level1"], names),
           names=", ".join(names)),
        spec.source_of("level1"),
    )


def _level2_error(spec: LDict, group) -> EvalrunError:
    return EvalrunError(
        tr("project.unknown_level2", name=spec["level2"], group=group.name,
           suggestion=did_you_mean(spec["level2"], group.subgroups), names=", ".join(group.subgroups)),
        spec.source_of("level2"),
    )


def _method_error(spec: LDict, ruleset: Ruleset) -> EvalrunError:
    method = spec["method"]
    return EvalrunError(
        tr("project.unknown_method", method=method, suggestion=did_you_mean(method, list(ruleset.methods)),
           defined=", ".join(ruleset.methods)),
        spec.source_of("method"),
    )


def _year_error(data: LDict, ruleset: Ruleset) -> EvalrunError:
    return EvalrunError(
        tr("project.fiscal_year", year=data["fiscal_year"], ruleset=ruleset.id, ruleset_year=ruleset.fiscal_year),
        data.source_of("fiscal_year"),
    )


def build_project(data: LDict, filename: str, ruleset: Ruleset, compare_mode: bool = False,
                  file_sha256: str = "") -> Project:
    """Turn a schema-valid project mapping into a Project, reading every target.

    ``file_sha256``: of the bytes ``data`` was read from, when known (the results store records it).

    ``compare_mode`` scores a project under another year's ruleset (for
    ``diff --impact``): the fiscal year is not checked, and a row whose
    group that ruleset arranges differently is moved to where it belongs.
    """
    errors: list[EvalrunError] = []
    if not compare_mode and int(data["fiscal_year"]) != ruleset.fiscal_year:
        errors.append(_year_error(data, ruleset))
    budget_data = data["budget"]
    budget = Budget(
        unit=budget_data.get("unit", "万元"),
        initial=_opt(budget_data.get("initial")), full_year=_dec(budget_data["full_year"]),
        executed=_dec(budget_data["executed"]),
        adjusted=_opt(budget_data.get("adjusted")),
        current_appropriation=_part_initial(budget_data.get("current_appropriation")),
        carried_over=_part_initial(budget_data.get("carried_over")), other=_part_initial(budget_data.get("other")),
        parts=tuple(_fund_part(budget_data, key, label) for key, label in FUND_PARTS.items() if key in budget_data),
        sources=_sources(budget_data), source=budget_data.source,
        explanation=budget_data.get("explanation", ""), reported_score=_opt(budget_data.get("reported_score")),
        reported_rate=_percent_written(budget_data.get("reported_rate")),
    )
    errors.extend(_blank_amounts(budget_data, ruleset, filename))
    spending_data = data.get("spending", LList())
    spending = tuple(
        SpendingLine(line["item"], _dec(line["amount"]), _src(spending_data, i))
        for i, line in enumerate(spending_data)
    )
    goals = tuple(Goal(g["expected"], g.get("achieved", "")) for g in data.get("goals", ()))
    indicators = []
    for index, spec in enumerate(data["indicators"]):
        try:
            if compare_mode:
                spec = regroup(spec, ruleset)
            indicators.append(_build_indicator(spec, data["indicators"].source_of(index), ruleset))
        except EvalrunError as exc:
            errors.extend(getattr(exc, "errors", [exc]))
    raise_all(errors)
    return Project(
        name=data["project"], department=data["department"], fiscal_year=int(data["fiscal_year"]),
        implementing_unit=data.get("implementing_unit", ""), budget=budget, spending=spending,
        goals=goals, indicators=tuple(indicators), narrative=plain(data.get("narrative", {})),
        report=plain(data.get("report", {})), file=filename,
        reported_total=_opt(data.get("reported_total")), source=data.source,
        stated_weights={k: _dec(v) for k, v in data.get("stated_weights", {}).items()},
        stated_sources={k: data["stated_weights"].source_of(k) for k in data.get("stated_weights", {})},
        deductions=tuple(Deduction(d["reason"], _dec(d["points"]), _src(data["deductions"], i))
                         for i, d in enumerate(data.get("deductions", ()))),
        stated_total=_opt(data.get("stated_total")),
        sources={**{k: data.source_of(k) for k in data},
                 **{("reported_subtotals", k): data["reported_subtotals"].source_of(k)
                    for k in data.get("reported_subtotals", {})}},
        reported_grade=data.get("reported_grade"),
        reported_subtotals={k: _dec(v) for k, v in data.get("reported_subtotals", {}).items()},
        file_sha256=file_sha256,
    )


FUND_PARTS = {"current_appropriation": "其中：当年财政拨款", "carried_over": "上年结转资金", "other": "其他资金"}


def _part_initial(value: Any) -> Decimal | None:
    """A fund part's 年初预算数: the number itself, or its `initial`."""
    if isinstance(value, dict):
        return _opt(value.get("initial"))
    return _opt(value)


def _fund_part(budget_data: LDict, key: str, label: str) -> FundPart:
    value = budget_data[key]
    if isinstance(value, dict):
        return FundPart(key, label, _opt(value.get("initial")), _opt(value.get("full_year")),
                        _opt(value.get("executed")), budget_data.source_of(key))
    return FundPart(key, label, initial=_dec(value), source=budget_data.source_of(key))


def _sub_items(spec: LDict) -> tuple:
    """An indicator's 其中 rows; an actual value that cannot be read is an error quoting it."""
    items = []
    for index, item in enumerate(spec.get("parts", ())):
        where = spec["parts"].source_of(index)
        actual = None
        if "actual" in item:
            actual = parse_measure(item["actual"], item.source_of("actual"), "actual")
        items.append(SubItem(item["name"], str(item.get("target", "")), actual, _opt(item.get("weight")), where))
    return tuple(items)


def _blank_amounts(budget_data: LDict, ruleset: Ruleset, filename: str) -> list:
    """A budget amount the table leaves blank that a rule of the ruleset needs: an error now, never a made-up value."""
    rule = ruleset.budget
    errors = []
    for name, label in (("initial", "年初预算数"),):
        if budget_data.get(name) is None:
            for formula in (rule.rate, rule.score):
                if name in formula.names:
                    errors.append(EvalrunError(
                        tr("project.blank_amount", name=name, label=label, rule=rule.name, formula=formula.text,
                           source=formula.source), budget_data.source))
                    break
    return errors


def _percent_written(value: Any) -> Decimal | None:
    """A printed percentage (`55.32%`, or 55.32) as a Decimal keeping its printed digits."""
    if value is None:
        return None
    if isinstance(value, str):
        return Decimal(value.strip().rstrip("%％").strip())
    return _dec(value)


def regroup(spec: LDict, ruleset: Ruleset) -> LDict:
    """The row moved to the group this ruleset keeps its second-level group in.

    成本指标 is a second-level group of 产出指标 in some years and a
    first-level group of its own in others; a row keeps its meaning.
    """
    group = ruleset.group(spec["level1"])
    if group is not None and spec["level2"] in group.subgroups:
        return spec
    holders = [g for g in ruleset.groups if spec["level2"] in g.subgroups]
    own = ruleset.group(spec["level2"])
    if len(holders) == 1:
        level1, level2 = holders[0].name, spec["level2"]
    elif own is not None:
        level1, level2 = own.name, own.subgroups[0]
    elif group is None:
        holders = [g for g in ruleset.groups if spec["level1"] in g.subgroups]
        if len(holders) != 1:
            return spec
        level1, level2 = holders[0].name, spec["level1"]
    else:
        return spec
    moved = LDict(spec)
    for attr in ("source", "key_sources", "value_sources"):
        setattr(moved, attr, getattr(spec, attr))
    moved["level1"], moved["level2"] = level1, level2
    return moved


def _build_indicator(spec: LDict, where: Source, ruleset: Ruleset) -> Indicator:
    errors: list[EvalrunError] = []
    group = ruleset.group(spec["level1"])
    if group is None:
        errors.append(_level1_error(spec, ruleset))
    elif spec["level2"] not in group.subgroups:
        errors.append(_level2_error(spec, group))
    applicable = spec.get("applicable", True)
    target = actual = None
    judged_by = spec.get("method") in ruleset.methods and ruleset.methods[spec["method"]].kind == "judged"
    if applicable and ("score" in spec or judged_by):  # 专家评分: a score assigned, with its reason
        errors.extend(judged_errors(spec, where))
        target = JUDGED_TARGET
    elif applicable:
        for key in ("name", "weight", "target", "actual"):
            if key not in spec:
                errors.append(EvalrunError(
                    tr("project.missing_key", name=spec.get("name", spec["level2"]), key=key),
                    where,
                ))
        for key in ("target", "actual"):
            if key in spec:
                try:  # the value's place is made only for a message
                    measure = parse_measure(spec[key], None, key, where=partial(spec.source_of, key))
                except TargetError as exc:
                    errors.append(exc)
                    continue
                if key == "target":
                    target = measure
                else:
                    actual = measure
    method = spec.get("method")
    if method is not None and method not in ruleset.methods:
        errors.append(_method_error(spec, ruleset))
    parts = ()
    try:
        parts = _sub_items(spec)
    except TargetError as exc:
        errors.append(exc)
    raise_all(errors)
    return Indicator(
        level1=spec["level1"], level2=spec["level2"], name=spec.get("name", ""), parts=parts,
        weight=_dec(spec.get("weight", 0)), target=target, actual=actual, applicable=applicable,
        note=spec.get("note", ""), method=method, level=spec.get("level"),
        reported_score=_opt(spec.get("reported_score")), explanation=spec.get("explanation", ""),
        sources=_sources(spec), source=where, name_en=spec.get("name_en", ""),
        judged=_opt(spec.get("score")), reason=spec.get("reason", ""),
    )


def load_project(path: Path, ruleset: Ruleset, workspace: Path, cache: ParseCache | None = None,
                 shown: str | None = None, raw: bytes | None = None) -> Project:
    """The project file read, checked and built for ``ruleset``; from ``cache`` when the file is unchanged.

    Every problem at once: the schema's with the meaning errors of the rows
    the schema accepted, and a file whose department is not its folder.
    ``shown`` is the file as messages name it (``display``), when the caller knows it; ``raw`` the file's
    bytes, when the caller has just read them (``engine.runner.kept``).
    """
    shown = shown or display(path, workspace)
    if raw is None:
        raw = read_file(guard_given(workspace, path, "read"), shown)  # a link out of the workspace is refused
    digest = hashlib.sha256(raw).hexdigest()  # names the bytes for the cache and the results store
    project = cache.get(digest, shown, ruleset) if cache is not None else None
    if project is not None:
        return attach_previous_rows(project, ruleset, workspace)  # last year's actuals: never cached
    data, stage = stage_data(load_bytes(raw, shown), ruleset.kind)  # the stage of the year the ruleset rules
    filled = lay_table(data, ruleset)  # rows that name a row of the ruleset's indicator table
    declared = declared_parts(data, ruleset.kind)  # a file of the declaration alone: its table is declared
    problems = [p for p in schema_errors(data, "project", shown)
                if getattr(p, "missing", None) not in declared or p.source.path]  # only the file's own keys
    if problems or filled:
        raise_all(filled + (project_errors(data, shown, ruleset, problems) if problems else [])
                  + folder_errors(path, data, workspace))
    lay_declaration(data, declared)
    try:
        project = build_project(data, shown, ruleset, file_sha256=digest)
    except EvalrunError as exc:
        raise_all(list(getattr(exc, "errors", [exc])) + folder_errors(path, data, workspace))
    raise_all(folder_errors(path, data, workspace))
    project = replace(project, stage=stage) if stage else project
    if cache is not None:
        cache.put(digest, shown, ruleset, project)
    return attach_previous_rows(project, ruleset, workspace)
