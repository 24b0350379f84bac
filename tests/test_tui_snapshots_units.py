"""How the unit screens look: the city, a ward and a branch, at 80×24 and 120×40.

Accepted after reading each SVG: the breadcrumb, the meter and quarters of the unit, the
allocation warnings, the child units (or candidates) with their figures, the funnel (below the
table at 80 columns, beside it at 120) and the footer keys.
"""
from __future__ import annotations

import pytest

from tui.app import make_app
from tui_pilot import read_in


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("unit", ["city", "phuoc_my", "pm1"])
def test_unit_screen(snap_compare, small, unit, size):
    service, ids = small
    app = make_app(service, lang="vi", year=2024, unit_id=ids[unit])
    assert snap_compare(app, terminal_size=size, run_before=read_in)
