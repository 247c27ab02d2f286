"""A quick yes for valid files: JSON Schemas compiled to plain Python checks.

jsonschema explains what is wrong with a file, but walking its validator
over every project of a big run costs more than everything else together.
``compile_schema`` turns a schema that uses only the keywords below into one
Python function ``valid(data) -> bool`` (generated source, one small
function per subschema). It is used only to say yes: when it says no,
validate.py asks jsonschema, which finds and words the errors. So it must
never accept what jsonschema refuses; where it is unsure (a keyword it does
not know, an enum of numbers, a Decimal where an integer is wanted) it says
no, and jsonschema decides. Tests compare the two on broken files.

The generated code is built only from the schema's structure: keys and
enum values go in as constants of the namespace, never as source text.
"""
from __future__ import annotations

import numbers
import re
from typing import Any, Callable

Check = Callable[[Any], bool]

_ANNOTATIONS = {"$schema", "$id", "$comment", "title", "description", "default", "examples", "$defs", "definitions"}
_OBJECT_KEYS = ("properties", "additionalProperties", "required", "minProperties", "propertyNames")
_ARRAY_KEYS = ("items", "minItems")
_TYPE_TESTS = {
    "object": "isinstance(x, dict)",
    "array": "isinstance(x, list)",
    "string": "isinstance(x, str)",
    "number": "(isinstance(x, Number) and not isinstance(x, bool))",
    "integer": "(isinstance(x, int) and not isinstance(x, bool))",
    "boolean": "isinstance(x, bool)",
    "null": "x is None",
}
_IS_NUMBER = _TYPE_TESTS["number"]
_COMPARE = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}


class Unsupported(Exception):
    """The schema uses something this module does not check; use jsonschema alone."""


class _Compiler:
    def __init__(self, root: dict):
        self.root = root
        self.namespace: dict[str, Any] = {"Number": numbers.Number}
        self.sources: list[str] = []
        self.by_pointer: dict[str, str] = {}
        self.tables: list[dict] = []  # property name -> function name, made functions after exec

    def constant(self, value) -> str:
        name = f"k{len(self.namespace)}"
        self.namespace[name] = value
        return name

    def pointer(self, pointer: str) -> str:
        if pointer not in self.by_pointer:
            name = self.by_pointer[pointer] = f"r{len(self.by_pointer)}"
            node: Any = self.root
            parts = pointer[1:].strip("/").split("/") if pointer not in ("#", "#/") else []
            for part in parts:
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(node, dict) or part not in node:
                    raise Unsupported(f"cannot resolve {pointer}")
                node = node[part]
            self.sources.append(f"def {name}(x):\n    return {self.schema(node)}(x)\n")
        return self.by_pointer[pointer]

    def schema(self, schema: Any) -> str:
        """The name of a generated function checking ``schema``."""
        name = f"s{len(self.sources)}"
        self.sources.append("")  # reserve the slot: subschemas are generated while this one is
        index = len(self.sources) - 1
        lines = [f"def {name}(x):"]
        if schema is True:
            schema = {}
        if not isinstance(schema, dict):
            raise Unsupported(f"schema {schema!r}")
        for key, arg in schema.items():
            if key in _ANNOTATIONS or key in _OBJECT_KEYS or key in _ARRAY_KEYS:
                continue
            if key == "type":
                names = arg if isinstance(arg, list) else [arg]
                if not names or any(n not in _TYPE_TESTS for n in names):
                    raise Unsupported(f"type {arg!r}")
                lines.append(f"    if not ({' or '.join(_TYPE_TESTS[n] for n in names)}): return False")
            elif key == "enum":
                if not isinstance(arg, list) or not all(isinstance(e, str) for e in arg):
                    raise Unsupported("an enum of other things than text")
                lines.append(f"    if not (isinstance(x, str) and x in {self.constant(frozenset(arg))}): return False")
            elif key in _COMPARE:
                if not isinstance(arg, (int, float)) or isinstance(arg, bool):
                    raise Unsupported(f"{key} {arg!r}")
                lines.append(f"    if {_IS_NUMBER} and not (x {_COMPARE[key]} {self.constant(arg)}): return False")
            elif key == "minLength":
                if not isinstance(arg, int) or isinstance(arg, bool):
                    raise Unsupported(f"minLength {arg!r}")
                lines.append(f"    if isinstance(x, str) and len(x) < {self.constant(arg)}: return False")
            elif key == "pattern":
                lines.append(f"    if isinstance(x, str) and {self.constant(re.compile(arg))}.search(x) is None: "
                             "return False")
            elif key == "$ref":
                if not isinstance(arg, str) or not arg.startswith("#"):
                    raise Unsupported(f"$ref {arg!r}")
                lines.append(f"    if not {self.pointer(arg)}(x): return False")
            else:
                raise Unsupported(key)
        if any(k in schema for k in _OBJECT_KEYS):
            lines += self.object_lines(schema)
        if any(k in schema for k in _ARRAY_KEYS):
            lines += self.array_lines(schema)
        lines.append("    return True")
        self.sources[index] = "\n".join(lines) + "\n"
        return name

    def object_lines(self, schema: dict) -> list[str]:
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        if not isinstance(properties, dict) or not isinstance(schema.get("required", []), list):
            raise Unsupported("properties")
        checks = {key: self.schema(sub) for key, sub in properties.items()}
        lines = ["    if isinstance(x, dict):"]
        if schema.get("minProperties", 0):
            lines.append(f"        if len(x) < {self.constant(schema['minProperties'])}: return False")
        for key in schema.get("required", ()):
            lines.append(f"        if {self.constant(key)} not in x: return False")
        self.tables.append(checks)
        table = self.constant(checks)
        names = self.schema(schema["propertyNames"]) if "propertyNames" in schema else None
        lines.append("        for key, value in x.items():")
        if names:
            lines.append(f"            if not {names}(key): return False")
        lines.append(f"            check = {table}.get(key)")
        if extra is False:
            lines.append("            if check is None: return False")
            lines.append("            if not check(value): return False")
        elif extra is True:
            lines.append("            if check is not None and not check(value): return False")
        else:
            other = self.schema(extra)
            lines.append(f"            if not (check or {other})(value): return False")
        return lines

    def array_lines(self, schema: dict) -> list[str]:
        lines = ["    if isinstance(x, list):"]
        if schema.get("minItems", 0):
            lines.append(f"        if len(x) < {self.constant(schema['minItems'])}: return False")
        if "items" in schema:
            item = self.schema(schema["items"])
            lines.append(f"        for value in x:\n            if not {item}(value): return False")
        return lines


def compile_schema(root: dict) -> Check:
    """``valid(data)``: True only if jsonschema finds no error in ``data``."""
    compiler = _Compiler(root)
    entry = compiler.schema(root)
    namespace = compiler.namespace
    exec(compile("\n".join(compiler.sources), "<schema checks>", "exec"), namespace)  # noqa: S102
    for table in compiler.tables:
        table.update({key: namespace[name] for key, name in table.items()})
    return namespace[entry]
