"""Formulas compiled once per ruleset to Python code, for speed.

``formulas.compile_formula`` first checks a formula against the allowlist;
only then is its syntax tree handed here and rewritten into a one-argument
function ``lambda _names: ...``:

- a name ``weight`` becomes ``_names["weight"]``, so the function sees only
  the values the evaluator passes in;
- an allowed function ``min`` becomes ``_f_min``, a power ``a ** b`` becomes
  ``_pow(a, b)`` (the same bounded helper the slow path uses);
- a decimal constant becomes a name ``_c0``, ``_c1``... bound to its Decimal
  (``compile()`` accepts no Decimal constants in a tree).

The function's globals are exactly those helpers and constants with empty
``__builtins__``; names starting with ``_`` are refused in formulas, so a
formula cannot reach them. Any node outside the allowlist is refused here a
second time. The results are those of the simpleeval path
(``formulas.evaluate_reference``), which tests compare on random inputs.
"""
from __future__ import annotations

import ast
import copy
from decimal import Decimal
from typing import Callable, Mapping

NAMES_ARGUMENT = "_names"


class _Rewrite(ast.NodeTransformer):
    def __init__(self, functions: Mapping[str, Callable], allowed: tuple):
        self.functions = functions
        self.allowed = allowed
        self.constants: dict[str, Decimal] = {}

    def visit(self, node):
        if not isinstance(node, self.allowed):
            raise ValueError(f"{type(node).__name__} is not allowed in a compiled formula")
        return super().visit(node)

    def visit_Constant(self, node: ast.Constant):
        value = node.value
        if isinstance(value, bool):
            return node
        if not isinstance(value, Decimal):
            raise ValueError(f"the constant {value!r} is not allowed in a compiled formula")
        name = f"_c{len(self.constants)}"
        self.constants[name] = value
        return ast.copy_location(ast.Name(name, ast.Load()), node)

    def visit_Name(self, node: ast.Name):
        if node.id.startswith("_"):
            raise ValueError(f"the name {node.id} is not allowed in a compiled formula")
        if node.id in self.functions:
            return ast.copy_location(ast.Name(f"_f_{node.id}", ast.Load()), node)
        lookup = ast.Subscript(ast.Name(NAMES_ARGUMENT, ast.Load()), ast.Constant(node.id), ast.Load())
        return ast.copy_location(lookup, node)

    def visit_Call(self, node: ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in self.functions or node.keywords:
            raise ValueError("only the allowed functions may be called, without keywords")
        return self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp):
        self.generic_visit(node)
        if isinstance(node.op, ast.Pow):
            call = ast.Call(ast.Name("_pow", ast.Load()), [node.left, node.right], [])
            return ast.copy_location(call, node)
        return node


def compile_tree(tree: ast.Expression, text: str, functions: Mapping[str, Callable],
                 power: Callable, allowed: tuple) -> Callable[[Mapping[str, object]], object]:
    """A checked formula's tree (Decimal constants) -> ``f(names) -> value``."""
    rewrite = _Rewrite(functions, allowed)
    body = rewrite.visit(copy.deepcopy(tree)).body
    function = ast.Lambda(
        args=ast.arguments(posonlyargs=[], args=[ast.arg(NAMES_ARGUMENT)], vararg=None, kwonlyargs=[],
                           kw_defaults=[], kwarg=None, defaults=[]),
        body=body,
    )
    module = ast.fix_missing_locations(ast.Expression(function))
    code = compile(module, f"<formula {text[:60]}>", "eval")
    env: dict[str, object] = {"__builtins__": {}, "_pow": power}
    env.update({f"_f_{name}": f for name, f in functions.items()})
    env.update(rewrite.constants)
    return eval(code, env)  # noqa: S307 - only defines the lambda; its tree was checked twice
