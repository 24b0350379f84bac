"""The dossier's papers: what a candidate's dossier holds, which papers the branch vote needs, and what is missing.

Each kind of paper is data (:data:`KINDS`: its form number where one is known, its source).  A candidate keeps
the papers received (``Candidate.papers``: the kind, the day received, who recorded it).  Which papers the branch
vote needs depends on the route (:func:`required`): two introducers' letters, or on the Youth Union route the
Youth Union committee's resolution and one letter; a renter also needs the comment of the ward where they live.
After a redone dossier (the dossier recorded again before the branch vote) the letters, the resolution and the
comments count only when received again on or after the new dossier's date (DOMAIN.md: "the introducers'
letters, the Youth Union resolution and the summary of comments are redone, not the whole dossier").  The rule
that refuses the vote while a paper is missing is ``papers`` in :data:`db.rules.RULES`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .i18n import Phrases
from .model import Candidate, Paper, Settings
from .workdays import age_on

SOURCE_NOT_FOUND = "source not found"  # as db.rules.SOURCE_NOT_FOUND (rules imports this module)
# The dossier considered by the branch, as a legal-advice page quotes Hướng dẫn 12-HD/BTCTW (2022), Phần II,
# tiểu mục 1.1: (1) the certificate, (2) the application, (3) the biography and the verification papers with it,
# (4) the letter of the official member assigned to help, (5) the Youth Union's resolution (if any), (6) the
# summary of comments of the organisations and the residence branch.  The guidance's own text was not found;
# the point of Hướng dẫn 06-HD/TW (2025) that replaces it: source not found.
HD12 = "Hướng dẫn 12-HD/BTCTW (2022), Phần II, tiểu mục 1.1"
QUOTED = " (as quoted; the guidance's text itself was not found)"


@dataclass(frozen=True)
class PaperKind:
    """One paper of the dossier.  Its label is the catalogue entry ``paper.<id>``."""

    id: str
    form: str      # the form's number (``1-KNĐ``); "" when it has none or the number was not confirmed
    source: str    # the regulation that asks for it; SOURCE_NOT_FOUND when the text was not found
    redone: bool = False  # received again after a redone dossier


KINDS: tuple[PaperKind, ...] = (
    PaperKind("application", "1-KNĐ", f"{HD12}, (2){QUOTED}; the form: DOMAIN.md"),
    PaperKind("biography", "2-KNĐ", f"{HD12}, (3){QUOTED}; the form: DOMAIN.md"),
    PaperKind("certificate", "", f"{HD12}, (1){QUOTED}"),
    PaperKind("letter", "3-KNĐ", f"{HD12}, (4){QUOTED}; one from each introducer: Điều lệ Đảng, Điều 4",
              redone=True),
    PaperKind("youth_resolution", "", f"{HD12}, (5){QUOTED}; Điều lệ Đảng, Điều 4 (the form's number was not "
              "confirmed)", redone=True),
    PaperKind("comments", "", f"{HD12}, (6){QUOTED} (the form's number was not confirmed)", redone=True),
    PaperKind("residence", "", f"{SOURCE_NOT_FOUND} (DOMAIN.md: renters are verified with the ward where they "
              "live; the article: Hải Châu)", redone=True),
    PaperKind("verification", "", f"{HD12}, (3: the verification papers with the biography){QUOTED}"),
)
KINDS_BY_ID: dict[str, PaperKind] = {k.id: k for k in KINDS}
RULE_SOURCE = (f"{HD12}{QUOTED}; the point of Hướng dẫn 06-HD/TW (2025): {SOURCE_NOT_FOUND}")


def introducers_needed(candidate: Candidate, day: date, settings: Settings) -> tuple[int, bool]:
    """Introducers needed on ``day`` and whether the Youth Union route applies: its committee's resolution
    and one member, for Youth Union members of youth age (up to ``youth_max_age``; a birth date not given is
    not held against them); otherwise ``min_introducers`` members (a letter from each, :func:`required`)."""
    young = candidate.born is None or age_on(candidate.born, day) <= settings.youth_max_age
    route = candidate.youth_union and young
    return settings.min_introducers - (1 if route else 0), route


def required(candidate: Candidate, day: date, settings: Settings) -> dict[str, int]:
    """How many papers of each kind the branch vote on ``day`` needs, in the order of :data:`KINDS`: one letter
    from each introducer (two, or one on the Youth Union route, whose committee's resolution is then needed; a
    candidate recorded with fewer introducers needs a letter from each of them, the shortfall being the soft
    ``introducers`` rule), the comments, and for a renter the comment of the ward where they live."""
    needed, route = introducers_needed(candidate, day, settings)
    recorded = len(candidate.introducers)
    counts = {"application": 1, "biography": 1, "certificate": 1,
              "letter": min(needed, recorded) if recorded else needed,
              "youth_resolution": 1 if route else 0, "comments": 1, "residence": 1 if candidate.renter else 0,
              "verification": 1}
    return {k.id: counts[k.id] for k in KINDS}


def redone_since(candidate: Candidate, day: date) -> date | None:
    """The date of the dossier redone before ``day`` (the latest of several dossier entries), else None."""
    dossiers = [e.date for e in candidate.history if e.stage == "dossier" and e.date <= day]
    return dossiers[-1] if len(dossiers) > 1 else None


@dataclass(frozen=True)
class Item:
    """One kind of paper on a candidate's checklist."""

    kind: str
    needed: int                     # 0: not needed for this candidate (listed when one was received anyway)
    received: tuple[Paper, ...]     # every paper of the kind, in the order recorded
    counted: tuple[Paper, ...]      # those the branch vote counts

    @property
    def missing(self) -> int:
        return max(0, self.needed - len(self.counted))

    @property
    def stale(self) -> tuple[Paper, ...]:
        """Received, but not counted: before the redone dossier (or after the day judged)."""
        return tuple(p for p in self.received if p not in self.counted)


@dataclass(frozen=True)
class Checklist:
    """A candidate's papers judged on ``day`` (the branch vote's when it voted, else today)."""

    day: date
    youth_route: bool
    redone: date | None             # the redone dossier's date: the redone kinds count from it
    items: tuple[Item, ...]

    @property
    def missing(self) -> list[tuple[str, int]]:
        return [(i.kind, i.missing) for i in self.items if i.missing]

    @property
    def complete(self) -> bool:
        return not self.missing

    def phrases(self) -> Phrases:
        """What is missing, for a message (``thiếu: lý lịch, giấy giới thiệu``)."""
        return missing_phrases(self.missing)


def missing_phrases(missing: list[tuple[str, int]]) -> Phrases:
    return Phrases((f"paper.{kind}", {}) if count == 1 else ("paper.count", {"count": count, "kind": Phrases([(f"paper.{kind}", {})])})
                   for kind, count in missing)


def checklist(candidate: Candidate, settings: Settings, day: date) -> Checklist:
    """The papers ``candidate`` needs for a branch vote on ``day`` and those it has: a paper counts when received
    on or before ``day`` and, for the kinds a redone dossier redoes, on or after the redone dossier's date."""
    counts = required(candidate, day, settings)
    redone = redone_since(candidate, day)
    items = []
    for kind in KINDS:
        got = tuple(p for p in candidate.papers if p.kind == kind.id)
        counted = tuple(p for p in got if p.received <= day
                        and not (kind.redone and redone is not None and p.received < redone))
        if counts[kind.id] or got:
            items.append(Item(kind.id, counts[kind.id], got, counted))
    return Checklist(day, introducers_needed(candidate, day, settings)[1], redone, tuple(items))


def judged_on(candidate: Candidate, today: date) -> date:
    """The day a candidate's papers are judged on: its branch vote's, or today before it."""
    return candidate.stage_date("branch") or today
