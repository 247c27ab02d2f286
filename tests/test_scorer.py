"""The scorer: one code path, the trace an observer of it.

Scoring without a tracer makes no trace; a row's trace, made when first
read, is the one a FullTracer records while scoring, and it explains the
published score (the same code ran). The hand-written baseline of the
benchmark agrees with the engine; rows behave as Score values.
"""
from __future__ import annotations

import dataclasses
import pickle
from decimal import Decimal

import pytest

from benchmarks.generate import project_data, to_yaml
from benchmarks.handwritten import engine_scores, score_project as handwritten
from engine import model
import engine.scoring.trace as trace_module
from engine.api import load_ruleset
from engine.errors import EvalrunError
from engine.scoring.evaluate import evaluate_project
from engine.files.load import load_text
from engine.model import Score
from engine.rules.project import build_project
from engine.scoring.trace import FullTracer, LazyTrace, Scored
from tests.helpers import CASES, project_yaml
from tests.helpers import REPO

# These tests read evalrun's English messages (--lang en); tests/test_language.py and test_bad_inputs.py check the Chinese default.
pytestmark = pytest.mark.usefixtures("english")

MODES = ("unallocated", "rescale", "redistribute")


@pytest.fixture(scope="module")
def rulesets():
    base = load_ruleset(REPO, "2025")
    return {mode: dataclasses.replace(base, not_applicable=mode) for mode in MODES}


def fields(row: Score) -> dict:
    """Every field of a row, the trace's included, as plain values."""
    values = {f.name: getattr(row, f.name) for f in dataclasses.fields(Score)}
    if row.trace is not None:
        values["trace"] = {f.name: getattr(row.trace, f.name) for f in dataclasses.fields(model.Trace)}
    return values


def same(lazy, traced) -> None:
    assert lazy[0] == traced[0] and lazy[4:] == traced[4:]
    assert [str(x) for x in (lazy[0], lazy[4], lazy[5])] == [str(x) for x in (traced[0], traced[4], traced[5])]
    assert fields(lazy[1]) == fields(traced[1])
    assert [fields(r) for r in lazy[2]] == [fields(r) for r in traced[2]]
    assert lazy[3] == traced[3]


def generated(ruleset, index):
    text = to_yaml(project_data(11, index, 5)).replace("fiscal_year: 2025", f"fiscal_year: {ruleset.fiscal_year}")
    return build_project(load_text(text, f"p{index}.yaml"), f"p{index}.yaml", ruleset)


def explains_its_score(row: Score) -> None:
    """The trace's formula, inputs and result are those of the score the row publishes."""
    if not row.applicable:
        assert row.trace is None and row.score is None
        return
    trace = row.trace
    assert trace.rounded == row.score and trace.method == row.method and trace.met is row.met
    assert trace.band == row.band
    assert Decimal(0) <= trace.raw <= row.allotted
    assert {i.name for i in trace.inputs} >= set(trace.formula.names) - {"rate"}
    assert all(i.source.file for i in trace.inputs), "every input says where it came from"


@pytest.mark.parametrize("mode", MODES)
def test_a_trace_made_when_read_is_the_one_recorded_while_scoring(rulesets, mode):
    ruleset = rulesets[mode]
    for index in range(60):
        project = generated(ruleset, index)
        traced = evaluate_project(ruleset, project, FullTracer(ruleset))
        assert all(type(r.__dict__.get("trace")) is model.Trace for r in traced[2] if r.applicable)
        lazy = evaluate_project(ruleset, project)
        same(lazy, traced)
        for row in (lazy[1],) + lazy[2]:
            explains_its_score(row)


def test_scoring_without_a_tracer_does_no_trace_work(rulesets, monkeypatch):
    ruleset = rulesets["unallocated"]
    project = generated(ruleset, 7)
    evaluate_project(ruleset, project)  # compiled before the trace classes are taken away

    def refuse(*args, **kwargs):
        raise AssertionError("trace work while scoring without a tracer")

    for name in ("numeric", "level", "budget", "formula"):
        monkeypatch.setattr(FullTracer, name, refuse)
    monkeypatch.setattr(trace_module, "Input", refuse)
    monkeypatch.setattr(trace_module, "Trace", refuse)
    rate, budget, rows, *_ = evaluate_project(ruleset, project)
    assert all("trace" not in vars(r) for r in (budget,) + rows if r.applicable)
    assert all(r.method and r.met in (True, False) for r in rows if r.applicable)
    with pytest.raises(AssertionError, match="trace work"):
        rows[0].trace.inputs  # made only now, by scoring the row again with a tracer


def test_handwritten_baseline_agrees_with_the_engine(rulesets):
    ruleset = rulesets["unallocated"]
    for index in range(200):
        project = generated(ruleset, index)
        assert handwritten(project) == engine_scores(evaluate_project(ruleset, project))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_every_scoring_case_scores_the_same_with_and_without_a_tracer(rulesets, mode, case):
    ruleset = rulesets[mode]
    rows = [{"level1": "产出指标", "level2": "数量指标", "name": "指标", **case["row"]},
            {"level1": "产出指标", "level2": "质量指标", "applicable": False},
            {"level1": "效益指标", "level2": "社会效益指标", "name": "y", "weight": 3, "target": "≥3 个", "actual": "2 个"}]
    project = build_project(load_text(project_yaml(rows), "case.yaml"), "case.yaml", ruleset)
    outcomes = []
    for tracer in (None, FullTracer(ruleset)):
        try:
            outcomes.append(evaluate_project(ruleset, project, tracer))
        except EvalrunError as exc:
            outcomes.append(str(exc))
    if isinstance(outcomes[1], str):
        assert outcomes[0] == outcomes[1] and outcomes[0].startswith("case.yaml:")
    else:
        same(*outcomes)


@pytest.mark.parametrize("row,message", [
    ({"target": "≥5 家", "actual": "5 万元"}, "use the target's unit"),
    ({"target": "≥5 家", "actual": "很好"}, "gives no number"),
    ({"target": "及时", "actual": "还行"}, "cannot tell which level"),
    ({"target": "增长 5% 以上", "actual": "9月"}, "write both the same way"),
    ({"target": "及时", "actual": "及时", "method": "higher_is_better"}, "is quantitative"),
    ({"target": "≤0 万元", "actual": "0 万元", "method": "lower_is_better"}, None),
    ({"target": "≤5 万元", "actual": "0 万元", "method": "lower_is_better"}, None),
    ({"target": "≥5 万元", "actual": "60000 元"}, None),
    ({"target": "≥90%", "actual": "≥95%"}, None),
    ({"target": "≥5 个", "actual": "完成"}, None),
])
def test_rare_rows_and_mistakes_in_rows(rulesets, row, message):
    ruleset = rulesets["unallocated"]
    rows = [{"level1": "产出指标", "level2": "数量指标", "name": "x", "weight": 65, **row}]
    project = build_project(load_text(project_yaml(rows), "case.yaml"), "case.yaml", ruleset)
    if message is None:
        same(evaluate_project(ruleset, project), evaluate_project(ruleset, project, FullTracer(ruleset)))
        explains_its_score(evaluate_project(ruleset, project)[2][0])
        return
    for tracer in (None, FullTracer(ruleset)):
        with pytest.raises(EvalrunError) as caught:
            evaluate_project(ruleset, project, tracer)
        assert message in str(caught.value) and str(caught.value).startswith("case.yaml:")


def test_a_scored_row_behaves_as_a_score(rulesets):
    ruleset = rulesets["unallocated"]
    project = generated(ruleset, 3)
    row = evaluate_project(ruleset, project)[2][0]
    assert isinstance(row, Scored) and isinstance(row, Score)
    assert row == evaluate_project(ruleset, project)[2][0]
    copy = pickle.loads(pickle.dumps(row))
    assert fields(copy) == fields(row)
    changed = dataclasses.replace(row, score=Decimal("1.23"))
    assert changed.score == Decimal("1.23") and changed.name == row.name and changed.trace == row.trace
    assert "Scored(" in repr(row) and row.name in repr(row)
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.score = Decimal(0)
    unread = evaluate_project(ruleset, project)[2][0]
    assert isinstance(unread.trace, LazyTrace) and unread.trace.method == row.method
    assert pickle.loads(pickle.dumps(unread.trace)).inputs == row.trace.inputs, "a pickled trace fills in later"


def _rule_case_projects():
    """(id, ruleset, project) for every rule-test case of every bundled ruleset that scores."""
    from engine.rules.inherit import merge
    from engine.files.load import load_file
    from engine.rules.rulesets import RulesetCache, derive, known_rulesets
    from engine.tools.ruletests import _default_project, case_files
    from engine.files.stages import stage_data
    from engine.rules.table import lay_table

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
                project_data, _ = stage_data(project_data, ruleset.kind)  # the stage the ruleset's kind reads
                lay_table(project_data, ruleset)  # rows named after an indicator table (the evaluation kind)
                found.append((f"{name}:{case['name']}", ruleset, build_project(project_data, path.name, ruleset)))
    return found


RULE_CASE_PROJECTS = _rule_case_projects()


@pytest.mark.parametrize("ruleset,project", [c[1:] for c in RULE_CASE_PROJECTS], ids=[c[0] for c in RULE_CASE_PROJECTS])
def test_every_rule_test_project_is_explained_by_its_traces(ruleset, project):
    """Tables, deductions, weight ranges, fixed points, variants: traced and untraced agree."""
    lazy = evaluate_project(ruleset, project)
    same(lazy, evaluate_project(ruleset, project, FullTracer(ruleset)))
    for row in (lazy[1],) + lazy[2]:
        explains_its_score(row)
