"""Records of the domain and their JSON form in the store."""
from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from datetime import date, timedelta

from .text import from_iso, iso
from .workdays import Calendar, official_calendar

# The admission pipeline, in order (DOMAIN.md). Labels live in the catalogues: ``stage.<id>``.
STAGES: tuple[str, ...] = (
    "source", "class", "dossier", "verified", "branch",
    "committee", "decided", "admitted", "official",
)
# How a candidate leaves (docs/RULES.md): before the ceremony withdrawn or not admitted; a probationary member
# not recognised at the recognition vote, or struck off (xóa tên) during probation.  Each counted separately.
EXIT_KINDS: tuple[str, ...] = ("withdrawn", "rejected", "not_recognised", "struck_off")
BEFORE_ADMISSION_EXITS: tuple[str, ...] = ("withdrawn", "rejected")
PROBATION_EXITS: tuple[str, ...] = ("not_recognised", "struck_off")
RETAKEN_STAGES: tuple[str, ...] = ("class", "dossier")  # recorded again with a new date before the branch vote
# Why a former member left the party (re-admission, 294-QĐ/TW 3.5.2): the ones marked excluded never come back.
LEFT_REASONS: tuple[str, ...] = ("struck_off", "expelled", "resigned_family", "other",
                                 "abandoned", "resigned", "disunity", "corruption", "serious_crime")
READMISSION_EXCLUDED: frozenset[str] = frozenset({"abandoned", "resigned", "disunity", "corruption", "serious_crime"})
GENDERS: tuple[str, ...] = ("male", "female")
EDUCATION: tuple[str, ...] = ("primary", "secondary", "high_school", "vocational", "college", "university", "postgraduate")
HIGHER_EDUCATION: frozenset[str] = frozenset({"college", "university", "postgraduate"})
OCCUPATIONS: tuple[str, ...] = (
    "civil_servant", "public_service", "non_state_worker", "farmer",
    "armed_forces", "student", "other",
)
TAGS: tuple[str, ...] = ("youth_union", "demobilised", "religious", "renter", "ethnic_minority", "intellectual", "remote")
MAJORITY_ETHNICITY = "Kinh"
COUNTS_TOWARD_QUOTA = "decided"
FORECAST_FROM = "branch"


def stage_index(stage: str) -> int:
    return STAGES.index(stage)


def built(cls: type, values: dict):
    """The frozen dataclass ``cls`` holding ``values``, which name every one of its fields: what the generated
    ``__init__`` makes, without its ``object.__setattr__`` for each field (which doubled the time of reading
    candidates: a metro store's are about a million records with their steps and papers).  For ``from_doc`` and
    ``Candidate.with_``, which give every field; elsewhere the constructor says what a record needs."""
    made = object.__new__(cls)
    made.__dict__.update(values)
    return made


@dataclass(frozen=True)
class Level:
    id: str
    vi: str
    en: str
    order: int

    def label(self, lang: str) -> str:
        return self.vi if lang == "vi" else self.en


DEFAULT_LEVELS: tuple[Level, ...] = (
    Level("city", "Thành ủy", "City committee", 0),
    Level("district", "Quận ủy / Đảng ủy khối", "District or bloc committee", 1),
    Level("grassroots", "Đảng ủy cơ sở", "Grassroots committee", 2),
    Level("branch", "Chi bộ", "Branch", 3),
)


END_KINDS: tuple[str, ...] = ("merged", "split", "dissolved")  # how a unit ended (``Unit.end``)


@dataclass(frozen=True)
class Unit:
    """A unit of the tree, for the period it exists: from ``began`` (None: it was there from the start of
    the store's time) to the day before ``ended`` (None: it still exists).  ``parent`` is its parent from
    its last move on; ``earlier`` the parents before that, as ``(until, parent)``: before day ``until`` it
    was under ``parent`` (oldest first).  A unit that ended says how (``end``: one of END_KINDS) and what
    it became (``successors``: merged into one, split into several, none when dissolved)."""

    id: int
    name: str
    level: str
    parent: int | None
    members: dict[int, int] = field(default_factory=dict)  # year -> members at the start of it
    rev: int = 1
    began: date | None = None
    ended: date | None = None
    end: str | None = None
    successors: tuple[int, ...] = ()
    earlier: tuple[tuple[date, int | None], ...] = ()

    def exists_on(self, day: date) -> bool:
        return (self.began is None or self.began <= day) and (self.ended is None or day < self.ended)

    def parent_on(self, day: date) -> int | None:
        """The unit's parent on ``day`` (its parent of the time, before a move dated later)."""
        for until, parent in self.earlier:
            if day < until:
                return parent
        return self.parent

    @property
    def last_day(self) -> date | None:
        """The last day it existed, when it ended."""
        return self.ended - timedelta(days=1) if self.ended else None

    def to_doc(self) -> dict:
        doc = {"name": self.name, "level": self.level, "parent": self.parent,
               "members": {str(y): n for y, n in sorted(self.members.items())}, "rev": self.rev}
        doc.update(period_doc(self))
        return doc

    @classmethod
    def from_doc(cls, doc_id: int, doc: dict) -> "Unit":
        return cls(id=int(doc_id), name=str(doc["name"]), level=str(doc["level"]),
                   parent=None if doc.get("parent") is None else int(doc["parent"]),
                   members={int(y): int(n) for y, n in doc.get("members", {}).items()},
                   rev=int(doc.get("rev", 1)), **period_of(doc))


PERIOD_KEYS: tuple[str, ...] = ("began", "ended", "end", "successors", "earlier")  # what period_doc may write


def period_doc(unit: Unit) -> dict:
    """A unit's period as its documents keep it (only what is set: a unit of a store made before units had
    periods has none, and reads as one that always existed)."""
    doc: dict = {}
    if unit.began is not None:
        doc["began"] = iso(unit.began)
    if unit.ended is not None:
        doc["ended"], doc["end"], doc["successors"] = iso(unit.ended), unit.end, list(unit.successors)
    if unit.earlier:
        doc["earlier"] = [[iso(until), parent] for until, parent in unit.earlier]
    return doc


def period_of(doc: dict) -> dict:
    """The keyword arguments of :class:`Unit` that :func:`period_doc` wrote."""
    end = doc.get("end")
    if end is not None and end not in END_KINDS:
        raise ValueError(f"unknown end {end!r}")
    return {"began": from_iso(doc.get("began")), "ended": from_iso(doc.get("ended")), "end": end,
            "successors": tuple(int(s) for s in doc.get("successors") or ()),
            "earlier": tuple((from_iso(until), None if parent is None else int(parent))
                             for until, parent in doc.get("earlier") or ())}


@dataclass(frozen=True)
class Quota:
    unit: int
    year: int
    target: int | None = None  # a number of new members ...
    rate: float | None = None  # ... or a percentage of members at the start of the year

    def to_doc(self) -> dict:
        return {"unit": self.unit, "year": self.year, "target": self.target, "rate": self.rate}

    @classmethod
    def from_doc(cls, doc: dict) -> "Quota":
        target = doc.get("target")
        rate = doc.get("rate")
        return cls(unit=int(doc["unit"]), year=int(doc["year"]),
                   target=None if target is None else int(target),
                   rate=None if rate is None else float(rate))


@dataclass(frozen=True)
class Breach:
    """A rule (``db.rules.RULES`` id) a step did not keep, with what the message needs; ``excused`` when an
    exception by someone's decision (the entry's ``exception``) allowed it."""

    rule: str
    params: dict = field(default_factory=dict, compare=False)

    def to_doc(self) -> dict:
        return {"rule": self.rule, **{k: v for k, v in self.params.items() if k != "rule"}}

    @classmethod
    def from_doc(cls, doc: dict) -> "Breach":
        return cls(rule=str(doc["rule"]), params={k: v for k, v in doc.items() if k != "rule"})


@dataclass(frozen=True)
class StageEntry:
    stage: str
    date: date
    by: str
    at: str  # ISO timestamp of when it was recorded
    unit: int | None = None  # the branch it was recorded in (None: written before stages kept it)
    # what the rules found when the step was recorded (None: recorded before ptdv kept it; db.rules.breaches
    # then judges the entry from the record); a hard rule broken here was excused by ``exception``
    breaches: tuple[Breach, ...] | None = None
    exception: str = ""      # who decided, document number, date: the decision that allowed a hard rule's breach
    received: date | None = None  # ``decided``: the day the branch received the decision
    vote: date | None = None      # ``official``: the day the branch voted for recognition (the entry's date: the decision)

    def to_doc(self) -> dict:
        doc = {"stage": self.stage, "date": iso(self.date), "by": self.by, "at": self.at}
        if self.unit is not None:
            doc["unit"] = self.unit
        if self.breaches is not None:
            doc["breaches"] = [b.to_doc() for b in self.breaches]
        if self.exception:
            doc["exception"] = self.exception
        if self.received is not None:
            doc["received"] = iso(self.received)
        if self.vote is not None:
            doc["vote"] = iso(self.vote)
        return doc

    @classmethod
    def from_doc(cls, doc: dict) -> "StageEntry":
        stage = str(doc["stage"])
        if stage not in STAGES:
            raise ValueError(f"unknown stage {stage!r}")
        unit = doc.get("unit")
        breaches = doc.get("breaches")
        return built(cls, {"stage": stage, "date": from_iso(doc["date"]), "by": str(doc.get("by", "")),
                           "at": str(doc.get("at", "")), "unit": None if unit is None else int(unit),
                           "breaches": None if breaches is None else tuple(Breach.from_doc(b) for b in breaches),
                           "exception": str(doc.get("exception") or ""), "received": from_iso(doc.get("received")),
                           "vote": from_iso(doc.get("vote"))})


@dataclass(frozen=True)
class Paper:
    """A paper of the candidate's dossier (``db.papers.KINDS``: the application, an introducer's letter, …)
    received on ``received``, recorded by the account ``by`` at ``at`` (an ISO timestamp)."""

    kind: str
    received: date
    by: str
    at: str
    note: str = ""

    def to_doc(self) -> dict:
        doc = {"kind": self.kind, "received": iso(self.received), "by": self.by, "at": self.at}
        if self.note:
            doc["note"] = self.note
        return doc

    @classmethod
    def from_doc(cls, doc: dict) -> "Paper":
        return built(cls, {"kind": str(doc["kind"]), "received": from_iso(doc["received"]),
                           "by": str(doc.get("by", "")), "at": str(doc.get("at", "")), "note": str(doc.get("note") or "")})


@dataclass(frozen=True)
class Readmission:
    """A former party member applying again (kết nạp lại): when and why they left."""

    left: date
    reason: str  # one of LEFT_REASONS

    def to_doc(self) -> dict:
        return {"left": iso(self.left), "reason": self.reason}

    @classmethod
    def from_doc(cls, doc: dict) -> "Readmission":
        return cls(left=from_iso(doc["left"]), reason=str(doc.get("reason", "other")))


@dataclass(frozen=True)
class Move:
    """A candidate's transfer from one branch to another, effective on a day (their past stays where it was)."""

    on: date
    source: int
    target: int
    reason: str
    by: str
    at: str

    def to_doc(self) -> dict:
        return {"on": iso(self.on), "from": self.source, "to": self.target, "reason": self.reason,
                "by": self.by, "at": self.at}

    @classmethod
    def from_doc(cls, doc: dict) -> "Move":
        return cls(on=from_iso(doc["on"]), source=int(doc["from"]), target=int(doc["to"]),
                   reason=str(doc.get("reason", "")), by=str(doc.get("by", "")), at=str(doc.get("at", "")))


@dataclass(frozen=True)
class Exit:
    kind: str
    reason: str
    date: date
    by: str
    at: str

    def to_doc(self) -> dict:
        return {"kind": self.kind, "reason": self.reason, "date": iso(self.date), "by": self.by, "at": self.at}

    @classmethod
    def from_doc(cls, doc: dict) -> "Exit":
        return cls(kind=str(doc["kind"]), reason=str(doc["reason"]), date=from_iso(doc["date"]),
                   by=str(doc.get("by", "")), at=str(doc.get("at", "")))


# Fields a person edits directly (``candidate edit``); stage, history and exit change only by rules.
EDITABLE_FIELDS: tuple[str, ...] = (
    "name", "born", "gender", "ethnicity", "religion", "education", "occupation",
    "youth_union", "tags", "residence", "renter", "mentor", "introducers", "notes",
)
PERSON_FIELDS = frozenset({"name", "mentor"})  # a person's name (and each of "introducers"): db.text.clean_person_name
MULTILINE_FIELDS = frozenset({"notes"})  # free text kept in lines (db.text.NOTES_LIMIT characters)


@dataclass(frozen=True)
class Candidate:
    id: int
    unit: int
    name: str
    born: date | None = None
    gender: str | None = None
    ethnicity: str = MAJORITY_ETHNICITY
    religion: str = ""
    education: str | None = None
    occupation: str | None = None
    youth_union: bool = False
    tags: tuple[str, ...] = ()
    residence: str = ""
    renter: bool = False
    mentor: str = ""
    introducers: tuple[str, ...] = ()
    notes: str = ""  # family background and verification notes: sensitive
    history: tuple[StageEntry, ...] = ()
    exit: Exit | None = None
    # the branch's recognition vote, recorded before the committee's decision (the ``official`` entry, which then
    # keeps it as its ``vote``); None: not voted yet, or recorded with the decision
    recognition_vote: date | None = None
    rev: int = 1
    moves: tuple[Move, ...] = ()  # transfers between branches, oldest first; ``unit`` is where the last one led
    readmission: Readmission | None = None  # a former member applying again (None: a first admission)
    papers: tuple[Paper, ...] = ()  # the dossier's papers as received, in the order recorded (db.papers)

    @property
    def stage(self) -> str:
        """The furthest stage reached (a retaken class or redone dossier is recorded after later stages)."""
        if not self.history:
            return STAGES[0]
        return max((e.stage for e in self.history), key=stage_index)

    @property
    def last_entry(self) -> StageEntry | None:
        """The latest step recorded (a retake, or the furthest stage)."""
        return self.history[-1] if self.history else None

    @property
    def live(self) -> bool:
        return self.exit is None

    def stage_date(self, stage: str) -> date | None:
        entry = self.stage_entry(stage)
        return entry.date if entry else None

    def stage_entry(self, stage: str) -> StageEntry | None:
        """The latest entry of ``stage`` (a retaken class, a redone dossier: the rules use the latest)."""
        for entry in reversed(self.history):
            if entry.stage == stage:
                return entry
        return None

    def places(self) -> set[int]:
        """Every branch the candidate belonged to: where it is, and where it was before a transfer."""
        found = {self.unit}
        for move in self.moves:
            found.add(move.source)
        for entry in self.history:
            if entry.unit is not None:
                found.add(entry.unit)
        return found

    def dates_at(self, uid: int) -> list[date]:
        """The dates of what happened to the candidate at branch ``uid``: its stages recorded there, its leaving
        from there, and its transfers into or out of it."""
        days = [e.date for e in self.history if self.unit_of(e) == uid]
        if self.exit is not None and self.unit_on(self.exit.date) == uid:
            days.append(self.exit.date)
        days.extend(m.on for m in self.moves if uid in (m.source, m.target))
        return days

    def unit_on(self, day: date) -> int:
        """The branch the candidate belonged to on ``day``: before a transfer dated later, its branch of the time."""
        for move in self.moves:
            if day < move.on:
                return move.source
        return self.unit

    def unit_of(self, entry: StageEntry) -> int:
        """Where a stage was recorded: the branch the entry names, or (an entry written before stages kept it)
        the branch the candidate belonged to on its date."""
        return entry.unit if entry.unit is not None else self.unit_on(entry.date)

    def stage_on(self, day: date) -> str | None:
        """The stage reached on ``day``; ``None`` before the first entry or after leaving."""
        if self.exit is not None and self.exit.date <= day:
            return None
        reached = [entry.stage for entry in self.history if entry.date <= day]
        return max(reached, key=stage_index) if reached else None

    def to_doc(self) -> dict:
        doc = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "id"}  # not asdict: no deep copies
        doc["born"] = iso(self.born)
        doc["tags"] = list(self.tags)
        doc["introducers"] = list(self.introducers)
        doc["history"] = [e.to_doc() for e in self.history]
        doc["exit"] = self.exit.to_doc() if self.exit else None
        if self.recognition_vote is not None:
            doc["recognition_vote"] = iso(self.recognition_vote)
        else:
            del doc["recognition_vote"]  # written as before the vote could be recorded alone
        if self.moves:
            doc["moves"] = [m.to_doc() for m in self.moves]
        else:
            del doc["moves"]  # a candidate never moved is written as before transfers were kept
        if self.readmission is not None:
            doc["readmission"] = self.readmission.to_doc()
        else:
            del doc["readmission"]  # a first admission is written as before re-admission was kept
        if self.papers:
            doc["papers"] = [p.to_doc() for p in self.papers]
        else:
            del doc["papers"]  # no paper received: written as before papers were kept
        return doc

    @classmethod
    def from_doc(cls, doc_id: int, doc: dict) -> "Candidate":
        values = {**_CANDIDATE_DEFAULTS, **{k: v for k, v in doc.items() if k in _CANDIDATE_DEFAULTS}}
        values["id"] = int(doc_id)
        values["unit"] = int(doc["unit"])
        values["name"] = str(doc["name"])
        values["born"] = from_iso(doc.get("born"))
        values["tags"] = tuple(doc.get("tags") or ())
        values["introducers"] = tuple(doc.get("introducers") or ())
        values["history"] = tuple(StageEntry.from_doc(e) for e in doc.get("history") or ())
        values["exit"] = Exit.from_doc(doc["exit"]) if doc.get("exit") else None
        values["recognition_vote"] = from_iso(doc.get("recognition_vote"))
        values["moves"] = tuple(Move.from_doc(m) for m in doc.get("moves") or ())
        values["readmission"] = Readmission.from_doc(doc["readmission"]) if doc.get("readmission") else None
        values["papers"] = tuple(Paper.from_doc(p) for p in doc.get("papers") or ())
        values["rev"] = int(doc.get("rev", 1))
        return built(cls, values)

    def with_(self, **changes) -> "Candidate":
        """The candidate with ``changes`` (fields by name): ``dataclasses.replace`` without the constructor (an
        import's dry run makes one for every row)."""
        unknown = changes.keys() - _CANDIDATE_DEFAULTS.keys()
        if unknown:
            raise TypeError(f"Candidate has no field {', '.join(sorted(unknown))}")
        return built(Candidate, {**vars(self), **changes})


_CANDIDATE_DEFAULTS = {f.name: None if f.default is MISSING else f.default for f in fields(Candidate)}


@dataclass(frozen=True)
class Settings:
    """Limits that DOMAIN.md marks unconfirmed or that staff may tune; kept in the store."""

    certificate_valid_months: int = 60
    dossier_valid_months: int = 12
    decision_workdays: int = 60
    decision_extra_workdays: int = 30
    ceremony_workdays: int = 30
    probation_months: int = 12
    recognition_workdays: int = 30
    recognition_decision_workdays: int = 30  # the committee's decision after the branch's recognition vote
    min_age: int = 18
    max_age: int = 60
    due_soon_days: int = 30
    min_introducers: int = 2
    youth_max_age: int = 30          # the Youth Union route (its committee + one member) up to this age
    readmission_wait_months: int = 36
    backups_kept: int = 20  # the store keeps its last N versions ...
    backup_days: int = 30   # ... and the last version of each day for this many days
    # The store's calendar (the shipped one with the days an admin added, State.from_data); None: the shipped
    # one alone. Not a setting kept in ``meta``: the store's ``calendar`` table holds the added days.
    store_calendar: Calendar | None = field(default=None, compare=False, repr=False)

    @property
    def calendar(self) -> Calendar:
        """The working days due dates count (db.workdays; read on the first question)."""
        return self.store_calendar or official_calendar()

    def to_doc(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "store_calendar"}

    @classmethod
    def from_doc(cls, doc: dict | None, calendar: Calendar | None = None) -> "Settings":
        known = {f.name for f in fields(cls)} - {"store_calendar"}
        return cls(**{k: int(v) for k, v in (doc or {}).items() if k in known}, store_calendar=calendar)
