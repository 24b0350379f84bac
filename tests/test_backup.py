"""Backups: versions kept as the store is written, restore (logged, undoable), pruning, damaged files named
with their newest good backup and repaired by `ptdv check --repair`, a store readable by everyone refused."""
from __future__ import annotations

import os
import stat
import subprocess
from dataclasses import replace

import orjson
import pytest
from click.testing import CliRunner

from db.errors import PtdvError
from db.service import Service
from db.store import PRUNE_EVERY, Store
from tui.cli import main

from conftest import TODAY, build_small, caller, part_holding

CLEAN_ENV = {"PTDV_DB": None, "PTDV_LANG": None, "PTDV_DEBUG": None}


def reopen(path) -> Service:
    return Service(Store(path), today=TODAY)


def records(path) -> dict:
    """Everything a user reads of the store, through a fresh service: units, quotas, every candidate."""
    state = reopen(path).state()
    return {"units": dict(state.units), "quotas": dict(state.quotas), "candidates": dict(state.candidates)}


def run(path, *args: str):
    return CliRunner().invoke(main, ["--db", str(path), "--lang", "en", *args], obj={"today": TODAY}, env=CLEAN_ENV)


def set_settings(service: Service, **values) -> None:
    with service.store.transaction() as tx:
        tx.set_settings(replace(tx.state.settings, **values))
        tx.audit("settings.set", "settings", None, None, values)


@pytest.fixture
def history(service, store_path):
    """A small store built write by write, with what a user would read after each write (by version)."""
    ids = build_small(service)
    seen = {service.log()[-1]["seq"]: records(store_path)}
    for n, name in enumerate(("Đinh Văn Khang", "Mai Thị Lan", "Bùi Văn Minh"), start=1):
        service.add_candidate(ids["pm1"], name)
        seen[service.log()[-1]["seq"]] = records(store_path)
        service.set_quota(ids["phuoc_my"], 2024, target=4 + n)
        seen[service.log()[-1]["seq"]] = records(store_path)
    service.add_unit("Đảng ủy phường Mân Thái", ids["son_tra"], "grassroots")   # a new part file comes later
    seen[service.log()[-1]["seq"]] = records(store_path)
    new_branch = service.add_unit("Chi bộ khu dân cư số 7", "Mân Thái", "branch")
    service.add_candidate(new_branch.id, "Trương Thị Nga")
    seen[service.log()[-1]["seq"]] = records(store_path)
    return service, ids, seen


def test_every_write_is_a_version_listed_with_who_and_what(history):
    service, _, _ = history
    log = service.log()
    listed = service.backups()
    # the last 20 writes (one audit line each here), newest first, the newest marked as the store now
    assert [b["version"] for b in listed] == [e["seq"] for e in reversed(log)][:20]
    by_seq = {e["seq"]: e for e in log}
    for b in listed:
        assert (b["by"], b["action"], b["at"]) == (by_seq[b["version"]]["by"], by_seq[b["version"]]["action"],
                                                   by_seq[b["version"]]["at"])
    assert [b["current"] for b in listed] == [True] + [False] * 19
    assert sum(b["daily"] for b in listed) == 1   # all written today: the last one is today's daily version


def test_restore_gives_exactly_the_earlier_records_is_logged_and_can_be_undone(history, store_path):
    service, _, seen = history
    now = records(store_path)
    latest = service.log()[-1]["seq"]
    for version in sorted(seen)[-8:-1]:
        current = service.log()[-1]["seq"]
        assert service.restore(version) == (current, version)
        assert records(store_path) == seen[version]
        entry = service.log()[-1]
        assert entry["action"] == "store.restore" and entry["by"] == service.user and entry["seq"] == current + 1
        assert entry["before"] == {"version": current} and entry["after"] == {"version": version}
        assert reopen(store_path).check() == []
    # restoring the version before the first restore undoes all of them
    service.restore(latest)
    assert records(store_path) == now
    assert reopen(store_path).check() == []


def test_an_id_given_before_a_restore_is_never_given_again(small):
    service, ids = small
    version = service.backups()[0]["version"]
    undone_cand = service.add_candidate(ids["pm1"], "Đinh Văn Khang")
    undone_unit = service.add_unit("Chi bộ khu dân cư số 9", ids["phuoc_my"], "branch")
    service.restore(version)  # both are gone, but the log and the audit sink still name them by their ids
    cand = service.add_candidate(ids["pm1"], "Mai Thị Lan")
    unit = service.add_unit("Chi bộ khu dân cư số 8", ids["phuoc_my"], "branch")
    assert cand.id > undone_cand.id and unit.id > undone_unit.id
    assert [e["target"] for e in service.log() if e["target"] == f"candidate:{undone_cand.id}"] \
        == [f"candidate:{undone_cand.id}"]  # one person under one id in the trail
    assert reopen(service.store.path).check() == []


def test_a_restore_drops_a_part_made_after_the_version_and_summaries_follow(history, store_path):
    service, ids, seen = history
    before_new_ward = max(v for v in seen if not any("Mân Thái" in u.name for u in seen[v]["units"].values()))
    parts = {p.name for p in service.store.parts_dir.glob("p*.json") if not p.name.endswith(".sum.json")}
    service.restore(before_new_ward)
    after = {p.name for p in service.store.parts_dir.glob("p*.json") if not p.name.endswith(".sum.json")}
    assert len(after) == len(parts) - 1
    fresh = reopen(store_path)
    assert fresh.unit_figures(ids["phuoc_my"], 2024).target == seen[before_new_ward]["quotas"][
        (ids["phuoc_my"], 2024)].target
    assert {h.name for h in fresh.state().source.names()} == {c.name for c in seen[before_new_ward]["candidates"].values()}


def test_an_unknown_version_and_a_non_admin_are_refused_and_nothing_changes(history, store_path):
    service, ids, seen = history
    before = records(store_path)
    for version in ("999", "abc", str(service.log()[-1]["seq"])):
        result = run(store_path, "restore", version)
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert version in result.stderr
    service.add_user("colleague", ids["phuoc_my"], "editor")
    with pytest.raises(PtdvError) as err:
        Service(Store(store_path), caller=caller("colleague"), today=TODAY).restore(min(seen))
    assert err.value.key.startswith("access.")
    assert records(store_path) == before


def test_backups_kept_in_a_folder_per_version_by_an_earlier_ptdv_still_restore_and_are_pruned(history, store_path):
    service, ids, seen = history
    backups = service.store.backups_dir
    for copy in list(backups.iterdir()):   # as ptdv kept them before 30/11/2026: <seq>-<yyyymmdd>/<file>
        folder, _, name = copy.name.partition("~")
        (backups / folder).mkdir(exist_ok=True)
        copy.rename(backups / folder / name)
    listed = [b["version"] for b in service.backups()]
    assert set(seen) <= set(listed)
    oldest = min(seen)
    service.restore(oldest)
    assert records(store_path) == seen[oldest]
    set_settings(service, backups_kept=2)
    while service.log()[-1]["seq"] % PRUNE_EVERY:
        service.set_members(ids["pm1"], 50, 2024)
    assert len(backup_versions(service)) <= 4      # old folders no kept version needs are gone
    assert all(not entry.is_dir() or any(entry.iterdir()) for entry in backups.iterdir())


def backup_versions(service: Service) -> set[str]:
    """The versions that have backups on disk (``<seq>-<yyyymmdd>~<file>``: one or more files each)."""
    return {name.split("~")[0] for name in os.listdir(service.store.backups_dir)}


def test_pruning_keeps_the_last_n_versions_and_each_of_them_can_still_be_restored(history, store_path):
    service, ids, _ = history
    set_settings(service, backups_kept=5)
    seen = {}
    n = 0
    while n < 12 or max(seen) % PRUNE_EVERY:  # old backups are dropped every PRUNE_EVERY versions
        service.set_members(ids["pm1"], 40 + n, 2024)
        seen[service.log()[-1]["seq"]] = records(store_path)
        if n >= PRUNE_EVERY:  # once a prune has run under the new setting (the fixture's own writes come before)
            assert len(backup_versions(service)) <= 7 + PRUNE_EVERY - 1
        n += 1
    kept = [b["version"] for b in service.backups()]
    assert kept == sorted(seen, reverse=True)[:5]
    assert len(backup_versions(service)) <= 7   # the kept versions and what they need, no more
    for version in sorted(kept)[:-1]:   # oldest first: each restore is a new version that pushes out the oldest
        service.restore(version)
        assert records(store_path) == seen[version]


def test_backup_list_on_the_command_line(history, store_path):
    service, _, _ = history
    result = run(store_path, "backup", "list")
    assert result.exit_code == 0, result.output
    newest = service.log()[-1]
    first_row = result.stdout.splitlines()[2]
    assert first_row.split()[0] == str(newest["seq"]) and "Candidate added" in first_row and "now" in first_row
    listed = orjson.loads(run(store_path, "backup", "list", "--json").stdout)
    assert listed == service.backups()


# -- damaged files -------------------------------------------------------------------------------
def test_a_damaged_part_names_its_newest_good_backup_and_check_repair_puts_it_back(history, store_path):
    service, ids, _ = history
    part = part_holding(store_path, ids["cand1"])
    good = part.read_bytes()
    part.write_bytes(good[: len(good) // 2])       # half written
    damaged = part.read_bytes()
    with pytest.raises(PtdvError) as err:
        reopen(store_path).candidates(ids["pm1"])
    newest = err.value.backup
    assert newest is not None
    # the copy named is the newest readable one: every newer backup of that part is damaged or missing
    copies = sorted(int(f.name.split("-")[0]) for f in service.store.backups_dir.iterdir()
                    if f.name.endswith("~" + part.name))
    assert newest.seq == copies[-1]
    message = err.value.message("en")
    assert str(part) in message and f"change {newest.seq}" in message
    assert f"ptdv --db {store_path} check --repair" in message
    backup_copy = (service.store.backups_dir / newest.copy(part.name)).read_bytes()

    result = run(store_path, "check", "--repair", "--yes")
    assert result.exit_code == 0, result.output
    assert str(part) in result.stdout and f"change {newest.seq}" in result.stdout
    assert part.read_bytes() == backup_copy
    aside = [p for p in part.parent.iterdir() if p.name.startswith(part.name + ".damaged-")]
    assert len(aside) == 1 and aside[0].read_bytes() == damaged
    assert stat.S_IMODE(aside[0].stat().st_mode) == 0o600
    assert reopen(store_path).log()[-1]["action"] == "store.repair"
    assert reopen(store_path).check() == []


def test_a_damaged_catalogue_is_repaired_only_when_confirmed(history, store_path):
    service, _, seen = history
    last_catalogue_write = max(e["seq"] for e in service.log() if "@catalogue" in e["files"])
    store_path.write_bytes(b'{"meta": {"1": ')
    declined = CliRunner().invoke(main, ["--db", str(store_path), "--lang", "en", "check", "--repair"], input="n\n",
                                  obj={"today": TODAY}, env=CLEAN_ENV)
    assert declined.exit_code == 1 and "Traceback" not in declined.output
    assert "Nothing was changed" in declined.stdout
    assert store_path.read_bytes() == b'{"meta": {"1": '
    result = run(store_path, "check", "--repair", "--yes")
    assert f"change {last_catalogue_write}" in result.stdout
    assert [p.read_bytes() for p in store_path.parent.glob("ptdv.json.damaged-*")] == [b'{"meta": {"1": ']
    # the catalogue is back as it was before its last change: the branch added last moved the unit counter in it,
    # but the unit index names the branch itself (docs/STORE.md), so no unit is lost, and the counter left behind
    # gives no id twice
    units = reopen(store_path).state().units
    assert dict(units) == seen[max(seen)]["units"]
    assert result.exit_code == 0
    assert reopen(store_path).add_unit("Chi bộ khu dân cư số 8", "Mân Thái", "branch").id == max(units) + 1


def test_an_unfinished_audit_line_is_cut_by_repair_and_a_copy_kept(history, store_path):
    service, _, _ = history
    audit = service.store.audit_path
    whole = audit.read_bytes()
    audit.write_bytes(whole + b'{"seq": 99, "at": "2024')
    result = run(store_path, "check", "--repair", "--yes")
    assert result.exit_code == 0, result.output
    assert "unfinished" in result.stdout
    kept = list(store_path.parent.glob("ptdv.audit.jsonl.damaged-*"))
    assert [k.read_bytes() for k in kept] == [whole + b'{"seq": 99, "at": "2024']
    assert audit.read_bytes().startswith(whole) and audit.read_bytes().endswith(b"\n")
    assert reopen(store_path).log()[-1]["action"] == "store.repair"
    assert reopen(store_path).check() == []


def test_a_clean_store_has_nothing_to_repair(history, store_path):
    result = run(store_path, "check", "--repair")
    assert result.exit_code == 0, result.output
    assert "No damaged file found" in result.stdout


# -- privacy --------------------------------------------------------------------------------------
@pytest.mark.parametrize("exposed", ["catalogue", "part", "parts folder", "backup folder"])
def test_a_store_readable_by_everyone_is_refused_with_the_command_that_fixes_it(history, store_path, exposed):
    service, ids, _ = history
    path, mode = {"catalogue": (store_path, 0o644), "part": (part_holding(store_path, ids["cand1"]), 0o604),
                  "parts folder": (service.store.parts_dir, 0o755),
                  "backup folder": (service.store.backups_dir, 0o705)}[exposed]
    os.chmod(path, mode)
    result = run(store_path, "candidate", "list")
    assert result.exit_code == 1 and "Traceback" not in result.output
    command = result.stderr.split("Fix it with: ")[1].strip()
    assert command.startswith("chmod -R o-rwx ") and str(store_path) in command
    subprocess.run(command, shell=True, check=True)
    assert not stat.S_IMODE(path.stat().st_mode) & 0o007
    assert run(store_path, "candidate", "list").exit_code == 0


def test_retention_keeps_the_last_versions_and_the_last_of_each_recent_day():
    from datetime import date, timedelta

    from db.store.backups import Version, kept_versions

    today = date(2026, 11, 29)
    versions, seq = [], 0
    for back in range(40, -1, -1):   # 41 days, three writes a day
        for _ in range(3):
            seq += 1
            versions.append(Version(seq, (today - timedelta(days=back)).isoformat()))
    newest, daily = kept_versions(versions, kept=5, days=30, today=today)
    assert newest == {119, 120, 121, 122, 123}
    assert len(daily) == 30                                   # one a day, for the last 30 days
    assert all(s % 3 == 0 for s in daily)                     # the last write of its day
    assert min(daily) == 3 * (41 - 30 + 1)                   # nothing older than 30 days
