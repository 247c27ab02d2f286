"""named: the lists of a ruleset whose entries are named (total rules, review rules, the indicator table).

A name may stand once in its list; a second entry with it is a mistake at its own line that names the
first's, and is left out so the rest of the list is still checked.
"""
from __future__ import annotations

from typing import Callable, Iterator

from engine.errors import EvalrunError, Source


def first_of_each_name(specs, errors: list, twice: Callable[[str, int], str]) -> Iterator[tuple[int, object, Source]]:
    """(index, entry, where) of each entry whose ``name`` is new; ``twice(name, first line)`` words a repeat."""
    seen: dict = {}
    for index, spec in enumerate(specs):
        where = specs.source_of(index)
        name = spec["name"]
        if name in seen:
            errors.append(EvalrunError(twice(name, seen[name].line), where))
            continue
        seen[name] = where
        yield index, spec, where
