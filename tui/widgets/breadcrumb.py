"""The path from the top unit down to the one on screen, cut from the left with ``…`` when long.

Each ancestor is clickable: the click goes back up to it (``app.pop_to_unit``).
"""
from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from db.text import safe

SEPARATOR = " › "
ELLIPSIS = "…"


def crumbs(path: list[tuple[int, str]], width: int) -> Text:
    """``A › B › C`` in at most ``width`` cells: leading names give way to ``…``, the last is cut at the end."""
    shown = [safe(name) for _, name in path]
    start = 0

    def build(first: int) -> Text:
        text = Text(no_wrap=True)
        if first:
            text.append(ELLIPSIS + SEPARATOR, "dim")
        for depth in range(first, len(shown)):
            last = depth == len(shown) - 1
            meta = None if last else {"@click": f"app.pop_to_unit({path[depth][0]})"}
            text.append(shown[depth], Style(bold=last, meta=meta))
            if not last:
                text.append(SEPARATOR, "dim")
        return text

    text = build(start)
    while text.cell_len > width and start < len(shown) - 1:
        start += 1
        text = build(start)
    text.truncate(width, overflow="ellipsis")
    return text


class Breadcrumb(Static):
    DEFAULT_CSS = """
    Breadcrumb { height: 1; width: 1fr; }
    """

    path: reactive[tuple[tuple[int, str], ...]] = reactive(tuple)  # (unit id, name) from the top down

    def render(self) -> Text:
        return crumbs(list(self.path), self.size.width)
