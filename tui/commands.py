"""Command palette (ctrl+p): jump to any unit or candidate by name, diacritics ignored, and run
the current screen's commands by their description."""
from __future__ import annotations

import asyncio
from functools import partial

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider

from db.errors import PtdvError
from db.i18n import t
from db.service import Service
from db.text import fmt_date, fold, safe
from tui.widgets.breadcrumb import crumbs

LIMIT = 30
PATH_WIDTH = 50  # the help line of a hit: level or stage, then the path


def highlighted(name: str, query: str) -> Text:
    """``name`` with the words of ``query`` underlined where they occur, diacritics ignored."""
    text = Text(safe(name))
    folded = fold(name)
    if len(folded) == len(text.plain):  # one character for one (NFC, nothing escaped): positions agree
        for word in fold(query).split():
            start = folded.find(word)
            if start >= 0:
                text.stylize("bold underline", start, start + len(word))
    return text


def word_score(query: str, label: str) -> float:
    """1 when ``label`` starts with the query, less the later its words appear, 0 when one is missing."""
    folded = fold(label)
    words = fold(query).split()
    if not words or not all(w in folded for w in words):
        return 0.0
    return 1.0 if folded.startswith(" ".join(words)) else 0.9 - 0.5 * folded.find(words[0]) / max(1, len(folded))


def jump_hits(service: Service, query: str, lang: str) -> tuple[list[tuple[int, str, str]], list[tuple[int, str, str]]]:
    """The units and the candidates whose names match ``query``, best first: (id, name, the hit's help line).
    Asked of the app's reading session, in its thread (the first search of a large city reads every part's names)."""
    state = service.state()

    def where(unit_id: int) -> str:
        """The path below the top unit (every unit is under it), cut from the left to one line."""
        chain = [(u.id, u.name) for u in state.ancestors(unit_id)[1:]]
        return crumbs(chain, PATH_WIDTH).plain

    units = []
    for unit in state.search_units(query, LIMIT):
        level = safe(state.level_label(unit.level, lang))
        path = where(unit.parent) if unit.parent else ""
        ended = state.period(unit.id).ended if state.period(unit.id) else None  # found too, saying so
        units.append((unit.id, unit.name, t("ui.app.hit_unit_ended", lang, level=level, date=fmt_date(ended), path=path)
                      if ended else t("ui.app.hit_unit", lang, level=level, path=path)))
    candidates = [(hit.id, hit.name, t("ui.app.hit_candidate", lang, stage=t(hit.status_key, lang), path=where(hit.unit)))
                  for hit in service.search_candidates(query, LIMIT)]
    return units, candidates


class JumpProvider(Provider):
    """Units and candidates by name: a unit opens with its ancestors beneath it, so Back goes up."""

    async def search(self, query: str) -> Hits:
        app = self.app
        try:
            units, candidates = await asyncio.to_thread(app.reader.ask, partial(jump_hits, query=query, lang=app.lang))
        except PtdvError as err:
            app.show_error(err)
            return
        for rank, (unit_id, name, help_) in enumerate(units):
            yield Hit(0.99 - rank / 1000, highlighted(name, query), partial(app.jump_to_unit, unit_id),
                      text=name, help=help_)
        for rank, (cand_id, name, help_) in enumerate(candidates):
            yield Hit(0.98 - rank / 1000, highlighted(name, query), partial(app.jump_to_candidate, cand_id),
                      text=name, help=help_)


class ScreenCommands(Provider):
    """The current screen's keys as commands (help, year, due list, quota editor, …)."""

    def _commands(self):
        commands = getattr(self.screen, "commands", None)
        return commands() if commands else []

    async def discover(self) -> Hits:
        for label, callback, key in self._commands():
            yield DiscoveryHit(Text(label), callback, text=label, help=key)

    async def search(self, query: str) -> Hits:
        for label, callback, key in self._commands():
            score = word_score(query, label)
            if score:
                yield Hit(score, highlighted(label, query), callback, text=label, help=key)
