"""What `evalrun history` and `evalrun compare` print, as table rows and JSON (the CLI lays them out)."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal

from engine.i18n import tr
from engine.rules.targets import format_number
from engine.store.history import Change, YearResult, signed


def _when(value) -> str:
    if not isinstance(value, datetime):
        return str(value or "")
    if value.tzinfo is None:  # SQLite keeps the UTC time without its zone
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


def _rules(row: YearResult) -> str:
    return f"{row.ruleset_id} {row.ruleset_version}" + (" " + tr("run.variant") if row.variant else "")


def history_header() -> list[str]:
    """The history table's columns, in the console's language."""
    return [tr("views.year"), tr("views.department"), tr("views.project"), tr("views.total"), tr("views.grade"),
            tr("views.rate"), tr("views.change"), tr("views.rules"), tr("views.advice"), tr("views.run")]


def history_rows(rows: list[YearResult]) -> list[list[str]]:
    """One line per year of each project, oldest first; 变化 against the project's year before, when stored."""
    lines = []
    previous: dict[tuple, YearResult] = {}
    for row in rows:
        key = (row.department, row.project)
        before = previous.get(key)
        change = signed(row.total - before.total) if before and before.fiscal_year == row.fiscal_year - 1 else ""
        previous[key] = row
        lines.append([str(row.fiscal_year), row.department, row.project, format_number(row.total), row.grade,
                      row.execution_rate_text, change, _rules(row), row.advice or "",
                      tr("views.run_cell", run=row.run_id, when=_when(row.run_at))])
    return lines


def _number(value: Decimal | None):
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(format_number(value))


def history_json(rows: list[YearResult]) -> list[dict]:
    return [{"fiscal_year": r.fiscal_year, "department": r.department, "project": r.project, "file": r.file,
             "total": _number(r.total), "grade": r.grade, "execution_rate": _number(r.execution_rate),
             "execution_rate_text": r.execution_rate_text, "ruleset": {"id": r.ruleset_id,
                                                                         "version": r.ruleset_version,
                                                                         **({"variant": r.variant} if r.variant else {})},
             "advice": r.advice, "run": r.run_id, "recorded_at": _when(r.run_at)} for r in rows]


def _cell(row: YearResult | None) -> str:
    return tr("views.cell", total=format_number(row.total), grade=row.grade) if row else "-"


def compare_header(old_year: int, new_year: int) -> list[str]:
    return [tr("views.department"), tr("views.project"), str(old_year), str(new_year), tr("views.change"),
            tr("views.grade")]


def compare_rows(changes: list[Change]) -> list[list[str]]:
    """Per department: a line for the department (projects and mean total each year), then its projects."""
    lines = []
    departments: dict[str, list[Change]] = {}
    for change in changes:
        departments.setdefault(change.department, []).append(change)
    for department, items in departments.items():
        olds = [c.old.total for c in items if c.old]
        news = [c.new.total for c in items if c.new]
        mean_old, mean_new = _mean(olds), _mean(news)
        delta = signed(mean_new - mean_old) if mean_old is not None and mean_new is not None else ""
        lines.append([department, tr("views.department_mean", count=len(items)),
                      tr("views.mean", mean=format_number(mean_old), count=len(olds)) if olds else "-",
                      tr("views.mean", mean=format_number(mean_new), count=len(news)) if news else "-", delta, ""])
        for item in items:
            if item.old and item.new:
                change = signed(item.change)
                grade = item.old.grade if item.old.grade == item.new.grade else f"{item.old.grade} → {item.new.grade}"
            elif item.new:
                change, grade = tr("views.new"), item.new.grade
            else:
                change, grade = tr("views.dropped"), item.old.grade
            lines.append(["", item.project, _cell(item.old), _cell(item.new), change, grade])
    return lines


def compare_counts(changes: list[Change]) -> dict:
    return {"both": sum(1 for c in changes if c.old and c.new), "new": sum(1 for c in changes if not c.old),
            "dropped": sum(1 for c in changes if not c.new),
            "up": sum(1 for c in changes if c.change is not None and c.change > 0),
            "down": sum(1 for c in changes if c.change is not None and c.change < 0)}


def compare_json(changes: list[Change], old_year: int, new_year: int) -> dict:
    def side(row):
        return None if row is None else {"total": _number(row.total), "grade": row.grade, "run": row.run_id,
                                         "ruleset_version": row.ruleset_version}

    return {"from": old_year, "to": new_year, "counts": compare_counts(changes), "projects": [
        {"department": c.department, "project": c.project, "old": side(c.old), "new": side(c.new),
         "change": _number(c.change), "status": "both" if c.old and c.new else "new" if c.new else "dropped"}
        for c in changes]}


def _mean(values: list) -> Decimal | None:
    if not values:
        return None
    return (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
