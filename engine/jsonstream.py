"""`evalrun --json`, written one project at a time.

The text is exactly ``json.dumps(payload, ensure_ascii=False, indent=2)`` of
``{"ruleset": ..., "projects": [...], "failures": [...]}``, but no list of
every project is ever held: each project is written as soon as it is
evaluated, by a small writer that gives json's indented text faster than
json's own pure-Python indenting encoder (values it does not know go to
json.dumps).
"""
from __future__ import annotations

import json
from json.encoder import encode_basestring  # the C function where available
from typing import Callable


def _dumps(value, depth: int) -> str:
    """``json.dumps(value, ensure_ascii=False, indent=2)``, shifted ``depth`` levels right."""
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


class JsonRunWriter:
    def __init__(self, write: Callable[[str], object]):
        self.write = write
        self.started = False
        self.count = 0

    def _start(self, ruleset_ref: dict) -> None:
        if not self.started:
            self.write('{\n  "ruleset": ' + _dumps(ruleset_ref, 1) + ',\n  "projects": [')
            self.started = True

    def project(self, ruleset_ref: dict, data: dict) -> None:
        self._start(ruleset_ref)
        self.write(("\n    " if not self.count else ",\n    ") + _dumps(data, 2))
        self.count += 1

    def finish(self, ruleset_ref: dict, failures: list) -> None:
        self._start(ruleset_ref)
        self.write(("\n  ]" if self.count else "]") + ',\n  "failures": ' + _dumps(failures, 1) + "\n}\n")
