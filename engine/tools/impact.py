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

from engine.api import evaluate, project_files
from engine.tools.diff import Change, diff_data, effective
from engine.errors import EvalrunError
from engine.rules.inherit import item_name
from engine.files.load import load_file
from engine.files.located import LDict, LList
from engine.model import ProjectResult, Ruleset
from engine.files.paths import guard_path
from engine.rules.project import build_project
from engine.rules.rulesets import build_resolved, display, resolve_data, resolve_variant_data, variant_departments, variant_file
from engine.rules.targets import format_number
from engine.i18n import tr
from engine.files.validate import check_schema


@dataclass
class Move:
    what: str  # a row's name, or the total or grade in words
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
    findings: list = field(default_factory=list)  # (side, Finding) of findings only one side has
    errors: list = field(default_factory=list)  # findings the new rules mark as errors: the project is not graded

    @property
    def failed(self) -> bool:
        """Not scored under both rulesets, or an error under the new one: `diff --impact` exits with 1."""
        return bool(self.failure or self.errors)


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
    """As a run scores it (the rules' own findings too, 未定级 with an error), the year not checked."""
    return evaluate(ruleset, build_project(data, shown, ruleset, compare_mode=True))


def _values(result: ProjectResult) -> dict:
    values = {row.name or row.note: row.score for row in result.all_rows if row.applicable}
    values[_TOTAL] = result.total
    values[_GRADE] = result.grade
    return values


_TOTAL, _GRADE = ("total",), ("grade",)  # keys no row's name can be


def _what(key) -> str:
    return tr("impact.total") if key == _TOTAL else tr("impact.grade") if key == _GRADE else key


def _text(value) -> str:
    if value is None:
        return tr("impact.not_applicable")
    if isinstance(value, Decimal):
        return format_number(value)
    return str(value)


@dataclass
class _Side:
    """A department's rules on both sides, and each single change applied alone to the old ones."""

    old: Ruleset
    new: Ruleset
    changes: list
    singles: list  # (Change, Ruleset)


def _rules(workspace: Path, name: str, department: str | None):
    """(effective data, shown file, Ruleset) of the department's rules (the year's when it has no variant)."""
    if department is None:
        data, _, shown = resolve_data(workspace, name)
    else:
        data, _, shown = resolve_variant_data(workspace, name, department)
    data = effective(data)
    rules = build_resolved(data, [], shown)
    own = department is not None and variant_file(workspace, name, department) is not None
    return data, shown, (replace(rules, variant=department) if own else rules)


def _sides(workspace: Path, old_name: str, new_name: str, department: str | None) -> _Side:
    old_data, old_file, old_rules = _rules(workspace, old_name, department)
    new_data, _, new_rules = _rules(workspace, new_name, department)
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
    return _Side(old_rules, new_rules, changes, singles)


def impact(workspace: Path, old_name: str, new_name: str, year: int | None = None):
    """(changes, [ProjectImpact]) for the projects of ``year`` (default: the new ruleset's year).

    Each project is scored under its department's rules on each side: the
    department's variant where it has one, else the year's ruleset.
    """
    base = _sides(workspace, old_name, new_name, None)
    old_rules, new_rules = base.old, base.new
    variants = set(variant_departments(workspace, old_name)) | set(variant_departments(workspace, new_name))
    sides = {None: base}
    year = year or new_rules.fiscal_year
    if not project_files(workspace, new_rules) and year == new_rules.fiscal_year:
        year = old_rules.fiscal_year
    year_rules = new_rules if year == new_rules.fiscal_year else old_rules
    impacts = []
    for path in project_files(workspace, replace(year_rules, fiscal_year=year)):
        shown = display(path, workspace)
        department = path.parent.name if path.parent.name in variants else None
        item = ProjectImpact(path.parent.name, path.stem, shown)
        impacts.append(item)
        try:
            if department not in sides:
                sides[department] = _sides(workspace, old_name, new_name, department)
            side = sides[department]
            data = load_file(guard_path(workspace, path, "read"), shown)
            check_schema(data, "project", shown)
            item.department, item.project = str(data["department"]), str(data["project"])
            item.old = _score(side.old, data, shown)
            item.new = _score(side.new, data, shown)
        except EvalrunError as exc:
            item.failure = str(exc).replace("\n", "; ")
            continue
        before, after = _values(item.old), _values(item.new)
        alone = []
        for change, rules in side.singles:
            try:
                alone.append((change, _values(_score(rules, data, shown))))
            except EvalrunError:
                continue
        for key in list(before) + [k for k in after if k not in before]:
            if before.get(key) != after.get(key):
                causes = [c for c, values in alone if values.get(key) != before.get(key)]
                item.moves.append(Move(_what(key), _text(before.get(key)), _text(after.get(key)), causes))
        old_messages = {f.message for f in item.old.findings}
        new_messages = {f.message for f in item.new.findings}
        item.errors = [f for f in item.new.findings if f.severity == "error"]
        item.findings = [(old_name, f) for f in item.old.findings if f.message not in new_messages] + \
                        [(new_name, f) for f in item.new.findings
                         if f.message not in old_messages and f.severity != "error"]
    return base.changes, impacts
