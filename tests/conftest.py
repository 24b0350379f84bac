"""Shared fixtures: a small store with a fixed "today", built through the service API."""
from __future__ import annotations

import hashlib
import os
from datetime import date, datetime, timezone
from pathlib import Path

import orjson
import pytest

from db.identity import Caller
from db.service import Service
from db.store import Store
from db.store.parts import is_part_name

from served import served  # noqa: F401 - the suite in served mode (PTDV_SERVED=1)

TODAY = date(2024, 11, 15)


def caller(account: str) -> Caller:
    """The caller a ptdv service would name ``account``, as if the kernel had said so: the accounts of the tests
    are made up (no uid: -1), and a service acts on the account's name."""
    return Caller(-1, account)


def build_small(service: Service) -> dict[str, int]:
    """City → 2 districts → 3 wards → 5 branches, quotas for 2024 and 6 candidates at various stages."""
    ids: dict[str, int] = {}
    root = service.init("Đảng bộ thành phố Đà Nẵng")
    ids["city"] = root.id
    ids["son_tra"] = service.add_unit("Quận ủy Sơn Trà", root.id, "district").id
    ids["hai_chau"] = service.add_unit("Quận ủy Hải Châu", root.id, "district").id
    ids["phuoc_my"] = service.add_unit("Đảng ủy phường Phước Mỹ", ids["son_tra"], "grassroots").id
    ids["an_hai_bac"] = service.add_unit("Đảng ủy phường An Hải Bắc", ids["son_tra"], "grassroots").id
    ids["thach_thang"] = service.add_unit("Đảng ủy phường Thạch Thang", ids["hai_chau"], "grassroots").id
    for key, name, parent, members in (
        ("pm1", "Chi bộ khu dân cư số 1", "phuoc_my", 45),
        ("pm2", "Chi bộ Trường THCS Phước Mỹ", "phuoc_my", 20),
        ("ahb1", "Chi bộ khu dân cư số 1", "an_hai_bac", 38),
        ("tt1", "Chi bộ khu dân cư số 3", "thach_thang", 52),
        ("tt2", "Chi bộ Trạm y tế", "thach_thang", 12),
    ):
        ids[key] = service.add_unit(name, ids[parent], "branch", members=members, year=2024).id
    service.set_quota(ids["city"], 2024, rate="4%")
    service.set_quota(ids["phuoc_my"], 2024, target=4)
    service.set_quota(ids["thach_thang"], 2024, target=3)
    plans = (
        ("pm1", "Nguyễn Văn An", "female", ["01/02/2024", "01/03/2024", "01/04/2024", "02/05/2024",
                                             "03/06/2024", "17/06/2024", "01/07/2024"]),
        ("pm1", "Trần Thị Bình", "female", ["05/01/2024", "10/02/2024", "11/03/2024"]),
        ("pm2", "Lê Văn Cường", "male", ["15/01/2024", "20/02/2024", "20/03/2024", "22/04/2024", "03/09/2024"]),
        ("ahb1", "Phạm Thị Dung", "female", ["01/02/2024", "05/03/2024", "05/04/2024", "06/05/2024",
                                              "07/06/2024", "08/07/2024", "09/08/2024", "09/09/2024"]),
        ("tt1", "Hoàng Văn Em", "male", ["10/10/2024"]),
        ("tt2", "Võ Thị Phượng", "female", ["02/01/2024", "01/02/2024"]),
    )
    for n, (branch, name, gender, dates) in enumerate(plans, start=1):
        cand = service.add_candidate(ids[branch], name, gender=gender, born=f"0{n}/05/199{n}", date_=dates[0],
                                     introducers=["Ngô Văn Hai", "Đỗ Thị Ba"])
        for step, day in enumerate(dates[1:], start=1):
            if step == 4:  # the branch vote: the dossier's papers were received with the verification
                receive_papers(service, cand.id, dates[3])
            cand = service.advance(cand.id, None, day)
        ids[f"cand{n}"] = cand.id
    return ids


def receive_papers(service: Service, cid: int, day, *, vote=None) -> None:
    """Receive on ``day`` every paper of the dossier that candidate ``cid``'s branch vote (on ``vote``, default
    ``day``) still needs (db.papers): what staff do before the branch votes."""
    from db import papers
    from db.text import parse_date

    cand = service.candidate(cid)
    when = parse_date(vote or day)
    for kind, count in papers.checklist(cand, service.state().settings, when).missing:
        for _ in range(count):
            service.receive_paper(cid, kind, day)


def spelled(*numbers: int) -> str:
    """Numbers as letters, for person names made in bulk (a person's name holds no digit): 0 -> "A",
    27 -> "Bb", (3, 12) -> "D Am"."""
    words = []
    for number in numbers:
        word = ""
        while True:
            number, digit = divmod(number, 26)
            word = chr(ord("a") + digit) + word
            if number == 0:
                break
        words.append(word.capitalize())
    return " ".join(words)


@pytest.fixture(autouse=True)
def config_files(tmp_path, monkeypatch) -> tuple[Path, Path]:
    """No test reads the config files of the machine it runs on (tui/config.py): the user's file and the
    server's are ``config/user/ptdv/config.toml`` and ``config/server.toml`` in the test's folder (absent)."""
    folder = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder / "user"))
    monkeypatch.setenv("PTDV_SERVER_CONFIG", str(folder / "server.toml"))
    return folder / "user" / "ptdv" / "config.toml", folder / "server.toml"


@pytest.fixture
def folder(tmp_path, monkeypatch) -> Path:
    """An empty working folder, where ptdv was started (where the app writes reports and documents)."""
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.chdir(out)
    return out


@pytest.fixture
def store_path(tmp_path):
    return tmp_path / "ptdv.json"


@pytest.fixture
def service(store_path) -> Service:
    """An empty service (no store file yet) with today fixed at 15/11/2024."""
    return Service(Store(store_path), today=TODAY)


@pytest.fixture
def small(service) -> tuple[Service, dict[str, int]]:
    ids = build_small(service)
    return service, ids


# -- looking past the API at the files, as someone with an editor would -------------------------
def part_files(path: Path) -> list[Path]:
    """The part files of the store at ``path`` (one per grassroots unit), not their caches."""
    folder = path.with_name(path.stem + ".parts")
    return sorted(p for p in folder.glob("p*.json") if is_part_name(p.name))


def raw_tables(path: Path) -> dict:
    """The store's records as its files hold them: the catalogue's tables and every part's candidates."""
    data = orjson.loads(path.read_bytes())
    data["candidates"] = {}
    for part in part_files(path):
        data["candidates"].update(orjson.loads(part.read_bytes())["candidates"])
    return data


def part_holding(path: Path, cid: int) -> Path:
    return next(p for p in part_files(path) if str(cid) in orjson.loads(p.read_bytes())["candidates"])


def edit_candidate_file(path: Path, cid: int, **fields) -> None:
    """Change a candidate's fields in its part file directly (a hand edit)."""
    part = part_holding(path, cid)
    data = orjson.loads(part.read_bytes())
    data["candidates"][str(cid)].update(fields)
    part.write_bytes(orjson.dumps(data))


def forge_cache(path: Path, change) -> None:
    """Edit a cache in place as a forger would: same inode, same size, same modification time."""
    st = path.stat()
    doc = orjson.loads(path.read_bytes())
    change(doc)
    raw = orjson.dumps(doc)
    raw = raw + b" " * (st.st_size - len(raw)) if len(raw) <= st.st_size else raw
    with open(path, "r+b") as f:
        f.write(raw)
        f.truncate(len(raw))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_ino == st.st_ino and path.stat().st_mtime_ns == st.st_mtime_ns


def record_as_written(path: Path) -> None:
    """Make the audit trail name the store's files as they are now, as the ptdv that wrote them would have
    (each file's hash in the last entry that names it, the hash chain made again): a store that an earlier
    version, not a hand edit, left this way."""
    from db.store import CATALOGUE
    from db.store.audit import entry_hash

    audit = path.with_name(path.stem + ".audit.jsonl")
    entries = [orjson.loads(line) for line in audit.read_bytes().splitlines()]
    latest: dict[str, dict] = {}
    for entry in entries:
        for name in entry.get("files") or {}:
            latest[name] = entry
    for name, entry in latest.items():
        target = path if name == CATALOGUE else path.with_name(path.stem + ".parts") / name
        if target.exists():
            entry["files"][name] = hashlib.sha256(target.read_bytes()).hexdigest()
    previous = ""
    for entry in entries:
        entry["prev"] = previous
        entry["hash"] = previous = entry_hash(entry)
    audit.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in entries))


def store_bytes(path: Path) -> int:
    """Bytes of records on disk: the catalogue and the parts."""
    return path.stat().st_size + sum(p.stat().st_size for p in part_files(path))


# -- a store whose changes happened on known days (the audit trail's tests) -------------------
OFFICER = "canbo.pm"  # an editor of Phước Mỹ, besides the account that built the store


class Clock(datetime):
    """``datetime.now`` of the store, set by the test: audit entries carry the day it says."""
    current = datetime(2024, 11, 10, 9, 30, tzinfo=timezone.utc)

    @classmethod
    def now(cls, tz=None):
        return cls.current if tz is None else cls.current.astimezone(tz)


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2024, 11, day, hour, 30).astimezone()


@pytest.fixture
def logged(store_path, monkeypatch):
    """The small store built on 10/11/2024 by its admin; on 14/11 the admin edits a candidate of
    Phước Mỹ and sets Thạch Thang's quota, and on 15/11 Phước Mỹ's officer records a stage."""
    monkeypatch.setattr("db.store.datetime", Clock)
    Clock.current = at(10)
    admin = Service(Store(store_path), caller=caller("canbo.tochuc"), today=TODAY)
    ids = build_small(admin)
    admin.add_user(OFFICER, ids["phuoc_my"], "editor")
    Clock.current = at(14)
    admin.edit(ids["cand2"], {"education": "university"})
    admin.set_quota(ids["thach_thang"], 2024, target=5)
    Clock.current = at(15)
    Service(Store(store_path), caller=caller(OFFICER), today=TODAY).advance(ids["cand2"])
    return admin, ids


def older_layout(path: Path, schema: int) -> None:
    """Put the store at ``path`` back in the layout of an earlier ``schema``, as the ptdv of that schema would
    have left it (its audit trail names only files it wrote): 4: every branch named in the catalogue's
    ``placed`` (no unit index); 3: no candidate index either; 2: every unit and quota in the catalogue."""
    parts_dir = path.with_name(path.stem + ".parts")
    catalogue = orjson.loads(path.read_bytes())
    gone = ["units"] + (["ids"] if schema <= 3 else [])
    for index in parts_dir.glob("units*.json"):
        for uid, (parent, name) in orjson.loads(index.read_bytes())["units"].items():
            catalogue["placed"][uid] = {"parent": parent, "name": name}
    if schema <= 2:
        for uid, place in catalogue.pop("placed").items():
            part = orjson.loads((parts_dir / f"p{place['parent']}.json").read_bytes())
            catalogue["units"][uid] = part["units"][uid]
            for quota in part["quotas"].values():
                if quota["unit"] == int(uid):
                    catalogue["quotas"][str(len(catalogue["quotas"]) + 1000)] = quota
        for part_path in part_files(path):
            part = orjson.loads(part_path.read_bytes())
            part.pop("units"), part.pop("quotas")
            part["meta"]["1"]["schema"] = 2
            part_path.write_bytes(orjson.dumps(part))
    catalogue["meta"]["1"]["schema"] = schema
    path.write_bytes(orjson.dumps(catalogue))
    for old in [p for prefix in gone for p in parts_dir.glob(f"{prefix}*.json")] + list(parts_dir.glob("*.sum.json")):
        old.unlink()
    audit = path.with_name(path.stem + ".audit.jsonl")
    entries = [orjson.loads(line) for line in audit.read_bytes().splitlines()]
    for entry in entries:
        for name in [n for n in entry.get("files") or {} if n.startswith(tuple(gone))]:
            del entry["files"][name]
    audit.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in entries))
    record_as_written(path)
