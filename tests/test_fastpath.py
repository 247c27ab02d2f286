"""The fast scorer gives what the reference path gives: every field, every trace, every error."""
from __future__ import annotations

import dataclasses
import pickle
from decimal import Decimal

import pytest

from benchmarks.generate import project_data, to_yaml
from benchmarks.handwritten import engine_scores, score_project as handwritten
from engine.api import load_ruleset
from engine.errors import EvalrunError
from engine.evaluate import evaluate_project, evaluate_project_reference
from engine.fastpath import DeferredScore
from engine.load import load_text
from engine.model import Score
from engine.resolve import build_project
from test_evaluate import CASES, project_yaml
from conftest import REPO

MODES = ("unallocated", "rescale", "redistribute")


@pytest.fixture(scope="module")
def rulesets():
    base = load_ruleset(REPO, "2025")
    return {mode: dataclasses.replace(base, not_applicable=mode) for mode in MODES}


def fields(row: Score) -> dict:
    """Every field of a row, the trace's included, as plain values."""
    values = {f.name: getattr(row, f.name) for f in dataclasses.fields(Score)}
    if row.trace is not None:
        values["trace"] = {f.name: getattr(row.trace, f.name) for f in dataclasses.fields(row.trace)}
    return values


def same(fast, reference) -> None:
    rate, budget, rows, groups, total, max_total, grade = fast
    assert (rate, total, max_total, grade) == (reference[0], reference[4], reference[5], reference[6])
    assert [str(x) for x in (rate, total, max_total)] == [str(x) for x in (reference[0], reference[4], reference[5])]
    assert fields(budget) == fields(reference[1])
    assert [fields(r) for r in rows] == [fields(r) for r in reference[2]]
    assert [str(r.score) for r in rows] == [str(r.score) for r in reference[2]], "same digits, not only equal"
    assert groups == reference[3]


def generated(ruleset, index):
    text = to_yaml(project_data(11, index, 5)).replace("fiscal_year: 2025", f"fiscal_year: {ruleset.fiscal_year}")
    return build_project(load_text(text, f"p{index}.yaml"), f"p{index}.yaml", ruleset)


@pytest.mark.parametrize("mode", MODES)
def test_generated_projects_score_as_the_reference_scores_them(rulesets, mode):
    ruleset = rulesets[mode]
    for index in range(120):
        project = generated(ruleset, index)
        same(evaluate_project(ruleset, project), evaluate_project_reference(ruleset, project))


def test_handwritten_baseline_agrees_with_the_engine(rulesets):
    ruleset = rulesets["unallocated"]
    for index in range(200):
        project = generated(ruleset, index)
        assert handwritten(project) == engine_scores(evaluate_project(ruleset, project))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_scoring_cases_and_their_errors_are_the_reference_ones(rulesets, mode, case):
    ruleset = rulesets[mode]
    rows = [{"level1": "产出指标", "level2": "数量指标", "name": "指标", **case["row"]},
            {"level1": "产出指标", "level2": "质量指标", "applicable": False},
            {"level1": "效益指标", "level2": "社会效益指标", "name": "y", "weight": 3, "target": "≥3 个", "actual": "2 个"}]
    project = build_project(load_text(project_yaml(rows), "case.yaml"), "case.yaml", ruleset)
    outcomes = []
    for evaluate in (evaluate_project, evaluate_project_reference):
        try:
            outcomes.append(evaluate(ruleset, project))
        except EvalrunError as exc:
            outcomes.append(str(exc))
    if isinstance(outcomes[1], str):
        assert outcomes[0] == outcomes[1]
    else:
        same(*outcomes)


@pytest.mark.parametrize("row,message", [
    ({"target": "≥5 家", "actual": "5 万元"}, "use the target's unit"),
    ({"target": "≥5 家", "actual": "很好"}, "gives no number"),
    ({"target": "及时", "actual": "还行"}, "cannot tell which level"),
    ({"target": "增长 5% 以上", "actual": "9月"}, "write both the same way"),
    ({"target": "及时", "actual": "及时", "method": "higher_is_better"}, "is quantitative"),
    ({"target": "≤0 万元", "actual": "0 万元", "method": "lower_is_better"}, None),
])
def test_rare_rows_and_mistakes_go_through_the_reference_path(rulesets, row, message):
    ruleset = rulesets["unallocated"]
    rows = [{"level1": "产出指标", "level2": "数量指标", "name": "x", "weight": 65, **row}]
    project = build_project(load_text(project_yaml(rows), "case.yaml"), "case.yaml", ruleset)
    if message is None:
        same(evaluate_project(ruleset, project), evaluate_project_reference(ruleset, project))
        return
    for evaluate in (evaluate_project, evaluate_project_reference):
        with pytest.raises(EvalrunError) as caught:
            evaluate(ruleset, project)
        assert message in str(caught.value) and str(caught.value).startswith("case.yaml:")


def test_a_deferred_row_behaves_as_a_score(rulesets):
    ruleset = rulesets["unallocated"]
    project = generated(ruleset, 3)
    row = evaluate_project(ruleset, project)[2][0]
    assert isinstance(row, DeferredScore) and isinstance(row, Score)
    assert row == evaluate_project(ruleset, project)[2][0]
    copy = pickle.loads(pickle.dumps(row))
    assert fields(copy) == fields(row)
    changed = dataclasses.replace(row, score=Decimal("1.23"))
    assert changed.score == Decimal("1.23") and changed.name == row.name and changed.trace == row.trace
    assert set(vars(row)) >= {f.name for f in dataclasses.fields(Score)}, "every field is filled in once read"
    assert "DeferredScore(" in repr(row) and row.name in repr(row)
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.score = Decimal(0)


def _rule_case_projects():
    """(id, ruleset, project) for every rule-test case of every bundled ruleset that scores."""
    from engine.inherit import merge
    from engine.load import load_file
    from engine.rulesets import RulesetCache, derive, known_rulesets
    from engine.ruletests import _default_project, case_files

    found = []
    for name in known_rulesets(REPO):
        cache = RulesetCache(REPO, name)
        for path in case_files(REPO, name):
            data = load_file(path, path.name)
            ruleset_for = (lambda d, r=derive(REPO, name, data["ruleset"], path.name): r) if "ruleset" in data \
                else cache.for_department
            for case in data["cases"]:
                if "error" in case:
                    continue
                if "project_file" in case:
                    project_data = load_file(REPO / case["project_file"], case["project_file"])
                else:
                    project_data = merge(_default_project(cache.base.fiscal_year, case.source), case["project"])
                ruleset = ruleset_for(str(project_data["department"]))
                found.append((f"{name}:{case['name']}", ruleset, build_project(project_data, path.name, ruleset)))
    return found


RULE_CASE_PROJECTS = _rule_case_projects()


@pytest.mark.parametrize("ruleset,project", [c[1:] for c in RULE_CASE_PROJECTS], ids=[c[0] for c in RULE_CASE_PROJECTS])
def test_every_rule_test_project_scores_as_the_reference_scores_it(ruleset, project):
    """Tables, deductions, weight ranges, fixed points, variants: the fast path agrees or steps aside."""
    same(evaluate_project(ruleset, project), evaluate_project_reference(ruleset, project))
