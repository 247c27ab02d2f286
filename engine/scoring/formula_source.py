"""A checked formula as Python source over local variables, and that source compiled once per process.

engine.scoring.scorer_codegen writes a ruleset's scorer from these pieces: ``expression`` turns a formula's
syntax tree, checked against engine.rules.formulas' allowlist when the ruleset loaded, into source again
checked node by node; its numbers become constants of the generated module's ``Namespace``.
"""
from __future__ import annotations

import ast
from decimal import Decimal

from engine.model import Formula
from engine.rules.formulas import ALLOWED_NODES


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
        if not isinstance(node, ALLOWED_NODES):
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


def _copied(node):
    """A copy of a formula's syntax tree for _Rewrite to change (copy.deepcopy, a few times faster)."""
    if isinstance(node, ast.AST):
        fresh = node.__class__.__new__(node.__class__)
        for name in node._fields:
            setattr(fresh, name, _copied(getattr(node, name, None)))
        for name in node._attributes:
            if hasattr(node, name):
                setattr(fresh, name, getattr(node, name))
        return fresh
    if isinstance(node, list):
        return [_copied(item) for item in node]
    return node  # constants (Decimal, str, bool, None) are never changed in place


def expression(formula: Formula, namespace: Namespace, functions, names) -> str:
    """Python source of a checked formula over the locals ``v_<name>`` of ``names``."""
    if formula.tree is None:
        raise ValueError(f"the formula {formula.text!r} was not parsed")
    variables = {name: f"v_{name}" for name in names if name.isidentifier()}
    body = _Rewrite(namespace, functions, variables).visit(_copied(formula.tree)).body
    return "(" + ast.unparse(ast.fix_missing_locations(body)) + ")"


_CODE: dict = {}  # (source, file name) -> code: the same ruleset loaded again (evalrun serve, a library user) compiles once


def compiled(source: str, filename: str):
    """The source compiled, or the code compiled from the same source before (about 7 ms a ruleset); the
    source names its values, never holds them, so one code serves each namespace it is run in."""
    key = (source, filename)
    code = _CODE.get(key)
    if code is None:
        if len(_CODE) >= 16:
            _CODE.clear()
        code = _CODE[key] = compile(source, filename, "exec")
    return code


def formula_function(formula: Formula, functions, power):
    """One formula alone, compiled as the routes compile it: ``f(*values of sorted(formula.names))``."""
    namespace = Namespace({"_pow": power})
    namespace.values.update({f"_f_{name}": f for name, f in functions.items()})
    names = sorted(formula.names)
    body = expression(formula, namespace, functions, names)
    source = f"def formula({', '.join(f'v_{name}' for name in names)}):\n    return {body}\n"
    exec(compiled(source, "<formula>"), namespace.values)  # noqa: S102 - the tree was checked twice
    return namespace.values["formula"]
