"""Tables as departments really fill them (issue 14): what a user sees for each point, end to end.

Each test edits a copy of the reference project (illustrative data) and reads the CLI's output;
the rule tests in rulesets/2025/tests/ and rulesets/library-demo/tests/ hold the scoring cases.
"""
from __future__ import annotations

import json

from conftest import REFERENCE_FILE, copy_workspace

REL = f"projects/2025/益阳市商务局/{REFERENCE_FILE.name}"


def _ws(tmp_path, edit=lambda text: text):
    ws = copy_workspace(tmp_path / "ws", reference_only=True)
    path = ws / REL
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return ws


def _json(run_cli, ws, *extra):
    result = run_cli("--ruleset", "2025", "--json", *extra, workspace=ws)
    (project,) = json.loads(result.stdout)["projects"]
    return result, project


def _line_of(ws, text: str) -> int:
    return next(n for n, line in enumerate((ws / REL).read_text(encoding="utf-8").splitlines(), 1) if text in line)


# ---------------------------------------------------------------- an actual that repeats the target


def test_each_repeated_target_is_a_warning_at_its_actual_line(tmp_path, run_cli):
    ws = _ws(tmp_path)
    result, project = _json(run_cli, ws)
    assert result.exit_code == 0 and project["total"] == 95.53 and project["grade"] == "优"
    repeated = [f for f in project["findings"] if f["check"] == "repeated_target"]
    assert [(f["severity"], f["line"]) for f in repeated] == [
        ("warning", _line_of(ws, "actual: ≤990 万元")), ("warning", _line_of(ws, "actual: ≥90%"))]


def test_unjudged_repeated_target_stops_at_the_row(tmp_path, run_cli):
    ws = _ws(tmp_path)
    ruleset = ws / "rulesets/2025/ruleset.yaml"
    ruleset.write_text(ruleset.read_text(encoding="utf-8").replace(
        '  equal_as: ">="', '  equal_as: ">="\n  repeated_actual: unjudged'), encoding="utf-8")
    result = run_cli("--ruleset", "2025", "--json", workspace=ws)
    assert result.exit_code != 0
    assert f"{REL}:{_line_of(ws, 'actual: ≤990 万元')}:" in result.output
    assert "repeats the target `≤990 万元`" in result.output and "Traceback" not in result.output


# ---------------------------------------------------------------- totals that cannot exceed their weights


def test_rows_over_their_group_name_the_group_the_sum_and_the_total(tmp_path, run_cli):
    ws = _ws(tmp_path, lambda t: t.replace("    weight: 5\n    reported_score: 5\n  - level1: 效益指标",
                                           "    weight: 10\n    reported_score: 5\n  - level1: 效益指标", 1))
    _, project = _json(run_cli, ws)
    (finding,) = [f for f in project["findings"] if f["check"] == "group_weights"]
    assert finding["message"].startswith("产出指标各三级指标分值合计 70，规则规定产出指标为 65 分；全表分值合计 105，超过总分 100 分")
    assert project["groups"][0] == {"name": "产出指标", "weight": 65, "score": 65}  # not 70
    assert project["total"] <= 100


def test_the_total_never_exceeds_the_stated_total(tmp_path, run_cli):
    ws = _ws(tmp_path, lambda t: t.replace("reported_total: 95.53", "reported_total: 95.53\nstated_total: 90"))
    _, project = _json(run_cli, ws)
    assert project["total"] == 90 and project["max_total"] == 90
    (finding,) = [f for f in project["findings"] if f["check"] == "total_weight"]
    assert "合计 100，超过表中标明的总分 90 分" in finding["message"]
    assert finding["line"] == _line_of(ws, "stated_total: 90")
