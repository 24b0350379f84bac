"""What an audit entry changed, field by field: one function for ``ptdv log`` and the audit screen.

An entry (``Store.audit_since``) holds the record before and after the change; a new record has
no "before".  :func:`changes` lists what differs, in the order people read a record, with the
stages a candidate went through as one change each.  Front ends only put it into words.
"""
from __future__ import annotations

from dataclasses import dataclass

from .model import EDITABLE_FIELDS

# identity of the record (its target names it): shown only when an existing record's value changed
IDENTITY = frozenset({"unit", "year"})
HIDDEN = frozenset({"rev"})
STEPS = ("history", "moves", "papers")  # lists a change appends to: each new step is one change
ORDER = ("name", "level", "parent", "unit", "members", "target", "rate", *EDITABLE_FIELDS[1:], "history", "moves",
         "papers", "exit")
EMPTY = (None, "", [], {})


@dataclass(frozen=True)
class Change:
    field: str          # the record's key; "history" for one stage added (``after`` is that step)
    before: object      # None when the entry created the record
    after: object
    created: bool       # the entry created the record: ``after`` is a value it was given


def _order(key: str) -> tuple[int, str]:
    return (ORDER.index(key) if key in ORDER else len(ORDER), key)


def changes(entry: dict) -> list[Change]:
    """The fields ``entry`` changed; for a new record, the values it was given (empty ones left out)."""
    before, after = entry.get("before") or {}, entry.get("after") or {}
    created = not before
    out: list[Change] = []
    moved = len(after.get("moves") or []) > len(before.get("moves") or []) and not created
    for key in sorted(before.keys() | after.keys(), key=_order):
        old, new = before.get(key), after.get(key)
        if key == "unit" and moved:  # a transfer says from where to where, and from when
            continue
        if key in HIDDEN or old == new or (created and (key in IDENTITY or new in EMPTY)):
            continue
        steps_before = old or []
        if key in STEPS and isinstance(new, list) and new[:len(steps_before)] == steps_before:
            out += [Change(key, None, step, created) for step in new[len(steps_before):]]
        else:
            out.append(Change(key, None if created else old, new, created))
    return out


def target_kind(entry: dict) -> tuple[str, str, str]:
    """``candidate:3`` -> ("candidate", "3", ""); ``quota:5:2024`` -> ("quota", "5", "2024")."""
    kind, _, rest = str(entry.get("target", "")).partition(":")
    ident, _, year = rest.partition(":")
    return kind, ident, year
