"""The pipeline funnel of a subtree: candidates at each stage and the conversion from the stage before.

It lays itself out for the room it has: one stage a line with a bar when tall enough, otherwise
the stages flow left to right over as many columns as needed.
"""
from __future__ import annotations

import math

from rich.table import Table
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from db.i18n import t
from db.quota import FunnelStep
from tui.output import number

BAR, BAR_MAX = "▇", 40
LABEL_WIDTH = 12  # the label column, then the figures, then (one stage a line) the bar


def step_line(step: FunnelStep, widest: int, width: int, lang: str, *, bar: bool, digits: int = 4) -> Text:
    """``Nguồn        3 →57%``, then a bar when asked, in ``width`` cells; counts right-aligned in
    ``digits`` cells, so that every line of the funnel lines up."""
    label = Text(t(f"stage_short.{step.stage}", lang), "bold" if step.count else "dim")
    conversion = "" if step.conversion is None else f"→{step.conversion:.0f}%"
    figures = Text(f" {number(step.count, lang):>{digits}} {conversion:>5}")
    room = max(1, min(LABEL_WIDTH, width - figures.cell_len))
    label.truncate(room, overflow="ellipsis", pad=True)
    line = label + figures
    if bar and widest:
        size = max(0, min(BAR_MAX, width - line.cell_len - 1))
        line.append(" " + BAR * round(size * step.count / widest), "cyan")
    return line


class Funnel(Widget):
    DEFAULT_CSS = """
    Funnel { height: auto; }
    """

    steps: reactive[tuple[FunnelStep, ...]] = reactive(tuple)

    def __init__(self, *, lang: str = "vi", **kwargs) -> None:
        super().__init__(**kwargs)
        self.lang = lang

    def render(self) -> Table:
        steps = list(self.steps)
        height = max(1, self.size.height)
        rows = len(steps) if height >= len(steps) else height
        columns = max(1, math.ceil(len(steps) / rows)) if steps else 1
        rows = math.ceil(len(steps) / columns) if steps else 0
        width = max(8, self.size.width // columns - 3)
        widest = max((s.count for s in steps), default=0)
        digits = max(4, len(number(widest, self.lang)))
        grid = Table.grid(padding=(0, 3))
        for _ in range(columns):
            grid.add_column(no_wrap=True)
        for row in range(rows):
            cells = [step_line(s, widest, width, self.lang, bar=columns == 1, digits=digits)
                     for s in steps[row * columns:(row + 1) * columns]]
            grid.add_row(*cells)
        return grid
