"""summarystream: the year's 汇总 kept on disk as a run goes, and its context read back as it is rendered.

``StoredSummary``, the ``summary.YearSummary`` a run uses, hands each project's row to ``RowStore``,
which keeps it in sorted runs in a temporary file (engine.outputs.rowspill)
and remembers only the units of the amounts. ``stored_context`` then makes the
context ``YearSummary.context`` makes, key for key, in one pass over the rows
in the 汇总's order: each row numbered and its amounts put in the summary's
unit as it passes, the counts, the grade distribution, each department's
小计 and the 合计 summed as they come (in the same order, so the same
Decimals), and the rows written once more, in that order, to a second file.
``rows`` and each section's ``rows`` are ``StoredRows``: read from that file
each time a template (or the year workbook) goes through them, with a length,
so that ``loop.length`` and ``| length`` work as on a list.

Memory is what one department's subtotal and one batch of rows take, however
many projects the year has. tests/test_summary_stream.py checks that the
files made from it are byte for byte those of the whole-list way.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Iterator

from engine.model import Ruleset
from engine.outputs.rowspill import RowFile, SortedSpill, item_of
from engine.outputs.summary import (
    BUDGET_LABELS, DEFAULT_UNIT, FAILED, YearSummary, _amounts_in, _percent, _rate_note, sort_key,
)
from engine.rules.targets import format_number
from engine.scoring.check import UNGRADED
from engine.scoring.evaluate import formula_value, percentage

_FLUSH = 256  # rows of a department written at a time


@dataclass
class StoredSummary(YearSummary):
    """YearSummary with its rows on disk: ``context`` reads them back (the same context, key for key)."""

    def __post_init__(self):
        self.store = RowStore(sort_key)

    def _keep(self, row: dict) -> None:
        self.store.add(row)

    def context(self) -> dict:
        return stored_context(self.store, self.ruleset)


class RowStore:
    """The rows of a run, on disk; the rate formula of each kept once by its text (rows hold the text)."""

    def __init__(self, key: Callable):
        self.spill = SortedSpill(key)
        self.units: set = set()      # of the evaluated rows' amounts: the summary's unit
        self.formulas: dict = {}     # a rate formula's text -> the formula

    def add(self, row: dict) -> None:
        if not row["failed"]:
            self.units.add(row["amounts"]["unit"])
            formula = row["rate_formula"]
            self.formulas.setdefault(formula.text, formula)
            row = {**row, "rate_formula": formula.text}
        self.spill.add(row)

    def __len__(self) -> int:
        return len(self.spill)


class StoredRows:
    """Rows in the 汇总's order, read from the file each time they are gone through."""

    def __init__(self, file: RowFile, start: int, end: int, count: int, formulas: dict):
        self._file, self._start, self._end, self._count, self._formulas = file, start, end, count, formulas

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def __iter__(self) -> Iterator[dict]:
        formulas = self._formulas
        for row in self._file.read(self._start, self._end):
            if row["rate_formula"] is not None:
                row["rate_formula"] = formulas[row["rate_formula"]]
            yield row

    def __getitem__(self, index):
        return item_of(self, self._count, index)


class _Totals:
    """A 小计 or the 合计 (summary._subtotal's dict), summed as the rows come."""

    def __init__(self, label: str):
        self.label, self.count, self.evaluated = label, 0, 0
        self.grades: dict = {}
        self.executed, self.budget, self.budget_known, self.scores = 0, 0, True, 0
        self.sums = dict.fromkeys(BUDGET_LABELS, 0)
        self.missing: set = set()   # budget names blank in some row: not summed
        self.rules: dict = {}       # rate formula text -> formula, the first row's first

    def add(self, row: dict, formula) -> None:
        self.count += 1
        self.grades[row["grade"]] = self.grades.get(row["grade"], 0) + 1
        if row["failed"]:
            return
        self.evaluated += 1
        self.executed += row["executed"]
        if row["budget"] is None:
            self.budget_known = False
        elif self.budget_known:
            self.budget += row["budget"]
        self.rules.setdefault(formula.text, formula)
        for name in BUDGET_LABELS:
            value = row["amounts"][name]
            if value is None:
                self.missing.add(name)
            elif name not in self.missing:
                self.sums[name] += value
        self.scores += row["total"]

    def done(self, ruleset: Ruleset) -> dict:
        failed = self.count - self.evaluated
        total = {"label": self.label, "count": self.count, "evaluated": self.evaluated, "failed": failed,
                 "budget": None, "executed": None, "rate": None, "rate_text": "", "average": None,
                 "grades": "、".join(f"{grade} {n}" for grade, n in self.grades.items())}
        if not self.evaluated:
            return total
        total["executed"] = self.executed
        total["budget"] = self.budget if self.budget_known else None
        rate = None
        try:
            if len(self.rules) == 1:  # one rule: its formula on the summed amounts
                names = {k: v for k, v in self.sums.items() if k not in self.missing}
                rate = formula_value(next(iter(self.rules.values())), names)
            elif total["budget"]:
                rate = self.executed / total["budget"]
        except (ArithmeticError, TypeError):
            rate = None
        if rate is not None:
            total["rate_text"] = percentage(ruleset, rate)
            total["rate"] = ruleset.rounding.apply(rate * 100) / 100
        total["average"] = ruleset.rounding.apply(self.scores / self.evaluated)
        return total


def stored_context(store: RowStore, ruleset: Ruleset) -> dict:
    """``YearSummary.context()`` from the stored rows: the same keys and values, the rows read from disk."""
    units = set(store.units)
    unit = units.pop() if len(units) == 1 else DEFAULT_UNIT
    formulas = store.formulas
    out = RowFile()
    grades: dict = {}
    count = evaluated = 0
    bases: dict = {}          # budget bases of the evaluated rows, in order
    department_bases: dict = {}
    has_previous = has_advice = False
    advice_title = ""
    advice_counts: dict = {}
    sections: list = []
    grand = _Totals("合计")
    pending: list = []
    current = None            # [department, start, totals, count]

    def close_section():
        if current is None:
            return
        start, end = current[1], out.write(pending)[1]
        pending.clear()
        sections.append({"department": current[0], "rows": StoredRows(out, start, end, current[3], formulas),
                         "subtotal": current[2].done(ruleset)})

    for row in store.spill:
        if current is None or row["department"] != current[0]:
            close_section()
            current = [row["department"], out.end, _Totals(f"{row['department']} 小计"), 0]
        count += 1
        current[3] += 1
        row["index"] = count
        formula = formulas[row["rate_formula"]] if row["rate_formula"] is not None else None
        _amounts_in(row, unit)
        if not row["failed"]:
            evaluated += 1
            grades[row["grade"]] = grades.get(row["grade"], 0) + 1
            bases.setdefault(row["budget_basis"])
            department_bases.setdefault((row["department"], row["budget_basis"]))
            if row["advice"]:
                advice_counts[row["advice"]] = advice_counts.get(row["advice"], 0) + 1
        has_previous = has_previous or row["previous_total"] is not None
        has_advice = has_advice or bool(row["advice"])
        advice_title = advice_title or row["advice_title"]
        current[2].add(row, formula)
        grand.add(row, formula)
        pending.append(row)
        if len(pending) >= _FLUSH:
            out.write(pending)
            pending.clear()
    close_section()
    failed = count - evaluated
    ungraded = grades.get(UNGRADED, 0)
    distribution = [{"grade": band.grade, "min": format_number(band.minimum), "count": grades.get(band.grade, 0)}
                    for band in ruleset.grades]
    if ungraded:
        distribution.append({"grade": UNGRADED, "min": "", "count": ungraded})
    if failed:
        distribution.append({"grade": FAILED, "min": "", "count": failed})
    for band in distribution:
        band["fraction"] = Decimal(band["count"]) / count if count else None
        band["share"] = _percent(band["count"], count)
    bases = list(bases)
    pairs = [{"department": d, "budget_basis": b} for d, b in department_bases]
    return {
        "fiscal_year": ruleset.fiscal_year, "kind": ruleset.kind,
        "title": f"{ruleset.fiscal_year} 年度项目支出绩效评价汇总",
        "ruleset": {"id": ruleset.id, "version": ruleset.version, "sha256": ruleset.sha256, "title": ruleset.title},
        "ruleset_line": f"评分规则：{ruleset.title}（{ruleset.id} {ruleset.version}，sha256 {ruleset.sha256[:12]}）",
        "rows": StoredRows(out, 0, out.end, count, formulas), "count": count, "evaluated": evaluated,
        "failed": failed, "ungraded": ungraded, "departments": len(sections),
        "distribution": distribution,
        "unit": unit,
        "budget_basis": bases[0] if len(bases) == 1 and bases[0] else "预算数",
        "rate_note": _rate_note(bases, pairs),
        "sections": sections,
        "grand_total": grand.done(ruleset) if len(sections) > 1 else None,
        "has_previous": has_previous,
        "previous_year": ruleset.fiscal_year - 1,
        "has_advice": has_advice,
        "advice_title": advice_title or "评价结果应用",
        "advice_counts": [{"advice": a, "count": n} for a, n in advice_counts.items()],
    }
