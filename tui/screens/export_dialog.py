"""``w`` on a unit or branch screen, or "export" in the palette: the unit's units, quotas and candidates
written to a file as ``ptdv export`` writes them: the format, the file (prefilled in the home folder, named
after the unit and the day) and whether the sensitive fields go too (no, unless chosen).  Enter writes and
says where; a refusal (no such folder, no permission, a full disk) stays under the file's name.

The export is read and written in a worker thread, the read through the app's session of the worker threads
(tui.reader), while the dialog says that it is writing: the app does not freeze on a large unit, and Esc
meanwhile says to wait (the file is being written) rather than leave a write nobody sees the end of."""
from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import Input, Select, Static
from textual.worker import Worker, WorkerState

from db.errors import PtdvError
from db.text import safe, slug
from tui.files import write_file
from tui.reader import Reader
from tui.screens.base import Notes
from tui.screens.write_report_dialog import target_path
from tui.transfer_io import write
from tui.widgets.form_dialog import FormDialog
from tui.widgets.form_field import FormCheckbox, FormField, FormSelect, text_input

KINDS = ("xlsx", "csv", "json")  # what ``transfer_io.write`` writes, as ``ptdv export --format``


class ExportDialog(Notes, FormDialog):
    CSS_PATH = "export_dialog.tcss"
    KEYS = "ui.export.keys"
    FIELD_OF_KEY = {key: "path" for key in ("ui.report.no_path", "ui.report.no_folder", "ui.report.no_permission",
                                            "ui.report.is_folder", "ui.report.disk_full", "ui.report.write_failed",
                                            "ui.report.link", "ui.report.not_a_file")}

    class Done(Message):
        """The worker wrote the file ``path``, or ``error`` says why not."""

        def __init__(self, path: Path, error: PtdvError | None) -> None:
            super().__init__()
            self.path = path
            self.error = error

    def __init__(self, unit_id: int) -> None:
        super().__init__()
        self.unit_id = unit_id
        self.unit_name = ""
        self.writing: Path | None = None  # the file the worker is writing
        self.worker: Worker | None = None

    def load(self) -> None:
        self.unit_name = self.service.state().unit(self.unit_id).name

    def heading(self) -> str:
        return self.t("ui.export.title", unit=safe(self.unit_name))

    def file_name(self, kind: str) -> str:
        """``xuat-chi-bo-khu-dan-cu-so-1-2024-11-15.xlsx``."""
        parts = (self.t("ui.export.file_prefix"), slug(self.unit_name), self.service.today().isoformat())
        return "-".join(p for p in parts if p) + f".{kind}"

    def compose_fields(self) -> ComposeResult:
        yield FormField(self.t("ui.export.format"),
                        FormSelect([(self.t(f"ui.export.format.{kind}"), kind) for kind in KINDS], value=KINDS[0],
                                   allow_blank=False, compact=True, id="input-format"),
                        required=True, id="field-format")
        yield FormField(self.t("ui.export.path"),
                        text_input(str(Path.home() / self.file_name(KINDS[0])), lang=self.lang, id="input-path"),
                        required=True, id="field-path")
        yield FormField(self.t("ui.export.sensitive"), FormCheckbox(False, lang=self.lang, compact=True, id="input-sensitive"),
                        id="field-sensitive")

    def compose_notes(self) -> ComposeResult:
        yield Static(id="exists", markup=False)
        yield Static(self.t("ui.export.sensitive_note"), id="note", markup=False)

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#input-format").focus()
        self._check_exists()

    @property
    def kind(self) -> str:
        return str(self.query_one("#input-format", FormSelect).value)

    def _target(self) -> Path:
        return target_path(self.query_one("#input-path", Input).value, self.file_name(self.kind), f".{self.kind}")

    @on(Select.Changed, "#input-format")
    def _format_changed(self, event: Select.Changed) -> None:
        """The file's name follows the format chosen: ``….xlsx`` becomes ``….csv``."""
        field = self.query_one("#input-path", Input)
        path = Path(field.value)
        if path.suffix.lower().lstrip(".") in KINDS:
            field.value = str(path.with_suffix(f".{self.kind}"))

    @on(Input.Changed, "#input-path")
    def _check_exists(self) -> None:
        """Say when the file is there already (Enter replaces it)."""
        try:
            exists = self._target().is_file()
        except (PtdvError, OSError, ValueError):
            exists = False
        self.note("exists", self.t("ui.report.dialog_exists") if exists else "")

    def save(self) -> None:
        """Start writing the file in a worker thread; the dialog stays, saying so, until :class:`Done`."""
        if self.writing is None:
            self.writing = self._target()
            self.worker = self._export(self.app.reader, self.lang, self.query_one("#input-sensitive").value,
                                       self.kind, self.writing, self.service.store.path.parent)
        self.show_message(self.t("ui.export.writing", file=safe(self.writing.name)))

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def _export(self, reader: Reader, lang: str, sensitive: bool, kind: str, path: Path, store_folder: Path) -> None:
        """Read the unit's tables in the app's session of the worker threads, then write them to ``path`` (out of
        the session: another thread's read need not wait for the disk); posts :class:`Done`."""
        error = None
        try:
            with reader.session() as service:
                tables = service.export(self.unit_id, lang, include_sensitive=sensitive)
            write_file(path, write(tables, kind, lang), store_folder)
        except PtdvError as err:
            error = err
        self.post_message(self.Done(path, error))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """An export that failed other than with a PtdvError (a fault of ptdv's): said, not raised."""
        if event.worker is self.worker and event.state == WorkerState.ERROR and self.writing is not None:
            self.post_message(self.Done(self.writing, PtdvError("ui.export.failed",
                                                                detail=safe(str(event.worker.error)))))

    def on_export_dialog_done(self, done: Done) -> None:
        self.writing = None
        if done.error is not None:
            self.refused(done.error)
            return
        self.app.notify(self.t("cli.export.written", path=safe(str(done.path))), markup=False, timeout=10)
        self.dismiss(done.path)

    def action_cancel(self) -> None:
        if self.writing is not None:
            self.show_message(self.t("ui.export.wait"), error=True)
            return
        super().action_cancel()
