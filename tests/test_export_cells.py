"""An export writes each candidate from the stored cells its part's cache keeps (``p<N>.cells.json``, db/cells.py):
made again for a part that changed, whoever changed it; a cache cut short or of another shape is made again from
its part; one edited by hand to claim its part as it is shows in the export and ``check`` names it."""
from __future__ import annotations

import orjson
import pytest

from db.cells import AT, CANDIDATE_COLUMNS, stored_cells
from db.service import Service
from db.store import Store
from db.store.parts import Parts
from db.transfer import ImportRefused, heading

from conftest import TODAY, build_small, caller, forge_cache, part_holding


def candidates_sheet(service: Service) -> dict[str, dict[str, object]]:
    """The candidates' table of an export, by name: column key -> cell."""
    head, rows = service.export(include_sensitive=True)["candidates"]
    keys = [next(k for k in CANDIDATE_COLUMNS if heading(k, "vi") == text) for text in head]
    return {row[head.index(heading("name", "vi"))]: dict(zip(keys, row)) for row in rows}


def cells_file(service: Service, cid: int):
    part = part_holding(service.store.path, cid)
    return part.with_name(part.name.replace(".json", ".cells.json"))


@pytest.fixture
def small_store(service):
    ids = build_small(service)
    return service.store.path, ids


def test_an_export_follows_saves_of_another_session(small_store):
    path, ids = small_store
    mine = Service(Store(path), today=TODAY)
    before = candidates_sheet(mine)
    other = Service(Store(path), today=TODAY)
    other.edit(ids["cand2"], {"name": "Trần Thị Bích", "residence": "Tổ 5, Phước Mỹ"})
    other.advance(ids["cand3"], None, "10/10/2024")  # Lê Văn Cường: the committee's vote
    after = candidates_sheet(mine)
    assert "Trần Thị Bình" in before and "Trần Thị Bình" not in after
    assert after["Trần Thị Bích"]["residence"] == "Tổ 5, Phước Mỹ"
    assert before["Lê Văn Cường"]["stage:committee"] == ""
    assert after["Lê Văn Cường"]["stage:committee"] == "10/10/2024"
    assert after["Nguyễn Văn An"] == before["Nguyễn Văn An"]


def test_a_second_export_reads_no_part(small_store, monkeypatch):
    path, _ = small_store
    first = Service(Store(path), today=TODAY).export()
    read = []
    original = Parts.file
    monkeypatch.setattr(Parts, "file", lambda self, pid: read.append(pid) or original(self, pid))
    again = Service(Store(path), today=TODAY).export()
    assert again == first
    assert read == []


@pytest.mark.parametrize("damage", [
    lambda raw: raw[:30],  # cut short by a crash
    lambda raw: orjson.dumps({**orjson.loads(raw), "cells": [[1, 2]]}),  # rows of another shape
    lambda raw: orjson.dumps({**orjson.loads(raw), "v": "0:id,unit"}),  # made for other columns
])
def test_a_damaged_cells_cache_is_made_again_from_its_part(small_store, damage):
    path, ids = small_store
    service = Service(Store(path), today=TODAY)
    right = service.export(include_sensitive=True)
    cache = cells_file(service, ids["cand2"])
    cache.write_bytes(damage(cache.read_bytes()))
    assert Service(Store(path), today=TODAY).export(include_sensitive=True) == right
    assert orjson.loads(cache.read_bytes())["v"].split(":", 1)[1] == ",".join(CANDIDATE_COLUMNS)


def test_check_names_a_cells_cache_edited_by_hand(small_store):
    path, ids = small_store
    service = Service(Store(path), today=TODAY)
    service.export()
    cache = cells_file(service, ids["cand2"])

    def renamed(doc):
        row = next(r for r in doc["cells"] if r[AT["id"]] == ids["cand2"])
        row[AT["name"]] = "Trần Thị Bính"

    forge_cache(cache, renamed)
    forged = Service(Store(path), today=TODAY)
    assert "Trần Thị Bính" in candidates_sheet(forged)  # the forgery shows in the export...
    problems = forged.check()
    assert ("check.cache_forged", {"path": str(cache)}) in problems  # ...and check names it, and no other cache
    assert [p for p in problems if p[0] == "check.cache_forged"] == [("check.cache_forged", {"path": str(cache)})]


def test_stored_cells_are_what_the_candidate_holds(small_store):
    path, ids = small_store
    service = Service(Store(path), today=TODAY)
    service.move_candidate(ids["cand2"], ids["pm2"], on="01/06/2024", reason="chuyển nơi ở")
    cand = service.candidate(ids["cand2"])
    row = stored_cells(cand)
    assert len(row) == len(CANDIDATE_COLUMNS)
    assert (row[AT["id"]], row[AT["unit"]], row[AT["gender"]]) == (cand.id, ids["pm2"], "female")
    assert row[AT["born"]] == "02/05/1992" and row[AT["stage:class"]] == "10/02/2024"
    assert row[AT["moves"]] == [["01/06/2024", ids["pm1"], ids["pm2"], "chuyển nơi ở"]]
    assert row[AT["introducers"]] == "Ngô Văn Hai; Đỗ Thị Ba"
    assert (row[AT["exit"]], row[AT["exception"]]) == ("", "")


# -- an import of an export: a row that is what export writes of its candidate changes nothing, read no further --
def test_importing_an_export_again_reads_no_part_and_changes_nothing(small_store, monkeypatch):
    path, _ = small_store
    tables = Service(Store(path), today=TODAY).export(include_sensitive=True)
    read = []
    original = Parts.file
    monkeypatch.setattr(Parts, "file", lambda self, pid: read.append(pid) or original(self, pid))
    plan = Service(Store(path), today=TODAY).import_tables({k: [head, *rows] for k, (head, rows) in tables.items()},
                                                           dry_run=True)
    assert plan.candidates.counts() == {"added": 0, "changed": 0, "unchanged": len(tables["candidates"][1])}
    assert read == []


def test_a_changed_cell_or_a_repeated_row_of_an_export_is_read_as_before(small_store):
    path, ids = small_store
    service = Service(Store(path), today=TODAY)
    head, rows = service.export()["candidates"]
    changed = [list(row) for row in rows]
    bich = next(row for row in changed if row[0] == ids["cand2"])
    bich[head.index(heading("residence", "vi"))] = "Tổ 9"
    plan = service.import_tables({"candidates": [head, *changed]}, dry_run=True)
    assert [(p.before.id, p.after.residence) for p in plan.candidates.changes] == [(ids["cand2"], "Tổ 9")]
    with pytest.raises(ImportRefused) as err:
        service.import_tables({"candidates": [head, *rows, rows[0]]}, dry_run=True)
    assert [(row, e.key, e.params["first"]) for _, row, e in err.value.bad] == \
        [(len(rows) + 2, "import.repeated_row", 2)]


def test_an_unchanged_row_of_a_branch_the_user_may_not_write_is_refused(store_path):
    boss = Service(Store(store_path), caller=caller("boss"), today=TODAY)
    ids = build_small(boss)
    boss.add_user("bob", ids["an_hai_bac"], "editor")
    head, rows = boss.export()["candidates"]
    bob = Service(Store(store_path), caller=caller("bob"), today=TODAY)
    with pytest.raises(ImportRefused) as err:
        bob.import_tables({"candidates": [head, *rows]}, dry_run=True)
    refused = {row for _, row, _ in err.value.bad}
    theirs = {n for n, row in enumerate(rows, start=2) if "An Hải Bắc" not in row[head.index(heading("unit", "vi"))]}
    assert refused == theirs and len(theirs) == len(rows) - 1
