"""The benchmark's stall figure: the longest gap between the ticks of the app's event loop, counted only
inside the window the screen was opening in (the benchmark itself runs in ``make bench``, not here)."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from workers import Ticker  # noqa: E402


def test_a_stall_counts_only_its_part_inside_the_window():
    ticker = Ticker()
    ticker.gaps = [(0.0, 0.004), (0.004, 0.5), (0.5, 0.504), (0.504, 0.704), (0.704, 2.0)]
    # the screen opened at 0.3 and settled at 1.0: the 0.5 s gap counts from 0.3 (0.2 s), the last one until 1.0
    assert round(ticker.longest(0.3, 1.0), 3) == 0.296
    assert round(ticker.longest(0.5, 0.7), 3) == 0.196
    assert ticker.longest(2.5, 3.0) == 0.0  # no tick in the window: nothing counted
