"""Shell completion (tui/completion.py), through click's own machinery as a shell runs it (the _PTDV_COMPLETE
variable): commands and options, unit names and ids from the store, candidate ids with their names; nothing, and
no traceback, when there is no store to read."""
from __future__ import annotations

import re
import shlex

import pytest
from click.shell_completion import split_arg_string
from click.testing import CliRunner

from db.service import Service
from db.store import Store
from tui.cli import main

from conftest import TODAY, build_small, caller

CLEAN_ENV = {"PTDV_DB": None, "PTDV_LANG": None, "PTDV_DEBUG": None}


def complete(line: str, shell: str = "bash", env: dict | None = None) -> list[tuple[str, str]]:
    """What ptdv offers a shell for the last word of ``line`` (empty when it ends in a space): (value, help)
    pairs, the values as the shell puts them on the command line (bash: after its script's ``read``)."""
    words = split_arg_string(line) + ([""] if line.endswith(" ") else [])
    result = CliRunner().invoke(main, [], prog_name="ptdv", env={
        **CLEAN_ENV, "_PTDV_COMPLETE": f"{shell}_complete", "COMP_WORDS": line, "COMP_CWORD": str(len(words) - 1),
        **(env or {})})
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and result.stderr == ""
    lines = [line for line in result.stdout.splitlines() if line]
    if shell == "zsh":  # type, value, help: three lines each
        return [(lines[i + 1].replace("\\:", ":"), lines[i + 2]) for i in range(0, len(lines), 3)]
    return [(re.sub(r"\\(.)", r"\1", line.partition(",")[2]), "") for line in lines]


@pytest.fixture
def ids(small):
    return small[1]


def resolved(service: Service, values: list[str], bash: bool = False) -> list[int]:
    """The units the values offered for a UNIT name (``bash``: as bash leaves them on the command line)."""
    return [service.resolve_unit(shlex.split(value)[0] if bash else value).id for value in values]


def test_commands_and_options_complete(store_path):
    assert [v for v, _ in complete("ptdv cand")] == ["candidate"]
    assert "config" in [v for v, _ in complete("ptdv con")]
    assert "--depth" in [v for v, _ in complete("ptdv unit list --de")]
    assert [v for v, _ in complete("ptdv candidate advance 3 ver")] == ["verified"]  # a stage, by click's Choice


def test_a_partial_unit_name_completes_to_names_that_name_one_unit(small, store_path, ids):
    service = small[0]
    offered = [v for v, _ in complete(f"ptdv --db {store_path} unit list phuoc")]
    # escaped, as bash puts a completion on the line as it is; and what was typed, for bash to keep it
    assert offered == ["Đảng\\ ủy\\ phường\\ Phước\\ Mỹ", "Chi\\ bộ\\ Trường\\ THCS\\ Phước\\ Mỹ", "phuoc"]
    assert resolved(service, offered[:2], bash=True) == [ids["phuoc_my"], ids["pm2"]]
    assert [v for v, _ in complete(f"ptdv --db {store_path} unit list 'phuoc m")][:2] == [
        "Đảng ủy phường Phước Mỹ", "Chi bộ Trường THCS Phước Mỹ"]  # in quotes: as they are
    assert [v for v, _ in complete(f"ptdv --db {store_path} unit list an\\ hai\\ bac")] == [
        "Đảng\\ ủy\\ phường\\ An\\ Hải\\ Bắc"]  # one: bash puts it in place of what was typed


def test_units_of_one_name_complete_to_the_end_of_their_path(small, store_path, ids):
    service = small[0]
    offered = [v for v, _ in complete(f"ptdv --db {store_path} quota show 'khu dan cu so 1", shell="zsh")]
    assert sorted(resolved(service, offered)) == sorted([ids["pm1"], ids["ahb1"]])
    assert "Đảng ủy phường Phước Mỹ/Chi bộ khu dân cư số 1" in offered


def test_unit_ids_complete_with_the_path_as_help(small, store_path, ids):
    offered = complete(f"ptdv --db {store_path} unit rename 1", shell="zsh")
    assert offered and all(value.startswith("1") for value, _ in offered)
    assert (str(ids["city"]), "Đảng bộ thành phố Đà Nẵng") in offered


def test_unit_options_and_a_db_given_after_the_command_complete(small, store_path, ids):
    offered = complete(f"ptdv candidate add --db {store_path} --unit thach", shell="zsh")
    assert offered == [("Đảng ủy phường Thạch Thang",
                        "Đảng ủy cơ sở · Đảng bộ thành phố Đà Nẵng/Quận ủy Hải Châu/Đảng ủy phường Thạch Thang")]


def test_a_partial_candidate_id_completes_with_the_name_as_help(small, store_path, ids):
    cand = small[0].candidate(ids["cand1"])
    offered = complete(f"ptdv --db {store_path} candidate show {str(cand.id)[0]}", shell="zsh")
    assert all(value.startswith(str(cand.id)[0]) for value, _ in offered)
    assert str(cand.id) in [value for value, _ in offered]
    help_ = dict(offered)[str(cand.id)]
    assert help_.startswith("Nguyễn Văn An · ") and help_.endswith("Chi bộ khu dân cư số 1")


def test_a_candidates_name_completes_to_their_id(small, store_path, ids):
    offered = complete(f"ptdv --db {store_path} candidate advance binh", shell="zsh")
    assert [value for value, _ in offered] == [str(ids["cand2"])]
    assert offered[0][1].startswith("Trần Thị Bình")


def test_the_store_of_the_config_files_is_completed_from(small, config_files, ids):
    server_file = config_files[1]
    server_file.parent.mkdir(parents=True)
    server_file.write_text(f'db = "{small[0].store.path}"\n', encoding="utf-8")
    assert [v for v, _ in complete("ptdv due thach")] == ["Đảng\\ ủy\\ phường\\ Thạch\\ Thang"]


def test_without_a_store_nothing_is_offered_and_nothing_is_written(tmp_path):
    missing = tmp_path / "nowhere" / "ptdv.json"
    assert complete(f"ptdv --db {missing} unit list phuoc") == []
    assert complete(f"ptdv --db {missing} candidate show 1", shell="zsh") == []
    assert not missing.parent.exists()


def test_a_damaged_store_offers_nothing(store_path):
    store_path.write_text("{not json", encoding="utf-8")
    assert complete(f"ptdv --db {store_path} unit list phuoc") == []
    assert complete(f"ptdv --db {store_path} candidate show 1") == []


def test_someone_who_is_not_a_user_of_the_store_is_offered_no_names(store_path):
    build_small(Service(Store(store_path), caller=caller("canbo.tochuc"), today=TODAY))  # not the account running ptdv
    assert complete(f"ptdv --db {store_path} unit list phuoc") == []
    assert complete(f"ptdv --db {store_path} candidate show nguyen") == []
