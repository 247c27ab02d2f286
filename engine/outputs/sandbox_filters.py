"""sandbox_filters: the filters, functions and text methods a template may call, each bounded.

The text methods are an allowlist; the filters and functions that build
(``join``, ``replace``, ``batch``, ``wordwrap``, ``lipsum``, ...) are
Jinja's own, wrapped so that what they would build is measured first
against the render's ``Bounds`` (engine.outputs.sandbox_bounds).
"""
from __future__ import annotations

import jinja2
from jinja2.filters import make_attrgetter
from jinja2.utils import generate_lorem_ipsum, pass_context, pass_environment, pass_eval_context

from engine.i18n import tr
from engine.outputs.sandbox_bounds import (
    MAX_LIPSUM_PARAGRAPHS, MAX_LIPSUM_WORDS, TemplateLimit, _binop, _budget, _checked, _refuse_size, _width,
    check_printf, size_of,
)


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
        _width(args[0] if args else kwargs.get("width", 0), tr("sandbox.what.width_of", name=name))
    elif name == "expandtabs":
        tabsize = args[0] if args else kwargs.get("tabsize", 8)
        _width(tabsize, tr("sandbox.what.tabs_of"))
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
        _width(width, tr("sandbox.what.width_of", name="center"))
        return base["center"](value, width)

    def indent(value, width=4, first=False, blank=False):
        _width(width, tr("sandbox.what.indent_by"))
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
        _width(width, tr("sandbox.what.width_of", name="wordwrap"))
        text = str(s)
        lines = len(text) // max(int(width), 1) + text.count("\n") + 1
        _refuse_size(len(text) + lines * len(wrapstring or "\n"), "`wordwrap`")
        return base["wordwrap"](env, s, width, break_long_words, wrapstring, break_on_hyphens)

    def batch(value, linecount, fill_with=None):
        _width(linecount, tr("sandbox.what.batches_of"))
        return base["batch"](value, linecount, fill_with)

    def slice_(value, slices, fill_with=None):
        _width(slices, tr("sandbox.what.slice_into"))
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
            _checked(result, tr("sandbox.what.filter", name=name))
        return result

    accounted.__name__ = getattr(function, "__name__", name)
    return _pass_like(function, accounted)


def _lipsum(n=5, html=True, min=20, max=100):  # noqa: A002 - Jinja's own argument names
    if not 0 <= n <= MAX_LIPSUM_PARAGRAPHS:
        raise TemplateLimit(tr("sandbox.lipsum_paragraphs", count=n, limit=MAX_LIPSUM_PARAGRAPHS))
    if not 0 <= min <= max <= MAX_LIPSUM_WORDS:
        raise TemplateLimit(tr("sandbox.lipsum_words", count=max, limit=MAX_LIPSUM_WORDS))
    return generate_lorem_ipsum(n, html, min, max)


@pass_context
def _loop(context, iterable):
    """Every `for` loop's items, counted against the budget (the parser puts this filter on each loop)."""
    budget = _budget()
    for item in iterable:
        budget.tick()
        yield item
