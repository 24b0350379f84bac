"""The split store: candidates in one file per grassroots unit, summaries, the audit log as commit point."""
from __future__ import annotations

import os
from dataclasses import replace

import orjson
import pytest

from db.errors import PtdvError
from db.service import Service
from db.store import SCHEMA_VERSION, Store
from db.store.audit import AuditLog
from db.store.commit import Committer

from conftest import TODAY, build_small, older_layout, part_files, part_holding


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
    monkeypatch.setattr(AuditLog, "append", killed)
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


def test_a_unit_counter_lowered_by_hand_never_reuses_an_id(small_store):
    service, ids = small_store
    names = {uid: unit.name for uid, unit in service.state().units.items()}
    catalogue = orjson.loads(service.store.path.read_bytes())
    catalogue["meta"]["1"]["next_unit"] = 1
    service.store.path.write_bytes(orjson.dumps(catalogue))
    new = reopen(service).add_unit("Chi bộ khu dân cư số 9", ids["phuoc_my"], "branch")
    assert new.id == max(names) + 1
    fresh = reopen(service)
    assert {uid: fresh.state().units[uid].name for uid in names} == names
    assert fresh.check() == []


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


# -- branches live in their grassroots unit's part; the catalogue only names them ---------------
def _catalogue(service: Service) -> dict:
    return orjson.loads(service.store.path.read_bytes())


def _part(service: Service, pid: int) -> dict:
    return orjson.loads(service.store.parts.path(pid).read_bytes())


def test_a_branch_record_and_its_quotas_are_in_its_parents_part_and_the_unit_index_names_it(small_store):
    service, ids = small_store
    service.set_quota(ids["pm1"], 2024, target=2)
    catalogue, part = _catalogue(service), _part(service, ids["phuoc_my"])
    assert str(ids["pm1"]) not in catalogue["units"] and str(ids["pm1"]) not in catalogue["placed"]
    index = orjson.loads((service.store.parts_dir / "units0.json").read_bytes())["units"]   # the unit index names it
    assert index[str(ids["pm1"])] == [ids["phuoc_my"], "Chi bộ khu dân cư số 1"]
    assert part["units"][str(ids["pm1"])]["members"] == {"2024": 45}
    assert [q["target"] for q in part["quotas"].values() if q["unit"] == ids["pm1"]] == [2]
    assert not any(q["unit"] == ids["pm1"] for q in catalogue["quotas"].values())
    fresh = reopen(service)
    assert fresh.unit_figures(ids["pm1"], 2024).target == 2
    assert fresh.state().path(ids["pm1"]).endswith("Đảng ủy phường Phước Mỹ/Chi bộ khu dân cư số 1")


def test_a_ward_opens_from_the_catalogue_and_its_own_parts_only(small_store, monkeypatch):
    service, ids = small_store
    fresh = reopen(service)
    read = []
    original = fresh.store.summaries.summary
    monkeypatch.setattr(fresh.store.summaries, "summary",   # the summaries read (not a look for a part that is not there)
                        lambda pid, *a: (fresh.store.parts.path(pid).exists() and read.append(pid)) or original(pid, *a))
    figures = fresh.figures(2024, ids["phuoc_my"])
    assert figures[ids["pm1"]].members == 45
    assert set(read) == {ids["phuoc_my"]}
    assert [u.name for u in fresh.state().search_units("thach thang")] == ["Đảng ủy phường Thạch Thang"]
    assert set(read) == {ids["phuoc_my"]}   # a unit search reads no part


def test_a_quota_asked_for_with_get_is_the_one_indexing_gives_and_none_when_there_is_none(small_store):
    service, ids = small_store
    service.set_quota(ids["pm1"], 2024, target=2)     # a branch's: in its part
    service.set_quota(ids["phuoc_my"], 2024, target=5)  # a grassroots unit's: in the catalogue
    state = reopen(service).state()
    for key in ((ids["pm1"], 2024), (ids["phuoc_my"], 2024)):
        assert state.quotas.get(key) == state.quotas[key] and state.quotas.get(key).target in (2, 5)
    for key in ((ids["pm1"], 2023), (ids["phuoc_my"], 2023), (10 ** 6, 2024)):
        assert state.quotas.get(key) is None and state.quotas.get(key, "none") == "none"
        with pytest.raises(KeyError):
            state.quotas[key]
    assert state.own_units.get(ids["phuoc_my"]) is state.own_units[ids["phuoc_my"]]
    assert state.own_units.get(ids["pm1"]) is None and state.own_units.get(str(ids["phuoc_my"]), 0) == 0
    with pytest.raises(KeyError):
        state.own_units[ids["pm1"]]


def test_a_unit_record_that_cannot_be_read_is_said_by_get_too(small_store):
    service, ids = small_store
    path = service.store.path
    doc = orjson.loads(path.read_bytes())
    doc["units"][str(ids["phuoc_my"])]["members"] = {"2024": "many"}
    path.write_bytes(orjson.dumps(doc))
    state = reopen(service).state()
    for look in (lambda: state.own_units.get(ids["phuoc_my"]), lambda: state.units[ids["phuoc_my"]]):
        with pytest.raises(PtdvError) as err:
            look()
        assert err.value.key == "store.invalid"


def test_moving_a_branch_takes_its_record_and_quotas_to_the_other_part(small_store):
    service, ids = small_store
    service.set_quota(ids["pm2"], 2024, target=1)
    service.move_unit(ids["pm2"], ids["an_hai_bac"])
    assert str(ids["pm2"]) not in _part(service, ids["phuoc_my"])["units"]
    assert not any(q["unit"] == ids["pm2"] for q in _part(service, ids["phuoc_my"])["quotas"].values())
    assert str(ids["pm2"]) in _part(service, ids["an_hai_bac"])["units"]
    for session in (service, reopen(service)):
        assert session.unit_figures(ids["pm2"], 2024).target == 1
        assert ids["pm2"] in session.state().children[ids["an_hai_bac"]]
        assert session.check() == []


def test_another_session_sees_a_branch_quota_set_without_a_catalogue_write(small_store):
    service, ids = small_store
    other = reopen(service)
    assert other.unit_figures(ids["pm1"], 2024).target is None
    catalogue = service.store.path.stat().st_mtime_ns
    service.set_quota(ids["pm1"], 2024, target=3)
    service.set_members(ids["pm1"], 50, 2024)
    assert service.store.path.stat().st_mtime_ns == catalogue
    assert other.unit_figures(ids["pm1"], 2024).target == 3
    assert other.unit_figures(ids["pm1"], 2024).members == 50


def test_a_store_of_schema_2_reads_the_same_and_its_first_write_moves_the_branches(small_store):
    service, ids = small_store
    service.set_quota(ids["pm1"], 2024, target=2)
    before = dict(service.figures(2024))   # (figures below a grassroots unit are made as asked)
    older_layout(service.store.path, 2)
    old = reopen(service)
    assert old.figures(2024) == before and old.check() == []
    assert str(ids["pm1"]) in _catalogue(service)["units"]
    old.advance(ids["cand2"], None, "01/11/2024")
    catalogue = _catalogue(service)
    assert catalogue["meta"]["1"]["schema"] == SCHEMA_VERSION and str(ids["pm1"]) not in catalogue["units"]
    assert str(ids["pm1"]) not in catalogue["placed"]   # the unit index names it: see the test above
    assert [e["action"] for e in old.log()[-2:]] == ["store.upgrade", "candidate.advance"]
    fresh = reopen(service)
    assert fresh.check() == []
    assert fresh.unit_figures(ids["pm1"], 2024).target == 2
    after = fresh.figures(2024)
    assert after[ids["city"]].admitted == before[ids["city"]].admitted
    assert after[ids["phuoc_my"]].by_stage["verified"] == before[ids["phuoc_my"]].by_stage["verified"] + 1


def test_a_summary_a_save_updates_is_the_one_the_part_itself_gives(small_store):
    """A save counts again only the branches whose candidates changed: after adds, advances, moves
    within and between parts and exits, every summary equals one made afresh from its part."""
    service, ids = small_store
    service.advance(ids["cand2"], None, "01/11/2024")
    service.move_candidate(ids["cand6"], ids["pm2"])          # another branch of the same part
    service.move_candidate(ids["cand5"], ids["pm1"])          # a branch of another part
    added = service.add_candidate(ids["tt1"], "Trần Thị Mới")
    service.exit(added.id, "chuyển nơi ở")
    fresh = reopen(service)
    fresh.store.summaries.kept.clear()
    for summary in service.store.parts_dir.glob("*.sum.json"):
        summary.unlink()
    for pid in (ids["phuoc_my"], ids["an_hai_bac"], ids["thach_thang"]):
        kept, made = service.store.summaries.summary(pid), fresh.store.summaries.summary(pid)
        assert kept.counts == made.counts and sorted(kept.names) == sorted(made.names)


# -- another session never keeps figures from before a save it was reading through -------------
def test_a_save_landing_while_another_session_reads_is_still_news_to_it(small_store, monkeypatch):
    """The other session may answer with the figures from before the save, but must see the save as
    news afterwards (the app then reads again): reading the branches' records half-way must not mark
    it as seen."""
    service, ids = small_store
    reader = reopen(service)
    reader.figures(2024, ids["phuoc_my"])
    service.set_members(ids["pm1"], 46, 2024)   # news: the reader checks the branches' records again ...
    before = reader.unit_figures(ids["phuoc_my"], 2024).by_stage["verified"]
    service.set_members(ids["pm1"], 47, 2024)
    original, saved = reader.store.source.part_units, []

    def save_midway(pid):                       # ... and a save lands after it counted the candidates
        if not saved:
            saved.append(service.advance(ids["cand2"], None, "01/11/2024"))   # dossier -> verified
        return original(pid)
    monkeypatch.setattr(reader.store.source, "part_units", save_midway)
    assert reader.figures(2024, ids["phuoc_my"])[ids["pm1"]].members == 47
    assert saved and reader.store.changed()
    assert reader.unit_figures(ids["phuoc_my"], 2024).by_stage["verified"] == before + 1


def test_a_session_that_reads_between_a_saves_audit_line_and_its_files_reads_again(small_store, monkeypatch):
    """A save's files are put in place just after its audit line: a session that read in between saw
    the old part, and must see news again once the files are in place, however fast that is."""
    service, ids = small_store
    reader = reopen(service)
    before = reader.unit_figures(ids["phuoc_my"], 2024).by_stage["verified"]
    move, seen = Committer.move_pending, []

    def read_first(committer, names, version, moved=None):
        if reader.store.changed():
            seen.append(reader.unit_figures(ids["phuoc_my"], 2024).by_stage["verified"])
        move(committer, names, version, moved)
    monkeypatch.setattr(Committer, "move_pending", read_first)
    service.advance(ids["cand2"], None, "01/11/2024")
    assert seen == [before]                       # it read the part as it was
    assert reader.store.changed()                 # ... and knows to read again
    assert reader.unit_figures(ids["phuoc_my"], 2024).by_stage["verified"] == before + 1


def test_a_branch_moved_to_another_ward_and_its_candidate_edited_in_one_write(small_store):
    service, ids = small_store
    with service.store.transaction() as tx:
        branch = tx.state.units[ids["pm1"]]
        tx.put_unit(replace(branch, parent=ids["thach_thang"]))
        cand = tx.state.candidate(ids["cand1"])   # found in the part it was just moved to
        tx.put_candidate(replace(cand, notes="Đã chuyển"))
        tx.audit("test.move", f"unit:{branch.id}", branch.id, None, None)
    holding = [p.name for p in part_files(service.store.path)
               if str(ids["cand1"]) in orjson.loads(p.read_bytes())["candidates"]]
    assert holding == [f"p{ids['thach_thang']}.json"]
    assert reopen(service).candidate(ids["cand1"]).notes == "Đã chuyển"
