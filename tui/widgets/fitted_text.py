"""A table cell's text, fitted to a column whose width is given (``DataTable.add_column(width=…)``).

DataTable measures every cell of the rows it is given, on its next idle, to widen the columns of automatic
width; a column of given width never uses that measure.  Each measure costs some 16 µs (Textual asks the
console for its options every time), all in one go: the 6,400 cells of a city's report held the event loop
for 100 ms.  This text offers no measure, so DataTable takes it as 1 cell wide without asking; it renders and
reads (``plain``, ``spans``) as any Text.  Only for columns of given width, whose cells are cut to fit.
"""
from __future__ import annotations

from rich.text import Text


class FittedText(Text):
    __slots__ = ()
    __rich_measure__ = None  # rich and Textual take a renderable without it at their default width

    @classmethod
    def of(cls, text: Text) -> FittedText:
        """``text`` (its characters, styles and alignment), as a fitted cell."""
        cell = cls(text.plain, text.style, justify=text.justify, overflow=text.overflow, no_wrap=text.no_wrap,
                   end=text.end, tab_size=text.tab_size)
        cell.spans = list(text.spans)
        return cell
