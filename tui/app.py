"""The ptdv workbench: a Textual app over ``db.service.Service``.

Above Textual's blank default screen, the screen stack is the path from the top unit down to
what is on screen, so Back goes up one level.  A worker watches the store file and posts
:class:`StoreChanged`; the active data screen then re-reads it (screens below re-read when
they become active again, so a form being typed in is never disturbed).

The event loop never waits for a read that can take long: a data screen reads in a worker thread through
the app's reading session (``app.reader``, tui.reader: why a session of its own) and shows the answer when
its message comes (tui.screens.base).  The app's own service (``app.service``) is for the event loop alone:
the checks before a screen opens, dialogs and their saves.
"""
from __future__ import annotations

import asyncio
import gc
from typing import Callable, Iterable

from textual import work
from textual.binding import Binding
from textual.app import App, SystemCommand
from textual.command import CommandPalette
from textual.reactive import reactive
from textual.screen import Screen
from textual.theme import ThemeProvider

from db.errors import PtdvError
from db.i18n import t
from db.service import Service
from tui import config
from tui.bindings import localize_bindings
from tui.commands import JumpProvider, ScreenCommands
from tui.messages import StoreChanged
from tui.reader import Reader
from tui.screens.base import DataScreen, UnitViewScreen

POLL_SECONDS = 0.5
# A save waits this long for another user's save to finish, then says the store is busy: a person
# at the screen is told quickly (a crashed process's lock is released by the system at once).
LOCK_WAIT_SECONDS = 3.0
# Textual's own commands of the palette (theme, keys, …), by their title: the catalogue key of their words; and
# those the palette has already (quit: the app's ctrl+q, a command of every screen)
SYSTEM_COMMANDS = {"Theme": "theme", "Keys": "keys", "Maximize": "maximize", "Minimize": "minimize",
                   "Screenshot": "screenshot"}
SYSTEM_COMMANDS_OURS = {"Quit"}


class PtdvApp(App[None]):
    CSS_PATH = "app.tcss"
    BINDINGS = [
        Binding("ctrl+q", "quit", "ui.app.key.quit", id="quit", show=False, priority=True),
        Binding("ctrl+p", "command_palette", "ui.app.key.palette", id="palette", show=False, priority=True),
        Binding("ctrl+c", "help_quit", show=False, system=True),
    ]
    COMMANDS = App.COMMANDS | {JumpProvider, ScreenCommands}  # Textual's own (theme, keys, …) and ptdv's
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (140, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (36, "-tall")]

    year: reactive[int] = reactive(0, init=False)

    def __init__(self, service: Service, *, lang: str, year: int, path: list[int],
                 candidate_id: int | None = None) -> None:
        super().__init__()
        self.service = service          # the event loop's
        self.reader = Reader(service)   # the worker threads'
        self.lang = lang
        self.set_reactive(PtdvApp.year, year)
        self._start_path = path
        self._above: list[int] = []  # the units above the first unit screen, not opened yet (:meth:`open_above`)
        self._start_candidate = candidate_id
        self._last_error: str | None = None
        self._kept_theme = self.theme  # the theme the config files give: not written again
        self._config_error = self._use_saved_theme()
        localize_bindings(self, lang)
        self.title = self.t("ui.app.title")
        self.sub_title = self.t("ui.app.subtitle", year=year)

    def _use_saved_theme(self) -> PtdvError | None:
        """The theme of the config files (the user's, else the server's); what is wrong with them, to show."""
        try:
            setting = config.load().settings["theme"]
        except PtdvError as err:
            return err
        error = config.theme_error(setting, self.available_themes)
        if error is None:
            self._kept_theme = str(setting.value)
            self.theme = self._kept_theme
        return error

    def t(self, key: str, **params: object) -> str:
        return t(key, self.lang, **params)

    def show_error(self, err: PtdvError) -> None:
        self.notify(err.message(self.lang), title=self.t("ui.app.error"), severity="error", markup=False)

    # -- start, reload, watch the store -----------------------------------------------------
    def on_mount(self) -> None:
        if self._config_error is not None:
            self.show_error(self._config_error)
        *self._above, unit_id = self._start_path  # only the unit's screen is made: the start at a ward of a
        self.push_screen(self.screen_for(unit_id))  # metro store took 20 ms more for the two screens beneath it
        if self._start_candidate is not None:
            self.open_candidate(self._start_candidate)
        self.poll_store()
        self.call_after_refresh(gc.unfreeze)  # see make_app

    def reload_screen(self, screen: Screen, *, news: bool = False) -> None:
        """Let the active data screen re-read the store (one below it re-reads when it is back); ``news``: because
        another session saved (see :meth:`DataScreen.reload`)."""
        if isinstance(screen, DataScreen) and screen.is_mounted and screen is self.screen:
            screen.reload(news=news)

    def loaded(self, error: PtdvError | None) -> None:
        """A data screen's load ended, read or refused: a store error is shown once, not on every poll."""
        if error is None:
            self._last_error = None
            return
        message = error.message(self.lang)
        if message != self._last_error:
            self._last_error = message
            self.show_error(error)

    @work(exclusive=True, group="store-watch")
    async def poll_store(self) -> None:
        """Every half second, whether the store changed (``Reader.changed``, in a thread: two stats and a listing,
        the catalogue read again when it changed); a change is posted, never applied here."""
        while True:
            await asyncio.sleep(POLL_SECONDS)
            try:
                changed = await asyncio.to_thread(self.reader.changed)
            except PtdvError:
                changed = True  # the reload shows the error
            if changed:
                self.post_message(StoreChanged())

    def on_store_changed(self, message: StoreChanged) -> None:
        self.reload_screen(self.screen, news=True)  # a modal on top: the screen below re-reads when it is back

    def watch_year(self, year: int) -> None:
        """Another year is another tree: the stack of unit screens becomes the path to the unit on screen in the
        tree of that year (a unit that ended: of its last day), then the screen re-reads."""
        self.sub_title = self.t("ui.app.subtitle", year=year)
        screen = self.screen
        if isinstance(screen, UnitViewScreen):
            try:
                path = self._path_to(screen.unit_id)
            except PtdvError as err:
                self.show_error(err)
                return
            if path != self.unit_path() or type(screen) is not self.screen_class(screen.unit_id):
                self.call_later(self.show_path, path)
                return
        self.reload_screen(self.screen)

    # -- navigation -------------------------------------------------------------------------
    def screen_class(self, unit_id: int) -> type[UnitViewScreen]:
        """A branch screen for a unit with no units under it in the year's tree (a unit that had not begun yet:
        now), else a unit screen."""
        from tui.screens.branch import BranchScreen
        from tui.screens.unit import UnitScreen

        service = self.service
        tree = service.state() if service.seen(unit_id, self.year).not_begun else service.tree(self.year, unit_id)
        return BranchScreen if tree.is_leaf(unit_id) else UnitScreen

    def screen_for(self, unit_id: int) -> UnitViewScreen:
        return self.screen_class(unit_id)(unit_id)

    def allowed(self, check: Callable[[], object]) -> bool:
        """Run a check of the service (may the user open this?); a refusal is shown, not raised."""
        try:
            check()
        except PtdvError as err:
            self.show_error(err)
            return False
        return True

    def open_unit(self, unit_id: int) -> None:
        if self.allowed(lambda: self.service.check_open(unit_id)):
            self.push_screen(self.screen_for(unit_id))

    def open_candidate(self, candidate_id: int) -> None:
        from tui.screens.candidate import CandidateScreen

        if self.allowed(lambda: self.service.candidate(candidate_id)):
            self.push_screen(CandidateScreen(candidate_id))

    def open_due(self, unit_id: int) -> None:
        from tui.screens.due import DueScreen

        self.push_screen(DueScreen(unit_id))

    def add_candidate(self, unit_id: int) -> None:
        from tui.screens.candidate_form import CandidateForm

        self.push_screen(CandidateForm(unit_id=unit_id))

    def edit_candidate(self, candidate_id: int) -> None:
        from tui.screens.candidate_form import CandidateForm

        self.push_screen(CandidateForm(candidate_id=candidate_id))

    def advance_candidate(self, candidate_id: int) -> None:
        from tui.screens.advance_dialog import AdvanceDialog

        self.push_screen(AdvanceDialog(candidate_id))

    def exit_candidate(self, candidate_id: int) -> None:
        from tui.screens.exit_dialog import ExitDialog

        self.push_screen(ExitDialog(candidate_id))

    def edit_quota(self, unit_id: int) -> None:
        from tui.screens.quota_editor import QuotaEditor

        self.push_screen(QuotaEditor(unit_id))

    def open_report(self, unit_id: int) -> None:
        """The admissions report of the unit for the app's year; a unit the user may not read is refused here."""
        from tui.screens.report import ReportScreen

        if self.allowed(lambda: self.service.check_report(unit_id)):
            self.push_screen(ReportScreen(unit_id))

    def open_audit(self, unit_id: int) -> None:
        from tui.screens.audit import AuditScreen

        self.push_screen(AuditScreen(unit_id))

    # -- the organisation over time ---------------------------------------------------------
    def open_links(self, unit_id: int) -> None:
        """The unit it became or came from: opened at once when there is one, else chosen from a list."""
        from tui.screens.links_dialog import LinksDialog

        try:
            links = self.service.lineage(unit_id).links
        except PtdvError as err:
            self.show_error(err)
            return
        if len(links) == 1:
            self.call_later(self.jump_to_unit, links[0])
        elif links:
            self.push_screen(LinksDialog(unit_id), self._opened_link)

    def _opened_link(self, unit_id: int | None) -> None:
        if unit_id is not None:
            self.call_later(self.jump_to_unit, unit_id)

    def reorganise(self, unit_id: int) -> None:
        from tui.screens.reorganise_form import ReorganiseForm

        self.push_screen(ReorganiseForm(unit_id), self._saved_notice)

    def transfer_candidate(self, candidate_id: int) -> None:
        from tui.screens.transfer_form import TransferForm

        self.push_screen(TransferForm(candidate_id), self._saved_notice)

    def _saved_notice(self, saved: str | None) -> None:
        """What a form of the organisation's changes saved, in a line (the screens show the rest)."""
        if saved:
            self.notify(saved, markup=False)

    async def show_path(self, path: list[int]) -> None:
        """Make the stack the unit screens of ``path`` (top unit first), keeping what it shares.
        (Below them lies Textual's blank default screen.)"""
        units = self.screen_stack[1:]
        opened = path[len(self._above):] if path[:len(self._above)] == self._above else None
        keep = 0
        while (opened is not None and keep < min(len(units), len(opened)) and isinstance(units[keep], UnitViewScreen)
               and units[keep].unit_id == opened[keep] and type(units[keep]) is self.screen_class(opened[keep])):
            keep += 1
        if not opened:  # a path that leaves the units above the stack, or ends among them: made as at the start
            *self._above, last = path
            opened, keep = [last], 0
        while len(self.screen_stack) > keep + 1:
            await self.pop_screen()
        for unit_id in opened[keep:]:
            await self.push_screen(self.screen_for(unit_id))

    @property
    def units_above(self) -> list[int]:
        """The units above the first unit screen whose screens are not made yet, top unit first."""
        return list(self._above)

    def open_above(self) -> None:
        """Back from the first unit screen to the unit above it, whose screen was not made at the start."""
        self.switch_screen(self.screen_for(self._above.pop()))

    def unit_path(self) -> list[int]:
        """The units the stack of screens stands for, top unit first: those above it not opened yet, then its
        unit screens."""
        return self._above + [s.unit_id for s in self.screen_stack if isinstance(s, UnitViewScreen)]

    def _path_to(self, unit_id: int) -> list[int]:
        """The units from the top down to ``unit_id`` in the tree of the app's year (an ended unit: its last day)."""
        return self.service.tree(self.year, unit_id).chain(unit_id)

    async def jump_to_unit(self, unit_id: int) -> None:
        if self.allowed(lambda: self.service.check_open(unit_id)):
            await self.show_path(self._path_to(unit_id))

    async def jump_to_candidate(self, candidate_id: int) -> None:
        try:
            cand = self.service.candidate(candidate_id)
        except PtdvError as err:
            self.show_error(err)
            return
        await self.show_path(self._path_to(cand.unit))
        self.open_candidate(cand.id)

    def action_pop_to_unit(self, unit_id: int) -> None:
        """A click on the breadcrumb: back up to that unit.  Scheduled, not awaited: the click is
        handled by a widget of a screen that the jump removes."""
        self.call_later(self.jump_to_unit, unit_id)

    # -- palette, theme and quitting ----------------------------------------------------------
    def action_command_palette(self) -> None:
        if not CommandPalette.is_open(self):
            self.push_screen(CommandPalette(placeholder=self.t("ui.app.palette_placeholder"),
                                            id="--command-palette"))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's commands of the palette, in the user's language (the English word kept, so "theme" finds
        the theme in Vietnamese too)."""
        for command in super().get_system_commands(screen):
            if command.title in SYSTEM_COMMANDS_OURS:
                continue
            key = SYSTEM_COMMANDS.get(command.title)
            yield command if key is None else command._replace(title=self.t(f"ui.app.sys.{key}"),
                                                               help=self.t(f"ui.app.sys.{key}_help"))

    def search_themes(self) -> None:
        self.push_screen(CommandPalette(providers=[ThemeProvider], placeholder=self.t("ui.app.theme_placeholder")))

    def watch_theme(self, theme: str) -> None:
        """A theme chosen is remembered: written to the user's config file, read when the app starts."""
        if theme == self._kept_theme:
            return
        self._kept_theme = theme
        try:
            path = config.save("theme", theme)
        except PtdvError as err:
            self.show_error(err)
        else:
            self.notify(self.t("ui.app.theme_kept", theme=theme, path=path), markup=False)

    def action_help_quit(self) -> None:
        self.notify(self.t("ui.app.quit_hint"))


# The app's collector: young objects as Python does (700), the older generations a tenth as often.  A full
# collection walks every record the app holds and stops the event loop meanwhile; at metro (benchmarks/stalls.py,
# one process each) the longest stall opening the top's due list went from 1.2-2.1 s to 0.14 s, the top's start
# from 0.47 to 0.12 s.  Cyclic garbage is still collected, later.
APP_COLLECTOR = (700, 100, 100)


def make_app(service: Service, *, lang: str = "vi", year: int | None = None, unit_id: int | str | None = None,
             candidate_id: int | str | None = None) -> PtdvApp:
    """The app opened at the top unit (the user's own unit when they cover part of the tree), or at the
    unit or candidate given, with the units above it beneath on the screen stack.  Raises
    :class:`PtdvError` when the store or the unit is not there, or is outside the user's scope."""
    service.store.lock_timeout = min(service.store.lock_timeout, LOCK_WAIT_SECONDS)
    gc.freeze()  # what the imports made lives as long as the app: not scanned by the collections the read below
    gc.set_threshold(*APP_COLLECTOR)  # triggers (a metro catalogue: 20 ms more, most of it scanning the modules)
    service.root()  # a store without its top unit is reported here
    year = year or service.today().year
    candidate = service.candidate(candidate_id) if candidate_id not in (None, "") else None
    if candidate is not None:
        target = candidate.unit
    elif unit_id not in (None, ""):
        target = service.resolve_unit(unit_id, year).id  # a name of units of different times: the year's
        service.check_open(target)
    else:
        target = service.home_unit().id  # the top unit, or the unit above all the user covers
    path = service.tree(year, target).chain(target)  # the path in the tree of the year (an ended unit: its last day)
    # the read model just loaded lives long too: keep the collector from scanning it again and again while the
    # app starts (measured: a third of a metro-sized start at one ward); the app unfreezes once painted
    gc.freeze()
    return PtdvApp(service, lang=lang, year=year, path=path,
                   candidate_id=candidate.id if candidate else None)
