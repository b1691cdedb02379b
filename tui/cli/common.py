"""The root command, its global options, and helpers shared by command modules."""

from __future__ import annotations

import importlib
import json
import os
import sys
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import TYPE_CHECKING, Any

import typer
import typer.main
from typer.core import TyperGroup

from store import clock
from store.config import database_url, demo_db_url

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

# Which modules register each command on :data:`app`. A command's module (and what
# it imports: polars, openpyxl, the importers...) loads when that command runs, or
# when the help lists every command; ``dealerdesk lookup`` loads only its own.
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "demo": ("tui.cli.demo_cmds",),
    "lookup": ("tui.cli.lookup_cmds",),
    "audit": ("tui.cli.staff_cmds",),
    "pitches": ("tui.cli.pitch_cmds",),
    "pitch": ("tui.cli.pitch_cmds",),
    "complaint": ("tui.cli.complaint_cmds",),
    "insurance": ("tui.cli.insurance_cmds",),
    "arrivals": ("tui.cli.calls_cmds",),
    "import": ("tui.cli.import_cmds",),
    "db": ("tui.cli.db_cmds",),
    "staff": ("tui.cli.staff_cmds",),
    "report": ("tui.cli.report_cmds", "tui.cli.calls_cmds"),  # calls_cmds adds `report calls`
    "points": ("tui.cli.points_cmds",),
    "member": ("tui.cli.member_cmds",),
    "care": ("tui.cli.care_cmds",),
    "adopt": ("tui.cli.calls_cmds",),
    "calls": ("tui.cli.calls_cmds",),
    "club": ("tui.cli.club_cmds",),
    "event": ("tui.cli.event_cmds",),
    "interest": ("tui.cli.event_cmds",),
    "export": ("tui.cli.export_cmds",),
    "store": ("tui.cli.store_cmds",),
    "customer": ("tui.cli.store_cmds",),
    "serve": ("tui.cli.serve_cmds",),
}


def load_command_modules(names=None) -> None:
    """Import the modules registering these commands (every command by default)."""
    for name in COMMAND_MODULES if names is None else names:
        for module in COMMAND_MODULES.get(name, ()):
            if module not in sys.modules:
                importlib.import_module(module)


class LazyGroup(TyperGroup):
    """The root group: knows every command's name and module, and builds a command
    from its module the first time it is asked for (to run it, or for the help)."""

    def get_command(self, ctx, cmd_name):
        modules = COMMAND_MODULES.get(cmd_name)
        if modules and (cmd_name not in self.commands or any(m not in sys.modules for m in modules)):
            load_command_modules([cmd_name])
            # The module registered its command on `app`; build the click side afresh.
            self.commands.update(typer.main.get_command(app).commands)
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx):
        for name in COMMAND_MODULES:
            self.get_command(ctx, name)
        return [n for n in COMMAND_MODULES if n in self.commands] + [
            n for n in super().list_commands(ctx) if n not in COMMAND_MODULES]

    def resolve_command(self, ctx, args):
        if args and args[0] not in COMMAND_MODULES and args[0] not in self.commands:
            self.list_commands(ctx)  # a typo: every name, for the "did you mean"
        return super().resolve_command(ctx, args)


class DomainErrorsGroup(LazyGroup):
    """Refusals from the store (a bad field, a right the actor lacks) end any command
    the same way: one line naming the field or the rule, exit status 1, no traceback."""

    def invoke(self, ctx):
        from store.access import AccessDenied
        from store.validation import FieldError

        try:
            return super().invoke(ctx)
        except (FieldError, AccessDenied) as exc:
            typer.echo(f"dealerdesk: {exc}", err=True)
            raise typer.Exit(1) from None
        except ValueError as exc:
            # A path holding a NUL character: the parser's existence check meets it first.
            if "null byte" not in str(exc):
                raise
            typer.echo("dealerdesk: an argument holds a NUL character (\\x00); no file or value has one", err=True)
            raise typer.Exit(2) from None


app = typer.Typer(
    cls=DomainErrorsGroup,
    help="dealerdesk: the service counter's tool. With no command, opens the app.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


@dataclass
class Context:
    db_url: str
    store_code: str | None = None
    staff_code: str | None = None
    demo: bool = False  # --demo: the demo database, its store made on first use
    system: bool = False  # --system: act as the system on a shared database (scheduled jobs)
    _engine: Engine | None = field(default=None, repr=False)
    _actor: Any = field(default=None, repr=False)

    @property
    def shared_database(self) -> bool:
        """Postgres serves many counters and people: nobody acts there unnamed."""
        return self.db_url.startswith("postgresql")

    def store_id(self) -> int:
        """The store this command works in: ``--store``, else the acting staff
        member's, else the only one. Staff work in their own store only."""
        from store.db import read_session
        from store.stores import StoreNotFound, resolve_store

        actor = self.actor()
        with read_session(self.engine()) as session:
            try:
                if not self.store_code and actor.store_id is not None:
                    return actor.store_id
                store = resolve_store(session, self.store_code)
            except StoreNotFound as exc:
                fail(str(exc))
        if actor.store_id is not None and store.id != actor.store_id and actor.role != "analyst":
            fail(f"{self.staff_code} works in another store than {self.store_code}")
        return store.id

    def sign_in(self) -> None:
        """Who acts, settled once before any command runs: ``--as CODE`` with its PIN
        (a wrong PIN or a locked code ends the command here, exit 1), or the system,
        which on a shared database must be asked for by name (``--system``)."""
        if self.staff_code:
            if self.system:
                fail("--as and --system: choose one")
            self.actor()
            return
        if self.shared_database and not self.system:
            fail("a shared database needs to know who acts: --as STAFF_CODE (its PIN from DEALERDESK_PIN), "
                 "or --system for a scheduled job")

    def actor(self):
        """The staff member acting: ``--as CODE`` with the PIN from ``DEALERDESK_PIN``
        (or asked on a terminal), with that person's rights. Without ``--as`` the
        command line acts as the system: on SQLite whoever runs the shell owns the
        database file; on Postgres only with ``--system`` (checked in :meth:`sign_in`)."""
        from store.access import SYSTEM

        if not self.staff_code:
            return SYSTEM
        from store.db import write_session
        from store.staff import SignInRefused, sign_in

        if self._actor is None:
            pin = os.environ.get("DEALERDESK_PIN")
            if pin is None:
                if not sys.stdin.isatty():
                    fail(f"--as {self.staff_code}: set DEALERDESK_PIN to that staff member's PIN")
                pin = typer.prompt(f"PIN for {self.staff_code}", hide_input=True)
            try:
                with write_session(self.engine()) as session:  # a failed try is counted, so commit it
                    try:
                        self._actor = sign_in(session, code=self.staff_code, pin=pin)
                    except SignInRefused as exc:
                        refusal = exc
                    else:
                        refusal = None
            except typer.Exit:
                raise
            except Exception as exc:  # the database is down or has no schema yet
                fail(f"--as {self.staff_code}: cannot sign in: {str(exc).splitlines()[0]}")
            if refusal is not None:
                fail(str(refusal))
        return self._actor

    def language(self) -> str:
        """The language of what a command writes for people to read (a report's titles,
        headers, notes): the ``language`` setting (``DEALERDESK_LANGUAGE``, the config
        file, the database), the one the app speaks. ``zh`` unless it says ``en``."""
        from store.settings import get_setting

        with self.engine().connect() as conn:
            return "en" if get_setting(conn, "language") == "en" else "zh"

    def reports_engine(self) -> Engine:
        """Where reports and exports read (:mod:`store.replica`): the read replica
        when one is configured, else :meth:`engine`."""
        from store.db import DatabaseError
        from store.replica import reports_engine

        try:
            return reports_engine(self.engine())
        except DatabaseError as exc:
            fail(str(exc))

    def replica_age(self):
        """How old the replica's data is (:class:`store.replica.DataAge`); None
        when reports read the primary."""
        from store.replica import replica_age

        self.reports_engine()  # a replica that cannot be read ends the command in one line
        return replica_age(self.engine())

    def engine(self, *, auto_upgrade: bool | None = None) -> Engine:
        if self._engine is None:
            from store.db import DatabaseError, open_engine

            try:
                self._engine = open_engine(self.db_url, auto_upgrade=auto_upgrade)
            except DatabaseError as exc:
                fail(str(exc))
            if self.demo:
                from tui.run import ensure_demo_store

                ensure_demo_store(self._engine)
        return self._engine


def cli_day(value: str | None, option: str) -> date | None:
    """A day given to ``option``: a date or a day relative to today (``today``, ``-7``),
    see :func:`store.dates.parse_day_word`; None when not given. A bad one is one line."""
    if value is None or value == "":
        return None
    from store.dates import parse_day_word

    try:
        return parse_day_word(value, today=clock.today())
    except ValueError as exc:
        fail(f"{option}: {exc}")


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"dealerdesk: {message}", err=True)
    raise typer.Exit(code)


# Output to a pipe or a file has no width to fit: a line is as long as what it holds.
NO_WIDTH_LIMIT = 1_000_000


def shown(value: Any):
    """Stored text as a Rich cell: printed as typed (never read as markup), without
    control characters (an escape sequence from a file must not reach the terminal)."""
    from rich.text import Text

    from store.validation import strip_controls

    return Text(strip_controls("" if value is None else str(value)))


def add_safe_row(table, *cells: Any) -> None:
    """A table row of stored text, each cell through :func:`shown`."""
    table.add_row(*(shown(c) for c in cells))


def output_console(**kwargs: Any):
    """The Rich console for a command's output. On a terminal, the terminal's width;
    to a pipe or a file (``--out`` included), no limit: a table keeps whole plates,
    RO numbers and names (no ellipsis, no folding), so a script can read it."""
    from rich.console import Console

    file = kwargs.get("file")
    to_terminal = (file or sys.stdout).isatty() if not kwargs.get("stderr") else sys.stderr.isatty()
    if not to_terminal:
        kwargs.setdefault("width", NO_WIDTH_LIMIT)
    return Console(**kwargs)


def emit_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=_json_default))


def _json_default(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def ctx_obj(ctx: typer.Context) -> Context:
    return ctx.find_root().obj


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    db: str | None = typer.Option(None, "--db", envvar="DEALERDESK_DB", help="sqlite:///path or postgresql+psycopg://..."),
    today: str | None = typer.Option(None, "--today", envvar="DEALERDESK_TODAY", help="Pretend today is this date (YYYY-MM-DD)."),
    store: str | None = typer.Option(None, "--store", envvar="DEALERDESK_STORE", help="Store code (default: the only store)."),
    staff: str | None = typer.Option(None, "--as", envvar="DEALERDESK_STAFF", help="Act as this staff code."),
    demo: bool = typer.Option(False, "--demo", help="Open the demo store (created on first use)."),
    system: bool = typer.Option(False, "--system", help="Act as the system (scheduled jobs such as points expire); "
                                "a shared database refuses a command with neither --as nor --system."),
) -> None:
    ctx.obj = start(db=db, today=today, store=store, staff=staff, demo=demo, system=system,
                    command=ctx.invoked_subcommand)
    if ctx.invoked_subcommand is None:
        from tui.run import run_app

        run_app(ctx.obj, demo=demo)
        return
    # Before the command parses its own arguments or reads anything: a wrong PIN,
    # a locked code or an unnamed actor on a shared database ends every command here.
    ctx.obj.sign_in()


def start(*, db: str | None, today: str | None, store: str | None, staff: str | None, demo: bool,
          system: bool, command: str | None) -> Context:
    """The root command's work before any subcommand: the day, the database, who acts."""
    if today:
        try:
            clock.set_today(date.fromisoformat(today))
        except ValueError:
            fail(f"--today {today!r} is not a date (YYYY-MM-DD)")
    url = demo_db_url() if demo and not db else database_url(db)
    # `--demo demo ...` builds the demo store itself, with its own options.
    return Context(db_url=url, store_code=store, staff_code=staff, system=system,
                   demo=demo and not db and command != "demo")


# The root options with a value, and the environment variable each falls back to.
ROOT_OPTIONS = {"--db": "DEALERDESK_DB", "--today": "DEALERDESK_TODAY", "--store": "DEALERDESK_STORE",
                "--as": "DEALERDESK_STAFF"}


def app_only_options(args: list[str]) -> dict[str, str | bool] | None:
    """The options of a bare ``dealerdesk [--db URL] [--demo] ...``, which opens the
    app; None when the line holds a command, ``--help`` or anything else, for the
    full parser to read."""
    found: dict[str, str | bool] = {}
    i = 0
    while i < len(args):
        name, eq, value = args[i].partition("=")
        if args[i] in GLOBAL_FLAGS:
            found[args[i]] = True
        elif name in ROOT_OPTIONS and eq:
            found[name] = value
        elif name in ROOT_OPTIONS and i + 1 < len(args):
            found[name] = args[i + 1]
            i += 1
        else:
            return None
        i += 1
    return found


def open_app(options: dict[str, str | bool]) -> None:
    """``dealerdesk`` with no command: the counter's start, without building the
    command-line parser (Typer's coercion imports pydantic, a twentieth of a second
    the sign-in screen would wait for). The same :func:`start` as the root command."""
    from tui.run import run_app

    def option(name: str) -> str | None:
        return options.get(name) or os.environ.get(ROOT_OPTIONS[name]) or None

    try:
        obj = start(db=option("--db"), today=option("--today"), store=option("--store"), staff=option("--as"),
                    demo=bool(options.get("--demo")), system=bool(options.get("--system")), command=None)
        run_app(obj, demo=bool(options.get("--demo")))
    except typer.Exit as exc:
        sys.exit(exc.exit_code)


GLOBAL_OPTIONS = {"--db", "--today", "--store", "--as"}
GLOBAL_FLAGS = {"--demo", "--system"}


def hoist_global_options(argv: list[str]) -> list[str]:
    """Let global options stand anywhere (``dealerdesk demo --db URL``) by moving
    them before the subcommand, where the root command reads them."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        name = arg.split("=", 1)[0]
        if arg == "--":
            rest.extend(argv[i:])
            break
        if name in GLOBAL_OPTIONS:
            if "=" in arg:
                front.append(arg)
            else:
                front.extend(argv[i : i + 2])
                i += 1
        elif arg in GLOBAL_FLAGS:
            front.append(arg)
        else:
            rest.append(arg)
        i += 1
    return front + rest


def main(argv: list[str] | None = None) -> None:
    from store.validation import has_lone_surrogate

    raw = list(sys.argv[1:] if argv is None else argv)
    bad = next((a for a in raw if has_lone_surrogate(a)), None)
    if bad is not None:
        # Bytes that are not UTF-8 reach Python as lone surrogates (surrogateescape):
        # refused here, in one line, before any command or store sees them.
        shown_arg = bad.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        print(f"dealerdesk: argument {raw.index(bad) + 1} ({shown_arg!r}) is not valid UTF-8 text; "
              "check the terminal's encoding (it should be UTF-8)", file=sys.stderr)
        sys.exit(1)
    args = hoist_global_options(raw)
    options = app_only_options(args)
    try:
        if options is not None:
            open_app(options)
        else:
            app(args=args, prog_name="dealerdesk")
    except KeyboardInterrupt:  # pragma: no cover
        sys.exit(130)
