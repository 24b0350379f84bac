"""Backups (``<store>.backups/``, see docs/STORE.md): every audited save first hard-links each file it is about to
replace as ``<seq>-<yyyymmdd>~<file>`` (a file that did not exist gets an ``.absent`` mark).  A version is an audit
sequence number; the store as it was after version V is, for each file, the copy kept by the first later save that
replaced it, or the current file."""
from __future__ import annotations

import os
import shlex
from bisect import bisect_left
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

from ..errors import PtdvError
from ..i18n import t
from ..model import Settings
from ..text import fmt_date
from .files import NEW_FILE, Layout, discard, gid_of, make_folder, own

ABSENT = ".absent"        # a backup's mark for a file that did not exist before the write
PRUNE_EVERY = 10          # saves drop old backups every tenth version: a look at every backup folder each time


@dataclass(frozen=True, order=True)
class Version:
    """A write a restore can go back to: the number of its (last) audit line and the day it was made."""

    seq: int
    day: str  # yyyy-mm-dd
    daily: bool = False  # kept as the last write of its day

    @property
    def folder(self) -> str:
        return f"{self.seq}-{self.day.replace('-', '')}"

    def copy(self, name: str) -> str:
        """The name of the backup this version keeps of file ``name``."""
        return f"{self.folder}~{name}"

    @classmethod
    def from_folder(cls, name: str) -> "Version | None":
        seq, _, day = name.partition("-")
        if not (seq.isdigit() and len(day) == 8 and day.isdigit()):
            return None
        return cls(int(seq), f"{day[:4]}-{day[4:6]}-{day[6:]}")


class Backups:
    """The backups folder of a store."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.folder = layout.backups_dir

    def back_up(self, version: Version, name: str, target: Path) -> None:
        """A hard link to the file a write replaces (no copy), or a mark that it did not exist; once.  Both
        lie flat in the backups folder (a folder per version would cost each save a new directory)."""
        copy, absent = self.folder / version.copy(name), self.folder / version.copy(name + ABSENT)
        if copy.exists() or absent.exists():
            return
        if not self.folder.is_dir():
            make_folder(self.folder, self.layout.mode())
        try:
            os.link(target, copy)
        except FileNotFoundError:
            try:
                fd = os.open(absent, NEW_FILE, self.layout.mode())
            except FileExistsError:
                return
            try:
                own(fd, self.layout.mode(), gid_of(self.folder))
            finally:
                os.close(fd)

    def drop(self, version: Version, name: str) -> None:
        """Take back what :meth:`back_up` kept of file ``name`` for ``version`` (a write that failed before its
        files were in place)."""
        discard(self.folder / version.copy(name))
        discard(self.folder / version.copy(name + ABSENT))

    def listing(self) -> dict[Version, dict[str, Path]]:
        """Every backup by version (oldest first), then by file name (``<name>`` or ``<name>.absent``): the flat
        files ``<seq>-<yyyymmdd>~<name>``, and the folders ``<seq>-<yyyymmdd>/`` stores kept before them."""
        try:
            entries = os.listdir(self.folder)
        except FileNotFoundError:
            return {}
        found: dict[Version, dict[str, Path]] = {}
        for entry in entries:
            head, flat, name = entry.partition("~")
            version = Version.from_folder(head)
            if version is None:
                continue
            if flat:
                found.setdefault(version, {})[name] = self.folder / entry
                continue
            with suppress(OSError):
                for name in os.listdir(self.folder / entry):
                    found.setdefault(version, {})[name] = self.folder / entry / name
        return dict(sorted(found.items()))

    def copy(self, version: Version, name: str) -> Path:
        """Where the backup of file ``name`` kept by ``version`` is."""
        return self.listing().get(version, {}).get(name, self.folder / version.copy(name))

    def versions(self, settings: Settings) -> list[Version]:
        """The versions a restore can go back to, oldest first: the last ``backups_kept`` writes and the last
        write of each of the last ``backup_days`` days (``daily``)."""
        every = list(self.listing())
        newest, daily = kept_versions(every, settings.backups_kept, settings.backup_days, date.today())
        return [replace(v, daily=v.seq in daily) for v in every if v.seq in newest | daily]

    def prune(self, settings: Settings) -> None:
        """Drop backups no kept version needs.  The copy of a file in folder W holds the file as it was from the
        previous write of that file up to W: it stays while a kept version lies in that span, so every kept
        version can still be rebuilt.  Costs a listing of the backups folder while nothing is to be dropped."""
        with suppress(OSError):  # a backup left over is dropped by a later write
            backups = self.listing()
            every = list(backups)
            newest, daily = kept_versions(every, settings.backups_kept, settings.backup_days, date.today())
            kept = sorted(newest | daily)
            if len(kept) == len(every):
                return
            last_write: dict[str, int] = {}  # file -> the last version seen so far that replaced it
            for version in every:
                for entry, path in backups[version].items():
                    name = entry.removesuffix(ABSENT)
                    needed = bisect_left(kept, last_write.get(name, 0)) < bisect_left(kept, version.seq)
                    if version.seq not in kept and not needed:
                        discard(path)
                    last_write[name] = version.seq
                if version.seq not in kept:
                    for folder in {path.parent for path in backups[version].values()} - {self.folder}:
                        with suppress(OSError):  # a folder of the former layout, once empty
                            folder.rmdir()

    def contents_at(self, seq: int) -> dict[str, bytes | None]:
        """Each file a write after version ``seq`` replaced, as it was right after ``seq`` (None: not there)."""
        out: dict[str, bytes | None] = {}
        for version, copies in self.listing().items():
            if version.seq <= seq:
                continue
            for entry, path in copies.items():
                name = entry.removesuffix(ABSENT)
                if name not in out:
                    out[name] = None if entry.endswith(ABSENT) else path.read_bytes()
        return out


def kept_versions(versions: list[Version], kept: int, days: int, today: date) -> tuple[set[int], set[int]]:
    """(the last ``kept`` versions, the last version of each of the last ``days`` days up to ``today``)."""
    newest = {v.seq for v in versions[max(0, len(versions) - kept):]} if kept > 0 else set()
    first_day = (today - timedelta(days=days - 1)).isoformat()
    last_of_day: dict[str, int] = {}
    for version in versions:
        if version.day >= first_day:
            last_of_day[version.day] = max(last_of_day.get(version.day, 0), version.seq)
    return newest, set(last_of_day.values())


@dataclass(frozen=True)
class Damage:
    """A file of the store that cannot be read: the error, and the backup that would replace it."""

    path: Path
    error: PtdvError
    backup: Version | None
    name: str | None  # its name in the backup folders (None: the audit log, never backed up)
    cut: bool = False  # the audit log's unfinished last line: the fix is to cut it

    @property
    def fixable(self) -> bool:
        return self.backup is not None or self.cut


class DamagedFile(PtdvError):
    """A store file that cannot be read, whose message also names the newest backup of it that can."""

    def __init__(self, err: PtdvError, backup: Version | None, store: Path) -> None:
        super().__init__(err.key, **err.params)
        self.backup = backup
        self.store = store

    def message(self, lang: str = "vi") -> str:
        if self.backup is None:
            return f"{super().message(lang)} {t('backup.none_good', lang)}"
        return f"{super().message(lang)} " + t(
            "backup.newest_good", lang, version=self.backup.seq, date=fmt_date(date.fromisoformat(self.backup.day)),
            command=f"ptdv --db {shlex.quote(str(self.store))} check --repair")
