"""Set a unit's target for the app's year (a number or a rate) and allocate it to the units under it.

The meaning of a rate in members, the proportional suggestion and the live sum of the allocation
all come from the service; the editor only shows them and saves what was typed.
"""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Static

from db.errors import PtdvError
from db.quota import Figures
from db.service import QuotaInput
from db.text import safe
from tui.output import number, percent

from tui.widgets.allocation_table import AllocationTable
from tui.widgets.form_dialog import FormDialog, outer_height
from tui.widgets.form_field import FormField, text_input


def quota_text(fig: Figures, lang: str) -> str:
    """A stored quota as the editor shows it: ``4%`` (``3,5%`` in Vietnamese) for a rate, ``22`` for a number."""
    if fig.rate is not None:
        return percent(fig.rate, lang, "g")
    return "" if fig.target is None else str(fig.target)


class QuotaEditor(FormDialog):
    CSS_PATH = "quota_editor.tcss"
    KEYS = "ui.quota.keys"
    BINDINGS = [Binding("ctrl+g", "suggest", "ui.quota.suggest", id="quota.suggest", show=False)]

    def __init__(self, unit_id: int) -> None:
        super().__init__()
        self.unit_id = unit_id
        self.figures: dict[int, Figures] = {}
        self.child_ids: list[int] = []
        self.started_target = ""  # the target as the editor opened with it
        self.started_shares: dict[int, str] = {}  # and each unit's under it
        self.pending = False  # an update of the figures is asked for after the next refresh

    @property
    def year(self) -> int:
        return self.app.year

    # -- building -----------------------------------------------------------------------
    def load(self) -> None:
        self.child_ids = self.service.state().children.get(self.unit_id, [])
        self.figures = self.service.figures(self.year, self.unit_id, [self.unit_id, *self.child_ids])
        self.started_target = quota_text(self.figures[self.unit_id], self.lang)
        self.started_shares = {kid: "" if self.figures[kid].target is None else str(self.figures[kid].target)
                               for kid in self.child_ids}

    def heading(self) -> str:
        name = self.service.state().unit(self.unit_id).name
        return self.t("ui.quota.title", unit=safe(name), year=self.year)

    def compose_fields(self) -> ComposeResult:
        target = text_input(self.started_target, check=self._quota, lang=self.lang, valid_empty=not self.started_target,
                            placeholder=self.t("ui.quota.target_hint"), id="input-target")
        yield FormField(self.t("ui.quota.target"), target, id="field-target")
        yield Static("", id="meaning", markup=False)
        if not self.child_ids:
            return
        state = self.service.state()
        rows = [(kid, safe(state.unit(kid).name), number(self.figures[kid].members, self.lang),
                 number(self.figures[kid].target, self.lang)) for kid in self.child_ids]
        headings = (self.t("ui.quota.child"), self.t("field.members"), self.t("ui.quota.current"), self.t("ui.quota.new"))
        yield AllocationTable(headings, rows, self.started_shares, self.lang, id="allocation")

    def compose_notes(self) -> ComposeResult:
        yield Static("", id="sum", markup=False)

    @property
    def target_input(self) -> Input:
        return self.query_one("#input-target", Input)

    def on_mount(self) -> None:
        self.target_input.focus()
        self._update()

    def fit_fields(self) -> int:
        """The table of the units under it takes the room the other fields leave: it scrolls, not the form (which
        would hide the target while a share is typed)."""
        room = super().fit_fields()
        if self.child_ids:
            table = self.query_one(AllocationTable)
            table.styles.max_height = max(3, room - outer_height(self.query_one("#fields"), but=table))
        return room

    # -- live figures -------------------------------------------------------------------
    def _quota(self, text: str) -> QuotaInput:
        return self.service.quota_input(text, self.figures[self.unit_id].members)

    def _typed_target(self) -> QuotaInput | None:
        try:
            return self._quota(self.target_input.value)
        except PtdvError:
            return None

    def _shares(self) -> dict[int, str]:
        return self.query_one(AllocationTable).shares if self.child_ids else {}

    @on(Input.Changed)
    @on(AllocationTable.Changed)
    def _changed(self, event: Input.Changed | AllocationTable.Changed) -> None:
        """The target says it changed when it is mounted, and "suggest" changes every share: the figures are
        made again once, after the changes at hand."""
        if not self.pending:
            self.pending = True
            self.call_after_refresh(self._update)

    def _update(self) -> None:
        self.pending = False
        self.call_after_refresh(self.fit_fields)  # a field's error line shown or gone changes the room left
        typed = self._typed_target()
        meaning = ""
        if typed is not None and typed.rate is not None:
            rate = percent(typed.rate, self.lang, "g")
            meaning = (self.t("ui.quota.rate_means", rate=rate, members=number(typed.members, self.lang),
                              target=number(typed.target, self.lang))
                       if typed.members is not None else self.t("ui.quota.rate_no_members", rate=rate))
        elif typed is not None:
            meaning = self.t("ui.quota.members", members=number(typed.members, self.lang))
        self.query_one("#meaning", Static).update(meaning, layout=False)  # of a fixed height (.tcss)
        if not self.child_ids:
            return
        target = typed.target if typed is not None else None
        try:
            allocated, gap = self.service.allocation_total(target, self._shares().values())
        except PtdvError as err:
            text, state = err.message(self.lang), "-over"
        else:
            shown = {"allocated": number(allocated, self.lang), "target": number(target, self.lang)}
            if gap is None:
                text, state = self.t("ui.quota.sum_no_target", **shown), "-short"
            elif gap > 0:
                text, state = self.t("ui.quota.sum_short", gap=number(gap, self.lang), **shown), "-short"
            elif gap < 0:
                text, state = self.t("ui.quota.sum_over", over=number(-gap, self.lang), **shown), "-over"
            else:
                text, state = self.t("ui.quota.sum_even", **shown), "-even"
        note = self.query_one("#sum", Static)
        note.update(text, layout=False)
        note.set_classes(state)

    def action_suggest(self) -> None:
        typed = self._typed_target()
        if typed is None or typed.target is None:
            self.show_message(self.t("ui.quota.suggest_needs_target"), error=True)
            return
        table = self.query_one(AllocationTable)
        for kid, share in self.service.suggest_allocation(self.unit_id, self.year, typed.target).items():
            table.set_share(kid, str(share))

    # -- saving -------------------------------------------------------------------------
    def save(self) -> bool | None:
        target = self.target_input.value
        allocation = {kid: text or 0 for kid, text in self._shares().items() if text != self.started_shares[kid]}
        if target == self.started_target and not allocation:
            self.dismiss(None)
            return None
        if target != self.started_target:
            typed = self._quota(target)
            self.service.set_quota(self.unit_id, self.year, target=None if typed.rate is not None else typed.target,
                                   rate=typed.rate)
        if allocation:
            self.service.allocate(self.unit_id, allocation, self.year)
        return True
