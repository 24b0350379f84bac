"""A candidate leaves the pipeline, with a reason, on a date (today by default): withdrawn or not admitted before
the ceremony, not recognised or struck off on probation (only the outcomes valid for the candidate are offered)."""
from __future__ import annotations

from textual.app import ComposeResult

from db.model import Candidate
from db.rules import exit_kinds
from db.text import clean_name, safe

from tui.widgets.date_input import DateInput
from tui.widgets.form_dialog import FormDialog
from tui.widgets.form_field import FormField, FormSelect, text_input


class ExitDialog(FormDialog):
    CSS_PATH = "exit_dialog.tcss"
    FIELD_OF_KEY = {"exit.reason_required": "reason", "exit.unknown_kind": "kind", "stage.future_date": "date",
                    "stage.before_previous": "date"}

    def __init__(self, candidate_id: int) -> None:
        super().__init__()
        self.candidate_id = candidate_id
        self.candidate: Candidate | None = None

    def load(self) -> None:
        self.candidate = self.service.candidate(self.candidate_id)

    def heading(self) -> str:
        return self.t("ui.form.exit_title", id=self.candidate.id, name=safe(self.candidate.name))

    def compose_fields(self) -> ComposeResult:
        valid = exit_kinds(self.candidate)  # rule exit_kind: the outcomes valid for the candidate, the first by default
        kinds = FormSelect([(self.t(f"exit.{kind}"), kind) for kind in valid], value=valid[0],
                           allow_blank=False, compact=True, id="input-kind")
        yield FormField(self.t("ui.form.exit_kind"), kinds, required=True, id="field-kind")
        yield FormField(self.t("field.reason"),
                        text_input(check=lambda text: clean_name(text, field="reason"), lang=self.lang,
                                   id="input-reason"),
                        required=True, id="field-reason")
        yield FormField(self.t("field.date"),
                        DateInput(self.service.today(), lang=self.lang, id="input-date",
                                  check=lambda text: self.service.check_exit_date(self.candidate_id, text)),
                        required=True, id="field-date")

    def on_mount(self) -> None:
        self.query_one("#input-reason").focus()

    def save(self) -> Candidate:
        return self.service.exit(self.candidate_id, self.query_one("#input-reason").value,
                                 kind=self.query_one("#input-kind").value, day=self.query_one("#input-date").value,
                                 expected_rev=self.candidate.rev)
