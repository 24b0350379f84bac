"""What every screen showing store data shares: reload on demand, year keys, back, help, palette."""
from __future__ import annotations

from typing import Callable

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import Header, Static

from db.quota import Figures
from tui.bindings import localize_bindings
from tui.widgets.record_table import Column, RecordTable
from tui.widgets.unit_header import UnitHeader


class Notes:
    """For a screen with lines that show only while they have something to say."""

    def note(self, line: str, text: str) -> None:
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


class UnitViewScreen(TableScreen):
    """What the unit and the branch screens share: one unit's header, a record table of what is
    under it, and the keys for the unit's due list and quota editor."""

    BINDINGS = [
        Binding("d", "due", "ui.app.key.due", id="due"),
        Binding("t", "quota", "ui.app.key.quota", id="quota"),
        Binding("l", "audit", "ui.audit.key.open", id="audit"),
    ]
    def __init__(self, unit_id: int) -> None:
        super().__init__()
        self.unit_id = unit_id

    def compose_header(self) -> ComposeResult:
        yield Header()
        yield UnitHeader(lang=self.app.lang)

    def show_unit(self) -> dict[int, Figures]:
        """Re-read the unit and show its header; returns the figures of the unit's subtree."""
        service, lang = self.app.service, self.app.lang
        state = service.state()
        unit = state.unit(self.unit_id)
        figures = service.figures(self.app.year, unit.id)
        self.query_one(UnitHeader).show([(u.id, u.name) for u in state.ancestors(unit.id)],
                                         state.level_label(unit.level, lang), figures[unit.id], service.today())
        return figures

    def column_legend(self) -> list[str]:
        return [f"{self.t(c.label)} = {self.t(c.title)}" for c in self.COLUMNS if c.title]

    def action_due(self) -> None:
        self.app.open_due(self.unit_id)

    def action_quota(self) -> None:
        self.app.edit_quota(self.unit_id)

    def action_audit(self) -> None:
        self.app.open_audit(self.unit_id)
