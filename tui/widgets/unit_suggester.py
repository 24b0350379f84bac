"""Completion of unit names in an Input, diacritics ignored, for one name or a comma-separated list of them:
``Phước Mỹ, an hai b`` offers ``Phước Mỹ, An Hải Bắc``."""
from __future__ import annotations

from typing import Callable, Iterable

from textual.suggester import Suggester

from db.text import fold

SEPARATOR = ","


class UnitSuggester(Suggester):
    """Suggest the first label (see ``Service.unit_labels``) that starts with the last name typed; ``labels``
    may be a function, asked at each keystroke (names typed in another field of the form)."""

    def __init__(self, labels: Iterable[str] | Callable[[], Iterable[str]], *, several: bool = False) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self._labels = labels
        self.several = several

    def labels(self) -> list[str]:
        return list(self._labels() if callable(self._labels) else self._labels)

    async def get_suggestion(self, value: str) -> str | None:
        head, sep, last = value.rpartition(SEPARATOR) if self.several else ("", "", value)
        lead = last[:len(last) - len(last.lstrip())]
        typed = fold(last.lstrip())
        if not typed:
            return None
        for label in self.labels():
            folded = fold(label)
            # folding keeps one letter per letter, so the suggestion's tail lines up with what is typed
            if folded.startswith(typed) and len(folded) == len(label):
                return head + sep + lead + label  # → takes the label as it is spelled
        return None


def split_names(text: str) -> list[str]:
    """The names of a comma-separated list, trimmed, empty ones left out."""
    return [part.strip() for part in text.split(SEPARATOR) if part.strip()]
