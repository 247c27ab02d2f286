"""Links out of the workspace: refused for reading and for writing, with a message naming the link and its target.

Every test runs with the workspace given as an absolute path (--workspace) and as the
current folder (the README's way: `evalrun --ruleset 2025` inside the workspace).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.helpers import REFERENCE_FILE, REFERENCE_PROJECT, REPO, copy_workspace
from engine.cli import cli
from engine.errors import EvalrunError
from engine.runner.lock import RunLock
from engine.files.paths import LinkOutside, guard_path, write_file
from engine.runner.write import Staging

# These tests read evalrun's English messages (--lang en); tests/test_language.py and test_bad_inputs.py check the Chinese default.
pytestmark = pytest.mark.usefixtures("english")

DEPARTMENT = "益阳市商务局"
SECRET = "SECRET-OUTSIDE-TEXT"


@pytest.fixture
def workspace(tmp_path) -> Path:
    return copy_workspace(tmp_path / "ws", reference_only=True)


@pytest.fixture
def outside(tmp_path) -> Path:
    """A folder beside the workspace, holding what no run may read or change."""
    folder = tmp_path / "outside"
    folder.mkdir()
    return folder


@pytest.fixture(params=["absolute", "relative"])
def evalrun(request, workspace, monkeypatch):
    """Run the CLI on the workspace, given as an absolute --workspace or as the current folder."""

    def invoke(*args):
        argv = list(args)
        if request.param == "absolute":
            argv += ["--workspace", str(workspace)]
        else:
            monkeypatch.chdir(workspace)
        return CliRunner().invoke(cli, argv, catch_exceptions=False)

    return invoke


def link(path: Path, target: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.symlink_to(target, target_is_directory=target.is_dir())
    except OSError:
        pytest.skip("this system cannot make symlinks")
    return path


def clean(result) -> None:
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert result.exit_code in (0, 1), result.output


def files_under(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


# ---------------------------------------------------------------- reading


def test_a_department_folder_linking_out_is_refused_and_named(evalrun, workspace, outside):
    (outside / "外部项目.yaml").write_text(REFERENCE_FILE.read_text(encoding="utf-8")
                                         .replace("department: 益阳市商务局", "department: 外部单位"), encoding="utf-8")
    link(workspace / "projects" / "2025" / "外部单位", outside)
    result = evalrun("--ruleset", "2025", "--format", "md")
    clean(result)
    assert result.exit_code == 1
    assert f"projects/2025/外部单位: is a link to {outside}, outside the workspace" in result.stderr
    assert "95.53" in result.stdout  # the department inside is still scored and written
    assert not (workspace / "reports" / "out" / "2025" / "外部单位").exists()
    assert "外部项目" not in result.stdout


def test_validate_and_export_refuse_the_same_folder(evalrun, workspace, outside):
    (outside / "x.yaml").write_text(REFERENCE_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    link(workspace / "projects" / "2025" / "外部单位", outside)
    for command in (["validate", "--ruleset", "2025"], ["export", "--ruleset", "2025"]):
        result = evalrun(*command)
        clean(result)
        assert result.exit_code == 1
        assert "projects/2025/外部单位: is a link to" in result.stderr


def test_a_department_folder_linking_inside_the_workspace_is_followed(evalrun, workspace):
    shared = workspace / "shared" / "共享"
    shared.mkdir(parents=True)
    (shared / "p.yaml").write_text(REFERENCE_FILE.read_text(encoding="utf-8")
                                   .replace("department: 益阳市商务局", "department: 共享单位"), encoding="utf-8")
    link(workspace / "projects" / "2025" / "共享单位", shared)
    result = evalrun("--ruleset", "2025", "--format", "md")
    clean(result)
    assert result.exit_code == 0, result.stderr
    assert (workspace / "reports" / "out" / "2025" / "共享单位" / "p.md").is_file()


@pytest.mark.parametrize("pinned", [True, False], ids=["folder open", "folder not yet open"])
def test_a_department_folder_swapped_for_a_link_during_the_run_is_not_read_through(workspace, outside, pinned):
    """The run resolves each department folder once; swapped for a link out after that (mid-run), the folder is
    not followed: its files are read from the folder that was checked, or the link is refused, never read."""
    from engine.files.paths import FolderGuard
    from engine.files.reading import read_guarded

    if not hasattr(os, "O_NOFOLLOW"):
        pytest.skip("no O_NOFOLLOW here: files are checked before they are opened instead")
    department = workspace / "projects" / "2025" / DEPARTMENT
    path = department / REFERENCE_FILE.name
    (outside / REFERENCE_FILE.name).write_text(SECRET, encoding="utf-8")
    guard = FolderGuard(workspace)
    assert read_guarded(guard, path, "p.yaml") == path.read_bytes()  # the folder resolved (and opened)
    if not pinned:
        guard.close()
    department.rename(department.with_name("moved"))
    link(department, outside)
    try:
        read = read_guarded(guard, path, "p.yaml")
    except LinkOutside:
        read = None
    finally:
        guard.close()
    assert read is None if not pinned else read == (department.with_name("moved") / path.name).read_bytes()
    assert read is None or SECRET.encode() not in read


def test_a_template_linking_out_is_refused(evalrun, workspace, outside):
    (outside / "report.md.j2").write_text(SECRET, encoding="utf-8")
    template = workspace / "reports" / "templates" / "report.md.j2"  # over the shipped one
    link(template, outside / "report.md.j2")
    result = evalrun("--ruleset", "2025", "--format", "md")
    clean(result)
    assert result.exit_code == 1
    assert f"reports/templates/report.md.j2: is a link to {outside / 'report.md.j2'}, outside the workspace" \
        in result.stderr
    assert SECRET not in "".join(p.read_text(encoding="utf-8") for p in workspace.rglob("*.md"))


def test_an_include_of_a_link_out_is_refused(evalrun, workspace, outside):
    (outside / "secret.txt").write_text(SECRET, encoding="utf-8")
    templates = workspace / "reports" / "templates"
    link(templates / "part.md.j2", outside / "secret.txt")
    (templates / "report.md.j2").write_text("# 报告\n{% include 'part.md.j2' %}\n", encoding="utf-8")
    result = evalrun("--ruleset", "2025", "--format", "md")
    clean(result)
    assert result.exit_code == 1
    assert "reports/templates/part.md.j2: is a link to" in result.stderr
    written = [p for p in (workspace / "reports").rglob("*.md")]
    assert all(SECRET not in p.read_text(encoding="utf-8") for p in written)


def test_a_template_folder_linking_out_is_refused(evalrun, workspace, outside):
    (outside / "report.md.j2").write_text(SECRET, encoding="utf-8")
    link(workspace / "reports" / "templates" / DEPARTMENT, outside)
    result = evalrun("--ruleset", "2025", "--format", "md")
    clean(result)
    assert result.exit_code == 1
    assert f"reports/templates/{DEPARTMENT}: is a link to {outside}, outside the workspace" in result.stderr
    assert not (workspace / "reports" / "out" / "2025" / DEPARTMENT).exists()


def test_a_word_template_linking_out_is_refused(evalrun, workspace, outside):
    docx = workspace / "reports" / "templates" / "report.docx"  # over the shipped one
    (outside / "report.docx").write_bytes((REPO / "reports" / "templates" / "report.docx").read_bytes())
    link(docx, outside / "report.docx")
    result = evalrun("--ruleset", "2025", "--format", "docx")
    clean(result)
    assert result.exit_code == 1
    assert "reports/templates/report.docx: is a link to" in result.stderr


def test_a_ruleset_or_department_variant_linking_out_is_refused(evalrun, workspace, outside):
    variant = workspace / "rulesets" / "2025" / "departments" / f"{DEPARTMENT}.yaml"
    (outside / "variant.yaml").write_text("extends: \"2025\"\n", encoding="utf-8")
    link(variant, outside / "variant.yaml")
    result = evalrun("--ruleset", "2025", "--format", "md")
    clean(result)
    assert result.exit_code == 1
    assert f"rulesets/2025/departments/{DEPARTMENT}.yaml: is a link to" in result.stderr

    variant.unlink()
    ruleset = workspace / "rulesets" / "2025" / "ruleset.yaml"
    (outside / "ruleset.yaml").write_bytes(ruleset.read_bytes())
    ruleset.unlink()
    link(ruleset, outside / "ruleset.yaml")
    result = evalrun("validate", "--ruleset", "2025")
    clean(result)
    assert result.exit_code == 1
    assert "rulesets/2025/ruleset.yaml: is a link to" in result.stderr


# ---------------------------------------------------------------- writing


@pytest.mark.parametrize("where", ["reports/out", "reports/out/2025", f"reports/out/2025/{DEPARTMENT}"])
def test_a_report_folder_linking_out_is_refused_and_nothing_is_written_there(evalrun, workspace, outside, where):
    link(workspace / where, outside)
    result = evalrun("--ruleset", "2025", "--format", "md,xlsx")
    clean(result)
    assert result.exit_code == 1
    assert f"{where}: is a link to {outside}, outside the workspace" in result.stderr
    assert "--output DIR" in result.stderr
    assert files_under(outside) == {}


def test_the_lock_as_a_link_out_leaves_its_target_untouched(evalrun, workspace, outside):
    target = outside / "precious.txt"
    target.write_text("keep me", encoding="utf-8")
    link(workspace / "reports" / "out" / ".evalrun.lock", target)
    result = evalrun("--ruleset", "2025", "--format", "md")
    clean(result)
    assert result.exit_code == 1
    assert "reports/out/.evalrun.lock: is a link to" in result.stderr
    assert target.read_text(encoding="utf-8") == "keep me"
    assert not (workspace / "reports" / "out" / "2025").exists()


def test_the_lock_as_a_link_inside_is_not_written_through_either(evalrun, workspace):
    target = workspace / "notes.txt"
    target.write_text("keep me", encoding="utf-8")
    link(workspace / "reports" / "out" / ".evalrun.lock", target)
    result = evalrun("--ruleset", "2025", "--format", "md")
    clean(result)
    assert result.exit_code == 1
    assert "reports/out/.evalrun.lock: the run lock .evalrun.lock is a link (to" in result.stderr
    assert target.read_text(encoding="utf-8") == "keep me"


def test_a_report_file_that_is_a_link_out_is_refused_not_written_through(evalrun, workspace, outside):
    target = outside / "report.md"
    target.write_text("keep me", encoding="utf-8")
    link(workspace / "reports" / "out" / "2025" / DEPARTMENT / f"{REFERENCE_PROJECT}.md", target)
    result = evalrun("--ruleset", "2025", "--format", "md")
    clean(result)
    assert result.exit_code == 1
    assert target.read_text(encoding="utf-8") == "keep me"


def test_an_output_folder_given_on_the_command_line_may_be_a_link(evalrun, workspace, outside):
    given = link(workspace.parent / "given", outside)
    result = evalrun("--ruleset", "2025", "--format", "md", "--output", str(given))
    clean(result)
    assert result.exit_code == 0, result.stderr
    assert (outside / "2025" / DEPARTMENT / f"{REFERENCE_PROJECT}.md").is_file()


def test_a_link_inside_the_output_folder_given_may_not_lead_out_of_it(evalrun, workspace, outside, tmp_path):
    given = tmp_path / "given"
    link(given / "2025", outside)
    result = evalrun("--ruleset", "2025", "--format", "md", "--output", str(given))
    clean(result)
    assert result.exit_code == 1
    assert f"{given / '2025'}: is a link to {outside}, outside the output folder ({given})" in result.stderr
    assert files_under(outside) == {}


def test_validate_names_a_template_folder_linking_out(evalrun, workspace, outside):
    (outside / "report.md.j2").write_text(SECRET, encoding="utf-8")
    link(workspace / "reports" / "templates" / DEPARTMENT, outside)
    result = evalrun("validate", "--ruleset", "2025")
    clean(result)
    assert result.exit_code == 1
    assert f"reports/templates/{DEPARTMENT}: is a link to {outside}, outside the workspace" in result.stderr
    assert SECRET not in result.output


def test_export_refuses_a_forms_folder_linking_out(evalrun, workspace, outside):
    link(workspace / "reports" / "out" / "2025" / "forms", outside)
    result = evalrun("export", "--ruleset", "2025")
    clean(result)
    assert result.exit_code == 1
    assert "reports/out/2025/forms: is a link to" in result.stderr
    assert files_under(outside) == {}


def test_import_refuses_a_department_folder_linking_out(evalrun, workspace, outside, tmp_path):
    exported = CliRunner().invoke(cli, ["export", "--ruleset", "2025", "--workspace", str(workspace)])
    assert exported.exit_code == 0, exported.output
    form = tmp_path / "form.xlsx"
    form.write_bytes((workspace / "reports/out/2025/forms" / f"{DEPARTMENT}.xlsx").read_bytes())
    (workspace / "projects" / "2025" / DEPARTMENT / f"{REFERENCE_PROJECT}.yaml").unlink()
    (workspace / "projects" / "2025" / DEPARTMENT).rmdir()
    link(workspace / "projects" / "2025" / DEPARTMENT, outside)
    result = evalrun("import", str(form), "--year", "2025")
    clean(result)
    assert result.exit_code == 1
    assert f"projects/2025/{DEPARTMENT}: is a link to" in result.stderr
    assert files_under(outside) == {}


def test_new_ruleset_does_not_write_through_a_link(evalrun, workspace, outside):
    link(workspace / "rulesets" / "2026", outside / "gone")  # a dangling link: the folder looks free
    result = evalrun("new", "2026", "--from", "2025")
    clean(result)
    assert result.exit_code == 1
    assert f"rulesets/2026: is a link to {outside / 'gone'}, outside the workspace" in result.stderr
    assert files_under(outside) == {} and not (outside / "gone").exists()


# ---------------------------------------------------------------- the guard itself


def test_the_guard_names_the_first_link_that_leaves(tmp_path):
    root, away = tmp_path / "root", tmp_path / "away"
    (root / "a").mkdir(parents=True)
    away.mkdir()
    link(root / "a" / "inner", root)  # a link that stays inside is followed
    link(root / "a" / "out", away)
    assert guard_path(root, root / "a" / "inner" / "a", "read") == (root / "a").resolve()
    with pytest.raises(LinkOutside) as caught:
        guard_path(root, root / "a" / "inner" / "a" / "out" / "x.yaml", "read")
    assert str(caught.value).startswith(f"a/out: is a link to {away}, outside the workspace")


def test_a_dangling_link_out_is_refused_too(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    link(root / "gone", tmp_path / "nowhere")
    with pytest.raises(LinkOutside, match="gone: is a link to"):
        guard_path(root, root / "gone", "write")


def test_staging_commit_checks_every_folder_before_replacing_anything(tmp_path):
    out, away = tmp_path / "out", tmp_path / "away"
    away.mkdir()
    (out / "甲").mkdir(parents=True)
    (out / "甲" / "a.md").write_text("old", encoding="utf-8")
    link(out / "乙", away)
    with pytest.raises(EvalrunError, match="乙: is a link to"):
        with Staging(out) as staging:
            staging.write(Path("甲/a.md"), "new")
            staging.write(Path("乙/b.md"), "new")
            staging.commit()
    assert (out / "甲" / "a.md").read_text(encoding="utf-8") == "old"
    assert files_under(away) == {}


def test_write_file_replaces_a_link_instead_of_writing_through_it(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    target = root / "target.txt"
    target.write_text("keep me", encoding="utf-8")
    link(root / "file.txt", target)
    write_file(root, root / "file.txt", "new")
    assert not (root / "file.txt").is_symlink()
    assert (root / "file.txt").read_text(encoding="utf-8") == "new"
    assert target.read_text(encoding="utf-8") == "keep me"


def test_the_lock_opens_without_following_links(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    victim = folder / "victim"
    victim.write_text("keep me", encoding="utf-8")
    link(folder / ".evalrun.lock", victim)
    with pytest.raises(EvalrunError, match="is a link"):
        with RunLock(folder):
            pass
    assert victim.read_text(encoding="utf-8") == "keep me"
    assert os.path.islink(folder / ".evalrun.lock")


@pytest.mark.parametrize("name", ["evalrun.db", "evalrun.db-journal"])
def test_a_results_store_linked_out_of_the_workspace_is_refused(workspace, outside, monkeypatch, name):
    """SQLite would follow the link and write the results (or its journal) over a file elsewhere."""
    target = outside / "other.db"
    target.write_bytes(b"SECRET")
    link(workspace / name, target)
    monkeypatch.delenv("EVALRUN_DB", raising=False)
    result = CliRunner().invoke(cli, ["--ruleset", "2025", "--workspace", str(workspace)], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    assert f"{name}: is a link to {target}" in result.output
    assert "results store" in result.output and "--db" in result.output
    assert target.read_bytes() == b"SECRET"
    assert "Traceback" not in result.output
