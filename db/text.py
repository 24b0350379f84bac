"""Text helpers: diacritics-insensitive folding, safe display, dates in dd/mm/yyyy, counts and rates as typed."""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from functools import lru_cache

from .errors import PtdvError


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


def slug(text: str, cells: int = 60) -> str:
    """``Đảng ủy phường Phước Mỹ`` -> ``dang-uy-phuong-phuoc-my``: a name in a file's name, ASCII, at most ``cells``."""
    return re.sub(r"[^a-z0-9]+", "-", fold(text))[:cells].strip("-")


_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})  # controls, format (zero-width, direction), ...
_SPACES = re.compile(r"[ \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")  # Unicode spaces (Zs)
NAME_LIMIT = 200    # a name, a residence, a reason: one line
NOTES_LIMIT = 4000  # family background and verification notes: several lines
FORMULA_START = "=+-@"  # a cell starting with one of these is a formula to a spreadsheet
# typographic apostrophes and hyphens in names are kept as the plain ones (so search finds them)
_NAME_MARKS = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2010": "-", "\u2011": "-"})
_CONTROL_NAMES = {"\x00": "NULL", "\x07": "BELL", "\x08": "BACKSPACE", "\x09": "CHARACTER TABULATION",
                  "\x0a": "LINE FEED", "\x0b": "LINE TABULATION", "\x0c": "FORM FEED", "\x0d": "CARRIAGE RETURN",
                  "\x1b": "ESCAPE", "\x7f": "DELETE", "\x85": "NEXT LINE"}


def hidden(ch: str) -> bool:
    """A control or invisible character: C0/C1 controls, format characters (zero-width spaces, direction
    overrides, BOM), line and paragraph separators, surrogates, private use, unassigned."""
    return unicodedata.category(ch) in _HIDDEN


def _hidden_at(text: str, *, newlines: bool = False) -> int | None:
    if text.isprintable():  # the usual case: nothing to look at
        return None
    return next((i for i, ch in enumerate(text) if hidden(ch) and not (newlines and ch == "\n")), None)


def safe(text: str, *, newlines: bool = False) -> str:
    """Show control and invisible characters (escape sequences, bells, direction overrides, zero-width
    spaces) escaped, never raw; newlines too unless ``newlines`` (a multi-line text shown as lines)."""
    if _hidden_at(text, newlines=newlines) is None:
        return text
    return "".join(ch.encode("unicode_escape", "backslashreplace").decode("ascii")
                   if hidden(ch) and not (newlines and ch == "\n") else ch for ch in text)


def describe_char(ch: str) -> str:
    """A character as a message names it: ``'3' (U+0033 DIGIT THREE)``, ``U+202E RIGHT-TO-LEFT OVERRIDE``."""
    code = f"U+{ord(ch):04X}"
    name = unicodedata.name(ch, "") or _CONTROL_NAMES.get(ch, "")
    code = f"{code} {name}" if name else code
    return f"'{ch}' ({code})" if ch.isprintable() and ch != " " else code


def _refuse(key: str, field: str, text: str, index: int, **params: object) -> PtdvError:
    return PtdvError(key, field=field, char=describe_char(text[index]), position=index + 1, **params)


def _lines(text: object, field: str, *, multiline: bool = False) -> str:
    """``text`` in NFC with its spaces collapsed and trimmed (each line when ``multiline``: blank lines
    kept, at most one in a row); a control or invisible character left in it is refused, naming it."""
    value = unicodedata.normalize("NFC", str(text or ""))
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
        lines = [_SPACES.sub(" ", line).strip(" ") for line in value.split("\n")]
        value = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
    else:
        value = _SPACES.sub(" ", re.sub(r"[\t\n\r]", " ", value)).strip(" ")
    found = _hidden_at(value, newlines=multiline)
    if found is not None:
        raise _refuse("input.control_chars", field, value, found)
    return value


def clean_text(text: object, *, field: str, limit: int = NAME_LIMIT, multiline: bool = False,
               required: bool = False) -> str:
    """A free text as typed (a residence, a reason, notes): NFC, spaces collapsed, trimmed; control and
    invisible characters refused (newlines kept in a ``multiline`` text), at most ``limit`` characters.
    A leading ``=`` or ``-`` is allowed here: export neutralises formulas."""
    return _clean_text(str(text or ""), field, limit, multiline, required)


@lru_cache(maxsize=65536)  # an imported list repeats names, villages, reasons (a metro dry run: 830,000 calls)
def _clean_text(text: str, field: str, limit: int, multiline: bool, required: bool) -> str:
    value = _lines(text, field, multiline=multiline)
    if not value and required:
        raise PtdvError("input.required", field=field)
    if len(value) > limit:
        raise PtdvError("input.too_long", field=field, limit=limit)
    return value


def clean_name(text: object, *, field: str = "name") -> str:
    """One line of free text, required (an exit's reason): see ``clean_text``."""
    return clean_text(text, field=field, required=True)


def clean_unit_name(text: object, *, field: str = "unit") -> str:
    """A unit's name: any printable characters (``Chi bộ 3/2``, ``Chi bộ khu dân cư số 7``), NFC, single
    spaces, trimmed; never a spreadsheet formula's first character, nor a control or invisible one."""
    value = clean_text(text, field=field, required=True)
    if value[0] in FORMULA_START:
        raise _refuse("input.formula_start", field, value, 0)
    return value


def _person_char(ch: str) -> bool:
    return ch in " '-" or unicodedata.category(ch)[0] in "LM"


def clean_person_name(text: object, *, field: str = "name") -> str:
    """A person's name: letters of any script (with their marks), spaces, and the apostrophe and hyphen of
    names like ``H'Hen Niê`` or ``Y-Moan`` (typographic ones kept as ``'`` and ``-``); NFC, single spaces,
    trimmed, starting with a letter.  Anything else is refused, naming the character and its position."""
    return _clean_person_name(str(text or ""), field)


@lru_cache(maxsize=65536)
def _clean_person_name(text: str, field: str) -> str:
    value = clean_text(text.translate(_NAME_MARKS), field=field, required=True)
    bad = next((i for i, ch in enumerate(value) if not _person_char(ch)), None)
    if bad is not None:
        raise _refuse("input.name_char", field, value, bad)
    if unicodedata.category(value[0])[0] != "L":
        raise _refuse("input.name_start", field, value, 0)
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


def parse_rate(text: str | float) -> float:
    """``4%``, ``4`` or ``3.5 %`` -> percent as a float; refused outside 0–100."""
    raw = str(text).strip().rstrip("%").strip().replace(",", ".")
    try:
        value = float(raw)
    except ValueError:
        raise PtdvError("quota.bad_rate", value=safe(str(text))) from None
    if not 0 <= value <= 100 or value != value:
        raise PtdvError("quota.bad_rate", value=safe(str(text)))
    return value


# a whole number, digits grouped by thousands with "." or "," allowed (139.534); never a fraction (4.5, 0.125);
# digits 0-9 only (int() would take ٣ or ３)
_COUNT = re.compile(r"-?(\d+|[1-9]\d{0,2}([.,]\d{3})+)", re.ASCII)


def parse_count(value: str | int, *, field: str, maximum: int = 10_000_000) -> int:
    text = str(value).strip()
    if not isinstance(value, int) and not _COUNT.fullmatch(text):
        raise PtdvError("input.not_a_number", field=field, value=safe(str(value)))
    number = value if isinstance(value, int) else int(text.replace(".", "").replace(",", ""))
    if number < 0:
        raise PtdvError("input.negative", field=field, value=number)
    if number > maximum:
        raise PtdvError("input.too_large", field=field, value=number, limit=maximum)
    return number


def fmt_date(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def from_iso(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
