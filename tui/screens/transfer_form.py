"""``v`` on a candidate (its screen, or its row on a branch screen): the candidate is transferred to another
branch from a date, for a reason (``Service.move_candidate``); its stages stay where they were recorded.
Dismissed with a line saying what was saved, or None."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from db.model import Candidate
from db.text import clean_text, fmt_date, parse_date, safe

from tui.widgets.branch_suggester import BranchSuggester
from tui.widgets.date_input import DateInput
from tui.widgets.form_dialog import FormDialog
from tui.widgets.form_field import FormField, text_input


class TransferForm(FormDialog):
    CSS_PATH = "transfer_form.tcss"
    FIELD_OF_KEY = {
        "candidate.branch_not_there": "unit", "candidate.same_branch": "unit", "candidate.not_a_branch": "unit",
        "unit.not_found": "unit", "unit.ambiguous": "unit", "stage.future_date": "date",
        "candidate.move_before_stage": "date", "candidate.move_before_move": "date",
    }

    def __init__(self, candidate_id: int) -> None:
        super().__init__()
        self.candidate_id = candidate_id
        self.candidate: Candidate | None = None
        self.branches: dict[str, int] = {}  # a branch's label -> its id

    def load(self) -> None:
        self.candidate = self.service.candidate(self.candidate_id)
        self.branches = {safe(label): uid for label, uid in self.service.branch_labels().items()}

    def heading(self) -> str:
        return self.t("ui.transfer.title", id=self.candidate.id, name=safe(self.candidate.name))

    def compose_fields(self) -> ComposeResult:
        lang = self.lang
        yield FormField(self.t("ui.transfer.now"),
                        Static(safe(self.service.state().path(self.candidate.unit, " / ")), markup=False,
                               id="now"), id="field-now")
        yield FormField(self.t("ui.form.branch"),
                        text_input(check=self._check_branch, lang=lang, placeholder=self.t("ui.form.branch_hint"),
                                   id="input-unit", suggester=BranchSuggester(list(self.branches))),
                        required=True, id="field-unit")
        yield FormField(self.t("field.date"),
                        DateInput(self.service.today(), check=lambda text: parse_date(text, field="date"),
                                  lang=lang, id="input-date"),
                        required=True, id="field-date")
        yield FormField(self.t("field.reason"),
                        text_input(check=lambda text: clean_text(text, field="reason"), lang=lang, valid_empty=True,
                                   id="input-reason"),
                        id="field-reason")

    def on_mount(self) -> None:
        self.query_one("#input-unit").focus()

    def _ref(self, text: str) -> str | int:
        return self.branches.get(text.strip(), text.strip())

    def _check_branch(self, text: str) -> None:
        self.service.resolve_branch(self._ref(text))

    def save(self) -> str:
        day = parse_date(self.query_one("#input-date").value, field="date")
        moved = self.service.move_candidate(self.candidate_id, self._ref(self.query_one("#input-unit").value),
                                            on=day, reason=self.query_one("#input-reason").value,
                                            expected_rev=self.candidate.rev)
        return self.t("ui.transfer.saved", id=moved.id, name=safe(moved.name),
                      unit=safe(self.service.state().units[moved.unit].name), date=fmt_date(day))
