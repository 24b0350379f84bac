"""How a write reaches the disk whole or not at all (see docs/STORE.md, "A write"): each changed file into the
pending folder (fsync), the audit lines appended and fsynced (the commit point: the last line lists the pending
files with their SHA-256), then each file backed up and moved into place.  The next writer, under the lock, finishes
a write killed after its commit point and drops one killed before (:meth:`Committer.recover`)."""
from __future__ import annotations

import hashlib
import os
from contextlib import suppress

from .audit import AuditLog
from .backups import Backups, Version
from .files import Layout, discard, file_signature, fsync_dir, os_error, write_tmp

BULK_PARTS = 8            # more files than this in one write: one sync() for all instead of an fsync each
DELETE = ".delete"        # a pending file of this name removes the file instead of replacing it (a restore)


def news_of(layout: Layout) -> tuple:
    """What tells another process that a write happened: the audit log (every write appends to it), and whether a
    write is under way (its files wait in the pending folder from before its audit line until they are in place).
    A session that looked in between looks again once the folder is empty.  Not the folder's mtime: it is as
    coarse as the kernel's clock tick, and a fast save can leave it unchanged between its audit line and the end
    of its moves."""
    try:
        busy = bool(os.listdir(layout.pending_dir))
    except FileNotFoundError:
        busy = False
    return (file_signature(layout.audit_path), busy)


class Committer:
    """The commit of a store's writes, under its lock."""

    def __init__(self, layout: Layout, log: AuditLog, backups: Backups) -> None:
        self.layout = layout
        self.pending_dir = layout.pending_dir
        self.log = log
        self.backups = backups

    def write(self, files: dict[str, bytes | None], entries: list[dict], mode: int) -> None:
        """Write each file (by pending name; None removes it) into the pending folder, append the audit lines
        naming them with their hashes (the commit point), then back up the files they replace and move them
        into place.  A writer killed before the audit append leaves nothing; one killed after it is finished
        by the next writer (:meth:`recover`)."""
        pending = {name if payload is not None else name + DELETE: payload or b"" for name, payload in files.items()}
        bulk = len(pending) > BULK_PARTS
        audit_size: int | None = None
        version: Version | None = None
        moved: list[str] = []
        try:
            for name, payload in pending.items():  # a new file of a name no one can guess, renamed to the name
                tmp = write_tmp(self.pending_dir / name, payload, mode, durable=not bulk)  # recovery knows
                try:
                    os.rename(tmp, self.pending_dir / name)  # over whatever was left there, never through it
                except OSError:
                    discard(tmp)
                    raise
            if bulk:
                os.sync()
            else:  # the pending names must be on disk before the commit line names them
                fsync_dir(self.pending_dir)
            if entries:
                entries[-1]["files"] = {n: hashlib.sha256(b).hexdigest() for n, b in pending.items()}
                audit_size, seq = self.log.append(entries, mode)
                version = Version(seq, str(entries[-1]["at"])[:10])
            self.move_pending(list(pending), version, moved)
        except OSError as exc:
            if not moved:  # nothing is in place yet: take the write back whole
                if audit_size is not None:
                    self.log.truncate(audit_size)
                for name in pending:
                    discard(self.pending_dir / name)
                for final in (name.removesuffix(DELETE) for name in pending if version is not None):
                    self.backups.drop(version, final)
            # else the audit lines and the pending files stay: the next writer finishes the write
            raise os_error(self.layout.path, exc) from exc

    def move_pending(self, names: list[str], version: Version | None, moved: list[str] | None = None) -> None:
        """Put pending files in place, each after a hard link to the file it replaces (or a mark that there
        was none) went into the backups of ``version``; every step can be done again after a kill."""
        targets = []
        for name in names:
            removing = name.endswith(DELETE)
            final = name[:-len(DELETE)] if removing else name
            target = self.layout.target(final)
            if version is not None:
                self.backups.back_up(version, final, target)
            if removing:
                with suppress(FileNotFoundError):
                    target.unlink()
                (self.pending_dir / name).unlink()
            else:
                os.replace(self.pending_dir / name, target)
            targets.append(target)
            if moved is not None:
                moved.append(name)
        # a rename is one operation: the fsync of the folder a file moved into makes it durable, including
        # its leaving the pending folder
        for folder in {t.parent for t in targets}:
            fsync_dir(folder)

    def recover(self) -> bool:
        """Under the lock: drop the audit lines of a write killed before its commit line, then finish a write
        whose audit lines were all appended (their hashes match the files left pending), or drop the files of
        a write killed before that point.  True when files were left pending (what a session holds in memory
        may no longer be what the files hold)."""
        self.log.cut_uncommitted()
        try:
            names = os.listdir(self.pending_dir)
        except FileNotFoundError:
            return False
        if not names:
            return False
        last = self.log.last_commit()
        listed = (last or {}).get("files") or {}
        complete = [n for n in names if n in listed
                    and hashlib.sha256((self.pending_dir / n).read_bytes()).hexdigest() == listed[n]]
        for name in set(names) - set(complete):
            discard(self.pending_dir / name)
        version = Version(int(last["seq"]), str(last.get("at", ""))[:10]) if complete else None
        try:
            self.move_pending(complete, version)
        except OSError as exc:
            raise os_error(self.layout.path, exc) from exc
        return True
