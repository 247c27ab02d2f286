"""`evalrun --json`, written one project at a time.

The text is exactly ``json.dumps(payload, ensure_ascii=False, indent=2)`` of
``{"ruleset": ..., "projects": [...], "failures": [...]}``, but no list of
every project is ever held: each project is written as soon as it is
evaluated. (JSON strings escape newlines, so the only line breaks inside a
dumped value are its indentation, which is shifted to its depth.)
"""
from __future__ import annotations

import json
from typing import Callable


def _dumps(value, depth: int) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n" + "  " * depth)


class JsonRunWriter:
    def __init__(self, write: Callable[[str], object]):
        self.write = write
        self.started = False
        self.count = 0

    def _start(self, ruleset_ref: dict) -> None:
        if not self.started:
            self.write('{\n  "ruleset": ' + _dumps(ruleset_ref, 1) + ',\n  "projects": [')
            self.started = True

    def project(self, ruleset_ref: dict, data: dict) -> None:
        self._start(ruleset_ref)
        self.write(("\n    " if not self.count else ",\n    ") + _dumps(data, 2))
        self.count += 1

    def finish(self, ruleset_ref: dict, failures: list) -> None:
        self._start(ruleset_ref)
        self.write(("\n  ]" if self.count else "]") + ',\n  "failures": ' + _dumps(failures, 1) + "\n}\n")
