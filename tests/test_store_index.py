"""The candidate index (schema 4): a candidate is found by its number reading one index file and its part, the
index and the counter are written in the candidate's own commit, and ``check`` compares them with the parts."""
from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest

import db.store
import db.store.index
from db.errors import PtdvError
from db.service import Service
from db.store import SCHEMA_VERSION, Store

from conftest import TODAY, build_small, older_layout, part_holding, record_as_written


@pytest.fixture
def small_store(service, monkeypatch):
    monkeypatch.setattr(db.store.index, "IDS_PER_INDEX", 4)  # several index files for the six candidates
    return service, build_small(service)


def reopen(service: Service) -> Service:
    return Service(Store(service.store.path), today=TODAY)


def index(service: Service) -> dict[int, int]:
    """The whole index as its files hold it: candidate id -> part."""
    out: dict[int, int] = {}
    for path in service.store.parts_dir.glob("ids*.json"):
        out.update({int(cid): pid for cid, pid in orjson.loads(path.read_bytes())["parts"].items()})
    return out


def held(service: Service) -> dict[int, int]:
    """Every candidate id -> the part file holding it."""
    return {cid: int(part_holding(service.store.path, cid).name[1:-5]) for cid in index(service)}


def files_read(monkeypatch) -> list[str]:
    """The names of the store's files read from now on."""
    seen: list[str] = []
    read = Path.read_bytes

    def recording(path: Path) -> bytes:
        seen.append(path.name)
        return read(path)
    monkeypatch.setattr(Path, "read_bytes", recording)
    return seen


def test_a_candidate_is_found_from_its_index_file_and_its_part_alone(small_store, monkeypatch):
    service, ids = small_store
    cid = ids["cand5"]   # of Thạch Thang: its index file is the second one (ids 4 to 7)
    seen = files_read(monkeypatch)
    fresh = reopen(service)
    assert fresh.candidate(cid).name == "Hoàng Văn Em"
    # the catalogue, the index file, the part and its summary (the branch's record), the unit index's file of its
    # branch (its parent and name): nothing else of the city
    part = f"p{ids['thach_thang']}"
    assert set(seen) == {"ptdv.json", f"ids{cid // 4}.json", f"{part}.json", f"{part}.sum.json", "units0.json"}
    seen.clear()
    with pytest.raises(PtdvError) as err:
        fresh.candidate(999)
    assert err.value.key == "candidate.not_found"
    assert seen == []   # an id past every index file: nothing to read (no look through the city's summaries)


def test_the_index_and_the_counter_are_written_in_the_candidates_own_commit(small_store):
    service, ids = small_store
    before = index(service)
    new = service.add_candidate(ids["tt2"], "Đinh Văn Khang")
    commit = service.store.audit_since(0)[-1]["files"]
    assert set(commit) == {f"p{ids['thach_thang']}.json", f"ids{new.id // 4}.json", "counters.json"}
    assert index(service) == {**before, new.id: ids["thach_thang"]}
    service.advance(new.id)   # an advance writes its part only
    assert set(service.store.audit_since(0)[-1]["files"]) == {f"p{ids['thach_thang']}.json"}
    moved = service.move_candidate(new.id, ids["pm1"])   # to a branch of another part: both parts and its entry
    assert set(service.store.audit_since(0)[-1]["files"]) == {
        f"p{ids['thach_thang']}.json", f"p{ids['phuoc_my']}.json", f"ids{new.id // 4}.json",
        "@catalogue"}   # (whose ``visits`` name the part its past at Thạch Thang is in now: docs/HISTORY.md)
    assert index(service)[moved.id] == ids["phuoc_my"] == held(service)[moved.id]
    assert reopen(service).candidate(moved.id).unit == ids["pm1"]
    assert reopen(service).check() == []


def test_a_branch_moved_to_another_grassroots_unit_takes_its_candidates_index_entries(small_store):
    service, ids = small_store
    moving = {c.id for c in service.candidates(ids["pm2"])}
    service.move_unit(ids["pm2"], ids["an_hai_bac"])
    assert {cid: index(service)[cid] for cid in moving} == dict.fromkeys(moving, ids["an_hai_bac"])
    assert index(service) == held(service)
    assert reopen(service).check() == []


def test_imported_ids_raise_the_counter_so_the_next_add_never_reuses_one(small_store):
    service, ids = small_store
    with service.store.transaction() as tx:   # as an import keeping the ids of its rows does
        tx.add_candidates({41: {**service.candidate(ids["cand1"]).to_doc(), "name": "Mai Thị Lan"}})
        tx.audit("candidate.add", "candidate:41", ids["pm1"], None, {})
    assert orjson.loads(service.store.counters_path.read_bytes())["next_candidate"] == 41
    assert reopen(service).candidate(41).name == "Mai Thị Lan"
    assert reopen(service).add_candidate(ids["pm1"], "Đinh Văn Khang").id == 42
    assert reopen(service).check() == []


def test_a_counter_lowered_by_hand_is_found_by_check_and_never_gives_an_id_in_use(small_store):
    service, ids = small_store
    highest = max(index(service))
    service.store.counters_path.write_bytes(orjson.dumps({"next_candidate": 2}))
    record_as_written(service.store.path)
    assert ("check.counter_behind", {"counter": 2, "id": highest}) in reopen(service).check()
    new = reopen(service).add_candidate(ids["pm1"], "Đinh Văn Khang")
    assert new.id == highest + 1
    assert reopen(service).candidate(ids["cand3"]).name == "Lê Văn Cường"   # not written over
    assert reopen(service).check() == []


def test_an_index_entry_edited_by_hand_is_found_by_check(small_store):
    service, ids = small_store
    cid = ids["cand5"]
    path = service.store.parts_dir / f"ids{cid // 4}.json"
    doc = orjson.loads(path.read_bytes())
    doc["parts"][str(cid)] = ids["phuoc_my"]
    path.write_bytes(orjson.dumps(doc))
    record_as_written(service.store.path)
    found = reopen(service).check()
    assert ("check.index_wrong", {"id": cid, "part": ids["thach_thang"], "indexed": ids["phuoc_my"]}) in found
    with pytest.raises(PtdvError) as err:   # looked for where the index says, and not found there
        reopen(service).candidate(cid)
    assert err.value.key == "candidate.not_found"
    del doc["parts"][str(cid)]
    doc["parts"][str(cid // 4 * 4 + 3)] = ids["phuoc_my"]  # and an entry no part holds
    path.write_bytes(orjson.dumps(doc))
    record_as_written(service.store.path)
    keys = [key for key, _ in reopen(service).check()]
    assert keys.count("check.index_wrong") == 1 and keys.count("check.index_stale") == 1


def test_a_damaged_index_file_is_named_and_repair_makes_the_index_whole_again(small_store):
    service, ids = small_store
    cid = ids["cand5"]
    newest = service.add_candidate(ids["tt1"], "Đinh Văn Khang")   # in the same index file as cand5, after its backup
    path = service.store.parts_dir / f"ids{cid // 4}.json"
    assert newest.id // 4 == cid // 4
    path.write_bytes(path.read_bytes()[:20])
    with pytest.raises(PtdvError) as err:
        reopen(service).candidate(cid)
    assert err.value.key == "store.damaged" and str(path) in err.value.message("en")
    assert [d.path for d in reopen(service).damage()] == [path]
    reopen(service).repair()
    fresh = reopen(service)
    assert fresh.candidate(newest.id).name == "Đinh Văn Khang"   # the backup is older: the index is made again
    assert fresh.candidate(cid).name == "Hoàng Văn Em"
    assert fresh.check() == []
    assert fresh.log()[-1]["action"] == "store.repair"


def test_a_writer_killed_after_its_commit_line_leaves_its_index_entry_to_the_next_writer(small_store, monkeypatch):
    service, ids = small_store

    class Killed(BaseException):
        pass

    def killed(*args, **kwargs):
        raise Killed
    with monkeypatch.context() as patched, pytest.raises(Killed):
        patched.setattr(os, "replace", killed)   # after the commit point, before any file is in place
        service.add_candidate(ids["tt1"], "Đinh Văn Khang")
    later = reopen(service).add_candidate(ids["pm1"], "Mai Thị Lan")   # finishes the killed write first
    fresh = reopen(service)
    assert fresh.candidate(later.id - 1).name == "Đinh Văn Khang"
    assert index(service) == held(service)
    assert fresh.check() == []


def test_a_store_of_schema_3_reads_the_same_and_its_first_write_makes_the_index(small_store):
    service, ids = small_store
    older_layout(service.store.path, 3)
    old = reopen(service)
    assert old.candidate(ids["cand5"]).name == "Hoàng Văn Em" and old.check() == []
    new = old.add_candidate(ids["pm1"], "Đinh Văn Khang")
    assert new.id == max(ids[f"cand{n}"] for n in range(1, 7)) + 1
    assert orjson.loads(service.store.path.read_bytes())["meta"]["1"]["schema"] == SCHEMA_VERSION
    upgrade, added = old.log()[-2:]
    assert (upgrade["action"], added["action"]) == ("store.upgrade", "candidate.add")
    assert upgrade["before"] == {"schema": 3}
    assert upgrade["after"] == {"schema": SCHEMA_VERSION, "candidates": 6, "branches": 5}
    assert index(service) == held(service) and len(index(service)) == 7
    assert reopen(service).check() == []


# -- the unit index (schema 5): the branches named outside the catalogue ----------------------------------
def test_a_branch_is_named_by_the_unit_index_and_a_ward_tree_reads_that_wards_part(small_store, monkeypatch):
    service, ids = small_store
    catalogue = orjson.loads(service.store.path.read_bytes())
    assert catalogue["placed"] == {}   # no branch here has a period: the catalogue names none
    seen = files_read(monkeypatch)
    state = reopen(service).state()
    assert state.path(ids["tt2"]).endswith("Đảng ủy phường Thạch Thang/Chi bộ Trạm y tế")
    assert [state.units[k].name for k in state.children[ids["thach_thang"]]] == ["Chi bộ khu dân cư số 3",
                                                                                "Chi bộ Trạm y tế"]
    part = f"p{ids['thach_thang']}"
    assert set(seen) == {"ptdv.json", "units0.json", f"{part}.sum.json"}


def test_a_branch_added_renamed_and_moved_is_seen_by_the_session_that_wrote_it_and_by_others(small_store):
    service, ids = small_store
    other = reopen(service)
    assert ids["pm2"] in other.state().children[ids["phuoc_my"]]
    added = service.add_unit("Chi bộ khu dân cư số 9", ids["phuoc_my"], "branch")
    service.rename_unit(ids["pm2"], "Chi bộ Trường THCS Phước Mỹ mới")
    service.move_unit(ids["tt2"], ids["phuoc_my"])   # from today: its entry has a period, in the catalogue
    for session in (service, other):
        state = session.state()
        kids = {state.units[k].name for k in state.children[ids["phuoc_my"]]}
        assert kids == {"Chi bộ khu dân cư số 1", "Chi bộ Trường THCS Phước Mỹ mới", "Chi bộ khu dân cư số 9",
                        "Chi bộ Trạm y tế"}
        assert ids["tt2"] not in state.children[ids["thach_thang"]]
        assert session.resolve_unit("khu dân cư số 9").id == added.id
    assert str(ids["tt2"]) in orjson.loads(service.store.path.read_bytes())["placed"]
    assert reopen(service).check() == []


def test_a_unit_counter_lowered_by_hand_never_gives_a_branch_id_twice(small_store):
    service, ids = small_store
    catalogue = orjson.loads(service.store.path.read_bytes())
    catalogue["meta"]["1"]["next_unit"] = ids["pm1"] - 1
    service.store.path.write_bytes(orjson.dumps(catalogue))
    record_as_written(service.store.path)
    new = reopen(service).add_unit("Chi bộ khu dân cư số 9", ids["phuoc_my"], "branch")
    assert new.id == max(reopen(service).state().units) and new.id > max(ids.values())
    assert reopen(service).state().units[ids["pm1"]].name == "Chi bộ khu dân cư số 1"


def test_a_damaged_unit_index_file_is_named_and_put_back_by_repair(small_store):
    service, ids = small_store
    path = service.store.parts_dir / "units0.json"
    good = path.read_bytes()
    service.rename_unit(ids["tt2"], "Chi bộ Trạm y tế phường")   # a save that replaces the file: its backup
    path.write_bytes(b'{"block": 0, "units": {"')
    with pytest.raises(PtdvError) as err:
        reopen(service).state().path(ids["tt2"])
    assert err.value.key == "store.damaged" and str(path) in err.value.message("en")
    assert "check --repair" in err.value.message("en")
    reopen(service).repair()
    assert path.read_bytes() == good
    fresh = reopen(service)
    assert fresh.state().units[ids["tt2"]].name == "Chi bộ Trạm y tế"   # the file as it was before its last save
    assert fresh.log()[-1]["action"] == "store.repair"


def test_a_store_of_schema_4_reads_the_same_and_its_first_write_moves_the_branches_to_the_unit_index(small_store):
    service, ids = small_store
    before = dict(reopen(service).figures(2024))   # (figures below a grassroots unit are made as asked)
    older_layout(service.store.path, 4)
    catalogue = orjson.loads(service.store.path.read_bytes())
    assert set(catalogue["placed"]) == {str(ids[b]) for b in ("pm1", "pm2", "ahb1", "tt1", "tt2")}
    old = reopen(service)
    assert old.figures(2024) == before and old.check() == []
    old.advance(ids["cand2"])
    catalogue = orjson.loads(service.store.path.read_bytes())
    assert catalogue["meta"]["1"]["schema"] == SCHEMA_VERSION and catalogue["placed"] == {}
    upgrade = old.log()[-2]
    assert upgrade["action"] == "store.upgrade" and upgrade["after"] == {"schema": SCHEMA_VERSION, "branches": 5}
    fresh = reopen(service)
    assert fresh.state().path(ids["tt2"]).endswith("Thạch Thang/Chi bộ Trạm y tế")
    assert fresh.figures(2024)[ids["city"]].admitted == before[ids["city"]].admitted
    assert fresh.check() == []


# -- a grassroots unit grown huge: the store refuses what would make one part too large to save quickly ------
def test_a_part_past_its_limit_is_refused_by_name_and_nothing_is_saved(small_store, monkeypatch):
    service, ids = small_store
    monkeypatch.setattr(db.store, "PART_LIMIT", 4)   # Phước Mỹ's part holds 3 candidates
    before = {p.name: p.read_bytes() for p in service.store.parts_dir.glob("p*.json")}
    service.add_candidate(ids["pm1"], "Đinh Văn Khang")   # the fourth: at the limit
    with pytest.raises(PtdvError) as err:
        service.add_candidate(ids["pm2"], "Mai Thị Lan")
    assert err.value.key == "store.part_full"
    for lang in ("vi", "en"):
        assert "Đảng ủy phường Phước Mỹ" in err.value.message(lang) and "4" in err.value.message(lang)
    assert "Mai Thị Lan" not in {c.name for c in reopen(service).candidates(ids["phuoc_my"])}
    # what an import plans (a dry run too), asked before it writes: Phước Mỹ would hold 5, Thạch Thang has room
    assert reopen(service).store.part_room({ids["phuoc_my"]: 1, ids["thach_thang"]: 2}) == {ids["phuoc_my"]: 5}
    monkeypatch.setattr(db.store, "PART_LIMIT", 2)     # a part already past the limit may still be changed
    assert reopen(service).edit(ids["cand1"], {"residence": "Tổ 5"}).residence == "Tổ 5"
    with pytest.raises(PtdvError) as err:   # and a branch moved into it takes its candidates along: refused
        reopen(service).move_unit(ids["tt2"], ids["phuoc_my"])
    assert err.value.key == "store.part_full"
    assert {p.name for p in service.store.parts_dir.glob("p*.json")} == set(before)
