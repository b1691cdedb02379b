"""What each report column and code is called, in Chinese and English: workbook
headers, chart legends, the command line's tables and the Reports screen read
these, in the viewer's language. A column without an entry shows its code. Also
the few words every renderer shares (the total row, the notes sheet, the unit of
percentage points) and how a figure is shown as text."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from store.reports import ReportTable, Words

COLUMNS: dict[str, tuple[str, str]] = {
    # cuts
    "warranty": ("保修", "warranty"),
    "region": ("区域", "region"),
    "vehicle_age": ("车龄(年)", "vehicle age"),
    "model": ("车型", "model"),
    "sa": ("服务顾问", "SA"),
    "store": ("门店", "store"),
    "class": ("客户分类", "class"),
    # churn 流失分析 and the class mix
    "vehicles": ("车辆数", "vehicles"),
    "churned": ("流失", "churned"),
    "at_risk": ("将流失", "at risk"),
    "churn_rate": ("流失率%", "churn rate %"),
    "at_risk_rate": ("准流失率%", "at-risk rate %"),
    "max_churn_rate": ("最大可能流失率%", "max churn rate %"),
    "share": ("占比%", "share %"),
    "healthy_share": ("健康占比%", "healthy share %"),
    "gap": ("差距(百分点)", "gap (pp)"),
    "loyal": ("忠诚客户", "loyal"),
    "relatively_loyal": ("相对忠诚", "relatively loyal"),
    "general": ("一般客户", "general"),
    "unknown": ("未知", "unknown"),
    # calls 回访/邀约
    "adopted": ("领养车辆", "adopted"),
    "calls": ("电话", "calls"),
    "reached": ("接通", "reached"),
    "booked": ("预约", "booked"),
    "showed": ("到店", "showed"),
    "reach_rate": ("接通率%", "reach rate %"),
    "book_rate": ("预约率%", "booking rate %"),
    "show_rate": ("到店率%", "show rate %"),
    "adopted_since": ("领养起", "adopted since"),
    "compare_days": ("对比天数", "days compared"),
    "output_before": ("之前产值(元)", "output before ¥"),
    "output_after": ("之后产值(元)", "output after ¥"),
    "oil_share_before": ("之前油品%", "oil share before %"),
    "oil_share_after": ("之后油品%", "oil share after %"),
    # members 成效管理
    "key": ("代码", "key"),
    "metric": ("指标", "metric"),
    "note": ("说明", "note"),
    "label": ("名称", "label"),
    "role_label": ("岗位", "role"),
    "department_label": ("部门", "department"),
    "line": ("代码", "line"),
    "name": ("项目", "item"),
    "value": ("数值", "value"),
    "unit": ("单位", "unit"),
    "members": ("会员数", "members"),
    "month": ("月份", "month"),
    "new_members": ("新入会", "new members"),
    "members_in_force": ("在册会员", "members in force"),
    "renewals_due": ("应续会", "due to renew"),
    "renewed": ("已续会", "renewed"),
    "renewal_rate": ("续会率%", "renewal rate %"),
    "role": ("岗位代码", "role code"),
    "staff": ("员工", "staff"),
    "pitches": ("推荐次数", "pitches"),
    "pitched": ("推荐客户", "customers pitched"),
    "joined": ("入会", "joined"),
    "not_signed": ("已入会未办卡", "joined, not signed up"),
    "conversion": ("成交率%", "conversion %"),
    "bookings": ("邀约预约", "bookings"),
    "group": ("客户", "customers"),
    "visits": ("来店台次", "visits"),
    "spend": ("产值(元)", "spend ¥"),
    "spend_per_vehicle": ("单车产值(元)", "spend per vehicle ¥"),
    "spend_per_visit": ("单次产值(元)", "spend per visit ¥"),
    # complaints 投诉
    "complaints": ("投诉数", "complaints"),
    "severe": ("严重", "severe"),
    "open": ("未结", "open"),
    "resolved": ("已解决", "resolved"),
    "overdue": ("逾期", "overdue"),
    "reopened": ("重开", "reopened"),
    "reopened_share": ("重开占比%", "reopened share %"),
    "response_hours": ("首次回复(小时)", "response (hours)"),
    "resolution_days": ("解决(天)", "resolution (days)"),
    "category": ("类别", "category"),
    # satisfaction 满意度 (the questions' words: store.satisfaction.QUESTIONS)
    "callbacks": ("回访数", "callbacks"),
    "answered": ("有评分", "answered"),
    "response_rate": ("回访率%", "response rate %"),
    "responses": ("评分次数", "responses"),
    "low": ("低分", "low scores"),
    "repair_quality": ("维修质量", "repair quality"),
    "attitude": ("服务态度", "attitude"),
    "on_time": ("按时交车", "on-time delivery"),
    "price_clarity": ("价格透明", "price clarity"),
    "overall": ("总体满意", "overall"),
    # insurance renewals 续保
    "insurer": ("保险公司", "insurer"),
    "policies_due": ("到期保单", "policies due"),
    "renewed_here": ("本店续保", "renewed with us"),
    "renewed_other": ("他店续保", "renewed elsewhere"),
    "not_renewed": ("未续保", "not renewed"),
    "insurance_rate": ("续保率%", "insurance renewal rate %"),
    "insurance_here_rate": ("本店续保率%", "renewed with us %"),
    "premium_here": ("本店续保保费(元)", "premium renewed with us ¥"),
    "policies_sold": ("本店出单", "policies sold"),
    "premium_sold": ("本店出单保费(元)", "premium sold ¥"),
    # costs 会员服务费用核算
    "department": ("部门代码", "department code"),
    "item": ("项目", "item"),
    "income": ("收入(元)", "income ¥"),
    "cost": ("支出(元)", "costs ¥"),
    "costs": ("支出(元)", "costs ¥"),
    "opening": ("期初余额(元)", "opening ¥"),
    "closing": ("期末余额(元)", "closing ¥"),
    "aftersales": ("售后部", "after-sales"),
    "accessories": ("精品部", "accessories"),
    "club": ("会员俱乐部", "club"),
    # club events 会员活动
    "event_id": ("活动编号", "event no."),
    "event": ("活动", "event"),
    "event_date": ("活动日期", "date"),
    "event_kind": ("活动类型", "kind"),
    "capacity": ("名额", "capacity"),
    "signups": ("报名", "sign-ups"),
    "waitlist": ("候补", "waitlist"),
    "attended": ("签到", "attended"),
    "walk_ins": ("现场报名", "walk-ins"),
    "attendance_rate": ("到场率%", "attendance rate %"),
    "event_cost": ("活动费用(元)", "cost ¥"),
    "cost_per_attendee": ("人均费用(元)", "cost per attendee ¥"),
    "points_given": ("发放积分", "points given"),
    "visits_before": ("前90天来店", "visits 90 days before"),
    "visits_after": ("后90天来店", "visits 90 days after"),
    "spend_before": ("前90天产值(元)", "spend 90 days before ¥"),
    "spend_after": ("后90天产值(元)", "spend 90 days after ¥"),
    "days_after": ("活动后已过天数", "days after so far"),
}

# Values shown in words (a class code, a department, a member group...).
VALUES: dict[str, tuple[str, str]] = {
    "loyal": ("忠诚客户", "loyal"),
    "relatively_loyal": ("相对忠诚", "relatively loyal"),
    "general": ("一般客户", "general"),
    "at_risk": ("将流失", "at risk"),
    "churned": ("流失客户", "churned"),
    "unknown": ("未知", "unknown"),
    "in": ("保修内", "in warranty"),
    "out": ("保修外", "out of warranty"),
    "member": ("会员", "members"),
    "non_member": ("非会员", "non-members"),
    "income": ("收入", "income"),
    "aftersales": ("售后部", "after-sales"),
    "accessories": ("精品部", "accessories"),
    "club": ("会员俱乐部", "club"),
    "sa": ("服务顾问", "SA"),
    "ca": ("销售顾问", "CA"),
    "manager": ("店长", "manager"),
    "member_staff": ("会员专员", "member specialist"),
}


# Columns holding a code shown in words (:data:`VALUES`) on a screen or a printed table.
CODED = ("class", "warranty", "group", "department", "role")

TOTAL = Words("合计", "total")
NOTES_SHEET = Words("说明", "notes")
POINTS = Words("百分点", "pp")  # percentage points: never "%"
# The notes sheet's table of columns: what a header says, and the column's code in CSV and JSON.
NOTES_COLUMNS = (Words("列名", "column"), Words("代码", "code"))


def column_label(code: str, language: str = "zh") -> str:
    zh, en = COLUMNS.get(code, (code, code))
    return en if language == "en" else zh


def value_words(code) -> Words | None:
    """A code's words in both languages (the code itself where none are known)."""
    if code is None:
        return None
    zh, en = VALUES.get(str(code), (str(code), str(code)))
    return Words(zh, en)


def value_label(code, language: str = "zh") -> str:
    words = value_words(code)
    return "" if words is None else words.in_(language)


def shown_columns(table: ReportTable) -> list[str]:
    """The columns worth a reader's width on a screen or a printed table: a code
    beside its words (kept for CSV and JSON) is left out."""
    cols = table.columns
    return [c for c in cols if c not in ("key", "line") and f"{c}_label" not in cols
            and not (c in ("class", "group") and "label" in cols)]


def in_words(table: ReportTable, column: str) -> bool:
    """Whether a column's codes are shown as words: a coded column with no words
    beside it (warranty in/out reads 保修内/保修外; a class beside its label keeps its code)."""
    return column in CODED and column in shown_columns(table)


def figure_text(table: ReportTable, column: str, value, language: str = "zh") -> str:
    """A figure as a reader sees it: a percentage 42.86%, percentage points
    -1.80 百分点 / -1.80 pp, money and decimals 1,234.50, counts 1,234, a date
    2026-10-31; text as it is."""
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        if column in table.percent_columns:
            return f"{value:.2f}%"
        if column in table.point_columns:
            return f"{value:.2f} {POINTS.in_(language)}"
        if column in table.money_columns or isinstance(value, (Decimal, float)):
            return f"{value:,.2f}"
        return f"{value:,}"
    if isinstance(value, (date, datetime)):
        return value.isoformat()[:10]
    return str(value)
