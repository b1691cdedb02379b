"""Which row is the header, and which column is which field.

DMS exports put a title line or two (often a merged cell) above the header, and
name their columns in many ways. The known spellings (DOMAIN.md's table, plus a
few common extras) are matched after trimming spaces, folding full-width forms and
dropping a unit in brackets (``工时费(元)``, ``行驶里程（km）``); a store adds its
own under the ``header_spellings`` setting, a dict of field -> list of spellings.

| field | Chinese | kind |
| --- | --- | --- |
| plate | 车牌号 | both |
| vin | 车架号 / VIN | both |
| ro_number | 工单号 / 结算单号 | visits only: its presence makes a visits export |
| inspection_due | 年检到期日 / 年审日期 / 年检日期 / 检验有效期至 | vehicles: the annual inspection's due date |
| status | 工单状态 / 状态 | visits: a cancelled RO (作废, 取消, 已取消, 撤销, cancelled) gives back its points |
| policy_number | 保单号 | insurance only: its presence makes an insurance export |
| insurer | 保险公司 | insurance |
| policy_kind | 险种 | insurance: 交强险 compulsory / 商业险 commercial |
| start_on / end_on | 起保日期 / 终保日期, 到期日期 | insurance: the policy's cover |
| premium | 保费 | insurance |
| sold_by_store | 是否本店出单 | insurance: 是/否 |
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

SPELLINGS: dict[str, tuple[str, ...]] = {
    # From DOMAIN.md, "What DMS exports look like".
    "plate": ("车牌号", "车牌号码", "车牌", "牌照号码", "plate"),
    "vin": ("VIN", "VIN码", "车架号", "底盘号", "vin", "车辆识别代号", "车架号码"),
    "model": ("车型", "车型名称", "车系", "model"),
    "customer": ("客户名称", "客户姓名", "车主姓名", "车主", "customer", "客户"),
    "phone": ("联系电话", "手机", "手机号码", "移动电话", "电话", "phone", "联系手机"),
    "purchase_date": ("购车日期", "销售日期", "开票日期", "purchase_date"),
    "region": ("区域", "所属区域", "地区", "region"),
    "warranty_end": ("保修到期日", "保修截止日期", "warranty_end"),
    "birthday": ("生日", "出生日期", "birthday"),
    "ro_number": ("工单号", "结算单号", "委托书号", "ro_number"),
    "date_in": ("进厂日期", "进厂时间", "到店日期", "date_in"),
    "settled_on": ("结算日期", "结算时间", "出厂日期", "settled_on"),
    "repair_type": ("维修类型", "维修类别", "业务类型", "repair_type"),
    "mileage": ("行驶里程", "进厂里程", "里程", "mileage"),
    "labour": ("工时费", "labour"),
    "parts": ("材料费", "配件费", "parts"),
    "oil": ("油品金额", "养护用品金额", "oil"),
    "accessories": ("精品金额", "accessories"),
    "total": ("结算金额", "合计金额", "总金额", "total"),
    "sa": ("服务顾问", "接待员", "SA"),
    # An RO's state in the DMS: 作废/取消/撤销 means cancelled (importers.parse.CANCELLED_WORDS).
    "status": ("工单状态", "结算状态", "单据状态", "状态", "status"),
    # Common in vehicle/customer exports beyond DOMAIN.md's table.
    "gender": ("性别", "gender"),
    "id_number": ("身份证号", "身份证号码", "证件号码", "身份证", "id_number"),
    "address": ("地址", "联系地址", "address"),
    "colour": ("颜色", "车身颜色", "colour", "color"),
    "insurance_expiry": ("保险到期日", "保险到期日期", "insurance_expiry"),
    # The annual inspection 年检 due date, in vehicle exports.
    "inspection_due": ("年检到期日", "年检到期日期", "年审日期", "年审到期日", "年检日期", "检验有效期至",
                       "inspection_due"),
    # Insurance exports (保单): one row per policy.
    "policy_number": ("保单号", "保单号码", "保险单号", "policy_number"),
    "insurer": ("保险公司", "承保公司", "保险人", "insurer"),
    "policy_kind": ("险种", "险种类型", "险别", "保险类型", "policy_kind"),
    "start_on": ("起保日期", "保险起期", "生效日期", "start_on"),
    "end_on": ("终保日期", "到期日期", "保险止期", "end_on"),
    "premium": ("保费", "保险费", "总保费", "premium"),
    "sold_by_store": ("是否本店出单", "本店出单", "是否本店", "sold_by_store"),
}
INSURANCE_FIELDS = {"policy_number", "insurer", "policy_kind", "start_on", "end_on", "premium", "sold_by_store"}
VISIT_FIELDS = {"ro_number", "date_in", "settled_on", "repair_type", "labour", "parts", "oil", "accessories", "total",
                "sa"}
VEHICLE_KEYS = ("vin", "plate")
MIN_MATCHES = 2
TOTAL_WORDS = {"合计", "总计", "小计", "合计:", "合计：", "总计:", "总计：", "total", "sum"}

_UNIT = re.compile(r"[(（\[【][^)）\]】]*[)）\]】]$")
_DROP = re.compile(r"[\s*:：_\-]+")


def normalize_header(text: str | None) -> str:
    """The form headers are compared in: folded, no spaces, no trailing unit, lower case."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKC", str(text)).strip()
    folded = _UNIT.sub("", folded)
    return _DROP.sub("", folded).lower()


def spelling_table(extra: Mapping[str, Sequence[str]] | None = None) -> dict[str, str]:
    """normalized spelling -> field, the store's own spellings included."""
    table: dict[str, str] = {}
    for name, spellings in SPELLINGS.items():
        for s in spellings:
            table.setdefault(normalize_header(s), name)
    for name, spellings in (extra or {}).items():
        if isinstance(spellings, str):
            spellings = [spellings]
        for s in spellings or ():
            key = normalize_header(s)
            if key:
                table[key] = name  # the store's word wins over a built-in one
    return table


@dataclass
class Header:
    row: int  # 0-based index of the (last) header row in the probe
    columns: dict[str, list[int]] = field(default_factory=dict)  # field -> column indexes, first wins
    labels: list[str | None] = field(default_factory=list)  # header text per column
    unknown: list[str] = field(default_factory=list)  # header cells that map to nothing

    @property
    def fields(self) -> set[str]:
        return set(self.columns)

    @property
    def width(self) -> int:
        return max((i for cols in self.columns.values() for i in cols), default=-1) + 1


def _match(row: Sequence[str | None], table: Mapping[str, str]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for i, cell in enumerate(row):
        name = table.get(normalize_header(cell))
        if name:
            found.setdefault(name, []).append(i)
    return found


def find_header(rows: Sequence[Sequence[str | None]], table: Mapping[str, str]) -> Header | None:
    """The row naming the most known fields (at least two, one of them a key:
    plate, VIN or RO number); a second header row under merged group headings
    (金额 over 工时费 | 材料费 ...) fills the columns the first leaves unnamed."""
    best: tuple[int, int, dict] | None = None
    for index, row in enumerate(rows):
        found = _match(row, table)
        if len(found) < MIN_MATCHES or not ({"plate", "vin", "ro_number"} & set(found)):
            continue
        if best is None or len(found) > best[1]:
            best = (index, len(found), found)
    if best is None:
        return None
    index, _, columns = best
    labels = list(rows[index])
    last = index
    if index + 1 < len(rows):
        below = _match(rows[index + 1], table)
        named = {i for cols in columns.values() for i in cols}
        added = {f: [i for i in cols if i not in named] for f, cols in below.items() if f not in columns}
        added = {f: cols for f, cols in added.items() if cols}
        if added:
            for f, cols in added.items():
                columns[f] = cols
                for i in cols:
                    labels += [None] * (i + 1 - len(labels))
                    labels[i] = rows[index + 1][i]
            last = index + 1
    unknown = [str(c) for i, c in enumerate(labels) if c and not any(i in cols for cols in columns.values())]
    return Header(row=last, columns=columns, labels=labels, unknown=unknown)


def kind_of(header: Header) -> str | None:
    """visits when the header has an RO number, insurance when it has a policy
    number, vehicles when it has a plate or VIN."""
    if "ro_number" in header.columns:
        return "visits"
    if "policy_number" in header.columns:
        return "insurance"
    if any(k in header.columns for k in VEHICLE_KEYS):
        return "vehicles"
    return None
