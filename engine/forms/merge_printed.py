"""merge_printed: what a returned form prints that evalrun also computes, compared with the project file.

The 执行率 of the budget row, the 总分's 分值 (the most the table states a
total can be) and the 评价等级 below the table. A project file records
them only when the table states them (``reported_rate``, ``stated_total``,
``reported_grade``); otherwise the form shows what evalrun computes. So a
value equal to the one export wrote, from the file as it is, is no change;
another is recorded: the 执行率 and the 评价等级 are the department's to
fill in, the 总分's 分值 is approved. Used by engine/forms/import_merge.py.
"""
from __future__ import annotations

import re
from decimal import Decimal

from engine.errors import EvalrunError
from engine.forms.projectedit import Edit
from engine.forms.samevalue import same
from engine.outputs.xlsxlayout import BUDGET_HEADERS, LABELS
from engine.rules.project import build_project
from engine.rules.targets import format_number
from engine.scoring.evaluate import evaluate_project

GRADE = "评价等级"
STATED_TOTAL = f"{LABELS['total']} 分值"


def exported(ruleset, data, filename: str) -> dict:
    """What `evalrun export` writes for the file ``data`` where it records nothing: {"rate": 55.32 (percent,
    as rounded for print), "max_total": 100}; {} when the file cannot be scored (the values are then only
    compared with what the file records)."""
    if ruleset is None:
        return {}
    try:
        rate, _, _, _, _, max_total, _ = evaluate_project(ruleset, build_project(data, filename, ruleset))
    except EvalrunError:
        return {}
    return {"rate": ruleset.rounding.apply(rate * 100), "max_total": max_total}


def percent(value) -> Decimal | None:
    """A ``reported_rate`` as written (`55.32%` or 55.32) -> 55.32."""
    if value is None:
        return None
    found = re.match(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*[%％]?\s*$", str(value))
    return Decimal(found[1]) if found else None


def printed(cmp, derived: dict) -> None:
    _rate(cmp, derived.get("rate"))
    if ("reported_grade",) in cmp.cells:
        cmp.value(GRADE, ("reported_grade",), cmp.data.get("reported_grade"), cmp.form.get("reported_grade"),
                  "text", False)
    _stated_total(cmp, derived.get("max_total"))


def _rate(cmp, computed) -> None:
    cell = ("budget", "reported_rate")
    if cell not in cmp.cells:
        return
    budget, new = cmp.data["budget"], cmp.sheet.notes.get("rate_percent")
    written = budget.get("reported_rate")
    old = percent(written) if written is not None else computed
    if same("number", old, new) or (written is None and (new is None or computed is None)):
        return  # as export writes it; or nothing to compare a rate the file does not record with
    if new is None:
        edits = [Edit("remove", cell)]
    else:  # as the file writes it: `55.32%`, or the percentage as a number
        edits = [Edit("set", cell, Decimal(format_number(new)) if isinstance(written, (int, Decimal)) else
                      f"{format_number(new)}%")]
    cmp.change(BUDGET_HEADERS["rate"], None if old is None else f"{format_number(old)}%",
               None if new is None else f"{format_number(new)}%", cell, False, edits, BUDGET_HEADERS["rate"])


def _stated_total(cmp, computed) -> None:
    cell = ("stated_total",)
    if cell not in cmp.cells:
        return
    written, new = cmp.data.get("stated_total"), cmp.sheet.notes.get("stated_total")
    if written is not None:
        cmp.value(STATED_TOTAL, cell, written, new, "number", True)
    elif new is not None and computed is not None and not same("number", computed, new):
        cmp.change(STATED_TOTAL, computed, new, cell, True, [Edit("set", cell, new)], STATED_TOTAL)
