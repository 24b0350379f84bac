"""The official calendar as the store keeps it (docs/CALENDAR.md, "Days announced later").

The shipped data (db/calendar_vn.json) is the base; an administrator of the top unit adds the days the
government announces later (``ptdv calendar add``), kept in the catalogue's ``calendar`` table, so that
every session and every machine counts the same working days. Here: the checks of a day added or
removed, the rows of a year as ``calendar list`` shows them, and which due dates the added days moved
(the due list says so). Plain functions over a :class:`db.workdays.Calendar`; the service writes.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from .errors import PtdvError
from .model import Candidate, Settings
from .rules import Finding, findings
from .text import NAME_LIMIT, clean_text, fmt_date, safe
from .workdays import KINDS, Calendar, CalendarEntry

FIRST_YEAR, LAST_YEAR = 2000, 2100  # the years a day may be added to
ORIGINS = ("shipped", "added", "replaced", "estimated")


@dataclass(frozen=True)
class Row:
    """One day of ``calendar list``: its entry and where it comes from: ``shipped`` with ptdv, ``added`` by an
    admin, ``replaced`` (shipped, but an added entry of the same date says otherwise) or ``estimated`` (a day
    off of a year outside the shipped data, by the rules of db.workdays)."""

    entry: CalendarEntry
    origin: str


def year_rows(calendar: Calendar, year: int) -> list[Row]:
    rows = [Row(e, "added" if not e.shipped else "replaced" if calendar.added_entry(e.day) else "shipped")
            for e in calendar.year_entries(year)]
    if not calendar.covers(year):
        listed = {row.entry.day for row in rows}
        rows += [Row(CalendarEntry(day, "day_off", "", "", ""), "estimated")
                 for day in calendar.estimated_days_off(year) if day not in listed]
    rows.sort(key=lambda r: (r.entry.day, r.origin == "added"))  # a replaced entry before its replacement
    return rows


def check_year(day: date) -> None:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise PtdvError("calendar.bad_year", date=fmt_date(day), first=FIRST_YEAR, last=LAST_YEAR)


def new_entry(calendar: Calendar, day: date, kind: str, source: object, label: object, by: str,
              at: str) -> CalendarEntry:
    """The entry an admin adds, or the reason it is refused: a date already added, an entry that says what
    the shipped one says, a day off on a day that is no working day anyway (a weekend: record the weekday
    the holiday moves to), a working day on a day that is one already."""
    if kind not in KINDS:
        raise PtdvError("calendar.bad_kind", kind=safe(str(kind)), kinds=", ".join(KINDS))
    check_year(day)
    source_text = clean_text(source, field="calendar_source", required=True)
    label_text = clean_text(label, field="calendar_label", limit=NAME_LIMIT)
    added = calendar.added_entry(day)
    if added is not None:
        raise PtdvError("calendar.exists", date=fmt_date(day), kind=added.kind, by=added.by)
    shipped = calendar.shipped_entry(day)
    if shipped is not None and shipped.kind == kind:
        raise PtdvError("calendar.as_shipped", date=fmt_date(day), kind=kind, source=shipped.source)
    if kind == "day_off" and day.weekday() >= 5 and not calendar.is_workday(day):
        raise PtdvError("calendar.weekend", date=fmt_date(day))
    if kind == "workday" and calendar.is_workday(day):
        raise PtdvError("calendar.already_workday", date=fmt_date(day))
    return CalendarEntry(day, kind, label_text, label_text, source_text, by=by, at=at)


def removable(calendar: Calendar, day: date) -> CalendarEntry:
    """The added entry of ``day``; a shipped one cannot be removed (an added entry of the other kind
    corrects it)."""
    added = calendar.added_entry(day)
    if added is not None:
        return added
    if calendar.shipped_entry(day) is not None:
        raise PtdvError("calendar.shipped", date=fmt_date(day))
    raise PtdvError("calendar.no_entry", date=fmt_date(day))


@dataclass(frozen=True)
class Moved:
    """A due date the added days moved: what it was under the shipped calendar alone, and the added entries
    that moved it (each one, taken away alone, gives another date; none when only several together do)."""

    before: date
    changes: tuple[CalendarEntry, ...]


def moved_dues(items: list[tuple[Candidate, Finding]], settings: Settings,
               today: date) -> dict[tuple[int, str], Moved]:
    """For each (candidate, finding) whose due date differs from the one the shipped calendar alone gives:
    (candidate id, finding code) -> :class:`Moved`. Empty when the store added no day."""
    calendar = settings.store_calendar
    if calendar is None or not calendar.added:
        return {}
    shipped = replace(settings, store_calendar=None)
    without = {e: replace(settings, store_calendar=calendar.with_added(a for a in calendar.added if a is not e))
               for e in calendar.added}
    out: dict[tuple[int, str], Moved] = {}
    for cand, finding in items:
        if finding.due is None:
            continue
        before = _due(cand, finding.code, shipped, today)
        if before is None or before == finding.due:
            continue
        last = max(before, finding.due)
        changes = tuple(e for e in calendar.added
                        if e.day <= last and _due(cand, finding.code, without[e], today) != finding.due)
        out[(cand.id, finding.code)] = Moved(before, changes)
    return out


def _due(cand: Candidate, code: str, settings: Settings, today: date) -> date | None:
    return next((f.due for f in findings(cand, settings, today) if f.code == code), None)
