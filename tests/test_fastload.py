"""The quick YAML constructor builds exactly what load.py's own constructor builds, or steps aside."""
from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings, strategies as st

from benchmarks.generate import project_data, to_yaml
import engine.files.load as load
from engine.errors import EvalrunError
from engine.files.load import _check_expansion, _check_shape, _PositionLoader, load_text
from engine.files.located import LDict, LList
from tests.helpers import REFERENCE_FILE, REPO

# These tests read evalrun's English messages (--lang en); tests/test_language.py and test_bad_inputs.py check the Chinese default.
pytestmark = pytest.mark.usefixtures("english")


def reference(text: str, filename: str = "f.yaml"):
    """load.py's constructor alone, without the quick path (after the same shape check load_text makes)."""
    _check_shape(text, filename)
    loader = _PositionLoader(text)
    loader.filename = filename
    try:
        node = loader.get_single_node()
        _check_expansion(node, filename)
        return super(_PositionLoader, loader).construct_document(node)
    finally:
        loader.dispose()


def same(a, b) -> None:
    assert type(a) is type(b), (a, b)
    if isinstance(a, LDict):
        assert list(a) == list(b) and a.source == b.source
        assert a.key_sources == b.key_sources and a.value_sources == b.value_sources
        for key in a:
            same(a[key], b[key])
    elif isinstance(a, LList):
        assert len(a) == len(b) and a.source == b.source and a.item_sources == b.item_sources
        for x, y in zip(a, b):
            same(x, y)
    else:
        assert a == b and str(a) == str(b)


def test_the_c_loader_is_used_when_installed():
    if hasattr(yaml, "CSafeLoader"):
        assert issubclass(_PositionLoader, yaml.CSafeLoader) and load._BaseLoader is yaml.CSafeLoader


DOCUMENTS = [
    REFERENCE_FILE.read_text(encoding="utf-8"),
    (REPO / "rulesets/2025/ruleset.yaml").read_text(encoding="utf-8"),
    to_yaml(project_data(3, 1, 4)),
    "a: 1\nb: 1.50\nc: true\nd: null\ne: 2025-04-27\nf: [1, '2', 3.0]\n7: seven\ng: {}\nh: []\n",
    "list:\n  - {x: 1}\n  - - nested\n    - 0x1F\n",
    "a: &anchor {x: 1}\nb: *anchor\n",           # aliases: the full constructor
    "base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n",  # merge keys
    "a: !!binary aGVsbG8=\n",
    "a: !!set {x, y}\n",
    "- 1\n- 2\n",
    "just text\n",
    "a: 1\na: 2\n",                             # duplicate: the full constructor says so
    "a: .inf\n",
    "? [1, 2]\n: x\n",
    "1.5: x\n",
    "true: x\n",
    "a: " + "[" * 70 + "]" * 70 + "\n",
    "a: " + "[" * 60 + "]" * 60 + "\n",
]


@pytest.mark.parametrize("text", DOCUMENTS, ids=range(len(DOCUMENTS)))
def test_quick_constructor_equals_the_full_one(text):
    outcomes = []
    for build in (lambda t: load_text(t, "f.yaml"), reference):
        try:
            outcomes.append(build(text))
        except EvalrunError as exc:
            outcomes.append(str(exc))
        except yaml.YAMLError as exc:
            outcomes.append(f"yaml: {exc}")
    if isinstance(outcomes[1], str) or isinstance(outcomes[0], str):
        if outcomes[1].startswith("yaml: "):  # load_text turns YAML errors into EvalrunError
            assert isinstance(outcomes[0], str)
        else:
            assert outcomes[0] == outcomes[1]
    else:
        same(outcomes[0], outcomes[1])


_NUMBER_TEXTS = st.one_of(
    st.from_regex(r"[0-9]{1,18}", fullmatch=True),
    st.from_regex(r"[0-9]{1,18}\.[0-9]{1,13}", fullmatch=True),
    st.from_regex(r"[-+]?[0-9_]{1,17}(\.[0-9_]{0,12})?([eE][-+]?[0-9]{1,3})?", fullmatch=True),
    st.sampled_from(["010", "0.000", "1.", ".5", "0x1F", "1_000", "0.0e+500", "１２", "٣",
                     # at the limits: 15 digits before the point and 10 after are read, one more is refused
                     "123456789012345", "1234567890123456", "123456789012345.5", "1234567890123456.5",
                     "0001234567890123456.5", "0.1234567890", "0.12345678901"]),
)


@settings(max_examples=300, deadline=None)
@given(_NUMBER_TEXTS, st.booleans())
def test_numbers_read_by_the_quick_path_are_what_the_full_constructor_reads(text, as_key):
    """Plain digits and decimals are read without load.py's constructors: the same values, the same refusals."""
    document = f"{text}: x\n" if as_key else f"a: {text}\nb: [{text}]\n"
    test_quick_constructor_equals_the_full_one(document)


def test_deep_document_is_refused_with_its_line():
    text = "a: " + "[" * 70 + "]" * 70 + "\n"
    with pytest.raises(EvalrunError) as caught:
        load_text(text, "deep.yaml")
    assert "nests deeper" in str(caught.value) and str(caught.value).startswith("deep.yaml:")
