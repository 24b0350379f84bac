"""Pipeline rules: what a stage change may be, and each candidate's warnings and due dates.

Every function here is plain: it takes records, settings and "today", and returns values.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .errors import PtdvError
from .model import EXIT_KINDS, STAGES, Candidate, Settings, stage_index
from .text import fmt_date
from .workdays import add_months

SEVERITIES = ("overdue", "due", "warning", "upcoming")  # most urgent first


@dataclass(frozen=True)
class Finding:
    """One warning or due date on a candidate; ``rule`` is the catalogue key of the rule text."""

    code: str
    severity: str
    due: date | None = None
    params: dict = field(default_factory=dict, compare=False)

    @property
    def rule(self) -> str:
        return f"rule.{self.code}"


def next_stage(candidate: Candidate) -> str | None:
    if not candidate.history:
        return STAGES[0]
    index = stage_index(candidate.stage)
    return STAGES[index + 1] if index + 1 < len(STAGES) else None


def check_stage_date(candidate: Candidate, stage: str, day: date, today: date) -> None:
    """Refuse a date in the future or before the previous stage's date."""
    if day > today:
        raise PtdvError("stage.future_date", date=fmt_date(day), today=fmt_date(today))
    earlier = [e for e in candidate.history if stage_index(e.stage) < stage_index(stage)]
    if earlier and day < earlier[-1].date:
        raise PtdvError("stage.before_previous", date=fmt_date(day), previous=earlier[-1].stage,
                        previous_date=fmt_date(earlier[-1].date))


def check_advance(candidate: Candidate, stage: str, day: date, today: date) -> None:
    """A candidate moves one stage at a time, in order, on a date that is not in the future."""
    if stage not in STAGES:
        raise PtdvError("stage.unknown", stage=stage, stages=", ".join(STAGES))
    if not candidate.live:
        raise PtdvError("candidate.exited", id=candidate.id)
    expected = next_stage(candidate)
    if expected is None:
        raise PtdvError("stage.finished", id=candidate.id)
    if stage != expected:
        if stage_index(stage) <= stage_index(candidate.stage):
            raise PtdvError("stage.already", id=candidate.id, stage=stage)
        raise PtdvError("stage.skipped", stage=stage, expected=expected)
    check_stage_date(candidate, stage, day, today)


def check_exit(candidate: Candidate, kind: str, reason: str, day: date, today: date) -> None:
    if kind not in EXIT_KINDS:
        raise PtdvError("exit.unknown_kind", kind=kind, kinds=", ".join(EXIT_KINDS))
    if not candidate.live:
        raise PtdvError("candidate.exited", id=candidate.id)
    if not reason.strip():
        raise PtdvError("exit.reason_required")
    if day > today:
        raise PtdvError("stage.future_date", date=fmt_date(day), today=fmt_date(today))
    if candidate.history and day < candidate.history[-1].date:
        raise PtdvError("stage.before_previous", date=fmt_date(day), previous=candidate.stage,
                        previous_date=fmt_date(candidate.history[-1].date))


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _deadline(code: str, due: date, today: date, settings: Settings, **params) -> Finding | None:
    if today > due:
        return Finding(code, "overdue", due, params)
    if (due - today).days <= settings.due_soon_days:
        return Finding(code, "due", due, params)
    return Finding(code, "upcoming", due, params)


def findings(candidate: Candidate, settings: Settings, today: date) -> list[Finding]:
    """Warnings and due dates of a live candidate, most urgent first."""
    if not candidate.live:
        return []
    reached = stage_index(candidate.stage) if candidate.history else -1
    dated = candidate.stage_date
    out: list[Finding] = []

    class_day = dated("class")
    if class_day and reached < stage_index("decided"):
        out.append(_deadline("certificate", add_months(class_day, settings.certificate_valid_months), today,
                             settings, months=settings.certificate_valid_months, since=fmt_date(class_day)))
    dossier_day = dated("dossier")
    if dossier_day and reached < stage_index("branch"):
        out.append(_deadline("dossier", add_months(dossier_day, settings.dossier_valid_months), today,
                             settings, months=settings.dossier_valid_months, since=fmt_date(dossier_day)))
    branch_day = dated("branch")
    if branch_day and reached < stage_index("decided"):
        out.append(_deadline("decision", settings.calendar.add_workdays(branch_day, settings.decision_workdays), today, settings,
                             workdays=settings.decision_workdays, extra=settings.decision_extra_workdays,
                             since=fmt_date(branch_day)))
    decided_day = dated("decided")
    if decided_day and reached < stage_index("admitted"):
        out.append(_deadline("ceremony", settings.calendar.add_workdays(decided_day, settings.ceremony_workdays), today, settings,
                             workdays=settings.ceremony_workdays, since=fmt_date(decided_day)))
    admitted_day = dated("admitted")
    if admitted_day and reached < stage_index("official"):
        probation_end = add_months(admitted_day, settings.probation_months)
        found = _deadline("recognition", settings.calendar.add_workdays(probation_end, settings.recognition_workdays), today,
                          settings, months=settings.probation_months, workdays=settings.recognition_workdays,
                          probation_end=fmt_date(probation_end))
        out.append(found)

    if candidate.born:
        vote_day = dated("branch")
        on = vote_day or today
        age = age_on(candidate.born, on)
        if not settings.min_age <= age <= settings.max_age:
            out.append(Finding("age", "warning", None, {"age": age, "min": settings.min_age,
                                                        "max": settings.max_age, "on": fmt_date(on)}))
    if reached >= stage_index("dossier") and reached < stage_index("decided"):
        needed = settings.min_introducers - (1 if candidate.youth_union else 0)
        if len(candidate.introducers) < needed:
            out.append(Finding("introducers", "warning", None,
                               {"count": len(candidate.introducers), "needed": needed}))
    out.sort(key=lambda f: (SEVERITIES.index(f.severity), f.due or date.max))
    return out


def is_overdue(candidate: Candidate, settings: Settings, today: date) -> bool:
    return any(f.severity == "overdue" for f in findings(candidate, settings, today))


def first_due(candidate: Candidate, settings: Settings) -> date | None:
    """The earliest deadline of a live candidate: it is overdue on every day after it.

    Which deadlines apply depends only on the candidate's record, not on the day asked."""
    dues = [f.due for f in findings(candidate, settings, date.min) if f.due is not None]
    return min(dues) if dues else None


def needs_attention(candidate: Candidate, settings: Settings, today: date) -> list[Finding]:
    """What belongs on a due list: overdue, due soon, and standing warnings."""
    return [f for f in findings(candidate, settings, today) if f.severity != "upcoming"]
