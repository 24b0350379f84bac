"""What an import adds, changes and leaves, in words: the same lines for ``ptdv import`` and the app's
import screen."""
from __future__ import annotations

from db.i18n import t
from db.model import Candidate
from db.service import Service
from db.transfer import Plan

from .output import field_label, number, percent


def plan_lines(found: Plan, lang: str, *, dry_run: bool) -> list[str]:
    """Each table's added and changed records (one line each), then a count line per table."""
    lines = []
    for sheet in found.sheets:
        items = _sheet_lines(found, sheet, lang)
        lines += [t("cli.import.sheet", lang, sheet=t(f"export.sheet.{sheet}", lang)), *items] if items else []
    lines += [t("cli.import.summary" if dry_run else "cli.import.done", lang, sheet=t(f"export.sheet.{sheet}", lang),
                **getattr(found, sheet).counts()) for sheet in found.sheets]
    return lines


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
