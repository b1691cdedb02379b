"""The plate normalizer: every way a clerk types a plate is one plate."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from store.plates import PROVINCES, InvalidPlate, normalize_plate, parse_plate, plate_kind

ALNUM = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
FULLWIDTH = {c: chr(ord(c) + 0xFEE0) for c in ALNUM}


@pytest.mark.parametrize("typed", ["粤A·12345", "粤 a12345", "粤Ａ１２３４５", "粤a-12345", " 粤A 123 45 ", "粤A•12345", "粤Ａ・１２３４５"])
def test_every_spelling_is_one_plate(typed):
    assert parse_plate(typed) == "粤A12345"


@pytest.mark.parametrize("plate,kind", [("粤A12345", "ordinary"), ("粤AD12345", "new_energy"), ("粤A12345F", "new_energy"),
                                        ("京A1234挂", "ordinary"), ("粤B8K2J3", "ordinary")])
def test_kinds(plate, kind):
    assert plate_kind(parse_plate(plate)) == kind


@pytest.mark.parametrize("typed,why", [
    ("", "empty"), ("A12345", "province"), ("粤A1234", "6 characters"), ("粤A1234567", "9 characters"),
    ("粤AO1234", "I and O"), ("粤1A2345", "not an ordinary"),
])
def test_impossible_plates_say_why(typed, why):
    with pytest.raises(InvalidPlate, match=why):
        parse_plate(typed)


plate_tails = st.text(alphabet=ALNUM, min_size=5, max_size=5)
letters = st.sampled_from("ABCDEFGHJKLMNPQRSTUVWXYZ")
provinces = st.sampled_from(PROVINCES)
separators = st.lists(st.sampled_from([" ", "·", "-", "・", "　"]), max_size=3)


@given(provinces, letters, plate_tails, separators, st.booleans(), st.booleans())
def test_any_typing_normalizes_to_the_canonical_plate(province, letter, tail, seps, lower, fullwidth):
    canonical = province + letter + tail
    typed_tail = "".join(FULLWIDTH[c] for c in tail) if fullwidth else tail
    typed = province + (letter.lower() if lower else letter) + "".join(seps) + typed_tail
    assert parse_plate(typed) == canonical
    assert plate_kind(canonical) == "ordinary"


@given(st.text(max_size=20))
def test_normalizing_is_idempotent_and_never_crashes(text):
    once = normalize_plate(text)
    assert normalize_plate(once) == once
    assert once == once.upper()
    assert " " not in once and "·" not in once
