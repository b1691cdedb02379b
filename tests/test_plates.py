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


# Every kind the standard issues, as written on the plate, its kind, and where the
# format is laid down (see the table in store/plates.py).
FORMATS = [
    ("粤A12345", "ordinary", "GA 36-2018 §4-5: province, issuing office, 5 letters or digits"),
    ("粤B8K2J3", "ordinary", "GA 36-2018: letters in the serial"),
    ("京O12345", "ordinary", "GA 36-2018: O is the public-security office's letter"),
    ("京A1234挂", "special", "GA 36-2018: trailer 挂车"),
    ("粤B1234学", "special", "GA 36-2018: driving-school coach 教练"),
    ("京A1234警", "special", "GA 36-2018: police 警用"),
    ("粤Z1234港", "special", "GA 36-2018: Hong Kong entry 港"),
    ("粤Z1234澳", "special", "GA 36-2018: Macau entry 澳"),
    ("沪A1234领", "special", "GA 36-2018: consulate 领馆"),
    ("京A1234试", "special", "GA 36-2018: test vehicle 试验"),
    ("京A1234超", "special", "GA 36-2018: oversize 超限"),
    ("琼X1234应急", "emergency", "GA 36-2018 amendment No. 1 (2019): emergency rescue 应急"),
    ("粤AD12345", "new_energy", "GA 36-2018 §5: small new energy, D electric"),
    ("粤AF12345", "new_energy", "GA 36-2018 §5: small new energy, F other than electric"),
    ("京AA12345", "new_energy", "公安部交通管理局 2021: further energy letters as D/F run out"),
    ("粤BC01234", "new_energy", "公安部交通管理局 2021"),
    ("浙AG12345", "new_energy", "公安部交通管理局 2021"),
    ("川AK10086", "new_energy", "公安部交通管理局 2021"),
    ("粤A12345D", "new_energy_large", "GA 36-2018 §5: large new energy, D last"),
    ("粤A12345F", "new_energy_large", "GA 36-2018 §5: large new energy, F last"),
    ("使014578", "embassy", "GA 36-2018: embassy 使馆, mission code then serial"),
    ("粤A12345临", "temporary", "GA 36-2018: temporary 临时行驶车号牌"),
    ("VA12345", "military", "中国人民解放军车辆号牌 2012式"),
    ("WJ粤12345", "armed_police", "武警部队车辆号牌 2012式"),
    ("WJ12345", "armed_police", "武警部队车辆号牌 2012式, headquarters"),
    ("民航12345", "civil_aviation", "民航内部车辆号牌"),
]


@pytest.mark.parametrize("plate,kind,source", FORMATS)
def test_every_kind_the_standard_issues_is_its_own_canonical_form(plate, kind, source):
    assert parse_plate(plate) == plate, source
    assert plate_kind(plate) == kind, source


@pytest.mark.parametrize("typed,canonical", [
    ("224578使", "使224578"),  # the older order of embassy plates
    ("临粤A12345", "粤A12345临"), ("粤A临1234", "粤A1234临"), ("粤临A12345", "粤A12345临"),
    ("粤A12345临时", "粤A12345临"),
    ("粤A1O345", "粤A10345"), ("粤AI2345", "粤A12345"), ("粤AO1234", "粤A01234"),  # O and I in a serial
    ("粤ADO2345", "粤AD02345"), ("使O14578", "使014578"), ("民航1234O", "民航12340"), ("VAI2345", "VA12345"),
    ("京O12345", "京O12345"),  # the office letter O stays a letter
    ("粵A12345", "粤A12345"), ("滬A12345", "沪A12345"), ("瓊X1234應急", "琼X1234应急"), ("粤B1234學", "粤B1234学"),
    ("粤\u200bA12345", "粤A12345"), ("粤A\u200d123\ufeff45", "粤A12345"), ("\u2066粤A12345\u2069", "粤A12345"),
    ("wj 粤 12345", "WJ粤12345"), ("民航·12345", "民航12345"),
])
def test_spellings_and_typos_fold_to_the_canonical_form(typed, canonical):
    assert parse_plate(typed) == canonical


@pytest.mark.parametrize("typed,why", [
    ("", "empty"), ("A12345", "province"), ("粤A1234", "7"), ("粤A12345678", "10 characters"),
    ("粤I12345", "I is no issuing office"), ("粤1A2345", "any kind"),
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
