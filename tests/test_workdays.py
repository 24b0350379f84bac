"""db.workdays: working days skip weekends and Vietnamese public holidays (Tết, 30/4–1/5, 2/9)."""
from __future__ import annotations

from datetime import date, timedelta

import holidays
import pytest

from db.workdays import add_months, add_workdays, is_workday, workdays_between


def _days_off(*years: int) -> set[date]:
    return set(holidays.country_holidays("VN", years=list(years)).keys())


def _count_forward(start: date, count: int) -> date:
    """Walk the calendar one day at a time, counting Monday–Friday days that are not in the holiday list."""
    off = _days_off(start.year, start.year + 1, start.year + 2)
    day = start
    while count:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in off:
            count -= 1
    return day


def test_the_holiday_list_has_the_tet_days_the_expectations_below_rely_on():
    off = _days_off(2024, 2025)
    assert {date(2024, 2, d) for d in range(8, 15)} <= off                      # Tết 2024: 8–14/02
    assert {date(2025, 1, d) for d in range(27, 32)} | {date(2025, 2, 1)} <= off  # Tết 2025: 27/01–01/02
    assert {date(2024, 4, 30), date(2024, 5, 1), date(2024, 9, 2), date(2025, 4, 30), date(2025, 5, 1),
            date(2025, 9, 2)} <= off


@pytest.mark.parametrize("start, count, expected", [
    # Wed 07/02/2024, then Tết 8–14/02 (with the weekend inside it): the next working day is Thu 15/02.
    (date(2024, 2, 7), 1, date(2024, 2, 15)),
    # Mon 05/02/2024 + 5: Tue 6, Wed 7, (Tết) Thu 15, Fri 16, Mon 19.
    (date(2024, 2, 5), 5, date(2024, 2, 19)),
    # Fri 24/01/2025: weekend, Tết 27–31/01, Sat 1 and Sun 2/02: the next working day is Mon 03/02.
    (date(2025, 1, 24), 1, date(2025, 2, 3)),
    # Fri 26/04/2024: weekend, 29/04 (day off), 30/04, 01/05: next is Thu 02/05.
    (date(2024, 4, 26), 1, date(2024, 5, 2)),
    # Tue 29/04/2025: 30/04, 01/05, 02/05 (day off), weekend: next is Mon 05/05.
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
    (date(2024, 4, 10), 30),    # across Hùng Kings, 30/4, 1/5
    (date(2025, 8, 1), 30),     # across 2/9
    (date(2024, 11, 15), 0),
])
def test_add_workdays_matches_a_walk_over_the_holiday_list(start, count):
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


@pytest.mark.parametrize("start, count", [(date(2024, 2, 1), 10), (date(2024, 12, 27), 45), (date(2025, 4, 25), 3)])
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
