"""Bounded, validated text for every field a person types or a file carries.

One rule for text, applied once where it enters (an import cell, a command-line
argument, a form on a screen), so what is stored is clean and the same on SQLite
and Postgres:

- Control characters are never stored: C0 and C1 controls (tab, CR and LF too: a
  field is one line), DEL, the bidi embeddings, overrides, isolates and marks,
  zero-width spaces and joiners, soft hyphens, the BOM, line and paragraph
  separators, lone surrogates. The one exception is the zero-width joiner
  (U+200D), which emoji sequences need. A field a person types refuses them
  (:func:`clean_text`, the field named); a file's cell has them removed
  (:func:`strip_controls`, and :data:`CONTROL_PATTERN` for polars), a tab or line
  break becoming a space.
- Lengths are counted in characters by Python before the database sees the text:
  overlong text is refused with the field's name, never cut by one backend and
  kept by the other. :func:`check_text` holds every table's string columns to
  their declared lengths at flush, as a backstop behind the per-field checks.
"""

from __future__ import annotations

import unicodedata

# The zero-width joiner stays: 👨‍👩‍👧 and other emoji sequences are made of it.
_ALLOWED_FORMAT = {"\u200d"}
_CONTROL_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}
# The same set for polars (Rust regex): a cell's controls go in one vectorized pass.
CONTROL_PATTERN = r"[[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]&&[^\x{200D}]]"
# Controls that separate words: they become a space when a cell is cleaned.
SPACE_CONTROLS = "\t\n\r\x0b\x0c\x85\u2028\u2029"
SPACE_PATTERN = r"[\t\n\r\x0B\x0C\x{85}\x{2028}\x{2029}]"


class FieldError(ValueError):
    """A field's value is refused; the message names the field and says why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def is_control(ch: str) -> bool:
    """Whether ``ch`` is a character no stored text holds (see the module's rule)."""
    return unicodedata.category(ch) in _CONTROL_CATEGORIES and ch not in _ALLOWED_FORMAT


def first_control(text: str) -> str | None:
    return next((c for c in text if is_control(c)), None)


def strip_controls(text: str) -> str:
    """``text`` without control characters: a tab or line break becomes a space,
    every other control is dropped."""
    if text.isascii() and text.isprintable():
        return text
    return "".join(" " if c in SPACE_CONTROLS else c for c in text if c in SPACE_CONTROLS or not is_control(c))


def has_lone_surrogate(text: str) -> bool:
    """Whether ``text`` holds a lone surrogate: how Python hands over bytes that are
    not UTF-8 (an argument, a file name) without failing."""
    return any("\ud800" <= c <= "\udfff" for c in text)


def describe(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" {name}" if name else "")


def clean_text(value: str | None, *, field: str, max_len: int, required: bool = False,
               controls: str = "refuse") -> str | None:
    """Trim, fold compatibility forms, refuse (or with ``controls="strip"`` remove)
    control characters, refuse overlong text.

    Emoji and full-width text are fine (names and notes carry them); control
    characters are not (they corrupt terminals and exports)."""
    if value is None:
        if required:
            raise FieldError(field, "is required")
        return None
    text = str(value)
    if has_lone_surrogate(text):
        raise FieldError(field, "is not valid UTF-8 text")
    text = unicodedata.normalize("NFC", text)
    if controls == "strip":
        text = strip_controls(text)
    text = text.strip()
    if not text:
        if required:
            raise FieldError(field, "is required")
        return None
    bad = first_control(text)
    if bad is not None:
        raise FieldError(field, f"contains a control character ({describe(bad)})")
    if len(text) > max_len:
        raise FieldError(field, f"is {len(text)} characters long, at most {max_len}")
    return text


# --- the backstop at flush ----------------------------------------------------------


def _string_limits(mapper) -> list[tuple[str, int]]:
    """(attribute, length) of every text column with a length (String, and
    SQLModel's AutoString, whose python_type says object)."""
    from sqlalchemy import String

    out = []
    for prop in mapper.column_attrs:
        for column in prop.columns:
            length = getattr(column.type, "length", None)
            impl = getattr(column.type, "impl", column.type)  # AutoString decorates String
            if isinstance(length, int) and isinstance(impl if isinstance(impl, String) else column.type, String):
                out.append((prop.key, length))
    return out


_LIMITS: dict[type, list[tuple[str, int]]] = {}


def check_text(session, flush_context=None, instances=None) -> None:
    """Refuse, before the database sees it, any new or changed row whose text is
    longer than its column allows (SQLite would keep it, Postgres would raise
    mid-transaction), is not valid UTF-8, or holds a control character other
    than a line break (notes may have lines). The message names the table and
    column. (A ``before_flush`` listener on every session; see :mod:`store.db`.)"""
    from sqlalchemy import inspect as sa_inspect

    new = set(map(id, session.new))
    for obj in (*session.new, *session.dirty):
        kind = type(obj)
        limits = _LIMITS.get(kind)
        if limits is None:
            try:
                limits = _LIMITS[kind] = _string_limits(sa_inspect(kind))
            except Exception:  # not a mapped class
                limits = _LIMITS[kind] = []
        for key, length in limits:
            value = getattr(obj, key, None)
            if not isinstance(value, str):
                continue
            if id(obj) not in new and not sa_inspect(obj).attrs[key].history.has_changes():
                continue  # a row written before the rule keeps its text until that text changes
            field = f"{getattr(kind, '__tablename__', kind.__name__)}.{key}"
            if len(value) > length:
                raise FieldError(field, f"is {len(value)} characters long, at most {length}")
            if not value.isprintable():  # the fast path: plain text is printable
                if has_lone_surrogate(value):
                    raise FieldError(field, "is not valid UTF-8 text")
                bad = next((c for c in value if c != "\n" and is_control(c)), None)
                if bad is not None:
                    raise FieldError(field, f"contains a control character ({describe(bad)})")

