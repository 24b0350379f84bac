"""Helpers of the TUI tests (forms, candidate screen): what a widget shows, and typing into fields."""
from __future__ import annotations

import asyncio
import functools
import time

from textual.geometry import Region
from textual.widget import Widget

WAIT_S = 30  # a bound on every wait, so that a broken app fails the test instead of hanging it


def pilot_test(scenario):
    """Run an ``async def`` test (a Pilot scenario) with asyncio; fixtures are passed as usual."""
    @functools.wraps(scenario)
    def run(*args, **kwargs):
        return asyncio.run(scenario(*args, **kwargs))
    return run


def shown(widget: Widget) -> str:
    """The text ``widget`` shows, wrapped as on screen, without trailing blanks."""
    lines = widget.render_lines(Region(0, 0, *widget.region.size))
    return "\n".join(line.text.rstrip() for line in lines).strip("\n")


def flat(text: str) -> str:
    """``text`` on one line, so that assertions do not depend on where it wraps."""
    return " ".join(text.split())


async def settle(pilot) -> None:
    """Let a screen switch (50 ms in Textual 8) and the messages after it finish; twice, so that a
    busy machine (CI running two workers) has the time too."""
    for _ in range(2):
        await pilot.pause(0.1)
        await pilot.pause()


async def until(pilot, condition, what: str) -> None:
    """Pause until ``condition()`` holds (the app's loop runs meanwhile); fail after WAIT_S."""
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"never: {what}"
        await pilot.pause()


async def read_in(pilot) -> None:
    """Settle, then pause until the screen on top has shown what it read and reads nothing more: a picture taken on
    a busy machine then never catches the "loading" look of a read still in flight."""
    await settle(pilot)
    screen = lambda: pilot.app.screen  # noqa: E731
    await until(pilot, lambda: getattr(screen(), "shown", True) and not getattr(screen(), "reading", False),
                f"{type(screen()).__name__} shows what it read")
    await pilot.pause()


async def clear_and_type(pilot, text: str) -> None:
    """Replace the focused Input's value: select it all, then type over it."""
    await pilot.press("end", "ctrl+u")  # to the end, then delete everything left of the cursor
    await pilot.press(*text)


async def open_with(pilot, key: str, screen_class: type) -> None:
    """Press ``key`` and check that it opened a ``screen_class`` (a dialog, a screen)."""
    await pilot.press(key)
    await settle(pilot)
    assert isinstance(pilot.app.screen, screen_class)


async def open_from_unit(pilot, unit_id: int, key: str, screen_class: type):
    """On the unit screen of ``unit_id``, press ``key``: it opens a ``screen_class`` of that unit, returned."""
    from tui.screens.unit import UnitScreen

    await settle(pilot)
    assert isinstance(pilot.app.screen, UnitScreen) and pilot.app.screen.unit_id == unit_id
    await open_with(pilot, key, screen_class)
    assert pilot.app.screen.unit_id == unit_id
    return pilot.app.screen


def notified(app) -> list[str]:
    """The messages of the notifications the app has shown."""
    return [n.message for n in app._notifications]
