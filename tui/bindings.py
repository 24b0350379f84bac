"""Bindings whose descriptions are catalogue keys, translated per instance.

Write ``Binding(key, action, "ui.app.key.help", id="help")`` in ``BINDINGS`` and call
``localize_bindings(self, lang)`` in ``__init__``: the footer, the help screen and the palette then
show the text in the user's language.  Only bindings with an ``id`` are ours and translated.
"""
from __future__ import annotations

from dataclasses import replace

from textual.dom import DOMNode

from db.i18n import t


def localize_bindings(node: DOMNode, lang: str) -> None:
    """Replace the catalogue keys in ``node``'s bindings with their text in ``lang``."""
    bindings = node._bindings.key_to_bindings  # the per-instance copy Textual makes in __init__
    for key, found in bindings.items():
        bindings[key] = [
            replace(b, description=t(b.description, lang) if b.description else "",
                    tooltip=t(b.tooltip, lang) if b.tooltip else "",
                    group=replace(b.group, description=t(b.group.description, lang)) if b.group else None)
            if b.id else b
            for b in found
        ]


def hide_in_footer(node: DOMNode, ids: set[str]) -> None:
    """Keep the bindings ``ids`` of ``node`` (help and palette still list them) out of the footer."""
    bindings = node._bindings.key_to_bindings
    for key, found in bindings.items():
        bindings[key] = [replace(b, show=False) if b.id in ids else b for b in found]
