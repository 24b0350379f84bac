"""Add or edit a candidate: a keyboard-only modal form, every field checked by db/ as it is typed.

An edit saves only the fields the user changed, with the revision the form was opened with:
when someone else saved in the meantime the form lists the fields that now differ and offers
to write the user's own changes on top of the newer version (ctrl+r) or to cancel.
"""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import Input, Select, Static

from db.errors import PtdvError
from db.model import EDUCATION, GENDERS, MULTILINE_FIELDS, OCCUPATIONS, TAGS, Candidate
from db.text import safe

from tui.output import value_text
from tui.widgets.branch_suggester import BranchSuggester
from tui.widgets.date_input import DateInput
from tui.widgets.form_dialog import FormDialog
from tui.widgets.form_field import FormCheckbox, FormChoices, FormField, FormSelect, FormTextArea, text_input

CHOICES = {"gender": GENDERS, "education": EDUCATION, "occupation": OCCUPATIONS}
LIST_FIELDS = ("introducers",)  # typed, comma-separated
FLAG_FIELDS = ("youth_union", "renter")
# the person-editable fields (db.model.EDITABLE_FIELDS) in the order of the form
FORM_FIELDS = ("name", "born", "gender", "ethnicity", "religion", "education", "occupation", "youth_union",
               "tags", "residence", "renter", "mentor", "introducers", "notes")


def record_value(key: str, value: object) -> object:
    """A control's value as the service takes it."""
    if key in LIST_FIELDS:
        return str(value).split(",")
    if key in CHOICES:
        return None if value is Select.NULL else value
    return value


class CandidateForm(FormDialog):
    CSS_PATH = "candidate_form.tcss"
    BINDINGS = [Binding("ctrl+r", "reapply", "ui.form.reapply", id="form.reapply", show=False)]
    KEYS = "ui.form.keys_lines"  # the notes take several lines: Enter there starts a new one
    FIELD_PARAMS = {"date": "entered"}
    FIELD_OF_KEY = {"candidate.bad_birth": "born", "candidate.bad_gender": "gender",
                    "candidate.bad_education": "education", "candidate.bad_occupation": "occupation",
                    "unit.not_found": "unit", "unit.ambiguous": "unit", "candidate.not_a_branch": "unit",
                    "stage.future_date": "entered", "stage.before_previous": "entered"}

    def __init__(self, unit_id: int | None = None, candidate_id: int | None = None) -> None:
        super().__init__()
        if (unit_id is None) == (candidate_id is None):
            raise ValueError("CandidateForm needs exactly one of unit_id (add) or candidate_id (edit)")
        self.unit_id = unit_id
        self.candidate_id = candidate_id
        self.opened: Candidate | None = None  # the record as the form was opened (edit)
        self.newer: Candidate | None = None   # the record someone else saved meanwhile
        self.expected_rev: int | None = None  # the revision a save expects to replace
        self.branches: dict[str, int] = {}    # branch label -> unit id (add)
        self.stored: dict[str, str] = {}      # text fields as the record had them (edit): not checked again

    # -- building -----------------------------------------------------------------------
    def load(self) -> None:
        if self.candidate_id is not None:
            self.opened = self.service.candidate(self.candidate_id)
            self.expected_rev = self.opened.rev
        else:
            self.branches = {safe(label): uid for label, uid in self.service.branch_labels().items()}

    def heading(self) -> str:
        if self.opened is None:
            return self.t("ui.form.add_title")
        return self.t("ui.form.edit_title", id=self.opened.id, name=safe(self.opened.name))

    def compose_fields(self) -> ComposeResult:
        start = self.opened or Candidate(id=0, unit=self.unit_id, name="")  # a new record's defaults
        for key in FORM_FIELDS:
            yield FormField(self.t(f"field.{key}"), self._control(key, getattr(start, key)),
                            required=key == "name", id=f"field-{key}")
        if self.opened is None:
            yield FormField(self.t("ui.form.entered"),
                            DateInput(self.service.today(), check=self.service.check_entry_date, lang=self.lang,
                                      id="input-entered"),
                            required=True, id="field-entered")
            by_id = {uid: label for label, uid in self.branches.items()}
            branch = text_input(by_id.get(self.unit_id, ""), check=self._check_branch, lang=self.lang,
                                placeholder=self.t("ui.form.branch_hint"), id="input-unit",
                                suggester=BranchSuggester(list(self.branches)))
            yield FormField(self.t("ui.form.branch"), branch, required=True, id="field-unit")

    def compose_notes(self) -> ComposeResult:
        yield Static("", id="stale", markup=False)

    def _control(self, key: str, value: object) -> Widget:
        ident = f"input-{key}"
        if key in CHOICES:
            options = [(self.t(f"{key}.{choice}"), choice) for choice in CHOICES[key]]
            return FormSelect(options, prompt=self.t("value.none"), value=value or Select.NULL, compact=True,
                              id=ident)
        if key == "tags":
            return FormChoices([(self.t(f"tag.{tag}"), tag) for tag in TAGS], tuple(value), id=ident)
        if key in FLAG_FIELDS:
            return FormCheckbox(bool(value), lang=self.lang, compact=True, id=ident)
        if key == "born":
            return DateInput(value, check=self._check(key), lang=self.lang, valid_empty=True, id=ident)
        text = ", ".join(value) if key in LIST_FIELDS else str(value)
        if self.opened is not None:
            self.stored[key] = text
        if key in MULTILINE_FIELDS:
            return FormTextArea(text, check=self._check(key), lang=self.lang, id=ident)
        placeholder = self.t("ui.form.list_hint") if key in LIST_FIELDS else ""
        return text_input(text, check=self._check(key), lang=self.lang, placeholder=placeholder,
                          valid_empty=key != "name", id=ident)

    def _check(self, key: str):
        def check(text: str) -> None:
            if self.stored.get(key) != text:  # a name saved before today's rules stays as it is until changed
                self.service.validate_candidate_fields({key: record_value(key, text)})
        return check

    def _branch_ref(self, text: str) -> str | int:
        return self.branches.get(text.strip(), text)

    def _check_branch(self, text: str) -> None:
        self.service.resolve_branch(self._branch_ref(text))

    def on_mount(self) -> None:
        self.query_one("#input-name", Input).focus()

    # -- saving -------------------------------------------------------------------------
    def _values(self) -> dict:
        return {key: record_value(key, self.query_one(f"#input-{key}").value) for key in FORM_FIELDS}

    def _changes(self) -> dict:
        """The fields the user changed from the record the form was opened with."""
        values = {key: value for key, value in self._values().items()
                  if key not in self.stored or self.query_one(f"#input-{key}").value != self.stored[key]}
        cleaned = self.service.validate_candidate_fields(values)
        return {key: values[key] for key in self.service.changed_fields(self.opened, self.opened.with_(**cleaned))}

    def save(self) -> Candidate | None:
        if self.opened is None:
            values = self._values()
            return self.service.add_candidate(self._branch_ref(self.query_one("#input-unit", Input).value),
                                              values.pop("name"), date_=self.query_one("#input-entered", Input).value,
                                              **values)
        changes = self._changes()
        if not changes:
            self.dismiss(None)
            return None
        try:
            return self.service.edit(self.candidate_id, changes, expected_rev=self.expected_rev)
        except PtdvError as err:
            if err.key == "candidate.stale":
                self._show_stale()
            raise

    def action_reapply(self) -> None:
        """After a stale save: write the user's own changes on top of the newer version."""
        if self.newer is not None:
            self.expected_rev = self.newer.rev
            self.action_save()

    def _show_stale(self) -> None:
        self.newer = self.service.candidate(self.candidate_id)
        lines = [self.t("ui.form.stale_title")]
        lines += [f"  {self.t(f'field.{key}')}: {value_text(key, getattr(self.newer, key), self.lang)}"
                  f"  ({self.t('ui.form.stale_was', value=value_text(key, getattr(self.opened, key), self.lang))})"
                  for key in self.service.changed_fields(self.opened, self.newer)] \
            or [f"  {self.t('ui.form.stale_none')}"]
        lines.append(self.t("ui.form.stale_keys"))
        stale = self.query_one("#stale", Static)
        stale.update("\n".join(lines))
        stale.add_class("-shown")
        self.call_after_refresh(self.fit_fields)
