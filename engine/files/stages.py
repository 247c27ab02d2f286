"""The data of one stage of the year in a project file.

A project file may carry several stages of the same year: the self-evaluation
data at its top level (today's), and for each other kind of ruleset its own
section: ``monitoring:`` (双监控), ``declaration:`` (绩效目标申报),
``evaluation:`` (部门评价/财政评价). A ruleset of a kind evaluates the files of
its year that carry its section (``stage_files``), each seen through that
section (``stage_data``): the section's values are laid over the file's, so
that the same budget and indicator tree serve every stage.

The monitoring section: ``as_of`` (the date), ``executed`` (执行数 to that
date), ``explanation`` (执行偏慢原因), and ``indicators``: per indicator, by
its name, the ``actual`` value to date and the text columns of the form
(``likelihood`` 完成目标可能性, ``reason`` 偏差原因及措施, ``forecast``
预计全年完成). Its shape is checked by the project schema (``$defs/monitoring``).

The evaluation section (部门评价/财政评价, 财预〔2020〕10号 附件1): ``evaluators``
(评价组), ``date``, ``conclusion`` (评价结论) and ``scores``: per row of the
ruleset's ``indicator_table``, by its name, the ``score`` the evaluators
assign and its ``reason`` (评分理由), or ``applicable: false``. The scores
become the project's rows (engine.rules.table fills in their groups and
weights); the file's budget gives the execution rate shown.

The declaration section (绩效目标申报表): ``continuing`` (延续项目; false or
left out: 新增项目), ``goals`` (``long_term`` 中长期目标 and ``annual``
年度目标, lists of texts), ``budget`` (``amount`` 申报预算 and ``unit``), and
``indicators``: each with ``level1``, ``level2``, ``name``, ``target``
(年度指标值), ``weight`` (分值) and ``basis`` (指标值设定依据及计量方法).
The review rules (engine.rules.review_rules) read these rows, with their
file:line; the file's own self-evaluation data stays as it is.
"""
from __future__ import annotations

import re
from pathlib import Path

from engine.errors import EvalrunError, Source
from engine.files.located import LDict, LList
from engine.files.reading import read_file

SECTIONS = {"monitoring": "monitoring", "target-review": "declaration", "evaluation": "evaluation"}
TEXT_COLUMNS = ("likelihood", "reason", "forecast")  # carried to the tables as written


def section_of(kind: str) -> str | None:
    return SECTIONS.get(kind)


def stage_files(files: list[Path], kind: str) -> list[Path]:
    """The files carrying ``kind``'s section at their top level (all files for the self-evaluation)."""
    section = section_of(kind)
    if section is None:
        return files
    pattern = re.compile(rb"^" + section.encode() + rb"\s*:", re.MULTILINE)
    kept = []
    for path in files:
        try:
            raw = read_file(path, "")
        except EvalrunError:
            kept.append(path)  # loading says what is wrong with it
            continue
        if pattern.search(raw):
            kept.append(path)
    return kept


def stage_data(data, kind: str):
    """(the project data as the stage sees it, the stage's own values); unchanged for the self-evaluation."""
    section = section_of(kind)
    if section is None or not isinstance(data, dict) or not isinstance(data.get(section), dict):
        return data, {}
    stage = data[section]
    if section == "monitoring":
        for key in ("reported_total", "reported_grade", "reported_subtotals", "spending", "goals"):
            data.pop(key, None)  # the year's table and spending lines, not this stage's
        budget = data.get("budget")
        if isinstance(budget, dict):
            budget.pop("reported_score", None)
            budget.pop("reported_rate", None)
        if isinstance(budget, dict) and "executed" in stage:
            budget["executed"] = stage["executed"]
            if "explanation" in stage:
                budget["explanation"] = stage["explanation"]
        rows = {r.get("name"): r for r in stage.get("indicators") or [] if isinstance(r, dict)}
        for ind in data.get("indicators") or []:
            given = rows.get(ind.get("name")) if isinstance(ind, dict) else None
            if given is not None and "actual" in given:
                ind["actual"] = given["actual"]
                ind.pop("reported_score", None)
                ind.pop("explanation", None)
    if section == "declaration":
        for key in ("reported_total", "reported_grade", "reported_subtotals"):
            data.pop(key, None)  # the year's self-evaluation table, not this stage's
    if section == "evaluation" and isinstance(stage.get("scores"), list):
        for key in ("reported_total", "reported_grade", "reported_subtotals", "stated_weights", "stated_total"):
            data.pop(key, None)  # the self-evaluation's table: the evaluators score the ruleset's table
        budget = data.get("budget")
        if isinstance(budget, dict):
            budget.pop("reported_score", None)
            budget.pop("reported_rate", None)
        data["indicators"] = stage["scores"]  # each names a row of the ruleset's indicator_table
        data.pop(section)  # laid over: its rows are now the project's (and are filled in from the table)
    plain = {key: value for key, value in stage.items() if key != "indicators"}
    plain["source"] = data.key_source(section) if hasattr(data, "key_source") else stage.source  # `declaration:`
    if section == "declaration":
        plain["rows"] = declared_rows(stage.get("indicators"))
    plain["indicators"] = {r.get("name"): {k: r[k] for k in TEXT_COLUMNS if k in r}
                           for r in stage.get("indicators") or [] if isinstance(r, dict)}
    return data, plain


def declared_parts(data, kind: str) -> tuple:
    """What of the year's table a file made when the targets are filed lacks and its declaration gives.

    Such a file carries only ``declaration:``: the year has no table yet. The
    review reads the declared rows either way; the file's missing ``indicators``
    and ``budget`` are not mistakes then, and are taken from the declaration
    (``lay_declaration``) once the schema has checked it.
    """
    if section_of(kind) != "declaration" or not isinstance(data, dict) or not isinstance(data.get("declaration"), dict):
        return ()
    stage = data["declaration"]
    rows, budget = stage.get("indicators"), stage.get("budget")
    return tuple(key for key, given in (("indicators", isinstance(rows, list) and bool(rows)),
                                        ("budget", isinstance(budget, dict) and "amount" in budget))
                 if given and key not in data)


def lay_declaration(data, parts: tuple) -> None:
    """The ``parts`` (``declared_parts``) from the declaration, each at the place it was declared: the rows,
    not applicable (nothing is done yet; no actual value is made up), and the budget declared, nothing executed."""
    if not parts:
        return
    stage = data["declaration"]
    if "indicators" in parts:
        rows = stage["indicators"]
        table = LList(_copied(row, drop=("basis",), applicable=False) for row in rows)
        table.source = rows.source
        table.item_sources = [rows.source_of(i) for i in range(len(rows))]
        data["indicators"] = table
        _placed(data, "indicators", stage.key_source("indicators"))
    if "budget" in parts:
        budget = stage["budget"]
        declared = _copied(budget, drop=("amount",), full_year=budget["amount"], executed=0)
        for key in ("full_year", "executed"):
            declared.value_sources[key] = budget.source_of("amount")
        data["budget"] = declared
        _placed(data, "budget", stage.key_source("budget"))


def _copied(row: LDict, drop=(), **added) -> LDict:
    """``row`` less ``drop`` plus ``added`` (placed where the row is), remembering where each part was written."""
    copy = LDict((key, value) for key, value in row.items() if key not in drop)
    copy.source = row.source
    copy.key_sources = {key: row.key_source(key) for key in copy}
    copy.value_sources = {key: row.source_of(key) for key in copy}
    for key, value in added.items():
        copy[key] = value
        copy.key_sources[key] = copy.value_sources[key] = row.source
    return copy


def _placed(data, key: str, where: Source) -> None:
    if isinstance(data, LDict):
        data.key_sources[key] = data.value_sources[key] = where


def declared_rows(rows) -> list[dict]:
    """The declaration's indicator rows as plain dicts, each with where it and its target were written."""
    out = []
    for index, row in enumerate(rows or []):
        if not isinstance(row, dict):
            continue
        out.append({"level1": row.get("level1", ""), "level2": row.get("level2", ""), "name": row.get("name", ""),
                    "target": row.get("target"), "weight": row.get("weight"), "basis": row.get("basis", ""),
                    "source": rows.source_of(index), "target_source": row.source_of("target")})
    return out
