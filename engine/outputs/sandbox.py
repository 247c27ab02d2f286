"""sandbox: the one Jinja environment every report template runs in (Markdown, HTML and Word).

Jinja's immutable sandbox already refuses Python internals (``__class__``,
``__globals__``) and changing lists or dicts in place. This class adds
bounds on everything else a template could use to grow its output or its
running time:

- every value a template builds (text, or a list, tuple or dict, counting a
  part shared twice twice, as it would print) is at most
  ``Bounds.value`` characters or items: checked for ``*``, ``+``, ``~``,
  ``%``, ``**`` on numbers (at most ``MAX_NUMBER_DIGITS`` digits), list and
  dict literals, and the filters, functions and text methods that build
  (``join``, ``replace``, ``batch``, ``dict()``, ...);
- padding, widths and precisions (``'{:>30}'.format``, ``'%30s'|format``,
  ``center(30)``, ``ljust``, ``indent``, ``wordwrap``) are at most
  ``MAX_WIDTH``; text methods outside an allowlist are refused;
- ``lipsum`` makes at most ``MAX_LIPSUM_PARAGRAPHS`` paragraphs of at most
  ``MAX_LIPSUM_WORDS`` words, ``range`` at most 100,000 numbers (Jinja's own);
- one render (one report, includes and macros included) writes at most
  ``Bounds.output`` characters, runs at most ``Bounds.iterations`` loop
  iterations, and takes at most ``Bounds.seconds`` seconds.

A breach raises ``TemplateLimit`` inside the template's own code, so the
error names the template's file and line. The limits are plain data
(``Bounds``), passed in, never module globals patched by tests.
"""
from __future__ import annotations

import re
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from decimal import Decimal

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator
from jinja2.exceptions import SecurityError
from jinja2.runtime import Namespace
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEscapeFormatter, SandboxedFormatter
from jinja2.filters import make_attrgetter
from jinja2.utils import generate_lorem_ipsum, pass_context, pass_environment, pass_eval_context
from markupsafe import Markup

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
            raise TemplateLimit(f"the template ran for more than {self.bounds.seconds:g} seconds; "
                                "a report renders in well under a second (a loop that never ends?)")

    def tick(self) -> None:
        self.iterations += 1
        if self.iterations > self.bounds.iterations:
            raise TemplateLimit(f"the template's loops ran more than {self.bounds.iterations:,} times in one report")
        if not self.iterations & 0x3F:
            self.check_time()

    def spend(self, text) -> None:
        self.output += len(text)
        if self.output >= self.checkpoint:
            self.check_output()

    def check_output(self) -> None:
        """Past the output bound, or past the time budget (looked at every 16,384 characters written)."""
        if self.output > self.bounds.output:
            raise TemplateLimit(f"the report would be larger than {self.bounds.output:,} characters")
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


# ---------------------------------------------------------------- sizes


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
            raise TemplateLimit(f"{what} would build a text of {len(value):,} characters "
                                f"(at most {budget.bounds.value:,})")
        return value
    if isinstance(value, (list, tuple, dict, set, frozenset, Namespace)):
        if size_of(value, budget) > budget.bounds.value:
            raise TemplateLimit(f"{what} would build a value of more than {budget.bounds.value:,} items "
                                "(counting each shared part where it would print)")
    return value


def _refuse_size(estimate: int, what: str) -> None:
    limit = _budget().bounds.value
    if estimate > limit:
        raise TemplateLimit(f"{what} would build a text of about {estimate:,} characters (at most {limit:,})")


def _width(value, what: str) -> None:
    if isinstance(value, str):
        value = len(value)
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool) and abs(value) > MAX_WIDTH:
        raise TemplateLimit(f"{what} {value} is above {MAX_WIDTH:,}")


def _digits(value) -> int:
    """About how many decimal digits a number has."""
    if isinstance(value, bool):
        return 1
    if isinstance(value, int):
        return max(1, int(abs(value).bit_length() * 0.30103) + 1)
    if isinstance(value, Decimal) and value.is_finite() and value:
        return abs(value.adjusted()) + 1
    return 1


# ---------------------------------------------------------------- operators


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
            raise TemplateLimit(f"a `%` format evalrun cannot check: {text[position:position + 20]!r}")
        for part in ("width", "precision"):
            if match[part] == "*":
                raise TemplateLimit("a `%` format with `*` for its width or precision")
            _width(int(match[part] or 0), f"a `%` format's {part}")
        conversions += match["type"] != "%"
        position = match.end()
    if conversions:
        items = list(args.values()) if isinstance(args, dict) else list(args) if isinstance(args, tuple) else [args]
        largest = max((size_of(item) for item in items), default=0)
        _refuse_size(len(text) + conversions * (largest + MAX_WIDTH), "this `%` format")


class _BoundedFormatterMixin:
    """str.format with every format spec's numbers at most MAX_WIDTH and the result within the value bound."""

    def vformat(self, format_string, args, kwargs):
        self._built = len(format_string)
        return super().vformat(format_string, args, kwargs)

    def format_field(self, value, format_spec):
        for number in re.findall(r"\d+", format_spec):
            _width(int(number), "a format's width or precision")
        text = super().format_field(value, format_spec)
        self._built += len(text)
        _refuse_size(self._built, "this `.format`")
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
            raise TemplateLimit(f"a power above {MAX_POWER} (`**` {right})")
        if _digits(left) * max(abs(right), 1) > MAX_NUMBER_DIGITS:
            raise TemplateLimit(f"a power of more than {MAX_NUMBER_DIGITS:,} digits (`**` {right})")
    elif operator == "*":
        if isinstance(left, numbers) and isinstance(right, numbers):
            if _digits(left) + _digits(right) > MAX_NUMBER_DIGITS:
                raise TemplateLimit(f"a number of more than {MAX_NUMBER_DIGITS:,} digits")
        for seq, times in ((left, right), (right, left)):
            if isinstance(seq, sequences) and isinstance(times, int) and times > 0:
                limit = _budget().bounds.value
                if times > limit or size_of(seq, limit=limit) * times > limit:
                    raise TemplateLimit(f"repeating a value {times} times (at most {limit:,} characters or items)")
    elif operator == "+":
        if isinstance(left, sequences) and isinstance(right, sequences):
            limit = _budget().bounds.value
            if size_of(left, limit=limit) + size_of(right, limit=limit) > limit:
                raise TemplateLimit(f"joining two values longer than {limit:,} characters or items together")
    elif operator == "%" and isinstance(left, str):
        check_printf(left, right)


# ---------------------------------------------------------------- functions, methods and filters

# Text methods a template may call: those that cannot grow a text beyond a small factor, and the
# growing ones below, whose arguments are checked first. Anything else (translate, ...) is refused.
_TEXT_METHODS = frozenset("""
    capitalize casefold count encode decode endswith find index isalnum isalpha isascii isdecimal isdigit
    isidentifier islower isnumeric isprintable isspace istitle isupper lower lstrip partition removeprefix
    removesuffix rfind rindex rpartition rsplit rstrip split splitlines startswith strip swapcase title upper
    center ljust rjust zfill expandtabs join replace format format_map escape unescape striptags
""".split())


def _check_text_method(name: str, text, args, kwargs) -> None:
    if name in ("center", "ljust", "rjust", "zfill"):
        _width(args[0] if args else kwargs.get("width", 0), f"`{name}` with a width of")
    elif name == "expandtabs":
        tabsize = args[0] if args else kwargs.get("tabsize", 8)
        _width(tabsize, "`expandtabs` with tabs of")
        _refuse_size(len(text) + text.count("\t" if isinstance(text, str) else b"\t") * int(tabsize), "`expandtabs`")
    elif name == "join":
        items = args[0] if args else []
        _refuse_size(sum(size_of(i) for i in items) + len(text) * max(len(items) - 1, 0), "`join`")
    elif name == "replace" and len(args) >= 2:
        _refuse_size(_replaced_size(text, args[0], args[1], args[2] if len(args) > 2 else -1), "`replace`")


def _replaced_size(text, old, new, count=-1) -> int:
    if not isinstance(old, (str, bytes)) or not isinstance(new, (str, bytes)):
        return len(text)
    found = len(text) + 1 if not old else text.count(old)
    if count is not None and count >= 0:
        found = min(found, count)
    return len(text) + found * max(len(new) - len(old), 0) + (found * len(new) if not old else 0)


def _filters(env: jinja2.Environment) -> dict:
    """Bounded versions of Jinja's filters that can build large values."""
    base = dict(env.filters)

    def center(value, width=80):
        _width(width, "`center` with a width of")
        return base["center"](value, width)

    def indent(value, width=4, first=False, blank=False):
        _width(width, "`indent` by")
        text = str(value)
        _refuse_size(len(text) + (text.count("\n") + 1) * (len(width) if isinstance(width, str) else int(width)),
                     "`indent`")
        return base["indent"](value, width, first, blank)

    def format_(value, *args, **kwargs):
        check_printf(str(value), kwargs or args)
        return _checked(base["format"](value, *args, **kwargs), "`format`")

    @pass_eval_context
    def join(eval_ctx, value, d="", attribute=None):
        items = list(value)
        _refuse_size(sum(size_of(i) for i in items) + len(str(d)) * max(len(items) - 1, 0), "`join`")
        return _checked(base["join"](eval_ctx, items, d, attribute), "`join`")

    @pass_eval_context
    def replace_(eval_ctx, s, old, new, count=None):
        _refuse_size(_replaced_size(str(s), str(old), str(new), -1 if count is None else count), "`replace`")
        return base["replace"](eval_ctx, s, old, new, count)

    def wordwrap(s, width=79, break_long_words=True, wrapstring=None, break_on_hyphens=True):
        _width(width, "`wordwrap` with a width of")
        text = str(s)
        lines = len(text) // max(int(width), 1) + text.count("\n") + 1
        _refuse_size(len(text) + lines * len(wrapstring or "\n"), "`wordwrap`")
        return base["wordwrap"](env, s, width, break_long_words, wrapstring, break_on_hyphens)

    def batch(value, linecount, fill_with=None):
        _width(linecount, "`batch` with batches of")
        return base["batch"](value, linecount, fill_with)

    def slice_(value, slices, fill_with=None):
        _width(slices, "`slice` into")
        return base["slice"](value, slices, fill_with)

    @pass_environment
    def sum_(environment, iterable, attribute=None, start=0):
        if attribute is not None:
            iterable = map(make_attrgetter(environment, attribute), iterable)
        total = start
        for item in iterable:
            _binop("+", total, item)
            total = total + item
        return total

    @pass_eval_context
    def tojson(eval_ctx, value, indent=None):
        if indent is not None:
            _width(indent, "`tojson` indented by")
            if (len(indent) if isinstance(indent, str) else indent) > 16:
                raise TemplateLimit("`tojson` indented by more than 16")
        return base["tojson"](eval_ctx, value, indent)

    @pass_eval_context
    def urlize(eval_ctx, value, trim_url_limit=None, nofollow=False, target=None, rel=None, extra_schemes=None):
        for extra in (target, rel):
            if extra is not None:
                _width(len(str(extra)), "`urlize` with a target or rel of length")
        return base["urlize"](eval_ctx, value, trim_url_limit, nofollow, target, rel, extra_schemes)

    bounded = {"center": center, "indent": indent, "format": format_, "join": join, "replace": replace_,
               "wordwrap": wordwrap, "batch": batch, "slice": slice_, "tojson": tojson,
               "urlize": urlize, "sum": sum_}
    # every filter counts against the time budget and returns a value within the value bound
    return {name: _accounted(name, bounded.get(name, function)) for name, function in base.items()}


def _pass_like(original, function):
    """``function`` marked to get the same context argument (eval context, environment) as ``original``."""
    marker = getattr(original, "jinja_pass_arg", None)
    if marker is not None:
        function.jinja_pass_arg = marker
    return function


_GROWING = frozenset({"center", "indent", "format", "join", "replace", "wordwrap", "batch", "slice", "sum",
                      "tojson", "urlize", "escape", "e", "forceescape", "urlencode", "string", "title", "upper",
                      "lower", "capitalize", "trim", "striptags", "truncate", "pprint", "xmlattr", "list"})


def _accounted(name: str, function):
    def accounted(*args, **kwargs):
        _budget().check_time()
        result = function(*args, **kwargs)
        if name in _GROWING and isinstance(result, (str, bytes)):
            _checked(result, f"the filter `{name}`")
        return result

    accounted.__name__ = getattr(function, "__name__", name)
    return _pass_like(function, accounted)


def _lipsum(n=5, html=True, min=20, max=100):  # noqa: A002 - Jinja's own argument names
    if not 0 <= n <= MAX_LIPSUM_PARAGRAPHS:
        raise TemplateLimit(f"`lipsum` of {n} paragraphs (at most {MAX_LIPSUM_PARAGRAPHS})")
    if not 0 <= min <= max <= MAX_LIPSUM_WORDS:
        raise TemplateLimit(f"`lipsum` of up to {max} words a paragraph (at most {MAX_LIPSUM_WORDS})")
    return generate_lorem_ipsum(n, html, min, max)


@pass_context
def _loop(context, iterable):
    """Every `for` loop's items, counted against the budget (the parser puts this filter on each loop)."""
    budget = _budget()
    for item in iterable:
        budget.tick()
        yield item


# ---------------------------------------------------------------- the environment


class _Generator(CodeGenerator):
    """Jinja's code generator, counting every piece of output and bounding `~`."""

    def _output_const_repr(self, group) -> str:
        return f"environment.spend({super()._output_const_repr(group)})"

    def _output_child_pre(self, node, frame, finalize) -> None:
        self.write("environment.spend(")
        super()._output_child_pre(node, frame, finalize)

    def _output_child_post(self, node, frame, finalize) -> None:
        super()._output_child_post(node, frame, finalize)
        self.write(")")

    def visit_Concat(self, node, frame) -> None:
        self.write("environment.checked(")
        super().visit_Concat(node, frame)
        self.write(", '`~`')")

    def visit_List(self, node, frame) -> None:
        self.write("environment.checked(")
        super().visit_List(node, frame)
        self.write(", 'a list')")

    def visit_Tuple(self, node, frame) -> None:
        if node.ctx != "load":
            return super().visit_Tuple(node, frame)
        self.write("environment.checked(")
        super().visit_Tuple(node, frame)
        self.write(", 'a tuple')")

    def visit_Dict(self, node, frame) -> None:
        self.write("environment.checked(")
        super().visit_Dict(node, frame)
        self.write(", 'a dict')")


class _BoundedTemplate(jinja2.Template):
    """A template that renders within a budget: the one around it (``with budget(...)``), else its own."""

    def render(self, *args, **kwargs) -> str:
        if _current.get() is not None:
            return super().render(*args, **kwargs)
        with budget(self.environment.bounds):
            return super().render(*args, **kwargs)


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with the bounds above; used for every template evalrun renders."""

    code_generator_class = _Generator
    template_class = _BoundedTemplate
    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, *args, bounds: Bounds = DEFAULT_BOUNDS, **kwargs):
        super().__init__(*args, **kwargs)
        self.bounds = bounds
        self.filters = _filters(self)
        self.filters["_loop"] = _loop
        self.globals["lipsum"] = _lipsum

    # the hooks the generated code calls
    def spend(self, text):
        budget = _current.get()
        if budget is not None:  # (none when a constant is folded while compiling)
            budget.output += len(text)
            if budget.output >= budget.checkpoint:
                budget.check_output()
        return text

    def checked(self, value, what):
        return _checked(value, what)

    def _parse(self, source, name, filename):
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            wrapped = nodes.Filter(loop.iter, "_loop", [], [], None, None, lineno=loop.iter.lineno)
            wrapped.set_environment(self)
            loop.iter = wrapped
        return tree

    def call_binop(self, context, operator, left, right):
        _budget().check_time()
        _binop(operator, left, right)
        result = super().call_binop(context, operator, left, right)
        if operator in ("%", "+", "*"):
            _checked(result, f"`{operator}`")
        return result

    def is_safe_attribute(self, obj, attr, value) -> bool:
        if isinstance(obj, (str, bytes)) and callable(value) and attr not in _TEXT_METHODS:
            return False
        return super().is_safe_attribute(obj, attr, value)

    def wrap_str_format(self, value):
        if not callable(value) or getattr(value, "__name__", "") not in ("format", "format_map"):
            return None
        owner = getattr(value, "__self__", None)
        if not isinstance(owner, str):
            return None
        formatter = (_BoundedEscapeFormatter(self, escape=owner.escape) if isinstance(owner, Markup)
                     else _BoundedFormatter(self))
        is_map = value.__name__ == "format_map"

        def bounded_format(*args, **kwargs):
            if is_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument")
                args, kwargs = (), args[0]
            return type(owner)(formatter.vformat(owner, args, kwargs))

        return bounded_format

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 - Jinja's own signature
        _budget().check_time()
        owner = getattr(__obj, "__self__", None)
        name = getattr(__obj, "__name__", "")
        if isinstance(owner, (str, bytes)) and not isinstance(owner, type):
            if name not in _TEXT_METHODS:
                raise SecurityError(f"the text method `{name}` is not available in templates")
            if name == "join" and args:
                args = (list(args[0]),) + args[1:]  # measured first, then joined: an iterator is read once
            _check_text_method(name, owner, args, kwargs)
        result = super().call(__context, __obj, *args, **kwargs)
        if isinstance(result, (str, bytes, list, tuple, dict, Namespace)):
            _checked(result, f"calling `{name or __obj!r}`")
        return result
