"""Referrals as each structure may see them: the path across structures, shared fields only."""
from dataclasses import dataclass

from sqlalchemy import exists, or_, select

from .. import clock
from ..extensions import db
from ..models import Journey, Person, Referral, Structure
from ..models.people import IDENTITY_FIELDS, PROFILE_FIELDS
from .tasks import Page


def has_full_access(actor, person: Person) -> bool:
    """The structure that received the person, or holds one of their journeys, sees everything."""
    return person.created_by_structure_id == actor.structure_id or bool(db.session.scalar(
        select(exists().where(Journey.person_id == person.id, Journey.structure_id == actor.structure_id))))


def received_referrals(actor, person_id: int) -> list[Referral]:
    return db.session.scalars(select(Referral).where(
        Referral.person_id == person_id, Referral.to_structure_id == actor.structure_id)
        .order_by(Referral.sent_at)).all()


@dataclass
class PersonView:
    """What one structure may see of a person."""
    person: Person
    full: bool
    fields: dict  # visible identity/profile fields and, for receivers, the shared request

    @property
    def display_name(self) -> str:
        if self.full:
            return self.person.display_name
        name = " ".join(str(self.fields[k]) for k in ("prenom", "nom") if self.fields.get(k))
        return name or f"Personne orientée n°{self.person.id}"

    def get(self, name, default=None):
        return self.fields.get(name, default)


def person_view(actor, person: Person) -> PersonView:
    if has_full_access(actor, person):
        fields = {k: getattr(person, k) for k in IDENTITY_FIELDS + PROFILE_FIELDS}
        return PersonView(person, True, fields)
    shared = {}
    for referral in received_referrals(actor, person.id):
        shared.update(referral.shared_data or {})
    return PersonView(person, False, shared)


def referral_for_task(actor, task) -> Referral | None:
    """The latest referral of the task's journey that the actor's structure takes part in."""
    return db.session.scalar(select(Referral).where(
        Referral.journey_id == task.journey_id,
        or_(Referral.from_structure_id == actor.structure_id, Referral.to_structure_id == actor.structure_id,
            Journey.structure_id == actor.structure_id))
        .join(Journey, Journey.id == Referral.journey_id)
        .order_by(Referral.sent_at.desc(), Referral.id.desc()).limit(1))


def path_of(actor, person: Person) -> list[Referral]:
    """The referrals of the journeys the actor's structure takes part in (in charge, sender or
    receiver): the path across structures, without the person's other journeys."""
    referrals = db.session.scalars(select(Referral).where(Referral.person_id == person.id)
                                   .order_by(Referral.sent_at, Referral.id)).all()
    own = set(db.session.scalars(select(Journey.id).where(
        Journey.person_id == person.id, Journey.structure_id == actor.structure_id)))
    own |= {r.journey_id for r in referrals if actor.structure_id in (r.from_structure_id, r.to_structure_id)}
    return [r for r in referrals if r.journey_id in own]


def tried_partners(journey_id: int) -> set[int]:
    """Structures this journey's referrals already went to without success."""
    return set(db.session.scalars(select(Referral.to_structure_id).where(
        Referral.journey_id == journey_id,
        Referral.status.in_(("refusee", "expiree", "redirigee", "reaffectee")))))


def structures_involved(journey: Journey) -> int:
    """How many structures took part in a journey: the one in charge and every referral's ends."""
    ids = {journey.structure_id}
    for from_id, to_id in db.session.execute(select(Referral.from_structure_id, Referral.to_structure_id)
                                             .where(Referral.journey_id == journey.id)):
        ids.update((from_id, to_id))
    return len(ids)


IN_PROGRESS = ("ouverte", "acceptee")


def _with_state(stmt, state: str | None):
    """Filter by a referral state, or by en_cours / en_retard / escaladees."""
    if state == "en_cours":
        return stmt.where(Referral.status.in_(IN_PROGRESS))
    if state == "en_retard":
        return stmt.where(Referral.status == "ouverte", Referral.remind_at < clock.now())
    if state == "escaladees":
        return stmt.where(Referral.status == "ouverte", Referral.escalated_at.is_not(None))
    return stmt.where(Referral.status == state) if state else stmt


def _page(stmt, page: int, per_page: int) -> Page:
    total = db.session.scalar(select(db.func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(stmt.order_by(Referral.sent_at.desc(), Referral.id.desc())
                              .limit(per_page).offset((max(1, page) - 1) * per_page)).all()
    return Page(items=rows, total=total, page=max(1, page), per_page=per_page)


def structure_referrals(actor, direction: str = "received", *, status: str | None = None,
                        page: int = 1, per_page: int = 25) -> Page:
    """Referrals the actor's structure received, or sent (including those of journeys it is in charge of)."""
    mine = actor.structure_id
    if direction == "sent":
        stmt = select(Referral).join(Journey, Journey.id == Referral.journey_id).where(
            or_(Referral.from_structure_id == mine, Journey.structure_id == mine))
    else:
        stmt = select(Referral).where(Referral.to_structure_id == mine)
    return _page(_with_state(stmt, status), page, per_page)


def territory_referrals(actor, *, state: str | None = None, structure_id: int | None = None,
                        network: str | None = None, page: int = 1, per_page: int = 25) -> Page:
    """Referrals touching the coordinator's département: in progress, late, escalated, or all."""
    departement = actor.structure.departement
    target = Structure.__table__.alias("target")
    stmt = (select(Referral).join(target, target.c.id == Referral.to_structure_id)
            .where(target.c.departement == departement))
    stmt = _with_state(stmt, state)
    if structure_id:
        stmt = stmt.where(or_(Referral.to_structure_id == structure_id, Referral.from_structure_id == structure_id))
    if network:
        stmt = stmt.where(target.c.network == network)
    return _page(stmt, page, per_page)
