"""The arithmetic every score is computed with: one Decimal context, bounded.

Scoring runs inside ``CONTEXT``: 28 significant digits (Python's default, so
every published figure is what it always was), exponents within
±``MAX_EXPONENT``, and the three signals that mean a computation went
wrong trapped: division by zero, an invalid operation (0/0, a result too
long to round, a remainder of a huge quotient) and overflow. Every value a
formula can make is therefore at most 28 digits times a power of ten within
the bound: nothing grows to thousands of digits, and a formula that would
is stopped with ``ArithmeticError``, which the scorer turns into one line
naming the indicator, the formula and its file:line (``failure_reason``
words it).

``floor`` and ``ceil`` round a Decimal to a whole Decimal without making a
Python int (``math.floor`` of 1E+900000 would build a 900,000-digit int);
``power`` is ``**`` with the exponent bounded.
"""
from __future__ import annotations

import decimal
import threading
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal

from engine.i18n import tr

PRECISION = 28
MAX_EXPONENT = 999  # values stay within 10^-999 .. 10^999 in magnitude (digits beyond print as exponents)
MAX_POWER = 100  # the largest exponent a formula may raise to

CONTEXT = decimal.Context(
    prec=PRECISION, rounding=ROUND_HALF_EVEN, Emax=MAX_EXPONENT, Emin=-MAX_EXPONENT, capitals=1, clamp=0,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)


def scoring():
    """``with scoring():`` runs the block in CONTEXT (a copy: flags never leak between runs)."""
    return decimal.localcontext(CONTEXT)


_thread = threading.local()


def thread_context() -> decimal.Context:
    """This thread's own copy of CONTEXT, for ``decimal.setcontext`` (quicker than ``scoring()``)."""
    try:
        return _thread.context
    except AttributeError:
        _thread.context = CONTEXT.copy()
        return _thread.context


class PowerTooLarge(ArithmeticError):
    """An exponent beyond MAX_POWER (constants are checked at load; this guards computed ones)."""


def power(base, exponent):
    if abs(exponent) > MAX_POWER:
        raise PowerTooLarge(f"exponent {exponent} is larger than {MAX_POWER}")
    return base ** exponent


def floor(value):
    return _integral(value, ROUND_FLOOR)


def ceil(value):
    return _integral(value, ROUND_CEILING)


def _integral(value, rounding):
    if isinstance(value, Decimal):
        return value.to_integral_value(rounding=rounding)
    if isinstance(value, int):  # a bool or a whole number: already whole
        return Decimal(int(value))
    raise TypeError(f"floor and ceil take a number, not {type(value).__name__}")


def clamp(value, low, high):
    return max(low, min(value, high))


FUNCTIONS = {"min": min, "max": max, "abs": abs, "clamp": clamp, "floor": floor, "ceil": ceil}


def is_division_by_zero(exc: BaseException) -> bool:
    # The C decimal module raises InvalidOperation([DivisionUndefined]) for 0 / 0.
    kinds = (ZeroDivisionError, decimal.DivisionByZero, decimal.DivisionUndefined)
    causes = exc.args[0] if exc.args and isinstance(exc.args[0], list) else []
    return isinstance(exc, kinds) or any(isinstance(c, type) and issubclass(c, kinds) for c in causes)


def failure_reason(exc: BaseException) -> str:
    """Words for an arithmetic failure, for a user who wrote a formula."""
    if is_division_by_zero(exc):
        return tr("numeric.division_by_zero")
    causes = exc.args[0] if exc.args and isinstance(exc.args[0], list) else [type(exc)]
    if any(isinstance(c, type) and issubclass(c, decimal.Overflow) for c in causes) or isinstance(exc, OverflowError):
        return tr("numeric.overflow", limit=MAX_EXPONENT)
    if any(isinstance(c, type) and issubclass(c, decimal.InvalidOperation) for c in causes):
        return tr("numeric.inexact", digits=PRECISION)
    return str(exc) or type(exc).__name__


def fits(value: Decimal, places: int) -> bool:
    """Can ``value`` be rounded to ``places`` decimals within PRECISION digits?"""
    return not value or value.adjusted() + 1 + places <= PRECISION
