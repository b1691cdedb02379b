"""The Textual app: one screen per job, keyboard first."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from textual.app import App
from textual.binding import Binding

from store.counter import Counter
from tui.i18n import set_language, t
from tui.screens.lookup import LookupScreen


class DealerDeskApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "dealerdesk"
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", show=True, priority=True),
    ]

    def __init__(self, engine: Engine, *, language: str | None = None) -> None:
        super().__init__()
        self.counter = Counter(engine)
        set_language(language or self.counter.language())
        self.title = t("app.title")
        self.sub_title = self.counter.store_name()

    def on_mount(self) -> None:
        self.push_screen(LookupScreen())
