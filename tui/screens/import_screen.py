"""``i`` on a unit or branch screen, or "import" in the palette: a list of candidates (or a ptdv export) from
a spreadsheet, as ``ptdv import`` reads it.

A file is chosen in a tree of the home folder and of the store's folder (Enter on it), or typed; the rows
go to the unit typed (``import --unit``: the branch of the rows that name none, or a ward whose branches
they name), at first the branch or ward on screen; a workbook with several lists needs its sheet typed.  The
file is read and planned in a thread while the screen says so; the dry run shows what would be added,
changed and left, the rows skipped and the columns not imported, or every refused row with its reason, in
the words of ``ptdv import --dry-run``.  ctrl+s writes the tables the dry run read; Esc, Backspace or ← go
back (the screen below re-reads the store when it is shown again)."""
from __future__ import annotations

import os
from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DirectoryTree, Footer, Header, Input, Static, TextArea
from textual.worker import Worker, WorkerState

from db.errors import PtdvError
from db.service import Service
from db.text import safe
from db.transfer import ImportRefused, Limits, Plan, Tables
from tui.bindings import localize_bindings
from tui.import_text import plan_lines
from tui.output import number
from tui.reader import Reader
from tui.screens.base import Notes
from tui.transfer_io import FORMATS, read_tables
from tui.widgets.branch_suggester import BranchSuggester
from tui.widgets.file_tree import FileTree
from tui.widgets.form_field import FormField, text_input

SHOWN_LINES = 2000  # a longer dry run shows its first lines, a note, then its last TAIL lines (the counts)
TAIL = 20


def shown_lines(lines: list[str], more: str) -> list[str]:
    """``lines``, or when there are more than ``SHOWN_LINES`` their head and tail around ``more`` (a text
    with ``{count}``, the lines left out): a wrapped text of 25,000 lines takes seconds to lay out."""
    if len(lines) <= SHOWN_LINES + TAIL:
        return lines
    return [*lines[:SHOWN_LINES], more.format(count=len(lines) - SHOWN_LINES - TAIL), *lines[-TAIL:]]


def counts_first(plan: Plan, lang: str, *, dry_run: bool) -> list[str]:
    """The lines of ``ptdv import`` (:func:`plan_lines`), their count line per table (the last ones) first:
    a pane is read from the top."""
    lines, tables = plan_lines(plan, lang, dry_run=dry_run), len(plan.sheets)
    return [*lines[-tables:], *lines[:-tables]]


def home_relative(path: Path) -> str:
    """``~/lists/a.csv`` for a path under the home folder, else the path as it is."""
    try:
        return str(Path("~") / path.relative_to(Path.home()))
    except (ValueError, RuntimeError):
        return str(path)


class PlanText(TextArea):
    """The dry run's lines: read, scrolled and copied, never edited; ← and Backspace go back."""

    BINDINGS = [Binding("left,backspace", "screen.back", show=False)]

    def __init__(self, **kwargs) -> None:
        super().__init__(read_only=True, soft_wrap=True, show_cursor=False, highlight_cursor_line=False, **kwargs)

    def show(self, lines: list[str], more: str) -> None:
        """Show ``lines`` from the top (see :func:`shown_lines` for ``more``)."""
        self.load_text("\n".join(shown_lines(lines, more)))
        self.move_cursor((0, 0))


class ImportScreen(Notes, Screen[None]):
    CSS_PATH = "import_screen.tcss"
    BINDINGS = [
        Binding("ctrl+s", "confirm", "ui.import.key.confirm", id="import_confirm"),
        Binding("escape,backspace", "back", "ui.app.key.back", id="import_back"),
    ]

    class Done(Message):
        """A worker read and planned (or wrote) a file: the plan, or what refused it."""

        def __init__(self, serial: int, read: tuple[Path, str], tables: Tables | None, plan: Plan | None,
                     error: PtdvError | None, written: bool) -> None:
            super().__init__()
            self.serial = serial
            self.read = read
            self.tables = tables
            self.plan = plan
            self.error = error
            self.written = written

    def __init__(self, unit_id: int) -> None:
        super().__init__()
        localize_bindings(self, self.app.lang)
        self.unit_id = unit_id
        self.units: dict[str, int] = {}     # a unit's label -> its id
        self.serial = 0                     # the latest run: an older run's answer is left unshown
        self.worker: Worker | None = None
        self.writing = False
        self.read: tuple[Path, str] | None = None  # the file and sheet read, and their tables: what ctrl+s
        self.tables: Tables | None = None          # writes is what the dry run showed
        self.plan: Plan | None = None       # the dry run on screen, when it may be written
        self.ran_with = ("", "", "")        # the fields (file, unit, sheet) as the last run read them

    def t(self, key: str, **params: object) -> str:
        return self.app.t(key, **params)

    @property
    def service(self) -> Service:
        return self.app.service

    def compose(self) -> ComposeResult:
        service, lang = self.service, self.app.lang
        state = service.state()
        unit = state.unit(self.unit_id)
        self.units = {safe(label): uid for label, uid in service.unit_labels().items()}
        # a branch, or a ward (its branches the rows name): the unit on screen; above a ward, one is chosen
        here = "" if any(state.children.get(kid) for kid in state.children.get(unit.id, [])) else next(
            (label for label, uid in self.units.items() if uid == unit.id), "")
        yield Header()
        yield Static(self.t("ui.import.title", unit=safe(unit.name)), id="title", markup=False)
        with Horizontal(id="panes"):
            tree = FileTree(self._places(), [f".{kind}" for kind in FORMATS], hidden=list(service.store.own_paths()),
                            id="files")
            tree.border_title = self.t("ui.import.folders")
            yield tree
            with Vertical(id="run"):
                yield FormField(self.t("ui.import.file"),
                                text_input(placeholder=self.t("ui.import.file_hint"), lang=lang, id="path"),
                                id="field-path")
                yield FormField(self.t("ui.import.unit"),
                                text_input(here, check=lambda text: service.resolve_unit(self._unit(text)),
                                           lang=lang, valid_empty=True, placeholder=self.t("ui.import.unit_hint"),
                                           id="unit", suggester=BranchSuggester(list(self.units))),
                                id="field-unit")
                yield FormField(self.t("ui.import.sheet"),
                                text_input(placeholder=self.t("ui.import.sheet_hint"), lang=lang, id="sheet"),
                                id="field-sheet")
                text = PlanText(id="plan")
                text.border_title = self.t("ui.import.dry_run")
                yield text
        yield Static(id="status", markup=False)
        yield Footer()

    def _places(self) -> list[tuple[str, Path]]:
        """The store's folder (a store file's) when it is not the home folder, then the home folder (opened)."""
        home, own = Path.home(), self.service.store.own_paths()
        places = [(self.t("ui.import.home", path="~"), home)]
        store = own[0].parent if own else home
        if store.resolve() != home.resolve():
            places.insert(0, (self.t("ui.import.store_folder", path=home_relative(store)), store))
        return places

    def on_mount(self) -> None:
        self.query_one(FileTree).focus()
        self.say(self.t("ui.import.choose"))

    def _unit(self, text: str) -> str | int | None:
        text = text.strip()
        return self.units.get(text, text) or None

    def say(self, text: str, *, error: bool = False) -> None:
        self.note("status", text)
        self.query_one("#status").set_class(error, "-error")

    # -- running: read and plan, or write, in a thread ----------------------------------------
    def dry_run(self) -> None:
        typed = self.query_one("#path", Input).value.strip()
        if not typed:
            self.say(self.t("ui.import.no_file"), error=True)
            return
        self.run((Path(typed).expanduser(), self.query_one("#sheet", Input).value.strip()), None, write=False)

    def run(self, read: tuple[Path, str], tables: Tables | None, *, write: bool) -> None:
        """Plan (or write) the file and sheet ``read`` into the unit typed: its ``tables``, or read afresh (a
        file corrected since the last dry run)."""
        if self.writing:
            return
        self.serial += 1
        self.plan = None
        self.writing = write
        self.ran_with = self._typed()
        self.query_one(PlanText).loading = True
        self.say(self.t("ui.import.writing" if write else "ui.import.reading", file=safe(read[0].name)))
        self.refresh_bindings()
        self.worker = self._work(self.app.reader, self.app.lang, self.serial, read, tables,
                                 self._unit(self.ran_with[1]), write)

    @work(thread=True, exclusive=True, group="import", exit_on_error=False)
    def _work(self, reader: Reader, lang: str, serial: int, read: tuple[Path, str], tables: Tables | None,
              unit: str | int | None, write: bool) -> None:
        """Read the file and sheet ``read`` (unless their ``tables`` are read already), then plan or write them
        in the app's session of the worker threads (the app's own service is the event loop's); posts ``Done``."""
        plan = error = None
        try:
            if tables is None:
                path, sheet = read
                tables = read_tables(path, Limits.from_env(os.environ), sheet or None)
            with reader.session() as service:
                plan = service.import_tables(tables, unit_ref=unit, dry_run=not write, lang=lang)
        except PtdvError as err:
            error = err
        self.post_message(self.Done(serial, read, tables, plan, error, write))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A run that failed other than with a PtdvError (a fault of ptdv's): said, not raised."""
        if event.worker is self.worker and event.state == WorkerState.ERROR:
            self.post_message(self.Done(self.serial, (Path(), ""), None, None,
                                        PtdvError("ui.import.failed", detail=safe(str(event.worker.error))),
                                        self.writing))

    def on_import_screen_done(self, done: Done) -> None:
        if done.serial != self.serial:
            return
        self.writing = False
        pane = self.query_one(PlanText)
        pane.loading = False
        self.read, self.tables = (done.read, done.tables) if done.tables is not None else (None, None)
        lang = self.app.lang
        more = self.t("ui.import.more_lines")
        if done.error is not None:
            message = done.error.message(lang)
            if done.error.key == "import.several_sheets":  # the CLI's --sheet: the sheet's field here
                message = self.t("ui.import.several_sheets", **done.error.params)
            pane.show(message.splitlines(), more)
            self.say(self.t("ui.import.refused") if isinstance(done.error, ImportRefused) else message, error=True)
        elif done.written:
            pane.show(counts_first(done.plan, lang, dry_run=False), more)
            self.say(self.t("ui.import.written"))
            self.app.notify(self.t("ui.import.written_file", file=safe(done.read[0].name)), markup=False)
        else:
            pane.show([*counts_first(done.plan, lang, dry_run=True), self.t("cli.import.dry_run")], more)
            counts = [getattr(done.plan, sheet).counts() for sheet in done.plan.sheets]
            added, changed = (sum(c[kind] for c in counts) for kind in ("added", "changed"))
            if not (added or changed):
                self.say(self.t("ui.import.nothing"))
            elif self._typed() != self.ran_with:  # typed while it ran: not what ctrl+s would write
                self.say(self.t("ui.import.changed"))
            else:
                self.plan = done.plan
                self.say(self.t("ui.import.ready", added=number(added, lang), changed=number(changed, lang)))
        self.refresh_bindings()

    # -- what the user does ----------------------------------------------------------------------
    def on_directory_tree_file_selected(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        self.query_one("#path", Input).value = home_relative(event.path)
        self.dry_run()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "path" or self.query_one("#path", Input).value.strip():
            self.dry_run()

    def _typed(self) -> tuple[str, str, str]:
        return tuple(self.query_one(f"#{name}", Input).value for name in ("path", "unit", "sheet"))

    def on_input_changed(self, event: Input.Changed) -> None:
        """Another file, unit or sheet typed: the dry run on screen is not what ctrl+s would write any more."""
        if self.plan is not None and self._typed() != self.ran_with:
            self.plan = None
            self.say(self.t("ui.import.changed"))
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "confirm":
            return self.plan is not None and not self.writing
        return True

    def action_confirm(self) -> None:
        if self.plan is not None and self.read is not None:
            self.run(self.read, self.tables, write=True)

    def action_back(self) -> None:
        if self.writing:
            self.say(self.t("ui.import.wait"), error=True)
            return
        self.app.pop_screen()
