"""Records of the domain and their JSON form in the store."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date

from .text import from_iso, iso

# The admission pipeline, in order (DOMAIN.md). Labels live in the catalogues: ``stage.<id>``.
STAGES: tuple[str, ...] = (
    "source", "class", "dossier", "verified", "branch",
    "committee", "decided", "admitted", "official",
)
EXIT_KINDS: tuple[str, ...] = ("withdrawn", "rejected")
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


@dataclass(frozen=True)
class Unit:
    id: int
    name: str
    level: str
    parent: int | None
    members: dict[int, int] = field(default_factory=dict)  # year -> members at the start of it
    rev: int = 1

    def to_doc(self) -> dict:
        return {"name": self.name, "level": self.level, "parent": self.parent,
                "members": {str(y): n for y, n in sorted(self.members.items())}, "rev": self.rev}

    @classmethod
    def from_doc(cls, doc_id: int, doc: dict) -> "Unit":
        return cls(id=int(doc_id), name=str(doc["name"]), level=str(doc["level"]),
                   parent=None if doc.get("parent") is None else int(doc["parent"]),
                   members={int(y): int(n) for y, n in doc.get("members", {}).items()},
                   rev=int(doc.get("rev", 1)))


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
class StageEntry:
    stage: str
    date: date
    by: str
    at: str  # ISO timestamp of when it was recorded

    def to_doc(self) -> dict:
        return {"stage": self.stage, "date": iso(self.date), "by": self.by, "at": self.at}

    @classmethod
    def from_doc(cls, doc: dict) -> "StageEntry":
        stage = str(doc["stage"])
        if stage not in STAGES:
            raise ValueError(f"unknown stage {stage!r}")
        return cls(stage=stage, date=from_iso(doc["date"]), by=str(doc.get("by", "")), at=str(doc.get("at", "")))


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
    rev: int = 1

    @property
    def stage(self) -> str:
        return self.history[-1].stage if self.history else STAGES[0]

    @property
    def live(self) -> bool:
        return self.exit is None

    def stage_date(self, stage: str) -> date | None:
        for entry in self.history:
            if entry.stage == stage:
                return entry.date
        return None

    def stage_on(self, day: date) -> str | None:
        """The stage reached on ``day``; ``None`` before the first entry or after leaving."""
        if self.exit is not None and self.exit.date <= day:
            return None
        current = None
        for entry in self.history:
            if entry.date <= day:
                current = entry.stage
        return current

    def to_doc(self) -> dict:
        doc = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "id"}  # not asdict: no deep copies
        doc["born"] = iso(self.born)
        doc["tags"] = list(self.tags)
        doc["introducers"] = list(self.introducers)
        doc["history"] = [e.to_doc() for e in self.history]
        doc["exit"] = self.exit.to_doc() if self.exit else None
        return doc

    @classmethod
    def from_doc(cls, doc_id: int, doc: dict) -> "Candidate":
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in doc.items() if k in known}
        values["id"] = int(doc_id)
        values["unit"] = int(doc["unit"])
        values["name"] = str(doc["name"])
        values["born"] = from_iso(doc.get("born"))
        values["tags"] = tuple(doc.get("tags") or ())
        values["introducers"] = tuple(doc.get("introducers") or ())
        values["history"] = tuple(StageEntry.from_doc(e) for e in doc.get("history") or ())
        values["exit"] = Exit.from_doc(doc["exit"]) if doc.get("exit") else None
        values["rev"] = int(doc.get("rev", 1))
        return cls(**values)

    def with_(self, **changes) -> "Candidate":
        return replace(self, **changes)


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
    min_age: int = 18
    max_age: int = 60
    due_soon_days: int = 30
    min_introducers: int = 2
    backups_kept: int = 20  # the store keeps its last N versions ...
    backup_days: int = 30   # ... and the last version of each day for this many days

    def to_doc(self) -> dict:
        return asdict(self)

    @classmethod
    def from_doc(cls, doc: dict | None) -> "Settings":
        known = {f.name for f in fields(cls)}
        return cls(**{k: int(v) for k, v in (doc or {}).items() if k in known})
