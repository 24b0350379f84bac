"""Reading and writing the tables of ``Service.import_tables`` / ``Service.export``: xlsx, xls, ods, csv, json.

- xlsx, xls, ods (read with python-calamine): ptdv's export has one sheet per table (units, quotas,
  candidates), titled in the export's language, and import finds each by its title in either language.  A
  workbook kept by an office has its list on one sheet, found by its headings (``--sheet NAME`` chooses);
  its rows as the sheet numbers them, titles and all (``db.transfer.read_rows`` finds the table).
- csv: one file, the candidates only.  ptdv writes UTF-8 with a BOM (so Excel shows Vietnamese letters) and a
  text cell a spreadsheet would run as a formula (``=…``, ``+…``) after a ``'``, removed again on import;
  it reads UTF-8 (with or without the BOM), else Windows-1258 as a Vietnamese Excel saves it (its Latin
  letters are Windows-1252's), separated by commas, semicolons or tabs.
- json: one object ``{"units": [...], "quotas": [...], "candidates": [...]}``, each a list of
  objects keyed by heading (a bare list: the candidates).
"""
from __future__ import annotations

import csv
import io
import os
import stat
import unicodedata
import zipfile
from pathlib import Path
from typing import Callable, Iterable, Sequence
from xml.sax.saxutils import escape

import orjson

from db.errors import PtdvError
from db.i18n import LANGS, t
from db.text import fold, safe
from db.transfer import SHEETS, Limits, Tables, finds_headings, size_text

from .files import csv_cell, csv_text

FORMATS = ("xlsx", "xls", "ods", "csv", "json")
WORKBOOKS = frozenset({"xlsx", "xls", "ods"})
ZIPPED = frozenset({"xlsx", "ods"})  # their parts' unpacked sizes are checked before anything is unpacked
CANDIDATES = "candidates"


def format_of(path: Path) -> str:
    kind = path.suffix.lower().lstrip(".")
    if kind not in FORMATS:
        raise PtdvError("import.bad_format", path=str(path))
    return kind


def read_tables(path: Path, limits: Limits | None = None, sheet: str | None = None) -> Tables:
    """The tables of a file by name (of ``db.transfer.SHEETS``): each its rows as the file has them (headings
    in the first, for ptdv's exports); ``source`` is the file's name.  ``sheet`` names a workbook's sheet to
    read as the candidates.  Only a plain file is read (not a folder, a device or a pipe, nor a link to one),
    and only within ``limits``: its size, an xlsx's or ods's unpacked size (checked before it is unpacked),
    its rows and columns."""
    return Tables(_read_tables(path, limits, sheet), source=path.name)


def _read_tables(path: Path, limits: Limits | None, sheet: str | None) -> dict[str, list[list[object]]]:
    kind = format_of(path)
    limits = limits or Limits()
    data = _read_file(path, limits)
    rows = _Counted(path, limits)
    try:
        if kind == "csv":
            text = _csv_text(data)
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
            return {CANDIDATES: rows.take([csv_text(cell) for cell in row] for row in reader)}
        if kind == "json":
            found = orjson.loads(data)
            if not isinstance(found, dict):
                found = {CANDIDATES: found}
            found = {name: found[name] for name in SHEETS if name in found}
            return {name: rows.take(_records_table(records)) for name, records in found.items()}
        return _read_workbook(kind, data, rows, sheet)
    except (OSError, ValueError, KeyError, AttributeError, TypeError, zipfile.BadZipFile) as exc:
        raise PtdvError("import.unreadable", path=safe(str(path)), detail=safe(str(exc))) from exc


def _csv_text(data: bytes) -> str:
    """A csv's text: UTF-8 (a BOM dropped) when it is valid UTF-8, else Windows-1258; in NFC (Windows-1258
    writes a letter and its tone mark apart)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1258", errors="replace")
    return unicodedata.normalize("NFC", text)


def _delimiter(text: str) -> str:
    """Commas, or the semicolons or tabs a spreadsheet of a country writing decimal commas separates by: the
    one that splits most of the first lines (a comma when as many)."""
    head = text[:65536].splitlines()[:50]

    def split(delimiter: str) -> int:
        return sum(len(row) > 1 for row in csv.reader(head, delimiter=delimiter))
    return max(",;\t", key=split)


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
    """Rows taken from a file's tables: refused past ``limits.rows`` rows below the first in all of them,
    or a row of more than ``limits.columns`` cells."""

    def __init__(self, path: Path, limits: Limits) -> None:
        self.path = safe(str(path))
        self.limits = limits
        self.count = 0

    def take(self, rows: Iterable[Sequence[object]]) -> list[list[object]]:
        out: list[list[object]] = []
        for row in rows:
            self.count += bool(out)  # the first row (the headings of an export) is not counted
            if self.count > self.limits.rows:
                raise PtdvError("import.too_many_rows", path=self.path, limit=self.limits.rows)
            self.columns(len(row))
            out.append(list(row))
        return out

    def columns(self, count: int) -> None:
        if count > self.limits.columns:
            raise PtdvError("import.too_many_columns", path=self.path, limit=self.limits.columns)

    def left(self) -> int:
        """How many more rows may be taken (the first row of a table and one past the limit, to refuse it)."""
        return self.limits.rows - self.count + 2


def _records_table(records: list[dict]) -> list[list[object]]:
    headings = list(dict.fromkeys(k for r in records for k in r))
    return [headings, *([r.get(h) for h in headings] for r in records)]


def _read_workbook(kind: str, data: bytes, rows: _Counted, wanted: str | None) -> dict[str, list[list[object]]]:
    """The tables of an xlsx, xls or ods: ptdv's export's sheets by their titles, else the one sheet that
    holds a list of candidates (or the sheet named ``wanted``)."""
    from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    if kind in ZIPPED:
        with zipfile.ZipFile(io.BytesIO(data)) as package:  # what its parts declare bounds what they unpack to
            unpacked = sum(part.file_size for part in package.infolist())
        if unpacked > rows.limits.unpacked:
            raise PtdvError("import.too_big_unpacked", path=rows.path, limit=size_text(rows.limits.unpacked))
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except CalamineError as exc:
        raise ValueError(str(exc)) from exc
    try:
        sheets = [m.name for m in book.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]
        visible = [m.name for m in book.sheets_metadata
                   if m.typ == SheetTypeEnum.WorkSheet and m.visible == SheetVisibleEnum.Visible]

        parsed: dict[str, object] = {}

        def read(name: str, count: int | None = None) -> list[list[object]]:
            if name not in parsed:  # each sheet parsed once (its first rows looked at, then read whole)
                parsed[name] = book.get_sheet_by_name(name)
            sheet = parsed[name]
            rows.columns(sheet.total_width)
            found = sheet.to_python(skip_empty_area=False, nrows=count or rows.left())
            return found if count else rows.take(found)

        if wanted is not None:
            return {CANDIDATES: read(_sheet_named(wanted, sheets))}
        titles = {fold(t(f"export.sheet.{name}", lang)): name for name in SHEETS for lang in LANGS}
        exported = {titles[fold(name)]: name for name in sheets if fold(name) in titles}
        if exported:
            return {table: read(name) for table, name in exported.items()}
        return {CANDIDATES: read(_list_sheet(visible or sheets, read))}
    finally:
        book.close()


def _sheet_named(wanted: str, sheets: list[str]) -> str:
    found = [name for name in sheets if fold(name) == fold(wanted)]
    if not found:
        raise PtdvError("import.no_sheet", sheet=safe(wanted), sheets=", ".join(map(safe, sheets)))
    return found[0]


def _list_sheet(sheets: list[str], read: Callable[[str, int], list[list[object]]]) -> str:
    """The one sheet whose first rows hold the headings of a list of candidates; the first sheet when none
    does (its headings are then refused as they are); several: the user chooses with --sheet."""
    from db.transfer import HEADING_ROWS

    if not sheets:
        raise PtdvError("import.empty")
    found = [name for name in sheets if finds_headings(read(name, HEADING_ROWS))]
    if len(found) > 1:
        raise PtdvError("import.several_sheets", sheets=", ".join(map(safe, found)))
    return found[0] if found else sheets[0]


def write(tables: dict, kind: str, lang: str, progress: Callable[[int, int], None] | None = None) -> bytes:
    """``Service.export``'s tables as the bytes of a file of ``kind``; ``progress(done, total)`` is told of the
    rows of an xlsx as they are written."""
    if kind == "json":
        return orjson.dumps({name: [dict(zip(head, row)) for row in rows] for name, (head, rows) in tables.items()},
                            option=orjson.OPT_INDENT_2)
    if kind == "csv":
        head, rows = tables[CANDIDATES]
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows([head, *([csv_cell(v) for v in row] for row in rows)])
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
    return _xlsx([(t(f"export.sheet.{name}", lang), [head, *rows]) for name, (head, rows) in tables.items()],
                 progress)


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


WIDEST = 60    # a column is at most this many characters wide (a long residence wraps into the next ones)
NARROWEST = 6
PROGRESS_ROWS = 2000  # progress is told every so many rows


def _sheet_xml(rows: list[list[object]], strings: dict[str, int], tick: Callable[[int], None]) -> str:
    """A worksheet: numbers as numbers, text as shared strings (indexes into ``strings``), empty cells left out;
    the heading row frozen above the others, an autofilter on it, each column as wide as its longest cell.
    ``tick(n)`` is told of every ``PROGRESS_ROWS`` rows written."""
    columns = [_letters(i) for i in range(1, max(map(len, rows), default=0) + 1)]
    widths = [NARROWEST] * len(columns)
    data: list[str] = []
    add = data.append  # every row's parts in one list, joined once: a metro export's 2.3 million cells
    shared = strings.setdefault
    for number, row in enumerate(rows, start=1):
        line = str(number)
        add(f'<row r="{line}">')
        for index, value in enumerate(row):
            kind = value.__class__
            if kind is str:  # the most cells: a text, or empty
                if value:
                    add(f'<c r="{columns[index]}{line}" t="s"><v>{shared(value, len(strings))}</v></c>')
                    if len(value) > widths[index]:
                        widths[index] = len(value)
                continue
            if kind is not int and (value is None or value == ""):
                continue
            if kind is int or isinstance(value, (int, float)) and not isinstance(value, bool):
                text = repr(value)
                add(f'<c r="{columns[index]}{line}"><v>{text}</v></c>')
            else:
                text = str(value)
                add(f'<c r="{columns[index]}{line}" t="s"><v>{shared(text, len(strings))}</v></c>')
            if len(text) > widths[index]:
                widths[index] = len(text)
        add("</row>")
        if number % PROGRESS_ROWS == 0:
            tick(PROGRESS_ROWS)
    tick(len(rows) % PROGRESS_ROWS)
    last = f"{columns[-1] if columns else 'A'}{max(len(rows), 1)}"
    cols = "".join(f'<col min="{i}" max="{i}" width="{min(w, WIDEST) + 2}" customWidth="1"/>'
                   for i, w in enumerate(widths, start=1))
    return "".join([_XML, f'<worksheet xmlns="{_MAIN}"><dimension ref="A1:{last}"/>',
                    '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft"'
                    ' state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>',
                    f"<cols>{cols}</cols>" if cols else "", "<sheetData>", *data, "</sheetData>",
                    f'<autoFilter ref="A1:{last}"/>' if columns else "", "</worksheet>"])


def _filter_range(title: str, rows: list[list[object]]) -> str:
    """The autofilter's range as the workbook's hidden name ``_xlnm._FilterDatabase`` gives it: 'Title'!$A$1:$F$9."""
    width = max(map(len, rows), default=1)
    quoted = title.replace("'", "''")
    return f"'{quoted}'!$A$1:${_letters(width)}${max(len(rows), 1)}"


def _xlsx(sheets: list[tuple[str, list[list[object]]]], progress: Callable[[int, int], None] | None = None) -> bytes:
    """An Excel workbook of the titled sheets (first row: headings), one shared strings table."""
    strings: dict[str, int] = {}
    total = sum(len(rows) for _, rows in sheets)
    done = 0

    def tick(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(done, total)
    parts = [_sheet_xml(rows, strings, tick) for _, rows in sheets]
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
    filters = "".join(f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
                      f'{escape(_filter_range(title, rows))}</definedName>' for i, (title, rows) in enumerate(sheets))
    shared = "".join(f'<si><t xml:space="preserve">{escape(safe(text, newlines=True))}</t></si>' for text in strings)
    buffer = io.BytesIO()
    # the fastest compression: a metro export's sheets are 60 MB of XML; level 6 took 1.7 s for a file 20 % smaller
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        book.writestr("[Content_Types].xml",
                      f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">{types}</Types>')
        book.writestr("_rels/.rels", f'{_XML}<Relationships xmlns="{_PACKAGE}"><Relationship Id="rId1" '
                                     f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        book.writestr("xl/workbook.xml",
                      f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>{titles}</sheets>'
                      f'<definedNames>{filters}</definedNames></workbook>')
        book.writestr("xl/_rels/workbook.xml.rels", f'{_XML}<Relationships xmlns="{_PACKAGE}">{links}</Relationships>')
        book.writestr("xl/styles.xml", _XML + _STYLES)
        book.writestr("xl/sharedStrings.xml", f'{_XML}<sst xmlns="{_MAIN}" uniqueCount="{len(strings)}">{shared}</sst>')
        for i, part in enumerate(parts, start=1):
            book.writestr(f"xl/worksheets/sheet{i}.xml", part)
    return buffer.getvalue()
