"""The audit trail read back: which fields an entry changed (``db.audit.changes``), the filters of
``Service.log`` by unit, days and account, and ``ptdv log --since --until --by``."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from conftest import OFFICER, TODAY
from db.audit import Change, changes
from db.errors import PtdvError
from db.i18n import t
from db.identity import current_user
from db.service import Service
from tui.cli import main


def entry_of(service: Service, action: str, target: str) -> dict:
    return next(e for e in reversed(service.log()) if e["action"] == action and e["target"] == target)


# -- what an entry changed -------------------------------------------------------------------
def test_an_edit_lists_only_the_fields_that_differ(logged):
    service, ids = logged
    entry = entry_of(service, "candidate.edit", f"candidate:{ids['cand2']}")
    assert changes(entry) == [Change("education", None, "university", created=False)]


def test_a_stage_is_one_change_with_its_step(logged):
    service, ids = logged
    entry = entry_of(service, "candidate.advance", f"candidate:{ids['cand2']}")
    [change] = changes(entry)
    assert change.field == "history" and change.after["stage"] == "verified" and change.after["by"] == OFFICER


def test_a_new_record_lists_what_it_was_given_without_empty_fields_or_its_identity(logged):
    service, ids = logged
    added = entry_of(service, "candidate.add", f"candidate:{ids['cand1']}")
    fields = [c.field for c in changes(added)]
    assert fields[:3] == ["name", "born", "gender"] and "history" in fields
    assert not {"unit", "religion", "rev", "exit"} & set(fields)
    assert all(c.created and c.before is None for c in changes(added))
    quota = entry_of(service, "quota.set", f"quota:{ids['phuoc_my']}:2024")
    assert [(c.field, c.after) for c in changes(quota)] == [("target", 4)]


def test_a_candidate_moved_to_another_branch_shows_the_branch(logged):
    service, ids = logged
    service.move_candidate(ids["cand2"], ids["pm2"], reason="chuyển nơi cư trú")
    entry = entry_of(service, "candidate.move", f"candidate:{ids['cand2']}")
    [change] = changes(entry)  # the transfer (from, to, its day and reason), not the unit field besides it
    assert change.field == "moves" and change.before is None
    assert (change.after["from"], change.after["to"], change.after["on"]) == (ids["pm1"], ids["pm2"], "2024-11-15")
    assert change.after["reason"] == "chuyển nơi cư trú"


# -- filters of Service.log --------------------------------------------------------------------
def test_log_filters_by_days_and_account_within_the_unit(logged):
    service, ids = logged
    days = lambda entries: sorted({e["at"][:10] for e in entries})  # noqa: E731
    under = service.log(ids["phuoc_my"])
    assert days(under) == ["2024-11-10", "2024-11-14", "2024-11-15"]
    assert days(service.log(ids["phuoc_my"], until="14/11/2024")) == ["2024-11-10", "2024-11-14"]
    assert days(service.log(ids["phuoc_my"], since="2024-11-14", until="14/11/2024")) == ["2024-11-14"]
    mine = service.log(ids["phuoc_my"], by=OFFICER)
    assert [(e["action"], e["by"]) for e in mine] == [("candidate.advance", OFFICER)]
    assert service.log(ids["phuoc_my"], by="nobody") == []
    # the quota of Thạch Thang set on 14/11 is outside Phước Mỹ, inside the city
    assert all(e["target"] != f"quota:{ids['thach_thang']}:2024" for e in under)
    assert any(e["target"] == f"quota:{ids['thach_thang']}:2024" for e in service.log(None, since="14/11/2024"))


def test_log_refuses_a_range_that_ends_before_it_starts_and_a_bad_date(logged):
    service, ids = logged
    with pytest.raises(PtdvError) as err:
        service.log(ids["phuoc_my"], since="15/11/2024", until="14/11/2024")
    assert err.value.key == "audit.bad_range"
    with pytest.raises(PtdvError) as err:
        service.log(None, until="31/02/2024")
    assert err.value.key == "input.bad_date" and err.value.message("en").startswith(t("field.until", "en"))


# -- ptdv log ---------------------------------------------------------------------------------
def ptdv(path, *args: str):
    return CliRunner().invoke(main, ["--db", str(path), *args], obj={"today": TODAY},
                              env={"PTDV_DB": None, "PTDV_LANG": None, "PTDV_DEBUG": None})


def test_cli_log_until_and_by(logged, store_path):
    service, ids = logged
    service.add_user(current_user(), ids["city"], "viewer")   # the account running ptdv may read the log
    result = ptdv(store_path, "log", "phuong phuoc my", "--by", OFFICER, "--json")
    assert result.exit_code == 0, result.output
    assert [(e["action"], e["by"]) for e in json.loads(result.stdout)] == [("candidate.advance", OFFICER)]
    lines = ptdv(store_path, "--lang", "en", "log", str(ids["phuoc_my"]), "--since", "14/11/2024",
                 "--until", "14/11/2024").stdout.splitlines()
    rows = lines[2:]   # under the headers and their rule
    assert len(rows) == 1 and rows[0].startswith("14/11/2024 09:30")
    assert f"{t('field.education', 'en')}: {t('value.none', 'en')} → {t('education.university', 'en')}" in rows[0]
    refused = ptdv(store_path, "log", "--since", "15/11/2024", "--until", "1/11/2024")
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert t("audit.bad_range", since="15/11/2024", until="01/11/2024") in refused.stderr
