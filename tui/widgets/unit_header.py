"""The top of a unit or branch screen: where you are, the year, the quota meter, the quarters
against the plan, and what does not add up (allocation gap, member figures)."""
from __future__ import annotations

from datetime import date

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from db.i18n import t
from db.quota import Figures, quarter_of, quarters
from db.text import safe
from tui.output import number, percent
from tui.widgets.breadcrumb import Breadcrumb
from tui.widgets.quota_meter import QuotaMeter

WARNING = "⚠ "
MET = "✓"


def summary_text(level: str, fig: Figures, lang: str) -> Text:
    parts = [Text(safe(level), "bold"), Text(t("ui.unit.year", lang, year=fig.year), "bold")]
    if fig.members is None:
        parts.append(Text(t("ui.unit.no_members", lang), "italic"))
    else:
        parts.append(Text(t("ui.unit.members", lang, members=number(fig.members, lang))))
    if fig.rate is not None:
        parts.append(Text(t("ui.unit.rate", lang, rate=percent(fig.rate, lang))))
    return Text(" · ", "dim").join(parts)


def quarters_text(fig: Figures, today: date, lang: str) -> Text:
    """``Q1 0/6 · Q2 2/11 ✓ …``: admitted since 1 January against the plan's share, per quarter."""
    started = 4 if fig.year < today.year else quarter_of(today) if fig.year == today.year else 0
    text = Text(t("ui.unit.quarters", lang) + " ", "bold")
    items = []
    for step in quarters(fig):
        item = Text(f"Q{step.quarter} {number(step.cumulative, lang)}")
        if step.plan is not None:
            item.append(f"/{number(step.plan, lang)}")
        if step.quarter > started:
            item.stylize("dim")
        elif step.plan is not None and step.cumulative >= step.plan:
            item.append(" " + MET, "green")
        elif step.plan is not None and step.quarter < started:
            item.stylize("red")
        if step.quarter == started and fig.year == today.year:
            item.stylize("bold underline")
        items.append(item)
    return text + Text(" · ", "dim").join(items)


def warnings_text(fig: Figures, lang: str) -> Text:
    lines = []
    if fig.allocation_gap:
        lines.append(t("ui.unit.allocation_gap", lang, target=number(fig.target, lang),
                       children=number(fig.children_target, lang),
                       gap=("+" if fig.allocation_gap > 0 else "−") + number(abs(fig.allocation_gap), lang)))
    if fig.children_without_target and fig.target is not None:
        lines.append(t("ui.unit.children_without_target", lang, count=fig.children_without_target))
    if fig.members_mismatch:
        lines.append(t("ui.unit.members_mismatch", lang, own=number(fig.members_own, lang),
                       children=number(fig.members_children, lang)))
    return Text("\n").join(Text(WARNING + line) for line in lines)


class UnitHeader(Vertical):
    DEFAULT_CSS = """
    UnitHeader { height: auto; padding: 0 1; }
    UnitHeader > Static { height: auto; }
    UnitHeader #warnings { color: $warning; }
    UnitHeader #warnings.-empty { display: none; }
    """

    def __init__(self, *, lang: str = "vi", **kwargs) -> None:
        super().__init__(**kwargs)
        self.lang = lang

    def compose(self) -> ComposeResult:
        yield Breadcrumb(id="breadcrumb")
        yield Static(id="summary")
        yield QuotaMeter(lang=self.lang, id="meter")
        yield Static(id="quarters")
        yield Static(id="warnings", classes="-empty")

    def show(self, path: list[tuple[int, str]], level: str, fig: Figures, today: date) -> None:
        self.query_one(Breadcrumb).path = tuple(path)
        self.query_one("#summary", Static).update(summary_text(level, fig, self.lang))
        self.query_one(QuotaMeter).show(fig.admitted, fig.target, fig.forecast)
        self.query_one("#quarters", Static).update(quarters_text(fig, today, self.lang))
        warnings = warnings_text(fig, self.lang)
        box = self.query_one("#warnings", Static)
        box.update(warnings)
        box.set_class(not warnings.plain, "-empty")
