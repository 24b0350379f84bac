"""The name index of the whole store in the order a search answers (``ptdv.parts/names.txt``): a line per candidate,
``<folded name>\t<id, 10 digits>\t<part>\t[branch, name, stage, exit]``, so that the lines sorted as bytes are in
the order of folded name and id; above them, a line naming the store's news when it was made (the audit log's
signature: every write appends to it, naming the files it wrote) and the settings of the summaries it came from,
and a line naming the parts it was made from (each one's inode, size and mtime).

A search finds its words in the file's bytes (``bytes.find``; a line is decoded only when its folded name holds
them) and stops at the ``limit``-th match it keeps, so it costs about the same in a city of 90,000 candidates as in
one ward.  The file is a cache made from the parts' summaries (:class:`db.store.summaries.Summaries`); a write does
not touch it.  While the store's news are those the file names, nothing else is looked at.  After writes, the
audit lines appended since name the parts they wrote: a search leaves out those parts' lines and reads their
names from their summaries instead; past :data:`STALE_PARTS` such parts (or when the log cannot tell: a write
under way, a log replaced) each part is looked at (one stat) and the file is made again from its own lines of the
parts that did not change and the summaries of those that did (~0.06 s at metro scale), then renamed into place,
so that another session reads it whole or not at all.  A file that cannot be read is made again from the
summaries; so is one with a line ptdv did not write (found by the search that reads it, or by ``check``).  A part
edited outside ptdv, which writes no audit line, is seen when the file is next made again."""
from __future__ import annotations

import hashlib
import os
import re
from contextlib import suppress
from heapq import merge
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Collection, Container, Iterator

import orjson

from ..state import CandidateHit, hits_in_order, search_order
from .commit import DELETE
from .files import discard, file_signature, write_tmp
from .parts import is_part_name

if TYPE_CHECKING:
    from .summaries import Summaries

NAMES_VERSION = 2          # of names.txt's lines: another number makes the file again
STALE_PARTS = 16           # parts written since the file was made that a search reads from their summaries; more:
REMADE_WHOLE_AFTER = 256   # the file made again; past this many, from every summary (else from its lines and theirs)
TAIL_LIMIT = 1 << 20       # bytes of audit lines since the file was made past which the parts are looked at instead
OLD_CACHE = "names.json"   # what held the name index before (an entry per part, unordered): removed once this is made


class DamagedLine(ValueError):
    """A line of names.txt that is not one ptdv writes (the file is made again)."""


def line_of(hit: CandidateHit, pid: int) -> bytes:
    folded = hit.folded if hit.folded.isprintable() else " ".join(hit.folded.split())  # one line, no tab in it
    fields = orjson.dumps([hit.unit, hit.name, hit.stage, hit.exit])
    return f"{folded}\t{hit.id:010d}\t{pid}\t".encode() + fields + b"\n"


def part_lines(pid: int, hits: Collection[CandidateHit]) -> list[bytes]:
    """Part ``pid``'s lines, in the file's order."""
    return sorted(line_of(hit, pid) for hit in hits)


def lines_hash(lines: list[bytes]) -> str:
    """What ``check`` compares a part's lines with."""
    return hashlib.sha256(b"".join(lines)).hexdigest()


def _hit(line: bytes) -> tuple[int, CandidateHit]:
    """A line (without its newline) -> its part, its candidate."""
    try:
        folded, cid, pid, fields = line.decode().split("\t", 3)
        unit, name, stage, exit_kind = orjson.loads(fields)
        return int(pid), CandidateHit(int(cid), int(unit), str(name), folded, str(stage),
                                      None if exit_kind is None else str(exit_kind))
    except (UnicodeDecodeError, orjson.JSONDecodeError, TypeError, ValueError) as exc:
        raise DamagedLine(line[:80].decode(errors="replace")) from exc


def _jsonable(news: tuple) -> list | None:
    """The store's news as the file keeps them; None while a write is under way (they will change)."""
    signature, busy = news
    return None if busy or signature is None else list(signature)


class Text:
    """names.txt as read or made: its header, and its lines as bytes (a search decodes only the lines it finds).
    The parts it was made from are a line of their own, decoded only when the store's news are not the file's."""

    def __init__(self, key: str, news: list | None, raw: bytes, start: int,
                 parts: dict[int, tuple] | None = None) -> None:
        self.key = key
        self.news = news    # the store's news when the parts were looked at (None: unknown)
        self.raw = raw      # the file
        self.start = start  # where its lines begin
        self._parts = parts

    @classmethod
    def made(cls, key: str, news: list | None, parts: dict[int, tuple], body: bytes) -> "Text":
        head = orjson.dumps({"v": NAMES_VERSION, "settings": key, "news": news}) + b"\n" + orjson.dumps(
            {str(pid): list(sig) for pid, sig in parts.items()}) + b"\n"
        return cls(key, news, head + body, len(head), parts)

    @classmethod
    def read(cls, path: Path) -> "Text | None":
        """The file, if it is one of this version."""
        try:
            raw = path.read_bytes()
            doc = orjson.loads(raw[:raw.index(b"\n")])
            if doc["v"] != NAMES_VERSION:
                return None
            return cls(str(doc["settings"]), doc["news"], raw, raw.index(b"\n", raw.index(b"\n") + 1) + 1)
        except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            return None

    @property
    def parts(self) -> dict[int, tuple] | None:
        """Part -> its signature when its lines were made (None: the line cannot be read)."""
        if self._parts is None:
            line = self.raw[self.raw.index(b"\n") + 1:self.start]
            with suppress(orjson.JSONDecodeError, TypeError, ValueError, AttributeError):
                self._parts = {int(pid): tuple(sig) for pid, sig in orjson.loads(line).items()}
        return self._parts

    @property
    def body(self) -> bytes:
        return self.raw[self.start:]

    def found(self, words: Collection[str], keep: Callable[[int], bool] | None,
              left_out: Container[int] = ()) -> Iterator[CandidateHit]:
        """The candidates whose folded name holds every one of ``words``, in the file's order, but those of the
        units ``keep`` refuses and of the parts ``left_out``."""
        if not words:
            for line in self.body.splitlines():
                pid, hit = _hit(line)
                if pid not in left_out and (keep is None or keep(hit.unit)):
                    yield hit
            return
        raw = self.raw
        first, *others = (word.encode() for word in words)  # UTF-8 in UTF-8: found where the text holds it
        pos = self.start
        while (at := raw.find(first, pos)) >= 0:
            start = raw.rfind(b"\n", 0, at) + 1
            end = raw.find(b"\n", at)
            tab = raw.find(b"\t", start, end)
            if end < 0 or tab < 0:
                raise DamagedLine(raw[start:start + 80].decode(errors="replace"))
            pos = end + 1
            if at + len(first) > tab or not all(raw.find(word, start, tab) >= 0 for word in others):
                continue  # not every word in the folded name (one found past it, in the line's other fields)
            pid, hit = _hit(raw[start:end])
            if pid not in left_out and (keep is None or keep(hit.unit)):
                yield hit

    def by_part(self) -> dict[int, list[bytes]]:
        """Each part's lines (``check``)."""
        out: dict[int, list[bytes]] = {}
        for line in self.body.splitlines(keepends=True):
            out.setdefault(_hit(line[:-1])[0], []).append(line)
        return out

    def without(self, parts: Collection[int]) -> bytes:
        """The lines, but those of ``parts`` (their numbers found between tabs, in one pass)."""
        body = self.body
        if not parts:
            return body
        pattern = re.compile(rb"\t(?:" + b"|".join(str(pid).encode() for pid in sorted(parts)) + rb")\t")
        kept, done = [], 0
        for found in pattern.finditer(body):
            start = body.rfind(b"\n", 0, found.start()) + 1
            if start < done or body.count(b"\t", start, found.start()) != 1:
                continue  # the number of another field (the third is the part)
            kept.append(body[done:start])
            done = body.find(b"\n", found.end()) + 1 or len(body)
        kept.append(body[done:])
        return b"".join(kept)


def _inserted(body: bytes, lines: list[bytes]) -> bytes:
    """Sorted ``lines`` put in their places among the sorted lines of ``body``."""
    out, done = [], 0
    for line in lines:
        at = _place(body, line, done)
        out += (body[done:at], line)
        done = at
    out.append(body[done:])
    return b"".join(out)


def _place(body: bytes, line: bytes, low: int) -> int:
    """Where ``line`` goes among the sorted lines of ``body`` from offset ``low`` (a line's start): before the first
    line after it (a binary search over the bytes, each probe widened to the line it falls in)."""
    high = len(body)
    while low < high:
        start = max(low, body.rfind(b"\n", low, (low + high) // 2) + 1)
        end = body.find(b"\n", start) + 1 or len(body)
        if body[start:end] <= line:
            low = end
        else:
            high = start
    return low


class NameIndex:
    """names.txt of a store's parts folder (see the module)."""

    def __init__(self, summaries: "Summaries") -> None:
        self.summaries = summaries
        self.parts = summaries.parts
        self.layout = summaries.layout
        self.path = self.layout.parts_dir / "names.txt"
        self._text: tuple[tuple | None, Text] | None = None  # (the file's signature, as read)

    def names(self, words: Collection[str], limit: int | None, keep: Callable[[int], bool] | None,
              ) -> list[CandidateHit]:
        """The first ``limit`` (all: None) candidates in search order whose folded name holds every one of
        ``words``, among the units ``keep`` lets through (all: None)."""
        words = sorted(words, key=len, reverse=True)  # the longest narrows most
        try:
            text, changed = self.current()
            hits = text.found(words, keep, changed)
            if changed:  # the parts written since the file was made: their names from their summaries
                fresh = (hit for pid in changed for hit in self._summary_names(pid))
                hits = merge(hits, hits_in_order(fresh, words, None, keep), key=search_order)
            return list(islice(hits, limit))
        except DamagedLine:  # a line edited by hand: every line made again from the summaries
            return list(islice(self.remade().found(words, keep), limit))

    def current(self) -> tuple[Text, set[int]]:
        """The file as it is (read again when it changed), and the parts written since it was made (the audit
        log's lines since then name them); made again when it cannot be read, or too many parts changed, or what
        changed cannot be told from the audit log (the parts are then looked at, one stat each)."""
        key = self.summaries.settings()[1]
        news = self.summaries.news()
        signature = file_signature(self.path)
        text = self._text[1] if self._text is not None and self._text[0] == signature else Text.read(self.path)
        self._text = None if text is None else (signature, text)
        if text is None or text.key != key:
            return self.remade(), set()
        seen = _jsonable(news)
        changed = set() if seen is not None and text.news == seen else self._written_since(text.news, news)
        if changed is not None and len(changed) <= STALE_PARTS:
            return text, changed
        return self._made_again(text if text.parts is not None else None), set()

    def _written_since(self, before: list | None, news: tuple) -> set[int] | None:
        """The parts the writes since the store's news were ``before`` wrote, from the audit log's lines appended
        since (each commit's last line names its files); None when that cannot be told: a write under way, the
        log not the one it was, or more of it than :data:`TAIL_LIMIT`."""
        signature, busy = news
        if busy or signature is None or before is None or signature[0] != before[0] \
                or not 0 <= signature[1] - before[1] <= TAIL_LIMIT:
            return None
        try:
            with open(self.layout.audit_path, "rb") as log:
                log.seek(before[1])
                tail = log.read(signature[1] - before[1])
            names = [name.removesuffix(DELETE) for line in tail.splitlines()
                     for name in orjson.loads(line).get("files") or ()]
        except (OSError, orjson.JSONDecodeError, AttributeError, TypeError):
            return None
        return {int(name[1:-5]) for name in names if is_part_name(name)}

    def remade(self) -> Text:
        """The file made again from every part's summary."""
        return self._made_again(None)

    def _made_again(self, before: Text | None) -> Text:
        """The file made again for the parts as they are now: ``before``'s lines of the parts that did not change,
        the others' from their summaries (every part's: None); only its first line written again when no part
        changed."""
        key = self.summaries.settings()[1]
        news = _jsonable(self.summaries.news())  # before the parts are looked at: a write after changes them
        now = self._signatures()
        if before is not None and before.parts == now:
            return self._write(Text.made(key, news, now, before.body)) if news is not None else before
        return self._write(Text.made(key, news, now, self._lines(now, before)))

    def _signatures(self) -> dict[int, tuple]:
        folder = f"{self.layout.parts_dir}{os.sep}p"
        return {pid: sig for pid in self.parts.existing() if (sig := file_signature(f"{folder}{pid}.json"))}

    def _lines(self, now: dict[int, tuple], before: Text | None) -> bytes:
        """The lines of the parts ``now``: those of ``before`` of the parts that did not change, the others' from
        their summaries, each put in its place."""
        changed = [pid for pid, sig in now.items() if before is None or before.parts.get(pid) != sig]
        lines = [line_of(hit, pid) for pid in (now if before is None or len(changed) > REMADE_WHOLE_AFTER else changed)
                 for hit in self._summary_names(pid)]
        if before is None or len(changed) > REMADE_WHOLE_AFTER:
            return b"".join(sorted(lines))
        return _inserted(before.without(set(changed) | (before.parts.keys() - now.keys())), sorted(lines))

    def _summary_names(self, pid: int) -> list[CandidateHit]:
        found = self.summaries.summary(pid)
        return found.names if found is not None else []

    def _write(self, text: Text) -> Text:
        with suppress(OSError):  # a cache: made again by the next search when it could not be written
            os.replace(write_tmp(self.path, text.raw, self.layout.mode(), durable=False), self.path)
            discard(self.layout.parts_dir / OLD_CACHE)
        self._text = (file_signature(self.path), text)
        return text
