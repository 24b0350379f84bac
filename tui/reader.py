"""The app's session of the worker threads: the data screens' loads, the palette's search and the import's plan
and write ask the store through it, never through the event loop's service.

Why a session of its own.  ``db.store.Store`` is made for one thread: its caches in memory (the catalogue and
the read model made from it, the parts, their summaries and report counts, the index files) are replaced by a
read that sees a change, and changed in place by a write while it runs, with no lock of any kind.  Between
processes it is safe: each has its own caches, reads see a write whole (its files wait in the pending folder
until its audit line is written), and writers exclude each other with ``flock`` on the lock file — ``flock``,
not ``fcntl``'s record locks, which belong to the process and so would let two writers of one process through;
``flock`` belongs to the open file, and the store opens its lock file for each write, so it holds between two
``Store`` objects of one process as between two processes.

So the app shares no ``Store`` between threads.  Its event loop keeps the app's own service (keys, dialogs and
their saves, the checks before a screen opens: questions answered from the read model in memory), and worker
threads go through this second session, opened on the same store as another process would open it, with
caches of its own.  One thread at a time (a lock: the loads of two screens, or a load and an import, take
turns), and the event loop never takes that lock, so a long read — the due list of the top — never freezes
the screen.  A save of either session is seen by the other as another process's save is: at its next read.
What this costs: the read model is made twice (once per session), and a part both sessions read is held twice.

Whether the store changed is asked of a third ``Store``, the watch, which reads nothing else: a store marks a
change as seen whenever it reads (every question of the service does), so a load of several questions can mark
a save made between two of them as seen without showing it — asked of the reading session, the poll would then
miss it.  The watch marks a change as seen only when the poll has acted on it (the screen reads again after).

A store served by ``ptdv serve`` (db/remote.py) works the same way: each session is a client of its own, and
the watch's ``changed`` says what the service's event stream said, without looking at any file.
"""
from __future__ import annotations

import copy
import threading
from contextlib import contextmanager
from typing import Callable, Iterator, TypeVar

from db.service import Service

T = TypeVar("T")


class Reader:
    """The service of the worker threads: ``with reader.session() as service`` holds it for one thread."""

    def __init__(self, service: Service) -> None:
        store = service.store
        self._service = copy.copy(service)  # the same kind of service and caller, on a store of its own (same file)
        self._service.store = store.session()
        self._lock = threading.Lock()
        self._watch = store.session()
        self._watch.mark_seen()  # before any screen reads: a save after this is news

    @contextmanager
    def session(self) -> Iterator[Service]:
        """The service, for this thread alone until the block ends (waits for another thread's read)."""
        with self._lock:
            yield self._service

    def ask(self, question: Callable[[Service], T]) -> T:
        """``question(service)`` in this thread, in the session (to run in a thread: it may wait)."""
        with self.session() as service:
            return question(service)

    def changed(self) -> bool:
        """Whether the store changed since the last call that said so (two stats and a listing of the pending
        folder): for one caller, the poll, in a thread."""
        if not self._watch.changed():
            return False
        self._watch.mark_seen()
        return True
