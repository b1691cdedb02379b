"""Store rules and their defaults, read through one function.

Order of precedence: the environment (``DEALERDESK_<KEY>``), the config file's
``[rules]`` table, the store's row in the settings table, the group-wide row
(store null), then :data:`DEFAULTS` (the numbers in the trade's training material).

:data:`SECURITY_SETTINGS` (PIN tries, lock minutes) skip the first two: whoever can
set an environment variable or write a config file at a counter must not be able to
lift the lockout. They come from the settings table (a manager's change, audited),
else the default; :func:`stored_setting` reads any key that way.
"""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any

from store.clock import now
from store.config import config_file, env_rule, file_rule
from store.plain_sql import sql

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlmodel import Session

# Reads are plain SQL on a session or a connection, made on first use: the counter
# paints its first screen before SQLAlchemy is imported (see store/startup.py).
GROUP_SETTING_SQL = "SELECT value FROM setting WHERE store_id IS NULL AND key = :key"
STORE_SETTING_SQL = "SELECT value FROM setting WHERE store_id = :sid AND key = :key"
ALL_SETTINGS_SQL = "SELECT store_id, key, value FROM setting WHERE store_id IS NULL OR store_id = :sid"

DEFAULTS: dict[str, Any] = {
    # UI
    "language": "zh",  # zh | en
    "group_lookup": False,  # staff's lookup also lists other stores' cars, masked (a group-wide row)
    # customer classes 客户分类
    "class_active_months": 3,  # returned within N months: loyal or general
    "class_churn_months": 6,  # no return for more than N months: churned
    "class_loyal_spend_yuan": 4000,
    "class_loyal_visits": 4,
    "class_relatively_loyal_enabled": False,
    "class_relatively_loyal_spend_yuan": 2000,
    "class_relatively_loyal_visits": 3,
    "class_window_months": 12,
    "class_healthy_mix": {"loyal": 50, "general": 30, "at_risk": 15, "churned": 5},  # percent
    # 忠诚客户(含续保客户): a car insured through the store (a policy the store sold, in
    # force on the day) meets the loyalty test as spend or visits would (store.classes)
    "class_loyal_includes_insured": True,
    # warranty, maintenance 保养
    "warranty_months": 36,
    "warranty_months_by_model": {},
    "maintenance_interval_months": 6,
    "maintenance_interval_km": 5000,
    "first_maintenance_months": 3,
    "first_maintenance_km": 5000,
    # care calendar 客户关怀 and contacts
    "contact_cap_per_period": 2,
    "contact_cap_period_days": 30,
    "call_due_within_days": 15,
    "call_no_answer_max_tries": 3,
    "care_catch_up_days": 7,  # a trigger missed up to N days ago still makes its task
    "care_new_car_days": 7,
    "care_repair_callback_days": 3,
    "care_problem_callback_days": 7,
    "care_repair_callback_types": ["first_maintenance", "maintenance", "repair", "warranty", "insurance",
                                   "bodywork", "accessories", "rescue", "other"],
    "care_overdue_days": [15, 30],
    "care_absent_months": [3.5, 6, 9, 12],
    "care_insurance_days_before": 30,
    "care_inspection_days_before": 30,
    "care_warranty_days_before": 30,
    # annual inspection 年检 of a private car: first at 6 years, every 2 until 10, then yearly
    "inspection_first_year": 6,
    "inspection_every_years": 2,
    "inspection_yearly_after": 10,
    # adoption 客户领养
    "adoption_window_months": 12,
    "adoption_letter_plate_rule": "last_digit",  # last_digit | by_hand
    "adoption_plate_digit_map": {},  # {"0": "SA01", ...}: last plate digit -> staff code
    # the daily call list 回访/邀约
    "call_show_window_days": 3,  # a booking showed up if the car came in within N days
    "call_follow_up_max_age_days": 60,  # a callback or pitch follow-up older than this has gone stale
    # after an outcome, the customer stays off the list this many days (a callback date overrides)
    "call_quiet_days": {"reached": 30, "refused": 90, "wrong_number": 180, "no_answer": 30},
    # pitching 会员推荐
    "pitch_recent_days": 30,
    "pitch_declined_quiet_days": 90,
    # A "joined" pitch converts only when a membership starts within N days of it;
    # otherwise it is "joined, not signed up" (store.pitches.signed_up).
    "pitch_signup_days": 30,
    "pitch_follow_up_days": {"considering": 7, "not_now": 30, "declined": 90},
    # complaints 投诉: answer within N hours of logging, resolve within N days (修后7日解决)
    "complaint_respond_hours": 24,
    "complaint_resolve_days": 7,
    # satisfaction 满意度 asked on the after-service callbacks: the questions (codes;
    # store.satisfaction has their words), the scale's top, and a score at or below
    # which a complaint is opened with the call's notes
    "satisfaction_questions": ["repair_quality", "attitude", "on_time", "price_clarity", "overall"],
    "satisfaction_scale": 5,
    "satisfaction_low_score": 2,
    # points 积分
    "points_per_100_yuan": 1,
    "points_rate_by_category": {},
    "points_expiry_months": 0,  # 0: points never expire
    "points_redeem_for_money": False,
    "points_fen_per_point": 100,
    "points_members_only": True,  # only visits while a membership is in force earn
    "points_excluded_repair_types": ["warranty"],  # the maker pays a warranty claim
    "points_referral_reward": 200,
    # memberships 会员
    "annual_fee_yuan": 300,
    "renewal_grace_months": 3,
    "stored_value_lapse_months": 6,
    "stored_value_low_balance_yuan": 200,
    "membership_term_months": 12,
    "tier_window_months": 12,  # spend over this window decides a tier
    "tier_downgrade_max_steps": 1,  # at renewal, at most this many tiers down
    # staff sign-in
    "pin_max_failures": 5,
    "pin_lock_minutes": 15,
    # A counter left alone (no key or mouse input) signs out after N minutes and shows
    # the sign-in screen again; a form not yet saved is discarded. 0: never.
    "idle_sign_out_minutes": 10,
    # DMS imports: a store's own column names, {field: [spellings]}, e.g.
    # {"plate": ["号牌"], "total": ["实收金额"]}; and repair-type words {code: [words]}.
    "header_spellings": {},
    "repair_type_spellings": {},
}


# Read from the database and the defaults only, never the environment or a config file.
SECURITY_SETTINGS = frozenset({"pin_max_failures", "pin_lock_minutes"})


def _coerce(key: str, raw: Any) -> Any:
    """Settings from the environment arrive as text: give them the default's type."""
    default = DEFAULTS.get(key)
    if not isinstance(raw, str) or isinstance(default, str) or default is None:
        return raw
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    return json.loads(raw)


def get_setting(session: Session | Connection | None, key: str, *, store_id: int | None = None) -> Any:
    if _transaction_of(session) is not None:  # one read of the rules per transaction, not two per key
        rules = _rules_of_transaction(session, store_id)
        if key not in rules:
            raise KeyError(f"unknown setting {key!r}")
        return copy.deepcopy(rules[key])  # a caller may change what it was given
    if key in SECURITY_SETTINGS:
        return stored_setting(session, key, store_id=store_id)
    outside = outside_setting(key)
    if outside is not None:
        return outside
    return stored_setting(session, key, store_id=store_id)


def outside_setting(key: str) -> Any:
    """The setting from the environment, else the config file; None when neither
    sets it (and always for :data:`SECURITY_SETTINGS`). The database comes next."""
    if key in SECURITY_SETTINGS:
        return None
    env = env_rule(key)
    if env is not None:
        return _coerce(key, env)
    return file_rule(key)


def stored_setting(session: Session | Connection | None, key: str, *, store_id: int | None = None) -> Any:
    """A setting from the settings table (the store's row, then the group-wide one),
    else its default: the environment and the config file are not asked."""
    if session is not None:
        for sid in ([store_id] if store_id is not None else []) + [None]:
            params = {"key": key} if sid is None else {"key": key, "sid": sid}
            value = session.execute(sql(GROUP_SETTING_SQL if sid is None else STORE_SETTING_SQL), params).scalar()
            if value is not None:
                return json.loads(value)
    if key not in DEFAULTS:
        raise KeyError(f"unknown setting {key!r}")
    return DEFAULTS[key]


def _transaction_of(session: Any) -> Any:
    """The ORM session's transaction under way, else None (a connection, no session)."""
    get = getattr(session, "get_transaction", None)
    return get() if get is not None else None


def get_settings(session: Session | Connection | None, *, store_id: int | None = None) -> dict[str, Any]:
    """Every rule in force for a store, resolved in one pass; read once per store in
    a session's transaction (an RO credited reads them for its points, its tier and
    its member rules), again after a :func:`set_setting` or in the next transaction."""
    if _transaction_of(session) is None:
        return _resolved_settings(session, store_id=store_id)
    return copy.deepcopy(_rules_of_transaction(session, store_id))  # callers may change what they were given


def _rules_of_transaction(session: Session, store_id: int | None) -> dict[str, Any]:
    """The store's rules as this transaction first read them (the cache itself: copy
    what leaves this module)."""
    txn = _transaction_of(session)
    cache = session.info.get("dealerdesk_rules")
    if cache is None or cache[0] is not txn or cache[1] != _generation:
        cache = (txn, _generation, {})
        session.info["dealerdesk_rules"] = cache
    rules = cache[2].get(store_id)
    if rules is None:
        rules = cache[2][store_id] = _resolved_settings(session, store_id=store_id)
    return rules


def _resolved_settings(session: Session | Connection | None, *, store_id: int | None = None) -> dict[str, Any]:
    stored: dict[str, Any] = {}
    if session is not None:
        rows = session.execute(sql(ALL_SETTINGS_SQL), {"sid": store_id}).all()
        # Group-wide first so the store's own row overrides it.
        for row in sorted(rows, key=lambda r: r.store_id is not None):
            stored[row.key] = json.loads(row.value)
    result = {}
    file_rules = config_file().get("rules", {})  # read once, not once per key: lookup calls this
    for key in set(DEFAULTS) | set(stored):
        env = env_rule(key)
        if key in SECURITY_SETTINGS:
            result[key] = stored[key] if key in stored else DEFAULTS[key]
        elif env is not None:
            result[key] = _coerce(key, env)
        elif key in file_rules:
            result[key] = file_rules[key]
        elif key in stored:
            result[key] = stored[key]
        else:
            result[key] = DEFAULTS[key]
    return result


_generation = 0


def generation() -> int:
    """Bumped by every :func:`set_setting` in this process, so caches of rules know."""
    return _generation


def set_setting(session: Session, key: str, value: Any, *, store_id: int | None = None) -> None:
    if key not in DEFAULTS and not key.startswith("header_spellings"):
        raise KeyError(f"unknown setting {key!r}")
    from sqlmodel import select

    from store.models import Setting

    global _generation
    _generation += 1
    row = session.exec(select(Setting).where(Setting.store_id == store_id, Setting.key == key)).first()
    stored = json.dumps(value, ensure_ascii=False)
    if row is None:
        session.add(Setting(store_id=store_id, key=key, value=stored))
    else:
        row.value = stored
        row.updated_at = now()
        session.add(row)
    session.flush()
