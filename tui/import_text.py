"""What an import adds, changes and leaves, in words: the same lines for ``ptdv import`` and the app's
import screen."""
from __future__ import annotations

from db.i18n import t
from db.model import Candidate
from db.service import Service
from db.transfer import Plan

from .output import field_label, number, percent


def plan_lines(found: Plan, lang: str, *, dry_run: bool) -> list[str]:
    """Each table's added and changed records (one line each); the rows read as no record and why, the values
    read as more than the file says, the columns not imported; then a count line per table."""
    lines = []
    for sheet in found.sheets:
        items = _sheet_lines(found, sheet, lang)
        lines += [t("cli.import.sheet", lang, sheet=t(f"export.sheet.{sheet}", lang)), *items] if items else []
    lines += _read_lines(found, lang)
    lines += [t("cli.import.summary" if dry_run else "cli.import.done", lang, sheet=t(f"export.sheet.{sheet}", lang),
                **getattr(found, sheet).counts()) for sheet in found.sheets]
    return lines


def _read_lines(found: Plan, lang: str) -> list[str]:
    """``Skipped row 1–4: titles above the heading row.`` a line per reason (a row's sheet named when the file
    has several), ``Row 9, 12: a birth year alone, …`` a line per kind, then the columns not imported."""
    several = len(found.sheets) > 1
    lines = []
    for (sheet, why), rows in _grouped(((s.sheet, s.why), s.row) for s in found.skipped).items():
        lines.append(t("cli.import.skipped", lang, rows=_rows_text(rows, sheet, lang, several),
                       why=t(f"import.skip.{why}", lang)))
    for (sheet, what), rows in _grouped(((a.sheet, a.what), a.row) for a in found.assumed).items():
        lines.append(t("cli.import.assumed", lang, rows=_rows_text(rows, sheet, lang, several),
                       what=t(f"import.assumed.{what}", lang)))
    if found.unused:
        lines.append(t("cli.import.unused", lang, columns=", ".join(found.unused)))
    return lines


def _grouped(items) -> dict[tuple[str, str], list[int]]:
    """(sheet, reason) -> the rows, in the order first met."""
    out: dict[tuple[str, str], list[int]] = {}
    for (sheet, why), row in items:
        out.setdefault((sheet, why), []).append(row)
    return out


def _rows_text(rows: list[int], sheet: str, lang: str, several: bool) -> str:
    """``1–4, 9, 12–13`` (and the sheet: ``1–4 (Candidates)``, when the file has several)."""
    spans: list[list[int]] = []
    for row in sorted(set(rows)):
        if spans and row == spans[-1][1] + 1:
            spans[-1][1] = row
        else:
            spans.append([row, row])
    text = ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in spans)
    return f"{text} ({t(f'export.sheet.{sheet}', lang)})" if several else text


def _sheet_lines(found: Plan, sheet: str, lang: str) -> list[str]:
    """One line per record of ``sheet`` the import adds or changes, with what changes."""
    changes = getattr(found, sheet)
    if sheet == "units":
        return [t("cli.import.unit_add", lang, row=p.row, unit=found.paths[p.after.id]) for p in changes.adds] + [
            t("cli.import.unit_change", lang, row=p.row, unit=found.paths[p.after.id],
              fields=", ".join(t("import.col.members_in", lang, year=y) for y in sorted(p.after.members)
                               if p.before.members.get(y) != p.after.members[y]))
            for p in changes.changes]
    if sheet == "quotas":
        return [t("cli.import.quota_add" if p.before is None else "cli.import.quota_change", lang, row=p.row,
                  unit=found.paths[p.after.unit], year=p.after.year, value=_quota_text(p.after, lang),
                  before=p.before and _quota_text(p.before, lang)) for p in changes.adds + changes.changes]
    return [t("cli.import.add", lang, row=p.row, name=p.after.name, unit=found.paths[p.after.unit])
            for p in changes.adds] + [
        t("cli.import.change", lang, row=p.row, id=p.after.id, name=p.after.name,
          fields=", ".join(field_label(k, lang) for k in _changed(p.before, p.after)))
        for p in changes.changes]


def _quota_text(quota, lang: str) -> str:
    """``22`` or ``4%``: a quota as the file gives it."""
    return number(quota.target, lang) if quota.rate is None else percent(quota.rate, lang, ".3g")


def _changed(before: Candidate, after: Candidate) -> list[str]:
    """The fields a change touches: person-editable ones, then the unit, stages and exit."""
    return Service.changed_fields(before, after) + [
        key for key in ("unit", "history", "exit") if getattr(before, key) != getattr(after, key)]


def plan_json(found: Plan, *, dry_run: bool) -> dict:
    """What ``ptdv import --json`` prints: for each table of the file the records added (with their ids, none
    yet in a dry run) and changed (ids and the fields that change) and how many are unchanged; the rows
    skipped and why, the values read as more than the file says, the columns not imported."""
    out: dict = {"dry_run": dry_run}
    for sheet in found.sheets:
        changes = getattr(found, sheet)
        out[sheet] = {"added": [_record_json(found, sheet, p, dry_run) for p in changes.adds],
                      "changed": [_record_json(found, sheet, p, dry_run) for p in changes.changes],
                      "unchanged": changes.unchanged}
    out["skipped"] = [{"sheet": s.sheet, "row": s.row, "why": s.why} for s in found.skipped]
    out["assumed"] = [{"sheet": a.sheet, "row": a.row, "what": a.what} for a in found.assumed]
    out["unused"] = list(found.unused)
    return out


def _record_json(found: Plan, sheet: str, item, dry_run: bool) -> dict:
    after = item.after
    new = item.before is None
    if sheet == "quotas":
        return {"row": item.row, "unit": found.paths[after.unit], "year": after.year, "target": after.target,
                "rate": after.rate}
    ident = None if new and dry_run and (sheet == "units" or not after.id) else after.id
    if sheet == "units":
        record = {"row": item.row, "id": ident, "unit": found.paths[after.id]}
        return record if new else {**record, "members": {str(y): n for y, n in sorted(after.members.items())}}
    record = {"row": item.row, "id": ident, "name": after.name, "unit": found.paths[after.unit]}
    return record if new else {**record, "fields": _changed(item.before, after)}
