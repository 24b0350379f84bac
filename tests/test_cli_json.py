"""--json on the commands that write: one JSON object on stdout saying what was written, with the store's ids,
so that a script can go on from it."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from db.service import Service
from db.store import Store
from tui.cli import main

from conftest import TODAY, receive_papers

CLEAN_ENV = {"PTDV_DB": None, "PTDV_LANG": None, "PTDV_DEBUG": None}


@pytest.fixture
def written(store_path):
    """``written(*args)``: the JSON object ptdv printed for a command on the test's store, with --json."""
    def invoke(*args: str) -> dict:
        result = CliRunner().invoke(main, ["--db", str(store_path), *args, "--json"], obj={"today": TODAY},
                                    env=CLEAN_ENV)
        assert result.exit_code == 0, result.output
        found = json.loads(result.stdout)
        assert isinstance(found, dict)
        return found
    return invoke


@pytest.fixture
def ids(small):
    return small[1]


@pytest.fixture
def reread(store_path):
    """``reread()``: a fresh service over the test's store, to see what the command left in it."""
    return lambda store=store_path: Service(Store(store), today=TODAY)


@pytest.mark.embedded  # demo --force: only the service's administrator replaces a served store
def test_init_and_demo(written, store_path, tmp_path, reread):
    made = written("init", "--root", "Đảng bộ phường Hải Châu", "--members", "900")
    root = reread().root()
    assert (made["id"], made["name"], made["members"], made["path"]) == (root.id, root.name, {"2024": 900},
                                                                         str(store_path))
    demo = tmp_path / "demo" / "ptdv.json"
    demo.parent.mkdir()
    built = written("demo", "--scale", "ward", "--db", str(demo))
    state = reread(demo).state()
    assert built["path"] == str(demo) and built["units"] == len(state.units) > 1 and built["moved_aside"] is None
    again = written("demo", "--scale", "ward", "--seed", "7", "--force", "--db", str(demo))
    assert (Path(again["moved_aside"]) / "ptdv.json").is_file() and again["units"] == len(reread(demo).state().units)


def test_units(written, ids, reread):
    added = written("unit", "add", "Chi bộ Tổ dân phố Một", "--parent", str(ids["phuoc_my"]), "--members", "12")
    state = reread().state()
    assert state.units[added["id"]].name == "Chi bộ Tổ dân phố Một" == added["name"]
    assert added["parent"] == ids["phuoc_my"] and added["level"] == "branch" and added["members"] == {"2024": 12}
    assert added["path"] == state.path(added["id"])

    renamed = written("unit", "rename", str(added["id"]), "Chi bộ Tổ dân phố Hai")
    assert renamed["id"] == added["id"]
    assert reread().state().units[added["id"]].name == renamed["name"] == "Chi bộ Tổ dân phố Hai"

    members = written("unit", "members", str(ids["phuoc_my"]), "480")
    assert members == {"id": ids["phuoc_my"], "year": 2024, "members": 480}
    assert reread().state().units[ids["phuoc_my"]].members[2024] == 480


def test_quota_set(written, ids, reread):
    saved = written("quota", "set", "thach thang", "--rate", "4%")
    fig = reread().unit_figures(ids["thach_thang"], 2024)
    assert (saved["unit"], saved["year"], saved["target"], saved["rate"]) == (ids["thach_thang"], 2024, None, 4.0)
    assert (saved["members"], saved["target_count"]) == (fig.members, fig.target)


def test_candidate_add_advance_edit_exit(written, ids, reread):
    added = written("candidate", "add", "--unit", str(ids["pm2"]), "--name", "Đặng Thị Hoa", "--born", "02/03/1999",
                    "--gender", "female", "--date", "01/10/2024")
    cand = reread().candidate(added["id"])
    assert (cand.name, cand.unit) == (added["name"], added["unit"]) == ("Đặng Thị Hoa", ids["pm2"])
    assert added["history"] == [{**added["history"][0], "stage": "source", "date": "2024-10-01"}]

    stepped = written("candidate", "advance", str(cand.id), "--date", "01/11/2024")
    assert (stepped["id"], stepped["entry"]["stage"], stepped["entry"]["date"]) == (cand.id, "class", "2024-11-01")
    assert reread().candidate(cand.id).stage == "class"
    assert stepped["outside_rules"] == []

    edited = written("candidate", "edit", str(cand.id), "--residence", "Tổ 5, Phước Mỹ", "--tag", "intellectual")
    assert edited == {"id": cand.id, "name": "Đặng Thị Hoa",
                      "changed": {"residence": "Tổ 5, Phước Mỹ", "tags": ["intellectual"]}}
    assert reread().candidate(cand.id).residence == "Tổ 5, Phước Mỹ"

    left = written("candidate", "exit", str(cand.id), "--reason", "Chuyển công tác", "--date", "10/11/2024")
    assert left["id"] == cand.id and left["exit"]["kind"] == "withdrawn" and left["exit"]["date"] == "2024-11-10"
    assert reread().candidate(cand.id).exit.reason == left["exit"]["reason"] == "Chuyển công tác"


def test_candidate_papers(written, ids, reread):
    cid = ids["cand2"]  # at the class: the dossier comes next
    got = written("candidate", "paper", str(cid), "ly lich", "--date", "12/11/2024", "--note", "bản gốc")
    assert got["id"] == cid and got["received"]["kind"] == "biography" and got["received"]["note"] == "bản gốc"
    assert got["dossier"]["complete"] is False
    assert [p.kind for p in reread().candidate(cid).papers] == ["biography"]
    taken = written("candidate", "paper", str(cid), "biography", "--remove", "1")
    assert taken["removed"] == got["received"]
    assert reread().candidate(cid).papers == ()


def test_a_step_outside_a_soft_rule_says_so(written, ids, reread):
    service = reread()
    cid = service.add_candidate(ids["pm2"], "Lý Văn Tư", born="01/01/1995", date_="01/01/2024",
                                introducers=["Ngô Văn Hai"]).id  # one introducer: the branch needs two
    for stage, day in (("class", "01/02/2024"), ("dossier", "01/03/2024"), ("verified", "01/04/2024")):
        service.advance(cid, stage, day)
    receive_papers(service, cid, "01/04/2024", vote="02/05/2024")
    stepped = written("candidate", "advance", str(cid), "--date", "02/05/2024")
    assert stepped["entry"]["stage"] == "branch"
    assert [b["rule"] for b in stepped["outside_rules"]] == ["introducers"] == [
        b.rule for b in reread().candidate(cid).history[-1].breaches]


def test_users(written, ids, reread):
    added = written("user", "add", "canbo.pm", "--unit", str(ids["phuoc_my"]), "--role", "editor")
    assert added == {"account": "canbo.pm", "role": "editor", "units": [ids["phuoc_my"]]}
    assert [u.account for u in reread().users()].count("canbo.pm") == 1
    removed = written("user", "remove", "canbo.pm")
    assert removed == {"account": "canbo.pm", "removed": True, "kept": None}
    assert "canbo.pm" not in [u.account for u in reread().users()]


def test_calendar(written, small, reread):
    added = written("calendar", "add", "16/12/2024", "--day-off", "--source", "Thông báo 1/TB ngày 01/12/2024",
                    "--label", "Nghỉ thêm")
    assert added["added"]["date"] == "2024-12-16" and added["added"]["kind"] == "day_off"
    row = next(r for r in reread().calendar(2024) if r.entry.day.isoformat() == "2024-12-16")
    assert row.origin == "added" and row.entry.source == added["added"]["source"]
    removed = written("calendar", "remove", "16/12/2024")
    assert removed["removed"]["date"] == "2024-12-16"
    assert all(r.entry.day.isoformat() != "2024-12-16" or r.origin != "added" for r in reread().calendar(2024))


def test_restore(written, small, reread):
    current, before = [v["version"] for v in reread().backups()[:2]]  # the newest and the one before
    assert written("restore", str(before)) == {"from": current, "to": before}
    assert reread().log()[-1]["action"] == "store.restore"


def test_templates(written, store_path, small, tmp_path, reread):
    from db import documents

    out = tmp_path / "9.docx"
    result = CliRunner().invoke(main, ["--db", str(store_path), "template", "get", "9-KND", "-o", str(out)],
                                obj={"today": TODAY}, env=CLEAN_ENV)
    assert result.exit_code == 0, result.output
    made = written("template", "set", "9-KND", str(out))
    [info] = [i for i in documents.templates(reread()) if i.form == made["form"]]
    assert (made["form"], made["sha256"], info.source) == ("9-KNĐ", info.sha256, "store")
    assert written("template", "reset", "9-KND") == {"form": "9-KNĐ", "reset": True}
