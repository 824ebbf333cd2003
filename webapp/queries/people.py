"""People (dossiers) and their timelines, visible only to the structures involved."""
from sqlalchemy import and_, exists, or_, select

from ..errors import NotFound
from ..extensions import db
from ..models import AuditEvent, HumanTask, Journey, Person, Referral
from ..operations import audit
from .referrals import snapshot_open


def person_for(actor, person_id: int) -> Person:
    """A person the actor's structure received or holds a journey for; else NotFound."""
    person = db.session.get(Person, person_id)
    if person is None:
        raise NotFound("Dossier introuvable.")
    involved = person.created_by_structure_id == actor.structure_id or db.session.scalar(
        select(exists().where(Journey.person_id == person.id,
                              Journey.structure_id == actor.structure_id))) or db.session.scalar(
        select(exists().where(Referral.person_id == person.id, or_(
            and_(Referral.to_structure_id == actor.structure_id, snapshot_open()),
            Referral.from_structure_id == actor.structure_id))))
    if not involved:
        audit.denied(actor, "person", person.id, person_id=person.id)
        raise NotFound("Dossier introuvable.")
    return person


def journeys_of(actor, person: Person) -> list[Journey]:
    return db.session.scalars(select(Journey).where(
        Journey.person_id == person.id, Journey.structure_id == actor.structure_id)
        .order_by(Journey.started_at.desc())).all()


def timeline(actor, person: Person) -> list[AuditEvent]:
    """Who did what, when, in which structure, for this person (writes only), newest first:
    the actor's structure's own entries and those another structure shared with it."""
    return db.session.scalars(select(AuditEvent).where(
        AuditEvent.person_id == person.id, AuditEvent.kind == "write",
        or_(AuditEvent.structure_id == actor.structure_id,
            AuditEvent.shared_with_structure_id == actor.structure_id))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())).all()


def completed_tasks(actor, person: Person) -> list[HumanTask]:
    return db.session.scalars(select(HumanTask).where(
        HumanTask.person_id == person.id, HumanTask.structure_id == actor.structure_id,
        HumanTask.status == "terminee").order_by(HumanTask.completed_at.desc())).all()


def open_tasks(actor, person: Person) -> list[HumanTask]:
    return db.session.scalars(select(HumanTask).where(
        HumanTask.person_id == person.id, HumanTask.structure_id == actor.structure_id,
        HumanTask.status == "ouverte").order_by(HumanTask.created_at)).all()
