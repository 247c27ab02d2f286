"""The ruleset language's variants: library blocks, decision tables, weight ranges, review findings."""
from __future__ import annotations

import pytest

from engine.api import load_ruleset
from engine.errors import EvalrunError
from tests.helpers import REPO, copy_workspace

# These tests read evalrun's English messages (--lang en); tests/test_language.py and test_bad_inputs.py check the Chinese default.
pytestmark = pytest.mark.usefixtures("english")


def ruleset_with(tmp_path, text: str):
    ws = copy_workspace(tmp_path / "ws")
    (ws / "rulesets" / "t").mkdir()
    (ws / "rulesets" / "t" / "ruleset.yaml").write_text('extends: "library-demo"\n' + text, encoding="utf-8")
    return ws


TABLE = """methods:
  steps:
    label: 查表
    kind: quantitative
    table:
      input: actual
      rows:
{rows}
"""


@pytest.mark.parametrize("rows,message", [
    ("        - {to: 10, score: 5}\n        - {from: 12, score: 0}", "has a gap between [−∞, 10] and [12, +∞]"),
    ("        - {to: 10, score: 5}\n        - {from: 8, score: 0}", "rows [−∞, 10] and [8, +∞] of the table of `steps` overlap"),
    ("        - {from: 0, to: 10, score: 5}\n        - {from: 10, score: 0}", "has no row for inputs below 0"),
    ("        - {to: 10, score: 5}\n        - {from: 10, to: 20, score: 0}", "has no row for inputs above 20"),
    ("        - {to: 10, score: wieght}\n        - {from: 10, score: 0}", "unknown name `wieght` (did you mean `weight`?)"),
])
def test_decision_tables_are_checked_at_load(tmp_path, rows, message):
    ws = ruleset_with(tmp_path, TABLE.format(rows=rows))
    with pytest.raises(EvalrunError) as caught:
        load_ruleset(ws, "t")
    assert message in str(caught.value)
    assert str(caught.value).startswith("rulesets/t/ruleset.yaml:")


def test_unknown_library_block_suggests_the_right_one(tmp_path):
    ws = ruleset_with(tmp_path, "use: [methods/ratoi]\n")
    with pytest.raises(EvalrunError) as caught:
        load_ruleset(ws, "t")
    assert "rulesets/t/ruleset.yaml:2:7: `use` names the library block `methods/ratoi`" in str(caught.value)
    assert "did you mean `methods/ratio`?" in str(caught.value)


def test_a_group_with_weight_and_range_is_refused(tmp_path):
    ws = ruleset_with(tmp_path, "framework:\n  - {name: 产出指标, weight_range: {min: 0, max: 70}, weight: 65}\n")
    with pytest.raises(EvalrunError) as caught:
        load_ruleset(ws, "t")
    assert "needs either `weight` (fixed points) or `weight_range`" in str(caught.value)


def test_giving_a_range_drops_the_inherited_fixed_weight(tmp_path):
    ws = ruleset_with(tmp_path, "framework:\n  - {name: 产出指标, weight_range: {min: 50, max: 70}}\n")
    group = load_ruleset(ws, "t").group("产出指标")
    assert group.weight is None and group.weight_range == (50, 70)


def test_library_demo_is_built_from_blocks():
    assert load_ruleset(REPO, "library-demo").methods.keys() >= {"ratio", "reverse_ratio", "qualitative_bands"}
