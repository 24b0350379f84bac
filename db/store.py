"""The TinyDB JSON store, safe for several people on one server.

Every write: exclusive lock on a separate ``.lock`` file, reload when another
process changed the file (with fresh TinyDB caches), apply, then an atomic
replace (temp file in the same folder, fchmod, fsync, ``os.replace``, fsync of
the folder).  A damaged file or an unknown schema is an error naming the file,
and such a file is never written over.

All file access of ptdv goes through :class:`Store`; callers see ``state()``
(a read model), ``transaction()`` (apply a change) and ``audit_since()``.
"""
from __future__ import annotations

import errno
import fcntl
import glob
import os
import stat
import tempfile
import time
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import Iterator

import orjson
from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document

from .errors import PtdvError
from .identity import current_user
from .model import DEFAULT_LEVELS, Level, Settings
from .state import State

SCHEMA_VERSION = 1
TABLES = ("meta", "levels", "units", "quotas", "candidates", "audit")
LOCK_TIMEOUT_S = 10.0


def default_path() -> Path:
    env = os.environ.get("PTDV_DB")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("ptdv", appauthor=False)) / "ptdv.json"


class _MemoryStorage(Storage):
    """TinyDB storage over the dict the store parsed; the store decides when to write the file."""

    def __init__(self, data: dict, on_write) -> None:
        self._data = data
        self._on_write = on_write

    def read(self) -> dict:
        return self._data

    def write(self, data: dict) -> None:
        self._data = data
        self._on_write(data)


def _new_file_mode(folder: Path) -> int:
    """Owner only; owner and group when the folder is shared with a group (setgid or another group)."""
    st = folder.stat()
    shared = bool(st.st_mode & stat.S_ISGID) or st.st_gid != os.getegid()
    return 0o660 if shared else 0o600


def _read_state(db: TinyDB, path: Path) -> State:
    """The read model of the loaded file; a record of the wrong shape is an error naming the file."""
    try:
        return State.from_db(db)
    except PtdvError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PtdvError("store.invalid", path=str(path), detail=f"{type(exc).__name__}: {exc}") from exc


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Transaction:
    """What one write sees: the TinyDB of the store under the lock, and an audit to append to."""

    def __init__(self, store: "Store") -> None:
        self.store = store
        self.db: TinyDB = store._db
        self.user = store.user
        self.at = datetime.now().astimezone().isoformat(timespec="seconds")
        self._state: State | None = None

    @property
    def state(self) -> State:
        if self._state is None:
            self._state = _read_state(self.db, self.store.path)
        return self._state

    def next_id(self, counter: str) -> int:
        meta = self.db.table("meta")
        doc = meta.get(doc_id=1)
        value = int(doc.get(counter, 0)) + 1
        meta.update({counter: value}, doc_ids=[1])
        return value

    def put(self, table: str, doc_id: int, doc: dict) -> None:
        self.db.table(table).upsert(Document(doc, doc_id=doc_id))

    def put_many(self, table: str, docs: dict[int, dict]) -> None:
        """Insert new records in one table update (bulk builds and imports)."""
        self.db.table(table).insert_multiple(Document(doc, doc_id=doc_id) for doc_id, doc in docs.items())

    def add_quotas(self, docs: list[dict]) -> None:
        self.db.table("quotas").insert_multiple(docs)

    def audit(self, action: str, target: str, unit: int | None, before: dict | None, after: dict | None) -> None:
        self.db.table("audit").insert({
            "at": self.at, "by": self.user, "action": action, "target": target,
            "unit": unit, "before": before, "after": after,
        })


class Store:
    def __init__(self, path: str | os.PathLike, *, user: str | None = None, lock_timeout: float = LOCK_TIMEOUT_S) -> None:
        self.path = Path(path).expanduser().absolute()
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.user = user or current_user()
        self.lock_timeout = lock_timeout
        self._signature: tuple[int, int, int] | None = None
        self._data: dict | None = None
        self._db: TinyDB | None = None
        self._state: State | None = None
        self._dirty = False

    # -- creating -----------------------------------------------------------------------
    def exists(self) -> bool:
        return self.path.exists()

    def create(self, levels: tuple[Level, ...] = DEFAULT_LEVELS) -> None:
        """Write a new, empty store; refuse when a file is already there."""
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise PtdvError("store.unwritable", path=str(self.path), detail=exc.strerror or str(exc)) from exc
        if self.path.exists():
            raise PtdvError("store.exists", path=str(self.path))
        data: dict = {name: {} for name in TABLES}
        data["meta"]["1"] = {"schema": SCHEMA_VERSION, "created_by": self.user,
                             "created_at": datetime.now().astimezone().isoformat(timespec="seconds"),
                             "settings": Settings().to_doc(), "root": None}
        for order, level in enumerate(levels, start=1):
            data["levels"][str(order)] = {"id": level.id, "vi": level.vi, "en": level.en, "order": level.order}
        with self._locked():
            if self.path.exists():
                raise PtdvError("store.exists", path=str(self.path))
            self._write_file(data, _new_file_mode(folder))
        self._signature = None

    # -- reading ------------------------------------------------------------------------
    def _stat_signature(self) -> tuple[int, int, int] | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise PtdvError("store.unreadable", path=str(self.path), detail=exc.strerror or str(exc)) from exc
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def changed(self) -> bool:
        """True when the file differs from what this process last read (cheap: one stat)."""
        return self._stat_signature() != self._signature

    def refresh(self) -> bool:
        """Reload when another process replaced the file; returns whether it did."""
        signature = self._stat_signature()
        if signature is None:
            raise PtdvError("store.missing", path=str(self.path))
        if signature == self._signature and self._db is not None:
            return False
        try:
            raw = self.path.read_bytes()
        except OSError as exc:
            raise PtdvError("store.unreadable", path=str(self.path), detail=exc.strerror or str(exc)) from exc
        data = self._parse(raw)
        self._data = data
        # A fresh TinyDB on each reload: its query caches and next ids start clean.
        self._db = TinyDB(storage=_MemoryStorage, data=data, on_write=self._mark_dirty)
        self._state = None
        self._signature = signature
        return True

    def _parse(self, raw: bytes) -> dict:
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise PtdvError("store.damaged", path=str(self.path), detail=str(exc)) from exc
        if not isinstance(data, dict) or not all(isinstance(data.get(t, {}), dict) for t in TABLES):
            raise PtdvError("store.damaged", path=str(self.path), detail="not a ptdv store")
        meta = data.get("meta", {}).get("1")
        if not isinstance(meta, dict) or "schema" not in meta:
            raise PtdvError("store.damaged", path=str(self.path), detail="no schema version")
        if meta["schema"] != SCHEMA_VERSION:
            raise PtdvError("store.version", path=str(self.path), version=meta["schema"], expected=SCHEMA_VERSION)
        for name in TABLES:
            data.setdefault(name, {})
        return data

    def state(self) -> State:
        """The current read model, rebuilt only when the file changed."""
        self.refresh()
        if self._state is None:
            self._state = _read_state(self._db, self.path)
        return self._state

    def audit_since(self, index: int = 0) -> list[dict]:
        """Audit entries with a sequence number above ``index``, oldest first."""
        self.refresh()
        return [dict(doc, seq=doc.doc_id) for doc in self._db.table("audit") if doc.doc_id > index]

    # -- writing ------------------------------------------------------------------------
    def _mark_dirty(self, data: dict) -> None:
        self._data = data
        self._dirty = True

    @contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            mode = (_new_file_mode(self.path.parent) if not self.path.exists()
                    else stat.S_IMODE(self.path.stat().st_mode) & 0o660)
            # flock needs only read access: whoever may read the store can take its lock
            fd = os.open(self.lock_path, os.O_RDONLY | os.O_CREAT, mode)
        except OSError as exc:
            raise PtdvError("store.unwritable", path=str(self.lock_path), detail=exc.strerror or str(exc)) from exc
        try:
            with suppress(OSError):  # so that the umask does not narrow it; only its owner may
                os.fchmod(fd, mode)
            deadline = time.monotonic() + self.lock_timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise PtdvError("store.locked", path=str(self.path), seconds=int(self.lock_timeout)) from None
                    time.sleep(0.005)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Lock, reload if needed, let the caller change the TinyDB, write atomically once."""
        if not self.path.exists():  # before locking: no lock file left next to a store that is not there
            raise PtdvError("store.missing", path=str(self.path))
        with self._locked():
            self.refresh()
            self._dirty = False
            tx = Transaction(self)
            try:
                yield tx
                if self._dirty:
                    mode = stat.S_IMODE(self.path.stat().st_mode)
                    self._write_file(self._data, mode)
            except BaseException:
                self._signature = None  # drop in-memory changes: the next read reloads the file
                self._db = None
                raise
            finally:
                self._dirty = False
            self._signature = self._stat_signature()
            self._state = None

    def _write_file(self, data: dict, mode: int) -> None:
        """Called with the lock held; so any temp file of this store left in the folder is a killed writer's."""
        folder = self.path.parent
        for leftover in folder.glob(f".{glob.escape(self.path.name)}.*.tmp"):
            with suppress(OSError):
                leftover.unlink()
        payload = orjson.dumps(data)
        tmp_name = None
        try:
            fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{self.path.name}.", suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                os.fchmod(handle.fileno(), mode)
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_name, self.path)
            tmp_name = None
            _fsync_dir(folder)
        except OSError as exc:
            key = "store.disk_full" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else "store.unwritable"
            raise PtdvError(key, path=str(self.path), detail=exc.strerror or str(exc)) from exc
        finally:
            if tmp_name is not None:
                try:
                    os.unlink(tmp_name)
                except OSError:
                    pass
