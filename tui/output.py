"""Plain-text rendering for the CLI: aligned tables, shortened names, numbers, labels, JSON.

Nothing here decides a figure or a rule; it only lays out what ``db.service`` returned.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from functools import lru_cache

import orjson

from db.i18n import CATALOGUES, t
from db.text import fmt_date, safe

ELLIPSIS = "…"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# fields whose values are ids with a label in the catalogue, and the labels' key prefix
VALUE_LABELS = {"gender": "gender", "education": "education", "occupation": "occupation",
                "stage": "stage_short", "kind": "exit", "tags": "tag", "end": "unit_end"}


@lru_cache(maxsize=65536)
def width(text: str) -> int:
    """Terminal cells: combining marks take none, wide (CJK) characters two."""
    if text.isascii():
        return len(text)
    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
               for ch in text)


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` cells, ending in an ellipsis when something was cut."""
    if width(text) <= limit:
        return text
    used = 0  # the cells of text[:cut] (a character's cells add up: width is one character's at a time)
    for cut, ch in enumerate(text):
        if used + width(ch) + 1 > limit:
            break
        used += width(ch)
    return text[:cut].rstrip() + ELLIPSIS


def shorten_name(name: str, limit: int) -> str:
    """A unit's name cut to ``limit`` cells like :func:`shorten`, keeping a closing part in brackets when it
    fits in two thirds of the room ("Chi bộ khu dân cư số 1 (An Hải Bắc)" -> "Chi bộ khu dân…(An Hải Bắc)"):
    it is what tells apart two branches of one name after a merge."""
    if width(name) <= limit:
        return name
    head, opening, tail = name.rpartition(" (")
    if opening and tail.endswith(")") and head and width(tail) + 2 <= limit * 2 // 3:
        return shorten(head, limit - width(tail) - 1) + "(" + tail
    return shorten(name, limit)


def pad(text: str, cells: int, right: bool = False) -> str:
    gap = " " * max(0, cells - width(text))
    return gap + text if right else text + gap


def table(headers: list[str], rows: list[list[str]], *, right: frozenset[int] = frozenset()) -> list[str]:
    """Columns two spaces apart, a rule under the headers; columns in ``right`` are right-aligned."""
    cells = [max(width(row[i]) for row in [headers, *rows]) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "  ".join(pad(text, cells[i], i in right) for i, text in enumerate(row)).rstrip()
    return [line(headers), "  ".join("─" * n for n in cells), *(line(row) for row in rows)]


def pairs(items: list[tuple[str, str]]) -> list[str]:
    """``label   value`` lines with the values in one column (a value of several lines: each in it)."""
    cells = max((width(label) for label, _ in items), default=0)
    return [f"{pad(label if i == 0 else '', cells)}  {line}".rstrip()
            for label, value in items for i, line in enumerate(str(value).split("\n"))]


# The quota meter's symbols, one place for the CLI and the app: admitted, forecast, still to find.
ADMITTED, FORECAST, REMAINING = "█", "▒", "·"


def bar_cells(admitted: int, target: int, forecast: int, size: int) -> tuple[int, int]:
    """Cells of the bar for admitted and for forecast on top of it; a non-zero count shows at least one."""
    def cells(count: int) -> int:
        filled = round(size * min(count, target) / target)
        return max(filled, 1) if count > 0 and size > 0 else filled
    done = cells(admitted)
    return done, max(0, cells(max(forecast, admitted)) - done)


def meter(done: int, expected: int, total: int | None, size: int = 30) -> str:
    """``[████▒▒····]``: done, then expected on top of it, against the total."""
    if not total:
        return ""
    full, more = bar_cells(done, total, expected, size)
    return "[" + ADMITTED * full + FORECAST * more + REMAINING * (size - full - more) + "]"


# -- numbers and labels ---------------------------------------------------------------------
def has_key(key: str) -> bool:
    return key in CATALOGUES["en"]


def number(value: int | None, lang: str) -> str:
    if value is None:
        return t("value.none", lang)
    text = f"{value:,}"
    return text.replace(",", ".") if lang == "vi" else text


def percent(value: float | None, lang: str, spec: str = ".1f") -> str:
    if value is None:
        return t("value.none", lang)
    text = f"{value:{spec}}%"
    return text.replace(".", ",") if lang == "vi" else text


def field_label(name: str, lang: str) -> str:
    for key in (f"field.{name}", f"cli.field.{name}"):
        if has_key(key):
            return t(key, lang)
    return name


def value_text(name: str, value: object, lang: str, *, lines: bool = False) -> str:
    """A stored value as a person reads it: labels for ids, dd/mm/yyyy dates, yes/no, lists; a text's
    newlines kept when ``lines`` (notes shown in full), else escaped like any control character."""
    if value is None or value == "" or value == [] or value == ():
        return t("value.none", lang)
    if isinstance(value, bool):
        return t("value.yes" if value else "value.no", lang)
    if isinstance(value, date):
        return fmt_date(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(value_text(name, v, lang) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {value_text(name, v, lang)}" for k, v in value.items())
    text = str(value)
    prefix = VALUE_LABELS.get(name)
    if prefix and has_key(f"{prefix}.{text}"):
        return t(f"{prefix}.{text}", lang)
    if _ISO_DATE.fullmatch(text):
        return fmt_date(date.fromisoformat(text))
    return safe(text, newlines=lines)


def timestamp(text: str) -> str:
    """An ISO timestamp of the audit as ``dd/mm/yyyy HH:MM``; anything else shown as it is, safely."""
    try:
        return datetime.fromisoformat(text).strftime("%d/%m/%Y %H:%M")
    except (TypeError, ValueError):
        return safe(str(text))


# -- JSON -----------------------------------------------------------------------------------
def _json_default(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


_JSON_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS


def to_json(data: object) -> str:
    """Indented JSON in UTF-8 (no ``\\u`` escapes), keys in their order, dates as yyyy-mm-dd.

    orjson: the candidate list of the largest city in a fraction of the stdlib encoder's time.
    """
    return orjson.dumps(data, default=_json_default, option=_JSON_OPTIONS).decode()
