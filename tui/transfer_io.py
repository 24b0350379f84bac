"""Reading and writing the tables of ``Service.import_tables`` / ``Service.export``: csv, xlsx, json.

- xlsx: one sheet per table (units, quotas, candidates), titled in the export's language; import finds
  each by its title in either language (a file with no sheet titled as the candidates: its first sheet).
- csv: one file, the candidates only (UTF-8 with a BOM, so Excel shows Vietnamese letters); a text cell
  that a spreadsheet would run as a formula (``=…``, ``+…``) is written after a ``'``, removed again on import.
- json: one object ``{"units": [...], "quotas": [...], "candidates": [...]}``, each a list of
  objects keyed by heading (a bare list: the candidates).
"""
from __future__ import annotations

import csv
import io
import os
import stat
import zipfile
from pathlib import Path
from typing import Iterable, Sequence
from xml.sax.saxutils import escape

import orjson

from db.errors import PtdvError
from db.i18n import LANGS, t
from db.text import fold, safe
from db.transfer import SHEETS, Limits, Tables, size_text

from .files import csv_cell, csv_text

FORMATS = ("xlsx", "csv", "json")
CANDIDATES = "candidates"


def format_of(path: Path) -> str:
    kind = path.suffix.lower().lstrip(".")
    if kind not in FORMATS:
        raise PtdvError("import.bad_format", path=str(path))
    return kind


def read_tables(path: Path, limits: Limits | None = None) -> Tables:
    """The tables of a file by name (of ``db.transfer.SHEETS``): each a heading row, then one row per record;
    ``source`` is the file's name.  Only a plain file is read (not a folder, a device or a pipe, nor a link
    to one), and only within ``limits``: its size, an xlsx's unpacked size (checked before it is unpacked),
    its rows and columns."""
    return Tables(_read_tables(path, limits), source=path.name)


def _read_tables(path: Path, limits: Limits | None) -> dict[str, list[list[object]]]:
    kind = format_of(path)
    limits = limits or Limits()
    data = _read_file(path, limits)
    rows = _Counted(path, limits)
    try:
        if kind == "csv":
            reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
            return {CANDIDATES: rows.take([csv_text(cell) for cell in row] for row in reader)}
        if kind == "json":
            found = orjson.loads(data)
            if not isinstance(found, dict):
                found = {CANDIDATES: found}
            found = {name: found[name] for name in SHEETS if name in found}
            return {name: rows.take(_records_table(records)) for name, records in found.items()}
        return _read_xlsx(path, data, rows)
    except (OSError, ValueError, KeyError, AttributeError, TypeError, zipfile.BadZipFile) as exc:
        raise PtdvError("import.unreadable", path=safe(str(path)), detail=safe(str(exc))) from exc


def _read_file(path: Path, limits: Limits) -> bytes:
    """The bytes of ``path`` when it is a plain file of at most ``limits.bytes``: opened without waiting
    (a pipe would wait for a writer), then looked at before anything is read."""
    shown = safe(str(path))
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise PtdvError("import.unreadable", path=shown, detail=exc.strerror or str(exc)) from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise PtdvError("import.not_a_file", path=shown)
        too_big = PtdvError("import.too_big", path=shown, limit=size_text(limits.bytes))
        if st.st_size > limits.bytes:
            raise too_big
        chunks, total = [], 0
        while chunk := os.read(fd, min(1 << 20, limits.bytes + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
            if total > limits.bytes:  # it grew while read
                raise too_big
        return b"".join(chunks)
    except OSError as exc:
        raise PtdvError("import.unreadable", path=shown, detail=exc.strerror or str(exc)) from exc
    finally:
        os.close(fd)


class _Counted:
    """Rows taken from a file's tables: refused past ``limits.rows`` rows below the headings in all of
    them, or a row of more than ``limits.columns`` cells."""

    def __init__(self, path: Path, limits: Limits) -> None:
        self.path = safe(str(path))
        self.limits = limits
        self.count = 0

    def take(self, rows: Iterable[Sequence[object]]) -> list[list[object]]:
        out: list[list[object]] = []
        for row in rows:
            self.count += bool(out)  # the heading row is not counted
            if self.count > self.limits.rows:
                raise PtdvError("import.too_many_rows", path=self.path, limit=self.limits.rows)
            if len(row) > self.limits.columns:
                raise PtdvError("import.too_many_columns", path=self.path, limit=self.limits.columns)
            out.append(list(row))
        return out


def _records_table(records: list[dict]) -> list[list[object]]:
    headings = list(dict.fromkeys(k for r in records for k in r))
    return [headings, *([r.get(h) for h in headings] for r in records)]


def _read_xlsx(path: Path, data: bytes, rows: _Counted) -> dict[str, list[list[object]]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    with zipfile.ZipFile(io.BytesIO(data)) as package:  # what its parts declare bounds what they unpack to
        unpacked = sum(part.file_size for part in package.infolist())
    if unpacked > rows.limits.unpacked:
        raise PtdvError("import.too_big_unpacked", path=rows.path, limit=size_text(rows.limits.unpacked))
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except InvalidFileException as exc:
        raise ValueError(str(exc)) from exc
    try:
        titles = {fold(t(f"export.sheet.{name}", lang)): name for name in SHEETS for lang in LANGS}
        sheets = {titles[fold(s.title)]: s for s in book.worksheets if fold(s.title) in titles}
        if not sheets:
            sheets[CANDIDATES] = book.worksheets[0]
        for sheet in sheets.values():
            sheet.reset_dimensions()  # rows as long as their cells, not as the size the sheet claims
        return {name: rows.take(sheet.iter_rows(values_only=True)) for name, sheet in sheets.items()}
    finally:
        book.close()


def write(tables: dict, kind: str, lang: str) -> bytes:
    """``Service.export``'s tables as the bytes of a file of ``kind``."""
    if kind == "json":
        return orjson.dumps({name: [dict(zip(head, row)) for row in rows] for name, (head, rows) in tables.items()},
                            option=orjson.OPT_INDENT_2)
    if kind == "csv":
        head, rows = tables[CANDIDATES]
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows([head, *([csv_cell(v) for v in row] for row in rows)])
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
    return _xlsx([(t(f"export.sheet.{name}", lang), [head, *rows]) for name, (head, rows) in tables.items()])


# -- a plain xlsx writer: openpyxl takes ~5 s to write a city's candidates (a cell object each, inline
# strings that are slow to read back); these few parts, with shared strings, take ~0.5 s ----------------
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_STYLES = (f'<styleSheet xmlns="{_MAIN}"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
           '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>'
           '</fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
           '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
           '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
           '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')


def _letters(column: int) -> str:
    """1 -> A, 27 -> AA."""
    out = ""
    while column:
        column, rest = divmod(column - 1, 26)
        out = chr(65 + rest) + out
    return out


def _sheet_xml(rows: list[list[object]], strings: dict[str, int]) -> str:
    """A worksheet: numbers as numbers, text as shared strings (indexes into ``strings``), empty cells left out."""
    columns = [_letters(i) for i in range(1, max(map(len, rows), default=0) + 1)]
    out = [_XML, f'<worksheet xmlns="{_MAIN}"><dimension ref="A1:{columns[-1] if columns else "A"}{len(rows)}"/>'
           "<sheetData>"]
    for number, row in enumerate(rows, start=1):
        cells = []
        for column, value in zip(columns, row):
            if value is None or value == "":
                continue
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                cells.append(f'<c r="{column}{number}"><v>{value!r}</v></c>')
            else:
                cells.append(f'<c r="{column}{number}" t="s"><v>{strings.setdefault(str(value), len(strings))}</v></c>')
        out.append(f'<row r="{number}">{"".join(cells)}</row>')
    out.append("</sheetData></worksheet>")
    return "".join(out)


def _xlsx(sheets: list[tuple[str, list[list[object]]]]) -> bytes:
    """An Excel workbook of the titled sheets (first row: headings), one shared strings table."""
    strings: dict[str, int] = {}
    parts = [_sheet_xml(rows, strings) for _, rows in sheets]
    count = len(sheets)
    types = ('<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
             '<Default Extension="xml" ContentType="application/xml"/>'
             f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPE}.sheet.main+xml"/>'
             + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_TYPE}.worksheet+xml"/>'
                       for i in range(1, count + 1))
             + f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_TYPE}.sharedStrings+xml"/>'
             f'<Override PartName="/xl/styles.xml" ContentType="{_TYPE}.styles+xml"/>')
    links = ("".join(f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                     for i in range(1, count + 1))
             + f'<Relationship Id="rId{count + 1}" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
             f'<Relationship Id="rId{count + 2}" Type="{_REL}/styles" Target="styles.xml"/>')
    titles = "".join(f'<sheet name="{escape(title, {chr(34): "&quot;"})}" sheetId="{i}" r:id="rId{i}"/>'
                     for i, (title, _) in enumerate(sheets, start=1))
    shared = "".join(f'<si><t xml:space="preserve">{escape(safe(text, newlines=True))}</t></si>' for text in strings)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml",
                      f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">{types}</Types>')
        book.writestr("_rels/.rels", f'{_XML}<Relationships xmlns="{_PACKAGE}"><Relationship Id="rId1" '
                                     f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        book.writestr("xl/workbook.xml",
                      f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>{titles}</sheets></workbook>')
        book.writestr("xl/_rels/workbook.xml.rels", f'{_XML}<Relationships xmlns="{_PACKAGE}">{links}</Relationships>')
        book.writestr("xl/styles.xml", _XML + _STYLES)
        book.writestr("xl/sharedStrings.xml", f'{_XML}<sst xmlns="{_MAIN}" uniqueCount="{len(strings)}">{shared}</sst>')
        for i, part in enumerate(parts, start=1):
            book.writestr(f"xl/worksheets/sheet{i}.xml", part)
    return buffer.getvalue()
