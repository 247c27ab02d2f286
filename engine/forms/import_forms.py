"""import_forms: `evalrun import` — an Excel workbook of 自评表 sheets -> project files.

Reads every sheet (engine/forms/importer.py), decides where each project goes
(projects/<year>/<department>/<project>.yaml), and writes them all at once
through a staging folder: nothing is written when a sheet has errors unless
``partial``. A project that has no file yet gets a new one. A project that
has one is updated in place: only the values the form carries and changes
are edited (engine/forms/import_merge.py), with ``force``, and a change to an
approved value (budget, targets, weights, indicator names) is refused
unless ``accept_changes``. Every row's target and actual value are read as
scoring will read them, so a value that cannot be scored is refused here,
at its cell.
"""
from __future__ import annotations

import io
import os
import warnings
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import openpyxl

from engine.forms.cells import CellSource, FormError
from engine.errors import EvalrunError, UsageError
from engine.forms.import_merge import merge
from engine.forms.importer import SheetImport, read_sheet, sheet_year
from engine.forms.merge_printed import exported
from engine.forms.import_scoring import check_scoring
from engine.files.load import decode, load_file, load_text
from engine.outputs.ooxml import WORKBOOK_LIMITS, PackageDamaged, check_package
from engine.files.paths import guard_path
from engine.files.reading import open_plain, os_reason
from engine.forms.projectedit import NotEditable, edit
from engine.forms.projectfile import render
from engine.rules.rulesets import RulesetCache, display
from engine.rules.targets import format_number
from engine.files.validate import schema_errors
from engine.i18n import tr, tr_in
from engine.runner.write import Staging, safe_name
from engine.outputs.xlsx import sheet_title
from engine.outputs.xlsxlayout import LABELS

MAX_WORKBOOK_BYTES = 20 * 1024 * 1024
BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class ImportOptions:
    form: Path
    year: int | None = None  # None: from the forms' titles (`2025年度项目支出绩效自评表`)
    workspace: Path = Path(".")
    department: str | None = None  # instead of each sheet's 主管部门
    partial: bool = False  # write the good sheets even when others have errors
    force: bool = False  # update project files that exist already
    dry_run: bool = False  # say what would be written and changed, write nothing
    accept_changes: bool = False  # take changes to approved values (budget, targets, weights, names)


@dataclass
class Plan:
    """What one sheet does to its project file: a new file, or the changes to an existing one."""

    path: Path
    new: bool
    text: str | None = None  # the file's text after the import; None when nothing changes
    changes: list = field(default_factory=list)
    bom: bool = False


@dataclass
class ImportResult:
    sheets: list[SheetImport] = field(default_factory=list)
    paths: dict = field(default_factory=dict)  # sheet -> the project file it becomes
    written: list[Path] = field(default_factory=list)
    plans: dict = field(default_factory=dict)  # sheet -> Plan
    year: int | None = None
    warnings: list = field(default_factory=list)  # about the workbook as a whole

    @property
    def failed(self) -> list[SheetImport]:
        return [s for s in self.sheets if s.errors]

    @property
    def ok(self) -> bool:
        return not self.failed


def open_workbook(path: Path, notices: list | None = None):
    """The workbook, or one clear FormError saying why it is not an .xlsx evalrun can read.

    An .xlsx whose name says otherwise (`表.xls`) is read, and ``notices`` gets a line saying so.
    """
    where = CellSource(path.name)
    try:
        with open_plain(path) as handle:  # once: what is checked is what is read (a FIFO would hold the import)
            size = os.fstat(handle.fileno()).st_size
            raw = handle.read(MAX_WORKBOOK_BYTES + 1) if size <= MAX_WORKBOOK_BYTES else handle.read(8)
    except OSError as exc:
        raise FormError(tr("forms.cannot_read", detail=os_reason(exc)), where) from None
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise FormError(tr("forms.old_xls"), where)
    if not raw.startswith(b"PK"):
        raise FormError(tr("forms.not_xlsx"), where)
    size = max(size, len(raw))  # a file that grew past the limit since its size was read is refused too
    if size > MAX_WORKBOOK_BYTES:
        raise FormError(tr("forms.too_big", size=f"{size / 1024 / 1024:.1f}", limit=MAX_WORKBOOK_BYTES // 1024 // 1024),
                        where)
    try:
        names = set(zipfile.ZipFile(io.BytesIO(raw)).namelist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile):
        raise FormError(tr("forms.damaged"), where) from None
    if "xl/workbook.xml" not in names:
        raise FormError(tr("forms.other_zip", kind=_zip_kind(names)), where)
    if path.suffix.lower() not in (".xlsx", ".xlsm") and notices is not None:
        notices.append(FormError(tr("forms.misnamed", suffix=path.suffix or tr("forms.nothing"), stem=path.stem), where))
    check_unpacked_size(raw, where)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about features it drops (data validation, ...)
            # from the bytes, not the name: openpyxl refuses a name that does not end in .xlsx
            return openpyxl.load_workbook(io.BytesIO(raw), data_only=True)
    except (zipfile.BadZipFile, zipfile.LargeZipFile):
        raise FormError(tr("forms.damaged"), where) from None
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds of exception for files it cannot read
        raise FormError(tr("forms.unreadable_workbook"), where) from None


def check_unpacked_size(raw: bytes, where: CellSource) -> None:
    """Refuse a workbook that would unpack past the limits of engine/outputs/ooxml.py (a zip bomb, ten million rows,
    a merged range over a whole sheet) before openpyxl builds anything; values are then read, never
    formulas evaluated (a formula cell gives the value Excel saved with it)."""
    try:
        check_package(raw, where.file, WORKBOOK_LIMITS, "workbook")
    except PackageDamaged:
        return  # openpyxl says it in its own words below
    except EvalrunError as exc:
        raise FormError(exc.message, where) from None


def _zip_kind(names: set) -> str:
    if "word/document.xml" in names:
        return tr("forms.kind.docx")
    if any(n.startswith("ppt/") for n in names):
        return tr("forms.kind.pptx")
    if "content.xml" in names:
        return tr("forms.kind.opendocument")
    return tr("forms.kind.zip")


def form_year(workbook, filename: str) -> int:
    """The fiscal year the sheets' titles name (`2025年度项目支出绩效自评表`); UsageError when none
    does, or when two name different years."""
    years: dict = {}
    for ws in workbook.worksheets:
        found = sheet_year(ws, filename)
        if found:
            years.setdefault(found[0], found[1])
    if len(years) > 1:
        (first, at_first), (second, at_second) = list(years.items())[:2]
        raise UsageError(tr("forms.two_years", file=filename, first=first, at_first=at_first, second=second,
                            at_second=at_second))
    if not years:
        raise UsageError(tr("forms.no_year", file=filename))
    return next(iter(years))


def read_workbook(options: ImportOptions, result: ImportResult | None = None) -> list[SheetImport]:
    """Every sheet read; FormError when the file is not a workbook or has no 自评表 sheet at all."""
    result = result or ImportResult()
    workbook = open_workbook(options.form, result.warnings)
    year = options.year or form_year(workbook, options.form.name)
    result.year = year
    framework = _framework(options.workspace, year)
    sheets = [read_sheet(ws, options.form.name, year, options.department, framework)
              for ws in workbook.worksheets]
    if all(s.skipped for s in sheets):
        names = ", ".join(s.sheet for s in sheets)
        raise FormError(tr("forms.no_form_sheet", names=names),
                        CellSource(options.form.name))
    return sheets


def _rules(workspace: Path, year: int) -> RulesetCache | None:
    if not (workspace / "rulesets" / str(year) / "ruleset.yaml").is_file():
        return None
    return RulesetCache(workspace, str(year))


def _framework(workspace: Path, year: int):
    """The 一级 -> 二级 names of the year's ruleset (a department's variant where it has one), if there is one."""
    cache = _rules(workspace, year)
    if cache is None:
        return None
    return lambda department: {g.name: g.subgroups for g in cache.for_department(department).groups}


def import_workbook(options: ImportOptions) -> ImportResult:
    """Read the workbook; write a new project file per good sheet, or update the existing one in place
    (all or nothing unless ``partial``; nothing with ``dry_run``)."""
    result = ImportResult()
    result.sheets = read_workbook(options, result)
    year = result.year
    root = options.workspace / "projects" / str(year)
    rules = _rules(options.workspace, year)
    taken: dict = {}
    for sheet in result.sheets:
        if sheet.skipped or sheet.errors:
            continue
        where = CellSource(f"{options.form.name}!{sheet.sheet}")
        path = _existing(root, sheet.data) or root / safe_name(sheet.data["department"]) / \
            f"{safe_name(sheet.data['project'])}.yaml"
        shown = display(path, options.workspace)
        if path in taken:
            sheet.errors.append(FormError(tr("forms.same_project", sheet=taken[path], path=shown), where))
            continue
        taken[path] = sheet.sheet
        ruleset = _ruleset(rules, sheet, where)
        if path.exists():
            plan = _update(options, sheet, path, shown, ruleset, where)
        else:
            plan = Plan(path, True, render(sheet.data, _header(options, sheet, year)))
            check_scoring(sheet, ruleset, {}, None)
            renamed = None if options.accept_changes else _exported_for(root, sheet, options.workspace)
            if renamed:
                sheet.errors.append(FormError(
                    tr("forms.renamed", label=LABELS["name"], old=renamed[0], new=sheet.data["project"],
                       exported=renamed[1]), sheet.cells.get(("project",), where)))
        if plan is not None:
            result.plans[sheet.sheet] = plan
            result.paths[sheet.sheet] = path
    writes = {s: p for s, p in result.plans.items() if p.text is not None and not _failed(result, s)}
    if writes and (result.ok or options.partial) and not options.dry_run:
        with Staging(root, options.workspace, options.workspace, "the project files") as staging:
            for plan in writes.values():
                content = plan.text.encode("utf-8")
                staging.write(plan.path.relative_to(root), BOM + content if plan.bom else content)
            result.written = staging.commit()
    return result


def _failed(result: ImportResult, sheet_name: str) -> bool:
    return any(s.errors for s in result.sheets if s.sheet == sheet_name)


def _existing(root: Path, data: dict) -> Path | None:
    """The project's file: <department>/<project>.yaml, or another file of that folder naming the project."""
    folder = root / safe_name(data["department"])
    path = folder / f"{safe_name(data['project'])}.yaml"
    if path.exists():
        return path
    return next((other for other, name in _projects_in(folder) if name == data["project"]), None)


def _exported_for(root: Path, sheet: SheetImport, workspace: Path) -> tuple | None:
    """(name, file) of the department's project whose exported sheet this is, when the sheet's
    项目支出名称 no longer names it: a renamed project must not silently become a new one."""
    title = sheet.sheet.lower()
    if sheet_title(sheet.data["project"], set()).lower() == title:
        return None
    for other, name in _projects_in(root / safe_name(sheet.data["department"])):
        if sheet_title(name, set()).lower() == title:
            return name, display(other, workspace)
    return None


def _projects_in(folder: Path):
    """(file, project name) of each readable project file in a department's folder."""
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("*.yaml")):
        try:  # folder is <workspace>/projects/<year>/<department>: a link out of the workspace is not read
            loaded = load_file(guard_path(folder.parents[2], path, "read"))
        except EvalrunError:
            continue
        name = loaded.get("project") if isinstance(loaded, dict) else None
        if isinstance(name, str):
            yield path, name


def _ruleset(rules: RulesetCache | None, sheet: SheetImport, where: CellSource):
    if rules is None:
        return None
    try:
        return rules.for_department(sheet.data["department"])
    except EvalrunError as exc:
        sheet.errors.extend(getattr(exc, "errors", [exc]))
        return None


def _update(options: ImportOptions, sheet: SheetImport, path: Path, shown: str, ruleset, where: CellSource):
    """The changes the sheet makes to the existing ``path``, and its text after them."""
    try:
        with open_plain(guard_path(options.workspace, path, "read")) as handle:
            raw = handle.read()
        text = decode(raw, shown)
        data = load_text(text, shown)
    except OSError as exc:
        sheet.errors.append(FormError(tr("forms.cannot_read_project", path=shown, detail=os_reason(exc)), where))
        return None
    except EvalrunError as exc:
        sheet.errors.extend(getattr(exc, "errors", [exc]))
        return None
    problems = schema_errors(data, "project", shown)
    if problems:
        sheet.errors.append(FormError(tr("forms.project_has_errors", path=shown), where))
        sheet.errors.extend(problems)
        return None
    group_weights = budget_weight = None
    if ruleset is not None:
        group_weights = {g.name: g.weight if g.weight is not None else
                         sum((Decimal(str(r.get("weight", 0))) for r in data["indicators"] if r["level1"] == g.name),
                             Decimal(0))
                         for g in ruleset.groups}
        budget_weight = ruleset.budget.weight
    merged = merge(sheet, data, group_weights, budget_weight, exported(ruleset, data, shown))
    plan = Plan(path, False, changes=merged.changes, bom=raw.startswith(BOM))
    problems = merged.errors + ([] if options.accept_changes else [c.refused(where) for c in merged.approved])
    sheet.errors.extend(sorted(problems, key=lambda e: (not e.source.line, e.source.line, e.source.column)))
    check_scoring(sheet, ruleset, merged.matches, data)
    if merged.changes and not options.force and not options.dry_run:
        sheet.errors.append(FormError(tr("forms.exists", path=shown), where))
    if not sheet.errors and merged.edits:
        try:
            plan.text = edit(text, merged.edits, shown)
        except NotEditable as exc:
            sheet.errors.append(exc)
    return plan


def _header(options: ImportOptions, sheet: SheetImport, year: int) -> list[str]:
    """The comment at the top of a project file made by an import: in Chinese, as the rest of the file."""
    lines = [tr_in("zh_CN", "import.header.from", form=options.form.name, sheet=sheet.sheet),
             tr_in("zh_CN", "import.header.as_written"), tr_in("zh_CN", "import.header.validate", year=year)]
    if "weight" in sheet.notes:
        lines.append(tr_in("zh_CN", "import.header.weight", weight=format_number(sheet.notes["weight"])))
    return lines
