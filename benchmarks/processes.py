"""Whole processes: each ``ptdv`` command a user types, run as the installed console script at every scale.

One round runs every command once at every scale; the order of the scales turns by one each round
(ward, city, metro; then city, metro, ward; …), so that the OS file cache and the noise of a shared
machine fall on all alike.  A command's figure is the median of its rounds (7, ``--quick``: 3).  The
commands write to the run's own stores (generated for this run, or copied from ``--keep``): each
round adds a new candidate, advances, edits and moves it, and takes it out again, so every round
meets the same data but for the few candidates the rounds before added and took out.

The store's internals known here are one small function: :func:`report_caches` (what a cold report
lacks).  Everything else goes through the CLI, and through ``Service`` to pick the inputs before a
timed run (never inside it).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from importlib.util import MAGIC_NUMBER, cache_from_source
from pathlib import Path
from typing import Callable

from db.service import Service
from measure import Figure, Picks, Plan, Scale, mark, number, percentile
from stalls import CASES, START_LIMIT, STALL_LIMIT_MS

LAUNCHER = Path(__file__).with_name("launcher.py")
REPO = LAUNCHER.parent.parent
NEW_NAME = "Lê Thị Thanh Hương"  # the candidate each round adds (letters only)
NEW_FIELDS = ("--born", "15/03/1998", "--gender", "female", "--education", "university", "--youth-union")
LOG_DAYS = 7  # log --since a week ago


def ptdv_script() -> Path:
    """The console script a user runs: the one installed beside the harness's interpreter (the venv's)."""
    beside = Path(sys.executable).with_name("ptdv")
    found = beside if beside.exists() else shutil.which("ptdv")
    if not found:
        raise RuntimeError("no ptdv console script beside the interpreter or on PATH: install the package first")
    return Path(found)


def stale_bytecode() -> tuple[int, int]:
    """(modules of db/ and tui/ without up-to-date compiled bytecode, all of them): with PYTHONDONTWRITEBYTECODE
    set, every start compiles those again (``make compile``, which ``make bench`` runs first, makes them)."""
    sources = sorted(p for folder in ("db", "tui") for p in (REPO / folder).rglob("*.py"))
    stale = 0
    for source in sources:
        try:
            header = Path(cache_from_source(str(source))).read_bytes()[:16]
        except OSError:
            stale += 1
            continue
        st = source.stat()
        fresh = (header[:4] == MAGIC_NUMBER and int.from_bytes(header[4:8], "little") == 0
                 and int.from_bytes(header[8:12], "little") == int(st.st_mtime) & 0xFFFFFFFF
                 and int.from_bytes(header[12:16], "little") == st.st_size & 0xFFFFFFFF)
        stale += not fresh
    return stale, len(sources)


def environment_note() -> str:
    """What of the environment changes a whole process's cost: whether bytecode is written, and whether it is there."""
    flag = os.environ.get("PYTHONDONTWRITEBYTECODE")
    written = f"PYTHONDONTWRITEBYTECODE={flag} (set)" if flag else "PYTHONDONTWRITEBYTECODE not set"
    stale, modules = stale_bytecode()
    return f"{written}; {stale} of {modules} modules of db/ and tui/ without up-to-date bytecode"


# -- running a command ------------------------------------------------------------------------
@dataclass(frozen=True)
class Run:
    seconds: float
    code: int
    rss_mb: float
    cpu_s: float
    lines: int  # of what it printed
    error: str  # the end of what it wrote to stderr, when it failed


class Launcher:
    """``launcher.py`` in a process of its own: starts each command and reports its time and peak RSS
    (see that file for why the harness does not start them itself)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.process = subprocess.Popen([sys.executable, str(LAUNCHER)], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, cwd=folder)

    def run(self, argv: list[str], ok_codes: tuple[int, ...] = (0,)) -> Run:
        out, err = self.folder / "stdout.txt", self.folder / "stderr.txt"
        self.process.stdin.write(json.dumps({"argv": argv, "out": str(out), "err": str(err)}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the launcher stopped")
        got = json.loads(line)
        printed = out.read_text(encoding="utf-8", errors="replace")
        error = "" if got["code"] in ok_codes else err.read_text(encoding="utf-8", errors="replace")[-600:]
        return Run(got["seconds"], got["code"], got["rss_mb"], got["cpu_s"], printed.count("\n"), error)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


# -- what each scale's commands are given ----------------------------------------------------
@dataclass
class CliStore:
    """One scale's store as the commands see it, with what the rounds carry from one command to the next."""

    scale: str
    path: Path
    scratch: Path        # the export goes here
    today: date
    picks: Picks
    service: Service     # the harness's own session: finds the candidate a round added (between timed runs)
    added: int | None = None
    cold_ok: bool = False  # the cold report of this round finished: the next one is warm
    cold_note: str = ""  # set when no report cache was found after a report: cold may have been warm

    @property
    def export(self) -> Path:
        return self.scratch / "export.xlsx"


def cli_store(scale: Scale, scratch: Path) -> CliStore:
    scratch.mkdir(parents=True)
    return CliStore(scale.scale, scale.path, scratch, scale.today, scale.picks, scale.fresh_service())


def report_caches(store: Path) -> list[Path]:
    """The report caches of a store (``ptdv.parts/p<N>.rep.json``, docs/STORE.md): a cold report is one
    without them.  The one place the table knows a file of the store."""
    return sorted(store.with_suffix(".parts").glob("p*.rep.json"))


def drop_report_caches(s: CliStore) -> None:
    for path in report_caches(s.path):
        path.unlink()


def check_report_caches(s: CliStore, run: Run) -> None:
    """After the warm report: no cache file means ptdv keeps them elsewhere now, and 'cold' was warm."""
    if not report_caches(s.path):
        s.cold_note = "no report cache files (p<N>.rep.json) found after a report: the cold one may have been warm"


def cold_done(s: CliStore, run: Run) -> None:
    s.cold_ok = not run.code


def find_added(s: CliStore, run: Run) -> None:
    """The candidate ``candidate add`` just added: the newest of the branch, checked by its name."""
    s.added = None
    if run.code:
        return
    newest = max(s.service.candidates(s.picks.branch), key=lambda c: c.id)
    if newest.name != NEW_NAME:
        raise RuntimeError(f"{s.scale}: the newest candidate of #{s.picks.branch} is {newest.name!r}, "
                           f"not the one just added")
    s.added = newest.id


def taken_out(s: CliStore, run: Run) -> None:
    s.added = None


def remove_export(s: CliStore) -> None:
    s.export.unlink(missing_ok=True)  # export writes a new file only


@dataclass(frozen=True)
class Command:
    key: str
    label: str
    args: Callable[[CliStore], list[str] | None]  # None: nothing to run this round (the add before it failed)
    write: bool = False
    flat: bool = False   # a per-unit or per-candidate entry point: metro/ward ≤ FLAT_LIMIT
    before: Callable[[CliStore], None] | None = None
    after: Callable[[CliStore, Run], None] | None = None
    ok_codes: tuple[int, ...] = (0,)


def with_added(build: Callable[[CliStore, str], list[str]]) -> Callable[[CliStore], list[str] | None]:
    """Arguments that name the candidate the round added (``build(store, its id)``); none when the add failed."""
    return lambda s: None if s.added is None else build(s, str(s.added))


COMMANDS: tuple[Command, ...] = (
    Command("show", "candidate show ID", lambda s: ["candidate", "show", str(s.picks.candidate)], flat=True),
    Command("add", "candidate add",
            lambda s: ["candidate", "add", "--unit", f"#{s.picks.branch}", "--name", NEW_NAME, *NEW_FIELDS],
            write=True, flat=True, after=find_added),
    Command("advance", "candidate advance", with_added(lambda s, c: ["candidate", "advance", c]), write=True, flat=True),
    Command("edit", "candidate edit",
            with_added(lambda s, c: ["candidate", "edit", c, "--residence", "Tổ dân phố Hòa Bình"]),
            write=True, flat=True),
    Command("move", "candidate move",
            with_added(lambda s, c: ["candidate", "move", c, "--to", f"#{s.picks.sibling}", "--reason",
                                     "chuyển nơi cư trú"]),
            write=True, flat=True),
    Command("exit", "candidate exit", with_added(lambda s, c: ["candidate", "exit", c, "--reason", "chuyển công tác"]),
            write=True, flat=True, after=taken_out),
    Command("list", "candidate list BRANCH", lambda s: ["candidate", "list", f"#{s.picks.branch}"], flat=True),
    Command("quota.ward", "quota show WARD", lambda s: ["quota", "show", f"#{s.picks.ward}"], flat=True),
    Command("quota.top", "quota show TOP", lambda s: ["quota", "show", f"#{s.picks.root}"]),
    Command("due.ward", "due WARD", lambda s: ["due", f"#{s.picks.ward}"], flat=True),
    Command("due.top", "due TOP", lambda s: ["due", f"#{s.picks.root}"]),
    Command("search", 'search "nguyen van"', lambda s: ["search", "nguyen van"], flat=True),
    Command("log", "log WARD --since (a week ago)",
            lambda s: ["log", f"#{s.picks.ward}", "--since", (s.today - timedelta(days=LOG_DAYS)).isoformat()],
            flat=True),
    Command("report.grassroots", "report GRASSROOTS", lambda s: ["report", f"#{s.picks.grassroots}"], flat=True),
    Command("report.cold", "report TOP, cold (no report caches)", lambda s: ["report", f"#{s.picks.root}"],
            before=drop_report_caches, after=cold_done),
    Command("report.warm", "report TOP, warm (right after)",
            lambda s: ["report", f"#{s.picks.root}"] if s.cold_ok else None,  # after a failed one it would be cold
            after=check_report_caches),
    Command("unit.list", "unit list --depth 1 (the top)", lambda s: ["unit", "list", "--depth", "1"]),
    Command("check", "check", lambda s: ["check"], ok_codes=(0, 1)),  # 1: problems found (listed), a finished check
    Command("export", "export --format xlsx -o FILE", lambda s: ["export", "--format", "xlsx", "-o", str(s.export)],
            before=remove_export),
    Command("import", "import FILE --dry-run (that export)",
            lambda s: ["import", str(s.export), "--dry-run"] if s.export.exists() else None),
)
FLAT_LIMIT = 1.3
WRITE_RSS_LIMIT_MB = 80


# -- the rounds -------------------------------------------------------------------------------
def summarise(key: str, scale: str | None, label: str, runs: list[Run], rounds: int, ok_codes: tuple[int, ...] = (0,),
              notes: tuple[str, ...] = ()) -> Figure:
    """A command's figure: the median of the runs that finished (a failed run is counted apart, named with its
    exit status and the end of its error)."""
    ok = [r for r in runs if r.code in ok_codes]
    failed = [r for r in runs if r.code not in ok_codes]
    mid = lambda values: percentile(values, 50)  # noqa: E731
    parts = [f"peak RSS {number(mid([r.rss_mb for r in ok]), 'MB')}" if ok else "",
             f"output lines: {mid([r.lines for r in ok]):,.0f}" if ok else "",
             f"exit {sorted({r.code for r in ok})}" if any(r.code for r in ok) else "",
             f"ran in {len(runs)} of {rounds} rounds (what it needs failed before it)" if len(runs) < rounds else "",
             f"FAILED {len(failed)} of {len(runs)}: exit {failed[0].code}: {failed[0].error.strip()[-300:]!r}"
             if failed else "", *notes]
    return Figure(key, scale, f"whole process: {label}", "s", {"median": mid([r.seconds for r in ok])},
                  len(ok), len(ok), note="; ".join(p for p in parts if p),
                  extra={"rss_mb": mid([r.rss_mb for r in ok]), "rss_max_mb": max((r.rss_mb for r in ok), default=None),
                         "cpu_s": mid([r.cpu_s for r in ok]), "lines": mid([r.lines for r in ok]),
                         "rounds": rounds, "failed": len(failed), "seconds": [round(r.seconds, 4) for r in ok]})


def whole_processes(plan: Plan, stores: list[CliStore], launcher: Launcher, progress: Callable[[str], None],
                    commands: tuple[Command, ...] = COMMANDS) -> list[Figure]:
    """Every command (of ``commands``) on every store, ``plan.reps(7, 3)`` rounds; then the interpreter alone and
    ``ptdv --version`` once a round, for the fixed cost every command pays."""
    script = str(ptdv_script())
    rounds = plan.reps(7, 3)
    runs: dict[tuple[str, str], list[Run]] = {}
    fixed: dict[str, list[Run]] = {"python": [], "version": []}
    for number_ in range(rounds):
        turn = number_ % len(stores)
        order = stores[turn:] + stores[:turn]
        for command in commands:
            progress(f"whole processes, round {number_ + 1} of {rounds}: {command.label} "
                     f"({', '.join(s.scale for s in order)})")
            for s in order:
                args = command.args(s)
                if args is None:
                    continue
                if command.before:
                    command.before(s)
                run = launcher.run([script, "--db", str(s.path), *args], command.ok_codes)
                if run.error:
                    progress(f"{s.scale}: ptdv {' '.join(args)} exited {run.code}: {run.error.strip()[-300:]}")
                if command.after:
                    command.after(s, run)
                runs.setdefault((command.key, s.scale), []).append(run)
        fixed["python"].append(launcher.run([sys.executable, "-c", "pass"]))
        fixed["version"].append(launcher.run([script, "--version"]))
    figures = [summarise("cli.python", None, "the interpreter alone (python -c pass)", fixed["python"], rounds),
               summarise("cli.version", None, "ptdv --version (the CLI's imports, no store)", fixed["version"], rounds)]
    for command in commands:
        for s in stores:
            notes = (s.cold_note,) if command.key == "report.cold" and s.cold_note else ()
            figures.append(summarise(f"cli.{command.key}", s.scale, command.label, runs.get((command.key, s.scale), []),
                                     rounds, command.ok_codes, notes))
    return figures


# -- the table --------------------------------------------------------------------------------
Lookup = Callable[[str, str | None], Figure | None]


def lookup(figures: list[Figure]) -> Lookup:
    index = {(f.key, f.scale): f for f in figures}
    return lambda key, scale: index.get((key, scale))


def seconds(fig: Figure | None) -> float | None:
    if fig is None or fig.stats.get("median") != fig.stats.get("median"):  # absent, or nan (every run failed)
        return None
    return fig.stats["median"]


def cell(value: float | None, unit: str = "s") -> str:
    return "–" if value is None else number(value, unit)


def timing(fig: Figure | None) -> str:
    """A command's median, with how many rounds it counts when some failed or did not run."""
    if fig is None:
        return "–"
    rounds = fig.extra["rounds"]
    return cell(seconds(fig)) + (f" ({fig.n} of {rounds})" if fig.n < rounds else "")


def app_rows(get: Lookup, scale: str) -> list[tuple[str, float | None, float | None]]:
    """The app's starts, from launch to the first paint (the start figures' ``launch_s``) and their RSS."""
    rows = []
    for key, label in (("top", "app: at the top, launch to first paint"),
                       ("ward", "app: at one ward, launch to first paint")):
        start, rss = get(f"start.{key}", scale), get(f"rss.{key}", scale)
        rows.append((label, start.extra["launch_s"] if start else None, rss.stats["median"] if rss else None))
    return rows


def ratio(get: Lookup, key: str) -> float | None:
    ward, metro = seconds(get(key, "ward")), seconds(get(key, "metro"))
    return metro / ward if ward and metro is not None else None


def table_lines(figures: list[Figure], scales: list[str]) -> list[str]:
    """The issue's table: a row per command, a column per scale, metro/ward (✓/✗ for the flat ones) and
    the peak RSS at the largest scale measured."""
    get = lookup(figures)
    biggest = scales[-1]
    head = ["command", *scales, "metro/ward", f"RSS {biggest}"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for command in COMMANDS:
        r = ratio(get, f"cli.{command.key}")
        flat = mark(r <= FLAT_LIMIT) if command.flat and r is not None else ""
        big = get(f"cli.{command.key}", biggest)
        cells = [f"`{command.label}`", *(timing(get(f"cli.{command.key}", s)) for s in scales),
                 "–" if r is None else f"{r:.1f}{flat}", cell(big.extra["rss_mb"] if big and big.n else None, "MB")]
        out.append("| " + " | ".join(cells) + " |")
    app = {s: app_rows(get, s) for s in scales}
    for index, (label, _, _) in enumerate(app[biggest]):
        values = [app[s][index][1] for s in scales]
        r = values[-1] / values[0] if "ward" in scales and "metro" in scales and values[0] and values[-1] else None
        out.append("| " + " | ".join([label, *(cell(v) for v in values), "–" if r is None else f"{r:.1f}",
                                      cell(app[biggest][index][2], "MB")]) + " |")
    fixed = [get("cli.python", None), get("cli.version", None)]
    out.append("")
    out.append("fixed cost of every command: " + "; ".join(
        f"{f.label.removeprefix('whole process: ')} {timing(f)}, {cell(f.extra['rss_mb'], 'MB')}"
        for f in fixed if f is not None and f.n))
    return out


# -- the targets ------------------------------------------------------------------------------
Judged = tuple[str, bool | None]


def flat_commands(get: Lookup) -> Judged:
    ratios = {c.label: ratio(get, f"cli.{c.key}") for c in COMMANDS if c.flat}
    known = {label: r for label, r in ratios.items() if r is not None}
    if not known:
        return "not measured (needs ward and metro)", None
    over = sorted((r, label) for label, r in known.items() if r > FLAT_LIMIT)
    worst_r, worst = max((r, label) for label, r in known.items())
    text = f"worst {worst_r:.1f} (`{worst}`); {len(over)} of {len(known)} above {FLAT_LIMIT}"
    return text, not over


def write_rss(get: Lookup) -> Judged:
    found = [(f.extra["rss_mb"], c.label) for c in COMMANDS if c.write
             if (f := get(f"cli.{c.key}", "metro")) is not None and f.n]
    if not found:
        return "not measured", None
    top, label = max(found)
    return f"{number(top, 'MB')} (`{label}`)", top <= WRITE_RSS_LIMIT_MB


def at_most(key: str, limits: dict[str, float]) -> Callable[[Lookup], Judged]:
    """The median of ``key`` at each scale in ``limits`` within that scale's limit."""
    def check(get: Lookup) -> Judged:
        parts, oks = [], []
        for scale, limit in limits.items():
            value = seconds(get(key, scale))
            if value is None:
                parts.append(f"{scale}: not measured")
                continue
            parts.append(f"{scale} {number(value, 's')}" if len(limits) > 1 else number(value, "s"))
            oks.append(value <= limit)
        ok = False if not all(oks) else True if len(oks) == len(limits) else None  # None: not all measured
        return "; ".join(parts), ok
    return check


def app_first_paint(get: Lookup) -> Judged:
    start = get("start.top", "metro")
    if start is None:
        return "not measured", None
    value = start.extra["launch_s"]
    return f"{number(value, 's')} ({number(start.stats['median'], 's')} after the imports)", value <= 0.5


def stalls(get: Lookup) -> Judged:
    figures = [(f, label) for key, label, *_ in CASES if (f := get(f"stall.{key}", "metro")) is not None]
    found = [(f.stats["median"], label) for f, label in figures if f.n]
    failed = [label for f, label in figures if not f.n]
    if not found:
        return "not measured" + (f" ({len(failed)} failed)" if failed else ""), False if failed else None
    worst, label = max(found)
    over = sum(ms > STALL_LIMIT_MS for ms, _ in found) + len(failed)
    bare = [what + " " + number(f.stats["median"], "ms")
            for key, what in (("table.start", "its start"), ("table.push", "a screen pushed"))
            if (f := get(f"stall.{key}", None)) is not None]
    base = "; a bare app with a table: " + ", ".join(bare) if bare else ""
    broken = f"; failed: {', '.join(failed)}" if failed else ""
    return (f"worst {number(worst, 'ms')} ({label}); {over} of {len(figures)} above {STALL_LIMIT_MS} ms or failed"
            f"{broken}{base}", not over)


def start_against_table(get: Lookup) -> Judged:
    table = get("start.table", None)
    found = [(scale, f.stats["median"] / table.stats["median"]) for scale in ("ward", "city", "metro")
             if table is not None and (f := get("start.ward", scale)) is not None]
    if not found:
        return "not measured", None
    return (", ".join(f"{scale} {r:.1f}×" for scale, r in found) + f" (table app {number(table.stats['median'], 's')})",
            all(r <= START_LIMIT for _, r in found))


TARGETS: tuple[tuple[str, str, Callable[[Lookup], Judged]], ...] = (
    ("per-unit and per-candidate commands (✓/✗ rows above): metro/ward", f"≤ {FLAT_LIMIT}", flat_commands),
    ("peak RSS of a CLI write at metro", f"≤ {WRITE_RSS_LIMIT_MB} MB", write_rss),
    ("`due` at the top, metro", "≤ 1 s", at_most("cli.due.top", {"metro": 1.0})),
    ("`unit list --depth 1` at the top, metro", "≤ 0.5 s", at_most("cli.unit.list", {"metro": 0.5})),
    ("`quota show` at the top, metro", "≤ 0.5 s", at_most("cli.quota.top", {"metro": 0.5})),
    ("app at the top, launch to first paint, metro", "≤ 0.5 s", app_first_paint),
    ("`report` of the top, metro, warm", "≤ 1 s", at_most("cli.report.warm", {"metro": 1.0})),
    ("`report` of the top, metro, cold", "≤ 3 s", at_most("cli.report.cold", {"metro": 3.0})),
    ("`check`, metro", "≤ 3 s", at_most("cli.check", {"metro": 3.0})),
    ("`export --format xlsx`, city / metro", "≤ 2 s / ≤ 5 s", at_most("cli.export", {"city": 2.0, "metro": 5.0})),
    ("`import --dry-run` of it, city / metro", "≤ 3 s / ≤ 8 s", at_most("cli.import", {"city": 3.0, "metro": 8.0})),
    ("app: longest event-loop stall opening a screen, metro (median of runs)", "≤ 100 ms", stalls),
    ("app start at one ward / a bare app with a header, a 25-row table and a footer", "≤ 1.5×", start_against_table),
)


def targets(figures: list[Figure], checks=TARGETS) -> list[dict]:
    """Each target's row: its figure, the target and what was measured, and whether it is met."""
    get = lookup(figures)
    rows = []
    for label, target, check in checks:
        text, ok = check(get)
        rows.append({"figure": label, "target": target, "measured": text, "ok": ok})
    return rows


def target_lines(rows: list[dict]) -> list[str]:
    out = ["| figure | target | measured |", "|---|---|---|"]
    out += [f"| {r['figure']} | {r['target']} | {r['measured']}{mark(r['ok'])} |" for r in rows]
    return out
