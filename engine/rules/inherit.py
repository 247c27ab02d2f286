"""Ruleset inheritance: a child ruleset's overrides merged onto its parent.

The merge rules (the README repeats them for policy staff):

1. A mapping merges key by key: a key the child gives replaces or merges
   into the parent's; keys it does not give are inherited.
2. A list of named items (framework groups and method levels by ``name``,
   grades by ``grade``) merges item by item: an item whose name the parent
   has merges into it by rule 1; a new name is added at the end; an item
   with ``remove: true`` removes the parent's item of that name.
3. Anything else (numbers, text, plain lists such as ``subgroups``)
   replaces the parent's value whole.
4. A key set to ``null`` removes the inherited key (e.g. a method).
5. Keys that say one thing two ways (a group's ``weight`` or
   ``weight_range``, a method's ``formula`` or ``table``): giving one drops
   the inherited other.

Overriding or removing a named item or key the parent does not have, when
the child gives only part of it, is an error with the child's file and
line. Every value keeps the Source of the file that supplied it, and each
replacement is recorded, so ``explain`` can say which override won.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.errors import EvalrunError, Source, did_you_mean
from engine.files.located import LDict, LList
from engine.i18n import tr

NAME_KEYS = ("name", "grade")
# What a new entry must give, by where it is added ("*" is any method name).
# A new entry missing these is taken as an override of something the parent
# does not have, which is almost always a misspelt name.
REQUIRED = {
    ("framework",): ("name", "subgroups"),
    ("grades",): ("grade", "min"),
    ("methods",): ("label", "kind"),
    ("methods", "*", "levels"): ("name", "from", "to"),
    ("results_use", "by_grade"): ("advice",),
    ("results_use", "rules"): ("name", "advice"),
}


# Keys that say the same thing two ways: giving one drops the inherited other.
ALTERNATIVES = {
    ("framework", "*"): (("weight", "weight_range"),),
    ("methods", "*"): (("formula", "table"),),
}


def _alternative(path: tuple, key: str) -> str | None:
    for pattern, pairs in ALTERNATIVES.items():
        if len(pattern) == len(path) and all(p in ("*", q) for p, q in zip(pattern, path)):
            for a, b in pairs:
                if key in (a, b):
                    return b if key == a else a
    return None


@dataclass(frozen=True)
class Override:
    """One inherited value a child replaced: where the new and the old came from."""

    path: tuple
    new: Source
    old: Source
    merged: bool = False  # a named item the child merged into (some of its keys changed), not replaced


def _required(path: tuple) -> tuple:
    for pattern, keys in REQUIRED.items():
        if len(pattern) == len(path) and all(p in ("*", q) for p, q in zip(pattern, path)):
            return keys
    return ()


def _copy_dict(node: LDict) -> LDict:
    out = LDict(node)
    out.source = getattr(node, "source", Source())
    out.key_sources = dict(getattr(node, "key_sources", {}))
    out.value_sources = dict(getattr(node, "value_sources", {}))
    return out


def item_name(item: Any) -> str | None:
    if isinstance(item, dict):
        for key in NAME_KEYS:
            if isinstance(item.get(key), str):
                return item[key]
    return None


def is_named_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(item_name(v) for v in value)


def _where(node: Any, key: Any) -> Source:
    return node.source_of(key) if isinstance(node, (LDict, LList)) else getattr(node, "source", Source())


def _fail(problems: list | None, error: EvalrunError) -> None:
    """Raise ``error``, or keep it with the others when the caller collects every problem."""
    if problems is None:
        raise error
    problems.append(error)


def _complete(entry: Any, name: str, known: list, path: tuple, where: Source, problems: list | None) -> bool:
    keys = _required(path)
    missing = [k for k in keys if not isinstance(entry, dict) or k not in entry]
    if keys and missing:
        _fail(problems, EvalrunError(
            tr("inherit.override_missing", name=name, path=".".join(map(str, path)),
               suggestion=did_you_mean(name, known), missing=", ".join(missing)),
            where))
        return False
    return True


def merge(parent: Any, child: Any, path: tuple = (), overrides: list | None = None,
          problems: list | None = None) -> Any:
    """``child`` merged onto ``parent`` by the rules above; records overrides.

    With ``problems`` (a list), every override of something the parent does
    not have is added to it and skipped, so all of them are reported at once.
    """
    overrides = overrides if overrides is not None else []
    if isinstance(parent, dict) and isinstance(child, dict):
        return _merge_dicts(parent, child, path, overrides, problems)
    if is_named_list(parent) and isinstance(child, list) and all(item_name(v) for v in child):
        return _merge_named(parent, child, path, overrides, problems)
    return child


def _merge_dicts(parent: LDict, child: LDict, path: tuple, overrides: list, problems: list | None) -> LDict:
    out = _copy_dict(parent)
    for key, value in child.items():
        where = _where(child, key)
        if value is None:
            if key not in out:
                _fail(problems, EvalrunError(
                    tr("inherit.remove_missing_key", key=key, suggestion=did_you_mean(key, list(out))), where))
                continue
            overrides.append(Override(path + (key,), where, _where(out, key)))
            del out[key]
            out.value_sources.pop(key, None)
            continue
        if key in out:
            old = out[key]
            merged = merge(old, value, path + (key,), overrides, problems)
            if merged is value and value != old:  # replaced whole, not merged into
                overrides.append(Override(path + (key,), where, _where(out, key)))
            out[key] = merged
        else:
            if not _complete(value, key, list(out), path, where, problems):
                continue
            out[key] = value
        out.value_sources[key] = where
        if isinstance(child, LDict):
            out.key_sources[key] = child.key_source(key)
        other = _alternative(path, key)
        if other and other in out and other not in child:
            overrides.append(Override(path + (other,), where, _where(out, other)))
            del out[other]
    return out


def _merge_named(parent: list, child: list, path: tuple, overrides: list, problems: list | None) -> LList:
    items = list(parent)
    sources = [_where(parent, i) for i in range(len(parent))]
    names = [item_name(i) for i in items]
    for index, item in enumerate(child):
        where = _where(child, index)
        name = item_name(item)
        if item.get("remove") is True:
            if name not in names:
                _fail(problems, EvalrunError(
                    tr("inherit.remove_missing", name=name, suggestion=did_you_mean(name, names),
                       names=", ".join(names)), where))
                continue
            at = names.index(name)
            overrides.append(Override(path + (name,), where, sources[at]))
            del items[at], sources[at], names[at]
            continue
        if name in names:
            at = names.index(name)
            merged = merge(items[at], item, path + (name,), overrides, problems)
            if merged != items[at] and where != sources[at]:
                # The item now says what the child wrote: credit the child's line (a level's band,
                # a group), with the inherited item it changed, not the file it came from.
                overrides.append(Override(path + (name,), where, sources[at], merged=True))
                sources[at] = where
            items[at] = merged
        else:
            if not _complete(item, name, names, path, where, problems):
                continue
            items.append(item)
            sources.append(where)
            names.append(name)
    out = LList(items)
    out.source = getattr(child, "source", getattr(parent, "source", Source()))
    out.item_sources = sources
    return out
