"""Through the service: what a staff member meets when the store is served by ``ptdv serve`` (issue 15, item 7),
each figure against the same from the store file, measured in the same run.

    .venv/bin/python benchmarks/service.py [--scales ward,city,metro] [--quick] [--keep DIR] [--sessions 40,10] …
    python benchmarks/service.py session --store PATH|unix:SOCKET --today DAY --start ID --branch ID
                                         --candidate ID --grassroots ID (--cycles N | --stop FILE)
                                         # (a worker: one app opening screens, alone or among the sessions)

Alone, it is ``benchmarks/run.py`` with this section only (the same options, stores and lines); ``make bench``
runs it after the in-process figures.  For each scale, a copy of the scale's store as generated is served by
``ptdv serve`` (the installed console script, a process of its own, in a folder of mode 0700), warmed through the
service, and then:

- the app at the top and at one ward to its first paint (``workers.py start`` with ``--store unix:SOCKET``),
  against the same from the file, the two taken in turn; and each one's peak RSS;
- the CLI commands of the whole-process table that one person types all day (``processes.py``: the same
  rounds, the same launcher and its peak RSS), on the file and through the service, turned each round;
- a save through the service: ``advance`` and ``add_candidate`` as calls of an in-process client
  (``RemoteService``) in a loop, against the same calls of a ``Service`` on the file, taken in turn;
- an app opening screens (``session`` below, a process: the branch, a candidate, the grassroots unit's report,
  the ward's due list, back to the ward after each), on the file and through the service;
- at the largest scale, concurrent sessions: CLI loops (threads, each running ``ptdv candidate add --json`` as a
  process again and again, keeping the ids acknowledged) while headless apps (``session``) open screens;
  afterwards every acknowledged candidate is asked of the service and the counts compared;
- after the in-process figures (``run.py``), the saves again on a copy of the store they left, its ward grown by
  their bulk import (no target).

See benchmarks/README.md, "Through the service".
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import sys
import threading
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from db.connect import PREFIX  # noqa: E402
from db.remote import RemoteService  # noqa: E402
from db.store import PART_LIMIT  # noqa: E402
from measure import (FAMILY, GIVEN, IMPORT_SIZE, MIDDLE, CandidatePool, Figure, Plan, Scale, fsync_ms,  # noqa: E402
                     median, number, percentile, run_worker, spread, store_path, timed_ms, worker_command)
import processes  # noqa: E402

PAINT_LIMIT_S = 0.3        # the app at the top of a metro store, to its first paint through the service
SAVE_LIMIT_MS = 20         # p95 of a save through the service
READY_TIMEOUT_S = 300      # for the service to answer, and for each app of the sessions to paint
SESSION_TIMEOUT_S = 1800   # for the concurrent sessions to finish once their writes are done
CLI_KEYS = ("show", "add", "advance", "edit", "move", "exit", "list", "quota.ward", "quota.top", "due.ward",
            "search", "log", "report.grassroots", "unit.list")
CLI_COMMANDS = tuple(c for c in processes.COMMANDS if c.key in CLI_KEYS)
SESSIONS = (40, 10)        # CLI loops, apps
GROUPS = ("start", "cli", "saves", "screens", "sessions")  # the figure groups, in the order they run
# what each app of the sessions opens in turn from its start at the ward: (method, the id it is given, screen)
SCREENS = (("open_unit", "branch", "BranchScreen"), ("open_candidate", "candidate", "CandidateScreen"),
           ("open_report", "grassroots", "ReportScreen"), ("open_due", "start", "DueScreen"))
SCRIPT = Path(__file__).resolve()  # also the worker of the apps (``session``)
# the store a figure through the service is measured on (its extra's "store")
AS_GENERATED = "a copy of the store as generated"
GROWN = (f"a copy of the store the in-process figures left: its ward grown by their bulk import of "
         f"{IMPORT_SIZE:,} candidates")


# -- the service -------------------------------------------------------------------------------
class Served:
    """A copy of a scale's store served by ``ptdv serve`` in a process of its own (started, warmed and stopped
    here): the store's folder is the running account's and 0700, as the service requires."""

    def __init__(self, scale: Scale, folder: Path) -> None:
        self.scale = scale
        folder.mkdir(parents=True, mode=0o700)
        copy = folder / "store"
        shutil.copytree(scale.folder, copy, symlinks=True)
        os.chmod(copy, 0o700)
        # a socket's path holds at most 107 bytes (AF_UNIX): not under a deep folder (pytest's tmp_path with -n 2)
        self.socket_dir = Path(tempfile.mkdtemp(prefix="ptdv-bench-"))
        self.socket = self.socket_dir / "ptdv.sock"
        self.target = f"{PREFIX}{self.socket}"
        self.log = folder / "serve.log"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen([str(processes.ptdv_script()), "serve", "--db", str(store_path(copy)),
                                             "--socket", str(self.socket)],
                                            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        begin = time.perf_counter()
        while not self._answers():
            if self.process.poll() is not None or time.perf_counter() - begin > READY_TIMEOUT_S:
                self.stop()
                raise RuntimeError(f"ptdv serve did not start: {self.log.read_text(errors='replace')[-1500:]}")
            time.sleep(0.05)
        self.started_s = time.perf_counter() - begin
        self.warm()

    def _answers(self) -> bool:
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(str(self.socket))
        except OSError:
            return False
        finally:
            probe.close()
        return True

    def client(self) -> RemoteService:
        """A client session of this process (the harness's), as another staff member's would be."""
        return RemoteService(self.socket, today=self.scale.today)

    def warm(self) -> None:
        """What ``Scale.warm`` reads, asked of the service: the copy's caches made again there (a part's cache
        names its inode), the service's own read model built, before any timed run."""
        client = self.client()
        for year in self.scale.summary["years"]:
            client.figures(year)
        client.state().search_candidates("a")

    def cpu_s(self) -> float:
        """The service process's CPU time so far (user and system)."""
        with open(f"/proc/{self.process.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_rss_mb(self) -> float:
        """The service process's own peak resident memory (``VmHWM``)."""
        with open(f"/proc/{self.process.pid}/status") as status:
            return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmHWM:"))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.socket_dir, ignore_errors=True)


# -- the app's start ---------------------------------------------------------------------------
def in_turn(plan: Plan, planned: int, file_step: Callable[[], object],
            served_step: Callable[[], object]) -> tuple[list, list]:
    """``file_step`` and ``served_step`` one after the other, ``planned`` times (within the budget): the
    machine's noise falls on both alike."""
    pairs = plan.repeat(lambda: (file_step(), served_step()), planned)
    return [p[0] for p in pairs], [p[1] for p in pairs]


def against_file(key: str, scale: str, label: str, unit: str, stats: Callable[[list], dict[str, float]],
                 runs: tuple[list, list], planned: int, stat: str, note: str = "", extra: dict | None = None) -> Figure:
    """A figure through the service with the same from the file as its baseline, and their ratio of ``stat``."""
    on_file, served = runs
    fig = Figure(key, scale, label, unit, stats(served), len(served), planned, baseline="from the file",
                 baseline_stats=stats(on_file), note=note, extra=extra or {})
    fig.compare(stat)
    return fig


def app_start(plan: Plan, scale: Scale, served: Served) -> list[Figure]:
    """The app at the top and at one ward, to its first paint, in fresh processes (``workers.py start``), after
    one start of each not timed (the service's first answer about a unit, and the file's, make caches: a
    service that has run a while has them)."""
    figures = []
    for key, unit, where in (("top", scale.picks.root, "at the top"), ("ward", scale.picks.ward, "at one ward")):
        def start(store: str) -> Callable[[], dict]:
            return lambda: run_worker("start", "--app", "ptdv", "--store", store, "--unit", str(unit), "--today",
                                      scale.today.isoformat(), "--launched", repr(time.monotonic()))
        planned = plan.reps(5, 2)
        start(str(scale.path))(), start(served.target)()  # not timed: what a first opening of the unit makes
        runs = in_turn(plan, planned, start(str(scale.path)), start(served.target))
        if not all(r["shown"] for mode in runs for r in mode):
            raise RuntimeError(f"{scale.scale} {where}: the first paint was of a screen the unit's then covered")
        launch = [median([r["launch_s"] for r in mode])["median"] for mode in runs]
        figures.append(against_file(
            f"service.start.{key}", scale.scale, f"app {where}, to first paint (after the imports)", "s",
            lambda mode: median([r["paint_s"] for r in mode]), runs, planned, "median",
            note=f"from process launch: {number(launch[1], 's')} vs {number(launch[0], 's')} from the file",
            extra={"launch_s": launch[1], "baseline_launch_s": launch[0], "runs": runs[1], "baseline_runs": runs[0]}))
        figures.append(against_file(f"service.rss.{key}", scale.scale, f"peak RSS of the app {where}", "MB",
                                    lambda mode: median([r["rss_mb"] for r in mode]), runs, planned, "median"))
    return figures


# -- the CLI -----------------------------------------------------------------------------------
def cli(plan: Plan, scale: Scale, served: Served, folder: Path, progress: Callable[[str], None]) -> list[Figure]:
    """The commands one person types all day, as processes, on the file and through the service, turned each
    round (``processes.whole_processes``), with each one's peak RSS."""
    stores = [processes.CliStore("file", scale.path, folder / "file", scale.today, scale.picks, scale.fresh_service()),
              processes.CliStore("service", Path(served.target), folder / "service", scale.today, scale.picks,
                                 served.client())]
    for store in stores:
        store.scratch.mkdir(parents=True)
    launcher = processes.Launcher(folder)
    try:
        runs = processes.whole_processes(plan, stores, launcher, lambda text: progress(f"{scale.scale}: {text}"),
                                         CLI_COMMANDS)
    finally:
        launcher.close()
    get = processes.lookup(runs)
    figures = []
    for command in CLI_COMMANDS:
        on_file, through = get(f"cli.{command.key}", "file"), get(f"cli.{command.key}", "service")
        fig = Figure(f"service.cli.{command.key}", scale.scale, f"whole process: {command.label}", "s",
                     dict(through.stats), through.n, through.n, baseline="from the file",
                     baseline_stats=dict(on_file.stats),
                     note=f"through the service: {through.note}; from the file: {on_file.note}",
                     extra={"rss_mb": through.extra["rss_mb"], "baseline_rss_mb": on_file.extra["rss_mb"],
                            "service": through.extra, "file": on_file.extra})
        fig.compare("median")
        figures.append(fig)
    return figures


# -- saves -------------------------------------------------------------------------------------
def new_name(index: int) -> str:
    """A made-up name, letters only, different for the first 720 indexes."""
    gender = ("male", "female")[index % 2]
    return (f"{FAMILY[index // 2 % len(FAMILY)]} {MIDDLE[gender][index // 24 % len(MIDDLE[gender])]} "
            f"{GIVEN[gender][index // 120 % len(GIVEN[gender])]}")


def parts(scale: Scale) -> dict[int, int]:
    """The candidates (exited ones too) of each part the ward's branches are in, by grassroots unit: a part is a
    grassroots unit's branches, one file that a save into it rewrites whole (docs/STORE.md)."""
    tree = scale.service.tree(scale.year, scale.ward)
    grassroots = {tree.unit(u).parent for u in tree.subtree(scale.ward) if tree.is_leaf(u)}
    return {unit: len(scale.service.candidates(unit, include_exited=True)) for unit in sorted(grassroots)}


def saves(plan: Plan, scale: Scale, served: Served, key: str = "service.save",
          label: str = "a save through the service") -> list[Figure]:
    """``advance`` of the ward's candidates in turn (``measure.CandidatePool``) and ``add_candidate`` at the
    branch, each through an in-process client of the service and on the file, taken in turn; each with the
    candidates of the parts it writes to, counted before."""
    planned = plan.reps(200, 50)
    fsyncs = spread(plan.repeat(lambda: fsync_ms(scale.folder), planned))
    (scale.folder / "fsync-probe.bin").unlink()
    disk = (f"the disk: a 1 KB write and fsync in the file's folder p50 {number(fsyncs['p50'], 'ms')}, "
            f"p95 {number(fsyncs['p95'], 'ms')}")
    sizes = parts(scale)
    ward_parts = (f"candidates in each of the ward's parts: {', '.join(f'{n:,}' for n in sizes.values())} "
                  f"(a save rewrites its part whole; at most {PART_LIMIT:,} a part)")
    branch_part = f"candidates in the branch's part: {sizes[scale.picks.grassroots]:,}"
    client = served.client()
    pools = CandidatePool(scale.service, scale.ward), CandidatePool(client, scale.ward)
    advances = in_turn(plan, planned, lambda: pools[0].advance().seconds * 1000,
                       lambda: pools[1].advance().seconds * 1000)
    names = itertools.count()
    adds = in_turn(plan, planned,
                   lambda: timed_ms(lambda: scale.service.add_candidate(scale.picks.branch, new_name(next(names)))),
                   lambda: timed_ms(lambda: client.add_candidate(scale.picks.branch, new_name(next(names)))))
    return [against_file(f"{key}.advance", scale.scale, f"{label}: advance (RPC)", "ms", spread, advances, planned,
                         "p95", note="; ".join(filter(None, (pools[1].note(), ward_parts, disk))),
                         extra={"fsync_ms": fsyncs, "part_candidates": sizes, "parts": ward_parts}),
            against_file(f"{key}.add", scale.scale, f"{label}: add_candidate (RPC)", "ms", spread, adds, planned,
                         "p95", note=f"{branch_part}; {disk}",
                         extra={"fsync_ms": fsyncs, "part_candidates": sizes[scale.picks.grassroots]})]


def grown_saves(plan: Plan, scale: Scale, folder: Path) -> list[Figure]:
    """The saves above on a copy of ``scale``'s own store as the in-process figures left it (its ward grown by
    their bulk import), served by a service of its own.  No target: the issue's is for the stores as generated."""
    served = Served(scale, folder)
    try:
        return saves(plan, scale, served, "service.grown.save", "a save through the service into the grown ward")
    finally:
        served.stop()


# -- concurrent sessions -----------------------------------------------------------------------
@dataclass(frozen=True)
class Added:
    id: int
    branch: int
    name: str
    seconds: float  # the whole `ptdv candidate add` process


class Loops:
    """``count`` CLI loops, each a thread running ``ptdv --db unix:… candidate add --json`` ``adds`` times (one
    process after the other), keeping what each acknowledged (exit 0 and the id it printed) and what failed."""

    def __init__(self, target: str, branches: list[int], count: int, adds: int) -> None:
        self.target, self.branches, self.count, self.adds = target, branches, count, adds
        self.acknowledged: list[Added] = []
        self.failed: list[str] = []
        self._lock = threading.Lock()

    def loop(self, index: int) -> None:
        script = str(processes.ptdv_script())
        for k in range(self.adds):
            number_ = index * self.adds + k
            branch, name = self.branches[number_ % len(self.branches)], new_name(number_)
            begin = time.perf_counter()
            done = subprocess.run([script, "--db", self.target, "candidate", "add", "--unit", f"#{branch}",
                                   "--name", name, *processes.NEW_FIELDS, "--json"],
                                  stdin=subprocess.DEVNULL, capture_output=True, text=True)
            seconds = time.perf_counter() - begin
            with self._lock:
                if done.returncode == 0:
                    self.acknowledged.append(Added(json.loads(done.stdout)["id"], branch, name, seconds))
                else:
                    self.failed.append(f"exit {done.returncode}: {done.stderr.strip()[-300:]}")

    def run(self) -> float:
        """All the loops at once; the wall time until the last one ended."""
        threads = [threading.Thread(target=self.loop, args=(i,)) for i in range(self.count)]
        begin = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.perf_counter() - begin


def session_args(scale: Scale, store: str) -> list[str]:
    picks = scale.picks
    return ["session", "--store", store, "--today", scale.today.isoformat(), "--start", str(picks.ward),
            "--branch", str(picks.branch), "--candidate", str(picks.candidate), "--grassroots", str(picks.grassroots)]


def screens(plan: Plan, scale: Scale, served: Served) -> list[Figure]:
    """An app alone opening the screens of SCREENS in turn, on the file and through the service (a process each,
    taken in turn): from the call until the screen is first on top with nothing loading."""
    planned, cycles = plan.reps(2, 1), str(plan.reps(2, 1))

    def session_run(store: str) -> Callable[[], dict]:
        return lambda: run_worker(*session_args(scale, store), "--cycles", cycles, script=SCRIPT)
    runs = in_turn(plan, planned, session_run(str(scale.path)), session_run(served.target))
    opened = tuple([s for run in mode for s in run["opened_s"]] for mode in runs)
    by_screen = [{name: percentile([s for run in mode for s in run["by_screen"][name]], 50) for *_, name in SCREENS}
                 for mode in runs]
    return [against_file("service.screens", scale.scale, "an app alone opens a screen (to its first load)", "s",
                         spread, opened, len(opened[1]), "p50",
                         note="medians: " + ", ".join(f"{name} {number(by_screen[0][name], 's')} → "
                                                      f"{number(by_screen[1][name], 's')}" for *_, name in SCREENS),
                         extra={"by_screen": by_screen[1], "baseline_by_screen": by_screen[0]})]


class Apps:
    """``count`` apps headless (``service.py session``, each a process and a client of the service) opening
    screens again and again until told to stop."""

    def __init__(self, scale: Scale, served: Served, folder: Path, count: int) -> None:
        self.stop_file = folder / "stop"
        argv = worker_command(*session_args(scale, served.target), "--stop", str(self.stop_file), script=SCRIPT)
        self.errors = [folder / f"app-{i}.err" for i in range(count)]
        self.processes = []
        for err in self.errors:
            with open(err, "wb") as handle:
                self.processes.append(subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                                       stderr=handle, text=True))

    def _line(self, index: int) -> dict:
        line = self.processes[index].stdout.readline()
        if not line:
            self.processes[index].wait()
            raise RuntimeError(f"app session {index} ended: {self.errors[index].read_text(errors='replace')[-1500:]}")
        return json.loads(line)

    def ready(self) -> None:
        """Wait until every app has painted its first screen and settled."""
        for index in range(len(self.processes)):
            self._line(index)

    def finish(self) -> list[dict]:
        """Tell them to stop; each one's report (what it opened and how long each took)."""
        self.stop_file.touch()
        return [self._line(index) for index in range(len(self.processes))]

    def close(self) -> None:
        self.stop_file.touch()
        for process in self.processes:
            try:
                process.wait(timeout=SESSION_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def sessions(plan: Plan, scale: Scale, served: Served, folder: Path, sizes: tuple[int, int],
             alone: Callable[[str], Figure | None], progress: Callable[[str], None]) -> list[Figure]:
    """CLI loops adding candidates while apps open screens, all at once; then every acknowledged candidate is
    asked of the service, and each branch's count compared with its count before plus what it acknowledged.
    ``alone(key)``: this run's figure of the same without the others (the baselines)."""
    loops_count, apps_count = sizes
    adds = plan.reps(5, 2)
    client = served.client()
    state = client.state()
    branches = [u for u in state.subtree(scale.ward) if state.is_leaf(u)]
    before = {b: len(client.candidates(b)) for b in branches}
    folder.mkdir(parents=True)
    progress(f"{scale.scale}: sessions: starting {apps_count} apps")
    apps = Apps(scale, served, folder, apps_count)
    try:
        apps.ready()
        progress(f"{scale.scale}: sessions: {loops_count} CLI loops of {adds} adds each, the apps opening screens")
        loops = Loops(served.target, branches, loops_count, adds)
        cpu, children = served.cpu_s(), resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = loops.run()
        cpu, done = served.cpu_s() - cpu, resource.getrusage(resource.RUSAGE_CHILDREN)
        cli_cpu = done.ru_utime + done.ru_stime - children.ru_utime - children.ru_stime  # the ended: CLI processes
        reports = apps.finish()
    finally:
        apps.close()
    check = served.client()
    missing = [a for a in loops.acknowledged
               if (found := check.candidate(a.id)) is None or (found.name, found.unit) != (a.name, a.branch)]
    acked_by_branch = {b: sum(a.branch == b for a in loops.acknowledged) for b in branches}
    after = {b: len(check.candidates(b)) for b in branches}
    mismatched = [b for b in branches if after[b] != before[b] + acked_by_branch[b]]
    acked = len(loops.acknowledged)
    opened = [s for report in reports for s in report["opened_s"]]
    summary = {"loops": loops_count, "apps": apps_count, "adds_per_loop": adds, "attempted": loops_count * adds,
               "acknowledged": acked, "present": acked - len(missing), "failed": len(loops.failed),
               "counts_match": not mismatched,
               "mismatched": {b: (before[b], acked_by_branch[b], after[b]) for b in mismatched},
               "wall_s": wall, "throughput": acked / wall if wall else 0.0, "service_cpu_s": cpu, "cli_cpu_s": cli_cpu,
               "apps_cpu_s": sum(r["cpu_s"] for r in reports), "apps_news": sum(r["news"] for r in reports),
               "cores": os.cpu_count(), "screens": len(opened), "apps_rss_mb": [r["rss_mb"] for r in reports],
               "failures": loops.failed[:5]}
    verdict = f"all {acked} acknowledged present" if not missing else f"{len(missing)} of {acked} acknowledged MISSING"
    verdict += "; counts match" if not mismatched else f"; counts DIFFER in {len(mismatched)} branches"
    if loops.failed:
        verdict += f"; {len(loops.failed)} adds failed (not acknowledged): {loops.failed[0]!r}"
    nan = {"p50": float("nan")}
    add = Figure("service.sessions.add", scale.scale,
                 f"{loops_count} CLI loops and {apps_count} apps at once: one `candidate add` process", "s",
                 spread([a.seconds for a in loops.acknowledged]) if acked else nan, acked, loops_count * adds,
                 note=f"{summary['throughput']:.1f} adds/s over {wall:.1f} s; CPU meanwhile: the CLI processes "
                      f"{cli_cpu:.1f} s, the apps {summary['apps_cpu_s']:.1f} s (until they stopped), the service "
                      f"{cpu:.1f} s, on {os.cpu_count()} cores; {verdict}", extra=summary)
    shown = Figure("service.sessions.screens", scale.scale,
                   f"{loops_count} CLI loops and {apps_count} apps at once: an app opens a screen", "s",
                   spread(opened) if opened else nan, len(opened), len(opened),
                   note=f"{len(opened)} screens opened by {apps_count} apps, whose polls heard of a change "
                        f"{summary['apps_news']} times (each time the screen reads again); their peak RSS "
                        f"{number(percentile(summary['apps_rss_mb'], 50), 'MB')} (median)")
    for fig, key, what in ((add, "service.cli.add", "the same alone, through the service (the CLI rounds)"),
                           (shown, "service.screens", "an app alone through the service")):
        if (base := alone(key)) is not None:
            fig.baseline, fig.baseline_stats = what, {"p50": base.stats.get("median", base.stats.get("p50"))}
            fig.compare("p50")
    return [add, shown]


# -- the section -------------------------------------------------------------------------------
def attempt(scale: str, step: str, store: str, run: Callable[[], list[Figure]],
            report: Callable[[list[Figure]], None]) -> list[Figure]:
    """The figures of ``run()``, each marked with the ``store`` it was measured on, reported; or the failure,
    printed (one group failing does not lose the others)."""
    try:
        figures = run()
    except Exception as err:  # noqa: BLE001  (one group failing does not lose the others)
        print(f"{scale:<6}service {step}: FAILED: {type(err).__name__}: {str(err)[-1500:]}", flush=True)
        return []
    for fig in figures:
        fig.extra["store"] = store
    report(figures)
    return figures


def measure(plan: Plan, scales: list[Scale], folder: Path, sizes: tuple[int, int], groups: tuple[str, ...],
            report: Callable[[list[Figure]], None], progress: Callable[[str], None],
            grown: dict[str, Scale]) -> None:
    """The figures of ``groups`` through the service, one scale after the other (the sessions at the largest), on
    ``scales`` (their stores as generated); with ``saves``, then the saves again on each store of ``grown`` (by
    scale: as the in-process figures left it, its ward grown by their bulk import)."""
    for scale in scales:
        progress(f"{scale.scale}: serving a copy of the store as generated")
        try:
            served = Served(scale, folder / scale.scale)
        except Exception as err:  # noqa: BLE001  (a service that cannot start loses its scale's figures only)
            print(f"{scale.scale:<6}service: FAILED: {type(err).__name__}: {str(err)[-1500:]}", flush=True)
            continue
        got: list[Figure] = []
        steps = [("start", lambda: app_start(plan, scale, served)),
                 ("cli", lambda: cli(plan, scale, served, folder / scale.scale / "cli", progress)),
                 ("saves", lambda: saves(plan, scale, served)),
                 ("screens", lambda: screens(plan, scale, served))]
        if scale is scales[-1]:
            steps.append(("sessions", lambda: sessions(
                plan, scale, served, folder / scale.scale / "sessions", sizes,
                lambda key: next((f for f in got if f.key == key), None), progress)))
        try:
            for step, run in ((step, run) for step, run in steps if step in groups):
                progress(f"{scale.scale}: through the service: {step}")
                got += attempt(scale.scale, step, AS_GENERATED, run, report)
            report([Figure("service.process", scale.scale, "the service process: peak RSS", "MB",
                           {"peak": served.peak_rss_mb()}, 1, 1,
                           note=f"answered {served.started_s:.2f} s after its start", extra={"store": AS_GENERATED})])
        finally:
            served.stop()
        if "saves" in groups and scale.scale in grown:
            progress(f"{scale.scale}: through the service: saves into the ward the bulk import grew")
            attempt(scale.scale, "saves into the grown ward", GROWN,
                    lambda: grown_saves(plan, grown[scale.scale], folder / f"{scale.scale}-grown"), report)


# -- the table and the targets -----------------------------------------------------------------
Lookup = Callable[[str, str | None], Figure | None]
ROWS: tuple[tuple[str, str, str], ...] = (
    ("service.start.top", "app at the top, to first paint (after the imports)", "median"),
    ("service.rss.top", "app at the top: peak RSS", "median"),
    ("service.start.ward", "app at one ward, to first paint (after the imports)", "median"),
    ("service.rss.ward", "app at one ward: peak RSS", "median"),
    *((f"service.cli.{c.key}", f"`{c.label}` (its peak RSS)", "median") for c in CLI_COMMANDS),
    ("service.screens", "an app alone opens a screen, p50", "p50"),
    ("service.screens", "an app alone opens a screen, p95", "p95"),
    ("service.save.advance", "save: advance, p95", "p95"),
    ("service.save.add", "save: add_candidate, p95", "p95"),
    ("service.grown.save.advance", "save into the ward grown by the bulk import (no target): advance, p95", "p95"),
    ("service.grown.save.add", "save into the ward grown by the bulk import (no target): add_candidate, p95", "p95"),
)


def cell(fig: Figure | None, stat: str) -> str:
    """From the file → through the service (their ratio), and the peak RSS of each for a command."""
    if fig is None or stat not in fig.stats:
        return "–"
    base, value = fig.baseline_stats.get(stat, float("nan")), fig.stats[stat]
    text = f"{number(base, fig.unit)} → {number(value, fig.unit)}"
    if base and base == base and value == value:
        text += f" ({value / base:.2f}×)"
    if "rss_mb" in fig.extra:
        text += f" ({number(fig.extra['baseline_rss_mb'], 'MB')} → {number(fig.extra['rss_mb'], 'MB')})"
    return text


def table_lines(figures: list[Figure], scales: list[str]) -> list[str]:
    """A row per figure, a column per scale: from the file → through the service (service/file)."""
    get = processes.lookup(figures)
    out = ["| figure | " + " | ".join(scales) + " |", "|---|" + "---|" * len(scales)]
    for key, label, stat in ROWS:
        out.append(f"| {label} | " + " | ".join(cell(get(key, s), stat) for s in scales) + " |")
    out.append("| the service process: peak RSS | " + " | ".join(
        number(f.stats["peak"], "MB") if (f := get("service.process", s)) else "–" for s in scales) + " |")
    for scale in scales:
        for key in ("service.save.advance", "service.grown.save.advance"):
            if (fig := get(key, scale)) is not None:
                out += ["", f"{scale}: saves on {fig.extra['store']}: {fig.extra['parts']}"]
    for scale in scales:
        add, screens = get("service.sessions.add", scale), get("service.sessions.screens", scale)
        if add is not None:
            out += ["", f"{scale}: {add.label.split(':')[0]}: p50 {number(add.stats['p50'], 's')}, p95 "
                        f"{number(add.stats.get('p95', float('nan')), 's')} per `candidate add` process; {add.note}"]
        if screens is not None:
            out.append(f"{scale}: a screen opened meanwhile: p50 {number(screens.stats['p50'], 's')}, p95 "
                       f"{number(screens.stats.get('p95', float('nan')), 's')}; {screens.note}")
    return out


Judged = tuple[str, bool | None]


def first_paint(get: Lookup) -> Judged:
    fig = get("service.start.top", "metro")
    if fig is None:
        return "not measured (needs metro)", None
    return (f"{number(fig.stats['median'], 's')} ({number(fig.baseline_stats['median'], 's')} from the file; from "
            f"launch {number(fig.extra['launch_s'], 's')} vs {number(fig.extra['baseline_launch_s'], 's')})",
            fig.stats["median"] <= PAINT_LIMIT_S)


def memory(scales: list[str]) -> Callable[[Lookup], Judged]:
    def check(get: Lookup) -> Judged:
        scale = scales[-1]
        app = get("service.rss.top", scale)
        commands = [f for c in CLI_COMMANDS if (f := get(f"service.cli.{c.key}", scale)) is not None and f.n]
        if app is None and not commands:
            return "not measured", None
        parts, oks = [], []
        if app is not None:
            parts.append(f"app at the top {number(app.baseline_stats['median'], 'MB')} → "
                         f"{number(app.stats['median'], 'MB')}")
            oks.append(app.stats["median"] < app.baseline_stats["median"])
        if commands:
            on_file = max(commands, key=lambda f: f.extra["baseline_rss_mb"])
            served = max(commands, key=lambda f: f.extra["rss_mb"])
            name = lambda f: f.label.removeprefix("whole process: ")  # noqa: E731
            parts.append(f"largest CLI command {number(on_file.extra['baseline_rss_mb'], 'MB')} (`{name(on_file)}`)"
                         f" → {number(served.extra['rss_mb'], 'MB')} (`{name(served)}`)")
            oks.append(served.extra["rss_mb"] < on_file.extra["baseline_rss_mb"])
        return f"{scale}: " + "; ".join(parts), all(oks)
    return check


def save_p95(scales: list[str]) -> Callable[[Lookup], Judged]:
    def check(get: Lookup) -> Judged:
        found = [(s, f) for s in scales for key in ("service.save.advance", "service.save.add")
                 if (f := get(key, s)) is not None]
        if not found:
            return "not measured", None
        worst = {}
        for scale, fig in found:
            worst[scale] = max(worst.get(scale, 0.0), fig.stats["p95"])
        return ("; ".join(f"{s} {number(ms, 'ms')}" for s, ms in worst.items()) + " (the worse of advance and add)",
                all(ms <= SAVE_LIMIT_MS for ms in worst.values()))
    return check


def concurrent(scales: list[str]) -> Callable[[Lookup], Judged]:
    def check(get: Lookup) -> Judged:
        fig = next((f for s in reversed(scales) if (f := get("service.sessions.add", s)) is not None), None)
        if fig is None:
            return "not measured", None
        s = fig.extra
        ok = s["present"] == s["acknowledged"] and s["counts_match"] and s["acknowledged"] > 0
        p95 = number(fig.stats.get("p95", float("nan")), "s")
        return (f"{fig.scale}: {s['loops']} CLI loops + {s['apps']} apps; {s['present']} of {s['acknowledged']} "
                f"acknowledged present{', counts match' if s['counts_match'] else ', counts DIFFER'}; "
                f"{s['failed']} failed; {s['throughput']:.1f} adds/s, p95 {p95} per add", ok)
    return check


def targets(figures: list[Figure], scales: list[str]) -> list[dict]:
    return processes.targets(figures, (
        ("app at the top to first paint through the service, metro", f"≤ {PAINT_LIMIT_S} s", first_paint),
        ("a staff session's memory through the service", "below the file's", memory(scales)),
        ("a save through the service, p95 (the stores as generated)", f"≤ {SAVE_LIMIT_MS} ms", save_p95(scales)),
        ("concurrent sessions: every acknowledged write present", "all", concurrent(scales))))


def target_lines(rows: list[dict]) -> list[str]:
    return processes.target_lines(rows)


def groups_option(text: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    if not names or set(names) - set(GROUPS):
        raise argparse.ArgumentTypeError(f"some of {','.join(GROUPS)}, not {text!r}")
    return names


def sessions_option(text: str) -> tuple[int, int]:
    try:
        loops, apps = (int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"CLI loops and apps, e.g. 40,10, not {text!r}") from None
    if loops < 1 or apps < 0:
        raise argparse.ArgumentTypeError("at least one CLI loop")
    return loops, apps


# -- an app opening screens (a process of its own) --------------------------------------------
async def session(args: argparse.Namespace) -> None:
    """The app at ``--start`` (a store file or a service), headless; once settled it says so, then opens each of
    SCREENS in turn, back to the start after each, ``--cycles`` times or until ``--stop`` exists, and prints how
    long each took: from the call until the screen is first on top with nothing loading (under others' writes
    it reloads again and again: it is not waited for to stay idle)."""
    from db.connect import open_service
    from tui.app import make_app
    from workers import PAINT_TIMEOUT_S, SIZE, emit, peak_rss_mb, settled, watch_first_paint

    app = make_app(open_service(args.store, today=date.fromisoformat(args.today)), unit_id=args.start)
    painted = watch_first_paint(app)
    news = [0]
    changed = app.reader.changed

    def counted() -> bool:  # the app's poll asking whether the store changed: news make the screen read again
        heard = changed()
        news[0] += heard
        return heard
    app.reader.changed = counted
    targets_ = {"start": args.start, "branch": args.branch, "candidate": args.candidate, "grassroots": args.grassroots}
    by_screen: dict[str, list[float]] = {name: [] for *_, name in SCREENS}
    opened: list[float] = []
    async with app.run_test(size=SIZE) as pilot:
        await asyncio.wait_for(painted["event"].wait(), PAINT_TIMEOUT_S)
        home = type(app.screen).__name__
        await settled(pilot, home)
        emit({"ready": True})
        cpu, news[0] = time.process_time(), 0
        for number_, (method, target, screen) in enumerate(itertools.cycle(SCREENS)):
            if (args.stop and Path(args.stop).exists()) or (args.cycles and number_ >= args.cycles * len(SCREENS)):
                break
            begin = time.perf_counter()
            getattr(app, method)(targets_[target])
            seconds = await settled(pilot, screen, pauses=1) - begin
            opened.append(seconds)
            by_screen[screen].append(seconds)
            app.pop_screen()
            await settled(pilot, home, pauses=1)
    emit({"opened_s": opened, "by_screen": by_screen, "rss_mb": peak_rss_mb(), "cpu_s": time.process_time() - cpu,
          "news": news[0]})


def session_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="service.py session", description="an app opening screens")
    parser.add_argument("--store", required=True, help="a store file, or unix:SOCKET")
    parser.add_argument("--today", required=True)
    for name in ("start", "branch", "candidate", "grassroots"):
        parser.add_argument(f"--{name}", type=int, required=True)
    until = parser.add_mutually_exclusive_group(required=True)
    until.add_argument("--cycles", type=int, help="open every screen this many times, then stop")
    until.add_argument("--stop", help="stop opening screens once this file exists")
    asyncio.run(session(parser.parse_args(argv)))


if __name__ == "__main__":
    if sys.argv[1:2] == ["session"]:
        session_main(sys.argv[2:])
    else:
        from run import SERVICE, main  # the harness, with this section alone (run imports this file as `service`)

        sys.exit(main(sys.argv[1:], sections=(SERVICE,)))
