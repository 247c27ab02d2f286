"""A quick yes for valid files: JSON Schemas compiled to plain Python checks.

jsonschema explains what is wrong with a file, but walking its validator
over every project of a big run costs more than everything else together.
``compile_schema`` turns a schema that uses only the keywords below into one
function ``valid(data) -> bool``. It is used only to say yes: when it says
no, validate.py asks jsonschema, which finds and words the errors. So it
must never accept what jsonschema refuses; where it is unsure (a keyword it
does not know, an enum of numbers, a Decimal where an integer is wanted) it
says no, and jsonschema decides. Tests compare the two on broken files.
"""
from __future__ import annotations

import numbers
import re
from typing import Any, Callable

Check = Callable[[Any], bool]

_ANNOTATIONS = {"$schema", "$id", "$comment", "title", "description", "default", "examples", "$defs", "definitions"}
_TYPES: dict[str, Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "number": lambda v: isinstance(v, numbers.Number) and not isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}
_is_number = _TYPES["number"]


class Unsupported(Exception):
    """The schema uses something this module does not check; use jsonschema alone."""


def compile_schema(root: dict) -> Check:
    """``valid(data)``: True only if jsonschema finds no error in ``data``."""
    compiled: dict[str, Check] = {}

    def by_pointer(pointer: str) -> Check:
        if pointer not in compiled:
            compiled[pointer] = lambda value: compiled[pointer + "#"](value)  # recursion, resolved later
            node: Any = root
            for part in pointer.lstrip("#").strip("/").split("/") if pointer not in ("#", "") else ():
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(node, dict) or part not in node:
                    raise Unsupported(f"cannot resolve {pointer}")
                node = node[part]
            compiled[pointer + "#"] = build(node)
        return compiled[pointer]

    def build(schema: Any) -> Check:
        if schema is True:
            return lambda value: True
        if not isinstance(schema, dict):
            raise Unsupported(f"schema {schema!r}")
        checks: list[Check] = []
        for key, arg in schema.items():
            if key in _ANNOTATIONS or key in ("properties", "additionalProperties", "items", "required",
                                              "minItems", "minProperties", "propertyNames"):
                continue
            if key == "type":
                names = arg if isinstance(arg, list) else [arg]
                if any(n not in _TYPES for n in names):
                    raise Unsupported(f"type {arg!r}")
                tests = tuple(_TYPES[n] for n in names)
                checks.append(lambda v, tests=tests: any(t(v) for t in tests))
            elif key == "enum":
                if not all(isinstance(e, str) for e in arg):
                    raise Unsupported("an enum of other things than text")
                allowed = frozenset(arg)
                checks.append(lambda v, allowed=allowed: isinstance(v, str) and v in allowed)
            elif key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
                if not _is_number(arg):
                    raise Unsupported(f"{key} {arg!r}")
                compare = {"minimum": lambda v, a: v >= a, "maximum": lambda v, a: v <= a,
                           "exclusiveMinimum": lambda v, a: v > a, "exclusiveMaximum": lambda v, a: v < a}[key]
                checks.append(lambda v, a=arg, c=compare: not _is_number(v) or c(v, a))
            elif key == "minLength":
                checks.append(lambda v, n=arg: not isinstance(v, str) or len(v) >= n)
            elif key == "pattern":
                regex = re.compile(arg)
                checks.append(lambda v, r=regex: not isinstance(v, str) or r.search(v) is not None)
            elif key == "$ref":
                if not isinstance(arg, str) or not arg.startswith("#"):
                    raise Unsupported(f"$ref {arg!r}")
                checks.append(by_pointer(arg))
            else:
                raise Unsupported(key)
        object_check = _object(schema, build)
        if object_check:
            checks.append(object_check)
        array_check = _array(schema, build)
        if array_check:
            checks.append(array_check)
        if not checks:
            return lambda value: True
        if len(checks) == 1:
            return checks[0]
        checks_tuple = tuple(checks)
        return lambda value: all(check(value) for check in checks_tuple)

    return build(root)


def _object(schema: dict, build) -> Check | None:
    keys = ("properties", "additionalProperties", "required", "minProperties", "propertyNames")
    if not any(k in schema for k in keys):
        return None
    properties = {name: build(sub) for name, sub in schema.get("properties", {}).items()}
    extra = schema.get("additionalProperties", True)
    extra_check = None if extra is True else (False if extra is False else build(extra))
    required = tuple(schema.get("required", ()))
    minimum = schema.get("minProperties", 0)
    names_check = build(schema["propertyNames"]) if "propertyNames" in schema else None

    def check(value) -> bool:
        if not isinstance(value, dict):
            return True
        if len(value) < minimum:
            return False
        for name in required:
            if name not in value:
                return False
        for name, item in value.items():
            if names_check is not None and not names_check(name):
                return False
            sub = properties.get(name)
            if sub is not None:
                if not sub(item):
                    return False
            elif extra_check is False:
                return False
            elif extra_check is not None and not extra_check(item):
                return False
        return True

    return check


def _array(schema: dict, build) -> Check | None:
    if "items" not in schema and "minItems" not in schema:
        return None
    items = build(schema["items"]) if "items" in schema else None
    minimum = schema.get("minItems", 0)

    def check(value) -> bool:
        if not isinstance(value, list):
            return True
        if len(value) < minimum:
            return False
        return items is None or all(items(item) for item in value)

    return check
