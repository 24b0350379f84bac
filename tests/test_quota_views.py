"""db.quota's views for the screens: percent of plan, quarters against the plan, the funnel."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from db.model import STAGES
from db.quota import Figures, funnel, percent_of, quarters

FAST = settings(max_examples=80, deadline=None)


def test_percent_of_plan():
    assert percent_of(187, 750) == 24.9   # Ninh Thuận Q1 2024: 187 admitted of a 750 plan
    assert percent_of(12, 22) == 54.5
    assert percent_of(3, None) is None and percent_of(3, 0) is None


def test_quarters_cumulate_against_a_quarter_of_the_target_each():
    fig = Figures(unit=1, year=2024, target=22, by_quarter=[2, 0, 5, 1])
    # 22/4 = 5.5 -> 6, 11, 16.5 -> 17, 22: the plan's share by the end of each quarter, rounded up
    assert [(q.quarter, q.admitted, q.cumulative, q.plan) for q in quarters(fig)] == \
        [(1, 2, 2, 6), (2, 0, 2, 11), (3, 5, 7, 17), (4, 1, 8, 22)]
    assert [q.plan for q in quarters(Figures(unit=1, year=2024, by_quarter=[1, 0, 0, 0]))] == [None] * 4


def test_funnel_of_a_small_pipeline():
    steps = funnel({"source": 3, "class": 2, "dossier": 1, "decided": 1})
    assert [s.stage for s in steps] == list(STAGES)
    # 7 reached the source stage, 4 got past it to the class, 2 to the dossier, 1 beyond
    assert [s.reached for s in steps[:4]] == [7, 4, 2, 1]
    assert [s.conversion for s in steps[:4]] == [None, 57.1, 50.0, 50.0]
    assert steps[-2].reached == 0 and steps[-2].conversion == 0.0
    assert steps[-1].conversion is None  # nobody reached the stage before it


@given(st.lists(st.integers(0, 500), min_size=len(STAGES), max_size=len(STAGES)))
@FAST
def test_funnel_counts_narrow_and_conversions_are_shares(counts):
    steps = funnel(dict(zip(STAGES, counts)))
    assert [s.count for s in steps] == counts
    assert steps[0].reached == sum(counts)
    for before, after in zip(steps, steps[1:]):
        assert after.reached == before.reached - before.count
        if before.reached:
            assert after.conversion == round(100 * after.reached / before.reached, 1)
            assert 0 <= after.conversion <= 100
        else:
            assert after.conversion is None
