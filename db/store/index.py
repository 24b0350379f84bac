"""The indexes kept in files of the parts folder, ``<prefix><K>.json`` for the ids K*size to K*size+size-1: the
candidate index (``ids<K>.json``: a candidate's id -> the part holding it) and the unit index (``units<K>.json``: a
branch's id -> (its parent, its name)).  An add rewrites one file of at most ``size`` entries."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, NamedTuple

import orjson

from ..errors import PtdvError
from .files import Layout, file_signature

IDS_PER_INDEX = 1000      # candidate ids per index file: an add rewrites one file of at most this many entries
UNITS_PER_INDEX = 1000    # unit ids per file of the unit index


class Kind(NamedTuple):
    """One index: the files' prefix, the table each holds, how many ids a file holds, and how an entry is read
    and written."""

    prefix: str
    table: str
    size: Callable[[], int]
    read: Callable[[dict], dict]   # a file's entries as it keeps them -> as they are used (raises when it cannot)
    write: Callable[[object], object]

    def name(self, block: int) -> str:
        return f"{self.prefix}{block}.json"

    def block_of(self, name: str) -> int | None:
        """The block of a file of this index, by its name; None for another file."""
        digits = name[len(self.prefix):-5]
        return int(digits) if name.startswith(self.prefix) and name.endswith(".json") and digits.isdigit() else None

    def entries(self, path: Path, raw: bytes) -> dict:
        """A file's entries; ``store.damaged`` when it is not one of this index."""
        try:
            doc = orjson.loads(raw)
            found = self.read(doc[self.table])
            block = int(doc["block"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise PtdvError("store.damaged", path=str(path), detail=f"{type(exc).__name__}: {exc}") from exc
        if found and not block * self.size() <= min(found) <= max(found) < (block + 1) * self.size():
            raise PtdvError("store.damaged", path=str(path), detail="an id outside the file's range")
        return found

    def doc(self, block: int, entries: dict) -> bytes:
        return orjson.dumps({"block": block, self.table: {str(k): self.write(entries[k]) for k in sorted(entries)}})


def _parts(table: dict) -> dict[int, int]:
    return {int(cid): int(pid) for cid, pid in table.items()}


def _branches(table: dict) -> dict[int, tuple[int, str]]:
    """Each branch's (parent, name); a name that is not text raises (one pass over the names, without a call
    per entry: a search's paths read up to 20 such files)."""
    found = {int(uid): (int(parent), name) for uid, (parent, name) in table.items()}
    if not {type(name) for _, name in found.values()} <= {str}:
        raise TypeError("a branch's name that is not text")
    return found


CANDIDATES = Kind("ids", "parts", lambda: IDS_PER_INDEX, _parts, lambda pid: pid)
UNITS = Kind("units", "units", lambda: UNITS_PER_INDEX, _branches, list)


def kind_of(name: str) -> Kind | None:
    """The index a file of the parts folder belongs to, by its name."""
    return next((kind for kind in (CANDIDATES, UNITS) if kind.block_of(name) is not None), None)


class Blocks:
    """The files of one index as they are on disk: a file is read when first asked, and looked at again (one stat)
    after each change the store sees (``seen``: the news the store last saw); ``damaged`` words the error of a file
    that cannot be read."""

    def __init__(self, layout: Layout, kind: Kind, seen: Callable[[], tuple | None],
                 damaged: Callable[[PtdvError], PtdvError]) -> None:
        self.layout = layout
        self.kind = kind
        self.seen = seen
        self.damaged = damaged
        self.cache: dict[int, tuple[tuple | None, tuple | None, dict]] = {}  # block -> (news seen, signature, entries)

    def path(self, block: int) -> Path:
        return self.layout.parts_dir / self.kind.name(block)

    def block(self, block: int, fresh: bool = False) -> dict:
        """File ``block``'s entries (empty when there is none); ``fresh``: looked at again now."""
        seen = self.seen()
        cached = self.cache.get(block)
        if cached is not None and cached[0] == seen and not fresh:
            return cached[2]
        path = self.path(block)
        signature = file_signature(path)
        if cached is not None and cached[1] == signature:
            self.cache[block] = (seen, signature, cached[2])
            return cached[2]
        found: dict = {}
        if signature is not None:
            self.layout.refuse_public([path])
            try:
                found = self.kind.entries(path, path.read_bytes())
            except OSError as exc:
                raise PtdvError("store.unreadable", path=str(path), detail=exc.strerror or str(exc)) from exc
            except PtdvError as err:
                raise self.damaged(err) from err
        self.cache[block] = (seen, signature, found)
        return found

    def get(self, key: int, fresh: bool = False):
        return self.block(key // self.kind.size(), fresh).get(key)

    def put(self, block: int, entries: dict) -> None:
        """After a write of file ``block``: its entries as written."""
        self.cache[block] = (self.seen(), file_signature(self.path(block)), entries)

    def blocks(self) -> list[int]:
        """The files there are (a listing of the parts folder)."""
        try:
            names = os.listdir(self.layout.parts_dir)
        except FileNotFoundError:
            return []
        return sorted(block for name in names if (block := self.kind.block_of(name)) is not None)

    def last(self) -> int:
        """The highest id in the index (0: none)."""
        for block in reversed(self.blocks()):
            found = self.block(block)
            if found:
                return max(found)
        return 0

    def remade(self, entries: dict) -> dict[int, dict]:
        """The files that hold ``entries`` (those there are now that it leaves empty too)."""
        blocks: dict[int, dict] = {block: {} for block in self.blocks()}
        for key, value in entries.items():
            blocks.setdefault(key // self.kind.size(), {})[key] = value
        return blocks


class Edits:
    """The files of one index that a write reads and changes (copies of what it read)."""

    def __init__(self, blocks: Blocks) -> None:
        self.blocks = blocks
        self.read: dict[int, dict] = {}
        self.changed: set[int] = set()

    def block(self, block: int) -> dict:
        if block not in self.read:
            self.read[block] = dict(self.blocks.block(block))
        return self.read[block]

    def get(self, key: int):
        return self.block(key // self.blocks.kind.size()).get(key)

    def set(self, key: int, value) -> None:
        """``value`` for ``key``; None takes the entry out."""
        block = key // self.blocks.kind.size()
        entries = self.block(block)
        if entries.get(key) != value:
            if value is None:
                del entries[key]
            else:
                entries[key] = value
            self.changed.add(block)

    def replace(self, block: int, entries: dict) -> None:
        if self.block(block) != entries:
            self.read[block] = entries
            self.changed.add(block)

    def files(self) -> dict[Path, bytes]:
        return {self.blocks.path(b): self.blocks.kind.doc(b, self.read[b]) for b in sorted(self.changed)}

    def written(self) -> None:
        for block in self.changed:
            self.blocks.put(block, self.read[block])
