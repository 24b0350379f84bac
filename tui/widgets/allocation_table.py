"""The shares of a quota given to the units under a unit: one table, a row a unit (its name, members at the
start of the year, current target and the new share), the highlighted row's share typed in place: the first
digit typed on a row replaces its share and the next ones add to it, Backspace takes the last one back, Delete
empties it, the arrows go to another unit.  Digits are bindings like the arrows, so that keys typed quickly
("↓ 4 0") are taken in the order they were typed.  One widget
however many units there are: at the top of a metro store a field for each of 173 units took 4 s to lay out,
and each key laid them all out again.
"""
from __future__ import annotations

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from tui.bindings import localize_bindings
from tui.output import shorten_name, width

NAME_MIN = 16  # the names' column at its narrowest (a long name ends in "…")

MAX_DIGITS = 6  # a share is a number of people


class AllocationTable(DataTable):
    BINDINGS = [
        Binding("backspace", "erase", "ui.quota.erase", id="quota.erase", show=False),
        Binding("delete", "empty", "ui.quota.empty", id="quota.empty", show=False),
        Binding("enter", "screen.save", "ui.form.save", id="quota.save", show=False),
        *(Binding(digit, f"type('{digit}')", show=False) for digit in "0123456789"),
    ]

    class Changed(Message):
        """A share was typed, taken back, emptied or filled in."""

    def __init__(self, headings: tuple[str, str, str, str], rows: list[tuple[int, str, str, str]],
                 shares: dict[int, str], lang: str, *, id: str | None = None) -> None:
        """``rows``: (unit id, name, members, current target) as shown; ``shares``: the share of each to start
        from (text, "" for none)."""
        super().__init__(cursor_type="row", id=id)
        localize_bindings(self, lang)
        self.headings = headings
        self.given = rows
        self.shares = dict(shares)
        self.typing: int | None = None  # the unit whose share is being typed (another's first digit replaces it)
        self.name_width = 0  # the names' column as last filled (0: not yet)

    def on_resize(self, event: events.Resize) -> None:
        """The names take the width the numbers leave, so that the shares are never off the side of the table."""
        numbers = [max(width(label), *(width(row[at]) for row in self.given)) + 2 * self.cell_padding
                   for at, label in ((2, self.headings[1]), (3, self.headings[2]))]
        new = max(width(self.headings[3]), 6) + 2 * self.cell_padding  # a share: up to MAX_DIGITS
        room = event.size.width - sum(numbers) - new - 2 * self.cell_padding - self.styles.scrollbar_size_vertical
        names = max(NAME_MIN, min(room, max(width(row[1]) for row in self.given) if self.given else NAME_MIN))
        if names != self.name_width:
            self._fill(names)

    def _fill(self, names: int) -> None:
        """The columns and rows, the names cut to ``names`` cells; the highlighted row stays."""
        row = self.cursor_row
        self.clear(columns=True)
        self.name_width = names
        name, members, current, new = self.headings
        self.add_column(shorten_name(name, names), key="name", width=names)
        for label, key in ((members, "members"), (current, "current"), (new, "new")):
            self.add_column(Text(label, justify="right"), key=key)
        for uid, unit, count, target in self.given:
            self.add_row(shorten_name(unit, names), Text(count, justify="right"), Text(target, justify="right"),
                         self._share_cell(self.shares[uid]), key=str(uid))
        self.move_cursor(row=row)

    @staticmethod
    def _share_cell(text: str) -> Text:
        return Text(text, justify="right", style="bold")

    @property
    def current(self) -> int | None:
        """The unit of the highlighted row."""
        if not self.row_count:
            return None
        return int(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value)

    def set_share(self, uid: int, text: str) -> None:
        self.shares[uid] = text
        self.update_cell(str(uid), "new", self._share_cell(text))
        self.post_message(self.Changed())

    def _typed(self, change, *, keep: bool) -> None:
        """The highlighted row's share changed by ``change`` (its share so far -> the new one); a digit (not
        ``keep``) on a row not being typed starts from nothing."""
        uid = self.current
        if uid is None:
            return
        before = self.shares[uid] if keep or self.typing == uid else ""
        self.typing = uid
        after = change(before)
        if len(after) <= MAX_DIGITS:
            self.set_share(uid, after)

    def action_type(self, digit: str) -> None:
        self._typed(lambda share: (share + digit).lstrip("0") or "0", keep=False)

    def action_erase(self) -> None:
        self._typed(lambda share: share[:-1], keep=True)

    def action_empty(self) -> None:
        self._typed(lambda share: "", keep=True)
