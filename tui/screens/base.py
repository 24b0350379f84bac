"""What every screen showing store data shares: loads in a worker thread, year keys, back, help, palette.

A data screen reads in two halves: :meth:`DataScreen.load` runs in a worker thread and asks the app's reading
session (tui.reader) for everything the screen shows, made ready to show (texts, table records); :meth:`show`
runs on the event loop and puts it into the widgets.  The event loop stays free while a load reads: keys work
on what is shown, and a load that takes longer than ``LOADING_LOOK_S`` says so (Textual's loading indicator
until the first data are shown, then "loading" beside the year in the header while the old data stay).
Each load has a number; only the latest one's answer is shown.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable

from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen
from textual.timer import Timer
from textual.types import NoActiveAppError
from textual.widgets import Header, Static

from rich.text import Text

from db.access import UNITS, WRITE
from db.errors import PtdvError
from db.lineage import Lineage, Seen
from db.quota import Figures
from db.service import Service
from db.state import State
from tui import history_text
from tui.bindings import localize_bindings
from tui.messages import Loaded
from tui.widgets.record_table import Column, RecordTable
from tui.widgets.unit_header import UnitHeader

LOADING_LOOK_S = 0.1  # a load taking longer says that it is loading; a faster one changes nothing until shown


class Notes:
    """For a screen with lines that show only while they have something to say."""

    def note(self, line: str, text: "str | Text") -> None:
        """Show the line ``#line`` with ``text``, or hide it when ``text`` is empty."""
        static = self.query_one(f"#{line}", Static)
        static.update(text)
        static.display = bool(text)


class DataScreen(Notes, Screen):
    """A screen over the store.  Subclasses implement :meth:`load` and :meth:`show`; the app calls
    :meth:`reload` when the store changed on disk, when the year changed, and whenever the screen becomes
    active again."""

    YEAR = Binding.Group("ui.app.key.year", compact=True)
    BINDINGS = [
        Binding("question_mark", "help", "ui.app.key.help", id="help"),
        Binding("left_square_bracket", "year(-1)", "ui.app.key.year_prev", id="year_prev", group=YEAR),
        Binding("right_square_bracket", "year(1)", "ui.app.key.year_next", id="year_next", group=YEAR),
        Binding("backspace,escape", "back", "ui.app.key.back", id="back", show=False),
    ]
    LOADING = "RecordTable"  # the widget with Textual's loading indicator while the screen has shown nothing yet

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        localize_bindings(self, self.app.lang)
        self.load_serial = 0        # the latest load asked for: an earlier one's answer is not shown
        self.reading = False        # that load has not answered yet
        self.read_again = False     # news of a save came while it read: read once more when it has answered
        self.shown = False          # the data of a load are on screen (a reload keeps them until its own)
        self._look: Timer | None = None  # until the loading look, then while it shows
        # What Textual focuses when the screen opens or comes back and nothing has the focus: only the LOADING
        # widget.  Textual's default is the first focusable widget, and while the indicator covers the LOADING
        # widget that is the next one, even in a hidden bar: the filter's field, which then took Backspace.
        self.AUTO_FOCUS = self.LOADING

    # -- loading --------------------------------------------------------------------------
    def load(self, service: Service) -> object:
        """In a worker thread: ask ``service`` (the app's reading session, not ``app.service``) for what the
        screen shows and return it ready to show; touch no widget.  A refusal is a :class:`PtdvError`."""
        raise NotImplementedError

    def show(self, data) -> None:
        """On the event loop: show what :meth:`load` returned, keeping the cursor, scroll and anything typed."""
        raise NotImplementedError

    def reload(self, *, news: bool = False) -> None:
        """Read the store again, in a worker thread; what is on screen stays, and takes keys, until it is shown.
        ``news``: another session saved (no key asked for other data): a load under way is not thrown away for
        it but shown when it answers, and the screen reads once more then; news coming faster than a load takes
        (another client saving every second) would otherwise keep the screen from ever showing an answer."""
        if news and self.reading:
            self.read_again = True
            return
        self.read_again, self.reading = False, True
        self.load_serial += 1
        if self._look is None:
            self._look = self.set_timer(LOADING_LOOK_S, self._loading_look)
        self._load(self.load_serial, self.app.reader)

    @work(thread=True, exclusive=True, group="load")
    def _load(self, serial: int, reader) -> None:
        with reader.session() as service:
            if serial != self.load_serial:
                return  # asked for again while this one waited for the session: the later one reads
            try:
                loaded = Loaded(serial, self.load(service))
            except PtdvError as err:
                loaded = Loaded(serial, error=err)
            except NoActiveAppError:
                return  # the screen was closed while it read (it has no app any more): nobody to show it to
        self.post_message(loaded)

    def on_loaded(self, message: Loaded) -> None:
        if message.serial != self.load_serial:
            return  # a later load is under way: its answer is shown, not this older one
        self.reading = False
        if self._look is not None:
            self._look.stop()
            self._look = None
            self.sub_title = None
            self._cover(False)
        self.app.loaded(message.error)
        if message.error is None:
            self.show(message.data)
            self.shown = True
        if self.read_again:
            self.reload(news=True)

    def _loading_look(self) -> None:
        """The load takes a while: say so (the data shown stay; the first time there are none)."""
        if self.shown:
            self.sub_title = self.t("ui.app.loading", subtitle=self.app.sub_title)
        else:
            self._cover(True)

    def _cover(self, loading: bool) -> None:
        """Put Textual's loading indicator over the ``LOADING`` widget (the one the screen focuses), or take it away.

        While it covers the widget, Textual keeps it as the screen's focus but counts it as not focused: its keys
        are neither offered nor handled, and a focus given to it meanwhile is refused (the one given back when the
        terminal regains focus too).  When the indicator goes Textual tells nobody: so the footer is told both
        ways, and the widget gets the focus again if nothing has it (a field the user went to keeps it)."""
        widget = self.query_one(self.LOADING)
        if widget.loading == loading:
            return
        widget.loading = loading
        if not loading and self.focused is None:
            widget.focus()
        self.refresh_bindings()

    def t(self, key: str, **params: object) -> str:
        return self.app.t(key, **params)

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        self.app.reload_screen(self)

    # -- actions --------------------------------------------------------------------------
    @property
    def can_go_back(self) -> bool:
        """Not on the top unit's screen: below it is only Textual's blank screen (and, below the first screen of
        a unit under the top, the units above it, whose screens are made when it goes back)."""
        stack = self.app.screen_stack
        return self in stack and (isinstance(stack[stack.index(self) - 1], DataScreen) or self.opens_above)

    @property
    def opens_above(self) -> bool:
        """The first screen of the stack, with units above it not opened yet (the app started at a unit)."""
        stack = self.app.screen_stack
        return bool(self.app.units_above) and len(stack) > 1 and stack[1] is self

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return self.can_go_back
        return True

    def action_back(self) -> None:
        if self.opens_above:
            self.app.open_above()
        elif self.can_go_back:
            self.app.pop_screen()

    def action_year(self, step: int) -> None:
        self.app.year += step

    def action_help(self) -> None:
        from .help import HelpScreen

        self.app.push_screen(HelpScreen(self))

    def commands(self) -> list[tuple[str, Callable[[], object], str]]:
        """The palette's commands for this screen: its enabled bindings, by description."""
        seen: set[str] = set()
        out: list[tuple[str, Callable[[], object], str]] = []
        for active in self.active_bindings.values():
            binding = active.binding
            if not binding.id or not active.enabled or binding.id in seen or binding.action == "command_palette":
                continue
            seen.add(binding.id)
            out.append((binding.description, _runner(active.node, binding.action),
                        self.app.get_key_display(binding)))
        return out


def _runner(node: DOMNode, action: str) -> Callable[[], object]:
    async def run() -> None:
        await node.run_action(action)
    return run


class TableScreen(DataScreen):
    """A data screen whose body is a :class:`RecordTable` of ``COLUMNS``, focused when it opens."""

    COLUMNS: tuple[Column, ...] = ()

    @property
    def table(self) -> RecordTable:
        return self.query_one(RecordTable)

    def on_mount(self) -> None:
        self.table.set_columns(list(self.COLUMNS))
        self.table.focus()


# import and export (UnitViewScreen's actions), after each screen's own keys: the footer shows those first
FILE_KEYS = [
    Binding("i", "import_file", "ui.import.key.open", id="import"),
    Binding("w", "export_file", "ui.export.key.open", id="export"),
]


@dataclass(frozen=True)
class UnitData:
    """What the unit and the branch screens show of the unit itself (:meth:`UnitViewScreen.read_unit`)."""

    figures: dict[int, Figures]       # of the unit's subtree, in the year's tree
    crumbs: list[tuple[int, str]]     # the units from the top down to it: (id, name)
    level: str                        # its level's label
    today: date
    history: Text                     # the banner under the header (UnitViewScreen.history_text)
    seen: Seen
    lineage: Lineage
    may_reorganise: bool
    may_import: bool


class UnitViewScreen(TableScreen):
    """What the unit and the branch screens share: one unit's header, a record table of what is
    under it, and the keys for the unit's due list and quota editor."""

    BINDINGS = [
        Binding("d", "due", "ui.app.key.due", id="due"),
        Binding("t", "quota", "ui.app.key.quota", id="quota"),
        Binding("l", "audit", "ui.audit.key.open", id="audit"),
        Binding("g", "links", "ui.history.key.links", id="history_links"),
        Binding("m", "reorganise", "ui.reorg.key.open", id="reorganise"),
    ]
    def __init__(self, unit_id: int) -> None:
        super().__init__()
        self.unit_id = unit_id
        self.lineage: Lineage | None = None  # what the unit came from and became (db.lineage)
        self.seen: Seen | None = None        # the year and day it is shown for (its last year when it ended)
        self.may_reorganise = False          # the user manages this unit, which goes on (key m offered)
        self.may_import = False              # the user may change candidates of this unit (key i offered)

    def compose_header(self) -> ComposeResult:
        yield Header()
        header = UnitHeader(lang=self.app.lang)
        header.display = False  # until its figures are read: none is better than noughts
        yield header
        yield Static(id="history", classes="history", markup=False)

    def read_unit(self, service: Service) -> tuple[UnitData, State]:
        """(In the load's thread.)  The unit's header and history, in the tree of the app's year (an ended unit:
        of its last day), and that tree: the units under it then."""
        lang = self.app.lang
        unit = service.state().unit(self.unit_id)
        seen = service.seen(unit.id, self.app.year)
        tree = service.tree(self.app.year, unit.id)
        lineage = service.lineage(unit.id)
        figures = service.figures(seen.year, unit.id, [unit.id, *tree.children.get(unit.id, [])])
        may_reorganise = lineage.ended is None and unit.parent is not None and service.allows(UNITS, unit.id)
        return UnitData(figures, [(u.id, u.name) for u in tree.ancestors(unit.id)],
                        tree.level_label(unit.level, lang), service.today(), self.history_text(tree, lineage, seen),
                        seen, lineage, may_reorganise, service.allows(WRITE, unit.id)), tree

    def show_unit(self, data: UnitData) -> None:
        self.seen, self.lineage = data.seen, data.lineage
        self.may_reorganise, self.may_import = data.may_reorganise, data.may_import
        header = self.query_one(UnitHeader)
        header.show(data.crumbs, data.level, data.figures[self.unit_id], data.today)
        header.display = True
        self.note("history", data.history)

    def history_text(self, tree: State, lin: Lineage, seen: Seen) -> Text:
        """The banner under the header: why the year shown is not the one asked, where the unit came from, what
        it became; ``g: mở`` when there is a unit to open."""
        lang = self.app.lang
        label = history_text.name_label(tree)
        text = Text()
        note = history_text.seen_line(seen, lin, lang)
        if note:
            text.append(note + "\n", "bold italic")
        lines = history_text.history_lines(tree, lin, lang, label)
        text.append("\n".join(lines), "bold" if lin.ended else "")
        if lin.links:
            text.append("  · " + self.t("ui.history.open_hint"), "dim")
        return text

    def note(self, line: str, text: str | Text) -> None:
        super().note(line, text)
        if line == "history":
            self.query_one("#history").set_class(bool(self.lineage and self.lineage.ended), "-ended")

    def column_legend(self) -> list[str]:
        return [f"{self.t(c.label)} = {self.t(c.title)}" for c in self.COLUMNS if c.title]

    def action_due(self) -> None:
        self.app.open_due(self.unit_id)

    def action_quota(self) -> None:
        self.app.edit_quota(self.unit_id)

    def action_audit(self) -> None:
        self.app.open_audit(self.unit_id)

    def action_links(self) -> None:
        self.app.open_links(self.unit_id)

    def action_reorganise(self) -> None:
        self.app.reorganise(self.unit_id)

    def action_import_file(self) -> None:
        from .import_screen import ImportScreen

        self.app.push_screen(ImportScreen(self.unit_id))

    def action_export_file(self) -> None:
        from .export_dialog import ExportDialog

        self.app.push_screen(ExportDialog(self.unit_id))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "links" and not (self.lineage and self.lineage.links):
            return False  # nothing before or after it: the key is not offered
        if action == "reorganise" and not self.may_reorganise:
            return False
        if action == "import_file" and not self.may_import:
            return False
        return super().check_action(action, parameters)
