"""Labels and messages. One catalogue per language in ``db/locales``; ids are English."""
from __future__ import annotations

import os
from string import Formatter

from .locales import en, vi

CATALOGUES: dict[str, dict[str, str]] = {"vi": vi.MESSAGES, "en": en.MESSAGES}
LANGS = tuple(CATALOGUES)
DEFAULT_LANG = "vi"


def default_lang() -> str:
    lang = os.environ.get("PTDV_LANG", DEFAULT_LANG)
    return lang if lang in CATALOGUES else DEFAULT_LANG


class Phrases(tuple):
    """Catalogue entries ``(key, params)`` a message lists: a parameter of this type is shown as their texts,
    joined by ", ", in the language of the message (the papers missing from a dossier)."""

    def text(self, lang: str) -> str:
        return ", ".join(t(key, lang, **params) for key, params in self)


def t(key: str, lang: str = DEFAULT_LANG, **params: object) -> str:
    """The text for ``key`` in ``lang``; a missing key shows itself rather than crash."""
    catalogue = CATALOGUES.get(lang, CATALOGUES[DEFAULT_LANG])
    template = catalogue.get(key) or CATALOGUES["en"].get(key) or key
    params = {k: v.text(lang) if isinstance(v, Phrases) else v for k, v in params.items()}
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name}
