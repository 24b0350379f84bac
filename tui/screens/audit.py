"""The audit trail of a unit's subtree, newest first, read only: who changed what and when.

Filters by person and by a range of days go to ``Service.log``; ``/`` narrows the rows shown by
any text in them.  Enter shows one entry whole: what changed, and the record before and after.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Header, Input, Label, Select, Static

from db.audit import changes
from db.errors import PtdvError
from db.service import Service
from db.text import parse_date, safe
from tui.audit_text import action_text, change_text, label_of, record_text, value_of, when_text
from tui.bindings import hide_in_footer, localize_bindings
from tui.screens.base import TableScreen
from tui.widgets.date_input import DateInput
from tui.widgets.record_table import Column, Record, TableView

SHOWN = 300  # the newest entries a table shows; the filters reach older ones


@dataclass(frozen=True)
class AuditData:
    """What the audit screen shows, made in its load's thread; with a ``problem`` (a filter that cannot be
    read), only the people and the problem: the rows of the last filter stay."""

    people: list[str]
    problem: str
    heading: str = ""
    more: str = ""
    entries: dict[str, dict] = field(default_factory=dict)
    records: list[Record] = field(default_factory=list)


class AuditScreen(TableScreen):
    CSS_PATH = "audit.tcss"
    COLUMNS = (
        Column("when", "field.at", 16),
        Column("who", "field.by", 10),
        Column("action", "field.action", 13),
        Column("record", "field.target_ref", 14, flex=True),
        Column("changes", "cli.field.changes", 14, flex=True),
    )
    BINDINGS = [
        Binding("p", "person", "ui.audit.key.person", id="audit_person"),
        Binding("f", "dates", "ui.audit.key.dates", id="audit_dates"),
    ]

    def __init__(self, unit_id: int) -> None:
        super().__init__()
        self.unit_id = unit_id
        self.entries: dict[str, dict] = {}
        self.people: list[str] = []
        self.asked: tuple[str, str, str | None] = ("", "", None)  # the filters of the latest load

    def compose(self) -> ComposeResult:
        lang = self.app.lang
        yield Header()
        yield Static(id="heading", markup=False)
        with Horizontal(id="filters"):
            yield Label(self.t("ui.audit.person"))
            yield Select([], prompt=self.t("ui.audit.everyone"), compact=True, id="person")
            yield Label(self.t("ui.audit.from"))
            yield DateInput(None, check=lambda v: parse_date(v, field="since"), lang=lang, valid_empty=True,
                            id="since")
            yield Label(self.t("ui.audit.to"))
            yield DateInput(None, check=lambda v: parse_date(v, field="until"), lang=lang, valid_empty=True,
                            id="until")
        yield Static(id="problem", markup=False)
        yield TableView(lang=lang)
        yield Static(id="more", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        hide_in_footer(self, {"year_prev", "year_next"})  # the log has no year; the keys stay in help

    # -- what is shown --------------------------------------------------------------------
    def filters(self) -> tuple[str, str, str | None]:
        person = self.query_one("#person", Select).value
        return (self.query_one("#since", Input).value, self.query_one("#until", Input).value,
                None if person is Select.NULL else str(person))

    def reload(self, *, news: bool = False) -> None:
        self.asked = self.filters()  # read here, on the event loop: the load's thread touches no widget
        super().reload(news=news)

    def load(self, service: Service) -> AuditData:
        state = service.state()
        everything = service.log(self.unit_id)
        people = sorted({str(e.get("by", "")) for e in everything})
        since, until, person = self.asked
        try:
            found = service.log(self.unit_id, since, until, person) if (since or until or person) else everything
        except PtdvError as err:  # a date being typed: the rows of the last filter stay
            return AuditData(people, err.message(self.app.lang))
        newest = found[::-1]
        entries = {str(e.get("seq")): e for e in newest[:SHOWN]}
        return AuditData(people, "", self.t("ui.audit.title", unit=safe(state.unit(self.unit_id).name), count=len(found)),
                         self.t("ui.audit.empty") if not found else
                         self.t("ui.audit.more", shown=SHOWN, more=len(found) - SHOWN) if len(found) > SHOWN else "",
                         entries, [self._record(entry, state) for entry in entries.values()])

    def show(self, data: AuditData) -> None:
        self._offer_people(data.people)
        self.note("problem", data.problem)
        if data.problem:
            return
        self.entries = data.entries
        self.query_one("#heading", Static).update(data.heading)
        self.note("more", data.more)
        self.table.show(data.records)

    def _offer_people(self, people: list[str]) -> None:
        if people == self.people:
            return
        select = self.query_one("#person", Select)
        chosen = select.value
        self.people = people
        select.set_options((safe(p), p) for p in people)
        if chosen in people:
            select.value = chosen

    def _record(self, entry: dict, state) -> Record:
        lang = self.app.lang
        who = safe(str(entry.get("by", "")))
        cells = (when_text(entry), who, action_text(entry.get("action"), lang), record_text(entry, state, lang, short=True),
                 "; ".join(change_text(entry, c, state, lang) for c in changes(entry)))
        sort = (str(entry.get("at", "")), who, cells[2], cells[3], cells[4])
        return Record(str(entry.get("seq")), cells, sort, " ".join(cells[1:]))

    # -- filters and the detail -------------------------------------------------------------
    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self.reload()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id in ("since", "until"):
            event.stop()
            self.reload()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id in ("since", "until"):
            event.stop()
            self.table.focus()

    def action_person(self) -> None:
        self.query_one("#person", Select).focus()

    def action_dates(self) -> None:
        self.query_one("#since", Input).focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        entry = self.entries.get(str(event.row_key.value))
        if entry is not None:
            self.app.push_screen(AuditEntryScreen(entry))

    def legend(self) -> list[str]:
        return [self.t("ui.audit.changed_mark")]


class AuditEntryScreen(ModalScreen[None]):
    """One entry whole: when, who, what, each change, and every field of the record before and after."""

    CSS_PATH = "audit.tcss"
    BINDINGS = [Binding("escape,q,enter,backspace,left", "close", "ui.audit.key.close", id="audit_close")]

    def __init__(self, entry: dict) -> None:
        super().__init__()
        self.entry = entry
        localize_bindings(self, self.app.lang)

    def compose(self) -> ComposeResult:
        entry, lang, t = self.entry, self.app.lang, self.app.t
        state = self.app.service.state()
        head = Table.grid(padding=(0, 2))
        head.add_column(style="bold", no_wrap=True)
        head.add_column()
        for label, value in ((t("field.at"), when_text(entry)), (t("field.by"), safe(str(entry.get("by", "")))),
                             (t("field.action"), action_text(entry.get("action"), lang)),
                             (t("field.target_ref"), record_text(entry, state, lang, width=60))):
            head.add_row(label, value)
        found = changes(entry)
        listed = Text("\n".join(f"• {change_text(entry, c, state, lang)}" for c in found) or t("value.none"))
        with VerticalScroll(id="entry") as box:
            box.border_title = t("ui.audit.detail_title", seq=entry.get("seq", "?"))
            box.border_subtitle = t("ui.audit.read_only")
            yield Static(head)
            yield Static(Text(t("ui.audit.changes"), "bold underline"), classes="section")
            yield Static(listed, id="changes")
            yield Static(Text(t("ui.audit.record"), "bold underline"), classes="section")
            yield Static(self._record_table(state), id="record")

    def _record_table(self, state) -> Table:
        entry, lang, t = self.entry, self.app.lang, self.app.t
        before, after = entry.get("before") or {}, entry.get("after") or {}
        changed = {c.field for c in changes(entry)}
        table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold", expand=True)
        table.add_column("", no_wrap=True, width=1)
        table.add_column(t("ui.audit.field"), no_wrap=True)
        table.add_column(t("ui.audit.before"), ratio=1)
        table.add_column(t("ui.audit.after"), ratio=1)
        for key in [k for k in (*before, *(k for k in after if k not in before)) if k != "rev"]:
            mark = key in changed
            table.add_row("≠" if mark else "", label_of(entry, key, lang),
                          value_of(key, before[key], state, lang) if key in before else "",
                          value_of(key, after[key], state, lang) if key in after else "",
                          style="bold" if mark else "")
        return table

    def on_mount(self) -> None:
        self.query_one("#entry").focus()

    def action_close(self) -> None:
        self.dismiss(None)
