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

from engine.errors import EvalrunError, Source, closest, did_you_mean, raise_all
from engine.files.fastschema import Unsupported, compile_schema
from engine.files.located import LDict, source_of
from engine.files.resources import data_path
from engine.i18n import tr

if TYPE_CHECKING:
    import jsonschema
    from jsonschema import Draft202012Validator

def _type_word(name: str) -> str:
    words = {"object": tr("schema.type.object"), "array": tr("schema.type.array"), "string": tr("schema.type.string"),
             "number": tr("schema.type.number"), "integer": tr("schema.type.integer"),
             "boolean": tr("schema.type.boolean"), "null": tr("schema.type.null")}
    return words.get(name, name)


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
            tr("schema.top_not_mapping", got=_describe(data)),
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
    suggested = {(e.source.path, getattr(e, "suggested")) for e in errors if getattr(e, "suggested", None)}
    return [e for e in errors if (e.source.path, getattr(e, "missing", None)) not in suggested]


def check_schema(data: Any, schema_name: str, filename: str) -> None:
    raise_all(schema_errors(data, schema_name, filename))


def _path_text(path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or tr("schema.the_file")


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return tr("value.bool", value=str(value).lower())
    if isinstance(value, (int, Decimal)):
        return tr("value.number", value=value)
    if isinstance(value, str):
        return tr("value.text", value=value) if value else tr("value.empty_text")
    if value is None:
        return tr("value.nothing")
    if isinstance(value, dict):
        return tr("value.mapping")
    if isinstance(value, list):
        return tr("value.list")
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
            meant = closest(key, missing) or closest(key, allowed)
            suggestion = tr("errors.did_you_mean", suggestion=meant) if meant else ""
            words = dict(key=key, suggestion=suggestion, allowed=", ".join(allowed), hint=_split_number_hint(key))
            unknown = EvalrunError(
                tr("schema.unknown_key", field=field, **words) if path else tr("schema.unknown_top_key", **words),
                Source(key_where.file, key_where.line, key_where.column, tuple(path)),
            )
            unknown.suggested = meant  # a `missing` error for it says nothing more
            results.append(unknown)
        return results
    if kind == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        key = missing[0] if missing else error.message
        missing_error = EvalrunError(tr("schema.missing_key", field=field, key=key) if path else
                                     tr("schema.missing_top_key", key=key),
                                     Source(where.file, where.line, where.column, tuple(path)))
        missing_error.missing = key
        return [missing_error]
    if kind == "type":
        wanted = error.validator_value
        wanted_list = wanted if isinstance(wanted, list) else [wanted]
        words = tr("schema.or").join(_type_word(w) for w in wanted_list)
        hint = ""
        if "number" in wanted_list or "integer" in wanted_list:
            hint = _number_hint(instance, path)
        if isinstance(instance, bool) and "string" in wanted_list:
            hint = tr("schema.hint.bool_text")
        return [EvalrunError(tr("schema.wrong_type", field=field, wanted=words, got=_describe(instance), hint=hint),
                             where)]
    if kind == "enum":
        options = [str(o) for o in error.validator_value]
        hint = did_you_mean(str(instance), options)
        if isinstance(instance, bool):
            meant = [o for o in options if o in (("off", "no", "false") if not instance else ("on", "yes", "true"))]
            hint = tr("schema.hint.bool_quote", meant=meant[0]) if meant else tr("schema.hint.bool_enum")
        return [EvalrunError(
            tr("schema.not_in_enum", field=field, got=_describe(instance), hint=hint, options=", ".join(options)),
            where,
        )]
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        fields = {"field": field, "bound": error.validator_value, "got": instance}
        text = {"minimum": lambda: tr("schema.bound.minimum", **fields),
                "maximum": lambda: tr("schema.bound.maximum", **fields),
                "exclusiveMinimum": lambda: tr("schema.bound.exclusiveMinimum", **fields),
                "exclusiveMaximum": lambda: tr("schema.bound.exclusiveMaximum", **fields)}[kind]()
        return [EvalrunError(text, where)]
    if kind in ("minLength", "minItems", "minProperties"):
        return [EvalrunError(tr("schema.empty", field=field), where)]
    if kind == "pattern" or (kind == "propertyNames"):
        return [EvalrunError(tr("schema.not_allowed_here", field=field, got=_describe(instance), detail=error.message),
                             where)]
    return [EvalrunError(tr("schema.other", field=field, detail=error.message), where)]


def _split_number_hint(key: str) -> str:
    """`{full_year: 1,000}` reads as full_year 1 and a key 000 (YAML reads it as 0)."""
    if re.fullmatch(r"\d+", key):
        return tr("schema.hint.split_number")
    return ""


_POINTS = {"weight", "reported_score", "reported_total", "points", "weight_range", "stated_weights", "grades"}


def _number_hint(value: Any, path=()) -> str:
    if not isinstance(value, str):
        return ""
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?", value.strip()):
        return tr("schema.hint.thousands")
    if re.search(r"[０-９．]", value):
        return tr("schema.hint.fullwidth")
    # a unit such as 分, 万元 or %: not a letter (`9O` is a typo of 90) nor a Chinese numeral (`6五`)
    written = re.fullmatch(r"([+-]?\d+(?:\.\d+)?)\s*([^\sA-Za-z\d.〇零一二三四五六七八九十两].*)", value.strip())
    if written:
        number = written.group(1)
        names = {str(p) for p in path}
        if path and (path[0] == "budget" or path[-1] == "amount"):
            return tr("schema.hint.amount_unit", number=number)
        if names & _POINTS:
            return tr("schema.hint.points_unit", number=number)
        return tr("schema.hint.plain_number", number=number)
    return ""
