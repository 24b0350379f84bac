"""``make bench``: is ptdv fast at the size of a ward, a city and the largest city party organisation?

    .venv/bin/python benchmarks/run.py [--scales ward,city,metro] [--quick] [--seed N]
                                       [--budget SECONDS] [--dir DIR] [--keep DIR] [--json FILE]
                                       [--sessions 40,10] [--service-groups start,cli,saves,screens,sessions]

Generates a store per scale in a temporary folder (deleted at the end; ``--keep DIR`` keeps each as
generated and reuses it in later runs), runs every ``ptdv`` command as a whole process at every scale,
measures each in-process figure against its baseline in the same run, then the same through a ``ptdv serve``
service against the file (service.py, on copies of the stores as generated), prints one line per figure, then
the whole-process table and its targets, the in-process target table with ✓/✗, the service's table and targets,
then everything as JSON (or writes the JSON to FILE).  ``benchmarks/service.py`` runs the service's section
alone.  See benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import gc
import json
import platform
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import textual  # noqa: E402  (imports after the path: this checkout's db and tui, not an installed copy)

from db.generate import SCALES  # noqa: E402
from measure import (Figure, Plan, Scale, app_start, bare_start, bulk, mark, number, other_session,  # noqa: E402
                     rollup, saves, search)
import processes  # noqa: E402
import service  # noqa: E402
from stalls import stalls, table_stalls  # noqa: E402

SAVE_GROWTH_LIMIT = 3.0  # save cost at metro over save cost at ward
# the sections of a run: the whole processes, the in-process figures, through the service (service.py)
PROCESSES, IN_PROCESS, SERVICE = "processes", "in-process", "service"
SECTIONS = (PROCESSES, IN_PROCESS, SERVICE)


# -- printing ---------------------------------------------------------------------------------
def stats_text(stats: dict[str, float], unit: str) -> str:
    return " · ".join(f"{name} {number(value, unit)}" for name, value in stats.items())


def line(fig: Figure) -> str:
    parts = [f"{fig.scale or 'run':<6}{fig.label:<76}{stats_text(fig.stats, fig.unit)}"]
    if fig.baseline:
        parts.append(f"vs {fig.baseline}: {stats_text(fig.baseline_stats, fig.unit)}")
    if fig.ratio is not None:
        parts.append(f"ratio {fig.ratio:.1f}× ({fig.ratio_of})")
    parts.append(f"n={fig.n}" + (f" CAPPED ({fig.n} of {fig.planned}, time budget)" if fig.capped else ""))
    if fig.note:
        parts.append(fig.note)
    return " | ".join(parts)


# -- the targets ----------------------------------------------------------------------
Lookup = Callable[[str], Figure]  # a figure of the scale by key; LookupError when not measured
Check = Callable[[Lookup, str], tuple[str, bool]]


def capped(*figs: Figure) -> str:
    return " (capped)" if any(f.capped for f in figs) else ""


def start_ward(get: Lookup, scale: str) -> tuple[str, bool]:
    fig, table = get("start.ward"), get("start.table")
    with_table = fig.stats["median"] / table.stats["median"]
    return (f"{fig.ratio:.1f}× bare ({number(fig.stats['median'], 's')}; {with_table:.1f}× a bare app with a table)"
            f"{capped(fig)}", fig.ratio <= 2)


def start_top(get: Lookup, scale: str) -> tuple[str, bool]:
    fig = get("start.top")
    return number(fig.stats["median"], "s") + capped(fig), fig.stats["median"] <= {"city": 1.0, "metro": 2.0}[scale]


def save_p95(get: Lookup, scale: str) -> tuple[str, bool]:
    fig = get("save")
    return (f"{number(fig.stats['p95'], 'ms')}, {fig.ratio:.0f}× fsync{capped(fig)}",
            fig.stats["p95"] <= 20 and fig.ratio <= 10)


def other_shows(get: Lookup, scale: str) -> tuple[str, bool]:
    wall, cpu = get("other.wall"), get("other.cpu")
    return (f"p95 {number(wall.stats['p95'], 's')}, {number(cpu.stats['p95'], 'ms')} CPU{capped(wall)}",
            wall.stats["p95"] <= 2 and cpu.stats["p95"] <= 50)


def search_keystroke(get: Lookup, scale: str) -> tuple[str, bool]:
    worst = max(get("search.units").stats["p95"], get("search.candidates").stats["p95"])
    return f"p95 {number(worst, 'ms')}", worst <= {"city": 30, "metro": 50}[scale]


def rollup_tree(get: Lookup, scale: str) -> tuple[str, bool]:
    fig = get("rollup.warm")
    return (f"{number(fig.stats['median'], 'ms')} warm{capped(fig)}",
            fig.stats["median"] <= {"city": 50, "metro": 200}[scale])


def import_5000(get: Lookup, scale: str) -> tuple[str, bool]:
    seconds = get("import").stats["seconds"]
    return number(seconds, "s"), seconds <= 5


def rss(get: Lookup, scale: str) -> tuple[str, bool]:
    ward, top = get("rss.ward").stats["median"], get("rss.top").stats["median"]
    return f"{number(ward, 'MB')} / {number(top, 'MB')}", ward <= 80 and top <= {"city": 200, "metro": 400}[scale]


TARGETS: tuple[tuple[str, str, str, Check], ...] = (
    ("start at one ward", "≤ 2× bare Textual", "≤ 2× bare Textual", start_ward),
    ("start at the top unit", "≤ 1.0 s", "≤ 2.0 s", start_top),
    ("save p95", "≤ 20 ms, ≤ 10× the 1 KB fsync", "same as city", save_p95),
    ("other session shows the save", "≤ 2 s, ≤ 50 ms of its CPU", "same", other_shows),
    ("search per keystroke", "≤ 30 ms", "≤ 50 ms", search_keystroke),
    ("roll-up of the tree", "≤ 50 ms", "≤ 200 ms", rollup_tree),
    ("bulk import of 5,000", "≤ 5 s", "≤ 5 s", import_5000),
    ("RSS at one ward / at the top", "≤ 80 MB / ≤ 200 MB", "≤ 80 MB / ≤ 400 MB", rss),
)
TARGET_SCALES = ("city", "metro")


def judged(check: Check, figures: list[Figure], scale: str) -> dict:
    def get(key: str) -> Figure:
        found = [f for f in figures if f.key == key and f.scale in (scale, None)]
        if not found:
            raise LookupError(key)
        return found[0]
    try:
        text, ok = check(get, scale)
    except LookupError:
        return {"measured": "not measured", "ok": None}
    return {"measured": text, "ok": ok}


def targets(figures: list[Figure]) -> list[dict]:
    rows = []
    for label, city, metro, check in TARGETS:
        rows.append({"figure": label, "target": {"city": city, "metro": metro},
                     **{scale: judged(check, figures, scale) for scale in TARGET_SCALES}})
    return rows


def save_growth(figures: list[Figure]) -> dict | None:
    """Save cost (p50) at the largest scale measured over the ward's."""
    saves_by_scale = {f.scale: f for f in figures if f.key == "save"}
    if "ward" not in saves_by_scale or "metro" not in saves_by_scale:
        return None
    ratio = saves_by_scale["metro"].stats["p50"] / saves_by_scale["ward"].stats["p50"]
    return {"ratio": ratio, "ok": ratio < SAVE_GROWTH_LIMIT}


def table_lines(rows: list[dict], growth: dict | None) -> list[str]:
    out = ["| figure | city target | city measured | metro target | metro measured |", "|---|---|---|---|---|"]
    for row in rows:
        cells = [row["figure"]]
        for scale in TARGET_SCALES:
            cells += [row["target"][scale], row[scale]["measured"] + mark(row[scale]["ok"])]
        out.append("| " + " | ".join(cells) + " |")
    out.append("")
    if growth is None:
        out.append("save cost at metro / save cost at ward (p50, should stay below 3): not measured (needs both scales)")
    else:
        out.append(f"save cost at metro / save cost at ward (p50, should stay below 3): "
                   f"{growth['ratio']:.1f}{mark(growth['ok'])}")
    return out


# -- the run ----------------------------------------------------------------------------------
def progress(text: str) -> None:
    print(f"[bench] {text}", file=sys.stderr, flush=True)


def scales_option(text: str) -> list[str]:
    names = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in names if s not in SCALES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"scales are some of {','.join(SCALES)}, not {text!r}")
    return [s for s in SCALES if s in names]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=scales_option, default=list(SCALES), help="default: ward,city,metro")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and a 20 s budget: a smoke run")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated stores (default 1)")
    parser.add_argument("--budget", type=float, help="seconds per figure before repetitions are capped "
                                                     "(default 60, 20 with --quick)")
    parser.add_argument("--dir", type=Path, help="where the temporary folder of the stores goes (default: the "
                                                 "system's); put it on the disk a real store would live on")
    parser.add_argument("--keep", type=Path, help="keep each scale's store as generated in DIR and reuse it in later "
                                                  "runs of the same scale, seed, day and db/ code (a copy is "
                                                  "measured; DIR is created)")
    parser.add_argument("--sessions", type=service.sessions_option, default=service.SESSIONS,
                        help="CLI loops and apps at once through the service, at the largest scale (default 40,10)")
    parser.add_argument("--service-groups", type=service.groups_option, default=service.GROUPS,
                        help=f"the figure groups through the service (default {','.join(service.GROUPS)})")
    parser.add_argument("--json", dest="json_file", type=Path, help="write the JSON here instead of printing it")
    return parser.parse_args(argv)


def store_line(scale: Scale) -> str:
    s = scale.summary
    made = f"copied from {s['kept']} (generated in {s['seconds']:.1f} s)" if "kept" in s \
        else f"generated in {s['seconds']:.1f} s"
    return (f"{scale.scale:<6}store: {s['units']:,} units, {s['candidates']:,} candidates, {s['quotas']:,} quotas, "
            f"{s['bytes'] / 1e6:.1f} MB, {made}; its ward (#{scale.ward}): {scale.ward_candidates:,} candidates")


def measure_scale(scale: Scale, plan: Plan, bare_runs: list[dict], seed: int,
                  report: Callable[[list[Figure]], None]) -> None:
    """Every in-process figure of one scale, in an order where each sees the store as the whole-process
    rounds left it but for the saves before it (the bulk import, which grows the store most, comes last)."""
    steps = (("start", lambda: app_start(plan, scale, bare_runs)), ("stalls", lambda: stalls(plan, scale)),
             ("roll-up", lambda: rollup(plan, scale)), ("search", lambda: search(plan, scale)),
             ("saves", lambda: saves(plan, scale)), ("other session", lambda: other_session(plan, scale)),
             ("bulk import", lambda: bulk(scale, seed)))
    for step, measure in steps:
        progress(f"{scale.scale}: {step}")
        try:
            report(measure())
        except Exception as err:  # noqa: BLE001  (one figure group failing does not lose the run's other figures)
            print(f"{scale.scale:<6}{step}: FAILED: {type(err).__name__}: {str(err)[-1500:]}", flush=True)


def whole_processes(plan: Plan, scales: list[Scale], folder: Path, report: Callable[[list[Figure]], None]) -> None:
    """The whole-process rounds over every scale's store (before any in-process figure writes to it)."""
    stores = [processes.cli_store(scale, folder / scale.scale) for scale in scales]
    launcher = processes.Launcher(folder)
    try:
        report(processes.whole_processes(plan, stores, launcher, progress))
    finally:
        launcher.close()


def main(argv: list[str] | None = None, sections: tuple[str, ...] = SECTIONS) -> int:
    """The run; ``sections`` of it (service.py runs the service's alone)."""
    args = parse_args(argv)
    plan = Plan(args.quick, args.budget or (20.0 if args.quick else 60.0))
    today = date.today()
    began = time.perf_counter()
    figures: list[Figure] = []
    stores: dict[str, dict] = {}

    def report(new: list[Figure]) -> None:
        for fig in new:
            print(line(fig), flush=True)
        figures.extend(new)

    print(f"ptdv benchmark · {', '.join(sections)} · scales {','.join(args.scales)} · seed {args.seed} · "
          f"today {today} · {'quick' if args.quick else 'full'} · budget {plan.budget_s:.0f} s per figure · "
          f"Python {platform.python_version()} · Textual {textual.__version__}", flush=True)
    environment = processes.environment_note()
    print(f"environment: {environment}; commands run as {processes.ptdv_script()}", flush=True)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ptdv-bench-", dir=args.dir) as tmp:
        progress(f"stores in {tmp}")
        bare_runs: list[dict] = []
        if IN_PROCESS in sections:
            progress("bare Textual app")
            bare_figures, bare_runs = bare_start(plan)
            report(bare_figures)
            report(table_stalls(plan))
        scales = []
        for name in args.scales:
            progress(f"{name}: generating (or copying the kept store)")
            scale = Scale(name, Path(tmp) / name, seed=args.seed, today=today, keep=args.keep)
            stores[name] = scale.summary
            print(store_line(scale), flush=True)
            scale.picks  # noqa: B018  (chosen while the store just made is in memory)
            scale.release()
            gc.collect()
            scales.append(scale)
        # the service serves each store as generated: a copy of it, made before another section writes to it
        writes = PROCESSES in sections or IN_PROCESS in sections
        as_generated = [scale.copied(Path(tmp) / "as-generated" / scale.scale) for scale in scales] \
            if SERVICE in sections and writes else scales
        if PROCESSES in sections:
            whole_processes(plan, scales, Path(tmp) / "cli", report)
        if IN_PROCESS in sections:
            for scale in scales:
                measure_scale(scale, plan, bare_runs, args.seed, report)
                scale.release()  # its open session, before the next scale's
                gc.collect()
        if SERVICE in sections:
            imported = {f.scale for f in figures if f.key == "import"}  # their ward grown by the bulk import
            service.measure(plan, as_generated, Path(tmp) / "service", args.sessions, args.service_groups, report,
                            progress, {scale.scale: scale for scale in scales if scale.scale in imported})
    rows, growth = targets(figures), save_growth(figures)
    process_rows = processes.targets(figures)
    service_rows = service.targets(figures, args.scales)
    if PROCESSES in sections:
        print()
        print("Whole processes (median of the rounds; metro/ward ✓/✗ for the per-unit and per-candidate ones):")
        print("\n".join(processes.table_lines(figures, args.scales)))
        print()
        print("\n".join(processes.target_lines(process_rows)))
    if IN_PROCESS in sections:
        print()
        print("\n".join(table_lines(rows, growth)))
    if SERVICE in sections:
        print()
        print("Through the service, on the stores as generated but for the rows of the ward grown by the bulk "
              "import (the lines under the table name the store; from the file → through the service (service/file); "
              "a CLI command's peak RSS after it):")
        print("\n".join(service.table_lines(figures, args.scales)))
        print()
        print("\n".join(service.target_lines(service_rows)))
    seconds = time.perf_counter() - began
    print(f"\nwhole run: {seconds:.0f} s", flush=True)
    result = {"run": {"sections": list(sections), "scales": args.scales, "seed": args.seed, "quick": args.quick,
                      "budget_s": plan.budget_s,
                      "today": today.isoformat(), "at": datetime.now().astimezone().isoformat(timespec="seconds"),
                      "python": platform.python_version(), "textual": textual.__version__,
                      "seconds": round(seconds, 1), "environment": environment},
              "stores": stores,
              "figures": [{**asdict(f), "capped": f.capped} for f in figures],
              "targets": rows, "process_targets": process_rows, "service_targets": service_rows,
              "save_metro_over_ward": growth}
    text = json.dumps(result, ensure_ascii=False, indent=1)
    if args.json_file:
        args.json_file.write_text(text + "\n", encoding="utf-8")
        print(f"JSON written to {args.json_file}")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
