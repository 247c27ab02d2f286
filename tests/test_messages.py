"""Messages that used to mislead, as the CLI prints them now (the broken files are in tests/bad_inputs too)."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import REFERENCE_FILE, copy_workspace

# These tests read evalrun's English messages (--lang en); tests/test_language.py and test_bad_inputs.py check the Chinese default.
pytestmark = pytest.mark.usefixtures("english")

REFERENCE = f"projects/2025/益阳市商务局/{REFERENCE_FILE.name}"
FARM = "projects/2025/益阳市农业农村局/高标准农田建设项目.yaml"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_tab_before_a_list_item_is_called_a_tab(tmp_path, run_cli):
    ws = copy_workspace(tmp_path / "ws", reference_only=True)
    _edit(ws / REFERENCE, "  - level1: 产出指标\n    level2: 数量指标\n    name: 引进",
          "\t- level1: 产出指标\n    level2: 数量指标\n    name: 引进")
    result = run_cli("validate", "--ruleset", "2025", workspace=ws)
    assert result.exit_code == 1
    assert "a tab character is used for indentation; YAML needs spaces" in result.stderr
    assert "`@`" not in result.stderr


def test_a_value_starting_with_at_names_the_character(tmp_path, run_cli):
    ws = copy_workspace(tmp_path / "ws", reference_only=True)
    _edit(ws / REFERENCE, "actual: 12 家", "actual: @12 家")
    result = run_cli("validate", "--ruleset", "2025", workspace=ws)
    assert result.exit_code == 1
    assert "YAML syntax error: a value cannot start with `@`; put the value in quotes" in result.stderr


@pytest.mark.chinese  # reads the Chinese default: the findings, explain and store lines it checks
def test_extends_written_without_quotes_is_accepted(tmp_path, run_cli):
    ws = copy_workspace(tmp_path / "ws", projects=False)
    (ws / "rulesets/2026").mkdir()
    (ws / "rulesets/2026/ruleset.yaml").write_text("extends: 2025\nfiscal_year: 2026\nversion: '2026.1'\n",
                                                  encoding="utf-8")
    assert run_cli("validate", "--ruleset", "2026", workspace=ws).exit_code == 0
    result = run_cli("diff", "2025", "2026", workspace=ws)
    assert result.exit_code == 0 and result.stdout.startswith("2025 → 2026: 2 处变化"), result.output


def test_extends_with_a_value_that_is_no_folder_name_says_to_quote_it(tmp_path, run_cli):
    ws = copy_workspace(tmp_path / "ws", projects=False)
    (ws / "rulesets/2026").mkdir()
    (ws / "rulesets/2026/ruleset.yaml").write_text("extends: [2025]\n", encoding="utf-8")
    result = run_cli("validate", "--ruleset", "2026", workspace=ws)
    assert result.exit_code == 1
    assert result.stderr.startswith('rulesets/2026/ruleset.yaml:1:10: `extends` must name a ruleset folder, written '
                                    'in quotes: `extends: "2025"`; got a list')


def test_a_weight_with_a_unit_is_told_weights_are_plain_numbers(tmp_path, run_cli):
    ws = copy_workspace(tmp_path / "ws", reference_only=True)
    _edit(ws / REFERENCE, "    weight: 10\n", "    weight: 10分\n")
    result = run_cli("validate", "--ruleset", "2025", workspace=ws)
    assert result.exit_code == 1
    assert ("indicators[0].weight should be a number, got the text `10分`; weights and scores are plain numbers of "
            "points (分), without a unit: write `10`") in result.stderr
    assert "unit has its own key" not in result.stderr


@pytest.mark.chinese  # reads the Chinese default: the findings, explain and store lines it checks
def test_a_score_below_its_band_is_said_to_be_below(tmp_path, run_cli):
    ws = copy_workspace(tmp_path / "ws")
    _edit(ws / FARM, "    reported_score: 7 ", "    reported_score: 2 ")
    result = run_cli("review", "--ruleset", "2025", workspace=ws)
    assert "“带动农户增收”自评得分 2，低于“部分达成并具有一定效果”档允许的 3–4 分（分值 5）" in result.stdout
    assert "超出" not in result.stdout


@pytest.mark.chinese  # reads the Chinese default: the findings, explain and store lines it checks
def test_a_band_of_one_point_reads_as_that_point(tmp_path, run_cli):
    """2024 gives each qualitative level a fixed point: the band of 部分达成 on 5 points is 3.25, not 3.25–3.25."""
    ws = copy_workspace(tmp_path / "ws")
    result = run_cli("diff", "2024", "2025", "--impact", workspace=ws)
    assert "仅在 2024 下的提示：“带动农户增收”自评得分 7，高于“部分达成并具有一定效果”档允许的 3.25 分（分值 5）" \
        in result.stdout, result.stdout
    assert "3.25–3.25" not in result.stdout
