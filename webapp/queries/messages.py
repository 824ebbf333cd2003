"""Messages as one user reads them: the structure's messages, unread ones, where each leads."""
from sqlalchemy import func, or_, select

from ..extensions import db
from ..models import Journey, OutboxMessage, Person, Referral, Structure
from .referrals import open_task_ids
from .pages import Page


def unread_count(actor) -> int:
    """Messages to the actor's structure created since the actor last opened « Messages »."""
    stmt = select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.to_structure_id == actor.structure_id)
    if actor.messages_seen_at is not None:
        stmt = stmt.where(OutboxMessage.created_at > actor.messages_seen_at)
    return db.session.scalar(stmt) or 0


def is_unread(actor, message: OutboxMessage, seen_at) -> bool:
    """A message to the actor's structure created after `seen_at` (the previous visit)."""
    return message.to_structure_id == actor.structure_id and (seen_at is None or message.created_at > seen_at)


def messages_for(actor, *, structure_id: int | None = None, page: int = 1, per_page: int = 25) -> Page:
    """Messages sent to the actor's structure, newest first; an admin sees every structure's,
    or those of `structure_id` when given."""
    stmt = select(OutboxMessage)
    if not actor.has_role("admin"):
        stmt = stmt.where(OutboxMessage.to_structure_id == actor.structure_id)
    elif structure_id is not None:
        stmt = stmt.where(OutboxMessage.to_structure_id == structure_id)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    page = max(1, page)
    rows = db.session.scalars(stmt.order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
                              .limit(per_page).offset((page - 1) * per_page)).all()
    return Page(items=rows, total=total, page=page, per_page=per_page)


def task_links(actor, messages) -> dict[int, int]:
    """For each message about a referral, the open task the actor's structure holds on its journey."""
    referral_ids = {m.referral_id for m in messages if m.referral_id and m.to_structure_id == actor.structure_id}
    if not referral_ids:
        return {}
    journeys = {referral_id: journey_id for referral_id, journey_id in db.session.execute(
        select(Referral.id, Referral.journey_id).where(Referral.id.in_(referral_ids)))}
    tasks = open_task_ids(actor, set(journeys.values()))
    return {m.id: tasks[journeys[m.referral_id]] for m in messages
            if m.referral_id in journeys and journeys[m.referral_id] in tasks}


def openable_dossiers(actor, messages) -> set[int]:
    """The people of these messages whose dossier the actor's structure may open (as person_for):
    it received them, holds one of their journeys or is one end of one of their referrals."""
    ids, mine = {m.person_id for m in messages if m.person_id}, actor.structure_id
    if not ids:
        return set()
    found = set(db.session.scalars(select(Person.id).where(Person.id.in_(ids), Person.created_by_structure_id == mine)))
    found |= set(db.session.scalars(select(Journey.person_id).where(Journey.person_id.in_(ids),
                                                                     Journey.structure_id == mine)))
    found |= set(db.session.scalars(select(Referral.person_id).where(Referral.person_id.in_(ids), or_(
        Referral.from_structure_id == mine, Referral.to_structure_id == mine))))
    return found


def structure_names() -> dict[int, str]:
    """Every structure's name by id, sorted by name (the admin's filter and column)."""
    rows = db.session.execute(select(Structure.id, Structure.name).order_by(Structure.name)).all()
    return {row.id: row.name for row in rows}
