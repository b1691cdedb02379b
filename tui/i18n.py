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
    # --- the counter: lookup, profile, pitch, follow-ups, help, palette ---
    "key.pitch": ("推荐入会", "Pitch"),
    "key.points": ("积分", "Points"),
    "key.bill": ("会员账单", "Member bill"),
    "key.save": ("保存", "Save"),
    "key.cancel": ("取消", "Cancel"),
    "key.followups": ("我的跟进", "My follow-ups"),
    "key.everyone": ("我的/全部", "Mine/all"),
    "key.commands": ("命令", "Commands"),
    "key.scroll": ("滚动", "Scroll"),
    "key.next_field": ("下一项", "Next field"),
    "key.outcome": ("选结果", "Outcome"),
    "key.refresh": ("刷新", "Refresh"),
    "app.acting": ("{store} · {staff}", "{store} · {staff}"),
    "lookup.followups_due": ("今天有 {n} 位客户待跟进，按 F2 查看", "{n} follow-ups due today: F2 to see them"),
    "loading": ("加载中…", "Loading…"),
    "profile.now": ("现在", "Now"),
    "profile.also": ("另外", "Also"),
    "profile.class": ("分类", "Class"),
    "profile.membership": ("会员", "Membership"),
    "profile.phone": ("电话", "Phone"),
    "profile.birthday": ("生日", "Birthday"),
    "profile.do_not_contact": ("勿扰客户", "Do not contact"),
    "profile.other_cars": ("名下还有", "Also owns"),
    "profile.insurance": ("保险到期", "Insurance to"),
    "profile.expires": ("到期", "Expires"),
    "profile.stored_value": ("储值", "Stored value"),
    "profile.expiring": ("{points} 分将于 {by} 过期", "{points} expire by {by}"),
    "profile.member_no": ("卡号", "No."),
    "profile.due": ("保养与关怀", "Maintenance and care"),
    "profile.nothing_due": ("没有到期的保养或关怀任务", "Nothing due"),
    "profile.complaints": ("未结投诉", "Open complaints"),
    "profile.pitches": ("推荐记录", "Pitches"),
    "profile.no_pitches": ("还没有推荐记录", "Never pitched"),
    "profile.not_found": ("找不到这辆车（可能已被删除）", "This vehicle is no longer on record"),
    "profile.no_points_screen": ("积分页面还没有开通", "The points screen is not available yet"),
    "profile.no_bill_screen": ("会员账单还没有开通", "The member bill is not available yet"),
    "profile.already_member": ("已是会员（{tier}），不用推荐", "Already a member ({tier}): no pitch needed"),
    "profile.no_customer": ("这辆车没有登记车主，无法推荐", "No owner on record for this car: nobody to pitch"),
    "action.complaint": ("有未结投诉（{since} 起）：先处理投诉", "open complaint since {since}: resolve it first"),
    "action.finish_join": ("{since} 已同意入会：办理入会", "said yes on {since}: finish the sign-up"),
    "action.follow_up": ("考虑中（{since} 起）：跟进", "considering since {since}: follow up"),
    "action.renew": ("会员 {expires_on} 到期：续会", "membership ends {expires_on}: renew"),
    "action.renew_expired": ("会员已于 {expires_on} 到期（{grace_end} 前可续）：续会",
                             "membership ended {expires_on} (renewable to {grace_end}): renew"),
    "action.at_risk": ("将流失：距上次来店 {months} 个月", "at risk: {months} months since the last visit"),
    "action.churned": ("已流失：{months} 个月没来店，欢迎回来", "churned: {months} months since the last visit, welcome back"),
    "action.pitch": ("非会员，从未推荐：推荐入会", "not a member, never pitched: pitch"),
    "action.pitch_again": ("非会员，{last_on} 推荐过（{outcome}）：再推荐", "not a member, pitched {last_on} ({outcome}): pitch again"),
    "action.ask_again": ("{since} 说暂不，跟进日已到：再问一次", "not now on {since}, follow-up due: ask again"),
    "action.birthday": ("本周生日（{on}）：送上祝福", "birthday this week ({on})"),
    "action.birthday_today": ("今天生日：送上祝福", "birthday today"),
    "action.top_up": ("储值余额 {balance}：提醒充值", "stored value {balance} left: suggest a top-up"),
    "action.maintenance": ("保养到期（{due_on}）：预约保养", "maintenance due {due_on}: book it"),
    "action.points_expiring": ("{points} 积分将于 {by} 过期：提醒兑换", "{points} points expire by {by}: suggest a redemption"),
    "action.none": ("暂无待办", "nothing pending"),
    "action.no_owner": ("车辆未登记车主", "no owner on record"),
    "pitch.title": ("推荐入会：{name}  {plate}", "Pitch the club: {name}  {plate}"),
    "pitch.outcome": ("结果", "Outcome"),
    "pitch.reason": ("原因", "Reason"),
    "pitch.reason_text": ("其他原因（可不填）", "other reason (optional)"),
    "pitch.follow_up": ("跟进", "Follow up"),
    "pitch.follow_up_hint": ("MM-DD / +天数", "MM-DD / +days"),
    "pitch.no_follow_up": ("入会无需跟进", "no follow-up for a member"),
    "pitch.channel": ("渠道", "Channel"),
    "pitch.note": ("备注", "Note"),
    "pitch.note_hint": ("备注（可不填）", "note (optional)"),
    "pitch.help": ("1-4 选结果 · Tab/↑↓ 换项 · ←→ 选择 · Enter 保存 · Esc 取消",
                   "1-4 outcome · Tab/↑↓ field · ←→ choose · Enter save · Esc cancel"),
    "pitch.recent": ("⚠ {on} {staff}已推荐过（{outcome}）：{days} 天内不宜再推", "⚠ pitched on {on} by {staff} ({outcome}), within {days} days"),
    "pitch.quiet": ("⚠ {on} 已拒绝：{until} 前不再推荐", "⚠ declined on {on}: not to be pitched again before {until}"),
    "pitch.choose_outcome": ("先按 1-4 选结果", "Choose an outcome first (1-4)"),
    "pitch.bad_date": ("跟进日期看不懂：{text}", "Cannot read the follow-up date: {text}"),
    "pitch.past_date": ("跟进日期不能早于今天", "The follow-up date cannot be in the past"),
    "pitch.saved": ("已记录：{outcome}", "Saved: {outcome}"),
    "pitch.saved_follow": ("已记录：{outcome}，{date} 跟进", "Saved: {outcome}, follow up on {date}"),
    "pitch.join_intent": ("已记录入会意向；会员办理功能还没有开通，请稍后办理",
                          "Recorded the intent to join; membership sign-up is not available here yet"),
    "followups.title": ("我的跟进：{staff}", "My follow-ups: {staff}"),
    "followups.title_all": ("全部员工的跟进", "Everyone's follow-ups"),
    "followups.none": ("没有到期的跟进", "No follow-ups due"),
    "followups.count": ("{n} 位待跟进，Enter 打开", "{n} due; Enter opens"),
    "col.due": ("跟进日", "Due"),
    "col.overdue": ("逾期天数", "Days late"),
    "col.outcome": ("结果", "Outcome"),
    "col.pitched": ("推荐日", "Pitched"),
    "col.reason": ("原因 / 备注", "Reason / note"),
    "col.staff": ("推荐人", "By"),
    "col.what": ("事项", "What"),
    "col.key": ("按键", "Key"),
    "help.title": ("按键一览（Esc 关闭）", "Every key (Esc closes)"),
    "help.here": ("本页", "This screen"),
    "help.everywhere": ("任何页面", "Anywhere"),
    "help.screens": ("页面", "Screens"),
    "help.palette": ("命令面板：跳到车牌、客户、页面或操作", "Command palette: jump to a plate, a customer, a screen or an action"),
    "cmd.vehicle": ("车辆 {plate}  {owner}  {model}", "Vehicle {plate}  {owner}  {model}"),
    "cmd.customer": ("客户 {owner}  {plate}", "Customer {owner}  {plate}"),
    "cmd.lookup": ("在查找页查“{q}”", "Look up “{q}”"),
    "cmd.screen": ("打开：{name}", "Open: {name}"),
    "cmd.action": ("操作：{name}", "Action: {name}"),
    "cmd.placeholder": ("车牌、姓名、页面或操作…", "Plate, name, screen or action…"),
    "signin.title": ("请登录", "Sign in"),
    "signin.code": ("工号", "Staff code"),
    "signin.pin": ("密码 (PIN)", "PIN"),
    "first.title": ("新数据库：请先建立店长账号", "A new database: create the store manager first"),
    "first.store_name": ("门店名称", "Store name"),
    "first.code": ("店长工号", "Manager's staff code"),
    "first.name": ("店长姓名", "Manager's name"),
    "first.pin": ("密码 (4-8位数字)", "PIN (4-8 digits)"),
    "first.pin2": ("再输一次密码", "PIN again"),
    "first.pins_differ": ("两次密码不一致", "The two PINs differ"),
    # --- adoption 客户领养 and the daily call list 今日回访 ---
    "calls.progress": ("已完成 {done}/{total}", "done {done} of {total}"),
    "calls.held_back": ("达联系上限暂缓 {n} 位（{days} 天内 {cap} 次）", "{n} held back by the cap ({cap} in {days} days)"),
    "calls.try": ("第 {n}/{of} 次", "try {n} of {of}"),
    "calls.form_title": ("{outcome}：{name}  {plates}", "{outcome}: {name}  {plates}"),
    "calls.when": ("到店", "Arrives"),
    "calls.callback": ("回电", "Call back"),
    "calls.callback_hint": ("约定回电日期（可不填）MM-DD / +天数", "callback date (optional) MM-DD / +days"),
    "calls.reason": ("原因", "Reason"),
    "calls.reason_text": ("其他原因", "other reason"),
    "calls.car": ("车辆", "Car"),
    "calls.note": ("备注", "Note"),
    "calls.note_hint": ("备注（可不填）", "note (optional)"),
    "calls.form_help": ("Tab/↑↓ 换项 · ←→ 选择 · Enter 保存 · Esc 取消", "Tab/↑↓ field · ←→ choose · Enter save · Esc cancel"),
    "calls.past": ("预约时间已过", "That time has passed"),
    "calls.callback_future": ("回电日期要在今天之后", "The callback date must be after today"),
    "calls.bad_input": ("看不懂：{e}", "Cannot read it: {e}"),
    "calls.need_reason": ("请选择或填写原因", "Choose or type a reason"),
    "calls.need_car": ("请选择哪辆车", "Choose the car"),
    "calls.key.outcomes": ("结果", "Outcome"),
    "calls.key.dial": ("显示号码", "Dial"),
    "calls.key.next_sa": ("下一位顾问", "Next SA"),
    "calls.key.day": ("前一天/后一天", "Day"),
    "calls.arrivals_title": ("预约到店（{n}）", "Expected arrivals ({n})"),
    "calls.col.n": ("#", "#"),
    "calls.col.status": ("状态", "Status"),
    "calls.col.customer": ("客户", "Customer"),
    "calls.col.phone": ("电话", "Phone"),
    "calls.col.plates": ("车牌", "Plates"),
    "calls.col.reasons": ("原因", "Why"),
    "calls.col.time": ("时间", "Time"),
    "calls.col.plate": ("车牌", "Plate"),
    "calls.col.sa": ("顾问", "SA"),
    "calls.col.arrived": ("已到店", "Arrived"),
    "calls.no_sa": ("本店还没有服务顾问", "This store has no service advisor yet"),
    "calls.empty": ("今天没有要打的电话", "No calls to make today"),
    "calls.contacts": ("{days} 天内已联系 {n} 次", "{n} contacts in {days} days"),
    "calls.value": ("产值 {v}", "output {v}"),
    "calls.done_by": ("{who}：{outcome}", "{who}: {outcome}"),
    "calls.not_today": ("只能记录今天的电话", "Calls are logged on today's list only"),
    "calls.logged": ("已记录：{name} {outcome}", "Logged: {name} {outcome}"),
    "calls.logged_appt": ("预约 {at}", "appointment {at}"),
    "calls.retry": ("{on} 再打", "try again {on}"),
    "calls.no_more_tries": ("已打 {n} 次无人接，暂停", "{n} tries unanswered: paused"),
    "calls.own_only": ("服务顾问只看自己的名单", "An SA sees only their own list"),
    "calls.dnc_mark": ("（勿扰）", "(do not contact)"),
    "adoption.tab.assign": ("分配", "Assignments"),
    "adoption.tab.results": ("效果", "Results"),
    "adoption.key.move": ("调整顾问", "Move car"),
    "adoption.key.assign": ("分配", "Assignments"),
    "adoption.key.results": ("效果", "Results"),
    "adoption.key.period": ("统计期间", "Period"),
    "adoption.col.sa": ("服务顾问", "SA"),
    "adoption.col.code": ("工号", "Code"),
    "adoption.col.cars": ("车辆", "Cars"),
    "adoption.col.oil": ("油品(12月)", "Oil 12m"),
    "adoption.col.output": ("产值(12月)", "Output 12m"),
    "adoption.col.since": ("领养起", "Since"),
    "adoption.col.plate": ("车牌", "Plate"),
    "adoption.col.owner": ("车主", "Owner"),
    "adoption.col.model": ("车型", "Model"),
    "adoption.col.how": ("方式", "How"),
    "adoption.how.plate": ("按尾号", "by plate"),
    "adoption.how.hand": ("手工", "by hand"),
    "adoption.unassigned": ("未分配", "Unassigned"),
    "adoption.status": ("已领养 {held} 辆 · 未分配 {loose} 辆 · Tab 切换 · m 调整顾问", "{held} cars adopted · {loose} unassigned · Tab switches · m moves"),
    "adoption.managers_only": ("只有店长可以分配客户", "Only the store manager assigns customers"),
    "adoption.choose_car": ("先在右边选一辆车（Tab）", "Choose a car on the right first (Tab)"),
    "adoption.move_title": ("{plate} 交给哪位顾问？", "Who takes {plate}?"),
    "adoption.move_help": ("按数字选择 · ↑↓ Enter · Esc 取消", "A digit picks · ↑↓ Enter · Esc cancels"),
    "adoption.moved": ("{plate}：{frm} → {to}", "{plate}: {frm} → {to}"),
    "adoption.results_title": ("{start} 至 {end}（{days} 天）· p 切换期间", "{start} to {end} ({days} days) · p changes it"),
    "adoption.results_note": ("对比：每位顾问首次领养前后相同天数的产值与油品占比（按工单上的服务顾问）",
                              "Before/after: each SA's output and oil share over the same number of days before and after their first adoption (by the SA on the repair order)"),
    "adoption.total": ("合计", "Total"),
    "adoption.rcol.store": ("门店", "Store"),
    "adoption.rcol.sa": ("服务顾问", "SA"),
    "adoption.rcol.adopted": ("领养车辆", "Adopted"),
    "adoption.rcol.calls": ("电话", "Calls"),
    "adoption.rcol.reached": ("接通", "Reached"),
    "adoption.rcol.booked": ("预约", "Booked"),
    "adoption.rcol.showed": ("到店", "Showed"),
    "adoption.rcol.reach_rate": ("接通率%", "Reach %"),
    "adoption.rcol.book_rate": ("预约率%", "Book %"),
    "adoption.rcol.show_rate": ("到店率%", "Show %"),
    "adoption.rcol.adopted_since": ("领养起", "Since"),
    "adoption.rcol.compare_days": ("对比天数", "Days"),
    "adoption.rcol.output_before": ("之前产值", "Output before"),
    "adoption.rcol.output_after": ("之后产值", "Output after"),
    "adoption.rcol.oil_share_before": ("之前油品%", "Oil % before"),
    "adoption.rcol.oil_share_after": ("之后油品%", "Oil % after"),
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

# The counter's code tables (values stored in English codes, shown in words).
OUTCOMES = {"joined": ("已入会", "joined"), "considering": ("考虑中", "considering"),
            "declined": ("拒绝", "declined"), "not_now": ("暂不", "not now")}
CHANNELS = {"counter": ("前台", "counter"), "delivery": ("交车", "delivery"), "phone": ("电话", "phone")}
SCHEMES = {"annual": ("年费制", "annual fee"), "stored": ("存款制", "stored value"), "both": ("年费+存款", "fee + stored")}
MEMBER_STATUS = {"active": ("有效", "active"), "lapsed": ("已过期", "lapsed"), "left": ("已退会", "left")}
CLASS_LABELS = {"loyal": ("忠诚客户", "loyal"), "relatively_loyal": ("相对忠诚", "relatively loyal"),
                "general": ("一般客户", "general"), "at_risk": ("将流失", "at risk"),
                "churned": ("流失客户", "churned"), "unknown": ("未知", "unknown")}
# Pitch reasons are stored in the store's words (store.pitches.REASONS); English for display.
REASON_WORDS_EN = {
    "折扣优惠": "discounts", "积分兑换": "points", "储值方便": "stored value", "免费项目": "free services",
    "和家人商量": "ask the family", "考虑费用": "thinking about the fee", "下次来店再定": "decide next visit",
    "比较其他店": "comparing stores", "价格": "price", "很少来店": "rarely comes", "外地工作": "works elsewhere",
    "在别家保养": "services elsewhere", "不感兴趣": "not interested", "准备卖车": "selling the car",
    "赶时间": "in a hurry", "下次来店再说": "next visit",
}


def reason_words(text: str | None) -> str:
    """A stored pitch reason in the user's language (free text stays as typed)."""
    if not text or _language != "en":
        return text or ""
    return "; ".join(REASON_WORDS_EN.get(part, part) for part in text.split("；"))


def short_date(day, today) -> str:
    """MM-DD within this year, the full date otherwise."""
    if day is None:
        return ""
    return day.strftime("%m-%d") if day.year == today.year else day.isoformat()
