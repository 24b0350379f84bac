"""The audit trail after a crash, and files changed behind ptdv's back.

Each write ends its audit lines with a commit line (``"commit"``: how many lines the write appended).
Lines after the last commit line belong to a write that was killed before it committed: no reader shows
them, the next write takes them out of the log (keeping them aside), and ``check`` reports any such line
an earlier ptdv kept.  ``check`` also compares every file with the hash the audit trail recorded at the last
write that put it in place, and every summary cache with the part it claims to describe."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson

from db.service import Service
from db.store import Store
from db.store.audit import entry_hash

from conftest import TODAY, build_small, edit_candidate_file, forge_cache, part_holding

ROOT = Path(__file__).resolve().parents[1]


def names(count: int) -> list[str]:
    """``count`` distinct person names (letters only, as a person's name must be)."""
    letters = "abcdeghiklmnopqrstuvxy"
    out = []
    for n in range(count):
        word = ""
        while True:
            n, r = divmod(n, len(letters))
            word = letters[r] + word
            if n == 0:
                break
        out.append(f"Lưu Bá {word.capitalize()}")
    return out


# A process that imports 400 candidates in one write and is killed (os._exit: no clean-up of any kind, as
# SIGKILL) once half of the write's audit lines are in the log.
KILLED_IMPORT = """
import os, sys
sys.path.insert(0, {tests!r})
import db.store
from db.service import Service
from db.store import Store
from conftest import TODAY

real_pwrite = os.pwrite
def half_then_die(fd, data, offset):
    lines = data.split(b"\\n")
    if len(lines) > 100:
        real_pwrite(fd, b"\\n".join(lines[:len(lines) // 2]) + b"\\n", offset)
        os.fsync(fd)
        os._exit(9)
    return real_pwrite(fd, data, offset)
db.store.os.pwrite = half_then_die
service = Service(Store({path!r}), today=TODAY)
rows = [["Họ tên", "Ngày sinh", "Đơn vị"]] + [[name, "12/03/1998", {branch!r}] for name in {names!r}]
service.import_candidates(rows)
"""


def killed_import(path: Path, branch: int) -> None:
    code = KILLED_IMPORT.format(tests=str(ROOT / "tests"), path=str(path), branch=str(branch), names=names(400))
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 9, done.stderr


def test_the_audit_lines_of_an_import_killed_mid_append_are_dropped_by_the_next_write(service):
    ids = build_small(service)
    path = service.store.path
    logged_before = len(service.log())
    killed_import(path, ids["pm1"])
    lines = path.with_name("ptdv.audit.jsonl").read_bytes().count(b"\n")
    assert lines > logged_before + 150  # the killed write left its first lines in the log

    reader = Service(Store(path), today=TODAY)
    assert len(reader.log()) == logged_before  # a reader does not show lines no commit covers
    reader.edit(ids["cand1"], {"residence": "Tổ 5, phường Phước Mỹ"})  # the next write

    fresh = Service(Store(path), today=TODAY)
    log = fresh.log()
    assert len(log) == logged_before + 1 and log[-1]["action"] == "candidate.edit"
    in_store = {c.id for c in fresh.state().candidates.values()}
    added = [int(e["target"].split(":")[1]) for e in log if e["action"] == "candidate.add"]
    assert set(added) <= in_store  # no line for a candidate that does not exist
    assert not [c for c in fresh.state().candidates.values() if c.name.startswith("Lưu Bá ")]
    assert fresh.check() == []
    kept = list(path.parent.glob("ptdv.audit.jsonl.uncommitted-*"))
    assert len(kept) == 1 and kept[0].read_bytes().count(b'"candidate.add"') > 150


def test_check_reports_the_lines_of_a_write_that_never_committed_kept_by_an_earlier_ptdv(service):
    build_small(service)
    audit = service.store.audit_path
    entries = [orjson.loads(line) for line in audit.read_bytes().splitlines()]
    # an earlier ptdv's killed write: two lines without the write's last line, then the next write appended
    # after them (its own lines chained to them)
    orphan = [{**entries[-1], "action": "candidate.add", "target": f"candidate:{900 + n}"} for n in range(2)]
    for entry in orphan:
        entry.pop("files", None), entry.pop("commit", None)
    rest = [dict(entries[-1])]
    chain = entries[:-1] + orphan + rest
    previous = chain[len(entries) - 2]["hash"] if len(entries) > 1 else ""
    for n, entry in enumerate(chain[len(entries) - 1:], start=len(entries)):
        entry["seq"], entry["prev"] = n, previous
        entry["hash"] = previous = entry_hash(entry)
    audit.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in chain))

    problems = Service(Store(service.store.path), today=TODAY).check()
    first = len(entries)
    assert ("check.audit_uncommitted", {"first": first, "last": first + 1}) in problems
    assert not [p for p in problems if p[0] == "check.audit_chain"]


def test_check_names_a_part_file_edited_by_hand(service):
    ids = build_small(service)
    edit_candidate_file(service.store.path, ids["cand2"], name="Trần Thị Bích")
    problems = Service(Store(service.store.path), today=TODAY).check()
    assert ("check.file_changed", {"path": str(part_holding(service.store.path, ids["cand2"])),
                                   "seq": _last_write_of(service, part_holding(service.store.path, ids["cand2"]))}) \
        in problems


def test_check_names_a_file_removed_by_hand(service):
    build_small(service)
    counters = service.store.parts_dir / "counters.json"
    assert counters.exists()
    counters.unlink()
    problems = Service(Store(service.store.path), today=TODAY).check()
    assert [k for k, p in problems if p.get("path") == str(counters)] == ["check.file_missing"]


def _last_write_of(service: Service, path: Path) -> int:
    return max(e["seq"] for e in service.store.audit_since(0) if path.name in (e.get("files") or {}))


def test_check_finds_a_forged_summary_that_keeps_the_part_signature(service):
    ids = build_small(service)
    service.unit_figures(ids["phuoc_my"], 2024)  # the summaries are made
    part = part_holding(service.store.path, ids["cand2"])
    summary = part.with_name(part.name.replace(".json", ".sum.json"))

    def more_admitted(doc):  # five more decisions in Q1 of 2024 for the branch
        years = doc["counts"][str(ids["pm1"])]["years"]
        row = years.setdefault("2024", [0] * len(next(iter(years.values()))))
        row[0] += 5

    before = Service(Store(service.store.path), today=TODAY).unit_figures(ids["phuoc_my"], 2024).admitted
    forge_cache(summary, more_admitted)
    forged = Service(Store(service.store.path), today=TODAY)
    assert forged.unit_figures(ids["phuoc_my"], 2024).admitted != before  # the forgery shows on every screen...
    assert ("check.cache_forged", {"path": str(summary)}) in forged.check()  # ...and check names it


def test_check_names_a_part_file_no_save_wrote(service):
    ids = build_small(service)
    planted = service.store.parts_dir / "p999.json"
    planted.write_bytes(part_holding(service.store.path, ids["cand2"]).read_bytes())
    planted.chmod(0o600)
    problems = Service(Store(service.store.path), today=TODAY).check()
    assert ("check.file_unknown", {"path": str(planted)}) in problems
