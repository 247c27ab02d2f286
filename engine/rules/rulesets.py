"""Finding rulesets by name and resolving them: ``extends`` chains and department variants.

``rulesets/<name>/ruleset.yaml`` is a ruleset; it may name the ruleset it
builds on with ``extends``. ``rulesets/<name>/departments/<department>.yaml``
is a department's variant: the year's ruleset with that department's
overrides (it extends ``<name>`` unless it says otherwise). The resolved
data is what is validated, hashed and evaluated.
"""
from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path

from engine.errors import EvalrunError, Source, UsageError, did_you_mean, raise_all
from engine.rules.inherit import merge
from engine.rules.kinds import kind_fields
from engine.files.load import load_file
from engine.files.located import LDict
from engine.i18n import tr
from engine.model import Ruleset
from engine.files.paths import guard_path, shown
from engine.rules.resolve import build_ruleset, ruleset_errors
from engine.files.validate import check_schema, schema_errors

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_LIBRARY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*(/[A-Za-z0-9][A-Za-z0-9_.-]*)*$")
MAX_CHAIN = 20


def display(path: Path, workspace: Path) -> str:
    """A path as the user knows it: relative to the workspace, with / separators. A link is named as
    itself, not as where it leads (its folder is resolved, not the link)."""
    try:
        real = path.parent.resolve() / path.name if path.name not in ("", ".", "..") else path.resolve()
        return real.relative_to(workspace.resolve()).as_posix()
    except ValueError:
        return str(path)
    except (RuntimeError, OSError):  # a folder link in a loop (RuntimeError before Python 3.13): as written
        return shown(path, workspace)


def known_rulesets(workspace: Path) -> list[str]:
    root = workspace / "rulesets"
    return sorted(p.name for p in root.glob("*") if (p / "ruleset.yaml").is_file()) if root.is_dir() else []


def ruleset_file(workspace: Path, name: str) -> Path:
    if not isinstance(name, str) or not _NAME.match(name) or ".." in name:
        raise UsageError(tr("ruleset.bad_name", name=name))
    path = workspace / "rulesets" / name / "ruleset.yaml"
    if not path.is_file():
        known = known_rulesets(workspace)
        above = None if known else _workspace_above(workspace, name)
        raise UsageError(tr(
            "ruleset.missing", name=name, path=display(path, workspace),
            known=tr("ruleset.known_here", known=", ".join(known)) if known else
            tr("ruleset.workspace_above", folder=above, name=name) if above else
            tr("ruleset.not_a_workspace", workspace=workspace)))
    return path


def _workspace_above(workspace: Path, name: str) -> str | None:
    """The nearest folder above ``workspace`` that holds rulesets/<name> (run from inside the workspace, say from
    projects/), as the user would type it; None if there is none within a few levels."""
    try:
        start = workspace.resolve()
    except (OSError, RuntimeError):
        return None
    for level, folder in enumerate(start.parents[:6], 1):
        if (folder / "rulesets" / name / "ruleset.yaml").is_file():
            return os.path.join(*[os.pardir] * level) if workspace == Path(".") else str(folder)
    return None


def _read(workspace: Path, path: Path) -> LDict:
    shown = display(path, workspace)
    data = load_file(guard_path(workspace, path, "read"), shown)
    if not isinstance(data, dict):
        check_schema(data, "ruleset", shown)  # raises the "expected a mapping" error
    return data


def _parent(workspace: Path, child: LDict, chain: list[str]) -> tuple[LDict, list]:
    """The resolved parent named by ``child['extends']``, refusing cycles and unknown names."""
    parent_name = child["extends"]
    where = child.source_of("extends")
    if isinstance(parent_name, int) and not isinstance(parent_name, bool):
        parent_name = child["extends"] = str(parent_name)  # `extends: 2025` unquoted means the folder 2025
    if not isinstance(parent_name, str) or not _NAME.match(parent_name):
        raise EvalrunError(tr("ruleset.extends_not_a_name", got=_written(parent_name)), where)
    if parent_name in chain:
        cycle = " → ".join(chain + [parent_name])
        raise EvalrunError(tr("ruleset.extends_cycle", parent=parent_name, cycle=cycle), where)
    if len(chain) > MAX_CHAIN:
        raise EvalrunError(tr("ruleset.extends_too_long", limit=MAX_CHAIN), where)
    try:
        path = ruleset_file(workspace, parent_name)
    except UsageError:
        known = ", ".join(known_rulesets(workspace))
        raise EvalrunError(tr("ruleset.extends_missing", parent=parent_name, known=known), where) from None
    return _resolve_data(workspace, path, chain + [parent_name])


def _written(value) -> str:
    if isinstance(value, bool):
        return tr("ruleset.written_bool", value=str(value).lower())
    if value is None:
        return tr("value.nothing")
    if isinstance(value, (dict, list)):
        return tr("value.mapping") if isinstance(value, dict) else tr("value.list")
    return f"`{value}`"


def _empty(like: LDict) -> LDict:
    empty = LDict()
    empty.source, empty.key_sources, empty.value_sources = like.source, {}, {}
    return empty


def _with_library(workspace: Path, base: LDict, child: LDict, overrides: list, problems: list | None = None) -> LDict:
    """``base`` with the library blocks the child names in ``use``, in order."""
    names = child.get("use") or []
    if not isinstance(names, list):
        return base  # the schema reports it
    for index, name in enumerate(names):
        where = child["use"].source_of(index)
        if not isinstance(name, str) or not _LIBRARY_NAME.match(name) or ".." in name:
            raise EvalrunError(tr("ruleset.use_bad_name", name=name), where)
        path = workspace / "rulesets" / "library" / f"{name}.yaml"
        if not path.is_file():
            library = workspace / "rulesets" / "library"
            known = sorted(p.relative_to(library).with_suffix("").as_posix() for p in library.rglob("*.yaml")
                           if "tests" not in p.relative_to(library).parts)
            raise EvalrunError(tr("ruleset.use_missing", name=name, suggestion=did_you_mean(name, known)), where)
        block = _read(workspace, path)
        for key in ("use", "extends"):
            if key in block:
                raise EvalrunError(tr("ruleset.library_cannot", key=key), block.key_source(key))
        base = merge(base, block, (), overrides, problems)
    return base


def _resolve_data(workspace: Path, path: Path, chain: list[str]) -> tuple[LDict, list]:
    data = _read(workspace, path)
    overrides: list = []
    if "extends" in data:
        base, overrides = _parent(workspace, data, chain)
    else:
        base = _empty(data)
    problems: list = list(getattr(base, "problems", ()))  # the parent's, then this file's
    base = _with_library(workspace, base, data, overrides, problems)
    merged = merge(base, data, (), overrides, problems)
    merged.problems = problems  # reported with the schema's and the meaning errors by build_resolved
    return merged, overrides


def resolve_data(workspace: Path, name: str) -> tuple[LDict, list, str]:
    """The merged data of ruleset ``name``, its overrides, and its file as shown."""
    path = ruleset_file(workspace, name)
    data, overrides = _resolve_data(workspace, path, [name])
    return data, overrides, display(path, workspace)


def build_resolved(data: LDict, overrides: list, shown: str) -> Ruleset:
    merging = list(getattr(data, "problems", ()))  # overrides of what the parent lacks, skipped when merging
    problems = schema_errors(data, "ruleset", shown)
    if problems or merging:  # with the meaning errors of the parts the schema accepted: every problem at once
        raise_all(merging + ruleset_errors(data, shown, problems))
    ruleset = build_ruleset(data, shown)
    return replace(ruleset, overrides={o.new: o for o in overrides}, **kind_fields(data))


def load_ruleset(workspace: Path, name: str) -> Ruleset:
    data, overrides, shown = resolve_data(workspace, name)
    return build_resolved(data, overrides, shown)


def variant_file(workspace: Path, name: str, department: str) -> Path | None:
    folder = workspace / "rulesets" / name / "departments"
    if not department or department in (".", "..") or any(c in department for c in "/\\\0"):  # a name, not a path
        return None
    path = folder / f"{department}.yaml"
    if path.is_file() or path.is_symlink():
        return path  # read through the workspace guard: a link out of the workspace is refused, not skipped
    return None


def _lineage(workspace: Path, name: str) -> list[str]:
    """``name`` and the rulesets it extends, nearest first (stops at a name that cannot be read: resolving says why)."""
    chain = [name]
    while len(chain) <= MAX_CHAIN:
        try:
            data = _read(workspace, ruleset_file(workspace, chain[-1]))
        except EvalrunError:
            break
        if not isinstance(data, dict) or data.get("department_variants") == "own":
            break  # this ruleset keeps only its own department variants
        parent = data.get("extends")
        parent = str(parent) if isinstance(parent, int) and not isinstance(parent, bool) else parent
        if not isinstance(parent, str) or not _NAME.match(parent) or parent in chain:
            break
        chain.append(parent)
    return chain


def variant_of(workspace: Path, name: str, department: str) -> tuple[str, Path] | None:
    """(the ruleset folder holding it, the file) of the variant a department's projects use under ``name``.

    Variants follow ``extends``: a department's variant in a ruleset applies to
    every ruleset that extends it, directly or not, unless one nearer in the
    chain has its own variant for the department. An inherited variant keeps
    its differences and lays them over ``name`` (a ruleset that only changes
    the execution-rate denominator still scores the department its own way).
    """
    for owner in _lineage(workspace, name):
        path = variant_file(workspace, owner, department)
        if path is not None:
            return owner, path
    return None


def variant_departments(workspace: Path, name: str, inherited: bool = False) -> list[str]:
    """The departments with a variant of ruleset ``name`` (rulesets/<name>/departments/<department>.yaml);
    with ``inherited``, also those whose variant ``name`` inherits through ``extends``."""
    found = set()
    for owner in (_lineage(workspace, name) if inherited else [name]):
        folder = workspace / "rulesets" / owner / "departments"
        if folder.is_dir():
            found.update(p.stem for p in folder.glob("*.yaml") if variant_file(workspace, owner, p.stem) is not None)
    return sorted(found)


def load_variant(workspace: Path, name: str, department: str, base: Ruleset | None = None) -> Ruleset:
    """The ruleset a department's projects use: its variant if it has one (its own or inherited), else the year's."""
    if variant_of(workspace, name, department) is None:
        return base or load_ruleset(workspace, name)
    merged, overrides, shown = resolve_variant_data(workspace, name, department)
    return replace(build_resolved(merged, overrides, shown), variant=department)


def check_rulesets(workspace: Path, *names: str) -> None:
    """Each ruleset and each of its department variants must resolve and be valid: EvalrunErrors with every
    problem of all of them at once, else nothing."""
    errors: list[EvalrunError] = []
    for name in names:
        try:
            base = load_ruleset(workspace, name)
        except EvalrunError as exc:
            errors += exc.problems
            continue
        for department in variant_departments(workspace, name):
            try:
                load_variant(workspace, name, department, base)
            except EvalrunError as exc:
                errors += exc.problems
    raise_all(errors)


def resolve_variant_data(workspace: Path, name: str, department: str) -> tuple[LDict, list, str]:
    """The merged data of the department's variant of ``name`` (the year's own when it has none)."""
    found = variant_of(workspace, name, department)
    if found is None:
        return resolve_data(workspace, name)
    owner, path = found
    child = _read(workspace, path)
    shown = display(path, workspace)
    # A variant extends the ruleset it sits in unless it names another; inherited by a derived
    # ruleset, "the ruleset it sits in" is the derived one.
    follows = "extends" not in child or str(child["extends"]) == owner
    if not follows:
        parent, overrides = _parent(workspace, child, [f"{owner}/departments/{department}"])
    else:
        parent, overrides, _ = resolve_data(workspace, name)
    problems: list = list(getattr(parent, "problems", ()))
    parent = _with_library(workspace, parent, child, overrides, problems)
    merged = merge(parent, child, (), overrides, problems)
    merged.problems = problems
    return merged, overrides, shown


def derive(workspace: Path, name: str, fragment: LDict, shown: str) -> Ruleset:
    """Ruleset ``name`` with a fragment (its ``use`` blocks, then its keys) merged on top."""
    base, overrides, _ = resolve_data(workspace, name)
    base = _with_library(workspace, base, fragment, overrides)
    return build_resolved(merge(base, fragment, (), overrides), overrides, shown)


class RulesetCache:
    """Resolves each department's ruleset once per run."""

    def __init__(self, workspace: Path, name: str):
        self.workspace, self.name = workspace, name
        self.base = load_ruleset(workspace, name)
        self._variants: dict[str, Ruleset] = {}
        self._lineage: list[str] | None = None  # the rulesets whose variants apply (variant_of's), read once

    def for_department(self, department: str) -> Ruleset:
        if department not in self._variants:
            if self._lineage is None:
                self._lineage = _lineage(self.workspace, self.name)
            if any(variant_file(self.workspace, owner, department) is not None for owner in self._lineage):
                self._variants[department] = load_variant(self.workspace, self.name, department, self.base)
            else:  # no variant: the year's (load_variant's answer, without reading the chain for every department)
                self._variants[department] = self.base
        return self._variants[department]


__all__ = ["load_ruleset", "load_variant", "resolve_data", "ruleset_file", "RulesetCache", "Source"]
