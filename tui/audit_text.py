"""Audit entries in words, for ``ptdv log`` and the audit screen: the action's label, the record
it touched, and each change (``db.audit.changes``) as ``field: before → after``."""
from __future__ import annotations

from datetime import date, timedelta

from db.audit import Change, changes, target_kind
from db.i18n import t
from db.state import State
from db.text import safe

from .output import field_label, has_key, percent, shorten, timestamp, value_text

ARROW = "→"


def action_text(action: object, lang: str) -> str:
    key = f"cli.action.{action}"
    return t(key, lang) if has_key(key) else safe(str(action))


def when_text(entry: dict) -> str:
    return timestamp(entry.get("at", ""))


def record_text(entry: dict, state: State, lang: str, width: int = 30, *, short: bool = False) -> str:
    """``candidate:3`` -> ``Quần chúng #3 Nguyễn Văn An``; ``quota:5:2024`` -> ``Chỉ tiêu 2024 #5 …``.
    ``short`` leaves out the kind of a unit or a candidate (``#3 Nguyễn Văn An``), for a narrow column."""
    kind, ident, year = target_kind(entry)
    doc = entry.get("after") or entry.get("before") or {}
    unit = state.units.get(int(ident)) if ident.isdigit() else None
    name = doc.get("name") if isinstance(doc.get("name"), str) else (unit.name if unit else "")
    key = f"cli.record.{kind}"
    if not has_key(key):
        return safe(str(entry.get("target", "")))
    if short and kind in ("unit", "candidate"):
        return f"#{ident} {shorten(safe(name), width)}"
    return t(key, lang, id=ident, name=shorten(safe(name), width), year=year)


def value_of(key: str, value: object, state: State, lang: str) -> str:
    """A value of an audit record: levels and units by name, rates as percentages, stages by label."""
    if key == "level" and value in state.levels:
        return safe(state.level_label(str(value), lang))
    if key in ("parent", "unit") and value in state.units:
        return f"#{value} {safe(state.units[value].name)}"
    if key == "units" and isinstance(value, list):  # a user's scope
        return ", ".join(value_of("unit", u, state, lang) for u in value) or t("value.none", lang)
    if key == "role" and has_key(f"access.role.{value}"):
        return t(f"access.role.{value}", lang)
    if key == "rate" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return percent(value, lang, ".3g")
    if key == "history" and isinstance(value, list):
        return ", ".join(value_of("history", step, state, lang) for step in value) or t("value.none", lang)
    if key == "history" and isinstance(value, dict):
        return f"{value_text('stage', value.get('stage'), lang)} ({value_text('date', value.get('date'), lang)})"
    if key == "successors" and isinstance(value, list):
        return ", ".join(value_of("unit", u, state, lang) for u in value) or t("value.none", lang)
    if key == "earlier" and isinstance(value, list):  # (until, parent): under parent up to the day before until
        return "; ".join(f"{value_of('parent', parent, state, lang)} ({field_label('until', lang)} "
                         f"{value_text('date', _day_before(until), lang)})"
                         for until, parent in (v for v in value if isinstance(v, list) and len(v) == 2))
    if key == "moves" and isinstance(value, dict):  # a transfer: from, to, on which day, why
        reason = str(value.get("reason") or "")
        return (f"{value_of('unit', value.get('from'), state, lang)} {ARROW} {value_of('unit', value.get('to'), state, lang)}"
                f" ({value_text('date', value.get('on'), lang)}{', ' + safe(reason) if reason else ''})")
    if key == "papers" and isinstance(value, list):  # the dossier's papers after a correction
        return ", ".join(value_of("papers", p, state, lang) for p in value) or t("value.none", lang)
    if key == "papers" and isinstance(value, dict):  # a paper received: which, on which day
        return f"{t('paper.' + str(value.get('kind')), lang)} ({value_text('date', value.get('received'), lang)})"
    if key == "kind" and has_key(f"calendar.kind.{value}"):  # a day added to the calendar (ptdv calendar)
        return t(f"calendar.kind.{value}", lang)
    if key == "exit" and isinstance(value, dict):
        return (f"{value_text('kind', value.get('kind'), lang)} ({safe(str(value.get('reason', '')))}, "
                f"{value_text('date', value.get('date'), lang)})")
    return value_text(key, value, lang)


def _day_before(until: object) -> object:
    try:
        return date.fromisoformat(str(until)) - timedelta(days=1)
    except ValueError:
        return until


def label_of(entry: dict, key: str, lang: str) -> str:
    """The label of a field of the entry's record (a unit's name reads "unit")."""
    is_unit = str(entry.get("target", "")).startswith("unit:")
    return field_label("unit" if is_unit and key == "name" else key, lang)


def change_text(entry: dict, change: Change, state: State, lang: str) -> str:
    label = label_of(entry, "stage" if change.field == "history" else change.field, lang)
    if change.created or change.field in ("history", "moves") or (change.field == "papers" and change.before is None):
        return f"{label}: {value_of(change.field, change.after, state, lang)}"
    return (f"{label}: {value_of(change.field, change.before, state, lang)} {ARROW} "
            f"{value_of(change.field, change.after, state, lang)}")


def changes_text(entry: dict, state: State, lang: str) -> str:
    """Everything ``entry`` changed on one line, ``; ``-separated."""
    return "; ".join(change_text(entry, change, state, lang) for change in changes(entry))
