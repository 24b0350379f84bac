"""A table of records that keeps its cursor on the same record across reloads, sorts by any
column (``s`` cycles, a click on a header picks or reverses) and filters by name (``/``,
diacritics ignored).  One flexible column takes the width the others leave, up to a limit
(optional columns give way when it gets narrow); long text ends in ``…``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widgets import DataTable, Input, Static

from db.i18n import t
from db.text import fold
from tui import output
from tui.bindings import localize_bindings
from tui.widgets.fitted_text import FittedText

ASCENDING, DESCENDING = "▲", "▼"
FLEX_MIN, FLEX_MAX = 24, 48  # the flexible column: optional columns give way below, figures stay near above


@dataclass(frozen=True)
class Column:
    key: str
    label: str                 # catalogue key of the header
    width: int                 # cells; the flexible column's minimum
    flex: bool = False         # takes the room the other columns leave
    right: bool = False        # numbers: right-aligned, sorted largest first
    title: str = ""            # catalogue key of the full name, when the header is an abbreviation
    optional: bool = False     # left out when the flexible column would be narrower than FLEX_MIN


@dataclass(frozen=True)
class Record:
    key: str
    cells: tuple[str | Text, ...]
    sort: tuple[Any, ...]      # one value per column; None sorts last either way
    name: str                  # what the filter matches


def name_matches(query: str, name: str) -> bool:
    """Every word of ``query`` appears in ``name``, diacritics and case ignored."""
    folded = fold(name)
    return all(word in folded for word in fold(query).split())


def fit(cell: str | Text, width: int, right: bool) -> FittedText:
    text = FittedText.of(cell) if isinstance(cell, Text) else FittedText(output.shorten_name(cell, width))
    text.no_wrap = True
    text.truncate(width, overflow="ellipsis")
    if right:
        text.align("right", width)
    return text


class RecordTable(DataTable):
    BINDINGS = [
        Binding("enter", "select_cursor", "ui.app.key.open", id="open"),
        Binding("right", "select_cursor", "ui.app.key.open", id="open_right", show=False),
        Binding("left", "screen.back", "ui.app.key.back", id="back_left", show=False),
        Binding("s", "cycle_sort", "ui.app.key.sort", id="sort"),
    ]

    filter_text: reactive[str] = reactive("", init=False)

    def __init__(self, *, lang: str = "vi", **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.lang = lang
        self.specs: list[Column] = []
        self.records: list[Record] = []
        self.sort_column: int | None = None     # None: the order the records came in
        self.sort_reverse = False
        self._built_width = 0
        localize_bindings(self, lang)

    # -- what the screen calls --------------------------------------------------------------
    def set_columns(self, columns: list[Column]) -> None:
        self.specs = columns

    def show(self, records: list[Record]) -> None:
        self.records = records
        self.rebuild()

    @property
    def current_key(self) -> str | None:
        if not self.row_count:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return row_key.value

    def visible_keys(self) -> list[str]:
        return [row.key.value for row in self.ordered_rows]

    # -- building -------------------------------------------------------------------------
    def _layout(self) -> list[tuple[int, int]]:
        """(column index, width) of the columns shown: optional ones give way to a narrow flexible one."""
        padding = 2 * self.cell_padding
        room = self.size.width - self.styles.scrollbar_size_vertical - 1
        shown = list(range(len(self.specs)))
        while True:
            fixed = sum(self.specs[i].width + padding for i in shown if not self.specs[i].flex)
            flexible = [i for i in shown if self.specs[i].flex]
            share = max(0, room - fixed - padding * len(flexible)) // max(1, len(flexible))
            optional = [i for i in shown if self.specs[i].optional]
            if not flexible or share >= FLEX_MIN or not optional:
                break
            shown.remove(optional[-1])
        return [(i, max(self.specs[i].width, min(share, FLEX_MAX)) if self.specs[i].flex else self.specs[i].width)
                for i in shown]

    def _ordered(self) -> list[Record]:
        rows = [r for r in self.records if name_matches(self.filter_text, r.name)]
        if self.sort_column is None:
            return rows
        index = self.sort_column
        known = [r for r in rows if r.sort[index] is not None]
        unknown = [r for r in rows if r.sort[index] is None]
        known.sort(key=lambda r: r.sort[index], reverse=self.sort_reverse)
        return known + unknown

    def _label(self, index: int, column: Column) -> Text:
        """The header; the sorted column's starts with its arrow, so a cut keeps the arrow."""
        label = Text(t(column.label, self.lang), "bold")
        if index == self.sort_column:
            label = Text(DESCENDING if self.sort_reverse else ASCENDING, "bold") + label
        return label

    def rebuild(self) -> None:
        """Show the records again, with the cursor on the record it was on and the same scroll."""
        if not self.size.width:
            # not laid out (under the loading indicator, whose records come just before it goes; or hidden): the
            # columns' widths are not known yet, and the table is built when it gets its width (on_resize).
            # Built now, it was built twice, at a metro top's due list 2 × 300 rows, each measured and painted.
            self._built_width = 0
            return
        keep_key, keep_row, keep_scroll = self.current_key, self.cursor_row, self.scroll_y
        layout = self._layout()
        self._built_width = self.size.width
        self.clear(columns=True)
        for index, width in layout:
            label = self._label(index, self.specs[index])
            label.truncate(width, overflow="ellipsis")
            self.add_column(label, width=width, key=self.specs[index].key)
        for record in self._ordered():
            self.add_row(*(fit(record.cells[index], width, self.specs[index].right) for index, width in layout),
                         key=record.key)
        keys = self.visible_keys()
        if not keys:
            return
        row = keys.index(keep_key) if keep_key in keys else min(keep_row, len(keys) - 1)
        self.scroll_to(y=keep_scroll, animate=False, immediate=True)
        self.move_cursor(row=row, animate=False)

    def on_resize(self) -> None:
        if self.specs and self.size.width != self._built_width:
            self.rebuild()

    def watch_filter_text(self) -> None:
        self.rebuild()

    # -- sorting --------------------------------------------------------------------------
    def sort_by(self, index: int | None, reverse: bool | None = None) -> None:
        self.sort_column = index
        default = self.specs[index].right if index is not None else False
        self.sort_reverse = default if reverse is None else reverse
        self.rebuild()

    def action_cycle_sort(self) -> None:
        """Record order, then each column shown in turn (numbers largest first), then record order again."""
        shown = [c.key.value for c in self.ordered_columns]
        keys = [c.key for c in self.specs]
        position = -1 if self.sort_column is None else shown.index(keys[self.sort_column])
        following = shown[position + 1] if position + 1 < len(shown) else None
        self.sort_by(None if following is None else keys.index(following))

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        index = [c.key for c in self.specs].index(event.column_key.value)
        self.sort_by(index, not self.sort_reverse if index == self.sort_column else None)


class FilterInput(Input):
    """The ``/`` filter: Enter keeps it and returns to the table, Esc clears it."""

    BINDINGS = [Binding("escape", "clear", "ui.app.key.clear_filter", id="clear_filter")]

    def __init__(self, *, lang: str = "vi", **kwargs) -> None:
        super().__init__(placeholder=t("ui.app.filter_placeholder", lang), **kwargs)
        localize_bindings(self, lang)

    def action_clear(self) -> None:
        self.value = ""
        self.post_message(self.Submitted(self, self.value))


class TableView(Vertical):
    """A :class:`RecordTable` with its filter line (shown while a filter is typed or set)."""

    DEFAULT_CSS = """
    TableView { height: 1fr; }
    TableView #filter-bar { display: none; height: 1; background: $boost; }
    TableView #filter-bar.-shown { display: block; }
    TableView #filter-label { width: auto; padding: 0 1; text-style: bold; }
    TableView FilterInput, TableView FilterInput:focus { height: 1; border: none; padding: 0; width: 1fr; }
    TableView RecordTable { height: 1fr; }
    """
    BINDINGS = [
        Binding("slash", "filter", "ui.app.key.filter", id="filter"),
        Binding("escape", "clear_filter", "ui.app.key.clear_filter", id="clear_filter_table", show=False),
    ]

    def __init__(self, *, lang: str = "vi", **kwargs) -> None:
        super().__init__(**kwargs)
        self.lang = lang
        localize_bindings(self, lang)

    def compose(self) -> ComposeResult:
        with Horizontal(id="filter-bar"):
            yield Static(f"/ {t('ui.app.key.filter', self.lang)}:", id="filter-label")
            yield FilterInput(lang=self.lang)
        yield RecordTable(lang=self.lang)

    @property
    def table(self) -> RecordTable:
        return self.query_one(RecordTable)

    @property
    def filter_input(self) -> FilterInput:
        return self.query_one(FilterInput)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "clear_filter":
            return bool(self.table.filter_text)
        return True

    def action_filter(self) -> None:
        self.query_one("#filter-bar").add_class("-shown")
        self.filter_input.focus()

    def action_clear_filter(self) -> None:
        self.filter_input.action_clear()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.table.filter_text = event.value

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.table.filter_text = event.value
        self.query_one("#filter-bar").set_class(bool(event.value), "-shown")
        self.table.focus()
