"""Pipeline rules: what a stage change may be, and each candidate's warnings, due dates and breaches.

Every rule is data (:data:`RULES`: what it checks, hard or soft, whether someone's decision may allow an
exception, its source) and a plain function here: it takes records, settings and "today", and returns values.
A hard rule refuses the step (:class:`RuleRefused`, naming the rule and its source) unless it allows an
exception and the step records who decided it; a soft rule lets the step through and the entry keeps the
:class:`~db.model.Breach`, so that it stays visible afterwards (:func:`breaches`).  docs/RULES.md is made
from the table (``python -m db.rules``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Iterable

from . import papers as papers_mod
from .errors import PtdvError
from .i18n import t
from .model import (BEFORE_ADMISSION_EXITS, EXIT_KINDS, PROBATION_EXITS, READMISSION_EXCLUDED, RETAKEN_STAGES,
                    STAGES, Breach, Candidate, Settings, StageEntry, stage_index)
from .text import fmt_date
from .workdays import add_months, age_on

SEVERITIES = ("overdue", "due", "warning", "upcoming")  # most urgent first
SOURCE_NOT_FOUND = "source not found"
JUDGED_STAGES = ("branch", "decided", "admitted", "official")  # the steps judge_step finds something at


@dataclass(frozen=True)
class Rule:
    """One rule of the pipeline.  Its texts are catalogue entries: ``rules.<id>`` (what it checks),
    ``rules.<id>.who`` (who may decide an exception) and ``rules.<id>.why_soft`` (why ptdv only warns)."""

    id: str
    kind: str                    # "hard": the step is refused | "soft": warned, and the breach is kept
    stage: str | None            # the step it is checked at (None: when a candidate is added or leaves)
    exception: bool              # someone's decision may allow it (recorded with the step: --exception)
    source: str                  # document and article; SOURCE_NOT_FOUND when the text could not be found
    setting: str | None = None   # the Settings field its limit comes from
    counted: bool = True         # an excused or soft breach counts as "admitted outside the rules"


RULES: tuple[Rule, ...] = (
    Rule("stage_order", "hard", None, False, "Điều lệ Đảng, Điều 4 và Điều 5 (the steps, in order)"),
    Rule("stage_date", "hard", None, False, "ptdv: a record's dates are not in the future and follow each other"),
    Rule("retake", "hard", "class", False,
         SOURCE_NOT_FOUND + " (DOMAIN.md: Hướng dẫn 06-HD/TW; the point was not found)"),
    Rule("age_min", "hard", "branch", False, "Quy định 232-QĐ/TW, điểm 1.1.1 (Điều lệ Điều 1 khoản 2)", "min_age"),
    Rule("age_max", "hard", "branch", True, "Quy định 232-QĐ/TW, điểm 1.1.2 (Điều lệ Điều 1 khoản 2)", "max_age"),
    Rule("introducers", "soft", "branch", False, "Điều lệ Đảng, Điều 4", "min_introducers"),
    Rule("youth_route", "soft", "branch", False,
         "Điều lệ Đảng, Điều 4 (đoàn viên trong độ tuổi thanh niên); tuổi thanh niên: Luật Thanh niên 2020, Điều 1",
         "youth_max_age"),
    Rule("certificate", "soft", "branch", False, SOURCE_NOT_FOUND, "certificate_valid_months"),
    Rule("dossier", "soft", "branch", False, SOURCE_NOT_FOUND + " (DOMAIN.md: Hướng dẫn 06-HD/TW)",
         "dossier_valid_months"),
    Rule("readmit_wait", "hard", "branch", False, "Quy định 294-QĐ/TW, điểm 3.5.1", "readmission_wait_months"),
    Rule("papers", "hard", "branch", False, papers_mod.RULE_SOURCE),
    Rule("grassroots_branch", "hard", "committee", False,
         SOURCE_NOT_FOUND + " (DOMAIN.md: a chi bộ cơ sở has no separate committee vote)"),
    Rule("decision", "hard", "decided", True,
         "Quy định 232-QĐ/TW, điểm 4.3.1 (60 working days); the +30 extension: " + SOURCE_NOT_FOUND,
         "decision_workdays"),
    Rule("readmit_approval", "hard", "decided", True, "Quy định 294-QĐ/TW, điểm 3.5.1", counted=False),
    Rule("ceremony", "hard", "admitted", True, "Quy định 232-QĐ/TW, điểm 4.1 (Điều lệ Điều 5 khoản 1)",
         "ceremony_workdays"),
    Rule("probation", "hard", "official", False, "Điều lệ Đảng, Điều 5 khoản 1", "probation_months"),
    Rule("recognition", "soft", "official", False,
         "Quy định 29-QĐ/TW (2016) Mục 4, kept in 232-QĐ/TW Mục 4 (the point was not confirmed)",
         "recognition_workdays"),
    Rule("recognition_decision", "soft", "official", False,
         "Quy định 29-QĐ/TW (2016) Mục 4, kept in 232-QĐ/TW Mục 4 (the point was not confirmed)",
         "recognition_decision_workdays"),
    Rule("exit_kind", "hard", None, False, "Điều lệ Đảng, Điều 5 khoản 2 (xóa tên đảng viên dự bị)"),
    Rule("readmit_excluded", "hard", None, False, "Quy định 294-QĐ/TW, điểm 3.5.2"),
    Rule("readmit_once", "hard", None, False, "Quy định 294-QĐ/TW, điểm 3.5.3"),
)
RULES_BY_ID: dict[str, Rule] = {r.id: r for r in RULES}


def rule(rule_id: str) -> Rule:
    return RULES_BY_ID[rule_id]


def source_text(rule_id: str, lang: str) -> str:
    """The rule's source as shown: "source not found" in the user's language."""
    source = RULES_BY_ID[rule_id].source
    return source.replace(SOURCE_NOT_FOUND, t("rules.source_not_found", lang))


def rule_params(spec: Rule, settings: Settings) -> dict:
    """What the texts of ``spec`` (``rules.<id>``, ``.who``) need, from ``settings``."""
    params = {"min": settings.min_age, "max": settings.max_age, "extra": settings.decision_extra_workdays}
    if spec.setting and spec.setting.endswith("months"):
        params["months"] = getattr(settings, spec.setting)
    if spec.setting and spec.setting.endswith("workdays"):
        params["workdays"] = getattr(settings, spec.setting)
    return params


def rules_table(settings: Settings, lang: str) -> list[dict]:
    """The rules as rows (``ptdv rules``, docs/RULES.md): id, kind, step, whether an exception is possible and
    by whom, the source, what it checks and why a soft rule only warns, in ``lang``."""
    rows = []
    for spec in RULES:
        params = rule_params(spec, settings)
        rows.append({"id": spec.id, "kind": spec.kind, "stage": spec.stage, "exception": spec.exception,
                     "who": t(f"rules.{spec.id}.who", lang, **params) if spec.exception else "",
                     "source": source_text(spec.id, lang), "source_found": SOURCE_NOT_FOUND not in spec.source,
                     "setting": spec.setting, "what": t(f"rules.{spec.id}", lang, **params),
                     "why_soft": t(f"rules.{spec.id}.why_soft", lang) if spec.kind == "soft" else ""})
    return rows


class RuleRefused(PtdvError):
    """A step a hard rule refuses: the rule's own message, then its id and source, then (when the rule allows
    one and none was given) how to record the exception."""

    def __init__(self, rule_id: str, needs_exception: bool = False, **params: object) -> None:
        super().__init__(f"refused.{rule_id}", **params)
        self.rule_id = rule_id
        self.needs_exception = needs_exception

    def message(self, lang: str = "vi") -> str:
        text = super().message(lang) + " " + t("rules.named", lang, rule=self.rule_id,
                                                 source=source_text(self.rule_id, lang))
        if self.needs_exception:
            who = t(f"rules.{self.rule_id}.who", lang, **{"extra": "30", **self.params})
            text += " " + t("rules.exception_hint", lang, who=who)
        return text


def _workdays(settings: Settings, start: date, count: int) -> date:
    """``count`` working days after ``start``: the one place the rules ask the calendar."""
    return settings.calendar.add_workdays(start, count)


def age_months(born: date, day: date) -> int:
    """Completed months of age on ``day`` (the regulation counts ages in months)."""
    months = (day.year - born.year) * 12 + day.month - born.month
    while months > 0 and add_months(born, months) > day:
        months -= 1
    return months


@dataclass(frozen=True)
class Finding:
    """One warning or due date on a candidate; ``rule`` is the catalogue key of its text, ``rule_id`` the
    :data:`RULES` row it comes from."""

    code: str
    severity: str
    due: date | None = None
    params: dict = field(default_factory=dict, compare=False)
    rule_id: str = ""

    @property
    def rule(self) -> str:
        return f"rule.{self.code}"

    @property
    def source_rule(self) -> str:
        return self.rule_id or self.code


def next_stage(candidate: Candidate, skip_committee: bool = False) -> str | None:
    """The stage a candidate goes to next; a grassroots branch (chi bộ cơ sở: ``skip_committee``) has no
    separate committee vote, so its branch vote is followed by the decision."""
    if not candidate.history:
        return STAGES[0]
    index = stage_index(candidate.stage) + 1
    if index < len(STAGES) and skip_committee and STAGES[index] == "committee":
        index += 1
    return STAGES[index] if index < len(STAGES) else None


def check_stage_date(candidate: Candidate, stage: str, day: date, today: date) -> None:
    """Refuse a date in the future or before the previous stage's date (a retake: before the last step)."""
    if day > today:
        raise PtdvError("stage.future_date", date=fmt_date(day), today=fmt_date(today))
    if candidate.stage_entry(stage) is not None:  # a retake: after everything recorded
        earlier = list(candidate.history)
    else:
        earlier = [e for e in candidate.history if stage_index(e.stage) < stage_index(stage)]
    if earlier and day < earlier[-1].date:
        raise PtdvError("stage.before_previous", date=fmt_date(day), previous=earlier[-1].stage,
                        previous_date=fmt_date(earlier[-1].date))


def history_in_order(stages: list[str]) -> bool:
    """Whether a history's stages are the pipeline's, in order: each new stage the next one (``committee``
    may be missing: a grassroots branch), the class and the dossier repeated (retakes) before the branch vote."""
    reached = -1
    for stage in stages:
        index = stage_index(stage)
        if index <= reached:
            if stage not in RETAKEN_STAGES or reached >= stage_index("branch"):
                return False
            continue
        if index != reached + 1 and not (stage == "decided" and reached == stage_index("branch")):
            return False
        reached = index
    return True


def may_retake(candidate: Candidate, stage: str) -> bool:
    """Retaking the awareness class or redoing the dossier is recorded again, with its new date, while the
    branch has not voted (the rules then use the latest entry)."""
    return (stage in RETAKEN_STAGES and candidate.stage_entry(stage) is not None
            and stage_index(candidate.stage) < stage_index("branch"))


def check_advance(candidate: Candidate, stage: str, day: date, today: date, *, skip_committee: bool = False) -> None:
    """A candidate moves one stage at a time, in order, on a date that is not in the future; the class and
    the dossier may be recorded again before the branch vote (:func:`may_retake`)."""
    if stage not in STAGES:
        raise PtdvError("stage.unknown", stage=stage, stages=", ".join(STAGES))
    if not candidate.live:
        raise PtdvError("candidate.exited", id=candidate.id)
    if may_retake(candidate, stage):
        check_stage_date(candidate, stage, day, today)
        return
    expected = next_stage(candidate, skip_committee)
    if expected is None:
        raise PtdvError("stage.finished", id=candidate.id)
    if stage != expected:
        if stage == "committee" and skip_committee:
            raise RuleRefused("grassroots_branch", expected=expected)
        if stage_index(stage) <= stage_index(candidate.stage):
            if stage in RETAKEN_STAGES:
                raise RuleRefused("retake", stage=stage)
            raise PtdvError("stage.already", id=candidate.id, stage=stage)
        raise PtdvError("stage.skipped", stage=stage, expected=expected)
    check_stage_date(candidate, stage, day, today)


def check_exit(candidate: Candidate, kind: str, reason: str, day: date, today: date) -> None:
    """Leaving with a known kind, a reason and a sensible date; withdrawn and not admitted are for those not
    yet admitted, not recognised and struck off for probationary members (rule ``exit_kind``)."""
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
    allowed = exit_kinds(candidate)
    if kind not in allowed:
        raise RuleRefused("exit_kind", kind=kind, stage=candidate.stage, kinds=", ".join(allowed))


def exit_kinds(candidate: Candidate) -> tuple[str, ...]:
    """How ``candidate`` may leave (rule ``exit_kind``): before the ceremony withdrawn or not admitted; a
    probationary member not recognised or struck off."""
    admitted = bool(candidate.history) and stage_index(candidate.stage) >= stage_index("admitted")
    return PROBATION_EXITS if admitted else BEFORE_ADMISSION_EXITS


def check_readmission(left: date, reason: str, day: date, readmitted_before: bool) -> None:
    """A former member may apply again unless they left for an excluded reason, and only once (294-QĐ/TW
    3.5.2, 3.5.3); the 36 months are checked at the branch vote (:func:`judge_step`)."""
    if left > day:
        raise PtdvError("readmission.left_after", left=fmt_date(left), date=fmt_date(day))
    if reason in READMISSION_EXCLUDED:
        raise RuleRefused("readmit_excluded", reason=reason)
    if readmitted_before:
        raise RuleRefused("readmit_once")


def probation_end(candidate: Candidate, settings: Settings) -> date | None:
    """The end of probation: official status dates from it (the recognition only confirms it)."""
    admitted = candidate.stage_date("admitted")
    return add_months(admitted, settings.probation_months) if admitted else None


def judge_step(candidate: Candidate, stage: str, day: date, settings: Settings, *,
               received: date | None = None, vote: date | None = None) -> list[Breach]:
    """Every rule of :data:`RULES` that recording ``stage`` on ``day`` for ``candidate`` (its history so far)
    would break, hard and soft, with what their messages need."""
    out: list[Breach] = []
    if stage == "branch":
        if candidate.born is not None:
            months = age_months(candidate.born, day)
            params = {"years": months // 12, "months": months % 12, "on": fmt_date(day)}
            if months < settings.min_age * 12:
                out.append(Breach("age_min", {**params, "min": settings.min_age}))
            elif months > settings.max_age * 12:
                out.append(Breach("age_max", {**params, "max": settings.max_age}))
        needed, route = papers_mod.introducers_needed(candidate, day, settings)
        count = len(candidate.introducers)
        if count < needed and candidate.youth_union and not route:  # a Youth Union member past youth age
            out.append(Breach("youth_route", {"age": age_on(candidate.born, day), "max": settings.youth_max_age,
                                              "count": count, "needed": needed}))
        elif count < needed:
            out.append(Breach("introducers", {"count": count, "needed": needed}))
        class_day = candidate.stage_date("class")
        if class_day and day > add_months(class_day, settings.certificate_valid_months):
            out.append(Breach("certificate", {"since": fmt_date(class_day), "months": settings.certificate_valid_months}))
        dossier_day = candidate.stage_date("dossier")
        if dossier_day and day > add_months(dossier_day, settings.dossier_valid_months):
            out.append(Breach("dossier", {"since": fmt_date(dossier_day), "months": settings.dossier_valid_months}))
        if candidate.readmission is not None:
            allowed = add_months(candidate.readmission.left, settings.readmission_wait_months)
            if day < allowed:
                out.append(Breach("readmit_wait", {"left": fmt_date(candidate.readmission.left),
                                                   "months": settings.readmission_wait_months,
                                                   "allowed": fmt_date(allowed)}))
    elif stage == "decided":
        branch_day = candidate.stage_date("branch")
        if branch_day:
            due = _workdays(settings, branch_day, settings.decision_workdays)
            if day > due:
                out.append(Breach("decision", {"due": fmt_date(due), "workdays": settings.decision_workdays,
                                               "extra": settings.decision_extra_workdays,
                                               "since": fmt_date(branch_day)}))
        if candidate.readmission is not None:
            out.append(Breach("readmit_approval", {}))
    elif stage == "admitted":
        decided = candidate.stage_entry("decided")
        if decided is not None:
            start = decided.received or decided.date
            due = _workdays(settings, start, settings.ceremony_workdays)
            if day > due:
                out.append(Breach("ceremony", {"due": fmt_date(due), "workdays": settings.ceremony_workdays,
                                               "since": fmt_date(start)}))
    elif stage == "official":
        end = probation_end(candidate, settings)
        vote = vote or candidate.recognition_vote  # the vote recorded alone before the decision
        if vote is not None and vote < day:
            decision_due = _workdays(settings, vote, settings.recognition_decision_workdays)
            if day > decision_due:
                out.append(Breach("recognition_decision", {"due": fmt_date(decision_due), "vote": fmt_date(vote),
                                                           "workdays": settings.recognition_decision_workdays,
                                                           "date": fmt_date(day)}))
        if end is not None:
            voted = vote or day
            if min(voted, day) < end:
                out.append(Breach("probation", {"end": fmt_date(end), "months": settings.probation_months,
                                                "date": fmt_date(min(voted, day))}))
            else:
                due = _workdays(settings, end, settings.recognition_workdays)
                if voted > due:
                    out.append(Breach("recognition", {"due": fmt_date(due), "end": fmt_date(end),
                                                      "workdays": settings.recognition_workdays,
                                                      "vote": fmt_date(voted)}))
    return out


def check_papers(candidate: Candidate, stage: str, day: date, settings: Settings) -> None:
    """The branch vote needs every paper of the dossier (rule ``papers``, db.papers): refused, naming what is
    missing, while one is.  Not part of :func:`judge_step`: a history recorded before papers were kept is not
    judged for them afterwards."""
    if stage == "branch":
        found = papers_mod.checklist(candidate, settings, day)
        if not found.complete:
            raise RuleRefused("papers", missing=found.phrases())


def check_step(candidate: Candidate, stage: str, day: date, settings: Settings, *, exception: str = "",
               received: date | None = None, vote: date | None = None, papers: bool = True) -> tuple[Breach, ...]:
    """What the entry of this step keeps: the breaches of :func:`judge_step` once each hard one is allowed
    (it allows an exception and ``exception`` says who decided); else :class:`RuleRefused` for the first hard
    rule broken, then for a paper missing at the branch vote (:func:`check_papers`; ``papers=False`` leaves it
    out).  An exception given where no rule needs one is refused too (it would be counted)."""
    found = judge_step(candidate, stage, day, settings, received=received, vote=vote)
    for breach in found:
        spec = RULES_BY_ID[breach.rule]
        if spec.kind == "hard" and not (spec.exception and exception):
            raise RuleRefused(breach.rule, needs_exception=spec.exception, **breach.params)
    if papers:
        check_papers(candidate, stage, day, settings)
    if exception and not any(RULES_BY_ID[b.rule].kind == "hard" for b in found):
        raise PtdvError("exception.not_needed", stage=stage)
    return tuple(found)


def check_details(candidate: Candidate, stage: str, day: date, today: date, *, received: date | None = None,
                  vote: date | None = None) -> None:
    """The dates a step may carry: the day the decision was received (``decided``: not before it, not in the
    future) and the recognition vote (``official``: not after the decision, not before the ceremony)."""
    if received is not None:
        if stage != "decided":
            raise PtdvError("stage.received_only_decided")
        if received < day or received > today:
            raise PtdvError("stage.bad_received", received=fmt_date(received), date=fmt_date(day))
    if vote is not None:
        if stage != "official":
            raise PtdvError("stage.vote_only_official")
        admitted = candidate.stage_date("admitted")
        if vote > day or (admitted and vote < admitted):
            raise PtdvError("stage.bad_vote", vote=fmt_date(vote), date=fmt_date(day))


def check_vote(candidate: Candidate, vote: date, settings: Settings, today: date) -> None:
    """The branch's recognition vote recorded alone (the committee's decision, the ``official`` step, comes
    later): for a probationary member who has not been voted on, on a day from the ceremony to today; before
    the end of probation it is refused (rule ``probation``).  A late vote is kept when the decision is recorded."""
    if not candidate.live:
        raise PtdvError("candidate.exited", id=candidate.id)
    if candidate.stage != "admitted":
        raise PtdvError("stage.vote_not_probation", id=candidate.id, stage=candidate.stage)
    if candidate.recognition_vote is not None:
        raise PtdvError("stage.vote_recorded", id=candidate.id, vote=fmt_date(candidate.recognition_vote))
    if vote > today:
        raise PtdvError("stage.future_date", date=fmt_date(vote), today=fmt_date(today))
    admitted = candidate.stage_date("admitted")
    if admitted and vote < admitted:
        raise PtdvError("stage.before_previous", date=fmt_date(vote), previous="admitted",
                        previous_date=fmt_date(admitted))
    for breach in judge_step(candidate, "official", vote, settings, vote=vote):
        if RULES_BY_ID[breach.rule].kind == "hard":
            raise RuleRefused(breach.rule, **breach.params)


def _legacy_history(candidate: Candidate, upto: int) -> Candidate:
    """``candidate`` with its first ``upto`` entries: a probe for :func:`judge_step`, copied without
    ``dataclasses.replace`` (which would check every field again: most of ``ptdv check``'s time on a metro store)."""
    probe = object.__new__(Candidate)
    probe.__dict__.update(candidate.__dict__, history=candidate.history[:upto])
    return probe


def breaches(candidate: Candidate, settings: Settings | None = None) -> list[tuple[StageEntry, Breach]]:
    """Every rule a recorded step did not keep, oldest first, each with its entry (whose ``exception`` says
    who allowed it, when it was a hard rule).  An entry recorded before ptdv kept what it found is judged
    now from the history before it (with ``settings``, default the regulation's limits)."""
    settings = settings or Settings()
    out: list[tuple[StageEntry, Breach]] = []
    for i, entry in enumerate(candidate.history):
        found = entry.breaches
        if found is None and entry.stage in JUDGED_STAGES:  # the steps judge_step checks (a metro store's check)
            found = judge_step(_legacy_history(candidate, i), entry.stage, entry.date, settings,
                               received=None, vote=entry.vote)
        out.extend((entry, b) for b in found or ())
    return out


def candidate_checks(candidates: Iterable[Candidate], settings: Settings) -> dict:
    """What ``ptdv check`` finds of these candidates from their records alone (and the settings), as JSON to keep
    until their part changes: each one's id, branch and last stage date (judged against the tree and today when
    asked), the problems of its history (stages or dates out of order), and the rules its steps did not keep
    (``check.exception`` for a hard rule an exception allowed, ``check.breach`` for a soft one)."""
    cands, problems, outside = [], [], []
    for cand in candidates:
        days = [e.date for e in cand.history]
        cands.append([cand.id, cand.unit, days[-1].isoformat() if days else None])
        stages = [e.stage for e in cand.history]
        if not history_in_order(stages):
            problems.append(("check.candidate_order", {"id": cand.id, "stages": ", ".join(stages)}))
        if days != sorted(days):
            problems.append(("check.candidate_dates", {"id": cand.id}))
        for entry, breach in breaches(cand, settings):
            excused = rule(breach.rule).kind == "hard"
            outside.append(("check.exception" if excused else "check.breach",
                            {"id": cand.id, "name": cand.name, "stage": entry.stage, "date": fmt_date(entry.date),
                             "rule": breach.rule, "params": dict(breach.params),
                             "exception": entry.exception if excused else ""}))
    return {"cands": cands, "problems": problems, "outside": outside}


def outside_rules(candidate: Candidate, upto: str = "decided", settings: Settings | None = None) -> bool:
    """Whether the steps up to ``upto`` hold an exception or a breach that counts (``Rule.counted``):
    an admission "outside the rules" in the reports."""
    last = stage_index(upto)
    return any(stage_index(e.stage) <= last and RULES_BY_ID[b.rule].counted
               for e, b in breaches(candidate, settings))


def _deadline(code: str, due: date, today: date, settings: Settings, **params) -> Finding | None:
    if today > due:
        return Finding(code, "overdue", due, params)
    if (due - today).days <= settings.due_soon_days:
        return Finding(code, "due", due, params)
    return Finding(code, "upcoming", due, params)


def findings(candidate: Candidate, settings: Settings, today: date) -> list[Finding]:
    """Warnings and due dates of a live candidate, most urgent first (what a step broke is :func:`breaches`)."""
    if not candidate.live:
        return []
    reached = stage_index(candidate.stage) if candidate.history else -1
    dated = candidate.stage_date  # the latest entry of a stage: a retaken class, a redone dossier
    out: list[Finding] = []

    class_day = dated("class")
    if class_day and reached < stage_index("branch"):
        out.append(_deadline("certificate", add_months(class_day, settings.certificate_valid_months), today,
                             settings, months=settings.certificate_valid_months, since=fmt_date(class_day)))
    dossier_day = dated("dossier")
    if dossier_day and reached < stage_index("branch"):
        out.append(_deadline("dossier", add_months(dossier_day, settings.dossier_valid_months), today,
                             settings, months=settings.dossier_valid_months, since=fmt_date(dossier_day)))
    branch_day = dated("branch")
    if branch_day and reached < stage_index("decided"):
        out.append(_deadline("decision", _workdays(settings, branch_day, settings.decision_workdays), today,
                             settings, workdays=settings.decision_workdays, extra=settings.decision_extra_workdays,
                             since=fmt_date(branch_day)))
    decided = candidate.stage_entry("decided")
    if decided and reached < stage_index("admitted"):
        start = decided.received or decided.date
        out.append(_deadline("ceremony", _workdays(settings, start, settings.ceremony_workdays), today, settings,
                             workdays=settings.ceremony_workdays, since=fmt_date(start)))
    end = probation_end(candidate, settings)
    voted = candidate.recognition_vote
    if end and reached < stage_index("official") and voted is None:
        out.append(_deadline("recognition", _workdays(settings, end, settings.recognition_workdays), today,
                             settings, months=settings.probation_months, workdays=settings.recognition_workdays,
                             probation_end=fmt_date(end)))
    if voted is not None and reached < stage_index("official"):  # the second step: the committee decides
        out.append(_deadline("recognition_decision",
                             _workdays(settings, voted, settings.recognition_decision_workdays), today, settings,
                             workdays=settings.recognition_decision_workdays, vote=fmt_date(voted)))
    if reached < stage_index("branch"):  # checked when the branch votes; warned before
        if candidate.born:
            months = age_months(candidate.born, today)
            if not settings.min_age * 12 <= months <= settings.max_age * 12:
                out.append(Finding("age", "warning", None, {"age": months // 12, "months": months % 12,
                                                            "min": settings.min_age, "max": settings.max_age,
                                                            "on": fmt_date(today)},
                                   "age_min" if months < settings.min_age * 12 else "age_max"))
        if reached >= stage_index("dossier"):
            needed, route = papers_mod.introducers_needed(candidate, today, settings)
            if len(candidate.introducers) < needed:
                out.append(Finding("introducers", "warning", None,
                                   {"count": len(candidate.introducers), "needed": needed},
                                   "youth_route" if candidate.youth_union and not route else "introducers"))
        if reached >= stage_index("dossier"):  # the dossier's papers the branch vote will need
            missing = [(kind, count) for kind, count in papers_mod.checklist(candidate, settings, today).missing
                       if kind != "verification" or reached >= stage_index("verified")]  # the next step's paper
            if missing:
                out.append(Finding("papers", "warning", None, {"missing": papers_mod.missing_phrases(missing)},
                                   "papers"))
        if candidate.readmission is not None:
            allowed = add_months(candidate.readmission.left, settings.readmission_wait_months)
            if today < allowed:
                out.append(Finding("readmit_wait", "warning", None,
                                   {"left": fmt_date(candidate.readmission.left),
                                    "months": settings.readmission_wait_months, "allowed": fmt_date(allowed)},
                                   "readmit_wait"))
    out.sort(key=lambda f: (SEVERITIES.index(f.severity), f.due or date.max))
    return out


def is_overdue(candidate: Candidate, settings: Settings, today: date) -> bool:
    return any(f.severity == "overdue" for f in findings(candidate, settings, today))


def first_due(candidate: Candidate, settings: Settings) -> date | None:
    """The earliest deadline of a live candidate: it is overdue on every day after it.

    Which deadlines apply depends only on the candidate's record, not on the day asked."""
    dues = deadlines(candidate, settings)
    return dues[0] if dues else None


def deadlines(candidate: Candidate, settings: Settings) -> list[date]:
    """Every due date of a live candidate's steps, earliest first: the due list's dated items on any day are
    these (overdue after the date, due within ``due_soon_days`` before it).  Which apply depends only on the
    record, not on the day asked."""
    return sorted(f.due for f in findings(candidate, settings, date.min) if f.due is not None)


def needs_attention(candidate: Candidate, settings: Settings, today: date) -> list[Finding]:
    """What belongs on a due list: overdue, due soon, and standing warnings."""
    return [f for f in findings(candidate, settings, today) if f.severity != "upcoming"]


def rules_markdown() -> str:
    """docs/RULES.md: the table of :data:`RULES` with the default settings, in English and Vietnamese."""
    settings = Settings()
    out = ["# The rules ptdv enforces", "",
           "Made from `db.rules.RULES` by `python -m db.rules > docs/RULES.md` (a test checks it matches). "
           "`ptdv rules` shows the same, with the store's settings. A **hard** rule refuses the step (exit 1, "
           "nothing written) unless it allows an exception and the step is recorded with `--exception \"who "
           "decided, document number, date\"`; a **soft** rule lets the step through and keeps the breach on the "
           "candidate (`candidate show`, the candidate screen, the report's \"admitted outside the rules\"). "
           "Where the regulation's text could not be found the source says *source not found* and the limit "
           "is a setting.", "",
           "Decisions: ages are completed months on the branch vote day (60 years and 1 month is over 60); the "
           "Youth Union route applies up to 30 years (Luật Thanh niên); a branch is a grassroots branch (chi bộ "
           "cơ sở, no committee vote) when the unit above it is of a level above `grassroots` (a district or "
           "city committee) or nothing is above it; recognition is the `official` step, dated on the "
           "committee's decision, with the branch's vote as `--vote DATE`; the branch's vote may be recorded alone "
           "first (`candidate advance ID official --vote DATE` without `--date`: `Candidate.recognition_vote`), "
           "the committee's decision then being due within 30 working days (`recognition_decision`); official "
           "status dates from the end of probation.", ""]
    for lang in ("en", "vi"):
        out += [f"## {'English' if lang == 'en' else 'Tiếng Việt'}", "",
                "| id | kind | step | exception by | source | what it checks | why soft |",
                "|---|---|---|---|---|---|---|"]
        for row in rules_table(settings, lang):
            cells = [f"`{row['id']}`", row["kind"], row["stage"] or "—", row["who"] or "—", row["source"],
                     row["what"], row["why_soft"] or "—"]
            out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        out.append("")
    out += ["## The dossier's papers (rule `papers`)", "",
            "What the branch vote needs (`db.papers.KINDS`; `ptdv candidate papers ID` shows a candidate's "
            "checklist). *redone*: received again after a redone dossier.", "",
            "| id | paper | giấy tờ | form | redone | source |", "|---|---|---|---|---|---|"]
    for kind in papers_mod.KINDS:
        cells = [f"`{kind.id}`", t(f"paper.{kind.id}", "en"), t(f"paper.{kind.id}", "vi"), kind.form or "—",
                 "yes" if kind.redone else "—", kind.source]
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    out.append("")
    return "\n".join(out)


if __name__ == "__main__":  # python -m db.rules > docs/RULES.md
    print(rules_markdown(), end="")
