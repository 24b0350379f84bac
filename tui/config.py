"""ptdv's configuration files: one per server (``/etc/ptdv/config.toml``, or the file ``PTDV_SERVER_CONFIG``
names) and one per user (``config.toml`` in the user's config folder, e.g. ``~/.config/ptdv``), TOML with the
keys ``db`` (the store), ``lang`` (vi or en) and ``theme`` (the app's colours).

What is in force for a key (:class:`Config`): the command line's option, then the environment (``PTDV_DB``,
``PTDV_LANG``), then the user's file, then the server's, then ptdv's default.  A file that is not TOML, a key
ptdv does not know or a value it cannot use is refused with a message naming the file and the key.
"""
from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable

import click

from db.errors import PtdvError
from db.i18n import DEFAULT_LANG, LANGS
from db.connect import is_served
from db.protocol import PREFIX
from db.store import default_path
from db.text import safe

from .files import write_file, writing

KEYS = ("db", "lang", "theme")
SERVER_FILE = Path("/etc/ptdv/config.toml")
SERVER_ENV = "PTDV_SERVER_CONFIG"  # another server file (tests, scripts, a server that keeps it elsewhere)
DEFAULT_THEME = "textual-dark"     # Textual's own default
SOURCES = ("option", "env", "user", "server", "default")  # highest first
_POSITION = re.compile(r"at line (\d+), column (\d+)")


def user_file() -> Path:
    from platformdirs import user_config_path

    return user_config_path("ptdv", appauthor=False) / "config.toml"


def server_file() -> Path:
    env = os.environ.get(SERVER_ENV)
    return Path(env).expanduser() if env else SERVER_FILE


@dataclass(frozen=True)
class Setting:
    """A key's value in force, and where it comes from: ``source`` is one of :data:`SOURCES`; ``origin`` names
    the option (``--db``), the variable (``PTDV_DB``) or the file, and is empty for the default."""

    key: str
    value: object  # a Path for db, a str for lang and theme
    source: str
    origin: str = ""


@dataclass(frozen=True)
class Config:
    settings: dict[str, Setting]
    user: Path     # the files read (they need not exist)
    server: Path

    def value(self, key: str):
        return self.settings[key].value

    def given(self, key: str, value: object, source: str, origin: str) -> "Config":
        """This configuration with ``key`` given by an option or the environment (``source``)."""
        return replace(self, settings={**self.settings, key: Setting(key, value, source, origin)})


def load() -> Config:
    """The user's and the server's files over the defaults; a file that is wrong raises :class:`PtdvError`."""
    user, server = user_file(), server_file()
    settings = {"db": Setting("db", default_path(), "default"), "lang": Setting("lang", DEFAULT_LANG, "default"),
                "theme": Setting("theme", DEFAULT_THEME, "default")}
    for source, path in (("server", server), ("user", user)):  # the user's file over the server's
        settings.update({key: Setting(key, value, source, str(path)) for key, value in read_file(path).items()})
    return Config(settings, user, server)


# the options of ptdv's command line that a key of the files may stand for: (parameter, option, variable)
OPTIONS = {"db": ("db_path", "--db", "PTDV_DB"), "lang": ("lang", "--lang", "PTDV_LANG")}


def of_command_line(ctx: click.Context) -> Config:
    """The files' configuration under what ptdv's command line (``ctx``: its root context) gave, by an option
    or by the environment."""
    settings = load()
    for key, (param, option, variable) in OPTIONS.items():
        value = ctx.params.get(param)
        if value is not None:
            from_env = ctx.get_parameter_source(param) is click.core.ParameterSource.ENVIRONMENT
            settings = settings.given(key, value, "env" if from_env else "option", variable if from_env else option)
    return settings


def file_lang() -> str | None:
    """The language the files ask for, before anything is checked (for a mistyped command line); None when
    they ask for none or cannot be read."""
    try:
        return str(load().value("lang"))
    except PtdvError:
        return None


def read_file(path: Path) -> dict[str, object]:
    """The keys of the file at ``path`` (none when there is no file), each checked."""
    return {key: _checked(path, key, value) for key, value in _read(path)[1].items()}


def _read(path: Path) -> tuple[str, dict]:
    """The file's text and its keys as TOML has them (an empty text and no keys when there is no file)."""
    try:
        data = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return "", {}
    except OSError as exc:
        raise PtdvError("config.unreadable", path=safe(str(path)), detail=exc.strerror or str(exc)) from exc
    try:
        text = data.decode("utf-8")
        return text, tomllib.loads(text)
    except UnicodeDecodeError as exc:
        raise PtdvError("config.not_utf8", path=safe(str(path))) from exc
    except tomllib.TOMLDecodeError as exc:
        found = _POSITION.search(str(exc))
        line, column = found.groups() if found else ("?", "?")
        raise PtdvError("config.bad_toml", path=safe(str(path)), line=line, column=column) from exc


def _checked(path: Path, key: str, value: object) -> object:
    where = safe(str(path))
    if key not in KEYS:
        raise PtdvError("config.unknown_key", path=where, name=safe(key), keys=", ".join(KEYS))
    if not isinstance(value, str) or not value.strip():
        raise PtdvError("config.not_text", path=where, name=key, example={"db": "/srv/ptdv/ptdv.json", "lang": "vi",
                                                                        "theme": "nord"}[key])
    if key == "lang" and value not in LANGS:
        raise PtdvError("config.bad_lang", path=where, value=safe(value), langs=", ".join(LANGS))
    if key == "db":
        store = Path(value) if is_served(value) else Path(value).expanduser()  # unix:/run/ptdv/ptdv.sock: a service
        if not Path(str(store).removeprefix(PREFIX)).is_absolute():
            raise PtdvError("config.bad_db", path=where, value=safe(value))
        return store
    return value


def theme_error(setting: Setting, themes: Iterable[str]) -> PtdvError | None:
    """The message for a theme the app does not have (``themes``: the app's), naming the file it came from."""
    if setting.value in themes:
        return None
    return PtdvError("config.bad_theme", path=safe(setting.origin), value=safe(str(setting.value)),
                     themes=", ".join(sorted(themes)))


def known_themes() -> list[str]:
    """The themes the app has: Textual's own (imported only when asked: it takes a quarter of a second)."""
    from textual.theme import BUILTIN_THEMES

    return sorted(BUILTIN_THEMES)


# -- writing the user's file ---------------------------------------------------------------------------
def save(key: str, value: str) -> Path:
    """Set ``key`` to ``value`` in the user's file, keeping its other lines (keys, comments) as they are: the
    file and its folder are made when missing; the file is the user's only (0600) and written whole or not at
    all.  A file that is wrong is left alone and its fault raised."""
    path = user_file()
    text, doc = _read(path)
    for name, found in doc.items():
        _checked(path, name, found)
    new = _with_key(text, key, value)
    try:
        if tomllib.loads(new) != {**doc, key: value}:
            raise ValueError("other keys changed")
    except (tomllib.TOMLDecodeError, ValueError) as exc:  # a line of a multi-line value that looked like the key
        raise PtdvError("config.cannot_update", path=safe(str(path)), name=key) from exc
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_file(path, new.encode("utf-8"))
    return path


def _with_key(text: str, key: str, value: str) -> str:
    """``text`` with the line of ``key`` (top level, quoted or bare) replaced, or added at its end."""
    line = f"{key} = {_toml_string(value)}\n"
    assigns = re.compile(rf"""\s*({key}|"{key}"|'{key}')\s*=""")
    lines = text.splitlines(keepends=True)
    for index, current in enumerate(lines):
        if assigns.match(current):
            lines[index] = line
            return "".join(lines)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return "".join(lines) + line


def _toml_string(value: str) -> str:
    escaped = "".join(ch if ch.isprintable() and ch not in '"\\' else f"\\u{ord(ch):04x}" for ch in value)
    return f'"{escaped}"'
