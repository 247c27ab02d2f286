"""import_merge: what a returned form changes in an existing project file, field by field.

A form carries some of a project's fields: the budget, the goals, and per
indicator its names, target, actual value, weight, 自评得分 and explanation.
Each is compared with the project file the way it went out: a value equal
to the file's, once both are read as the form reads them (white space and
wrapped lines aside), is no change. What differs becomes a ``Change`` with
the edits that make it in the file (engine/forms/projectedit.py); everything the
form does not carry stays as the file has it.

Approved values are not the department's to change: the budget (年初/全年
预算数, its sources and unit), the 年度总体目标, and per indicator its
names, 年度指标值 and 分值, whether it applies, and the 一级指标 weights.
A change to one of them is ``approved``: refused unless the user accepts it.
Indicators are matched by their names, so that a renamed indicator is a
changed name (or an added and a removed one), never silently a new row.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from engine.forms.cells import CellSource, FormError
from engine.forms.importer import SheetImport, _items
from engine.forms.indicator_table import NOT_APPLICABLE
from engine.forms.projectedit import Edit
from engine.forms.merge_printed import printed
from engine.forms.merge_subitems import fund_parts, indicator_parts
from engine.forms.samevalue import _empty, _flat, same
from engine.i18n import tr
from engine.rules.targets import format_number
from engine.outputs.xlsxlayout import BUDGET_HEADERS, INDICATOR_HEADERS, LABELS

ROW_FIELDS = (  # key, column header, approved, kind
    ("target", INDICATOR_HEADERS["target"], True, "measure"),
    ("actual", INDICATOR_HEADERS["actual"], False, "measure"),
    ("weight", INDICATOR_HEADERS["weight"], True, "number"),
    ("reported_score", INDICATOR_HEADERS["score"], False, "number"),
    ("explanation", INDICATOR_HEADERS["explanation"], False, "text"),
)
SHOWN_LENGTH = 60


@dataclass(frozen=True)
class Change:
    """One field the form changes: ``what`` it is, its value in the file and in the form, and the edits."""

    what: str
    old: object
    new: object
    cell: CellSource | None
    approved: bool = False
    edits: tuple = ()
    field: str = ""  # the form's name for the field, for the refusal (年度指标值)
    refusal: str = ""  # instead of "<field> was changed from … to …" (an indicator added or removed)

    @property
    def line(self) -> str:
        return f"{self.what}: {shown(self.old)} → {shown(self.new)}"

    def refused(self, where: CellSource) -> FormError:
        message = self.refusal or tr("merge.refused", field=self.field or self.what, old=quoted(self.old),
                                     new=quoted(self.new))
        return FormError(message, self.cell or where)


@dataclass
class Merge:
    changes: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    matches: dict = field(default_factory=dict)  # form row index -> file row index

    @property
    def approved(self) -> list:
        return [c for c in self.changes if c.approved]

    @property
    def edits(self) -> list:
        return [e for c in self.changes for e in c.edits]


def plain(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return format_number(Decimal(value))
    return " ".join(str(value).split())


def quoted(value) -> str:
    text = plain(value)
    return f"`{text}`" if text else tr("merge.empty")


def shown(value) -> str:
    text = plain(value)
    if not text:
        return tr("merge.empty")
    return text if len(text) <= SHOWN_LENGTH else text[: SHOWN_LENGTH - 1] + "…"


def merge(sheet: SheetImport, data: dict, group_weights: dict | None = None,
          budget_weight: Decimal | None = None, derived: dict | None = None) -> Merge:
    """The changes ``sheet`` makes to the project file ``data`` (as loaded).

    ``group_weights`` are the 一级指标 weights the exported form states (the
    ruleset's), ``budget_weight`` the 预算执行率 row's; either may be None
    when the year has no ruleset, and is then not compared. ``derived`` is what export writes where the
    file records nothing (engine/forms/merge_printed.py ``exported``).
    """
    result = Merge()
    _Comparer(result, sheet, data).run(group_weights, budget_weight, derived or {})
    return result


class _Comparer:
    def __init__(self, result: Merge, sheet: SheetImport, data: dict):
        self.result, self.sheet, self.data = result, sheet, data
        self.form, self.cells = sheet.data, sheet.cells

    def change(self, what, old, new, cell_path, approved, edits, field_name="", refusal="") -> None:
        self.result.changes.append(Change(what, old, new, self.cells.get(cell_path), approved, tuple(edits),
                                          field_name, refusal))

    def value(self, what: str, path: tuple, old, new, kind: str, approved: bool, field_name: str = "",
              cell_path: tuple | None = None, required: bool = False) -> None:
        """Compare one value at ``path`` in the file; set it, or remove it when the form's cell is empty."""
        if same(kind, old, new):
            return
        if _empty(new):
            if required:
                return  # the form reads it as an error already
            edits = [Edit("remove", path)] if _has(self.data, path) else []
        else:
            edits = [Edit("set", path, new)]
        self.change(what, old, new, cell_path or path, approved, edits, field_name or what)

    def run(self, group_weights, budget_weight, derived) -> None:
        form, data = self.form, self.data
        if ("implementing_unit",) in self.cells:
            self.value(LABELS["implementing_unit"], ("implementing_unit",), data.get("implementing_unit"),
                       form.get("implementing_unit"), "text", False)
        self.budget(budget_weight)
        self.goals()
        self.stated(group_weights)
        self.indicators()
        if ("reported_total",) in self.cells:
            self.value(f"{LABELS['total']} {INDICATOR_HEADERS['score']}", ("reported_total",),
                       data.get("reported_total"), form.get("reported_total"), "number", False)
        printed(self, derived)

    # ---------------------------------------------------------------- budget

    def budget(self, budget_weight) -> None:
        old, new = self.data["budget"], self.form.get("budget", {})
        if ("budget", "unit") in self.cells:
            self.value("项目资金单位", ("budget", "unit"), old.get("unit", "万元"), new.get("unit"), "text", True,
                       cell_path=("budget", "unit"), required=True)
        for key in ("initial", "full_year", "executed"):
            self.value(BUDGET_HEADERS[key], ("budget", key), old.get(key), new.get(key), "number",
                       key != "executed", required=True)
        fund_parts(self, old, new)
        if ("budget", "reported_score") in self.cells:
            self.value(f"预算执行率 {BUDGET_HEADERS['score']}", ("budget", "reported_score"),
                       old.get("reported_score"), new.get("reported_score"), "number", False)
        stated = self.sheet.notes.get("weight")
        if budget_weight is not None and stated is not None and not same("number", budget_weight, stated):
            # the ruleset, not the project file, holds this weight: there is nothing to take
            self.change(f"预算执行率 {BUDGET_HEADERS['weight']}", budget_weight, stated, ("budget_weight",), True, [],
                        BUDGET_HEADERS["weight"])

    # ---------------------------------------------------------------- goals

    def goals(self) -> None:
        if ("goals", "expected") not in self.cells:
            return
        goals = list(self.data.get("goals", []))
        expected = [g["expected"] for g in goals]
        written = self._written("expected", expected, len(expected))
        count = len(expected if written is None else written)
        achieved = None
        if ("goals", "achieved") in self.cells:
            achieved = self._written("achieved", [g.get("achieved", "") for g in goals], count)
            if achieved is not None and len(achieved) != count:
                self.result.errors.append(FormError(
                    tr("merge.goal_count", achieved=LABELS["achieved"], count=len(achieved), expected=LABELS["expected"],
                       goals=count),
                    self.cells[("goals", "achieved")]))
                achieved = None
        if written is not None:
            self._expected_changed(goals, written, achieved)
        for index, new in enumerate(achieved or []):
            if index < len(goals):  # a goal the form adds has its achieved text in the goal added
                self.value(f"{LABELS['goals']} {index + 1} {LABELS['achieved']}", ("goals", index, "achieved"),
                           goals[index].get("achieved"), new, "text", False, cell_path=("goals", "achieved"))

    def _written(self, which: str, items: list, count: int) -> list | None:
        """The form's goals block as items, or None when it is the file's ``items`` as export writes them."""
        block = self.sheet.blocks.get(which, "")
        if len(items) == count and _same_block(block, items):
            return None
        written = _items(block)
        if count <= 1 and len(written) > 1 and not re.match(r"\s*1\s*[.、．]", block):
            written = [block.strip()]  # one goal written over several lines
        if which == "achieved" and not written:
            written = [""] * count
        if len(written) == len(items) == count and all(same("text", a, b) for a, b in zip(items, written)):
            return None
        return written

    def _expected_changed(self, goals: list, written: list, achieved: list | None) -> None:
        def goal(index: int) -> dict:
            item = {"expected": written[index]}
            if achieved and achieved[index]:
                item["achieved"] = achieved[index]
            return item

        if not written:
            edits = [Edit("remove", ("goals",))] if goals else []
        elif not goals:
            edits = [Edit("set", ("goals",), [goal(i) for i in range(len(written))])]
        else:
            edits = [Edit("set", ("goals", i, "expected"), text) for i, text in enumerate(written[:len(goals)])
                     if not same("text", goals[i]["expected"], text)]
            edits += [Edit("append", ("goals",), goal(i)) for i in range(len(goals), len(written))]
            edits += [Edit("remove", ("goals", i)) for i in range(len(goals) - 1, len(written) - 1, -1)]
        old = " ".join(f"{i}.{g['expected']}" for i, g in enumerate(goals, 1))
        new = " ".join(f"{i}.{w}" for i, w in enumerate(written, 1))
        self.change(f"{LABELS['goals']} {LABELS['expected']}", old, new, ("goals", "expected"), True, edits,
                    LABELS["expected"])

    # ---------------------------------------------------------------- 一级指标 weights

    def stated(self, group_weights) -> None:
        group_weights = group_weights or {}
        stated = self.data.get("stated_weights", {})
        changed = {}
        for name, weight in self.form.get("stated_weights", {}).items():
            known = [w for w in (group_weights.get(name), stated.get(name)) if w is not None]
            # unchanged: what export writes (the ruleset's), or what the file states already
            if known and not any(same("number", w, weight) for w in known):
                changed[name] = (known[-1], weight)
        for index, (name, (old, weight)) in enumerate(changed.items()):
            if "stated_weights" in self.data:
                edits = [Edit("set", ("stated_weights", name), weight)]
            else:  # one new block for every group changed
                edits = [Edit("set", ("stated_weights",), {n: w for n, (_, w) in changed.items()})] if not index else []
            self.change(f"一级指标 {name} {INDICATOR_HEADERS['weight']}", old, weight, ("stated_weights", name),
                        True, edits, f"{name} {INDICATOR_HEADERS['weight']}")

    # ---------------------------------------------------------------- indicators

    def indicators(self) -> None:
        rows, olds = self.form["indicators"], list(self.data["indicators"])
        pairs = match_rows(rows, olds)
        self.result.matches = dict(pairs)
        for j, i in pairs.items():
            self.row(j, rows[j], i, olds[i])
        added = [j for j in range(len(rows)) if j not in pairs]
        kept = set(pairs.values())
        removed = [i for i in range(len(olds)) if i not in kept]
        if not kept and olds:
            self.result.errors.append(FormError(
                tr("merge.no_indicator_matches"),
                self.cells.get(("project",))))
            return
        for j in added:
            row = rows[j]
            label = _label(row)
            self.change(tr("merge.added", label=label), None, label, ("indicators", j, "name"), True,
                        [Edit("append", ("indicators",), row)], refusal=tr("merge.cannot_add", label=label))
        for i in removed:
            label = _label(olds[i])
            place = olds[i].source_of("name") if hasattr(olds[i], "source_of") else None
            at = f" ({place})" if place and place.line else ""
            self.change(tr("merge.removed", label=label), label, None, None, True, [Edit("remove", ("indicators", i))],
                        refusal=tr("merge.cannot_remove", label=label, at=at))

    def row(self, j: int, new: dict, i: int, old: dict) -> None:
        what = _label(old)
        path = ("indicators", i)
        at = lambda key: ("indicators", j, key)  # noqa: E731
        for key, header in (("level1", INDICATOR_HEADERS["group"]), ("level2", INDICATOR_HEADERS["subgroup"]),
                            ("name", INDICATOR_HEADERS["label"])):
            if at(key) in self.cells and (key != "name" or new.get("applicable", True) or "name" in new):
                self.value(f"{what} {header}", path + (key,), old.get(key), new.get(key), "text", True, header,
                           cell_path=at(key))
        was, now = old.get("applicable", True), new.get("applicable", True)
        if was != now:
            if now:
                edits = [Edit("remove", path + (k,)) for k in ("applicable", "note") if k in old]
            else:
                edits = [Edit("set", path + ("applicable",), False), Edit("set", path + ("note",), new["note"])]
            self.change(f"{what} 适用", "适用" if was else "不适用", "适用" if now else "不适用", at("applicable"),
                        True, edits, "不适用")
        indicator_parts(self, what, path, j, old, new)
        if not now:
            if not was:
                note = old.get("note") or NOT_APPLICABLE[0]
                if not same("text", note, new.get("note")):
                    self.value(f"{what} 说明", path + ("note",), old.get("note"), new.get("note"), "text", True,
                               "不适用", cell_path=at("note"))
            if at("weight") in self.cells:
                self.value(f"{what} {INDICATOR_HEADERS['weight']}", path + ("weight",), old.get("weight"),
                           new.get("weight"), "number", True, INDICATOR_HEADERS["weight"], cell_path=at("weight"))
            return
        for key, header, approved, kind in ROW_FIELDS:
            if at(key) in self.cells:
                self.value(f"{what} {header}", path + (key,), old.get(key), new.get(key), kind, approved, header,
                           cell_path=at(key), required=key in ("target", "actual", "weight"))


def match_rows(rows: list, olds: list) -> dict:
    """form row index -> file row index: by 一级, 二级 and name; then by name alone (a row moved to
    another group); then, within one 二级指标, in order (a renamed row)."""
    pairs: dict = {}
    free = list(range(len(olds)))

    def take(j, test) -> None:
        for i in free:
            if test(olds[i]):
                pairs[j] = i
                free.remove(i)
                return

    key = lambda r: (r.get("level1"), r.get("level2"), _flat(r.get("name", "")))  # noqa: E731
    for j, row in enumerate(rows):
        take(j, lambda old: key(old) == key(row))
    for j, row in enumerate(rows):
        if j not in pairs and row.get("name"):
            take(j, lambda old: _flat(old.get("name", "")) == _flat(row["name"]) and old.get("level1") == row["level1"])
    for j, row in enumerate(rows):
        if j not in pairs and row.get("name"):
            take(j, lambda old: _flat(old.get("name", "")) == _flat(row["name"]))
    for j, row in enumerate(rows):
        if j not in pairs:
            take(j, lambda old: (old.get("level1"), old.get("level2")) == (row["level1"], row["level2"])
                 and old.get("applicable", True) == row.get("applicable", True))
    return pairs


def _label(row: dict) -> str:
    if row.get("name"):
        return f"{INDICATOR_HEADERS['label']} {row['name']}"
    return f"{INDICATOR_HEADERS['subgroup']} {row['level2']}（{row.get('note') or NOT_APPLICABLE[0]}）"


def _same_block(block: str, items: list) -> bool:
    """Whether the form's goals block is what export writes for ``items`` (`1.…` a line)."""
    written = "\n".join(f"{i}.{text}" for i, text in enumerate(items, 1))
    return _flat(block) == _flat(written)


def _has(data, path: tuple) -> bool:
    node = data
    for part in path:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return False
    return True
