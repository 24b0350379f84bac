"""ptdv's service protocol, version 1 (docs/SERVICE.md): JSON-RPC 2.0 in HTTP/1.1 over a Unix socket.

``POST /v1/rpc``: one JSON-RPC request; ``method`` is a method of :class:`db.service.Service` (of
:data:`METHODS`), ``params`` an object ``{"args": {name: value}, "today": "YYYY-MM-DD" | null}`` with values
as :mod:`db.wire` writes them.  The caller is never named in a request: the service takes the uid of the
socket's peer from the kernel.  ``GET /v1/events``: a ``text/event-stream`` that says ``changed`` after every
write, so an open app reads again.
"""
from __future__ import annotations

import inspect

from .service import Service

VERSION = 1
RPC_PATH = f"/v{VERSION}/rpc"
EVENTS_PATH = f"/v{VERSION}/events"
HELLO_PATH = f"/v{VERSION}/hello"  # GET: the protocol's version and the account the service sees
MAX_REQUEST = 64 * 1024 * 1024  # bytes of one request (an import of the largest office list fits)
PREFIX = "unix:"  # a --db of the form unix:/run/ptdv/ptdv.sock names a service, not a file

# JSON-RPC 2.0's own codes, and the two of this protocol (server errors are -32000 to -32099)
PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, INTERNAL_ERROR = -32700, -32600, -32601, -32602, -32603
REFUSED = -32000  # a domain error: a rule, a role, a bad value; ``data`` is the error (db.wire.error_data)

# asked of the client's own copy of the read model, or made there: never sent
LOCAL = frozenset({"state", "tree", "today", "user"})
# what only the service's administrator does, as the service account, on the files (README: the service)
NOT_REMOTE = frozenset({"init", "move_store_aside"})
# what the read model a client keeps is made of: the catalogue and the parts' answers, scoped to the caller
SNAPSHOT = "read_model"
PARTS = frozenset({"get", "of_units", "stored_cells", "all", "counts", "report_counts", "names", "totals", "parts_among",
                   "report_sums", "part_units", "branch", "branches"})


def _methods() -> dict[str, inspect.Signature]:
    """Service's public methods a client may call, with their signatures (to name each argument)."""
    out = {}
    for name, member in vars(Service).items():
        if name.startswith("_") or name in LOCAL or name in NOT_REMOTE:
            continue
        if isinstance(member, (staticmethod, classmethod, property)) or not inspect.isfunction(member):
            continue
        out[name] = inspect.signature(member)
    return out


METHODS: dict[str, inspect.Signature] = _methods()
