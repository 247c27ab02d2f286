"""indicator_table: the indicator table of a returned 自评表 form, read row by row.

Its columns (found by their headers, with the variants real forms write),
the rows that end it (总分 and its variants, or the footer below a table
with no 总分 row), 一级/二级 carried down over merged or blank cells, the
weights stated in a group's cell (`产出指标 (65 分)`), 不适用 rows, and each
target and actual value read as scoring will read it. ``_IndicatorTable`` is
the part of engine.forms.importer's sheet reader that does this.
"""
from __future__ import annotations

import re
from decimal import Decimal

from engine.errors import did_you_mean
from engine.forms.cells import FormError, is_blank, label, read_number, text
from engine.i18n import tr
from engine.outputs.xlsxlayout import INDICATOR_HEADERS, LABELS
from engine.rules.targets import TargetError, format_number, parse_measure

# The labels evalrun writes come first; the variants after them are seen in real forms.
INDICATOR_COLUMNS = {
    "group": (INDICATOR_HEADERS["group"],),
    "subgroup": (INDICATOR_HEADERS["subgroup"],),
    "label": (INDICATOR_HEADERS["label"],),
    "target": (INDICATOR_HEADERS["target"], "指标值", "年度目标值", "目标值", "预期指标值"),
    "actual": (INDICATOR_HEADERS["actual"], "全年实际值", "实际值", "完成值", "实际完成情况"),
    "weight": (INDICATOR_HEADERS["weight"], "权重"),
    "score": (INDICATOR_HEADERS["score"], "得分"),
    "explanation": (INDICATOR_HEADERS["explanation"], "偏差原因分析", "偏差原因", "原因分析及改进措施", "备注"),
}
REQUIRED_INDICATOR_COLUMNS = ("group", "subgroup", "label", "target", "actual", "weight")
TOTAL_LABELS = tuple(label(w) for w in (LABELS["total"], "合计", "总计", "总得分", "得分合计", "综合得分"))
FOOTER_WORDS = ("评价等级", "备注", "填表人", "说明", "注:", "单位负责人", "评分规则")
NOT_APPLICABLE = ("不适用", "不适应", "不涉及")
SCORE_SUFFIXES = ("分",)
_PART = re.compile(r"^其中(:|$)")  # a 其中 row below an indicator (on the label: NFKC, no trailing colon)
_PART_PREFIX = re.compile(r"^\s*其中\s*[:：]?")
_GROUP_WEIGHT = re.compile(r"^(?P<name>.+?)\((?P<weight>[0-9.]+)分?\)$")


class _IndicatorTable:
    """The indicator table's reading, for engine.forms.importer's ``_Reader`` (its grid, header row, errors,
    ``at``, ``fail``, ``number`` and ``_failed_at``, ``_columns``)."""

    def indicators(self, framework: dict | None) -> tuple[list, dict, Decimal | None]:
        columns = self._columns(self.header_row, INDICATOR_COLUMNS)
        missing = [INDICATOR_HEADERS[k] for k in REQUIRED_INDICATOR_COLUMNS if k not in columns]
        at = (self.header_row, columns.get("label", 1))
        if missing:
            self.fail(at, tr("import.indicator_columns", missing=", ".join(missing),
                             expected=", ".join(INDICATOR_HEADERS.values())))
            return [], {}, None
        rows, stated, total = [], {}, None
        group = subgroup = None  # (name, cell) carried down over merged or blank cells
        for row in range(self.header_row + 1, self.grid.rows + 1):
            written = [self.grid.label(row, c) for c in range(1, self.grid.columns + 1)]
            if any(w in TOTAL_LABELS for w in written):
                if self.grid.label(row, columns["weight"]) not in TOTAL_LABELS:  # not under a merged 总分 label
                    self.at(("stated_total",), (row, columns["weight"]))
                    self.notes["stated_total"] = self.number((row, columns["weight"]), f"{LABELS['total']} 分值",
                                                             suffixes=SCORE_SUFFIXES)
                if "score" in columns:
                    self.at(("reported_total",), (row, columns["score"]))
                    total = self.number((row, columns["score"]), LABELS["total"], suffixes=SCORE_SUFFIXES)
                break
            leftmost = next((c for c in range(1, self.grid.columns + 1) if written[c - 1]), None)
            if leftmost and leftmost < columns["label"] and written[leftmost - 1].startswith(FOOTER_WORDS):
                break  # 评价等级, 填表人 … below a table that has no 总分 row
            cells = {key: (row, column) for key, column in columns.items()}
            if not is_blank(self.grid.value(*cells["group"])):
                previous, group = group, self._group(cells["group"], stated, framework)
                if previous is None or previous[0] != group[0]:
                    subgroup = None  # a new 一级 starts its own 二级
            own_subgroup = not is_blank(self.grid.value(*cells["subgroup"]))
            if own_subgroup:
                subgroup = (_strip_weight(self.grid.label(*cells["subgroup"])), cells["subgroup"])
            content = [k for k in ("label", "target", "actual", "weight", "score", "explanation")
                       if k in cells and not is_blank(self.grid.value(*cells[k]))]
            if not content:
                if own_subgroup and self.grid.starts_here(*cells["subgroup"]):
                    self.fail(cells["label"], tr("import.subgroup_without_indicator", subgroup=subgroup[0]))
                continue
            if _PART.match(self.grid.label(*cells["label"])):
                self._part(cells, rows)
                continue
            if group is None:
                self.fail(cells["group"], tr("import.group_empty"))
                continue
            if subgroup is None:
                self.fail(cells["subgroup"], tr("import.subgroup_empty"))
                continue
            self._check_subgroup(group[0], subgroup, framework)
            index = len(rows)
            self.at(("indicators", index, "level1"), group[1])
            self.at(("indicators", index, "level2"), subgroup[1])
            rows.append(self._row(cells, group[0], subgroup[0], index))
        if not rows:
            self.fail(at, tr("import.no_rows"))
        return rows, stated, total

    def _group(self, cell: tuple, stated: dict, framework: dict | None) -> tuple:
        written = self.grid.label(*cell)
        match = _GROUP_WEIGHT.match(written)
        name = match["name"] if match else written
        if match:
            try:
                weight = read_number(match["weight"], self.grid.source(*cell), tr("import.what.weight_in", written=written))
            except FormError as exc:
                self.errors.append(exc)
                weight = None
            if weight is not None and name not in stated:
                self.at(("stated_weights", name), cell)
            if weight is not None and stated.setdefault(name, weight) != weight:
                self.fail(cell, tr("import.weight_differs", name=name, weight=format_number(weight),
                                   above=format_number(stated[name])))
        if framework is not None and name not in framework and not self._failed_at(*cell):
            self.fail(cell, tr("import.unknown_group", name=name, suggestion=did_you_mean(name, list(framework)),
                               names=", ".join(framework)))
        return (name, cell)

    def _check_subgroup(self, group: str, subgroup: tuple, framework: dict | None) -> None:
        name, cell = subgroup
        allowed = (framework or {}).get(group)
        if allowed is not None and name not in allowed and not self._failed_at(*cell):
            self.fail(cell, tr("import.unknown_subgroup", name=name, group=group, suggestion=did_you_mean(name, allowed),
                               names=", ".join(allowed)))

    def _row(self, cells: dict, group: str, subgroup: str, index: int) -> dict:
        row = {"level1": group, "level2": subgroup}
        value = lambda key: self.grid.value(*cells[key]) if key in cells else None  # noqa: E731
        at = lambda key, cell: self.at(("indicators", index, key), cell)  # noqa: E731
        na_key = next((k for k in ("label", "target", "actual", "score", "weight")
                       if label(value(k)).rstrip("。.") in NOT_APPLICABLE), None)
        na = text(value(na_key)) if na_key else None
        name = text(value("label"))
        at("name", cells["label"])
        if na is None or label(name).rstrip("。.") not in NOT_APPLICABLE:
            if name:
                row["name"] = name
        if na is not None:
            row["applicable"] = False
            row["note"] = na
            at("applicable", cells[na_key])
            at("note", cells[na_key])
            weight = None if label(value("weight")) in NOT_APPLICABLE else self.number(cells["weight"], "分值",
                                                                                        suffixes=SCORE_SUFFIXES)
            if weight is not None:
                row["weight"] = weight
                at("weight", cells["weight"])  # a 不适用 row's weight is carried only where the form writes it
            return row
        at("applicable", cells["label"])
        for key, column in (("target", "target"), ("actual", "actual"), ("weight", "weight"),
                            ("reported_score", "score"), ("explanation", "explanation")):
            if column in cells:
                at(key, cells[column])
        if not name:
            self.fail(cells["label"], tr("import.name_empty"))
        for key in ("target", "actual"):
            measure = self._measure(cells[key], INDICATOR_HEADERS[key])
            if measure is not None:
                row[key] = measure
        weight = self.number(cells["weight"], "分值", suffixes=SCORE_SUFFIXES)
        if weight is None and not self._failed_at(*cells["weight"]):
            self.fail(cells["weight"], tr("import.weight_empty"))
        elif weight is not None:
            row["weight"] = weight
        if "score" in cells:
            score = self.number(cells["score"], INDICATOR_HEADERS["score"], suffixes=SCORE_SUFFIXES)
            if score is not None:
                row["reported_score"] = score
        explanation = text(value("explanation"))
        if explanation:
            row["explanation"] = explanation
        return row

    def _part(self, cells: dict, rows: list) -> None:
        """A 其中 row (`其中：线上培训`): a part of the indicator row above it, with its own 年度指标值,
        实际完成值 and 分值; it is not scored, so it has no 自评得分 or 偏差原因分析 of its own."""
        if not rows:
            self.fail(cells["label"], "a 其中 row before any indicator; put it right below the indicator it is part of")
            return
        index = len(rows) - 1
        parts = rows[index].setdefault("parts", [])
        at = lambda key, cell: self.at(("indicators", index, "parts", len(parts), key), cell)  # noqa: E731
        part = {}
        name = _PART_PREFIX.sub("", text(self.grid.value(*cells["label"])), count=1).strip()
        at("name", cells["label"])
        if name:
            part["name"] = name
        else:
            self.fail(cells["label"], "the 其中 row has no name; write it after 其中：, e.g. 其中：线上培训")
        for key in ("target", "actual"):
            at(key, cells[key])
            measure = self._measure(cells[key], f"{INDICATOR_HEADERS[key]} of 其中：{name}")
            if measure is not None:
                part[key] = measure
        at("weight", cells["weight"])
        weight = self.number(cells["weight"], f"分值 of 其中：{name}", suffixes=SCORE_SUFFIXES)
        if weight is not None:
            part["weight"] = weight
        for key in ("score", "explanation"):
            if key in cells and not is_blank(self.grid.value(*cells[key])):
                self.fail(cells[key], f"a 其中 row has no {INDICATOR_HEADERS[key]} of its own; write it on the "
                          "indicator's row above and leave this cell empty")
        parts.append(part)

    def _measure(self, cell: tuple, what: str):
        """A target or actual value as written (a number cell stays a number, 95% formatted reads `95%`)."""
        value = self.grid.value(*cell)
        source = self.grid.source(*cell)
        if isinstance(value, str) and is_blank(value):
            value = None
        if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            try:
                number = read_number(value, source, what)
            except FormError as exc:
                self.errors.append(exc)
                return None
            value = f"{format_number(number * 100)}%" if self.grid.is_percent(*cell) else number
        elif value is not None:
            value = text(value)
        try:
            parse_measure(value, source, what)
        except TargetError as exc:
            self.errors.append(exc)
            return None
        return value


def _strip_weight(name: str) -> str:
    match = _GROUP_WEIGHT.match(name)
    return match["name"] if match else name
