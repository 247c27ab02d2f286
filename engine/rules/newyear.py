"""`evalrun new NAME --from PARENT`: a year's ruleset started from the last one, its department variants carried over.

All of it is written, or none: a file that does not resolve once written
(a copied variant, the new ruleset itself) takes back everything the
command wrote, so a failed `new` leaves no half-made year behind. Values
taken from the parent (its title, its group and grade names) are written
as YAML reads them back: quoted where needed, on one line in comments.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from engine._util import one_line
from engine.errors import UsageError
from engine.files.load import decode
from engine.files.paths import guard_path, write_file
from engine.files.reading import read_file
from engine.i18n import tr
from engine.rules.rulesets import _NAME, display, load_ruleset, load_variant, variant_departments, variant_file


def start_ruleset(workspace: Path, name: str, parent_name: str) -> tuple[Path, list[tuple[Path, str]]]:
    """The new ruleset's file and (each department variant copied, a note or ''), all written or none."""
    folder = workspace / "rulesets" / name
    existed = folder.exists() or folder.is_symlink()  # then new_ruleset refuses, and nothing is taken back
    try:
        path = new_ruleset(workspace, name, parent_name)
        return path, carry_variants(workspace, name, parent_name)
    except BaseException:
        if not existed and folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder, ignore_errors=True)
        raise


def new_ruleset(workspace: Path, name: str, parent_name: str) -> Path:
    """Start ruleset ``name`` as a small file that extends ``parent_name``."""
    parent = load_ruleset(workspace, parent_name)
    if not _NAME.match(name or "") or ".." in name:
        raise UsageError(tr("ruleset.new_bad_name", name=name))
    path = workspace / "rulesets" / name / "ruleset.yaml"
    if path.exists():
        raise UsageError(tr("ruleset.new_exists", path=display(path, workspace)))
    year = int(name) if name.isdigit() and len(name) == 4 else parent.fiscal_year + 1
    title = parent.title.replace(str(parent.fiscal_year), str(year))
    group, grade = parent.groups[0], parent.grades[0]
    text = (
        f"# {one_line(title)}\n"
        f"#\n"
        f"# 建立在规则 {parent_name} 之上：这里没有写的内容都沿用\n"
        f"# rulesets/{parent_name}/ruleset.yaml。只写改变的部分，例如：\n"
        f"#\n"
        f"#   framework:\n"
        f"#     - {{name: {one_line(group.name)}, weight: {group.weight}}}\n"
        f"#   grades:\n"
        f"#     - {{grade: {one_line(grade.grade)}, min: {grade.minimum}}}\n"
        f"#\n"
        f"# `evalrun diff {parent_name} {name} --impact` 显示这些改变对得分的影响。\n"
        f"extends: \"{parent_name}\"\n"
        f"title: {_quoted(title)}\n"  # a title may hold `: ` or ` #`, which plain YAML would misread
        f"fiscal_year: {year}\n"
        f"version: \"{year}.1\"\n"
    )
    if path.parent.exists():
        raise UsageError(tr("ruleset.new_folder_exists", name=name))
    write_file(workspace, path, text)  # whole, through the workspace guard (never through a link)
    load_ruleset(workspace, name)  # the new file must resolve
    return path


def carry_variants(workspace: Path, name: str, parent_name: str) -> list[tuple[Path, str]]:
    """Copy each department variant of ``parent_name`` to ``name``: the same differences over the new year's rules.

    A variant extends its year's ruleset unless it names another, so the
    copy lays the department's differences over ``name`` as they lay over
    ``parent_name``; one that named ``parent_name`` explicitly now names
    ``name``. Returns (file written, a note for the user or '').
    """
    written = []
    for department in variant_departments(workspace, parent_name):
        source = variant_file(workspace, parent_name, department)
        shown_as = display(source, workspace)
        text = decode(read_file(guard_path(workspace, source, "read"), shown_as), shown_as)
        note = ""
        pattern = re.compile(rf"^extends:[ \t]*([\"']?){re.escape(parent_name)}\1[ \t]*(#.*)?$", re.M)
        if pattern.search(text):
            text = pattern.sub(f'extends: "{name}"', text, count=1)
        elif re.search(r"^extends:", text, re.M):
            note = tr("ruleset.carry_own_extends")
        header = (f"# 由 `evalrun new {name} --from {parent_name}` 从 {one_line(shown_as)} 带过来：\n"  # Chinese,
                  f"# {one_line(department)}的部门规则，与它在 {parent_name} 之上的差异相同，"  # as the rules
                  f"现在建立在 {name} 之上。\n"
                  f"# `evalrun diff {parent_name} {name}` 比较两者。\n")
        target = workspace / "rulesets" / name / "departments" / source.name
        write_file(workspace, target, header + text)
        load_variant(workspace, name, department)  # the copy must resolve
        written.append((target, note))
    return written


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar that reads back as ``text`` (JSON's string form is one)."""
    return json.dumps(text, ensure_ascii=False)
