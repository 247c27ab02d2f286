"""The streamed --json output is the text json.dumps gives for the whole payload."""
from __future__ import annotations

import json

import pytest

from engine.jsonstream import JsonRunWriter

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
