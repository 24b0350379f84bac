"""Reading and writing the tables of ``Service.import_candidates`` / ``Service.export``: csv, xlsx, json.

- xlsx: one sheet per table (units, quotas, candidates); import reads the candidates sheet (by its
  title in either language), else the first sheet.
- csv: one file, the candidates only (UTF-8 with a BOM, so Excel shows Vietnamese letters).
- json: one object ``{"units": [...], "quotas": [...], "candidates": [...]}``, each a list of
  objects keyed by heading; import reads its ``candidates``.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

import orjson

from db.errors import PtdvError
from db.i18n import LANGS, t
from db.text import fold

FORMATS = ("xlsx", "csv", "json")
CANDIDATES = "candidates"


def format_of(path: Path) -> str:
    kind = path.suffix.lower().lstrip(".")
    if kind not in FORMATS:
        raise PtdvError("import.bad_format", path=str(path))
    return kind


def read_table(path: Path) -> list[list[object]]:
    """The candidates table of a file: a heading row, then one row per candidate."""
    kind = format_of(path)
    try:
        if kind == "csv":
            with path.open(encoding="utf-8-sig", newline="") as handle:
                return [list(row) for row in csv.reader(handle)]
        if kind == "json":
            records = orjson.loads(path.read_bytes())
            records = records.get(CANDIDATES, []) if isinstance(records, dict) else records
            headings = list(dict.fromkeys(k for r in records for k in r))
            return [headings, *([r.get(h) for h in headings] for r in records)]
        return _read_xlsx(path)
    except (OSError, ValueError, KeyError, AttributeError) as exc:
        raise PtdvError("import.unreadable", path=str(path), detail=str(exc)) from exc


def _read_xlsx(path: Path) -> list[list[object]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except InvalidFileException as exc:
        raise ValueError(str(exc)) from exc
    titles = {fold(t(f"export.sheet.{CANDIDATES}", lang)) for lang in LANGS}
    sheet = next((s for s in book.worksheets if fold(s.title) in titles), book.worksheets[0])
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    book.close()
    return rows


def write(tables: dict, kind: str, lang: str) -> bytes:
    """``Service.export``'s tables as the bytes of a file of ``kind``."""
    if kind == "json":
        return orjson.dumps({name: [dict(zip(head, row)) for row in rows] for name, (head, rows) in tables.items()},
                            option=orjson.OPT_INDENT_2)
    if kind == "csv":
        head, rows = tables[CANDIDATES]
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows([head, *rows])
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, (head, rows) in tables.items():
        sheet = book.create_sheet(t(f"export.sheet.{name}", lang))
        for row in [head, *rows]:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
