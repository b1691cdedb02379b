"""Stored text on the screen, shown as text: never read as Rich markup (a name
typed as ``[bold red]大[/`` shows as typed, and cannot end the app with a
MarkupError), never carrying a control character to the terminal.

Wrap every value that came from the store or a file before it goes into a
markup string, a ``Static``, a Rich ``Table`` or a ``DataTable`` cell (a
DataTable reads a ``str`` cell as markup)."""

from __future__ import annotations

import re
from typing import Any

from store.validation import strip_controls

_OPEN = re.compile(r"(\\*)\[")


def esc(value: Any) -> str:
    """``value`` as markup that shows it as typed ("" for None)."""
    if value is None:
        return ""
    return escape(strip_controls(str(value)))


def escape(text: str) -> str:
    """Every "[" escaped, not only those that look like a tag (rich.markup.escape
    leaves "[/" alone, and Textual's parser reads "[/[/b]" as a closing tag); the
    backslashes before one doubled, and a trailing one too, so they stay literal."""
    text = _OPEN.sub(lambda m: m.group(1) * 2 + "\\[", text)
    if text.endswith("\\") and not text.endswith("\\\\"):
        text += "\\"
    return text
