"""Which document of a candidate to write: the admission decision (9-KNĐ) or the branch resolution (6-KNĐ).
Enter chooses (the candidate screen then asks where to write it), Esc cancels."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from db.documents import DECISION, RESOLUTION
from tui.bindings import localize_bindings

CHOICES = ((DECISION, "ui.documents.decision"), (RESOLUTION, "ui.documents.resolution"))


class DocumentsDialog(ModalScreen[str | None]):
    CSS_PATH = "documents_dialog.tcss"
    BINDINGS = [Binding("escape", "cancel", "ui.report.key.cancel", id="documents_cancel")]

    def __init__(self) -> None:
        super().__init__()
        localize_bindings(self, self.app.lang)

    def compose(self) -> ComposeResult:
        t = self.app.t
        with Vertical(id="dialog") as box:
            box.border_title = t("ui.documents.title")
            box.border_subtitle = t("ui.documents.hint")
            yield OptionList(*(Option(t(label), id=form) for form, label in CHOICES), id="forms")

    def on_mount(self) -> None:
        self.query_one("#forms", OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
