"""The ``ptdv`` command line: every operation of :class:`db.service.Service` as a click command.

The commands compute nothing themselves: they name units and candidates, call the service,
and lay out what it returns (``tui.output``) in the user's language (``--lang``).
Without a subcommand ``ptdv`` opens the Textual app.
"""
from __future__ import annotations

import copy
import gc
import os
import sys
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Callable, NoReturn

import click

from db.access import ROLES, User
from db.connect import open_service
from db.errors import PtdvError
from db.i18n import DEFAULT_LANG, LANGS, t
from db import papers as papers_mod
from db import rules as rules_mod
from db.model import (EDITABLE_FIELDS, EDUCATION, EXIT_KINDS, GENDERS, LEFT_REASONS, OCCUPATIONS, STAGES, TAGS, Candidate,
                      stage_index)
from db.quota import cutoff_for
from db.rules import SEVERITIES, Finding
from db.service import Service, parse_count
from db.state import State
from db.text import fmt_date, iso, parse_date, safe

from . import audit_text, calendar_text, history_text, output, report_output
from .completion import LATER_DB, complete_candidate, complete_candidate_or_unit, complete_unit
from .config import Config, file_lang, known_themes, of_command_line, theme_error
from .files import write_file
from .install_service import install_service
from .serve_cli import serve
from .output import field_label, number, percent, shorten, shorten_name, table, value_text

EXIT_REFUSED = 1   # the request was understood and refused, the store is damaged, or `check` found problems
EXIT_USAGE = 2     # a malformed command line, or a unit or candidate that does not exist or is ambiguous
EXIT_INTERNAL = 3  # a bug: a short message, the traceback only with PTDV_DEBUG=1
NOT_FOUND = frozenset({"unit.not_found", "unit.ambiguous", "candidate.not_found"})
NAME_CELLS = 44    # a unit's name column (with its tree indent) is cut to this many cells
MARKS = {"overdue": "!!", "due": "!", "warning": "*"}

EPILOG = """\b
A unit is named by id (12 or #12), by path ("Sơn Trà/Phước Mỹ") or by name with or
without diacritics ("phuoc my"). Dates are dd/mm/yyyy or yyyy-mm-dd.
\b
Exit status: 0 done; 1 refused (invalid value, a rule of the pipeline, a damaged or busy
store, or problems found by `check`); 2 a malformed command line, or a unit or candidate
that does not exist or matches several (they are listed); 3 internal error (run again
with PTDV_DEBUG=1 to see the traceback).
\b
--db, --lang and --year may also come after the command, e.g. `ptdv demo --db x.json`:
given there they win over those given before it and over the environment.
\b
Configuration: the keys db, lang and theme in ~/.config/ptdv/config.toml (yours) and
/etc/ptdv/config.toml (the server's); an option or the environment wins over them, your
file over the server's. `ptdv config` shows what is in force and where it comes from.
\b
Environment: PTDV_DB (store file), PTDV_LANG (vi or en), PTDV_SERVER_CONFIG (the
server's config file elsewhere), PTDV_DEBUG=1.
"""


@dataclass
class Session:
    """What every command works with: one service over the chosen store, a language and a year."""

    service: Service
    lang: str
    config: Config  # the store and the language in force and where each comes from (`ptdv config`)
    year_option: int | None
    today: date | None = None  # tests fix it: main(obj={"today": ...})

    @property
    def year(self) -> int:
        return self.year_option or self.service.today().year

    @property
    def chosen_store(self) -> bool:
        """A store someone chose (an option, PTDV_DB, a config file); otherwise the default store, built with
        demo data on first run."""
        return self.config.settings["db"].source != "default"

    def use_store(self, path: Path) -> None:
        """``--db`` after the command: the store at ``path`` instead of the one the group opened."""
        self.service = open_service(path, today=self.today)
        self.config = self.config.given("db", path, "option", "--db")

    def use_lang(self, lang: str) -> None:
        """``--lang`` after the command."""
        self.lang = lang
        self.config = self.config.given("lang", lang, "option", "--lang")

    def t(self, key: str, **params: object) -> str:
        return t(key, self.lang, **params)

    def echo(self, text: str = "") -> None:
        click.echo(_safe_lines(text))

    def lines(self, lines: list[str]) -> None:
        self.echo("\n".join(lines))

    def json(self, data: object) -> None:
        click.echo(output.to_json(data))


pass_session = click.make_pass_decorator(Session)


class PtdvGroup(click.Group):
    """Every error ends as one message in the user's language on stderr and an exit status.

    Its commands and groups take its --db, --lang and --year after their name too (``SharedOptions``).
    """

    command_class: type[click.Command] | None = None  # PtdvCommand and PtdvSubgroup, set below them
    group_class: type[click.Group] | type | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _note_refused_values(self.params)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return _with_context(super().parse_args, ctx, args)

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra) -> click.Context:
        lang = _argv_lang(args)  # known before the command line is understood, for click's refusals
        try:
            ctx = super().make_context(info_name, args, parent, **extra)
        except NO_ARGS_IS_HELP:
            raise
        except click.ClickException as err:
            _usage_fail(err, lang)
        ctx.meta[ARGV_LANG] = lang
        return ctx

    def invoke(self, ctx: click.Context) -> object:
        usage_lang = ctx.meta.get(ARGV_LANG) or DEFAULT_LANG
        try:
            return super().invoke(ctx)
        except PtdvError as err:
            lang = _session_lang(ctx, usage_lang)
            _fail(ctx, err.message(lang), EXIT_USAGE if err.key in NOT_FOUND else EXIT_REFUSED, lang)
        except NO_ARGS_IS_HELP:  # `ptdv unit`: its help, as click shows it
            raise
        except click.ClickException as err:
            _usage_fail(err, usage_lang)
        except click.exceptions.Exit:
            raise
        except (click.Abort, KeyboardInterrupt):  # ctrl+c, or the end of input at a confirmation
            click.echo(t("cli.aborted", _session_lang(ctx, usage_lang)), err=True)
            ctx.exit(EXIT_REFUSED)
        except BrokenPipeError:  # `ptdv log | head`: the reader went away; say nothing more
            _silence_stdout()
            ctx.exit(EXIT_REFUSED)
        except OSError as exc:
            lang = _session_lang(ctx, usage_lang)
            _fail(ctx, t("cli.os_error", lang, path=exc.filename or "", detail=exc.strerror or str(exc)),
                  EXIT_REFUSED, lang)
        except Exception as exc:  # a bug: no traceback on screen unless asked for
            if os.environ.get("PTDV_DEBUG") == "1":
                traceback.print_exc()
            lang = _session_lang(ctx, usage_lang)
            _fail(ctx, t("cli.internal_error", lang, kind=type(exc).__name__), EXIT_INTERNAL, lang)


def _session_lang(ctx: click.Context, fallback: str) -> str:
    """The language of the command (its own --lang included) once the session exists."""
    ses = ctx.find_object(Session)
    return ses.lang if ses is not None else fallback


def _safe_lines(text: str) -> str:
    """``text`` with its lines kept: control characters from the store never reach the terminal raw."""
    return "\n".join(safe(line) for line in text.split("\n"))


def _fail(ctx: click.Context, message: str, status: int, lang: str) -> None:
    click.echo(_safe_lines(t("cli.error", lang, message=message)), err=True)
    ctx.exit(status)


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


class LocalizedChoice(click.Choice):
    """``click.Choice`` for help and completion; a refused value gets the catalogue's message."""

    def __init__(self, choices: tuple[str, ...], error: Callable[[str, str], PtdvError]) -> None:
        super().__init__(choices)
        self.error = error

    def convert(self, value, param, ctx):
        if value in self.choices:
            return value
        raise self.error(safe(str(value)), ", ".join(self.choices))


def _set_year(ctx: click.Context, param: click.Parameter, value: int | None) -> None:
    ses = ctx.find_object(Session)
    if value is not None and ses is not None:
        ses.year_option = value


def _set_db(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    ses = ctx.find_object(Session)
    if value is None:
        return
    if ses is None:  # completing the command line: the store to complete from
        ctx.meta[LATER_DB] = value
    else:
        ses.use_store(value)


def _set_lang(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    ses = ctx.find_object(Session)
    if value is not None and ses is not None:
        ses.use_lang(value)


YEAR_TYPE = click.IntRange(1900, 9999)
DB_TYPE = click.Path(dir_okay=False, readable=False, path_type=Path)  # the store says why it cannot read a file
DB_HELP = ("Store file, or unix:PATH of a ptdv service's socket (env PTDV_DB; default: db in the config files, "
           "else the user data folder, ptdv/ptdv.json).")
LANG_HELP = "Language of labels and messages (env PTDV_LANG; default: lang in the config files, else vi)."
YEAR_HELP = "Year of quotas and figures (default: this year)."


def _shared_options() -> list[click.Option]:
    """The group's --db, --lang and --year as a command below it takes them: given after the command,
    they replace what the group got (from its own options, the environment or the defaults)."""
    return [
        click.Option(["--db", "db_path"], type=DB_TYPE, expose_value=False, callback=_set_db, help=DB_HELP),
        # eager: the values refused before it is read are refused in its language
        click.Option(["--lang"], type=click.Choice(LANGS), expose_value=False, is_eager=True, callback=_set_lang,
                     help=LANG_HELP),
        click.Option(["--year"], type=YEAR_TYPE, metavar="YEAR", expose_value=False, callback=_set_year,
                     help=YEAR_HELP),
    ]


class SharedOptions:
    """A command or group below ``ptdv``: also takes the group's options (those it does not define itself),
    and keeps the value a parameter's type refused, for the message in the user's language."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        taken = {opt for param in self.params for opt in param.opts}
        self.params += [option for option in _shared_options() if not taken & set(option.opts)]
        _note_refused_values(self.params)


class PtdvCommand(SharedOptions, click.Command):
    """A command below ``ptdv``; surplus arguments are refused as ``ExtraArguments``, said in the user's words."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        allowed, ctx.allow_extra_args = ctx.allow_extra_args, True
        try:
            rest = _with_context(super().parse_args, ctx, args)
        finally:
            ctx.allow_extra_args = allowed
        if rest and not allowed and not ctx.resilient_parsing:
            raise ExtraArguments(rest, ctx)
        return rest


class PtdvSubgroup(SharedOptions, click.Group):
    command_class = PtdvCommand
    group_class = type  # its groups are PtdvSubgroups too

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return _with_context(super().parse_args, ctx, args)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except click.UsageError as err:
            # click refuses a group without its command with a bare UsageError of the group's own context
            if type(err) is click.UsageError and err.ctx is ctx:
                raise MissingCommand(ctx) from None
            raise


PtdvGroup.command_class, PtdvGroup.group_class = PtdvCommand, PtdvSubgroup


def _with_context(parse: Callable[[click.Context, list[str]], list[str]], ctx: click.Context,
                  args: list[str]) -> list[str]:
    """``parse(ctx, args)``; the parser's refusals (an option without its value, …) get the command's context,
    for the usage line."""
    try:
        return parse(ctx, args)
    except click.UsageError as err:
        if err.ctx is None:
            err.ctx = ctx
        raise


# -- click's refusals of a command line, in the user's language -----------------------------------
ARGV_LANG = "ptdv.argv_lang"  # ctx.meta: the language asked for on the command line, or PTDV_LANG
NO_ARGS_IS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())   # click >= 8.2
NO_SUCH_COMMAND = getattr(click.exceptions, "NoSuchCommand", ())       # click >= 8.4


class ExtraArguments(click.UsageError):
    def __init__(self, extra: list[str], ctx: click.Context) -> None:
        super().__init__(f"Got unexpected extra arguments ({' '.join(extra)})", ctx)
        self.extra = extra


class MissingCommand(click.UsageError):
    def __init__(self, ctx: click.Context) -> None:
        super().__init__("Missing command.", ctx)


def _argv_lang(args: list[str]) -> str:
    """The last valid ``--lang X`` / ``--lang=X`` of the command line, else PTDV_LANG or Vietnamese."""
    found = None
    for i, arg in enumerate(args):
        if arg == "--":
            break
        value = args[i + 1] if arg == "--lang" and i + 1 < len(args) else \
            arg.partition("=")[2] if arg.startswith("--lang=") else None
        if value is not None:
            found = value if value in LANGS else None
    env = os.environ.get("PTDV_LANG")
    return found or (env if env in LANGS else file_lang() or DEFAULT_LANG)


@lru_cache(maxsize=None)
def _noting(kind: type) -> type:
    """The parameter type ``kind`` whose refusal keeps the value it refused (``err.ptdv_value``)."""
    def convert(self, value, param, ctx):
        try:
            return kind.convert(self, value, param, ctx)
        except click.BadParameter as err:
            err.ptdv_value = value
            raise
    return type(kind.__name__, (kind,), {"convert": convert, "ptdv_noting": True, "__module__": kind.__module__})


def _note_refused_values(params: list[click.Parameter]) -> None:
    for param in params:
        if not getattr(param.type, "ptdv_noting", False):
            param.type = copy.copy(param.type)
            param.type.__class__ = _noting(type(param.type))


def _usage_fail(err: click.ClickException, lang: str) -> NoReturn:
    """click's refusal as click shows it (usage, where the help is, the reason), in ``lang``; exit 2."""
    ctx = getattr(err, "ctx", None)
    lines = []
    if ctx is not None:
        pieces = [ctx.command_path, *ctx.command.collect_usage_pieces(ctx)]
        lines.append(t("cli.usage.line", lang, usage=" ".join(pieces)))
        if ctx.command.get_help_option(ctx) is not None:
            lines.append(t("cli.usage.help", lang, command=ctx.command_path,
                           option=max(ctx.command.get_help_option_names(ctx), key=len)))
        lines.append("")
    lines.append(t("cli.error", lang, message=_usage_reason(err, ctx, lang)))
    click.echo(_safe_lines("\n".join(lines)), err=True)
    raise click.exceptions.Exit(err.exit_code)


def _param_name(param: click.Parameter) -> str:
    return max(param.opts, key=len) if isinstance(param, click.Option) else param.human_readable_name


def _usage_reason(err: click.ClickException, ctx: click.Context | None, lang: str) -> str:
    """What is wrong and how to put it right, from the exception's class and its fields (not its English)."""
    if isinstance(err, (click.NoSuchOption, NO_SUCH_COMMAND)):
        key, name = ("cli.usage.no_such_option", err.option_name) if isinstance(err, click.NoSuchOption) \
            else ("cli.usage.no_such_command", err.command_name)
        reason = t(key, lang, name=name, command=ctx.command_path if ctx else "ptdv")
        if err.possibilities:
            reason += " " + t("cli.usage.did_you_mean", lang, names=", ".join(sorted(err.possibilities)))
        return reason
    if isinstance(err, click.MissingParameter) and err.param is not None:
        kind = err.param_type or err.param.param_type_name
        return t("cli.usage.missing_option" if kind == "option" else "cli.usage.missing_argument", lang,
                 name=_param_name(err.param))
    if isinstance(err, click.BadParameter) and err.param is not None:
        return _bad_value(err, lang)
    if isinstance(err, click.BadOptionUsage) and ctx is not None:
        option = next((p for p in ctx.command.get_params(ctx) if isinstance(p, click.Option)
                       and err.option_name in (*p.opts, *p.secondary_opts)), None)
        if option is not None:
            flag = option.is_flag or option.count
            return t("cli.usage.takes_no_value" if flag else "cli.usage.needs_value", lang, name=err.option_name)
    if isinstance(err, ExtraArguments):
        return t("cli.usage.extra", lang, args=" ".join(err.extra))
    if isinstance(err, MissingCommand):
        return t("cli.usage.missing_command", lang, commands=", ".join(ctx.command.list_commands(ctx)))
    if isinstance(err, click.FileError):
        return t("cli.usage.file", lang, path=err.ui_filename)
    return t("cli.usage.other", lang)


def _bad_value(err: click.BadParameter, lang: str) -> str:
    """A value a parameter's type refused: which value, why, and what it takes."""
    param, value = err.param, getattr(err, "ptdv_value", None)
    name, kind = _param_name(param), param.type
    if value is None:
        return t("cli.usage.bad_value_of", lang, name=name)
    text = safe(os.fsdecode(value) if isinstance(value, (bytes, os.PathLike)) else str(value))
    if isinstance(kind, click.Choice):
        return t("cli.usage.not_a_choice", lang, name=name, value=text, choices=", ".join(map(str, kind.choices)))
    if isinstance(kind, click.types.IntParamType):
        try:
            int(value)
        except (TypeError, ValueError):
            return t("cli.usage.not_a_number", lang, name=name, value=text)
        if isinstance(kind, click.IntRange):
            limits = "between" if kind.min is not None and kind.max is not None else "min" if kind.min is not None \
                else "max"
            return t("cli.usage.out_of_range", lang, name=name, value=text,
                     range=t(f"cli.usage.range_{limits}", lang, min=kind.min, max=kind.max))
    if isinstance(kind, click.Path):
        path = os.fsdecode(value)
        if not os.path.lexists(path):
            return t("cli.usage.no_such_file", lang, name=name, value=text)
        if os.path.isdir(path) and not kind.dir_okay:
            return t("cli.usage.is_a_folder", lang, name=name, value=text)
        if kind.readable and not os.access(path, os.R_OK):
            return t("cli.usage.unreadable", lang, name=name, value=text)
        if kind.writable and not os.access(path, os.W_OK):
            return t("cli.usage.unwritable", lang, name=name, value=text)
    return t("cli.usage.bad_value", lang, name=name, value=text)
STAGE_CHOICE = LocalizedChoice(STAGES, lambda v, o: PtdvError("stage.unknown", stage=v, stages=o))
json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")


# -- the group --------------------------------------------------------------------------------
@click.group(cls=PtdvGroup, invoke_without_command=True, epilog=EPILOG,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ptdv", prog_name="ptdv", message="%(prog)s %(version)s")
@click.option("--db", "db_path", type=DB_TYPE, envvar="PTDV_DB", help=DB_HELP)
@click.option("--lang", type=click.Choice(LANGS), envvar="PTDV_LANG", help=LANG_HELP)
@click.option("--year", type=YEAR_TYPE, metavar="YEAR", help=YEAR_HELP)
@click.pass_context
def main(ctx: click.Context, db_path: Path | None, lang: str, year: int | None) -> None:
    """ptdv — phát triển đảng viên: admission quotas and candidate pipelines.

    Without a command, opens the full-screen app.
    """
    today = ctx.obj.get("today") if isinstance(ctx.obj, dict) else None  # tests: main(obj={"today": ...})
    settings = of_command_line(ctx)  # the options and the environment over the config files
    ctx.obj = Session(open_service(settings.value("db"), today=today), str(settings.value("lang")), settings,
                      year, today)
    if ctx.invoked_subcommand is None:
        ctx.invoke(open_command)
    elif ctx.invoked_subcommand not in LONG_RUNNING:
        ctx.with_resource(_one_answer())


LONG_RUNNING = ("open", "serve")  # the app and the service: every other command ends once it has answered
_answered: list[bool] = []  # a command of one answer ran: the console script ends the process at once


@contextmanager
def _one_answer():
    """A command that answers and ends runs without Python's cyclic garbage collector.  Reading the store makes
    trees of records without cycles, freed by their reference counts; the collector, woken by every 700 new
    objects, went through all of them again and again: a third to a half of `check`, `due`, `export` at metro
    (docs/STORE.md).  The little cyclic garbage a command leaves (measured: `check` at metro, no more memory at
    its peak) goes with the process, which :func:`run` ends without freeing the records one by one.  The app
    and the service keep the collector."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        _answered.append(True)
        if enabled:
            gc.enable()


def run() -> None:
    """The console script ``ptdv``: :func:`main`; after a command of one answer, once its output is flushed, the
    process ends without Python freeing what the command read (seconds after a metro export: 1.6 GB of records
    freed one by one).  No file of the store is open then: every write was synced and closed in its commit."""
    try:
        main()
    except SystemExit as end:
        if not _answered or not isinstance(end.code, (int, type(None))):
            raise
        status = end.code or 0
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # `ptdv log | head`: the reader went away
                status = status or 1
        os._exit(status)


# -- store ------------------------------------------------------------------------------------
@main.command()
@click.option("--root", "root_name", required=True, help="Name of the top unit, e.g. \"Đảng bộ thành phố Đà Nẵng\".")
@click.option("--members", metavar="N", help="Members of the top unit at the start of --year.")
@click.option("--level", metavar="LEVEL", help="Level of the top unit: city (default), district, grassroots or branch.")
@json_option
@pass_session
def init(ses: Session, root_name: str, members: str | None, level: str | None, as_json: bool) -> None:
    """Create a new, empty store with its top unit."""
    count = None if members is None else parse_count(members, field="members")
    unit = ses.service.init(root_name, members=count, year=ses.year, level=level)
    if as_json:
        ses.json({"path": str(ses.service.store.path), "id": unit.id, **unit.to_doc()})
        return
    ses.echo(ses.t("cli.init.done", path=ses.service.store.path, id=unit.id, name=unit.name))


def _build_demo(ses: Session, seed: int, scale: str | None = None) -> dict:
    """Fill the store with demo data; what was made, counted."""
    if scale is None:
        from db.demo import build_demo

        return build_demo(ses.service, today=ses.service.today(), seed=seed)
    from db.generate import generate

    return generate(ses.service, scale, seed=seed, today=ses.service.today())


def _demo_done(ses: Session, summary: dict) -> None:
    ses.echo(ses.t("cli.demo.done", path=ses.service.store.path, units=number(summary["units"], ses.lang),
                   candidates=number(summary["candidates"], ses.lang), quotas=number(summary["quotas"], ses.lang),
                   years=", ".join(str(y) for y in summary["years"])))


@main.command()
@click.option("--force", is_flag=True, help="Replace an existing store (an admin of it only): it is moved, whole, "
                                            "into a folder beside it, not deleted.")
@click.option("--seed", type=int, default=2024, show_default=True, help="Random seed of the demo data.")
@click.option("--scale", type=click.Choice(["ward", "city", "metro"]),
              help="Generated data of a size instead of the 2024 Đà Nẵng demo: one ward (~60 candidates), "
                   "a city (~5,000 units, ~20,000 live candidates) or the largest city (~20,000 units, "
                   "~80,000 live candidates).")
@json_option
@pass_session
def demo(ses: Session, force: bool, seed: int, scale: str | None, as_json: bool) -> None:
    """Create a store filled with demo data (a city, its wards and branches, candidates)."""
    store = ses.service.store
    if store.exists() and not force:
        raise PtdvError("cli.demo.exists", path=str(store.path))
    aside = ses.service.move_store_aside() if force and store.exists() else None
    if aside is not None and not as_json:
        ses.echo(ses.t("cli.demo.moved", path=store.path, folder=aside, store=aside / store.path.name))
    summary = _build_demo(ses, seed, scale)
    if as_json:
        ses.json({"path": str(store.path), **summary, "moved_aside": str(aside) if aside else None})
    else:
        _demo_done(ses, summary)


# -- units ------------------------------------------------------------------------------------
@main.group()
def unit() -> None:
    """Units: committees and branches."""


@unit.command("add")
@click.argument("name")
@click.option("--parent", "parent_ref", required=True, metavar="UNIT", shell_complete=complete_unit,
              help="The unit it belongs to.")
@click.option("--level", help="Level id (default: the level below the parent's).")
@click.option("--members", metavar="N", help="Members at the start of --year.")
@json_option
@pass_session
def unit_add(ses: Session, name: str, parent_ref: str, level: str | None, members: str | None, as_json: bool) -> None:
    """Add a unit under another."""
    new = ses.service.add_unit(name, parent_ref, level, members, ses.year)
    if as_json:
        ses.json(_unit_json(ses, new))
        return
    ses.echo(ses.t("cli.unit.added", id=new.id, path=ses.service.state().path(new.id)))


@unit.command("list")
@click.argument("unit_ref", metavar="[UNIT]", shell_complete=complete_unit, required=False)
@click.option("--depth", type=click.IntRange(min=0), help="Show this many levels below UNIT.")
@json_option
@pass_session
def unit_list(ses: Session, unit_ref: str | None, depth: int | None, as_json: bool) -> None:
    """The tree under UNIT (default: the top) as it was in --year, with the year's figures."""
    svc = ses.service
    top = svc.resolve_unit(unit_ref, ses.year) if unit_ref else svc.root()
    seen = svc.seen(top.id, ses.year)           # a unit that ended before --year: its last year
    tree = svc.tree(ses.year, top.id)           # the tree of the day it is seen on
    depths = {top.id: 0}
    shown = []
    for uid in tree.subtree(top.id, depth):  # the levels below --depth are not read
        if uid != top.id:
            depths[uid] = depths[tree.parent_of(uid)] + 1
        shown.append(uid)
    figures = svc.figures(seen.year, top.id, shown)
    lineages = svc.lineages(shown)
    if as_json:
        ses.json([{**figures[uid].to_json(tree), "level": tree.units[uid].level, "parent": tree.parent_of(uid),
                   "depth": depths[uid], **lineages[uid].to_json()} for uid in shown])
        return
    rows = []
    for uid in shown:
        fig, indent = figures[uid], "  " * depths[uid]
        rows.append([str(uid), indent + shorten_name(safe(tree.units[uid].name), max(12, NAME_CELLS - len(indent))),
                     shorten(tree.level_label(tree.units[uid].level, ses.lang), 16),
                     number(fig.members, ses.lang), number(fig.target, ses.lang), number(fig.admitted, ses.lang),
                     percent(fig.percent, ses.lang), number(fig.forecast, ses.lang),
                     number(fig.pipeline, ses.lang), number(fig.overdue, ses.lang)])
    headers = ["id", "unit", "level", "members", "target", "admitted", "percent", "forecast", "pipeline", "overdue"]
    ses.echo(ses.t("cli.year", year=seen.year))
    note = history_text.seen_line(seen, lineages[top.id], ses.lang)
    if note:
        ses.echo(note)
    ses.lines(table([field_label(h, ses.lang) for h in headers], rows, right=frozenset({0, *range(3, 10)})))
    notes = _history_notes(ses, tree, [lineages[uid] for uid in shown])
    if notes:
        ses.lines(notes)


def _history_notes(ses: Session, state: State, lineages: list) -> list[str]:
    """Below a table of units: each one's history (what it came from, what it became), when it has one."""
    label = history_text.id_label(state)
    notes = [f"  {label(lin.unit)}: {line}" for lin in lineages
             for line in history_text.history_lines(state, lin, ses.lang, label)]
    return ["", ses.t("history.notes"), *notes] if notes else []


@unit.command("rename")
@click.argument("unit_ref", metavar="UNIT", shell_complete=complete_unit)
@click.argument("name")
@json_option
@pass_session
def unit_rename(ses: Session, unit_ref: str, name: str, as_json: bool) -> None:
    """Give a unit a new name."""
    changed = ses.service.rename_unit(unit_ref, name)
    if as_json:
        ses.json(_unit_json(ses, changed))
        return
    ses.echo(ses.t("cli.unit.renamed", id=changed.id, path=ses.service.state().path(changed.id)))


@unit.command("move")
@click.argument("unit_ref", metavar="UNIT", shell_complete=complete_unit)
@click.option("--to", "parent_ref", required=True, metavar="PARENT", shell_complete=complete_unit,
              help="The new parent unit.")
@click.option("--on", "day", metavar="DATE", help="The day it moves (default: today); before it, the unit was "
                                                  "under its old parent.")
@json_option
@pass_session
def unit_move(ses: Session, unit_ref: str, parent_ref: str, day: str | None, as_json: bool) -> None:
    """Put a unit (with everything under it) under another parent, from a day."""
    on = parse_date(day, field="date") if day else ses.service.today()
    moved = ses.service.move_unit(unit_ref, parent_ref, on)
    state = ses.service.state()
    if as_json:
        ses.json({"id": moved.id, "parent": moved.parent, "on": iso(on)})
    elif day:
        ses.echo(ses.t("cli.unit.moved_on", id=moved.id, parent=state.units[moved.parent].name, date=fmt_date(on),
                       path=state.path(moved.id)))
    else:
        ses.echo(ses.t("cli.unit.moved", id=moved.id, path=state.path(moved.id)))


def _unit_json(ses: Session, unit) -> dict:
    """A unit as a command that wrote it prints it with --json: its id, its record, its path."""
    return {"id": unit.id, **unit.to_doc(), "path": ses.service.state().path(unit.id)}


def _unit_label(state: State, uid: int) -> str:
    return f"#{uid} {safe(state.units[uid].name)}"


def _same_names(ses: Session, uid: int) -> None:
    """A note when units under ``uid`` share a name (two wards' "Chi bộ khu dân cư số 1" after a merge)."""
    state = ses.service.state()
    seen: dict[str, list[int]] = {}
    for kid in state.children.get(uid, []):
        seen.setdefault(state.folded[kid], []).append(kid)
    repeated = [f"{safe(state.units[kids[0]].name)} ({', '.join(f'#{k}' for k in kids)})"
                for kids in seen.values() if len(kids) > 1]
    if repeated:
        click.echo(_safe_lines(ses.t("cli.unit.same_names", unit=_unit_label(state, uid), names="; ".join(repeated))),
                   err=True)


@unit.command("merge")
@click.argument("unit_refs", metavar="UNIT...", shell_complete=complete_unit, nargs=-1, required=True)
@click.option("--into", "into", required=True, metavar="NAME_OR_UNIT", shell_complete=complete_unit,
              help="The unit that goes on: one of them (or a unit beside them) by id or name, or the name of a new "
                   "unit that begins on --on.")
@click.option("--on", "day", required=True, metavar="DATE", help="The day of the merge: the units end the day before.")
@click.option("--parent", "parent_ref", metavar="UNIT", shell_complete=complete_unit,
              help="The parent of a new unit when the units merged are under different parents.")
@click.option("--across-levels", is_flag=True, help="Allow units of different levels to merge.")
@json_option
@pass_session
def unit_merge(ses: Session, unit_refs: tuple[str, ...], into: str, day: str, parent_ref: str | None,
               across_levels: bool, as_json: bool) -> None:
    """Merge units on a date: they end, their units and candidates go to the one that goes on."""
    on = parse_date(day, field="date")
    svc = ses.service
    merged = [svc.resolve_unit(ref) for ref in unit_refs]
    successor = svc.merge_units(unit_refs, into, on, parent_ref=parent_ref, across_levels=across_levels)
    state = svc.state()
    ended = [u.id for u in merged if u.id != successor.id]
    if as_json:
        ses.json({"successor": successor.id, "new": successor.began == on, "ended": ended, "on": iso(on)})
        return
    ses.echo(ses.t("cli.unit.merged", units=", ".join(_unit_label(state, u) for u in ended),
                   into=f"#{successor.id} {safe(state.path(successor.id))}", date=fmt_date(on)))
    _same_names(ses, successor.id)


def _assignments(ses: Session, values: tuple[str, ...], file: Path | None) -> dict[str, str]:
    """``CHILD=TARGET`` options and the lines of ``--assign-file`` (``CHILD<Tab>TARGET`` or ``CHILD=TARGET``)."""
    found: dict[str, str] = {}
    for value in values:
        child, sep, target = value.partition("=")
        if not sep or not child.strip() or not target.strip():
            raise PtdvError("cli.unit.bad_assign", value=safe(value))
        found[child.strip()] = target.strip()
    if file is not None:
        for number_, line in enumerate(file.read_text(encoding="utf-8-sig").splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            child, sep, target = line.partition("\t") if "\t" in line else line.partition("=")
            if not sep or not child.strip() or not target.strip():
                raise PtdvError("cli.unit.bad_assign_line", file=safe(str(file)), line=number_, text=safe(line))
            found[child.strip()] = target.strip()
    return found


@unit.command("split")
@click.argument("unit_ref", metavar="UNIT", shell_complete=complete_unit)
@click.option("--into", "names", required=True, multiple=True, metavar="NAME",
              help="The name of a new unit (repeat: two or more).")
@click.option("--on", "day", required=True, metavar="DATE", help="The day of the split: UNIT ends the day before.")
@click.option("--assign", "assign", multiple=True, metavar="CHILD=NAME",
              help="Where a unit under UNIT goes (for a branch: a candidate's id); repeat for each.")
@click.option("--assign-file", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="The assignments in a file, one a line: CHILD<Tab>NAME or CHILD=NAME.")
@json_option
@pass_session
def unit_split(ses: Session, unit_ref: str, names: tuple[str, ...], day: str, assign: tuple[str, ...],
               assign_file: Path | None, as_json: bool) -> None:
    """Split a unit on a date into new units beside it; every unit under it is assigned to one of them."""
    on = parse_date(day, field="date")
    svc = ses.service
    old = svc.resolve_unit(unit_ref)
    new = svc.split_unit(old.id, list(names), _assignments(ses, assign, assign_file), on)
    state = svc.state()
    if as_json:
        ses.json({"ended": old.id, "units": [u.id for u in new], "on": iso(on)})
        return
    ses.echo(ses.t("cli.unit.split", unit=_unit_label(state, old.id),
                   into=", ".join(_unit_label(state, u.id) for u in new), date=fmt_date(on)))


@unit.command("close")
@click.argument("unit_ref", metavar="UNIT", shell_complete=complete_unit)
@click.option("--on", "day", required=True, metavar="DATE", help="The day it is dissolved: it ends the day before.")
@click.option("--children-to", "children_to", metavar="PARENT", shell_complete=complete_unit,
              help="Where the units under it go (default: its parent).")
@json_option
@pass_session
def unit_close(ses: Session, unit_ref: str, day: str, children_to: str | None, as_json: bool) -> None:
    """Dissolve a unit on a date; the units under it move up to its parent (or --children-to)."""
    on = parse_date(day, field="date")
    svc = ses.service
    old = svc.resolve_unit(unit_ref)
    kids = list(svc.state().children.get(old.id, []))
    taker = svc.close_unit(old.id, on, children_to)
    state = svc.state()
    if as_json:
        ses.json({"ended": old.id, "children_to": taker.id, "children": kids, "on": iso(on)})
        return
    if not kids:  # a branch
        ses.echo(ses.t("cli.unit.closed_alone", unit=_unit_label(state, old.id), date=fmt_date(on)))
        return
    ses.echo(ses.t("cli.unit.closed", unit=_unit_label(state, old.id), date=fmt_date(on),
                   count=number(len(kids), ses.lang), parent=f"#{taker.id} {safe(state.path(taker.id))}"))


@unit.command("members", context_settings={"ignore_unknown_options": True})  # "-3" is a value, refused below
@click.argument("unit_ref", metavar="UNIT", shell_complete=complete_unit)
@click.argument("count", metavar="N")
@json_option
@pass_session
def unit_members(ses: Session, unit_ref: str, count: str, as_json: bool) -> None:
    """Set a unit's members at the start of --year."""
    changed = ses.service.set_members(unit_ref, count, ses.year)
    if as_json:
        ses.json({"id": changed.id, "year": ses.year, "members": changed.members.get(ses.year)})
        return
    ses.echo(ses.t("cli.unit.members", id=changed.id, name=changed.name, year=ses.year,
                   members=number(changed.members.get(ses.year), ses.lang)))


# -- quotas -----------------------------------------------------------------------------------
@main.group()
def quota() -> None:
    """Yearly admission quotas (chỉ tiêu kết nạp)."""


@quota.command("set")
@click.argument("unit_ref", metavar="UNIT", shell_complete=complete_unit)
@click.option("--target", metavar="N", help="Number of new members to admit in --year.")
@click.option("--rate", metavar="RATE", help="Or a rate of the members at the start of the year, e.g. 4%.")
@json_option
@pass_session
def quota_set(ses: Session, unit_ref: str, target: str | None, rate: str | None, as_json: bool) -> None:
    """Set a unit's quota for --year: a number or a rate (rounded up to whole members)."""
    saved = ses.service.set_quota(unit_ref, ses.year, target=target, rate=rate)
    fig = ses.service.unit_figures(saved.unit, ses.year)
    if as_json:  # the quota as saved; with a rate, the target it makes of the members
        ses.json({**saved.to_doc(), "members": fig.members, "target_count": fig.target})
        return
    ses.echo(ses.t("cli.quota.set", year=ses.year, unit=ses.service.state().path(saved.unit),
                   target=_target_text(ses, fig)))


def _target_text(ses: Session, fig) -> str:
    """``50`` or ``50 (4% × 1.234)``; a rate without a member figure shows why there is no number."""
    if fig.rate is None:
        return number(fig.target, ses.lang)
    return ses.t("cli.quota.rate_of", target=number(fig.target, ses.lang), members=number(fig.members, ses.lang),
                 rate=percent(fig.rate, ses.lang, ".3g"))


@quota.command("show")
@click.argument("unit_ref", metavar="UNIT", shell_complete=complete_unit)
@json_option
@pass_session
def quota_show(ses: Session, unit_ref: str, as_json: bool) -> None:
    """A unit's quota for --year: progress, quarters, stages and the allocation to its units (in the tree of
    --year; a unit that ended before --year shows its last year and says so)."""
    svc = ses.service
    shown = svc.resolve_unit(unit_ref, ses.year)
    seen = svc.seen(shown.id, ses.year)
    state = svc.tree(ses.year, shown.id)
    kid_ids = state.children.get(shown.id, [])
    figures = svc.figures(seen.year, shown.id, [shown.id, *kid_ids])
    fig, kids = figures[shown.id], [figures[k] for k in kid_ids]
    lineages = svc.lineages([shown.id, *(k.unit for k in kids)])
    if as_json:
        ses.json({**fig.to_json(state), "asked_year": ses.year, **lineages[shown.id].to_json(),
                  "children": [{**k.to_json(state), **lineages[k.unit].to_json()} for k in kids]})
        return
    lang = ses.lang
    out = [ses.t("cli.quota.title", unit=state.path(shown.id), year=seen.year)]
    label = history_text.id_label(state)
    out += [f"  {line}" for line in history_text.history_lines(state, lineages[shown.id], lang, label)]
    note = history_text.seen_line(seen, lineages[shown.id], lang)
    out += [f"  {note}"] if note else []
    out += [""]
    out += output.pairs([
        (field_label("members", lang), number(fig.members, lang)),
        (field_label("target", lang), _target_text(ses, fig)),
        (field_label("admitted", lang), " ".join(filter(None, [
            number(fig.admitted, lang), output.meter(fig.admitted, fig.forecast, fig.target),
            ses.t("cli.quota.of_plan", percent=percent(fig.percent, lang)) if fig.target else ""]))),
        (field_label("forecast", lang), number(fig.forecast, lang)),
        (field_label("pipeline", lang), number(fig.pipeline, lang)),
        (field_label("overdue", lang), number(fig.overdue, lang)),
        (field_label("exit", lang), number(fig.exited, lang)),
    ])
    out += ["", ses.t("cli.quota.quarters") + "  " + "   ".join(
        f"Q{i}: {number(n, lang)}" for i, n in enumerate(fig.by_quarter, start=1))]
    out += ["", ses.t("cli.quota.stages", date=fmt_date(cutoff_for(seen.year, svc.today())))]
    out += table([field_label("stage", lang), field_label("count", lang)],
                 [[ses.t(f"stage.{s}"), number(fig.by_stage[s], lang)] for s in STAGES], right=frozenset({1}))
    if kids:
        out += ["", ses.t("cli.quota.children")]
        out += table([field_label(h, lang) for h in ("id", "unit", "members", "target", "admitted", "percent")],
                     [[str(k.unit), shorten_name(safe(state.units[k.unit].name), NAME_CELLS), number(k.members, lang),
                       number(k.target, lang), number(k.admitted, lang), percent(k.percent, lang)] for k in kids],
                     right=frozenset({0, 2, 3, 4, 5}))
        out += [""] + output.pairs([
            (field_label("children_target", lang), number(fig.children_target, lang)
             + (ses.t("cli.quota.without_target", count=fig.children_without_target)
                if fig.children_without_target else "")),
            (field_label("allocation_gap", lang), _gap_text(ses, fig.allocation_gap)),
        ])
        out += _history_notes(ses, state, [lineages[k.unit] for k in kids])
    ses.lines(out)


def _gap_text(ses: Session, gap: int | None) -> str:
    if gap is None:
        return ses.t("value.none")
    if gap == 0:
        return ses.t("cli.quota.gap_none")
    key = "cli.quota.gap_under" if gap > 0 else "cli.quota.gap_over"
    return ses.t(key, gap=number(gap, ses.lang), count=number(abs(gap), ses.lang))


# -- candidates -------------------------------------------------------------------------------
@main.group()
def candidate() -> None:
    """Candidates (quần chúng ưu tú) and their way through the pipeline."""


def _choice(options: tuple[str, ...], key: str) -> LocalizedChoice:
    return LocalizedChoice(options, lambda v, o: PtdvError(key, value=v, options=o))


PERSON_OPTIONS = (
    click.option("--born", metavar="DATE", help="Date of birth, dd/mm/yyyy."),
    click.option("--gender", type=_choice(GENDERS, "candidate.bad_gender")),
    click.option("--ethnicity"),
    click.option("--religion"),
    click.option("--education", type=_choice(EDUCATION, "candidate.bad_education")),
    click.option("--occupation", type=_choice(OCCUPATIONS, "candidate.bad_occupation")),
    click.option("--youth-union/--no-youth-union", "youth_union", default=None, help="Member of the Youth Union."),
    click.option("--tag", "tags", multiple=True, type=_choice(TAGS, "candidate.bad_tag"),
                 help="A category (repeatable); given on edit, replaces the categories."),
    click.option("--residence", help="Where the candidate lives."),
    click.option("--renter/--no-renter", "renter", default=None, help="Lives in rented housing."),
    click.option("--mentor", help="The official member assigned to help."),
    click.option("--introducer", "introducers", multiple=True, metavar="NAME",
                 help="An introducing member (repeatable); given on edit, replaces the introducers."),
    click.option("--notes", help="Family background and verification notes."),
)


def person_options(command: Callable) -> Callable:
    for option in reversed(PERSON_OPTIONS):
        command = option(command)
    return command


def _given(values: dict) -> dict:
    """The options the user gave: unset ones are None, unset repeatable ones empty."""
    return {key: value for key, value in values.items() if key in EDITABLE_FIELDS and value not in (None, ())}


@candidate.command("add")
@click.option("--unit", "unit_ref", required=True, metavar="UNIT", shell_complete=complete_unit,
              help="The branch the candidate belongs to.")
@click.option("--name", required=True)
@person_options
@click.option("--date", "day", metavar="DATE", help="Date identified as a source (default: today).")
@click.option("--readmission", is_flag=True, help="A former party member applying again (kết nạp lại): give --left.")
@click.option("--left", "left", metavar="DATE", help="With --readmission: the day they left the party.")
@click.option("--left-reason", "left_reason", type=_choice(LEFT_REASONS, "readmission.bad_reason"),
              help="With --readmission: why they left (default: other).")
@json_option
@pass_session
def candidate_add(ses: Session, unit_ref: str, name: str, day: str | None, readmission: bool, left: str | None,
                  left_reason: str | None, as_json: bool, **values) -> None:
    """Record a new candidate at a branch (stage: source)."""
    if readmission != (left is not None) or (left_reason is not None and not readmission):
        raise PtdvError("readmission.left_required")
    cand = ses.service.add_candidate(unit_ref, name, date_=day, left=left, left_reason=left_reason,
                                     **_given(values))
    if as_json:
        ses.json({"id": cand.id, **cand.to_doc()})
        return
    ses.echo(ses.t("cli.candidate.added", id=cand.id, name=cand.name, unit=ses.service.state().path(cand.unit),
                   stage=ses.t(f"stage.{cand.stage}"), date=fmt_date(cand.history[-1].date)))


@candidate.command("advance")
@click.argument("cid", metavar="ID", shell_complete=complete_candidate)
@click.argument("stage", required=False, type=STAGE_CHOICE)
@click.option("--date", "day", metavar="DATE", help="Date of the step (default: today).")
@click.option("--exception", "exception", metavar="TEXT",
              help="Who decided an exception a rule allows, document number, date (see `ptdv rules`).")
@click.option("--received", metavar="DATE", help="With 'decided': the day the branch received the decision.")
@click.option("--vote", metavar="DATE", help="With 'official': the day the branch voted for recognition "
              "(--date is the committee's decision; without --date the vote is recorded alone and the "
              "decision is due within 30 working days).")
@json_option
@pass_session
def candidate_advance(ses: Session, cid: str, stage: str | None, day: str | None, exception: str | None,
                      received: str | None, vote: str | None, as_json: bool) -> None:
    """Record the next stage (or STAGE, which must be the next one; 'class' or 'dossier' again before the
    branch vote: a retake).  A rule broken refuses it, or is recorded (docs/RULES.md)."""
    svc = ses.service
    if vote and not day and not exception and not received \
            and (stage or svc.next_stage(svc.candidate(cid))) == "official":  # the branch's vote, alone
        cand = svc.record_vote(cid, vote)
        due = next((f.due for f in svc.findings(cand) if f.code == "recognition_decision"), None)
        if as_json:
            ses.json({"id": cand.id, "name": cand.name, "vote": iso(cand.recognition_vote), "due": iso(due)})
            return
        ses.echo(ses.t("cli.candidate.voted", id=cand.id, name=cand.name, vote=fmt_date(cand.recognition_vote),
                       due=fmt_date(due)))
        return
    cand = svc.advance(cid, stage, day, exception=exception or "", received=received, vote=vote)
    entry = cand.history[-1]
    if as_json:
        ses.json({"id": cand.id, "name": cand.name, "entry": entry.to_doc(),
                  "outside_rules": [_breach_json(ses, entry, b) for b in entry.breaches or ()]})
        return
    ses.echo(ses.t("cli.candidate.advanced", id=cand.id, name=cand.name, stage=ses.t(f"stage.{entry.stage}"),
                   date=fmt_date(entry.date)))
    ses.lines(["  " + _breach_text(ses, entry, b) for b in entry.breaches or ()])


@candidate.command("exit")
@click.argument("cid", metavar="ID", shell_complete=complete_candidate)
@click.option("--reason", required=True)
@click.option("--kind", default="withdrawn", show_default=True,
              type=LocalizedChoice(EXIT_KINDS, lambda v, o: PtdvError("exit.unknown_kind", kind=v, kinds=o)))
@click.option("--date", "day", metavar="DATE", help="Date of leaving (default: today).")
@json_option
@pass_session
def candidate_exit(ses: Session, cid: str, reason: str, kind: str, day: str | None, as_json: bool) -> None:
    """Take a candidate out of the pipeline, with a reason."""
    cand = ses.service.exit(cid, reason, kind=kind, day=day)
    if as_json:
        ses.json({"id": cand.id, "name": cand.name, "exit": cand.exit.to_doc()})
        return
    ses.echo(ses.t("cli.candidate.exited", id=cand.id, name=cand.name, kind=ses.t(f"exit.{cand.exit.kind}"),
                   date=fmt_date(cand.exit.date), reason=cand.exit.reason))


@candidate.command("edit")
@click.argument("cid", metavar="ID", shell_complete=complete_candidate)
@click.option("--name")
@person_options
@json_option
@pass_session
def candidate_edit(ses: Session, cid: str, as_json: bool, **values) -> None:
    """Change a candidate's details; only the options given change."""
    changes = _given(values)
    if not changes:
        raise PtdvError("cli.candidate.nothing_to_change")
    cand = ses.service.edit(cid, changes)
    if as_json:
        record = cand.to_doc()
        ses.json({"id": cand.id, "name": cand.name, "changed": {k: record.get(k) for k in changes}})
        return
    ses.echo(ses.t("cli.candidate.edited", id=cand.id, name=cand.name,
                   fields=", ".join(field_label(k, ses.lang) for k in changes)))


@candidate.command("move")
@click.argument("cid", metavar="ID", shell_complete=complete_candidate)
@click.option("--to", "unit_ref", required=True, metavar="BRANCH", shell_complete=complete_unit,
              help="The branch the candidate goes to.")
@click.option("--on", "day", metavar="DATE", help="The day of the transfer (default: today).")
@click.option("--reason", required=True, help="Why, e.g. \"chuyển nơi cư trú\".")
@json_option
@pass_session
def candidate_move(ses: Session, cid: str, unit_ref: str, day: str | None, reason: str, as_json: bool) -> None:
    """Transfer a candidate to another branch; the stages so far stay where they happened."""
    on = parse_date(day, field="date") if day else ses.service.today()
    cand = ses.service.move_candidate(cid, unit_ref, on=on, reason=reason)
    if as_json:
        ses.json({"id": cand.id, "from": cand.moves[-1].source, "to": cand.unit, "on": iso(on)})
        return
    ses.echo(ses.t("cli.candidate.moved", id=cand.id, name=safe(cand.name),
                   unit=ses.service.state().path(cand.unit), date=fmt_date(on)))


# -- the dossier's papers (db.papers) ----------------------------------------------------------
@candidate.command("paper")
@click.argument("cid", metavar="ID", shell_complete=complete_candidate)
@click.argument("kind", metavar="KIND")
@click.option("--date", "day", metavar="DATE", help="The day it was received (default: today).")
@click.option("--note", help="A note, e.g. the introducer who wrote the letter.")
@click.option("--remove", metavar="N", help="Take back the N-th paper of KIND as `candidate papers` numbers it "
              "(a correction) instead of recording one.")
@json_option
@pass_session
def candidate_paper(ses: Session, cid: str, kind: str, day: str | None, note: str | None, remove: str | None,
                    as_json: bool) -> None:
    """Record a paper of the dossier as received: KIND is its id (application, biography, certificate, letter,
    youth_resolution, comments, residence, verification), its form (1-KNĐ) or its name, diacritics ignored."""
    svc = ses.service
    if remove is not None:
        kind_id = svc.paper_kind(kind)
        left = list(svc.candidate(cid).papers)
        cand = svc.remove_paper(cid, kind_id, remove)
        for paper in cand.papers:
            left.remove(paper)
        written = {"removed": left[0].to_doc()}  # what is left over: the paper taken back
        text = ses.t("cli.paper.removed", id=cand.id, name=cand.name, kind=ses.t(f"paper.{kind_id}"), index=remove)
    else:
        cand = svc.receive_paper(cid, kind, day, note or "")
        paper = cand.papers[-1]
        written = {"received": paper.to_doc()}
        text = ses.t("cli.paper.received", id=cand.id, name=cand.name, kind=ses.t(f"paper.{paper.kind}"),
                     date=fmt_date(paper.received))
    found = svc.papers(cand)
    if as_json:
        ses.json({"id": cand.id, "name": cand.name, **written, "dossier": _papers_json(ses, found)})
        return
    ses.echo(text)
    ses.lines(_papers_summary(ses, found))


def _papers_summary(ses: Session, found) -> list[str]:
    if found.complete:
        return [ses.t("cli.papers.complete")]
    return [ses.t("cli.papers.some_missing", missing=found.phrases())]


def _paper_label(ses: Session, kind: str) -> str:
    form = papers_mod.KINDS_BY_ID[kind].form
    return ses.t(f"paper.{kind}") + (f" ({form})" if form else "")


def _papers_lines(ses: Session, found) -> list[str]:
    """The checklist, a paper a line: ✓ or ✗, its name and form, the papers received (numbered, the day, by
    whom), what is missing."""
    out = []
    for item in found.items:
        mark = "✓" if not item.missing else "✗"
        count = f" {len(item.counted)}/{item.needed}" if item.needed > 1 else ""
        got = [f"{n}. {fmt_date(p.received)} ({safe(p.by)})" + (f" {safe(p.note)}" if p.note else "")
               + ("" if p in item.counted else " — " + ses.t("cli.papers.stale", date=fmt_date(p.received)))
               for n, p in enumerate(item.received, start=1)]
        state = ses.t("cli.papers.extra") if not item.needed else ses.t("cli.papers.missing") if item.missing else ""
        if item.missing > 1 or (item.missing and item.received):
            state += f" {item.missing}"
        out.append(f"  {mark} {_paper_label(ses, item.kind)}{count}: " + "; ".join(got + ([state] if state else [])))
    if found.youth_route:
        out.append("  " + ses.t("cli.papers.youth_route"))
    if found.redone is not None:
        out.append("  " + ses.t("cli.papers.redone", date=fmt_date(found.redone)))
    return out


def _papers_json(ses: Session, found) -> dict:
    return {"day": iso(found.day), "youth_route": found.youth_route, "redone": iso(found.redone),
            "complete": found.complete, "missing": [{"kind": k, "count": n} for k, n in found.missing],
            "items": [{"kind": i.kind, "form": papers_mod.KINDS_BY_ID[i.kind].form or None,
                       "label": ses.t(f"paper.{i.kind}"), "needed": i.needed, "missing": i.missing,
                       "received": [{"number": n, "received": iso(p.received), "by": p.by, "at": p.at,
                                     "note": p.note, "counted": p in i.counted}
                                    for n, p in enumerate(i.received, start=1)]} for i in found.items]}


@candidate.command("papers")
@click.argument("cid", metavar="ID", shell_complete=complete_candidate)
@json_option
@pass_session
def candidate_papers(ses: Session, cid: str, as_json: bool) -> None:
    """The dossier's checklist: the papers the branch vote needs (by the candidate's route), received or
    missing (docs/RULES.md, rule papers)."""
    svc = ses.service
    cand = svc.candidate(cid)
    found = svc.papers(cand)
    if as_json:
        ses.json({"id": cand.id, **_papers_json(ses, found)})
        return
    ses.lines([ses.t("cli.papers.title", id=cand.id, name=cand.name, date=fmt_date(found.day))]
              + _papers_lines(ses, found) + _papers_summary(ses, found))


def _finding_json(ses: Session, finding: Finding) -> dict:
    return {"code": finding.code, "severity": finding.severity, "due": iso(finding.due),
            "text": ses.t(finding.rule, **finding.params), "rule": finding.source_rule,
            "source": rules_mod.source_text(finding.source_rule, ses.lang)}


def _breach_text(ses: Session, entry, breach) -> str:
    """One rule a recorded step did not keep: when, the step, what, the rule and its source, the exception."""
    text = ses.t(f"breach.{breach.rule}", **breach.params)
    if entry.exception and rules_mod.rule(breach.rule).kind == "hard":  # the exception allowed the hard rule
        text += "; " + ses.t("breach.exception", text=entry.exception)
    elif entry.breaches is None:
        text += " (" + ses.t("breach.unchecked") + ")"
    return ses.t("cli.breach_line", date=fmt_date(entry.date), stage=ses.t(f"stage_short.{entry.stage}"), text=text,
                 rule=breach.rule, source=rules_mod.source_text(breach.rule, ses.lang))


def _breach_json(ses: Session, entry, breach) -> dict:
    return {"stage": entry.stage, "date": iso(entry.date), "rule": breach.rule,
            "kind": rules_mod.rule(breach.rule).kind, "source": rules_mod.source_text(breach.rule, ses.lang),
            "text": ses.t(f"breach.{breach.rule}", **breach.params),
            "exception": (entry.exception or None) if rules_mod.rule(breach.rule).kind == "hard" else None,
            "checked": entry.breaches is not None}


def _candidate_json(ses: Session, state: State, cand: Candidate) -> dict:
    return {"id": cand.id, **cand.to_doc(), "stage": cand.stage, "live": cand.live,
            "branch": state.path(cand.unit), "since": iso(_since(cand)),
            "days_in_stage": ses.service.days_in_stage(cand) if cand.live else None,
            "findings": [_finding_json(ses, f) for f in ses.service.findings(cand)],
            "dossier": _papers_json(ses, ses.service.papers(cand)),
            "outside_rules": [_breach_json(ses, e, b) for e, b in ses.service.breaches(cand)]}


def _since(cand: Candidate) -> date | None:
    if cand.exit is not None:
        return cand.exit.date
    return cand.history[-1].date if cand.history else None


def _stage_text(ses: Session, cand: Candidate, prefix: str = "stage_short") -> str:
    return ses.t(f"exit.{cand.exit.kind}") if cand.exit else ses.t(f"{prefix}.{cand.stage}")


def _marks(findings: list[Finding]) -> str:
    return " ".join(MARKS[s] for s in SEVERITIES if s in MARKS and any(f.severity == s for f in findings))


@candidate.command("list")
@click.argument("unit_ref", metavar="[UNIT]", shell_complete=complete_unit, required=False)
@click.option("--stage", type=STAGE_CHOICE, help="Only candidates at this stage.")
@click.option("--overdue", is_flag=True, help="Only candidates with an overdue step.")
@click.option("--all", "include_exited", is_flag=True, help="Include candidates who left the pipeline.")
@json_option
@pass_session
def candidate_list(ses: Session, unit_ref: str | None, stage: str | None, overdue: bool, include_exited: bool,
                   as_json: bool) -> None:
    """Candidates under UNIT (default: everywhere), by stage."""
    svc = ses.service
    found = svc.candidates(unit_ref, stage=stage, overdue=overdue, include_exited=include_exited)
    state = svc.state()
    if as_json:
        ses.json([_candidate_json(ses, state, c) for c in found])
        return
    if not found:
        ses.echo(ses.t("cli.candidate.none"))
        return
    rows, marked = [], False
    for cand in found:
        marks = _marks(svc.findings(cand))
        marked = marked or bool(marks)
        rows.append([str(cand.id), shorten(safe(cand.name), 30), shorten_name(safe(state.units[cand.unit].name), 32),
                     _stage_text(ses, cand), fmt_date(_since(cand)),
                     number(svc.days_in_stage(cand) if cand.live else None, ses.lang), marks])
    headers = [field_label(h, ses.lang) for h in ("id", "name", "unit", "stage", "since", "days", "warnings")]
    ses.lines(table(headers, rows, right=frozenset({0, 5})))
    footer = [ses.t("cli.candidate.count", count=len(found))]
    if marked:
        footer.append("   ".join(f"{mark} {ses.t(f'severity.{s}')}" for s, mark in MARKS.items()))
    ses.lines(footer)


@candidate.command("show")
@click.argument("cid", metavar="ID", shell_complete=complete_candidate)
@json_option
@pass_session
def candidate_show(ses: Session, cid: str, as_json: bool) -> None:
    """Everything about one candidate: details, history, warnings and due dates."""
    svc = ses.service
    cand = svc.candidate(cid)
    state = svc.state()
    if as_json:
        ses.json(_candidate_json(ses, state, cand))
        return
    lang = ses.lang
    stage = ses.t("cli.candidate.stage_since", stage=_stage_text(ses, cand, "stage"), date=fmt_date(_since(cand)),
                  days=number(svc.days_in_stage(cand), lang)) if cand.live else _stage_text(ses, cand, "stage")
    out = [f"#{cand.id} {cand.name}", ""]
    out += output.pairs([(field_label("unit", lang), state.path(cand.unit)), (field_label("stage", lang), stage)]
                        + [(field_label(f, lang), value_text(f, getattr(cand, f), lang, lines=True))
                           for f in EDITABLE_FIELDS if f != "name"])
    out += ["", field_label("history", lang)]
    out += table([field_label(h, lang) for h in ("date", "stage", "by", "at")],
                 [[fmt_date(e.date), ses.t(f"stage.{e.stage}"), e.by, output.timestamp(e.at)] for e in cand.history])
    if cand.readmission is not None:
        out += ["", ses.t("cli.readmission", left=fmt_date(cand.readmission.left),
                          reason=ses.t(f"left_reason.{cand.readmission.reason}"))]
    official_from = rules_mod.probation_end(cand, state.settings) if cand.stage == "official" else None
    if official_from is not None:
        out += ["", field_label("official_from", lang) + ": " + fmt_date(official_from)]
    if cand.exit:
        out += ["", field_label("exit", lang) + ": " + ses.t(
            "cli.candidate.exit_line", kind=ses.t(f"exit.{cand.exit.kind}"), date=fmt_date(cand.exit.date),
            reason=cand.exit.reason, by=cand.exit.by)]
    if cand.papers or stage_index(cand.stage) >= stage_index("dossier"):
        found = svc.papers(cand)
        out += ["", field_label("papers", lang)] + _papers_lines(ses, found) + ["  " + _papers_summary(ses, found)[0]]
    broken = svc.breaches(cand)
    if broken:
        out += ["", field_label("outside_rules", lang)] + ["  " + _breach_text(ses, e, b) for e, b in broken]
    findings = svc.findings(cand)
    out += ["", field_label("warnings", lang)]
    out += _findings_table(ses, [(cand, f) for f in findings], with_candidate=False) if findings else [
        "  " + ses.t("cli.candidate.no_findings")]
    ses.lines(out)


def _findings_table(ses: Session, items: list[tuple[Candidate, Finding]], *, with_candidate: bool,
                    notes: list[str] | None = None) -> list[str]:
    """``notes``: a text to add to each item's rule (a due date the calendar moved), in the order of ``items``."""
    state = ses.service.state()
    headers = ["severity", "due"] + (["id", "name", "unit"] if with_candidate else []) + ["rule"]
    rows = []
    for n, (cand, finding) in enumerate(items):
        who = [str(cand.id), shorten(safe(cand.name), 30), shorten_name(safe(state.name_of(cand.unit)), 32)] \
            if with_candidate else []
        note = notes[n] if notes else ""
        named = ses.t("cli.finding_rule", rule=finding.source_rule,
                      source=rules_mod.source_text(finding.source_rule, ses.lang))
        rows.append([ses.t(f"severity.{finding.severity}"), fmt_date(finding.due) or ses.t("value.none"), *who,
                     ses.t(finding.rule, **finding.params) + (f" — {note}" if note else "") + " " + named])
    return table([field_label(h, ses.lang) for h in headers], rows, right=frozenset({2} if with_candidate else ()))


# -- the rules (db.rules.RULES) -----------------------------------------------------------------
@main.command("rules")
@json_option
@pass_session
def rules_command(ses: Session, as_json: bool) -> None:
    """Every rule of the pipeline: hard (refuses) or soft (warns), the exception a decision may allow, and
    the regulation it comes from."""
    rows = rules_mod.rules_table(ses.service.state().settings, ses.lang)
    if as_json:
        ses.json(rows)
        return
    none = ses.t("cli.rules.none")
    out = []
    for row in rows:
        out += [f"{row['id']}  ({ses.t('cli.rules.' + row['kind'])}"
                + (f", {ses.t('stage_short.' + row['stage'])}" if row["stage"] else "") + ")",
                f"  {ses.t('cli.rules.what')}: {row['what']}",
                f"  {ses.t('cli.rules.exception')}: {row['who'] or none}",
                f"  {ses.t('cli.rules.source')}: {row['source']}"]
        if row["why_soft"]:
            out.append(f"  {ses.t('cli.rules.why_soft')}: {row['why_soft']}")
    ses.lines(out)


# -- due list, check, log ---------------------------------------------------------------------
DUE_SHOWN = 300  # as the app's due list: the most urgent items; more with --limit
@main.command()
@click.argument("unit_ref", metavar="[UNIT]", shell_complete=complete_unit, required=False)
@click.option("--limit", type=click.IntRange(min=0), default=DUE_SHOWN, show_default=True,
              help="Show the most urgent LIMIT items only (0: all; under a city, all takes a while).")
@json_option
@pass_session
def due(ses: Session, unit_ref: str | None, limit: int, as_json: bool) -> None:
    """Overdue and soon-due steps and standing warnings under UNIT, most urgent first."""
    items = ses.service.due(unit_ref, limit=limit or None)
    if as_json:
        ses.json([{"candidate": i.candidate.id, "name": i.candidate.name, "unit": i.candidate.unit,
                   "stage": i.candidate.stage, **_finding_json(ses, i.finding),
                   "moved": calendar_text.moved_json(i.moved)} for i in items])
        return
    if not items:
        ses.echo(ses.t("cli.due.none"))
        return
    notes = [calendar_text.moved_text(i.moved, ses.lang) if i.moved else "" for i in items]
    more = [ses.t("cli.due.limited", limit=limit)] if limit and len(items) >= limit else []
    ses.lines(_findings_table(ses, [(i.candidate, i.finding) for i in items], with_candidate=True, notes=notes) + more)


@main.command()
@json_option
@click.option("--repair", is_flag=True, help="First find damaged files and offer to put back their newest backup.")
@click.option("--yes", is_flag=True, help="With --repair: do not ask for confirmation (scripts).")
@pass_session
def check(ses: Session, as_json: bool, repair: bool, yes: bool) -> None:
    """Check the store's integrity (exit 1 on problems) and list what to look at."""
    if repair:
        _repair(ses, yes)
    problems, warnings = ses.service.check_all(ses.year)
    if as_json:
        ses.json({kind: [{"key": key, "params": params, "text": _check_text(ses, key, params)}
                         for key, params in found]
                  for kind, found in (("problems", problems), ("warnings", warnings))})
    else:
        out = [ses.t("check.problems", count=len(problems)), *(f"  - {ses.t(k, **p)}" for k, p in problems)] \
            if problems else [ses.t("check.ok")]
        if warnings:
            out += [ses.t("check.warnings", count=len(warnings)),
                    *(f"  - {_check_text(ses, k, p)}" for k, p in warnings)]
        ses.lines(out)
    if problems:
        click.get_current_context().exit(EXIT_REFUSED)


def _check_text(ses: Session, key: str, params: dict) -> str:
    """A line of ``ptdv check``; a rule a candidate's step did not keep names the step, the rule and its source."""
    if key in ("check.breach", "check.exception"):
        rule = params["rule"]
        params = {**params, "stage": ses.t(f"stage_short.{params['stage']}"),
                  "text": ses.t(f"breach.{rule}", **params["params"]),
                  "source": rules_mod.source_text(rule, ses.lang)}
    return ses.t(key, **params)


@main.command()
@click.argument("unit_ref", metavar="[UNIT]", shell_complete=complete_unit, required=False)
@click.option("--since", metavar="DATE", help="Only changes on or after this date.")
@click.option("--until", metavar="DATE", help="Only changes on or before this date.")
@click.option("--by", "account", metavar="ACCOUNT", help="Only changes made by this account.")
@json_option
@pass_session
def log(ses: Session, unit_ref: str | None, since: str | None, until: str | None, account: str | None,
        as_json: bool) -> None:
    """The audit trail under UNIT: who changed what and when, oldest first."""
    entries = ses.service.log(unit_ref, since, until, account)
    if as_json:
        ses.json(entries)
        return
    if not entries:
        ses.echo(ses.t("cli.log.none"))
        return
    state, lang = ses.service.state(), ses.lang
    rows = [[audit_text.when_text(e), safe(str(e.get("by", ""))), audit_text.action_text(e.get("action"), lang),
             audit_text.record_text(e, state, lang), shorten(audit_text.changes_text(e, state, lang), 70)]
            for e in entries]
    ses.lines(table([field_label(h, lang) for h in ("at", "by", "action", "target_ref", "changes")], rows))


# -- users and scope ----------------------------------------------------------------------------
ROLE_CHOICE = LocalizedChoice(ROLES, lambda v, o: PtdvError("access.bad_role", role=v, roles=o))


def _user_text(ses: Session, key: str, user: User) -> str:
    state = ses.service.state()
    return ses.t(key, account=user.account, role=ses.t(f"access.role.{user.role}"),
                 units=", ".join(state.path(u) for u in user.units if u in state.units))


@main.group()
def user() -> None:
    """Users of the store: the accounts, their role and the units they cover (a unit covers its subtree)."""


@user.command("add")
@click.argument("account")
@click.option("--unit", "unit_ref", required=True, metavar="UNIT", shell_complete=complete_unit,
              help="A unit the account covers (with its subtree).")
@click.option("--role", required=True, type=ROLE_CHOICE,
              help="viewer (reads candidates), editor (also changes candidates, quotas, members), admin (also "
                   "units and users). One role per account: it replaces the account's role at its other units.")
@json_option
@pass_session
def user_add(ses: Session, account: str, unit_ref: str, role: str, as_json: bool) -> None:
    """Give ACCOUNT a role at UNIT (admin only); an existing user also keeps its other units."""
    added = ses.service.add_user(account, unit_ref, role)
    if as_json:
        ses.json(added.to_doc())
        return
    ses.echo(_user_text(ses, "cli.user.added", added))


@user.command("list")
@json_option
@pass_session
def user_list(ses: Session, as_json: bool) -> None:
    """Every user: account, role and the units covered."""
    svc = ses.service
    state, users = svc.state(), svc.users()
    if as_json:
        ses.json([{"account": u.account, "role": u.role,
                   "units": [{"id": uid, "path": state.path(uid)} for uid in u.units]} for u in users])
        return
    rows = [[u.account, ses.t(f"access.role.{u.role}"), ", ".join(state.path(uid) for uid in u.units)] for u in users]
    ses.lines(table([ses.t(f"cli.user.col.{h}") for h in ("account", "role", "units")], rows))


@user.command("remove")
@click.argument("account")
@click.option("--unit", "unit_ref", metavar="UNIT", shell_complete=complete_unit,
              help="Only this unit (default: every unit, the account is no longer a user).")
@json_option
@pass_session
def user_remove(ses: Session, account: str, unit_ref: str | None, as_json: bool) -> None:
    """Take ACCOUNT's role at UNIT, or everywhere (admin only; the last admin of the top unit stays)."""
    kept = ses.service.remove_user(account, unit_ref)
    if as_json:  # what the account keeps: nothing when it is no longer a user
        ses.json({"account": account, "removed": kept is None, "kept": kept.to_doc() if kept else None})
        return
    ses.echo(_user_text(ses, "cli.user.kept", kept) if kept else ses.t("cli.user.removed", account=account))


@main.command()
@pass_session
def whoami(ses: Session) -> None:
    """The account running ptdv (the OS login), its role and the units it covers."""
    ses.echo(_user_text(ses, "cli.user.whoami", ses.service.whoami()))


@main.command()
@click.argument("query")
@json_option
@pass_session
def search(ses: Session, query: str, as_json: bool) -> None:
    """Candidates by name, diacritics ignored; only those you may read."""
    svc = ses.service
    hits, state = svc.search_candidates(query), svc.state()
    if as_json:
        ses.json([{"id": h.id, "name": h.name, "unit": h.unit, "branch": state.path(h.unit), "stage": h.stage,
                   "exit": h.exit} for h in hits])
        return
    if not hits:
        ses.echo(ses.t("cli.user.search_none", query=query))
        return
    ses.lines(table([field_label(h, ses.lang) for h in ("id", "name", "unit", "stage")],
                    [[str(h.id), shorten(safe(h.name), 30), shorten(safe(state.path(h.unit)), 50), ses.t(h.status_key)]
                     for h in hits], right=frozenset({0})))


# -- the official calendar ----------------------------------------------------------------------
@main.group("calendar")
def calendar_group() -> None:
    """The working days due dates count: the official calendar shipped with ptdv (2020–2027, each day with its
    source) and the days an admin added since (docs/CALENDAR.md)."""


@calendar_group.command("add")
@click.argument("day", metavar="DATE")
@click.option("--day-off", "day_off", is_flag=True, help="A day off (a holiday, a substitute day off).")
@click.option("--workday", "workday", is_flag=True,
              help="A working day: a weekend day worked in exchange, or a day off called off.")
@click.option("--source", required=True, metavar="TEXT",
              help="The decision or announcement that fixed the day, e.g. \"Thông báo 1234/TB-BNV ngày 01/10/2026\".")
@click.option("--label", default="", metavar="TEXT", help="What the day is, e.g. \"Nghỉ bù Quốc khánh\".")
@json_option
@pass_session
def calendar_add(ses: Session, day: str, day_off: bool, workday: bool, source: str, label: str,
                 as_json: bool) -> None:
    """Add a day announced after the shipped data (admin of the top unit; logged, undone by restore)."""
    if day_off == workday:  # neither, or both
        raise PtdvError("calendar.kind_required")
    entry = ses.service.add_calendar_day(day, "day_off" if day_off else "workday", source, label)
    if as_json:
        ses.json({"added": calendar_text.entry_json(entry, ses.lang)})
        return
    ses.echo(ses.t("cli.calendar.added", entry=calendar_text.entry_text(entry, ses.lang)))


@calendar_group.command("remove")
@click.argument("day", metavar="DATE")
@json_option
@pass_session
def calendar_remove(ses: Session, day: str, as_json: bool) -> None:
    """Remove a day an admin added (the shipped days stay; admin of the top unit; logged)."""
    entry = ses.service.remove_calendar_day(day)
    if as_json:
        ses.json({"removed": calendar_text.entry_json(entry, ses.lang)})
        return
    ses.echo(ses.t("cli.calendar.removed", entry=calendar_text.entry_text(entry, ses.lang)))


@calendar_group.command("list")
@click.argument("list_year", type=YEAR_TYPE, metavar="[YEAR]", required=False)
@json_option
@pass_session
def calendar_list(ses: Session, list_year: int | None, as_json: bool) -> None:
    """The days off and make-up working days of YEAR (default: --year, else this year): kind, label, source,
    and whether ptdv shipped the day or who added it and when."""
    year = list_year or ses.year
    rows, lang = ses.service.calendar(year), ses.lang
    if as_json:
        ses.json([calendar_text.row_json(r, lang) for r in rows])
        return
    if not rows:
        ses.echo(ses.t("cli.calendar.none", year=year))
        return
    ses.lines(table([ses.t(f"cli.calendar.col.{h}") for h in ("date", "weekday", "kind", "label", "source", "origin")],
                    [[fmt_date(r.entry.day), calendar_text.weekday_text(r.entry, lang),
                      calendar_text.kind_text(r.entry.kind, lang), shorten(calendar_text.label_text(r, lang), 48),
                      shorten(safe(r.entry.source), 60), calendar_text.origin_text(r, lang)] for r in rows]))


# -- backups and repair -------------------------------------------------------------------------
@main.group()
def backup() -> None:
    """Versions of the store kept as backups (see also `ptdv restore`)."""


@backup.command("list")
@json_option
@pass_session
def backup_list(ses: Session, as_json: bool) -> None:
    """The versions a restore can go back to, newest first."""
    versions = ses.service.backups()
    if as_json:
        ses.json(versions)
        return
    if not versions:
        ses.echo(ses.t("cli.backup.none"))
        return
    rows = [[str(v["version"]), output.timestamp(v["at"]), str(v["by"]),
             audit_text.action_text(v["action"], ses.lang), ", ".join(ses.t(f"cli.backup.{k}") for k in ("current", "daily") if v[k])] for v in versions]
    ses.lines(table([ses.t(f"cli.backup.head.{h}") for h in ("version", "at", "by", "action", "kept")], rows,
                    right=frozenset({0})))


@main.command()
@click.argument("version", metavar="VERSION")
@json_option
@pass_session
def restore(ses: Session, version: str, as_json: bool) -> None:
    """Put the whole store back as it was at VERSION (admins; logged, and undone by restoring the version before)."""
    before, after = ses.service.restore(version)
    if as_json:
        ses.json({"from": before, "to": after})
        return
    ses.echo(ses.t("cli.restore.done", to=after, from_=before))


def _repair(ses: Session, yes: bool) -> None:
    """List the damaged files and what would replace each; on confirmation, repair them."""
    found = ses.service.damage()
    if not found:
        ses.echo(ses.t("cli.repair.none"))
        return
    out = [ses.t("cli.repair.found", count=len(found))]
    for damage in found:
        out.append("  - " + ses.t("cli.repair.file", path=damage.path, problem=damage.error.message(ses.lang)))
        if damage.backup is not None:
            plan = ses.t("cli.repair.by_backup", version=damage.backup.seq, path=damage.path,
                         date=fmt_date(date.fromisoformat(damage.backup.day)))
        else:
            plan = ses.t("cli.repair.cut" if damage.cut else "cli.repair.no_backup", path=damage.path)
        out.append("    " + plan)
    ses.lines(out)
    if not any(d.fixable for d in found):
        return
    if not yes and not click.confirm(ses.t("cli.repair.confirm"), default=False):
        ses.echo(ses.t("cli.repair.cancelled"))
        return
    done = ses.service.repair()
    ses.echo(ses.t("cli.repair.done", count=sum(d.fixable for d in done)))


# -- reports --------------------------------------------------------------------------------
@main.command("report")
@click.argument("unit_ref", metavar="UNIT", shell_complete=complete_unit)
@click.option("--quarter", type=int, metavar="Q", help="Report quarter Q (1-4) of --year.")
@click.option("--half", type=int, metavar="H", help="Report half H (1 or 2) of --year.")
@click.option("--format", "fmt", type=click.Choice(report_output.FORMATS), default="table", show_default=True)
@click.option("-o", "--output", "out_path", type=click.Path(path_type=Path),
              help="Write to FILE instead of the screen (required for xlsx); a new file, readable by you only.")
@pass_session
def report_command(ses: Session, unit_ref: str, quarter: int | None, half: int | None, fmt: str,
                   out_path: Path | None) -> None:
    """Admissions of UNIT's units in --year, a quarter or a half, with totals, as the level above asks."""
    if fmt == "xlsx" and out_path is None:
        raise PtdvError("cli.report.xlsx_needs_file")
    report = ses.service.report(unit_ref, ses.year, quarter, half)
    if out_path is None:
        ses.echo(report_output.render(report, fmt, ses.lang))
        return
    if fmt == "xlsx":
        data = report_output.xlsx_bytes(report, ses.lang, ses.service.today())
    else:
        data = (report_output.render(report, fmt, ses.lang) + "\n").encode("utf-8")
    write_file(out_path, data, ses.service.store.path.parent)
    ses.echo(ses.t("cli.report.written", path=out_path))


# -- documents and their templates -------------------------------------------------------------
@main.command("document")
@click.argument("form", metavar="FORM")
@click.argument("ref", metavar="CANDIDATE|UNIT", shell_complete=complete_candidate_or_unit)
@click.option("-o", "--output", "out_path", required=True, type=click.Path(path_type=Path),
              help="The .docx file to write; a new file, readable by you only.")
@click.option("--quarter", type=int, metavar="Q", help="report: quarter Q (1-4) of --year.")
@click.option("--half", type=int, metavar="H", help="report: half H (1 or 2) of --year.")
@click.option("--number", default="", metavar="N", help="The document's number (Số N-QĐ/…); default: dots to fill in.")
@click.option("--place", "where", metavar="TOWN", help="The town of the place and date line (default: PTDV_PLACE or Đà Nẵng).")
@click.option("--issuer", "issuer_ref", metavar="UNIT", shell_complete=complete_unit,
              help="9-KNĐ: the committee that decides (default: the one above the candidate's grassroots "
                   "organisation).")
@click.option("--include-sensitive", is_flag=True, help="Also fill in ethnicity and religion.")
@pass_session
def document_command(ses: Session, form: str, ref: str, out_path: Path, quarter: int | None, half: int | None,
                     number: str, where: str | None, issuer_ref: str | None, include_sensitive: bool) -> None:
    """Write a document as .docx, filled from the record from its template (see `ptdv template`).

    \b
    FORM is 9-KNĐ (the admission decision of CANDIDATE), 6-KNĐ (the branch resolution
    on CANDIDATE), with or without diacritics (9-KND), or report (the report of UNIT for
    --year, a quarter or a half).
    """
    from db import documents

    form = documents.form_id(form)
    if form == documents.REPORT:
        report = ses.service.report(ref, ses.year, quarter, half)
        data = ses.service.report_document(report, number=number, where=where)
    else:
        data = ses.service.candidate_document(form, ref, include_sensitive=include_sensitive,
                                            number=number, where=where, issuer_ref=issuer_ref)
    write_file(out_path, data, ses.service.store.path.parent)
    ses.echo(ses.t("cli.document.written", form=form, path=out_path))


@main.group()
def template() -> None:
    """The templates of the documents (9-KNĐ, 6-KNĐ, report): .docx files with {{ fields }} ptdv fills."""


@template.command("list")
@json_option
@pass_session
def template_list(ses: Session, as_json: bool) -> None:
    """Each form's template in use (ptdv's default or the committee's), its sha256 and the fields it may use."""
    found = ses.service.templates()
    if as_json:
        ses.json([{"form": i.form, "source": i.source, "sha256": i.sha256, "size": i.size, "fields": list(i.fields)}
                  for i in found])
        return
    lines = table([ses.t(f"cli.template.col.{h}") for h in ("form", "source", "sha256")],
                  [[i.form, ses.t(f"cli.template.source.{i.source}"), i.sha256[:16]] for i in found])
    lines += [""] + [ses.t("cli.template.fields", form=i.form, fields=", ".join(i.fields)) for i in found]
    ses.lines(lines)


@template.command("get")
@click.argument("form", metavar="FORM")
@click.option("-o", "--output", "out_path", required=True, type=click.Path(path_type=Path),
              help="The .docx file to write, to edit and give back with `template set`.")
@pass_session
def template_get(ses: Session, form: str, out_path: Path) -> None:
    """Write FORM's template in use to a file."""
    from db import documents

    form = documents.form_id(form)
    data, source = ses.service.template(form)
    write_file(out_path, data, ses.service.store.path.parent)
    ses.echo(ses.t("cli.template.written", form=form, source=ses.t(f"cli.template.source.{source}"), path=out_path))


@template.command("set")
@click.argument("form", metavar="FORM")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option
@pass_session
def template_set(ses: Session, form: str, file: Path, as_json: bool) -> None:
    """Make FILE (a .docx) FORM's template (admins of the top unit; logged). A file that is not a .docx, or
    that uses a field ptdv does not fill, is refused."""
    from db import documents

    form = documents.form_id(form)
    if file.suffix.lower() != ".docx":
        raise PtdvError("cli.template.not_docx_name", path=safe(str(file)))
    try:
        with open(file, "rb") as handle:
            data = handle.read(documents.MAX_BYTES + 1)
    except OSError as exc:
        raise PtdvError("template.unreadable", path=safe(str(file)), detail=exc.strerror or str(exc)) from exc
    info = ses.service.set_template(form, data)
    if as_json:
        ses.json({"form": form, "sha256": info.sha256, "size": info.size})
        return
    ses.echo(ses.t("cli.template.set", form=form, sha256=info.sha256))


@template.command("reset")
@click.argument("form", metavar="FORM")
@json_option
@pass_session
def template_reset(ses: Session, form: str, as_json: bool) -> None:
    """Go back to ptdv's default template of FORM (admins of the top unit; logged)."""
    from db import documents

    form = documents.form_id(form)
    done = ses.service.reset_template(form)
    if as_json:
        ses.json({"form": form, "reset": done})
        return
    ses.echo(ses.t("cli.template.reset" if done else "cli.template.reset_none", form=form))


# -- configuration ----------------------------------------------------------------------------
@main.command("config")
@json_option
@pass_session
def config_command(ses: Session, as_json: bool) -> None:
    """What is in force (db: the store, lang: the language, theme: the app's colours) and where each comes
    from: an option, the environment, your config file, the server's, or ptdv's default."""
    cfg = ses.config
    error = theme_error(cfg.settings["theme"], known_themes())
    if error is not None:
        raise error
    files = (("user", cfg.user), ("server", cfg.server))
    if as_json:
        ses.json({**{key: {"value": str(s.value), "source": s.source, "from": s.origin or None}
                     for key, s in cfg.settings.items()},
                  "files": {name: {"path": str(path), "exists": path.is_file()} for name, path in files}})
        return
    ses.lines(table([ses.t(f"cli.config.col.{h}") for h in ("key", "value", "source")],
                    [[key, safe(str(s.value)), ses.t(f"cli.config.source.{s.source}", origin=safe(s.origin))]
                     for key, s in cfg.settings.items()]))
    ses.lines([""] + [ses.t(f"cli.config.file.{name}", path=safe(str(path)))
                      + ("" if path.is_file() else " " + ses.t("cli.config.absent")) for name, path in files])


# -- the app ----------------------------------------------------------------------------------
@main.command("open")
@click.argument("unit_ref", metavar="[UNIT]", shell_complete=complete_unit, required=False)
@click.option("--candidate", "candidate_ref", metavar="ID", shell_complete=complete_candidate,
              help="Open at this candidate.")
@pass_session
def open_command(ses: Session, unit_ref: str | None = None, candidate_ref: str | None = None) -> None:
    """Open the full-screen app, at UNIT or at a candidate."""
    svc = ses.service
    if not ses.chosen_store and not svc.store.exists():
        ses.echo(ses.t("cli.first_run", path=svc.store.path))
        _demo_done(ses, _build_demo(ses, seed=2024))
    svc.root()  # a missing or damaged store is reported here, before any screen
    unit_id = svc.resolve_unit(unit_ref, ses.year).id if unit_ref else None
    candidate_id = svc.candidate(candidate_ref).id if candidate_ref else None
    from .app import make_app

    make_app(svc, lang=ses.lang, year=ses.year, unit_id=unit_id, candidate_id=candidate_id).run()



# -- import and export ------------------------------------------------------------------------
@main.command("import")
@click.argument("file", type=click.Path(exists=True, path_type=Path))
@click.option("--unit", "unit_ref", metavar="UNIT", help="Branch of the candidates that name none; or a ward (a unit "
              "above branches), under which the branches the rows name are looked for.")
@click.option("--sheet", metavar="NAME", help="The sheet of a workbook that holds the list (default: the one "
              "whose headings are a list of candidates).")
@click.option("--strict", is_flag=True, help="Refuse a file with a column ptdv has no field for.")
@click.option("--dry-run", is_flag=True, help="Show what would be added or changed; write nothing.")
@json_option
@pass_session
def import_command(ses: Session, file: Path, unit_ref: str | None, sheet: str | None, strict: bool, dry_run: bool,
                   as_json: bool) -> None:
    """Add or update units, quotas and candidates from FILE: a list as a ward office keeps it (.xlsx,
    .xls, .ods or .csv), or ptdv's own export (.xlsx, .csv or .json).

    \b
    A list: the heading row is found under titles, blank rows and merged cells, with a
    second heading row (Nam/Nữ under Ngày sinh) or a row of column numbers under it;
    the rows are read until the footer (Tổng cộng, Người lập biểu, signatures). Headings
    as offices write them (STT, Họ và tên, Ngày, tháng, năm sinh, Dân tộc, Trình độ,
    Nghề nghiệp, Nơi cư trú, Ngày học lớp, Ghi chú, Chi bộ …), in any case, with or
    without diacritics; a column ptdv has no field for (Quê quán) is listed as not
    imported (--strict refuses it). Dates as dd/mm/yyyy, d-m-yyyy, d.m.yyyy, yyyy-mm-dd
    or Excel's date numbers; a birth year alone is kept as 31/12 of that year. A csv in
    UTF-8 or in Windows-1258, separated by commas, semicolons or tabs. The dry run lists
    the rows skipped and why.
    \b
    An xlsx or json export brings its units (added under their parent unit, found by path;
    parents before children), then its quotas, then its candidates; a csv brings candidates
    only. Into a store made with `ptdv init --root` and the file's top unit, it rebuilds the
    exported store. Absent columns are left as they are. A row is the candidate of its
    Mã/ID column when the store has it, else of the same name, birth date and branch; a
    new candidate keeps that id when it is free. A file with any bad row is refused whole
    (every bad row is listed by sheet and number) and nothing is written; importing the
    same file again changes nothing. Only a plain file is read, of at most 50 MB (an xlsx
    or ods: 500 MB unpacked) and 300,000 rows; set PTDV_IMPORT_MAX_BYTES,
    PTDV_IMPORT_MAX_UNPACKED or PTDV_IMPORT_MAX_ROWS to change these. On a terminal, a
    long import shows its progress on stderr.
    """
    from db.transfer import Limits

    from .import_text import plan_json, plan_lines
    from .progress import Progress
    from .transfer_io import read_tables

    limits = Limits.from_env(os.environ)
    ses.service.root()  # a missing or damaged store is said before a large file is read
    with Progress(ses.lang) as progress:
        progress.step("cli.progress.reading")
        tables = read_tables(file, limits, sheet)
        progress.step("cli.progress.checking")
        found = ses.service.import_tables(tables, unit_ref=unit_ref, dry_run=dry_run, strict=strict,
                                          progress=progress)
    if as_json:
        ses.json(plan_json(found, dry_run=dry_run))
        return
    lines = plan_lines(found, ses.lang, dry_run=dry_run)
    if dry_run:
        lines.append(ses.t("cli.import.dry_run"))
    ses.lines(lines)


@main.command("export")
@click.argument("unit_ref", metavar="[UNIT]", required=False)
@click.option("--format", "kind", type=click.Choice(["xlsx", "csv", "json"]), required=True,
              help="xlsx: sheets of units, quotas and candidates; csv: the candidates only; json: one object "
                   "with units, quotas and candidates.")
@click.option("-o", "out", type=click.Path(path_type=Path),
              help="Write to this file, readable by you only (default: stdout; xlsx needs a file).")
@click.option("--include-sensitive", is_flag=True, help="Also write ethnicity, religion and family background notes.")
@pass_session
def export_command(ses: Session, unit_ref: str | None, kind: str, out: Path | None, include_sensitive: bool) -> None:
    """Units, quotas and candidates (including those who left) under UNIT (default: the top unit).

    Headings are in --lang; `import` reads an xlsx or json export back whole (a csv: its candidates).
    An xlsx has its heading rows frozen, an autofilter and columns as wide as their cells. On a
    terminal, a long export shows its progress on stderr.
    """
    from .progress import Progress
    from .transfer_io import write

    if kind == "xlsx" and out is None:
        raise PtdvError("cli.report.xlsx_needs_file")
    with Progress(ses.lang) as progress:
        progress.step("cli.progress.loading")
        tables = ses.service.export(unit_ref, ses.lang, include_sensitive=include_sensitive)
        progress.step("cli.progress.writing")
        data = write(tables, kind, ses.lang, progress)
    if out is None:
        click.echo(data, nl=False)
        return
    write_file(out, data, ses.service.store.path.parent)
    ses.echo(ses.t("cli.export.written", path=out))


main.add_command(serve)

main.add_command(install_service)  # ptdv install-service: the service under systemd


if __name__ == "__main__":
    run()
