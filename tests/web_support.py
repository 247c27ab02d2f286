"""What the tests of `evalrun serve` share: a workspace with a third project graded 良, forms to upload."""
from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl

from tests.helpers import REFERENCE_FILE, REFERENCE_PROJECT, copy_workspace
from engine import api

DEPARTMENT = "益阳市商务局"
FARM = "益阳市农业农村局"
FARM_PROJECT = "高标准农田建设项目"
THIRD_DEPARTMENT = "益阳市财政局"
THIRD_PROJECT = "财政引导资金示范项目"


def review_workspace(target: Path) -> Path:
    """The bundled 2025 workspace plus a third project, the reference one with 1 家 instead of 12: 87.53 良."""
    workspace = copy_workspace(target)
    # The page's tests were written for the findings the example had before the checks of issue 14: the
    # reference project with none (its two targets repeated as actuals, repeated_target) and the farm project
    # with four (not its 其中 sum, sub_items). Those two checks are off here; tests/test_tables.py has them.
    ruleset = workspace / "rulesets" / "2025" / "ruleset.yaml"
    ruleset.write_text(ruleset.read_text("utf-8").replace(
        "\nchecks:", '\nchecks:\n  repeated_target: "off"\n  sub_items: "off"', 1), "utf-8")
    text = REFERENCE_FILE.read_text("utf-8")
    text = text.replace(f"project: {REFERENCE_PROJECT}", f"project: {THIRD_PROJECT}", 1)
    text = text.replace(f"department: {DEPARTMENT}", f"department: {THIRD_DEPARTMENT}", 1)
    text = re.sub(r"(?m)^    actual: 12 家$", "    actual: 1 家", text, count=1)
    folder = workspace / "projects" / "2025" / THIRD_DEPARTMENT
    folder.mkdir(parents=True)
    (folder / f"{THIRD_PROJECT}.yaml").write_text(text, "utf-8")
    return workspace


def reference_path(workspace: Path) -> Path:
    return workspace / "projects" / "2025" / DEPARTMENT / f"{REFERENCE_PROJECT}.yaml"


def exported_form(workspace: Path, folder: Path) -> Path:
    """The reference department's 自评表 workbook, as `evalrun export` writes it."""
    api.export_forms(api.ExportOptions(ruleset="2025", workspace=workspace, output=folder))
    return folder / f"{DEPARTMENT}.xlsx"


def changed_form(form: Path, cells: dict) -> bytes:
    """The workbook with ``cells`` of its first sheet changed, as Excel would save it."""
    workbook = openpyxl.load_workbook(form)
    sheet = workbook.active
    for ref, value in cells.items():
        sheet[ref] = value
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
