"""A unit's history in words, for the command line and the app: what it became and when, what it came
from, and why a year shows other figures than the one asked (``db.lineage``)."""
from __future__ import annotations

from typing import Callable

from db.i18n import t
from db.lineage import Lineage, Seen
from db.state import State
from db.text import fmt_date, safe


def name_label(state: State) -> Callable[[int], str]:
    return lambda uid: safe(state.units[uid].name)


def id_label(state: State) -> Callable[[int], str]:
    """``#12 Đảng ủy phường Phước Mỹ``: for the command line, where a unit is named again by its id."""
    return lambda uid: f"#{uid} {safe(state.units[uid].name)}"


def ended_line(lin: Lineage, lang: str, label: Callable[[int], str]) -> str:
    """``Đã hợp nhất vào … từ 01/07/2025``; empty for a unit that did not end."""
    if lin.ended is None:
        return ""
    day = fmt_date(lin.ended)
    if lin.end == "merged" and lin.successors:
        return t("history.merged_into", lang, into=label(lin.successors[0]), date=day)
    if lin.end == "split" and lin.successors:
        return t("history.split_into", lang, into=", ".join(label(s) for s in lin.successors), date=day)
    return t("history.dissolved", lang, date=day)


def origin_lines(state: State, lin: Lineage, lang: str, label: Callable[[int], str]) -> list[str]:
    """``Hợp nhất từ: Phước Mỹ, An Hải Bắc (01/07/2025)`` (one line per change), or ``Thành lập từ …``."""
    groups: dict[tuple[str, object], list[int]] = {}
    for pred, end in zip(lin.predecessors, lin.predecessor_ends):
        groups.setdefault((end, state.period(pred).ended), []).append(pred)
    lines = [t("history.split_from" if end == "split" else "history.merged_from", lang,
               units=", ".join(label(p) for p in preds), date=fmt_date(day))
             for (end, day), preds in sorted(groups.items(), key=lambda item: item[0][1])]
    if not lines and lin.began is not None:
        lines.append(t("history.began", lang, date=fmt_date(lin.began)))
    return lines


def history_lines(state: State, lin: Lineage, lang: str, label: Callable[[int], str]) -> list[str]:
    """Where it came from, then what it became."""
    return [*origin_lines(state, lin, lang, label), *filter(None, [ended_line(lin, lang, label)])]


def seen_line(seen: Seen, lin: Lineage, lang: str) -> str:
    """Why the figures are not of the year asked, or stop before its end; empty when they are the year's."""
    if seen.ended_before:
        return t("history.ended_before", lang, asked=seen.asked, year=seen.year, last=fmt_date(lin.last_day))
    if lin.ended is not None and seen.day == lin.last_day:
        return t("history.ended_during", lang, last=fmt_date(lin.last_day))
    if seen.not_begun and lin.began is not None:
        return t("history.not_begun", lang, year=seen.asked, date=fmt_date(lin.began))
    return ""
