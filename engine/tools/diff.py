"""What changed between two resolved rulesets, in words a policy author reads.

The comparison runs on the resolved data (after ``extends``), matching
framework groups, grades and levels by name, so a reordered list is no
change. Each change keeps the file and line of both sides and can be
applied alone to the older ruleset: that is how ``impact`` finds which
change moves which score.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.errors import Source
from engine.rules.inherit import is_named_list, item_name
from engine.files.located import LDict, LList
from engine.rules.resolve import DEFAULT_CHECKS, plain
from engine.tools.diff_words import describe

IGNORED = {"extends", "description", "use"}  # how a ruleset is written, not what it rules (`use` is merged in)


@dataclass(frozen=True)
class Change:
    path: tuple
    kind: str  # "changed" | "added" | "removed"
    old: Any
    new: Any
    old_source: Source | None
    new_source: Source | None
    old_value: Any = field(default=None, compare=False, repr=False)  # as read, for applying
    new_value: Any = field(default=None, compare=False, repr=False)

    def describe(self) -> str:
        """The change in a sentence, in the language in use."""
        return describe(self)

    def where(self) -> str:
        sides = [str(s) for s in (self.old_source, self.new_source) if s is not None]
        return " → ".join(sides)


def _src(node: Any, key: Any) -> Source | None:
    if isinstance(node, (LDict, LList)):
        if isinstance(node, LList) and not isinstance(key, int):
            names = [item_name(i) for i in node]
            key = names.index(key) if key in names else -1
        return node.source_of(key) if key != -1 else node.source
    return None


def effective(data: LDict) -> LDict:
    """The resolved data with the checks a ruleset leaves out at their default level, as evaluation sees them.

    So a ruleset that names every check and one that names none differ
    only where the levels differ.
    """
    given = data.get("checks")
    if not isinstance(data, LDict) or (isinstance(given, dict) and set(DEFAULT_CHECKS) <= set(given)):
        return data
    checks = LDict(DEFAULT_CHECKS)
    where = given.source if isinstance(given, LDict) else data.source
    checks.source, checks.key_sources, checks.value_sources = where, {}, {}
    if isinstance(given, LDict):
        checks.update(given)
        checks.key_sources.update(given.key_sources)
        checks.value_sources.update(given.value_sources)
    out = LDict(data)
    out.source, out.key_sources, out.value_sources = data.source, dict(data.key_sources), dict(data.value_sources)
    out["checks"] = checks
    out.value_sources.setdefault("checks", where)
    return out


def diff_data(old: Any, new: Any, path: tuple = ()) -> list[Change]:
    """Every difference between two resolved rulesets' data, in reading order."""
    if not path:
        old, new = effective(old), effective(new)
    if isinstance(old, dict) and isinstance(new, dict):
        changes = []
        for key in list(old) + [k for k in new if k not in old]:
            if not path and key in IGNORED:
                continue
            if key not in new:
                changes.append(Change(path + (key,), "removed", plain(old[key]), None, _src(old, key), None,
                                      old[key], None))
            elif key not in old:
                changes.append(Change(path + (key,), "added", None, plain(new[key]), None, _src(new, key),
                                      None, new[key]))
            else:
                changes.extend(_diff_child(old, new, key, path))
        return changes
    if is_named_list(old) and is_named_list(new):
        old_items = {item_name(i): i for i in old}
        new_items = {item_name(i): i for i in new}
        changes = []
        for name in list(old_items) + [n for n in new_items if n not in old_items]:
            if name not in new_items:
                changes.append(Change(path + (name,), "removed", plain(old_items[name]), None, _src(old, name),
                                      None, old_items[name], None))
            elif name not in old_items:
                changes.append(Change(path + (name,), "added", None, plain(new_items[name]), None, _src(new, name),
                                      None, new_items[name]))
            else:
                changes.extend(diff_data(old_items[name], new_items[name], path + (name,)))
        return changes
    return []


def _diff_child(old: dict, new: dict, key: Any, path: tuple) -> list[Change]:
    a, b = old[key], new[key]
    if (isinstance(a, dict) and isinstance(b, dict)) or (is_named_list(a) and is_named_list(b)):
        return diff_data(a, b, path + (key,))
    if plain(a) != plain(b):
        return [Change(path + (key,), "changed", plain(a), plain(b), _src(old, key), _src(new, key), a, b)]
    return []


# ---------------------------------------------------------------- department variants


@dataclass(frozen=True)
class DepartmentDiff:
    """How one department's rules differ, beyond the differences of the years' rulesets."""

    department: str
    old_file: str  # the variant's file, or the year's ruleset when the department has none that year
    new_file: str
    changes: tuple  # differences of the department's rules that the years' rulesets do not have
    not_applying: tuple = ()  # differences of the years' rulesets that the department's rules do not have


def _key(change: Change) -> tuple:
    return change.path, change.kind, repr(change.old), repr(change.new)


def department_diffs(workspace, old_name: str, new_name: str, base_changes: list[Change]) -> list[DepartmentDiff]:
    """Every department with a variant on either side, and the changes of its rules not already in ``base_changes``.

    A variant that is on one side only (left behind by a new year, or added)
    shows as the changes it makes or undoes.
    """
    from engine.rules.rulesets import resolve_variant_data, variant_departments

    listed = {_key(c) for c in base_changes}
    diffs = []
    for department in sorted(set(variant_departments(workspace, old_name)) | set(variant_departments(workspace, new_name))):
        old_data, _, old_file = resolve_variant_data(workspace, old_name, department)
        new_data, _, new_file = resolve_variant_data(workspace, new_name, department)
        changes = diff_data(old_data, new_data)
        own = tuple(c for c in changes if _key(c) not in listed)
        kept = {_key(c) for c in changes}
        diffs.append(DepartmentDiff(department, old_file, new_file, own,
                                    tuple(c for c in base_changes if _key(c) not in kept)))
    return diffs


@dataclass(frozen=True)
class RulesetDiff:
    """What changed from ruleset ``old`` to ``new`` (after extends), and in each department's variant."""

    old: str
    new: str
    changes: list  # [Change] of the years' rulesets
    departments: list  # [DepartmentDiff]


def ruleset_diff(workspace, old: str, new: str) -> RulesetDiff:
    """Both rulesets resolved and diffed; both must be valid, their department variants too (every problem of
    both at once, as EvalrunErrors)."""
    from engine.rules.rulesets import check_rulesets, resolve_data

    old_data, _, _ = resolve_data(workspace, old)
    new_data, _, _ = resolve_data(workspace, new)
    check_rulesets(workspace, old, new)
    changes = diff_data(old_data, new_data)
    return RulesetDiff(old, new, changes, department_diffs(workspace, old, new, changes))
