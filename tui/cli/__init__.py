"""The ``dealerdesk`` command. With no subcommand it opens the app.

Every subcommand is a thin face on a function of :mod:`store`; one module per
command group registers itself on :data:`app` below.
"""

from __future__ import annotations

from tui.cli.common import app, main  # noqa: F401
from tui.cli import db_cmds, demo_cmds, lookup_cmds  # noqa: F401,E402
from tui.cli import staff_cmds  # noqa: F401,E402
from tui.cli import report_cmds  # noqa: F401,E402
from tui.cli import member_cmds, points_cmds  # noqa: F401,E402
from tui.cli import pitch_cmds  # noqa: F401,E402
from tui.cli import care_cmds  # noqa: F401,E402
from tui.cli import calls_cmds  # noqa: F401,E402
from tui.cli import import_cmds  # noqa: F401,E402
from tui.cli import club_cmds  # noqa: F401,E402
from tui.cli import export_cmds  # noqa: F401,E402
