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


def test_the_service_bench_runs_and_prints_its_table(tmp_path):
    """benchmarks/service.py at the smallest scale: a served copy of the store, saves through it, two CLI loops
    and an app at once; it prints its table and its targets, and every write it was told of is in the store."""
    import json
    import subprocess

    bench = Path(__file__).resolve().parent.parent / "benchmarks" / "service.py"
    out = tmp_path / "bench.json"
    done = subprocess.run([sys.executable, str(bench), "--scales", "ward", "--quick", "--sessions", "2,1",
                           "--service-groups", "saves,sessions", "--dir", str(tmp_path), "--json", str(out)],
                          capture_output=True, text=True, timeout=280)
    assert done.returncode == 0, done.stderr[-2000:]
    printed = done.stdout
    assert "FAILED" not in printed, printed
    assert "| save: advance, p95 | " in printed and "| save: add_candidate, p95 | " in printed
    assert "ward: saves on a copy of the store as generated: candidates in each of the ward's parts: " in printed
    assert "2 CLI loops and 1 apps at once" in printed
    result = json.loads(out.read_text(encoding="utf-8"))
    sessions = next(f for f in result["figures"] if f["key"] == "service.sessions.add")["extra"]
    assert sessions["acknowledged"] == sessions["attempted"] == 4  # two loops of two adds (--quick)
    assert sessions["present"] == 4 and sessions["counts_match"]
    assert {f["extra"]["store"] for f in result["figures"]} == {"a copy of the store as generated"}
    assert f"all {sessions['acknowledged']} acknowledged present; counts match" in printed
    concurrent = next(r for r in result["service_targets"] if r["figure"].startswith("concurrent sessions"))
    assert concurrent["ok"] is True
    assert [p for p in tmp_path.iterdir() if p.name.startswith("ptdv-bench-")] == []  # its stores removed
