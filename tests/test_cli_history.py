"""The command line reads every year in its own tree (docs/HISTORY.md, issue 11): `unit list --year` lists the
units of that year with what each came from and became, `quota show` of a unit that ended says so and shows its
last year, a name shared by an old and a new unit names the one of the year.  The history is written as the
records say it (``merge_wards``: Phước Mỹ and An Hải Bắc became phường An Hải on 01/08/2024; today 15/11/2024)."""
from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner

from db.model import Unit
from db.service import Service
from db.store import Store
from tui.cli import main

from conftest import TODAY
from test_history_figures import merge_wards

CLEAN_ENV = {"PTDV_DB": None, "PTDV_LANG": None, "PTDV_DEBUG": None}


@pytest.fixture
def run(store_path):
    def invoke(*args: str):
        return CliRunner().invoke(main, ["--db", str(store_path), *args], obj={"today": TODAY}, env=CLEAN_ENV)
    return invoke


@pytest.fixture
def ids(small):
    service, ids = small
    ids["an_hai"] = merge_wards(service, ids)
    return ids


def listed(output: str) -> list[str]:
    """The unit names of a `unit list` table, without their indent."""
    lines = output.splitlines()
    table = lines[3:lines.index("") if "" in lines else None]
    return [line[4:37].strip() for line in table]


def test_unit_list_of_a_year_before_the_merge_has_the_old_wards_and_says_what_they_became(run, ids):
    result = run("--year", "2023", "unit", "list")
    assert result.exit_code == 0, result.output
    names = listed(result.output)
    assert "Đảng ủy phường Phước Mỹ" in names and "Đảng ủy phường An Hải Bắc" in names
    assert "Đảng ủy phường An Hải" not in names
    assert result.output.splitlines()[0] == "Năm 2023"
    assert ("  #4 Đảng ủy phường Phước Mỹ: Đã hợp nhất vào #12 Đảng ủy phường An Hải từ 01/08/2024"
            in result.output.splitlines())


def test_unit_list_of_the_year_after_has_the_successor_with_its_predecessors(run, ids):
    result = run("--year", "2024", "unit", "list")
    names = listed(result.output)
    assert "Đảng ủy phường An Hải" in names and "Đảng ủy phường Phước Mỹ" not in names
    assert names.count("Chi bộ khu dân cư số 1") == 2       # Phước Mỹ's and An Hải Bắc's, under An Hải now
    assert ("  #12 Đảng ủy phường An Hải: Hợp nhất từ: #4 Đảng ủy phường Phước Mỹ, #5 Đảng ủy phường An Hải Bắc "
            "(01/08/2024)") in result.output.splitlines()


def test_unit_list_json_carries_each_units_period_and_links(run, ids):
    old = {row["unit"]: row for row in json.loads(run("--year", "2023", "unit", "list", "--json").stdout)}
    new = {row["unit"]: row for row in json.loads(run("--year", "2024", "unit", "list", "--json").stdout)}
    assert (old[ids["phuoc_my"]]["ended"], old[ids["phuoc_my"]]["end"], old[ids["phuoc_my"]]["successors"]) == \
        ("2024-08-01", "merged", [ids["an_hai"]])
    assert old[ids["pm1"]]["parent"] == ids["phuoc_my"] and new[ids["pm1"]]["parent"] == ids["an_hai"]
    assert new[ids["an_hai"]]["began"] == "2024-08-01"
    assert new[ids["an_hai"]]["predecessors"] == [ids["phuoc_my"], ids["an_hai_bac"]]
    assert ids["phuoc_my"] not in new and ids["an_hai"] not in old
    assert new[ids["city"]]["began"] is None and new[ids["city"]]["successors"] == []


def test_quota_show_of_a_unit_that_ended_before_the_year_shows_its_last_year_and_says_so(run, ids):
    result = run("--year", "2025", "quota", "show", "Đảng ủy phường Phước Mỹ")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].endswith("Đảng ủy phường Phước Mỹ — chỉ tiêu kết nạp năm 2024")
    assert lines[1] == "  Đã hợp nhất vào #12 Đảng ủy phường An Hải từ 01/08/2024"
    assert lines[2] == "  Không còn trong năm 2025: số liệu năm 2024, năm cuối của đơn vị (đến 31/07/2024)"
    assert "1 [" in result.output and "25,0% kế hoạch" in result.output   # 1 admitted of its 4, up to 31/07
    doc = json.loads(run("--lang", "en", "--year", "2025", "quota", "show", "dang uy phuong phuoc my",
                         "--json").stdout)
    assert (doc["year"], doc["asked_year"], doc["admitted"], doc["target"]) == (2024, 2025, 1, 4)
    assert (doc["ended"], doc["end"], doc["successors"]) == ("2024-08-01", "merged", [ids["an_hai"]])
    assert {kid["unit"] for kid in doc["children"]} == {ids["pm1"], ids["pm2"]}   # its branches on its last day


def test_quota_show_of_a_successor_names_its_predecessors_and_a_year_before_it_began(run, ids):
    lines = run("--lang", "en", "--year", "2023", "quota", "show", "an hai").stdout.splitlines()
    assert lines[1] == "  Merged from: #4 Đảng ủy phường Phước Mỹ, #5 Đảng ủy phường An Hải Bắc (01/08/2024)"
    assert lines[2] == "  Did not exist in 2023: began on 01/08/2024"
    shown = run("--year", "2024", "quota", "show", "an hai").stdout
    assert "Đảng ủy phường An Hải — chỉ tiêu kết nạp năm 2024" in shown
    assert "Lịch sử:" not in shown                              # its branches have no history of their own


def test_a_name_of_an_old_and_a_new_unit_names_the_one_of_the_year(run, ids, store_path):
    service = Service(Store(store_path), today=TODAY)
    with service.store.transaction() as tx:  # a new ward of the old one's name, from 01/09/2024
        again = tx.new_unit_id()
        ward = Unit(again, "Đảng ủy phường Phước Mỹ", "grassroots", ids["son_tra"], began=date(2024, 9, 1))
        tx.put_unit(ward)
        tx.audit("unit.add", f"unit:{again}", again, None, ward.to_doc())
    now = json.loads(run("--year", "2024", "quota", "show", "Đảng ủy phường Phước Mỹ", "--json").stdout)
    before = json.loads(run("--year", "2023", "quota", "show", "Đảng ủy phường Phước Mỹ", "--json").stdout)
    assert now["unit"] == again and before["unit"] == ids["phuoc_my"]
    # two units of the name existing in the same year are still listed, not guessed
    service.add_unit("Đảng ủy phường Phước Mỹ", ids["hai_chau"], "grassroots")
    result = run("--year", "2024", "quota", "show", "Đảng ủy phường Phước Mỹ")
    assert result.exit_code == 2 and f"#{again} " in result.output and f"#{ids['phuoc_my']} " not in result.output
