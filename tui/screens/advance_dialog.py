"""Record a candidate's next stage: current → next, on a date (today by default) checked as typed."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from db import rules
from db.model import Candidate
from db.text import safe

from tui.widgets.date_input import DateInput
from tui.widgets.form_dialog import FormDialog
from tui.widgets.form_field import FormField


class AdvanceDialog(FormDialog):
    CSS_PATH = "advance_dialog.tcss"
    KEYS = "ui.form.short_keys"
    FIELD_OF_KEY = {"stage.future_date": "date", "stage.before_previous": "date"}

    def __init__(self, candidate_id: int) -> None:
        super().__init__()
        self.candidate_id = candidate_id
        self.candidate: Candidate | None = None
        self.next_stage: str | None = None

    def load(self) -> None:
        self.candidate = self.service.candidate(self.candidate_id)
        self.next_stage = rules.next_stage(self.candidate) if self.candidate.live else None
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

    def on_mount(self) -> None:
        if self.next_stage is not None:
            self.query_one("#input-date").focus()

    def save(self) -> Candidate | None:
        if self.next_stage is None:
            self.dismiss(None)
            return None
        return self.service.advance(self.candidate_id, self.next_stage, self.query_one("#input-date").value,
                                    expected_rev=self.candidate.rev)
