"""A finding's severity as a mark and a word (``! QUÁ HẠN``): readable without colour, coloured when possible."""
from __future__ import annotations

from rich.text import Text

from db.i18n import t
from db.rules import Finding
from tui.screens.branch import MARKS

UPCOMING_MARK = ("·", "dim")  # the branch screen's MARKS cover the severities that need attention


def severity_text(finding: Finding, lang: str) -> Text:
    mark, style = MARKS.get(finding.severity, UPCOMING_MARK)
    return Text(f"{mark} {t(f'severity.{finding.severity}', lang)}", style)
