"""Working days of state bodies (which party bodies follow): the official calendar shipped with ptdv.

A day is a working day when it is Monday to Friday and not a day off, or when it is a weekend
day the government made a working day (a make-up Saturday for a swapped day off). The days off
and the make-up days are DATA, ``db/calendar_vn.json``, one entry per date with its kind
(``day_off`` | ``workday``), a label in Vietnamese and English and the source (the Labour Code
article or the announcement that fixed it); docs/CALENDAR.md says where each year comes from.
The data is read once, on the first question (most screens ask none), and the answers depend on
nothing installed: the same store gives the same due dates on every machine.

Years outside the data (2020–2027 now) are estimated, and their due dates may move when the
year's announcements are added: weekends; 1/1, 30/4, 1/5, 24/11 from 2026; 2/9 and a day next
to it (the side picked in 2021–2026 for the same weekday); Giỗ Tổ Hùng Vương (10/3 lunar) and
five days of Tết, the eve to the 4th day with a weekend day among them moved to the nearest free
weekday (Saturday back, Sunday forward: the rule reproduces 2020–2026), from the lunar dates in
the data (to 2050; beyond, no lunar holiday); a fixed holiday on a weekend gives the next free
working day off (Labour Code 2019 art. 111(3)). With these rules every year 2021–2026 comes out
as in the data except its swaps, which are never guessed.

``Calendar`` is a calendar built from entries: the shipped ones, and (``with_added``) the days an
administrator recorded in the store after the data was shipped (``ptdv calendar add``), which win
over a shipped entry of the same date. ``settings.calendar`` (db.model.Settings) is the store's
calendar; the module functions answer for the shipped calendar alone.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping

DATA_FILE = Path(__file__).with_name("calendar_vn.json")
KINDS = ("day_off", "workday")
SOURCE_NOT_FOUND = "source not found"


@dataclass(frozen=True)
class CalendarEntry:
    """One date of the official calendar: a day off, or a weekend day that is a working day."""

    day: date
    kind: str
    label_vi: str
    label_en: str
    source: str
    note: str = ""
    by: str = ""   # the account that added it to the store ("" : shipped with ptdv)
    at: str = ""   # when it was added (ISO timestamp)

    @property
    def shipped(self) -> bool:
        return not self.by

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown calendar entry kind {self.kind!r} for {self.day}")

    @classmethod
    def from_dict(cls, raw: Mapping) -> CalendarEntry:
        return cls(date.fromisoformat(raw["date"]), raw["kind"], raw["label_vi"], raw["label_en"],
                   raw["source"], raw.get("note", ""))

    def label(self, lang: str = "vi") -> str:
        return self.label_en if lang == "en" else self.label_vi

    def to_store(self) -> dict:
        """The entry as the store's ``calendar`` table keeps one an administrator added (one label: as typed)."""
        return {"date": self.day.isoformat(), "kind": self.kind, "label": self.label_vi, "source": self.source,
                "by": self.by, "at": self.at}

    @classmethod
    def from_store(cls, doc: Mapping) -> CalendarEntry:
        label = str(doc.get("label") or "")
        return cls(date.fromisoformat(str(doc["date"])), str(doc["kind"]), label, label, str(doc["source"]),
                   by=str(doc.get("by") or "?"), at=str(doc.get("at") or ""))


class Calendar:
    """Working days from a list of entries that covers the years ``first_year``..``last_year``;
    other years are estimated (see the module docstring) from ``lunar_dates``
    (year -> (mùng 1 Tết, 10/3 lunar))."""

    def __init__(self, entries: Iterable[CalendarEntry], first_year: int, last_year: int,
                 lunar_dates: Mapping[int, tuple[date, date]] | None = None,
                 added: Iterable[CalendarEntry] = ()) -> None:
        self.entries = tuple(sorted(entries, key=lambda e: e.day))
        self.added = tuple(sorted(added, key=lambda e: e.day))  # recorded in the store; win over ``entries``
        self.first_year, self.last_year = first_year, last_year
        self.lunar_dates = dict(lunar_dates or {})
        self._by_day = {e.day: e for e in self.entries}
        self._by_day.update((e.day, e) for e in self.added)
        self._off = frozenset(d for d, e in self._by_day.items() if e.kind == "day_off")
        self._work = frozenset(d for d, e in self._by_day.items() if e.kind == "workday")
        self._estimated: dict[int, frozenset[date]] = {}
        self._later: dict[tuple[date, int], date] = {}  # add_workdays' answers (a summary asks the same ones)

    def with_added(self, added: Iterable[CalendarEntry]) -> Calendar:
        """This calendar's entries with ``added`` instead of its own added ones."""
        return Calendar(self.entries, self.first_year, self.last_year, self.lunar_dates, added)

    def without_added(self) -> Calendar:
        """The calendar of the shipped entries alone."""
        return self.with_added(()) if self.added else self

    def key(self) -> list:
        """What the answers depend on besides the shipped data: the added days and their kinds."""
        return [[e.day.isoformat(), e.kind] for e in self.added]

    def shipped_entry(self, day: date) -> CalendarEntry | None:
        for e in self.entries:  # a few hundred: asked by a command, not per candidate
            if e.day == day:
                return e
        return None

    def added_entry(self, day: date) -> CalendarEntry | None:
        return next((e for e in self.added if e.day == day), None)

    def year_entries(self, year: int) -> list[CalendarEntry]:
        """Every entry of ``year``, shipped and added (both when an added one replaces a shipped one)."""
        return sorted((e for e in (*self.entries, *self.added) if e.day.year == year),
                      key=lambda e: (e.day, not e.shipped))

    def covers(self, year: int) -> bool:
        return self.first_year <= year <= self.last_year

    def entry(self, day: date) -> CalendarEntry | None:
        return self._by_day.get(day)

    def is_workday(self, day: date) -> bool:
        if day in self._work:
            return True
        if day.weekday() >= 5 or day in self._off:
            return False
        return self.covers(day.year) or day not in self.estimated_days_off(day.year)

    def estimated_days_off(self, year: int) -> frozenset[date]:
        """The weekdays off of a year outside the data, by the rules in the module docstring."""
        if year not in self._estimated:
            self._estimated[year] = frozenset(_estimate(year, self.lunar_dates.get(year)))
        return self._estimated[year]

    def add_workdays(self, start: date, count: int) -> date:
        """The date ``count`` working days after ``start`` (``start`` itself not counted)."""
        found = self._later.get((start, count))
        if found is None:
            day, left = start, count
            while left > 0:
                day += timedelta(days=1)
                if self.is_workday(day):
                    left -= 1
            found = self._later[(start, count)] = day
        return found

    def workdays_between(self, start: date, end: date) -> int:
        count = 0
        day = start
        while day < end:
            day += timedelta(days=1)
            if self.is_workday(day):
                count += 1
        return count


def _weekday_on_or_after(day: date, taken: set[date], step: int) -> date:
    while day.weekday() >= 5 or day in taken:
        day += timedelta(days=step)
    return day


def tet_days_off(new_year: date) -> list[date]:
    """Estimated weekdays off for Tết: the eve and the first four days of the year (five days);
    a Saturday among them moves back, a Sunday forward, to the nearest weekday not yet off."""
    days = [new_year + timedelta(days=n) for n in range(-1, 4)]
    taken = {d for d in days if d.weekday() < 5}
    for d in days:
        if d.weekday() >= 5:
            taken.add(_weekday_on_or_after(d, taken, -1 if d.weekday() == 5 else 1))
    return sorted(taken)


# The day next to 2/9 the Prime Minister picked in 2021–2026, by the weekday of 2/9 (Mon..Sun).
_NATIONAL_DAY_NEIGHBOUR = (+1, -1, -1, +1, -1, -1, +1)


def _estimate(year: int, lunar: tuple[date, date] | None) -> set[date]:
    national_day = date(year, 9, 2)
    fixed = [date(year, 1, 1), date(year, 4, 30), date(year, 5, 1), national_day,
             national_day + timedelta(days=_NATIONAL_DAY_NEIGHBOUR[national_day.weekday()])]
    if year >= 2026:
        fixed.append(date(year, 11, 24))
    off: set[date] = set()
    if lunar:
        off.update(tet_days_off(lunar[0]))
        fixed.append(lunar[1])
    for day in sorted(fixed):
        off.add(_weekday_on_or_after(day, off, 1))   # on a weekend (or taken): the next free weekday
    return off


def calendar_from_data(data: Mapping) -> Calendar:
    """A calendar from the JSON document of ``calendar_vn.json``."""
    lunar = {int(year): (date.fromisoformat(v["tet"]), date.fromisoformat(v["hung_kings"]))
             for year, v in data.get("lunar_dates", {}).items()}
    return Calendar((CalendarEntry.from_dict(raw) for raw in data["entries"]),
                    data["first_year"], data["last_year"], lunar)


@lru_cache(maxsize=1)
def shipped_fingerprint() -> str:
    """A short hash of the shipped data: summaries that keep due dates are remade when it changes."""
    return hashlib.sha256(DATA_FILE.read_bytes()).hexdigest()[:16]


@lru_cache(maxsize=1)
def official_calendar() -> Calendar:
    """The calendar shipped with ptdv (read on first use)."""
    return calendar_from_data(json.loads(DATA_FILE.read_text(encoding="utf-8")))


def is_workday(day: date) -> bool:
    return official_calendar().is_workday(day)


@lru_cache(maxsize=65536)
def add_workdays(start: date, count: int) -> date:
    """The date ``count`` working days after ``start`` (``start`` itself not counted)."""
    return official_calendar().add_workdays(start, count)


def workdays_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end <= start``)."""
    return official_calendar().workdays_between(start, end)


def add_months(start: date, months: int) -> date:
    """Same day ``months`` later, clamped to the month's end (31/01 + 1 month = 28 or 29/02)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    for day in (start.day, 30, 29, 28):
        try:
            return date(year, month, min(start.day, day))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def age_on(born: date, day: date) -> int:
    """Full years from ``born`` to ``day``."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
