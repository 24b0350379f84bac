"""The ptdv service under systemd (issue 15 item 4): the units, and ``ptdv install-service``, which installs them.

The units pass ``systemd-analyze verify`` and its offline security review.  The command's tests run as root (as in
CI) with a real staff group, and the service account the command makes; both are removed after, whatever happens.
Their folders are made under /var/lib, not under /tmp: the service's sandbox gives it a /tmp of its own, and the
command refuses a store, a sink or a program there."""
from __future__ import annotations

import grp
import os
import pickle
import pwd
import shutil
import stat
import subprocess
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pytest
from click.testing import CliRunner

import tui.install_service as installer
from db.errors import PtdvError
from db.i18n import t
from db.service import Service
from db.store import Store
from db.systemd_units import Installation, hidden_by, units
from tui.cli import main

from conftest import TODAY
from test_shared_store import as_account, hold_the_lock, stop

CLEAN_ENV = {"PTDV_DB": None, "PTDV_LANG": None, "PTDV_DEBUG": None}
as_root = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("useradd"),
                             reason="needs root and useradd (CI runs as root)")


def fake_program(path: Path) -> Path:
    """An executable file where the units' ExecStart names ptdv."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


def sections(text: str) -> dict[str, dict[str, list[str]]]:
    """A unit file as systemd reads it: each section's keys, with every value given (in order)."""
    found: dict[str, dict[str, list[str]]] = {}
    section = None
    for line in text.splitlines():
        if line.startswith("[") and line.endswith("]"):
            section = found.setdefault(line[1:-1], {})
        elif line and not line.startswith("#"):
            key, _, value = line.partition("=")
            section.setdefault(key, []).append(value)
    return found


# -- the units ------------------------------------------------------------------------------------------------
@pytest.fixture
def written_units(tmp_path) -> tuple[Path, Installation]:
    inst = Installation(PurePosixPath(fake_program(tmp_path / "bin" / "ptdv")), PurePosixPath("/var/lib/ptdv/ptdv.json"),
                        PurePosixPath("/run/ptdv/ptdv.sock"), "ptdvstaff", "ptdv",
                        PurePosixPath("/var/log/ptdv/audit.jsonl"))
    folder = tmp_path / "units"
    folder.mkdir()
    for name, text in units(inst).items():
        (folder / name).write_text(text)
    return folder, inst


needs_systemd_analyze = pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="needs systemd-analyze")


@needs_systemd_analyze
def test_the_units_pass_systemd_analyze_verify(written_units):
    folder, _ = written_units
    done = subprocess.run(["systemd-analyze", "verify", "ptdv.socket", "ptdv.service"], cwd=folder,
                          capture_output=True, text=True)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")   # not a warning, not an unknown key

    service = folder / "ptdv.service"   # and the check sees what is wrong: a misspelt value is said
    service.write_text(service.read_text().replace("ProtectSystem=strict", "ProtectSystem=strikt"))
    done = subprocess.run(["systemd-analyze", "verify", "ptdv.service"], cwd=folder, capture_output=True, text=True)
    assert "strikt" in done.stderr


@needs_systemd_analyze
def test_systemd_analyze_security_rates_the_service_exposure_at_most_2(written_units):
    folder, _ = written_units
    done = subprocess.run(["systemd-analyze", "security", "--offline=yes", "--threshold=20", "ptdv.service"],
                          cwd=folder, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-400:] + done.stderr


def test_the_units_listen_for_the_staff_and_run_the_service_in_a_sandbox_with_the_store_and_sink_writable(
        written_units):
    folder, inst = written_units
    socket = sections((folder / "ptdv.socket").read_text())["Socket"]
    assert {key: socket[key] for key in ("ListenStream", "SocketUser", "SocketGroup", "SocketMode")} == \
        {"ListenStream": ["/run/ptdv/ptdv.sock"], "SocketUser": ["ptdv"], "SocketGroup": ["ptdvstaff"],
         "SocketMode": ["0660"]}
    assert socket["RemoveOnStop"] == ["yes"]  # a stopped socket leaves no file: "the service is not running"
    unit = sections((folder / "ptdv.service").read_text())
    assert unit["Unit"]["Requires"] == ["ptdv.socket"]
    # a service that cannot start is given up after five tries in a minute, so clients are not left waiting
    assert (unit["Unit"]["StartLimitIntervalSec"], unit["Unit"]["StartLimitBurst"]) == (["60"], ["5"])
    service = unit["Service"]
    assert service["User"] == ["ptdv"]
    assert service["ExecStart"] == [f"{inst.ptdv} serve --db /var/lib/ptdv/ptdv.json --socket /run/ptdv/ptdv.sock "
                                    "--group ptdvstaff --audit-sink /var/log/ptdv/audit.jsonl"]
    assert service["Restart"] == ["on-failure"]
    assert service["ReadWritePaths"] == ["/var/lib/ptdv /var/log/ptdv"]
    assert {key: service[key] for key in ("ProtectSystem", "NoNewPrivileges", "PrivateTmp", "ProtectHome",
                                          "PrivateDevices", "RestrictAddressFamilies", "UMask",
                                          "CapabilityBoundingSet")} == \
        {"ProtectSystem": ["strict"], "NoNewPrivileges": ["yes"], "PrivateTmp": ["yes"], "ProtectHome": ["yes"],
         "PrivateDevices": ["yes"], "RestrictAddressFamilies": ["AF_UNIX"], "UMask": ["0077"],
         "CapabilityBoundingSet": [""]}
    assert "PrivateUsers" not in service   # in a user namespace of its own, the service would see every caller's
    #                                        uid as "nobody" (SO_PEERCRED)


@pytest.mark.parametrize("path, option", [("/home/an/.local/pipx/venvs/ptdv/bin/ptdv", "ProtectHome"),
                                          ("/root/.pyenv/versions/3.11.7/bin/python3.11", "ProtectHome"),
                                          ("/run/user/1000/ptdv", "ProtectHome"), ("/tmp/ptdv", "PrivateTmp"),
                                          ("/var/tmp/x/ptdv.json", "PrivateTmp"), ("/opt/pipx/venvs/ptdv", None),
                                          ("/var/lib/ptdv", None), ("/homework/ptdv", None)])
def test_the_sandbox_hides_home_folders_and_tmp(path, option):
    assert hidden_by(PurePosixPath(path)) == option


@pytest.mark.parametrize("store, staff, key", [("/srv/my store/ptdv.json", "ptdvstaff", "install.bad_path"),
                                               ("/srv/100%/ptdv.json", "ptdvstaff", "install.bad_path"),
                                               ("srv/ptdv.json", "ptdvstaff", "install.bad_path"),
                                               ("/srv/ptdv/ptdv.json", "staff group", "install.bad_name")])
def test_what_systemd_would_read_as_something_else_is_refused(store, staff, key):
    with pytest.raises(PtdvError) as err:
        Installation(PurePosixPath("/usr/local/bin/ptdv"), PurePosixPath(store), PurePosixPath("/run/ptdv/ptdv.sock"),
                     staff, "ptdv", PurePosixPath("/var/log/ptdv/audit.jsonl"))
    assert err.value.key == key


# -- the command, as root, with a real group and account --------------------------------------------------------
@dataclass
class Machine:
    staff: str
    account: str
    base: Path        # a throw-away folder under /var/lib
    program: Path
    store: Path
    sink: Path
    socket: Path
    systemd_dir: Path
    config: Path

    def args(self, *more: str) -> list[str]:
        return ["install-service", "--group", self.staff, "--account", self.account, "--db", str(self.store),
                "--audit-sink", str(self.sink), "--socket", str(self.socket), "--systemd-dir", str(self.systemd_dir),
                "--config", str(self.config), "--ptdv", str(self.program), *more]

    def run(self, *more: str, lang: str = "en"):
        return CliRunner().invoke(main, ["--lang", lang, *self.args(*more)], env=CLEAN_ENV)

    def installation(self) -> Installation:
        return Installation(PurePosixPath(self.program), PurePosixPath(self.store), PurePosixPath(self.socket),
                            self.staff, self.account, PurePosixPath(self.sink))


def remove_account(name: str) -> None:
    subprocess.run(["userdel", name], capture_output=True, check=False)
    subprocess.run(["groupdel", name], capture_output=True, check=False)   # its own group, if userdel left it


@pytest.fixture
def machine(tmp_path):
    if os.geteuid() != 0 or not shutil.which("useradd"):
        pytest.skip("needs root and useradd (CI runs as root)")
    tag = os.getpid() % 100000
    staff, account = f"ptdvi{tag}s", f"ptdvi{tag}a"
    remove_account(account)   # left by a run that was killed
    subprocess.run(["groupdel", staff], capture_output=True, check=False)
    subprocess.run(["groupadd", staff], check=True)
    base = Path(tempfile.mkdtemp(prefix="ptdv-install-test.", dir="/var/lib"))
    try:
        base.chmod(0o755)
        yield Machine(staff, account, base, fake_program(base / "bin" / "ptdv"), base / "lib" / "ptdv" / "ptdv.json",
                      base / "log" / "ptdv" / "audit.jsonl", base / "run" / "ptdv.sock", tmp_path / "systemd",
                      tmp_path / "etc" / "config.toml")
    finally:
        remove_account(account)
        subprocess.run(["groupdel", staff], capture_output=True, check=False)
        shutil.rmtree(base, ignore_errors=True)


def snapshot(*roots: Path) -> dict[str, tuple]:
    """Every file and folder under ``roots``: type and mode, owner, group, inode, time of change and content."""
    found = {}
    for root in roots:
        for path in [root, *sorted(root.rglob("*"))]:
            st = os.lstat(path)
            found[str(path)] = (st.st_mode, st.st_uid, st.st_gid, st.st_ino, st.st_mtime_ns, st.st_ctime_ns,
                                path.read_bytes() if stat.S_ISREG(st.st_mode) else None)
    return found


def owner_and_mode(path: Path) -> tuple[str, str, str]:
    st = os.lstat(path)
    return pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name, f"{stat.S_IMODE(st.st_mode):04o}"


def test_install_makes_the_account_its_folders_the_units_and_the_configuration_and_a_second_run_changes_nothing(
        machine):
    result = machine.run()
    assert result.exit_code == 0, result.output
    account = pwd.getpwnam(machine.account)
    assert account.pw_uid < 1000 and account.pw_shell.endswith("nologin") and account.pw_dir == str(machine.store.parent)
    own = grp.getgrgid(account.pw_gid).gr_name
    assert owner_and_mode(machine.store.parent) == (machine.account, own, "0700")
    assert owner_and_mode(machine.sink.parent) == (machine.account, own, "0700")
    assert owner_and_mode(machine.sink) == (machine.account, own, "0600") and machine.sink.read_bytes() == b""
    for name, text in units(machine.installation()).items():
        assert (machine.systemd_dir / name).read_text() == text
        assert owner_and_mode(machine.systemd_dir / name) == ("root", "root", "0644")
    assert tomllib.loads(machine.config.read_text()) == {"db": f"unix:{machine.socket}"}   # staff type just ptdv
    assert owner_and_mode(machine.config) == ("root", "root", "0644")
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines[:8]] == ["done"] * 8
    assert machine.account in grp.getgrnam(machine.staff).gr_mem  # to give its socket to the group, by hand
    assert "There is no store at" in result.stdout and f"runuser -u {machine.account} --" in result.stdout
    assert lines[-1] == (f"Installed. Do the steps above (make the store, start the service); then staff of the "
                         f"group {machine.staff} type just ptdv.")  # not "done" before the store and the start

    before = snapshot(machine.base, machine.systemd_dir, machine.config.parent), pwd.getpwnam(machine.account)
    again = machine.run()
    assert again.exit_code == 0, again.output
    assert (snapshot(machine.base, machine.systemd_dir, machine.config.parent), pwd.getpwnam(machine.account)) == before
    assert [line.split()[0] for line in again.stdout.splitlines()[:7]] == ["unchanged"] * 7
    assert again.stdout.splitlines()[-1] == "Everything was already in place: nothing changed."
    assert machine.run(lang="vi").stdout.splitlines()[-1] == t("install.nothing_changed", "vi")


def test_a_dry_run_says_what_it_would_do_and_changes_nothing(machine):
    result = machine.run("--dry-run")
    assert result.exit_code == 0, result.output
    assert [line.split()[:2] for line in result.stdout.splitlines()[:7]] == [["would", "do"]] * 7
    assert result.stdout.splitlines()[-1] == "Dry run: nothing was changed."
    assert sorted(p.name for p in machine.base.iterdir()) == ["bin"] and not machine.systemd_dir.exists()
    with pytest.raises(KeyError):
        pwd.getpwnam(machine.account)


def shared_store(machine: Machine) -> list[str]:
    """The README's old set-up at --db: a setgid folder of the staff group, the store made there by root (its
    files the group's, 0660), with backups.  Returns its units' names."""
    folder = machine.store.parent
    folder.mkdir(parents=True)
    os.chown(folder, 0, grp.getgrnam(machine.staff).gr_gid)
    folder.chmod(0o2770)
    service = Service(Store(machine.store), today=TODAY)
    root = service.init("Đảng ủy phường Phước Mỹ", level="grassroots")
    service.add_unit("Chi bộ khu dân cư số 1", root.id, "branch")
    service.add_unit("Chi bộ khu dân cư số 2", root.id, "branch")
    return [u.name for u in Store(machine.store).state().units.values()]


def test_a_store_shared_the_old_way_becomes_the_service_accounts_alone_and_says_so(machine):
    names = shared_store(machine)
    files = [p for p in machine.store.parent.rglob("*")]
    assert {owner_and_mode(p)[1] for p in files} == {machine.staff}

    result = machine.run()
    assert result.exit_code == 0, result.output
    own = grp.getgrgid(pwd.getpwnam(machine.account).pw_gid).gr_name
    assert owner_and_mode(machine.store.parent) == (machine.account, own, "0700")   # the setgid bit gone too
    assert {p.name: owner_and_mode(p) for p in machine.store.parent.rglob("*")} == \
        {p.name: (machine.account, own, "0700" if p.is_dir() else "0600") for p in files}
    assert f"The store {machine.store} belonged to root (groups: {machine.staff})" in result.stdout
    assert "There is no store" not in result.stdout and "runuser" in result.stdout   # the service can be started
    assert as_account(machine.account, lambda: [u.name for u in Store(machine.store).state().units.values()]) == \
        ("ok", names)

    again = machine.run()
    assert again.exit_code == 0 and "belonged to" not in again.stdout
    assert again.stdout.splitlines()[-1] == "Everything was already in place: nothing changed."


@pytest.mark.parametrize("link, said", [(Path.symlink_to, "is a symbolic link"),
                                         (Path.hardlink_to, "has another name elsewhere (a hard link)")])
def test_a_link_among_the_store_files_to_another_file_is_refused_before_anything_changes_hands(machine, link, said):
    """What a member of the staff could plant in the shared folder, for root to give the account (/etc/shadow)."""
    shared_store(machine)
    target = machine.base / "not-the-stores.txt"
    target.write_text("root's")
    target.chmod(0o600)
    link(machine.store.parent / "ptdv.parts" / "p9.json", target)
    before = snapshot(machine.store.parent)

    result = machine.run()
    assert result.exit_code == 1
    assert f"{machine.store.parent}/ptdv.parts/p9.json {said}" in result.stderr
    assert owner_and_mode(target) == ("root", "root", "0600") and snapshot(machine.store.parent) == before


def test_a_save_in_progress_is_waited_for_and_the_store_does_not_change_hands_under_it(machine, monkeypatch):
    shared_store(machine)
    monkeypatch.setattr(installer, "LOCK_WAIT_S", 0)
    saving = hold_the_lock(machine.store)
    try:
        result = machine.run()
    finally:
        stop(saving)
    assert result.exit_code == 1 and "A save has held the store's lock" in result.stderr
    assert owner_and_mode(machine.store.parent)[1:] == (machine.staff, "2770")
    assert {owner_and_mode(p)[1] for p in machine.store.parent.rglob("*")} == {machine.staff}
    assert machine.run().exit_code == 0   # once the save has ended


def test_two_names_of_one_file_both_in_the_store_are_taken_over(machine):
    """A save killed between backing a file up (a hard link in the backups folder) and replacing it."""
    shared_store(machine)
    (machine.store.parent / "ptdv.backups" / "9-20261203~p1.json").hardlink_to(machine.store.parent / "ptdv.parts"
                                                                             / "p1.json")
    result = machine.run()
    assert result.exit_code == 0, result.output
    assert owner_and_mode(machine.store.parent / "ptdv.parts" / "p1.json")[::2] == (machine.account, "0600")


def test_a_folder_holding_other_files_is_not_taken(machine):
    machine.sink.parent.mkdir(parents=True)
    other = machine.sink.parent / "syslog"
    other.write_text("not ptdv's")
    result = machine.run()
    assert result.exit_code == 1
    assert f"The folder {machine.sink.parent} holds other files than audit.jsonl's (syslog)" in result.stderr
    assert owner_and_mode(machine.sink.parent)[0] == "root" and owner_and_mode(other)[0] == "root"


def test_the_audit_sink_inside_the_stores_folder_is_refused(machine):
    result = machine.run("--audit-sink", str(machine.store.parent / "audit.jsonl"))
    assert result.exit_code == 1 and "must lie outside the store's folder" in result.stderr


@pytest.mark.parametrize("option, where, hidden", [("--ptdv", "/tmp", "PrivateTmp"),
                                                   ("--db", "/home", "ProtectHome"),
                                                   ("--audit-sink", "/var/tmp", "PrivateTmp")])
def test_what_the_sandbox_hides_is_refused_with_the_option_that_hides_it(machine, option, where, hidden):
    path = {"--ptdv": lambda: fake_program(Path(tempfile.mkdtemp(dir=where)) / "ptdv"),
            "--db": lambda: Path(where, f"ptdv-install-test-{os.getpid()}", "ptdv.json"),
            "--audit-sink": lambda: Path(where, f"ptdv-install-test-{os.getpid()}", "audit.jsonl")}[option]()
    try:
        result = machine.run(option, str(path))
        assert result.exit_code == 1
        assert f"{hidden}=yes in ptdv.service" in result.stderr and str(path.parent) in result.stderr
        with pytest.raises(KeyError):
            pwd.getpwnam(machine.account)   # refused before anything is made
    finally:
        if option == "--ptdv":
            shutil.rmtree(path.parent)
    assert not path.parent.exists()


def test_an_unknown_staff_group_is_refused_with_the_commands_that_make_it(machine):
    result = CliRunner().invoke(main, ["--lang", "en", *machine.args("--group", "ptdvnosuchgroup")], env=CLEAN_ENV)
    assert result.exit_code == 1
    assert "There is no group ptdvnosuchgroup" in result.stderr
    assert "groupadd ptdvnosuchgroup" in result.stderr and "usermod -aG ptdvnosuchgroup NAME" in result.stderr
    assert sorted(p.name for p in machine.base.iterdir()) == ["bin"]


def run_as_nobody(args: list[str]) -> tuple[int, str]:
    """``ptdv ARGS`` in a child process that runs as the account nobody (exit status, stderr)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.close(r)
            nobody = pwd.getpwnam("nobody")
            os.setgroups([])
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)
            os.environ.update(XDG_CONFIG_HOME="/nonexistent/config", PTDV_SERVER_CONFIG="/nonexistent/server.toml")
            result = CliRunner().invoke(main, args, env=CLEAN_ENV)
            os.write(w, pickle.dumps((result.exit_code, result.stderr)))
        finally:
            os._exit(0)
    os.close(w)
    data = b""
    while chunk := os.read(r, 65536):
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    return pickle.loads(data)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_an_account_that_is_not_root_is_told_to_run_it_as_root(tmp_path, lang):
    args = ["--lang", lang, "install-service", "--group", "ptdvstaff", "--db", str(tmp_path / "store" / "ptdv.json")]
    status, stderr = run_as_nobody(args) if os.geteuid() == 0 else \
        (lambda r: (r.exit_code, r.stderr))(CliRunner().invoke(main, args, env=CLEAN_ENV))
    assert status == 1
    assert stderr.strip() == t("cli.error", lang, message=t("install.not_root", lang))
    assert not (tmp_path / "store").exists()


# -- under systemd: systemctl as the command would find it --------------------------------------------------------
FAKE_SYSTEMCTL = """#!/bin/sh
echo "$*" >> {log}
case "$1" in
    is-enabled) [ -e {state}/enabled ] ;;
    is-active) [ -e {state}/active ] ;;
    enable) touch {state}/enabled ;;
    start|restart) touch {state}/active ;;
esac
"""


def test_under_systemd_the_units_are_loaded_enabled_and_started_and_restarted_when_they_change(machine, tmp_path,
                                                                                              monkeypatch):
    """systemd cannot run inside this test: /run/systemd/system and systemctl are stand-ins, systemctl noting what
    it is asked and keeping whether the units are enabled and running."""
    log, state, tools = tmp_path / "systemctl.log", tmp_path / "state", tmp_path / "tools"
    for folder in (state, tools, tmp_path / "run-systemd-system"):
        folder.mkdir()
    fake_program(tools / "systemctl").write_text(FAKE_SYSTEMCTL.format(log=log, state=state))
    monkeypatch.setattr(installer, "SYSTEMD_RUNNING", tmp_path / "run-systemd-system")
    monkeypatch.setenv("PATH", f"{tools}:{os.environ['PATH']}")

    def calls(*args: str) -> list[str]:
        log.write_text("")
        result = machine.run(*args)
        assert result.exit_code == 0, result.output
        return [line for line in log.read_text().splitlines() if not line.startswith("is-")]

    assert calls() == ["daemon-reload", "enable ptdv.socket ptdv.service"]   # no store yet: not started
    service = Service(Store(machine.store), today=TODAY)
    service.init("Đảng ủy phường Phước Mỹ", level="grassroots")   # the store made (by root here: then taken over)
    assert calls() == ["start ptdv.socket ptdv.service"]
    assert calls() == []                                           # nothing to do
    assert calls("--socket", str(machine.base / "run" / "other.sock")) == \
        ["daemon-reload", "restart ptdv.socket ptdv.service"]      # new units: loaded, and the service restarted
