"""Proof that nothing acknowledged is lost: 8 processes × 100 mixed writes, 50 rounds of SIGKILL in the middle
of writes, and a real full filesystem.  Workers are forked processes writing through the service API; each
prints a line to its pipe as soon as a write has returned (acknowledged to its user)."""
from __future__ import annotations

import errno
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from db.errors import PtdvError
from db.model import STAGES
from db.service import Service
from db.store import Store

from conftest import TODAY, part_files, spelled


def start(path: Path, seed: int, branch: int, ward: int, count: int) -> tuple[int, int]:
    """Fork a worker doing ``count`` mixed writes (0: until killed); returns (pid, read end of its pipe).
    Each acknowledged write is one line: ``add ID``, ``advance ID`` or ``quota TARGET``; quota targets are
    ``seed`` plus the write's number, so a later round's (larger seed) are larger."""
    read, write = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write)
        return pid, read
    os.close(read)
    status = 0
    try:
        rng = random.Random(seed)
        service = Service(Store(path))   # the real today: the workers date their steps as they make them
        mine: list[int] = []
        n = 0
        while count == 0 or n < count:
            n += 1
            kind = rng.choice(("add", "add", "advance", "quota")) if mine else "add"
            if kind == "add":
                cand = service.add_candidate(branch, f"Quần chúng {spelled(seed, n)}")
                mine.append(cand.id)
                line = f"add {cand.id}"
            elif kind == "advance":
                cand = service.advance(mine.pop(rng.randrange(len(mine))), "class")
                line = f"advance {cand.id}"
            else:
                service.set_quota(ward, TODAY.year, target=seed + n)   # grows from round to round
                line = f"quota {seed + n}"
            os.write(write, (line + "\n").encode())
    except BaseException:  # noqa: BLE001 - the child must never return into pytest
        status = 1
        import traceback

        os.write(write, ("error " + traceback.format_exc().replace("\n", " | ") + "\n").encode())
    finally:
        os._exit(status)


def collect(pid: int, fd: int) -> list[tuple[str, int]]:
    """Wait for the worker; its acknowledged writes (a line cut short by a kill was never acknowledged)."""
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    os.close(fd)
    os.waitpid(pid, 0)
    lines = b"".join(chunks).decode().split("\n")[:-1]
    assert not [line for line in lines if line.startswith("error")], lines
    return [(kind, int(value)) for kind, value in (line.split() for line in lines)]


@pytest.fixture
def wards(service):
    """A top unit with 8 wards of one branch each: one ward and branch per worker."""
    root = service.init("Đảng bộ quận Sơn Trà")
    out = []
    for n in range(8):
        ward = service.add_unit(f"Đảng ủy phường {n}", root.id, "grassroots")
        out.append((ward.id, service.add_unit("Chi bộ 1", ward.id, "branch").id))
    return service, out


def expect_acknowledged(path: Path, acked: dict[int, list[tuple[str, int]]], wards, *, exact: bool) -> None:
    """Every acknowledged write is in the store; with ``exact`` (nobody was killed) nothing else is."""
    state = Store(path).state()
    for worker, writes in acked.items():
        ward, branch = wards[worker]
        adds = [v for k, v in writes if k == "add"]
        assert set(adds) <= set(state.candidates)
        assert all(state.candidates[cid].unit == branch for cid in adds)
        for cid in (v for k, v in writes if k == "advance"):
            assert STAGES.index(state.candidates[cid].stage) >= STAGES.index("class")
        quotas = [v for k, v in writes if k == "quota"]
        if quotas:  # targets only grow: a write that landed but was not acknowledged leaves a higher one
            assert state.quotas[(ward, TODAY.year)].target >= quotas[-1]
    if exact:
        assert len(state.candidates) == sum(k == "add" for w in acked.values() for k, _ in w)


def test_eight_processes_times_one_hundred_mixed_writes_lose_nothing(wards, store_path):
    service, units = wards
    before = len(service.log())
    workers = {n: start(store_path, n, units[n][1], units[n][0], 100) for n in range(8)}
    acked = {n: collect(*w) for n, w in workers.items()}
    assert all(len(writes) == 100 for writes in acked.values())
    expect_acknowledged(store_path, acked, units, exact=True)
    state = Store(store_path).state()
    for n, writes in acked.items():
        quotas = [v for k, v in writes if k == "quota"]
        if quotas:   # one writer per ward: its last acknowledged target is the one kept
            assert state.quotas[(units[n][0], TODAY.year)].target == quotas[-1]
    fresh = Service(Store(store_path))
    log = fresh.log()[before:]
    for kind, action in (("add", "candidate.add"), ("advance", "candidate.advance"), ("quota", "quota.set")):
        assert sorted(v for w in acked.values() for k, v in w if k == kind and kind != "quota") == sorted(
            int(e["target"].split(":")[1]) for e in log if e["action"] == action and kind != "quota")
        assert sum(k == kind for w in acked.values() for k, _ in w) == sum(e["action"] == action for e in log)
    assert len(log) == 800
    assert fresh.store.verify_audit() == []
    assert fresh.check() == []


def test_fifty_rounds_of_sigkill_during_writes_lose_no_acknowledged_write(wards, store_path):
    _, units = wards
    rng = random.Random()
    acked: dict[int, list[tuple[str, int]]] = {n: [] for n in range(2)}
    round_ = 0
    # at least fifty rounds, and until more than fifty writes were acknowledged (a busy machine starts the
    # workers slower, so fewer of their writes end before the kill): the kills hit writes, not start-ups
    while round_ < 50 or (sum(len(w) for w in acked.values()) <= 50 and round_ < 200):
        workers = {n: start(store_path, 1000 * round_ + n, units[n][1], units[n][0], 0) for n in range(2)}
        time.sleep(rng.uniform(0.005, 0.06))
        for pid, _ in workers.values():
            os.kill(pid, signal.SIGKILL)   # no cleanup: maybe in the middle of a write
        for n, worker in workers.items():
            acked[n] += collect(*worker)
        expect_acknowledged(store_path, acked, units, exact=False)   # the store opens and holds them all
        round_ += 1
    assert sum(len(w) for w in acked.values()) > 50
    fresh = Service(Store(store_path))
    fresh.add_candidate(units[0][1], "Nguyễn Văn An")   # finishes or drops what the last kill left
    assert fresh.store.verify_audit() == []
    assert fresh.check() == []
    assert sum(e["action"] == "candidate.add" for e in fresh.log()) == len(fresh.state().candidates)
    assert os.listdir(fresh.store.pending_dir) == []


# -- a real full filesystem ------------------------------------------------------------------------
@pytest.fixture
def small_filesystem(tmp_path):
    """A 2 MB tmpfs mounted at a temporary folder; skipped where mounting is not permitted (not root)."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", str(mount)],
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot mount a small filesystem here: " + done.stderr.decode(errors="replace").strip())
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_filesystem_refuses_the_save_and_keeps_the_store(small_filesystem):
    path = small_filesystem / "ptdv.json"
    service = Service(Store(path), today=TODAY)
    root = service.init("Đảng bộ phường Phước Mỹ")
    branch = service.add_unit("Chi bộ khu dân cư số 1", root.id, "branch")
    first = service.add_candidate(branch.id, "Nguyễn Văn An")
    files = {p: p.read_bytes() for p in [path, service.store.audit_path, *part_files(path)]}
    filler = small_filesystem / "filler"
    with open(filler, "wb") as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    for write in (lambda: service.add_candidate(branch.id, "Trần Thị Bình"),
                  lambda: service.edit(first.id, {"residence": "Tổ 5, phường Phước Mỹ, quận Sơn Trà"}),
                  lambda: service.set_quota(root.id, 2024, target=12)):
        with pytest.raises(PtdvError) as err:
            write()
        assert err.value.key in ("store.disk_full", "store.unwritable")
        assert str(path) in err.value.message("vi")
    assert {p: p.read_bytes() for p in files} == files
    assert os.listdir(service.store.pending_dir) == []
    filler.unlink()
    service.add_candidate(branch.id, "Trần Thị Bình")
    fresh = Service(Store(path), today=TODAY)
    assert [c.name for c in fresh.candidates(branch.id)] == ["Nguyễn Văn An", "Trần Thị Bình"]
    assert fresh.check() == []
