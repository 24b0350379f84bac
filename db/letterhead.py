"""The heading and the signature block of a party document (Hướng dẫn 36-HD/VPTW, 03/04/2018), from the
tree: who issues it (a unit), the committee above that unit, the abbreviation after the number
(``Số …-BC/ĐU``), and who signs for whom (``T/M BAN THƯỜNG VỤ`` / ``T/M ĐẢNG ỦY`` / ``T/M CHI BỘ``, then
``BÍ THƯ``).  The Excel report (tui.report_output) and the .docx documents (db.documents) both use it."""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date

from .state import State
from .text import fold

PARTY = "ĐẢNG CỘNG SẢN VIỆT NAM"
DEFAULT_PLACE = "Đà Nẵng"   # the place line's town; PTDV_PLACE sets another
NO_NUMBER = "……"            # the number is given when the document is registered
# the abbreviation of the issuing body after the number, by how its name begins (folded)
CODES: tuple[tuple[str, str], ...] = (
    ("chi bo", "CB"), ("dang uy", "ĐU"), ("thanh uy", "TU"), ("tinh uy", "TU"), ("quan uy", "QU"),
    ("huyen uy", "HU"), ("thi uy", "TU"), ("dang bo thanh pho", "TU"), ("dang bo tinh", "TU"),
)


def place() -> str:
    """The town of the place and date line: PTDV_PLACE, or Đà Nẵng."""
    return " ".join(os.environ.get("PTDV_PLACE", "").split()) or DEFAULT_PLACE


def place_date(day: date, where: str | None = None) -> str:
    """``Đà Nẵng, ngày 05 tháng 3 năm 2025``: a day below 10 and the months 1 and 2 with a leading 0, as
    official documents write them (so a date cannot be lengthened by hand)."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{where or place()}, ngày {day.day:02d} tháng {month} năm {day.year}"


@dataclass(frozen=True)
class Letterhead:
    issuer: str        # the issuing unit's name
    superior: str      # the name of the unit above it ("" for the top unit)
    code: str          # after the number: Số …-BC/<code>
    kind: str          # "standing" (a committee with a standing committee), "committee" (grassroots) or "branch"

    @property
    def sign_for(self) -> str:
        return {"standing": "T/M BAN THƯỜNG VỤ", "committee": "T/M ĐẢNG ỦY", "branch": "T/M CHI BỘ"}[self.kind]

    @property
    def sign_title(self) -> str:
        return "BÍ THƯ"

    @property
    def sign_hint(self) -> str:
        return "(Ký, ghi rõ họ tên)" if self.kind == "branch" else "(Ký tên, đóng dấu)"

    @property
    def body(self) -> str:
        """Who decides, as the line before ``QUYẾT ĐỊNH`` names it."""
        return f"Ban Thường vụ {self.issuer}" if self.kind == "standing" else self.issuer

    def number(self, kind: str, number: str = "") -> str:
        """``Số 12-BC/ĐU``; ``Số ……-BC/ĐU`` without a number."""
        return f"Số {number or NO_NUMBER}-{kind}/{self.code}"


def code_of(name: str) -> str:
    folded = fold(name)
    return next((code for start, code in CODES if folded.startswith(start)), "ĐU")


def kind_of(state: State, uid: int) -> str:
    unit = state.units[uid]
    if unit.level == state.last_level or (unit.level != "grassroots" and state.is_leaf(uid) and uid != state.root):
        return "branch"
    kids = state.children.get(uid, [])
    if unit.level == "grassroots" or (kids and all(state.is_leaf(k) for k in kids)):
        return "committee"
    return "standing"


def letterhead(state: State, uid: int) -> Letterhead:
    """The heading of a document unit ``uid`` issues, in ``state``'s tree (that of the document's day)."""
    parent = state.parent_of(uid)
    name = state.name_of(uid)
    kind = kind_of(state, uid)
    return Letterhead(issuer=name, superior=state.name_of(parent) if parent is not None else "",
                      code="CB" if kind == "branch" else code_of(name), kind=kind)
