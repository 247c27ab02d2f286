"""What a ruleset change does to scores, and which change causes each move.

The same projects are scored under the old and the new ruleset. For every
row, total and grade that moves, each single change of the diff is applied
alone to the old ruleset: the changes that move it alone are its causes.
A move that no single change explains comes from changes acting together.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

from .api import project_files
from .check import check_project
from .diff import Change, diff_data
from .errors import EvalrunError
from .evaluate import evaluate_project
from .inherit import item_name
from .load import LDict, LList, load_file
from .model import ProjectResult, Ruleset
from .paths import guard_path
from .resolve import build_project
from .rulesets import build_resolved, display, resolve_data
from .targets import format_number
from .validate import check_schema


@dataclass
class Move:
    what: str  # a row's name, 总分 or 等级
    old: str
    new: str
    causes: list = field(default_factory=list)  # Change objects; empty: changes together


@dataclass
class ProjectImpact:
    department: str
    project: str
    file: str
    old: ProjectResult | None = None
    new: ProjectResult | None = None
    moves: list = field(default_factory=list)
    failure: str = ""
    findings: list = field(default_factory=list)  # (side, message) of findings only one side has


def apply_change(data: LDict, change: Change) -> LDict:
    """A copy of ``data`` with one change of a diff applied."""
    out = copy.deepcopy(data)
    *parents, last = change.path
    node = out
    for part in parents:
        node = _child(node, part)
    if isinstance(node, list):
        names = [item_name(i) for i in node]
        if change.kind == "added":
            node.append(copy.deepcopy(change.new_value))
            if isinstance(node, LList):
                node.item_sources.append(change.new_source)
        else:
            at = names.index(last)
            if change.kind == "removed":
                del node[at]
                if isinstance(node, LList):
                    del node.item_sources[at]
            else:
                node[at] = copy.deepcopy(change.new_value)
        return out
    if change.kind == "removed":
        del node[last]
    else:
        node[last] = copy.deepcopy(change.new_value)
        if isinstance(node, LDict) and change.new_source is not None:
            node.value_sources[last] = change.new_source
    return out


def _child(node, part):
    if isinstance(node, list):
        return next(i for i in node if item_name(i) == part)
    return node[part]


def _score(ruleset: Ruleset, data: LDict, shown: str) -> ProjectResult:
    project = build_project(data, shown, ruleset, compare_mode=True)
    rate, budget_row, rows, groups, total, max_total, grade = evaluate_project(ruleset, project)
    findings = check_project(ruleset, project, rows, budget_row, total)
    return ProjectResult(project, ruleset, rate, budget_row, rows, groups, total, max_total, grade, findings)


def _values(result: ProjectResult) -> dict:
    values = {row.name or row.note: row.score for row in result.all_rows if row.applicable}
    values["总分"] = result.total
    values["等级"] = result.grade
    return values


def _text(value) -> str:
    if value is None:
        return "不适用"
    if isinstance(value, Decimal):
        return format_number(value)
    return str(value)


def impact(workspace: Path, old_name: str, new_name: str, year: int | None = None):
    """(changes, [ProjectImpact]) for the projects of ``year`` (default: the new ruleset's year)."""
    old_data, _, old_file = resolve_data(workspace, old_name)
    new_data, _, new_file = resolve_data(workspace, new_name)
    old_rules = build_resolved(old_data, [], old_file)
    new_rules = build_resolved(new_data, [], new_file)
    changes = diff_data(old_data, new_data)
    additions = [c for c in changes if c.kind == "added"]
    singles = []
    for change in changes:
        # A change that names something the new ruleset adds (a method_for
        # pointing at a new method) is tried together with the additions.
        for bundle in ([change], [change] + [a for a in additions if a is not change]):
            try:
                data = old_data
                for part in bundle:
                    data = apply_change(data, part)
                singles.append((change, build_resolved(data, [], old_file)))
                break
            except (EvalrunError, KeyError, StopIteration, ValueError):
                continue
    year = year or new_rules.fiscal_year
    if not project_files(workspace, new_rules) and year == new_rules.fiscal_year:
        year = old_rules.fiscal_year
    year_rules = new_rules if year == new_rules.fiscal_year else old_rules
    impacts = []
    for path in project_files(workspace, replace(year_rules, fiscal_year=year)):
        shown = display(path, workspace)
        data = load_file(guard_path(workspace, path, "read"), shown)
        check_schema(data, "project", shown)
        item = ProjectImpact(str(data["department"]), str(data["project"]), shown)
        impacts.append(item)
        try:
            item.old = _score(old_rules, data, shown)
            item.new = _score(new_rules, data, shown)
        except EvalrunError as exc:
            item.failure = str(exc)
            continue
        before, after = _values(item.old), _values(item.new)
        alone = []
        for change, rules in singles:
            try:
                alone.append((change, _values(_score(rules, data, shown))))
            except EvalrunError:
                continue
        for key in list(before) + [k for k in after if k not in before]:
            if before.get(key) != after.get(key):
                causes = [c for c, values in alone if values.get(key) != before.get(key)]
                item.moves.append(Move(key, _text(before.get(key)), _text(after.get(key)), causes))
        old_findings = {f.message for f in item.old.findings}
        new_findings = {f.message for f in item.new.findings}
        item.findings = [(old_name, m) for m in sorted(old_findings - new_findings)] + \
                        [(new_name, m) for m in sorted(new_findings - old_findings)]
    return changes, impacts
