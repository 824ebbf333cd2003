"""Referrals as each structure may see them: the path across structures, shared fields only."""
from dataclasses import dataclass

from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import selectinload

from .. import clock
from ..extensions import db
from ..models import HumanTask, Journey, Person, Referral, Structure
from ..models.people import IDENTITY_FIELDS, PROFILE_FIELDS
from .pages import Page


def has_full_access(actor, person: Person) -> bool:
    """The structure that received the person, or holds one of their journeys, sees everything."""
    return person.created_by_structure_id == actor.structure_id or bool(db.session.scalar(
        select(exists().where(Journey.person_id == person.id, Journey.structure_id == actor.structure_id))))


# A receiver's access to the snapshot of a referral reassigned away from it, or expired, ends
# SNAPSHOT_ACCESS_DAYS_AFTER_CLOSE days after the referral closed.
ENDING_STATES = ("reaffectee", "expiree")


def snapshot_cutoff():
    """Referrals reassigned or expired before this moment no longer open their snapshot."""
    return clock.now() - timedelta(days=int(current_app.config.get("SNAPSHOT_ACCESS_DAYS_AFTER_CLOSE", 30)))


def snapshot_open(referral=Referral, cutoff=None):
    """SQL condition: the receiving structure may still see this referral's snapshot."""
    cutoff = snapshot_cutoff() if cutoff is None else cutoff
    return or_(referral.status.not_in(ENDING_STATES), referral.closed_at.is_(None), referral.closed_at > cutoff)


def received_referrals(actor, person_id: int) -> list[Referral]:
    """The referrals of this person sent to the actor's structure whose snapshot it may still see."""
    return db.session.scalars(select(Referral).where(
        Referral.person_id == person_id, Referral.to_structure_id == actor.structure_id, snapshot_open())
        .order_by(Referral.sent_at)).all()


def may_open_as_receiver(actor, person_id: int) -> bool:
    """The actor's structure received a referral of this person whose snapshot it may still see, or
    sent one (a receiver that redirected the person)."""
    return bool(db.session.scalar(select(exists().where(
        Referral.person_id == person_id,
        or_(and_(Referral.to_structure_id == actor.structure_id, snapshot_open()),
            Referral.from_structure_id == actor.structure_id)))))


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


def names_seen_by(actor, people: list[tuple[Person, bool]]) -> dict[int, str]:
    """{person id: name as the actor's structure may see it} for (person, structure sees all of it)
    pairs; the shared requests of the others are read in one statement."""
    partial = {person.id: person for person, full in people if not full}
    shared = {person_id: {} for person_id in partial}
    if partial:
        for person_id, data in db.session.execute(select(Referral.person_id, Referral.shared_data).where(
                Referral.person_id.in_(partial), Referral.to_structure_id == actor.structure_id, snapshot_open())
                .order_by(Referral.sent_at)):
            shared[person_id].update(data or {})
    return {person.id: PersonView(person, full, {} if full else shared[person.id]).display_name
            for person, full in people}


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


def latest_referral(journey_id: int) -> Referral | None:
    """The journey's most recent referral, if it sent any."""
    return db.session.scalar(select(Referral).where(Referral.journey_id == journey_id)
                             .order_by(Referral.id.desc()).limit(1))


def structures_involved(journey: Journey) -> int:
    """How many structures took part in a journey: the one in charge and every referral's ends."""
    ids = {journey.structure_id}
    for from_id, to_id in db.session.execute(select(Referral.from_structure_id, Referral.to_structure_id)
                                             .where(Referral.journey_id == journey.id)):
        ids.update((from_id, to_id))
    return len(ids)


IN_PROGRESS = ("ouverte", "acceptee")
# The tabs of « Orientations envoyées / reçues » (and the API's state filter): key -> statuses.
TABS = {
    "ouverte": ("En attente de réponse", ("ouverte",)),
    "en_retard": ("En retard", None),
    "acceptee": ("Acceptées", ("acceptee",)),
    "aboutie": ("Abouties", ("aboutie",)),
    "refusee": ("Refusées", ("refusee",)),
    "redirigee": ("Redirigées", ("redirigee",)),
    "expiree": ("Expirées", ("expiree",)),
    "abandonnees": ("Abandonnées ou réaffectées", ("abandonnee", "reaffectee")),
}


def _late():
    """Waiting for an answer past the reminder date."""
    return and_(Referral.status == "ouverte", Referral.remind_at < clock.now())


def _with_state(stmt, state: str | None):
    """Filter by a referral state, a tab (abandonnees) or by en_cours / en_retard / escaladees."""
    if state == "en_cours":
        return stmt.where(Referral.status.in_(IN_PROGRESS))
    if state == "en_retard":
        return stmt.where(_late())
    if state == "escaladees":
        return stmt.where(Referral.status == "ouverte", Referral.escalated_at.is_not(None))
    if state == "abandonnees":
        return stmt.where(Referral.status.in_(TABS[state][1]))
    return stmt.where(Referral.status == state) if state else stmt


def _page(stmt, page: int, per_page: int, *, urgent_first: bool = False) -> Page:
    total = db.session.scalar(select(db.func.count()).select_from(stmt.subquery()))
    order = (case((_late(), 0), else_=1), case((Referral.urgent.is_(True), 0), else_=1)) if urgent_first else ()
    rows = db.session.scalars(stmt.order_by(*order, Referral.sent_at.desc(), Referral.id.desc())
                              .options(selectinload(Referral.journey), selectinload(Referral.from_structure),
                                       selectinload(Referral.to_structure))
                              .limit(per_page).offset((max(1, page) - 1) * per_page)).all()
    return Page(items=rows, total=total, page=max(1, page), per_page=per_page)


def _scoped(stmt, actor, direction: str):
    """Restrict a statement over referrals to those the actor's structure received, sent (or is in
    charge of), or, for `territory`, those received in the actor's département."""
    mine = actor.structure_id
    if direction == "sent":
        return stmt.join(Journey, Journey.id == Referral.journey_id).where(
            or_(Referral.from_structure_id == mine, Journey.structure_id == mine))
    if direction == "territory":
        target = Structure.__table__.alias("target")
        return stmt.join(target, target.c.id == Referral.to_structure_id).where(
            target.c.departement == actor.structure.departement)
    return stmt.where(Referral.to_structure_id == mine)


def structure_referrals(actor, direction: str = "received", *, status: str | None = None,
                        page: int = 1, per_page: int = 25, urgent_first: bool = False) -> Page:
    """Referrals the actor's structure received, or sent (including those of journeys it is in charge of)."""
    stmt = _scoped(select(Referral), actor, "sent" if direction == "sent" else "received")
    return _page(_with_state(stmt, status), page, per_page, urgent_first=urgent_first)


def tab_counts(actor, direction: str) -> dict[str, int]:
    """How many referrals each tab holds, in one grouped statement."""
    stmt = _scoped(select(Referral.status, func.count(), func.sum(case((_late(), 1), else_=0))), actor, direction)
    counts = {key: 0 for key in TABS}
    for status, count, late in db.session.execute(stmt.group_by(Referral.status)):
        counts["en_retard"] += late or 0
        for key, (_label, statuses) in TABS.items():
            if statuses and status in statuses:
                counts[key] += count
    return counts


def territory_referrals(actor, *, state: str | None = None, structure_id: int | None = None,
                        network: str | None = None, page: int = 1, per_page: int = 25,
                        urgent_first: bool = False) -> Page:
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
    return _page(stmt, page, per_page, urgent_first=urgent_first)


def involves(actor, referral: Referral) -> bool:
    """The actor's structure is one end of the referral or in charge of its journey."""
    return actor.structure_id in (referral.from_structure_id, referral.to_structure_id, referral.journey.structure_id)


def display_names(actor, person_ids) -> dict[int, str]:
    """person_view(actor, person).display_name for many people, in three statements."""
    ids, mine = set(person_ids), actor.structure_id
    if not ids:
        return {}
    people = {p.id: p for p in db.session.scalars(select(Person).where(Person.id.in_(ids)))}
    full = {pid for pid, p in people.items() if p.created_by_structure_id == mine}
    full |= set(db.session.scalars(select(Journey.person_id).where(
        Journey.person_id.in_(ids), Journey.structure_id == mine)))
    shared: dict[int, dict] = {pid: {} for pid in ids}
    for pid, data in db.session.execute(select(Referral.person_id, Referral.shared_data).where(
            Referral.person_id.in_(ids - full), Referral.to_structure_id == mine, snapshot_open())
            .order_by(Referral.sent_at, Referral.id)):
        shared[pid].update(data or {})
    return {pid: PersonView(person, pid in full, shared[pid]).display_name for pid, person in people.items()}


def open_task_ids(actor, journey_ids) -> dict[int, int]:
    """For each journey, the first open task the actor's structure holds on it (urgent first)."""
    ids = set(journey_ids)
    if not ids:
        return {}
    rows = db.session.execute(select(HumanTask.journey_id, HumanTask.id).where(
        HumanTask.journey_id.in_(ids), HumanTask.status == "ouverte", HumanTask.structure_id == actor.structure_id)
        .order_by(HumanTask.priority.desc(), HumanTask.created_at, HumanTask.id))
    found: dict[int, int] = {}
    for journey_id, task_id in rows:
        found.setdefault(journey_id, task_id)
    return found
