"""A store shared by several OS accounts stays shared (issue 10): setgid folders keep their bit, every file gets
the folder's group, a file that lost it is refused with the command that fixes it; no link, planted file or
world-writable folder makes ptdv write where it should not; only an admin replaces a store, and never deletes it;
"busy" names who is saving.

The tests marked ``accounts`` create real OS accounts and a group (they need root, as in CI) and run ptdv as
those accounts in forked processes."""
from __future__ import annotations

import grp
import os
import pickle
import pwd
import shutil
import signal
import stat
import subprocess
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from db.errors import PtdvError
from db.identity import current_user
from db.service import Service
from db.store import Store
from tui.cli import main

from conftest import TODAY, caller

CLEAN_ENV = {"PTDV_DB": None, "PTDV_LANG": None, "PTDV_DEBUG": None}


# -- running ptdv as another account, in a forked process -----------------------------------------------
def _become(account: str) -> None:
    pw = pwd.getpwnam(account)
    os.setgroups(os.getgrouplist(account, pw.pw_gid))
    os.setgid(pw.pw_gid)
    os.setuid(pw.pw_uid)
    os.umask(0o022)  # an ordinary login's umask: ptdv must not depend on a cautious one
    # the test's config files (conftest.config_files) are in root's folder, which an account cannot enter:
    # the account has none, as on a machine where neither file was written
    os.environ["XDG_CONFIG_HOME"] = os.path.join(pw.pw_dir, ".config-absent")
    os.environ["PTDV_SERVER_CONFIG"] = os.path.join(pw.pw_dir, "server-absent.toml")


def as_account(account: str | None, fn):
    """``fn()`` run in a child process (as ``account`` when given): ("ok", what it returned) or
    ("refused", key, English message) or ("crash", traceback)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.close(r)
            try:
                if account:
                    _become(account)
                try:
                    out = ("ok", fn())
                except PtdvError as err:
                    out = ("refused", err.key, err.message("en"))
            except BaseException:
                out = ("crash", traceback.format_exc())
            data = pickle.dumps(out)
            while data:
                data = data[os.write(w, data):]
        finally:
            os._exit(0)
    os.close(w)
    chunks = []
    while chunk := os.read(r, 65536):
        chunks.append(chunk)
    os.close(r)
    os.waitpid(pid, 0)
    return pickle.loads(b"".join(chunks))


def hold_the_lock(path: Path, account: str | None = None) -> int:
    """Another ptdv process (of ``account``) in the middle of a save, holding the store's lock; returns its pid."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.close(r)
            if account:
                _become(account)
            with Store(path)._locked():
                os.write(w, b"held")
                time.sleep(60)
        finally:
            os._exit(0)
    os.close(w)
    assert os.read(r, 4) == b"held"
    os.close(r)
    return pid


def stop(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


# -- real accounts ------------------------------------------------------------------------------------------
@dataclass
class Accounts:
    staff: str
    admin: str
    ward: str
    view: str

    @property
    def staff_gid(self) -> int:
        return grp.getgrnam(self.staff).gr_gid


@pytest.fixture(scope="module")
def accounts():
    """A group and three accounts in it, each with its own primary group (``useradd -U``), like staff who log in
    to one server."""
    if os.geteuid() != 0 or not shutil.which("useradd"):
        pytest.skip("needs root and useradd to make real accounts")
    tag = str(os.getpid() % 100000)
    made = Accounts(f"ptdvstaff{tag}", f"ptdvadmin{tag}", f"ptdvward{tag}", f"ptdvview{tag}")
    subprocess.run(["groupadd", made.staff], check=True)
    users = []
    try:
        for name in (made.admin, made.ward, made.view):
            subprocess.run(["useradd", "-M", "-U", "-G", made.staff, "-s", "/usr/sbin/nologin", name], check=True)
            users.append(name)
        yield made
    finally:
        for name in users:
            subprocess.run(["userdel", name], check=False)
        subprocess.run(["groupdel", made.staff], check=False)


@pytest.fixture
def shared(accounts):
    """The README's set-up: a folder of the staff group, mode 2770, the others able to reach it."""
    base = Path(tempfile.mkdtemp(prefix="ptdv-shared-"))
    try:
        os.chmod(base, 0o711)
        folder = base / "srv"
        folder.mkdir()
        os.chown(folder, 0, accounts.staff_gid)
        os.chmod(folder, 0o2770)
        yield folder
    finally:
        shutil.rmtree(base, ignore_errors=True)


def build(accounts: Accounts, path: Path) -> dict:
    """As the admin account: a store with a ward and a branch, the ward account its editor, the viewer."""
    def make():
        service = Service(Store(path), today=TODAY)
        root = service.init("Đảng bộ thành phố Đà Nẵng")
        ward = service.add_unit("Đảng ủy phường Phước Mỹ", root.id, "grassroots")
        branch = service.add_unit("Chi bộ khu dân cư số 1", ward.id, "branch")
        service.add_user(accounts.ward, ward.id, "editor")
        service.add_user(accounts.view, root.id, "viewer")
        return {"root": root.id, "ward": ward.id, "branch": branch.id}
    out = as_account(accounts.admin, make)
    assert out[0] == "ok", out
    return out[1]


def everything_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*"))


def test_a_save_by_an_account_of_another_primary_group_leaves_the_store_readable_by_the_group(accounts, shared):
    path = shared / "ptdv.json"
    ids = build(accounts, path)

    def add():
        return Service(Store(path), today=TODAY).add_candidate(ids["branch"], "Nguyễn Văn An").name
    assert as_account(accounts.ward, add) == ("ok", "Nguyễn Văn An")

    def read():
        return [c.name for c in Service(Store(path), today=TODAY).candidates(ids["branch"])]
    assert as_account(accounts.view, read) == ("ok", ["Nguyễn Văn An"])   # the viewer reads the ward's save
    assert as_account(accounts.admin, read) == ("ok", ["Nguyễn Văn An"])

    staff = accounts.staff_gid
    for item in everything_in(shared):
        st = item.lstat()
        assert (item, grp.getgrgid(st.st_gid).gr_name) == (item, accounts.staff)
        if stat.S_ISDIR(st.st_mode):
            assert stat.S_IMODE(st.st_mode) == 0o2770, item   # setgid kept on every folder ptdv made
        else:
            assert stat.S_IMODE(st.st_mode) == 0o660, item
        assert st.st_gid == staff

    # the viewer may take the lock (a write is refused by role, not by the files)
    def viewer_writes():
        return Service(Store(path), today=TODAY).add_candidate(ids["branch"], "Trần Thị Bình").name
    out = as_account(accounts.view, viewer_writes)
    assert out[0] == "refused" and out[1].startswith("access."), out


def test_a_file_that_lost_the_group_is_refused_naming_its_owner_and_the_command(accounts, shared):
    path = shared / "ptdv.json"
    ids = build(accounts, path)
    assert as_account(accounts.ward, lambda: Service(Store(path), today=TODAY).add_candidate(
        ids["branch"], "Nguyễn Văn An").id)[0] == "ok"
    part = next(p for p in (shared / "ptdv.parts").glob("p*.json") if not p.name.endswith((".sum.json", ".rep.json")))
    # what an earlier ptdv left after the ward account's save: its own account and primary group
    os.chown(part, pwd.getpwnam(accounts.ward).pw_uid, grp.getgrnam(accounts.ward).gr_gid)

    def read(account=None):
        return [c.name for c in Service(Store(path), caller=caller(account) if account else None,
                                        today=TODAY).candidates(ids["branch"])]
    for reader, account in ((accounts.view, None), (accounts.ward, None), (None, accounts.admin)):  # ... and root
        out = as_account(reader, lambda: read(account))
        assert out[:2] == ("refused", "store.not_shared"), out
        message = out[2]
        assert str(part) in message and accounts.ward in message
        assert f"group {accounts.ward}" in message and accounts.staff in message
        assert f"chgrp {accounts.staff} {part} && chmod 660 {part}" in message
    subprocess.run(["chgrp", accounts.staff, str(part)], check=True)   # the command, run by root
    subprocess.run(["chmod", "660", str(part)], check=True)
    assert as_account(accounts.view, read) == ("ok", ["Nguyễn Văn An"])

    os.chmod(path, 0o600)   # a catalogue only its owner may read, in the shared folder
    out = as_account(accounts.admin, read)
    assert out[:2] == ("refused", "store.not_shared")
    assert f"{accounts.admin} (group {accounts.staff}, mode 0600)" in out[2]
    assert f"chgrp {accounts.staff} {path} && chmod 660 {path}" in out[2]


def test_the_command_line_says_why_a_catalogue_of_another_group_cannot_be_read(accounts, shared):
    path = shared / "ptdv.json"
    build(accounts, path)
    # as a ptdv before this fix left it after the admin's second save: the admin's own primary group
    os.chown(path, pwd.getpwnam(accounts.admin).pw_uid, grp.getgrnam(accounts.admin).gr_gid)

    def unit_list():
        result = CliRunner().invoke(main, ["--db", str(path), "--lang", "en", "unit", "list"], obj={"today": TODAY},
                                    env=CLEAN_ENV)
        return result.exit_code, result.stderr
    out = as_account(accounts.view, unit_list)   # the viewer may not read the file: ptdv says why, and the fix
    assert out[0] == "ok", out
    status, stderr = out[1]
    assert status == 1 and "Traceback" not in stderr
    assert f"belongs to {accounts.admin} (group {accounts.admin}, mode 0660)" in stderr
    assert f"chgrp {accounts.staff} {path} && chmod 660 {path}" in stderr


def test_busy_names_the_account_and_the_process_saving(accounts, shared):
    path = shared / "ptdv.json"
    ids = build(accounts, path)
    holder = hold_the_lock(path, accounts.ward)
    try:
        def add():
            return Service(Store(path, lock_timeout=0.3), today=TODAY).add_candidate(ids["branch"], "Nguyễn Văn An")
        out = as_account(accounts.admin, add)
        assert out[:2] == ("refused", "store.locked_by"), out
        assert f"{accounts.ward} (process {holder}) is saving" in out[2]
    finally:
        stop(holder)
    assert as_account(accounts.admin, lambda: add().name) == ("ok", "Nguyễn Văn An")


# -- without other accounts ---------------------------------------------------------------------------------
def test_folders_made_in_a_setgid_folder_keep_the_setgid_bit(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir()
    os.chmod(folder, 0o2770)
    service = Service(Store(folder / "ptdv.json"), today=TODAY)
    root = service.init("Đảng bộ thử")
    branch = service.add_unit("Chi bộ 1", service.add_unit("Đảng ủy 1", root.id, "grassroots").id, "branch")
    service.add_candidate(branch.id, "Nguyễn Văn An")
    store = service.store
    for made in (store.parts_dir, store.pending_dir, store.backups_dir):
        assert stat.S_IMODE(made.stat().st_mode) == 0o2770, made


def test_busy_names_the_account_and_the_process_holding_the_lock(tmp_path):
    path = tmp_path / "ptdv.json"
    service = Service(Store(path), today=TODAY)
    root = service.init("Đảng bộ thử")
    holder = hold_the_lock(path)
    try:
        with pytest.raises(PtdvError) as err:
            Service(Store(path, lock_timeout=0.2), today=TODAY).add_unit("Chi bộ 1", root.id, "branch")
    finally:
        stop(holder)
    assert err.value.key == "store.locked_by"
    assert f"{current_user()} (process {holder})" in err.value.message("en")
    assert f"{current_user()} (tiến trình {holder})" in err.value.message("vi")
    Service(Store(path), today=TODAY).add_unit("Chi bộ 1", root.id, "branch")   # and after it, saves work


def test_a_link_planted_at_a_temporary_name_does_not_make_ptdv_write_another_file(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("someone else's file\n")
    victim.chmod(0o644)
    # the name the catalogue's first write went through, planted beforehand (in /tmp anyone could)
    (tmp_path / ".ptdv.json.tmp").symlink_to(victim)
    service = Service(Store(tmp_path / "ptdv.json"), today=TODAY)
    root = service.init("Đảng bộ thử")
    assert victim.read_text() == "someone else's file\n"
    assert stat.S_IMODE(victim.stat().st_mode) == 0o644
    assert not (tmp_path / "ptdv.json").is_symlink()
    # a cache written in place, replaced by a link between two saves: not written through either
    ward = service.add_unit("Đảng ủy 1", root.id, "grassroots")
    branch = service.add_unit("Chi bộ 1", ward.id, "branch")
    summary = service.store.parts_dir / f"p{ward.id}.sum.json"
    summary.unlink()
    summary.symlink_to(victim)
    service.add_candidate(branch.id, "Nguyễn Văn An")
    assert victim.read_text() == "someone else's file\n"
    assert [c.name for c in Service(Store(tmp_path / "ptdv.json"), today=TODAY).candidates(branch.id)] == \
        ["Nguyễn Văn An"]


def test_a_lock_file_that_is_a_link_is_refused_and_its_target_untouched(tmp_path):
    path = tmp_path / "ptdv.json"
    service = Service(Store(path), today=TODAY)
    root = service.init("Đảng bộ thử")
    victim = tmp_path / "victim.txt"
    victim.write_text("x")
    victim.chmod(0o644)
    service.store.lock_path.unlink()
    service.store.lock_path.symlink_to(victim)
    with pytest.raises(PtdvError) as err:
        Service(Store(path), today=TODAY).add_unit("Chi bộ 1", root.id, "branch")
    assert err.value.key == "store.symlink" and str(service.store.lock_path) in err.value.message("vi")
    assert stat.S_IMODE(victim.stat().st_mode) == 0o644 and victim.read_text() == "x"


def test_a_db_that_is_a_symbolic_link_is_refused(tmp_path):
    real = tmp_path / "real" / "ptdv.json"
    Service(Store(real), today=TODAY).init("Đảng bộ thử")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    before = real.read_bytes()
    for attempt in (lambda: Service(Store(link), today=TODAY).state(),
                    lambda: Service(Store(link), today=TODAY).add_unit("Chi bộ 1", "Đảng bộ thử", "branch")):
        with pytest.raises(PtdvError) as err:
            attempt()
        assert err.value.key == "store.symlink"
        assert str(link) in err.value.message("en") and str(real) in err.value.message("en")
    assert real.read_bytes() == before
    dangling = tmp_path / "new.json"
    dangling.symlink_to(tmp_path / "elsewhere.json")
    with pytest.raises(PtdvError) as err:
        Service(Store(dangling), today=TODAY).init("Đảng bộ khác")
    assert err.value.key == "store.symlink"
    assert not (tmp_path / "elsewhere.json").exists()


def test_a_store_in_a_world_writable_sticky_folder_is_refused(tmp_path):
    public = tmp_path / "public"
    public.mkdir()
    os.chmod(public, 0o1777)   # like /tmp
    with pytest.raises(PtdvError) as err:
        Service(Store(public / "ptdv.json"), today=TODAY).init("Đảng bộ thử")
    assert err.value.key == "store.open_folder"
    assert "1777" in err.value.message("en") and str(public) in err.value.message("vi")
    assert list(public.iterdir()) == []   # not even a lock file
    os.chmod(public, 0o700)
    Service(Store(public / "ptdv.json"), today=TODAY).init("Đảng bộ thử")
    os.chmod(public, 0o1777)   # made private, then opened to everyone
    with pytest.raises(PtdvError) as err:
        Service(Store(public / "ptdv.json"), today=TODAY).state()
    assert err.value.key == "store.open_folder"


# -- demo --force ------------------------------------------------------------------------------------------
def run(path: Path, *args: str):
    return CliRunner().invoke(main, ["--db", str(path), "--lang", "en", *args], obj={"today": TODAY}, env=CLEAN_ENV)


def test_demo_force_is_for_the_stores_admin_and_moves_the_old_store_aside(tmp_path):
    path = tmp_path / "ptdv.json"
    boss = Service(Store(path), caller=caller("boss"), today=TODAY)
    root = boss.init("Đảng bộ phường Phước Mỹ", level="grassroots")
    boss.add_unit("Chi bộ khu dân cư số 1", root.id, "branch")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}

    result = run(path, "demo", "--force", "--scale", "ward")   # by an account that is no user of the store
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "is not a user of this store" in result.stderr
    boss.add_user(current_user(), root.id, "editor")
    result = run(path, "demo", "--force", "--scale", "ward")   # by an editor
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}.keys() == before.keys()
    assert [u.name for u in Store(path).state().units.values()] == ["Đảng bộ phường Phước Mỹ", "Chi bộ khu dân cư số 1"]

    boss.add_user(current_user(), root.id, "admin")
    old_catalogue = path.read_bytes()
    old_log = boss.log()
    result = run(path, "demo", "--force", "--scale", "ward")
    assert result.exit_code == 0, result.output
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("ptdv.replaced-")]
    assert len(aside) == 1 and str(aside[0]) in result.stdout
    kept = aside[0]
    assert (kept / "ptdv.json").read_bytes() == old_catalogue
    assert {p.name for p in kept.iterdir()} >= {"ptdv.json", "ptdv.audit.jsonl", "ptdv.parts", "ptdv.backups"}
    old = Service(Store(kept / "ptdv.json"), caller=caller("boss"), today=TODAY)   # still a store, with its history
    assert [u.name for u in old.state().units.values()] == ["Đảng bộ phường Phước Mỹ", "Chi bộ khu dân cư số 1"]
    assert [e["seq"] for e in old.log()] == [e["seq"] for e in old_log]
    assert len(Store(path).state().units) > 2   # the demo took the old store's place
