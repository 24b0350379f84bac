"""Who may see and change what: roles, scopes, the users table, and their enforcement in the
service, the command line and the app."""
from __future__ import annotations

import ast
import json
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from db import access
from db.errors import PtdvError
from db.i18n import CATALOGUES, t
from db.identity import current_user
from db.service import Service
from db.store import Store
from tui.app import make_app
from tui.cli import main
from tui.screens.branch import BranchScreen
from tui.screens.candidate_form import CandidateForm
from tui.screens.unit import UnitScreen
from tui_pilot import notified, pilot_test, settle

from conftest import TODAY, build_small, caller

ME = current_user()
CLEAN_ENV = {"PTDV_DB": None, "PTDV_LANG": None, "PTDV_DEBUG": None}
PHUOC_MY = "Đảng ủy phường Phước Mỹ"
AN_HAI_BAC = "Đảng ủy phường An Hải Bắc"


def as_user(path: Path, account: str) -> Service:
    return Service(Store(path), caller=caller(account), today=TODAY)


@pytest.fixture
def boss_store(store_path):
    """The small store created by the account "boss" (its admin); ids of its units and candidates."""
    return build_small(as_user(store_path, "boss"))


def grant(path: Path, account: str, unit: int, role: str) -> Service:
    as_user(path, "boss").add_user(account, unit, role)
    return as_user(path, account)


def files(path: Path) -> dict[str, bytes]:
    """Every file of the store (catalogue, parts, audit trail), as someone listing the folder sees them."""
    return {str(p.relative_to(path.parent)): p.read_bytes() for p in sorted(path.parent.rglob("*"))
            if p.is_file() and not p.name.endswith(".lock")}


def run_cli(path: Path, *args: str, env: dict | None = None):
    return CliRunner().invoke(main, ["--db", str(path), *args], obj={"today": TODAY},
                              env={**CLEAN_ENV, **(env or {})})


def refused(result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and result.stdout == ""
    return result.stderr


# -- the rules, as plain functions ----------------------------------------------------------------
def test_the_role_matrix():
    assert [a for a in access.ACTIONS if access.role_allows("viewer", a)] == [access.READ]
    assert [a for a in access.ACTIONS if access.role_allows("editor", a)] == [access.READ, access.WRITE, access.QUOTA]
    assert all(access.role_allows("admin", a) for a in access.ACTIONS)
    assert not access.role_allows("owner", access.READ)


def test_a_unit_covers_its_subtree_and_nothing_else(small):
    service, ids = small
    state = service.state()
    mine = [ids["phuoc_my"]]
    assert all(access.covers(state, mine, ids[k]) for k in ("phuoc_my", "pm1", "pm2"))
    assert not any(access.covers(state, mine, ids[k]) for k in ("city", "son_tra", "an_hai_bac", "ahb1"))
    # the way down to one's unit is reachable (as totals), a sibling ward is not
    assert access.scope_under(state, mine, ids["son_tra"]) and not access.scope_under(state, mine, ids["an_hai_bac"])
    assert sorted(access.scope_under(state, mine, ids["city"])) == sorted([ids["phuoc_my"], ids["pm1"], ids["pm2"]])
    assert access.home(state, mine) == ids["phuoc_my"]
    for unit in ("city", "son_tra", "phuoc_my", "pm1", "an_hai_bac", "ahb1"):  # what opening a screen asks
        assert access.reaches(state, mine, ids[unit]) == bool(access.scope_under(state, mine, ids[unit])), unit
    assert access.home(state, [ids["pm1"], ids["ahb1"]]) == ids["son_tra"]  # above both
    assert access.home(state, [ids["pm1"], ids["tt1"]]) == ids["city"]


def test_opening_a_units_screen_is_checked_without_walking_the_tree_below_it(boss_store, store_path, monkeypatch):
    """At the top of a metro store the walk read every part's summary (3-4 s before the app's first paint)."""
    ids = boss_store
    bob = grant(store_path, "bob", ids["phuoc_my"], "editor")
    boss = as_user(store_path, "boss")
    monkeypatch.setattr("db.state.State.subtree", lambda *a, **k: pytest.fail("walked the tree"))
    for service in (boss, bob):
        service.check_open(ids["city"])  # the way down to one's ward opens
    bob.check_open(ids["pm1"])
    with pytest.raises(PtdvError) as err:
        bob.check_open(ids["an_hai_bac"])
    assert err.value.key == "access.no_role"


def test_every_access_message_is_in_both_catalogues_with_its_parameters():
    tree = ast.parse(Path(access.__file__).read_text())
    raised = [(call.args[0].value, {kw.arg for kw in call.keywords}) for call in ast.walk(tree)
              if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "AccessError"]
    assert {key for key, _ in raised} == {"access.unknown_user", "access.no_role", "access.denied"}
    for key, given in raised:
        for lang in ("vi", "en"):
            assert key in CATALOGUES[lang]
            t(key, lang, **{name: "x" for name in given})  # every placeholder is given
    for lang in ("vi", "en"):
        assert all(f"access.role.{r}" in CATALOGUES[lang] and f"access.a_role.{r}" in CATALOGUES[lang]
                   for r in access.ROLES)
        assert all(f"access.action.{a}" in CATALOGUES[lang] for a in access.ACTIONS)


# -- the users table ------------------------------------------------------------------------------
def test_the_creator_is_admin_of_the_top_unit(boss_store, store_path):
    boss = as_user(store_path, "boss")
    assert boss.whoami() == access.User("boss", "admin", (boss_store["city"],))
    assert boss.users() == [boss.whoami()]


def test_an_older_store_without_users_has_its_creator_as_admin(boss_store, store_path):
    data = orjson.loads(store_path.read_bytes())
    del data["users"]
    store_path.write_bytes(orjson.dumps(data))
    boss = as_user(store_path, "boss")
    assert boss.whoami() == access.User("boss", "admin", (boss_store["city"],))
    boss.set_quota(boss_store["phuoc_my"], 2024, target=5)
    with pytest.raises(PtdvError) as err:
        as_user(store_path, "mallory").root()
    assert err.value.key == "access.unknown_user"


def test_an_account_that_is_not_a_user_is_refused_naming_the_admin(boss_store, store_path):
    stranger = as_user(store_path, "mallory")
    for attempt in (stranger.root, lambda: stranger.figures(2024), lambda: stranger.candidate(boss_store["cand1"]),
                    lambda: stranger.advance(boss_store["cand2"])):
        with pytest.raises(PtdvError) as err:
            attempt()
        assert err.value.key == "access.unknown_user"
    message = err.value.message("en")
    assert "mallory" in message and "(boss)" in message and "ptdv user add mallory" in message


def test_adding_a_unit_adds_scope_and_the_role_is_the_last_one_given(boss_store, store_path):
    boss = as_user(store_path, "boss")
    boss.add_user("bob", boss_store["phuoc_my"], "viewer")
    bob = boss.add_user("bob", boss_store["an_hai_bac"], "editor")
    assert bob == access.User("bob", "editor", (boss_store["phuoc_my"], boss_store["an_hai_bac"]))
    assert as_user(store_path, "bob").whoami() == bob
    kept = boss.remove_user("bob", boss_store["phuoc_my"])
    assert kept == access.User("bob", "editor", (boss_store["an_hai_bac"],))
    assert boss.remove_user("bob") is None
    assert [u.account for u in boss.users()] == ["boss"]
    log = [(e["action"], e["target"], e["by"]) for e in boss.log() if e["action"].startswith("user.")]
    assert log == [("user.add", "user:bob", "boss")] * 2 + [("user.remove", "user:bob", "boss")] * 2


def test_the_last_admin_of_the_top_unit_stays(boss_store, store_path):
    boss = as_user(store_path, "boss")
    before = files(store_path)
    for attempt in (lambda: boss.remove_user("boss"), lambda: boss.add_user("boss", boss_store["city"], "editor")):
        with pytest.raises(PtdvError) as err:
            attempt()
        assert err.value.key == "access.last_admin"
    assert files(store_path) == before
    boss.add_user("carol", boss_store["city"], "admin")
    assert boss.remove_user("boss") is None  # another admin is there now
    assert [u.account for u in as_user(store_path, "carol").users()] == ["carol"]


def test_an_admin_of_a_ward_manages_users_of_that_ward_only(boss_store, store_path):
    ward_admin = grant(store_path, "anna", boss_store["phuoc_my"], "admin")
    ward_admin.add_user("bob", boss_store["pm1"], "editor")
    with pytest.raises(PtdvError) as err:
        ward_admin.add_user("bob", boss_store["an_hai_bac"], "editor")
    assert err.value.message("en").startswith(f"You (anna) have no role at {AN_HAI_BAC}")
    with pytest.raises(PtdvError) as err:
        ward_admin.remove_user("boss")
    assert err.value.key == "access.no_role"


def test_bad_accounts_and_roles_are_refused(boss_store, store_path):
    boss = as_user(store_path, "boss")
    for account, role, key in (("", "viewer", "access.bad_account"), ("bob smith", "viewer", "access.bad_account"),
                               ("bob\x1b", "viewer", "access.bad_account"), ("bob", "owner", "access.bad_role")):
        with pytest.raises(PtdvError) as err:
            boss.add_user(account, boss_store["city"], role)
        assert err.value.key == key
    with pytest.raises(PtdvError) as err:
        boss.remove_user("nobody")
    assert err.value.key == "access.not_a_user"


# -- enforcement in the service -------------------------------------------------------------------
def test_a_viewer_cannot_change_anything(boss_store, store_path):
    ids = boss_store
    viewer = grant(store_path, "vera", ids["phuoc_my"], "viewer")
    assert viewer.candidate(ids["cand1"]).name == "Nguyễn Văn An"  # reading is what a viewer does
    before = files(store_path)
    writes = (lambda: viewer.add_candidate(ids["pm1"], "Ngô Thị Mới"), lambda: viewer.advance(ids["cand2"]),
              lambda: viewer.edit(ids["cand2"], {"religion": "Không"}),
              lambda: viewer.exit(ids["cand2"], "chuyển nơi ở"), lambda: viewer.set_quota(ids["pm1"], 2024, target=2),
              lambda: viewer.set_members(ids["pm1"], 50, 2024), lambda: viewer.add_unit("Chi bộ mới", ids["phuoc_my"]),
              lambda: viewer.rename_unit(ids["pm1"], "Chi bộ số 1"), lambda: viewer.add_user("x", ids["pm1"], "viewer"))
    for write in writes:
        with pytest.raises(PtdvError) as err:
            write()
        assert err.value.key == "access.denied"
    assert files(store_path) == before
    assert err.value.message("en") == f"You (vera) are a viewer of {PHUOC_MY}: you may not manage users."
    with pytest.raises(PtdvError) as err:
        viewer.advance(ids["cand2"])
    assert err.value.message("vi") == (f"Bạn (vera) là người xem (viewer) của {PHUOC_MY}: "
                                       f"không được sửa hồ sơ quần chúng.")


def test_an_editor_changes_candidates_and_quotas_in_scope_but_not_units(boss_store, store_path):
    ids = boss_store
    editor = grant(store_path, "bob", ids["phuoc_my"], "editor")
    assert editor.advance(ids["cand2"]).stage == "verified"
    assert editor.set_quota(ids["pm1"], 2024, target=2).target == 2
    assert editor.add_candidate(ids["pm2"], "Ngô Thị Mới").unit == ids["pm2"]
    with pytest.raises(PtdvError) as err:
        editor.add_unit("Chi bộ mới", ids["phuoc_my"])
    assert err.value.message("en") == f"You (bob) are an editor of {PHUOC_MY}: you may not add or change units."
    with pytest.raises(PtdvError) as err:  # moving a candidate out of one's scope is a write elsewhere
        editor.move_candidate(ids["cand2"], ids["ahb1"])
    assert err.value.key == "access.no_role"


def test_an_editor_of_one_ward_cannot_read_another_wards_candidates(boss_store, store_path):
    ids = boss_store
    editor = grant(store_path, "bob", ids["phuoc_my"], "editor")
    for read in (lambda: editor.candidates(ids["an_hai_bac"]), lambda: editor.due(ids["ahb1"])):
        with pytest.raises(PtdvError) as err:
            read()
        assert err.value.message("en") == (f"You (bob) have no role at {err.value.params['unit']}, so you may not "
                                           f"{t('access.action.' + err.value.params['action'], 'en')}; "
                                           f"you cover: {PHUOC_MY}.")
    assert err.value.params["unit"] == f"{AN_HAI_BAC}/Chi bộ khu dân cư số 1"  # Phước Mỹ has one of that name
    for read in (lambda: editor.candidate(ids["cand4"]), lambda: editor.advance(ids["cand4"])):
        with pytest.raises(PtdvError) as err:  # a candidate asked by id: not where they are (ids tried one by one
            read()                              # would map the city), only that they are outside
        assert err.value.message("en") == f"Candidate #{ids['cand4']} is in a unit you do not cover."
        assert "An Hải" not in err.value.message("vi")
    mine = {ids["cand1"], ids["cand2"], ids["cand3"]}
    assert {c.id for c in editor.candidates()} == mine  # everywhere = everywhere one may look
    assert {c.id for c in editor.candidates(ids["son_tra"])} == mine
    assert {i.candidate.id for i in editor.due()} <= mine and editor.due()
    assert [h.id for h in editor.search_candidates("Phạm Thị Dung")] == []
    assert [h.id for h in as_user(store_path, "boss").search_candidates("Phạm Thị Dung")] == [ids["cand4"]]
    about = {e["target"] for e in editor.log() if e["target"].startswith("candidate:")}
    assert about == {f"candidate:{cid}" for cid in mine}
    # the figures of every unit stay readable: the other ward is seen as totals
    assert editor.figures(2024)[ids["an_hai_bac"]] == as_user(store_path, "boss").figures(2024)[ids["an_hai_bac"]]


# -- the command line -----------------------------------------------------------------------------
def test_cli_user_add_list_remove_and_the_last_admin(store_path):
    assert run_cli(store_path, "init", "--root", "Đảng bộ thành phố").exit_code == 0
    assert run_cli(store_path, "unit", "add", "Phường A", "--parent", "1").exit_code == 0
    added = run_cli(store_path, "--lang", "en", "user", "add", "bob", "--unit", "Phường A", "--role", "viewer")
    assert added.exit_code == 0, added.output
    assert added.stdout.strip() == "bob: viewer of Đảng bộ thành phố/Phường A."
    listed = json.loads(run_cli(store_path, "user", "list", "--json").stdout)
    assert listed == [{"account": "bob", "role": "viewer", "units": [{"id": 2, "path": "Đảng bộ thành phố/Phường A"}]},
                      {"account": ME, "role": "admin", "units": [{"id": 1, "path": "Đảng bộ thành phố"}]}]
    table = run_cli(store_path, "--lang", "en", "user", "list").stdout
    assert "bob" in table and ME in table and "Covers" in table
    err = refused(run_cli(store_path, "--lang", "en", "user", "remove", ME))
    assert t("access.last_admin", "en", unit="Đảng bộ thành phố") in err
    err = refused(run_cli(store_path, "--lang", "en", "user", "add", "eve", "--unit", "1", "--role", "owner"))
    assert t("access.bad_role", "en", role="owner", roles="viewer, editor, admin") in err
    removed = run_cli(store_path, "--lang", "en", "user", "remove", "bob")
    assert removed.stdout.strip() == t("cli.user.removed", "en", account="bob")
    assert [u.account for u in as_user(store_path, ME).users()] == [ME]
    entries = json.loads(run_cli(store_path, "log", "--json").stdout)
    assert [(e["action"], e["by"]) for e in entries if e["action"].startswith("user.")] == [
        ("user.add", ME), ("user.remove", ME)]


def test_cli_a_viewer_is_refused_and_the_store_is_unchanged(boss_store, store_path):
    grant(store_path, ME, boss_store["phuoc_my"], "viewer")  # the account running these tests
    before = files(store_path)
    for args in (("candidate", "advance", str(boss_store["cand2"])),
                 ("candidate", "edit", str(boss_store["cand2"]), "--religion", "Không"),
                 ("quota", "set", "phuong phuoc my", "--target", "9"),
                 ("user", "add", "eve", "--unit", "phuong phuoc my", "--role", "editor")):
        err = refused(run_cli(store_path, "--lang", "en", *args))
        assert f"You ({ME}) are a viewer of {PHUOC_MY}: you may not" in err
    assert files(store_path) == before
    assert run_cli(store_path, "candidate", "show", str(boss_store["cand2"])).exit_code == 0


def test_cli_an_editor_cannot_read_another_wards_candidates(boss_store, store_path):
    ids = boss_store
    grant(store_path, ME, ids["phuoc_my"], "editor")
    no_role = f"You ({ME}) have no role at {AN_HAI_BAC}"
    for args in (("candidate", "list", "phuong an hai bac"), ("due", "phuong an hai bac")):
        assert no_role in refused(run_cli(store_path, "--lang", "en", *args))
    said = refused(run_cli(store_path, "--lang", "en", "candidate", "show", str(ids["cand4"])))
    assert said == f"Error: Candidate #{ids['cand4']} is in a unit you do not cover.\n"  # not where
    listed = json.loads(run_cli(store_path, "candidate", "list", "--json").stdout)
    assert {c["id"] for c in listed} == {ids["cand1"], ids["cand2"], ids["cand3"]}
    assert json.loads(run_cli(store_path, "search", "Dung", "--json").stdout) == []
    found = json.loads(run_cli(store_path, "search", "binh", "--json").stdout)
    assert [h["id"] for h in found] == [ids["cand2"]]
    logged = json.loads(run_cli(store_path, "log", "--json").stdout)
    assert f"candidate:{ids['cand4']}" not in {e["target"] for e in logged}
    assert f"candidate:{ids['cand1']}" in {e["target"] for e in logged}
    shown = json.loads(run_cli(store_path, "unit", "list", "--json").stdout)  # totals of every unit
    # Phạm Thị Dung was admitted there on 09/09/2024 (her eighth stage): counted, though not readable
    assert next(u for u in shown if u["unit"] == ids["an_hai_bac"])["admitted"] == 1


def test_identity_is_the_os_account_never_user_or_logname(boss_store, store_path):
    impersonate = {"USER": "boss", "LOGNAME": "boss", "USERNAME": "boss"}
    err = refused(run_cli(store_path, "--lang", "en", "whoami", env=impersonate))
    assert t("access.unknown_user", "en", account=ME, admins="boss") in err
    before = files(store_path)
    refused(run_cli(store_path, "candidate", "advance", str(boss_store["cand2"]), env=impersonate))
    assert files(store_path) == before
    grant(store_path, ME, boss_store["pm1"], "editor")
    result = run_cli(store_path, "--lang", "en", "whoami", env=impersonate)
    assert result.stdout.strip() == f"{ME}: editor of Đảng bộ thành phố Đà Nẵng/Quận ủy Sơn Trà/{PHUOC_MY}/" \
                                    f"Chi bộ khu dân cư số 1."
    assert run_cli(store_path, "candidate", "advance", str(boss_store["cand2"]), env=impersonate).exit_code == 0
    assert as_user(store_path, "boss").log()[-1]["by"] == ME


# -- the app --------------------------------------------------------------------------------------
def stack_units(app) -> list[int]:
    return app.unit_path()


@pilot_test
async def test_app_opens_at_ones_ward_and_shows_other_wards_only_as_totals(boss_store, store_path):
    ids = boss_store
    bob = grant(store_path, "bob", ids["phuoc_my"], "editor")
    with pytest.raises(PtdvError) as err:
        make_app(bob, candidate_id=ids["cand4"])
    assert err.value.key == "access.candidate_outside"
    app = make_app(bob, lang="en", year=2024)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert stack_units(app) == [ids["city"], ids["son_tra"], ids["phuoc_my"]]
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, UnitScreen) and app.screen.unit_id == ids["son_tra"]
        table = app.screen.table
        row = [cell.plain for cell in table.get_row(str(ids["an_hai_bac"]))]
        columns = [c.key.value for c in table.ordered_columns]
        assert row[0].strip() == AN_HAI_BAC
        assert row[columns.index("admitted")].strip() == "1"  # its totals: Phạm Thị Dung, admitted in 2024
        table.move_cursor(row=table.visible_keys().index(str(ids["an_hai_bac"])))
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.unit_id == ids["son_tra"]  # not opened
        messages = notified(app)
        assert any(m.startswith(f"You (bob) have no role at {AN_HAI_BAC}") for m in messages)
        table.move_cursor(row=table.visible_keys().index(str(ids["phuoc_my"])))
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.unit_id == ids["phuoc_my"]  # one's own ward opens


@pilot_test
async def test_app_offers_no_change_keys_to_a_viewer(boss_store, store_path):
    ids = boss_store
    viewer = grant(store_path, "vera", ids["phuoc_my"], "viewer")
    as_user(store_path, "boss").add_user("bob", ids["phuoc_my"], "editor")
    for account, offered in ((viewer, False), (as_user(store_path, "bob"), True)):
        app = make_app(account, lang="en", year=2024, unit_id=ids["pm1"])
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, BranchScreen)
            keys = {b.binding.id for b in app.screen.active_bindings.values() if b.enabled}
            assert {"add", "edit", "advance"} <= keys if offered else not {"add", "edit", "advance"} & keys
            await pilot.press("a")
            await settle(pilot)
            assert isinstance(app.screen, CandidateForm) == offered


def test_check_is_for_those_who_may_read_the_whole_tree(tmp_path):
    from db.errors import PtdvError
    from db.service import Service
    from db.store import Store
    from conftest import TODAY, build_small

    path = tmp_path / "ptdv.json"
    admin = Service(Store(path), today=TODAY)
    ids = build_small(admin)
    admin.add_user("ward_editor", ids["phuoc_my"], "editor")
    assert admin.check() == []
    with pytest.raises(PtdvError) as err:
        Service(Store(path), caller=caller("ward_editor"), today=TODAY).check()
    assert err.value.key == "access.no_role"   # no role at the top unit, only at Phước Mỹ
