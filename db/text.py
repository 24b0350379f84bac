"""Text helpers: diacritics-insensitive folding, safe display, dates in dd/mm/yyyy."""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from .errors import PtdvError

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _fold_table() -> dict[int, str | None]:
    """Latin letters with diacritics -> their base letter; combining marks -> nothing."""
    table: dict[int, str | None] = {cp: None for cp in range(0x300, 0x370)}
    for cp in [*range(0xC0, 0x250), *range(0x1E00, 0x1F00)]:
        base = "".join(c for c in unicodedata.normalize("NFD", chr(cp)) if not unicodedata.combining(c))
        if base != chr(cp):
            table[cp] = base
    table[ord("đ")], table[ord("Đ")] = "d", "D"
    return table


_FOLD = _fold_table()


def fold(text: str) -> str:
    """Lower-case ``text`` and strip Vietnamese diacritics: ``Phước Mỹ`` -> ``phuoc my``."""
    stripped = text.translate(_FOLD)
    if not stripped.isascii():  # letters outside the table: the general (slower) way
        decomposed = unicodedata.normalize("NFD", stripped)
        stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.lower().split())


def safe(text: str) -> str:
    """Show control characters (escape sequences, newlines, bells) escaped, never raw."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def clean_name(text: str, *, field: str = "name") -> str:
    """A name as typed, trimmed; empty or control characters are refused."""
    value = " ".join(str(text).split())
    if not value:
        raise PtdvError("input.required", field=field)
    if _CONTROL.search(str(text).replace("\n", " ").replace("\t", " ")):
        raise PtdvError("input.control_chars", field=field, value=safe(str(text)))
    if len(value) > 200:
        raise PtdvError("input.too_long", field=field, limit=200)
    return value


def parse_date(text: str | date, *, field: str = "date") -> date:
    """Accept ``dd/mm/yyyy`` (also ``d/m/yyyy``, ``dd-mm-yyyy``, ``dd.mm.yyyy``) or ISO ``yyyy-mm-dd``."""
    if isinstance(text, datetime):
        return text.date()
    if isinstance(text, date):
        return text
    raw = str(text).strip()
    match = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})", raw, re.ASCII)
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            return date(year, month, day)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw, re.ASCII):
            return date.fromisoformat(raw)
    except ValueError:
        pass
    raise PtdvError("input.bad_date", field=field, value=safe(raw))


def fmt_date(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def from_iso(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
