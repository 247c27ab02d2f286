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
(``Bounds``), passed in, never module globals patched by tests. The limits
and their accounting are engine.outputs.sandbox_bounds; the bounded filters,
functions and text methods, engine.outputs.sandbox_filters.
"""
from __future__ import annotations

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator
from jinja2.exceptions import SecurityError
from jinja2.runtime import Namespace
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from engine.i18n import tr
from engine.outputs.sandbox_bounds import (
    DEFAULT_BOUNDS, Bounds, _BoundedEscapeFormatter, _BoundedFormatter, _binop, _budget, _checked, _current, budget,
)
from engine.outputs.sandbox_filters import _TEXT_METHODS, _check_text_method, _filters, _lipsum, _loop


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
                raise SecurityError(tr("sandbox.text_method", name=name))
            if name == "join" and args:
                args = (list(args[0]),) + args[1:]  # measured first, then joined: an iterator is read once
            _check_text_method(name, owner, args, kwargs)
        result = super().call(__context, __obj, *args, **kwargs)
        if isinstance(result, (str, bytes, list, tuple, dict, Namespace)):
            _checked(result, tr("sandbox.what.calling", name=name or repr(__obj)))
        return result
