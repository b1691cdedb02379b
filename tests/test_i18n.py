"""The screen's words, in both languages: every key the screens use exists, every
entry has its Chinese and its English, the placeholders agree, and Chinese mode
shows no English label (nor English mode a Chinese one)."""

from __future__ import annotations

import re
import string
from pathlib import Path

from tui.i18n import STRINGS

ROOT = Path(__file__).resolve().parents[1] / "tui"
KEY = r"[a-z_]+(?:\.[a-z0-9_]+)+"
USES = [
    re.compile(rf"""\bt\(\s*["']({KEY})["']"""),  # t("lookup.count")
    re.compile(rf"""Binding\([^)]*?,\s*["'][^"']+["'],\s*["']({KEY})["']"""),  # Binding(key, action, "key.open")
]
HAN = re.compile(r"[\u4e00-\u9fff]")


def used_keys() -> dict[str, str]:
    found = {}
    for path in ROOT.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for pattern in USES:
            for key in pattern.findall(text):
                found.setdefault(key, str(path.relative_to(ROOT.parent)))
    return found


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_a_screen_uses_is_in_the_catalogue():
    missing = {k: where for k, where in used_keys().items() if k not in STRINGS and not k.startswith("tui.")}
    assert missing == {}


def test_every_entry_speaks_both_languages_with_the_same_placeholders():
    bad = []
    for key, (zh, en) in STRINGS.items():
        if not zh.strip() and not en.strip():
            continue  # deliberately blank in both (e.g. a class with no short word)
        if not zh.strip() or not en.strip():
            bad.append((key, "a language is empty"))
        elif fields(zh) != fields(en):
            bad.append((key, f"placeholders differ: {fields(zh)} / {fields(en)}"))
        if HAN.search(en) and not re.search(r"[a-zA-Z]{3}", en):
            bad.append((key, "the English is Chinese"))
    assert bad == []


def test_chinese_entries_are_chinese():
    """A Chinese entry holds Chinese (or is a symbol, a code or a key name)."""
    english_only = [key for key, (zh, _) in STRINGS.items()
                    if zh.strip() and not HAN.search(zh) and re.search(r"[a-zA-Z]{4,}", re.sub(r"\{\w+\}", "", zh))
                    and not re.fullmatch(r"[\sA-Za-z0-9/.:·+\-()%{}\[\]]*(Excel|VIN|PIN|xlsx|CSV|DMS|RO|SA|CA)"
                                         r"[\sA-Za-z0-9/.:·+\-()%{}\[\]]*", zh)]
    assert english_only == []
