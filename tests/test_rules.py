"""db.rules: one stage at a time on sensible dates, and each rule's warning or due date."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from db.errors import PtdvError
from db.i18n import t
from db.model import STAGES, Candidate, Exit, Paper, Settings, StageEntry
from db.papers import KINDS
from db.rules import RULES, breaches, check_advance, check_exit, check_step, findings, is_overdue, needs_attention
from db.text import parse_date
from db.workdays import add_months, add_workdays

from conftest import TODAY

DEFAULTS = Settings()


def every_paper(day: str) -> tuple[Paper, ...]:
    """A dossier with every paper any route asks for (two letters), received on ``day``."""
    kinds = [k.id for k in KINDS] + ["letter"]
    return tuple(Paper(kind, parse_date(day), "tester", "") for kind in kinds)


def cand(*dates: str, **fields) -> Candidate:
    """A candidate who reached the first ``len(dates)`` stages on those dates (dd/mm/yyyy); past the dossier,
    with every paper received on its date (``papers=`` says otherwise)."""
    history = tuple(StageEntry(stage, parse_date(day), "tester", "") for stage, day in zip(STAGES, dates))
    fields.setdefault("introducers", ("Ngô Văn Hai", "Đỗ Thị Ba"))
    fields.setdefault("papers", every_paper(dates[2]) if len(dates) > 2 else ())
    return Candidate(id=7, unit=1, name="Nguyễn Văn An", history=history, **fields)


def by_code(found, code):
    matching = [f for f in found if f.code == code]
    assert len(matching) <= 1
    return matching[0] if matching else None


# -- check_advance ----------------------------------------------------------------------
def test_next_stage_is_accepted():
    check_advance(cand("01/02/2024"), "class", date(2024, 3, 1), TODAY)
    check_advance(cand("01/02/2024"), "class", TODAY, TODAY)               # today itself
    check_advance(cand("01/02/2024"), "class", date(2024, 2, 1), TODAY)    # same day as the previous stage


def test_skipping_a_stage_names_the_expected_one():
    with pytest.raises(PtdvError) as err:
        check_advance(cand("01/02/2024", "01/03/2024"), "verified", date(2024, 4, 1), TODAY)
    assert err.value.key == "stage.skipped"
    assert err.value.params["expected"] == "dossier"
    for lang in ("vi", "en"):
        message = err.value.message(lang)
        assert t("stage_short.dossier", lang) in message
        assert t("stage_short.verified", lang) in message


def test_going_back_to_a_reached_stage_is_refused():
    # changed with the retakes (issue 12): the class and the dossier may be recorded again before the branch
    # vote, so going back is tried with the source stage, and with the class after the branch vote
    with pytest.raises(PtdvError) as err:
        check_advance(cand("01/02/2024", "01/03/2024"), "source", date(2024, 4, 1), TODAY)
    assert err.value.key == "stage.already"
    voted = cand("01/01/2024", "01/02/2024", "01/03/2024", "01/04/2024", "01/06/2024")
    with pytest.raises(PtdvError) as err:
        check_advance(voted, "class", date(2024, 7, 1), TODAY)
    assert err.value.key == "refused.retake" and "retake" in err.value.message("en")


def test_unknown_stage_is_refused_and_lists_the_stages():
    with pytest.raises(PtdvError) as err:
        check_advance(cand("01/02/2024"), "promoted", date(2024, 4, 1), TODAY)
    assert err.value.key == "stage.unknown"
    assert "dossier" in err.value.message("en")


def test_a_date_in_the_future_is_refused():
    with pytest.raises(PtdvError) as err:
        check_advance(cand("01/02/2024"), "class", date(2024, 11, 16), TODAY)
    assert err.value.key == "stage.future_date"
    assert "16/11/2024" in err.value.message("vi")


def test_a_date_before_the_previous_stage_is_refused():
    with pytest.raises(PtdvError) as err:
        check_advance(cand("01/02/2024", "01/03/2024"), "dossier", date(2024, 2, 28), TODAY)
    assert err.value.key == "stage.before_previous"
    message = err.value.message("en")
    assert "28/02/2024" in message and "01/03/2024" in message and t("stage_short.class", "en") in message


def test_a_candidate_who_left_cannot_advance():
    left = cand("01/02/2024", exit=Exit("withdrawn", "moved away", date(2024, 5, 1), "tester", ""))
    with pytest.raises(PtdvError) as err:
        check_advance(left, "class", date(2024, 6, 1), TODAY)
    assert err.value.key == "candidate.exited"


def test_official_is_final():
    official = cand(*["01/0%d/2023" % m for m in range(1, 10)])
    assert official.stage == "official"
    for stage in ("official", "admitted", "source"):
        with pytest.raises(PtdvError) as err:
            check_advance(official, stage, TODAY, TODAY)
        assert err.value.key == "stage.finished"


def test_exit_needs_a_known_kind_a_reason_and_a_sensible_date():
    c = cand("01/02/2024", "01/03/2024")
    check_exit(c, "withdrawn", "moved to another city", TODAY, TODAY)
    for kind, reason, day, key in (
        ("withdrawn", "  ", TODAY, "exit.reason_required"),
        ("fired", "x", TODAY, "exit.unknown_kind"),
        ("rejected", "x", date(2024, 12, 1), "stage.future_date"),
        ("rejected", "x", date(2024, 2, 15), "stage.before_previous"),
    ):
        with pytest.raises(PtdvError) as err:
            check_exit(c, kind, reason, day, TODAY)
        assert err.value.key == key


# -- findings, one rule at a time (today is Fri 15/11/2024) ---------------------------------
@pytest.mark.parametrize("class_day, severity", [
    ("10/11/2019", "overdue"),    # valid until 10/11/2024: expired five days ago
    ("20/11/2019", "due"),        # valid until 20/11/2024: five days left, within due_soon_days (30)
    ("01/06/2023", "upcoming"),
])
def test_certificate_is_valid_sixty_months(class_day, severity):
    found = by_code(findings(cand("01/01/2019", class_day), DEFAULTS, TODAY), "certificate")
    assert found.severity == severity
    assert found.due == add_months(parse_date(class_day), 60)


def test_certificate_no_longer_matters_after_the_decision():
    c = cand("01/01/2019", "10/11/2019", "01/01/2020", "01/02/2020", "01/03/2020", "01/04/2020", "01/05/2020")
    assert c.stage == "decided"
    assert by_code(findings(c, DEFAULTS, TODAY), "certificate") is None


def test_dossier_older_than_twelve_months_without_branch_vote():
    waiting = cand("01/01/2023", "01/06/2023", "01/11/2023", "01/12/2023")   # verified, no branch vote
    found = by_code(findings(waiting, DEFAULTS, TODAY), "dossier")
    assert found.severity == "overdue" and found.due == date(2024, 11, 1)
    voted = cand("01/01/2023", "01/06/2023", "01/11/2023", "01/12/2023", "01/10/2024")
    assert by_code(findings(voted, DEFAULTS, TODAY), "dossier") is None


def test_decision_due_sixty_working_days_after_the_branch_vote():
    # Branch vote Thu 01/08/2024; counting working days (2 and 3/09 are National Day holidays)
    # the 60th is Mon 28/10/2024, so on 15/11/2024 the decision is overdue.
    c = cand("01/01/2024", "01/02/2024", "01/03/2024", "01/04/2024", "01/08/2024")
    found = by_code(findings(c, DEFAULTS, TODAY), "decision")
    assert found.due == date(2024, 10, 28)
    assert found.severity == "overdue"
    decided = cand("01/01/2024", "01/02/2024", "01/03/2024", "01/04/2024", "01/08/2024", "15/08/2024", "01/11/2024")
    assert by_code(findings(decided, DEFAULTS, TODAY), "decision") is None


def test_decision_due_counts_the_make_up_saturday():
    # Branch vote Wed 15/07/2026: Saturday 22/08/2026 was a working day (for Monday 31/08 off), so the 60th
    # working day is Fri 09/10/2026, not Mon 12/10; on 12/10 the decision is overdue.
    c = cand("01/01/2026", "01/02/2026", "01/03/2026", "01/04/2026", "15/07/2026")
    found = by_code(findings(c, DEFAULTS, date(2026, 10, 12)), "decision")
    assert found.due == date(2026, 10, 9)
    assert found.severity == "overdue"


@pytest.mark.parametrize("decided_day, severity", [
    ("03/10/2024", "overdue"),   # 30 working days later is Thu 14/11/2024
    ("04/10/2024", "due"),       # 30 working days later is Fri 15/11/2024: due today, not yet overdue
])
def test_ceremony_due_thirty_working_days_after_the_decision(decided_day, severity):
    c = cand("01/01/2024", "01/02/2024", "01/03/2024", "01/04/2024", "01/05/2024", "15/05/2024", decided_day)
    found = by_code(findings(c, DEFAULTS, TODAY), "ceremony")
    assert found.severity == severity
    assert found.due == add_workdays(parse_date(decided_day), 30)


def test_recognition_vote_due_after_probation():
    # Ceremony 01/10/2023: probation ends 01/10/2024; the 30th working day after it is Tue 12/11/2024.
    c = cand(*["01/0%d/2023" % m for m in range(1, 8)], "01/10/2023")
    assert c.stage == "admitted"
    found = by_code(findings(c, DEFAULTS, TODAY), "recognition")
    assert found.due == date(2024, 11, 12)
    assert found.severity == "overdue"
    assert found.params["probation_end"] == "01/10/2024"
    later = cand(*["01/0%d/2023" % m for m in range(1, 8)], "01/12/2023")
    assert by_code(findings(later, DEFAULTS, TODAY), "recognition").severity == "upcoming"
    official = cand(*["01/0%d/2023" % m for m in range(1, 8)], "01/10/2023", "15/10/2024")
    assert by_code(findings(official, DEFAULTS, TODAY), "recognition") is None


@pytest.mark.parametrize("born, broken", [
    ("02/06/2006", "age_min"),  # 17 years 11 months on the day of the branch vote (01/06/2024)
    ("01/06/2006", None),       # 18 that very day
    ("01/06/1964", None),       # 60 years 0 months
    ("31/05/1964", None),       # 60 years 0 months (turned 60 the day before)
    ("15/03/1964", "age_max"),  # 60 years 2 months: over 60 counted in months (whole years said 60: allowed)
    ("31/05/1963", "age_max"),  # 61
])
def test_age_at_the_branch_vote_is_counted_in_months(born, broken):
    # changed (issue 12): after the vote the age is no longer a warning but what the vote broke (a history
    # recorded before ptdv kept its checks is judged from the record); 15/03/1964 passed with whole years
    c = cand("01/01/2024", "01/02/2024", "01/03/2024", "01/04/2024", "01/06/2024", born=parse_date(born))
    found = [b for _, b in breaches(c)]
    assert [b.rule for b in found if b.rule.startswith("age")] == ([broken] if broken else [])
    assert by_code(findings(c, DEFAULTS, TODAY), "age") is None


def test_age_before_the_branch_vote_is_checked_on_today():
    c = cand("01/01/2024", born=date(2007, 1, 1))   # 17 on 15/11/2024
    assert by_code(findings(c, DEFAULTS, TODAY), "age").params["age"] == 17
    assert by_code(findings(c, DEFAULTS, TODAY), "age").rule_id == "age_min"


@pytest.mark.parametrize("introducers, youth_union, needed", [
    ((), False, 2), (("Ngô Văn Hai",), False, 2), (("Ngô Văn Hai", "Đỗ Thị Ba"), False, None),
    ((), True, 1), (("Ngô Văn Hai",), True, None),
])
def test_two_introducers_or_youth_union_and_one(introducers, youth_union, needed):
    c = cand("01/01/2024", "01/02/2024", "01/03/2024", introducers=introducers, youth_union=youth_union)
    found = by_code(findings(c, DEFAULTS, TODAY), "introducers")
    if needed is None:
        assert found is None
    else:
        assert found.params == {"count": len(introducers), "needed": needed}


def test_introducers_are_not_asked_for_before_the_dossier():
    assert by_code(findings(cand("01/01/2024", "01/02/2024", introducers=()), DEFAULTS, TODAY), "introducers") is None


def test_due_soon_follows_the_setting():
    c = cand("01/01/2019", "05/12/2019")   # certificate valid until 05/12/2024: 20 days from today
    assert by_code(findings(c, DEFAULTS, TODAY), "certificate").severity == "due"
    assert by_code(findings(c, replace(DEFAULTS, due_soon_days=10), TODAY), "certificate").severity == "upcoming"
    assert by_code(findings(c, replace(DEFAULTS, due_soon_days=20), TODAY), "certificate").severity == "due"


def test_findings_are_sorted_most_urgent_first_and_attention_drops_upcoming():
    # Dossier overdue, certificate due soon, one introducer missing, branch vote far ahead.
    c = cand("01/01/2019", "05/12/2019", "01/11/2023", introducers=("Ngô Văn Hai",))
    found = findings(c, DEFAULTS, TODAY)
    assert [f.code for f in found] == ["dossier", "certificate", "introducers"]
    assert is_overdue(c, DEFAULTS, TODAY)
    fresh = cand("01/01/2024", "01/06/2024")
    assert [f.severity for f in findings(fresh, DEFAULTS, TODAY)] == ["upcoming"]
    assert needs_attention(fresh, DEFAULTS, TODAY) == []
    assert not is_overdue(fresh, DEFAULTS, TODAY)


def test_a_candidate_who_left_has_no_findings():
    c = cand("01/01/2019", "10/11/2019", exit=Exit("rejected", "no", date(2024, 1, 1), "tester", ""))
    assert findings(c, DEFAULTS, TODAY) == []


def store_settings(service, **values) -> None:
    """Change settings in the store file, as an administrator editing them would."""
    with service.store.transaction() as tx:
        tx.set_settings(replace(tx.state.settings, **values))


def test_settings_in_the_store_change_the_limits(small):
    service, ids = small
    # Trần Thị Bình finished the class on 10/02/2024 and is waiting with her dossier.
    bình = service.candidate(ids["cand2"])
    assert by_code(service.findings(bình), "certificate").severity == "upcoming"
    store_settings(service, certificate_valid_months=9)
    assert service.state().settings.certificate_valid_months == 9
    found = by_code(service.findings(bình), "certificate")
    assert found.due == date(2024, 11, 10) and found.severity == "overdue"
    assert found.params["months"] == 9
    assert "9" in t(found.rule, "vi", **found.params)


def test_certificate_valid_months_24_makes_an_old_certificate_expire(service):
    service.init("Đảng bộ thử")
    c = cand("01/01/2022", "01/06/2022")
    assert by_code(findings(c, service.state().settings, TODAY), "certificate").severity == "upcoming"
    store_settings(service, certificate_valid_months=24)
    found = by_code(findings(c, service.state().settings, TODAY), "certificate")
    assert found.due == date(2024, 6, 1) and found.severity == "overdue"


# -- issue 12: the rules as the regulations write them -------------------------------------------------
def test_every_rule_has_a_kind_a_source_and_its_texts_in_both_languages():
    from db.i18n import CATALOGUES
    for spec in RULES:
        assert spec.kind in ("hard", "soft") and spec.source.strip()
        assert not (spec.kind == "soft" and spec.exception)
        for lang in ("vi", "en"):
            cat = CATALOGUES[lang]
            assert f"rules.{spec.id}" in cat
            assert (f"rules.{spec.id}.who" in cat) == spec.exception
            assert (f"rules.{spec.id}.why_soft" in cat) == (spec.kind == "soft")
            if spec.kind == "hard" and spec.id not in ("stage_order", "stage_date"):
                assert f"refused.{spec.id}" in cat
        if spec.setting:
            assert hasattr(DEFAULTS, spec.setting)


def test_official_five_days_after_the_ceremony_is_refused_without_exception():
    admitted = cand(*["01/0%d/2024" % m for m in range(1, 8)], "15/04/2024".replace("04", "08"))
    for exception in ("", "Đảng ủy phường, QĐ 1, 20/08/2024"):
        with pytest.raises(PtdvError) as err:
            check_step(admitted, "official", date(2024, 8, 20), DEFAULTS, exception=exception)
        assert err.value.key == "refused.probation"
        message = err.value.message("en")
        assert "probation" in message and "Điều lệ Đảng, Điều 5" in message   # names the rule and its source
    assert check_step(admitted, "official", date(2025, 8, 20), DEFAULTS) == ()


def test_over_sixty_needs_the_provinces_consent_as_an_exception():
    c = cand("01/01/2024", "01/02/2024", "01/03/2024", "01/04/2024", born=date(1963, 5, 31))
    with pytest.raises(PtdvError) as err:
        check_step(c, "branch", date(2024, 6, 1), DEFAULTS)
    assert err.value.key == "refused.age_max" and "--exception" in err.value.message("en")
    kept = check_step(c, "branch", date(2024, 6, 1), DEFAULTS, exception="BTV Thành ủy, CV 12, 20/05/2024")
    assert [b.rule for b in kept] == ["age_max"]
    young = replace(c, born=date(2006, 6, 2))
    with pytest.raises(PtdvError) as err:   # under 18: no exception
        check_step(young, "branch", date(2024, 6, 1), DEFAULTS, exception="anyone, 1, 01/06/2024")
    assert err.value.key == "refused.age_min"


def test_an_exception_nothing_needs_is_refused():
    c = cand("01/01/2024", "01/02/2024", "01/03/2024", "01/04/2024", born=date(1990, 1, 1))
    with pytest.raises(PtdvError) as err:
        check_step(c, "branch", date(2024, 6, 1), DEFAULTS, exception="someone, 1, 01/06/2024")
    assert err.value.key == "exception.not_needed"


def test_a_breach_at_the_branch_vote_stays_after_the_next_steps():
    c = cand("01/01/2024", "01/02/2024", "01/03/2024", "01/04/2024", introducers=("Ngô Văn Hai",),
             born=date(1990, 1, 1))
    kept = check_step(c, "branch", date(2024, 6, 1), DEFAULTS)
    assert [(b.rule, b.params["count"], b.params["needed"]) for b in kept] == [("introducers", 1, 2)]
    history = c.history + (StageEntry("branch", date(2024, 6, 1), "t", "", breaches=kept),
                           StageEntry("committee", date(2024, 6, 10), "t", "", breaches=()),
                           StageEntry("decided", date(2024, 6, 20), "t", "", breaches=()))
    later = replace(c, history=history)
    found = breaches(later, DEFAULTS)
    assert [(e.stage, b.rule) for e, b in found] == [("branch", "introducers")]
    assert t("breach.introducers", "en", **found[0][1].params) == "Voted with 1 introducer(s) (2 needed)"
    assert by_code(findings(later, DEFAULTS, TODAY), "introducers") is None   # no longer a warning: a record


@pytest.mark.parametrize("born, youth_union, introducers, rule", [
    (date(2000, 1, 1), True, ("Ngô Văn Hai",), None),            # 24, Youth Union: its committee + one member
    (date(1990, 1, 1), True, ("Ngô Văn Hai",), "youth_route"),   # 34: past youth age, two members needed
    (date(1990, 1, 1), False, ("Ngô Văn Hai", "Đỗ Thị Ba"), None),
])
def test_the_youth_union_route_is_for_members_of_youth_age(born, youth_union, introducers, rule):
    c = cand("01/01/2024", "01/02/2024", "01/03/2024", "01/04/2024", born=born, youth_union=youth_union,
             introducers=introducers)
    kept = check_step(c, "branch", date(2024, 6, 1), DEFAULTS)
    assert [b.rule for b in kept] == ([rule] if rule else [])


def test_retaking_the_class_is_recorded_and_the_latest_certificate_counts():
    expired = cand("01/01/2019", "10/11/2019", "01/10/2024")   # certificate valid until 10/11/2024
    assert by_code(findings(expired, DEFAULTS, TODAY), "certificate").severity == "overdue"
    check_advance(expired, "class", date(2024, 11, 12), TODAY)   # refused as "already reached" before
    retaken = replace(expired, history=expired.history + (StageEntry("class", date(2024, 11, 12), "t", ""),))
    assert retaken.stage == "dossier" and len(retaken.history) == 4
    assert by_code(findings(retaken, DEFAULTS, TODAY), "certificate").severity == "upcoming"
    with pytest.raises(PtdvError) as err:   # not before what is already recorded
        check_advance(expired, "class", date(2024, 9, 1), TODAY)
    assert err.value.key == "stage.before_previous"


def test_redoing_the_dossier_renews_it():
    old = cand("01/01/2023", "01/06/2023", "01/11/2023", "01/12/2023")
    assert by_code(findings(old, DEFAULTS, TODAY), "dossier").severity == "overdue"
    check_advance(old, "dossier", date(2024, 11, 1), TODAY)
    redone = replace(old, history=old.history + (StageEntry("dossier", date(2024, 11, 1), "t", ""),))
    assert redone.stage == "verified"
    assert by_code(findings(redone, DEFAULTS, TODAY), "dossier").severity == "upcoming"


def test_the_ceremony_runs_from_the_received_date_and_a_late_one_needs_the_superiors_agreement():
    decided = cand("01/01/2024", "01/02/2024", "01/03/2024", "01/04/2024", "01/05/2024", "15/05/2024", "03/10/2024")
    late = replace(decided, history=decided.history[:-1] + (replace(decided.history[-1], received=date(2024, 10, 10)),))
    # 30 working days from the decision (03/10) end 14/11; from the day it was received (10/10), 21/11
    assert by_code(findings(decided, DEFAULTS, TODAY), "ceremony").severity == "overdue"
    assert by_code(findings(late, DEFAULTS, TODAY), "ceremony").due == date(2024, 11, 21)
    assert check_step(late, "admitted", date(2024, 11, 15), DEFAULTS) == ()
    with pytest.raises(PtdvError) as err:
        check_step(decided, "admitted", date(2024, 11, 15), DEFAULTS)
    assert err.value.key == "refused.ceremony"
    kept = check_step(decided, "admitted", date(2024, 11, 15), DEFAULTS, exception="Quận ủy, CV 5, 13/11/2024")
    assert [b.rule for b in kept] == ["ceremony"]


def test_a_grassroots_branch_goes_from_the_branch_vote_to_the_decision():
    from db.rules import next_stage
    voted = cand("01/01/2024", "01/02/2024", "01/03/2024", "01/04/2024", "01/06/2024")
    assert next_stage(voted) == "committee" and next_stage(voted, skip_committee=True) == "decided"
    check_advance(voted, "decided", date(2024, 7, 1), TODAY, skip_committee=True)
    with pytest.raises(PtdvError) as err:
        check_advance(voted, "committee", date(2024, 7, 1), TODAY, skip_committee=True)
    assert err.value.key == "refused.grassroots_branch"


@pytest.mark.parametrize("kind, stage_count, allowed", [
    ("struck_off", 8, True), ("not_recognised", 8, True), ("rejected", 8, False), ("withdrawn", 8, False),
    ("struck_off", 5, False), ("rejected", 5, True),
])
def test_exits_of_probationary_members_are_their_own(kind, stage_count, allowed):
    c = cand(*["01/0%d/2023" % m for m in range(1, stage_count + 1)])
    if allowed:
        check_exit(c, kind, "lý do", TODAY, TODAY)
    else:
        with pytest.raises(PtdvError) as err:
            check_exit(c, kind, "lý do", TODAY, TODAY)
        assert err.value.key == "refused.exit_kind"


def test_readmission_waits_36_months_is_once_and_never_for_the_excluded():
    from db.model import Readmission
    from db.rules import check_readmission
    check_readmission(date(2020, 1, 1), "struck_off", TODAY, False)
    for reason, before, key in (("abandoned", False, "refused.readmit_excluded"),
                                ("struck_off", True, "refused.readmit_once")):
        with pytest.raises(PtdvError) as err:
            check_readmission(date(2020, 1, 1), reason, TODAY, before)
        assert err.value.key == key
    c = cand("01/01/2024", "01/02/2024", "01/03/2024", "01/04/2024", born=date(1990, 1, 1),
             readmission=Readmission(date(2022, 1, 1), "struck_off"))
    with pytest.raises(PtdvError) as err:
        check_step(c, "branch", date(2024, 6, 1), DEFAULTS)   # 29 months after leaving
    assert err.value.key == "refused.readmit_wait"
    assert check_step(c, "branch", date(2025, 1, 2), DEFAULTS) == ()
    voted = replace(c, history=c.history + (StageEntry("branch", date(2025, 1, 2), "t", "", breaches=()),
                                            StageEntry("committee", date(2025, 1, 10), "t", "", breaches=())))
    with pytest.raises(PtdvError) as err:   # the province's written approval, recorded as the exception
        check_step(voted, "decided", date(2025, 2, 1), DEFAULTS)
    assert err.value.key == "refused.readmit_approval"
    assert [b.rule for b in check_step(voted, "decided", date(2025, 2, 1), DEFAULTS,
                                       exception="BTV Thành ủy, CV 9, 20/01/2025")] == ["readmit_approval"]


def test_a_history_recorded_before_the_checks_shows_what_it_broke():
    # the example: official five days after the ceremony, recorded by an earlier ptdv
    legacy = cand(*["01/0%d/2024" % m for m in range(1, 8)], "10/07/2024", "15/07/2024")
    assert [b.rule for _, b in breaches(legacy)] == ["probation"]


def test_docs_rules_md_is_the_table():
    from pathlib import Path
    from db.rules import rules_markdown
    doc = Path(__file__).parent.parent / "docs" / "RULES.md"
    assert doc.read_text(encoding="utf-8") == rules_markdown(), "run: python -m db.rules > docs/RULES.md"
    for spec in RULES:
        assert f"`{spec.id}`" in doc.read_text(encoding="utf-8")
