"""The read model: the store's records indexed for the questions screens and commands ask."""
from __future__ import annotations

from dataclasses import dataclass, field

from tinydb import TinyDB

from .errors import PtdvError
from .model import Candidate, Level, Quota, Settings, Unit
from .text import fold, safe


@dataclass
class State:
    settings: Settings
    root: int | None
    levels: dict[str, Level]
    units: dict[int, Unit]
    quotas: dict[tuple[int, int], Quota]
    candidates: dict[int, Candidate]
    children: dict[int, list[int]] = field(default_factory=dict)
    by_unit: dict[int, list[int]] = field(default_factory=dict)

    @classmethod
    def from_db(cls, db: TinyDB) -> "State":
        meta = db.table("meta").get(doc_id=1) or {}
        levels = sorted((Level(str(d["id"]), str(d["vi"]), str(d["en"]), int(d["order"])) for d in db.table("levels")),
                        key=lambda lv: lv.order)
        units = {doc.doc_id: Unit.from_doc(doc.doc_id, doc) for doc in db.table("units")}
        quotas = {}
        for doc in db.table("quotas"):
            quota = Quota.from_doc(doc)
            quotas[(quota.unit, quota.year)] = quota
        candidates = {doc.doc_id: Candidate.from_doc(doc.doc_id, doc) for doc in db.table("candidates")}
        state = cls(settings=Settings.from_doc(meta.get("settings")), root=meta.get("root"),
                    levels={lv.id: lv for lv in levels}, units=units, quotas=quotas, candidates=candidates)
        state._index()
        return state

    def _index(self) -> None:
        self.children = {uid: [] for uid in self.units}
        for unit in sorted(self.units.values(), key=lambda u: (fold(u.name), u.id)):
            if unit.parent is not None and unit.parent in self.children:
                self.children[unit.parent].append(unit.id)
        self.by_unit = {uid: [] for uid in self.units}
        for cand in self.candidates.values():
            self.by_unit.setdefault(cand.unit, []).append(cand.id)

    # -- the tree -----------------------------------------------------------------------
    def unit(self, uid: int) -> Unit:
        try:
            return self.units[uid]
        except KeyError:
            raise PtdvError("unit.not_found", ref=str(uid)) from None

    def ancestors(self, uid: int) -> list[Unit]:
        """From the root down to ``uid`` itself."""
        chain: list[Unit] = []
        seen: set[int] = set()
        current: int | None = uid
        while current is not None and current in self.units and current not in seen:
            seen.add(current)
            chain.append(self.units[current])
            current = self.units[current].parent
        return list(reversed(chain))

    def path(self, uid: int, sep: str = "/") -> str:
        return sep.join(u.name for u in self.ancestors(uid))

    def subtree(self, uid: int) -> list[int]:
        """``uid`` and every unit below it, parents before children; each once, even in a hand-made cycle."""
        order, stack, seen = [], [uid], set()
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            order.append(current)
            stack.extend(reversed(self.children.get(current, [])))
        return order

    def is_leaf(self, uid: int) -> bool:
        return not self.children.get(uid)

    def depth(self, uid: int) -> int:
        return len(self.ancestors(uid)) - 1

    def level_label(self, level_id: str, lang: str) -> str:
        level = self.levels.get(level_id)
        return level.label(lang) if level else level_id

    def candidates_under(self, uid: int) -> list[Candidate]:
        return [self.candidates[cid] for u in self.subtree(uid) for cid in self.by_unit.get(u, [])]

    def candidate(self, cid: int) -> Candidate:
        try:
            return self.candidates[cid]
        except KeyError:
            raise PtdvError("candidate.not_found", ref=str(cid)) from None

    # -- naming a unit ------------------------------------------------------------------
    def resolve_unit(self, ref: str | int) -> Unit:
        """A unit by id, by path (``Sơn Trà/Phước Mỹ``) or by name, with or without diacritics."""
        text = str(ref).strip()
        if not text:
            raise PtdvError("unit.not_found", ref="")
        if text.lstrip("#").isdigit() and int(text.lstrip("#")) in self.units:
            return self.units[int(text.lstrip("#"))]
        parts = [fold(p) for p in text.split("/") if p.strip()]
        if not parts:
            raise PtdvError("unit.not_found", ref=safe(text))
        matches: list[Unit] = []
        for tier in (_name_equals, _name_ends_with, _name_contains):
            matches = [u for u in self.units.values() if self._matches_path(u.id, parts, tier)]
            if not matches and len(parts) > 1:  # a unit's name may itself contain "/"
                whole = fold(text)
                matches = [u for u in self.units.values() if tier(fold(u.name), whole)]
            if matches:
                break
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise PtdvError("unit.not_found", ref=safe(text))
        options = sorted(f"#{u.id} {self.path(u.id)}" for u in matches)
        raise PtdvError("unit.ambiguous", ref=safe(text), matches="\n".join(options), count=len(matches))

    def _matches_path(self, uid: int, parts: list[str], tier) -> bool:
        """The last part names the unit, earlier parts name ancestors in order (gaps allowed)."""
        chain = [fold(u.name) for u in self.ancestors(uid)]
        if not chain or not tier(chain[-1], parts[-1]):
            return False
        position = 0
        for part in parts[:-1]:
            for index in range(position, len(chain) - 1):
                if _name_contains(chain[index], part):
                    position = index + 1
                    break
            else:
                return False
        return True

    def search_units(self, query: str, limit: int = 50) -> list[Unit]:
        """Units whose name contains every word of ``query``, diacritics ignored."""
        words = fold(query).split()
        found = [u for u in self.units.values() if all(w in fold(u.name) for w in words)]
        found.sort(key=lambda u: (not fold(u.name).startswith(words[0]) if words else False, self.depth(u.id), fold(u.name)))
        return found[:limit]

    def search_candidates(self, query: str, limit: int = 50) -> list[Candidate]:
        words = fold(query).split()
        found = [c for c in self.candidates.values() if all(w in fold(c.name) for w in words)]
        found.sort(key=lambda c: (fold(c.name), c.id))
        return found[:limit]


def _name_equals(name: str, query: str) -> bool:
    return name == query


def _name_ends_with(name: str, query: str) -> bool:
    """``phuoc my`` names ``dang uy phuong phuoc my``: whole words at the end."""
    return name == query or name.endswith(" " + query)


def _name_contains(name: str, query: str) -> bool:
    return f" {query} " in f" {name} "
