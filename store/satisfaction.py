"""Satisfaction 满意度 from the after-service callbacks: every reached 修后3日回访 (and
问题7日回访) records the customer's scores, and a low one opens a complaint.

| question | Chinese |
| --- | --- |
| repair_quality | 维修质量 |
| attitude | 服务态度 |
| on_time | 按时交车 |
| price_clarity | 价格透明 |
| overall | 总体满意 |

The questions and the scale are store settings (``satisfaction_questions``,
``satisfaction_scale``: 5). Scores are typed the quick way: one digit gives every
question that score (``5``: all top marks), one digit per question in order
(``45455``), or digits with commas (``4,5,4,5,5``). A score at or below
``satisfaction_low_score`` (2) opens a complaint (channel callback) with the call's
notes, owned by the store's manager.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from store.models import CallLog, CareTask, SatisfactionScore, Visit
from store.settings import get_setting
from store.validation import FieldError

QUESTIONS = {
    "repair_quality": ("维修质量", "repair quality"),
    "attitude": ("服务态度", "attitude"),
    "on_time": ("按时交车", "on-time delivery"),
    "price_clarity": ("价格透明", "price clarity"),
    "overall": ("总体满意", "overall"),
}
# The complaint category a low score on each question opens.
COMPLAINT_CATEGORY = {"repair_quality": "repair_quality", "attitude": "attitude", "on_time": "waiting",
                      "price_clarity": "price", "overall": "other"}
CALLBACK_KINDS = ("repair_callback", "problem_callback")


@dataclass(frozen=True)
class ScoreRules:
    questions: tuple[str, ...]
    scale: int
    low: int

    @classmethod
    def load(cls, session: Session, store_id: int) -> ScoreRules:
        return cls(tuple(get_setting(session, "satisfaction_questions", store_id=store_id)),
                   int(get_setting(session, "satisfaction_scale", store_id=store_id)),
                   int(get_setting(session, "satisfaction_low_score", store_id=store_id)))


def parse_scores(text: str, rules: ScoreRules) -> dict[str, int]:
    """``5`` → every question 5; ``45455`` or ``4,5,4,5,5`` → one per question."""
    raw = (text or "").strip()
    parts = [p for p in re.split(r"[,，\s]+", raw) if p] if re.search(r"[,，\s]", raw) else list(raw)
    if not parts or not all(p.isdigit() for p in parts):
        raise FieldError("scores", f"{text!r}: one digit for all, or one per question ({len(rules.questions)})")
    values = [int(p) for p in parts]
    if len(values) == 1:
        values = values * len(rules.questions)
    if len(values) != len(rules.questions):
        raise FieldError("scores", f"{text!r}: {len(values)} scores for {len(rules.questions)} questions "
                                   f"({', '.join(rules.questions)})")
    bad = [v for v in values if not 1 <= v <= rules.scale]
    if bad:
        raise FieldError("scores", f"{bad[0]} is out of range: scores are 1 to {rules.scale}")
    return dict(zip(rules.questions, values))


def callback_visit(session: Session, task_ids) -> tuple[int | None, bool]:
    """(the RO an after-service callback among these tasks is about, whether there is one)."""
    ids = [t for t in task_ids if t is not None]
    if not ids:
        return None, False
    keys = list(session.execute(select(CareTask.key).where(CareTask.id.in_(ids),
                                                           CareTask.kind.in_(CALLBACK_KINDS))).scalars())
    if not keys:
        return None, False
    visit = keys[0].rsplit(":", 1)[-1]
    return (int(visit) if visit.isdigit() else None), True


def record_scores(session: Session, actor, *, call: CallLog, visit_id: int | None, scores: dict[str, int],
                  rules: ScoreRules, note: str | None) -> int | None:
    """Store the call's scores; a low one opens a complaint, whose id is returned."""
    sa_name = None
    if visit_id is not None:
        visit = session.get(Visit, visit_id)
        sa_name = visit.sa_name if visit is not None else None
    for question, score in scores.items():
        session.add(SatisfactionScore(store_id=call.store_id, customer_id=call.customer_id,
                                      vehicle_id=call.vehicle_id, visit_id=visit_id, call_id=call.id,
                                      sa_name=sa_name, at=call.at, question=question, score=score))
    session.flush()
    low = [q for q, s in scores.items() if s <= rules.low]
    if not low:
        return None
    from store.complaints import log_complaint, store_manager_id

    manager = store_manager_id(session, call.store_id)
    words = "、".join(f"{QUESTIONS.get(q, (q, q))[0]} {scores[q]} 分" for q in low)
    line = log_complaint(session, actor=actor, customer_id=call.customer_id, vehicle_id=call.vehicle_id,
                         category=COMPLAINT_CATEGORY.get(low[0], "other"), channel="callback",
                         text=f"回访低分：{words}" + (f"；{note}" if note else ""), owner_id=manager)
    return line.id


@dataclass
class ScoreLine:
    at: datetime
    scores: dict[str, int]
    sa_name: str | None


def last_scores(session: Session, customer_id: int, *, limit: int = 3) -> list[ScoreLine]:
    """The customer's latest callbacks' scores, newest first (for the profile)."""
    rows = session.execute(select(SatisfactionScore.call_id, SatisfactionScore.at, SatisfactionScore.question,
                                  SatisfactionScore.score, SatisfactionScore.sa_name)
                           .where(SatisfactionScore.customer_id == customer_id)
                           .order_by(SatisfactionScore.at.desc(), SatisfactionScore.id)).all()
    out: dict[int, ScoreLine] = {}
    for call_id, at, question, score, sa_name in rows:
        if call_id not in out:
            if len(out) >= limit:
                break
            out[call_id] = ScoreLine(at, {}, sa_name)
        out[call_id].scores[question] = score
    return list(out.values())
