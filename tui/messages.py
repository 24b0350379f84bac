"""Messages of the app: posted by workers, handled on the app's own loop (workers touch no widget)."""
from __future__ import annotations

from textual.message import Message

from db.errors import PtdvError


class StoreChanged(Message):
    """Another process replaced the store file: the active screen should re-read it."""


class Loaded(Message, bubble=False):
    """A data screen's load (``DataScreen.load``, run in a thread) is done: what it read, or what refused it.
    ``serial`` is the load's number: the screen shows only its latest."""

    def __init__(self, serial: int, data: object = None, error: PtdvError | None = None) -> None:
        super().__init__()
        self.serial = serial
        self.data = data
        self.error = error
