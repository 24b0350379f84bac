"""A report's chart of admitted per quarter against the plan line (:func:`tui.report_output.chart`, the
CLI's own), its bars as wide as the screen allows; colour only repeats what the characters say."""
from __future__ import annotations

import re

from rich.text import Text
from textual.widget import Widget

from db.report import Report
from tui import report_output
from tui.output import ADMITTED, REMAINING

CHART_CELLS = (10, 60)        # the chart's bar follows the width of the screen, within these
CHART_AROUND = 20             # what a chart line holds besides the bar: "Q4  " and "  1.234/1.234"
GLYPHS = report_output.Glyphs(bar=ADMITTED, rest=REMAINING, plan="│")


class ReportChart(Widget):
    DEFAULT_CSS = "ReportChart { height: auto; }"

    def __init__(self, *, lang: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.lang = lang
        self.report: Report | None = None

    def show(self, report: Report) -> None:
        self.report = report
        self.refresh(layout=True)

    def render(self) -> Text:
        if self.report is None:
            return Text()
        low, high = CHART_CELLS
        cells = max(low, min(high, self.size.width - CHART_AROUND))
        text = Text("\n".join(report_output.chart(self.report, self.lang, cells, GLYPHS)), no_wrap=True)
        text.highlight_regex(re.escape(GLYPHS.bar) + "+", "green")
        text.highlight_regex(re.escape(GLYPHS.plan), "bold yellow")
        return text
