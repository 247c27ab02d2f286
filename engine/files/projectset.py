"""The year's project files as a set: one file per project, each in its department's folder.

``projects/<year>/<department>/<project>.yaml``: the folder decides which
rules (the department's variant) and templates apply, so a file whose
``department:`` names another department, or two files describing the same
project, would be scored twice or by the wrong rules. Both are errors that
name every file involved. Duplicates are found before anything is scored,
by reading only the top-level ``project:`` and ``department:`` of each file.
"""
from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from engine.errors import EvalrunError, EvalrunErrors, Source, UsageError, did_you_mean, raise_all
from engine.files.load import load_file
from engine.files.reading import read_guarded
from engine.files.located import LDict
from engine.files.paths import FolderGuard, LinkOutside, guard_path
from engine.model import Ruleset
from engine.i18n import tr
from engine.rules.rulesets import display
from engine.runner.write import safe_name
from engine.files.stages import stage_files


def raise_with(error: EvalrunError, also) -> None:
    """Raise ``error`` together with whatever else ``also()`` raises."""
    try:
        also()
    except EvalrunError as exc:
        raise_all([error] + list(getattr(exc, "errors", [exc])))
    raise error


def folder_errors(path: Path, data, workspace: Path) -> list[EvalrunError]:
    """A file in projects/<year>/<department>/ must be that department's: its folder picks its rules and reports."""
    folder = path.parent.name
    department = data.get("department") if isinstance(data, dict) else None
    if (not isinstance(department, str) or folder in (department, safe_name(department))
            or path.parent.parent.parent.name != "projects"):
        return []  # a name that cannot be a folder (`a/b`, `CON`) has the folder `import` gives it
    year = path.parent.parent.name
    return [EvalrunError(
        tr("projectset.wrong_folder", department=department, folder=folder, year=year, target=safe_name(department)),
        data.source_of("department"))]


_TOP_KEY = re.compile(r"^(project|department)[ \t]*:[ \t]*(.*?)[ \t\r]*$", re.M)


def _top_keys(text: str):
    """``_TOP_KEY.finditer(text)``, quicker: the pattern is tried only where a line starts with either key."""
    starts = []
    for key in ("project", "department"):
        if text.startswith(key):
            starts.append(0)
        at = text.find("\n" + key)
        while at >= 0:
            starts.append(at + 1)
            at = text.find("\n" + key, at + 1)
    for start in sorted(starts):
        match = _TOP_KEY.match(text, start)
        if match is not None:
            yield match


def _identity(path: Path, workspace: Path, digests: dict | None = None, guard=None) -> tuple | None:
    """((department, project), line of `project:`) as the file says, read quickly; None if it cannot tell.

    With ``digests``, the sha256 of the bytes read goes in ``digests[path]`` (engine.runner.kept); ``guard``
    is the run's FolderGuard."""
    try:
        raw = read_guarded(guard or FolderGuard(workspace), path, "")
        if digests is not None:
            digests[path] = hashlib.sha256(raw).hexdigest()
        text = raw.decode("utf-8-sig")
    except (UnicodeDecodeError, EvalrunError):  # a link out of the workspace, a file too big: refused when loaded
        return None
    found: dict = {}
    for match in _top_keys(text):
        key, value = match.group(1), match.group(2)
        if key in found:
            return None  # a duplicate key: the file is refused when loaded
        if value[:1] in ("'", '"'):
            value = value[1: value.find(value[0], 1)] if value.find(value[0], 1) > 0 else ""
        else:
            value = re.split(r"\s#", value, maxsplit=1)[0].strip()
        if not value or value[0] in "|>&*!{[":
            return _identity_loaded(path, workspace)
        found[key] = (value, text.count("\n", 0, match.start()) + 1)
    if len(found) < 2:
        return _identity_loaded(path, workspace)
    return (found["department"][0], found["project"][0]), found["project"][1]


def _identity_loaded(path: Path, workspace: Path) -> tuple | None:
    """As _identity, for a file written in an unusual way (flow style, block text): by loading it."""
    try:
        data = load_file(guard_path(workspace, path, "read"), display(path, workspace))
    except EvalrunError:
        return None
    if not isinstance(data, LDict) or not all(isinstance(data.get(k), str) for k in ("department", "project")):
        return None
    return (data["department"], data["project"]), data.source_of("project").line


def duplicate_projects(files: list[Path], workspace: Path, digests: dict | None = None,
                       guard: FolderGuard | None = None, names: dict | None = None) -> dict[Path, EvalrunError]:
    """Files that describe the same department and project as another file: each gets an error naming the others.

    With ``digests``, each file's sha256 as read goes in ``digests[file]``; with ``names``, its (department,
    project) as the file says, or None where only loading it would tell; ``guard``: the run's FolderGuard."""
    seen: dict[tuple, list] = {}
    guard = guard or FolderGuard(workspace)
    for path in files:
        identity = _identity(path, workspace, digests, guard)
        if names is not None:
            names[path] = identity and identity[0]
        if identity is not None:
            seen.setdefault(identity[0], []).append((path, identity[1]))
    errors: dict[Path, EvalrunError] = {}
    for (department, project), places in seen.items():
        if len(places) < 2:
            continue
        first = display(places[0][0], workspace)
        later = [EvalrunError(
            tr("projectset.duplicate", first=first, project=project, department=department),
            Source(display(path, workspace), line))
            for path, line in places[1:]]
        # one line per copy, at the copy; the first file fails with the same lines
        errors[places[0][0]] = later[0] if len(later) == 1 else EvalrunErrors(later)
        errors.update((path, error) for (path, _), error in zip(places[1:], later))
    return errors


def check_wanted(wanted, files: list[Path], names: dict, year: int) -> None:
    """A UsageError for a --project name that is no project's name nor file name, before any work (a typo ran
    the year with nothing in it, and recorded that). Said only where every file's name is known without loading."""
    if not wanted or any(names.get(path) is None for path in files):
        return
    known = sorted({names[path][1] for path in files})
    for name in wanted:
        if name not in known and not any(path.stem == name for path in files):
            raise UsageError(tr("api.no_project", name=name, year=year, suggestion=did_you_mean(name, known),
                                known=tr("api.projects", names=", ".join(known)) if known else ""))


def project_files(workspace: Path, ruleset: Ruleset) -> list[Path]:
    """projects/<fiscal year>/<department>/*.yaml, in a stable order.

    A department folder that is a link leading out of the workspace is
    listed as ``<department>/*.yaml``, which fails to load with a message
    naming the link: its projects are not read, and the run says so.
    """
    return stage_files(year_files(workspace, ruleset.fiscal_year), ruleset.kind)  # the files of the kind's stage


def year_files(workspace: Path, year: int) -> list[Path]:
    """project_files for a fiscal year."""
    root = workspace / "projects" / str(year)
    guard_path(workspace, root, "read")
    if not root.is_dir():
        return []
    files = []
    for folder in root.iterdir():
        if not folder.is_dir():
            continue
        try:
            guard_path(workspace, folder, "read")
        except LinkOutside:
            files.append(folder / "*.yaml")
            continue
        files += _yaml_files(folder)
    return sorted(files, key=lambda p: (p.parent.name, p.name))


def _yaml_files(folder: Path) -> list[Path]:
    """``[p for p in folder.glob("*.yaml") if p.is_file() or p.is_symlink()]``, from the folder's listing
    alone (no stat of each file: the listing says which entries are files)."""
    try:
        with os.scandir(folder) as entries:
            return [folder / entry.name for entry in entries
                    if os.path.normcase(entry.name).endswith(".yaml") and _file_or_link(entry)]
    except OSError:  # as glob: a folder that cannot be listed lists nothing
        return []


def _file_or_link(entry: os.DirEntry) -> bool:
    """A file, or a link (whatever it leads to: loading it says what is wrong)."""
    try:
        if entry.is_file():
            return True
    except OSError:  # a link in a loop: is_file raises where Path.is_file says False
        pass
    return entry.is_symlink()


def shown_in_run(path: Path, workspace: Path, folders: dict) -> str:
    """``display(path, workspace)`` for a project file of ``project_files`` (never a link), resolving
    each folder once a run rather than every path."""
    key = os.path.dirname(path)  # text: a Path's parent is a new Path, hashed afresh each time
    folder = folders.get(key)
    if folder is None:
        try:
            folder = path.parent.resolve().relative_to(workspace.resolve()).as_posix()
        except ValueError:
            folder = ""  # outside the workspace: as display() shows it
        folders[key] = folder
    if not folder:
        return display(path, workspace)
    return path.name if folder == "." else f"{folder}/{path.name}"
