"""Snapshots of the candidate screen (80×24, 120×40), the add form and the due list (80×24).

The store is built by a fixed person at a fixed time, so the "recorded by / at" columns are stable.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from conftest import TODAY, build_small, caller

from db.service import Service
from db.store import Store
from textual.widgets import Input
from tui.app import make_app
from tui.screens.due import DueScreen
from tui_pilot import until

RECORDED_AT = datetime(2024, 11, 14, 9, 30, tzinfo=timezone.utc)


class FixedClock(datetime):
    @classmethod
    def now(cls, tz=None):
        return RECORDED_AT if tz is None else RECORDED_AT.astimezone(tz)


@pytest.fixture
def recorded(store_path, monkeypatch):
    monkeypatch.setattr("db.store.datetime", FixedClock)
    service = Service(Store(store_path), caller=caller("canbo.tochuc"), today=TODAY)
    return service, build_small(service)


async def still_cursor(pilot) -> None:
    """Freeze the blinking cursor of the inputs, so the picture does not depend on the moment."""
    await pilot.pause()
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


def test_candidate_screen_80x24(recorded, snap_compare):
    service, ids = recorded
    assert snap_compare(make_app(service, lang="vi", year=2024, candidate_id=ids["cand1"]), terminal_size=(80, 24))


def test_candidate_screen_120x40(recorded, snap_compare):
    service, ids = recorded
    assert snap_compare(make_app(service, lang="vi", year=2024, candidate_id=ids["cand3"]), terminal_size=(120, 40))


def test_add_form_80x24(recorded, snap_compare):
    service, ids = recorded
    app = make_app(service, lang="vi", year=2024, unit_id=ids["pm1"])

    async def open_form(pilot) -> None:
        app.add_candidate(ids["pm1"])
        await pilot.pause(0.1)
        await still_cursor(pilot)
    assert snap_compare(app, terminal_size=(80, 24), run_before=open_form)


def test_due_list_80x24_english(recorded, snap_compare):
    service, ids = recorded
    app = make_app(service, lang="en", year=2024)

    def rows_shown() -> bool:
        return isinstance(app.screen, DueScreen) and app.screen.shown and app.screen.table.row_count > 0

    async def open_due(pilot) -> None:
        app.open_due(ids["city"])
        await until(pilot, rows_shown, "the due list's rows are shown")
    assert snap_compare(app, terminal_size=(80, 24), run_before=open_due)
