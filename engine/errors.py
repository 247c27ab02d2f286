"""The one exception family evalrun raises for mistakes in a user's files.

An error knows where it came from (file, line, column, path inside the
document) and renders as ``file:line:col: message``. Exceptions never print:
the CLI does, in one place.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Iterable, Sequence

from engine.i18n import tr


@dataclass(frozen=True)
class Source:
    """Where a value was read: file, 1-based line and column, document path."""

    file: str = ""
    line: int = 0
    column: int = 0
    path: tuple = ()

    def __str__(self) -> str:
        where = self.file or "<input>"
        if self.line:
            where += f":{self.line}"
            if self.column:
                where += f":{self.column}"
        return where

    def at(self, *more) -> "Source":
        return Source(self.file, self.line, self.column, self.path + tuple(more))


UNKNOWN = Source()


class EvalrunError(Exception):
    """A mistake in a user's file, with the place it was found."""

    def __init__(self, message: str, source: Source | None = None):
        super().__init__(message)
        self.message = message
        self.source = source or UNKNOWN

    @property
    def file(self) -> str:
        return self.source.file

    @property
    def line(self) -> int:
        return self.source.line

    def __str__(self) -> str:
        if self.source.file or self.source.line:
            return f"{self.source}: {self.message}"
        return self.message

    def sort_key(self):
        return (self.source.file, self.source.line, self.source.column, self.message)

    def __reduce__(self):  # pickled with its place (--jobs sends errors between processes)
        return (type(self), (self.message, self.source))


class EvalrunErrors(EvalrunError):
    """Several errors found in one pass, reported together, sorted by place."""

    def __init__(self, errors: Iterable[EvalrunError]):
        flat: list[EvalrunError] = []
        for error in errors:
            flat.extend(error.errors if isinstance(error, EvalrunErrors) else [error])
        unique = {str(e): e for e in flat}
        self.errors = sorted(unique.values(), key=EvalrunError.sort_key)
        first = self.errors[0] if self.errors else EvalrunError(tr("errors.no_errors"))
        super().__init__(first.message, first.source)

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)

    def __reduce__(self):
        return (type(self), (self.errors,))


class UsageError(Exception):
    """The command line itself is wrong (exit code 2)."""


class WorkspaceBusy(UsageError):
    """Another evalrun run holds the output folder's lock (exit code 2)."""


class InternalError(Exception):
    """A bug in evalrun, not in the user's files."""


def closest(word: str, choices: Sequence[str]) -> str | None:
    """The choice closest to ``word``, if one is close enough to be what was meant."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(word: str, choices: Sequence[str]) -> str:
    """' (did you mean `weight`?)' (in the language in use) when a close match exists, else ''."""
    close = closest(word, choices)
    return tr("errors.did_you_mean", suggestion=close) if close else ""


def raise_all(errors: Sequence[EvalrunError]) -> None:
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise EvalrunErrors(errors)
