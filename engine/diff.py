"""What changed between two resolved rulesets, in words a policy author reads.

The comparison runs on the resolved data (after ``extends``), matching
framework groups, grades and levels by name, so a reordered list is no
change. Each change keeps the file and line of both sides and can be
applied alone to the older ruleset: that is how ``impact`` finds which
change moves which score.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import Source
from .inherit import is_named_list, item_name
from .load import LDict, LList
from .model import ROUNDING_LABELS
from .resolve import plain
from .targets import format_number

IGNORED = {"extends", "description"}  # how a ruleset is written, not what it rules
NA_WORDS = {"unallocated": "不分配分值", "rescale": "剔除后按百分制折算", "redistribute": "分值分给同组其他指标"}


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


def diff_data(old: Any, new: Any, path: tuple = ()) -> list[Change]:
    """Every difference between two resolved rulesets' data, in reading order."""
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
                                      None, None, new_items[name]))
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


# ---------------------------------------------------------------- words


def _v(value: Any) -> str:
    if isinstance(value, list):
        return "、".join(map(str, value)) or "（无）"
    if isinstance(value, dict):
        return "；".join(f"{k}: {_v(v)}" for k, v in value.items())
    text = str(value)
    try:
        return format_number(Decimal(text))
    except InvalidOperation:
        return text


def _list_change(old: list, new: list) -> str:
    added = [x for x in new if x not in old]
    removed = [x for x in old if x not in new]
    parts = ([f"增加 {_v(added)}"] if added else []) + ([f"删除 {_v(removed)}"] if removed else [])
    return "；".join(parts) or f"顺序 {_v(old)} → {_v(new)}"


_FIELD = {
    ("fiscal_year",): "财政年度", ("version",): "版本", ("title",): "名称", ("id",): "规则标识",
    ("rounding", "places"): "得分保留小数位数", ("rounding", "mode"): "舍入方式",
    ("budget_execution", "weight"): "预算执行率 分值", ("budget_execution", "rate"): "预算执行率 执行率公式",
    ("budget_execution", "score"): "预算执行率 得分公式", ("budget_execution", "name"): "预算执行率 名称",
    ("not_applicable",): "不适用指标的分值处理", ("budget_execution", "description"): "预算执行率 说明",
    ("targets", "bare_comparator"): "未写比较符的目标按", ("targets", "equal_as"): "“=”目标按",
    ("targets", "achieved_words"): "表示已达成的词语", ("targets", "missed_words"): "表示未达成的词语",
}


_METHOD_FIELDS = {"formula": "公式", "label": "说明", "kind": "类型", "point": "档内取点", "levels": "档次",
                  "description": "说明"}
_LEVEL_FIELDS = {"from": "下限", "to": "上限", "words": "对应词语", "point": "固定取点"}


def _subject(path: tuple) -> str:
    """What an added or removed entry is, in words."""
    head, last = path[0], path[-1]
    if head == "methods":
        if len(path) == 2:
            return f"计分方法 {last}"
        if len(path) == 3:
            return f"计分方法 {path[1]} 的{_METHOD_FIELDS.get(last, last)}"
        if len(path) == 4:
            return f"计分方法 {path[1]} 的档次 {last}"
        return f"计分方法 {path[1]} 的档次 {path[3]} 的{_LEVEL_FIELDS.get(last, last)}"
    if head == "framework":
        return f"一级指标 {path[1]}" if len(path) == 2 else f"一级指标 {path[1]} 的 {last}"
    if head == "grades":
        return f"等级 {last}"
    if head == "method_for":
        return f"“{last}”目标的计分方法"
    if head == "checks":
        return f"检查 {last}"
    return _FIELD.get(path, "．".join(map(str, path)))


def describe(change: Change) -> str:
    path, old, new = change.path, change.old, change.new
    head = path[0]
    if change.kind != "changed":
        verb = "新增" if change.kind == "added" else "删除"
        value = new if change.kind == "added" else old
        return f"{verb}{_subject(path)}（{_v(value)}）"
    if path in _FIELD:
        if isinstance(old, list) and isinstance(new, list):
            return f"{_FIELD[path]}：{_list_change(old, new)}"
        if path == ("rounding", "mode"):
            old, new = ROUNDING_LABELS.get(old, old), ROUNDING_LABELS.get(new, new)
        if path == ("not_applicable",):
            old, new = f"{old}（{NA_WORDS.get(old, '')}）", f"{new}（{NA_WORDS.get(new, '')}）"
        return f"{_FIELD[path]}：{_v(old)} → {_v(new)}"
    if head == "framework" and len(path) == 3:
        field = {"weight": "分值", "subgroups": "二级指标"}.get(path[2], path[2])
        if path[2] == "subgroups":
            return f"一级指标 {path[1]} 的二级指标：{_list_change(old, new)}"
        return f"一级指标 {path[1]} 的{field}：{_v(old)} → {_v(new)}"
    if head == "grades":
        return f"等级 {path[1]} 的最低分：{_v(old)} → {_v(new)}"
    if head == "methods":
        if len(path) > 3:  # a level of a qualitative method
            return f"计分方法 {path[1]} 的档次 {path[3]} {_LEVEL_FIELDS.get(path[-1], path[-1])}：{_v(old)} → {_v(new)}"
        return f"计分方法 {path[1]} 的{_METHOD_FIELDS.get(path[-1], path[-1])}：{_v(old)} → {_v(new)}"
    if head == "method_for":
        return f"“{path[1]}”目标的计分方法：{_v(old)} → {_v(new)}"
    if head == "checks":
        return f"检查 {path[1]} 的级别：{_v(old)} → {_v(new)}"
    return f"{'．'.join(map(str, path))}：{_v(old)} → {_v(new)}"
