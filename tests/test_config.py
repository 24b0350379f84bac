"""Configuration files (tui/config.py): the server's and the user's config.toml give the store, the language and
the theme; an option or the environment wins over them, the user's file over the server's; `ptdv config` says
what is in force and where it comes from; a file that is wrong is said, naming the file and the key."""
from __future__ import annotations

import json
import stat

import pytest
from click.testing import CliRunner

from db.errors import PtdvError
from db.service import Service
from db.store import Store
from tui import config
from tui.cli import main

from conftest import TODAY, build_small

CLEAN_ENV = {"PTDV_DB": None, "PTDV_LANG": None, "PTDV_DEBUG": None}


def ptdv(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, list(args), prog_name="ptdv", obj={"today": TODAY},
                              env={**CLEAN_ENV, **(env or {})})


def write(path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def in_force(*args: str, env: dict | None = None) -> dict:
    result = ptdv("config", "--json", *args, env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def refused(result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and result.stdout == ""
    return result.stderr


# -- what is in force, and from where ---------------------------------------------------------------
def test_without_files_the_defaults_are_in_force(config_files, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    found = in_force()
    assert found["db"] == {"value": str(tmp_path / "data" / "ptdv" / "ptdv.json"), "source": "default", "from": None}
    assert found["lang"] == {"value": "vi", "source": "default", "from": None}
    assert found["theme"] == {"value": "textual-dark", "source": "default", "from": None}
    user_file, server_file = config_files
    assert found["files"] == {"user": {"path": str(user_file), "exists": False},
                              "server": {"path": str(server_file), "exists": False}}


def test_option_over_environment_over_user_file_over_server_file(config_files, tmp_path):
    user_file, server_file = config_files
    write(server_file, f'db = "{tmp_path}/server.json"\nlang = "en"\ntheme = "nord"\n')
    found = in_force()
    assert {k: (found[k]["value"], found[k]["source"], found[k]["from"]) for k in ("db", "lang", "theme")} == {
        "db": (f"{tmp_path}/server.json", "server", str(server_file)),
        "lang": ("en", "server", str(server_file)), "theme": ("nord", "server", str(server_file))}

    write(user_file, f'db = "{tmp_path}/mine.json"\nlang = "vi"\n')
    found = in_force()
    assert (found["db"]["value"], found["db"]["source"]) == (f"{tmp_path}/mine.json", "user")
    assert (found["lang"]["value"], found["lang"]["from"]) == ("vi", str(user_file))
    assert found["theme"]["source"] == "server"  # the user's file does not say: the server's does

    found = in_force(env={"PTDV_DB": str(tmp_path / "env.json"), "PTDV_LANG": "en"})
    assert (found["db"]["value"], found["db"]["source"], found["db"]["from"]) == (
        str(tmp_path / "env.json"), "env", "PTDV_DB")
    assert (found["lang"]["value"], found["lang"]["from"]) == ("en", "PTDV_LANG")

    result = ptdv("--db", str(tmp_path / "option.json"), "config", "--json", "--lang", "vi",
                  env={"PTDV_DB": str(tmp_path / "env.json"), "PTDV_LANG": "en"})
    found = json.loads(result.stdout)
    assert (found["db"]["value"], found["db"]["source"], found["db"]["from"]) == (
        str(tmp_path / "option.json"), "option", "--db")
    assert (found["lang"]["value"], found["lang"]["source"], found["lang"]["from"]) == ("vi", "option", "--lang")


def test_config_says_each_source_in_the_users_language(config_files, tmp_path):
    user_file, server_file = config_files
    write(server_file, f'db = "{tmp_path}/shared.json"\n')
    write(user_file, 'lang = "en"\n')
    result = ptdv("config")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["Key", "Value", "From"]
    assert [line.split()[0] for line in lines[2:5]] == ["db", "lang", "theme"]
    assert f"the server's config file {server_file}" in lines[2]
    assert f"your config file {user_file}" in lines[3]
    assert lines[4].endswith("ptdv's default")
    assert f"Your config file: {user_file}" in result.stdout
    assert f"The server's config file: {server_file}" in result.stdout and "(none)" not in result.stdout
    vi = ptdv("config", "--lang", "vi").stdout
    assert "tùy chọn --lang" in vi and f"tệp cấu hình của máy chủ {server_file}" in vi


# -- a shared server -----------------------------------------------------------------------------
def test_staff_on_a_configured_server_land_in_the_shared_store(config_files, tmp_path):
    shared = tmp_path / "shared" / "ptdv.json"
    shared.parent.mkdir()
    ids = build_small(Service(Store(shared), today=TODAY))
    write(config_files[1], f'db = "{shared}"\n')
    result = ptdv("unit", "list", "--json")  # no --db, no PTDV_DB
    assert result.exit_code == 0, result.output
    assert {row["unit"] for row in json.loads(result.stdout)} >= {ids["city"], ids["phuoc_my"], ids["pm1"]}


def test_a_configured_store_that_is_missing_is_said_not_filled_with_demo_data(config_files, tmp_path):
    missing = tmp_path / "shared" / "ptdv.json"
    missing.parent.mkdir()
    write(config_files[1], f'db = "{missing}"\n')
    err = refused(ptdv("open"))
    assert str(missing) in err
    assert list(missing.parent.iterdir()) == []


# -- files that are wrong -------------------------------------------------------------------------
@pytest.mark.parametrize("text, lang, expected", [
    ('lang = "vi"\ntheme nord\n', "vi", ["sai cú pháp TOML ở dòng 2, cột 7"]),
    ('lang = "vi"\ntheme nord\n', "en", ["is not valid TOML at line 2, column 7"]),
    ('colour = "blue"\n', "en", ['the key "colour"', "db, lang, theme"]),
    ('[ptdv]\nlang = "en"\n', "vi", ["khóa «ptdv»"]),
    ("lang = 3\n", "en", ["the key lang takes a text in quotes", 'lang = "vi"']),
    ('lang = "fr"\n', "vi", ["lang là «fr»", "vi, en"]),
    ('db = "ptdv.json"\n', "en", ['db "ptdv.json" must be a full path']),
])
def test_a_wrong_file_is_said_naming_the_file_and_the_key(config_files, text, lang, expected):
    user_file = config_files[0]
    write(user_file, text)
    err = refused(ptdv("--lang", lang, "unit", "list"))
    assert str(user_file) in err
    for part in expected:
        assert part in err


def test_a_file_that_is_not_utf8_is_said(config_files):
    server_file = config_files[1]
    server_file.parent.mkdir(parents=True)
    server_file.write_bytes('lang = "vi" # Hà Nam\n'.encode("cp1258"))  # what a Vietnamese Windows editor wrote
    err = refused(ptdv("config", "--lang", "en"))
    assert f"The config file {server_file} is not UTF-8 text." in err


def test_a_theme_the_app_does_not_have_is_said_by_config(config_files):
    write(config_files[0], 'theme = "sepia"\n')
    err = refused(ptdv("config", "--lang", "en"))
    assert f"{config_files[0]}: theme \"sepia\" is not a theme of the app" in err and "nord" in err


def test_a_mistyped_command_line_is_said_in_the_language_of_the_users_file(config_files):
    write(config_files[0], 'lang = "en"\n')
    result = ptdv("unit", "list", "--bogus")
    assert result.exit_code == 2
    assert "Error: 'ptdv unit list' has no option '--bogus'." in result.stderr


# -- writing the user's file ----------------------------------------------------------------------
def test_saving_makes_the_folder_and_a_private_file(config_files):
    user_file = config_files[0]
    assert config.save("theme", "nord") == user_file
    assert user_file.read_text(encoding="utf-8") == 'theme = "nord"\n'
    assert stat.S_IMODE(user_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(user_file.parent.stat().st_mode) == 0o700


def test_saving_keeps_the_other_keys_and_comments(config_files, tmp_path):
    user_file = config_files[0]
    write(user_file, f'# my settings\ndb = "{tmp_path}/x.json"\n  theme = "dracula"  # dark\nlang = "en"')
    config.save("theme", "gruvbox")
    assert user_file.read_text(encoding="utf-8") == (
        f'# my settings\ndb = "{tmp_path}/x.json"\ntheme = "gruvbox"\nlang = "en"')
    config.save("lang", "vi")
    assert config.read_file(user_file) == {"db": tmp_path / "x.json", "theme": "gruvbox", "lang": "vi"}


def test_a_wrong_file_is_not_overwritten(config_files):
    user_file = config_files[0]
    write(user_file, "theme = nord\n")
    with pytest.raises(PtdvError) as raised:
        config.save("theme", "gruvbox")
    assert raised.value.key == "config.bad_toml"
    assert user_file.read_text(encoding="utf-8") == "theme = nord\n"


def test_a_line_inside_a_value_that_looks_like_the_key_is_not_replaced(config_files):
    user_file = config_files[0]
    text = 'db = """/srv/ptdv\ntheme = x.json"""\n'
    write(user_file, text)
    with pytest.raises(PtdvError) as raised:
        config.save("theme", "nord")
    assert raised.value.key == "config.cannot_update"
    assert user_file.read_text(encoding="utf-8") == text
