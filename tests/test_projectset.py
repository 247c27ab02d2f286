"""The year's project files as a set: the quick reading of each file's project and department."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from engine.files.projectset import _TOP_KEY, _top_keys

PIECES = st.sampled_from(["project", "department", ":", " ", "\t", "\n", "\r", "x", "'", '"', "#", "projects",
                          " project", "a: b", "甲"])


@settings(max_examples=500, deadline=None)
@given(st.lists(PIECES, max_size=30))
def test_top_keys_are_found_where_the_pattern_finds_them(parts):
    text = "".join(parts)
    assert [m.group(0, 1, 2) for m in _top_keys(text)] == [m.group(0, 1, 2) for m in _TOP_KEY.finditer(text)]
