"""The admissions report of a unit for the app's year, a quarter or a half, as ``ptdv report`` builds
it: one row per unit below and the total, the notes, and the chart of admitted per quarter against
the plan line.  ``y``, ``1``–``4`` and ``h`` choose the period; ``w`` writes the Excel file the CLI
writes (a dialog shows where, prefilled with a name from the unit and the period)."""
from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Header, Static

from db.i18n import t
from db.report import Report
from db.service import Service
from db.text import safe, slug
from tui import report_output
from tui.screens.base import DataScreen
from tui import files
from tui.screens.write_report_dialog import WriteReportDialog
from tui.widgets.report_chart import ReportChart
from tui.widgets.report_table import TOTAL_KEY, ReportTable


def file_name(report: Report, lang: str) -> str:
    """``bao-cao-dang-uy-phuong-phuoc-my-2024-q3.xlsx``: ASCII, from the unit's name and the period."""
    period = report.period
    suffix = f"q{period.quarter}" if period.quarter else f"h{period.half}" if period.half else ""
    parts = [t("ui.report.file_prefix", lang), slug(report.unit_name), str(period.year), suffix]
    return "-".join(p for p in parts if p) + ".xlsx"


class ReportScreen(DataScreen):
    CSS_PATH = "report.tcss"
    LOADING = "ReportTable"
    QUARTER = Binding.Group("ui.report.key.quarter", compact=True)
    BINDINGS = [
        Binding("y", "period", "ui.report.key.year", id="report_year"),
        Binding("1", "period(1)", "ui.report.key.q1", id="report_q1", group=QUARTER),
        Binding("2", "period(2)", "ui.report.key.q2", id="report_q2", group=QUARTER),
        Binding("3", "period(3)", "ui.report.key.q3", id="report_q3", group=QUARTER),
        Binding("4", "period(4)", "ui.report.key.q4", id="report_q4", group=QUARTER),
        Binding("h", "half", "ui.report.key.half", id="report_half"),
        Binding("w", "write", "ui.report.key.write", id="report_write"),
        Binding("o", "write_document", "ui.report.key.document", id="report_document"),
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
    def load(self, service: Service) -> Report:
        return service.report(self.unit_id, self.app.year, self.quarter, self.half)

    def show(self, report: Report) -> None:
        self.report = report
        lang = self.app.lang
        title, _path, period, target = report_output.heading_lines(report, lang)
        self.title = title
        heading = Text(self.t("report.unit", unit=safe(report.unit_name)), "bold")  # the name: the path is long
        heading.append(" · " + target)
        heading.append("\n" + period, "bold")
        self.query_one("#heading", Static).update(heading)
        self.cut_headings = self.table.show(report)
        self.query_one(ReportChart).show(report)
        self.query_one("#notes", Static).update("\n".join(report_output.note_lines(report, lang)))

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
        """The report on screen, written to ``path``."""
        data = report_output.xlsx_bytes(self.report, self.app.lang, self.app.service.today())
        files.write_file(path, data, self.app.service.store.path.parent)

    def action_write_document(self) -> None:
        """``o``: the report of the period on screen as a Word file from the report template (db.documents)."""
        if self.report is None:
            return
        name = file_name(self.report, self.app.lang).removesuffix(".xlsx") + ".docx"
        self.app.push_screen(WriteReportDialog(files.start_folder() / name, self.write_document,
                                               self.t("ui.report.docx_dialog_title")), self._written)

    def write_document(self, path: Path) -> None:
        data = self.app.service.report_document(self.report)
        files.write_file(path, data, self.app.service.store.path.parent)

    def _written(self, path: Path | None) -> None:
        if path is not None:
            self.app.notify(self.t("cli.report.written", path=safe(str(path))), markup=False, timeout=10)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a unit below: that unit's report, for the same year."""
        event.stop()
        key = event.row_key.value
        if key != TOTAL_KEY and int(key) != self.unit_id:
            self.app.open_report(int(key))
