"""Licence plates 车牌号: one normalizer, one validator, every kind the standard issues.

``粤A·12345``, ``粤 a12345``, ``粤Ａ１２３４５`` and ``粵A12345`` are one plate,
``粤A12345``. :func:`parse_plate` folds what a clerk or an export typed (full-width
to half-width, upper case, separators and invisible characters out, traditional and
variant characters to the simplified ones, the letters O and I read as 0 and 1
where the standard never issues them) and returns the kind's one canonical form, or
raises :class:`InvalidPlate` saying why.

The kinds, with where each format is laid down (GA 36 is the public-security
standard for motor-vehicle plates, 《中华人民共和国机动车号牌》):

| kind | Chinese | canonical form | source |
| --- | --- | --- | --- |
| ordinary | 普通 (蓝/黄牌) | ``粤A12345``: province, issuing office (a letter; O is the public-security office's, 京O12345), 5 letters or digits | GA 36-2018 §4-5 |
| special | 挂 学 警 港 澳 领 试 超 | ``粤A1234学``: 4 letters or digits, then the character | GA 36-2018 (挂车, 教练, 警用, 港澳入出境, 领馆, 试验, 超限) |
| emergency | 应急 | ``琼X1234应急`` | GA 36-2018 amendment No. 1 (2019, 应急救援) |
| new_energy | 新能源 小型 | ``粤AD12345``: a letter for the energy type (D/F first, then A-K and others as D/F run out), a letter or digit, 4 digits | GA 36-2018 §5 (新能源汽车号牌); 公安部交通管理局 2021 |
| new_energy_large | 新能源 大型 | ``粤A12345D``: 5 digits, then D or F | GA 36-2018 §5 |
| embassy | 使 | ``使014578``: 使, the mission's 3 digits, 3 digits; the older ``014578使`` is the same plate | GA 36-2018 (使馆汽车号牌); GA 36-1992 for the older order |
| temporary | 临 临时行驶 | ``粤A12345临``: province, office, 4-6 letters or digits, 临 (exports write 临 first, after the office letter or last: one plate) | GA 36-2018 (临时行驶车号牌); the spellings of DMS exports |
| military | 军 | ``VA12345``: two letters (the branch and unit), 5 digits | 中国人民解放军车辆号牌 2012式 |
| armed_police | 武警 | ``WJ粤12345``: WJ, a province, 5 letters or digits (``WJ12345`` for headquarters) | 武警部队车辆号牌 2012式 |
| civil_aviation | 民航 | ``民航12345``: 民航, 5 letters or digits | 民航内部车辆号牌 (airside vehicles) |

Letters I and O never appear in a serial (O only as an issuing office): a clerk's
``粤A1O345`` or an export's ``粤AI2345`` is read as ``粤A10345`` / ``粤A12345``.
"""

from __future__ import annotations

import re
import unicodedata

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
# The last character of the special ordinary plates (trailer, coach, police, Hong
# Kong, Macau, consulate, test, oversize).
SPECIAL_SUFFIXES = "挂学警港澳领试超"
_LETTER = "A-HJ-NP-Z"  # issued letters: no I, no O
_OFFICE = "A-HJ-Z"  # an issuing office: O too (public security)
_ALNUM = "A-HJ-NP-Z0-9"
# The first letter of an army plate: the headquarters' and the branches' and
# regions' codes of the 2012 plates (V K H B S L J N G C).
MILITARY_BRANCHES = "VKHBSLJNGC"

# Traditional and variant forms an export or an input method gives, folded to the
# characters plates carry.
VARIANTS = str.maketrans({
    "粵": "粤", "滬": "沪", "遼": "辽", "蘇": "苏", "貴": "贵", "雲": "云", "陝": "陕", "陜": "陕",
    "寧": "宁", "閩": "闽", "魯": "鲁", "晉": "晋", "贛": "赣", "瓊": "琼", "亰": "京", "冀": "冀",
    "學": "学", "掛": "挂", "領": "领", "試": "试", "應": "应", "臨": "临", "時": "时", "軍": "军",
})

KINDS: dict[str, re.Pattern] = {
    "ordinary": re.compile(rf"[{PROVINCES}][{_OFFICE}][{_ALNUM}]{{5}}"),
    "special": re.compile(rf"[{PROVINCES}][{_OFFICE}][{_ALNUM}]{{4}}[{SPECIAL_SUFFIXES}]"),
    "emergency": re.compile(rf"[{PROVINCES}][{_OFFICE}][{_ALNUM}]{{4}}应急"),
    "new_energy": re.compile(rf"[{PROVINCES}][{_OFFICE}][{_LETTER}][{_ALNUM}][0-9]{{4}}"),
    "new_energy_large": re.compile(rf"[{PROVINCES}][{_OFFICE}][0-9]{{5}}[DF]"),
    "embassy": re.compile(r"使[0-9]{6}"),
    "temporary": re.compile(rf"[{PROVINCES}][{_OFFICE}][{_ALNUM}]{{4,6}}临"),
    "armed_police": re.compile(rf"WJ[{PROVINCES}]?[{_ALNUM}]{{5}}"),  # before military: WJ is two letters too
    "military": re.compile(rf"[{MILITARY_BRANCHES}][{_LETTER}][0-9]{{5}}"),
    "civil_aviation": re.compile(rf"民航[{_ALNUM}]{{5}}"),
}
# The older kind names, kept for callers that ask for them.
ORDINARY = KINDS["ordinary"]

# Separators clerks type between the parts of a plate (after NFKC folding).
_DROP = re.compile(r"[\s·•・.\-_/\\|,，。'\"`]+")
_PROVINCE_LED = re.compile(rf"^[{PROVINCES}][{_OFFICE}]")


class InvalidPlate(ValueError):
    """A plate that cannot be a Chinese plate; the message says why."""


def _visible(text: str) -> str:
    """Without zero-width and other invisible format characters (Unicode Cf)."""
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def fold(text: str) -> str:
    """Full-width to half-width, upper case, separators and invisible characters
    out, variant characters folded: the form plates (and queries) are compared in."""
    text = _DROP.sub("", unicodedata.normalize("NFKC", _visible(text or ""))).upper()
    # Upper-casing can leave a sequence NFKC would compose: normalize once more.
    return unicodedata.normalize("NFKC", text).translate(VARIANTS)


def _serial_typos(plate: str) -> str:
    """O read as 0 and I as 1 wherever the standard issues neither: every position
    after a province and its office letter, and the digits of the other kinds."""
    if _PROVINCE_LED.match(plate):
        return plate[:2] + plate[2:].replace("O", "0").replace("I", "1")
    for head in ("使", "民航", "WJ"):
        if plate.startswith(head):
            rest = plate[len(head):]
            if head == "WJ" and rest[:1] in PROVINCES:
                head, rest = head + rest[0], rest[1:]
            return head + rest.replace("O", "0").replace("I", "1")
    if plate.endswith("使"):
        return plate.replace("O", "0").replace("I", "1")
    if re.fullmatch(rf"[{MILITARY_BRANCHES}][A-Z][0-9OI]{{5}}", plate):  # army: two letters, five digits
        return plate[:2] + plate[2:].replace("O", "0").replace("I", "1")
    return plate


def _canonical_order(plate: str) -> str:
    """One form for the kinds exports spell more than one way: 使 first, 临 last."""
    if re.fullmatch(r"[0-9OI]{6}使", plate):
        return "使" + plate[:-1]
    if "临" in plate:
        bare = plate.replace("临时", "").replace("临", "")
        if _PROVINCE_LED.match(bare):
            return bare + "临"
    return plate


def normalize_plate(raw: str | None) -> str:
    """The canonical form of a plate as typed; "" when nothing is left. Text that is
    no plate comes back folded, not corrected."""
    plate = fold(raw or "")
    if not plate or plate_kind(plate):
        return plate
    fixed = _serial_typos(_canonical_order(plate))
    return fixed if plate_kind(fixed) else plate


def plate_kind(plate: str) -> str | None:
    """The kind (a key of :data:`KINDS`) of a canonical plate, or None."""
    for kind, pattern in KINDS.items():
        if pattern.fullmatch(plate):
            return kind
    return None


def parse_plate(raw: str | None) -> str:
    """Normalize and validate, or raise :class:`InvalidPlate` with the reason."""
    plate = normalize_plate(raw)
    if not plate:
        raise InvalidPlate("plate is empty")
    if plate_kind(plate):
        return plate
    if plate[0] not in PROVINCES:
        raise InvalidPlate(f"{raw!r}: does not start with a province character "
                           "(nor is it an army, armed police, embassy or civil aviation plate)")
    if len(plate) not in (7, 8, 9):
        raise InvalidPlate(f"{raw!r}: {len(plate)} characters, a plate has 7 (or 8 for new energy and 应急)")
    if len(plate) > 1 and plate[1] == "I":
        raise InvalidPlate(f"{raw!r}: the letter I is no issuing office")
    raise InvalidPlate(f"{raw!r}: not a plate of any kind the standard issues")


def is_valid_plate(raw: str | None) -> bool:
    try:
        parse_plate(raw)
    except InvalidPlate:
        return False
    return True


def query_forms(folded_query: str) -> list[str]:
    """A fragment as typed at the counter and, when it holds O or I, as the serial
    it must mean (``1O34`` finds ``粤A10345``); the office letter O is kept by the
    first form."""
    fixed = folded_query.replace("O", "0").replace("I", "1")
    return [folded_query] if fixed == folded_query else [folded_query, fixed]
