"""`evalrun db export`: the stored results as CSV (always) or Parquet (with pyarrow) for a bureau's own analysis.

One file per table, each readable alone: the indicator rows and findings
repeat their project's department, project and fiscal year, and each result
says whether it is ``current`` (the one its project's latest run of that year
recorded, which history and compare use). CSV is UTF-8 with a BOM, so that
Excel opens the Chinese text as such; numbers are written exactly as stored;
a text that Excel would take for a formula (``=``, ``+``, ``@``, ``-`` not a
number) is written with a leading ``'``. Every file is written whole or not
at all.
"""
from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import and_, func, select

from engine.errors import UsageError
from engine.i18n import tr
from engine.store import schema
from engine.store.history import _open

FORMATS = ("csv", "parquet")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?%?$")


@dataclass(frozen=True)
class Exported:
    files: list
    rows: dict  # file name -> rows written


def _queries(year: int | None):
    r, rr, run, ind, fnd, fail = (schema.result, schema.run_result, schema.run, schema.indicator, schema.finding,
                                  schema.run_failure)
    latest = (select(r.c.fiscal_year, r.c.department, r.c.project, func.max(rr.c.run_id).label("run_id"))
              .join(rr, rr.c.result_id == r.c.id).group_by(r.c.fiscal_year, r.c.department, r.c.project).subquery())
    last_run = (select(rr.c.result_id, func.max(rr.c.run_id).label("latest_run_id"))
                .group_by(rr.c.result_id).subquery())
    current = (select(func.count()).select_from(latest).where(and_(
        latest.c.fiscal_year == r.c.fiscal_year, latest.c.department == r.c.department,
        latest.c.project == r.c.project, latest.c.run_id == last_run.c.latest_run_id)).scalar_subquery())
    keys = (r.c.department, r.c.project, r.c.fiscal_year)

    def only(query, column):
        return query.where(column == year) if year is not None else query

    results = only(select(r.c.id.label("result_id"), *[c for c in r.c if c.name != "id"],
                          last_run.c.latest_run_id, (current > 0).label("current"))
                   .join(last_run, last_run.c.result_id == r.c.id).order_by(r.c.id), r.c.fiscal_year)
    return {
        "runs": only(select(run).order_by(run.c.id), run.c.fiscal_year),
        "results": results,
        "indicators": only(select(*keys, *ind.c).join(r, r.c.id == ind.c.result_id)
                           .order_by(ind.c.result_id, ind.c.position), r.c.fiscal_year),
        "findings": only(select(*keys, *fnd.c).join(r, r.c.id == fnd.c.result_id)
                         .order_by(fnd.c.result_id, fnd.c.position), r.c.fiscal_year),
        "run_results": only(select(rr).join(run, run.c.id == rr.c.run_id).order_by(rr.c.run_id, rr.c.result_id),
                            run.c.fiscal_year),
        "run_failures": only(select(fail).join(run, run.c.id == fail.c.run_id)
                             .order_by(fail.c.run_id, fail.c.position), run.c.fiscal_year),
        # reviewers' decisions on findings, every one (the latest of a finding_key is its state)
        "reviews": only(select(schema.review).order_by(schema.review.c.id), schema.review.c.fiscal_year),
    }


def export(url: str, workspace: Path | None, output: Path, fmt: str = "csv", year: int | None = None) -> Exported:
    if fmt not in FORMATS:
        raise UsageError(tr("export.unknown_format", format=fmt))
    writer = _csv if fmt == "csv" else _parquet_writer()
    engine = _open(url, workspace)
    files, counts = [], {}
    try:
        output.mkdir(parents=True, exist_ok=True)
        with engine.connect() as connection:
            for name, query in _queries(year).items():
                result = connection.execution_options(stream_results=True, yield_per=2000).execute(query)
                path = output / f"{name}.{fmt}"
                counts[path.name] = writer(path, list(result.keys()), result)
                files.append(path)
    except OSError as exc:
        raise UsageError(tr("export.cannot_write", output=output, detail=exc.strerror or exc)) from None
    finally:
        engine.dispose()
    return Exported(files, counts)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    if text[:1] in ("=", "+", "@", "\t", "\r") or (text[:1] == "-" and not _NUMBER.match(text)):
        return "'" + text  # Excel would run it as a formula
    return text


def _replace(path: Path, write) -> None:
    """Write through a temporary file beside ``path``, then move it into place."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    try:
        write(temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _csv(path: Path, columns: list, rows) -> int:
    count = 0

    def write(temporary):
        nonlocal count
        with open(temporary, "w", encoding="utf-8-sig", newline="") as handle:
            out = csv.writer(handle)
            out.writerow(columns)
            for row in rows:
                out.writerow([_text(v) for v in row])
                count += 1

    _replace(path, write)
    return count


def _parquet_writer():
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise UsageError(tr("export.needs_pyarrow")) from None

    def write_parquet(path: Path, columns: list, rows) -> int:
        data = [list(row) for row in rows]
        arrays = [pa.array([row[i] for row in data]) for i in range(len(columns))]
        table = pa.Table.from_arrays(arrays, names=columns)
        _replace(path, lambda temporary: pq.write_table(table, temporary))
        return len(data)

    return write_parquet


def csv_rows(path: Path) -> list[dict]:
    """A CSV this module wrote, read back (for tests and the curious)."""
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
