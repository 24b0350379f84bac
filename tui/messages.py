"""Messages of the app: posted by workers, handled on the app's own loop (workers touch no widget)."""
from __future__ import annotations

from textual.message import Message


class StoreChanged(Message):
    """Another process replaced the store file: the active screen should re-read it."""
