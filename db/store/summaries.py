"""What the store keeps of its parts besides the parts themselves (see docs/STORE.md): each part's summary
(``p<N>.sum.json``: counts per branch and year, its candidates' names, a copy of its unit records and quotas), its
report counts (``p<N>.rep.json``), the caches of the whole store, an entry per part (``totals.json``,
``reports<Y>.json``, ``due.json``, ``checks.json``), and the name index in search order (``names.txt``,
:mod:`.names`).  Each carries the (inode, size, mtime) of the part(s) it was made from and is made again when that
differs.

This module is the store's one user of the arithmetic of the figures (:mod:`db.counts`, :mod:`db.quota`) and of
the rules (:mod:`db.rules`): what the summaries and caches hold is made here."""
from __future__ import annotations

import hashlib
import os
from contextlib import suppress
from pathlib import Path
from typing import Callable, Collection, Iterable

import orjson

from .. import rules
from ..cells import CELLS_VERSION, stored_cells, well_formed
from ..model import Candidate, Settings
from ..counts import ReportYear, Shares, UnitCounts, count_candidates, report_counts, report_plus, report_sum, report_year
from ..quota import PartTotals, part_branches, part_totals
from ..state import NO_UNITS, CandidateHit, UnitPart
from ..workdays import shipped_fingerprint
from .files import file_signature, write_tmp
from .names import DamagedLine, NameIndex, Text, lines_hash, part_lines
from .parts import PartFile, Parts, unit_part

CHECKS_VERSION = "3"  # of the entries of checks.json: another makes them all again (3: a part's lines of names.txt)
REPORT_CACHE_VERSION = 2  # of the p<N>.rep.json files: another number makes them all again (2: exits, outside rules)
SHARES_KEPT = 64  # parts whose candidates' shares of the counts a session keeps (the parts it wrote last)


def settings_key(settings: Settings) -> str:
    """What a summary's figures depend on besides its part: the settings, and the calendar due dates count
    (the shipped data and the days added to the store): a change of any remakes the summaries."""
    calendar = settings.store_calendar
    doc = {**settings.to_doc(), "calendar": [shipped_fingerprint(), calendar.key() if calendar else []]}
    return hashlib.sha256(orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def canonical(doc: object, parsed: bool = False) -> str:
    """A hash of a JSON document as it reads (the order of its keys aside); ``parsed``: read from a file already
    (else written and read back first, as a file would hold it)."""
    doc = doc if parsed else orjson.loads(orjson.dumps(doc))
    return hashlib.sha256(orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)).hexdigest()


class Summary:
    """What the roll-up and the search need of one part, without reading the part: counts, the name
    index, and the records of the units the part keeps (with their quotas)."""

    def __init__(self, counts: dict[int, UnitCounts], names: list[CandidateHit], units: dict, quotas: list) -> None:
        self.counts = counts
        self.names = names
        self.unit_docs = units
        self.quota_docs = quotas
        self._units: UnitPart | None = None

    @classmethod
    def of(cls, part: PartFile, settings: Settings, before: "Summary | None" = None,
           shares: Shares | None = None) -> "Summary":
        """Part ``part``'s summary; ``before``, the summary of the part as it was read, lets only the units
        whose candidates changed since then be counted again (a save changes one or two); ``shares``, what
        each candidate of the part added to the counts when last counted (:func:`count_candidates`), lets
        only the candidates changed since then be looked at (a branch grown large costs a save little)."""
        candidates = list(part.candidates().values())
        units = part.unit_part()  # refuses a part whose unit records cannot be read
        changed = part.changed_units if before is not None else None
        if changed is None:
            counts = count_candidates(candidates, settings, shares)
            names = [CandidateHit.of(c) for c in candidates]
        else:
            counts = {u: c for u, c in before.counts.items() if u not in changed}
            counts.update(count_candidates([c for c in candidates if c.unit in changed], settings, shares))
            kept = {hit.id: hit for hit in before.names if hit.unit not in changed}
            names = [kept.get(c.id) or CandidateHit.of(c) for c in candidates]
        made = cls(counts, names,
                   {i: dict(doc) for i, doc in part.data["units"].items()},  # copies: TinyDB updates records in place
                   [dict(doc) for doc in part.data["quotas"].values()])
        made._units = units
        return made

    def units(self) -> UnitPart:
        if self._units is None:
            self._units = unit_part(self.unit_docs, self.quota_docs)
        return self._units

    def to_doc(self, part_signature, settings_key: str) -> dict:
        return {"part": list(part_signature), "settings": settings_key,
                "counts": {str(u): c.to_json() for u, c in self.counts.items()},
                "names": [list(n) for n in self.names], "units": self.unit_docs, "quotas": self.quota_docs}

    @classmethod
    def from_doc(cls, doc: dict) -> "Summary":
        return cls({int(u): UnitCounts.from_json(c) for u, c in doc["counts"].items()},
                   [CandidateHit(*hit) for hit in doc["names"]], dict(doc["units"]), list(doc["quotas"]))


def cells_doc(signature: tuple, candidates: Iterable[Candidate]) -> dict:
    """A ``p<N>.cells.json`` file: the stored cells of the candidates of the part of that signature, by id."""
    return {"part": list(signature), "v": CELLS_VERSION,
            "cells": [stored_cells(c) for c in sorted(candidates, key=lambda c: c.id)]}


def report_doc(signature: tuple, found: dict[int, dict[int, ReportYear]]) -> dict:
    """A ``p<N>.rep.json`` file: the report counts of the part of that signature."""
    return {"part": list(signature), "v": REPORT_CACHE_VERSION,
            "units": {str(u): {str(y): row.to_json() for y, row in years.items()} for u, years in found.items()}}


class Summaries:
    """The summaries and caches of a store's parts, made on demand.  ``settings``: the store's settings (the
    read model's); ``news``: what tells that a write happened (looked at now); ``parts.seen``: the news the store
    last saw."""

    def __init__(self, parts: Parts, *, settings: Callable[[], Settings], news: Callable[[], tuple]) -> None:
        self.parts = parts
        self.layout = parts.layout
        self.store_settings = settings
        self.news = news
        self.kept: dict[int, tuple[tuple, str, Summary]] = {}  # part -> (its signature, settings key, its summary)
        self.reports: dict[int, tuple[tuple, dict]] = {}  # part id -> (its signature, its report counts)
        self._settings_cache: tuple[Settings | None, str] = (None, "")
        self._checked_news: tuple | None = None
        self._units_checked: tuple[tuple | None, dict[int, UnitPart]] = (None, {})
        self._decoded: dict[int, tuple[dict, PartTotals]] = {}  # part -> (its totals entry, as decoded)
        self.shares: dict[int, tuple[str, Shares]] = {}  # part -> (settings key, its candidates' shares): parts written
        self.caches = {"totals": PartCache(self, "totals.json", self._made_totals),
                       "checks": PartCache(self, "checks.json", self._made_check, version=CHECKS_VERSION),
                       "due": PartCache(self, "due.json", self._made_due)}
        self.name_index = NameIndex(self)

    def settings(self) -> tuple[Settings, str]:
        """The store's settings and their :func:`settings_key`."""
        settings = self.store_settings()
        if self._settings_cache[0] is not settings:
            self._settings_cache = (settings, settings_key(settings))
        return self._settings_cache

    # -- each part's summary ----------------------------------------------------------------------
    def summaries_of(self, pids: Collection[int]) -> list[Summary]:
        """Several parts' summaries.  While no write happened since they were last checked (the audit
        log and the pending folder say so), the ones in memory are used without a stat each."""
        news = self.news()
        if news == self._checked_news and all(pid in self.kept for pid in pids):
            return [self.kept[pid][2] for pid in pids]
        settings = self.settings()
        found = [s for pid in pids if (s := self.summary(pid, settings)) is not None]
        self._checked_news = news
        return found

    def summary(self, pid: int, settings: tuple[Settings, str] | None = None) -> Summary | None:
        """Part ``pid``'s summary: from memory or its cache file while they match the part (one stat),
        else computed from the part and cached again."""
        part_path = self.parts.path(pid)
        signature = file_signature(part_path)
        if signature is None:
            self.kept.pop(pid, None)
            return None
        settings, key = settings or self.settings()
        cached = self.kept.get(pid)
        if cached is not None and cached[0] == signature and cached[1] == key:
            return cached[2]
        found = self._read_summary(pid, signature, key)
        if found is None:
            part = self.parts.file(pid)
            found = Summary.of(part, settings)
            self._write_summary(pid, found, part.signature, key)
        self.kept[pid] = (signature, key, found)
        for cid, *_ in found.names:
            self.parts.located[cid] = pid
        return found

    def written(self, parts: list[tuple[PartFile, tuple | None]], settings: Settings) -> None:
        """After a write: the summaries of the parts it wrote (each with the signature it was read with: the
        summary of the part as read then is counted again only for the branches whose candidates changed)."""
        key = settings_key(settings)
        for part, read_as in parts:
            pid = int(part.data["meta"]["1"]["part"])
            cached = self.kept.get(pid)
            before = cached[2] if cached and cached[:2] == (read_as, key) else None
            summary = Summary.of(part, settings, before, self._shares(pid, key))
            part.changed_units = set()
            self._write_summary(pid, summary, part.signature, key)
            self.kept[pid] = (part.signature, key, summary)
            for cid, *_ in summary.names:
                self.parts.located[cid] = pid

    def _shares(self, pid: int, key: str) -> Shares:
        """What the candidates of part ``pid`` added to its counts when it was last written by this session (kept
        for the last ``SHARES_KEPT`` parts written, and while the settings stay)."""
        kept = self.shares.pop(pid, None)
        shares = kept[1] if kept is not None and kept[0] == key else {}
        self.shares[pid] = (key, shares)  # the newest last
        while len(self.shares) > SHARES_KEPT:
            del self.shares[next(iter(self.shares))]
        return shares

    def summary_path(self, pid: int) -> Path:
        return self.layout.parts_dir / f"p{pid}.sum.json"

    def _read_summary(self, pid: int, signature: tuple, key: str) -> Summary | None:
        try:
            doc = orjson.loads(self.summary_path(pid).read_bytes())
            if tuple(doc["part"]) != signature or doc["settings"] != key:
                return None
            return Summary.from_doc(doc)
        except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            return None  # a cache: when it cannot be used, it is rebuilt from the part

    def _write_summary(self, pid: int, summary: Summary, part_signature, key: str) -> None:
        self._write_cache(self.summary_path(pid), summary.to_doc(part_signature, key))

    def _write_cache(self, path: Path, doc: dict) -> None:
        """Best effort, in place and not fsynced (a new file costs a save more than the rest of a summary):
        a cache cut short by a crash, or mixed with another session's, is not JSON and is made again from
        its part, and a whole one names the part it was made from."""
        with suppress(OSError):
            write_tmp(path, orjson.dumps(doc), self.layout.mode(), durable=False, fixed_name=True)

    def held(self, skip: Collection[int] = ()) -> dict[int, int]:
        """Every candidate id -> the part that holds it (but parts ``skip``), from the parts' summaries (each made
        again from its part when it does not match it): a look at every part."""
        out: dict[int, int] = {}
        for pid in self.parts.existing():
            found = self.summary(pid) if pid not in skip else None
            out.update((hit.id, pid) for hit in (found.names if found is not None else ()))
        return out

    def part_units(self, pid: int) -> UnitPart:
        """The units part ``pid`` keeps, from its summary.  Checked once after each change the store
        has seen (``Store.refresh``), so a screen's many lookups cost no stat each."""
        seen, checked = self._units_checked
        now = self.parts.seen()
        if seen == now and pid in checked:
            return checked[pid]
        if seen != now:
            checked = {}
            self._units_checked = (now, checked)
        found = self.summary(pid)
        checked[pid] = found.units() if found is not None else NO_UNITS
        return checked[pid]

    def counts(self, pids: Collection[int], units: Collection[int]) -> dict[int, UnitCounts]:
        """The counts of ``units`` in the summaries of parts ``pids`` (a branch counted in several parts: added)."""
        out: dict[int, UnitCounts] = {}
        for found in self.summaries_of(pids):
            for uid, counts in found.counts.items():
                if uid in units:
                    out[uid] = counts if uid not in out else out[uid].plus(counts)
        return out

    def names(self, words: Collection[str] = (), limit: int | None = None,
              keep: Callable[[int], bool] | None = None) -> list[CandidateHit]:
        """The first ``limit`` candidates in search order whose folded name holds every one of ``words``, of the
        units ``keep`` lets through: from the name index of the whole store (:class:`~db.store.names.NameIndex`),
        so a search reads one file and decodes only the lines it answers with."""
        return self.name_index.names(words, limit, keep)

    # -- the parts' totals, for the roll-up above their owners: one cache file for every part ------------
    def totals(self, pids: Collection[int]) -> dict[int, PartTotals]:
        """:class:`~db.quota.PartTotals` of the parts among ``pids``, from ``totals.json`` (:class:`PartCache`)."""
        out = {}
        for pid, entry in self.caches["totals"].entries(pids).items():
            made = self._decoded.get(pid)
            if made is not None and made[0] is entry:
                out[pid] = made[1]
                continue
            with suppress(KeyError, TypeError, ValueError, AttributeError):  # edited by hand: the part is read
                out[pid] = PartTotals.from_json(entry)
                self._decoded[pid] = (entry, out[pid])
        return out

    def _made_totals(self, pid: int) -> dict | None:
        found = self.summary(pid)
        return None if found is None else part_totals(pid, found.units(), found.counts).to_json()

    # -- what reports count, per part: made when a report first asks after the part changed ---------
    def report_path(self, pid: int) -> Path:
        return self.layout.parts_dir / f"p{pid}.rep.json"

    def report_of(self, pid: int) -> dict[int, dict[int, ReportYear]]:
        """Part ``pid``'s :func:`~db.counts.report_counts`: from memory or its cache file while they match the
        part (one stat), else counted from the part and cached again."""
        signature = file_signature(self.parts.path(pid))
        if signature is None:
            return {}
        cached = self.reports.get(pid)
        if cached is not None and cached[0] == signature:
            return cached[1]
        try:
            doc = orjson.loads(self.report_path(pid).read_bytes())
            if tuple(doc["part"]) != signature or doc["v"] != REPORT_CACHE_VERSION:
                raise ValueError("stale")
            found = {int(u): {int(y): ReportYear.from_json(rows) for y, rows in years.items()}
                     for u, years in doc["units"].items()}
        except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            found = report_counts(self.parts.file(pid).candidates().values())
            self._write_cache(self.report_path(pid), report_doc(signature, found))
        self.reports[pid] = (signature, found)
        return found

    def report_counts(self, pids: Collection[int], units: Collection[int]) -> dict[int, dict[int, ReportYear]]:
        """The report counts of ``units`` in parts ``pids`` (a branch counted in several parts: added)."""
        out: dict[int, dict[int, ReportYear]] = {}
        for pid in pids:
            for uid, years in self.report_of(pid).items():
                if uid in units:
                    out[uid] = years if uid not in out else report_plus(out[uid], years)
        return out

    # -- what an export writes of each part's candidates, in no language: read whole by an export ---------
    def cells_path(self, pid: int) -> Path:
        return self.layout.parts_dir / f"p{pid}.cells.json"

    def cells_of(self, pid: int) -> list[list]:
        """The stored cells of part ``pid``'s candidates (:func:`~db.cells.stored_cells`), by id: from its cache
        file while it matches the part (one stat), else made from the part and cached again.  Not kept in
        memory (an export reads each part's once), and a part read to make them is let go again."""
        signature = file_signature(self.parts.path(pid))
        if signature is None:
            return []
        try:
            doc = orjson.loads(self.cells_path(pid).read_bytes())
            if doc["part"] != list(signature) or doc["v"] != CELLS_VERSION or not well_formed(doc["cells"]):
                raise ValueError("stale")
            return doc["cells"]
        except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            kept = pid in self.parts.files
            part = self.parts.file(pid)
            if part is None:
                return []
            doc = cells_doc(signature, part.candidates().values())
            if not kept and not part.dirty:
                self.parts.forget([pid])
            self._write_cache(self.cells_path(pid), doc)
            return doc["cells"]

    # -- what reports count of each part's branches taken together, per year --------------------------
    def report_sums(self, pids: Collection[int], year: int) -> dict[int, ReportYear]:
        """For the parts among ``pids``: the report counts of ``year`` of their branches without a period, added
        up (:func:`~db.counts.report_sum`), from ``reports<year>.json`` (made again for a part that changed)."""
        name = f"reports{year}"
        if name not in self.caches:
            self.caches[name] = PartCache(self, f"{name}.json", lambda pid: self._made_report_sum(pid, year))
        out = {}
        for pid, entry in self.caches[name].entries(pids).items():
            try:
                out[pid] = ReportYear.from_json(entry["year"])
            except (KeyError, TypeError, ValueError):  # edited by hand: counted again, from the part
                out[pid] = ReportYear.from_json(self._made_report_sum(pid, year)["year"])
        return out

    def _made_report_sum(self, pid: int, year: int) -> dict | None:
        found = self.summary(pid)
        if found is None:
            return None
        counts = self.report_of(pid)
        total = report_sum(report_year(counts[uid], year) for uid in part_branches(pid, found.units()) if uid in counts)
        return {"year": total.to_json()}

    # -- the due dates of each part's live candidates, for the most urgent of a large due list ----------
    def _made_due(self, pid: int) -> dict | None:
        kept = pid in self.parts.files
        part = self.parts.file(pid)
        if part is None:
            return None
        settings, _ = self.settings()
        found = sorted((day.toordinal(), cand.id) for cand in part.candidates().values() if cand.live
                       for day in rules.deadlines(cand, settings))
        if not kept and not part.dirty:
            self.parts.forget([pid])
        return {"due": found}

    def due_dates(self, pids: Collection[int]) -> dict[int, list[tuple[int, int]]] | None:
        """For the parts among ``pids``: (day ordinal, candidate id) of every due date of a live candidate there,
        in order (:func:`~db.rules.deadlines`), from ``due.json`` (made again for a part that changed); None when
        an entry cannot be read (edited by hand: the due list is then made from every candidate)."""
        try:
            return {pid: sorted((int(day), int(cid)) for day, cid in entry["due"])
                    for pid, entry in self.caches["due"].entries(pids).items()}
        except (KeyError, TypeError, ValueError):
            return None

    # -- what check needs of each part: kept until the part changes -----------------------------------
    def _made_check(self, pid: int) -> dict | None:
        """Part ``pid`` as ``check`` judges it from the part alone (:func:`~db.rules.candidate_checks`; its unit
        records' levels and its quotas), with a hash of each cache ptdv would make of it (:meth:`forged`)."""
        kept = pid in self.parts.files
        part = self.parts.file(pid)
        if part is None:
            return None
        settings, key = self.settings()
        candidates = part.candidates().values()
        found = rules.candidate_checks(candidates, settings)
        if not kept and not part.dirty:
            self.parts.forget([pid])  # a check of the whole store keeps no more than one part in memory
        units = part.unit_part()
        found["units"] = {str(uid): unit.level for uid, unit in units.units.items()}
        found["quotas"] = [[uid, year, (q.target is None) == (q.rate is None) or (q.target is not None and q.target < 0)]
                           for (uid, year), q in units.quotas.items()]
        summary = Summary.of(part, settings)
        try:  # what drift compares with the audit trail's hash, while the part stays as it is
            found["sha256"] = hashlib.sha256(part.path.read_bytes()).hexdigest()
        except OSError:
            found["sha256"] = None
        found["expect"] = {
            "summary": canonical(summary.to_doc(part.signature, key)),
            "report": canonical(report_doc(part.signature, report_counts(candidates))),
            "cells": canonical(cells_doc(part.signature, candidates)),
            "names": lines_hash(part_lines(pid, summary.names)),
            "totals": canonical({"part": list(part.signature),
                                 **part_totals(pid, summary.units(), summary.counts).to_json()})}
        return found

    def checks(self) -> dict[int, dict]:
        """Every part's :meth:`_made_check` entry, from ``checks.json`` (made again for a part that changed)."""
        return self.caches["checks"].entries(self.parts.existing())

    def forged(self, checks: dict[int, dict]) -> list[Path]:
        """The caches (summaries, report counts, totals entries, the name index) that claim to match their part as
        it is (its signature, the settings) but hold other figures than ptdv makes of it (``checks``:
        :meth:`checks`): edited by hand, since ptdv itself only writes what it counted."""
        _, key = self.settings()
        totals_path = self.caches["totals"].path
        totals = self.caches["totals"].read_as_is()
        totals = totals.get("parts") if isinstance(totals, dict) and totals.get("settings") == key else None
        out: list[Path] = []
        verified = False
        for pid, entry in checks.items():
            signature = entry["part"]
            claimed = [(self.summary_path(pid), "summary", None),
                       (self.report_path(pid), "report", REPORT_CACHE_VERSION),
                       (self.cells_path(pid), "cells", CELLS_VERSION)]
            for path, kind, version in claimed:
                seen = file_signature(path)
                if seen is None or entry.setdefault("verified", {}).get(kind) == list(seen):
                    continue  # not there, or found right as it is now by an earlier check
                try:
                    doc = orjson.loads(path.read_bytes())
                    claims = doc["part"] == signature and doc.get("settings", key) == key and doc.get("v") == version
                except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                    continue  # not used as it is: made again from the part when asked
                if claims and canonical(doc, parsed=True) != entry["expect"][kind]:
                    out.append(path)
                elif claims:
                    entry["verified"][kind], verified = list(seen), True
            mine = totals.get(str(pid)) if isinstance(totals, dict) else None
            if isinstance(mine, dict) and mine.get("part") == signature \
                    and canonical(mine, parsed=True) != entry["expect"]["totals"] and totals_path not in out:
                out.append(totals_path)
        if verified:
            self.caches["checks"].save()
        return out + self._names_forged(checks, key)

    def _names_forged(self, checks: dict[int, dict], key: str) -> list[Path]:
        """names.txt, when a part's lines in it are not what ptdv makes of the part it claims they were made from."""
        path = self.name_index.path
        text = Text.read(path)
        if text is None or text.key != key or text.parts is None:
            return []  # not used as it is: made again by the next search
        try:
            lines = text.by_part()
        except DamagedLine:
            return [path]
        claimed = text.parts
        if any(claimed.get(pid) == tuple(entry["part"]) and lines_hash(lines.get(pid, [])) != entry["expect"]["names"]
               for pid, entry in checks.items()) or lines.keys() - claimed.keys():
            return [path]
        return []


class PartCache:
    """A cache file of the parts folder holding an entry for each part, made from the part (or its summary) by
    ``make`` and carrying the (inode, size, mtime) of the part it was made from, and the settings key: read
    whole, each part looked at (one stat) once after each change the store sees, an entry that does not match
    its part made again, and the file written again when one was (a new file renamed into place: another session
    reads it whole or not at all).  A cache: one that cannot be read is made again, entry by entry."""

    def __init__(self, summaries: Summaries, name: str, make: Callable[[int], dict | None], version: str = "") -> None:
        self.summaries = summaries
        self.version = version  # of what ``make`` makes: with the settings key, what the file's entries were made for
        self.layout = summaries.layout
        self.path = self.layout.parts_dir / name
        self.make = make
        self._loaded: tuple[str, dict[int, dict]] | None = None  # (settings key, part -> entry as the file has it)
        self._checked: tuple[tuple | None, dict[int, dict | None]] = (None, {})

    def entries(self, pids: Collection[int]) -> dict[int, dict]:
        """The entries of the parts among ``pids`` (those there are)."""
        key = self.summaries.settings()[1] + self.version
        if self._loaded is None or self._loaded[0] != key:
            self._loaded = (key, self._read(key))
        seen = self.summaries.parts.seen()
        if self._checked[0] != (seen, key):
            self._checked = ((seen, key), {})
        cache, checked, changed = self._loaded[1], self._checked[1], False
        folder = f"{self.layout.parts_dir}{os.sep}p"
        for pid in pids:
            if pid in checked:
                continue
            checked[pid] = None  # no part, or none this cache has an entry for
            signature = file_signature(f"{folder}{pid}.json")
            if signature is None:
                continue
            entry = cache.get(pid)
            if entry is None or entry.get("part") != list(signature):
                made = self.make(pid)
                entry = None if made is None else {"part": list(signature), **made}
                if entry is not None:
                    cache[pid], changed = entry, True
            checked[pid] = entry
        if changed:
            self.save()
        return {pid: entry for pid in pids if (entry := checked.get(pid)) is not None}

    def save(self) -> None:
        """Write the file again with the entries in memory (an entry's caller may have added to it)."""
        if self._loaded is None:
            return
        key, cache = self._loaded
        payload = orjson.dumps({"settings": key, "parts": {str(pid): cache[pid] for pid in sorted(cache)}})
        with suppress(OSError):  # made again by the next reader when it could not be written
            os.replace(write_tmp(self.path, payload, self.layout.mode(), durable=False), self.path)

    def _read(self, key: str) -> dict[int, dict]:
        try:
            doc = orjson.loads(self.path.read_bytes())
            if doc["settings"] != key:
                return {}
            return {int(pid): entry for pid, entry in doc["parts"].items() if isinstance(entry, dict)}
        except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
            return {}

    def read_as_is(self) -> dict | None:
        """The file's contents as they are (``check``), None when it cannot be read."""
        try:
            return orjson.loads(self.path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return None
