"""A ruleset compiled to Python: one generated function per way a row can be scored.

``generate(ruleset)`` writes the source of a small module, compiles it once
and returns its namespace. It holds

- ``budget(project, tracer)``: the 预算执行率 row, its rate and score
  formulas inlined;
- one *route* per quantitative method and comparison (``>=`` scored by
  ``higher_is_better``, ...): ``route(ind, weight, tracer) -> row``, with the
  comparison fixed in the code, the common case of judging inline (actual
  and target of one kind and unit) and the method's formula, or its decision
  table, inlined over local variables;
- one route per qualitative method (level, point, formula).

Formulas become code only through ``expression``: a formula's syntax tree,
already checked against the allowlist of engine.formulas when the ruleset
loaded, is checked again node by node and rewritten: a name becomes the
local ``v_<name>`` (names are only the few a formula may use), an allowed
function ``_f_<name>``, ``a ** b`` the bounded ``_pow(a, b)``, and every
number a constant of the namespace (``_k0``...), never text in the source.
Labels, texts and numbers of the ruleset are namespace constants too; the
only words of the source are the generator's own.

The same code scores with and without a trace: each route calls its tracer
(engine.trace) only ``if tracer is not None``.
"""
from __future__ import annotations

import ast
import copy
from decimal import Decimal

from .model import Formula, Ruleset

QUANTITATIVE_ORDER = ("weight", "met", "target", "actual")  # the order values are shown in messages
QUALITATIVE_ORDER = ("weight", "met", "point")
BUDGET_ORDER = ("initial", "full_year", "adjusted", "executed", "weight", "rate")
OPERATORS = {">=": ">=", ">": ">", "<=": "<=", "<": "<", "=": "=="}

_ALLOWED = (
    ast.Expression, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.Call, ast.Name, ast.Load,
    ast.Constant, ast.And, ast.Or, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Mod, ast.Pow, ast.UAdd, ast.USub,
    ast.Not, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq,
)


class Namespace:
    """The globals of the generated module: every value the source refers to by name."""

    def __init__(self, base: dict):
        self.values = {"__builtins__": {}, **base}
        self._ids: dict = {}

    def add(self, value, prefix: str = "_k") -> str:
        if isinstance(value, (str, Decimal, bool, int)):
            key = (prefix, type(value), repr(value))  # 1 and 1.0 are equal Decimals with different digits
        else:
            key = (prefix, id(value))
        name = self._ids.get(key)
        if name is None:
            name = self._ids[key] = f"{prefix}{len(self._ids)}"
            self.values[name] = value
        return name


class _Rewrite(ast.NodeTransformer):
    def __init__(self, namespace: Namespace, functions, variables: dict):
        self.namespace, self.functions, self.variables = namespace, functions, variables

    def visit(self, node):
        if not isinstance(node, _ALLOWED):
            raise ValueError(f"{type(node).__name__} is not allowed in a formula")
        return super().visit(node)

    def visit_Constant(self, node: ast.Constant):
        if isinstance(node.value, bool):
            return node
        if not isinstance(node.value, Decimal):
            raise ValueError(f"the constant {node.value!r} is not allowed in a formula")
        return ast.copy_location(ast.Name(self.namespace.add(node.value), ast.Load()), node)

    def visit_Name(self, node: ast.Name):
        local = self.variables.get(node.id)
        if local is None:
            raise ValueError(f"the name {node.id!r} is not one a formula here may use")
        return ast.copy_location(ast.Name(local, ast.Load()), node)

    def visit_Call(self, node: ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in self.functions or node.keywords:
            raise ValueError("only the allowed functions may be called, without keywords")
        args = [self.visit(arg) for arg in node.args]
        return ast.copy_location(ast.Call(ast.Name(f"_f_{node.func.id}", ast.Load()), args, []), node)

    def visit_BinOp(self, node: ast.BinOp):
        self.generic_visit(node)
        if isinstance(node.op, ast.Pow):
            return ast.copy_location(ast.Call(ast.Name("_pow", ast.Load()), [node.left, node.right], []), node)
        return node


def expression(formula: Formula, namespace: Namespace, functions, names) -> str:
    """Python source of a checked formula over the locals ``v_<name>`` of ``names``."""
    if formula.tree is None:
        raise ValueError(f"the formula {formula.text!r} was not parsed")
    variables = {name: f"v_{name}" for name in names if name.isidentifier()}
    body = _Rewrite(namespace, functions, variables).visit(copy.deepcopy(formula.tree)).body
    return "(" + ast.unparse(ast.fix_missing_locations(body)) + ")"


def values(formula: Formula, order) -> str:
    """The tuple of the formula's inputs, in the order messages show them."""
    used = [f"v_{name}" for name in order if name in formula.names]
    return "(" + "".join(f"{v}, " for v in used) + ")"


class _Writer:
    def __init__(self, ruleset: Ruleset, namespace: Namespace, functions):
        self.ruleset, self.ns, self.functions = ruleset, namespace, functions
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
        self.emit(indent, "row = _new(_Scored)")
        self.emit(indent, "_setdict(row, {'level1': ind.level1, 'level2': ind.level2, 'name': ind.name, "
                          "'weight': ind.weight, 'target': ind.target.text, 'actual': ind.actual.text, "
                          "'applicable': True, 'score': kept.quantize(_Q, _MODE), "
                          "'reported_score': ind.reported_score, 'explanation': ind.explanation, 'note': ind.note, "
                          f"'source': ind.source, 'allotted': weight, 'method': {method}, 'met': {met}, "
                          f"'band': {band}, '_origin': (_RULESET, ind)}})")

    # ---------------------------------------------------------------- routes

    def numeric_route(self, name: str, method, comparator: str) -> None:
        m = self.ns.add(method, "_m")
        label = self.ns.add(method.name)
        operator = OPERATORS[comparator]
        cmp = self.ns.add(comparator)
        self.emit(0, f"def {name}(ind, weight, tracer):")
        self.emit(1, "target = ind.target")
        self.emit(1, "actual = ind.actual")
        self.emit(1, "v_target = target.value")
        self.emit(1, "if actual.kind == target.kind and actual.unit == target.unit and actual.comparator is None:")
        self.emit(2, "v_actual = actual.value")
        self.emit(2, f"v_met = v_actual {operator} v_target")
        self.emit(1, "else:")
        self.emit(2, f"v_met, v_actual = _numeric(_WORDS, ind, {cmp})")
        self.emit(1, "v_weight = weight")
        table = method.table
        if table is None:
            self.run_formula(1, "raw", method.formula, "formula", "ind", m, QUANTITATIVE_ORDER)
            self.clamp(1, "weight")
            self.row(1, label, "v_met", "None")
            self.emit(1, "if tracer is not None:")
            f = self.ns.add(method.formula, "_F")
            self.emit(2, f"tracer.numeric(row, ind, {m}, {f}, {cmp}, v_met, v_target, v_actual, raw, None)")
            self.emit(1, "return row")
            return
        self.run_formula(1, "value", table.input, "input", "ind", m, QUANTITATIVE_ORDER)
        for index, table_row in enumerate(table.rows):
            tests = []
            if table_row.low is not None:
                tests.append(f"value >= {self.ns.add(table_row.low)}")
            if table_row.high is not None:
                tests.append(f"value <= {self.ns.add(table_row.high)}")
            self.emit(1, f"{'if' if index == 0 else 'elif'} {' and '.join(tests) or 'True'}:")
            self.emit(2, f"index = {index}")
            self.emit(2, f"used = {self.ns.add(table_row.score, '_F')}")
            self.run_formula(2, "raw", table_row.score, "formula", "ind", m, QUANTITATIVE_ORDER)
        self.emit(1, "else:")
        self.emit(2, f"raise _no_row(ind, {m}, value)")
        self.clamp(1, "weight")
        self.row(1, label, "v_met", "None")
        self.emit(1, "if tracer is not None:")
        self.emit(2, f"tracer.numeric(row, ind, {m}, used, {cmp}, v_met, v_target, v_actual, raw, (index, value))")
        self.emit(1, "return row")

    def level_route(self, name: str, method) -> None:
        m = self.ns.add(method, "_m")
        label = self.ns.add(method.name)
        self.emit(0, f"def {name}(ind, weight, tracer):")
        self.emit(1, f"v_met, level, how, value = _level(_WORDS, {m}, ind)")
        self.emit(1, f"v_point, point_how = _point({m}, level, ind, weight)")
        self.emit(1, "v_weight = weight")
        self.run_formula(1, "raw", method.formula, "formula", "ind", m, QUALITATIVE_ORDER)
        self.clamp(1, "weight")
        self.row(1, label, "v_met", "_band(level)")
        self.emit(1, "if tracer is not None:")
        self.emit(2, f"tracer.level(row, ind, {m}, level, how, value, v_point, point_how, v_met, raw)")
        self.emit(1, "return row")

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
        self.emit(1, "shown = _percent(v_rate)")
        self.emit(1, f"v_weight = {weight}")
        self.run_formula(1, "raw", rule.score, "score", "project", owner, BUDGET_ORDER)
        self.clamp(1, "v_weight")
        self.emit(1, "row = _new(_Scored)")
        self.emit(1, f"_setdict(row, {{'level1': '', 'level2': '', 'name': {name}, 'weight': v_weight, "
                     "'target': '100%', 'actual': shown, 'applicable': True, 'score': kept.quantize(_Q, _MODE), "
                     "'reported_score': None, 'explanation': '', 'note': '', 'source': b.source, "
                     "'allotted': v_weight, 'method': 'budget_execution', 'met': None, 'band': None, "
                     "'_origin': (_RULESET, project)})")
        self.emit(1, "if tracer is not None:")
        self.emit(2, "tracer.budget(row, project, v_rate, raw)")
        self.emit(1, "return v_rate, row")


def generate(ruleset: Ruleset, base: dict, functions, comparators) -> tuple[dict, dict, str]:
    """(namespace with ``budget``, {(method name, comparator or None): route}, the source).

    ``base`` holds the helpers the source calls (engine.evaluate gives them);
    ``comparators`` are the comparisons numeric targets can be scored with.
    """
    namespace = Namespace(base)
    namespace.values.update({f"_f_{name}": f for name, f in functions.items()})
    writer = _Writer(ruleset, namespace, functions)
    writer.budget()
    names: dict = {}
    for method in ruleset.methods.values():
        if method.kind == "qualitative":
            names[(method.name, None)] = f"level_{len(names)}"
            writer.level_route(names[(method.name, None)], method)
        else:
            for comparator in comparators:
                names[(method.name, comparator)] = f"numeric_{len(names)}"
                writer.numeric_route(names[(method.name, comparator)], method, comparator)
        writer.emit(0, "")
    source = "\n".join(writer.lines) + "\n"
    code = compile(source, f"<scorer of {ruleset.id} {ruleset.version}>", "exec")
    exec(code, namespace.values)  # noqa: S102 - defines functions only; every formula was checked twice
    return namespace.values, {key: namespace.values[name] for key, name in names.items()}, source


def formula_function(formula: Formula, functions, power):
    """One formula alone, compiled as the routes compile it: ``f(*values of sorted(formula.names))``."""
    namespace = Namespace({"_pow": power})
    namespace.values.update({f"_f_{name}": f for name, f in functions.items()})
    names = sorted(formula.names)
    body = expression(formula, namespace, functions, names)
    source = f"def formula({', '.join(f'v_{name}' for name in names)}):\n    return {body}\n"
    exec(compile(source, "<formula>", "exec"), namespace.values)  # noqa: S102 - the tree was checked twice
    return namespace.values["formula"]
