"""``ptdv install-service``: the ptdv service installed under systemd, as root, in one command (issue 15 item 4).

It makes the service account (a system account, no login), gives it the store's folder and the audit sink's
folder (its alone: folders 0700, files 0600; a store shared the old way, by a group and a setgid folder, is taken
over), writes ``ptdv.socket`` and ``ptdv.service`` (db/systemd_units.py) and the server's configuration
(``db = "unix:<socket>"``, so staff type just ``ptdv``), and starts the socket and the service when systemd runs
the machine.  Each step says whether it changed something: run again, it changes nothing and says so.  With
``--dry-run`` it only says what it would do.

It refuses, before changing anything, what the service could not use: a ptdv program, a store or a sink that the
sandbox hides (under /home, /root, /tmp …), a folder that holds other files than the store's (or the sink's), a
link or a file with several names among the store's files (root would give their targets to the account).
"""
from __future__ import annotations

import grp
import os
import pwd
import shlex
import shutil
import stat
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Iterator

import click

from db.errors import PtdvError
from db.i18n import t
from db.store.lock import flock_within
from db.systemd_units import SERVICE_UNIT, SOCKET_UNIT, Installation, hidden_by, units
from db.text import safe

from .config import _read, _with_key, server_file
from .files import write_file

SYSTEMD_RUNNING = Path("/run/systemd/system")  # there when systemd is the machine's init (sd_booted(3))
NOLOGIN = ("/usr/sbin/nologin", "/sbin/nologin", "/bin/false")
LOCK_WAIT_S = 60        # for a save in progress before the store changes hands
UNIT_MODE = 0o644       # units and the server's configuration: every account may read them
BOTH = (SOCKET_UNIT, SERVICE_UNIT)
CONFIG_HEAD = "# ptdv's server configuration (ptdv install-service): staff reach the store through the service\n"


@dataclass
class Report:
    """What was done, or would be (``dry_run``), step by step, in the user's language."""

    lang: str
    dry_run: bool
    lines: list[str] = field(default_factory=list)
    changed: bool = False

    def step(self, changes: bool, key: str, **params: object) -> None:
        status = "install.status.kept" if not changes else "install.status.would" if self.dry_run \
            else "install.status.done"
        self.lines.append(t(status, self.lang, what=t(key, self.lang, **params)))
        self.changed |= changes

    def note(self, key: str, **params: object) -> None:
        self.lines += ["", t(key, self.lang, **params)]


# -- the command ------------------------------------------------------------------------------------------
@click.command("install-service")
@click.option("--db", "store", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("/var/lib/ptdv/ptdv.json"), show_default=True,
              help="The store the service owns; its folder becomes the service account's alone. A store shared "
                   "the old way (a staff group, a setgid folder) is taken over.")
@click.option("--socket", "socket_path", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("/run/ptdv/ptdv.sock"), show_default=True, help="Where staff reach the service.")
@click.option("--group", "staff", required=True, help="The staff group: its members may connect to the service.")
@click.option("--account", default="ptdv", show_default=True,
              help="The service account (a system account without login, made when missing).")
@click.option("--audit-sink", "sink", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("/var/log/ptdv/audit.jsonl"), show_default=True,
              help="A copy of every audit entry, the account's alone, outside the store's folder.")
@click.option("--systemd-dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("/etc/systemd/system"), show_default=True, help="Where the units are written.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="The server's configuration file (default: /etc/ptdv/config.toml, or PTDV_SERVER_CONFIG).")
@click.option("--ptdv", "program", type=click.Path(dir_okay=False, path_type=Path),
              help="The ptdv program the service runs (default: this one).")
@click.option("--dry-run", is_flag=True, help="Say what would be done; change nothing.")
@click.pass_obj
def install_service(ses, store: Path, socket_path: Path, staff: str, account: str, sink: Path, systemd_dir: Path,
                    config_path: Path | None, program: Path | None, dry_run: bool) -> None:
    """Install the ptdv service under systemd (run as root): the service account, its folders, ptdv.socket and
    ptdv.service, the server's configuration; then start it, or say how when systemd is not running.

    \b
    Install ptdv where the service can read it (pipx install --global, or a virtual
    environment under /opt): the service's sandbox hides /home, /root and /tmp.
    Run it again at any time: it changes only what is not as it should be.
    """
    rep = Report(ses.lang, dry_run)
    install(rep, store=store, socket_path=socket_path, staff=staff, account=account, sink=sink,
            systemd_dir=systemd_dir, config_path=config_path or server_file(), program=program)
    ses.lines(rep.lines)


def install(rep: Report, *, store: Path, socket_path: Path, staff: str, account: str, sink: Path,
            systemd_dir: Path, config_path: Path, program: Path | None) -> None:
    if os.geteuid() != 0:
        raise PtdvError("install.not_root")
    ptdv = program or this_ptdv()
    inst = Installation(PurePosixPath(ptdv.absolute()), PurePosixPath(_real(store)),
                        PurePosixPath(socket_path.absolute()), staff, account, PurePosixPath(_real(sink)))
    _check(inst, given=program is not None)
    owner = _account(rep, inst)
    _in_staff(rep, inst, owner)
    catalogue_there = Path(inst.store).exists()
    _store(rep, inst, owner)
    _sink(rep, inst, owner)
    units_changed = _units(rep, inst, systemd_dir)
    _config(rep, inst, config_path)
    systemd = SYSTEMD_RUNNING.is_dir()
    if systemd:
        _systemd(rep, units_changed, catalogue_there)
    else:
        rep.note("install.no_systemd")
    start = [["systemctl", "start", *BOTH]] if systemd else _by_hand(inst)
    if not catalogue_there:  # the service serves a store that exists: it starts once the admin has made it
        rep.note("install.no_store", path=str(inst.store), commands=_indented(_make_store(inst) + start))
    elif not systemd:
        rep.note("install.start_by_hand", commands=_indented(start))
    members = grp.getgrnam(staff).gr_mem
    rep.note("install.members" if members else "install.no_members", group=staff, members=", ".join(members))
    ready = catalogue_there and systemd  # else the steps said above come first
    rep.note("install.dry_run" if rep.dry_run else "install.nothing_changed" if not rep.changed
             else "install.done" if ready else "install.done_then", group=staff)


def this_ptdv() -> Path:
    """The ``ptdv`` program of this installation: beside the Python running it (a virtual environment's), else
    the one on PATH."""
    beside = Path(sys.executable).with_name("ptdv")
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("ptdv")
    if found is None:
        raise PtdvError("install.no_program")
    return Path(found)


def _real(path: Path) -> Path:
    """``path`` absolute, its folder's links resolved (a link there could lead where the service cannot see)."""
    path = path.absolute()
    return path.parent.resolve() / path.name


# -- what is refused before anything changes ------------------------------------------------------------------
def _check(inst: Installation, *, given: bool) -> None:
    ptdv = Path(inst.ptdv)
    if not ptdv.is_file() or not os.access(ptdv, os.X_OK):
        raise PtdvError("install.not_program", path=safe(str(ptdv)))
    for place in _program_places(ptdv, given):
        option = hidden_by(PurePosixPath(place))
        if option:
            raise PtdvError("install.hidden_program", path=safe(str(place)), option=option)
    for folder in (inst.store_folder, inst.sink_folder):
        option = hidden_by(folder)
        if option:
            raise PtdvError("install.hidden_data", path=str(folder), option=option)
    store, sink = inst.store_folder, inst.sink_folder
    if sink == store or store in sink.parents or sink in store.parents:
        raise PtdvError("install.sink_in_store", sink=str(inst.audit_sink), folder=str(store))
    for folder in (store, sink):
        if folder in inst.socket.parents:
            raise PtdvError("install.socket_inside", socket=str(inst.socket), folder=str(folder))
    try:
        grp.getgrnam(inst.staff)
    except KeyError:
        raise PtdvError("install.no_group", group=inst.staff) from None


def _program_places(ptdv: Path, given: bool) -> list[Path]:
    """Where the service must be able to read for ``ptdv`` to run: the program, the interpreter its first line
    names (a virtual environment's Python) and, for this very ptdv, its code (an editable install: a
    checkout)."""
    places = [ptdv.resolve()]
    try:
        with open(ptdv, "rb") as file:
            first = file.readline(4096)
    except OSError:
        first = b""
    if first.startswith(b"#!") and first[2:].split():
        interpreter = Path(os.fsdecode(first[2:].split()[0]))
        places += [interpreter, interpreter.resolve()]
    if not given:
        places.append(Path(__file__).resolve().parent.parent)
    return places


# -- the account ----------------------------------------------------------------------------------------------
def _account(rep: Report, inst: Installation) -> pwd.struct_passwd | None:
    """The service account, made when missing (None: it would be, in a dry run)."""
    try:
        found = pwd.getpwnam(inst.account)
    except KeyError:
        found = None
    if found is not None and found.pw_uid == 0:
        raise PtdvError("install.root_account", account=inst.account)
    home, missing = str(inst.store_folder), found is None
    if missing and not rep.dry_run:
        shell = next((s for s in NOLOGIN if os.path.exists(s)), NOLOGIN[-1])
        _run(["useradd", "--system", "--user-group", "--no-create-home", "--home-dir", home, "--shell", shell,
              "--comment", "ptdv service", inst.account])
        found = pwd.getpwnam(inst.account)
    rep.step(missing, "install.step.account", account=inst.account, home=home)
    return found


def _in_staff(rep: Report, inst: Installation, owner: pwd.struct_passwd | None) -> None:
    """The service account in the staff group: started by hand (no systemd to make the socket), the service
    gives its socket to that group, which only a member may do."""
    group = grp.getgrnam(inst.staff)
    member = owner is not None and (inst.account in group.gr_mem or owner.pw_gid == group.gr_gid)
    if not member and not rep.dry_run:
        _run(["usermod", "--append", "--groups", inst.staff, inst.account])
    rep.step(not member, "install.step.in_staff", account=inst.account, group=inst.staff)


# -- the folders: the account's alone -------------------------------------------------------------------------
Links = dict[tuple[int, int], int]  # a file's (device, inode): how many of its names were found among the entries


def _store(rep: Report, inst: Installation, owner: pwd.struct_passwd | None) -> None:
    folder, stem = Path(inst.store_folder), inst.store.stem
    with _saves_held_off(Path(inst.store).with_name(inst.store.name + ".lock"), rep.dry_run):
        entries, links, before = _folder(rep, "install.step.store_folder", folder, inst.store.name,
                                         (f"{stem}.", f".{stem}."), inst.account, owner)
        if not entries:
            return
        states = [(entry, os.lstat(entry)) for entry in entries]
        wrong = [(entry, st) for entry, st in states if not _as_wanted(st, owner)]
        if wrong and not rep.dry_run:
            for entry, _ in wrong:
                _give(entry, owner, links)
        rep.step(bool(wrong), "install.step.store_files", path=str(folder), count=len(entries),
                 account=inst.account)
    held = [st for st in (before, *(st for _, st in wrong)) if st is not None and not _as_wanted(st, owner)]
    if held and Path(inst.store).exists() and not rep.dry_run:
        rep.note("install.store_taken", path=str(inst.store), account=inst.account,
                 owners=", ".join(sorted({_name(pwd.getpwuid, st.st_uid) for st in held})),
                 groups=", ".join(sorted({_name(grp.getgrgid, st.st_gid) for st in held})))


def _sink(rep: Report, inst: Installation, owner: pwd.struct_passwd | None) -> None:
    sink = Path(inst.audit_sink)
    _, links, _ = _folder(rep, "install.step.sink_folder", sink.parent, sink.name, (sink.name,), inst.account, owner)
    there = os.path.lexists(sink)
    wrong = not there or not _as_wanted(os.lstat(sink), owner)
    if wrong and not rep.dry_run:
        if there:
            _give(sink, owner, links)
        else:
            fd = os.open(sink, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_APPEND | os.O_CLOEXEC,
                         0o600)
            try:
                os.fchown(fd, owner.pw_uid, owner.pw_gid)
                os.fchmod(fd, 0o600)
            finally:
                os.close(fd)
    rep.step(wrong, "install.step.sink_file", path=str(sink), account=inst.account)


def _folder(rep: Report, key: str, folder: Path, name: str, prefixes: tuple[str, ...], account: str,
            owner: pwd.struct_passwd | None) -> tuple[list[Path], Links, os.stat_result | None]:
    """Make ``folder`` the account's alone (0700), made when missing.  Returns what in it is of ``prefixes``
    (the files of ``name``, the store or the sink, and everything in their folders), each checked to be a folder or a plain
    file with no name elsewhere; the names of its files; the folder's state before."""
    try:
        before = os.lstat(folder)
    except FileNotFoundError:
        before = None
    entries: list[Path] = []
    if before is not None:
        if not stat.S_ISDIR(before.st_mode):
            raise PtdvError("install.not_a_folder", path=str(folder))
        names = sorted(os.listdir(folder))
        foreign = [n for n in names if not n.startswith(prefixes)]
        if foreign and not (owner is not None and before.st_uid == owner.pw_uid):
            raise PtdvError("install.folder_not_own", path=str(folder), name=name, names=safe(", ".join(foreign[:5]))
                            + (", …" if len(foreign) > 5 else ""))
        entries = _entries(folder, [n for n in names if n.startswith(prefixes)])
    found = [(entry, os.lstat(entry)) for entry in entries]
    links: Links = {}
    for _, st in found:
        links[st.st_dev, st.st_ino] = links.get((st.st_dev, st.st_ino), 0) + 1
    for entry, st in found:
        _mode_for(entry, st, links)  # anything but a folder or a plain file of its own is refused now
    wrong = before is None or not _as_wanted(before, owner)
    if wrong and not rep.dry_run:
        if before is None:
            folder.parent.mkdir(parents=True, exist_ok=True)
            folder.mkdir(mode=0o700)
        _give(folder, owner, links)  # first: from now on no one else enters it while its files change hands
    rep.step(wrong, key, path=str(folder), account=account)
    return entries, links, before


def _entries(folder: Path, names: list[str]) -> list[Path]:
    """``names`` in ``folder`` and, for a folder among them, everything in it (links not followed)."""
    found = []
    for name in names:
        top = folder / name
        found.append(top)
        if stat.S_ISDIR(os.lstat(top).st_mode):
            for where, dirs, files in os.walk(top):
                found += [Path(where, n) for n in sorted(dirs + files)]
    return found


def _mode_for(path: Path, st: os.stat_result, links: Links) -> int:
    """The mode ``path`` must have: 0700 for a folder, 0600 for a plain file all of whose names are among the
    entries (the store's backups are hard links to its files); a link, a special file or a file with a name
    elsewhere is refused: root would give the account what it leads to."""
    if stat.S_ISDIR(st.st_mode):
        return 0o700
    if stat.S_ISREG(st.st_mode) and st.st_nlink <= links.get((st.st_dev, st.st_ino), 1):
        return 0o600
    key = "install.entry_link" if stat.S_ISLNK(st.st_mode) else "install.entry_hard_link" \
        if stat.S_ISREG(st.st_mode) else "install.entry_special"
    raise PtdvError(key, path=safe(str(path)))


def _as_wanted(st: os.stat_result, owner: pwd.struct_passwd | None) -> bool:
    return owner is not None and (st.st_uid, st.st_gid) == (owner.pw_uid, owner.pw_gid) \
        and stat.S_IMODE(st.st_mode) == (0o700 if stat.S_ISDIR(st.st_mode) else 0o600)


def _give(path: Path, owner: pwd.struct_passwd, links: Links) -> None:
    """``path`` to the account, mode 0600 (a folder 0700), through a descriptor opened without following a
    link: what is checked is what changes hands."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if os.path.islink(path):
            raise PtdvError("install.entry_link", path=safe(str(path))) from exc
        raise
    try:
        mode = _mode_for(path, os.fstat(fd), links)
        os.fchown(fd, owner.pw_uid, owner.pw_gid)
        os.fchmod(fd, mode)
    finally:
        os.close(fd)


@contextmanager
def _saves_held_off(lock: Path, dry_run: bool) -> Iterator[None]:
    """Hold the store's lock (the README's protocol: ``flock`` on ``<store>.lock``) while its files change hands:
    a save in progress ends first, none starts."""
    if dry_run or not os.path.lexists(lock):
        yield
        return
    if os.path.islink(lock):
        raise PtdvError("install.entry_link", path=safe(str(lock)))
    fd = os.open(lock, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        if not flock_within(fd, LOCK_WAIT_S, step=0.05):
            raise PtdvError("install.store_busy", path=str(lock), seconds=LOCK_WAIT_S)
        yield
    finally:
        os.close(fd)


def _name(lookup, number: int) -> str:
    try:
        return lookup(number)[0]
    except KeyError:
        return str(number)


# -- units, configuration, systemd ----------------------------------------------------------------------------
def _units(rep: Report, inst: Installation, systemd_dir: Path) -> bool:
    changed = False
    for name, text in units(inst).items():
        path = systemd_dir / name
        differs = _differs(path, text)
        if differs and not rep.dry_run:
            _write(path, text)
        rep.step(differs, "install.step.unit", path=str(path))
        changed |= differs
    return changed


def _config(rep: Report, inst: Installation, path: Path) -> None:
    value = f"unix:{inst.socket}"
    text, keys = _read(path)
    differs = keys.get("db") != value or _differs(path, None)
    if differs and not rep.dry_run:
        _write(path, _with_key(text or CONFIG_HEAD, "db", value))
    rep.step(differs, "install.step.config", path=str(path), db=value)


def _differs(path: Path, text: str | None) -> bool:
    """Whether ``path`` is not a root's file of mode 0644 (holding ``text``, when given)."""
    try:
        st = os.lstat(path)
        return not stat.S_ISREG(st.st_mode) or stat.S_IMODE(st.st_mode) != UNIT_MODE or st.st_uid != 0 \
            or (text is not None and path.read_text(encoding="utf-8") != text)
    except (FileNotFoundError, UnicodeDecodeError):
        return True


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
    write_file(path, text.encode("utf-8"))
    os.chmod(path, UNIT_MODE)


def _systemd(rep: Report, units_changed: bool, catalogue_there: bool) -> None:
    if units_changed:
        if not rep.dry_run:
            _run(["systemctl", "daemon-reload"])
        rep.step(True, "install.step.reload")
    enabled = all(_asks(["systemctl", "is-enabled", "--quiet", unit]) for unit in BOTH)
    if not enabled and not rep.dry_run:
        _run(["systemctl", "enable", *BOTH])
    rep.step(not enabled, "install.step.enable")
    if not catalogue_there:
        return
    running = all(_asks(["systemctl", "is-active", "--quiet", unit]) for unit in BOTH)
    if running and units_changed:
        if not rep.dry_run:
            _run(["systemctl", "restart", *BOTH])
        rep.step(True, "install.step.restart")
        return
    if not running and not rep.dry_run:
        _run(["systemctl", "start", *BOTH])
    rep.step(not running, "install.step.start")


def _by_hand(inst: Installation) -> list[list[str]]:
    """How to start the service without systemd: its socket's folder, then ``ptdv serve`` as the account."""
    return [["install", "-d", "-o", inst.account, "-m", "0755", str(inst.socket.parent)],
            ["runuser", "-u", inst.account, "--", *inst.serve_argv()]]


def _make_store(inst: Installation) -> list[list[str]]:
    """A new store, made by the service account, with a first admin (who then gives the others their roles)."""
    as_account = ["runuser", "-u", inst.account, "--", str(inst.ptdv), "--db", str(inst.store)]
    return [[*as_account, "init", "--root", "…"], [*as_account, "user", "add", "ADMIN", "--unit", "…", "--role",
                                                    "admin"]]


def _indented(commands: list[list[str]]) -> str:
    return "\n".join("  " + shlex.join(argv) for argv in commands)


def _run(argv: list[str]) -> None:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise PtdvError("install.command_failed", command=shlex.join(argv), detail=exc.strerror or str(exc)) from exc
    if done.returncode != 0:
        detail = (done.stderr.strip() or done.stdout.strip() or f"exit {done.returncode}").splitlines()[-1]
        raise PtdvError("install.command_failed", command=shlex.join(argv), detail=safe(detail))


def _asks(argv: list[str]) -> bool:
    """A yes-or-no question to a command (its exit status)."""
    return subprocess.run(argv, capture_output=True, check=False).returncode == 0
