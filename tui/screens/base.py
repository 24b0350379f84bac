"""What every screen showing store data shares: reload on demand, year keys, back, help, palette."""
from __future__ import annotations

from typing import Callable

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import Header, Static

from rich.text import Text

from db.access import UNITS, WRITE
from db.lineage import Lineage, Seen
from db.quota import Figures
from db.state import State
from tui import history_text
from tui.bindings import localize_bindings
from tui.widgets.record_table import Column, RecordTable
from tui.widgets.unit_header import UnitHeader


class Notes:
    """For a screen with lines that show only while they have something to say."""

    def note(self, line: str, text: "str | Text") -> None:
        """Show the line ``#line`` with ``text``, or hide it when ``text`` is empty."""
        static = self.query_one(f"#{line}", Static)
        static.update(text)
        static.display = bool(text)


class DataScreen(Notes, Screen):
    """A screen over the store.  Subclasses implement :meth:`reload`; the app calls it when the
    store changed on disk, when the year changed, and whenever the screen becomes active again."""

    YEAR = Binding.Group("ui.app.key.year", compact=True)
    BINDINGS = [
        Binding("question_mark", "help", "ui.app.key.help", id="help"),
        Binding("left_square_bracket", "year(-1)", "ui.app.key.year_prev", id="year_prev", group=YEAR),
        Binding("right_square_bracket", "year(1)", "ui.app.key.year_next", id="year_next", group=YEAR),
        Binding("backspace,escape", "back", "ui.app.key.back", id="back", show=False),
    ]

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        localize_bindings(self, self.app.lang)

    def reload(self) -> None:
        """Re-query the service and show the result, keeping the cursor, scroll and anything typed."""
        raise NotImplementedError

    def t(self, key: str, **params: object) -> str:
        return self.app.t(key, **params)

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        self.app.reload_screen(self)

    # -- actions --------------------------------------------------------------------------
    @property
    def can_go_back(self) -> bool:
        """Not on the first data screen (the top unit's): below it is only Textual's blank screen."""
        stack = self.app.screen_stack
        return self in stack and isinstance(stack[stack.index(self) - 1], DataScreen)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return self.can_go_back
        return True

    def action_back(self) -> None:
        if self.can_go_back:
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
        self.year_tree: State | None = None  # the tree of that day: the units under it then
        self.may_reorganise = False          # the user manages this unit, which goes on (key m offered)
        self.may_import = False              # the user may change candidates of this unit (key i offered)

    def compose_header(self) -> ComposeResult:
        yield Header()
        yield UnitHeader(lang=self.app.lang)
        yield Static(id="history", classes="history", markup=False)

    def show_unit(self) -> dict[int, Figures]:
        """Re-read the unit and show its header and its history, in the tree of the app's year (an ended unit:
        of its last day); returns the figures of the unit's subtree."""
        service, lang = self.app.service, self.app.lang
        unit = service.state().unit(self.unit_id)
        self.seen = service.seen(unit.id, self.app.year)
        self.year_tree = tree = service.tree(self.app.year, unit.id)
        self.lineage = service.lineage(unit.id)
        figures = service.figures(self.seen.year, unit.id)
        self.query_one(UnitHeader).show([(u.id, u.name) for u in tree.ancestors(unit.id)],
                                         tree.level_label(unit.level, lang), figures[unit.id], service.today())
        self.note("history", self.history_text())
        self.may_reorganise = (self.lineage.ended is None and unit.parent is not None
                               and service.allows(UNITS, unit.id))
        self.may_import = service.allows(WRITE, unit.id)
        return figures

    def history_text(self) -> Text:
        """The banner under the header: why the year shown is not the one asked, where the unit came from, what
        it became; ``g: mở`` when there is a unit to open."""
        tree, lin, lang = self.year_tree, self.lineage, self.app.lang
        label = history_text.name_label(tree)
        text = Text()
        note = history_text.seen_line(self.seen, lin, lang)
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
