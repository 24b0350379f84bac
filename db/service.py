"""The operations staff perform, for every front end: validate, apply through the store, audit.

A ``Service`` is bound to one store, one person (the OS account) and a "today" that tests
may fix.  Reads return records and figures; writes return the new record.
"""
from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, timedelta
from itertools import repeat
from operator import itemgetter
from typing import Iterable, Mapping

from . import access
from . import calendar_store
from . import documents
from . import quota as quota_math
from . import lineage as lineage_math
from . import papers as papers_mod
from . import reorg
from . import rules
from . import transfer
from .cells import AT
from .errors import PtdvError
from .i18n import LANGS, t
from .identity import Caller
from .report import Period, Report, build_report
from .model import (DEFAULT_LEVELS, EDITABLE_FIELDS, EDUCATION, GENDERS, LEFT_REASONS, MULTILINE_FIELDS, OCCUPATIONS,
                    PERSON_FIELDS, STAGES, TAGS, Candidate, Exit, Paper, Quota, Readmission, StageEntry, Unit)
from .state import State, walk
from .store import Store
from .text import (NAME_LIMIT, NOTES_LIMIT, clean_name, clean_person_name, clean_text, clean_unit_name, fmt_date,
                   fold, parse_count, parse_date, parse_rate, safe)


def short_labels(state: State, units: list[Unit]) -> dict[str, int]:
    """Units by a short label: the name, or ``parent/name`` (else the path) when names repeat; ``#id path`` when
    even paths do."""
    left = list(units)
    out: dict[str, int] = {}
    for style in (lambda u: u.name,
                  lambda u: f"{state.units[u.parent].name}/{u.name}" if u.parent in state.units else u.name,
                  lambda u: state.path(u.id)):
        labels = {u.id: style(u) for u in left}
        counts = Counter(label.casefold() for label in [*labels.values(), *out])
        for u in list(left):
            if counts[labels[u.id].casefold()] == 1:
                out[labels[u.id]] = u.id
                left.remove(u)
    for u in left:
        out[f"#{u.id} {state.path(u.id)}"] = u.id
    return out


@dataclass(frozen=True)
class DueItem:
    candidate: Candidate
    finding: rules.Finding
    moved: calendar_store.Moved | None = None  # the days added to the calendar moved its due date


def _choice(value: str | None, options: Iterable[str], key: str) -> str | None:
    if value in (None, ""):
        return None
    if value not in options:
        raise PtdvError(key, value=safe(str(value)), options=", ".join(options))
    return value


class Service:
    """The domain's operations, for one account: ``caller`` when a service acts for another process (the
    kernel named it), else the process's own account (the store's)."""

    def __init__(self, store: Store, *, caller: Caller | None = None, today: date | None = None) -> None:
        self.store = store
        self.caller = caller
        self._today = today

    @property
    def user(self) -> str:
        return self.caller.account if self.caller else self.store.user

    def today(self) -> date:
        return self._today or date.today()

    def state(self) -> State:
        """The read model, for a user of the store only (figures of every unit are theirs to see)."""
        state = self.store.state()
        access.require(state, self.user, None, None)
        return state

    def _require(self, action: str, unit_id: int, state: State | None = None) -> access.User:
        """The current user when their role at ``unit_id`` allows ``action``; else an error saying
        what is missing."""
        return access.require(state or self.store.state(), self.user, action, unit_id)

    def _require_candidate(self, action: str, cand: Candidate, state: State) -> access.User:
        """As :meth:`_require` at the candidate's unit; but a candidate in no unit the user covers is refused
        naming only its id: where it is would tell someone outside where a person stands in the pipeline
        (an editor trying ids one by one would map the city)."""
        user = access.require(state, self.user, None, None)
        if not access.covers(state, user.units, cand.unit):
            raise access.AccessError("access.candidate_outside", id=cand.id)
        return self._require(action, cand.unit, state)

    # -- access: users, roles, scopes ---------------------------------------------------------
    def whoami(self) -> access.User:
        return access.require(self.store.state(), self.user, None, None)

    def allows(self, action: str, unit_id: int) -> bool:
        """Whether the current user may do ``action`` at ``unit_id`` (to offer or hide a key)."""
        try:
            self._require(action, unit_id)
        except access.AccessError:
            return False
        return True

    def readable_units(self, unit_id: int) -> list[int]:
        """The units under ``unit_id`` (itself included) whose candidates the user may read;
        refused, naming the units they do cover, when there are none (:meth:`check_open`)."""
        self.check_open(unit_id)
        return access.scope_under(self.state(), self.whoami().units, unit_id)

    def check_open(self, unit_id: int) -> None:
        """Refuse to open a unit's screen when the user covers neither it nor anything below it, without walking
        the tree under it (:func:`access.reaches`)."""
        state = self.state()
        if not access.reaches(state, self.whoami().units, unit_id):
            self._require(access.READ, unit_id, state)  # not covered: raises "no role at …"

    def home_unit(self) -> Unit:
        """Where the app opens: the top unit for its admins, else the unit above all the user covers."""
        state = self.state()
        return state.unit(access.home(state, self.whoami().units))

    def search_candidates(self, query: str, limit: int = 50) -> list:
        """Candidates by name (see ``State.search_candidates``), only those the user may read."""
        state = self.state()
        return state.search_candidates(query, limit, self._readable_everywhere(state))

    def _readable_everywhere(self, state: State) -> set[int] | None:
        """The units whose candidates the user may read, in the whole tree; None when that is every unit (they
        cover the top unit: nothing to walk)."""
        if access.covers(state, self.whoami().units, state.root):
            return None
        return set(self.readable_units(state.root))

    def users(self) -> list[access.User]:
        self.state()
        return sorted(self.store.state().users.values(), key=lambda u: u.account)

    def add_user(self, account: str, unit_ref: str | int, role: str) -> access.User:
        """Give ``account`` the role ``role`` and add ``unit_ref`` to the units it covers (admin only)."""
        account, role = access.check_account(account), access.check_role(role)
        with self.store.transaction(by=self.user) as tx:
            unit = tx.state.resolve_unit(unit_ref)
            self._require(access.USERS, unit.id, tx.state)
            before = tx.state.users.get(account)
            units = before.units if before else ()
            user = access.User(account, role, units if unit.id in units else (*units, unit.id))
            self._save_users(tx, {**tx.state.users, account: user})
            tx.audit("user.add", f"user:{account}", unit.id, before.to_doc() if before else None, user.to_doc())
        return user

    def remove_user(self, account: str, unit_ref: str | int | None = None) -> access.User | None:
        """Take ``unit_ref`` (or every unit) from ``account``; returns what it keeps, None when nothing."""
        with self.store.transaction(by=self.user) as tx:
            state = tx.state
            before = state.users.get(str(account).strip())
            if before is None:
                raise PtdvError("access.not_a_user", account=safe(str(account)))
            if unit_ref in (None, ""):
                removed = list(before.units)
            else:
                unit = state.resolve_unit(unit_ref)
                if unit.id not in before.units:
                    raise PtdvError("access.not_at_unit", account=before.account, unit=unit.name,
                                    units=access.unit_names(state, before.units))
                removed = [unit.id]
            for uid in removed:
                self._require(access.USERS, uid, state)
            kept = tuple(u for u in before.units if u not in removed)
            user = access.User(before.account, before.role, kept) if kept else None
            users = {k: v for k, v in state.users.items() if k != before.account}
            self._save_users(tx, {**users, before.account: user} if user else users)
            tx.audit("user.remove", f"user:{before.account}", removed[0] if removed else None, before.to_doc(),
                     user.to_doc() if user else None)
        return user

    @staticmethod
    def _save_users(tx, users: dict[str, access.User]) -> None:
        """Write the whole users table, refusing a change that would leave the store without an admin."""
        if not any(u.role == "admin" and tx.state.root in u.units for u in users.values()):
            raise PtdvError("access.last_admin", unit=tx.state.unit(tx.state.root).name)
        tx.set_users(sorted(users.values(), key=lambda u: u.account))

    # -- store --------------------------------------------------------------------------
    def init(self, root_name: str, *, members: int | None = None, year: int | None = None,
             level: str | None = None) -> Unit:
        """Create the store with its top unit (the account doing it becomes its first admin), of the first
        level unless ``level`` says another (a store for one ward: ``grassroots``)."""
        name = clean_unit_name(root_name)
        levels = [lv.id for lv in DEFAULT_LEVELS]
        if level is not None and level not in levels:
            raise PtdvError("unit.unknown_level", level=safe(str(level)), levels=", ".join(levels))
        self.store.create()
        with self.store.transaction(by=self.user) as tx:
            unit = Unit(id=tx.new_unit_id(), name=name, level=level or levels[0], parent=None,
                        members={} if members is None else {year or self.today().year: members})
            tx.put_unit(unit)
            tx.set_root(unit.id)  # created by the write's account: a service's caller
            tx.set_users([access.User(self.user, "admin", (unit.id,))])
            tx.audit("store.init", f"unit:{unit.id}", unit.id, None, unit.to_doc())
        return unit

    # -- units --------------------------------------------------------------------------
    def resolve_unit(self, ref: str | int, year: int | None = None) -> Unit:
        """A unit by id, path or name; a name shared by units of different times names the one existing on
        ``year``'s view day (without a year: the one that has not ended)."""
        return (self.state() if year is None else self.tree(year)).resolve_unit(ref)

    def root(self) -> Unit:
        state = self.state()
        if state.root is None:
            raise PtdvError("store.no_root", path=str(self.store.path))
        return state.unit(state.root)

    def add_unit(self, name: str, parent_ref: str | int, level: str | None = None,
                 members: int | None = None, year: int | None = None) -> Unit:
        name = clean_unit_name(name)
        with self.store.transaction(by=self.user) as tx:
            state = tx.state
            parent = state.resolve_unit(parent_ref)
            self._require(access.UNITS, parent.id, state)
            level_id = level or state.level_below(parent.level)
            if level_id not in state.levels:
                raise PtdvError("unit.unknown_level", level=safe(str(level_id)), levels=", ".join(state.levels))
            self._check_unique_name(state, parent, name)
            counts = {} if members is None else {year or self.today().year: parse_count(members, field="members")}
            unit = Unit(id=tx.new_unit_id(), name=name, level=level_id, parent=parent.id, members=counts)
            tx.put_unit(unit)
            tx.audit("unit.add", f"unit:{unit.id}", unit.id, None, unit.to_doc())
        return unit

    @staticmethod
    def _check_unique_name(state: State, parent: Unit, name: str, unit_id: int | None = None) -> None:
        """Siblings have different names, or a path would no longer name one unit."""
        if any(state.units[c].name.casefold() == name.casefold() and c != unit_id
               for c in state.children.get(parent.id, [])):
            raise PtdvError("unit.duplicate", name=name, parent=parent.name)

    def _update_unit(self, ref: str | int, action: str, change, permission: str = access.UNITS) -> Unit:
        with self.store.transaction(by=self.user) as tx:
            unit = tx.state.resolve_unit(ref)
            self._require(permission, unit.id, tx.state)
            new = replace(change(tx.state, unit), rev=unit.rev + 1)  # replace: the unit's period is kept
            tx.put_unit(new)
            tx.audit(action, f"unit:{unit.id}", unit.id, unit.to_doc(), new.to_doc())
        return new

    def rename_unit(self, ref: str | int, name: str) -> Unit:
        name = clean_unit_name(name)

        def change(state: State, unit: Unit) -> Unit:
            if unit.parent in state.units:
                self._check_unique_name(state, state.units[unit.parent], name, unit.id)
            return replace(unit, name=name)
        return self._update_unit(ref, "unit.rename", change)

    def move_unit(self, ref: str | int, parent_ref: str | int, on: date | str | None = None) -> Unit:
        """``ref`` under ``parent_ref`` from ``on`` (today by default); before that day it was under its old
        parent (``Unit.earlier``), so the tree of an earlier day is unchanged."""
        day = parse_date(on, field="date") if on not in (None, "") else self.today()

        def change(state: State, unit: Unit) -> Unit:
            parent = state.resolve_unit(parent_ref)
            self._require(access.UNITS, parent.id, state)
            if parent.id in state.subtree(unit.id):
                raise PtdvError("unit.move_into_itself", unit=unit.name, parent=parent.name)
            self._check_unique_name(state, parent, unit.name, unit.id)
            return reorg.move_unit(state, unit, parent, day, self.today())
        return self._update_unit(ref, "unit.move", change)

    def set_members(self, ref: str | int, members: int | str | None, year: int | None = None) -> Unit:
        """Members at the start of ``year``; ``None`` clears the unit's own figure (children's sum is used)."""
        year = year or self.today().year
        count = None if members in (None, "") else parse_count(members, field="members")

        def change(state: State, unit: Unit) -> Unit:
            counts = dict(unit.members)
            if count is None:
                counts.pop(year, None)
            else:
                counts[year] = count
            return replace(unit, members=counts)
        return self._update_unit(ref, "unit.members", change, access.QUOTA)

    # -- the organisation changing on a date (docs/HISTORY.md; the rules are db.reorg's) -------------
    def merge_units(self, refs: Iterable[str | int], into: str | int, on: date | str, *,
                    parent_ref: str | int | None = None, across_levels: bool = False) -> Unit:
        """``refs`` end on ``on``, merged into the unit ``into`` names (one of them, or one beside them, goes
        on) or into a new unit of that name beginning that day under their common parent (or ``parent_ref``).
        Their children and their live candidates go to it; one audited write.  Returns the successor."""
        day = parse_date(on, field="date")
        with self.store.transaction(by=self.user) as tx:
            state = tx.state
            units = [state.resolve_unit(ref) for ref in refs]
            parent = state.resolve_unit(parent_ref) if parent_ref not in (None, "") else None
            successor, plan = reorg.merge(state, units, into, day, parent=parent, across_levels=across_levels,
                                          new_id=tx.new_unit_id, today=self.today(),
                                          by=self.user, at=tx.at)
            self._write_plan(tx, "unit.merge", plan)
        return successor

    def split_unit(self, ref: str | int, into: Iterable[str], assign: dict[str, str], on: date | str) -> list[Unit]:
        """``ref`` ends on ``on``, split into new units named ``into`` beside it; ``assign`` says for each of
        its children (a branch: each live candidate, by id) the name of the unit it goes to.  One audited
        write; returns the new units."""
        day = parse_date(on, field="date")
        with self.store.transaction(by=self.user) as tx:
            unit = tx.state.resolve_unit(ref)
            new, plan = reorg.split(tx.state, unit, list(into), dict(assign), day,
                                    new_id=tx.new_unit_id, today=self.today(),
                                    by=self.user, at=tx.at)
            self._write_plan(tx, "unit.split", plan)
        return new

    def close_unit(self, ref: str | int, on: date | str, children_to: str | int | None = None) -> Unit:
        """``ref`` ends on ``on`` (dissolved); its children go up to its parent (or ``children_to``) that day.
        One audited write; returns the unit that took the children."""
        day = parse_date(on, field="date")
        with self.store.transaction(by=self.user) as tx:
            unit = tx.state.resolve_unit(ref)
            target = tx.state.resolve_unit(children_to) if children_to not in (None, "") else None
            taker, plan = reorg.close(tx.state, unit, day, target, today=self.today())
            self._write_plan(tx, "unit.close", plan)
        return taker

    def _write_plan(self, tx, action: str, plan: reorg.Plan) -> None:
        """Write what a change of the organisation computed, each record audited; the user must manage every
        unit it touches (and the parent of each new one)."""
        state = tx.state
        for unit in plan.added:
            self._require(access.UNITS, unit.parent if unit.parent is not None else state.root, state)
        for before, after in plan.units:
            self._require(access.UNITS, before.id, state)
            if after.parent is not None and after.parent in state.units:
                self._require(access.UNITS, after.parent, state)
        for before, after in plan.candidates:
            self._require_candidate(access.WRITE, before, state)
        for unit in plan.added:  # first: the units that move under it find its part
            tx.put_unit(unit)
            tx.audit(action, f"unit:{unit.id}", unit.id, None, unit.to_doc())
        for before, after in plan.units:
            tx.put_unit(after)
            tx.audit(action, f"unit:{after.id}", after.id, before.to_doc(), after.to_doc())
        for before, after in plan.candidates:
            tx.put_candidate(after)
            tx.audit("candidate.move", f"candidate:{after.id}", after.unit, before.to_doc(), after.to_doc())

    # -- quotas -------------------------------------------------------------------------
    def set_quota(self, ref: str | int, year: int | None = None, *, target: int | str | None = None,
                  rate: float | str | None = None) -> Quota:
        year = year or self.today().year
        if (target is None) == (rate is None):
            raise PtdvError("quota.target_or_rate")
        new_target = None if target is None else parse_count(target, field="target")
        new_rate = None if rate is None else parse_rate(rate)
        with self.store.transaction(by=self.user) as tx:
            unit = tx.state.resolve_unit(ref)
            self._require(access.QUOTA, unit.id, tx.state)
            before = tx.state.quotas.get((unit.id, year))
            quota = Quota(unit=unit.id, year=year, target=new_target, rate=new_rate)
            tx.put_quota(quota)
            tx.audit("quota.set", f"quota:{unit.id}:{year}", unit.id,
                     before.to_doc() if before else None, quota.to_doc())
        return quota

    def allocate(self, ref: str | int, targets: dict[int, int], year: int | None = None) -> None:
        """Set the children's targets in one write (a quota editor's "allocate")."""
        year = year or self.today().year
        clean = {int(uid): parse_count(n, field="target") for uid, n in targets.items()}
        with self.store.transaction(by=self.user) as tx:
            parent = tx.state.resolve_unit(ref)
            self._require(access.QUOTA, parent.id, tx.state)
            kids = set(tx.state.children.get(parent.id, []))
            for uid, n in clean.items():
                if uid not in kids:
                    raise PtdvError("quota.not_a_child", unit=uid, parent=parent.name)
                before = tx.state.quotas.get((uid, year))
                quota = Quota(unit=uid, year=year, target=n)
                tx.put_quota(quota)
                tx.audit("quota.set", f"quota:{uid}:{year}", uid, before.to_doc() if before else None,
                         quota.to_doc())

    def figures(self, year: int | None = None, root: int | None = None,
                units: Iterable[int] | None = None) -> Mapping[int, quota_math.Figures]:
        """The year's figures of every unit under ``root`` (made as they are asked for), or of ``units`` only:
        those a screen shows (a served store sends no more than that)."""
        rollup = quota_math.rollup(self.state(), year or self.today().year, self.today(), root)
        return rollup if units is None else {uid: rollup[uid] for uid in units}

    def unit_figures(self, ref: str | int, year: int | None = None) -> quota_math.Figures:
        unit = self.resolve_unit(ref)
        return self.figures(year, unit.id)[unit.id]

    # -- the tree of a year, and what a unit was and became (docs/HISTORY.md; db.lineage) -----------------
    def tree(self, year: int | None = None, unit_id: int | None = None) -> State:
        """The store seen on ``year``'s view day; with ``unit_id``, on the day that unit is seen on for the year
        (its last day when it ended by then: :meth:`seen`)."""
        year = year or self.today().year
        day = quota_math.view_day(year, self.today()) if unit_id is None else self.seen(unit_id, year).day
        return self.state().on(day)

    def seen(self, unit_id: int, year: int | None = None) -> lineage_math.Seen:
        """The year and day unit ``unit_id`` is shown for ``year``: its last year when it ended before it."""
        return lineage_math.seen(self.state(), unit_id, year or self.today().year, self.today())

    def lineage(self, ref: str | int) -> lineage_math.Lineage:
        """When the unit began and ended, how, into what, and the units that ended into it."""
        state = self.state()
        return lineage_math.lineage(state, state.resolve_unit(ref).id)

    def lineages(self, unit_ids: Iterable[int]) -> dict[int, lineage_math.Lineage]:
        """:meth:`lineage` of each of ``unit_ids`` (ids of the store's units)."""
        return lineage_math.lineages(self.state(), list(unit_ids))

    def unit_labels(self) -> dict[str, int]:
        """Every unit that has not ended, by a short label (:func:`short_labels`; to type one in a form)."""
        state = self.state()
        return short_labels(state, [u for u in state.units.values() if state.exists(u.id)])

    def suggest_allocation(self, ref: str | int, year: int | None = None, target: int | None = None) -> dict[int, int]:
        """The unit's target (or ``target``, e.g. one being typed) split over its children in proportion
        to their members."""
        year = year or self.today().year
        unit = self.resolve_unit(ref)
        figs = self.figures(year, unit.id)
        kids = self.state().children.get(unit.id, [])
        total = figs[unit.id].target if target is None else target
        shares = quota_math.proportional_split(total or 0, [figs[k].members or 0 for k in kids])
        return dict(zip(kids, shares))

    # -- candidates ---------------------------------------------------------------------
    def _candidate_fields(self, values: dict) -> dict:
        """Validate the person-editable fields; unknown keys are refused."""
        out: dict = {}
        for key, value in values.items():
            if key not in EDITABLE_FIELDS:
                raise PtdvError("candidate.unknown_field", field=key)
            if key in PERSON_FIELDS:  # a person: the candidate, the mentor
                text = " ".join(str(value or "").split())
                out[key] = clean_person_name(value, field=key) if text or key == "name" else ""
            elif key == "born":
                born = None if value in (None, "") else parse_date(value, field="born")
                if born and (born > self.today() or born.year < 1900):
                    raise PtdvError("candidate.bad_birth", date=fmt_date(born))
                out[key] = born
            elif key == "gender":
                out[key] = _choice(value, GENDERS, "candidate.bad_gender")
            elif key == "education":
                out[key] = _choice(value, EDUCATION, "candidate.bad_education")
            elif key == "occupation":
                out[key] = _choice(value, OCCUPATIONS, "candidate.bad_occupation")
            elif key in ("youth_union", "renter"):
                out[key] = bool(value)
            elif key in ("tags", "introducers"):
                items = [value] if isinstance(value, str) else list(value or ())
                clean = clean_person_name if key == "introducers" else clean_name
                out[key] = tuple(clean(v, field=key) for v in items if str(v).strip())
                for tag in out[key] if key == "tags" else ():
                    _choice(tag, TAGS, "candidate.bad_tag")
            else:  # free text: control and invisible characters refused, not dropped; notes keep their lines
                out[key] = clean_text(value, field=key, multiline=key in MULTILINE_FIELDS,
                                      limit=NOTES_LIMIT if key in MULTILINE_FIELDS else NAME_LIMIT)
        return out

    def add_candidate(self, unit_ref: str | int, name: str, *, stage: str = "source",
                      date_: date | str | None = None, left: date | str | None = None,
                      left_reason: str | None = None, **values) -> Candidate:
        """A new candidate at a branch, entering the pipeline at ``source`` on ``date_`` (today).  With ``left``
        (the day they left the party) a former member applying again (kết nạp lại), who left for
        ``left_reason`` (model.LEFT_REASONS): refused for the excluded reasons and when re-admitted before."""
        fields_ = self._candidate_fields({"name": name, **values})
        day = parse_date(date_) if date_ else self.today()
        if stage != "source":
            raise PtdvError("candidate.starts_at_source")
        readmission = None
        if left not in (None, ""):
            reason = _choice(left_reason or "other", LEFT_REASONS, "readmission.bad_reason")
            readmission = Readmission(parse_date(left, field="left"), reason)
        with self.store.transaction(by=self.user) as tx:
            unit = tx.state.resolve_unit(unit_ref)
            self._require(access.WRITE, unit.id, tx.state)
            reorg.check_branch_on(tx.state, unit, day)  # a branch, that exists on that day and now
            if readmission is not None:
                rules.check_readmission(readmission.left, readmission.reason, day,
                                        self._readmitted_before(tx.state, fields_))
            cand = Candidate(id=tx.new_candidate_id(), unit=unit.id, readmission=readmission, **fields_)
            rules.check_stage_date(cand, "source", day, self.today())
            cand = cand.with_(history=(StageEntry("source", day, self.user, tx.at, unit.id),))
            tx.put_candidate(cand)
            tx.audit("candidate.add", f"candidate:{cand.id}", unit.id, None, cand.to_doc())
        return cand

    @staticmethod
    def _readmitted_before(state: State, fields_: dict) -> bool:
        """Whether the person (same name and birth date) was already admitted again once: a re-admission
        candidate of the store who reached the decision."""
        name, born = fields_.get("name", "").casefold(), fields_.get("born")
        return born is not None and any(
            c.readmission is not None and c.born == born and c.name.casefold() == name
            and c.stage_entry("decided") is not None for c in state.candidates.values())

    def _update_candidate(self, cid: int | str, action: str, change, expected_rev: int | None) -> Candidate:
        ident = self._candidate_id(cid)
        with self.store.transaction(by=self.user) as tx:
            cand = tx.state.candidate(ident)
            self._require_candidate(access.WRITE, cand, tx.state)
            if expected_rev is not None and cand.rev != expected_rev:
                raise PtdvError("candidate.stale", id=cand.id, rev=cand.rev, expected=expected_rev,
                                name=cand.name, stage=cand.stage)
            new = change(tx, cand).with_(rev=cand.rev + 1)
            tx.put_candidate(new)
            tx.audit(action, f"candidate:{cand.id}", new.unit, cand.to_doc(), new.to_doc())
        return new

    @staticmethod
    def _candidate_id(cid: int | str) -> int:
        text = str(cid).strip().lstrip("#")
        if not text.isdigit():
            raise PtdvError("candidate.not_found", ref=safe(str(cid)))
        return int(text)

    def candidate(self, cid: int | str) -> Candidate:
        state = self.state()
        cand = state.candidate(self._candidate_id(cid))
        self._require_candidate(access.READ, cand, state)
        return cand

    def advance(self, cid: int | str, stage: str | None = None, day: date | str | None = None,
                *, exception: str = "", received: date | str | None = None, vote: date | str | None = None,
                expected_rev: int | None = None) -> Candidate:
        """Record the next stage on ``day`` (today by default), or the class or dossier again (a retake).
        A hard rule broken refuses it unless it allows an exception and ``exception`` says who decided it
        (document number, date); a soft rule broken is kept on the entry (docs/RULES.md).  ``received``: the
        day the branch received the decision (``decided``); ``vote``: the branch's recognition vote
        (``official``, whose date is the committee's decision)."""
        when = parse_date(day) if day else self.today()
        why = clean_text(exception, field="exception") if str(exception or "").strip() else ""
        got = parse_date(received, field="received") if received not in (None, "") else None
        voted = parse_date(vote, field="vote") if vote not in (None, "") else None

        def change(tx, cand: Candidate) -> Candidate:
            place = cand.unit_on(when)  # recorded where the candidate was on that day (before a later transfer)
            skip = tx.state.is_grassroots_branch(place, when)
            target = stage or rules.next_stage(cand, skip)
            if target is None:
                raise PtdvError("stage.finished", id=cand.id)
            rules.check_advance(cand, target, when, self.today(), skip_committee=skip)
            voted_before = cand.recognition_vote if target == "official" else None  # recorded alone: record_vote
            if voted_before is not None and voted not in (None, voted_before):
                raise PtdvError("stage.vote_recorded", id=cand.id, vote=fmt_date(voted_before))
            vote_day = voted or voted_before
            cand = cand.with_(recognition_vote=None) if voted_before is not None else cand
            rules.check_details(cand, target, when, self.today(), received=got, vote=vote_day)
            found = rules.check_step(cand, target, when, tx.state.settings, exception=why, received=got,
                                     vote=vote_day)
            entry = StageEntry(target, when, self.user, tx.at, place, breaches=found, exception=why,
                               received=got, vote=vote_day)
            return cand.with_(history=cand.history + (entry,))
        return self._update_candidate(cid, "candidate.advance", change, expected_rev)

    def record_vote(self, cid: int | str, vote: date | str, *, expected_rev: int | None = None) -> Candidate:
        """The branch's recognition vote alone, before the committee's decision (audited ``candidate.vote``):
        refused before the end of probation (rule ``probation``); the decision is then due within
        ``recognition_decision_workdays`` working days (a finding), and ``advance`` to ``official`` keeps the
        vote on its entry."""
        voted = parse_date(vote, field="vote")

        def change(tx, cand: Candidate) -> Candidate:
            rules.check_vote(cand, voted, tx.state.settings, self.today())
            return cand.with_(recognition_vote=voted)
        return self._update_candidate(cid, "candidate.vote", change, expected_rev)

    def exit(self, cid: int | str, reason: str, *, kind: str = "withdrawn", day: date | str | None = None,
             expected_rev: int | None = None) -> Candidate:
        when = parse_date(day) if day else self.today()
        text = " ".join(str(reason or "").split())

        def change(tx, cand: Candidate) -> Candidate:
            rules.check_exit(cand, kind, text, when, self.today())
            return cand.with_(exit=Exit(kind, clean_name(str(reason), field="reason"), when, self.user, tx.at))
        return self._update_candidate(cid, "candidate.exit", change, expected_rev)

    # -- the dossier's papers (db.papers) ----------------------------------------------------------
    @staticmethod
    def paper_kind(ref: str) -> str:
        """A kind of paper by its id (``letter``), its form number (``1-KNĐ``) or its label in either language,
        diacritics and case ignored (``ly lich``, ``giay gioi thieu``)."""
        text = fold(" ".join(str(ref or "").replace("_", " ").split()))
        for kind in papers_mod.KINDS:
            names = {kind.id.replace("_", " "), fold(kind.form)} | {fold(t(f"paper.{kind.id}", lang)) for lang in LANGS}
            if text and text in names:
                return kind.id
        raise PtdvError("paper.unknown_kind", kind=safe(str(ref)), kinds=", ".join(k.id for k in papers_mod.KINDS))

    def receive_paper(self, cid: int | str, kind: str, day: date | str | None = None, note: str = "", *,
                      expected_rev: int | None = None) -> Candidate:
        """Record a paper of the dossier received on ``day`` (today by default) by the current user (audited
        ``candidate.paper``).  A kind received before is received again (another introducer's letter, the
        comments after a redone dossier)."""
        kind_id = self.paper_kind(kind)
        when = parse_date(day, field="date") if day not in (None, "") else self.today()
        text = clean_text(note, field="note") if str(note or "").strip() else ""

        def change(tx, cand: Candidate) -> Candidate:
            if not cand.live:
                raise PtdvError("candidate.exited", id=cand.id)
            if when > self.today():
                raise PtdvError("stage.future_date", date=fmt_date(when), today=fmt_date(self.today()))
            return cand.with_(papers=cand.papers + (Paper(kind_id, when, self.user, tx.at, text),))
        return self._update_candidate(cid, "candidate.paper", change, expected_rev)

    def remove_paper(self, cid: int | str, kind: str, index: int | str | None = None, *,
                     expected_rev: int | None = None) -> Candidate:
        """Take back a paper recorded by mistake (a correction, audited ``candidate.paper``): the ``index``-th of
        its kind as listed (from 1; default the last received)."""
        kind_id = self.paper_kind(kind)

        def change(tx, cand: Candidate) -> Candidate:
            mine = [n for n, p in enumerate(cand.papers) if p.kind == kind_id]
            if not mine:
                raise PtdvError("paper.none", id=cand.id, kind=kind_id)
            number = len(mine) if index in (None, "") else parse_count(index, field="index")
            if not 1 <= number <= len(mine):
                raise PtdvError("paper.bad_index", index=number, count=len(mine), kind=kind_id)
            drop = mine[number - 1]
            return cand.with_(papers=cand.papers[:drop] + cand.papers[drop + 1:])
        return self._update_candidate(cid, "candidate.paper", change, expected_rev)

    def papers(self, cand: Candidate) -> papers_mod.Checklist:
        """``cand``'s checklist: the papers its branch vote needs (on the day it voted, or today before), those
        received and those missing."""
        return papers_mod.checklist(cand, self.state().settings, papers_mod.judged_on(cand, self.today()))

    def edit(self, cid: int | str, values: dict, *, expected_rev: int | None = None) -> Candidate:
        fields_ = self._candidate_fields(values)

        def change(tx, cand: Candidate) -> Candidate:
            return cand.with_(**fields_)
        return self._update_candidate(cid, "candidate.edit", change, expected_rev)

    def move_candidate(self, cid: int | str, unit_ref: str | int, *, on: date | str | None = None,
                       reason: str = "", expected_rev: int | None = None) -> Candidate:
        """Transfer a candidate to another branch from ``on`` (today by default): a :class:`Move` is kept and
        its stages stay where they were recorded."""
        day = parse_date(on, field="date") if on not in (None, "") else self.today()
        why = clean_text(reason, field="reason") if str(reason or "").strip() else ""

        def change(tx, cand: Candidate) -> Candidate:
            unit = tx.state.resolve_unit(unit_ref)
            self._require(access.WRITE, unit.id, tx.state)
            moved = reorg.move_candidate(tx.state, cand, unit, day, why, by=self.user, at=tx.at, today=self.today())
            return moved.with_(rev=cand.rev)  # _update_candidate counts the revision
        return self._update_candidate(cid, "candidate.move", change, expected_rev)

    def candidates(self, unit_ref: str | int | None = None, *, stage: str | None = None,
                   overdue: bool = False, include_exited: bool = False) -> list[Candidate]:
        state = self.state()
        if stage is not None and stage not in STAGES:
            raise PtdvError("stage.unknown", stage=safe(stage), stages=", ".join(STAGES))
        unit = state.resolve_unit(unit_ref) if unit_ref not in (None, "") else self.root()
        found = []
        for cand in state.source.of_units(self.readable_units(unit.id)):
            if not include_exited and not cand.live:
                continue
            if stage is not None and (cand.stage != stage or not cand.live):
                continue
            if overdue and not rules.is_overdue(cand, state.settings, self.today()):
                continue
            found.append(cand)
        found.sort(key=lambda c: (STAGES.index(c.stage), c.history[-1].date if c.history else date.min, c.id))
        return found

    def findings(self, cand: Candidate) -> list[rules.Finding]:
        return rules.findings(cand, self.state().settings, self.today())

    def due(self, unit_ref: str | int | None = None, limit: int | None = None) -> list[DueItem]:
        """Overdue and due-soon items under a unit, most urgent first; with ``limit``, the first ``limit`` of them
        only: under a unit of many parts that the user covers, found from the due dates the store keeps of each
        part (:meth:`Store.due_dates`), reading only the candidates shown."""
        state = self.state()
        unit = state.resolve_unit(unit_ref) if unit_ref not in (None, "") else self.root()
        cands = self._most_urgent(state, unit.id, limit) if limit is not None else None
        if cands is None:
            cands = self.candidates(unit.id)
        items = [DueItem(c, f) for c in cands for f in rules.needs_attention(c, state.settings, self.today())]
        moved = calendar_store.moved_dues([(i.candidate, i.finding) for i in items], state.settings, self.today())
        if moved:
            items = [replace(i, moved=moved.get((i.candidate.id, i.finding.code))) for i in items]
        items.sort(key=lambda i: (rules.SEVERITIES.index(i.finding.severity), i.finding.due or date.max,
                                  i.candidate.id))
        return items if limit is None else items[:limit]

    def _most_urgent(self, state: State, unit_id: int, limit: int) -> list[Candidate] | None:
        """The candidates of the first ``limit`` items of the due list under ``unit_id``, from the parts' due
        dates (the list's dated items, overdue ones before those due soon, each in date order, come before its
        standing warnings); None when that cannot tell (fewer dated items than ``limit``: warnings may follow;
        a unit of few parts, or one the user does not cover whole: the candidates are read)."""
        if not access.covers(state, self.whoami().units, unit_id) or state.is_leaf(unit_id):
            return None
        units = walk(unit_id, state.children.listed)  # the parts of these hold every candidate under the unit
        if len(state.source.parts_among(units)) <= DUE_LIST_PARTS:
            return None
        dates = self.store.due_dates(units)
        if dates is None:
            return None
        horizon = (self.today() + timedelta(days=state.settings.due_soon_days)).toordinal()
        chosen: dict[int, int] = {}  # candidate id -> the part whose due dates name it
        merged = heapq.merge(*(zip(found, repeat(pid)) for pid, found in dates.items()))
        for count, ((day, cid), pid) in enumerate(merged, start=1):
            if day > horizon:
                return None
            chosen.setdefault(cid, pid)
            if count == limit:
                found = self.store.candidates_in(chosen)  # a part read once for all its candidates, and not kept
                # (one moved to another part since its part's due dates were made: where the index says it is)
                return [found[cid] if cid in found else state.candidate(cid) for cid in chosen]
        return None

    def days_in_stage(self, cand: Candidate) -> int:
        return (self.today() - cand.history[-1].date).days if cand.history else 0

    # -- audit and integrity ------------------------------------------------------------
    def log(self, unit_ref: str | int | None = None, since: date | str | None = None,
            until: date | str | None = None, by: str | None = None) -> list[dict]:
        """Audit entries of changes under a unit (its subtree), oldest first: on or after ``since``,
        on or before ``until`` (days of the time they were recorded), made by the account ``by``."""
        state = self.state()
        units = set(state.subtree(state.resolve_unit(unit_ref).id)) if unit_ref not in (None, "") else None
        start = parse_date(since, field="since") if since not in (None, "") else None
        end = parse_date(until, field="until") if until not in (None, "") else None
        if start and end and end < start:
            raise PtdvError("audit.bad_range", since=fmt_date(start), until=fmt_date(end))
        account = str(by).strip() if by not in (None, "") else None
        first, last = start.isoformat() if start else "", end.isoformat() if end else "9999-99-99"
        readable = self._readable_everywhere(state)
        return [entry for entry in self.store.audit_since(0)
                if (readable is None or access.entry_readable(entry, readable))
                and (units is None or entry.get("unit") in units)
                and first <= str(entry.get("at", ""))[:10] <= last
                and (account is None or entry.get("by") == account)]

    def check(self) -> list[tuple[str, dict]]:
        """Integrity problems of the store and its records, as (message key, params): they name any
        candidate, so only someone who may read the whole tree may ask."""
        return self._check()[0]

    def check_all(self, year: int | None = None) -> tuple[list[tuple[str, dict]], list[tuple[str, dict]]]:
        """``ptdv check``: the problems of :meth:`check`, and the warnings of :meth:`warnings` followed by
        the rules candidates' recorded steps did not keep (an exception, a soft breach: ``check.exception``,
        ``check.breach``), found while reading the candidates once for both."""
        problems, outside = self._check()
        return problems, self.warnings(year) + outside

    def _check(self) -> tuple[list[tuple[str, dict]], list[tuple[str, dict]]]:
        state = self.state()
        outside: list[tuple[str, dict]] = []
        if state.root in state.units:
            self._require(access.READ, state.root, state)
        broken, uncommitted = self.store.audit_integrity()
        problems: list[tuple[str, dict]] = [("check.audit_chain", {"seq": seq}) for seq in broken]
        problems += [("check.audit_uncommitted", {"first": first, "last": last}) for first, last in uncommitted]
        problems += self.store.drift()
        problems += self.store.index_problems()
        if state.root is None or state.root not in state.units:
            problems.append(("check.no_root", {}))
        checks = self.store.part_checks()  # what each part holds, judged once until it changes
        for unit in state.own_units.values():
            if unit.level not in state.levels:
                problems.append(("check.unit_level", {"unit": unit.id, "level": unit.level}))
            if unit.parent is not None and unit.parent not in state.units:
                problems.append(("check.unit_parent", {"unit": unit.id, "parent": unit.parent}))
            if unit.parent is None and unit.id != state.root:
                problems.append(("check.unit_orphan", {"unit": unit.id}))
            if unit.parent is not None and unit.id == state.root:
                problems.append(("check.root_parent", {"unit": unit.id, "parent": unit.parent}))
        placed = dict(state.placed.items())
        for uid, (parent, _) in placed.items():  # a branch: its record is in its parent's part
            level = (checks.get(parent) or {}).get("units", {}).get(str(uid), state.last_level or "")
            if level not in state.levels:
                problems.append(("check.unit_level", {"unit": uid, "level": level}))
            if parent not in state.units:
                problems.append(("check.unit_parent", {"unit": uid, "parent": parent}))
        for uid, (parent, _) in placed.items():
            if str(uid) not in (checks.get(parent) or {}).get("units", {}):
                problems.append(("check.unit_record", {"unit": uid, "part": parent}))
        known = {*state.own_units, *placed}
        reachable = self._reachable(state, placed)
        for uid in sorted(known - reachable):
            if (placed[uid][0] if uid in placed else state.parent_of(uid)) in known:
                problems.append(("check.unit_cycle", {"unit": uid}))
        above = {pid for pid, entry in checks.items() if entry["units"]} | {u for u in known if state.children.listed(u)}
        today = self.today().isoformat()
        for entry in checks.values():
            for cid, uid, last in entry["cands"]:
                if uid not in known:
                    problems.append(("check.candidate_unit", {"id": cid, "unit": uid}))
                elif uid in above:  # units are under it: its part holds their records, or the catalogue says so
                    problems.append(("check.candidate_not_branch", {"id": cid, "unit": state.units[uid].name}))
                if last is not None and last > today:
                    problems.append(("check.candidate_future", {"id": cid, "date": fmt_date(date.fromisoformat(last))}))
            problems += [(key, params) for key, params in entry["problems"]]
            outside += [(key, params) for key, params in entry["outside"]]
        quotas = [(uid, year, (q.target is None) == (q.rate is None) or (q.target is not None and q.target < 0))
                  for (uid, year), q in state.own_quotas.items()]
        quotas += [(uid, year, bad) for entry in checks.values() for uid, year, bad in entry["quotas"]]
        for uid, year, bad in quotas:
            if uid not in state.units:
                problems.append(("check.quota_unit", {"unit": uid, "year": year}))
            if bad:
                problems.append(("check.quota_value", {"unit": uid, "year": year}))
        return problems, sorted(outside, key=lambda w: w[0] != "check.exception")  # exceptions, then breaches

    @staticmethod
    def _reachable(state: State, placed: dict[int, tuple[int, str]]) -> set[int]:
        """The units the top unit reaches, in today's tree and in the tree of the last day of each unit that
        ended: the catalogue's tree, then the branches under a unit reached."""
        if state.root not in state.units:
            return set()
        reached: set[int] = set()
        for view in [state, *(state.on(day) for day in sorted({u.last_day for u in state.ended_units()}))]:
            reached.update(walk(state.root, view.children.listed))
        dated = set(state.placed_periods)
        reached.update(uid for uid, (parent, _) in placed.items() if parent in reached and uid not in dated)
        return reached

    def warnings(self, year: int | None = None) -> list[tuple[str, dict]]:
        """Things staff should look at that do not make the store inconsistent: member figures
        that differ from the units' sum, and targets that the children's targets do not add up to."""
        year = year or self.today().year
        state = self.state()
        out: list[tuple[str, dict]] = []
        figures = quota_math.rollup(state, year, self.today())
        for fig in figures.made() if isinstance(figures, quota_math.Rollup) else figures.values():
            if fig.members_mismatch:
                out.append(("check.members_mismatch", {"unit": state.path(fig.unit), "own": fig.members_own,
                                                       "children": fig.members_children, "year": year}))
            if fig.allocation_gap:
                out.append(("check.allocation_gap", {"unit": state.path(fig.unit), "target": fig.target,
                                                     "children": fig.children_target, "gap": fig.allocation_gap,
                                                     "year": year}))
        return out

    # -- checks for forms that validate as the user types (nothing is written) ---------
    def validate_candidate_fields(self, values: dict) -> dict:
        """``values`` as a save would keep them; a PtdvError naming the first field it would refuse."""
        return self._candidate_fields(values)

    def check_entry_date(self, day: date | str | None) -> date:
        """The date a new candidate would enter the pipeline (today when empty), as ``add_candidate`` checks it."""
        when = parse_date(day, field="date") if day not in (None, "") else self.today()
        rules.check_stage_date(Candidate(id=0, unit=0, name="?"), "source", when, self.today())
        return when

    def check_advance(self, cid: int | str, day: date | str | None = None) -> str:
        """The stage ``advance(cid, day=day)`` would record; a PtdvError when it would be refused."""
        cand = self.candidate(cid)
        when = parse_date(day, field="date") if day not in (None, "") else self.today()
        state = self.state()
        skip = state.is_grassroots_branch(cand.unit_on(when), when)
        target = rules.next_stage(cand, skip)
        if target is None:
            raise PtdvError("stage.finished", id=cand.id)
        rules.check_advance(cand, target, when, self.today(), skip_committee=skip)
        return target

    def next_stage(self, cand: Candidate) -> str | None:
        """The stage ``advance`` records next for ``cand`` (a grassroots branch skips ``committee``)."""
        return rules.next_stage(cand, self.state().is_grassroots_branch(cand.unit, self.today()))

    def breaches(self, cand: Candidate) -> list:
        """The rules ``cand``'s recorded steps did not keep (an exception or a soft rule): rules.breaches."""
        return rules.breaches(cand, self.state().settings)

    def check_exit_date(self, cid: int | str, day: date | str | None = None) -> date:
        """The date ``exit`` would record (today when empty); a PtdvError when it would refuse that date."""
        cand = self.candidate(cid)
        when = parse_date(day, field="date") if day not in (None, "") else self.today()
        # kind and reason are checked on their own: a kind valid for the candidate (a probationary member's too)
        rules.check_exit(cand, rules.exit_kinds(cand)[0], "?", when, self.today())
        return when

    @staticmethod
    def changed_fields(before: Candidate, after: Candidate) -> list[str]:
        """The person-editable fields whose values differ between two versions of a candidate."""
        return [key for key in EDITABLE_FIELDS if getattr(before, key) != getattr(after, key)]

    def branch_labels(self) -> dict[str, int]:
        """Every branch by a short label (:func:`short_labels`)."""
        state = self.state()
        return short_labels(state, [u for u in state.units.values() if state.is_leaf(u.id) and u.id != state.root])

    def resolve_branch(self, ref: str | int) -> Unit:
        """A unit that can hold candidates, named as ``resolve_unit`` accepts; refused when units are under it."""
        unit = self.resolve_unit(ref)
        if not self.state().is_leaf(unit.id):
            raise PtdvError("candidate.not_a_branch", unit=unit.name)
        return unit

    @staticmethod
    def quota_input(text: str, members: int | None) -> "QuotaInput":
        """A quota as typed for a unit of ``members`` (its figures' members: the quota editor has them): ``22`` is a
        number of new members, ``4%`` a rate of the members.  Asked at every change of a field: the editor of the
        metro top asked for the unit's figures each time, a roll-up of the city (0.24 s) for each of its 173 fields
        when it opened."""
        raw = str(text).strip()
        if not raw:
            raise PtdvError("input.required", field="target")
        if raw.endswith("%"):
            rate = parse_rate(raw)
            target = None if members is None else quota_math.rate_target(rate, members)
            return QuotaInput(target=target, rate=rate, members=members)
        return QuotaInput(target=parse_count(raw, field="target"), rate=None, members=members)

    @staticmethod
    def allocation_total(target: int | None, shares: Iterable[str | int]) -> tuple[int, int | None]:
        """Children's targets as typed (empty counts 0) -> (allocated, gap to ``target`` or None)."""
        allocated = sum(parse_count(s if str(s).strip() else 0, field="target") for s in shares)
        return allocated, None if target is None else target - allocated

    # -- documents and their templates (db/documents.py) ------------------------------------------------
    def candidate_document(self, form: str, cid: int | str, *, include_sensitive: bool = False, number: str = "",
                           where: str | None = None, issuer_ref: str | int | None = None) -> bytes:
        """Form 9-KNĐ or 6-KNĐ of a candidate the user may read, as .docx bytes."""
        return documents.candidate_document(self, form, cid, include_sensitive=include_sensitive, number=number,
                                            where=where, issuer_ref=issuer_ref)

    def report_document(self, report: Report, *, number: str = "", where: str | None = None) -> bytes:
        """The report template filled with ``report`` (made by :meth:`report`), as .docx bytes."""
        return documents.report_document(self, report, number=number, where=where)

    def templates(self) -> list[documents.TemplateInfo]:
        return documents.templates(self)

    def template(self, form: str) -> tuple[bytes, str]:
        """The template in use for ``form`` and where it comes from ("store" or "default")."""
        return documents.template_bytes(self, form)

    def set_template(self, form: str, data: bytes) -> documents.TemplateInfo:
        return documents.set_template(self, form, data)

    def reset_template(self, form: str) -> bool:
        return documents.reset_template(self, form)

    # -- backups and repair -------------------------------------------------------------
    def backups(self) -> list[dict]:
        """The versions ``restore`` can go back to, newest first: number, when, who, what, daily or not."""
        access.require(self.store.readable_state(), self.user, None, None)
        versions = self.store.versions()
        entries = {e.get("seq"): e for e in self.store.audit_since(versions[0].seq - 1)} if versions else {}
        last = versions[-1].seq if versions else None
        return [{"version": v.seq, "at": entries.get(v.seq, {}).get("at", v.day),
                 "by": entries.get(v.seq, {}).get("by", ""), "action": entries.get(v.seq, {}).get("action", ""),
                 "daily": v.daily, "current": v.seq == last} for v in reversed(versions)]

    def _require_admin(self) -> None:
        """Restoring and repairing the store are for admins of its top unit."""
        state = self.store.readable_state()
        self._require(access.SETTINGS, state.root, state)

    def restore(self, version: int | str) -> tuple[int, int]:
        """Put the whole store back as it was right after ``version`` (admin only); returns (from, to).
        Logged, and undone by restoring the version it came from."""
        number = parse_count(version, field="version")
        self._require_admin()
        return self.store.restore(number, by=self.user)

    def damage(self) -> list:
        """The store's files that cannot be read, each with the backup that would replace it."""
        return self.store.damage()

    def repair(self) -> list:
        """Replace each damaged file by its newest good backup (admin only), keeping the damaged one aside."""
        self._require_admin()
        return self.store.repair(by=self.user)

    def move_store_aside(self):
        """Before a new store takes this one's place (``ptdv demo --force``): the admin of its top unit only;
        the whole store is moved into a folder beside it, never deleted.  Returns that folder."""
        self._require_admin()
        return self.store.move_aside()

    # -- reports ----------------------------------------------------------------------------------
    def report(self, unit_ref: str | int, year: int | None = None, quarter: int | None = None,
               half: int | None = None) -> Report:
        """The admissions report of a unit for a year, a quarter or a half (see :mod:`db.report`)."""
        period = Period.of(year or self.today().year, quarter, half)
        unit = self.check_report(unit_ref)
        return build_report(self.state(), unit.id, period, self.today())

    def check_report(self, unit_ref: str | int) -> Unit:
        """The unit, when the user may read its report (all of it); else the refusal."""
        state = self.state()
        unit = state.resolve_unit(unit_ref)
        self._require(access.READ, unit.id, state)
        return unit

    # -- the official calendar (docs/CALENDAR.md) --------------------------------------------------
    def calendar(self, year: int | None = None) -> list[calendar_store.Row]:
        """The days off and make-up working days of ``year``: shipped, added (by whom, when), or estimated."""
        state = self.state()
        year = parse_count(year if year is not None else self.today().year, field="year", maximum=9999)
        return calendar_store.year_rows(state.settings.calendar, year)

    def add_calendar_day(self, day: date | str, kind: str, source: str, label: str = ""):
        """Record a day the government announced after the shipped data (admin of the top unit; audited):
        a day off, or a weekend day that is a working day. Due dates count it from then on."""
        when = parse_date(day, field="date")
        with self.store.transaction(by=self.user) as tx:
            state = tx.state
            self._require(access.SETTINGS, state.root, state)
            entry = calendar_store.new_entry(state.settings.calendar, when, kind, source, label, tx.user, tx.at)
            tx.add_calendar_day(entry)
            tx.audit("calendar.add", f"calendar:{when.isoformat()}", state.root, None, _calendar_audit(entry))
        return entry

    def remove_calendar_day(self, day: date | str):
        """Take back a day an admin added (admin of the top unit; audited); shipped days stay."""
        when = parse_date(day, field="date")
        with self.store.transaction(by=self.user) as tx:
            state = tx.state
            self._require(access.SETTINGS, state.root, state)
            entry = calendar_store.removable(state.settings.calendar, when)
            tx.remove_calendar_day(when)
            tx.audit("calendar.remove", f"calendar:{when.isoformat()}", state.root, _calendar_audit(entry), None)
        return entry

    # -- import and export ------------------------------------------------------------------------
    def import_candidates(self, table: list[list[object]], *, unit_ref: str | int | None = None,
                          dry_run: bool = False) -> transfer.Plan:
        """Candidates from a table (first row: headings): ``import_tables`` of a file with only candidates."""
        return self.import_tables({"candidates": table}, unit_ref=unit_ref, dry_run=dry_run)

    def export(self, unit_ref: str | int | None = None, lang: str = "vi", *,
               include_sensitive: bool = False) -> dict[str, transfer.Table]:
        """Units (those that ended too), quotas and candidates (with those who left) under a unit, as tables
        headed in ``lang``."""
        state = self.state()
        unit = state.resolve_unit(unit_ref) if unit_ref not in (None, "") else self.root()
        self.check_open(unit.id)
        covered = self.whoami().units
        readable = None if access.covers(state, covered, unit.id) else set(access.scope_under(state, covered, unit.id))
        units = [uid for uid in state.every_under(unit.id) if (readable is None or uid in readable)
                 or (not state.exists(uid) and access.covers(state, covered, uid))]
        rows = sorted(state.source.stored_cells(units), key=itemgetter(AT["id"]))
        return transfer.export_tables(state, units, rows, lang, include_sensitive)

    def import_tables(self, tables: dict[str, list[list[object]]], *, unit_ref: str | int | None = None,
                      dry_run: bool = False, lang: str = "vi", strict: bool = False,
                      progress: transfer.Progress | None = None) -> transfer.Plan:
        """Units, quotas and candidates from a file's tables (``transfer.SHEETS``, each under its heading row)
        added or changed in one write; ``unit_ref`` is the branch of candidates without one.  A bad row in
        any table refuses the whole file (``transfer.ImportRefused``), and so does, when ``strict``, a column
        ptdv has no field for.  A known candidate that a row puts in another branch is transferred there, the
        reason (in ``lang``) naming the file (``transfer.Tables``).  ``progress(done, total)`` is told of
        the candidates' rows as they are checked."""
        sheets = transfer.read_sheets(tables, strict=strict)
        default = None if unit_ref in (None, "") else str(unit_ref)
        reason = transfer.moved_reason(getattr(tables, "source", ""), lang)
        if dry_run:
            return transfer.plan(self, self.state(), sheets, default_unit=default, moved_reason=reason,
                                 progress=progress)
        return transfer.apply(self, sheets, default_unit=default, moved_reason=reason, progress=progress)


# a due list under no more parts than this (a ward: a few dozen grassroots units at most) reads their candidates:
# less than the due dates the store keeps of every part in one file (due.json, ~0.9 MB at metro scale), which a
# write anywhere has made again
DUE_LIST_PARTS = 64


def _calendar_audit(entry) -> dict:
    """A calendar day as its audit entry keeps it (who and when are the entry's own)."""
    doc = entry.to_store()
    return {k: doc[k] for k in ("date", "kind", "label", "source")}


@dataclass(frozen=True)
class QuotaInput:
    """A quota read from a form: ``target`` in members (None for a rate when members are unknown)."""

    target: int | None
    rate: float | None
    members: int | None
