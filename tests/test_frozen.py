"""quick_init: a frozen dataclass made by its quick __init__ is the one its own __init__ makes."""
from __future__ import annotations

import dataclasses
import inspect
import pickle

import pytest

from engine._util import quick_init
from engine.errors import Source
from engine.model import Budget, Deduction, FundPart, Goal, Indicator, Project, SpendingLine, SubItem
from engine.rules.targets import Measure
from engine.scoring.advice import Advice
from engine.scoring.findings import Finding
from engine.scoring.results import GroupScore, Input, ProjectResult

QUICK = [Source, Indicator, Project, Budget, SubItem, FundPart, SpendingLine, Goal, Deduction, Measure, Finding,
         ProjectResult, Input, GroupScore, Advice]


@dataclasses.dataclass(frozen=True)
class Plain:
    name: str
    weight: int = 5
    sources: dict = dataclasses.field(default_factory=dict)
    note: str = ""


@quick_init
@dataclasses.dataclass(frozen=True)
class Quick:  # Plain, with the quick __init__
    name: str
    weight: int = 5
    sources: dict = dataclasses.field(default_factory=dict)
    note: str = ""


@pytest.mark.parametrize("args,kwargs", [
    (("a",), {}), (("a", 7), {}), (("a",), {"note": "n"}), ((), {"name": "a", "sources": {"k": 1}}),
    (("a", 1, {"x": 2}, "t"), {}),
])
def test_the_quick_init_makes_what_the_dataclass_makes(args, kwargs):
    quick, plain = Quick(*args, **kwargs), Plain(*args, **kwargs)
    assert dataclasses.astuple(quick) == dataclasses.astuple(plain)
    assert repr(quick).replace("Quick", "Plain") == repr(plain)
    assert quick == Quick(*args, **kwargs) and quick != Quick("other")


def test_each_object_gets_its_own_default_from_a_factory():
    assert Quick("a").sources is not Quick("b").sources


@pytest.mark.parametrize("args,kwargs", [((), {}), (("a", 1, {}, "", "extra"), {}), (("a",), {"unknown": 1}),
                                         (("a",), {"name": "twice"})])
def test_wrong_arguments_are_refused_as_the_dataclass_refuses_them(args, kwargs):
    with pytest.raises(TypeError):
        Plain(*args, **kwargs)
    with pytest.raises(TypeError):
        Quick(*args, **kwargs)


def test_the_object_stays_frozen_and_survives_pickle_and_replace():
    quick = Quick("a", 2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        quick.name = "b"
    assert pickle.loads(pickle.dumps(quick)) == quick
    assert dataclasses.replace(quick, weight=3) == Quick("a", 3)


@pytest.mark.parametrize("cls", QUICK, ids=lambda c: c.__name__)
def test_the_model_classes_take_their_fields_with_their_defaults(cls):
    parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
    fields = dataclasses.fields(cls)
    assert [p.name for p in parameters] == [f.name for f in fields]
    for parameter, field in zip(parameters, fields):
        if field.default is not dataclasses.MISSING:
            assert parameter.default is field.default
        elif field.default_factory is dataclasses.MISSING:
            assert parameter.default is inspect.Parameter.empty


def test_only_a_frozen_dataclass_of_plain_fields_is_taken():
    @dataclasses.dataclass
    class Open:
        a: int

    @dataclasses.dataclass(frozen=True)
    class Checked:
        a: int

        def __post_init__(self):
            pass

    for cls in (Open, Checked, int):
        with pytest.raises(TypeError):
            quick_init(cls)
