"""resolve: validated plain data -> frozen Ruleset and Project objects.

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
from engine.rules.formulas import compile_formula
from engine.files.load import LDict, LList, Places
from engine.model import (
    Block, Budget, BudgetRule, DecisionTable, Deduction, Goal, GradeBand, Group, Indicator, Level, Method,
    Project, ReviewRules, Rounding, Ruleset, SpendingLine, SubItem, TableRow, TargetRules, FundPart,
)
from engine.rules.targets import TargetError, parse_measure

QUANTITATIVE_NAMES = ("weight", "target", "actual", "met")
QUALITATIVE_NAMES = ("weight", "met", "point")
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
                f"method_for `{key}` names the method `{name}`, which is not defined"
                f"{did_you_mean(name, defined)}; defined methods: {', '.join(defined)}",
                where,
            ))
        elif name in methods:
            wanted = "qualitative" if key == "qualitative" else "quantitative"
            if key != "date" and methods[name].kind != wanted:
                errors.append(EvalrunError(
                    f"method_for `{key}` needs a {wanted} method, but `{name}` is {methods[name].kind}", where
                ))

    budget = rate = score = None
    if isinstance(data.get("budget_execution"), dict):
        budget_spec = data["budget_execution"]
        if not refused("budget_execution", "rate"):
            rate = attempt(compile_formula, budget_spec["rate"], budget_spec.source_of("rate"),
                           BUDGET_RATE_NAMES, "execution rate formula")
        if not refused("budget_execution", "score"):
            score = attempt(compile_formula, budget_spec["score"], budget_spec.source_of("score"),
                            BUDGET_SCORE_NAMES, "execution score formula")
        if rate and score and not refused("budget_execution"):
            budget = BudgetRule(budget_spec["name"], _dec(budget_spec["weight"]), rate, score,
                                budget_spec.source_of("weight"))

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
                f"the group `{spec['name']}` is defined twice (first on line {seen_groups[spec['name']].line})", where
            ))
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
                f"the block names `{unknown[0]}`, which is not a group of the framework"
                f"{did_you_mean(unknown[0], list(seen_groups))}", where))
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
    for comparator in (targets.bare_comparator, targets.equal_as):
        if comparator not in method_for and comparator != "=":
            errors.append(EvalrunError(
                f"targets use the comparison `{comparator}`, but method_for names no method for it",
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


def _build_group(spec: LDict, where: Source) -> Group:
    has_weight, has_range = "weight" in spec, "weight_range" in spec
    if has_weight == has_range:
        raise EvalrunError(
            f"the group `{spec['name']}` needs either `weight` (fixed points) or `weight_range` "
            "(the department sets them within a range), not " + ("both" if has_weight else "neither"), where)
    if has_range:
        low, high = _dec(spec["weight_range"]["min"]), _dec(spec["weight_range"]["max"])
        if low > high:
            raise EvalrunError(f"the weight_range of `{spec['name']}` runs from {low} to {high}; min must not exceed max",
                               spec.source_of("weight_range"))
        return Group(spec["name"], None, tuple(spec["subgroups"]), spec.source_of("weight_range"), (low, high))
    return Group(spec["name"], _dec(spec["weight"]), tuple(spec["subgroups"]), spec.source_of("weight"))


def _build_table(name: str, spec: LDict, known) -> DecisionTable:
    """A decision table, checked for gaps and overlaps between its rows."""
    what = f"table of `{name}`"
    source = spec.source_of("input")
    input_formula = compile_formula(spec["input"], source, known, f"input of the {what}")
    rows = []
    for index, row in enumerate(spec["rows"]):
        where = spec["rows"].source_of(index)
        low, high = _opt(row.get("from")), _opt(row.get("to"))
        if low is not None and high is not None and low > high:
            raise EvalrunError(f"row {index + 1} of the {what} runs from {low} to {high}; `from` must not exceed `to`", where)
        score = row["score"]
        text = score if isinstance(score, str) else format(score, "f") if isinstance(score, Decimal) else str(score)
        formula = compile_formula(text, row.source_of("score"), known, f"score of row {index + 1} of the {what}")
        rows.append(TableRow(low, high, formula, where))
    ordered = sorted(rows, key=lambda r: (r.low is not None, r.low if r.low is not None else 0))
    if ordered[0].low is not None:
        raise EvalrunError(
            f"the {what} has no row for inputs below {ordered[0].low}; leave out `from` in its lowest row "
            "(or add a row for them)", ordered[0].source)
    if ordered[-1].high is not None and not any(r.high is None for r in rows):
        raise EvalrunError(
            f"the {what} has no row for inputs above {max(r.high for r in rows)}; leave out `to` in its highest row",
            max(rows, key=lambda r: r.high).source)
    for below, above in zip(ordered, ordered[1:]):
        if below.high is None or (above.low is not None and below.high > above.low):
            raise EvalrunError(
                f"rows {below.describe()} and {above.describe()} of the {what} overlap; "
                "rows may share only their boundary (the first listed row takes it)", above.source)
        if below.high < above.low:
            raise EvalrunError(
                f"the {what} has a gap between {below.describe()} and {above.describe()}: "
                f"no row scores inputs between them", above.source)
    return DecisionTable(input_formula, tuple(rows))


def _build_method(name: str, spec: LDict, where: Source) -> Method:
    kind = spec["kind"]
    known = QUALITATIVE_NAMES if kind == "qualitative" else QUANTITATIVE_NAMES
    table = None
    if ("formula" in spec) == ("table" in spec) or (kind == "qualitative" and "table" in spec):
        raise EvalrunError(
            f"the method `{name}` needs either a `formula` or (for a quantitative method) a decision `table`", where)
    errors: list[EvalrunError] = []  # the formula's and the levels' problems, both at once
    formula = None
    try:
        if "table" in spec:
            table = _build_table(name, spec["table"], known)
            formula = table.input
        else:
            formula = compile_formula(spec["formula"], spec.source_of("formula"), known, f"formula of `{name}`")
    except EvalrunError as exc:
        errors.extend(getattr(exc, "errors", [exc]))
    levels = ()
    if kind == "qualitative":
        if "levels" not in spec:
            errors.append(EvalrunError(
                f"the qualitative method `{name}` has no `levels`; list its bands from best to worst", where))
        else:
            try:
                levels = _build_levels(name, spec["levels"])
            except EvalrunError as exc:
                errors.extend(getattr(exc, "errors", [exc]))
    elif "levels" in spec:
        errors.append(EvalrunError(f"the method `{name}` is quantitative; `levels` belong to qualitative methods",
                                   spec.key_source("levels")))
    raise_all(errors)
    return Method(name, spec["label"], kind, formula, levels, spec.get("point", "top"), where, table)


def _build_levels(method: str, specs: LList) -> tuple:
    levels, errors = [], []
    for index, spec in enumerate(specs):
        where = specs.source_of(index)
        low, high = _dec(spec["from"]), _dec(spec["to"])
        if low > high:
            errors.append(EvalrunError(
                f"the level `{spec['name']}` of `{method}` runs from {low} to {high}; `from` must not exceed `to`", where))
        elif levels and high > levels[-1].low:
            errors.append(EvalrunError(
                f"the level `{spec['name']}` of `{method}` overlaps the level above it "
                f"(it reaches {high}, the one above starts at {levels[-1].low}); list levels from best to worst",
                where,
            ))
        elif levels and high < levels[-1].low:
            errors.append(EvalrunError(
                f"between the level `{spec['name']}` (up to {high}) and the one above (from {levels[-1].low}) "
                "there is a gap", where,
            ))
        fixed = _opt(spec.get("point"))
        if fixed is not None and not low <= fixed <= high:
            band = f"{low}" if low == high else f"{low}–{high}"
            errors.append(EvalrunError(
                f"the level `{spec['name']}` of `{method}` has the point {fixed} outside its band {band}",
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
                f"the grade `{spec['grade']}` starts at {minimum}, not below the grade above it "
                f"({bands[-1].grade} at {bands[-1].minimum}); list grades from best to worst", where,
            ))
        bands.append(GradeBand(spec["grade"], minimum, spec.source_of("min")))
    if bands[-1].minimum != 0 and not errors:  # grades in the wrong order say it already
        errors.append(EvalrunError(
            f"the lowest grade `{bands[-1].grade}` starts at {bands[-1].minimum}; it must start at 0 "
            "so that every total gets a grade", specs.source_of(len(specs) - 1),
        ))
    raise_all(errors)
    return tuple(bands)


# ---------------------------------------------------------------- project


def project_errors(data: Any, filename: str, ruleset: Ruleset, schema_errors, compare_mode: bool = False) -> list:
    """The schema's errors and the meaning errors of every row the schema accepted, sorted by place.

    A file with a misspelt key in one row and an unreadable target in
    another gets both lines at once.
    """
    errors = list(schema_errors)
    if not isinstance(data, dict):
        return errors
    refused = _refused(schema_errors)
    year = data.get("fiscal_year")
    if (not compare_mode and isinstance(year, int) and not isinstance(year, bool) and not refused("fiscal_year")
            and year != ruleset.fiscal_year):
        errors.append(_year_error(data, ruleset))
    specs = data.get("indicators")
    if isinstance(specs, list):
        for index, spec in enumerate(specs):
            if not isinstance(spec, LDict):
                continue
            if refused("indicators", index):  # check the fields the schema accepted
                errors.extend(_field_errors(spec, ruleset, lambda *key: refused("indicators", index, *key)))
                continue
            try:
                if compare_mode:
                    spec = regroup(spec, ruleset)
                _build_indicator(spec, specs.source_of(index), ruleset)
            except EvalrunError as exc:
                errors.extend(getattr(exc, "errors", [exc]))
    return sorted(errors, key=EvalrunError.sort_key)


def _field_errors(spec: LDict, ruleset: Ruleset, refused) -> list:
    """The meaning errors of a row's fields that the schema accepted (its other fields it refused)."""
    errors = []
    usable = {k: v for k, v in spec.items() if not refused(k) and (k not in ("level1", "level2") or isinstance(v, str))}
    group = ruleset.group(usable["level1"]) if "level1" in usable else None
    if "level1" in usable and group is None:
        errors.append(_level1_error(spec, ruleset))
    elif group is not None and "level2" in usable and usable["level2"] not in group.subgroups:
        errors.append(_level2_error(spec, group))
    if usable.get("applicable", True) is not False:
        for key in ("target", "actual"):
            if isinstance(usable.get(key), (str, int, Decimal)) and not isinstance(usable.get(key), bool):
                try:
                    parse_measure(usable[key], spec.source_of(key), key)
                except TargetError as exc:
                    errors.append(exc)
    method = usable.get("method")
    if isinstance(method, str) and method not in ruleset.methods:
        errors.append(_method_error(spec, ruleset))
    return errors


def _level1_error(spec: LDict, ruleset: Ruleset) -> EvalrunError:
    names = [g.name for g in ruleset.groups]
    return EvalrunError(
        f"the first-level indicator `{spec['level1']}` is not in the ruleset's framework"
        f"{did_you_mean(spec['level1'], names)}; expected one of: {', '.join(names)}",
        spec.source_of("level1"),
    )


def _level2_error(spec: LDict, group) -> EvalrunError:
    return EvalrunError(
        f"`{spec['level2']}` is not a second-level indicator of {group.name}"
        f"{did_you_mean(spec['level2'], group.subgroups)}; expected one of: {', '.join(group.subgroups)}",
        spec.source_of("level2"),
    )


def _method_error(spec: LDict, ruleset: Ruleset) -> EvalrunError:
    method = spec["method"]
    return EvalrunError(
        f"the indicator names the method `{method}`, which the ruleset does not define"
        f"{did_you_mean(method, list(ruleset.methods))}; defined: {', '.join(ruleset.methods)}",
        spec.source_of("method"),
    )


def _year_error(data: LDict, ruleset: Ruleset) -> EvalrunError:
    return EvalrunError(
        f"the project is for fiscal year {data['fiscal_year']}, the ruleset `{ruleset.id}` for {ruleset.fiscal_year}",
        data.source_of("fiscal_year"),
    )


def build_project(data: LDict, filename: str, ruleset: Ruleset, compare_mode: bool = False) -> Project:
    """Turn a schema-valid project mapping into a Project, reading every target.

    ``compare_mode`` scores a project under another year's ruleset (for
    ``diff --impact``): the fiscal year is not checked, and a row whose
    group that ruleset arranges differently is moved to where it belongs.
    """
    errors: list[EvalrunError] = []
    if not compare_mode and int(data["fiscal_year"]) != ruleset.fiscal_year:
        errors.append(_year_error(data, ruleset))
    budget_data = data["budget"]
    budget = Budget(
        unit=budget_data.get("unit", "万元"),
        initial=_opt(budget_data.get("initial")), full_year=_dec(budget_data["full_year"]),
        executed=_dec(budget_data["executed"]),
        adjusted=_opt(budget_data.get("adjusted")),
        current_appropriation=_part_initial(budget_data.get("current_appropriation")),
        carried_over=_part_initial(budget_data.get("carried_over")), other=_part_initial(budget_data.get("other")),
        parts=tuple(_fund_part(budget_data, key, label) for key, label in FUND_PARTS.items() if key in budget_data),
        sources=_sources(budget_data), source=budget_data.source,
        explanation=budget_data.get("explanation", ""), reported_score=_opt(budget_data.get("reported_score")),
        reported_rate=_percent_written(budget_data.get("reported_rate")),
    )
    errors.extend(_blank_amounts(budget_data, ruleset, filename))
    spending_data = data.get("spending", LList())
    spending = tuple(
        SpendingLine(line["item"], _dec(line["amount"]), _src(spending_data, i))
        for i, line in enumerate(spending_data)
    )
    goals = tuple(Goal(g["expected"], g.get("achieved", "")) for g in data.get("goals", ()))
    indicators = []
    for index, spec in enumerate(data["indicators"]):
        try:
            if compare_mode:
                spec = regroup(spec, ruleset)
            indicators.append(_build_indicator(spec, data["indicators"].source_of(index), ruleset))
        except EvalrunError as exc:
            errors.extend(getattr(exc, "errors", [exc]))
    raise_all(errors)
    return Project(
        name=data["project"], department=data["department"], fiscal_year=int(data["fiscal_year"]),
        implementing_unit=data.get("implementing_unit", ""), budget=budget, spending=spending,
        goals=goals, indicators=tuple(indicators), narrative=plain(data.get("narrative", {})),
        report=plain(data.get("report", {})), file=filename,
        reported_total=_opt(data.get("reported_total")), source=data.source,
        stated_weights={k: _dec(v) for k, v in data.get("stated_weights", {}).items()},
        stated_sources={k: data["stated_weights"].source_of(k) for k in data.get("stated_weights", {})},
        deductions=tuple(Deduction(d["reason"], _dec(d["points"]), _src(data["deductions"], i))
                         for i, d in enumerate(data.get("deductions", ()))),
        stated_total=_opt(data.get("stated_total")),
        sources={**{k: data.source_of(k) for k in data},
                 **{("reported_subtotals", k): data["reported_subtotals"].source_of(k)
                    for k in data.get("reported_subtotals", {})}},
        reported_grade=data.get("reported_grade"),
        reported_subtotals={k: _dec(v) for k, v in data.get("reported_subtotals", {}).items()},
    )


FUND_PARTS = {"current_appropriation": "其中：当年财政拨款", "carried_over": "上年结转资金", "other": "其他资金"}


def _part_initial(value: Any) -> Decimal | None:
    """A fund part's 年初预算数: the number itself, or its `initial`."""
    if isinstance(value, dict):
        return _opt(value.get("initial"))
    return _opt(value)


def _fund_part(budget_data: LDict, key: str, label: str) -> FundPart:
    value = budget_data[key]
    if isinstance(value, dict):
        return FundPart(key, label, _opt(value.get("initial")), _opt(value.get("full_year")),
                        _opt(value.get("executed")), budget_data.source_of(key))
    return FundPart(key, label, initial=_dec(value), source=budget_data.source_of(key))


def _sub_items(spec: LDict) -> tuple:
    """An indicator's 其中 rows; an actual value that cannot be read is an error quoting it."""
    items = []
    for index, item in enumerate(spec.get("parts", ())):
        where = spec["parts"].source_of(index)
        actual = None
        if "actual" in item:
            actual = parse_measure(item["actual"], item.source_of("actual"), "actual")
        items.append(SubItem(item["name"], str(item.get("target", "")), actual, _opt(item.get("weight")), where))
    return tuple(items)


def _blank_amounts(budget_data: LDict, ruleset: Ruleset, filename: str) -> list:
    """A budget amount the table leaves blank that a rule of the ruleset needs: an error now, never a made-up value."""
    rule = ruleset.budget
    errors = []
    for name, label in (("initial", "年初预算数"),):
        if budget_data.get(name) is None:
            for formula in (rule.rate, rule.score):
                if name in formula.names:
                    errors.append(EvalrunError(
                        f"budget: `{name}` ({label}) is not given, but the ruleset's {rule.name} formula "
                        f"`{formula.text}` ({formula.source}) needs it; write `{name}:` under `budget:` as the "
                        "table prints it", budget_data.source))
                    break
    return errors


def _percent_written(value: Any) -> Decimal | None:
    """A printed percentage (`55.32%`, or 55.32) as a Decimal keeping its printed digits."""
    if value is None:
        return None
    if isinstance(value, str):
        return Decimal(value.strip().rstrip("%％").strip())
    return _dec(value)


def _opt(value: Any) -> Decimal | None:
    return None if value is None else _dec(value)


def regroup(spec: LDict, ruleset: Ruleset) -> LDict:
    """The row moved to the group this ruleset keeps its second-level group in.

    成本指标 is a second-level group of 产出指标 in some years and a
    first-level group of its own in others; a row keeps its meaning.
    """
    group = ruleset.group(spec["level1"])
    if group is not None and spec["level2"] in group.subgroups:
        return spec
    holders = [g for g in ruleset.groups if spec["level2"] in g.subgroups]
    own = ruleset.group(spec["level2"])
    if len(holders) == 1:
        level1, level2 = holders[0].name, spec["level2"]
    elif own is not None:
        level1, level2 = own.name, own.subgroups[0]
    elif group is None:
        holders = [g for g in ruleset.groups if spec["level1"] in g.subgroups]
        if len(holders) != 1:
            return spec
        level1, level2 = holders[0].name, spec["level1"]
    else:
        return spec
    moved = LDict(spec)
    for attr in ("source", "key_sources", "value_sources"):
        setattr(moved, attr, getattr(spec, attr))
    moved["level1"], moved["level2"] = level1, level2
    return moved


def _build_indicator(spec: LDict, where: Source, ruleset: Ruleset) -> Indicator:
    errors: list[EvalrunError] = []
    group = ruleset.group(spec["level1"])
    if group is None:
        errors.append(_level1_error(spec, ruleset))
    elif spec["level2"] not in group.subgroups:
        errors.append(_level2_error(spec, group))
    applicable = spec.get("applicable", True)
    target = actual = None
    if applicable:
        for key in ("name", "weight", "target", "actual"):
            if key not in spec:
                errors.append(EvalrunError(
                    f"the indicator `{spec.get('name', spec['level2'])}` is missing `{key}`; "
                    "an applicable indicator needs name, weight, target and actual "
                    "(or `applicable: false` for 不适用)",
                    where,
                ))
        for key in ("target", "actual"):
            if key in spec:
                try:
                    measure = parse_measure(spec[key], spec.source_of(key), key)
                except TargetError as exc:
                    errors.append(exc)
                    continue
                if key == "target":
                    target = measure
                else:
                    actual = measure
    method = spec.get("method")
    if method is not None and method not in ruleset.methods:
        errors.append(_method_error(spec, ruleset))
    parts = ()
    try:
        parts = _sub_items(spec)
    except TargetError as exc:
        errors.append(exc)
    raise_all(errors)
    return Indicator(
        level1=spec["level1"], level2=spec["level2"], name=spec.get("name", ""), parts=parts,
        weight=_dec(spec.get("weight", 0)), target=target, actual=actual, applicable=applicable,
        note=spec.get("note", ""), method=method, level=spec.get("level"),
        reported_score=_opt(spec.get("reported_score")), explanation=spec.get("explanation", ""),
        sources=_sources(spec), source=where,
    )
