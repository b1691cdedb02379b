"""The service advisor's daily call list 回访/邀约 and working a call.

Who is on an SA's list for day D (:func:`call_list`), one row per customer with
every reason merged into it:

| priority | reason | from |
| --- | --- | --- |
| 0 | complaint 投诉处理回访: a resolved complaint's confirmation call, never held back by the contact cap or the quiet days | :mod:`store.complaints` (a ``complaint_confirm`` care task) |
| 1 | callback 约定回电: the SA promised to call back on or before D (a "reached" call with a callback date), or their club pitch follow-up 会员推荐跟进 is due (considering / not now); either at most ``call_follow_up_max_age_days`` (60) past its date, older ones have gone stale (oldest first) | :class:`~store.models.CallLog`, :func:`store.pitches.follow_ups` |
| 2 | overdue 保养逾期: an adopted car's maintenance is past due (most days first) | :func:`store.maintenance.maintenance_due_all` |
| 3 | due soon 保养将到期: due within ``call_due_within_days`` (15) days, today included (soonest first) | the same |
| 4 | at risk 将流失: an adopted car's class is at risk (longest away first) | :func:`store.classes.classified` |
| 5 | care 客户关怀: open care-calendar tasks due (owned by the SA, or of a customer adopted to them); a club event's invitation 活动邀约 among them (outcomes signed up / not interested / no answer: :func:`store.events.answer_invitation`) | :mod:`store.care`, :mod:`store.events` |

Rows sort by their most urgent reason, then within it as the table says, then by
the customer's value (the adopted cars' output), then customer id. Rows already
worked today move below the rest; the day's progress is done of total.

Who is never on a list: customers marked do-not-contact (``Customer.do_not_contact``),
reasons about sold cars (``Vehicle.sold_on``); customers with an appointment pending;
customers in their quiet time after a call (the last call's ``callback_on`` if it
set one, else ``call_quiet_days`` per outcome: reached 30, refused 90, wrong number
180, no answer 30 once the tries are used up); and customers already contacted
``contact_cap_per_period`` (2) times in the last ``contact_cap_period_days`` (30)
days — every call log row counts, any outcome, any staff member, any kind of
call (care calls too). Those held back by the cap are counted on the list.

The list is worked out as of the start of D (calls logged on D do not move
anyone on or off it); a customer with a call logged on D, by anyone, is done.

Outcomes of a call (:func:`log_call`):

| outcome | Chinese | what happens next |
| --- | --- | --- |
| booked | 已预约 | an :class:`~store.models.Appointment` at the date and time given (a pending one is replaced); shows in the profile and the day's expected arrivals |
| reached | 已接通未预约 | quiet for 30 days, or a callback on the date the SA gives |
| no_answer | 无人接听 | try again tomorrow, up to ``call_no_answer_max_tries`` (3) tries in a row; then quiet |
| wrong_number | 号码错误 | quiet (the number needs fixing) |
| refused | 拒绝 | with a reason; quiet 90 days |
| sold | 已卖车 | the car is marked sold (``sold_on``), its adoption ends, its pending appointments are cancelled |
| do_not_contact | 勿扰 | with a reason; the customer is marked do-not-contact and leaves every list |
| renewed_here | 本店续保 | an insurance renewal reminder's answer: renewed with us (:func:`store.insurance.record_reported_renewal`); quiet as reached |
| renewed_other | 他店续保 | renewed elsewhere, with the insurer named; the same, not sold by the store |

An insurance renewal reminder 续保提醒 (a care task of kind ``insurance`` on the
row, its cars in :attr:`CallRow.renewal_vehicle_ids`) has four answers, two of
them the outcomes above and two the common ones said in its words: not yet 暂未续保
is ``reached`` with the day to call back, refused 拒绝续保 is ``refused`` with a
reason (:data:`RENEWAL_REFUSAL_REASONS` offered). Renewed with us or elsewhere is
a fact the renewal rate counts (a policy told on the phone, see
:mod:`store.insurance`) until the real policy arrives and replaces it.

A call on a customer who is at the contact cap is refused, as is any call on a
do-not-contact customer. Care tasks covered by the call are closed through
:func:`store.care.close_task` (done when the customer was reached, dismissed for a
wrong number, a sold car, do-not-contact or the last unanswered try); an
unanswered try moves the task's next attempt to tomorrow.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlmodel import Session

from store import clock
from store.validation import FieldError, clean_text
from store.access import AccessDenied, Actor, require, require_customer_access
from store.audit import record
from store.dates import whole_months_between
from store.models import Adoption, Appointment, CallLog, CareTask, Customer, Staff, Vehicle, Visit
from store.privacy import mask_phone
from store.settings import get_settings

OUTCOMES: dict[str, tuple[str, str]] = {
    "booked": ("已预约", "booked"),
    "reached": ("已接通未预约", "reached, no booking"),
    "no_answer": ("无人接听", "no answer"),
    "wrong_number": ("号码错误", "wrong number"),
    "refused": ("拒绝", "refused"),
    "sold": ("已卖车", "sold the car"),
    "do_not_contact": ("勿扰", "do not contact"),
    "renewed_here": ("本店续保", "renewed with us"),
    "renewed_other": ("他店续保", "renewed elsewhere"),
}
RENEWED = ("renewed_here", "renewed_other")
# Outcomes where the customer was on the line.
REACHED = ("booked", "reached", "refused", "sold", "do_not_contact", *RENEWED)
NEEDS_REASON = ("refused", "do_not_contact")
CHANNELS = ("phone", "sms", "wechat")

# Reasons offered as choices (stored as these words; free text may replace or extend them).
# Refusals: the reasons customers gave in the adoption case study.
REFUSAL_REASONS = ("价格", "在别家保养", "路程远", "没时间", "服务不满意", "不需要")
DNC_REASONS = ("客户要求勿扰", "投诉", "号码停机")
# Why a customer will not renew their insurance with the store.
RENEWAL_REFUSAL_REASONS = ("价格", "保险公司已联系", "理赔体验", "不再投保")
RENEWAL_NOT_YET = "暂未续保"  # the reason a "not yet" (reached, call back) carries

REASONS: dict[str, tuple[str, str, int]] = {  # code: (zh, en, priority)
    "complaint": ("投诉处理回访", "complaint follow-up", 0),
    "callback": ("约定回电", "callback", 1),
    "follow_up": ("会员推荐跟进", "club follow-up", 1),
    "overdue": ("保养逾期", "maintenance overdue", 2),
    "due_soon": ("保养将到期", "maintenance due soon", 3),
    "at_risk": ("将流失", "at risk", 4),
    "care": ("客户关怀", "care", 5),
    "event": ("活动邀约", "event invitation", 5),
}
# Care-task kinds the list's own maintenance and class reasons already say in words.
CARE_KINDS_SAID = {"overdue": ("overdue", "due_soon"), "first_maintenance": ("overdue", "due_soon"),
                   "not_returned": ("at_risk", "overdue")}
MAX_REASON = 255
MAX_NOTE = 500
APPOINTMENT_OPEN = ("booked",)


class CallError(ValueError):
    """A call that cannot be logged as given (the message says why)."""


class CapReached(CallError):
    pass


# --- what a row says ----------------------------------------------------------------


@dataclass
class Reason:
    code: str
    zh: str
    en: str
    vehicle_id: int | None = None
    plate: str | None = None
    due_on: date | None = None
    sort: tuple = ()
    task_id: int | None = None
    pitch_id: int | None = None

    @property
    def priority(self) -> int:
        return REASONS[self.code][2]

    def text(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "priority": self.priority, "text": self.zh, "text_en": self.en,
                "vehicle_id": self.vehicle_id, "plate": self.plate,
                "due_on": self.due_on.isoformat() if self.due_on else None,
                "task_id": self.task_id, "pitch_id": self.pitch_id}


@dataclass
class CallRow:
    customer_id: int
    name: str
    phone: str | None  # masked; reveal_phone() shows it in full, logged
    reasons: list[Reason]
    vehicle_id: int | None  # the car the top reason is about
    plates: list[str]
    value_fen: int  # the adopted cars' output over the adoption window
    attempt: int = 1  # the try this call will be (no answer before: 2, 3)
    max_tries: int = 3
    contacts_in_period: int = 0
    complaint_ids: list[int] = field(default_factory=list)  # resolved complaints this call confirms
    asks_scores: bool = False  # an after-service callback: reached, it records the customer's scores
    renewal_vehicle_ids: list[int] = field(default_factory=list)  # cars with an insurance renewal reminder
    task_ids: list[int] = field(default_factory=list)  # every care task the call covers
    done: bool = False
    outcome: str | None = None  # today's last outcome
    outcome_by: str | None = None
    appointment_at: datetime | None = None  # booked today

    @property
    def priority(self) -> int:
        return min(r.priority for r in self.reasons)

    @property
    def top(self) -> Reason:
        return self.reasons[0]

    def reason_text(self, lang: str = "zh", sep: str = "；") -> str:
        return sep.join(r.text(lang) for r in self.reasons)

    def as_dict(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id, "customer": self.name, "phone": self.phone,
            "priority": self.priority, "reason_codes": [r.code for r in self.reasons],
            "reasons": [r.as_dict() for r in self.reasons], "vehicle_id": self.vehicle_id, "plates": self.plates,
            "value_fen": self.value_fen, "attempt": self.attempt, "max_tries": self.max_tries,
            "contacts_in_period": self.contacts_in_period, "task_ids": self.task_ids, "complaint_ids": self.complaint_ids, "asks_scores": self.asks_scores,
            "renewal_vehicle_ids": self.renewal_vehicle_ids, "done": self.done,
            "outcome": self.outcome, "outcome_by": self.outcome_by,
            "appointment_at": self.appointment_at.isoformat(timespec="minutes") if self.appointment_at else None,
        }


@dataclass
class CallList:
    staff_id: int
    staff_code: str
    staff_name: str
    store_id: int
    day: date
    rows: list[CallRow]
    held_back: list[CallRow]  # would be on the list but for the contact cap
    cap: int
    cap_days: int

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def done(self) -> int:
        return sum(1 for r in self.rows if r.done)

    def as_dict(self) -> dict[str, Any]:
        return {
            "date": self.day.isoformat(), "staff": self.staff_name, "staff_code": self.staff_code,
            "done": self.done, "total": self.total,
            "contact_cap": {"contacts": self.cap, "days": self.cap_days, "held_back": len(self.held_back)},
            "rows": [r.as_dict() for r in self.rows],
            "held_back": [r.as_dict() for r in self.held_back],
        }


# --- rules in one place -------------------------------------------------------------


@dataclass(frozen=True)
class CallRules:
    due_within_days: int = 15
    max_tries: int = 3
    cap: int = 2
    cap_days: int = 30
    quiet_days: tuple[tuple[str, int], ...] = (("reached", 30), ("refused", 90), ("wrong_number", 180),
                                               ("no_answer", 30))
    show_window_days: int = 3
    care_catch_up_days: int = 7
    follow_up_max_age_days: int = 60

    @classmethod
    def load(cls, session: Session, store_id: int | None) -> CallRules:
        s = get_settings(session, store_id=store_id)
        return cls(
            due_within_days=int(s["call_due_within_days"]), max_tries=max(1, int(s["call_no_answer_max_tries"])),
            cap=int(s["contact_cap_per_period"]), cap_days=max(1, int(s["contact_cap_period_days"])),
            quiet_days=tuple((k, int(v)) for k, v in dict(s["call_quiet_days"] or {}).items()),
            show_window_days=int(s["call_show_window_days"]), care_catch_up_days=int(s["care_catch_up_days"]),
            follow_up_max_age_days=int(s["call_follow_up_max_age_days"]),
        )

    def quiet(self, outcome: str) -> int:
        days = dict(self.quiet_days)
        return days.get(outcome, days.get("reached", 0) if outcome in RENEWED else 0)

    def cap_start(self, day: date) -> datetime:
        """The first moment of the cap's period that ends with ``day``."""
        return datetime.combine(day - timedelta(days=self.cap_days - 1), time.min)


def eligible_after(last: CallLog | None, rules: CallRules, day: date) -> bool:
    """Whether the last call (before ``day``) leaves the customer callable on ``day``."""
    if last is None:
        return True
    if last.callback_on is not None:
        return day >= last.callback_on
    return day >= last.at.date() + timedelta(days=rules.quiet(last.outcome))


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min)


def _chunks(ids, n: int = 900):
    ids = list(ids)
    for i in range(0, len(ids), n):
        yield ids[i:i + n]


def contacts_in_period(session: Session, customer_ids, *, day: date, rules: CallRules,
                       include_day: bool = True) -> dict[int, int]:
    """Contacts per customer in the cap's period ending with ``day`` (all of ``day``
    when ``include_day``, else up to its start): every call log row, except that the
    retries of one unanswered attempt (no answer, try 2 and 3) count with its first
    try as one contact, so the default 3 tries fit under the default cap of 2."""
    end = _day_start(day + timedelta(days=1)) if include_day else _day_start(day)
    out: dict[int, int] = {}
    for chunk in _chunks(customer_ids):
        out.update(session.execute(
            select(CallLog.customer_id, func.count()).where(
                CallLog.customer_id.in_(chunk), CallLog.at >= rules.cap_start(day), CallLog.at < end,
                or_(CallLog.outcome != "no_answer", CallLog.attempt <= 1))
            .group_by(CallLog.customer_id)).all())
    return out


# --- building the list --------------------------------------------------------------


def require_list_access(actor: Actor, staff: Staff) -> None:
    """An SA works their own list; a manager (or the system) sees anyone's in their store."""
    if actor.role == "system":
        return
    if actor.store_id is not None and staff.store_id != actor.store_id:
        raise AccessDenied("this staff member works in another store")
    if actor.role == "manager" or actor.staff_id == staff.id:
        return
    raise AccessDenied("an SA sees only their own call list")


def _care_reasons(session: Session, *, staff_id: int, store_id: int, day: date, rules: CallRules,
                  adopted_customers: set[int]) -> list[tuple[int, Reason, str]]:
    """Care tasks due (each while still useful, see :func:`store.care.still_useful`)
    that are this SA's: of a customer adopted to them, or owned by them when nobody
    else holds the customer. As the day began: a task a call closed or put off today
    still counts, so the day's list keeps the customers worked on it. Returns
    (customer, reason, task kind)."""
    from store.care import KINDS, still_useful, task_words

    start = day - timedelta(days=rules.care_catch_up_days)
    day_start = _day_start(day)
    called_today = set(session.execute(
        select(CallLog.customer_id).where(CallLog.store_id == store_id, CallLog.at >= day_start,
                                          CallLog.at < _day_start(day + timedelta(days=1)))).scalars())
    base = (
        select(CareTask, Vehicle.plate).join(Vehicle, Vehicle.id == CareTask.vehicle_id, isouter=True)
        .where(CareTask.store_id == store_id, CareTask.due_on >= start, CareTask.due_on <= day,
               or_(CareTask.status == "open",
                   and_(CareTask.status.in_(("done", "dismissed")), CareTask.closed_at >= day_start)))
    )
    rows = []
    for chunk in _chunks(adopted_customers):
        rows += session.execute(base.where(CareTask.customer_id.in_(chunk))).all()
    owned = session.execute(base.where(CareTask.owner_staff_id == staff_id,
                                       CareTask.customer_id.notin_(adopted_customers or {-1}))).all()
    if owned:
        held_elsewhere = {cid for (cid,) in session.execute(
            select(Vehicle.customer_id).join(Adoption, Adoption.vehicle_id == Vehicle.id)
            .where(Vehicle.customer_id.in_({t.customer_id for t, _ in owned}), Adoption.staff_id != staff_id,
                   Adoption.started_on <= day, or_(Adoption.ended_on.is_(None), Adoption.ended_on > day))).all()}
        rows += [(t, p) for t, p in owned if t.customer_id not in held_elsewhere]
    out = []
    for t, plate in rows:
        if t.next_attempt_on is not None and t.next_attempt_on > day and t.customer_id not in called_today:
            continue  # put off by an earlier day's unanswered try
        if not still_useful(t.kind, t.due_on, day, rules.care_catch_up_days):
            continue
        zh, en = task_words(t, day)
        if not en:
            label = KINDS.get(t.kind, (t.kind, t.kind))
            zh, en = zh or label[0], label[1]
        if plate:
            zh, en = f"{plate} {zh}", f"{plate} {en}"
        code = {"complaint_confirm": "complaint", "event_invite": "event"}.get(t.kind, "care")
        out.append((t.customer_id, Reason(code, zh, en or zh, t.vehicle_id, plate, t.due_on,
                                          (t.due_on.toordinal(), t.id), task_id=t.id), t.kind))
    return out


def call_list(session: Session, *, staff_id: int, actor: Actor, day: date | None = None) -> CallList:
    """The day's list of one SA (see the module's docstring for every rule)."""
    from store.classes import classified
    from store.maintenance import maintenance_due_all
    from store.pitches import follow_ups

    day = day or clock.today()
    staff = session.get(Staff, staff_id)
    if staff is None:
        raise CallError(f"no staff member {staff_id}")
    require_list_access(actor, staff)
    store_id = staff.store_id
    rules = CallRules.load(session, store_id)
    start = _day_start(day)

    # The SA's adopted cars on the day, sold cars and do-not-contact owners left out.
    adopted = session.execute(
        select(Adoption.vehicle_id, Vehicle.customer_id, Vehicle.plate, Adoption.rank_value_fen)
        .join(Vehicle, Vehicle.id == Adoption.vehicle_id).join(Customer, Customer.id == Vehicle.customer_id)
        .where(Adoption.staff_id == staff_id, Adoption.started_on <= day,
               or_(Adoption.ended_on.is_(None), Adoption.ended_on > day),
               or_(Vehicle.sold_on.is_(None), Vehicle.sold_on > day), Customer.do_not_contact.is_(False))
    ).all()
    car_owner = {vid: cid for vid, cid, _, _ in adopted}
    plates = {vid: plate for vid, _, plate, _ in adopted}
    value: dict[int, int] = defaultdict(int)
    for _vid, cid, _, v in adopted:
        value[cid] += int(v or 0)
    reasons: dict[int, list[Reason]] = defaultdict(list)
    vids = list(car_owner)

    if vids:
        due = maintenance_due_all(session, as_of=day, vehicle_ids=vids)
        soon = day + timedelta(days=rules.due_within_days)
        for r in due.iter_rows(named=True):
            d, vid = r["due_on"], r["vehicle_id"]
            if d is None or d > soon:
                continue
            what_zh, what_en = ("首保", "first maintenance") if r["kind"] == "first" else ("保养", "maintenance")
            late = int(r["days_overdue"] or 0)
            if late > 0:
                reasons[car_owner[vid]].append(Reason(
                    "overdue", f"{plates[vid]} {what_zh}已逾期 {late} 天（{d} 到期）",
                    f"{plates[vid]} {what_en} {late} days overdue (due {d})", vid, plates[vid], d, (-late,)))
            else:
                left = (d - day).days
                when_zh = "今天到期" if left == 0 else f"{left} 天后到期"
                when_en = "due today" if left == 0 else f"due in {left} days"
                reasons[car_owner[vid]].append(Reason(
                    "due_soon", f"{plates[vid]} {what_zh}{when_zh}（{d}）", f"{plates[vid]} {what_en} {when_en} ({d})",
                    vid, plates[vid], d, (d.toordinal(),)))
        for r in classified(session, as_of=day, vehicle_ids=vids).filter(
                (_col("class") == "at_risk") & _col("in_park")).iter_rows(named=True):
            vid, since = r["vehicle_id"], r["since"]
            months = whole_months_between(since, day)
            reasons[car_owner[vid]].append(Reason(
                "at_risk", f"{plates[vid]} 将流失：{months} 个月未回厂（最近 {since}）",
                f"{plates[vid]} at risk: away {months} months (last {since})", vid, plates[vid], since,
                (since.toordinal(),)))

    stale = day - timedelta(days=rules.follow_up_max_age_days)
    for f in follow_ups(session, as_of=day, staff_id=staff_id, store_id=store_id, actor=actor,
                        answered_before=start):
        if f.due_on < stale:
            continue
        p = f.pitch
        what = {"considering": ("考虑中", "considering"), "not_now": ("暂不", "not now")}.get(p.outcome, (p.outcome,) * 2)
        reasons[p.customer_id].append(Reason(
            "follow_up", f"会员推荐跟进：{p.pitched_at.date()} {what[0]}，约 {f.due_on} 跟进",
            f"club follow-up: {what[1]} on {p.pitched_at.date()}, due {f.due_on}", p.vehicle_id, f.plate, f.due_on,
            (f.due_on.toordinal(),), pitch_id=p.id))

    adopted_customers = set(car_owner.values())
    care = _care_reasons(session, staff_id=staff_id, store_id=store_id, day=day, rules=rules,
                         adopted_customers=adopted_customers)
    care_kinds: dict[int, list[tuple[Reason, str]]] = defaultdict(list)
    for cid, reason, kind in care:
        care_kinds[cid].append((reason, kind))

    # Callbacks this SA promised (the last call of the customer says when).
    promised = session.execute(
        select(CallLog.customer_id).where(CallLog.staff_id == staff_id, CallLog.outcome == "reached",
                                          CallLog.callback_on.is_not(None), CallLog.callback_on <= day,
                                          CallLog.callback_on >= stale, CallLog.at < start)
    ).scalars().all()

    customers = set(reasons) | set(care_kinds) | set(promised)
    if not customers:
        return CallList(staff_id, staff.code, staff.name, store_id, day, [], [], rules.cap, rules.cap_days)

    people = {}
    for chunk in _chunks(customers):
        for c in session.execute(select(Customer).where(Customer.id.in_(chunk))).scalars():
            people[c.id] = c
    sold = set()
    for chunk in _chunks(customers):
        sold.update(vid for (vid,) in session.execute(
            select(Vehicle.id).where(Vehicle.customer_id.in_(chunk), Vehicle.sold_on.is_not(None),
                                     Vehicle.sold_on <= day)).all())
    last_before, today_calls = _calls_around(session, customers, day)
    pending = _pending_appointments(session, customers, day)
    contacts = contacts_in_period(session, customers, day=day, rules=rules, include_day=False)
    staff_names = _staff_names(session, {c.staff_id for c in today_calls.values()})

    rows: list[CallRow] = []
    held: list[CallRow] = []
    for cid in customers:
        c = people.get(cid)
        if c is None or c.do_not_contact:
            continue
        last = last_before.get(cid)
        mine = [r for r in reasons.get(cid, []) if r.vehicle_id not in sold]
        # A pitch follow-up is answered by any call on or after its date.
        mine = [r for r in mine if not (r.code == "follow_up" and last is not None and r.due_on is not None
                                        and last.at.date() >= r.due_on)]
        if (cid in promised and last is not None and last.outcome == "reached" and last.staff_id == staff_id
                and last.callback_on is not None and last.callback_on <= day):
            mine.insert(0, Reason("callback", f"约定 {last.callback_on} 回电（{last.at.date()} 通话）",
                                  f"callback promised for {last.callback_on} (call of {last.at.date()})",
                                  last.vehicle_id, None, last.callback_on, (last.callback_on.toordinal(),)))
        said = {(r.vehicle_id, r.code) for r in mine}
        task_ids, confirming, scoring, renewals = [], [], False, []
        for reason, kind in care_kinds.get(cid, []):
            if reason.vehicle_id in sold:
                continue
            task_ids.append(reason.task_id)
            if kind == "insurance" and reason.vehicle_id is not None and reason.vehicle_id not in renewals:
                renewals.append(reason.vehicle_id)
            if kind == "complaint_confirm":
                confirming.append(reason.task_id)
            if kind in ("repair_callback", "problem_callback"):
                scoring = True
            if any((reason.vehicle_id, code) in said for code in CARE_KINDS_SAID.get(kind, ())):
                continue  # the list already says it; the task still closes with the call
            mine.append(reason)
        if not mine:
            continue
        if cid in pending:
            continue
        # A resolved complaint's confirmation is not held off by the quiet days after a call.
        if not eligible_after(last, rules, day) and not confirming:
            continue
        mine.sort(key=lambda r: (r.priority, r.sort))
        vehicles = [r.vehicle_id for r in mine if r.vehicle_id is not None]
        row = CallRow(
            customer_id=cid, name=c.name, phone=mask_phone(c.phone), reasons=mine,
            vehicle_id=vehicles[0] if vehicles else None,
            plates=list(dict.fromkeys(r.plate for r in mine if r.plate)),
            value_fen=value.get(cid, 0), max_tries=rules.max_tries, contacts_in_period=contacts.get(cid, 0),
            task_ids=sorted(set(task_ids)), complaint_ids=complaint_ids_of(session, confirming), asks_scores=scoring,
            renewal_vehicle_ids=renewals,
        )
        if last is not None and last.outcome == "no_answer" and last.callback_on is not None:
            row.attempt = last.attempt + 1
        done = today_calls.get(cid)
        if done is not None:
            row.done, row.outcome, row.outcome_by = True, done.outcome, staff_names.get(done.staff_id)
        if not row.done and row.contacts_in_period >= rules.cap and not row.complaint_ids:
            held.append(row)
            continue
        rows.append(row)
    key = lambda r: (r.done, r.priority, r.top.sort, -r.value_fen, r.customer_id)  # noqa: E731
    rows.sort(key=key)
    held.sort(key=key)
    # Today's bookings, for the done rows.
    for r in rows:
        if r.outcome == "booked" and r.appointment_at is None:
            r.appointment_at = _booked_today(session, r.customer_id, day)
    return CallList(staff_id, staff.code, staff.name, store_id, day, rows, held, rules.cap, rules.cap_days)


def _col(name: str):
    import polars as pl

    return pl.col(name)


def _staff_names(session: Session, ids) -> dict[int, str]:
    ids = [i for i in ids if i is not None]
    if not ids:
        return {}
    return dict(session.execute(select(Staff.id, Staff.name).where(Staff.id.in_(ids))).all())


def _calls_around(session: Session, customers, day: date) -> tuple[dict[int, CallLog], dict[int, CallLog]]:
    """Each customer's last call before ``day`` and their last call on ``day``."""
    start, end = _day_start(day), _day_start(day + timedelta(days=1))
    before: dict[int, CallLog] = {}
    on_day: dict[int, CallLog] = {}
    for chunk in _chunks(customers):
        latest = (
            select(CallLog.customer_id, func.max(CallLog.at).label("at"))
            .where(CallLog.customer_id.in_(chunk), CallLog.at < start).group_by(CallLog.customer_id).subquery()
        )
        for c in session.execute(
            select(CallLog).join(latest, and_(latest.c.customer_id == CallLog.customer_id, latest.c.at == CallLog.at))
            .order_by(CallLog.id)
        ).scalars():
            before[c.customer_id] = c  # the highest id wins a tie on the moment
        for c in session.execute(
            select(CallLog).where(CallLog.customer_id.in_(chunk), CallLog.at >= start, CallLog.at < end)
            .order_by(CallLog.at, CallLog.id)
        ).scalars():
            on_day[c.customer_id] = c
    return before, on_day


def _pending_appointments(session: Session, customers, day: date) -> dict[int, datetime]:
    """Customers with an appointment on or after ``day`` that was booked before it."""
    start = _day_start(day)
    out: dict[int, datetime] = {}
    for chunk in _chunks(customers):
        for a, call_at in session.execute(
            select(Appointment, CallLog.at).join(CallLog, CallLog.id == Appointment.call_id, isouter=True)
            .where(Appointment.customer_id.in_(chunk), Appointment.status.in_(APPOINTMENT_OPEN),
                   Appointment.at >= start)
        ).all():
            if call_at is None or call_at < start:
                out[a.customer_id] = a.at
    return out


def _booked_today(session: Session, customer_id: int, day: date) -> datetime | None:
    return session.execute(
        select(Appointment.at).join(CallLog, CallLog.id == Appointment.call_id)
        .where(Appointment.customer_id == customer_id, Appointment.status.in_(APPOINTMENT_OPEN),
               CallLog.at >= _day_start(day), CallLog.at < _day_start(day + timedelta(days=1)))
        .order_by(Appointment.id.desc())
    ).scalars().first()


def reveal_phone(session: Session, actor: Actor, customer_id: int) -> str | None:
    """The customer's full number for dialling, through the access rules (an SA sees
    their adopted customers'; a reveal is logged)."""
    from store.access import contact_view

    c = session.get(Customer, customer_id)
    if c is None:
        raise CallError(f"no customer {customer_id}")
    if c.do_not_contact:
        raise CallError("this customer asked not to be contacted")
    return contact_view(session, actor, c, reason="call list 回访", reveal=True).phone


# --- logging a call -------------------------------------------------------------------


@dataclass
class CallResult:
    call_id: int
    customer_id: int
    outcome: str
    attempt: int
    callback_on: date | None
    appointment_id: int | None = None
    appointment_at: datetime | None = None
    closed_tasks: list[int] = field(default_factory=list)
    complaint_opened: int | None = None  # a low satisfaction score opened this complaint
    adoption_ended: bool = False
    renewal_policies: list[str] = field(default_factory=list)  # the policies a renewal told on the phone left

    def as_dict(self) -> dict[str, Any]:
        return {"call_id": self.call_id, "customer_id": self.customer_id, "outcome": self.outcome,
                "attempt": self.attempt, "callback_on": self.callback_on.isoformat() if self.callback_on else None,
                "appointment_id": self.appointment_id,
                "appointment_at": self.appointment_at.isoformat(timespec="minutes") if self.appointment_at else None,
                "closed_tasks": self.closed_tasks, "adoption_ended": self.adoption_ended,
                "renewal_policies": self.renewal_policies}


def _clean(text: str | None, limit: int, what: str) -> str | None:
    """One line of bounded text without control characters; a refusal names the field."""
    try:
        text = clean_text(" ".join((text or "").split()), field=what, max_len=limit)
    except FieldError as exc:
        raise CallError(str(exc)) from exc
    return text


def log_call(
    session: Session,
    actor: Actor,
    *,
    customer_id: int,
    outcome: str,
    vehicle_id: int | None = None,
    appointment_at: datetime | None = None,
    callback_on: date | None = None,
    reason: str | None = None,
    note: str | None = None,
    channel: str = "phone",
    task_ids: list[int] | tuple[int, ...] = (),
    staff_id: int | None = None,
    satisfied: bool | None = None,
    scores: str | None = None,
    insurer: str | None = None,
) -> CallResult:
    """Log one call by ``actor`` (or, for a manager or the system, on behalf of
    ``staff_id``) and do what its outcome asks (see the module's docstring).

    A call that confirms a resolved complaint (its ``complaint_confirm`` task among
    ``task_ids``) is never held back by the contact cap; reached, it must say whether
    the customer is ``satisfied`` with the handling: yes closes the complaint, no
    reopens it (store.complaints). A reached after-service callback may carry the
    customer's ``scores`` (store.satisfaction: ``5`` for all top marks, or one per
    question); a low one opens a complaint.

    ``renewed_here`` / ``renewed_other`` answer an insurance renewal reminder about
    ``vehicle_id`` (or the customer's one car with an insurance expiry); elsewhere
    needs the ``insurer``."""
    if outcome not in OUTCOMES:
        raise CallError(f"unknown outcome {outcome!r}: one of {', '.join(OUTCOMES)}")
    if channel not in CHANNELS:
        raise CallError(f"unknown channel {channel!r}: one of {', '.join(CHANNELS)}")
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise CallError(f"no customer {customer_id}")
    require_customer_access(actor, customer.store_id)
    require(actor, "care.work", customer.store_id)
    caller = actor.staff_id
    if staff_id is not None and staff_id != actor.staff_id:
        if not actor.is_manager:
            raise AccessDenied("only a manager logs a call for someone else")
        caller = staff_id
    if customer.do_not_contact:
        raise CallError(f"{customer.name} asked not to be contacted"
                        + (f" ({customer.do_not_contact_reason})" if customer.do_not_contact_reason else ""))
    reason = _clean(reason, MAX_REASON, "reason")
    note = _clean(note, MAX_NOTE, "note")
    if outcome in NEEDS_REASON and not reason:
        raise CallError(f"{OUTCOMES[outcome][1]}: say why")
    today, now = clock.today(), clock.now()
    store_id = customer.store_id
    rules = CallRules.load(session, store_id)

    vehicle = None
    if vehicle_id is not None:
        vehicle = session.get(Vehicle, vehicle_id)
        if vehicle is None or vehicle.customer_id != customer_id:
            raise CallError(f"vehicle {vehicle_id} is not {customer.name}'s")
    elif outcome == "sold":
        cars = session.execute(select(Vehicle).where(
            Vehicle.customer_id == customer_id, or_(Vehicle.sold_on.is_(None), Vehicle.sold_on > today))).scalars().all()
        if len(cars) != 1:
            raise CallError("sold: say which car")
        vehicle = cars[0]
    elif outcome in RENEWED:
        cars = session.execute(select(Vehicle).where(
            Vehicle.customer_id == customer_id, Vehicle.insurance_expiry.is_not(None),
            or_(Vehicle.sold_on.is_(None), Vehicle.sold_on > today))).scalars().all()
        if len(cars) != 1:
            raise CallError(f"{OUTCOMES[outcome][1]}: say which car")
        vehicle = cars[0]
    insurer = _clean(insurer, 60, "insurer")
    if outcome in RENEWED:
        if vehicle.insurance_expiry is None:
            raise CallError(f"{vehicle.plate}: no insurance expiry on file to renew")
        if outcome == "renewed_other" and not insurer:
            raise CallError("renewed elsewhere: say with which insurer")
        reason = reason or insurer  # the call log says with whom
    elif insurer:
        raise CallError("an insurer goes with a renewal (renewed with us or elsewhere)")

    if outcome == "booked":
        if appointment_at is None:
            raise CallError("booked: give the date and time")
        if appointment_at < now:
            raise CallError(f"the appointment {appointment_at:%Y-%m-%d %H:%M} is in the past")
    elif appointment_at is not None:
        raise CallError("only a booking has an appointment time")
    if callback_on is not None:
        if outcome != "reached":
            raise CallError("a callback date goes with 'reached, no booking'")
        if callback_on <= today:
            raise CallError(f"the callback date {callback_on} must be after today")

    parsed_scores, visit_id = None, None
    if scores is not None and str(scores).strip():
        from store.satisfaction import ScoreRules, callback_visit, parse_scores

        visit_id, is_callback = callback_visit(session, task_ids)
        if outcome != "reached" or not is_callback:
            raise CallError("scores: only a reached after-service callback records them")
        score_rules = ScoreRules.load(session, customer.store_id)
        parsed_scores = parse_scores(str(scores), score_rules)
    confirming = complaint_ids_of(session, task_ids)
    if outcome == "reached" and confirming and satisfied is None:
        raise CallError("this call confirms a resolved complaint: say whether the customer is satisfied")
    if satisfied is not None and not confirming:
        raise CallError("satisfied: only a call confirming a resolved complaint records it")
    n = contacts_in_period(session, [customer_id], day=today, rules=rules).get(customer_id, 0)
    if n >= rules.cap and not confirming:
        raise CapReached(f"{customer.name} was contacted {n} times in the last {rules.cap_days} days "
                         f"(the store's cap is {rules.cap})")

    attempt = 1
    if outcome == "no_answer":
        prev = session.execute(
            select(CallLog).where(CallLog.customer_id == customer_id).order_by(CallLog.at.desc(), CallLog.id.desc())
        ).scalars().first()
        if prev is not None and prev.outcome == "no_answer" and prev.callback_on is not None:
            attempt = prev.attempt + 1
        callback_on = today + timedelta(days=1) if attempt < rules.max_tries else None

    call = CallLog(store_id=store_id, customer_id=customer_id, vehicle_id=vehicle.id if vehicle else None,
                   task_id=task_ids[0] if task_ids else None, staff_id=caller, at=now, channel=channel,
                   outcome=outcome, reason=reason, note=note, attempt=attempt, callback_on=callback_on)
    session.add(call)
    session.flush()
    result = CallResult(call.id, customer_id, outcome, attempt, callback_on)

    if outcome == "booked":
        for old in session.execute(select(Appointment).where(
                Appointment.customer_id == customer_id, Appointment.status.in_(APPOINTMENT_OPEN),
                Appointment.at >= _day_start(today))).scalars():
            old.status = "cancelled"  # rebooked
            session.add(old)
        appt = Appointment(store_id=store_id, customer_id=customer_id, vehicle_id=vehicle.id if vehicle else None,
                           at=appointment_at.replace(second=0, microsecond=0), staff_id=caller, call_id=call.id)
        session.add(appt)
        session.flush()
        result.appointment_id, result.appointment_at = appt.id, appt.at
    elif outcome == "sold":
        from store.adoption import end_adoption

        vehicle.sold_on = today
        vehicle.updated_at = now
        session.add(vehicle)
        for old in session.execute(select(Appointment).where(
                Appointment.vehicle_id == vehicle.id, Appointment.status.in_(APPOINTMENT_OPEN))).scalars():
            old.status = "cancelled"
            session.add(old)
        record(session, actor, "vehicle.sold", "vehicle", vehicle.id, customer_id=customer_id, store_id=store_id,
               detail={"plate": vehicle.plate, "call_id": call.id})
        result.adoption_ended = end_adoption(session, actor, vehicle_id=vehicle.id, as_of=today, why="sold")
    elif outcome in RENEWED:
        from store.insurance import record_reported_renewal

        lines = record_reported_renewal(session, store_id=store_id, vehicle_id=vehicle.id, insurer=insurer,
                                        sold_by_store=outcome == "renewed_here", actor=actor, call_id=call.id)
        result.renewal_policies = [line.policy_number for line in lines]
    elif outcome == "do_not_contact":
        customer.do_not_contact = True
        customer.do_not_contact_reason = reason
        customer.updated_at = now
        session.add(customer)
        record(session, actor, "customer.do_not_contact", "customer", customer_id, customer_id=customer_id,
               store_id=store_id, detail={"reason": reason, "call_id": call.id})

    if outcome == "no_answer" and task_ids:
        from store.events import mark_unanswered

        mark_unanswered(session, task_ids)  # a club event's invitation among them: no answer
    result.closed_tasks = _close_tasks(session, actor, list(task_ids), outcome, attempt, rules, callback_on, note)
    if parsed_scores:
        from store.satisfaction import record_scores

        result.complaint_opened = record_scores(session, actor, call=call, visit_id=visit_id, scores=parsed_scores,
                                                rules=score_rules, note=note)
    if outcome == "reached" and confirming:
        from store.complaints import complaint_step

        for complaint_id in confirming:
            words = note or ("客户对处理满意" if satisfied else "客户对处理不满意")
            complaint_step(session, actor=actor, complaint_id=complaint_id, step="close" if satisfied else "reopen",
                           note=words)
    session.flush()
    return result


def complaint_ids_of(session: Session, task_ids) -> list[int]:
    """The complaints whose confirmation calls these care tasks are (keys
    ``complaint_confirm:<complaint id>:<n>``, made when a complaint is resolved)."""
    ids = [t for t in task_ids if t is not None]
    if not ids:
        return []
    keys = session.execute(select(CareTask.key).where(CareTask.id.in_(ids), CareTask.kind == "complaint_confirm",
                                                      CareTask.status == "open")).scalars()
    return sorted({int(k.split(":")[1]) for k in keys})


def _close_tasks(session: Session, actor: Actor, task_ids: list[int], outcome: str, attempt: int,
                 rules: CallRules, callback_on: date | None, note: str | None) -> list[int]:
    """Close (or, for an unanswered try, put off) the care tasks a call covered."""
    if not task_ids:
        return []
    from store.care import close_task

    if outcome == "no_answer" and attempt < rules.max_tries:
        for t in session.execute(select(CareTask).where(CareTask.id.in_(task_ids), CareTask.status == "open")).scalars():
            t.attempts = (t.attempts or 0) + 1
            t.next_attempt_on = callback_on
            session.add(t)
        return []
    status = "done" if outcome in ("booked", "reached", "refused", *RENEWED) else "dismissed"
    closed: list[int] = []
    for tid in task_ids:
        task = session.get(CareTask, tid)
        if task is None or task.status != "open" or tid in closed:
            continue
        closed += close_task(session, tid, status, actor, merged=True, log_contact=False,
                             note=f"{OUTCOMES[outcome][0]}" + (f": {note}" if note else ""))
    return closed


# --- appointments and arrivals --------------------------------------------------------


@dataclass
class AppointmentLine:
    id: int
    at: datetime
    customer_id: int
    customer: str
    phone: str | None  # masked
    vehicle_id: int | None
    plate: str | None
    model: str | None
    staff: str | None
    status: str  # booked | arrived | missed | cancelled (as stored)
    arrived: bool  # a visit of the car (or the customer's cars) on the day or within the show window
    do_not_contact: bool = False
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "at": self.at.isoformat(timespec="minutes"), "customer_id": self.customer_id,
                "customer": self.customer, "phone": self.phone, "vehicle_id": self.vehicle_id, "plate": self.plate,
                "model": self.model, "staff": self.staff, "status": self.status, "arrived": self.arrived,
                "do_not_contact": self.do_not_contact, "note": self.note}


def _appointment_lines(session: Session, stmt, window_days: int) -> list[AppointmentLine]:
    rows = session.execute(stmt).all()
    out = []
    for a, name, phone, dnc, plate, model, staff, note, call_at in rows:
        out.append(AppointmentLine(a.id, a.at, a.customer_id, name, mask_phone(phone), a.vehicle_id, plate, model,
                                   staff, a.status, False, bool(dnc), note))
    _mark_arrivals(session, out, window_days, [r[-1] for r in rows])
    return out


def _appointment_select():
    return (
        select(Appointment, Customer.name, Customer.phone, Customer.do_not_contact, Vehicle.plate, Vehicle.model,
               Staff.name, CallLog.note, CallLog.at)
        .join(Customer, Customer.id == Appointment.customer_id)
        .join(Vehicle, Vehicle.id == Appointment.vehicle_id, isouter=True)
        .join(Staff, Staff.id == Appointment.staff_id, isouter=True)
        .join(CallLog, CallLog.id == Appointment.call_id, isouter=True)
    )


def _mark_arrivals(session: Session, lines: list[AppointmentLine], window_days: int, booked_at: list) -> None:
    """A booking showed up if the car (or, without one, any of the customer's cars)
    came in from the day of the booking call to ``window_days`` after the appointment."""
    for line, call_at in zip(lines, booked_at):
        if line.status == "cancelled":
            continue
        first = (call_at or line.at).date()
        last = line.at.date() + timedelta(days=window_days)
        cond = (Visit.vehicle_id == line.vehicle_id if line.vehicle_id is not None
                else Visit.vehicle_id.in_(select(Vehicle.id).where(Vehicle.customer_id == line.customer_id)))
        line.arrived = session.execute(
            select(Visit.id).where(cond, Visit.status != "cancelled", Visit.date_in >= first, Visit.date_in <= last)
            .limit(1)).first() is not None


def appointments_for_customer(session: Session, customer_id: int, *, limit: int = 10) -> list[AppointmentLine]:
    """The customer's appointments 预约, the latest first (the profile shows them)."""
    c = session.get(Customer, customer_id)
    if c is None:
        return []
    window = CallRules.load(session, c.store_id).show_window_days
    stmt = _appointment_select().where(Appointment.customer_id == customer_id).order_by(
        Appointment.at.desc(), Appointment.id.desc()).limit(limit)
    return _appointment_lines(session, stmt, window)


def arrivals(session: Session, *, store_id: int, day: date, actor: Actor) -> list[AppointmentLine]:
    """The day's expected arrivals 预约到店: appointments on ``day`` not cancelled,
    by time. A do-not-contact customer still comes in (flagged: no reminder call)."""
    require(actor, "customers.read", store_id)
    require_customer_access(actor, store_id)
    window = CallRules.load(session, store_id).show_window_days
    stmt = _appointment_select().where(
        Appointment.store_id == store_id, Appointment.status != "cancelled",
        Appointment.at >= _day_start(day), Appointment.at < _day_start(day + timedelta(days=1)),
    ).order_by(Appointment.at, Appointment.id)
    return _appointment_lines(session, stmt, window)


# --- parsing what the user types ----------------------------------------------------------


def parse_when(text: str, *, today: date, default_time: time = time(9, 0)) -> datetime:
    """An appointment moment as typed: ``2026-11-25 09:30``, ``11-25 9:30``,
    ``11-25`` (at 09:00), ``+3 14:00`` (in 3 days), ``明天 10:00`` / ``tomorrow 10:00``,
    ``9:30`` (today)."""
    raw = " ".join((text or "").replace("：", ":").replace("／", "/").split())
    if not raw:
        raise CallError("give a date and time, e.g. 11-25 09:30")
    parts = raw.split(" ")
    day_part, time_part = (parts[0], parts[1] if len(parts) > 1 else None) if len(parts) <= 2 else (None, None)
    if day_part is None:
        raise CallError(f"{text!r}: write it as 11-25 09:30")
    if ":" in day_part and time_part is None:
        day_part, time_part = "", day_part
    day = parse_day(day_part, today=today) if day_part else today
    at = default_time
    if time_part:
        try:
            hh, _, mm = time_part.partition(":")
            at = time(int(hh), int(mm or 0))
        except ValueError:
            raise CallError(f"{time_part!r} is not a time (HH:MM)") from None
    return datetime.combine(day, at)


MONTH_DAY_REACH_DAYS = 335  # about 11 months: how far ahead a day typed without its year may land


def parse_day(text: str, *, today: date) -> date:
    """A day as typed: ``2026-11-25``, ``11-25``, ``+3``, ``明天``/``tomorrow``, ``后天``."""
    raw = (text or "").strip().lower().replace("/", "-").replace(".", "-")
    words = {"今天": 0, "today": 0, "明天": 1, "tomorrow": 1, "后天": 2}
    if raw in words:
        return today + timedelta(days=words[raw])
    try:
        if raw.startswith("+"):
            return today + timedelta(days=int(raw[1:]))
        bits = raw.split("-")
        if len(bits) == 3:
            return date(int(bits[0]), int(bits[1]), int(bits[2]))
        if len(bits) == 2:
            # The nearest such day not in the past ("01-05" in December: next year's),
            # and never the best part of a year away: "11-25" typed on 12-04 is refused.
            d = date(today.year, int(bits[0]), int(bits[1]))
            if d >= today:
                return d
            ahead = date(today.year + 1, d.month, d.day)
            if (ahead - today).days > MONTH_DAY_REACH_DAYS:
                raise CallError(f"{text!r} has passed this year ({d}); write the year if you mean {ahead}")
            return ahead
    except CallError:
        raise
    except ValueError:
        pass
    raise CallError(f"{text!r} is not a date (11-25, 2026-11-25, +3, 明天)")
