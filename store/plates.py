"""Licence plates 车牌号: one normalizer, one validator.

``粤A·12345``, ``粤 a12345`` and ``粤Ａ１２３４５`` are one plate, ``粤A12345``.
Ordinary plates have 7 characters (province, issuing-office letter, 5 more);
new-energy plates 新能源 have 8 (``粤AD12345`` for small cars, ``粤A12345D`` for large).
Letters I and O are never issued.
"""

from __future__ import annotations

import re
import unicodedata

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
# Last-character suffixes of special ordinary plates: trailer, coach, police, HK, Macau...
SPECIAL_SUFFIXES = "挂学警港澳领试超使"
_LETTER = "A-HJ-NP-Z"
_ALNUM = "A-HJ-NP-Z0-9"

ORDINARY = re.compile(rf"^[{PROVINCES}][{_LETTER}][{_ALNUM}]{{4}}[{_ALNUM}{SPECIAL_SUFFIXES}]$")
NEW_ENERGY = re.compile(
    rf"^[{PROVINCES}][{_LETTER}](?:[DF][{_ALNUM}][0-9]{{4}}|[0-9]{{5}}[DF])$"
)

# Separators clerks type between the parts of a plate (after NFKC folding).
_DROP = re.compile(r"[\s·•・.\-_/\\|,，。'\"`]+")


class InvalidPlate(ValueError):
    """A plate that cannot be a Chinese plate; the message says why."""


def fold(text: str) -> str:
    """Full-width to half-width, upper case, separators out: the form we compare."""
    text = _DROP.sub("", unicodedata.normalize("NFKC", text or "")).upper()
    # Upper-casing can leave a sequence NFKC would compose: normalize once more.
    return unicodedata.normalize("NFKC", text)


def normalize_plate(raw: str | None) -> str:
    """The canonical form of a plate as typed; "" when nothing is left."""
    return fold(raw or "")


def plate_kind(plate: str) -> str | None:
    """``"ordinary"``, ``"new_energy"`` or ``None`` for a normalized plate."""
    if ORDINARY.match(plate):
        return "ordinary"
    if NEW_ENERGY.match(plate):
        return "new_energy"
    return None


def parse_plate(raw: str | None) -> str:
    """Normalize and validate, or raise :class:`InvalidPlate` with the reason."""
    plate = normalize_plate(raw)
    if not plate:
        raise InvalidPlate("plate is empty")
    if plate_kind(plate):
        return plate
    if plate[0] not in PROVINCES:
        raise InvalidPlate(f"{raw!r}: does not start with a province character")
    if len(plate) not in (7, 8):
        raise InvalidPlate(f"{raw!r}: {len(plate)} characters, a plate has 7 (or 8 for new energy)")
    if re.search("[IO]", plate[1:]):
        raise InvalidPlate(f"{raw!r}: letters I and O are not used on plates")
    raise InvalidPlate(f"{raw!r}: not an ordinary or new-energy plate")


def is_valid_plate(raw: str | None) -> bool:
    try:
        parse_plate(raw)
    except InvalidPlate:
        return False
    return True
