"""The app never freezes: the longest stall of its event loop while each main screen opens and settles.

Each case is a fresh process (``workers.py stall``) that opens the app headless at a unit, with a task
ticking every few milliseconds on the app's event loop.  For the start cases the window runs from the
first paint to the screen having settled; for the others, the app is first left to settle at its start,
then one of its own methods opens the screen (what the key or the click calls), and the window runs from
that call until the new screen has settled.  Settled: it is on top, no worker but the store's poll is
running, no widget shows Textual's loading indicator, for a few pilot pauses in a row.
"""
from __future__ import annotations

import math

from measure import Figure, Plan, Scale, percentile, run_worker

STALL_LIMIT_MS = 100
START_LIMIT = 1.5  # the app's start at one ward over a bare app with a header, a 25-row table and a footer

# key, label, the unit it starts at, the app's method that opens the screen and what it is given, the screen
CASES: tuple[tuple[str, str, str, str | None, str | None, str], ...] = (
    ("top", "unit screen of the top (the app's start)", "root", None, None, "UnitScreen"),
    ("ward", "unit screen of one ward (the app's start)", "ward", None, None, "UnitScreen"),
    ("branch", "branch screen (opened from the ward)", "ward", "open_unit", "branch", "BranchScreen"),
    ("candidate", "candidate screen (opened from the ward)", "ward", "open_candidate", "candidate", "CandidateScreen"),
    ("report", "report of the top (opened from the top)", "root", "open_report", "root", "ReportScreen"),
    ("due", "due list of the top (opened from the top)", "root", "open_due", "root", "DueScreen"),
)


def stall_figure(plan: Plan, key: str, scale: str | None, label: str, args: list[str]) -> Figure:
    """The median and max over fresh processes; a process that fails gives a figure that says so (the run
    goes on)."""
    planned = plan.reps(5, 3)
    try:
        runs = plan.repeat(lambda: run_worker("stall", *args), planned)
    except RuntimeError as err:
        return Figure(f"stall.{key}", scale, f"longest event-loop stall: {label}", "ms", {"median": math.nan}, 0, 0,
                      note="FAILED: " + str(err)[-600:].replace("\n", " ⏎ "))
    stalls_ms = [r["stall_s"] * 1000 for r in runs]
    settle = percentile([r["settle_s"] for r in runs], 50)
    return Figure(f"stall.{key}", scale, f"longest event-loop stall: {label}", "ms",
                  {"median": percentile(stalls_ms, 50), "max": max(stalls_ms)}, len(runs), planned,
                  note=f"settled after {settle:.2f} s (median)", extra={"settle_s": settle, "runs": runs})


def table_stalls(plan: Plan) -> list[Figure]:
    """The baseline: what Textual itself stalls for, from the first paint of a bare app with a header, a 25-row
    table and a footer to its settling, and while it pushes another such screen."""
    return [stall_figure(plan, "table.start", None, "a bare app with a 25-row table (its start)",
                         ["--app", "table", "--screen", "Screen"]),
            stall_figure(plan, "table.push", None, "a bare app with a 25-row table (a second such screen pushed)",
                         ["--app", "table", "--screen", "TableScreen", "--open", "push"])]


def stalls(plan: Plan, scale: Scale) -> list[Figure]:
    figures = []
    for key, label, start, method, target, screen in CASES:
        args = ["--store", str(scale.path), "--today", scale.today.isoformat(),
                "--start", str(getattr(scale.picks, start)), "--screen", screen]
        if method:
            args += ["--open", method, "--target", str(getattr(scale.picks, target))]
        figures.append(stall_figure(plan, key, scale.scale, label, args))
    return figures
