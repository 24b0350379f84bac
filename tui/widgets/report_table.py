"""The rows of a report (:class:`db.report.Report`): the total first and kept in sight, the unit
names too when the figures scroll sideways, figure headings wrapped over two lines."""
from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from db.report import Report
from tui import report_output
from tui.bindings import localize_bindings
from tui.output import shorten, width
from tui.widgets.fitted_text import FittedText

UNIT_CELLS = (12, 30)         # the unit column: at least, at most
HEADING_CELLS = 14            # a figure's heading wraps over two lines up to this width, then is cut
HEADING_LINES = 2
TOTAL_KEY = "total"


def wrap_words(text: str, cells: int) -> list[str]:
    """``text`` in lines of at most ``cells`` (a word longer than that stands alone on its line)."""
    lines: list[str] = []
    for word in text.split():
        if lines and width(lines[-1]) + 1 + width(word) <= cells:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def fit_heading(label: str, at_least: int) -> tuple[str, int, bool]:
    """A figure's heading over at most two lines, the column's width, and whether the heading was cut:
    the narrowest width from ``at_least`` (the widest value) that holds it, up to ``HEADING_CELLS``."""
    start = max(at_least, min(HEADING_CELLS, max(width(w) for w in label.split())))
    for cells in range(start, max(start, HEADING_CELLS) + 1):
        lines = wrap_words(label, cells)
        if len(lines) <= HEADING_LINES and all(width(line) <= cells for line in lines):
            return "\n".join(lines), cells, False
    cells = max(start, HEADING_CELLS)
    lines = wrap_words(label, cells)
    kept = [shorten(line, cells) for line in lines[:HEADING_LINES - 1]]
    kept.append(shorten(" ".join(lines[HEADING_LINES - 1:]) + " …", cells))
    return "\n".join(kept), cells, True


class ReportTable(DataTable):
    """A report's total and rows: ← and → scroll the figures a column at a time; ← at the left edge goes
    back, as everywhere; Enter selects a row (its key: the unit's id, or ``TOTAL_KEY``)."""

    BINDINGS = [Binding("enter", "select_cursor", "ui.report.key.open_row", id="report_open_row", show=False)]

    def __init__(self, *, lang: str, **kwargs) -> None:
        # the total row is kept in sight once there is one (a fixed row of an empty table fails to render)
        super().__init__(cursor_type="row", zebra_stripes=True, header_height=HEADING_LINES, fixed_columns=1,
                         **kwargs)
        self.lang = lang
        localize_bindings(self, lang)

    def show(self, report: Report) -> list[tuple[str, str]]:
        """The report's rows, in the columns and cell texts of the CLI's report, with the cursor on the same
        unit and the figures scrolled as they were.  Returns the headings cut short, with their full text."""
        keep_key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value if self.row_count else None
        keep_x = self.scroll_x
        columns = report_output.columns(self.lang)
        rows = [report.total, *report.rows]
        texts = [[report_output.cell_text(c.value(row), c.kind, self.lang) for c in columns] for row in rows]
        self.clear(columns=True)
        cut_headings, widths = [], []
        for j, column in enumerate(columns):
            widest = max(width(line[j]) for line in texts)
            if column.kind == "text":
                cells = max(UNIT_CELLS[0], min(UNIT_CELLS[1], widest))
                label = shorten(column.label, cells)
            else:
                label, cells, cut = fit_heading(column.label, widest)
                if cut:
                    cut_headings.append((label.replace("\n", " "), column.label))
            widths.append(cells)
            self.add_column(Text(label, "bold"), width=cells, key=str(j))
        keys = []
        for row, line in zip(rows, texts):
            key = TOTAL_KEY if row.unit is None else str(row.unit)
            style = "bold" if row.unit is None else ""
            self.add_row(*(FittedText(shorten(value, cells), style, no_wrap=True) if column.kind == "text"
                           else FittedText(value, style, justify="right", no_wrap=True)
                           for column, value, cells in zip(columns, line, widths)), key=key)
            keys.append(key)
        self.fixed_rows = 1
        if keep_key in keys:
            self.move_cursor(row=keys.index(keep_key), animate=False)
        self.scroll_to(x=keep_x, animate=False, immediate=True)
        return cut_headings

    def _stops(self) -> list[int]:
        """The horizontal scroll offsets that put a figure's column right after the unit names."""
        stops, x = [0], 0
        for column in self.ordered_columns[self.fixed_columns:]:
            x += column.get_render_width(self)
            stops.append(x)
        return [stop for stop in stops if stop < self.max_scroll_x] + [int(self.max_scroll_x)]

    def action_cursor_right(self) -> None:
        """One column further; the last one lands at the right edge."""
        ahead = [stop for stop in self._stops() if stop > self.scroll_x]
        if ahead:
            self.scroll_to(x=ahead[0], animate=False)

    def action_cursor_left(self) -> None:
        """One column back; at the left edge, back to the screen before."""
        behind = [stop for stop in self._stops() if stop < self.scroll_x]
        if behind:
            self.scroll_to(x=behind[-1], animate=False)
        else:
            self.screen.action_back()
