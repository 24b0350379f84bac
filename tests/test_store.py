"""db.store: a private file, safe under several processes, kills and full disks; damaged files are never overwritten."""
from __future__ import annotations

import errno
import fcntl
import os
import pwd
import random
import shutil
import stat
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import orjson
import pytest

from db.errors import PtdvError
from db.service import Service
from db.store import Store, default_path

from conftest import TODAY, part_files, part_holding

ROOT = Path(__file__).resolve().parents[1]
WORKER = Path(__file__).resolve().with_name("store_worker.py")


def start_worker(path: Path, unit: int, count: int) -> subprocess.Popen:
    """Another user adding ``count`` candidates (0: until killed); prints each acknowledged id."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, str(WORKER), str(path), str(unit), str(count)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def acknowledged(output: str) -> list[int]:
    """Ids on complete lines only: a line cut short by a kill was never acknowledged."""
    return [int(line) for line in output.split("\n")[:-1]]


def store_files(path: Path) -> dict[str, bytes]:
    """Every file of the store with its bytes: the catalogue, parts, counters, audit (not caches)."""
    store = Store(path)
    files = [store.path, store.audit_path, store.counters_path, *part_files(path)]
    return {f.name: f.read_bytes() for f in files if f.exists()}


def leftovers(path: Path) -> list[str]:
    """Temporary or pending files of a write left anywhere in the store."""
    store = Store(path)
    found = [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    for folder in (store.parts_dir, store.pending_dir):
        if folder.exists():
            found += [p for p in folder.iterdir()
                      if p.is_file() and (folder == store.pending_dir or p.name.endswith(".json.tmp")
                                          and not p.name.endswith(".sum.json.tmp"))]
    return sorted(p.name for p in found)


@pytest.fixture
def branches(service):
    """A top unit with two branches; returns the service and the two branch ids."""
    root = service.init("Đảng bộ phường Phước Mỹ")
    one = service.add_unit("Chi bộ khu dân cư số 1", root.id, "branch")
    two = service.add_unit("Chi bộ khu dân cư số 2", root.id, "branch")
    return service, one.id, two.id


# -- privacy ------------------------------------------------------------------------------
def test_a_new_store_is_readable_by_its_owner_only(service, store_path):
    service.init("Đảng bộ thử")
    assert stat.S_IMODE(store_path.stat().st_mode) == 0o600
    assert not stat.S_IMODE(service.store.lock_path.stat().st_mode) & 0o077
    service.add_unit("Chi bộ 1", "Đảng bộ thử")   # the atomic replace keeps the mode
    assert stat.S_IMODE(store_path.stat().st_mode) == 0o600


def test_a_new_folder_is_private_too(tmp_path):
    path = tmp_path / "data" / "ptdv.json"
    Service(Store(path), today=TODAY).init("Đảng bộ thử")
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_store_in_a_group_shared_folder_can_be_read_and_locked_by_the_group(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir()
    os.chmod(folder, 0o2770)   # setgid: the staff's shared folder
    old_umask = os.umask(0o077)  # a cautious first user
    try:
        service = Service(Store(folder / "ptdv.json"), today=TODAY)
        service.init("Đảng bộ thử")
        service.add_unit("Chi bộ 1", "Đảng bộ thử")
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE((folder / "ptdv.json").stat().st_mode) == 0o660
    # flock needs only read access to the lock file: the group must be able to open it.
    assert stat.S_IMODE((folder / "ptdv.json.lock").stat().st_mode) & 0o040
    assert not stat.S_IMODE((folder / "ptdv.json.lock").stat().st_mode) & 0o007


def test_changes_are_attributed_to_the_os_account_not_to_environment_variables(branches, monkeypatch):
    service, one, _ = branches
    monkeypatch.setenv("USER", "mallory")
    monkeypatch.setenv("LOGNAME", "mallory")
    Service(Store(service.store.path), today=TODAY).add_candidate(one, "Nguyễn Văn An")
    assert service.log()[-1]["by"] == pwd.getpwuid(os.geteuid()).pw_name


# -- several processes --------------------------------------------------------------------
def test_four_processes_adding_fifty_candidates_each_lose_nothing(branches, store_path):
    _, one, two = branches
    workers = [start_worker(store_path, unit, 50) for unit in (one, two, one, two)]
    results = [w.communicate(timeout=120) for w in workers]
    for worker, (_, err) in zip(workers, results):
        assert worker.returncode == 0, err
    acked = [cid for out, _ in results for cid in acknowledged(out)]
    assert len(acked) == 200 and len(set(acked)) == 200

    orjson.loads(store_path.read_bytes())   # still valid JSON
    fresh = Service(Store(store_path))      # today: the workers dated their candidates with the real date
    assert sorted(fresh.state().candidates) == sorted(acked)
    adds = [e for e in fresh.log() if e["action"] == "candidate.add"]
    assert sorted(int(e["target"].split(":")[1]) for e in adds) == sorted(acked)
    assert len(fresh.candidates(one)) == len(fresh.candidates(two)) == 100
    assert fresh.check() == []
    assert leftovers(store_path) == []


def test_a_writer_killed_at_random_moments_loses_no_acknowledged_write(branches, store_path):
    _, one, _ = branches
    rng = random.Random()
    every: list[int] = []
    for _ in range(8):
        worker = start_worker(store_path, one, 0)
        first = worker.stdout.readline()            # it is writing now
        time.sleep(rng.uniform(0, 0.15))
        worker.kill()                              # SIGKILL: no cleanup, maybe in the middle of a write
        rest, _ = worker.communicate(timeout=10)
        acked = acknowledged(first + rest)
        assert acked, worker.stderr
        state = Store(store_path).state()          # the file still loads ...
        assert set(acked) <= set(state.candidates)  # ... and holds every write that returned
        every += acked
    assert len(every) == len(set(every))
    fresh = Service(Store(store_path))
    fresh.add_candidate(one, "Nguyễn Văn An")   # the next write clears the copies killed writers left behind
    assert leftovers(store_path) == []
    assert fresh.check() == []
    assert sum(e["action"] == "candidate.add" for e in fresh.log()) == len(fresh.state().candidates)


def test_a_stale_revision_is_refused_and_the_other_change_kept(branches, store_path):
    alice, one, _ = branches
    bob = Service(Store(store_path), today=TODAY)
    cand = alice.add_candidate(one, "Trần Thị Bình", residence="Tổ 1")
    seen = alice.candidate(cand.id)                                    # Alice opens the form
    bob.edit(cand.id, {"residence": "Tổ 5"}, expected_rev=seen.rev)     # Bob saves first
    for attempt in (lambda: alice.edit(cand.id, {"residence": "Tổ 9"}, expected_rev=seen.rev),
                    lambda: alice.advance(cand.id, "class", "01/11/2024", expected_rev=seen.rev),
                    lambda: alice.exit(cand.id, "moved away", expected_rev=seen.rev)):
        with pytest.raises(PtdvError) as err:
            attempt()
        assert err.value.key == "candidate.stale"
        assert f"#{cand.id}" in err.value.message("vi") and "Trần Thị Bình" in err.value.message("en")
    kept = Service(Store(store_path), today=TODAY).candidate(cand.id)
    assert kept.residence == "Tổ 5" and kept.rev == seen.rev + 1 and kept.stage == "source" and kept.live
    # With the current revision Alice's save goes through.
    assert alice.edit(cand.id, {"residence": "Tổ 9"}, expected_rev=kept.rev).residence == "Tổ 9"


def test_an_open_store_sees_another_process_write_and_keeps_ids_unique(branches, store_path):
    service, one, two = branches
    first = service.add_candidate(one, "Nguyễn Văn An")
    assert service.candidates(one) == [first]              # the open store has read the file
    audit_before = len(service.log())
    worker = start_worker(store_path, two, 5)
    out, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err
    foreign = acknowledged(out)
    assert service.store.changed()
    assert {c.id for c in service.candidates(two)} == set(foreign)
    local = service.add_candidate(one, "Lê Văn Cường")      # after a foreign insert: the next id is fresh
    assert local.id not in foreign and local.id != first.id
    on_disk = Store(store_path).state().candidates
    assert sorted(on_disk) == sorted([first.id, local.id, *foreign])
    log = service.log()
    assert len(log) == audit_before + 6
    assert len({e["seq"] for e in log}) == len(log)


def test_an_error_inside_a_transaction_discards_its_changes(branches, store_path):
    service, one, _ = branches
    before = store_files(store_path)
    with pytest.raises(PtdvError):
        service.add_candidate(one, "Nguyễn Văn An", date_="01/12/2024")   # in the future: refused mid-way
    assert store_files(store_path) == before
    assert service.candidates(one) == []
    assert service.add_candidate(one, "Nguyễn Văn An").id == 1


def test_a_transaction_that_changes_nothing_does_not_rewrite_the_file(branches, store_path):
    service, _, _ = branches
    inode = store_path.stat().st_ino
    with service.store.transaction():
        pass
    assert store_path.stat().st_ino == inode


# -- damaged files ------------------------------------------------------------------------
def _set(data: dict, table: str, key: str, **values) -> dict:
    data[table][key].update(values)
    return data


DAMAGE = {
    "invalid JSON": ("store.damaged", lambda raw: b"{ this is not json"),
    "truncated": ("store.damaged", lambda raw: raw[: len(raw) // 2]),
    "empty": ("store.damaged", lambda raw: b""),
    "unknown schema": ("store.version", lambda raw: orjson.dumps(_set(orjson.loads(raw), "meta", "1", schema=99))),
    "members as a list": ("store.invalid", lambda raw: orjson.dumps(_set(orjson.loads(raw), "units", "1", members=[45]))),
    "a level's order as text": ("store.invalid", lambda raw: orjson.dumps(
        _set(orjson.loads(raw), "levels", "1", order="đầu tiên"))),
}

PART_DAMAGE = {
    "invalid JSON": ("store.damaged", lambda raw: b"{ this is not json"),
    "truncated": ("store.damaged", lambda raw: raw[: len(raw) // 2]),
    "unknown schema": ("store.version", lambda raw: orjson.dumps(_set(orjson.loads(raw), "meta", "1", schema=99))),
    "candidate unit as text": ("store.invalid", lambda raw: orjson.dumps(
        _set(orjson.loads(raw), "candidates", "1", unit="Chi bộ 1"))),
    "stage date as a number": ("store.invalid", lambda raw: orjson.dumps(
        _set(orjson.loads(raw), "candidates", "1", history=[{"stage": "source", "date": 20240101}]))),
    "unknown stage": ("store.invalid", lambda raw: orjson.dumps(
        _set(orjson.loads(raw), "candidates", "1", history=[{"stage": "promoted", "date": "2024-01-01"}]))),
    "a branch's members as a list": ("store.invalid", lambda raw: orjson.dumps(
        _set(orjson.loads(raw), "units", "2", members=[45]))),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_catalogue_is_reported_by_name_and_never_written_over(branches, store_path, damage):
    service, one, _ = branches
    cand = service.add_candidate(one, "Nguyễn Văn An")
    assert service.candidates(one) == [cand]   # this session has read the good file
    key, spoil = DAMAGE[damage]
    store_path.write_bytes(spoil(store_path.read_bytes()))
    spoiled = store_files(store_path)
    fresh = Service(Store(store_path), today=TODAY)
    for session in (service, fresh):
        with pytest.raises(PtdvError) as err:   # records are read as asked: the top unit's here
            session.state().path(one)
        assert err.value.key == key
        for lang in ("vi", "en"):
            assert str(store_path) in err.value.message(lang)
        for write in (lambda: session.add_candidate(one, "Lê Văn Cường"),
                      lambda: session.edit(cand.id, {"residence": "Tổ 2"}),
                      lambda: session.add_unit("Chi bộ mới", "1"),
                      lambda: session.set_quota("1", 2024, target=3)):
            with pytest.raises(PtdvError) as err:
                write()
            assert err.value.key == key
            assert str(store_path) in err.value.message("vi")
        assert store_files(store_path) == spoiled
    assert leftovers(store_path) == []


@pytest.mark.parametrize("damage", list(PART_DAMAGE))
def test_a_damaged_part_is_reported_by_name_never_written_over_and_the_rest_still_works(branches, store_path,
                                                                                         damage):
    service, one, _ = branches
    cand = service.add_candidate(one, "Nguyễn Văn An")
    assert service.candidates(one) == [cand]
    part = part_holding(store_path, cand.id)
    key, spoil = PART_DAMAGE[damage]
    part.write_bytes(spoil(part.read_bytes()))
    spoiled = part.read_bytes()
    fresh = Service(Store(store_path), today=TODAY)
    for session in (service, fresh):
        for use in (lambda: session.candidates(one),
                    lambda: session.add_candidate(one, "Lê Văn Cường"),
                    lambda: session.edit(cand.id, {"residence": "Tổ 2"}),
                    session.check):
            with pytest.raises(PtdvError) as err:
                use()
            assert err.value.key == key
            for lang in ("vi", "en"):
                assert str(part) in err.value.message(lang)
        assert part.read_bytes() == spoiled
    # the catalogue, and so every other unit and quota, is untouched by one bad part
    fresh.set_quota("1", 2024, target=3)
    assert fresh.state().quotas[(1, 2024)].target == 3
    assert part.read_bytes() == spoiled
    assert leftovers(store_path) == []


# -- failed writes --------------------------------------------------------------------------
@pytest.mark.parametrize("failing", ["replace", "fsync"])
def test_a_full_disk_saves_nothing_and_the_next_write_works(branches, store_path, monkeypatch, failing):
    service, one, _ = branches
    service.add_candidate(one, "Nguyễn Văn An")
    before = store_files(store_path)

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(os, failing, disk_full)
    with pytest.raises(PtdvError) as err:
        service.add_candidate(one, "Trần Thị Bình")
    monkeypatch.undo()
    assert err.value.key == "store.disk_full"
    assert str(store_path) in err.value.message("vi")
    assert store_files(store_path) == before
    assert leftovers(store_path) == []
    assert [c.name for c in service.candidates(one)] == ["Nguyễn Văn An"]   # not even in this session
    service.add_candidate(one, "Lê Văn Cường")
    assert sorted(c.name for c in Store(store_path).state().candidates.values()) == ["Lê Văn Cường", "Nguyễn Văn An"]


@contextmanager
def read_only(*folders: Path):
    """Make ``folders`` read-only (for their owner: a store others can enter is refused); root ignores modes,
    so fall back to the immutable attribute."""
    immutable: list[Path] = []
    try:
        for folder in folders:
            os.chmod(folder, 0o500)
            if _can_create_in(folder) and shutil.which("chattr"):
                if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0:
                    immutable.append(folder)
            if _can_create_in(folder):
                pytest.skip("running as root: the folder cannot be made read-only here")
        yield
    finally:
        for folder in immutable:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        for folder in folders:
            os.chmod(folder, 0o700)


def _can_create_in(folder: Path) -> bool:
    probe = folder / ".probe"
    try:
        probe.touch()
    except OSError:
        return False
    probe.unlink()
    return True


def test_a_read_only_folder_refuses_writes_clearly_and_still_reads(branches, store_path):
    service, one, _ = branches
    service.add_candidate(one, "Nguyễn Văn An")
    before = store_files(store_path)
    store = service.store
    with read_only(store_path.parent, store.parts_dir, store.pending_dir):
        reader = Service(Store(store_path), today=TODAY)
        assert [c.name for c in reader.candidates(one)] == ["Nguyễn Văn An"]
        with pytest.raises(PtdvError) as err:
            reader.add_candidate(one, "Trần Thị Bình")
        assert err.value.key == "store.unwritable"
        assert str(store_path) in err.value.message("en")
        assert store_files(store_path) == before
    service.add_candidate(one, "Trần Thị Bình")
    assert len(Store(store_path).state().candidates) == 2


def test_a_held_lock_gives_store_locked_after_the_timeout(branches, store_path):
    service, one, _ = branches
    impatient = Service(Store(store_path, lock_timeout=0.3), today=TODAY)
    before = store_files(store_path)
    holder = os.open(service.store.lock_path, os.O_RDWR)
    fcntl.flock(holder, fcntl.LOCK_EX)                  # someone else is saving
    try:
        started = time.monotonic()
        with pytest.raises(PtdvError) as err:
            impatient.add_candidate(one, "Nguyễn Văn An")
        assert 0.3 <= time.monotonic() - started < 3
        assert err.value.key == "store.locked"
        assert str(store_path) in err.value.message("vi")
        assert store_files(store_path) == before
        assert impatient.candidates(one) == []          # reading does not wait for the lock
    finally:
        os.close(holder)
    assert impatient.add_candidate(one, "Nguyễn Văn An").name == "Nguyễn Văn An"


# -- where the store is -------------------------------------------------------------------
def test_ptdv_db_chooses_the_default_path(monkeypatch, tmp_path):
    monkeypatch.setenv("PTDV_DB", str(tmp_path / "elsewhere.json"))
    assert default_path() == tmp_path / "elsewhere.json"
    monkeypatch.setenv("PTDV_DB", "~/ptdv-test.json")
    assert default_path() == Path.home() / "ptdv-test.json"
    monkeypatch.delenv("PTDV_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_path() == tmp_path / "xdg" / "ptdv" / "ptdv.json"


def test_creating_over_an_existing_store_and_reading_a_missing_one_are_refused(branches, store_path, tmp_path):
    service, _, _ = branches
    before = store_path.read_bytes()
    with pytest.raises(PtdvError) as err:
        service.init("Đảng bộ khác")
    assert err.value.key == "store.exists" and store_path.read_bytes() == before
    for missing in (tmp_path / "nowhere.json", tmp_path / "no folder" / "ptdv.json"):
        for attempt in (lambda: Service(Store(missing)).state(), lambda: Service(Store(missing)).add_unit("A", "B")):
            with pytest.raises(PtdvError) as err:
                attempt()
            assert err.value.key == "store.missing"
            assert str(missing) in err.value.message("vi")
        assert not missing.parent.exists() or sorted(missing.parent.glob("nowhere*")) == []
