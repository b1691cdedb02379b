"""Bounded, validated text for every field a person types or a file carries."""

from __future__ import annotations

import unicodedata


class FieldError(ValueError):
    """A field's value is refused; the message names the field and says why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def clean_text(value: str | None, *, field: str, max_len: int, required: bool = False) -> str | None:
    """Trim, fold compatibility forms, refuse control characters and overlong text.

    Emoji and full-width text are fine (names and notes carry them); control
    characters are not (they corrupt terminals and exports)."""
    if value is None:
        if required:
            raise FieldError(field, "is required")
        return None
    text = unicodedata.normalize("NFC", str(value)).strip()
    if not text:
        if required:
            raise FieldError(field, "is required")
        return None
    bad = next((c for c in text if unicodedata.category(c) in ("Cc", "Cf") and c not in "\u200d"), None)
    if bad is not None:
        raise FieldError(field, f"contains a control character (U+{ord(bad):04X})")
    if len(text) > max_len:
        raise FieldError(field, f"is {len(text)} characters long, at most {max_len}")
    return text
