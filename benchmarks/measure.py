"""The figures of ``make bench``: how each is measured, each against its baseline when it has one.

Everything goes through ptdv's public API (``Store(path)``, ``Service``, ``db.generate``,
``service.figures``, ``service.advance``, the state's searches, ``make_app``).  Where the
harness must know more, it is one small function: :func:`store_path` (where a store lives in
its folder) and :func:`bulk_import` (the store's transaction API); the subprocess side has
its own (``workers.watch_first_paint``).
"""
from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import queue
import random
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Callable

from db.errors import PtdvError
from db.generate import generate
from db.model import Candidate, StageEntry
from db.rules import next_stage
from db.service import Service
from db.store import Store
from db.text import fold
from workers import poll_interval

WORKERS = Path(__file__).with_name("workers.py")
REPO = WORKERS.parent.parent
WORKER_TIMEOUT_S = 900
SEEN_TIMEOUT_S = 120  # the other session must show a save within this, or the figure fails


# -- numbers ----------------------------------------------------------------------------------
def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between the nearest ranks (q in 0–100)."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def spread(values: list[float]) -> dict[str, float]:
    return {"p50": percentile(values, 50), "p95": percentile(values, 95), "max": max(values)}


def median(values: list[float]) -> dict[str, float]:
    return {"median": percentile(values, 50)}


def number(value: float, unit: str) -> str:
    if value != value:  # nan
        return "–"
    if unit == "MB":
        return f"{value:.0f} MB"
    if unit == "ms":
        return f"{value:.2f} ms" if value < 1 else f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"
    return f"{value:.3f} s" if value < 1 else f"{value:.2f} s"


def mark(ok: bool | None) -> str:
    return "" if ok is None else " ✓" if ok else " ✗"


@dataclass(frozen=True)
class Plan:
    """Repetitions and the time budget of each figure."""

    quick: bool
    budget_s: float

    def reps(self, full: int, quick: int) -> int:
        return quick if self.quick else full

    def repeat(self, step: Callable[[], object], planned: int, minimum: int = 1) -> list:
        """``step()`` up to ``planned`` times; stops early (capped) when the next one would overrun the budget."""
        results: list = []
        begin = time.perf_counter()
        while len(results) < planned:
            spent = time.perf_counter() - begin
            if len(results) >= minimum and spent + spent / len(results) > self.budget_s:
                break
            results.append(step())
        return results


@dataclass
class Figure:
    key: str                      # what is measured; the target table looks figures up by (key, scale)
    scale: str | None             # None: measured once for the run (the bare Textual app)
    label: str
    unit: str                     # of every number in ``stats`` and ``baseline_stats``: "s", "ms" or "MB"
    stats: dict[str, float]
    n: int
    planned: int
    baseline: str = ""            # what it is measured against, in the same run
    baseline_stats: dict[str, float] = field(default_factory=dict)
    ratio: float | None = None    # main stat over the baseline's same stat
    ratio_of: str = ""
    note: str = ""
    extra: dict = field(default_factory=dict)  # further numbers, in the JSON only

    @property
    def capped(self) -> bool:
        return self.n < self.planned

    def compare(self, stat: str) -> None:
        """Set the ratio of ``stat`` to the baseline's."""
        base = self.baseline_stats.get(stat)
        self.ratio_of = stat
        self.ratio = self.stats[stat] / base if base else None


# -- stores -----------------------------------------------------------------------------------
def store_path(folder: Path) -> Path:
    """Where ``Store(path)`` keeps a scale's store: the path given to it, inside its own folder."""
    return folder / "ptdv.json"


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


KEPT_SUMMARY = "summary.json"  # in a kept store's folder, beside the store: generate's summary of it


def code_stamp() -> str:
    """A hash of db/'s sources: a store kept by another version of the code that generates and writes it is
    not reused."""
    digest = hashlib.sha256()
    for path in sorted((REPO / "db").rglob("*.py")):
        digest.update(path.relative_to(REPO).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def kept_folder(keep: Path, scale: str, seed: int, today: date) -> Path:
    """Where ``--keep DIR`` keeps a scale's store as generated; older ones of the same scale and seed are removed."""
    folder = keep / f"{scale}-seed{seed}-{today.isoformat()}-{code_stamp()}"
    for old in keep.glob(f"{scale}-seed{seed}-*"):
        if old != folder and (old / KEPT_SUMMARY).exists():
            shutil.rmtree(old)
    return folder


WARD_CANDIDATES = 77  # the candidates of the ward store's ward: each scale's ward is the one nearest this


def ward_of_size(state) -> tuple[int, int]:
    """The ward ("Đảng ủy phường …") whose candidates are nearest ``WARD_CANDIDATES`` in number, and that number:
    the per-ward figures then compare wards as alike as the stores have (the generated wards grow with the city:
    the smallest at metro has ~370 candidates, the first by name 773), so that what a ratio shows is the city
    around the ward, not the ward's own size."""
    wards = {uid for uid, name in state.folded.items() if name.startswith("dang uy phuong")}
    ward_of = {}
    per_ward = Counter()
    for hit in state.source.names():
        part = state.part_of(hit.unit)
        if part not in ward_of:
            ward_of[part] = next((u for u in state.chain(part) if u in wards), None)
        per_ward[ward_of[part]] += 1
    ward = min(wards, key=lambda uid: (abs(per_ward[uid] - WARD_CANDIDATES), uid))
    return ward, per_ward[ward]


@dataclass(frozen=True)
class Picks:
    """The units and candidate the whole-process commands and the app's screens are given, the same kind at
    every scale: the top, the ward of the run, the branch under the ward with the most live candidates, its
    grassroots unit (its parent), a sibling branch (``candidate move`` goes there: the same part), and the
    branch's candidate with the longest history."""

    root: int
    ward: int
    grassroots: int
    branch: int
    sibling: int
    candidate: int


class Scale:
    """One scale's store: generated for the run, or copied from the one ``--keep`` holds; the harness's own
    session (an open ``Service``) on it, opened when first used and dropped by :meth:`release`."""

    def __init__(self, scale: str, folder: Path, *, seed: int, today: date, keep: Path | None = None) -> None:
        self.scale = scale
        self.folder = folder
        self.path = store_path(folder)
        self.today = today
        self.year = today.year
        kept = kept_folder(keep, scale, seed, today) if keep else None
        if kept and (kept / KEPT_SUMMARY).exists():
            shutil.copytree(kept / "store", folder, symlinks=True)
            self.summary = json.loads((kept / KEPT_SUMMARY).read_text(encoding="utf-8"))
            self.summary["kept"] = str(kept)
            self.warm()
        else:
            folder.mkdir(parents=True)
            self.summary = generate(self.service, scale, seed=seed, today=today)
            self.summary["bytes"] = folder_bytes(folder)
            if kept:
                keep_store(folder, kept, self.summary)
        self.root = self.service.root().id
        self.ward, self.ward_candidates = ward_of_size(self.service.state())

    @cached_property
    def service(self) -> Service:
        return self.fresh_service()

    def fresh_service(self) -> Service:
        return Service(Store(self.path), today=self.today)

    def release(self) -> None:
        """Drop the harness's session and what it has read (the next use opens a new one)."""
        self.__dict__.pop("service", None)

    def copied(self, folder: Path) -> Scale:
        """The same scale (its summary and picks) on a copy of its store as it is now, in ``folder``; the copy
        warmed (:meth:`warm`) and its session released."""
        shutil.copytree(self.folder, folder, symlinks=True)
        twin = copy.copy(self)
        twin.folder, twin.path = folder, store_path(folder)
        twin.release()  # the session on this store, not the copy
        twin.warm()
        twin.release()
        return twin

    def warm(self) -> None:
        """Read every part once through the service, so that a copied store's caches are made again here and not in
        a timed run (a part's cache names the part's inode, which a copy changes): the figures of every year, and
        a search over every name, and an export (the cells of every candidate: ``p<N>.cells.json``)."""
        for year in self.summary["years"]:
            self.service.figures(year)
        self.service.state().search_candidates("a")
        self.service.export()

    @cached_property
    def picks(self) -> Picks:
        service = self.service
        tree = service.tree(self.year, self.ward)
        live = service.candidates(self.ward)
        per_branch = Counter(c.unit for c in live)
        for branch, _ in sorted(per_branch.items(), key=lambda item: (-item[1], item[0])):
            parent = tree.unit(branch).parent
            siblings = [u for u in tree.subtree(parent)
                        if u != branch and tree.is_leaf(u) and tree.unit(u).parent == parent]
            if siblings:
                shown = max((c for c in live if c.unit == branch), key=lambda c: (len(c.history), -c.id))
                return Picks(self.root, self.ward, parent, branch, min(siblings), shown.id)
        raise RuntimeError(f"{self.scale}: no branch with live candidates and a sibling under the ward")


def keep_store(folder: Path, kept: Path, summary: dict) -> None:
    """Copy a store just generated to ``kept`` (whole, or not at all)."""
    partial = kept.with_name(kept.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    shutil.copytree(folder, partial / "store", symlinks=True)
    (partial / KEPT_SUMMARY).write_text(json.dumps(summary), encoding="utf-8")
    partial.rename(kept)


# -- subprocesses -----------------------------------------------------------------------------
def worker_command(*args: str, script: Path = WORKERS) -> list[str]:
    return [sys.executable, str(script), *args]


def run_worker(*args: str, script: Path = WORKERS) -> dict:
    """One fresh process of ``workers.py`` (or of another script's worker); its last output line, parsed."""
    done = subprocess.run(worker_command(*args, script=script), capture_output=True, text=True,
                          timeout=WORKER_TIMEOUT_S, cwd=REPO)
    if done.returncode:
        raise RuntimeError(f"{script.name} {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def start_runs(plan: Plan, *args: str) -> tuple[list[dict], int]:
    """Repeated starts of one app in fresh processes: (their reports, the number planned)."""
    planned = plan.reps(5, 2)
    return plan.repeat(lambda: run_worker("start", *args, "--launched", repr(time.monotonic())), planned), planned


def start_figures(key: str, scale: str | None, where: str, runs: list[dict], planned: int,
                  bare: list[dict] | None = None) -> list[Figure]:
    """Start (first painted screen) and peak RSS figures from the reports of ``start_runs``."""
    paint = Figure(f"start.{key}", scale, f"start to first painted screen, {where}", "s",
                   median([r["paint_s"] for r in runs]), len(runs), planned,
                   note=f"from process launch: median {median([r['launch_s'] for r in runs])['median']:.2f} s",
                   extra={"ready_s": median([r["ready_s"] for r in runs])["median"],
                          "launch_s": median([r["launch_s"] for r in runs])["median"],
                          "painted": sorted({r["painted"] for r in runs})})
    rss = Figure(f"rss.{key}", scale, f"peak RSS of a session, {where}", "MB",
                 median([r["rss_mb"] for r in runs]), len(runs), planned)
    if bare is not None:
        paint.baseline, paint.baseline_stats = "bare Textual app", median([r["paint_s"] for r in bare])
        rss.baseline, rss.baseline_stats = "bare Textual app", median([r["rss_mb"] for r in bare])
        paint.compare("median")
        rss.compare("median")
    return [paint, rss]


def bare_start(plan: Plan) -> tuple[list[Figure], list[dict]]:
    """The baseline (a bare app with one label), and for scale a bare app with a table, against it."""
    runs, planned = start_runs(plan, "--app", "bare")
    table_runs, table_planned = start_runs(plan, "--app", "table")
    table = start_figures("table", None, "a bare Textual app with a 25-row table",
                          table_runs, table_planned, runs)
    return start_figures("bare", None, "a bare Textual app (one label)", runs, planned) + table, runs


def app_start(plan: Plan, scale: Scale, bare: list[dict]) -> list[Figure]:
    figures = []
    for key, unit, where in (("top", scale.root, "at the top unit"), ("ward", scale.ward, "at one ward")):
        runs, planned = start_runs(plan, "--app", "ptdv", "--store", str(scale.path), "--unit", str(unit),
                                   "--today", scale.today.isoformat())
        if not all(r["shown"] for r in runs):
            raise RuntimeError(f"{scale.scale} {where}: the first paint was of a screen the unit's then covered: {runs}")
        figures += start_figures(key, scale.scale, where, runs, planned, bare)
    return figures


# -- reading ----------------------------------------------------------------------------------
def timed_ms(call: Callable[[], object]) -> float:
    begin = time.perf_counter()
    call()
    return (time.perf_counter() - begin) * 1000


def rollup(plan: Plan, scale: Scale) -> list[Figure]:
    """``service.figures`` of the whole tree for this year: on the open session (warm), and on a
    new ``Store`` and ``Service`` each time (cold: opening the store is part of it)."""
    service = scale.service
    service.figures(scale.year)  # warm: the store read and its state built
    planned = plan.reps(20, 3)
    warm = plan.repeat(lambda: timed_ms(lambda: service.figures(scale.year)), planned)
    cold_planned = plan.reps(5, 1)
    cold = plan.repeat(lambda: timed_ms(lambda: scale.fresh_service().figures(scale.year)), cold_planned)
    return [Figure("rollup.warm", scale.scale, "roll-up of the tree, one year, warm store", "ms",
                   {**median(warm), "max": max(warm)}, len(warm), planned),
            Figure("rollup.cold", scale.scale, "roll-up of the tree, one year, cold store", "ms",
                   {**median(cold), "max": max(cold)}, len(cold), cold_planned,
                   note="a new Store and Service each time")]


def keystrokes(text: str) -> list[str]:
    """What a search field holds after each key: ``p``, ``ph``, … ``phuoc my``."""
    return [text[:end] for end in range(1, len(text) + 1)]


def search(plan: Plan, scale: Scale) -> list[Figure]:
    """Each search call while typing, one character at a time, without diacritics."""
    service = scale.service
    name = fold(service.candidates(scale.ward)[0].name)
    figures = []
    for key, what, text, find in (
            ("units", "a unit", "phuoc my", lambda q: service.state().search_units(q)),
            ("candidates", "a candidate", name, lambda q: service.state().search_candidates(q))):
        find(text)  # the state built, as in a session that has shown its first screen
        planned = plan.reps(5, 1)
        typed = plan.repeat(lambda: [timed_ms(lambda q=q: find(q)) for q in keystrokes(text)], planned)
        calls = [ms for word in typed for ms in word]
        figures.append(Figure(f"search.{key}", scale.scale, f"search for {what}, per keystroke", "ms",
                              spread(calls), len(typed), planned,
                              note=f"typing {text!r}, {len(calls)} calls"))
    return figures


# -- writing ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Save:
    before: Candidate
    after: Candidate
    added: bool      # ``before`` was added by the pool just now (it was in no figure before)
    seconds: float
    returned: float  # time.monotonic() when advance returned (the same clock in every process on Linux)


class CandidatePool:
    """Live candidates under a unit that can still advance, taken in turn.  When none is left, a
    new one is added at a branch (not timed).  One the service refuses to advance is skipped."""

    def __init__(self, service: Service, unit: int) -> None:
        self.service = service
        self.unit = unit
        self.queue = deque(c for c in service.candidates(unit) if next_stage(c))
        self.added = 0
        self.skipped = 0

    def note(self) -> str:
        parts = []
        if self.added:
            parts.append(f"{self.added} candidates added to keep going")
        if self.skipped:
            parts.append(f"{self.skipped} candidates refused by the service, skipped")
        return "; ".join(parts)

    def _next(self) -> tuple[Candidate, bool]:
        if not self.queue:
            state = self.service.state()
            branch = next(u for u in state.subtree(self.unit) if state.is_leaf(u))
            self.added += 1
            return self.service.add_candidate(branch, f"Người Thử Nghiệm {chr(0x41 + self.added % 26)}"), True
        return self.queue.popleft(), False

    def advance(self) -> Save:
        """One stage advance through ``Service.advance``, timed."""
        while True:
            before, added = self._next()
            begin = time.perf_counter()
            try:
                after = self.service.advance(before.id)
            except PtdvError:
                if added:
                    raise  # a new candidate can always take its second stage today
                self.skipped += 1
                continue
            seconds = time.perf_counter() - begin
            returned = time.monotonic()
            if next_stage(after):
                self.queue.append(after)
            return Save(before, after, added, seconds, returned)


def fsync_ms(folder: Path) -> float:
    """Write and fsync a 1 KB file in ``folder``."""
    probe = folder / "fsync-probe.bin"
    payload = os.urandom(1024)
    begin = time.perf_counter()
    with open(probe, "wb") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())
    return (time.perf_counter() - begin) * 1000


def saves(plan: Plan, scale: Scale) -> list[Figure]:
    planned = plan.reps(200, 20)
    fsyncs = plan.repeat(lambda: fsync_ms(scale.folder), planned)
    (scale.folder / "fsync-probe.bin").unlink()
    pool = CandidatePool(scale.service, scale.root)
    ms = [save.seconds * 1000 for save in plan.repeat(pool.advance, planned)]
    figure = Figure("save", scale.scale, "one candidate save (Service.advance)", "ms", spread(ms), len(ms), planned,
                    baseline="fsync of a 1 KB file in the same folder", baseline_stats=spread(fsyncs),
                    note=pool.note(),
                    extra={"fsync_n": len(fsyncs)})
    figure.compare("p95")
    return [figure]


class Watcher:
    """A second session in its own process (``workers.py watch``), reporting each re-read."""

    def __init__(self, scale: Scale) -> None:
        self.process = subprocess.Popen(
            worker_command("watch", "--store", str(scale.path), "--unit", str(scale.ward),
                           "--today", scale.today.isoformat()),
            stdout=subprocess.PIPE, text=True, cwd=REPO)
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(json.loads(line))

    def next(self) -> dict:
        try:
            return self.lines.get(timeout=SEEN_TIMEOUT_S)
        except queue.Empty:
            raise RuntimeError(f"the other session said nothing for {SEEN_TIMEOUT_S} s") from None

    def close(self) -> None:
        self.process.terminate()
        self.process.wait()


def other_session(plan: Plan, scale: Scale) -> list[Figure]:
    """Save in this process; the watcher polls, re-reads the ward's figures; until it has the new ones."""
    watcher = Watcher(scale)
    try:
        figure = watcher.next()["by_stage"]
        pool = CandidatePool(scale.service, scale.ward)
        phase = random.Random(scale.scale)

        def one() -> tuple[float, float]:
            time.sleep(phase.uniform(0, poll_interval()))  # a save comes at any moment of the other's poll
            save = pool.advance()
            if not save.added:
                figure[save.before.stage_on(scale.today)] -= 1
            figure[save.after.stage_on(scale.today)] += 1
            cpu = 0.0
            while True:
                report = watcher.next()
                cpu += report["cpu_s"]
                if report["by_stage"] == figure:
                    return report["at"] - save.returned, cpu * 1000
        planned = plan.reps(20, 3)
        seen = plan.repeat(one, planned)
    finally:
        watcher.close()
    note = "; ".join(filter(None, ("a second process polling store.changed() like the app, then the ward's figures",
                                   pool.note())))
    return [Figure("other.wall", scale.scale, "other session shows the save: wall time", "s",
                   spread([wall for wall, _ in seen]), len(seen), planned, note=note),
            Figure("other.cpu", scale.scale, "other session shows the save: its CPU", "ms",
                   spread([cpu for _, cpu in seen]), len(seen), planned, note="time.process_time of that process")]


FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Võ", "Phan", "Đặng", "Bùi", "Đỗ", "Ngô")
MIDDLE = {"male": ("Văn", "Minh", "Đức", "Quang", "Hữu"), "female": ("Thị", "Ngọc", "Thu", "Kim", "Mỹ")}
GIVEN = {"male": ("An", "Bảo", "Cường", "Dũng", "Hải", "Hùng", "Khoa", "Long", "Nam", "Phúc", "Sơn", "Tuấn"),
         "female": ("Anh", "Chi", "Dung", "Hà", "Hằng", "Lan", "Linh", "Mai", "Nga", "Phương", "Trang", "Vy")}
IMPORT_SIZE = 5000


def import_rows(service: Service, unit: int, count: int, seed: int) -> list[tuple[int, dict]]:
    """``count`` new candidates as an import file would give them: (branch, fields as typed), spread over the
    branches under ``unit``."""
    rng = random.Random(seed)
    state = service.state()
    branches = [u for u in state.subtree(unit) if state.is_leaf(u)]
    rows = []
    for index in range(count):
        gender = rng.choice(("male", "female"))
        name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE[gender])} {rng.choice(GIVEN[gender])}"
        born = f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1980, 2006)}"
        rows.append((branches[index % len(branches)], {"name": name, "gender": gender, "born": born,
                                                       "education": "university", "youth_union": True}))
    return rows


def bulk_import(service: Service, rows: list[tuple[int, dict]], day: date) -> None:
    """New candidates (already validated) entering the pipeline on ``day``: the fastest write path of the
    store today.  One ``Store.transaction``: an id per candidate from the store's counter, ``tx.add_candidates``
    of them all, and a ``candidate.add`` audit entry per candidate as ``Service.add_candidate`` writes.
    The one function that uses the store's transaction API; when ``Service`` gains an import, call it here."""
    with service.store.transaction(by=service.user) as tx:
        docs = {}
        for unit, values in rows:
            cand = Candidate(id=tx.new_candidate_id(), unit=unit, **values)
            docs[cand.id] = cand.with_(history=(StageEntry("source", day, tx.user, tx.at),)).to_doc()
        tx.add_candidates(docs)
        for cid, doc in docs.items():
            tx.audit("candidate.add", f"candidate:{cid}", doc["unit"], None, doc)


IMPORT_PATH = ("Service.validate_candidate_fields per row, then one Store.transaction: tx.new_candidate_id, "
               "tx.add_candidates, tx.audit per candidate")


def bulk(scale: Scale, seed: int) -> list[Figure]:
    """Validate and write 5,000 new candidates under the ward, once (it grows the store)."""
    service = scale.service
    rows = import_rows(service, scale.ward, IMPORT_SIZE, seed)
    before = len(service.candidates(scale.ward))
    begin = time.perf_counter()
    checked = [(unit, service.validate_candidate_fields(values)) for unit, values in rows]
    bulk_import(service, checked, scale.today)
    seconds = time.perf_counter() - begin
    if len(service.candidates(scale.ward)) != before + IMPORT_SIZE:
        raise RuntimeError(f"{scale.scale}: the import did not add {IMPORT_SIZE} candidates")
    return [Figure("import", scale.scale, f"bulk import of {IMPORT_SIZE:,} candidates", "s",
                   {"seconds": seconds}, 1, 1, note=IMPORT_PATH)]
