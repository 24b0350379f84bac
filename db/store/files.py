"""The store's files on disk: their names (:class:`Layout`), how each is written (never through a link, under a name
no one can guess, with the store's mode and, in a shared folder, its group), and a TinyDB file held in memory
(:class:`TinyFile`).  Every other module of the store reads and writes files through these."""
from __future__ import annotations

import errno
import grp
import os
import pwd
import secrets
import shlex
import stat
from contextlib import suppress
from pathlib import Path

import orjson
from tinydb import TinyDB
from tinydb.storages import Storage

from ..errors import PtdvError

SCHEMA_VERSION = 5
SCHEMAS_READ = (2, 3, 4, 5)  # a write upgrades an older store (Transaction.upgrade): 2: every unit in the catalogue;
# 3: no candidate index (a candidate is found through every part's summary); 4: every branch named in the catalogue
INDEXED_SCHEMA = 4        # from this schema on, the ``ids<K>.json`` files say which part holds each candidate
SPLIT_SCHEMA = 5          # from this schema on, the ``units<K>.json`` files name the branches (the catalogue: dated ones)
CATALOGUE_TABLES = ("meta", "levels", "units", "quotas", "placed", "visits", "calendar")
PART_TABLES = ("meta", "candidates", "units", "quotas")
CATALOGUE = "@catalogue"  # the catalogue's name in the pending and backup folders

NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


class Layout:
    """The files and folders of the store named ``path`` (see docs/STORE.md), and the rules every one of them
    keeps: no link, nothing others may read, in a shared folder the group's."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock_path = path.with_name(path.name + ".lock")
        self.parts_dir = path.with_name(path.stem + ".parts")
        self.audit_path = path.with_name(path.stem + ".audit.jsonl")
        self.counters_path = self.parts_dir / "counters.json"
        self.pending_dir = self.parts_dir / ".pending"
        self.backups_dir = path.with_name(path.stem + ".backups")

    def mode(self) -> int:
        """The permission bits every file of the store gets: those of the catalogue."""
        return stat.S_IMODE(self.path.stat().st_mode) & 0o660

    def pending_name(self, path: Path) -> str:
        """A file's name in the pending and backup folders."""
        return CATALOGUE if path == self.path else path.name

    def target(self, name: str) -> Path:
        """The file a name of the pending and backup folders stands for."""
        return self.path if name == CATALOGUE else self.parts_dir / name

    def check_place(self) -> None:
        """Refuse a store named through a symbolic link (``--db`` a link: a save would write wherever it points),
        and one in a folder every account may write to (like /tmp: anyone could plant a file or a link under a
        name the store uses)."""
        try:
            st = os.lstat(self.path)
        except OSError:
            st = None
        if st is not None and stat.S_ISLNK(st.st_mode):
            raise PtdvError("store.symlink", path=str(self.path), target=link_target(self.path))
        try:
            folder = os.stat(self.path.parent)
        except OSError:
            return
        if folder.st_mode & stat.S_IWOTH:
            raise PtdvError("store.open_folder", path=str(self.path), folder=str(self.path.parent),
                            mode=f"{stat.S_IMODE(folder.st_mode):04o}")

    def refuse_public(self, paths: list[Path]) -> None:
        """Refuse a store others may read (a file of it readable by everyone, or a folder they may enter), a file
        of it that is a symbolic link, and in a folder shared with a group, a file or folder of it the group's
        other accounts cannot use: of another group, or not readable and writable by the group.  The message
        names the file, its owner and group, and the command its owner (or root) must run."""
        gid = gid_of(self.path.parent)
        for path in paths:
            try:
                st = os.lstat(path)
            except OSError:
                continue
            mode = st.st_mode
            if stat.S_ISLNK(mode):
                raise PtdvError("store.symlink", path=str(path), target=link_target(path))
            folder = stat.S_ISDIR(mode)
            if mode & (0o005 if folder else 0o004):
                own = [self.path, self.audit_path, self.lock_path, self.parts_dir, self.backups_dir]
                raise PtdvError("store.world_readable", path=str(path),
                                command="chmod -R o-rwx " + " ".join(shlex.quote(str(p)) for p in own if p.exists()))
            if gid is None:
                continue
            needed = 0o070 if folder else 0o060
            if st.st_gid != gid or mode & needed != needed:
                group = group_name(gid)
                raise PtdvError("store.not_shared", path=str(path), owner=account_name(st.st_uid),
                                group=group_name(st.st_gid), mode=f"{stat.S_IMODE(mode):04o}", expected=group,
                                command=f"chgrp {shlex.quote(group)} {shlex.quote(str(path))} && "
                                        f"chmod {'2770' if folder else '660'} {shlex.quote(str(path))}")
            if folder and not mode & stat.S_ISGID and st.st_uid == os.geteuid():
                with suppress(OSError):  # a folder an earlier ptdv made without it: new files take the group
                    os.chmod(path, stat.S_IMODE(mode) | stat.S_ISGID)


class MemoryStorage(Storage):
    """TinyDB storage over a dict the store parsed; the store decides when to write the file."""

    def __init__(self, data: dict, on_write) -> None:
        self._data = data
        self._on_write = on_write

    def read(self) -> dict:
        return self._data

    def write(self, data: dict) -> None:
        self._data = data
        self._on_write()


class TinyFile:
    """One TinyDB JSON file held in memory (``data``, parsed; ``db``, TinyDB over it), with the signature it had
    when read or written; ``dirty`` once TinyDB changed it."""

    def __init__(self, path: Path, data: dict, signature: tuple[int, int, int] | None) -> None:
        self.path = path
        self.data = data
        self.signature = signature
        self.dirty = False
        self.db = TinyDB(storage=MemoryStorage, data=data, on_write=self.touched)

    def touched(self) -> None:
        self.dirty = True


def parse(path: Path, raw: bytes, tables: tuple[str, ...]) -> dict:
    """A TinyDB file of the store holding ``tables``; ``store.damaged`` or ``store.version`` when it is not."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise PtdvError("store.damaged", path=str(path), detail=str(exc)) from exc
    if not isinstance(data, dict) or not all(isinstance(data.get(t, {}), dict) for t in tables):
        raise PtdvError("store.damaged", path=str(path), detail="not a ptdv store")
    meta = data.get("meta", {}).get("1")
    if not isinstance(meta, dict) or "schema" not in meta:
        raise PtdvError("store.damaged", path=str(path), detail="no schema version")
    if meta["schema"] not in SCHEMAS_READ:
        raise PtdvError("store.version", path=str(path), version=meta["schema"], expected=SCHEMA_VERSION)
    for name in tables:
        data.setdefault(name, {})
    return data


def shared_gid(st: os.stat_result) -> int | None:
    """The group a folder is shared with (its own), or None for a private folder.  Shared: the setgid bit (the
    README's set-up), or a group other than the user's that may enter it.  Every file and folder of a store in
    a shared folder must belong to that group and be readable and writable by it."""
    if st.st_mode & stat.S_ISGID:
        return st.st_gid
    if st.st_gid != os.getegid() and st.st_mode & 0o070 and (st.st_gid in os.getgroups() or os.geteuid() == 0):
        return st.st_gid  # (a group the account is not in is not one it shares with: it could not give files to it)
    return None


def gid_of(folder: Path) -> int | None:
    try:
        return shared_gid(os.stat(folder))
    except OSError:
        return None


def new_file_mode(folder: Path) -> int:
    """Owner only; owner and group when the folder is shared with a group (see :func:`shared_gid`)."""
    return 0o660 if shared_gid(folder.stat()) is not None else 0o600


def folder_mode(mode: int) -> int:
    return 0o770 if mode & 0o060 else 0o700


def make_folder(folder: Path, mode: int) -> None:
    """A folder of the store (``mode``: that of its files).  In a shared folder it gets the group and the setgid
    bit, so that every file made in it, by whoever, gets the group (a chmod to 0770 would clear the bit, and the
    files of an account whose primary group is another would then carry that group)."""
    folder.mkdir(exist_ok=True)
    gid = gid_of(folder.parent)
    if gid is None:
        os.chmod(folder, folder_mode(mode))
        return
    if folder.stat().st_gid != gid:
        os.chown(folder, -1, gid)
    os.chmod(folder, 0o2770)


def own(fd: int, mode: int, gid: int | None) -> None:
    """Give a file this process owns the store's group (when shared) and mode (not narrowed by the umask)."""
    if gid is not None and os.fstat(fd).st_gid != gid:
        os.fchown(fd, -1, gid)
    os.fchmod(fd, mode)


def file_signature(path: Path | str) -> tuple[int, int, int] | None:
    """A file's (inode, size, mtime), None when there is none: what tells that it changed."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise PtdvError("store.unreadable", path=str(path), detail=exc.strerror or str(exc)) from exc
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def os_error(path: Path, exc: OSError) -> PtdvError:
    key = "store.disk_full" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else "store.unwritable"
    return PtdvError(key, path=str(path), detail=exc.strerror or str(exc))


def tmp_path(path: Path) -> Path:
    """A new name beside ``path`` no one can guess (and so plant a link at beforehand)."""
    return path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")


def write_tmp(path: Path, payload: bytes, mode: int, *, durable: bool, fixed_name: bool = False) -> Path:
    """Write ``payload`` into a new file of an unpredictable name beside ``path`` and return that name, for the
    caller to rename into place; with ``fixed_name``, at ``path`` itself (caches, written in place).  Never
    through a symbolic link, never into a file someone else made under the temporary name (``O_EXCL``); the file
    gets the store's mode and, in a shared folder, its group."""
    gid = gid_of(path.parent)
    if fixed_name:
        tmp = path
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    else:
        for attempt in range(3):
            tmp = tmp_path(path)
            try:
                fd = os.open(tmp, NEW_FILE, mode)
                break
            except FileExistsError:
                if attempt == 2:
                    raise
    try:
        if not fixed_name or os.fstat(fd).st_uid == os.geteuid():  # only its owner may set a file's mode
            own(fd, mode, gid)
        view = memoryview(payload)
        while view:
            view = view[os.write(fd, view):]
        if durable:
            os.fsync(fd)
    except BaseException:
        os.close(fd)
        if not fixed_name:
            discard(tmp)
        raise
    os.close(fd)
    return tmp


def discard(path: Path) -> None:
    with suppress(OSError):
        path.unlink()


def read_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def link_target(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"


def account_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)
