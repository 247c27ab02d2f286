"""samevalue: whether a project file's value and a returned form's are the same, read as the form reads them.

White space and wrapped lines aside, and for targets and actual values
by their meaning (`≥１２０公里` is `120 公里以上`). Used by
engine/forms/import_merge.py and the modules it compares 其中 rows and
printed values with.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from engine.rules.targets import TargetError, format_number, normalize, parse_measure


def same(kind: str, old, new) -> bool:
    """Whether a file's value and a form's are the same once both are read as the form reads them."""
    if old is None or new is None or old == "" or new == "":
        return _empty(old) and _empty(new)
    if isinstance(old, (dict, list)) or isinstance(new, (dict, list)):
        return old == new  # a mapping is compared key by key by its caller; never as a number
    if kind == "number":
        try:
            return Decimal(str(old)) == Decimal(str(new))
        except InvalidOperation:
            return _flat(old) == _flat(new)
    if _flat(old) == _flat(new):
        return True
    return kind == "measure" and _meaning(old) is not None and _meaning(old) == _meaning(new)


def _meaning(value):
    """A target or actual value as the grammar reads it: `≥１２０公里` and `120 公里以上` mean the same."""
    try:
        measure = parse_measure(value)
    except TargetError:
        return None
    if measure.is_qualitative:
        return (measure.kind, normalize(measure.text))
    return (measure.kind, measure.comparator, measure.value, measure.unit)


def _empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _flat(value) -> str:
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return format_number(Decimal(value))
    return re.sub(r"\s+", "", str(value))
