"""``ptdv serve``: the one process that opens a shared store's files, answering staff over a Unix socket.

Each connection's caller is the uid the kernel gives for the socket's peer (``SO_PEERCRED``), named by the
system's account database; the request names nobody.  Every question is answered by a :class:`Service` acting
for that caller, so its role and scope apply as in a process of their own, and the read model the client keeps
(:data:`db.protocol.SNAPSHOT`) holds the units and figures every user sees but only the candidates the caller
may read.  One store, one thread at a time inside it (a lock): the store is made for one thread.

Every audit entry a write makes is also appended to the audit sink, a file of the service account that no
staff account can write, so the trail survives a store restored from a backup or damaged by hand.
"""
from __future__ import annotations

import gc
import http.server
import os
import pwd
import signal
import socket
import socketserver
import stat
import struct
import sys
import threading
import time
from contextlib import suppress
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable

import orjson

from . import access, protocol, wire
from .errors import PtdvError
from .identity import Caller
from .service import Service
from .store import SPLIT_SCHEMA, Store

WATCH_S = 0.5  # how often the service looks whether its store was changed other than through it
KEEPALIVE_S = 15.0  # an event stream says something at least this often (a comment), so a dead client is found
_UCRED = struct.Struct("3i")


class ServeError(PtdvError):
    """The service cannot start (a socket, folder or group that is not as it must be)."""


class Sink:
    """The audit sink: a JSON-lines file of the service account; each line an audit entry as the store wrote it,
    with when the service copied it and the caller's uid and pid as the kernel gave them."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
            os.close(fd)

    def write(self, entries: list[dict], peer: tuple[int, int] | None) -> None:
        if self.path is None or not entries:
            return
        at = datetime.now().astimezone().isoformat(timespec="seconds")
        lines = b"".join(orjson.dumps({"copied_at": at, "peer_uid": peer[1] if peer else None,
                                       "peer_pid": peer[0] if peer else None, "entry": entry}) + b"\n"
                         for entry in entries)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            os.write(fd, lines)
            os.fsync(fd)
        finally:
            os.close(fd)


def _last_write(entries: list[dict]) -> list[dict]:
    """The entries of the newest committed write: those after the commit line before the last one."""
    ends = [i for i, entry in enumerate(entries) if entry.get("commit")]
    if not ends:
        return []
    start = ends[-2] + 1 if len(ends) > 1 else 0
    return entries[start:ends[-1] + 1]


class Hub:
    """The store, the lock around it, the count of writes and the clients waiting to hear of the next."""

    def __init__(self, store: Store, sink: Sink) -> None:
        self.store = store
        store.tidy_later = True  # old backups are dropped between answers (:meth:`tidy`)
        self.sink = sink
        self.lock = threading.Lock()
        self.changed = threading.Condition()
        self.writes = 0
        self.started = f"{os.getpid()}.{time.time_ns()}"
        self.stopping = False

    def call(self, caller: Caller, peer: tuple[int, int] | None, method: str, args: dict,
             today: date | None) -> Any:
        """``method`` of a service acting for ``caller`` (of protocol.METHODS, SNAPSHOT or parts.*)."""
        with self.lock:
            service = Service(self.store, caller=caller, today=today)
            if method == protocol.SNAPSHOT:
                return read_model(service)
            if method.startswith("parts."):
                return parts_answer(service, method.removeprefix("parts."), args)
            before = self._audit_mark()
            result = getattr(service, method)(**args)
            wrote = self._audit_mark() != before
            if wrote:
                self.sink.write(self._written(before), peer)
        if wrote:
            self.news()
        return result

    def _written(self, before: tuple[int, int] | None) -> list[dict]:
        """The audit entries of the write just made: the lines after ``before`` when the log only grew (read from
        there, not from its start), else (a restore put another log in its place) its last write's."""
        if before is not None and (mark := self._audit_mark()) is not None and mark[0] == before[0] \
                and mark[1] > before[1]:
            with open(self.store.audit_path, "rb") as log:
                log.seek(before[1])
                return [orjson.loads(line) for line in log.read().split(b"\n") if line.strip()]
        return _last_write(self.store.audit_since(0))

    def _audit_mark(self) -> tuple[int, int] | None:
        try:
            info = self.store.audit_path.stat()
        except FileNotFoundError:
            return None
        return info.st_ino, info.st_size

    def watch(self) -> None:
        """Say so when the store's files changed other than through this service (its administrator, as the
        service account, ran ptdv on them): asked of a session of its own, every WATCH_S (two stats)."""
        watch = self.store.session()
        with suppress(PtdvError):  # damaged: said to whoever asks; the watch goes on
            watch.refresh()
        told = self.writes
        while not self.stopping:
            time.sleep(WATCH_S)
            self.tidy()
            try:
                if not watch.changed():
                    continue
                watch.refresh()
            except PtdvError:
                pass  # damaged: the clients read again and are told
            if self.writes == told:  # else a write through the service changed them, and said so itself
                self.news()
            told = self.writes

    def tidy(self) -> None:
        """Drop the backups no kept version needs, when a save left that for later: between answers, not in a
        save's (every tenth save's answer took 5-15 ms longer at metro scale)."""
        if self.store.tidy_due:
            with self.lock, suppress(PtdvError):  # the lock busy for long, a store damaged: the next save asks again
                self.store.tidy()

    def news(self) -> None:
        with self.changed:
            self.writes += 1
            self.changed.notify_all()

    def version(self) -> str:
        """The store's version as clients see it: this service's start and its writes since."""
        return f"{self.started}:{self.writes}"

    def wait_for_change(self, seen: int, timeout: float) -> int:
        with self.changed:
            self.changed.wait_for(lambda: self.writes != seen or self.stopping, timeout)
            return self.writes


def read_model(service: Service) -> dict:
    """What a client makes its read model from: the catalogue's tables, with the users table holding only the
    caller (a client asks the service whether they may do something; it needs its own role to show keys)."""
    data = dict(service.store.catalogue_data())
    me = service.whoami()
    data["users"] = {"1": me.to_doc()}
    data["visits"] = {}  # which parts hold a transferred candidate's past: for the figures, made in the service
    return {"data": data, "indexed_branches": int(data["meta"]["1"]["schema"]) >= SPLIT_SCHEMA}


class _Readable:
    """The units a caller may read (of ``wanted`` only, when given), as a search asks them: ``unit in it``, each
    unit's answer kept for the search's other hits."""

    def __init__(self, readable: Callable[[int], bool], wanted: set[int] | None) -> None:
        self.readable = readable
        self.wanted = wanted
        self.known: dict[int, bool] = {}

    def __contains__(self, unit: object) -> bool:
        if unit not in self.known:
            self.known[unit] = (self.wanted is None or unit in self.wanted) and self.readable(unit)
        return self.known[unit]


def parts_answer(service: Service, name: str, args: dict) -> Any:
    """The store's answer to a read model's question about candidates and branches (its parts: a
    :class:`db.state.CandidateSource` and :class:`db.state.UnitParts`), with only the candidates the caller may
    read; the units, and the figures of every unit, are for every user."""
    if name not in protocol.PARTS:
        raise PtdvError("service.bad_request", detail=name)
    state = service.store.state()
    parts = state.source
    mine = service.whoami().units
    readable = lambda unit: access.covers(state, mine, unit)  # noqa: E731
    if name == "get":
        cand = parts.get(args["cid"])
        return cand if cand is not None and readable(cand.unit) else None
    if name in ("of_units", "stored_cells"):
        return getattr(parts, name)([u for u in args["units"] if readable(u)])
    if name == "all":
        return [c for c in parts.all() if readable(c.unit)]
    if name == "names":  # the first ``limit`` of those the caller may read (of ``units``, when asked)
        units = args.get("units")
        wanted = set(units) if units is not None else None
        return parts.names(args.get("words", ()), args.get("limit"), _Readable(readable, wanted))
    if name == "report_counts":  # the admitted by sex, ethnicity, religion…: a report's detail, in scope only
        return parts.report_counts([u for u in args["units"] if readable(u)])
    if name == "report_sums":
        return parts.report_sums([p for p in args["pids"] if readable(p)], args["year"])
    if name == "branches":
        return list(parts.branches())
    return getattr(parts, name)(*args.values())


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120  # seconds a connection may take to send its request (a stalled client frees its thread)
    server: "Listener"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the journal gets errors only
        pass

    def _peer(self) -> tuple[tuple[int, int], Caller]:
        pid, uid, _gid = _UCRED.unpack(self.connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                                  _UCRED.size))
        return (pid, uid), self.server.who(self.connection)

    def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        if self.path != protocol.RPC_PATH:
            self._send(404, b'{"error": "not found"}')
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= protocol.MAX_REQUEST:
            self._send(413, b'{"error": "request too large"}')
            self.close_connection = True
            return
        self._send(200, orjson.dumps(self._answer(self.rfile.read(length))))

    def _answer(self, raw: bytes) -> dict:
        request_id = None
        try:
            request = orjson.loads(raw)
            if not isinstance(request, dict) or request.get("jsonrpc") != "2.0" or "method" not in request:
                return _rpc_error(None, protocol.INVALID_REQUEST, "invalid request")
            request_id = request.get("id")
            method = request["method"]
            params = request.get("params") or {}
            if not isinstance(method, str) or not isinstance(params, dict):
                return _rpc_error(request_id, protocol.INVALID_REQUEST, "invalid request")
            if method not in protocol.METHODS and method != protocol.SNAPSHOT and not method.startswith("parts."):
                return _rpc_error(request_id, protocol.METHOD_NOT_FOUND, f"no method {method!r}")
            args = wire.decode(params.get("args") or {})
            today = date.fromisoformat(params["today"]) if params.get("today") else None
            if not isinstance(args, dict) or not all(isinstance(k, str) for k in args):
                return _rpc_error(request_id, protocol.INVALID_PARAMS, "args must be an object")
            if method in protocol.METHODS:
                try:
                    protocol.METHODS[method].bind(None, **args)
                except TypeError as exc:
                    return _rpc_error(request_id, protocol.INVALID_PARAMS, str(exc))
            peer, caller = self._peer()
            hub = self.server.hub
            result = hub.call(caller, peer, method, args, today)
            return {"jsonrpc": "2.0", "id": request_id,
                    "result": {"value": result if method == protocol.SNAPSHOT else wire.encode(result),
                               "version": hub.version()}}
        except orjson.JSONDecodeError:
            return _rpc_error(None, protocol.PARSE_ERROR, "parse error")
        except (wire.WireError, ValueError, KeyError) as exc:
            return _rpc_error(request_id, protocol.INVALID_PARAMS, str(exc))
        except PtdvError as err:
            return {"jsonrpc": "2.0", "id": request_id,
                    "error": {"code": protocol.REFUSED, "message": err.message("en"), "data": wire.error_data(err)}}
        except Exception as exc:  # noqa: BLE001 - the service answers and goes on; the journal has the detail
            self.server.report(exc)
            return _rpc_error(request_id, protocol.INTERNAL_ERROR, "internal error")

    def do_GET(self) -> None:  # noqa: N802
        if self.path == protocol.HELLO_PATH:
            _peer, caller = self._peer()
            self._send(200, orjson.dumps({"protocol": protocol.VERSION, "account": caller.account}))
            return
        if self.path != protocol.EVENTS_PATH:
            self._send(404, b'{"error": "not found"}')
            return
        self._peer()  # an account the system knows, or no stream
        hub = self.server.hub
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        self.close_connection = True
        seen = hub.writes
        try:
            self.wfile.write(b": ptdv\n\n")
            self.wfile.flush()
            while not hub.stopping:
                now = hub.wait_for_change(seen, KEEPALIVE_S)
                if now != seen:
                    seen = now
                    self.wfile.write(b"event: changed\ndata: " + orjson.dumps({"writes": now}) + b"\n\n")
                else:
                    self.wfile.write(b": keepalive\n\n")
                self.wfile.flush()
        except OSError:
            pass  # the client went away


def _rpc_error(request_id: Any, code: int, message: str) -> dict:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}


def systemd_socket() -> socket.socket | None:
    """The listening socket systemd passed (socket activation: LISTEN_PID is this process, fd 3), if any."""
    if os.environ.get("LISTEN_PID") != str(os.getpid()) or os.environ.get("LISTEN_FDS") != "1":
        return None
    for name in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
        os.environ.pop(name, None)
    return socket.socket(fileno=3)


def check_store_folder(store: Path) -> None:
    """A served store's folder is the service account's alone: refuse to serve one others may enter."""
    folder = store.parent
    try:
        info = folder.stat()
    except OSError as exc:
        raise ServeError("serve.folder_missing", folder=str(folder), detail=exc.strerror or str(exc)) from exc
    if info.st_uid != os.geteuid() or stat.S_IMODE(info.st_mode) & 0o077:
        owner = _account(info.st_uid)
        raise ServeError("serve.folder_open", folder=str(folder), owner=owner,
                         mode=f"{stat.S_IMODE(info.st_mode):04o}", account=_account(os.geteuid()))


def _account(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def bind(path: Path, group: str | None) -> socket.socket:
    """A listening socket at ``path``, mode 0660, of ``group``; a stale socket there is replaced, anything else
    refused."""
    import grp

    try:
        gid = grp.getgrnam(group).gr_gid if group else None
    except KeyError:
        raise ServeError("serve.no_group", group=group) from None
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
    if path.is_symlink() or (path.exists() and not stat.S_ISSOCK(path.lstat().st_mode)):
        raise ServeError("serve.socket_taken", path=str(path))
    if path.exists():
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(str(path))
        except OSError:
            path.unlink()  # left by a service that stopped
        else:
            raise ServeError("serve.running", path=str(path))
        finally:
            probe.close()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        sock.bind(str(path))
    finally:
        os.umask(old)
    if gid is not None:
        try:
            os.chown(path, -1, gid)
        except PermissionError:
            sock.close()
            path.unlink()
            raise ServeError("serve.not_in_group", group=group, account=_account(os.geteuid())) from None
    os.chmod(path, 0o660)
    return sock


class Listener(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """The service's listening socket: a thread for each connection, every request answered by the hub."""

    daemon_threads = True

    def __init__(self, sock: socket.socket, hub: Hub, report: Callable[[BaseException], None],
                 who: Callable[[socket.socket], Caller] = Caller.of_peer) -> None:
        super().__init__("", _Handler, bind_and_activate=False)
        self.socket.close()
        self.socket = sock
        self.server_address = sock.getsockname()
        sock.listen(64)
        self.hub = hub
        self.report = report
        self.who = who  # the caller of a connection: the kernel's peer; a test's harness may name its own
        threading.Thread(target=hub.watch, name="ptdv-watch", daemon=True).start()

    def handle_error(self, request: object, client_address: object) -> None:
        """A connection that failed outside a request's answer (the client went away mid-way): to the journal,
        as the service's own failures go, not as a bare traceback."""
        exc = sys.exc_info()[1]
        if exc is not None and not isinstance(exc, (BrokenPipeError, ConnectionResetError)):
            self.report(exc)

    def stop(self) -> None:
        """End the event streams and the loop of :meth:`serve_forever` (from any thread but the loop's)."""
        self.hub.stopping = True
        with self.hub.changed:
            self.hub.changed.notify_all()
        self.shutdown()


def open_store(store_path: Path) -> Store:
    """The store to serve: it must be there, in a folder of the service account's alone, readable."""
    store = Store(store_path)
    check_store_folder(store.path)
    if not store.exists():
        raise ServeError("serve.no_store", path=str(store.path), account=_account(os.geteuid()))
    store.state()  # a damaged catalogue is said now, not at the first caller
    return store


def serve(store_path: Path, socket_path: Path | None, group: str | None, sink_path: Path | None,
          report: Callable[[BaseException], None], ready: Callable[[str], None]) -> None:
    """Serve ``store_path`` until SIGTERM or SIGINT."""
    store = open_store(store_path)
    # The read model just made lives as long as the service: kept out of the collector's full passes, which
    # otherwise walk all of it now and then inside some caller's answer (tens of milliseconds at metro scale).
    # What it holds that later becomes garbage in a cycle stays (once: nothing is frozen after this).
    gc.collect()
    gc.freeze()
    sock = systemd_socket()
    ours = sock is None  # a socket this process made (and removes), not one systemd passed
    if sock is None:
        if socket_path is None:
            raise ServeError("serve.no_socket")
        sock = bind(socket_path, group)
    listener = Listener(sock, Hub(store, Sink(sink_path)), report)

    def stop(_signum: int, _frame: object) -> None:
        threading.Thread(target=listener.stop, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    ready(str(listener.server_address))
    try:
        listener.serve_forever(poll_interval=0.5)
    finally:
        listener.server_close()
        if ours and socket_path is not None:
            try:
                socket_path.unlink()
            except FileNotFoundError:
                pass
