"""One candidate: details, where they are in the pipeline, the timeline, warnings and due dates.

Everything shown comes from the service: the record, its unit path, days in the current stage
and the findings of db.rules (each with the text of the rule that produced it).
"""
from __future__ import annotations

from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Static

from db import rules
from db.access import WRITE
from db.errors import PtdvError
from db.model import STAGES, Candidate, stage_index
from db.service import Service
from db.text import fmt_date, safe
from tui import files
from tui.files import start_folder
from tui.output import number, timestamp, value_text
from tui.screens.base import DataScreen
from tui.screens.candidate_form import FORM_FIELDS
from tui.widgets.severity import severity_text


@dataclass(frozen=True)
class CandidateData:
    """What the candidate screen shows, made in its load's thread."""

    candidate: Candidate
    may_write: bool
    summary: Text
    findings: Table | Text
    papers: Text
    papers_shown: bool
    breaches: Text          # empty when every step kept the rules: no section
    timeline: Table
    details: Table


class CandidateScreen(DataScreen):
    CSS_PATH = "candidate.tcss"
    LOADING = "#body"
    BINDINGS = [
        Binding("e", "edit", "ui.app.key.edit", id="edit"),
        Binding("greater_than_sign", "advance", "ui.app.key.advance", id="advance"),
        Binding("h", "papers", "ui.candidate.key.papers", id="papers"),
        Binding("x", "exit", "ui.app.key.exit", id="exit"),
        Binding("p", "documents", "ui.candidate.key.documents", id="documents"),
        Binding("v", "transfer", "ui.transfer.key.open", id="transfer"),
        Binding("left", "back", "ui.app.key.back", id="back_left", show=False, priority=True),
    ]

    def __init__(self, candidate_id: int) -> None:
        super().__init__()
        self.candidate_id = candidate_id
        self.candidate: Candidate | None = None
        self.may_write = False  # the user's role at the candidate's branch allows changing it

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="body", can_focus=True):
            yield Static(id="summary")
            yield Static(id="findings")
            yield Static(id="papers")
            yield Static(id="breaches")
            yield Static(id="timeline")
            yield Static(id="details")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#body").focus()

    def load(self, service: Service) -> CandidateData:
        cand = service.candidate(self.candidate_id)
        return CandidateData(cand, service.allows(WRITE, cand.unit), self._summary(service, cand),
                             self._findings(service, cand), self._papers(service, cand),
                             bool(cand.papers) or stage_index(cand.stage) >= stage_index("dossier"),
                             self._breaches(service, cand), self._timeline(cand), self._details(cand))

    def show(self, data: CandidateData) -> None:
        self.candidate, self.may_write = data.candidate, data.may_write
        self.query_one("#summary", Static).update(data.summary)
        self.query_one("#findings", Static).update(data.findings)
        papers = self.query_one("#papers", Static)
        papers.update(data.papers)
        papers.display = data.papers_shown
        breaches = self.query_one("#breaches", Static)
        breaches.update(data.breaches)
        breaches.display = bool(data.breaches.plain)  # no section when every step kept the rules
        self.query_one("#timeline", Static).update(data.timeline)
        self.query_one("#details", Static).update(data.details)
        self.refresh_bindings()

    # -- what is shown ------------------------------------------------------------------
    def _summary(self, service: Service, cand: Candidate) -> Text:
        lang = self.app.lang
        text = Text(f"#{cand.id} {safe(cand.name)}", "bold")
        state = service.state()
        text.append("\n" + safe(state.path(cand.unit, " / ")), "italic")
        for move in cand.moves:  # its transfers, oldest first: its stages stayed where they were recorded
            name = lambda uid: safe(state.units[uid].name) if uid in state.units else f"#{uid}"
            text.append("\n" + self.t("ui.candidate.moved", date=fmt_date(move.on), source=name(move.source),
                                       target=name(move.target)), "dim")
            if move.reason:
                text.append(f" ({safe(move.reason)})", "dim")
        text.append("\n" + self.t("field.stage") + ": ", "bold")
        text.append(self.t(f"stage.{cand.stage}"))
        if cand.live:
            text.append(" · " + self.t("ui.candidate.days", days=number(service.days_in_stage(cand), lang)))
        else:
            ex = cand.exit
            text.append("\n" + self.t("field.exit") + ": ", "bold red")
            text.append(self.t("ui.candidate.exit_line", kind=self.t(f"exit.{ex.kind}"), reason=safe(ex.reason),
                               date=fmt_date(ex.date), by=safe(ex.by), at=timestamp(ex.at)), "red")
        return text

    def _findings(self, service: Service, cand: Candidate) -> Table | Text:
        found = service.findings(cand)
        heading = Text(self.t("field.warnings"), "bold underline")
        if not found:
            return heading + Text("\n" + self.t("ui.candidate.no_findings"), "dim")
        table = Table.grid(padding=(0, 1))
        table.title = heading
        table.title_justify = "left"
        table.add_column(no_wrap=True)
        table.add_column(no_wrap=True)
        table.add_column(ratio=1)
        for finding in found:
            table.add_row(severity_text(finding, self.app.lang), fmt_date(finding.due) or self.t("value.none"),
                          self.t(finding.rule, **finding.params))
        return table

    def _papers(self, service: Service, cand: Candidate) -> Text:
        """The dossier's papers (db.papers): each with ✓ and the days received, or ✗ when missing (h ticks them)."""
        found = service.papers(cand)
        text = Text(self.t("field.papers"), "bold underline")
        for item in found.items:
            mark, style = ("✓", "green") if not item.missing else ("✗", "bold red")
            text.append(f"\n{mark} ", style)
            text.append(self.t(f"paper.{item.kind}") + (f" {len(item.counted)}/{item.needed}" if item.needed > 1 else ""))
            days = ", ".join(fmt_date(p.received) for p in item.counted)
            text.append(f"  {days}" if days else "  " + self.t("ui.papers.row_missing"),
                        "dim" if days else "red")
        return text

    def _breaches(self, service: Service, cand: Candidate) -> Text:
        """What a recorded step did not keep (db.rules.breaches): it stays after the next step."""
        heading = Text(self.t("field.outside_rules"), "bold underline")
        found = service.breaches(cand)
        if not found:
            return Text("")  # nothing broken: no section (the warnings say the rest)
        text = heading
        for entry, breach in found:
            line = self.t(f"breach.{breach.rule}", **breach.params)
            if entry.exception and rules.rule(breach.rule).kind == "hard":
                line += "; " + self.t("breach.exception", text=safe(entry.exception))
            text += Text(f"\n{fmt_date(entry.date)} {self.t(f'stage_short.{entry.stage}')}: ", "bold")
            text += Text(line, "magenta")
            text += Text(" " + self.t("cli.finding_rule", rule=breach.rule,
                                       source=rules.source_text(breach.rule, self.app.lang)), "dim")
        return text

    def _timeline(self, cand: Candidate) -> Table:
        table = Table(title=Text(self.t("field.history"), "bold underline"), title_justify="left", box=None,
                      padding=(0, 1), show_edge=False, header_style="bold")
        table.add_column(self.t("field.stage"), ratio=1)
        table.add_column(self.t("field.date"), no_wrap=True)
        table.add_column(self.t("field.by"), no_wrap=True, max_width=14, overflow="ellipsis")
        table.add_column(self.t("field.at"), no_wrap=True)
        reached = {entry.stage: entry for entry in cand.history}
        for stage in STAGES:
            entry = reached.get(stage)
            label = self.t(f"stage.{stage}")
            if entry is None:
                table.add_row(Text(label, "dim"), Text(self.t("value.none"), "dim"), "", "")
            else:
                table.add_row(label, fmt_date(entry.date), safe(entry.by), timestamp(entry.at),
                              style="bold" if stage == cand.stage else "")
        return table

    def _details(self, cand: Candidate) -> Table:
        table = Table.grid(padding=(0, 2))
        table.title = Text(self.t("ui.candidate.details"), "bold underline")
        table.title_justify = "left"
        table.add_column(no_wrap=True, style="bold")
        table.add_column(ratio=1)
        for key in FORM_FIELDS:
            # Text, not a str: a '[' typed in a note is not markup
            table.add_row(self.t(f"field.{key}"), Text(value_text(key, getattr(cand, key), self.app.lang, lines=True)))
        return table

    # -- actions ------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("edit", "advance", "exit", "transfer") and not self.may_write:
            return False  # a viewer: the keys are not offered
        if action in ("advance", "exit", "transfer") and self.candidate is not None and not self.candidate.live:
            return None
        return super().check_action(action, parameters)

    def action_edit(self) -> None:
        self.app.edit_candidate(self.candidate_id)

    def action_advance(self) -> None:
        self.app.advance_candidate(self.candidate_id)

    def action_exit(self) -> None:
        self.app.exit_candidate(self.candidate_id)

    def action_transfer(self) -> None:
        self.app.transfer_candidate(self.candidate_id)

    def action_papers(self) -> None:
        """``h``: the dossier's checklist, to tick the papers received (the screen reloads when it closes)."""
        from tui.screens.papers_dialog import PapersDialog

        self.app.push_screen(PapersDialog(self.candidate_id))

    def action_documents(self) -> None:
        """``p``: choose 9-KNĐ or 6-KNĐ, then where to write it (the folder ptdv was started from)."""
        from tui.screens.documents_dialog import DocumentsDialog

        self.app.push_screen(DocumentsDialog(), self._document_chosen)

    def _document_chosen(self, form: str | None) -> None:
        from db import documents
        from tui.screens.write_report_dialog import WriteReportDialog

        if form is None or self.candidate is None:
            return
        try:  # a refusal (no decision yet) is said now, not after a path was typed
            self.app.service.candidate_document(form, self.candidate_id)
        except PtdvError as err:
            self.app.show_error(err)
            return
        folder = start_folder()
        name = documents.file_name(form, self.candidate.name)

        def write(path) -> None:  # filled again from the store as it is when Enter is pressed
            data = self.app.service.candidate_document(form, self.candidate_id)
            files.write_file(path, data, self.app.service.store.path.parent)

        self.app.push_screen(WriteReportDialog(folder / name, write, self.t("ui.documents.dialog_title", form=form)),
                             lambda path: self._document_written(form, path))

    def _document_written(self, form: str, path) -> None:
        if path is not None:
            self.app.notify(self.t("cli.document.written", form=form, path=safe(str(path))), markup=False, timeout=10)
