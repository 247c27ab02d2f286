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

from engine.errors import Source
from engine.rules.inherit import is_named_list, item_name
from engine.files.located import LDict, LList
from engine.model import ROUNDING_LABELS
from engine.rules.resolve import DEFAULT_CHECKS, plain
from engine.rules.targets import format_number

IGNORED = {"extends", "description", "use"}  # how a ruleset is written, not what it rules (`use` is merged in)
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


# ---------------------------------------------------------------- words


_KEY_WORDS = {
    "label": "说明", "kind": "类型", "formula": "公式", "point": "取点", "levels": "档次", "table": "计分表",
    "name": "名称", "weight": "分值", "weight_range": "分值范围", "subgroups": "二级指标", "from": "下限", "to": "上限",
    "words": "对应词语", "description": "说明", "input": "输入", "rows": "行", "score": "得分", "groups": "一级指标",
    "min": "最低分", "grade": "等级", "rate": "执行率公式",
    "explain_missed_target": "未达到年度指标值须填写偏差原因",
    "explain_execution_below": "执行率低于此值须说明原因",
    "explain_over_target": "实际完成值超过年度指标值此倍数须说明原因",
}
_VALUE_WORDS = {"quantitative": "定量", "qualitative": "定性", "top": "档内最高", "middle": "档内中点",
                "bottom": "档内最低"}


def _v(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dict) and set(value) == {"min", "max"}:
        return f"{_v(value['min'])}–{_v(value['max'])}"
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return "、".join(_item(v) for v in value)
    if isinstance(value, list):
        return "、".join(map(_v, value)) or "（无）"
    if isinstance(value, dict):
        return "；".join(f"{_KEY_WORDS.get(k, k)}: {_v(v)}" for k, v in value.items())
    if isinstance(value, str) and value in _VALUE_WORDS:
        return _VALUE_WORDS[value]
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
    return f"{head.strip()}（{_v(rest)}）" if rest else head.strip()


def _list_change(old: list, new: list) -> str:
    added = [x for x in new if x not in old]
    removed = [x for x in old if x not in new]
    parts = ([f"增加 {_v(added)}"] if added else []) + ([f"删除 {_v(removed)}"] if removed else [])
    return "；".join(parts) or f"顺序 {_v(old)} → {_v(new)}"


_FIELD = {
    ("kind",): "规则类别", ("grade_by",): "等级取自等级表", ("fiscal_year",): "财政年度", ("version",): "版本", ("title",): "名称", ("id",): "规则标识",
    ("rounding", "places"): "得分保留小数位数", ("rounding", "mode"): "舍入方式",
    ("budget_execution", "weight"): "预算执行率 分值", ("budget_execution", "rate"): "预算执行率 执行率公式",
    ("budget_execution", "score"): "预算执行率 得分公式", ("budget_execution", "name"): "预算执行率 名称",
    ("not_applicable",): "不适用指标的分值处理", ("budget_execution", "description"): "预算执行率 说明",
    ("targets", "bare_comparator"): "未写比较符的目标按", ("targets", "equal_as"): "“=”目标按",
    ("targets", "achieved_words"): "表示已达成的词语", ("targets", "missed_words"): "表示未达成的词语",
    ("review",): "审核要求", ("review", "explain_missed_target"): "未达到年度指标值须填写偏差原因",
    ("review", "explain_execution_below"): "执行率低于此值须说明原因",
    ("review", "explain_over_target"): "实际完成值超过年度指标值此倍数须说明原因",
    ("blocks",): "须合计为定值的一级指标组", ("rounding",): "得分舍入", ("targets",): "目标的读法",
    ("budget_execution",): "预算执行率",
}


_METHOD_FIELDS = {"formula": "公式", "label": "说明", "kind": "类型", "point": "档内取点", "levels": "档次",
                  "description": "说明"}
_LEVEL_FIELDS = {"from": "下限", "to": "上限", "words": "对应词语", "point": "固定取点"}


# Sections of named items, in words: the section, and its items' fields.
SECTIONS = {
    "total_rules": ("总分规则", {"when": "条件", "cap": "总分上限", "set": "新总分公式", "note": "说明"}),
    "variables": ("变量", {"formula": "公式", "label": "名称", "format": "格式"}),
    "indicator_variables": ("指标变量", {"formula": "公式", "label": "名称", "format": "格式"}),
    "levels": ("等级表", {"input": "输入", "rows": "各行", "per": "适用于", "label": "名称"}),
    "as_of": ("监控日期", {"date": "日期", "basis": "时间进度计法"}),
    "indicator_table": ("指标表", {"weight": "分值", "explanation": "指标解释", "standard": "评分标准",
                                   "level1": "一级指标", "level2": "二级指标", "method": "计分方法"}),
    "review_rules": ("审核规则", {"check": "检查", "reason": "理由", "where": "适用范围", "groups": "一级指标",
                                  "from": "下限", "to": "上限", "level1": "一级指标", "level2": "二级指标",
                                  "name": "三级指标"}),
}
_FIELD.update({("budget_execution", "counted"): "预算执行率 单列计分",
               ("review_rules", "verdict"): "审核意见的用语", ("review_rules", "verdict", "pass"): "审核通过的用语",
               ("review_rules", "verdict", "revise"): "审核需修改的用语"})


def _rules_path(path: tuple) -> tuple:
    """A review rule's path, ("review_rules", "rules", name, ...), as a section's: ("review_rules", name, ...)."""
    return ("review_rules",) + path[2:] if path[:2] == ("review_rules", "rules") else path


def _section(path: tuple) -> str:
    label, fields = SECTIONS[path[0]]
    named = " ".join(str(p) for p in path[1:2])
    rest = "".join(f"的{fields.get(p, p)}" for p in path[2:])
    return f"{label} {named}{rest}".strip() if named else label


def _subject(path: tuple) -> str:
    """What an added or removed entry is, in words."""
    path = _rules_path(path)
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
        words = {"weight": "分值", "weight_range": "分值范围", "subgroups": "二级指标"}
        return f"一级指标 {path[1]}" if len(path) == 2 else f"一级指标 {path[1]} 的{words.get(last, last)}"
    if head == "grades":
        return f"等级 {last}"
    if head == "method_for":
        return f"“{last}”目标的计分方法"
    if head == "checks":
        return f"检查 {last}"
    if head in SECTIONS:
        return _section(path)
    return _FIELD.get(path, "．".join(map(str, path)))


def describe(change: Change) -> str:
    path, old, new = _rules_path(change.path), change.old, change.new
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
        field = {"weight": "分值", "subgroups": "二级指标", "weight_range": "分值范围"}.get(path[2], path[2])
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
    if head in SECTIONS:
        return f"{_section(path)}：{_v(old)} → {_v(new)}"
    return f"{'．'.join(map(str, path))}：{_v(old)} → {_v(new)}"


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
