"""sandbox_bounds: the limits of one template render, and the accounting that enforces them.

``Bounds`` holds the limits (plain data, passed in); ``budget`` opens one
render's account of output, loop iterations and time; ``size_of`` and the
checks below measure what a template builds, so that engine.outputs.sandbox
can refuse a value before it is made. A breach is ``TemplateLimit``.
"""
from __future__ import annotations

import re
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from decimal import Decimal

from jinja2.exceptions import SecurityError
from jinja2.runtime import Namespace
from jinja2.sandbox import SandboxedEscapeFormatter, SandboxedFormatter

from engine.i18n import tr


MAX_WIDTH = 1000  # padding, width and precision of a format, center/ljust/rjust/zfill, indent, wordwrap
MAX_POWER = 100  # the exponent of **
MAX_NUMBER_DIGITS = 1000  # a number built by * or ** (Python prints at most 4,300 digits anyway)
MAX_LIPSUM_PARAGRAPHS = 100
MAX_LIPSUM_WORDS = 1000
MAX_TEMPLATE_BYTES = 2 * 1024 * 1024  # a template file; real ones are a few KB


@dataclass(frozen=True)
class Bounds:
    """What one render may do; ``for_rows`` grows each bound for a summary of that many projects."""

    seconds: float = 10.0
    output: int = 10_000_000  # characters written, counting the text macros and blocks build
    iterations: int = 1_000_000  # loop iterations, all loops together
    value: int = 1_000_000  # characters or items of one value the template builds

    def for_rows(self, rows: int) -> "Bounds":
        """The bounds for a year's summary of ``rows`` projects: each row may add its share."""
        return replace(self, seconds=self.seconds + rows / 1000, output=self.output + rows * 4000,
                       iterations=self.iterations + rows * 100, value=self.value + rows * 1000)


DEFAULT_BOUNDS = Bounds()


class TemplateLimit(SecurityError):
    """A template went past one of the bounds above."""


class _Budget:
    """The running account of one render."""

    __slots__ = ("bounds", "deadline", "iterations", "output", "checkpoint", "sizes")

    def __init__(self, bounds: Bounds):
        self.bounds = bounds
        self.deadline = time.monotonic() + bounds.seconds
        self.iterations = 0
        self.output = 0
        self.checkpoint = 0  # the output count at which spend() next checks the bounds and the clock
        self.sizes: dict = {}  # id -> (value, size) of values already measured in this render

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise TemplateLimit(tr("sandbox.too_long", seconds=f"{self.bounds.seconds:g}"))

    def tick(self) -> None:
        self.iterations += 1
        if self.iterations > self.bounds.iterations:
            raise TemplateLimit(tr("sandbox.loops", limit=f"{self.bounds.iterations:,}"))
        if not self.iterations & 0x3F:
            self.check_time()

    def spend(self, text) -> None:
        self.output += len(text)
        if self.output >= self.checkpoint:
            self.check_output()

    def check_output(self) -> None:
        """Past the output bound, or past the time budget (looked at every 16,384 characters written)."""
        if self.output > self.bounds.output:
            raise TemplateLimit(tr("sandbox.output", limit=f"{self.bounds.output:,}"))
        self.check_time()
        self.checkpoint = min(self.output + 16_384, self.bounds.output + 1)


_current: ContextVar[_Budget | None] = ContextVar("evalrun_template_budget", default=None)


def _budget() -> _Budget:
    budget = _current.get()
    if budget is None:  # outside a render (a filter folded into a constant when compiling): default bounds
        return _Budget(DEFAULT_BOUNDS)
    return budget


@contextmanager
def budget(bounds: Bounds | None = None):
    """One render's budget: templates rendered inside share it (a Word file's parts, includes)."""
    token = _current.set(_Budget(bounds or DEFAULT_BOUNDS))
    try:
        yield
    finally:
        _current.reset(token)


def size_of(value, budget: _Budget | None = None, limit: int | None = None) -> int:
    """Characters or items ``value`` holds, each shared part counted where it appears (as it would print).

    Stops counting once past ``limit``: the answer is then only "more than the limit".
    """
    budget = budget or _budget()
    limit = limit if limit is not None else budget.bounds.value
    memo = budget.sizes
    stack = set()

    def measure(item) -> int:
        if isinstance(item, (str, bytes)):
            return len(item)
        if isinstance(item, Namespace):
            item = object.__getattribute__(item, "_Namespace__attrs")
        if not isinstance(item, (list, tuple, dict, set, frozenset)):
            return 1
        known = memo.get(id(item))
        if known is not None and known[0] is item:
            return known[1]
        if id(item) in stack:
            return 1  # a value that holds itself prints as [...]
        stack.add(id(item))
        total = 1
        parts = item.items() if isinstance(item, dict) else ((x,) for x in item)
        for part in parts:
            for element in part:
                total += measure(element)
                if total > limit:
                    stack.discard(id(item))
                    return total
        stack.discard(id(item))
        if total >= 64:  # remembered (and kept alive, so the id stays its own) while this render lasts
            memo[id(item)] = (item, total)
        return total

    return measure(value)


def _checked(value, what: str):
    """``value`` if it is within the value bound, else TemplateLimit naming ``what`` built it."""
    budget = _budget()
    if isinstance(value, (str, bytes)):
        if len(value) > budget.bounds.value:
            raise TemplateLimit(tr("sandbox.text_too_long", what=what, count=f"{len(value):,}",
                                   limit=f"{budget.bounds.value:,}"))
        return value
    if isinstance(value, (list, tuple, dict, set, frozenset, Namespace)):
        if size_of(value, budget) > budget.bounds.value:
            raise TemplateLimit(tr("sandbox.value_too_big", what=what, limit=f"{budget.bounds.value:,}"))
    return value


def _refuse_size(estimate: int, what: str) -> None:
    limit = _budget().bounds.value
    if estimate > limit:
        raise TemplateLimit(tr("sandbox.estimate_too_long", what=what, count=f"{estimate:,}", limit=f"{limit:,}"))


def _width(value, what: str) -> None:
    if isinstance(value, str):
        value = len(value)
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool) and abs(value) > MAX_WIDTH:
        raise TemplateLimit(tr("sandbox.width_above", what=what, value=value, limit=f"{MAX_WIDTH:,}"))


def _digits(value) -> int:
    """About how many decimal digits a number has."""
    if isinstance(value, bool):
        return 1
    if isinstance(value, int):
        return max(1, int(abs(value).bit_length() * 0.30103) + 1)
    if isinstance(value, Decimal) and value.is_finite() and value:
        return abs(value.adjusted()) + 1
    return 1


_PRINTF = re.compile(r"%(?:\((?P<key>[^()]*)\))?[-#0 +]*(?P<width>\*|\d+)?(?:\.(?P<precision>\*|\d+))?[hlL]?"
                     r"(?P<type>[diouxXeEfFgGcrsab%])")


def check_printf(text: str, args) -> None:
    """A `%` format within the bounds: each width and precision at most MAX_WIDTH, the result not too long."""
    position, conversions = 0, 0
    while True:
        position = text.find("%", position)
        if position < 0:
            break
        match = _PRINTF.match(text, position)
        if not match:
            raise TemplateLimit(tr("sandbox.printf_unchecked", text=repr(text[position:position + 20])))
        for part in ("width", "precision"):
            if match[part] == "*":
                raise TemplateLimit(tr("sandbox.printf_star"))
            _width(int(match[part] or 0), tr("sandbox.what.printf_width") if part == "width"
                   else tr("sandbox.what.printf_precision"))
        conversions += match["type"] != "%"
        position = match.end()
    if conversions:
        items = list(args.values()) if isinstance(args, dict) else list(args) if isinstance(args, tuple) else [args]
        largest = max((size_of(item) for item in items), default=0)
        _refuse_size(len(text) + conversions * (largest + MAX_WIDTH), tr("sandbox.what.this_printf"))


class _BoundedFormatterMixin:
    """str.format with every format spec's numbers at most MAX_WIDTH and the result within the value bound."""

    def vformat(self, format_string, args, kwargs):
        self._built = len(format_string)
        return super().vformat(format_string, args, kwargs)

    def format_field(self, value, format_spec):
        for number in re.findall(r"\d+", format_spec):
            _width(int(number), tr("sandbox.what.format_width"))
        text = super().format_field(value, format_spec)
        self._built += len(text)
        _refuse_size(self._built, tr("sandbox.what.this_format"))
        return text


class _BoundedFormatter(_BoundedFormatterMixin, SandboxedFormatter):
    pass


class _BoundedEscapeFormatter(_BoundedFormatterMixin, SandboxedEscapeFormatter):
    pass


def _binop(operator: str, left, right):
    """Refuse, before computing it, a `*`, `**`, `+` or `%` whose result would be out of bounds."""
    numbers = (int, float, Decimal)
    sequences = (str, bytes, list, tuple)
    if operator == "**" and isinstance(right, numbers) and isinstance(left, numbers):
        if abs(right) > MAX_POWER:
            raise TemplateLimit(tr("sandbox.power", limit=MAX_POWER, value=right))
        if _digits(left) * max(abs(right), 1) > MAX_NUMBER_DIGITS:
            raise TemplateLimit(tr("sandbox.power_digits", limit=f"{MAX_NUMBER_DIGITS:,}", value=right))
    elif operator == "*":
        if isinstance(left, numbers) and isinstance(right, numbers):
            if _digits(left) + _digits(right) > MAX_NUMBER_DIGITS:
                raise TemplateLimit(tr("sandbox.number_digits", limit=f"{MAX_NUMBER_DIGITS:,}"))
        for seq, times in ((left, right), (right, left)):
            if isinstance(seq, sequences) and isinstance(times, int) and times > 0:
                limit = _budget().bounds.value
                if times > limit or size_of(seq, limit=limit) * times > limit:
                    raise TemplateLimit(tr("sandbox.repeat", times=times, limit=f"{limit:,}"))
    elif operator == "+":
        if isinstance(left, sequences) and isinstance(right, sequences):
            limit = _budget().bounds.value
            if size_of(left, limit=limit) + size_of(right, limit=limit) > limit:
                raise TemplateLimit(tr("sandbox.join", limit=f"{limit:,}"))
    elif operator == "%" and isinstance(left, str):
        check_printf(left, right)
