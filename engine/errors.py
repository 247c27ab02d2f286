"""evalrun's exceptions: one root, EvalrunException, carrying its exit code and its problems.

EvalrunException            the root: ``exit_code``, ``problems`` (the individual errors), ``lines()``
  EvalrunError      exit 1  a mistake in a user's file, with its place (file, line, column, document
                            path), rendered as ``file:line:col: message``
    EvalrunErrors   exit 1  several of them, found in one pass, sorted by place
  UsageError        exit 2  the command line is wrong (no such ruleset, an unknown format, ...)
    WorkspaceBusy   exit 2  another run holds the output folder's lock
  InternalError     exit 3  a bug in evalrun, not in the user's files

UsageError and InternalError are siblings of EvalrunError, not kinds of it: the many places that
collect a user's file mistakes (``except EvalrunError``, one project's errors while the others go on)
must not swallow a wrong command line or a bug. Exceptions never print: the CLI does, in one place
(engine/cli/__init__.py).
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Iterable, Sequence

from engine.i18n import tr
from engine._util import quick_init


@quick_init
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


class EvalrunException(Exception):
    """The root of evalrun's exceptions: what stops a command, and the exit code it ends with."""

    exit_code = 3

    @property
    def problems(self) -> list:
        """The individual errors, each one line (an EvalrunErrors holds several)."""
        return [self]

    def lines(self) -> list[str]:
        """What the command line prints on stderr, one line a problem."""
        return [str(problem) for problem in self.problems]


class EvalrunError(EvalrunException):
    """A mistake in a user's file, with the place it was found."""

    exit_code = 1

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

    @property
    def problems(self) -> list:
        return list(self.errors)

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)

    def __reduce__(self):
        return (type(self), (self.errors,))


class UsageError(EvalrunException):
    """The command line itself is wrong (exit code 2)."""

    exit_code = 2

    def lines(self) -> list[str]:
        return [tr("cli.usage_prefix", message=self)]


class WorkspaceBusy(UsageError):
    """Another evalrun run holds the output folder's lock (exit code 2)."""


class InternalError(EvalrunException):
    """A bug in evalrun, not in the user's files (exit code 3)."""

    exit_code = 3

    def lines(self) -> list[str]:
        return bug_report(self)


def bug_report(exc: BaseException) -> list[str]:
    """The lines for an exception evalrun did not expect (exit code 3): a bug, never the user's fault."""
    return tr("cli.internal_error", error=f"{type(exc).__name__}: {exc}").split("\n")


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
