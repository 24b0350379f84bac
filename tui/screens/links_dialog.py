"""The units a unit became and came from (``g`` on a unit or branch screen with several): ↑↓ choose, Enter
opens one (a predecessor shows its last year), Esc closes.  Dismissed with the unit chosen, or None."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from db.text import fmt_date, safe
from tui.bindings import localize_bindings


class LinksDialog(ModalScreen[int | None]):
    CSS_PATH = "links_dialog.tcss"
    BINDINGS = [Binding("escape", "close", "ui.help.close", id="links.close")]

    def __init__(self, unit_id: int) -> None:
        super().__init__()
        localize_bindings(self, self.app.lang)
        self.unit_id = unit_id

    def compose(self) -> ComposeResult:
        t, service = self.app.t, self.app.service
        state = service.state()
        lin = service.lineage(self.unit_id)
        options = [Option(t("ui.history.successor", name=safe(state.units[uid].name), date=fmt_date(lin.ended)),
                          id=str(uid)) for uid in lin.successors]
        options += [Option(t("ui.history.predecessor", name=safe(state.units[uid].name),
                             year=service.lineage(uid).last_year), id=str(uid)) for uid in lin.predecessors]
        with Vertical(id="dialog"):
            yield Static(t("ui.history.picker_title", unit=safe(state.units[self.unit_id].name)), id="title",
                         markup=False)
            yield OptionList(*options, id="links")
            yield Static(t("ui.history.picker_keys"), id="keys", markup=False)

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(int(event.option.id))

    def action_close(self) -> None:
        self.dismiss(None)
