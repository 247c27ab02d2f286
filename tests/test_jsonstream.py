"""The streamed --json output is the text json.dumps gives for the whole payload."""
from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import uuid

import pytest
from hypothesis import given, settings, strategies as st

from engine.outputs.jsonstream import JsonRunWriter, _dumps

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


@pytest.mark.parametrize("value", [
    {"tiny": 1e-05, "tinier": 2.5e-07, "small": 0.0001, "text": "1e-5 0.00001"},
    {"nan": float("nan")}, [float("inf"), float("-inf")], {"big": 2 ** 70}, ("a", "tuple"),
    {"surrogate": "\ud800"}, {"1": {2: "non-text key"}}, {"control": "\x00\x1b\x7f\u2028"},
    {"deep": [[[[{"a": [1, 2.5, None, True, False, ""]}]]]]},
])
def test_unusual_values_are_written_as_json_dumps_writes_them(value):
    for depth in (0, 2):
        assert _dumps(value, depth) == json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n" + "  " * depth)


@dataclasses.dataclass
class _Row:
    a: int


class _Text(str):
    pass


class _Level(enum.IntEnum):
    HIGH = 3


@pytest.mark.parametrize("value", [{"text": _Text("subclass")}, [_Level.HIGH], {"n": [1, _Level.HIGH]}])
def test_subclasses_are_written_as_json_dumps_writes_them(value):
    assert _dumps(value, 1) == json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n  ")


@pytest.mark.parametrize("value", [{"when": datetime.date(2025, 1, 1)}, [uuid.UUID(int=7)], {"row": _Row(1)}])
def test_what_json_refuses_is_refused_though_orjson_would_write_it(value):
    with pytest.raises(TypeError):
        json.dumps(value)
    with pytest.raises(TypeError):
        _dumps(value, 1)


def test_a_project_is_written_by_orjson(monkeypatch, reference_workspace):
    """The quick path is the one taken for real results (the slower writer is only a fallback)."""
    import engine.outputs.jsonstream as jsonstream
    from engine.api import RunOptions, run
    from engine.outputs.view import result_json

    if jsonstream.orjson is None:
        pytest.skip("orjson is not installed")
    (result,) = run(RunOptions("2025", reference_workspace, write_reports=False)).results
    data = result_json(result)
    expected = json.dumps(data, ensure_ascii=False, indent=2).replace("\n", "\n    ")
    monkeypatch.setattr(jsonstream, "_quick_dumps", lambda value, depth: pytest.fail("fell back"))
    assert _dumps(data, 2) == expected


def _expected_json(workspace) -> str:
    """`--json` as it was first written: json.dumps of the whole payload."""
    from engine import api
    from engine.outputs.view import result_json

    outcome = api.run(api.RunOptions("bench" if (workspace / "rulesets" / "bench").is_dir() else "2025",
                                     workspace, write_reports=False))
    payload = {"ruleset": outcome.ruleset.ref, "projects": [result_json(r) for r in outcome.results],
               "failures": [{"file": api.display(p, workspace), "errors": [str(e) for e in getattr(e, "errors", [e])]}
                            for p, e in outcome.failures]}
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def test_json_of_the_bundled_example_is_byte_identical(workspace, run_cli):
    broken = workspace / "projects" / "2025" / "测试单位" / "坏文件.yaml"
    broken.parent.mkdir()
    broken.write_text("project: [\n", encoding="utf-8")
    result = run_cli("--ruleset", "2025", "--json", workspace=workspace)
    assert result.stdout == _expected_json(workspace)


def test_json_of_generated_projects_is_byte_identical(tmp_path, run_cli):
    from benchmarks.generate import write_workspace

    workspace = write_workspace(30, 4, 11, tmp_path / "ws")
    result = run_cli("--ruleset", "bench", "--json", workspace=workspace)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == _expected_json(workspace)
