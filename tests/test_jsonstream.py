"""The streamed --json output is the text json.dumps gives for the whole payload."""
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings, strategies as st

from engine.jsonstream import JsonRunWriter, _dumps

REF = {"id": "x", "version": "1", "sha256": "ab"}
PROJECT = {"project": "甲", "total": 95.53, "rows": [{"a": 1, "b": None, "c": "多行\n文本"}], "empty": [], "e": {}}


@pytest.mark.parametrize("projects,failures", [
    ([], []),
    ([PROJECT], []),
    ([PROJECT, {**PROJECT, "project": "乙"}, PROJECT], [{"file": "a.yaml", "errors": ["a.yaml:1: bad"]}]),
    ([], [{"file": "a.yaml", "errors": []}]),
])
def test_streamed_json_equals_json_dumps(projects, failures):
    chunks = []
    writer = JsonRunWriter(chunks.append)
    for project in projects:
        writer.project(REF, project)
    writer.finish(REF, failures)
    expected = json.dumps({"ruleset": REF, "projects": projects, "failures": failures}, ensure_ascii=False, indent=2)
    assert "".join(chunks) == expected + "\n"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    | st.tuples(children),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(value=json_values, depth=st.integers(0, 3))
def test_quick_writer_is_json_dumps(value, depth):
    assert _dumps(value, depth) == json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n" + "  " * depth)


def test_quick_writer_handles_other_key_types_like_json():
    value = {1: "a", "b": {2.5: [float("nan")]}}
    assert _dumps(value, 1) == json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n  ")
