"""What the benchmark runs in subprocesses of its own, so that no cache of the harness helps.

    python benchmarks/workers.py start --app ptdv --store PATH|unix:SOCKET --today 2025-11-14 --launched T [--unit ID]
    python benchmarks/workers.py start --app bare|table --launched T
    python benchmarks/workers.py watch --store PATH --today 2025-11-14 --unit ID
    python benchmarks/workers.py stall --store PATH --today 2025-11-14 --start ID --screen NAME
                                       [--open METHOD --target ID]
    python benchmarks/workers.py stall --app table --screen Screen|TableScreen [--open push]

``start`` opens an app headless (Textual's ``run_test``) and prints one JSON line: seconds from
constructing it (for ptdv: opening the store or its service, ``make_app``) to its first painted screen and to it
being ready, seconds from the parent launching the process to that paint (interpreter and
imports included), and the process's peak RSS.  ``watch`` is a second session: it holds the store
open, polls it as the app does, and prints one JSON line each time it has re-read the unit
screen's figures after a change.  ``stall`` opens the app headless at ``--start`` (and then, once that
screen has settled, calls the app's ``METHOD(ID)``: ``open_report``, ``open_due``, …) with a task that
ticks every few milliseconds, and prints the longest gap between ticks from the first paint (or the
call) until the screen named ``--screen`` has settled: the longest the screen was frozen.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SIZE = (120, 40)  # the terminal both apps start in
PAINT_TIMEOUT_S = 30.0  # after run_test is entered, the screen is mounted: only its paint is awaited


def emit(record: dict) -> None:
    print(json.dumps(record), flush=True)


def peak_rss_mb() -> float:
    """This process's peak resident memory.  ``VmHWM`` belongs to the process's own memory since it
    was started; ``getrusage``'s ``ru_maxrss`` is carried over an exec from the parent on Linux, so a
    worker started by a harness that had just generated a big store would report the harness's peak."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def watch_first_paint(app) -> dict:
    """Record when Textual first hands a rendered update of the top screen to its output.

    The one place that touches Textual's internals: ``App._display`` is what the screen's
    compositor refresh calls with each update (headless, it renders and writes nothing).
    Returns a dict that gets ``at`` (perf_counter), ``clock`` (time.monotonic), ``screen`` and ``event``.
    """
    painted: dict = {"event": asyncio.Event()}
    display = app._display

    def recording(screen, renderable):
        if renderable is not None and "at" not in painted and screen is app.screen:
            painted["at"], painted["clock"] = time.perf_counter(), time.monotonic()
            painted["screen"] = screen
            painted["event"].set()
        return display(screen, renderable)

    app._display = recording
    return painted


def bare_app():
    from textual.app import App
    from textual.widgets import Label

    class Bare(App[None]):
        def compose(self):
            yield Label("ptdv")

    return Bare


TABLE_ROWS = 25  # about what a ward's unit screen lists


class TableContent:
    """What any screen with a table costs Textual: a header, a label, a table of TABLE_ROWS rows
    of eight short cells, and a footer (an app's first screen, or a screen of its own)."""

    def compose(self):
        from textual.widgets import DataTable, Footer, Header, Label

        yield Header()
        yield Label("ptdv")
        yield DataTable()
        yield Footer()

    def on_mount(self) -> None:
        from textual.widgets import DataTable

        table = self.query_one(DataTable)
        table.add_columns(*(f"col {c}" for c in range(8)))
        for r in range(TABLE_ROWS):
            table.add_row(*(f"cell {r}.{c}" for c in range(8)))


def table_app():
    from textual.app import App

    class Table(TableContent, App[None]):
        pass

    return Table


def table_screen():
    from textual.screen import Screen

    class TableScreen(TableContent, Screen[None]):
        pass

    return TableScreen


async def start(args: argparse.Namespace) -> None:
    if args.app in ("bare", "table"):
        build = bare_app() if args.app == "bare" else table_app()
    else:
        from db.connect import open_service
        from tui.app import make_app

        today = date.fromisoformat(args.today)

        def build():  # a store file, or a served one (unix:SOCKET) as --db takes it
            return make_app(open_service(args.store, today=today), unit_id=args.unit)
    begin = time.perf_counter()
    app = build()
    painted = watch_first_paint(app)
    async with app.run_test(size=SIZE) as pilot:
        ready = time.perf_counter()
        await asyncio.wait_for(painted["event"].wait(), PAINT_TIMEOUT_S)
        shown = painted["screen"] is app.screen  # not a screen that another covered once mounted
        await pilot.pause()
    emit({"paint_s": painted["at"] - begin, "ready_s": ready - begin, "launch_s": painted["clock"] - args.launched,
          "painted": type(painted["screen"]).__name__, "shown": shown, "rss_mb": peak_rss_mb()})


TICK_S = 0.004         # the ticker's sleep: a gap longer than this is the event loop busy elsewhere
SETTLE_TIMEOUT_S = 600
QUIET_PAUSES = 3       # a screen has settled when this many pilot pauses in a row found it idle
WATCH_GROUP = "store-watch"  # the app's worker that polls the store for ever (tui.app.PtdvApp.poll_store)


class Ticker:
    """A task on the app's event loop that sleeps TICK_S again and again and keeps each (start, end)."""

    def __init__(self) -> None:
        self.gaps: list[tuple[float, float]] = []
        self.running = True

    async def run(self) -> None:
        last = time.perf_counter()
        while self.running:
            await asyncio.sleep(TICK_S)
            now = time.perf_counter()
            self.gaps.append((last, now))
            last = now

    def longest(self, begin: float, end: float) -> float:
        """The longest gap between ticks, of the part of it between ``begin`` and ``end``."""
        return max((min(b, end) - max(a, begin) for a, b in self.gaps if b > begin and a < end), default=0.0)


def busy(app, screen: str) -> bool:
    """Not settled: another screen is on top, a worker other than the store's poll is running, or a widget
    shows Textual's loading indicator."""
    from textual.worker import WorkerState

    if type(app.screen).__name__ != screen:
        return True
    if any(w.state in (WorkerState.PENDING, WorkerState.RUNNING) and w.group != WATCH_GROUP for w in app.workers):
        return True
    return any(widget.loading for widget in app.screen.query("*"))


async def settled(pilot, screen: str, pauses: int = QUIET_PAUSES) -> float:
    """Pause until the screen has settled (idle for ``pauses`` pilot pauses in a row); returns when
    (perf_counter) it was first found idle for good.  A pause that gives up because the screen's messages wait
    longer than Textual's pilot waits (30 s) is a screen still busy, not an error."""
    from textual.pilot import WaitForScreenTimeout

    deadline = time.perf_counter() + SETTLE_TIMEOUT_S
    quiet, since = 0, 0.0
    while quiet < pauses:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{screen} did not settle within {SETTLE_TIMEOUT_S} s")
        try:
            await pilot.pause()
        except WaitForScreenTimeout:
            quiet = 0
            continue
        if busy(pilot.app, screen):
            quiet = 0
        else:
            since = since if quiet else time.perf_counter()
            quiet += 1
    return since


async def stall(args: argparse.Namespace) -> None:
    if args.app == "table":  # the baseline: Textual itself, starting with a table and pushing another such screen
        app = table_app()()
        push = table_screen()

        def open_screen() -> None:
            app.push_screen(push())
    else:
        from db.service import Service
        from db.store import Store
        from tui.app import make_app

        app = make_app(Service(Store(args.store), today=date.fromisoformat(args.today)), unit_id=args.start)

        def open_screen() -> None:
            getattr(app, args.open)(args.target)
    painted = watch_first_paint(app)
    ticker = Ticker()
    ticking = asyncio.create_task(ticker.run())
    async with app.run_test(size=SIZE) as pilot:
        await asyncio.wait_for(painted["event"].wait(), PAINT_TIMEOUT_S)
        if args.open:
            await settled(pilot, type(app.screen).__name__)
            begin = time.perf_counter()
            open_screen()
        else:
            begin = painted["at"]
        end = await settled(pilot, args.screen)
        ticker.running = False
    await ticking
    emit({"stall_s": ticker.longest(begin, end), "settle_s": end - begin, "ticks": len(ticker.gaps)})


def poll_interval() -> float:
    """How often the app looks at the store."""
    from tui.app import POLL_SECONDS

    return POLL_SECONDS


def store_changed(service) -> bool:
    """The app's cheap check between polls (two stats and a listing of the pending folder)."""
    return service.store.changed()


def unit_figure(service, unit: int, year: int) -> dict:
    """What the unit screen shows of a unit that tells a stage advance: its candidates by stage."""
    return dict(service.figures(year, unit)[unit].by_stage)


def watch(args: argparse.Namespace) -> None:
    from db.service import Service
    from db.store import Store

    today = date.fromisoformat(args.today)
    service = Service(Store(args.store), today=today)
    interval = poll_interval()
    emit({"ready": True, "by_stage": unit_figure(service, args.unit, today.year)})
    while True:
        time.sleep(interval)
        cpu = time.process_time()
        if store_changed(service):
            figure = unit_figure(service, args.unit, today.year)
            emit({"at": time.monotonic(), "cpu_s": time.process_time() - cpu, "by_stage": figure})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    starting = sub.add_parser("start")
    starting.add_argument("--app", choices=("ptdv", "bare", "table"), required=True)
    starting.add_argument("--store")
    starting.add_argument("--unit", type=int)
    starting.add_argument("--today")
    starting.add_argument("--launched", type=float, required=True,
                          help="time.monotonic() of the parent when it launched this process")
    watching = sub.add_parser("watch")
    watching.add_argument("--store", required=True)
    watching.add_argument("--unit", type=int, required=True)
    watching.add_argument("--today", required=True)
    stalling = sub.add_parser("stall")
    stalling.add_argument("--app", choices=("ptdv", "table"), default="ptdv")
    stalling.add_argument("--store")
    stalling.add_argument("--today")
    stalling.add_argument("--start", type=int, help="the unit the app starts at")
    stalling.add_argument("--screen", required=True, help="class name of the screen that must settle")
    stalling.add_argument("--open", help="the app's method that opens it (none: the start's own screen; "
                                         "with --app table, any value pushes another table screen)")
    stalling.add_argument("--target", type=int, help="the id given to that method")
    args = parser.parse_args()
    if args.command == "start":
        asyncio.run(start(args))
    elif args.command == "stall":
        asyncio.run(stall(args))
    else:
        watch(args)


if __name__ == "__main__":
    main()
