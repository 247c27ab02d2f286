"""validate: JSON Schema checks with file:line messages a non-programmer can act on.

Each schema's validator is built once per process. Every error in a file is
reported, sorted by line; unknown keys get a did-you-mean. A valid file is
recognised by the schema compiled to plain checks (engine.files.fastschema);
jsonschema looks only at files those checks do not accept, and is imported
only then (it takes longer to import than a valid file takes to check).
"""
from __future__ import annotations

import json
import re
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from engine.errors import EvalrunError, Source, did_you_mean, raise_all
from engine.files.fastschema import Unsupported, compile_schema
from engine.files.located import LDict, source_of
from engine.files.resources import data_path

if TYPE_CHECKING:
    import jsonschema
    from jsonschema import Draft202012Validator

_TYPE_WORDS = {
    "object": "a mapping (key: value lines)", "array": "a list (lines starting with `- `)",
    "string": "text", "number": "a number", "integer": "a whole number", "boolean": "true or false",
    "null": "nothing",
}


@lru_cache(maxsize=None)
def schema(name: str) -> dict:
    """The JSON Schema ``schemas/<name>.schema.json``, as data."""
    return json.loads(data_path("schemas", f"{name}.schema.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def validator(name: str) -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(schema(name))
    return Draft202012Validator(schema(name))


@lru_cache(maxsize=None)
def quick_check(name: str):
    """``valid(data) -> bool`` for the schema, or None if it cannot be compiled."""
    try:
        return compile_schema(schema(name))
    except Unsupported:
        return None


def schema_errors(data: Any, schema_name: str, filename: str) -> list[EvalrunError]:
    """Every schema violation in ``data`` as an EvalrunError with file and line."""
    if not isinstance(data, dict):
        return [EvalrunError(
            f"expected a YAML mapping (key: value lines) at the top of the file, got {_describe(data)}",
            getattr(data, "source", Source(filename, 1)),
        )]
    quick = quick_check(schema_name)
    if quick is not None and quick(data):
        return []
    errors = []
    for error in validator(schema_name).iter_errors(data):
        errors.extend(_translate(error, data, filename))
    return _without_echoes(errors)


def _without_echoes(errors: list[EvalrunError]) -> list[EvalrunError]:
    """Drop 'missing `budget`' when 'unknown key `budjet` (did you mean `budget`?)' says it already."""
    suggested = {(e.source.path, m) for e in errors for m in re.findall(r"did you mean `([^`]+)`\?", e.message)
                 if e.message.startswith("unknown key")}
    return [e for e in errors if not any(
        e.message.endswith(f"is missing the required key `{name}`") and path == e.source.path
        for path, name in suggested)]


def check_schema(data: Any, schema_name: str, filename: str) -> None:
    raise_all(schema_errors(data, schema_name, filename))


def _path_text(path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "the file"


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, (int, Decimal)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text `{value}`" if value else "empty text"
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _translate(error: jsonschema.ValidationError, root: Any, filename: str) -> list[EvalrunError]:
    path = list(error.absolute_path)
    found = source_of(root, path, Source(filename, 1))
    where = Source(found.file, found.line, found.column, tuple(path))  # the path tells resolve what to skip
    field = _path_text(path)
    instance = error.instance
    kind = error.validator
    schema = error.schema if isinstance(error.schema, dict) else {}

    if kind == "additionalProperties" and isinstance(instance, dict):
        allowed = sorted(schema.get("properties", {}))
        extras = [k for k in instance if k not in allowed]
        missing = [k for k in schema.get("required", ()) if k not in instance]
        results = []
        for key in extras:
            key_where = instance.key_source(key) if isinstance(instance, LDict) else where
            # `lable` is `label` when label is missing, though `table` is as close
            suggestion = did_you_mean(key, missing) or did_you_mean(key, allowed)
            results.append(EvalrunError(
                f"unknown key `{key}` in {field}{suggestion}; "
                f"expected one of: {', '.join(allowed)}{_split_number_hint(key)}",
                Source(key_where.file, key_where.line, key_where.column, tuple(path)),
            ))
        return results
    if kind == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        key = missing[0] if missing else error.message
        return [EvalrunError(f"{field} is missing the required key `{key}`",
                             Source(where.file, where.line, where.column, tuple(path)))]
    if kind == "type":
        wanted = error.validator_value
        wanted_list = wanted if isinstance(wanted, list) else [wanted]
        words = " or ".join(_TYPE_WORDS.get(w, w) for w in wanted_list)
        hint = ""
        if "number" in wanted_list or "integer" in wanted_list:
            hint = _number_hint(instance, path)
        if isinstance(instance, bool) and "string" in wanted_list:
            hint = "; YAML reads yes, no, on, off, true and false as true/false: put the text in quotes"
        return [EvalrunError(f"{field} should be {words}, got {_describe(instance)}{hint}", where)]
    if kind == "enum":
        options = [str(o) for o in error.validator_value]
        hint = did_you_mean(str(instance), options)
        if isinstance(instance, bool):
            meant = [o for o in options if o in (("off", "no", "false") if not instance else ("on", "yes", "true"))]
            hint = (f"; YAML reads yes, no, on and off as true/false: write `\"{meant[0]}\"` in quotes" if meant else
                    "; YAML reads yes, no, on and off as true/false: put the text in quotes")
            return [EvalrunError(f"{field} is {_describe(instance)}{hint}; expected one of: {', '.join(options)}", where)]
        return [EvalrunError(
            f"{field} is {_describe(instance)}{hint}; expected one of: {', '.join(options)}",
            where,
        )]
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        bound = {"minimum": "at least", "maximum": "at most",
                 "exclusiveMinimum": "more than", "exclusiveMaximum": "less than"}[kind]
        return [EvalrunError(f"{field} must be {bound} {error.validator_value}, got {instance}", where)]
    if kind in ("minLength", "minItems", "minProperties"):
        return [EvalrunError(f"{field} must not be empty", where)]
    if kind == "pattern" or (kind == "propertyNames"):
        return [EvalrunError(f"{field}: {_describe(instance)} is not allowed here ({error.message})", where)]
    return [EvalrunError(f"{field}: {error.message}", where)]


def _split_number_hint(key: str) -> str:
    """`{full_year: 1,000}` reads as full_year 1 and a key 000 (YAML reads it as 0)."""
    if re.fullmatch(r"\d+", key):
        return ("; a number written with a thousands separator (1,000) inside `{ }` is read as two "
                "entries: write 1000")
    return ""


_POINTS = {"weight", "reported_score", "reported_total", "points", "weight_range", "stated_weights", "grades"}


def _number_hint(value: Any, path=()) -> str:
    if not isinstance(value, str):
        return ""
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?", value.strip()):
        return "; write numbers without thousands separators (1000, not 1,000)"
    if re.search(r"[０-９．]", value):
        return "; write the number with ASCII digits (0-9), not full-width ones"
    # a unit such as 分, 万元 or %: not a letter (`9O` is a typo of 90) nor a Chinese numeral (`6五`)
    written = re.fullmatch(r"([+-]?\d+(?:\.\d+)?)\s*([^\sA-Za-z\d.〇零一二三四五六七八九十两].*)", value.strip())
    if written:
        number = written.group(1)
        names = {str(p) for p in path}
        if path and (path[0] == "budget" or path[-1] == "amount"):
            return (f"; write the number alone (`{number}`): amounts take the unit given once in budget.unit "
                    "(元, 万元 or 亿元)")
        if names & _POINTS:
            return f"; weights and scores are plain numbers of points (分), without a unit: write `{number}`"
        return f"; write the plain number `{number}`, without a unit"
    return ""
