"""The service's protocol and what it gives whom (db/server.py, db/remote.py, db/wire.py; docs/SERVICE.md), with a
service in this process.  The same with real accounts and ``ptdv serve`` processes: test_service_accounts.py."""
from __future__ import annotations

import http.client
import os
import socket
import threading
import time
from datetime import date, datetime
from pathlib import Path

import orjson
import pytest

from conftest import OFFICER, TODAY, build_small, caller
from db import protocol, wire
from db.access import AccessError
from db.errors import PtdvError
from db.identity import Caller
from db.remote import RemoteService
from db.server import Hub, Listener, Sink
from db.service import Service
from db.model import Settings
from db.store import PRUNE_EVERY, Store

ADMIN = "canbo.tochuc"


class Running:
    """A service of ``path`` in this process, acting for whoever ``self.account`` names (the kernel would say
    root for every connection of this test)."""

    def __init__(self, path: Path, folder: Path, account: str, sink: Path | None = None) -> None:
        self.account = account
        self.socket_path = folder / "ptdv.sock"
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(str(self.socket_path))
        self.failures: list[BaseException] = []
        self.listener = Listener(sock, Hub(Store(path), Sink(sink)), self.failures.append,
                                 who=lambda _conn: Caller(-1, self.account))
        threading.Thread(target=self.listener.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def client(self) -> RemoteService:
        return RemoteService(self.socket_path, today=TODAY)

    def post(self, body: bytes) -> dict:
        conn = http.client.HTTPConnection("ptdv")
        conn.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.sock.connect(str(self.socket_path))
        conn.request("POST", protocol.RPC_PATH, body=body, headers={"Content-Type": "application/json"})
        answer = orjson.loads(conn.getresponse().read())
        conn.close()
        return answer

    def stop(self) -> None:
        self.listener.stop()
        self.listener.server_close()


@pytest.fixture
def serving(store_path, tmp_path):
    """The small store, an editor of Phước Mỹ besides its admin, serving; the service acts for the admin until
    a test says otherwise."""
    admin = Service(Store(store_path), caller=caller(ADMIN), today=TODAY)
    ids = build_small(admin)
    admin.add_user(OFFICER, ids["phuoc_my"], "editor")
    running = Running(store_path, tmp_path, ADMIN, tmp_path / "sink" / "audit.jsonl")
    yield running, ids
    running.stop()
    assert not running.failures


def test_a_remote_service_answers_as_the_store_does(serving, store_path):
    running, ids = serving
    here, there = Service(Store(store_path), caller=caller(ADMIN), today=TODAY), running.client()
    assert there.user == ADMIN
    assert there.candidate(ids["cand1"]) == here.candidate(ids["cand1"])
    assert [c.id for c in there.candidates(ids["phuoc_my"])] == [c.id for c in here.candidates(ids["phuoc_my"])]
    assert there.unit_figures(ids["city"], 2024) == here.unit_figures(ids["city"], 2024)
    assert there.state().path(ids["pm1"]) == here.state().path(ids["pm1"])
    assert [item.candidate.id for item in there.due(ids["city"])] == [item.candidate.id for item in here.due(ids["city"])]
    assert there.report(ids["city"], 2024).rows == here.report(ids["city"], 2024).rows


def test_a_write_through_the_service_is_the_callers_in_the_store_and_in_the_sink(serving, store_path, tmp_path):
    running, ids = serving
    running.account = OFFICER
    cand = running.client().add_candidate(ids["pm1"], "Đinh Thị Mới", date_="01/11/2024")
    assert Service(Store(store_path), today=TODAY, caller=caller(ADMIN)).candidate(cand.id).name == "Đinh Thị Mới"
    last = Store(store_path).audit_since(0)[-1]
    assert (last["by"], last["target"]) == (OFFICER, f"candidate:{cand.id}")
    sunk = [orjson.loads(line) for line in (tmp_path / "sink" / "audit.jsonl").read_bytes().splitlines()]
    assert [line["entry"] for line in sunk] == [e for e in Store(store_path).audit_since(0) if e["seq"] == last["seq"]]
    assert sunk[-1]["peer_uid"] == os.geteuid() and sunk[-1]["peer_pid"] == os.getpid()


def test_the_sink_keeps_what_a_restore_undid(serving, store_path, tmp_path):
    running, ids = serving
    there = running.client()
    version = there.backups()[0]["version"]
    cand = there.add_candidate(ids["pm1"], "Đinh Thị Mới", date_="01/11/2024")
    there.restore(version)
    with pytest.raises(PtdvError):
        Service(Store(store_path), caller=caller(ADMIN), today=TODAY).candidate(cand.id)
    sunk = [orjson.loads(line)["entry"] for line in (tmp_path / "sink" / "audit.jsonl").read_bytes().splitlines()]
    assert [(e["action"], e["by"]) for e in sunk] == [("candidate.add", ADMIN), ("store.restore", ADMIN)]
    assert sunk[0]["after"]["name"] == "Đinh Thị Mới"
    assert oct((tmp_path / "sink" / "audit.jsonl").stat().st_mode & 0o777) == "0o600"


def test_old_backups_are_dropped_between_the_services_answers(serving, store_path):
    running, ids = serving
    there = running.client()
    for n in range(Settings().backups_kept + 2 * PRUNE_EVERY):
        there.set_members(ids["pm1"], 40 + n, 2024)
    oldest_kept = min(b["version"] for b in there.backups())
    folder = Store(store_path).backups_dir

    def oldest_on_disk() -> int:
        return min(int(name.split("-")[0]) for name in os.listdir(folder))
    deadline = time.monotonic() + 30
    while oldest_on_disk() < oldest_kept:  # dropped by the service after it answered, within its next look
        assert time.monotonic() < deadline, f"backups older than the oldest kept version stay: {oldest_on_disk()}"
        time.sleep(0.05)


def asked_of(running: Running) -> list[str]:
    """The methods the service is asked from now on, in order."""
    asked: list[str] = []
    hub = running.listener.hub
    call = hub.call
    hub.call = lambda caller, peer, method, *rest: (asked.append(method), call(caller, peer, method, *rest))[1]
    return asked


def test_the_app_asking_whether_the_top_is_a_branch_fetches_no_list_of_branches(serving):
    """The app's start at the top asks whether the unit is a branch (which screen to open): through a service,
    looking among the branches fetched all of them (1.2 MB at metro scale, 0.4 s of the first paint)."""
    running, ids = serving
    asked = asked_of(running)
    state = running.client().state()
    assert not state.is_leaf(ids["city"])
    assert "parts.branches" not in asked
    assert state.is_leaf(ids["pm1"])  # a branch is one


def test_a_branchs_path_is_asked_for_that_branch_alone(serving, store_path):
    """``candidate show`` names the candidate's branch by its path: through a service it fetched the list of every
    branch for it (0.27 s of 0.67 at metro scale); a few branches are asked for one by one."""
    running, ids = serving
    asked = asked_of(running)
    state = running.client().state()
    embedded = Service(Store(store_path), caller=caller(ADMIN), today=TODAY).state()
    for branch in ("pm1", "ahb1"):
        assert state.path(ids[branch]) == embedded.path(ids[branch])
    assert "parts.branches" not in asked and asked.count("parts.branch") == 2


def test_an_editor_gets_no_candidate_outside_their_units_from_any_question(serving):
    running, ids = serving
    running.account = OFFICER
    there = running.client()
    outside = {ids["cand4"], ids["cand5"], ids["cand6"]}  # An Hải Bắc, Thạch Thang
    inside = {c.id for c in there.candidates(ids["phuoc_my"])}
    assert inside and not inside & outside
    with pytest.raises(AccessError):
        there.candidate(ids["cand5"])
    with pytest.raises(AccessError):
        there.candidates(ids["thach_thang"])
    assert not {hit.id for hit in there.search_candidates("thi")} & outside
    state = there.state()  # the read model kept by the client: units for all, candidates of theirs only
    assert state.candidates.get(ids["cand5"]) is None
    assert {c.id for c in state.source.all()} == {c.id for c in state.source.of_units(state.units)} == inside
    assert not {hit.id for hit in state.source.names()} & outside
    assert set(state.users) == {OFFICER}  # the others' grants are not sent


def test_identity_is_never_taken_from_the_request(serving, store_path):
    running, ids = serving
    running.account = OFFICER
    for params in ({"args": {"account": ADMIN, "unit_ref": ids["city"], "role": "admin"}, "caller": ADMIN,
                    "user": ADMIN},):
        answer = running.post(orjson.dumps({"jsonrpc": "2.0", "id": 1, "method": "add_user", "params": params}))
        assert answer["error"]["code"] == protocol.REFUSED
        assert answer["error"]["data"]["$error"]["kind"] == "access"
    answer = running.post(orjson.dumps({"jsonrpc": "2.0", "id": 2, "method": "add_candidate",
                                        "params": {"args": {"unit_ref": ids["pm1"], "name": "Lê Văn Tên",
                                                            "caller": {"$": "Caller", "f": {"uid": 0,
                                                                                            "account": ADMIN}}}}}))
    assert answer["error"]["code"] == protocol.INVALID_PARAMS  # no type Caller on the wire, no such field
    assert Store(store_path).state().users[OFFICER].role == "editor"


@pytest.mark.parametrize("body, code", [
    (b"{not json", protocol.PARSE_ERROR),
    (b'["jsonrpc"]', protocol.INVALID_REQUEST),
    (b'{"jsonrpc": "1.0", "method": "root", "id": 1}', protocol.INVALID_REQUEST),
    (b'{"jsonrpc": "2.0", "method": "_require", "id": 1}', protocol.METHOD_NOT_FOUND),
    (b'{"jsonrpc": "2.0", "method": "init", "id": 1, "params": {"args": {"root_name": "X"}}}', protocol.METHOD_NOT_FOUND),
    (b'{"jsonrpc": "2.0", "method": "store", "id": 1}', protocol.METHOD_NOT_FOUND),
    (b'{"jsonrpc": "2.0", "method": "candidate", "id": 1, "params": {"args": {"nope": 1}}}', protocol.INVALID_PARAMS),
    (b'{"jsonrpc": "2.0", "method": "candidate", "id": 1, "params": {"args": {"cid": {"$": "os.system"}}}}',
     protocol.INVALID_PARAMS),
    (b'{"jsonrpc": "2.0", "method": "parts.forget", "id": 1}', protocol.REFUSED),
])
def test_a_request_outside_the_protocol_gets_its_json_rpc_error_and_changes_nothing(serving, store_path, body, code):
    running, _ids = serving
    before = Store(store_path).audit_since(0)
    answer = running.post(body)
    assert answer["jsonrpc"] == "2.0" and answer["error"]["code"] == code
    assert Store(store_path).audit_since(0) == before


def test_a_refusal_is_worded_by_the_service_in_both_languages(serving):
    running, ids = serving
    running.account = "nobody.here"
    with pytest.raises(AccessError) as caught:
        running.client().candidates(ids["pm1"])
    assert "nobody.here" in caught.value.message("vi") and "nobody.here" in caught.value.message("en")
    assert caught.value.message("vi") != caught.value.message("en")


def test_an_open_app_hears_of_a_write_by_another_session(serving, store_path):
    running, ids = serving
    watcher, writer = running.client().store.session(), running.client()
    assert watcher.changed() is False  # starts listening
    writer.advance(ids["cand2"])
    for _ in range(200):
        if watcher.changed():
            break
        threading.Event().wait(0.05)
    else:
        pytest.fail("no news of the write")
    assert watcher.state().candidates[ids["cand2"]].stage == writer.candidate(ids["cand2"]).stage


def test_a_service_that_is_not_there_is_said_in_the_users_language(tmp_path):
    service = RemoteService(tmp_path / "none.sock", today=TODAY)
    with pytest.raises(PtdvError) as caught:
        service.root()
    assert caught.value.key == "remote.unavailable"
    assert str(tmp_path / "none.sock") in caught.value.message("vi")


@pytest.mark.parametrize("value", [
    date(2024, 11, 15), datetime(2024, 11, 15, 9, 30).astimezone(), (1, "a"), {1, 2}, {1: "a", (2, 3): [4]},
    {"$": "looks like a type"}, [None, True, 1.5, "chữ"], 10 ** 40, -(2 ** 63) - 1, b"\x00PK\xff",
])
def test_the_wire_gives_back_what_it_was_given(value):
    assert wire.loads(wire.dumps(value)) == value


def test_the_wire_carries_every_record_the_service_returns(small):
    service, ids = small
    for value in (service.candidate(ids["cand1"]), service.unit_figures(ids["city"], 2024),
                  service.due(ids["city"]), service.report(ids["city"], 2024), service.lineage(ids["pm1"]),
                  service.papers(service.candidate(ids["cand3"])), service.whoami(), service.calendar(2024)):
        assert wire.loads(wire.dumps(value)) == value
