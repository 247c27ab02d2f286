"""The quick schema checks accept a file only if jsonschema finds nothing wrong with it."""
from __future__ import annotations

import copy
from decimal import Decimal

import pytest
import yaml
from hypothesis import given, settings, strategies as st

from engine.files.fastschema import Unsupported, compile_schema
from engine.files.load import load_file, load_text
from engine.files.validate import quick_check, validator
from tests.helpers import REFERENCE_FILE, REPO

ODD_VALUES = [None, "", "x", -1, 0, 2025, Decimal("1.5"), Decimal("-2"), True, [], {}, ["a"], {"a": 1}, "优"]


def jsonschema_ok(data, name) -> bool:
    return not list(validator(name).iter_errors(data))


@pytest.mark.parametrize("name,path", [("project", REFERENCE_FILE), ("ruleset", REPO / "rulesets/2025/ruleset.yaml")])
def test_the_shipped_files_pass_quickly(name, path):
    assert quick_check(name) is not None, "the shipped schemas compile"
    assert quick_check(name)(load_file(path))


def test_broken_inputs_are_left_to_jsonschema():
    cases = yaml.safe_load((REPO / "tests/bad_inputs/cases.yaml").read_text(encoding="utf-8"))
    base = (REPO / "tests/bad_inputs/_base_ruleset.txt")
    checked = 0
    for name, case in cases.items():
        try:
            data = load_text((REPO / "tests/bad_inputs" / name).read_text(encoding="utf-8"), name)
        except Exception:  # noqa: BLE001 - not even YAML: nothing to check
            continue
        schema = "ruleset" if case["kind"] == "ruleset" else "project"
        if not jsonschema_ok(data, schema):
            assert not quick_check(schema)(data), name
            checked += 1
    assert checked >= 3 and base.is_file()


def paths(data, prefix=()):
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from paths(value, prefix + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from paths(value, prefix + (index,))


def plain(data):
    if isinstance(data, dict):
        return {k: plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [plain(v) for v in data]
    return data


BASES = {"project": plain(load_file(REFERENCE_FILE)), "ruleset": plain(load_file(REPO / "rulesets/2025/ruleset.yaml"))}


@settings(max_examples=500, deadline=None)
@given(name=st.sampled_from(sorted(BASES)), picks=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 2),
                                                                      st.sampled_from(ODD_VALUES)), min_size=1, max_size=3))
def test_quick_check_agrees_with_jsonschema_on_mutated_files(name, picks):
    data = copy.deepcopy(BASES[name])
    for where, action, value in picks:
        places = [p for p in paths(data) if p]
        parent_path = places[where % len(places)]
        parent = data
        for part in parent_path[:-1]:
            parent = parent[part]
        last = parent_path[-1]
        if action == 0:
            parent[last] = copy.deepcopy(value)
        elif action == 1 and isinstance(parent, dict):
            del parent[last]
        elif isinstance(parent, dict):
            parent["unknown_" + str(last)] = copy.deepcopy(value)
    assert quick_check(name)(data) == jsonschema_ok(data, name)


@pytest.mark.parametrize("schema", [
    {"anyOf": [{"type": "string"}]}, {"type": "string", "format": "date"}, {"enum": [1, 2]},
    {"items": [{"type": "string"}]}, {"$ref": "https://example.com/x.json"}, {"patternProperties": {"a": {}}},
])
def test_keywords_it_does_not_know_leave_everything_to_jsonschema(schema):
    with pytest.raises(Unsupported):
        compile_schema(schema)
