"""The year's 汇总 as the page shows it: filters, sorting, review counts and the charts' geometry.

Everything here works on the rows ``state.Year`` keeps (no scoring), so the
year of 1,000 projects is filtered, sorted and laid out in milliseconds.
Projects with error-level findings (or that could not be scored) come
first unless the reviewer sorts by a column; then those with findings no
one has decided on yet.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from engine.outputs.summary import FAILED
from engine.rules.targets import format_number

SORTS = ("problems", "department", "project", "rate", "total", "grade", "findings", "review")
REVIEWED = ("", "open", "done", "rectify", "none")
REVIEW_LABELS = {"": "全部", "open": "有未审核的提示", "done": "提示均已审核", "rectify": "有需整改的提示",
                 "none": "没有审核提示"}
DESCENDING_FIRST = ("rate", "total", "findings", "review")  # a first click on these shows the largest first
PAGE_SIZE = 1000
RATE_BINS = (  # (label, from, below) of the execution-rate chart, in percent
    ("<50%", None, 50), ("50–60%", 50, 60), ("60–70%", 60, 70), ("70–80%", 70, 80), ("80–90%", 80, 90),
    ("90–95%", 90, 95), ("95–100%", 95, 100), ("100%", 100, None),
)


@dataclass(frozen=True)
class Filters:
    department: str = ""
    grade: str = ""
    rate_min: Decimal | None = None  # percent
    rate_max: Decimal | None = None
    kind: str = ""  # a check's name, or "error" for any error-level finding
    reviewed: str = ""
    sort: str = "problems"
    desc: bool = False
    page: int = 1

    @classmethod
    def parse(cls, params) -> tuple["Filters", list[str]]:
        """Filters from the query string, and a note for each value that could not be read (it is ignored)."""
        notes: list[str] = []

        def percent(name: str) -> Decimal | None:
            text = (params.get(name) or "").strip().rstrip("%").strip()
            if not text:
                return None
            try:
                value = Decimal(text)
                if not value.is_finite():
                    raise InvalidOperation
                return value
            except InvalidOperation:
                notes.append(name)
                return None

        sort = params.get("sort") or "problems"
        if sort not in SORTS:
            notes.append("sort")
            sort = "problems"
        reviewed = params.get("reviewed") or ""
        if reviewed not in REVIEWED:
            notes.append("reviewed")
            reviewed = ""
        try:
            page = max(1, int(params.get("page") or 1))
        except ValueError:
            notes.append("page")
            page = 1
        return cls(department=(params.get("department") or "")[:200], grade=(params.get("grade") or "")[:64],
                   rate_min=percent("rate_min"), rate_max=percent("rate_max"), kind=(params.get("kind") or "")[:255],
                   reviewed=reviewed, sort=sort, desc=params.get("order") == "desc", page=page), notes

    def query(self, **changes) -> str:
        """The query string of these filters with ``changes`` (for links that sort or page)."""
        f = replace(self, **changes)
        pairs = [("department", f.department), ("grade", f.grade),
                 ("rate_min", format_number(f.rate_min) if f.rate_min is not None else ""),
                 ("rate_max", format_number(f.rate_max) if f.rate_max is not None else ""),
                 ("kind", f.kind), ("reviewed", f.reviewed),
                 ("sort", "" if f.sort == "problems" else f.sort), ("order", "desc" if f.desc else ""),
                 ("page", str(f.page) if f.page > 1 else "")]
        return urlencode([(k, v) for k, v in pairs if v])

    def sort_query(self, column: str) -> str:
        """The query string that sorts by ``column`` (again: the other way round)."""
        desc = not self.desc if self.sort == column else column in DESCENDING_FIRST
        return self.query(sort=column, desc=desc, page=1)

    @property
    def active(self) -> bool:
        return bool(self.department or self.grade or self.rate_min is not None or self.rate_max is not None
                    or self.kind or self.reviewed)


@dataclass
class Row:
    """An Entry with its findings' review states (engine.store.reviews)."""

    entry: object
    states: list  # per finding: its latest Review or None
    open: int  # findings no one has decided on
    rectify: int  # findings marked 需整改

    @property
    def decided(self) -> int:
        return len(self.states) - self.open


def with_reviews(entries, current: dict) -> list[Row]:
    rows = []
    for entry in entries:
        states = [current.get(f.key) for f in entry.findings]
        rows.append(Row(entry, states, sum(1 for s in states if s is None),
                        sum(1 for s in states if s is not None and s.state == "需整改")))
    return rows


def _keep(row: Row, f: Filters) -> bool:
    e = row.entry
    if f.department and e.department != f.department:
        return False
    if f.grade and (FAILED if e.failed else e.grade) != f.grade:
        return False
    if f.rate_min is not None or f.rate_max is not None:
        if e.rate is None:
            return False
        percent = e.rate * 100
        if (f.rate_min is not None and percent < f.rate_min) or (f.rate_max is not None and percent > f.rate_max):
            return False
    if f.kind == "error":
        if not e.has_errors:
            return False
    elif f.kind and not any(x.check == f.kind for x in e.findings):
        return False
    if f.reviewed == "open" and not row.open:
        return False
    if f.reviewed == "done" and (row.open or not e.findings):
        return False
    if f.reviewed == "rectify" and not row.rectify:
        return False
    if f.reviewed == "none" and e.findings:
        return False
    return True


def _sort_key(f: Filters, grades: list[str]):
    order = {g: i for i, g in enumerate(grades + [FAILED])}
    missing = Decimal("-1e30")
    keys = {
        "department": lambda r: (r.entry.department, r.entry.project),
        "project": lambda r: (r.entry.project, r.entry.department),
        "rate": lambda r: (r.entry.rate if r.entry.rate is not None else missing, r.entry.project),
        "total": lambda r: (r.entry.total if r.entry.total is not None else missing, r.entry.project),
        "grade": lambda r: (order.get(FAILED if r.entry.failed else r.entry.grade, len(order)), r.entry.project),
        "findings": lambda r: (len(r.entry.findings) + len(r.entry.errors), r.entry.project),
        "review": lambda r: (r.open, r.rectify, r.entry.project),
    }
    return keys.get(f.sort)


def select(rows: list[Row], f: Filters, grades: list[str]) -> list[Row]:
    kept = [r for r in rows if _keep(r, f)]
    key = _sort_key(f, grades)
    if key is None:  # problems first: errors, then undecided findings, then by department and best score
        return sorted(kept, key=lambda r: (0 if r.entry.has_errors else 1 if r.open else 2, r.entry.department,
                                           -(r.entry.total or 0), r.entry.project))
    return sorted(kept, key=key, reverse=f.desc)


def choices(rows: list[Row], grades: list[str]) -> dict:
    """What the filters offer: the departments, grades and kinds of finding of the year."""
    kinds = sorted({x.check for r in rows for x in r.entry.findings})
    failed = any(r.entry.failed for r in rows)
    return {"departments": sorted({r.entry.department for r in rows}),
            "grades": grades + ([FAILED] if failed else []), "kinds": kinds}


# ---------------------------------------------------------------- charts (inline SVG, drawn by the template)

WIDTH, LABEL, VALUE, BAR, ROW = 460, 90, 96, 16, 26


def grade_chart(rows: list[Row], grades: list[str]) -> dict:
    """Horizontal bars: projects per grade (and 未能评价) among ``rows``."""
    counts = [(g, sum(1 for r in rows if not r.entry.failed and r.entry.grade == g)) for g in grades]
    failed = sum(1 for r in rows if r.entry.failed)
    if failed:
        counts.append((FAILED, failed))
    largest = max((c for _, c in counts), default=0) or 1
    span = WIDTH - LABEL - VALUE
    bars = [{"label": g, "count": c, "y": 6 + i * ROW, "text_y": 6 + i * ROW + BAR - 3,
             "width": round(c / largest * span, 1), "failed": g == FAILED,
             "share": f"{c * 100 / len(rows):.1f}%" if rows else ""} for i, (g, c) in enumerate(counts)]
    return {"width": WIDTH, "height": 12 + len(bars) * ROW, "left": LABEL, "value_x": WIDTH - VALUE + 8,
            "bar": BAR, "bars": bars}


def rate_chart(rows: list[Row]) -> dict:
    """Vertical bars: projects per band of execution rate among ``rows`` (those that were scored)."""
    rates = [r.entry.rate * 100 for r in rows if r.entry.rate is not None]
    counts = [sum(1 for x in rates if (low is None or x >= low) and (high is None or x < high))
              for _, low, high in RATE_BINS]
    largest = max(counts, default=0) or 1
    width, height, top, bottom, left = WIDTH, 190, 18, 30, 10
    step = (width - 2 * left) / len(RATE_BINS)
    plot = height - top - bottom
    bars = []
    for i, ((label, low, high), count) in enumerate(zip(RATE_BINS, counts)):
        h = round(count / largest * plot, 1)
        bars.append({"label": label, "count": count, "x": round(left + i * step + 4, 1), "width": round(step - 8, 1),
                     "y": round(top + plot - h, 1), "height": h, "text_x": round(left + i * step + step / 2, 1),
                     "low": low is not None and low < 60})
    return {"width": width, "height": height, "axis_y": top + plot, "label_y": top + plot + 18, "bars": bars,
            "count": len(rates)}


def page_of(rows: list, f: Filters) -> tuple[list, int]:
    """The rows of the filters' page and the number of pages."""
    pages = max(1, (len(rows) + PAGE_SIZE - 1) // PAGE_SIZE)
    page = min(f.page, pages)
    return rows[(page - 1) * PAGE_SIZE: page * PAGE_SIZE], pages
