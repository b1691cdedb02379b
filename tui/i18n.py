"""Screen text in Chinese (the default) and English."""

from __future__ import annotations

_language = "zh"

STRINGS: dict[str, tuple[str, str]] = {
    "app.title": ("dealerdesk 售后前台", "dealerdesk service counter"),
    "lookup.placeholder": ("车牌任意部分 / 手机后4位 / VIN后6位 / 姓名或拼音首字母", "any part of a plate / phone last 4 / VIN last 6 / name or pinyin"),
    "lookup.hint": ("输入车牌、手机尾号、VIN 或姓名开始查找", "Type a plate, phone digits, VIN or name to search"),
    "lookup.none": ("没有找到匹配 “{q}” 的车辆", "No vehicle matches “{q}”"),
    "lookup.count": ("{n} 辆车", "{n} vehicles"),
    "lookup.more": ("{n}+ 辆车，请多输入几位", "{n}+ vehicles, type more to narrow"),
    "col.plate": ("车牌", "Plate"),
    "col.model": ("车型", "Model"),
    "col.owner": ("车主", "Owner"),
    "col.phone": ("电话", "Phone"),
    "col.visits": ("来店", "Visits"),
    "col.last_visit": ("最近来店", "Last visit"),
    "col.class": ("分类", "Class"),
    "col.tier": ("会员", "Member"),
    "col.points": ("积分", "Points"),
    "col.date": ("日期", "Date"),
    "col.ro": ("工单号", "RO"),
    "col.type": ("维修类型", "Type"),
    "col.mileage": ("里程", "Mileage"),
    "col.amount": ("金额", "Amount"),
    "col.sa": ("服务顾问", "SA"),
    "key.open": ("打开", "Open"),
    "key.back": ("返回", "Back"),
    "key.clear": ("清空", "Clear"),
    "key.quit": ("退出", "Quit"),
    "key.help": ("帮助", "Help"),
    "profile.owner": ("车主", "Owner"),
    "profile.vehicle": ("车辆", "Vehicle"),
    "profile.visits": ("最近来店记录", "Last visits"),
    "profile.no_visits": ("还没有来店记录", "No visits yet"),
    "profile.purchase": ("购车", "Bought"),
    "profile.warranty": ("保修至", "Warranty to"),
    "profile.mileage": ("里程", "Mileage"),
    "profile.region": ("区域", "Region"),
    "profile.member": ("会员", "Member"),
    "profile.not_member": ("非会员", "Not a member"),
    "profile.points": ("积分", "Points"),
    "error.db": ("数据库错误：{e}", "Database error: {e}"),
}

REPAIR_TYPES = {
    "first_maintenance": ("首保", "First maintenance"),
    "maintenance": ("定期保养", "Maintenance"),
    "repair": ("一般维修", "Repair"),
    "warranty": ("索赔", "Warranty"),
    "insurance": ("保险维修", "Insurance"),
    "bodywork": ("钣喷", "Body & paint"),
    "accessories": ("精品加装", "Accessories"),
    "rescue": ("救援", "Rescue"),
    "other": ("其他", "Other"),
}
TIERS = {"regular": ("普卡", "Regular"), "gold": ("金卡", "Gold"), "diamond": ("钻石卡", "Diamond"),
         "annual": ("年费会员", "Annual"), "stored": ("储值会员", "Stored value"), "both": ("年费+储值", "Fee + stored")}


def set_language(language: str) -> None:
    global _language
    _language = "en" if language == "en" else "zh"


def language() -> str:
    return _language


def t(key: str, **kwargs) -> str:
    zh, en = STRINGS[key]
    text = en if _language == "en" else zh
    return text.format(**kwargs) if kwargs else text


def label(table: dict[str, tuple[str, str]], code: str | None) -> str:
    if not code:
        return ""
    zh, en = table.get(code, (code, code))
    return en if _language == "en" else zh


def yuan(fen: int) -> str:
    return f"¥{fen / 100:,.0f}" if fen % 100 == 0 else f"¥{fen / 100:,.2f}"
