"""« Quoi de neuf »: what changed for the user and their structure over the last days."""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from .. import clock
from ..extensions import db
from ..models import AuditEvent, HumanTask, Journey, Referral
from .referrals import display_names, open_task_ids

LOOKBACK = timedelta(days=7)
LIMIT = 20  # items per section
ANSWERS = {
    "referral.accepted": "Orientation acceptée",
    "referral.declined": "Orientation refusée",
    "referral.redirected": "Orientation redirigée",
    "referral.completed": "Premier contact confirmé",
    "referral.expired": "Orientation expirée",
}


@dataclass
class Item:
    at: datetime
    title: str
    person_id: int
    is_new: bool
    detail: str = ""
    comment: str | None = None
    task_id: int | None = None
    journey_id: int | None = None
    person_name: str = ""


@dataclass
class WhatsNew:
    received: list = field(default_factory=list)  # referrals my structure received
    answers: list = field(default_factory=list)  # answers to the referrals my structure sent
    late_tasks: list = field(default_factory=list)  # my tasks past their due date

    def __bool__(self) -> bool:
        return bool(self.received or self.answers or self.late_tasks)


def whats_new(actor) -> WhatsNew:
    """The last LOOKBACK's referrals received and answers to referrals sent, and the actor's late
    tasks; items after the actor's previous login are new. A fixed number of statements."""
    now, mine = clock.now(), actor.structure_id
    since, seen = now - LOOKBACK, actor.previous_login_at

    def is_new(moment):
        return seen is None or moment > seen

    news = WhatsNew()
    received = db.session.scalars(
        select(Referral).where(Referral.to_structure_id == mine, Referral.sent_at >= since)
        .options(selectinload(Referral.from_structure))
        .order_by(Referral.sent_at.desc(), Referral.id.desc()).limit(LIMIT)).all()
    for r in received:
        news.received.append(Item(r.sent_at, "Nouvelle orientation reçue" + (" (urgente)" if r.urgent else ""),
                                  r.person_id, is_new(r.sent_at), f"de {r.from_structure.name}",
                                  journey_id=r.journey_id))

    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.in_(ANSWERS), AuditEvent.at >= since,
                                 or_(AuditEvent.structure_id == mine, AuditEvent.shared_with_structure_id == mine))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(4 * LIMIT)).all()
    ids = {(e.detail or {}).get("referral_id") for e in events} - {None}
    referrals = {r.id: r for r in db.session.scalars(
        select(Referral).join(Journey, Journey.id == Referral.journey_id)
        .where(Referral.id.in_(ids), Referral.to_structure_id != mine,
               or_(Referral.from_structure_id == mine, Journey.structure_id == mine))
        .options(selectinload(Referral.to_structure)))} if ids else {}
    done = set()
    for e in events:
        r = referrals.get((e.detail or {}).get("referral_id"))
        if r is None or (r.id, e.action) in done or len(news.answers) >= LIMIT:
            continue
        done.add((r.id, e.action))
        comment = r.contact_comment if e.action == "referral.completed" else \
            (None if e.action == "referral.expired" else r.answer_comment)
        news.answers.append(Item(e.at, ANSWERS[e.action], r.person_id, is_new(e.at),
                                 f"par {r.to_structure.name}", comment, journey_id=r.journey_id))

    tasks = db.session.scalars(
        select(HumanTask).where(HumanTask.assignee_id == actor.id, HumanTask.status == "ouverte",
                                HumanTask.due_at < now)
        .order_by(HumanTask.priority.desc(), HumanTask.due_at, HumanTask.id).limit(LIMIT)).all()
    for t in tasks:
        news.late_tasks.append(Item(t.due_at, t.title, t.person_id, is_new(t.due_at),
                                    task_id=t.id))

    referral_items = news.received + news.answers
    open_tasks = open_task_ids(actor, {item.journey_id for item in referral_items})
    for item in referral_items:
        item.task_id = open_tasks.get(item.journey_id)
    names = display_names(actor, {item.person_id for item in referral_items + news.late_tasks})
    for item in referral_items + news.late_tasks:
        item.person_name = names.get(item.person_id, "")
    return news
