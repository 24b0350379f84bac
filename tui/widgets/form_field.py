"""A labelled form field: its control, and the message about what was typed right under it.

Checks come from db/ (a callable raising ``PtdvError``); the field shows the message in the
user's language.
"""
from __future__ import annotations

from typing import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.validation import ValidationResult, Validator
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, Select, SelectionList, Static, TextArea

from db.errors import PtdvError
from db.i18n import t


class FieldCheck(Validator):
    """Validate what is typed with a db/ check; the PtdvError it raises is the failure shown."""

    def __init__(self, check: Callable[[str], object], lang: str) -> None:
        super().__init__()
        self.check = check
        self.lang = lang

    def validate(self, value: str) -> ValidationResult:
        try:
            self.check(value)
        except PtdvError as err:
            return self.failure(err.message(self.lang), value)
        return self.success()


class FormSelect(Select, inherit_bindings=False):
    """A compact Select whose menu opens with Space/Up/Down, leaving Enter to save the form."""

    BINDINGS = [Binding("down,space,up", "show_overlay", show=False)]


class FormCheckbox(Checkbox, inherit_bindings=False):
    """A Checkbox toggled with Space, leaving Enter to save the form; it says yes or no in words,
    so that it reads without colour too."""

    BINDINGS = [Binding("space", "toggle_button", show=False)]

    def __init__(self, value: bool, *, lang: str, **kwargs) -> None:
        self.lang = lang
        super().__init__(self._word(value), value, **kwargs)

    def _word(self, value: bool) -> str:
        return t("value.yes" if value else "value.no", self.lang)

    def watch_value(self) -> None:
        super().watch_value()
        self.label = self._word(self.value)


class FormChoices(SelectionList, inherit_bindings=False):
    """Several of a fixed set of choices: Up/Down move, Space ticks, Enter is left to save the form.
    Each choice starts with ✓ when ticked, so that it reads without colour too."""

    DEFAULT_CSS = """
    FormChoices { border: none; padding: 0; height: auto; max-height: 8; }
    FormChoices:focus { border: none; }
    """
    BINDINGS = [Binding("down", "cursor_down", show=False), Binding("up", "cursor_up", show=False),
                Binding("home", "first", show=False), Binding("end", "last", show=False),
                Binding("space", "select", show=False)]

    def __init__(self, choices: list[tuple[str, str]], chosen: tuple[str, ...] = (), **kwargs) -> None:
        self.labels = [label for label, _ in choices]
        super().__init__(*((self._prompt(label, value in chosen), value, value in chosen) for label, value in choices),
                         **kwargs)

    @staticmethod
    def _prompt(label: str, ticked: bool) -> str:
        return ("✓ " if ticked else "  ") + label

    @property
    def value(self) -> list[str]:
        return list(self.selected)

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged) -> None:
        chosen = set(self.selected)
        for index, label in enumerate(self.labels):
            self.replace_option_prompt_at_index(index, self._prompt(label, self.get_option_at_index(index).value in chosen))


class FormTextArea(TextArea):
    """Several lines of text (notes): Enter starts a new line, Tab moves on, ctrl+s saves the form.
    Checked as it is typed by ``check`` (a db/ function raising PtdvError), like a ``text_input``."""

    DEFAULT_CSS = """
    FormTextArea { height: 5; width: 1fr; padding: 0; }
    """

    def __init__(self, value: str = "", *, check: Callable[[str], object] | None = None, lang: str = "vi",
                 **kwargs) -> None:
        super().__init__(value, soft_wrap=True, tab_behavior="focus", compact=True, **kwargs)
        self.check = check
        self.lang = lang

    @property
    def value(self) -> str:
        return self.text

    def failure(self) -> str | None:
        """The message about what is typed, or None when it would be saved."""
        try:
            if self.check is not None:
                self.check(self.text)
        except PtdvError as err:
            return err.message(self.lang)
        return None

    @property
    def is_valid(self) -> bool:
        return self.failure() is None


class FormField(Vertical):
    """A label and its control on one row; the message about the control's value under it."""

    DEFAULT_CSS = """
    FormField { height: auto; }
    FormField > .field-row { height: auto; }
    FormField .field-label { width: 25; padding-right: 1; text-wrap: nowrap; text-overflow: ellipsis; color: $text-muted; }
    FormField .field-label.-required { text-style: bold; }
    FormField .field-row > Input, FormField .field-row > Select, FormField .field-row > Checkbox,
    FormField .field-row > TextArea { width: 1fr; }
    FormField .field-error { display: none; padding-left: 25; color: $text-error; }
    FormField .field-error.-shown { display: block; }
    """

    def __init__(self, label: str, control: Widget, *, required: bool = False, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.label = label
        self.control = control
        self.required = required

    def compose(self) -> ComposeResult:
        with Horizontal(classes="field-row"):
            yield Label(self.label + (" *" if self.required else ""),
                        classes="field-label -required" if self.required else "field-label")
            yield self.control
        yield Static("", classes="field-error", markup=False)

    @property
    def error(self) -> str:
        return str(self.query_one(".field-error", Static).content)

    def show_error(self, message: str | None) -> None:
        note = self.query_one(".field-error", Static)
        text = "✗ " + message if message else ""
        if text != str(note.content):  # each key: laid out again only when the message changes
            note.update(text)
        note.set_class(bool(message), "-shown")

    @on(Input.Changed)
    @on(Input.Blurred)
    @on(Input.Submitted)
    def _validated(self, event: Input.Changed | Input.Blurred | Input.Submitted) -> None:
        result = event.validation_result
        self.show_error(result.failure_descriptions[0] if result and not result.is_valid else None)

    @on(TextArea.Changed)
    def _validated_lines(self, event: TextArea.Changed) -> None:
        if isinstance(event.text_area, FormTextArea):
            self.show_error(event.text_area.failure())


def text_input(value: str = "", *, check: Callable[[str], object] | None = None, lang: str = "vi",
               placeholder: str = "", valid_empty: bool = False, **kwargs) -> Input:
    """A compact Input checked as it is typed by ``check`` (a db/ function raising PtdvError)."""
    return Input(value, placeholder=placeholder, compact=True, valid_empty=valid_empty,
                 validators=[FieldCheck(check, lang)] if check else None, **kwargs)
