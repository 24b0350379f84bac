"""Shell completion of ``ptdv``'s unit and candidate arguments, from the store (README: "Shell completion").

click completes the commands and options itself; the ``shell_complete`` functions here offer, for a UNIT, the
units whose name has the words typed (diacritics ignored) or whose id starts with the digits typed, each as a
name or path that names it alone; for a candidate's ID, the ids starting with the digits typed or of the
candidates whose name has the words typed, with the name as help.  They read the catalogue and the name index
(no candidate record), only what the user may read, and offer nothing, never a traceback, when there is no
store or it cannot be read.
"""
from __future__ import annotations

import functools
import os
import re
import sys
from collections import Counter
from typing import Callable

import click
from click.shell_completion import BashComplete, CompletionItem, add_completion_class

from db.errors import PtdvError
from db.i18n import t
from db.service import Service
from db.state import State
from db.store import Store
from db.text import safe

from . import config

LIMIT = 50
LATER_DB = "ptdv.later_db"  # ctx.meta: a --db given after the command, read while completing


class EscapedBash(BashComplete):
    """click's bash completion, each value escaped as bash needs it (bash puts a completion on the command line
    as it is, and a unit's name has spaces) unless the word was begun with a quote; when several values do not
    begin with what was typed, what was typed is offered too, so that bash lists them and keeps it rather than
    put their common start in its place."""

    def get_completions(self, args: list[str], incomplete: str) -> list[CompletionItem]:
        words = os.environ.get("COMP_WORDS", "")
        quoted = words.endswith(incomplete) and words[:len(words) - len(incomplete)].endswith(("'", '"'))
        escape = (lambda text: text) if quoted else _escaped
        found = [CompletionItem(escape(item.value), type=item.type, help=item.help) if item.type == "plain"
                 else item for item in super().get_completions(args, incomplete)]
        values, typed = [item.value for item in found if item.type == "plain"], escape(incomplete)
        if len(values) > 1 and not os.path.commonprefix(values).startswith(typed):
            found.append(CompletionItem(typed))
        return found

    def format_completion(self, item: CompletionItem) -> str:
        return super().format_completion(item).replace("\\", "\\\\")  # the script's `read` takes one away


def _escaped(text: str) -> str:
    """``text`` as one word of a bash command line: a backslash before each character bash would read."""
    return re.sub(r"([^\w./,:@%+=-])", r"\\\1", text)


add_completion_class(EscapedBash, "bash")

Completer = Callable[[click.Context, click.Parameter, str], list[CompletionItem]]


def quietly(complete: Completer) -> Completer:
    """A completion that offers nothing when the store is missing, damaged or not the user's: the shell must
    never show a traceback."""
    @functools.wraps(complete)
    def run(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
        try:
            return complete(ctx, param, incomplete)
        except Exception:  # noqa: BLE001 — whatever went wrong, the shell gets no completion rather than a trace
            return []
    return run


def _service(ctx: click.Context) -> tuple[Service, str]:
    """The store and language the command being completed would use."""
    settings = config.of_command_line(ctx.find_root())
    store = ctx.meta.get(LATER_DB) or settings.value("db")
    return Service(Store(store)), str(settings.value("lang"))


def _digits(incomplete: str) -> str | None:
    text = incomplete.strip().lstrip("#")
    return text if text.isdigit() or not text else None


@quietly
def complete_unit(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    service, lang = _service(ctx)
    state = service.state()
    digits = _digits(incomplete)
    if digits is not None:
        found = sorted(uid for uid in state.units if str(uid).startswith(digits))[:LIMIT]
        return [CompletionItem(str(uid), help=safe(state.path(uid))) for uid in found]
    counts = Counter(state.folded.values())
    return [CompletionItem(unit_ref(state, unit.id, counts), help=_unit_help(state, unit.id, lang))
            for unit in state.search_units(incomplete.rpartition("/")[2], LIMIT)]


def unit_ref(state: State, uid: int, counts: Counter) -> str:
    """What names the unit alone: its name when no other unit has it, else the shortest end of its path that
    does (``Phước Mỹ/Chi bộ khu dân cư số 1``), else its id."""
    chain = [state.name_of(u) for u in state.chain(uid)]
    if counts[state.folded[uid]] == 1:
        return chain[-1]
    for size in range(2, len(chain) + 1):
        ref = "/".join(chain[-size:])
        try:
            if state.resolve_unit(ref).id == uid:
                return ref
        except PtdvError:
            continue
    return str(uid)


def _unit_help(state: State, uid: int, lang: str) -> str:
    level = state.level_label(state.units[uid].level, lang)
    return safe(f"{level} · {state.path(uid)}")


@quietly
def complete_candidate(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    service, lang = _service(ctx)
    digits = _digits(incomplete)
    if digits is None:
        hits = service.search_candidates(incomplete, LIMIT)
    else:
        hits = sorted((h for h in service.search_candidates("", sys.maxsize) if str(h.id).startswith(digits)),
                      key=lambda h: h.id)[:LIMIT]
    state = service.state()
    return [CompletionItem(str(h.id),
                           help=safe(f"{h.name} · {t(h.status_key, lang)} · {state.name_of(h.unit)}")) for h in hits]


def complete_candidate_or_unit(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    return complete_candidate(ctx, param, incomplete) + complete_unit(ctx, param, incomplete)
