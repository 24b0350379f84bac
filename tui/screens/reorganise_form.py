"""``m`` on a unit or branch screen: the unit merges with others, splits, is dissolved or moves under another
parent, on a date (docs/HISTORY.md, "Changes").  The form asks only what the change chosen needs; the service
checks and refuses (its message shows under the field it concerns, or at the bottom).  Dismissed with a line
saying what was saved, or None."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult

from db.errors import PtdvError
from db.text import clean_unit_name, fmt_date, parse_date, safe

from tui.widgets.date_input import DateInput
from tui.widgets.form_dialog import FormDialog
from tui.widgets.form_field import FormCheckbox, FormField, FormSelect, text_input
from tui.widgets.unit_suggester import UnitSuggester, split_names

OPERATIONS = ("merge", "split", "close", "move")
# the fields each change asks for (the date always)
FIELDS = {"merge": ("others", "into", "parent", "across"), "split": ("names", "assign"),
          "close": ("parent",), "move": ("parent",)}


class ReorganiseForm(FormDialog):
    CSS_PATH = "reorganise_form.tcss"
    FIELD_OF_KEY = {
        "stage.future_date": "date", "unit.date_before_began": "date", "unit.date_before_change": "date",
        "unit.merge_too_few": "others", "unit.merge_levels": "across", "unit.merge_nested": "others",
        "unit.merge_into_elsewhere": "into", "unit.duplicate": "into", "unit.merge_no_common_parent": "parent",
        "unit.parent_not_there": "parent", "unit.move_into_itself": "parent",
        "unit.split_too_few": "names", "unit.split_unknown_target": "names",
    }

    def __init__(self, unit_id: int) -> None:
        super().__init__()
        self.unit_id = unit_id
        self.labels: dict[str, int] = {}           # a unit's label -> id (units that go on)
        self.parts: list[tuple[str, str]] = []      # what a split assigns: (key the service takes, label)

    # -- building -----------------------------------------------------------------------
    def load(self) -> None:
        service = self.service
        self.unit = service.state().unit(self.unit_id)
        self.labels = {safe(label): uid for label, uid in service.unit_labels().items()}
        kids = service.state().children.get(self.unit_id, [])
        if kids:
            state = service.state()
            self.parts = [(str(kid), safe(state.units[kid].name)) for kid in kids]
        else:  # a branch: its candidates in the pipeline are assigned, by id
            self.parts = [(str(c.id), f"#{c.id} {safe(c.name)}") for c in service.candidates(self.unit_id)]

    def heading(self) -> str:
        return self.t("ui.reorg.title", unit=safe(self.unit.name))

    def compose_fields(self) -> ComposeResult:
        t, lang = self.t, self.lang
        unit_names = list(self.labels)
        yield FormField(t("ui.reorg.operation"),
                        FormSelect([(t(f"ui.reorg.op.{op}"), op) for op in OPERATIONS], value="merge",
                                   allow_blank=False, compact=True, id="input-operation"),
                        required=True, id="field-operation")
        yield FormField(t("ui.reorg.others"),
                        text_input(check=self._check_units, lang=lang, placeholder=t("ui.reorg.others_hint"),
                                   id="input-others", suggester=UnitSuggester(unit_names, several=True)),
                        required=True, id="field-others")
        yield FormField(t("ui.reorg.into"),
                        text_input(check=self._check_into, lang=lang, placeholder=t("ui.reorg.into_hint"),
                                   valid_empty=True,
                                   id="input-into", suggester=UnitSuggester(self._into_choices)),
                        required=True, id="field-into")
        yield FormField(t("ui.reorg.names"),
                        text_input(lang=lang, placeholder=t("ui.reorg.names_hint"), id="input-names"),
                        required=True, id="field-names")
        for index, (_, label) in enumerate(self.parts):
            yield FormField(t("ui.reorg.assign", child=label),
                            text_input(lang=lang, placeholder=t("ui.reorg.assign_hint"), id=f"input-assign-{index}",
                                       suggester=UnitSuggester(self._new_names)),
                            required=True, id=f"field-assign-{index}", classes="assign")
        yield FormField(t("ui.reorg.parent"),
                        text_input(check=self._check_parent, lang=lang, valid_empty=True,
                                   placeholder=t("ui.reorg.parent_hint.merge"), id="input-parent",
                                   suggester=UnitSuggester(unit_names)),
                        id="field-parent")
        yield FormField(t("ui.reorg.across"), FormCheckbox(False, lang=lang, compact=True, id="input-across"),
                        id="field-across")
        yield FormField(t("field.date"),
                        DateInput(self.service.today(), check=lambda text: parse_date(text, field="date"),
                                  lang=lang, id="input-date"),
                        required=True, id="field-date")

    def on_mount(self) -> None:
        self.show_fields("merge")
        self.query_one("#input-operation").focus()

    # -- what is typed ------------------------------------------------------------------
    @property
    def operation(self) -> str:
        return self.query_one("#input-operation", FormSelect).value

    def value(self, name: str) -> str:
        return self.query_one(f"#input-{name}").value

    def _ref(self, text: str) -> str | int:
        """A label as the suggester offers it names its unit; anything else goes to the service as typed."""
        return self.labels.get(text.strip(), text.strip())

    def _check_units(self, text: str) -> None:
        for name in split_names(text):
            self.service.resolve_unit(self._ref(name))

    def _check_parent(self, text: str) -> None:
        if text.strip():
            self.service.resolve_unit(self._ref(text))

    @staticmethod
    def _check_into(text: str) -> None:
        if text.strip():
            clean_unit_name(text, field="into")

    def _into_choices(self) -> list[str]:
        """The unit itself and the others typed, then every unit (one beside them may go on)."""
        return [safe(self.unit.name), *split_names(self.value("others")), *self.labels]

    def _new_names(self) -> list[str]:
        return split_names(self.value("names"))

    @on(FormSelect.Changed, "#input-operation")
    def _operation_changed(self, event: FormSelect.Changed) -> None:
        self.show_fields(str(event.value))

    def show_fields(self, operation: str) -> None:
        """Only the fields the change asks for are shown (and checked when saving)."""
        wanted = FIELDS.get(operation, ())
        for name in ("others", "into", "names", "parent", "across"):
            self.query_one(f"#field-{name}").display = name in wanted
        for field in self.query(".assign"):
            field.display = "assign" in wanted
        if "parent" in wanted:
            self.query_one("#input-parent").placeholder = self.t(f"ui.reorg.parent_hint.{operation}")
            self.query_one("#field-parent", FormField).query_one(".field-label").set_class(
                operation == "move", "-required")
        self.show_message("")
        for field in self.query(FormField):
            field.show_error(None)
        self.call_after_refresh(self.fit_fields)

    def checked_controls(self) -> list:
        """Fields hidden for this change are not checked (nor saved)."""
        return [control for control in super().checked_controls()
                if all(node.display for node in control.ancestors_with_self if isinstance(node, FormField))]

    # -- saving -------------------------------------------------------------------------
    def save(self) -> str:
        service, op = self.service, self.operation
        day = parse_date(self.value("date"), field="date")
        unit = f"#{self.unit_id}"
        if op == "merge":
            refs = [unit, *(self._ref(name) for name in split_names(self.value("others")))]
            into = self.value("into").strip()
            if not into:
                raise PtdvError("input.required", field="into")
            target = f"#{self.labels[into]}" if into in self.labels else into
            parent = self.value("parent").strip()
            successor = service.merge_units(refs, target, day, parent_ref=self._ref(parent) if parent else None,
                                            across_levels=self.query_one("#input-across", FormCheckbox).value)
            return self.t("ui.reorg.saved.merge", into=safe(successor.name), date=fmt_date(day))
        if op == "split":
            names = split_names(self.value("names"))
            assign = {key: self.value(f"assign-{index}").strip() for index, (key, _) in enumerate(self.parts)
                      if self.value(f"assign-{index}").strip()}
            new = service.split_unit(unit, names, assign, day)
            return self.t("ui.reorg.saved.split", unit=safe(self.unit.name),
                          into=", ".join(safe(u.name) for u in new), date=fmt_date(day))
        parent = self.value("parent").strip()
        if op == "close":
            taker = service.close_unit(unit, day, self._ref(parent) if parent else None)
            return self.t("ui.reorg.saved.close", unit=safe(self.unit.name), into=safe(taker.name),
                          date=fmt_date(day))
        if not parent:
            raise PtdvError("input.required", field="parent")
        moved = service.move_unit(unit, self._ref(parent), day)
        return self.t("ui.reorg.saved.move", unit=safe(self.unit.name),
                      into=safe(service.state().units[moved.parent].name), date=fmt_date(day))
