"""Finding: what the review checks say about a project or its rules, in the reports' Chinese and the console's language."""
from __future__ import annotations

from dataclasses import dataclass

from engine.errors import Source
from engine._util import quick_init
from engine.i18n import tr


@quick_init
@dataclass(frozen=True)
class Finding:
    check: str
    severity: str  # "warning" | "error"
    message: str
    source: Source = Source()
    scope: str = "project"  # "ruleset": about the rules themselves, the same for every project they score
    key: str = ""  # the message id (engine/i18n); ``message`` is its Chinese, as reports print it
    fields: tuple = ()  # (name, value) pairs for its placeholders

    @property
    def text(self) -> str:
        """The finding in the language the console speaks (``message`` stays the reports' Chinese)."""
        return tr(self.key, **dict(self.fields)) if self.key else self.message

    def __str__(self) -> str:
        return tr("finding.line", source=self.source, severity=severity_word(self.severity), text=self.text)


def severity_word(severity: str) -> str:
    """A finding's severity as the console says it (提示, 错误); the JSON and the store keep warning/error."""
    if severity == "error":
        return tr("finding.severity.error")
    return tr("finding.severity.warning") if severity == "warning" else severity
