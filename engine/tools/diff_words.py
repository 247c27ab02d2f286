"""A ruleset change in words a policy author reads, in the language in use (engine.tools.diff finds the changes).

The words are the catalogs' (``diff.*``): Chinese by default, English with
``--lang en``. Names and values from the rulesets (产出指标, a grade, a
formula) are shown as written.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from engine.i18n import lazy, tr
from engine.model import ROUNDING_LABELS
from engine.rules.targets import format_number

# The keys inside a changed value (a method, a level, a table row) in words.
_KEY_WORDS = {
    "label": lazy("diff.key.label"), "kind": lazy("diff.key.kind"), "formula": lazy("diff.key.formula"),
    "point": lazy("diff.key.point"), "levels": lazy("diff.key.levels"), "table": lazy("diff.key.table"),
    "name": lazy("diff.key.name"), "weight": lazy("diff.key.weight"), "weight_range": lazy("diff.key.weight_range"),
    "subgroups": lazy("diff.key.subgroups"), "from": lazy("diff.key.from"), "to": lazy("diff.key.to"),
    "words": lazy("diff.key.words"), "description": lazy("diff.key.description"), "input": lazy("diff.key.input"),
    "rows": lazy("diff.key.rows"), "score": lazy("diff.key.score"), "groups": lazy("diff.key.groups"),
    "min": lazy("diff.key.min"), "grade": lazy("diff.key.grade"), "rate": lazy("diff.key.rate"),
    "explain_missed_target": lazy("diff.key.explain_missed_target"),
    "explain_execution_below": lazy("diff.key.explain_execution_below"),
    "explain_over_target": lazy("diff.key.explain_over_target"),
}
_VALUE_WORDS = {"quantitative": lazy("diff.value.quantitative"), "qualitative": lazy("diff.value.qualitative"),
                "top": lazy("diff.value.top"), "middle": lazy("diff.value.middle"), "bottom": lazy("diff.value.bottom")}
NA_WORDS = {"unallocated": lazy("diff.na.unallocated"), "rescale": lazy("diff.na.rescale"),
            "redistribute": lazy("diff.na.redistribute")}


def _v(value: Any) -> str:
    if isinstance(value, bool):
        return tr("diff.value.yes") if value else tr("diff.value.no")
    if isinstance(value, dict) and set(value) == {"min", "max"}:
        return f"{_v(value['min'])}–{_v(value['max'])}"
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return tr("diff.list_separator").join(_item(v) for v in value)
    if isinstance(value, list):
        return tr("diff.list_separator").join(map(_v, value)) or tr("diff.value.none")
    if isinstance(value, dict):
        return tr("diff.part_separator").join(f"{_KEY_WORDS.get(k, k)}: {_v(v)}" for k, v in value.items())
    if isinstance(value, str) and value in _VALUE_WORDS:
        return str(_VALUE_WORDS[value])
    text = str(value)
    try:
        return format_number(Decimal(text))
    except InvalidOperation:
        return text


def _item(item: dict) -> str:
    """One entry of a list (a level, a grade, a table row, a block) on one line."""
    rest = {k: v for k, v in item.items() if k not in ("name", "grade", "from", "to")}
    head = str(item.get("name") or item.get("grade") or "")
    if "from" in item or "to" in item:
        head += f" {_v(item.get('from', '')) or '…'}–{_v(item.get('to', '')) or '…'}"
    return tr("diff.item", head=head.strip(), rest=_v(rest)) if rest else head.strip()


def _list_change(old: list, new: list) -> str:
    added = [x for x in new if x not in old]
    removed = [x for x in old if x not in new]
    parts = ([tr("diff.list.added", items=_v(added))] if added else []) + (
        [tr("diff.list.removed", items=_v(removed))] if removed else [])
    return tr("diff.part_separator").join(parts) or tr("diff.list.order", old=_v(old), new=_v(new))


FIELDS = {
    ("kind",): lazy("diff.field.kind"), ("grade_by",): lazy("diff.field.grade_by"),
    ("fiscal_year",): lazy("diff.field.fiscal_year"), ("version",): lazy("diff.field.version"),
    ("title",): lazy("diff.field.title"), ("id",): lazy("diff.field.id"),
    ("rounding", "places"): lazy("diff.field.rounding_places"), ("rounding", "mode"): lazy("diff.field.rounding_mode"),
    ("budget_execution", "weight"): lazy("diff.field.budget_weight"),
    ("budget_execution", "rate"): lazy("diff.field.budget_rate"),
    ("budget_execution", "score"): lazy("diff.field.budget_score"),
    ("budget_execution", "name"): lazy("diff.field.budget_name"),
    ("not_applicable",): lazy("diff.field.not_applicable"),
    ("budget_execution", "description"): lazy("diff.field.budget_description"),
    ("targets", "bare_comparator"): lazy("diff.field.bare_comparator"),
    ("targets", "equal_as"): lazy("diff.field.equal_as"),
    ("targets", "achieved_words"): lazy("diff.field.achieved_words"),
    ("targets", "missed_words"): lazy("diff.field.missed_words"),
    ("review",): lazy("diff.field.review"), ("review", "explain_missed_target"): lazy("diff.key.explain_missed_target"),
    ("review", "explain_execution_below"): lazy("diff.key.explain_execution_below"),
    ("review", "explain_over_target"): lazy("diff.key.explain_over_target"),
    ("blocks",): lazy("diff.field.blocks"), ("rounding",): lazy("diff.field.rounding"),
    ("targets",): lazy("diff.field.targets"), ("budget_execution",): lazy("diff.field.budget"),
    ("budget_execution", "counted"): lazy("diff.field.budget_counted"),
    ("review_rules", "verdict"): lazy("diff.field.verdict"),
    ("review_rules", "verdict", "pass"): lazy("diff.field.verdict_pass"),
    ("review_rules", "verdict", "revise"): lazy("diff.field.verdict_revise"),
}
_METHOD_FIELDS = {"formula": lazy("diff.method.formula"), "label": lazy("diff.method.label"),
                  "kind": lazy("diff.method.kind"), "point": lazy("diff.method.point"),
                  "levels": lazy("diff.method.levels"), "description": lazy("diff.method.description")}
_LEVEL_FIELDS = {"from": lazy("diff.level.from"), "to": lazy("diff.level.to"), "words": lazy("diff.level.words"),
                 "point": lazy("diff.level.point")}
_GROUP_FIELDS = {"weight": lazy("diff.key.weight"), "weight_range": lazy("diff.key.weight_range"),
                 "subgroups": lazy("diff.key.subgroups")}

_FORMULA, _LABEL, _FORMAT = lazy("diff.sfield.formula"), lazy("diff.sfield.label"), lazy("diff.sfield.format")
_FROM, _TO, _LEVEL1 = lazy("diff.sfield.from"), lazy("diff.sfield.to"), lazy("diff.sfield.level1")
_LEVEL2 = lazy("diff.sfield.level2")
# Sections of named items, in words: the section, and its items' fields.
SECTIONS = {
    "total_rules": (lazy("diff.section.total_rules"), {
        "when": lazy("diff.sfield.when"), "cap": lazy("diff.sfield.cap"), "set": lazy("diff.sfield.set"),
        "note": lazy("diff.sfield.note")}),
    "variables": (lazy("diff.section.variables"), {"formula": _FORMULA, "label": _LABEL, "format": _FORMAT}),
    "indicator_variables": (lazy("diff.section.indicator_variables"),
                            {"formula": _FORMULA, "label": _LABEL, "format": _FORMAT}),
    "levels": (lazy("diff.section.levels"), {"input": lazy("diff.sfield.input"), "rows": lazy("diff.sfield.rows"),
                                             "per": lazy("diff.sfield.per"), "label": _LABEL}),
    "as_of": (lazy("diff.section.as_of"), {"date": lazy("diff.sfield.date"), "basis": lazy("diff.sfield.basis")}),
    "indicator_table": (lazy("diff.section.indicator_table"), {
        "weight": lazy("diff.sfield.weight"), "explanation": lazy("diff.sfield.explanation"),
        "standard": lazy("diff.sfield.standard"), "level1": _LEVEL1, "level2": _LEVEL2,
        "method": lazy("diff.sfield.method")}),
    "review_rules": (lazy("diff.section.review_rules"), {
        "check": lazy("diff.sfield.check"), "reason": lazy("diff.sfield.reason"), "where": lazy("diff.sfield.where"),
        "groups": lazy("diff.sfield.groups"), "from": _FROM, "to": _TO, "level1": _LEVEL1, "level2": _LEVEL2,
        "name": lazy("diff.sfield.name")}),
}


def _rules_path(path: tuple) -> tuple:
    """A review rule's path, ("review_rules", "rules", name, ...), as a section's: ("review_rules", name, ...)."""
    return ("review_rules",) + path[2:] if path[:2] == ("review_rules", "rules") else path


def _section(path: tuple) -> str:
    label, fields = SECTIONS[path[0]]
    if len(path) < 2:
        return str(label)
    text = f"{label} {path[1]}"
    for part in path[2:]:
        text = tr("diff.section.field", subject=text, field=fields.get(part, part))
    return text


def _subject(path: tuple) -> str:
    """What an added or removed entry is, in words."""
    path = _rules_path(path)
    head, last = path[0], path[-1]
    if head == "methods":
        if len(path) == 2:
            return tr("diff.subject.method", method=last)
        if len(path) == 3:
            return tr("diff.subject.method_field", method=path[1], field=_METHOD_FIELDS.get(last, last))
        if len(path) == 4:
            return tr("diff.subject.method_level", method=path[1], level=last)
        return tr("diff.subject.level_field", method=path[1], level=path[3], field=_LEVEL_FIELDS.get(last, last))
    if head == "framework":
        if len(path) == 2:
            return tr("diff.subject.group", group=path[1])
        return tr("diff.subject.group_field", group=path[1], field=_GROUP_FIELDS.get(last, last))
    if head == "grades":
        return tr("diff.subject.grade", grade=last)
    if head == "method_for":
        return tr("diff.subject.method_for", comparator=last)
    if head == "checks":
        return tr("diff.subject.check", check=last)
    if head in SECTIONS:
        return _section(path)
    return str(FIELDS.get(path, "．".join(map(str, path))))


def describe(change) -> str:
    """One change (engine.tools.diff.Change) in a sentence."""
    path, old, new = _rules_path(change.path), change.old, change.new
    head = path[0]
    if change.kind == "added":
        return tr("diff.added", subject=_subject(path), value=_v(new))
    if change.kind == "removed":
        return tr("diff.removed", subject=_subject(path), value=_v(old))
    if path in FIELDS:
        if isinstance(old, list) and isinstance(new, list):
            return tr("diff.list_changed", subject=FIELDS[path], change=_list_change(old, new))
        if path == ("rounding", "mode"):
            old, new = ROUNDING_LABELS.get(old, old), ROUNDING_LABELS.get(new, new)
        if path == ("not_applicable",):
            old, new = (tr("diff.na.value", value=x, words=NA_WORDS.get(x, "")) for x in (old, new))
        return tr("diff.changed", subject=FIELDS[path], old=_v(old), new=_v(new))
    if head == "framework" and len(path) == 3 and path[2] == "subgroups":
        return tr("diff.list_changed", subject=_subject(path), change=_list_change(old, new))
    if head == "framework" and len(path) != 3:
        return tr("diff.changed", subject="．".join(map(str, path)), old=_v(old), new=_v(new))
    if head == "grades":
        return tr("diff.grade_min", grade=path[1], old=_v(old), new=_v(new))
    if head == "methods" and len(path) > 3:  # a level of a qualitative method
        return tr("diff.level_changed", method=path[1], level=path[3], field=_LEVEL_FIELDS.get(path[-1], path[-1]),
                  old=_v(old), new=_v(new))
    if head == "methods":
        field = _METHOD_FIELDS.get(path[-1], path[-1])
        return tr("diff.changed", subject=tr("diff.subject.method_field", method=path[1], field=field),
                  old=_v(old), new=_v(new))
    if head == "checks":
        return tr("diff.check_level", check=path[1], old=_v(old), new=_v(new))
    return tr("diff.changed", subject=_subject(path), old=_v(old), new=_v(new))
