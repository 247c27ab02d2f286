"""What the tests share: the example workspace, the reference project, and small builders of test data.

Fixtures are in conftest.py; test modules import these names from here, never from each other.
"""
from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import docx
import yaml

REPO = Path(__file__).resolve().parent.parent
REFERENCE_PROJECT = "开放型经济发展与三产业发展引导资金"
REFERENCE_FILE = REPO / "projects" / "2025" / "益阳市商务局" / f"{REFERENCE_PROJECT}.yaml"
# The example projects that ship with evalrun, by name. Tests build their workspaces from these only, so a
# bureau that keeps its own projects in this folder (as the README invites) does not change what they see.
EXAMPLE_PROJECTS = {
    "2024": (REPO / "projects" / "2024" / "益阳市商务局" / f"{REFERENCE_PROJECT}.yaml",),
    "2025": (REFERENCE_FILE, REPO / "projects" / "2025" / "益阳市农业农村局" / "高标准农田建设项目.yaml"),
}


def copy_workspace(target: Path, years=("2025",), projects=True, reference_only=False, rulesets=None,
                   templates=False) -> Path:
    """A private workspace: the bundled rulesets, the default templates and the example projects of ``years``.

    ``reference_only`` keeps just the reference project, for tests that count outputs. ``rulesets`` names the
    only ruleset folders to copy (all by default): a test that makes hundreds of workspaces for one ruleset
    copies a tenth of the files. Contents only (no times or modes): copying is most of such a test's time.
    ``templates`` copies the default templates into ``reports/templates/`` (made empty otherwise, so the run
    uses the templates evalrun ships): a template is compiled once for its path and kept in the user's cache
    folder, so copies, each at a new path, were compiled again by every test (a third of a run's time).
    """
    if rulesets is None:
        shutil.copytree(REPO / "rulesets", target / "rulesets", copy_function=shutil.copyfile)
    for name in rulesets or ():
        shutil.copytree(REPO / "rulesets" / name, target / "rulesets" / name, copy_function=shutil.copyfile)
    own = target / "reports" / "templates"
    own.mkdir(parents=True, exist_ok=True)
    for path in (REPO / "reports" / "templates").iterdir() if templates else ():  # not a department's folder
        if path.is_file():
            shutil.copyfile(path, own / path.name)
    chosen = {"2025": (REFERENCE_FILE,)} if reference_only else EXAMPLE_PROJECTS if projects else {}
    for year in years if not reference_only else ("2025",):
        for source in chosen.get(year, ()):
            department = target / "projects" / year / source.parent.name
            department.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, department / source.name)
    return target


def problem_lines(stderr: str) -> list[str]:
    """What a run says is wrong: its stderr lines less the review findings of the data (`file:line:col: 提示：...`),
    which the example projects carry and which are not the problem a test provokes."""
    return [line for line in stderr.splitlines() if line.strip() and not is_warning_finding(line)]


def is_warning_finding(line: str) -> bool:
    """A console line of a warning finding, in either language: `file:line:col: 提示：...` or `...: warning: ...`."""
    return ": 提示：" in line or ": warning: " in line


REFERENCE_ROWS = [
    ("预算执行率", 10, Decimal("5.53")),
    ("对外承包工程和劳务合作完成营业额", 10, 10),
    ("引进 500 强企业", 10, 10),
    ("对外贸易进出口额", 10, 10),
    ("境内省外资金", 10, 10),
    ("湘商回湘投资新注册企业数", 10, 10),
    ("根据申报情况及时拨付", 10, 10),
    ("资金使用额", 5, 5),
    ("直接利用外资", 10, 10),
    ("电商企业直接就业人数", 5, 5),
    ("群众满意度", 10, 10),
]


OTHER = "测试单位"


def add_department(workspace: Path, name: str = OTHER, edit=lambda text: text) -> Path:
    """A second department whose project is the reference project under another department name."""
    text = REFERENCE_FILE.read_text(encoding="utf-8").replace("department: 益阳市商务局", f"department: {name}")
    path = workspace / "projects" / "2025" / name / REFERENCE_FILE.name
    path.parent.mkdir(parents=True)
    path.write_text(edit(text), encoding="utf-8")
    return path


def word_template(path: Path, *paragraphs: str) -> None:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    document.save(str(path))


CASES = yaml.safe_load((Path(__file__).resolve().parent / "cases" / "scoring.yaml").read_text(encoding="utf-8"))


def project_yaml(rows, budget="{initial: 100, full_year: 100, executed: 100}", extra=""):
    lines = [
        "project: 测试项目", "department: 测试单位", "fiscal_year: 2025", f"budget: {budget}", "indicators:",
    ]
    for row in rows:
        lines.append("  - " + yaml.safe_dump(row, allow_unicode=True, default_flow_style=True, width=10**6).strip())
    return "\n".join(lines) + "\n" + extra
