"""The official calendar in words, for ``ptdv calendar`` and the due lists (CLI and app): a day's kind and
origin, and a due date the days added to the calendar moved (db.calendar_store)."""
from __future__ import annotations

from db.calendar_store import Moved, Row
from db.i18n import t
from db.text import fmt_date, iso, safe
from db.workdays import CalendarEntry

from .output import timestamp


def kind_text(kind: str, lang: str) -> str:
    return t(f"calendar.kind.{kind}", lang)


def weekday_text(entry: CalendarEntry, lang: str) -> str:
    return t(f"cli.calendar.weekday.{entry.day.weekday()}", lang)


def label_text(row: Row, lang: str) -> str:
    if row.origin == "estimated":
        return t("calendar.estimated_label", lang)
    return safe(row.entry.label(lang))


def origin_text(row: Row, lang: str) -> str:
    entry = row.entry
    if row.origin == "added":
        return t("calendar.origin.added", lang, by=safe(entry.by), at=timestamp(entry.at))
    return t(f"calendar.origin.{row.origin}", lang)


def entry_text(entry: CalendarEntry, lang: str) -> str:
    """``15/09/2026 ngày nghỉ «Nghỉ thêm»``."""
    label = entry.label(lang)
    return t("calendar.entry", lang, date=fmt_date(entry.day), kind=kind_text(entry.kind, lang).lower(),
             label=t("calendar.entry_label", lang, label=safe(label)) if label else "")


def moved_text(moved: Moved, lang: str) -> str:
    """What a due list adds to a due date the added days moved: the date it was, and the days that moved it."""
    changes = "; ".join(entry_text(e, lang) for e in moved.changes) or t("calendar.moved_several", lang)
    return t("calendar.moved", lang, before=fmt_date(moved.before), changes=changes)


def moved_json(moved: Moved | None) -> dict | None:
    if moved is None:
        return None
    return {"before": iso(moved.before), "calendar": [entry_json(e) for e in moved.changes]}


def entry_json(entry: CalendarEntry, lang: str = "vi") -> dict:
    return {"date": iso(entry.day), "kind": entry.kind, "label": entry.label(lang), "source": entry.source,
            "shipped": entry.shipped, "by": entry.by or None, "at": entry.at or None}


def row_json(row: Row, lang: str) -> dict:
    return {**entry_json(row.entry, lang), "origin": row.origin,
            **({"label": t("calendar.estimated_label", lang)} if row.origin == "estimated" else {})}
