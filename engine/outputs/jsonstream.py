"""`evalrun --json`, written one project at a time.

The text is exactly ``json.dumps(payload, ensure_ascii=False, indent=2)`` of
``{"ruleset": ..., "projects": [...], "failures": [...]}``, but no list of
every project is ever held: each project is written as soon as it is
evaluated. orjson writes each one (its 2-space indent is json's, and it
escapes what json escapes), and its text is used when the value holds only
what both write alike (``_plain``) and no float orjson writes another way
(below 1e-4); anything else (NaN, which orjson writes as null; text that is
not valid UTF-8; numbers beyond 64 bits; tuples; keys that are not text;
a dataclass or a date, which json refuses) goes to a small writer that gives json's own text, faster than json's
pure-Python indenting encoder (values it does not know go to json.dumps).
tests/test_jsonstream.py compares them with json.dumps.
"""
from __future__ import annotations

import json
import re
from json.encoder import encode_basestring  # the C function where available
from typing import Callable

try:
    import orjson
except ImportError:  # pragma: no cover - a dependency; without it the writer below does it all
    orjson = None

# orjson writes 1e-05 as 0.00001 and 1e-07 as 1e-7; anything that looks like either, even inside
# a text, sends the value to the writer below, which is always json's text.
_NOT_JSONS = re.compile(rb"0\.0000|e-\d(?!\d)")
_INDENT = orjson.OPT_INDENT_2 if orjson else 0


def _dumps(value, depth: int) -> str:
    """``json.dumps(value, ensure_ascii=False, indent=2)``, shifted ``depth`` levels right."""
    text = _orjson(value)
    if text is None:
        return _quick_dumps(value, depth)
    text = text.decode("utf-8")
    return text.replace("\n", "\n" + "  " * depth) if depth and "\n" in text else text


def _orjson(value) -> bytes | None:
    """orjson's text of ``value`` where it is json.dumps's (in UTF-8, not shifted), else None."""
    if orjson is not None and _plain(value):
        try:
            text = orjson.dumps(value, option=_INDENT)
        except TypeError:  # orjson.JSONEncodeError: see above
            return None
        if (b"e-" not in text and b"0.0000" not in text) or _NOT_JSONS.search(text) is None:
            return text
    return None


def _plain(value) -> bool:
    """Whether ``value`` holds only what orjson and json write alike: dicts, lists, texts, whole numbers,
    finite floats, true/false and null, each of exactly that type (no subclass, tuple, NaN, dataclass or
    date, which orjson writes its own way or json refuses). Keys need no look: orjson refuses any but text.
    Three times quicker than reading orjson's text back and comparing."""
    kind = value.__class__
    if kind is str or kind is int or kind is bool or value is None:
        return True
    if kind is dict or kind is list:
        for item in (value.values() if kind is dict else value):
            kind = item.__class__
            if not (kind is str or kind is int or item is None or _plain(item)):
                return False
        return True
    return kind is float and not (value - value)  # inf - inf and NaN - NaN are NaN


def _quick_dumps(value, depth: int) -> str:
    """``json.dumps(value, ensure_ascii=False, indent=2)``, shifted ``depth`` levels right, without orjson."""
    out: list[str] = []
    try:
        _write(value, "\n" + "  " * depth, out)
    except _Unusual:
        return json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n" + "  " * depth)
    return "".join(out)


class _Unusual(Exception):
    """A value the quick writer leaves to json.dumps (NaN, tuples, non-text keys, other types)."""


def _write(value, newline: str, out: list) -> None:
    # The same text as json's pure-Python indenting encoder, which is several times slower.
    kind = value.__class__
    if kind is str:
        out.append(_string(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif kind is int:
        out.append(int.__repr__(value))
    elif kind is float:
        if value != value or value in (_INFINITY, -_INFINITY):
            raise _Unusual
        out.append(float.__repr__(value))
    elif kind is dict:
        if not value:
            out.append("{}")
            return
        inner = newline + "  "
        separator = "{" + inner
        for key, item in value.items():
            if key.__class__ is not str:
                raise _Unusual
            out.append(separator)
            out.append(_string(key))
            if item.__class__ is str:  # the common case, without a call
                out.append(": " + _string(item))
            else:
                out.append(": ")
                _write(item, inner, out)
            separator = "," + inner
        out.append(newline + "}")
    elif kind is list:
        if not value:
            out.append("[]")
            return
        inner = newline + "  "
        separator = "[" + inner
        for item in value:
            out.append(separator)
            _write(item, inner, out)
            separator = "," + inner
        out.append(newline + "]")
    else:
        raise _Unusual


_string = encode_basestring
_INFINITY = float("inf")


def project_bytes(data: dict) -> bytes:
    """A project's JSON in UTF-8, indented as the document's list of projects holds it (``_dumps(data, 2)``)."""
    text = _orjson(data)
    if text is None:
        return _quick_dumps(data, 2).encode("utf-8")
    return text.replace(b"\n", b"\n    ") if b"\n" in text else text


class JsonRunWriter:
    """The document, written piece by piece with ``write``: text, or with ``binary`` UTF-8 bytes."""

    def __init__(self, write: Callable[[str], object], binary: bool = False):
        self.write = write
        self.binary = binary
        self.started = False
        self.count = 0

    def _text(self, text: str) -> None:
        self.write(text.encode("utf-8") if self.binary else text)

    def _start(self, ruleset_ref: dict) -> None:
        if not self.started:
            self._text('{\n  "ruleset": ' + _dumps(ruleset_ref, 1) + ',\n  "projects": [')
            self.started = True

    def project(self, ruleset_ref: dict, data: dict) -> None:
        self.project_bytes(ruleset_ref, project_bytes(data))

    def project_bytes(self, ruleset_ref: dict, encoded: bytes) -> None:
        """A project's JSON as ``project_bytes`` made it (maybe in a worker process, or in an earlier run)."""
        self._start(ruleset_ref)
        separator = "\n    " if not self.count else ",\n    "
        self.write(separator.encode("ascii") + encoded if self.binary else separator + encoded.decode("utf-8"))
        self.count += 1

    def finish(self, ruleset_ref: dict, failures: list) -> None:
        self._start(ruleset_ref)
        self._text(("\n  ]" if self.count else "]") + ',\n  "failures": ' + _dumps(failures, 1) + "\n}\n")
