"""Where to write a report's Excel file: a path prefilled, edited or accepted with Enter; a write the
system refuses is said in the user's words and keeps the dialog."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from db.errors import PtdvError
from tui.bindings import localize_bindings
from tui.files import write_error
from tui.screens.base import Notes


def target_path(typed: str, name: str, suffix: str = ".xlsx") -> Path:
    """The file a typed path names: ``~`` expanded, relative to the working folder, ending in ``suffix``;
    a folder (one that exists, or typed with a ``/`` at the end) gets the file ``name`` in it."""
    typed = typed.strip()
    if not typed:
        raise PtdvError("ui.report.no_path")
    path = Path(typed).expanduser()
    if not path.is_absolute():
        try:
            path = Path.cwd() / path
        except OSError as exc:  # the working folder was removed
            raise write_error(path, exc) from exc
    if typed.endswith(os.sep) or path.is_dir():
        return path / name
    return path if path.suffix.lower() == suffix else path.with_name(path.name + suffix)


class WriteReportDialog(Notes, ModalScreen[Path | None]):
    """Where to write the Excel file: the path prefilled; Enter writes (a refusal keeps the dialog and
    says why), Esc cancels."""

    CSS_PATH = "write_report_dialog.tcss"
    BINDINGS = [Binding("escape", "cancel", "ui.report.key.cancel", id="report_cancel")]

    def __init__(self, path: Path, write: Callable[[Path], None], title: str | None = None) -> None:
        super().__init__()
        self.path = path
        self.write = write
        self.suffix = path.suffix.lower() or ".xlsx"  # what a typed name is given: the prefilled file's kind
        self.heading = title
        localize_bindings(self, self.app.lang)

    def compose(self) -> ComposeResult:
        t = self.app.t
        with Vertical(id="dialog") as box:
            box.border_title = self.heading or t("ui.report.dialog_title")
            box.border_subtitle = t("ui.report.dialog_hint")
            yield Label(t("ui.report.dialog_path"))
            yield Input(str(self.path), id="path")
            yield Static(id="exists", markup=False)
            yield Static(id="problem", markup=False)

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()
        self._check(self.query_one("#path", Input).value)
        self.note("problem", "")

    def _check(self, typed: str) -> None:
        """Say when the file typed is there already (Enter replaces it)."""
        try:
            exists = target_path(typed, self.path.name, self.suffix).is_file()
        except (PtdvError, OSError, ValueError):
            exists = False
        self.note("exists", self.app.t("ui.report.dialog_exists") if exists else "")

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._check(event.value)
        self.note("problem", "")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            path = target_path(event.value, self.path.name, self.suffix)
            self.write(path)
        except PtdvError as err:
            self.note("problem", err.message(self.app.lang))
            return
        self.dismiss(path)

    def action_cancel(self) -> None:
        self.dismiss(None)
