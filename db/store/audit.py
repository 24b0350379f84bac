"""The audit trail (``<store>.audit.jsonl``): one JSON line per change, numbered and hash-chained, append-only.  The
last line a write appends is its commit line (``"commit"``: how many lines the write appended; the last line also
lists the files the write puts in place, with their SHA-256): appending it is the write's commit point."""
from __future__ import annotations

import hashlib
import os
from contextlib import suppress
from datetime import datetime
from typing import Iterator

import orjson

from ..errors import PtdvError
from .files import Layout, os_error, write_tmp


class AuditLog:
    """The audit trail of a store."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.path = layout.audit_path

    # -- reading -----------------------------------------------------------------------------
    def entries(self) -> list[dict]:
        """Every complete line of the log, parsed, oldest first (an unfinished last line is skipped)."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise PtdvError("store.unreadable", path=str(self.path), detail=exc.strerror or str(exc)) from exc
        out = []
        for number, line in enumerate(raw.split(b"\n")[:-1], start=1):
            try:
                out.append(orjson.loads(line))
            except orjson.JSONDecodeError:
                raise PtdvError("store.damaged", path=str(self.path), detail=f"line {number}") from None
        return out

    def since(self, seq: int = 0) -> list[dict]:
        """Committed entries numbered above ``seq``, oldest first: the lines of a write still being appended, or
        of one killed before its last line, are not part of the trail."""
        entries = self.entries()
        end = next((i + 1 for i in range(len(entries) - 1, -1, -1) if commits(entries[i])), 0)
        return [entry for entry in entries[:end] if entry.get("seq", 0) > seq]

    def integrity(self) -> tuple[list[int], list[tuple[int, int]]]:
        """(entries whose hash chain is broken, runs ``(first, last)`` of entries no commit line covers: the lines
        of a write that never committed, which an earlier ptdv kept when the next write appended after them)."""
        broken, previous, expected_seq = [], "", 1
        uncommitted: list[tuple[int, int]] = []
        run: list[int] = []
        for entry in self.since(0):
            seq = int(entry.get("seq") or 0)
            if entry.get("seq") != expected_seq or entry.get("prev") != previous or entry.get("hash") != entry_hash(entry):
                broken.append(seq)
            previous, expected_seq = entry.get("hash", ""), seq + 1
            run.append(seq)
            if commits(entry):
                size = entry.get("commit", len(run))  # an earlier ptdv marked no count: its write is the whole run
                if isinstance(size, int) and 0 < size < len(run):
                    uncommitted.append((run[0], run[-size - 1]))
                run = []
        return broken, uncommitted

    def last_commit(self) -> dict | None:
        """The last commit line of the log: the last line of the last write that committed."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            line, _ = last_commit(fd, os.fstat(fd).st_size)
        finally:
            os.close(fd)
        try:
            return orjson.loads(line) if line else None
        except orjson.JSONDecodeError:
            return None

    def last_seq(self) -> int:
        return int((self.last_commit() or {}).get("seq", 0))

    # -- writing (under the store's lock) ---------------------------------------------------------
    def append(self, entries: list[dict], mode: int) -> tuple[int, int]:
        """Append hash-chained lines, the last one marked as the write's commit (``"commit"``: how many lines
        the write appended); what follows the last commit line (a writer killed mid-append) is cut first.
        Returns the log's size before the append and the number of the last line appended."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, mode)
        try:
            size = os.fstat(fd).st_size
            line, end = last_commit(fd, size)
            if end != size:
                os.ftruncate(fd, end)
                size = end
            last = orjson.loads(line) if line else {"seq": 0, "hash": ""}
            seq, previous = int(last.get("seq", 0)), str(last.get("hash", ""))
            payload = bytearray()
            for number, entry in enumerate(entries, start=1):
                seq += 1
                record = {"seq": seq, **entry, "prev": previous}
                if number == len(entries):
                    record["commit"] = len(entries)
                record["hash"] = previous = entry_hash(record)
                payload += orjson.dumps(record) + b"\n"
            try:
                os.pwrite(fd, bytes(payload), size)
                os.fsync(fd)
            except OSError:
                with suppress(OSError):
                    os.ftruncate(fd, size)
                raise
            return size, seq
        except orjson.JSONDecodeError as exc:
            raise PtdvError("store.damaged", path=str(self.path), detail=str(exc)) from exc
        finally:
            os.close(fd)

    def truncate(self, size: int) -> None:
        """Take back what a write appended (it failed before its commit point)."""
        with suppress(OSError):
            os.truncate(self.path, size)

    def cut_uncommitted(self) -> None:
        """Take out the complete lines after the last commit line (a writer killed while appending its lines: they
        describe changes that never happened; its files are dropped from the pending folder by recovery).  They are
        kept beside the log as ``<log>.uncommitted-<time>``.  An unfinished last line alone is left to the next
        append (or ``check --repair``) to cut."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_NOFOLLOW)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise os_error(self.path, exc) from exc
        try:
            size = os.fstat(fd).st_size
            _, end = last_commit(fd, size)
            complete = next((line_end for _, line_end in lines_back(fd, size)), 0)
            if complete <= end:
                return
            aside = self.path.with_name(f"{self.path.name}.uncommitted-{datetime.now().strftime('%Y%m%dT%H%M%S')}")
            write_tmp(aside, os.pread(fd, size - end, end), self.layout.mode(), durable=True, fixed_name=True)
            os.ftruncate(fd, end)
            os.fsync(fd)
        except OSError as exc:
            raise os_error(self.path, exc) from exc
        finally:
            os.close(fd)


def commits(entry: dict) -> bool:
    """Whether an audit line is the last of its write: marked ``commit`` (or, by an earlier ptdv, carrying the
    hashes of the files the write put in place)."""
    return "commit" in entry or "files" in entry


def lines_back(fd: int, size: int, chunk: int = 1 << 16) -> Iterator[tuple[bytes, int]]:
    """The complete lines of a file, last first (without their newlines), each with the offset just after
    it; reads backwards only as far as asked.  An unfinished last line is not one of them."""
    buf, pos, end = b"", size, None  # buf holds the file from pos on, up to the line not yet given
    while True:
        if end is None and (nl := buf.rfind(b"\n")) >= 0:
            end, buf = pos + nl + 1, buf[:nl]
        if end is not None:
            while (nl := buf.rfind(b"\n")) >= 0:
                yield buf[nl + 1:], end
                end, buf = pos + nl + 1, buf[:nl]
        if pos == 0:
            if end is not None:
                yield buf, end
            return
        start = max(0, pos - chunk)
        buf, pos = os.pread(fd, pos - start, start) + buf, start


def last_commit(fd: int, size: int) -> tuple[bytes, int]:
    """The last commit line of the audit log (see :func:`commits`) and the offset just after it; a line
    that is not JSON ends the search there (the log is damaged: ``check`` says so, nothing is cut)."""
    for line, end in lines_back(fd, size):
        try:
            entry = orjson.loads(line)
        except orjson.JSONDecodeError:
            return line, end
        if not isinstance(entry, dict) or commits(entry):
            return line, end
    return b"", 0


def entry_hash(entry: dict) -> str:
    """An entry's link in the chain: the SHA-256 of the entry (its ``prev`` included) but its own hash."""
    body = {k: v for k, v in entry.items() if k != "hash"}
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()
