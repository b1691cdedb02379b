"""Every key 按键一览: built from the bindings of the screen it was opened over, the
app's own keys and the screen catalog (tui/registry.py), so it never goes stale."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from tui.i18n import language, t
from tui.keys import key_rows, localize
from tui.registry import SCREENS


def help_table(app, screen: Screen) -> Group:
    def section(title: str, rows: list[tuple[str, str]]) -> list:
        if not rows:
            return []
        table = Table(box=None, show_header=False, padding=(0, 2, 0, 0), pad_edge=False)
        table.add_column(style="bold", no_wrap=True, min_width=10)
        table.add_column()
        for key, what in rows:
            table.add_row(key, what)
        return [Text(title, style="bold underline"), table, Text("")]

    registry_keys = {e.key for e in SCREENS if e.key}
    here = key_rows(app, screen)
    anywhere = [row for row in key_rows(app, app) if row[0] not in registry_keys]
    anywhere.append((app.get_key_display(Binding(app.COMMAND_PALETTE_BINDING, "")), t("help.palette")))
    screens = [(e.key or "", e.en if language() == "en" else e.zh) for e in SCREENS]
    return Group(*section(t("help.here"), here), *section(t("help.everywhere"), anywhere),
                 *section(t("help.screens"), screens))


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "dismiss", "key.back"),
        Binding("question_mark", "dismiss", show=False),
    ]

    def __init__(self, over: Screen) -> None:
        super().__init__()
        localize(self)
        self.over = over

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(help_table(self.app, self.over), id="help-keys")

    def on_mount(self) -> None:
        box = self.query_one("#help-box")
        box.border_title = t("help.title")
        box.focus()
