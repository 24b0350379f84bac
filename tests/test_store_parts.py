"""The split store: candidates in one file per grassroots unit, summaries, the audit log as commit point."""
from __future__ import annotations

import os

import orjson
import pytest

from db.service import Service
from db.store import Store

from conftest import TODAY, build_small, part_files, part_holding


@pytest.fixture
def small_store(service):
    return service, build_small(service)


def reopen(service: Service) -> Service:
    return Service(Store(service.store.path), today=TODAY)


def test_each_grassroots_unit_has_its_own_part_and_a_save_writes_only_that_part(small_store):
    service, ids = small_store
    parts = {p.name for p in part_files(service.store.path)}
    assert parts == {f"p{ids[w]}.json" for w in ("phuoc_my", "an_hai_bac", "thach_thang")}
    untouched = {p.name: p.stat().st_mtime_ns for p in part_files(service.store.path)}
    catalogue = service.store.path.stat().st_ino
    service.advance(ids["cand2"], None, "01/11/2024")   # a candidate of Phước Mỹ
    after = {p.name: p.stat().st_mtime_ns for p in part_files(service.store.path)}
    changed = {name for name in after if after[name] != untouched[name]}
    assert changed == {f"p{ids['phuoc_my']}.json"}
    assert service.store.path.stat().st_ino == catalogue   # the catalogue was not rewritten


def test_moving_a_branch_to_another_grassroots_unit_takes_its_candidates_along(small_store):
    service, ids = small_store
    before = {c.id for c in service.candidates(ids["pm2"])}
    forecast = service.unit_figures(ids["an_hai_bac"], 2024).forecast
    service.move_unit(ids["pm2"], ids["an_hai_bac"])
    for session in (service, reopen(service)):
        assert {c.id for c in session.candidates(ids["pm2"])} == before
        assert {c.id for c in session.candidates(ids["an_hai_bac"])} >= before
        assert not {c.id for c in session.candidates(ids["phuoc_my"])} & before
        assert session.check() == []
    for cid in before:
        assert part_holding(service.store.path, cid).name == f"p{ids['an_hai_bac']}.json"
    # the figures follow: An Hải Bắc's forecast now counts the moved branch's candidate at the branch vote
    assert reopen(service).unit_figures(ids["an_hai_bac"], 2024).forecast == forecast + 1


def test_moving_a_candidate_to_a_branch_of_another_part(small_store):
    service, ids = small_store
    cand = service.move_candidate(ids["cand5"], ids["pm2"])
    assert part_holding(service.store.path, cand.id).name == f"p{ids['phuoc_my']}.json"
    fresh = reopen(service)
    assert fresh.candidate(cand.id).unit == ids["pm2"]
    assert cand.id not in {c.id for c in fresh.candidates(ids["thach_thang"])}
    assert fresh.check() == []


def test_figures_are_right_when_the_summary_cache_is_stale_or_gone(small_store):
    service, ids = small_store
    expected = {uid: reopen(service).unit_figures(uid, 2024).to_json(service.state()) for uid in ids.values()
                if uid in service.state().units}
    folder = service.store.parts_dir
    for summary in folder.glob("p*.sum.json"):
        summary.unlink()
    assert {uid: reopen(service).unit_figures(uid, 2024).to_json(service.state()) for uid in expected} == expected
    # a hand edit of a part makes its summary stale: the counts follow the part, not the cache
    part = part_holding(service.store.path, ids["cand1"])
    data = orjson.loads(part.read_bytes())
    data["candidates"][str(ids["cand1"])]["exit"] = {"kind": "withdrawn", "reason": "chuyển đi",
                                                    "date": "2024-10-01", "by": "x", "at": "x"}
    part.write_bytes(orjson.dumps(data))
    fresh = reopen(service)
    assert fresh.unit_figures(ids["phuoc_my"], 2024).by_stage["decided"] == 0
    assert fresh.unit_figures(ids["phuoc_my"], 2024).exited == 1


def test_a_writer_killed_after_its_audit_line_is_finished_by_the_next_writer(small_store, monkeypatch):
    service, ids = small_store

    class Killed(BaseException):
        pass

    def killed(*args, **kwargs):
        raise Killed
    monkeypatch.setattr(os, "replace", killed)   # dies after the commit point, before any file is moved
    with pytest.raises(Killed):
        service.add_candidate(ids["pm1"], "Đinh Văn Khang")
    monkeypatch.undo()
    assert os.listdir(service.store.pending_dir)               # the new part waits in the pending folder
    fresh = reopen(service)
    assert "Đinh Văn Khang" not in {c.name for c in fresh.candidates(ids["pm1"])}   # readers see the old part
    fresh.add_candidate(ids["pm2"], "Mai Thị Lan")              # the next write finishes the killed one first
    names = {c.name for c in reopen(service).candidates(ids["phuoc_my"])}
    assert {"Đinh Văn Khang", "Mai Thị Lan"} <= names
    assert os.listdir(service.store.pending_dir) == []
    assert reopen(service).check() == []


def test_a_writer_killed_before_its_audit_line_leaves_nothing(small_store, monkeypatch):
    service, ids = small_store
    log_before = len(service.log())

    class Killed(BaseException):
        pass

    def killed(*args, **kwargs):
        raise Killed
    monkeypatch.setattr(Store, "_append_audit", killed)
    with pytest.raises(Killed):
        service.add_candidate(ids["pm1"], "Đinh Văn Khang")
    monkeypatch.undo()
    fresh = reopen(service)
    fresh.add_candidate(ids["pm2"], "Mai Thị Lan")
    names = {c.name for c in reopen(service).candidates(ids["phuoc_my"])}
    assert "Đinh Văn Khang" not in names and "Mai Thị Lan" in names
    assert len(reopen(service).log()) == log_before + 1
    assert os.listdir(service.store.pending_dir) == []


def test_a_lost_counter_file_never_reuses_an_id(small_store):
    service, ids = small_store
    service.store.counters_path.unlink()
    new = reopen(service).add_candidate(ids["pm1"], "Đinh Văn Khang")
    assert new.id == max(ids[f"cand{n}"] for n in range(1, 7)) + 1
    assert reopen(service).check() == []


def test_an_edited_audit_line_is_found_by_check(small_store):
    service, ids = small_store
    assert service.check() == []
    lines = service.store.audit_path.read_bytes().split(b"\n")
    entry = orjson.loads(lines[3])
    entry["by"] = "someone_else"
    lines[3] = orjson.dumps(entry)
    service.store.audit_path.write_bytes(b"\n".join(lines))
    assert ("check.audit_chain", {"seq": entry["seq"]}) in reopen(service).check()


def test_another_session_sees_a_save_through_two_small_files(small_store):
    service, ids = small_store
    other = reopen(service)
    before = other.unit_figures(ids["phuoc_my"], 2024)
    assert not other.store.changed()
    service.advance(ids["cand2"], None, "01/11/2024")
    assert other.store.changed()
    after = other.unit_figures(ids["phuoc_my"], 2024)
    assert after.by_stage["dossier"] == before.by_stage["dossier"] - 1
    assert after.by_stage["verified"] == before.by_stage["verified"] + 1
