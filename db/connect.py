"""The service a front end uses for a ``--db``: a store file (embedded) or a ``ptdv serve`` service."""
from __future__ import annotations

import os
from datetime import date

from .protocol import PREFIX
from .service import Service
from .store import Store


def is_served(target: str | os.PathLike) -> bool:
    """Whether ``target`` names a service (``unix:/run/ptdv/ptdv.sock``) rather than a store file."""
    return os.fspath(target).startswith(PREFIX)


def open_service(target: str | os.PathLike, *, today: date | None = None) -> Service:
    """A service over the store ``target`` names; a served one is reached at its first question."""
    if is_served(target):
        from .remote import RemoteService

        return RemoteService(os.fspath(target).removeprefix(PREFIX), today=today)
    return Service(Store(target), today=today)
