"""Scoring formulas: checked and parsed once, when the ruleset loads.

A formula is one Python-like expression over an explicit allowlist of node
types, names and functions. Attribute access, subscripts, dunder names,
imports, strings, lambdas and comprehensions are refused when the ruleset
loads, with the formula's file and line. Numbers are Decimal throughout so
that published scores round exactly.

A checked formula becomes code only inside its ruleset's compiled scorer
(engine.scoring.scorer_codegen), which checks its tree against the same allowlist
again. ``engine.scoring.evaluate.formula_value`` runs one formula alone the same way (for tools and
tests); the tests compare it, and whole compiled rulesets, with simpleeval
on random formulas and data.
"""
from __future__ import annotations

import ast
import math
from decimal import Decimal
from dataclasses import dataclass, field

import engine.scoring.numeric as numeric
from engine.errors import EvalrunError, Source, did_you_mean
from engine.i18n import tr
from engine.scoring.numeric import FUNCTIONS, MAX_POWER

@dataclass(frozen=True)
class Formula:
    """An expression checked and parsed once, when the ruleset is loaded."""

    text: str
    source: Source
    names: frozenset = frozenset()
    tree: ast.AST | None = field(default=None, compare=False, repr=False)

    def __reduce__(self):
        # Rebuilt from the text (checked again), not from a pickled tree.
        return (_restore_formula, (self.text, self.source, tuple(sorted(self.names))))


def _restore_formula(text: str, source: Source, names: tuple) -> "Formula":
    return compile_formula(text, source, names)  # a Formula is only ever made by compile_formula: never empty


MAX_FORMULA_LENGTH = 1000
MAX_NODES = 200

_BINARY = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Mod: "%", ast.Pow: "**",
}
_UNARY = (ast.UAdd, ast.USub, ast.Not)
_COMPARE = (ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq)
ALLOWED_NODES = (  # the allowlist: engine.scoring.scorer_codegen checks every tree against it again
    ast.Expression, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp,
    ast.Call, ast.Name, ast.Load, ast.Constant, ast.And, ast.Or,
) + tuple(_BINARY) + _UNARY + _COMPARE


def _refused(node) -> str:
    """What a refused part of a formula is, in words."""
    kinds = {
        ast.Attribute: lambda: tr("formula.kind.attribute"), ast.Subscript: lambda: tr("formula.kind.subscript"),
        ast.Lambda: lambda: tr("formula.kind.lambda"), ast.NamedExpr: lambda: tr("formula.kind.assignment"),
        ast.JoinedStr: lambda: tr("formula.kind.fstring"), ast.Starred: lambda: tr("formula.kind.starred"),
        ast.List: lambda: tr("formula.kind.list"), ast.Tuple: lambda: tr("formula.kind.tuple"),
        ast.Dict: lambda: tr("formula.kind.dict"), ast.Set: lambda: tr("formula.kind.set"),
    }
    if isinstance(node, (ast.ListComp, ast.GeneratorExp, ast.DictComp, ast.SetComp)):
        return tr("formula.kind.comprehension")
    word = kinds.get(type(node))
    return word() if word else type(node).__name__


def compile_formula(text, source: Source, known_names, what: str | None = None) -> Formula:
    """Check a formula against the allowlist and the names it may use; ``what`` names it in messages."""
    what = what or tr("formula.what")
    if not isinstance(text, str) or not text.strip():
        raise EvalrunError(tr("formula.empty", what=what), source)
    text = text.strip()
    shown = text if len(text) <= 80 else text[:77] + "..."
    if len(text) > MAX_FORMULA_LENGTH:  # which also keeps the parser's nesting shallow: it only ever raises SyntaxError
        raise EvalrunError(tr("formula.too_long", what=what, length=len(text), limit=MAX_FORMULA_LENGTH), source)
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError) as exc:  # ValueError: a NUL byte, on Python 3.10 (SyntaxError from 3.11)
        detail = (getattr(exc, "msg", None) or str(exc) or "invalid syntax").split(" (")[0]
        raise EvalrunError(tr("formula.syntax", what=what, text=shown, detail=detail,
                              column=getattr(exc, "offset", None) or 0), source) from None
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        raise EvalrunError(tr("formula.too_complex", what=what, count=len(nodes), limit=MAX_NODES), source)
    known = set(known_names)
    used: set[str] = set()
    for node in nodes:
        _check_node(node, shown, source, known, used, what, text)
    tree = _DecimalConstants().visit(tree)
    return Formula(text, source, frozenset(used), tree)


def _check_node(node, text, source, known, used, what, written: str = "") -> None:
    """``text``: the formula as messages show it; ``written``: all of it, to quote a part as the user wrote it."""
    if isinstance(node, ast.Name):
        if node.id.startswith("_"):
            raise EvalrunError(tr("formula.underscore", what=what, text=text, name=node.id), source)
        if node.id not in known and node.id not in FUNCTIONS:
            raise EvalrunError(
                tr("formula.unknown_name", what=what, text=text, name=node.id,
                   suggestion=did_you_mean(node.id, sorted(known)), known=", ".join(sorted(known))),
                source,
            )
        if node.id in known:
            used.add(node.id)
        return
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            name = node.func.id if isinstance(node.func, ast.Name) else \
                (ast.get_source_segment(written, node.func) or ast.unparse(node.func))  # as written, on any Python
            raise EvalrunError(
                tr("formula.call_refused", what=what, text=text, name=name, allowed=", ".join(sorted(FUNCTIONS))),
                source,
            )
        if node.keywords:
            raise EvalrunError(tr("formula.keywords", what=what, text=text), source)
        return
    if isinstance(node, ast.Constant):
        if isinstance(node.value, float) and not math.isfinite(node.value):
            raise EvalrunError(tr("formula.number_too_large", what=what, text=text, limit=numeric.MAX_EXPONENT),
                               source)
        if isinstance(node.value, bool) or isinstance(node.value, (int, float)):
            return
        raise EvalrunError(tr("formula.constant", what=what, text=text, value=repr(node.value)), source)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        exponent = node.right.operand if isinstance(node.right, ast.UnaryOp) else node.right
        if not (isinstance(exponent, ast.Constant) and isinstance(exponent.value, (int, float))
                and abs(exponent.value) <= MAX_POWER):
            raise EvalrunError(tr("formula.power", what=what, text=text, limit=MAX_POWER), source)
    if not isinstance(node, ALLOWED_NODES):
        raise EvalrunError(tr("formula.refused", what=what, text=text, kind=_refused(node)), source)


class _DecimalConstants(ast.NodeTransformer):
    """0.8 in a formula means Decimal('0.8'), so it mixes exactly with inputs."""

    def visit_Constant(self, node: ast.Constant):
        if isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return ast.copy_location(ast.Constant(Decimal(repr(node.value))), node)
        return node
