"""Text for people in both of the app's languages, Chinese (``zh``, the default) and
English (``en``): the store layer hands out :class:`Words`, and whatever shows them
(a screen, the command line, a workbook) says them in its reader's language."""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES = ("zh", "en")


@dataclass(frozen=True)
class Words:
    """One human text in Chinese and in English; :meth:`in_` picks the viewer's."""

    zh: str
    en: str

    def in_(self, language: str) -> str:
        return self.en if language == "en" else self.zh


def say(text, language: str):
    """``text`` in ``language`` when it is :class:`Words`; anything else as it is."""
    return text.in_(language) if isinstance(text, Words) else text
