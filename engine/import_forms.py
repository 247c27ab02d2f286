"""import_forms: `evalrun import` — an Excel workbook of 自评表 sheets -> project files.

Reads every sheet (engine/importer.py), decides where each project goes
(projects/<year>/<department>/<project>.yaml), and writes them all at once
through a staging folder: nothing is written when a sheet has errors unless
``partial``, and an existing file is replaced only with ``force``.
"""
from __future__ import annotations

import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

from .cells import CellSource, FormError
from .errors import EvalrunError
from .importer import SheetImport, read_sheet
from .ooxml import WORKBOOK_LIMITS, PackageDamaged, check_package
from .projectfile import render
from .rulesets import RulesetCache, display
from .targets import format_number
from .write import Staging, safe_name

MAX_WORKBOOK_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class ImportOptions:
    form: Path
    year: int
    workspace: Path = Path(".")
    department: str | None = None  # instead of each sheet's 主管部门
    partial: bool = False  # write the good sheets even when others have errors
    force: bool = False  # replace existing project files


@dataclass
class ImportResult:
    sheets: list[SheetImport] = field(default_factory=list)
    paths: dict = field(default_factory=dict)  # sheet -> the project file it becomes
    written: list[Path] = field(default_factory=list)

    @property
    def failed(self) -> list[SheetImport]:
        return [s for s in self.sheets if s.errors]

    @property
    def ok(self) -> bool:
        return not self.failed


def open_workbook(path: Path):
    """The workbook, or one clear FormError saying why it is not an .xlsx evalrun can read."""
    where = CellSource(path.name)
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
        size = path.stat().st_size
    except OSError as exc:
        raise FormError(f"cannot read the file: {exc.strerror}", where) from None
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FormError("this is an old Excel 97-2003 workbook (.xls) or a password-protected one; open it in Excel "
                        "or WPS and save it as an Excel 工作簿 (.xlsx) without a password", where)
    if not head.startswith(b"PK"):
        raise FormError("this is not an Excel workbook (.xlsx); open it in Excel or WPS and save it as "
                        "an Excel 工作簿 (.xlsx)", where)
    if size > MAX_WORKBOOK_BYTES:
        raise FormError(f"the workbook is {size / 1024 / 1024:.1f} MB; a 自评表 workbook is far smaller "
                        f"(at most {MAX_WORKBOOK_BYTES // 1024 // 1024} MB is read)", where)
    check_unpacked_size(path, where)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about features it drops (data validation, ...)
            return openpyxl.load_workbook(path, data_only=True)
    except (zipfile.BadZipFile, zipfile.LargeZipFile):
        raise FormError("the file is damaged (it cannot be unzipped); save it again from Excel or WPS as an "
                        "Excel 工作簿 (.xlsx)", where) from None
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds of exception for files it cannot read
        raise FormError("the file is damaged or not an Excel workbook, though it is a zip file; save it again "
                        "from Excel or WPS as an Excel 工作簿 (.xlsx)", where) from None


def check_unpacked_size(path: Path, where: CellSource) -> None:
    """Refuse a workbook that would unpack past the limits of engine/ooxml.py (a zip bomb, ten million rows,
    a merged range over a whole sheet) before openpyxl builds anything; values are then read, never
    formulas evaluated (a formula cell gives the value Excel saved with it)."""
    try:
        check_package(path.read_bytes(), where.file, WORKBOOK_LIMITS, "workbook")
    except OSError as exc:
        raise FormError(f"cannot read the file: {exc.strerror}", where) from None
    except PackageDamaged:
        return  # openpyxl says it in its own words below
    except EvalrunError as exc:
        raise FormError(exc.message, where) from None


def read_workbook(options: ImportOptions) -> list[SheetImport]:
    """Every sheet read; FormError when the file is not a workbook or has no 自评表 sheet at all."""
    workbook = open_workbook(options.form)
    framework = _framework(options.workspace, options.year)
    sheets = [read_sheet(ws, options.form.name, options.year, options.department, framework)
              for ws in workbook.worksheets]
    if all(s.skipped for s in sheets):
        names = ", ".join(s.sheet for s in sheets)
        raise FormError(f"no sheet looks like a 项目支出绩效自评表 (none has a 三级指标 header); sheets: {names}",
                        CellSource(options.form.name))
    return sheets


def _framework(workspace: Path, year: int):
    """The 一级 -> 二级 names of the year's ruleset (a department's variant where it has one), if there is one."""
    if not (workspace / "rulesets" / str(year) / "ruleset.yaml").is_file():
        return None
    cache = RulesetCache(workspace, str(year))
    return lambda department: {g.name: g.subgroups for g in cache.for_department(department).groups}


def import_workbook(options: ImportOptions) -> ImportResult:
    """Read the workbook and write a project file per good sheet (all or nothing unless ``partial``)."""
    result = ImportResult(read_workbook(options))
    root = options.workspace / "projects" / str(options.year)
    texts: dict = {}
    taken: dict = {}
    for sheet in result.sheets:
        if sheet.skipped or sheet.errors:
            continue
        relative = Path(safe_name(sheet.data["department"])) / f"{safe_name(sheet.data['project'])}.yaml"
        shown = display(root / relative, options.workspace)
        where = CellSource(f"{options.form.name}!{sheet.sheet}")
        if relative in taken:
            sheet.errors.append(FormError(f"the sheet {taken[relative]} imports the same project ({shown}); "
                                          "keep one of them", where))
        elif (root / relative).exists() and not options.force:
            sheet.errors.append(FormError(f"{shown} exists already; add --force to replace it", where))
        else:
            taken[relative] = sheet.sheet
            result.paths[sheet.sheet] = root / relative
            texts[relative] = render(sheet.data, _header(options, sheet))
    if texts and (result.ok or options.partial):
        with Staging(root, options.workspace, options.workspace, "the project files") as staging:
            for relative, text in texts.items():
                staging.write(relative, text)
            result.written = staging.commit()
    return result


def _header(options: ImportOptions, sheet: SheetImport) -> list[str]:
    lines = [f"Imported by `evalrun import` from {options.form.name}, sheet {sheet.sheet}.",
             "Targets and actual values are as the form writes them; edit them here, then check the file with",
             f"`evalrun validate --ruleset {options.year}`."]
    stated = []
    if "weight" in sheet.notes:
        stated.append(f"分值 {format_number(sheet.notes['weight'])}")
    if "rate" in sheet.notes:
        stated.append(f"执行率 {sheet.notes['rate']}")
    if stated:
        lines.append(f"The form states the budget row's {' and '.join(stated)}; evalrun computes them from the "
                     "budget and the ruleset.")
    return lines
