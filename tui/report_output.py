"""The admissions report (:mod:`db.report`) laid out: a text table with a quarterly chart, csv,
Markdown, JSON, and an Excel workbook a committee can sign.  Nothing is computed here but layout."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Callable

from db.i18n import t
from db.letterhead import NO_NUMBER, Letterhead, place
from db.model import EXIT_KINDS, OCCUPATIONS, STAGES
from db.report import ATTRIBUTES, Report, Row
from db.text import fmt_date, safe

from . import output
from .files import csv_cell

FORMATS = ("table", "csv", "xlsx", "md", "json")
CHART_CELLS = 30
NAME_CELLS = 40


@dataclass(frozen=True)
class Column:
    label: str
    value: Callable[[Row], object]
    kind: str = "int"   # "int", "percent" (a float, in percent) or "text"


def columns(lang: str) -> list[Column]:
    """The report's columns, in order, with their headings in ``lang``."""
    def col(key: str, value: Callable[[Row], object], kind: str = "int") -> Column:
        return Column(t(f"report.col.{key}", lang), value, kind)

    out = [col("unit", lambda r: r.name if r.unit is not None else t("report.total", lang), "text"), col("target", lambda r: r.target),
           col("admitted", lambda r: r.admitted), col("last_year", lambda r: r.last_year),
           col("cumulative", lambda r: r.cumulative),
           col("percent", lambda r: r.percent, "percent")]
    out += [col(a, lambda r, a=a: r.attributes[a]) for a in ATTRIBUTES]
    out += [Column(t(f"occupation.{o}", lang), lambda r, o=o: r.occupations[o]) for o in OCCUPATIONS]
    out += [Column(t(f"stage_short.{s}", lang), lambda r, s=s: r.stages[s]) for s in STAGES]
    out += [col("overdue", lambda r: r.overdue), col("grassroots", lambda r: r.grassroots),
            col("grassroots_admitting", lambda r: r.grassroots_admitting),
            col("grassroots_percent", lambda r: r.grassroots_percent, "percent"),
            col("outside_rules", lambda r: r.exceptions)]
    out += [col(f"exit_{k}", lambda r, k=k: r.exits[k]) for k in EXIT_KINDS]
    return out


def _all_rows(report: Report) -> list[Row]:
    return [*report.rows, report.total]


def period_label(report: Report, lang: str) -> str:
    period = report.period
    return period.name(lang) + " " + t("report.period.range", lang, start=fmt_date(period.start),
                                       end=fmt_date(period.end))


def heading_lines(report: Report, lang: str) -> list[str]:
    return [t("report.title", lang), t("report.unit", lang, unit=safe(report.path)), period_label(report, lang),
            t("report.own_target", lang, target=output.number(report.target, lang))]


def note_lines(report: Report, lang: str) -> list[str]:
    return [t("report.stages_note", lang, date=fmt_date(report.stages_on)),
            t("report.overdue_note", lang, date=fmt_date(report.today)),
            *(t("report.last_year_note", lang, unit=safe(name), units=", ".join(safe(u) for u in units))
              for name, units in report.compared.items())]


def cell_text(value: object, kind: str, lang: str) -> str:
    """One cell as the text formats and the app show it."""
    if kind == "text":
        return safe(str(value))
    if kind == "percent":
        return output.percent(value, lang)
    return output.number(value, lang)


# -- text formats ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Glyphs:
    """The chart's characters: admitted, still to go, the plan line."""
    bar: str = "#"
    rest: str = "."
    plan: str = "|"


def chart(report: Report, lang: str, cells: int = CHART_CELLS, glyphs: Glyphs = Glyphs()) -> list[str]:
    """Per quarter up to the period's end: the cumulative admitted as a bar of ``cells`` characters
    and the plan (target × quarter / 4) as a mark in it, in characters only (the CLI's table and the
    app's report screen both draw it)."""
    if report.quarters[0].plan is None:
        return [t("report.chart.no_target", lang)]
    shown = report.quarters[:report.period.months[1] // 3]
    scale = max(max(q.plan for q in shown), max(q.cumulative for q in shown), 1)
    lines = [t("report.chart", lang, bar=glyphs.bar, plan=glyphs.plan)]
    for q in shown:
        filled = min(cells, round(cells * q.cumulative / scale))
        row = [glyphs.bar if i < filled else glyphs.rest for i in range(cells)]
        row.insert(round(cells * q.plan / scale), glyphs.plan)
        lines.append(t("report.chart.line", lang, quarter=q.quarter, bar="".join(row),
                       admitted=output.number(q.cumulative, lang), plan=output.number(q.plan, lang)))
    return lines


def as_table(report: Report, lang: str) -> str:
    cols = columns(lang)
    body = [[output.shorten(cell_text(c.value(row), c.kind, lang), NAME_CELLS) if c.kind == "text"
             else cell_text(c.value(row), c.kind, lang) for c in cols] for row in _all_rows(report)]
    lines = heading_lines(report, lang) + [""]
    lines += output.table([c.label for c in cols], body, right=frozenset(range(1, len(cols))))
    lines += [""] + note_lines(report, lang) + [""] + chart(report, lang)
    return "\n".join(lines)


def as_csv(report: Report, lang: str) -> str:
    """Plain values: numbers without separators, percentages as decimals with a point, none as empty; a unit
    name a spreadsheet would run as a formula (``=…``) after a ``'`` (numbers, negative ones too, stay numbers)."""
    cols = columns(lang)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([c.label for c in cols])
    for row in _all_rows(report):
        writer.writerow(["" if (v := c.value(row)) is None else csv_cell(v) for c in cols])
    return buffer.getvalue().removesuffix("\n")  # the caller ends the text, as for every format


def as_markdown(report: Report, lang: str) -> str:
    cols = columns(lang)

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"
    out = [f"# {t('report.title', lang)}", ""] + [f"{text}  " for text in heading_lines(report, lang)[1:]] + [""]
    out += [line([c.label for c in cols]),
            "|" + "|".join("---" if c.kind == "text" else "---:" for c in cols) + "|"]
    out += [line([cell_text(c.value(row), c.kind, lang) for c in cols]) for row in _all_rows(report)]
    return "\n".join(out + [""] + note_lines(report, lang))


def render(report: Report, fmt: str, lang: str) -> str:
    """The report as text in ``fmt`` (every format but xlsx)."""
    if fmt == "json":
        return output.to_json(report.to_json())
    return {"table": as_table, "csv": as_csv, "md": as_markdown}[fmt](report, lang)


# -- Excel ------------------------------------------------------------------------------------------
def letterhead_lines(report: Report, lang: str, signed_on: date) -> dict[str, str]:
    """The 36-HD/VPTW heading and signature of the report (db.letterhead), in ``lang``: top left the
    superior's name, the issuer, ``*`` and the number; top right the party's name and the place and date; the
    signature block."""
    head = report.letterhead or Letterhead(report.unit_name, "", "ĐU", "standing")
    month = f"{signed_on.month:02d}" if signed_on.month < 3 else str(signed_on.month)
    return {"superior": safe(head.superior).upper(), "issuer": safe(head.issuer).upper(), "star": "*",
            "number": t("document.number", lang, number=NO_NUMBER, kind="BC", code=head.code),
            "party": t("document.party", lang),
            "place_date": t("document.place_date", lang, place=place(), day=f"{signed_on.day:02d}", month=month,
                            year=signed_on.year),
            "sign_for": t(f"document.sign_for.{head.kind}", lang), "sign_title": t("document.sign_title", lang),
            "sign_hint": t(f"document.sign_hint.{'branch' if head.kind == 'branch' else 'committee'}", lang)}


def xlsx_bytes(report: Report, lang: str, signed_on: date) -> bytes:
    """A sheet a committee signs, laid out as Hướng dẫn 36-HD/VPTW lays out party documents: top left the
    superior's name, the issuer, ``*`` and ``Số ……-BC/…``; top right ``ĐẢNG CỘNG SẢN VIỆT NAM`` underlined and
    the place and date; the title, unit, period; headings, one row per unit, the totals row, notes; the
    signature block (``T/M …`` / ``BÍ THƯ``).  Numbers are numbers, text is text (a name that begins with ``=``
    too, never a formula), widths are set.  A second sheet holds the quarters and a native Excel chart of them:
    admitted per quarter and cumulative as bars, the plan as a line.  The bytes of the file, for
    :func:`tui.files.write_file`."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    cols = columns(lang)
    book = Workbook()
    sheet = book.active
    sheet.title = t("report.sheet", lang)
    last = len(cols)
    half = max(2, last // 2)           # the left block: columns 1..half; the right block: half+1..last
    center = Alignment(horizontal="center", vertical="center")
    head = letterhead_lines(report, lang, signed_on)

    def block(row: int, left: bool, text: str, font: Font) -> None:
        first, end = (1, half) if left else (half + 1, max(half + 1, last))
        cell = sheet.cell(row, first, text)
        cell.font, cell.alignment = font, center
        if end > first:
            sheet.merge_cells(start_row=row, start_column=first, end_row=row, end_column=end)

    block(1, True, head["superior"], Font(size=12))
    block(2, True, head["issuer"], Font(bold=True, size=12))
    block(3, True, head["star"], Font(size=12))
    block(4, True, head["number"], Font(size=12))
    block(1, False, head["party"], Font(bold=True, underline="single", size=12))
    block(3, False, head["place_date"], Font(italic=True, size=12))
    top = 6
    lines = heading_lines(report, lang)
    for n, text in enumerate(lines, start=top):
        sheet.cell(n, 1, text).font = Font(bold=n == top, size=14 if n == top else 11)
        sheet.merge_cells(start_row=n, start_column=1, end_row=n, end_column=last)
        sheet.cell(n, 1).alignment = Alignment(horizontal="center")
    head_row = top + len(lines) + 1
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for j, col in enumerate(cols, start=1):
        cell = sheet.cell(head_row, j, col.label)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        cell.border = border
        sheet.column_dimensions[get_column_letter(j)].width = 40 if col.kind == "text" else 12
    sheet.row_dimensions[head_row].height = 45
    for i, row in enumerate(_all_rows(report), start=head_row + 1):
        for j, col in enumerate(cols, start=1):
            value = col.value(row)
            cell = sheet.cell(i, j, safe(value) if col.kind == "text" else value)
            if col.kind == "text":
                cell.data_type = "s"  # openpyxl reads text beginning with "=" as a formula
            cell.border = border
            cell.font = Font(bold=row.unit is None)
            if col.kind == "percent":
                cell.number_format = "0.0"
    sheet.freeze_panes = sheet.cell(head_row + 1, 2)
    at = head_row + len(_all_rows(report)) + 2
    for n, text in enumerate(note_lines(report, lang)):
        sheet.cell(at + n, 1, text).font = Font(italic=True)
    sign = at + len(note_lines(report, lang)) + 1
    sheet.cell(sign, 1, t("report.preparer", lang)).font = Font(bold=True)
    sheet.cell(sign, 1).alignment = center
    sheet.cell(sign + 1, 1, t("report.sign_hint", lang)).font = Font(italic=True)
    sheet.cell(sign + 1, 1).alignment = center
    block(sign, False, head["sign_for"], Font(bold=True))
    block(sign + 1, False, head["sign_title"], Font(bold=True))
    block(sign + 2, False, head["sign_hint"], Font(italic=True))
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    _chart_sheet(book, report, lang)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _chart_sheet(book, report: Report, lang: str) -> None:
    """The quarters up to the period's end (admitted in each, cumulative, the plan's cumulative line) and a native
    Excel chart of them: bars for the admitted, a line for the plan (none without a target)."""
    from openpyxl.chart import BarChart, LineChart, Reference
    from openpyxl.styles import Font

    sheet = book.create_sheet(t("report.chart_sheet", lang))
    shown = report.quarters[:report.period.months[1] // 3]
    heads = [t("report.chart.col.quarter", lang), t("report.chart.col.admitted", lang),
             t("report.chart.col.cumulative", lang), t("report.chart.col.plan", lang)]
    for j, text in enumerate(heads, start=1):
        sheet.cell(1, j, text).font = Font(bold=True)
        sheet.column_dimensions["ABCD"[j - 1]].width = 18
    for i, q in enumerate(shown, start=2):
        sheet.cell(i, 1, t("report.chart.quarter", lang, quarter=q.quarter))
        sheet.cell(i, 2, q.admitted)
        sheet.cell(i, 3, q.cumulative)
        sheet.cell(i, 4, q.plan)
    end = len(shown) + 1
    bars = BarChart()
    bars.type = "col"
    bars.title = t("report.chart.title", lang, unit=safe(report.unit_name), year=report.period.year)
    bars.y_axis.title = t("report.chart.axis", lang)
    bars.add_data(Reference(sheet, min_col=2, max_col=3, min_row=1, max_row=end), titles_from_data=True)
    bars.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=end))
    if shown and shown[0].plan is not None:
        plan = LineChart()
        plan.add_data(Reference(sheet, min_col=4, min_row=1, max_row=end), titles_from_data=True)
        bars += plan
    else:
        sheet.cell(end + 2, 1, t("report.chart.no_target", lang)).font = Font(italic=True)
    bars.height, bars.width = 9, 18
    sheet.add_chart(bars, "F2")
