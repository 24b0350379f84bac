"""The documents staff sign, filled from the record: the admission decision (form 9-KNĐ) and the branch
resolution (form 6-KNĐ) of a candidate, and a unit's report for a quarter, a half or a year, as .docx.

Each comes from a template the committee can edit: a Word document whose ``{{ field }}`` marks (Jinja2, as
docxtpl reads them) are filled here.  ptdv ships a default of each (``db/templates``, made by
``db/templates/make.py``); an admin of the top unit replaces one with :func:`set_template` (the file goes into
``<store>.templates/`` beside the store, with the store's mode and group; the change is logged with the
file's sha256).  A template is checked before it is taken: a .docx, no field ptdv does not fill (the field is
named), and it renders once with a sample record.  Templates are rendered in Jinja2's sandbox, every value
escaped for XML.

Religion and ethnicity are filled only when asked (``include_sensitive``); otherwise they are empty and the
``sensitive`` field is false.
"""
from __future__ import annotations

import errno
import hashlib
import io
import os
import stat
import zipfile
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from . import access
from .errors import PtdvError
from .i18n import t
from .letterhead import Letterhead, letterhead, place, place_date
from .model import Candidate
from .quota import percent_of
from .report import ATTRIBUTES, Report, Row
from .state import State
from .store.files import fsync_dir, make_folder, write_tmp
from .text import fmt_date, fold, safe, slug

if TYPE_CHECKING:
    from .service import Service

DECISION, RESOLUTION, REPORT = "9-KNĐ", "6-KNĐ", "report"
FORMS: dict[str, str] = {DECISION: "9-KND", RESOLUTION: "6-KND", REPORT: "report"}  # form -> file stem
CANDIDATE_FORMS = (DECISION, RESOLUTION)
STAGE_OF = {DECISION: "decided", RESOLUTION: "branch"}  # the stage whose date the document bears
KIND_OF = {DECISION: "QĐ", RESOLUTION: "NQ", REPORT: "BC"}  # Số …-<kind>/<code>
DEFAULTS = Path(__file__).resolve().parent / "templates"
MAX_BYTES = 10 * 1024 * 1024          # a template file
MAX_UNPACKED = 100 * 1024 * 1024      # its parts, unpacked
LANG = "vi"                            # party documents are in Vietnamese whatever the interface's language
BLANK = "……"                           # a value the record does not have: filled by hand

# the fields of each form; a template using any other is refused
HEADING_FIELDS = frozenset({"form", "superior", "issuer", "issuer_body", "code", "number", "number_line", "place",
                            "day", "month", "year", "date", "place_date", "sign_for", "sign_title", "sign_hint",
                            "party"})
CANDIDATE_FIELDS = HEADING_FIELDS | {
    "name", "born", "gender", "residence", "ethnicity", "religion", "sensitive", "education", "occupation",
    "introducers", "branch", "grassroots", "unit_path", "source_date", "branch_date", "committee_date",
    "decision_date", "admitted_date", "candidate_id"}
REPORT_FIELDS = HEADING_FIELDS | {"title", "period", "unit", "unit_path", "target", "year_of_report", "rows",
                                  "total", "notes", "quarters", "plan_percent"}
ROW_FIELDS = ("n", "name", "target", "admitted", "last_year", "cumulative", "percent", *ATTRIBUTES)


def fields_of(form: str) -> frozenset[str]:
    return frozenset(REPORT_FIELDS if form == REPORT else CANDIDATE_FIELDS)


def form_id(text: str) -> str:
    """The form a user names: ``9-KNĐ``, ``9-KND``, ``9knd``, ``6-knđ``, ``report`` (``bao-cao``)."""
    key = fold(str(text)).replace("-", "").replace(" ", "").replace("_", "")
    aliases = {fold(form).replace("-", ""): form for form in FORMS} | {"baocao": REPORT}
    if key in aliases:
        return aliases[key]
    raise PtdvError("document.bad_form", form=safe(str(text)), forms=", ".join(FORMS))


# -- values ------------------------------------------------------------------------------------------
def _text(value: object) -> str:
    return safe(str(value)) if value not in (None, "") else ""


def _number(value: int | None) -> str:
    return "—" if value is None else f"{value:,}".replace(",", ".")


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}".replace(".", ",")


def _heading(head: Letterhead, form: str, day: date, number: str, where: str | None) -> dict:
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return {"form": form, "superior": _text(head.superior), "issuer": _text(head.issuer),
            "issuer_body": _text(head.body), "code": head.code, "number": _text(number) or BLANK,
            "number_line": head.number(KIND_OF[form], _text(number)), "place": _text(where) or place(),
            "day": f"{day.day:02d}", "month": month, "year": str(day.year), "date": fmt_date(day),
            "place_date": place_date(day, _text(where) or None), "sign_for": head.sign_for,
            "sign_title": head.sign_title, "sign_hint": head.sign_hint, "party": "ĐẢNG CỘNG SẢN VIỆT NAM"}


def _issuer_of_decision(tree: State, branch: int) -> int:
    """Who decides an admission by default: the committee directly above the grassroots organisation the branch
    belongs to (the standing committee of the district level, Quy định 24-QĐ/TW); the grassroots committee
    itself when nothing is above it, the branch when it is the top.  ``ptdv document --issuer`` names another."""
    grassroots = tree.parent_of(branch)
    if grassroots is None:
        return branch
    above = tree.parent_of(grassroots)
    return grassroots if above is None else above


def candidate_context(state: State, cand: Candidate, form: str, *, include_sensitive: bool = False,
                      number: str = "", where: str | None = None, issuer: int | None = None) -> dict:
    """The fields of ``form`` (9-KNĐ or 6-KNĐ) for ``cand``; refused when the record lacks the step the
    document records (no decision for 9-KNĐ, no branch vote for 6-KNĐ)."""
    entry = cand.stage_entry(STAGE_OF[form])
    if entry is None:
        key = "document.no_decision" if form == DECISION else "document.no_branch_vote"
        raise PtdvError(key, id=cand.id, name=safe(cand.name), form=form)
    day = entry.date
    tree = state.on(day)
    branch = cand.unit_of(entry)
    if branch not in tree.units:
        tree = state
    grassroots = tree.parent_of(branch)
    if form == DECISION:
        head = letterhead(tree, issuer if issuer is not None else _issuer_of_decision(tree, branch))
    else:
        head = letterhead(tree, branch)
    dates = {stage: fmt_date(cand.stage_date(stage)) for stage in ("source", "branch", "committee", "decided",
                                                                     "admitted")}
    context = _heading(head, form, day, number, where)
    context.update({
        "candidate_id": str(cand.id), "name": _text(cand.name), "born": fmt_date(cand.born) or BLANK,
        "gender": t(f"gender.{cand.gender}", LANG) if cand.gender else "",
        "residence": _text(cand.residence) or BLANK,
        "ethnicity": _text(cand.ethnicity) if include_sensitive else "",
        "religion": (_text(cand.religion) or "Không") if include_sensitive else "",
        "sensitive": include_sensitive,
        "education": t(f"education.{cand.education}", LANG) if cand.education else "",
        "occupation": t(f"occupation.{cand.occupation}", LANG) if cand.occupation else "",
        "introducers": ", ".join(_text(i) for i in cand.introducers) or BLANK,
        "branch": _text(tree.name_of(branch)),
        "grassroots": _text(tree.name_of(grassroots)) if grassroots is not None else "",
        "unit_path": _text(tree.path(branch, " / ")),
        "source_date": dates["source"], "branch_date": dates["branch"], "committee_date": dates["committee"],
        "decision_date": dates["decided"], "admitted_date": dates["admitted"],
    })
    return context


def _row(n: int | str, row: Row, name: str) -> dict:
    return {"n": str(n), "name": _text(name), "target": _number(row.target), "admitted": _number(row.admitted),
            "last_year": _number(row.last_year), "cumulative": _number(row.cumulative),
            "percent": _percent(row.percent), **{a: _number(row.attributes[a]) for a in ATTRIBUTES}}


def period_text(report: Report) -> str:
    text = report.period.name(LANG)
    return text[:1].lower() + text[1:]


def report_context(state: State, report: Report, signed_on: date, *, number: str = "",
                   where: str | None = None) -> dict:
    """The fields of the report template for ``report``, dated ``signed_on``."""
    head = report.letterhead or letterhead(state, report.unit)
    context = _heading(head, REPORT, signed_on, number, where)
    notes = [t("report.stages_note", LANG, date=fmt_date(report.stages_on)),
             t("report.overdue_note", LANG, date=fmt_date(report.today)),
             *(t("report.last_year_note", LANG, unit=safe(name), units=", ".join(safe(u) for u in units))
               for name, units in report.compared.items())]
    context.update({
        "title": "BÁO CÁO KẾT QUẢ KẾT NẠP ĐẢNG VIÊN", "period": period_text(report),
        "unit": _text(report.unit_name), "unit_path": _text(report.path), "target": _number(report.target),
        "year_of_report": str(report.period.year),
        "rows": [_row(i, row, row.name) for i, row in enumerate(report.rows, start=1)],
        "total": _row("", report.total, "Tổng cộng"),
        "notes": notes,
        "plan_percent": "—" if (share := percent_of(report.total.cumulative, report.target)) is None
        else _percent(share) + "%",
        "quarters": [{"quarter": q.quarter, "admitted": _number(q.admitted), "cumulative": _number(q.cumulative),
                      "plan": _number(q.plan)} for q in report.quarters],
    })
    return context


# -- rendering ---------------------------------------------------------------------------------------
def _env():
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=True)


def render(form: str, template: bytes, context: dict) -> bytes:
    """``template`` filled with ``context``: the bytes of the .docx, for :func:`tui.files.write_file`."""
    from docxtpl import DocxTemplate
    from jinja2 import TemplateError

    try:
        doc = DocxTemplate(io.BytesIO(template))
        doc.render(context, jinja_env=_env(), autoescape=True)
        out = io.BytesIO()
        doc.save(out)
    except TemplateError as exc:
        raise PtdvError("template.render_failed", form=form, detail=safe(str(exc))) from exc
    except Exception as exc:  # a template python-docx cannot read (checked when set; a default never)
        raise PtdvError("template.not_docx", form=form, detail=safe(f"{type(exc).__name__}: {exc}")) from exc
    return out.getvalue()


def _sample(form: str) -> dict:
    """Every field with a value of its kind, to render a template once before it is taken."""
    head = Letterhead("Đảng ủy phường Mẫu", "Đảng bộ thành phố Mẫu", "ĐU", "committee")
    context = _heading(head, form, date(2025, 1, 2), "1", None)
    if form == REPORT:
        row = {key: "1" for key in ROW_FIELDS}
        context.update({"title": "BÁO CÁO", "period": "quý 1 năm 2025", "unit": "Mẫu", "unit_path": "Mẫu",
                        "target": "1", "year_of_report": "2025", "plan_percent": "1%", "rows": [dict(row, name="Chi bộ Mẫu")],
                        "total": dict(row, name="Tổng cộng"), "notes": ["Ghi chú"],
                        "quarters": [{"quarter": 1, "admitted": "1", "cumulative": "1", "plan": "1"}]})
    else:
        context.update({key: "Mẫu" for key in CANDIDATE_FIELDS - HEADING_FIELDS})
        context.update({"sensitive": True, "candidate_id": "1"})
    return context


def check_template(form: str, data: bytes) -> None:
    """Refuse what cannot be ``form``'s template: not a .docx (or too large), a syntax error in a field, a field
    ptdv does not fill (named), or a template that does not render with a sample record."""
    from jinja2 import TemplateError, TemplateSyntaxError

    if len(data) > MAX_BYTES:
        raise PtdvError("template.too_large", form=form, limit=MAX_BYTES // (1024 * 1024))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = {info.filename: info.file_size for info in archive.infolist()}
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise PtdvError("template.not_docx", form=form, detail=safe(str(exc))) from exc
    if "word/document.xml" not in names or "[Content_Types].xml" not in names:
        raise PtdvError("template.not_docx", form=form, detail="word/document.xml")
    if sum(names.values()) > MAX_UNPACKED:
        raise PtdvError("template.too_large", form=form, limit=MAX_UNPACKED // (1024 * 1024))
    from docxtpl import DocxTemplate

    try:
        doc = DocxTemplate(io.BytesIO(data))
        used = doc.get_undeclared_template_variables(jinja_env=_env())
    except TemplateSyntaxError as exc:
        raise PtdvError("template.syntax", form=form, detail=safe(exc.message or str(exc))) from exc
    except TemplateError as exc:
        raise PtdvError("template.render_failed", form=form, detail=safe(str(exc))) from exc
    except Exception as exc:
        raise PtdvError("template.not_docx", form=form, detail=safe(f"{type(exc).__name__}: {exc}")) from exc
    unknown = sorted(used - fields_of(form))
    if unknown:
        raise PtdvError("template.unknown_variable", form=form, variable=safe(unknown[0]),
                        variables=", ".join(safe(v) for v in unknown), known=", ".join(sorted(fields_of(form))))
    render(form, data, _sample(form))


# -- where templates are kept ------------------------------------------------------------------------
@dataclass(frozen=True)
class TemplateInfo:
    form: str
    source: str        # "default" or "store"
    path: Path
    sha256: str
    size: int
    fields: tuple[str, ...]


def templates_dir(service: "Service") -> Path:
    store = service.store.path
    return store.with_name(store.stem + ".templates")


def _stored_path(service: "Service", form: str) -> Path:
    return templates_dir(service) / f"{FORMS[form]}.docx"


def _read(path: Path) -> bytes | None:
    """A plain file's bytes, never through a link; None when it is not there."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as exc:
        key = "template.link" if exc.errno == errno.ELOOP else "template.unreadable"
        raise PtdvError(key, path=safe(str(path)), detail=exc.strerror or str(exc)) from exc
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise PtdvError("template.unreadable", path=safe(str(path)), detail="not a plain file")
        with os.fdopen(os.dup(fd), "rb") as handle:
            return handle.read(MAX_BYTES + 1)
    finally:
        os.close(fd)


def template_bytes(service: "Service", form: str) -> tuple[bytes, str]:
    """The template in use for ``form`` and where it comes from ("store" or "default")."""
    service.state()  # a user of the store only
    stored = _read(_stored_path(service, form))
    if stored is not None:
        return stored, "store"
    return (DEFAULTS / f"{FORMS[form]}.docx").read_bytes(), "default"


def templates(service: "Service") -> list[TemplateInfo]:
    out = []
    for form in FORMS:
        data, source = template_bytes(service, form)
        path = _stored_path(service, form) if source == "store" else DEFAULTS / f"{FORMS[form]}.docx"
        out.append(TemplateInfo(form, source, path, hashlib.sha256(data).hexdigest(), len(data),
                                tuple(sorted(fields_of(form)))))
    return out


def set_template(service: "Service", form: str, data: bytes) -> TemplateInfo:
    """Make ``data`` the template of ``form`` (an admin of the top unit only), after :func:`check_template`.
    Under the store's lock the file is written beside its final name (the store's mode and group), the change
    is logged (``template.set``, with the sha256 before and after), and once the log has it the file is
    renamed into place."""
    state = service.store.readable_state()
    access.require(state, service.user, access.SETTINGS, state.root)
    check_template(form, data)
    store = service.store
    target = _stored_path(service, form)
    digest = hashlib.sha256(data).hexdigest()
    tmp: Path | None = None
    try:
        with store.transaction(by=service.user) as tx:
            access.require(tx.state, service.user, access.SETTINGS, tx.state.root)
            mode = store.mode()
            make_folder(target.parent, mode)
            before = _read(target)
            tmp = write_tmp(target, data, mode, durable=True)
            tx.audit("template.set", f"template:{form}", None,
                     {"sha256": hashlib.sha256(before).hexdigest()} if before is not None else None,
                     {"sha256": digest, "size": len(data)})
        os.replace(tmp, target)
        tmp = None
        fsync_dir(target.parent)
    except OSError as exc:
        raise PtdvError("store.unwritable", path=str(target), detail=exc.strerror or str(exc)) from exc
    finally:
        if tmp is not None:
            with suppress(OSError):
                tmp.unlink()
    return TemplateInfo(form, "store", target, digest, len(data), tuple(sorted(fields_of(form))))


def reset_template(service: "Service", form: str) -> bool:
    """Go back to ptdv's default template of ``form`` (an admin of the top unit only; logged as
    ``template.reset``).  False when the default was in use already."""
    state = service.store.readable_state()
    access.require(state, service.user, access.SETTINGS, state.root)
    target = _stored_path(service, form)
    try:
        with service.store.transaction(by=service.user) as tx:
            access.require(tx.state, service.user, access.SETTINGS, tx.state.root)
            before = _read(target)
            if before is None:
                return False
            tx.audit("template.reset", f"template:{form}", None, {"sha256": hashlib.sha256(before).hexdigest()},
                     None)
        target.unlink(missing_ok=True)
        fsync_dir(target.parent)
    except OSError as exc:
        raise PtdvError("store.unwritable", path=str(target), detail=exc.strerror or str(exc)) from exc
    return True


# -- the documents -----------------------------------------------------------------------------------
def candidate_document(service: "Service", form: str, cid: int | str, *, include_sensitive: bool = False,
                       number: str = "", where: str | None = None, issuer_ref: str | int | None = None) -> bytes:
    """Form 9-KNĐ or 6-KNĐ of a candidate the user may read, as .docx bytes."""
    if form not in CANDIDATE_FORMS:
        raise PtdvError("document.bad_form", form=form, forms=", ".join(CANDIDATE_FORMS))
    cand = service.candidate(cid)
    state = service.state()
    issuer = state.resolve_unit(issuer_ref).id if issuer_ref not in (None, "") else None
    context = candidate_context(state, cand, form, include_sensitive=include_sensitive, number=number, where=where,
                                issuer=issuer)
    template, _source = template_bytes(service, form)
    return render(form, template, context)


def report_document(service: "Service", report: Report, *, number: str = "", where: str | None = None) -> bytes:
    """The report template filled with ``report`` (built by ``Service.report``), dated today."""
    template, _source = template_bytes(service, REPORT)
    return render(REPORT, template, report_context(service.state(), report, service.today(), number=number,
                                                   where=where))


def file_name(form: str, subject: str, day: date | None = None) -> str:
    """``9-knd-nguyen-van-an.docx``: ASCII, from the form and the candidate's or unit's name."""
    parts = [fold(form).replace(" ", "-") if form != REPORT else "bao-cao", slug(subject)]
    if day is not None:
        parts.append(day.isoformat())
    return "-".join(p for p in parts if p) + ".docx"
