"""The rows of a report (:class:`db.report.Report`): the total first and kept in sight, the unit
names too when the figures scroll sideways, figure headings wrapped over two lines."""
from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
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
        self._spans: list[tuple[int, int]] = []
        # a report's columns (heading, width) and rows (key, cells) not yet in the table: it has no size yet
        self._unfilled: tuple[list[tuple[Text, int]], list[tuple[str, list[FittedText]]]] | None = None
        localize_bindings(self, lang)

    def show(self, report: Report) -> list[tuple[str, str]]:
        """The report's rows, in the columns and cell texts of the CLI's report, with the cursor on the same
        unit and the figures scrolled as they were.  Returns the headings cut short, with their full text.

        The table is filled once it is laid out: under the loading indicator it has no size, and when it gets it
        DataTable paints it all again (the first report of the metro top was painted twice, 50-170 ms each)."""
        columns = report_output.columns(self.lang)
        rows = [report.total, *report.rows]
        texts = [[report_output.cell_text(c.value(row), c.kind, self.lang) for c in columns] for row in rows]
        cut_headings, labels, widths = [], [], []
        for j, column in enumerate(columns):
            widest = max(width(line[j]) for line in texts)
            if column.kind == "text":
                cells = max(UNIT_CELLS[0], min(UNIT_CELLS[1], widest))
                label = shorten(column.label, cells)
            else:
                label, cells, cut = fit_heading(column.label, widest)
                if cut:
                    cut_headings.append((label.replace("\n", " "), column.label))
            labels.append(Text(label, "bold"))
            widths.append(cells)
        lines = []
        for row, line in zip(rows, texts):
            style = "bold" if row.unit is None else ""
            lines.append((TOTAL_KEY if row.unit is None else str(row.unit),
                          [FittedText(shorten(value, cells), style, no_wrap=True) if column.kind == "text"
                           else FittedText(value, style, justify="right", no_wrap=True)
                           for column, value, cells in zip(columns, line, widths)]))
        self._unfilled = (list(zip(labels, widths)), lines)
        if self.size.width:
            self._fill()
        return cut_headings

    def _fill(self) -> None:
        columns, lines = self._unfilled
        self._unfilled = None
        keep_key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value if self.row_count else None
        keep_x = self.scroll_x
        self.clear(columns=True)
        for j, (label, cells) in enumerate(columns):
            self.add_column(label, width=cells, key=str(j))
        self._spans = self._column_spans()
        for key, cells in lines:
            self.add_row(*cells, key=key)
        self.fixed_rows = 1
        keys = [key for key, _ in lines]
        if keep_key in keys:
            self.move_cursor(row=keys.index(keep_key), animate=False)
        self.scroll_to(x=keep_x, animate=False, immediate=True)

    def on_resize(self) -> None:
        if self._unfilled is not None and self.size.width:
            self._fill()

    # -- painting the columns in view ------------------------------------------------------
    # DataTable paints every column of a line and then cuts out the part in view: a city's report has 37 columns,
    # of which 6 to 9 fit on the screen, and painting all of them held the event loop for 85-170 ms each time
    # the screen of lines was painted (at metro scale, when the report opened: twice).  So the cells out of view
    # are given blank; and as a line painted at one horizontal scroll is then not the line of another, the lines
    # DataTable keeps painted are dropped when the scroll moves (the cells it keeps stay).  This reaches into
    # Textual 8's DataTable (_render_cell, _row_render_cache); the report's tests read the lines painted after
    # scrolling.

    def _column_spans(self) -> list[tuple[int, int]]:
        """Where each column is across the whole width of a line: (first cell, after the last)."""
        spans, x = [], 0
        for column in self.ordered_columns:
            spans.append((x, x + column.get_render_width(self)))
            x = spans[-1][1]
        return spans

    @property
    def _fixed_width(self) -> int:
        """The cells of the columns kept in sight (the unit names)."""
        return self._spans[self.fixed_columns - 1][1] if self.fixed_columns and self._spans else 0

    def _in_view(self, column_index: int) -> bool:
        if column_index < self.fixed_columns or column_index >= len(self._spans):
            return True
        start, end = self._spans[column_index]
        left = int(self.scroll_x) + self._fixed_width  # a cell over either edge counts as in view
        return end > left - 1 and start < int(self.scroll_x) + self.size.width + 1

    def _render_cell(self, row_index: int, column_index: int, base_style: Style, width: int,
                     cursor: bool = False, hover: bool = False) -> list[list[Segment]]:
        if self._in_view(column_index):
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        height = self.header_height if row_index < 0 else self.ordered_rows[row_index].height
        return [[Segment(" " * width, base_style)] for _ in range(height)]

    def watch_scroll_x(self, old_value: float, new_value: float) -> None:
        if round(old_value) != round(new_value):
            self._row_render_cache.clear()
        super().watch_scroll_x(old_value, new_value)

    def _stops(self) -> list[int]:
        """The horizontal scroll offsets that put a figure's column right after the unit names."""
        stops = [0] + [end - self._fixed_width for _, end in self._spans[self.fixed_columns:]]
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
