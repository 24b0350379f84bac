"""The suite in served mode: with ``PTDV_SERVED=1`` (``make test-served``) every command of the CLI tests and
every app of the Pilot tests goes through a ``ptdv serve`` service instead of the store file.

The service runs in this process (a thread and a socket for each store and account), so the tests' own
services still read and check the files as before.  The kernel would name every caller ``root`` here, so the
harness tells each service whom it acts for: the account of the test's service (a made-up staff account), or
this process's for the command line.  A command on a store that is not there yet (``init``, ``demo``) runs on
the file, as the service's administrator would.
"""
from __future__ import annotations

import os
import socket
import sys
import tempfile
import threading
from pathlib import Path

import pytest

from db import connect
from db.identity import Caller
from db.remote import RemoteService
from db.server import Hub, Listener, Sink
from db.service import Service
from db.store import Store

SERVED = os.environ.get("PTDV_SERVED") == "1"


class Services:
    """The services of one test, by (store, account); stopped when the test ends."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="ptdv-served-", dir="/run" if os.access("/run", os.W_OK) else None))
        self.running: dict[tuple[Path, str], tuple[Listener, Path]] = {}
        self.failures: list[BaseException] = []  # what a service met that it did not expect: the test fails

    def socket_for(self, path: Path, account: str) -> Path:
        key = (path, account)
        if key not in self.running:
            sock_path = self.folder / f"{len(self.running)}.sock"
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.bind(str(sock_path))
            caller = Caller(-1, account)
            listener = Listener(sock, Hub(Store(path), Sink(None)), self.failures.append, who=lambda _conn: caller)
            threading.Thread(target=listener.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
            self.running[key] = (listener, sock_path)
        return self.running[key][1]

    def remote(self, service: Service) -> Service:
        if type(service) is not Service or not service.store.exists():
            return service  # served already, a test's own kind of service (one holding its reads), or no store yet
        return RemoteService(self.socket_for(service.store.path, service.user), today=service._today)

    def stop(self) -> None:
        for listener, sock_path in self.running.values():
            listener.stop()
            listener.server_close()
            sock_path.unlink(missing_ok=True)
        self.folder.rmdir()
        if self.failures:
            raise self.failures[0]


@pytest.fixture(autouse=True)
def served(request, monkeypatch):
    """Every app and command of the test through a service (see the module's docstring)."""
    if not SERVED:
        yield None
        return
    if request.node.get_closest_marker("embedded"):
        pytest.skip("about the store file itself: embedded mode only")
    import tui.app
    import tui.cli

    services = Services()
    make_app, open_service = tui.app.make_app, connect.open_service

    def served_app(service, *args, **kwargs):
        return make_app(services.remote(service), *args, **kwargs)

    def served_service(target, *, today=None):
        return services.remote(open_service(target, today=today))

    for module in (tui.app, request.module, sys.modules.get("tui_pilot")):
        if getattr(module, "make_app", None) is make_app:
            monkeypatch.setattr(module, "make_app", served_app)
    monkeypatch.setattr(tui.cli, "open_service", served_service)
    try:
        yield services
    finally:
        services.stop()
