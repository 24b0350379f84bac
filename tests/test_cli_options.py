"""The command line's own papercuts: --version, the group's options after the command, click's
refusals in the user's language, and --json that stays valid UTF-8 JSON (issue 10)."""
from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from importlib.metadata import version

import pytest
from click.testing import CliRunner

from db.i18n import t
from db.service import Service
from db.store import Store
from tui import output
from tui.cli import main

from conftest import TODAY

CLEAN_ENV = {"PTDV_DB": None, "PTDV_LANG": None, "PTDV_DEBUG": None}


def ptdv(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, list(args), obj={"today": TODAY}, env={**CLEAN_ENV, **(env or {})},
                              prog_name="ptdv")


def refused(result) -> str:
    """The error output of a command line click refused: exit 2, nothing on stdout, no traceback."""
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.stderr


def test_version_prints_the_installed_version():
    result = ptdv("--version")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"ptdv {version('ptdv')}\n"


# -- --db, --lang and --year after the command ---------------------------------------------------
def test_demo_takes_db_after_the_command_and_builds_the_store_there(tmp_path):
    path = tmp_path / "elsewhere" / "demo.json"
    result = ptdv("demo", "--scale", "ward", "--db", str(path))
    assert result.exit_code == 0, result.output
    assert str(path) in result.stdout
    assert Service(Store(path), today=TODAY).root().name


def test_lang_after_a_nested_command_gives_english(store_path, small):
    _, ids = small
    result = ptdv("--db", str(store_path), "quota", "show", str(ids["phuoc_my"]), "--year", "2024", "--lang", "en")
    assert result.exit_code == 0, result.output
    path = "Đảng bộ thành phố Đà Nẵng/Quận ủy Sơn Trà/Đảng ủy phường Phước Mỹ"
    assert t("cli.quota.title", "en", unit=path, year=2024) in result.stdout
    assert t("cli.quota.title", "vi", unit=path, year=2024) not in result.stdout


def test_options_after_the_command_beat_the_environment_and_the_options_before_it(store_path, small, tmp_path):
    _, ids = small
    other = tmp_path / "other.json"
    env = {"PTDV_DB": str(other), "PTDV_LANG": "en"}
    result = ptdv("--lang", "en", "candidate", "show", str(ids["cand1"]), "--db", str(store_path), "--lang", "vi",
                  env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"#{ids['cand1']} Nguyễn Văn An")
    assert t("field.unit", "vi") in result.stdout and t("field.unit", "en") not in result.stdout
    assert not other.exists()


def test_a_group_below_ptdv_takes_year_too(store_path, small):
    result = ptdv("--db", str(store_path), "unit", "--year", "2023", "list", "--json")
    assert result.exit_code == 0, result.output
    assert {row["year"] for row in json.loads(result.stdout)} == {2023}


@pytest.mark.parametrize("command", [["demo"], ["candidate", "show"], ["unit", "list"], ["backup", "list"],
                                     ["unit"], ["user", "add"]])
def test_every_command_lists_the_shared_options_in_its_help(command):
    result = ptdv(*command, "--help")
    assert result.exit_code == 0, result.output
    for option in ("--db FILE", "--lang [vi|en]", "--year YEAR"):
        assert option in result.stdout


# -- click's refusals in the user's language -----------------------------------------------------
def test_an_unknown_option_is_refused_in_vietnamese_by_default(store_path, small):
    err = refused(ptdv("--db", str(store_path), "candidate", "show", "1", "--bogus"))
    assert t("cli.usage.line", "vi", usage="ptdv candidate show [OPTIONS] ID") in err
    assert t("cli.usage.help", "vi", command="ptdv candidate show", option="--help") in err
    assert t("cli.error", "vi", message=t("cli.usage.no_such_option", "vi", command="ptdv candidate show",
                                          name="--bogus")) in err
    assert "No such option" not in err and "Usage:" not in err


@pytest.mark.parametrize("how", [{"args": ["--lang", "en"]}, {"env": {"PTDV_LANG": "en"}}])
def test_an_unknown_option_is_refused_in_english_when_asked(store_path, small, how):
    # --lang comes after the option click refuses: the language is known before the parsing ends
    err = refused(ptdv("--db", str(store_path), "candidate", "show", "1", "--jsn", *how.get("args", []),
                       env=how.get("env")))
    assert err.startswith("Usage: ptdv candidate show [OPTIONS] ID\n")
    reason = t("cli.usage.no_such_option", "en", command="ptdv candidate show", name="--jsn")
    assert f"Error: {reason} {t('cli.usage.did_you_mean', 'en', names='--json')}" in err


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_missing_argument_says_which_one(store_path, small, lang):
    err = refused(ptdv("--db", str(store_path), "candidate", "advance", "--lang", lang))
    assert t("cli.error", lang, message=t("cli.usage.missing_argument", lang, name="ID")) in err
    assert "Missing argument" not in err or lang == "en"


@pytest.mark.parametrize(("args", "key", "params"), [
    (["unit", "list", "--year", "abc"], "cli.usage.not_a_number", {"name": "--year", "value": "abc"}),
    (["unit", "list", "--depth", "-1"], "cli.usage.out_of_range",
     {"name": "--depth", "value": "-1", "range": ("cli.usage.range_min", {"min": 0})}),
    (["--lang", "fr", "due"], "cli.usage.not_a_choice", {"name": "--lang", "value": "fr", "choices": "vi, en"}),
    (["import", "no-such-file.csv"], "cli.usage.no_such_file", {"name": "FILE", "value": "no-such-file.csv"}),
    (["candidate", "add", "--name", "Đỗ Văn Mới"], "cli.usage.missing_option", {"name": "--unit"}),
    (["unit", "list", "--depth"], "cli.usage.needs_value", {"name": "--depth"}),
    (["due", "--json=yes"], "cli.usage.takes_no_value", {"name": "--json"}),
    (["unit", "rename", "5", "Chi", "bộ", "mới"], "cli.usage.extra", {"args": "bộ mới"}),
    (["unit"], None, None),
    (["unit", "--year", "2024"], "cli.usage.missing_command",
     {"commands": "add, close, list, members, merge, move, rename, split"}),
    (["unit", "lst"], "cli.usage.no_such_command", {"command": "ptdv unit", "name": "lst"}),
])
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_click_refusals_say_why_in_the_users_language(store_path, small, args, key, params, lang):
    err = refused(ptdv("--db", str(store_path), *args, env={"PTDV_LANG": lang}))
    if key is None:  # a group alone shows its help, as click does
        assert "Commands:" in err
        return
    params = {k: t(v[0], lang, **v[1]) if isinstance(v, tuple) else v for k, v in params.items()}
    assert t("cli.error", lang, message=t(key, lang, **params)) in err
    assert err.startswith(t("cli.usage.line", lang, usage=""))


def test_a_folder_given_as_the_store_is_refused_with_the_fix(tmp_path):
    err = refused(ptdv("due", "--db", str(tmp_path)))
    assert t("cli.usage.is_a_folder", "vi", name="--db", value=str(tmp_path)) in err


# -- --json -------------------------------------------------------------------------------------
def test_json_output_is_valid_indented_utf8_in_the_stores_order(store_path, small):
    result = ptdv("--db", str(store_path), "candidate", "list", "--all", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert "Phước" in result.stdout and "\\u" not in result.stdout
    assert result.stdout == json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    assert list(data[0])[:2] == ["id", "unit"]


def test_to_json_writes_dates_and_number_keys_as_the_standard_library_did():
    data = {"Phước Mỹ": [date(2024, 11, 15), None, 1.5, True], 7: {}, "empty": []}
    assert output.to_json(data) == json.dumps(data, ensure_ascii=False, indent=2, default=str)


# -- a command as a process of its own ----------------------------------------------------------
def ptdv_process(*args: str) -> subprocess.CompletedProcess:
    """``ptdv ARGS`` as the console script runs it (tui.cli.run), its output read through a pipe."""
    env = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    return subprocess.run([sys.executable, "-m", "tui.cli", *args], cwd=Path(__file__).parent.parent, env=env,
                          capture_output=True, text=True, timeout=60)


def test_a_command_as_a_process_ends_with_all_its_output_and_its_status(store_path, small):
    """The process ends at once after a command (tui.cli.run): what it wrote to a pipe is all there."""
    expected = ptdv("--db", str(store_path), "candidate", "list", "--all", "--json")
    done = ptdv_process("--db", str(store_path), "candidate", "list", "--all", "--json")
    assert done.returncode == 0, done.stderr
    assert [c["id"] for c in json.loads(done.stdout)] == [c["id"] for c in json.loads(expected.stdout)] != []
    missing = ptdv_process("--db", str(store_path), "candidate", "show", "99999")
    assert missing.returncode == 2 and missing.stdout == ""
    assert t("candidate.not_found", "vi", ref="99999") in missing.stderr and "Traceback" not in missing.stderr


def test_a_command_reads_without_the_cycle_collector_and_gives_it_back(store_path, small, monkeypatch):
    seen = []
    state = Service.state
    monkeypatch.setattr(Service, "state", lambda self, *a, **k: seen.append(gc.isenabled()) or state(self, *a, **k))
    assert gc.isenabled()
    result = ptdv("--db", str(store_path), "quota", "show", "#1")
    assert result.exit_code == 0, result.output
    assert seen and not any(seen)
    assert gc.isenabled()
