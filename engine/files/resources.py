"""Where the files that ship with evalrun are: schemas and default templates.

Installed, they sit inside the package (engine/schemas, engine/templates);
in a source checkout they are at the top of the repository.
"""
from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # engine/, seen from engine/files/
_CHECKOUT = {"schemas": _PACKAGE.parent / "schemas", "templates": _PACKAGE.parent / "reports" / "templates"}


def data_dir(kind: str) -> Path:
    installed = _PACKAGE / kind
    if installed.is_dir():
        return installed
    return _CHECKOUT[kind]


def data_path(kind: str, name: str) -> Path:
    return data_dir(kind) / name
