"""A date typed as dd/mm/yyyy, checked as it is typed by a db/ check."""
from __future__ import annotations

from datetime import date
from typing import Callable

from textual.widgets import Input

from db.text import fmt_date

from tui.widgets.form_field import FieldCheck


class DateInput(Input):
    def __init__(self, value: date | None, *, check: Callable[[str], object], lang: str,
                 valid_empty: bool = False, id: str | None = None) -> None:
        super().__init__(fmt_date(value), placeholder="dd/mm/yyyy", restrict=r"[0-9/.\-]*", max_length=10,
                         compact=True, valid_empty=valid_empty, validators=[FieldCheck(check, lang)], id=id)
