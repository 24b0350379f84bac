"""db.quota: rate targets, the roll-up over any tree, and proportional allocation."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from db.counts import count_candidates
from db.model import DEFAULT_LEVELS, STAGES, Candidate, Exit, Move, Quota, Settings, StageEntry, Unit
from db.quota import proportional_split, quarter_of, rate_target, rollup
from db.rules import is_overdue
from db.state import State

from conftest import TODAY

FAST = settings(max_examples=60, deadline=None)


# -- rate targets ------------------------------------------------------------------------
@pytest.mark.parametrize("rate, members, target", [
    (4, 1234, 50),       # 49.36 rounds up to a whole member
    (4, 1250, 50),       # exactly 50, never 51 from floating-point noise
    (0, 1234, 0),
    (3.5, 1000, 35),
    (0.1, 1000, 1),
    (4, 1, 1),           # any positive rate of a non-empty unit asks for at least one
    (100, 7, 7),
    (4, 0, 0),
])
def test_rate_target_rounds_up_to_a_whole_member(rate, members, target):
    assert rate_target(rate, members) == target


@FAST
@given(st.integers(0, 100), st.integers(0, 200_000))
def test_rate_target_is_the_smallest_whole_number_reaching_the_rate(rate, members):
    target = rate_target(rate, members)
    assert target * 100 >= rate * members
    assert (target - 1) * 100 < rate * members or target == 0


def test_quarters():
    assert [quarter_of(date(2024, m, 1)) for m in (1, 3, 4, 6, 7, 9, 10, 12)] == [1, 1, 2, 2, 3, 3, 4, 4]


# -- random trees -----------------------------------------------------------------------
DAY0 = date(2023, 1, 1)
LAST_DAY = (TODAY - DAY0).days


@st.composite
def states(draw) -> State:
    n_units = draw(st.integers(1, 12))
    units: dict[int, Unit] = {}
    for uid in range(1, n_units + 1):
        parent = None if uid == 1 else draw(st.integers(1, uid - 1))
        members = draw(st.dictionaries(st.sampled_from([2023, 2024]), st.integers(0, 2000), max_size=2))
        units[uid] = Unit(id=uid, name=f"Unit {uid}", level="branch", parent=parent, members=members)
    quotas: dict[tuple[int, int], Quota] = {}
    for uid in units:
        for year in (2023, 2024):
            kind = draw(st.sampled_from(["none", "target", "rate"]))
            if kind == "target":
                quotas[(uid, year)] = Quota(uid, year, target=draw(st.integers(0, 100)))
            elif kind == "rate":
                quotas[(uid, year)] = Quota(uid, year, rate=draw(st.sampled_from([0.0, 2.5, 3.0, 4.0])))
    candidates: dict[int, Candidate] = {}
    for cid in range(1, draw(st.integers(0, 25)) + 1):
        reached = draw(st.integers(1, len(STAGES)))
        offsets = sorted(draw(st.lists(st.integers(0, LAST_DAY), min_size=reached, max_size=reached)))
        history = tuple(StageEntry(stage, DAY0 + timedelta(days=o), "t", "") for stage, o in zip(STAGES, offsets))
        exit_ = None
        if draw(st.booleans()) and offsets[-1] < LAST_DAY:
            exit_day = DAY0 + timedelta(days=draw(st.integers(offsets[-1], LAST_DAY)))
            exit_ = Exit("withdrawn", "moved", exit_day, "t", "")
        candidates[cid] = Candidate(id=cid, unit=draw(st.integers(1, n_units)), name=f"C {cid}",
                                    history=history, exit=exit_)
    state = State(settings=Settings(), root=1, levels={lv.id: lv for lv in DEFAULT_LEVELS}, units=units,
                  quotas=quotas, candidates=candidates)
    return state


def _direct(state: State, uid: int, year: int):
    """What a unit's own candidates add: counted here from the records, without the roll-up."""
    cutoff = min(date(year, 12, 31), TODAY)
    admitted, by_quarter, by_stage = 0, [0, 0, 0, 0], dict.fromkeys(STAGES, 0)
    for cand in state.candidates.values():
        if cand.unit != uid:
            continue
        decided = cand.stage_date("decided")
        if decided is not None and decided.year == year and decided <= cutoff:
            admitted += 1
            by_quarter[(decided.month - 1) // 3] += 1
        live_on_cutoff = cand.exit is None or cand.exit.date > cutoff
        reached = [e.stage for e in cand.history if e.date <= cutoff]
        if live_on_cutoff and reached:
            by_stage[reached[-1]] += 1
    return admitted, by_quarter, by_stage


@FAST
@given(states(), st.sampled_from([2023, 2024]))
def test_a_parent_sums_its_children_and_its_own_candidates(state, year):
    figs = rollup(state, year, TODAY)
    assert set(figs) == set(state.units)
    for uid, fig in figs.items():
        kids = [figs[k] for k in state.children[uid]]
        admitted, by_quarter, by_stage = _direct(state, uid, year)
        assert fig.admitted == admitted + sum(k.admitted for k in kids)
        assert fig.by_quarter == [q + sum(k.by_quarter[i] for k in kids) for i, q in enumerate(by_quarter)]
        assert fig.by_stage == {s: n + sum(k.by_stage[s] for k in kids) for s, n in by_stage.items()}
        assert sum(fig.by_quarter) == fig.admitted
        own_overdue = sum(1 for c in state.candidates.values()
                          if c.unit == uid and c.live and year == TODAY.year and is_overdue(c, state.settings, TODAY))
        assert fig.overdue == own_overdue + sum(k.overdue for k in kids)


@FAST
@given(states(), st.sampled_from([2023, 2024]))
def test_the_top_unit_counts_every_decision_of_the_year(state, year):
    top = rollup(state, year, TODAY)[1]
    decided = [c.stage_date("decided") for c in state.candidates.values()]
    assert top.admitted == sum(1 for d in decided if d is not None and d.year == year)


@FAST
@given(states(), st.sampled_from([2023, 2024]))
def test_targets_members_forecast_and_allocation_gap(state, year):
    figs = rollup(state, year, TODAY)
    for uid, fig in figs.items():
        kids = [figs[k] for k in state.children[uid]]
        assert fig.forecast >= fig.admitted
        assert fig.pipeline >= 0
        own = state.units[uid].members.get(year)
        known = [k.members for k in kids if k.members is not None]
        assert fig.members == (own if own is not None else (sum(known) if known else None))
        quota = state.quotas.get((uid, year))
        if quota is None:
            assert fig.target is None
        elif quota.target is not None:
            assert fig.target == quota.target
        else:
            assert fig.target == (None if fig.members is None else rate_target(quota.rate, fig.members))
        if kids and fig.target is not None:
            assert fig.allocation_gap == fig.target - sum(k.target or 0 for k in kids)
            assert fig.children_without_target == sum(1 for k in kids if k.target is None)
        else:
            assert fig.allocation_gap is None


@FAST
@given(states())
def test_rollup_of_a_subtree_equals_the_same_units_in_the_whole_tree(state):
    whole = rollup(state, 2024, TODAY)
    for uid in state.units:
        part = rollup(state, 2024, TODAY, root=uid)
        assert set(part) == set(state.subtree(uid))
        assert part[uid].admitted == whole[uid].admitted
        assert part[uid].by_stage == whole[uid].by_stage


def test_forecast_counts_branch_vote_to_decision():
    history = tuple(StageEntry(s, date(2024, 1, 1) + timedelta(days=i), "t", "") for i, s in enumerate(STAGES[:6]))
    state = State(settings=Settings(), root=1, levels={}, units={1: Unit(1, "Chi bộ", "branch", None)}, quotas={},
                  candidates={1: Candidate(1, 1, "A", history=history[:5]),     # branch vote passed
                              2: Candidate(2, 1, "B", history=history),         # committee vote passed
                              3: Candidate(3, 1, "C", history=history[:4])})    # verified only
    fig = rollup(state, 2024, TODAY)[1]
    assert (fig.admitted, fig.forecast, fig.pipeline) == (0, 2, 3)


def test_percent_of_plan():
    state = State(settings=Settings(), root=1, levels={}, units={1: Unit(1, "Chi bộ", "branch", None)},
                  quotas={(1, 2024): Quota(1, 2024, target=3)}, candidates={
                      1: Candidate(1, 1, "A", history=tuple(StageEntry(s, date(2024, 3, 1), "t", "")
                                                            for s in STAGES[:7]))})
    assert rollup(state, 2024, TODAY)[1].percent == 33.3


# -- proportional split ---------------------------------------------------------------------
@FAST
@given(st.integers(0, 10_000), st.lists(st.integers(0, 5_000), min_size=1, max_size=12).filter(lambda w: sum(w) > 0))
def test_proportional_split_sums_to_the_total_and_is_proportional_within_one(total, weights):
    shares = proportional_split(total, weights)
    assert sum(shares) == total
    assert all(s >= 0 for s in shares)
    for share, weight in zip(shares, weights):
        assert abs(share * sum(weights) - total * weight) < sum(weights)   # |share - exact| < 1
        if weight == 0:
            assert share == 0


def test_proportional_split_by_hand():
    assert proportional_split(22, [45, 20]) == [15, 7]     # 15.23 and 6.77: the larger remainder gets the extra one
    assert proportional_split(10, [1, 1, 1]) == [4, 3, 3]  # equal remainders: the first unit gets it
    assert proportional_split(0, [3, 4]) == [0, 0]
    assert proportional_split(5, [0, 0]) == [0, 0]         # nothing to be proportional to


def _changed(cand: Candidate, how: str, other_unit: int) -> Candidate:
    """Another record of ``cand``: a stage taken back, a leaving, or a transfer after its last date."""
    last = max([e.date for e in cand.history] + ([cand.exit.date] if cand.exit else []))
    if how == "back" and len(cand.history) > 1:
        return replace(cand, history=cand.history[:-1], exit=None)
    if how == "leave" and cand.exit is None:
        return replace(cand, exit=Exit("withdrawn", "moved", last + timedelta(days=3), "t", ""))
    if how == "move" and cand.exit is None and other_unit != cand.unit:
        move = Move(last + timedelta(days=400), cand.unit, other_unit, "r", "t", "")
        return replace(cand, unit=other_unit, moves=(*cand.moves, move))
    return replace(cand, name=cand.name + " (sửa)")  # a new record, nothing counted changes


@FAST
@given(states(), st.data())
def test_counting_again_with_each_candidates_share_kept_gives_what_counting_afresh_gives(state, data):
    """A save counts a branch again looking only at the candidates whose record changed (db.counts.Shares):
    the counts are those of counting every candidate afresh, after transfers, leavings and stages taken back."""
    settings_ = Settings()
    shares: dict = {}
    candidates = list(state.candidates.values())
    for _ in range(3):
        assert count_candidates(candidates, settings_, shares) == count_candidates(candidates, settings_)
        picked = data.draw(st.sets(st.sampled_from(range(len(candidates))), max_size=5)) if candidates else set()
        candidates = [_changed(c, data.draw(st.sampled_from(["back", "leave", "move", "edit"])),
                               data.draw(st.sampled_from(sorted(state.units))))
                      if i in picked else c for i, c in enumerate(candidates)]
