"""The ``dealerdesk`` command. With no subcommand it opens the app.

Every subcommand is a thin face on a function of :mod:`store`; one module per
command group registers itself on :data:`app`. The root group
(:class:`tui.cli.common.LazyGroup`) imports a command's module only when that
command runs or the help lists it; :func:`all_commands` loads every one.
"""

from __future__ import annotations

from tui.cli.common import COMMAND_MODULES, app, load_command_modules, main  # noqa: F401


def all_commands():
    """The root click group with every command loaded (for help, docs and tests)."""
    import typer.main

    load_command_modules()
    return typer.main.get_command(app)
