"""The one exception type of the domain: a message key and its parameters.

Front ends render it with :func:`db.i18n.t` in the user's language; nothing in
``db/`` formats user-facing text itself.
"""
from __future__ import annotations

from .i18n import CATALOGUES, t


class PtdvError(Exception):
    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    # parameters that hold a stage or field id are shown as labels in the user's language
    STAGE_PARAMS = frozenset({"stage", "expected", "previous"})

    def message(self, lang: str = "vi") -> str:
        params = {k: self._label(k, v, lang) for k, v in self.params.items()}
        return t(self.key, lang, **params)

    def __str__(self) -> str:  # English in logs and tracebacks of tests
        return self.message("en")

    def _label(self, name: str, value: object, lang: str) -> object:
        if name in self.STAGE_PARAMS and f"stage_short.{value}" in CATALOGUES["en"]:  # a stage's id
            return t(f"stage_short.{value}", lang)
        if name == "field" and f"field.{value}" in CATALOGUES["en"]:
            return t(f"field.{value}", lang)
        return value
