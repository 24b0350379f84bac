"""A :class:`Service` whose store is a ``ptdv serve`` service: the same methods, asked over its Unix socket.

Every method of :data:`db.protocol.METHODS` is sent to the service, which answers it as the caller the kernel
names.  What a screen reads of the tree (``state()``, ``tree()``) comes from a read model kept here, made from
the service's answer to :data:`db.protocol.SNAPSHOT`: the catalogue's units and figures, and candidates asked
for when needed, the service giving only those the caller may read.  It is made again after a write of this
client and when the service says the store changed (:meth:`RemoteStore.changed`).
"""
from __future__ import annotations

import http.client
import inspect
import itertools
import socket
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any, Collection, Iterator

import orjson

from . import protocol, wire
from .errors import PtdvError
from .service import Service
from .state import State

CALL_TIMEOUT_S = 900.0  # the longest question (the first check of a metro store) takes well under this
EVENTS_RETRY_S = 1.0
BRANCHES_ASKED_ALONE = 16  # branches a read model asks for one by one before it fetches the list of all


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float | None) -> None:
        super().__init__("ptdv", timeout=timeout)
        self.unix_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.unix_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


def _detail(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


class Client:
    """Requests to the service at ``path``, each on a connection of its own (so a service restarted between
    two of them is simply there again, and a request is never sent twice)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._ids = itertools.count(1)


    def request(self, verb: str, target: str, body: bytes | None = None) -> bytes:
        conn = _UnixConnection(self.path, CALL_TIMEOUT_S)
        try:
            conn.connect()
        except PermissionError as exc:  # the socket is the staff group's: this account is not in it
            raise PtdvError("remote.not_allowed", path=self.path, detail=_detail(exc)) from None
        except OSError as exc:
            raise PtdvError("remote.unavailable", path=self.path, detail=_detail(exc)) from None  # nothing was sent
        try:
            conn.request(verb, target, body=body, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as exc:
            raise PtdvError("remote.interrupted", path=self.path, detail=_detail(exc)) from None  # done or not?
        finally:
            conn.close()
        if response.status != 200:
            raise PtdvError("remote.bad_answer", path=self.path, detail=f"HTTP {response.status}")
        return raw

    def call(self, method: str, args: dict, today: date | None = None) -> Any:
        body = orjson.dumps({"jsonrpc": "2.0", "id": next(self._ids), "method": method,
                             "params": {"args": wire.encode(args), "today": today.isoformat() if today else None}})
        try:
            answer = orjson.loads(self.request("POST", protocol.RPC_PATH, body))
        except orjson.JSONDecodeError:
            raise PtdvError("remote.bad_answer", path=self.path, detail="JSON") from None
        if "error" in answer:
            error = answer["error"]
            data = error.get("data")
            if isinstance(data, dict) and "$error" in data:
                raise wire.error_from(data["$error"])
            if error.get("code") == protocol.INTERNAL_ERROR:
                raise PtdvError("remote.failed", path=self.path)
            raise PtdvError("remote.refused", path=self.path, detail=str(error.get("message")))
        result = answer.get("result")
        if not isinstance(result, dict) or "version" not in result:
            raise PtdvError("remote.bad_answer", path=self.path, detail="result")
        if method != protocol.SNAPSHOT:  # the catalogue's tables are plain JSON: not walked (0.1 s at metro)
            result["value"] = wire.decode(result.get("value"))
        return result

    def hello(self) -> dict:
        return orjson.loads(self.request("GET", protocol.HELLO_PATH))

    def events(self) -> Iterator[str]:
        """The names of the events the service sends, as they come, until the connection ends: ``open`` first,
        then ``changed`` after each write."""
        conn = _UnixConnection(self.path, None)
        try:
            conn.request("GET", protocol.EVENTS_PATH)
            response = conn.getresponse()
            if response.status != 200:
                return
            yield "open"
            while line := response.readline():
                if line.startswith(b"event:"):
                    yield line[6:].strip().decode()
        except (OSError, http.client.HTTPException):
            return
        finally:
            conn.close()


class RemoteParts:
    """The read model's candidates and branches, asked of the service (a CandidateSource and UnitParts)."""

    def __init__(self, store: "RemoteStore") -> None:
        self._store = store
        self._units: dict[int, Any] = {}  # part -> its units (kept as long as the read model: units change
        self._branches: dict[int, tuple[int, str]] | None = None  # only with a write, which makes a new one)
        self._branch: dict[int, tuple[int, str] | None] = {}  # branches asked for one by one

    def _ask(self, name: str, **args: Any) -> Any:
        return self._store.ask(f"parts.{name}", args)

    def get(self, cid: int):
        return self._ask("get", cid=cid)

    def of_units(self, units: Collection[int]):
        return self._ask("of_units", units=list(units))

    def stored_cells(self, units: Collection[int]):
        return self._ask("stored_cells", units=list(units))

    def all(self):
        return self._ask("all")

    def counts(self, units: Collection[int]):
        return self._ask("counts", units=list(units))

    def report_counts(self, units: Collection[int]):
        return self._ask("report_counts", units=list(units))

    def names(self, words: Collection[str] = (), limit: int | None = None, units: Collection[int] | None = None):
        return self._ask("names", words=list(words), limit=limit, units=None if units is None else list(units))

    def totals(self, pids: Collection[int]):
        return self._ask("totals", pids=list(pids))

    def parts_among(self, units: Collection[int]) -> set[int]:
        return set(self._ask("parts_among", units=list(units)))

    def report_sums(self, pids: Collection[int], year: int):
        return self._ask("report_sums", pids=list(pids), year=year)

    def part_units(self, pid: int):
        if pid not in self._units:
            self._units[pid] = self._ask("part_units", pid=pid)
        return self._units[pid]

    def branch(self, uid: int):
        """One branch's (parent, name): asked for alone (a candidate's path needs one or two; the list of every
        branch is 1.2 MB at metro scale), until so many were asked that the whole list costs less."""
        if self._branches is not None or len(self._branch) >= BRANCHES_ASKED_ALONE:
            return self._all_branches().get(uid)
        if uid not in self._branch:
            self._branch[uid] = self._ask("branch", uid=uid)
        return self._branch[uid]

    def branches(self):
        return iter(self._all_branches().items())

    def _all_branches(self) -> dict[int, tuple[int, str]]:
        if self._branches is None:
            self._branches = dict(self._ask("branches"))
        return self._branches


class RemoteStore:
    """What a front end asks of a store, for a served one: where it is, who the caller is, whether it changed."""

    lock_timeout = 0.0  # the service waits for the store's lock, not the client

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.client = Client(self.path)
        self._user: str | None = None
        self._state: State | None = None
        self._version: str | None = None  # the store's version (of the service) the read model was made at
        self._news = threading.Event()
        self._listening = False

    @property
    def user(self) -> str:
        """The account the service sees this process as (asked at the first use)."""
        if self._user is None:
            try:
                self._user = str(self.client.hello()["account"])
            except (KeyError, TypeError, ValueError):
                raise PtdvError("remote.bad_answer", path=str(self.path), detail="hello") from None
        return self._user

    def exists(self) -> bool:
        return True

    def session(self) -> "RemoteStore":
        """Another session with the service (a client and a read model of its own), for another thread."""
        return RemoteStore(self.path)

    def own_paths(self) -> tuple[Path, ...]:
        return ()  # the service's files are nowhere this process may look

    def state(self) -> State:
        if self._state is None:
            answer = self.ask(protocol.SNAPSHOT, {})
            parts = RemoteParts(self)
            self._state = State.from_data(answer["data"], parts, parts,
                                          indexed_branches=bool(answer["indexed_branches"]))
        return self._state

    def ask(self, method: str, args: dict, today: date | None = None) -> Any:
        """The service's answer; the read model is made again when the store changed since it was made (this
        client's write, or another's the answer says happened)."""
        answer = self.client.call(method, args, today)
        if answer["version"] != self._version:
            self._version = answer["version"]
            self._state = None if method != protocol.SNAPSHOT else self._state
        return answer["value"]

    def forget(self) -> None:
        """The read model is made again at the next question (after a write, or news of another's)."""
        self._state = None

    def changed(self) -> bool:
        """Whether the service said the store changed since the last call that said so (a thread listens to
        its events from the first call on; a lost connection counts as news, so the screen shows it)."""
        if not self._listening:
            self._listening = True
            threading.Thread(target=self._listen, name="ptdv-events", daemon=True).start()
        if not self._news.is_set():
            return False
        self._news.clear()
        self.forget()
        return True

    def refresh(self) -> bool:
        return self.changed()

    def mark_seen(self) -> None:
        self.changed()

    def _listen(self) -> None:
        """News when the service says the store changed, when it stops answering and when it is back."""
        lost = False
        while True:
            for event in self.client.events():
                if event != "open" or lost:
                    self._news.set()
                lost = False
            if not lost:
                self._news.set()
                lost = True
            time.sleep(EVENTS_RETRY_S)


def _forward(name: str, signature: inspect.Signature):
    var_keyword = next((p.name for p in signature.parameters.values() if p.kind is p.VAR_KEYWORD), None)

    def call(self: "RemoteService", *args: Any, **kwargs: Any) -> Any:
        named = dict(signature.bind(self, *args, **kwargs).arguments)
        named.pop("self")
        named.pop("progress", None)  # told in this process only: the service's progress is not sent
        if var_keyword is not None:
            named.update(named.pop(var_keyword, {}))
        return self.ask(name, named)

    call.__name__ = name
    call.__doc__ = getattr(Service, name).__doc__
    return call


class RemoteService(Service):
    """:class:`Service` for a store served at ``path`` (see the module's docstring)."""

    store: RemoteStore  # type: ignore[assignment]

    def __init__(self, path: str | Path, *, today: date | None = None) -> None:
        super().__init__(RemoteStore(path), today=today)  # type: ignore[arg-type]

    def ask(self, name: str, args: dict) -> Any:
        return self.store.ask(name, args, self._today)

    for _name, _signature in protocol.METHODS.items():
        locals()[_name] = _forward(_name, _signature)
    del _name, _signature

    def init(self, *_args: Any, **_kwargs: Any) -> Any:
        raise PtdvError("remote.admin_only", path=str(self.store.path))

    move_store_aside = init
