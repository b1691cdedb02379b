"""Stored text on the screen, shown as text: never read as Rich markup (a name
typed as ``[bold red]大[/`` shows as typed, and cannot end the app with a
MarkupError), never carrying a control character to the terminal.

Wrap every value that came from the store or a file before it goes into a
markup string, a ``Static``, a Rich ``Table`` or a ``DataTable`` cell (a
DataTable reads a ``str`` cell as markup)."""

from __future__ import annotations

from typing import Any

from rich.markup import escape

from store.validation import strip_controls


def esc(value: Any) -> str:
    """``value`` as markup that shows it as typed ("" for None)."""
    if value is None:
        return ""
    return escape(strip_controls(str(value)))
