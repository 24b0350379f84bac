"""The roll-up above the grassroots units from the parts' totals (db.quota.PartTotals, the store's totals.json):
the same figures as from every branch, without reading the parts."""
from __future__ import annotations

from dataclasses import asdict
from datetime import date

import orjson
import pytest

import db.service
from db.quota import EAGER_PARTS, PartTotals
from db.service import Service
from db.store import Store

from conftest import TODAY, receive_papers, record_as_written

WARDS = EAGER_PARTS + 6  # more parts than a roll-up makes at once: the top's figures are made from the totals


def reopen(service: Service) -> Service:
    return Service(Store(service.store.path), today=TODAY)


@pytest.fixture
def city(service) -> tuple[Service, dict]:
    """A city over two districts of wards, each ward with two branches (members, a target or a rate) and
    candidates at several stages; one candidate transferred between wards, one branch moved to another ward
    from a day (a period in its record), and one ward with a branch directly under its district too."""
    root = service.init("Đảng bộ thành phố Đà Nẵng")
    ids: dict = {"root": root.id, "wards": [], "branches": []}
    districts = ids["districts"] = [service.add_unit(name, root.id, "district").id
                                    for name in ("Quận ủy Sơn Trà", "Quận ủy Hải Châu")]
    service.set_quota(root.id, 2024, rate="4%")
    names = ["An", "Bình", "Cường", "Dung", "Em", "Giang", "Hoa", "Khang", "Lan", "Minh", "Nga", "Phúc", "Quang",
             "Sơn", "Tâm", "Uyên", "Vinh"]
    for n in range(WARDS):
        ward = service.add_unit(f"Đảng ủy phường {names[n]}", districts[n % 2], "grassroots").id
        ids["wards"].append(ward)
        service.set_quota(ward, 2024, target=3 + n % 3)
        for b, members in enumerate((20 + n, 35)):
            branch = service.add_unit(f"Chi bộ khu dân cư số {b + 1}", ward, "branch", members=members, year=2024).id
            ids["branches"].append(branch)
            if b == 0:
                service.set_quota(branch, 2024, target=1 + n % 2)
            elif n % 3:
                service.set_quota(branch, 2024, rate="5%")
            steps = ["05/01/2024", "10/02/2024", "11/03/2024", "12/04/2024", "13/05/2024", "14/06/2024",
                     "15/07/2024"][: 1 + (n + b) % 7]
            cand = service.add_candidate(branch, f"Người {names[n]} {'Một' if b == 0 else 'Hai'}", date_=steps[0],
                                         gender="female" if n % 2 else "male", born="01/05/1995",
                                         introducers=["Ngô Văn Hai", "Đỗ Thị Ba"])
            for step, day in enumerate(steps[1:], start=1):
                if step == 4:  # the branch vote: the dossier's papers were received with the verification
                    receive_papers(service, cand.id, steps[3])
                cand = service.advance(cand.id, None, day)
    service.add_unit("Chi bộ Văn phòng quận", districts[0], "branch", members=9, year=2024)
    moved = service.add_candidate(ids["branches"][0], "Trần Văn Chuyển", date_="02/01/2024")
    service.advance(moved.id, None, "03/02/2024")
    service.move_candidate(moved.id, ids["branches"][5], on="01/03/2024")
    school = service.add_unit("Chi bộ Trường Tiểu học", ids["wards"][3], "branch", members=12, year=2024).id
    service.add_candidate(school, "Võ Thị Trường", date_="04/01/2024")
    service.move_unit(school, ids["wards"][4], on="01/06/2024")
    return service, ids


def every_figure(service: Service, year: int, unit: int | None = None, day: date | None = None) -> dict:
    from db.quota import rollup

    state = service.state()
    return {uid: asdict(fig) for uid, fig in rollup(state, year, TODAY, unit, day=day).items()}


def without_totals(service: Service, monkeypatch) -> None:
    monkeypatch.setattr(service.store.source, "totals", lambda pids: {})


@pytest.mark.parametrize("year", [2023, 2024, 2025])
def test_the_figures_from_the_totals_are_those_of_every_branch(city, monkeypatch, year):
    service, ids = city
    fresh = reopen(service)
    found = every_figure(fresh, year)
    midyear = every_figure(fresh, year, day=date(year, 5, 31))
    district = every_figure(fresh, year, fresh.state().parent_of(ids["wards"][0]))
    reference = reopen(service)
    without_totals(reference, monkeypatch)
    assert found == every_figure(reference, year)
    assert midyear == every_figure(reference, year, day=date(year, 5, 31))
    assert district == every_figure(reference, year, reference.state().parent_of(ids["wards"][0]))
    assert fresh.report(ids["root"], year).to_json() == reference.report(ids["root"], year).to_json()


def summaries_read(service: Service, monkeypatch) -> list[int]:
    summaries, parts = service.store.summaries, service.store.parts
    read: list[int] = []
    original = summaries.summary
    monkeypatch.setattr(summaries, "summary", lambda pid, *a: (parts.path(pid).exists() and read.append(pid))
                        or original(pid, *a))
    return read


def test_the_tops_figures_read_no_part_once_the_totals_are_made(city, monkeypatch):
    service, ids = city
    reopen(service).figures(2024)[ids["root"]]            # makes totals.json
    fresh = reopen(service)
    read = summaries_read(fresh, monkeypatch)
    figures = fresh.figures(2024)
    state = fresh.state()
    shown = [figures[uid] for uid in (ids["root"], *state.children[ids["root"]])]
    assert shown[0].admitted == sum(f.admitted for f in shown[1:])
    # only the units whose children are not simply their part's branches are read: the district with a branch
    # of its own, the wards the transfer touched (0 and 2) and the ward the school moved to (4) from a day
    touched = {ids["districts"][0], ids["wards"][0], ids["wards"][2], ids["wards"][4]}
    assert set(read) == touched
    assert figures[ids["branches"][2]].members == 21   # a branch's own figures are made when asked


def test_a_save_makes_again_the_totals_of_its_part_only(city, monkeypatch):
    service, ids = city
    other = reopen(service)
    before = other.figures(2024)[ids["root"]].by_stage["source"]
    ward = ids["wards"][9]
    service.add_candidate(ids["branches"][18], "Lê Văn Mới", date_="01/11/2024")
    read = summaries_read(other, monkeypatch)
    assert other.figures(2024)[ids["root"]].by_stage["source"] == before + 1
    assert set(read) - {ids["districts"][0], *(ids["wards"][w] for w in (0, 2, 4))} == {ward}
    doc = orjson.loads((service.store.parts_dir / "totals.json").read_bytes())
    assert set(doc["parts"]) >= {str(w) for w in ids["wards"]}


def test_a_totals_file_edited_by_hand_is_found_by_check(city):
    service, ids = city
    reopen(service).figures(2024)[ids["root"]]
    path = service.store.parts_dir / "totals.json"
    doc = orjson.loads(path.read_bytes())
    doc["parts"][str(ids["wards"][6])]["plans"]["2024"][2] += 5   # five more members to admit
    path.write_bytes(orjson.dumps(doc))
    record_as_written(service.store.path)
    assert ("check.cache_forged", {"path": str(path)}) in reopen(service).check()
    path.write_bytes(b"{ cut short")   # a cache that cannot be read is made again
    assert reopen(service).figures(2024)[ids["root"]] == reopen(service).figures(2024)[ids["root"]]
    assert reopen(service).check() == []


@pytest.mark.parametrize("edit", ["a count as text", "a count with a fraction", "a count as true", "a row too short",
                                  "a due day as text", "a year of the plans not a number", "a branch as text"])
def test_a_totals_entry_not_as_ptdv_writes_it_is_not_used_and_its_part_is_read(city, monkeypatch, edit):
    service, ids = city
    reopen(service).figures(2024)[ids["root"]]
    path = service.store.parts_dir / "totals.json"
    doc = orjson.loads(path.read_bytes())
    entry = doc["parts"][str(ids["wards"][6])]
    assert PartTotals.from_json(entry).to_json() == {k: v for k, v in entry.items() if k != "part"}  # as written
    year = next(iter(entry["plans"]))
    if edit == "a count as text":
        entry["rows"][0][0] = str(entry["rows"][0][0])
    elif edit == "a count with a fraction":
        entry["rows"][-1][4] += 0.5
    elif edit == "a count as true":
        entry["rows"][-1][5] = True
    elif edit == "a row too short":
        entry["rows"][-1].pop()
    elif edit == "a due day as text":
        entry["due"] = [str(day) for day in entry["due"]] or ["738000"]
    elif edit == "a year of the plans not a number":
        entry["plans"][f" {year}"] = entry["plans"].pop(year)
    else:
        entry["branches"][0] = str(entry["branches"][0])
    with pytest.raises((TypeError, ValueError)):
        PartTotals.from_json(entry)
    path.write_bytes(orjson.dumps(doc))
    fresh = reopen(service)
    read = summaries_read(fresh, monkeypatch)
    found = every_figure(fresh, 2024)
    assert ids["wards"][6] in read  # its part is read instead
    reference = reopen(service)
    without_totals(reference, monkeypatch)
    assert found == every_figure(reference, 2024)


def test_a_subtree_to_a_depth_reads_no_part(city, monkeypatch):
    service, ids = city
    fresh = reopen(service)
    read = summaries_read(fresh, monkeypatch)
    state = fresh.state()
    assert set(state.subtree(ids["root"], 1)) == {ids["root"], *state.children.listed(ids["root"])}
    assert read == []
    assert len(state.subtree(ids["root"], 2)) == 1 + 2 + WARDS + 1
    assert read == [ids["districts"][0]]   # the district's own branch is in its part; no ward's part is read


# -- the due list's most urgent items, from the parts' due dates (ptdv.parts/due.json) ----------------------
@pytest.fixture
def many_parts(monkeypatch):
    """The city's parts count as many: its due list is found from their due dates (a store of 65 wards and more
    would take long to build)."""
    monkeypatch.setattr(db.service, "DUE_LIST_PARTS", WARDS - 1)


def test_a_due_list_under_few_parts_reads_their_candidates_not_the_due_dates(city):
    service, ids = city
    whole = reopen(service).due(ids["root"])
    assert reopen(service).due(ids["root"], limit=3) == whole[:3]
    assert not (service.store.parts_dir / "due.json").exists()  # at metro scale 0.9 MB, made again after a write


@pytest.mark.usefixtures("many_parts")
def test_the_first_items_of_a_due_list_are_those_of_the_whole_list(city, monkeypatch):
    service, ids = city
    whole = reopen(service).due(ids["root"])
    overdue = sum(1 for item in whole if item.finding.severity in ("overdue", "due"))
    assert overdue > 3
    for limit in (1, 3, overdue):
        fresh = reopen(service)
        monkeypatch.setattr(fresh, "candidates", lambda *a, **k: pytest.fail("every candidate was read"))
        assert [(i.candidate.id, i.finding.code) for i in fresh.due(ids["root"], limit=limit)] == \
            [(i.candidate.id, i.finding.code) for i in whole[:limit]]
    # past the dated items the standing warnings follow: the whole list is made, then cut
    assert reopen(service).due(ids["root"], limit=overdue + 2) == whole[:overdue + 2]


@pytest.mark.usefixtures("many_parts")
def test_a_due_list_reads_each_part_of_its_candidates_once_and_keeps_none(city, monkeypatch):
    service, ids = city
    whole = reopen(service).due(ids["root"])
    reopen(service).due(ids["root"], limit=3)  # the parts' due dates made (due.json)
    fresh = reopen(service)
    read: list[int] = []
    parts = fresh.store.parts
    file = parts.file
    monkeypatch.setattr(parts, "file", lambda pid: (read.append(pid), file(pid))[1])
    shown = fresh.due(ids["root"], limit=3)
    assert shown == whole[:3]
    assert sorted(read) == sorted({parts.located[i.candidate.id] for i in shown})  # once each, those only
    assert not parts.files  # a due list of the city held every part it read (hundreds of megabytes at metro scale)


@pytest.mark.usefixtures("many_parts")
def test_candidates_looked_for_in_another_part_are_found_where_the_index_says(city):
    service, ids = city
    whole = reopen(service).due(ids["root"])
    fresh = reopen(service)
    cand = whole[0].candidate
    other = next(w for w in ids["wards"] if w != fresh.state().part_of(cand.unit))
    assert fresh.store.candidates_in({cand.id: other}) == {}
    assert not fresh.store.parts.files
    held = fresh.store.candidates_in({cand.id: fresh.state().part_of(cand.unit)})
    assert held == {cand.id: cand}


@pytest.mark.usefixtures("many_parts")
def test_a_due_list_after_a_save_reads_that_part_again(city):
    service, ids = city
    first = reopen(service).due(ids["root"], limit=2)
    late = first[0].candidate
    service.exit(late.id, "Chuyển đi nơi khác")
    after = reopen(service).due(ids["root"], limit=2)
    assert late.id not in {i.candidate.id for i in after}
    assert after == reopen(service).due(ids["root"])[:2]


# -- a report above the grassroots units, from each part's report counts taken together -------------------
def test_a_report_of_the_top_reads_no_part_whose_totals_serve(city, monkeypatch):
    service, ids = city
    reopen(service).report(ids["root"], 2024)            # makes totals.json and reports2024.json
    fresh = reopen(service)
    read = summaries_read(fresh, monkeypatch)
    fresh.report(ids["root"], 2024)
    # as the top's figures: before, telling whether a district is a grassroots unit read its first ward's part
    assert set(read) == {ids["districts"][0], ids["wards"][0], ids["wards"][2], ids["wards"][4]}


@pytest.mark.parametrize("quarter", [None, 2, 4])
def test_a_report_from_the_parts_sums_is_the_report_of_every_branch(city, monkeypatch, quarter):
    service, ids = city
    fresh = reopen(service)
    found = fresh.report(ids["root"], 2024, quarter).to_json()
    assert (service.store.parts_dir / "reports2024.json").exists()
    reference = reopen(service)
    without_totals(reference, monkeypatch)
    assert found == reference.report(ids["root"], 2024, quarter).to_json()
    assert found["total"]["grassroots"] == WARDS
