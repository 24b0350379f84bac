"""A unit above branch level: its quota progress, its child units in a table, its pipeline funnel."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer

from db.quota import Figures, funnel
from db.service import Service
from db.text import fold, safe
from tui.output import ADMITTED, FORECAST, REMAINING, number, percent
from tui.screens.base import FILE_KEYS, UnitData, UnitViewScreen
from tui.widgets.funnel import Funnel
from tui.widgets.quota_meter import meter_text
from tui.widgets.record_table import Column, Record, TableView

METER_WIDTH = 8


class UnitScreen(UnitViewScreen):
    CSS_PATH = "unit.tcss"
    BINDINGS = [Binding("r", "report", "ui.report.key.open", id="report"), *FILE_KEYS]
    COLUMNS = (
        Column("name", "ui.unit.col.name", 16, flex=True),
        Column("members", "ui.unit.col.members", 7, right=True, title="field.members"),
        Column("target", "ui.unit.col.target", 6, right=True, title="field.target"),
        Column("admitted", "ui.unit.col.admitted", 5, right=True, title="field.admitted"),
        Column("percent", "ui.unit.col.percent", 6, right=True, title="field.percent"),
        Column("meter", "ui.unit.col.meter", METER_WIDTH, title="ui.unit.col.meter_full", optional=True),
        Column("pipeline", "ui.unit.col.pipeline", 7, right=True, title="field.pipeline"),
        Column("overdue", "ui.unit.col.overdue", 5, right=True, title="field.overdue"),
    )

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        with Horizontal(id="body"):
            yield TableView(lang=self.app.lang)
            panel = Funnel(lang=self.app.lang, id="funnel")
            panel.border_title = self.t("ui.unit.funnel")
            yield panel
        yield Footer()

    def load(self, service: Service) -> tuple[UnitData, list[Record], tuple]:
        unit, tree = self.read_unit(service)  # the units under it in the year's tree (an ended unit: on its last day)
        figures = unit.figures
        return (unit, [self._record(tree.units[kid].name, figures[kid])
                       for kid in tree.children.get(self.unit_id, []) if kid in figures],
                tuple(funnel(figures[self.unit_id].by_stage)))

    def show(self, data: tuple[UnitData, list[Record], tuple]) -> None:
        unit, records, steps = data
        self.show_unit(unit)
        self.table.show(records)
        self.query_one(Funnel).steps = steps

    def _record(self, name: str, fig: Figures) -> Record:
        lang = self.app.lang
        share = fig.percent
        cells = (
            safe(name), number(fig.members, lang), number(fig.target, lang), number(fig.admitted, lang),
            "" if share is None else percent(share, lang),
            meter_text(fig.admitted, fig.target, fig.forecast, METER_WIDTH, lang=lang, numbers=False),
            number(fig.pipeline, lang),
            Text(number(fig.overdue, lang), "bold red") if fig.overdue else number(fig.overdue, lang),
        )
        sort = (fold(name), fig.members, fig.target, fig.admitted, share, share, fig.pipeline, fig.overdue)
        return Record(str(fig.unit), cells, sort, name)

    def legend(self) -> list[str]:
        return [*self.column_legend(),
                self.t("ui.unit.meter_legend", admitted=ADMITTED, forecast=FORECAST, remaining=REMAINING),
                self.t("ui.unit.funnel_legend")]

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.app.open_unit(int(event.row_key.value))

    def action_report(self) -> None:
        self.app.open_report(self.unit_id)
