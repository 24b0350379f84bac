"""The quota meter: admitted and forecast against the target, readable without colour.

``█`` admitted, ``▒`` forecast (passed the branch vote, awaiting the decision), ``·`` still to find;
the numbers follow (``12/22 54,5%``).  Colour only repeats what the symbols say.
"""
from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from db.i18n import t
from db.quota import percent_of
from tui.output import ADMITTED, FORECAST, REMAINING, bar_cells, number, percent

STYLE_ADMITTED, STYLE_FORECAST, STYLE_REMAINING = "green", "yellow", "dim"


def meter_text(admitted: int, target: int | None, forecast: int, width: int, *, lang: str = "vi",
               numbers: bool = True) -> Text:
    """A meter exactly ``width`` cells wide (when it fits): the bar, then ``admitted/target percent``."""
    text = Text(no_wrap=True, overflow="ellipsis")
    tail = ""
    if numbers:
        share = percent_of(admitted, target)
        tail = f" {number(admitted, lang)}/{number(target, lang)}"
        if share is not None:
            tail += f" {percent(share, lang)}"
    if not target:  # nothing to measure against: the numbers alone
        return Text(tail.strip(), no_wrap=True)
    size = max(0, width - len(tail))
    done, ahead = bar_cells(admitted, target, forecast, size)
    text.append(ADMITTED * done, STYLE_ADMITTED)
    text.append(FORECAST * ahead, STYLE_FORECAST)
    text.append(REMAINING * (size - done - ahead), STYLE_REMAINING)
    text.append(tail, "bold green" if admitted >= target else "")
    text.truncate(width, overflow="ellipsis")
    return text


class QuotaMeter(Static):
    """One line: label, bar and numbers, then the forecast; it fills its width."""

    DEFAULT_CSS = """
    QuotaMeter { height: 1; width: 1fr; }
    """

    figures: reactive[tuple[int, int | None, int]] = reactive((0, None, 0), layout=False)

    def __init__(self, *, lang: str = "vi", **kwargs) -> None:
        super().__init__(**kwargs)
        self.lang = lang

    def show(self, admitted: int, target: int | None, forecast: int) -> None:
        self.figures = (admitted, target, forecast)

    def render(self) -> Text:
        admitted, target, forecast = self.figures
        head = Text(t("ui.app.meter_label", self.lang) + " ", "bold")
        if target is None:
            return head + Text(t("ui.app.no_target", self.lang, admitted=number(admitted, self.lang),
                                 forecast=number(forecast, self.lang)), "italic")
        tail = Text(" " + t("ui.app.forecast", self.lang, forecast=number(forecast, self.lang),
                            symbol=FORECAST))
        room = max(12, self.size.width - head.cell_len - tail.cell_len)
        line = head + meter_text(admitted, target, forecast, min(room, 60), lang=self.lang) + tail
        line.truncate(self.size.width, overflow="ellipsis")
        return line
