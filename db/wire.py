"""The domain's values as JSON, for the service's protocol (docs/SERVICE.md): records, figures, dates, errors.

JSON has no dates, tuples, sets or maps keyed by numbers, and no records; each is written as an object with a
``$`` key saying what it is, and read back as the same Python value.  Only the record types of ``db`` named in
:data:`TYPES` are made from what comes in, through their constructors (never by importing or calling a name the
message gives), so a message can make nothing else.
"""
from __future__ import annotations

import base64
import binascii
import dataclasses
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path, PurePath
from typing import Any

import orjson

from . import (access, audit, calendar_store, counts, documents, letterhead, lineage, model, papers, quota, reorg,
               report, rules, service, state, transfer, workdays)
from .errors import PtdvError
from .i18n import LANGS, Phrases

_MODULES = (model, access, audit, calendar_store, counts, documents, letterhead, lineage, papers, quota, reorg, report,
            rules, service, state, transfer, workdays)


def _records() -> dict[str, type]:
    """Every public record type of the modules above: frozen or plain dataclasses and named tuples."""
    found: dict[str, type] = {"Phrases": Phrases}
    for module in _MODULES:
        for name, value in vars(module).items():
            if (isinstance(value, type) and value.__module__ == module.__name__ and not name.startswith("_")
                    and (dataclasses.is_dataclass(value) or hasattr(value, "_fields"))):
                if name in found and found[name] is not value:
                    name = f"{module.__name__.rsplit('.', 1)[-1]}.{name}"
                found[name] = value
    return found


TYPES: dict[str, type] = _records()
_NAMES: dict[type, str] = {cls: name for name, cls in TYPES.items()}


_INT_LIMIT = 2 ** 63


class WireError(ValueError):
    """A message that is not what the protocol says (a type not in :data:`TYPES`, a malformed value)."""


def encode(value: Any) -> Any:
    """``value`` as plain JSON types (see the module's docstring)."""
    if isinstance(value, int) and not isinstance(value, bool) and not -_INT_LIMIT <= value < _INT_LIMIT:
        return {"$int": str(value)}  # JSON numbers past 64 bits (a number typed at random) as text
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    kind = type(value)
    name = _NAMES.get(kind)
    if name is not None:
        if dataclasses.is_dataclass(value):
            return {"$": name, "f": {f.name: encode(getattr(value, f.name))
                                     for f in dataclasses.fields(value) if f.init}}
        return {"$": name, "v": [encode(item) for item in value]}
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, PurePath):
        return {"$path": str(value)}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, list):
        return [encode(item) for item in value]
    if isinstance(value, tuple):
        return {"$tuple": [encode(item) for item in value]}
    if isinstance(value, (set, frozenset)):
        return {"$set": [encode(item) for item in value]}
    if isinstance(value, Mapping):
        items = list(value.items())
        if all(isinstance(k, str) and not k.startswith("$") for k, _ in items):
            return {k: encode(v) for k, v in items}
        return {"$map": [[encode(k), encode(v)] for k, v in items]}
    if isinstance(value, PtdvError):
        return error_data(value)
    raise TypeError(f"ptdv's protocol has no form for {kind.__module__}.{kind.__qualname__}")


def decode(value: Any) -> Any:
    """The Python value :func:`encode` wrote (a :class:`WireError` for anything else)."""
    if isinstance(value, list):
        return [decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    if "$" in value:
        cls = TYPES.get(value["$"])
        if cls is None:
            raise WireError(f"unknown type {value['$']!r}")
        try:
            if "f" in value:
                return cls(**{k: decode(v) for k, v in value["f"].items()})
            items = [decode(item) for item in value["v"]]
            return cls(items) if cls is Phrases else cls(*items)
        except (TypeError, ValueError, KeyError) as exc:
            raise WireError(f"{value['$']}: {exc}") from None
    if len(value) == 1:
        (key, inner), = value.items()
        try:
            if key == "$int":
                return int(inner)
            if key == "$bytes":
                return base64.b64decode(inner, validate=True)
            if key == "$path":
                return Path(inner)
            if key == "$date":
                return date.fromisoformat(inner)
            if key == "$datetime":
                return datetime.fromisoformat(inner)
            if key == "$tuple":
                return tuple(decode(item) for item in inner)
            if key == "$set":
                return {decode(item) for item in inner}
            if key == "$map":
                return {decode(k): decode(v) for k, v in inner}
            if key == "$error":
                return error_from(inner)
        except (TypeError, ValueError, binascii.Error) as exc:
            raise WireError(f"{key}: {exc}") from None
    return {k: decode(v) for k, v in value.items()}


def error_data(err: PtdvError) -> dict:
    """A domain error as data: its message key and parameters, and its text in every language (an error may
    word itself, as an import refused row by row does)."""
    kind = next((name for name, cls in _KINDS.items() if isinstance(err, cls)), None)
    return {"$error": {"kind": kind, "key": err.key,
                       "params": {k: v if isinstance(v, (float, str)) or v is None
                                  or (isinstance(v, int) and -_INT_LIMIT <= v < _INT_LIMIT) else str(v)
                                  for k, v in err.params.items()},
                       "text": {lang: err.message(lang) for lang in LANGS}}}


class ServiceError(PtdvError):
    """An error the service raised, as it worded it."""

    def __init__(self, key: str, text: dict[str, str], **params: object) -> None:
        PtdvError.__init__(self, key, **params)
        self.text = text

    def message(self, lang: str = "vi") -> str:
        return self.text.get(lang) or self.text.get("en") or self.key


# the kinds of error a front end tells apart (``isinstance``), each made again in the client as that kind
_KINDS: dict[str, type[PtdvError]] = {"access": access.AccessError, "import_refused": transfer.ImportRefused,
                                      "rule": rules.RuleRefused}
_AS_KIND: dict[str | None, type[ServiceError]] = {
    None: ServiceError, **{name: type(f"Service{cls.__name__}", (ServiceError, cls), {}) for name, cls in _KINDS.items()}}


def error_from(data: dict) -> PtdvError:
    cls = _AS_KIND.get(data.get("kind"), ServiceError)
    return cls(str(data["key"]), {str(k): str(v) for k, v in (data.get("text") or {}).items()},
               **dict(data.get("params") or {}))


def dumps(value: Any) -> bytes:
    return orjson.dumps(encode(value))


def loads(raw: bytes) -> Any:
    return decode(orjson.loads(raw))
