"""The people index: which structure may see which person, and the words it may find them by.

`person_access` and `person_search_term` are derived data, rebuilt for a person whenever a flush
creates or changes what decides them: the person's identity or profile, a journey, a referral
(session events below). Whatever operation writes, the search and the list « Personnes suivies »
follow, and a receiving structure's words come only from the snapshots shared with it.
"""
from sqlalchemy import bindparam, delete, event, exists, insert, inspect, select, update
from sqlalchemy.orm import Session

from .. import clock
from ..models import HumanTask, Journey, Person, PersonAccess, PersonSearchTerm, Referral
from ..models.people import IDENTITY_FIELDS, PROFILE_FIELDS
from ..queries.referrals import snapshot_cutoff, snapshot_open
from ..search_terms import terms_of

# The rebuild's statements, built once with parameters: most steps of a journey run them.
_PERSON_LOCKED = select(Person.__table__).where(Person.id == bindparam("person_id")).with_for_update()
_JOURNEY_STRUCTURES = select(Journey.structure_id).where(Journey.person_id == bindparam("person_id"))
_OPEN_SNAPSHOTS = (select(Referral.to_structure_id, Referral.shared_data)
                   .where(Referral.person_id == bindparam("person_id"), snapshot_open(cutoff=bindparam("cutoff")))
                   .order_by(Referral.id))
_KNOWN_ACCESS = select(PersonAccess.structure_id, PersonAccess.last_contact_at).where(
    PersonAccess.person_id == bindparam("person_id"))
_DROP_TERMS = delete(PersonSearchTerm).where(PersonSearchTerm.person_id == bindparam("person_id"))
_DROP_ACCESS = delete(PersonAccess).where(PersonAccess.person_id == bindparam("person_id"))
_CONTACT = update(PersonAccess).where(PersonAccess.person_id == bindparam("contact_person_id"),
                                      PersonAccess.structure_id == bindparam("contact_structure_id")).values(
    last_contact_at=bindparam("moment"))


def _visible_fields(conn, person_id: int) -> tuple[dict, dict]:
    """({structure: full field values}, {structure: shared field values}) for one person."""
    # the person's row lock serialises two rebuilds of the same person (PostgreSQL)
    key = {"person_id": person_id}
    person = conn.execute(_PERSON_LOCKED, key).mappings().one_or_none()
    if person is None or person["merged_into_id"] is not None:
        return {}, {}
    values = {k: person[k] for k in IDENTITY_FIELDS + PROFILE_FIELDS}
    full = {person["created_by_structure_id"]}
    full.update(conn.scalars(_JOURNEY_STRUCTURES, key))
    shared: dict[int, dict] = {}
    # a referral reassigned away or expired opens its snapshot only for a while after it closed
    for to_id, data in conn.execute(_OPEN_SNAPSHOTS, {**key, "cutoff": snapshot_cutoff()}):
        if to_id not in full:
            shared.setdefault(to_id, {}).update(data or {})
    return {s: values for s in full}, shared


def reindex(conn, person_id: int) -> None:
    """Rebuild the access rows and search words of one person (keeps each last contact)."""
    full, shared = _visible_fields(conn, person_id)
    key = {"person_id": person_id}
    known = dict(conn.execute(_KNOWN_ACCESS, key).all())
    conn.execute(_DROP_TERMS, key)
    conn.execute(_DROP_ACCESS, key)
    now = clock.now()
    access, terms = [], []
    for is_full, group in ((True, full), (False, shared)):
        for structure_id, values in group.items():
            access.append({"person_id": person_id, "structure_id": structure_id, "full": is_full,
                           "last_contact_at": known.get(structure_id, now)})
            terms += [{"person_id": person_id, "structure_id": structure_id, "term": t}
                      for t in terms_of(values)]
    if access:
        conn.execute(insert(PersonAccess), access)
    if terms:
        conn.execute(insert(PersonSearchTerm), terms)


def prune_ended_snapshots(session) -> int:
    """Rebuild the people whose receiver-only access rows outlived every snapshot they were
    given (reassigned away or expired long enough ago); returns how many (run by the worker)."""
    conn = session.connection()
    stale = select(PersonAccess.person_id).where(PersonAccess.full.is_(False), ~exists().where(
        Referral.person_id == PersonAccess.person_id, Referral.to_structure_id == PersonAccess.structure_id,
        snapshot_open())).distinct()
    ids = sorted(conn.scalars(stale))
    for person_id in ids:
        reindex(conn, person_id)
    return len(ids)


def rebuild_all(session) -> int:
    """Reindex every person (after a migration, or to repair); returns how many."""
    conn = session.connection()
    ids = list(conn.scalars(select(Person.id).order_by(Person.id)))
    for person_id in ids:
        reindex(conn, person_id)
    return len(ids)


# --- keeping the index in step with every flush ----------------------------------------------

_WATCHED = set(IDENTITY_FIELDS + PROFILE_FIELDS) | {"merged_into_id"}


def _changed(obj) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in _WATCHED)


def _completed_now(task) -> bool:
    return inspect(task).attrs["status"].history.has_changes()


def ensure_built(session) -> int:
    """Build the index when people exist but none is indexed (a database from before it)."""
    conn = session.connection()
    if conn.scalar(select(PersonAccess.person_id).limit(1)) is None and \
            conn.scalar(select(Person.id).limit(1)) is not None:
        return rebuild_all(session)
    return 0


def record_contact(session, person_id: int, structure_id: int, moment) -> None:
    """Have the next flush record a contact of the structure with the person (for a task closed by
    a bulk statement, which the flush does not see)."""
    session.info.setdefault("contacts", set()).add((person_id, structure_id, moment))


def mark(person: Person) -> None:
    """Have the next flush rebuild this person's index (for changes made by bulk statements)."""
    from ..extensions import db
    db.session.info.setdefault("reindex_people", set()).add(person)


@event.listens_for(Session, "before_flush")
def _collect(session, _context, _instances):
    """Note the people whose index this flush changes, and the contacts it records."""
    pending = session.info.setdefault("reindex_people", set())
    contacts = session.info.setdefault("contacts", set())
    for obj in session.new:
        if isinstance(obj, (Journey, Referral)):
            pending.add(obj)
        elif isinstance(obj, Person):
            pending.add(obj)
    for obj in session.dirty:
        if isinstance(obj, Person) and _changed(obj):
            pending.add(obj)
        elif isinstance(obj, HumanTask) and obj.status == "terminee" and _completed_now(obj):
            contacts.add((obj.person_id, obj.structure_id, obj.completed_at))


@event.listens_for(Session, "after_flush_postexec")
def _apply(session, _context):
    pending = session.info.pop("reindex_people", set())
    contacts = session.info.pop("contacts", set())
    if not pending and not contacts:
        return
    conn = session.connection()
    ids = {obj.id if isinstance(obj, Person) else obj.person_id for obj in pending}
    for person_id in sorted(i for i in ids if i is not None):
        reindex(conn, person_id)
    for person_id, structure_id, moment in contacts:
        conn.execute(_CONTACT, {"contact_person_id": person_id, "contact_structure_id": structure_id,
                                "moment": moment})
