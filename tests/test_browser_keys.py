"""Keys in the browser are the terminal's keys, except those a browser keeps for
itself before the page sees them (Chromium's reserved shortcuts: new tab, close tab,
new window, switch tab); every binding on such a key has a second key, shown beside
it in the footer, so ``dealerdesk serve`` loses no action."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from textual.binding import Binding
from textual.screen import Screen

import tui.screens
from tui.app import DealerDeskApp

# Chromium's reserved shortcuts (chrome/browser/ui: IsReservedCommandOrKey), and what
# Windows takes: a page never receives them.
BROWSER_KEYS = {"ctrl+w", "ctrl+t", "ctrl+n", "ctrl+shift+w", "ctrl+shift+t", "ctrl+shift+n", "ctrl+tab",
                "ctrl+shift+tab", "ctrl+shift+q", "alt+f4"}


def every_binding():
    found = [(DealerDeskApp, b) for b in DealerDeskApp.BINDINGS]
    for info in pkgutil.iter_modules(tui.screens.__path__):
        module = importlib.import_module(f"tui.screens.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Screen) and cls.__module__ == module.__name__:
                found += [(cls, b) for b in cls.BINDINGS if isinstance(b, Binding)]
    return found


def test_every_action_on_a_key_the_browser_keeps_has_a_second_key_in_the_footer():
    bindings = every_binding()
    assert len(bindings) > 50
    missing = []
    for cls, b in bindings:
        keys = [k.strip() for k in b.key.split(",")]
        if not set(keys) & BROWSER_KEYS:
            continue
        others = [k for k in keys if k not in BROWSER_KEYS]
        shown = (b.key_display or "").replace("^", "ctrl+")
        if not others or not all(k in shown for k in others):
            missing.append(f"{cls.__name__}: {b.key} ({b.action})")
    assert missing == []


async def test_the_import_screens_second_key_changes_the_kind(sqlite_engine):
    from tests.factories import add_store
    from store.db import write_session
    from store.staff import add_staff
    from store.access import SYSTEM
    from tests.tui_helpers import wait_for
    from tui.screens.importer import KINDS

    with write_session(sqlite_engine) as s:
        store = add_store(s)
        add_staff(s, SYSTEM, store_id=store.id, code="M01", name="周建国", role="manager", pin="8888")
    app = DealerDeskApp(sqlite_engine, staff_code="M01")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: type(app.screen).__name__ == "LookupScreen" and app.screen.is_mounted)
        await pilot.press("f6")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ImportScreen")
        assert app.screen.kind == KINDS[0]
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: app.screen.kind == KINDS[1])
        await pilot.press("ctrl+t")  # the terminal's key still works
        await wait_for(pilot, lambda: app.screen.kind == KINDS[2])
