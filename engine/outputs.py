"""The output formats: each turns one evaluated project into one file's bytes.

A format is a name (``md``), a file extension and a function. ``run``
renders the formats the user chose for every project and stages the files;
formats are added here, nowhere else.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .errors import UsageError
from .model import ProjectResult
from .render import render_template


@dataclass(frozen=True)
class OutputFormat:
    name: str
    extension: str
    render: Callable[[Path, ProjectResult], bytes]
    description: str


def _markdown(workspace: Path, result: ProjectResult) -> bytes:
    return render_template(workspace, "report.md.j2", result).encode("utf-8")


FORMATS: dict[str, OutputFormat] = {
    "md": OutputFormat("md", "md", _markdown, "Markdown report with the self-evaluation table"),
}
DEFAULT_FORMATS = tuple(FORMATS)


def parse_formats(text: str | None) -> tuple:
    """'md,html' -> ('md', 'html'); unknown names are a usage error."""
    if not text:
        return DEFAULT_FORMATS
    names = tuple(dict.fromkeys(n.strip().lower() for n in text.split(",") if n.strip()))
    unknown = [n for n in names if n not in FORMATS]
    if unknown or not names:
        raise UsageError(f"unknown format `{', '.join(unknown) or text}`; choose from {', '.join(FORMATS)}")
    return names
