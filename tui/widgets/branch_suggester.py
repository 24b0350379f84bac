"""Completion of branch names in an Input, diacritics ignored: typing ``chi bo tram`` offers ``Chi bộ Trạm y tế``."""
from __future__ import annotations

from textual.suggester import Suggester

from db.text import fold


class BranchSuggester(Suggester):
    """Suggest the first label (see ``Service.branch_labels``) that starts with what is typed."""

    def __init__(self, labels: list[str]) -> None:
        super().__init__(use_cache=True, case_sensitive=False)
        self._labels = [(fold(label), label) for label in labels]

    async def get_suggestion(self, value: str) -> str | None:
        typed = fold(value)
        if not typed:
            return None
        for folded, label in self._labels:
            # folding keeps one letter per letter, so the suggestion's tail lines up with what is typed
            if folded.startswith(typed) and len(folded) == len(label):
                return label
        return None
