"""Helpers shared by every stage. quick_init: frozen dataclasses made as quickly as plain ones.

A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``
(its own ``__setattr__`` refuses): for the model classes a run makes by the
hundred thousand (an Indicator has 18 fields) that is a few percent of a run.
``quick_init`` gives such a class an ``__init__`` that takes the same
arguments, with the same defaults, and sets all fields in one step. The class
stays frozen: only ``__init__`` changes (it fills the instance's dict, which
``__setattr__`` does not guard). The cost: that dict is the instance's own,
not one sharing its keys with the others (about 250 bytes more for an
Indicator), which is fine for objects made and dropped a project at a time.
``tests/test_frozen.py`` checks that objects made either way are equal.
"""
from __future__ import annotations

import dataclasses

_FACTORY = object()  # a field's default is made by its default_factory


def one_line(text) -> str:
    """Text for a YAML comment: every line break (YAML counts \\x85, \\u2028 and \\u2029 too) and run of spaces
    one space, so that nothing after it is read as YAML."""
    return " ".join(str(text).split())


def quick_init(cls: type) -> type:
    """``cls`` (a frozen dataclass of plain fields) with the quick ``__init__``; a class decorator."""
    params = getattr(cls, "__dataclass_params__", None)
    fields = dataclasses.fields(cls) if params is not None else ()
    if (params is None or not params.frozen or "__slots__" in cls.__dict__ or hasattr(cls, "__post_init__")
            or any(not f.init or f.kw_only for f in fields)):
        raise TypeError(f"quick_init: {cls.__name__} is not a frozen dataclass of plain fields")
    namespace = {"_FACTORY": _FACTORY}
    arguments, made = [], []
    for field in fields:
        name = field.name
        if field.default is not dataclasses.MISSING:
            namespace[f"_default_{name}"] = field.default
            arguments.append(f"{name}=_default_{name}")
        elif field.default_factory is not dataclasses.MISSING:
            namespace[f"_factory_{name}"] = field.default_factory
            arguments.append(f"{name}=_FACTORY")
            made.append(f"    if {name} is _FACTORY:\n        {name} = _factory_{name}()\n")
        else:
            arguments.append(name)
    values = ", ".join(f"{field.name!r}: {field.name}" for field in fields)
    source = (f"def __init__(self, {', '.join(arguments)}):\n" + "".join(made)
              + f"    self.__dict__.update({{{values}}})\n")
    exec(source, namespace)  # noqa: S102 - the text is made above from the class's own field names
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    cls.__init__ = init
    return cls
