"""Record a candidate's next stage: current → next, on a date (today by default) checked as typed; the decision's
received date (``decided``) and the exception a rule allows (who decided, document number, date: docs/RULES.md)."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from db.model import Candidate
from db.text import clean_text, parse_date, safe

from tui.widgets.date_input import DateInput
from tui.widgets.form_dialog import FormDialog
from tui.widgets.form_field import FormField, text_input


class AdvanceDialog(FormDialog):
    CSS_PATH = "advance_dialog.tcss"
    KEYS = "ui.form.short_keys"
    FIELD_OF_KEY = {"stage.future_date": "date", "stage.before_previous": "date", "stage.bad_received": "received",
                    "exception.not_needed": "exception"}

    def __init__(self, candidate_id: int) -> None:
        super().__init__()
        self.candidate_id = candidate_id
        self.candidate: Candidate | None = None
        self.next_stage: str | None = None

    def load(self) -> None:
        self.candidate = self.service.candidate(self.candidate_id)
        self.next_stage = self.service.next_stage(self.candidate) if self.candidate.live else None
        if self.next_stage is None:
            self.KEYS = "ui.form.close_keys"

    def heading(self) -> str:
        return self.t("ui.form.advance_title", id=self.candidate.id, name=safe(self.candidate.name))

    def compose_fields(self) -> ComposeResult:
        current = self.t(f"stage.{self.candidate.stage}")
        if not self.candidate.live:
            yield Static(self.t("ui.form.advance_exited", stage=current), id="steps", markup=False)
        elif self.next_stage is None:
            yield Static(self.t("ui.form.advance_finished", stage=current), id="steps", markup=False)
        else:
            yield Static(f"{current}  →  {self.t(f'stage.{self.next_stage}')}", id="steps", markup=False)
            yield FormField(self.t("field.date"),
                            DateInput(self.service.today(), check=lambda text: self.service.check_advance(
                                self.candidate_id, text), lang=self.lang, id="input-date"),
                            required=True, id="field-date")
            if self.next_stage == "decided":
                yield FormField(self.t("field.received"),
                                DateInput(None, check=lambda text: parse_date(text, field="received"), lang=self.lang,
                                          valid_empty=True, id="input-received"), id="field-received")
            yield FormField(self.t("field.exception"),
                            text_input(check=lambda text: clean_text(text, field="exception"), lang=self.lang,
                                       valid_empty=True, id="input-exception"), id="field-exception")

    def on_mount(self) -> None:
        if self.next_stage is not None:
            self.query_one("#input-date").focus()

    def save(self) -> Candidate | None:
        if self.next_stage is None:
            self.dismiss(None)
            return None
        received = self.query("#input-received")
        return self.service.advance(self.candidate_id, self.next_stage, self.query_one("#input-date").value,
                                    exception=self.query_one("#input-exception").value,
                                    received=received.first().value if received else None,
                                    expected_rev=self.candidate.rev)
