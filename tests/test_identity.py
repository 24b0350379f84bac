"""Issue 15, item 5: who acts is the OS account the kernel names — the process's own in a store in a file, the peer
of the Unix socket in a service — and no API takes a user name from its caller."""
from __future__ import annotations

import os
import pwd
import shutil
import socket
import struct
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from db.errors import PtdvError
from db.identity import Caller, current_user
from db.service import Service
from db.store import Store

from conftest import TODAY, caller
from test_shared_store import as_account

ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run a process as another uid")


def test_a_store_takes_no_user_name(store_path):
    with pytest.raises(TypeError):
        Store(store_path, user="boss")  # type: ignore[call-arg]
    assert Store(store_path).user == pwd.getpwuid(os.geteuid()).pw_name


def test_the_process_is_its_effective_uids_account():
    me = Caller.of_process()
    assert me == Caller(os.geteuid(), pwd.getpwuid(os.geteuid()).pw_name)
    assert current_user() == me.account


def test_a_write_through_the_service_of_a_file_names_the_process_account(store_path):
    service = Service(Store(store_path), today=TODAY)
    root = service.init("Đảng bộ thử")
    service.add_unit("Chi bộ 1", root.id, "branch")
    assert [e["by"] for e in service.log()] == [Caller.of_process().account] * 2


def test_a_write_for_the_peer_of_a_socket_names_the_account_the_kernel_gives_not_what_was_sent(store_path):
    root = Service(Store(store_path), today=TODAY).init("Đảng bộ thử")
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    with ours, theirs:
        claim = struct.pack("3i", os.getpid(), os.geteuid() + 1, 0) + b"boss\n"   # what a liar would write
        theirs.sendall(claim)
        peer = Caller.of_peer(ours)
        assert ours.recv(len(claim)) == claim   # unread until now: the kernel said who it is
    assert peer == Caller.of_process()          # one process holds both ends: the same uid
    Service(Store(store_path), caller=peer, today=TODAY).add_unit("Chi bộ 1", root.id, "branch")
    assert Service(Store(store_path), today=TODAY).log()[-1]["by"] == pwd.getpwuid(os.geteuid()).pw_name


def test_a_write_made_for_a_caller_names_the_caller_to_whoever_waits_for_the_lock(store_path):
    service = Service(Store(store_path), today=TODAY)
    root = service.init("Đảng bộ thử")
    branch = service.add_unit("Chi bộ 1", root.id, "branch")
    service.add_user("canbo.pm", root.id, "editor")
    with Store(store_path).transaction(by="canbo.pm"):
        with pytest.raises(PtdvError) as err:
            Service(Store(store_path, lock_timeout=0), today=TODAY).add_candidate(branch.id, "Nguyễn Văn An")
    assert err.value.key == "store.locked_by" and err.value.params["account"] == "canbo.pm"
    Service(Store(store_path), caller=caller("canbo.pm"), today=TODAY).add_candidate(branch.id, "Nguyễn Văn An")
    assert service.log()[-1]["by"] == "canbo.pm"


@contextmanager
def peer_as(uid: int) -> Iterator[socket.socket]:
    """A connection from a child process that ran as ``uid``: it connected to an abstract Unix socket (no file,
    so no permission to give) and went; the connection waits in the backlog, with what the kernel recorded."""
    address = f"\0ptdv-test-identity-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(address)
        listener.listen(1)
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            connected = False
            try:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(uid)
                socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).connect(address)
                connected = True
            finally:
                os._exit(0 if connected else 1)
        assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0, "the child could not connect"
        conn, _ = listener.accept()
        with conn:
            yield conn


@ROOT_ONLY
def test_a_service_run_by_one_account_logs_the_write_of_another_as_that_account(store_path):
    nobody = pwd.getpwnam("nobody")
    service = Service(Store(store_path), today=TODAY)   # the service's own account (here root) built the store
    root = service.init("Đảng bộ thử")
    branch = service.add_unit("Chi bộ 1", root.id, "branch")
    service.add_user(nobody.pw_name, root.id, "editor")
    with peer_as(nobody.pw_uid) as conn:
        peer = Caller.of_peer(conn)
    assert peer == Caller(nobody.pw_uid, nobody.pw_name)
    Service(service.store, caller=peer, today=TODAY).add_candidate(branch.id, "Nguyễn Văn An")
    assert service.log()[-1]["by"] == nobody.pw_name
    assert Store(store_path).user == pwd.getpwuid(os.geteuid()).pw_name   # the store's own account is unchanged


@ROOT_ONLY
def test_a_peer_whose_uid_has_no_account_is_refused_in_the_users_language():
    uid = next(n for n in range(61000, 65000) if not _named(n))
    with peer_as(uid) as conn:
        with pytest.raises(PtdvError) as err:
            Caller.of_peer(conn)
    assert err.value.key == "identity.no_account"
    assert f"uid {uid}" in err.value.message("en") and "no account" in err.value.message("en")
    assert f"uid {uid}" in err.value.message("vi") and "không ứng với tài khoản nào" in err.value.message("vi")


def _named(uid: int) -> bool:
    try:
        pwd.getpwuid(uid)
    except KeyError:
        return False
    return True


@pytest.fixture
def nobodys_folder() -> Iterator[Path]:
    """A folder of the account nobody, which it can reach (pytest's own folders are root's alone)."""
    base = Path(tempfile.mkdtemp(prefix="ptdv-identity-"))
    try:
        os.chmod(base, 0o711)
        folder = base / "nobody"
        folder.mkdir()
        os.chown(folder, pwd.getpwnam("nobody").pw_uid, pwd.getpwnam("nobody").pw_gid)
        yield folder
    finally:
        shutil.rmtree(base, ignore_errors=True)


@ROOT_ONLY
def test_sudo_u_is_recorded_as_the_account_it_ran_as(nobodys_folder):
    """What ``sudo -u nobody ptdv …`` does: the process runs as nobody (its uid, its groups), with the variables
    sudo leaves naming the account that ran sudo."""

    def as_sudo_left_it():
        os.environ.update(SUDO_USER="root", USER="root", LOGNAME="root")
        service = Service(Store(nobodys_folder / "ptdv.json"), today=TODAY)
        service.add_unit("Chi bộ 1", service.init("Đảng bộ thử").id, "branch")
        return [e["by"] for e in service.log()]
    assert as_account("nobody", as_sudo_left_it) == ("ok", ["nobody", "nobody"])
