"""Does a text speak one language? Chinese text holds no English word, English text no
Chinese character. Neutral in both: figures, dates, months, symbols and units (%, ¥,
/, =), "n/a", a column's or a setting's code (``class_healthy_mix``: what the
reader types or reads in CSV and JSON)."""

from __future__ import annotations

import re
from collections.abc import Iterable

# CJK ideographs, CJK punctuation (，。：；（）), full-width forms.
HAN = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
CODE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
NEUTRAL = ("n/a",)
WORD = re.compile(r"[A-Za-z]+")


def foreign(text: str, language: str) -> list[str]:
    """The pieces of ``text`` that are not ``language`` (nor neutral)."""
    if language == "en":
        return HAN.findall(text)
    text = CODE.sub(" ", text)
    for token in NEUTRAL:
        text = text.replace(token, " ")
    return WORD.findall(text)


def mixed(texts: Iterable[str | None], language: str) -> list[tuple[str, list[str]]]:
    """Each text with words of the other language, and those words."""
    out = []
    for text in texts:
        if text is None:
            continue
        bad = foreign(str(text), language)
        if bad:
            out.append((str(text), bad))
    return out
