"""A progress bar on stderr while a long import, export or report runs: only when stderr is a terminal
(nothing at all when it is piped or written to a file, so scripts and logs see only the result), redrawn at
most ten times a second on one line, cleared when the work is done.

    Đang kiểm tra  [███████░░░░░░░░░░░░░]  8.500/25.000 dòng · còn 0:02

A step whose size is not known beforehand (reading the store) shows its name alone.
"""
from __future__ import annotations

import shutil
import sys
import time
from typing import Callable, TextIO

from db.i18n import t

from .output import number

BAR = 20          # cells of the bar
EVERY = 0.1       # seconds between two redraws
LEFT_AFTER = 0.5  # seconds of work before the time left is guessed


def on_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or replaced stream
        return False


class Progress:
    """Steps of a long task as one line on ``stream`` (stderr): :meth:`step` names the next one; calling the
    object with (done, total) moves its bar, as ``db.transfer.Progress`` and ``transfer_io.write`` do.
    Does nothing unless ``stream`` is a terminal."""

    def __init__(self, lang: str, stream: TextIO | None = None, *, clock: Callable[[], float] = time.monotonic,
                 columns: int | None = None) -> None:
        self.lang = lang
        self.stream = stream if stream is not None else sys.stderr
        self.shown = on_terminal(self.stream)
        self.clock = clock
        self.columns = columns
        self.label = ""
        self.started = self.drawn_at = 0.0
        self.width = 0  # characters of the line on screen

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def step(self, key: str) -> None:
        """Start the step named by message ``key``: its name alone until it tells how far it is."""
        self.label = t(key, self.lang)
        self.started = self.clock()
        self._draw(self.label)

    def __call__(self, done: int, total: int) -> None:
        now = self.clock()
        if not self.shown or (now - self.drawn_at < EVERY and done < total):
            return
        self._draw(self.line(done, total, now - self.started))

    def line(self, done: int, total: int, elapsed: float) -> str:
        """``Label  [████░░░░]  done/total rows · 0:02 left``."""
        share = min(done / total, 1.0) if total else 1.0
        filled = round(share * BAR)
        text = (f"{self.label}  [{'█' * filled}{'░' * (BAR - filled)}]  "
                + t("cli.progress.rows", self.lang, done=number(done, self.lang), total=number(total, self.lang)))
        if done and elapsed >= LEFT_AFTER and done < total:
            left = round(elapsed / done * (total - done))
            text += " · " + t("cli.progress.left", self.lang, time=f"{left // 60}:{left % 60:02d}")
        return text

    def _draw(self, text: str) -> None:
        if not self.shown:
            return
        limit = (self.columns or shutil.get_terminal_size().columns) - 1
        text = text[:limit]
        self.stream.write("\r" + text + " " * max(self.width - len(text), 0))
        self.stream.flush()
        self.width = len(text)
        self.drawn_at = self.clock()

    def close(self) -> None:
        """Clear the line (the cursor back at its start), when one was drawn."""
        if self.shown and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0
