"""A ruleset compiled to Python: one generated function per way a row can be scored.

``generate(ruleset)`` writes the source of a small module, compiles it once and returns its namespace:

- ``budget(project, tracer)``: the 预算执行率 row, its rate and score formulas inlined;
- one *route* per quantitative method and comparison (``>=`` scored by ``higher_is_better``, ...):
  ``route(ind, weight, tracer) -> row``, with the comparison fixed in the code, the common case of
  judging inline (actual and target of one kind and unit) and the method's formula, or its decision
  table, inlined over local variables;
- one route per qualitative method (level, point, formula), and per judged method (专家评分).

Formulas become code only through ``expression`` (engine.scoring.formula_source): a formula's syntax tree, already checked
against the allowlist of engine.rules.formulas when the ruleset loaded, is checked against the
same allowlist again node by node and rewritten: a name becomes the local ``v_<name>`` (names
are only the few a formula may use), an allowed function ``_f_<name>``, ``a ** b`` the bounded
``_pow(a, b)``, and every number a constant of the namespace (``_k0``...), never text in the
source. Labels, texts and numbers of the ruleset are namespace constants too; the only words of
the source are the generator's own.

The same code scores with and without a trace: each route calls its tracer (engine.scoring.trace)
only ``if tracer is not None``.
"""
from __future__ import annotations

from engine.model import Formula, Ruleset
from engine.scoring.formula_source import Namespace, compiled, expression

QUANTITATIVE_ORDER = ("weight", "met", "target", "actual")  # the order values are shown in messages
QUALITATIVE_ORDER = ("weight", "met", "point")
JUDGED_ORDER = ("weight", "score")  # a method of kind judged: the score an evaluator assigned (专家评分)
BUDGET_ORDER = ("initial", "full_year", "adjusted", "executed", "weight", "rate")
OPERATORS = {">=": ">=", ">": ">", "<=": "<=", "<": "<", "=": "=="}


def values(formula: Formula, order) -> str:
    """The tuple of the formula's inputs, in the order messages show them."""
    used = [f"v_{name}" for name in order if name in formula.names]
    return "(" + "".join(f"{v}, " for v in used) + ")"


class _Writer:
    def __init__(self, ruleset: Ruleset, namespace: Namespace, functions):
        self.ruleset, self.ns, self.functions = ruleset, namespace, functions
        self.words = namespace.values["_WORDS"]
        self.lines: list[str] = []

    def emit(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)

    def run_formula(self, indent: int, target: str, formula: Formula, role: str, subject: str, owner: str,
                    order) -> None:
        """target = formula, told to the tracer first, its result a Decimal."""
        f = self.ns.add(formula, "_F")
        self.emit(indent, "if tracer is not None:")
        self.emit(indent + 1, f"tracer.formula({f}, {role!r}, {subject}, {owner}, {values(formula, order)})")
        self.emit(indent, f"{target} = {expression(formula, self.ns, self.functions, order)}")
        self.emit(indent, f"if {target}.__class__ is not _Decimal:")
        self.emit(indent + 1, f"{target} = _number({target}, {f}, {role!r}, {subject}, {owner})")

    def clamp(self, indent: int, limit: str) -> None:
        self.emit(indent, "if raw < _ZERO:")
        self.emit(indent + 1, "kept = _ZERO")
        self.emit(indent, f"elif raw > {limit}:")
        self.emit(indent + 1, f"kept = {limit}")
        self.emit(indent, "else:")
        self.emit(indent + 1, "kept = raw")

    def row(self, indent: int, method: str, met: str, band: str) -> None:
        """``row`` and its ``score``: what scoring decided; the indicator's own fields are read from it
        when first used (engine.scoring.trace.Scored)."""
        self.emit(indent, "row = _new(_Scored)")
        self.emit(indent, "fields = row.__dict__")
        self.emit(indent, "fields['applicable'] = True")
        self.emit(indent, "fields['score'] = score = kept.quantize(_Q, _MODE)")
        self.emit(indent, "fields['allotted'] = weight")
        self.emit(indent, f"fields['method'] = {method}")
        self.emit(indent, f"fields['met'] = {met}")
        self.emit(indent, f"fields['band'] = {band}")
        self.emit(indent, "fields['_subject'] = ind")
        self.emit(indent, "fields['_ruleset'] = _RULESET")

    # ---------------------------------------------------------------- routes: ind, weight, tracer -> row, score

    def numeric_route(self, i: int, method, comparator: str) -> None:
        m = self.ns.add(method, "_m")
        label = self.ns.add(method.name)
        operator = OPERATORS[comparator]
        cmp = self.ns.add(comparator)
        self.emit(i, "target = ind.target")
        self.emit(i, "actual = ind.actual")
        self.emit(i, "v_target = target.value")
        self.emit(i, "if actual.comparator is None and actual.kind == target.kind:")
        self.emit(i + 1, "v_actual = actual.value")
        self.emit(i + 1, "if actual.unit != target.unit and actual.unit and target.unit:")
        self.emit(i + 2, "v_actual = _in_target_terms(ind)")
        self.emit(i + 1, f"v_met = v_actual {operator} v_target")
        self.emit(i, "else:")
        self.emit(i + 1, f"v_met, v_actual = _numeric(_WORDS, ind, {cmp})")
        self.emit(i, "v_weight = weight")
        table = method.table
        if table is None:
            self.run_formula(i, "raw", method.formula, "formula", "ind", m, QUANTITATIVE_ORDER)
            self.clamp(i, "weight")
            self.row(i, label, "v_met", "None")
            self.emit(i, "if tracer is not None:")
            f = self.ns.add(method.formula, "_F")
            self.emit(i + 1, f"tracer.numeric(row, ind, {m}, {f}, {cmp}, v_met, v_target, v_actual, raw, None)")
            return
        self.run_formula(i, "value", table.input, "input", "ind", m, QUANTITATIVE_ORDER)
        for index, table_row in enumerate(table.rows):
            tests = []
            if table_row.low is not None:
                tests.append(f"value >= {self.ns.add(table_row.low)}")
            if table_row.high is not None:
                tests.append(f"value <= {self.ns.add(table_row.high)}")
            self.emit(i, f"{'if' if index == 0 else 'elif'} {' and '.join(tests) or 'True'}:")
            self.emit(i + 1, f"index = {index}")
            self.emit(i + 1, f"used = {self.ns.add(table_row.score, '_F')}")
            self.run_formula(i + 1, "raw", table_row.score, "formula", "ind", m, QUANTITATIVE_ORDER)
        self.emit(i, "else:")
        self.emit(i + 1, f"raise _no_row(ind, {m}, value)")
        self.clamp(i, "weight")
        self.row(i, label, "v_met", "None")
        self.emit(i, "if tracer is not None:")
        self.emit(i + 1, f"tracer.numeric(row, ind, {m}, used, {cmp}, v_met, v_target, v_actual, raw, (index, value))")

    def level_route(self, i: int, method) -> None:
        m = self.ns.add(method, "_m")
        label = self.ns.add(method.name)
        words = self.ns.add(self.words.by_word[method.name], "_words")
        self.emit(i, "found = None")
        self.emit(i, "if ind.level is None and ind.target.kind == 'qualitative':")
        self.emit(i + 1, "text = ind.actual.text")
        self.emit(i + 1, "flat = _FLAT_get(text)")
        self.emit(i + 1, "if flat is None:")
        self.emit(i + 2, "flat = _WORDS.flat(text)")
        self.emit(i + 1, f"found = {words}.get(flat)")
        self.emit(i, "if found is None:")
        self.emit(i + 1, f"v_met, level, how, value = _level(_WORDS, {m}, ind)")
        self.emit(i, "else:")
        self.emit(i + 1, "v_met, level, how = found")
        self.emit(i + 1, "value = None")
        self.emit(i, f"v_point, point_how = _point({m}, level, ind, weight)")
        self.emit(i, "v_weight = weight")
        self.run_formula(i, "raw", method.formula, "formula", "ind", m, QUALITATIVE_ORDER)
        self.clamp(i, "weight")
        self.row(i, label, "v_met", "_BANDS[_id(level)]")
        self.emit(i, "if tracer is not None:")
        self.emit(i + 1, f"tracer.level(row, ind, {m}, level, how, value, v_point, point_how, v_met, raw)")

    def judged_route(self, i: int, method) -> None:
        m, label = self.ns.add(method, "_m"), self.ns.add(method.name)
        self.emit(i, "v_weight, v_score = weight, ind.judged")
        self.run_formula(i, "raw", method.formula, "formula", "ind", m, JUDGED_ORDER)
        self.clamp(i, "weight")
        self.row(i, label, "None", "None")
        self.emit(i, "if tracer is not None:")
        self.emit(i + 1, f"tracer.judged(row, ind, {m}, raw)")

    def route(self, i: int, route) -> None:
        method, comparator = route
        if method.kind == "judged":
            self.judged_route(i, method)
        elif method.kind == "qualitative":
            self.level_route(i, method)
        else:
            self.numeric_route(i, method, comparator)

    # ---------------------------------------------------------------- the 预算执行率 row

    def budget(self) -> None:
        rule = self.ruleset.budget
        owner = self.ns.add(rule, "_rule")
        weight = self.ns.add(rule.weight)
        name = self.ns.add(rule.name)
        self.emit(0, "def budget(project, tracer):")
        self.emit(1, "b = project.budget")
        self.emit(1, "v_initial = b.initial")
        self.emit(1, "v_full_year = b.full_year")
        self.emit(1, "v_executed = b.executed")
        self.emit(1, "v_adjusted = b.adjusted")
        self.emit(1, "if v_adjusted is None:")
        self.emit(2, "v_adjusted = v_full_year")
        self.run_formula(1, "v_rate", rule.rate, "rate", "project", owner, BUDGET_ORDER)
        self.emit(1, "if v_rate.adjusted() > _RATE_DIGITS:")
        self.emit(2, "_percent(v_rate)  # a rate too large to show as a percentage is an error now")
        self.emit(1, f"v_weight = {weight}")
        self.run_formula(1, "raw", rule.score, "score", "project", owner, BUDGET_ORDER)
        self.clamp(1, "v_weight")
        self.emit(1, "row = _new(_BudgetScored)")
        self.emit(1, "fields = row.__dict__")
        self.emit(1, f"fields['name'] = {name}")
        self.emit(1, "fields['weight'] = fields['allotted'] = v_weight")
        self.emit(1, "fields['score'] = kept.quantize(_Q, _MODE)")
        self.emit(1, "fields['source'] = b.source")
        self.emit(1, "fields['_rate'] = v_rate")
        self.emit(1, "fields['_subject'] = project")
        self.emit(1, "fields['_ruleset'] = _RULESET")
        self.emit(1, "if tracer is not None:")
        self.emit(2, "tracer.budget(row, project, v_rate, raw)")
        self.emit(1, "return v_rate, row")

    # ---------------------------------------------------------------- a whole project

    def project(self, routes: list) -> None:
        """rate, budget row, rows, groups, total, max total, grade; the routes inlined in the loop."""
        ruleset = self.ruleset
        groups = [(f"s{k}", self.ns.add(group.name), group) for k, group in enumerate(ruleset.groups)]
        self.emit(0, "def score_project(project, tracer):")
        self.emit(1, "rate, budget_row = budget(project, tracer)")
        self.emit(1, "indicators = project.indicators")
        if ruleset.not_applicable == "redistribute":
            self.emit(1, "weights = _allotted(_RULESET, indicators)")
        for local, _, _ in groups:
            self.emit(1, f"{local} = _ZERO")
        self.emit(1, "possible = _ZERO")
        self.emit(1, "rows = []")
        self.emit(1, "append = rows.append")
        self.emit(1, "for ind in indicators:")
        self.emit(2, "if not ind.applicable:")
        self.emit(3, "row = _new(_NotApplicable)")
        self.emit(3, "row.__dict__['_subject'] = ind")
        self.emit(3, "append(row)")
        self.emit(3, "continue")
        self.emit(2, "weight = weights[_id(ind)]" if ruleset.not_applicable == "redistribute" else "weight = ind.weight")
        self.emit(2, "target = ind.target")
        self.emit(2, "r = _INDEX_get((ind.method, target.kind, target.comparator))")
        self.emit(2, "if r is None:")
        self.emit(3, "r = _index_for(ind)")
        self.emit(2, "try:")
        for index, route in enumerate(routes):
            self.emit(3, f"{'if' if index == 0 else 'elif'} r == {index}:")
            self.route(4, route)
        self.emit(3, "else:")
        self.emit(4, "_refuse(ind, weight, tracer)")
        self.emit(2, "except _FAILURES as exc:")
        self.emit(3, "raise _failure(exc, r, ind, weight) from None")
        self.emit(2, "possible += weight")
        self.emit(2, "level1 = ind.level1")
        for k, (local, name, _) in enumerate(groups):
            self.emit(2, f"{'if' if k == 0 else 'elif'} level1 == {name}:")
            self.emit(3, f"{local} += score")
        self.emit(2, "append(row)")
        self.emit(1, "earned = _ZERO")
        self.emit(1, "stated = project.stated_weights")
        for local, name, group in groups:
            weight = self.ns.add(group.weight) if group.weight is not None else f"_range_weight(indicators, {name})"
            # A group never scores above its weight, nor above the weight the table states for it.
            if group.weight is not None:
                self.emit(1, f"if {local} > {weight}:")
                self.emit(2, f"{local} = {weight}")
            self.emit(1, f"if stated and {name} in stated and {local} > stated[{name}]:")
            self.emit(2, f"{local} = stated[{name}]")
            self.emit(1, f"earned += {local}")
            self.emit(1, "group = _new(_GroupScore)")
            self.emit(1, "fields = group.__dict__")
            self.emit(1, f"fields['name'] = {name}")
            self.emit(1, f"fields['weight'] = {weight}")
            self.emit(1, f"fields['score'] = {local}")
            self.emit(1, f"{local} = group")
        self.emit(1, "try:")
        self.emit(2, "earned = budget_row.score + earned")
        self.emit(2, "possible = budget_row.weight + possible")
        if ruleset.not_applicable == "rescale":
            self.emit(2, "if possible:")
            self.emit(3, "base = earned * _HUNDRED / possible")
            self.emit(3, "max_total = _HUNDRED")
            self.emit(2, "else:")
            self.emit(3, "base = earned")
            self.emit(3, "max_total = possible")
        else:
            self.emit(2, "base = earned")
            self.emit(2, "max_total = possible")
        self.emit(2, "cap = project.max_points  # the total never scores above the table's stated 总分")
        self.emit(2, "if max_total > cap:")
        self.emit(3, "max_total = cap")
        self.emit(2, "if base > cap:")
        self.emit(3, "base = cap")
        self.emit(2, "if project.deductions:  # deductions never take a total below 0")
        self.emit(3, "base = _deducted(base, project.deductions)")
        self.emit(2, "total = base.quantize(_Q, _MODE)")
        self.emit(1, "except _FAILURES as exc:")
        self.emit(2, "raise _total_failure(exc, project) from None")
        for k, band in enumerate(ruleset.grades):
            self.emit(1, f"{'if' if k == 0 else 'elif'} total >= {self.ns.add(band.minimum)}:")
            self.emit(2, f"grade = {self.ns.add(band.grade)}")
        self.emit(1, "else:")
        self.emit(2, f"grade = {self.ns.add(ruleset.grades[-1].grade)}")
        names = "".join(f"{local}, " for local, _, _ in groups)
        self.emit(1, f"return rate, budget_row, _tuple(rows), ({names}), total, max_total, grade")


def generate(ruleset: Ruleset, base: dict, functions, comparators) -> tuple[dict, list, str]:
    """(the namespace, with ``budget`` and ``score_project``; the routes; the source).

    A route is (method, comparison or None); ``namespace["routes"][i]`` scores
    one row by route i, as ``score_project`` does inline. ``base`` holds the
    helpers the source calls (engine.scoring.evaluate gives them); ``comparators``
    are the comparisons numeric targets can be scored with, the most common first.
    """
    namespace = Namespace(base)
    namespace.values.update({f"_f_{name}": f for name, f in functions.items()})
    namespace.values["_BANDS"] = {id(level): base["_band"](level)
                                  for method in ruleset.methods.values() for level in method.levels}
    routes = []
    for method in ruleset.methods.values():
        routes += [(method, None)] if method.kind in ("qualitative", "judged") else [(method, c) for c in comparators]
    writer = _Writer(ruleset, namespace, functions)
    writer.budget()
    for index, route in enumerate(routes):
        writer.emit(0, "")
        writer.emit(0, f"def route_{index}(ind, weight, tracer):")
        writer.route(1, route)
        writer.emit(1, "return row")
    writer.emit(0, "")
    writer.emit(0, f"routes = ({''.join(f'route_{i}, ' for i in range(len(routes)))})")
    writer.emit(0, "")
    writer.project(routes)
    source = "\n".join(writer.lines) + "\n"
    code = compiled(source, f"<scorer of {ruleset.id} {ruleset.version}>")
    exec(code, namespace.values)  # noqa: S102 - defines functions only; every formula was checked twice
    return namespace.values, routes, source
