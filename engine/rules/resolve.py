"""resolve: a ruleset's validated plain data -> a frozen Ruleset (its projects: engine/rules/project.py).

Semantic checks live here, next to the code that needs them: formulas parse
and name only known variables, methods and groups referred to exist, grade
bands and qualitative levels are ordered, targets are readable. Every
problem found is reported, not only the first.
"""
from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any, Mapping

from engine.scoring.advice import build_results_use
from engine.errors import EvalrunError, Source, did_you_mean, raise_all
from engine.i18n import tr
from engine.rules.formulas import compile_formula
from engine.files.located import LDict, LList, Places
from engine.model import (
    Block, BudgetRule, DecisionTable, GradeBand, Group, Level, Method, ReviewRules, Rounding, Ruleset, TableRow,
    TargetRules,
)

QUANTITATIVE_NAMES = ("weight", "target", "actual", "met")
QUALITATIVE_NAMES = ("weight", "met", "point")
JUDGED_NAMES = ("weight", "score")  # a method of kind judged (专家评分): the score an evaluator assigned
BUDGET_RATE_NAMES = ("initial", "full_year", "adjusted", "executed")
BUDGET_SCORE_NAMES = BUDGET_RATE_NAMES + ("weight", "rate")
DEFAULT_CHECKS = {
    "spending_total": "warning", "group_weights": "error", "total_weight": "error",
    "execution_over_budget": "error", "reported_score": "warning", "reported_total": "warning",
    "qualitative_band": "warning", "reported_rows_sum": "warning", "stated_weights": "warning",
    "explanation_required": "warning", "repeated_target": "warning",
    "reported_rate": "warning", "reported_subtotal": "warning", "reported_grade": "warning",
    "sub_items": "warning",
}


def _dec(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(value)


def _opt(value: Any) -> Decimal | None:
    return None if value is None else _dec(value)


def _src(node: Any, key: Any = None) -> Source:
    if key is not None and isinstance(node, (LDict, LList)):
        return node.source_of(key)
    return getattr(node, "source", Source())


def _sources(node: LDict) -> Mapping:
    """Where each value of ``node`` was read; the loader's own map when it holds every key (its
    Sources are made only when a message asks for one)."""
    sources = node.value_sources
    if isinstance(sources, Places) and len(sources) == len(node):
        return sources
    return {k: node.source_of(k) for k in node}


def plain(data: Any) -> Any:
    """LDict/LList/Decimal -> JSON-ready builtins, for hashing and diffs."""
    if isinstance(data, dict):
        return {str(k): plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [plain(v) for v in data]
    if isinstance(data, Decimal):
        return format(data.normalize(), "f") if data == data.to_integral() else str(data)
    return data


def content_hash(data: Any) -> str:
    canonical = json.dumps(plain(data), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- ruleset


def _refused(schema_errors) -> "callable":
    """``refused(*path)``: whether the schema refused anything at or under ``path``."""
    paths = [tuple(e.source.path) for e in schema_errors]

    def refused(*path) -> bool:
        return any(p[: len(path)] == path for p in paths)

    return refused


def ruleset_errors(data: Any, filename: str, schema_errors) -> list[EvalrunError]:
    """The schema's errors and the meaning errors of every part the schema accepted, sorted by place.

    So a ruleset with a misspelt key and a formula naming an unknown variable
    gets both lines at once, not one per run.
    """
    if not isinstance(data, dict):
        return list(schema_errors)
    try:
        build_ruleset(data, filename, _refused(schema_errors))
    except EvalrunError as exc:
        return sorted(list(schema_errors) + list(getattr(exc, "errors", [exc])), key=EvalrunError.sort_key)
    return sorted(schema_errors, key=EvalrunError.sort_key)


def _with(spec: LDict, **values) -> LDict:
    """A copy of ``spec`` with ``values`` added, every place kept (the added ones are the mapping's own)."""
    copy = LDict(spec)
    copy.update(values)
    copy.source, copy.key_sources, copy.value_sources = spec.source, spec.key_sources, spec.value_sources
    return copy


def build_ruleset(data: LDict, filename: str, refused=None) -> Ruleset:
    """Turn a schema-valid ruleset mapping into a Ruleset, checking its meaning.

    With ``refused`` (for data the schema did not accept), the parts the
    schema refused are left out, and every other part's errors are raised.
    """
    errors: list[EvalrunError] = []
    partial = refused is not None
    refused = refused or (lambda *path: False)

    def usable(key: str, kind=dict) -> bool:
        return isinstance(data.get(key), kind) and not refused(key)

    def attempt(make, *args):
        try:
            return make(*args)
        except EvalrunError as exc:
            errors.append(exc)
            return None

    methods = {}
    defined = list(data["methods"]) if isinstance(data.get("methods"), dict) else []
    for name, spec in (data["methods"].items() if isinstance(data.get("methods"), dict) else ()):
        if refused("methods", name) or not isinstance(spec, dict):
            continue
        method = attempt(_build_method, name, spec, data["methods"].source_of(name))
        if method:
            methods[name] = method

    method_for = dict(data["method_for"]) if usable("method_for") else {}
    for key, name in method_for.items():
        where = data["method_for"].source_of(key)
        if name not in defined and isinstance(data.get("methods"), dict) and not refused("methods"):
            errors.append(EvalrunError(
                tr("resolve.method_for_undefined", key=key, name=name, suggestion=did_you_mean(name, defined),
                   defined=", ".join(defined)),
                where,
            ))
        elif name in methods:
            wanted = {"qualitative": "qualitative", "judged": "judged"}.get(key, "quantitative")
            if key != "date" and methods[name].kind != wanted:
                errors.append(EvalrunError(
                    tr("resolve.method_for_kind", key=key, wanted=_kind(wanted), name=name,
                       kind=_kind(methods[name].kind)), where))

    budget = rate = score = None
    if isinstance(data.get("budget_execution"), dict):
        budget_spec = data["budget_execution"]
        counted = budget_spec.get("counted", True)  # false: no 预算执行率 row; the rate is shown, not scored
        if not counted:
            budget_spec = _with(budget_spec, weight=0, score="0") \
                if "weight" not in budget_spec and "score" not in budget_spec else budget_spec
        missing = [k for k in ("weight", "score") if k not in budget_spec]
        if missing:
            errors.append(EvalrunError(tr("resolve.budget_needs", key=missing[0]), data.key_source("budget_execution")))
            budget_spec = _with(budget_spec, weight=0, score="0")
        if not refused("budget_execution", "rate"):
            rate = attempt(compile_formula, budget_spec["rate"], budget_spec.source_of("rate"),
                           BUDGET_RATE_NAMES, tr("resolve.what.rate"))
        if not refused("budget_execution", "score"):
            score = attempt(compile_formula, budget_spec["score"], budget_spec.source_of("score"),
                            BUDGET_SCORE_NAMES, tr("resolve.what.score"))
        if rate and score and not refused("budget_execution"):
            budget = BudgetRule(budget_spec["name"], _dec(budget_spec["weight"]), rate, score,
                                budget_spec.source_of("weight"), budget_spec.get("name_en", ""), counted)

    grades = attempt(_build_grades, data["grades"]) if usable("grades", list) else None
    groups = []
    seen_groups: dict[str, Source] = {}
    for index, spec in enumerate(data["framework"] if isinstance(data.get("framework"), list) else ()):
        where = data["framework"].source_of(index)
        if refused("framework", index) or not isinstance(spec, dict):
            if isinstance(spec, dict) and isinstance(spec.get("name"), str):
                seen_groups.setdefault(spec["name"], where)
            continue
        if spec["name"] in seen_groups:
            errors.append(EvalrunError(
                tr("resolve.group_twice", name=spec["name"], line=seen_groups[spec["name"]].line), where))
        seen_groups[spec["name"]] = where
        group = attempt(_build_group, spec, where)
        if group:
            groups.append(group)
    blocks = []
    for index, spec in enumerate(data.get("blocks", ()) if isinstance(data.get("blocks", ()), list) else ()):
        where = data["blocks"].source_of(index)
        if refused("blocks", index):
            continue
        unknown = [g for g in spec["groups"] if g not in seen_groups and not refused("framework")]
        if unknown:
            errors.append(EvalrunError(
                tr("resolve.block_unknown_group", name=unknown[0], suggestion=did_you_mean(unknown[0], list(seen_groups))),
                where))
        blocks.append(Block(tuple(spec["groups"]), _dec(spec["weight"]), where))
    if partial:  # the schema refused something: report what else is wrong, build nothing
        raise_all(errors)
        return None
    review_spec = data.get("review", {})
    review = ReviewRules(
        explain_missed_target=bool(review_spec.get("explain_missed_target", False)),
        explain_execution_below=_opt(review_spec.get("explain_execution_below")),
        explain_over_target=_opt(review_spec.get("explain_over_target")),
    )

    target_spec = data.get("targets", {})
    targets = TargetRules(
        bare_comparator=target_spec.get("bare_comparator", ">="),
        equal_as=target_spec.get("equal_as", ">="),
        repeated_actual=target_spec.get("repeated_actual", "met"),
        achieved_words=tuple(target_spec.get("achieved_words", ())),
        missed_words=tuple(target_spec.get("missed_words", ())),
    )
    numeric = any(key in method_for for key in (">=", ">", "<=", "<", "="))  # none: every row judged, or rows name theirs
    for comparator in (targets.bare_comparator, targets.equal_as) if numeric else ():
        if comparator not in method_for and comparator != "=":
            errors.append(EvalrunError(
                tr("resolve.no_method_for_comparison", comparator=comparator),
                data["method_for"].source,
            ))

    results_use = attempt(build_results_use, data["results_use"], grades or ()) if "results_use" in data else None
    raise_all(errors)
    checks = dict(DEFAULT_CHECKS)
    checks.update(data.get("checks", {}))
    return Ruleset(
        id=data["id"], title=data["title"], fiscal_year=int(data["fiscal_year"]),
        version=str(data["version"]), sha256=content_hash(data), file=filename,
        rounding=Rounding(int(data["rounding"]["places"]), data["rounding"]["mode"]),
        grades=grades, budget=budget, groups=tuple(groups), methods=methods,
        method_for=method_for, targets=targets, not_applicable=data["not_applicable"],
        checks=checks, source=data.source, blocks=tuple(blocks), review=review, results_use=results_use,
    )


def _kind(kind: str) -> str:
    return tr("resolve.kind.qualitative") if kind == "qualitative" else tr("resolve.kind.quantitative")


def _build_group(spec: LDict, where: Source) -> Group:
    has_weight, has_range = "weight" in spec, "weight_range" in spec
    if has_weight == has_range:
        raise EvalrunError(tr("resolve.group_weight_both", name=spec["name"]) if has_weight else
                           tr("resolve.group_weight_neither", name=spec["name"]), where)
    if has_range:
        low, high = _dec(spec["weight_range"]["min"]), _dec(spec["weight_range"]["max"])
        if low > high:
            raise EvalrunError(tr("resolve.weight_range_reversed", name=spec["name"], low=low, high=high),
                               spec.source_of("weight_range"))
        return Group(spec["name"], None, tuple(spec["subgroups"]), spec.source_of("weight_range"), (low, high),
                     spec.get("name_en", ""))
    return Group(spec["name"], _dec(spec["weight"]), tuple(spec["subgroups"]), spec.source_of("weight"),
                 name_en=spec.get("name_en", ""))


def _build_table(name: str, spec: LDict, known) -> DecisionTable:
    """A decision table, checked for gaps and overlaps between its rows."""
    what = tr("resolve.what.table", name=name)
    source = spec.source_of("input")
    input_formula = compile_formula(spec["input"], source, known, tr("resolve.what.table_input", table=what))
    rows = []
    for index, row in enumerate(spec["rows"]):
        where = spec["rows"].source_of(index)
        low, high = _opt(row.get("from")), _opt(row.get("to"))
        if low is not None and high is not None and low > high:
            raise EvalrunError(tr("resolve.table_row_reversed", row=index + 1, table=what, low=low, high=high), where)
        score = row["score"]
        text = score if isinstance(score, str) else format(score, "f") if isinstance(score, Decimal) else str(score)
        formula = compile_formula(text, row.source_of("score"), known,
                                  tr("resolve.what.table_score", row=index + 1, table=what))
        rows.append(TableRow(low, high, formula, where))
    ordered = sorted(rows, key=lambda r: (r.low is not None, r.low if r.low is not None else 0))
    if ordered[0].low is not None:
        raise EvalrunError(tr("resolve.table_no_low", table=what, low=ordered[0].low), ordered[0].source)
    if ordered[-1].high is not None and not any(r.high is None for r in rows):
        raise EvalrunError(
            tr("resolve.table_no_high", table=what, high=max(r.high for r in rows)),
            max(rows, key=lambda r: r.high).source)
    for below, above in zip(ordered, ordered[1:]):
        if below.high is None or (above.low is not None and below.high > above.low):
            raise EvalrunError(
                tr("resolve.table_overlap", below=below.describe(), above=above.describe(), table=what), above.source)
        if below.high < above.low:
            raise EvalrunError(
                tr("resolve.table_gap", table=what, below=below.describe(), above=above.describe()), above.source)
    return DecisionTable(input_formula, tuple(rows))


def _build_method(name: str, spec: LDict, where: Source) -> Method:
    kind = spec["kind"]
    known = {"qualitative": QUALITATIVE_NAMES, "judged": JUDGED_NAMES}.get(kind, QUANTITATIVE_NAMES)
    if kind == "judged" and "formula" not in spec:
        spec = _with(spec, formula="score")  # 专家评分: the score as assigned
    table = None
    if ("formula" in spec) == ("table" in spec) or (kind == "qualitative" and "table" in spec):
        raise EvalrunError(tr("resolve.method_needs_formula", name=name), where)
    errors: list[EvalrunError] = []  # the formula's and the levels' problems, both at once
    formula = None
    try:
        if "table" in spec:
            table = _build_table(name, spec["table"], known)
            formula = table.input
        else:
            formula = compile_formula(spec["formula"], spec.source_of("formula"), known,
                                      tr("resolve.what.method_formula", name=name))
    except EvalrunError as exc:
        errors.extend(getattr(exc, "errors", [exc]))
    levels = ()
    if kind == "qualitative":
        if "levels" not in spec:
            errors.append(EvalrunError(tr("resolve.qualitative_no_levels", name=name), where))
        else:
            try:
                levels = _build_levels(name, spec["levels"])
            except EvalrunError as exc:
                errors.extend(getattr(exc, "errors", [exc]))
    elif "levels" in spec:
        errors.append(EvalrunError(tr("resolve.quantitative_levels", name=name),
                                   spec.key_source("levels")))
    raise_all(errors)
    return Method(name, spec["label"], kind, formula, levels, spec.get("point", "top"), where, table,
                  spec.get("label_en", ""))


def _build_levels(method: str, specs: LList) -> tuple:
    levels, errors = [], []
    for index, spec in enumerate(specs):
        where = specs.source_of(index)
        low, high = _dec(spec["from"]), _dec(spec["to"])
        if low > high:
            errors.append(EvalrunError(
                tr("resolve.level_reversed", level=spec["name"], method=method, low=low, high=high), where))
        elif levels and high > levels[-1].low:
            errors.append(EvalrunError(
                tr("resolve.level_overlap", level=spec["name"], method=method, high=high, above=levels[-1].low), where))
        elif levels and high < levels[-1].low:
            errors.append(EvalrunError(
                tr("resolve.level_gap", level=spec["name"], high=high, above=levels[-1].low), where))
        fixed = _opt(spec.get("point"))
        if fixed is not None and not low <= fixed <= high:
            band = f"{low}" if low == high else f"{low}–{high}"
            errors.append(EvalrunError(
                tr("resolve.level_point_outside", level=spec["name"], method=method, point=fixed, band=band),
                spec.source_of("point")))
        levels.append(Level(spec["name"], low, high, tuple(spec.get("words", ())), where, fixed))
    raise_all(errors)
    return tuple(levels)


def _build_grades(specs: LList) -> tuple:
    bands, errors = [], []
    for index, spec in enumerate(specs):
        where = specs.source_of(index)
        minimum = _dec(spec["min"])
        if bands and minimum >= bands[-1].minimum:
            errors.append(EvalrunError(
                tr("resolve.grades_unordered", grade=spec["grade"], minimum=minimum, above=bands[-1].grade,
                   above_min=bands[-1].minimum), where))
        bands.append(GradeBand(spec["grade"], minimum, spec.source_of("min"), spec.get("name_en", "")))
    if bands[-1].minimum != 0 and not errors:  # grades in the wrong order say it already
        errors.append(EvalrunError(
            tr("resolve.lowest_grade", grade=bands[-1].grade, minimum=bands[-1].minimum), specs.source_of(len(specs) - 1)))
    raise_all(errors)
    return tuple(bands)
