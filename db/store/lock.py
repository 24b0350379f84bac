"""The lock every writer of a store takes: ``flock`` on ``<store>.lock``, whose holder writes its process id and
account into it, so that whoever waits in vain can say who is saving."""
from __future__ import annotations

import errno
import fcntl
import os
import time
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Iterator

import orjson

from ..access import check_account
from ..errors import PtdvError
from .files import Layout, gid_of, link_target, own

LOCK_TIMEOUT_S = 10.0
LOCK_INFO = 128  # bytes of the lock file's record of its holder (process id, account)


def flock_within(fd: int, seconds: float, step: float = 0.005) -> bool:
    """``flock`` the open file ``fd`` exclusively, trying until ``seconds`` have passed: whether it was taken."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(step)


@contextmanager
def locked(layout: Layout, timeout: float, account: str, mode: int | None = None) -> Iterator[None]:
    """Hold the store's lock (``flock`` on the lock file, never through a link), waiting up to ``timeout`` seconds;
    the holder writes its process id and ``account`` into the file.  ``mode``: the lock file's, when the store's
    catalogue is not there yet to say it."""
    layout.check_place()
    path = layout.lock_path
    try:
        mode = layout.mode() if mode is None else mode
        fd, writable = _open_lock(path, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise PtdvError("store.symlink", path=str(path), target=link_target(path)) from exc
        raise PtdvError("store.unwritable", path=str(path), detail=exc.strerror or str(exc)) from exc
    held = False
    try:
        with suppress(OSError):  # so that the umask does not narrow it; only its owner may
            if os.fstat(fd).st_uid == os.geteuid():
                own(fd, mode, gid_of(path.parent))
        if not flock_within(fd, timeout):
            raise _busy(layout.path, fd, timeout)
        info = orjson.dumps({"pid": os.getpid(), "account": account}).ljust(LOCK_INFO, b" ")
        held = writable and len(info) == LOCK_INFO
        if held:
            with suppress(OSError):  # who holds it is for the message of whoever waits, no more
                os.pwrite(fd, info, 0)  # a record of one size, overwritten in place: no change of size
        yield
    finally:
        if held:
            with suppress(OSError):
                os.pwrite(fd, b" " * LOCK_INFO, 0)
        os.close(fd)  # closing releases the lock


def _busy(store: Path, fd: int, timeout: float) -> PtdvError:
    """``store.locked``, naming the account and process holding the lock when the lock file says so (and
    that process is still there)."""
    seconds = int(timeout)
    try:
        info = orjson.loads(os.pread(fd, 512, 0))
        pid, account = int(info["pid"]), check_account(str(info["account"]))
        if pid <= 0:
            raise ValueError(pid)
        os.kill(pid, 0)  # gone (ProcessLookupError): what the file says is from an earlier holder
    except PermissionError:
        pass  # the process is there, run by another account
    except (OSError, PtdvError, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return PtdvError("store.locked", path=str(store), seconds=seconds)
    return PtdvError("store.locked_by", path=str(store), seconds=seconds, account=account, pid=pid)


def _open_lock(path: Path, mode: int) -> tuple[int, bool]:
    """The lock file, never through a link: for reading and writing (its holder writes who it is), or for reading
    only when that is all the account may (flock needs no more).  Returns (fd, writable)."""
    flags = os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        return os.open(path, os.O_RDWR | flags, mode), True
    except OSError as exc:
        if exc.errno not in (errno.EACCES, errno.EROFS, errno.EPERM):
            raise
    return os.open(path, os.O_RDONLY | flags, mode), False
