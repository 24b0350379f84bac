"""The dossier's papers of a candidate, to tick as they come in: a row for each paper the branch vote needs (by the
candidate's route, db.papers), with its state and the days received.  Space or Enter: received today; d: on
another day (a date field); Delete: take back the last one of the row (a correction); Esc closes.  Every change
goes through the service (audited ``candidate.paper``)."""
from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from db import papers as papers_mod
from db.errors import PtdvError
from db.text import fmt_date, parse_date, safe
from tui.bindings import localize_bindings
from tui.widgets.date_input import DateInput

LABEL_CELLS = 44  # the paper's name and form; the state and days after it


class PapersDialog(ModalScreen[bool]):
    CSS_PATH = "papers_dialog.tcss"
    BINDINGS = [
        Binding("space", "tick", "ui.papers.key.tick", id="papers_tick"),
        Binding("d", "date", "ui.papers.key.date", id="papers_date"),
        Binding("delete", "remove", "ui.papers.key.remove", id="papers_remove"),
        Binding("escape", "close", "ui.papers.key.close", id="papers_close"),
    ]

    def __init__(self, candidate_id: int) -> None:
        super().__init__()
        localize_bindings(self, self.app.lang)
        self.candidate_id = candidate_id
        self.changed = False
        self.kinds: list[str] = []

    def t(self, key: str, **params: object) -> str:
        return self.app.t(key, **params)

    def compose(self) -> ComposeResult:
        cand = self.app.service.candidate(self.candidate_id)
        with Vertical(id="dialog") as box:
            box.border_title = self.t("ui.papers.title", id=cand.id, name=safe(cand.name))
            box.border_subtitle = self.t("ui.papers.hint")
            yield OptionList(id="papers")
            with Horizontal(id="date-row"):
                yield Static(self.t("ui.papers.date_label"), id="date-label", markup=False)
                yield DateInput(self.app.service.today(), check=lambda text: parse_date(text, field="date"),
                                lang=self.app.lang, id="paper-date")
            yield Static("", id="paper-message", markup=False)

    def on_mount(self) -> None:
        self.query_one("#date-row").display = False
        self.show_rows()
        self.query_one("#papers", OptionList).focus()

    # -- the rows -------------------------------------------------------------------------
    def show_rows(self) -> None:
        service = self.app.service
        found = service.papers(service.candidate(self.candidate_id))
        options = self.query_one("#papers", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        self.kinds = [item.kind for item in found.items]
        options.add_options([Option(self.row(item), id=item.kind) for item in found.items])
        if self.kinds:
            options.highlighted = min(highlighted or 0, len(self.kinds) - 1)

    def row(self, item: papers_mod.Item) -> Text:
        form = papers_mod.KINDS_BY_ID[item.kind].form
        label = self.t(f"paper.{item.kind}") + (f" ({form})" if form else "")
        if item.needed > 1:
            label += f" {len(item.counted)}/{item.needed}"
        text = Text("✓ " if not item.missing else "✗ ", "green" if not item.missing else "bold red")
        text.append(label.ljust(LABEL_CELLS - 2)[:LABEL_CELLS - 2] + " ")
        days = [fmt_date(p.received) for p in item.counted]
        if days:
            text.append(", ".join(days))
        stale = [p for p in item.stale]
        if stale:
            text.append((" " if days else "") + f"({fmt_date(stale[-1].received)}: "
                        f"{self.t('ui.papers.row_stale')})", "dim")
        if item.missing:
            text.append((" " if days or stale else "") + self.t("ui.papers.row_missing"), "bold red")
        elif not item.needed:
            text.append(" " + self.t("ui.papers.row_extra"), "dim")
        return text

    def current(self) -> str | None:
        index = self.query_one("#papers", OptionList).highlighted
        return self.kinds[index] if index is not None and 0 <= index < len(self.kinds) else None

    def say(self, text: str, *, error: bool = False) -> None:
        note = self.query_one("#paper-message", Static)
        note.update(("✗ " + text) if error and text else text)
        note.set_class(error, "-error")

    # -- ticking --------------------------------------------------------------------------
    def receive(self, kind: str, day: object = None) -> bool:
        service = self.app.service
        item = next(i for i in service.papers(service.candidate(self.candidate_id)).items if i.kind == kind)
        label = self.t(f"paper.{kind}")
        if not item.missing and day is None:
            self.say(self.t("ui.papers.already", kind=label))
            return False
        try:
            cand = service.receive_paper(self.candidate_id, kind, day)
        except PtdvError as err:
            self.say(err.message(self.app.lang), error=True)
            return False
        self.changed = True
        self.show_rows()
        self.say(self.t("ui.papers.ticked", kind=label, date=fmt_date(cand.papers[-1].received)))
        return True

    def action_tick(self) -> None:
        kind = self.current()
        if kind is not None:
            self.receive(kind)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:  # Enter on a row
        event.stop()
        if event.option.id:
            self.receive(event.option.id)

    def action_date(self) -> None:
        if self.current() is None:
            return
        self.query_one("#date-row").display = True
        self.query_one("#paper-date", DateInput).focus()

    @on(Input.Submitted, "#paper-date")
    def _date_entered(self, event: Input.Submitted) -> None:
        event.stop()
        field = self.query_one("#paper-date", DateInput)
        kind = self.current()
        if kind is None or not field.is_valid:
            self.say(self.t("ui.form.not_saved"), error=True)
            return
        if self.receive(kind, field.value):
            self.hide_date()

    def hide_date(self) -> None:
        self.query_one("#date-row").display = False
        self.query_one("#papers", OptionList).focus()

    def action_remove(self) -> None:
        kind = self.current()
        if kind is None:
            return
        try:
            self.app.service.remove_paper(self.candidate_id, kind)
        except PtdvError as err:
            self.say(err.message(self.app.lang), error=True)
            return
        self.changed = True
        self.show_rows()
        self.say(self.t("ui.papers.removed", kind=self.t(f"paper.{kind}")))

    def action_close(self) -> None:
        if self.query_one("#date-row").display:
            self.hide_date()
            return
        self.dismiss(self.changed)
