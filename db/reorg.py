"""Changes of the organisation on a date (docs/HISTORY.md, "Changes"): merge, split, close and move units,
transfer a candidate.  Each function here is plain: it takes the read model (``State``) and the request,
checks it and returns the records to write (:class:`Plan`); ``db.service`` writes them in one audited
transaction.  Nothing is written here and nothing is rewritten: a unit that ends keeps its record (with
``ended``, ``end``, ``successors``), a unit that moves keeps its earlier parent, a candidate keeps its history
and gains a :class:`~db.model.Move`.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Callable, Iterable, Mapping

from .errors import PtdvError
from .model import Candidate, Move, Unit
from .state import State
from .text import clean_unit_name, fmt_date, fold, safe


@dataclass
class Plan:
    """What one change writes: new units (``added``), units changed (``units``: before, after) and candidates
    transferred (``candidates``: before, after), in the order they are to be written."""

    added: list[Unit] = field(default_factory=list)
    units: list[tuple[Unit, Unit]] = field(default_factory=list)
    candidates: list[tuple[Candidate, Candidate]] = field(default_factory=list)

    def change(self, before: Unit, after: Unit) -> None:
        self.units.append((before, replace(after, rev=before.rev + 1)))


# -- the dates a unit can change on -----------------------------------------------------------------
def last_change(unit: Unit) -> date | None:
    """The day of the unit's last dated change: the day it began or last moved."""
    days = [d for d in (unit.began, unit.earlier[-1][0] if unit.earlier else None) if d is not None]
    return max(days) if days else None


def check_day(day: date, today: date) -> None:
    """A change is recorded once it has happened: never for a day after today."""
    if day > today:
        raise PtdvError("stage.future_date", date=fmt_date(day), today=fmt_date(today))


def check_can_end(unit: Unit, on: date) -> None:
    """A unit ends on ``on``: it has not ended already and began before that day."""
    check_live(unit)
    if unit.began is not None and on <= unit.began:
        raise PtdvError("unit.date_before_began", unit=unit.name, date=fmt_date(on), began=fmt_date(unit.began))


def check_live(unit: Unit) -> None:
    if unit.ended is not None:
        raise PtdvError("unit.ended", unit=unit.name, date=fmt_date(unit.ended))


def check_can_move(unit: Unit, on: date) -> None:
    """A unit moves on ``on``: not before the day it began or last moved (its earlier parents stay in order)."""
    check_live(unit)
    last = last_change(unit)
    if last is not None and on < last:
        raise PtdvError("unit.date_before_change", unit=unit.name, date=fmt_date(on), last=fmt_date(last))


def reparent(unit: Unit, parent: int | None, on: date) -> Unit:
    """``unit`` under ``parent`` from ``on``; before that day under the parent it had (kept in ``earlier``).
    A unit that began on that day, or moves twice the same day, keeps no parent it had for no day."""
    if unit.parent == parent:
        return unit
    if (unit.began is not None and on <= unit.began) or (unit.earlier and unit.earlier[-1][0] == on):
        earlier = unit.earlier
        if earlier and earlier[-1][0] == on and earlier[-1][1] == parent:  # moved back the same day
            earlier = earlier[:-1]
        return replace(unit, parent=parent, earlier=earlier)
    return replace(unit, parent=parent, earlier=(*unit.earlier, (on, unit.parent)))


def check_parent(state: State, unit: Unit | None, parent: Unit, on: date) -> None:
    """``parent`` can take units on ``on``: it exists that day and now, and is not ``unit`` or below it."""
    if not state.on(on).exists(parent.id) or not state.exists(parent.id):
        raise PtdvError("unit.parent_not_there", parent=parent.name, date=fmt_date(on))
    if unit is not None and parent.id in state.subtree(unit.id):
        raise PtdvError("unit.move_into_itself", unit=unit.name, parent=parent.name)


def check_name_free(state: State, parent: int | None, name: str, leaving: Iterable[int] = ()) -> None:
    """A new unit's name differs from those of the units under ``parent`` that go on."""
    if parent is None:
        return
    gone = set(leaving)
    for kid in state.children.get(parent, []):
        if kid not in gone and fold(state.units[kid].name) == fold(name):
            raise PtdvError("unit.duplicate", name=name, parent=state.units[parent].name)


def move_children(state: State, plan: Plan, unit: Unit, target: int, on: date) -> None:
    """Every unit under ``unit`` goes under ``target`` on ``on``."""
    for kid in state.children.get(unit.id, []):
        before = state.units[kid]
        check_can_move(before, on)
        plan.change(before, reparent(before, target, on))


def live_candidates(state: State, uid: int) -> list[Candidate]:
    return sorted((c for c in state.source.of_units([uid]) if c.live and c.unit == uid), key=lambda c: c.id)


# -- candidates ----------------------------------------------------------------------------------
def check_transfer(cand: Candidate, on: date, today: date) -> None:
    """A candidate changes branch on ``on``: still in the pipeline, not in the future, not before what it last
    did where it is (a stage or a transfer)."""
    if not cand.live:
        raise PtdvError("candidate.exited", id=cand.id)
    check_day(on, today)
    if cand.history and on < cand.history[-1].date:
        last = cand.history[-1]
        raise PtdvError("candidate.move_before_stage", id=cand.id, name=cand.name, date=fmt_date(on),
                        stage=last.stage, stage_date=fmt_date(last.date))
    if cand.moves and on < cand.moves[-1].on:
        raise PtdvError("candidate.move_before_move", id=cand.id, name=cand.name, date=fmt_date(on),
                        last=fmt_date(cand.moves[-1].on))


def transfer(cand: Candidate, target: int, on: date, reason: str, by: str, at: str) -> Candidate:
    """``cand`` in branch ``target`` from ``on``: its history stays where it happened."""
    move = Move(on=on, source=cand.unit, target=target, reason=reason, by=by, at=at)
    return cand.with_(unit=target, moves=(*cand.moves, move), rev=cand.rev + 1)


def check_branch_on(state: State, unit: Unit, on: date) -> None:
    """A branch a candidate can go to on ``on``: one with no units under it that exists that day and now."""
    if not state.is_leaf(unit.id):
        raise PtdvError("candidate.not_a_branch", unit=unit.name)
    if not state.exists(unit.id) or not state.on(on).exists(unit.id):
        raise PtdvError("candidate.branch_not_there", unit=unit.name, date=fmt_date(on))


def move_candidate(state: State, cand: Candidate, target: Unit, on: date, reason: str, *, by: str, at: str,
                   today: date) -> Candidate:
    if target.id == cand.unit:
        raise PtdvError("candidate.same_branch", id=cand.id, name=cand.name, unit=target.name)
    check_transfer(cand, on, today)
    check_branch_on(state, target, on)
    return transfer(cand, target.id, on, reason, by, at)


# -- units ---------------------------------------------------------------------------------------
def move_unit(state: State, unit: Unit, parent: Unit, on: date, today: date) -> Unit:
    """``unit`` under ``parent`` from ``on`` (before that day it was under its old parent)."""
    check_day(on, today)
    check_can_move(unit, on)
    check_parent(state, unit, parent, on)
    return reparent(unit, parent.id, on)


def _not_root(state: State, unit: Unit) -> None:
    if unit.parent is None or unit.id == state.root:
        raise PtdvError("unit.is_root", unit=unit.name)


def merge(state: State, units: list[Unit], into: str | int, on: date, *, parent: Unit | None = None,
          across_levels: bool = False, new_id: Callable[[], int], today: date, by: str, at: str,
          reason: str = "") -> tuple[Unit, Plan]:
    """``units`` end on ``on``, merged into one: the one of them (or the unit under their parent) that ``into``
    names goes on, else a new unit named ``into`` begins that day under their common parent (or ``parent``).
    Their children move under it and the live candidates of merged branches are transferred to it.
    Returns the successor and what to write."""
    check_day(on, today)
    merged = list({u.id: u for u in units}.values())
    existing = _existing_successor(state, merged, into)
    everyone = merged if existing is None or existing in merged else [*merged, existing]
    if len(everyone) < 2:
        raise PtdvError("unit.merge_too_few")
    for unit in everyone:
        _not_root(state, unit)
        check_can_end(unit, on)
    levels = {u.level for u in everyone}
    if len(levels) > 1 and not across_levels:
        other = next(u for u in everyone if u.level != everyone[0].level)
        raise PtdvError("unit.merge_levels", unit=everyone[0].name, other=other.name)
    for unit in everyone:
        for other in everyone:
            if other.id != unit.id and other.id in state.subtree(unit.id):
                raise PtdvError("unit.merge_nested", unit=other.name, parent=unit.name)
    plan = Plan()
    ending = [u for u in everyone if existing is None or u.id != existing.id]
    if existing is None:
        home = parent.id if parent is not None else _common_parent(state, everyone)
        if parent is not None:
            check_parent(state, None, parent, on)
            for unit in everyone:
                if parent.id in state.subtree(unit.id):
                    raise PtdvError("unit.move_into_itself", unit=unit.name, parent=parent.name)
        name = clean_unit_name(into)
        check_name_free(state, home, name, leaving=[u.id for u in ending])
        level = min(levels, key=lambda lv: list(state.levels).index(lv) if lv in state.levels else len(state.levels))
        successor = Unit(id=new_id(), name=name, level=level, parent=home, began=on)
        plan.added.append(successor)
    else:
        successor = existing
        if parent is not None and parent.id != existing.parent:
            check_can_move(existing, on)
            check_parent(state, existing, parent, on)
            for unit in ending:
                if parent.id in state.subtree(unit.id):
                    raise PtdvError("unit.move_into_itself", unit=unit.name, parent=parent.name)
            plan.change(existing, reparent(existing, parent.id, on))
            successor = plan.units[-1][1]
    moving_kids = any(state.children.get(u.id) for u in ending) or not state.is_leaf(successor.id)
    transfers = [c for u in ending for c in live_candidates(state, u.id)]
    if moving_kids and (transfers or (existing is not None and live_candidates(state, existing.id))):
        raise PtdvError("candidate.not_a_branch", unit=successor.name)
    for unit in ending:
        move_children(state, plan, unit, successor.id, on)
        plan.change(unit, replace(unit, ended=on, end="merged", successors=(successor.id,)))
    for cand in transfers:
        check_transfer(cand, on, today)
        plan.candidates.append((cand, transfer(cand, successor.id, on, reason, by, at)))
    return successor, plan


def _existing_successor(state: State, merged: list[Unit], into: str | int) -> Unit | None:
    """The unit ``into`` names when it is one of ``merged`` (by id or name) or a unit beside them (by name);
    None when it names a new unit.  ``#12`` of a unit elsewhere is refused (a new unit is named by its name)."""
    text = str(into).strip()
    ident = text.lstrip("#")
    if ident.isdigit():
        uid = int(ident)
        for unit in merged:
            if unit.id == uid:
                return unit
        if uid in state.units:
            found = state.units[uid]
            if found.parent in {u.parent for u in merged}:
                return found
            raise PtdvError("unit.merge_into_elsewhere", unit=found.name)
        raise PtdvError("unit.not_found", ref=safe(text))
    found = _named(state, [u.id for u in merged], text)
    if found is None:
        beside = [k for p in {u.parent for u in merged} if p is not None for k in state.children.get(p, [])]
        found = _named(state, beside, text)
    return None if found is None else state.units[found]


def _named(state: State, units: list[int], text: str) -> int | None:
    """The one of ``units`` whose name is ``text`` (diacritics ignored), or ends with it in whole words."""
    wanted = fold(text)
    for match in (lambda name: name == wanted, lambda name: name.endswith(" " + wanted)):
        found = [k for k in units if wanted and match(fold(state.units[k].name))]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise PtdvError("unit.ambiguous", ref=safe(text), count=len(found),
                            matches="\n".join(f"#{k} {state.path(k)}" for k in found))
    return None


def _common_parent(state: State, units: list[Unit]) -> int | None:
    parents = {u.parent for u in units}
    if len(parents) != 1:
        raise PtdvError("unit.merge_no_common_parent",
                        parents=", ".join(sorted({state.units[p].name for p in parents if p in state.units})))
    return parents.pop()


def pick_child(state: State, children: list[int], ref: str) -> int:
    """One of ``children`` named by id or by name (diacritics ignored: the whole name, else its end)."""
    text = str(ref).strip()
    ident = text.lstrip("#")
    if ident.isdigit() and int(ident) in children:
        return int(ident)
    wanted = fold(text)
    for match in (lambda name: name == wanted, lambda name: name.endswith(" " + wanted),
                  lambda name: f" {wanted} " in f" {name} "):
        found = [k for k in children if wanted and match(fold(state.units[k].name))]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise PtdvError("unit.ambiguous", ref=safe(text), count=len(found),
                            matches="\n".join(f"#{k} {state.path(k)}" for k in found))
    raise PtdvError("unit.split_not_a_child", ref=safe(text))


def split(state: State, unit: Unit, names: list[str], assign: Mapping[str, str], on: date, *,
          new_id: Callable[[], int], today: date, by: str, at: str, reason: str = "") -> tuple[list[Unit], Plan]:
    """``unit`` ends on ``on``, split into new units named ``names`` beside it; each of its children (for a
    branch: each of its live candidates, by id) goes to the unit ``assign`` names for it.  Every one must be
    assigned.  Returns the new units and what to write."""
    check_day(on, today)
    _not_root(state, unit)
    check_can_end(unit, on)
    clean = [clean_unit_name(n) for n in names]
    if len({fold(n) for n in clean}) < 2 or len({fold(n) for n in clean}) != len(clean):
        raise PtdvError("unit.split_too_few")
    for name in clean:
        check_name_free(state, unit.parent, name, leaving=[unit.id])
    by_name = {fold(n): i for i, n in enumerate(clean)}
    kids = list(state.children.get(unit.id, []))
    cands = [] if kids else live_candidates(state, unit.id)
    targets: dict[int, int] = {}
    for ref, target in assign.items():
        index = by_name.get(fold(str(target)))
        if index is None:
            raise PtdvError("unit.split_unknown_target", target=safe(str(target)), names=", ".join(clean))
        if kids:
            key = pick_child(state, kids, ref)
        else:
            ident = str(ref).strip().lstrip("#")
            key = int(ident) if ident.isdigit() else -1
            if key not in {c.id for c in cands}:
                raise PtdvError("unit.split_not_a_candidate", ref=safe(str(ref)), unit=unit.name)
        targets[key] = index
    if kids:
        left = [state.units[k].name for k in kids if k not in targets]
    else:
        left = [f"#{c.id} {c.name}" for c in cands if c.id not in targets]
    if left:
        raise PtdvError("unit.split_unassigned", unit=unit.name, count=len(left), left=", ".join(left))
    plan = Plan()
    new = [Unit(id=new_id(), name=name, level=unit.level, parent=unit.parent, began=on) for name in clean]
    plan.added.extend(new)
    for kid in kids:
        before = state.units[kid]
        check_can_move(before, on)
        plan.change(before, reparent(before, new[targets[kid]].id, on))
    for cand in cands:
        check_transfer(cand, on, today)
        plan.candidates.append((cand, transfer(cand, new[targets[cand.id]].id, on, reason, by, at)))
    plan.change(unit, replace(unit, ended=on, end="split", successors=tuple(u.id for u in new)))
    return new, plan


def close(state: State, unit: Unit, on: date, children_to: Unit | None = None, *, today: date) -> tuple[Unit, Plan]:
    """``unit`` ends on ``on`` (dissolved); its children move up to its parent (or ``children_to``) that day.
    A branch with candidates in the pipeline is refused: they are transferred first.  Returns the unit that
    takes the children and what to write."""
    check_day(on, today)
    _not_root(state, unit)
    check_can_end(unit, on)
    cands = live_candidates(state, unit.id)
    if cands:
        raise PtdvError("unit.close_has_candidates", unit=unit.name, count=len(cands),
                        names=", ".join(f"#{c.id} {c.name}" for c in cands[:10]))
    target = children_to if children_to is not None else state.units[unit.parent]
    check_parent(state, unit, target, on)
    plan = Plan()
    move_children(state, plan, unit, target.id, on)
    plan.change(unit, replace(unit, ended=on, end="dissolved", successors=()))
    return target, plan
