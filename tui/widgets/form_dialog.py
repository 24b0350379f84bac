"""The base of ptdv's modal forms: keyboard only, saved through the service by the form itself.

Enter (in any one-line field) or ctrl+s saves, Esc cancels; in a field of several lines (notes, a
``FormTextArea``) Enter starts a new line.  A refused save keeps everything typed and
shows the message under the field it concerns (``FormField`` with id ``field-<name>``) and at the
bottom of the form; the form is dismissed with the saved record, or ``None`` on Esc.
"""
from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static, TextArea

from db.errors import PtdvError

from tui.bindings import localize_bindings
from tui.widgets.form_field import FormField, FormTextArea


class FormDialog(ModalScreen):
    DEFAULT_CSS = """
    FormDialog { align: center middle; }
    FormDialog #dialog {
        width: 100%; max-width: 100; height: auto; max-height: 100%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    FormDialog #title { text-style: bold; margin-bottom: 1; }
    FormDialog #fields { height: auto; }
    FormDialog #message { height: auto; }
    FormDialog #message.-error { color: $text-error; text-style: bold; }
    FormDialog #keys { color: $text-muted; }
    """
    BINDINGS = [
        Binding("enter", "save", "ui.form.save", id="form.save", show=False),
        Binding("ctrl+s", "save", "ui.form.save", id="form.save_ctrl_s", show=False),
        Binding("escape", "cancel", "ui.form.cancel", id="form.cancel", show=False),
    ]
    # a refused save names its field by a ``field`` parameter (renamed here) or else by its message key
    FIELD_PARAMS: ClassVar[dict[str, str]] = {}
    FIELD_OF_KEY: ClassVar[dict[str, str]] = {}
    KEYS: ClassVar[str] = "ui.form.keys"  # the catalogue key of the line of keys at the bottom

    def __init__(self) -> None:
        super().__init__()
        localize_bindings(self, self.app.lang)

    @property
    def service(self):
        return self.app.service

    @property
    def lang(self) -> str:
        return self.app.lang

    def t(self, key: str, **params) -> str:
        return self.app.t(key, **params)

    # -- what a form defines ------------------------------------------------------------
    def load(self) -> None:
        """Read what the form starts from (called before composing)."""

    def heading(self) -> str:
        raise NotImplementedError

    def compose_fields(self) -> ComposeResult:
        """The form's fields (``FormField`` with id ``field-<name>``), in a scrolling area."""
        raise NotImplementedError

    def compose_notes(self) -> ComposeResult:
        """Anything shown between the fields and the message line."""
        yield from ()

    def save(self) -> object | None:
        """Save through the service and return the saved record; raise PtdvError when refused."""
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        self.load()
        with Vertical(id="dialog"):
            yield Static(self.heading(), id="title", markup=False)
            with VerticalScroll(id="fields", can_focus=False):
                yield from self.compose_fields()
            yield from self.compose_notes()
            yield Static("", id="message", markup=False)
            yield Static(self.t(self.KEYS), id="keys", markup=False)

    # -- fitting the screen: the fields scroll when the form is taller than the screen ---
    def on_mount(self) -> None:
        self.call_after_refresh(self.fit_fields)

    def on_resize(self) -> None:
        self.call_after_refresh(self.fit_fields)

    def fit_fields(self) -> int:
        """Cap the fields' height at what the screen leaves after the rest of the dialog; that height."""
        dialog, fields = self.query_one("#dialog"), self.query_one("#fields")
        room = max(3, self.size.height - dialog.styles.gutter.height - outer_height(dialog, but=fields))
        fields.styles.max_height = room
        return room

    # -- saving -------------------------------------------------------------------------
    def checked_controls(self) -> list:
        """The controls checked before a save (a form that hides fields leaves those out)."""
        return [*self.query(Input), *self.query(FormTextArea)]

    def action_save(self) -> None:
        invalid = [control for control in self.checked_controls() if not control.is_valid]
        if invalid:  # its message is already under it
            invalid[0].focus()
            self.show_message(self.t("ui.form.not_saved"), error=True)
            return
        for field in self.query(FormField):
            field.show_error(None)
        self.show_message("")
        try:
            saved = self.save()
        except PtdvError as err:
            self.refused(err)
            return
        if saved is not None:
            self.dismiss(saved)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Changed)
    @on(TextArea.Changed)
    def _typing(self, event: Input.Changed | TextArea.Changed) -> None:
        """What is typed after a refused save makes the old "not saved" line stale."""
        if self.query_one("#message").has_class("-error"):
            self.show_message("")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def refused(self, err: PtdvError) -> None:
        message = err.message(self.lang)
        param = err.params.get("field")
        field = self.FIELD_PARAMS.get(param, param) or self.FIELD_OF_KEY.get(err.key)
        if field and self.query(f"#field-{field}"):
            self.query_one(f"#field-{field}", FormField).show_error(message)
            message = self.t("ui.form.not_saved")  # the reason is next to the field
        self.show_message(message, error=True)

    def show_message(self, text: str, *, error: bool = False) -> None:
        note = self.query_one("#message", Static)
        note.update("✗ " + text if error and text else text)
        note.set_class(error, "-error")
        self.call_after_refresh(self.fit_fields)


def outer_height(container, but) -> int:
    """The lines ``container``'s children take, with their margins, ``but`` one of them."""
    return sum(w.outer_size.height + w.styles.margin.top + w.styles.margin.bottom
               for w in container.children if w is not but and w.display)
