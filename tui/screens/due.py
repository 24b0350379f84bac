"""Due and overdue under a unit: what ``Service.due`` lists, most urgent first; Enter opens the candidate."""
from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Footer, Header, Static

from db.rules import SEVERITIES
from db.service import DueItem, Service
from db.text import fmt_date, fold, safe
from tui.calendar_text import moved_text
from tui.screens.base import TableScreen
from tui.widgets.record_table import Column, Record, TableView
from tui.widgets.severity import severity_text

SHOWN = 300  # the most urgent items a table shows; a unit further down shows the rest
MOVED_SHOWN = 3  # due dates a change of the calendar moved, spelled out under the table


@dataclass(frozen=True)
class DueData:
    """What the due list shows, made in its load's thread: the lines around the table, and its rows."""

    heading: str
    empty: str
    more: str
    records: list[Record]
    moved: str


class DueScreen(TableScreen):
    CSS_PATH = "due.tcss"
    COLUMNS = (
        Column("severity", "ui.due.col.severity", 13),
        Column("due", "field.due", 10),
        Column("name", "ui.due.col.candidate", 16),
        Column("branch", "ui.form.branch", 14, flex=True),
        Column("rule", "field.rule", 16, flex=True),
    )

    def __init__(self, unit_id: int) -> None:
        super().__init__()
        self.unit_id = unit_id

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="heading", markup=False)
        yield Static(id="empty", markup=False)
        yield TableView(lang=self.app.lang)
        yield Static(id="more", markup=False)
        yield Static(id="moved", markup=False)
        yield Footer()

    def load(self, service: Service) -> DueData:
        state = service.state()
        # one more than a table shows: whether there are more (counting them all read every candidate: a metro
        # top's list took 10-12 s, the most urgent 300 are found from the due dates the store keeps of each part)
        items = service.due(self.unit_id, limit=SHOWN + 1)
        more, items = len(items) > SHOWN, items[:SHOWN]
        name = safe(state.unit(self.unit_id).name)
        return DueData(self.t("ui.due.title_many", unit=name, count=SHOWN) if more
                       else self.t("ui.due.title", unit=name, count=len(items)),
                       self.t("ui.due.empty") if not items else "",
                       self.t("ui.due.more", shown=SHOWN) if more else "",
                       [self._record(item, state.name_of(item.candidate.unit)) for item in items],
                       self._moved_lines([i for i in items if i.moved is not None]))

    def show(self, data: DueData) -> None:
        self.query_one("#heading", Static).update(data.heading)
        self.note("empty", data.empty)
        self.note("more", data.more)
        self.table.show(data.records)
        self.note("moved", data.moved)

    def _moved_lines(self, items: list[DueItem]) -> str:
        """Under the table (the rule column may be too narrow to show it): the due dates the days added to
        the calendar moved, the first few in full."""
        lines = [self.t("ui.due.moved", count=len(items))] if items else []
        lines += [f"  #{i.candidate.id} {safe(i.candidate.name)}: {fmt_date(i.finding.due)} — "
                  f"{moved_text(i.moved, self.app.lang)}" for i in items[:MOVED_SHOWN]]
        if len(items) > MOVED_SHOWN:
            lines.append("  " + self.t("ui.due.moved_more", count=len(items) - MOVED_SHOWN))
        return "\n".join(lines)

    def _record(self, item: DueItem, branch: str) -> Record:
        cand, finding = item.candidate, item.finding
        rule = self.t(finding.rule, **finding.params)
        if item.moved is not None:  # a day added to the calendar moved the due date: say from when, and why
            rule += " — " + moved_text(item.moved, self.app.lang)
        cells = (severity_text(finding, self.app.lang), Text(fmt_date(finding.due) or self.t("value.none")),
                 safe(cand.name), safe(branch), rule)
        sort = (SEVERITIES.index(finding.severity), finding.due, fold(cand.name), fold(branch), finding.code)
        return Record(f"{cand.id}:{finding.code}", cells, sort, cand.name)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.app.open_candidate(int(event.row_key.value.split(":")[0]))
