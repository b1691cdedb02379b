"""The command line as the tests call it."""

from __future__ import annotations

from tui.cli.common import hoist_global_options


def cli_args(args) -> list[str]:
    """The arguments as a script passes them: without ``--as`` the command acts as
    the system, named (``--system``) as a shared database requires."""
    args = list(args)
    if not any(a == "--as" or a.startswith("--as=") or a == "--system" for a in args):
        args = ["--system", *args]
    return hoist_global_options(args)
