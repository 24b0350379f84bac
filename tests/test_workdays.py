"""db.workdays: working days are the official calendar of state bodies shipped as data (db/calendar_vn.json):
weekends and holidays (Tết, Hùng Kings, 30/4–1/5, 2/9, …) off, the make-up Saturdays of swapped days worked."""
from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from datetime import date, timedelta
from pathlib import Path

import pytest

from db.workdays import (DATA_FILE, Calendar, CalendarEntry, add_months, add_workdays, is_workday,
                         official_calendar, tet_days_off, workdays_between)

ROOT = Path(__file__).resolve().parent.parent


def _data() -> dict:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def _days_off(*years: int) -> set[date]:
    """The days off listed in the data file for these years, read without db.workdays."""
    return {date.fromisoformat(e["date"]) for e in _data()["entries"]
            if e["kind"] == "day_off" and int(e["date"][:4]) in years}


def _make_up_days() -> set[date]:
    return {date.fromisoformat(e["date"]) for e in _data()["entries"] if e["kind"] == "workday"}


def _count_forward(start: date, count: int) -> date:
    """Walk the calendar one day at a time: Monday–Friday days not listed off, and listed make-up days."""
    off, work = _days_off(start.year, start.year + 1, start.year + 2), _make_up_days()
    day = start
    while count:
        day += timedelta(days=1)
        if day in work or (day.weekday() < 5 and day not in off):
            count -= 1
    return day


def test_the_holiday_list_has_the_tet_days_the_expectations_below_rely_on():
    off = _days_off(2024, 2025)
    assert {date(2024, 2, d) for d in (8, 9, 12, 13, 14)} <= off               # Tết 2024: 8–14/02
    assert {date(2025, 1, d) for d in range(27, 32)} <= off                    # Tết 2025: 27/01–31/01
    assert {date(2024, 4, 30), date(2024, 5, 1), date(2024, 9, 2), date(2025, 4, 30), date(2025, 5, 1),
            date(2025, 9, 2)} <= off


@pytest.mark.parametrize("start, count, expected", [
    # Wed 07/02/2024, then Tết 8–14/02 (with the weekend inside it): the next working day is Thu 15/02.
    (date(2024, 2, 7), 1, date(2024, 2, 15)),
    # Mon 05/02/2024 + 5: Tue 6, Wed 7, (Tết) Thu 15, Fri 16, Mon 19.
    (date(2024, 2, 5), 5, date(2024, 2, 19)),
    # Fri 24/01/2025: weekend, Tết 27–31/01, Sat 1 and Sun 2/02: the next working day is Mon 03/02.
    (date(2025, 1, 24), 1, date(2025, 2, 3)),
    # Fri 26/04/2024: weekend, 29/04 (day off, swapped), 30/04, 01/05: next is Thu 02/05.
    (date(2024, 4, 26), 1, date(2024, 5, 2)),
    # Tue 29/04/2025: 30/04, 01/05, 02/05 (day off, swapped), weekend: next is Mon 05/05.
    (date(2025, 4, 29), 1, date(2025, 5, 5)),
    # Fri 30/08/2024: weekend, 2 and 3/09: next is Wed 04/09.
    (date(2024, 8, 30), 1, date(2024, 9, 4)),
    # Fri 29/08/2025: weekend, 1 and 2/09: next is Wed 03/09.
    (date(2025, 8, 29), 1, date(2025, 9, 3)),
    # An ordinary week: Fri 15/11/2024 + 5 = Fri 22/11/2024.
    (date(2024, 11, 15), 5, date(2024, 11, 22)),
])
def test_add_workdays_by_hand(start, count, expected):
    assert add_workdays(start, count) == expected


@pytest.mark.parametrize("start, count", [
    (date(2024, 12, 20), 60),   # a branch vote before New Year: the 60 days run across Tết 2025
    (date(2025, 1, 10), 30),
    (date(2024, 1, 15), 60),    # across Tết 2024
    (date(2024, 4, 10), 30),    # across Hùng Kings, 30/4, 1/5 and the make-up Saturday 04/05/2024
    (date(2025, 8, 1), 30),     # across 2/9
    (date(2025, 3, 20), 60),    # across the make-up Saturday 26/04/2025
    (date(2025, 12, 15), 30),   # across 02/01/2026 off and Saturday 10/01/2026 worked
    (date(2026, 7, 15), 60),    # across Saturday 22/08/2026 worked and 31/08/2026 off
    (date(2024, 11, 15), 0),
])
def test_add_workdays_matches_a_walk_over_the_data_file(start, count):
    assert add_workdays(start, count) == _count_forward(start, count)


def test_sixty_workdays_across_tet_take_longer_than_twelve_weeks():
    # 60 working days are 12 weeks without holidays; across Tết 2025 (5 weekday holidays) and New Year (1)
    # they end 6 working days later.
    start = date(2024, 12, 20)
    end = add_workdays(start, 60)
    assert end > start + timedelta(weeks=12)
    assert end == add_workdays(start + timedelta(weeks=12), 6)


def test_result_is_always_a_working_day():
    day = date(2024, 1, 1)
    for _ in range(400):
        assert is_workday(add_workdays(day, 1))
        day += timedelta(days=1)


def test_holidays_and_weekends_are_not_workdays():
    assert not is_workday(date(2025, 1, 29))   # Tết, a Wednesday
    assert not is_workday(date(2024, 9, 2))    # National Day, a Monday
    assert not is_workday(date(2024, 11, 16))  # a Saturday
    assert is_workday(date(2024, 11, 15))      # a Friday


@pytest.mark.parametrize("start, count", [(date(2024, 2, 1), 10), (date(2024, 12, 27), 45), (date(2025, 4, 25), 3),
                                          (date(2025, 12, 31), 6), (date(2027, 12, 1), 60)])
def test_workdays_between_is_the_inverse_of_add_workdays(start, count):
    assert workdays_between(start, add_workdays(start, count)) == count


def test_workdays_between_counts_nothing_backwards():
    assert workdays_between(date(2024, 11, 15), date(2024, 11, 1)) == 0
    assert workdays_between(date(2024, 11, 15), date(2024, 11, 15)) == 0


@pytest.mark.parametrize("start, months, expected", [
    (date(2024, 1, 31), 1, date(2024, 2, 29)),     # leap year
    (date(2025, 1, 31), 1, date(2025, 2, 28)),
    (date(2024, 3, 31), 1, date(2024, 4, 30)),
    (date(2024, 12, 31), 2, date(2025, 2, 28)),
    (date(2024, 2, 29), 12, date(2025, 2, 28)),
    (date(2024, 11, 15), 60, date(2029, 11, 15)),
    (date(2024, 3, 31), -1, date(2024, 2, 29)),
    (date(2024, 1, 15), -13, date(2022, 12, 15)),
])
def test_add_months_clamps_to_the_end_of_the_month(start, months, expected):
    assert add_months(start, months) == expected


# --- the official calendar: swaps and make-up days (issue 10) --------------------------------------------------

@pytest.mark.parametrize("start, count, expected", [
    # Branch vote Wed 15/07/2026 + 60: Jul 16–17, 20–24, 27–31 (12); Aug 3–7, 10–14, 17–21 (27), Sat 22/08 worked
    # (28), 24–28 (33); Mon 31/08 (swapped), 1 and 2/09 off; Sep 3–4 (35), 7–11, 14–18, 21–25, 28/09–02/10 (55);
    # Oct 5–9 (60): Fri 09/10/2026. Without the make-up Saturday: Mon 12/10.
    (date(2026, 7, 15), 60, date(2026, 10, 9)),
    # Fri 21/08/2026 + 1: the make-up Saturday 22/08/2026.
    (date(2026, 8, 21), 1, date(2026, 8, 22)),
    # Fri 28/08/2026 + 1: weekend, Mon 31/08 (swapped for 22/08), 1/09 and 2/09 (National Day): Thu 03/09.
    (date(2026, 8, 28), 1, date(2026, 9, 3)),
    # Fri 26/04/2024 + 5: Mon 29/04 (swapped), 30/04, 01/05 off; Thu 2 (1), Fri 3 (2), Sat 04/05 worked (3),
    # Mon 6 (4), Tue 7 (5): Tue 07/05/2024 (not Wed 08/05).
    (date(2024, 4, 26), 5, date(2024, 5, 7)),
    # Fri 25/04/2025 + 3: Sat 26/04 worked (1), Mon 28 (2), Tue 29 (3): Tue 29/04/2025 (not Mon 05/05, after
    # 30/04, 01/05 and Fri 02/05 off).
    (date(2025, 4, 25), 3, date(2025, 4, 29)),
    # Thu 20/03/2025 + 30: Mar 21, 24–28, 31–Apr 4 (11); Mon 07/04 Hùng Kings; Apr 8–11 (15), 14–18, 21–25 (25),
    # Sat 26/04 worked (26), Mon 28 (27), Tue 29 (28); 30/04, 01/05, 02/05 off; Mon 05/05 (29), Tue 06/05 (30).
    (date(2025, 3, 20), 30, date(2025, 5, 6)),
    # Wed 31/12/2025 + 1: Thu 01/01 and Fri 02/01/2026 off, weekend: Mon 05/01/2026 (not Fri 02/01).
    (date(2025, 12, 31), 1, date(2026, 1, 5)),
    # Wed 31/12/2025 + 6: Mon 5 … Fri 9 (5), Sat 10/01/2026 worked (6): Sat 10/01/2026.
    (date(2025, 12, 31), 6, date(2026, 1, 10)),
    # Mon 23/11/2026 + 1: Tue 24/11/2026 is Vietnamese Culture Day: Wed 25/11.
    (date(2026, 11, 23), 1, date(2026, 11, 25)),
])
def test_due_dates_follow_the_official_calendar(start, count, expected):
    assert add_workdays(start, count) == expected
    assert workdays_between(start, expected) == count


def test_the_make_up_saturdays_are_working_days():
    for day in (date(2024, 5, 4), date(2025, 4, 26), date(2026, 1, 10), date(2026, 8, 22)):
        assert day.weekday() == 5
        assert is_workday(day), day
    assert not is_workday(date(2026, 1, 17))   # an ordinary Saturday stays off
    # Every workday entry of the data is a weekend day, and a working day.
    made_up = [e for e in official_calendar().entries if e.kind == "workday"]
    assert made_up and all(e.day.weekday() >= 5 and is_workday(e.day) for e in made_up)


def test_the_swapped_weekdays_are_days_off():
    assert not is_workday(date(2026, 1, 2))    # Fri 02/01/2026, made up on Sat 10/01/2026
    assert not is_workday(date(2026, 8, 31))   # Mon 31/08/2026, made up on Sat 22/08/2026
    assert not is_workday(date(2025, 5, 2))    # Fri 02/05/2025, made up on Sat 26/04/2025
    assert not is_workday(date(2024, 4, 29))   # Mon 29/04/2024, made up on Sat 04/05/2024


def test_every_entry_has_labels_and_a_source():
    data = _data()
    assert (data["first_year"], data["last_year"]) == (2020, 2027)
    for raw in data["entries"]:
        entry = CalendarEntry.from_dict(raw)             # a known kind and an ISO date
        assert entry.label_vi.strip() and entry.label_en.strip(), raw
        assert entry.source.strip(), raw
        if entry.source.startswith("source not found"):
            assert entry.note.strip(), raw               # then it says what the day rests on
        else:
            assert any(word in entry.source for word in ("Bộ luật Lao động", "/VPCP-KGVX", "/TB-", "-NQ/TW")), raw
    days = [raw["date"] for raw in data["entries"]]
    assert len(days) == len(set(days)) == len(official_calendar().entries)


@pytest.mark.parametrize("year", range(2020, 2028))
def test_each_year_gives_the_labour_codes_paid_holidays_on_working_days(year):
    # Labour Code art. 112: 1/1, Tết 5 days, Hùng Kings, 30/4, 1/5, 2/9 (+ one day from 2021): 10 days in 2020,
    # 11 from 2021, 12 with 24/11 from 2026. A holiday on a weekend moves to a weekday (art. 111(3)) and a swap
    # trades a weekday for a Saturday, so the weekdays off less the make-up days are exactly that many.
    expected = 10 if year == 2020 else 12 if year >= 2026 else 11
    weekdays_off = {d for d in _days_off(year) if d.weekday() < 5}
    made_up = {d for d in _make_up_days() if d.year == year}
    assert len(weekdays_off) - len(made_up) == expected
    for fixed in (date(year, 1, 1), date(year, 4, 30), date(year, 5, 1), date(year, 9, 2)):
        assert fixed in _days_off(year)


def test_the_tet_estimate_for_later_years_reproduces_the_announced_ones():
    calendar = official_calendar()
    for year in range(2020, 2027):
        new_year = calendar.lunar_dates[year][0]
        announced = {e.day for e in calendar.entries if e.label_en.startswith("Lunar New Year") and e.day.year == year}
        assert set(tet_days_off(new_year)) == announced, year


def test_a_year_after_the_data_is_estimated_with_tet_and_the_fixed_holidays():
    # 2028: Tết (mùng 1) Wed 26/01: the eve Tue 25, 26, 27, Fri 28, and Sat 29 moved back to Mon 24.
    assert [d for d in (date(2028, 1, n) for n in range(24, 29)) if is_workday(d)] == []
    assert is_workday(date(2028, 1, 31))
    assert not is_workday(date(2028, 1, 3))    # 1/1/2028 is a Saturday: Monday off
    assert not is_workday(date(2028, 4, 4))    # Hùng Kings, 10/3 lunar
    # 30/4 is a Sunday: Mon 1/5 (a holiday itself) and Tue 2/5 off.
    assert not is_workday(date(2028, 5, 1)) and not is_workday(date(2028, 5, 2)) and is_workday(date(2028, 5, 3))
    # Fri 31/12/2027 + 30: Mon 3/01 off; Jan 4–7 (4), 10–14, 17–21 (14); Tết 24–28 off; Mon 31/01 (15);
    # Feb 1–4 (19), 7–11, 14–18 (29), Mon 21/02/2028 (30).
    assert add_workdays(date(2027, 12, 31), 30) == date(2028, 2, 21)


def test_a_calendar_built_from_other_entries():
    # A calendar is its entries: one more day off moves a due date, a make-up Sunday brings it back.
    extra = CalendarEntry(date(2024, 11, 18), "day_off", "Nghỉ thêm", "Extra day off", "test")
    calendar = Calendar(official_calendar().entries + (extra,), 2020, 2027)
    assert calendar.add_workdays(date(2024, 11, 15), 5) == date(2024, 11, 25)
    assert add_workdays(date(2024, 11, 15), 5) == date(2024, 11, 22)
    sunday = CalendarEntry(date(2024, 11, 17), "workday", "Làm bù", "Make-up day", "test")
    assert Calendar(calendar.entries + (sunday,), 2020, 2027).add_workdays(date(2024, 11, 15), 5) == date(2024, 11, 22)
    with pytest.raises(ValueError):
        CalendarEntry(date(2024, 11, 17), "holiday", "x", "x", "x")


def test_the_dates_do_not_depend_on_the_holidays_package():
    # ptdv with no `holidays` importable (as on a machine that never installed it) gives the same dates.
    code = ("import sys; sys.modules['holidays'] = None\n"
            "from datetime import date\n"
            "from db.workdays import add_workdays, is_workday\n"
            "print(add_workdays(date(2026, 7, 15), 60), add_workdays(date(2025, 12, 31), 1), is_workday(date(2026, 8, 22)))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["2026-10-09", "2026-01-05", "True"]


def test_the_package_ships_the_calendar_and_needs_no_holidays_package():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "calendar_vn.json" in project["tool"]["setuptools"]["package-data"]["db"]
    assert not any(dep.startswith("holidays") for dep in project["project"]["dependencies"])
