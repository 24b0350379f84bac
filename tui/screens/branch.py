"""A branch: its quota progress and its candidates, one table with a stage column and a stage filter."""
from __future__ import annotations

from collections import Counter

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Static

from db.access import WRITE
from db.model import STAGES, Candidate
from db.rules import SEVERITIES, Finding
from db.service import Service
from db.text import fmt_date, fold, safe
from tui.bindings import hide_in_footer
from tui.output import number
from tui.screens.base import FILE_KEYS, UnitData, UnitViewScreen
from tui.widgets.record_table import Column, Record, TableView

# severity -> (mark, style); the marks read without colour, the colour repeats them
MARKS = {"overdue": ("!", "bold red"), "due": ("~", "yellow"), "warning": ("?", "magenta")}
DUE_STYLES = {"overdue": "bold red", "due": "yellow", "upcoming": ""}
STAGE_GROUP = Binding.Group("ui.branch.key.stage", compact=True)


def marks_text(found: list[Finding]) -> Text:
    text = Text()
    for severity, (mark, style) in MARKS.items():
        if any(f.severity == severity for f in found):
            text.append(mark, style)
    return text


def next_due(found: list[Finding]) -> Text:
    """The most urgent dated finding (findings come most urgent first)."""
    for finding in found:
        if finding.due is not None:
            return Text(fmt_date(finding.due), DUE_STYLES.get(finding.severity, ""))
    return Text("")


class BranchScreen(UnitViewScreen):
    CSS_PATH = "branch.tcss"
    COLUMNS = (
        Column("marks", "ui.branch.col.marks", 3, title="ui.branch.col.marks_full"),
        Column("name", "field.name", 16, flex=True),
        Column("stage", "field.stage", 10),
        Column("since", "field.since", 10),
        Column("days", "field.days", 7, right=True),
        Column("due", "ui.branch.col.due", 10, title="ui.branch.col.due_full"),
    )
    BINDINGS = [
        Binding("a", "add", "ui.app.key.add", id="add"),
        Binding("e", "edit", "ui.app.key.edit", id="edit"),
        Binding("greater_than_sign", "advance", "ui.app.key.advance", id="advance"),
        Binding("x", "exit", "ui.app.key.exit", id="exit"),
        Binding("v", "transfer", "ui.transfer.key.open", id="transfer"),
        Binding("0", "stage(0)", "ui.branch.key.stage_all", id="stage_all", show=False, group=STAGE_GROUP),
        *(Binding(str(n), f"stage({n})", f"stage_short.{stage}", id=f"stage_{stage}", show=False, group=STAGE_GROUP)
          for n, stage in enumerate(STAGES, start=1)),
        *FILE_KEYS,
    ]

    def __init__(self, unit_id: int) -> None:
        super().__init__(unit_id)
        self.stage: str | None = None
        self.may_write = False  # the user's role here allows changing candidates (keys shown)

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        yield Static(id="stages")
        yield TableView(lang=self.app.lang)
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        # at 80 columns the footer keeps the candidate keys; these stay in help and the palette
        hide_in_footer(self, {"year_prev", "year_next", "due", "quota", "audit", "reorganise", "transfer"})
        hide_in_footer(self.table, {"sort"})
        self.refresh_bindings()

    def load(self, service: Service) -> tuple[UnitData, bool, Text, list[Record]]:
        unit, _tree = self.read_unit(service)
        everyone = service.candidates(self.unit_id)
        stage = self.stage
        shown = everyone if stage is None else service.candidates(self.unit_id, stage=stage)
        return (unit, service.allows(WRITE, self.unit_id),
                self._stage_bar(Counter(c.stage for c in everyone), len(everyone), stage),
                [self._record(service, c) for c in shown])

    def show(self, data: tuple[UnitData, bool, Text, list[Record]]) -> None:
        unit, self.may_write, bar, records = data
        self.show_unit(unit)
        self.query_one("#stages", Static).update(bar)
        self.table.show(records)
        self.refresh_bindings()

    def _record(self, service: Service, cand: Candidate) -> Record:
        found = service.findings(cand)
        since = cand.history[-1].date if cand.history else None
        days = service.days_in_stage(cand)
        cells = (marks_text(found), safe(cand.name), self.t(f"stage_short.{cand.stage}"), fmt_date(since),
                 number(days, self.app.lang), next_due(found))
        urgent = [SEVERITIES.index(f.severity) for f in found if f.severity in MARKS]
        sort = (min(urgent, default=None), fold(cand.name), STAGES.index(cand.stage), since, days,
                next(iter(f.due for f in found if f.due), None))
        return Record(str(cand.id), cells, sort, cand.name)

    def _stage_bar(self, counts: Counter, total: int, chosen_stage: str | None) -> Text:
        """``Tất cả 6 │ Nguồn 1 │ Hồ sơ 2 …``: the filter in use in reverse video; each is clickable."""
        items = [(None, self.t("ui.branch.all"), total)]
        items += [(stage, self.t(f"stage_short.{stage}"), counts[stage]) for stage in STAGES
                  if counts[stage] or stage == chosen_stage]
        text = Text()
        for index, (stage, label, count) in enumerate(items):
            if index:
                text.append(" │ ", "dim")
            number_key = 0 if stage is None else STAGES.index(stage) + 1
            chosen = stage == chosen_stage
            text.append(f"{label} {count}", Style(reverse=chosen, bold=chosen,
                                                   meta={"@click": f"screen.stage({number_key})"}))
        return text

    def legend(self) -> list[str]:
        return [*self.column_legend(),
                *(self.t(f"ui.branch.mark.{severity}", mark=mark) for severity, (mark, _) in MARKS.items())]

    # -- actions --------------------------------------------------------------------------
    @property
    def current(self) -> int | None:
        key = self.table.current_key if self.is_mounted else None
        return int(key) if key else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("add", "edit", "advance", "exit", "transfer") and not self.may_write:
            return False  # a viewer: the keys are not offered
        if action in ("edit", "advance", "exit", "transfer") and self.current is None:
            return None
        return super().check_action(action, parameters)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.app.open_candidate(int(event.row_key.value))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.refresh_bindings()

    def action_stage(self, number_key: int) -> None:
        self.stage = STAGES[number_key - 1] if number_key else None
        self.reload()

    def action_add(self) -> None:
        self.app.add_candidate(self.unit_id)

    def action_edit(self) -> None:
        if self.current is not None:
            self.app.edit_candidate(self.current)

    def action_advance(self) -> None:
        if self.current is not None:
            self.app.advance_candidate(self.current)

    def action_exit(self) -> None:
        if self.current is not None:
            self.app.exit_candidate(self.current)

    def action_transfer(self) -> None:
        if self.current is not None:
            self.app.transfer_candidate(self.current)
