"""``?``: the keys of the screen it was opened from, described in the user's language, and what
that screen's columns and symbols mean.  Scrolls with the arrow keys; Esc, ``q`` or ``?`` close it."""
from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from tui.bindings import localize_bindings


def key_rows(screen: Screen) -> list[tuple[str, str]]:
    """(keys, description) for the screen's bindings of our own, keys sharing a description together."""
    app = screen.app
    grouped: dict[str, list[str]] = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        if not binding.id or not binding.description:
            continue
        description = binding.description
        if binding.group and binding.group.description.casefold() not in description.casefold():
            description = f"{binding.group.description}: {description}"
        keys = grouped.setdefault(description, [])
        display = app.get_key_display(binding)
        if display not in keys:
            keys.append(display)
    return [(" ".join(keys), description) for description, keys in grouped.items()]


class HelpScreen(ModalScreen[None]):
    CSS_PATH = "help.tcss"
    BINDINGS = [
        Binding("escape,q,question_mark,f1", "close", "ui.help.close", id="close"),
    ]

    def __init__(self, screen: Screen) -> None:
        super().__init__()
        localize_bindings(self, self.app.lang)
        self.rows = key_rows(screen)
        self.legend: list[str] = screen.legend() if hasattr(screen, "legend") else []

    def compose(self) -> ComposeResult:
        t = self.app.t
        keys = Table.grid(padding=(0, 2))
        keys.add_column(style="bold", no_wrap=True)
        keys.add_column()
        for key, description in self.rows:
            keys.add_row(key, description)
        with VerticalScroll(id="help") as box:
            box.border_title = t("ui.help.title")
            box.border_subtitle = t("ui.help.subtitle")
            yield Static(Text(t("ui.help.keys"), "bold underline"))
            yield Static(keys, id="keys")
            if self.legend:
                yield Static(Text(t("ui.help.legend"), "bold underline"), classes="section")
                yield Static(Text("\n".join(self.legend)), id="legend")
            yield Static(Text(t("ui.help.general"), "bold underline"), classes="section")
            yield Static(Text(t("ui.help.general_text")), id="general")

    def on_mount(self) -> None:
        self.query_one("#help").focus()

    def action_close(self) -> None:
        self.dismiss(None)
