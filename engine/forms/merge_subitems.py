"""merge_subitems: the 其中 rows of a returned form compared with the project file (issue 14).

Two kinds of 其中 row: the parts of 年度资金总额 (当年财政拨款, 上年结转资金,
其他资金), each with its 年初预算数, 全年预算数 and 全年执行数; and the rows
below an indicator (`其中：线上培训`), each with its name, 年度指标值, 实际完成值
and 分值. As for the rows they belong to, only the 全年执行数 and the 实际完成值
are the department's; the rest is approved. Used by engine/forms/import_merge.py,
whose comparer (``cmp``) records the changes.
"""
from __future__ import annotations

from engine.forms.projectedit import Edit
from engine.forms.samevalue import _flat, same
from engine.outputs.xlsxlayout import BUDGET_HEADERS, BUDGET_PART_ROWS, INDICATOR_HEADERS

FUND_PARTS = {key: label for label, key in BUDGET_PART_ROWS.values()}
FUND_COLUMNS = ("initial", "full_year", "executed")
PART_FIELDS = (  # key, column header, approved, kind
    ("name", INDICATOR_HEADERS["label"], True, "text"),
    ("target", INDICATOR_HEADERS["target"], True, "measure"),
    ("actual", INDICATOR_HEADERS["actual"], False, "measure"),
    ("weight", INDICATOR_HEADERS["weight"], True, "number"),
)


def _columns(value) -> dict:
    """A fund part as its columns: a number is its 年初预算数 alone."""
    if isinstance(value, dict):
        return dict(value)
    return {} if value is None else {"initial": value}


def fund_parts(cmp, old_budget: dict, new_budget: dict) -> None:
    """Each 其中 row of 年度资金总额 the form has, column by column."""
    for key, name in FUND_PARTS.items():
        if ("budget", key, "initial") not in cmp.cells:
            continue
        old, was, now = old_budget.get(key), _columns(old_budget.get(key)), _columns(new_budget.get(key))
        changed = [c for c in FUND_COLUMNS if not same("number", was.get(c), now.get(c))]
        if not changed:
            continue
        final = {c: (now if c in changed else was)[c] for c in FUND_COLUMNS if (now if c in changed else was).get(c)
                 is not None}
        path = ("budget", key)
        if not final:
            whole = [Edit("remove", path)] if key in old_budget else []
        elif isinstance(old, dict):
            whole = None  # each column set or removed in the file's own mapping
        else:  # a number (its 年初预算数) or no row yet: the part is written whole
            whole = [Edit("set", path, final["initial"] if list(final) == ["initial"] else final)]
        for index, column in enumerate(changed):
            if whole is None:
                edits = [Edit("remove", path + (column,))] if now.get(column) is None else \
                    [Edit("set", path + (column,), now[column])]
            else:
                edits = whole if index == 0 else []
            what = f"{name} {BUDGET_HEADERS[column]}"
            cmp.change(what, was.get(column), now.get(column), path + (column,), column != "executed", edits, what)


def indicator_parts(cmp, what: str, path: tuple, j: int, old: dict, new: dict) -> None:
    """The 其中 rows below the form's row ``j``, compared with those of the file's row at ``path``."""
    olds, news = list(old.get("parts", [])), list(new.get("parts", []))
    pairs = _match(news, olds)
    for m, k in pairs.items():
        label = f"{what} 其中：{olds[k].get('name', '')}"
        for key, header, approved, kind in PART_FIELDS:
            cell = ("indicators", j, "parts", m, key)
            if cell in cmp.cells:
                cmp.value(f"{label} {header}", path + ("parts", k, key), olds[k].get(key), news[m].get(key), kind,
                          approved, header, cell_path=cell, required=key == "name")
    added = [m for m in range(len(news)) if m not in pairs]
    removed = [k for k in range(len(olds)) if k not in set(pairs.values())]
    for index, m in enumerate(added):
        name = news[m].get("name", "")
        if olds:
            edits = [Edit("append", path + ("parts",), news[m])]
        else:  # the row has no 其中 rows in the file: one list for all
            edits = [Edit("set", path + ("parts",), [news[a] for a in added])] if index == 0 else []
        cmp.change(f"{what} 其中：{name} (added)", None, name, ("indicators", j, "parts", m, "name"), True, edits,
                   refusal=f"其中：{name} is not below {what} in the project file; a returned form cannot add a 其中 "
                           "row (use --accept-changes to take it)")
    for index, k in enumerate(removed):
        name = olds[k].get("name", "")
        if news:
            edits = [Edit("remove", path + ("parts", k))]
        else:  # none left: the key goes
            edits = [Edit("remove", path + ("parts",))] if index == 0 else []
        cmp.change(f"{what} 其中：{name} (removed)", name, None, ("indicators", j, "name"), True, edits,
                   refusal=f"其中：{name} below {what} is not in the form; a returned form cannot remove a 其中 row "
                           "(use --accept-changes to take it)")


def _match(news: list, olds: list) -> dict:
    """form part index -> file part index: by name, then the rest in order (a renamed part)."""
    pairs: dict = {}
    free = list(range(len(olds)))
    for m, part in enumerate(news):
        found = next((k for k in free if _flat(olds[k].get("name", "")) == _flat(part.get("name", ""))), None)
        if found is not None:
            pairs[m] = found
            free.remove(found)
    for m in range(len(news)):
        if m not in pairs and free:
            pairs[m] = free.pop(0)
    return pairs
