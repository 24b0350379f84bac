"""The admissions report of a unit for the app's year, a quarter or a half, as ``ptdv report`` builds
it: one row per unit below and the total, the notes, and the chart of admitted per quarter against
the plan line.  ``y``, ``1``–``4`` and ``h`` choose the period; ``w`` writes the Excel file the CLI
writes (a dialog shows where, prefilled with a name from the unit and the period)."""
from __future__ import annotations

import errno
import os
import re
from pathlib import Path
from typing import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Header, Input, Label, Static

from db.errors import PtdvError
from db.i18n import t
from db.report import Report
from db.text import fold, safe
from tui import report_output
from tui.bindings import localize_bindings
from tui.output import ADMITTED, REMAINING, shorten, width
from tui.screens.base import DataScreen

UNIT_CELLS = (12, 30)         # the unit column: at least, at most
HEADING_CELLS = 14            # a figure's heading wraps over two lines up to this width, then is cut
HEADING_LINES = 2
CHART_CELLS = (10, 60)        # the chart's bar follows the width of the screen, within these
CHART_AROUND = 20             # what a chart line holds besides the bar: "Q4  " and "  1.234/1.234"
GLYPHS = report_output.Glyphs(bar=ADMITTED, rest=REMAINING, plan="│")
SLUG_CELLS = 60
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


def file_name(report: Report, lang: str) -> str:
    """``bao-cao-dang-uy-phuong-phuoc-my-2024-q3.xlsx``: ASCII, from the unit's name and the period."""
    slug = re.sub(r"[^a-z0-9]+", "-", fold(report.unit_name))[:SLUG_CELLS].strip("-")
    period = report.period
    suffix = f"q{period.quarter}" if period.quarter else f"h{period.half}" if period.half else ""
    parts = [t("ui.report.file_prefix", lang), slug, str(period.year), suffix]
    return "-".join(p for p in parts if p) + ".xlsx"


def target_path(typed: str, name: str) -> Path:
    """The file a typed path names: ``~`` expanded, relative to the working folder, ending in .xlsx;
    a folder (one that exists, or typed with a ``/`` at the end) gets the file ``name`` in it."""
    typed = typed.strip()
    if not typed:
        raise PtdvError("ui.report.no_path")
    path = Path(typed).expanduser()
    if not path.is_absolute():
        try:
            path = Path.cwd() / path
        except OSError as exc:  # the working folder was removed
            raise write_error(path, exc) from exc
    if typed.endswith(os.sep) or path.is_dir():
        return path / name
    return path if path.suffix.lower() == ".xlsx" else path.with_name(path.name + ".xlsx")


def write_error(path: Path, exc: OSError) -> PtdvError:
    """What went wrong writing ``path``, said in the user's language rather than the system's."""
    if exc.errno in (errno.ENOENT, errno.ENOTDIR) and not path.parent.is_dir():
        return PtdvError("ui.report.no_folder", folder=safe(str(path.parent)))
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return PtdvError("ui.report.no_permission", path=safe(str(path)))
    if exc.errno == errno.EISDIR:
        return PtdvError("ui.report.is_folder", path=safe(str(path)))
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return PtdvError("ui.report.disk_full", path=safe(str(path)))
    return PtdvError("ui.report.write_failed", path=safe(str(path)), detail=exc.strerror or str(exc))


class ReportTable(DataTable):
    """The report's rows, the total first and kept in sight, the unit names too when the figures
    scroll: ← and → scroll them; ← at the left edge goes back, as everywhere."""

    BINDINGS = [Binding("enter", "select_cursor", "ui.report.key.open_row", id="report_open_row", show=False)]

    def __init__(self, *, lang: str, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, header_height=HEADING_LINES, fixed_columns=1,
                         fixed_rows=1, **kwargs)
        localize_bindings(self, lang)

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


class ReportChart(Widget):
    """The chart of :func:`report_output.chart`, its bars as wide as the screen allows; colour only
    repeats what the characters say."""

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


class ReportScreen(DataScreen):
    CSS_PATH = "report.tcss"
    QUARTER = Binding.Group("ui.report.key.quarter", compact=True)
    BINDINGS = [
        Binding("y", "period", "ui.report.key.year", id="report_year"),
        Binding("1", "period(1)", "ui.report.key.q1", id="report_q1", group=QUARTER),
        Binding("2", "period(2)", "ui.report.key.q2", id="report_q2", group=QUARTER),
        Binding("3", "period(3)", "ui.report.key.q3", id="report_q3", group=QUARTER),
        Binding("4", "period(4)", "ui.report.key.q4", id="report_q4", group=QUARTER),
        Binding("h", "half", "ui.report.key.half", id="report_half"),
        Binding("w", "write", "ui.report.key.write", id="report_write"),
    ]

    def __init__(self, unit_id: int) -> None:
        super().__init__()
        self.unit_id = unit_id
        self.quarter: int | None = None
        self.half: int | None = None
        self.report: Report | None = None
        self.cut_headings: list[tuple[str, str]] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="heading", markup=False)
        yield ReportTable(lang=self.app.lang)
        with Vertical(id="below"):
            yield ReportChart(lang=self.app.lang, id="chart")
            yield Static(id="notes", markup=False)
        yield Footer()

    @property
    def table(self) -> ReportTable:
        return self.query_one(ReportTable)

    def on_mount(self) -> None:
        self.table.focus()

    # -- what is shown --------------------------------------------------------------------
    def build(self) -> Report:
        return self.app.service.report(self.unit_id, self.app.year, self.quarter, self.half)

    def reload(self) -> None:
        report = self.build()
        self.report = report
        lang = self.app.lang
        title, _path, period, target = report_output.heading_lines(report, lang)
        self.title = title
        heading = Text(self.t("report.unit", unit=safe(report.unit_name)), "bold")  # the name: the path is long
        heading.append(" · " + target)
        heading.append("\n" + period, "bold")
        self.query_one("#heading", Static).update(heading)
        self._fill(report)
        self.query_one(ReportChart).show(report)
        self.query_one("#notes", Static).update("\n".join(report_output.note_lines(report, lang)))

    def _fill(self, report: Report) -> None:
        """The table again, with the cursor on the same unit and the figures scrolled as they were."""
        table, lang = self.table, self.app.lang
        keep_key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value if table.row_count else None
        keep_x = table.scroll_x
        columns = report_output.columns(lang)
        rows = [report.total, *report.rows]
        texts = [[report_output.cell_text(c.value(row), c.kind, lang) for c in columns] for row in rows]
        table.clear(columns=True)
        self.cut_headings = []
        widths = []
        for j, column in enumerate(columns):
            widest = max(width(line[j]) for line in texts)
            if column.kind == "text":
                cells = max(UNIT_CELLS[0], min(UNIT_CELLS[1], widest))
                label = shorten(column.label, cells)
            else:
                label, cells, cut = fit_heading(column.label, widest)
                if cut:
                    self.cut_headings.append((label.replace("\n", " "), column.label))
            widths.append(cells)
            table.add_column(Text(label, "bold"), width=cells, key=str(j))
        keys = []
        for row, line in zip(rows, texts):
            key = TOTAL_KEY if row.unit is None else str(row.unit)
            style = "bold" if row.unit is None else ""
            table.add_row(*(Text(shorten(value, cells), style, no_wrap=True) if column.kind == "text"
                            else Text(value, style, justify="right", no_wrap=True)
                            for column, value, cells in zip(columns, line, widths)), key=key)
            keys.append(key)
        if keep_key in keys:
            table.move_cursor(row=keys.index(keep_key), animate=False)
        table.scroll_to(x=keep_x, animate=False, immediate=True)

    def legend(self) -> list[str]:
        return [f"{short} = {full}" for short, full in self.cut_headings]

    # -- keys -----------------------------------------------------------------------------
    def action_period(self, quarter: int | None = None) -> None:
        self.quarter, self.half = quarter, None
        self.app.reload_screen(self)

    def action_half(self) -> None:
        """The other half when a half is shown; else the half of the quarter shown, or the first."""
        if self.half is not None:
            half = 3 - self.half
        else:
            half = (self.quarter + 1) // 2 if self.quarter else 1
        self.quarter, self.half = None, half
        self.app.reload_screen(self)

    def action_write(self) -> None:
        if self.report is None:
            return
        try:
            folder = Path.cwd()
        except OSError:  # the working folder was removed: offer the home folder
            folder = Path.home()
        name = file_name(self.report, self.app.lang)
        self.app.push_screen(WriteReportDialog(folder / name, self.write_file), self._written)

    def write_file(self, path: Path) -> None:
        """The report of the period on screen, built again from the store, written to ``path``."""
        report = self.build()
        try:
            report_output.write_xlsx(report, path, self.app.lang, self.app.service.today())
        except OSError as exc:
            raise write_error(path, exc) from exc
        except ValueError as exc:  # a name the system refuses (a NUL character)
            raise PtdvError("ui.report.write_failed", path=safe(str(path)), detail=safe(str(exc))) from exc

    def _written(self, path: Path | None) -> None:
        if path is not None:
            self.app.notify(self.t("cli.report.written", path=safe(str(path))), markup=False, timeout=10)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a unit below: that unit's report, for the same year."""
        event.stop()
        key = event.row_key.value
        if key != TOTAL_KEY and int(key) != self.unit_id:
            self.app.open_report(int(key))


class WriteReportDialog(ModalScreen[Path | None]):
    """Where to write the Excel file: the path prefilled; Enter writes (a refusal keeps the dialog and
    says why), Esc cancels."""

    CSS_PATH = "report.tcss"
    BINDINGS = [Binding("escape", "cancel", "ui.report.key.cancel", id="report_cancel")]

    def __init__(self, path: Path, write: Callable[[Path], None]) -> None:
        super().__init__()
        self.path = path
        self.write = write
        localize_bindings(self, self.app.lang)

    def compose(self) -> ComposeResult:
        t = self.app.t
        with Vertical(id="dialog") as box:
            box.border_title = t("ui.report.dialog_title")
            box.border_subtitle = t("ui.report.dialog_hint")
            yield Label(t("ui.report.dialog_path"))
            yield Input(str(self.path), id="path")
            yield Static(id="exists", markup=False)
            yield Static(id="problem", markup=False)

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()
        self._check(self.query_one("#path", Input).value)
        self._say("problem", "")

    def _say(self, line: str, text: str) -> None:
        static = self.query_one(f"#{line}", Static)
        static.update(text)
        static.display = bool(text)

    def _check(self, typed: str) -> None:
        """Say when the file typed is there already (Enter replaces it)."""
        try:
            exists = target_path(typed, self.path.name).is_file()
        except (PtdvError, OSError, ValueError):
            exists = False
        self._say("exists", self.app.t("ui.report.dialog_exists") if exists else "")

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._check(event.value)
        self._say("problem", "")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            path = target_path(event.value, self.path.name)
            self.write(path)
        except PtdvError as err:
            self._say("problem", err.message(self.app.lang))
            return
        self.dismiss(path)

    def action_cancel(self) -> None:
        self.dismiss(None)
