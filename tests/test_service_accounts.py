"""Issue 15's proof, with real OS accounts against a store served by ``ptdv serve``: every attempt of the issue's
"Why" is made again, as the account that made it, and each fails.

The set-up is the README's, in a throw-away folder: a service account (system, no login) that owns the store's
folder (0700) and runs ``ptdv serve``; a staff group that may reach the socket (0660); ``an`` (admin of the top
unit), ``binh`` (editor of one ward), ``chi`` (viewer of another), ``khach`` (in the group, no grant) and
``ngoai`` (not in the group), each with its own primary group.  Every command runs as the account, in a process of
its own (``runuser``), with a Python that account can run.  Needs root and useradd (as CI has): skipped otherwise.
"""
from __future__ import annotations

import base64
import errno
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from db.i18n import t

from conftest import spelled

REPO = Path(__file__).resolve().parents[1]
TAG = secrets.token_hex(3)
RUNUSER = shutil.which("runuser") or "runuser"
WAIT_S = 120.0  # a guard against a test that would hang, never a measure: every wait is for a condition


@dataclass
class Ran:
    """What an account's command did: its exit status and what it wrote."""
    args: list[str]
    code: int
    out: str
    err: str

    def __str__(self) -> str:
        return f"{' '.join(self.args)} -> {self.code}\n--- stdout\n{self.out[:3000]}\n--- stderr\n{self.err[:3000]}"


@dataclass
class Site:
    base: Path
    staff: str
    svc: str
    an: str
    binh: str
    chi: str
    khach: str
    ngoai: str
    store: Path = field(init=False)
    socket: Path = field(init=False)
    sink: Path = field(init=False)
    venv: Path = field(init=False)
    service: subprocess.Popen | None = None
    ids: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.store = self.base / "srv" / "ptdv" / "ptdv.json"
        self.socket = self.base / "run" / "ptdv.sock"
        self.sink = self.base / "log" / "audit.jsonl"
        self.venv = self.base / "python"

    def uid(self, account: str) -> int:
        return pwd.getpwnam(account).pw_uid

    # -- commands as an account ------------------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        """A login's environment with no configuration file of ptdv (the test's own are root's)."""
        return {"PATH": f"{self.venv / 'bin'}:/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
                "XDG_CONFIG_HOME": "/nonexistent/.config", "PTDV_SERVER_CONFIG": "/nonexistent/config.toml"}

    def command(self, account: str, args: list[str]) -> list[str]:
        return [RUNUSER, "-u", account, "--", *args]

    def start(self, account: str, args: list[str], output: Any = subprocess.PIPE) -> subprocess.Popen:
        """``args`` as ``account``, in a process group of its own (so that it can be ended, children and all)."""
        return subprocess.Popen(self.command(account, args), env=self.env(), cwd="/", text=True,
                                stdin=subprocess.DEVNULL, stdout=output, stderr=output, start_new_session=True)

    def execute(self, account: str, args: list[str]) -> Ran:
        proc = self.start(account, args)
        out, err = proc.communicate(timeout=WAIT_S)
        return Ran(args, proc.returncode, out, err)

    def ptdv_args(self, args: tuple[str, ...], db: str | None = None) -> list[str]:
        return [str(self.venv / "bin" / "ptdv"), "--db", db or f"unix:{self.socket}", *args]

    def ptdv(self, account: str, *args: str, db: str | None = None) -> Ran:
        """``ptdv ARGS`` as ``account``, against the service (or ``db``)."""
        return self.execute(account, self.ptdv_args(args, db))

    def ptdv_many(self, calls: list[tuple[str, tuple[str, ...]]]) -> list[Ran]:
        """Several ``(account, args)`` at once (each its own process), in the order given."""
        procs = [(self.ptdv_args(args), self.start(account, self.ptdv_args(args))) for account, args in calls]
        done = []
        for args, proc in procs:
            out, err = proc.communicate(timeout=WAIT_S)
            done.append(Ran(args, proc.returncode, out, err))
        return done

    def data(self, account: str, *args: str) -> Any:
        """The JSON a command prints, which must succeed."""
        ran = self.ptdv(account, *args)
        assert ran.code == 0 and "Traceback" not in ran.err, str(ran)
        return json.loads(ran.out)

    def python(self, account: str, code: str, *argv: str) -> Ran:
        return self.execute(account, [str(self.venv / "bin" / "python"), "-c", code, *argv])


def runnable(site: Site, account: str, args: list[str]) -> bool:
    return subprocess.run(site.command(account, args), env=site.env(), cwd="/", capture_output=True).returncode == 0


def link_or_copy(src: str, dst: str) -> None:
    """A hard link to a file every account may read (the same file, reached through folders they may enter),
    else a copy they may read."""
    if os.stat(src).st_mode & 0o004:
        try:
            os.link(src, dst)
            return
        except OSError:
            pass
    shutil.copy2(src, dst)
    os.chmod(dst, os.stat(dst).st_mode | 0o444)


def make_python(site: Site) -> None:
    """A Python the accounts can run ptdv with (the test's own may be in a folder of root's alone): a venv of an
    interpreter of this version they may execute, seeing this checkout and the test environment's packages, or,
    when an account may not read those, copies of them."""
    probe = site.binh
    version = f"import sys; assert sys.version_info[:2] == {tuple(sys.version_info[:2])}"
    bases = [os.path.realpath(sys._base_executable), shutil.which("python3"), "/usr/bin/python3"]
    base = next((b for b in bases if b and runnable(site, probe, [b, "-c", version])), None)
    assert base, f"no Python {sys.version_info[:2]} that {probe} may run among {bases}"
    subprocess.run([base, "-m", "venv", "--without-pip", str(site.venv)], check=True)
    site_packages = Path(subprocess.run([str(site.venv / "bin" / "python"), "-c",
                                         "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                        check=True, capture_output=True, text=True).stdout.strip())
    ours = list(dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib")))
    pth = site_packages / "ptdv-checkout.pth"
    pth.write_text("\n".join([str(REPO), *ours]) + "\n")
    script = site.venv / "bin" / "ptdv"  # what pip makes for the project's [project.scripts]
    script.write_text(f"#!{site.venv / 'bin' / 'python'}\nimport sys\nfrom tui.cli import main\nsys.exit(main())\n")
    script.chmod(0o755)
    imports = [str(site.venv / "bin" / "python"), "-c", "import db.server, tui.cli"]
    if runnable(site, probe, imports):
        return
    copies = site.venv / "copies"
    for package in ("db", "tui"):
        shutil.copytree(REPO / package, copies / "src" / package, copy_function=link_or_copy)
    for n, path in enumerate(ours):
        shutil.copytree(path, copies / f"site{n}", symlinks=True, copy_function=link_or_copy)
    pth.write_text("\n".join([str(copies / "src"), *(str(copies / f"site{n}") for n in range(len(ours)))]) + "\n")
    for folder, _dirs, _files in os.walk(copies):
        os.chmod(folder, 0o755)
    assert runnable(site, probe, imports), f"{probe} cannot import ptdv even from copies in {copies}"


def make_accounts(site: Site, made: list[str]) -> None:
    subprocess.run(["groupadd", site.staff], check=True)
    made.append(f"group:{site.staff}")
    subprocess.run(["useradd", "--system", "-M", "-U", "-G", site.staff, "-s", "/usr/sbin/nologin",
                    "-c", "ptdv service (test)", site.svc], check=True)
    made.append(site.svc)
    for name in (site.an, site.binh, site.chi, site.khach):
        subprocess.run(["useradd", "-M", "-U", "-G", site.staff, "-s", "/usr/sbin/nologin", name], check=True)
        made.append(name)
    subprocess.run(["useradd", "-M", "-U", "-s", "/usr/sbin/nologin", site.ngoai], check=True)
    made.append(site.ngoai)


def remove_accounts(made: list[str]) -> None:
    for name in reversed(made):
        if name.startswith("group:"):
            subprocess.run(["groupdel", name.removeprefix("group:")], check=False)
            continue
        subprocess.run(["userdel", name], check=False, capture_output=True)
        if subprocess.run(["getent", "group", name], capture_output=True).returncode == 0:
            subprocess.run(["groupdel", name], check=False)


def hello(path: Path) -> bool:
    """Whether the service answers at ``path`` (asked as root, who may connect whatever the socket's mode)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(5)
    try:
        sock.connect(str(path))
        sock.sendall(b"GET /v1/hello HTTP/1.1\r\nHost: ptdv\r\nConnection: close\r\n\r\n")
        return sock.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False
    finally:
        sock.close()


def wait_for(condition, what: str, timeout: float = WAIT_S, every: float = 0.05) -> Any:
    end = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(every)


def start_service(site: Site) -> None:
    """``ptdv serve`` as the service account, until it answers on its socket (what it says: ``serve.log``)."""
    log = site.base / "serve.log"
    with log.open("a") as output:
        site.service = site.start(site.svc, [str(site.venv / "bin" / "ptdv"), "serve", "--db", str(site.store),
                                             "--socket", str(site.socket), "--group", site.staff,
                                             "--audit-sink", str(site.sink)], output)
    wait_for(lambda: site.service.poll() is not None or hello(site.socket), "the service to answer")
    if site.service.poll() is not None:
        raise AssertionError(f"ptdv serve ended ({site.service.returncode}): {log.read_text()}")


def service_pid(site: Site) -> int:
    """The pid of ``ptdv serve`` itself (runuser waits for it in a process of its own)."""
    pid = site.service.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return int(children[0]) if children else pid


def end(proc: subprocess.Popen) -> None:
    """``proc`` and what it started (its process group), if still running."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()


def stop_service(site: Site) -> None:
    if site.service is None or site.service.poll() is not None:
        return
    os.kill(service_pid(site), signal.SIGTERM)
    try:
        site.service.communicate(timeout=WAIT_S)
    finally:
        end(site.service)


@pytest.fixture(scope="module")
def site():
    if os.geteuid() != 0 or not shutil.which("useradd"):
        pytest.skip("needs root and useradd to make real accounts (as CI has)")
    base = Path(tempfile.mkdtemp(prefix="ptdv-service-"))
    os.chmod(base, 0o755)  # like /: every account may pass
    made: list[str] = []
    s = Site(base, staff=f"ptstaff{TAG}", svc=f"ptdvsvc{TAG}", an=f"ptan{TAG}", binh=f"ptbinh{TAG}",
             chi=f"ptchi{TAG}", khach=f"ptkhach{TAG}", ngoai=f"ptngoai{TAG}")
    try:
        make_accounts(s, made)
        make_python(s)
        svc = pwd.getpwnam(s.svc)
        for folder, mode in ((s.store.parent.parent, 0o755), (s.store.parent, 0o700), (s.socket.parent, 0o755),
                             (s.sink.parent, 0o755), (base / "files", 0o755)):
            folder.mkdir(parents=True, exist_ok=True)
            os.chmod(folder, mode)
        for folder in (s.store.parent, s.socket.parent, s.sink.parent):
            os.chown(folder, svc.pw_uid, svc.pw_gid)  # /srv/ptdv, /run/ptdv, /var/log/ptdv: the service's
        made_store = s.ptdv(s.svc, "demo", db=str(s.store))
        assert made_store.code == 0, str(made_store)
        start_service(s)
        prepare(s)
        yield s
    finally:
        stop_service(s)
        remove_accounts(made)
        shutil.rmtree(base, ignore_errors=True)


def prepare(s: Site) -> None:
    """The grants, as the store's admin (the service account, its creator), and what the tests need to know."""
    units = s.data(s.svc, "unit", "list", "--depth", "1", "--json")
    top = next(u for u in units if u["depth"] == 0)
    wards = [u for u in units if u["depth"] == 1 and u["level"] == "grassroots" and not u["ended"]
             and u["pipeline"] >= 20]
    ward_b, ward_c = wards[0], wards[1]
    # the grants, and (as the service account, admin of the store it made) the candidates of both wards
    *grants, in_b, in_c = s.ptdv_many(
        [(s.svc, ("user", "add", account, "--unit", str(unit["unit"]), "--role", role))
         for account, unit, role in ((s.an, top, "admin"), (s.binh, ward_b, "editor"), (s.chi, ward_c, "viewer"))]
        + [(s.svc, ("candidate", "list", str(ward["unit"]), "--json")) for ward in (ward_b, ward_c)])
    assert all(ran.code == 0 for ran in (*grants, in_b, in_c)), "\n".join(map(str, (*grants, in_b, in_c)))
    in_b, in_c = json.loads(in_b.out), json.loads(in_c.out)
    s.ids.update(top=top["unit"], ward_b=ward_b, ward_c=ward_c,
                 branches_b=sorted({c["unit"] for c in in_b}), branches_c=sorted({c["unit"] for c in in_c}),
                 live_c=next(c for c in in_c if c["live"] and c["stage"] not in ("official",)))


# -- what the tests look at ----------------------------------------------------------------------------------
def under(path: str, unit: dict) -> bool:
    return path == unit["path"] or path.startswith(unit["path"] + "/")


def outside_names(everything: list[dict], ward: dict, ward_text: str) -> set[str]:
    """Names of candidates outside ``ward`` that appear nowhere in what its admin may see of it (``ward_text``):
    one of them in a ward member's output can only have come from outside the ward."""
    return {c["Name"] for c in everything if not under(c["Unit"], ward) and c["Name"] not in ward_text}


def leaked(ran: Ran, names: set[str]) -> set[str]:
    return {name for name in names if name in ran.out or name in ran.err}


def vi(key: str, **params: object) -> str:
    return t(key, "vi", **params)


def is_refusal(ran: Ran) -> bool:
    """A refusal a user reads: status 1, a message, nothing on stdout, no traceback."""
    return ran.code == 1 and ran.out == "" and ran.err.startswith("Lỗi: ") and "Traceback" not in ran.err


def refused_only(ran: Ran) -> None:
    assert is_refusal(ran), str(ran)


def all_refused(rans: list[Ran], saying: str) -> None:
    """Every one of ``rans`` a refusal whose message holds ``saying`` (all listed when some are not)."""
    wrong = [str(ran) for ran in rans if not is_refusal(ran) or saying not in ran.err]
    assert not wrong, f"{len(wrong)} of {len(rans)} not refused saying {saying!r}:\n" + "\n".join(wrong)


def sink_lines(s: Site) -> list[dict]:
    return [json.loads(line) for line in s.sink.read_text().splitlines()]


RAW_CLIENT = """
import http.client, json, socket, sys

class Unix(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("ptdv", timeout=60)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.unix_path)

answers = []
for verb, target, headers, body in json.loads(sys.argv[2]):
    conn = Unix(sys.argv[1])
    conn.request(verb, target, body=None if body is None else json.dumps(body).encode(), headers=headers)
    response = conn.getresponse()
    answers.append([response.status, json.loads(response.read())])
    conn.close()
print(json.dumps(answers))
"""


def raw(s: Site, account: str, *requests: tuple[str, str, dict, Any]) -> list[tuple[int, dict]]:
    """HTTP requests of our own making on the service's socket, as ``account``: (status, JSON answer) each."""
    ran = s.python(account, RAW_CLIENT, str(s.socket), json.dumps(requests))
    assert ran.code == 0, str(ran)
    return [tuple(answer) for answer in json.loads(ran.out)]


def rpc(method: str, args: dict, **params: Any) -> dict:
    return {"jsonrpc": "2.0", "id": 1, "method": method, "params": {"args": args, "today": None, **params}}


PROBE_FILES = """
import json, os, sys
out = {}
for item in sys.argv[1:]:
    kind, path = item.split(":", 1)
    if kind == "d":
        tries = {"list": lambda: os.listdir(path), "create": lambda: open(os.path.join(path, "planted"), "x")}
    else:
        tries = {"stat": lambda: os.stat(path), "read": lambda: open(path, "rb").read(1),
                 "write": lambda: open(path, "r+b"), "remove": lambda: os.unlink(path)}
    for name, attempt in tries.items():
        try:
            attempt()
            out[f"{name} {path}"] = "done"
        except Exception as exc:
            out[f"{name} {path}"] = type(exc).__name__
print(json.dumps(out))
"""


def probe_files(s: Site, account: str, items: list[str]) -> dict[str, str]:
    """What ``account``'s own Python gets trying to list a ``d:folder`` or make a file in it, or to stat, read,
    write or remove an ``f:file``."""
    ran = s.python(account, PROBE_FILES, *items)
    assert ran.code == 0, str(ran)
    return json.loads(ran.out)


# -- the tests -----------------------------------------------------------------------------------------------
def test_no_staff_account_can_open_any_file_of_the_store(site):
    store = site.store
    folder = store.parent
    ward = site.ids["ward_b"]["unit"]
    backup = next(p for p in (folder / "ptdv.backups").iterdir())
    files = [store, folder / "ptdv.audit.jsonl", store.with_name("ptdv.json.lock"),
             folder / "ptdv.parts" / f"p{ward}.json", folder / "ptdv.parts" / f"p{ward}.sum.json",
             folder / "ptdv.parts" / "ids0.json", backup]
    folders = [folder, folder / "ptdv.parts", folder / "ptdv.backups"]
    for path in files + folders:
        assert path.exists(), path   # the store's real files (listed by root)
    info = folder.stat()
    assert (info.st_uid, info.st_mode & 0o777) == (site.uid(site.svc), 0o700)
    items = [f"f:{p}" for p in files] + [f"d:{p}" for p in folders]
    for account in (site.an, site.binh, site.chi, site.khach, site.ngoai):
        got = probe_files(site, account, items)
        assert got and set(got.values()) == {"PermissionError"}, (account, got)


def test_an_account_outside_the_staff_group_cannot_even_connect(site):
    ran = site.ptdv(site.ngoai, "candidate", "add", "--unit", str(site.ids["branches_b"][0]),
                    "--name", "Ngô Văn Ngoài")
    refused_only(ran)
    assert vi("remote.not_allowed", path=site.socket, detail=os.strerror(errno.EACCES)) in ran.err, str(ran)
    for command in (("unit", "list", "--depth", "1"), ("whoami",)):
        ran = site.ptdv(site.ngoai, *command)
        refused_only(ran)
        assert os.strerror(errno.EACCES) in ran.err
    connect = site.python(site.ngoai, "import socket, sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])",
                          str(site.socket))
    assert connect.code == 1 and "PermissionError" in connect.err, str(connect)


def test_an_account_with_no_grant_reads_nothing(site):
    cid = str(site.ids["live_c"]["id"])
    top = str(site.ids["top"])
    commands = [("candidate", "list", "--all", "--json"), ("search", "Nguyễn"), ("export", "--format", "json"),
                ("log", "--json"), ("due",), ("report", top), ("candidate", "show", cid),
                ("unit", "list", "--depth", "1")]
    # the message names the account and the admins who may grant it a role
    said = vi("access.unknown_user", account=site.khach, admins="\0").split("\0")[0]
    all_refused(site.ptdv_many([(site.khach, command) for command in commands]), said)
    # and asked in the protocol itself: the read model and the candidates' parts
    answers = raw(site, site.khach, ("POST", "/v1/rpc", {}, rpc("read_model", {})),
                  ("POST", "/v1/rpc", {}, rpc("parts.all", {})),
                  ("POST", "/v1/rpc", {}, rpc("parts.get", {"cid": int(cid)})),
                  ("POST", "/v1/rpc", {}, rpc("candidates", {})))
    for status, answer in answers:
        assert status == 200 and "result" not in answer, answer
        assert answer["error"]["data"]["$error"]["key"] == "access.unknown_user", answer


def what_an_sees(s: Site) -> list[Ran]:
    """The store as its top admin reads it: the viewer's ward (units, quotas, candidates), the users, the
    calendar, the versions kept and the audit log (every write is logged and backed up)."""
    return s.ptdv_many([(s.an, ("export", str(s.ids["ward_c"]["unit"]), "--format", "json", "--lang", "en")),
                        (s.an, ("user", "list", "--json")), (s.an, ("calendar", "list", "--json")),
                        (s.an, ("backup", "list", "--json")), (s.an, ("log", "--json"))])


def test_a_viewer_cannot_write_through_any_command(site):
    chi, ward = site.chi, site.ids["ward_c"]
    cand = site.ids["live_c"]
    cid, branch = str(cand["id"]), str(cand["unit"])
    other = str(next(b for b in site.ids["branches_c"] if b != cand["unit"]))
    versions = site.data(site.an, "backup", "list", "--json")
    listed = site.base / "files" / "danh-sach.csv"   # an office's list the viewer may read
    listed.write_text("STT,Họ và tên,Ngày sinh\n1,Trần Văn Nhập,01/02/1995\n", encoding="utf-8")
    listed.chmod(0o644)
    before = what_an_sees(site)
    assert all(ran.code == 0 for ran in before), "\n".join(map(str, before))
    attempts = [
        ("candidate", "add", "--unit", branch, "--name", "Trần Văn Khách"),
        ("candidate", "advance", cid),
        ("candidate", "edit", cid, "--notes", "sửa bởi người chỉ được xem"),
        ("candidate", "exit", cid, "--reason", "người xem cho ra"),
        ("candidate", "move", cid, "--to", other, "--reason", "người xem chuyển"),
        ("candidate", "paper", cid, "application"),
        ("quota", "set", str(ward["unit"]), "--target", "99"),
        ("unit", "add", "Chi bộ do người xem lập", "--parent", str(ward["unit"])),
        ("unit", "rename", str(ward["unit"]), "Đảng ủy người xem đổi tên"),
        ("user", "add", chi, "--unit", str(site.ids["top"]), "--role", "admin"),
        ("user", "add", chi, "--unit", str(ward["unit"]), "--role", "editor"),
        ("user", "remove", site.an),
        ("calendar", "add", "31/12/2026", "--day-off", "--source", "Thông báo của người xem",
         "--label", "Nghỉ"),
        ("import", str(listed), "--unit", branch),
        ("restore", str(versions[-1]["version"])),
    ]
    all_refused(site.ptdv_many([(chi, attempt) for attempt in attempts]), chi)   # names whose role refuses it
    after = what_an_sees(site)
    for was, now in zip(before, after):
        assert now.code == 0 and now.out == was.out, f"changed by the viewer's attempts:\n{was}\n{now}"
    assert not [e for e in json.loads(after[-1].out) if e["by"] == chi]
    assert not [line for line in sink_lines(site) if line["entry"]["by"] == chi]


def unique_name(family: str, n: int) -> str:
    """A person's name no demo candidate has (no digit: a name holds none)."""
    return f"{family} {spelled(int(TAG, 16), n)}"


def test_an_editor_reads_nothing_outside_their_ward_in_any_output(site):
    binh, an = site.binh, site.an
    ward_b, ward_c, top = site.ids["ward_b"], site.ids["ward_c"], str(site.ids["top"])
    foreign = site.ids["live_c"]
    elsewhere = unique_name("Tạ Thị", 1)   # a candidate only ward C has, and an entry of the log about ward C
    mine = unique_name("Lâm Văn", 2)
    writes = site.ptdv_many([
        (an, ("candidate", "add", "--unit", str(site.ids["branches_c"][0]), "--name", elsewhere)),
        (an, ("candidate", "edit", str(foreign["id"]), "--mentor", "Phan Thanh Hữu")),
        (binh, ("candidate", "add", "--unit", str(site.ids["branches_b"][0]), "--name", mine))])
    assert all(ran.code == 0 for ran in writes), "\n".join(map(str, writes))

    everything, of_b, an_due, an_search, an_log = site.ptdv_many([
        (an, ("export", "--format", "json", "--lang", "en")),
        (an, ("export", str(ward_b["unit"]), "--format", "json", "--lang", "en")),
        (an, ("due", str(ward_b["unit"]), "--limit", "0", "--json")),
        (an, ("search", elsewhere, "--json")),
        (an, ("log", "--json"))])
    all_candidates = json.loads(everything.out)["candidates"]
    names = outside_names(all_candidates, ward_b, of_b.out)
    assert elsewhere in names and len(names) > 1000   # what a leak would show
    ids_b = {c["ID"] for c in json.loads(of_b.out)["candidates"]}
    assert [hit["id"] for hit in json.loads(an_search.out)] and foreign["id"] not in ids_b
    assert any(e["target"] == f"candidate:{foreign['id']}" for e in json.loads(an_log.out))

    ran = dict(zip(("list_c", "list", "search", "due", "report_top", "report_c", "report_b", "export", "log",
                    "list_c_all"), site.ptdv_many([
        (binh, ("candidate", "list", str(ward_c["unit"]), "--json")),
        (binh, ("candidate", "list", "--all", "--json")),
        (binh, ("search", elsewhere, "--json")),
        (binh, ("due", "--limit", "0", "--json")),
        (binh, ("report", top, "--format", "json")),
        (binh, ("report", str(ward_c["unit"]), "--format", "json")),
        (binh, ("report", str(ward_b["unit"]), "--format", "json")),
        (binh, ("export", "--format", "json", "--lang", "en")),
        (binh, ("log", "--json")),
        (binh, ("candidate", "list", str(ward_c["unit"]), "--all")),
    ])))
    leaks = {key: leaked(r, names) for key, r in ran.items()}
    assert not any(leaks.values()), {key: sorted(found)[:5] for key, found in leaks.items() if found}

    # what each output holds: the ward's candidates and no other, or a refusal
    for key in ("list_c", "list_c_all"):
        assert ran[key].code == 1 or json.loads(ran[key].out or "[]") == [], str(ran[key])
    listed = json.loads(ran["list"].out)
    assert {c["id"] for c in listed} == ids_b, str(ran["list"])[:3000]
    assert all(under(c["branch"], ward_b) for c in listed)
    assert json.loads(ran["search"].out) == [], str(ran["search"])
    due = json.loads(ran["due"].out)
    assert {item["candidate"] for item in due} == {item["candidate"] for item in json.loads(an_due.out)}
    assert {item["candidate"] for item in due} <= ids_b
    assert {c["ID"] for c in json.loads(ran["export"].out)["candidates"]} == ids_b
    log = json.loads(ran["log"].out)
    assert any(e["by"] == binh and (e["after"] or {}).get("name") == mine for e in log)   # his own write is there
    for entry in log:
        assert not entry["target"].startswith("candidate:") or int(entry["target"].split(":")[1]) in ids_b, entry
    assert ran["report_b"].code == 0, str(ran["report_b"])
    for key in ("report_top", "report_c"):
        assert ran[key].code in (0, 1) and "Traceback" not in ran[key].err, str(ran[key])


def test_a_candidate_of_another_ward_asked_for_by_id_is_refused_saying_nothing_of_them(site):
    """The refusal says only that: not the candidate's name, nor where they are (by trying ids one after another
    an editor would otherwise map every candidate of the city to their branch)."""
    foreign, ward_c = site.ids["live_c"], site.ids["ward_c"]
    document = site.base / "files" / "binh.docx"
    cid = str(foreign["id"])
    asked = site.ptdv_many([(site.binh, ("candidate", "show", cid)), (site.binh, ("candidate", "papers", cid)),
                            (site.binh, ("document", "9-KND", cid, "-o", str(document)))])
    wrong = [str(ran) for ran in asked if not is_refusal(ran)
             or any(d in ran.err for d in (foreign["name"], foreign["branch"], ward_c["unit_name"]))]
    assert not wrong, "\n".join(wrong)
    assert not document.exists()


LIBRARY = """
import json, pwd, sys
from db.identity import Caller
from db.service import Service
from db.store import Store

path, other, branch = sys.argv[1], sys.argv[2], int(sys.argv[3])
out = {}
for who, caller in (("as myself", None), ("as " + other, Caller(pwd.getpwnam(other).pw_uid, other))):
    for what, act in (("read", lambda s: s.candidates()),
                      ("write", lambda s: s.add_candidate(branch, "Giả Văn Mạo"))):
        try:
            act(Service(Store(path), caller=caller))
            out[f"{what} {who}"] = "done"
        except Exception as exc:
            cause = exc if isinstance(exc, OSError) else exc.__cause__ or exc.__context__
            out[f"{what} {who}"] = type(cause).__name__ if isinstance(cause, OSError) else repr(exc)
print(json.dumps(out))
"""


def test_the_library_cannot_be_made_to_act_as_another_account(site):
    binh, an = site.binh, site.an
    branch_c, branch_b = site.ids["branches_c"][0], site.ids["branches_b"][0]
    ran = site.python(binh, LIBRARY, str(site.store), an, str(branch_c))
    assert ran.code == 0, str(ran)
    assert set(json.loads(ran.out).values()) == {"PermissionError"}, ran.out   # the files are the service's

    # the protocol, spoken by hand, claiming to be the admin every way a request could
    claims = {"X-User": an, "X-Remote-User": an, "X-Ptdv-User": an, "X-Forwarded-User": an, "From": an,
              "Authorization": "Basic " + base64.b64encode(f"{an}:x".encode()).decode()}
    said = {"account": an, "user": an, "by": an, "uid": site.uid(an), "caller": {"uid": site.uid(an), "account": an}}
    names = [unique_name("Đoàn Văn", 3), unique_name("Đoàn Thị", 6)]
    post = lambda method, args, **params: ("POST", "/v1/rpc", claims, rpc(method, args, **params))  # noqa: E731
    hello, outside, grant, inside, named, not_method = raw(
        site, binh, ("GET", "/v1/hello", claims, None),
        post("add_candidate", {"unit_ref": branch_c, "name": "Giả Văn Mạo"}, **said),
        post("add_user", {"account": binh, "unit_ref": site.ids["top"], "role": "admin"}, **said),
        post("add_candidate", {"unit_ref": branch_b, "name": names[0]}, **said),
        post("add_candidate", {"unit_ref": branch_b, "name": names[1], "by": an, "user": an, "account": an}, **said),
        post("init", {"root_name": "Đảng bộ giả"}, **said))
    assert hello == (200, {"protocol": 1, "account": binh})
    for status, answer in (outside, grant):   # refused as binh, who is no editor there and no admin
        error = answer["error"]["data"]["$error"]
        assert status == 200 and "result" not in answer, answer
        assert error["key"].startswith("access.") and binh in json.dumps(error, ensure_ascii=False), answer
    assert not_method[1]["error"]["code"] == -32601, not_method
    assert inside[0] == 200 and inside[1]["result"]["value"]["f"]["name"] == names[0], inside
    done = [inside[1]["result"]["value"]["f"]["id"]]
    if "result" in named[1]:   # the names among the values were taken as a candidate's fields, or refused
        done.append(named[1]["result"]["value"]["f"]["id"])
    else:
        assert named[1]["error"]["code"] in (-32000, -32602), named

    # what was done was done as binh: the log, the candidates' history, the sink (with binh's uid from the kernel)
    log = site.data(an, "log", "--json")
    assert not [e for e in log if "Giả Văn Mạo" in json.dumps(e, ensure_ascii=False)]
    shown = site.ptdv_many([(an, ("candidate", "show", str(cid), "--json")) for cid in done])
    lines = sink_lines(site)
    for cid, ran in zip(done, shown):
        mine = [e for e in log if e["target"] == f"candidate:{cid}"]
        assert mine and {e["by"] for e in mine} == {binh}, mine
        assert {step["by"] for step in json.loads(ran.out)["history"]} == {binh}, str(ran)
        copied = [line for line in lines if line["entry"]["target"] == f"candidate:{cid}"]
        assert copied and {(line["entry"]["by"], line["peer_uid"]) for line in copied} == {(binh, site.uid(binh))}


def test_the_read_model_a_client_is_sent_holds_only_the_callers_candidates(site):
    """What RemoteService asks for (the catalogue and the candidates' parts), asked for by hand as binh: nothing
    of a candidate outside his ward, nor what a report of another ward counts (its report is refused him)."""
    binh, foreign, ward_c = site.binh, site.ids["live_c"], site.ids["ward_c"]
    branches_b, branches_c = set(site.ids["branches_b"]), site.ids["branches_c"]
    year = int(foreign["since"][:4])
    post = lambda method, args: ("POST", "/v1/rpc", {}, rpc(method, args))  # noqa: E731
    answers = raw(site, binh, post("read_model", {}), post("parts.get", {"cid": foreign["id"]}),
                  post("parts.of_units", {"units": branches_c}), post("parts.all", {}),
                  post("parts.names", {"words": foreign["name"].lower().split()}),
                  post("report", {"unit_ref": ward_c["unit"]}),
                  post("parts.report_counts", {"units": branches_c}),
                  post("parts.report_sums", {"pids": [ward_c["unit"]], "year": year}))
    model, got, of_c, every, hits, _report, report_counts, report_sums = \
        [answer.get("result", {}).get("value") for _status, answer in answers]
    assert [user["account"] for user in model["data"]["users"].values()] == [binh], model["data"]["users"]
    assert foreign["name"] not in json.dumps(model, ensure_ascii=False)
    assert got is None and of_c == []
    assert every and {c["f"]["unit"] for c in every} <= branches_b
    assert hits is not None and all(hit["v"][1] in branches_b for hit in hits), hits
    # the report of ward C is refused him ...
    assert answers[5][1]["error"]["data"]["$error"]["key"] == "access.no_role", answers[5]
    # ... and so is what it counts, per branch and quarter: stages, women, ethnic minority, religious, exits
    leaks = {"parts.report_counts": report_counts, "parts.report_sums": report_sums}
    assert not [name for name, value in leaks.items() if value not in (None, {"$map": []}, {})], \
        {name: json.dumps(value)[:400] for name, value in leaks.items()}


def test_the_audit_sink_keeps_every_entry_after_the_store_is_restored(site):
    an, binh = site.an, site.binh
    version = site.data(an, "backup", "list", "--json")[0]["version"]   # the store as it is now
    names = {binh: unique_name("Mai Văn", 4), an: unique_name("Mai Thị", 5)}
    writes = site.ptdv_many([
        (binh, ("candidate", "add", "--unit", str(site.ids["branches_b"][0]), "--name", names[binh], "--json")),
        (an, ("candidate", "add", "--unit", str(site.ids["branches_c"][0]), "--name", names[an], "--json"))])
    assert all(ran.code == 0 for ran in writes), "\n".join(map(str, writes))
    ids = {account: json.loads(ran.out)["id"] for account, ran in zip((binh, an), writes)}
    restored = site.ptdv(an, "restore", str(version))
    assert restored.code == 0, str(restored)
    after = site.ptdv_many([(an, ("candidate", "show", str(cid))) for cid in ids.values()])
    assert all(ran.code != 0 for ran in after), "\n".join(map(str, after))   # the restore undid both writes

    lines = sink_lines(site)
    for account, cid in ids.items():
        kept = [line for line in lines if line["entry"]["target"] == f"candidate:{cid}"]
        assert kept, f"the sink lost {account}'s write of candidate {cid}"
        assert {(line["entry"]["by"], line["peer_uid"]) for line in kept} == {(account, site.uid(account))}, kept
        assert names[account] in json.dumps(kept, ensure_ascii=False)
    # the restore itself: done by an, through the service (the kernel's uid is an's), so logged as an's
    restores = [line for line in lines if line["entry"]["action"] == "store.restore"]
    assert [(line["entry"]["by"], line["peer_uid"]) for line in restores] == [(an, site.uid(an))], restores
    # and no staff account can read it, write it or put another file in its place
    info = site.sink.stat()
    assert (info.st_uid, info.st_mode & 0o777) == (site.uid(site.svc), 0o600)
    assert site.sink.parent.stat().st_uid == site.uid(site.svc)
    for account in (an, binh, site.khach):   # its folder is like /var/log (0755): a look at the names is allowed
        got = {op: result for op, result in probe_files(site, account, [f"f:{site.sink}", f"d:{site.sink.parent}"])
               .items() if not op.startswith(("stat ", "list "))}
        assert got and set(got.values()) == {"PermissionError"}, (account, got)


WRITER = r"""
set -u
names=$1 acks=$2 fails=$3 stop=$4
shift 4
while IFS= read -r name; do
    [ -e "$stop" ] && break
    if out=$("$@" --name "$name" --json 2>"$fails.last"); then
        id=$(printf '%s\n' "$out" | sed -n 's/^  "id": \([0-9]*\),$/\1/p' | head -n 1)
        printf '%s\t%s\n' "$id" "$name" >>"$acks"
    else
        code=$?
        { printf '== %s %s\n' "$code" "$name"; cat "$fails.last"; } >>"$fails"
    fi
done <"$names"
"""


LIBRARY_WRITER = """
import os, sys, threading
from db.errors import PtdvError
from db.remote import RemoteService

names, socket_path, branch, acks, fails, stop = sys.argv[1:]
service = RemoteService(socket_path)
with open(names) as listed, open(acks, "a") as acked, open(fails, "a") as failed:
    for name in listed.read().splitlines():
        if os.path.exists(stop):
            break
        try:
            cand = service.add_candidate(int(branch), name)
        except PtdvError as err:
            failed.write(f"== 1 {name}\\nLỗi: {err.message('vi')}\\n")
            failed.flush()
            threading.Event().wait(0.05)   # a client trying again a little later
            continue
        acked.write(f"{cand.id}\\t{name}\\n")
        acked.flush()
"""


def count_lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def test_kill_9_of_the_service_during_writes_loses_no_acknowledged_write(site):
    """Two of binh's shells add candidates with the CLI in a loop, each recording what was acknowledged (exit
    status 0, the id printed), and a program of his adds them through the library as fast as it is answered (so
    the kill comes in the middle of a write), while the service is killed with SIGKILL and started again."""
    binh, branch = site.binh, str(site.ids["branches_b"][-1])
    work = site.base / "binh"
    work.mkdir(mode=0o700)
    os.chown(work, site.uid(binh), -1)
    writers = []
    for w in range(2):
        names = work / f"names{w}"
        names.write_text("".join(f"Quần chúng {spelled(int(TAG, 16), w, n)}\n" for n in range(500)))
        files = [work / f"{kind}{w}" for kind in ("acks", "fails")]
        proc = site.start(binh, ["/bin/bash", "-c", WRITER, "writer", str(names), *map(str, files),
                                 str(work / "stop"), *site.ptdv_args(("candidate", "add", "--unit", branch))])
        writers.append((proc, *files))
    files = [work / f"{kind}-library" for kind in ("acks", "fails")]
    names = work / "names-library"  # made here: binh may not read the tests' folder (a clone in /root)
    names.write_text("".join(f"Quần chúng {spelled(int(TAG, 16), 9, n)}\n" for n in range(5000)))
    writers.append((site.start(binh, [str(site.venv / "bin" / "python"), "-c", LIBRARY_WRITER, str(names),
                                      str(site.socket), branch, *map(str, files), str(work / "stop")]), *files))
    try:
        wait_for(lambda: all(count_lines(acks) for _, acks, _ in writers), "a write of each writer")
        os.kill(service_pid(site), signal.SIGKILL)
        site.service.communicate(timeout=WAIT_S)
        # down: the CLI says so, in the user's language, and the writers go on trying
        down = site.ptdv(binh, "candidate", "add", "--unit", branch, "--name", "Vũ Văn Chờ")
        refused_only(down)
        unavailable = vi("remote.unavailable", path=site.socket, detail=os.strerror(errno.ECONNREFUSED))
        assert unavailable in down.err, str(down)
        failing = [count_lines(fails) for _, _, fails in writers]
        wait_for(lambda: all(count_lines(fails) > n for (_, _, fails), n in zip(writers, failing)),
                 "each writer to be told the service is down")
        start_service(site)
        again = [count_lines(acks) for _, acks, _ in writers]
        wait_for(lambda: all(count_lines(acks) > n for (_, acks, _), n in zip(writers, again)),
                 "each writer to carry on once the service is back")
    finally:
        (work / "stop").touch()
        for proc, *_ in writers:
            try:
                proc.communicate(timeout=WAIT_S)
            finally:
                end(proc)

    # every failure a message a user reads: unavailable, or cut off with the request sent (not acknowledged)
    said = (vi("remote.unavailable", path=site.socket, detail="\0").split("\0")[0],
            vi("remote.interrupted", path=site.socket, detail="\0").split("\0")[0])
    for _, _, fails in writers:
        for report in fails.read_text().split("== ")[1:]:
            status, _, message = report.partition("\n")
            assert status.split()[0] == "1" and message.startswith("Lỗi: ") and "Traceback" not in message, report
            assert message.removeprefix("Lỗi: ").startswith(said), report
    acknowledged = dict(line.split("\t") for _, acks, _ in writers for line in acks.read_text().splitlines())
    assert len(acknowledged) >= 2 * len(writers) and all(cid.isdigit() for cid in acknowledged)
    present = {str(c["id"]): c["name"] for c in site.data(site.an, "candidate", "list", branch, "--all", "--json")}
    lost = {cid: name for cid, name in acknowledged.items() if present.get(cid) != name}
    assert not lost, f"acknowledged and not in the store after kill -9: {lost}"
